package Test::FrontdCache;

# What the cache tests (t/cache*.t) share: the scripted backend whose
# query says how to answer (app_handler), one request on its own
# connection (req), Cache-Status patterns and checks, the metrics route,
# and which worker holds a connection.
#
#     use Test::FrontdCache;
#     cache_harness($t);               # the harness seen() and metrics() use
#     my $be = $t->raw_backend(handler => app_handler($t->dir));
#     cs_like(req($t, 'GET', '/x?cc=max-age=60'), $STORED, 'a miss');

use strict;
use warnings;

use Exporter qw(import);
use Test::More;
use Test::Frontd qw(parse_responses header_tokens text_words);
use Time::HiRes qw(time sleep);

our @EXPORT = qw($HOST $TEXT $BIG %TYPE $HIT $STORED $REVAL cache_harness
    unescape app_handler req hv cs ttl csre cs_like not_stored seen metrics
    worker_of);

our $HARNESS;

# The harness whose backends seen() reads and whose /metrics metrics()
# asks by default.
sub cache_harness { $HARNESS = $_[0] }

use Time::HiRes qw(time sleep);

our $HOST = 'cache.example';

our $TEXT = text_words(320 * 1024, 1);
our $BIG = text_words(2 * 1048576, 2);	# 2 MB for the worker killed mid-store

our %TYPE = (text => 'text/plain; charset=utf-8', html => 'text/html');

sub unescape {
	my ($s) = @_;
	$s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
	return $s;
}

# The backend.  The query of the target says how to answer:
#   cc=V       Cache-Control: V (percent-decoded)
#   etag=V     ETag: "V"; a request with If-None-Match holding "V" gets
#              a 304 (with X-Version, Cache-Control and the ETag)
#   cc304=V    Cache-Control: V in that 304 instead
#   vary=V     Vary: V; the body then names the Accept-Language sent
#   cookie=1   Set-Cookie
#   age=N      Age: N
#   status=N   the status of a GET (default 200)
#   pstatus=N  the status of any other method (default 200)
#   size=N     the body is the first N bytes of $TEXT
#   type=html  Content-Type: text/html (default text/plain)
#   delay=S    wait S seconds before answering
#   slow=S     wait S seconds before answering while the flag file
#              "flag-slow" exists in the test dir
#   big=N      the body is the first N bytes of $BIG (instead of size)
#   stall=N    while the flag file "flag-stall" exists: send the head and
#              the first N bytes of the body, create "stalled", then send
#              nothing more until the flag is gone (at most 20 s)
#   fail=1     503 while the flag file "flag-fail" exists in the test dir
#   zstd=1     Vary: Accept-Encoding; when the Accept-Encoding sent names
#              zstd, Content-Encoding: zstd and the body "zstd:" plus the
#              usual one (not real zstd: frontd only passes it on)
# Without size the body is "PATH VERSION [lang=...]\n".  Every answer has
# X-Version: CONN.N (the backend connection and the request on it): unique
# for every request that reaches the backend, so a cached answer shows the
# version of the one that filled it.
sub app_handler {
	my ($dir) = @_;
	return sub {
		my ($c) = @_;
		my $i = 0;
		while (my $q = $c->read_request) {
			$i++;
			my $ver = $c->n . ".$i";
			my ($path, $qs) = $q->{target} =~ /^([^?]*)(?:\?(.*))?\z/s;
			my %a = map { /^([^=]*)=?(.*)\z/s ? ($1, unescape($2)) : () }
			    split /&/, $qs // '';
			my $close = grep { $_ eq 'close' } header_tokens($q, 'connection');
			$close ||= $q->{version} ne '1.1';
			sleep $a{delay} if $a{delay};
			sleep $a{slow} if $a{slow} && -e "$dir/flag-slow";
			my @h = ('X-Version' => $ver,
			    'Content-Type' => $TYPE{ $a{type} // 'text' });
			push @h, 'Cache-Control' => $a{cc} if defined $a{cc};
			push @h, ETag => qq{"$a{etag}"} if defined $a{etag};
			push @h, Vary => $a{vary} if defined $a{vary};
			push @h, 'Set-Cookie' => "sess=$ver; Path=/" if $a{cookie};
			push @h, Age => $a{age} if defined $a{age};
			my $zstd = $a{zstd} && grep { /^zstd\b/ }
			    header_tokens($q, 'accept-encoding');
			push @h, Vary => 'Accept-Encoding' if $a{zstd};
			push @h, 'Content-Encoding' => 'zstd' if $zstd;
			push @h, Connection => 'close' if $close;
			my $status = $q->{method} eq 'GET' || $q->{method} eq 'HEAD'
			    ? $a{status} // 200 : $a{pstatus} // 200;
			my $body;
			if (defined $a{big}) {
				$body = substr($BIG, 0, $a{big});
			} elsif (defined $a{size}) {
				$body = substr($TEXT, 0, $a{size});
			} else {
				$body = "$path $ver";
				$body .= ' lang=' . join(',', @{
				    $q->{headers}{'accept-language'} // ['-'] })
				    if defined $a{vary};
				$body .= "\n";
			}
			$body = "zstd:$body" if $zstd;
			my $inm = join ',', @{ $q->{headers}{'if-none-match'} // [] };
			if ($a{fail} && -e "$dir/flag-fail") {
				($status, $body) = (503, "failing\n");
			} elsif (defined $a{etag} && index($inm, qq{"$a{etag}"}) >= 0) {
				$status = 304;
				for (my $k = 0; $k < @h; $k += 2) {
					$h[$k + 1] = $a{cc304} if defined $a{cc304}
					    && $h[$k] eq 'Cache-Control';
				}
			}
			if ($a{stall} && -e "$dir/flag-stall" && $status == 200
			    && $q->{method} eq 'GET') {
				my $r = "HTTP/1.1 200 OK\r\n";
				while (my ($k, $v) = splice @h, 0, 2) {
					$r .= "$k: $v\r\n";
				}
				$r .= 'Content-Length: ' . length($body) . "\r\n\r\n";
				$c->write($r . substr($body, 0, $a{stall})) or last;
				if (open my $fh, '>', "$dir/stalled") { close $fh }
				my $until = time + 20;
				sleep 0.05 while -e "$dir/flag-stall" && time < $until;
				$c->write(substr($body, $a{stall})) or last;
				last if $close;
				next;
			}
			$c->respond($status, headers => \@h, body => $body,
			    head => $q->{method} eq 'HEAD') or last;
			last if $close;
		}
	};
}

# ---------------------------------------------------------------------------
# Helpers

# One request on its own connection: the parsed response (see
# parse_responses) plus extra (responses or bytes after the first: a body
# after a HEAD answer shows up there).  opts: headers (lines), body,
# timeout, version (default 1.1).
sub req {
	my ($h, $method, $target, %o) = @_;
	my $r = "$method $target HTTP/" . ($o{version} // '1.1')
	    . "\r\nHost: $HOST\r\n";
	$r .= "$_\r\n" for @{ $o{headers} // [] };
	$r .= "Content-Length: " . length($o{body}) . "\r\n" if defined $o{body};
	$r .= "Connection: close\r\n\r\n";
	$r .= $o{body} if defined $o{body};
	my ($out) = $h->raw_request($r, timeout => $o{timeout} // 10);
	my ($resp, @more) = parse_responses($out, methods => [$method]);
	$resp //= { status => 0, headers => {}, body => '', head => $out,
	    complete => 0 };
	$resp->{extra} = scalar @more;
	$resp->{raw_out} = $out;
	return $resp;
}


sub hv {
	my ($r, $name) = @_;
	my $v = $r->{headers}{ lc $name } or return undef;
	return join ', ', @$v;
}

# Cache-Status of a response ('' when there is none).
sub cs { hv($_[0], 'cache-status') // '' }

# The ttl=N of a Cache-Status, or undef.
sub ttl {
	my ($r) = @_;
	return cs($r) =~ /;\s*ttl=(-?\d+)/ ? $1 : undef;
}

# A pattern for a Cache-Status of frontd with these parameters, in any
# order, others allowed (RFC 9211: fwd-status, ttl, key, collapsed...);
# "!name" forbids a parameter (with or without a value).  The spec shows
# e.g. "frontd; fwd=uri-miss; stored"; "frontd; fwd=uri-miss;
# fwd-status=200; stored" is as good.
sub csre {
	my $re = '^frontd(?=\s*;|\s*\z)';
	for my $p (@_) {
		if ($p =~ /^!(.*)\z/s) {
			$re .= "(?!.*;\\s*\Q$1\E\\s*(?:[;=]|\\z))";
		} else {
			$re .= "(?=.*;\\s*\Q$p\E\\s*(?:;|\\z))";
		}
	}
	return qr/$re/;
}

our $HIT    = csre('hit', '!fwd');
our $STORED = csre('fwd=uri-miss', 'stored', '!detail');
our $REVAL  = csre('fwd=stale', 'fwd-status=304');

# One test: the response's Cache-Status matches re.
sub cs_like {
	my ($r, $re, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	like(cs($r), $re, "$name: Cache-Status " . cs($r));
}

sub not_stored {
	my ($r, $why, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	cs_like($r, csre('fwd=uri-miss', "detail=$why", '!stored'), $name);
}

# Requests the backend received for exactly this target (any method, or
# the one given).
sub seen {
	my ($be, $target, $method) = @_;
	return scalar grep { $_->{target} eq $target
	    && (!defined $method || $_->{method} eq $method) }
	    $HARNESS->received_requests($be);
}


# The counters of the metrics route: { name => value }, labelled lines
# both under their full text (name{labels}) and summed under the name;
# _status and _type of the answer.
sub metrics {
	my ($h) = @_;
	my $r = req($h // $HARNESS, 'GET', '/metrics');
	my %m = (_status => $r->{status}, _type => hv($r, 'content-type') // '');
	for my $l (split /\n/, $r->{body}) {
		next if $l =~ /^\s*(?:#|\z)/;
		my ($name, $labels, $v) = $l =~ /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/
		    or next;
		$m{$name} += $v;
		$m{"$name$labels"} = $v if defined $labels;
	}
	return \%m;
}

# The worker that holds the frontd end of a client connection (found by
# socket inode in /proc), or undef.
sub worker_of {
	my ($h, $sock) = @_;
	my $lport = $sock->sockport or return undef;
	my ($s) = grep { $_->{remote_port} == $lport && $_->{state} eq 'ESTABLISHED' }
	    $h->tcp_sockets($h->{port});
	return undef unless $s && $s->{inode};
	for my $w ($h->workers) {
		return $w if grep { $_ eq "socket:[$s->{inode}]" } $h->fds($w);
	}
	return undef;
}


1;
