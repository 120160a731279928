# Client certificates on TLS listeners: tls_verify_client on refuses
# clients without a certificate of tls_client_ca (TLS 1.2 and 1.3),
# optional lets them through; $ssl_client_s_dn reaches the backend.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();
my ($HAVE_CURL, $CURL_WHY) = $pki->have_curl_tls;

my $CA = $pki->ca('ca');
my $CCA = $pki->ca('cca', subject => '/O=Frontd Test/CN=Client CA');
$pki->ca('oca', subject => '/O=Elsewhere/CN=Other CA');
my %C;
$C{a_rsa}   = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{alice}   = $pki->cert('alice', subject => '/O=Frontd Clients/CN=alice',
    client => 1, issuer => 'cca');
$C{mallory} = $pki->cert('mallory', subject => '/O=Elsewhere/CN=mallory',
    client => 1, issuer => 'oca');
tls_certs(\%C);

subtest 'client certificates' => sub {
	plan skip_all => "curl with TLS: $CURL_WHY" unless $HAVE_CURL;
	my $t = Test::Frontd->new;
	my ($pon, $popt) = ($t->port, $t->port);
	my $be = $t->raw_backend;
	$t->start(tls_listener(name => 'on', port => $pon, certs => ['a_rsa'],
	    extra => "tls_client_ca = $CCA->{cert}\ntls_verify_client = on\n")
	    . tls_listener(name => 'opt', port => $popt, certs => ['a_rsa'],
	    extra => "tls_client_ca = $CCA->{cert}\ntls_verify_client = optional\n")
	    . app($be, "set_request_header = X-Client-DN: \$ssl_client_s_dn\n"));

	my $n = 0;
	my $go = sub {
		my ($port, $who, @more) = @_;
		my $path = "/c" . ++$n;
		my $h = $pki->curl("https://a.example:$port$path", cacert => $CA->{cert},
		    resolve => ["a.example:$port:127.0.0.1"],
		    $who ? (cert => $C{$who}{cert}, key => $C{$who}{key}) : (),
		    args => [@more]);
		my ($q) = grep { $_->{target} eq $path } $t->received_requests($be);
		return ($h, $q);
	};
	my ($h, $q) = $go->($pon, 'alice');
	is($h->{status}, 200, 'on: a good client certificate is accepted')
	    or diag("$h->{cmd}\n$h->{err}");
	is_deeply(($q // {})->{headers}{'x-client-dn'}, ['CN=alice,O=Frontd Clients'],
	    '$ssl_client_s_dn reaches the backend (RFC 2253)');
	for my $v ([], ['--tls-max', '1.2']) {
		my $tv = @$v ? 'TLS 1.2' : 'TLS 1.3';
		($h, $q) = $go->($pon, undef, @$v);
		isnt($h->{status}, 200, "on, $tv: no certificate is refused")
		    or diag("$h->{cmd}\n$h->{head}");
		ok(!$q, "on, $tv: nothing reaches the backend");
		($h, $q) = $go->($pon, 'mallory', @$v);
		isnt($h->{status}, 200, "on, $tv: a certificate from another CA is refused")
		    or diag("$h->{cmd}\n$h->{head}");
		ok(!$q, "on, $tv: nothing reaches the backend");
	}
	($h, $q) = $go->($popt, undef);
	is($h->{status}, 200, 'optional: no certificate gets through') or diag("$h->{cmd}\n$h->{err}");
	my $dn = ($q // {})->{headers}{'x-client-dn'};
	ok(!$dn || $dn->[0] eq '', 'with an empty $ssl_client_s_dn')
	    or diag("X-Client-DN: @$dn");
	($h, $q) = $go->($popt, 'alice');
	is($h->{status}, 200, 'optional: a good certificate gets through');
	is_deeply(($q // {})->{headers}{'x-client-dn'}, ['CN=alice,O=Frontd Clients'],
	    'with its DN');

	# The same with s_client: the handshake itself fails without a
	# certificate at TLS 1.2.
	my $r = sc($pon, 'a.example', '-tls1_2');
	refused_by_server($r, 'on, s_client -tls1_2 without a certificate: handshake refused');
	$r = sc($pon, 'a.example', '-tls1_2', '-cert', $C{alice}{cert}, '-key', $C{alice}{key});
	ok($r->{ok}, 'on, s_client -tls1_2 with a good certificate: handshake done')
	    or diag(show($r));
	like($r->{all}, qr/Acceptable client certificate CA names\n(?:.*\n)*?.*Client CA/,
	    'the server names the client CA') or diag(show($r));
	$t->check_logs(allow => [ qr/certificate|handshake|SSL|TLS/i ]);
};

done_testing;
