/*
 * What every balancing algorithm shares: the per-worker state's life, the
 * order of tiers in a pick (primaries by the algorithm, then backups) and
 * a cheap random number generator.
 */
#include <stdlib.h>

#include "common/util.h"
#include "worker/lb.h"

static uint64_t	rng_state = 1;

void
lb_init(const struct lb_ops *ops, struct lb_state *st,
    const struct cfg_upstream *up, unsigned worker)
{
	ops->init(st, up, worker);
	/* Backups are always taken in round robin: lb_pick(). */
	if (up->has_backup && ops != &lb_round_robin)
		lb_round_robin.init(st, up, worker);
}

void
lb_free(struct lb_state *st)
{
	free(st->cw);
	free(st->mark);
	free(st->cand);
	st->cw = NULL;
	st->mark = NULL;
	st->cand = NULL;
}

/*
 * Primaries first, in the upstream's algorithm; backups stand in for
 * primaries that are down or at max_conns. PICK_FULL when none was left
 * only because of max_conns somewhere.
 */
enum pick_result
lb_pick(const struct lb_ops *ops, struct lb_ctx *ctx, size_t *server)
{
	int	j;

	ctx->full = false;
	j = ops->pick(ctx, false);
	if (j == -1 && ctx->up->has_backup)
		j = lb_round_robin.pick(ctx, true);
	if (j == -1)
		return ctx->full ? PICK_FULL : PICK_NONE;
	*server = (size_t)j;
	return PICK_OK;
}

void
lb_rng_seed(uint64_t seed)
{
	rng_state = seed != 0 ? seed : 1;
}

/* xorshift64*: cheap, and good enough to spread load. */
uint64_t
lb_rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}
