#!/usr/bin/perl
# A tiny HTTP/1.1 backend for trying frontd by hand (README quick start):
#     perl t/bin/backend.pl --port 9000 [--addr 127.0.0.1] [--body TEXT]
# Every request gets "200 OK" with the body and Connection: close.
# Core Perl only; one process per connection.

use strict;
use warnings;

use Getopt::Long qw(GetOptions);
use IO::Socket::INET;
use POSIX ();

my $port = 9000;
my $addr = '127.0.0.1';
my $body = "hello from the frontd demo backend\n";

GetOptions('port=i' => \$port, 'addr=s' => \$addr, 'body=s' => \$body)
    or die "usage: $0 [--port PORT] [--addr ADDR] [--body TEXT]\n";

my $srv = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
    Proto => 'tcp', Listen => 128, ReuseAddr => 1)
    or die "$0: cannot listen on $addr:$port: $!\n";
$SIG{CHLD} = 'IGNORE';
$| = 1;
print "backend listening on $addr:$port\n";

while (1) {
	my $c = $srv->accept or next;
	my $pid = fork;
	if (defined $pid && $pid == 0) {
		close $srv;
		serve($c);
		POSIX::_exit(0);
	}
	close $c;
}

sub serve {
	my ($c) = @_;
	local $SIG{ALRM} = sub { POSIX::_exit(0) };
	local $SIG{PIPE} = 'IGNORE';
	alarm 30;
	my $buf = '';
	while ($buf !~ /\r?\n\r?\n/) {
		sysread($c, $buf, 8192, length $buf) or return;
	}
	my ($method, $path) = $buf =~ /^(\S+)\s+(\S+)/;
	my ($len) = $buf =~ /^Content-Length:\s*(\d+)/mi;
	# Read (and ignore) a request body so the client sees no reset.
	my ($head) = $buf =~ /^(.*?\r?\n\r?\n)/s;
	my $have = length($buf) - length($head);
	while ($len && $have < $len) {
		my $n = sysread($c, my $chunk, 8192) or last;
		$have += $n;
	}
	print STDERR "$method $path\n" if defined $method;
	my $resp = "HTTP/1.1 200 OK\r\n"
	    . "Content-Type: text/plain\r\n"
	    . "Content-Length: " . length($body) . "\r\n"
	    . "Connection: close\r\n\r\n";
	$resp .= $body unless ($method // '') eq 'HEAD';
	syswrite($c, $resp);
	shutdown($c, 1);
	1 while sysread($c, my $junk, 4096);
}
