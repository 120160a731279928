/*
 * What the status page shows that no other zone holds: when the master
 * started, the worker processes with their open connections, and a ring
 * of request totals the master samples every second, from which a rate
 * is read without any per-request cost. The master writes the start
 * times and the ring; each worker claims one worker slot by its pid and
 * is its only writer; the master frees the slot when it reaps the pid.
 */
#ifndef COMMON_STATUS_ZONE_H
#define COMMON_STATUS_ZONE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/shm.h"

#define SHM_STATUS_VERSION	1
#define STATUS_RING		16	/* samples kept, one a second */
#define STATUS_WINDOW_S		10	/* the rate is over this many */
#define STATUS_SAMPLE_MS	1000

/* A worker process: pid 0 is a free slot. A cache line each, as the
 * worker writes nconns at every accept and close. */
struct status_worker {
	_Alignas(64) _Atomic int32_t pid;
	_Atomic int32_t		generation;
	_Atomic uint32_t	nconns;		/* open client connections */
	_Atomic int64_t		started_wall_ms;
};

struct status_sample {
	_Atomic int64_t		at_ms;		/* CLOCK_MONOTONIC */
	_Atomic uint64_t	requests;	/* CNT_REQUESTS then */
};

struct status_zone {
	struct shm_hdr		hdr;		/* nslots: worker slots */
	int64_t			started_wall_ms;	/* the master's start */
	int64_t			started_ms;		/* CLOCK_MONOTONIC */
	_Atomic uint64_t	nsamples;	/* taken; the next goes to
						   ring[nsamples % RING] */
	struct status_sample	ring[STATUS_RING];
	struct status_worker	workers[];
};

/* A rate over the last samples: n requests in ms milliseconds. */
struct status_rate {
	uint64_t		requests;
	int64_t			ms;
};

struct status_zone	*status_zone_create(size_t nworkers);
void			 status_zone_sample(struct status_zone *, uint64_t,
			    int64_t now_ms);
int			 status_zone_rate(const struct status_zone *,
			    struct status_rate *);
struct status_worker	*status_zone_claim(struct status_zone *, pid_t,
			    int generation);
void			 status_zone_forget(struct status_zone *, pid_t);

#endif
