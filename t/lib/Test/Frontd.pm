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

# The harness in parts, all but the last three adding to this package:
# scripted and raw backends, parsers of raw HTTP, and the objects a
# raw backend handler, a raw client and a response are.
use Test::Frontd::Backends ();
use Test::Frontd::Parse ();
use Test::Frontd::RawConn ();
use Test::Frontd::RawClient ();
use Test::Frontd::Response ();

use Exporter qw(import);
our @EXPORT_OK = qw(parse_responses parse_requests parse_head header_tokens
    same_bytes text_words);

my $DEADLINE_S = 10;		# waiting for a start or a stop
my $POLL_S     = 0.05;		# polling interval of every wait
my $MAX_OUT_S  = 70;		# a synchronous run of the binary (-s reload waits 60 s)

my @LIVE;			# every harness object, for the END block
my %PORTS_GIVEN;		# ports handed out by port() in this process
my $OWNER = $$;			# only this process cleans up
our %OWN_CHILDREN;		# pids forked by the test, reaped by waitpid(pid)

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

# Parse "key = value" lines (string or hash ref) into an ordered list.  A
# key written more than once is a list (set_response_header): its values
# come as one array ref, all written out.
sub _kv_lines {
	my ($src) = @_;
	return () unless defined $src;
	return map { ($_, $src->{$_}) } sort keys %$src if ref $src eq 'HASH';
	my (@kv, %at);
	for my $l (split /\n/, $src) {
		next if $l =~ /^\s*(?:[;#].*)?$/;
		if ($l =~ /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/) {
			if (defined $at{$1}) {
				my $i = $at{$1};
				$kv[$i] = [ $kv[$i] ] unless ref $kv[$i];
				push @{ $kv[$i] }, $2;
				next;
			}
			$at{$1} = @kv + 1;
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
	for my $k (grep { exists $g{$_} } @order) {
		$out .= "$k = $_\n" for ref $g{$k} ? @{ $g{$k} } : $g{$k};
	}
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

# Writes a configuration and runs "frontd -t" on it: its exit code and
# all it printed.
sub test_config {
	my ($self, $text) = @_;
	$self->write_config($text);
	my ($rc, $out, $err) = $self->run_frontd('-t', '-c', $self->conf);
	return ($rc, "$out$err");
}

# One test per line of a route: -t refuses it, at its line, naming key.
sub route_key_refused {
	my ($self, $line, $key) = @_;
	my ($rc, $out) = $self->test_config("[upstream app]\n"
	    . "server = 127.0.0.1:9\n\n[route r]\n$line\nupstream = app\n");
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok($rc != 0 && $out =~ /frontd\.conf:\d+: .*\Q$key\E/,
	    "-t refuses \"$line\" at its line") or Test::More::diag($out);
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
			# A worker that died is a crash the sanitizer may not
			# have had the time to write about.
			next unless $l =~ /^\S+ \S+ (?:error|crit|alert|emerg)\b/
			    || $l =~ /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/
			    || $l =~ /worker process \d+ (?:exited with status [1-9]|was killed by signal)/;
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
# opts: method, headers (hash or array ref), body, port, host, timeout,
# from (a loopback source address such as 127.0.0.2).
sub send_request {
	my ($self, $path, %o) = @_;
	my $port = $o{port} // $self->{port};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => $o{timeout} // 5,
	    defined $o{from} ? (LocalAddr => $o{from}) : ());
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

1;
