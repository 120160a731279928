# "frontd -s" never signals a pid it cannot trust: a configuration file it
# cannot open, a pid file naming a process that is not a frontd master
# (another program, a SIGKILLed master), a pid file emptied by a master
# that is starting; each says why and exits 1.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(WNOHANG);
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

my $ARCH = (POSIX::uname())[4];

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

# Whether pid sleeps in write(2) on a full pipe.
my %WRITE_SYSCALLS = (x86_64 => [ 1 ], aarch64 => [ 64 ]);
sub blocked_in_write {
	my ($t, $pid) = @_;
	return 1 if $t->slurp("/proc/$pid/wchan") =~ /pipe_write/;
	my ($nr) = $t->slurp("/proc/$pid/syscall") =~ /^(\d+) /;
	return defined $nr && ($t->proc_status($pid)->{State} // '') =~ /^S/
	    && grep { $_ == $nr } @{ $WRITE_SYSCALLS{$ARCH} // [] };
}

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

done_testing;
