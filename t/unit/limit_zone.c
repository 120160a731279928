/*
 * Unit tests for common/limit_zone.c, through its public API: GCRA with a
 * fake clock, independent keys, eviction of a full zone, a zone kept over
 * a reload, processes hammering one key at once (no update lost), and
 * connection counts across processes, crashed ones included.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/limit_zone.h"
#include "t/unit/tap.h"

#define T0		1000000		/* fake clock, ms */
#define NPROCS		4
#define ZONE_SIZE	(256 * 1024)

/* What the processes of a test share besides the zone. */
struct shared {
	pthread_barrier_t	 barrier;
	_Atomic uint64_t	 allowed;
	_Atomic uint64_t	 denied;
	_Atomic uint32_t	 over;		/* a count seen above max */
};

static struct shared *
shared_new(unsigned nprocs)
{
	struct shared		*sh;
	pthread_barrierattr_t	 a;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	pthread_barrierattr_init(&a);
	pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&sh->barrier, &a, nprocs);
	pthread_barrierattr_destroy(&a);
	return sh;
}

static void
shared_free(struct shared *sh)
{
	pthread_barrier_destroy(&sh->barrier);
	munmap(sh, sizeof(*sh));
}

/* Runs fn(i) in n children; true when all exit 0. */
static bool
run_procs(unsigned n, void (*fn)(unsigned, void *), void *arg)
{
	pid_t	pids[NPROCS];
	int	status;
	bool	good = true;

	for (unsigned i = 0; i < n; i++) {
		if ((pids[i] = fork()) == -1) {
			perror("fork");
			exit(1);
		}
		if (pids[i] == 0) {
			alarm(20);	/* a hung child fails, never hangs */
			fn(i, arg);
			_exit(0);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (waitpid(pids[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			good = false;
	return good;
}

static enum limit_verdict
rate(struct limit_zone *z, const char *id, const char *key,
    uint64_t interval_us, uint32_t burst, int64_t now, int64_t *retry,
    uint32_t *left)
{
	return limit_rate_check(z, id, key, strlen(key), interval_us, burst,
	    now, retry, left);
}

/* --- GCRA ------------------------------------------------------------- */

static void
test_gcra(struct limit_zone *z)
{
	uint64_t	 T = LIMIT_PER_SECOND(50);	/* 20 ms */
	enum limit_verdict v;
	int64_t		 retry, now, last_allowed = 0;
	uint32_t	 left;
	int		 n, expect_left_ok = 1, timing_ok = 1;

	ok(T == 20000, "50 r/s is one request every 20000 us");
	for (n = 0; n < 11; n++) {
		if (rate(z, "api", "192.0.2.1", T, 10, T0, &retry,
		    &left) != LIMIT_ALLOW || retry != 0 ||
		    left != (uint32_t)(10 - n))
			expect_left_ok = 0;
	}
	ok(expect_left_ok, "burst 10: 11 pass at once, remaining 10 down to 0");
	v = rate(z, "api", "192.0.2.1", T, 10, T0, &retry, &left);
	ok(v == LIMIT_DENY && retry == 20 && left == 0,
	    "the 12th is refused, retry after 20 ms (got %lld)",
	    (long long)retry);
	v = rate(z, "api", "192.0.2.1", T, 10, T0 + 7, &retry, NULL);
	ok(v == LIMIT_DENY && retry == 13, "7 ms later: retry after 13 ms "
	    "(got %lld)", (long long)retry);
	ok(rate(z, "api", "192.0.2.1", T, 10, T0 + 19, &retry, NULL) ==
	    LIMIT_DENY && retry == 1, "19 ms later: retry after 1 ms");
	ok(rate(z, "api", "192.0.2.1", T, 10, T0 + 20, &retry, &left) ==
	    LIMIT_ALLOW && retry == 0 && left == 0, "20 ms later: one passes");

	/* Every ms for a second: exactly one per 20 ms, on the dot. */
	n = 0;
	for (now = T0 + 21; now < T0 + 1021; now++)
		while (rate(z, "api", "192.0.2.1", T, 10, now, &retry,
		    NULL) == LIMIT_ALLOW) {
			if (now % 20 != 0 || now == last_allowed)
				timing_ok = 0;
			last_allowed = now;
			n++;
		}
	ok(n == 50 && timing_ok, "a client trying every ms gets 50 in a "
	    "second, each 20 ms apart (got %d)", n);

	/* Idle long enough, the full burst is back. */
	now = T0 + 1020 + 220;
	for (n = 0; rate(z, "api", "192.0.2.1", T, 10, now, NULL, NULL) ==
	    LIMIT_ALLOW; n++)
		;
	ok(n == 11, "after 220 ms idle the burst is whole again (got %d)", n);
	now += 30;
	for (n = 0; rate(z, "api", "192.0.2.1", T, 10, now, NULL, NULL) ==
	    LIMIT_ALLOW; n++)
		;
	ok(n == 1, "30 ms later one has come back (got %d)", n);

	/* Slow rates: 6 per minute, no burst. */
	T = LIMIT_PER_MINUTE(6);
	ok(rate(z, "slow", "k", T, 0, T0, &retry, &left) == LIMIT_ALLOW &&
	    left == 0, "6 r/m: the first passes, none left");
	v = rate(z, "slow", "k", T, 0, T0 + 1000, &retry, NULL);
	ok(v == LIMIT_DENY && retry == 9000, "a second later: retry after "
	    "9 s (got %lld)", (long long)retry);
	ok(rate(z, "slow", "k", T, 0, T0 + 10000, NULL, NULL) == LIMIT_ALLOW,
	    "10 s later it passes");
}

static void
test_keys(struct limit_zone *z)
{
	uint64_t	T = LIMIT_PER_SECOND(1);
	int		n;

	for (n = 0; rate(z, "k", "198.51.100.1", T, 2, T0, NULL, NULL) ==
	    LIMIT_ALLOW; n++)
		;
	ok(n == 3, "key one: burst 2 gives 3");
	for (n = 0; rate(z, "k", "198.51.100.2", T, 2, T0, NULL, NULL) ==
	    LIMIT_ALLOW; n++)
		;
	ok(n == 3, "another key is not affected");
	for (n = 0; rate(z, "k2", "198.51.100.1", T, 2, T0, NULL, NULL) ==
	    LIMIT_ALLOW; n++)
		;
	ok(n == 3, "the same key under another limit is not affected");
	ok(rate(z, "ab", "c", T, 0, T0, NULL, NULL) == LIMIT_ALLOW &&
	    rate(z, "a", "bc", T, 0, T0, NULL, NULL) == LIMIT_ALLOW &&
	    rate(z, "ab", "c", T, 0, T0, NULL, NULL) == LIMIT_DENY,
	    "(\"ab\", \"c\") and (\"a\", \"bc\") are two keys");
	ok(limit_rate_check(z, "bin", "a\0b", 3, T, 0, T0, NULL, NULL) ==
	    LIMIT_ALLOW &&
	    limit_rate_check(z, "bin", "a\0c", 3, T, 0, T0, NULL, NULL) ==
	    LIMIT_ALLOW, "keys are bytes: a NUL does not end them");
}

/* --- a full zone -------------------------------------------------------- */

static void
test_full(void)
{
	struct limit_zone	*z;
	struct limit_stats	 st;
	struct limit_hold	 h;
	uint64_t		 T = LIMIT_PER_MINUTE(1);
	char			 key[32];
	int			 bad = 0, denied = 0, noroom = 0, counted = 0;
	bool			 kept = true, empty = true;
	int64_t			 now = T0;

	ok(limit_zone_create(100) == NULL && errno == EINVAL,
	    "a size that holds no set is refused");
	z = limit_zone_create(4096);
	ok(z != NULL, "a 4 KiB zone");
	if (z == NULL)
		return;
	limit_zone_stats(z, now, &st);
	ok(st.buckets >= LIMIT_WAYS && st.buckets < 64,
	    "it holds %llu buckets", (unsigned long long)st.buckets);

	/* 1000 keys, each with its arrival time a minute ahead; one key is
	 * seen after each of them, so it is never the least recent. */
	rate(z, "r", "first", T, 0, now, NULL, NULL);
	rate(z, "r", "hot", T, 0, now, NULL, NULL);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		now++;
		if (rate(z, "r", key, T, 0, now, NULL, NULL) != LIMIT_ALLOW)
			bad++;
		if (rate(z, "r", "hot", T, 0, now, NULL, NULL) != LIMIT_DENY)
			kept = false;
	}
	ok(bad == 0, "a full zone refuses no new key (%d did)", bad);
	ok(kept, "the most recently seen key is never evicted");
	ok(rate(z, "r", "first", T, 0, now, NULL, NULL) == LIMIT_ALLOW,
	    "the least recently seen one was");
	limit_zone_stats(z, now, &st);
	ok(st.used == st.buckets && st.evictions >= 1000 - st.buckets,
	    "every bucket in use, %llu evictions",
	    (unsigned long long)st.evictions);

	/* Past arrival times free their buckets without an eviction. */
	limit_zone_destroy(z);
	z = limit_zone_create(4096);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		now += 2;
		rate(z, "r", key, LIMIT_PER_SECOND(1000), 0, now, NULL, NULL);
	}
	limit_zone_stats(z, now, &st);
	ok(st.evictions == 0 && st.used <= 1,
	    "expired keys are reused, not evicted (%llu evictions)",
	    (unsigned long long)st.evictions);

	/* Open connections are never evicted: once every way of a set
	 * holds one, a new key there passes uncounted. */
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		switch (limit_conn_acquire(z, "c", key, strlen(key), 1, now,
		    &h)) {
		case LIMIT_ALLOW:
			counted++;
			break;
		case LIMIT_NOROOM:
			noroom++;
			if (h.hash != 0)
				empty = false;
			limit_conn_release(z, &h, now);
			break;
		default:
			denied++;
		}
	}
	ok(denied == 0 && noroom > 0 && counted > 0,
	    "200 keys: %d counted, %d uncounted, none refused",
	    counted, noroom);
	ok(empty, "an uncounted connection holds nothing to release");
	bad = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "flood%d", i);
		switch (rate(z, "r", key, T, 0, now, NULL, NULL)) {
		case LIMIT_DENY:
			bad++;
			break;
		case LIMIT_NOROOM:
			noroom++;
			break;
		default:
			break;
		}
	}
	ok(bad == 0, "a zone full of connections refuses no request");
	for (int i = 0, n = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		n += limit_conn_count(z, "c", key, strlen(key));
		if (i == 199)
			ok(n == counted, "after the flood %d connections are "
			    "still counted (%d)", counted, n);
	}
	limit_zone_stats(z, now, &st);
	ok(st.noroom == (uint64_t)noroom, "the zone counts the %d keys "
	    "that found no room (%llu)", noroom,
	    (unsigned long long)st.noroom);
	limit_zone_destroy(z);
}

/* --- reload ------------------------------------------------------------- */

static struct limit_zone *reload_zone;

static void
exhaust(unsigned i, void *arg)
{
	while (rate(reload_zone, "api", "203.0.113.9", LIMIT_PER_MINUTE(1),
	    4, T0, NULL, NULL) == LIMIT_ALLOW)
		;
}

static void
test_reload(void)
{
	struct limit_zone	*z, *z2;

	z = limit_zone_create(ZONE_SIZE);
	reload_zone = z;
	ok(run_procs(1, exhaust, NULL), "a worker of generation 1 uses up "
	    "a key's burst");
	ok(limit_zone_fits(z, ZONE_SIZE), "a reload of the same size keeps "
	    "the zone");
	ok(rate(z, "api", "203.0.113.9", LIMIT_PER_MINUTE(1), 4, T0 + 1000,
	    NULL, NULL) == LIMIT_DENY, "generation 2 sees the key limited");
	ok(!limit_zone_fits(z, ZONE_SIZE * 2) && !limit_zone_fits(NULL,
	    ZONE_SIZE), "another size, or none, does not fit");
	z2 = limit_zone_create(ZONE_SIZE * 2);
	ok(rate(z2, "api", "203.0.113.9", LIMIT_PER_MINUTE(1), 4, T0 + 1000,
	    NULL, NULL) == LIMIT_ALLOW, "a new zone starts empty");
	limit_zone_destroy(z2);
	limit_zone_destroy(z);
}

/* --- processes at once ---------------------------------------------------- */

struct hammer {
	struct limit_zone	*z;
	struct shared		*sh;
	int			 steps;
	int			 tries;
	uint64_t		 interval_us;
	uint32_t		 burst;
};

/* Every process tries `tries` times at each tick of a clock they share. */
static void
hammer(unsigned i, void *arg)
{
	struct hammer	*hm = arg;
	uint64_t	 yes = 0, no = 0;

	for (int s = 0; s < hm->steps; s++) {
		pthread_barrier_wait(&hm->sh->barrier);
		for (int k = 0; k < hm->tries; k++)
			if (limit_rate_check(hm->z, "api", "one", 3,
			    hm->interval_us, hm->burst, T0 + s * 20, NULL,
			    NULL) == LIMIT_ALLOW)
				yes++;
			else
				no++;
	}
	atomic_fetch_add(&hm->sh->allowed, yes);
	atomic_fetch_add(&hm->sh->denied, no);
}

static void
test_hammer(void)
{
	struct hammer	hm;
	uint64_t	total;

	hm.z = limit_zone_create(ZONE_SIZE);
	hm.sh = shared_new(NPROCS);
	hm.steps = 50;
	hm.tries = 200;
	hm.interval_us = LIMIT_PER_SECOND(50);
	hm.burst = 10;
	ok(run_procs(NPROCS, hammer, &hm), "%d processes hammer one key",
	    NPROCS);
	total = atomic_load(&hm.sh->allowed);
	ok(total == 11 + 49, "50 r/s burst 10 over 50 ticks of 20 ms: "
	    "exactly 60 pass (got %llu)", (unsigned long long)total);
	ok(atomic_load(&hm.sh->denied) == (uint64_t)NPROCS * 50 * 200 - 60,
	    "and every other try is refused");
	shared_free(hm.sh);
	limit_zone_destroy(hm.z);

	/* A burst that all of them eat into at once. */
	hm.z = limit_zone_create(ZONE_SIZE);
	hm.sh = shared_new(NPROCS);
	hm.steps = 1;
	hm.tries = 5000;
	hm.burst = 9999;
	ok(run_procs(NPROCS, hammer, &hm), "%d processes share one burst",
	    NPROCS);
	total = atomic_load(&hm.sh->allowed);
	ok(total == 10000, "burst 9999: exactly 10000 of 20000 pass, no "
	    "update lost (got %llu)", (unsigned long long)total);
	shared_free(hm.sh);
	limit_zone_destroy(hm.z);
}

/* --- connections -------------------------------------------------------- */

struct conns {
	struct limit_zone	*z;
	struct shared		*sh;
};

/* Each takes what it can of 10, all hold at once, then all give back. */
static void
conn_hold(unsigned i, void *arg)
{
	struct conns		*c = arg;
	struct limit_hold	 h[10];
	int			 n = 0;

	for (int k = 0; k < 10; k++)
		if (limit_conn_acquire(c->z, "lc", "client", 6, 10, T0,
		    &h[n]) == LIMIT_ALLOW)
			n++;
		else if (h[n].hash != 0)
			_exit(2);	/* a refusal holds nothing */
	atomic_fetch_add(&c->sh->allowed, n);
	pthread_barrier_wait(&c->sh->barrier);
	if (limit_conn_count(c->z, "lc", "client", 6) != 10)
		_exit(3);
	pthread_barrier_wait(&c->sh->barrier);
	while (n > 0)
		limit_conn_release(c->z, &h[--n], T0);
}

/* Acquire and release in a loop; the total never passes max. */
static void
conn_churn(unsigned i, void *arg)
{
	struct conns		*c = arg;
	struct limit_hold	 h;
	uint64_t		 yes = 0;

	for (int k = 0; k < 3000; k++) {
		if (limit_conn_acquire(c->z, "lc", "churn", 5, 3, T0 + k,
		    &h) != LIMIT_ALLOW)
			continue;
		yes++;
		if (limit_conn_count(c->z, "lc", "churn", 5) > 3)
			atomic_store(&c->sh->over, 1);
		limit_conn_release(c->z, &h, T0 + k);
	}
	atomic_fetch_add(&c->sh->allowed, yes);
}

static void
test_conns(void)
{
	struct conns		c;
	struct limit_hold	h, mine;
	pid_t			pid;
	int			status;

	c.z = limit_zone_create(ZONE_SIZE);
	c.sh = shared_new(NPROCS);
	ok(run_procs(NPROCS, conn_hold, &c), "%d processes take connections "
	    "of one key, max 10", NPROCS);
	ok(atomic_load(&c.sh->allowed) == 10, "exactly 10 are granted "
	    "(got %llu)", (unsigned long long)atomic_load(&c.sh->allowed));
	ok(limit_conn_count(c.z, "lc", "client", 6) == 0,
	    "all given back, the count is 0");
	shared_free(c.sh);

	c.sh = shared_new(NPROCS);
	ok(run_procs(NPROCS, conn_churn, &c), "%d processes take and give "
	    "back in a loop, max 3", NPROCS);
	ok(atomic_load(&c.sh->over) == 0, "the count never passed 3");
	ok(limit_conn_count(c.z, "lc", "churn", 5) == 0 &&
	    atomic_load(&c.sh->allowed) > 0, "it ends at 0 (%llu granted)",
	    (unsigned long long)atomic_load(&c.sh->allowed));
	shared_free(c.sh);

	/* A process dies holding 3; this one holds 1 of the same key. */
	ok(limit_conn_acquire(c.z, "lc", "crash", 5, 5, T0, &mine) ==
	    LIMIT_ALLOW, "the master's test process holds one");
	if ((pid = fork()) == 0) {
		for (int k = 0; k < 3; k++)
			if (limit_conn_acquire(c.z, "lc", "crash", 5, 5, T0,
			    &h) != LIMIT_ALLOW)
				_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && limit_conn_count(c.z, "lc", "crash", 5) ==
	    4, "a worker killed while holding 3: the count is 4");
	limit_zone_reap(c.z, pid + 100000);
	ok(limit_conn_count(c.z, "lc", "crash", 5) == 4,
	    "reaping another pid changes nothing");
	limit_zone_reap(c.z, pid);
	ok(limit_conn_count(c.z, "lc", "crash", 5) == 1,
	    "reaping the dead one takes its 3 off, ours stays");
	limit_zone_reap(c.z, pid);
	ok(limit_conn_count(c.z, "lc", "crash", 5) == 1,
	    "reaping twice is harmless");
	limit_conn_release(c.z, &mine, T0);
	ok(limit_conn_count(c.z, "lc", "crash", 5) == 0 && mine.hash == 0,
	    "our own release brings it to 0");
	limit_conn_release(c.z, &mine, T0);
	ok(limit_conn_count(c.z, "lc", "crash", 5) == 0,
	    "releasing an empty hold does nothing");

	ok(limit_conn_acquire(c.z, "lc", "zero", 4, 0, T0, &h) == LIMIT_DENY &&
	    h.hash == 0, "max 0 refuses every connection");
	limit_zone_destroy(c.z);
}

/* --- processes killed at any instant ------------------------------------ */

/* Rate checks and connections on one key until killed; counts its turns. */
static void
spin(struct limit_zone *z, struct shared *sh)
{
	struct limit_hold	h[4];
	int64_t			now = T0;

	memset(h, 0, sizeof(h));
	for (uint64_t k = 0;; k++) {
		limit_rate_check(z, "spin", "key", 3, 1, 5, now++, NULL,
		    NULL);
		limit_conn_release(z, &h[k % 4], now);
		if (limit_conn_acquire(z, "spin", "key", 3, 1000, now,
		    &h[k % 4]) != LIMIT_ALLOW)
			_exit(2);
		atomic_fetch_add(&sh->allowed, 1);
	}
}

static void
test_killed(void)
{
	struct limit_zone	*z;
	struct shared		*sh;
	struct limit_hold	 h;
	pid_t			 pid;
	int			 status, kills = 0, leaked = 0, stuck = 0;

	z = limit_zone_create(ZONE_SIZE);
	sh = shared_new(1);
	for (int round = 0; round < 20; round++) {
		atomic_store(&sh->allowed, 0);
		if ((pid = fork()) == 0)
			spin(z, sh);
		/* Killed after a varying number of turns. */
		while (atomic_load(&sh->allowed) < 500 + (uint64_t)round * 97)
			;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			kills++;
		/* A lock it held is taken over (else the alarm ends the
		 * test); what it held is reaped. */
		alarm(10);
		limit_zone_reap(z, pid);
		if (limit_rate_check(z, "spin", "key", 3, 1, 5,
		    T0 + 1000000 * (round + 1), NULL, NULL) != LIMIT_ALLOW)
			stuck++;
		alarm(0);
		if (limit_conn_count(z, "spin", "key", 3) != 0)
			leaked++;
	}
	ok(kills == 20, "20 processes killed while busy on one key");
	ok(stuck == 0, "none left a lock that blocks the others, or its key "
	    "broken");
	ok(leaked == 0, "after each reap its connections are gone (%d "
	    "leaked)", leaked);
	ok(limit_conn_acquire(z, "spin", "key", 3, 1, T0, &h) == LIMIT_ALLOW,
	    "and the key takes a connection again");
	limit_conn_release(z, &h, T0);
	shared_free(sh);
	limit_zone_destroy(z);
}

int
main(void)
{
	struct limit_zone	*z;

	setvbuf(stdout, NULL, _IONBF, 0);	/* children fork with it */
	z = limit_zone_create(ZONE_SIZE);
	ok(z != NULL, "a zone of 256 KiB");
	if (z == NULL)
		return tap_done();
	test_gcra(z);
	test_keys(z);
	limit_zone_destroy(z);
	test_full();
	test_reload();
	test_hammer();
	test_conns();
	test_killed();
	return tap_done();
}
