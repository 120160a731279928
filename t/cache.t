# The shared HTTP cache (cache = on in a [route], cache_size in [global]),
# seen from the outside with a scripted backend that counts what reaches it:
# fresh hits and stored misses (Cache-Status, Age), revalidation of a stale
# entry with a 304, stale-while-revalidate under concurrent requests,
# request directives (only-if-cached, no-cache), client conditionals
# answered from the cache, what is not stored (no-store, private,
# Authorization, Set-Cookie, no freshness, too large), Vary variants, s-maxage, stale-if-error and cache_use_stale
# with the backend gone, cache_valid, HEAD from a stored GET,
# cache_methods, cache_bypass, PURGE (one key, a prefix, refused, nothing
# stored), invalidation by POST, request collapsing over two workers, a hit
# in the other worker, the cache across a reload, compressed variants kept in the cache, the counters of a
# metrics = on route, load errors; and regressions of a review: a URL ending in ~gzip is not a compressed copy,
# a hit gzipped for HTTP/1.0, the upstream's own Vary: Accept-Encoding,
# cache_use_stale against must-revalidate/no-cache, a stored 404 and
# If-None-Match, the access log's cache field, absent vs empty Vary fields.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses header_tokens same_bytes text_words);
use Test::FrontdBrotli;
use Test::FrontdCache;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP ();
use Time::HiRes qw(time sleep);

my $CACHE_SIZE = 64 * 1048576;		# cache_size = 64M
my $MAX_OBJECT = 256 * 1024;		# cache_max_object_size = 256K

my $t = Test::Frontd->new;
my $DIR = $t->dir;
cache_harness($t);

# A Brotli decoder, if this machine has one (see Test::FrontdBrotli).
my $BR = Test::FrontdBrotli->new($t);
my $BR_DECODER = $BR->name;
sub decode_br { $BR->decode(@_) }


sub get { req($t, 'GET', @_) }

# ---------------------------------------------------------------------------
# Load errors: no daemon needed.

subtest 'load errors of the cache directives (frontd -t)' => sub {
	my $listen = "[listener public]\naddress = 127.0.0.1:18080\n\n"
	    . "[upstream app]\nserver = 127.0.0.1:9000\n\n";
	my $n = 0;
	my $check = sub {
		my ($conf, $want, $name) = @_;
		my $f = "$DIR/load" . ++$n . "/frontd.conf";
		$t->spew($f, $conf);
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', $f);
		is($code, 1, "$name: exit 1");
		my $w = ref $want ? $want->($f) : "$f:$want\n";
		if (ref $w) {
			like($err, $w, "$name: the error") or diag("stderr:\n$err");
		} else {
			is($err, $w, "$name: the error") or diag("stderr:\n$err");
		}
	};
	my $conf = "$listen\[route api]\nupstream = app\ncache = on\n";
	my $line = 1 + (() = "$listen\[route api]\nupstream = app\n" =~ /\n/g);
	$check->($conf,
	    "$line: cache = on in [route api] needs cache_size in [global]",
	    'cache = on without cache_size');

	# The messages below are not in the spec: the file:line and the key
	# are checked, not the words.
	$conf = "[global]\ncache_size = 64M\n\n$listen\[route api]\n"
	    . "upstream = app\ncache = on\ncache_methods = GET POST\n";
	$line = () = $conf =~ /\n/g;
	$check->($conf, sub { qr/^\Q$_[0]\E:$line: .*cache_methods/m },
	    'cache_methods = GET POST');
	# A cache_max_object_size set above cache_size / 8.  (Whether the
	# default 8M is refused with a small cache_size or yields to it is not
	# said by the spec: not tested.)
	$conf = "[global]\ncache_size = 16M\ncache_max_object_size = 4M\n\n$listen";
	$check->($conf, sub { qr/^\Q$_[0]\E:3: .*cache_max_object_size/m },
	    'cache_size = 16M, cache_max_object_size = 4M');
	$conf = "[global]\ncache_size = 64M\n\n$listen\[route r]\n"
	    . "return = 200 hello\ncache = on\n";
	$line = () = $conf =~ /\n/g;
	$check->($conf, sub { qr/^\Q$_[0]\E:$line: .*\bcache\b/m },
	    'cache = on in a route without upstream');
};

# ---------------------------------------------------------------------------
# The daemon most subtests use: two workers, one 64M zone.

my $be   = $t->raw_backend(handler => app_handler($DIR));
my $sie  = $t->raw_backend(handler => app_handler($DIR));	# stopped in a subtest
my $down = $t->raw_backend(handler => app_handler($DIR));	# stopped in a subtest

my $CONF = <<"EOF";
[global]
workers = 2
cache_size = 64M
cache_max_object_size = 256K

[upstream app]
server = $be->{addr}
upstream_read_timeout = 3s

[upstream sie]
server = $sie->{addr}

[upstream down]
server = $down->{addr}

[route metrics]
path = /metrics
metrics = on

[route c]
path = /c/
upstream = app
cache = on
cache_purge_from = 127.0.0.1

[route valid]
path = /valid/
upstream = app
cache = on
cache_valid = 200 1m

[route getonly]
path = /getonly/
upstream = app
cache = on
cache_methods = GET

[route bypass]
path = /bypass/
upstream = app
cache = on
cache_bypass = \$http_x_nocache

[route nopurge]
path = /nopurge/
upstream = app
cache = on
cache_purge_from = 10.0.0.0/8

[route gz]
path = /gz/
upstream = app
cache = on
compress = gzip br

[route sie]
path = /sie/
upstream = sie
cache = on

[route stale]
path = /stale/
upstream = down
cache = on
cache_use_stale = on

[route stale2]
path = /stale2/
upstream = app
cache = on
cache_use_stale = on

[route plain]
path = /plain/
upstream = app
EOF

$t->start($CONF);
$t->poll(sub { $t->workers == 2 }, 5);

diag($BR_DECODER ? "Brotli bodies decoded with $BR_DECODER"
    : 'no Brotli decoder (brotli tool, python3 brotli, cc + libbrotlidec): '
    . 'br bodies are checked by their headers only');

subtest 'the configuration loads' => sub {
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	is($code, 0, 'frontd -t: exit 0') or diag($err);
	is($out, "configuration ok\n", 'configuration ok');
	is(scalar $t->workers, 2, 'two workers run');
};

subtest 'a miss is stored, the next request is a fresh hit' => sub {
	my $u = '/c/fresh?cc=max-age=60';
	my $r1 = get($u);
	is($r1->{status}, 200, 'miss: 200');
	cs_like($r1, $STORED, 'miss');
	is($r1->{body}, "/c/fresh " . hv($r1, 'x-version') . "\n", 'miss: the body');
	my $r2 = get($u);
	is($r2->{status}, 200, 'hit: 200');
	cs_like($r2, $HIT, 'hit');
	is($r2->{body}, $r1->{body}, 'hit: the same body');
	is(hv($r2, 'x-version'), hv($r1, 'x-version'), 'hit: the stored headers');
	like(hv($r2, 'age') // '', qr/^\d+\z/, 'hit: an Age header');
	my $ttl = ttl($r2);
	ok(defined $ttl && $ttl > 50 && $ttl <= 60, 'hit: ttl in 51..60 ('
	    . ($ttl // 'none') . ')');
	is(seen($be, $u), 1, 'the backend saw one request');
	my $r3 = get($u);
	cs_like($r3, $HIT, 'third request');
	is(seen($be, $u), 1, 'still one');
};

subtest 'a stale entry is revalidated: 304 refreshes it' => sub {
	# The 304 says max-age=60: the refreshed entry is then fresh for
	# a while, whatever the granularity of the clock.
	my $u = '/c/reval?cc=max-age=1&etag=v1&cc304=max-age=60';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'miss');
	is(hv($r1, 'etag'), '"v1"', 'the ETag');
	sleep 1.3;
	my $r2 = get($u);
	is($r2->{status}, 200, 'stale, revalidated: 200 to the client');
	cs_like($r2, $REVAL, 'revalidated');
	is($r2->{body}, $r1->{body}, 'the stored body');
	# The backend's recording may trail its answer by a moment.
	my @q;
	$t->poll(sub {
		@q = grep { $_->{target} eq $u } $t->received_requests($be);
		@q == 2 && $q[1]{headers}{'if-none-match'};
	}, 3);
	is(scalar @q, 2, 'the backend saw two requests');
	is(join(',', @{ $q[1]{headers}{'if-none-match'} // [] }), '"v1"',
	    'the second with If-None-Match: "v1"');
	isnt(hv($r2, 'x-version'), hv($r1, 'x-version'),
	    'the X-Version of the 304 replaces the stored one');
	like(hv($r2, 'x-version') // '', qr/^\d+\.\d+\z/,
	    'X-Version: ' . (hv($r2, 'x-version') // 'none'));
	my $r3 = get($u);
	cs_like($r3, $HIT, 'right after: fresh again');
	is(hv($r3, 'x-version'), hv($r2, 'x-version'),
	    'the updated header is kept in the entry');
	is(hv($r3, 'cache-control'), 'max-age=60',
	    'the Cache-Control of the 304 too');
	my $ttl = ttl($r3);
	ok(defined $ttl && $ttl > 50, 'ttl from the max-age=60 of the 304: '
	    . ($ttl // 'none'));
	is($r3->{body}, $r1->{body}, 'and the body');
	is(seen($be, $u), 2, 'still two requests at the backend');
};

subtest 'stale-while-revalidate: one request revalidates, the others get the stale entry at once' => sub {
	# The revalidation gets a 304 with max-age=60: fresh again after it.
	my $u = '/c/swr?cc=max-age=1,stale-while-revalidate=30&etag=s'
	    . '&cc304=max-age=60&slow=2';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'fill');
	sleep 1.3;
	# From here the backend takes 2 s to answer.
	$t->spew("$DIR/flag-slow", '');
	my @c = map { $t->raw_client } 1 .. 5;
	is(scalar(grep { defined } @c), 5, '5 connections open');
	my $t0 = time;
	$_->write("GET $u HTTP/1.1\r\nHost: $HOST\r\n\r\n") for grep { defined } @c;
	# Read the five side by side, noting when each response is whole.
	my (@r, @took);
	while (time - $t0 < 10) {
		for my $i (grep { !$r[$_] && $c[$_] } 0 .. $#c) {
			my $r = $c[$i]->read_response(timeout => 0.01) or next;
			($r[$i], $took[$i]) = ($r, time - $t0);
		}
		last unless grep { !$r[$_] } 0 .. $#c;
	}
	$_->close for grep { defined } @c;
	unlink "$DIR/flag-slow";
	$_ //= { status => 0, headers => {}, body => '', complete => 0 } for @r[0 .. 4];
	$_ //= 99 for @took[0 .. 4];
	my $list = join "\n", map { sprintf "  %.2f s: %s %s", $took[$_],
	    $r[$_]{status}, cs($r[$_]) } 0 .. 4;
	is(scalar(grep { $_->{status} == 200 && $_->{complete} } @r), 5,
	    'all five: 200, complete') or diag($list);
	is(scalar(grep { $_->{body} eq $r1->{body} } @r), 5,
	    'all five: the stored body') or diag($list);
	cmp_ok(seen($be, $u), '<=', 2,
	    'at most one of the five reached the backend (' . (seen($be, $u) - 1)
	    . ')');
	my @swr = grep { cs($r[$_]) =~ csre('hit', 'detail=stale-while-revalidate') }
	    0 .. 4;
	cmp_ok(scalar @swr, '>=', 4, scalar(@swr)
	    . ' served stale with detail=stale-while-revalidate') or diag($list);
	my @slow = grep { $took[$_] >= 1 } @swr;
	is(scalar @slow, 0, 'each of those at once (under 1 s; the backend takes 2 s)')
	    or diag($list);
	for my $i (@swr) {
		my $ttl = ttl($r[$i]);
		# Stale by a fraction of a second: ttl=0 is as good as ttl=-1.
		ok(defined $ttl && $ttl <= 0, "stale-while-revalidate: ttl not positive ("
		    . ($ttl // 'none') . ')') or last;
	}
	# Once the revalidation is done, the entry is fresh again.
	my $r;
	ok($t->poll(sub { $r = get($u); cs($r) =~ $HIT && (ttl($r) // -1) >= 0 }, 6),
	    'after the revalidation: a fresh hit (' . cs($r) . ')');
	is(seen($be, $u), 2, 'the backend saw the fill and one revalidation');
};

subtest 'a client If-None-Match on a fresh hit: 304 from the cache' => sub {
	my $u = '/c/inm?cc=max-age=60&etag=e1';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'miss');
	my $r2 = req($t, 'GET', $u, headers => [ 'If-None-Match: "e1"' ]);
	is($r2->{status}, 304, 'If-None-Match: "e1": 304');
	is($r2->{body}, '', 'no body');
	is(hv($r2, 'etag'), '"e1"', 'the ETag');
	cs_like($r2, $HIT, 'the 304 is a hit');
	my $r3 = req($t, 'GET', $u, headers => [ 'If-None-Match: "other"' ]);
	is($r3->{status}, 200, 'If-None-Match: "other": 200');
	cs_like($r3, $HIT, 'not matching');
	is($r3->{body}, $r1->{body}, 'the stored body');
	is(seen($be, $u), 1, 'the backend saw one request');
};

subtest 'Cache-Control: no-store is not stored' => sub {
	my $u = '/c/nostore?cc=no-store';
	my $r1 = get($u);
	is($r1->{status}, 200, 'status 200');
	not_stored($r1, 'no-store', 'first');
	my $r2 = get($u);
	not_stored($r2, 'no-store', 'second');
	isnt($r2->{body}, $r1->{body}, 'a new body');
	is(seen($be, $u), 2, 'both reached the backend');
	# The same with max-age beside it.
	$u = '/c/nostore2?cc=max-age=60,no-store';
	get($u);
	not_stored(get($u), 'no-store', 'max-age=60, no-store');
	is(seen($be, $u), 2, 'both reached the backend');
};

subtest 'Cache-Control: private is not stored' => sub {
	my $u = '/c/private?cc=private,max-age=60';
	my $r1 = get($u);
	is($r1->{status}, 200, 'status 200');
	not_stored($r1, 'private', 'first');
	not_stored(get($u), 'private', 'second');
	is(seen($be, $u), 2, 'both reached the backend');
};

subtest 'Vary: Accept-Language keeps one variant per language' => sub {
	my $u = '/c/vary?cc=max-age=60&vary=Accept-Language';
	my $en = sub { req($t, 'GET', $u, headers => [ 'Accept-Language: en' ]) };
	my $fr = sub { req($t, 'GET', $u, headers => [ 'Accept-Language: fr' ]) };
	my $e1 = $en->();
	cs_like($e1, $STORED, 'en, first');
	like($e1->{body}, qr/ lang=en$/, 'en body');
	my $f1 = $fr->();
	cs_like($f1, csre('fwd=vary-miss', 'stored'), 'fr, first');
	like($f1->{body}, qr/ lang=fr$/, 'fr body');
	my $e2 = $en->();
	cs_like($e2, $HIT, 'en, second');
	is($e2->{body}, $e1->{body}, 'en: the en variant');
	my $f2 = $fr->();
	cs_like($f2, $HIT, 'fr, second');
	is($f2->{body}, $f1->{body}, 'fr: the fr variant');
	is(seen($be, $u), 2, 'the backend saw two requests, one per language');
};

subtest 'a request with Authorization: stored only when the response says public' => sub {
	my @auth = (headers => [ 'Authorization: Basic dXNlcjpwYXNz' ]);
	my $u = '/c/auth?cc=max-age=60';
	my $r1 = req($t, 'GET', $u, @auth);
	is($r1->{status}, 200, 'status 200');
	not_stored($r1, 'authorization', 'max-age=60, first');
	not_stored(req($t, 'GET', $u, @auth), 'authorization', 'max-age=60, second');
	is(seen($be, $u), 2, 'max-age=60: both reached the backend');

	$u = '/c/authpub?cc=public,max-age=60';
	cs_like(req($t, 'GET', $u, @auth), $STORED, 'public, max-age=60, first');
	cs_like(req($t, 'GET', $u, @auth), $HIT, 'public, max-age=60, second');
	is(seen($be, $u), 1, 'public: the backend saw one request');
};

subtest 'a response with Set-Cookie is not stored' => sub {
	my $u = '/c/cookie?cc=max-age=60&cookie=1';
	my $r1 = get($u);
	is($r1->{status}, 200, 'status 200');
	like(hv($r1, 'set-cookie') // '', qr/^sess=/, 'the Set-Cookie is passed on');
	not_stored($r1, 'set-cookie', 'first');
	my $r2 = get($u);
	not_stored($r2, 'set-cookie', 'second');
	isnt(hv($r2, 'set-cookie'), hv($r1, 'set-cookie'), 'a new cookie');
	is(seen($be, $u), 2, 'both reached the backend');
};

subtest 's-maxage wins over max-age, both ways' => sub {
	my $short = '/c/smax-short?cc=max-age=60,s-maxage=1';
	my $long = '/c/smax-long?cc=max-age=1,s-maxage=60';
	cs_like(get($short), $STORED, 's-maxage=1: miss');
	cs_like(get($long), $STORED, 's-maxage=60: miss');
	sleep 1.3;
	my $r = get($short);
	is($r->{status}, 200, 's-maxage=1, max-age=60 after 1.3 s: 200');
	unlike(cs($r), $HIT, 's-maxage=1, max-age=60 after 1.3 s: not a hit ('
	    . cs($r) . ')');
	is(seen($be, $short), 2, 's-maxage=1: the backend saw the request again');
	$r = get($long);
	cs_like($r, $HIT, 's-maxage=60, max-age=1 after 1.3 s');
	is(seen($be, $long), 1, 's-maxage=60: the backend saw one request');
};

subtest 'Age: resident time, and the Age the upstream sent' => sub {
	my $u = '/c/age?cc=max-age=60';
	my $u10 = '/c/age10?cc=max-age=60&age=10';
	get($u);
	my $m10 = get($u10);
	my $age = hv($m10, 'age') // '';
	ok($age =~ /^\d+\z/ && $age >= 10 && $age <= 11,
	    "the miss keeps the upstream age: Age: $age");
	sleep 1.1;
	my $r = get($u);
	cs_like($r, $HIT, 'after 1.1 s');
	$age = hv($r, 'age') // '';
	ok($age =~ /^\d+\z/ && $age >= 1 && $age <= 5, "Age: $age, 1..5");
	my $r10 = get($u10);
	cs_like($r10, $HIT, 'upstream Age: 10, after 1.1 s');
	$age = hv($r10, 'age') // '';
	ok($age =~ /^\d+\z/ && $age >= 11 && $age <= 15, "Age: $age, 11..15 "
	    . '(the upstream 10 plus the time in the cache)');
	my $ttl = ttl($r10);
	ok(defined $ttl && $ttl >= 45 && $ttl <= 50, 'ttl counts that age: '
	    . ($ttl // 'none') . ' in 45..50');
	is(seen($be, $u10), 1, 'the backend saw one request');
};

subtest 'no freshness and no validator: stored only with cache_valid' => sub {
	my $u = '/c/nofresh';
	my $r1 = get($u);
	is($r1->{status}, 200, 'status 200');
	not_stored($r1, 'no-freshness', 'no cache_valid, first');
	not_stored(get($u), 'no-freshness', 'no cache_valid, second');
	is(seen($be, $u), 2, 'without cache_valid both reached the backend');

	$u = '/valid/nofresh';
	cs_like(get($u), $STORED, 'cache_valid = 200 1m, first');
	my $r = get($u);
	cs_like($r, $HIT, 'cache_valid = 200 1m, second');
	my $ttl = ttl($r);
	ok(defined $ttl && $ttl > 50 && $ttl <= 60, 'ttl from cache_valid: '
	    . ($ttl // 'none'));
	is(seen($be, $u), 1, 'with cache_valid the backend saw one request');
	is(hv($r, 'cache-control'), undef, 'Cache-Control is not made up');

	# Only an ETag: heuristic freshness 0, stored and revalidated on
	# each use (the spec's reading of RFC 9111 4.2.2).
	$u = '/c/etagonly?etag=z';
	cs_like(get($u), $STORED, 'only an ETag, first');
	$r = get($u);
	cs_like($r, $REVAL,
	    'only an ETag, second: revalidated');
	is(seen($be, $u), 2, 'the backend saw the revalidation');
};

subtest 'request directives: only-if-cached, no-cache, Pragma: no-cache' => sub {
	my @oic = (headers => [ 'Cache-Control: only-if-cached' ]);
	my $miss = '/c/oic-miss?cc=max-age=60';
	my $r = req($t, 'GET', $miss, @oic);
	is($r->{status}, 504, 'only-if-cached, nothing stored: 504');
	is(seen($be, $miss), 0, 'the backend saw nothing');
	cs_like(get($miss), $STORED, 'then without only-if-cached: a miss, stored');
	my $u = '/c/oic?cc=max-age=60';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'fill');
	$r = req($t, 'GET', $u, @oic);
	is($r->{status}, 200, 'only-if-cached, stored: 200');
	cs_like($r, $HIT, 'only-if-cached, stored');
	is($r->{body}, $r1->{body}, 'only-if-cached: the stored body');
	is(seen($be, $u), 1, 'the backend saw one request');

	$u = '/c/nocache?cc=max-age=60';
	$r1 = get($u);
	cs_like($r1, $STORED, 'fill');
	cs_like(get($u), $HIT, 'fresh hit');
	$r = req($t, 'GET', $u, headers => [ 'Cache-Control: no-cache' ]);
	is($r->{status}, 200, 'Cache-Control: no-cache on a fresh entry: 200');
	cs_like($r, csre('fwd=request'), 'Cache-Control: no-cache');
	is(seen($be, $u), 2, 'no-cache: the backend saw the request');
	isnt(hv($r, 'x-version'), hv($r1, 'x-version'),
	    'no-cache: the answer of the backend, not the stored one');
	$r = req($t, 'GET', $u, headers => [ 'Pragma: no-cache' ]);
	cs_like($r, csre('fwd=request'), 'Pragma: no-cache (no Cache-Control)');
	is(seen($be, $u), 3, 'Pragma: no-cache: the backend saw the request');
	cs_like(get($u), $HIT, 'a plain request after them: a hit');
	is(seen($be, $u), 3, 'still three at the backend');
};

subtest 'HEAD answered from a stored GET; a HEAD miss is not stored' => sub {
	my $u = '/c/head?cc=max-age=60&size=5000';
	my $g = get($u);
	cs_like($g, $STORED, 'GET');
	is(length $g->{body}, 5000, 'GET: 5000 bytes');
	my $h = req($t, 'HEAD', $u);
	is($h->{status}, 200, 'HEAD: 200');
	cs_like($h, $HIT, 'HEAD');
	is(hv($h, 'content-length'), '5000', 'HEAD: the Content-Length of the GET');
	is($h->{body}, '', 'HEAD: no body');
	is(length $h->{raw_out}, length $h->{head}, 'HEAD: nothing after the head');
	is(seen($be, $u), 1, 'the backend saw only the GET');

	$u = '/c/head2?cc=max-age=60';
	$h = req($t, 'HEAD', $u);
	is($h->{status}, 200, 'HEAD miss: 200');
	is(seen($be, $u, 'HEAD'), 1, 'HEAD miss: forwarded as HEAD');
	cs_like(get($u), $STORED, 'then GET: a miss, stored');
	is(seen($be, $u, 'GET'), 1, 'the GET reached the backend');
};

subtest 'cache_methods = GET: HEAD goes upstream' => sub {
	my $u = '/getonly/h?cc=max-age=60';
	cs_like(get($u), $STORED, 'GET');
	cs_like(get($u), $HIT, 'GET again');
	my $h = req($t, 'HEAD', $u);
	is($h->{status}, 200, 'HEAD: 200');
	unlike(cs($h), $HIT, 'HEAD: not a hit (' . cs($h) . ')');
	is(seen($be, $u, 'HEAD'), 1, 'the backend saw the HEAD');
	is(seen($be, $u, 'GET'), 1, 'and one GET');
};

subtest 'cache_bypass = $http_x_nocache' => sub {
	my $u = '/bypass/x?cc=max-age=60';
	cs_like(get($u), $STORED, 'no X-Nocache: miss');
	cs_like(get($u), $HIT, 'no X-Nocache: hit');
	my $r = req($t, 'GET', $u, headers => [ 'X-Nocache: 1' ]);
	is($r->{status}, 200, 'X-Nocache: 1: 200');
	cs_like($r, csre('fwd=bypass'), 'X-Nocache: 1');
	is(seen($be, $u), 2, 'X-Nocache: 1 reached the backend');
	cs_like(req($t, 'GET', $u, headers => [ 'X-Nocache: 0' ]), $HIT,
	    'X-Nocache: 0 (does not bypass)');
	cs_like(get($u), $HIT, 'no X-Nocache again');
	is(seen($be, $u), 2, 'the backend saw two requests in all');
};

subtest 'larger than cache_max_object_size: passed whole, not stored' => sub {
	my $size = $MAX_OBJECT + 40000;
	my $u = "/c/big?cc=max-age=60&size=$size";
	my $r1 = get($u);
	is($r1->{status}, 200, 'status 200');
	ok($r1->{complete}, 'a complete response');
	same_bytes($r1->{body}, substr($TEXT, 0, $size), "all $size bytes");
	not_stored($r1, 'too-large', 'first');
	my $r2 = get($u);
	same_bytes($r2->{body}, substr($TEXT, 0, $size), "second: all $size bytes");
	not_stored($r2, 'too-large', 'second');
	is(seen($be, $u), 2, 'both reached the backend');
	# Just under the limit is stored.
	my $u2 = "/c/notbig?cc=max-age=60&size=" . ($MAX_OBJECT - 8192);
	cs_like(get($u2), $STORED, 'a body 8K under the limit');
	cs_like(get($u2), $HIT, 'then a hit');
};

subtest 'PURGE' => sub {
	my $one = '/c/p/one?cc=max-age=60';
	cs_like(get($one), $STORED, 'fill one');
	cs_like(get($one), $HIT, 'one is a hit');
	my $p = req($t, 'PURGE', $one);
	is($p->{status}, 200, 'PURGE from 127.0.0.1: 200');
	is($p->{body}, "purged 1\n", 'purged 1');
	cs_like(get($one), $STORED, 'after PURGE: a miss, stored again');
	is(seen($be, $one), 2, 'the backend saw the request again');

	$p = req($t, 'PURGE', '/c/p/never');
	is($p->{status}, 404, 'PURGE of a key never stored: 404');

	my @d = map { "/c/p/dir/$_?cc=max-age=60" } qw(a b);
	cs_like(get($_), $STORED, "fill $_") for @d;
	cs_like(get($_), $HIT, "hit $_") for @d;
	$p = req($t, 'PURGE', '/c/p/dir/*');
	is($p->{status}, 200, 'PURGE /c/p/dir/*: 200');
	is($p->{body}, "purged 2\n", 'purged 2');
	for my $u (@d) {
		cs_like(get($u), $STORED, "after the prefix PURGE: $u a miss");
		is(seen($be, $u), 2, "$u reached the backend again");
	}
	cs_like(get($one), $HIT, 'a key outside the prefix stays');

	my $np = '/nopurge/x?cc=max-age=60';
	cs_like(get($np), $STORED, 'fill a key of a route with cache_purge_from = 10.0.0.0/8');
	is(req($t, 'PURGE', $np)->{status}, 403,
	    'PURGE from 127.0.0.1, not in 10.0.0.0/8: 403');
	cs_like(get($np), $HIT, 'the entry is still there');
	is(seen($be, $np), 1, 'the backend saw one GET');
	my $v = '/valid/purge-me';
	cs_like(get($v), $STORED, 'fill a key of a route without cache_purge_from');
	is(req($t, 'PURGE', $v)->{status}, 403, 'no cache_purge_from: 403');
	cs_like(get($v), $HIT, 'the entry is still there');

	is(scalar(grep { $_->{method} eq 'PURGE' } $t->received_requests($be)), 0,
	    'no PURGE reached the backend');
};

subtest 'POST invalidates the stored entry' => sub {
	my $u = '/c/post?cc=max-age=60';
	cs_like(get($u), $STORED, 'GET: miss');
	cs_like(get($u), $HIT, 'GET: hit');
	my $p = req($t, 'POST', $u, body => 'x=1');
	is($p->{status}, 200, 'POST: 200 from the backend');
	is(seen($be, $u, 'POST'), 1, 'the POST reached the backend');
	unlike(cs($p), $HIT, 'POST: not a hit (' . cs($p) . ')');
	cs_like(get($u), $STORED, 'GET after the POST: a miss');
	is(seen($be, $u, 'GET'), 2, 'the GET reached the backend again');

	# A POST answered with an error invalidates nothing.
	$u = '/c/post403?cc=max-age=60&pstatus=403';
	cs_like(get($u), $STORED, 'GET: miss');
	is(req($t, 'POST', $u, body => 'x=1')->{status}, 403, 'POST: 403');
	cs_like(get($u), $HIT, 'GET after a POST answered 403: still a hit');
	is(seen($be, $u, 'GET'), 1, 'the backend saw one GET');
};

subtest 'stale-if-error: the backend gone, the stale entry is served' => sub {
	my $u = '/sie/x?cc=max-age=1,stale-if-error=60';
	my $plain = '/sie/plain?cc=max-age=1';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'with stale-if-error=60: miss');
	cs_like(get($plain), $STORED, 'without: miss');
	ok($t->stop_backend($sie), 'the backend is stopped');
	sleep 1.3;
	my $r = get($u);
	is($r->{status}, 200, 'stale-if-error=60: 200');
	is($r->{body}, $r1->{body}, 'the stale body');
	is(hv($r, 'x-version'), hv($r1, 'x-version'), 'the stale headers');
	cs_like($r, csre('hit', 'detail=stale-if-error'),
	    'stale-if-error');
	like(hv($r, 'age') // '', qr/^\d+\z/, 'an Age header');
	$r = get($plain);
	cmp_ok($r->{status}, '>=', 500, 'no stale-if-error, no cache_use_stale: '
	    . "the error ($r->{status})");
	$r = get('/sie/never');
	cmp_ok($r->{status}, '>=', 500, "nothing stored: the error ($r->{status})");
};

subtest 'cache_use_stale = on: 503 or no backend, the stale entry is served' => sub {
	my $err = '/stale/err?cc=max-age=1&fail=1';
	my $gone = '/stale/gone?cc=max-age=1';
	my $e1 = get($err);
	cs_like($e1, $STORED, 'fill err');
	my $g1 = get($gone);
	cs_like($g1, $STORED, 'fill gone');
	sleep 1.3;
	$t->spew("$DIR/flag-fail", '');
	my $r = get($err);
	is(seen($down, $err), 2, 'the backend was asked (it answers 503)');
	is($r->{status}, 200, 'backend 503: 200 from the cache');
	is($r->{body}, $e1->{body}, 'the stale body');
	cs_like($r, csre('hit', 'detail=stale-upstream-down'),
	    'backend 503');
	unlink "$DIR/flag-fail";
	ok($t->stop_backend($down), 'the backend is stopped');
	$r = get($gone);
	is($r->{status}, 200, 'no backend: 200 from the cache');
	is($r->{body}, $g1->{body}, 'the stale body');
	cs_like($r, csre('hit', 'detail=stale-upstream-down'),
	    'no backend');
};

# Which worker accepts a connection is up to the kernel and to how the
# workers spread connections, so a daemon of its own steers them:
# max_connections (per worker) is 25, and a worker holding 25 connections
# stops accepting, so the next ones can only go to the other worker.
my $t3 = Test::Frontd->new;
my $be3 = $t3->raw_backend(handler => app_handler($t3->dir));
$t3->start("[global]\nworkers = 2\nmax_connections = 25\ncache_size = 64M\n\n"
    . "[upstream app]\nserver = $be3->{addr}\nupstream_read_timeout = 5s\n\n"
    . "[route c]\nupstream = app\ncache = on\n");
$t3->poll(sub { $t3->workers == 2 }, 5);

# Wait until frontd has closed every client connection (none established
# on its port), so that no worker still counts one.
sub t3_idle {
	return $t3->poll(sub { !$t3->established($t3->{port}) }, 5);
}

# Open connections (no request yet) one at a time until n are open, each
# known to be accepted: the connections and the worker of each.
sub open_known {
	my ($n, $keep) = @_;
	my (@c, @w);
	for (1 .. 4 * $n) {
		last if @c >= $n;
		my $c = $t3->raw_client or last;
		my $w;
		$t3->poll(sub { $w = worker_of($t3, $c->sock) }, 3);
		if (!$keep || (defined $w && $keep->($w))) {
			push @c, $c;
			push @w, $w;
		} else {
			$c->close;
		}
	}
	return (\@c, \@w);
}

subtest 'collapsing: 50 concurrent requests over two workers, one fetch' => sub {
	is(scalar $t3->workers, 2, 'two workers');
	my $size = 20000;
	my $u = "/collapse?cc=max-age=60&delay=1&size=$size";
	my ($c, $w) = open_known(50);
	is(scalar @$c, 50, '50 connections open');
	my %per;
	$per{ $_ // 'unknown' }++ for @$w;
	is_deeply([ sort { $a <=> $b } values %per ], [ 25, 25 ],
	    '25 in each worker') or diag explain \%per;
	my $t0 = time;
	$_->write("GET $u HTTP/1.1\r\nHost: $HOST\r\n\r\n") for @$c;
	my @r = map { $_->read_response(timeout => 15)
	    // { status => 0, headers => {}, body => '', complete => 0 } } @$c;
	my $took = time - $t0;
	$_->close for @$c;
	my $want = substr($TEXT, 0, $size);
	is(scalar(grep { $_->{status} == 200 && $_->{complete}
	    && $_->{body} eq $want } @r), 50, "all 50: 200 and the whole body");
	is(seen($be3, $u), 1, 'the backend saw exactly one request');
	my @cs = map { cs($_) } @r;
	is(scalar(grep { $_ =~ $STORED } @cs), 1, 'one fetched and stored');
	is(scalar(grep { $_ =~ $HIT } @cs), 49, 'the other 49: hits')
	    or diag(join "\n", map { "  $_" } @cs);
	my @coll = map { $cs[$_] =~ csre('collapsed') ? $w->[$_] // 'unknown' : () }
	    0 .. $#cs;
	my %cw = map { $_ => 1 } @coll;
	cmp_ok(scalar @coll, '>=', 1, scalar(@coll) . ' say collapsed');
	is(scalar keys %cw, 2, 'collapsed requests in both workers')
	    or diag explain \%cw;
	ok($took < 5, sprintf 'all answered in %.2f s (the backend takes 1 s)', $took);
	ok(t3_idle(), 'the connections are closed');
};

subtest 'a hit served by the other worker' => sub {
	t3_idle();
	my $u = '/otherworker?cc=max-age=60';
	my $c0 = $t3->raw_client or return fail('connect');
	$c0->write("GET $u HTTP/1.1\r\nHost: $HOST\r\n\r\n");
	my $fill = $c0->read_response(timeout => 10)
	    // { status => 0, headers => {}, body => '' };
	my $w0 = worker_of($t3, $c0->sock);
	is($fill->{status}, 200, 'fill: status 200');
	cs_like($fill, $STORED, 'fill');
	ok($w0, 'the filling worker: ' . ($w0 // 'not found')) or return;
	# Connections held open until three are the other worker's: once
	# $w0 holds more than its share it leaves new ones to the other
	# (and at 25, max_connections would).
	my (@held, @other);
	for (1 .. 60) {
		last if @other == 3;
		my $c = $t3->raw_client or last;
		my $w;
		$t3->poll(sub { $w = worker_of($t3, $c->sock) }, 3);
		push @{ defined $w && $w != $w0 ? \@other : \@held }, $c;
	}
	is(scalar @other, 3, 'three connections accepted by the other worker, '
	    . scalar(@held) . " more by worker $w0");
	for my $i (1 .. 3) {
		my $c = $other[$i - 1] or last;
		$c->write("GET $u HTTP/1.1\r\nHost: $HOST\r\n\r\n");
		my $r = $c->read_response(timeout => 10)
		    // { status => 0, headers => {}, body => '' };
		my $w = worker_of($t3, $c->sock);
		$c->close;
		ok(defined $w && $w != $w0, "request $i: served by the other worker ("
		    . ($w // 'not found') . ')');
		is($r->{status}, 200, "request $i: status 200");
		cs_like($r, $HIT, "request $i");
		is($r->{body}, $fill->{body}, "request $i: the stored body");
		is(hv($r, 'x-version'), hv($fill, 'x-version'),
		    "request $i: the stored headers");
	}
	is(seen($be3, $u), 1, 'the backend saw one request');
	$_->close for $c0, @held;
};

$t3->check_logs;

subtest 'compression: the br variant and the identity object are kept' => sub {
	my $size = 20000;
	my $u = "/gz/page?cc=max-age=60&type=html&size=$size";
	my $want = substr($TEXT, 0, $size);
	my @br = (headers => [ 'Accept-Encoding: br' ]);
	my $m0 = metrics();
	my $r1 = req($t, 'GET', $u, @br);
	is($r1->{status}, 200, 'br, first: 200');
	is(hv($r1, 'content-encoding'), 'br', 'br, first: Content-Encoding: br');
	cs_like($r1, $STORED, 'br, first');
	my $m1 = metrics();
	cmp_ok($m1->{frontd_compressed_responses_total} // 0, '>',
	    $m0->{frontd_compressed_responses_total} // 0,
	    'the first br response was compressed on the fly (counter grew)');
	my $r2 = req($t, 'GET', $u, @br);
	is($r2->{status}, 200, 'br, second: 200');
	is(hv($r2, 'content-encoding'), 'br', 'br, second: Content-Encoding: br');
	cs_like($r2, $HIT, 'br, second');
	if ($BR_DECODER) {
		my ($out, $done) = decode_br($r2->{body});
		ok($done, "br, second: a whole Brotli stream ($BR_DECODER)");
		same_bytes($out, $want, 'br, second: decodes byte for byte to the original');
		($out) = decode_br($r1->{body});
		same_bytes($out, $want, 'br, first: decodes to the original too');
	} else {
		ok(length $r2->{body} && length $r2->{body} < $size,
		    'br, second: shorter than the original');
	}
	my $m2 = metrics();
	is($m2->{frontd_compressed_responses_total},
	    $m1->{frontd_compressed_responses_total},
	    'frontd_compressed_responses_total does not grow on the cached variant');
	my $r3 = get($u);
	is($r3->{status}, 200, 'identity: 200');
	is(hv($r3, 'content-encoding'), undef, 'identity: no Content-Encoding');
	cs_like($r3, $HIT, 'identity');
	same_bytes($r3->{body}, $want, 'identity: the original body');
	is(seen($be, $u), 1, 'the backend saw one request');
};

subtest 'the metrics route' => sub {
	my $m0 = metrics();
	is($m0->{_status}, 200, 'status 200');
	like($m0->{_type}, qr{^text/plain; version=0\.0\.4\b},
	    'Content-Type: text/plain; version=0.0.4');
	for my $n (qw(frontd_requests_total frontd_cache_hits_total
	    frontd_cache_misses_total frontd_cache_stale_total
	    frontd_cache_revalidated_total frontd_cache_stores_total
	    frontd_cache_evictions_total frontd_cache_purges_total
	    frontd_cache_entries frontd_cache_bytes frontd_cache_size_bytes
	    frontd_compressed_responses_total frontd_connections_accepted_total
	    frontd_responses_total frontd_upstream_errors_total
	    frontd_reloads_total)) {
		ok(exists $m0->{$n}, "a $n line");
	}
	ok(exists $m0->{'frontd_responses_total{class="2xx"}'},
	    'frontd_responses_total{class="2xx"}');
	is($m0->{frontd_cache_size_bytes}, $CACHE_SIZE,
	    "frontd_cache_size_bytes: $CACHE_SIZE");
	cmp_ok($m0->{frontd_cache_hits_total} // 0, '>', 0,
	    'hits counted by the subtests before');

	# One step at a time, so that each delta is unambiguous: a stored
	# miss, a hit, then a revalidation (which the spec counts under
	# revalidated; whether it also counts as a miss or a store is left
	# open here).
	my $delta = sub {
		my ($before, $after, $n) = @_;
		return ($after->{$n} // 0) - ($before->{$n} // 0);
	};
	my $probe = '/c/metrics-probe?cc=max-age=60';
	my $reval = '/c/metrics-reval?cc=max-age=1&etag=m';
	cs_like(get($probe), $STORED, 'probe: miss');
	my $m1 = metrics();
	is($delta->($m0, $m1, 'frontd_cache_misses_total'), 1, 'a miss: misses +1');
	is($delta->($m0, $m1, 'frontd_cache_stores_total'), 1, 'a miss: stores +1');
	is($delta->($m0, $m1, 'frontd_cache_entries'), 1, 'a miss: entries +1');
	is($delta->($m0, $m1, 'frontd_cache_hits_total'), 0, 'a miss: hits +0');
	cmp_ok($m1->{frontd_cache_bytes} // 0, '>', $m0->{frontd_cache_bytes} // 0,
	    'a miss: frontd_cache_bytes grew');
	cmp_ok($delta->($m0, $m1, 'frontd_requests_total'), '>=', 1,
	    'frontd_requests_total grew');
	cs_like(get($probe), $HIT, 'probe: hit');
	my $m2 = metrics();
	is($delta->($m1, $m2, 'frontd_cache_hits_total'), 1, 'a hit: hits +1');
	is($delta->($m1, $m2, 'frontd_cache_misses_total'), 0, 'a hit: misses +0');
	is($delta->($m1, $m2, 'frontd_cache_stores_total'), 0, 'a hit: stores +0');
	is($delta->($m1, $m2, 'frontd_cache_entries'), 0, 'a hit: entries +0');
	cs_like(get($reval), $STORED, 'reval: miss');
	sleep 1.2;
	cs_like(get($reval), $REVAL,
	    'reval: revalidated');
	my $m3 = metrics();
	is($delta->($m2, $m3, 'frontd_cache_revalidated_total'), 1,
	    'a 304 refreshed an entry: revalidated +1');
	is($delta->($m2, $m3, 'frontd_cache_entries'), 1,
	    'one more entry (the revalidated one is not a second entry)');
	is(req($t, 'PURGE', $probe)->{status}, 200, 'PURGE the probe');
	my $m4 = metrics();
	cmp_ok($delta->($m3, $m4, 'frontd_cache_purges_total'), '>', 0,
	    'frontd_cache_purges_total grew');
	is($delta->($m3, $m4, 'frontd_cache_entries'), -1, 'frontd_cache_entries -1');
};

subtest 'the cache is kept across a reload (same cache_size)' => sub {
	my $u = '/c/reload?cc=max-age=60';
	my $r1 = get($u);
	cs_like($r1, $STORED, 'before: miss');
	cs_like(get($u), $HIT, 'before: hit');
	my $m0 = metrics();
	my @old = $t->workers;
	ok($t->reload($CONF), 'HUP: a new generation');
	my %old = map { $_ => 1 } @old;
	ok(!grep({ $old{$_} } $t->workers), 'new workers');
	my $r = get($u);
	cs_like($r, $HIT, 'after the reload');
	is($r->{body}, $r1->{body}, 'the stored body');
	is(seen($be, $u), 1, 'the backend saw one request');
	cs_like(get('/c/fresh?cc=max-age=60'), $HIT,
	    'an entry of an earlier subtest too');
	my $m1 = metrics();
	is(($m1->{frontd_reloads_total} // 0) - ($m0->{frontd_reloads_total} // 0),
	    1, 'frontd_reloads_total +1');
};

# ---------------------------------------------------------------------------
# Regressions of a review of the cache.

# gzip -> (output, error): bytes that are not gzip are an error.
sub un_gzip {
	my ($bytes) = @_;
	my $out;
	gunzip(\$bytes => \$out, Transparent => 0, Strict => 1)
	    or return (undef, $GunzipError || 'gunzip failed');
	return ($out, undef);
}

subtest 'a compressed copy is not another URL that ends in ~gzip' => sub {
	# The three requests within one second (a copy was once told from a
	# look-alike by its response time, in seconds).
	my $f = time - int time;
	sleep 1.01 - $f if $f > 0.7;
	my $u = '/gz/collide?cc=max-age=60&type=html&size=5000&x=1';
	my $want = substr($TEXT, 0, 5000);
	my $r1 = get($u);
	cs_like($r1, $STORED, "$u, identity client");
	my $r2 = get("$u~gzip");
	cs_like($r2, $STORED, "$u~gzip (another object), identity client");
	my $r3 = req($t, 'GET', $u, headers => [ 'Accept-Encoding: gzip' ]);
	is($r3->{status}, 200, 'gzip client: 200');
	cs_like($r3, $HIT, 'gzip client');
	is(hv($r3, 'content-encoding'), 'gzip', 'gzip client: Content-Encoding: gzip');
	my ($out, $err) = un_gzip($r3->{body});
	is($err, undef, 'gzip client: the body gunzips');
	same_bytes($out, $want, "gzip client: to the bytes of $u");
	is(hv($r3, 'x-version'), hv($r1, 'x-version'),
	    "gzip client: the X-Version of the fill of $u");
	is(seen($be, $u), 1, "the backend saw one request for $u");
};

subtest 'an HTTP/1.0 client gets a stored object gzipped, framed by the close' => sub {
	my $u = '/gz/http10?cc=max-age=60&type=html&size=5000';
	my $want = substr($TEXT, 0, 5000);
	cs_like(get($u), $STORED, 'identity client: stored');
	for my $n (1, 2) {
		my $r = req($t, 'GET', $u, version => '1.0',
		    headers => [ 'Accept-Encoding: gzip' ]);
		my $what = "HTTP/1.0, gzip ($n)";
		is($r->{status}, 200, "$what: 200");
		cs_like($r, $HIT, $what);
		is(hv($r, 'content-encoding'), 'gzip', "$what: Content-Encoding: gzip");
		is(hv($r, 'transfer-encoding'), undef, "$what: no Transfer-Encoding");
		my $sent = substr($r->{raw_out}, length $r->{head});
		my $cl = hv($r, 'content-length');
		ok(!defined $cl || $cl eq length $sent, "$what: Content-Length "
		    . ($cl // 'none') . ', ' . length($sent) . ' bytes sent');
		my ($out, $err) = un_gzip($sent);
		is($err, undef, "$what: the bytes sent gunzip");
		same_bytes($out, $want, "$what: to the original");
	}
	is(seen($be, $u), 1, 'the backend saw one request');
};

subtest 'Vary: Accept-Encoding of the upstream: a variant per set of codings' => sub {
	my $u = '/c/zstd?cc=max-age=60&zstd=1';
	my $ae = sub { req($t, 'GET', $u, headers => [ "Accept-Encoding: $_[0]" ]) };
	my $z1 = $ae->('gzip, zstd');
	cs_like($z1, $STORED, 'gzip, zstd');
	is(hv($z1, 'content-encoding'), 'zstd', 'gzip, zstd: Content-Encoding: zstd');
	like($z1->{body}, qr/^zstd:/, 'gzip, zstd: the zstd body');
	my $g1 = $ae->('gzip');
	cs_like($g1, csre('fwd=vary-miss', 'stored'), 'then gzip alone');
	is(hv($g1, 'content-encoding'), undef, 'gzip alone: no Content-Encoding');
	unlike($g1->{body}, qr/^zstd:/, 'gzip alone: not the zstd body');
	my $z2 = $ae->('zstd, gzip');
	cs_like($z2, $HIT, 'zstd, gzip (the same set)');
	is(hv($z2, 'content-encoding'), 'zstd', 'zstd, gzip: Content-Encoding: zstd');
	is($z2->{body}, $z1->{body}, 'zstd, gzip: the zstd variant');
	my $g2 = $ae->('gzip');
	cs_like($g2, $HIT, 'gzip alone again');
	is($g2->{body}, $g1->{body}, 'gzip alone: the identity variant');
	is(seen($be, $u), 2, 'the backend saw two requests');
};

subtest 'cache_use_stale respects must-revalidate and no-cache, not stale-if-error' => sub {
	my %u = (
	    plain => '/stale2/plain?cc=max-age=1&fail=1',
	    mr    => '/stale2/mr?cc=max-age=1,must-revalidate&fail=1',
	    nc    => '/stale2/nc?cc=max-age=1,no-cache&fail=1',
	    sie   => '/stale2/sie?cc=max-age=1,must-revalidate,stale-if-error=60&fail=1',
	);
	my %r1;
	for my $k (sort keys %u) {
		$r1{$k} = get($u{$k});
		cs_like($r1{$k}, $STORED, "fill $k");
	}
	sleep 1.3;
	$t->spew("$DIR/flag-fail", '');
	my $r = get($u{plain});
	is($r->{status}, 200, 'max-age=1, backend 503: 200 from the cache');
	is($r->{body}, $r1{plain}{body}, 'max-age=1: the stale body');
	cs_like($r, csre('hit', 'detail=stale-upstream-down'), 'max-age=1');
	for my $k (qw(mr nc)) {
		$r = get($u{$k});
		is($r->{status}, 503, "$u{$k}, backend 503: the 503 ("
		    . cs($r) . ')');
		isnt($r->{body}, $r1{$k}{body}, "$k: not the stale body");
		unlike(cs($r), csre('hit'), "$k: not a hit");
		is(seen($be, $u{$k}), 2, "$k: the backend was asked");
	}
	$r = get($u{sie});
	is($r->{status}, 200, 'must-revalidate, stale-if-error=60, backend 503: 200');
	is($r->{body}, $r1{sie}{body}, 'stale-if-error: the stale body');
	cs_like($r, csre('hit', 'detail=stale-if-error'), 'stale-if-error=60');
	unlink "$DIR/flag-fail";
};

subtest 'a stored 404 with an ETag: If-None-Match gets the 404, not a 304' => sub {
	my $u = '/c/nf404?status=404&cc=max-age=60&etag=n4';
	my $r1 = get($u);
	is($r1->{status}, 404, 'fill: 404');
	cs_like($r1, $STORED, 'fill');
	my $r = req($t, 'GET', $u, headers => [ 'If-None-Match: "n4"' ]);
	is($r->{status}, 404, 'If-None-Match: "n4": the 404');
	cs_like($r, $HIT, 'If-None-Match: "n4"');
	is($r->{body}, $r1->{body}, 'the stored body');
	is(seen($be, $u), 1, 'the backend saw one request');
};

subtest 'the access log says what the cache did' => sub {
	# combined (the main daemon): cs= at the end on a cache route only.
	my $u = '/c/alog?cc=max-age=60';
	cs_like(get($u), $STORED, 'combined: miss');
	cs_like(get($u), $HIT, 'combined: hit');
	is(get('/plain/alog')->{status}, 200, 'combined: a route without cache');
	my @l;
	$t->poll(sub { @l = grep { m{"GET (?:\Q$u\E|/plain/alog) HTTP} }
	    split /\n/, $t->access_log; @l >= 3 }, 3);
	is(scalar @l, 3, 'combined: three lines') or diag(join "\n", @l);
	like($l[0] // '', qr/ cs=miss\z/, 'combined: the miss ends in cs=miss');
	like($l[1] // '', qr/ cs=hit\z/, 'combined: the hit ends in cs=hit');
	unlike($l[2] // '', qr/ cs=/, 'combined: no cs= on a route without cache');

	my $t8 = Test::Frontd->new;
	my $d8 = $t8->dir;
	my $be8 = $t8->raw_backend(handler => app_handler($d8));
	$t8->start("[global]\ncache_size = 16M\ncache_max_object_size = 1M\n"
	    . "access_log = $d8/access.json\nlog_format = json\n\n"
	    . "[upstream app]\nserver = $be8->{addr}\n\n"
	    . "[route plain]\npath = /plain/\nupstream = app\n\n"
	    . "[route c]\nupstream = app\ncache = on\n");
	$u = '/j?cc=max-age=60';
	cs_like(req($t8, 'GET', $u), $STORED, 'json: miss');
	cs_like(req($t8, 'GET', $u), $HIT, 'json: hit');
	is(req($t8, 'GET', '/plain/j')->{status}, 200, 'json: a route without cache');
	my @j;
	$t8->poll(sub { @j = split /\n/, $t8->slurp("$d8/access.json");
	    @j >= 3 }, 3);
	is(scalar @j, 3, 'json: three lines');
	my @want = ([ 'miss', qr/"target":"\Q$u\E".*"cache":"miss"\}\z/ ],
	    [ 'hit', qr/"target":"\Q$u\E".*"cache":"hit"\}\z/ ],
	    [ 'no cache', qr/"target":"\/plain\/j".*"cache":null\}\z/ ]);
	for my $i (0 .. 2) {
		my ($what, $re) = @{ $want[$i] };
		my $l = $j[$i] // '';
		like($l, $re, "json, $what: " . ($l =~ /("cache":[^,}]*)/
		    ? $1 : 'no "cache"'));
		# A hit has no upstream: its null upstream keys too.
		ok(eval { JSON::PP::decode_json($l); 1 }, "json, $what: valid JSON")
		    or diag("$l\n$@");
	}
	$t8->check_logs;
};

subtest 'Vary: a field absent, empty, or differing in case are three variants' => sub {
	my $u = '/c/vthing?cc=max-age=60&vary=X-Thing';
	my $x = sub { req($t, 'GET', $u, headers => [ @_ ]) };
	my $none = $x->();
	cs_like($none, $STORED, 'no X-Thing');
	my $empty = $x->('X-Thing:');
	cs_like($empty, csre('fwd=vary-miss', 'stored'), 'X-Thing: (empty)');
	isnt(hv($empty, 'x-version'), hv($none, 'x-version'),
	    'empty: a new answer');
	my $r = $x->();
	cs_like($r, $HIT, 'no X-Thing again');
	is(hv($r, 'x-version'), hv($none, 'x-version'), 'no X-Thing: its variant');
	$r = $x->('X-Thing:');
	cs_like($r, $HIT, 'empty again');
	is(hv($r, 'x-version'), hv($empty, 'x-version'), 'empty: its variant');
	is(seen($be, $u), 2, 'two backend fetches so far');
	my $up = $x->('X-Thing: Abc');
	cs_like($up, csre('fwd=vary-miss', 'stored'), 'X-Thing: Abc');
	my $lo = $x->('X-Thing: abc');
	cs_like($lo, csre('fwd=vary-miss', 'stored'), 'X-Thing: abc');
	isnt(hv($lo, 'x-version'), hv($up, 'x-version'), 'abc: not the Abc answer');
	$r = $x->('X-Thing: Abc');
	cs_like($r, $HIT, 'X-Thing: Abc again');
	is(hv($r, 'x-version'), hv($up, 'x-version'), 'Abc: its variant');
	is(seen($be, $u), 4, 'four backend fetches in all');
};

$t->check_logs(allow => [ qr/\Q$sie->{addr}\E|\Q$down->{addr}\E/,
    qr/upstream (?:sie|down)\b/, qr/no live server/ ]);


done_testing;
