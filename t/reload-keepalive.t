# Reloads and keep-alive clients: the old generation never closes a
# connection under a client's next request.  Two kinds of client run
# through 10 reloads, each on persistent connections that it opens again
# only when a response says Connection: close (or the connection is gone
# while it is idle and unused):
#   - eager: sends the next request the moment a response is complete,
#     as wrk and benchmark tools do;
#   - unchecked: waits a little between requests, then writes on the
#     connection it holds without checking whether it is still open, as
#     many connection pools do.
# Not one request of either may fail.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

my $RELOADS = 10;
my $CLIENTS = 3;		# processes of each kind
my $MAX_S = 60;			# a client stops by itself after this

my $t = Test::Frontd->new;
my @be = map { $t->backend(body => "ok\n") } 1 .. 2;

sub config {
	my ($be) = @_;
	return "[global]\nworkers = 2\n\n[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n";
}

$t->start(config($be[0]));
$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'frontd is up');

my $stop = $t->dir . '/stop-clients';

sub bad { my ($why, $text) = @_; $$why = $text; return () }

# One response on $s: (status, close) or () when the connection failed
# before a whole response; $why says how.
sub one_response {
	my ($s, $why) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	my $deadline = time + 10;
	while ($buf !~ /\r\n\r\n/) {
		my $left = $deadline - time;
		return bad($why, 'timeout reading the head')
		    if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $buf, 16384, length $buf);
		return bad($why, defined $n ? 'closed before a response'
		    : "read: $!") if !$n;
	}
	my ($head, $body) = $buf =~ /\A(.*?\r\n\r\n)(.*)\z/s;
	my ($status) = $head =~ m{\AHTTP/1\.1 (\d{3}) };
	my ($len) = $head =~ /^Content-Length: (\d+)\r$/mi;
	return bad($why, "no Content-Length in $head") unless defined $len;
	while (length $body < $len) {
		my $left = $deadline - time;
		return bad($why, 'timeout reading the body')
		    if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $body, 16384, length $body);
		return bad($why, 'cut in the body') if !$n;
	}
	return bad($why, "bad body '$body'") unless $body eq "ok\n";
	my $close = $head =~ /^Connection:[^\r]*\bclose\b/mi ? 1 : 0;
	return ($status, $close);
}

sub client {
	my ($kind, $n) = @_;
	my ($sent, $ok, $failed, $reopened) = (0, 0, 0, 0);
	my @why;
	my $s;
	my $until = time + $MAX_S;
	local $SIG{PIPE} = 'IGNORE';
	while (!-e $stop && time < $until) {
		if (!$s) {
			$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $t->{port}, Proto => 'tcp', Timeout => 5);
			if (!$s) {
				$failed++;
				push @why, "connect: $!" if @why < 10;
				sleep 0.01;
				next;
			}
			$reopened++;
		}
		my $req = "GET /$kind/$n/$sent HTTP/1.1\r\nHost: test\r\n\r\n";
		$sent++;
		my $why;
		my ($status, $close);
		if (!defined syswrite($s, $req)) {
			$why = "write: $!";
		} else {
			($status, $close) = one_response($s, \$why);
		}
		if (defined $status && $status == 200) {
			$ok++;
		} else {
			$failed++;
			push @why, sprintf('%.3f %s %d request %d: %s', time,
			    $kind, $n, $sent, $why // "status $status")
			    if @why < 10;
			$close = 1;
		}
		if ($close) {
			close $s;
			undef $s;
		}
		sleep(0.05 + rand 0.25) if $kind eq 'unchecked';
	}
	return ($sent, $ok, $failed, $reopened, @why);
}

my @pids;
for my $kind ('eager', 'unchecked') {
	for my $n (1 .. $CLIENTS) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my ($sent, $ok, $failed, $reopened, @why) = client($kind, $n);
			my $f = $t->dir . "/tally-$kind-$n";
			open my $fh, '>', "$f.tmp" or POSIX::_exit(1);
			print $fh "$sent $ok $failed $reopened\n", map { "$_\n" } @why;
			close $fh;
			rename "$f.tmp", $f;
			POSIX::_exit(0);
		}
		$t->track($pid);
		push @pids, $pid;
	}
}

$t->wait_for(sub { $t->access_log =~ m{GET /unchecked/\d+/3 } }, 10,
    'the clients are sending');
for my $i (1 .. $RELOADS) {
	my $t0 = time;
	ok($t->reload(config($be[ $i % 2 ])), "reload $i: the new generation runs")
	    or diag($t->error_log);
	note(sprintf "reload %d took %.2f s", $i, time - $t0);
	sleep 0.2;
}
sleep 0.5;
$t->spew($stop, '');
my @tallies = map { my $k = $_; map { $t->dir . "/tally-$k-$_" } 1 .. $CLIENTS }
    'eager', 'unchecked';
$t->wait_for(sub { !grep { !-e $_ } @tallies }, 30, 'the clients finish');
waitpid($_, 0) for @pids;

for my $kind ('eager', 'unchecked') {
	my ($sent, $ok, $failed, $reopened) = (0, 0, 0, 0);
	my @why;
	for my $n (1 .. $CLIENTS) {
		my ($head, @rest) = split /\n/,
		    $t->slurp($t->dir . "/tally-$kind-$n");
		my @v = split ' ', $head // '0 0 0 0';
		$sent += $v[0]; $ok += $v[1]; $failed += $v[2];
		$reopened += $v[3];
		push @why, @rest;
	}
	diag("$kind clients: $sent requests over $RELOADS reloads, $ok ok, "
	    . "$failed failed, $reopened connections");
	cmp_ok($sent, '>', 50, "$kind: requests were sent");
	is($failed, 0, "$kind: no request failed") or diag(join "\n", @why);
	cmp_ok($reopened, '>', $CLIENTS, "$kind: connections were told to "
	    . "close and opened again");
}

like($t->error_log, qr/reload/i, 'the reloads are in the log');
done_testing;
