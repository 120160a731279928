package Test::Frontd::RawClient;

# A client connection to frontd that reads responses one at a time, so a
# test can see what stays open between requests.

use strict;
use warnings;
use Errno qw(EINTR EAGAIN ECONNRESET);
use IO::Select;
use Time::HiRes qw(time);

sub new {
	my ($class, $sock) = @_;
	$SIG{PIPE} = 'IGNORE';
	return bless { sock => $sock, buf => '', eof => 0, reset => 0 }, $class;
}

sub sock   { $_[0]{sock} }
sub buffer { $_[0]{buf} }
sub closed { $_[0]{eof} }	# frontd closed (EOF or reset)
sub take   { my $b = $_[0]{buf}; $_[0]{buf} = ''; $b }

sub write {
	my ($self, $bytes) = @_;
	return 0 unless $self->{sock};
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

# Read what is there, waiting up to timeout: bytes read, 0 at EOF or
# reset, undef on timeout.
sub fill {
	my ($self, $timeout) = @_;
	return 0 if $self->{eof} || !$self->{sock};
	my $sel = IO::Select->new($self->{sock});
	return undef unless $sel->can_read($timeout);
	my $n;
	do { $n = sysread($self->{sock}, $self->{buf}, 262144, length $self->{buf}) }
	    while (!defined $n && ($! == EINTR || $! == EAGAIN));
	unless ($n) {
		$self->{reset} = 1 if !defined $n && $! == ECONNRESET;
		$self->{eof} = 1;
	}
	return $n || 0;
}

# The next response (a hash, see parse_responses), 1xx ones included;
# opts method (GET), timeout (5).  Returns undef when none arrived in
# time, or a response with complete => 0 when frontd closed mid-way.
sub read_response {
	my ($self, %o) = @_;
	my $deadline = time + ($o{timeout} // 5);
	while (1) {
		my ($r, $n) = Test::Frontd::_parse_response($self->{buf},
		    $o{method}, $self->{eof});
		if ($r) {
			substr($self->{buf}, 0, $n) = '';
			return $r;
		}
		return undef if $self->{eof};
		my $left = $deadline - time;
		return undef if $left <= 0;
		$self->fill($left);
	}
}

# Read until the buffer matches re: true, or false at EOF or timeout.
sub read_until {
	my ($self, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	while ($self->{buf} !~ $re) {
		my $left = $deadline - time;
		return 0 if $left <= 0 || $self->{eof};
		$self->fill($left);
	}
	return 1;
}

# Wait up to timeout (5 s) for frontd to close: 1 when it did, 0 when the
# connection is still open.  Bytes that arrive meanwhile are kept.
sub wait_closed {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	until ($self->{eof}) {
		my $left = $deadline - time;
		return 0 if $left <= 0;
		$self->fill($left);
	}
	return 1;
}

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	delete $self->{sock};
}

1;
