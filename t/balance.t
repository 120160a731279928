# Load balancing: weights, least_conn over all workers, consistent hashing
# (hash and ip_hash), random, backup, down, drain and max_conns.  Backends
# answer with their name (Test::Frontd::app_backend).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

# n GET requests over keep-alive connections (a new connection when frontd
# closes one, and every per_conn requests): { backend name => count }, and
# failures as "fail: ..." keys.  path is a string or a code ref given the
# request number.
sub tally {
	my ($t, $n, %o) = @_;
	my $path = $o{path} // '/';
	my $per = $o{per_conn} // 50;
	my (%count, $c, $on_conn);
	for my $i (1 .. $n) {
		if (!$c || $c->closed || $on_conn >= $per) {
			$c->close if $c;
			$c = $t->raw_client or do { $count{"fail: connect: $!"}++; next };
			$on_conn = 0;
		}
		$on_conn++;
		my $p = ref $path ? $path->($i) : $path;
		$c->write("GET $p HTTP/1.1\r\nHost: bal.example\r\n\r\n");
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
		if (grep { lc eq 'close' } @{ $r->{headers}{connection} // [] }) {
			$c->close;
			undef $c;
		}
	}
	$c->close if $c;
	return \%count;
}

# The name of the backend that answered one request on a new connection.
sub one {
	my ($t, $path) = @_;
	my $r = $t->get($path // '/', host => 'bal.example');
	return "status " . $r->status . ($r->error ? " " . $r->error : '')
	    unless $r->status == 200;
	(my $b = $r->content) =~ s/\s+\z//;
	return $b;
}

sub config {
	my ($up, %o) = @_;
	return "[global]\nworkers = " . ($o{workers} // 2) . "\n\n"
	    . "[upstream app]\n$up\n[route all]\nupstream = app\n";
}

sub servers {
	return join '', map { "server = $_\n" } @_;
}

# Send /hold requests, each on its own connection, until n of them are
# held by backend be (the others are answered at once by backends that do
# not hold).  Returns the client connections still waiting and the names
# of the backends that answered the rest.
sub hold_on {
	my ($t, $be, $n, $tries) = @_;
	my (@waiting, @answered);
	for (1 .. $tries) {
		last if $t->held($be) >= $n;
		my $c = $t->raw_client or next;
		# Connection: close, so that its close says the request
		# has ended in frontd, its server's count given back.
		$c->write("GET /hold HTTP/1.1\r\nHost: bal.example\r\n"
		    . "Connection: close\r\n\r\n");
		my $before = $t->held($be);
		my $r;
		$t->poll(sub {
			return 1 if $t->held($be) > $before;
			$r = $c->read_response(timeout => 0.05);
			return $r;
		}, 5);
		if ($r) {
			(my $b = $r->{body} // '') =~ s/\s+\z//;
			push @answered, $r->{status} == 200 ? $b : "status $r->{status}";
			$c->wait_closed(5);
			$c->close;
		} else {
			push @waiting, $c;
		}
	}
	return (\@waiting, \@answered);
}

subtest 'weights: round robin' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $b = $t->app_backend(name => 'B');
	$t->start(config(servers("$a->{addr} weight=3", $b->{addr})));
	my $c = tally($t, 400);
	note explain $c;
	my $na = $c->{A} // 0;
	my $nb = $c->{B} // 0;
	is($na + $nb, 400, 'every request answered by A or B') or diag explain $c;
	cmp_ok($na, '>=', 270, 'weight=3: A gets about 300 of 400 (>= 270)');
	cmp_ok($na, '<=', 330, 'A: <= 330');
	cmp_ok($nb, '>=', 70, 'weight=1: B gets about 100 (>= 70)');
	$t->check_logs;
};

subtest 'least_conn: counts shared by the workers' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $b = $t->app_backend(name => 'B');
	$t->start(config("balance = least_conn\n" . servers($a->{addr}, $b->{addr})));
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	my $c = tally($t, 20);
	ok(($c->{A} // 0) > 0 && ($c->{B} // 0) > 0,
	    'with nothing in flight both get requests (ties: round robin)')
	    or diag explain $c;

	# A holds /hold requests; B answers them at once, so with least_conn
	# only the first that reaches A is held there: after it, A has one
	# request in flight and B none.
	$t->flag($a, hold => 1);
	my ($waiting, $answered) = hold_on($t, $a, 1, 6);
	is($t->held($a), 1, 'A holds one request') or diag("answered: @$answered");
	my ($more_waiting, $more) = hold_on($t, $a, 2, 6);
	is($t->held($a), 1, 'more /hold requests do not go to A while it has one in flight')
	    or diag("answered: @$more");
	is_deeply([ grep { $_ ne 'B' } @$more ], [], 'B answered them all') or diag("@$more");
	push @$waiting, @$more_waiting;

	# New connections land in either worker: each must see A's request in
	# flight.
	my %seen;
	$seen{ one($t) }++ for 1 .. 20;
	is_deeply(\%seen, { B => 20 },
	    'while A has a request in flight, 20 new requests all go to B')
	    or diag explain \%seen;
	$t->flag($a, hold => 0);
	for my $w (@$waiting) {
		my $r = $w->read_response(timeout => 10);
		is($r && $r->{status}, 200, 'a held request completes');
		$w->close;
	}
	$t->wait_for(sub { $t->held($a) == 0 }, 5, 'A holds nothing');
	%seen = ();
	$seen{ one($t) }++ for 1 .. 20;
	ok(($seen{A} // 0) > 0, 'A gets requests again once it is idle')
	    or diag explain \%seen;
	$t->check_logs;
};

subtest 'consistent hash on $request_uri' => sub {
	my $t = Test::Frontd->new;
	my @be = map { $t->app_backend(name => $_) } qw(A B C D);
	my $up = "hash = \$request_uri\n";
	$t->start(config($up . servers(map { $_->{addr} } @be[0 .. 2])));
	my $keys = 200;
	my %count;
	# Record key -> server for every key.
	my $rec = sub {
		my %map;
		my $cl;
		for my $i (1 .. $keys) {
			$cl = $t->raw_client if !$cl || $cl->closed;
			$cl->write("GET /key/$i?v=$i HTTP/1.1\r\nHost: bal.example\r\n\r\n");
			my $r = $cl->read_response(timeout => 10);
			if ($r && $r->{complete} && $r->{status} == 200) {
				($map{$i} = $r->{body}) =~ s/\s+\z//;
			} else {
				$map{$i} = 'fail';
				$cl->close;
				undef $cl;
			}
			# A new connection now and then: maybe another worker.
			if ($i % 10 == 0 && $cl) { $cl->close; undef $cl }
		}
		$cl->close if $cl;
		return \%map;
	};
	my $m1 = $rec->();
	my $m1b = $rec->();
	is_deeply($m1b, $m1, 'every key goes to the same server the second time');
	$count{$_}++ for values %$m1;
	note explain \%count;
	ok(!$count{fail}, 'no request failed') or diag explain \%count;
	ok(!$count{D}, 'D is not configured yet: no key there');
	for my $n (qw(A B C)) {
		cmp_ok($count{$n} // 0, '>=', $keys / 10, "$n gets a fair share of the keys");
	}

	ok($t->reload(config($up . servers(map { $_->{addr} } @be))),
	    'reload with a fourth server');
	my $m2 = $rec->();
	my ($same, $to_d, @elsewhere) = (0, 0);
	for my $i (1 .. $keys) {
		if ($m2->{$i} eq $m1->{$i}) { $same++ }
		elsif ($m2->{$i} eq 'D') { $to_d++ }
		else { push @elsewhere, "$i: $m1->{$i} -> $m2->{$i}" }
	}
	note "after adding D: $same of $keys keys stayed, $to_d moved to D";
	cmp_ok($same, '>=', $keys * 0.6, 'at least 60% of the keys stay on their server');
	cmp_ok($to_d, '>', 0, 'D gets some keys');
	is_deeply(\@elsewhere, [], 'the keys that moved all moved to D')
	    or diag(join "\n", @elsewhere[0 .. ($#elsewhere < 9 ? $#elsewhere : 9)]);

	# The chosen server down: the next one on the ring, the others stay.
	ok($t->reload(config($up . servers($be[0]{addr}, $be[1]{addr}, $be[2]{addr},
	    "$be[3]{addr} down"))), 'reload with D down');
	my $m3 = $rec->();
	my @bad = grep { $m1->{$_} ne $m3->{$_} } 1 .. $keys;
	# With D down the ring of A B C decides: the keys map as before D came.
	is(scalar @bad, 0, 'with D down, every key is back on its first server')
	    or diag(join ', ', map { "$_: $m1->{$_} -> $m3->{$_}" } @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
	$t->check_logs;
};

subtest 'hash on $cookie_sess' => sub {
	my $t = Test::Frontd->new;
	my @be = map { $t->app_backend(name => $_) } qw(A B C);
	$t->start(config("hash = \$cookie_sess\n" . servers(map { $_->{addr} } @be)));
	my (%server, @unstuck);
	for my $s (1 .. 20) {
		my %seen;
		for (1 .. 3) {
			my $r = $t->get('/', host => 'bal.example',
			    headers => [ Cookie => "theme=x; sess=s$s; z=1" ]);
			(my $b = $r->content) =~ s/\s+\z//;
			$seen{ $r->status == 200 ? $b : 'status ' . $r->status }++;
		}
		push @unstuck, "s$s: " . join(' ', sort keys %seen) if keys %seen != 1;
		$server{$_}++ for keys %seen;
	}
	is_deeply(\@unstuck, [], 'each session sticks to one server (new connections)');
	cmp_ok(scalar(grep { /^[ABC]\z/ } keys %server), '>=', 2,
	    'the sessions are spread over the servers') or diag explain \%server;
	$t->check_logs;
};

subtest 'ip_hash sticks, random spreads' => sub {
	my $t = Test::Frontd->new;
	my @be = map { $t->app_backend(name => $_) } qw(A B C);
	$t->start(config("balance = ip_hash\n" . servers(map { $_->{addr} } @be)));
	my %seen;
	$seen{ one($t) }++ for 1 .. 15;
	my $c = tally($t, 30);
	$seen{$_} += $c->{$_} for keys %$c;
	is(scalar keys %seen, 1, 'ip_hash: every request from 127.0.0.1 goes to one server')
	    or diag explain \%seen;
	my ($name) = keys %seen;
	like($name, qr/^[ABC]\z/, "it is $name");

	ok($t->reload(config("balance = random\n" . servers(map { $_->{addr} } @be))),
	    'reload with balance = random');
	$c = tally($t, 300);
	note explain $c;
	is(($c->{A} // 0) + ($c->{B} // 0) + ($c->{C} // 0), 300,
	    'random: every request answered') or diag explain $c;
	for my $n (qw(A B C)) {
		cmp_ok($c->{$n} // 0, '>=', 50, "random: $n gets a share (>= 50 of 300)");
	}
	$t->check_logs;
};

subtest 'backup, down and drain' => sub {
	my $t = Test::Frontd->new;
	my @be = map { $t->app_backend(name => $_) } qw(A B C D);
	my ($a, $b, $c, $d) = @be;
	$t->start(config(servers($a->{addr}, $b->{addr}, "$c->{addr} down",
	    "$d->{addr} drain")));
	my $n = tally($t, 40);
	ok(($n->{A} // 0) > 0 && ($n->{B} // 0) > 0 && $n->{A} + $n->{B} == 40,
	    'down and drain servers get nothing, A and B share') or diag explain $n;

	ok($t->reload(config(servers($a->{addr}, $b->{addr}, "$c->{addr} backup"))),
	    'reload: A, B, C as backup');
	$n = tally($t, 30);
	ok(!$n->{C} && ($n->{A} // 0) + ($n->{B} // 0) == 30,
	    'the backup gets nothing while primaries are up') or diag explain $n;

	ok($t->reload(config(servers("$a->{addr} down", $b->{addr}, "$c->{addr} backup"))),
	    'reload: A down');
	$n = tally($t, 20);
	is_deeply($n, { B => 20 }, 'one primary left: it gets everything, not the backup')
	    or diag explain $n;

	ok($t->reload(config(servers("$a->{addr} down", "$b->{addr} drain",
	    "$c->{addr} backup"))), 'reload: A down, B drain');
	$n = tally($t, 20);
	is_deeply($n, { C => 20 }, 'no primary available: the backup gets everything')
	    or diag explain $n;

	ok($t->reload(config(servers($a->{addr}, "$b->{addr} down",
	    "$c->{addr} backup"))), 'reload: A up, B down');
	$t->stop_backend($a);
	$n = tally($t, 20);
	is_deeply($n, { C => 20 },
	    'the only primary killed: requests go to the backup, none fails')
	    or diag explain $n;

	ok($t->reload(config(servers("$a->{addr} down", "$b->{addr} down"))),
	    'reload: every server down, no backup');
	is(one($t), 'status 502', 'no live server: 502');
	$t->wait_for(sub { $t->error_log =~ /upstream app: no live server for this request/ },
	    5, 'logged: upstream app: no live server for this request');
	$t->check_logs(allow => [ qr/no live server|127\.0\.0\.1:$a->{port}/ ]);
};

subtest 'max_conns over all workers' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $b = $t->app_backend(name => 'B');
	$t->start(config(servers("$a->{addr} max_conns=1", $b->{addr})));
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	$t->flag($a, hold => 1);
	my ($waiting, $answered) = hold_on($t, $a, 1, 6);
	is($t->held($a), 1, 'A holds one request') or diag("answered: @$answered");
	my %seen;
	$seen{ one($t) }++ for 1 .. 20;
	is_deeply(\%seen, { B => 20 }, 'A at max_conns=1: 20 new requests all go to B')
	    or diag explain \%seen;
	$t->flag($a, hold => 0);
	$_->read_response(timeout => 10), $_->wait_closed(5), $_->close for @$waiting;
	$t->wait_for(sub { $t->held($a) == 0 }, 5, 'A holds nothing');
	%seen = ();
	$seen{ one($t) }++ for 1 .. 20;
	ok(($seen{A} // 0) > 0, 'A gets requests again below max_conns')
	    or diag explain \%seen;

	# One server, at its limit: 503.
	ok($t->reload(config(servers("$a->{addr} max_conns=1"))), 'reload: A alone, max_conns=1');
	$t->flag($a, hold => 1);
	($waiting) = hold_on($t, $a, 1, 3);
	is($t->held($a), 1, 'A holds one request');
	is(one($t), 'status 503', 'every server at max_conns: 503');
	$t->flag($a, hold => 0);
	$_->read_response(timeout => 10), $_->wait_closed(5), $_->close for @$waiting;
	is(one($t), 'A', 'below the limit again: A answers');
	$t->check_logs;
};


subtest 'hash: two of three servers down, every key finds the live one' => sub {
	my $t = Test::Frontd->new;
	my @be = map { $t->app_backend(name => $_) } qw(A B C);
	$t->start(config("balance = hash\nhash = \$request_uri\n"
	    . servers("$be[0]{addr} down", "$be[1]{addr} down", $be[2]{addr})));
	my $c = tally($t, 120, path => sub { "/key/$_[0]?v=$_[0]" });
	is_deeply($c, { C => 120 }, '120 different URIs: all 200 from C')
	    or diag explain $c;
	$t->check_logs;
};

subtest 'a backup stands in for a primary at max_conns' => sub {
	my $t = Test::Frontd->new;
	my $a = $t->app_backend(name => 'A');
	my $c = $t->app_backend(name => 'C');
	$t->start(config(servers("$a->{addr} max_conns=1", "$c->{addr} backup")));
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');
	is(one($t), 'A', 'the primary answers while it is idle');
	$t->flag($a, hold => 1);
	my ($waiting, $answered) = hold_on($t, $a, 1, 3);
	is($t->held($a), 1, 'A holds one request') or diag("answered: @$answered");
	my %seen;
	$seen{ one($t) }++ for 1 .. 20;
	is_deeply(\%seen, { C => 20 },
	    'the only primary at max_conns=1: 20 new requests all go to the backup')
	    or diag explain \%seen;
	$t->flag($a, hold => 0);
	for my $w (@$waiting) {
		my $r = $w->read_response(timeout => 10);
		is($r && $r->{status}, 200, 'the held request completes');
		$w->close;
	}
	$t->wait_for(sub { $t->held($a) == 0 }, 5, 'A holds nothing');
	%seen = ();
	$seen{ one($t) }++ for 1 .. 10;
	is_deeply(\%seen, { A => 10 }, 'below max_conns again: the primary gets everything')
	    or diag explain \%seen;
	$t->check_logs;
};

done_testing;
