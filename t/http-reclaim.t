# A full house still answers: at max_connections, a new client gets in
# at once by the close of the connection that has been idle (keep-alive,
# between requests) the longest; the worker stops accepting only when no
# connection is idle.  Logged once in a while, with the count, and
# counted in frontd_connections_reclaimed_total.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Time::HiRes qw(time);

my $H = "Host: test.example\r\n";
my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

my $t = Test::Frontd->new;
my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
$t->start(<<"EOF");
[global]
max_connections = 16
keepalive_timeout = 60s

[upstream app]
server = $be->{addr}

[route metrics]
path = /metrics
metrics = on

[route all]
upstream = app
EOF
my ($w) = $t->workers;

# A keep-alive client that made one request: it is idle now.
sub idle_client {
	my ($i) = @_;
	my $c = $t->raw_client or return undef;
	$c->write("GET /c$i HTTP/1.1\r\n$H\r\n");
	my $r = $c->read_response(timeout => 5);
	return $r && $r->{status} == 200 ? $c : undef;
}

sub still_open {
	my ($c) = @_;
	$c->fill(0);
	return !$c->closed;
}

my @idle = map { idle_client($_) } 1 .. 16;
is(scalar(grep { defined } @idle), 16, '16 clients made a request and stay idle');

my $log0 = length $t->error_log;
my $t0 = time;
my $c17 = $t->raw_client;
$c17->write("GET /seventeen HTTP/1.1\r\n$H\r\n");
my $r = $c17->read_response(timeout => 5) // { status => 0, body => '' };
my $dt = time - $t0;
is($r->{status}, 200, 'a 17th client gets its answer');
is($r->{body}, "ok /seventeen\n", 'from the backend');
ok($dt < 1, sprintf 'at once (%.2f s), not after keepalive_timeout', $dt);
ok($idle[0]->wait_closed(2), 'the oldest idle connection was closed');
is(scalar(grep { still_open($_) } @idle[1 .. 15]), 15, 'the other 15 are still open');
$t->wait_for(sub { substr($t->error_log, $log0) =~ /reached: closed/ }, 3, 'logged');
like(substr($t->error_log, $log0),
    qr/^$ts warn worker\[$w\]: max_connections \(16\) reached: closed 1 idle keep-alive connection, the longest idle first, to make room$/m,
    'at warn, with max_connections and the count');

# Five more, which stay: each closes the next oldest; no more lines
# this soon.
my (@more, @ok);
for my $i (1 .. 5) {
	my $c = $t->raw_client;
	$c->write("GET /more$i HTTP/1.1\r\n$H\r\n");
	my $m = $c->read_response(timeout => 5);
	push @ok, $m && $m->{status} == 200 ? 1 : 0;
	push @more, $c;
}
is_deeply(\@ok, [ (1) x 5 ], 'five more clients get answers');
ok($idle[$_]->wait_closed(2), "idle client " . ($_ + 1) . " was closed in turn") for 1 .. 5;
is(scalar(grep { still_open($_) } @idle[6 .. 15]), 10, 'the ten younger ones are still open');
my @lines = grep { /reached: closed/ } split /\n/, substr($t->error_log, $log0);
is(scalar @lines, 1, 'still one line: at most one every 10 s') or diag(join "\n", @lines);

my $m = $t->get('/metrics', timeout => 5)->content;
like($m, qr/^frontd_connections_reclaimed_total 7$/m,
    'frontd_connections_reclaimed_total counts them (the metrics request made one more)')
    or diag($m);

# Nothing idle: 16 connections with a request head not yet complete.
$_->close for @idle, $c17, @more;
$t->wait_for(sub { $t->established($t->{port}) == 0 }, 5, 'every client gone');
my @busy = map { my $c = $t->raw_client; $c->write("GET /busy$_ HTTP/1.1\r\n"); $c } 1 .. 16;
$t->wait_for(sub { $t->established($t->{port}) >= 16 }, 5,
    '16 connections with a request under way');
my $late = $t->raw_client;
$late->write("GET /late HTTP/1.1\r\n$H\r\n");
ok(!defined $late->read_response(timeout => 0.5), 'with none idle, a 17th waits');
$busy[0]->write("$H\r\n");
my $b0 = $busy[0]->read_response(timeout => 5);
is($b0 && $b0->{status}, 200, 'one of the 16 finishes its request');
$r = $late->read_response(timeout => 5) // { status => 0 };
is($r->{status}, 200, 'and then the waiting one is served, as it goes idle');
$_->close for @busy, $late;

$t->check_logs;
done_testing;
