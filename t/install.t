# make install: the binary, the man pages, and the files a package needs
# (sample configuration, init script, systemd unit, logrotate rules), each
# naming the directories given to make, not Debian's defaults; an admin's
# frontd.conf is never overwritten; make uninstall takes it all back but
# that frontd.conf.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Find;
use Test::More;
use Test::Frontd;

my $builddir = $ENV{builddir};
plan skip_all => 'needs the build tree (run through make check)'
    unless $builddir && -f "$builddir/Makefile";
plan skip_all => 'no make' unless system('make --version >/dev/null 2>&1') == 0;

my $t = Test::Frontd->new;
my $stage = $t->dir . '/stage';
my %dir = (sbindir => '/opt/fd/sbin', sysconfdir => '/opt/fd/etc',
    runstatedir => '/opt/fd/run', localstatedir => '/opt/fd/state',
    mandir => '/opt/fd/man', systemdsystemunitdir => '/opt/fd/units');
my $vars = join ' ', map { "$_=$dir{$_}" } sort keys %dir;

sub make {
	my ($target) = @_;
	my $log = $t->dir . "/make-$target.log";
	my $rc = system("make -C '$builddir' $target DESTDIR='$stage' $vars "
	    . ">'$log' 2>&1");
	diag($t->slurp($log)) if $rc;
	return $rc == 0;
}

ok(make('install'), 'make install');
my %want = (
	"$dir{sbindir}/frontd" => 'the daemon',
	"$dir{sbindir}/frontdctl" => 'frontdctl, beside it',
	"$dir{sysconfdir}/frontd/frontd.conf" => 'the configuration',
	"$dir{sysconfdir}/frontd/frontd.conf.default" => 'the sample, kept',
	"$dir{sysconfdir}/init.d/frontd" => 'the init script',
	"$dir{sysconfdir}/logrotate.d/frontd" => 'the logrotate rules',
	"$dir{systemdsystemunitdir}/frontd.service" => 'the systemd unit',
	"$dir{mandir}/man8/frontd.8" => 'frontd(8)',
	"$dir{mandir}/man8/frontdctl.8" => 'frontdctl(8)',
	"$dir{mandir}/man5/frontd.conf.5" => 'frontd.conf(5)',
);
for my $f (sort keys %want) {
	ok(-f "$stage$f", "$want{$f}: $f");
}
ok(-x "$stage$dir{sysconfdir}/init.d/frontd", 'the init script is executable');

for my $f ("$dir{sysconfdir}/frontd/frontd.conf.default",
    "$dir{sysconfdir}/init.d/frontd", "$dir{sysconfdir}/logrotate.d/frontd",
    "$dir{systemdsystemunitdir}/frontd.service") {
	my $text = $t->slurp("$stage$f");
	my @debian = $text =~ m{((?<![\w/])/(?:usr/sbin|etc|run|var)/[\w./-]*)}g;
	is_deeply(\@debian, [], "$f names no Debian path")
	    or diag(join "\n", @debian);
}
my $init = $t->slurp("$stage$dir{sysconfdir}/init.d/frontd");
like($init, qr{^DAEMON=\Q$dir{sbindir}\E/frontd$}m, 'init: DAEMON');
like($init, qr{^CONFIG=\Q$dir{sysconfdir}\E/frontd/frontd\.conf$}m, 'init: CONFIG');
like($init, qr{\Q$dir{sysconfdir}\E/default/frontd}, 'init: the defaults file');
like($init, qr{\Q$dir{runstatedir}\E/\$NAME\.pid}, 'init: the default pid file');
my $unit = $t->slurp("$stage$dir{systemdsystemunitdir}/frontd.service");
like($unit, qr{^ExecStart=\Q$dir{sbindir}\E/frontd -f -c \Q$dir{sysconfdir}\E/frontd/frontd\.conf$}m,
    'unit: ExecStart');
like($unit, qr{^PIDFile=\Q$dir{runstatedir}\E/frontd\.pid$}m, 'unit: PIDFile');
my $conf = $t->slurp("$stage$dir{sysconfdir}/frontd/frontd.conf");
like($conf, qr{^pid_file = \Q$dir{runstatedir}\E/frontd\.pid$}m, 'conf: pid_file');
like($conf, qr{^access_log = \Q$dir{localstatedir}\E/log/frontd/access\.log$}m,
    'conf: access_log');
my $rot = $t->slurp("$stage$dir{sysconfdir}/logrotate.d/frontd");
like($rot, qr{^\Q$dir{localstatedir}\E/log/frontd/\*\.log \{$}m, 'logrotate: the logs');

# An admin's edits survive a second install.
my $mine = "$stage$dir{sysconfdir}/frontd/frontd.conf";
$t->spew($mine, "; mine\n");
ok(make('install'), 'make install again');
is($t->slurp($mine), "; mine\n", 'frontd.conf was not overwritten');

ok(make('uninstall'), 'make uninstall');
my @left;
find(sub { push @left, $File::Find::name if -f }, $stage);
is_deeply(\@left, [$mine], 'only the admin\'s frontd.conf is left');

done_testing;
