# Cache poisoning through the host: whatever frontd forwards as Host and
# X-Forwarded-Host is the normalized host that the default cache key
# ($scheme://$authority$request_uri) holds, so a client that writes the
# host another way (a port, upper case, a trailing dot, an absolute-form
# target with a different Host header, its own X-Forwarded-Host) cannot
# store a response that a later client with the plain host gets.  The
# backend echoes the Host and X-Forwarded-Host it saw in a cacheable body.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;

my $be = $t->raw_backend(handler => sub {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my $host = join ',', @{ $q->{headers}{host} // [] };
		my $xfh = join ',', @{ $q->{headers}{'x-forwarded-host'} // [] };
		$c->respond(200, body => "host=$host xfh=$xfh\n",
		    headers => [ 'Cache-Control' => 'max-age=60' ]) or last;
	}
});

$t->start(<<"EOF");
[global]
cache_size = 4M

[upstream app]
server = $be->{addr}

[route all]
upstream = app
cache = on
EOF

# One request on its own connection: (status, body, Cache-Status).
sub ask {
	my ($head) = @_;
	my $raw = $t->raw_request($head . "Connection: close\r\n\r\n");
	my ($status) = $raw =~ m{^HTTP/1\.1 (\d+)};
	my ($cs) = $raw =~ /^Cache-Status: ([^\r]*)\r$/mi;
	my ($body) = $raw =~ /\r\n\r\n(.*)\z/s;
	return ($status // 0, $body // '', $cs // '');
}

sub seen { my @r = $t->received_requests($be); return scalar @r }

subtest 'a port in Host is forwarded and keyed alike' => sub {
	my ($st, $body, $cs) = ask("GET /port HTTP/1.1\r\nHost: site.test:1337\r\n");
	is($st, 200, 'the probe is answered');
	is($body, "host=site.test:1337 xfh=site.test:1337\n",
	    'the backend saw the port the client wrote, in Host and X-Forwarded-Host');
	like($cs, qr/stored/, 'and the response was stored');
	($st, $body, $cs) = ask("GET /port HTTP/1.1\r\nHost: site.test\r\n");
	is($body, "host=site.test xfh=site.test\n",
	    'a client without the port never gets the response made for :1337');
	like($cs, qr/fwd=/, 'it is a miss of its own key');
	($st, $body, $cs) = ask("GET /port HTTP/1.1\r\nHost: site.test:1337\r\n");
	like($cs, qr/hit/, 'the :1337 entry is still there, under its own key');
};

subtest 'case, a final dot and the default port are one host' => sub {
	my $before = seen();
	my ($st, $body, $cs) = ask("GET /case HTTP/1.1\r\nHost: SITE.Test.\r\n");
	is($body, "host=site.test xfh=site.test\n",
	    'the backend gets the host in lower case without the dot');
	for my $h ('site.test', 'site.test:80', 'Site.TEST:0080') {
		($st, $body, $cs) = ask("GET /case HTTP/1.1\r\nHost: $h\r\n");
		like($cs, qr/hit/, "Host: $h is a hit of the same entry");
		is($body, "host=site.test xfh=site.test\n", "Host: $h: same body");
	}
	is(seen() - $before, 1, 'the backend was asked once');
};

subtest 'absolute-form: the target names the host, not Host' => sub {
	my ($st, $body, $cs) = ask("GET http://site.test/abs HTTP/1.1\r\n"
	    . "Host: evil.example\r\n");
	is($st, 200, 'the probe is answered');
	is($body, "host=site.test xfh=site.test\n",
	    'Host and X-Forwarded-Host both carry the target\'s host');
	($st, $body, $cs) = ask("GET /abs HTTP/1.1\r\nHost: site.test\r\n");
	like($cs, qr/hit/, 'an origin-form request for the same URL is a hit');
	unlike($body, qr/evil/, 'and never shows the ignored Host');
};

subtest 'X-Forwarded-Host from an untrusted client is replaced' => sub {
	my ($st, $body) = ask("GET /xfh HTTP/1.1\r\nHost: site.test\r\n"
	    . "X-Forwarded-Host: evil.example\r\n");
	is($body, "host=site.test xfh=site.test\n",
	    'the backend sees the request\'s own host');
	($st, $body) = ask("GET /xfh HTTP/1.1\r\nHost: site.test\r\n");
	unlike($body, qr/evil/, 'a later client never sees the planted host');
};

subtest 'bad and over-long hosts' => sub {
	my ($st) = ask("GET /long HTTP/1.1\r\nHost: " . ('a' x 256) . "\r\n");
	is($st, 400, 'a name of 256 bytes is refused');
	($st) = ask("GET /long HTTP/1.1\r\nHost: " . ('a' x 255) . ":8080\r\n");
	is($st, 200, '255 bytes and a port are fine');
	($st) = ask("GET /x HTTP/1.1\r\nHost: site.test:99999\r\n");
	is($st, 400, 'a port above 65535 is refused');
};

done_testing;
