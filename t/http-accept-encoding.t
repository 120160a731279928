# Accept-Encoding is read one way by compression and by the cache (RFC
# 9110 12.5.3): a field on several lines is one list, a coding named twice
# gets its last weight, the weight is the first q parameter, and a weight
# that reads as 0 ("0.0001") refuses. Seen from the outside: the coding a
# compressing route picks, and the variant a cached Vary: Accept-Encoding
# response is served from, with a backend that reads the header the same
# way and answers zstd (not real zstd: frontd only passes it on) to a
# client that takes it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses text_words);

my $HOST = 'ae.example';
my $TEXT = text_words(8000, 3);

# The weight of a coding in a request's Accept-Encoding, or undef when it
# is not named, as RFC 9110 reads it (see the top of the file).
sub weight {
	my ($q, $coding) = @_;
	my $w;
	for my $el (map { split /,/, $_, -1 }
	    @{ $q->{headers}{'accept-encoding'} // [] }) {
		my ($name, @p) = split /;/, $el, -1;
		$name =~ s/^[ \t]+|[ \t]+\z//g;
		next unless lc $name eq $coding;
		$w = 1;
		for (@p) {
			next unless /^[ \t]*q=(.*)\z/is;
			my $v = $1;
			$w = $v =~ /^(0(?:\.[0-9]{0,3})?)/ ? $1 + 0 : 1;
			last;
		}
	}
	return $w;
}

# /z/...: the text, for frontd to compress.  /v/...: Vary:
# Accept-Encoding, cacheable, zstd to a client whose weight for it is
# above 0; X-Version tells each answer of the backend apart.
sub handler {
	my ($c) = @_;
	my $i = 0;
	while (my $q = $c->read_request) {
		$i++;
		my @h = ('Content-Type' => 'text/plain',
		    'X-Version' => $c->n . ".$i");
		my $body = $TEXT;
		if ($q->{target} =~ m{^/v/}) {
			push @h, 'Cache-Control' => 'max-age=60',
			    Vary => 'Accept-Encoding';
			$body = "$q->{target} identity\n";
			my $w = weight($q, 'zstd');
			if (defined $w && $w > 0) {
				push @h, 'Content-Encoding' => 'zstd';
				$body = "zstd:$q->{target}\n";
			}
		}
		$c->respond(200, headers => \@h, body => $body) or last;
	}
}

my $t = Test::Frontd->new;
my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[global]
cache_size = 16M

[upstream app]
server = $be->{addr}

[route z]
path = /z/
upstream = app
compress = gzip br

[route v]
path = /v/
upstream = app
cache = on
EOF

# A GET with these Accept-Encoding lines, on its own connection.
sub get {
	my ($target, @ae) = @_;
	my $r = "GET $target HTTP/1.1\r\nHost: $HOST\r\n";
	$r .= "Accept-Encoding: $_\r\n" for @ae;
	$r .= "Connection: close\r\n\r\n";
	my ($out) = $t->raw_request($r, timeout => 10);
	my ($resp) = parse_responses($out, methods => ['GET']);
	return $resp // { status => 0, headers => {}, body => '' };
}

sub hv {
	my ($r, $name) = @_;
	my $v = $r->{headers}{ lc $name } or return undef;
	return join ', ', @$v;
}

sub show { join ' + ', map { "\"$_\"" } @_ }

subtest 'compression: the coding picked' => sub {
	my @cases = (
	    # the first q parameter is the weight
	    [ [ 'gzip;foo;q=0' ], undef ],
	    [ [ 'br;level=5;q=0, gzip;q=0.5' ], 'gzip' ],
	    [ [ 'gzip;q=1;q=0' ], 'gzip' ],
	    # a coding named twice: its last weight
	    [ [ 'gzip, gzip;q=0' ], undef ],
	    [ [ 'x-gzip;q=0, x-gzip' ], 'gzip' ],
	    # several lines are one list
	    [ [ 'gzip', 'identity' ], 'gzip' ],
	    [ [ 'br', 'gzip' ], 'br' ],
	    [ [ 'gzip', 'gzip;q=0' ], undef ],
	    [ [ 'br;q=0.5', 'gzip' ], 'gzip' ],
	    # a weight that reads as 0
	    [ [ 'gzip;q=0.0001' ], undef ],
	);
	for my $c (@cases) {
		my ($ae, $want) = @$c;
		my $r = get('/z/text', @$ae);
		is($r->{status}, 200, show(@$ae) . ': 200');
		is(hv($r, 'content-encoding'), $want, show(@$ae) . ' -> '
		    . ($want // 'identity'));
	}
};

# Cache-Status of a response.
sub cs { hv($_[0], 'cache-status') // '' }

subtest 'the cache: a variant per set of codings compression reads' => sub {
	my $u = '/v/a';
	my $z1 = get($u, 'zstd');
	is(hv($z1, 'content-encoding'), 'zstd', '"zstd": the zstd answer');
	like(cs($z1), qr/\bstored\b/, '"zstd": stored (' . cs($z1) . ')');

	# A coding named twice: its last weight.
	my $r = get($u, 'zstd, zstd;q=0');
	is(hv($r, 'content-encoding'), undef,
	    '"zstd, zstd;q=0": not the zstd variant');
	like(cs($r), qr/fwd=vary-miss/, '"zstd, zstd;q=0": a variant of its own');

	# A weight that reads as 0.
	$r = get($u, 'zstd;q=0.0001');
	is(hv($r, 'content-encoding'), undef,
	    '"zstd;q=0.0001": not the zstd variant');
	like(cs($r), qr/\bhit\b/, '"zstd;q=0.0001": the variant of no coding');

	# Several lines: one list.
	$r = get($u, 'zstd', 'zstd;q=0');
	is(hv($r, 'content-encoding'), undef,
	    '"zstd" + "zstd;q=0": not the zstd variant');
	like(cs($r), qr/\bhit\b/, '"zstd" + "zstd;q=0": the variant of no coding');
	my $gz = get($u, 'gzip, zstd');
	is(hv($gz, 'content-encoding'), 'zstd', '"gzip, zstd": zstd');
	$r = get($u, 'gzip', 'zstd');
	like(cs($r), qr/\bhit\b/, '"gzip" + "zstd": a hit');
	is(hv($r, 'x-version'), hv($gz, 'x-version'),
	    '"gzip" + "zstd": the variant of "gzip, zstd"');

	# Same set, other spellings: one variant.
	$r = get($u, ' ZSTD ;q=0.5 ');
	like(cs($r), qr/\bhit\b/, '" ZSTD ;q=0.5 ": a hit');
	is(hv($r, 'x-version'), hv($z1, 'x-version'),
	    '" ZSTD ;q=0.5 ": the variant of "zstd"');
};

subtest 'the cache: more codings than it keeps are never merged' => sub {
	my $u = '/v/many';
	my $others = join ', ', map { sprintf 'c%02d', $_ } 1 .. 16;
	my $r = get($u, "$others, zstd");
	is(hv($r, 'content-encoding'), 'zstd', '17 unknown codings: zstd');
	unlike(cs($r), qr/\bstored\b/, '17 unknown codings: not stored ('
	    . cs($r) . ')');
	$r = get($u, $others);
	is(hv($r, 'content-encoding'), undef,
	    'the 16 first alone: not the zstd answer');
	like(cs($r), qr/\bstored\b/, 'the 16 first alone: stored');
	$r = get($u, "$others, zstd");
	is(hv($r, 'content-encoding'), 'zstd', '17 again: zstd, from the backend');
	unlike(cs($r), qr/\bhit\b/, '17 again: not a hit');
};

$t->check_logs;
done_testing;
