# Log files, the pid file and the root master.  Where the log directory is
# writable by the worker user, that user can put a symbolic link (or a
# FIFO, or a hard link) in place of access.log; the master, as root, must
# never follow it, never hand the file it points to over, never write to
# it, and must say in the log why it refused the path, at start, reload and
# reopen alike.  The attacks here are made as the worker user (nobody).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Test::Frontd;

plan skip_all => 'needs root: the master must be root for this to matter'
    unless Test::Frontd::is_root();
my @pw = getpwnam('nobody');
plan skip_all => 'no user nobody' unless @pw;
my ($uid, $gid) = @pw[2, 3];

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $LINK = 'it is a symbolic link, which frontd does not follow';

# Runs code in a child as nobody; dies unless it returned true.
sub as_nobody {
	my ($what, $code) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		POSIX::setgid($gid);
		$) = "$gid $gid";
		POSIX::setuid($uid);
		POSIX::_exit(2) if $> != $uid || $< != $uid;
		POSIX::_exit($code->() ? 0 : 1);
	}
	waitpid($pid, 0);
	die "as nobody: $what: failed\n" if $?;
}

# A root-owned file the attacker wants: its owner, mode and bytes.
sub victim {
	my ($t, $name) = @_;
	my $p = $t->dir . "/$name";
	$t->spew($p, "root:secret:$name\n");
	chmod 0600, $p;
	return $p;
}
sub state_of {
	my ($t, $p) = @_;
	my @st = lstat $p or return 'gone';
	return sprintf "uid %d gid %d mode %o: %s", $st[4], $st[5], $st[2] & 07777,
	    $t->slurp($p);
}

my $t = Test::Frontd->new;
my $be = $t->backend(body => "ok\n");
my $d = $t->dir . '/logs';			# the worker user's directory
mkdir $d or die "mkdir $d: $!";
chown $uid, $gid, $d;
chmod 0755, $d;
my %files = (error_log => "$d/error.log", access_log => "$d/access.log",
    pid_file => "$d/frontd.pid");
my $global = join "\n", map { "$_ = $files{$_}" } sort keys %files;
my $conf = "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";
$t->write_config($conf, user => 'nobody', global => $global);

subtest 'at start, a link in place of a log file or the pid file' => sub {
	for my $key (qw(access_log error_log pid_file)) {
		my $v = victim($t, "victim-$key");
		my $before = state_of($t, $v);
		my $f = $files{$key};
		as_nobody("ln -sf $v $f", sub { (!-e $f || unlink $f) && symlink $v, $f });
		my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, '-c', $t->conf);
		is($code, 1, "$key is a link: exit 1");
		my $want = $key eq 'pid_file'
		    ? "frontd: cannot open pid file $f: $LINK\n"
		    : "frontd: cannot open $f: $LINK\n";
		is($err, $want, "$key is a link: the reason") or diag($err);
		is(state_of($t, $v), $before, "$key is a link: the file it points to is untouched");
		as_nobody("rm $f", sub { unlink $f });
	}
};

subtest 'reopen and reload, after the worker user put links in place' => sub {
	$t->start($conf, user => 'nobody', global => $global);
	my $m = $t->master_pid;
	for my $key (qw(access_log error_log)) {
		my @st = stat $files{$key};
		is("$st[4] $st[5]", "$uid $gid", "the $key frontd created belongs to nobody");
	}
	my @st = stat $files{pid_file};
	is($st[4], 0, 'the pid file belongs to root');
	is($t->get('/')->content, "ok\n", 'frontd serves');

	# As logrotate would, but by the worker user: the files move away
	# and links to root's files take their names.
	my $va = victim($t, 'victim-access');
	my $ve = victim($t, 'victim-error');
	my %before = map { $_ => state_of($t, $_) } $va, $ve;
	my $log = "$files{error_log}.1";
	as_nobody('rotate and link', sub {
		rename($files{access_log}, "$files{access_log}.1")
		    && rename($files{error_log}, $log)
		    && symlink($va, $files{access_log})
		    && symlink($ve, $files{error_log})
	});
	my ($code, $out, $err) = $t->run_frontd('-s', 'reopen', '-c', $t->conf);
	is($code, 0, '-s reopen: exit 0') or diag("$out$err");
	# The master and each process keep writing where they did: the
	# moved error log.
	$t->wait_for(sub {
		my $l = $t->slurp($log);
		$l =~ /^$ts error master\[$m\]: cannot open \Q$files{error_log}\E: \Q$LINK\E$/m
		    && $l =~ /^$ts error master\[$m\]: cannot open \Q$files{access_log}\E: \Q$LINK\E$/m
		    && $l =~ /^$ts error master\[$m\]: cannot reopen \Q$files{error_log}\E: \Q$LINK\E$/m
		    && $l =~ /^$ts error worker\[\d+\]: cannot reopen access log \Q$files{access_log}\E: \Q$LINK\E$/m
		    && $l =~ /^$ts error checker\[\d+\]: cannot reopen \Q$files{error_log}\E: \Q$LINK\E$/m
	}, 5, 'the master, the worker and the checker log why they refused each path')
	    or diag($t->slurp($log));
	is($t->get('/after-reopen')->content, "ok\n", 'frontd serves');
	$t->wait_for(sub { $t->slurp("$files{access_log}.1") =~ m{GET /after-reopen } }, 5,
	    'the worker logs the request to the file it had');

	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 1, '-s reload: exit 1');
	is($err, "reload failed:\ncannot open $files{error_log}: $LINK\n", 'reload refused, and why');
	like($t->slurp($log), qr/^$ts warn master\[$m\]: reload refused: the configuration cannot be applied; generation 1 keeps running$/m,
	    'the refusal is logged');
	$t->signal('USR1');
	$t->wait_for(sub { (() = $t->slurp($log) =~ /worker\[\d+\]: cannot reopen access log/g) >= 2 },
	    5, 'kill -USR1: refused again');
	is(state_of($t, $_), $before{$_}, "$_: owner, mode and content untouched") for $va, $ve;

	# Back to files: the reload works again, and frontd writes there.
	as_nobody('rm the links', sub { unlink($files{access_log}) && unlink($files{error_log}) });
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 0, 'with the links gone, the reload works') or diag("$out$err");
	is(state_of($t, $_), $before{$_}, "$_: still untouched") for $va, $ve;
	$t->check_logs(allow => [ qr/\Q$LINK\E$/ ]);
};

subtest 'a FIFO, a hard link, a file of another user' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	my $d2 = $u->dir . '/logs';
	mkdir $d2 or die;
	chown $uid, $gid, $d2;
	my $g2 = "error_log = $d2/error.log\naccess_log = $d2/access.log";
	my $c2 = "[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n";
	$u->start($c2, user => 'nobody', global => $g2);
	my $m = $u->master_pid;
	my $a = "$d2/access.log";

	as_nobody('mkfifo', sub { rename($a, "$a.1") && POSIX::mkfifo($a, 0644) });
	my ($code, $out, $err) = $u->run_frontd({ timeout => 15 }, '-s', 'reload', '-c', $u->conf);
	is($code, 1, 'a FIFO: the reload is refused, at once');
	is($err, "reload failed:\ncannot open $a: it is a FIFO, not a regular file\n", 'a FIFO: why');
	$u->signal('USR1');
	$u->wait_for(sub { $u->error_log =~ /^$ts error master\[$m\]: cannot open \Q$a\E: it is a FIFO, not a regular file$/m
	    && $u->error_log =~ /^$ts error worker\[\d+\]: cannot reopen access log \Q$a\E: it is a FIFO, not a regular file$/m },
	    5, 'a FIFO: kill -USR1 does not hang the master or the worker');
	is($u->get('/')->content, "ok\n", 'frontd serves');
	unlink $a;

	# A hard link to root's file.  (With fs.protected_hardlinks, the
	# worker user may not make one: root makes it here.)
	my $v = victim($u, 'victim-hard');
	my $before = state_of($u, $v);
	link $v, $a or die "link: $!";
	($code, $out, $err) = $u->run_frontd('-s', 'reload', '-c', $u->conf);
	is($err, "reload failed:\ncannot open $a: it has 2 hard links (frontd writes only to a file with one)\n",
	    'a hard link: the reload is refused');
	$u->signal('USR1');
	$u->wait_for(sub { $u->error_log =~ /^$ts error master\[$m\]: cannot open \Q$a\E: it has 2 hard links/m }, 5,
	    'a hard link: kill -USR1 refuses it');
	is(state_of($u, $v), $before, 'a hard link: the file is untouched');
	unlink $a;

	# A file of root that the worker user cannot write: its owner stays.
	$u->spew($a, "root's\n");
	chmod 0644, $a;
	($code, $out, $err) = $u->run_frontd('-s', 'reload', '-c', $u->conf);
	is($code, 1, 'a file of root: the reload is refused');
	is($err, "reload failed:\n$a cannot be opened by the worker user (uid $uid): Permission denied; "
	    . "it belongs to another user, and frontd gives a log file to the worker user only when it creates it\n",
	    'a file of root: why');
	my @st = stat $a;
	is("$st[4] " . $u->slurp($a), "0 root's\n", 'a file of root: still root\'s, unchanged');
	unlink $a;
	($code, $out, $err) = $u->run_frontd('-s', 'reload', '-c', $u->conf);
	is($code, 0, 'once it is gone, the reload creates it anew') or diag("$out$err");
	@st = stat $a;
	is($st[4], $uid, 'for nobody');
	# The worker, as nobody, is refused root's file before it can count
	# its links.
	$u->check_logs(allow => [ qr/not a regular file$/, qr/hard links/,
	    qr/worker\[\d+\]: cannot reopen access log \S+: Permission denied$/ ]);
};

# "frontd -s reload" as root waits for PID_FILE.reload.PID, which the
# master writes as PID_FILE.reload.PID.tmp and renames: a link planted at
# either name must not make the master write through it.
subtest 'the reload outcome file is not written through a link' => sub {
	$t->start($conf, user => 'nobody', global => $global) unless $t->master_pid;
	my $v = victim($t, 'victim-status');
	my $before = state_of($t, $v);
	pipe(my $rd, my $wr) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $wr;
		<$rd>;		# until the links are in place
		open STDOUT, '>', $t->dir . '/status.out';
		open STDERR, '>', $t->dir . '/status.err';
		{ no warnings 'exec'; exec { $t->frontd } $t->frontd, '-s', 'reload', '-c', $t->conf; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	close $rd;
	my $base = "$files{pid_file}.reload.$pid";
	as_nobody('plant links', sub { symlink($v, "$base.tmp") && symlink($v, $base) });
	close $wr;
	$t->wait_for(sub { waitpid($pid, POSIX::WNOHANG()) == $pid }, 20, 'frontd -s reload returns');
	is($? >> 8, 0, 'exit 0');
	like($t->slurp($t->dir . '/status.out'), qr/\Areload ok: .*\n/,
	    'reload ok');
	is(state_of($t, $v), $before, 'the file the links pointed to is untouched');
	ok(!-e $base && !-l $base && !-e "$base.tmp" && !-l "$base.tmp", 'no file or link is left');
	$t->check_logs(allow => [ qr/\Q$LINK\E$/ ]);
};

done_testing;
