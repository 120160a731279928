# As root, log files are checked for the worker user: an access log that
# user cannot open stops a start (nothing left running) and refuses a
# reload (the worker keeps running).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdDaemon;

subtest 'as root, log files are checked for the worker user' => sub {
	plan skip_all => 'needs root' unless Test::Frontd::is_root();
	my $uid = getpwnam('nobody');
	plan skip_all => 'no user nobody' unless defined $uid;
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "ok\n");
	my $private = $t->dir . '/private';
	mkdir $private or die "mkdir $private: $!";
	chmod 0700, $private;
	my $log = "$private/access.log";

	$t->write_config(config($be), user => 'nobody', global => "access_log = $log");
	my ($code, $out, $err) = $t->run_frontd({ timeout => 15 }, '-c', $t->conf);
	is($code, 1, 'start with the access log in a 0700 root directory: exit 1');
	is($err, "frontd: $log cannot be opened by the worker user (uid $uid): Permission denied\n",
	    'the access log cannot be opened by the worker user');
	is($out, '', 'nothing on stdout');
	ok(!held($t->pid_file), 'no master runs');
	ok(!defined $t->listen_inode, 'nothing listens');

	$t->start(config($be), user => 'nobody');
	my @w = $t->workers;
	is($t->proc_status($w[0])->{Uid} =~ s/\s.*//r, $uid, 'the worker runs as nobody');
	$t->write_config(config($be), user => 'nobody', global => "access_log = $log");
	($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $t->conf);
	is($code, 1, 'a reload to that access log: exit 1');
	is($err, "reload failed:\n$log cannot be opened by the worker user (uid $uid): Permission denied\n",
	    'reload failed: cannot be opened by the worker user');
	is_deeply([ $t->workers ], \@w, 'the worker keeps running');
	is($t->get('/')->summary, "200 ok\n", 'and serves');
	$t->check_logs;
};

done_testing;
