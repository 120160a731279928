package Test::Frontd;

# Test::Frontd, continued: scripted HTTP backends on free 127.0.0.1 ports
# (backend, raw_backend, app_backend), what they received, and raw
# clients (raw_client, raw_request).  Loaded by Test::Frontd.

use strict;
use warnings;

use Carp qw(croak);
use Errno qw(EAGAIN EINTR);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

our %OWN_CHILDREN;

# ---------------------------------------------------------------------------
# Scripted backends

# Fork an HTTP/1.1 backend on a free 127.0.0.1 port (or on port, to bring
# back one that stop_backend stopped).  opts: body (text, or a
# code ref called with the request hash), status (200), delay (seconds
# before answering), headers ({name => value}).  One process per connection.
# Returns { addr => "127.0.0.1:PORT", port => PORT, pid => PID }.
# Listen on 127.0.0.1 (port, or a free one) and fork a server that runs
# serve->(listening socket, pipe end); it exits when the read end of that
# pipe sees EOF, that is when the test process is gone, however it ended.
# The backend's record (addr, port, pid, keep) is kept and returned.
sub _fork_server {
	my ($self, $what, $port, $serve) = @_;
	my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port // 0,
	    Proto => 'tcp', Listen => 128, ReuseAddr => 1)
	    or croak "$what: cannot listen: $!";
	$port = $srv->sockport;
	pipe(my $r, my $w) or croak "pipe: $!";
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		close $w;
		close $_->{keep} for @{ $self->{backends} };
		setpgrp(0, 0);
		eval { $serve->($srv, $r) };
		POSIX::_exit(0);
	}
	$OWN_CHILDREN{$pid} = 1;
	close $r;
	close $srv;
	my $b = { addr => "127.0.0.1:$port", port => $port, pid => $pid,
	    keep => $w };
	push @{ $self->{backends} }, $b;
	return $b;
}

sub backend {
	my ($self, %o) = @_;
	my $b = $self->_fork_server('backend', $o{port},
	    sub { _backend_serve($_[0], $_[1], \%o) });
	return { addr => $b->{addr}, port => $b->{port}, pid => $b->{pid} };
}

sub _backend_serve {
	my ($srv, $parent, $o) = @_;
	$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
	$SIG{CHLD} = 'IGNORE';		# connection processes reap themselves
	my $sel = IO::Select->new($srv, $parent);
	while (1) {
		my @ready = $sel->can_read;
		for my $fh (@ready) {
			if ($fh == $parent) {
				local $SIG{TERM} = 'IGNORE';
				kill 'TERM', -$$;	# the connections too
				POSIX::_exit(0);
			}
			my $c = $srv->accept or next;
			my $pid = fork;
			if (defined $pid && $pid == 0) {
				close $srv;
				close $parent;
				eval { _backend_conn($c, $o) };
				POSIX::_exit(0);
			}
			close $c;
		}
	}
}

my %REASON = (200 => 'OK', 201 => 'Created', 204 => 'No Content',
    301 => 'Moved Permanently', 302 => 'Found', 304 => 'Not Modified',
    400 => 'Bad Request', 403 => 'Forbidden', 404 => 'Not Found',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout');

sub _backend_conn {
	my ($c, $o) = @_;
	local $SIG{PIPE} = 'IGNORE';
	local $SIG{ALRM} = sub { POSIX::_exit(0) };
	my $buf = '';
	while (1) {
		alarm 60;
		my $req = _backend_read_request($c, \$buf) or return;
		alarm 0;
		sleep $o->{delay} if $o->{delay};
		my $body = ref $o->{body} eq 'CODE' ? $o->{body}->($req)
		    : $o->{body} // 'ok';
		my $status = $o->{status} // 200;
		my $keep = $req->{version} eq '1.1'
		    && ($req->{headers}{connection} // '') !~ /\bclose\b/i;
		my $resp = "HTTP/1.1 $status " . ($REASON{$status} // 'Status') . "\r\n";
		my %h = %{ $o->{headers} // {} };
		$resp .= "$_: $h{$_}\r\n" for sort keys %h;
		$resp .= "Content-Length: " . length($body) . "\r\n";
		$resp .= $keep ? '' : "Connection: close\r\n";
		$resp .= "\r\n";
		$resp .= $body unless $req->{method} eq 'HEAD';
		my $off = 0;
		while ($off < length $resp) {
			my $n = syswrite($c, $resp, length($resp) - $off, $off);
			return unless defined $n;
			$off += $n;
		}
		last unless $keep;
	}
	shutdown($c, 1);
	# Let the client read everything before the close.
	alarm 5;
	1 while sysread($c, my $junk, 4096);
}

# Read one request (head, then a Content-Length or chunked body).  Returns
# { method, path, version, headers => {lc name => value}, body } or undef
# at EOF.
sub _backend_read_request {
	my ($c, $buf) = @_;
	my $need = sub {
		my ($cond) = @_;
		until ($cond->()) {
			my $n = sysread($c, $$buf, 65536, length $$buf);
			return 0 unless $n;
		}
		return 1;
	};
	$need->(sub { $$buf =~ /\r?\n\r?\n/ }) or return undef;
	$$buf =~ s/^(.*?)\r?\n\r?\n//s;
	my @lines = split /\r?\n/, $1;
	my ($method, $path, $version) = (shift(@lines) // '') =~ m{^(\S+)\s+(\S+)\s+HTTP/(\d\.\d)};
	return undef unless $method;
	my %h;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$k = lc $k;
		$h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
	}
	my $body = '';
	if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
		while (1) {
			$need->(sub { $$buf =~ /\r?\n/ }) or return undef;
			$$buf =~ s/^([0-9a-fA-F]+)[^\r\n]*\r?\n// or return undef;
			my $len = hex $1;
			if ($len == 0) {
				$need->(sub { $$buf =~ /^(?:[^\r\n]+\r?\n)*\r?\n/ }) or return undef;
				$$buf =~ s/^(?:[^\r\n]+\r?\n)*\r?\n//;
				last;
			}
			$need->(sub { length $$buf >= $len + 2 }) or return undef;
			$body .= substr($$buf, 0, $len);
			substr($$buf, 0, $len) = '';
			$$buf =~ s/^\r?\n//;
		}
	} elsif (my $len = $h{'content-length'}) {
		$need->(sub { length $$buf >= $len }) or return undef;
		$body = substr($$buf, 0, $len);
		substr($$buf, 0, $len) = '';
	}
	return { method => $method, path => $path, version => $version,
	    headers => \%h, body => $body };
}

# ---------------------------------------------------------------------------
# Raw backends, raw clients and a response parser: for tests that must see
# or send exact bytes (framing, hop-by-hop headers, malformed requests).
#
#     my $be = $t->raw_backend(handler => sub {
#         my ($c) = @_;                      # a Test::Frontd::RawConn
#         my $head = $c->read_head // return;
#         $c->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
#     });
#     my $be = $t->raw_backend(status => 200, headers => [ 'X-A' => 1 ],
#         body => 'text' | sub { my ($req, $c) = @_; ... });
#     $t->received($be);    # every byte received, all connections
#     $t->connections($be); # connections accepted
#     my ($bytes, $closed) = $t->raw_request("GET / HTTP/1.1\r\n...", timeout => 5);
#     my $c = $t->raw_client; $c->write($req); my $r = $c->read_response;
#     my @r = parse_responses($bytes, methods => [ 'GET', 'HEAD' ]);
#
# A response or request is a hash: status (or method, target, version),
# headers ({lc name => [values]}), fields ([[name, value], ...] in order),
# body, head (the raw head), complete (0 when cut short), error.


# A forked backend on a free 127.0.0.1 port, one forked handler per
# accepted connection.  Every byte a handler reads is appended to a
# recording file (received), every accepted connection to a count
# (connections).  Without a handler, each request is answered with status
# (200), headers (array or hash ref), body (text, or code ref called with
# the request and the connection), keep-alive aware; keepalive => 0 closes
# after each response (saying so), delay => S waits before answering.
# Bytes a handler never reads are not recorded.  port => N listens on that
# port (to bring back a backend that stop_backend stopped).
sub raw_backend {
	my ($self, %o) = @_;
	my $id = ++$self->{nraw};
	my $rec = "$self->{dir}/raw-backend$id";
	$self->spew($_, '') for $rec, "$rec.conns", "$rec.notes";
	my $b = $self->_fork_server('raw_backend', $o{port},
	    sub { _raw_serve($_[0], $_[1], $rec, \%o) });
	$b->{rec} = $rec;
	return { addr => $b->{addr}, port => $b->{port}, pid => $b->{pid},
	    rec => $rec };
}

sub _raw_serve {
	my ($srv, $parent, $rec, $o) = @_;
	$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
	$SIG{CHLD} = 'IGNORE';
	my $sel = IO::Select->new($srv, $parent);
	my $n = 0;
	while (1) {
		for my $fh ($sel->can_read) {
			if ($fh == $parent) {
				local $SIG{TERM} = 'IGNORE';
				kill 'TERM', -$$;
				POSIX::_exit(0);
			}
			my $c = $srv->accept or next;
			$n++;
			if (open my $cf, '>>', "$rec.conns") {
				syswrite($cf, "\n");
				close $cf;
			}
			my $pid = fork;
			if (defined $pid && $pid == 0) {
				close $srv;
				close $parent;
				$SIG{PIPE} = 'IGNORE';
				$SIG{ALRM} = sub { POSIX::_exit(0) };
				alarm 300;
				my $conn = Test::Frontd::RawConn->new($c, $rec, $n);
				eval {
					if ($o->{handler}) {
						$o->{handler}->($conn);
					} else {
						_raw_default($conn, $o);
					}
					1;
				} or $conn->note("handler died: $@");
				$conn->close;
				POSIX::_exit(0);
			}
			close $c;
		}
	}
}

sub _raw_default {
	my ($c, $o) = @_;
	while (my $req = $c->read_request) {
		sleep $o->{delay} if $o->{delay};
		my $body = ref $o->{body} eq 'CODE' ? $o->{body}->($req, $c)
		    : $o->{body} // 'ok';
		my $conn = lc join ',', @{ $req->{headers}{connection} // [] };
		my $keep = $o->{keepalive} // 1;
		$keep &&= $req->{version} eq '1.1' ? $conn !~ /\bclose\b/
		    : $conn =~ /\bkeep-alive\b/;
		my @h = ref $o->{headers} eq 'HASH'
		    ? map { ($_, $o->{headers}{$_}) } sort keys %{ $o->{headers} }
		    : @{ $o->{headers} // [] };
		push @h, Connection => 'close' unless $keep;
		push @h, Connection => 'keep-alive' if $keep && $req->{version} eq '1.0';
		$c->respond($o->{status} // 200, body => $body, headers => \@h,
		    head => $req->{method} eq 'HEAD') or last;
		last unless $keep;
	}
}

# Kill a backend (either kind) and its connection processes at once, as a
# crash would: its port refuses connections until a backend is started
# again with port => $be->{port}.
sub stop_backend {
	my ($self, $be) = @_;
	my ($b) = grep { $_->{pid} == $be->{pid} } @{ $self->{backends} }
	    or return 0;
	kill 'KILL', -$b->{pid};
	kill 'KILL', $b->{pid};
	waitpid($b->{pid}, 0);
	close $b->{keep} if $b->{keep};
	$self->{backends} = [ grep { $_ != $b } @{ $self->{backends} } ];
	return 1;
}

# A named raw_backend for balancing and health tests.  Every request gets
# 200 "NAME\n" with X-Backend: NAME (keep-alive aware), except:
#   /healthz: 500 "sick\n" while the flag "sick" is set, else 200
#     "healthy\n";
#   a path starting with /hold: while the flag "hold" is set, the answer
#     waits (up to 20 s), and held() counts it meanwhile.
# Flags are files in the test dir: $t->flag($be, sick => 1).  opts: name
# (required), port, and others of raw_backend (not handler).
sub app_backend {
	my ($self, %o) = @_;
	my $name = $o{name} // croak "app_backend: name required";
	my $dir = $self->{dir};
	my $handler = sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			my $t = $q->{target};
			my ($status, $body) = (200, "$name\n");
			if ($t =~ m{^/healthz(?:\?|\z)}) {
				($status, $body) = -e "$dir/flag-$name-sick"
				    ? (500, "sick\n") : (200, "healthy\n");
			} elsif ($t =~ m{^/hold}) {
				my $mark = "$dir/held-$name.$$." . $c->n;
				if (-e "$dir/flag-$name-hold") {
					if (open my $fh, '>', $mark) { close $fh }
					my $until = time + 20;
					sleep 0.02 while -e "$dir/flag-$name-hold"
					    && time < $until;
					unlink $mark;
				}
			}
			my $close = grep { $_ eq 'close' } header_tokens($q, 'connection');
			$close ||= $q->{version} ne '1.1';
			$c->respond($status, body => $body,
			    head => $q->{method} eq 'HEAD',
			    headers => [ 'X-Backend' => $name,
				$close ? (Connection => 'close') : () ])
			    or last;
			last if $close;
		}
	};
	my $be = $self->raw_backend(%o, handler => $handler);
	$be->{name} = $name;
	return $be;
}

# Set (on true) or clear a flag of an app_backend.
sub flag {
	my ($self, $be, $flag, $on) = @_;
	my $f = "$self->{dir}/flag-$be->{name}-$flag";
	if ($on) { $self->spew($f, '') } else { unlink $f }
	return $on;
}

# Requests an app_backend holds right now.
sub held {
	my ($self, $be) = @_;
	opendir my $dh, $self->{dir} or return 0;
	return scalar grep { /^held-\Q$be->{name}\E\.\d+\.\d+\z/ } readdir $dh;
}

# All bytes a raw backend received, in arrival order.
sub received {
	my ($self, $be) = @_;
	return $self->slurp($be->{rec});
}

# The bytes received on each connection: a list, first connection first.
sub received_by_connection {
	my ($self, $be) = @_;
	return map { $self->slurp("$be->{rec}.$_") } 1 .. $self->connections($be);
}

# The number of connections a raw backend accepted.
sub connections {
	my ($self, $be) = @_;
	return length $self->slurp("$be->{rec}.conns");
}

# Lines a handler wrote with $conn->note (and handlers that died).
sub notes {
	my ($self, $be) = @_;
	return $self->slurp("$be->{rec}.notes");
}

# The requests a raw backend received, parsed (heads and bodies).
sub received_requests {
	my ($self, $be) = @_;
	my @r;
	for my $bytes ($self->received_by_connection($be)) {
		push @r, parse_requests($bytes);
	}
	return @r;
}

# A connection to frontd (opts: port, timeout for the connect): a
# Test::Frontd::RawClient, or undef with $! set.
sub raw_client {
	my ($self, %o) = @_;
	my $port = $o{port} // $self->{port};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => $o{timeout} // 5) or return undef;
	return Test::Frontd::RawClient->new($s);
}

# Send bytes to frontd and read until EOF or timeout (5 s): the raw
# response bytes; in list context also whether the connection was closed
# by frontd (1) or the read timed out (0).  bytes may be an array ref of
# pieces, written with delay seconds between them (opts: delay, timeout,
# port, shutdown => 1 half-closes after the last piece).  Writing stops
# quietly when frontd has closed.
sub raw_request {
	my ($self, $bytes, %o) = @_;
	my $c = $self->raw_client(%o)
	    or return wantarray ? ('', 1) : '';
	my @pieces = ref $bytes eq 'ARRAY' ? @$bytes : ($bytes);
	for my $i (0 .. $#pieces) {
		if ($i && $o{delay}) {
			my $until = time + $o{delay};
			while (!$c->{eof} && (my $left = $until - time) > 0) {
				$c->fill($left);
			}
		}
		last if $c->{eof};
		$c->write($pieces[$i]) or last;
	}
	shutdown($c->{sock}, 1) if $o{shutdown};
	my $closed = $c->wait_closed($o{timeout} // 5);
	my $out = $c->buffer;
	$c->close;
	return wantarray ? ($out, $closed) : $out;
}

1;
