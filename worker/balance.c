/*
 * Server choice. Availability is read from the shared health table on
 * every pick (active check state, passive "down until", connections of all
 * workers against max_conns), so a server one worker found dead is avoided
 * by all of them at once. Primaries first; backups only when no primary is
 * available. Servers already tried for this request are skipped.
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
#include "worker/req.h"
#include "worker/vars.h"

enum avail { AV_NO, AV_YES, AV_FULL };

struct pick_cand {
	int		 server;
	int64_t		 weight;
};

static uint64_t	rng_state;

/* xorshift64*: cheap, and good enough to spread load. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

void
balance_init(struct worker *w)
{
	size_t	n = config_nservers(w->env->cfg);

	size_t	most = 1;

	for (size_t i = 0; i < w->env->cfg->nupstreams; i++)
		if (w->env->cfg->upstreams[i]->nservers > most)
			most = w->env->cfg->upstreams[i]->nservers;
	w->cw = xcalloc(n + 1, sizeof(*w->cw));
	w->mark = xcalloc(n + 1, sizeof(*w->mark));
	w->cand = xcalloc(most, sizeof(*w->cand));
	rng_state = (uint64_t)now_usec() ^ ((uint64_t)getpid() << 32) ^
	    0x9e3779b97f4a7c15ULL;
	if (rng_state == 0)
		rng_state = 1;
}

static struct health_slot *
slot_of(const struct conn *c, const struct cfg_upstream *up, size_t j)
{
	return &c->w->env->health->slots[up->slot0 + j];
}

static bool
tried(const struct req *r, size_t j)
{
	for (int i = 0; i < r->ntried; i++)
		if (r->tried[i] == (int16_t)j)
			return true;
	return false;
}

static enum avail
available(const struct conn *c, const struct cfg_upstream *up, size_t j,
    int64_t now)
{
	const struct cfg_server	*sv = &up->servers[j];
	struct health_slot	*hs = slot_of(c, up, j);
	int64_t			 until;

	if (sv->down || sv->drain || tried(c->req, j))
		return AV_NO;
	/* State left by an old checker counts only while checks are on. */
	if (up->check != CHECK_OFF && atomic_load_explicit(&hs->state,
	    memory_order_relaxed) == HEALTH_DOWN)
		return AV_NO;
	until = atomic_load_explicit(&hs->down_until_ms, memory_order_relaxed);
	/*
	 * A passive mark holds for fail_timeout, unless the checker has
	 * seen the server come back up since it was set.
	 */
	if (until != 0 && now < until && !(up->check != CHECK_OFF &&
	    atomic_load_explicit(&hs->up_since_ms, memory_order_relaxed) >
	    until - up->fail_timeout_ms))
		return AV_NO;
	if (sv->max_conns > 0 && atomic_load_explicit(&hs->active,
	    memory_order_relaxed) >= sv->max_conns)
		return AV_FULL;
	return AV_YES;
}

/* In the tier asked for (primaries or backups) and available; a server
 * at max_conns sets *full. */
static bool
candidate(const struct conn *c, const struct cfg_upstream *up, size_t j,
    bool backup, int64_t now, bool *full)
{
	if (up->servers[j].backup != backup)
		return false;
	switch (available(c, up, j, now)) {
	case AV_YES:
		return true;
	case AV_FULL:
		*full = true;
		return false;
	default:
		return false;
	}
}

/* Weight in hundredths, ramped up after a recovery (slow_start). */
static int64_t
eff_weight(const struct conn *c, const struct cfg_upstream *up, size_t j,
    int64_t now)
{
	int64_t	w = (int64_t)up->servers[j].weight * 100, since, ramp;

	if (up->slow_start_ms > 0 && (since = atomic_load_explicit(
	    &slot_of(c, up, j)->up_since_ms, memory_order_relaxed)) != 0 &&
	    now - since < up->slow_start_ms && now >= since) {
		ramp = w * (now - since) / up->slow_start_ms;
		w = ramp > w / 10 ? ramp : w / 10;
	}
	return w > 0 ? w : 1;
}

/* Smooth weighted round robin over the available servers. */
static int
pick_rr(struct conn *c, const struct cfg_upstream *up, bool backup,
    int64_t now, bool *full)
{
	int64_t	*cw = c->w->cw + up->slot0, total = 0, ew;
	int	 best = -1;

	for (size_t j = 0; j < up->nservers; j++) {
		if (!candidate(c, up, j, backup, now, full))
			continue;
		ew = eff_weight(c, up, j, now);
		cw[j] += ew;
		total += ew;
		if (best == -1 || cw[j] > cw[best])
			best = (int)j;
	}
	if (best != -1)
		cw[best] -= total;
	return best;
}

/* Fewest active connections per unit of weight, over all workers. */
static int
pick_least(struct conn *c, const struct cfg_upstream *up, bool backup,
    int64_t now, bool *full)
{
	size_t	 n = up->nservers, start = c->w->rr[c->req->upstream]++;
	int	 best = -1;
	int64_t	 bact = 0, bw = 1;

	for (size_t k = 0; k < n; k++) {
		size_t	j = (start + k) % n;
		int64_t	act, ew;

		if (!candidate(c, up, j, backup, now, full))
			continue;
		act = atomic_load_explicit(&slot_of(c, up, j)->active,
		    memory_order_relaxed);
		ew = eff_weight(c, up, j, now);
		/* act/ew < bact/bw, without division. */
		if (best == -1 || act * bw < bact * ew) {
			best = (int)j;
			bact = act;
			bw = ew;
		}
	}
	return best;
}

/*
 * Two random choices weighted by weight; the less loaded one wins. One
 * pass reads the shared state, so both draws see the same candidates.
 */
static int
pick_random(struct conn *c, const struct cfg_upstream *up, bool backup,
    int64_t now, bool *full)
{
	struct pick_cand	*cand = c->w->cand;
	int64_t			 total = 0;
	size_t			 n = 0;
	int			 pick[2];

	for (size_t j = 0; j < up->nservers; j++) {
		if (!candidate(c, up, j, backup, now, full))
			continue;
		cand[n].server = (int)j;
		cand[n].weight = eff_weight(c, up, j, now);
		total += cand[n++].weight;
	}
	if (n == 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		int64_t x = (int64_t)(rng() % (uint64_t)total);
		size_t	i;

		for (i = 0; i < n - 1 && (x -= cand[i].weight) >= 0; i++)
			;
		pick[k] = cand[i].server;
	}
	if (pick[0] == pick[1])
		return pick[0];
	return atomic_load_explicit(&slot_of(c, up, (size_t)pick[1])->active,
	    memory_order_relaxed) < atomic_load_explicit(&slot_of(c, up,
	    (size_t)pick[0])->active, memory_order_relaxed) ? pick[1] :
	    pick[0];
}

static uint32_t
hash_key(struct conn *c, const struct cfg_upstream *up)
{
	char		 scratch[VAR_SCRATCH];
	const char	*v;
	size_t		 len;

	if (up->balance == BALANCE_IP_HASH) {
		const struct sockaddr_storage *ss = &c->peer.ss;

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

/*
 * Consistent hash: the first ring point at or after the key's hash, then
 * on around the ring past servers that are not available. The key is
 * hashed once per request, not per try.
 */
static int
pick_hash(struct conn *c, const struct cfg_upstream *up, int64_t now,
    bool *full)
{
	struct req	*r = c->req;
	struct worker	*w = c->w;
	size_t		 lo = 0, hi = up->nring, seen = 0, nprimary = 0;
	uint32_t	 gen;

	/* Distinct servers visited, by generation: no clearing per pick. */
	if ((gen = ++w->mark_gen) == 0) {
		memset(w->mark, 0, config_nservers(w->env->cfg) *
		    sizeof(*w->mark));
		gen = w->mark_gen = 1;
	}
	for (size_t j = 0; j < up->nservers; j++)
		if (!up->servers[j].backup)
			nprimary++;

	if (!r->hash_done) {
		r->hash = hash_key(c, up);
		r->hash_done = true;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (up->ring[mid].hash < r->hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < up->nring && seen < nprimary; k++) {
		const struct cfg_ring_point *p =
		    &up->ring[(lo + k) % up->nring];

		if (w->mark[up->slot0 + p->server] == gen)
			continue;
		w->mark[up->slot0 + p->server] = gen;
		switch (available(c, up, p->server, now)) {
		case AV_YES:
			return (int)p->server;
		case AV_FULL:
			*full = true;
			break;
		case AV_NO:
			break;
		}
		seen++;
	}
	return -1;
}

enum pick_result
balance_pick(struct conn *c, const struct cfg_upstream *up, size_t *server)
{
	int64_t	now = ev_now(c->w->loop);
	bool	full = false;
	int	j = -1;

	switch (up->balance) {
	case BALANCE_ROUND_ROBIN:
		j = pick_rr(c, up, false, now, &full);
		break;
	case BALANCE_LEAST_CONN:
		j = pick_least(c, up, false, now, &full);
		break;
	case BALANCE_RANDOM:
		j = pick_random(c, up, false, now, &full);
		break;
	case BALANCE_IP_HASH:
	case BALANCE_HASH:
		j = pick_hash(c, up, now, &full);
		break;
	}
	/* Backups stand in for primaries that are down or at max_conns. */
	if (j == -1 && up->has_backup)
		j = pick_rr(c, up, true, now, &full);
	if (j == -1)
		return full ? PICK_FULL : PICK_NONE;
	*server = (size_t)j;
	return PICK_OK;
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
