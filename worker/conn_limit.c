/*
 * limit_conn per=connection on a listener: client connections at once
 * per client address, across the workers, in the shared zone of the
 * limits (common/limit_zone.c). Counted once the address is known (at
 * accept, or after a PROXY header) and given back when the connection
 * closes, so that a client holding idle keep-alive connections cannot
 * take every place of max_connections from the others. A connection
 * over the limit is closed at once; that is logged at warn, once every
 * few seconds per worker, with how many others went unsaid.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/limit_zone.h"
#include "common/log.h"
#include "common/shm.h"
#include "worker/conn.h"
#include "worker/conn_limit.h"

#define LOG_EVERY_MS	5000

/* The address's bytes, as the request limits key it. */
static const void *
addr_key(const struct addr *a, size_t *len)
{
	if (a->ss.ss_family == AF_INET) {
		*len = 4;
		return &((const struct sockaddr_in *)&a->ss)->sin_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		*len = 16;
		return &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	}
	return NULL;
}

bool
conn_limit_enter(struct conn *c)
{
	static int64_t		 logged_ms;
	static unsigned		 unsaid;
	const struct cfg_listener *li = c->w->env->cfg->listeners[
				    c->listen->listener];
	struct limit_zone	*z = c->w->env->limits;
	int64_t			 now = ev_now(c->w->loop);
	const void		*key;
	size_t			 len;

	if (li->limits.nconn_per_connection == 0 || z == NULL ||
	    (key = addr_key(&c->peer, &len)) == NULL)
		return true;
	for (size_t i = 0; i < li->limits.n; i++) {
		const struct cfg_limit *l = &li->limits.v[i];

		if (!l->per_connection || c->nclimits == CFG_CONN_LIMITS_MAX)
			continue;
		if (limit_conn_acquire(z, l->id, key, len, l->max, now,
		    &c->climits[c->nclimits]) == LIMIT_ALLOW) {
			c->nclimits++;
			continue;
		}
		if (li->limits.dry_run) {
			counter_add(c->w->env->counters, CNT_LIMIT_DRY_RUN, 1);
			continue;
		}
		counter_add(c->w->env->counters, CNT_CONN_LIMITED, 1);
		if (logged_ms != 0 && now - logged_ms < LOG_EVERY_MS) {
			unsaid++;
		} else {
			log_warn("conn=%llu %s closed: limit_conn %u "
			    "per=connection of listener %s reached (%s:%d)%s",
			    (unsigned long long)c->id, peer_name(c), l->max,
			    li->sec.name, l->where.file, l->where.line,
			    unsaid > 0 ? "; others since the last line" : "");
			logged_ms = now;
			unsaid = 0;
		}
		c->why = "limit_conn per=connection";
		conn_limit_leave(c);
		return false;
	}
	return true;
}

void
conn_limit_leave(struct conn *c)
{
	int64_t	now = ev_now(c->w->loop);

	for (uint8_t i = 0; i < c->nclimits; i++)
		limit_conn_release(c->w->env->limits, &c->climits[i], now);
	c->nclimits = 0;
}
