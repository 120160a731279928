# Response compression (compress = gzip br in a [route]), seen from the
# outside with a scripted backend: gzip and Brotli bodies decode byte for
# byte to what the backend sent (Content-Length, chunked and close-delimited
# upstream bodies, HTTP/1.1 and HTTP/1.0 clients, 5 MB), Accept-Encoding
# q-values pick the coding, nothing is compressed when it must not be (HEAD,
# Range, already encoded, no-transform, unlisted type, short body, 204, 304,
# 206), headers are rewritten (Content-Length dropped, chunked or close,
# weak ETag, Vary), keep-alive and pipelining survive, and a slowly made
# body reaches the client compressed before the backend has finished.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses header_tokens same_bytes text_words);
use Test::FrontdBrotli;
use Compress::Raw::Zlib ();
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Time::HiRes qw(time sleep);

my $H = "Host: test.example\r\n";

my $TEXT = text_words(20000, 1);
my $BIG  = text_words(5 * 1048576, 2);
my $RND = do {
	srand(3);
	my @c = ('a' .. 'z', 'A' .. 'Z', 0 .. 9);
	join '', map { $c[int rand @c] } 1 .. 200000;
};
my $SLOW_CHUNK = 400;		# /slow: 5 chunks of it, 300 ms apart
my $SLOW_GAP   = 0.3;

my %TYPE = (text => 'text/plain; charset=utf-8', html => 'text/html',
    json => 'application/json', svg => 'image/svg+xml', png => 'image/png');

# The backend: the last path segment says how to answer, the query what:
#   cl (default): Content-Length; chunked: chunks of 1000; close: an
#   HTTP/1.0 answer ended by closing; slow: 5 chunks 300 ms apart, the
#   connection kept; big: 5 MB with a Content-Length.
#   n=N first N bytes of the text; rnd=N N bytes that compress poorly
#   (seeded letters and digits); type=KEY; status=N; etag=strong|weak;
#   nt=1 Cache-Control: no-transform; ce=1 a gzip body already encoded.
sub handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my ($path, $qs) = $q->{target} =~ /^([^?]*)(?:\?(.*))?\z/s;
		my %a = map { /^([^=]*)=?(.*)\z/ ? ($1, $2) : () }
		    split /&/, $qs // '';
		my $close = grep { $_ eq 'close' } header_tokens($q, 'connection');
		my ($kind) = $path =~ m{/(\w+)\z};
		$kind = 'cl' unless $kind && $kind =~
		    /^(?:cl|chunked|close|slow|big)\z/;
		my $body = $kind eq 'big' ? $BIG
		    : $a{rnd} ? substr($RND, 0, $a{rnd})
		    : substr($TEXT, 0, $a{n} // length $TEXT);
		my $status = $a{status} // 200;
		my @h = ('Content-Type' => $TYPE{ $a{type} // 'text' });
		push @h, ETag => '"x"' if ($a{etag} // '') eq 'strong';
		push @h, ETag => 'W/"y"' if ($a{etag} // '') eq 'weak';
		push @h, 'Cache-Control' => 'public, no-transform' if $a{nt};
		if ($a{ce}) {
			gzip(\(my $in = $body) => \my $z) or die $GzipError;
			$body = $z;
			push @h, 'Content-Encoding' => 'gzip';
		}
		push @h, 'Content-Range' => sprintf('bytes 0-%d/%d',
		    length($body) - 1, 2 * length $body) if $status == 206;
		push @h, Connection => 'close' if $close;
		my $head = '';
		for (my $i = 0; $i < @h; $i += 2) {
			$head .= "$h[$i]: $h[$i + 1]\r\n";
		}
		if ($kind eq 'chunked' || $kind eq 'slow') {
			$c->write("HTTP/1.1 200 OK\r\n${head}Transfer-Encoding: "
			    . "chunked\r\n\r\n") or last;
			my $size = $kind eq 'slow' ? $SLOW_CHUNK : 1000;
			my @pieces = $kind eq 'slow'
			    ? map { substr($TEXT, $_ * $size, $size) } 0 .. 4
			    : unpack("(a$size)*", $body);
			for my $i (0 .. $#pieces) {
				sleep $SLOW_GAP if $kind eq 'slow' && $i;
				$c->write(sprintf("%x\r\n%s\r\n", length $pieces[$i],
				    $pieces[$i])) or return;
			}
			$c->note("slow done") if $kind eq 'slow';
			$c->write("0\r\n\r\n") or return;
		} elsif ($kind eq 'close') {
			$c->write("HTTP/1.0 200 OK\r\n$head\r\n") or return;
			$c->write($_) or return for unpack '(a3000)*', $body;
			return;
		} else {
			$c->respond($status, headers => \@h, body => $body,
			    head => $q->{method} eq 'HEAD') or last;
		}
		last if $close;
	}
}

my $t = Test::Frontd->new;
# A Brotli decoder, if this machine has one (see Test::FrontdBrotli).
my $BR = Test::FrontdBrotli->new($t);
my $BR_DECODER = $BR->name;
sub decode_br { $BR->decode(@_) }

# gzip -> (output, error): no pass-through of bytes that are not gzip.
sub un_gzip {
	my ($bytes) = @_;
	my $out;
	gunzip(\$bytes => \$out, Transparent => 0, Strict => 1)
	    or return (undef, $GunzipError || 'gunzip failed');
	return ($out, undef);
}

# As much as a gzip prefix gives (a stream cut anywhere).
sub gunzip_prefix {
	my ($bytes) = @_;
	my ($i, $st) = Compress::Raw::Zlib::Inflate->new(
	    -WindowBits => Compress::Raw::Zlib::WANT_GZIP());
	return '' unless $i;
	my $out = '';
	$i->inflate($bytes, $out);
	return $out;
}

my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[upstream app]
server = $be->{addr}
upstream_read_timeout = 10s

[route all]
upstream = app
compress = gzip br

[route bronly]
path = /bronly
upstream = app
compress = br

[route gzonly]
path = /gzonly
upstream = app
compress = gzip

[route off]
path = /off
upstream = app

[route min1k]
path = /min1k
upstream = app
compress = gzip br
compress_min_length = 1K

[route types]
path = /types
upstream = app
compress = gzip br
compress_types = image/png

[route gz9]
path = /gz9
upstream = app
compress = gzip
gzip_level = 9

[route gz1]
path = /gz1
upstream = app
compress = gzip
gzip_level = 1

[route brq0]
path = /brq0
upstream = app
compress = br
brotli_quality = 0

[route brq11]
path = /brq11
upstream = app
compress = br
brotli_quality = 11
EOF

# One request on its own connection: the parsed response, plus closed
# (frontd closed) and raw.  opts: ae (Accept-Encoding), method, version,
# headers (lines), timeout.
sub req {
	my ($target, %o) = @_;
	my $m = $o{method} // 'GET';
	my $v = $o{version} // '1.1';
	my $r = "$m $target HTTP/$v\r\n$H";
	$r .= "Accept-Encoding: $o{ae}\r\n" if defined $o{ae};
	$r .= "$_\r\n" for @{ $o{headers} // [] };
	$r .= "Connection: close\r\n" if $v eq '1.1';
	$r .= "\r\n";
	my ($out, $closed) = $t->raw_request($r, timeout => $o{timeout} // 5);
	my ($resp) = parse_responses($out, methods => [$m]);
	$resp //= { status => 0, headers => {}, body => '', framing => '',
	    complete => 0 };
	$resp->{closed} = $closed;
	$resp->{raw_out} = $out;
	return $resp;
}

sub hv {
	my ($r, $name) = @_;
	my $v = $r->{headers}{ lc $name } or return undef;
	return join ', ', @$v;
}


sub varies {
	my ($r) = @_;
	return scalar grep { $_ eq 'accept-encoding' } header_tokens($r, 'vary');
}

# A compressed response: coding, no Content-Length, Vary, and the body
# decodes to want.  opts: framing (chunked).
sub is_coded {
	my ($r, $coding, $want, $name, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	subtest $name => sub {
		is($r->{status}, 200, 'status 200');
		ok($r->{complete}, 'a complete response') or diag($r->{error});
		is(hv($r, 'content-encoding'), $coding, "Content-Encoding: $coding");
		is(hv($r, 'content-length'), undef, 'no Content-Length');
		ok(varies($r), 'Vary: Accept-Encoding');
		is($r->{framing}, $o{framing} // 'chunked', 'framing');
		isnt($r->{body}, $want, 'the body is not the original');
		ok(length $r->{body} < length $want, sprintf
		    'shorter: %d < %d bytes', length $r->{body}, length $want);
		if ($coding eq 'gzip') {
			is(substr($r->{body}, 0, 2), "\x1f\x8b", 'gzip magic');
			my ($out, $err) = un_gzip($r->{body});
			is($err, undef, 'gunzip succeeds');
			same_bytes($out, $want, 'gunzips byte for byte to the original');
		} elsif ($BR_DECODER) {
			my ($out, $done) = decode_br($r->{body});
			ok($done, "a whole Brotli stream ($BR_DECODER)");
			same_bytes($out, $want, 'decodes byte for byte to the original');
		}
	};
}

# An uncompressed response: no Content-Encoding, the body as sent.
sub is_plain {
	my ($r, $want, $name, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	subtest $name => sub {
		is($r->{status}, $o{status} // 200, 'status');
		is(hv($r, 'content-encoding'), $o{ce}, 'Content-Encoding '
		    . ($o{ce} // 'absent'));
		same_bytes($r->{body}, $want, 'the body as the backend sent it');
		if (defined $o{cl}) {
			is(hv($r, 'content-length'), $o{cl}, "Content-Length: $o{cl}");
		}
		if (exists $o{vary}) {
			is(varies($r) ? 1 : 0, $o{vary}, $o{vary} ? 'Vary: Accept-Encoding'
			    : 'no Vary: Accept-Encoding');
		}
	};
}

diag($BR_DECODER ? "Brotli bodies decoded with $BR_DECODER"
    : 'no Brotli decoder (brotli tool, python3 brotli, cc + libbrotlidec): '
    . 'br bodies are checked by their headers and size only');

subtest 'gzip: Content-Length, chunked and close-delimited upstream bodies' => sub {
	is_coded(req('/cl', ae => 'gzip'), 'gzip', $TEXT, 'Content-Length body');
	is_coded(req('/chunked', ae => 'gzip'), 'gzip', $TEXT, 'chunked body');
	is_coded(req('/close', ae => 'gzip'), 'gzip', $TEXT,
	    'close-delimited HTTP/1.0 body');
	is_coded(req('/cl?type=json', ae => 'gzip'), 'gzip', $TEXT,
	    'application/json');
	is_coded(req('/cl?type=svg', ae => 'gzip'), 'gzip', $TEXT,
	    'image/svg+xml');
	is_coded(req('/cl?n=256', ae => 'gzip'), 'gzip', substr($TEXT, 0, 256),
	    'exactly compress_min_length (256) bytes');
};

subtest 'br: Content-Length, chunked and close-delimited upstream bodies' => sub {
	note($BR_DECODER ? "decoder: $BR_DECODER"
	    : 'no Brotli decoder here: the body is checked to differ and be '
	    . 'shorter, not decoded');
	is_coded(req('/cl', ae => 'br'), 'br', $TEXT, 'Content-Length body');
	is_coded(req('/chunked', ae => 'br'), 'br', $TEXT, 'chunked body');
	is_coded(req('/close', ae => 'br'), 'br', $TEXT,
	    'close-delimited HTTP/1.0 body');
};

subtest 'Accept-Encoding q-values' => sub {
	my @cases = (
	    [ '/cl', 'gzip;q=0.5, br;q=0.4', 'gzip' ],
	    [ '/cl', 'gzip;q=0.4, br;q=0.5', 'br' ],
	    [ '/cl', 'gzip, br', 'br' ],
	    [ '/cl', 'br;q=0.8, gzip;q=0.8', 'br' ],
	    [ '/cl', 'gzip, deflate', 'gzip' ],
	    [ '/cl', 'GZIP', 'gzip' ],
	    [ '/cl', '*', 'br' ],
	    [ '/cl', 'br;q=0, *', 'gzip' ],
	    [ '/cl', '*;q=0', undef ],
	    [ '/cl', 'gzip;q=0, br;q=0', undef ],
	    [ '/cl', 'identity', undef ],
	    [ '/cl', 'deflate', undef ],
	    [ '/bronly/cl', 'br;q=0', undef ],
	    [ '/bronly/cl', 'gzip, br;q=0', undef ],
	    [ '/bronly/cl', 'gzip;q=1, br;q=0.1', 'br' ],
	    [ '/gzonly/cl', 'br, gzip;q=0.1', 'gzip' ],
	    [ '/gzonly/cl', 'br', undef ],
	);
	for my $c (@cases) {
		my ($path, $ae, $want) = @$c;
		my $r = req($path, ae => $ae);
		my $name = "$path, Accept-Encoding: $ae -> " . ($want // 'identity');
		if ($want) {
			is_coded($r, $want, $TEXT, $name);
		} else {
			is_plain($r, $TEXT, $name, cl => length $TEXT, vary => 1);
		}
	}
	is_plain(req('/cl'), $TEXT, 'no Accept-Encoding -> identity, with Vary',
	    cl => length $TEXT, vary => 1);
	is_plain(req('/off/cl', ae => 'gzip, br'), $TEXT,
	    'a route without compress: identity, no Vary', cl => length $TEXT,
	    vary => 0);
};

subtest 'responses left alone' => sub {
	my $ae = 'gzip, br';
	my $r = req('/cl', method => 'HEAD', ae => $ae);
	is_plain($r, '', 'HEAD', cl => length $TEXT);
	is_plain(req('/cl', ae => $ae, headers => [ 'Range: bytes=0-99' ]),
	    $TEXT, 'a request with Range (the backend ignores it)',
	    cl => length $TEXT);
	gzip(\(my $in = $TEXT) => \my $z) or die $GzipError;
	$r = req('/cl?ce=1', ae => $ae);
	is_plain($r, $z, 'a response with Content-Encoding: gzip already',
	    ce => 'gzip', cl => length $z);
	$r = req('/cl?nt=1', ae => $ae);
	is_plain($r, $TEXT, 'Cache-Control: no-transform (and no Vary)',
	    cl => length $TEXT, vary => 0);
	is_plain(req('/cl?type=png', ae => $ae), $TEXT, 'image/png',
	    cl => length $TEXT);
	is_plain(req('/cl?n=255', ae => $ae), substr($TEXT, 0, 255),
	    'a body of 255 bytes, under compress_min_length', cl => 255);
	is_plain(req('/cl?n=10', ae => $ae), substr($TEXT, 0, 10),
	    'a body of 10 bytes', cl => 10);
	is_plain(req('/cl?status=204', ae => $ae), '', 'a 204 stays plain', status => 204);
	$r = req('/cl?status=304&etag=strong', ae => $ae,
	    headers => [ 'If-None-Match: "x"' ]);
	is_plain($r, '', 'a 304 stays plain', status => 304);
	is(hv($r, 'etag'), '"x"', '304: the ETag unchanged');
	is_plain(req('/cl?status=206', ae => $ae), $TEXT, '206 from the backend',
	    status => 206, cl => length $TEXT);
	is_plain(req('/cl?status=206&type=json', ae => $ae, headers =>
	    [ 'Range: bytes=0-' ]), $TEXT, '206 answering a Range request',
	    status => 206, cl => length $TEXT);
};

subtest 'compress_min_length and compress_types per route' => sub {
	is_plain(req('/min1k/cl?n=1023', ae => 'gzip'), substr($TEXT, 0, 1023),
	    'compress_min_length = 1K: 1023 bytes left alone', cl => 1023);
	is_coded(req('/min1k/cl?n=1024', ae => 'gzip'), 'gzip',
	    substr($TEXT, 0, 1024), 'compress_min_length = 1K: 1024 bytes compressed');
	is_coded(req('/types/cl?type=png', ae => 'gzip'), 'gzip', $TEXT,
	    'compress_types = image/png: png compressed');
	is_plain(req('/types/cl?type=text', ae => 'gzip'), $TEXT,
	    'compress_types = image/png: text/plain no longer',
	    cl => length $TEXT);
};

subtest 'gzip_level and brotli_quality' => sub {
	# zlib marks its gzip header: XFL 2 at level 9, 4 at level 1, else 0.
	my %xfl;
	for my $p (qw(gz9 gz1), '') {
		my $r = req(($p ? "/$p" : '') . '/cl', ae => 'gzip');
		is_coded($r, 'gzip', $TEXT, 'gzip ' . ($p || 'default level'));
		$xfl{$p} = length $r->{body} > 8 ? ord substr($r->{body}, 8, 1) : -1;
	}
	is($xfl{gz9}, 2, 'gzip_level = 9: XFL says best compression');
	is($xfl{gz1}, 4, 'gzip_level = 1: XFL says fastest');
	is($xfl{''}, 0, 'default level 5: XFL 0');
	my $q0 = req('/brq0/cl', ae => 'br');
	my $q11 = req('/brq11/cl', ae => 'br');
	is_coded($q0, 'br', $TEXT, 'brotli_quality = 0');
	is_coded($q11, 'br', $TEXT, 'brotli_quality = 11');
	ok(length $q11->{body} < length $q0->{body}, sprintf
	    'quality 11 is smaller than quality 0: %d < %d bytes',
	    length $q11->{body}, length $q0->{body});
};

subtest 'headers of a compressed response' => sub {
	my $r = req('/cl?etag=strong', ae => 'gzip');
	is_coded($r, 'gzip', $TEXT, 'with a strong ETag');
	is(hv($r, 'etag'), 'W/"x"', 'strong ETag "x" becomes W/"x"');
	is(hv($r, 'transfer-encoding'), 'chunked', 'Transfer-Encoding: chunked');
	$r = req('/cl?etag=weak', ae => 'br');
	is_coded($r, 'br', $TEXT, 'with a weak ETag');
	is(hv($r, 'etag'), 'W/"y"', 'weak ETag stays W/"y"');
	$r = req('/cl?etag=strong');
	is(hv($r, 'etag'), '"x"', 'uncompressed: the strong ETag stays');

	for my $ka (0, 1) {
		my $what = $ka ? 'HTTP/1.0 client asking keep-alive'
		    : 'HTTP/1.0 client';
		$r = req('/cl', version => '1.0', ae => 'gzip',
		    headers => $ka ? [ 'Connection: keep-alive' ] : []);
		is_coded($r, 'gzip', $TEXT, $what, framing => 'close');
		is(hv($r, 'transfer-encoding'), undef, "$what: no Transfer-Encoding");
		ok(grep({ $_ eq 'close' } header_tokens($r, 'connection')),
		    "$what: Connection: close");
		ok($r->{closed}, "$what: frontd closes to end the body");
	}
	$r = req('/chunked', version => '1.0', ae => 'br');
	is_coded($r, 'br', $TEXT, 'HTTP/1.0 client, chunked upstream, br',
	    framing => 'close');
	ok($r->{closed}, 'closed at the end');
};

subtest 'keep-alive and pipelining' => sub {
	my @req = ("GET /cl HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n",
	    "GET /chunked HTTP/1.1\r\n${H}Accept-Encoding: br\r\n\r\n",
	    "GET /cl?n=5000 HTTP/1.1\r\n$H\r\n");
	my $c = $t->raw_client or return fail('connect');
	my @r;
	for my $q (@req) {
		$c->write($q);
		push @r, $c->read_response(timeout => 5);
	}
	is(scalar(grep { defined } @r), 3, 'three responses, one at a time');
	is_coded($r[0], 'gzip', $TEXT, 'keep-alive 1: gzip') if $r[0];
	is_coded($r[1], 'br', $TEXT, 'keep-alive 2: br') if $r[1];
	is_plain($r[2], substr($TEXT, 0, 5000), 'keep-alive 3: plain',
	    cl => 5000, vary => 1) if $r[2];
	ok(!$c->closed, 'the connection stays open');
	$c->close;

	my $all = join '', @req[0, 1], $req[2] =~ s/\r\n\r\n\z/\r\nConnection: close\r\n\r\n/r;
	my ($out, $closed) = $t->raw_request($all, timeout => 5);
	ok($closed, 'pipelined: closed after the last');
	@r = parse_responses($out);
	is(scalar @r, 3, 'pipelined: three responses');
	is_coded($r[0], 'gzip', $TEXT, 'pipelined 1: gzip') if $r[0];
	is_coded($r[1], 'br', $TEXT, 'pipelined 2: br') if $r[1];
	is_plain($r[2], substr($TEXT, 0, 5000), 'pipelined 3: plain',
	    cl => 5000) if $r[2];
};

# Read a chunked compressed response of /slow as it comes: when the first
# decodable bytes arrived, when the end did, and the data.
sub read_slow {
	my ($ae) = @_;
	my $c = $t->raw_client or return;
	$c->write("GET /slow HTTP/1.1\r\n${H}Accept-Encoding: $ae\r\n"
	    . "Connection: close\r\n\r\n");
	my %s = (t0 => time, data => '', nchunks => 0);
	my $deadline = $s{t0} + 10;
	while (time < $deadline) {
		my $n = $c->fill($deadline - time);
		last unless defined $n;
		my $buf = $c->buffer;
		my $e = index($buf, "\r\n\r\n");
		if ($e >= 0) {
			$s{head} = substr($buf, 0, $e + 4);
			my ($data, $chunks) = ('', 0);
			pos($buf) = $e + 4;
			while ($buf =~ /\G([0-9a-fA-F]+)[^\r\n]*\r\n/gc) {
				my $len = hex $1;
				my $at = pos $buf;
				if ($len == 0) { $s{done} //= time; last }
				last if length($buf) < $at + $len + 2;
				$data .= substr($buf, $at, $len);
				$chunks++;
				pos($buf) = $at + $len + 2;
			}
			pos($buf) = undef;
			@s{qw(data nchunks)} = ($data, $chunks);
			if (!defined $s{first} && length $data) {
				my ($out, $ok) = $ae eq 'gzip' ? (gunzip_prefix($data), 1)
				    : $BR_DECODER ? decode_br($data) : ('', 0);
				if (length $out || ($ae eq 'br' && !$BR_DECODER)) {
					$s{first} = time;
					$s{first_out} = $out;
				}
			}
		}
		last if $s{done} || !$n;
	}
	$c->close;
	return \%s;
}

subtest 'a slowly made body streams compressed' => sub {
	my $full = substr($TEXT, 0, 5 * $SLOW_CHUNK);
	my $span = 4 * $SLOW_GAP;	# from the first chunk to the last
	for my $ae ('gzip', 'br') {
		my $s = read_slow($ae);
		ok($s->{head} && $s->{head} =~ m{^HTTP/1\.1 200 }, "$ae: a head")
		    or next;
		like($s->{head}, qr/^Content-Encoding: $ae\r$/mi, "$ae: Content-Encoding");
		ok($s->{done}, "$ae: the whole body within 10 s");
		ok(defined $s->{first}, "$ae: compressed bytes arrived while the "
		    . "backend was still sending") or next;
		my $early = $s->{done} ? $s->{done} - $s->{first} : 0;
		ok($early >= $span / 2, sprintf "$ae: first decodable bytes %.2f s "
		    . "before the end (the backend took %.1f s)", $early, $span);
		ok($s->{nchunks} >= 2, "$ae: $s->{nchunks} chunks");
		if ($ae eq 'gzip' || $BR_DECODER) {
			my $fo = $s->{first_out} // '';
			ok(length $fo > 0 && length $fo < length $full
			    && $fo eq substr($full, 0, length $fo), sprintf
			    "$ae: early data decodes to a prefix (%d of %d bytes)",
			    length $fo, length $full);
			my ($out) = $ae eq 'gzip' ? un_gzip($s->{data})
			    : decode_br($s->{data});
			same_bytes($out, $full, "$ae: all of it decodes to the original");
		}
	}
};

# Compressed output larger than one encoder call gives (16K) when the whole
# body is already here: the finish must go on with the input it has not
# taken yet (a stream once ended short, valid but missing its tail).
subtest 'a finish that needs several calls' => sub {
	for my $ae ('gzip', 'br') {
		for my $n (60000, 70000) {
			my $want = substr($RND, 0, $n);
			my $r = req("/cl?rnd=$n", ae => $ae);
			is_coded($r, $ae, $want, "$ae, $n poorly compressible bytes");
		}
	}
};

subtest 'a 5 MB response' => sub {
	for my $ae ('gzip', 'br') {
		my $t0 = time;
		my $r = req('/big', ae => $ae, timeout => 20);
		is_coded($r, $ae, $BIG, sprintf "5 MB, $ae (%.1f s, %d bytes)",
		    time - $t0, length $r->{body});
	}
};

$t->check_logs;
done_testing;
