# A server that accepts requests and never answers is routed around: an
# idempotent request without a body is tried on another server after
# upstream_header_timeout, the timeouts count toward max_fails, so the
# server is marked down and later requests do not wait for it at all; a
# POST with a body is not sent twice (504); retry_timeout still bounds
# the retries, and a configuration that leaves no room for a retry after
# the head timeout is warned about.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

# Reads requests and never answers.
sub silent {
	my ($c) = @_;
	$c->read_request or return;
	$c->read_until_eof(30);
}

# Answers the first request of a connection ("F", keep-alive), then
# falls silent on it.
sub flaky {
	my ($c) = @_;
	$c->read_request or return;
	$c->respond(200, body => "F\n") or return;
	$c->read_request or return;
	$c->read_until_eof(30);
}

my $t = Test::Frontd->new;
my $mute = $t->raw_backend(handler => \&silent);
my $mute2 = $t->raw_backend(handler => \&silent);
my $mute3 = $t->raw_backend(handler => \&silent);
my $flaky = $t->raw_backend(handler => \&flaky);
my $good = $t->app_backend(name => 'G');
$t->start(<<"EOF");
[upstream app]
server = $mute->{addr}
server = $good->{addr}
upstream_header_timeout = 300ms
max_fails = 2
fail_timeout = 30s

[upstream post]
server = $mute2->{addr}
server = $good->{addr}
upstream_header_timeout = 300ms
max_fails = 0

[upstream tight]
server = $mute3->{addr}
server = $good->{addr}
upstream_header_timeout = 300ms
retry_timeout = 200ms
max_fails = 0

[upstream pooled]
server = $flaky->{addr}
server = $good->{addr}
upstream_header_timeout = 300ms
max_fails = 1
fail_timeout = 30s

[route post]
path = /post
upstream = post

[route pooled]
path = /pooled
upstream = pooled

[route tight]
path = /tight
upstream = tight

[route all]
upstream = app
EOF

subtest 'GET: every request gets 200, the silent server is marked down' => sub {
	my (@took, @bad);
	for my $i (1 .. 8) {
		my $t0 = time;
		my $r = $t->get("/g$i", timeout => 5);
		push @took, time - $t0;
		push @bad, "$i: " . $r->summary unless $r->status == 200 && $r->content eq "G\n";
	}
	is_deeply(\@bad, [], 'all 8 get 200 from the server that answers');
	my @slow = grep { $_ >= 0.28 } @took;
	is(scalar @slow, 2, 'two of them waited for upstream_header_timeout (max_fails = 2)')
	    or diag(join ' ', map { sprintf '%.2f', $_ } @took);
	is(scalar($t->received_requests($mute)), 2, 'the silent server got those two, once each');
	ok(!grep({ $_ >= 0.25 } @took[4 .. 7]), 'the last four did not wait at all')
	    or diag(join ' ', map { sprintf '%.2f', $_ } @took);
	like($t->error_log, qr/^$ts warn worker\[\d+\]: conn=\d+ 127\.0\.0\.1:\d+ upstream app server \Q$mute->{addr}\E: header timeout: 300ms$/m,
	    'each timeout is logged with the server');
	like($t->error_log, qr/^$ts warn worker\[\d+\]: upstream app server \Q$mute->{addr}\E is down for 30s: header timeout: 300ms \(2 failures in 30s\)$/m,
	    'the server is marked down by passive checks');
};

subtest 'POST with a body: not sent twice' => sub {
	my %st;
	for my $i (1 .. 2) {
		my $t0 = time;
		my $r = $t->get("/post/$i", method => 'POST', body => "body $i",
		    headers => [ 'X-Seq' => $i ], timeout => 5);
		$st{$r->status}{$i} = time - $t0;
	}
	is_deeply([ sort keys %st ], [ 200, 504 ], 'one POST went to the silent server: 504, the other 200');
	my ($i504) = keys %{ $st{504} // {} };
	$i504 //= 0;
	cmp_ok($st{504}{$i504} // 0, '>=', 0.28, 'after upstream_header_timeout');
	my @to_mute = map { $_->{headers}{'x-seq'}[0] } $t->received_requests($mute2);
	is_deeply(\@to_mute, [ $i504 ], 'the silent server got it');
	my @to_good = grep { $_ eq $i504 }
	    map { $_->{headers}{'x-seq'}[0] // '' } $t->received_requests($good);
	is_deeply(\@to_good, [], 'the other server did not');
};

subtest 'a pooled connection that stops answering counts too' => sub {
	my (@took, @got);
	for my $i (1 .. 6) {
		my $t0 = time;
		my $r = $t->get("/pooled/$i", timeout => 5);
		push @took, time - $t0;
		push @got, $r->status . ' ' . $r->content;
	}
	is_deeply([ sort @got ], [ "200 F\n", ("200 G\n") x 5 ],
	    'all get 200: one from the flaky server, the rest from the other')
	    or diag(explain \@got);
	is(scalar(grep { $_ >= 0.28 } @took), 1, 'one waited for the timeout')
	    or diag(join ' ', map { sprintf '%.2f', $_ } @took);
	is($t->connections($flaky), 1, 'the flaky server was reached on one connection');
	is(scalar($t->received_requests($flaky)), 2, 'with two requests: none after the timeout');
	like($t->error_log, qr/upstream pooled server \Q$flaky->{addr}\E is down for 30s: header timeout: 300ms/,
	    'marked down');
};

subtest 'retry_timeout over before the head timeout: no retry' => sub {
	my %st;
	$st{ $t->get("/tight/$_", timeout => 5)->status }++ for 1 .. 2;
	is_deeply(\%st, { 200 => 1, 504 => 1 }, 'the request sent to the silent server gets 504');
	like($t->error_log, qr/warning: \[upstream tight\] waits 300ms for a response head, not less than its retry_timeout \(200ms\): a request to a server that does not answer is never tried on another/,
	    'the configuration was warned about');
};

my $conf = $t->spew($t->dir . '/defaults.conf', <<"EOF");
[listener x]
address = 127.0.0.1:1

[upstream app]
server = $good->{addr}
server = $mute->{addr}

[upstream short]
server = $good->{addr}
server = $mute->{addr}
retry_timeout = 10s

[route app]
upstream = app

[route short]
path = /short/
upstream = short
EOF
my ($code, $out, $err) = $t->run_frontd('-t', '-c', $conf);
is($code, 0, 'frontd -t: ok');
my @warn = split /\n/, $err;
is(scalar @warn, 1, 'one warning') or diag($err);
like($warn[0] // '', qr/^\Q$conf\E:11: warning: \[upstream short\] waits 15s for a response head, not less than its retry_timeout \(10s\)/,
    'for retry_timeout = 10s with the default head timeout, at its line; none for the defaults');

$t->check_logs;
done_testing;
