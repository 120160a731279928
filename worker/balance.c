/*
 * Server choice for a connection's request: the one place that knows the
 * connection, it builds the lb_ctx (health table, this worker's state,
 * tries, hash key) for the upstream's lb ops, and it keeps the passive
 * health checks: what a try's outcome tells every worker.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/shm.h"
#include "common/route.h"
#include "common/util.h"
#include "worker/balance.h"
#include "worker/conn.h"
#include "worker/lb.h"
#include "worker/metrics.h"
#include "worker/req.h"
#include "worker/vars.h"

static const struct lb_ops *balance_ops(const struct cfg_upstream *);
static uint32_t	balance_key(const struct conn *,
		    const struct cfg_upstream *, enum lb_key);

/* One row per "balance" value of frontd.conf(5). */
static const struct lb_ops *const lb_ops_table[] = {
	[BALANCE_ROUND_ROBIN] = &lb_round_robin,
	[BALANCE_LEAST_CONN] = &lb_least_conn,
	[BALANCE_IP_HASH] = &lb_ip_hash,
	[BALANCE_HASH] = &lb_hash,
	[BALANCE_RANDOM] = &lb_random
};

void
balance_init(struct worker *w)
{
	const struct config	*cfg = w->env->cfg;

	w->lb = xcalloc(cfg->nupstreams + 1, sizeof(*w->lb));
	for (size_t i = 0; i < cfg->nupstreams; i++)
		lb_init(balance_ops(cfg->upstreams[i]), &w->lb[i],
		    cfg->upstreams[i], (unsigned)w->env->slot);
	lb_rng_seed((uint64_t)now_usec() ^ ((uint64_t)getpid() << 32) ^
	    0x9e3779b97f4a7c15ULL);
}

/* The key of a keyed algorithm is hashed once per request, not per try. */
enum pick_result
balance_pick(struct conn *c, const struct cfg_upstream *up, size_t *server)
{
	const struct lb_ops	*ops = lb_ops_table[up->balance];
	struct req		*r = c->req;
	struct lb_ctx		 ctx;

	if (ops->key != LB_KEY_NONE && !r->hash_done) {
		r->hash = balance_key(c, up, ops->key);
		r->hash_done = true;
	}
	ctx.up = up;
	ctx.health = &c->w->env->health->slots[up->slot0];
	ctx.st = &c->w->lb[r->upstream];
	ctx.tried = r->tried;
	ctx.ntried = r->ntried;
	ctx.hash = r->hash;
	ctx.now_ms = ev_now(c->w->loop);
	ctx.full = false;
	return lb_pick(ops, &ctx, server);
}

static const char *
server_spec(const struct conn *c, int slot)
{
	return c->w->slot_names[slot];
}

/*
 * max_fails failures within fail_timeout mark the server down for
 * fail_timeout in the shared table. The worker whose compare-and-swap
 * makes the change logs it: one line per change, whatever the load.
 */
void
balance_failed(struct conn *c, int slot, const char *why)
{
	const struct cfg_upstream *up = c->w->env->cfg->upstreams[
				    c->req->upstream];
	struct health_slot	*hs = &c->w->env->health->slots[slot];
	int64_t			 now = ev_now(c->w->loop), win, until;
	uint32_t		 n;
	char			 d[32];

	metrics_failed(c->req->upstream, slot);
	/* Like nginx: a lone server is never taken out by passive checks,
	 * there would be nothing left to send the request to. */
	if (up->max_fails == 0 || up->nservers == 1)
		return;
	win = atomic_load(&hs->fail_window_ms);
	if (now - win >= up->fail_timeout_ms &&
	    atomic_compare_exchange_strong(&hs->fail_window_ms, &win, now))
		atomic_store(&hs->fails, 0);
	n = atomic_fetch_add(&hs->fails, 1) + 1;
	if (n < (uint32_t)up->max_fails)
		return;
	until = atomic_load(&hs->down_until_ms);
	if (until != 0 && now < until)
		return;		/* already down */
	if (!atomic_compare_exchange_strong(&hs->down_until_ms, &until,
	    now + up->fail_timeout_ms))
		return;
	atomic_store(&hs->fails, 0);
	atomic_store(&hs->fail_window_ms, now);
	fmt_duration(d, sizeof(d), up->fail_timeout_ms);
	log_warn("upstream %s server %s is down for %s: %s (%u failures in "
	    "%s)", up->sec.name, server_spec(c, slot), d, why, n, d);
}

void
balance_succeeded(struct conn *c, int slot)
{
	const struct cfg_upstream *up = c->w->env->cfg->upstreams[
				    c->req->upstream];
	struct health_slot	*hs = &c->w->env->health->slots[slot];
	int64_t			 until = atomic_load_explicit(
				    &hs->down_until_ms, memory_order_relaxed);

	/* A request sent before the mark proves nothing: only one sent
	 * after fail_timeout lifts it. */
	if (until == 0 || ev_now(c->w->loop) < until)
		return;
	if (!atomic_compare_exchange_strong(&hs->down_until_ms, &until, 0))
		return;
	atomic_store(&hs->up_since_ms, ev_now(c->w->loop));
	log_notice("upstream %s server %s is back up", up->sec.name,
	    server_spec(c, slot));
}

/* A missing row is a bug: caught as the worker starts, not on a request. */
static const struct lb_ops *
balance_ops(const struct cfg_upstream *up)
{
	if ((size_t)up->balance >= nitems(lb_ops_table) ||
	    lb_ops_table[up->balance] == NULL)
		fatal("upstream %s: no balancer for balance %d", up->sec.name,
		    (int)up->balance);
	return lb_ops_table[up->balance];
}

static uint32_t
balance_key(const struct conn *c, const struct cfg_upstream *up,
    enum lb_key key)
{
	char		 scratch[VAR_SCRATCH];
	const char	*v;
	size_t		 len;

	if (key == LB_KEY_ADDR) {
		const union sockaddr_ip *ss = &c->req->client.ss;

		if (ss->ss_family == AF_INET)
			return hash32(&((const struct sockaddr_in *)ss)->
			    sin_addr, 4);
		if (ss->ss_family == AF_INET6)
			return hash32(&((const struct sockaddr_in6 *)ss)->
			    sin6_addr, 16);
		return 0;
	}
	var_get(c, up->hash_var, up->hash_name, up->hash_name ?
	    strlen(up->hash_name) : 0, scratch, &v, &len);
	return hash32(v, len);
}
