# frontdctl and the master's control socket: every command against a real
# frontd; drain, ready, maint and weight seen in the traffic at once and
# kept by a reload unless the file changed that server; reload's outcome;
# --json that parses; and refusals: a wrong command, a server that is not
# there, a user who may look but not change, one who cannot connect.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use JSON::PP ();
use POSIX ();
use Test::More;
use Time::HiRes ();
use Test::Frontd;

my $t = Test::Frontd->new;
my $DIR = $t->dir;
my $CTL = $ENV{builddir} ? "$ENV{builddir}/ctl/frontdctl"
    : dirname($t->frontd) . "/../ctl/frontdctl";
plan skip_all => "frontdctl not built at $CTL" unless -x $CTL;

my @be = map { $t->backend(body => "b$_") } 1 .. 2;
my $cb = $t->backend(body => 'cached',
    headers => { 'Cache-Control' => 'max-age=300' });
my $SOCK = "$DIR/frontd.sock";

sub config {
	my (%o) = @_;
	my $w1 = $o{w1} // 1;
	my $g = $o{global} // "";
	return <<"EOF";
[global]
cache_size = 4M
$g
[upstream app]
server = $be[0]{addr} weight=$w1
server = $be[1]{addr}

[upstream cached]
server = $cb->{addr}

[upstream checked]
server = $cb->{addr}
health_check = GET /
health_interval = 100ms

[route c]
path = /c
upstream = cached
cache = on

[route metrics]
path = /metrics
metrics = on

[route all]
upstream = app
EOF
}

# frontdctl as a child: (exit code, stdout, stderr). opts: uid and gid to
# switch to first (the test runs as root), args before the command.
my $nrun = 0;
sub ctl {
	my @args = @_;
	my $o = ref $args[0] eq 'HASH' ? shift @args : {};
	my ($out, $err) = map { "$DIR/ctl" . ++$nrun . ".$_" } qw(out err);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>', $err or POSIX::_exit(127);
		if (defined $o->{uid}) {
			$) = "$o->{gid} $o->{gid}";
			$( = $o->{gid};
			POSIX::setuid($o->{uid}) or POSIX::_exit(126);
			POSIX::_exit(126) if $> != $o->{uid} || $) + 0 != $o->{gid};
		}
		my @loc = defined $o->{uid} ? ('-s', $SOCK) : ('-c', $t->conf);
		{ no warnings "exec"; exec $CTL, @loc, @args; }
		POSIX::_exit(127);
	}
	$t->track($pid);
	waitpid($pid, 0);
	my $code = $? >> 8;
	my @r = ($code, $t->slurp($out), $t->slurp($err));
	unlink $out, $err;
	return @r;
}

sub json {
	my ($text) = @_;
	my $v = eval { JSON::PP->new->decode($text) };
	diag("not JSON: $@\n$text") unless $v;
	return $v;
}

# n requests: which backend answered how often.
sub split_of {
	my ($n) = @_;
	my %n;
	$n{ $t->get('/')->content }++ for 1 .. $n;
	return \%n;
}

sub server_json {
	my ($name) = @_;
	my ($rc, $out) = ctl('--json', 'show', 'servers');
	my $v = json($out) or return {};
	my ($s) = grep { "$_->{upstream}/$_->{server}" eq $name }
	    @{ $v->{servers} };
	return $s // {};
}

$t->start(config());
my $m = $t->master_pid;
my ($A, $B) = map { "app/$_->{addr}" } @be;

subtest 'the socket' => sub {
	ok(-S $SOCK, 'the control socket is beside the pid file');
	is((stat $SOCK)[2] & 07777, 0600, 'root only by default (0600)');
	my ($rc, $out, $err) = ctl('help');
	is($rc, 0, 'help: exit 0') or diag($err);
	like($out, qr/^show servers \[UPSTREAM\]$/m, 'help lists the commands');
};

subtest 'show servers, text and JSON' => sub {
	my ($rc, $out, $err) = ctl('show', 'servers');
	is($rc, 0, 'exit 0') or diag($err);
	like($out, qr/^SERVER\s+STATE\s+WEIGHT\s+ACTIVE\s+REQUESTS/m,
	    'a header line');
	like($out, qr/^\Q$A\E\s+up\s+1\s/m, 'server 1 is up, weight 1');
	like($out, qr/^\Q$B\E\s+up\s+1\s/m, 'server 2 is up, weight 1');
	($rc, $out) = ctl('show', 'servers', 'cached');
	unlike($out, qr/^app\//m, 'show servers UPSTREAM shows only it');
	like($out, qr/^cached\//m, '... and all of it');
	($rc, $out, $err) = ctl('show', 'servers', 'nope');
	is($rc, 1, 'an unknown upstream: exit 1');
	like($err, qr/^frontdctl: no upstream "nope"$/m, '... and says so');
	split_of(4);
	my $s = server_json($A);
	is($s->{state}, 'up', 'JSON: state');
	is($s->{weight}, 1, 'JSON: weight');
	is($s->{requests}, 2, 'JSON: the requests it was sent');
	is($s->{admin_state}, undef, 'JSON: nothing set at run time');
	ok(exists $s->{active} && exists $s->{check} && exists $s->{since},
	    'JSON: active connections, last check, since');
};

subtest 'drain, maint, ready and weight take effect at once' => sub {
	my ($rc, $out, $err) = ctl('drain', $A);
	is($rc, 0, 'drain: exit 0') or diag($err);
	like($out, qr/^\Q$A\E: drain \(was up\), set at run time$/m,
	    'drain: says what changed');
	is_deeply(split_of(6), { b2 => 6 }, 'a drained server gets no new '
	    . 'request');
	($rc, $out) = ctl('show', 'servers', 'app');
	like($out, qr/^\Q$A\E\s+drain\s.*drain set at run time \(file: ready\)/m,
	    'show servers says it differs from the file');
	is(server_json($A)->{admin_state}, 'drain', 'JSON: admin_state');
	like($t->error_log, qr/notice master\[$m\]: upstream app server \Q$be[0]{addr}\E set to drain by uid 0 through the control socket \(was up\)/,
	    'the change is logged');

	($rc, $out) = ctl('ready', $A);
	like($out, qr/^\Q$A\E: up \(was drain\)$/m, 'ready: as the file says');
	is_deeply(split_of(6), { b1 => 3, b2 => 3 }, 'ready: it is back');

	($rc, $out) = ctl('weight', $A, 3);
	is($rc, 0, 'weight: exit 0');
	like($out, qr/^\Q$A\E: weight 3 \(was 1\), set at run time$/m,
	    'weight: says what changed');
	is_deeply(split_of(8), { b1 => 6, b2 => 2 }, 'weight 3:1 splits '
	    . 'the requests 6:2');
	my $s = server_json($A);
	is_deeply([ @$s{qw(weight file_weight admin_weight)} ], [ 3, 1, 3 ],
	    'JSON: weight, file_weight, admin_weight');

	($rc, $out) = ctl('maint', $B);
	like($out, qr/^\Q$B\E: maint \(was up\), set at run time$/m, 'maint');
	is_deeply(split_of(4), { b1 => 4 }, 'a server in maint gets nothing');
	is(server_json($B)->{state}, 'maint', 'JSON: state maint');
	my $m = $t->get('/metrics')->content;
	like($m, qr/^frontd_server_state\{upstream="app",server="\Q$be[1]{addr}\E",state="maint"\} 1$/m,
	    'the metrics say maint too');
	like($m, qr/^frontd_server_state\{upstream="app",server="\Q$be[0]{addr}\E",state="unknown"\} 1$/m,
	    'and not checked (no health_check) for the other');
};

subtest 'maint stops the health checks, drain does not' => sub {
	my $S = "checked/$cb->{addr}";
	my $at = sub { server_json($S)->{check}{at} // 0 };
	$t->wait_for(sub { $at->() > 0 }, 5, 'the server is checked');
	ctl('maint', $S);
	Time::HiRes::sleep(0.2);	# a check under way may still end
	my $t0 = $at->();
	Time::HiRes::sleep(0.5);	# five intervals: no check may come
	is($at->(), $t0, 'no check while in maint');
	ctl('drain', $S);
	$t->wait_for(sub { $at->() > $t0 }, 5, 'checked again while drained');
	ctl('ready', $S);
};

subtest 'a reload keeps what was set unless the file changed the server'
    => sub {
	ok($t->reload(config()), 'reload with the same servers');
	is_deeply(split_of(4), { b1 => 4 }, 'maint is kept');
	is(server_json($A)->{weight}, 3, 'the weight is kept');
	ok($t->reload(config(w1 => 2)), 'reload: the file changes server 1');
	my $s = server_json($A);
	is_deeply([ @$s{qw(weight admin_weight)} ], [ 2, undef ],
	    'the file wins for the server it changed');
	is(server_json($B)->{state}, 'maint', '... not for the other one');
	like($t->error_log, qr/upstream app server \Q$be[0]{addr}\E: the reloaded file changed it, so what was set at run time is dropped/,
	    'the drop is logged');
	ctl('ready', $B);
	ctl('weight', $A, 1);
	is_deeply(split_of(6), { b1 => 3, b2 => 3 }, 'both in service again');
};

subtest 'refusals' => sub {
	my ($rc, $out, $err) = ctl('frobnicate');
	is($rc, 1, 'an unknown command: exit 1');
	like($err, qr/^frontdctl: unknown command "frobnicate" \(try help\)$/m,
	    '... and says so');
	($rc, $out, $err) = ctl('drain', 'app/127.0.0.1:1');
	like($err, qr/^frontdctl: no server "app\/127\.0\.0\.1:1"/m,
	    'a server that is not there');
	($rc, $out, $err) = ctl('drain', $be[0]{addr});
	like($err, qr/bad server .*expected UPSTREAM\/HOST:PORT/,
	    'a server without its upstream');
	($rc, $out, $err) = ctl('weight', $A, 0);
	like($err, qr/bad weight "0" \(expected a number from 1 to 1000\)/,
	    'a bad weight');
	($rc, $out, $err) = ctl('drain');
	like($err, qr/^frontdctl: usage: drain UPSTREAM\/HOST:PORT$/m,
	    'a missing argument');
};

subtest 'show workers, generations, stats' => sub {
	my ($rc, $out, $err) = ctl('show', 'workers');
	is($rc, 0, 'show workers: exit 0') or diag($err);
	my @w = $t->workers;
	my @c = $t->checker;
	like($out, qr/^$w[0]\s+worker\s+0\s+\d+\s+running\s/m,
	    'the worker');
	like($out, qr/^$c[0]\s+checker\s/m, 'the checker');
	($rc, $out) = ctl('--json', 'show', 'workers');
	my $v = json($out);
	is(scalar(grep { $_->{role} eq 'worker' } @{ $v->{processes} }), 1,
	    'JSON: one worker');
	($rc, $out) = ctl('show', 'generations');
	like($out, qr/^generation \d+: running, 2 processes: \d+ \d+$/m,
	    'show generations: the running one');
	($rc, $out) = ctl('--json', 'show', 'generations');
	$v = json($out);
	is($v->{reloading}, JSON::PP::false, 'JSON: no reload under way');
	($rc, $out) = ctl('show', 'stats');
	my ($n) = $out =~ /^requests (\d+)$/m;
	ok($n && $n >= 30, "show stats: requests ($n)") or diag($out);
	($rc, $out) = ctl('--json', 'show', 'stats');
	$v = json($out);
	ok($v->{counters}{requests} >= $n, 'JSON: counters');
};

subtest 'cache stats and purge' => sub {
	my $url = "http://127.0.0.1:$t->{port}/c/x";
	$t->get('/c/x');
	like($t->get('/c/x')->header('cache-status'), qr/hit/,
	    'stored, then a hit');
	$t->get('/c/y');
	my ($rc, $out, $err) = ctl('cache', 'stats');
	is($rc, 0, 'cache stats: exit 0') or diag($err);
	like($out, qr/^entries 2$/m, 'two entries');
	($rc, $out) = ctl('cache', 'purge', $url);
	is($out, "purged 1\n", 'purge a URL');
	unlike($t->get('/c/x')->header('cache-status'), qr/hit/,
	    'it is fetched again');
	($rc, $out) = ctl('--json', 'cache', 'purge',
	    "http://127.0.0.1:$t->{port}/c/*");
	is(json($out)->{purged}, 2, 'purge a prefix (JSON)');
	($rc, $out) = ctl('--json', 'cache', 'stats');
	is(json($out)->{entries}, 0, 'JSON cache stats: empty');
};

subtest 'reload through the socket' => sub {
	my @old = $t->workers;
	my ($rc, $out, $err) = ctl('reload');
	is($rc, 0, 'reload: exit 0') or diag($err);
	is($out, "reload ok: no change\n", 'reload ok, as frontd -s reload says');
	$t->wait_for(sub { !grep { $t->alive($_) } @old }, 10,
	    'the old worker is gone');
	$t->write_config(config() . "[route bad]\nupstream = nowhere\n");
	my $line = $t->line_of(qr/^upstream = nowhere/);
	($rc, $out, $err) = ctl('reload');
	is($rc, 1, 'a refused reload: exit 1');
	like($err, qr/^frontdctl: reload failed:\n.*frontd\.conf:$line: /m,
	    '... with the errors at their line') or diag($err);
	($rc, $out, $err) = ctl('--json', 'reload');
	is($rc, 1, 'JSON: exit 1 too');
	like($err, qr/"reload":"failed"/, 'JSON: the outcome');
	$t->write_config(config());
};

subtest 'permissions' => sub {
	my ($nobody, $nogroup, $daemon) = (scalar(getpwnam('nobody')),
	    scalar(getgrnam('nogroup')), scalar(getgrnam('daemon')));
	plan skip_all => 'needs root and users nobody, groups nogroup and '
	    . 'daemon' unless $t->is_root && defined $nobody &&
	    defined $nogroup && defined $daemon;
	my %nobody = (uid => $nobody, gid => $nogroup);
	my ($rc, $out, $err) = ctl(\%nobody, 'show', 'servers');
	is($rc, 1, 'another user cannot connect to a 0600 socket');
	like($err, qr/^frontdctl: cannot connect to \Q$SOCK\E: Permission denied$/m,
	    '... and is told why');

	ok($t->reload(config(global => 'control_socket_mode = 0666')),
	    'reload: control_socket_mode = 0666');
	is((stat $SOCK)[2] & 07777, 0666, 'the mode follows the file');
	($rc, $out, $err) = ctl(\%nobody, 'show', 'servers');
	is($rc, 0, 'another user may look') or diag($err);
	($rc, $out, $err) = ctl(\%nobody, 'drain', $A);
	is($rc, 1, 'but not change');
	is($err, "frontdctl: permission denied: drain needs root\n",
	    'a clear refusal');
	($rc, $out, $err) = ctl(\%nobody, 'reload');
	like($err, qr/permission denied: reload needs root/, 'nor reload');
	is(server_json($A)->{state}, 'up', 'nothing changed');

	ok($t->reload(config(global => "control_socket_mode = 0660\n"
	    . "control_socket_group = daemon")), 'reload: a group');
	is((stat $SOCK)[5], $daemon, 'the socket belongs to the group');
	($rc, $out, $err) = ctl(\%nobody, 'drain', $A);
	is($rc, 1, 'outside the group: no connection');
	($rc, $out, $err) = ctl({ uid => $nobody, gid => $daemon }, 'drain',
	    $A);
	is($rc, 0, 'a member of the group may change') or diag($err);
	is_deeply(split_of(4), { b2 => 4 }, '... and it takes effect');
	ctl('ready', $A);
	ok($t->reload(config(global => "control_socket_mode = 0666\n"
	    . "control_socket_group = daemon")), 'reload: 0666 and a group');
	($rc, $out, $err) = ctl(\%nobody, 'maint', $A);
	is($err, "frontdctl: permission denied: maint needs root or group "
	    . "daemon\n", 'the refusal names the group');
	like($t->error_log, qr/control socket: maint refused to uid $nobody/,
	    'a refusal is logged');
};

subtest 'off, and the socket removed at exit' => sub {
	ok($t->reload(config(global => 'control_socket = off')),
	    'reload: control_socket = off');
	ok(!-e $SOCK, 'the socket is gone');
	my ($rc, $out, $err) = ctl('show', 'stats');
	like($err, qr/control_socket is off/, 'frontdctl says so');
	ok($t->reload(config(global => "control_socket = $DIR/other.sock")),
	    'reload: another path');
	ok(-S "$DIR/other.sock", 'the socket is there');
	($rc, $out) = ctl('show', 'stats');
	is($rc, 0, 'frontdctl finds it through the configuration');
	$t->stop;
	ok(!-e "$DIR/other.sock", 'removed when frontd stops');
};

$t->check_logs;
done_testing;
