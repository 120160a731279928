package Test::FrontdTLS;

# Certificates and TLS clients for frontd's TLS tests, with the openssl
# and curl command-line tools (run in list form, never through a shell,
# always with a deadline).  Everything lives under the test's temp dir.
#
#     my $t   = Test::Frontd->new;
#     my $pki = Test::FrontdTLS->new($t);           # files in $t->dir/pki
#     my $ca  = $pki->ca('ca');                     # {cert, key, name}
#     my $int = $pki->ca('int', issuer => 'ca');    # an intermediate
#     my $c   = $pki->cert('a-rsa', names => ['a.example', '*.w.example'],
#         type => 'rsa' | 'ec', issuer => 'ca', expired => 1,
#         cn => 'x', subject => '/O=Org/CN=x', client => 1, chain => 1);
#     # {cert, key, chain (leaf + issuer when chain => 1), serial, ...}
#     my $r = $pki->s_client(port => $p, servername => 'a.example',
#         args => ['-tls1_2'], request => "GET / ...");
#     # {ok, out, err, exit, protocol, cipher, reused, alpn, cert (PEM),
#     #  certs ([PEM...]), verify}
#     my $i = $pki->cert_info($pem_or_file);   # {subject, san, serial, keytype}
#     my $h = $pki->curl('https://a.example:PORT/x', resolve => [...], ...);
#     # {exit, status, headers {lc => value}, body, err}
#     my ($code, $out, $err) = $pki->run({ stdin => '', timeout => 10 }, @cmd);
#     my $pid = $pki->s_server(port => $p, cert => ..., key => ..., args => [..]);
#
# Processes started in the background (s_server) are handed to the
# harness's track(): they are killed when the test ends.

use strict;
use warnings;

use Carp qw(croak);
use POSIX qw(WNOHANG strftime);
use Time::HiRes qw(time sleep);
use IO::Socket::INET;

my $OPENSSL = $ENV{OPENSSL} // 'openssl';
my $CURL    = $ENV{CURL} // 'curl';
my $RUN_S   = 20;		# default deadline of one command

sub new {
	my ($class, $t, %o) = @_;
	my $dir = $o{dir} // $t->dir . '/pki';
	mkdir $dir or -d $dir or croak "mkdir $dir: $!";
	chmod 0755, $dir;
	my $self = bless { t => $t, dir => $dir, cas => {}, certs => {},
	    serial => 4096 + int(rand(1000)) * 16, nrun => 0 }, $class;
	$self->_spew("$dir/req.cnf", "[req]\ndistinguished_name = dn\n"
	    . "prompt = no\n[dn]\n");
	return $self;
}

sub dir { $_[0]{dir} }

# Whether the tools are there: (1) or (0, why).
sub have_openssl {
	my ($self) = @_;
	my ($c, $out) = $self->run({ timeout => 10 }, $OPENSSL, 'version');
	return $c == 0 && $out =~ /^OpenSSL (\d+)/ ? (1, $out) : (0, "openssl: $out");
}

sub have_curl_tls {
	my ($self) = @_;
	my ($c, $out) = $self->run({ timeout => 10 }, $CURL, '--version');
	return (0, 'no curl') if $c != 0;
	return $out =~ /^Protocols:.*\bhttps\b/m ? (1, $out) : (0, 'curl without https');
}

sub openssl_version {
	my ($self) = @_;
	my ($c, $out) = $self->run({ timeout => 10 }, $OPENSSL, 'version');
	return $out =~ /^OpenSSL (\d+)\.(\d+)/ ? $1 * 100 + $2 : 0;
}

sub _spew {
	my ($self, $path, $text) = @_;
	open my $fh, '>', $path or croak "cannot write $path: $!";
	print $fh $text;
	close $fh or croak "cannot write $path: $!";
	return $path;
}

sub _slurp {
	my ($self, $path) = @_;
	open my $fh, '<', $path or return '';
	local $/;
	my $s = <$fh>;
	return $s // '';
}

# ---------------------------------------------------------------------------
# Running commands

# Run a command (list form): (exit code, stdout, stderr).  opts: stdin
# (text, default none; or an array ref of pieces, written gap seconds
# apart, 0.2 by default, on a pipe), hold (stdin is a pipe closed hold
# seconds after the last piece: s_client acts on its input as it comes,
# and ends at EOF), timeout (seconds; the command is killed after it, exit
# code 137 then), cwd.  A signal death is 128 + signal.
sub run {
	my ($self, @args) = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	my $n = ++$self->{nrun};
	my ($in, $out, $err) = map { "$self->{dir}/run$n.$_" } qw(in out err);
	my @pieces = ref $o->{stdin} eq 'ARRAY' ? @{ $o->{stdin} } : ($o->{stdin} // '');
	$self->_spew($in, join '', @pieces);
	my ($pr, $pw);
	if ($o->{hold} || @pieces > 1) {
		pipe($pr, $pw) or croak "pipe: $!";
	}
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		chdir $o->{cwd} or POSIX::_exit(126) if defined $o->{cwd};
		if ($pr) {
			close $pw;
			open STDIN, '<&', $pr or POSIX::_exit(127);
		} else {
			open STDIN, '<', $in or POSIX::_exit(127);
		}
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $args[0] } @args; }
		print STDERR "exec $args[0]: $!\n";
		POSIX::_exit(127);
	}
	$self->{t}->track($pid);
	my $deadline = time + ($o->{timeout} // $RUN_S);
	# What to write to the pipe and when: [time, bytes], then the close.
	my @plan;
	if ($pr) {
		close $pr;
		my $at = time;
		for my $i (0 .. $#pieces) {
			$at += $o->{gap} // 0.2 if $i;
			push @plan, [ $at, $pieces[$i] ];
		}
		push @plan, [ $at + ($o->{hold} // 0), undef ];
	}
	local $SIG{PIPE} = 'IGNORE';
	my $status;
	while (1) {
		while ($pw && @plan && time >= $plan[0][0]) {
			my $b = (shift @plan)->[1];
			if (defined $b) {
				syswrite($pw, $b);
			} else {
				close $pw;
				undef $pw;
			}
		}
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid) { $status = $?; last }
		if ($r < 0) { $status = 255 << 8; last }
		if (time > $deadline) {
			kill 'KILL', -$pid;
			kill 'KILL', $pid;
			waitpid($pid, 0);
			$status = $?;
			$self->{timed_out} = 1;
			last;
		}
		sleep 0.02;
	}
	close $pw if $pw;
	my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	my @r = ($code, $self->_slurp($out), $self->_slurp($err));
	unlink $in, $out, $err unless $ENV{FRONTD_TEST_KEEP};
	return @r;
}

sub openssl {
	my ($self, @args) = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	my ($c, $out, $err) = $self->run($o, $OPENSSL, @args);
	croak "openssl @args: exit $c\n$out$err" if $c != 0 && !$o->{may_fail};
	return wantarray ? ($c, $out, $err) : $out;
}

# ---------------------------------------------------------------------------
# Keys and certificates

sub _gmt { strftime('%Y%m%d%H%M%SZ', gmtime($_[0])) }

sub _key {
	my ($self, $path, $type) = @_;
	$type //= 'rsa';
	if ($type eq 'rsa') {
		$self->openssl('genpkey', '-algorithm', 'RSA',
		    '-pkeyopt', 'rsa_keygen_bits:2048', '-out', $path);
	} elsif ($type eq 'ec') {
		$self->openssl('genpkey', '-algorithm', 'EC',
		    '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', $path);
	} else {
		croak "unknown key type $type";
	}
	chmod 0600, $path;
	return $path;
}

# The "openssl ca" config of an issuer (its database in its own dir).
sub _ca_conf {
	my ($self, $name) = @_;
	my $d = "$self->{dir}/ca-$name.db";
	unless (-d $d) {
		mkdir $d or croak "mkdir $d: $!";
		$self->_spew("$d/index.txt", '');
		$self->_spew("$d/index.txt.attr", "unique_subject = no\n");
	}
	return $self->_spew("$d/ca.cnf", <<"EOF");
[ca]
default_ca = this
[this]
database = $d/index.txt
new_certs_dir = $d
serial = $d/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = optional
organizationName = optional
organizationalUnitName = optional
countryName = optional
EOF
}

# Sign csr by issuer: extensions text, subject, dates.
sub _sign {
	my ($self, %o) = @_;
	my $ca = $self->{cas}{ $o{issuer} } or croak "no CA $o{issuer}";
	my $conf = $self->_ca_conf($o{issuer});
	my $ext = $self->_spew("$o{out}.ext", "[ext]\n$o{ext}");
	my $serial = sprintf '%X', ++$self->{serial};
	$serial = "0$serial" if length($serial) % 2;
	$self->_spew("$self->{dir}/ca-$o{issuer}.db/serial", "$serial\n");
	$self->openssl('ca', '-batch', '-config', $conf, '-notext', '-preserveDN',
	    '-cert', $ca->{cert}, '-keyfile', $ca->{key}, '-in', $o{csr},
	    '-out', $o{out}, '-subj', $o{subject}, '-md', 'sha256',
	    '-startdate', _gmt($o{from}), '-enddate', _gmt($o{until}),
	    '-extfile', $ext, '-extensions', 'ext');
	return $serial;
}

sub _csr {
	my ($self, $key, $subject, $out) = @_;
	$self->openssl('req', '-new', '-config', "$self->{dir}/req.cnf",
	    '-key', $key, '-subj', $subject, '-out', $out);
	return $out;
}

# A CA: self-signed (root) or signed by issuer (an intermediate).
# Returns {name, cert, key}.
sub ca {
	my ($self, $name, %o) = @_;
	return $self->{cas}{$name} if $self->{cas}{$name} && !%o;
	my $d = $self->{dir};
	my $key = $self->_key("$d/$name.key", $o{type} // 'rsa');
	my $cert = "$d/$name.pem";
	my $subject = $o{subject} // "/O=Frontd Test/CN=Frontd Test $name";
	my $ext = "basicConstraints = critical, CA:TRUE\n"
	    . "keyUsage = critical, keyCertSign, cRLSign\n"
	    . "subjectKeyIdentifier = hash\n";
	if ($o{issuer}) {
		my $csr = $self->_csr($key, $subject, "$d/$name.csr");
		$self->_sign(issuer => $o{issuer}, csr => $csr, out => $cert,
		    subject => $subject, ext => $ext
		    . "authorityKeyIdentifier = keyid:always\n",
		    from => time - 86400, until => time + 30 * 86400);
	} else {
		my $ef = $self->_spew("$d/$name.ext", "[req]\ndistinguished_name = dn\n"
		    . "prompt = no\n[dn]\n[ext]\n$ext");
		$self->openssl('req', '-new', '-x509', '-config', $ef,
		    '-extensions', 'ext', '-key', $key, '-subj', $subject,
		    '-days', 60, '-sha256', '-set_serial', ++$self->{serial},
		    '-out', $cert);
	}
	return $self->{cas}{$name} = { name => $name, cert => $cert, key => $key,
	    subject => $subject, issuer => $o{issuer} };
}

# A leaf certificate.  opts: names (SAN entries: DNS names, wildcards,
# "IP:1.2.3.4"; none: CN only), cn (default: the first name), subject (a
# full /K=V/... subject), type rsa|ec, issuer (default "ca"), expired
# (ended yesterday), future (starts tomorrow), client (clientAuth usage),
# chain (also write NAME.chain.pem: leaf then issuer), out (base path).
# Returns {name, cert, key, chain, serial, names, subject}.
sub cert {
	my ($self, $name, %o) = @_;
	my $issuer = $o{issuer} // 'ca';
	$self->ca($issuer) unless $self->{cas}{$issuer};
	my $base = $o{out} // "$self->{dir}/$name";
	my $key = $o{key_from} // $self->_key("$base.key", $o{type} // 'rsa');
	my @names = @{ $o{names} // [] };
	my $cn = $o{cn} // (grep { !/^IP:/ } @names)[0] // $name;
	my $subject = $o{subject} // "/O=Frontd Test/CN=$cn";
	my $ext = "basicConstraints = critical, CA:FALSE\n"
	    . "authorityKeyIdentifier = keyid\n"
	    . "subjectKeyIdentifier = hash\n"
	    . "keyUsage = critical, digitalSignature"
	    . (($o{type} // 'rsa') eq 'rsa' ? ", keyEncipherment" : '') . "\n"
	    . "extendedKeyUsage = " . ($o{client} ? 'clientAuth' : 'serverAuth') . "\n";
	if (@names) {
		$ext .= "subjectAltName = " . join(', ',
		    map { /^IP:/ ? $_ : "DNS:$_" } @names) . "\n";
	}
	my $now = time;
	my ($from, $until) = ($now - 86400, $now + 30 * 86400);
	($from, $until) = ($now - 40 * 86400, $now - 86400) if $o{expired};
	($from, $until) = ($now + 86400, $now + 30 * 86400) if $o{future};
	my $csr = $self->_csr($key, $subject, "$base.csr");
	my $serial = $self->_sign(issuer => $issuer, csr => $csr,
	    out => "$base.pem", subject => $subject, ext => $ext,
	    from => $from, until => $until);
	my $c = { name => $name, cert => "$base.pem", key => $key,
	    serial => $serial, names => \@names, subject => $subject,
	    issuer => $issuer, type => $o{type} // 'rsa' };
	if ($o{chain}) {
		$c->{chain} = $self->_spew("$base.chain.pem",
		    $self->_slurp("$base.pem")
		    . $self->_slurp($self->{cas}{$issuer}{cert}));
	}
	return $self->{certs}{$name} = $c;
}

# A file holding several CA certificates (a bundle).
sub bundle {
	my ($self, $name, @cas) = @_;
	return $self->_spew("$self->{dir}/$name.pem",
	    join '', map { $self->_slurp($self->{cas}{$_}{cert}) } @cas);
}

# Facts about a certificate (a PEM text or a file): subject (as openssl
# prints it), san ("DNS:a, DNS:b"), serial (hex, upper case), keytype
# (rsa|ec), not_after, fingerprint.
sub cert_info {
	my ($self, $pem) = @_;
	return {} unless defined $pem && length $pem;
	my $file = $pem;
	if ($pem =~ /-----BEGIN/) {
		$file = $self->_spew("$self->{dir}/info-" . ++$self->{ninfo} . '.pem', $pem);
	}
	my ($c, $out) = $self->openssl({ may_fail => 1 }, 'x509', '-in', $file,
	    '-noout', '-subject', '-serial', '-enddate', '-fingerprint',
	    '-sha256', '-text', '-nameopt', 'RFC2253');
	return {} if $c;
	my %i;
	($i{subject}) = $out =~ /^subject=\s*(.*)$/m;
	($i{serial}) = $out =~ /^serial=\s*([0-9A-Fa-f]+)$/m;
	$i{serial} = uc $i{serial} if $i{serial};
	($i{not_after}) = $out =~ /^notAfter=\s*(.*)$/m;
	($i{fingerprint}) = $out =~ /Fingerprint=\s*(\S+)/;
	($i{san}) = $out =~ /X509v3 Subject Alternative Name:.*\n\s*(.*)/;
	$i{san} //= '';
	$i{keytype} = $out =~ /Public Key Algorithm: id-ecPublicKey/ ? 'ec'
	    : $out =~ /Public Key Algorithm: rsaEncryption/ ? 'rsa' : 'other';
	($i{cn}) = ($i{subject} // '') =~ /(?:^|,)CN=([^,]*)/;
	return \%i;
}

# Revoke a certificate in its issuer's database (for OCSP responses
# made afterwards).
sub revoke {
	my ($self, $name) = @_;
	my $c = $self->{certs}{$name} or croak "no certificate $name";
	my $ca = $self->{cas}{ $c->{issuer} };
	$self->openssl('ca', '-batch', '-config', $self->_ca_conf($c->{issuer}),
	    '-cert', $ca->{cert}, '-keyfile', $ca->{key}, '-revoke', $c->{cert});
	return 1;
}

# A DER OCSP response saying "good" for a certificate, signed by its
# issuer (valid for days, 7).  Returns the file.
sub ocsp_response {
	my ($self, $name, %o) = @_;
	my $c = $self->{certs}{$name} or croak "no certificate $name";
	my $ca = $self->{cas}{ $c->{issuer} };
	my $req = "$self->{dir}/$name.ocsp-req.der";
	my $resp = $o{out} // "$self->{dir}/$name.ocsp.der";
	$self->openssl('ocsp', '-issuer', $ca->{cert}, '-cert', $c->{cert},
	    '-no_nonce', '-reqout', $req);
	$self->openssl('ocsp', '-index', "$self->{dir}/ca-$c->{issuer}.db/index.txt",
	    '-CA', $ca->{cert}, '-rsigner', $ca->{cert}, '-rkey', $ca->{key},
	    '-reqin', $req, '-respout', $resp, '-ndays', $o{days} // 7);
	return $resp;
}

# ---------------------------------------------------------------------------
# Clients

# openssl s_client to 127.0.0.1:port.  opts: port, servername (SNI; none
# sends -noservername), args (more options), request (bytes sent after
# the handshake; then -ign_eof: s_client waits for frontd to close),
# stdin, gap and hold (see run: pieces written apart go in records of
# their own; "R\n" asks for a renegotiation), cafile (verification),
# timeout (10).
# Returns {exit, out, err, all, ok (handshake done, no alert from the
# server), alert, protocol, cipher, reused, alpn, certs ([PEM...]), cert
# (the first), verify (return code)}.
sub s_client {
	my ($self, %o) = @_;
	my @cmd = ($OPENSSL, 's_client', '-connect', "127.0.0.1:$o{port}",
	    '-showcerts');
	push @cmd, defined $o{servername} ? ('-servername', $o{servername})
	    : ('-noservername');
	push @cmd, '-CAfile', $o{cafile} if $o{cafile};
	push @cmd, '-ign_eof' if defined $o{request};
	push @cmd, @{ $o{args} // [] };
	my ($code, $out, $err) = $self->run({ stdin => $o{stdin} // $o{request} // '',
	    hold => $o{hold}, gap => $o{gap}, timeout => $o{timeout} // 10 }, @cmd);
	my %r = (exit => $code, out => $out, err => $err, all => "$out\n$err",
	    cmd => join(' ', @cmd));
	if ($out =~ /^(New|Reused), (TLSv[\d.]+|SSLv3|\(NONE\)), Cipher is (\S+)/m) {
		$r{reused} = $1 eq 'Reused' ? 1 : 0;
		$r{protocol} = $2;
		$r{cipher} = $3;
	}
	# An alert from the server (at TLS 1.2 a refused client certificate
	# comes after s_client printed its summary).
	($r{alert}) = "$out\n$err" =~ /SSL routines:[^\n]*?(alert [^:\n]*)/;
	$r{ok} = defined $r{protocol} && $r{protocol} ne '(NONE)'
	    && $r{cipher} ne '(NONE)' && !$r{alert} ? 1 : 0;
	($r{alpn}) = $out =~ /^ALPN protocol: (\S+)/m;
	$r{alpn} //= '';
	$r{certs} = [ $out =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?)/sg ];
	$r{cert} = $r{certs}[0];
	($r{verify}) = $out =~ /Verify return code: (\d+)/;
	# What came after the handshake (an HTTP response), roughly.
	($r{http}) = $out =~ /(HTTP\/1\.[01] \d{3}.*)\z/s;
	return \%r;
}

# An s_client left connected in the background (its stdin a pipe we
# hold): {pid, out, err, in (the pipe)}; wait_handshake() tells when it
# is done, s_client_output() what it printed, stop_s_client() ends it.
sub s_client_open {
	my ($self, %o) = @_;
	my $n = ++$self->{nbg};
	my ($out, $err) = ("$self->{dir}/s_client_bg$n.out", "$self->{dir}/s_client_bg$n.err");
	my @cmd = ($OPENSSL, 's_client', '-connect', "127.0.0.1:$o{port}",
	    defined $o{servername} ? ('-servername', $o{servername}) : ('-noservername'),
	    @{ $o{args} // [] });
	pipe(my $r, my $w) or croak "pipe: $!";
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		close $w;
		setpgrp(0, 0);
		open STDIN, '<&', $r or POSIX::_exit(127);
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		POSIX::_exit(127);
	}
	close $r;
	$self->{t}->track($pid);
	return { pid => $pid, out => $out, err => $err, in => $w, cmd => "@cmd" };
}

sub s_client_output {
	my ($self, $c) = @_;
	return $self->_slurp($c->{out}) . $self->_slurp($c->{err});
}

# Wait up to timeout (5 s) for the handshake: true when done.
sub wait_handshake {
	my ($self, $c, $timeout) = @_;
	my $deadline = time + ($timeout // 5);
	while (time < $deadline) {
		return 1 if $self->_slurp($c->{out}) =~ /^(?:New|Reused), TLSv/m;
		sleep 0.05;
	}
	return 0;
}

# Whether the background s_client has exited (the server closed).
sub s_client_exited {
	my ($self, $c) = @_;
	return 1 if $c->{done};
	if (waitpid($c->{pid}, WNOHANG) == $c->{pid}) {
		$c->{done} = 1;
		return 1;
	}
	return 0;
}

sub stop_s_client {
	my ($self, $c) = @_;
	close $c->{in} if $c->{in};
	delete $c->{in};
	return if $c->{done};
	kill 'KILL', -$c->{pid};
	kill 'KILL', $c->{pid};
	waitpid($c->{pid}, 0);
	$c->{done} = 1;
}

# curl to a URL, in HTTP/1.1 (a TLS listener offers h2 by ALPN, and
# curl would take it).  opts: cacert, cert, key, resolve (array of
# "name:port:addr"), headers (array of "Name: value"), args (more
# options), insecure, http2 (let curl pick HTTP/2), timeout (10).
# Returns {exit, status, headers ({lc name => value, repeated joined with
# ", "}), head, body, err, cmd}.
sub curl {
	my ($self, $url, %o) = @_;
	my $n = ++$self->{ncurl};
	my ($hf, $bf) = ("$self->{dir}/curl$n.head", "$self->{dir}/curl$n.body");
	my @cmd = ($CURL, '-sS', '--max-time', $o{timeout} // 10,
	    '-D', $hf, '-o', $bf, '--noproxy', '*');
	push @cmd, '--http1.1' unless $o{http2};
	push @cmd, '--cacert', $o{cacert} if $o{cacert};
	push @cmd, '--cert', $o{cert} if $o{cert};
	push @cmd, '--key', $o{key} if $o{key};
	push @cmd, '-k' if $o{insecure};
	push @cmd, '--resolve', $_ for @{ $o{resolve} // [] };
	push @cmd, '-H', $_ for @{ $o{headers} // [] };
	push @cmd, @{ $o{args} // [] }, $url;
	unlink $hf, $bf;
	my ($code, $out, $err) = $self->run({ timeout => ($o{timeout} // 10) + 5 }, @cmd);
	my $head = $self->_slurp($hf);
	my $body = $self->_slurp($bf);
	my %r = (exit => $code, err => $err, head => $head, body => $body,
	    cmd => join(' ', @cmd), status => 0, headers => {});
	# The last response head (after any 1xx).
	my @heads = split /\r\n\r\n/, $head;
	if (@heads) {
		my @l = split /\r\n/, $heads[-1];
		my $sl = shift @l // '';
		$r{status} = $1 if $sl =~ m{^HTTP/[\d.]+ (\d{3})};
		for (@l) {
			my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
			$k = lc $k;
			$r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $v" : $v;
		}
	}
	return \%r;
}

# openssl s_server on 127.0.0.1:port in the background, tracked by the
# harness.  opts: port, cert, key, args (more options), cwd (for -WWW).
# Waits until the port accepts connections; returns the pid.
sub s_server {
	my ($self, %o) = @_;
	my $n = ++$self->{nsrv};
	my ($out, $err) = ("$self->{dir}/s_server$n.out", "$self->{dir}/s_server$n.err");
	my @cmd = ($OPENSSL, 's_server', '-accept', "127.0.0.1:$o{port}",
	    '-cert', $o{cert}, '-key', $o{key}, @{ $o{args} // [] });
	# stdin is a pipe held open by us: s_server quits at EOF on stdin
	# in some modes.
	pipe(my $r, my $w) or croak "pipe: $!";
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		close $w;
		setpgrp(0, 0);
		chdir $o{cwd} or POSIX::_exit(126) if defined $o{cwd};
		open STDIN, '<&', $r or POSIX::_exit(127);
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		POSIX::_exit(127);
	}
	close $r;
	push @{ $self->{keep} }, $w;
	$self->{t}->track($pid);
	$self->{servers}{$pid} = { out => $out, err => $err, cmd => "@cmd" };
	# Ready when it says ACCEPT (connecting to probe would use up a
	# connection of a server that may be told to accept only a few).
	my $deadline = time + 10;
	while (time < $deadline) {
		last if $self->_slurp($out) =~ /^ACCEPT/m;
		if (waitpid($pid, WNOHANG) == $pid) {
			croak "s_server exited: @cmd\n" . $self->_slurp($out)
			    . $self->_slurp($err);
		}
		sleep 0.05;
	}
	croak "s_server not ready: @cmd\n" . $self->_slurp($err)
	    unless $self->_slurp($out) =~ /^ACCEPT/m;
	return $pid;
}

sub s_server_output {
	my ($self, $pid) = @_;
	my $s = $self->{servers}{$pid} or return '';
	return $self->_slurp($s->{out}) . $self->_slurp($s->{err});
}

sub stop_s_server {
	my ($self, $pid) = @_;
	kill 'KILL', -$pid;
	kill 'KILL', $pid;
	waitpid($pid, 0);
}

1;
