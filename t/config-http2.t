# The HTTP/2 settings: "frontd -t" accepts the [global] http2_* keys and
# the listener's http2 within their ranges, refuses them outside at
# file:line, and refuses an initial window and a header list that do not
# fit one stream's buffer together; a TLS listener offers h2 by ALPN
# unless its http2 is off.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLS;

my $t = Test::Frontd->new;

# -t on text: refused at the line matching re, with a message matching msg.
sub refused_at {
	my ($text, $re, $msg, $name) = @_;
	my ($rc, $out) = $t->test_config($text);
	my $conf = $t->conf;
	my $line = $t->line_of($re);
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($rc != 0 && $out =~ /^\Q$conf\E:$line: (?:(?!\n).)*$msg/m, $name)
	    or diag("want line $line\n$out");
}

subtest 'accepted within their ranges' => sub {
	for my $g ("http2_max_concurrent_streams = 1\n"
	    . "http2_max_header_list_size = 1K\n"
	    . "http2_initial_window_size = 1K\n"
	    . "http2_idle_timeout = 1ms\n"
	    . "http2_max_resets = 1\n"
	    . "http2_max_continuations = 1\n",
	    "http2_max_concurrent_streams = 1024\n"
	    . "http2_max_header_list_size = 48K\n"
	    . "http2_initial_window_size = 16K\n"
	    . "http2_idle_timeout = 1h\n"
	    . "http2_max_resets = 100000\n"
	    . "http2_max_continuations = 64\n",
	    "http2_max_header_list_size = 1K\n"
	    . "http2_initial_window_size = 63K\n",
	    "http2_max_header_list_size = 32K\n"
	    . "http2_initial_window_size = 32768\n") {
		my ($rc, $out) = $t->test_config("[global]\n$g\n"
		    . "[listener plain]\naddress = 127.0.0.1:" . $t->port
		    . "\nhttp2 = on\n"
		    . "[listener other]\naddress = 127.0.0.1:" . $t->port
		    . "\nhttp2 = off\n");
		my $one = join ', ', split /\n/, $g;
		is($rc, 0, "-t accepts $one") or diag($out);
		unlike($out, qr/:\d+: /, 'and says nothing about a line')
		    or diag($out);
	}
};

subtest 'out of range: refused at the line' => sub {
	my @cases = (
		[ 'http2_max_concurrent_streams', '0', 'a number from 1 to 1024' ],
		[ 'http2_max_concurrent_streams', '1025', 'a number from 1 to 1024' ],
		[ 'http2_max_header_list_size', '1023', 'a size from 1K to 48K' ],
		[ 'http2_max_header_list_size', '49K', 'a size from 1K to 48K' ],
		[ 'http2_initial_window_size', '512', 'a size from 1K to 64K' ],
		[ 'http2_initial_window_size', '65537', 'a size from 1K to 64K' ],
		[ 'http2_idle_timeout', '0', 'a duration' ],
		[ 'http2_idle_timeout', 'soon', 'a duration' ],
		[ 'http2_max_resets', '0', 'a number from 1 to 100000' ],
		[ 'http2_max_resets', '100001', 'a number from 1 to 100000' ],
		[ 'http2_max_continuations', '0', 'a number from 1 to 64' ],
		[ 'http2_max_continuations', '65', 'a number from 1 to 64' ],
	);
	for my $c (@cases) {
		my ($k, $v, $want) = @$c;
		refused_at("[global]\n$k = $v\n", qr/^\Q$k\E =/,
		    qr/bad \Q$k "$v"\E in \[global\] \(expected \Q$want\E/,
		    "$k = $v refused");
	}
	refused_at("[listener x]\naddress = 127.0.0.1:" . $t->port
	    . "\nhttp2 = yes please\n", qr/^http2 =/,
	    qr/bad http2 "yes please" in \[listener x\] \(expected on or off\)/,
	    'http2 = yes please refused');
};

subtest 'the window and the header list share one buffer' => sub {
	my $why = qr/http2_initial_window_size \(\d+ bytes\) plus http2_max_header_list_size \(\d+ bytes\) is more than 64K: a stream's head and its unread body share one 72K buffer/;
	refused_at("[global]\nhttp2_initial_window_size = 48K\n",
	    qr/^http2_initial_window_size/, $why,
	    'a 48K window with the 32K default list: at the window');
	refused_at("[global]\nhttp2_max_header_list_size = 40K\n",
	    qr/^http2_max_header_list_size/, $why,
	    'a 40K list with the 32K default window: at the list');
	refused_at("[global]\nhttp2_max_header_list_size = 16K\n"
	    . "http2_initial_window_size = 64K\n",
	    qr/^http2_initial_window_size/, $why,
	    'both set: at the one set last (the window)');
	refused_at("[global]\nhttp2_initial_window_size = 40K\n"
	    . "http2_max_header_list_size = 30K\n",
	    qr/^http2_max_header_list_size/, $why,
	    'both set: at the one set last (the list)');
	my ($rc, $out) = $t->test_config("[global]\n"
	    . "http2_initial_window_size = 48K\n"
	    . "http2_max_header_list_size = 40K\n");
	my @lines = $out =~ /(share one 72K buffer)/g;
	is(scalar @lines, 1, 'said once, not for each key') or diag($out);
};

subtest 'ALPN offers h2 where http2 is on' => sub {
	my $t0 = Test::Frontd->new;
	my $pki = Test::FrontdTLS->new($t0);
	my ($have, $why) = $pki->have_openssl;
	plan skip_all => "no openssl command: $why" unless $have;
	$pki->ca('ca');
	my $c = $pki->cert('a', names => ['a.example']);
	my $pair = "certificate = $c->{cert}\ncertificate_key = $c->{key}\n";
	my %p = map { $_ => $t->port } qw(default on off);
	$t->start(join '', map {
		"[listener $_]\naddress = 127.0.0.1:$p{$_}\ntls = on\n$pair"
		    . ($_ eq 'default' ? '' : "http2 = $_\n") . "\n"
	    } sort keys %p);
	my %want = (default => 'h2', on => 'h2', off => 'http/1.1');
	for my $l (sort keys %want) {
		my $r = $pki->s_client(port => $p{$l}, servername => 'a.example',
		    args => ['-alpn', 'http/1.1,h2']);
		ok($r->{ok}, "$l: the handshake is done") or diag($r->{all});
		is($r->{alpn}, $want{$l}, "$l: ALPN http/1.1,h2 gets $want{$l}")
		    or diag($r->{all});
	}
	my $r = $pki->s_client(port => $p{off}, servername => 'a.example',
	    args => ['-alpn', 'h2']);
	ok($r->{ok} && $r->{alpn} eq '', 'off: ALPN h2 alone gets no '
	    . 'protocol, the handshake goes on') or diag($r->{all});
	$t->check_logs;
};

done_testing;
