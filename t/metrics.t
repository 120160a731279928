# The metrics route (metrics = on): Prometheus text that promtool accepts
# (# HELP and # TYPE for every family), per route, per upstream and per
# server series that count known traffic, a down server's gauges, the
# response-time histogram, the cache, reloads and respawns, and values that
# a reload keeps while a renamed route starts a series of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $ok = $t->backend(body => 'fine', delay => 0.1);
my $nf = $t->backend(status => 404, body => 'nothing here');
my $bad = $t->backend(status => 500, body => 'broken');
my $hot = $t->backend(body => 'cached',
    headers => { 'Cache-Control' => 'max-age=60' });
my $dead = '127.0.0.1:' . $t->port;	# nothing listens there

sub conf {
	my (%o) = @_;
	my $api = $o{api} // 'api';
	my %r = (
	    metrics => "[route metrics]\npath = /metrics\nmetrics = on\n",
	    api => "[route $api]\npath = /api/\nupstream = ok\n",
	    nf => "[route nf]\npath = /nf/\nupstream = nf\n",
	    bad => "[route bad]\npath = /bad/\nupstream = bad\n",
	    gone => "[route gone]\npath = /gone/\nupstream = gone\n",
	    hot => "[route hot]\npath = /hot/\nupstream = hot\ncache = on\n",
	    extra => "[route extra]\npath = /extra/\nupstream = ok\n",
	);
	my @order = @{ $o{order} // [qw(metrics api nf bad gone hot)] };
	return <<"CONF" . join("\n", map { $r{$_} } @order);
[global]
workers = 2
cache_size = 8M

[upstream ok]
server = $ok->{addr}

[upstream nf]
server = $nf->{addr}

[upstream bad]
server = $bad->{addr}

[upstream hot]
server = $hot->{addr}

[upstream gone]
server = $dead
server = $ok->{addr} backup
health_check = tcp
health_interval = 100ms
fall = 1

CONF
}

# The page as (hash of "name{labels}" => value, text).
sub scrape {
	my ($tt) = @_;
	my $r = ($tt // $t)->get('/metrics');
	my %m;
	diag('GET /metrics: ' . $r->status . "\n" . $r->content)
	    unless $r->status == 200;
	for (split /\n/, $r->content) {
		next if /^#/;
		$m{$1} = $2 if /^(.+) (\S+)$/;
	}
	return (\%m, $r->content);
}

sub code { "frontd_route_requests_total{route=\"$_[0]\",code=\"$_[1]\"}" }

$t->start(conf());

subtest 'every family has # HELP and # TYPE' => sub {
	my ($m, $text) = scrape();
	my (%help, %type, %fam);
	for (split /\n/, $text) {
		if (/^# HELP (\S+) \S/) {
			$help{$1}++;
		} elsif (/^# TYPE (\S+) (counter|gauge|histogram)$/) {
			$type{$1} = $2;
		} elsif (/^([a-z_]+)/) {
			my $f = $1;
			$f =~ s/_(bucket|sum|count)$// unless exists $type{$f};
			$fam{$f}++;
		}
	}
	my @bare = grep { !$help{$_} || !$type{$_} } sort keys %fam;
	is("@bare", '', 'no series without # HELP and # TYPE');
	my @notot = grep { $type{$_} eq 'counter' && !/_total$/ } keys %type;
	is("@notot", '', 'counters end in _total');
	for my $f (qw(frontd_route_requests_total
	    frontd_route_request_duration_seconds frontd_upstream_responses_total
	    frontd_upstream_failures_total frontd_server_up frontd_server_state
	    frontd_server_backup frontd_server_active_connections
	    frontd_server_responses_total frontd_server_failures_total
	    frontd_server_response_duration_seconds frontd_tls_handshakes_total
	    frontd_reloads_total frontd_reload_failures_total
	    frontd_worker_respawns_total frontd_requests_limited_total
	    frontd_cache_hits_total)) {
		ok($type{$f}, "$f is there");
	}
	is($type{frontd_route_request_duration_seconds}, 'histogram',
	    'the route durations are a histogram');
};

subtest 'requests per route by status class, per upstream and server' => sub {
	is($t->get("/api/$_")->status, 200, "GET /api/$_: 200") for 1 .. 3;
	is($t->get("/nf/$_")->status, 404, "GET /nf/$_: 404") for 1 .. 2;
	is($t->get('/bad/1')->status, 500, 'GET /bad/1: 500');
	my ($m) = scrape();
	is($m->{ code('api', '2xx') }, 3, 'route api: 3 x 2xx');
	is($m->{ code('api', '4xx') }, 0, 'route api: no 4xx');
	is($m->{ code('nf', '4xx') }, 2, 'route nf: 2 x 4xx');
	is($m->{ code('bad', '5xx') }, 1, 'route bad: 1 x 5xx');
	is($m->{'frontd_upstream_responses_total{upstream="nf",code="4xx"}'}, 2,
	    'upstream nf: 2 x 4xx');
	is($m->{"frontd_server_responses_total{upstream=\"bad\",server=\"$bad->{addr}\",code=\"5xx\"}"},
	    1, 'server of bad: 1 x 5xx');
	my $h = 'frontd_route_request_duration_seconds';
	is($m->{"${h}_count{route=\"api\"}"}, 3,
	    'histogram count: the 3 requests');
	is($m->{"${h}_bucket{route=\"api\",le=\"+Inf\"}"}, 3, '+Inf bucket: 3');
	is($m->{"${h}_bucket{route=\"api\",le=\"0.05\"}"}, 0,
	    'none under 50 ms (the backend waits 100 ms)');
	is($m->{"${h}_bucket{route=\"api\",le=\"2.5\"}"}, 3, 'all under 2.5 s');
	cmp_ok($m->{"${h}_sum{route=\"api\"}"}, '>=', 0.3,
	    'sum: 3 x 100 ms at least');
	my $s = 'frontd_server_response_duration_seconds';
	is($m->{"${s}_count{upstream=\"ok\",server=\"$ok->{addr}\"}"}, 3,
	    'server histogram count: the 3 requests');
};

subtest 'a down server: gauges' => sub {
	my $k = "{upstream=\"gone\",server=\"$dead\"";
	$t->wait_for(sub { ((scrape())[0]{"frontd_server_up$k}"} // '') eq '0' },
	    10, 'frontd_server_up is 0 once the health check fails');
	my ($m) = scrape();
	is($m->{"frontd_server_state$k,state=\"down\"}"}, 1, 'state down: 1');
	is($m->{"frontd_server_state$k,state=\"up\"}"}, 0, 'state up: 0');
	$k = "{upstream=\"gone\",server=\"$ok->{addr}\"}";
	is($m->{"frontd_server_up$k"}, 1, 'the backup server is up');
	is($m->{"frontd_server_backup$k"}, 1, 'and is a backup');
	is($m->{"frontd_server_active_connections{upstream=\"ok\",server=\"$ok->{addr}\"}"},
	    0, 'no request in progress on ok');
};

subtest 'an upstream failure is charged to its server' => sub {
	my $t2 = Test::Frontd->new;
	$t2->start(<<"CONF");
[upstream gone]
server = $dead

[route metrics]
path = /metrics
metrics = on

[route all]
upstream = gone
CONF
	is($t2->get('/x')->status, 502, 'a refused connection: 502');
	my ($m) = scrape($t2);
	is($m->{"frontd_server_failures_total{upstream=\"gone\",server=\"$dead\"}"},
	    1, 'the server has 1 failure');
	is($m->{'frontd_upstream_failures_total{upstream="gone"}'}, 1,
	    'its upstream too');
	is($m->{ code('all', '5xx') }, 1, 'the route answered one 5xx');
	$t2->check_logs;
};

subtest 'cache hits' => sub {
	is($t->get('/hot/a')->content, 'cached', "GET /hot/a: $_") for 1 .. 3;
	my ($m) = scrape();
	is($m->{frontd_cache_hits_total}, 2, 'two hits after the miss');
	is($m->{frontd_cache_misses_total}, 1, 'one miss');
};

subtest 'promtool check metrics' => sub {
	my ($dir) = grep { -x "$_/promtool" } split /:/, $ENV{PATH} // '';
	plan skip_all => 'promtool is not installed' unless $dir;
	my ($m, $text) = scrape();
	my $f = $t->dir . '/metrics.txt';
	$t->spew($f, $text);
	my $out = `"$dir/promtool" check metrics < "$f" 2>&1`;
	is($?, 0, 'promtool check metrics: exit 0') or diag($out);
	is($out, '', 'no lint problem') or diag($out);
};

subtest 'a reload keeps every series; a renamed route starts anew' => sub {
	my ($m0) = scrape();
	ok($t->reload(conf(order => [qw(extra hot gone bad nf api metrics)])),
	    'reload with the routes in another order and one more');
	my ($m1) = scrape();
	for my $k (code('api', '2xx'), code('nf', '4xx'), code('bad', '5xx'),
	    'frontd_route_request_duration_seconds_count{route="api"}',
	    'frontd_upstream_responses_total{upstream="nf",code="4xx"}') {
		is($m1->{$k}, $m0->{$k}, "$k: still $m0->{$k}");
	}
	is($m1->{frontd_reloads_total}, 1, 'frontd_reloads_total: 1');
	is($m1->{ code('extra', '2xx') }, 0, 'the new route starts at 0');
	is($t->get('/api/4')->status, 200, 'GET /api/4');
	is((scrape())[0]{ code('api', '2xx') }, 4, 'route api counts on: 4');

	ok($t->reload(conf(api => 'api2')), 'reload with api renamed api2');
	my ($m2) = scrape();
	ok(!exists $m2->{ code('api', '2xx') }, 'the series of api is gone');
	is($m2->{ code('api2', '2xx') }, 0, 'api2 starts at 0');
	is($t->get('/api/5')->status, 200, 'GET /api/5');
	is((scrape())[0]{ code('api2', '2xx') }, 1, 'api2 counts it');

	ok($t->reload(conf()), 'reload with api back');
	is((scrape())[0]{ code('api', '2xx') }, 4, 'api has its 4 again');
};

subtest 'a reload that needs a larger zone copies the values' => sub {
	# 300 servers more than the 256 slots frontd started with.
	my $many = "[upstream many]\n"
	    . join('', map { "server = 127.0.0.1:" . (20000 + $_) . "\n" } 1 .. 300)
	    . "\n[route many]\npath = /many/\nupstream = many\n";
	ok($t->reload(conf() . "\n$many"), 'reload with 300 servers more');
	my ($m) = scrape();
	is($m->{ code('api', '2xx') }, 4, 'route api still has 4');
	is($m->{ code('many', '2xx') }, 0, 'the new route is there');
	is(scalar(grep { /^frontd_server_up\{upstream="many"/ } keys %$m), 300,
	    'with its 300 servers');
	is($t->get('/api/6')->status, 200, 'GET /api/6');
	is((scrape())[0]{ code('api', '2xx') }, 5, 'and counts on: 5');
	ok($t->reload(conf()), 'reload without them');
	is((scrape())[0]{ code('api', '2xx') }, 5, 'api still has 5');
};

subtest 'a refused reload is counted' => sub {
	$t->write_config(conf() . "\n[route broken]\nupstream = nosuch\n");
	$t->signal('HUP');
	$t->wait_for(sub {
		((scrape())[0]{frontd_reload_failures_total} // 0) == 1 },
	    10, 'frontd_reload_failures_total: 1');
	is((scrape())[0]{frontd_reloads_total}, 5,
	    'frontd_reloads_total stays 5');
	$t->write_config(conf());
};

subtest 'a killed worker is counted' => sub {
	my ($w) = $t->workers;
	kill 'KILL', $w;
	$t->wait_for(sub {
		((scrape())[0]{frontd_worker_respawns_total} // 0) == 1 },
	    10, 'frontd_worker_respawns_total: 1');
};

$t->check_logs(allow => [qr/reload refused|nosuch|not defined/,
    qr/worker \d+ .*(signal|killed|died)|signal 9|respawn/]);
done_testing;
