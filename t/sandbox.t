# The sandbox of the worker and checker processes (sandbox = on, the
# default): no_new_privs and a seccomp filter in /proc/PID/status, never in
# the master; what still works inside it (plain and TLS requests both
# ways, the cache with cache_file, compression, health checks over TLS,
# logs reopened on USR1); FRONTD_SANDBOX_SELFTEST (execve and ptrace kill
# the worker, the master logs it and starts another; reading the
# configuration is refused where the kernel has Landlock); sandbox = off;
# and what frontd -V says.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;
use Test::FrontdTLS;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);

my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;
my $KILLED = qr/was killed by the sandbox \(SIGSYS\): it made a system call outside its allow-list/;

my $T0 = Test::Frontd->new;
my ($code, $out, $err) = $T0->run_frontd('-V');
is($code, 0, 'frontd -V: exit 0') or diag($err);
like($out, qr/^sandbox: seccomp \(libseccomp \d+\.\d+\.\d+\), landlock \((?:ABI \d+ in this kernel|not available in this kernel|not built in)\)$/m,
    '-V names the sandbox: seccomp, and landlock as this kernel has it') or diag($out);
my ($LANDLOCK) = $out =~ /landlock \(ABI (\d+) in this kernel\)/;
note($LANDLOCK ? "landlock ABI $LANDLOCK" : 'no landlock in this kernel');

my $pki = Test::FrontdTLS->new($T0);
my ($HAVE_OPENSSL, $WHY_OPENSSL) = $pki->have_openssl;
my ($HAVE_CURL) = $HAVE_OPENSSL ? $pki->have_curl_tls : (0);
my ($CA, $CERT);
if ($HAVE_OPENSSL) {
	$CA = $pki->ca('ca');
	$CERT = $pki->cert('a', names => ['a.example']);
}

# NoNewPrivs and Seccomp of a process, as "1/2".
sub sandbox_of {
	my ($t, $pid) = @_;
	my $s = $t->proc_status($pid);
	return ($s->{NoNewPrivs} // '?') . '/' . ($s->{Seccomp} // '?');
}

sub app {
	my ($be) = @_;
	return "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";
}

my $TEXT = join '', map { "line $_ of a text that compresses well\n" } 1 .. 400;

subtest 'workers and checker run sandboxed, and everything still works' => sub {
	plan skip_all => "no openssl command: $WHY_OPENSSL" unless $HAVE_OPENSSL;
	my $t = Test::Frontd->new;
	my $dir = $t->dir;
	my $be = $t->backend(body => sub {
		my ($q) = @_;
		return $q->{path} =~ m{^/gz} ? $TEXT : "from the backend $q->{path}\n";
	}, headers => { 'Content-Type' => 'text/plain', 'Cache-Control' => 'max-age=60' });
	my ($tp, $pp) = ($t->port, $t->port);
	# The plain listener first: the harness sends its requests there.
	$t->start(<<"EOF", global => "workers = 2\nlog_level = debug\ncache_size = 1M\ncache_file = $dir/cache.bin");
[listener plain]
address = 127.0.0.1:$pp

[listener tls]
address = 127.0.0.1:$tp
tls = on
certificate = $CERT->{cert}
certificate_key = $CERT->{key}

[upstream app]
server = $be->{addr}

[upstream self]
server = 127.0.0.1:$tp
tls = on
tls_ca_file = $CA->{cert}
tls_name = a.example
health_check = GET /health
health_interval = 200ms
rise = 1
fall = 1

[route viatls]
listener = plain
path = /viatls
upstream = self

[route cached]
path = /cached
upstream = app
cache = on

[route gz]
path = /gz
upstream = app
compress = gzip

[route all]
upstream = app
EOF
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'two workers and a checker');
	my @kids = ($t->workers, $t->checker);
	is(sandbox_of($t, $_), '1/2', "process $_ (" . $t->title($_) . "): NoNewPrivs 1, Seccomp 2")
	    for @kids;
	is(sandbox_of($t, $m), '0/0', 'the master is not sandboxed');
	my $ll = $LANDLOCK ? qr/landlock \(ABI $LANDLOCK\)/ : qr/landlock is not available/;
	for my $pid (@kids) {
		like($t->error_log, qr/^$ts info (?:worker|checker)\[$pid\]: sandbox on: seccomp filter of \d+ system calls, $ll/m,
		    "process $pid logs that its sandbox is on");
	}

	is($t->get('/plain')->summary, "200 from the backend /plain\n", 'a plain request is proxied');

	SKIP: {
		skip 'no curl with https', 1 unless $HAVE_CURL;
		my $h = $pki->curl("https://a.example:$tp/tls", cacert => $CA->{cert},
		    resolve => ["a.example:$tp:127.0.0.1"]);
		is("$h->{status} $h->{body}", "200 from the backend /tls\n",
		    'a TLS request is proxied') or diag("$h->{cmd}: $h->{err}");
	}
	# The worker as a TLS client: plain listener -> TLS upstream (frontd's
	# own TLS listener) -> backend.
	is($t->get('/viatls/x')->summary, "200 from the backend /viatls/x\n",
	    'a request to a TLS upstream is proxied');
	$t->wait_for(sub { $t->error_log =~ /checker\[\d+\]: upstream self server 127\.0\.0\.1:$tp: check passed/ },
	    5, 'the checker runs TLS health checks');

	my $r1 = $t->get('/cached/a');
	my $r2 = $t->get('/cached/a');
	is($r2->content, $r1->content, 'the cached answer is the same');
	like($r2->header('cache-status') // '', qr/^frontd;\s*hit/, 'and a hit from the cache_file zone')
	    or diag($r2->header('cache-status'));

	my $g = $t->get('/gz', headers => { 'Accept-Encoding' => 'gzip' });
	is($g->header('content-encoding'), 'gzip', 'compression: Content-Encoding gzip');
	my $plain;
	gunzip(\$g->{content} => \$plain) or diag("gunzip: $GunzipError");
	ok(defined $plain && $plain eq $TEXT, 'and it decodes to the body');

	# USR1 in the sandbox: the logs are reopened in their directory.
	ok(rename("$dir/access.log", "$dir/access.log.1"), 'access.log moved away');
	ok(rename("$dir/error.log", "$dir/error.log.1"), 'error.log moved away');
	ok($t->signal('USR1'), 'USR1 sent');
	my $i = 0;
	$t->wait_for(sub {
		$t->get('/after/' . $i++);
		$t->access_log =~ m{"GET /after/\d+ HTTP/1\.1" 200 }
	}, 5, 'a request after USR1 is logged in the new access.log');
	$t->wait_for(sub { $t->error_log =~ /^$ts debug worker\[\d+\]: /m }, 5,
	    'a worker writes to the new error.log');
	is_deeply([ sort { $a <=> $b } $t->workers, $t->checker ], [ sort { $a <=> $b } @kids ],
	    'no process was replaced');
	unlike($t->error_log . $t->slurp("$dir/error.log.1"), $KILLED, 'none was killed by the sandbox');
	$t->check_logs;
};

# FRONTD_SANDBOX_SELFTEST=execve or ptrace: the first worker tries once it
# is sandboxed and dies; the master reports it and starts another, which
# does not try again.
for my $what (qw(execve ptrace)) {
	subtest "FRONTD_SANDBOX_SELFTEST=$what: the worker is killed and replaced" => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "still served\n");
		{
			local $ENV{FRONTD_SANDBOX_SELFTEST} = $what;
			$t->start(app($be), foreground => 1);
		}
		my $m = $t->master_pid;
		my $victim;
		$t->wait_for(sub {
			($victim) = $t->error_log =~ /^$ts error master\[$m\]: worker process (\d+) $KILLED; starting a new one in \d+ms$/m;
			$victim;
		}, 10, 'the master logs the kill as an error, with the respawn') or diag($t->error_log);
		$victim //= 0;
		like($t->error_log, qr/^$ts notice worker\[$victim\]: sandbox self-test \(FRONTD_SANDBOX_SELFTEST=$what\)/m,
		    'the worker said what it tries');
		unlike($t->error_log, qr/sandbox self-test: .*not stopped|does not hold/,
		    'nothing got through');
		my $new;
		$t->wait_for(sub { ($new) = $t->workers; $new && $new != $victim }, 5,
		    'a new worker takes its place');
		is(sandbox_of($t, $new), '1/2', 'sandboxed as well') if $new;
		is($t->get('/')->summary, "200 still served\n", 'and it serves');
		my $n = () = $t->error_log =~ /$KILLED/g;
		is($n, 1, 'only the first worker tries');
		$t->check_logs(allow => [ $KILLED ]);
	};
}

SKIP: {
	skip 'no landlock in this kernel', 1 unless $LANDLOCK;
	subtest 'FRONTD_SANDBOX_SELFTEST=open: reading the configuration is refused' => sub {
		my $t = Test::Frontd->new;
		my $be = $t->backend(body => "ok\n");
		{
			local $ENV{FRONTD_SANDBOX_SELFTEST} = 'open';
			$t->start(app($be), foreground => 1);
		}
		my $conf = $t->conf;
		$t->wait_for(sub { $t->error_log =~ /notice worker\[\d+\]: sandbox self-test: reading \Q$conf\E was refused \(Permission denied\), as it should be/ },
		    5, 'the worker cannot read the configuration file') or diag($t->error_log);
		is($t->get('/')->summary, "200 ok\n", 'and goes on serving');
		is(scalar(() = $t->workers), 1, 'it was not replaced');
		$t->check_logs;
	};
}

subtest 'sandbox = off' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "unsandboxed\n");
	{
		local $ENV{FRONTD_SANDBOX_SELFTEST} = 'open';
		$t->start(app($be), foreground => 1, global => 'sandbox = off');
	}
	my $m = $t->master_pid;
	$t->wait_for(sub { $t->workers == 1 && $t->checker == 1 }, 5, 'a worker and a checker');
	is(sandbox_of($t, $_), '0/0', "process $_ (" . $t->title($_) . "): no NoNewPrivs, Seccomp 0")
	    for $t->workers, $t->checker;
	like($t->error_log, qr/^$ts notice master\[$m\]: sandbox = off: the worker and checker processes run without seccomp filter and landlock$/m,
	    'the master says so at start');
	my $conf = $t->conf;
	$t->wait_for(sub { $t->error_log =~ /error worker\[\d+\]: sandbox self-test: \Q$conf\E could be opened for reading: file access is not narrowed/ },
	    5, 'the self-test reports that nothing stops it');
	is($t->get('/')->summary, "200 unsandboxed\n", 'requests are served');
	$t->check_logs(allow => [ qr/sandbox self-test: .* could be opened/ ]);
};

subtest 'sandbox = on again by a reload' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "reloaded\n");
	$t->start(app($be), global => 'sandbox = off');
	my ($w) = $t->workers;
	is(sandbox_of($t, $w), '0/0', 'sandbox = off: Seccomp 0');
	ok($t->reload(app($be)), 'reload without sandbox = off');
	($w) = $t->workers;
	is(sandbox_of($t, $w), '1/2', 'the new worker is sandboxed');
	is(sandbox_of($t, $_), '1/2', 'and so is the new checker') for $t->checker;
	is($t->get('/')->summary, "200 reloaded\n", 'and serves');
	$t->check_logs;
};

subtest 'FRONTD_SANDBOX_SELFTEST: an unknown test, and a daemon' => sub {
	my $t = Test::Frontd->new;
	my $be = $t->backend(body => "daemon\n");
	my $conf = $t->write_config(app($be));
	{
		local $ENV{FRONTD_SANDBOX_SELFTEST} = 'fork';
		my ($c, $o, $e) = $t->run_frontd('-f', '-c', $conf);
		is($c, 1, 'an unknown test: exit 1');
		is($e, "frontd: FRONTD_SANDBOX_SELFTEST: unknown test \"fork\" (expected execve, ptrace or open)\n",
		    'and says which ones there are');
	}
	{
		local $ENV{FRONTD_SANDBOX_SELFTEST} = 'execve';
		$t->start(app($be));
	}
	like($t->{start_stderr}, qr/^frontd: FRONTD_SANDBOX_SELFTEST is only honoured with -f; ignored$/m,
	    'a daemon ignores it, and says so');
	is($t->get('/')->summary, "200 daemon\n", 'it serves');
	my ($w) = $t->workers;
	is(sandbox_of($t, $w), '1/2', 'with its sandbox');
	unlike($t->error_log, qr/self-test|$KILLED/, 'and no worker tried anything');
	$t->check_logs;
};

done_testing;
