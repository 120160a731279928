# A respawn message names its delay: a killed worker is replaced at once,
# one killed again at once waits 100 ms, and the checker's is worded the
# same.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

subtest 'a respawn message names its delay' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	my @w = $t->workers;
	my $victim = $w[0];
	ok(kill('KILL', $victim), "SIGKILL worker $victim");
	my $first = qr/^$ts warn master\[$m\]: worker process $victim was killed by signal 9 \(Killed\); starting a new one in 0ms$/m;
	$t->wait_for(sub { $t->error_log =~ $first }, 5, 'the first respawn starts at once (in 0ms)')
	    or diag($t->error_log);
	my $again;
	$t->wait_for(sub {
		($again) = grep { my $p = $_; !grep { $_ == $p } @w } $t->workers;
		$again
	}, 5, 'a new worker runs');
	ok(kill('KILL', $again), "SIGKILL it, $again, at once");
	my $second = qr/^$ts warn master\[$m\]: worker process $again was killed by signal 9 \(Killed\); starting a new one in 100ms$/m;
	$t->wait_for(sub { $t->error_log =~ $second }, 5, 'the next one waits (in 100ms)')
	    or diag($t->error_log);
	my ($c) = $t->checker;
	ok(kill('KILL', $c), "SIGKILL checker $c");
	$t->wait_for(sub { $t->error_log =~ /^$ts warn master\[$m\]: checker process $c was killed by signal 9 \(Killed\); starting a new one in 0ms$/m },
	    5, 'the checker\'s respawn is worded the same');
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'all are back');
	$t->check_logs(allow => [ qr/was killed by signal 9\b/ ]);
};

done_testing;
