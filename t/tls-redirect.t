# redirect_to_https on a plain listener: a 301 to the TLS listener of the
# same configuration, with the Host and target of the request, for every
# method, without hsts; curl -L gets there and sees hsts.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses);
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();
my ($HAVE_CURL, $CURL_WHY) = $pki->have_curl_tls;

my $CA = $pki->ca('ca');
my %C;
$C{a_rsa} = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
tls_certs(\%C);

subtest 'redirect_to_https' => sub {
	my $t = Test::Frontd->new;
	my ($pp, $p) = ($t->port, $t->port);
	my $be = $t->raw_backend;
	$t->start("[listener plain]\naddress = 127.0.0.1:$pp\nredirect_to_https = on\n\n"
	    . tls_listener(port => $p, certs => ['a_rsa'],
		extra => "hsts = max-age=600\n")
	    . app($be));
	for my $c (["r.example", "/x?y=1"], ["r.example:$pp", "/path/a%20b?q=2&z"],
	    ["R.Example", "/"]) {
		my ($host, $target) = @$c;
		my ($out) = $t->raw_request("GET $target HTTP/1.1\r\nHost: $host\r\n"
		    . "Connection: close\r\n\r\n", port => $pp);
		my ($r) = parse_responses($out);
		$r //= { status => 0, headers => {} };
		is($r->{status}, 301, "Host $host, $target: 301") or diag($out);
		is_deeply($r->{headers}{location}, ["https://r.example:$p$target"],
		    "Location https://r.example:$p$target") or diag($out);
	}
	my ($out) = $t->raw_request("POST /form HTTP/1.1\r\nHost: r.example\r\n"
	    . "Content-Length: 3\r\nConnection: close\r\n\r\nabc", port => $pp);
	my ($r) = parse_responses($out);
	is(($r // {})->{status}, 301, 'a POST is redirected too') or diag($out);
	ok(!$t->received($be), 'the backend got nothing from the plain listener');
	ok(!(($r // {})->{headers}{'strict-transport-security'}),
	    'no hsts on the plain redirect');
	if ($HAVE_CURL) {
		my $h = $pki->curl("http://r.example:$pp/follow", args => ['-L'],
		    cacert => $CA->{cert},
		    resolve => ["r.example:$pp:127.0.0.1", "r.example:$p:127.0.0.1"]);
		# r.example is not in a_rsa: curl refuses the name, unless -k.
		$h = $pki->curl("http://r.example:$pp/follow", args => ['-L'],
		    insecure => 1,
		    resolve => ["r.example:$pp:127.0.0.1", "r.example:$p:127.0.0.1"]);
		is($h->{status}, 200, 'curl -L follows to https and gets 200')
		    or diag("$h->{cmd}\n$h->{err}\n$h->{head}");
		is($h->{headers}{'strict-transport-security'}, 'max-age=600', 'hsts there');
	}
	$t->check_logs;
};

done_testing;
