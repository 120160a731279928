# Configuration errors: "frontd -t -c FILE" prints every error as
# FILE:LINE: message (exit 1), or "configuration ok" (exit 0).
# Each case writes its files into a directory of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Spec;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use POSIX ();
use Test::More;
use Time::HiRes qw(time);
use Test::Frontd;

my $t = Test::Frontd->new;
my $root = is_root();

sub is_root { $> == 0 }

my $LISTEN = "[listener public]\naddress = 127.0.0.1:18080\n";

# name => { files => { path => text }, errors => [ lines ] }.  Error lines
# are relative to the case directory, which is put in front of them and
# replaces %D inside them.  The main file is frontd.conf.
my @cases = (
	{
		name => 'unknown key with a near miss gets a hint',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000

[route api]
upstream = app
uptream = app
EOF
		errors => [ 'frontd.conf:9: unknown key "uptream" in [route api] (did you mean "upstream"?)' ],
	},
	{
		name => 'unknown key far from any other: no hint',
		conf => "[global]\nfoo = 1\n\n$LISTEN",
		errors => [ 'frontd.conf:2: unknown key "foo" in [global]' ],
	},
	{
		name => 'unknown key near a [global] key',
		conf => "[global]\nworker = 2\n\n$LISTEN",
		errors => [ 'frontd.conf:2: unknown key "worker" in [global] (did you mean "workers"?)' ],
	},
	{
		name => 'unknown section',
		conf => "$LISTEN\n[frontend x]\n",
		errors => [ 'frontd.conf:4: unknown section [frontend x] (expected global, listener, upstream or route)' ],
	},
	{
		name => '[listener] without a name',
		conf => "$LISTEN\n[listener]\n",
		errors => [ 'frontd.conf:4: [listener] needs a name, as in [listener NAME]' ],
	},
	{
		name => '[route] without a name',
		conf => "$LISTEN\n[route]\n",
		errors => [ 'frontd.conf:4: [route] needs a name, as in [route NAME]' ],
	},
	{
		name => '[global] with a name',
		conf => "[global x]\n\n$LISTEN",
		errors => [ 'frontd.conf:1: [global] takes no name' ],
	},
	{
		name => 'duplicate section',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000

[upstream app]
server = 127.0.0.1:9001
EOF
		errors => [ 'frontd.conf:7: duplicate section [upstream app] (first at %D/frontd.conf:4)' ],
	},
	{
		name => 'duplicate [global]',
		conf => "[global]\nworkers = 1\n\n[global]\nlog_level = info\n\n$LISTEN",
		errors => [ 'frontd.conf:4: duplicate section [global] (first at %D/frontd.conf:1)' ],
	},
	{
		name => 'a key given twice in [global]',
		conf => "[global]\nworkers = 1\nworkers = 2\n\n$LISTEN",
		errors => [ 'frontd.conf:3: "workers" given twice in [global] (first at %D/frontd.conf:2)' ],
	},
	{
		name => 'a key given twice in a [route]',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000

[route api]
upstream = app
upstream = app
EOF
		errors => [ 'frontd.conf:9: "upstream" given twice in [route api] (first at %D/frontd.conf:8)' ],
	},
	{
		name => 'key outside any section',
		conf => "server = 127.0.0.1:9000\n\n$LISTEN",
		errors => [ 'frontd.conf:1: key "server" outside any section' ],
	},
	{
		name => 'two listeners on one address',
		conf => "[listener a]\naddress = 127.0.0.1:18080\n\n"
		    . "[listener b]\naddress = 127.0.0.1:18080\n",
		errors => [ 'frontd.conf:5: address 127.0.0.1:18080 in [listener b] is already used by [listener a] (%D/frontd.conf:2)' ],
	},
	{
		name => '*:PORT is 0.0.0.0:PORT',
		conf => "[listener a]\naddress = *:18080\n\n"
		    . "[listener b]\naddress = 0.0.0.0:18080\n",
		errors => [ 'frontd.conf:5: address 0.0.0.0:18080 in [listener b] is already used by [listener a] (%D/frontd.conf:2)' ],
	},
	{
		name => 'route to an undefined upstream',
		conf => "$LISTEN\n[route api]\nupstream = ap\n",
		errors => [ 'frontd.conf:5: upstream "ap" in [route api] is not defined' ],
	},
	{
		name => 'route without upstream names its header line',
		conf => "$LISTEN\n[upstream app]\nserver = 127.0.0.1:9000\n\n[route api]\n",
		errors => [ 'frontd.conf:7: [route api] has no upstream, redirect, return, metrics or status' ],
	},
	{
		name => 'listener without address names its header line',
		conf => "[listener public]\nbacklog = 10\n\n[listener other]\naddress = 127.0.0.1:18080\n",
		errors => [ 'frontd.conf:1: [listener public] has no address' ],
	},
	{
		name => 'upstream without server names its header line',
		conf => "$LISTEN\n[upstream app]\n",
		errors => [ 'frontd.conf:4: [upstream app] has no server' ],
	},
	{
		name => 'line too long, and the count goes on after it',
		conf => "$LISTEN; " . ('x' x 5000) . "\nfoo = 1\n",
		errors => [
			'frontd.conf:3: line too long (more than 4096 bytes)',
			'frontd.conf:4: unknown key "foo" in [listener public]',
		],
	},
	{
		name => 'syntax error',
		conf => "$LISTEN" . "this is not a key\n",
		errors => [ 'frontd.conf:3: syntax error (expected [section] or key = value)' ],
	},
	{
		name => 'unclosed section header',
		conf => "$LISTEN\n[upstream app\n",
		errors => [ 'frontd.conf:4: syntax error (expected [section] or key = value)' ],
	},
	{
		name => 'include of a missing file',
		conf => "$LISTEN" . "include = x.conf\n",
		errors => [ 'frontd.conf:3: cannot open include "x.conf": No such file or directory' ],
	},
	{
		name => 'an included file that includes itself',
		conf => "$LISTEN" . "include = a.conf\n",
		files => { 'a.conf' => "; includes itself\ninclude = a.conf\n" },
		errors => [ 'a.conf:2: include "a.conf" includes itself' ],
	},
	{
		name => 'the main file includes itself',
		conf => "$LISTEN" . "include = frontd.conf\n",
		errors => [ 'frontd.conf:3: include "frontd.conf" includes itself' ],
	},
	{
		name => 'an error in an included file names that file and line',
		conf => "$LISTEN\ninclude = conf.d/*.conf\n",
		files => {
			'conf.d/app.conf' => "[upstream app]\nserver = 127.0.0.1:9000\n",
			'conf.d/api.conf' => "# the api route\n[route api]\nupstream = app\nuptream = app\n",
		},
		errors => [ 'conf.d/api.conf:4: unknown key "uptream" in [route api] (did you mean "upstream"?)' ],
	},
	{
		name => 'a check of names in an included file names that file',
		conf => "$LISTEN\ninclude = conf.d/api.conf\n",
		files => { 'conf.d/api.conf' => "\n[route api]\nupstream = nope\n" },
		errors => [ 'conf.d/api.conf:3: upstream "nope" in [route api] is not defined' ],
	},
	{
		name => 'no listener',
		conf => "[global]\nworkers = 1\n",
		errors => [ 'frontd.conf: no [listener] defined' ],
	},
	{
		name => 'several errors in one file are all reported',
		conf => <<'EOF',
[global]
workers = lots
log_level = loud

[listener public]
address = 127.0.0.1:18080
backlog = 0

[route api]
upstream = nope
colour = blue
EOF
		errors => [
			'frontd.conf:2: bad workers "lots" in [global] (expected auto or a number from 1 to 256)',
			'frontd.conf:3: bad log_level "loud" in [global] (expected debug, info, notice, warn or error)',
			'frontd.conf:7: bad backlog "0" in [listener public] (expected a number from 1 to 65535)',
			'frontd.conf:10: upstream "nope" in [route api] is not defined',
			'frontd.conf:11: unknown key "colour" in [route api]',
		],
	},
	{
		name => 'sandbox is on or off',
		conf => "[global]\nsandbox = maybe\n\n$LISTEN",
		errors => [ 'frontd.conf:2: bad sandbox "maybe" in [global] (expected on or off)' ],
	},
	{
		name => 'response fields in [global], a listener and a route',
		conf => <<'EOF',
[global]
security_headers = maybe
server_tokens = hidden
set_response_header = X-No-Colon
remove_response_header = Bad Name

[listener public]
address = 127.0.0.1:18080
security_headers = 1x
set_response_header = Content-Length: 5
remove_response_header = Transfer-Encoding

[upstream app]
server = 127.0.0.1:9000

[route api]
upstream = app
security_headers = sometimes
EOF
		errors => [
			'frontd.conf:2: bad security_headers "maybe" in [global] (expected on or off)',
			'frontd.conf:3: bad server_tokens "hidden" in [global] (expected on or off)',
			'frontd.conf:4: bad set_response_header "X-No-Colon" in [global] (expected Name: value)',
			'frontd.conf:5: bad remove_response_header "Bad Name" in [global] (expected a header name)',
			'frontd.conf:9: bad security_headers "1x" in [listener public] (expected on or off)',
			'frontd.conf:10: header "Content-Length" cannot be changed here: frontd writes it',
			'frontd.conf:11: header "Transfer-Encoding" cannot be changed here: frontd writes it',
			'frontd.conf:18: bad security_headers "sometimes" in [route api] (expected on or off)',
		],
	},
	{
		name => 'durations with a floor: 0 is refused',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000
health_check = GET /healthz
health_interval = 0
health_timeout = 0
fail_timeout = 0
EOF
		errors => [
			'frontd.conf:7: bad health_interval "0" in [upstream app] (expected a duration of at least 100ms)',
			'frontd.conf:8: bad health_timeout "0" in [upstream app] (expected a duration of at least 10ms)',
			'frontd.conf:9: bad fail_timeout "0" in [upstream app] (expected a duration of at least 100ms)',
		],
	},
	{
		name => 'a route host takes no port',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000

[route api]
host = example.com:8080
upstream = app
EOF
		errors => [ 'frontd.conf:8: bad host "example.com:8080" in [route api] (expected host names such as example.com or *.example.com)' ],
	},
	{
		name => 'bad upstream_header_timeout',
		conf => "$LISTEN\n[upstream app]\nserver = 127.0.0.1:9000\nupstream_header_timeout = 15x\n",
		errors => [ 'frontd.conf:6: bad upstream_header_timeout "15x" in [upstream app] (expected a duration such as 500ms, 30s, 5m or 1h)' ],
	},
	{
		name => 'bad upgrade protocols',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
server = 127.0.0.1:9000

[route a]
upstream = app
upgrade = web@socket

[route b]
path = /b/
upstream = app
upgrade = websocket/

[route c]
path = /c/
upstream = app
upgrade = p0 p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 p15 p16 p17 p18 p19 p20 p21 p22 p23 p24 p25 p26 p27 p28 p29 p30 p31 p32

[route d]
path = /d/
upstream = app
upgrade = off websocket
EOF
		errors => [
			'frontd.conf:9: bad upgrade "web@socket" in [route a] (expected protocols such as websocket, at most 32, or off)',
			'frontd.conf:14: bad upgrade "websocket/" in [route b] (expected protocols such as websocket, at most 32, or off)',
			'frontd.conf:19: bad upgrade "p0 p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 p15 p16 p17 p18 p19 p20 p21 p22 p23 p24 p25 p26 p27 p28 p29 p30 p31 p32" in [route c] (expected protocols such as websocket, at most 32, or off)',
			'frontd.conf:24: bad upgrade "off websocket" in [route d] (expected protocols such as websocket, at most 32, or off)',
		],
	},
);

# Bad values: [key, section kind, value, expectation in parentheses].
my %EXPECT = (
	workers          => 'expected auto or a number from 1 to 256',
	shutdown_timeout => 'expected a duration such as 500ms, 30s, 5m or 1h',
	log_level        => 'expected debug, info, notice, warn or error',
	backlog          => 'expected a number from 1 to 65535',
	address          => 'expected HOST:PORT, [IPv6]:PORT or *:PORT',
	server           => 'expected HOST:PORT',
	worker_rlimit_nofile => 'expected auto or a number from 1 to 1073741816',
);
my @bad_values = (
	[ workers => qw(x 0 257 -1 2x) ],
	[ shutdown_timeout => qw(5x ms 1d) ],
	[ log_level => qw(loud) ],
	[ backlog => qw(0 65536 abc) ],
	[ address => qw(1.2.3:80 127.0.0.1 127.0.0.1:65536 localhost:80 [::1) ],
	[ server => qw(x 127.0.0.1 127.0.0.1:99999) ],
	[ worker_rlimit_nofile => qw(0 -1 many 1073741817) ],
);
# Addresses the parser can name the trouble of.
my %WHY = (
	'address 1.2.3:80' => 'not an IPv4 address',
	'address 127.0.0.1' => 'no port',
	'address 127.0.0.1:65536' => 'port out of range (1 to 65535)',
	'address localhost:80' => 'host names are not allowed here, use an address',
	'server x' => 'no port',
	'server 127.0.0.1' => 'no port',
	'server 127.0.0.1:99999' => 'port out of range (1 to 65535)',
);
for my $bv (@bad_values) {
	my ($key, @values) = @$bv;
	for my $v (@values) {
		my ($conf, $line, $where);
		if ($key eq 'backlog') {
			$conf = "$LISTEN$key = $v\n";
			($line, $where) = (3, '[listener public]');
		} elsif ($key eq 'address') {
			# A good address first: the listener is not left without one.
			$conf = "$LISTEN$key = $v\n";
			($line, $where) = (3, '[listener public]');
		} elsif ($key eq 'server') {
			$conf = "$LISTEN\n[upstream app]\nserver = 127.0.0.1:9000\nserver = $v\n";
			($line, $where) = (6, '[upstream app]');
		} else {
			$conf = "[global]\n$key = $v\n\n$LISTEN";
			($line, $where) = (2, '[global]');
		}
		my $why = $WHY{"$key $v"};
		push @cases, {
			name => "bad $key \"$v\"",
			conf => $conf,
			errors => [ defined $why
			    ? "frontd.conf:$line: bad $key \"$v\" in $where: $why"
			    : "frontd.conf:$line: bad $key \"$v\" in $where ($EXPECT{$key})" ],
		};
	}
}

# The control socket: its path, mode and group.
push @cases, {
	name => 'bad control_socket, control_socket_mode, control_socket_group',
	conf => "[global]\ncontrol_socket = run/ctl.sock\n"
	    . "control_socket_mode = 0800\ncontrol_socket_group = nosuch\n\n"
	    . $LISTEN,
	errors => [
		'frontd.conf:2: bad control_socket "run/ctl.sock" in [global] (expected an absolute path or off)',
		'frontd.conf:3: bad control_socket_mode "0800" in [global] (expected permission bits in octal, such as 0600 or 0660)',
		'frontd.conf:4: unknown group "nosuch" in [global]',
	],
}, {
	name => 'a control socket path too long for a Unix socket',
	conf => "[global]\ncontrol_socket = /" . ('x' x 120) . "\n\n$LISTEN",
	errors => [ 'frontd.conf:2: control_socket "/' . ('x' x 120)
	    . '" is longer than a Unix socket path may be (107 bytes)' ],
};

# Users and groups are looked up only where they matter: as root.
if ($root) {
	push @cases, {
		name => 'unknown user',
		conf => "[global]\nuser = nosuch\n\n$LISTEN",
		errors => [ 'frontd.conf:2: unknown user "nosuch" in [global]' ],
	}, {
		name => 'unknown group',
		conf => "[global]\nuser = root\ngroup = nosuch\n\n$LISTEN",
		errors => [ 'frontd.conf:3: unknown group "nosuch" in [global]' ],
	};
}

# Good configurations: -t says "configuration ok".
my @good = (
	{
		name => 'a glob include matching nothing is fine',
		conf => "$LISTEN" . "include = conf.d/*.conf\n",
		files => { 'conf.d/README' => "not a .conf file\n" },
	},
	{
		name => 'a glob include in a missing directory is fine too',
		conf => "$LISTEN" . "include = nothing/*.conf\n",
	},
	{
		name => 'after an include the file goes on in its own section',
		conf => <<'EOF',
[listener public]
address = 127.0.0.1:18080

[upstream app]
include = servers.conf
server = 127.0.0.1:9001

[route api]
include = other.conf
upstream = app
EOF
		files => {
			'servers.conf' => "server = 127.0.0.1:9000\n",
			'other.conf' => "[upstream other]\nserver = 127.0.0.1:9002\n"
			    . "[route other]\npath = /other/\nupstream = other\n",
		},
	},
	{
		name => 'include before any section, nested includes',
		conf => "include = conf.d/*.conf\n\n$LISTEN",
		files => {
			'conf.d/global.conf' => "[global]\nworkers = 2\ninclude = ../more/*.conf\n",
			'more/level.conf' => "log_level = debug\n",
		},
	},
	{
		name => 'comments, inline comments, blank lines, a long line',
		conf => "# a comment\n; another\n\n[global]\nworkers = 2 ; two workers\n"
		    . "; " . ('y' x 4000) . "\n\n$LISTEN",
	},
	{
		name => 'repeated address and server form lists',
		conf => "[listener public]\naddress = 127.0.0.1:18080\naddress = 127.0.0.1:18081\n"
		    . "address = [::1]:18080\naddress = *:18082\nbacklog = 1\n\n"
		    . "[upstream app]\nserver = 127.0.0.1:9000\nserver = [::1]:9000\n"
		    . "server = localhost:9000\n\n[route api]\nupstream = app\n",
	},
);
for my $v (qw(30s 500ms 5m 1h 10)) {
	push @good, { name => "shutdown_timeout = $v",
	    conf => "[global]\nshutdown_timeout = $v\n\n$LISTEN" };
}
for my $v (qw(auto 1 256)) {
	push @good, { name => "workers = $v", conf => "[global]\nworkers = $v\n\n$LISTEN" };
}
for my $v (qw(debug info notice warn error)) {
	push @good, { name => "log_level = $v", conf => "[global]\nlog_level = $v\n\n$LISTEN" };
}
push @good, { name => 'backlog = 65535', conf => "${LISTEN}backlog = 65535\n" };
push @good, { name => 'upgrade lists: off, several, a version, 32 of them',
    conf => "$LISTEN\n[upstream app]\nserver = 127.0.0.1:9000\n\n"
    . "[route a]\npath = /a\nupstream = app\nupgrade = off\n\n"
    . "[route b]\npath = /b\nupstream = app\nupgrade = WebSocket, h2c foo/2\n\n"
    . "[route c]\npath = /c\nupstream = app\nupgrade = "
    . join(' ', map { "p$_" } 1 .. 32) . "\n" };
push @good, { name => 'worker_rlimit_nofile = auto',
    conf => "[global]\nworker_rlimit_nofile = auto\n\n$LISTEN" };
# A syslog socket that answers: one that does not is a warning on stderr.
my $syslog = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
    Local => $t->dir . '/log.sock') or die "log.sock: $!";
push @good, { name => 'error_log and access_log special values',
    conf => "[global]\nerror_log = syslog\naccess_log = off\n"
    . "syslog_socket = " . $t->dir . "/log.sock\n\n$LISTEN" };
push @good, { name => 'access_log = syslog:local0 and a log_format',
    conf => "[global]\naccess_log = syslog:local0\nsyslog_socket = "
    . $t->dir . "/log.sock\nlog_format = \$remote_addr \$\$ \${status}\n\n"
    . $LISTEN };

my $n = 0;

sub write_case {
	my ($c) = @_;
	my $d = $t->dir . '/case' . ++$n;
	$t->spew("$d/frontd.conf", $c->{conf});
	$t->spew("$d/$_", $c->{files}{$_}) for keys %{ $c->{files} // {} };
	return $d;
}

for my $c (@cases) {
	my $d = write_case($c);
	my @want = map { my $l = "$d/$_"; $l =~ s/%D/$d/g; $l } @{ $c->{errors} };
	subtest $c->{name} => sub {
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/frontd.conf");
		is($code, 1, 'exit 1');
		is($out, '', 'nothing on stdout');
		my @got = split /\n/, $err;
		is_deeply([ sort @got ], [ sort @want ], 'the expected error lines')
		    or diag("stderr:\n$err");
	};
}

for my $c (@good) {
	my $d = write_case($c);
	subtest $c->{name} => sub {
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', "$d/frontd.conf");
		is($code, 0, 'exit 0');
		is($out, "configuration ok\n", 'configuration ok');
		is($err, '', 'nothing on stderr');
	};
}

# A pid_file too long for the control socket beside it: a warning, and
# no socket; the file was fine before there was one.
{
	my $long = '/' . ('x' x 110);
	my $d = write_case({ conf => "[global]\npid_file = $long.pid\n\n"
	    . $LISTEN });
	subtest 'a pid_file too long for the control socket beside it' => sub {
		my ($code, $out, $err) = $t->run_frontd('-t', '-c',
		    "$d/frontd.conf");
		is($code, 0, 'exit 0');
		is($err, "$d/frontd.conf:2: warning: no control socket: "
		    . "$long.sock, beside pid_file, is longer than a Unix "
		    . "socket path may be (107 bytes); set control_socket\n",
		    'a warning at the pid_file line');
	};
}

# FILE is the path as given with -c, here relative to the current directory,
# and an included file's path is relative to the including file's directory.
{
	my $d = write_case({
		conf => "$LISTEN\ninclude = conf.d/api.conf\nfoo = 1\n",
		files => { 'conf.d/api.conf' => "[route api]\nuptream = app\n" },
	});
	my $rel = File::Spec->abs2rel("$d/frontd.conf");
	my $rel_d = File::Spec->abs2rel($d);
	subtest "FILE is the path as given: $rel" => sub {
		my ($code, $out, $err) = $t->run_frontd('-t', '-c', $rel);
		is($code, 1, 'exit 1');
		is_deeply([ sort split /\n/, $err ], [ sort
		    "$rel:5: unknown key \"foo\" in [listener public]",
		    "$rel_d/conf.d/api.conf:2: unknown key \"uptream\" in [route api] (did you mean \"upstream\"?)",
		    "$rel_d/conf.d/api.conf:1: [route api] has no upstream, redirect, return, metrics or status",
		], 'relative paths in the messages') or diag("stderr:\n$err");
	};
}

subtest 'the main file missing' => sub {
	my $f = $t->dir . '/nosuch/frontd.conf';
	my ($code, $out, $err) = $t->run_frontd('-t', '-c', $f);
	is($code, 1, 'exit 1');
	is($err, "frontd: cannot open $f: No such file or directory\n", 'names the file');
};

# Only regular files are read, and no more of them than the limits allow:
# what is not one (a device, a FIFO that would block, a directory), what
# cannot be read and what never ends are errors, reported at once.
subtest 'files that are not regular, cannot be read or never end' => sub {
	my $d = $t->dir . '/special';
	$t->spew("$d/ok.conf", "[listener public]\naddress = 127.0.0.1:18080\n");
	POSIX::mkfifo("$d/fifo", 0644) or die "mkfifo: $!";
	mkdir "$d/dir" or die "mkdir: $!";
	# One line of 8M without a newline, and a (sparse) file of 65M.
	$t->spew("$d/long.conf", 'a' x (8 * 1024 * 1024));
	open my $fh, '>', "$d/huge.conf" or die "huge.conf: $!";
	truncate $fh, 65 * 1024 * 1024 or die "truncate: $!";
	close $fh;
	my @inc = (
		[ '/dev/zero', 'cannot read include "/dev/zero": it is a character device, not a regular file' ],
		[ "$d/fifo", "cannot read include \"$d/fifo\": it is a FIFO, not a regular file" ],
		[ "$d/dir", "cannot read include \"$d/dir\": it is a directory, not a regular file" ],
		[ "$d/long.conf", undef, "$d/long.conf:1: line too long (more than 4096 bytes)" ],
		[ "$d/huge.conf", undef, "$d/huge.conf:1: file too large (more than 64M); the rest is not read" ],
		[ '/proc/self/mem', undef, '/proc/self/mem:1: read error: Input/output error' ],
	);
	for my $i (@inc) {
		my ($path, $at3, $own) = @$i;
		$t->spew("$d/main.conf", "include = ok.conf\nworkers = 1\ninclude = $path\n");
		my $want = defined $at3 ? "$d/main.conf:3: $at3\n" : "$own\n";
		my $t0 = time;
		my ($code, $out, $err) = $t->run_frontd({ timeout => 10 }, '-t', '-c', "$d/main.conf");
		my $took = time - $t0;
		is($code, 1, "include = $path: exit 1");
		# workers = 1 at line 2 is outside any section: one more error.
		is($err, "$d/main.conf:2: key \"workers\" outside any section\n$want",
		    "include = $path: the error") or diag($err);
		is($out, '', "include = $path: not \"configuration ok\"");
		ok($took < 5, sprintf "include = %s: answered in %.1f s", $path, $took);
	}
	# A page that frontd reads at load time, the same way.
	$t->spew("$d/main.conf", "include = ok.conf\n\n[global]\nerror_page = 502 $d/fifo\n");
	my ($code, $out, $err) = $t->run_frontd({ timeout => 10 }, '-t', '-c', "$d/main.conf");
	is($code, 1, 'error_page = 502 FIFO: exit 1');
	is($err, "$d/main.conf:4: cannot use error_page file $d/fifo: not a regular file of at most 1M\n",
	    'error_page = 502 FIFO: the error, at once') or diag($err);
	for my $path ('/dev/zero', "$d/fifo", "$d/dir") {
		my ($code, $out, $err) = $t->run_frontd({ timeout => 10 }, '-t', '-c', $path);
		is($code, 1, "-c $path: exit 1");
		like($err, qr/\Afrontd: cannot read \Q$path\E: it is an? [\w ]+, not a regular file\n\z/,
		    "-c $path: not a regular file") or diag($err);
	}

	# A file the reader may not read (root reads everything: the check
	# runs as nobody then).
	$t->spew("$d/secret.conf", "[upstream app]\nserver = 127.0.0.1:9000\n");
	chmod 0600, "$d/secret.conf";
	$t->spew("$d/main.conf", "include = ok.conf\ninclude = secret.conf\n");
	chmod 0644, "$d/main.conf";
	chmod 0755, $d;
	my @run = ('-t', '-c', "$d/main.conf");
	$code = undef;
	if ($root) {
		my @pw = getpwnam('nobody');
		SKIP: {
			skip 'no user nobody', 2 unless @pw;
			chown $pw[2], -1, "$d/secret.conf";
			chmod 0, "$d/secret.conf";
			($code, $out, $err) = run_as($pw[2], $pw[3], @run);
		}
	} else {
		chmod 0, "$d/secret.conf";
		($code, $out, $err) = $t->run_frontd(@run);
	}
	if (defined $code) {
		is($code, 1, 'an include that cannot be read: exit 1');
		is($err, "$d/main.conf:2: cannot open include \"secret.conf\": Permission denied\n",
		    'Permission denied, at the include line') or diag($err);
	}
};

# A reload reads through the same reader: a FIFO does not block the master.
subtest 'a reload with an include that is a FIFO is refused at once' => sub {
	my $r = Test::Frontd->new;
	my $be = $r->backend(body => "ok\n");
	my $conf = "[upstream app]\nserver = $be->{addr}\n\n[route all]\nupstream = app\n";
	$r->start($conf);
	my @w = $r->workers;
	my $fifo = $r->dir . '/more.conf';
	POSIX::mkfifo($fifo, 0644) or die "mkfifo: $!";
	$r->write_config("$conf\ninclude = $fifo\n");
	my $line = $r->line_of(qr/^include = /);
	my ($code, $out, $err) = $r->run_frontd({ timeout => 15 }, '-s', 'reload', '-c', $r->conf);
	is($code, 1, '-s reload: exit 1');
	is($err, "reload failed:\n" . $r->conf . ":$line: cannot read include \"$fifo\": it is a FIFO, not a regular file\n",
	    'the FIFO is named') or diag($err);
	is_deeply([ $r->workers ], \@w, 'the workers keep running');
	is($r->get('/')->content, "ok\n", 'and serve');
	$r->check_logs;
};

$t->check_logs;
done_testing;

# Runs frontd as uid/gid in a child: (exit code, stdout, stderr).
sub run_as {
	my ($uid, $gid, @args) = @_;
	my ($o, $e) = map { $t->dir . "/as-user.$_" } qw(out err);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDOUT, '>', $o or POSIX::_exit(127);
		open STDERR, '>', $e or POSIX::_exit(127);
		$) = "$gid $gid";
		$( = $gid;
		$< = $> = $uid;
		POSIX::_exit(127) if $> != $uid;
		{ no warnings 'exec'; exec $t->frontd, @args; }
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	return ($? >> 8, $t->slurp($o), $t->slurp($e));
}
