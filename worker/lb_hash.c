/*
 * Consistent hashing (hash and ip_hash): the caller hashes the key, the
 * first point of the upstream's ring at or after it names the server, and
 * the walk goes on around the ring past servers that are not available.
 */
#include <string.h>

#include "common/util.h"
#include "worker/lb.h"

static void	hash_init(struct lb_state *, const struct cfg_upstream *,
		    unsigned);
static int	hash_pick(struct lb_ctx *, bool);

/* The same ring walk; only what the caller hashes differs. */
const struct lb_ops lb_ip_hash = {
	.name = "ip_hash",
	.key = LB_KEY_ADDR,
	.init = hash_init,
	.pick = hash_pick
};

const struct lb_ops lb_hash = {
	.name = "hash",
	.key = LB_KEY_VAR,
	.init = hash_init,
	.pick = hash_pick
};

static void
hash_init(struct lb_state *st, const struct cfg_upstream *up,
    unsigned worker)
{
	(void)worker;
	st->mark = xcalloc(up->nservers + 1, sizeof(*st->mark));
}

/* The ring (config.c, ring_build) holds primaries only: backups are
 * lb_pick()'s. */
static int
hash_pick(struct lb_ctx *ctx, bool backup)
{
	const struct cfg_upstream *up = ctx->up;
	struct lb_state		*st = ctx->st;
	size_t			 lo = 0, hi = up->nring, seen = 0;
	size_t			 nprimary = 0;
	uint32_t		 gen;

	if (backup)
		return -1;
	/* Distinct servers visited, by generation: no clearing per pick. */
	if ((gen = ++st->mark_gen) == 0) {
		memset(st->mark, 0, up->nservers * sizeof(*st->mark));
		gen = st->mark_gen = 1;
	}
	for (size_t j = 0; j < up->nservers; j++)
		if (!up->servers[j].backup)
			nprimary++;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (up->ring[mid].hash < ctx->hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < up->nring && seen < nprimary; k++) {
		const struct cfg_ring_point *p =
		    &up->ring[(lo + k) % up->nring];

		if (st->mark[p->server] == gen)
			continue;
		st->mark[p->server] = gen;
		switch (lb_available(ctx, p->server)) {
		case LB_YES:
			return (int)p->server;
		case LB_FULL:
			ctx->full = true;
			break;
		case LB_NO:
			break;
		}
		seen++;
	}
	return -1;
}
