# Reloads of a TLS listener: new connections get the certificate the files
# hold now, a broken certificate keeps the running one, and connections in
# the handshake or idle after it do not hold the old workers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();

$pki->ca('ca');
my %C;
$C{a_rsa}  = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{a_rsa2} = $pki->cert('a-rsa2', names => ['a.example', 'b.example']);
tls_certs(\%C);

subtest 'a reload serves a new certificate' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	my $dir = $t->dir;
	my $live = { cert => "$dir/live.pem", key => "$dir/live.key" };
	my $copy = sub {
		my ($c) = @_;
		$t->spew($live->{cert}, $t->slurp($c->{cert}));
		$t->spew($live->{key}, $t->slurp($c->{key}));
		chmod 0600, $live->{key};
	};
	$copy->($C{a_rsa});
	my $conf = tls_listener(port => $p, certs => [$live]);
	$t->start($conf, global => "workers = 2");
	my $r = sc($p, 'a.example');
	is(served($r), 'a_rsa', 'the first certificate') or diag(show($r));
	# An open connection made before the reload.
	my $old = $t->raw_client(port => $p);
	$copy->($C{a_rsa2});
	ok($t->reload($conf, global => "workers = 2"), 'reload with the same config, new file contents');
	for (1 .. 4) {
		$r = sc($p, 'a.example');
		is(served($r), 'a_rsa2', "new connection $_: the new certificate") or diag(show($r));
	}
	$old->close if $old;

	# A reload whose new certificate is broken keeps the old generation
	# serving the old certificate.
	$t->spew($live->{cert}, "not a certificate\n");
	$t->signal('HUP');
	$t->poll(sub { $t->error_log =~ /live\.pem/ }, 5);
	$r = sc($p, 'a.example');
	is(served($r), 'a_rsa2', 'a reload with a broken certificate: the running one stays')
	    or diag(show($r));
	like($t->error_log, qr/live\.pem/, 'and the error log names the file');
	$copy->($C{a_rsa2});
	$t->check_logs(allow => [ qr/live\.pem|reload|configuration/i ]);
};

subtest 'a reload does not wait for idle TLS connections' => sub {
	my $t = Test::Frontd->new;
	my ($p, $pp) = ($t->port, $t->port);
	my $be = $t->raw_backend;
	my $conf = tls_listener(port => $p, certs => ['a_rsa'])
	    . "[listener plain]\naddress = 127.0.0.1:$pp\n\n" . app($be);
	# shutdown_timeout 10 s (the harness's): a reload that waits for
	# these connections takes that long.
	$t->start($conf);

	my $plain = $t->raw_client(port => $pp);
	my $t0 = time;
	ok($t->reload($conf), 'reload with an idle plain connection');
	my $plain_s = time - $t0;
	ok($plain->wait_closed(1), 'the idle plain connection is closed');

	my $raw = $t->raw_client(port => $p);
	$t0 = time;
	ok($t->reload($conf), 'reload with a TCP connection to the TLS port that sent nothing');
	my $dt = time - $t0;
	cmp_ok($dt, '<', $plain_s + 3, 'the connection in the handshake does not hold the old worker')
	    or diag(sprintf 'reload took %.1f s (%.1f s with an idle plain connection)', $dt, $plain_s);
	ok($raw->wait_closed(1), 'it is closed');

	my $sc = $pki->s_client_open(port => $p, servername => 'a.example');
	ok($pki->wait_handshake($sc), 'an s_client done with its handshake, idle')
	    or diag($pki->s_client_output($sc));
	$t0 = time;
	ok($t->reload($conf), 'reload with that TLS connection idle');
	$dt = time - $t0;
	cmp_ok($dt, '<', $plain_s + 3, 'it does not hold the old worker either')
	    or diag(sprintf 'reload took %.1f s', $dt);
	ok($t->poll(sub { $pki->s_client_exited($sc) }, 2), 'and it is closed');
	$pki->stop_s_client($sc);

	$t->check_logs;
};

done_testing;
