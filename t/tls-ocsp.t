# OCSP stapling: tls_ocsp_staple_file is sent to clients that ask, nothing
# without it, and a reload reads the file again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();

$pki->ca('ca');
my %C;
$C{a_rsa} = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{ocsp}  = $pki->cert('ocsp', names => ['ocsp.example']);
tls_certs(\%C);

subtest 'OCSP stapling' => sub {
	my $t = Test::Frontd->new;
	my ($p, $p0) = ($t->port, $t->port);
	my $resp = $pki->ocsp_response('a-rsa');
	$t->start(tls_listener(port => $p, certs => ['a_rsa'],
	    extra => "tls_ocsp_staple_file = $resp\n")
	    . tls_listener(name => 'nostaple', port => $p0, certs => ['a_rsa']));
	my $r = sc($p, 'a.example', '-status');
	like($r->{all}, qr/OCSP Response Status: successful/, 'the response is stapled')
	    or diag(show($r));
	like($r->{all}, qr/Cert Status: good/, 'saying good');
	$r = sc($p0, 'a.example', '-status');
	like($r->{all}, qr/OCSP response: no response sent/, 'none without tls_ocsp_staple_file')
	    or diag(show($r));
	$t->check_logs;

	# The file is read again on reload.
	my $t2 = Test::Frontd->new;
	my $p2 = $t2->port;
	my $staple = $t2->dir . '/staple.der';
	$pki->ocsp_response('ocsp', out => $staple);
	my $conf = tls_listener(port => $p2, certs => ['ocsp'],
	    extra => "tls_ocsp_staple_file = $staple\n");
	$t2->start($conf);
	$r = sc($p2, 'ocsp.example', '-status');
	like($r->{all}, qr/Cert Status: good/, 'a staple saying good') or diag(show($r));
	$pki->revoke('ocsp');
	$pki->ocsp_response('ocsp', out => $staple);
	ok($t2->reload($conf), 'reload after the staple file changed');
	$r = sc($p2, 'ocsp.example', '-status');
	like($r->{all}, qr/Cert Status: revoked/, 'the new staple (revoked) is sent')
	    or diag(show($r));
	$t2->check_logs;
};

done_testing;
