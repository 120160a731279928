package Test::Frontd;

# Test::Frontd, continued: parsers of raw HTTP (heads, responses and
# requests as a backend or a client saw them) and small helpers for
# comparing bodies.  Exported by Test::Frontd on request.

use strict;
use warnings;

# Lower-case tokens of a comma-separated header: header_tokens($r, 'connection').
sub header_tokens {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($m, $name) = @_;
	return map { my $v = lc; $v =~ s/^\s+|\s+$//g; length $v ? $v : () }
	    map { split /,/ } @{ $m->{headers}{ lc $name } // [] };
}

# n bytes of text that compresses like real text: seeded words and
# numbers, the same for the same seed: text_words($n, $seed).
my @TEXT_WORDS = qw(the quick brown fox jumps over lazy dog proxy frontd
    worker upstream route listener compress gzip brotli chunk header body
    request response client server keep alive stream window deflate cache
    stale fresh vary purge age etag hit miss store json html value table);
sub text_words {
	my ($n, $seed) = @_;
	srand($seed);
	my $s = '';
	while (length $s < $n) {
		$s .= join(' ', map { $TEXT_WORDS[int rand @TEXT_WORDS] } 1 .. 12)
		    . sprintf(" %d\n", int rand 100000);
	}
	return substr($s, 0, $n);
}

# A test that two byte strings are equal; on failure the lengths and MD5
# sums, not megabytes of body: same_bytes($got, $want, $name).
sub same_bytes {
	my ($got, $want, $name) = @_;
	require Digest::MD5;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok(defined $got && $got eq $want, $name) or
	    Test::More::diag(sprintf "got %s bytes (md5 %s), want %d bytes "
	    . "(md5 %s)", defined $got ? length $got : 'undef',
	    defined $got ? Digest::MD5::md5_hex($got) : '-', length $want,
	    Digest::MD5::md5_hex($want));
}

# Split a head into its start line and fields.
sub parse_head {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($head) = @_;
	$head =~ s/\r\n\r\n\z//;
	my ($start, @lines) = split /\r\n/, $head, -1;
	my (%h, @f);
	for my $l (@lines) {
		my ($k, $v) = $l =~ /^([^:]*):[ \t]*(.*?)[ \t]*\z/s or next;
		push @f, [ $k, $v ];
		push @{ $h{ lc $k } }, $v;
	}
	return { start => $start // '', headers => \%h, fields => \@f };
}

# The end of a chunked body at the start of s: (length, decoded body,
# trailer text) when complete, () when more bytes are needed, (-1, why)
# when malformed.
sub _chunked_extent {
	my ($s) = @_;
	my ($p, $body) = (0, '');
	while (1) {
		my $e = index($s, "\r\n", $p);
		return () if $e < 0;
		my $line = substr($s, $p, $e - $p);
		return (-1, "bad chunk size line \"$line\"")
		    unless $line =~ /^([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?\z/s;
		my $len = hex $1;
		$p = $e + 2;
		if ($len == 0) {
			my $t0 = $p;
			while (1) {
				my $e2 = index($s, "\r\n", $p);
				return () if $e2 < 0;
				my $empty = $e2 == $p;
				$p = $e2 + 2;
				return ($p, $body, substr($s, $t0, $p - 2 - $t0))
				    if $empty;
			}
		}
		return () if length($s) < $p + $len + 2;
		$body .= substr($s, $p, $len);
		$p += $len;
		return (-1, 'no CRLF after chunk data')
		    unless substr($s, $p, 2) eq "\r\n";
		$p += 2;
	}
}

# One response at the start of buf: (response, bytes used), or () when
# more bytes are needed.  With eof, a cut-short response comes back with
# complete => 0.  method is that of the request (HEAD: no body).
sub _parse_response {
	my ($buf, $method, $eof) = @_;
	my $e = index($buf, "\r\n\r\n");
	if ($e < 0) {
		return () unless $eof && length $buf;
		return ({ status => 0, headers => {}, fields => [], body => '',
		    head => '', raw => $buf, complete => 0,
		    error => 'no complete head' }, length $buf);
	}
	my $head = substr($buf, 0, $e + 4);
	my $h = parse_head($head);
	my %r = (headers => $h->{headers}, fields => $h->{fields}, head => $head,
	    body => '', trailers => {}, complete => 1, framing => 'none');
	unless ($h->{start} =~ m{^HTTP/(\d\.\d) (\d{3})(?: (.*))?\z}) {
		return ({ %r, status => 0, raw => $buf, complete => 0,
		    error => "bad status line \"$h->{start}\"" }, length $buf);
	}
	@r{qw(version status reason)} = ($1, $2, $3 // '');
	my $p = $e + 4;
	my $te = lc join ',', @{ $r{headers}{'transfer-encoding'} // [] };
	my $cl = $r{headers}{'content-length'};
	if ($r{status} < 200 || $r{status} == 204 || $r{status} == 304
	    || uc($method // 'GET') eq 'HEAD') {
		# no body
	} elsif ($te =~ /chunked\s*\z/) {
		$r{framing} = 'chunked';
		my ($len, $body, $trailer) = _chunked_extent(substr($buf, $p));
		if (!defined $len || $len < 0) {
			return () if !defined $len && !$eof;
			$r{complete} = 0;
			$r{error} = defined $len ? $body : 'truncated chunked body';
			$r{body} = substr($buf, $p);
			$p = length $buf;
		} else {
			$r{body} = $body;
			my $t = parse_head("\r\n$trailer");
			$r{trailers} = $t->{headers};
			$p += $len;
		}
	} elsif ($cl) {
		$r{framing} = 'length';
		my $n = $cl->[0] =~ /^\d+\z/ ? $cl->[0] : 0;
		if (length($buf) - $p < $n) {
			return () unless $eof;
			$r{complete} = 0;
			$r{error} = sprintf 'truncated body: %d of %d bytes',
			    length($buf) - $p, $n;
			$r{body} = substr($buf, $p);
			$p = length $buf;
		} else {
			$r{body} = substr($buf, $p, $n);
			$p += $n;
		}
	} else {
		$r{framing} = 'close';
		return () unless $eof;
		$r{body} = substr($buf, $p);
		$p = length $buf;
	}
	$r{raw} = substr($buf, 0, $p);
	return (\%r, $p);
}

# Every response in bytes, in order (1xx ones included); the last one may
# have complete => 0.  opts: methods => [...] of the requests (default
# GET), eof => 0 when more bytes may follow (then an unfinished last
# response is left out).
sub parse_responses {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($bytes, %o) = @_;
	my @m = @{ $o{methods} // [] };
	my $eof = $o{eof} // 1;
	my @r;
	while (length $bytes) {
		my ($r, $n) = _parse_response($bytes, $m[0], $eof) or last;
		push @r, $r;
		substr($bytes, 0, $n) = '';
		shift @m if $r->{status} >= 200;
		last unless $r->{complete};
	}
	return @r;
}

# Every request in bytes, in order: method, target, version, headers,
# fields, head, body (decoded), raw_body, chunked, trailers, complete.
sub parse_requests {
	shift if ref $_[0] && ref $_[0] eq __PACKAGE__;
	my ($bytes) = @_;
	my @r;
	while (length $bytes) {
		my $e = index($bytes, "\r\n\r\n");
		if ($e < 0) {
			push @r, { complete => 0, head => $bytes, headers => {},
			    fields => [], body => '', method => '', target => '',
			    version => '' };
			last;
		}
		my $head = substr($bytes, 0, $e + 4, '');
		my $r = _request_from_head($head);
		my $te = lc join ',', @{ $r->{headers}{'transfer-encoding'} // [] };
		my $cl = $r->{headers}{'content-length'};
		if ($te =~ /chunked/) {
			$r->{chunked} = 1;
			my ($len, $body, $trailer) = _chunked_extent($bytes);
			if (defined $len && $len >= 0) {
				$r->{raw_body} = substr($bytes, 0, $len, '');
				$r->{body} = $body;
				$r->{trailers} = parse_head("\r\n$trailer")->{headers};
			} else {
				$r->{raw_body} = $r->{body} = $bytes;
				$bytes = '';
				$r->{complete} = 0;
			}
		} elsif ($cl && $cl->[0] =~ /^\d+\z/) {
			$r->{complete} = 0 if length $bytes < $cl->[0];
			$r->{raw_body} = $r->{body} = substr($bytes, 0, $cl->[0], '');
		}
		push @r, $r;
	}
	return @r;
}

sub _request_from_head {
	my ($head) = @_;
	my $h = parse_head($head);
	my ($m, $t, $v) = $h->{start} =~ m{^(\S+) (\S+) HTTP/(\d\.\d)\z};
	return { method => $m // '', target => $t // '', version => $v // '',
	    headers => $h->{headers}, fields => $h->{fields}, head => $head,
	    body => '', raw_body => '', chunked => 0, trailers => {},
	    complete => 1 };
}

1;
