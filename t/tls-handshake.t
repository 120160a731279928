# What a TLS handshake with a listener may negotiate: protocol versions
# (TLS 1.0 and 1.1 refused, tls_protocols), ciphers and TLS 1.3 suites
# (the defaults, server preference, tls_ciphers, tls_ciphersuites),
# curves (tls_curves), ALPN (h2, then http/1.1, in our order; http2 = off
# is in t/config-http2.t), and no renegotiation.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();

my $CA = $pki->ca('ca');
my %C;
$C{a_rsa} = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
tls_certs(\%C);

subtest 'protocols, ciphers, ALPN' => sub {
	my $t = Test::Frontd->new;
	my ($p, $p13, $pc, $ps) = ($t->port, $t->port, $t->port, $t->port);
	$t->start(tls_listener(port => $p, certs => ['a_rsa'])
	    . tls_listener(name => 'only13', port => $p13, certs => ['a_rsa'],
		extra => "tls_protocols = TLSv1.3\n")
	    . tls_listener(name => 'chacha', port => $pc, certs => ['a_rsa'],
		extra => "tls_protocols = TLSv1.2\ntls_ciphers = ECDHE+CHACHA20\n"
		. "tls_curves = P-256\n")
	    . tls_listener(name => 'suites', port => $ps, certs => ['a_rsa'],
		extra => "tls_ciphersuites = TLS_CHACHA20_POLY1305_SHA256\n"));

	# Can the local OpenSSL speak TLS 1.0 and 1.1 at all?  Ask an
	# s_server that allows them: then a failure against frontd is frontd's.
	my $sp = $t->port;
	my $srv = $pki->s_server(port => $sp, cert => $C{a_rsa}{cert},
	    key => $C{a_rsa}{key}, args => ['-cipher', 'DEFAULT@SECLEVEL=0']);
	for my $v (qw(tls1 tls1_1)) {
		my $r = sc($sp, 'a.example', "-$v", '-cipher', 'DEFAULT@SECLEVEL=0');
		ok($r->{ok}, "-$v: the local openssl can do it (against s_server)")
		    or diag(show($r));
		$r = sc($p, 'a.example', "-$v", '-cipher', 'DEFAULT@SECLEVEL=0');
		refused_by_server($r, "-$v is refused by frontd");
	}
	$pki->stop_s_server($srv);

	my $r = sc($p, 'a.example', '-tls1_2');
	ok($r->{ok} && $r->{protocol} eq 'TLSv1.2', 'TLS 1.2 accepted') or diag(show($r));
	like($r->{cipher} // '', qr/^ECDHE-(?:RSA|ECDSA)-(?:AES\d+-GCM|CHACHA20)/,
	    'with an ECDHE AEAD cipher by default');
	$r = sc($p, 'a.example', '-tls1_3');
	ok($r->{ok} && $r->{protocol} eq 'TLSv1.3', 'TLS 1.3 accepted') or diag(show($r));
	$r = sc($p, 'a.example');
	is($r->{protocol}, 'TLSv1.3', 'a client offering both gets TLS 1.3') or diag(show($r));

	$r = sc($p, 'a.example', '-tls1_2', '-cipher', 'AES128-SHA');
	refused_by_server($r, 'TLS 1.2 with a cipher outside the default list (RSA key exchange, CBC) is refused');
	$r = sc($p, 'a.example', '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA');
	refused_by_server($r, 'TLS 1.2 with ECDHE-RSA-AES128-SHA (CBC) is refused');
	# Server preference: a client listing AES128 first gets AES256,
	# first in the server's list.
	$r = sc($p, 'a.example', '-tls1_2', '-cipher',
	    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384');
	is($r->{cipher}, 'ECDHE-RSA-AES256-GCM-SHA384',
	    'TLS 1.2, the client prefers AES128: the server\'s preference, AES256, wins')
	    or diag(show($r));
	$r = sc($p, 'a.example', '-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305');
	is($r->{cipher}, 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE+CHACHA20 is in the default list')
	    or diag(show($r));
	$r = sc($p, 'a.example', '-tls1_3', '-groups', 'X25519');
	ok($r->{ok}, 'default curves: X25519') or diag(show($r));
	$r = sc($p, 'a.example', '-tls1_3', '-groups', 'P-384');
	ok($r->{ok}, 'default curves: P-384') or diag(show($r));
	$r = sc($p, 'a.example', '-tls1_3', '-groups', 'P-521');
	refused_by_server($r, 'P-521 alone is not in the default curves');

	$r = sc($p13, 'a.example', '-tls1_2');
	refused_by_server($r, 'tls_protocols = TLSv1.3: TLS 1.2 refused');
	$r = sc($p13, 'a.example', '-tls1_3');
	ok($r->{ok}, 'tls_protocols = TLSv1.3: TLS 1.3 accepted') or diag(show($r));

	# Settings of another listener: tls_ciphers, tls_ciphersuites,
	# tls_curves, TLS 1.2 only.
	$r = sc($pc, 'a.example', '-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384');
	refused_by_server($r, 'tls_ciphers = ECDHE+CHACHA20: AES-GCM refused');
	$r = sc($pc, 'a.example', '-tls1_2');
	is($r->{cipher}, 'ECDHE-RSA-CHACHA20-POLY1305', 'tls_ciphers = ECDHE+CHACHA20: that one')
	    or diag(show($r));
	$r = sc($pc, 'a.example', '-tls1_3');
	refused_by_server($r, 'tls_protocols = TLSv1.2: TLS 1.3 refused');
	$r = sc($pc, 'a.example', '-tls1_2', '-groups', 'X25519');
	refused_by_server($r, 'tls_curves = P-256: X25519 alone refused');
	$r = sc($pc, 'a.example', '-tls1_2', '-groups', 'X25519:P-256');
	ok($r->{ok} && $r->{all} =~ /Server Temp Key: ECDH, (?:P-256|prime256v1)/,
	    'tls_curves = P-256: P-256 used') or diag(show($r));
	$r = sc($ps, 'a.example', '-tls1_3');
	is($r->{cipher}, 'TLS_CHACHA20_POLY1305_SHA256',
	    'tls_ciphersuites = TLS_CHACHA20_POLY1305_SHA256: that one') or diag(show($r));
	$r = sc($ps, 'a.example', '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256');
	refused_by_server($r, 'tls_ciphersuites: another suite refused');

	$r = sc($p, 'a.example', '-alpn', 'h2,http/1.1');
	is($r->{alpn}, 'h2', 'ALPN h2,http/1.1: h2 selected') or diag(show($r));
	$r = sc($p, 'a.example', '-alpn', 'http/1.1,h2');
	is($r->{alpn}, 'h2', 'ALPN http/1.1,h2: h2 selected, our order')
	    or diag(show($r));
	$r = sc($p, 'a.example', '-alpn', 'http/1.1');
	is($r->{alpn}, 'http/1.1', 'ALPN http/1.1 alone: http/1.1') or diag(show($r));
	$r = sc($p, 'a.example', '-alpn', 'spdy/3,acme');
	ok($r->{ok} && $r->{alpn} eq '', 'ALPN with nothing we speak: no '
	    . 'protocol, the handshake goes on') or diag(show($r));
	$r = sc($p, 'a.example', '-tls1_2', '-alpn', 'h2,http/1.1');
	is($r->{alpn}, 'h2', 'ALPN with TLS 1.2 too') or diag(show($r));

	# Renegotiation is disabled: a TLS 1.2 client asking for it ("R"
	# on s_client's input) does not get a second handshake.
	$r = $pki->s_client(port => $p, servername => 'a.example',
	    cafile => $CA->{cert}, args => ['-tls1_2'], stdin => "R\n",
	    hold => 1.5, timeout => 6);
	like($r->{all}, qr/RENEGOTIATING/, 'TLS 1.2: s_client asked to renegotiate')
	    or diag(show($r));
	my $hs = () = $r->{all} =~ /^depth=0 /mg;
	ok($r->{ok} && $hs == 1 && $r->{all} =~ /no renegotiation|alert|closed|errno/i,
	    'TLS 1.2 renegotiation is refused') or diag(show($r));
	$t->check_logs;
};

done_testing;
