/*
 * Smooth weighted round robin (as nginx's): each worker keeps a current
 * weight per server, so a server of weight 3 next to one of weight 1 gets
 * three picks in four, spread out rather than in a row.
 */
#include "common/util.h"
#include "worker/lb.h"

static void	rr_init(struct lb_state *, const struct cfg_upstream *,
		    unsigned);
static int	rr_pick(struct lb_ctx *, bool);

const struct lb_ops lb_round_robin = {
	.name = "round_robin",
	.key = LB_KEY_NONE,
	.init = rr_init,
	.pick = rr_pick
};

static void
rr_init(struct lb_state *st, const struct cfg_upstream *up, unsigned worker)
{
	(void)worker;
	st->cw = xcalloc(up->nservers + 1, sizeof(*st->cw));
}

/* Over the available servers of the tier; effective weights, so a
 * server in slow_start gets its share as it grows. */
static int
rr_pick(struct lb_ctx *ctx, bool backup)
{
	int64_t	*cw = ctx->st->cw, total = 0, ew;
	int	 best = -1;

	for (size_t j = 0; j < ctx->up->nservers; j++) {
		if (!lb_candidate(ctx, j, backup))
			continue;
		ew = lb_weight(ctx, j);
		cw[j] += ew;
		total += ew;
		if (best == -1 || cw[j] > cw[best])
			best = (int)j;
	}
	if (best != -1)
		cw[best] -= total;
	return best;
}
