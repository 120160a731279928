# Routing: which [route] a request takes (host tiers: exact, wildcard, any;
# within a tier: exact path, longest prefix, regexes in file order, no
# path; methods and listener skip a route; 404 when nothing matches), and
# what a route does (redirect with variables, return with a file or text,
# strip_prefix, rewrite, add_prefix, request and response header changes,
# Location rewriting).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);

# One request on its own connection: the parsed response (status 0 when
# none came).  opts: port, headers (array ref of "Name: value").
sub hit {
	my ($t, $method, $target, $host, %o) = @_;
	my $req = "$method $target HTTP/1.1\r\n";
	$req .= "Host: $host\r\n" if defined $host;
	$req .= "$_\r\n" for @{ $o{headers} // [] };
	$req .= "Content-Length: 0\r\n" if $method =~ /^(?:POST|PUT|PATCH)\z/;
	$req .= "Connection: close\r\n\r\n";
	my ($out) = $t->raw_request($req, timeout => 5,
	    defined $o{port} ? (port => $o{port}) : ());
	my ($r) = parse_responses($out, methods => [$method]);
	return $r // { status => 0, headers => {}, body => '', head => $out };
}

# The route that answered: its "return" text, or "status N".
sub which {
	my $r = hit(@_);
	return "status $r->{status}" unless $r->{status} == 200;
	(my $b = $r->{body}) =~ s/\s+\z//;
	return $b;
}

sub hval {
	my ($m, $name) = @_;
	my $v = $m->{headers}{ lc $name } or return undef;
	return join ', ', @$v;
}

subtest 'matching precedence' => sub {
	my $t = Test::Frontd->new;
	my ($p1, $p2) = ($t->port, $t->port);
	$t->start(<<"EOF");
[listener main]
address = 127.0.0.1:$p1

[listener admin]
address = 127.0.0.1:$p2

; host tiers
[route exact-host]
host = a.example
return = 200 exact-host

[route exact-host-api]
host = a.example
path = /api
return = 200 exact-host-api

[route two-hosts]
host = one.example two.example
host = three.example
return = 200 two-hosts

[route wild]
host = *.example
return = 200 wild

[route wild-longer]
host = *.b.example
return = 200 wild-longer

[route c-only]
host = c.example
path = /c
return = 200 c-only

[route any-api]
path = /api
return = 200 any-api

; paths within one host
[route p-short]
host = p.example
path = /app
return = 200 p-short

[route p-long]
host = p.example
path = /app/admin
return = 200 p-long

[route p-exact]
host = p.example
path = = /app/admin/login
return = 200 p-exact

[route p-regex]
host = p.example
path = ~ \\.php\$
return = 200 p-regex

[route p-regex2]
host = p.example
path = ~ ^/dir/
return = 200 p-regex2

[route p-regex-ci]
host = p.example
path = ~* \\.jpg\$
return = 200 p-regex-ci

[route p-nopath]
host = p.example
return = 200 p-nopath

; methods: skipped routes let matching go on
[route m-post]
host = m.example
path = /form
methods = POST PUT
return = 200 m-post

[route m-get]
host = m.example
path = /form
methods = GET
return = 200 m-get

[route m-any]
host = m.example
path = /form
return = 200 m-any

[route m-exact-post]
host = m.example
path = = /only-post
methods = POST
return = 200 m-exact-post

[route m-nopath]
host = m.example
return = 200 m-nopath

; listeners
[route l-admin]
host = l.example
listener = admin
return = 200 l-admin

[route l-any]
host = l.example
return = 200 l-any

[route default]
return = 200 default
EOF

	# Host tiers.
	is(which($t, 'GET', '/api/x', 'a.example'), 'exact-host-api',
	    'exact host, prefix /api');
	is(which($t, 'GET', '/other', 'a.example'), 'exact-host',
	    'exact host, no path: the host\'s route without path');
	is(which($t, 'GET', '/api', 'x.example'), 'wild',
	    'wildcard host beats a host-less route with a matching path');
	is(which($t, 'GET', '/', 'x.b.example'), 'wild-longer',
	    '*.b.example beats *.example for x.b.example (longest suffix)');
	is(which($t, 'GET', '/', 'deep.x.b.example'), 'wild-longer',
	    'a deeper name matches the wildcard too');
	is(which($t, 'GET', '/api/v1', 'other.org'), 'any-api',
	    'no host route: the host-less /api');
	is(which($t, 'GET', '/zzz', 'other.org'), 'default',
	    'nothing else: the route without host and path');
	is(which($t, 'GET', '/', 'two.example'), 'two-hosts',
	    'two names on one host line');
	is(which($t, 'GET', '/', 'three.example'), 'two-hosts',
	    'a repeated host line');
	is(which($t, 'GET', '/api', 'A.Example'), 'exact-host-api',
	    'host is matched case-insensitively');
	is(which($t, 'GET', '/api', "a.example:$p1"), 'exact-host-api',
	    'the port of Host is ignored');
	is(which($t, 'GET', '/api', 'a.example.'), 'exact-host-api',
	    'a trailing dot is ignored');
	is(which($t, 'GET', 'http://a.example/api', 'other.org'), 'exact-host-api',
	    'an absolute-form target gives the host, not the Host header');
	is(which($t, 'GET', '/%61pi//x/../v1', 'a.example'), 'exact-host-api',
	    'the path is normalized before matching: /%61pi//x/../v1 is /api/v1');
	is(which($t, 'GET', '/api/../other', 'a.example'), 'exact-host',
	    '/api/../other is not under /api');
	is(hit($t, 'GET', '/../etc/passwd', 'a.example')->{status}, 400,
	    'a path above the root: 400');
	is(which($t, 'GET', '/c', 'c.example'), 'c-only', 'c.example /c');
	is(which($t, 'GET', '/zzz', 'c.example'), 'wild',
	    'nothing of the exact tier matches: the wildcard tier is tried');

	# Paths within one host.
	is(which($t, 'GET', '/app/admin/login', 'p.example'), 'p-exact',
	    '= /app/admin/login: the exact path first');
	is(which($t, 'GET', '/app/admin/login?next=/', 'p.example'), 'p-exact',
	    'the query is not part of the path');
	is(which($t, 'GET', '/app/admin/login/x', 'p.example'), 'p-long',
	    'exact does not match a longer path: the longest prefix');
	is(which($t, 'GET', '/app/admin/x.php', 'p.example'), 'p-long',
	    'a prefix beats a regex');
	is(which($t, 'GET', '/app/x', 'p.example'), 'p-short', 'the shorter prefix');
	is(which($t, 'GET', '/x.php', 'p.example'), 'p-regex', 'a regex');
	is(which($t, 'GET', '/dir/x.php', 'p.example'), 'p-regex',
	    'two regexes match: the first in the file');
	is(which($t, 'GET', '/dir/x.txt', 'p.example'), 'p-regex2',
	    'only the second regex matches');
	is(which($t, 'GET', '/IMG.JPG', 'p.example'), 'p-regex-ci',
	    '~* is case-insensitive');
	is(which($t, 'GET', '/X.PHP', 'p.example'), 'p-nopath',
	    '~ is case-sensitive');
	is(which($t, 'GET', '/zzz', 'p.example'), 'p-nopath',
	    'no path matches: the host\'s route without path');

	# Methods.
	is(which($t, 'POST', '/form', 'm.example'), 'm-post', 'POST /form');
	is(which($t, 'PUT', '/form', 'm.example'), 'm-post', 'PUT /form');
	is(which($t, 'GET', '/form', 'm.example'), 'm-get',
	    'GET /form: the POST route is skipped');
	is(which($t, 'DELETE', '/form', 'm.example'), 'm-any',
	    'DELETE /form: the route without methods');
	is(which($t, 'POST', '/only-post', 'm.example'), 'm-exact-post',
	    'POST = /only-post');
	is(which($t, 'GET', '/only-post', 'm.example'), 'm-nopath',
	    'GET = /only-post: the exact route is skipped, matching goes on');

	# Listeners.
	is(which($t, 'GET', '/', 'l.example', port => $p2), 'l-admin',
	    'on listener admin: the admin route');
	is(which($t, 'GET', '/', 'l.example', port => $p1), 'l-any',
	    'on listener main: the admin route is skipped');
	is(which($t, 'GET', '/zzz', 'other.org', port => $p2), 'default',
	    'the default route on the other listener too');

	$t->check_logs;
};

subtest 'no route matches: 404' => sub {
	my $t = Test::Frontd->new;
	$t->start(<<"EOF");
[route only]
host = only.example
path = /yes
methods = GET
return = 200 only
EOF
	is(which($t, 'GET', '/yes', 'only.example'), 'only', 'the route matches');
	my $r = hit($t, 'GET', '/yes', 'other.example');
	is($r->{status}, 404, 'another host: 404 from frontd') or diag($r->{head});
	is(hit($t, 'GET', '/no', 'only.example')->{status}, 404, 'another path: 404');
	is(hit($t, 'POST', '/yes', 'only.example')->{status}, 404,
	    'another method: 404');
	is(which($t, 'GET', '/yes', 'only.example'), 'only', 'frontd still serves');
	$t->check_logs;
};

# A backend that reports what it got and answers some paths specially.
sub handler {
	my ($c) = @_;
	my $port = $c->sock->sockport;
	while (my $q = $c->read_request) {
		my $t = $q->{target};
		if ($t eq '/loc/abs') {
			$c->respond(302, reason => 'Found', headers => [
			    Location => "http://127.0.0.1:$port/target?x=1",
			    'Content-Location' => "http://127.0.0.1:$port/cl" ]) or last;
		} elsif ($t eq '/loc/name') {
			$c->respond(302, reason => 'Found', headers => [
			    Location => 'http://internal.app:8080/p' ]) or last;
		} elsif ($t eq '/loc/other') {
			$c->respond(302, reason => 'Found', headers => [
			    Location => 'http://elsewhere.example/x' ]) or last;
		} elsif ($t eq '/loc/rel') {
			$c->respond(302, reason => 'Found', headers => [
			    Location => '/relative' ]) or last;
		} else {
			$c->respond(200, body => "got $t\n", headers => [
			    Server => 'backend/1.0',
			    'X-Powered-By' => 'PHP/8.3',
			    'X-Backend-Set' => 'original',
			    'X-Kept' => 'yes' ]) or last;
		}
	}
}

subtest 'actions' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	my $dir = $t->dir;
	my $html = "<html><body>down for maintenance</body></html>\n";
	$t->spew("$dir/maint.html", $html);
	$t->spew("$dir/status.json", qq({"ok":true}\n));
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route redirect]
host = r.example
redirect = 301 https://\$host\$request_uri

[route redirect-braces]
host = r2.example
redirect = 308 \${scheme}://new.example\${request_uri}

[route return-file]
host = ret.example
path = /maint
return = 503 $dir/maint.html

[route return-json]
host = ret.example
path = /status
return = 200 $dir/status.json

[route return-text]
host = ret.example
path = /text
return = 200 hello from frontd

[route return-empty]
host = ret.example
path = /empty
return = 204

[route strip]
host = s.example
path = /api
strip_prefix = /api
upstream = app

[route add]
host = add.example
add_prefix = /v2
upstream = app

[route rewrite]
host = rw.example
rewrite = ^/user/([a-z]+)/post/([0-9]+)\$ /posts/\$2/by/\$1
upstream = app

[route all-three]
host = s3.example
strip_prefix = /old
rewrite = ^/item/([0-9]+)\$ /items?id=\$1
add_prefix = /base
upstream = app

[route headers]
host = h.example
set_request_header = X-Env: prod
set_request_header = X-Orig-Uri: \$request_uri
set_request_header = X-Client: \$remote_addr
set_request_header = X-Who: \${host} \$http_x_user \$cookie_sess
set_request_header = X-Port: \$server_port \$uri \$args
remove_request_header = X-Secret
remove_request_header = X-Debug
set_response_header = X-Frame-Options: DENY
set_response_header = X-Backend-Set: overridden
remove_response_header = Server
remove_response_header = X-Powered-By
upstream = app

[route loc]
host = loc.example
upstream = app

[route loc-proxy-host]
host = locph.example
proxy_host = internal.app:8080
upstream = app

[route loc-off]
host = locoff.example
rewrite_location = off
upstream = app
EOF
	my $id = 0;
	# The request the backend got for the client request with X-Req-Id.
	my $sent = sub {
		my ($want) = @_;
		my ($q) = grep { (hval($_, 'x-req-id') // '') eq $want }
		    $t->received_requests($be);
		return $q // { target => '(not received)', headers => {}, head => '' };
	};
	my $proxy = sub {
		my ($target, $host, @h) = @_;
		$id++;
		my $r = hit($t, 'GET', $target, $host, headers => [ "X-Req-Id: $id", @h ]);
		return ($r, $sent->($id));
	};

	# redirect
	my $r = hit($t, 'GET', '/a/b?x=1&y=2', 'r.example');
	is($r->{status}, 301, 'redirect: 301') or diag($r->{head});
	is(hval($r, 'location'), 'https://r.example/a/b?x=1&y=2',
	    'Location: https://$host$request_uri');
	$r = hit($t, 'GET', '/a', 'R.Example:8080');
	is(hval($r, 'location'), 'https://r.example/a',
	    '$host is lower case, without the port');
	$r = hit($t, 'POST', '/form?q', 'r2.example');
	is($r->{status}, 308, 'redirect: 308');
	is(hval($r, 'location'), 'http://new.example/form?q',
	    '${scheme}://new.example${request_uri}');
	is($t->connections($be), 0, 'no redirect reached the backend');

	# return
	$r = hit($t, 'GET', '/maint', 'ret.example');
	is($r->{status}, 503, 'return 503 FILE: 503');
	is($r->{body}, $html, 'the file is the body');
	like(hval($r, 'content-type') // '', qr{^text/html\b}, 'text/html for .html');
	$r = hit($t, 'GET', '/status', 'ret.example');
	is($r->{status}, 200, 'return 200 FILE.json');
	is($r->{body}, qq({"ok":true}\n), 'the JSON body');
	like(hval($r, 'content-type') // '', qr{^application/json\b},
	    'application/json for .json');
	$r = hit($t, 'GET', '/text', 'ret.example');
	is($r->{status}, 200, 'return 200 TEXT');
	like($r->{body}, qr/\Ahello from frontd\n?\z/, 'the text is the body');
	like(hval($r, 'content-type') // '', qr{^text/plain\b}, 'text/plain');
	$r = hit($t, 'HEAD', '/maint', 'ret.example');
	is($r->{status}, 503, 'HEAD of a return: same status');
	is(hval($r, 'content-length'), length $html, 'and the Content-Length');
	$r = hit($t, 'GET', '/empty', 'ret.example');
	is($r->{status}, 204, 'return 204 without a body');
	is($r->{body}, '', 'no body');

	# strip_prefix, add_prefix, rewrite
	my $q;
	($r, $q) = $proxy->('/api/users?x=1', 's.example');
	is($r->{status}, 200, 'strip_prefix: 200');
	is($q->{target}, '/users?x=1', 'strip_prefix /api: /api/users?x=1 -> /users?x=1');
	($r, $q) = $proxy->('/api', 's.example');
	is($q->{target}, '/', 'strip_prefix of the whole path leaves /');
	($r, $q) = $proxy->('/api?k=v', 's.example');
	is($q->{target}, '/?k=v', 'and keeps the query');

	($r, $q) = $proxy->('/api//users/./x?y=1', 's.example');
	is($q->{target}, '/users/x?y=1', 'strip_prefix works on the normalized path');
	($r, $q) = $proxy->('/a//b/./c?d', 'loc.example');
	is($q->{target}, '/a//b/./c?d',
	    'without path changes the path goes upstream as the client sent it');

	($r, $q) = $proxy->('/x/y?q=1', 'add.example');
	is($q->{target}, '/v2/x/y?q=1', 'add_prefix /v2: /x/y?q=1 -> /v2/x/y?q=1');

	($r, $q) = $proxy->('/user/bob/post/42?x=1&y=2', 'rw.example');
	is($r->{status}, 200, 'rewrite: 200');
	is($q->{target}, '/posts/42/by/bob?x=1&y=2',
	    'rewrite with $1 $2, the query kept');
	($r, $q) = $proxy->('/user/BOB/post/42', 'rw.example');
	is($q->{target}, '/user/BOB/post/42', 'a path the regex does not match is unchanged');

	($r, $q) = $proxy->('/old/item/5?z=1', 's3.example');
	is($q->{target}, '/base/items?id=5',
	    'strip_prefix, then rewrite (a ? replaces the query), then add_prefix');

	# Request headers.
	($r, $q) = $proxy->('/hdr?a=b', 'h.example', 'X-Env: dev', 'X-Secret: s3cret',
	    'X-Debug: 1', 'X-User: alice', 'Cookie: theme=dark; sess=abc123',
	    'X-Other: kept');
	is($r->{status}, 200, 'header route: 200');
	is_deeply($q->{headers}{'x-env'}, ['prod'],
	    'set_request_header replaces the client\'s X-Env') or diag($q->{head});
	is_deeply($q->{headers}{'x-orig-uri'}, ['/hdr?a=b'], '$request_uri');
	is_deeply($q->{headers}{'x-client'}, ['127.0.0.1'], '$remote_addr');
	is_deeply($q->{headers}{'x-who'}, ['h.example alice abc123'],
	    '${host} $http_x_user $cookie_sess');
	is_deeply($q->{headers}{'x-port'}, ["$t->{port} /hdr a=b"],
	    '$server_port $uri $args');
	ok(!$q->{headers}{'x-secret'}, 'remove_request_header X-Secret');
	ok(!$q->{headers}{'x-debug'}, 'remove_request_header X-Debug');
	is_deeply($q->{headers}{'x-other'}, ['kept'], 'other headers pass');

	# Response headers.
	ok(!$r->{headers}{server}, 'remove_response_header Server: no Server at all')
	    or diag($r->{head});
	ok(!$r->{headers}{'x-powered-by'}, 'remove_response_header X-Powered-By');
	is_deeply($r->{headers}{'x-frame-options'}, ['DENY'], 'set_response_header');
	is_deeply($r->{headers}{'x-backend-set'}, ['overridden'],
	    'set_response_header replaces the backend\'s header');
	is_deeply($r->{headers}{'x-kept'}, ['yes'], 'other response headers pass');
	($r, $q) = $proxy->('/plain', 'loc.example', 'X-Env: dev');
	is_deeply($r->{headers}{server}, ['backend/1.0'],
	    'another route passes Server');
	is_deeply($q->{headers}{'x-env'}, ['dev'], 'and X-Env from the client');

	# Location rewriting.
	my $port = $be->{port};
	$r = hit($t, 'GET', '/loc/abs', 'loc.example');
	is($r->{status}, 302, 'a redirect from the backend');
	is(hval($r, 'location'), 'http://loc.example/target?x=1',
	    'Location http://127.0.0.1:PORT/... becomes http://loc.example/...');
	is(hval($r, 'content-location'), 'http://loc.example/cl',
	    'Content-Location too');
	$r = hit($t, 'GET', '/loc/abs', 'loc.example:8080');
	is(hval($r, 'location'), 'http://loc.example:8080/target?x=1',
	    'the Host as sent, port included');
	$r = hit($t, 'GET', '/loc/other', 'loc.example');
	is(hval($r, 'location'), 'http://elsewhere.example/x',
	    'a Location elsewhere is unchanged');
	$r = hit($t, 'GET', '/loc/rel', 'loc.example');
	is(hval($r, 'location'), '/relative', 'a relative Location is unchanged');
	$r = hit($t, 'GET', '/loc/name', 'locph.example');
	is(hval($r, 'location'), 'http://locph.example/p',
	    'a Location at proxy_host is rewritten');
	$r = hit($t, 'GET', '/loc/abs', 'locoff.example');
	is(hval($r, 'location'), "http://127.0.0.1:$port/target?x=1",
	    'rewrite_location = off: unchanged');

	# frontd's own answers keep the connection: pipelined requests are
	# answered in order on it.
	my $pipeline = sub {
		my ($bytes) = @_;
		my $c = $t->raw_client;
		$c->write($bytes);
		my @got;
		for (1 .. 4) {
			my $r = $c->read_response(timeout => 5) or last;
			push @got, $r->{status};
			if (grep { lc eq 'close' } @{ $r->{headers}{connection} // [] }) {
				push @got, 'close';
				last;
			}
		}
		$c->close;
		return "@got";
	};
	is($pipeline->("GET /a HTTP/1.1\r\nHost: r.example\r\n\r\n"
	    . "GET /text HTTP/1.1\r\nHost: ret.example\r\n\r\n"
	    . "GET /nowhere HTTP/1.1\r\nHost: ret.example\r\n\r\n"
	    . "GET /kept HTTP/1.1\r\nHost: loc.example\r\n\r\n"),
	    '301 200 404 200',
	    'pipelined redirect, return, 404 and proxied requests on one connection');
	# With a request body: read past it, or close the connection saying
	# so; never parse the body as the next request.
	my $got = $pipeline->("POST /form HTTP/1.1\r\nHost: r.example\r\nContent-Length: 11\r\n\r\nhello=world"
	    . "GET /text HTTP/1.1\r\nHost: ret.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	    . "GET /kept HTTP/1.1\r\nHost: loc.example\r\n\r\n");
	like($got, qr/^(?:301 close|301 200 close|301 200 200)\z/,
	    "a body sent to a redirect or a return is not taken for a request ($got)");

	$t->check_logs;
};


# Fixes from the review of the routing change.

subtest 'HTTP/1.0 without Host; HTTP/1.0 keep-alive on our own answers' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->raw_backend(body => sub { "got $_[0]{target}\n" });
	my $b = $t->raw_backend(body => sub { "got $_[0]{target}\n" });
	$t->start(<<"EOF");
[upstream app]
server = $a->{addr} down
server = $b->{addr}

[route text]
path = /text
return = 200 hello

[route all]
upstream = app
EOF
	my @w = $t->workers;
	is(scalar @w, 1, 'one worker');
	my ($out) = $t->raw_request("GET / HTTP/1.0\r\n\r\n", timeout => 5);
	my ($r) = parse_responses($out);
	is($r && $r->{status}, 200, 'GET / HTTP/1.0 without Host to a proxy route: 200')
	    or diag($out);
	like($r ? $r->{body} : '', qr/^got \/$/, 'the backend answered');
	my @q = $t->received_requests($b);
	is(scalar @q, 1, 'the backend got the request');
	is_deeply($q[0] && $q[0]{headers}{host}, [ $a->{addr} ],
	    "it carries Host: the upstream's first server as written ($a->{addr})")
	    or diag($q[0] ? $q[0]{head} : 'no request');
	is_deeply([ $t->workers ], \@w, 'the worker is still the same process');
	is($t->connections($a), 0, 'the down server got nothing');

	my $c = $t->raw_client;
	$c->write("GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	$r = $c->read_response(timeout => 5);
	is($r && $r->{status}, 200, 'HTTP/1.0 keep-alive to a return route: 200');
	is_deeply($r && $r->{headers}{connection}, ['keep-alive'],
	    'the answer says Connection: keep-alive') or diag($r ? $r->{head} : 'none');
	$c->write("GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	$r = $c->read_response(timeout => 5);
	is($r && $r->{status}, 200, 'a second request on the same connection is answered')
	    or diag($c->closed ? 'frontd closed the connection' : 'no answer');
	$c->close;
	$t->check_logs;
};

subtest 'strip_prefix always leaves a path starting with /' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "got $_[0]{target}\n" });
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route api]
path = /api
strip_prefix = /api
upstream = app
EOF
	for my $case ([ '/apix?q=1', '/x?q=1' ], [ '/api', '/' ], [ '/api/v1', '/v1' ]) {
		my ($in, $want) = @$case;
		my $r = hit($t, 'GET', $in, 's.example');
		is($r->{status}, 200, "$in: 200");
		is($r->{body}, "got $want\n", "$in reaches the backend as GET $want")
		    or diag($r->{head});
	}
	$t->check_logs;
};

subtest 'a regex that cannot decide fails closed' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "got $_[0]{target}\n" });
	$t->start(<<"EOF");
[global]
max_request_line = 64K

[upstream app]
server = $be->{addr}

[route secret]
path = ~ ^(/[a-z]+)+/secret\$
return = 403

[route all]
upstream = app
EOF
	is(hit($t, 'GET', '/a/secret', 'x.example')->{status}, 403, '/a/secret: 403');
	is(hit($t, 'GET', '/a/public', 'x.example')->{status}, 200,
	    '/a/public: the default route, 200');
	my $long = ('/a' x 3000) . '/secret';
	my $r = hit($t, 'GET', $long, 'x.example');
	like($r->{status}, qr/^(?:403|500)\z/,
	    "/a x 3000 + /secret: 403 or 500, never the backend (got $r->{status})");
	ok(!grep({ $_->{target} =~ /secret/ } $t->received_requests($be)),
	    'no /secret path reached the backend');
	is(hit($t, 'GET', '/a/secret', 'x.example')->{status}, 403,
	    'frontd still answers afterwards');
	$t->check_logs(allow => [ qr/match limit/ ]);
};

subtest 'route paths are normalized at load' => sub {
	my $t = Test::Frontd->new;
	$t->start(<<"EOF");
[route tilde]
path = /%7Euser/
return = 200 tilde

[route default]
return = 200 default
EOF
	is(which($t, 'GET', '/~user/x', 'x.example'), 'tilde',
	    'path = /%7Euser/ matches /~user/x');
	is(which($t, 'GET', '/%7euser/x', 'x.example'), 'tilde', 'and /%7euser/x');
	is(which($t, 'GET', '/~other/x', 'x.example'), 'default', 'not /~other/x');
	$t->check_logs;
};

done_testing;
