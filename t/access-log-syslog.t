# Logs to a syslog socket and custom access log formats.  The test binds
# its own Unix datagram socket and points syslog_socket at it: the access
# log (syslog:local0, a custom format, field by field), a socket that is
# missing at start (reported once, lines counted, then found again from
# inside the sandbox), a socket that is full (lines dropped and counted,
# the worker never waits), and after a reload the default facility, the
# combined format and the error log on syslog too.  -t refuses unknown
# facilities and variables at their line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $sock = $t->dir . '/log.sock';
my $be = $t->backend(body => 'ok');

# --- -t: what it refuses, at its line, and what it warns about ----------

sub refused {
	my ($global, $re, $what) = @_;
	my ($rc, $out) = $t->test_config("[global]\n$global\n[upstream app]\n"
	    . "server = $be->{addr}\n[route all]\nupstream = app\n");
	my ($key) = $global =~ /^(\w+)/;
	my $line = $t->line_of(qr/^\Q$key\E\s*=/);
	ok($rc != 0 && $out =~ /frontd\.conf:$line: .*$re/, "-t: $what")
	    or diag($out);
}
refused('access_log = syslog:local9',
    qr/unknown syslog facility "local9" in access_log/,
    'an unknown access_log facility');
refused('error_log = syslog:nope', qr/unknown syslog facility "nope"/,
    'an unknown error_log facility');
refused('log_format = $remote_addr $status $nosuch x',
    qr/unknown variable "\$nosuch"/, 'an unknown variable');
refused('log_format = ${status', qr/unknown variable "\$\{status"/,
    'an unclosed brace');
refused('log_format = plain', qr/bad log_format "plain"/,
    'a format without variables');
refused('syslog_socket = log.sock', qr/bad syslog_socket/,
    'a relative syslog_socket');
refused('syslog_socket = /' . ('x' x 120), qr/longer than a Unix socket/,
    'a syslog_socket too long for a socket');

my $fmt = '$remote_addr|$request|$request_method|$request_uri|'
    . '$server_protocol|$status|$bytes_sent|$http_referer|$http_user_agent|'
    . '$request_time|$upstream_addr|$upstream_status|'
    . '$upstream_response_time|$cache_status|$host|$scheme|$ssl_protocol|'
    . '$connection|$pid|${status}x|$$|[$time_local]|$time_iso8601|$msec';
my $conf = <<"EOF";
[global]
access_log = syslog:local0
syslog_socket = $sock
log_format = $fmt

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
{
	my ($rc, $out) = $t->test_config($conf);
	my $line = $t->line_of(qr/^access_log/);
	is($rc, 0, '-t: a missing syslog socket is no error');
	like($out, qr/^\S*frontd\.conf:$line: warning: syslog socket \Q$sock\E: No such file or directory: access log lines are lost until it answers$/m,
	    '-t: but a warning at the access_log line');
}

# --- the socket missing at start ------------------------------------------

$t->start($conf);
my ($worker) = $t->workers;
ok($worker, 'a worker runs');
is($t->get('/a')->status, 200, "request $_ while the socket is missing")
    for 1 .. 3;
my $lost = qr/access log: syslog socket \Q$sock\E: No such file or directory: lines are lost until it answers/;
$t->wait_for(sub { $t->error_log =~ $lost }, 5,
    'the worker says the socket is missing');
like($t->error_log, qr/warn master\[\d+\]: .*warning: syslog socket \Q$sock\E/,
    'so did the master at start');
my $n = () = $t->error_log =~ /$lost/g;
is($n, 1, 'once, not once a line');

my $srv = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $sock)
    or die "bind $sock: $!";
chmod 0666, $sock;
my $sel = IO::Select->new($srv);

# Datagrams until none comes for wait seconds.
sub drain {
	my ($wait) = @_;
	my @d;
	while ($sel->can_read($wait // 0.3)) {
		my $d;
		defined $srv->recv($d, 65536) or last;
		push @d, $d;
	}
	return @d;
}

# Requests until a line arrives (the worker tries again once a second).
my @got;
$t->wait_for(sub {
	$t->get('/b');
	push @got, drain(0.2);
	@got;
}, 5, 'the worker finds the socket once it is there, in its sandbox');
like($t->error_log, qr/access log: syslog socket \Q$sock\E answers again; [3-9]\d* lines were lost/,
    'and counts the lines it lost');
like($t->error_log, qr/sandbox on/, 'the sandbox is on');

# --- a custom format, field by field ----------------------------------------

drain();
my $r = $t->get('/p/q?x=1', headers => { Referer => 'http://r.example/',
    'User-Agent' => 'ua "quoted"', Host => 'Www.Example.COM:8080' });
is($r->status, 200, 'a request to log');
my ($d) = drain(1);
my $pid = qr/\d+/;
ok(defined $d && $d =~ /\A<134>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) frontd\[(\d+)\]: (.*)\z/s,
    'RFC 3164: <134> (local0, info), the time, frontd[PID]')
    or diag($d // 'nothing');
my ($stamp, $tagpid, $msg) = ($1, $2, $3);
is($tagpid, $worker, 'the pid in the tag is the worker\'s');
unlike($msg // '', qr/\n/, 'no newline in the datagram');
my @f = split /\|/, $msg // '', -1;
my $i = 0;
my @want = (
	[ remote_addr => qr/\A127\.0\.0\.1\z/ ],
	[ request => qr{\AGET /p/q\?x=1 HTTP/1\.1\z} ],
	[ request_method => qr/\AGET\z/ ],
	[ request_uri => qr{\A/p/q\?x=1\z} ],
	[ server_protocol => qr{\AHTTP/1\.1\z} ],
	[ status => qr/\A200\z/ ],
	[ bytes_sent => qr/\A[1-9]\d+\z/ ],
	[ http_referer => qr{\Ahttp://r\.example/\z} ],
	[ http_user_agent => qr/\Aua \\x22quoted\\x22\z/ ],
	[ request_time => qr/\A\d+\.\d{3}\z/ ],
	[ upstream_addr => qr/\A\Q$be->{addr}\E\z/ ],
	[ upstream_status => qr/\A200\z/ ],
	[ upstream_response_time => qr/\A\d+\.\d{3}\z/ ],
	[ cache_status => qr/\A-\z/ ],
	[ host => qr/\Awww\.example\.com\z/ ],
	[ scheme => qr/\Ahttp\z/ ],
	[ ssl_protocol => qr/\A-\z/ ],
	[ connection => qr/\A\d+\z/ ],
	[ pid => qr/\A$worker\z/ ],
	[ '${status}x' => qr/\A200x\z/ ],
	[ '$$' => qr/\A\$\z/ ],
	[ time_local => qr{\A\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4}\]\z} ],
	[ time_iso8601 => qr/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d{4}\z/ ],
	[ msec => qr/\A\d{10}\.\d{3}\z/ ],
);
is(scalar @f, scalar @want, 'every field is there') or diag($msg);
for my $w (@want) {
	like($f[$i++] // '', $w->[1], "field $w->[0]");
}
if (defined $f[22] && $f[22] =~ /T(\d\d:\d\d:\d\d)/) {
	like($stamp, qr/\Q$1\E|\d\d:\d\d:\d\d/, 'the header time is local time');
}
$t->get('/x', headers => { 'User-Agent' => "a\xe9\"b" });
my ($d2) = drain(1);
like($d2 // '', qr/\|a\\xe9\\x22b\|/, 'client bytes are escaped');

# --- a full socket: dropped, counted, never waited for ---------------------

my $t0 = time;
is($t->get('/full')->status, 200, "request $_ to a socket nobody reads")
    for 1 .. 20;
cmp_ok(time - $t0, '<', 10, 'the worker does not wait for the reader');
$t->wait_for(sub { $t->error_log =~ /access log: syslog socket \Q$sock\E is full; \d+ lines were dropped/ },
    5, 'the drops are reported');
my @q = drain();
cmp_ok(scalar @q, '<', 20, 'some lines were dropped (' . scalar(@q) . ' came)');
is($t->get('/after')->status, 200, 'a request after the reader caught up');
like(join('', drain(1)), qr{GET /after HTTP}, 'its line comes');

# --- reload: default facility, combined, the error log on syslog -----------

ok($t->reload(<<"EOF"), 'reload');
[global]
access_log = syslog
error_log = syslog:local1
syslog_socket = $sock
log_format = combined

[upstream app]
server = $be->{addr}

[route all]
upstream = app
EOF
my @all;
$t->wait_for(sub {
	$t->get('/c');
	push @all, drain(0.2);
	grep { m{"GET /c HTTP/1\.1"} } @all;
}, 5, 'an access line after the reload');
my ($c) = grep { m{"GET /c HTTP/1\.1"} } @all;
like($c // '', qr{\A<190>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d frontd\[\d+\]: 127\.0\.0\.1 - - \[[^\]]+\] "GET /c HTTP/1\.1" 200 \d+ "-" "frontd-test" rt=},
    'access_log = syslog: local7, info (190), combined');
my @err = grep { /\A<14[0-7]>/ } @all;
ok(@err, 'error log lines on local1') or diag(join "\n", @all);
like(join("\n", @err), qr/\A<14[0-7]>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d frontd\[\d+\]: (debug|info|notice|warn|error) (master|worker|checker): /m,
    'each with its level and role after the tag');
like(join("\n", @err), qr/^<142>.*frontd\[\d+\]: info worker: sandbox on/m,
    'info is severity 6 (142)');
unlike(join("\n", @all), qr/^<13[6-9]>/m,
    'no error-level lines');

$t->check_logs(allow => []);
done_testing;
