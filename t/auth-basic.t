# Basic authentication (frontd.conf(5), auth_basic): a route's (or its
# listener's) htpasswd file lets users in; anything else gets 401 with the
# challenge, on a connection that stays open, logged with the user and
# never the password. Authorization stays at frontd unless
# pass_proxy_authorization; $remote_user and the access log name the
# user. A keep-alive client costs one crypt, not one per request. The
# file is read by the master: -t reports its errors by line, a reload
# reads it again.
use strict;
use warnings;
use FindBin;
use JSON::PP ();
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(encode_base64);
use Test::More;
use Test::Frontd;

# Hashes made here, as htpasswd -B and mkpasswd would.
my @SALT = ('.', '/', 0 .. 9, 'A' .. 'Z', 'a' .. 'z');
sub salt { join '', map { $SALT[int rand @SALT] } 1 .. $_[0] }

sub bcrypt {
	my ($pass, $cost) = @_;
	my $h = crypt($pass, sprintf('$2b$%02d$%s', $cost // 5, salt(22)));
	plan skip_all => "this libcrypt makes no bcrypt hash"
	    unless defined $h && $h =~ /^\$2b\$/;
	return $h;
}

sub sha512 { crypt($_[0], '$6$' . salt(16) . '$') }

sub basic { ('Authorization' => 'Basic ' . encode_base64($_[0], '')) }

# A backend that says what it was told: the user frontd names, and any
# Authorization that reached it.
sub echo_backend {
	my ($t) = @_;
	return $t->raw_backend(body => sub {
		my ($q) = @_;
		my $auth = join ',', @{ $q->{headers}{authorization} // [] };
		my $user = join ',', @{ $q->{headers}{'x-user'} // [] };
		return "path=$q->{target} user=$user auth=$auth\n";
	});
}

sub seen_by {
	my ($t, $be) = @_;
	return scalar(() = $t->slurp("$be->{rec}") =~ /^[A-Z]+ \S+ HTTP/mg);
}

subtest 'users in, everyone else 401, logged without the password' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $file = $t->dir . '/htpasswd';
	$t->spew($file, "# admins\nalice:" . bcrypt('wonder land')
	    . "\nbob:" . sha512('b0b') . "\nann lee:" . bcrypt('a') . "\n");
	$t->start(<<"EOF");
[upstream app]
server = $be->{addr}

[route admin]
path = /admin
auth_basic = Admin "zone" \\ 1
auth_basic_file = $file
set_request_header = X-User: \$remote_user
upstream = app

[route open]
upstream = app
EOF
	my $r = $t->get('/admin/x');
	is($r->status, 401, 'no credentials: 401');
	is($r->header('www-authenticate'),
	    'Basic realm="Admin \\"zone\\" \\\\ 1", charset="UTF-8"',
	    'the challenge names the realm, quotes escaped');
	like($r->content, qr/401 Unauthorized/, 'with a small page');
	$r = $t->get('/admin/x', headers => [ basic('alice:wonder land') ]);
	is($r->status, 200, 'the right password: 200');
	like($r->content, qr/^path=\/admin\/x user=alice auth=$/m,
	    '$remote_user is alice; Authorization did not reach the backend');
	$r = $t->get('/admin/y', headers => [ basic('bob:b0b'),
	    'X-User' => 'root' ]);
	like($r->content, qr/user=bob auth=$/m,
	    'a sha512-crypt user; the client cannot name itself');
	$r = $t->get('/admin/space', headers => [ basic('ann lee:a') ]);
	like($r->content, qr/user=ann lee auth=$/m, 'a name with a space');
	my %refused = (
	    'wrong password' => [ basic('alice:wonderland') ],
	    'unknown user' => [ basic('mallory:wonder land') ],
	    'another scheme' => [ Authorization => 'Bearer abc.def' ],
	    'malformed base64' => [ Authorization => 'Basic YWxpY2U6!!==' ],
	    'no colon' => [ basic('alice') ],
	    'two fields' => [ basic('alice:wonder land'),
		basic('alice:wonder land') ],
	);
	for my $what (sort keys %refused) {
		$r = $t->get('/admin/z', headers => $refused{$what});
		is($r->status, 401, "$what: 401");
		like($r->header('www-authenticate') // '', qr/^Basic realm=/,
		    "$what: with the challenge");
	}
	is($t->get('/open')->status, 200, 'a route without auth_basic: open');
	is($t->get('/open', headers => [ basic('x:y') ])->content,
	    "path=/open user= auth=Basic eDp5\n",
	    'and Authorization passes there');
	is(seen_by($t, $be), 5, 'no refused request reached the backend');
	my $log = $t->error_log;
	like($log, qr/127\.0\.0\.1 401: bad password for user alice in route admin/,
	    'a wrong password is logged with the user');
	like($log, qr/127\.0\.0\.1 401: unknown user mallory in route admin/,
	    'an unknown user too');
	like($log, qr/401: other scheme in route admin/, 'another scheme');
	like($log, qr/401: bad base64 in route admin/, 'malformed base64');
	like($log, qr/401: several Authorization fields in route admin/,
	    'two fields');
	unlike($log, qr/no credentials/, 'no credentials: not at info');
	unlike($log, qr/wonderland|wonder land|b0b/, 'no password in the log');
	like($t->access_log, qr/^127\.0\.0\.1 - alice \[.*"GET \/admin\/x HTTP\/1\.1" 200 /m,
	    'the access log names the user');
	like($t->access_log, qr/^127\.0\.0\.1 - ann\\x20lee \[.*"GET \/admin\/space /m,
	    'a space in it escaped, so the fields stay in place');
	like($t->access_log, qr/^127\.0\.0\.1 - - \[.*"GET \/admin\/z HTTP\/1\.1" 401 /m,
	    'and no user for a 401');
	$t->check_logs;
};

subtest '401 keeps the connection; a keep-alive client costs one crypt' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $file = $t->dir . '/htpasswd';
	$t->spew($file, 'alice:' . bcrypt('secret', 10) . "\n");
	$t->start(<<"EOF", global => "log_level = debug");
[upstream app]
server = $be->{addr}

[route all]
auth_basic = Staff
auth_basic_file = $file
upstream = app
EOF
	my $c = $t->raw_client or die "connect: $!";
	my $head = "Host: t\r\n";
	$c->write("GET /a HTTP/1.1\r\n$head\r\n");
	my $r = $c->read_response;
	is($r && $r->{status}, 401, 'no credentials: 401');
	ok(!$c->closed, 'the connection stays open');
	my $auth = 'Authorization: Basic ' . encode_base64('alice:secret', '')
	    . "\r\n";
	my $ok = 0;
	for my $i (1 .. 50) {
		$c->write("GET /k$i HTTP/1.1\r\n$head$auth\r\n");
		$r = $c->read_response;
		$ok++ if $r && $r->{status} == 200;
	}
	is($ok, 50, '50 requests with credentials on the same connection: 200');
	$c->close;
	my $log = $t->error_log;
	is(scalar(() = $log =~ /user alice verified \(crypt\)/g), 1,
	    'one crypt for the connection');
	is(scalar(() = $log =~ /user alice verified \(cached\)/g), 49,
	    'the other requests were verified from the cache');
	like($log, qr/401: no credentials in route all/,
	    'no credentials: said at debug');
	$c = $t->raw_client or die "connect: $!";
	$c->write("POST /p HTTP/1.1\r\n${head}Content-Length: 5\r\n\r\nhel");
	$r = $c->read_response;
	is($r && $r->{status}, 401, 'a POST without credentials: 401');
	ok($c->wait_closed(5), 'its body is not read: the connection closes');
	$c->close;
	is(seen_by($t, $be), 50, 'only the requests let in reached the backend');
	$t->check_logs;
};

subtest 'a rate_limit bounds password guessing: no hash past it' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $file = $t->dir . '/htpasswd';
	$t->spew($file, 'alice:' . bcrypt('secret', 4) . "\n");
	$t->start(<<"EOF", global => "log_level = debug");
[upstream app]
server = $be->{addr}

[route all]
auth_basic = Staff
auth_basic_file = $file
rate_limit = 6r/m burst=2
upstream = app
EOF
	my @st = map {
	    $t->get("/g$_", headers => [ basic("alice:guess$_") ])->status
	} 1 .. 8;
	is_deeply(\@st, [ 401, 401, 401, (429) x 5 ],
	    'three guesses are checked, the rest refused by the limit');
	my $log = $t->error_log;
	is(scalar(() = $log =~ /401: bad password for user alice/g), 3,
	    'only the three were hashed and logged');
	is(seen_by($t, $be), 0, 'nothing reached the backend');
	$t->check_logs;
	$t->route_key_refused('rate_limit = 5r/s key=$remote_user',
	    'remote_user is not known');
};

subtest 'pass_proxy_authorization; the user in the JSON log' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $file = $t->dir . '/htpasswd';
	$t->spew($file, 'carol:' . bcrypt('pw') . "\n");
	$t->start(<<"EOF", global => "log_format = json");
[upstream app]
server = $be->{addr}

[route all]
auth_basic = Staff
auth_basic_file = $file
pass_proxy_authorization = on
upstream = app
EOF
	my $r = $t->get('/a', headers => [ basic('carol:pw') ]);
	is($r->content, "path=/a user= auth=Basic " . encode_base64('carol:pw', '')
	    . "\n", 'pass_proxy_authorization = on: the backend gets it');
	$t->get('/b');
	my @j = map { JSON::PP->new->decode($_) } split /\n/, $t->access_log;
	is($j[0]{user}, 'carol', 'JSON: "user" names the user');
	ok(exists $j[1]{user} && !defined $j[1]{user},
	    'and is null without one');
	$t->check_logs;
};

subtest 'listener-level auth_basic, inherited; route off and its own' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my ($site, $ops) = map { $t->dir . "/$_" } qw(site ops);
	$t->spew($site, 'dave:' . bcrypt('d') . "\n");
	$t->spew($ops, 'erin:' . bcrypt('e') . "\n");
	my $port = $t->port;
	$t->start(<<"EOF");
[listener test]
address = 127.0.0.1:$port
auth_basic = Site
auth_basic_file = $site

[upstream app]
server = $be->{addr}

[route health]
path = /health
auth_basic = off
return = 200 fine

[route ops]
path = /ops
auth_basic = Ops
auth_basic_file = $ops
upstream = app

[route all]
upstream = app
EOF
	my $r = $t->get('/x');
	is($r->status, 401, 'a route that sets nothing takes the listener\'s');
	like($r->header('www-authenticate'), qr/realm="Site"/, 'its realm');
	is($t->get('/x', headers => [ basic('dave:d') ])->status, 200,
	    'and its users');
	is($t->get('/health')->status, 200, 'auth_basic = off: open');
	$r = $t->get('/ops', headers => [ basic('dave:d') ]);
	is($r->status, 401, 'a route with its own file: the listener\'s '
	    . 'users are not its users');
	like($r->header('www-authenticate'), qr/realm="Ops"/, 'its own realm');
	is($t->get('/ops', headers => [ basic('erin:e') ])->status, 200,
	    'its own users get in');
	$t->check_logs;
};

subtest 'reload reads the file again; a bad one keeps the old' => sub {
	my $t = Test::Frontd->new;
	my $be = echo_backend($t);
	my $file = $t->dir . '/htpasswd';
	my $link = $t->dir . '/htpasswd.link';
	$t->spew($file, 'frank:' . bcrypt('one') . "\n");
	symlink($file, $link) or die "symlink: $!";
	my $conf = <<"EOF";
[upstream app]
server = $be->{addr}

[route all]
auth_basic = Staff
auth_basic_file = $link
upstream = app
EOF
	$t->start($conf);
	is($t->get('/', headers => [ basic('frank:one') ])->status, 200,
	    'a symbolic link to the file is followed');
	$t->spew($file, 'frank:' . bcrypt('two') . "\n");
	is($t->get('/', headers => [ basic('frank:two') ])->status, 401,
	    'a changed file means nothing before a reload');
	ok($t->reload($conf), 'reload');
	is($t->get('/', headers => [ basic('frank:two') ])->status, 200,
	    'after it, the new password');
	is($t->get('/', headers => [ basic('frank:one') ])->status, 401,
	    'and not the old one');
	$t->spew($file, 'frank:' . bcrypt('three') . "\nold:\$apr1\$x\$y\n");
	$t->signal('HUP');
	$t->wait_for(sub { $t->error_log =~ /reload refused/
	    && $t->error_log =~ /htpasswd\.link:2: user "old" has an MD5/ }, 10,
	    'a bad file on reload is refused, with its line');
	is($t->get('/', headers => [ basic('frank:two') ])->status, 200,
	    'the running configuration keeps its users');
	$t->check_logs;
};

subtest 'frontd -t' => sub {
	my $t = Test::Frontd->new;
	my $d = $t->dir;
	my $conf = sub { "[upstream app]\nserver = 127.0.0.1:9\n\n[route all]\n"
	    . "$_[0]upstream = app\n" };
	$t->spew("$d/bad", "ok:" . bcrypt('x') . "\ncarol:\$apr1\$abcdefgh\$"
	    . "0123456789abcdefghijkl\n");
	$t->write_config($conf->("auth_basic = R\nauth_basic_file = $d/bad\n"));
	my $line = $t->line_of(qr/^auth_basic_file/);
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	is($code, 1, 'an apr1 entry: refused');
	is($err, $t->conf . ":$line: auth_basic_file $d/bad:2: user \"carol\" "
	    . "has an MD5 (apr1) hash, which is refused: make a bcrypt one "
	    . "with htpasswd -B $d/bad carol\n",
	    'naming the file, its line and how to make a bcrypt one');

	$t->spew("$d/empty", "# nobody yet\n");
	$t->write_config($conf->("auth_basic = R\nauth_basic_file = $d/empty\n"));
	$line = $t->line_of(qr/^auth_basic_file/);
	($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	is($code, 0, 'a file without users loads');
	is($err, $t->conf . ":$line: warning: auth_basic_file $d/empty has "
	    . "no users: every request there gets 401\n", 'with a warning');

	$t->write_config($conf->("auth_basic = R\n"));
	$line = $t->line_of(qr/^auth_basic =/);
	($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	is($err, $t->conf . ":$line: auth_basic in [route all] needs "
	    . "auth_basic_file\n", 'a realm without a file');

	$t->write_config($conf->("auth_basic = R\nauth_basic_file = $d/none\n"));
	($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	like($err, qr/auth_basic_file \Q$d\E\/none: cannot open: No such file/,
	    'a missing file');

	$t->write_config($conf->("auth_basic = R\nauth_basic_file = rel\n"));
	($code, $out, $err) = $t->run_frontd('-t', '-c', $t->conf);
	like($err, qr/bad auth_basic_file "rel" in \[route all\] \(expected an absolute path\)/,
	    'a relative path');
};

done_testing;
