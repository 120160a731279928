# Plain HTTP sent to a TLS listener is answered, in plain text, with a
# 400 that says so, and the connection is closed gracefully (no reset
# that would destroy the answer); logged at info with the client.  Bytes
# that are neither TLS nor HTTP are dropped; TLS clients are unaffected.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Test::FrontdTLS;
use Socket qw(unpack_sockaddr_in);

my $t = Test::Frontd->new;
my $pki = Test::FrontdTLS->new($t);
{
	my ($ok, $why) = $pki->have_openssl;
	plan skip_all => "no openssl command: $why" unless $ok;
}
$pki->ca('ca');
my $cert = $pki->cert('tls', names => ['tls.example']);
my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
my $p = $t->port;
$t->start(<<"EOF");
[listener tls]
address = 127.0.0.1:$p
tls = on
certificate = $cert->{cert}
certificate_key = $cert->{key}

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $REQ = "GET /plain HTTP/1.1\r\nHost: tls.example\r\n\r\n";

sub plain {
	my ($pieces, %o) = @_;
	my $c = $t->raw_client(port => $p);
	my ($port) = unpack_sockaddr_in(getsockname($c->sock));
	for my $piece (@$pieces) {
		$c->write($piece);
		$c->fill($o{gap}) if $o{gap};
	}
	my $closed = $c->wait_closed(5);
	return ($c, $closed, $port);
}

subtest 'a plain HTTP request: 400, plain text, saying so' => sub {
	my $log0 = length $t->error_log;
	my ($c, $closed, $port) = plain([ $REQ ]);
	ok($closed, 'the connection is closed');
	ok(!$c->{reset}, 'with a FIN, not a reset');
	my ($r) = parse_responses($c->buffer);
	$r //= { status => 0, headers => {}, body => '' };
	is($r->{status}, 400, 'status 400') or diag($c->buffer);
	like($r->{head}, qr{^HTTP/1\.1 400 Bad Request\r\n}, 'HTTP/1.1 400 Bad Request');
	is_deeply($r->{headers}{connection}, ['close'], 'Connection: close');
	is_deeply($r->{headers}{'content-type'}, ['text/plain'], 'Content-Type: text/plain');
	is($r->{body}, "plain HTTP request sent to a TLS port\n", 'the body says why');
	$t->wait_for(sub { substr($t->error_log, $log0) =~ /plain HTTP/ }, 3, 'logged');
	like(substr($t->error_log, $log0),
	    qr/^$ts info worker\[\d+\]: conn=\d+ 127\.0\.0\.1:$port plain HTTP request sent to a TLS port$/m,
	    'at info, with the client');
	$t->wait_for(sub { $t->access_log =~ /" 400 / }, 3, 'in the access log as a 400');
};

subtest 'the method in pieces' => sub {
	my ($c, $closed) = plain([ 'G', 'E', "T / HTTP/1.1\r\nHost: tls.example\r\n\r\n" ], gap => 0.2);
	my ($r) = parse_responses($c->buffer);
	is($r && $r->{status}, 400, 'still the 400') or diag($c->buffer);
	ok($closed, 'and a close');
};

subtest 'neither TLS nor HTTP' => sub {
	my $log0 = length $t->error_log;
	my ($c, $closed) = plain([ "HELLO\0\r\n" ]);
	ok($closed, 'closed');
	is($c->buffer, '', 'without an answer');
	$t->wait_for(sub { substr($t->error_log, $log0) =~ /TLS handshake failed: not TLS/ }, 3,
	    'logged as a failed handshake');
};

subtest 'TLS clients are unaffected' => sub {
	for my $i (1 .. 3) {
		my $r = $pki->s_client(port => $p, servername => 'tls.example',
		    request => "GET /tls$i HTTP/1.1\r\nHost: tls.example\r\nConnection: close\r\n\r\n");
		ok($r->{ok}, "handshake $i") or diag($r->{all});
		like($r->{http} // '', qr{^HTTP/1\.1 200 .*ok /tls$i\n}s, "request $i answered by the backend")
		    or diag($r->{all});
	}
};

$t->check_logs;
done_testing;
