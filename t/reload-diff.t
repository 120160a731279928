# A reload says what it changed: listeners, routes, upstreams and servers
# added, removed or changed, one line each in the error log (info) and in
# the answer of "frontd -s reload", with a summary; "no change" when the
# new files mean the same as the running ones.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLS;

my $t = Test::Frontd->new;
my @be = map { $t->backend(body => "b$_\n") } 1 .. 3;
my ($b1, $b2, $b3) = map { $_->{addr} } @be;
my $p = $t->port;
my $p2 = $t->port;

# The sections of the config, in order; a test edits a copy.
my %base = (
	listeners => "[listener test]\naddress = 127.0.0.1:$p\n",
	app => "[upstream app]\nserver = $b1\nserver = $b2\n"
	    . "upstream_connect_timeout = 5s\n",
	app2 => "[upstream app2]\nserver = $b2\nserver = $b3\n",
	routes => "[route api]\npath = /api/\nupstream = app\n\n"
	    . "[route web]\nupstream = app\n",
);

sub config {
	my (%o) = (%base, @_);
	return join "\n", @o{qw(listeners app app2 routes)};
}

# Writes the config, runs "frontd -s reload": (stdout, [change lines of
# the log], the summary in the log).
sub reload_with {
	my ($text, $what) = @_;
	my $from = length $t->error_log;
	$t->write_config($text);
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 0, "$what: -s reload exits 0") or diag("$out$err");
	is($err, '', "$what: nothing on stderr");
	my $log = substr($t->error_log, $from);
	my @lines = $log =~ /^\S+ \S+ info master\[\d+\]: reload: (.*)$/mg;
	my @sum = $log =~ /^\S+ \S+ notice master\[\d+\]: reload: ((?!configuration ).*)$/mg;
	is(scalar @sum, 1, "$what: one summary line in the log") or diag($log);
	return ($out, \@lines, $sum[0] // '');
}

$t->start(config());

{
	my ($out, $lines, $sum) = reload_with(config(
	    app => "[upstream app]\nserver = $b1\nserver = $b2\n"
		. "upstream_connect_timeout = 5000ms\n"), 'same meaning');
	is($out, "reload ok: no change\n", '-s reload says "no change"');
	is_deeply($lines, [], 'no change line in the log');
	is($sum, 'no change', 'the log says "reload: no change"');
}

{
	my ($out, $lines, $sum) = reload_with(config(
	    routes => "[route api]\npath = /api/\nupstream = app2\n"
		. "rate_limit = 10r/s\n\n[route shop]\npath = /shop/\n"
		. "upstream = app\n"), 'routes');
	my @want = (
	    'route api changed: upstream app -> app2, rate_limit (unset) -> 10r/s',
	    'route shop added',
	    'route web removed',
	);
	is_deeply($lines, \@want, 'the log: one info line per route changed')
	    or diag(explain($lines));
	my $sum_want = '1 route added, 1 route removed, 1 route changed';
	is($sum, $sum_want, 'and the summary');
	is($out, join("\n", "reload ok: $sum_want", @want) . "\n",
	    '-s reload prints the summary, then the same lines');
	is($t->get('/api/x')->content, "b2\n", 'route api now goes to app2');
}

{
	my ($out, $lines, $sum) = reload_with(config(
	    app => "[upstream app]\nserver = $b1 weight=5\nserver = $b2\n"
		. "server = $b3 drain\nupstream_connect_timeout = 5s\n"
		. "balance = least_conn\n",
	    app2 => "[upstream app2]\nserver = $b2 backup\n"
		. "server = $b1\n",
	    routes => "[route api]\npath = /api/\nupstream = app2\n"
		. "rate_limit = 10r/s\n\n[route shop]\npath = /shop/\n"
		. "upstream = app\n"), 'servers');
	my @want = (
	    'upstream app changed: balance (unset) -> least_conn',
	    "upstream app: server $b1 changed: weight 1 -> 5",
	    "upstream app: server $b3 added (drain)",
	    "upstream app2: server $b2 changed: now a backup",
	    "upstream app2: server $b1 added",
	    "upstream app2: server $b3 removed",
	);
	is_deeply($lines, \@want, 'servers added, removed, changed')
	    or diag(explain($lines));
	my $sum_want = '1 upstream changed, 2 servers added, 1 server removed, '
	    . '2 servers changed';
	is($sum, $sum_want, 'and the summary');
	is($out, join("\n", "reload ok: $sum_want", @want) . "\n",
	    '-s reload prints them');
}

{
	my ($out, $lines, $sum) = reload_with(config(
	    listeners => "[listener test]\naddress = 127.0.0.1:$p\n"
		. "backlog = 64\n\n"
		. "[listener admin]\naddress = 127.0.0.1:$p2\n",
	    app => "[upstream app]\nserver = $b1\nserver = $b2\n"
		. "server = $b3\nupstream_connect_timeout = 5s\n",
	    app2 => "[upstream app2]\nserver = $b2 backup\n"
		. "server = $b1\n\n[upstream extra]\nserver = $b3\n",
	    routes => "[route shop]\npath = /shop/\nupstream = app\n\n"
		. "[route api]\npath = /api/\nupstream = extra\n"
		. "rate_limit = 10r/s\n"), 'listeners');
	my @want = (
	    'listener test changed: backlog 511 -> 64',
	    "listener admin added (127.0.0.1:$p2)",
	    'route api changed: upstream app2 -> extra',
	    'route order changed',
	    'upstream app changed: balance least_conn -> (unset)',
	    "upstream app: server $b1 changed: weight 5 -> 1",
	    "upstream app: server $b3 changed: state drain -> in service",
	    'upstream extra added (1 server)',
	);
	is_deeply($lines, \@want, 'a listener added and one changed, order')
	    or diag(explain($lines));
	my $sum_want = '1 listener added, 1 listener changed, 1 route changed, '
	    . '1 upstream added, 1 upstream changed, 2 servers changed, '
	    . 'route order changed';
	is($sum, $sum_want, 'and the summary');
	is($out, join("\n", "reload ok: $sum_want", @want) . "\n",
	    '-s reload prints them');
	is($t->get('/api/x', port => $p2)->content, "b3\n",
	    'the new listener serves');
}

{
	# A listener moved and turned to TLS (when there is an openssl to
	# make a certificate): its keys old -> new, a path too long to show
	# as "changed".
	my $pki = Test::FrontdTLS->new($t);
	my ($ssl) = $pki->have_openssl;
	my $p3 = $t->port;
	my $admin = "[listener admin]\naddress = 127.0.0.1:$p3\n";
	my $want = "listener admin changed: address 127.0.0.1:$p2 -> 127.0.0.1:$p3";
	if ($ssl) {
		my $c = $pki->cert('admin', names => ['admin.example'],
		    type => 'ec');
		$admin .= "tls = on\ncertificate = $c->{cert}\n"
		    . "certificate_key = $c->{key}\n";
		$want .= ', tls off -> on';
		for ([ certificate => $c->{cert} ],
		    [ certificate_key => $c->{key} ]) {
			my ($k, $v) = @$_;
			$want .= length $v <= 63 ? ", $k (unset) -> $v" :
			    ", $k changed";
		}
	}
	my ($out, $lines, $sum) = reload_with(config(
	    listeners => "[listener test]\naddress = 127.0.0.1:$p\n"
		. "backlog = 64\n\n$admin",
	    app => "[upstream app]\nserver = $b1\nserver = $b2\n"
		. "server = $b3\nupstream_connect_timeout = 5s\n",
	    app2 => "[upstream app2]\nserver = $b2 backup\n"
		. "server = $b1\n\n[upstream extra]\nserver = $b3\n",
	    routes => "[route shop]\npath = /shop/\nupstream = app\n\n"
		. "[route api]\npath = /api/\nupstream = extra\n"
		. "rate_limit = 10r/s\n"), 'address and TLS');
	note($want);
	is_deeply($lines, [ $want ], 'a listener\'s address and TLS')
	    or diag(explain($lines));
	is($out, "reload ok: 1 listener changed\n$want\n", '-s reload prints it');
}

{
	# SIGHUP: the same lines in the log, and no caller to answer.
	my $from = length $t->error_log;
	ok($t->reload(config(
	    listeners => "[listener test]\naddress = 127.0.0.1:$p\n",
	    app => "[upstream app]\nserver = $b1\nserver = $b2\n"
		. "server = $b3\nupstream_connect_timeout = 5s\n",
	    routes => "[route shop]\npath = /shop/\nupstream = app\n\n"
		. "[route api]\npath = /api/\nupstream = extra\n"
		. "rate_limit = 10r/s\n",
	    app2 => "[upstream app2]\nserver = $b2 backup\n"
		. "server = $b1\n\n[upstream extra]\nserver = $b3\n"
		. "[global]\nkeepalive_timeout = 7s\n")), 'HUP reload');
	$t->poll(sub { substr($t->error_log, $from) =~ /notice master\[\d+\]: reload: \d/ }, 5);
	my $log = substr($t->error_log, $from);
	like($log, qr/ info master\[\d+\]: reload: listener admin removed$/m,
	    'HUP: a listener removed');
	like($log, qr/ info master\[\d+\]: reload: global changed: keepalive_timeout \S+ -> 7s$/m,
	    '[global] keys are compared too');
	like($log, qr/ notice master\[\d+\]: reload: 1 listener removed, 1 listener changed, global changed$/m,
	    'and the summary') or diag($log);
}

{
	# A refused reload changes nothing and lists no change.
	my $from = length $t->error_log;
	$t->write_config(config(routes => "[route api]\nupstream = nothere\n"));
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 1, 'a broken config: -s reload exits 1');
	unlike($out, qr/reload ok/, 'and does not say ok');
	unlike(substr($t->error_log, $from), qr/reload: (no change|\d+ \w+ (added|removed|changed))/,
	    'no change is logged for a refused reload');
}

$t->check_logs(allow => [ qr/nothere|reload refused/ ]);
done_testing;
