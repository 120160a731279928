# Accept-Encoding as RFC 9110 12.5.3 reads it: a field on several lines is
# one list, a coding named twice gets its last weight, the weight is the
# first q parameter, and a weight that reads as 0 ("0.0001") refuses.
# Seen from the outside: the coding a compressing route picks.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses text_words);

my $HOST = 'ae.example';
my $TEXT = text_words(8000, 3);

# /z/...: the text, for frontd to compress.
sub handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		$c->respond(200, headers => [ 'Content-Type' => 'text/plain' ],
		    body => $TEXT) or last;
	}
}

my $t = Test::Frontd->new;
my $be = $t->raw_backend(handler => \&handler);
$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route z]
path = /z/
upstream = app
compress = gzip br
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

$t->check_logs;
done_testing;
