# What "frontd -t" says about TLS listener settings: missing, unreadable
# or mismatched certificates and keys, tls = on without a certificate,
# protocols before TLS 1.2, tls_verify_client without a CA, a ticket key
# file of the wrong size, each at its file:line; expired and not yet
# valid certificates only warn, and a daemon still serves them.
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
$C{a_rsa}   = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{a_ec}    = $pki->cert('a-ec', names => ['a.example', 'b.example'],
    type => 'ec');
$C{a_rsa2}  = $pki->cert('a-rsa2', names => ['a.example', 'b.example']);
$C{expired} = $pki->cert('expired', names => ['old.example'], expired => 1);
$C{future}  = $pki->cert('future', names => ['new.example'], future => 1);
tls_certs(\%C);

subtest 'frontd -t and certificates' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	my $missing = $t->dir . '/no-such-cert.pem';
	my $garbage = $t->spew($t->dir . '/garbage.key', "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n");
	my $ec = $C{a_ec};
	my $rsa = $C{a_rsa};
	my @cases = (
		{ name => 'a missing certificate file', error => 1,
		  text => "certificate = $missing\ncertificate_key = $rsa->{key}\n",
		  line => qr/^certificate\s*=.*no-such-cert/, msg => qr/no-such-cert\.pem/ },
		{ name => 'a missing key file', error => 1,
		  text => "certificate = $rsa->{cert}\ncertificate_key = $missing\n",
		  line => qr/^certificate_key\s*=.*no-such-cert/, msg => qr/no-such-cert\.pem/ },
		{ name => 'a key that does not match its certificate', error => 1,
		  text => "certificate = $rsa->{cert}\ncertificate_key = $ec->{key}\n",
		  line => qr/^certificate(?:_key)?\s*=/, msg => qr/match/i },
		{ name => 'a key of the same type that does not match', error => 1,
		  text => "certificate = $rsa->{cert}\ncertificate_key = $C{a_rsa2}{key}\n",
		  line => qr/^certificate(?:_key)?\s*=/, msg => qr/match/i },
		{ name => 'an unreadable key', error => 1,
		  text => "certificate = $rsa->{cert}\ncertificate_key = $garbage\n",
		  line => qr/^certificate_key\s*=/, msg => qr/garbage\.key|key/i },
		{ name => 'tls = on without a certificate', error => 1,
		  text => "", line => qr/^(?:tls\s*=|\[listener)/, msg => qr/certificate/i },
		{ name => 'TLSv1 in tls_protocols', error => 1,
		  text => pair($rsa) . "tls_protocols = TLSv1 TLSv1.2\n",
		  line => qr/^tls_protocols/, msg => qr/not supported/ },
		{ name => 'TLSv1.1 in tls_protocols', error => 1,
		  text => pair($rsa) . "tls_protocols = TLSv1.1\n",
		  line => qr/^tls_protocols/, msg => qr/not supported/ },
		{ name => 'tls_verify_client = on without tls_client_ca', error => 1,
		  text => pair($rsa) . "tls_verify_client = on\n",
		  line => qr/^(?:tls_verify_client|\[listener)/, msg => qr/tls_client_ca/ },
		{ name => 'redirect_to_https on a TLS listener', error => 1,
		  text => pair($rsa) . "redirect_to_https = on\n",
		  line => qr/^(?:redirect_to_https|\[listener)/, msg => qr/redirect_to_https|tls/ },
		{ name => 'a ticket key file of the wrong size', error => 1,
		  text => pair($rsa) . "tls_ticket_key_file = $rsa->{cert}\n",
		  line => qr/^(?:tls_ticket_key_file|\[listener)/, msg => qr/80|size|bytes/i },
		{ name => 'an expired certificate: a warning', error => 0,
		  text => pair($C{expired}),
		  line => qr/^certificate\s*=.*expired/,
		  msg => qr/warning: certificate .*expired on \S/ },
		{ name => 'a certificate not yet valid: a warning', error => 0,
		  text => pair($C{future}),
		  line => qr/^certificate\s*=.*future/, msg => qr/warning: certificate/ },
		{ name => 'a good pair', error => 0, text => pair($rsa) . pair($ec),
		  line => undef },
	);
	for my $c (@cases) {
		$t->write_config("[listener tls]\naddress = 127.0.0.1:$p\ntls = on\n$c->{text}");
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
		my $all = "$out$err";
		if ($c->{error}) {
			isnt($code, 0, "$c->{name}: frontd -t fails") or diag($all);
		} else {
			is($code, 0, "$c->{name}: frontd -t succeeds") or diag($all);
		}
		next unless $c->{line};
		my $conf = $t->conf;
		my @want;
		my @l = split /\n/, $t->slurp($conf);
		for my $i (0 .. $#l) {
			push @want, $i + 1 if $l[$i] =~ $c->{line};
		}
		my $lre = join '|', @want;
		like($all, qr/^\Q$conf\E:(?:$lre): (?:(?!\n).)*$c->{msg}/m,
		    "$c->{name}: $conf:LINE: message") or diag($all);
		if ($c->{error} == 0 && $c->{msg}) {
			unlike($all, qr/^\S+:\d+: (?!warning)/m, "$c->{name}: no error line")
			    or diag($all);
		}
	}
	# A daemon starts with an expired certificate (the warning only).
	$t->start(tls_listener(port => $p, certs => ['expired']));
	my $r = sc($p, 'old.example');
	ok($r->{ok}, 'a daemon with an expired certificate still serves it') or diag(show($r));
	$t->check_logs(allow => [ qr/expired/ ]);
};

done_testing;
