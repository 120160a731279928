/*
 * Balancing algorithms as ops: each lb_*.c chooses a server of one upstream
 * from an lb_ctx (config, shared health table, this worker's state, the
 * request's tries and hash key), never from a connection.
 */
#ifndef WORKER_LB_H
#define WORKER_LB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/shm.h"

enum pick_result {
	PICK_OK,
	PICK_NONE,		/* no server available: 502 */
	PICK_FULL		/* every available one is at max_conns: 503 */
};

/* random: a server it may draw, and its weight. */
struct lb_cand {
	int		 server;
	int64_t		 weight;
};

/* What one worker keeps for one upstream from pick to pick. */
struct lb_state {
	size_t		 cursor;	/* least_conn: a scan's start */
	int64_t		*cw;		/* round robin: current weights */
	uint32_t	*mark;		/* hash: generation that saw one */
	uint32_t	 mark_gen;
	struct lb_cand	*cand;		/* random: room for all servers */
};

/* One pick, built on the caller's stack for each try. */
struct lb_ctx {
	const struct cfg_upstream *up;
	struct health_slot	*health;	/* [j]: up->servers[j] */
	struct lb_state		*st;
	const int16_t		*tried;		/* this request's tries */
	int			 ntried;
	uint32_t		 hash;		/* keyed ops: the key's */
	int64_t			 now_ms;	/* health table clock */
	bool			 full;		/* one at max_conns seen */
};

/* What the caller hashes into lb_ctx.hash before a pick. */
enum lb_key {
	LB_KEY_NONE,
	LB_KEY_ADDR,		/* the client's address */
	LB_KEY_VAR		/* the upstream's "hash" key */
};

struct lb_ops {
	const char	*name;		/* "balance" in frontd.conf(5) */
	enum lb_key	 key;
	/* Once per worker (numbered from 0) and upstream: room in st. */
	void		(*init)(struct lb_state *, const struct cfg_upstream *,
			    unsigned worker);
	/* A primary's index (a backup's if backup), or -1. */
	int		(*pick)(struct lb_ctx *, bool backup);
};

extern const struct lb_ops	lb_round_robin, lb_least_conn, lb_ip_hash,
				lb_hash, lb_random;

void		 lb_init(const struct lb_ops *, struct lb_state *,
		    const struct cfg_upstream *, unsigned worker);
void		 lb_free(struct lb_state *);
enum pick_result lb_pick(const struct lb_ops *, struct lb_ctx *,
		    size_t *server);
void		 lb_rng_seed(uint64_t);
uint64_t	 lb_rng(void);

enum lb_avail { LB_NO, LB_YES, LB_FULL };

/* The helpers below run for every server of every pick: inline. */
static inline bool
lb_tried(const struct lb_ctx *ctx, size_t j)
{
	for (int i = 0; i < ctx->ntried; i++)
		if (ctx->tried[i] == (int16_t)j)
			return true;
	return false;
}

/*
 * Availability from the shared health table on every pick (active check
 * state, passive "down until", connections of all workers against
 * max_conns), so a server one worker found dead is avoided by all of them.
 */
static inline enum lb_avail
lb_available(const struct lb_ctx *ctx, size_t j)
{
	const struct cfg_upstream *up = ctx->up;
	const struct cfg_server	*sv = &up->servers[j];
	struct health_slot	*hs = &ctx->health[j];
	int64_t			 until;
	uint32_t		 admin;

	/* frontdctl's drain, maint and ready win over the file. */
	admin = atomic_load_explicit(&hs->admin_state, memory_order_relaxed);
	if (admin == ADMIN_DRAIN || admin == ADMIN_MAINT ||
	    ((sv->down || sv->drain) && admin != ADMIN_READY) ||
	    lb_tried(ctx, j))
		return LB_NO;
	/* State left by an old checker counts only while checks are on. */
	if (up->check != CHECK_OFF && atomic_load_explicit(&hs->state,
	    memory_order_relaxed) == HEALTH_DOWN)
		return LB_NO;
	until = atomic_load_explicit(&hs->down_until_ms, memory_order_relaxed);
	/*
	 * A passive mark holds for fail_timeout, unless the checker has
	 * seen the server come back up since it was set.
	 */
	if (until != 0 && ctx->now_ms < until && !(up->check != CHECK_OFF &&
	    atomic_load_explicit(&hs->up_since_ms, memory_order_relaxed) >
	    until - up->fail_timeout_ms))
		return LB_NO;
	if (sv->max_conns > 0 && atomic_load_explicit(&hs->active,
	    memory_order_relaxed) >= sv->max_conns)
		return LB_FULL;
	return LB_YES;
}

/* In the tier asked for (primaries or backups) and available; a server
 * at max_conns sets ctx->full. */
static inline bool
lb_candidate(struct lb_ctx *ctx, size_t j, bool backup)
{
	if (ctx->up->servers[j].backup != backup)
		return false;
	switch (lb_available(ctx, j)) {
	case LB_YES:
		return true;
	case LB_FULL:
		ctx->full = true;
		return false;
	default:
		return false;
	}
}

/*
 * Weight in hundredths, ramped up after a recovery (slow_start); one set
 * by frontdctl wins over the file's.
 */
static inline int64_t
lb_weight(const struct lb_ctx *ctx, size_t j)
{
	const struct cfg_upstream *up = ctx->up;
	uint32_t aw = atomic_load_explicit(&ctx->health[j].admin_weight,
		    memory_order_relaxed);
	int64_t	w = (int64_t)(aw != 0 ? (int)aw : up->servers[j].weight) * 100;
	int64_t	now = ctx->now_ms, since, ramp;

	if (up->slow_start_ms > 0 && (since = atomic_load_explicit(
	    &ctx->health[j].up_since_ms, memory_order_relaxed)) != 0 &&
	    now - since < up->slow_start_ms && now >= since) {
		ramp = w * (now - since) / up->slow_start_ms;
		w = ramp > w / 10 ? ramp : w / 10;
	}
	return w > 0 ? w : 1;
}

#endif
