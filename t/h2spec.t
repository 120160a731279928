# HTTP/2 conformance: h2spec (summerwind/h2spec) against a cleartext
# listener with http2 = on and a TLS listener offering h2 by ALPN, each
# in normal and strict mode; every case passes.  Skipped when the h2spec
# binary is not at ../shared/tools/h2spec beside the source tree.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Cwd qw(abs_path);
use Test::More;
use Test::Frontd;
use Test::FrontdTLSListener;

my $H2SPEC = abs_path(Test::Frontd->srcdir . '/..') . '/shared/tools/h2spec';
plan skip_all => "no h2spec binary at $H2SPEC" unless -x $H2SPEC;

my ($t0, $pki) = tls_pki();
$pki->ca('ca');
my $cert = $pki->cert('h2spec', names => ['localhost', '127.0.0.1']);

my $t = Test::Frontd->new;
# A body of 5 bytes or more: h2spec skips its negative-window case
# (6.9.2/2) on a shorter one.
my $be = $t->backend(body => "hello from the backend\n");
my %port = (clear => $t->port, tls => $t->port);
$t->start("[listener clear]\naddress = 127.0.0.1:$port{clear}\n"
    . "http2 = on\n\n"
    . tls_listener(port => $port{tls}, certs => [ $cert ])
    . app($be));

# What h2spec says at its end: "N tests, N passed, S skipped, F failed".
my %want = (normal => 146, strict => 147);
for my $l (qw(clear tls)) {
	for my $mode (qw(normal strict)) {
		my @cmd = ($H2SPEC, '-h', '127.0.0.1', '-p', $port{$l});
		push @cmd, '-t', '-k' if $l eq 'tls';
		push @cmd, '-S' if $mode eq 'strict';
		my ($code, $out, $err) = $pki->run({ timeout => 120 }, @cmd);
		my $n = $want{$mode};
		my ($sum) = $out =~
		    /^(\d+ tests, \d+ passed, \d+ skipped, \d+ failed)$/m;
		$sum //= "no summary (exit $code)";
		my $ok = is($sum, "$n tests, $n passed, 0 skipped, 0 failed",
		    "$l, $mode: h2spec passes every case");
		is($code, 0, "$l, $mode: h2spec exits 0") if $ok;
		next if $ok;
		my ($fail) = $out =~ /^(Failures:.*?)(?:^Finished in|\z)/ms;
		diag($fail // "$out$err");
	}
}
ok($t->alive($_), "worker $_ still runs") for $t->workers;
$t->check_logs;

done_testing;
