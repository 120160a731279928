/*
 * The response cache, HTTP side (RFC 9111, RFC 9211's Cache-Status): a
 * request's way in. Its directives and key, PURGE, the lookup through a
 * vary entry, and whether what is found is served, revalidated or
 * fetched again; the fetch lock lets one request per key go upstream
 * while the others wait for what it stores (collapsing). The keys are
 * cache_key.c, serving cache_serve.c, revalidation cache_revalidate.c,
 * storing cache_fill.c; the rules cache_policy.c, the zone
 * common/cache_store.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/cache_int.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"
#include "worker/vars.h"

#define PASS_MS		10000	/* not cacheable: no waiting for so long */

struct cs_zone			*cache_zone;
static struct page_cache	 rc_cache = {
	.size = sizeof(struct rcache), .keep = 256, .floor = 0
};

void
cache_init(struct cs_zone *z)
{
	cache_zone = z;
}

void
cache_trim(void)
{
	pc_trim(&rc_cache);
}

static int64_t
lock_timeout(const struct conn *c)
{
	return c->w->env->cfg->global.cache_lock_timeout_ms;
}

/*
 * Looks up key[0..len) and copies its head to r->up_in. 1 found, 0 not.
 */
int
cache_lookup(struct conn *c, uint64_t hash, size_t len, struct cs_found *f)
{
	struct req	*r = c->req;

	if (r->up_in == NULL && (r->up_in = buf_get()) == NULL)
		return 0;
	r->up_in->start = r->up_in->end = 0;
	if (cs_lookup(cache_zone, hash, r->rc->key, len, f, r->up_in->data,
	    sizeof(r->up_in->data) - 1) != 1)
		return 0;
	r->up_in->end = f->headlen;
	return 1;
}

/* Parses the stored head in r->up_in into r->resp. */
int
cache_parse_stored(struct conn *c)
{
	struct req	*r = c->req;

	http_parser_init(&r->rparser);
	return http_parse_response(&r->rparser, r->up_in->data,
	    buf_len(r->up_in), &c->w->resp_limits, &r->resp) == HTTP_OK ?
	    0 : -1;
}

/* What a lookup left in up_in and the response parser goes. */
static void
forget_head(struct conn *c)
{
	struct req	*r = c->req;

	if (r->up_in != NULL)
		r->up_in->start = r->up_in->end = 0;
	http_parser_init(&r->rparser);
	r->resp.nheaders = 0;
}

enum lookup_result { LK_MISS, LK_VARY_MISS, LK_FOUND };

/* The object for this request: through a vary entry when there is one. */
static enum lookup_result
lookup_object(struct conn *c)
{
	struct rcache	*rc = c->req->rc;
	struct buf	*in;

	rc->okeylen = rc->keylen;
	rc->ohash = rc->hash;
	if (!cache_lookup(c, rc->hash, rc->keylen, &rc->found))
		return LK_MISS;
	if (rc->found.meta.kind != CS_VARY)
		return LK_FOUND;
	in = c->req->up_in;
	cache_key_vary_seen(rc, in->data, buf_len(in));
	if (cache_key_variant(c, in->data, buf_len(in)) == -1)
		return LK_VARY_MISS;
	if (!cache_lookup(c, rc->ohash, rc->okeylen, &rc->found) ||
	    rc->found.meta.kind != CS_OBJECT)
		return LK_VARY_MISS;
	return LK_FOUND;
}

static bool
method_is(const struct conn *c, const char *m)
{
	const struct http_head	*h = &c->req->head;
	size_t			 n = strlen(m);

	return h->method.len == n && memcmp(c->in->data + h->method.off, m,
	    n) == 0;
}

/* PURGE: frontd answers, from cache_purge_from addresses only. */
static enum cache_step
purge(struct conn *c, const struct cfg_route *route)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	bool		 ok = false;
	int		 n;

	rc->purge = true;
	for (size_t i = 0; i < route->ncache_purge_from; i++)
		if (cidr_match(&route->cache_purge_from[i], &c->req->client.ss))
			ok = true;
	if (!ok) {
		r->status = 403;
		log_info("conn=%llu PURGE refused: not in cache_purge_from",
		    (unsigned long long)c->id);
		return CACHE_ANSWERED;
	}
	if (rc->keylen > 0 && rc->key[rc->keylen - 1] == '*')
		n = cs_remove_prefix(cache_zone, rc->key, rc->keylen - 1u);
	else
		n = cs_remove(cache_zone, rc->hash, rc->key, rc->keylen);
	cs_stat_add(cache_zone, CS_PURGES, (uint64_t)n);
	r->status = n > 0 ? 200 : 404;
	rc->lines_len = (uint16_t)snprintf(rc->lines, sizeof(rc->lines),
	    n > 0 ? "purged %d\n" : "not in cache\n", n);
	log_info("conn=%llu PURGE %.*s: %d entries", (unsigned long long)c->id,
	    (int)rc->keylen, rc->key, n);
	return CACHE_ANSWERED;
}

/* Reads the request: method, key, directives, bypass. */
static enum cache_step
request_first(struct conn *c, const struct cfg_route *route)
{
	struct req		*r = c->req;
	struct rcache		*rc = r->rc;
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	struct cc		 cc;
	size_t			 n;
	char			 val[256];
	bool			 cc_seen = false, pragma = false, range = false;

	rc->rq_inm = rc->rq_ims = rc->rq_auth = -1;
	rc->rq_range = rc->rq_if_range = -1;
	n = tpl_expand(c, &route->cache_key, NULL, NULL, 0, rc->key,
	    CS_KEY_MAX);
	if (n == (size_t)-1) {
		rc->fwd = FWD_BYPASS;
		rc->detail = "key-too-long";
		return CACHE_FORWARD;
	}
	rc->keylen = (uint16_t)n;
	rc->hash = cs_hash(rc->key, n);
	if (method_is(c, "PURGE"))
		return purge(c, route);
	switch (h->meth) {
	case HTTP_M_GET:
		rc->lookup = rc->store = true;
		break;
	case HTTP_M_HEAD:
		rc->lookup = route->cache_head;
		break;
	case HTTP_M_OPTIONS:
	case HTTP_M_TRACE:
		rc->fwd = FWD_METHOD;
		return CACHE_FORWARD;
	default:
		/*
		 * Unsafe, or of unknown safety (M-SEARCH, PROPPATCH...): a
		 * non-error answer invalidates the URI (RFC 9111 4.4).
		 */
		rc->invalidate = true;
		rc->fwd = FWD_METHOD;
		return CACHE_FORWARD;
	}
	if (!rc->lookup) {
		rc->fwd = FWD_METHOD;
		return CACHE_FORWARD;
	}
	/* One pass over the request for every field the cache reads. */
	cc_init(&cc);
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (cc_field(&cc, b, f, &cc_seen, &pragma))
			continue;
		if (cp_name_is(b, f, "range")) {
			range = rc->rq_range >= 0;	/* two: pass on */
			rc->rq_range = (int16_t)i;
		} else if (cp_name_is(b, f, "if-range"))
			rc->rq_if_range = (int16_t)i;
		else if (cp_name_is(b, f, "if-none-match") && rc->rq_inm < 0)
			rc->rq_inm = (int16_t)i;
		else if (cp_name_is(b, f, "if-modified-since") &&
		    rc->rq_ims < 0)
			rc->rq_ims = (int16_t)i;
		else if (cp_name_is(b, f, "authorization"))
			rc->rq_auth = (int16_t)i;
	}
	cc_done(&cc, cc_seen, pragma);
	if (range) {
		rc->lookup = rc->store = false;
		rc->fwd = FWD_BYPASS;
		return CACHE_FORWARD;
	}
	/* A range is served from a fresh entry, never stored or fetched. */
	if (rc->rq_range >= 0)
		rc->store = false;
	rc->rq_no_cache = cc.no_cache;
	rc->rq_only_if_cached = cc.only_if_cached;
	rc->rq_max_age = cc.max_age < -1 ? -1 : cc.max_age;
	rc->rq_max_stale = cc.max_stale < -1 ? -1 : cc.max_stale;
	rc->rq_min_fresh = cc.min_fresh < -1 ? -1 : cc.min_fresh;
	if (cc.no_store)
		rc->store = false;
	for (size_t i = 0; i < route->ncache_bypass; i++) {
		n = tpl_expand(c, &route->cache_bypass[i], NULL, NULL, 0, val,
		    sizeof(val));
		if (n != 0 && !(n == 1 && val[0] == '0')) {
			rc->lookup = false;
			rc->fwd = FWD_BYPASS;
			return CACHE_FORWARD;
		}
	}
	return CACHE_SERVE;	/* go on: look it up */
}

/* A Range request without a fresh entry goes upstream as it is. */
static enum cache_step
range_bypass(struct conn *c)
{
	struct rcache	*rc = c->req->rc;

	forget_head(c);
	rc->have = rc->revalidating = false;
	rc->cond_len = 0;
	rc->fwd = FWD_BYPASS;
	rc->detail = "range";
	return CACHE_FORWARD;
}

/* Takes the fetch lock, or says to wait for the one who has it. */
static enum cache_step
fetch(struct conn *c)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	int64_t		 t = cache_now_ms(c);

	forget_head(c);
	if (rc->rq_only_if_cached) {
		r->status = 504;
		rc->lines_len = (uint16_t)snprintf(rc->lines,
		    sizeof(rc->lines), "not in cache (only-if-cached)\n");
		return CACHE_ANSWERED;
	}
	if (rc->fwd == FWD_NONE)
		rc->fwd = FWD_URI_MISS;
	/* After a wait that timed out: go, and store nothing. */
	if (rc->wait_until_ms != 0 && t >= rc->wait_until_ms) {
		rc->store = false;
		rc->detail = "lock-timeout";
	} else if (rc->store && !r->head_method) {
		switch (cs_lock(cache_zone, rc->hash, t, lock_timeout(c))) {
		case CS_LOCK_TAKEN:
			rc->locked = true;
			break;
		case CS_LOCK_BUSY:
			if (rc->wait_until_ms == 0)
				rc->wait_until_ms = t + lock_timeout(c);
			return CACHE_WAIT;
		case CS_LOCK_PASS:
			break;
		}
	}
	cs_stat_add(cache_zone, CS_MISSES, 1);
	return CACHE_FORWARD;
}

enum cache_step
cache_request(struct conn *c, const struct cfg_route *route)
{
	struct req		*r = c->req;
	struct rcache		*rc = r->rc;
	enum cache_step		 st;
	enum lookup_result	 lk;
	const struct cs_meta	*m;
	int64_t			 now = (int64_t)time(NULL), left;
	bool			 reval;

	if (cache_zone == NULL)
		return CACHE_FORWARD;
	if (rc == NULL) {
		if ((rc = pc_get(&rc_cache)) == NULL)
			return CACHE_FORWARD;
		memset(rc, 0, offsetof(struct rcache, cond));
		rc->w.idx = rc->wenc.idx = CS_NIL;
		rc->req_time = now;
		r->rc = rc;
		if ((st = request_first(c, route)) != CACHE_SERVE)
			return st;
	} else {
		/* Back from waiting for another's fetch. */
		rc->collapsed = true;
		rc->fwd = FWD_NONE;
		rc->have = rc->revalidating = false;
		rc->cond_len = 0;
		rc->detail = NULL;
	}
	lk = lookup_object(c);
	if (lk != LK_FOUND && rc->rq_range >= 0)
		return range_bypass(c);
	if (lk != LK_FOUND) {
		rc->fwd = lk == LK_MISS ? FWD_URI_MISS : FWD_VARY_MISS;
		return fetch(c);
	}
	m = &rc->found.meta;
	if (cache_parse_stored(c) == -1) {
		rc->fwd = FWD_URI_MISS;
		return fetch(c);
	}
	rc->age = cp_current_age(m, now);
	rc->ttl = left = m->lifetime - rc->age;
	reval = rc->rq_no_cache || (m->flags & CMF_NO_CACHE) ||
	    (rc->rq_max_age >= 0 && rc->age > rc->rq_max_age) ||
	    (rc->rq_min_fresh >= 0 && left < rc->rq_min_fresh);
	if (!reval && left <= 0) {
		bool may = !(m->flags & CMF_MUST_REVALIDATE);

		if (may && rc->rq_max_stale >= 0 && -left <= rc->rq_max_stale) {
			rc->detail = "max-stale";
			goto hit;
		}
		if (may && m->swr >= 0 && -left <= m->swr) {
			/* One request revalidates; the others get it stale.
			 * A range is served, never fetched: stale too. */
			if (rc->rq_range >= 0 || cs_lock(cache_zone, rc->hash,
			    cache_now_ms(c), lock_timeout(c)) !=
			    CS_LOCK_TAKEN) {
				rc->detail = "stale-while-revalidate";
				goto hit;
			}
			rc->locked = true;
		}
		reval = true;
	}
	if (!reval)
		goto hit;
	if (rc->rq_range >= 0)
		return range_bypass(c);
	rc->have = true;
	rc->fwd = rc->rq_no_cache || rc->rq_max_age == 0 ? FWD_REQUEST :
	    FWD_STALE;
	if (m->flags & CMF_VALIDATOR) {
		cache_revalidate_cond(rc, r->up_in->data, &r->resp);
		rc->revalidating = rc->cond_len > 0;
	}
	forget_head(c);
	if (rc->locked) {
		cs_stat_add(cache_zone, CS_MISSES, 1);
		return CACHE_FORWARD;
	}
	return fetch(c);

hit:
	if (rc->detail != NULL)
		cs_stat_add(cache_zone, CS_STALE, 1);
	cs_stat_add(cache_zone, CS_HITS, 1);
	rc->fwd = FWD_NONE;
	rc->serving = true;
	rc->head_loaded = true;
	rc->not_modified = cache_serve_not_modified(c, r->up_in->data,
	    &r->resp);
	if (rc->rq_range >= 0 && !rc->not_modified) {
		cache_serve_range(c, r->up_in->data, &r->resp);
		/* Ranges are of the identity body. */
		r->coding = CODING_NONE;
	}
	if (r->coding != CODING_NONE && (m->flags & CMF_COMPRESSIBLE) &&
	    !rc->not_modified && !r->head_method) {
		struct cs_found	 f;
		struct buf	*in = r->up_in;
		uint64_t	 h;
		size_t		 n;

		/* Its head is the same: read past ours, then dropped. */
		n = cache_key_coded(rc, (enum coding)r->coding, &h);
		if (n > 0 && cs_lookup(cache_zone, h, rc->key, n, &f,
		    in->data + in->end, sizeof(in->data) - in->end - 1) == 1 &&
		    f.meta.id == m->id && f.meta.coding == r->coding) {
			rc->found = f;
			rc->coded_hit = true;
		}
	}
	return CACHE_SERVE;
}

enum cache_step
cache_poll(struct conn *c)
{
	struct rcache	*rc = c->req->rc;
	int64_t		 t = cache_now_ms(c);

	if (t < rc->wait_until_ms && cs_lock_held(cache_zone, rc->hash, t))
		return CACHE_WAIT;
	return CACHE_FORWARD;
}

void
cache_unlock(struct conn *c, bool pass)
{
	struct rcache	*rc = c->req->rc;

	if (rc->locked) {
		cs_unlock(cache_zone, rc->hash, cache_now_ms(c),
		    pass ? PASS_MS : 0);
		rc->locked = false;
	}
}

void
cache_req_end(struct req *r)
{
	struct rcache	*rc = r->rc;

	if (rc == NULL)
		return;
	cs_abort(cache_zone, &rc->w);
	cs_abort(cache_zone, &rc->wenc);
	if (rc->locked)
		cs_unlock(cache_zone, rc->hash, 0, 0);
	pc_put(&rc_cache, rc);
	r->rc = NULL;
}

/* One word for the access log: what the cache did for the request. */
const char *
cache_log_word(const struct req *r)
{
	const struct rcache	*rc = r->rc;

	if (rc == NULL)
		return NULL;
	if (rc->serving)
		return rc->fwd == FWD_STALE ? "revalidated" : rc->detail !=
		    NULL ? "stale" : "hit";
	switch (rc->fwd) {
	case FWD_URI_MISS:
	case FWD_VARY_MISS:
		return "miss";
	case FWD_STALE:
		return "expired";
	case FWD_REQUEST:
		return "refresh";
	case FWD_BYPASS:
		return "bypass";
	default:
		return rc->purge ? "purge" : "pass";
	}
}
