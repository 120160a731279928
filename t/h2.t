# HTTP/2 to clients, end to end with real clients (curl, nghttp, h2load)
# and a raw frame writer: prior knowledge on a plain listener and ALPN on
# a TLS one, HTTP/1.1 beside it and a preface refused where http2 is off;
# what the backend receives (HTTP/1.1, Host from :authority, cookies
# joined, X-Forwarded-Proto, no connection fields); many streams on one
# connection to two backends; a 100 MB download and 10 MB uploads with
# and without a length; a stream reset mid-body; frontd's own answers,
# compression and the cache over HTTP/2; the access log's protocol and
# stream; GOAWAY and a finished download across a reload and a stop.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Test::Frontd;
use Test::FrontdTLSListener;
use Test::FrontdH2;
use Test::FrontdH2Client;

my (undef, $pki) = tls_pki();
my %C = (def => $pki->cert('def', names => ['a.example']));
my $CA = $pki->ca('ca');
tls_certs(\%C);
my %WHY = h2_tools();

# curl over HTTP/2: h2c => 1 for prior knowledge (else --http2, by ALPN
# over TLS), tls_port => the port a.example resolves to.  Returns
# {exit, version, status, headers {lc => value}, body, err, cmd}.
sub curl {
	my ($t, $url, %o) = @_;
	my $n = ++$t->{ncurl};
	my ($hf, $bf) = map { $t->dir . "/curl$n.$_" } qw(head body);
	my @cmd = ('curl', '-sS', '--max-time', $o{timeout} // 10,
	    '--noproxy', '*', '-D', $hf, '-o', $bf,
	    '-w', '%{http_version} %{http_code}');
	push @cmd, $o{h1} ? '--http1.1' : $o{h2c} ? '--http2-prior-knowledge'
	    : '--http2';
	push @cmd, '--cacert', $CA->{cert}, '--resolve',
	    "a.example:$o{tls_port}:127.0.0.1" if $o{tls_port};
	push @cmd, '-H', $_ for @{ $o{headers} // [] };
	push @cmd, @{ $o{args} // [] }, $url;
	my ($code, $out, $err) = h2_run($t, { timeout => ($o{timeout} // 10) + 5,
	    stdin => $o{stdin} }, @cmd);
	my %r = (exit => $code, err => $err, cmd => "@cmd", headers => {},
	    body => $t->slurp($bf), head => $t->slurp($hf));
	@r{qw(version status)} = split ' ', $out;
	my @heads = split /\r\n\r\n/, $r{head};
	for (split /\r\n/, $heads[-1] // '') {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$k = lc $k;
		$r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $v" : $v;
	}
	unlink $hf, $bf unless $t->{keep};
	return \%r;
}

sub shown { my ($r) = @_; "$r->{cmd}\nexit $r->{exit}: $r->{err}\n$r->{head}" }

# The access log's lines (parsed when json).
sub log_lines {
	my ($t) = @_;
	return split /\n/, $t->access_log;
}

sub json_lines {
	my ($t) = @_;
	return map { my $l = $_; eval { decode_json($l) } // { bad => $l } }
	    log_lines($t);
}

subtest 'prior knowledge, ALPN, HTTP/1.1 beside them, http2 off' => sub {
	plan skip_all => $WHY{curl} if $WHY{curl};
	my $t = Test::Frontd->new;
	my ($p, $tp, $op) = ($t->port, $t->port, $t->port);
	my $be = $t->raw_backend(body => sub { "hello $_[0]{target}" });
	$t->start("[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . tls_listener(port => $tp)
	    . "[listener off]\naddress = 127.0.0.1:$op\nhttp2 = off\n\n"
	    . app($be));

	my $r = curl($t, "http://127.0.0.1:$p/pk", h2c => 1);
	is("$r->{version} $r->{status}", '2 200',
	    'prior knowledge on the plain listener: HTTP/2, 200') or diag(shown($r));
	is($r->{body}, 'hello /pk', 'the backend\'s body');
	$r = curl($t, "https://a.example:$tp/alpn", tls_port => $tp);
	is("$r->{version} $r->{status}", '2 200', 'h2 by ALPN over TLS: HTTP/2, 200')
	    or diag(shown($r));
	is($r->{body}, 'hello /alpn', 'the backend\'s body');

	$r = curl($t, "http://127.0.0.1:$p/h1", h1 => 1);
	is("$r->{version} $r->{status}", '1.1 200',
	    'HTTP/1.1 on the same plain listener') or diag(shown($r));
	is($r->{body}, 'hello /h1', 'its body');
	$r = curl($t, "https://a.example:$tp/h1tls", tls_port => $tp, h1 => 1);
	is("$r->{version} $r->{status}", '1.1 200',
	    'HTTP/1.1 by ALPN on the same TLS listener') or diag(shown($r));
	# Upgrade: h2c is not followed: the answer is HTTP/1.1.
	$r = curl($t, "http://127.0.0.1:$p/upg", args => ['--http2']);
	is("$r->{version} $r->{status}", '1.1 200',
	    'Upgrade: h2c is served in HTTP/1.1') or diag(shown($r));

	SKIP: {
		skip $WHY{nghttp}, 2 if $WHY{nghttp};
		my ($c, $out, $err) = h2_run($t, { timeout => 10 }, 'nghttp',
		    '-t', 5, "http://127.0.0.1:$p/ng");
		is($c, 0, 'nghttp on the plain listener') or diag($err);
		is($out, 'hello /ng', 'its body');
	}

	# The preface where http2 is off: 400 (as HTTP/1.1) or a close,
	# never a SETTINGS frame.
	my ($bytes, $closed) = $t->raw_request("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	    . Test::FrontdH2Client::frame(4, 0, 0), port => $op, timeout => 5);
	ok($closed, 'http2 off: the connection is closed');
	like($bytes, qr{\A(?:HTTP/1\.1 400 |\z)}, 'after a 400 or nothing')
	    or diag($bytes);
	$r = curl($t, "http://127.0.0.1:$op/off", h2c => 1);
	isnt($r->{status}, 200, 'curl with prior knowledge gets no 200 there')
	    or diag(shown($r));
	($bytes) = $t->raw_request("GET /off1 HTTP/1.1\r\nHost: x\r\n"
	    . "Connection: close\r\n\r\n", port => $op);
	like($bytes, qr{\AHTTP/1\.1 200 .*hello /off1\z}s,
	    'HTTP/1.1 on the listener with http2 off');
	my @l = log_lines($t);
	ok((grep { m{"GET /pk HTTP/2\.0" 200 } } @l),
	    'the access log says HTTP/2.0 for the prior knowledge request')
	    or diag(join "\n", @l);
	ok((grep { m{"GET /alpn HTTP/2\.0" 200 } } @l), 'and for the ALPN one');
	ok((grep { m{"GET /h1 HTTP/1\.1" 200 } } @l), 'HTTP/1.1 for the other');
	$t->check_logs;
};

done_testing;
