# forward_auth (frontd.conf(5), ACCESS CONTROL): before a request goes
# on, a subrequest to an auth service on an [upstream]. A 2xx lets it
# through with the fields forward_auth_response_headers names (a
# client's own never pass); 401, 403 and 3xx reach the client as the
# auth service wrote them; anything else, a failure or a timeout is a
# 5xx, and the application never sees the request. The auth service is
# a raw backend deciding by the Cookie it gets; it counts connections,
# so the test sees that its keep-alive pool is used.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);

# The auth service: by the session cookie, as Authelia does.
sub auth_backend {
	my ($t) = @_;
	return $t->raw_backend(handler => sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			my $cookie = join '; ', @{ $q->{headers}{cookie} // [] };
			my ($s) = $cookie =~ /\bsession=(\w+)/;
			$s //= '';
			my @r;
			if ($s eq 'alice') {
				@r = (200, body => 'yes', headers => [
				    'Remote-User' => 'alice',
				    'Remote-Email' => 'alice@example.com',
				    'Remote-Groups' => 'admins' ]);
			} elsif ($s eq 'mallory') {
				@r = (403, body => "<p>not you</p>\n",
				    headers => [ 'Content-Type' => 'text/html' ]);
			} elsif ($s eq 'boom') {
				@r = (500, body => 'broken');
			} elsif ($s eq 'slow') {
				sleep 3;
				@r = (200, body => 'late');
			} elsif ($s eq 'chunked') {
				$c->write("HTTP/1.1 401 Unauthorized\r\n" .
				    "WWW-Authenticate: Basic realm=\"c\"\r\n" .
				    "Transfer-Encoding: chunked\r\n\r\n" .
				    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
				    or last;
				next;
			} elsif (($q->{headers}{authorization} // [''])->[0] eq
			    'Bearer good') {
				@r = (204, headers => [ 'Remote-User' => 'bot' ]);
			} elsif ($q->{headers}{accept} &&
			    $q->{headers}{accept}[0] =~ /json/) {
				@r = (401, body => '{"error":"login"}', headers => [
				    'WWW-Authenticate' => 'Bearer realm="app"',
				    'Content-Type' => 'application/json' ]);
			} else {
				my $rd = ($q->{headers}{'x-forwarded-proto'} //
				    [''])->[0] . '://' .
				    ($q->{headers}{'x-forwarded-host'} //
				    [''])->[0] .
				    ($q->{headers}{'x-forwarded-uri'} // [''])->[0];
				@r = (302, body => "<a>login</a>\n", headers => [
				    'Location' => "https://auth.example.com/?rd=$rd",
				    'Set-Cookie' => 'csrf=abc; Path=/; HttpOnly',
				    'Cache-Control' => 'no-store' ]);
			}
			$c->respond(@r) or last;
		}
	});
}

# The application: says who it was told the user is, and the body.
sub app_backend {
	my ($t) = @_;
	return $t->raw_backend(body => sub {
		my ($q) = @_;
		my $u = join ',', @{ $q->{headers}{'remote-user'} // [] };
		my $e = join ',', @{ $q->{headers}{'remote-email'} // [] };
		my $g = join ',', @{ $q->{headers}{'remote-groups'} // [] };
		return "user=$u email=$e groups=$g body=" . ($q->{body} // '')
		    . "\n";
	});
}

sub app_requests {
	my ($t, $be) = @_;
	return scalar(() = $t->slurp($be->{rec}) =~ /^[A-Z]+ \S+ HTTP/mg);
}

my $t = Test::Frontd->new;
my $auth = auth_backend($t);
my $app = app_backend($t);
my $port = $t->port;
my $dead = $t->port;	# nothing listens there
my $conf = <<"EOF";
[listener test]
address = 127.0.0.1:$port

[upstream app]
server = $app->{addr}

[upstream authelia]
server = $auth->{addr}
upstream_header_timeout = 1s
upstream_read_timeout = 1s

[upstream sso2]
server = 127.0.0.1:$dead
server = $auth->{addr}
fail_timeout = 30s

[route open]
path = /open
upstream = app

[route two]
path = /two
forward_auth = http://sso2/verify
upstream = app

[route app]
forward_auth = http://authelia/api/verify?rd=x
forward_auth_request_headers = Accept
forward_auth_response_headers = Remote-User Remote-Email
upstream = app
EOF
$t->start($conf);

subtest '2xx: through, with the named fields of the answer' => sub {
	my $r = $t->get('/page?a=1', headers => [ Cookie => 'session=alice',
	    'Remote-User' => 'admin', 'Remote-Groups' => 'x' ]);
	is($r->status, 200, 'the request went on');
	is($r->content, "user=alice email=alice\@example.com groups=x body=\n",
	    "Remote-User and -Email are the auth service's, the client's "
	    . 'Remote-User is gone; an unnamed field is not copied');
	$r = $t->get('/page', headers => [ Authorization => 'Bearer good',
	    'remote-user' => 'root' ]);
	is($r->status, 200, 'a 204 lets the request through too');
	like($r->content, qr/^user=bot email= /,
	    'a client-sent remote-user in any case is stripped');

	my @q = $t->received_requests($auth);
	my $q = $q[0];
	is("$q->{method} $q->{target}", 'GET /api/verify?rd=x',
	    'the subrequest: original method, the URL path');
	my %h = map { $_ => ($q->{headers}{$_} // [''])->[0] }
	    qw(x-forwarded-method x-forwarded-uri x-forwarded-host
	    x-forwarded-proto x-forwarded-for cookie content-length
	    remote-user user-agent);
	is($h{'x-forwarded-method'}, 'GET', 'X-Forwarded-Method');
	is($h{'x-forwarded-uri'}, '/page?a=1', 'X-Forwarded-Uri');
	is($h{'x-forwarded-host'}, "127.0.0.1:$port", 'X-Forwarded-Host');
	is($h{'x-forwarded-proto'}, 'http', 'X-Forwarded-Proto');
	is($h{'x-forwarded-for'}, '127.0.0.1', 'X-Forwarded-For');
	is($h{cookie}, 'session=alice', 'the Cookie');
	is($h{'content-length'}, '0', 'Content-Length: 0, no body');
	is($h{'remote-user'}, '', 'nothing else of the client: no Remote-User');
	is($h{'user-agent'}, '', 'nor User-Agent');
	is($q[1]{headers}{authorization}[0], 'Bearer good', 'Authorization');
};

subtest '401, 403 and 3xx reach the client as they are' => sub {
	my $before = app_requests($t, $app);
	my $r = $t->get('/page', headers => [ Accept => 'application/json' ]);
	is($r->status, 401, '401');
	is($r->header('www-authenticate'), 'Bearer realm="app"',
	    'with its WWW-Authenticate');
	is($r->header('content-type'), 'application/json', 'its type');
	is($r->content, '{"error":"login"}', 'and its body');

	$r = $t->get('/page/x?y=1');
	is($r->status, 302, '302 to the login page');
	is($r->header('location'),
	    "https://auth.example.com/?rd=http://127.0.0.1:$port/page/x?y=1",
	    'its Location, built from the X-Forwarded fields');
	is($r->header('set-cookie'), 'csrf=abc; Path=/; HttpOnly',
	    'its Set-Cookie');
	is($r->header('cache-control'), 'no-store', 'its other fields');
	is($r->content, "<a>login</a>\n", 'its body');

	$r = $t->get('/page', headers => [ Cookie => 'session=mallory' ]);
	is($r->status, 403, '403');
	is($r->content, "<p>not you</p>\n", 'with its page');
	is($r->header('content-type'), 'text/html', 'and type');

	$r = $t->get('/page', headers => [ Cookie => 'session=chunked' ]);
	is($r->status, 401, 'a chunked 401');
	is($r->content, 'hello world', 'its body decoded');
	is($r->header('content-length'), '11', 'and sent with its length');
	is($r->header('transfer-encoding'), undef, 'not chunked twice');

	$r = $t->get('/page', method => 'HEAD',
	    headers => [ Cookie => 'session=mallory' ]);
	is($r->status, 403, 'HEAD: the same answer');
	is(app_requests($t, $app), $before, 'the application saw none');
};

subtest 'a refusal keeps the connection' => sub {
	my $c = $t->raw_client;
	$c->write("GET /page HTTP/1.1\r\nHost: x\r\n"
	    . "Cookie: session=mallory\r\n\r\n"
	    . "GET /page HTTP/1.1\r\nHost: x\r\n"
	    . "Cookie: session=alice\r\nConnection: close\r\n\r\n");
	my @r = grep { defined } map { $c->read_response } 1 .. 2;
	is(scalar @r, 2, 'two answers on one connection');
	is($r[0]{status}, 403, 'the refusal');
	is($r[1]{status}, 200, 'then the next request, let through');
	like($r[1]{body}, qr/^user=alice /, 'as alice');
};

subtest 'a body still reaches the application' => sub {
	my $r = $t->get('/form', method => 'POST', body => 'name=value',
	    headers => [ Cookie => 'session=alice' ]);
	is($r->status, 200, 'POST let through');
	like($r->content, qr/^user=alice .* body=name=value$/m,
	    'with its body, untouched by the subrequest');
	my @q = grep { $_->{headers}{'x-forwarded-method'} }
	    $t->received_requests($auth);
	my $q = $q[-1];
	is("$q->{method} $q->{target}", 'POST /api/verify?rd=x',
	    'the subrequest had the method');
	is($q->{headers}{'content-length'}[0], '0', 'and no body');
	is($q->{body} // '', '', 'none at all');

	my $before = app_requests($t, $app);
	$r = $t->get('/form', method => 'POST', body => 'x' x 5000,
	    headers => [ Cookie => 'session=mallory' ]);
	is($r->status, 403, 'refused POST');
	is(app_requests($t, $app), $before, 'never reached the application');
};

subtest 'the auth service connection is kept alive' => sub {
	my $n = $t->connections($auth);
	for (1 .. 5) {
		$t->get('/page', headers => [ Cookie => 'session=alice' ]);
	}
	my $r = $t->get('/page', headers => [ Cookie => 'session=mallory' ]);
	is($r->status, 403, 'still answering');
	cmp_ok($t->connections($auth) - $n, '<=', 1,
	    'six subrequests on at most one new connection');
};

subtest 'a server of the auth upstream down: another is asked' => sub {
	for (1 .. 3) {
		my $r = $t->get('/two', headers => [ Cookie => 'session=alice' ]);
		is($r->status, 200, "request $_ let through");
	}
	like($t->error_log, qr/upstream sso2 server 127\.0\.0\.1:$dead: forward_auth connect failed/,
	    'the dead server is logged');
	like($t->error_log, qr/upstream sso2 server 127\.0\.0\.1:$dead is down/,
	    'and taken out, as for proxied requests');
};

subtest 'a client that leaves during the subrequest' => sub {
	my $c = $t->raw_client;
	$c->write("GET /page HTTP/1.1\r\nHost: x\r\n"
	    . "Cookie: session=slow\r\n\r\n");
	$c->close;
	$t->wait_for(sub { $t->error_log =~ /forward_auth header timeout/ },
	    5, 'the subrequest ends under its timer');
	my $r = $t->get('/page', headers => [ Cookie => 'session=alice' ]);
	is($r->status, 200, 'frontd goes on serving');
};

subtest 'anything else, a timeout or a failure: 5xx, never through' => sub {
	my $before = app_requests($t, $app);
	my $r = $t->get('/page', headers => [ Cookie => 'session=boom' ]);
	is($r->status, 500, 'a 500 of the auth service: 500');
	unlike($r->content, qr/broken/, "frontd's page, not the service's");

	my $t0 = time;
	$r = $t->get('/page', headers => [ Cookie => 'session=slow' ],
	    timeout => 10);
	is($r->status, 504, 'too slow: 504');
	cmp_ok(time - $t0, '<', 3, 'after its timeout, not its answer');
	is(app_requests($t, $app), $before, 'the application saw none');
	is($t->get('/open')->status, 200, 'a route without forward_auth works');
	like($t->error_log, qr/upstream authelia server \S+: forward_auth unexpected answer: status 500/,
	    'the unexpected answer is logged');
	my $timeouts = () = $t->error_log =~
	    /upstream authelia server \S+: forward_auth header timeout/g;
	is($timeouts, 2, 'so is the timeout');

	$t->stop_backend($auth);
	$r = $t->get('/page', headers => [ Cookie => 'session=alice' ]);
	is($r->status, 502, 'the auth service down: 502');
	is(app_requests($t, $app), $before + 1,
	    'the application saw only /open');
	like($t->error_log, qr/forward_auth connect failed: Connection refused/,
	    'logged, naming the failure');
	$t->check_logs;
};

subtest 'frontd -t checks the configuration' => sub {
	my $t2 = Test::Frontd->new;
	my $bad = <<"EOF";
[upstream app]
server = 127.0.0.1:1

[upstream sso]
server = 127.0.0.1:2

[route a]
path = /a
forward_auth = http://nosuch/verify
upstream = app

[route b]
path = /b
forward_auth = https://sso/verify
upstream = app

[route c]
path = /c
forward_auth_response_headers = Remote-User
upstream = app

[route d]
path = /d
forward_auth = http://sso/verify
forward_auth_request_headers = X-Forwarded-For
forward_auth_response_headers = Transfer-Encoding
upstream = app
EOF
	$t2->write_config($bad);
	my ($code, $out, $err) = $t2->run_frontd('-t', '-c', $t2->conf);
	isnt($code, 0, 'refused');
	my $f = $t2->conf;
	for (['http://nosuch', qr/upstream "nosuch" is not defined/],
	    ['https://sso', qr/https:\/\/, but upstream "sso" has tls = off/],
	    ['forward_auth_response_headers = Remote-User',
	    qr/does nothing without forward_auth/],
	    ['= X-Forwarded-For', qr/frontd sends X-Forwarded-For itself/],
	    ['= Transfer-Encoding', qr/Transfer-Encoding is a field of the connection/]) {
		my ($what, $re) = @$_;
		my $line = $t2->line_of(qr/\Q$what\E/);
		like($err, qr/\Q$f\E:$line: .*$re/, "$what: at its line");
	}

	$t2->write_config(<<"EOF");
[upstream app]
server = 127.0.0.1:1

[upstream sso]
server = 127.0.0.1:2

[route a]
forward_auth = http://sso/verify
upstream = app
EOF
	($code, $out, $err) = $t2->run_frontd('-t', '-c', $t2->conf);
	is($code, 0, 'a good one passes');
	unlike($err, qr/not used/, 'an upstream used by forward_auth is used');
};

done_testing;
