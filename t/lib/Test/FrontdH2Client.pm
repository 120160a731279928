package Test::FrontdH2Client;

# A small HTTP/2 client on a plain socket that writes its frames by hand,
# for what the command-line clients cannot do: fields exactly as given
# (two cookie fields), a stream reset in the middle of its body, the flow
# control window of one stream held back.  Request heads are HPACK
# literals without indexing and without Huffman coding.  Of a response
# head only the status is read: from the static table, or a literal of
# three digits, Huffman-coded or not (anything else reads as "?").
#
#     my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
#     my $id = $h->request('GET', '/x', authority => 'a.example:80',
#         fields => [ cookie => 'a=1', cookie => 'b=2' ]);
#     $h->hold($id);                   # its window is not given back
#     $h->pump(5, sub { $h->stream($id)->{end} });   # read frames
#     $h->release($id); $h->reset($id);
#     $id = $h->request('POST', '/up', open => 1); $h->data($id, 'x', end => 1);
#     my $s = $h->stream($id);  # {status, body, got, end, rst, frames}
#     $h->{goaway}              # {last, code} once a GOAWAY came
#
# The window of the connection is given back as DATA arrives, and that of
# each stream unless held.

use strict;
use warnings;

use Errno qw(EINTR EAGAIN);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);
use Test::H2Frames qw(frame frame_content hpack_literal decode_block);

use constant {
	DATA => 0, HEADERS => 1, RST_STREAM => 3, SETTINGS => 4, PING => 6,
	GOAWAY => 7, WINDOW_UPDATE => 8, CONTINUATION => 9,
	END_STREAM => 0x1, ACK => 0x1, END_HEADERS => 0x4, CANCEL => 8,
};

# Connect, send the preface and SETTINGS (no server push, no dynamic
# table: every status can be read).  opts: port,
# timeout (of the connect, 5).  Undef with $! set when it fails.
sub new {
	my ($class, %o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $o{port}, Proto => 'tcp', Timeout => $o{timeout} // 5)
	    or return undef;
	$SIG{PIPE} = 'IGNORE';
	my $self = bless { sock => $s, buf => '', eof => 0, next_id => 1,
	    streams => {}, held => {}, owed => {}, frames => [] }, $class;
	$self->write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	    . frame(SETTINGS, 0, 0, pack('nNnN', 2, 0, 1, 0)));
	return $self;
}

sub write {
	my ($self, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			return 0;
		}
		$off += $n;
	}
	return 1;
}

# Open a stream: its id.  opts: authority, scheme (http), fields (pairs,
# sent in that order after the pseudo-header fields), body (sent in one
# DATA frame with END_STREAM; none: END_STREAM on HEADERS, unless open =>
# 1 says the body follows with data()).
sub request {
	my ($self, $method, $path, %o) = @_;
	my $id = $self->{next_id};
	$self->{next_id} += 2;
	my $block = hpack_literal(':method', $method)
	    . hpack_literal(':scheme', $o{scheme} // 'http')
	    . hpack_literal(':path', $path);
	$block .= hpack_literal(':authority', $o{authority})
	    if defined $o{authority};
	my @f = @{ $o{fields} // [] };
	while (my ($k, $v) = splice @f, 0, 2) {
		$block .= hpack_literal($k, $v);
	}
	$self->{streams}{$id} = { id => $id, body => '', got => 0,
	    end => 0, frames => 0, status => undef };
	my $body = $o{body};
	my $es = defined $body || $o{open} ? 0 : END_STREAM;
	my $out = frame(HEADERS, END_HEADERS | $es, $id, $block);
	$out .= frame(DATA, END_STREAM, $id, $body) if defined $body;
	$self->write($out);
	return $id;
}

# A DATA frame of a stream opened with open => 1; end => 1 ends it.
sub data {
	my ($self, $id, $bytes, %o) = @_;
	return $self->write(frame(DATA, $o{end} ? END_STREAM : 0, $id, $bytes));
}

sub stream { $_[0]{streams}{$_[1]} }

# Keep back the window of a stream (hold) or give back what was kept.
sub hold { $_[0]{held}{$_[1]} = 1 }

sub release {
	my ($self, $id) = @_;
	delete $self->{held}{$id};
	my $n = delete $self->{owed}{$id} // 0;
	$self->write(frame(WINDOW_UPDATE, 0, $id, pack('N', $n))) if $n;
}

sub reset {
	my ($self, $id, $code) = @_;
	$self->write(frame(RST_STREAM, 0, $id, pack('N', $code // CANCEL)));
}

# Read and handle frames until cond returns true, frontd closes, or
# timeout seconds pass: the last value of cond.
sub pump {
	my ($self, $timeout, $cond) = @_;
	my $deadline = time + $timeout;
	my $sel = IO::Select->new($self->{sock});
	while (1) {
		$self->_frames;
		my $r = $cond ? $cond->() : 0;
		return $r if $r || $self->{eof};
		my $left = $deadline - time;
		return $r if $left <= 0;
		next unless $sel->can_read($left);
		my $n = sysread($self->{sock}, $self->{buf}, 262144,
		    length $self->{buf});
		next if !defined $n && ($! == EINTR || $! == EAGAIN);
		$self->{eof} = 1 unless $n;
	}
}

sub closed { $_[0]{eof} }

sub _frames {
	my ($self) = @_;
	while (length $self->{buf} >= 9) {
		my ($l1, $l2, $type, $flags, $id) = unpack('CnCCN', $self->{buf});
		my $len = ($l1 << 16) | $l2;
		last if length $self->{buf} < 9 + $len;
		my $p = substr($self->{buf}, 9, $len);
		substr($self->{buf}, 0, 9 + $len) = '';
		$id &= 0x7fffffff;
		push @{ $self->{frames} }, [ $type, $flags, $id, $len ];
		$self->_frame($type, $flags, $id, $p);
	}
}

# The status of a response head block, or "?".
sub _status {
	my ($block) = @_;
	my $fields = eval { decode_block($block) } // [];
	my ($st) = map { $_->[1] } grep { $_->[0] eq ':status' } @$fields;
	return $st // '?';
}

sub _frame {
	my ($self, $type, $flags, $id, $p) = @_;
	my $s = $self->{streams}{$id};
	if ($type == SETTINGS) {
		$self->write(frame(SETTINGS, ACK, 0)) unless $flags & ACK;
	} elsif ($type == PING) {
		$self->write(frame(PING, ACK, 0, $p)) unless $flags & ACK;
	} elsif ($type == GOAWAY) {
		my ($last, $code) = unpack('NN', $p);
		$self->{goaway} = { last => $last & 0x7fffffff, code => $code,
		    data => substr($p, 8) };
	} elsif ($type == HEADERS && $s) {
		$p = frame_content({ type => $type, flags => $flags,
		    payload => $p });
		if (!defined $s->{status} || $s->{status} =~ /^1/) {
			$s->{status} = _status($p);
		}
		$s->{end} = 1 if $flags & END_STREAM;
	} elsif ($type == DATA) {
		my $len = length $p;
		$self->write(frame(WINDOW_UPDATE, 0, 0, pack('N', $len))) if $len;
		return unless $s;
		$p = frame_content({ type => $type, flags => $flags,
		    payload => $p });
		$s->{body} .= $p unless $s->{discard};
		$s->{got} += length $p;
		$s->{frames}++;
		$s->{end} = 1 if $flags & END_STREAM;
		if ($len && !$s->{end}) {
			if ($self->{held}{$id}) {
				$self->{owed}{$id} += $len;
			} else {
				$self->write(frame(WINDOW_UPDATE, 0, $id,
				    pack('N', $len)));
			}
		}
	} elsif ($type == RST_STREAM && $s) {
		$s->{rst} = unpack('N', $p);
	}
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
	$self->{eof} = 1;
}

1;
