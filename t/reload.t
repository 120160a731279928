# Reload (SIGHUP and "frontd -s reload"): a good config replaces every
# worker and keeps the listening socket; a broken one changes nothing and
# is reported with file:line; no fd leak, no zombie.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Frontd;

my $t = Test::Frontd->new;
my $one = $t->backend(body => "one\n");
my $two = $t->backend(body => "two\n");

sub config {
	my ($be, $extra) = @_;
	return "[global]\nworkers = 2\n\n[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n" . ($extra // '');
}

sub bodies {
	my ($n) = @_;
	my %seen;
	$seen{ $t->get('/')->summary }++ for 1 .. $n;
	return \%seen;
}

$t->start(config($one));
my $m = $t->master_pid;
my $conf = $t->conf;
my $ts = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/;

$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'generation 1 is up');
is_deeply(bodies(4), { "200 one\n" => 4 }, 'answers come from backend one');

my @w1 = $t->workers;
my ($c1) = $t->checker;
my $inode = $t->listen_inode;
ok($inode, "127.0.0.1:$t->{port} listens (socket inode $inode)");
ok((grep { $_ eq "socket:[$inode]" } $t->fds($m)), 'the master holds the listening socket');

# 1. HUP with a good, changed configuration.
$t->write_config(config($two));
ok($t->signal('HUP'), 'HUP sent');
$t->wait_for(sub {
	my @w = $t->workers;
	@w == 2 && !grep { my $o = $_; grep { $_ == $o } @w } @w1
}, 10, 'two new workers replace the old ones');
$t->wait_for(sub { !grep { $t->alive($_) } @w1, $c1 }, 15,
    'the old workers and checker exit');
my @w2 = $t->workers;
my ($c2) = $t->checker;
ok($c2 && $c2 != $c1, 'a new health checker runs') or diag("checker: " . ($c2 // 'none'));
is_deeply(bodies(4), { "200 two\n" => 4 }, 'answers now come from backend two');
is($t->listen_inode, $inode, 'the listening socket is the same (same inode)');
ok((grep { $_ eq "socket:[$inode]" } $t->fds($m)), 'the master still holds it');
is($t->master_pid, $t->slurp($t->pid_file) =~ s/\s+//gr, 'the pid file is unchanged');

my ($gen) = $t->error_log
    =~ /^$ts notice master\[$m\]: reload: configuration \Q$conf\E loaded, generation (\d+) started$/m;
ok(defined $gen, 'the reload is logged') or diag($t->error_log);
$gen //= 2;

# 2. HUP with a broken configuration: nothing changes.
$t->write_config(config($two, "\n[route more]\nuptream = app\n"));
my $bad_line = $t->line_of(qr/^uptream/);
my $bad = qr/\Q$conf\E:$bad_line: unknown key "uptream" in \[route more\] \(did you mean "upstream"\?\)/;
ok($t->signal('HUP'), 'HUP sent with a broken config');
$t->wait_for(sub { $t->error_log =~ /^$ts warn master\[$m\]: reload refused/m }, 10,
    'the refusal is logged at warn');
like($t->error_log, qr/^$ts warn master\[$m\]: reload refused: /m,
    'as "reload refused: ..."');
like($t->error_log, qr/^$ts warn master\[$m\]: .*$bad/m,
    'the log names the error with file:line') or diag($t->error_log);
is_deeply([ $t->workers ], \@w2, 'the same workers keep running');
is(($t->checker)[0], $c2, 'the same checker keeps running');
is_deeply(bodies(4), { "200 two\n" => 4 }, 'and keep serving');

# 3. frontd -s reload.
{
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 1, '-s reload with a broken config: exit 1');
	like("$out$err", qr/^reload failed:/m, 'prints reload failed:') or diag("$out$err");
	like("$out$err", $bad, 'and the error with file:line');
	is_deeply([ $t->workers ], \@w2, 'the workers are untouched');
}
{
	$t->write_config(config($one));
	my ($code, $out, $err) = $t->run_frontd('-s', 'reload', '-c', $conf);
	is($code, 0, '-s reload with a good config: exit 0') or diag("$out$err");
	like($out, qr/\Areload ok: .*\n/, 'prints reload ok and what changed');
	is($err, '', 'nothing on stderr');
	my @left = glob($t->pid_file . '.reload*');
	is_deeply(\@left, [], 'the outcome file was read and removed');
	$t->wait_for(sub { !grep { $t->alive($_) } @w2, $c2 }, 15,
	    'the previous generation exits');
	$t->wait_for(sub { $t->workers == 2 }, 5, 'two workers run');
	is_deeply(bodies(4), { "200 one\n" => 4 }, 'answers come from backend one again');
	like($t->error_log, qr/generation @{[ $gen + 1 ]} started$/m,
	    'the generation number goes up by one');
}

# 4. No fd leak and no zombie over reloads.
my @fds = $t->fds($m);
for my $i (1 .. 3) {
	ok($t->reload(config($i % 2 ? $two : $one)), "reload $i: a new generation runs");
}
my @fds_after = $t->fds($m);
is(scalar @fds_after, scalar @fds, 'the master has as many fds after 3 more reloads')
    or diag("before:\n  @fds\nafter:\n  @fds_after");
$t->wait_for(sub { !$t->zombies }, 5, 'no zombie among the master\'s children');
is(scalar $t->children, 3, 'the master has 2 workers and 1 checker, nothing else')
    or diag(join "\n", map { "$_: " . $t->title($_) } $t->children);
is($t->listen_inode, $inode, 'still the same listening socket');
is($t->master_pid, $m, 'still the same master');

$t->check_logs;
done_testing;
