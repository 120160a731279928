# Protocol upgrade (WebSocket style): the Upgrade request reaches the
# backend with its Upgrade and Connection headers, the 101 reaches the
# client, then bytes flow both ways untouched; either side closing ends
# the tunnel, tunnel_timeout closes an idle one, and a reload lets a
# tunnel live until shutdown_timeout.  Only the protocols of the route's
# "upgrade" list open a tunnel: an h2c upgrade (which would take the
# connection past routing) goes as plain HTTP/1.1, and a 101 to anything
# not asked for is a 502.
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

# h2c: answers 101 and echoes when the request asks for h2c, as an HTTP/2
# server does; else 200 with what it got: the Upgrade, HTTP2-Settings and
# Connection fields.  Keep-alive.
sub h2c_handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my @up = header_tokens($q, 'upgrade');
		if (grep { $_ eq 'h2c' } @up) {
			$c->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
			    . "Connection: Upgrade\r\n\r\n") or return;
			while ($c->fill(30)) {
				$c->write($c->read_bytes(length $c->buffered)) or return;
			}
			return;
		}
		my $seen = join '', map { sprintf "%s=%s\n", $_,
		    join(',', @{ $q->{headers}{$_} // [] }) }
		    qw(upgrade http2-settings connection);
		$c->respond(200, body => "$q->{target}\n$seen") or return;
	}
}

# A backend that switches to h2c whatever it is asked.
sub rogue_handler {
	my ($c) = @_;
	$c->read_request or return;
	$c->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
	    . "Connection: Upgrade\r\n\r\n") or return;
	$c->write($c->read_bytes(length $c->buffered)) while $c->fill(30);
}

subtest 'upgrade: only the protocols the route allows open a tunnel' => sub {
	my $t3 = Test::Frontd->new;
	my $h2c = $t3->raw_backend(handler => \&h2c_handler);
	my $rogue = $t3->raw_backend(handler => \&rogue_handler);
	my $ws = $t3->raw_backend(handler => \&handler);
	$t3->start(<<"EOF");
[upstream h2c]
server = $h2c->{addr}

[upstream rogue]
server = $rogue->{addr}

[upstream ws]
server = $ws->{addr}

[route admin]
path = /admin
return = 403 routed by frontd

[route allowed]
path = /allowed
upstream = h2c
upgrade = WebSocket h2c

[route rogue]
path = /rogue
upstream = rogue

[route off]
path = /off
upstream = ws
upgrade = off

[route all]
upstream = h2c
EOF
	my $settings = 'AAMAAABkAARAAAAAAAIAAAAA';
	my $h2c_req = sub {
		my ($path) = @_;
		return "GET $path HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\n"
		    . "Upgrade: h2c\r\nHTTP2-Settings: $settings\r\n\r\n";
	};

	my $c = $t3->raw_client;
	$c->write($h2c_req->('/h2c'));
	my $r = $c->read_response(timeout => 5) // { status => 0, body => '' };
	is($r->{status}, 200, 'h2c by default: no 101, a plain answer') or diag($r->{raw} // $c->buffer);
	is($r->{body}, "/h2c\nupgrade=\nhttp2-settings=\nconnection=keep-alive\n",
	    'the server got neither Upgrade nor HTTP2-Settings, Connection: keep-alive');
	$c->write("GET /admin HTTP/1.1\r\n$H\r\n");
	$r = $c->read_response(timeout => 5) // { status => 0, body => '' };
	is($r->{status}, 403, 'the next request on the connection is routed by frontd');
	is($r->{body}, "routed by frontd\n", 'by its own route');
	$c->close;

	$c = $t3->raw_client;
	$c->write("GET /both HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: h2c, WebSocket\r\n\r\n");
	$r = $c->read_response(timeout => 5) // { status => 0, body => '' };
	is($r->{body}, "/both\nupgrade=websocket\nhttp2-settings=\nconnection=upgrade\n",
	    'h2c and websocket offered: only websocket is forwarded');
	$c->close;

	$c = $t3->raw_client;
	$c->write($h2c_req->('/allowed'));
	$r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 101, 'upgrade = WebSocket h2c: h2c opens a tunnel');
	ok(echo($c, "\0\0\0\x04\0\0\0\0\0"), 'bytes flow through it');
	my ($q) = grep { $_->{target} eq '/allowed' } $t3->received_requests($h2c);
	is_deeply($q && $q->{headers}{'http2-settings'}, [ $settings ],
	    'HTTP2-Settings went with it');
	is_deeply([ header_tokens($q // {}, 'connection') ], [ 'upgrade', 'http2-settings' ],
	    'named by Connection');
	$c->close;

	my $log0 = length $t3->error_log;
	$c = $t3->raw_client;
	$c->write("GET /rogue HTTP/1.1\r\n$H\r\n");
	$r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 502, 'a 101 to a request without Upgrade: 502');
	$c->close;
	$c = $t3->raw_client;
	$c->write("GET /rogue/ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	$r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 502, 'a 101 to h2c when websocket was asked for: 502');
	$c->close;
	$t3->wait_for(sub { substr($t3->error_log, $log0)
	    =~ /upstream rogue server \Q$rogue->{addr}\E: invalid response: 101 to a protocol not asked for/ },
	    5, 'logged with the server');

	$c = $t3->raw_client;
	$c->write("GET /off HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	$r = $c->read_response(timeout => 5) // { status => 0 };
	is($r->{status}, 400, 'upgrade = off: websocket is not forwarded either (the server says not an upgrade)');
	$c->close;
	$t3->check_logs(allow => [ qr/\Q$rogue->{addr}\E/ ]);
};

$t->check_logs;
done_testing;
