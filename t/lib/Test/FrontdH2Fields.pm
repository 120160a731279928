package Test::FrontdH2Fields;

# An HTTP/2 client that reads whole answers, fields and all: frontd's
# header blocks are decoded by a few lines of C against libnghttp2 (which
# frontd is built with), compiled in the test's dir, so that Huffman
# coded names and values read as they are meant.  Frames go through
# Test::H2Frames, which asks for no dynamic table: each block decodes on
# its own.  Several streams run at once on one connection; each gets its
# head, its body, its trailers, its reset, and the list of its frames.
#
#     my $dec = Test::FrontdH2Fields->decoder($t);   # undef: no cc/libnghttp2
#     my $c = Test::FrontdH2Fields->connect($t, $dec, port => $p) or die;
#     my $id = $c->send('/x', fields => [ 'accept-encoding' => 'br' ]);
#     my $id = $c->send('/up', method => 'POST', open => 1);
#     $c->data($id, 'bytes', end => 1);
#     my $r = $c->wait($id, 5);   # or wait([ids], 5): a hash of them
#     # $r: {status, fields [[n, v]...], field {n => 'v1, v2'}, trailers,
#     #      body, done (END_STREAM), rst (error code), frames ['HEADERS
#     #      END_STREAM', 'DATA', ...]}
#     $c->hold($id); ... $c->release($id);   # its window held back
#     $c->alive;                  # a PING comes back: the connection lives

use strict;
use warnings;

use Time::HiRes qw(time);
use Test::H2Frames qw(:all);

# Compile the decoder once per test dir: an object, or undef when this
# machine cannot (no compiler or no libnghttp2 headers).
sub decoder {
	my ($class, $t) = @_;
	my $dir = $t->dir;
	return $t->{h2_decoder} if $t->{h2_decoder};
	$t->spew("$dir/hpdec.c", <<'C');
#include <stdint.h>
#include <stdio.h>
#include <nghttp2/nghttp2.h>
/*
 * One header block on stdin; each field on stdout as "NAMELEN VALUELEN\n"
 * then the name and the value.  Exit 1 on a block that does not decode.
 */
int main(void) {
	static uint8_t in[1 << 20];
	size_t len = fread(in, 1, sizeof in, stdin);
	uint8_t *p = in;
	nghttp2_hd_inflater *inf;
	if (nghttp2_hd_inflate_new(&inf) != 0)
		return 2;
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &fl, p, len, 1);
		if (rv < 0)
			return 1;
		p += rv;
		len -= (size_t)rv;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			printf("%zu %zu\n", nv.namelen, nv.valuelen);
			fwrite(nv.name, 1, nv.namelen, stdout);
			fwrite(nv.value, 1, nv.valuelen, stdout);
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL)
			break;
		if (rv == 0 && len == 0)
			return 1;
	}
	nghttp2_hd_inflate_del(inf);
	return 0;
}
C
	my $cc = $ENV{CC} // 'cc';
	$cc = 'cc' unless $cc =~ /^[\w.+\/-]+$/;
	return undef if system("$cc -o '$dir/hpdec' '$dir/hpdec.c' -lnghttp2 "
	    . ">'$dir/hpdec.log' 2>&1") != 0;
	return $t->{h2_decoder} = bless { t => $t, dir => $dir, n => 0 },
	    $class;
}

# A header block: [[name, value], ...], or undef when it does not decode.
sub decode {
	my ($self, $block) = @_;
	my ($t, $dir) = @$self{qw(t dir)};
	$t->spew("$dir/hpdec.in", $block);
	return undef if system("'$dir/hpdec' <'$dir/hpdec.in' "
	    . ">'$dir/hpdec.out'") != 0;
	my $out = $t->slurp("$dir/hpdec.out");
	my @f;
	while ($out =~ s/\A(\d+) (\d+)\n//) {
		my ($nl, $vl) = ($1, $2);
		return undef if length $out < $nl + $vl;
		push @f, [ substr($out, 0, $nl), substr($out, $nl, $vl) ];
		substr($out, 0, $nl + $vl) = '';
	}
	return length $out ? undef : \@f;
}

# A new connection, preface and settings exchanged (opts of
# Test::H2Frames->new, and settings => [id, value, ...]).  undef when it
# fails.
sub connect {
	my ($class, $t, $dec, %o) = @_;
	my $port = $o{port} // $t->{port};
	my $h = Test::H2Frames->new(port => $port,
	    timeout => $o{timeout} // 5) or return undef;
	$h->preface(@{ $o{settings} // [] }) or return undef;
	$h->handshake or return undef;
	return bless { h => $h, dec => $dec, s => {}, ping => 0,
	    authority => "127.0.0.1:$port" }, $class;
}

sub h2 { $_[0]{h} }

# Open a stream: its id.  opts: method (GET), authority (127.0.0.1:PORT,
# as Test::Frontd's HTTP/1.1 requests have in Host), scheme, fields
# (pairs), body (one DATA frame that ends the stream), open (the body
# follows with data()).
sub send {
	my ($self, $path, %o) = @_;
	my $h = $self->{h};
	my $id = $h->next_id;
	my @f = @{ $o{fields} // [] };
	my @pairs;
	push @pairs, [ splice @f, 0, 2 ] while @f;
	my $block = request_block($path, method => $o{method} // 'GET',
	    authority => $o{authority} // $self->{authority},
	    scheme => $o{scheme} // 'http', fields => \@pairs);
	my $es = defined $o{body} || $o{open} ? 0 : END_STREAM;
	my $out = frame(HEADERS, END_HEADERS | $es, $id, $block);
	$out .= frame(DATA, END_STREAM, $id, $o{body}) if defined $o{body};
	$self->{s}{$id} = { id => $id, body => '', fields => [], field => {},
	    trailers => [], done => 0, frames => [], block => '' };
	$h->send($out) or return undef;
	return $id;
}

# A DATA frame on a stream opened with open => 1 (end => 1 ends it).
# False when frontd did not take it.
sub data {
	my ($self, $id, $bytes, %o) = @_;
	return $self->{h}->send(frame(DATA, $o{end} ? END_STREAM : 0, $id,
	    $bytes));
}

sub stream { $_[0]{s}{$_[1]} }

# Keep back the window of a stream (its DATA still gives back that of
# the connection), or give back what was kept.
sub hold { $_[0]{s}{$_[1]}{held} = 1 }

sub release {
	my ($self, $id) = @_;
	my $s = $self->{s}{$id};
	delete $s->{held};
	my $n = delete $s->{owed} // 0;
	$self->{h}->send(window_frame($id, $n)) if $n;
}

sub _over { my ($s) = @_; $s->{done} || defined $s->{rst} }

# Read frames until every stream of ids (one id or an array ref) has
# ended or been reset, the connection ends, or timeout seconds pass.
# One id: its record; several: { id => record }.  opts: until (a code
# ref: stop as soon as it returns true).
sub wait {
	my ($self, $ids, $timeout, %o) = @_;
	my @ids = ref $ids ? @$ids : ($ids);
	my $h = $self->{h};
	my $deadline = time + ($timeout // 5);
	while (grep { !_over($self->{s}{$_}) } @ids) {
		last if $o{until} && $o{until}->();
		my $left = $deadline - time;
		last if $left <= 0;
		my $f = $h->read_frame($left) or last;
		$self->_frame($f);
	}
	return ref $ids ? { map { $_ => $self->{s}{$_} } @ids }
	    : $self->{s}{$ids};
}

# True when a PING is answered within timeout seconds (frames of streams
# read meanwhile are kept).
sub alive {
	my ($self, $timeout) = @_;
	my $h = $self->{h};
	my $data = pack('NN', 0x66726f6e, ++$self->{ping});
	$h->send(ping_frame($data)) or return 0;
	my $deadline = time + ($timeout // 5);
	while ((my $left = $deadline - time) > 0) {
		my $f = $h->read_frame($left) or return 0;
		return 1 if $f->{type} == PING && ($f->{flags} & ACK)
		    && $f->{payload} eq $data;
		$self->_frame($f);
	}
	return 0;
}

# The first GOAWAY read, if any.
sub goaway { $_[0]{goaway} }

sub _frame {
	my ($self, $f) = @_;
	my $h = $self->{h};
	if ($f->{type} == SETTINGS && !($f->{flags} & ACK)) {
		$h->send(frame(SETTINGS, ACK, 0, ''));
		return;
	}
	if ($f->{type} == PING && !($f->{flags} & ACK)) {
		$h->send(ping_frame($f->{payload}, ACK));
		return;
	}
	if ($f->{type} == GOAWAY) {
		$self->{goaway} //= goaway_info($f);
		return;
	}
	my $s = $self->{s}{ $f->{stream} } or return;
	my $name = type_name($f->{type});
	$name .= ' END_STREAM' if ($f->{type} == HEADERS || $f->{type} == DATA)
	    && ($f->{flags} & END_STREAM);
	push @{ $s->{frames} }, $name;
	if ($f->{type} == HEADERS || $f->{type} == CONTINUATION) {
		$s->{es} = $f->{flags} & END_STREAM if $f->{type} == HEADERS;
		$s->{block} .= frame_content($f);
		if ($f->{flags} & END_HEADERS) {
			$self->_block($s, $s->{block});
			$s->{block} = '';
			$s->{done} = 1 if $s->{es};
		}
	} elsif ($f->{type} == DATA) {
		my $n = length $f->{payload};
		$s->{body} .= frame_content($f);
		$s->{done} = 1 if $f->{flags} & END_STREAM;
		return unless $n;
		my $w = window_frame(0, $n);
		if ($s->{held}) {
			$s->{owed} += $n;
		} elsif (!$s->{done}) {
			$w .= window_frame($f->{stream}, $n);
		}
		$h->send($w);
	} elsif ($f->{type} == RST_STREAM) {
		$s->{rst} = rst_error($f);
	}
}

sub _block {
	my ($self, $s, $block) = @_;
	my $fields = $self->{dec}->decode($block);
	if (!$fields) {
		$s->{error} = 'a header block that does not decode';
		return;
	}
	my ($st) = map { $_->[1] } grep { $_->[0] eq ':status' } @$fields;
	if (defined $st && $st =~ /^1/) {
		push @{ $s->{interim} }, $st;
	} elsif (!defined $s->{status}) {
		$s->{status} = $st;
		$s->{fields} = $fields;
		for (@$fields) {
			my ($n, $v) = @$_;
			$s->{field}{$n} = exists $s->{field}{$n}
			    ? "$s->{field}{$n}, $v" : $v;
		}
	} else {
		push @{ $s->{trailers} }, @$fields;
	}
}

sub close {
	my ($self) = @_;
	$self->{h}->close;
}

1;
