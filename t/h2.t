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

# A backend for bodies: GET /big/N and /slow/N (N bytes of pattern(),
# /slow at 2 MB/s), /stall (a 8 MB body stopped half way until frontd
# closes), /n/N (N bytes, a plain answer); a request with a body is
# answered "len=N sha=HEX framing" (framing: chunked, length or none).
sub body_backend {
	my ($t) = @_;
	return $t->raw_backend(handler => sub {
		my ($c) = @_;
		while (defined(my $head = $c->read_head)) {
			my ($m, $target) = $head =~ /^(\S+) (\S+)/;
			$c->note("$m $target");
			if ($target =~ m{^/big/(\d+)}) {
				serve_pattern($c, $1) == $1 or last;
			} elsif ($target =~ m{^/slow/(\d+)}) {
				serve_pattern($c, $1, rate => 2_000_000) == $1 or last;
			} elsif ($target eq '/stall') {
				serve_pattern($c, 8 << 20, stall => 1);
				last;
			} elsif ($head =~ /^(?:Content-Length|Transfer-Encoding):/mi) {
				my $f = $head =~ /^Transfer-Encoding:\s*chunked/mi
				    ? 'chunked' : 'length';
				$c->respond(200, body => read_body_hashed($c, $head)
				    . " $f") or last;
			} else {
				my ($n) = $target =~ m{^/n/(\d+)};
				$c->respond(200, body => pattern($n // 2)) or last;
			}
		}
	});
}

subtest 'what the backend receives' => sub {
	plan skip_all => $WHY{curl} if $WHY{curl};
	my $t = Test::Frontd->new;
	my ($p, $tp) = ($t->port, $t->port);
	my $be = $t->raw_backend(body => 'ok');
	$t->start("[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . tls_listener(port => $tp) . app($be));

	# The same request over HTTP/1.1 and over HTTP/2 (two cookie fields).
	my ($bytes) = $t->raw_request("GET /one?x=1 HTTP/1.1\r\n"
	    . "Host: h2.example:$p\r\nCookie: a=1; b=2\r\nUser-Agent: raw\r\n"
	    . "TE: trailers\r\nConnection: close\r\n\r\n", port => $p);
	like($bytes, qr{^HTTP/1\.1 200 }, 'over HTTP/1.1: 200');
	my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	my $id = $h->request('GET', '/two?x=1', authority => "h2.example:$p",
	    fields => [ cookie => 'a=1', 'user-agent' => 'raw',
		cookie => 'b=2', te => 'trailers' ]);
	$h->pump(5, sub { $h->stream($id)->{end} });
	is($h->stream($id)->{status}, 200, 'over HTTP/2: 200');
	is($h->stream($id)->{body}, 'ok', 'the body');
	my $post = $h->request('POST', '/three', authority => "h2.example:$p",
	    fields => [ 'content-length' => 5 ], body => 'hello');
	$h->pump(5, sub { $h->stream($post)->{end} });
	is($h->stream($post)->{status}, 200, 'a POST with a body: 200');
	# A connection-specific field makes the request malformed
	# (RFC 9113, 8.2.2): a stream error, or a 400, never the backend.
	my $bad = $h->request('GET', '/four', authority => "h2.example:$p",
	    fields => [ connection => 'keep-alive' ]);
	$h->pump(5, sub { $h->stream($bad)->{end} || defined $h->stream($bad)->{rst} });
	my $sb = $h->stream($bad);
	ok(defined $sb->{rst} || ($sb->{status} // 0) == 400,
	    'connection: keep-alive: the stream is reset or answered 400')
	    or diag(explain($sb));
	$h->close;

	my %q = map { $_->{target} => $_ } $t->received_requests($be);
	my ($q1, $q2, $q3) = @q{'/one?x=1', '/two?x=1', '/three'};
	ok($q1 && $q2 && $q3, 'the backend got the three') or diag($t->received($be));
	ok(!$q{'/four'}, 'but not the malformed one');
	$_ //= { headers => {}, fields => [] } for $q1, $q2, $q3;
	is("$q2->{method} $q2->{target} HTTP/$q2->{version}",
	    'GET /two?x=1 HTTP/1.1', 'an HTTP/1.1 request line');
	is_deeply($q2->{headers}{host}, [ "h2.example:$p" ], 'Host from :authority');
	is_deeply($q2->{headers}{cookie}, [ 'a=1; b=2' ],
	    'two cookie fields in one Cookie, joined with "; "');
	is_deeply($q2->{headers}{'user-agent'}, [ 'raw' ], 'other fields as sent');
	is_deeply($q2->{headers}{'x-forwarded-proto'}, [ 'http' ],
	    'X-Forwarded-Proto: http on the plain listener');
	my %conn = map { $_ => 1 } qw(connection keep-alive proxy-connection
	    upgrade te transfer-encoding http2-settings);
	my @f1 = sort map { lc $_->[0] } @{ $q1->{fields} };
	my @f2 = sort map { lc $_->[0] } @{ $q2->{fields} };
	is_deeply(\@f2, \@f1, 'the same field names as the HTTP/1.1 request')
	    or diag($t->received($be));
	# TE: trailers is frontd's own, as over HTTP/1.1: it takes trailers.
	is_deeply([ grep { $conn{$_} && !/^(?:connection|te)$/ } @f2 ], [],
	    'no connection-specific field');
	is_deeply($q2->{headers}{connection}, $q1->{headers}{connection},
	    'Connection as for HTTP/1.1');
	is_deeply($q2->{headers}{te}, $q1->{headers}{te}, 'TE as for HTTP/1.1');
	is($q3->{body}, 'hello', 'the POST body');
	is_deeply($q3->{headers}{'content-length'}, [ 5 ], 'with its length');

	my $r = curl($t, "https://a.example:$tp/tls", tls_port => $tp,
	    headers => [ 'Cookie: c=3' ]);
	is("$r->{version} $r->{status}", '2 200', 'over TLS: HTTP/2, 200')
	    or diag(shown($r));
	my ($q4) = grep { $_->{target} eq '/tls' } $t->received_requests($be);
	$q4 //= { headers => {} };
	is_deeply($q4->{headers}{'x-forwarded-proto'}, [ 'https' ],
	    'X-Forwarded-Proto: https over TLS');
	is_deeply($q4->{headers}{host}, [ "a.example:$tp" ], 'Host from :authority');
	is_deeply($q4->{headers}{cookie}, [ 'c=3' ], 'the cookie');
	$t->check_logs;
};

subtest 'many streams on one connection, two backends' => sub {
	plan skip_all => $WHY{nghttp} if $WHY{nghttp};
	my $t = Test::Frontd->new;
	my ($p, $tp) = ($t->port, $t->port);
	my $ba = $t->raw_backend(body => sub { "A $_[0]{target}\n" });
	my $bb = $t->raw_backend(body => sub { "B $_[0]{target}\n" });
	$t->start("[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . tls_listener(port => $tp)
	    . "[upstream ua]\nserver = $ba->{addr}\n\n"
	    . "[upstream ub]\nserver = $bb->{addr}\n\n"
	    . "[route a]\npath = /a/\nupstream = ua\n\n"
	    . "[route b]\npath = /b/\nupstream = ub\n");
	my @u = map { ("/a/$_", "/b/$_") } 1 .. 20;
	my ($c, $out, $err) = h2_run($t, { timeout => 20 }, 'nghttp', '-t', 15,
	    map { "http://127.0.0.1:$p$_" } @u);
	is($c, 0, 'nghttp: 40 URIs on one connection') or diag($err);
	my @want = sort map { m{^/(\w)/} ; uc($1) . " $_" } @u;
	is_deeply([ sort split /\n/, $out ], \@want,
	    'each got its own backend\'s answer') or diag($out);
	is(scalar(grep { m{"GET /[ab]/\d+ HTTP/2\.0" 200 } } log_lines($t)), 40,
	    '40 lines in the access log');

	SKIP: {
		skip $WHY{h2load}, 2 if $WHY{h2load};
		($c, $out, $err) = h2_run($t, { timeout => 30 }, 'h2load',
		    '-n', 200, '-c', 1, '-m', 50, '-T', 20,
		    "http://127.0.0.1:$p/a/load");
		like($out, qr/^requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed/m,
		    'h2load -n 200 -c 1 -m 50: all succeeded') or diag("$out$err");
		like($out, qr/^status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx/m,
		    'all with 200') or diag($out);
	}

	# curl, many URLs at once on one connection, each to its own file
	# (over TLS: curl 7.88 fails to reuse a prior knowledge connection,
	# curl issue 10634).
	my $d = $t->dir . '/par';
	mkdir $d;
	my @urls = map { ("/a/c$_", "/b/c$_") } 1 .. 10;
	($c, $out, $err) = h2_run($t, { timeout => 20, cwd => $d }, 'curl',
	    '-sS', '--http2', '-Z', '--parallel-max', 20, '--cacert', $CA->{cert},
	    '--resolve', "a.example:$tp:127.0.0.1",
	    '--max-time', 15, '-w', '%{http_version} %{num_connects}\n',
	    map { ('-o', join('', m{^/(\w)/(\w+)}), "https://a.example:$tp$_") }
	    @urls);
	is($c, 0, 'curl --parallel, 20 URLs') or diag($err);
	my @v = split /\n/, $out;
	is(scalar(grep { /^2 / } @v), 20, 'all over HTTP/2') or diag($out);
	cmp_ok(scalar(grep { /^2 1$/ } @v), '<=', 1, 'on one connection')
	    or diag($out);
	my @bad = grep {
		my ($b, $n) = m{^/(\w)/(\w+)};
		$t->slurp("$d/$b$n") ne uc($b) . " $_\n";
	} @urls;
	is_deeply(\@bad, [], 'each file has its own answer');
	$t->check_logs;
};

subtest 'a 100 MB download, 10 MB uploads with and without a length' => sub {
	plan skip_all => $WHY{curl} if $WHY{curl};
	my $t = Test::Frontd->new;
	my ($p, $tp) = ($t->port, $t->port);
	my $be = body_backend($t);
	$t->start("[global]\nclient_max_body_size = 16M\n\n"
	    . "[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . tls_listener(port => $tp) . app($be));
	my $big = 100 << 20;
	my ($c, $out, $err) = h2_run($t, { sha => 1, timeout => 60 }, 'curl', '-sS',
	    '--http2-prior-knowledge', '--max-time', 55, '-o', '-',
	    '-w', '%{stderr}%{http_version} %{http_code}',
	    "http://127.0.0.1:$p/big/$big");
	is("$c $err", '0 2 200', '100 MB over HTTP/2: 200') or diag($err);
	is($out, pattern_sha($big) . " $big", 'every byte (sha256)');

	my $up = 10 << 20;
	my $f = $t->spew($t->dir . '/up.bin', pattern($up));
	my $want = "len=$up sha=" . pattern_sha($up);
	my $r = curl($t, "http://127.0.0.1:$p/up", h2c => 1, timeout => 30,
	    args => [ '--data-binary', "\@$f", '-H', 'Content-Type: application/x-test' ]);
	is("$r->{version} $r->{status}", '2 200', '10 MB POST with a length: 200')
	    or diag(shown($r));
	is($r->{body}, "$want length", 'the backend got it whole, with a length');
	# No content-length: passed on chunked, to the end of the stream,
	# with the window given back as the backend takes it.
	$r = curl($t, "http://127.0.0.1:$p/up", h2c => 1, timeout => 8,
	    stdin => $f, args => [ '-T', '-' ]);
	is("$r->{version} $r->{status}", '2 200',
	    '10 MB PUT from a pipe, no length: 200') or diag(shown($r));
	is($r->{body}, "$want chunked", 'the backend got it whole, chunked');

	my $tb = 20 << 20;
	($c, $out, $err) = h2_run($t, { sha => 1, timeout => 40 }, 'curl', '-sS',
	    '--http2', '--max-time', 35, '-o', '-', '--cacert', $CA->{cert},
	    '--resolve', "a.example:$tp:127.0.0.1",
	    '-w', '%{stderr}%{http_version} %{http_code}',
	    "https://a.example:$tp/big/$tb");
	is("$c $err", '0 2 200', '20 MB over HTTP/2 and TLS: 200') or diag($err);
	is($out, pattern_sha($tb) . " $tb", 'every byte (sha256)');
	$r = curl($t, "https://a.example:$tp/up", tls_port => $tp, timeout => 30,
	    args => [ '--data-binary', "\@$f" ]);
	is("$r->{version} $r->{status}", '2 200', '10 MB POST over TLS: 200')
	    or diag(shown($r));
	is($r->{body}, "$want length", 'the backend got it whole');
	$t->check_logs;
};

subtest 'a stream reset mid-body, the others go on' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	my $be = body_backend($t);
	$t->start("[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . app($be));
	my $small = 200_000;	# more than a stream's first window
	my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	my $long = $h->request('GET', '/stall', authority => "127.0.0.1:$p");
	my $short = $h->request('GET', "/n/$small", authority => "127.0.0.1:$p");
	$h->hold($short);	# it waits for its window until the reset
	ok($h->pump(10, sub { $h->stream($long)->{got} >= 256 * 1024 }),
	    'stream 1 (8 MB, held half way) sends its DATA')
	    or diag(explain($h->stream($long)));
	$h->reset($long);
	$h->release($short);
	$h->{streams}{$long}{discard} = 1;
	$h->pump(10, sub { $h->stream($short)->{end} });
	my $s = $h->stream($short);
	is($s->{status}, 200, 'stream 3 after stream 1 is reset: 200');
	ok($s->{end} && $s->{body} eq pattern($small),
	    "stream 3: all its $small bytes") or diag("got $s->{got}, end $s->{end}");
	ok(!$h->stream($long)->{end}, 'stream 1 did not end');
	my $next = $h->request('GET', '/n/1000', authority => "127.0.0.1:$p");
	$h->pump(10, sub { $h->stream($next)->{end} });
	is($h->stream($next)->{body}, pattern(1000),
	    'a new stream on the same connection is served');
	ok(!$h->closed && !$h->{goaway}, 'the connection stays open, no GOAWAY');
	$t->wait_for(sub { $t->notes($be) =~ /closed after/ }, 10,
	    'the upstream connection of stream 1 is closed');
	# Its status was sent: logged as sent (as nginx does), with what of
	# the body went out.
	$t->wait_for(sub { $t->access_log =~ m{"GET /stall HTTP/2\.0" (?:200|499) (\d+) }
	    && $1 < 8 << 20 }, 5, 'stream 1 is logged, with part of its body')
	    or diag($t->access_log);
	$h->close;
	my $r = curl($t, "http://127.0.0.1:$p/n/10", h2c => 1);
	is("$r->{status} $r->{body}", '200 ' . pattern(10), 'a later request: 200');

	# Many streams reset at once mid-body: none leaks its upstream.
	$h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	my @ids = map { $h->request('GET', '/stall', authority => "127.0.0.1:$p") } 1 .. 5;
	$h->pump(10, sub { !grep { !$h->stream($_)->{got} } @ids });
	$h->reset($_) for @ids;
	my $last = $h->request('GET', '/n/5000', authority => "127.0.0.1:$p");
	$h->pump(10, sub { $h->stream($last)->{end} });
	is($h->stream($last)->{body}, pattern(5000), 'five resets, then a stream: served');
	$t->wait_for(sub { (() = $t->notes($be) =~ /closed after/g) == 6 }, 10,
	    'the five upstream connections are closed') or diag($t->notes($be));
	$h->close;
	$t->check_logs;
};

subtest 'frontd\'s own answers, compression, the cache, HEAD' => sub {
	plan skip_all => $WHY{curl} if $WHY{curl};
	my $t = Test::Frontd->new;
	my $p = $t->port;
	my $text = join '', map { "line $_ of a text that compresses well\n" } 1 .. 200;
	my $be = $t->raw_backend(headers => [ 'Content-Type' => 'text/plain',
	    'Cache-Control' => 'max-age=60' ], body => sub { "$_[0]{target}\n$text" });
	my $page = $t->spew($t->dir . '/404.html', "<p>not here (h2)</p>\n");
	$t->start("[global]\ncache_size = 8M\nerror_page = 404 $page\n\n"
	    . "[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route old]\npath = /old/\nredirect = 301 https://new.example\$request_uri\n\n"
	    . "[route limited]\npath = /limited\nrate_limit = 1r/m\nupstream = app\n\n"
	    . "[route small]\npath = /small\nclient_max_body_size = 1K\nupstream = app\n\n"
	    . "[route gz]\npath = /gz/\ncompress = gzip\nupstream = app\n\n"
	    . "[route cached]\npath = /cached/\ncache = on\nupstream = app\n\n"
	    . "[route app]\npath = /app/\nupstream = app\n");
	my $u = "http://127.0.0.1:$p";
	my $r = curl($t, "$u/nothing", h2c => 1);
	is("$r->{version} $r->{status}", '2 404', 'no route: 404 over HTTP/2')
	    or diag(shown($r));
	is($r->{body}, "<p>not here (h2)</p>\n", 'with the error_page');
	is($r->{headers}{'content-type'}, 'text/html', 'as text/html');

	$r = curl($t, "$u/old/x?y=1", h2c => 1);
	is($r->{status}, 301, 'redirect: 301') or diag(shown($r));
	is($r->{headers}{location}, 'https://new.example/old/x?y=1', 'to its Location');

	is(curl($t, "$u/limited", h2c => 1)->{status}, 200, 'rate_limit 1r/m: first 200');
	$r = curl($t, "$u/limited", h2c => 1);
	is($r->{status}, 429, 'then 429') or diag(shown($r));
	ok(defined $r->{headers}{'retry-after'}, 'with Retry-After');

	# A body over the limit, its DATA still to come (with and without a
	# length): 413 at once, the rest of the body ignored, the connection
	# kept.  (Not with curl 7.88: it reports an answer that comes before
	# the end of its upload as a stream error.)
	my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	my $a1 = $h->request('POST', '/small', authority => "127.0.0.1:$p",
	    open => 1, fields => [ 'content-length' => 4096 ]);
	$h->data($a1, 'x' x 1000);
	$h->pump(5, sub { $h->stream($a1)->{end} });
	is($h->stream($a1)->{status}, 413,
	    'content-length 4096 over client_max_body_size = 1K: 413');
	$h->data($a1, 'x' x 3096, end => 1);
	my $a2 = $h->request('POST', '/small', authority => "127.0.0.1:$p",
	    open => 1);
	$h->data($a2, 'x' x 1000);
	$h->data($a2, 'x' x 1000);
	$h->pump(5, sub { $h->stream($a2)->{end} });
	is($h->stream($a2)->{status}, 413, 'no length, 2000 bytes sent: 413');
	$h->data($a2, 'x' x 1000, end => 1);
	my $a3 = $h->request('HEAD', '/app/h', authority => "127.0.0.1:$p");
	$h->pump(5, sub { $h->stream($a3)->{end} });
	ok(!$h->{goaway} && !$h->closed, 'the connection goes on, no GOAWAY')
	    or diag(explain($h->{goaway}));
	is($h->stream($a3)->{status}, 200, 'HEAD on it: 200');
	is($h->stream($a3)->{got}, 0, 'and no DATA payload');
	$h->close;
	ok(!grep({ $_->{target} eq '/small' } $t->received_requests($be)),
	    'the refused bodies did not reach the backend');

	$r = curl($t, "$u/gz/a", h2c => 1, headers => [ 'Accept-Encoding: gzip' ]);
	is($r->{headers}{'content-encoding'}, 'gzip', 'compress = gzip: gzip over HTTP/2')
	    or diag(shown($r));
	my $plain;
	gunzip(\$r->{body} => \$plain) or diag("gunzip: $GunzipError");
	is($plain, "/gz/a\n$text", 'it decodes to the backend\'s body');
	like($r->{headers}{vary} // '', qr/accept-encoding/i, 'Vary: Accept-Encoding');

	$r = curl($t, "$u/cached/c1", h2c => 1);
	is($r->{status}, 200, 'a cached route: 200');
	$r = curl($t, "$u/cached/c1", h2c => 1);
	is("$r->{status} $r->{body}", "200 /cached/c1\n$text", 'again: the same body');
	is(scalar(grep { $_->{target} eq '/cached/c1' } $t->received_requests($be)), 1,
	    'the backend was asked once');
	$t->wait_for(sub { $t->access_log =~ m{"GET /cached/c1 HTTP/2\.0" 200 .* cs=hit} },
	    5, 'the access log says cs=hit');

	$r = curl($t, "$u/app/h", h2c => 1, args => [ '-I' ]);
	is("$r->{version} $r->{status}", '2 200', 'curl -I: 200') or diag(shown($r));
	is($r->{headers}{'content-length'}, length("/app/h\n$text"),
	    'the length of the GET body');
	my ($q) = grep { $_->{target} eq '/app/h' } $t->received_requests($be);
	is(($q // {})->{method}, 'HEAD', 'the backend got HEAD');
	my @l = grep { !m{ HTTP/2\.0" } } log_lines($t);
	is_deeply(\@l, [], 'every access log line says HTTP/2.0');
	$t->check_logs;
};

subtest 'access log: protocol and stream' => sub {
	plan skip_all => $WHY{curl} if $WHY{curl};
	my $t = Test::Frontd->new;
	my ($p, $tp) = ($t->port, $t->port);
	my $be = $t->raw_backend(body => 'ok');
	$t->start("[global]\nlog_format = json\n\n"
	    . "[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . tls_listener(port => $tp) . app($be));
	# Three requests on one connection: streams 1, 3, 5.
	my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	for my $n (1 .. 3) {
		my $id = $h->request('GET', "/s$n", authority => "127.0.0.1:$p");
		$h->pump(5, sub { $h->stream($id)->{end} });
	}
	$h->close;
	my $r = curl($t, "https://a.example:$tp/tls", tls_port => $tp);
	is($r->{status}, 200, 'over TLS: 200') or diag(shown($r));
	$r = curl($t, "http://127.0.0.1:$p/one", h1 => 1);
	is($r->{status}, 200, 'HTTP/1.1: 200');
	$t->wait_for(sub { $t->access_log =~ m{/one} }, 5, 'all logged');
	my %j = map { ($_->{target} // 'bad') => $_ } json_lines($t);
	for my $n (1 .. 3) {
		my $j = $j{"/s$n"} // {};
		is($j->{protocol}, 'HTTP/2.0', "/s$n: protocol HTTP/2.0");
		is($j->{stream}, 2 * $n - 1, "/s$n: stream " . (2 * $n - 1));
	}
	my $j = $j{'/tls'} // {};
	is($j->{protocol}, 'HTTP/2.0', 'over TLS: HTTP/2.0');
	ok(($j->{stream} // 0) > 0 && $j->{stream} % 2 == 1, 'an odd stream')
	    or diag(explain($j));
	is($j->{tls}, 'TLSv1.3', 'and tls');
	$j = $j{'/one'} // {};
	is($j->{protocol}, 'HTTP/1.1', 'HTTP/1.1: protocol HTTP/1.1');
	ok(defined $j->{stream} && $j->{stream} == 0, 'stream 0') or diag(explain($j));
	$t->check_logs;
};

# A download at 2 MB/s on a raw client, a signal once it is under way:
# the body whole and a GOAWAY, seen by the raw client and by nghttp -v
# (its body not kept) started beside it.
sub download_across {
	my ($t, $p, $sig) = @_;
	my $n = 3 << 20;	# 1.5 s at 2 MB/s
	my $h = Test::FrontdH2Client->new(port => $p) or die "connect: $!";
	my $id = $h->request('GET', "/slow/$n", authority => "127.0.0.1:$p");
	my $ng = h2_spawn($t, 'nghttp', '-v', '-n', '-t', 20,
	    "http://127.0.0.1:$p/slow/$n");
	ok($h->pump(10, sub { $h->stream($id)->{got} >= 100_000 }),
	    "$sig: a 3 MB download is under way");
	$t->signal($sig);
	$h->pump(20, sub { $h->stream($id)->{end} });
	my $s = $h->stream($id);
	ok($s->{end} && $s->{body} eq pattern($n), "$sig: it completes, every byte")
	    or diag("got $s->{got} of $n, end $s->{end}");
	ok($h->{goaway}, "$sig: the client got GOAWAY");
	is(($h->{goaway} // {})->{code}, 0, 'with NO_ERROR');
	my ($c, $out, $err) = h2_wait($t, $ng, 25);
	is($c, 0, "$sig: nghttp ended well") or diag($err);
	like($out, qr/recv GOAWAY frame/, 'nghttp -v shows the GOAWAY');
	$h->close;
}

subtest 'a reload and a graceful stop with a download in flight' => sub {
	plan skip_all => $WHY{nghttp} if $WHY{nghttp};
	my $t = Test::Frontd->new;
	my $p = $t->port;
	my $be = body_backend($t);
	$t->start("[listener plain]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n" . app($be));
	my @old = $t->workers;
	download_across($t, $p, 'HUP');
	$t->wait_for(sub { my @w = $t->workers; @w == 1 && $w[0] != $old[0]
	    && !$t->alive($old[0]) }, 10, 'HUP: a new worker, the old one gone');
	my $r = curl($t, "http://127.0.0.1:$p/n/10", h2c => 1);
	is("$r->{version} $r->{status}", '2 200', 'the new generation serves HTTP/2');
	download_across($t, $p, 'QUIT');
	$t->wait_for(sub { !$t->alive($t->master_pid) }, 10, 'QUIT: frontd is gone');
	$t->check_logs;
};

done_testing;
