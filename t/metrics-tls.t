# TLS handshakes in the metrics: frontd_tls_handshakes_total counts each
# completed client handshake once, as full or resumed, at TLS 1.3 and 1.2,
# over every worker.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my ($T0, $pki) = tls_pki();

$pki->ca('ca');
my %C = (a_rsa => $pki->cert('a-rsa', names => ['a.example']));
tls_certs(\%C);

my $REQ = "GET /s HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n";

my $t = Test::Frontd->new;
my ($plain, $tls) = ($t->port, $t->port);
my $be = $t->backend(body => 'hello');
$t->start("[listener plain]\naddress = 127.0.0.1:$plain\n\n"
    . tls_listener(port => $tls, certs => ['a_rsa'])
    . "[route metrics]\npath = /metrics\nmetrics = on\n\n" . app($be),
    global => "workers = 2");

sub handshakes {
	my $text = $t->get('/metrics')->content;
	my %n = $text =~ /^frontd_tls_handshakes_total\{type="(\w+)"\} (\d+)$/mg;
	return \%n;
}

is_deeply(handshakes(), { full => 0, resumed => 0 }, 'none yet');

my $n = 0;
for my $v ('-tls1_3', '-tls1_2') {
	my $sess = $t->dir . '/sess' . ++$n . '.pem';
	my $first = $pki->s_client(port => $tls, servername => 'a.example',
	    args => [$v, '-sess_out', $sess], request => $REQ);
	ok($first->{ok} && !$first->{reused}, "$v: a full handshake")
	    or diag(show($first));
	my @r = map { $pki->s_client(port => $tls, servername => 'a.example',
	    args => [$v, '-sess_in', $sess], request => $REQ) } 1 .. 3;
	is(scalar(grep { $_->{reused} } @r), 3, "$v: 3 resumed");
	like($r[0]{http} // '', qr/^HTTP\/1\.1 200/, "$v: served");
}
is_deeply(handshakes(), { full => 2, resumed => 6 },
    'frontd_tls_handshakes_total: 2 full, 6 resumed');

$t->check_logs;
done_testing;
