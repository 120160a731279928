package Test::Frontd::Response;

# An HTTP response as the client saw it: status (0 when no response head
# arrived), reason, headers (lower-case names; repeated ones joined with
# ", "), content, raw, error.

sub failed {
	my ($class, $err, %extra) = @_;
	return bless { status => 0, reason => '', headers => {}, content => '',
	    raw => '', error => $err, %extra }, $class;
}

sub parse {
	my ($class, $raw, $err, $method) = @_;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	unless (defined $body && $head =~ m{^HTTP/\d\.\d (\d{3}) ?([^\r\n]*)}) {
		return $class->failed($err // 'no complete response head'
		    . (length $raw ? ": " . substr($raw, 0, 200) : ' (connection closed)'),
		    raw => $raw);
	}
	my ($status, $reason) = ($1, $2);
	my %h;
	my @lines = split /\r\n/, $head;
	shift @lines;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$k = lc $k;
		$h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
	}
	if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
		my ($out, $rest) = ('', $body);
		while ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
			my $len = hex $1;
			last if $len == 0;
			if (length $rest < $len) {
				$err //= 'truncated chunked body';
				$out .= $rest;
				last;
			}
			$out .= substr($rest, 0, $len, '');
			$rest =~ s/^\r\n//;
		}
		$body = $out;
	} elsif (defined $h{'content-length'} && ($method // '') ne 'HEAD') {
		if (length $body < $h{'content-length'}) {
			$err //= sprintf 'truncated body: %d of %d bytes',
			    length $body, $h{'content-length'};
		}
	}
	return bless { status => $status, reason => $reason, headers => \%h,
	    content => $body, raw => $raw, error => $err }, $class;
}

sub status  { $_[0]{status} }
sub reason  { $_[0]{reason} }
sub content { $_[0]{content} }
sub headers { $_[0]{headers} }
sub header  { $_[0]{headers}{ lc $_[1] } }
sub error   { $_[0]{error} }
sub raw     { $_[0]{raw} }
sub refused { $_[0]{refused} }

# "200 " and the body, or "0 connect ...: Connection refused" (status and
# error): one string to compare or to show.
sub summary {
	my ($self) = @_;
	return "$self->{status} " . ($self->{error} // $self->{content});
}

1;
