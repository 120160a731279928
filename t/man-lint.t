# The man pages are clean mdoc: mandoc -Tlint -Wwarning has nothing to say
# about them, and each .Dd is a real date written "Month D, YYYY".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Spec;
use POSIX ();
use Test::More;
use Test::Frontd;

my ($mandoc) = grep { -x } map { File::Spec->catfile($_, 'mandoc') }
    grep { length } split /:/, $ENV{PATH} // '';
plan skip_all => 'mandoc is not on PATH' unless $mandoc;

my $t = Test::Frontd->new;
my $src = $t->srcdir;
my @pages = map { "$src/man/$_" } qw(frontd.8 frontd.conf.5 frontdctl.8);

my @MONTHS = qw(January February March April May June July August
    September October November December);
my %MONTH = map { $MONTHS[$_] => $_ + 1 } 0 .. $#MONTHS;

sub days_in {
	my ($month, $year) = @_;
	return 29 if $month == 2
	    && ($year % 4 == 0 && $year % 100 != 0 || $year % 400 == 0);
	return (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$month - 1];
}

# mandoc's output (stdout and stderr together) and its exit code.
sub lint {
	my ($page) = @_;
	my $out = $t->dir . "/lint.out";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or POSIX::_exit(127);
		open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
		{ no warnings 'exec'; exec $mandoc, '-Tlint', '-Wwarning', $page; }
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	my $code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	return ($code, $t->slurp($out));
}

for my $page (@pages) {
	my ($name) = $page =~ m{([^/]+)$};
	unless (ok(-f $page, "$name exists")) {
		diag("not found: $page (set srcdir)");
		next;
	}

	my ($code, $out) = lint($page);
	is($code, 0, "mandoc -Tlint -Wwarning $name: exit 0");
	is($out, '', "mandoc -Tlint -Wwarning $name: no message") or diag($out);

	my @dd = grep { /^\.Dd\b/ } split /\n/, $t->slurp($page);
	is(scalar @dd, 1, "$name has one .Dd line") or next;
	my ($month, $day, $year) = $dd[0] =~ /^\.Dd (\w+) ([1-9]\d?), (\d{4})$/;
	my $m = defined $month ? $MONTH{$month} : undef;
	ok($m && $day <= days_in($m, $year) && $year >= 1970,
	    "$name: .Dd is a valid \"Month D, YYYY\" date")
	    or diag("got '$dd[0]'");
}

done_testing;
