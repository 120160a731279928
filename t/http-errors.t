# Failures and their answers: upstream refused (502), silent (504 after
# upstream_read_timeout), closing early or answering garbage (502, logged
# with the server); a slow client head (408); slowloris does not starve
# other clients; error_page; max_connections; the access log in both
# formats.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Socket qw(SOL_SOCKET SO_RCVTIMEO);
use Test::Frontd qw(parse_responses header_tokens);
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);

my $H = "Host: test.example\r\n";

sub has_close {
	my ($r) = @_;
	return scalar grep { $_ eq 'close' } header_tokens($r, 'connection');
}

# Answers by path: /never waits, /close closes, /invalid sends a bad
# status line, anything else "ok PATH", keep-alive.
sub handler {
	my ($c) = @_;
	while (my $q = $c->read_request) {
		my $p = $q->{target};
		if ($p eq '/never') {
			$c->read_until_eof(30);
			return;
		} elsif ($p eq '/close') {
			return;
		} elsif ($p eq '/invalid') {
			$c->write("HTTP/1.1 2000 X\r\nContent-Length: 2\r\n\r\nok");
			$c->read_until_eof(5);
			return;
		}
		$c->respond(200, body => "ok $p\n") or return;
	}
}

sub get {
	my ($t, $path, %o) = @_;
	my $t0 = time;
	my ($out, $closed) = $t->raw_request("GET $path HTTP/1.1\r\n$H"
	    . "User-Agent: " . ($o{ua} // 'errors-test') . "\r\n"
	    . "Connection: close\r\n\r\n", timeout => $o{timeout} // 5);
	my ($r) = parse_responses($out);
	$r //= { status => 0, headers => {}, body => '', raw => $out };
	$r->{elapsed} = time - $t0;
	$r->{closed} = $closed;
	return $r;
}

subtest 'upstream failures, client timeouts, slowloris, access log' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(handler => \&handler);
	$t->start(<<"EOF");
[global]
client_header_timeout = 1s

[upstream app]
server = $be->{addr}
upstream_read_timeout = 1s

[route all]
upstream = app
EOF
	my ($w) = $t->workers;

	my $r = get($t, '/never');
	is($r->{status}, 504, 'a backend that never answers: 504') or diag($r->{raw});
	ok($r->{elapsed} > 0.8 && $r->{elapsed} < 4,
	    sprintf 'after upstream_read_timeout (%.2f s)', $r->{elapsed});

	$r = get($t, '/close');
	is($r->{status}, 502, 'a backend that closes without a response: 502')
	    or diag($r->{raw});

	my $log0 = length $t->error_log;
	$r = get($t, '/invalid');
	is($r->{status}, 502, 'an invalid response ("HTTP/1.1 2000 X"): 502')
	    or diag($r->{raw});
	$t->wait_for(sub { substr($t->error_log, $log0) =~ /\Q$be->{addr}\E/ }, 5,
	    'a log line names the server');
	note(substr($t->error_log, $log0));

	my $c = $t->raw_client;
	my $t0 = time;
	$c->write("GET /half HTTP/1.1\r\n$H");
	ok($c->wait_closed(5), 'half a head: the connection is closed');
	my $dt = time - $t0;
	my ($h) = parse_responses($c->buffer);
	is($h && $h->{status}, 408, 'after a 408') or diag($c->buffer);
	ok($h && has_close($h), 'with Connection: close');
	ok($dt > 0.8 && $dt < 3, sprintf 'after client_header_timeout (%.2f s)', $dt);

	# Slowloris: 200 connections sending a header byte every 200 ms for
	# 3 s (reopened when frontd closes them), while a normal client asks.
	my $port = $t->{port};
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		$SIG{PIPE} = 'IGNORE';
		my $drip = "GET /slow HTTP/1.1\r\nHost: test.example\r\nX-Slow: "
		    . ('s' x 10000);
		my @s;
		my $open = sub {
			IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $port, Proto => 'tcp', Timeout => 1);
		};
		my $end = time + 3;
		my $round = 0;
		while (time < $end) {
			for my $i (0 .. 199) {
				my $s = $s[$i];
				my $dead = !$s || IO::Select->new($s)->can_read(0)
				    || !defined syswrite($s, substr($drip, $round, 1));
				if ($dead) {
					close $s if $s;
					$s[$i] = $open->();
					syswrite($s[$i], substr($drip, 0, $round + 1))
					    if $s[$i];
				}
			}
			$round++;
			sleep 0.2;
		}
		POSIX::_exit(0);
	}
	$t->track($pid);
	$t->wait_for(sub { $t->established($port) >= 150 }, 3,
	    'the slow clients are connected');
	my @slow;
	for my $i (1 .. 5) {
		my $r = get($t, "/normal$i", timeout => 3);
		push @slow, sprintf "%d %.2fs", $r->{status}, $r->{elapsed}
		    if $r->{status} != 200 || $r->{elapsed} > 1;
	}
	is_deeply(\@slow, [], 'meanwhile 5 normal requests get 200, each within 1 s');
	waitpid($pid, 0);
	is(($t->workers)[0], $w, 'the worker is still the same process');

	# The access log: one line per request, with the upstream fields.
	$c = $t->raw_client;
	for my $i (1 .. 3) {
		$c->write("GET /log$i HTTP/1.1\r\n${H}User-Agent: log-test\r\n\r\n");
		$c->read_response(timeout => 5);
	}
	$c->close;
	$t->wait_for(sub { $t->access_log =~ m{"GET /log3 } }, 5, 'the requests are logged');
	my $log = $t->access_log;
	for my $i (1 .. 3) {
		my @l = grep { m{"GET /log$i HTTP/1\.1"} } split /\n/, $log;
		is(scalar @l, 1, "/log$i: one line");
		like($l[0] // '', qr{^127\.0\.0\.1 - - \[[^\]]+\] "GET /log$i HTTP/1\.1" 200 \d+ "-" "log-test" rt=\d+\.\d{3} ua=\Q$be->{addr}\E us=200 ut=\d+\.\d{3}$},
		    "/log$i: status, ua=, us=, ut=");
	}
	my ($never) = grep { m{"GET /never } } split /\n/, $log;
	like($never // '', qr{" 504 \d+ .* ua=\Q$be->{addr}\E us=- ut=},
	    'the 504 is logged with ua= and no upstream status');
	my ($inv) = grep { m{"GET /invalid } } split /\n/, $log;
	like($inv // '', qr{" 502 \d+ .* ua=\Q$be->{addr}\E }, 'the 502 is logged');
	$t->check_logs(allow => [ qr/\Q$be->{addr}\E/ ]);
};

subtest 'connection refused: 502 with the error_page' => sub {
	my $t = Test::Frontd->new;
	my $dead = $t->port;
	my $page = $t->spew($t->dir . '/oops.html', "<html><p>oops, try later</p></html>\n");
	$t->start(<<"EOF");
[global]
error_page = 502 503 $page

[upstream app]
server = 127.0.0.1:$dead

[route all]
upstream = app
EOF
	my $r = get($t, '/refused');
	is($r->{status}, 502, 'connection refused: 502') or diag($r->{raw});
	is($r->{body}, "<html><p>oops, try later</p></html>\n", 'the body is the error_page file');
	like(join(',', @{ $r->{headers}{'content-type'} // [] }), qr{^text/html},
	    'served as text/html');
	$t->check_logs(allow => [ qr/127\.0\.0\.1:$dead\b/ ]);
};

subtest 'max_connections = 32 and 100 idle connections' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
	$t->start("[global]\nmax_connections = 32\n\n[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	my ($w) = $t->workers;
	my $socks = sub { scalar grep { /^socket:/ } $t->fds($w) };
	my $base = $socks->();
	my @s = grep { $_ } map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $t->{port}, Proto => 'tcp', Timeout => 2) } 1 .. 100;
	is(scalar @s, 100, '100 idle connections opened');
	$t->wait_for(sub { $socks->() - $base >= 32 }, 5,
	    'the worker accepts connections up to its limit');
	# Give it half a second to take more than it should.
	my $over = $t->poll(sub { $socks->() - $base > 32 }, 0.5);
	ok(!$over, 'and no more (' . ($socks->() - $base) . ' client sockets held)');
	ok($t->alive($w), 'the worker is alive');
	# The ones still in the backlog are served as the others close.
	for my $i (0 .. $#s) {
		syswrite($s[$i], "GET /q$i HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	}
	my $served = 0;
	for my $i (0 .. $#s) {
		my ($buf, $all) = ('', '');
		$s[$i]->blocking(1);
		setsockopt($s[$i], SOL_SOCKET, SO_RCVTIMEO, pack('l!l!', 10, 0));
		$all .= $buf while sysread($s[$i], $buf, 65536);
		$served++ if $all =~ m{\AHTTP/1\.1 200 .*\r\n\r\nok /q$i\n\z}s;
		close $s[$i];
	}
	is($served, 100, 'none is refused or dropped: all 100 are answered');
	my $r = get($t, '/after', timeout => 10);
	is($r->{status}, 200, 'a later request gets 200') or diag($r->{raw});
	is($r->{body}, "ok /after\n", 'from the backend');
	is_deeply([ $t->workers ], [ $w ], 'served by the same worker');
	$t->check_logs;
};

subtest 'log_format = json' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
	$t->start("[global]\nlog_format = json\n\n[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n");
	is(get($t, '/j1?a=1', ua => 'json "quoted" \\ agent')->{status}, 200, 'request 1');
	is(get($t, '/j2')->{status}, 200, 'request 2');
	$t->wait_for(sub { $t->access_log =~ /j2/ }, 5, 'both are logged');
	my @l = split /\n/, $t->access_log;
	is(scalar @l, 2, 'two lines');
	my @j = map { my $l = $_; eval { JSON::PP->new->decode($l) } } @l;
	is(scalar(grep { ref eq 'HASH' } @j), 2, 'each is valid JSON') or diag(join "\n", @l);
	my $j = $j[0] // {};
	is_deeply([ sort keys %$j ], [ sort qw(time client user method target protocol
	    status bytes referer user_agent request_time upstream upstream_status
	    upstream_time tls cache stream) ], 'with the documented keys');
	is($j->{client}, '127.0.0.1', 'client');
	is($j->{user}, undef, 'user: null without auth_basic');
	is($j->{method}, 'GET', 'method');
	is($j->{target}, '/j1?a=1', 'target');
	is($j->{protocol}, 'HTTP/1.1', 'protocol');
	is($j->{status}, 200, 'status');
	is($j->{user_agent}, 'json "quoted" \\ agent', 'user_agent, escaped and decoded back');
	is($j->{upstream}, $be->{addr}, 'upstream');
	is($j->{upstream_status}, 200, 'upstream_status');
	my $j2 = $j[1] // {};
	is($j2->{target}, '/j2', 'line 2: target');
	is($j2->{status}, 200, 'line 2: status');
	is($j2->{upstream_status}, 200, 'line 2: upstream_status');
	is($j2->{upstream}, $be->{addr}, 'line 2: upstream');
	$t->check_logs;
};

done_testing;
