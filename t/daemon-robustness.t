# How the daemon and "frontd -s" hold up at the edges: a reload request is
# a queued SIGRTMIN+1 answered in PID_FILE.reload.PID by the reload that
# covered it; -s never signals the pid of a stale pid file and waits for
# the pid file lock; a second master is refused before it touches anything;
# a daemon lets go of the caller's stderr; a signal burst kills no fresh
# worker; reloads that cannot be applied or whose workers never get ready
# leave the old generation running; log files are checked for the worker
# user; respawn messages name their delay.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Fcntl qw(:flock);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG SIG_BLOCK);
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $RELOAD_SIG = POSIX::SIGRTMIN() + 1;
my $ARCH = (POSIX::uname())[4];

sub config {
	my ($be, $extra) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n"
	    . ($extra // '');
}

# Writes a broken file; returns its first error as -t and a refused reload
# print it.
sub broken {
	my ($t, $be) = @_;
	$t->write_config(config($be, "\n[route more]\nuptream = app\n"));
	my $line = $t->line_of(qr/^uptream/);
	return qr/\Q${\ $t->conf }\E:$line: unknown key "uptream" in \[route more\] \(did you mean "upstream"\?\)/;
}

# Fork and exec frontd with its output in files, without waiting for it.
# Returns { pid, out, err }; finish() collects it.
my $nlaunch = 0;
sub launch {
	my ($t, @args) = @_;
	my $n = ++$nlaunch;
	my %r = map { $_ => $t->dir . "/launch$n.$_" } qw(out err);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		for my $v (qw(ASAN_OPTIONS UBSAN_OPTIONS)) {
			$ENV{$v} = join ':', grep { length } $ENV{$v} // '',
			    'log_path=' . $t->dir . '/sanitizer';
		}
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $r{out} or POSIX::_exit(127);
		open STDERR, '>', $r{err} or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $t->frontd } $t->frontd, @args; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	$r{pid} = $pid;
	return \%r;
}

# Wait up to timeout seconds for a launched frontd and return (exit code,
# stdout, stderr); the code is undef when it had to be killed.  Nothing
# else is reaped meanwhile: a master that exits stays a zombie of the test
# (its subreaper), as under a pid 1 that does not reap.
sub finish {
	my ($t, $r, $timeout) = @_;
	my $deadline = time + $timeout;
	my $code;
	while (1) {
		if (waitpid($r->{pid}, WNOHANG) == $r->{pid}) {
			$code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
			last;
		}
		if (time >= $deadline) {
			diag("frontd (pid $r->{pid}) still running after $timeout s; killed");
			kill 'KILL', $r->{pid};
			waitpid($r->{pid}, 0);
			last;
		}
		sleep 0.05;
	}
	return ($code, $t->slurp($r->{out}), $t->slurp($r->{err}));
}

# A child that only sleeps: a pid that is not a frontd master.
sub sleeper {
	my ($t) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		{ no warnings 'exec'; exec 'sleep', '30'; }
		POSIX::_exit(127);
	}
	return $t->track($pid);
}

# Whether a child of the test runs and was never signalled to death.
sub still_sleeping {
	my ($pid) = @_;
	return waitpid($pid, WNOHANG) == 0 && kill(0, $pid);
}

sub end_sleeper {
	my ($pid) = @_;
	kill 'KILL', $pid;
	waitpid($pid, 0);
}

# Whether some process holds a lock on the pid file (a running master).
sub held {
	my ($path) = @_;
	open my $fh, '<', $path or return 0;
	return flock($fh, LOCK_SH | LOCK_NB) ? 0 : 1;
}

# Whether signal sig is pending for the whole process pid.
sub pending {
	my ($t, $pid, $sig) = @_;
	my $hex = $t->proc_status($pid)->{ShdPnd} // return 0;
	my $bit = $sig - 1;
	return 0 if int($bit / 4) >= length $hex;
	return hex(substr($hex, -1 - int($bit / 4), 1)) & (1 << ($bit % 4));
}

# A configuration whose workers cannot start: they may open no file but
# stdin, stdout and stderr, so each one fails on its access log and exits.
sub stillborn {
	my ($be, $extra) = @_;
	return config($be) . "\n[global]\nworker_rlimit_nofile = 3\n" . ($extra // '');
}
my $STILLBORN = qr/ error worker\[\d+\]: cannot open access log \S+: Too many open files$/m;

# Whether pid sleeps in write(2) on a full pipe.
my %WRITE_SYSCALLS = (x86_64 => [ 1 ], aarch64 => [ 64 ]);
sub blocked_in_write {
	my ($t, $pid) = @_;
	return 1 if $t->slurp("/proc/$pid/wchan") =~ /pipe_write/;
	my ($nr) = $t->slurp("/proc/$pid/syscall") =~ /^(\d+) /;
	return defined $nr && ($t->proc_status($pid)->{State} // '') =~ /^S/
	    && grep { $_ == $nr } @{ $WRITE_SYSCALLS{$ARCH} // [] };
}

sub count_lines {
	my ($text, $re) = @_;
	return scalar(() = $text =~ /$re/mg);
}

# ---------------------------------------------------------------------------
# 1. -s reload: the signal, its value and the answer file.

# A stand-in master: holds the pid file lock, takes one signal with
# rt_sigtimedwait(2), reports it on a pipe and answers as told in
# PID_FILE.reload.VALUE.
my %RT_SIGTIMEDWAIT = (x86_64 => 128, aarch64 => 137);
sub fake_master {
	my ($t, $answer) = @_;
	my $pf = $t->pid_file;
	pipe(my $report_r, my $report_w) or die "pipe: $!";
	pipe(my $done_r, my $done_w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $report_r;
		close $done_w;
		my $set = POSIX::SigSet->new($RELOAD_SIG, POSIX::SIGHUP());
		POSIX::sigprocmask(SIG_BLOCK, $set) or POSIX::_exit(1);
		open my $fh, '+>', $pf or POSIX::_exit(1);
		flock($fh, LOCK_EX) or POSIX::_exit(1);
		syswrite $fh, "$$\n";
		syswrite $report_w, "ready\n";
		my $mask = pack('Q<', (1 << ($RELOAD_SIG - 1)) | (1 << (POSIX::SIGHUP() - 1)));
		my $info = "\0" x 128;
		my $timeout = pack('q<q<', 20, 0);
		my $sig = syscall($RT_SIGTIMEDWAIT{$ARCH}, $mask, $info, $timeout, 8);
		# siginfo_t: signo, errno, code, padding, then pid, uid, value.
		my ($signo, undef, $code, $spid, undef, $value) =
		    unpack('l< l< l< x4 l< L< l<', $info);
		syswrite $report_w, "$sig $signo $code $spid $value\n";
		if ($sig > 0 && $value > 0) {
			open my $a, '>', "$pf.reload.$value.tmp" or POSIX::_exit(1);
			print $a $answer;
			close $a;
			rename "$pf.reload.$value.tmp", "$pf.reload.$value";
		}
		sysread $done_r, my $junk, 1;	# EOF: the test is done
		POSIX::_exit(0);
	}
	close $report_w;
	close $done_r;
	$t->track($pid);
	my $sel = IO::Select->new($report_r);
	my $line = $sel->can_read(10) ? <$report_r> : undef;
	die "the stand-in master did not start\n" unless ($line // '') eq "ready\n";
	return { pid => $pid, report => $report_r, done => $done_w };
}

sub fake_master_report {
	my ($f) = @_;
	my $sel = IO::Select->new($f->{report});
	my $line = $sel->can_read(10) ? readline($f->{report}) : undef;
	close $f->{done};
	waitpid($f->{pid}, 0);
	my %r;
	@r{qw(ret signo code pid value)} = split ' ', $line // '';
	return \%r;
}

subtest '-s reload sends SIGRTMIN+1 with its pid and reads PID_FILE.reload.PID' => sub {
	plan skip_all => "no rt_sigtimedwait syscall number for $ARCH"
	    unless $RT_SIGTIMEDWAIT{$ARCH};
	my $t = Test::Frontd->new;
	$t->write_config(config({ addr => '127.0.0.1:9' }));
	my $pf = $t->pid_file;
	my @cases = (
	    [ 'ok', "ok\n", 0, "reload ok\n", '' ],
	    [ 'failed', "failed\nfake.conf:3: the first error\nthe second error\n", 1,
	      '', "reload failed:\nfake.conf:3: the first error\nthe second error\n" ],
	);
	for my $c (@cases) {
		my ($name, $answer, $want_code, $want_out, $want_err) = @$c;
		my $fake = fake_master($t, $answer);
		my $r = launch($t, '-s', 'reload', '-c', $t->conf);
		my ($code, $out, $err) = finish($t, $r, 20);
		my $got = fake_master_report($fake);
		is($got->{signo}, $RELOAD_SIG, "answer $name: the master gets SIGRTMIN+1 ($RELOAD_SIG), not SIGHUP");
		is($got->{code}, -1, 'sent with sigqueue (si_code SI_QUEUE)');
		is($got->{pid}, $r->{pid}, 'by the caller');
		is($got->{value}, $r->{pid}, 'with the caller pid as its value');
		is($code, $want_code, "-s reload exits $want_code");
		is($out, $want_out, 'stdout');
		is($err, $want_err, 'stderr');
		ok(!-e "$pf.reload.$r->{pid}", "PID_FILE.reload.$r->{pid} is removed");
	}
};

subtest 'two -s reload at the same moment both get the outcome; HUP gets none' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $conf = $t->conf;
	my $pf = $t->pid_file;

	my @r = map { launch($t, '-s', 'reload', '-c', $conf) } 1 .. 2;
	for my $i (0, 1) {
		my ($code, $out, $err) = finish($t, $r[$i], 30);
		is($code, 0, "good config, caller $i: exit 0") or diag("$out$err");
		is($out, "reload ok\n", "caller $i: reload ok");
		is($err, '', "caller $i: nothing on stderr");
	}

	my $bad = broken($t, $be);
	@r = map { launch($t, '-s', 'reload', '-c', $conf) } 1 .. 2;
	for my $i (0, 1) {
		my ($code, $out, $err) = finish($t, $r[$i], 30);
		is($code, 1, "broken config, caller $i: exit 1") or diag("$out$err");
		is($out, '', "caller $i: nothing on stdout");
		like($err, qr/\Areload failed:\n$bad\n/, "caller $i: reload failed: and the error");
	}
	is_deeply([ glob("$pf.reload*") ], [], 'no answer file is left');

	my $started = count_lines($t->error_log, qr/generation \d+ started$/m);
	ok($t->reload(config($be)), 'kill -HUP still reloads');
	$t->wait_for(sub { count_lines($t->error_log, qr/generation \d+ started$/m) > $started },
	    5, 'and the reload is logged');
	is_deeply([ glob("$pf.reload*") ], [], 'HUP writes no answer file');
	is($t->get('/')->summary, "200 ok\n", 'frontd serves');
	$t->check_logs;
};

subtest 'a request made while a reload runs is answered by the next reload' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be));
	my $m = $t->master_pid;
	my $conf = $t->conf;
	# Reload A starts workers that cannot start: it stays in progress
	# until it is rolled back, 10 s later.
	$t->write_config(stillborn($be));
	my $a = launch($t, '-s', 'reload', '-c', $conf);
	$t->wait_for(sub { $t->error_log =~ $STILLBORN }, 10,
	    'reload A: its new worker fails, the reload goes on');
	my $bad = broken($t, $be);
	my $b = launch($t, '-s', 'reload', '-c', $conf);

	my ($code, $out, $err) = finish($t, $a, 30);
	is($code, 1, 'caller A gets the outcome of reload A: exit 1') or diag("$out$err");
	is($err, "reload failed:\nthe new worker processes did not start; see the error log\n",
	    'caller A: its workers did not start');
	($code, $out, $err) = finish($t, $b, 30);
	is($code, 1, 'caller B gets the outcome of the next reload, of the broken file: exit 1')
	    or diag("$out$err");
	like($err, qr/\Areload failed:\n$bad\n/, 'caller B: reload failed: and the error');
	like($t->error_log, qr/did not become ready within 10s; stopping them, generation 1 keeps running .*\n(?:.*\n)*?$ts warn master\[$m\]: reload refused: /,
	    'the log shows reload A rolled back, then reload B refused');

	$t->write_config(config($be));
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, 'a good file reloads') or diag("$out$err");
	is($t->get('/')->summary, "200 ok\n", 'frontd serves');
	$t->check_logs(allow => [ $STILLBORN, qr/did not become ready within 10s/ ]);
};

# The new configuration moves the error log and has workers that cannot
# start.  Whether the checker, ready at once, may count as half of the
# generation is what workers = 1 shows.
for my $nworkers (2, 1) {
	subtest "workers = $nworkers: a reload whose workers never get ready is rolled back after 10 s" => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "ok\n");
		$t->start(config($be), global => "workers = $nworkers");
		my $m = $t->master_pid;
		my $conf = $t->conf;
		my $log = $t->error_log_path;
		my $newlog = $t->dir . '/new-error.log';
		$t->wait_for(sub { $t->workers == $nworkers && $t->checker == 1 }, 5,
		    'generation 1 is up');
		my @w1 = $t->workers;
		my ($c1) = $t->checker;
		$t->write_config(stillborn($be, "error_log = $newlog\n"),
		    global => "workers = $nworkers");
		my $t0 = time;
		my $r = launch($t, '-s', 'reload', '-c', $conf);
		$t->wait_for(sub { $t->slurp($newlog) =~ $STILLBORN }, 10,
		    'the new workers fail, in the new error log');

		my ($code, $out, $err) = finish($t, $r, 30);
		my $took = time - $t0;
		is($code, 1, '-s reload: exit 1') or diag("$out$err");
		is($err, "reload failed:\nthe new worker processes did not start; see the error log\n",
		    'reload failed: the new worker processes did not start');
		ok($took >= 9.5, sprintf 'after the 10 s wait (%.1f s)', $took);
		like($t->slurp($newlog), qr/^$ts error master\[$m\]: reload: the new processes did not become ready within 10s; stopping them, generation 1 keeps running /m,
		    'the rollback is logged');
		$t->wait_for(sub { $t->children == $nworkers + 1 }, 5, 'the new processes are stopped');
		is_deeply([ $t->workers ], \@w1, 'the old workers keep running');
		is(($t->checker)[0], $c1, 'and the old checker');
		is($t->get('/', timeout => 3)->summary, "200 ok\n", 'and serve');

		$t->write_config(config($be), global => "workers = $nworkers");
		($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
		is($code, 0, 'the next reload works') or diag("$out$err");
		like($t->slurp($log), qr/generation 2 started$/m,
		    'it is generation 2, logged in the error log of the running configuration');
		unlike($t->slurp($newlog), qr/generation 2 started$/m, 'not in the new one');
		$t->check_logs(allow => [ qr/did not become ready within 10s/ ]);
	};
}

# ---------------------------------------------------------------------------
# 2-4. -s: the named file, stale pid files, waiting for the lock.

subtest '-s with a configuration file that cannot be opened' => sub {
	my $t = Test::Frontd->new;
	my $missing = $t->dir . '/missing.conf';
	for my $sig (qw(reload stop quit reopen)) {
		my ($code, $out, $err) = $t->run_frontd('-s', $sig, '-c', $missing);
		is($code, 1, "-s $sig: exit 1");
		is($err, "frontd: cannot open $missing: No such file or directory\n",
		    "-s $sig: says the file cannot be opened");
		is($out, '', "-s $sig: nothing on stdout");
	}
};

subtest '-s refuses a stale pid file and signals nothing' => sub {
	my $t = Test::Frontd->new;
	$t->write_config(config({ addr => '127.0.0.1:9' }));
	my $pf = $t->pid_file;
	for my $sig (qw(stop quit reload reopen)) {
		my $sleep = sleeper($t);
		$t->spew($pf, "$sleep\n");
		my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, '-s', $sig, '-c', $t->conf);
		is($code, 1, "-s $sig: exit 1");
		is($err, "frontd: no running master: pid file $pf is stale (pid $sleep is not a running frontd master)\n",
		    "-s $sig: the pid file is stale");
		is($out, '', "-s $sig: nothing on stdout");
		ok(still_sleeping($sleep), "-s $sig: pid $sleep got no signal");
		end_sleeper($sleep);
	}

	# The pid file a SIGKILLed master leaves behind.
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be));
	my $m = $t->master_pid;
	my @kids = $t->children;
	ok(kill('KILL', $m), "SIGKILL master $m");
	$t->wait_for(sub { !grep { $t->alive($_) } $m, @kids }, 5, 'it and its children are gone');
	is($t->slurp($pf), "$m\n", 'the pid file remains');
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 1, '-s reload: exit 1');
	is($err, "frontd: no running master: pid file $pf is stale (pid $m is not a running frontd master)\n",
	    '-s reload: the pid file is stale');
	$t->stop;
};

subtest '-s does not trust the old pid while a new master starts' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	my $pf = $t->pid_file;
	my $sleep = sleeper($t);
	$t->spew($pf, "$sleep\n");
	# The new master, in the foreground, logs to a pipe of one page that
	# the test has filled: it locks the pid file, then blocks logging that
	# it created the error log, before it writes its pid.  (A small
	# max_connections: no warning about open files comes before.)
	$t->write_config(config($be), global => "max_connections = 16\nlog_level = debug");
	pipe(my $rd, my $wr) or die "pipe: $!";
	fcntl($wr, 1031, 4096) or plan skip_all => "F_SETPIPE_SZ: $!";
	is(syswrite($wr, 'x' x 4096), 4096, 'the pipe is full');
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $rd;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $t->dir . '/fg.out' or POSIX::_exit(127);
		open STDERR, '>&', $wr or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $t->frontd } $t->frontd, '-f', '-c', $t->conf; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	close $wr;
	$t->wait_for(sub { held($pf) && blocked_in_write($t, $pid) }, 10,
	    'the new master holds the pid file lock and waits to log');
	is($t->slurp($pf), '', 'the old pid is gone from the file');
	my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, '-s', 'stop', '-c', $t->conf);
	ok(still_sleeping($sleep), "-s stop did not signal pid $sleep, named by the old pid file")
	    or diag("-s stop exited $code: $out$err");
	isnt($code, 0, '-s stop does not report success') or diag("$out$err");
	is($err, "frontd: no running master: pid file $pf is empty or damaged (a master may be starting)\n",
	    'it says why');
	end_sleeper($sleep) if still_sleeping($sleep);

	my $log = '';
	$rd->blocking(0);
	my $drain = sub { 1 while sysread($rd, $log, 65536, length $log) };
	$t->wait_for(sub { $drain->(); $log =~ /notice master\[$pid\]: frontd \S+ started: / }, 10,
	    'once it can log again, the master starts');
	like($log, qr/debug master\[$pid\]: created log file \Q${\ $t->error_log_path }\E\n/,
	    'the line it waited on');
	is($t->slurp($pf), "$pid\n", 'and writes its pid');
	kill 'TERM', $pid;
	$t->wait_for(sub { $drain->(); waitpid($pid, WNOHANG) == $pid }, 10, 'it stops on TERM');
	close $rd;
};

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

# ---------------------------------------------------------------------------
# 5-6. Starting: a second master, the caller's stderr.

subtest 'a second master on the same configuration is refused at once' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be));
	my $m = $t->master_pid;
	my $pf = $t->pid_file;
	my $inode = $t->listen_inode;
	my $log = $t->error_log;
	is($t->get('/first')->summary, "200 ok\n", 'the first master serves');
	$t->wait_for(sub { $t->access_log =~ m{"GET /first } }, 5, 'and logs the request');
	my $access = $t->access_log;
	for my $fg (0, 1) {
		my @f = $fg ? ('-f') : ();
		my $t0 = time;
		my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, @f, '-c', $t->conf);
		my $took = time - $t0;
		is($code, 1, "frontd @f -c: exit 1");
		is($err, "frontd: another frontd master is running (pid $m, pid file $pf)\n",
		    "frontd @f -c: names the running master");
		is($out, '', "frontd @f -c: nothing on stdout");
		ok($took < 3, sprintf "frontd @f -c: fails fast (%.2f s)", $took);
	}
	is($t->error_log, $log, 'nothing was written to the running error log');
	is($t->access_log, $access, 'nor to the access log');
	is($t->slurp($pf), "$m\n", 'the pid file is unchanged');
	is($t->listen_inode, $inode, 'the listening socket is the same');
	is($t->master_pid, $m, 'the master is the same');
	is($t->get('/')->summary, "200 ok\n", 'and serves');
	$t->check_logs;
};

subtest 'a daemon does not keep the caller\'s stderr' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->write_config(config($be), global => 'workers = 2');
	# frontd -c CONF 2>&1 | cat
	pipe(my $rd, my $wr) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $rd;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>&', $wr or POSIX::_exit(127);
		open STDERR, '>&', $wr or POSIX::_exit(127);
		close $wr;
		{ no warnings 'exec'; exec { $t->frontd } $t->frontd, '-c', $t->conf; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	close $wr;
	my ($got, $eof, $t0) = ('', 0, time);
	my $sel = IO::Select->new($rd);
	while (!$eof && time - $t0 < 10) {
		next unless $sel->can_read(0.2);
		my $n = sysread($rd, $got, 4096, length $got);
		$eof = 1 if defined $n && $n == 0;
	}
	ok($eof, sprintf 'the pipe reads EOF within 10 s (%.2f s)', time - $t0);
	close $rd;
	is($got, '', 'and nothing was written to it');
	waitpid($pid, 0);
	is($? >> 8, 0, 'frontd -c exits 0');

	my ($m) = $t->slurp($t->pid_file) =~ /^(\d+)$/m;
	ok($m && $t->alive($m), 'the master runs') or return;
	$t->wait_for(sub { $t->children($m) == 3 }, 5, 'with two workers and a checker');
	for my $p ($m, $t->children($m)) {
		is(readlink("/proc/$p/fd/2"), '/dev/null', "fd 2 of $p (" . $t->title($p) . ") is /dev/null");
	}
	is($t->get('/')->summary, "200 ok\n", 'frontd serves');
	my ($code, $out, $err) = $t->run_frontd('-s', 'stop', '-c', $t->conf);
	is($code, 0, '-s stop') or diag("$out$err");
	$t->check_logs;
};

# ---------------------------------------------------------------------------
# 7. A burst of signals.

subtest 'HUP and USR1 in a burst kill no fresh worker' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	for (1 .. 5) {
		kill 'HUP', $m;
		kill 'USR1', $m;
	}
	# A reload request queued behind the burst returns once it is over.
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 0, '-s reload after the burst: reload ok') or diag("$out$err");
	$t->wait_for(sub { $t->children == 3 && $t->workers == 2 && $t->checker == 1 }, 20,
	    'then 2 workers and a checker, the old generations gone')
	    or diag(join "\n", map { "$_: " . $t->title($_) } $t->children);
	my $log = $t->error_log;
	ok(count_lines($log, qr/generation \d+ started$/m) >= 2, 'the burst caused reloads');
	unlike($log, qr/killed by signal/, 'no process was killed by a signal')
	    or diag(join "\n", grep { /killed by signal/ } split /\n/, $log);
	unlike($log, qr/starting a new one/, 'no process had to be respawned');
	is($t->get('/')->summary, "200 ok\n", 'frontd serves');
	is($t->master_pid, $m, 'the master is the same');
	$t->check_logs;
};

# ---------------------------------------------------------------------------
# 8. What a reload refuses to apply.

subtest 'a reload cannot move the pid file' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	my $pf = $t->pid_file;
	my $conf = $t->conf;
	my $other = $t->dir . '/other.pid';
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'generation 1 is up');
	my @w = $t->workers;
	my ($c) = $t->checker;

	$t->write_config(config($be), global => "workers = 2\npid_file = $other");
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 1, '-s reload reads the pid file the file names: exit 1');
	is($err, "frontd: no running master: pid file $other: No such file or directory\n",
	    'and finds no master there');
	ok($t->signal('HUP'), 'HUP sent');
	$t->wait_for(sub { $t->error_log =~ /reload refused/ }, 10, 'the reload is refused');
	my $log = $t->error_log;
	like($log, qr/^$ts warn master\[$m\]: reload refused: the configuration cannot be applied; generation 1 keeps running$/m,
	    'generation 1 keeps running');
	like($log, qr/^$ts warn master\[$m\]: pid_file cannot change on reload \(it is \Q$pf\E; restart frontd to move it\)$/m,
	    'pid_file cannot change on reload') or diag($log);
	unlike($log, qr/generation \d+ started/, 'no generation was started');
	ok(!-e $other, "$other was not created");
	is($t->slurp($pf), "$m\n", 'the pid file is unchanged');
	is_deeply([ $t->workers ], \@w, 'the same workers run');
	is(($t->checker)[0], $c, 'and the same checker');

	$t->write_config(config($be), global => 'workers = 2');
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, 'the original file reloads') or diag("$out$err");
	like($t->error_log, qr/generation 2 started$/m, 'as generation 2');
	$t->check_logs;
};

subtest 'a reload whose new address cannot be bound' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	my $port = $t->port;
	my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1) or die "listen: $!";
	my $bport = $busy->sockport;
	my $test = "[listener test]\naddress = 127.0.0.1:$port\n\n";
	$t->start($test . config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	my $conf = $t->conf;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'generation 1 is up');
	my @w = $t->workers;
	my $inode = $t->listen_inode;

	$t->write_config($test . "[listener extra]\naddress = 127.0.0.1:$bport\n\n" . config($be),
	    global => 'workers = 2');
	my $line = $t->line_of(qr/^address = 127\.0\.0\.1:$bport$/);
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 1, '-s reload: exit 1');
	is($out, '', 'nothing on stdout');
	is($err, "reload failed:\n$conf:$line: cannot listen on 127.0.0.1:$bport in [listener extra]: Address already in use\n",
	    'reload failed: FILE:LINE: cannot listen on ... Address already in use');
	like($t->error_log, qr/^$ts warn master\[$m\]: reload refused: .*; generation 1 keeps running$/m,
	    'the refusal is logged');
	is_deeply([ $t->workers ], \@w, 'the old workers keep running');
	is($t->listen_inode, $inode, 'on the same listening socket');
	is(scalar(grep { $_->{state} eq 'LISTEN' } $t->tcp_sockets($bport)), 1,
	    "only the test listens on $bport");
	is($t->get('/')->summary, "200 ok\n", 'and serve');

	close $busy;
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, 'once the port is free, the reload works') or diag("$out$err");
	is($t->get('/', port => $bport)->summary, "200 ok\n", "and 127.0.0.1:$bport serves");
	is($t->get('/')->summary, "200 ok\n", "as does 127.0.0.1:$port");
	$t->check_logs;
};

# ---------------------------------------------------------------------------
# 9. Log files and the worker user.

subtest 'as root, log files are checked for the worker user' => sub {
	plan skip_all => 'needs root' unless Test::Frontd::is_root();
	my $uid = getpwnam('nobody');
	plan skip_all => 'no user nobody' unless defined $uid;
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	my $private = $t->dir . '/private';
	mkdir $private or die "mkdir $private: $!";
	chmod 0700, $private;
	my $log = "$private/access.log";

	$t->write_config(config($be), user => 'nobody', global => "access_log = $log");
	my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, '-c', $t->conf);
	is($code, 1, 'start with the access log in a 0700 root directory: exit 1');
	is($err, "frontd: $log cannot be opened by the worker user (uid $uid): Permission denied\n",
	    'the access log cannot be opened by the worker user');
	is($out, '', 'nothing on stdout');
	ok(!held($t->pid_file), 'no master runs');
	ok(!defined $t->listen_inode, 'nothing listens');

	$t->start(config($be), user => 'nobody');
	my @w = $t->workers;
	is($t->proc_status($w[0])->{Uid} =~ s/\s.*//r, $uid, 'the worker runs as nobody');
	$t->write_config(config($be), user => 'nobody', global => "access_log = $log");
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 1, 'a reload to that access log: exit 1');
	is($err, "reload failed:\n$log cannot be opened by the worker user (uid $uid): Permission denied\n",
	    'reload failed: cannot be opened by the worker user');
	is_deeply([ $t->workers ], \@w, 'the worker keeps running');
	is($t->get('/')->summary, "200 ok\n", 'and serves');
	$t->check_logs;
};

# ---------------------------------------------------------------------------
# 10. Respawn messages.

subtest 'a respawn message names its delay' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	my @w = $t->workers;
	my $victim = $w[0];
	ok(kill('KILL', $victim), "SIGKILL worker $victim");
	my $first = qr/^$ts warn master\[$m\]: worker process $victim was killed by signal 9 \(Killed\); starting a new one in 0ms$/m;
	$t->wait_for(sub { $t->error_log =~ $first }, 5, 'the first respawn starts at once (in 0ms)')
	    or diag($t->error_log);
	my $again;
	$t->wait_for(sub {
		($again) = grep { my $p = $_; !grep { $_ == $p } @w } $t->workers;
		$again
	}, 5, 'a new worker runs');
	ok(kill('KILL', $again), "SIGKILL it, $again, at once");
	my $second = qr/^$ts warn master\[$m\]: worker process $again was killed by signal 9 \(Killed\); starting a new one in 100ms$/m;
	$t->wait_for(sub { $t->error_log =~ $second }, 5, 'the next one waits (in 100ms)')
	    or diag($t->error_log);
	my ($c) = $t->checker;
	ok(kill('KILL', $c), "SIGKILL checker $c");
	$t->wait_for(sub { $t->error_log =~ /^$ts warn master\[$m\]: checker process $c was killed by signal 9 \(Killed\); starting a new one in 0ms$/m },
	    5, 'the checker\'s respawn is worded the same');
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'all are back');
	$t->check_logs;
};

done_testing;
