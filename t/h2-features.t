# The request features over HTTP/2 (prior knowledge on a plain listener),
# each with a frontd of its own: the upstream's trailers as a trailing
# HEADERS frame; a cache miss collapsed across streams, connections and
# HTTP/1.1 clients; the metrics page and its counters; access rules and
# the error page; Brotli with Vary; auth_basic; retries past a refused
# server and a 502 when none is left; a stream that reads slowly holding
# up only itself until send_timeout resets it; client_max_body_size with
# and without a content-length.  Frames are written by hand and header
# blocks decoded by libnghttp2 (Test::FrontdH2Fields); a connection that
# answers a PING after a refused stream is alive.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use MIME::Base64 ();
use Time::HiRes qw(time);
use Test::Frontd;
use Test::FrontdBrotli;
use Test::FrontdH2;
use Test::FrontdH2Client;
use Test::FrontdH2Fields;
use Test::H2Frames qw(:all);

my %WHY = h2_tools();

# A frontd with a plain listener that speaks HTTP/2, the text after it,
# and a decoder of header blocks: ($t, $dec).
sub h2_frontd {
	my ($t, $text) = @_;
	my $dec = Test::FrontdH2Fields->decoder($t);
	plan skip_all => 'no C compiler with libnghttp2 to decode HPACK'
	    unless $dec;
	my $p = $t->port;
	my $g = '';
	$g = "[global]\n$1"
	    if $text =~ s/\A\[global\]\n((?:[^\[\n][^\n]*\n)*)//;
	$t->start("$g\n[listener h2]\naddress = 127.0.0.1:$p\nhttp2 = on\n\n"
	    . $text);
	return $dec;
}

sub h2c {
	my ($t, $dec) = @_;
	my $c = Test::FrontdH2Fields->connect($t, $dec);
	BAIL_OUT("no HTTP/2 connection to frontd: $!") unless $c;
	return $c;
}

# What a stream got, for diagnostics.
sub shown {
	my ($s) = @_;
	return 'no stream' unless $s;
	return join "\n", 'status ' . ($s->{status} // 'none')
	    . (defined $s->{rst} ? " rst $s->{rst}" : '')
	    . ($s->{error} ? " $s->{error}" : ''),
	    (map { "  $_->[0]: $_->[1]" } @{ $s->{fields} }),
	    'frames: ' . join(', ', @{ $s->{frames} }),
	    (map { "  trailer $_->[0]: $_->[1]" } @{ $s->{trailers} }),
	    'body: ' . substr($s->{body}, 0, 200);
}

subtest 'trailers: a trailing HEADERS frame after the DATA' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			$c->write("HTTP/1.1 200 OK\r\n"
			    . "Content-Type: text/plain\r\n"
			    . "Transfer-Encoding: chunked\r\n"
			    . "Trailer: X-Checksum, grpc-status\r\n\r\n"
			    . "6\r\nhello \r\n5\r\nworld\r\n0\r\n"
			    . "X-Checksum: abc\r\ngrpc-status: 0\r\n"
			    . "Grpc-Message: all good\r\n"
			    . "Keep-Alive: timeout=5\r\n\r\n") or last;
		}
	});
	my $dec = h2_frontd($t, "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	my $c = h2c($t, $dec);
	my $s = $c->wait($c->send('/grpc', fields => [ te => 'trailers' ]), 5);
	is($s->{status}, 200, 'HTTP/2: 200') or diag(shown($s));
	is($s->{body}, 'hello world', 'the body');
	ok($s->{done}, 'the stream ended');
	my @fr = @{ $s->{frames} };
	is($fr[0], 'HEADERS', 'the head first, the stream still open');
	is($fr[-1], 'HEADERS END_STREAM',
	    'the last frame: HEADERS with END_STREAM') or diag(shown($s));
	ok(!grep({ $_ eq 'DATA END_STREAM' } @fr),
	    'no DATA frame ends the stream');
	ok((grep { /^DATA/ } @fr[1 .. $#fr - 1]), 'the DATA in between');
	my %tr = map { @$_ } @{ $s->{trailers} };
	is($tr{'x-checksum'}, 'abc', 'trailer x-checksum: abc')
	    or diag(shown($s));
	is($tr{'grpc-status'}, '0', 'trailer grpc-status: 0');
	is($tr{'grpc-message'}, 'all good', 'Grpc-Message in lower case');
	is_deeply([ grep { /[A-Z]/ || /^:/ } map { $_->[0] }
	    @{ $s->{trailers} } ], [],
	    'every trailer name in lower case, no pseudo-header field');
	# The backend's Keep-Alive trailer is a field of the connection.
	ok(!grep({ $_->[0] =~ /^(?:connection|keep-alive|transfer-encoding|te|
	    upgrade|proxy-connection)\z/x } @{ $s->{fields} },
	    @{ $s->{trailers} }),
	    'no field of the connection in head or trailers')
	    or diag(shown($s));
	ok($c->alive, 'the connection lives on');

	# The same backend to an HTTP/1.1 client: chunked, with the trailers.
	my ($raw) = $t->raw_request("GET /grpc HTTP/1.1\r\nHost: x\r\n"
	    . "TE: trailers\r\nConnection: close\r\n\r\n");
	like($raw, qr{\AHTTP/1\.1 200 }, 'HTTP/1.1: 200');
	like($raw, qr{^Transfer-Encoding: chunked\r$}mi, 'chunked');
	like($raw, qr{\r\n\r\n(?:[0-9a-f]+\r\n.*?\r\n)+0\r\n
	    X-Checksum:\ abc\r\ngrpc-status:\ 0\r\nGrpc-Message:\ all\ good\r\n
	    (?:Keep-Alive:[^\r]*\r\n)?\r\n\z}sxi,
	    'the trailers in the chunked framing, after the last chunk')
	    or diag($raw);
	$c->close;
	$t->check_logs;
};

subtest 'a cache miss collapsed: streams, connections, HTTP/1.1 alike' => sub {
	my $t = Test::Frontd->new;
	my $body = "the one answer\n" x 100;
	my $be = $t->raw_backend(delay => 0.3, body => $body,
	    headers => [ 'Content-Type' => 'text/plain',
		'Cache-Control' => 'max-age=60' ]);
	my $dec = h2_frontd($t, "[global]\ncache_size = 8M\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\ncache = on\n");
	my ($a, $b) = (h2c($t, $dec), h2c($t, $dec));
	my $t0 = time;
	my @ia = map { $a->send('/same') } 1 .. 5;
	my $ib = $b->send('/same');
	my @h1 = map { $t->send_request('/same') } 1 .. 2;
	my $ra = $a->wait(\@ia, 10);
	my $rb = $b->wait($ib, 10);
	my @r1 = map { $t->read_response($_) } @h1;
	my $took = time - $t0;
	my @h2 = ((map { $ra->{$_} } @ia), $rb);
	is(scalar(grep { ($_->{status} // 0) == 200 && $_->{done}
	    && $_->{body} eq $body } @h2), 6,
	    'all 6 HTTP/2 streams: 200 and the body')
	    or diag(join "\n", map { shown($_) } @h2);
	is(scalar(grep { $_->status == 200 && $_->content eq $body } @r1), 2,
	    'both HTTP/1.1 clients: 200 and the body');
	my $seen = () = $t->received($be) =~ m{^GET /same }mg;
	is($seen, 1, 'the backend saw one request');
	my @cs = ((map { $_->{field}{'cache-status'} // '' } @h2),
	    map { $_->header('cache-status') // '' } @r1);
	is(scalar(grep { /; fwd=uri-miss;.*; stored\b/ } @cs), 1,
	    'Cache-Status: one stored miss') or diag(join "\n", @cs);
	is(scalar(grep { /; hit\b/ } @cs), 7, 'and 7 hits');
	cmp_ok(scalar(grep { /; collapsed\z/ } @cs), '>=', 1,
	    'that waited for it (collapsed)');
	my @log;
	$t->poll(sub {
		@log = grep { m{"GET /same } } split /\n/, $t->access_log;
		@log == 8;
	}, 5);
	is(scalar(grep { / cs=miss\b/ } @log), 1, 'the access log: one cs=miss')
	    or diag(join "\n", @log);
	is(scalar(grep { / cs=hit\b/ } @log), 7, 'and 7 cs=hit');
	is(scalar(grep { m{ HTTP/2\.0" 200 } } @log), 6,
	    'six of them over HTTP/2');
	ok($took < 3, sprintf(
	    'all answered in %.2f s (the backend takes 0.3 s)', $took));
	$_->close for $a, $b;
	$t->check_logs;
};

# The value of a series of the metrics page: name and labels as a hash
# (all of them, in any order); undef when it is not there.
sub metric {
	my ($text, $name, %want) = @_;
	for my $l (split /\n/, $text) {
		my ($labels, $v) = $l =~ /^\Q$name\E(?:\{([^}]*)\})? (\S+)$/
		    or next;
		my %have = ($labels // '') =~ /(\w+)="([^"]*)"/g;
		next unless join(',', map { "$_=$have{$_}" } sort keys %have)
		    eq join(',', map { "$_=$want{$_}" } sort keys %want);
		return $v;
	}
	return undef;
}

subtest 'metrics: the page over HTTP/2, HTTP/2 requests counted' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "app\n");
	my $dec = h2_frontd($t, <<"EOF");
[upstream app]
server = $be->{addr}

[route metrics]
path = /metrics
metrics = on

[route nf]
path = /nf
return = 404 nothing here

[route app]
upstream = app
EOF
	my $c = h2c($t, $dec);
	my $page = sub {
		my $s = $c->wait($c->send('/metrics'), 5);
		return ($s->{status} // 0) == 200 ? $s->{body} : undef;
	};
	my $s = $c->wait($c->send('/metrics'), 5);
	is($s->{status}, 200, 'GET /metrics over HTTP/2: 200')
	    or diag(shown($s));
	like($s->{field}{'content-type'} // '',
	    qr{^text/plain; version=0\.0\.4}, 'the Prometheus text format');
	like($s->{body}, qr/^# TYPE frontd_route_requests_total counter$/m,
	    'with the route counters');
	my %key = (app2 => [ 'frontd_route_requests_total', route => 'app',
	    code => '2xx' ], nf4 => [ 'frontd_route_requests_total',
	    route => 'nf', code => '4xx' ], all => [ 'frontd_requests_total' ],
	    c2 => [ 'frontd_responses_total', class => '2xx' ],
	    c4 => [ 'frontd_responses_total', class => '4xx' ]);
	my $values = sub {
		my ($text) = @_;
		return { map { $_ => metric($text, @{ $key{$_} }) // 0 }
		    keys %key };
	};
	my $v0 = $values->($s->{body});

	my @ids = ((map { $c->send("/app/$_") } 1 .. 5),
	    map { $c->send("/nf/$_") } 1 .. 3);
	my $r = $c->wait(\@ids, 5);
	is(join(' ', map { $r->{$_}{status} // 'none' } @ids),
	    '200 200 200 200 200 404 404 404',
	    'five 200 and three 404 over HTTP/2');
	my $v1;
	$t->poll(sub {
		my $p = $page->() // return 0;
		$v1 = $values->($p);
		return $v1->{app2} >= $v0->{app2} + 5
		    && $v1->{nf4} >= $v0->{nf4} + 3;
	}, 5);
	is($v1->{app2} - $v0->{app2}, 5,
	    'frontd_route_requests_total{route="app",code="2xx"} grew by 5');
	is($v1->{nf4} - $v0->{nf4}, 3, 'and {route="nf",code="4xx"} by 3');
	is($v1->{c4} - $v0->{c4}, 3,
	    'frontd_responses_total{class="4xx"} by 3');
	cmp_ok($v1->{c2} - $v0->{c2}, '>=', 5,
	    'frontd_responses_total{class="2xx"} by 5 and the pages');
	cmp_ok($v1->{all} - $v0->{all}, '>=', 8,
	    'frontd_requests_total by 8 and the pages');

	# The same over HTTP/1.1 counts the same.
	is($t->get("/app/h1-$_")->status, 200, "HTTP/1.1 request $_: 200")
	    for 1 .. 5;
	my $v2;
	$t->poll(sub {
		my $p = $page->() // return 0;
		$v2 = $values->($p);
		return $v2->{app2} >= $v1->{app2} + 5;
	}, 5);
	is($v2->{app2} - $v1->{app2}, 5, 'five over HTTP/1.1: 5 more, alike');
	ok($c->alive, 'the connection lives on');
	$c->close;
	$t->check_logs;
};

subtest 'access rules: 403 and the error page, the connection goes on' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "open\n");
	my $page = $t->dir . '/403.html';
	$t->spew($page, "<p>not for you, h2</p>\n");
	my $wp = $t->port;
	my $dec = h2_frontd($t, <<"EOF");
[global]
error_page = 403 $page

[listener walled]
address = 127.0.0.1:$wp
http2 = on
deny = all

[upstream app]
server = $be->{addr}

[route admin]
path = /admin
allow = 10.0.0.0/8
deny = all
upstream = app

[route all]
upstream = app
EOF
	my $c = h2c($t, $dec);
	my $s = $c->wait($c->send('/admin/x'), 5);
	is($s->{status}, 403, 'route rules: 403 for 127.0.0.1 over HTTP/2')
	    or diag(shown($s));
	is($s->{body}, "<p>not for you, h2</p>\n", 'the error page');
	like($s->{field}{'content-type'} // '', qr{^text/html}, 'as text/html');
	ok($s->{done}, 'the stream ended');
	ok(!defined $s->{rst}, 'without a reset');
	$s = $c->wait($c->send('/open'), 5);
	is($s->{status}, 200, 'the next stream on the connection: 200');
	is($s->{body}, "open\n", 'from the backend');
	ok($c->alive, 'the connection lives on');
	my $seen = () = $t->received($be) =~ m{^GET /admin}mg;
	is($seen, 0, 'the refused request reached no backend');

	my $w = Test::FrontdH2Fields->connect($t, $dec, port => $wp);
	ok($w, 'an HTTP/2 connection to the listener that denies all')
	    or return;
	$s = $w->wait($w->send('/open'), 5);
	is($s->{status}, 403, 'listener rules: 403 over HTTP/2')
	    or diag(shown($s));
	is($s->{body}, "<p>not for you, h2</p>\n", 'the error page');
	$s = $w->wait($w->send('/open/2'), 5);
	is($s->{status}, 403, 'and again on a second stream');
	ok($w->alive, 'that connection lives on too');
	my @l = grep { /403: refused by / } split /\n/, $t->error_log;
	is(scalar @l, 3, 'three refusals in the error log') or diag(@l);
	$_->close for $c, $w;
	$t->check_logs;
};

subtest 'compression: Brotli over HTTP/2, with Vary' => sub {
	my $t = Test::Frontd->new;
	my $text = join '',
	    map { "line $_ of a text that compresses\n" } 1 .. 200;
	my $be = $t->raw_backend(body => $text,
	    headers => [ 'Content-Type' => 'text/plain' ]);
	my $dec = h2_frontd($t, "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\ncompress = br\n");
	my $br = Test::FrontdBrotli->new($t);
	my $c = h2c($t, $dec);
	my $s = $c->wait($c->send('/text',
	    fields => [ 'accept-encoding' => 'gzip, br' ]), 5);
	is($s->{status}, 200, 'accept-encoding: gzip, br: 200')
	    or diag(shown($s));
	is($s->{field}{'content-encoding'}, 'br', 'content-encoding: br');
	like($s->{field}{vary} // '', qr/\baccept-encoding\b/i,
	    'vary names accept-encoding');
	my $cl = $s->{field}{'content-length'};
	ok(!defined $cl || $cl == length $s->{body},
	    'no content-length of the uncompressed body');
	cmp_ok(length $s->{body}, '<', length($text) / 4,
	    'the body is smaller');
	SKIP: {
		skip 'no Brotli decoder', 2 unless $br->name;
		my ($out, $complete) = $br->decode($s->{body});
		ok($complete, 'a whole Brotli stream (' . $br->name . ')');
		ok($out eq $text, 'that decodes to the backend\'s text');
	}
	$s = $c->wait($c->send('/text'), 5);
	is($s->{status}, 200, 'without accept-encoding: 200');
	ok(!exists $s->{field}{'content-encoding'}, 'not compressed');
	ok($s->{body} eq $text, 'the text as it is');

	SKIP: {
		skip $WHY{curl}, 3 if $WHY{curl};
		my $f = $t->dir . '/curl.body';
		my ($code, $out, $err) = h2_run($t, { timeout => 10 }, 'curl',
		    '-sS', '--max-time', 5, '--noproxy', '*',
		    '--http2-prior-knowledge', '-H', 'Accept-Encoding: br',
		    '--compressed', '-D', '-', '-o', $f,
		    "http://127.0.0.1:$t->{port}/curl");
		is($code, 0, 'curl --compressed --http2-prior-knowledge')
		    or diag($err);
		like($out,
		    qr{\AHTTP/2 200 ?\r\n(?:.*\r\n)*content-encoding: br\r\n}i,
		    'HTTP/2 200 with content-encoding: br') or diag($out);
		ok($t->slurp($f) eq $text, 'curl decodes it to the text');
	}
	$c->close;
	$t->check_logs;
};

subtest 'auth_basic over HTTP/2: 401 with the challenge, then 200' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub {
		my ($q) = @_;
		return 'auth=' . join(',',
		    @{ $q->{headers}{authorization} // [] }) . "\n";
	});
	my $file = $t->dir . '/htpasswd';
	$t->spew($file, 'alice:' . crypt('wonder land', '$6$h2saltsalt$')
	    . "\n");
	my $dec = h2_frontd($t, <<"EOF");
[upstream app]
server = $be->{addr}

[route private]
auth_basic = Private
auth_basic_file = $file
upstream = app
EOF
	my $c = h2c($t, $dec);
	my $s = $c->wait($c->send('/p'), 5);
	is($s->{status}, 401, 'no credentials: 401') or diag(shown($s));
	is($s->{field}{'www-authenticate'},
	    'Basic realm="Private", charset="UTF-8"', 'with the challenge');
	like($s->{body}, qr/401 Unauthorized/, 'and a small page');
	my $basic = sub { [ authorization => 'Basic '
	    . MIME::Base64::encode_base64($_[0], '') ] };
	$s = $c->wait($c->send('/p', fields => $basic->('alice:wrong')), 5);
	is($s->{status}, 401, 'a wrong password: 401');
	$s = $c->wait($c->send('/p',
	    fields => $basic->('alice:wonder land')), 5);
	is($s->{status}, 200, 'the right one: 200 on the same connection')
	    or diag(shown($s));
	is($s->{body}, "auth=\n", 'Authorization stays at frontd');
	like($t->access_log,
	    qr{^127\.0\.0\.1 - alice \[[^]]+\] "GET /p HTTP/2\.0" 200 }m,
	    'the access log names the user');
	unlike($t->access_log . $t->error_log, qr/wonder/,
	    'and never the password');
	ok($c->alive, 'the connection lives on');
	$c->close;
	$t->check_logs;
};

subtest 'a failing upstream: retries, then 502, the connection lives' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "second $_[0]{target}\n" });
	my ($r0, $r1, $r2) = ($t->port, $t->port, $t->port);	# nobody listens
	my $dec = h2_frontd($t, <<"EOF");
[upstream two]
server = 127.0.0.1:$r0
server = $be->{addr}

[upstream none]
server = 127.0.0.1:$r1
server = 127.0.0.1:$r2

[route none]
path = /none
upstream = none

[route two]
upstream = two
EOF
	my $c = h2c($t, $dec);
	my @ids = map { $c->send("/two/$_") } 1 .. 4;
	my $r = $c->wait(\@ids, 10);
	is(join(' ', map { $r->{$_}{status} // 'none' } @ids),
	    '200 200 200 200',
	    'four streams to a refused server and a good one: all 200')
	    or diag(join "\n", map { shown($r->{$_}) } @ids);
	is_deeply([ map { $r->{$_}{body} } @ids ],
	    [ map { "second /two/$_\n" } 1 .. 4 ], 'all from the second');
	my @tried = grep { /127\.0\.0\.1:$r0\b/ } split /\n/, $t->error_log;
	ok(@tried, "the refused server was tried first at least once")
	    or diag($t->error_log);

	my $s = $c->wait($c->send('/none'), 10);
	is($s->{status}, 502, 'no server left: 502') or diag(shown($s));
	like($s->{body}, qr/502 Bad Gateway/, "frontd's error page");
	ok($s->{done} && !defined $s->{rst}, 'the stream ended, not reset');
	ok($c->alive, 'the connection lives on');
	$s = $c->wait($c->send('/two/after'), 5);
	is($s->{status}, 200, 'the next stream: 200');
	is($s->{body}, "second /two/after\n", 'from the good server');
	ok(!$c->goaway, 'no GOAWAY');
	$c->close;
	$t->check_logs(allow => [ qr/127\.0\.0\.1:(?:$r0|$r1|$r2)\b/ ]);
};

subtest 'a slow reader holds up only its stream, until send_timeout' => sub {
	my $t = Test::Frontd->new;
	my $big = 4 * 1048576;
	my $be = $t->raw_backend(handler => sub {
		my ($c) = @_;
		while (my $q = $c->read_request) {
			if ($q->{target} eq '/big') {
				serve_pattern($c, $big) == $big or last;
			} else {
				$c->respond(200,
				    body => "small $q->{target}\n") or last;
			}
		}
	});
	my $dec = h2_frontd($t, "[global]\nsend_timeout = 1s\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	my $c = h2c($t, $dec);
	my $slow = $c->send('/big');
	$c->hold($slow);
	# Its window (65535 bytes) fills, and nothing more comes for it.
	my $s = $c->wait($slow, 5, until => sub {
		length $c->stream($slow)->{body} >= 65535 });
	is(length $s->{body}, 65535,
	    'the slow stream got its window, 65535 bytes')
	    or diag(shown($s));
	my $t0 = time;
	my $fast = $c->send('/small');
	my $f = $c->wait($fast, 5);
	my $took = time - $t0;
	is($f->{status}, 200, 'a second stream on the connection: 200')
	    or diag(shown($f));
	is($f->{body}, "small /small\n", 'its body');
	ok($took < 0.8, sprintf('at once (%.2f s), not after the slow one',
	    $took));
	ok(!$s->{done} && !defined $s->{rst}, 'the slow stream still open');

	$s = $c->wait($slow, 5);
	my $reset = time - $t0;
	ok(defined $s->{rst}, 'then the slow stream is reset: RST_STREAM '
	    . error_name($s->{rst} // -1)) or diag(shown($s));
	ok(!$s->{done}, 'and not ended as if whole');
	ok($reset > 0.7 && $reset < 3, sprintf('after send_timeout (%.2f s)',
	    $reset));
	ok($c->alive, 'the connection lives on');
	$f = $c->wait($c->send('/again'), 5);
	is($f->{status}, 200, 'and serves a new stream: 200');
	ok(!$c->goaway, 'no GOAWAY');
	my @l = grep { /send timeout/ } split /\n/, $t->error_log;
	ok(@l, 'the timeout in the error log') or diag($t->error_log);
	# The access log's bytes are those sent to the client (frontd.conf(5),
	# Access log format): here at most the window the client gave, 65535
	# bytes of DATA, and the head; what the reset dropped from the
	# stream's queue is not counted.
	my ($bytes) = $t->access_log =~ m{"GET /big HTTP/2\.0" \d+ (\d+) };
	cmp_ok($bytes // 0, '<=', 65535 + 1024, "the access log's "
	    . 'bytes of the reset stream: what was sent');
	$c->close;
	$t->check_logs;
};

subtest 'client_max_body_size over HTTP/2: 413, the connection lives' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub {
		my ($q) = @_;
		return "$q->{method} " . length($q->{body} // '') . "\n";
	});
	my $dec = h2_frontd($t, "[global]\nclient_max_body_size = 1K\n\n"
	    . "[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	my $c = h2c($t, $dec);
	my $id = $c->send('/len', method => 'POST', open => 1,
	    fields => [ 'content-length' => 5000 ]);
	my $s = $c->wait($id, 5, until => sub { $c->stream($id)->{status} });
	is($s->{status}, 413,
	    'content-length over the limit: 413 before the body')
	    or diag(shown($s));
	$s = $c->wait($id, 5);
	ok($s->{done} || defined $s->{rst}, 'the stream ends');
	# The client may still send what it had: it is dropped.
	$c->data($id, 'x' x 1000);
	ok($c->alive, 'the connection lives on');

	$id = $c->send('/chunks', method => 'POST', open => 1);
	$c->data($id, 'a' x 600);
	$c->data($id, 'b' x 600);
	$s = $c->wait($id, 5);
	is($s->{status}, 413, 'no content-length, the body past the limit: 413')
	    or diag(shown($s));
	ok($s->{done} || defined $s->{rst}, 'the stream ends');
	ok($c->alive, 'the connection lives on');

	$s = $c->wait($c->send('/small', method => 'POST',
	    body => 'z' x 1000), 5);
	is($s->{status}, 200, 'a body under the limit: 200') or diag(shown($s));
	is($s->{body}, "POST 1000\n", 'the backend got all of it');
	my $seen = () = $t->received($be) =~ m{^POST /len }mg;
	is($seen, 0, 'the request refused by its length reached no backend');
	# A body of no stated length streams (as over HTTP/1.1): its head
	# may have gone, never more than the limit nor its end.
	my ($up) = grep { m{\APOST /chunks } } $t->received_by_connection($be);
	ok(!defined $up || ($up !~ /\r\n0\r\n\r\n\z/
	    && length($up) - index($up, "\r\n\r\n") < 1024 + 64),
	    'the other: never more than the limit, never its end') or diag($up);
	ok(!$c->goaway, 'no GOAWAY');
	$c->close;
	$t->check_logs;
};

done_testing;
