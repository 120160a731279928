# Failover under load: a client sends GET requests without pause, over
# keep-alive connections and new ones, while one of three backends is
# killed (not one request may fail), brought back (it gets requests again
# once its checks pass "rise" times), and a blue/green reload marks
# another one "drain" (no failure, and it gets nothing afterwards).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Handle;
use POSIX ();
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $t = Test::Frontd->new;
my ($a, $b, $c) = map { $t->app_backend(name => $_) } qw(A B C);

sub config {
	my ($c_opt) = @_;
	$c_opt = $c_opt ? " $c_opt" : '';
	return <<"EOF";
[global]
workers = 2

[upstream app]
server = $a->{addr}
server = $b->{addr}
server = $c->{addr}$c_opt
health_check = GET /healthz
health_interval = 200ms
rise = 2
fall = 2

[route all]
upstream = app
EOF
}

sub lines {
	my ($re) = @_;
	return grep { $_ =~ $re } split /\n/, $t->error_log;
}

$t->start(config());
$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');

# The client: requests in turns of five on one keep-alive connection, then
# one on a new connection (Connection: close).  One line per request in
# the record: start time, status, body or error, mode.  A request that
# finds its reused keep-alive connection closed before any byte came back
# is sent again once on a new connection (as HTTP clients do for the
# race with an idle close) and counted as "resent".
my $record = $t->dir . '/client-record';
my $stop = $t->dir . '/stop-client';
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	open my $out, '>', $record or POSIX::_exit(1);
	$out->autoflush(1);
	my ($conn, $on) = (undef, 0);
	my $until = time + 50;
	my $seq = 0;
	my $send_ka = sub {
		if (!$conn || $conn->closed || $on >= 5) {
			$conn->close if $conn;
			$conn = $t->raw_client or return (undef, "connect: $!");
			$on = 0;
		}
		$on++;
		$conn->write("GET /loop/$seq HTTP/1.1\r\nHost: fo.example\r\n\r\n");
		my $r = $conn->read_response(timeout => 10);
		my $idle_race = !$r && $on > 1 && $conn->closed && $conn->buffer eq '';
		if (!$r || !$r->{complete}) {
			$conn->close;
			undef $conn;
			return (undef, $idle_race ? 'idle-race'
			    : $r ? $r->{error} : 'no response');
		}
		if (grep { lc eq 'close' } @{ $r->{headers}{connection} // [] }) {
			$conn->close;
			undef $conn;
		}
		return ($r->{status}, $r->{body});
	};
	while (!-e $stop && time < $until) {
		$seq++;
		my $t0 = time;
		my ($mode, $status, $body) = ('ka');
		if ($seq % 6 == 0) {
			$mode = 'new';
			my $r = $t->get("/loop/$seq", host => 'fo.example', timeout => 10);
			($status, $body) = ($r->status, $r->error // $r->content);
		} else {
			($status, $body) = $send_ka->();
			if (!defined $status && $body eq 'idle-race') {
				$mode = 'resent';
				($status, $body) = $send_ka->();
			}
		}
		$status //= 0;
		$body //= '';
		$body =~ s/\s+/ /g;
		$body =~ s/^ | $//g;
		printf $out "%.3f %d %s %s\n", $t0, $status, $mode, $body;
		sleep 0.002;
	}
	close $out;
	POSIX::_exit(0);
}
$t->track($pid);

# The record: a list of [start, status, mode, body].
sub record {
	my @r;
	for (split /\n/, $t->slurp($record)) {
		my @f = split / /, $_, 4;
		push @r, \@f if @f == 4;
	}
	return @r;
}

sub served_by {
	my ($since, $name) = @_;
	return scalar grep { $_->[0] >= $since && $_->[1] == 200 && $_->[3] eq $name } record();
}

sub count_since {
	my ($since) = @_;
	return scalar grep { $_->[0] >= $since } record();
}

$t->wait_for(sub { record() >= 60 }, 10, 'the client is sending');
my $t_start = time;
for my $n (qw(A B C)) {
	ok(served_by(0, $n) > 0, "$n gets requests");
}

# Kill B while the client runs.
my $addr_b = quotemeta $b->{addr};
my $t_kill = time;
$t->stop_backend($b);
$t->wait_for(sub { lines(qr/^$ts warn \S+: upstream app server $addr_b is down: connect failed: .* \(2 checks\)$/) },
    5, 'B killed: the checks mark it down') or diag($t->error_log);
my $t_down = time;
$t->wait_for(sub { count_since($t_down) >= 100 }, 10, '100 more requests with B down');
is(served_by($t_down, 'B'), 0, 'B answers nothing while it is down');

# Bring B back on its port.
$b = $t->app_backend(name => 'B', port => $b->{port});
$t->wait_for(sub { lines(qr/^$ts notice \S+: upstream app server $addr_b is up \(2 checks\)$/) },
    5, 'B is back: is up (2 checks)') or diag($t->error_log);
my $t_up = time;
$t->wait_for(sub { served_by($t_up, 'B') > 0 }, 5, 'B gets requests again');

# Blue/green: C drains.
ok($t->reload(config('drain')), 'reload with C drain while the client runs')
    or diag($t->error_log);
my $t_drain = time;
$t->wait_for(sub { count_since($t_drain) >= 150 }, 15,
    '150 requests after the reload');
is(served_by($t_drain, 'C'), 0, 'the drained server gets nothing after the reload');
ok(served_by($t_drain, 'A') > 0 && served_by($t_drain, 'B') > 0,
    'A and B share the requests');

$t->spew($stop, '');
$t->wait_for(sub { waitpid($pid, POSIX::WNOHANG()) == $pid }, 15, 'the client stops');

my @rec = record();
my @failed = grep { $_->[1] != 200 || $_->[3] !~ /^[ABC]\z/ } @rec;
my %mode;
$mode{ $_->[2] }++ for @rec;
diag(sprintf "%d requests (%s), %d failed", scalar @rec,
    join(', ', map { "$_ $mode{$_}" } sort keys %mode), scalar @failed);
is(scalar @failed, 0, 'not one request failed')
    or diag(join "\n", map { join ' ', @$_ } @failed[0 .. ($#failed < 19 ? $#failed : 19)]);
my @after_kill = grep { $_->[0] >= $t_kill } @rec;
cmp_ok(scalar @after_kill, '>=', 200, 'most of them after B was killed');

$t->check_logs(allow => [ qr/$addr_b/ ]);
done_testing;
