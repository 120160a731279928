/*
 * Random with two choices: two draws weighted by weight, and the one with
 * fewer active connections (over all workers) wins. One pass reads the
 * shared state, so both draws see the same candidates.
 */
#include "common/util.h"
#include "worker/lb.h"

static void	random_init(struct lb_state *, const struct cfg_upstream *,
		    unsigned);
static int	random_pick(struct lb_ctx *, bool);

const struct lb_ops lb_random = {
	.name = "random",
	.key = LB_KEY_NONE,
	.init = random_init,
	.pick = random_pick
};

static void
random_init(struct lb_state *st, const struct cfg_upstream *up,
    unsigned worker)
{
	(void)worker;
	st->cand = xcalloc(up->nservers + 1, sizeof(*st->cand));
}

static int
random_pick(struct lb_ctx *ctx, bool backup)
{
	struct lb_cand	*cand = ctx->st->cand;
	int64_t		 total = 0;
	size_t		 n = 0;
	int		 pick[2];

	for (size_t j = 0; j < ctx->up->nservers; j++) {
		if (!lb_candidate(ctx, j, backup))
			continue;
		cand[n].server = (int)j;
		cand[n].weight = lb_weight(ctx, j);
		total += cand[n++].weight;
	}
	if (n == 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		int64_t x = (int64_t)(lb_rng() % (uint64_t)total);
		size_t	i;

		for (i = 0; i < n - 1 && (x -= cand[i].weight) >= 0; i++)
			;
		pick[k] = cand[i].server;
	}
	if (pick[0] == pick[1])
		return pick[0];
	return atomic_load_explicit(&ctx->health[pick[1]].active,
	    memory_order_relaxed) < atomic_load_explicit(
	    &ctx->health[pick[0]].active, memory_order_relaxed) ? pick[1] :
	    pick[0];
}
