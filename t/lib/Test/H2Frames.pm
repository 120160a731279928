package Test::H2Frames;

# A small HTTP/2 client that writes raw frames (RFC 9113), for tests that
# must send what a well-behaved client never would: floods, resets,
# endless CONTINUATION, HPACK bombs.  Its HPACK encoder writes literals
# without Huffman coding (RFC 7541 6.2); its decoder reads what a server
# sends as long as the client asked for no dynamic table (the preface
# sends SETTINGS_HEADER_TABLE_SIZE = 0), with Huffman strings decoded
# when they are made of digits (a :status) and left undefined otherwise.
# Core Perl only; every read and write has a deadline.
#
#     use Test::H2Frames qw(:all);
#     my $h = Test::H2Frames->new(port => $p);       # connected, or undef
#     $h->preface(INITIAL_WINDOW_SIZE, 0);           # PRI..., SETTINGS
#     $h->handshake;                                 # their SETTINGS, ACKs
#     $h->send(frame(HEADERS, END_STREAM | END_HEADERS, 1,
#         request_block('/')));
#     my $f = $h->read_frame(2);   # {type, flags, stream, payload} or undef
#     my $g = $h->wait_frame(sub { $_[0]{type} == GOAWAY }, 5);
#     my $r = $h->get('/');        # {status, headers, body, rst, frames}
#     $h->closed(5);               # true once the server closed
#     goaway_info($g);             # {last_stream, error, error_name, debug}

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

use constant {
	# Frame types
	DATA => 0, HEADERS => 1, PRIORITY => 2, RST_STREAM => 3,
	SETTINGS => 4, PUSH_PROMISE => 5, PING => 6, GOAWAY => 7,
	WINDOW_UPDATE => 8, CONTINUATION => 9,
	# Flags
	END_STREAM => 0x1, ACK => 0x1, END_HEADERS => 0x4, PADDED => 0x8,
	# Settings
	HEADER_TABLE_SIZE => 1, ENABLE_PUSH => 2, MAX_CONCURRENT_STREAMS => 3,
	INITIAL_WINDOW_SIZE => 4, MAX_FRAME_SIZE => 5,
	MAX_HEADER_LIST_SIZE => 6,
	# Error codes
	NO_ERROR => 0, PROTOCOL_ERROR => 1, INTERNAL_ERROR => 2,
	FLOW_CONTROL_ERROR => 3, SETTINGS_TIMEOUT => 4, STREAM_CLOSED => 5,
	FRAME_SIZE_ERROR => 6, REFUSED_STREAM => 7, CANCEL => 8,
	COMPRESSION_ERROR => 9, CONNECT_ERROR => 10, ENHANCE_YOUR_CALM => 11,
	INADEQUATE_SECURITY => 12, HTTP_1_1_REQUIRED => 13,
};

my @TYPES = qw(DATA HEADERS PRIORITY RST_STREAM SETTINGS PUSH_PROMISE PING
    GOAWAY WINDOW_UPDATE CONTINUATION);
my @ERRORS = qw(NO_ERROR PROTOCOL_ERROR INTERNAL_ERROR FLOW_CONTROL_ERROR
    SETTINGS_TIMEOUT STREAM_CLOSED FRAME_SIZE_ERROR REFUSED_STREAM CANCEL
    COMPRESSION_ERROR CONNECT_ERROR ENHANCE_YOUR_CALM INADEQUATE_SECURITY
    HTTP_1_1_REQUIRED);

our @EXPORT_OK = (@TYPES, @ERRORS, qw(END_STREAM ACK END_HEADERS PADDED
    HEADER_TABLE_SIZE ENABLE_PUSH MAX_CONCURRENT_STREAMS INITIAL_WINDOW_SIZE
    MAX_FRAME_SIZE MAX_HEADER_LIST_SIZE PREFACE frame settings_frame
    rst_frame ping_frame window_frame hpack_int hpack_literal
    hpack_literal_indexed hpack_indexed request_block decode_block
    goaway_info rst_error frame_content type_name error_name describe));
our %EXPORT_TAGS = (all => \@EXPORT_OK);

use constant PREFACE => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

sub type_name  { $TYPES[ $_[0] ] // "type $_[0]" }
sub error_name { $ERRORS[ $_[0] ] // "error $_[0]" }

# ---------------------------------------------------------------------------
# Frames

sub frame {
	my ($type, $flags, $stream, $payload) = @_;
	$payload //= '';
	my $len = length $payload;
	return pack('CnCCN', $len >> 16, $len & 0xffff, $type, $flags,
	    $stream & 0x7fffffff) . $payload;
}

# SETTINGS with id => value pairs, in order.
sub settings_frame {
	my (@kv) = @_;
	my $p = '';
	while (my ($id, $v) = splice @kv, 0, 2) {
		$p .= pack('nN', $id, $v);
	}
	return frame(SETTINGS, 0, 0, $p);
}

sub rst_frame    { frame(RST_STREAM, 0, $_[0], pack('N', $_[1] // CANCEL)) }
sub ping_frame   { frame(PING, $_[1] // 0, 0, $_[0] // "\0" x 8) }
sub window_frame { frame(WINDOW_UPDATE, 0, $_[0], pack('N', $_[1])) }

# A human line for a frame, for diagnostics.
sub describe {
	my ($f) = @_;
	return 'none' unless $f;
	my $s = sprintf '%s flags=0x%02x stream=%d len=%d',
	    type_name($f->{type}), $f->{flags}, $f->{stream},
	    length $f->{payload};
	if ($f->{type} == GOAWAY) {
		my $g = goaway_info($f);
		$s .= " last=$g->{last_stream} $g->{error_name}";
		$s .= " \"$g->{debug}\"" if length $g->{debug};
	} elsif ($f->{type} == RST_STREAM) {
		$s .= ' ' . error_name(rst_error($f));
	}
	return $s;
}

sub goaway_info {
	my ($f) = @_;
	my ($last, $err) = unpack('NN', $f->{payload});
	return { last_stream => $last & 0x7fffffff, error => $err,
	    error_name => error_name($err),
	    debug => substr($f->{payload}, 8) };
}

sub rst_error { unpack('N', $_[0]{payload}) }

# What a frame carries: the data of a DATA frame, the header block
# fragment of a HEADERS or CONTINUATION one, without padding and
# priority fields.
sub frame_content {
	my ($f) = @_;
	my $p = $f->{payload};
	return $p unless $f->{type} == HEADERS || $f->{type} == DATA;
	my $pad = 0;
	if ($f->{flags} & PADDED) {
		$pad = ord $p;
		$p = substr($p, 1);
	}
	$p = substr($p, 5) if $f->{type} == HEADERS && $f->{flags} & 0x20;
	return substr($p, 0, length($p) - $pad);
}

# ---------------------------------------------------------------------------
# HPACK (RFC 7541): the encoder's pieces, no Huffman coding

# An integer with an n-bit prefix; first holds the bits above the prefix.
sub hpack_int {
	my ($v, $n, $first) = @_;
	my $max = (1 << $n) - 1;
	return chr(($first // 0) | $v) if $v < $max;
	my $s = chr(($first // 0) | $max);
	$v -= $max;
	while ($v >= 128) {
		$s .= chr(($v & 0x7f) | 0x80);
		$v >>= 7;
	}
	return $s . chr($v);
}

sub _str { hpack_int(length $_[0], 7, 0) . $_[0] }

# Literal field without indexing, new name (6.2.2).
sub hpack_literal { "\x00" . _str($_[0]) . _str($_[1]) }

# Literal field with incremental indexing, new name (6.2.1): it enters
# the dynamic table at index 62.
sub hpack_literal_indexed { "\x40" . _str($_[0]) . _str($_[1]) }

# Indexed field (6.1): 1 to 61 static, 62 on the dynamic table.
sub hpack_indexed { hpack_int($_[0], 7, 0x80) }

# The header block of a request: the pseudo-header fields, then more
# [name, value] pairs.  opts: method (GET), scheme (http), authority
# (127.0.0.1), fields.
sub request_block {
	my ($path, %o) = @_;
	my $b = hpack_literal(':method', $o{method} // 'GET')
	    . hpack_literal(':scheme', $o{scheme} // 'http')
	    . hpack_literal(':authority', $o{authority} // '127.0.0.1')
	    . hpack_literal(':path', $path);
	$b .= hpack_literal(@$_) for @{ $o{fields} // [] };
	return $b;
}

# ---------------------------------------------------------------------------
# HPACK: a decoder for a peer that keeps no dynamic table for us

my @STATIC = (undef,
    [':authority', ''], [':method', 'GET'], [':method', 'POST'],
    [':path', '/'], [':path', '/index.html'], [':scheme', 'http'],
    [':scheme', 'https'], [':status', '200'], [':status', '204'],
    [':status', '206'], [':status', '304'], [':status', '400'],
    [':status', '404'], [':status', '500'], ['accept-charset', ''],
    ['accept-encoding', 'gzip, deflate'], ['accept-language', ''],
    ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''],
    ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
    ['content-disposition', ''], ['content-encoding', ''],
    ['content-language', ''], ['content-length', ''], ['content-location', ''],
    ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
    ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''],
    ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''],
    ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''],
    ['link', ''], ['location', ''], ['max-forwards', ''],
    ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
    ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
    ['set-cookie', ''], ['strict-transport-security', ''],
    ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
    ['www-authenticate', '']);

# Huffman codes of the digits (RFC 7541 Appendix B): enough for :status.
my %HUFF_DIGIT = ('00000' => 0, '00001' => 1, '00010' => 2, '011001' => 3,
    '011010' => 4, '011011' => 5, '011100' => 6, '011101' => 7,
    '011110' => 8, '011111' => 9);

sub _huff_digits {
	my ($s) = @_;
	my $bits = unpack('B*', $s);
	my ($out, $cur) = ('', '');
	for my $b (split //, $bits) {
		$cur .= $b;
		if (exists $HUFF_DIGIT{$cur}) {
			$out .= $HUFF_DIGIT{$cur};
			$cur = '';
		} elsif (length $cur > 6) {
			last if $cur =~ /^1+$/;	# EOS padding
			return undef;
		}
	}
	return $cur =~ /^1*$/ ? $out : undef;
}

sub _get_int {
	my ($buf, $pos, $n) = @_;
	my $v = ord(substr($$buf, $$pos++, 1)) & ((1 << $n) - 1);
	return $v if $v < (1 << $n) - 1;
	my $m = 0;
	while ($$pos < length $$buf) {
		my $b = ord(substr($$buf, $$pos++, 1));
		$v += ($b & 0x7f) << $m;
		$m += 7;
		last unless $b & 0x80;
	}
	return $v;
}

sub _get_str {
	my ($buf, $pos) = @_;
	my $huff = ord(substr($$buf, $$pos, 1)) & 0x80;
	my $len = _get_int($buf, $pos, 7);
	my $s = substr($$buf, $$pos, $len);
	$$pos += $len;
	return $huff ? _huff_digits($s) : $s;
}

# [[name, value], ...] of a header block (a name or value Huffman coded
# with more than digits is undef).  Dies on a dynamic table reference.
sub decode_block {
	my ($block) = @_;
	my ($pos, @f) = (0);
	while ($pos < length $block) {
		my $b = ord(substr($block, $pos, 1));
		if ($b & 0x80) {
			my $i = _get_int(\$block, \$pos, 7);
			die "HPACK: dynamic table index $i\n"
			    unless $STATIC[$i];
			push @f, [ @{ $STATIC[$i] } ];
		} elsif (($b & 0xe0) == 0x20) {
			_get_int(\$block, \$pos, 5);	# table size update
		} else {
			my $n = ($b & 0xc0) == 0x40 ? 6 : 4;
			my $i = _get_int(\$block, \$pos, $n);
			die "HPACK: dynamic table index $i\n"
			    if $i && !$STATIC[$i];
			my $name = $i ? $STATIC[$i][0]
			    : _get_str(\$block, \$pos);
			push @f, [ $name, _get_str(\$block, \$pos) ];
		}
	}
	return \@f;
}

# ---------------------------------------------------------------------------
# The connection

# Connect to 127.0.0.1:port.  opts: timeout (5 s, the default deadline of
# reads and writes).  undef when the connection fails.
sub new {
	my ($class, %o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $o{host} // '127.0.0.1',
	    PeerPort => $o{port}, Proto => 'tcp', Timeout => $o{timeout} // 5)
	    or return undef;
	$s->blocking(0);
	return bless { sock => $s, rbuf => '', timeout => $o{timeout} // 5,
	    next_id => 1, eof => 0, frames => [], sent => 0 }, $class;
}

sub sock { $_[0]{sock} }

# Write all of the bytes before the deadline.  False when the connection
# failed (error() says why) or the peer did not take them in time.
sub send {
	my ($self, $bytes, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	my $sel = IO::Select->new($self->{sock});
	my $off = 0;
	local $SIG{PIPE} = 'IGNORE';
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off,
		    $off);
		if (defined $n) {
			$off += $n;
			$self->{sent} += $n;
			next;
		}
		if ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
			$self->{error} = "write: $!";
			return 0;
		}
		my $left = $deadline - time;
		if ($left <= 0) {
			$self->{error} = "write: not taken in time";
			return 0;
		}
		$sel->can_write($left);
	}
	return 1;
}

sub error { $_[0]{error} }

# The client connection preface and a SETTINGS frame: header table size
# 0 (so that decode_block can read the answers), then the settings given.
sub preface {
	my ($self, @settings) = @_;
	return $self->send(PREFACE . settings_frame(HEADER_TABLE_SIZE, 0,
	    ENABLE_PUSH, 0, @settings));
}

# One frame, or undef when none came within timeout seconds or the
# connection ended (eof() tells which).
sub read_frame {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	my $sel = IO::Select->new($self->{sock});
	while (1) {
		if (length $self->{rbuf} >= 9) {
			my ($hi, $lo, $type, $flags, $sid) = unpack('CnCCN',
			    $self->{rbuf});
			my $len = ($hi << 16) | $lo;
			if (length $self->{rbuf} >= 9 + $len) {
				my $f = { type => $type, flags => $flags,
				    stream => $sid & 0x7fffffff,
				    payload => substr($self->{rbuf}, 9, $len) };
				substr($self->{rbuf}, 0, 9 + $len, '');
				return $f;
			}
		}
		return undef if $self->{eof};
		my $left = $deadline - time;
		return undef if $left <= 0;
		next unless $sel->can_read($left);
		my $n = sysread($self->{sock}, $self->{rbuf}, 65536,
		    length $self->{rbuf});
		if (!defined $n) {
			next if $! == EAGAIN || $! == EWOULDBLOCK ||
			    $! == EINTR;
			$self->{eof} = 1;
			$self->{error} = "read: $!";
		} elsif ($n == 0) {
			$self->{eof} = 1;
		}
	}
}

sub eof { $_[0]{eof} }

# Read frames until cond(frame) is true: that frame, or undef on a
# timeout or the end of the connection.  The server's SETTINGS get
# their ACK; every frame read is kept in frames().
sub wait_frame {
	my ($self, $cond, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	while (1) {
		my $left = $deadline - time;
		my $f = $self->read_frame($left > 0 ? $left : 0)
		    or return undef;
		push @{ $self->{frames} }, $f;
		if ($f->{type} == SETTINGS && !($f->{flags} & ACK) &&
		    !$self->{no_ack}) {
			$self->send(frame(SETTINGS, ACK, 0, ''));
		}
		return $f if $cond->($f);
	}
}

sub frames { @{ $_[0]{frames} } }

# The server's SETTINGS (ACKed, unless no_ack => 1) and the ACK of ours.
# The server's settings as { id => value }, or undef.
sub handshake {
	my ($self, %o) = @_;
	local $self->{no_ack} = $o{no_ack};
	my ($theirs, $acked);
	$self->wait_frame(sub {
		my ($f) = @_;
		if ($f->{type} == SETTINGS) {
			if ($f->{flags} & ACK) {
				$acked = 1;
			} else {
				my %s = unpack('(nN)*', $f->{payload});
				$theirs = \%s;
			}
		}
		return $theirs && $acked;
	}, $o{timeout});
	return $acked ? $theirs : undef;
}

# Read until the server closes (EOF or a reset): true if it did within
# timeout seconds.  Frames read on the way are kept in frames().
sub closed {
	my ($self, $timeout) = @_;
	$self->wait_frame(sub { 0 }, $timeout);
	return $self->{eof};
}

# The first GOAWAY among the frames read so far, or read within timeout.
sub goaway {
	my ($self, $timeout) = @_;
	my ($g) = grep { $_->{type} == GOAWAY } $self->frames;
	return $g // $self->wait_frame(sub { $_[0]{type} == GOAWAY }, $timeout);
}

# A new client stream id.
sub next_id {
	my ($self) = @_;
	my $id = $self->{next_id};
	$self->{next_id} += 2;
	return $id;
}

# Send a request with END_STREAM on a new stream: its id.
sub request {
	my ($self, $path, %o) = @_;
	my $id = $o{stream} // $self->next_id;
	$self->send(frame(HEADERS, END_STREAM | END_HEADERS, $id,
	    request_block($path, %o))) or return undef;
	return $id;
}

# The answer on stream id: {status, headers, body, rst (error code),
# goaway (frame), done (END_STREAM seen)}; reads until END_STREAM, a
# RST_STREAM on it, the end of the connection or the deadline.  WINDOW
# UPDATE gives back what its DATA took, unless opts{no_window}.
sub response {
	my ($self, $id, %o) = @_;
	my $r = { stream => $id, body => '', headers => [], done => 0 };
	my $block = '';
	$self->wait_frame(sub {
		my ($f) = @_;
		$r->{goaway} = $f if $f->{type} == GOAWAY;
		return 0 unless $f->{stream} == $id;
		if ($f->{type} == HEADERS || $f->{type} == CONTINUATION) {
			$block .= frame_content($f);
			if ($f->{flags} & END_HEADERS) {
				my $fields = decode_block($block);
				$block = '';
				my ($st) = map { $_->[1] }
				    grep { $_->[0] eq ':status' } @$fields;
				if (defined $st && $st =~ /^1/) {
					push @{ $r->{interim} }, $st;
				} else {
					$r->{status} = $st;
					$r->{headers} = $fields;
				}
			}
		} elsif ($f->{type} == DATA) {
			$r->{body} .= $f->{payload};
			if (length $f->{payload} && !$o{no_window}) {
				my $n = length $f->{payload};
				$self->send(window_frame(0, $n)
				    . window_frame($id, $n));
			}
		} elsif ($f->{type} == RST_STREAM) {
			$r->{rst} = rst_error($f);
			return 1;
		}
		$r->{done} = 1 if $f->{type} != CONTINUATION &&
		    ($f->{flags} & END_STREAM);
		return $r->{done};
	}, $o{timeout});
	return $r;
}

# A whole GET on a new stream.
sub get {
	my ($self, $path, %o) = @_;
	my $id = $self->request($path, %o);
	return { error => $self->error } unless defined $id;
	return $self->response($id, %o);
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
}

1;
