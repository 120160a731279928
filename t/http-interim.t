# Interim (1xx) responses of the upstream (RFC 9110 15.2): a 103 Early
# Hints reaches an HTTP/1.1 client before the final response is made, 102
# and several 103 arrive in order, hop-by-hop fields are dropped, the
# final head never holds an interim one's fields, an HTTP/1.0 client gets
# none, the cache stores none, a 100 goes to the client only once, an
# interim response in the middle of an upload does not stop it, and the
# number passed on is bounded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time sleep);

my $H = "Host: test.example\r\n";
my $HINT = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
my $BIG = 'b' x (2 * 1048576);

my $t = Test::Frontd->new;
my $dir = $t->dir;

# Waits (at most 5 s) for the test to create the file go-NAME.
sub wait_go {
	my ($name) = @_;
	my $until = time + 5;
	sleep 0.01 until -e "$dir/go-$name" || time > $until;
}

# The path says what comes before the final 200 ("final" in X-Final):
#   /hints/NAME   a 103, then the 200 once go-NAME exists
#   /multi        102, 103, 103 (each with its own Link)
#   /hop          a 103 with hop-by-hop fields and one Connection names
#   /flood        20 of 103
#   /c/...        a 103, then a 200 with max-age=60 (cached)
#   /continue     a 100 Continue at once, then the body is read
#   /upload/NAME  a 103 after the head, then the body is read; the 200
#                 has the body's md5
#   /big          a 103, then 2 MB
sub handler {
	my ($c) = @_;
	while (my $head = $c->read_head) {
		my ($p) = $head =~ m{\A\S+ (\S+)};
		my ($cl) = $head =~ /^Content-Length: *(\d+)/mi;
		my $body = 'final';
		if ($p =~ m{^/hints/(\w+)}) {
			$c->write($HINT) or last;
			wait_go($1);
		} elsif ($p eq '/multi') {
			$c->write("HTTP/1.1 102 Processing\r\n\r\n"
			    . "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
			    . "HTTP/1.1 103 Early Hints\r\nLink: </b.js>; rel=preload\r\n\r\n")
			    or last;
		} elsif ($p eq '/hop') {
			$c->write("HTTP/1.1 103 Early Hints\r\nConnection: X-Hop\r\n"
			    . "X-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
			    . "Link: </style.css>; rel=preload\r\n\r\n") or last;
		} elsif ($p eq '/flood') {
			$c->write(join '', map { "HTTP/1.1 103 Early Hints\r\n"
			    . "Link: </$_.css>; rel=preload\r\n\r\n" } 1 .. 20)
			    or last;
		} elsif ($p =~ m{^/c/}) {
			$c->write($HINT) or last;
		} elsif ($p eq '/continue') {
			$c->write("HTTP/1.1 100 Continue\r\n\r\n") or last;
		} elsif ($p =~ m{^/upload/}) {
			$c->write($HINT) or last;
		} elsif ($p eq '/big') {
			$c->write($HINT) or last;
			$body = $BIG;
		}
		if ($cl || $head =~ /^Transfer-Encoding: *chunked/mi) {
			my $got = $cl ? $c->read_bytes($cl)
			    : (Test::Frontd::_chunked_extent($c->read_chunked_raw))[1];
			$body = 'md5=' . md5_hex($got) . ' len=' . length $got;
		}
		my @cc = $p =~ m{^/c/} ? ('Cache-Control' => 'max-age=60') : ();
		$c->respond(200, headers => [ 'Content-Type' => 'text/plain',
		    'X-Final' => 1, @cc ], body => $body) or last;
	}
}

my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[global]
cache_size = 1M

[upstream app]
server = $be->{addr}
upstream_read_timeout = 3s
upstream_header_timeout = 3s

[route cached]
path = /c/
upstream = app
cache = on

[route all]
upstream = app
EOF

sub fields_of {
	my ($r, $name) = @_;
	return @{ $r->{headers}{ lc $name } // [] };
}

subtest 'a 103 reaches an HTTP/1.1 client before the final response' => sub {
	my $c = $t->raw_client;
	$c->write("GET /hints/one HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my $r = $c->read_response;
	ok($r, 'a response arrives while the backend holds the final one')
	    or return;
	is($r->{status}, 103, 'it is the 103');
	is($r->{reason}, 'Early Hints', 'with its reason');
	is_deeply([ fields_of($r, 'link') ], [ '</style.css>; rel=preload' ],
	    'and its Link');
	$t->spew("$dir/go-one", '');
	$r = $c->read_response // {};
	is($r->{status}, 200, 'then the 200');
	is($r->{body}, 'final', 'with its body');
	is_deeply([ fields_of($r, 'link') ], [], 'the 200 has no Link');
	is_deeply([ fields_of($r, 'x-final') ], [ 1 ], 'but its own fields');
	$c->close;
};

subtest '102 and two 103 in order, then the 200' => sub {
	my ($out) = $t->raw_request("GET /multi HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 102, 103, 103, 200 ],
	    'four responses in order') or diag($out);
	is_deeply([ fields_of($r[1], 'link') ], [ '</a.css>; rel=preload' ],
	    'the first 103 has its Link');
	is_deeply([ fields_of($r[2], 'link') ], [ '</b.js>; rel=preload' ],
	    'the second its own');
	is_deeply([ fields_of($r[3], 'link') ], [], 'the 200 none');
	is($r[3]{body}, 'final', 'the body');
};

subtest 'hop-by-hop fields of a 103 are dropped' => sub {
	my ($out) = $t->raw_request("GET /hop HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @r = parse_responses($out);
	is($r[0]{status}, 103, 'a 103') or diag($out);
	is_deeply([ fields_of($r[0], 'link') ], [ '</style.css>; rel=preload' ],
	    'Link is kept');
	is_deeply([ map { fields_of($r[0], $_) } qw(connection keep-alive x-hop) ],
	    [], 'Connection, Keep-Alive and what Connection names are not');
	like($r[0]{head}, qr{\AHTTP/1\.1 103 Early Hints\r\n.*\r\nVia: 1\.1 frontd\r\n\r\n\z}s,
	    'Via is added');
	is($r[-1]{status}, 200, 'then the 200');
};

subtest 'an HTTP/1.0 client gets no interim response' => sub {
	my ($out) = $t->raw_request("GET /multi HTTP/1.0\r\n$H\r\n");
	my @r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 200 ], 'only the 200')
	    or diag($out);
	is($r[0]{body}, 'final', 'with its body');
};

subtest 'at most 16 interim responses are passed on' => sub {
	my ($out) = $t->raw_request("GET /flood HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @r = parse_responses($out);
	is(scalar(grep { $_->{status} == 103 } @r), 16, '16 of the 20 103')
	    or diag($out);
	is($r[-1]{status}, 200, 'then the 200');
	is($r[-1]{body}, 'final', 'whole');
};

subtest 'keep-alive: the next request after a 103 is served' => sub {
	my $c = $t->raw_client;
	$t->spew("$dir/go-ka", '');
	$c->write("GET /hints/ka HTTP/1.1\r\n$H\r\n");
	my @s = map { ($c->read_response // {})->{status} // 0 } 1 .. 2;
	$c->write("GET /multi HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	push @s, map { ($c->read_response // {})->{status} // 0 } 1 .. 4;
	is_deeply(\@s, [ 103, 200, 102, 103, 103, 200 ],
	    'both requests with their interim responses');
	$c->close;
};

subtest 'the cache stores the final response, not the 103' => sub {
	my ($out) = $t->raw_request("GET /c/x HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 103, 200 ], 'the miss: 103, 200')
	    or diag($out);
	is_deeply([ fields_of($r[1], 'link') ], [], 'the 200 has no Link');
	($out) = $t->raw_request("GET /c/x HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	@r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 200 ], 'the hit: only the 200')
	    or diag($out);
	like(join(',', fields_of($r[0], 'cache-status')), qr/frontd; hit/, 'a hit');
	is_deeply([ fields_of($r[0], 'link') ], [], 'without Link');
	is($r[0]{body}, 'final', 'the stored body');
};

subtest 'Expect: 100-continue: one 100 only' => sub {
	my $c = $t->raw_client;
	$c->write("POST /continue HTTP/1.1\r\n${H}Connection: close\r\n"
	    . "Expect: 100-continue\r\nContent-Length: 11\r\n\r\n");
	my $r = $c->read_response // {};
	is($r->{status}, 100, 'frontd answers 100 Continue');
	$c->write('hello world');
	ok($c->wait_closed(5), 'the response ends');
	my @r = parse_responses($c->buffer);
	is_deeply([ map { $_->{status} } @r ], [ 200 ],
	    'then the 200, not the server\'s 100') or diag($c->buffer);
	is($r[0]{body}, 'md5=' . md5_hex('hello world') . ' len=11',
	    'the body reached the backend');
	$c->close;

	# No Expect: the server's 100 is not for the client either.
	my ($out) = $t->raw_request("POST /continue HTTP/1.1\r\n${H}"
	    . "Connection: close\r\nContent-Length: 3\r\n\r\nabc");
	@r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 200 ], 'without Expect: the 200 only')
	    or diag($out);
};

subtest 'a 103 in the middle of an upload: the upload goes on' => sub {
	my $half = 'u' x 5000;
	my $c = $t->raw_client;
	$c->write("POST /upload/a HTTP/1.1\r\n${H}Connection: close\r\n"
	    . "Content-Length: 10000\r\n\r\n$half");
	my $r = $c->read_response;
	is($r && $r->{status}, 103, 'the 103 arrives before the body is all sent');
	$c->write($half);
	$r = $c->read_response // {};
	is($r->{status}, 200, 'then the 200');
	is($r->{body}, 'md5=' . md5_hex($half x 2) . ' len=10000',
	    'the whole body reached the backend');
	$c->close;

	# Chunked, with the client's own Expect: 100-continue besides.
	$c = $t->raw_client;
	$c->write("POST /upload/b HTTP/1.1\r\n${H}Connection: close\r\n"
	    . "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
	    . "5\r\nhello\r\n");
	my @s = map { ($c->read_response // {})->{status} // 0 } 1 .. 2;
	is_deeply(\@s, [ 100, 103 ], 'our 100, then the server\'s 103');
	$c->write("6\r\n world\r\n0\r\n\r\n");
	$r = $c->read_response // {};
	is($r->{status}, 200, 'then the 200');
	is($r->{body}, 'md5=' . md5_hex('hello world') . ' len=11',
	    'the whole body reached the backend (re-framed)');
	$c->close;
};

subtest 'a slow client gets the 103 and the final response in order' => sub {
	# A large response first, pipelined: its last bytes fill the socket
	# when the 103 of the second is written.
	my $c = $t->raw_client;
	$c->write("GET /big HTTP/1.1\r\n$H\r\nGET /big HTTP/1.1\r\n${H}"
	    . "Connection: close\r\n\r\n");
	sleep 0.3;
	my $until = time + 10;
	while (!$c->closed && time < $until) {
		$c->fill(1);
		sleep 0.001;
	}
	my @r = parse_responses($c->buffer);
	is_deeply([ map { $_->{status} } @r ], [ 103, 200, 103, 200 ],
	    'both requests, each 103 before its 200');
	ok(@r == 4 && $r[1]{body} eq $BIG && $r[3]{body} eq $BIG,
	    'both bodies whole');
	$c->close;
};

subtest 'the upstream times out after a 103: 504 after it' => sub {
	# The go file never appears for this one: the read timeout ends it.
	my ($out) = $t->raw_request("GET /hints/never HTTP/1.1\r\n${H}"
	    . "Connection: close\r\n\r\n", timeout => 8);
	my @r = parse_responses($out);
	is_deeply([ map { $_->{status} } @r ], [ 103, 504 ],
	    'the 103, then frontd\'s 504') or diag($out);
};

$t->check_logs;
done_testing;
