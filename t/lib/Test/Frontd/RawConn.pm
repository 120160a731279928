package Test::Frontd::RawConn;

# The backend's side of one connection from frontd, in a raw_backend
# handler.  Reads give up after 30 s (or the timeout given) and return
# what they have.

use strict;
use warnings;
use Errno qw(EINTR EAGAIN);
use IO::Select;

my $RAW_READ_S = 30;		# a read gives up after this

sub new {
	my ($class, $sock, $rec, $n) = @_;
	open my $all, '>>', $rec or die "$rec: $!";
	open my $one, '>>', "$rec.$n" or die "$rec.$n: $!";
	binmode $_ for $all, $one;
	return bless { sock => $sock, buf => '', rec => $all, crec => $one,
	    notes => "$rec.notes", n => $n, eof => 0 }, $class;
}

sub n    { $_[0]{n} }		# this connection's number, from 1
sub sock { $_[0]{sock} }
sub at_eof { $_[0]{eof} }
sub buffered { $_[0]{buf} }	# read but not yet taken

# Read what is there (waiting up to timeout): bytes read, 0 at EOF or
# reset, undef on timeout.
sub fill {
	my ($self, $timeout) = @_;
	return 0 if $self->{eof};
	my $sel = IO::Select->new($self->{sock});
	return undef unless $sel->can_read($timeout // $RAW_READ_S);
	my $n;
	do { $n = sysread($self->{sock}, my $chunk, 65536);
		if ($n) {
			syswrite($self->{rec}, $chunk);
			syswrite($self->{crec}, $chunk);
			$self->{buf} .= $chunk;
		}
	} while (!defined $n && ($! == EINTR || $! == EAGAIN));
	$self->{eof} = 1 unless $n;
	return $n || 0;
}

sub _take {
	my ($self, $n) = @_;
	return substr($self->{buf}, 0, $n, '');
}

# The head up to and with CRLFCRLF, or undef at EOF (or timeout).
sub read_head {
	my ($self, $timeout) = @_;
	while ((my $e = index($self->{buf}, "\r\n\r\n")) < 0) {
		return undef unless $self->fill($timeout);
	}
	return $self->_take(index($self->{buf}, "\r\n\r\n") + 4);
}

# n bytes, or fewer at EOF (or timeout).
sub read_bytes {
	my ($self, $n, $timeout) = @_;
	while (length $self->{buf} < $n) {
		last unless $self->fill($timeout);
	}
	return $self->_take($n);
}

# The raw bytes of a chunked body up to its end (last chunk and
# trailers); at EOF or on a malformed body, what there is ($c->{error}).
sub read_chunked_raw {
	my ($self, $timeout) = @_;
	delete $self->{error};
	while (1) {
		my ($len, $why) = Test::Frontd::_chunked_extent($self->{buf});
		return $self->_take($len) if defined $len && $len >= 0;
		if (defined $len) {
			$self->{error} = $why;
			return $self->_take(length $self->{buf});
		}
		unless ($self->fill($timeout)) {
			$self->{error} = 'incomplete chunked body';
			return $self->_take(length $self->{buf});
		}
	}
}

# Everything until EOF (or timeout).
sub read_until_eof {
	my ($self, $timeout) = @_;
	1 while $self->fill($timeout);
	return $self->_take(length $self->{buf});
}

# One request, parsed (see parse_requests), body read; undef at EOF.
sub read_request {
	my ($self, $timeout) = @_;
	my $head = $self->read_head($timeout) // return undef;
	my $r = Test::Frontd::_request_from_head($head);
	my $te = lc join ',', @{ $r->{headers}{'transfer-encoding'} // [] };
	my $cl = $r->{headers}{'content-length'};
	if ($te =~ /chunked/) {
		$r->{chunked} = 1;
		$r->{raw_body} = $self->read_chunked_raw($timeout);
		my ($len, $body, $trailer) = Test::Frontd::_chunked_extent($r->{raw_body});
		if (defined $len && $len >= 0) {
			$r->{body} = $body;
			$r->{trailers} = Test::Frontd::parse_head("\r\n$trailer")->{headers};
		} else {
			$r->{complete} = 0;
		}
	} elsif ($cl && $cl->[0] =~ /^\d+\z/) {
		$r->{raw_body} = $r->{body} = $self->read_bytes($cl->[0], $timeout);
		$r->{complete} = 0 if length $r->{body} < $cl->[0];
	}
	return $r;
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

my %RAW_REASON = (100 => 'Continue', 101 => 'Switching Protocols', 200 => 'OK',
    204 => 'No Content', 304 => 'Not Modified', 400 => 'Bad Request',
    404 => 'Not Found', 500 => 'Internal Server Error');

# Write a response with a Content-Length (none for 1xx, 204, 304):
# opts body, headers (array ref of pairs), head => 1 (no body, as for
# HEAD), reason.
sub respond {
	my ($self, $status, %o) = @_;
	my $body = $o{body} // '';
	my @h = @{ $o{headers} // [] };
	my $r = "HTTP/1.1 $status " . ($o{reason} // $RAW_REASON{$status} // 'Status') . "\r\n";
	while (my ($k, $v) = splice @h, 0, 2) {
		$r .= "$k: $v\r\n";
	}
	my $bodyless = $status < 200 || $status == 204 || $status == 304;
	$r .= "Content-Length: " . length($body) . "\r\n" unless $bodyless;
	$r .= "\r\n";
	$r .= $body unless $bodyless || $o{head};
	return $self->write($r);
}

# Append a line to the backend's notes file ($t->notes($be)).
sub note {
	my ($self, $text) = @_;
	open my $fh, '>>', $self->{notes} or return;
	syswrite($fh, "$self->{n}: $text\n");
	close $fh;
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
	$self->{eof} = 1;
}

1;
