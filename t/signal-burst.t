# A burst of HUP and USR1 to the master reloads and reopens without
# killing a fresh worker; a reload request queued behind it returns once
# the burst is over.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

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

done_testing;
