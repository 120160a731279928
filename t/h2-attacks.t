# HTTP/2 attacks against a cleartext http2 = on listener, with raw
# frames (Test::H2Frames): rapid reset, CONTINUATION flood, HPACK bomb,
# SETTINGS and PING floods, empty DATA frames, a zero window that never
# opens, more streams than allowed at once, and a connection that used up
# its requests.  After each, the same worker (no crash) still answers a
# normal request with 200, and the logs have no error and no sanitizer
# report at the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::H2Frames qw(:all);
use POSIX ();
use Time::HiRes qw(time);

my $t = Test::Frontd->new;
my $be = $t->backend(body => "hello\n");
my $big = $t->backend(body => 'x' x (2 << 20));
my $port = $t->port;
$t->start(<<"EOF");
[global]
http2_max_resets = 10
http2_max_continuations = 4
http2_max_header_list_size = 4K
http2_max_concurrent_streams = 4
send_timeout = 1s

[listener h2]
address = 127.0.0.1:$port
http2 = on

[upstream app]
server = $be->{addr}

[upstream big]
server = $big->{addr}

[route big]
path = /big
upstream = big

[route all]
upstream = app
EOF

my ($worker) = $t->workers;
ok($worker, "one worker, pid $worker");

# A connection through the preface and the SETTINGS exchange.
sub h2conn {
	my (%o) = @_;
	my $h = Test::H2Frames->new(port => $o{port} // $port) or return undef;
	$h->preface(@{ $o{settings} // [] }) or return undef;
	$h->handshake(no_ack => $o{no_ack}) or return undef;
	return $h;
}

sub rss_kb {
	my ($pid) = @_;
	my ($kb) = ($t->proc_status($pid)->{VmRSS} // '0') =~ /(\d+)/;
	return $kb;
}

# The error log from byte at on: what an attack added.
sub log_since {
	my ($at) = @_;
	return substr($t->error_log, $at);
}

# After an attack: the same worker answers a normal request with 200.
sub still_serves {
	my ($what) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $h = h2conn();
	my $r = $h ? $h->get('/') : { error => 'no connection' };
	is($r->{status}, '200', "after $what: a new connection gets 200")
	    or diag(explain($r));
	is(join(' ', $t->workers), $worker,
	    "after $what: the same worker runs (pid $worker)");
	$h->close if $h;
}

# One line in the new part of the error log matches re; at most max
# (default 1) lines match any.
sub logged_once {
	my ($at, $re, $what, $max) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $new = '';
	$t->poll(sub { $new = log_since($at); $new =~ $re }, 3);
	my @l = grep { $_ =~ $re } split /\n/, $new;
	ok(@l >= 1 && @l <= ($max // 1),
	    "$what: logged in one line, not one per frame or stream")
	    or diag("lines matching $re: " . scalar(@l) . "\n$new");
}

subtest 'rapid reset (CVE-2023-44487)' => sub {
	my $at = length $t->error_log;
	my $h = h2conn() or return fail('connected');
	# 200 streams opened and cancelled at once, 20 times the limit.
	my $burst = '';
	for (1 .. 200) {
		my $id = $h->next_id;
		$burst .= frame(HEADERS, END_STREAM | END_HEADERS, $id,
		    request_block('/')) . rst_frame($id, CANCEL);
	}
	$h->send($burst, 3);
	my $g = $h->goaway(5);
	ok($g, 'GOAWAY') or diag(join "\n", map { describe($_) } $h->frames);
	my $gi = $g ? goaway_info($g) : {};
	isnt($gi->{error_name} // 'NO_ERROR', 'NO_ERROR',
	    "with an error code ($gi->{error_name})") if $g;
	{
		is($gi->{error_name}, 'ENHANCE_YOUR_CALM',
		    'the code is ENHANCE_YOUR_CALM') if $g;
	}
	cmp_ok($gi->{last_stream} // 0, '<', 401,
	    "not every stream was taken (last stream $gi->{last_stream})")
	    if $g;
	ok($h->closed(5), 'and the connection is closed');
	my $n = grep { $_->{type} == HEADERS } $h->frames;
	cmp_ok($n, '<', 50, "few streams were answered ($n)");
	logged_once($at, qr/HTTP\/2/, 'the attack');
	still_serves('a rapid reset');
};

subtest 'CONTINUATION flood' => sub {
	my $at = length $t->error_log;
	my $h = h2conn() or return fail('connected');
	# HEADERS without END_HEADERS, then 40 CONTINUATION frames of one
	# small field each: ten times http2_max_continuations.
	my $bytes = frame(HEADERS, END_STREAM, 1, request_block('/'));
	for my $i (1 .. 40) {
		$bytes .= frame(CONTINUATION, 0, 1,
		    hpack_literal("x-c$i", 'y'));
	}
	$h->send($bytes, 3);
	my $g = $h->goaway(5);
	my $closed = $h->closed(5);
	{
		ok($g, 'GOAWAY') and diag('GOAWAY: ' . describe($g));
	}
	ok($closed, 'the connection is closed')
	    or diag(join "\n", map { describe($_) } $h->frames);
	ok(!grep({ $_->{type} == HEADERS } $h->frames),
	    'the request was not answered');
	logged_once($at, qr/HTTP\/2|CONTINUATION/, 'the flood');
	still_serves('a CONTINUATION flood');
};

subtest 'HPACK bomb' => sub {
	my $h = h2conn() or return fail('connected');
	my $rss0 = rss_kb($worker);
	# One field of 3800 bytes into the dynamic table, then 12000
	# one-byte references to it: 16K on the wire, 46M decoded, against
	# an http2_max_header_list_size of 4K.
	my $block = request_block('/bomb')
	    . hpack_literal_indexed('x-bomb', 'b' x 3800)
	    . hpack_indexed(62) x 12000;
	cmp_ok(length $block, '<=', 16384, 'the block fits one frame');
	my $id = $h->next_id;
	$h->send(frame(HEADERS, END_STREAM | END_HEADERS, $id, $block));
	my $r = $h->response($id);
	ok(($r->{status} // '') eq '431' || defined $r->{rst},
	    'the stream is refused: 431 or RST_STREAM')
	    or diag(explain($r));
	note("answer: " . ($r->{status} ? "status $r->{status}"
	    : defined $r->{rst} ? 'RST_STREAM ' . error_name($r->{rst})
	    : 'none'));
	# The same bomb five times more on the same connection, the field
	# still in the table: 64M decoded each time.
	my @st;
	for (1 .. 5) {
		$id = $h->next_id;
		$h->send(frame(HEADERS, END_STREAM | END_HEADERS, $id,
		    request_block('/bomb') . hpack_indexed(62) x 16000));
		$r = $h->response($id);
		push @st, $r->{status} // (defined $r->{rst}
		    ? error_name($r->{rst}) : 'nothing');
	}
	is("@st", '431 431 431 431 431', 'again, five times: 431 each');
	my @logged = grep { m{"GET /bomb HTTP/2\.0" 431 } }
	    split /\n/, $t->access_log;
	cmp_ok(scalar(@logged), '>=', 5,
	    'the access log names the refused requests: GET /bomb, 431')
	    or diag($t->access_log);
	my $rss1 = rss_kb($worker);
	cmp_ok($rss1 - $rss0, '<', 8 * 1024,
	    "the worker's memory stays bounded ($rss0 kB, then $rss1 kB)");
	my $r2 = $h->get('/');
	is($r2->{status}, '200', 'the connection still serves a request')
	    or diag(explain($r2));
	still_serves('an HPACK bomb');
};

# Frames that each ask for an answer, never read: thousands of them.
sub ack_flood {
	my ($what, $one, $type) = @_;
	my $at = length $t->error_log;
	my $h = h2conn() or return fail('connected');
	my $rss0 = rss_kb($worker);
	my $sent = $h->send($one x 100000, 5);
	note("$what: " . ($sent ? 'all sent' : "stopped: " . $h->error)
	    . ", $h->{sent} bytes");
	my $g = $h->goaway(5);
	my $closed = $h->closed(5);
	my $acks = grep { $_->{type} == $type } $h->frames;
	ok($closed, "$what: the connection is closed")
	    or diag("$acks answers read");
	{
		ok($g && goaway_info($g)->{error_name} eq 'ENHANCE_YOUR_CALM',
		    "$what: GOAWAY ENHANCE_YOUR_CALM")
		    or diag('got ' . describe($g) . ", $acks answers");
	}
	cmp_ok(rss_kb($worker) - $rss0, '<', 8 * 1024,
	    "$what: the worker's memory stays bounded");
	logged_once($at, qr/HTTP\/2/, $what);
	still_serves("a $what");
}

subtest 'SETTINGS flood' => sub {
	ack_flood('SETTINGS flood', settings_frame(), SETTINGS);
};

subtest 'PING flood' => sub {
	ack_flood('PING flood', ping_frame('flooding'), PING);
};

# Worker CPU time, user and system, in seconds.
sub cpu_s {
	my ($pid) = @_;
	my $st = $t->slurp("/proc/$pid/stat");
	my @f = split ' ', substr($st, rindex($st, ')') + 2);
	return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

subtest 'empty DATA frames' => sub {
	my $at = length $t->error_log;
	my $h = h2conn() or return fail('connected');
	my $id = $h->next_id;
	# An upload of no stated length, then 50000 DATA frames of nothing.
	$h->send(frame(HEADERS, END_HEADERS, $id,
	    request_block('/up', method => 'POST')));
	my ($t0, $cpu0) = (time, cpu_s($worker));
	my $sent = $h->send(frame(DATA, 0, $id, '') x 50000, 5);
	my $f = $h->wait_frame(sub { $_[0]{type} == GOAWAY ||
	    ($_[0]{type} == RST_STREAM && $_[0]{stream} == $id) }, 1);
	my $cpu = cpu_s($worker) - $cpu0;
	note(sprintf "50000 empty DATA frames: %s in %.2f s, %.2f s of the "
	    . "worker's CPU; then %s", $sent ? 'all taken'
	    : 'stopped (' . $h->error . ')', time - $t0, $cpu,
	    $f ? describe($f) : $h->eof ? 'the connection closed' : 'nothing');
	cmp_ok($cpu, '<', 2, 'at a bounded cost to the worker');
	{
		ok($f || $h->eof, 'frontd ends the stream or the connection');
	}
	if (!$f && !$h->eof) {
		# Taken: the upload goes on, and ends as any other.
		$h->send(frame(DATA, END_STREAM, $id, 'tail'));
		my $r = $h->response($id);
		is($r->{status}, '200', 'the stream still ends with 200')
		    or diag(explain($r));
		unlike(log_since($at), qr/HTTP\/2|stream/,
		    'nothing logged about it');
	} else {
		logged_once($at, qr/HTTP\/2|stream/, 'the empty frames');
	}
	still_serves('empty DATA frames');
};

subtest 'zero window, never opened' => sub {
	my $at = length $t->error_log;
	my $h = h2conn(settings => [ INITIAL_WINDOW_SIZE, 0 ])
	    or return fail('connected');
	my $rss0 = rss_kb($worker);
	my $t0 = time;
	my $id = $h->request('/big');
	my $f = $h->wait_frame(sub { $_[0]{type} == GOAWAY ||
	    ($_[0]{type} == RST_STREAM && $_[0]{stream} == $id) }, 6);
	my $took = time - $t0;
	ok($f || $h->eof, 'the stream is reset or the connection closed')
	    or diag(join "\n", map { describe($_) } $h->frames);
	note(sprintf "%s after %.2f s", $f ? describe($f) : 'closed', $took);
	cmp_ok($took, '>=', 0.8, 'not before send_timeout');
	cmp_ok($took, '<', 4, 'soon after send_timeout (1s)');
	ok(!grep({ $_->{type} == DATA && length $_->{payload} }
	    $h->frames), 'no DATA beyond the window');
	cmp_ok(rss_kb($worker) - $rss0, '<', 8 * 1024,
	    "the worker's memory stays bounded");
	still_serves('a zero window');
};

subtest 'more streams than http2_max_concurrent_streams' => sub {
	for my $acked (0, 1) {
		my $h = h2conn(no_ack => !$acked) or return fail('connected');
		my @ids = map { $h->next_id } 1 .. 10;
		$h->send(join '', map { frame(HEADERS, END_STREAM | END_HEADERS,
		    $_, request_block('/')) } @ids);
		my %r;
		$h->wait_frame(sub {
			my ($f) = @_;
			$r{ $f->{stream} } = error_name(rst_error($f))
			    if $f->{type} == RST_STREAM;
			$r{ $f->{stream} } //= 'answered'
			    if $f->{type} == HEADERS;
			return $f->{type} == GOAWAY || keys %r == @ids;
		}, 5);
		my $g = $h->goaway(0);
		my $how = join ', ',
		    map { "$_: " . ($r{$_} // 'nothing') } @ids;
		my $who = $acked ? 'SETTINGS acknowledged'
		    : 'SETTINGS not yet acknowledged';
		note("$who: $how" . ($g ? '; ' . describe($g) : ''));
		my @ok = grep { ($r{$_} // '') eq 'answered' } @ids;
		my @refused = grep { ($r{$_} // '') =~
		    /^(?:REFUSED_STREAM|PROTOCOL_ERROR)$/ } @ids;
		# Before and after the client acknowledged the limit, a
		# stream beyond it is a stream error (RFC 9113 5.1.2):
		# RST_STREAM for the excess only, never the connection.
		is(scalar @ok, 4, "$who: four streams answered");
		is(scalar @refused, 6,
		    "$who: six reset with REFUSED_STREAM or PROTOCOL_ERROR")
		    or diag($how . ($g ? '; ' . describe($g) : ''));
		$h->close;
	}
	still_serves('too many streams');
};

$t->check_logs;

# keepalive_requests bounds the streams of a connection: a frontd of its
# own, since the other attacks open many streams on one connection.
subtest 'keepalive_requests: stream ids used up' => sub {
	my $t2 = Test::Frontd->new;
	my $be2 = $t2->backend(body => "hello\n");
	my $p2 = $t2->port;
	$t2->start("[global]\nkeepalive_requests = 5\n\n"
	    . "[listener h2]\naddress = 127.0.0.1:$p2\nhttp2 = on\n\n"
	    . "[upstream app]\nserver = $be2->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	my $h = h2conn(port => $p2) or return fail('connected');
	for my $i (1 .. 5) {
		my $r = $h->get('/');
		is($r->{status}, '200',
		    "request $i (stream $r->{stream}): 200");
	}
	my $g = $h->goaway(3);
	ok($g, 'GOAWAY after the fifth') or return;
	my $gi = goaway_info($g);
	is($gi->{last_stream}, 9, 'its last stream is 9');
	is($gi->{error_name}, 'NO_ERROR', 'with NO_ERROR');
	my $r = $h->get('/', timeout => 2);
	ok(!defined $r->{status}, 'stream 11 is not answered')
	    or diag(explain($r));
	ok($h->closed(3), 'the connection is closed');
	my $h2 = h2conn(port => $p2);
	is($h2 ? $h2->get('/')->{status} : undef, '200',
	    'a new connection gets 200');
	$t2->check_logs;
};

done_testing;
