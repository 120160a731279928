# The cache zone seen from the outside, each subtest with a daemon of its
# own: cache_file entries across a stop and a start, a worker SIGKILLed
# while storing (no half entry), scan resistance of a 1M zone, a reload
# that changes cache_size (a new, empty zone) and its refusal with
# cache_file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses same_bytes);
use Test::FrontdCache;
use Time::HiRes qw(time sleep);

# seen() reads what a backend received through a harness: any will do.
cache_harness(Test::Frontd->new);

subtest 'cache_file: entries survive a stop and a start' => sub {
	my $t2 = Test::Frontd->new;
	my $be2 = $t2->raw_backend(handler => app_handler($t2->dir));
	my $file = $t2->dir . '/cache.zone';
	my $conf = "[global]\ncache_size = 16M\ncache_max_object_size = 1M\n"
	    . "cache_file = $file\n\n[upstream app]\nserver = $be2->{addr}\n\n"
	    . "[route c]\nupstream = app\ncache = on\n";
	$t2->start($conf);
	my $u = '/keep?cc=max-age=60';
	my $r1 = req($t2, 'GET', $u);
	cs_like($r1, $STORED, 'miss');
	cs_like(req($t2, 'GET', $u), $HIT, 'hit');
	ok($t2->stop, 'stopped');
	ok(-s $file, 'the cache file is there');
	$t2->start($conf);
	my $r = req($t2, 'GET', $u);
	is($r->{status}, 200, 'after the restart: 200');
	cs_like($r, $HIT, 'after the restart');
	is($r->{body}, $r1->{body}, 'the stored body');
	is(hv($r, 'x-version'), hv($r1, 'x-version'), 'the stored headers');
	is(seen($be2, $u), 1, 'the backend saw one request');
	$t2->check_logs;
};

# A daemon of its own for each subtest below: a zone that is killed into,
# a tiny zone, and reloads that change cache_size.
my $TS = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

# The [upstream] and routes of those daemons.
sub own_conf {
	my ($global, $be) = @_;
	return "[global]\n$global\n[upstream app]\nserver = $be->{addr}\n"
	    . "upstream_read_timeout = 10s\n\n[route metrics]\npath = /metrics\n"
	    . "metrics = on\n\n[route c]\nupstream = app\ncache = on\n";
}

subtest 'a worker killed while storing leaves no half entry' => sub {
	my $t4 = Test::Frontd->new;
	my $d4 = $t4->dir;
	my $be4 = $t4->raw_backend(handler => app_handler($d4));
	my $size = length $BIG;
	$t4->start(own_conf("workers = 2\ncache_size = 64M\n"
	    . "cache_max_object_size = 4M\n", $be4));
	$t4->poll(sub { $t4->workers == 2 }, 5);
	my $m = $t4->master_pid;
	my $u = "/crash?cc=max-age=60&big=$size&stall=65536";

	# The backend sends the head and 64 KB of the 2 MB, then stalls.
	$t4->spew("$d4/flag-stall", '');
	my $c = $t4->raw_client or return fail('connect');
	$c->write("GET $u HTTP/1.1\r\nHost: $HOST\r\n\r\n");
	ok($t4->poll(sub { -e "$d4/stalled" }, 5),
	    'the backend sent 64 KB of 2 MB and stalls');
	# Let frontd take in what it got (and pass some of it on).
	$t4->poll(sub { $c->fill(0.05); length($c->buffer) > 65536 }, 2);
	my $w = worker_of($t4, $c->sock);
	ok($w, 'the worker serving it: ' . ($w // 'not found')) or do {
		unlink "$d4/flag-stall";
		$c->close;
		return;
	};
	ok(kill('KILL', $w), "SIGKILL worker $w in the middle of the response");
	ok($c->wait_closed(5), 'the client connection is closed');
	my ($cut) = parse_responses($c->buffer);
	ok(!$cut || !$cut->{complete}, 'the client got a cut-short response ('
	    . length($c->buffer) . ' bytes)');
	$c->close;
	unlink "$d4/flag-stall";
	ok($t4->poll(sub { my @w = $t4->workers;
	    @w == 2 && !grep { $_ == $w } @w }, 5),
	    'the master runs a new worker in its place');
	like($t4->error_log, qr/^$TS warn master\[$m\]: worker process $w was killed by signal 9 \(Killed\); starting a new one\b/m,
	    'the error log says the worker was killed and a new one started');

	my $t0 = time;
	my $r2 = req($t4, 'GET', $u, timeout => 20);
	my $took = time - $t0;
	is($r2->{status}, 200, 'again: 200');
	ok($r2->{complete}, 'again: a complete response');
	is(hv($r2, 'content-length'), $size, "again: Content-Length: $size");
	same_bytes($r2->{body}, $BIG, "again: all $size bytes, the right ones");
	cs_like($r2, csre('fwd=uri-miss'), 'again: a miss, no half entry hit');
	cs_like($r2, $STORED, 'again: stored');
	ok($took < 4, sprintf 'again: answered in %.2f s (not held up by the '
	    . 'fetch of the dead worker)', $took);
	is(seen($be4, $u), 2, 'the backend saw the request again');

	my $r3 = req($t4, 'GET', $u, timeout => 20);
	is($r3->{status}, 200, 'third: 200');
	cs_like($r3, $HIT, 'third');
	same_bytes($r3->{body}, $BIG, "third: all $size bytes from the cache");
	is(hv($r3, 'x-version'), hv($r2, 'x-version'),
	    'third: the entry stored by the second');
	is(seen($be4, $u), 2, 'the backend saw no third request');

	my $mt = metrics($t4);
	is($mt->{frontd_cache_entries}, 1, 'frontd_cache_entries: 1');
	my $bytes = $mt->{frontd_cache_bytes} // 0;
	ok($bytes >= $size && $bytes <= $size + 65536,
	    "frontd_cache_bytes: $bytes (the one entry of $size bytes)");
	$t4->check_logs(allow => [ qr/was killed by signal 9\b/ ]);
};

subtest 'scan resistance: 400 one-off objects in a 1M zone do not evict a hot one' => sub {
	my $t5 = Test::Frontd->new;
	my $be5 = $t5->raw_backend(handler => app_handler($t5->dir));
	$t5->start(own_conf("cache_size = 1M\ncache_max_object_size = 128K\n",
	    $be5));
	my $hot = '/hot?cc=max-age=60';
	my $h1 = req($t5, 'GET', $hot);
	cs_like($h1, $STORED, 'hot: fill');
	cs_like(req($t5, 'GET', $hot), $HIT, 'hot: first hit');
	cs_like(req($t5, 'GET', $hot), $HIT, 'hot: second hit');
	my $m0 = metrics($t5);
	is($m0->{frontd_cache_size_bytes}, 1048576, 'frontd_cache_size_bytes: 1048576');
	my $n = 400;
	my @scan = map { "/scan/$_?cc=max-age=60" } 1 .. $n;
	my ($stored, @bad) = (0);
	for my $u (@scan) {
		my $r = req($t5, 'GET', $u);
		if ($r->{status} == 200 && cs($r) =~ $STORED) {
			$stored++;
		} else {
			push @bad, "$u: $r->{status} " . cs($r);
		}
	}
	is($stored, $n, "the scan: $n misses, each stored")
	    or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
	my $r = req($t5, 'GET', $hot);
	is($r->{status}, 200, 'hot after the scan: 200');
	cs_like($r, $HIT, 'hot after the scan');
	is($r->{body}, $h1->{body}, 'hot: the stored body');
	is(seen($be5, $hot), 1, 'the backend saw one request for hot');
	my $mt = metrics($t5);
	cmp_ok($mt->{frontd_cache_evictions_total} // 0, '>', 0,
	    'frontd_cache_evictions_total: '
	    . ($mt->{frontd_cache_evictions_total} // 'none'));
	my $entries = $mt->{frontd_cache_entries} // 0;
	ok($entries > 1 && $entries < 256,
	    "frontd_cache_entries: $entries (in 2..255: the zone is full)");
	cmp_ok($mt->{frontd_cache_bytes} // 0, '<=', 1048576,
	    'frontd_cache_bytes within cache_size');
	cs_like(req($t5, 'GET', $scan[0]), $STORED,
	    'the first object of the scan was evicted: a miss again');
	is(seen($be5, $scan[0]), 2, 'the backend saw it again');
	$t5->check_logs;
};

subtest 'a reload that changes cache_size starts an empty cache' => sub {
	my $t6 = Test::Frontd->new;
	my $be6 = $t6->raw_backend(handler => app_handler($t6->dir));
	my $conf16 = own_conf("cache_size = 16M\ncache_max_object_size = 1M\n", $be6);
	my $conf32 = own_conf("cache_size = 32M\ncache_max_object_size = 1M\n", $be6);
	$t6->start($conf16);
	my $m = $t6->master_pid;
	my $u = '/resize?cc=max-age=60';
	my $r1 = req($t6, 'GET', $u);
	cs_like($r1, $STORED, 'before: miss');
	cs_like(req($t6, 'GET', $u), $HIT, 'before: hit');
	ok($t6->reload($conf32), 'HUP with cache_size = 32M: a new generation');
	like($t6->error_log, qr/^$TS notice master\[$m\]: .*\bnew cache\b.*\breplaces the old one\b/m,
	    'a notice: a new cache replaces the old one')
	    or diag($t6->error_log);
	my $m0 = metrics($t6);
	is($m0->{frontd_cache_size_bytes}, 32 * 1048576,
	    'frontd_cache_size_bytes: 32M');
	is($m0->{frontd_cache_entries}, 0, 'frontd_cache_entries: 0');
	my $r = req($t6, 'GET', $u);
	is($r->{status}, 200, 'after: 200');
	cs_like($r, $STORED, 'after: a miss, stored in the new cache');
	isnt(hv($r, 'x-version'), hv($r1, 'x-version'), 'after: a new answer');
	is(seen($be6, $u), 2, 'the backend saw the request again');
	cs_like(req($t6, 'GET', $u), $HIT, 'then a hit');
	$t6->check_logs;
};

subtest 'cache_file: a reload that changes cache_size is refused' => sub {
	my $t7 = Test::Frontd->new;
	my $be7 = $t7->raw_backend(handler => app_handler($t7->dir));
	my $file = $t7->dir . '/cache.zone';
	my $conf16 = own_conf("workers = 2\ncache_size = 16M\ncache_max_object_size = 1M\n"
	    . "cache_file = $file\n", $be7);
	my $conf32 = own_conf("workers = 2\ncache_size = 32M\ncache_max_object_size = 1M\n"
	    . "cache_file = $file\n", $be7);
	$t7->start($conf16);
	$t7->poll(sub { $t7->workers == 2 }, 5);
	my $m = $t7->master_pid;
	my @w = sort { $a <=> $b } $t7->workers;
	my $u = '/keep?cc=max-age=60';
	my $r1 = req($t7, 'GET', $u);
	cs_like($r1, $STORED, 'before: miss');
	cs_like(req($t7, 'GET', $u), $HIT, 'before: hit');
	my $msg = qr/cache_size cannot change on reload while cache_file \Q$file\E is in use \(restart frontd\)/;
	$t7->write_config($conf32);
	ok($t7->signal('HUP'), 'HUP with cache_size = 32M');
	$t7->wait_for(sub { $t7->error_log =~ /^$TS warn master\[$m\]: reload refused: /m },
	    10, 'the refusal is logged at warn');
	like($t7->error_log, qr/^$TS warn master\[$m\]: .*$msg/m,
	    'the log says why, at warn') or diag($t7->error_log);
	is_deeply([ sort { $a <=> $b } $t7->workers ], \@w, 'the same workers keep running');
	my $r = req($t7, 'GET', $u);
	cs_like($r, $HIT, 'the running config still serves hits');
	is($r->{body}, $r1->{body}, 'the stored body');
	is(seen($be7, $u), 1, 'the backend saw one request');
	is(metrics($t7)->{frontd_cache_size_bytes}, 16 * 1048576,
	    'frontd_cache_size_bytes: still 16M');
	my ($code, $out, $err) = $t7->run_frontd('-s', 'reload', '-c', $t7->conf);
	is($code, 1, '-s reload: exit 1');
	like("$out$err", $msg, '-s reload prints why') or diag("$out$err");
	is_deeply([ sort { $a <=> $b } $t7->workers ], \@w, 'the workers are untouched');
	# What the message asks for: a restart takes the new size.
	ok($t7->stop, 'stopped');
	$t7->start($conf32);
	my $mt = metrics($t7);
	is($mt->{_status}, 200, 'restarted with cache_size = 32M and the same file');
	is($mt->{frontd_cache_size_bytes}, 32 * 1048576, 'frontd_cache_size_bytes: 32M');
	$r = req($t7, 'GET', $u);
	is($r->{status}, 200, 'after the restart: 200 (' . cs($r) . ')');
	$t7->check_logs;
};


done_testing;
