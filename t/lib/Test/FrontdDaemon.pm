package Test::FrontdDaemon;

# What the tests of the daemon and of "frontd -s" share: a configuration
# of one route to one backend, frontd started without waiting for it
# (launch) and collected later (finish), whether the pid file is locked
# by a running master (held), a configuration whose workers cannot start
# (stillborn, and the line they log), and counting log lines.
#
#     use Test::FrontdDaemon;
#     $t->start(config($be));
#     my $r = launch($t, '-s', 'reload', '-c', $t->conf);
#     my ($code, $out, $err) = finish($t, $r, 20);

use strict;
use warnings;

use Exporter qw(import);
use Fcntl qw(:flock);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);

our @EXPORT = qw(config launch finish held stillborn $STILLBORN count_lines);

sub config {
	my ($be, $extra) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n"
	    . ($extra // '');
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

# Whether some process holds a lock on the pid file (a running master).
sub held {
	my ($path) = @_;
	open my $fh, '<', $path or return 0;
	return flock($fh, LOCK_SH | LOCK_NB) ? 0 : 1;
}

# A configuration whose workers cannot start: they may open no file but
# stdin, stdout and stderr, so each one fails on its access log and exits.
sub stillborn {
	my ($be, $extra) = @_;
	return config($be) . "\n[global]\nworker_rlimit_nofile = 3\n" . ($extra // '');
}
our $STILLBORN = qr/ error worker\[\d+\]: cannot open access log \S+: Too many open files$/m;

sub count_lines {
	my ($text, $re) = @_;
	return scalar(() = $text =~ /$re/mg);
}

1;
