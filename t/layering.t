# The layers of the source tree, read from the #include lines: master/ and
# worker/ never include each other, common/ neither of them; our headers
# include one another without a cycle; the worker's policies never see a
# connection or a request. Files past 1,000 lines are reported, not failed:
# a guide to where a file may hold two ideas.
use strict;
use warnings;
use FindBin;
use Test::More;

my $src = defined $ENV{srcdir} && length $ENV{srcdir} ?
    $ENV{srcdir} : "$FindBin::Bin/..";
my @dirs = qw(common master worker ctl);
my $long = 1000;

my @files = sort map { glob("$src/$_/*.[ch]") } @dirs;
plan skip_all => "no sources under $src (set srcdir)"
    unless grep { m{/common/[^/]+\.c$} } @files;

# name ("worker/conn.h") -> [ [ included name, line ], ... ]
my (%inc, %lines);
for my $path (@files) {
	(my $name = $path) =~ s{^\Q$src\E/}{};
	open my $fh, '<', $path or die "$path: $!";
	my $n = 0;
	$inc{$name} = [];
	while (my $l = <$fh>) {
		$n++;
		push @{ $inc{$name} }, [ $1, $n ]
		    if $l =~ /^\s*#\s*include\s*"([^"]+)"/;
	}
	$lines{$name} = $n;
	close $fh;
}

sub folder { $_[0] =~ m{^([^/]+)/} ? $1 : '' }

# Every include of ours names its folder and a file that is there: else
# "conn.h" or "../worker/conn.h" would slip past the checks below.
my @bad;
for my $f (sort keys %inc) {
	for my $i (@{ $inc{$f} }) {
		my ($to, $n) = @$i;
		push @bad, "$f:$n: \"$to\""
		    unless $to =~ m{^(?:common|master|worker|ctl)/[\w.-]+\.h$} &&
		    exists $inc{$to};
	}
}
ok(!@bad, 'every include names a folder and a header of ours')
    or diag(join("\n", @bad, '(write "folder/file.h")'));

# Who may include whom: the roles use common/, common/ uses neither.
my %allowed = (
	common => { common => 1 },
	master => { common => 1, master => 1 },
	worker => { common => 1, worker => 1 },
	ctl    => { common => 1, ctl => 1 },
);
for my $from (@dirs) {
	my @x;
	for my $f (grep { folder($_) eq $from } sort keys %inc) {
		for my $i (@{ $inc{$f} }) {
			my ($to, $n) = @$i;
			my $d = folder($to);
			push @x, "$f:$n: includes $to"
			    if exists $allowed{$d} && !$allowed{$from}{$d};
		}
	}
	my $what = $from eq 'common' ? 'master/, worker/ or ctl/' :
	    $from eq 'master' ? 'worker/ or ctl/' :
	    $from eq 'worker' ? 'master/ or ctl/' : 'master/ or worker/';
	ok(!@x, "$from/ includes nothing of $what") or diag(join("\n", @x));
}

# Include cycles among our headers: a depth-first walk that meets a
# header still on its path has found one.
my (%state, @cycles, @path);
sub walk {
	my ($h) = @_;
	$state{$h} = 1;
	push @path, $h;
	for my $i (@{ $inc{$h} }) {
		my $to = $i->[0];
		next unless exists $inc{$to};
		if (($state{$to} // 0) == 1) {
			my ($k) = grep { $path[$_] eq $to } 0 .. $#path;
			push @cycles, join(' -> ', @path[$k .. $#path], $to);
		} elsif (!$state{$to}) {
			walk($to);
		}
	}
	pop @path;
	$state{$h} = 2;
}
walk($_) for grep { /\.h$/ && !$state{$_} } sort keys %inc;
ok(!@cycles, 'no include cycle among our headers')
    or diag(join("\n", @cycles));

# The policies are pure functions of their inputs: neither they nor any
# header they reach may bring in the connection or the request.
my @policy = grep {
	m{^worker/(?:lb[\w]*|accept_encoding|compress_policy|cache_policy|
	    spread)\.[ch]$}x
} sort keys %inc;
ok(scalar(grep { /\.c$/ } @policy) >= 3, 'found the policy files')
    or diag("policy files: @policy");
# The first header of %$forbidden that file f reaches, directly or through
# others, with the chain that leads there; () when none.
sub reaches {
	my ($f, $forbidden) = @_;
	my (%via, @queue);
	@queue = ($f);
	$via{$f} = '';
	my $hit;
	while (defined(my $h = shift @queue)) {
		for my $i (@{ $inc{$h} }) {
			my $to = $i->[0];
			next if exists $via{$to} || !exists $inc{$to};
			$via{$to} = $h;
			if ($forbidden->{$to}) {
				$hit = $to;
				last;
			}
			push @queue, $to;
		}
		last if $hit;
	}
	return () unless $hit;
	my @chain;
	for (my $h = $hit; defined $h && $h ne ''; $h = $via{$h}) {
		unshift @chain, $h;
	}
	return @chain;
}

my %forbidden = map { $_ => 1 } qw(worker/conn.h worker/req.h);
for my $f (@policy) {
	my @chain = reaches($f, \%forbidden);
	ok(!@chain, "$f does not include worker/conn.h or worker/req.h")
	    or diag('through ' . join(' -> ', @chain));
}

# The connection is the socket alone: what it carries is its protocol's,
# so conn.c and conn.h reach nothing of requests, routes, caches or
# upstreams.
my %request_side = map { $_ => 1 } qw(worker/req.h worker/req_int.h
    worker/request.h worker/proxy.h worker/body.h worker/cache.h
    worker/upstream.h worker/balance.h common/route.h);
for my $f (qw(worker/conn.c worker/conn.h)) {
	next unless exists $inc{$f};
	my @chain = reaches($f, \%request_side);
	ok(!@chain, "$f reaches nothing of the request side")
	    or diag('through ' . join(' -> ', @chain));
}

# A guide, not a rule: files that may hold more than one idea.
for my $f (sort { $lines{$b} <=> $lines{$a} } keys %lines) {
	diag("$f has $lines{$f} lines (over $long: one idea per file?)")
	    if $lines{$f} > $long;
}

done_testing;
