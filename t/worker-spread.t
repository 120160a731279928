# New connections are spread over the workers.  The kernel wakes one
# worker for a new connection and that worker takes all that is queued, so
# a burst of 100 connections used to land 83/17 or even 100/0 on two
# workers.  Now a worker that holds clearly more than its share leaves the
# next ones to the worker that holds least: 100 connections opened at once
# land within 60/40, idle connections opened slowly (slowloris) spread as
# well, connections queued during a reload are all served, and a worker
# that dies does not hold the others back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use Test::More;
use Test::Frontd;
use Time::HiRes qw(sleep);

my $t = Test::Frontd->new;
my $be = $t->backend(body => "ok\n");
my $routes = "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";

# How many connections to port each worker holds: its sockets whose
# inode is an accepted connection of the port.
sub held {
	my ($f, @w) = @_;
	my %ino = map { $_->{inode} => 1 }
	    grep { $_->{state} eq 'ESTABLISHED' && $_->{inode} } $f->tcp_sockets($f->{port});
	return map {
		my $w = $_;
		scalar grep { /^socket:\[(\d+)\]$/ && $ino{$1} } $f->fds($w)
	} @w;
}

sub sum { my $s = 0; $s += $_ for @_; $s }

# Opens n connections as fast as the client can; each sends the start of
# a request head, as a slow client would, so none is served and closed.
sub open_conns {
	my ($f, $n) = @_;
	my @c;
	for (1 .. $n) {
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$f->{port}")
		    or die "connect: $!";
		syswrite($s, "GET / HTTP/1.1\r\n");
		push @c, $s;
	}
	return @c;
}

# Waits until the workers hold n connections in all; returns what each holds.
sub wait_held {
	my ($f, $n, @w) = @_;
	my @h;
	$f->poll(sub { @h = held($f, @w); sum(@h) == $n }, 10);
	return @h;
}

subtest '100 connections at once land within 60/40 on two workers' => sub {
	$t->start($routes, global => 'workers = 2');
	my @w = $t->workers;
	is(scalar @w, 2, 'two workers');
	for my $round (1 .. 5) {
		my @c = open_conns($t, 100);
		my @h = wait_held($t, 100, @w);
		is(sum(@h), 100, "round $round: all 100 are accepted");
		ok(!grep({ $_ < 40 || $_ > 60 } @h), "round $round: within 60/40 (@h)");
		close $_ for @c;
		wait_held($t, 0, @w);
	}
	is($t->get('/')->content, "ok\n", 'the workers serve');
	$t->check_logs;
};

subtest 'idle connections opened slowly spread too (slowloris)' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	$u->start("[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n",
	    global => 'workers = 2');
	my @w = $u->workers;
	my @c;
	for (1 .. 30) {
		push @c, open_conns($u, 10);
		sleep 0.01;
	}
	my @h = wait_held($u, 300, @w);
	is(sum(@h), 300, 'all 300 are accepted');
	ok(!grep({ $_ < 120 || $_ > 180 } @h), "within 60/40 (@h)");
	close $_ for @c;
	$u->check_logs;
};

subtest 'four workers, 200 connections at once' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	$u->start("[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n",
	    global => 'workers = 4');
	my @w = $u->workers;
	is(scalar @w, 4, 'four workers');
	my @c = open_conns($u, 200);
	my @h = wait_held($u, 200, @w);
	is(sum(@h), 200, 'all 200 are accepted');
	ok(!grep({ $_ > 60 } @h), "none holds more than 60 (@h)");
	close $_ for @c;
	$u->check_logs;
};

subtest 'a burst across a reload: every connection is served' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	my $r2 = "[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n";
	$u->start($r2, global => 'workers = 2');
	my @c;
	for my $i (1 .. 200) {
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$u->{port}")
		    or die "connect: $!";
		syswrite($s, "GET /$i HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		push @c, $s;
		$u->signal('HUP') if $i == 100;
	}
	my $ok = 0;
	for my $s (@c) {
		local $/;
		my $r = <$s> // '';
		$ok++ if $r =~ m{\AHTTP/1\.1 200 } && $r =~ /ok\n\z/;
	}
	is($ok, 200, 'all 200 requests are answered 200');
	$u->wait_for(sub { $u->error_log =~ /generation 2 started/ }, 10, 'the reload happened');
	$u->check_logs;
};

# The slot of a dead worker is cleared: nobody leaves connections to it,
# and its successor starts with a fair share.
subtest 'a worker killed: its successor takes its share' => sub {
	my $u = Test::Frontd->new;
	my $be2 = $u->backend(body => "ok\n");
	$u->start("[upstream app]\nserver = $be2->{addr}\n\n[route all]\nupstream = app\n",
	    global => 'workers = 2');
	my @w = $u->workers;
	my @c = open_conns($u, 50);
	wait_held($u, 50, @w);
	kill 'KILL', $w[0];
	$u->wait_for(sub { $u->workers == 2 && !grep { $_ == $w[0] } $u->workers }, 5,
	    'a new worker takes its place');
	my ($new) = grep { $_ != $w[1] } $u->workers;
	my ($kept) = held($u, $w[1]);
	my @d = open_conns($u, 100);
	my @h = wait_held($u, $kept + 100, $w[1], $new);
	is(sum(@h), $kept + 100, 'the 100 new connections are all accepted');
	ok($h[1] >= 40, "the new worker has its share ($kept + @h)");
	close $_ for @c, @d;
	$u->check_logs(allow => [ qr/was killed by signal 9\b/ ]);
};

done_testing;
