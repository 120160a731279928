# frontd -t -e REQUEST (frontd(8)): what a request would meet in a
# configuration, one fact per line with the file:line responsible: the
# listener, the host and the normalized path, the route the router picks
# and why the others did not, access rules and deny filters, maintenance,
# the rewritten target, the upstream and its servers. Exit 0 with a valid
# configuration, 1 with an invalid one, 2 for a request it cannot read.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();
my %C = (a => $pki->cert('a', names => ['shop.example.com']));
tls_certs(\%C);

my $t = Test::Frontd->new;
my ($pp, $p, $pr, $unused) = ($t->port, $t->port, $t->port, $t->port);
$t->write_config(<<"EOF"
[global]
cache_size = 1M

[listener plain]
address = 127.0.0.1:$pp
http2 = on

EOF
    . tls_listener(port => $p, certs => ['a']) . <<"EOF");
[listener redir]
address = 127.0.0.1:$pr
redirect_to_https = on

[upstream app]
server = 127.0.0.1:9 weight=5
server = 127.0.0.1:10 backup
server = 127.0.0.1:11 drain
balance = least_conn
health_check = GET /healthz
health_interval = 3s

[upstream quiet]
server = 127.0.0.1:12
maintenance = on

[route admin]
host = shop.example.com
path = /admin
allow = 10.0.0.0/8
deny = all
upstream = app

[route api]
host = *.example.com
path = /api/
strip_prefix = /api
add_prefix = /v2
deny_path = /api/private
deny_query = (?i)union.+select
deny_header = User-Agent sqlmap
set_request_header = X-Client: \$remote_addr
cache = on
upstream = app

[route api-v1]
host = *.example.com
path = /api/v1/
upstream = app

[route home]
host = shop.example.com
path = =/
return = 200 home

[route legacy]
path = ~ ^/old/
rewrite = ^/old/(.*)\$ /new/\$1
upstream = app

[route forms]
host = forms.example.com
methods = POST
upstream = app

[route plain-only]
host = plain.example.com
listener = plain
return = 200 plain

[route quiet]
host = quiet.example.com
upstream = quiet
EOF
my $conf = $t->conf;

# "frontd.conf:N" of the first line matching re after the line matching
# section (a section header), so that repeated keys are told apart.
sub at {
	my ($section, $re) = @_;
	my @l = split /\n/, $t->slurp($conf), -1;
	my $i = 0;
	if (defined $section) {
		$i++ while $i < @l && $l[$i] !~ /^\Q$section\E$/;
		die "no $section" if $i == @l;
		return "$conf:" . ($i + 1) unless defined $re;
	}
	for (; $i < @l; $i++) {
		return "$conf:" . ($i + 1) if $l[$i] =~ $re;
	}
	die "no line matches $re after " . ($section // 'the start');
}

sub run_explain {
	my ($req) = @_;
	my ($rc, $out, $err) = $t->run_frontd('-t', '-c', $conf, '-e', $req);
	return ($rc, $out, $err);
}

# Each expected line must be printed as a whole line, in this order.
sub explains {
	my ($req, $name, @lines) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	subtest $name => sub {
		my ($rc, $out, $err) = run_explain($req);
		is($rc, 0, 'exit 0');
		like($out, qr/\Aconfiguration ok\n/, '"configuration ok" first');
		is($err, '', 'nothing on stderr') or diag($err);
		my $pos = 0;
		for my $l (@lines) {
			my $re = ref $l ? $l : qr/^\Q$l\E$/m;
			pos($out) = $pos;
			if ($out =~ /$re/gm) {
				pass("prints: $l");
				$pos = pos($out);
			} else {
				fail("prints: $l");
				diag($out);
			}
		}
	};
}

sub never {
	my ($req, $re, $name) = @_;
	my (undef, $out) = run_explain($req);
	unlike($out, $re, $name) or diag($out);
}

explains("GET https://shop.example.com:$p/api/cart?id=7",
    'a TLS request through a wildcard route, rewritten, to its servers',
    "request: GET https://shop.example.com:$p/api/cart?id=7",
    'host: shop.example.com',
    'path: /api/cart',
    'query: id=7',
    at('[listener tls]', qr/^address/) . ": [listener tls] on "
	. "127.0.0.1:$p takes https on port $p (TLS, HTTP/2 by ALPN)",
    at('[route admin]', qr/^path/) . ': [route admin] does not take it: '
	. 'path /api/cart does not start with /admin',
    at('[route api]') . ': [route api] takes it',
    at('[route api]', qr/^host/) . ': host shop.example.com matches '
	. '[route api] (wildcard)',
    at('[route api]', qr/^path/) . ': path /api/cart matches prefix /api/',
    at('[route api]', qr/^strip_prefix/) . ': strip_prefix /api leaves /cart',
    at('[route api]', qr/^add_prefix/) . ': add_prefix /v2 gives /v2/cart',
    'target sent upstream: /v2/cart?id=7',
    "Host sent upstream: shop.example.com:$p",
    at('[route api]', qr/^upstream/) . ': it goes to [upstream app], '
	. 'written at ' . at('[upstream app]'),
    at('[upstream app]', qr/^balance/) . ': balance least_conn',
    at('[upstream app]', qr/^server/) . ': server 127.0.0.1:9 weight 5',
    at('[upstream app]', qr/:10 backup/) . ': server 127.0.0.1:10 weight 1, '
	. 'backup: only when every other server is down',
    at('[upstream app]', qr/:11 drain/) . ': server 127.0.0.1:11 weight 1, '
	. 'drain: no new requests',
    at('[upstream app]', qr/^health_check/) . ': health check: GET /healthz '
	. 'every 3s, timeout 2s, expects 200-399, up after 2, down after 3',
    at('[route api]', qr/^set_request_header/) . ': [route api] sets '
	. 'request header X-Client: ${remote_addr}',
    at('[route api]', qr/^cache/) . ": cache on in [route api], key "
	. "https://shop.example.com:$p/api/cart?id=7");

explains("GET http://shop.example.com:$pp/api/v1/x from 192.0.2.9",
    'the longer prefix wins, and the other route says why',
    at('[listener plain]', qr/^address/) . ": [listener plain] on "
	. "127.0.0.1:$pp takes http on port $pp (HTTP/2 by prior knowledge)",
    at('[route api]') . ': [route api] fits too, but [route api-v1] wins: '
	. 'the longer prefix comes first',
    at('[route api-v1]') . ': [route api-v1] takes it',
    'target sent upstream: /api/v1/x (as the client sent it)',
    at('[route api-v1]') . ': cache off in [route api-v1]');

explains("GET http://shop.example.com:$pp/api/x from 192.0.2.9",
    'a variable the request gives: $remote_addr with from',
    at('[route api]', qr/^set_request_header/) . ': [route api] sets '
	. 'request header X-Client: 192.0.2.9',
    at('[route api]', qr/^cache/) . ': cache on in [route api], key '
	. "http://shop.example.com:$pp/api/x");

explains("GET https://shop.example.com:$p/%61dmin/./x from 192.0.2.7",
    'the path is normalized before matching; deny all refuses',
    'path: /admin/x (normalized from /%61dmin/./x)',
    'client: 192.0.2.7',
    at('[route admin]') . ': [route admin] takes it',
    at('[route admin]', qr/^host/) . ': host shop.example.com matches '
	. '[route admin] (exact name)',
    at('[route admin]', qr/^allow/) . ': [route admin] refuses 192.0.2.7: '
	. 'deny all: 403 Forbidden');
never("GET https://shop.example.com:$p/%61dmin from 192.0.2.7",
    qr/goes to|target sent/, 'a refused request goes nowhere');

explains("GET https://shop.example.com:$p/admin from 10.1.2.3",
    'allow lets an address in',
    at('[route admin]', qr/^allow/) . ': [route admin] allows 10.1.2.3: '
	. 'allow 10.0.0.0/8',
    'target sent upstream: /admin (as the client sent it)');

explains("GET https://shop.example.com:$p/admin",
    'without from, the rules are listed',
    at('[route admin]', qr/^allow/) . ': [route admin] lets in by '
	. 'address: allow 10.0.0.0/8, deny all (add "from ADDRESS" to check '
	. 'one)');

explains("https://shop.example.com:$p/",
    'a bare URL is a GET; an exact path; a route that answers itself',
    "request: GET https://shop.example.com:$p/",
    at('[route home]') . ': [route home] takes it',
    at('[route home]', qr/^path/) . ': path / matches exact path = /',
    at('[route home]', qr/^return/) . ': [route home] answers itself: 200 '
	. 'with 5 bytes of text/plain');

explains("GET http://any.org:$pp/old/a/b?x=1",
    'a regex route and its rewrite',
    at('[route api]', qr/^host/) . ': [route api] does not take it: host '
	. 'any.org is not *.example.com',
    at('[route legacy]') . ': [route legacy] takes it',
    at('[route legacy]') . ': [route legacy] has no host: any host',
    at('[route legacy]', qr/^path/) . ': path /old/a/b matches regex ~ ^/old/',
    at('[route legacy]', qr/^rewrite/) . ': rewrite turns /old/a/b into '
	. '/new/a/b',
    'target sent upstream: /new/a/b?x=1');

explains("GET http://example.com:$pp/api/x",
    'a wildcard does not name the bare domain: 404',
    '404 Not Found: no route takes host example.com, path /api/x, method GET',
    at('[route api]', qr/^host/) . ': [route api] does not take it: host '
	. 'example.com is not *.example.com',
    at('[route legacy]', qr/^path/) . ': [route legacy] does not take it: '
	. 'path /api/x does not match ~ ^/old/');

explains("GET http://forms.example.com:$pp/",
    'a method the route does not take',
    '404 Not Found: no route takes host forms.example.com, path /, method GET',
    at('[route forms]', qr/^methods/) . ': [route forms] does not take it: '
	. 'method GET is not one of POST');
explains("POST http://forms.example.com:$pp/x",
    'and one it does',
    at('[route forms]') . ': [route forms] takes it',
    at('[route forms]', qr/^methods/) . ': method POST is one of POST');

explains("GET http://shop.example.com:$unused/",
    'no listener on that port',
    "no listener takes http on port $unused: frontd would not see this "
	. 'request; routing it as if it came in on none (routes tied to a '
	. 'listener do not match)',
    at('[route home]') . ': [route home] takes it');

explains("GET http://shop.example.com:$p/",
    'plain HTTP to the TLS port',
    at('[listener tls]', qr/^address/) . ": [listener tls] on 127.0.0.1:$p "
	. 'speaks TLS, not plain HTTP: it does not take this request',
    "no listener takes http on port $p: frontd would not see this request; "
	. 'routing it as if it came in on none (routes tied to a listener do '
	. 'not match)');

explains("GET https://plain.example.com:$p/",
    'a route tied to another listener',
    qr/^404 Not Found: no route takes host plain\.example\.com/m,
    at('[route plain-only]', qr/^listener/) . ': [route plain-only] does not '
	. 'take it: it is only for listener plain');
explains("GET http://plain.example.com:$pp/",
    'and its own listener',
    at('[route plain-only]') . ': [route plain-only] takes it');

explains("GET http://shop.example.com:$pr/a/b?c=1",
    'redirect_to_https goes to the TLS listener',
    at('[listener redir]', qr/^redirect_to_https/) . ': [listener redir] '
	. "redirects to https: 301 to https://shop.example.com:$p/a/b?c=1");

explains("GET https://shop.example.com:$p/api/private/x",
    'deny_path refuses',
    at('[route api]', qr/^deny_path/) . ': deny_path /api/private of '
	. '[route api] refuses path /api/private/x: 403');
explains("GET https://shop.example.com:$p/api/%70rivate",
    'deny_path sees the normalized path',
    at('[route api]', qr/^deny_path/) . ': deny_path /api/private of '
	. '[route api] refuses path /api/private: 403');
explains("GET https://shop.example.com:$p/api/x?q=1%20UNION%20SELECT",
    'deny_query refuses, decoded too',
    at('[route api]', qr/^deny_query/) . ': deny_query of [route api] '
	. 'refuses the query q=1%20UNION%20SELECT: 403');
explains("GET https://shop.example.com:$p/api/x User-Agent: sqlmap/1.7 (x)",
    'deny_header refuses a header given after the URL',
    'header: User-Agent: sqlmap/1.7 (x)',
    at('[route api]', qr/^deny_header/) . ': deny_header User-Agent of '
	. '[route api] refuses User-Agent: sqlmap/1.7 (x): 403');
explains("GET https://shop.example.com:$p/api/x User-Agent: curl/8",
    'and lets others by',
    at('[route api]') . ': no deny_method, deny_path, deny_header or '
	. 'deny_query of [route api] refuses it',
    'target sent upstream: /v2/x');

explains("GET http://quiet.example.com:$pp/",
    'an upstream in maintenance',
    at('[upstream quiet]', qr/^maintenance/) . ': [upstream quiet] is in '
	. 'maintenance: 503 Service Unavailable with the maintenance page');

explains("GET https://shop.example.com:$p/a/../../etc",
    'a path above the root is a 400',
    'path: /a/../../etc climbs above the root',
    '400 Bad Request: the path climbs above the root');

subtest 'requests it cannot read: exit 2' => sub {
	for my $bad ('', 'GET', 'GET ftp://x/', 'GET http:///x',
	    'GET http://x:99999/', 'GET http://x/ from nowhere',
	    'GET http://x/ stray', "G\@T http://x/") {
		my ($rc, $out, $err) = run_explain($bad);
		is($rc, 2, "\"$bad\": exit 2");
		like($err, qr/^frontd: -e: /, "\"$bad\": says why on stderr");
		is($out, '', "\"$bad\": nothing on stdout");
	}
	my ($rc, $out, $err) = $t->run_frontd('-c', $conf, '-e', 'GET http://x/');
	is($rc, 2, '-e without -t: exit 2');
	like($err, qr/^usage: frontd\b/m, '-e without -t: the usage');
};

subtest 'an invalid configuration: exit 1, no explanation' => sub {
	my $u = Test::Frontd->new;
	my ($rc, $out) = $u->test_config("[route r]\nuptream = app\n");
	is($rc, 1, 'plain -t exits 1');
	$u->write_config("[route r]\nuptream = app\n");
	my ($rc2, $o2, $e2) = $u->run_frontd('-t', '-c', $u->conf, '-e',
	    'GET http://x/');
	is($rc2, 1, 'exit 1');
	like($e2, qr/frontd\.conf:\d+: unknown key "uptream"/, 'the error');
	unlike($o2, qr/request:/, 'nothing explained');
};

done_testing;
