/*
 * What the pieces of the cache share: the zone, the fetch lock, the keys,
 * the stored head in r->up_in. Internal to worker/cache*.c; everyone else
 * uses worker/cache.h.
 */
#ifndef WORKER_CACHE_INT_H
#define WORKER_CACHE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cache_store.h"
#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/proc.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"

/* The zone the workers share (cache_init); NULL: no cache. */
extern struct cs_zone	*cache_zone;

static inline const struct cfg_route *
cache_route(const struct conn *c)
{
	return c->w->env->cfg->routes[c->req->route];
}

static inline int64_t
cache_now_ms(const struct conn *c)
{
	return ev_now(c->w->loop);
}

/* cache.c: the lookup and the fetch lock */
int		 cache_lookup(struct conn *, uint64_t, size_t,
		    struct cs_found *);
int		 cache_parse_stored(struct conn *);
void		 cache_unlock(struct conn *, bool);

/* cache_key.c: the object key through Vary, the compressed copy's key */
int		 cache_key_variant(struct conn *, const char *, size_t);
size_t		 cache_key_coded(struct rcache *, enum coding, uint64_t *);
size_t		 cache_key_vary_names(const char *, const struct http_head *,
		    char *, size_t);
void		 cache_key_vary_seen(struct rcache *, const char *, size_t);

/* cache_serve.c: what a stored entry answers the request with */
bool		 cache_serve_not_modified(const struct conn *, const char *,
		    const struct http_head *);
void		 cache_serve_range(struct conn *, const char *,
		    const struct http_head *);

/* cache_revalidate.c: a stale entry asked about and freshened */
void		 cache_revalidate_cond(struct rcache *, const char *,
		    const struct http_head *);
int		 cache_revalidate_freshen(struct conn *);

/* cache_fill.c: whether and how a response is stored */
const char	*cache_fill_storable(struct conn *, const char *,
		    const struct http_head *);

#endif
