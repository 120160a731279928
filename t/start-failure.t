# A start that fails leaves no pid file behind, whether frontd created it
# or found a stale one, so that "frontd -s" and init scripts say "not
# running" instead of naming pid 0 or a dead master.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $dir = $t->dir;
my $pid_file = "$dir/frontd.pid";

# Something else holds the listening port.
my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 1, ReuseAddr => 1) or die "listen: $!";
my $port = $busy->sockport;

sub conf {
	my (%o) = @_;
	my $f = "$dir/bad.conf";
	$t->spew($f, "[global]\npid_file = $pid_file\nerror_log = "
	    . ($o{error_log} // "$dir/error.log") . "\naccess_log = $dir/access.log\n"
	    . "user = root\n\n[listener l]\naddress = 127.0.0.1:$port\n\n"
	    . "[upstream app]\nserver = 127.0.0.1:9\n\n[route r]\nupstream = app\n");
	return $f;
}

{
	my ($name, $f) = ('port in use', conf());
	my ($code, $out, $err) = $t->run_frontd('-c', $f);
	is($code, 1, "$name: exit 1");
	like($err, qr/cannot listen|Address already in use/, "$name: the reason")
	    or diag($err);
	ok(!-e $pid_file, "$name: no pid file left") or diag(`ls -l $pid_file`);
	($code, $out, $err) = $t->run_frontd('-c', $f, '-s', 'reload');
	isnt($code, 0, "$name: -s reload fails");
	like($err, qr/no running master: pid file \Q$pid_file\E: No such file/,
	    "$name: and says there is no master, not pid 0") or diag($err);
}

# A stale pid file of a master that died: gone after a failed start too.
$t->spew($pid_file, "999999\n");
my ($code, undef, $err) = $t->run_frontd('-c', conf());
is($code, 1, 'stale pid file, port in use: exit 1');
ok(!-e $pid_file, 'the stale pid file is gone too');

# The error log's directory is a file: logs cannot be prepared.
$t->spew("$dir/notadir", '');
($code, undef, $err) = $t->run_frontd('-c', conf(error_log => "$dir/notadir/error.log"));
is($code, 1, 'error log in a file, not a directory: exit 1');
ok(!-e $pid_file, 'no pid file left') or diag($err);

# And a good start still writes it, and a stop removes it.
close $busy;
($code, undef, $err) = $t->run_frontd('-c', conf());
is($code, 0, 'the port is free: frontd starts') or diag($err);
like($t->slurp($pid_file), qr/^\d+\n\z/, 'the pid file holds a pid');
my ($m) = $t->slurp($pid_file) =~ /(\d+)/;
$t->{master_pid} = $m;
kill 'TERM', $m;
$t->poll(sub { !-e $pid_file }, 10);
ok(!-e $pid_file, 'stopped: the pid file is removed');
delete $t->{master_pid} unless $t->alive($m);

done_testing;
