# Protocol upgrade (WebSocket style): the Upgrade request reaches the
# backend with its Upgrade and Connection headers, the 101 reaches the
# client, then bytes flow both ways untouched; either side closing ends
# the tunnel, tunnel_timeout closes an idle one, and a reload lets a
# tunnel live until shutdown_timeout.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(header_tokens);
use Time::HiRes qw(time);

my $H = "Host: test.example\r\n";

# Answers an upgrade request (Upgrade, or Connection: upgrade: the test
# checks both arrived) with 101, then echoes; on /bye closes after the
# first echo.  Notes how the tunnel ended.
sub handler {
	my ($c) = @_;
	my $q = $c->read_request or return;
	my $upgrade = grep { $_ eq 'upgrade' } header_tokens($q, 'connection');
	unless ($upgrade || $q->{headers}{upgrade}) {
		$c->respond(400, body => "not an upgrade\n", headers => [ Connection => 'close' ]);
		return;
	}
	$c->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    . "Connection: Upgrade\r\n\r\n") or return;
	while (1) {
		unless (length $c->buffered) {
			last unless $c->fill(60);
		}
		$c->write($c->read_bytes(length $c->buffered)) or last;
		if ($q->{target} eq '/bye') {
			$c->note("$q->{target}: backend closes");
			return;
		}
	}
	$c->note("$q->{target}: EOF from frontd");
}

my $t = Test::Frontd->new;
my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route all]
upstream = app
tunnel_timeout = 1s
EOF

# Open a tunnel on path: the client and the 101 response.
sub tunnel {
	my ($path) = @_;
	my $c = $t->raw_client;
	$c->write("GET $path HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	my $r = $c->read_response(timeout => 5) // { status => 0, headers => {} };
	return ($c, $r);
}

sub echo {
	my ($c, $bytes) = @_;
	$c->write($bytes) or return 0;
	$c->read_until(qr/\A\Q$bytes\E/, 5) or return 0;
	return $c->take eq $bytes;
}

subtest 'upgrade, echo, the client closes' => sub {
	my ($c, $r) = tunnel('/chat');
	is($r->{status}, 101, '101 Switching Protocols') or diag($r->{raw} // $c->buffer);
	is_deeply($r->{headers}{upgrade}, ['websocket'], 'with Upgrade: websocket');
	ok((grep { $_ eq 'upgrade' } header_tokens($r, 'connection')), 'and Connection: Upgrade');
	my ($q) = grep { $_->{target} eq '/chat' } $t->received_requests($be);
	is_deeply($q->{headers}{upgrade}, ['websocket'], 'the backend got Upgrade: websocket');
	ok((grep { $_ eq 'upgrade' } header_tokens($q, 'connection')),
	    'and Connection: upgrade') or diag($q->{head});
	is_deeply($q->{headers}{'sec-websocket-key'}, ['dGhlIHNhbXBsZSBub25jZQ=='],
	    'and the WebSocket headers');

	ok(echo($c, "hello"), 'bytes after the 101 are echoed');
	ok(echo($c, "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    'bytes that look like HTTP pass untouched');
	srand(3);
	my $blob = join '', map { chr int rand 256 } 1 .. 200000;
	ok(echo($c, $blob), '200 KB of binary data both ways');
	$c->close;
	$t->wait_for(sub { $t->notes($be) =~ m{/chat: EOF from frontd} }, 3,
	    'closing the client ends the backend side');
};

subtest 'the backend closes' => sub {
	my ($c, $r) = tunnel('/bye');
	is($r->{status}, 101, 'status 101');
	ok(echo($c, 'ping'), 'an echo');
	ok($c->wait_closed(3), 'then the backend closes and so does the client connection');
};

subtest 'tunnel_timeout = 1s' => sub {
	my ($c, $r) = tunnel('/idle');
	is($r->{status}, 101, 'status 101');
	my $t0 = time;	# the last activity: the client's write
	ok(echo($c, 'once'), 'an echo');
	ok($c->wait_closed(5), 'the idle tunnel is closed');
	my $dt = time - $t0;
	ok($dt > 0.7 && $dt < 3, sprintf 'after tunnel_timeout (%.2f s)', $dt);
	$t->wait_for(sub { $t->notes($be) =~ m{/idle: EOF from frontd} }, 3,
	    'on the backend side too');
};

subtest 'a reload lets a tunnel live until shutdown_timeout' => sub {
	my $t2 = Test::Frontd->new;
	my $be2 = $t2->raw_backend(handler => \&handler);
	my $conf = <<"EOF";
[global]
shutdown_timeout = 2s

[upstream app]
server = $be2->{addr}

[route all]
upstream = app
EOF
	$t2->start($conf);
	my ($old) = $t2->workers;
	my $c = $t2->raw_client;
	$c->write("GET /reload HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	my $r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 101, 'status 101');
	ok(echo($c, 'before'), 'an echo before the reload');
	ok($t2->signal('HUP'), 'HUP');
	$t2->wait_for(sub { grep { $_ != $old } $t2->workers }, 10, 'a new worker runs');
	ok($t2->alive($old), 'the old worker is still there for the tunnel');
	ok(echo($c, 'during'), 'the tunnel still echoes after the reload');
	is($t2->get('/plain')->{status}, 400,
	    'new requests reach the backend meanwhile (400: not an upgrade)');
	my $t0 = time;
	ok($c->wait_closed(6), 'the tunnel is closed at shutdown_timeout');
	my $dt = time - $t0;
	ok($dt < 4, sprintf 'within about 2 s of the reload (%.2f s)', $dt);
	$t2->wait_for(sub { !$t2->alive($old) }, 5, 'and the old worker exits');
	$t2->check_logs(allow => [qr/shutdown_timeout reached/]);
};

$t->check_logs;
done_testing;
