# Reload under load: a client sends requests without pause while the master
# reloads five times in a row; not one request may fail or be refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Test::Frontd;
use Time::HiRes qw(time sleep);

my $MAX_REQUESTS = 2000;
my $RELOADS = 5;

my $t = Test::Frontd->new;
my @be = map { $t->backend(body => "ok\n") } 1 .. 2;

sub config {
	my ($be) = @_;
	return "[global]\nworkers = 2\n\n[upstream app]\nserver = $be->{addr}\n\n"
	    . "[route all]\nupstream = app\n";
}

$t->start(config($be[0]));
$t->wait_for(sub { $t->workers == 2 && $t->checker == 1 }, 5, 'frontd is up');
is($t->get('/')->summary, "200 ok\n", 'a first request works');

# The client: one connection per request, a short pause between them so
# the run spans every reload; stops when the stop file appears or after
# MAX_REQUESTS.  Its tally goes to a file: sent ok failed refused, then up
# to 10 failures.
my $stop = $t->dir . '/stop-client';
my $tally = $t->dir . '/client-tally';
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	my ($sent, $ok, $failed, $refused) = (0, 0, 0, 0);
	my @why;
	while ($sent < $MAX_REQUESTS && !-e $stop) {
		my $r = $t->get("/load/$sent");
		$sent++;
		if ($r->status == 200 && $r->content eq "ok\n" && !$r->error) {
			$ok++;
		} else {
			$r->refused ? $refused++ : $failed++;
			push @why, sprintf("%.3f request %d: %s", time, $sent, $r->summary)
			    if @why < 10;
		}
		sleep 0.001;
	}
	open my $fh, '>', "$tally.tmp" or POSIX::_exit(1);
	print $fh join(' ', $sent, $ok, $failed, $refused), "\n", map { "$_\n" } @why;
	close $fh;
	rename "$tally.tmp", $tally;
	POSIX::_exit(0);
}
$t->track($pid);

# Wait until the client is well under way, then reload.
$t->wait_for(sub { $t->access_log =~ m{GET /load/10 } }, 10, 'the client is sending');
for my $i (1 .. $RELOADS) {
	my $t0 = time;
	ok($t->reload(config($be[ $i % 2 ])), "reload $i: the new generation runs")
	    or diag($t->error_log);
	note(sprintf "reload %d took %.2f s", $i, time - $t0);
}
# Keep the load on for one more second with the last generation.
sleep 1;
$t->spew($stop, '');
$t->wait_for(sub { -e $tally }, 30, 'the client finishes');
waitpid($pid, 0);

my ($sent, $ok, $failed, $refused, @why) = do {
	my ($head, @rest) = split /\n/, $t->slurp($tally);
	((split ' ', $head // '0 0 0 0'), @rest);
};
diag("sent $sent requests during $RELOADS reloads: $ok ok, $failed failed, $refused refused");
cmp_ok($sent, '>', 0, 'requests were sent');
is($failed, 0, 'no request failed') or diag(join "\n", @why);
is($refused, 0, 'no connection was refused') or diag(join "\n", @why);
is($ok, $sent, 'every request got the backend\'s answer');
cmp_ok($sent, '<', $MAX_REQUESTS, 'the reloads were all done while the client ran')
    or diag("the client stopped at $MAX_REQUESTS before the reloads were done");

$t->check_logs;
done_testing;
