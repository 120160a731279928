# An idle HTTP/2 connection sleeps: after a moment with no stream, its
# session is freed, and made again when the client sends more.  From the
# outside nothing may change: the connection window the client gave,
# its SETTINGS, its HPACK table (emptied first by a SETTINGS_HEADER_
# TABLE_SIZE of 0 and back), closed stream ids, PING, a frame in part,
# GOAWAY on reload and on http2_idle_timeout.  Raw frames (Test::H2Frames) on a cleartext
# http2 = on listener; the debug log says when a connection sleeps.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::H2Frames qw(:all);

my $t = Test::Frontd->new;
my $echo = $t->backend(body => sub {
	my ($req) = @_;
	return 'probe=' . ($req->{headers}{'x-probe'} // '');
});
my $small = $t->backend(body => 'a' x 3000);
my $big = $t->backend(body => 'b' x 200_000);
my $port = $t->port;
my $conf = <<"EOF";
[global]
log_level = debug
http2_idle_timeout = 4s

[listener h2]
address = 127.0.0.1:$port
http2 = on

[upstream echo]
server = $echo->{addr}

[upstream small]
server = $small->{addr}

[upstream big]
server = $big->{addr}

[route small]
path = /small
upstream = small

[route big]
path = /big
upstream = big

[route all]
upstream = echo
EOF
$t->start($conf);

# Sleeps counted in the error log.
sub slept { scalar(() = $t->error_log =~ /HTTP\/2 idle: session put to sleep/g) }

# Wait until the error log counts more than n sleeps.
sub asleep_after {
	my ($n, $what) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($t->poll(sub { slept() > $n }, 5), "$what: the connection sleeps")
	    or diag($t->error_log);
}

sub h2conn {
	my (@settings) = @_;
	my $h = Test::H2Frames->new(port => $port) or return undef;
	$h->preface(@settings) or return undef;
	$h->handshake or return undef;
	return $h;
}

subtest 'the connection window the client gave holds across a sleep' => sub {
	# A stream window larger than the connection's: only the
	# connection window bounds what frontd may send.
	my $h = h2conn(INITIAL_WINDOW_SIZE, 1 << 20) or return fail('h2');
	my $n = slept();
	my $r = $h->get('/small', no_window => 1);
	is(length $r->{body}, 3000, 'a 3000-byte answer, no WINDOW_UPDATE');
	asleep_after($n, 'with 62535 bytes of window left');
	my $id = $h->request('/big');
	$r = $h->response($id, no_window => 1, timeout => 1.5);
	is(length $r->{body}, 65535 - 3000,
	    'awake, it sends what is left of the window, and no more');
	ok(!$r->{done} && !$r->{goaway}, 'the answer waits for more window');
	$h->send(window_frame(0, 1 << 20) . window_frame($id, 1 << 20));
	my $rest = $h->response($id);
	is(length($r->{body}) + length($rest->{body}), 200_000,
	    'given more, the rest of the 200000 bytes comes');
	ok($rest->{done}, 'and the stream ends');
	$h->close;
};

subtest 'the HPACK table is emptied before a sleep, then used again' => sub {
	my $h = h2conn() or return fail('h2');
	my $n = slept();
	my $id = $h->next_id;
	$h->send(frame(HEADERS, END_STREAM | END_HEADERS, $id,
	    request_block('/echo') . hpack_literal_indexed('x-probe', 'one')));
	is($h->response($id)->{body}, 'probe=one',
	    'a field the client put in its dynamic table');
	# frontd asks for a table size of 0, then 4096 (wait_frame ACKs).
	my @hts;
	$h->wait_frame(sub {
		my ($f) = @_;
		if ($f->{type} == SETTINGS && !($f->{flags} & ACK)) {
			my %s = unpack('(nN)*', $f->{payload});
			push @hts, $s{+HEADER_TABLE_SIZE}
			    if exists $s{+HEADER_TABLE_SIZE};
		}
		return @hts >= 2;
	}, 4);
	is("@hts", '0 4096',
	    'idle, frontd sets SETTINGS_HEADER_TABLE_SIZE to 0 and back');
	asleep_after($n, 'once both are acknowledged');
	# RFC 7541 4.2: the encoder says the smallest size, then the new.
	$id = $h->next_id;
	$h->send(frame(HEADERS, END_STREAM | END_HEADERS, $id,
	    "\x20" . hpack_int(4096, 5, 0x20) . request_block('/echo')
	    . hpack_literal_indexed('x-probe', 'two')));
	my $r = $h->response($id);
	is($r->{body}, 'probe=two', 'awake: a new entry in the emptied table')
	    or diag(explain($r));
	$id = $h->next_id;
	$h->send(frame(HEADERS, END_STREAM | END_HEADERS, $id,
	    request_block('/echo') . hpack_indexed(62)));
	is($h->response($id)->{body}, 'probe=two',
	    'and that entry, by its index, in the next request');
	ok(!$h->goaway(0.2), 'no GOAWAY');
	$h->close;
};

subtest 'frames on closed streams, PING, a skipped id, after a sleep' =>
    sub {
	my $h = h2conn() or return fail('h2');
	my $n = slept();
	is($h->get('/echo', stream => 1)->{body}, 'probe=', 'stream 1');
	is($h->get('/echo', stream => 5)->{body}, 'probe=', 'stream 5');
	asleep_after($n, 'after streams 1 and 5');
	$h->send(window_frame(1, 1000) . rst_frame(5, CANCEL)
	    . ping_frame('sleeping'));
	my $p = $h->wait_frame(sub { $_[0]{type} == PING }, 3);
	ok($p && ($p->{flags} & ACK) && $p->{payload} eq 'sleeping',
	    'PING gets its ACK');
	ok(!$h->goaway(0.3),
	    'WINDOW_UPDATE and RST_STREAM on closed streams are no error');
	$h->{next_id} = 7;
	is($h->get('/echo')->{body}, 'probe=', 'stream 7 is answered');
	asleep_after($n + 1, 'again');
	# Stream 3 was skipped, so closed for good (RFC 9113 5.1.1).
	$h->request('/echo', stream => 3);
	my $g = $h->goaway(3);
	is($g ? goaway_info($g)->{error_name} : 'none', 'PROTOCOL_ERROR',
	    'HEADERS on the skipped stream 3: connection error');
	$h->close;
};

subtest 'not asleep in the middle of a frame' => sub {
	my $h = h2conn() or return fail('h2');
	is($h->get('/echo')->{body}, 'probe=', 'a request');
	my $n = slept();
	# Half a PING: its header and 4 of its 8 bytes, then a pause past
	# the moment the connection would sleep.
	my $ping = ping_frame('halfhalf');
	$h->send(substr($ping, 0, 13));
	select(undef, undef, undef, 1.6);
	is(slept(), $n, 'no sleep with a frame in part');
	$h->send(substr($ping, 13));
	my $p = $h->wait_frame(sub { $_[0]{type} == PING }, 3);
	ok($p && ($p->{flags} & ACK) && $p->{payload} eq 'halfhalf',
	    'the rest of the PING comes: its ACK');
	asleep_after($n, 'the frame whole');
	is($h->get('/echo')->{body}, 'probe=', 'and awake, a request');
	$h->close;
};

subtest 'reload: a sleeping connection gets GOAWAY and is closed' => sub {
	my $h = h2conn() or return fail('h2');
	my $n = slept();
	is($h->get('/echo')->{body}, 'probe=', 'a request');
	asleep_after($n, 'before the reload');
	ok($t->reload, 'reloaded');
	my $g = $h->goaway(5);
	is($g ? goaway_info($g)->{error_name} : 'none', 'NO_ERROR',
	    'GOAWAY NO_ERROR');
	is($g ? goaway_info($g)->{last_stream} : -1, 1, 'last stream 1');
	ok($h->closed(5), 'and the connection is closed');
};

subtest 'http2_idle_timeout ends a sleeping connection' => sub {
	my $h = h2conn() or return fail('h2');
	my $n = slept();
	is($h->get('/echo')->{body}, 'probe=', 'a request');
	asleep_after($n, 'idle');
	my $g = $h->goaway(6);
	is($g ? goaway_info($g)->{error_name} : 'none', 'NO_ERROR',
	    'after 4s, GOAWAY NO_ERROR');
	ok($h->closed(3), 'and the connection is closed');
};

$t->stop;
$t->check_logs;
done_testing;
