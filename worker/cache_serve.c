/*
 * Answering from the cache: what a stored entry gives the request (all
 * of it, a 206 or 416 for a Range, a 304 for the client's conditionals),
 * the lines the cache adds to a response head (Age, Content-Range,
 * Cache-Status) and the body read back from the zone. The stored head
 * is the upstream's own, parsed again into r->resp, so a hit goes
 * through the same out_response_head() as a miss.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "common/cache_store.h"
#include "common/http_date.h"
#include "common/http_parse.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/cache_int.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"

static bool	if_range_ok(const struct conn *, const char *,
		    const struct http_head *);

/*
 * The response from the entry found: its head parsed into r->resp (once),
 * the status a Range or the client's conditionals make of it, the body's
 * length and a cursor over it. -1: the entry is gone or unreadable.
 */
int
cache_serve_load(struct conn *c)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	int64_t		 now = (int64_t)time(NULL);

	if (!rc->head_loaded) {
		if (!cache_lookup(c, rc->ohash, rc->okeylen, &rc->found))
			return -1;
		rc->age = cp_current_age(&rc->found.meta, now);
		rc->ttl = rc->found.meta.lifetime - rc->age;
		rc->head_loaded = true;
		rc->coded_hit = false;
		if (cache_parse_stored(c) == -1)
			return -1;
		rc->not_modified = cache_serve_not_modified(c, r->up_in->data,
		    &r->resp);
	}
	cs_cursor_init(&rc->cur, &rc->found);
	r->up_status = rc->fwd_status;
	rc->serve_len = rc->found.bodylen;
	if (rc->not_modified) {
		r->resp.status = 304;
		r->resp.reason.len = 0;
	} else if (rc->range == RANGE_PART) {
		r->resp.status = 206;
		r->resp.reason.len = 0;
		rc->cur.skip += rc->range_first;
		rc->cur.left = rc->serve_len = rc->range_len;
	} else if (rc->range == RANGE_UNSATISFIABLE) {
		r->resp.status = 416;
		r->resp.reason.len = 0;
		rc->cur.left = rc->serve_len = 0;
	}
	r->status = r->resp.status;
	r->resp_left = rc->serve_len;
	r->resp_mode = r->head_method || rc->not_modified ||
	    r->status == 204 || r->status == 304 || r->resp_left == 0 ?
	    BODY_NONE : BODY_LENGTH;
	r->resp_done = r->resp_mode == BODY_NONE;
	r->rechunk = false;
	r->from_cache = true;
	r->coded = rc->coded_hit;
	if (!rc->coded_hit && r->coding != CODING_NONE &&
	    !(rc->found.meta.flags & CMF_COMPRESSIBLE))
		r->coding = CODING_NONE;
	return 0;
}

/* Whether the client's conditionals let us answer 304 (RFC 9110 13.2.2). */
bool
cache_serve_not_modified(const struct conn *c, const char *sb,
    const struct http_head *sh)
{
	const struct rcache		*rc = c->req->rc;
	const char			*b = c->in->data;
	const struct http_header	*hs = c->req->head.headers;
	const struct http_header	*f;
	int64_t				 t, lm;

	if (sh->status < 200 || sh->status > 299)
		return false;	/* RFC 9110 13.2.1 */
	if (rc->rq_inm >= 0) {
		f = cp_find(sb, sh, "etag");
		return f != NULL && cp_etag_listed(b + hs[rc->rq_inm].value.off,
		    hs[rc->rq_inm].value.len, sb + f->value.off, f->value.len);
	}
	if (rc->rq_ims < 0 || (t = http_date_parse(b +
	    hs[rc->rq_ims].value.off, hs[rc->rq_ims].value.len,
	    time(NULL))) == -1)
		return false;
	lm = cp_head_date(sb, sh, "last-modified", time(NULL));
	return lm != -1 && lm <= t;
}

/*
 * Which part of the stored 200 a Range request gets (cp_range): a 206,
 * a 416, or all of it, which an If-Range that does not match gets too.
 */
void
cache_serve_range(struct conn *c, const char *sb, const struct http_head *sh)
{
	struct rcache		*rc = c->req->rc;
	const struct http_header *f = &c->req->head.headers[rc->rq_range];

	rc->range = RANGE_WHOLE;
	if (sh->status != 200 || !if_range_ok(c, sb, sh))
		return;
	rc->range = cp_range(c->in->data + f->value.off, f->value.len,
	    rc->found.bodylen, &rc->range_first, &rc->range_len);
}

/*
 * If-Range (RFC 9110 13.1.5): the range applies only when the validator
 * is the stored one: a strong ETag equal to ours, or our Last-Modified.
 */
static bool
if_range_ok(const struct conn *c, const char *sb, const struct http_head *sh)
{
	const struct rcache		*rc = c->req->rc;
	const char			*b = c->in->data;
	const struct http_header	*f, *s;
	int64_t				 t;

	if (rc->rq_if_range < 0)
		return true;
	f = &c->req->head.headers[rc->rq_if_range];
	if (f->value.len > 0 && b[f->value.off] == '"') {
		s = cp_find(sb, sh, "etag");
		return s != NULL && s->value.len == f->value.len &&
		    memcmp(sb + s->value.off, b + f->value.off,
		    f->value.len) == 0;
	}
	if (f->value.len >= 2 && b[f->value.off] == 'W' &&
	    b[f->value.off + 1] == '/')
		return false;	/* a weak tag never matches */
	t = http_date_parse(b + f->value.off, f->value.len, time(NULL));
	return t != -1 &&
	    t == cp_head_date(sb, sh, "last-modified", time(NULL));
}

static const char *const fwd_names[] = {
	[FWD_NONE] = "", [FWD_URI_MISS] = "uri-miss",
	[FWD_VARY_MISS] = "vary-miss", [FWD_STALE] = "stale",
	[FWD_REQUEST] = "request", [FWD_BYPASS] = "bypass",
	[FWD_METHOD] = "method"
};

/* Age and Cache-Status for the response head; the compressed copy's
 * writer, when frontd compresses what it stores or serves. */
void
cache_head_lines(struct conn *c)
{
	struct req	*r = c->req;
	struct rcache	*rc = r->rc;
	char		*p = rc->lines;
	size_t		 room = sizeof(rc->lines), n = 0;

	if (rc->serving)
		n += (size_t)snprintf(p + n, room - n, "Age: %lld\r\n",
		    (long long)rc->age);
	if (rc->range == RANGE_PART)
		n += (size_t)snprintf(p + n, room - n, "Content-Range: bytes "
		    "%llu-%llu/%llu\r\n", (unsigned long long)rc->range_first,
		    (unsigned long long)(rc->range_first + rc->range_len - 1),
		    (unsigned long long)rc->found.bodylen);
	else if (rc->range == RANGE_UNSATISFIABLE)
		n += (size_t)snprintf(p + n, room - n, "Content-Range: bytes "
		    "*/%llu\r\n", (unsigned long long)rc->found.bodylen);
	if (rc->fwd == FWD_NONE)
		n += (size_t)snprintf(p + n, room - n, "Cache-Status: frontd; "
		    "hit; ttl=%lld", (long long)rc->ttl);
	else {
		n += (size_t)snprintf(p + n, room - n, "Cache-Status: frontd; "
		    "fwd=%s", fwd_names[rc->fwd]);
		if (rc->fwd_status != 0 && n < room)
			n += (size_t)snprintf(p + n, room - n,
			    "; fwd-status=%d", rc->fwd_status);
		if (rc->stored && n < room)
			n += (size_t)snprintf(p + n, room - n, "; stored");
	}
	if (rc->detail != NULL && n < room)
		n += (size_t)snprintf(p + n, room - n, "; detail=%s",
		    rc->detail);
	if (rc->collapsed && n < room)
		n += (size_t)snprintf(p + n, room - n, "; collapsed");
	if (n < room)
		n += (size_t)snprintf(p + n, room - n, "\r\n");
	rc->lines_len = (uint16_t)(n < room ? n : 0);

	if (r->compressing && (rc->stored || rc->serving) &&
	    rc->wenc.idx == CS_NIL) {
		uint64_t	h;
		size_t		k;

		k = cache_key_coded(rc, (enum coding)r->coding, &h);
		if (k > 0 && cs_begin(cache_zone, &rc->wenc, rc->key, k,
		    c->w->env->cfg->global.cache_max_object_size) == 0) {
			cs_write(cache_zone, &rc->wenc, r->up_in->data,
			    r->resp.head_len);
			cs_head_done(&rc->wenc);
		}
	}
}

ssize_t
cache_body_read(struct conn *c)
{
	struct rcache	*rc = c->req->rc;
	struct buf	*in = c->req->up_in;
	size_t		 room;
	ssize_t		 n;

	if (rc->cur.left == 0)
		return 0;
	buf_compact(in);
	if ((room = buf_room(in)) == 0)
		return -2;
	if ((n = cs_read(cache_zone, &rc->cur, in->data + in->end, room)) <= 0)
		return -1;
	in->end += (size_t)n;
	return n;
}
