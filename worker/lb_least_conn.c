/*
 * Least connections: the fewest active connections per unit of weight,
 * counted over all workers in the shared health table. Ties go to the
 * first one met; each pick starts one server further on.
 */
#include "worker/lb.h"

static void	lc_init(struct lb_state *, const struct cfg_upstream *,
		    unsigned);
static int	lc_pick(struct lb_ctx *, bool);

const struct lb_ops lb_least_conn = {
	.name = "least_conn",
	.key = LB_KEY_NONE,
	.init = lc_init,
	.pick = lc_pick
};

static void
lc_init(struct lb_state *st, const struct cfg_upstream *up, unsigned worker)
{
	(void)up;
	/* Workers start at different servers. */
	st->cursor = worker;
}

static int
lc_pick(struct lb_ctx *ctx, bool backup)
{
	size_t	 n = ctx->up->nservers, start = ctx->st->cursor++;
	int	 best = -1;
	int64_t	 bact = 0, bw = 1;

	for (size_t k = 0; k < n; k++) {
		size_t	j = (start + k) % n;
		int64_t	act, ew;

		if (!lb_candidate(ctx, j, backup))
			continue;
		act = atomic_load_explicit(&ctx->health[j].active,
		    memory_order_relaxed);
		ew = lb_weight(ctx, j);
		/* act/ew < bact/bw, without division. */
		if (best == -1 || act * bw < bact * ew) {
			best = (int)j;
			bact = act;
			bw = ew;
		}
	}
	return best;
}
