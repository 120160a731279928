# How "frontd -s reload" asks for a reload and hears its outcome: a queued
# SIGRTMIN+1 carrying the caller's pid, answered in PID_FILE.reload.PID by
# the reload that covered it; callers at the same moment all get the
# outcome, one that comes while a reload runs gets the next; SIGHUP still
# reloads and gets no answer file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Fcntl qw(:flock);
use IO::Select;
use POSIX qw(SIG_BLOCK);
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $RELOAD_SIG = POSIX::SIGRTMIN() + 1;
my $ARCH = (POSIX::uname())[4];

# Writes a broken file; returns its first error as -t and a refused reload
# print it.
sub broken {
	my ($t, $be) = @_;
	$t->write_config(config($be, "\n[route more]\nuptream = app\n"));
	my $line = $t->line_of(qr/^uptream/);
	return qr/\Q${\ $t->conf }\E:$line: unknown key "uptream" in \[route more\] \(did you mean "upstream"\?\)/;
}

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
		is($out, "reload ok: no change\n", "caller $i: reload ok");
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
	$t->check_logs(allow => [ $STILLBORN, qr/did not become ready within 10s/,
	    qr/worker process \d+ exited with status 1;/ ]);
};

done_testing;
