package Test::Frontd;

# Test harness for frontd: a temp dir, a generated config, the daemon started
# and stopped, scripted HTTP backends on free 127.0.0.1 ports, raw HTTP/1.1
# requests, and helpers that read /proc.  Every process a test starts is
# stopped when the test ends, even when it dies.  Core Perl only.
#
#     my $t  = Test::Frontd->new;            # temp dir; FRONTD_TEST_KEEP=1 keeps it
#     my $be = $t->backend(body => "b1", delay => 2);   # {addr, port, pid}
#     $t->start($text, global => "workers = 2");        # or foreground => 1
#     my $r  = $t->get('/path');              # ->status ->content ->header('x')
#     $t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');   # one test
#     ok($t->reload($new_text), 'new generation');      # HUP, waits
#     my ($code, $out, $err) = $t->run_frontd('-t', '-c', $file);
#     $t->check_logs(allow => [ qr/expected error/ ]);  # one test; stops frontd
#     my $be = $t->raw_backend(handler => sub { ... });   # exact bytes: see below
#
# Waits poll every 50 ms up to a deadline; none sleeps a fixed time.  A child
# the test forks itself is handed to track() so the harness leaves its exit
# status alone and kills it at the end.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Errno qw(EAGAIN EINTR ECONNREFUSED);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Test::More ();
use Time::HiRes qw(time sleep);

our $VERSION = '0.1';

use Exporter qw(import);
our @EXPORT_OK = qw(parse_responses parse_requests parse_head header_tokens
    same_bytes text_words);

my $DEADLINE_S = 10;		# waiting for a start or a stop
my $POLL_S     = 0.05;		# polling interval of every wait
my $MAX_OUT_S  = 70;		# a synchronous run of the binary (-s reload waits 60 s)

my @LIVE;			# every harness object, for the END block
my %PORTS_GIVEN;		# ports handed out by port() in this process
my $OWNER = $$;			# only this process cleans up
my %OWN_CHILDREN;		# pids forked by the test, reaped by waitpid(pid)

# A test killed by prove's timeout or ^C still runs END and cleans up.
for my $sig (qw(INT TERM HUP)) {
	$SIG{$sig} = sub { Test::More::diag("caught SIG$sig, cleaning up"); exit 1 }
	    if !defined $SIG{$sig} || $SIG{$sig} eq '' || $SIG{$sig} eq 'DEFAULT';
}

END {
	if ($$ == $OWNER) {
		local $?;	# keep the test's exit status
		for my $t (grep { defined } @LIVE) {
			$t->cleanup;
		}
	}
}

# Make the test process the reaper of its orphans (prctl
# PR_SET_CHILD_SUBREAPER), so an exited daemon does not linger as a zombie
# of a pid 1 that never reaps (containers): alive() reaps it.
my $SUBREAPER;
sub _become_subreaper {
	return $SUBREAPER if defined $SUBREAPER;
	my %prctl = (x86_64 => 157, aarch64 => 167);
	my $nr = $prctl{ (POSIX::uname())[4] };
	$SUBREAPER = $nr && syscall($nr, 36, 1, 0, 0, 0) == 0 ? 1 : 0;
	return $SUBREAPER;
}

sub new {
	my ($class, %opts) = @_;
	_become_subreaper();
	my $keep = $ENV{FRONTD_TEST_KEEP} ? 1 : 0;
	my $dir = tempdir('frontd-test-XXXXXX', TMPDIR => 1, CLEANUP => !$keep);
	$dir = abs_path($dir);
	# Workers may run as another user: they must reach their log files.
	chmod 0755, $dir;
	my $self = bless {
		dir      => $dir,
		keep     => $keep,
		frontd   => _frontd_path(),
		backends => [],
		spawned  => [],		# other children: foreground master, clients
		seen     => {},		# every frontd child pid ever listed
		port     => undef,
		owner    => $$,
	}, $class;
	Test::More::diag("Test::Frontd: keeping $dir") if $keep;
	push @LIVE, $self;
	weaken($LIVE[-1]);
	return $self;
}

sub _frontd_path {
	my $p = $ENV{FRONTD} // './master/frontd';
	return File::Spec->rel2abs($p);
}

# ---------------------------------------------------------------------------
# Paths and small accessors

sub dir      { $_[0]{dir} }
sub frontd   { $_[0]{frontd} }
sub conf     { "$_[0]{dir}/frontd.conf" }
sub pid_file { $_[0]{global}{pid_file} // "$_[0]{dir}/frontd.pid" }

# The source tree: $srcdir when make check sets it, else the tree this
# module lives in (t/lib/Test/Frontd.pm).
sub srcdir {
	return $ENV{srcdir} if defined $ENV{srcdir} && length $ENV{srcdir};
	return abs_path(dirname(__FILE__) . '/../../..');
}

sub is_root { $> == 0 }

# A free 127.0.0.1 TCP port: bind port 0, read it, close.  Never the same
# port twice in one test process.
sub port {
	my ($self) = @_;
	for (1 .. 50) {
		my $s = IO::Socket::INET->new(
		    LocalAddr => '127.0.0.1', LocalPort => 0,
		    Proto => 'tcp', Listen => 1, ReuseAddr => 1)
		    or croak "cannot bind 127.0.0.1:0: $!";
		my $p = $s->sockport;
		close $s;
		next if $PORTS_GIVEN{$p}++;
		return $p;
	}
	croak "no free port found";
}

sub slurp {
	my ($self, $path) = @_;
	open my $fh, '<', $path or return '';
	local $/;
	my $s = <$fh>;
	return $s // '';
}

sub spew {
	my ($self, $path, $text) = @_;
	my $d = dirname($path);
	_mkpath($d);
	open my $fh, '>', $path or croak "cannot write $path: $!";
	print $fh $text;
	close $fh or croak "cannot write $path: $!";
	return $path;
}

sub _mkpath {
	my ($d) = @_;
	return if -d $d;
	_mkpath(dirname($d));
	mkdir $d or -d $d or croak "cannot mkdir $d: $!";
}

# ---------------------------------------------------------------------------
# Configuration

my @GLOBAL_ORDER = qw(workers user group pid_file error_log access_log
    log_level shutdown_timeout);

# Parse "key = value" lines (string or hash ref) into an ordered list.
sub _kv_lines {
	my ($src) = @_;
	return () unless defined $src;
	return map { ($_, $src->{$_}) } sort keys %$src if ref $src eq 'HASH';
	my @kv;
	for my $l (split /\n/, $src) {
		next if $l =~ /^\s*(?:[;#].*)?$/;
		if ($l =~ /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/) {
			push @kv, $1, $2;
		} else {
			croak "Test::Frontd: cannot merge [global] line '$l'";
		}
	}
	return @kv;
}

# The text of frontd.conf: one [global] generated here and merged with the
# caller's (from the text's own [global], then opts{global}, then
# opts{user}/opts{group}), a [listener test] on $self->{port} unless the
# text has a listener, then the text.
sub config_text {
	my ($self, $text, %opts) = @_;
	$text //= '';
	my $dir = $self->{dir};
	my %g = (
		workers          => 1,
		pid_file         => "$dir/frontd.pid",
		error_log        => "$dir/error.log",
		access_log       => "$dir/access.log",
		log_level        => 'info',
		shutdown_timeout => '10s',
	);
	my @order = @GLOBAL_ORDER;
	my @over;
	$text .= "\n" if length $text && $text !~ /\n\z/;
	# The text's own [global] is lifted out: a config has one [global].
	if ($text =~ s/^[ \t]*\[global\][ \t]*\n((?:(?![ \t]*\[)[^\n]*\n)*)//m) {
		push @over, _kv_lines($1);
	}
	push @over, _kv_lines($opts{global});
	push @over, user => $opts{user} if defined $opts{user};
	push @over, group => $opts{group} if defined $opts{group};
	my %over = @over;
	if (is_root()) {
		# Workers as root keep the temp dir's files readable, unless
		# the test asks for a user (then group defaults to its own).
		if (!exists $over{user}) {
			$g{user} = 'root';
			$g{group} = 'root' unless exists $over{group};
		}
	}
	while (my ($k, $v) = splice @over, 0, 2) {
		push @order, $k unless grep { $_ eq $k } @order;
		$g{$k} = $v;
	}
	$self->{global} = { %g };
	my $out = "# generated by Test::Frontd\n[global]\n";
	$out .= "$_ = $g{$_}\n" for grep { exists $g{$_} } @order;
	if ($text =~ /^[ \t]*\[listener[ \t\]]/m) {
		# The caller's listeners: wait on the first 127.0.0.1 address.
		if ($text =~ /^[ \t]*address[ \t]*=[ \t]*(?:127\.0\.0\.1|\*|0\.0\.0\.0):(\d+)/m) {
			$self->{port} = $1;
		}
	} else {
		$self->{port} //= $self->port;
		$out .= "\n[listener test]\naddress = 127.0.0.1:$self->{port}\n";
	}
	$out .= "\n$text" if length $text;
	$out .= "\n" unless $out =~ /\n\z/;
	return $out;
}

sub write_config {
	my ($self, $text, %opts) = @_;
	my $out = $self->config_text($text, %opts);
	$self->spew($self->conf, $out);
	$self->{nworkers} = $self->_nworkers($self->{global}{workers});
	return $self->conf;
}

sub _nworkers {
	my ($self, $w) = @_;
	return $w if $w =~ /^\d+$/;
	my $n = () = $self->slurp('/proc/cpuinfo') =~ /^processor\s*:/mg;
	return $n || 1;
}

# Line number (1-based) of the first line of the written config matching re.
sub line_of {
	my ($self, $re, $file) = @_;
	my @l = split /\n/, $self->slurp($file // $self->conf), -1;
	for my $i (0 .. $#l) {
		return $i + 1 if $l[$i] =~ $re;
	}
	croak "no line matches $re in " . ($file // $self->conf);
}

sub error_log_path {
	my ($self) = @_;
	return $self->{fg_err} if $self->{foreground};
	my $p = $self->{global}{error_log} // "$self->{dir}/error.log";
	return $p =~ m{^/} ? $p : undef;
}

sub access_log_path {
	my ($self) = @_;
	my $p = $self->{global}{access_log} // "$self->{dir}/access.log";
	return $p =~ m{^/} ? $p : undef;
}

sub error_log {
	my ($self) = @_;
	my $p = $self->error_log_path or return '';
	return $self->slurp($p);
}

sub access_log {
	my ($self) = @_;
	my $p = $self->access_log_path or return '';
	return $self->slurp($p);
}

# ---------------------------------------------------------------------------
# Running the binary

# Sanitizer reports of the daemon go to files in the temp dir, where
# check_logs finds them (a daemon's stderr is /dev/null).
sub _sanitizer_env {
	my ($self) = @_;
	my %env;
	for my $v (qw(ASAN_OPTIONS UBSAN_OPTIONS)) {
		my $cur = $ENV{$v} // '';
		next if $cur =~ /\blog_path=/;
		$env{$v} = join ':', grep { length } $cur,
		    "log_path=$self->{dir}/sanitizer";
	}
	return %env;
}

# Fork and exec frontd with stdout and stderr sent to files.
sub _spawn {
	my ($self, $out, $err, @args) = @_;
	croak "frontd binary not found at $self->{frontd} (set FRONTD)"
	    unless -x $self->{frontd};
	my %env = $self->_sanitizer_env;
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		@ENV{keys %env} = values %env;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings "exec"; exec { $self->{frontd} } $self->{frontd}, @args; }
		print STDERR "exec $self->{frontd}: $!\n";
		POSIX::_exit(127);
	}
	$OWN_CHILDREN{$pid} = 1;
	return $pid;
}

# Run frontd synchronously: (exit code, stdout, stderr).  An optional
# leading hash ref gives { timeout => seconds }.  A signal death is
# reported as 128 + signal number.
sub run_frontd {
	my ($self, @args) = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	my $n = ++$self->{nrun};
	my ($out, $err) = map { "$self->{dir}/run$n.$_" } qw(out err);
	my $pid = $self->_spawn($out, $err, @args);
	my $deadline = time + ($o->{timeout} // $MAX_OUT_S);
	my $status;
	while (1) {
		_reap_orphans($pid);
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid) { $status = $?; last }
		if (time > $deadline) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			Test::More::diag("frontd @args: still running after "
			    . ($o->{timeout} // $MAX_OUT_S) . " s, killed");
			$status = $?;
			last;
		}
		sleep $POLL_S;
	}
	my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	my @r = ($code, $self->slurp($out), $self->slurp($err));
	unlink $out, $err unless $self->{keep};
	return @r;
}

# Write the config and start frontd.  Daemonized by default (returns once
# the command returned 0 and the daemon answers); opts{foreground} runs
# "frontd -f" as a child of the test.  Dies with the reasons on failure.
sub start {
	my ($self, $text, %opts) = @_;
	croak "frontd already started" if $self->{master_pid};
	$self->write_config($text, %opts);
	croak "cannot tell which 127.0.0.1 port frontd listens on"
	    unless $self->{port};
	my @args = ('-c', $self->conf, @{ $opts{args} // [] });
	my $deadline = time + $DEADLINE_S;
	if ($opts{foreground}) {
		$self->{foreground} = 1;
		my $n = ++$self->{nfg};
		$self->{fg_out} = "$self->{dir}/foreground$n.out";
		$self->{fg_err} = "$self->{dir}/foreground$n.err";
		my $pid = $self->_spawn($self->{fg_out}, $self->{fg_err},
		    '-f', @args);
		$self->{fg_pid} = $pid;
		push @{ $self->{spawned} }, $pid;
	} else {
		$self->{foreground} = 0;
		my ($code, $out, $err) = $self->run_frontd(
		    { timeout => $DEADLINE_S + 5 }, @args);
		croak "frontd -c " . $self->conf . " exited $code:\n$out$err"
		    . $self->_log_tail if $code != 0;
		$self->{start_stdout} = $out;
		$self->{start_stderr} = $err;
	}
	my $why = '';
	my $ok = $self->poll(sub {
		if ($self->{fg_pid} && waitpid($self->{fg_pid}, WNOHANG) == $self->{fg_pid}) {
			$why = "frontd -f exited with status " . ($? >> 8);
			$self->_forget($self->{fg_pid});
			return 1;
		}
		my $pid = $self->_read_pid_file;
		unless ($pid) { $why = "no pid in " . $self->pid_file; return 0 }
		unless ($self->alive($pid)) { $why = "pid $pid is not running"; return 0 }
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $self->{port}, Proto => 'tcp', Timeout => 1);
		unless ($s) { $why = "127.0.0.1:$self->{port}: $!"; return 0 }
		close $s;
		$self->{master_pid} = $pid;
		$why = '';
		return 1;
	}, $deadline - time);
	if (!$ok || $why) {
		$why ||= "not ready within $DEADLINE_S s";
		$self->_kill_all;
		croak "frontd did not come up: $why" . ($self->{foreground}
		    ? "\nstderr:\n" . $self->slurp($self->{fg_err}) : $self->_log_tail);
	}
	if ($self->{foreground} && $self->{master_pid} != $self->{fg_pid}) {
		croak "pid file holds $self->{master_pid}, frontd -f is $self->{fg_pid}";
	}
	$self->children;	# remember the first generation
	return $self;
}

sub _log_tail {
	my ($self) = @_;
	my @l = split /\n/, $self->error_log;
	splice @l, 0, @l - 30 if @l > 30;
	return @l ? "\nerror log:\n" . join("\n", @l) . "\n" : '';
}

sub _read_pid_file {
	my ($self) = @_;
	my $s = $self->slurp($self->pid_file);
	return $s =~ /^\s*(\d+)\s*$/ ? $1 : undef;
}

# ---------------------------------------------------------------------------
# Processes (read from /proc)

sub master_pid { $_[0]{master_pid} }

# With start(..., foreground => 1): the frontd -f child and its stderr file.
sub foreground_pid    { $_[0]{fg_pid} }
sub foreground_stderr { $_[0]{fg_err} }

# Fields of /proc/PID/status as a hash ({} when the process is gone).
sub proc_status {
	my ($self, $pid) = @_;
	my %st;
	open my $fh, '<', "/proc/$pid/status" or return {};
	local $_;	# callers may alias $_ (grep, for)
	while (<$fh>) {
		chomp;
		$st{$1} = $2 if /^([^:]+):\s*(.*)$/;
	}
	return \%st;
}

# True when pid runs: it exists and is not a zombie (our own children are
# reaped here; a daemon's may linger as zombies of a non-reaping pid 1).
sub alive {
	my ($self, $pid) = @_;
	return 0 unless $pid;
	if (grep { $_ == $pid } @{ $self->{spawned} }) {
		if (waitpid($pid, WNOHANG) != 0) {	# reaped here or already
			$self->_forget($pid);
			return 0;
		}
	}
	my $st = $self->proc_status($pid);
	return 0 unless %$st;
	return 1 if $st->{State} !~ /^[ZX]/;
	# An orphan that came to us: reap it.
	waitpid($pid, WNOHANG) if ($st->{PPid} // 0) == $$;
	return 0;
}

# Reap the zombies among the orphans that came to us as subreaper (an
# exited daemon master, its workers), so that "is it still running" checks,
# ours and those of frontd -s, see them gone.  Our own children (forked
# here or given to track(), in %OWN_CHILDREN) are left to their waitpid.
sub _reap_orphans {
	my (@keep) = @_;
	return unless $SUBREAPER;
	my %keep = (%OWN_CHILDREN, map { $_ => 1 } @keep);
	opendir my $dh, '/proc' or return;
	for my $pid (grep { /^\d+$/ && !$keep{$_} } readdir $dh) {
		open my $fh, '<', "/proc/$pid/stat" or next;
		my $st = <$fh> // next;
		my ($state, $ppid) = $st =~ /\)\s+(\S)\s+(\d+)/ or next;
		waitpid($pid, WNOHANG) if $state eq 'Z' && $ppid == $$;
	}
}

# Pids whose parent is pid (default: the master), zombies included, sorted.
sub children {
	my ($self, $ppid) = @_;
	$ppid //= $self->{master_pid} or return ();
	my @kids;
	opendir my $dh, '/proc' or return ();
	for my $pid (grep { /^\d+$/ } readdir $dh) {
		my $st = $self->proc_status($pid);
		push @kids, $pid if ($st->{PPid} // -1) == $ppid;
	}
	@kids = sort { $a <=> $b } @kids;
	if ($ppid == ($self->{master_pid} // 0)) {
		$self->{seen}{$_} = 1 for @kids;
	}
	return @kids;
}

# Children of the master in state Z.
sub zombies {
	my ($self) = @_;
	return grep { ($self->proc_status($_)->{State} // '') =~ /^Z/ } $self->children;
}

# The process title: /proc/PID/cmdline with NULs as spaces, trimmed.
sub title {
	my ($self, $pid) = @_;
	my $s = $self->slurp("/proc/$pid/cmdline");
	$s =~ tr/\0/ /;
	$s =~ s/^\s+|\s+$//g;
	return $s;
}

sub workers {
	my ($self) = @_;
	return grep { $self->title($_) =~ /^frontd: worker process\b/ } $self->children;
}

sub checker {
	my ($self) = @_;
	return grep { $self->title($_) =~ /^frontd: health checker\b/ } $self->children;
}

# Targets of /proc/PID/fd/* ("socket:[123]", "/tmp/x/error.log", ...).
sub fds {
	my ($self, $pid) = @_;
	$pid //= $self->{master_pid};
	opendir my $dh, "/proc/$pid/fd" or return ();
	my @t;
	for my $fd (sort { $a <=> $b } grep { /^\d+$/ } readdir $dh) {
		my $l = readlink "/proc/$pid/fd/$fd";
		push @t, $l if defined $l;
	}
	return @t;
}

# Sockets in /proc/net/tcp{,6} whose local port is port: a list of
# { state => 'LISTEN'|'ESTABLISHED'|hex, inode => N, remote_port => N }.
my %TCP_STATE = ('01' => 'ESTABLISHED', '0A' => 'LISTEN');
sub tcp_sockets {
	my ($self, $port) = @_;
	my @s;
	for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
		open my $fh, '<', $f or next;
		<$fh>;
		local $_;	# callers may alias $_ (grep, for)
		while (<$fh>) {
			my @c = split;
			my ($lp) = $c[1] =~ /:([0-9A-F]+)$/ or next;
			my ($rp) = $c[2] =~ /:([0-9A-F]+)$/;
			next unless hex($lp) == $port;
			push @s, { state => $TCP_STATE{ $c[3] } // $c[3],
			    inode => $c[9], remote_port => hex($rp) };
		}
	}
	return @s;
}

sub listen_inode {
	my ($self, $port) = @_;
	$port //= $self->{port};
	my ($s) = grep { $_->{state} eq 'LISTEN' } $self->tcp_sockets($port);
	return $s ? $s->{inode} : undef;
}

# Number of established connections accepted on port (a backend's port:
# a request is in flight there).
sub established {
	my ($self, $port) = @_;
	return scalar grep { $_->{state} eq 'ESTABLISHED' } $self->tcp_sockets($port);
}

sub signal {
	my ($self, $name, $pid) = @_;
	$pid //= $self->{master_pid} or croak "no master to signal";
	return kill $name, $pid;
}

# ---------------------------------------------------------------------------
# Waiting

# Call cond every 50 ms until it returns true or timeout seconds pass.
# Returns the last value of cond.  Adds no test.
sub poll {
	my ($self, $cond, $timeout) = @_;
	my $deadline = time + ($timeout // $DEADLINE_S);
	while (1) {
		_reap_orphans();
		my $r = $cond->();
		return $r if $r;
		return $r if time >= $deadline;
		sleep $POLL_S;
	}
}

# Like poll, but one test named what: passes when cond became true in time.
sub wait_for {
	my ($self, $cond, $timeout, $what) = @_;
	$timeout //= $DEADLINE_S;
	$what //= 'condition';
	my $t0 = time;
	my $r = $self->poll($cond, $timeout);
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok($r, $what)
	    or Test::More::diag(sprintf "not true after %.1f s", time - $t0);
	return $r;
}

# Write a new config, send HUP and wait until the new generation runs: as
# many workers as configured, a checker, and every process of the old
# generation gone.  Returns true on success; adds no test.
sub reload {
	my ($self, $text, %opts) = @_;
	my @old = $self->children;
	my %old = map { $_ => 1 } @old;
	$self->write_config($text, %opts) if defined $text;
	$self->signal('HUP') or return 0;
	my $n = $self->{nworkers};
	return $self->poll(sub {
		return 0 if grep { $self->alive($_) } @old;
		my @w = $self->workers;
		my @c = $self->checker;
		return @w == $n && @c == 1 && !grep { $old{$_} } @w, @c;
	}, $opts{timeout} // 20);
}

# ---------------------------------------------------------------------------
# Stopping

# TERM the master and wait for it and all its children to be gone; SIGKILL
# what is left after 10 s.  Returns true when everything stopped by itself.
sub stop {
	my ($self, %opts) = @_;
	my $m = $self->{master_pid} or return 1;
	$self->children;
	my @procs = ($m, keys %{ $self->{seen} });
	$self->signal($opts{signal} // 'TERM') if $self->alive($m);
	my $ok = $self->poll(sub { !grep { $self->alive($_) } @procs },
	    $opts{timeout} // $DEADLINE_S);
	unless ($ok) {
		my @left = grep { $self->alive($_) } @procs;
		Test::More::diag("frontd did not stop in time; killing @left");
		$self->_kill_all;
	}
	$self->_reap_spawned;
	delete $self->{master_pid};
	$self->{seen} = {};
	return $ok;
}

# Reap the test's own children that ended; they are never signalled again
# (their pid may be reused).
sub _reap_spawned {
	my ($self) = @_;
	for my $pid (@{ $self->{spawned} }) {
		$self->_forget($pid) if waitpid($pid, WNOHANG) != 0;
	}
}

sub _forget {
	my ($self, $pid) = @_;
	$self->{spawned} = [ grep { $_ != $pid } @{ $self->{spawned} } ];
	delete $self->{fg_pid} if ($self->{fg_pid} // 0) == $pid;
}

# SIGKILL the master, every frontd child seen, and frontd -f.
sub _kill_all {
	my ($self) = @_;
	my @p = grep { $_ } $self->{master_pid} // $self->_read_pid_file,
	    keys %{ $self->{seen} };
	push @p, $self->children($p[0]) if @p && $self->alive($p[0]);
	for my $pid (@p) {
		# Pids are reused: kill only what is still frontd.
		next unless $self->alive($pid) && $self->title($pid) =~ /^frontd\b/;
		kill 'KILL', $pid;
	}
	$self->_reap_spawned;
	if ($self->{fg_pid}) {
		kill 'KILL', $self->{fg_pid};
		waitpid($self->{fg_pid}, 0);
		$self->_forget($self->{fg_pid});
	}
}

# Register a child the test forked (a client loop...): the harness does not
# reap it behind the test's back, and kills it at cleanup.
sub track {
	my ($self, $pid) = @_;
	$OWN_CHILDREN{$pid} = 1;
	push @{ $self->{spawned} }, $pid;
	return $pid;
}

# Stop everything this object started.  Safe to call more than once.
sub cleanup {
	my ($self) = @_;
	return unless $$ == $self->{owner};
	$self->stop if $self->{master_pid};
	$self->_kill_all;
	$self->_reap_spawned;
	for my $pid (@{ $self->{spawned} }) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
	$self->{spawned} = [];
	for my $b (@{ $self->{backends} }) {
		close $b->{keep} if $b->{keep};
		kill 'KILL', -$b->{pid};	# its process group: it and its connections
		kill 'KILL', $b->{pid};
		waitpid($b->{pid}, 0);
	}
	$self->{backends} = [];
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $@, $!);
	$self->cleanup;
}

# ---------------------------------------------------------------------------
# Log checks

# One test: no line at level error and no sanitizer report in the error log,
# frontd -f's stderr or the sanitizer log files, except lines matching one
# of allow.  Stops frontd first so reports written at exit are included.
sub check_logs {
	my ($self, %opts) = @_;
	my @allow = @{ $opts{allow} // [] };
	$self->stop if $self->{master_pid};
	my %uniq;
	my @files = grep { defined && -f && !$uniq{$_}++ } $self->error_log_path,
	    glob("$self->{dir}/foreground*.err"), glob("$self->{dir}/sanitizer*");
	my @bad;
	for my $f (@files) {
		for my $l (split /\n/, $self->slurp($f)) {
			next unless $l =~ /^\S+ \S+ (?:error|crit|alert|emerg)\b/
			    || $l =~ /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;
			next if grep { $l =~ $_ } @allow;
			push @bad, "$f: $l";
		}
	}
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok(!@bad, 'no unexpected error or sanitizer report in the logs')
	    or Test::More::diag(join "\n", @bad[0 .. ($#bad < 20 ? $#bad : 19)]);
	return !@bad;
}

# ---------------------------------------------------------------------------
# HTTP client

# Send one HTTP/1.1 request with Connection: close; returns a handle for
# read_response (or a response with status 0 when the connection fails).
# opts: method, headers (hash or array ref), body, port, host, timeout.
sub send_request {
	my ($self, $path, %o) = @_;
	my $port = $o{port} // $self->{port};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => $o{timeout} // 5);
	unless ($s) {
		my $refused = ($! == ECONNREFUSED) ? 1 : 0;
		return Test::Frontd::Response->failed("connect to 127.0.0.1:$port: $!",
		    refused => $refused);
	}
	my $method = $o{method} // 'GET';
	my @h = ref $o{headers} eq 'HASH' ? %{ $o{headers} } : @{ $o{headers} // [] };
	my %has = map { lc($h[$_]) => 1 } grep { !($_ % 2) } 0 .. $#h;
	my $req = "$method $path HTTP/1.1\r\n";
	$req .= "Host: " . ($o{host} // "127.0.0.1:$port") . "\r\n" unless exists $has{host};
	$req .= "User-Agent: frontd-test\r\n" unless exists $has{'user-agent'};
	$req .= "Connection: close\r\n" unless exists $has{connection};
	while (my ($k, $v) = splice @h, 0, 2) {
		$req .= "$k: $v\r\n";
	}
	if (defined $o{body}) {
		$req .= "Content-Length: " . length($o{body}) . "\r\n"
		    unless exists $has{'content-length'};
		$req .= "\r\n$o{body}";
	} else {
		$req .= "\r\n";
	}
	local $SIG{PIPE} = 'IGNORE';
	my $off = 0;
	while ($off < length $req) {
		my $n = syswrite($s, $req, length($req) - $off, $off);
		if (!defined $n) {
			next if $! == EINTR;
			return Test::Frontd::Response->failed("write: $!");
		}
		$off += $n;
	}
	return { sock => $s, timeout => $o{timeout} // 5, method => $method };
}

# Read the response to a send_request handle until EOF (or timeout).
sub read_response {
	my ($self, $h) = @_;
	return $h if ref $h eq 'Test::Frontd::Response';
	my $s = $h->{sock};
	my $sel = IO::Select->new($s);
	my $deadline = time + $h->{timeout};
	my $raw = '';
	my $err;
	while (1) {
		my $left = $deadline - time;
		if ($left <= 0) { $err = "timeout after $h->{timeout} s"; last }
		next unless $sel->can_read($left);
		my $n = sysread($s, $raw, 65536, length $raw);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			$err = "read: $!";
			last;
		}
		last if $n == 0;
	}
	close $s;
	return Test::Frontd::Response->parse($raw, $err, $h->{method});
}

sub get {
	my ($self, $path, %o) = @_;
	return $self->read_response($self->send_request($path, %o));
}

# ---------------------------------------------------------------------------
# Scripted backends

# Fork an HTTP/1.1 backend on a free 127.0.0.1 port (or on port, to bring
# back one that stop_backend stopped).  opts: body (text, or a
# code ref called with the request hash), status (200), delay (seconds
# before answering), headers ({name => value}).  One process per connection.
# Returns { addr => "127.0.0.1:PORT", port => PORT, pid => PID }.
sub backend {
	my ($self, %o) = @_;
	my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $o{port} // 0,
	    Proto => 'tcp', Listen => 128, ReuseAddr => 1)
	    or croak "backend: cannot listen: $!";
	my $port = $srv->sockport;
	# The backend exits when the read end of this pipe sees EOF, that
	# is when the test process is gone, however it ended.
	pipe(my $r, my $w) or croak "pipe: $!";
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		close $w;
		close $_->{keep} for @{ $self->{backends} };
		setpgrp(0, 0);
		eval { _backend_serve($srv, $r, \%o) };
		POSIX::_exit(0);
	}
	$OWN_CHILDREN{$pid} = 1;
	close $r;
	close $srv;
	my $b = { addr => "127.0.0.1:$port", port => $port, pid => $pid, keep => $w };
	push @{ $self->{backends} }, $b;
	return { addr => $b->{addr}, port => $port, pid => $pid };
}

sub _backend_serve {
	my ($srv, $parent, $o) = @_;
	$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
	$SIG{CHLD} = 'IGNORE';		# connection processes reap themselves
	my $sel = IO::Select->new($srv, $parent);
	while (1) {
		my @ready = $sel->can_read;
		for my $fh (@ready) {
			if ($fh == $parent) {
				local $SIG{TERM} = 'IGNORE';
				kill 'TERM', -$$;	# the connections too
				POSIX::_exit(0);
			}
			my $c = $srv->accept or next;
			my $pid = fork;
			if (defined $pid && $pid == 0) {
				close $srv;
				close $parent;
				eval { _backend_conn($c, $o) };
				POSIX::_exit(0);
			}
			close $c;
		}
	}
}

my %REASON = (200 => 'OK', 201 => 'Created', 204 => 'No Content',
    301 => 'Moved Permanently', 302 => 'Found', 304 => 'Not Modified',
    400 => 'Bad Request', 403 => 'Forbidden', 404 => 'Not Found',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout');

sub _backend_conn {
	my ($c, $o) = @_;
	local $SIG{PIPE} = 'IGNORE';
	local $SIG{ALRM} = sub { POSIX::_exit(0) };
	my $buf = '';
	while (1) {
		alarm 60;
		my $req = _backend_read_request($c, \$buf) or return;
		alarm 0;
		sleep $o->{delay} if $o->{delay};
		my $body = ref $o->{body} eq 'CODE' ? $o->{body}->($req)
		    : $o->{body} // 'ok';
		my $status = $o->{status} // 200;
		my $keep = $req->{version} eq '1.1'
		    && ($req->{headers}{connection} // '') !~ /\bclose\b/i;
		my $resp = "HTTP/1.1 $status " . ($REASON{$status} // 'Status') . "\r\n";
		my %h = %{ $o->{headers} // {} };
		$resp .= "$_: $h{$_}\r\n" for sort keys %h;
		$resp .= "Content-Length: " . length($body) . "\r\n";
		$resp .= $keep ? '' : "Connection: close\r\n";
		$resp .= "\r\n";
		$resp .= $body unless $req->{method} eq 'HEAD';
		my $off = 0;
		while ($off < length $resp) {
			my $n = syswrite($c, $resp, length($resp) - $off, $off);
			return unless defined $n;
			$off += $n;
		}
		last unless $keep;
	}
	shutdown($c, 1);
	# Let the client read everything before the close.
	alarm 5;
	1 while sysread($c, my $junk, 4096);
}

# Read one request (head, then a Content-Length or chunked body).  Returns
# { method, path, version, headers => {lc name => value}, body } or undef
# at EOF.
sub _backend_read_request {
	my ($c, $buf) = @_;
	my $need = sub {
		my ($cond) = @_;
		until ($cond->()) {
			my $n = sysread($c, $$buf, 65536, length $$buf);
			return 0 unless $n;
		}
		return 1;
	};
	$need->(sub { $$buf =~ /\r?\n\r?\n/ }) or return undef;
	$$buf =~ s/^(.*?)\r?\n\r?\n//s;
	my @lines = split /\r?\n/, $1;
	my ($method, $path, $version) = (shift(@lines) // '') =~ m{^(\S+)\s+(\S+)\s+HTTP/(\d\.\d)};
	return undef unless $method;
	my %h;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$k = lc $k;
		$h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
	}
	my $body = '';
	if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
		while (1) {
			$need->(sub { $$buf =~ /\r?\n/ }) or return undef;
			$$buf =~ s/^([0-9a-fA-F]+)[^\r\n]*\r?\n// or return undef;
			my $len = hex $1;
			if ($len == 0) {
				$need->(sub { $$buf =~ /^(?:[^\r\n]+\r?\n)*\r?\n/ }) or return undef;
				$$buf =~ s/^(?:[^\r\n]+\r?\n)*\r?\n//;
				last;
			}
			$need->(sub { length $$buf >= $len + 2 }) or return undef;
			$body .= substr($$buf, 0, $len);
			substr($$buf, 0, $len) = '';
			$$buf =~ s/^\r?\n//;
		}
	} elsif (my $len = $h{'content-length'}) {
		$need->(sub { length $$buf >= $len }) or return undef;
		$body = substr($$buf, 0, $len);
		substr($$buf, 0, $len) = '';
	}
	return { method => $method, path => $path, version => $version,
	    headers => \%h, body => $body };
}

# ---------------------------------------------------------------------------
# Raw backends, raw clients and a response parser: for tests that must see
# or send exact bytes (framing, hop-by-hop headers, malformed requests).
#
#     my $be = $t->raw_backend(handler => sub {
#         my ($c) = @_;                      # a Test::Frontd::RawConn
#         my $head = $c->read_head // return;
#         $c->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
#     });
#     my $be = $t->raw_backend(status => 200, headers => [ 'X-A' => 1 ],
#         body => 'text' | sub { my ($req, $c) = @_; ... });
#     $t->received($be);    # every byte received, all connections
#     $t->connections($be); # connections accepted
#     my ($bytes, $closed) = $t->raw_request("GET / HTTP/1.1\r\n...", timeout => 5);
#     my $c = $t->raw_client; $c->write($req); my $r = $c->read_response;
#     my @r = parse_responses($bytes, methods => [ 'GET', 'HEAD' ]);
#
# A response or request is a hash: status (or method, target, version),
# headers ({lc name => [values]}), fields ([[name, value], ...] in order),
# body, head (the raw head), complete (0 when cut short), error.

my $RAW_READ_S = 30;		# a backend handler's read gives up after this

# A forked backend on a free 127.0.0.1 port, one forked handler per
# accepted connection.  Every byte a handler reads is appended to a
# recording file (received), every accepted connection to a count
# (connections).  Without a handler, each request is answered with status
# (200), headers (array or hash ref), body (text, or code ref called with
# the request and the connection), keep-alive aware; keepalive => 0 closes
# after each response (saying so), delay => S waits before answering.
# Bytes a handler never reads are not recorded.  port => N listens on that
# port (to bring back a backend that stop_backend stopped).
sub raw_backend {
	my ($self, %o) = @_;
	my $id = ++$self->{nraw};
	my $rec = "$self->{dir}/raw-backend$id";
	$self->spew($_, '') for $rec, "$rec.conns", "$rec.notes";
	my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $o{port} // 0,
	    Proto => 'tcp', Listen => 128, ReuseAddr => 1)
	    or croak "raw_backend: cannot listen: $!";
	my $port = $srv->sockport;
	pipe(my $r, my $w) or croak "pipe: $!";
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		close $w;
		close $_->{keep} for @{ $self->{backends} };
		setpgrp(0, 0);
		eval { _raw_serve($srv, $r, $rec, \%o) };
		POSIX::_exit(0);
	}
	$OWN_CHILDREN{$pid} = 1;
	close $r;
	close $srv;
	my $b = { addr => "127.0.0.1:$port", port => $port, pid => $pid,
	    keep => $w, rec => $rec };
	push @{ $self->{backends} }, $b;
	return { addr => $b->{addr}, port => $port, pid => $pid, rec => $rec };
}

sub _raw_serve {
	my ($srv, $parent, $rec, $o) = @_;
	$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
	$SIG{CHLD} = 'IGNORE';
	my $sel = IO::Select->new($srv, $parent);
	my $n = 0;
	while (1) {
		for my $fh ($sel->can_read) {
			if ($fh == $parent) {
				local $SIG{TERM} = 'IGNORE';
				kill 'TERM', -$$;
				POSIX::_exit(0);
			}
			my $c = $srv->accept or next;
			$n++;
			if (open my $cf, '>>', "$rec.conns") {
				syswrite($cf, "\n");
				close $cf;
			}
			my $pid = fork;
			if (defined $pid && $pid == 0) {
				close $srv;
				close $parent;
				$SIG{PIPE} = 'IGNORE';
				$SIG{ALRM} = sub { POSIX::_exit(0) };
				alarm 300;
				my $conn = Test::Frontd::RawConn->new($c, $rec, $n);
				eval {
					if ($o->{handler}) {
						$o->{handler}->($conn);
					} else {
						_raw_default($conn, $o);
					}
					1;
				} or $conn->note("handler died: $@");
				$conn->close;
				POSIX::_exit(0);
			}
			close $c;
		}
	}
}

sub _raw_default {
	my ($c, $o) = @_;
	while (my $req = $c->read_request) {
		sleep $o->{delay} if $o->{delay};
		my $body = ref $o->{body} eq 'CODE' ? $o->{body}->($req, $c)
		    : $o->{body} // 'ok';
		my $conn = lc join ',', @{ $req->{headers}{connection} // [] };
		my $keep = $o->{keepalive} // 1;
		$keep &&= $req->{version} eq '1.1' ? $conn !~ /\bclose\b/
		    : $conn =~ /\bkeep-alive\b/;
		my @h = ref $o->{headers} eq 'HASH'
		    ? map { ($_, $o->{headers}{$_}) } sort keys %{ $o->{headers} }
		    : @{ $o->{headers} // [] };
		push @h, Connection => 'close' unless $keep;
		push @h, Connection => 'keep-alive' if $keep && $req->{version} eq '1.0';
		$c->respond($o->{status} // 200, body => $body, headers => \@h,
		    head => $req->{method} eq 'HEAD') or last;
		last unless $keep;
	}
}

# Kill a backend (either kind) and its connection processes at once, as a
# crash would: its port refuses connections until a backend is started
# again with port => $be->{port}.
sub stop_backend {
	my ($self, $be) = @_;
	my ($b) = grep { $_->{pid} == $be->{pid} } @{ $self->{backends} }
	    or return 0;
	kill 'KILL', -$b->{pid};
	kill 'KILL', $b->{pid};
	waitpid($b->{pid}, 0);
	close $b->{keep} if $b->{keep};
	$self->{backends} = [ grep { $_ != $b } @{ $self->{backends} } ];
	return 1;
}

# A named raw_backend for balancing and health tests.  Every request gets
# 200 "NAME\n" with X-Backend: NAME (keep-alive aware), except:
#   /healthz: 500 "sick\n" while the flag "sick" is set, else 200
#     "healthy\n";
#   a path starting with /hold: while the flag "hold" is set, the answer
#     waits (up to 20 s), and held() counts it meanwhile.
# Flags are files in the test dir: $t->flag($be, sick => 1).  opts: name
# (required), port, and others of raw_backend (not handler).
sub app_backend {
	my ($self, %o) = @_;
	my $name = $o{name} // croak "app_backend: name required";
	my $dir = $self->{dir};
	my $handler = sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			my $t = $q->{target};
			my ($status, $body) = (200, "$name\n");
			if ($t =~ m{^/healthz(?:\?|\z)}) {
				($status, $body) = -e "$dir/flag-$name-sick"
				    ? (500, "sick\n") : (200, "healthy\n");
			} elsif ($t =~ m{^/hold}) {
				my $mark = "$dir/held-$name.$$." . $c->n;
				if (-e "$dir/flag-$name-hold") {
					if (open my $fh, '>', $mark) { close $fh }
					my $until = time + 20;
					sleep 0.02 while -e "$dir/flag-$name-hold"
					    && time < $until;
					unlink $mark;
				}
			}
			my $close = grep { $_ eq 'close' } header_tokens($q, 'connection');
			$close ||= $q->{version} ne '1.1';
			$c->respond($status, body => $body,
			    head => $q->{method} eq 'HEAD',
			    headers => [ 'X-Backend' => $name,
				$close ? (Connection => 'close') : () ])
			    or last;
			last if $close;
		}
	};
	my $be = $self->raw_backend(%o, handler => $handler);
	$be->{name} = $name;
	return $be;
}

# Set (on true) or clear a flag of an app_backend.
sub flag {
	my ($self, $be, $flag, $on) = @_;
	my $f = "$self->{dir}/flag-$be->{name}-$flag";
	if ($on) { $self->spew($f, '') } else { unlink $f }
	return $on;
}

# Requests an app_backend holds right now.
sub held {
	my ($self, $be) = @_;
	opendir my $dh, $self->{dir} or return 0;
	return scalar grep { /^held-\Q$be->{name}\E\.\d+\.\d+\z/ } readdir $dh;
}

# All bytes a raw backend received, in arrival order.
sub received {
	my ($self, $be) = @_;
	return $self->slurp($be->{rec});
}

# The bytes received on each connection: a list, first connection first.
sub received_by_connection {
	my ($self, $be) = @_;
	return map { $self->slurp("$be->{rec}.$_") } 1 .. $self->connections($be);
}

# The number of connections a raw backend accepted.
sub connections {
	my ($self, $be) = @_;
	return length $self->slurp("$be->{rec}.conns");
}

# Lines a handler wrote with $conn->note (and handlers that died).
sub notes {
	my ($self, $be) = @_;
	return $self->slurp("$be->{rec}.notes");
}

# The requests a raw backend received, parsed (heads and bodies).
sub received_requests {
	my ($self, $be) = @_;
	my @r;
	for my $bytes ($self->received_by_connection($be)) {
		push @r, parse_requests($bytes);
	}
	return @r;
}

# A connection to frontd (opts: port, timeout for the connect): a
# Test::Frontd::RawClient, or undef with $! set.
sub raw_client {
	my ($self, %o) = @_;
	my $port = $o{port} // $self->{port};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => $o{timeout} // 5) or return undef;
	return Test::Frontd::RawClient->new($s);
}

# Send bytes to frontd and read until EOF or timeout (5 s): the raw
# response bytes; in list context also whether the connection was closed
# by frontd (1) or the read timed out (0).  bytes may be an array ref of
# pieces, written with delay seconds between them (opts: delay, timeout,
# port, shutdown => 1 half-closes after the last piece).  Writing stops
# quietly when frontd has closed.
sub raw_request {
	my ($self, $bytes, %o) = @_;
	my $c = $self->raw_client(%o)
	    or return wantarray ? ('', 1) : '';
	my @pieces = ref $bytes eq 'ARRAY' ? @$bytes : ($bytes);
	for my $i (0 .. $#pieces) {
		if ($i && $o{delay}) {
			my $until = time + $o{delay};
			while (!$c->{eof} && (my $left = $until - time) > 0) {
				$c->fill($left);
			}
		}
		last if $c->{eof};
		$c->write($pieces[$i]) or last;
	}
	shutdown($c->{sock}, 1) if $o{shutdown};
	my $closed = $c->wait_closed($o{timeout} // 5);
	my $out = $c->buffer;
	$c->close;
	return wantarray ? ($out, $closed) : $out;
}

# Lower-case tokens of a comma-separated header: header_tokens($r, 'connection').
sub header_tokens {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($m, $name) = @_;
	return map { my $v = lc; $v =~ s/^\s+|\s+$//g; length $v ? $v : () }
	    map { split /,/ } @{ $m->{headers}{ lc $name } // [] };
}

# n bytes of text that compresses like real text: seeded words and
# numbers, the same for the same seed: text_words($n, $seed).
my @TEXT_WORDS = qw(the quick brown fox jumps over lazy dog proxy frontd
    worker upstream route listener compress gzip brotli chunk header body
    request response client server keep alive stream window deflate cache
    stale fresh vary purge age etag hit miss store json html value table);
sub text_words {
	my ($n, $seed) = @_;
	srand($seed);
	my $s = '';
	while (length $s < $n) {
		$s .= join(' ', map { $TEXT_WORDS[int rand @TEXT_WORDS] } 1 .. 12)
		    . sprintf(" %d\n", int rand 100000);
	}
	return substr($s, 0, $n);
}

# A test that two byte strings are equal; on failure the lengths and MD5
# sums, not megabytes of body: same_bytes($got, $want, $name).
sub same_bytes {
	my ($got, $want, $name) = @_;
	require Digest::MD5;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok(defined $got && $got eq $want, $name) or
	    Test::More::diag(sprintf "got %s bytes (md5 %s), want %d bytes "
	    . "(md5 %s)", defined $got ? length $got : 'undef',
	    defined $got ? Digest::MD5::md5_hex($got) : '-', length $want,
	    Digest::MD5::md5_hex($want));
}

# Split a head into its start line and fields.
sub parse_head {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($head) = @_;
	$head =~ s/\r\n\r\n\z//;
	my ($start, @lines) = split /\r\n/, $head, -1;
	my (%h, @f);
	for my $l (@lines) {
		my ($k, $v) = $l =~ /^([^:]*):[ \t]*(.*?)[ \t]*\z/s or next;
		push @f, [ $k, $v ];
		push @{ $h{ lc $k } }, $v;
	}
	return { start => $start // '', headers => \%h, fields => \@f };
}

# The end of a chunked body at the start of s: (length, decoded body,
# trailer text) when complete, () when more bytes are needed, (-1, why)
# when malformed.
sub _chunked_extent {
	my ($s) = @_;
	my ($p, $body) = (0, '');
	while (1) {
		my $e = index($s, "\r\n", $p);
		return () if $e < 0;
		my $line = substr($s, $p, $e - $p);
		return (-1, "bad chunk size line \"$line\"")
		    unless $line =~ /^([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?\z/s;
		my $len = hex $1;
		$p = $e + 2;
		if ($len == 0) {
			my $t0 = $p;
			while (1) {
				my $e2 = index($s, "\r\n", $p);
				return () if $e2 < 0;
				my $empty = $e2 == $p;
				$p = $e2 + 2;
				return ($p, $body, substr($s, $t0, $p - 2 - $t0))
				    if $empty;
			}
		}
		return () if length($s) < $p + $len + 2;
		$body .= substr($s, $p, $len);
		$p += $len;
		return (-1, 'no CRLF after chunk data')
		    unless substr($s, $p, 2) eq "\r\n";
		$p += 2;
	}
}

# One response at the start of buf: (response, bytes used), or () when
# more bytes are needed.  With eof, a cut-short response comes back with
# complete => 0.  method is that of the request (HEAD: no body).
sub _parse_response {
	my ($buf, $method, $eof) = @_;
	my $e = index($buf, "\r\n\r\n");
	if ($e < 0) {
		return () unless $eof && length $buf;
		return ({ status => 0, headers => {}, fields => [], body => '',
		    head => '', raw => $buf, complete => 0,
		    error => 'no complete head' }, length $buf);
	}
	my $head = substr($buf, 0, $e + 4);
	my $h = parse_head($head);
	my %r = (headers => $h->{headers}, fields => $h->{fields}, head => $head,
	    body => '', trailers => {}, complete => 1, framing => 'none');
	unless ($h->{start} =~ m{^HTTP/(\d\.\d) (\d{3})(?: (.*))?\z}) {
		return ({ %r, status => 0, raw => $buf, complete => 0,
		    error => "bad status line \"$h->{start}\"" }, length $buf);
	}
	@r{qw(version status reason)} = ($1, $2, $3 // '');
	my $p = $e + 4;
	my $te = lc join ',', @{ $r{headers}{'transfer-encoding'} // [] };
	my $cl = $r{headers}{'content-length'};
	if ($r{status} < 200 || $r{status} == 204 || $r{status} == 304
	    || uc($method // 'GET') eq 'HEAD') {
		# no body
	} elsif ($te =~ /chunked\s*\z/) {
		$r{framing} = 'chunked';
		my ($len, $body, $trailer) = _chunked_extent(substr($buf, $p));
		if (!defined $len || $len < 0) {
			return () if !defined $len && !$eof;
			$r{complete} = 0;
			$r{error} = defined $len ? $body : 'truncated chunked body';
			$r{body} = substr($buf, $p);
			$p = length $buf;
		} else {
			$r{body} = $body;
			my $t = parse_head("\r\n$trailer");
			$r{trailers} = $t->{headers};
			$p += $len;
		}
	} elsif ($cl) {
		$r{framing} = 'length';
		my $n = $cl->[0] =~ /^\d+\z/ ? $cl->[0] : 0;
		if (length($buf) - $p < $n) {
			return () unless $eof;
			$r{complete} = 0;
			$r{error} = sprintf 'truncated body: %d of %d bytes',
			    length($buf) - $p, $n;
			$r{body} = substr($buf, $p);
			$p = length $buf;
		} else {
			$r{body} = substr($buf, $p, $n);
			$p += $n;
		}
	} else {
		$r{framing} = 'close';
		return () unless $eof;
		$r{body} = substr($buf, $p);
		$p = length $buf;
	}
	$r{raw} = substr($buf, 0, $p);
	return (\%r, $p);
}

# Every response in bytes, in order (1xx ones included); the last one may
# have complete => 0.  opts: methods => [...] of the requests (default
# GET), eof => 0 when more bytes may follow (then an unfinished last
# response is left out).
sub parse_responses {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($bytes, %o) = @_;
	my @m = @{ $o{methods} // [] };
	my $eof = $o{eof} // 1;
	my @r;
	while (length $bytes) {
		my ($r, $n) = _parse_response($bytes, $m[0], $eof) or last;
		push @r, $r;
		substr($bytes, 0, $n) = '';
		shift @m if $r->{status} >= 200;
		last unless $r->{complete};
	}
	return @r;
}

# Every request in bytes, in order: method, target, version, headers,
# fields, head, body (decoded), raw_body, chunked, trailers, complete.
sub parse_requests {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($bytes) = @_;
	my @r;
	while (length $bytes) {
		my $e = index($bytes, "\r\n\r\n");
		if ($e < 0) {
			push @r, { complete => 0, head => $bytes, headers => {},
			    fields => [], body => '', method => '', target => '',
			    version => '' };
			last;
		}
		my $head = substr($bytes, 0, $e + 4, '');
		my $r = _request_from_head($head);
		my $te = lc join ',', @{ $r->{headers}{'transfer-encoding'} // [] };
		my $cl = $r->{headers}{'content-length'};
		if ($te =~ /chunked/) {
			$r->{chunked} = 1;
			my ($len, $body, $trailer) = _chunked_extent($bytes);
			if (defined $len && $len >= 0) {
				$r->{raw_body} = substr($bytes, 0, $len, '');
				$r->{body} = $body;
				$r->{trailers} = parse_head("\r\n$trailer")->{headers};
			} else {
				$r->{raw_body} = $r->{body} = $bytes;
				$bytes = '';
				$r->{complete} = 0;
			}
		} elsif ($cl && $cl->[0] =~ /^\d+\z/) {
			$r->{complete} = 0 if length $bytes < $cl->[0];
			$r->{raw_body} = $r->{body} = substr($bytes, 0, $cl->[0], '');
		}
		push @r, $r;
	}
	return @r;
}

sub _request_from_head {
	my ($head) = @_;
	my $h = parse_head($head);
	my ($m, $t, $v) = $h->{start} =~ m{^(\S+) (\S+) HTTP/(\d\.\d)\z};
	return { method => $m // '', target => $t // '', version => $v // '',
	    headers => $h->{headers}, fields => $h->{fields}, head => $head,
	    body => '', raw_body => '', chunked => 0, trailers => {},
	    complete => 1 };
}

# ---------------------------------------------------------------------------

package Test::Frontd::RawConn;

# The backend's side of one connection from frontd, in a raw_backend
# handler.  Reads give up after 30 s (or the timeout given) and return
# what they have.

use strict;
use warnings;
use Errno qw(EINTR EAGAIN);
use IO::Select;

sub new {
	my ($class, $sock, $rec, $n) = @_;
	open my $all, '>>', $rec or die "$rec: $!";
	open my $one, '>>', "$rec.$n" or die "$rec.$n: $!";
	binmode $_ for $all, $one;
	return bless { sock => $sock, buf => '', rec => $all, crec => $one,
	    notes => "$rec.notes", n => $n, eof => 0 }, $class;
}

sub n    { $_[0]{n} }		# this connection's number, from 1
sub sock { $_[0]{sock} }
sub at_eof { $_[0]{eof} }
sub buffered { $_[0]{buf} }	# read but not yet taken

# Read what is there (waiting up to timeout): bytes read, 0 at EOF or
# reset, undef on timeout.
sub fill {
	my ($self, $timeout) = @_;
	return 0 if $self->{eof};
	my $sel = IO::Select->new($self->{sock});
	return undef unless $sel->can_read($timeout // $RAW_READ_S);
	my $n;
	do { $n = sysread($self->{sock}, my $chunk, 65536);
		if ($n) {
			syswrite($self->{rec}, $chunk);
			syswrite($self->{crec}, $chunk);
			$self->{buf} .= $chunk;
		}
	} while (!defined $n && ($! == EINTR || $! == EAGAIN));
	$self->{eof} = 1 unless $n;
	return $n || 0;
}

sub _take {
	my ($self, $n) = @_;
	return substr($self->{buf}, 0, $n, '');
}

# The head up to and with CRLFCRLF, or undef at EOF (or timeout).
sub read_head {
	my ($self, $timeout) = @_;
	while ((my $e = index($self->{buf}, "\r\n\r\n")) < 0) {
		return undef unless $self->fill($timeout);
	}
	return $self->_take(index($self->{buf}, "\r\n\r\n") + 4);
}

# n bytes, or fewer at EOF (or timeout).
sub read_bytes {
	my ($self, $n, $timeout) = @_;
	while (length $self->{buf} < $n) {
		last unless $self->fill($timeout);
	}
	return $self->_take($n);
}

# The raw bytes of a chunked body up to its end (last chunk and
# trailers); at EOF or on a malformed body, what there is ($c->{error}).
sub read_chunked_raw {
	my ($self, $timeout) = @_;
	delete $self->{error};
	while (1) {
		my ($len, $why) = Test::Frontd::_chunked_extent($self->{buf});
		return $self->_take($len) if defined $len && $len >= 0;
		if (defined $len) {
			$self->{error} = $why;
			return $self->_take(length $self->{buf});
		}
		unless ($self->fill($timeout)) {
			$self->{error} = 'incomplete chunked body';
			return $self->_take(length $self->{buf});
		}
	}
}

# Everything until EOF (or timeout).
sub read_until_eof {
	my ($self, $timeout) = @_;
	1 while $self->fill($timeout);
	return $self->_take(length $self->{buf});
}

# One request, parsed (see parse_requests), body read; undef at EOF.
sub read_request {
	my ($self, $timeout) = @_;
	my $head = $self->read_head($timeout) // return undef;
	my $r = Test::Frontd::_request_from_head($head);
	my $te = lc join ',', @{ $r->{headers}{'transfer-encoding'} // [] };
	my $cl = $r->{headers}{'content-length'};
	if ($te =~ /chunked/) {
		$r->{chunked} = 1;
		$r->{raw_body} = $self->read_chunked_raw($timeout);
		my ($len, $body, $trailer) = Test::Frontd::_chunked_extent($r->{raw_body});
		if (defined $len && $len >= 0) {
			$r->{body} = $body;
			$r->{trailers} = Test::Frontd::parse_head("\r\n$trailer")->{headers};
		} else {
			$r->{complete} = 0;
		}
	} elsif ($cl && $cl->[0] =~ /^\d+\z/) {
		$r->{raw_body} = $r->{body} = $self->read_bytes($cl->[0], $timeout);
		$r->{complete} = 0 if length $r->{body} < $cl->[0];
	}
	return $r;
}

sub write {
	my ($self, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			return 0;
		}
		$off += $n;
	}
	return 1;
}

my %RAW_REASON = (100 => 'Continue', 101 => 'Switching Protocols', 200 => 'OK',
    204 => 'No Content', 304 => 'Not Modified', 400 => 'Bad Request',
    404 => 'Not Found', 500 => 'Internal Server Error');

# Write a response with a Content-Length (none for 1xx, 204, 304):
# opts body, headers (array ref of pairs), head => 1 (no body, as for
# HEAD), reason.
sub respond {
	my ($self, $status, %o) = @_;
	my $body = $o{body} // '';
	my @h = @{ $o{headers} // [] };
	my $r = "HTTP/1.1 $status " . ($o{reason} // $RAW_REASON{$status} // 'Status') . "\r\n";
	while (my ($k, $v) = splice @h, 0, 2) {
		$r .= "$k: $v\r\n";
	}
	my $bodyless = $status < 200 || $status == 204 || $status == 304;
	$r .= "Content-Length: " . length($body) . "\r\n" unless $bodyless;
	$r .= "\r\n";
	$r .= $body unless $bodyless || $o{head};
	return $self->write($r);
}

# Append a line to the backend's notes file ($t->notes($be)).
sub note {
	my ($self, $text) = @_;
	open my $fh, '>>', $self->{notes} or return;
	syswrite($fh, "$self->{n}: $text\n");
	close $fh;
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
	$self->{eof} = 1;
}

# ---------------------------------------------------------------------------

package Test::Frontd::RawClient;

# A client connection to frontd that reads responses one at a time, so a
# test can see what stays open between requests.

use strict;
use warnings;
use Errno qw(EINTR EAGAIN ECONNRESET);
use IO::Select;
use Time::HiRes qw(time);

sub new {
	my ($class, $sock) = @_;
	$SIG{PIPE} = 'IGNORE';
	return bless { sock => $sock, buf => '', eof => 0, reset => 0 }, $class;
}

sub sock   { $_[0]{sock} }
sub buffer { $_[0]{buf} }
sub closed { $_[0]{eof} }	# frontd closed (EOF or reset)
sub take   { my $b = $_[0]{buf}; $_[0]{buf} = ''; $b }

sub write {
	my ($self, $bytes) = @_;
	return 0 unless $self->{sock};
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			return 0;
		}
		$off += $n;
	}
	return 1;
}

# Read what is there, waiting up to timeout: bytes read, 0 at EOF or
# reset, undef on timeout.
sub fill {
	my ($self, $timeout) = @_;
	return 0 if $self->{eof} || !$self->{sock};
	my $sel = IO::Select->new($self->{sock});
	return undef unless $sel->can_read($timeout);
	my $n;
	do { $n = sysread($self->{sock}, $self->{buf}, 262144, length $self->{buf}) }
	    while (!defined $n && ($! == EINTR || $! == EAGAIN));
	unless ($n) {
		$self->{reset} = 1 if !defined $n && $! == ECONNRESET;
		$self->{eof} = 1;
	}
	return $n || 0;
}

# The next response (a hash, see parse_responses), 1xx ones included;
# opts method (GET), timeout (5).  Returns undef when none arrived in
# time, or a response with complete => 0 when frontd closed mid-way.
sub read_response {
	my ($self, %o) = @_;
	my $deadline = time + ($o{timeout} // 5);
	while (1) {
		my ($r, $n) = Test::Frontd::_parse_response($self->{buf},
		    $o{method}, $self->{eof});
		if ($r) {
			substr($self->{buf}, 0, $n) = '';
			return $r;
		}
		return undef if $self->{eof};
		my $left = $deadline - time;
		return undef if $left <= 0;
		$self->fill($left);
	}
}

# Read until the buffer matches re: true, or false at EOF or timeout.
sub read_until {
	my ($self, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	while ($self->{buf} !~ $re) {
		my $left = $deadline - time;
		return 0 if $left <= 0 || $self->{eof};
		$self->fill($left);
	}
	return 1;
}

# Wait up to timeout (5 s) for frontd to close: 1 when it did, 0 when the
# connection is still open.  Bytes that arrive meanwhile are kept.
sub wait_closed {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	until ($self->{eof}) {
		my $left = $deadline - time;
		return 0 if $left <= 0;
		$self->fill($left);
	}
	return 1;
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
}

# ---------------------------------------------------------------------------

package Test::Frontd::Response;

# An HTTP response as the client saw it: status (0 when no response head
# arrived), reason, headers (lower-case names; repeated ones joined with
# ", "), content, raw, error.

sub failed {
	my ($class, $err, %extra) = @_;
	return bless { status => 0, reason => '', headers => {}, content => '',
	    raw => '', error => $err, %extra }, $class;
}

sub parse {
	my ($class, $raw, $err, $method) = @_;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	unless (defined $body && $head =~ m{^HTTP/\d\.\d (\d{3}) ?([^\r\n]*)}) {
		return $class->failed($err // 'no complete response head'
		    . (length $raw ? ": " . substr($raw, 0, 200) : ' (connection closed)'),
		    raw => $raw);
	}
	my ($status, $reason) = ($1, $2);
	my %h;
	my @lines = split /\r\n/, $head;
	shift @lines;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$k = lc $k;
		$h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
	}
	if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
		my ($out, $rest) = ('', $body);
		while ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
			my $len = hex $1;
			last if $len == 0;
			if (length $rest < $len) {
				$err //= 'truncated chunked body';
				$out .= $rest;
				last;
			}
			$out .= substr($rest, 0, $len, '');
			$rest =~ s/^\r\n//;
		}
		$body = $out;
	} elsif (defined $h{'content-length'} && ($method // '') ne 'HEAD') {
		if (length $body < $h{'content-length'}) {
			$err //= sprintf 'truncated body: %d of %d bytes',
			    length $body, $h{'content-length'};
		}
	}
	return bless { status => $status, reason => $reason, headers => \%h,
	    content => $body, raw => $raw, error => $err }, $class;
}

sub status  { $_[0]{status} }
sub reason  { $_[0]{reason} }
sub content { $_[0]{content} }
sub headers { $_[0]{headers} }
sub header  { $_[0]{headers}{ lc $_[1] } }
sub error   { $_[0]{error} }
sub raw     { $_[0]{raw} }
sub refused { $_[0]{refused} }

# "200 " and the body, or "0 connect ...: Connection refused" (status and
# error): one string to compare or to show.
sub summary {
	my ($self) = @_;
	return "$self->{status} " . ($self->{error} // $self->{content});
}

1;
