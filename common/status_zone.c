/*
 * The status zone (status_zone.h). Slots are claimed with a compare and
 * swap on the pid, so two workers starting at once never share one; the
 * ring is written slot first, count last, so a reader sees only whole
 * samples, and reads well behind the slot being written.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "common/status_zone.h"
#include "common/util.h"

/* Room for the workers of two generations, a draining one and the new. */
struct status_zone *
status_zone_create(size_t nworkers)
{
	struct status_zone	*z;
	struct timespec		 ts;
	size_t			 n = 2 * nworkers;

	z = shm_zone_create(SHM_STATUS, SHM_STATUS_VERSION, sizeof(*z) +
	    n * sizeof(z->workers[0]), n);
	if (z == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	z->started_wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	z->started_ms = now_ms();
	return z;
}

/* The master, every STATUS_SAMPLE_MS: the requests read until now. */
void
status_zone_sample(struct status_zone *z, uint64_t requests, int64_t now)
{
	uint64_t		 n;
	struct status_sample	*s;

	if (z == NULL)
		return;
	n = atomic_load_explicit(&z->nsamples, memory_order_relaxed);
	s = &z->ring[n % STATUS_RING];
	atomic_store_explicit(&s->at_ms, now, memory_order_relaxed);
	atomic_store_explicit(&s->requests, requests, memory_order_relaxed);
	atomic_store_explicit(&z->nsamples, n + 1, memory_order_release);
}

/*
 * The requests between the newest sample and the one STATUS_WINDOW_S
 * before it (or the oldest there is): 0, or -1 before two samples.
 */
int
status_zone_rate(const struct status_zone *z, struct status_rate *r)
{
	const struct status_sample	*a, *b;
	uint64_t			 n, k;

	if (z == NULL ||
	    (n = atomic_load_explicit(&z->nsamples, memory_order_acquire)) < 2)
		return -1;
	k = n - 1 < STATUS_WINDOW_S ? n - 1 : STATUS_WINDOW_S;
	b = &z->ring[(n - 1) % STATUS_RING];
	a = &z->ring[(n - 1 - k) % STATUS_RING];
	r->requests = atomic_load_explicit(&b->requests,
	    memory_order_relaxed) - atomic_load_explicit(&a->requests,
	    memory_order_relaxed);
	r->ms = atomic_load_explicit(&b->at_ms, memory_order_relaxed) -
	    atomic_load_explicit(&a->at_ms, memory_order_relaxed);
	return r->ms > 0 ? 0 : -1;
}

/* A worker at start: its slot, or NULL when all are taken (not shown). */
struct status_worker *
status_zone_claim(struct status_zone *z, pid_t pid, int generation)
{
	struct status_worker	*w;
	struct timespec		 ts;
	int32_t			 free_;

	if (z == NULL)
		return NULL;
	for (uint64_t i = 0; i < z->hdr.nslots; i++) {
		w = &z->workers[i];
		free_ = 0;
		if (!atomic_compare_exchange_strong(&w->pid, &free_,
		    (int32_t)pid))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		atomic_store(&w->generation, generation);
		atomic_store(&w->nconns, 0);
		atomic_store(&w->started_wall_ms, (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000);
		return w;
	}
	return NULL;
}

/* The master reaped pid: its slot, if it had one, is free. */
void
status_zone_forget(struct status_zone *z, pid_t pid)
{
	if (z == NULL || pid <= 0)
		return;
	for (uint64_t i = 0; i < z->hdr.nslots; i++)
		if (atomic_load(&z->workers[i].pid) == (int32_t)pid) {
			atomic_store(&z->workers[i].nconns, 0);
			atomic_store(&z->workers[i].pid, 0);
		}
}
