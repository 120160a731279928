# The status route (status = on): an HTML page with its sections and live
# values after some traffic, a down server shown down, the same data as
# JSON (by ?json and by Accept) with the documented keys, names from the
# configuration escaped in both, HEAD, the auto-refresh and ?refresh=0,
# the access rules in front of it, and -t refusing bad uses of the key.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use JSON::PP;
use IO::Socket::INET;

my $t = Test::Frontd->new;
my $ok = $t->backend(body => 'fine', delay => 0.05);
my $nf = $t->backend(status => 404, body => 'nothing here');
my $hot = $t->backend(body => 'cached',
    headers => { 'Cache-Control' => 'max-age=60' });
my $dead = '127.0.0.1:' . $t->port;	# nothing listens there

# Text from the configuration that HTML and JSON must escape: section
# names cannot hold any, but a health check's error names its
# health_expect text.
my $odd = qq{<b>&"x'\x{e9}\\};
my $odd_conf = $odd;
utf8::encode($odd_conf);

$t->start(<<"CONF");
[global]
workers = 2
cache_size = 8M

[upstream app]
server = $ok->{addr}

[upstream nf]
server = $nf->{addr}

[upstream hot]
server = $hot->{addr}

[upstream gone]
server = $dead
server = $ok->{addr} backup
health_check = tcp
health_interval = 100ms
fall = 1

[route status]
path = /status
status = on
allow = 127.0.0.1
deny = all

[upstream picky]
server = $ok->{addr}
health_check = GET /
health_expect = $odd_conf
health_interval = 100ms
fall = 1

[route api]
path = /api/
upstream = app

[route nf]
path = /nf/
upstream = nf

[route hot]
path = /hot/
upstream = hot
cache = on

[route gone]
path = /gone/
upstream = gone
CONF

sub status_json {
	my (%o) = @_;
	my $r = $t->get($o{path} // '/status?json', %o);
	is($r->status, 200, 'status JSON: 200') or diag($r->content);
	my $j = eval { JSON::PP->new->utf8->decode($r->content) };
	ok($j, 'the JSON parses') or diag("$@\n" . $r->content);
	return ($j // {}, $r);
}

sub server_of {
	my ($j, $up, $addr) = @_;
	my ($u) = grep { $_->{name} eq $up } @{ $j->{upstreams} // [] };
	my ($s) = grep { $_->{server} eq $addr } @{ $u->{servers} // [] };
	return $s // {};
}

# Some traffic first.
is($t->get("/api/$_")->status, 200, "GET /api/$_: 200") for 1 .. 4;
is($t->get('/nf/1')->status, 404, 'GET /nf/1: 404');
is($t->get('/hot/a')->content, 'cached', "GET /hot/a: $_") for 1 .. 3;

subtest 'down servers show down' => sub {
	$t->wait_for(sub {
		my ($j) = status_json();
		(server_of($j, 'gone', $dead)->{state} // '') eq 'down' &&
		(server_of($j, 'picky', $ok->{addr})->{state} // '') eq 'down'
	    }, 10, 'the health checks mark them down');
};

subtest 'JSON: documented keys and plausible values' => sub {
	my ($j, $r) = status_json();
	like($r->header('Content-Type'), qr{^application/json}, 'Content-Type');
	is($r->header('Cache-Control'), 'no-store', 'never cached');
	is($r->header('Vary'), 'Accept', 'Vary: Accept, for HTML and JSON');
	for my $k (qw(version time started uptime_s generation reloads
	    reload_failures workers connections requests upstreams routes
	    cache tls limits)) {
		ok(exists $j->{$k}, "key $k");
	}
	is($j->{generation}, 1, 'generation 1');
	cmp_ok($j->{uptime_s}, '>=', 0, 'uptime_s');
	cmp_ok(abs($j->{time} - time), '<=', 5, 'time is now');
	cmp_ok($j->{started}, '<=', $j->{time}, 'started before now');
	is($j->{workers}{configured}, 2, 'two workers configured');
	my @p = @{ $j->{workers}{processes} };
	is(scalar @p, 2, 'two worker processes listed');
	my %live = map { $_ => 1 } $t->workers;
	ok((grep { $live{ $_->{pid} } } @p) == 2, 'with the workers\' pids')
	    or diag(explain(\@p), explain([ keys %live ]));
	ok(!$p[0]{draining} && !$p[1]{draining}, 'none draining');
	cmp_ok($j->{connections}{current}, '>=', 1,
	    'at least this connection is open');
	cmp_ok($j->{connections}{accepted}, '>=', 9, 'accepted: all so far');
	cmp_ok($j->{requests}{total}, '>=', 9, 'requests: all so far');
	cmp_ok($j->{requests}{responses}{'2xx'}, '>=', 7, '2xx so far');
	is($j->{requests}{responses}{'4xx'}, 1, 'one 4xx');
	my $s = server_of($j, 'app', $ok->{addr});
	is($s->{state}, 'up', 'app server up');
	is($s->{requests}, 4, 'app server: 4 requests');
	is($s->{responses}{'2xx'}, 4, 'app server: 4 x 2xx');
	is($s->{active}, 0, 'app server: none in progress');
	is($s->{check}, undef, 'no health check on app: check is null');
	cmp_ok($s->{response_ms}{p50}, '>=', 25, 'p50 >= 25 ms (50 ms backend)');
	cmp_ok($s->{response_ms}{p99}, '<=', 100, 'p99 within its bucket');
	my $d = server_of($j, 'gone', $dead);
	is($d->{state}, 'down', 'gone: the dead server is down');
	ok($d->{check} && defined $d->{check}{latency_ms}, 'its last check');
	ok(defined $d->{check}{last_error}, 'with its error')
	    or diag(explain($d));
	my $b = server_of($j, 'gone', $ok->{addr});
	ok($b->{backup}, 'the backup server is a backup');
	my ($rt) = grep { $_->{name} eq 'api' } @{ $j->{routes} };
	is($rt->{responses}{'2xx'}, 4, 'route api: 4 x 2xx');
	cmp_ok($rt->{duration_ms}{p50}, '>=', 25, 'route api: p50 >= 25 ms');
	my $p = server_of($j, 'picky', $ok->{addr});
	is($p->{state}, 'down', 'picky: down by its health check');
	is($p->{check}{last_error}, qq{body lacks "$odd"},
	    'its error, with <>&"\'\\ and UTF-8, intact in JSON');
	ok($j->{cache}{enabled}, 'cache enabled');
	is($j->{cache}{size_bytes}, 8 * 1024 * 1024, 'cache size');
	is($j->{cache}{hits}, 2, 'cache: 2 hits');
	is($j->{cache}{misses}, 1, 'cache: 1 miss');
	is($j->{cache}{entries}, 1, 'cache: 1 entry');
	cmp_ok($j->{cache}{used_bytes}, '>', 0, 'cache: bytes used');
	is($j->{tls}{handshakes_full}, 0, 'no TLS handshakes');
	is($j->{limits}{rate_limited}, 0, 'no request limited');
};

subtest 'requests per second over the master\'s samples' => sub {
	my $j;
	$t->wait_for(sub {
		($j) = status_json();
		defined $j->{requests}{per_second} &&
		    $j->{requests}{window_s} >= 1 }, 10, 'a rate appears');
	is($t->get("/api/r$_")->status, 200, "GET /api/r$_") for 1 .. 5;
	$t->wait_for(sub {
		($j) = status_json();
		$j->{requests}{in_window} >= 5 }, 5, 'the window counts them');
	cmp_ok($j->{requests}{per_second}, '>', 0, 'per_second > 0');
};

subtest 'open connections, all workers together' => sub {
	my @idle = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $t->{port}, Proto => 'tcp') } 1 .. 3;
	is(scalar(grep { defined } @idle), 3, 'three idle connections open');
	$t->wait_for(sub { (status_json())[0]{connections}{current} == 4 },
	    5, 'current: the three and the one asking');
	close $_ for @idle;
	$t->wait_for(sub { (status_json())[0]{connections}{current} == 1 },
	    5, 'closed: the one asking alone');
};

subtest 'Accept: application/json' => sub {
	my ($j, $r) = status_json(path => '/status',
	    headers => { Accept => 'text/html;q=0.5, application/json' });
	ok(exists $j->{upstreams}, 'JSON by Accept');
};

subtest 'HTML: sections, values, escaping, refresh' => sub {
	my $r = $t->get('/status');
	is($r->status, 200, 'GET /status: 200');
	like($r->header('Content-Type'), qr{^text/html; charset=utf-8},
	    'Content-Type text/html');
	my $h = $r->content;
	for my $s ('Server', 'Workers', 'Upstreams', 'Routes', 'Cache', 'TLS',
	    'Limits') {
		like($h, qr{<h2>\Q$s\E</h2>}, "section $s");
	}
	like($h, qr{<meta http-equiv="refresh" content="5">},
	    'refreshes every 5 s');
	unlike($h, qr{<script|<link|src=}i, 'no script, no external asset');
	like($h, qr{<h3>Upstream gone</h3>}, 'upstream gone');
	like($h, qr{<td>\Q$dead\E</td><td class="down">down</td>},
	    'the dead server is down');
	like($h, qr{<td>\Q$ok->{addr}\E</td><td class="up">up</td>},
	    'the app server is up');
	like($h, qr{<td>api</td><td>9</td>}, 'route api: 9 x 2xx');
	my $e = $odd_conf;
	$e =~ s/&/&amp;/g; $e =~ s/</&lt;/g; $e =~ s/>/&gt;/g;
	$e =~ s/"/&quot;/g; $e =~ s/'/&#39;/g;
	like($h, qr{<td>body lacks &quot;\Q$e\E&quot;</td>},
	    'the check error escaped in HTML');
	unlike($h, qr{<b>}, 'never raw');
	like($h, qr{<th>Generation</th><td>1</td>}, 'generation');
	like($h, qr{<th>Workers</th><td>2 configured, 2 running</td>},
	    'workers');
	like($h, qr{<th>Hits</th><td>2</td>}, 'cache hits');
	my $n = $t->get('/status?refresh=0')->content;
	unlike($n, qr{http-equiv="refresh"}, '?refresh=0: no refresh');
	like($n, qr{<h2>Upstreams</h2>}, 'same page otherwise');
	like($t->get('/status?refresh=30')->content,
	    qr{content="30"}, '?refresh=30');
};

subtest 'text browser' => sub {
	my ($b) = grep { my $d = $_; grep { -x "$d/$_" } qw(lynx w3m) }
	    split /:/, $ENV{PATH} // '';
	plan skip_all => 'neither lynx nor w3m is installed' unless $b;
	my $f = $t->dir . '/status.html';
	$t->spew($f, $t->get('/status?refresh=0')->content);
	my $cmd = -x "$b/lynx" ? "$b/lynx -dump -nolist" : "$b/w3m -dump";
	my $out = `$cmd "$f" 2>&1`;
	like($out, qr/Upstream gone/, 'headings readable');
	like($out, qr/\Q$dead\E.*down/, 'the down server on its row');
};

subtest 'HEAD' => sub {
	my $r = $t->get('/status', method => 'HEAD');
	is($r->status, 200, 'HEAD /status: 200');
	is($r->content, '', 'no body');
	cmp_ok($r->header('Content-Length'), '>', 1000,
	    'Content-Length of the page');
	# A HEAD frees its buffer: many in a row still get an answer.
	my $bad = grep { $t->get('/status', method => 'HEAD')->status != 200 }
	    1 .. 20;
	is($bad, 0, '20 more HEADs: all 200');
};

subtest 'the access rules protect it' => sub {
	is($t->get('/status', from => '127.0.0.2')->status, 403,
	    'from 127.0.0.2: 403');
	is($t->get('/status?json', from => '127.0.0.2')->status, 403,
	    'the JSON too');
	is($t->get('/status')->status, 200, 'from 127.0.0.1: 200');
};

subtest 'after a reload: generation 2' => sub {
	ok($t->reload, 'reload');
	my $j;
	$t->wait_for(sub {
		($j) = status_json();
		$j->{generation} == 2 &&
		    !grep { $_->{generation} < 2 } @{ $j->{workers}{processes} }
	    }, 10, 'generation 2, old workers gone')
	    or diag(explain($j->{workers}));
	is($j->{reloads}, 1, 'one reload');
	cmp_ok($j->{requests}{total}, '>=', 14, 'the counters carried over');
};

subtest '-t refuses bad uses of status' => sub {
	my $c = Test::Frontd->new;
	my ($rc, $out) = $c->test_config("[route s]\nstatus = maybe\n");
	ok($rc != 0 && $out =~ /frontd\.conf:\d+: bad status "maybe" in \[route s\]/,
	    '-t: status = maybe') or diag($out);
	($rc, $out) = $c->test_config("[upstream app]\nserver = 127.0.0.1:9\n"
	    . "\n[route s]\nstatus = on\nupstream = app\n");
	ok($rc != 0 && $out =~ /frontd\.conf:\d+: \[route s\] has more than one of upstream, redirect, return, metrics and status/,
	    '-t: status and upstream') or diag($out);
	($rc, $out) = $c->test_config("[route s]\nstatus = on\n"
	    . "compress = gzip\n");
	ok($rc != 0 && $out =~ /frontd\.conf:\d+: compress in \[route s\] does nothing on a route with status/,
	    '-t: a proxy-only key on a status route') or diag($out);
	($rc, $out) = $c->test_config("[route s]\nstatus = on\n");
	is($rc, 0, '-t: status = on alone is fine') or diag($out);
	($rc, $out) = $c->test_config("[route s]\nstatus = off\n");
	ok($rc != 0 && $out =~ /has no upstream, redirect, return, metrics or status/,
	    '-t: status = off is no action') or diag($out);
};

$t->check_logs;
done_testing;
