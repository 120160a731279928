# sd_notify: with NOTIFY_SOCKET set, frontd -f sends READY=1 with MAINPID=
# once its workers run, RELOADING=1 with MONOTONIC_USEC= then READY=1
# around a reload (also a refused one, with STATUS=reload refused: ...),
# and STOPPING=1 on stop.  Both a socket path and an abstract '@' name.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Errno qw(EINTR EAGAIN);
use IO::Select;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG);
use Socket qw(SOCK_DGRAM);
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time clock_gettime CLOCK_MONOTONIC);

my $WAIT_S = 5;		# for each datagram

# The next datagram on sock within timeout seconds, or undef.
sub next_msg {
	my ($sock, $timeout) = @_;
	my $sel = IO::Select->new($sock);
	my $deadline = time + ($timeout // $WAIT_S);
	while (1) {
		my $left = $deadline - time;
		$left = 0 if $left < 0;
		unless ($sel->can_read($left)) {
			return undef if time >= $deadline;
			next;
		}
		my $buf;
		my $from = recv($sock, $buf, 65536, 0);
		return $buf if defined $from;
		next if $! == EINTR || $! == EAGAIN;
		diag("recv: $!");
		return undef;
	}
}

# One test named what: the next datagram arrives and has every key = value
# of want (a value may be a regexp).  Returns its fields as a hash ref.
sub expect_msg {
	my ($sock, $want, $what) = @_;
	my $msg = next_msg($sock);
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	unless (defined $msg) {
		fail($what);
		diag("no datagram within $WAIT_S s");
		return {};
	}
	my %kv = map { /^([^=]*)=(.*)$/s ? ($1, $2) : ($_, undef) }
	    split /\n/, $msg;
	my @bad;
	for my $k (sort keys %$want) {
		my $v = $kv{$k};
		my $w = $want->{$k};
		push @bad, "$k: want " . (ref $w ? "$w" : "'$w'")
		    . ", got " . (defined $v ? "'$v'" : 'nothing')
		    unless defined $v && (ref $w ? $v =~ $w : $v eq $w);
	}
	ok(!@bad, $what) or diag(join("\n", @bad) . "\ndatagram:\n$msg");
	return \%kv;
}

# A datagram socket bound to path (a leading NUL: the abstract namespace).
sub notify_socket {
	my ($path) = @_;
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
	    or BAIL_OUT("cannot bind a datagram socket: $!");
	return $s;
}

sub config {
	my ($be) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";
}

my $t = Test::Frontd->new;
my $be = $t->backend(body => "notified\n");
my $path = $t->dir . '/notify.sock';
my $sock = notify_socket($path);
{
	local $ENV{NOTIFY_SOCKET} = $path;
	$t->start(config($be), foreground => 1);
}
my $m = $t->master_pid;

my $kv = expect_msg($sock, { READY => 1, MAINPID => $m },
    'startup: READY=1 with MAINPID= the master pid');
like($kv->{STATUS} // '', qr/\S/, 'and a STATUS=') or diag(explain($kv));
is($t->get('/')->summary, "200 notified\n", 'frontd serves once ready');

# A reload: RELOADING=1 and the monotonic time, then READY=1.
my @old = $t->workers;
my $before = int(clock_gettime(CLOCK_MONOTONIC) * 1e6);
ok($t->signal('HUP'), 'HUP sent');
$kv = expect_msg($sock, { RELOADING => 1, MONOTONIC_USEC => qr/^\d+$/ },
    'reload: RELOADING=1 with MONOTONIC_USEC=<digits>');
if (($kv->{MONOTONIC_USEC} // '') =~ /^\d+$/) {
	my $after = int(clock_gettime(CLOCK_MONOTONIC) * 1e6);
	ok($kv->{MONOTONIC_USEC} >= $before - 1000 && $kv->{MONOTONIC_USEC} <= $after + 1000,
	    'MONOTONIC_USEC is CLOCK_MONOTONIC at the time of the HUP')
	    or diag("HUP at $before, datagram read at $after, got $kv->{MONOTONIC_USEC}");
}
$kv = expect_msg($sock, { READY => 1 }, 'reload done: READY=1');
unlike($kv->{STATUS} // '', qr/refused/, 'its STATUS does not say refused')
    or diag("STATUS=$kv->{STATUS}");
$t->wait_for(sub {
	my @w = $t->workers;
	my %o = map { $_ => 1 } @old;
	@w == 1 && !grep { $o{$_} } @w;
}, 5, 'a new worker runs');
is($t->get('/')->summary, "200 notified\n", 'frontd serves after the reload');

# A refused reload: RELOADING=1, then READY=1 saying why.
@old = $t->workers;
my $good = $t->slurp($t->conf);
$t->spew($t->conf, "$good\nthis is not a key value line\n");
ok($t->signal('HUP'), 'HUP with a broken configuration sent');
expect_msg($sock, { RELOADING => 1, MONOTONIC_USEC => qr/^\d+$/ },
    'refused reload: RELOADING=1 first');
expect_msg($sock, { READY => 1, STATUS => qr/^reload refused\b/ },
    'then READY=1 with STATUS=reload refused...');
ok($t->alive($m), 'the master still runs');
is_deeply([ $t->workers ], \@old, 'the workers are the same');
is($t->get('/')->summary, "200 notified\n", 'and they still serve');
$t->spew($t->conf, $good);

# Stop: STOPPING=1, and the process exits.
ok($t->signal('TERM'), 'TERM sent');
expect_msg($sock, { STOPPING => 1 }, 'stop: STOPPING=1');
my $status;
$t->wait_for(sub { waitpid($m, WNOHANG) == $m and do { $status = $?; 1 } }, 10,
    'frontd -f exits');
is($status, 0, 'with status 0');
# The process is gone: whatever it sent is queued.  A repeated STOPPING=1
# is harmless; READY=1 or RELOADING=1 after it would not be.
my @late;
while (defined(my $msg = next_msg($sock, 0))) {
	push @late, $msg;
}
ok(!grep({ !/^STOPPING=1$/ } @late), 'nothing but STOPPING=1 after STOPPING=1')
    or diag(join "\n--\n", @late);
$t->check_logs;

subtest 'NOTIFY_SOCKET=@name: an abstract socket' => sub {
	my $a = Test::Frontd->new;
	my $be2 = $a->backend(body => "abstract\n");
	my $name = sprintf 'frontd-test-%d-%d', $$, int(rand 1e9);
	my $s = notify_socket("\0$name");
	{
		local $ENV{NOTIFY_SOCKET} = "\@$name";
		$a->start(config($be2), foreground => 1);
	}
	my $pid = $a->master_pid;
	expect_msg($s, { READY => 1, MAINPID => $pid },
	    'READY=1 with MAINPID= arrives on the abstract socket');
	ok($a->stop, 'TERM stops it');
	$a->check_logs;
};

done_testing;
