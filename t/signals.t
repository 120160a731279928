# Signals to the master: QUIT drains, TERM and INT stop at once, USR1
# reopens the logs; a killed worker or checker is replaced; a killed master
# takes its children with it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

sub config {
	my ($be) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";
}

subtest 'QUIT: the in-flight request completes, then everything exits' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "slow but complete\n", delay => 2);
	$t->start(config($be));
	my $m = $t->master_pid;
	my @procs = ($m, $t->children);
	my $h = $t->send_request('/slow', timeout => 15);
	$t->wait_for(sub { $t->established($be->{port}) }, 5,
	    'the request reached the backend');
	ok($t->signal('QUIT'), 'QUIT sent');
	# The backend answers 2 s after the request: for 1 s at least the
	# master must still be there, waiting.
	ok(!$t->poll(sub { !$t->alive($m) }, 1), 'the master waits for the request');
	my $r = $t->read_response($h);
	is($r->status, 200, 'the slow request gets 200') or diag($r->summary);
	is($r->content, "slow but complete\n", 'with the full body');
	ok(!$r->error, 'and no error') or diag($r->error);
	$t->wait_for(sub { !grep { $t->alive($_) } @procs }, 10,
	    'then the master and all children exit');
	like($t->error_log, qr/^$ts notice master\[$m\]: master exiting$/m, 'master exiting is logged');
	$t->check_logs;
};

for my $sig (qw(TERM INT)) {
	subtest "$sig: everything exits at once, a slow request in flight" => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "never\n", delay => 30);
		$t->start(config($be), global => 'workers = 2');
		my $m = $t->master_pid;
		my @procs = ($m, $t->children);
		my $h = $t->send_request('/slow', timeout => 10);
		$t->wait_for(sub { $t->established($be->{port}) }, 5,
		    'the request reached the backend');
		my $t0 = time;
		ok($t->signal($sig), "$sig sent");
		$t->wait_for(sub { !grep { $t->alive($_) } @procs }, 2,
		    'the master and all children exit within 2 s');
		note(sprintf "stopped in %.2f s", time - $t0);
		my $t1 = time;
		my $r = $t->read_response($h);
		cmp_ok(time - $t1, '<', 3, 'the client connection is cut at once');
		ok($r->error || $r->status != 200, 'the slow request gets no answer')
		    or diag($r->summary);
		like($t->error_log, qr/^$ts notice master\[$m\]: master exiting$/m,
		    'master exiting is logged');
		$t->check_logs;
	};
}

subtest 'USR1: log files moved away are recreated' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "logged\n");
	$t->start(config($be));
	my $dir = $t->dir;
	is($t->get('/before')->status, 200, 'a request before USR1');
	$t->wait_for(sub { $t->access_log =~ m{"GET /before } }, 5, 'is in access.log');
	ok(rename("$dir/access.log", "$dir/access.log.1"), 'access.log moved away');
	ok(rename("$dir/error.log", "$dir/error.log.1"), 'error.log moved away');
	ok($t->signal('USR1'), 'USR1 sent');
	$t->wait_for(sub { -e "$dir/error.log" }, 5, 'the master recreates error.log');
	# Workers reopen when the master passes USR1 on: ask until a request
	# lands in the new file.
	my $i = 0;
	$t->wait_for(sub {
		$t->get('/after/' . $i++);
		-e "$dir/access.log" && $t->access_log =~ m{"GET /after/\d+ HTTP/1\.1" 200 }
	}, 5, 'a request after USR1 is logged in the new access.log');
	unlike($t->access_log, qr{/before}, 'the new access.log starts empty');
	like($t->slurp("$dir/access.log.1"), qr{"GET /before }, 'the old one keeps its lines');
	my @w = $t->workers;
	is(scalar @w, 1, 'USR1 does not restart the worker');
	$t->check_logs;
};

subtest 'frontd -s reopen, quit and stop' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be));
	my $conf = $t->conf;
	my ($code, $out, $err) = $t->run_frontd('-s', 'reopen', '-c', $conf);
	is($code, 0, '-s reopen: exit 0') or diag("$out$err");
	is("$out$err", '', 'and prints nothing');
	is($t->get('/')->summary, "200 ok\n", 'frontd still serves');

	for my $how (qw(quit stop)) {
		my $m = $t->master_pid;
		my @procs = ($m, $t->children);
		($code, $out, $err) = $t->run_frontd('-s', $how, '-c', $conf);
		is($code, 0, "-s $how: exit 0") or diag("$out$err");
		ok(!$t->alive($m), "the master is gone when -s $how returns");
		$t->wait_for(sub { !grep { $t->alive($_) } @procs }, 2, 'and so are its children');
		$t->stop;
		$t->start(config($be)) if $how eq 'quit';
	}
	$t->check_logs;
};

subtest 'a killed worker or checker is replaced' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "still here\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	my ($victim, $other) = $t->workers;
	ok(kill('KILL', $victim), "SIGKILL worker $victim");
	$t->wait_for(sub {
		my @w = $t->workers;
		@w == 2 && !grep { $_ == $victim } @w
	}, 5, 'a new worker takes its place');
	ok((grep { $_ == $other } $t->workers), "the other worker $other was left alone");
	is(scalar $t->checker, 1, 'the checker was left alone');
	my %n;
	$n{ $t->get("/r$_")->summary }++ for 1 .. 6;
	is_deeply(\%n, { "200 still here\n" => 6 }, 'requests still work');
	like($t->error_log, qr/^$ts warn master\[$m\]: .*\b$victim\b/m,
	    'the death is logged at warn with the pid') or diag($t->error_log);
	is($t->master_pid, $m, 'the master is the same');

	# Again at once: the back-off delays the respawn, but not for long.
	my ($again) = grep { $_ != $other } $t->workers;
	ok(kill('KILL', $again), "SIGKILL the new worker $again within 10 s of its start");
	$t->wait_for(sub {
		my @w = $t->workers;
		@w == 2 && !grep { $_ == $again } @w
	}, 5, 'it is replaced too');

	my ($c) = $t->checker;
	ok(kill('KILL', $c), "SIGKILL checker $c");
	$t->wait_for(sub {
		my @c = $t->checker;
		@c == 1 && $c[0] != $c
	}, 5, 'a new checker takes its place');
	is(scalar $t->workers, 2, 'still two workers');
	$t->wait_for(sub { !$t->zombies }, 5, 'no zombie is left');
	is($t->get('/after')->summary, "200 still here\n", 'requests still work');
	$t->check_logs(allow => [ qr/was killed by signal 9\b/ ]);
};

subtest 'a killed master takes its workers and checker with it' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	my @kids = $t->children;
	ok(kill('KILL', $m), "SIGKILL master $m");
	$t->wait_for(sub { !grep { $t->alive($_) } @kids }, 5,
	    'every worker and the checker exit within 5 s');
	$t->wait_for(sub { !defined $t->listen_inode }, 5,
	    'nothing listens on the port any more');
	ok($t->stop, 'nothing is left to stop');

	# A stale pid file does not keep a new master from starting.
	ok(eval { $t->start(config($be)); 1 }, 'frontd starts again over the stale pid file')
	    or diag($@);
	is($t->get('/')->summary, "200 ok\n", 'and serves');
	$t->check_logs;
};

done_testing;
