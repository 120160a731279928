# A 304 carries the ETag and Vary of the 200 it stands for (RFC 9110
# 15.4.5) on a route that compresses: the weak ETag of a compressed body
# and Vary: Accept-Encoding, whether the 304 comes from the cache or from
# the upstream server; a client that takes no coding keeps the strong
# ETag; a route that does not compress leaves the 304 alone.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses text_words);

my $TEXT = text_words(4000, 1);

# A compressible page with ETag "x". An If-None-Match that lists x (weak
# or strong) gets a 304 with that ETag and no Content-Type, or with one
# for ?ct=1. The path sets Cache-Control: /reval/ no-cache (revalidated
# at each use), others max-age=60.
sub handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my $inm = join ',', @{ $q->{headers}{'if-none-match'} // [] };
		my @cc = ('Cache-Control' => $q->{target} =~ m{/reval}
		    ? 'no-cache' : 'max-age=60');
		if ($inm =~ /(?:^|[ ,])(?:W\/)?"x"/) {
			$c->respond(304, headers => [ ETag => '"x"', @cc,
			    $q->{target} =~ /ct=1/ ? ('Content-Type' =>
			    'text/html') : () ]) or last;
			next;
		}
		$c->respond(200, body => $TEXT, head => $q->{method} eq 'HEAD',
		    headers => [ 'Content-Type' => 'text/html', ETag => '"x"',
		    @cc ]) or last;
	}
}

my $t = Test::Frontd->new;
my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[global]
cache_size = 1M

[upstream app]
server = $be->{addr}

[route plain]
path = /p/
upstream = app

[route cached]
path = /c/
upstream = app
compress = gzip br
cache = on

[route all]
upstream = app
compress = gzip br
EOF

# GET path with these header lines: the response, parsed.
sub get {
	my ($path, @h) = @_;
	my ($out) = $t->raw_request("GET $path HTTP/1.1\r\nHost: t\r\n"
	    . join('', map { "$_\r\n" } @h) . "Connection: close\r\n\r\n");
	my ($r) = parse_responses($out);
	return $r // { status => 0, headers => {}, head => $out };
}

sub hv {
	my ($r, $name) = @_;
	my $v = $r->{headers}{ lc $name };
	return $v ? join(', ', @$v) : undef;
}

sub varies {
	my ($r) = @_;
	return (grep { /accept-encoding/i } @{ $r->{headers}{vary} // [] })
	    ? 1 : 0;
}

# status, ETag, whether it varies on Accept-Encoding, Content-Encoding.
sub is_resp {
	my ($r, $status, $etag, $vary, $ce, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is_deeply([ $r->{status}, hv($r, 'etag'), varies($r),
	    hv($r, 'content-encoding') ], [ $status, $etag, $vary, $ce ], $name)
	    or diag($r->{head});
}

subtest 'no cache: the 304 of the origin for a compressed body' => sub {
	my $r = get('/page', 'Accept-Encoding: br');
	is_resp($r, 200, 'W/"x"', 1, 'br', 'the 200: br, weak ETag, Vary');
	$r = get('/page', 'Accept-Encoding: br', 'If-None-Match: W/"x"');
	is_resp($r, 304, 'W/"x"', 1, undef,
	    'the 304 for it: the weak ETag and Vary');
	$r = get('/page', 'Accept-Encoding: gzip', 'If-None-Match: "y", W/"x"');
	is_resp($r, 304, 'W/"x"', 1, undef, 'W/"x" second in a list');
	my ($q) = grep { $_->{target} eq '/page' && $_->{headers}{'if-none-match'} }
	    $t->received_requests($be);
	is(hv($q, 'if-none-match'), 'W/"x"',
	    'the origin got the client\'s If-None-Match as it was');
};

subtest 'no cache: an identity client keeps the strong ETag' => sub {
	my $r = get('/page');
	is_resp($r, 200, '"x"', 1, undef, 'the 200: plain, strong ETag, Vary');
	$r = get('/page', 'If-None-Match: "x"');
	is_resp($r, 304, '"x"', 0, undef, 'the 304: strong ETag');
	$r = get('/page?ct=1', 'If-None-Match: "x"');
	is_resp($r, 304, '"x"', 1, undef,
	    'a 304 with a type frontd compresses: strong ETag, Vary');
	$r = get('/page', 'Accept-Encoding: br', 'If-None-Match: "x"');
	is_resp($r, 304, '"x"', 0, undef,
	    'asked with the strong ETag: it stays strong');
};

subtest 'cache: the 304 from the cache for a compressed body' => sub {
	my $r = get('/c/page', 'Accept-Encoding: br');
	is_resp($r, 200, 'W/"x"', 1, 'br', 'the miss: br, weak ETag, Vary');
	$r = get('/c/page', 'Accept-Encoding: br', 'If-None-Match: W/"x"');
	is_resp($r, 304, 'W/"x"', 1, undef, 'the 304: the weak ETag and Vary');
	like(hv($r, 'cache-status') // '', qr/frontd; hit/, 'from the cache');
	$r = get('/c/page', 'Accept-Encoding: gzip', 'If-None-Match: W/"x"');
	is_resp($r, 304, 'W/"x"', 1, undef, 'a gzip client: the same');
	$r = get('/c/page', 'If-None-Match: "x"');
	is_resp($r, 304, '"x"', 1, undef,
	    'an identity client: strong ETag, Vary');
	$r = get('/c/page', 'Accept-Encoding: br');
	is_resp($r, 200, 'W/"x"', 1, 'br', 'and the 200 it stands for');
	is(scalar(grep { $_->{target} eq '/c/page' } $t->received_requests($be)),
	    1, 'the origin was asked once');
};

subtest 'cache: revalidated each time, the 304 of the origin refreshes it' => sub {
	my $r = get('/c/reval', 'Accept-Encoding: br');
	is_resp($r, 200, 'W/"x"', 1, 'br', 'the miss');
	$r = get('/c/reval', 'Accept-Encoding: br', 'If-None-Match: W/"x"');
	is_resp($r, 304, 'W/"x"', 1, undef, 'the 304: the weak ETag and Vary');
	like(hv($r, 'cache-status') // '', qr/fwd-status=304/,
	    'after a 304 from the origin');
};

subtest 'a route without compress leaves the 304 alone' => sub {
	my $r = get('/p/page', 'Accept-Encoding: br', 'If-None-Match: W/"x"');
	is_resp($r, 304, '"x"', 0, undef, 'the origin\'s strong ETag, no Vary');
};

$t->check_logs;
done_testing;
