# The process tree: one master, N workers and one health checker with exact
# titles; the pid file; a request proxied and logged; workers drop
# privileges when the master runs as root.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Cwd qw(abs_path);
use POSIX qw(WNOHANG);
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $be = $t->backend(body => "hello from the backend\n");
$t->start(<<"EOF", global => "workers = 2");
[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
my $m = $t->master_pid;
my $port = $t->{port};

$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5,
    'two workers and one checker come up');
my @kids = $t->children;
is(scalar @kids, 3, 'the master has exactly three children')
    or diag(join "\n", map { "$_: " . $t->title($_) } @kids);

my $conf = $t->conf;
my $title = $t->title($m);
ok($title eq "frontd: master process $conf"
    || $title eq "frontd: master process " . abs_path($conf),
    'master title names the absolute config path') or diag("title: '$title'");
for my $w ($t->workers) {
	is($t->title($w), 'frontd: worker process', "worker $w title");
}
for my $c ($t->checker) {
	is($t->title($c), 'frontd: health checker', "checker $c title");
}

like($t->slurp($t->pid_file), qr/^$m\n?\z/, 'pid file holds the master pid');
my @stat = split ' ', $t->slurp("/proc/$m/stat") =~ s/^.*\)\s*//sr;
is($stat[3], $m, 'the daemonized master leads its own session');

my $r = $t->get('/tree?x=1');
is($r->status, 200, 'request through frontd: 200') or diag($r->summary);
is($r->content, "hello from the backend\n", 'the body is the backend\'s');

# 127.0.0.1 - - [22/Nov/2026:18:44:19 +0000] "GET / HTTP/1.1" 200 1234 "-"
#     "curl/7.88.1" rt=0.002 ua=127.0.0.1:9000 us=200 ut=0.001
my $access = qr{^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] }
    . qr{"GET /tree\?x=1 HTTP/1\.1" 200 \d+ "-" "frontd-test" }
    . qr{rt=\d+\.\d{3} ua=\Q$be->{addr}\E us=200 ut=\d+\.\d{3}$};
$access = qr/$access/m;
$t->wait_for(sub { $t->access_log =~ $access }, 5, 'access log has the request line')
    or diag("access log:\n" . $t->access_log);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
like($t->error_log,
    qr/^$ts notice master\[$m\]: frontd \S+ started: 2 workers, listening on 127\.0\.0\.1:$port$/m,
    'startup line in the error log') or diag($t->error_log);

# A second master on the same configuration is refused; the first goes on.
{
	my @before = $t->children;
	my ($code, $out, $err) = $t->run_frontd('-c', $conf);
	is($code, 1, 'a second frontd on the same configuration: exit 1');
	like($err, qr/\S/, 'and says why on stderr');
	note("second master: $err");
	like($t->slurp($t->pid_file), qr/^$m\n?\z/, 'the pid file still names the first master');
	is_deeply([ $t->children ], \@before, 'its children are untouched');
	is($t->get('/again')->summary, "200 hello from the backend\n", 'it still serves');
}

# Stop: every process goes, the master says so.
my @all = ($m, $t->children);
ok($t->stop, 'TERM stops the master and all children');
ok(!grep({ $t->alive($_) } @all), 'no process of the tree is left');
like($t->error_log, qr/^$ts notice master\[$m\]: master exiting$/m, 'exit line in the error log');
# The second master's complaint may land in the shared error log.
$t->check_logs(allow => [ qr/cannot listen on 127\.0\.0\.1:$port: Address already in use|already running/ ]);

subtest 'frontd -f stays in the foreground and logs to stderr' => sub {
	my $f = Test::Frontd->new;
	my $be = $f->backend(body => "foreground\n");
	$f->start("[upstream app]\nserver = $be->{addr}\n[route all]\nupstream = app\n",
	    foreground => 1);
	my $pid = $f->foreground_pid;
	is($f->master_pid, $pid, 'the pid file names the frontd -f process');
	my $session = sub { (split ' ', $f->slurp("/proc/$_[0]/stat") =~ s/^.*\)\s*//sr)[3] };
	is($session->($pid), $session->($$), 'it stays in the session of the test');
	is($f->get('/')->summary, "200 foreground\n", 'it serves');
	like($f->slurp($f->foreground_stderr), qr/ notice master\[$pid\]: frontd \S+ started: 1 workers?, /,
	    'the error log goes to stderr');
	ok(!-s $f->dir . '/error.log', 'and not to the error_log file');
	ok($f->signal('TERM'), 'TERM sent');
	my $status;
	$f->wait_for(sub { waitpid($pid, WNOHANG) == $pid and do { $status = $?; 1 } }, 10,
	    'frontd -f exits');
	is($status, 0, 'with status 0');
	$f->check_logs;
};

SKIP: {
	skip 'privilege drop needs root', 1 unless $> == 0;
	my @pw = getpwnam('nobody');
	skip 'no user nobody', 1 unless @pw;
	my ($uid, $gid) = @pw[2, 3];

	subtest 'workers and checker run as nobody, the master as root' => sub {
		my $u = Test::Frontd->new;
		my $dir = $u->dir;
		my $be2 = $u->backend(body => "as nobody\n");
		# Logs in a directory the master must create for the workers.
		$u->start(<<"EOF", user => 'nobody', global => "workers = 2\naccess_log = $dir/log/access.log\nerror_log = $dir/log/error.log");
[upstream app]
server = $be2->{addr}

[route all]
upstream = app
EOF
		my $um = $u->master_pid;
		$u->wait_for(sub { $u->workers == 2 && $u->checker == 1 }, 5,
		    'two workers and one checker');
		like($u->proc_status($um)->{Uid}, qr/^0\s+0\s+0\s+0$/, 'master runs as root');
		for my $p ($u->workers, $u->checker) {
			my $st = $u->proc_status($p);
			my $what = $u->title($p) . " $p";
			like($st->{Uid}, qr/^$uid\s+$uid\s+$uid\s+$uid$/, "$what: uid nobody");
			like($st->{Gid}, qr/^$gid\s+$gid\s+$gid\s+$gid$/, "$what: gid of nobody");
			unlike(" $st->{Groups} ", qr/\s0\s/, "$what: not in group root")
			    or diag("Groups: $st->{Groups}");
		}
		my $r = $u->get('/nobody');
		is($r->status, 200, 'request served by a worker running as nobody')
		    or diag($r->summary);
		is($r->content, "as nobody\n", 'backend body');
		$u->wait_for(sub { $u->access_log =~ m{"GET /nobody HTTP/1\.1" 200 } }, 5,
		    'the worker writes the access log the master created');
		my @st = stat("$dir/log/access.log");
		ok(@st, 'the access log exists') and
		    is($st[4], $uid, 'the access log belongs to nobody');
		$u->check_logs;
	};
}

done_testing;
