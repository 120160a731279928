# Persistent connections: several requests and pipelining on one client
# connection, HTTP/1.0 keep-alive, keepalive_requests and
# keepalive_timeout; upstream connections reused (or not, keepalive = 0),
# a pooled connection closed by the backend never seen by the client, and
# an idempotent request retried once when a reused connection fails.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd qw(parse_responses header_tokens);
use Time::HiRes qw(time);

my $H = "Host: test.example\r\n";

sub config {
	my ($be, %o) = @_;
	return ($o{global} ? "[global]\n$o{global}\n" : '')
	    . "[upstream app]\nserver = $be->{addr}\n" . ($o{upstream} // '')
	    . "\n[route all]\nupstream = app\n";
}

sub has_close {
	my ($r) = @_;
	return scalar grep { $_ eq 'close' } header_tokens($r, 'connection');
}

# n client connections, m requests each (the last with Connection: close):
# the number of 200 answers with the right body.
sub requests {
	my ($t, $n, $m, $tag) = @_;
	my $ok = 0;
	for my $i (1 .. $n) {
		my $c = $t->raw_client or next;
		for my $j (1 .. $m) {
			my $close = $j == $m ? "Connection: close\r\n" : '';
			$c->write("GET /$tag/$i/$j HTTP/1.1\r\n$H$close\r\n");
			my $r = $c->read_response(timeout => 5) or last;
			$ok++ if $r->{status} == 200 && $r->{body} eq "ok /$tag/$i/$j\n";
			diag("/$tag/$i/$j: $r->{status} $r->{body}")
			    unless $r->{status} == 200;
		}
		$c->close;
	}
	return $ok;
}

subtest 'client keep-alive, pipelining, HTTP/1.0, upstream reuse' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
	$t->start(config($be));

	my $c = $t->raw_client;
	for my $i (1 .. 5) {
		$c->write("GET /k$i HTTP/1.1\r\n$H\r\n");
		my $r = $c->read_response(timeout => 5) // {};
		is($r->{body}, "ok /k$i\n", "request $i on one connection answered");
		ok(!has_close($r), "without Connection: close") if $i == 1;
	}
	ok(!$c->closed, 'the connection is still open');
	$c->close;

	my ($out, $closed) = $t->raw_request("GET /p1 HTTP/1.1\r\n$H\r\n"
	    . "GET /p2 HTTP/1.1\r\n$H\r\n"
	    . "GET /p3 HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @r = parse_responses($out);
	is_deeply([ map { $_->{body} } @r ], [ "ok /p1\n", "ok /p2\n", "ok /p3\n" ],
	    '3 pipelined requests in one write are answered in order')
	    or diag($out);
	ok($closed, 'and the connection closes after the last');

	($out) = $t->raw_request("GET /q1 HTTP/1.1\r\n$H\r\n"
	    . "HEAD /q2 HTTP/1.1\r\n$H\r\n"
	    . "GET /q3 HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	@r = parse_responses($out, methods => [qw(GET HEAD GET)]);
	is_deeply([ map { "$_->{status} $_->{body}" } @r ],
	    [ "200 ok /q1\n", "200 ", "200 ok /q3\n" ],
	    'pipelined GET, HEAD, GET') or diag($out);

	($out, $closed) = $t->raw_request("GET /h10 HTTP/1.0\r\n$H\r\n");
	my ($r) = parse_responses($out);
	is($r->{body}, "ok /h10\n", 'HTTP/1.0 without keep-alive: answered');
	ok(has_close($r), 'with Connection: close') or diag($r->{head});
	ok($closed, 'and the connection is closed');

	$c = $t->raw_client;
	$c->write("GET /ka1 HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n");
	$r = $c->read_response(timeout => 5) // {};
	is($r->{body}, "ok /ka1\n", 'HTTP/1.0 with Connection: keep-alive: answered');
	is($r->{framing}, 'length', 'with a Content-Length') or diag($r->{head});
	ok((grep { $_ eq 'keep-alive' } header_tokens($r, 'connection')),
	    'and Connection: keep-alive') or diag($r->{head});
	ok(!$c->wait_closed(0.5), 'the connection stays open');
	$c->write("GET /ka2 HTTP/1.0\r\n${H}\r\n");
	$r = $c->read_response(timeout => 5) // {};
	is($r->{body}, "ok /ka2\n", 'a second request on it is answered');
	ok($c->wait_closed(3), 'which, without keep-alive, closes it');

	my $before = $t->connections($be);
	my $nreq = () = $t->received_requests($be);
	is(requests($t, 4, 5, 'reuse'), 20, '20 requests over 4 client connections: 200');
	my $used = $t->connections($be) - $before;
	# One client at a time: pooled connections carry all of them.
	cmp_ok($used, '<=', 4, "reach the backend over at most 4 connections ($used)");
	is(scalar(() = $t->received_requests($be)) - $nreq, 20, 'the backend got 20 requests');
	$t->check_logs;
};

subtest 'keepalive_requests = 3, keepalive_timeout = 1s, upstream keepalive = 0' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => sub { "ok $_[0]{target}\n" });
	$t->start(config($be, global => "keepalive_requests = 3\nkeepalive_timeout = 1s",
	    upstream => "keepalive = 0\n"));

	my $c = $t->raw_client;
	for my $i (1 .. 3) {
		$c->write("GET /n$i HTTP/1.1\r\n$H\r\n");
		my $r = $c->read_response(timeout => 5) // {};
		is($r->{body}, "ok /n$i\n", "request $i answered");
		if ($i < 3) {
			ok(!has_close($r), "response $i: no Connection: close");
		} else {
			ok(has_close($r), 'the 3rd response says Connection: close')
			    or diag($r->{head});
		}
	}
	ok($c->wait_closed(3), 'and the connection closes after the 3rd');

	$c = $t->raw_client;
	$c->write("GET /idle HTTP/1.1\r\n$H\r\n");
	my $r = $c->read_response(timeout => 5) // {};
	is($r->{body}, "ok /idle\n", 'a request, then idle');
	my $t0 = time;
	ok($c->wait_closed(5), 'the idle connection is closed');
	my $dt = time - $t0;
	ok($dt > 0.7 && $dt < 3, sprintf 'after keepalive_timeout (%.2f s)', $dt);

	my $before = $t->connections($be);
	is(requests($t, 10, 2, 'nokeep'), 20, '20 requests over 10 client connections: 200');
	is($t->connections($be) - $before, 20, 'with keepalive = 0: 20 upstream connections');
	$t->check_logs;
};

subtest 'a pooled connection closed by the backend is never an error' => sub {
	my $t = Test::Frontd->new;
	# Serves one request as if keep-alive, then closes without a word.
	my $be = $t->raw_backend(handler => sub {
		my ($c) = @_;
		my $q = $c->read_request or return;
		$c->respond(200, body => "ok $q->{target}\n");
	});
	$t->start(config($be));
	is(requests($t, 2, 5, 'gone'), 10, '10 requests over 2 client connections: all 200');
	$t->check_logs;
};

subtest 'a GET failing on a reused connection is retried once' => sub {
	my $t = Test::Frontd->new;
	# Serves the first request keep-alive; on the second, closes unanswered.
	my $be = $t->raw_backend(handler => sub {
		my ($c) = @_;
		my $q = $c->read_request or return;
		$c->respond(200, body => "ok $q->{target}\n") or return;
		$c->read_head;
		$c->note('closed on a second request');
	});
	$t->start(config($be));
	my $c = $t->raw_client;
	$c->write("GET /r1 HTTP/1.1\r\n$H\r\n");
	my $r = $c->read_response(timeout => 5) // {};
	is($r->{body}, "ok /r1\n", 'the first request: 200');
	$c->write("GET /r2 HTTP/1.1\r\n$H\r\n");
	$r = $c->read_response(timeout => 5) // {};
	is($r->{status}, 200, 'the second gets 200') or diag($c->buffer);
	is($r->{body}, "ok /r2\n", 'from a fresh connection');
	my @conn = $t->received_by_connection($be);
	is(scalar @conn, 2, 'the backend saw 2 connections');
	like($conn[0] // '', qr{GET /r1 .*GET /r2 }s, 'the first carried /r1, then /r2 (reused)');
	like($conn[1] // '', qr{\AGET /r2 }, 'the second carried the retry');

	# A POST is not retried (RFC 9112 9.3.1): the reused connection (the
	# second one) fails, the client gets 502, the backend saw it once.
	$c->write("POST /r3 HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nx");
	$r = $c->read_response(timeout => 5) // {};
	is($r->{status}, 502, 'a POST failing on a reused connection: 502')
	    or diag($r->{raw} // $c->buffer);
	my $n = () = $t->received($be) =~ m{POST /r3 }g;
	is($n, 1, 'the POST reached the backend once');
	$t->check_logs(allow => [ qr/\Q$be->{addr}\E/ ]);
};

done_testing;
