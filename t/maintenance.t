# Maintenance mode (frontd.conf(5), Maintenance): a route or an upstream
# with maintenance = on answers 503 with the admin's page and Retry-After;
# maintenance_allow addresses still get the site; the cache never stores
# the 503; switching it on and off by reload fails no request.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

sub seen_by {
	my ($t, $be) = @_;
	return scalar(() = $t->slurp("$be->{rec}") =~ /^[A-Z]+ \S+ HTTP/mg);
}

subtest 'a route in maintenance, and who still gets in' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "live\n");
	my $page = $t->dir . '/maint.html';
	$t->spew($page, "<h1>Back at noon</h1>\n");
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route shop]
path = /shop
maintenance = on
maintenance_allow = 127.0.0.2
maintenance_page = $page
maintenance_retry_after = 2m
upstream = app

[route other]
upstream = app
EOF
	my $r = $t->get('/shop/cart');
	is($r->status, 503, 'maintenance: 503');
	like($r->content, qr/Back at noon/, "the admin's page");
	is($r->header('retry-after'), '120', 'Retry-After from maintenance_retry_after');
	like($r->header('content-type') // '', qr{text/html}, 'as HTML');
	is($r->header('cache-control'), 'no-store', 'no cache keeps it');
	is($t->get('/shop/cart', method => 'HEAD')->status, 503, 'HEAD too');
	$r = $t->get('/shop/cart', from => '127.0.0.2');
	is($r->status, 200, 'maintenance_allow: the site works');
	is($r->content, "live\n", 'from the server');
	is($t->get('/elsewhere')->status, 200, 'another route is not affected');
	is(seen_by($t, $be), 2, 'the 503s reached no server');
	# Keep-alive: the 503 does not end the connection.
	my $c = $t->raw_client;
	$c->write("GET /shop/a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	$c->wait_closed(5);
	my @st = $c->buffer =~ m{^HTTP/1\.1 (\d+)}mg;
	is_deeply(\@st, [ 503, 200 ], 'a request behind the 503 is served');
	$c->close;
	$t->check_logs;
};

subtest 'an upstream in maintenance; defaults and [global]' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "live\n");
	my $ep = $t->dir . '/503.html';
	$t->spew($ep, "<p>our 503 page</p>\n");
	$t->start(<<"EOF");
[global]
error_page = 503 $ep
maintenance_allow = 127.0.0.3

[upstream app]
server = $be->{addr}
maintenance = on

[route a]
path = /a
upstream = app

[route b]
upstream = app
EOF
	for my $p ('/a', '/b') {
		my $r = $t->get($p);
		is($r->status, 503, "$p: its upstream is in maintenance");
		like($r->content, qr/our 503 page/, '  error_page 503 stands in for a page');
		is($r->header('retry-after'), '300', '  Retry-After defaults to 5 minutes');
	}
	is($t->get('/a', from => '127.0.0.3')->status, 200,
	    'maintenance_allow of [global] holds');
	$t->check_logs;
};

subtest 'the cache keeps what it had and never stores the 503' => sub {
	my $t = Test::Frontd->new;
	my $n = 0;
	my $be = $t->raw_backend(headers => [ 'Cache-Control' => 'max-age=60' ],
	    body => sub { "fresh\n" });
	my $conf = sub {
		my ($on) = @_;
		return <<"EOF";
[global]
cache_size = 8M

[upstream app]
server = $be->{addr}

[route all]
cache = on
maintenance = $on
upstream = app
EOF
	};
	$t->start($conf->('off'));
	is($t->get('/page')->content, "fresh\n", 'stored while live');
	ok($t->reload($conf->('on')), 'reload: maintenance on');
	my $r = $t->get('/page');
	is($r->status, 503, 'maintenance comes before the cache');
	ok($t->reload($conf->('off')), 'reload: maintenance off');
	$r = $t->get('/page');
	is($r->status, 200, 'back');
	is($r->content, "fresh\n", 'with the stored page, not the 503');
	is(seen_by($t, $be), 1, 'served from the cache, stored once');
	$t->check_logs;
};

subtest 'switching by reload fails no request' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->raw_backend(body => "live\n");
	my $conf = sub {
		return <<"EOF";
[global]
workers = 2

[upstream app]
server = $be->{addr}

[route all]
maintenance = $_[0]
upstream = app
EOF
	};
	$t->start($conf->('off'));
	my $pid = open(my $kid, '-|') // die "fork: $!";
	if (!$pid) {
		my %seen;
		my $until = time + 4;
		while (time < $until) {
			my $s = $t->get('/x', timeout => 5)->status;
			$seen{$s}++;
			select(undef, undef, undef, 0.01);
		}
		print join(' ', map { "$_=$seen{$_}" } sort keys %seen), "\n";
		exit 0;
	}
	for my $on (qw(on off on off)) {
		select(undef, undef, undef, 0.5);
		ok($t->reload($conf->($on)), "reload: maintenance $on");
	}
	my $out = <$kid>;
	close $kid;
	chomp $out;
	note("statuses: $out");
	my %seen = map { split /=/ } split / /, $out;
	ok($seen{200} && $seen{503}, 'both answers seen');
	is_deeply([ sort grep { $_ != 200 && $_ != 503 } keys %seen ], [],
	    'and nothing else: no failed request');
	$t->check_logs;
};

subtest 'mistakes are errors at their line' => sub {
	my $t = Test::Frontd->new;
	for my $case ([ "maintenance = maybe", 'maintenance' ],
	    [ "maintenance_allow = 10.0.0.0/40", 'maintenance_allow' ],
	    [ "maintenance_page = /nonexistent/page.html", 'maintenance_page' ],
	    [ "maintenance_retry_after = 10ms", 'maintenance_retry_after' ]) {
		$t->route_key_refused(@$case);
	}
};

done_testing;
