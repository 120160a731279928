# A TLS handshake that stalls (half a ClientHello, part of a record
# header, nothing at all) is dropped after client_header_timeout, without
# the worker spinning on it or keeping others waiting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);
use POSIX ();
use Test::FrontdTLSListener;

my (undef, $pki) = tls_pki();

$pki->ca('ca');
my %C;
$C{a_rsa} = $pki->cert('a-rsa', names => ['a.example', 'b.example']);
tls_certs(\%C);

# CPU time (user + system, in clock ticks) of a process so far.
sub cpu_ticks {
	my ($t, $pid) = @_;
	my $st = $t->slurp("/proc/$pid/stat");
	$st =~ s/^.*\)\s*//s;
	my @f = split ' ', $st;
	return ($f[11] // 0) + ($f[12] // 0);
}

subtest 'a stalled handshake is dropped after client_header_timeout' => sub {
	my $t = Test::Frontd->new;
	my $p = $t->port;
	$t->start(tls_listener(port => $p, certs => ['a_rsa']),
	    global => "client_header_timeout = 1s");
	my ($w) = $t->workers;
	my $hz = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
	# Half a ClientHello: a record header announcing 512 bytes, the
	# handshake header and the first bytes of the hello.
	my $half = "\x16\x03\x01\x02\x00" . "\x01\x00\x01\xfc" . "\x03\x03"
	    . ("\x5a" x 20);
	my $c = $t->raw_client(port => $p);
	ok($c, 'connected');
	my $t0 = time;
	$c->write($half);
	# Meanwhile the (only) worker serves others, without spinning.
	my $cpu0 = cpu_ticks($t, $w);
	my $r = sc($p, 'a.example');
	ok($r->{ok}, 'while a ClientHello is half sent, another handshake succeeds')
	    or diag(show($r));
	cmp_ok(time - $t0, '<', 2, 'at once') if $r->{ok};
	my $busy = (cpu_ticks($t, $w) - $cpu0) / $hz;
	my $el = time - $t0;
	cmp_ok($busy, '<', 0.25 * $el + 0.05,
	    'the worker does not spin on the half record')
	    or diag(sprintf '%.2f s of CPU in %.2f s', $busy, $el);
	my $closed = $c->wait_closed(6);
	my $dt = time - $t0;
	ok($closed, 'frontd closed the connection') or diag(sprintf 'open after %.1f s', $dt);
	cmp_ok($dt, '>=', 0.7, 'not before the timeout');
	cmp_ok($dt, '<', 4, 'soon after the 1 s timeout');
	unlike($c->buffer, qr/^HTTP/, 'without an HTTP answer in clear');
	$c->close;

	# A record header cut short.
	$c = $t->raw_client(port => $p);
	$t0 = time;
	$c->write("\x16\x03");
	$closed = $c->wait_closed(6);
	$dt = time - $t0;
	ok($closed && $dt >= 0.7 && $dt < 4, 'two bytes of a record header: closed after the timeout')
	    or diag(sprintf 'closed %s after %.1f s', $closed, $dt);
	$c->close;

	# Nothing sent at all.
	$c = $t->raw_client(port => $p);
	$t0 = time;
	$closed = $c->wait_closed(6);
	$dt = time - $t0;
	ok($closed && $dt >= 0.7 && $dt < 4, 'a silent connection: closed after the timeout too')
	    or diag(sprintf 'closed %s after %.1f s', $closed, $dt);
	$c->close;
	$r = sc($p, 'a.example');
	ok($r->{ok}, 'a good handshake still works') or diag(show($r));
	$t->check_logs(allow => [ qr/timeout|timed out|handshake/i ]);
};

done_testing;
