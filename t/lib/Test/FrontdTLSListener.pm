package Test::FrontdTLSListener;

# What the tests of TLS listeners (t/tls-*.t) share: the certificate
# authority in a harness of its own, listener sections naming
# certificates, s_client runs and what they show, and which certificate
# a handshake got.
#
#     use Test::FrontdTLSListener;
#     my ($T0, $pki) = tls_pki();       # skips the test without openssl
#     my $CA = $pki->ca('ca');
#     my %C = (a_rsa => $pki->cert('a-rsa', names => ['a.example']));
#     tls_certs(\%C);                   # the names served() answers with
#     $t->start(tls_listener(port => $p, certs => ['a_rsa']) . app($be));
#     my $r = sc($p, 'a.example', '-tls1_3');
#     is(served($r), 'a_rsa', '...') or diag(show($r));

use strict;
use warnings;

use Exporter qw(import);
use Test::More;
use Test::Frontd;
use Test::FrontdTLS;

our @EXPORT = qw(tls_pki tls_certs pair tls_listener app served show sc
    refused_by_server);

our ($PKI, $CERTS);

# The certificates live in the dir of a harness object of their own:
# (that harness, the Test::FrontdTLS on it).  Without an openssl command
# the whole test is skipped.
sub tls_pki {
	my $t0 = Test::Frontd->new;
	my $pki = Test::FrontdTLS->new($t0);
	my ($ok, $why) = $pki->have_openssl;
	plan skip_all => "no openssl command: $why" unless $ok;
	$PKI = $pki;
	return ($t0, $pki);
}

# The certificates of the test, by the names tls_listener() takes and
# served() returns.
sub tls_certs { $CERTS = $_[0] }

sub pair {
	my ($c) = @_;
	return "certificate = " . ($c->{chain} // $c->{cert})
	    . "\ncertificate_key = $c->{key}\n";
}

# A TLS listener section.  opts: name, port, certs (list of names given to
# tls_certs(), or certificate hashes; default def), extra (more lines).
sub tls_listener {
	my (%o) = @_;
	my $s = "[listener " . ($o{name} // 'tls') . "]\n"
	    . "address = 127.0.0.1:$o{port}\ntls = on\n";
	$s .= pair(ref $_ ? $_ : $CERTS->{$_}) for @{ $o{certs} // ['def'] };
	$s .= $o{extra} // '';
	return "$s\n";
}

sub app {
	my ($be, $extra) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n"
	    . ($extra // '');
}

# The certificate a handshake got: its name given to tls_certs(), by serial.
sub served {
	my ($r) = @_;
	return 'none' unless $r->{cert};
	my $i = $PKI->cert_info($r->{cert});
	for my $k (sort keys %$CERTS) {
		return $k if ($i->{serial} // '') eq $CERTS->{$k}{serial};
	}
	return "unknown (subject $i->{subject})";
}

sub show {
	my ($r) = @_;
	my $o = $r->{all};
	$o =~ s/-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?/[cert]\n/sg;
	return "$r->{cmd}\n$o";
}

sub sc {
	my ($port, $name, @args) = @_;
	return $PKI->s_client(port => $port, servername => $name, args => \@args);
}

# A refused handshake, refused by frontd (an alert from it, or a close),
# not by the local OpenSSL.
sub refused_by_server {
	my ($r, $what) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $local = $r->{all} =~ /no protocols available|no ciphers available|legacy sigalg disallowed|no cipher match|Error with command/;
	ok(!$r->{ok} && !$local, $what) or diag(show($r));
}

1;
