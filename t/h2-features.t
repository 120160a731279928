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
	$g = "[global]\n$1" if $text =~ s/\A\[global\]\n((?:[^\[\n][^\n]*\n)*)//;
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
			$c->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    . "Transfer-Encoding: chunked\r\n"
			    . "Trailer: X-Checksum, grpc-status\r\n\r\n"
			    . "6\r\nhello \r\n5\r\nworld\r\n0\r\n"
			    . "X-Checksum: abc\r\ngrpc-status: 0\r\n"
			    . "Grpc-Message: all good\r\nKeep-Alive: timeout=5\r\n\r\n") or last;
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
	is_deeply([ grep { /[A-Z]/ || /^:/ } map { $_->[0] } @{ $s->{trailers} } ],
	    [], 'every trailer name in lower case, no pseudo-header field');
	# The backend's Keep-Alive trailer is a field of the connection.
	ok(!grep({ $_->[0] =~ /^(?:connection|keep-alive|transfer-encoding|te|
	    upgrade|proxy-connection)\z/x } @{ $s->{fields} },
	    @{ $s->{trailers} }), 'no field of the connection in head or trailers')
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
	ok($took < 3, sprintf 'all answered in %.2f s (the backend takes 0.3 s)',
	    $took);
	$_->close for $a, $b;
	$t->check_logs;
};

done_testing;
