# The PROXY protocol (frontd.conf(5), proxy_protocol): on a listener,
# v1 and v2 headers from proxy_protocol_from name the client for the
# access rules, X-Forwarded-For and the logs, and anything else is closed
# before HTTP (plain requests, garbage, other senders, a header cut short
# at the header timeout), before TLS too; on a server line, frontd sends
# the header to the backend, one per client, and its health checks say
# LOCAL or UNKNOWN.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Errno qw(EINTR EAGAIN);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use Socket qw(AF_INET AF_INET6 inet_pton inet_ntop);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Frontd;

my $SIG2 = "\r\n\r\n\0\r\nQUIT\n";

# A v2 header: command (PROXY or LOCAL), then for PROXY src, dst, ports.
sub v2 {
	my ($cmd, $src, $dst, $sp, $dp) = @_;
	return $SIG2 . "\x20" . "\0\0\0" if $cmd eq 'LOCAL';
	my $six = $src =~ /:/;
	my $fam = $six ? "\x21" : "\x11";
	my $a = inet_pton($six ? AF_INET6 : AF_INET, $src)
	    . inet_pton($six ? AF_INET6 : AF_INET, $dst) . pack('nn', $sp, $dp);
	return $SIG2 . "\x21" . $fam . pack('n', length $a) . $a;
}

sub req {
	my ($path, %h) = @_;
	my $r = "GET $path HTTP/1.1\r\nHost: x\r\n";
	$r .= "$_: $h{$_}\r\n" for sort keys %h;
	return $r . "Connection: close\r\n\r\n";
}

# Connects (from a source address), writes the pieces (gap seconds
# apart), reads until frontd closes or timeout: (bytes, closed, seconds).
sub talk {
	my ($port, $pieces, %o) = @_;
	my $s = IO::Socket::IP->new(PeerHost => $o{to} // '127.0.0.1',
	    PeerPort => $port, Proto => 'tcp', Timeout => 5,
	    $o{from} ? (LocalHost => $o{from}) : ()) or return ('', 1, 0);
	local $SIG{PIPE} = 'IGNORE';
	my $t0 = time;
	for my $i (0 .. $#$pieces) {
		sleep $o{gap} if $i && $o{gap};
		syswrite($s, $pieces->[$i]);
	}
	my ($out, $closed) = ('', 0);
	my $sel = IO::Select->new($s);
	my $deadline = $t0 + ($o{timeout} // 5);
	while ((my $left = $deadline - time) > 0) {
		next unless $sel->can_read($left);
		my $n = sysread($s, $out, 65536, length $out);
		next if !defined $n && ($! == EINTR || $! == EAGAIN);
		if (!$n) { $closed = 1; last }
	}
	close $s;
	return ($out, $closed, time - $t0);
}

sub body_of { my ($b) = @_; $b =~ s/\A.*?\r\n\r\n//s; $b }
sub status_of { $_[0] =~ m{\AHTTP/1\.1 (\d{3})} ? $1 : 0 }

# A backend that says who it was told the client is.
sub echo_backend {
	my ($t) = @_;
	return $t->raw_backend(body => sub {
		my ($q) = @_;
		my $ip = ($q->{headers}{'x-real-ip'} // [''])->[0];
		my $xff = ($q->{headers}{'x-forwarded-for'} // [''])->[0];
		return "real=$ip xff=$xff\n";
	});
}

sub new_log { my ($t, $from) = @_; substr($t->error_log, $from) }

subtest 'configuration: proxy_protocol_from is required, and only with it' => sub {
	my $t = Test::Frontd->new;
	my $d = $t->dir;
	my @cases = (
		[ "proxy_protocol = on\n",
		  qr/frontd\.conf:3: proxy_protocol in \[listener l\] needs proxy_protocol_from/ ],
		[ "proxy_protocol_from = 10.0.0.0/8\n",
		  qr/frontd\.conf:3: proxy_protocol_from in \[listener l\] needs proxy_protocol = on/ ],
		[ "proxy_protocol = on\nproxy_protocol_from = 10.0.0.1/8\n",
		  qr/frontd\.conf:4: bad proxy_protocol_from/ ],
	);
	for my $c (@cases) {
		$t->spew("$d/frontd.conf", "[listener l]\naddress = 127.0.0.1:1\n"
		    . $c->[0] . "\n[route r]\nreturn = 200 ok\n");
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/frontd.conf");
		is($code, 1, "refused: $c->[0]");
		like("$out$err", $c->[1], 'saying where and why');
	}
	$t->spew("$d/frontd.conf", "[listener l]\naddress = 127.0.0.1:1\n\n"
	    . "[upstream u]\nserver = 127.0.0.1:2 proxy_protocol=v3\n\n"
	    . "[route r]\nupstream = u\n");
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/frontd.conf");
	like("$out$err", qr/frontd\.conf:5: bad server option "proxy_protocol=v3".*proxy_protocol=v1\|v2/,
	    'a server option other than v1 or v2 is refused');
	$t->spew("$d/frontd.conf", "[listener l]\naddress = 127.0.0.1:1\n"
	    . "proxy_protocol = on\nproxy_protocol_from = 10.0.0.0/8, ::1\n\n"
	    . "[upstream u]\nserver = 127.0.0.1:2 proxy_protocol=v2 weight=2\n\n"
	    . "[route r]\nupstream = u\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/frontd.conf");
	is($code, 0, 'a listener and a server with the PROXY protocol pass')
	    or diag("$out$err");
};

subtest 'on a listener: who the client is' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $port = $t->port;
	my $six = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
	    Listen => 1) ? 1 : 0;
	my $port6 = $six ? $t->port : 0;
	$t->start(<<"EOF", global => "client_header_timeout = 1s");
[listener pp]
address = 127.0.0.1:$port
@{[ $six ? "address = [::1]:$port6" : '' ]}
proxy_protocol = on
proxy_protocol_from = 127.0.0.1, ::1
deny = 203.0.113.66
allow = all

[upstream app]
server = $be->{addr}

[route metrics]
path = /metrics
metrics = on

[route all]
upstream = app
EOF
	my @ok = (
		[ 'v1 TCP4', "PROXY TCP4 203.0.113.7 192.0.2.1 40000 80\r\n",
		  '203.0.113.7' ],
		[ 'v1 TCP6', "PROXY TCP6 2001:db8::7 2001:db8::1 40000 443\r\n",
		  '2001:db8::7' ],
		[ 'v2 TCP4', v2('PROXY', '198.51.100.4', '192.0.2.1', 5555, 80),
		  '198.51.100.4' ],
		[ 'v2 TCP6', v2('PROXY', '2001:db8::8', '2001:db8::1', 5555, 80),
		  '2001:db8::8' ],
		[ 'v1 UNKNOWN: the real peer', "PROXY UNKNOWN\r\n", '127.0.0.1' ],
		[ 'v2 LOCAL: the real peer', v2('LOCAL'), '127.0.0.1' ],
	);
	for my $c (@ok) {
		my ($out) = talk($port, [ $c->[1] . req("/who") ]);
		is(status_of($out), 200, "$c->[0]: served");
		is(body_of($out), "real=$c->[2] xff=$c->[2]\n",
		    "$c->[0]: the backend is told $c->[2]");
	}
	my ($out) = talk($port, [ "PROXY TCP4 203.0.113.9 192.0.2.1 1 80\r\n",
	    "GET /split HTTP/1.1\r\nHost: x\r\n", "Connection: close\r\n\r\n" ],
	    gap => 0.1);
	is(body_of($out), "real=203.0.113.9 xff=203.0.113.9\n",
	    'header and request in pieces');
	($out) = talk($port, [ substr(v2('PROXY', '198.51.100.5', '192.0.2.1',
	    1, 80), 0, 5), substr(v2('PROXY', '198.51.100.5', '192.0.2.1', 1, 80),
	    5) . req('/split2') ], gap => 0.1);
	is(body_of($out), "real=198.51.100.5 xff=198.51.100.5\n",
	    'a v2 header cut in its signature');
	($out) = talk($port, [ "PROXY TCP4 203.0.113.7 192.0.2.1 40000 80\r\n"
	    . req('/xff', 'X-Forwarded-For' => '10.9.9.9') ]);
	is(body_of($out), "real=203.0.113.7 xff=203.0.113.7\n",
	    'the client cannot add to X-Forwarded-For behind the header');
	if ($six) {
		($out) = talk($port6, [ "PROXY TCP4 203.0.113.8 192.0.2.1 1 80\r\n"
		    . req('/six') ], to => '::1');
		is(body_of($out), "real=203.0.113.8 xff=203.0.113.8\n",
		    'from ::1 (listener on [::1])');
	}

	my $log0 = length $t->error_log;
	($out) = talk($port, [ "PROXY TCP4 203.0.113.66 192.0.2.1 1 80\r\n"
	    . req('/denied') ]);
	is(status_of($out), 403, 'deny acts on the carried address');
	like(new_log($t, $log0), qr/203\.0\.113\.66 403: refused by deny 203\.0\.113\.66\/32 \(listener\)/,
	    'and logs it');
	my $seen = () = $t->received($be) =~ /^GET \S+ HTTP/mg;
	my $want = @ok + 3 + ($six ? 1 : 0);
	is($seen, $want, 'the denied request never reached the backend');

	my $al = $t->access_log;
	like($al, qr/^203\.0\.113\.7 .*"GET \/who HTTP\/1\.1" 200/m,
	    'the access log names the carried client (v1)');
	like($al, qr/^2001:db8::8 .*"GET \/who HTTP\/1\.1" 200/m,
	    'and the IPv6 one (v2)');

	# What is refused, and how it is logged.
	my @bad = (
		[ 'plain HTTP', req('/plain'), qr/PROXY protocol: / ],
		[ 'garbage', "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		  qr/PROXY protocol: / ],
		[ 'a bad v1 address', "PROXY TCP4 203.0.113.300 192.0.2.1 1 80\r\n"
		  . req('/x'), qr/PROXY protocol: / ],
		[ 'a v2 header of an unknown version', "$SIG2\x31\x11\0\x0c"
		  . ("\0" x 12) . req('/x'), qr/PROXY protocol: / ],
	);
	for my $c (@bad) {
		$log0 = length $t->error_log;
		my ($o, $closed) = talk($port, [ $c->[1] ]);
		ok($closed && $o eq '', "$c->[0]: closed without an answer");
		my $l = new_log($t, $log0);
		like($l, qr/^\S+ \S+ info worker\[\d+\]: conn=\d+ 127\.0\.0\.1:\d+ PROXY protocol: \S/m,
		    "$c->[0]: logged at info with the peer") or diag($l);
	}
	$seen = () = $t->received($be) =~ /^GET \S+ HTTP/mg;
	is($seen, $want, 'nothing refused reached the backend');

	$log0 = length $t->error_log;
	my ($o, $closed, $secs) = talk($port, [ "PROXY TCP4 203.0.113.7 " ]);
	ok($closed && $o eq '', 'a header cut short is closed');
	ok($secs > 0.8 && $secs < 4, "at the header timeout (${secs}s)");
	like(new_log($t, $log0), qr/conn=\d+ 127\.0\.0\.1:\d+ PROXY protocol: incomplete header at the header timeout/,
	    'and logged');

	$log0 = length $t->error_log;
	($o, $closed) = talk($port, [ "PROXY TCP4 203.0.113.7 192.0.2.1 1 80\r\n"
	    . req('/spoof') ], from => '127.0.0.2');
	ok($closed && $o eq '', 'a header from 127.0.0.2 (not allowed) is closed');
	like(new_log($t, $log0), qr/warn worker\[\d+\]: conn=\d+ 127\.0\.0\.2:\d+ PROXY protocol: refused, not in proxy_protocol_from of \[listener pp\]/,
	    'logged with the real peer');
	($o, $closed) = talk($port, [ req('/spoof2') ], from => '127.0.0.2');
	ok($closed && $o eq '', 'so is plain HTTP from there');
	$seen = () = $t->received($be) =~ /^GET \S+ HTTP/mg;
	is($seen, $want, 'neither reached the backend');

	($out) = talk($port, [ "PROXY UNKNOWN\r\n" . req('/metrics') ]);
	like(body_of($out), qr/^frontd_client_errors_total\{reason="proxy_protocol"\} 6$/m,
	    'the refusals are counted');
	like(body_of($out), qr/^frontd_client_errors_total\{reason="timeout"\} 1$/m,
	    'the header timeout as a timeout');
	$t->check_logs;
};

# A relay in front of frontd, as a load balancer: for each connection it
# accepts, it reads the client's first bytes, then sends a v2 header for
# src with them in one write (the TLS hello right behind the header), and
# relays both ways.
sub relay {
	my ($t, $to, $src) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Listen => 8, ReuseAddr => 1) or die "relay: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
		alarm 60;
		while (my $c = $l->accept) {
			my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $to) or next;
			sysread($c, my $first, 65536) or next;
			syswrite($u, v2('PROXY', $src, '192.0.2.1', 4000, 443)
			    . $first);
			my $sel = IO::Select->new($c, $u);
			OUTER: while (1) {
				for my $fh ($sel->can_read(10)) {
					my $n = sysread($fh, my $b, 65536);
					last OUTER unless $n;
					syswrite($fh == $c ? $u : $c, $b);
				}
			}
			close $c;
			close $u;
		}
		POSIX::_exit(0);
	}
	$t->track($pid);
	my $port = $l->sockport;
	close $l;
	return $port;
}

subtest 'a TLS listener behind the PROXY protocol' => sub {
	require Test::FrontdTLSListener;
	Test::FrontdTLSListener->import;
	my ($t0, $pki) = tls_pki();
	return plan skip_all => 'no curl with TLS' unless $pki->have_curl_tls;
	$pki->ca('ca');
	my %C = (def => $pki->cert('def', names => ['localhost']));
	tls_certs(\%C);
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $port = $t->port;
	$t->start(tls_listener(port => $port, extra =>
	    "proxy_protocol = on\nproxy_protocol_from = 127.0.0.1\n")
	    . app($be));
	my $r = $pki->curl("https://127.0.0.1:$port/a", insecure => 1,
	    args => [ '--haproxy-protocol' ]);
	is($r->{status}, 200, 'curl --haproxy-protocol: the handshake after '
	    . 'the v1 header') or diag($r->{err});
	is($r->{body}, "real=127.0.0.1 xff=127.0.0.1\n", 'its address');
	my $rp = relay($t, $port, '198.51.100.23');
	$r = $pki->curl("https://127.0.0.1:$rp/b", insecure => 1);
	is($r->{status}, 200, 'a v2 header with the hello behind it, '
	    . 'in one segment') or diag($r->{err});
	is($r->{body}, "real=198.51.100.23 xff=198.51.100.23\n",
	    'the client it names');
	my $log0 = length $t->error_log;
	$r = $pki->curl("https://127.0.0.1:$port/c", insecure => 1);
	isnt($r->{status}, 200, 'TLS without the header is refused');
	like(new_log($t, $log0), qr/127\.0\.0\.1:\d+ PROXY protocol: /,
	    'and logged');
	$t->check_logs;
};

# The header a backend read first on a connection, in words.
sub read_pp {
	my ($c) = @_;
	while (length $c->buffered < 16 && $c->buffered !~ /\r\n/) {
		$c->fill(10) or return undef;
	}
	if ($c->buffered =~ /\APROXY /) {
		$c->fill(10) while $c->buffered !~ /\r\n/ && !$c->at_eof;
		my $line = $c->read_bytes(index($c->buffered, "\r\n") + 2);
		$line =~ s/\r\n\z//;
		return $line;
	}
	return 'no header: ' . $c->buffered
	    unless substr($c->buffered, 0, 12) eq $SIG2;
	my $h = $c->read_bytes(16);
	my ($vc, $fam, $len) = unpack('x12 C C n', $h);
	my $a = $c->read_bytes($len);
	return 'v2 LOCAL' if $vc == 0x20;
	return sprintf('v2 bad %02x', $vc) if $vc != 0x21;
	if ($fam == 0x11) {
		my ($s, $d, $sp, $dp) = unpack('a4 a4 n n', $a);
		return 'v2 TCP4 ' . inet_ntop(AF_INET, $s) . ' '
		    . inet_ntop(AF_INET, $d) . " $sp $dp";
	}
	if ($fam == 0x21) {
		my ($s, $d, $sp, $dp) = unpack('a16 a16 n n', $a);
		return 'v2 TCP6 ' . inet_ntop(AF_INET6, $s) . ' '
		    . inet_ntop(AF_INET6, $d) . " $sp $dp";
	}
	return sprintf('v2 family %02x', $fam);
}

# Answers each request with the header its connection began with.
sub pp_backend {
	my ($t) = @_;
	return $t->raw_backend(handler => sub {
		my ($c) = @_;
		my $pp = read_pp($c) // return;
		while (my $q = $c->read_request) {
			my $close = grep { /close/i }
			    @{ $q->{headers}{connection} // [] };
			$c->respond(200, body => "$q->{target} $pp\n",
			    headers => [ $close ? (Connection => 'close') : () ])
			    or last;
			last if $close;
		}
	});
}

subtest 'to a backend: a header per client, and for health checks' => sub {
	my $t = Test::Frontd->new;
	my $b1 = pp_backend($t);
	my $b2 = pp_backend($t);
	my $port = $t->port;
	my $pport = $t->port;
	$t->start(<<"EOF");
[listener plain]
address = 127.0.0.1:$port

[listener lb]
address = 127.0.0.1:$pport
proxy_protocol = on
proxy_protocol_from = 127.0.0.1

[upstream v1]
server = $b1->{addr} proxy_protocol=v1
health_check = GET /healthz
health_interval = 200ms

[upstream v2]
server = $b2->{addr} proxy_protocol=v2
health_check = GET /healthz
health_interval = 200ms

[route v1]
path = /v1/
upstream = v1

[route v2]
path = /v2/
upstream = v2
EOF
	for my $v (qw(v1 v2)) {
		my $be = $v eq 'v1' ? $b1 : $b2;
		my $want = $v eq 'v1' ? 'PROXY UNKNOWN' : 'v2 LOCAL';
		$t->wait_for(sub { $t->received($be) =~ m{GET /healthz} }, 5,
		    "$v: a health check came");
		my ($check) = grep { m{GET /healthz} } $t->received_by_connection($be);
		my $hdr = $v eq 'v1' ? "PROXY UNKNOWN\r\n" : v2('LOCAL');
		is(substr($check // '', 0, length $hdr), $hdr,
		    "$v: the check began with $want");

		# One keep-alive client: one connection, one header.
		my $c1 = $t->raw_client;
		my $lport = $c1->sock->sockport;
		my $n0 = $t->connections($be);
		my @got;
		for my $i (1, 2) {
			$c1->write("GET /$v/a$i HTTP/1.1\r\nHost: x\r\n\r\n");
			my $r = $c1->read_response;
			push @got, $r ? $r->{body} : '';
		}
		my $fh = $v eq 'v1'
		    ? "PROXY TCP4 127.0.0.1 127.0.0.1 $lport $port"
		    : "v2 TCP4 127.0.0.1 127.0.0.1 $lport $port";
		is_deeply(\@got, [ "/$v/a1 $fh\n", "/$v/a2 $fh\n" ],
		    "$v: the backend was told the client and where it came in");

		# Another client meanwhile: a connection of its own.
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $port, LocalAddr => '127.0.0.2') or die $!;
		my $c2 = Test::Frontd::RawClient->new($s);
		my $lport2 = $s->sockport;
		$c2->write("GET /$v/b HTTP/1.1\r\nHost: x\r\n\r\n");
		my $r = $c2->read_response;
		my $fh2 = $v eq 'v1'
		    ? "PROXY TCP4 127.0.0.2 127.0.0.1 $lport2 $port"
		    : "v2 TCP4 127.0.0.2 127.0.0.1 $lport2 $port";
		is($r ? $r->{body} : '', "/$v/b $fh2\n",
		    "$v: a second client gets its own header");
		$c1->write("GET /$v/a3 HTTP/1.1\r\nHost: x\r\n\r\n");
		$r = $c1->read_response;
		is($r ? $r->{body} : '', "/$v/a3 $fh\n",
		    "$v: the first client still its own");
		my $n = grep { !m{GET /healthz} }
		    ($t->received_by_connection($be))[$n0 .. $t->connections($be) - 1];
		is($n, 2, "$v: two connections for two clients");
		$c1->close;
		$c2->close;

		# Behind a PROXY listener: the client its header named.
		my ($out) = talk($pport, [ "PROXY TCP4 203.0.113.7 192.0.2.1 "
		    . "40000 8443\r\n" . req("/$v/c") ]);
		my $fh3 = $v eq 'v1'
		    ? 'PROXY TCP4 203.0.113.7 192.0.2.1 40000 8443'
		    : 'v2 TCP4 203.0.113.7 192.0.2.1 40000 8443';
		is(body_of($out), "/$v/c $fh3\n",
		    "$v: a client behind a load balancer is passed on");
	}
	$t->check_logs;
};

done_testing;
