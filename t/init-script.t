# etc/init.d/frontd, run with sh against the built binary and a config in
# the temp dir: configtest, status, start (twice), reload (good, then a
# broken config that leaves the old workers serving), stop.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(WNOHANG);
use Test::More;
use Test::Frontd;

plan skip_all => 'the init script starts frontd as root' unless $> == 0;
plan skip_all => 'no /bin/sh' unless -x '/bin/sh';

my $t = Test::Frontd->new;
my $dir = $t->dir;
my $src = $t->srcdir;
my $orig = "$src/etc/init.d/frontd";
plan skip_all => "no $orig (set srcdir)" unless -f $orig;

# The script, pointed at our binary, config and defaults file; nothing
# else changes.
my $script = "$dir/frontd.init";
my $defaults = "$dir/default-frontd";
{
	my $text = $t->slurp($orig);
	my $frontd = $t->frontd;
	my $conf = $t->conf;
	my $n = 0;
	$n += $text =~ s{^DAEMON=.*$}{DAEMON='$frontd'}m;
	$n += $text =~ s{^CONFIG=.*$}{CONFIG='$conf'}m;
	$text =~ s{/etc/default/frontd\b}{$defaults}g;
	is($n, 2, 'the script sets DAEMON= and CONFIG= (rewritten)');
	unlike($text, qr{/etc/default/}, 'and reads no file under /etc/default');
	$t->spew($script, $text);
	# An empty defaults file: the script sources it like the real one.
	$t->spew($defaults, "# local settings for the test\n");
}

# Run "sh SCRIPT action": (exit code, stdout, stderr).  The test keeps
# reaping the orphaned daemon meanwhile (Test::Frontd's poll), so that
# "frontd -s quit" sees its master gone.
my $nrun = 0;
sub init {
	my ($action) = @_;
	my ($out, $err) = map { "$dir/init" . ++$nrun . ".$_" } qw(out err);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		$ENV{TMPDIR} = $dir;
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings 'exec'; exec '/bin/sh', $script, $action; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	my $status;
	my $done = $t->poll(sub { waitpid($pid, WNOHANG) == $pid and do { $status = $?; 1 } }, 90);
	unless ($done) {
		diag("sh $script $action: still running after 90 s, killed");
		kill 'KILL', $pid;
		waitpid($pid, 0);
		$status = $?;
	}
	my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	my @r = ($code, $t->slurp($out), $t->slurp($err));
	note("$action: exit $code\nstdout: $r[1]stderr: $r[2]");
	return @r;
}

my $be = $t->backend(body => "via init\n");
my $good = <<"EOF";
[global]
workers = 2

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
$t->write_config($good);
my $conf = $t->conf;

my ($code, $out, $err) = init('configtest');
is($code, 0, 'configtest: exit 0') or diag("stdout: $out\nstderr: $err");
like($out, qr/configuration ok/, 'configtest: configuration ok');

($code, $out, $err) = init('status');
is($code, 3, 'status before start: exit 3') or diag("stdout: $out\nstderr: $err");
like("$out$err", qr/not running/, 'status: not running');

# start: the command returns once the daemon runs.
($code, $out, $err) = init('start');
is($code, 0, 'start: exit 0') or diag("stdout: $out\nstderr: $err");
my ($m) = $t->slurp($t->pid_file) =~ /^(\d+)\s*$/;
ok($m, 'start: the pid file holds a pid') or diag("pid file: " . $t->slurp($t->pid_file));
$m //= 0;
ok($t->alive($m), "the master $m runs");
like($t->title($m), qr/^frontd: master process /, 'with the master title');
$t->{master_pid} = $m;		# the harness stops it if the test dies
$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5,
    'two workers and a checker run');
is($t->get('/')->summary, "200 via init\n", 'frontd serves');

($code, $out, $err) = init('status');
is($code, 0, 'status while running: exit 0') or diag("stdout: $out\nstderr: $err");
like($out, qr/is running \(pid $m\)/, 'status: is running, with the pid');

($code, $out, $err) = init('start');
is($code, 0, 'start again: exit 0') or diag("stdout: $out\nstderr: $err");
like($out, qr/already running/, 'start again: already running');
like($t->slurp($t->pid_file), qr/^$m\n?\z/, 'the pid file still names the same master');

# reload: a new generation of workers.
my @old = $t->workers;
($code, $out, $err) = init('reload');
is($code, 0, 'reload: exit 0') or diag("stdout: $out\nstderr: $err");
$t->wait_for(sub {
	my %o = map { $_ => 1 } @old;
	my @w = $t->workers;
	@w == 2 && !grep { $o{$_} } @w;
}, 10, 'reload: two new workers replace the old ones')
    or diag("old: @old, now: " . join(' ', $t->workers));
is($t->master_pid, $m, 'the master is the same');
is($t->get('/')->summary, "200 via init\n", 'frontd serves after the reload');

# reload with a broken config: refused, the running workers stay.
$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 && $t->children == 3 }, 15,
    'the old generation is gone');
@old = $t->workers;
$t->spew($conf, $t->slurp($conf) . "this line is broken\n");
my $bad = $t->line_of(qr/^this line is broken$/);
($code, $out, $err) = init('reload');
isnt($code, 0, 'reload with a broken config: non-zero exit')
    or diag("stdout: $out\nstderr: $err");
like("$out$err", qr/^\Q$conf\E:$bad: syntax error\b/m,
    'and it prints the configuration error') or diag("stdout: $out\nstderr: $err");
ok($t->alive($m), 'the master still runs');
is_deeply([ $t->workers ], \@old, 'the old workers remain');
is($t->get('/')->summary, "200 via init\n", 'and keep serving');

# stop: everything goes, the pid file too.
$t->write_config($good);
my @all = ($m, $t->children);
($code, $out, $err) = init('stop');
is($code, 0, 'stop: exit 0') or diag("stdout: $out\nstderr: $err");
unlike("$out$err", qr/graceful stop failed/, 'stop: frontd -s quit did it, no TERM fallback');
$t->wait_for(sub { !grep { $t->alive($_) } @all }, 5, 'stop: no process is left')
    or diag('left: ' . join(' ', grep { $t->alive($_) } @all));
delete $t->{master_pid} unless grep { $t->alive($_) } @all;
ok(!-e $t->pid_file, 'the pid file is removed');

($code, $out, $err) = init('status');
is($code, 3, 'status after stop: exit 3') or diag("stdout: $out\nstderr: $err");
like("$out$err", qr/not running/, 'status: not running');

# /etc/default/frontd names the binary and the configuration.
{
	my $frontd = $t->frontd;
	$t->spew($defaults, "DAEMON=$dir/no-such-frontd\n");
	($code, $out, $err) = init('start');
	is($code, 5, 'start with a DAEMON that is not there: LSB exit 5');
	like($err, qr{no-such-frontd is not installed}, 'and it says so');
	($code, $out, $err) = init('stop');
	is($code, 0, 'stop then: exit 0, nothing to stop');
	($code, $out, $err) = init('status');
	is($code, 3, 'status then: exit 3');
	my $other = "$dir/other.conf";
	$t->spew($other, "this line is broken\n");
	$t->spew($defaults, "DAEMON='$frontd'\nCONFIG='$other'\n");
	($code, $out, $err) = init('configtest');
	isnt($code, 0, 'CONFIG from the defaults file is the one checked');
	like("$out$err", qr/^\Q$other\E:1: /m, 'its error is reported');
	$t->spew($defaults, "# local settings for the test\n");
}

my @left = glob("$dir/frontd.??????");
is_deeply(\@left, [], 'start left no temporary file behind');

$t->check_logs;

done_testing;
