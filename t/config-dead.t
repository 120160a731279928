# frontd -t reports configuration that can never take effect: a route an
# earlier one shadows entirely (a second default route, the same hosts
# and path again), keys that do nothing on the route's action, and (as a
# warning) an upstream no route uses.  And what does take effect on every
# action works: set_response_header on a return route.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $LISTEN = "[listener public]\naddress = 127.0.0.1:18080\n\n"
    . "[upstream app]\nserver = 127.0.0.1:9000\n\n";
my $n = 0;

sub check {
	my ($conf) = @_;
	my $f = $t->dir . '/c' . ++$n . '.conf';
	$t->spew($f, $LISTEN . $conf);
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', $f);
	(my $short = "$out$err") =~ s/^\Q$f\E:/conf:/mg;
	return ($code, $short);
}

my @dead = (
	[ 'a second default route', "[route a]\nupstream = app\n[route b]\nreturn = 404\n",
	    qr/^conf:9: \[route b\] can never match: \[route a\] \(\S+:7\) is already the default route/m ],
	[ 'the same host and path again', "[route a]\nhost = x.test y.test\npath = /api/\nupstream = app\n"
	    . "[route b]\nhost = y.test x.test\npath = /api/\nupstream = app\n",
	    qr/^conf:11: \[route b\] can never match: \[route a\] \(\S+:7\) has the same hosts and path/m ],
	[ 'the same path, fewer methods', "[route a]\npath = /x/\nmethods = GET POST\nupstream = app\n"
	    . "[route b]\npath = /x/\nmethods = GET\nupstream = app\n",
	    qr/^conf:11: \[route b\] can never match/m ],
	[ 'the same path, listener included', "[route a]\npath = /x/\nupstream = app\n"
	    . "[route b]\npath = /x/\nlistener = public\nupstream = app\n",
	    qr/^conf:10: \[route b\] can never match/m ],
);
for my $d (@dead) {
	my ($name, $conf, $re) = @$d;
	my ($code, $out) = check($conf);
	is($code, 1, "$name: an error");
	like($out, $re, "$name: said with the line of each") or diag($out);
}

my @alive = (
	[ 'other methods', "[route a]\npath = /x/\nmethods = GET\nupstream = app\n"
	    . "[route b]\npath = /x/\nmethods = POST\nupstream = app\n" ],
	[ 'a listener first, then all', "[route a]\npath = /x/\nlistener = public\nupstream = app\n"
	    . "[route b]\npath = /x/\nupstream = app\n" ],
	[ 'an exact path and a prefix', "[route a]\npath = = /x\nupstream = app\n"
	    . "[route b]\npath = /x\nupstream = app\n" ],
	[ 'other hosts', "[route a]\nhost = a.test\nupstream = app\n"
	    . "[route b]\nhost = b.test\nupstream = app\n" ],
);
for my $a (@alive) {
	my ($name, $conf) = @$a;
	my ($code, $out) = check($conf);
	is($code, 0, "$name: both can match") or diag($out);
}

for my $key ('strip_prefix = /a', 'rewrite = ^/a /b', 'compress = gzip',
    'cache = on', 'proxy_host = x.test', 'via = off',
    'remove_request_header = X-A', 'set_request_header = X-A: 1',
    'tunnel_timeout = 10s') {
	my ($name) = $key =~ /^(\w+)/;
	for my $action ('return = 503', 'redirect = 301 https://x.test/', 'metrics = on') {
		my ($aname) = $action =~ /^(\w+)/;
		my ($code, $out) = check("[global]\ncache_size = 1M\n[route r]\n$action\n$key\n");
		is($code, 1, "$name on a $aname route: an error");
		like($out, qr/^conf:11: $name in \[route r\] does nothing on a route with $aname/m,
		    "$name on a $aname route: the key and its line") or diag($out);
	}
}

{
	my ($code, $out) = check("[upstream spare]\nserver = 127.0.0.1:9001\n"
	    . "[route r]\nupstream = app\n");
	is($code, 0, 'an upstream no route uses: not an error');
	like($out, qr/^conf:7: warning: \[upstream spare\] is not used by any route$/m,
	    'but a warning with its line') or diag($out);
	like($out, qr/configuration ok/, 'and the configuration is ok');
}

# set_response_header on frontd's own answers.
$t->start(<<'EOF');
[route maintenance]
path = /
return = 503 down for maintenance
set_response_header = Retry-After: 120
set_response_header = X-Path: $uri
EOF
my $r = $t->get('/shop/cart');
is($r->status, 503, 'the return route answers');
is($r->header('retry-after'), '120', 'with its Retry-After');
is($r->header('x-path'), '/shop/cart', 'and a header made from a variable');

done_testing;
