# Reloads that cannot be applied leave the old generation running: new
# workers that never get ready are stopped after 10 s (with 2 workers and
# with 1, the checker ready at once), a pid_file that would move and an
# address that cannot be bound are refused; the next good reload works.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use Time::HiRes qw(time);
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

# The new configuration moves the error log and has workers that cannot
# start.  Whether the checker, ready at once, may count as half of the
# generation is what workers = 1 shows.
for my $nworkers (2, 1) {
	subtest "workers = $nworkers: a reload whose workers never get ready is rolled back after 10 s" => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "ok\n");
		$t->start(config($be), global => "workers = $nworkers");
		my $m = $t->master_pid;
		my $conf = $t->conf;
		my $log = $t->error_log_path;
		my $newlog = $t->dir . '/new-error.log';
		$t->wait_for(sub { $t->workers == $nworkers && $t->checker == 1 }, 5,
		    'generation 1 is up');
		my @w1 = $t->workers;
		my ($c1) = $t->checker;
		$t->write_config(stillborn($be, "error_log = $newlog\n"),
		    global => "workers = $nworkers");
		my $t0 = time;
		my $r = launch($t, '-s', 'reload', '-c', $conf);
		$t->wait_for(sub { $t->slurp($newlog) =~ $STILLBORN }, 10,
		    'the new workers fail, in the new error log');

		my ($code, $out, $err) = finish($t, $r, 30);
		my $took = time - $t0;
		is($code, 1, '-s reload: exit 1') or diag("$out$err");
		is($err, "reload failed:\nthe new worker processes did not start; see the error log\n",
		    'reload failed: the new worker processes did not start');
		ok($took >= 9.5, sprintf 'after the 10 s wait (%.1f s)', $took);
		like($t->slurp($newlog), qr/^$ts error master\[$m\]: reload: the new processes did not become ready within 10s; stopping them, generation 1 keeps running /m,
		    'the rollback is logged');
		$t->wait_for(sub { $t->children == $nworkers + 1 }, 5, 'the new processes are stopped');
		is_deeply([ $t->workers ], \@w1, 'the old workers keep running');
		is(($t->checker)[0], $c1, 'and the old checker');
		is($t->get('/', timeout => 3)->summary, "200 ok\n", 'and serve');

		$t->write_config(config($be), global => "workers = $nworkers");
		($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
		is($code, 0, 'the next reload works') or diag("$out$err");
		like($t->slurp($log), qr/generation 2 started$/m,
		    'it is generation 2, logged in the error log of the running configuration');
		unlike($t->slurp($newlog), qr/generation 2 started$/m, 'not in the new one');
		$t->check_logs(allow => [ qr/did not become ready within 10s/ ]);
	};
}

subtest 'a reload cannot move the pid file' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	$t->start(config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	my $pf = $t->pid_file;
	my $conf = $t->conf;
	my $other = $t->dir . '/other.pid';
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'generation 1 is up');
	my @w = $t->workers;
	my ($c) = $t->checker;

	$t->write_config(config($be), global => "workers = 2\npid_file = $other");
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 1, '-s reload reads the pid file the file names: exit 1');
	is($err, "frontd: no running master: pid file $other: No such file or directory\n",
	    'and finds no master there');
	ok($t->signal('HUP'), 'HUP sent');
	$t->wait_for(sub { $t->error_log =~ /reload refused/ }, 10, 'the reload is refused');
	my $log = $t->error_log;
	like($log, qr/^$ts warn master\[$m\]: reload refused: the configuration cannot be applied; generation 1 keeps running$/m,
	    'generation 1 keeps running');
	like($log, qr/^$ts warn master\[$m\]: pid_file cannot change on reload \(it is \Q$pf\E; restart frontd to move it\)$/m,
	    'pid_file cannot change on reload') or diag($log);
	unlike($log, qr/generation \d+ started/, 'no generation was started');
	ok(!-e $other, "$other was not created");
	is($t->slurp($pf), "$m\n", 'the pid file is unchanged');
	is_deeply([ $t->workers ], \@w, 'the same workers run');
	is(($t->checker)[0], $c, 'and the same checker');

	$t->write_config(config($be), global => 'workers = 2');
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, 'the original file reloads') or diag("$out$err");
	like($t->error_log, qr/generation 2 started$/m, 'as generation 2');
	$t->check_logs;
};

subtest 'a reload whose new address cannot be bound' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	my $port = $t->port;
	my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1) or die "listen: $!";
	my $bport = $busy->sockport;
	my $test = "[listener test]\naddress = 127.0.0.1:$port\n\n";
	$t->start($test . config($be), global => 'workers = 2');
	my $m = $t->master_pid;
	my $conf = $t->conf;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'generation 1 is up');
	my @w = $t->workers;
	my $inode = $t->listen_inode;

	$t->write_config($test . "[listener extra]\naddress = 127.0.0.1:$bport\n\n" . config($be),
	    global => 'workers = 2');
	my $line = $t->line_of(qr/^address = 127\.0\.0\.1:$bport$/);
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 1, '-s reload: exit 1');
	is($out, '', 'nothing on stdout');
	is($err, "reload failed:\n$conf:$line: cannot listen on 127.0.0.1:$bport in [listener extra]: Address already in use\n",
	    'reload failed: FILE:LINE: cannot listen on ... Address already in use');
	like($t->error_log, qr/^$ts warn master\[$m\]: reload refused: .*; generation 1 keeps running$/m,
	    'the refusal is logged');
	is_deeply([ $t->workers ], \@w, 'the old workers keep running');
	is($t->listen_inode, $inode, 'on the same listening socket');
	is(scalar(grep { $_->{state} eq 'LISTEN' } $t->tcp_sockets($bport)), 1,
	    "only the test listens on $bport");
	is($t->get('/')->summary, "200 ok\n", 'and serve');

	close $busy;
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, 'once the port is free, the reload works') or diag("$out$err");
	is($t->get('/', port => $bport)->summary, "200 ok\n", "and 127.0.0.1:$bport serves");
	is($t->get('/')->summary, "200 ok\n", "as does 127.0.0.1:$port");
	$t->check_logs;
};

done_testing;
