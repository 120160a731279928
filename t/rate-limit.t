# Shared limits (frontd.conf(5), LIMITS): rate_limit holds across workers
# (a paced load from one address gets its rate and its burst, another
# address is unaffected), says when to come back (Retry-After, RateLimit),
# can be dry run, and keeps its buckets across a reload; limit_conn
# counts requests in flight across workers, gives them back however they
# end, and a worker killed while holding some leaks none. -t refuses bad
# values and a limit without a zone. Other clients use loopback source
# addresses: 127.0.0.2.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

sub seen_by {
	my ($t, $be) = @_;
	return scalar(() = $t->slurp("$be->{rec}") =~ /^[A-Z]+ \S+ HTTP/mg);
}

# One response on a keep-alive socket: its status, or 0.
sub ka_get {
	my ($s, $path, $buf) = @_;
	my $req = "GET $path HTTP/1.1\r\nHost: rl.example\r\n\r\n";
	return 0 unless defined syswrite($s, $req);
	my $sel = IO::Select->new($s);
	my $deadline = time + 5;
	while (1) {
		if ($$buf =~ /\A(HTTP\/1\.1 (\d+)[^\r]*\r\n(.*?)\r\n\r\n)/s) {
			my ($head, $status, $fields) = ($1, $2, $3);
			my ($len) = $fields =~ /^Content-Length:\s*(\d+)/mi;
			$len //= 0;
			if (length($$buf) >= length($head) + $len) {
				substr($$buf, 0, length($head) + $len) = '';
				return $status;
			}
		}
		my $left = $deadline - time;
		return 0 if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $$buf, 65536, length $$buf);
		return 0 unless $n;
	}
}

# nconn forked clients from address from, each on a keep-alive
# connection, together rate requests a second for secs seconds, paced on
# the clock. Returns the pids; each writes "STATUS STATUS ..." and the
# time of its first and last request to file.N.
sub load {
	my (%o) = @_;
	my $start = time + 0.3;
	my @pids;
	for my $k (1 .. $o{nconn}) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my @st;
			my ($first, $last);
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $o{port}, LocalAddr => $o{from},
			    Proto => 'tcp', Timeout => 5);
			my $buf = '';
			my $every = $o{nconn} / $o{rate};
			my $n = int($o{secs} * $o{rate} / $o{nconn});
			for my $i (0 .. $n - 1) {
				my $at = $start + ($k - 1) / $o{rate} + $i * $every;
				my $wait = $at - time;
				sleep $wait if $wait > 0;
				if (!$s) {
					push @st, 0;
					next;
				}
				$first //= time;
				$last = time;
				my $status = ka_get($s, $o{path}, \$buf);
				push @st, $status;
				if (!$status) {
					close $s;
					$buf = '';
					$s = IO::Socket::INET->new(
					    PeerAddr => '127.0.0.1',
					    PeerPort => $o{port},
					    LocalAddr => $o{from},
					    Proto => 'tcp', Timeout => 5);
				}
			}
			open my $fh, '>', "$o{file}.$k" or POSIX::_exit(1);
			printf $fh "%.3f %.3f\n%s\n", $first // 0, $last // 0,
			    join(' ', @st);
			close $fh;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	return @pids;
}

# The statuses of a load, as { status => count }, and its span in seconds.
sub tally {
	my ($t, $file, $nconn) = @_;
	my (%n, $first, $last);
	for my $k (1 .. $nconn) {
		my ($span, $st) = split /\n/, $t->slurp("$file.$k");
		my ($f, $l) = split / /, $span;
		$first = $f if !defined $first || $f < $first;
		$last = $l if !defined $last || $l > $last;
		$n{$_}++ for split / /, $st;
	}
	return (\%n, $last - $first);
}

subtest 'rate_limit across two workers: the rate, the burst, others unaffected' => sub {
	my $t = Test::Frontd->new;
	$t->start(<<"EOF");
[global]
workers = 2

[route limited]
rate_limit = 50r/s burst=10
return = 200 ok
EOF
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	my $dir = $t->dir;
	# 200 r/s from 127.0.0.1 over four connections (spread over both
	# workers), 10 r/s from 127.0.0.2 at the same time, for 10 s.
	my @a = load(port => $t->{port}, from => '127.0.0.1', nconn => 4,
	    rate => 200, secs => 10, path => '/', file => "$dir/a");
	my @b = load(port => $t->{port}, from => '127.0.0.2', nconn => 1,
	    rate => 10, secs => 10, path => '/', file => "$dir/b");
	waitpid($_, 0) for @a, @b;
	my ($na, $span) = tally($t, "$dir/a", 4);
	my ($nb) = tally($t, "$dir/b", 1);
	note explain { a => $na, b => $nb, span => $span };
	my $ok = $na->{200} // 0;
	my $want = 50 * $span + 10 + 1;
	is(($na->{200} // 0) + ($na->{429} // 0), 2000,
	    'every request of the load answered, 200 or 429');
	cmp_ok($ok, '>=', 0.95 * (50 * $span) + 10,
	    "accepted: $ok, within 5% of 50 r/s over ${\ sprintf '%.2f', $span} s + burst");
	cmp_ok($ok, '<=', 1.05 * (50 * $span) + 11, 'and not more');
	is_deeply($nb, { 200 => 100 }, 'another address got all of its 100');
	$t->check_logs;
};

subtest 'refused: 429, when to come back, no backend, a log line, metrics' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "from backend\n");
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route metrics]
path = = /metrics
metrics = on

[route api]
rate_limit = 1r/m
rate_limit = 100r/s key=\$http_x_api_key status=503 name=perkey
upstream = app
EOF
	my $r = $t->get('/a');
	is($r->status, 200, 'first request: 200');
	$r = $t->get('/b');
	is($r->status, 429, 'second within the minute: 429');
	my $ra = $r->header('Retry-After') // '';
	like($ra, qr/^\d+$/, "Retry-After in seconds ($ra)");
	ok($ra >= 59 && $ra <= 60, 'about a minute');
	is($r->header('RateLimit-Policy'), '"default";q=1;w=60',
	    'RateLimit-Policy: the quota and its window');
	is($r->header('RateLimit'), "\"default\";r=0;t=$ra",
	    'RateLimit: none left, and when');
	like($r->content, qr/429 Too Many Requests/, 'a page saying so');
	is(seen_by($t, $be), 1, 'the refused request never reached the backend');
	is($t->get('/c', from => '127.0.0.2')->status, 200,
	    'another address: 200');
	$t->wait_for(sub { $t->error_log =~ /127\.0\.0\.1 429: refused by rate_limit 1r\/m \(key "127\.0\.0\.1"\) in route api/ },
	    5, 'logged, naming the limit, the key and the route');
	# The keep-alive form: the connection stays after a 429.
	my $c = $t->raw_client;
	$c->write("GET /d HTTP/1.1\r\nHost: x\r\n\r\nGET /e HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r1 = $c->read_response(timeout => 5);
	my $r2 = $c->read_response(timeout => 5);
	is($r1 && $r1->{status}, 429, 'pipelined: 429');
	is($r2 && $r2->{status}, 429, 'and the next one on the same connection too');
	$c->close;
	my $m = $t->get('/metrics')->content;
	like($m, qr/^frontd_requests_limited_total\{limit="rate_limit"\} 3$/m,
	    'counted in the metrics');
	$t->check_logs;
};

subtest 'a key from a header; an empty key is not counted' => sub {
	my $t = Test::Frontd->new;
	$t->start(<<"EOF");
[route api]
rate_limit = 1r/m key=\$http_x_api_key status=503 name=perkey
return = 200 ok
EOF
	my %k1 = (headers => { 'X-Api-Key' => 'k1' });
	is($t->get('/', %k1)->status, 200, 'key k1: 200');
	my $r = $t->get('/', %k1, from => '127.0.0.2');
	is($r->status, 503, 'key k1 again, from elsewhere: status=503');
	is($r->header('RateLimit-Policy'), '"perkey";q=1;w=60', 'name=perkey');
	is($t->get('/', headers => { 'X-Api-Key' => 'k2' })->status, 200,
	    'key k2: a bucket of its own');
	is($t->get('/')->status, 200, 'no key: not counted');
	is($t->get('/')->status, 200, 'no key again: not counted');
	$t->wait_for(sub { $t->error_log =~ /503: refused by rate_limit 1r\/m \(key "k1"\) in route api/ },
	    5, 'the log shows the key');
	$t->check_logs;
};

subtest 'rate_limit_dry_run logs and lets everything through' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "ok\n");
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route api]
rate_limit = 1r/m
rate_limit_dry_run = on
upstream = app
EOF
	my @st = map { $t->get("/$_")->status } 1 .. 5;
	is_deeply(\@st, [ (200) x 5 ], 'five requests, five 200');
	is(seen_by($t, $be), 5, 'all reached the backend');
	$t->wait_for(sub { $t->error_log =~ /rate_limit 1r\/m \(key "127\.0\.0\.1"\) in route api would refuse this request \(dry run\)/ },
	    5, 'what would have been refused is logged');
	my $n = () = $t->error_log =~ /would refuse/g;
	ok($n >= 1 && $n <= 2, "not once per request ($n lines for 4)");
	$t->check_logs;
};

subtest 'a reload keeps the buckets; a new zone size starts afresh' => sub {
	my $t = Test::Frontd->new;
	my $conf = sub {
		my ($extra) = @_;
		return "[global]\nworkers = 2\n$extra\n[route api]\n"
		    . "rate_limit = 1r/m\nreturn = 200 ok\n";
	};
	$t->start($conf->(''));
	is($t->get('/')->status, 200, 'first: 200');
	is($t->get('/')->status, 429, 'second: 429');
	ok($t->reload($conf->("keepalive_requests = 999\n")), 'reloaded');
	is($t->get('/')->status, 429, 'right after the reload: still 429');
	ok($t->reload($conf->("rate_limit_zone = 2M\n")), 'reloaded with another zone size');
	like($t->error_log, qr/a new rate_limit_zone of 2097152 bytes replaces the old one/,
	    'the log says the limits start afresh');
	is($t->get('/')->status, 200, 'a new zone: 200 again');
	$t->check_logs;
};

# /hold requests, each on its own connection, until n are held by be;
# returns the connections waiting and the statuses of the others.
sub hold_on {
	my ($t, $be, $n, $tries) = @_;
	my (@waiting, @answered);
	for (1 .. $tries) {
		last if $t->held($be) >= $n;
		my $c = $t->raw_client or next;
		$c->write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
		my $before = $t->held($be);
		my $r;
		$t->poll(sub {
			return 1 if $t->held($be) > $before;
			$r = $c->read_response(timeout => 0.05);
			return $r;
		}, 5);
		if ($r) {
			push @answered, $r->{status};
			$c->close;
		} else {
			push @waiting, $c;
		}
	}
	return (\@waiting, \@answered);
}

subtest 'limit_conn: requests in flight, across workers, given back' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	$t->start(<<"EOF");
[global]
workers = 2

[upstream app]
server = $a->{addr}

[route api]
limit_conn = 2
upstream = app
EOF
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	$t->flag($a, hold => 1);
	my ($waiting) = hold_on($t, $a, 2, 4);
	is($t->held($a), 2, 'two requests held at the backend');
	my $r = $t->get('/hold');
	is($r->status, 503, 'the third: 503');
	is($t->get('/x', from => '127.0.0.2')->status, 200,
	    'another address: 200');
	like($t->error_log, qr/503: refused by limit_conn 2 \(key "127\.0\.0\.1"\) in route api/,
	    'logged');
	$t->flag($a, hold => 0);
	for my $c (@$waiting) {
		my $x = $c->read_response(timeout => 5);
		is($x && $x->{status}, 200, 'a held request is answered');
		$c->close;
	}
	is($t->get('/x')->status, 200, 'given back: the next one passes');
	# A client that goes away gives its request back too.
	$t->flag($a, hold => 1);
	($waiting) = hold_on($t, $a, 2, 4);
	is($t->held($a), 2, 'two held again');
	$_->close for @$waiting;
	$t->flag($a, hold => 0);
	$t->wait_for(sub { $t->held($a) == 0 }, 5, 'the backend let go');
	$t->flag($a, hold => 1);
	($waiting) = hold_on($t, $a, 2, 4);
	is($t->held($a), 2, 'after two clients left: two more held, not 503');
	$_->close for @$waiting;
	$t->flag($a, hold => 0);
	$t->check_logs;
};

subtest 'limit_conn: a worker killed while holding requests leaks none' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	$t->start(<<"EOF");
[global]
workers = 2

[upstream app]
server = $a->{addr}

[route api]
limit_conn = 2
upstream = app
EOF
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	$t->flag($a, hold => 1);
	my ($waiting) = hold_on($t, $a, 2, 4);
	is($t->held($a), 2, 'two requests held');
	is($t->get('/hold')->status, 503, 'the limit is reached');
	my @w = $t->workers;
	kill 'KILL', @w;
	$t->wait_for(sub {
		my @n = $t->workers;
		return @n == 2 && !grep { my $p = $_; grep { $_ == $p } @w } @n;
	}, 10, 'both workers killed and respawned');
	$_->close for @$waiting;
	$t->flag($a, hold => 0);
	$t->wait_for(sub { $t->held($a) == 0 }, 5, 'the backend let go');
	$t->flag($a, hold => 1);
	($waiting) = hold_on($t, $a, 2, 4);
	is($t->held($a), 2, 'two requests held again: the dead counted none');
	is($t->get('/hold')->status, 503, 'and the third is refused');
	$_->close for @$waiting;
	$t->flag($a, hold => 0);
	$t->check_logs(allow => [ qr/was killed by signal 9\b/ ]);
};

subtest '-t: bad values, and a limit without a zone' => sub {
	my $t = Test::Frontd->new;
	my $d = $t->dir;
	my $expect = 'expected a rate such as 50r/s or 600r/m, then burst=N, '
	    . 'key=TEMPLATE, status=CODE, name=NAME';
	my @bad = ('50', '0r/s', '50r/d', '50r/s burst=x', '50r/s key=$nosuch',
	    '50r/s status=200', '50r/s color=red', '50r/s name="x"');
	my $conf = "[listener l]\naddress = 127.0.0.1:1\n\n[route r]\nreturn = 200\n";
	$conf .= "rate_limit = $_\n" for @bad;
	$conf .= "limit_conn = 0\nlimit_conn = 5 burst=2\n";
	$t->spew("$d/bad.conf", $conf);
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/bad.conf");
	is($code, 1, 'exit 1');
	my $line = 6;
	for my $v (@bad) {
		if ($v =~ /nosuch/) {
			like($err, qr/^\Q$d\E\/bad\.conf:$line: bad rate_limit "\$nosuch": /m,
			    "line $line: an unknown variable");
		} else {
			like($err, qr/^\Q$d\E\/bad\.conf:$line: bad rate_limit "\Q$v\E" in \[route r\] \(\Q$expect\E\)$/m,
			    "line $line: rate_limit = $v");
		}
		$line++;
	}
	like($err, qr/^\Q$d\E\/bad\.conf:$line: bad limit_conn "0" in \[route r\]/m,
	    'limit_conn = 0');
	$line++;
	like($err, qr/^\Q$d\E\/bad\.conf:$line: bad limit_conn "5 burst=2" in \[route r\]/m,
	    'burst is for rates');

	$t->spew("$d/nozone.conf", "[global]\nrate_limit_zone = 0\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\nlimit_conn = 10\n\n"
	    . "[route r]\nreturn = 200\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/nozone.conf");
	is($code, 1, 'a limit with rate_limit_zone = 0: exit 1');
	like($err, qr/^\Q$d\E\/nozone\.conf:6: limit_conn in \[listener l\] needs a shared zone, but rate_limit_zone in \[global\] is 0$/m,
	    'the limit\'s line says why');

	$t->spew("$d/good.conf", "[global]\nrate_limit_zone = 64K\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\nrate_limit = 600r/m burst=20 key=\$remote_addr\n"
	    . "limit_conn = 100 key=\$route status=429\nrate_limit_dry_run = on\n\n"
	    . "[route r]\nreturn = 200\nrate_limit = 10r/h key=\$http_x_api_key\$cookie_s name=hourly\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/good.conf");
	is($code, 0, 'every form in the man page is accepted') or diag($err);
	$t->spew("$d/small.conf", "[global]\nrate_limit_zone = 1K\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/small.conf");
	like($err, qr/bad rate_limit_zone "1K" in \[global\] \(expected a size from 64K to 1G, or 0\)/,
	    'a zone too small to be of use');
};

done_testing;
