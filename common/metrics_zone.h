/*
 * Per route, per upstream and per server metrics in shared memory: slots
 * keyed by name ("route/api", "upstream/app", "server/app/10.0.0.2:80"),
 * so a reload that reorders, adds or drops sections keeps each series'
 * values. Only the master writes keys, and only into free slots, before
 * it publishes them with nused; workers find their slots once, at start,
 * and add to them with relaxed atomics.
 */
#ifndef COMMON_METRICS_ZONE_H
#define COMMON_METRICS_ZONE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/shm.h"

#define SHM_METRICS_VERSION	1
#define METRICS_NBUCKETS	11	/* and +Inf */

struct config;

/* Upper bounds of the duration histogram buckets, in milliseconds. */
extern const uint32_t	metrics_bucket_ms[METRICS_NBUCKETS];

struct metrics_slot {
	char			key[SHM_KEY_LEN];	/* "": free */
	_Atomic uint64_t	codes[5];	/* 1xx .. 5xx */
	_Atomic uint64_t	errors;		/* failed tries */
	_Atomic uint64_t	le[METRICS_NBUCKETS + 1];	/* not
						   cumulative; last +Inf */
	_Atomic uint64_t	sum_ms;
};

struct metrics_zone {
	struct shm_hdr		hdr;		/* nslots: room */
	_Atomic uint64_t	nused;		/* slots with a key */
	struct metrics_slot	slots[];
};

struct metrics_zone	*metrics_zone_fit(struct metrics_zone *,
			    const struct config *);
struct metrics_slot	*metrics_zone_find(struct metrics_zone *,
			    const char *);
size_t			 metrics_key(char *, size_t, const char *,
			    const char *, const char *);

/* The bucket of a duration: a short scan, no division. */
static inline unsigned
metrics_bucket(int64_t ms)
{
	unsigned	i;

	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (ms <= (int64_t)metrics_bucket_ms[i])
			break;
	return i;
}

#endif
