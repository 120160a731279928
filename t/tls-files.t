# Files that TLS keys name are read by the master with OpenSSL, which
# opens them blocking: a FIFO (or a device) there must be an error at its
# line, at once, not a frontd -t or a reload that never ends.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);

my $t = Test::Frontd->new;
my $dir = $t->dir;
POSIX::mkfifo("$dir/fifo", 0600) or die "mkfifo: $!";

my @cases = (
	[ 'certificate', "[listener s]\naddress = 127.0.0.1:1\ntls = on\n"
	    . "certificate = $dir/fifo\ncertificate_key = $dir/fifo\n",
	    [ qr/:4: cannot read certificate \Q$dir\E\/fifo: it is a FIFO, not a regular file/,
	      qr/:5: cannot read certificate_key \Q$dir\E\/fifo: it is a FIFO/ ] ],
	[ 'tls_client_ca', "[listener s]\naddress = 127.0.0.1:1\ntls = on\n"
	    . "certificate = /dev/null\ncertificate_key = /dev/null\n"
	    . "tls_client_ca = $dir/fifo\ntls_verify_client = on\n",
	    [ qr/:6: cannot read tls_client_ca \Q$dir\E\/fifo: it is a FIFO/,
	      qr/:4: cannot read certificate \/dev\/null: it is a character device/ ] ],
	[ 'tls_ca_file', "[listener p]\naddress = 127.0.0.1:1\n\n[upstream u]\n"
	    . "server = 127.0.0.1:9\ntls = on\ntls_ca_file = $dir/fifo\n\n[route r]\nupstream = u\n",
	    [ qr/:7: cannot read tls_ca_file \Q$dir\E\/fifo: it is a FIFO/ ] ],
);
for my $c (@cases) {
	my ($name, $conf, $res) = @$c;
	my $f = "$dir/$name.conf";
	$t->spew($f, $conf);
	my $t0 = time;
	my ($code, $out, $err) = $t->run_frontd({ timeout => 10 }, '-t', '-c', $f);
	cmp_ok(time - $t0, '<', 5, "$name: -t returns at once");
	is($code, 1, "$name: exit 1");
	like($err, $_, "$name: the file, its kind and its line") or diag($err)
	    for @$res;
}

done_testing;
