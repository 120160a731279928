# Health checks.  Active: the checker's request, a server whose /healthz
# fails goes down after "fall" checks and up after "rise", each change
# logged once; no server left gives 502; a reload keeps the state.  TCP
# checks.  Passive: a killed server is marked down once (not on every
# request), the state survives a reload, and it comes back after
# fail_timeout.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

# n GET requests over one keep-alive connection (reopened when closed; a
# new connection for each with close => 1): { backend name => count,
# "status N" => count, "fail: ..." => count }.
sub tally {
	my ($t, $n, $host, %o) = @_;
	my (%count, $c);
	my $close = $o{close} ? "Connection: close\r\n" : '';
	for (1 .. $n) {
		if (!$c || $c->closed) {
			$c = $t->raw_client or do { $count{"fail: connect: $!"}++; next };
		}
		$c->write("GET / HTTP/1.1\r\nHost: $host\r\n$close\r\n");
		my $r = $c->read_response(timeout => 10);
		if (!$r || !$r->{complete}) {
			$count{'fail: ' . ($r ? $r->{error} : 'no response')}++;
			$c->close;
			undef $c;
			next;
		}
		if ($r->{status} == 200) {
			(my $b = $r->{body}) =~ s/\s+\z//;
			$count{$b}++;
		} else {
			$count{"status $r->{status}"}++;
		}
		if ($close || grep { lc eq 'close' } @{ $r->{headers}{connection} // [] }) {
			$c->close;
			undef $c;
		}
	}
	$c->close if $c;
	return \%count;
}

# Error log lines matching re.
sub lines {
	my ($t, $re) = @_;
	return grep { $_ =~ $re } split /\n/, $t->error_log;
}

sub checks_received {
	my ($t, $be) = @_;
	return grep { $_->{target} eq '/healthz' } $t->received_requests($be);
}

subtest 'active checks' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $b = $t->app_backend(name => 'B');
	my $c = $t->app_backend(name => 'C');
	my $d = $t->app_backend(name => 'D');
	my $e = $t->app_backend(name => 'E');
	my $f = $t->app_backend(name => 'F');
	my $g = $t->app_backend(name => 'G');
	my $config = sub {
		my (%o) = @_;
		my $interval = $o{interval} // '200ms';
		my $wa = $o{weight_a} ? " weight=$o{weight_a}" : '';
		return <<"EOF";
[global]
workers = 2

[upstream app]
server = $a->{addr}$wa
server = $b->{addr}
server = $d->{addr} down
server = $e->{addr} drain
health_check = GET /healthz
health_interval = $interval
rise = 2
fall = 2

[upstream tcp]
server = $c->{addr}
health_check = tcp
health_interval = 200ms
rise = 2
fall = 2

[upstream head]
server = $f->{addr}
health_check = HEAD /healthz
health_host = check.internal
health_expect = 200
health_interval = 200ms
fall = 2

[upstream body]
server = $g->{addr}
health_check = GET /healthz
health_expect = ALIVE
health_interval = 200ms
fall = 2

[route tcp]
host = tcp.example
upstream = tcp

[route head]
host = head.example
upstream = head

[route body]
host = body.example
upstream = body

[route all]
upstream = app
EOF
	};
	$t->start($config->());
	my $addr_a = quotemeta $a->{addr};
	my $addr_b = quotemeta $b->{addr};
	my $addr_c = quotemeta $c->{addr};

	# The check request.
	$t->wait_for(sub { checks_received($t, $a) >= 2 }, 5, 'A receives checks');
	my ($q) = checks_received($t, $a);
	is($q->{method}, 'GET', 'GET') or diag($q->{head});
	is($q->{version}, '1.1', 'HTTP/1.1');
	is_deeply($q->{headers}{host}, [ $a->{addr} ], 'Host: the server as written');
	is_deeply($q->{headers}{'user-agent'}, ['frontd-health-check'],
	    'User-Agent: frontd-health-check');
	is_deeply($q->{headers}{connection}, ['close'], 'Connection: close');
	my $n = tally($t, 20, 'x.example');
	ok(($n->{A} // 0) > 0 && ($n->{B} // 0) > 0 && $n->{A} + $n->{B} == 20,
	    'both servers healthy: both get requests') or diag explain $n;

	# HEAD checks with health_host; a body substring that is not there.
	$t->wait_for(sub { checks_received($t, $f) >= 3 }, 5, 'F receives checks');
	($q) = checks_received($t, $f);
	is($q->{method}, 'HEAD', 'health_check = HEAD /healthz: HEAD') or diag($q->{head});
	is_deeply($q->{headers}{host}, ['check.internal'], 'health_host sets Host');
	ok(!lines($t, qr/server \Q$f->{addr}\E is down/), 'F passes its checks');
	is_deeply(tally($t, 2, 'head.example'), { F => 2 }, 'F answers');
	my $addr_g = quotemeta $g->{addr};
	$t->wait_for(sub { lines($t, qr/^$ts warn \S+: upstream body server $addr_g is down: .+ \(2 checks\)$/) },
	    5, 'health_expect = ALIVE: G answers 200 "healthy" and is down')
	    or diag($t->error_log);
	is_deeply(tally($t, 2, 'body.example'), { 'status 502' => 2 },
	    'G down, the only server: 502');

	# A fails its checks.
	$t->flag($a, sick => 1);
	my $down_a = qr/^$ts warn \S+: upstream app server $addr_a is down: (.+) \(2 checks\)$/;
	$t->wait_for(sub { lines($t, $down_a) }, 5,
	    "logged at warn: upstream app server $a->{addr} is down: ... (2 checks)")
	    or diag($t->error_log);
	my ($why) = map { /$down_a/ ? $1 : () } lines($t, $down_a);
	like($why // '', qr/500/, 'the reason names the status 500') or diag($why);
	$n = tally($t, 20, 'x.example');
	is_deeply($n, { B => 20 }, 'A is down: every request goes to B') or diag explain $n;
	my $seen = checks_received($t, $a);
	$t->wait_for(sub { checks_received($t, $a) >= $seen + 4 }, 5,
	    'A keeps being checked');
	is(scalar lines($t, qr/server $addr_a is down/), 1,
	    'the change is logged once, not on every check');
	ok(!lines($t, qr/server $addr_b is (?:down|up)/), 'B: no state change logged');

	# A reload keeps A down: with a 5 s interval a new state would need
	# 10 s of failed checks before A is down again.
	ok($t->reload($config->(interval => '5s', weight_a => 2)),
	    'reload: A with weight=2, checks every 5 s');
	$n = tally($t, 20, 'x.example');
	is_deeply($n, { B => 20 }, 'right after the reload A still gets nothing')
	    or diag explain $n;
	is(scalar lines($t, qr/server $addr_a is (?:down|up)/), 1,
	    'and no state change of A is logged');

	# A heals.
	ok($t->reload($config->()), 'reload: checks every 200 ms again');
	$t->flag($a, sick => 0);
	my $up_a = qr/^$ts notice \S+: upstream app server $addr_a is up \(2 checks\)$/;
	$t->wait_for(sub { lines($t, $up_a) }, 5,
	    "logged at notice: upstream app server $a->{addr} is up (2 checks)")
	    or diag($t->error_log);
	$n = tally($t, 20, 'x.example');
	ok(($n->{A} // 0) > 0 && ($n->{A} // 0) + ($n->{B} // 0) == 20,
	    'A gets requests again') or diag explain $n;
	is(scalar lines($t, qr/server $addr_a is up/), 1, 'is up is logged once');

	# Both fail: 502.
	$t->flag($_, sick => 1) for $a, $b;
	$t->wait_for(sub { lines($t, qr/server $addr_a is down/) == 2
	    && lines($t, qr/server $addr_b is down: .* \(2 checks\)$/) == 1 }, 5,
	    'A and B are down');
	$n = tally($t, 3, 'x.example');
	is_deeply($n, { 'status 502' => 3 }, 'no live server: 502') or diag explain $n;
	$t->wait_for(sub { lines($t, qr/upstream app: no live server for this request/) },
	    5, 'logged: upstream app: no live server for this request');
	$t->flag($b, sick => 0);
	$t->wait_for(sub { lines($t, qr/server $addr_b is up \(2 checks\)$/) }, 5, 'B is up');
	$n = tally($t, 5, 'x.example');
	is_deeply($n, { B => 5 }, 'B serves again') or diag explain $n;

	# TCP checks: C killed and brought back on its port.
	$n = tally($t, 3, 'tcp.example');
	is_deeply($n, { C => 3 }, 'the tcp upstream: C answers') or diag explain $n;
	$t->stop_backend($c);
	$t->wait_for(sub { lines($t,
	    qr/^$ts warn \S+: upstream tcp server $addr_c is down: connect failed: Connection refused \(2 checks\)$/) },
	    5, 'tcp check: upstream tcp server C is down: connect failed: Connection refused (2 checks)')
	    or diag($t->error_log);
	$c = $t->app_backend(name => 'C', port => $c->{port});
	$t->wait_for(sub { lines($t, qr/^$ts notice \S+: upstream tcp server $addr_c is up \(2 checks\)$/) },
	    5, 'C listens again: is up (2 checks)');
	$n = tally($t, 3, 'tcp.example');
	is_deeply($n, { C => 3 }, 'C answers again') or diag explain $n;

	is($t->connections($d) + $t->connections($e), 0,
	    'the down and the drain server got neither checks nor requests');
	$t->check_logs(allow => [ qr/no live server/, qr/$addr_c/, qr/\Q$g->{addr}\E/ ]);
};

subtest 'passive checks' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $b = $t->app_backend(name => 'B');
	my $q = $t->app_backend(name => 'Q');
	my $closed = $t->port;		# nothing listens there
	my $config = <<"EOF";
[global]
workers = 2

[upstream app]
server = $a->{addr}
server = $b->{addr}
max_fails = 1

[upstream quick]
server = $q->{addr}
server = $b->{addr}
max_fails = 1
fail_timeout = 1s

[upstream noretry]
server = 127.0.0.1:$closed
server = $b->{addr}
retries = 0
max_fails = 0

[upstream retry]
server = 127.0.0.1:$closed
server = $b->{addr}
max_fails = 0

[route noretry]
host = noretry.example
upstream = noretry

[route retry]
host = retry.example
upstream = retry

[route quick]
host = quick.example
upstream = quick

[route all]
upstream = app
EOF
	$t->start($config);
	my $addr_a = quotemeta $a->{addr};
	my $addr_q = quotemeta $q->{addr};
	my $n = tally($t, 10, 'x.example');
	ok(($n->{A} // 0) > 0 && ($n->{B} // 0) > 0 && $n->{A} + $n->{B} == 10,
	    'A and B share') or diag explain $n;

	$t->stop_backend($a);
	$n = tally($t, 20, 'x.example');
	is_deeply($n, { B => 20 }, 'A killed: every request is answered by B')
	    or diag explain $n;
	$n = tally($t, 20, 'y.example', close => 1);
	is_deeply($n, { B => 20 }, 'on new connections too (any worker)')
	    or diag explain $n;
	my $down = qr/^$ts warn \S+: upstream app server $addr_a is down for 10s: connect failed: Connection refused \(1 failures in 10s\)$/;
	my @down = lines($t, qr/upstream app server $addr_a is down/);
	is(scalar @down, 1, 'A marked down: logged once, not on every request')
	    or diag(join "\n", @down);
	like($down[0] // '', $down,
	    'upstream app server ADDR is down for 10s: connect failed: Connection refused (1 failures in 10s)');

	ok($t->reload($config), 'reload, A unchanged');
	$n = tally($t, 20, 'x.example');
	is_deeply($n, { B => 20 }, 'after the reload: every request answered by B')
	    or diag explain $n;
	is(scalar lines($t, qr/upstream app server $addr_a is down/), 1,
	    'no request tried A after the reload: still one down line');

	# fail_timeout = 1s: Q killed, brought back, gets requests again.
	$t->stop_backend($q);
	$n = tally($t, 6, 'quick.example');
	is_deeply($n, { B => 6 }, 'Q killed: B answers') or diag explain $n;
	$t->wait_for(sub { lines($t, qr/upstream quick server $addr_q is down for 1s: /) },
	    2, 'Q is down for 1s');
	$q = $t->app_backend(name => 'Q', port => $q->{port});
	$t->wait_for(sub { (tally($t, 2, 'quick.example')->{Q} // 0) > 0 }, 6,
	    'Q gets requests again after fail_timeout');
	$t->wait_for(sub { lines($t,
	    qr/^$ts notice \S+: upstream quick server $addr_q is back up$/) }, 2,
	    'logged at notice: upstream quick server Q is back up') or diag($t->error_log);
	is(scalar lines($t, qr/upstream quick server $addr_q is down/), 1, 'Q: one down line');

	# A server that refuses connections, passive checks off: with
	# retries = 0 the client sees the failure, with the default the
	# request goes to B, a POST with a body too.
	$n = tally($t, 10, 'noretry.example', close => 1);
	ok(($n->{'status 502'} // 0) > 0 && ($n->{B} // 0) > 0
	    && $n->{'status 502'} + $n->{B} == 10,
	    'retries = 0: the requests sent to the closed port get 502')
	    or diag explain $n;
	$n = tally($t, 10, 'retry.example', close => 1);
	is_deeply($n, { B => 10 }, 'retries = 2: every request is answered by B')
	    or diag explain $n;
	my %post;
	for (1 .. 4) {
		my $r = $t->get('/post', method => 'POST', body => 'x' x 100,
		    host => 'retry.example');
		$post{ $r->status . ' ' . ($r->content =~ s/\s+\z//r) }++;
	}
	is_deeply(\%post, { '200 B' => 4 },
	    'a POST whose connection was refused is sent to B') or diag explain \%post;
	ok(!lines($t, qr/127\.0\.0\.1:$closed is down/),
	    'max_fails = 0: the closed port is never marked down');

	$t->check_logs(allow => [ qr/$addr_a|$addr_q|127\.0\.0\.1:$closed/ ]);
};


# A request sent to A before A was marked down succeeds afterwards: that
# proves nothing about A now, so the mark stays.  A holds the first request
# it gets until released and closes every later connection unanswered.
subtest 'passive: an old request succeeding does not lift the mark' => sub {
	my $t = Test::Frontd->new;
	my $dir = $t->dir;
	my $a = $t->raw_backend(handler => sub {
		my ($c) = @_;
		$c->read_request or return;
		return $c->note('closed unanswered') if $c->n > 1;
		if (open my $fh, '>', "$dir/A-held") { close $fh }
		my $until = time + 20;
		sleep 0.02 while !-e "$dir/A-release" && time < $until;
		$c->respond(200, body => "A\n", headers => [ Connection => 'close' ]);
	});
	my $b = $t->app_backend(name => 'B');
	$t->start(<<"EOF");
[upstream app]
server = $a->{addr}
server = $b->{addr}
max_fails = 1
fail_timeout = 30s

[route all]
upstream = app
EOF
	my $addr_a = quotemeta $a->{addr};

	# The first request that reaches A is held there (B answers at once).
	my $held;
	for (1 .. 3) {
		my $c = $t->raw_client or next;
		$c->write("GET /hold HTTP/1.1\r\nHost: x.example\r\n\r\n");
		my $r;
		$t->poll(sub { -e "$dir/A-held"
		    or $r = $c->read_response(timeout => 0.05) }, 5);
		if (-e "$dir/A-held") { $held = $c; last }
		$c->close;
	}
	ok($held, 'A holds a request') or return;

	# The next request A gets fails (closed unanswered): A is marked down
	# and the request is retried on B.
	my %got;
	$t->poll(sub {
		my $n = tally($t, 1, 'x.example', close => 1);
		$got{$_} += $n->{$_} for keys %$n;
		return lines($t, qr/upstream app server $addr_a is down/);
	}, 5);
	my @down = lines($t, qr/upstream app server $addr_a is down/);
	like($down[0] // '', qr/^$ts warn \S+: upstream app server $addr_a is down for 30s: .+ \(1 failures in 30s\)$/,
	    'A is marked down for 30s') or diag($t->error_log);
	is_deeply([ keys %got ], [ 'B' ], 'the failed request was answered by B')
	    or diag explain \%got;
	my $conns = $t->connections($a);
	is($conns, 2, 'A got two connections: the held one and the failed one');

	# The held request, sent before the mark, now succeeds.
	$t->spew("$dir/A-release", '');
	my $r = $held->read_response(timeout => 10);
	is($r && $r->{status}, 200, 'the held request completes: 200');
	is($r && $r->{body}, "A\n", 'answered by A');
	$held->close;

	my $n = tally($t, 10, 'x.example', close => 1);
	is_deeply($n, { B => 10 }, 'afterwards 10 new requests all go to B')
	    or diag explain $n;
	is($t->connections($a), $conns, 'A got no new connection');
	ok(!lines($t, qr/server $addr_a is back up/), 'no "is back up" line')
	    or diag($t->error_log);
	is(scalar lines($t, qr/server $addr_a is down/), 1, 'one "is down" line');
	$t->check_logs(allow => [ qr/$addr_a/ ]);
};

done_testing;
