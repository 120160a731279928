/*
 * Spreading new connections over the workers of a generation. The kernel
 * wakes one worker for a new connection (EPOLLEXCLUSIVE) and that worker
 * takes what is queued, so a burst, or the slow trickle of a slowloris,
 * may all land on whichever worker is woken first. So each worker
 * publishes in the generation's spread zone how many connections it
 * holds; one that holds clearly more than its share stops taking new ones
 * and wakes, through its eventfd, the worker that holds least, which
 * takes them instead. The first takes connections again when another
 * worker wakes it in turn, or after SPREAD_WAIT_MS. A worker woken that
 * did not answer in that time (busy, stopped) is not waited for: the
 * spreading is left aside for SPREAD_TRUST_MS, so it never stalls
 * accepting. With one worker none of this runs; with even load it costs a
 * few loads from shared memory per accept.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/shm.h"
#include "worker/spread.h"

#define SPREAD_SLACK_MIN	4	/* connections over the mean, and */
#define SPREAD_SLACK_DIV	16	/* a sixteenth of the mean more */
#define SPREAD_WAIT_MS		20
#define SPREAD_TRUST_MS		1000

static void	spread_poked(struct ev_loop *, int, uint32_t, void *);
static void	spread_waited(struct ev_loop *, void *);
static void	spread_resume(void);

static struct {
	struct spread_zone	*zone;		/* NULL: nothing to spread */
	const int		*pokes;
	size_t			 n;
	size_t			 slot;
	struct ev_loop		*loop;
	struct ev_io		 poke_io;
	struct ev_timer		 timer;
	spread_resume_fn	*resume;
	bool			 deferring;
	size_t			 target;	/* the worker woken */
	uint64_t		 target_woken;	/* its wake-ups until then */
	int64_t			 trust_after_ms;
} S;

/*
 * Whether a worker that holds mine of the total connections of n workers
 * holds clearly more than its share: SPREAD_SLACK_MIN plus a sixteenth
 * more than the mean. The slack keeps even load from flapping; its
 * sixteenth grows with the load, so that 100 connections land 58/42 at
 * worst on two workers, and 1000, 536/464.
 */
bool
spread_over(uint64_t mine, uint64_t total, uint64_t n)
{
	if (n < 2 || mine * n <= total)
		return false;
	/* mine - total / n >= MIN + total / (n * DIV), times n * DIV. */
	return mine * n * SPREAD_SLACK_DIV >= total * (SPREAD_SLACK_DIV + 1) +
	    SPREAD_SLACK_MIN * n * SPREAD_SLACK_DIV;
}

/*
 * Takes this worker's slot of env->spread; resume is called when the
 * worker should take connections again (it was woken, or waited enough),
 * and tries to accept at once: a wake-up may come for connections that
 * are queued already, which epoll would not report again.
 */
void
spread_init(struct ev_loop *loop, const struct proc_env *env,
    spread_resume_fn *resume)
{
	struct spread_slot	*sl;

	if (env->spread == NULL || env->pokes == NULL || env->slot < 0 ||
	    (uint64_t)env->slot >= env->spread->hdr.nslots)
		return;
	S.zone = env->spread;
	S.pokes = env->pokes;
	S.n = (size_t)env->spread->hdr.nslots;
	S.slot = (size_t)env->slot;
	S.loop = loop;
	S.resume = resume;
	if (ev_io_add(loop, &S.poke_io, S.pokes[S.slot], EPOLLIN, spread_poked,
	    NULL) == -1) {
		log_warn("cannot watch the spreading eventfd: %s; taking "
		    "connections as they come", strerror(errno));
		S.zone = NULL;
		return;
	}
	sl = &S.zone->slots[S.slot];
	atomic_store_explicit(&sl->nconns, 0, memory_order_relaxed);
	atomic_store_explicit(&sl->present, 1, memory_order_release);
}

/*
 * Called before each accept, with the connections this worker holds:
 * true if it should leave the next one to the others. Then it has woken
 * the worker that holds least, and the caller stops watching the
 * listeners until resume is called.
 */
bool
spread_defer(size_t mine)
{
	struct spread_slot	*sl;
	uint64_t		 total = mine, n = 1, least = UINT64_MAX, c;
	uint64_t		 one = 1;
	size_t			 target = S.slot, i;

	if (S.zone == NULL)
		return false;
	if (S.trust_after_ms != 0) {
		if (ev_now(S.loop) < S.trust_after_ms)
			return false;
		S.trust_after_ms = 0;
	}
	/* From the next slot on, so that ties do not all go to slot 0. */
	for (size_t k = 1; k < S.n; k++) {
		i = (S.slot + k) % S.n;
		sl = &S.zone->slots[i];
		if (atomic_load_explicit(&sl->present,
		    memory_order_acquire) == 0)
			continue;
		c = atomic_load_explicit(&sl->nconns, memory_order_relaxed);
		total += c;
		n++;
		if (c < least) {
			least = c;
			target = i;
		}
	}
	if (!spread_over(mine, total, n))
		return false;
	S.deferring = true;
	S.target = target;
	S.target_woken = atomic_load_explicit(&S.zone->slots[target].woken,
	    memory_order_relaxed);
	if (write(S.pokes[target], &one, sizeof(one)) != sizeof(one)) {
		/* Full counter: it has a wake-up pending anyway. */
	}
	ev_timer_start(S.loop, &S.timer, SPREAD_WAIT_MS, spread_waited, NULL);
	return true;
}

bool
spread_deferring(void)
{
	return S.deferring;
}

/* Publishes the connections this worker holds, after each change. */
void
spread_count(size_t nconns)
{
	if (S.zone != NULL)
		atomic_store_explicit(&S.zone->slots[S.slot].nconns,
		    (uint32_t)nconns, memory_order_relaxed);
}

/* Draining: this worker takes no more connections, and counts no more. */
void
spread_stop(void)
{
	struct spread_slot	*sl;

	if (S.zone == NULL)
		return;
	sl = &S.zone->slots[S.slot];
	atomic_store_explicit(&sl->present, 0, memory_order_release);
	atomic_store_explicit(&sl->nconns, 0, memory_order_relaxed);
	ev_timer_stop(S.loop, &S.timer);
	ev_io_del(S.loop, &S.poke_io);
	S.deferring = false;
	S.zone = NULL;
}

/* Another worker holds more than its share and woke this one. */
static void
spread_poked(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t	v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	atomic_fetch_add_explicit(&S.zone->slots[S.slot].woken, 1,
	    memory_order_relaxed);
	spread_resume();
}

/* The worker woken had SPREAD_WAIT_MS to answer. */
static void
spread_waited(struct ev_loop *loop, void *arg)
{
	uint64_t	woken;

	woken = atomic_load_explicit(&S.zone->slots[S.target].woken,
	    memory_order_relaxed);
	if (woken == S.target_woken) {
		log_debug("worker %zu did not answer within %dms; taking "
		    "connections as they come for %dms", S.target,
		    SPREAD_WAIT_MS, SPREAD_TRUST_MS);
		S.trust_after_ms = ev_now(loop) + SPREAD_TRUST_MS;
	}
	spread_resume();
}

static void
spread_resume(void)
{
	if (S.deferring) {
		S.deferring = false;
		ev_timer_stop(S.loop, &S.timer);
	}
	S.resume();
}
