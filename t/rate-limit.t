# Shared limits (frontd.conf(5), Limits): -t refuses bad values of
# rate_limit and limit_conn, and a limit without a zone.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

subtest '-t: bad values, and a limit without a zone' => sub {
	my $t = Test::Frontd->new;
	my $d = $t->dir;
	my $expect = 'expected a rate such as 50r/s or 600r/m, then burst=N, '
	    . 'key=TEMPLATE, status=CODE, name=NAME';
	my @bad = ('50', '0r/s', '50r/d', '50r/s burst=x', '50r/s key=$nosuch',
	    '50r/s status=200', '50r/s color=red', '50r/s name="x"');
	my $conf = "[listener l]\naddress = 127.0.0.1:1\n\n[route r]\nreturn = 200\n";
	$conf .= "rate_limit = $_\n" for @bad;
	$conf .= "limit_conn = 0\nlimit_conn = 5 burst=2\n";
	$t->spew("$d/bad.conf", $conf);
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/bad.conf");
	is($code, 1, 'exit 1');
	my $line = 6;
	for my $v (@bad) {
		if ($v =~ /nosuch/) {
			like($err, qr/^\Q$d\E\/bad\.conf:$line: bad rate_limit "\$nosuch": /m,
			    "line $line: an unknown variable");
		} else {
			like($err, qr/^\Q$d\E\/bad\.conf:$line: bad rate_limit "\Q$v\E" in \[route r\] \(\Q$expect\E\)$/m,
			    "line $line: rate_limit = $v");
		}
		$line++;
	}
	like($err, qr/^\Q$d\E\/bad\.conf:$line: bad limit_conn "0" in \[route r\]/m,
	    'limit_conn = 0');
	$line++;
	like($err, qr/^\Q$d\E\/bad\.conf:$line: bad limit_conn "5 burst=2" in \[route r\]/m,
	    'burst is for rates');

	$t->spew("$d/nozone.conf", "[global]\nrate_limit_zone = 0\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\nlimit_conn = 10\n\n"
	    . "[route r]\nreturn = 200\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/nozone.conf");
	is($code, 1, 'a limit with rate_limit_zone = 0: exit 1');
	like($err, qr/^\Q$d\E\/nozone\.conf:6: limit_conn in \[listener l\] needs a shared zone, but rate_limit_zone in \[global\] is 0$/m,
	    'the limit\'s line says why');

	$t->spew("$d/good.conf", "[global]\nrate_limit_zone = 64K\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\nrate_limit = 600r/m burst=20 key=\$remote_addr\n"
	    . "limit_conn = 100 key=\$route status=429\nrate_limit_dry_run = on\n\n"
	    . "[route r]\nreturn = 200\nrate_limit = 10r/h key=\$http_x_api_key\$cookie_s name=hourly\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/good.conf");
	is($code, 0, 'every form in the man page is accepted') or diag($err);
	$t->spew("$d/small.conf", "[global]\nrate_limit_zone = 1K\n\n"
	    . "[listener l]\naddress = 127.0.0.1:1\n");
	($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/small.conf");
	like($err, qr/bad rate_limit_zone "1K" in \[global\] \(expected a size from 64K to 1G, or 0\)/,
	    'a zone too small to be of use');
};

done_testing;
