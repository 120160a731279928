/*
 * The shared zone of rate and connection limits: one table of buckets for
 * all workers, made by the master, kept across a reload of the same size.
 * A full zone never fails a request: the least recently used bucket of the
 * probe window goes, and a key that still finds no room passes untracked.
 */
#ifndef COMMON_LIMIT_ZONE_H
#define COMMON_LIMIT_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIMIT_ZONE_VERSION	1
#define LIMIT_WAYS		8	/* buckets a key may use: its window */
#define LIMIT_KEY_SHOWN		22	/* bytes of a key kept for the log */

/* A rate of N requests per second is one request every interval. */
#define LIMIT_PER_SECOND(n)	(1000000ULL / (n))
#define LIMIT_PER_MINUTE(n)	(60000000ULL / (n))

enum limit_verdict {
	LIMIT_ALLOW,		/* within the limit, counted */
	LIMIT_DENY,		/* over the limit */
	LIMIT_NOROOM		/* allowed, but uncounted: the window is full */
};

/*
 * A connection counted by limit_conn_acquire(), for limit_conn_release().
 * hash 0: nothing was counted (LIMIT_DENY, LIMIT_NOROOM).
 */
struct limit_hold {
	uint64_t	 hash;		/* the key's total */
	uint64_t	 hold_hash;	/* this process's share of it */
	uint32_t	 idx, hold_idx;	/* where they were */
};

/* Counters for the metrics route and the tests. */
struct limit_stats {
	uint64_t	 buckets;	/* in the zone */
	uint64_t	 used;		/* holding state now */
	uint64_t	 evictions;	/* live buckets taken for another key */
	uint64_t	 noroom;	/* keys that found no bucket */
};

struct limit_zone;

struct limit_zone *limit_zone_create(uint64_t size);
bool		 limit_zone_fits(const struct limit_zone *, uint64_t size);
void		 limit_zone_destroy(struct limit_zone *);
void		 limit_zone_reap(struct limit_zone *, pid_t);
void		 limit_zone_stats(struct limit_zone *, int64_t now_ms,
		    struct limit_stats *);

enum limit_verdict limit_rate_check(struct limit_zone *, const char *id,
		    const void *key, size_t keylen, uint64_t interval_us,
		    uint32_t burst, int64_t now_ms, int64_t *retry_after_ms,
		    uint32_t *remaining);

enum limit_verdict limit_conn_acquire(struct limit_zone *, const char *id,
		    const void *key, size_t keylen, uint32_t max,
		    int64_t now_ms, struct limit_hold *);
void		 limit_conn_release(struct limit_zone *, struct limit_hold *,
		    int64_t now_ms);
uint32_t	 limit_conn_count(struct limit_zone *, const char *id,
		    const void *key, size_t keylen);

#endif
