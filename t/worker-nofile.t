# The open files limit of the workers: the master raises their soft
# RLIMIT_NOFILE as far as max_connections may need (4 per connection, the
# keep-alive pools, one per listening address, 256 for the worker), or
# sets worker_rlimit_nofile; it never lowers it by itself.  frontd -t and
# the start log say when the hard limit cannot cover max_connections.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Test::Frontd;

my $RLIMIT_NOFILE = 7;
my %PRLIMIT64 = (x86_64 => 302, aarch64 => 261);
my $SYS = $PRLIMIT64{ (POSIX::uname())[4] };
plan skip_all => 'no prlimit64 number for this machine' unless $SYS;

# (soft, hard) of a process, from /proc/PID/limits.
sub nofile {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/limits" or return;
	while (<$fh>) {
		return ($1, $2) if /^Max open files\s+(\S+)\s+(\S+)/;
	}
	return;
}

# Sets the test's own limit; frontd, started from here, inherits it.
sub set_nofile {
	my ($soft, $hard) = @_;
	my $new = pack 'QQ', $soft, $hard;
	syscall($SYS, 0, $RLIMIT_NOFILE, $new, 0) == 0
	    or die "prlimit64($soft, $hard): $!";
}

my ($soft0, $hard0) = nofile($$);
plan skip_all => "unusual limits here ($soft0, $hard0)"
    unless $hard0 =~ /^\d+$/ && $soft0 =~ /^\d+$/;
# One listening address, one server with the default keepalive of 32.
sub need { 4 * $_[0] + 32 + 1 + 256 }
plan skip_all => "the hard limit ($hard0) is too low for these tests"
    if $hard0 < need(2000);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $t = Test::Frontd->new;
my $be = $t->backend(body => "ok\n");
my $routes = "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";

subtest 'the soft limit is raised as far as max_connections needs' => sub {
	set_nofile(256, $hard0);
	$t->start($routes, global => "workers = 2\nmax_connections = 1000");
	set_nofile($soft0, $hard0);
	my @w = $t->workers;
	is(scalar @w, 2, 'two workers');
	for my $w (@w) {
		is_deeply([ nofile($w) ], [ need(1000), $hard0 ],
		    "worker $w: soft limit " . need(1000) . ", the hard limit as it was");
	}
	is((nofile($t->master_pid))[0], 256, 'the master keeps the limit it was started with');
	like($t->error_log, qr/^$ts info master\[\d+\]: workers may open ${\ need(1000) } files each \(max_connections = 1000 may need ${\ need(1000) }\)$/m,
	    'the start log says so');
	is($t->get('/')->content, "ok\n", 'the workers serve');

	ok($t->reload($routes, global => "workers = 2\nmax_connections = 2000"), 'reload with max_connections = 2000');
	is_deeply([ map { (nofile($_))[0] } $t->workers ], [ need(2000), need(2000) ],
	    'the new workers have the new limit');
	$t->check_logs;
};

subtest 'worker_rlimit_nofile sets it, and -t says it is short' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	my $r2 = "[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n";
	my $g = "max_connections = 1000\nworker_rlimit_nofile = 3000";
	$u->write_config($r2, global => $g);
	my $line = $u->line_of(qr/^worker_rlimit_nofile/);
	my $warn = $u->conf . ":$line: warning: worker_rlimit_nofile = 3000 is below the "
	    . need(1000) . " open files max_connections = 1000 may need per worker: "
	    . "a worker may run out of descriptors past about " . int((3000 - 289) / 4)
	    . " connections\n";
	my ($code, $out, $err) = $u->run_frontd('-t', '-c', $u->conf);
	is($code, 0, '-t: exit 0');
	is($out, "configuration ok\n", '-t: configuration ok');
	is($err, $warn, '-t: the warning, at the worker_rlimit_nofile line');
	$u->start($r2, global => $g);
	is($u->{start_stderr}, $warn, 'the start prints it too');
	like($u->error_log, qr/^$ts warn master\[\d+\]: \Q$warn\E/m, 'and logs it');
	is((nofile(($u->workers)[0]))[0], 3000, 'the worker has 3000');
	$u->check_logs;
};

subtest 'the limit is never lowered by itself' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	set_nofile(1000, $hard0);
	$u->start("[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n",
	    global => 'max_connections = 16');
	set_nofile($soft0, $hard0);
	is_deeply([ nofile(($u->workers)[0]) ], [ 1000, $hard0 ],
	    "max_connections = 16 needs " . need(16) . ": the worker keeps 1000");
	$u->check_logs;
};

# 4 files for each of a million connections: more than fs.nr_open allows
# even to root, so the warning shows whoever runs the test.
subtest 'a hard limit that cannot cover max_connections is reported' => sub {
	my ($nr_open) = $t->slurp('/proc/sys/fs/nr_open') =~ /(\d+)/;
	plan skip_all => 'fs.nr_open is unknown or large' unless $nr_open && $nr_open < need(1000000);
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	my $r2 = "[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n";
	$u->write_config($r2, global => 'max_connections = 1000000');
	my $line = $u->line_of(qr/^max_connections/);
	my $want = qr/\A\Q${\ $u->conf }\E:$line: warning: max_connections = 1000000 may need ${\ need(1000000) } open files per worker, but the hard limit is $hard0 and cannot be raised \(Operation not permitted\): a worker may run out of descriptors past about ${\ int(($hard0 - 289) \/ 4) } connections; raise the limit \(LimitNOFILE= under systemd, ulimit -Hn\) or lower max_connections\n\z/;
	my ($code, $out, $err) = $u->run_frontd('-t', '-c', $u->conf);
	is($code, 0, '-t: exit 0');
	is($out, "configuration ok\n", '-t: configuration ok');
	like($err, $want, '-t: the warning') or diag($err);
	$u->start($r2, global => 'max_connections = 1000000');
	like($u->error_log, qr/^$ts warn master\[\d+\]: .*: warning: max_connections = 1000000 may need /m,
	    'the start log has it');
	is_deeply([ nofile(($u->workers)[0]) ], [ $hard0, $hard0 ], 'the worker gets the hard limit');
	$u->check_logs;
};

done_testing;
