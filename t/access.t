# Access rules (frontd.conf(5), ACCESS CONTROL): allow and deny per
# listener and per route, first match wins; the client's address behind
# trusted proxies (real_ip_header), and what an untrusted peer cannot
# spoof; the route's filters (deny_path after normalization, deny_method,
# deny_header, deny_query raw and decoded, deny_status) and its body
# limit. Each refusal reaches no backend and is logged, naming its rule.
# Other clients use loopback source addresses: 127.0.0.2, 127.0.0.3.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

sub seen_by {
	my ($t, $be) = @_;
	return scalar(() = $t->slurp("$be->{rec}") =~ /^[A-Z]+ \S+ HTTP/mg);
}

# A backend that says who it was told the client is.
sub echo_backend {
	my ($t) = @_;
	return $t->raw_backend(body => sub {
		my ($q) = @_;
		my $ip = ($q->{headers}{'x-real-ip'} // [''])->[0];
		my $xff = ($q->{headers}{'x-forwarded-for'} // [''])->[0];
		return "path=$q->{target} real=$ip xff=$xff\n";
	});
}

subtest 'listener and route rules, first match wins' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $page = $t->dir . '/403.html';
	$t->spew($page, "<p>not for you</p>\n");
	my $port = $t->port;
	$t->start(<<"EOF");
[global]
error_page = 403 $page

[listener test]
address = 127.0.0.1:$port
deny = 127.0.0.3
allow = 127.0.0.0/8
deny = all

[upstream app]
server = $be->{addr}

[route admin]
path = /admin
allow = 127.0.0.1/32
deny = 127.0.0.0/8
upstream = app

[route page]
path = /page
deny = 127.0.0.1
return = 200 page

[route all]
upstream = app
EOF
	is($t->get('/x')->status, 200, '127.0.0.1 passes the listener');
	is($t->get('/x', from => '127.0.0.2')->status, 200, '127.0.0.2 too');
	my $r = $t->get('/x', from => '127.0.0.3');
	is($r->status, 403, '127.0.0.3: denied by the listener before the allow');
	like($r->content, qr/not for you/, "with the admin's error page");
	is($t->get('/admin/x')->status, 200, 'route: 127.0.0.1/32 allowed first');
	is($t->get('/admin/x', from => '127.0.0.2')->status, 403,
	    'route: 127.0.0.2 falls to deny 127.0.0.0/8');
	is($t->get('/admin/x', from => '127.0.0.3')->status, 403,
	    'the listener refuses before the route allows');
	is($t->get('/page')->status, 403, 'a return route is guarded too');
	is($t->get('/page', from => '127.0.0.2')->status, 200,
	    'and answers the others');
	is(seen_by($t, $be), 3, 'no refused request reached the backend');
	my $log = $t->error_log;
	like($log, qr/127\.0\.0\.3 403: refused by deny 127\.0\.0\.3\/32 \(listener\)/,
	    'the log names the listener rule');
	like($log, qr/127\.0\.0\.2 403: refused by deny 127\.0\.0\.0\/8 \(route\) in route admin/,
	    'and the route rule, with its route');
	$t->check_logs;
};

subtest 'real_ip_header behind trusted proxies; spoofing' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	$t->start(<<"EOF");
[global]
trusted_proxies = 127.0.0.1, 10.0.0.0/8
real_ip_header = X-Forwarded-For

[upstream app]
server = $be->{addr}

[route all]
deny = 203.0.113.9
upstream = app
EOF
	my $xff = sub { (headers => [ 'X-Forwarded-For' => $_[0] ]) };
	my $r = $t->get('/a', $xff->('198.51.100.1'));
	is($r->status, 200, 'a trusted peer names the client');
	like($r->content, qr/real=198\.51\.100\.1 /, 'X-Real-IP is that client');
	like($r->content, qr/xff=198\.51\.100\.1, 127\.0\.0\.1$/m,
	    'X-Forwarded-For keeps the chain and adds the peer');
	is($t->get('/b', $xff->('203.0.113.9'))->status, 403,
	    'the named client is the one the rules see');
	is($t->get('/c', $xff->('203.0.113.9, 10.1.2.3'))->status, 403,
	    'trusted hops on the right are skipped');
	$r = $t->get('/d', $xff->('203.0.113.9, 198.51.100.7'));
	is($r->status, 200, 'a client cannot hide behind a hop it writes');
	like($r->content, qr/real=198\.51\.100\.7 /,
	    'the rightmost untrusted hop is the client');
	$r = $t->get('/e', headers => [ 'X-Forwarded-For' => '203.0.113.9',
	    'X-Forwarded-For' => '10.0.0.1' ]);
	is($r->status, 403, 'several field lines are one list');
	$r = $t->get('/f', $xff->('garbage, 198.51.100.2'));
	like($r->content, qr/real=198\.51\.100\.2 /,
	    'a hop that is no address ends the walk');
	$r = $t->get('/g', from => '127.0.0.2', $xff->('203.0.113.9'));
	is($r->status, 200, 'an untrusted peer cannot claim an address');
	like($r->content, qr/real=127\.0\.0\.2 /, 'it is itself the client');
	like($r->content, qr/xff=127\.0\.0\.2$/m, 'and its list is dropped');
	$r = $t->get('/h', from => '127.0.0.2', $xff->('198.51.100.1'));
	like($t->access_log, qr/^198\.51\.100\.1 .*"GET \/a /m,
	    'the access log names the real client');
	like($t->access_log, qr/^127\.0\.0\.2 .*"GET \/h /m,
	    'and the untrusted peer as itself');
	$t->check_logs;
};

subtest 'filters: deny_path after normalization, methods, headers, query' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route guarded]
deny_path = /admin
deny_path = /secret icase
deny_method = TRACE, PROPFIND
deny_header = User-Agent (?i)sqlmap|nikto
deny_query = (?i)<script|union\\s+select
upstream = app

[route soft]
host = soft.test
deny_path = /hidden
deny_status = 404
upstream = app
EOF
	my @denied = ('/admin', '/admin/users', '/%61dmin', '//admin',
	    '/x/../admin', '/./admin/', '/secret', '/SeCrEt/x', '/%53ECRET');
	for my $p (@denied) {
		is($t->get($p)->status, 403, "deny_path: $p");
	}
	is($t->get('/Admin')->status, 200, 'deny_path is exact in case unless icase');
	is($t->get('/public')->status, 200, 'another path passes');
	is($t->get('/x', method => 'TRACE')->status, 403, 'deny_method TRACE');
	is($t->get('/x', method => 'PROPFIND')->status, 403,
	    'deny_method with an extension method');
	is($t->get('/x', method => 'DELETE')->status, 200, 'DELETE is not denied');
	is($t->get('/x', headers => [ 'User-Agent' => 'sqlmap/1.7' ])->status,
	    403, 'deny_header on User-Agent');
	is($t->get('/x', headers => [ 'User-Agent' => 'NiKtO' ])->status,
	    403, 'the regex decides case');
	is($t->get('/x?q=%3Cscript%3E')->status, 403,
	    'deny_query sees the decoded query');
	is($t->get('/x?q=1+UNION+SELECT+2')->status, 403,
	    '+ decodes to a space');
	is($t->get('/x?q=hello')->status, 200, 'a plain query passes');
	is($t->get('/hidden', host => 'soft.test')->status, 404,
	    'deny_status chooses the answer');
	is(seen_by($t, $be), 4, 'only the allowed requests reached the backend');
	my $log = $t->error_log;
	like($log, qr/403: refused by deny_path \/admin in route guarded/,
	    'the log names deny_path and its prefix');
	like($log, qr/refused by deny_method TRACE/, 'deny_method');
	like($log, qr/refused by deny_header User-Agent/, 'deny_header');
	like($log, qr/refused by deny_query in route guarded/, 'deny_query');
	$t->check_logs;
};

subtest 'client_max_body_size per route' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	$t->start(<<"EOF");
[global]
client_max_body_size = 1K

[upstream app]
server = $be->{addr}

[route upload]
path = /upload
client_max_body_size = 10K
upstream = app

[route tiny]
path = /tiny
client_max_body_size = 100
upstream = app

[route all]
upstream = app
EOF
	my $body = 'x' x 5000;
	is($t->get('/upload', method => 'POST', body => $body)->status, 200,
	    'a route may allow more than [global]');
	is($t->get('/other', method => 'POST', body => $body)->status, 413,
	    'elsewhere [global] holds');
	is($t->get('/tiny', method => 'POST', body => 'y' x 200)->status, 413,
	    'or less');
	my $chunked = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    . "Connection: close\r\n\r\n" . sprintf("%x\r\n%s\r\n", 12000, 'z' x 12000)
	    . "0\r\n\r\n";
	like(scalar $t->raw_request($chunked), qr{^HTTP/1\.1 413 },
	    'a chunked body past the route limit: 413');
	like($t->error_log, qr/refused by client_max_body_size in route tiny/,
	    'logged with its route');
	$t->check_logs;
};

subtest 'mistakes are errors at their line' => sub {
	my $t = Test::Frontd->new;
	for my $case ([ "allow = 10.0.0.0/33", 'allow' ],
	    [ "deny = everyone", 'deny' ],
	    [ "deny_path = admin", 'deny_path' ],
	    [ "deny_path = /admin sometimes", 'deny_path' ],
	    [ "deny_header = User-Agent", 'deny_header' ],
	    [ "deny_header = User-Agent (", 'deny_header' ],
	    [ "deny_query = (", 'deny_query' ],
	    [ "deny_status = 200", 'deny_status' ]) {
		$t->route_key_refused(@$case);
	}
};

done_testing;
