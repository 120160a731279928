# HTTP over a TLS listener end to end (curl and s_client):
# X-Forwarded-Proto, $scheme and the ssl variables, hsts, keep-alive,
# pipelined requests in one record, requests cut across records, a large
# body to a slow reader, an upload, 40 clients at once, plain HTTP on the
# TLS port; and the "tls" object of JSON access log lines.
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
my %C;
$C{def}   = $pki->cert('def', names => ['default.example']);
$C{a_rsa} = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
$C{a_ec}  = $pki->cert('a-ec', names => ['a.example', 'b.example'],
    type => 'ec');
tls_certs(\%C);

subtest 'HTTP over TLS end to end' => sub {
	plan skip_all => "curl with TLS: $CURL_WHY" unless $HAVE_CURL;
	my $t = Test::Frontd->new;
	my ($p, $pp) = ($t->port, $t->port);
	my $big = join '', map { sprintf "%07d\n", $_ } 1 .. 4 * 131072;	# 4 MiB
	my $be = $t->raw_backend(body => sub {
		my ($q) = @_;
		return $big if $q->{target} eq '/big';
		return 'got ' . length($q->{body}) . ' ' . unpack('%32C*', $q->{body})
		    if $q->{method} eq 'POST';
		return 'ok';
	});
	$t->start(tls_listener(port => $p, certs => [qw(def a_rsa a_ec)],
	    extra => "hsts = max-age=31536000; includeSubDomains\n")
	    . "[listener plain]\naddress = 127.0.0.1:$pp\n\n"
	    . app($be, "set_request_header = X-Scheme: \$scheme\n"
		. "set_request_header = X-Proto: \$ssl_protocol\n"
		. "set_request_header = X-Cipher: \$ssl_cipher\n"));

	my $h = $pki->curl("https://a.example:$p/hello?x=1", cacert => $CA->{cert},
	    resolve => ["a.example:$p:127.0.0.1"]);
	is($h->{status}, 200, 'curl https://a.example/hello: 200')
	    or diag("$h->{cmd}\nexit $h->{exit}: $h->{err}");
	is($h->{body}, 'ok', 'the backend\'s body');
	is($h->{headers}{'strict-transport-security'}, 'max-age=31536000; includeSubDomains',
	    'hsts: Strict-Transport-Security on the TLS response') or diag($h->{head});
	my ($q) = grep { $_->{target} eq '/hello?x=1' } $t->received_requests($be);
	ok($q, 'the backend got the request') or diag($t->received($be));
	$q //= { headers => {} };
	is_deeply($q->{headers}{'x-forwarded-proto'}, ['https'], 'X-Forwarded-Proto: https');
	is_deeply($q->{headers}{host}, ["a.example:$p"], 'Host as the client sent it');
	is_deeply($q->{headers}{'x-scheme'}, ['https'], '$scheme is https');
	is_deeply($q->{headers}{'x-proto'}, ['TLSv1.3'], '$ssl_protocol is TLSv1.3');
	like(($q->{headers}{'x-cipher'} // [''])->[0], qr/^TLS_(?:AES|CHACHA)/,
	    '$ssl_cipher is a TLS 1.3 suite');

	$h = $pki->curl("https://b.example:$p/v12", cacert => $CA->{cert},
	    resolve => ["b.example:$p:127.0.0.1"], args => ['--tls-max', '1.2']);
	is($h->{status}, 200, 'TLS 1.2 with curl: 200') or diag("$h->{cmd}\n$h->{err}");
	($q) = grep { $_->{target} eq '/v12' } $t->received_requests($be);
	is_deeply(($q // {})->{headers}{'x-proto'}, ['TLSv1.2'], '$ssl_protocol is TLSv1.2');
	like((($q // {})->{headers}{'x-cipher'} // [''])->[0], qr/^ECDHE-/,
	    '$ssl_cipher is an ECDHE cipher');

	# Several requests on one TLS connection.
	$h = $pki->curl("https://a.example:$p/k1", cacert => $CA->{cert},
	    resolve => ["a.example:$p:127.0.0.1"],
	    args => ['--next', '--cacert', $CA->{cert}, '--resolve',
		"a.example:$p:127.0.0.1", "https://a.example:$p/k2"]);
	is($h->{status}, 200, 'two requests with one curl: 200') or diag("$h->{cmd}\n$h->{err}");
	ok((grep { $_->{target} eq '/k2' } $t->received_requests($be)),
	    'the second one reached the backend');
	like($h->{err}, qr/^$/, 'curl said nothing') or diag($h->{err});

	# Two requests in one TLS record: the second is already decrypted
	# inside OpenSSL when the first is answered, and is served too.
	my $r2 = $pki->s_client(port => $p, servername => 'a.example',
	    request => "GET /pipe1 HTTP/1.1\r\nHost: a.example\r\n\r\n"
	    . "GET /pipe2 HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	my @st = ($r2->{out} =~ m{HTTP/1\.1 (\d{3}) }g);
	is("@st", '200 200', 'two pipelined requests in one record: two responses')
	    or diag(show($r2));
	ok((grep { $_->{target} eq '/pipe2' } $t->received_requests($be)),
	    'the second reached the backend');
	# Many small requests in one record.
	my $many = join '', map { "GET /m$_ HTTP/1.1\r\nHost: a.example\r\n\r\n" } 1 .. 30;
	$r2 = $pki->s_client(port => $p, servername => 'a.example',
	    request => $many . "GET /mlast HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	@st = ($r2->{out} =~ m{HTTP/1\.1 (\d{3}) }g);
	is(scalar(grep { $_ == 200 } @st), 31, '31 pipelined requests: 31 responses')
	    or diag(scalar(@st) . " responses");

	# A request head and body cut into records that arrive apart.
	$r2 = $pki->s_client(port => $p, servername => 'a.example', gap => 0.15,
	    request => [ "POST /split HTTP/1.1\r\nHo", "st: a.example\r\nContent-Le",
		"ngth: 10\r\nConnection: close\r\n\r\n01234", "56789" ]);
	like($r2->{out}, qr{HTTP/1\.1 200 .*got 10 525}s,
	    'head and body in four records, 150 ms apart: 200, body whole')
	    or diag(show($r2));

	# 4 MiB to a client that reads at 2 MB/s: TLS writes that wait.
	$h = $pki->curl("https://a.example:$p/big", cacert => $CA->{cert},
	    resolve => ["a.example:$p:127.0.0.1"], args => ['--limit-rate', '2M'],
	    timeout => 20);
	is($h->{status}, 200, 'a 4 MiB body to a slow reader: 200') or diag("$h->{cmd}\n$h->{err}");
	is(length $h->{body}, length $big, 'all of it');
	ok($h->{body} eq $big, 'byte for byte');
	# 900 KB upload (under client_max_body_size).
	my $up = join '', map { chr(($_ * 13) % 256) } 1 .. 900_000;
	my $upf = $t->spew($t->dir . '/upload.bin', $up);
	$h = $pki->curl("https://a.example:$p/upload", cacert => $CA->{cert},
	    resolve => ["a.example:$p:127.0.0.1"], timeout => 20,
	    args => ['--data-binary', "\@$upf", '-H', 'Content-Type: application/octet-stream']);
	is($h->{status}, 200, 'a 900 KB upload over TLS: 200') or diag("$h->{cmd}\n$h->{err}");
	is($h->{body}, 'got 900000 ' . unpack('%32C*', $up), 'the backend got every byte');

	# 40 clients at once.
	my @urls = map { "https://a.example:$p/par$_" } 1 .. 40;
	my ($pc, $pout, $perr) = $pki->run({ timeout => 40 }, 'curl', '-sS',
	    '--http1.1', '-Z',
	    '--parallel-max', '40', '--cacert', $CA->{cert}, '--max-time', 30,
	    '--resolve', "a.example:$p:127.0.0.1", '-w', '%{http_code}\n',
	    (map { ('-o', '/dev/null', $_) } @urls));
	my $n200 = () = $pout =~ /^200$/mg;
	is($n200, 40, '40 parallel TLS clients: 40 times 200') or diag("exit $pc: $perr\n$pout");

	# Plain listener of the same config: no hsts, X-Forwarded-Proto http.
	my $r = $t->get('/plain', port => $pp, host => 'a.example');
	is($r->status, 200, 'the plain listener answers');
	ok(!defined $r->header('strict-transport-security'), 'no hsts on a plain listener')
	    or diag($r->raw);
	($q) = grep { $_->{target} eq '/plain' } $t->received_requests($be);
	is_deeply(($q // {})->{headers}{'x-forwarded-proto'}, ['http'], 'X-Forwarded-Proto: http there');

	# Plain HTTP sent to the TLS port is not served as HTTP.
	my ($out) = $t->raw_request("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
	    port => $p, timeout => 3);
	unlike($out, qr{^HTTP/1\.1 200}, 'plain HTTP on the TLS port gets no 200');
	$t->check_logs;
};

subtest 'access log json has tls' => sub {
	plan skip_all => "curl with TLS: $CURL_WHY" unless $HAVE_CURL;
	my $t = Test::Frontd->new;
	my ($p, $pp) = ($t->port, $t->port);
	my $be = $t->raw_backend;
	$t->start(tls_listener(port => $p, certs => ['a_rsa'])
	    . "[listener plain]\naddress = 127.0.0.1:$pp\n\n" . app($be),
	    global => "log_format = json");
	my $h = $pki->curl("https://a.example:$p/json-tls", cacert => $CA->{cert},
	    resolve => ["a.example:$p:127.0.0.1"]);
	is($h->{status}, 200, 'a TLS request');
	$t->get('/json-plain', port => $pp);
	$t->wait_for(sub { $t->access_log =~ /json-plain/ }, 5, 'both logged');
	my ($l) = grep { /json-tls/ } split /\n/, $t->access_log;
	like($l // '', qr/"tls"\s*:/, 'the TLS line has a "tls" key') or diag($t->access_log);
	my ($lp) = grep { /json-plain/ } split /\n/, $t->access_log;
	unlike($lp // '', qr/"tls"\s*:\s*\{/, 'the plain line has no tls object');
	$t->check_logs;
};

done_testing;
