# Starting the daemon: a second master on the same configuration is
# refused at once, before it touches the logs, the pid file or the
# listening socket; a daemon lets go of the caller's stderr (no process of
# it keeps a pipe open).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use POSIX ();
use Time::HiRes qw(time);
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

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

done_testing;
