# Strict request parsing (frontd.conf(5), "HTTP handling"): every request
# that is malformed or ambiguous gets its status (400, 413, 414, 431, 501,
# 505) with Connection: close, the connection is closed, and nothing of it
# reaches the backend.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses header_tokens);

my $t = Test::Frontd->new;
my $be = $t->raw_backend(body => sub { "seen $_[0]{target}\n" });
$t->start(<<"EOF");
[global]
client_header_timeout = 2s
max_request_line = 256
max_header_size = 1K
max_headers = 8
client_max_body_size = 1K

[upstream app]
server = $be->{addr}
upstream_read_timeout = 2s

[route all]
upstream = app
EOF

my $H = "Host: test.example\r\n";
my @cases = (
	# [ name, bytes, status (or a list of allowed statuses) ]
	[ 'Content-Length and Transfer-Encoding',
	    "POST /cl-te HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 ],
	[ 'Transfer-Encoding and Content-Length',
	    "POST /te-cl HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400 ],
	[ 'two different Content-Length',
	    "POST /cl2 HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 ],
	[ 'Content-Length list with different values',
	    "POST /cl-list HTTP/1.1\r\n${H}Content-Length: 5, 6\r\n\r\nhello!", 400 ],
	[ 'Content-Length "+5"',
	    "POST /cl-plus HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello", 400 ],
	[ 'Content-Length "0x10"',
	    "POST /cl-hex HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n0123456789abcdef", 400 ],
	[ 'Content-Length "-1"',
	    "POST /cl-neg HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n", 400 ],
	[ 'Transfer-Encoding "chunked, identity" (last coding not chunked)',
	    "POST /te-ci HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400 ],
	[ 'Transfer-Encoding "chunked, chunked"',
	    "POST /te-cc HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n0\r\n\r\n", 400 ],
	[ 'Transfer-Encoding "gzip" alone',
	    "POST /te-gzip HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc", 400 ],
	[ 'Transfer-Encoding "xchunked" (unknown coding)',
	    "POST /te-x HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501 ],
	[ 'Transfer-Encoding "foo, chunked" (unknown coding)',
	    "POST /te-foo HTTP/1.1\r\n${H}Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501 ],
	[ 'Transfer-Encoding in HTTP/1.0',
	    "POST /te10 HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 ],
	[ 'space before the colon ("Transfer-Encoding : chunked")',
	    "POST /te-sp HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400 ],
	[ 'space before the colon in another field',
	    "GET /sp HTTP/1.1\r\n${H}X-Foo : bar\r\n\r\n", 400 ],
	[ 'obs-fold line',
	    "GET /fold HTTP/1.1\r\n${H}X-Foo: bar\r\n baz\r\n\r\n", 400 ],
	[ 'obs-fold with a tab',
	    "GET /fold-tab HTTP/1.1\r\n${H}X-Foo: bar\r\n\tbaz\r\n\r\n", 400 ],
	[ 'bare CR in a header value',
	    "GET /cr HTTP/1.1\r\n${H}X-Foo: a\rb\r\n\r\n", 400 ],
	[ 'bare LF ending one header line',
	    "GET /lf HTTP/1.1\r\n${H}X-Foo: a\nX-Bar: b\r\n\r\n", 400 ],
	[ 'bare LF line endings throughout',
	    "GET /lf-all HTTP/1.1\nHost: test.example\n\n", 400 ],
	[ 'NUL in a header value',
	    "GET /nul HTTP/1.1\r\n${H}X-Foo: a\0b\r\n\r\n", 400 ],
	[ 'other control character (ESC) in a header value',
	    "GET /ctl HTTP/1.1\r\n${H}X-Foo: a\x1bb\r\n\r\n", 400 ],
	[ 'missing Host in HTTP/1.1',
	    "GET /nohost HTTP/1.1\r\nX-Foo: a\r\n\r\n", 400 ],
	[ 'two Host headers',
	    "GET /host2 HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400 ],
	[ 'two identical Host headers',
	    "GET /host2same HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n", 400 ],
	[ 'invalid Host',
	    "GET /badhost HTTP/1.1\r\nHost: a.example/x\r\n\r\n", 400 ],
	[ 'request target "foo"',
	    "GET foo HTTP/1.1\r\n${H}\r\n", 400 ],
	[ 'request target "http:/x"',
	    "GET http:/x HTTP/1.1\r\n${H}\r\n", 400 ],
	[ 'HTTP/0.9 request',
	    "GET /\r\n", 400 ],
	[ 'HTTP/2 connection preface',
	    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400 ],
	[ 'HTTP/2.0 version',
	    "GET /v2 HTTP/2.0\r\n${H}\r\n", 505 ],
	[ 'HTTP/3.0 version',
	    "GET /v3 HTTP/3.0\r\n${H}\r\n", 505 ],
	[ 'request line over max_request_line (256)',
	    "GET /" . ('a' x 300) . " HTTP/1.1\r\n${H}\r\n", 414 ],
	[ 'head over max_header_size (1K)',
	    "GET /big HTTP/1.1\r\n${H}X-Big: " . ('b' x 1100) . "\r\n\r\n", 431 ],
	[ 'head over max_header_size in many small fields',
	    "GET /big2 HTTP/1.1\r\n${H}" . join('', map { "X-$_: " . ('c' x 200) . "\r\n" } 1 .. 6) . "\r\n", 431 ],
	[ 'more header fields than max_headers (8)',
	    "GET /many HTTP/1.1\r\n${H}" . join('', map { "X-$_: v\r\n" } 1 .. 9) . "\r\n", 431 ],
	[ 'Content-Length over client_max_body_size (1K)',
	    "POST /toobig HTTP/1.1\r\n${H}Content-Length: 2000\r\n\r\n", 413 ],
	[ 'Content-Length over client_max_body_size, with Expect: 100-continue',
	    "POST /toobig-expect HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2000\r\n\r\n", 413 ],
);

for my $c (@cases) {
	my ($name, $bytes, $want) = @$c;
	my @want = ref $want ? @$want : ($want);
	subtest $name => sub {
		my ($out, $closed) = $t->raw_request($bytes, timeout => 5);
		my @r = parse_responses($out);
		my $r = $r[0] // { status => 0, headers => {} };
		ok((grep { $r->{status} == $_ } @want), "status " . join(' or ', @want))
		    or diag("sent: " . show($bytes) . "\ngot: " . show($out));
		is(scalar @r, 1, 'exactly one response') or diag("got: " . show($out));
		ok((grep { $_ eq 'close' } header_tokens($r, 'connection')),
		    'with Connection: close') or diag("head: " . show($r->{head} // ''));
		ok($closed, 'and the connection is closed');
		is($t->received($be), '', 'nothing reached the backend');
	};
}

# A barrier: a request at the limits goes through; then the backend must
# have seen that request and nothing else (a rejected request forwarded
# late would show up here).
subtest 'a request at the limits is forwarded, and nothing else was' => sub {
	my $body = 'x' x 1024;
	my $req = "POST /control HTTP/1.1\r\n${H}Connection: close\r\n"
	    . join('', map { "X-$_: v\r\n" } 1 .. 5)
	    . "Content-Length: 1024\r\n\r\n$body";
	my ($out, $closed) = $t->raw_request($req, timeout => 5);
	my ($r) = parse_responses($out);
	is($r->{status}, 200, '8 header fields and a 1K body get 200')
	    or diag("got: " . show($out));
	is($r->{body}, "seen /control\n", 'answered by the backend');
	my @q = $t->received_requests($be);
	is(scalar @q, 1, 'the backend received one request');
	is($q[0]{target}, '/control', 'that one');
	is(length $q[0]{body}, 1024, 'with its 1K body');
};

subtest 'an invalid chunk size in the body' => sub {
	my $before = length $t->received($be);
	my $req = "POST /badchunk HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"
	    . "zz\r\nhello\r\n0\r\n\r\n";
	my ($out, $closed) = $t->raw_request($req, timeout => 5);
	my ($r) = parse_responses($out);
	$r //= { status => 0, headers => {} };
	is($r->{status}, 400, 'the client gets 400') or diag("got: " . show($out));
	ok((grep { $_ eq 'close' } header_tokens($r, 'connection')),
	    'with Connection: close');
	ok($closed, 'the connection is closed');
	my $got = substr($t->received($be), $before);
	unlike($got, qr/0\r\n\r\n/, 'the backend never got a complete chunked body')
	    or diag("backend got: " . show($got));
	unlike($got, qr/hello/, 'nor the data after the bad size line');
};

subtest 'an invalid chunk size after a good chunk' => sub {
	my $before = length $t->received($be);
	my $c = $t->raw_client;
	$c->write("POST /badchunk2 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"
	    . "5\r\nhello\r\n");
	# Let frontd forward the head and the first chunk, if it streams.
	$t->poll(sub { $t->received($be) =~ /badchunk2/ }, 1);
	$c->write("-1\r\nworld\r\n0\r\n\r\n");
	my $closed = $c->wait_closed(5);
	my ($r) = parse_responses($c->buffer);
	$r //= { status => 0, headers => {} };
	# No byte of a response went out yet, so frontd can still say why.
	is($r->{status}, 400, 'the client gets 400') or diag('got: ' . show($c->buffer));
	ok((grep { $_ eq 'close' } header_tokens($r, 'connection')),
	    'with Connection: close');
	ok($closed, 'the connection is closed');
	my $got = substr($t->received($be), $before);
	unlike($got, qr/0\r\n\r\n/, 'the backend never got a complete chunked body')
	    or diag("backend got: " . show($got));
	unlike($got, qr/world/, 'nor the data after the bad size line');
};

$t->check_logs;
done_testing;

sub show {
	my ($s) = @_;
	$s = substr($s, 0, 400) . '...' if length $s > 400;
	$s =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
	$s =~ s/\\x0d\\x0a/\\r\\n/g;
	return "\"$s\"";
}
