/*
 * A stale entry's way back (RFC 9111 4.3, RFC 5861): the conditional
 * request made from its validators, the 304 whose fields freshen the
 * stored head (stored anew with the same body), and the stale answer
 * given instead of the upstream's error when the server or the route
 * allows it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "common/cache_store.h"
#include "common/http_parse.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/cache_int.h"
#include "worker/conn.h"
#include "worker/req.h"

static bool	not_updated(const char *, size_t);

/* The entry's validators as conditional request lines. */
void
cache_revalidate_cond(struct rcache *rc, const char *b,
    const struct http_head *h)
{
	const struct http_header	*f;
	size_t				 n = 0;

	if ((f = cp_find(b, h, "etag")) != NULL && f->value.len < 400)
		n += (size_t)snprintf(rc->cond, sizeof(rc->cond),
		    "If-None-Match: %.*s\r\n", (int)f->value.len,
		    b + f->value.off);
	if ((f = cp_find(b, h, "last-modified")) != NULL && f->value.len < 60 &&
	    n < sizeof(rc->cond))
		n += (size_t)snprintf(rc->cond + n, sizeof(rc->cond) - n,
		    "If-Modified-Since: %.*s\r\n", (int)f->value.len,
		    b + f->value.off);
	rc->cond_len = (uint16_t)(n < sizeof(rc->cond) ? n : 0);
}

/*
 * A 304 for a stale entry: the stored head updated with the 304's fields
 * (RFC 9111 4.3.4), stored anew with the same body. -1: the entry is
 * gone and cannot be served.
 */
int
cache_revalidate_freshen(struct conn *c)
{
	struct req		*r = c->req;
	struct rcache		*rc = r->rc;
	const char		*b = r->up_in->data;
	const struct http_head	*h = &r->resp;
	struct buf		*old = buf_get(), *mb = buf_get();
	struct cs_found		 f;
	struct cs_cursor	 cur;
	const char		*p, *end, *nl;
	size_t			 n = 0;
	ssize_t			 k;
	int			 rv = -1;

	if (old == NULL || mb == NULL)
		goto out;
	if (cs_lookup(cache_zone, rc->ohash, rc->key, rc->okeylen, &f,
	    old->data, sizeof(old->data)) != 1)
		goto out;
	rv = 0;
	if (f.meta.id != rc->found.meta.id)
		goto out;	/* replaced meanwhile: serve that one */
	/* Status line, then each stored line the 304 does not replace. */
	p = old->data;
	end = old->data + f.headlen;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		goto out;
	memcpy(mb->data, p, (size_t)(nl + 1 - p));
	n = (size_t)(nl + 1 - p);
	for (p = nl + 1; p < end && !(p[0] == '\r' || p[0] == '\n'); p = nl +
	    1) {
		const char	*colon = memchr(p, ':', (size_t)(end - p));
		bool		 replaced = false;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || colon == NULL || colon > nl)
			goto out;
		for (uint32_t i = 0; i < h->nheaders; i++)
			if (h->headers[i].name.len == (size_t)(colon - p) &&
			    strncasecmp(b + h->headers[i].name.off, p,
			    (size_t)(colon - p)) == 0 &&
			    !not_updated(p, (size_t)(colon - p)))
				replaced = true;
		if (replaced)
			continue;
		if (n + (size_t)(nl + 1 - p) + 2 > CS_HEAD_MAX)
			goto out;
		memcpy(mb->data + n, p, (size_t)(nl + 1 - p));
		n += (size_t)(nl + 1 - p);
	}
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hf = &h->headers[i];

		if (not_updated(b + hf->name.off, hf->name.len))
			continue;
		if (n + hf->line_len + 2 > CS_HEAD_MAX)
			goto out;
		memcpy(mb->data + n, b + hf->line_off, hf->line_len);
		n += hf->line_len;
	}
	memcpy(mb->data + n, "\r\n", 2);
	n += 2;
	/* Its freshness, as if it had just arrived. */
	http_parser_init(&r->rparser);
	if (http_parse_response(&r->rparser, mb->data, n, &c->w->resp_limits,
	    &r->resp) != HTTP_OK ||
	    cache_fill_storable(c, mb->data, &r->resp) != NULL)
		goto out;
	rc->meta.flags |= f.meta.flags & CMF_COMPRESSIBLE;
	if (cs_begin(cache_zone, &rc->w, rc->key, rc->okeylen, f.bodylen) == -1)
		goto out;
	cs_write(cache_zone, &rc->w, mb->data, n);
	cs_head_done(&rc->w);
	cs_cursor_init(&cur, &f);
	while (cur.left > 0 && (k = cs_read(cache_zone, &cur, old->data,
	    sizeof(old->data))) > 0)
		cs_write(cache_zone, &rc->w, old->data, (size_t)k);
	if (cur.left > 0)
		cs_abort(cache_zone, &rc->w);
	else
		cs_commit(cache_zone, &rc->w, rc->ohash, &rc->meta);
	cs_stat_add(cache_zone, CS_REVALIDATED, 1);
out:
	buf_put(old);
	buf_put(mb);
	return rv;
}

/* Lines of the stored head that a 304 does not replace. */
static bool
not_updated(const char *name, size_t len)
{
	static const char *const keep[] = { "content-length",
	    "transfer-encoding", "connection", "keep-alive", "te", "trailer",
	    "upgrade", "proxy-connection", "content-encoding", NULL };

	for (int i = 0; keep[i] != NULL; i++)
		if (strlen(keep[i]) == len && strncasecmp(name, keep[i], len) ==
		    0)
			return true;
	return false;
}

bool
cache_stale_ok(struct conn *c, int status)
{
	struct rcache		*rc = c->req->rc;
	const struct cs_meta	*m = &rc->found.meta;

	/* Not once a final response of the server is on its way out. */
	if (!rc->have || rc->serving || rc->stored || c->req->compressing ||
	    (c->out != NULL && buf_len(c->out) > req_interim_pending(c->req)) ||
	    (status != 500 && status != 502 && status != 503 && status != 504))
		return false;
	/* The server's own stale-if-error overrides (RFC 5861 4); our
	 * option does not override its must-revalidate or no-cache. */
	if (m->sie >= 0 && -rc->ttl <= m->sie)
		rc->detail = "stale-if-error";
	else if (cache_route(c)->cache_use_stale && !(m->flags &
	    (CMF_MUST_REVALIDATE | CMF_NO_CACHE)))
		rc->detail = "stale-upstream-down";
	else
		return false;
	rc->fwd = FWD_NONE;
	rc->serving = true;
	rc->head_loaded = false;
	cs_stat_add(cache_zone, CS_STALE, 1);
	cache_unlock(c, false);
	return true;
}
