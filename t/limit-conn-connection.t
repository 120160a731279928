# limit_conn per=connection on a listener (frontd.conf(5), Limits):
# client connections at once per address, across workers, so that one
# client holding idle keep-alive connections cannot take every place of
# max_connections from the others. Over the limit, a connection is
# closed at once; a place comes back when a connection closes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Test::Frontd;

sub connect_from {
	my ($t, $from) = @_;
	return IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $t->{port}, LocalAddr => $from, Proto => 'tcp',
	    Timeout => 5);
}

# One keep-alive request on $s: its status, or 0 when the connection
# was closed without an answer.
sub ask {
	my ($s) = @_;
	local $SIG{PIPE} = 'IGNORE';
	syswrite($s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") or return 0;
	my $buf = '';
	my $sel = IO::Select->new($s);
	my $until = time + 5;
	while ($buf !~ /\r\n\r\nok\n/ && time < $until) {
		$sel->can_read(0.2) or next;
		my $n = sysread($s, $buf, 4096, length $buf);
		last unless $n;
	}
	return $buf =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
}

my $t = Test::Frontd->new;
my $be = $t->raw_backend(body => "ok\n");
my $port = $t->port;
$t->start(<<"EOF");
[global]
workers = 2
max_connections = 16
keepalive_timeout = 30s

[listener test]
address = 127.0.0.1:$port
limit_conn = 4 per=connection

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers');

my (@held, @answers);
for (1 .. 20) {
	my $s = connect_from($t, '127.0.0.1') or next;
	my $st = ask($s);
	push @answers, $st;
	push @held, $s if $st;
}
is(scalar(grep { $_ == 200 } @answers), 4,
    '20 connections from one address: 4 are served and kept');
is(scalar(grep { $_ == 0 } @answers), 16, 'the others are closed at once');

my $other = connect_from($t, '127.0.0.2');
is(ask($other), 200, 'another client still gets in at once');
is(ask($other), 200, 'and keeps its connection');

close shift @held;
my $ok = $t->poll(sub {
	my $s = connect_from($t, '127.0.0.1') or return 0;
	my $st = ask($s);
	push @held, $s if $st;
	return $st == 200;
}, 5);
ok($ok, 'a closed connection gives its place back');
is(ask($held[0]), 200, 'the kept connections go on');

like($t->error_log, qr/127\.0\.0\.1\S* closed: limit_conn 4 per=connection of listener test reached/,
    'the refusal is logged') or diag $t->error_log;
close $_ for @held, $other;

for my $case (
    [ "[route r]\nlimit_conn = 2 per=connection\nupstream = app\n", 'is for a listener' ],
    [ "[listener l]\naddress = 127.0.0.1:1\nlimit_conn = 2 per=connection key=\$http_x\n", 'no key=' ],
    [ "[listener l]\naddress = 127.0.0.1:1\nlimit_conn = 2 per=socket\n", 'limit_conn' ]) {
	my ($rc, $out) = $t->test_config("[upstream app]\nserver = 127.0.0.1:9\n\n$case->[0]");
	ok($rc != 0 && $out =~ /frontd\.conf:\d+: .*\Q$case->[1]\E/,
	    "-t refuses: $case->[1]") or diag $out;
}
$t->check_logs;
done_testing;
