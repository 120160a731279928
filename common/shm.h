/*
 * Shared memory zones, mapped MAP_SHARED by the master before fork. Each
 * zone starts with {magic, version, size} so a reload can tell whether it
 * may keep it. Zones hold plain data and indexes, never pointers. Every
 * field has one writer: the checker for health state, workers only with
 * atomic add/sub on counters and connection counts.
 */
#ifndef COMMON_SHM_H
#define COMMON_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC		0x66726f6e74647a6eULL	/* "frontdzn" */
#define SHM_HEALTH_VERSION	3
#define SHM_COUNTERS_VERSION	5
#define SHM_KEY_LEN		160

struct shm_hdr {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	kind;
	uint64_t	size;		/* bytes, header included */
	uint64_t	nslots;
};

enum shm_kind { SHM_HEALTH = 1, SHM_COUNTERS = 2, SHM_TLS_CACHE = 3,
    SHM_SPREAD = 5, SHM_LIMIT = 6, SHM_METRICS = 7, SHM_STATUS = 8 };

enum health_state {
	HEALTH_UNKNOWN,		/* never checked: treated as up */
	HEALTH_UP,
	HEALTH_DOWN
};

/* What frontdctl set for a server, over what the file says. */
enum health_admin {
	ADMIN_NONE,		/* as the file says */
	ADMIN_READY,		/* in service, even if the file says
				   down or drain */
	ADMIN_DRAIN,		/* no new requests; still checked */
	ADMIN_MAINT		/* no requests and no checks */
};

/*
 * One upstream server. Key "upstream/HOST:PORT" survives reloads. Times
 * named _ms without "wall" are CLOCK_MONOTONIC milliseconds (ev_now()),
 * the same in every process.
 */
struct health_slot {
	char			key[SHM_KEY_LEN];
	/* Active checks: written by the checker only. */
	_Atomic uint32_t	state;		/* enum health_state */
	uint32_t		successes;	/* consecutive */
	uint32_t		failures;	/* consecutive */
	uint32_t		latency_us;	/* last check */
	_Atomic int64_t		last_check_ms;	/* wall clock */
	char			last_error[96];	/* last failed check */
	/* Passive checks: workers, with atomics. */
	_Atomic uint32_t	fails;		/* in the current window */
	_Atomic int64_t		fail_window_ms;	/* start of that window */
	_Atomic int64_t		down_until_ms;	/* 0: not marked down */
	/* Last down -> up change, by either; 0: never down (slow_start). */
	_Atomic int64_t		up_since_ms;
	_Atomic int32_t		active;		/* connections, all workers */
	_Atomic uint64_t	requests;	/* sent to it, all workers */
	/* Runtime overrides (frontdctl): written by the master only. */
	_Atomic uint32_t	admin_state;	/* enum health_admin */
	_Atomic uint32_t	admin_weight;	/* 0: as the file says */
	_Atomic int64_t		admin_since_ms;	/* wall clock, last change */
};

struct health_zone {
	struct shm_hdr		hdr;
	struct health_slot	slots[];
};

enum counter {
	CNT_ACCEPTED,
	CNT_REQUESTS,
	CNT_STATUS_1XX,
	CNT_STATUS_2XX,
	CNT_STATUS_3XX,
	CNT_STATUS_4XX,
	CNT_STATUS_5XX,
	CNT_BYTES_IN,
	CNT_BYTES_OUT,
	CNT_UPSTREAM_ERRORS,
	CNT_RELOADS,
	CNT_WORKER_RESPAWNS,
	CNT_COMPRESSED,		/* responses compressed on the fly */
	CNT_CLIENT_TIMEOUTS,	/* a client too slow to send or take */
	CNT_CLIENT_ABORTS,	/* a client gone in the middle */
	CNT_RECLAIMED,		/* idle ones closed at max_connections */
	CNT_CLIENT_PROXY,	/* no valid PROXY header, or not from
				   proxy_protocol_from */
	CNT_RATE_LIMITED,	/* refused by a rate_limit */
	CNT_CONN_LIMITED,	/* refused by a limit_conn */
	CNT_LIMIT_DRY_RUN,	/* would have been, in a dry run */
	CNT_RELOAD_FAILURES,	/* refused or rolled back */
	CNT_TLS_FULL,		/* client handshakes done in full */
	CNT_TLS_RESUMED,	/* and those that resumed a session */
	CNT_MAX
};

struct counters_zone {
	struct shm_hdr		hdr;
	_Atomic uint64_t	c[CNT_MAX];
};

/*
 * How a generation's workers spread new connections (worker/spread.c):
 * one slot per worker, on a cache line of its own. The worker of the slot
 * writes all of it; the master clears it when that worker dies. A new zone
 * for each generation, so old workers draining never count in it.
 */
#define SHM_SPREAD_VERSION	1

struct spread_slot {
	_Alignas(64) _Atomic uint32_t present;	/* a worker runs in the slot */
	_Atomic uint32_t	nconns;		/* its open connections */
	_Atomic uint64_t	woken;		/* wake-ups it answered */
};

struct spread_zone {
	struct shm_hdr		hdr;		/* nslots: the workers */
	struct spread_slot	slots[];
};

void	*shm_zone_create(enum shm_kind, uint32_t version, size_t size,
	    size_t nslots);
void	 shm_zone_destroy(void *);

#define counter_add(z, which, n) \
	atomic_fetch_add_explicit(&(z)->c[(which)], (n), memory_order_relaxed)

#endif
