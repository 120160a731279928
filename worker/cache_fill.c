/*
 * Filling the cache from the upstream's response (RFC 9111 3): whether
 * it may be stored and for how long, the vary entry it needs, its head
 * and then its body written as they pass on to the client, and the
 * commit once the response went out whole. A response that does not
 * reach its end is never published (cache_req_end aborts the writers).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/cache_int.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"

static uint64_t	new_id(const struct conn *);
static int	store_vary(struct conn *, const char *,
		    const struct http_head *);
static void	store_bytes(struct cs_writer *, const char *, size_t);

/*
 * The upstream's response head is in: an unsafe method's success
 * invalidates the URI, a 304 freshens the entry revalidated, an error
 * may be answered stale, and a storable response begins its writer.
 */
enum cache_step
cache_response(struct conn *c)
{
	struct req		*r = c->req;
	struct rcache		*rc = r->rc;
	const char		*b = r->up_in->data;
	const struct http_head	*h = &r->resp;
	const char		*why;

	rc->fwd_status = h->status;
	if (rc->invalidate) {
		if (h->status < 400)
			cs_remove(cache_zone, rc->hash, rc->key, rc->keylen);
		return CACHE_FORWARD;
	}
	if (rc->have && rc->revalidating && h->status == 304) {
		if (cache_revalidate_freshen(c) == -1) {
			/* Gone while we asked: never a 304 the client did
			 * not ask for. */
			log_warn("conn=%llu a cached response went away while "
			    "it was revalidated: 502", (unsigned long long)
			    c->id);
			rc->have = false;	/* nothing stale to give */
			r->status = 502;
			return CACHE_ANSWERED;
		}
		rc->serving = true;
		rc->head_loaded = false;
		cache_unlock(c, false);
		return CACHE_SERVE;
	}
	if (cache_stale_ok(c, h->status))
		return CACHE_SERVE;
	if (!rc->store || r->head_method) {
		cache_unlock(c, false);
		return CACHE_FORWARD;
	}
	if ((why = cache_fill_storable(c, b, h)) != NULL) {
		rc->detail = why;
		cache_unlock(c, true);
		return CACHE_FORWARD;
	}
	if (store_vary(c, b, h) == -1 || cs_begin(cache_zone, &rc->w, rc->key,
	    rc->okeylen, c->w->env->cfg->global.cache_max_object_size) ==
	    -1) {
		rc->detail = "no-space";
		cache_unlock(c, false);
		return CACHE_FORWARD;
	}
	cs_write(cache_zone, &rc->w, b, h->head_len);
	cs_head_done(&rc->w);
	rc->stored = true;
	return CACHE_FORWARD;
}

/* The identity body as it passes to the client (or the compressor). */
void
cache_store_plain(struct conn *c, const char *p, size_t n)
{
	struct rcache	*rc = c->req->rc;

	if (rc == NULL || rc->w.idx == CS_NIL)
		return;
	store_bytes(&rc->w, p, n);
	if (rc->w.idx == CS_NIL) {
		/* Too large after all: waiters need not wait for it. */
		rc->detail = "too-large";
		cache_unlock(c, true);
	}
}

/* The body frontd compressed, for the compressed copy. */
void
cache_store_coded(struct conn *c, const char *p, size_t n)
{
	if (c->req->rc != NULL)
		store_bytes(&c->req->rc->wenc, p, n);
}

/* The response went out whole: what was written is stored. */
void
cache_finish(struct conn *c)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	struct cs_meta	 m;
	uint64_t	 h;

	if (rc->w.idx != CS_NIL) {
		m = rc->meta;
		if (r->compressible)
			m.flags |= CMF_COMPRESSIBLE;
		cs_commit(cache_zone, &rc->w, rc->ohash, &m);
	}
	if (rc->wenc.idx != CS_NIL) {
		m = rc->serving ? rc->found.meta : rc->meta;
		m.flags |= CMF_COMPRESSIBLE;
		m.coding = r->coding;
		if (cache_key_coded(rc, (enum coding)r->coding, &h) > 0)
			cs_commit(cache_zone, &rc->wenc, h, &m);
		else
			cs_abort(cache_zone, &rc->wenc);
	}
	cache_unlock(c, false);
}

/*
 * Whether the response may be stored, and for how long it is fresh
 * (RFC 9111 3, 4.2). NULL when it may, with rc->meta filled; else why not.
 */
const char *
cache_fill_storable(struct conn *c, const char *b, const struct http_head *h)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	const char	*why;

	if (r->upgrade)
		return "status";
	why = cp_storable(b, h, cache_route(c), rc->rq_auth >= 0,
	    c->w->env->cfg->global.cache_max_object_size, (int64_t)time(NULL),
	    rc->req_time, &rc->meta);
	if (why == NULL) {
		rc->meta.kind = CS_OBJECT;
		rc->meta.id = new_id(c);
	}
	return why;
}

/* An id no other object has had: time, pid and a count. */
static uint64_t
new_id(const struct conn *c)
{
	static uint64_t	seq;

	return ((uint64_t)cache_now_ms(c) << 22) ^ ((uint64_t)getpid() << 44) ^
	    ++seq;
}

/* With Vary: the vary entry (unless the same one is there) and the
 * object key. */
static int
store_vary(struct conn *c, const char *b, const struct http_head *h)
{
	struct rcache	*rc = c->req->rc;
	char		 text[1024];
	size_t		 n;
	int		 hex;
	struct cs_writer w;
	struct cs_meta	 m;

	hex = 16;
	n = cache_key_vary_names(b, h, text + hex, sizeof(text) - (size_t)hex);
	if (n == (size_t)-1)
		return -1;
	if (n == 0)
		return 0;
	if (rc->nonce == 0 || rc->vary_names != cs_hash(text + hex + 1,
	    n - 1)) {
		rc->nonce = new_id(c);
		snprintf(text, sizeof(text), "%016llx",
		    (unsigned long long)rc->nonce);
		text[hex] = '\n';
		memset(&m, 0, sizeof(m));
		m.kind = CS_VARY;
		if (cs_begin(cache_zone, &w, rc->key, rc->keylen,
		    sizeof(text)) == -1)
			return -1;
		cs_write(cache_zone, &w, text, (size_t)hex + n);
		cs_head_done(&w);
		if (cs_commit(cache_zone, &w, rc->hash, &m) == -1)
			return -1;
	} else {
		snprintf(text, sizeof(text), "%016llx",
		    (unsigned long long)rc->nonce);
		text[hex] = '\n';
	}
	return cache_key_variant(c, text, (size_t)hex + n);
}

static void
store_bytes(struct cs_writer *w, const char *p, size_t n)
{
	if (w->idx != CS_NIL && cs_write(cache_zone, w, p, n) == -1)
		cs_abort(cache_zone, w);
}
