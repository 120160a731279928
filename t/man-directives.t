# The man pages keep up with the code: every key of the config key tables
# has an entry in frontd.conf(5), every section kind too, and every option
# letter of the usage is described in frontd(8).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $src = $t->srcdir;

my @c = grep { -f } glob("$src/common/config*.c");
plan skip_all => "no common/config*.c under $src (set srcdir)" unless @c;

my (%keys, %sections);
for my $f (@c) {
	my $n = 0;
	my $text = $t->slurp($f);
	my $rows = 0;
	for my $l (split /\n/, $text) {
		$n++;
		# Key table rows:
		# { "server", CFG_LIST, CFG_T_FN, .set = u_server, ... },
		# { "backlog", CFG_ONE, CFG_T_INT, L(backlog), ... },
		if ($l =~ /\{\s*"([a-z_][a-z0-9_]*)",\s*CFG_/) {
			$keys{$1} //= "$f:$n";
			$rows++;
		}
		# Section table rows: { "listener", true, cfg_listener_keys },
		$sections{$1} //= "$f:$n" if $l =~ /\{\s*"([a-z_]+)",\s*(?:true|false),\s*\w+_keys\s*\}/;
	}
	# A row laid out otherwise (the name on a line of its own) would be
	# missed above: every "CFG_ONE, CFG_T_..." must be on a row we read.
	my $kinds = () = $text =~ /\bCFG_(?:ONE|LIST),\s*CFG_T_/g;
	is($rows, $kinds, "every key row of $f is read ($rows)") if $kinds;
}
is(scalar keys %sections, 4, 'found the four section kinds')
    or diag('sections: ' . join(' ', sort keys %sections));
cmp_ok(scalar keys %keys, '>=', 10, 'found the keys of the config key tables')
    or diag('keys: ' . join(' ', sort keys %keys));

my $conf5 = $t->slurp("$src/man/frontd.conf.5");
ok(length $conf5, 'man/frontd.conf.5 exists');
for my $k (sort keys %keys) {
	like($conf5, qr/^\.It Ic \Q$k\E\b/m, "frontd.conf.5 documents $k ($keys{$k})");
}
for my $s (sort keys %sections) {
	like($conf5, qr/^\.It Ic \[\Q$s\E\b/m, "frontd.conf.5 documents [$s]");
}

# Option letters: from the usage frontd prints, else from getopt().
my $usage;
if (-x $t->frontd) {
	(undef, $usage) = $t->run_frontd('-h');
}
unless ($usage) {
	my ($g) = join('', map { $t->slurp($_) } glob("$src/master/*.c"))
	    =~ /getopt\(\s*argc,\s*argv,\s*"([^"]+)"/;
	$usage = defined $g ? join(' ', map { "-$_" } $g =~ /(\w)/g) : '';
}
my %letters;
for my $group ($usage =~ /\[-(\w+)/g) {
	$letters{$_} = 1 for split //, $group;
}
$letters{$_} = 1 for $usage =~ /(?:^|\s)-(\w)\b/g;
cmp_ok(scalar keys %letters, '>=', 6, 'found the option letters: '
    . join('', sort keys %letters)) or diag("usage: $usage");

my $man8 = $t->slurp("$src/man/frontd.8");
ok(length $man8, 'man/frontd.8 exists');
for my $l (sort keys %letters) {
	like($man8, qr/^\.It Fl \Q$l\E\b/m, "frontd.8 describes -$l");
}

done_testing;
