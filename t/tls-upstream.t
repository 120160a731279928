# TLS to upstream servers: verification against tls_ca_file and the name
# (tls_name, else the host of the server line), tls_verify = off, SNI
# (tls_sni), a client certificate for the backend, the 502 and the error
# log line of a failed verification, health checks doing the handshake,
# pooled TLS connections reused, and sessions resumed on new connections.
# The TLS backends are "openssl s_server -WWW" (one file, HTTP/1.0,
# closes) and, for keep-alive, big bodies and resumption, a second frontd
# with a TLS listener in front of a raw backend.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Test::FrontdTLS;
use Time::HiRes qw(time);

my $T0 = Test::Frontd->new;
my $pki = Test::FrontdTLS->new($T0);
{
	my ($ok, $why) = $pki->have_openssl;
	plan skip_all => "no openssl command: $why" unless $ok;
}

my $CA  = $pki->ca('ca');
my $OCA = $pki->ca('oca', subject => '/O=Elsewhere/CN=Other CA');
my $CCA = $pki->ca('cca', subject => '/O=Frontd Test/CN=Backend Client CA');
my %C;
$C{be}      = $pki->cert('be', names => ['backend.example', 'IP:127.0.0.1']);
$C{wrong}   = $pki->cert('wrong', names => ['wrong.example']);
$C{expired} = $pki->cert('expired', names => ['backend.example'], expired => 1);
$C{client}  = $pki->cert('frontd-client', subject => '/O=Frontd Test/CN=frontd',
    client => 1, issuer => 'cca');
$C{badclient} = $pki->cert('bad-client', subject => '/O=Elsewhere/CN=frontd',
    client => 1, issuer => 'oca');

my $WWW = $T0->dir . '/www';
$T0->spew("$WWW/hello.txt", "hello over tls\n");

# An s_server -WWW on a free port: (port, pid).
sub www_server {
	my ($t, %o) = @_;
	my $p = $t->port;
	my $c = $C{ $o{cert} // 'be' };
	my $pid = $pki->s_server(port => $p, cert => $c->{cert}, key => $c->{key},
	    cwd => $WWW, args => [ '-WWW', @{ $o{args} // [] } ]);
	return ($p, $pid);
}

sub hit {
	my ($t, $host, $path) = @_;
	my ($out) = $t->raw_request("GET $path HTTP/1.1\r\nHost: $host\r\n"
	    . "Connection: close\r\n\r\n", timeout => 10);
	my ($r) = parse_responses($out);
	return $r // { status => 0, headers => {}, body => $out };
}

# Lines of the error log matching re.
sub lines {
	my ($t, $re) = @_;
	return grep { $_ =~ $re } split /\n/, $t->error_log;
}

subtest 'verification' => sub {
	my $t = Test::Frontd->new;
	my ($p, $srv) = www_server($t);
	my ($pe, $srve) = www_server($t, cert => 'expired');
	my $ca = $CA->{cert};
	my $oca = $OCA->{cert};
	my @ups = (
		# name, upstream lines, want status
		[ 'good', "tls_ca_file = $ca\ntls_name = backend.example\n", 200 ],
		[ 'byip', "tls_ca_file = $ca\n", 200 ],
		[ 'otherca', "tls_ca_file = $oca\ntls_name = backend.example\n", 502 ],
		[ 'noverify', "tls_ca_file = $oca\ntls_name = backend.example\ntls_verify = off\n", 200 ],
		[ 'badname', "tls_ca_file = $ca\ntls_name = other.example\n", 502 ],
		[ 'system', "tls_name = backend.example\n", 502 ],
	);
	my $conf = '';
	for my $u (@ups) {
		my ($name, $lines) = @$u;
		$conf .= "[upstream $name]\nserver = 127.0.0.1:$p\ntls = on\n$lines\n"
		    . "[route $name]\nhost = $name.example\nupstream = $name\n\n";
	}
	$conf .= "[upstream expired]\nserver = 127.0.0.1:$pe\ntls = on\n"
	    . "tls_ca_file = $ca\ntls_name = backend.example\n\n"
	    . "[route expired]\nhost = expired.example\nupstream = expired\n\n";
	push @ups, [ 'expired', '', 502 ];
	$t->start($conf);
	my %what = (
		good => 'tls_ca_file = the CA, tls_name = a name of the certificate',
		byip => 'no tls_name: the address 127.0.0.1 of the server line, an IP SAN',
		otherca => 'tls_ca_file = a CA that did not sign it',
		noverify => 'the same with tls_verify = off',
		badname => 'tls_name = a name the certificate does not have',
		system => 'no tls_ca_file: the system store does not know our CA',
		expired => 'an expired backend certificate',
	);
	for my $u (@ups) {
		my ($name, undef, $want) = @$u;
		my $r = hit($t, "$name.example", '/hello.txt');
		is($r->{status}, $want, "$what{$name}: $want") or diag(($r->{head} // '') . $r->{body});
		is($r->{body}, "hello over tls\n", "$name: the file through TLS") if $want == 200;
	}
	for my $name (qw(otherca badname system expired)) {
		my $port = $name eq 'expired' ? $pe : $p;
		my @l = lines($t, qr/upstream \Q$name\E server 127\.0\.0\.1:$port: TLS handshake failed: certificate verify failed \(.+\)/);
		ok(@l, "$name: upstream $name server 127.0.0.1:$port: TLS handshake failed: certificate verify failed (...)")
		    or diag($t->error_log);
	}
	my ($l) = lines($t, qr/upstream otherca server .*certificate verify failed/);
	like($l // '', qr/\((?:unable to get local issuer certificate|self.signed|certificate signature failure|unable to verify)/,
	    'the reason in parentheses says the issuer is unknown');
	($l) = lines($t, qr/upstream badname server .*certificate verify failed/);
	like($l // '', qr/\(hostname mismatch\)/, 'a wrong name: (hostname mismatch)');
	($l) = lines($t, qr/upstream expired server .*certificate verify failed/);
	like($l // '', qr/\(certificate has expired\)/, 'expired: (certificate has expired)');

	# After a failure the good upstream still works (no state leaks).
	my $r = hit($t, 'good.example', '/hello.txt');
	is($r->{status}, 200, 'the good upstream still answers');
	$t->check_logs(allow => [ qr/TLS handshake failed|is down/ ]);
};

subtest 'SNI to the backend' => sub {
	my $t = Test::Frontd->new;
	# Default certificate wrong.example; backend.example's for that SNI.
	my ($p, $srv) = www_server($t, cert => 'wrong',
	    args => [ '-servername', 'backend.example',
		'-cert2', $C{be}{cert}, '-key2', $C{be}{key} ]);
	my $ca = $CA->{cert};
	$t->start("[upstream sni]\nserver = 127.0.0.1:$p\ntls = on\ntls_ca_file = $ca\n"
	    . "tls_name = backend.example\n\n"
	    . "[upstream nosni]\nserver = 127.0.0.1:$p\ntls = on\ntls_ca_file = $ca\n"
	    . "tls_name = backend.example\ntls_sni = off\n\n"
	    . "[upstream byname]\nserver = localhost:$p\ntls = on\ntls_ca_file = $ca\n"
	    . "tls_name = backend.example\n\n"
	    . "[route sni]\nhost = sni.example\nupstream = sni\n\n"
	    . "[route nosni]\nhost = nosni.example\nupstream = nosni\n\n"
	    . "[route byname]\nhost = byname.example\nupstream = byname\n");
	my $r = hit($t, 'sni.example', '/hello.txt');
	is($r->{status}, 200, 'tls_sni on (default): SNI backend.example, its certificate verifies')
	    or diag($r->{body} . $t->error_log);
	$r = hit($t, 'nosni.example', '/hello.txt');
	is($r->{status}, 502, 'tls_sni = off: the default certificate, wrong.example: 502')
	    or diag($r->{body});
	ok(lines($t, qr/upstream nosni server .*TLS handshake failed: certificate verify failed \(hostname mismatch\)/),
	    'logged as a hostname mismatch') or diag($t->error_log);
	$r = hit($t, 'byname.example', '/hello.txt');
	is($r->{status}, 200, 'a server line with a host name and tls_name: SNI from tls_name')
	    or diag($r->{body} . $t->error_log);
	$t->check_logs(allow => [ qr/TLS handshake failed|is down/ ]);
};

subtest 'client certificate to the backend' => sub {
	my $t = Test::Frontd->new;
	my ($p, $srv) = www_server($t,
	    args => [ '-Verify', '1', '-CAfile', $CCA->{cert}, '-verify_return_error' ]);
	my $ca = $CA->{cert};
	my $base = "server = 127.0.0.1:$p\ntls = on\ntls_ca_file = $ca\ntls_name = backend.example\n";
	$t->start("[upstream with]\n$base"
	    . "tls_certificate = $C{client}{cert}\ntls_certificate_key = $C{client}{key}\n\n"
	    . "[upstream without]\n$base\n"
	    . "[upstream badcert]\n$base"
	    . "tls_certificate = $C{badclient}{cert}\ntls_certificate_key = $C{badclient}{key}\n\n"
	    . "[route with]\nhost = with.example\nupstream = with\n\n"
	    . "[route without]\nhost = without.example\nupstream = without\n\n"
	    . "[route badcert]\nhost = badcert.example\nupstream = badcert\n");
	my $r = hit($t, 'with.example', '/hello.txt');
	is($r->{status}, 200, 'tls_certificate from the CA the backend wants: 200')
	    or diag($r->{body} . $t->error_log . $pki->s_server_output($srv));
	is($r->{body}, "hello over tls\n", 'the file');
	$r = hit($t, 'without.example', '/hello.txt');
	is($r->{status}, 502, 'no client certificate: 502') or diag($r->{body});
	$r = hit($t, 'badcert.example', '/hello.txt');
	is($r->{status}, 502, 'a client certificate from another CA: 502') or diag($r->{body});
	$r = hit($t, 'with.example', '/hello.txt');
	is($r->{status}, 200, 'the good one again: 200');
	$t->check_logs(allow => [ qr/upstream (?:without|badcert) server/ ]);
};

subtest 'a backend that does not speak TLS' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => sub {
		my ($c) = @_;
		$c->fill(5);
		$c->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	});
	my $silent = $t->raw_backend(handler => sub {
		my ($c) = @_;
		$c->fill(20);
	});
	$t->start("[upstream plain]\nserver = $be->{addr}\ntls = on\ntls_verify = off\n\n"
	    . "[upstream silent]\nserver = $silent->{addr}\ntls = on\ntls_verify = off\n"
	    . "upstream_read_timeout = 1s\nupstream_connect_timeout = 1s\n\n"
	    . "[route plain]\nhost = plain.example\nupstream = plain\n\n"
	    . "[route silent]\nhost = silent.example\nupstream = silent\n");
	my $t0 = time;
	my $r = hit($t, 'plain.example', '/');
	is($r->{status}, 502, 'an HTTP answer to the ClientHello: 502');
	cmp_ok(time - $t0, '<', 3, 'at once');
	like($t->received($be), qr/^\x16\x03/, 'the backend got a TLS record');
	ok(lines($t, qr/upstream plain server \Q$be->{addr}\E: TLS handshake failed: /),
	    'logged: upstream plain server ADDR: TLS handshake failed: ...') or diag($t->error_log);
	$t0 = time;
	$r = hit($t, 'silent.example', '/');
	ok($r->{status} == 502 || $r->{status} == 504,
	    'a backend that never answers the ClientHello: 502 or 504') or diag($r->{body});
	cmp_ok(time - $t0, '<', 5, 'bounded by the upstream timeouts');
	$t->check_logs(allow => [ qr/upstream (?:plain|silent) server/ ]);
};

subtest 'health checks do the handshake' => sub {
	my $t = Test::Frontd->new;
	my ($p, $srv) = www_server($t);
	my $ca = $CA->{cert};
	my $oca = $OCA->{cert};
	my $hc = "health_check = GET /hello.txt\nhealth_interval = 200ms\n"
	    . "health_timeout = 2s\nrise = 1\nfall = 1\n";
	$t->start("[upstream good]\nserver = 127.0.0.1:$p\ntls = on\ntls_ca_file = $ca\n"
	    . "tls_name = backend.example\n$hc\n"
	    . "[upstream bad]\nserver = 127.0.0.1:$p\ntls = on\ntls_ca_file = $oca\n"
	    . "tls_name = backend.example\n$hc\n"
	    . "[route good]\nhost = good.example\nupstream = good\n\n"
	    . "[route bad]\nhost = bad.example\nupstream = bad\n");
	$t->wait_for(sub { lines($t, qr/upstream bad server 127\.0\.0\.1:$p\b.*(?:TLS|certificate)/) },
	    10, 'a check of the upstream with the wrong CA fails on the handshake, logged')
	    or diag($t->error_log);
	my ($l) = lines($t, qr/upstream bad server 127\.0\.0\.1:$p\b.*(?:TLS|certificate)/);
	like($l // '', qr/certificate verify failed/, 'saying certificate verify failed')
	    or diag($t->error_log);
	ok(!lines($t, qr/upstream good server .*(?:down|fail)/i),
	    'the upstream with the right CA passes its checks') or diag($t->error_log);
	# s_server answers one connection at a time: give the checks room.
	my $r;
	$t->poll(sub { $r = hit($t, 'good.example', '/hello.txt'); $r->{status} == 200 }, 5);
	is($r->{status}, 200, 'requests to the healthy TLS upstream: 200');
	$r = hit($t, 'bad.example', '/hello.txt');
	ok($r->{status} == 502 || $r->{status} == 503, 'to the failing one: 502 or 503')
	    or diag("$r->{status} $r->{body}");
	$t->check_logs(allow => [ qr/upstream bad server/ ]);
};

# The local ports of the established TCP connections to 127.0.0.1:port
# (from frontd's side), sorted.
sub conns_to {
	my ($port) = @_;
	my %lp;
	for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
		open my $fh, '<', $f or next;
		<$fh>;
		while (<$fh>) {
			my @c = split;
			next unless $c[3] eq '01';
			my ($l) = $c[1] =~ /:([0-9A-F]+)$/ or next;
			my ($r) = $c[2] =~ /:([0-9A-F]+)$/ or next;
			$lp{ hex $l } = 1 if hex($r) == $port;
		}
	}
	return join ' ', sort { $a <=> $b } keys %lp;
}

subtest 'keep-alive to a TLS upstream, big bodies both ways' => sub {
	# The TLS backend: a second frontd with a TLS listener, in front of a
	# raw backend that answers /big with 1 MB and echoes POST bodies.
	my $big = join '', map { sprintf "%07d\n", $_ } 1 .. 131072;	# 1 MiB
	my $inner = Test::Frontd->new;
	my $be = $inner->raw_backend(body => sub {
		my ($q) = @_;
		return $big if $q->{target} eq '/big';
		return "got " . length($q->{body}) . " " . unpack('%32C*', $q->{body}) . "\n"
		    if $q->{method} eq 'POST';
		return "inner $q->{target}\n";
	});
	my $pi = $inner->port;
	$inner->start("[listener tls]\naddress = 127.0.0.1:$pi\ntls = on\n"
	    . "certificate = $C{be}{cert}\ncertificate_key = $C{be}{key}\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n",
	    global => "keepalive_timeout = 2s");

	my $t = Test::Frontd->new;
	$t->start("[upstream inner]\nserver = 127.0.0.1:$pi\ntls = on\n"
	    . "tls_ca_file = $CA->{cert}\ntls_name = backend.example\nkeepalive = 4\n\n"
	    . "[route all]\nupstream = inner\n");
	# With reuse, one connection stays established between requests,
	# the same one each time.
	my ($ok, @seen) = (0);
	for my $i (1 .. 6) {
		my $r = $t->get("/k$i", host => 'k.example');
		$ok++ if $r->status == 200 && $r->content eq "inner /k$i\n";
		push @seen, conns_to($pi);
	}
	is($ok, 6, 'six requests through the TLS upstream: 200 with the inner body');
	my $pooled = $seen[0];
	like($pooled, qr/^\d+\z/, 'after the first, one TLS connection to the upstream stays open')
	    or diag("established after each request: " . join(' | ', @seen));
	ok(!(grep { $_ ne $pooled } @seen), 'all six on that one pooled connection')
	    or diag("established after each request: " . join(' | ', @seen));

	my $r = $t->get('/big', host => 'k.example', timeout => 20);
	is($r->status, 200, 'GET /big through the TLS upstream: 200');
	is(length $r->content, length $big, '1 MiB arrived whole');
	ok($r->content eq $big, 'byte for byte');
	my $body = join '', map { chr(($_ * 7) % 251) } 1 .. 600_000;
	$r = $t->get('/post', method => 'POST', host => 'k.example', body => $body, timeout => 20);
	is($r->status, 200, 'POST of 600 KB through the TLS upstream: 200');
	is($r->content, "got 600000 " . unpack('%32C*', $body) . "\n",
	    'the backend got every byte');
	is(conns_to($pi), $pooled, 'still the same pooled connection after the big bodies');

	# The inner frontd closes the idle pooled connection after its
	# keepalive_timeout (2 s): the next request does not fail for it.
	my $idle = time + 2.6;
	$t->poll(sub { time >= $idle }, 3);
	$r = $t->get('/after-idle', host => 'k.example');
	is($r->status, 200, 'after the upstream closed the idle TLS connection: 200')
	    or diag($r->summary . "\n" . $t->error_log);
	is($r->content, "inner /after-idle\n", 'with the inner body');
	$t->check_logs;
	$inner->check_logs;
};

subtest 'new connections to a TLS upstream resume its session' => sub {
	# The backend: a frontd with a TLS listener that logs each handshake
	# at debug ("..., resumed" when resumed). No pooling in front of it,
	# so every request opens a new TLS connection.
	my $inner = Test::Frontd->new;
	my $be = $inner->raw_backend(body => sub { "inner $_[0]{target}\n" });
	my $pi = $inner->port;
	$inner->start("[listener tls]\naddress = 127.0.0.1:$pi\ntls = on\n"
	    . "certificate = $C{be}{cert}\ncertificate_key = $C{be}{key}\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n",
	    global => "workers = 1\nlog_level = debug");
	my $t = Test::Frontd->new;
	$t->start("[upstream inner]\nserver = 127.0.0.1:$pi\ntls = on\n"
	    . "tls_ca_file = $CA->{cert}\ntls_name = backend.example\nkeepalive = 0\n\n"
	    . "[route all]\nupstream = inner\n", global => "workers = 1");
	my $ok = 0;
	for my $i (1 .. 6) {
		my $r = $t->get("/r$i", host => 'r.example');
		$ok++ if $r->status == 200 && $r->content eq "inner /r$i\n";
	}
	is($ok, 6, 'six requests, each on a new TLS connection: 200');
	my @hs = grep { /conn=\d+ TLSv1\.[23] / } split /\n/, $inner->error_log;
	is(scalar @hs, 6, 'six handshakes at the backend') or diag(join "\n", @hs);
	my $resumed = grep { /, resumed$/ } @hs;
	is($resumed, 5, 'all but the first resumed the session')
	    or diag(join "\n", @hs);
	$t->check_logs;
	$inner->check_logs;
};

done_testing;
