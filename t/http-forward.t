# What the backend receives and what the client gets back: origin-form
# request line, Host, hop-by-hop headers removed both ways, X-Forwarded-*,
# X-Real-IP and Via set (trusted_proxies, the per-route switches,
# proxy_host), Server from the backend passed on.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses header_tokens);

my $H = "Host: test.example\r\n";

# A backend that answers by path: /resp-* with hop-by-hop headers or a
# chunked body, anything else "ok PATH".  Keep-alive unless told to close.
sub handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my $close = grep { $_ eq 'close' } header_tokens($q, 'connection');
		my @close = $close ? (Connection => 'close') : ();
		if ($q->{target} eq '/resp-hop') {
			$c->respond(200, body => "hop\n", headers => [
			    Connection => 'keep-alive, X-Hop',
			    'X-Hop' => 'secret',
			    'Keep-Alive' => 'timeout=5, max=100',
			    'Proxy-Connection' => 'keep-alive',
			    Server => 'backend/1.0',
			    'X-End' => 'yes' ]);
		} elsif ($q->{target} eq '/resp-upgrade') {
			$c->respond(200, body => "no upgrade\n", headers => [
			    Connection => 'Upgrade',
			    Upgrade => 'h2c',
			    'X-End' => 'yes' ]);
		} elsif ($q->{target} eq '/resp-chunked') {
			$c->write("HTTP/1.1 200 OK\r\nServer: backend/1.0\r\n"
			    . join('', map { "$_\r\n" } @close ? 'Connection: close' : ())
			    . "Transfer-Encoding: chunked\r\n\r\n"
			    . "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") or last;
		} else {
			$c->respond(200, body => "ok $q->{target}\n", headers => \@close)
			    or last;
		}
		last if $close;
	}
}

# Send one request (Connection: close unless the fields say otherwise) and
# return (the request the backend got, the response the client got).
sub forward {
	my ($t, $be, $line, @fields) = @_;
	my ($target) = $line =~ /^\S+ (\S+)/;
	my $req = "$line\r\n" . join('', map { "$_\r\n" } @fields);
	$req .= "Connection: close\r\n" unless grep { /^connection:/i } @fields;
	$req .= "\r\n";
	my ($out) = $t->raw_request($req, timeout => 5);
	my ($r) = parse_responses($out);
	$r //= { status => 0, headers => {}, body => '' };
	is($r->{status}, 200, "$line: 200") or diag("response: $out");
	# The backend sees the path only, even for an absolute-form target.
	(my $path = $target) =~ s{^https?://[^/]+}{};
	my ($q) = grep { $_->{target} eq $path } $t->received_requests($be);
	ok($q, "$line: the backend received $path")
	    or diag("backend got: " . $t->received($be));
	return ($q // { headers => {}, fields => [], head => '' }, $r);
}

sub values_of {
	my ($m, $name) = @_;
	return $m->{headers}{ lc $name } // [];
}

sub list_of {
	my ($m, $name) = @_;
	return [ map { my $v = $_; $v =~ s/^\s+|\s+$//g; $v }
	    map { split /,/ } @{ values_of($m, $name) } ];
}

subtest 'defaults' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start("[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n");

	my ($q) = forward($t, $be, 'GET http://example.com/abs?q=1 HTTP/1.1',
	    'Host: example.com');
	like($q->{head}, qr{\AGET /abs\?q=1 HTTP/1\.1\r\n},
	    'absolute-form arrives in origin-form') or diag($q->{head});
	is_deeply(values_of($q, 'host'), ['example.com'], 'with Host: example.com');

	($q) = forward($t, $be, 'GET http://example.com:8080/abs2 HTTP/1.1',
	    'Host: other.example');
	like($q->{head}, qr{\AGET /abs2 HTTP/1\.1\r\n}, 'absolute-form with a port');
	is_deeply(values_of($q, 'host'), ['example.com:8080'],
	    'Host comes from the absolute target, not the Host header (RFC 9112 3.2.2)');

	($q) = forward($t, $be, 'GET /path/x?y=1&z HTTP/1.1',
	    'Host: www.example.org:8080');
	like($q->{head}, qr{\AGET /path/x\?y=1&z HTTP/1\.1\r\n},
	    'origin-form request line unchanged');
	is_deeply(values_of($q, 'host'), ['www.example.org:8080'], 'Host preserved');

	($q) = forward($t, $be, 'GET /hop HTTP/1.1', 'Host: test.example',
	    'Connection: close, X-Foo', 'X-FOO: named by Connection',
	    'Keep-Alive: timeout=5', 'Proxy-Connection: keep-alive', 'TE: gzip',
	    'Trailer: X-T', 'Upgrade: h2c', 'Proxy-Authorization: Basic Zm9vOmJhcg==',
	    'X-Keep: yes');
	for my $h (qw(X-Foo Keep-Alive Proxy-Connection TE Trailer Upgrade
	    Proxy-Authorization)) {
		ok(!$q->{headers}{ lc $h }, "$h is not forwarded")
		    or diag("$h: @{ $q->{headers}{ lc $h } }");
	}
	ok(!(grep { $_ eq 'x-foo' || $_ eq 'upgrade' } header_tokens($q, 'connection')),
	    'the client\'s Connection header is not forwarded')
	    or diag("Connection: @{ values_of($q, 'connection') }");
	is_deeply(values_of($q, 'x-keep'), ['yes'], 'an end-to-end header is');

	($q) = forward($t, $be, 'GET /hop2 HTTP/1.1', 'Host: test.example',
	    'Connection: keep-alive', 'Connection: X-Bar', 'X-Bar: 2',
	    'Connection: close');
	ok(!$q->{headers}{'x-bar'}, 'a header named by a second Connection line is removed');

	($q) = forward($t, $be, 'GET /te HTTP/1.1', 'Host: test.example',
	    'TE: trailers');
	is_deeply(list_of($q, 'te'), ['trailers'], 'TE: trailers is forwarded');

	($q) = forward($t, $be, 'GET /xff HTTP/1.1', 'Host: test.example',
	    'X-Forwarded-For: 1.2.3.4', 'X-Real-IP: 9.9.9.9',
	    'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.example');
	is_deeply(list_of($q, 'x-forwarded-for'), ['127.0.0.1'],
	    'X-Forwarded-For from an untrusted client is replaced');
	is_deeply(values_of($q, 'x-real-ip'), ['127.0.0.1'], 'X-Real-IP too');
	is_deeply(values_of($q, 'x-forwarded-proto'), ['http'], 'X-Forwarded-Proto too');
	is_deeply(values_of($q, 'x-forwarded-host'), ['test.example'],
	    'X-Forwarded-Host too (the client\'s Host)');

	($q) = forward($t, $be, 'GET /plain HTTP/1.1', 'Host: test.example');
	is_deeply(list_of($q, 'x-forwarded-for'), ['127.0.0.1'], 'X-Forwarded-For: 127.0.0.1');
	is_deeply(values_of($q, 'x-real-ip'), ['127.0.0.1'], 'X-Real-IP: 127.0.0.1');
	is_deeply(values_of($q, 'x-forwarded-proto'), ['http'], 'X-Forwarded-Proto: http');
	is_deeply(values_of($q, 'x-forwarded-host'), ['test.example'],
	    'X-Forwarded-Host: the Host');
	is_deeply(list_of($q, 'via'), ['1.1 frontd'], 'Via: 1.1 frontd');

	($q) = forward($t, $be, 'GET /via HTTP/1.1', 'Host: test.example',
	    'Via: 1.0 fred');
	is_deeply(list_of($q, 'via'), ['1.0 fred', '1.1 frontd'],
	    '1.1 frontd is added to the client\'s Via');

	# The response side.
	my ($out) = $t->raw_request("GET /resp-hop HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my ($r) = parse_responses($out);
	is($r->{status}, 200, 'a response with hop-by-hop headers: 200');
	is($r->{body}, "hop\n", 'its body');
	for my $h (qw(X-Hop Keep-Alive Proxy-Connection)) {
		ok(!$r->{headers}{ lc $h }, "$h from the backend is not passed on")
		    or diag("$h: @{ $r->{headers}{ lc $h } }");
	}
	ok(!(grep { $_ eq 'x-hop' } header_tokens($r, 'connection')),
	    'nor the backend\'s Connection header') or diag($r->{head});
	is_deeply(values_of($r, 'server'), ['backend/1.0'], 'Server from the backend is passed');
	is_deeply(values_of($r, 'x-end'), ['yes'], 'an end-to-end header is passed');

	($out) = $t->raw_request("GET /resp-upgrade HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	($r) = parse_responses($out);
	is($r->{status}, 200, 'a 200 response with Upgrade: h2c');
	ok(!$r->{headers}{upgrade}, 'Upgrade is not passed on without an upgrade')
	    or diag($r->{head});

	($out) = $t->raw_request("GET /resp-chunked HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	($r) = parse_responses($out);
	is($r->{status}, 200, 'a chunked response to an HTTP/1.1 client');
	is_deeply(list_of($r, 'transfer-encoding'), ['chunked'],
	    'one Transfer-Encoding: chunked (not doubled)') or diag($r->{head});
	is($r->{body}, 'hello world', 'the body decodes');
	ok(!$r->{headers}{'content-length'}, 'no Content-Length beside it');

	($out) = $t->raw_request("GET /resp-chunked HTTP/1.0\r\n${H}\r\n");
	($r) = parse_responses($out);
	is($r->{status}, 200, 'the chunked response to an HTTP/1.0 client');
	ok(!$r->{headers}{'transfer-encoding'},
	    'Transfer-Encoding is not passed on when the body is re-framed')
	    or diag($r->{head});
	is($r->{body}, 'hello world', 'the body arrives de-chunked');
	is_deeply(values_of($r, 'server'), ['backend/1.0'], 'Server is passed');

	$t->check_logs;
};

subtest 'x_forwarded_* = off, via = off, pass_proxy_authorization = on' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route all]
upstream = app
x_forwarded_for = off
x_forwarded_proto = off
x_forwarded_host = off
x_real_ip = off
via = off
pass_proxy_authorization = on
EOF
	my ($q) = forward($t, $be, 'GET /off HTTP/1.1', 'Host: test.example',
	    'Proxy-Authorization: Basic Zm9vOmJhcg==');
	for my $h (qw(X-Forwarded-For X-Forwarded-Proto X-Forwarded-Host
	    X-Real-IP Via)) {
		ok(!$q->{headers}{ lc $h }, "no $h") or diag($q->{head});
	}
	is_deeply(values_of($q, 'proxy-authorization'), ['Basic Zm9vOmJhcg=='],
	    'Proxy-Authorization is passed');
	is_deeply(values_of($q, 'host'), ['test.example'], 'Host unchanged');
	$t->check_logs;
};

subtest 'trusted_proxies = 127.0.0.1' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start(<<"EOF");
[global]
trusted_proxies = 127.0.0.1

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
	my ($q) = forward($t, $be, 'GET /trusted HTTP/1.1', 'Host: test.example',
	    'X-Forwarded-For: 1.2.3.4', 'X-Real-IP: 9.9.9.9',
	    'X-Forwarded-Proto: https', 'X-Forwarded-Host: front.example');
	is_deeply(list_of($q, 'x-forwarded-for'), ['1.2.3.4', '127.0.0.1'],
	    'X-Forwarded-For: 1.2.3.4, 127.0.0.1');
	is_deeply(values_of($q, 'x-real-ip'), ['9.9.9.9'], 'X-Real-IP is kept');
	is_deeply(values_of($q, 'x-forwarded-proto'), ['https'], 'X-Forwarded-Proto is kept');
	is_deeply(values_of($q, 'x-forwarded-host'), ['front.example'],
	    'X-Forwarded-Host is kept');

	($q) = forward($t, $be, 'GET /trusted2 HTTP/1.1', 'Host: test.example',
	    'X-Forwarded-For: 1.2.3.4', 'X-Forwarded-For: 5.6.7.8');
	is_deeply(list_of($q, 'x-forwarded-for'), ['1.2.3.4', '5.6.7.8', '127.0.0.1'],
	    'two X-Forwarded-For lines: both kept, in order, the peer appended');

	($q) = forward($t, $be, 'GET /trusted3 HTTP/1.1', 'Host: test.example');
	is_deeply(list_of($q, 'x-forwarded-for'), ['127.0.0.1'],
	    'without one, X-Forwarded-For: 127.0.0.1');
	is_deeply(values_of($q, 'x-real-ip'), ['127.0.0.1'], 'X-Real-IP: 127.0.0.1');
	is_deeply(values_of($q, 'x-forwarded-proto'), ['http'], 'X-Forwarded-Proto: http');
	$t->check_logs;
};

subtest 'proxy_host' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route all]
upstream = app
proxy_host = app.internal:8080
EOF
	my ($q) = forward($t, $be, 'GET /ph HTTP/1.1', 'Host: test.example');
	is_deeply(values_of($q, 'host'), ['app.internal:8080'], 'proxy_host replaces Host');
	is_deeply(values_of($q, 'x-forwarded-host'), ['test.example'],
	    'X-Forwarded-Host keeps the client\'s Host');
	$t->check_logs;
};

subtest 'header names with an underscore are not forwarded' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
	my ($q) = forward($t, $be, 'GET /underscore HTTP/1.1', 'Host: test.example',
	    'X_Real_IP: 6.6.6.6', 'X_Forwarded_For: 6.6.6.6', 'X-Fine: yes');
	is_deeply(values_of($q, 'x_real_ip'), [], 'X_Real_IP is dropped');
	is_deeply(values_of($q, 'x_forwarded_for'), [], 'X_Forwarded_For is dropped');
	is_deeply(values_of($q, 'x-fine'), ['yes'], 'other headers pass');
	is_deeply(values_of($q, 'x-real-ip'), ['127.0.0.1'], 'X-Real-IP is ours');
	$t->check_logs;
};

done_testing;
