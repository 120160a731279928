/*
 * Unit tests for the balancing algorithms (worker/lb_*.c) through lb_pick,
 * as a worker calls them: upstreams from real config text, a health table
 * in memory and a fixed clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/route.h"
#include "common/shm.h"
#include "common/util.h"
#include "worker/lb.h"
#include "t/unit/tap.h"

#define NOW_MS		1000000
#define NKEYS		4000
#define FULL		-2	/* pick(): PICK_FULL */

struct fx {
	struct config		*cfg;
	struct cfg_upstream	*up;
	const struct lb_ops	*ops;
	struct lb_state		 st;
	struct health_slot	 health[8];
	int16_t			 tried[4];
	struct lb_ctx		 ctx;
};

static char	dir[] = "/tmp/frontd-unit-lb-XXXXXX";
static char	path[sizeof(dir) + 16];

/*
 * An upstream with the given servers and keys, balanced by ops (its name
 * is the "balance" value), and a fresh state for it in worker "worker".
 * A config that does not load is a failed test.
 */
static bool
fx_open(struct fx *f, const struct lb_ops *ops, unsigned worker,
    const char *keys)
{
	FILE	*fp;

	memset(f, 0, sizeof(*f));
	if ((fp = fopen(path, "w")) == NULL) {
		ok(0, "%s: %s", path, strerror(errno));
		return false;
	}
	fprintf(fp, "[listener a]\naddress = 127.0.0.1:8080\n"
	    "[upstream app]\n%sbalance = %s\n%s[route r]\nupstream = app\n",
	    keys, ops->name, ops->key == LB_KEY_VAR ? "hash = $uri\n" : "");
	fclose(fp);
	f->cfg = config_load(path);
	unlink(path);
	for (size_t i = 0; i < f->cfg->nerrors; i++)
		printf("# config: %s\n", f->cfg->errors[i]);
	if (f->cfg->nerrors != 0 || f->cfg->nupstreams != 1) {
		ok(0, "%s: config for %s loads", ops->name, keys);
		config_free(f->cfg);
		return false;
	}
	f->up = f->cfg->upstreams[0];
	f->ops = ops;
	lb_init(ops, &f->st, f->up, worker);
	f->ctx.up = f->up;
	f->ctx.health = f->health;
	f->ctx.st = &f->st;
	f->ctx.tried = f->tried;
	f->ctx.now_ms = NOW_MS;
	return true;
}

static void
fx_close(struct fx *f)
{
	lb_free(&f->st);
	config_free(f->cfg);
}

/* A server's index, -1 for PICK_NONE, FULL for PICK_FULL. */
static int
pick(struct fx *f)
{
	size_t	j = 99;

	switch (lb_pick(f->ops, &f->ctx, &j)) {
	case PICK_OK:
		return (int)j;
	case PICK_FULL:
		return FULL;
	default:
		return -1;
	}
}

/* n picks as a string: a digit per server, '-' none, 'F' full. */
static const char *
picks(struct fx *f, int n)
{
	static char	s[64];
	int		i, j;

	for (i = 0; i < n && i < (int)sizeof(s) - 1; i++) {
		j = pick(f);
		s[i] = j >= 0 ? (char)('0' + j) : j == FULL ? 'F' : '-';
	}
	s[i] = '\0';
	return s;
}

static int
pick_key(struct fx *f, int key)
{
	char	k[32];
	int	len = snprintf(k, sizeof(k), "/key/%d", key);

	f->ctx.hash = hash32(k, (size_t)len);
	return pick(f);
}

/* Picks per server over n picks (count[] has room for the servers). */
static void
tally(struct fx *f, int n, int *count)
{
	memset(count, 0, f->up->nservers * sizeof(*count));
	for (int i = 0; i < n; i++) {
		int j = pick(f);

		if (j >= 0)
			count[j]++;
	}
}

#define S3	"server = 127.0.0.1:9001\nserver = 127.0.0.1:9002\n" \
		"server = 127.0.0.1:9003\n"

/* What frontdctl sets in the health table wins over the file. */
static void
test_admin(void)
{
	struct fx	f;
	const char	*s;
	int		 count[3];

	if (!fx_open(&f, &lb_round_robin, 0, "server = 127.0.0.1:9001\n"
	    "server = 127.0.0.1:9002 drain\nserver = 127.0.0.1:9003 down\n"))
		return;
	s = picks(&f, 4);
	ok(strcmp(s, "0000") == 0, "admin: the file's drain and down hold "
	    "(%s)", s);
	f.health[1].admin_state = ADMIN_READY;
	f.health[2].admin_state = ADMIN_READY;
	s = picks(&f, 6);
	ok(strcmp(s, "012012") == 0, "admin: ready wins over the file's "
	    "drain and down (%s)", s);
	f.health[0].admin_state = ADMIN_DRAIN;
	f.health[1].admin_state = ADMIN_MAINT;
	s = picks(&f, 4);
	ok(strcmp(s, "2222") == 0, "admin: drain and maint take servers "
	    "out (%s)", s);
	f.health[0].admin_state = ADMIN_NONE;
	f.health[1].admin_state = ADMIN_READY;
	f.health[2].admin_state = ADMIN_NONE;
	f.health[1].admin_weight = 3;
	tally(&f, 40, count);
	ok(count[0] == 10 && count[1] == 30 && count[2] == 0, "admin: a "
	    "weight set at run time splits 1:3 (%d:%d:%d)", count[0],
	    count[1], count[2]);
	fx_close(&f);

	if (!fx_open(&f, &lb_random, 0, S3))
		return;
	f.health[2].admin_weight = 8;
	tally(&f, 1000, count);
	ok(count[2] > 600, "admin: random follows a weight set at run time "
	    "(%d of 1000)", count[2]);
	fx_close(&f);
}

static void
test_round_robin(void)
{
	struct fx	f;
	const char	*s;

	if (!fx_open(&f, &lb_round_robin, 0, "server = 127.0.0.1:9001 "
	    "weight=5\nserver = 127.0.0.1:9002\nserver = 127.0.0.1:9003\n"))
		return;
	s = picks(&f, 14);
	ok(strcmp(s, "00102000010200") == 0,
	    "round robin: weights 5:1:1 interleave smoothly (%s)", s);
	fx_close(&f);

	if (!fx_open(&f, &lb_round_robin, 3, S3))
		return;
	s = picks(&f, 6);
	ok(strcmp(s, "012012") == 0,
	    "round robin: equal weights take turns, whatever the worker (%s)",
	    s);
	f.up->servers[1].down = true;
	s = picks(&f, 4);
	ok(strcmp(s, "0202") == 0, "round robin: a server "
	    "marked down is skipped (%s)", s);
	f.up->servers[1].down = false;
	f.up->servers[0].drain = true;
	s = picks(&f, 6);
	ok(strchr(s, '0') == NULL, "round robin: a draining "
	    "server gets nothing new (%s)", s);
	f.up->servers[0].drain = false;

	f.health[2].state = HEALTH_DOWN;
	s = picks(&f, 6);
	ok(strchr(s, '2') != NULL, "round robin: a checker's "
	    "down counts for nothing while checks are off (%s)", s);
	f.up->check = CHECK_TCP;
	s = picks(&f, 6);
	ok(strchr(s, '2') == NULL, "round robin: the checker's "
	    "down is obeyed while checks are on (%s)", s);
	f.health[2].state = HEALTH_UP;
	f.up->check = CHECK_OFF;

	f.health[0].down_until_ms = NOW_MS + 1;
	s = picks(&f, 6);
	ok(strchr(s, '0') == NULL, "round robin: a passive "
	    "mark holds until its time (%s)", s);
	f.health[0].down_until_ms = NOW_MS;
	s = picks(&f, 6);
	ok(strchr(s, '0') != NULL, "round robin: and ends "
	    "then (%s)", s);
	f.health[0].down_until_ms = NOW_MS + 5000;
	f.health[0].up_since_ms = NOW_MS + 5000 - f.up->fail_timeout_ms + 1;
	s = picks(&f, 6);
	ok(strchr(s, '0') == NULL, "round robin: an up seen "
	    "after the mark lifts nothing while checks are off (%s)", s);
	f.up->check = CHECK_HTTP;
	s = picks(&f, 6);
	ok(strchr(s, '0') != NULL, "round robin: but lifts "
	    "the mark while checks are on (%s)", s);
	f.up->check = CHECK_OFF;
	f.health[0].down_until_ms = 0;
	f.health[0].up_since_ms = 0;

	f.tried[0] = 1;
	f.ctx.ntried = 1;
	s = picks(&f, 6);
	ok(strchr(s, '1') == NULL, "round robin: a server "
	    "this request tried is skipped (%s)", s);
	f.tried[1] = 0;
	f.tried[2] = 2;
	f.ctx.ntried = 3;
	ok(pick(&f) == -1, "round robin: none left after trying all");
	f.ctx.ntried = 0;

	f.up->servers[0].max_conns = 2;
	f.health[0].active = 2;
	s = picks(&f, 6);
	ok(strchr(s, '0') == NULL, "round robin: a server at "
	    "max_conns is passed over (%s)", s);
	f.health[0].active = 1;
	s = picks(&f, 6);
	ok(strchr(s, '0') != NULL, "round robin: and taken "
	    "below it (%s)", s);
	f.up->servers[1].max_conns = f.up->servers[2].max_conns = 1;
	f.health[0].active = 2;
	f.health[1].active = f.health[2].active = 1;
	ok(pick(&f) == FULL, "round robin: all at max_conns is PICK_FULL");
	f.health[2].active = 0;
	f.up->servers[2].down = true;
	ok(pick(&f) == FULL, "round robin: full and down together is still "
	    "PICK_FULL");
	f.up->servers[0].down = f.up->servers[1].down = true;
	ok(pick(&f) == -1, "round robin: all down is PICK_NONE");
	fx_close(&f);
}

static void
test_slow_start(void)
{
	struct fx	f;
	const char	*s;

	if (!fx_open(&f, &lb_round_robin, 0, S3 "slow_start = 10s\n"))
		return;
	ok(lb_weight(&f.ctx, 0) == 100, "slow start: never down, full "
	    "weight");
	f.health[0].up_since_ms = NOW_MS - 5000;
	ok(lb_weight(&f.ctx, 0) == 50, "slow start: half way, half weight");
	f.health[0].up_since_ms = NOW_MS;
	ok(lb_weight(&f.ctx, 0) == 10, "slow start: just back, a tenth");
	f.health[0].up_since_ms = NOW_MS - 10000;
	ok(lb_weight(&f.ctx, 0) == 100, "slow start: over after slow_start");
	f.health[0].up_since_ms = NOW_MS;
	s = picks(&f, 42);
	ok(strcmp(s, "121212012121212121212121212012121212121212") == 0,
	    "slow start: a server just back gets 10 of 210 (%s)", s);
	fx_close(&f);
}

static void
test_backup(void)
{
	static const struct lb_ops *const all[] = { &lb_round_robin,
	    &lb_least_conn, &lb_hash, &lb_ip_hash, &lb_random };
	struct fx	f;
	const char	*s;

	for (size_t i = 0; i < nitems(all); i++) {
		if (!fx_open(&f, all[i], 0, "server = 127.0.0.1:9001\n"
		    "server = 127.0.0.1:9002 backup\n"
		    "server = 127.0.0.1:9003 backup\n"
		    "server = 127.0.0.1:9004 weight=2\n"))
			continue;
		f.ctx.hash = 12345;
		s = picks(&f, 12);
		ok(strspn(s, "03") == 12, "%s: no backup while a primary is "
		    "up (%s)", all[i]->name, s);
		f.health[0].down_until_ms = NOW_MS + 1;
		f.up->servers[3].max_conns = 1;
		f.health[3].active = 1;
		s = picks(&f, 4);
		ok(strcmp(s, "1212") == 0, "%s: backups in round robin when "
		    "no primary is left (%s)", all[i]->name, s);
		f.up->servers[1].down = f.up->servers[2].down = true;
		ok(pick(&f) == FULL, "%s: a full primary and no backup is "
		    "PICK_FULL", all[i]->name);
		fx_close(&f);
	}
}

static void
test_least_conn(void)
{
	struct fx	f;
	const char	*s;

	if (!fx_open(&f, &lb_least_conn, 0, S3))
		return;
	s = picks(&f, 6);
	ok(strcmp(s, "012012") == 0, "least_conn: ties go "
	    "round, from worker 0's start (%s)", s);
	f.health[0].active = 3;
	f.health[1].active = 1;
	f.health[2].active = 2;
	s = picks(&f, 3);
	ok(strcmp(s, "111") == 0, "least_conn: the fewest "
	    "active over all workers (%s)", s);
	f.health[1].active = 5;
	f.up->servers[1].weight = 3;
	s = picks(&f, 3);
	ok(strcmp(s, "111") == 0, "least_conn: per unit of "
	    "weight, 5/3 before 2/1 (%s)", s);
	f.health[1].active = 7;
	s = picks(&f, 3);
	ok(strcmp(s, "222") == 0, "least_conn: and 2/1 before "
	    "7/3 (%s)", s);
	f.up->servers[2].down = true;
	s = picks(&f, 3);
	ok(strcmp(s, "111") == 0, "least_conn: a down server "
	    "is skipped (%s)", s);
	f.tried[0] = 1;
	f.ctx.ntried = 1;
	s = picks(&f, 3);
	ok(strcmp(s, "000") == 0, "least_conn: so is one this "
	    "request tried (%s)", s);
	f.up->servers[0].max_conns = 3;
	ok(pick(&f) == FULL, "least_conn: the last one at max_conns is "
	    "PICK_FULL");
	fx_close(&f);

	if (!fx_open(&f, &lb_least_conn, 4, S3))
		return;
	s = picks(&f, 4);
	ok(strcmp(s, "1201") == 0, "least_conn: worker 4 "
	    "starts elsewhere (%s)", s);
	fx_close(&f);
}

static void
test_hash(void)
{
	static int	 before[NKEYS];
	struct fx	 f, g;
	int		 count[4] = { 0 }, same = 0, moved = 0, elsewhere = 0;
	int		 j;

	if (!fx_open(&f, &lb_hash, 0, S3 "server = 127.0.0.1:9004\n") ||
	    !fx_open(&g, &lb_hash, 1, S3 "server = 127.0.0.1:9004\n"))
		return;
	ok(lb_hash.key == LB_KEY_VAR && lb_ip_hash.key == LB_KEY_ADDR &&
	    lb_hash.pick == lb_ip_hash.pick, "hash, ip_hash: one ring walk, "
	    "different keys");
	for (int k = 0; k < NKEYS; k++) {
		before[k] = pick_key(&f, k);
		if (before[k] >= 0)
			count[before[k]]++;
		if (pick_key(&f, k) == before[k] &&
		    pick_key(&g, k) == before[k])
			same++;
	}
	ok(same == NKEYS, "hash: a key stays on its server, in every "
	    "worker (%d of %d)", same, NKEYS);
	ok(count[0] > NKEYS / 8 && count[1] > NKEYS / 8 &&
	    count[2] > NKEYS / 8 && count[3] > NKEYS / 8, "hash: keys spread "
	    "over the servers (%d %d %d %d)", count[0], count[1], count[2],
	    count[3]);

	f.health[2].down_until_ms = NOW_MS + 1;
	for (int k = 0; k < NKEYS; k++) {
		j = pick_key(&f, k);
		if (before[k] == 2)
			moved += j != 2 && j >= 0;
		else
			elsewhere += j != before[k];
	}
	ok(elsewhere == 0 && moved == count[2], "hash: a server down moves "
	    "only its own keys (%d of %d, %d others)", moved, NKEYS,
	    elsewhere);

	f.health[2].down_until_ms = 0;
	j = pick_key(&f, 7);
	f.tried[0] = (int16_t)j;
	f.ctx.ntried = 1;
	ok(pick_key(&f, 7) != j && pick_key(&f, 7) >= 0, "hash: a retry "
	    "goes on around the ring");
	for (int i = 0; i < 4; i++)
		f.tried[i] = (int16_t)i;
	f.ctx.ntried = 4;
	ok(pick_key(&f, 7) == -1, "hash: none left after trying all");
	f.ctx.ntried = 0;

	for (int i = 0; i < 4; i++) {
		f.up->servers[i].max_conns = 1;
		f.health[i].active = 1;
	}
	f.health[1].active = 0;
	ok(pick_key(&f, 7) == 1, "hash: past servers at max_conns to one "
	    "below it");
	f.health[1].active = 1;
	ok(pick_key(&f, 7) == FULL, "hash: all at max_conns is PICK_FULL");
	for (int i = 0; i < 4; i++)
		f.health[i].active = 0;

	/* The walk's marks survive the generation counter wrapping. */
	f.st.mark_gen = UINT32_MAX;
	for (size_t i = 0; i < f.up->nservers; i++)
		f.st.mark[i] = 1;
	ok(pick_key(&f, 7) == before[7] && f.st.mark_gen == 1,
	    "hash: stale marks are cleared when the generation wraps");
	fx_close(&f);
	fx_close(&g);

	if (!fx_open(&f, &lb_ip_hash, 0, "server = 127.0.0.1:9001 weight=3\n"
	    "server = 127.0.0.1:9002\n"))
		return;
	count[0] = count[1] = 0;
	for (int k = 0; k < NKEYS; k++)
		count[pick_key(&f, k)]++;
	ok(count[0] > NKEYS * 65 / 100 && count[0] < NKEYS * 85 / 100,
	    "ip_hash: weight 3 of 4 holds about 3/4 of the keys (%d of %d)",
	    count[0], NKEYS);
	fx_close(&f);
}

static void
test_random(void)
{
	struct fx	f;
	int		count[3];

	lb_rng_seed(42);
	if (!fx_open(&f, &lb_random, 0, "server = 127.0.0.1:9001 weight=3\n"
	    "server = 127.0.0.1:9002\nserver = 127.0.0.1:9003 down\n"))
		return;
	tally(&f, 20000, count);
	ok(count[0] > 14400 && count[0] < 15600 && count[2] == 0,
	    "random: weights 3:1 hold, the down one gets none (%d %d %d)",
	    count[0], count[1], count[2]);
	f.health[0].active = 100;
	f.up->servers[0].weight = 1;
	tally(&f, 20000, count);
	ok(count[0] > 4400 && count[0] < 5600, "random: of two draws the "
	    "less loaded wins, so the busy one gets only its double draws "
	    "(%d of 20000)", count[0]);
	f.tried[0] = 1;
	f.ctx.ntried = 1;
	tally(&f, 100, count);
	ok(count[0] == 100, "random: a server tried is not drawn");
	f.up->servers[0].max_conns = 100;
	ok(pick(&f) == FULL, "random: the last one at max_conns is PICK_FULL");
	fx_close(&f);
}

static void
test_names(void)
{
	static const struct lb_ops *const all[] = { &lb_round_robin,
	    &lb_least_conn, &lb_ip_hash, &lb_hash, &lb_random };
	struct fx	f;
	bool		loads;

	for (size_t i = 0; i < nitems(all); i++) {
		loads = fx_open(&f, all[i], 0, "server = 127.0.0.1:9001\n");
		if (loads)
			fx_close(&f);
		ok(loads, "%s is a balance value of frontd.conf",
		    all[i]->name);
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/lb.conf", dir);
	test_round_robin();
	test_slow_start();
	test_backup();
	test_least_conn();
	test_hash();
	test_random();
	test_names();
	test_admin();
	rmdir(dir);
	return tap_done();
}
