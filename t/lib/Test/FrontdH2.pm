package Test::FrontdH2;

# What the HTTP/2 tests share: the client tools (curl with HTTP2, nghttp
# and h2load from nghttp2-client) run in list form with a deadline, a
# body of any length whose bytes are known without keeping them, and
# backend handlers that stream such a body or hash what they receive.
#
#     my %have = h2_tools();           # {curl, nghttp, h2load} => why not, or ''
#     my ($code, $out, $err) = h2_run($t, { timeout => 10 }, 'nghttp', ...);
#     my ($code, $sha, $err) = h2_run($t, { sha => 1 }, 'curl', ...);
#     #   stdout hashed on the fly: "SHA256HEX LENGTH" in place of it
#     my $h = h2_spawn($t, { cwd => $dir }, @cmd); ... h2_wait($t, $h, 10);
#     my $hex = pattern_sha($n);       # sha256 of pattern($n)
#     $c->... in raw_backend handlers: serve_pattern($c, $n, %o),
#     hash_body($c): "len=N sha=HEX" of the request body, however framed

use strict;
use warnings;

use Carp qw(croak);
use Digest::SHA;
use Errno qw(EINTR EAGAIN);
use Exporter qw(import);
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

our @EXPORT = qw(h2_tools h2_run h2_spawn h2_wait pattern pattern_sha
    serve_pattern read_body_hashed);

my $RUN_S = 20;			# default deadline of one command
my $BLOCK = 65536;		# pattern block size

# Which clients are usable: name => '' when it is, else why not.
sub h2_tools {
	my %why;
	my $curl = `curl --version 2>/dev/null` // '';
	$why{curl} = $curl eq '' ? 'no curl'
	    : $curl !~ /^Features:.*\bHTTP2\b/m ? 'curl without HTTP2' : '';
	for my $tool (qw(nghttp h2load)) {
		my $v = `$tool --version 2>/dev/null` // '';
		$why{$tool} = $v =~ /nghttp2/ ? '' : "no $tool (nghttp2-client)";
	}
	return %why;
}

# Start a command (list form) in a process group of its own, tracked by
# the harness.  opts: stdin (a file; default /dev/null), cwd, sha (stdout
# is a pipe that h2_wait hashes).  Returns a handle for h2_wait.
sub h2_spawn {
	my ($t, @args) = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	my $n = ++$t->{h2_nrun};
	my ($out, $err) = map { $t->dir . "/h2run$n.$_" } qw(out err);
	my ($pr, $pw);
	pipe($pr, $pw) or croak "pipe: $!" if $o->{sha};
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		chdir $o->{cwd} or POSIX::_exit(126) if defined $o->{cwd};
		open STDIN, '<', $o->{stdin} // '/dev/null' or POSIX::_exit(127);
		if ($pw) {
			close $pr;
			open STDOUT, '>&', $pw or POSIX::_exit(127);
		} else {
			open STDOUT, '>', $out or POSIX::_exit(127);
		}
		open STDERR, '>', $err or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $args[0] } @args; }
		print STDERR "exec $args[0]: $!\n";
		POSIX::_exit(127);
	}
	$t->track($pid);
	close $pw if $pw;
	return { pid => $pid, out => $out, err => $err, pipe => $pr,
	    cmd => join(' ', @args),
	    sha => $o->{sha} ? Digest::SHA->new(256) : undef, len => 0 };
}

# Wait for a command of h2_spawn up to timeout seconds (then it is
# killed, exit code 137): (exit code, stdout, stderr).  A signal death is
# 128 + signal.
sub h2_wait {
	my ($t, $h, $timeout) = @_;
	my $deadline = time + ($timeout // $RUN_S);
	my $sel = $h->{pipe} ? IO::Select->new($h->{pipe}) : undef;
	my ($status, $eof) = (undef, !$sel);
	while (1) {
		if (!$eof) {
			for ($sel->can_read(0.05)) {
				my $r = sysread($h->{pipe}, my $chunk, 262144);
				next if !defined $r && ($! == EINTR || $! == EAGAIN);
				if (!$r) { $eof = 1; last }
				$h->{sha}->add($chunk);
				$h->{len} += $r;
			}
		}
		if (!defined $status && waitpid($h->{pid}, WNOHANG) == $h->{pid}) {
			$status = $?;
		}
		last if defined $status && $eof;
		if (time > $deadline) {
			kill 'KILL', -$h->{pid};
			kill 'KILL', $h->{pid};
			waitpid($h->{pid}, 0) unless defined $status;
			$status //= $?;
			Test::More::diag("$h->{cmd}: still running after "
			    . ($timeout // $RUN_S) . " s, killed");
			last;
		}
		sleep 0.05 if $eof;
	}
	close $h->{pipe} if $h->{pipe};
	my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	my $out = $h->{sha} ? $h->{sha}->hexdigest . " $h->{len}"
	    : $t->slurp($h->{out});
	my $err = $t->slurp($h->{err});
	unlink $h->{out}, $h->{err} unless $t->{keep};
	return ($code, $out, $err);
}

sub h2_run {
	my ($t, @args) = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	return h2_wait($t, h2_spawn($t, $o, @args), $o->{timeout});
}

# The first n bytes of an endless text: 64 KiB blocks, each line naming
# its block and line, so that a byte out of place changes the hash.
sub _block {
	my ($i) = @_;
	my $b = '';
	my $l = 0;
	$b .= sprintf("%08x %05d abcdefghijklmnopqrstuvwxyz0123456789\n", $i,
	    $l++) while length $b < $BLOCK;
	return substr($b, 0, $BLOCK);
}

sub pattern {
	my ($n) = @_;
	my $s = '';
	$s .= _block(int(length($s) / $BLOCK)) while length $s < $n;
	return substr($s, 0, $n);
}

sub pattern_sha {
	my ($n) = @_;
	my $d = Digest::SHA->new(256);
	my $i = 0;
	while ($n > 0) {
		my $b = _block($i++);
		$d->add($n >= $BLOCK ? $b : substr($b, 0, $n));
		$n -= $BLOCK;
	}
	return $d->hexdigest;
}

# In a raw_backend handler: write pattern(n) after a 200 head (headers:
# more fields), at most rate bytes a second when rate is given, then
# stop (stall => 1: write half of it, then wait until frontd closes,
# noting "closed after N" with $c->note).  Returns bytes written.
sub serve_pattern {
	my ($c, $n, %o) = @_;
	my $head = "HTTP/1.1 200 OK\r\nContent-Length: $n\r\n"
	    . "Content-Type: application/octet-stream\r\n";
	$head .= "$_\r\n" for @{ $o{headers} // [] };
	$c->write("$head\r\n") or return 0;
	my ($sent, $i, $t0) = (0, 0, time);
	my $stop = $o{stall} ? int($n / 2) : $n;
	while ($sent < $stop) {
		my $b = _block($i++);
		$b = substr($b, 0, $stop - $sent) if $stop - $sent < length $b;
		$c->write($b) or last;
		$sent += length $b;
		if ($o{rate}) {
			my $ahead = $sent / $o{rate} - (time - $t0);
			sleep $ahead if $ahead > 0;
		}
	}
	if ($o{stall}) {
		# frontd closes the connection: EOF (or a reset) comes.
		my $sel = IO::Select->new($c->sock);
		my $until = time + 30;
		while (time < $until) {
			next unless $sel->can_read($until - time);
			my $r = sysread($c->sock, my $junk, 4096);
			last if !$r;
		}
		$c->note("closed after $sent");
	}
	return $sent;
}

# In a raw_backend handler, after $c->read_head: the request body read
# from the socket (not recorded, so large bodies cost no disk), framed by
# Content-Length or chunked, hashed: "len=N sha=HEX" or "error: why".
sub read_body_hashed {
	my ($c, $head) = @_;
	my $d = Digest::SHA->new(256);
	my $buf = $c->read_bytes(length $c->buffered, 0);
	my $len = 0;
	my $more = sub {
		my $sel = IO::Select->new($c->sock);
		return 0 unless $sel->can_read(20);
		my $r = sysread($c->sock, $buf, 262144, length $buf);
		return $r;
	};
	if ($head =~ /^Transfer-Encoding:[ \t]*chunked\r?$/mi) {
		while (1) {
			while ($buf !~ /\r\n/) {
				return "error: cut in a chunk size after $len" unless $more->();
			}
			$buf =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//
			    or return 'error: bad chunk size';
			my $n = hex $1;
			if ($n == 0) {
				while ($buf !~ /^(?:[^\r\n]+\r\n)*\r\n/) {
					return 'error: cut in trailers' unless $more->();
				}
				last;
			}
			while (length $buf < $n + 2) {
				return "error: cut in a chunk after $len" unless $more->();
			}
			$d->add(substr($buf, 0, $n));
			$len += $n;
			return 'error: no CRLF after a chunk'
			    unless substr($buf, $n, 2) eq "\r\n";
			substr($buf, 0, $n + 2) = '';
		}
	} elsif ($head =~ /^Content-Length:[ \t]*(\d+)\r?$/mi) {
		my $want = $1;
		while ($len < $want) {
			if (length $buf == 0) {
				return "error: cut after $len" unless $more->();
			}
			my $take = length $buf < $want - $len ? length $buf : $want - $len;
			$d->add(substr($buf, 0, $take, ''));
			$len += $take;
		}
	}
	return "len=$len sha=" . $d->hexdigest;
}

1;
