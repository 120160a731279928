# TLS listeners choose a certificate by SNI: exact names, wildcards of one
# label, the CN of a certificate without SAN, the first pair without SNI
# or for an unknown name, chains sent whole; and between an RSA and an
# ECDSA certificate for the same names by what the client can verify,
# whatever their order.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();

my $CA = $pki->ca('ca');
$pki->ca('int', issuer => 'ca');
my %C;
$C{def}     = $pki->cert('def', names => ['default.example']);
$C{a_rsa}   = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{a_ec}    = $pki->cert('a-ec', names => ['a.example', 'b.example'],
    type => 'ec');
$C{wild}    = $pki->cert('wild', names => ['*.w.example']);
$C{exact}   = $pki->cert('exact', names => ['x.w.example']);
$C{cnonly}  = $pki->cert('cnonly', cn => 'cn.example');
$C{chained} = $pki->cert('chained', names => ['ch.example'],
    issuer => 'int', chain => 1);
tls_certs(\%C);

subtest 'SNI picks the certificate' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	$t->start(tls_listener(port => $p,
	    certs => [qw(def a_rsa a_ec wild exact cnonly chained)]));

	my @cases = (
		[ undef, 'def', 'no SNI: the first pair' ],
		[ 'unknown.example', 'def', 'a name no certificate has: the first pair' ],
		[ 'default.example', 'def', 'the first pair by name' ],
		[ 'y.w.example', 'wild', 'wildcard *.w.example' ],
		[ 'x.w.example', 'exact', 'an exact name wins over a wildcard listed before it' ],
		[ 'a.b.w.example', 'def', 'a wildcard matches one label only' ],
		[ 'w.example', 'def', 'a wildcard does not match the bare parent' ],
		[ 'cn.example', 'cnonly', 'a certificate without SAN: its CN' ],
		[ 'ch.example', 'chained', 'a certificate with its chain' ],
		[ 'X.W.Example', 'exact', 'names compare without case' ],
	);
	for my $c (@cases) {
		my ($name, $want, $what) = @$c;
		my $r = sc($p, $name);
		ok($r->{ok}, "$what: handshake") or diag(show($r));
		is(served($r), $want, "$what: $want served") or diag(show($r));
	}
	for my $name (qw(a.example b.example)) {
		my $r = sc($p, $name);
		like(served($r), qr/^a_(?:rsa|ec)\z/, "$name: one of its two certificates")
		    or diag(show($r));
	}

	my $r = $pki->s_client(port => $p, servername => 'ch.example',
	    cafile => $CA->{cert}, args => ['-verify_return_error']);
	is(scalar @{ $r->{certs} }, 2, 'the chain file: leaf and intermediate sent')
	    or diag(show($r));
	is($r->{verify}, 0, 'and the chain verifies against the root') or diag(show($r));
	$r = $pki->s_client(port => $p, servername => 'a.example',
	    cafile => $CA->{cert}, args => ['-verify_return_error',
	    '-verify_hostname', 'a.example']);
	ok($r->{ok} && ($r->{verify} // -1) == 0, 'a.example verifies with its name')
	    or diag(show($r));
	$t->check_logs;
};

subtest 'RSA and ECDSA for the same names' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	# Both orders: the choice must not depend on which pair comes first.
	for my $order ([qw(def a_rsa a_ec)], [qw(def a_ec a_rsa)]) {
		$t->stop if $t->master_pid;
		$t->start(tls_listener(port => $p, certs => $order));
		my $o = "order @$order[1,2]";
		for my $name (qw(a.example b.example)) {
			my $r = sc($p, $name, '-tls1_3', '-sigalgs', 'ecdsa_secp256r1_sha256');
			is(served($r), 'a_ec', "$o, $name, TLS 1.3, ECDSA sigalgs: ECDSA certificate")
			    or diag(show($r));
			$r = sc($p, $name, '-tls1_3', '-sigalgs', 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384');
			is(served($r), 'a_rsa', "$o, $name, TLS 1.3, RSA-PSS sigalgs: RSA certificate")
			    or diag(show($r));
			$r = sc($p, $name, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256');
			is(served($r), 'a_ec', "$o, $name, TLS 1.2, ECDHE-ECDSA cipher: ECDSA certificate")
			    or diag(show($r));
			$r = sc($p, $name, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256');
			is(served($r), 'a_rsa', "$o, $name, TLS 1.2, ECDHE-RSA cipher: RSA certificate")
			    or diag(show($r));
		}
		my $r = sc($p, undef, '-tls1_3', '-sigalgs', 'rsa_pss_rsae_sha256');
		is(served($r), 'def', "$o, no SNI: still the first pair") or diag(show($r));
	}
	$t->check_logs;
};

done_testing;
