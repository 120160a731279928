# Timeouts and errors are blamed on the side that caused them: a client
# that takes the response too slowly (send_timeout), sends its body too
# slowly (client_body_timeout) or resets the connection is logged as the
# client, counted in frontd_client_errors_total, and never charged to the
# server (upstream errors unchanged, the server stays in rotation); a
# server that stalls in the middle of a body is logged and counted as
# the server's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_RCVBUF SO_LINGER
    pack_sockaddr_in unpack_sockaddr_in inet_aton);
use Time::HiRes qw(time sleep);

my $H = "Host: test.example\r\n";
my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

# By path: /big streams a body of 256 MB for as long as it is taken,
# /stall sends 10 bytes of 1000 then waits, anything else "NAME\n".
sub app {
	my ($name) = @_;
	return sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			if ($q->{target} eq '/big') {
				$c->write("HTTP/1.1 200 OK\r\nContent-Length: "
				    . (256 << 20) . "\r\n\r\n") or return;
				my $chunk = 'x' x 65536;
				my $until = time + 20;
				while (time < $until) {
					$c->write($chunk) or return;
				}
				return;
			}
			if ($q->{target} eq '/stall') {
				$c->write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
				    . ('y' x 10)) or return;
				$c->read_until_eof(20);
				return;
			}
			$c->respond(200, body => "$name\n") or return;
		}
	};
}

my $t = Test::Frontd->new;
my $a = $t->raw_backend(handler => app('A'));
my $b = $t->raw_backend(handler => app('B'));
my $s = $t->raw_backend(handler => app('S'));
$t->start(<<"EOF");
[global]
send_timeout = 1s
client_body_timeout = 1s

[upstream app]
server = $a->{addr}
server = $b->{addr}
max_fails = 1
fail_timeout = 30s

[upstream staller]
server = $s->{addr}
upstream_read_timeout = 1s

[route metrics]
path = /metrics
metrics = on

[route stall]
path = /stall
upstream = staller

[route all]
upstream = app
EOF

sub metric {
	my ($name) = @_;
	my $m = $t->get('/metrics')->content;
	return $m =~ /^\Q$name\E (\d+)$/m ? $1 : undef;
}

my $UPERR = 'frontd_upstream_errors_total';
my $CTIME = 'frontd_client_errors_total{reason="timeout"}';
my $CABRT = 'frontd_client_errors_total{reason="aborted"}';

# A client socket with a tiny receive buffer, so that a response fills
# it and the socket buffers between at once: (socket, local port).
sub small_client {
	socket(my $sk, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
	setsockopt($sk, SOL_SOCKET, SO_RCVBUF, 4096) or die "SO_RCVBUF: $!";
	connect($sk, pack_sockaddr_in($t->{port}, inet_aton('127.0.0.1')))
	    or die "connect: $!";
	my ($port) = unpack_sockaddr_in(getsockname($sk));
	return ($sk, $port);
}

# Both servers answer: n requests, the set of names.
sub spread {
	my ($n) = @_;
	my %seen;
	$seen{ $t->get("/s$_")->content // '' }++ for 1 .. $n;
	return join ' ', sort keys %seen;
}

is(spread(4), "A\n B\n", 'both servers answer at first');
is(metric($UPERR), 0, 'no upstream error yet');

subtest 'a client that reads 1 byte a second: its own send timeout' => sub {
	my $log0 = length $t->error_log;
	my ($sk, $port) = small_client();
	syswrite($sk, "GET /big HTTP/1.1\r\n$H\r\n");
	my $t0 = time;
	my $closed = 0;
	while (time - $t0 < 8) {
		my $n = sysread($sk, my $byte, 1);
		if (!$n) { $closed = 1; last }
		last if substr($t->error_log, $log0) =~ /client send timeout/;
		sleep 1;
	}
	close $sk;
	my $log;
	$t->wait_for(sub { ($log) = grep { /closed: client send timeout/ }
	    split /\n/, substr($t->error_log, $log0) }, 5, 'frontd gives up on the client');
	like($log // '', qr/^$ts info worker\[\d+\]: conn=\d+ 127\.0\.0\.1:$port closed: client send timeout \(1s\)$/,
	    'logged at info, naming the client and send_timeout');
	my @up = grep { /upstream|\Q$a->{addr}\E|\Q$b->{addr}\E/ } split /\n/, substr($t->error_log, $log0);
	is_deeply(\@up, [], 'no line blames an upstream server');
	is(metric($UPERR), 0, "$UPERR is unchanged");
	is(metric($CTIME), 1, "$CTIME counts it");
	is(spread(6), "A\n B\n", 'both servers still get requests');
};

subtest 'a client that stops sending its body: 408, its own' => sub {
	my $log0 = length $t->error_log;
	my $c = $t->raw_client;
	$c->write("POST /upload HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n0123456789");
	my $r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 408, 'after client_body_timeout: 408');
	$c->close;
	$t->wait_for(sub { substr($t->error_log, $log0) =~ /conn=\d+ 127\.0\.0\.1:\d+ 408: client body timeout/ },
	    3, 'logged as the client body timeout');
	is(metric($UPERR), 0, "$UPERR is unchanged");
	is(metric($CTIME), 2, "$CTIME counts it");
	is(spread(6), "A\n B\n", 'both servers still get requests');
};

subtest 'a client that resets in the middle of a body' => sub {
	my $log0 = length $t->error_log;
	my ($sk, $port) = small_client();
	syswrite($sk, "GET /big HTTP/1.1\r\n$H\r\n");
	sysread($sk, my $buf, 4096);
	like($buf // '', qr{^HTTP/1\.1 200 }, 'the response begins');
	setsockopt($sk, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
	close $sk;
	# Seen on a write, or as a hang-up while the server is waited for.
	my $log;
	$t->wait_for(sub { ($log) = grep { /closed: client/ }
	    split /\n/, substr($t->error_log, $log0) }, 5, 'logged');
	like($log // '', qr/^$ts info worker\[\d+\]: conn=\d+ 127\.0\.0\.1:$port closed: client (?:write error \((?:Connection reset by peer|Broken pipe)\)|connection lost)$/,
	    'at info, naming the client');
	is(metric($UPERR), 0, "$UPERR is unchanged");
	is(metric($CABRT), 1, "$CABRT counts it");
	is(spread(6), "A\n B\n", 'both servers still get requests');
};

subtest 'a server that stalls in the middle of a body: its own' => sub {
	my $log0 = length $t->error_log;
	my $c = $t->raw_client;
	$c->write("GET /stall HTTP/1.1\r\n$H\r\n");
	ok($c->wait_closed(5), 'the client connection is cut');
	like($c->buffer, qr{^HTTP/1\.1 200 .*\r\n\r\ny{10}\z}s, 'after the 10 bytes there were');
	$t->wait_for(sub { substr($t->error_log, $log0)
	    =~ /^$ts warn worker\[\d+\]: conn=\d+ 127\.0\.0\.1:\d+ upstream staller server \Q$s->{addr}\E: read timeout during the response: 1s$/m },
	    3, 'logged as the server, at warn');
	is(metric($UPERR), 1, "$UPERR counts it");
	is(metric($CTIME), 2, "$CTIME does not");
	is(metric($CABRT), 1, "$CABRT does not");
};

unlike($t->error_log, qr/is down/, 'no server was marked down');
$t->check_logs(allow => [ qr/\Q$s->{addr}\E/ ]);
done_testing;
