# "frontd -s stop" and "-s quit" return once the master has exited and
# released the pid file lock: not before, not once its pid file is gone
# while it still writes its last log line, and not later because the
# exited master is not reaped yet.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

for my $how (qw(stop quit)) {
	subtest "-s $how waits until the master released the pid file lock" => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "ok\n");
		$t->start(config($be));
		my $m = $t->master_pid;
		my $pf = $t->pid_file;
		ok(held($pf), 'the master holds the pid file lock');
		my $r = launch($t, '-s', $how, '-c', $t->conf);
		# kill(pid, 0) succeeds on the unreaped master: a wait on it
		# would run into the 10 s limit and exit 1.
		my ($code, $out, $err) = finish($t, $r, 8);
		is($code, 0, "-s $how: exit 0 within 8 s, the exited master not yet reaped")
		    or diag("$out$err");
		is("$out$err", '', "-s $how prints nothing");
		ok(!held($pf), 'the lock is released when it returns');
		my $state = $t->proc_status($m)->{State} // 'gone';
		like($state, qr/^(?:Z|gone)/, "the master has exited (state: $state)");
		$t->stop;
		$t->check_logs;
	};
}

subtest '-s stop returns once the master has exited, not once its pid file is gone' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->write_config(config($be), global => 'log_level = notice');
	my $pf = $t->pid_file;
	# frontd -f logs to its stderr: a pipe of one page that the test
	# fills, so that the master blocks writing its last line, "master
	# exiting", which comes after it removed the pid file.
	pipe(my $rd, my $wr) or die "pipe: $!";
	fcntl($wr, 1031, 4096) or plan skip_all => "F_SETPIPE_SZ: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $rd;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', '/dev/null';
		open STDERR, '>&', $wr or POSIX::_exit(127);
		close $wr;
		{ no warnings 'exec'; exec { $t->frontd } $t->frontd, '-f', '-c', $t->conf; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	$rd->blocking(0);
	my $log = '';
	my $drain = sub { 1 while sysread($rd, $log, 65536, length $log) };
	$t->wait_for(sub { $drain->(); $log =~ /: frontd \S+ started: / }, 10,
	    'frontd -f starts') or return;
	is(($log =~ /master\[(\d+)\]: frontd \S+ started/)[0], $pid, 'its master logs to the pipe');
	ok(held($pf), 'and holds the pid file lock');
	$drain->();
	my $fast_stop = length(sprintf "%s notice master[%d]: fast stop\n", '0' x 23, $pid);
	my $fill = 4096 - $fast_stop;
	is(syswrite($wr, 'x' x $fill), $fill, "the pipe is filled but for the $fast_stop bytes of \"fast stop\"");

	my $r = launch($t, '-s', 'stop', '-c', $t->conf);
	$t->wait_for(sub { !-e $pf }, 10, 'the master removes its pid file');
	my ($code, $t0) = (undef, time);
	while (!defined $code && time - $t0 < 1) {
		$code = $? >> 8 if waitpid($r->{pid}, WNOHANG) == $r->{pid};
		sleep 0.05;
	}
	ok($t->alive($pid), 'a second later the master still runs, blocked on its last log line');
	ok(!defined $code, '-s stop is still waiting for it')
	    or diag("-s stop exited $code: " . $t->slurp($r->{out}) . $t->slurp($r->{err}));
	$drain->();
	my ($out, $err);
	($code, $out, $err) = finish($t, $r, 15) unless defined $code;
	is($code, 0, '-s stop: exit 0 once the pipe is read') or diag($out // '', $err // '');
	$t->wait_for(sub { !$t->alive($pid) }, 5, 'the master has exited');
	$drain->();
	like($log, qr/master\[$pid\]: master exiting$/m, 'after its last line');
	close $wr;
};

done_testing;
