# WebSocket over HTTP/2 (RFC 8441): frontd's SETTINGS allow the extended
# CONNECT; a CONNECT with :protocol websocket reaches the backend as an
# HTTP/1.1 upgrade (GET, Upgrade, Connection, a Sec-WebSocket-Key of
# frontd's own), its 101 reaches the client as 200, then DATA frames and
# the backend's bytes flow both ways; the client's END_STREAM closes the
# backend's side, the backend's close ends the stream, and the other
# streams of the connection are served meanwhile.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(header_tokens);
use Test::H2Frames qw(:all);

# An echo after a 101, as in http-websocket.t; /bye closes after one.
sub handler {
	my ($c) = @_;
	my $q = $c->read_request or return;
	unless ($q->{headers}{upgrade}) {
		$c->respond(200, body => "plain $q->{target}\n");
		return;
	}
	$c->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    . "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n")
	    or return;
	while (1) {
		unless (length $c->buffered) {
			last unless $c->fill(10);
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
my $p = $t->port;
$t->start(<<"EOF");
[listener h2]
address = 127.0.0.1:$p
http2 = on

[upstream app]
server = $be->{addr}

[route all]
upstream = app
tunnel_timeout = 5s
EOF

# A connection, its settings, and a CONNECT for path on a new stream.
sub ws_open {
	my ($path) = @_;
	my $h = Test::H2Frames->new(port => $p) or return;
	$h->preface;
	my $s = $h->handshake // {};
	my $id = $h->next_id;
	$h->send(frame(HEADERS, END_HEADERS, $id,
	    hpack_literal(':method', 'CONNECT')
	    . hpack_literal(':protocol', 'websocket')
	    . hpack_literal(':scheme', 'http')
	    . hpack_literal(':path', $path)
	    . hpack_literal(':authority', 'chat.example')
	    . hpack_literal('sec-websocket-version', '13')));
	return ($h, $id, $s);
}

# The next DATA on stream id, whatever else comes between.
sub data_on {
	my ($h, $id, $want) = @_;
	my $got = '';
	$h->wait_frame(sub {
		my ($f) = @_;
		return 0 unless $f->{stream} == $id && $f->{type} == DATA;
		$got .= $f->{payload};
		$h->send(window_frame(0, length $f->{payload})
		    . window_frame($id, length $f->{payload}))
		    if length $f->{payload};
		return length $got >= length $want;
	}, 5);
	return $got;
}

subtest 'a WebSocket over an HTTP/2 stream' => sub {
	my ($h, $id, $s) = ws_open('/chat');
	ok($h, 'connected') or return;
	is($s->{8}, 1, 'SETTINGS_ENABLE_CONNECT_PROTOCOL = 1');
	my $f = $h->wait_frame(sub { $_[0]{stream} == $id &&
	    $_[0]{type} == HEADERS }, 5);
	ok($f, 'an answer') or return;
	my %hd = map { @$_ } @{ decode_block($f->{payload}) };
	is($hd{':status'}, '200', 'the 101 is 200 to the HTTP/2 client');
	ok(!($f->{flags} & END_STREAM), 'and the stream stays open');
	ok(!exists $hd{'sec-websocket-accept'} && !exists $hd{upgrade} &&
	    !exists $hd{connection}, 'without the fields of the upgrade');

	my ($q) = grep { $_->{target} eq '/chat' }
	    $t->received_requests($be);
	ok($q, 'the backend got the request') or return;
	like($q->{head}, qr{\AGET /chat HTTP/1\.1\r\n}, 'as an HTTP/1.1 GET');
	is_deeply($q->{headers}{upgrade}, ['websocket'], 'Upgrade: websocket');
	ok((grep { $_ eq 'upgrade' } header_tokens($q, 'connection')),
	    'Connection: upgrade');
	like(($q->{headers}{'sec-websocket-key'} // [''])->[0],
	    qr{\A[A-Za-z0-9+/]{22}==\z}, 'a Sec-WebSocket-Key of 16 bytes');
	is_deeply($q->{headers}{'sec-websocket-version'}, ['13'],
	    'the client\'s Sec-WebSocket-Version');
	is_deeply($q->{headers}{host}, ['chat.example'], 'Host: :authority');

	$h->send(frame(DATA, 0, $id, 'hello'));
	is(data_on($h, $id, 'hello'), 'hello', 'DATA is echoed');
	# 200 KB in pieces within the stream's window, each echoed before
	# the next goes: the window comes back as frontd passes them on.
	my $blob = join '', map { chr(($_ * 7) & 255) } 1 .. 200000;
	my $back = '';
	for (my $o = 0; $o < length $blob; $o += 16000) {
		my $piece = substr($blob, $o, 16000);
		$h->send(frame(DATA, 0, $id, $piece));
		$back .= data_on($h, $id, $piece);
	}
	ok($back eq $blob, '200 KB both ways, in order');

	# Another stream of the same connection meanwhile.
	my $r = $h->get('/plain');
	is($r->{status}, '200', 'another stream is served meanwhile');
	is($r->{body}, "plain /plain\n", 'with its own answer');

	$h->send(frame(DATA, END_STREAM, $id, ''));
	$t->wait_for(sub { $t->notes($be) =~ m{/chat: EOF from frontd} },
	    5, 'END_STREAM from the client ends the backend side');
	my $end = $h->wait_frame(sub { $_[0]{stream} == $id &&
	    (($_[0]{flags} & END_STREAM) || $_[0]{type} == RST_STREAM) }, 5);
	ok($end && $end->{type} != RST_STREAM,
	    'and the stream ends cleanly when the backend closes');
	$h->close;
};

subtest 'the backend closes first' => sub {
	my ($h, $id) = ws_open('/bye');
	ok($h, 'connected') or return;
	$h->send(frame(DATA, 0, $id, 'ping'));
	is(data_on($h, $id, 'ping'), 'ping', 'an echo');
	# The end may ride on the echo's own DATA frame.
	my $is_end = sub { $_[0]{stream} == $id &&
	    (($_[0]{flags} & END_STREAM) || $_[0]{type} == RST_STREAM) };
	my ($end) = grep { $is_end->($_) } $h->frames;
	$end //= $h->wait_frame($is_end, 5);
	ok($end && ($end->{flags} & END_STREAM),
	    'the stream ends with END_STREAM');
	my $r = $h->get('/after');
	is($r->{status}, '200', 'the connection goes on');
	$h->close;
};

$t->wait_for(sub { $t->access_log =~ m{"GET /bye HTTP/2\.0" 101} }, 5,
    'the tunnel is logged as HTTP/2.0');
$t->check_logs;
done_testing;
