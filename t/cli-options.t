# Command line: -V, -h, a bad option, -t on a good config, -s with no master.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $dir = $t->dir;

# The version configure.ac gives, when the source tree is at hand.
my ($version) = $t->slurp($t->srcdir . '/configure.ac')
    =~ /AC_INIT\(\[frontd\],\s*\[([^\]]+)\]/;
$version //= '\d+\.\d+\.\d+';

subtest '-V prints the version and build options' => sub {
	my ($code, $out, $err) = $t->run_frontd('-V');
	is($code, 0, 'exit 0');
	like($out, qr/\Afrontd version \Q$version\E\n/, 'first line: frontd version')
	    or diag($out);
	for my $lib (qw(OpenSSL zlib brotli inih nghttp2)) {
		like($out, qr/\b\Q$lib\E\b/i, "mentions $lib");
	}
	is($err, '', 'nothing on stderr');
};

subtest '-h prints the usage on stdout' => sub {
	my ($code, $out, $err) = $t->run_frontd('-h');
	is($code, 0, 'exit 0');
	like($out, qr/^usage: frontd\b/m, 'usage line');
	like($out, qr/\Q-c file\E/, 'mentions -c file');
	like($out, qr/\Q-s signal\E/, 'mentions -s signal');
	is($err, '', 'nothing on stderr');
};

for my $bad (['-x'], ['-c'], ['-s']) {
	subtest "bad option @$bad: usage on stderr, exit 2" => sub {
		my ($code, $out, $err) = $t->run_frontd(@$bad);
		is($code, 2, 'exit 2');
		like($err, qr/^usage: frontd\b/m, 'usage on stderr');
		is($out, '', 'nothing on stdout');
	};
}

# A good configuration, never started.
my $port = $t->port;
my $conf = $t->spew("$dir/good.conf", <<"EOF");
[global]
workers = 2
pid_file = $dir/good.pid
error_log = $dir/good-error.log
access_log = $dir/good-access.log
log_level = info
shutdown_timeout = 5s

[listener public]
address = 127.0.0.1:$port

[upstream app]
server = 127.0.0.1:9

[route all]
upstream = app
EOF

subtest '-t on a good configuration' => sub {
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', $conf);
	is($code, 0, 'exit 0');
	is($out, "configuration ok\n", 'prints configuration ok');
	is($err, '', 'nothing on stderr');
	ok(!-e "$dir/good.pid", '-t writes no pid file');
	ok(!-e "$dir/good-error.log", '-t creates no error log');
	ok(!-e "$dir/good-access.log", '-t creates no access log');
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'tcp', Listen => 1, ReuseAddr => 1);
	ok($s, "-t leaves 127.0.0.1:$port unbound") or diag("bind: $!");
	close $s if $s;
};

subtest '-t -c on a missing file' => sub {
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$dir/nosuch.conf");
	is($code, 1, 'exit 1');
	is($err, "frontd: cannot open $dir/nosuch.conf: No such file or directory\n",
	    'names the file');
	is($out, '', 'nothing on stdout');
};

for my $sig (qw(reload stop quit reopen)) {
	subtest "-s $sig with no running master" => sub {
		my ($code, $out, $err) = $t->run_frontd({ timeout => 20 },
		    '-s', $sig, '-c', $conf);
		is($code, 1, 'exit 1');
		is($err, "frontd: no running master: pid file $dir/good.pid: "
		    . "No such file or directory\n", 'says no master runs');
		is($out, '', 'nothing on stdout');
	};
}

subtest '-s with a bad signal name' => sub {
	my ($code, $out, $err) = $t->run_frontd('-s', 'bogus', '-c', $conf);
	is($code, 2, 'exit 2 (usage error)');
	like($err, qr/\S/, 'says why on stderr');
	is($out, '', 'nothing on stdout');
};

$t->check_logs;
done_testing;
