# frontd -s trusts only a pid file owned by the user it runs as: one that
# another user planted (in a directory that user may write), locked by a
# process of that user's choosing, is refused and nothing is signalled.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Fcntl qw(:flock);
use POSIX ();
use Test::More;
use Test::Frontd;

plan skip_all => 'needs root to plant a file of another user' unless $> == 0;
my (undef, undef, $nobody_uid) = getpwnam('nobody');
plan skip_all => 'no user nobody' unless defined $nobody_uid;

my $t = Test::Frontd->new;
my $dir = $t->dir;
my $pid_file = "$dir/planted.pid";

# The victim: a process that must not get the signal.
my $victim = fork // die "fork: $!";
if ($victim == 0) {
	$SIG{$_} = 'DEFAULT' for qw(TERM QUIT HUP);
	sleep 30;
	POSIX::_exit(0);
}
$t->track($victim);

# The planted file, owned by nobody, naming the victim, held locked.
open my $fh, '+>', $pid_file or die "$pid_file: $!";
print $fh "$victim\n";
$fh->flush;
chown $nobody_uid, -1, $pid_file or die "chown: $!";
flock($fh, LOCK_EX) or die "flock: $!";

my $conf = "$dir/c.conf";
$t->spew($conf, "[global]\npid_file = $pid_file\nerror_log = $dir/e.log\n"
    . "access_log = $dir/a.log\n\n[listener l]\naddress = 127.0.0.1:1\n\n"
    . "[upstream u]\nserver = 127.0.0.1:9\n\n[route r]\nupstream = u\n");
for my $cmd ('stop', 'quit', 'reload', 'reopen') {
	my ($code, $out, $err) = $t->run_frontd('-c', $conf, '-s', $cmd);
	isnt($code, 0, "-s $cmd: refused");
	like($err, qr/pid file \Q$pid_file\E belongs to uid $nobody_uid, not to uid 0 .*nothing signalled/,
	    "-s $cmd: says why") or diag($err);
}
ok(kill(0, $victim) && waitpid($victim, POSIX::WNOHANG()) == 0,
    'the process the file names was not signalled');
kill 'KILL', $victim;
waitpid($victim, 0);

done_testing;
