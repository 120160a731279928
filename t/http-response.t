# What frontd adds to a forwarded response (RFC 9110): Via after the
# upstream's own (via = off: none, in either direction), and Date where
# the upstream sent none (from the cache: the time it was received).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Time::HiRes qw(sleep);
use Time::Local qw(timegm);
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;

# /nodate: no Date; /via: the upstream's own Via; the request's Via is
# echoed in X-Req-Via.
my $be = $t->raw_backend(handler => sub {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my @h = ('X-Req-Via' => join(',', @{ $q->{headers}{via} // [] }),
		    'Cache-Control' => 'max-age=60');
		push @h, Via => '1.1 origin-lb' if $q->{target} =~ /via/;
		my $head = "HTTP/1.1 200 OK\r\n";
		$head .= "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		    unless $q->{target} =~ /nodate/;
		$head .= "$h[$_ * 2]: $h[$_ * 2 + 1]\r\n" for 0 .. $#h / 2;
		$c->write("${head}Content-Length: 3\r\n\r\nok\n") or last;
	}
});

$t->start(<<"EOF");
[global]
cache_size = 1M

[upstream app]
server = $be->{addr}

[route quiet]
path = /quiet/
upstream = app
via = off

[route cached]
path = /cached/
upstream = app
cache = on

[route all]
upstream = app
EOF

sub fields {
	my ($r, $name) = @_;
	my ($head) = $r =~ /\A(.*?)\r\n\r\n/s;
	return $head =~ /^\Q$name\E: ([^\r]*)\r$/mgi;
}

sub ask { $t->raw_request("GET $_[0] HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") }

my $r = ask('/via');
is_deeply([ fields($r, 'Via') ], [ '1.1 origin-lb', '1.1 frontd' ],
    'Via: the upstream\'s first, then ours');
is_deeply([ fields($r, 'X-Req-Via') ], [ '1.1 frontd' ], 'and the request has ours');
$r = ask('/plain');
is_deeply([ fields($r, 'Via') ], [ '1.1 frontd' ], 'a response without Via gets ours');
is_deeply([ fields($r, 'Date') ], [ 'Sun, 06 Nov 1994 08:49:37 GMT' ],
    'the upstream\'s Date is kept');

$r = ask('/quiet/via');
is_deeply([ fields($r, 'Via') ], [ '1.1 origin-lb' ], 'via = off: only the upstream\'s');
is_deeply([ fields($r, 'X-Req-Via') ], [ '' ], 'and none on the request');

$r = ask('/nodate');
my @d = fields($r, 'Date');
is(scalar @d, 1, 'a response without Date gets one');
my %mon; @mon{qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)} = 0 .. 11;
my $when = ($d[0] // '') =~ /^\w\w\w, (\d\d) (\w\w\w) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\z/
    ? timegm($6, $5, $4, $1, $mon{$2}, $3) : undef;
ok($when && abs($when - time) < 5, "now ($d[0])");

$r = ask('/cached/nodate');
like($r, qr/Cache-Status: [^\r]*stored/, 'stored in the cache');
my ($first) = fields($r, 'Date');
sleep 1.2;
$r = ask('/cached/nodate');
like($r, qr/Cache-Status: [^\r]*hit/, 'then a hit');
is_deeply([ fields($r, 'Date') ], [ $first ],
    'with the Date of when it was received, not of now');
like($r, qr/^Age: [1-9]/m, 'and its Age');

done_testing;
