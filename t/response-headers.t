# Response fields on every response: set_response_header and
# remove_response_header in [global], a listener and a route (inherited,
# the route's set winning over the listener's over [global]'s, removes
# adding up), on proxied responses and on frontd's own answers (404, 502,
# 400, redirect, return, HEAD, 304, the cache's 504); the security_headers
# preset with and without TLS; server_tokens = off.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Test::FrontdTLSListener;

# One request on its own connection (or the raw bytes given): the parsed
# response, with its raw head.  opts: port, headers, raw.
sub hit {
	my ($t, $method, $target, %o) = @_;
	my $req = $o{raw} // "$method $target HTTP/1.1\r\nHost: "
	    . ($o{host} // 'site.test') . "\r\n"
	    . join('', map { "$_\r\n" } @{ $o{headers} // [] })
	    . "Connection: close\r\n\r\n";
	my ($out) = $t->raw_request($req, timeout => 5,
	    defined $o{port} ? (port => $o{port}) : ());
	my ($r) = parse_responses($out, methods => [$method]);
	$r //= { status => 0, headers => {}, body => '' };
	$r->{raw} = $out;
	return $r;
}

# The values of a field, joined; undef when absent.
sub hval {
	my ($r, $name) = @_;
	my $v = $r->{headers}{ lc $name } or return undef;
	return join ', ', @$v;
}

# How many times a field is in the head.
sub count {
	my ($r, $name) = @_;
	return scalar @{ $r->{headers}{ lc $name } // [] };
}

sub closed_port {
	my ($t) = @_;
	return $t->port;	# bound once and closed: refuses connections
}

subtest 'inherited fields on every kind of response' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(headers => [ 'X-Powered-By' => 'php/5',
	    'X-Over' => 'backend', 'X-Backend' => 'yes' ], body => 'fine');
	my $e500 = $t->raw_backend(status => 500, body => 'backend broke');
	my $nm = $t->raw_backend(handler => sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			$c->respond(304, headers => [ ETag => '"v1"',
			    'X-Over' => 'backend' ]) or last;
		}
	});
	my $dead = closed_port($t);
	my $p = $t->port;
	$t->start(<<"EOF");
[global]
cache_size = 1M
set_response_header = X-Global: g
set_response_header = X-Over: global
set_response_header = X-Both: global
remove_response_header = X-Powered-By

[listener main]
address = 127.0.0.1:$p
set_response_header = X-Listener: l
set_response_header = X-Over: listener
set_response_header = X-Both: listener

[upstream app]
server = $be->{addr}

[upstream e500]
server = $e500->{addr}

[upstream nm]
server = $nm->{addr}

[upstream dead]
server = 127.0.0.1:$dead
retries = 0

[route api]
path = /api
upstream = app
set_response_header = X-Over: route
remove_response_header = X-Both
remove_response_header = X-Backend

[route app]
path = /app
upstream = app

[route err]
path = /err
upstream = e500

[route cached]
path = /cached
upstream = app
cache = on

[route nm]
path = /nm
upstream = nm

[route dead]
path = /dead
upstream = dead

[route old]
path = /old
redirect = 301 https://example.test/new

[route ret]
path = /ret
return = 200 hello

[route quiet]
path = /quiet
return = 204
remove_response_header = X-Global
remove_response_header = Server
EOF

	my %kinds = (
		'proxied 200'        => [ 'GET', '/app', 200 ],
		'proxied HEAD'       => [ 'HEAD', '/app', 200 ],
		'upstream 500'       => [ 'GET', '/err', 500 ],
		'upstream 304'       => [ 'GET', '/nm', 304, headers => [ 'If-None-Match: "v1"' ] ],
		'502 dead upstream'  => [ 'GET', '/dead', 502 ],
		'404 no route'       => [ 'GET', '/nothing', 404 ],
		'400 bad request'    => [ 'GET', '/', 400, raw => "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" ],
		'redirect'           => [ 'GET', '/old', 301 ],
		'return page'        => [ 'GET', '/ret', 200 ],
		'return page, HEAD'  => [ 'HEAD', '/ret', 200 ],
		'cache\'s 504'       => [ 'GET', '/cached', 504, headers => [ 'Cache-Control: only-if-cached' ] ],
	);
	for my $k (sort keys %kinds) {
		my ($m, $path, $status, %o) = @{ $kinds{$k} };
		my $r = hit($t, $m, $path, %o);
		is($r->{status}, $status, "$k: $status") or diag($r->{raw});
		is(hval($r, 'X-Global'), 'g', "$k: [global]'s field");
		is(hval($r, 'X-Listener'), 'l', "$k: the listener's field");
		is(hval($r, 'X-Over'), 'listener', "$k: the listener's set wins over [global]'s (once)")
		    or diag($r->{raw});
		is(hval($r, 'X-Both'), 'listener', "$k: X-Both once, the listener's");
		ok(!defined hval($r, 'X-Powered-By'), "$k: [global]'s remove");
	}

	my $r = hit($t, 'GET', '/api');
	is($r->{status}, 200, 'route api: 200');
	is(hval($r, 'X-Over'), 'route', 'the route\'s set wins over the listener\'s');
	ok(!defined hval($r, 'X-Both'), 'the route\'s remove drops the inherited sets');
	ok(!defined hval($r, 'X-Backend'), 'the route\'s remove drops the upstream\'s field');
	ok(!defined hval($r, 'X-Powered-By'), '[global]\'s remove still holds');
	is(hval($r, 'X-Global'), 'g', '[global]\'s other field is inherited');
	is($r->{body}, 'fine', 'the body');

	$r = hit($t, 'GET', '/app');
	is(hval($r, 'X-Backend'), 'yes', 'an upstream field nobody names passes');

	$r = hit($t, 'GET', '/quiet');
	is($r->{status}, 204, 'route quiet: 204');
	ok(!defined hval($r, 'X-Global'), 'a route removes an inherited field from its own answer');
	ok(!defined hval($r, 'Server'), 'remove_response_header = Server: no Server on frontd\'s answer');
	is(hval($r, 'X-Listener'), 'l', 'the other fields stay');

	$r = hit($t, 'GET', '/nothing');
	is(hval($r, 'Server'), 'frontd', 'server_tokens on (default): Server: frontd');
	like($r->{body}, qr/frontd/, 'and the default page names frontd');
	$t->check_logs(allow => [ qr/connect|refused/i ]);
};

subtest 'security_headers, variables and server_tokens = off' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(headers => [ 'X-Frame-Options' => 'DENY',
	    'Server' => 'backend/1.0' ], body => 'ok');
	my $dead = closed_port($t);
	my $p = $t->port;
	$t->start(<<"EOF");
[global]
security_headers = on
server_tokens = off

[listener main]
address = 127.0.0.1:$p
set_response_header = X-Seen-Host: \$host

[upstream app]
server = $be->{addr}

[upstream dead]
server = 127.0.0.1:$dead
retries = 0

[route mine]
path = /mine
upstream = app
set_response_header = Referrer-Policy: no-referrer
remove_response_header = X-Frame-Options

[route off]
path = /off
upstream = app
security_headers = off

[route app]
path = /app
upstream = app

[route dead]
path = /dead
upstream = dead

[route old]
path = /old
redirect = 302 /elsewhere

[route ret]
path = /ret
return = 503
EOF

	my $r = hit($t, 'GET', '/app');
	is($r->{status}, 200, 'proxied: 200');
	is(hval($r, 'X-Content-Type-Options'), 'nosniff', 'X-Content-Type-Options: nosniff');
	is(hval($r, 'Referrer-Policy'), 'strict-origin-when-cross-origin', 'Referrer-Policy');
	is(hval($r, 'X-Frame-Options'), 'DENY', 'the upstream\'s X-Frame-Options is kept, not doubled')
	    or diag($r->{raw});
	ok(!defined hval($r, 'Strict-Transport-Security'), 'no HSTS on a plain listener');
	is(hval($r, 'X-Seen-Host'), 'site.test', 'a listener field with a variable, expanded');
	is(hval($r, 'Server'), 'backend/1.0', 'the upstream\'s Server passes');
	is(hval($r, 'Via'), '1.1 proxy', 'Via names no product');
	unlike($r->{raw}, qr/frontd/i, 'no "frontd" in the proxied response');

	$r = hit($t, 'GET', '/mine');
	is(hval($r, 'Referrer-Policy'), 'no-referrer', 'set_response_header overrides a preset field');
	ok(!defined hval($r, 'X-Frame-Options'), 'remove_response_header removes a preset field (and the upstream\'s)');
	is(hval($r, 'X-Content-Type-Options'), 'nosniff', 'the rest of the preset stays');

	$r = hit($t, 'GET', '/off');
	ok(!defined hval($r, 'X-Content-Type-Options') && !defined hval($r, 'Referrer-Policy'),
	    'security_headers = off on a route: no preset');

	for my $c ([ '/dead', 502 ], [ '/nothing', 404 ], [ '/old', 302 ], [ '/ret', 503 ],
	    [ '/', 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" ]) {
		my ($path, $status, $raw) = @$c;
		$r = hit($t, 'GET', $path, defined $raw ? (raw => $raw) : ());
		is($r->{status}, $status, "$path: $status") or diag($r->{raw});
		is(hval($r, 'X-Content-Type-Options'), 'nosniff', "$path: the preset");
		is(count($r, 'X-Frame-Options'), 1, "$path: X-Frame-Options once");
		ok(!defined hval($r, 'Server'), "$path: no Server");
		unlike($r->{raw}, qr/frontd/i, "$path: no \"frontd\" in head or body");
	}
	$r = hit($t, 'GET', '/dead');
	is(hval($r, 'X-Seen-Host'), 'site.test', 'a variable on the answer to a routed request');
	$r = hit($t, 'GET', '/nothing');
	ok(!defined hval($r, 'X-Seen-Host'), 'no line with a variable before a route is found');
	like($r->{body}, qr{<h1>404 Not Found</h1>}, 'the default page still says what happened');
	$t->check_logs(allow => [ qr/connect|refused/i ]);
};

subtest 'security_headers and hsts on TLS' => sub {
	my ($t0, $pki) = tls_pki();
	my ($HAVE_CURL, $CURL_WHY) = $pki->have_curl_tls;
	plan skip_all => "curl with TLS: $CURL_WHY" unless $HAVE_CURL;
	my $CA = $pki->ca('ca');
	tls_certs({ def => $pki->cert('def', names => ['a.example']) });
	my $t = Test::Frontd->new;
	my ($p, $q) = ($t->port, $t->port);
	my $be = $t->raw_backend(body => 'ok');
	my $sts = $t->raw_backend(headers => [ 'Strict-Transport-Security' => 'max-age=5' ],
	    body => 'ok');
	$t->start(tls_listener(port => $p, extra => "security_headers = on\n")
	    . tls_listener(name => 'pinned', port => $q,
		extra => "security_headers = on\nhsts = max-age=60\n")
	    . "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[upstream sts]\nserver = $sts->{addr}\n\n"
	    . "[route sts]\npath = /sts\nupstream = sts\n\n"
	    . "[route nohsts]\npath = /nohsts\nupstream = app\n"
	    . "remove_response_header = Strict-Transport-Security\n\n"
	    . "[route app]\npath = /app\nupstream = app\n");
	my %o = (cacert => $CA->{cert});
	my $get = sub {
		my ($port, $path) = @_;
		return $pki->curl("https://a.example:$port$path", %o,
		    resolve => ["a.example:$port:127.0.0.1"]);
	};
	my $h = $get->($p, '/app');
	is($h->{status}, 200, 'TLS: 200') or diag("$h->{cmd}\n$h->{err}");
	is($h->{headers}{'strict-transport-security'}, 'max-age=31536000',
	    'the preset\'s HSTS on a TLS listener') or diag($h->{head});
	is($h->{headers}{'x-content-type-options'}, 'nosniff', 'and the rest of the preset');
	$h = $get->($p, '/nothing');
	is($h->{status}, 404, 'TLS: 404');
	is($h->{headers}{'strict-transport-security'}, 'max-age=31536000', 'HSTS on frontd\'s 404');
	$h = $get->($p, '/sts');
	is($h->{headers}{'strict-transport-security'}, 'max-age=5',
	    'the upstream\'s HSTS is kept, not doubled') or diag($h->{head});
	$h = $get->($p, '/nohsts');
	ok(!defined $h->{headers}{'strict-transport-security'}, 'removed by a route');
	$h = $get->($q, '/sts');
	is($h->{headers}{'strict-transport-security'}, 'max-age=60',
	    'hsts set on the listener replaces the upstream\'s, once') or diag($h->{head});
	$h = $get->($q, '/nothing');
	is($h->{headers}{'strict-transport-security'}, 'max-age=60', 'and is on frontd\'s 404');

	my $r = hit($t, 'GET', '/app', port => $p);
	is($r->{status}, 400, 'plain HTTP on the TLS port: 400') or diag($r->{raw});
	is(hval($r, 'X-Content-Type-Options'), 'nosniff', 'with the preset');
	ok(!defined hval($r, 'Strict-Transport-Security'), 'but no HSTS over plain HTTP');
	$t->check_logs;
};

done_testing;
