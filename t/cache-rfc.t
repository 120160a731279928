# The cache's reading of RFC 9110, 9111 and 9213 where the letter matters:
# HTTP-dates read exactly (an invalid or repeated Expires is already
# expired), Age that is no number ignored (of a list, the first), unsafe
# and unknown methods invalidating, CDN-Cache-Control and a route's own
# target fields over Cache-Control, must-understand, Vary values that
# differ only in white space around commas, and Range requests answered
# from a fresh stored response (206, 416, If-Range).  The backend sets
# the response fields the query names: /p?h=Name:Value&h=...
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(strftime);
use Test::More;
use Test::Frontd;

my $BODY = '0123456789abcdefghij';	# 20 bytes

my $t = Test::Frontd->new;

sub unescape { my ($s) = @_; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }

my $be = $t->raw_backend(handler => sub {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my ($query) = $q->{target} =~ /\?(.*)\z/;
		my @h;
		for my $kv (split /&/, $query // '') {
			my ($k, $v) = split /=/, $kv, 2;
			next unless $k eq 'h';
			my ($name, $value) = unescape($v) =~ /\A([^:]+):(.*)\z/s;
			push @h, $name, $value;
		}
		# /pv: answered late, so a pipelined request comes first; it
		# varies on X-V and says which it got.
		if ($q->{target} eq '/pv') {
			select(undef, undef, undef, 0.8);
			my $v = join ',', @{ $q->{headers}{'x-v'} // [] };
			$c->respond(200, body => "v=$v", headers => [
			    'Cache-Control' => 'max-age=600', Vary => 'X-V' ]) or last;
			next;
		}
		my $range = join ',', @{ $q->{headers}{range} // [] };
		push @h, 'X-Range-Seen', $range if length $range;
		$c->respond(200, body => $BODY, headers => \@h) or last;
	}
});

$t->start(<<"EOF");
[global]
cache_size = 4M

[upstream app]
server = $be->{addr}

[route own]
path = /own/
upstream = app
cache = on
cache_control_targets = Frontd-Cache-Control CDN-Cache-Control

[route none]
path = /none/
upstream = app
cache = on
cache_control_targets = none

[route all]
upstream = app
cache = on
EOF

my $n = 0;
# A fresh path with the response fields given: "Name: value" strings.
sub path {
	my ($prefix, @fields) = @_;
	$n++;
	my $q = join '&', map { my $f = $_; $f =~ s/: /:/;
	    $f =~ s/([^A-Za-z0-9_.~:-])/sprintf '%%%02X', ord $1/ge; "h=$f" }
	    @fields;
	return "$prefix$n?$q";
}

# One request: (status, Cache-Status, head, body).
sub ask {
	my ($target, %o) = @_;
	my $method = $o{method} // 'GET';
	my $head = "$method $target HTTP/1.1\r\nHost: rfc.test\r\n";
	$head .= "$_\r\n" for @{ $o{headers} // [] };
	my $raw = $t->raw_request($head . "Connection: close\r\n\r\n");
	my ($h, $body) = $raw =~ /\A(.*?\r\n)\r\n(.*)\z/s;
	$h //= '';
	my ($status) = $h =~ m{^HTTP/1\.1 (\d+)};
	my ($cs) = $h =~ /^Cache-Status: ([^\r]*)\r$/mi;
	return ($status // 0, $cs // '', $h, $body // '');
}

sub hit {
	my ($target, $name, %o) = @_;
	my (undef, $cs) = ask($target, %o);
	like($cs, qr/; hit/, "$name: a hit") or diag("Cache-Status: $cs");
}

sub miss {
	my ($target, $name, %o) = @_;
	my (undef, $cs) = ask($target, %o);
	unlike($cs, qr/; hit/, "$name: not from the cache") or diag("Cache-Status: $cs");
}

my $future = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime(time + 3600));

subtest 'HTTP-date and Expires' => sub {
	my $p = path('/d', "Expires: $future");
	ask($p);
	hit($p, 'a valid future Expires');
	(my $one = $future) =~ s/ 0?(\d):/ $1:/;
	$one =~ s/ (\d\d):/ 7:/;	# a one-digit hour
	$p = path('/d', "Expires: $one");
	ask($p);
	miss($p, "an Expires with a one-digit hour ($one)");
	(my $two = $future) =~ s/ (\d{4}) / $1  /;
	$p = path('/d', "Expires: $two");
	ask($p);
	miss($p, 'an Expires with two spaces');
	$p = path('/d', "Expires: $future", "Expires: $future");
	ask($p);
	miss($p, 'two Expires fields');
	(my $lc = $future) =~ s/GMT/gmt/;
	$p = path('/d', "Expires: \U$lc");
	ask($p);
	hit($p, 'names in another case are still a date');
};

subtest 'Age' => sub {
	my $p = path('/a', 'Cache-Control: max-age=3600', 'Age: 7200.0');
	ask($p);
	hit($p, 'a float Age is ignored');
	$p = path('/a', 'Cache-Control: max-age=3600', 'Age: 7200, 0');
	ask($p);
	miss($p, 'of "7200, 0" the first counts: stale');
	$p = path('/a', 'Cache-Control: max-age=3600', 'Age: 0, 7200');
	ask($p);
	hit($p, 'of "0, 7200" the first counts: fresh');
};

subtest 'unsafe and unknown methods invalidate' => sub {
	for my $m ('M-SEARCH', 'PROPPATCH', 'DELETE') {
		my $p = path('/m', 'Cache-Control: max-age=3600');
		ask($p);
		hit($p, "before $m");
		my ($st) = ask($p, method => $m);
		is($st, 200, "$m is answered");
		miss($p, "after $m");
	}
	my $p = path('/m', 'Cache-Control: max-age=3600');
	ask($p);
	ask($p, method => 'OPTIONS');
	hit($p, 'OPTIONS is safe: still there');
};

subtest 'CDN-Cache-Control (RFC 9213)' => sub {
	my $p = path('/c', 'Cache-Control: no-store', 'CDN-Cache-Control: max-age=600');
	ask($p);
	hit($p, 'CDN-Cache-Control max-age beats Cache-Control no-store');
	my (undef, undef, $h) = ask($p);
	like($h, qr/^CDN-Cache-Control: max-age=600\r$/m, 'it is passed on');
	$p = path('/c', 'Cache-Control: max-age=600', "Expires: $future",
	    'CDN-Cache-Control: no-store');
	ask($p);
	miss($p, 'CDN-Cache-Control no-store beats max-age and Expires');
	$p = path('/c', 'Cache-Control: max-age=600', 'CDN-Cache-Control: private');
	ask($p);
	miss($p, 'CDN-Cache-Control private');
	$p = path('/c', 'Cache-Control: max-age=600', 'CDN-Cache-Control: max-age=0');
	ask($p);
	miss($p, 'a short CDN-Cache-Control max-age beats a long one');
	$p = path('/c', 'Cache-Control: no-store', 'CDN-Cache-Control: max-age=600, &&&');
	ask($p);
	miss($p, 'an invalid dictionary is ignored as a whole');
	$p = path('/c', 'Cache-Control: no-store', 'CDN-Cache-Control: MaX-aGe=600');
	ask($p);
	miss($p, 'keys are lower case in a dictionary');
	$p = path('/c', 'CDN-Cache-Control: max-age=600;x=1, foo="bar", b=?0');
	ask($p);
	hit($p, 'parameters, strings and booleans are valid');
	$p = path('/own/', 'CDN-Cache-Control: no-store',
	    'Frontd-Cache-Control: max-age=600');
	ask($p);
	hit($p, 'a route\'s own target comes first');
	$p = path('/own/', 'CDN-Cache-Control: max-age=600', 'Cache-Control: no-store');
	ask($p);
	hit($p, 'then the next target');
	$p = path('/none/', 'CDN-Cache-Control: max-age=600', 'Cache-Control: no-store');
	ask($p);
	miss($p, 'cache_control_targets = none: Cache-Control only');
};

subtest 'must-understand' => sub {
	my $p = path('/u', 'Cache-Control: max-age=600, no-store, must-understand');
	ask($p);
	hit($p, 'a 200 with no-store, must-understand is stored');
};

subtest 'Vary values differing in white space' => sub {
	my $p = path('/v', 'Cache-Control: max-age=600', 'Vary: Foo');
	ask($p, headers => ['Foo: 1,2']);
	hit($p, 'Foo: " 1 , 2"', headers => ['Foo:  1 , 2 ']);
	miss($p, 'Foo: "1,3"', headers => ['Foo: 1,3']);
};

subtest 'Range from the cache' => sub {
	my $p = path('/r', 'Cache-Control: max-age=600', 'ETag: "v1"',
	    'Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT');
	my ($st, $cs, $h, $body) = ask($p, headers => ['Range: bytes=0-4']);
	like($h, qr/^X-Range-Seen: bytes=0-4\r$/m,
	    'a miss goes upstream with its Range');
	ask($p);
	my $before = () = $t->received_requests($be);
	for my $case (['bytes=2-5', '2345', '2-5'], ['bytes=15-', 'fghij', '15-19'],
	    ['bytes=-3', 'hij', '17-19'], ['bytes=18-100', 'ij', '18-19'],
	    ['bytes=-50', $BODY, '0-19']) {
		my ($r, $want, $cr) = @$case;
		($st, $cs, $h, $body) = ask($p, headers => ["Range: $r"]);
		is($st, 206, "$r: 206");
		is($body, $want, "$r: the bytes");
		like($h, qr{^Content-Range: bytes $cr/20\r$}m, "$r: Content-Range");
		like($h, qr/^Content-Length: ${\ length $want}\r$/m, "$r: Content-Length");
		like($cs, qr/; hit/, "$r: from the cache");
	}
	($st, $cs, $h, $body) = ask($p, headers => ['Range: bytes=20-']);
	is($st, 416, 'past the end: 416');
	like($h, qr{^Content-Range: bytes \*/20\r$}m, '416: Content-Range');
	is($body, '', '416: no body');
	($st, undef, undef, $body) = ask($p, headers => ['Range: bytes=0-1,4-5']);
	is("$st $body", "200 $BODY", 'several ranges: all of it');
	($st, undef, undef, $body) = ask($p, headers => ['Range: lines=1-2']);
	is("$st $body", "200 $BODY", 'another unit: all of it');
	($st, undef, undef, $body) = ask($p, headers => ['Range: bytes=0-1',
	    'If-Range: "v1"']);
	is("$st $body", '206 01', 'If-Range with our ETag: the range');
	($st, undef, undef, $body) = ask($p, headers => ['Range: bytes=0-1',
	    'If-Range: "v0"']);
	is("$st $body", "200 $BODY", 'If-Range with another ETag: all of it');
	($st, undef, undef, $body) = ask($p, headers => ['Range: bytes=0-1',
	    'If-Range: Sun, 06 Nov 1994 08:49:37 GMT']);
	is("$st $body", '206 01', 'If-Range with our Last-Modified: the range');
	($st, undef, undef, $body) = ask($p, headers => ['Range: bytes=0-1',
	    'Accept-Encoding: gzip']);
	is("$st $body", '206 01', 'a range is of the identity body');
	my $after = () = $t->received_requests($be);
	is($after, $before, 'none of these went upstream');
};

# The request's fields are read again when its response comes (the Vary
# key, a retry): a pipelined request that arrives meanwhile must not
# overwrite them.
subtest 'a pipelined request does not change the Vary key of the one before' => sub {
	# Heads of the same length: the second's X-V lies where the first's was.
	my $c = $t->raw_client or return fail('connect');
	$c->write("GET /pv HTTP/1.1\r\nHost: rfc.test\r\nX-V: aaaa\r\n\r\n");
	select(undef, undef, undef, 0.2);
	$c->write("GET /pw HTTP/1.1\r\nHost: rfc.test\r\nX-V: bbbb\r\n"
	    . "Connection: close\r\n\r\n");
	my $r1 = $c->read_response(timeout => 10);
	my $r2 = $c->read_response(timeout => 10);
	$c->close;
	is($r1 && $r1->{body}, 'v=aaaa', 'the first is answered for aaaa');
	my (undef, $cs, undef, $body) = ask('/pv', headers => ['X-V: bbbb']);
	unlike($cs, qr/; hit/, 'X-V: bbbb is not a hit of what was made for aaaa')
	    or diag("Cache-Status: $cs, body $body");
	(undef, $cs, undef, $body) = ask('/pv', headers => ['X-V: aaaa']);
	like($cs, qr/; hit/, 'X-V: aaaa is a hit') or diag("Cache-Status: $cs");
	is($body, 'v=aaaa', 'with its own body');
};

subtest 'cache_control_targets errors' => sub {
	for my $case (['Cache-Control', qr/Cache-Control is what applies/],
	    ['a b c d e', qr/at most 4 fields/],
	    ['bad(name)', qr/"bad\(name\)" is not a header field name/],
	    ['none CDN-Cache-Control', qr/none stands alone/],
	    ['CDN-Cache-Control none', qr/none stands alone/]) {
		my ($v, $re) = @$case;
		my $f = $t->dir . '/bad.conf';
		$t->spew($f, "[listener l]\naddress = 127.0.0.1:1\n\n"
		    . "[global]\ncache_size = 1M\n\n[upstream app]\n"
		    . "server = 127.0.0.1:1\n\n[route r]\nupstream = app\n"
		    . "cache = on\ncache_control_targets = $v\n");
		my ($code, $out, $err) = $t->run_frontd({}, '-t', '-c', $f);
		isnt($code, 0, "\"$v\": -t fails");
		like("$out$err", qr/bad\.conf:13: .*$re/, "\"$v\": the line and why")
		    or diag("$out$err");
	}
};

done_testing;
