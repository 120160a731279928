/*
 * forward_auth: before a route's request goes on, frontd asks an auth
 * service whether it may (what nginx calls auth_request and Traefik
 * ForwardAuth). The subrequest has the original method and no body; it
 * asks for the path of the route's forward_auth URL on an [upstream],
 * whose pool, timeouts, health and retries serve it, with the client's
 * Cookie and Authorization, the fields the route names, and
 * X-Forwarded-Method, -Proto, -Host, -Uri and -For. A 2xx lets the
 * request through with the fields of the answer the route names (the
 * client's own of those names never pass); 401, 403 and 3xx go back to
 * the client as they are; any other answer, or none, is frontd's error
 * and the request goes nowhere. The phase waits in REQ_AUTH on a small
 * machine of its own (connect, send, read), then the phases run again
 * from the first, and this one lets the request by.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "worker/balance.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/forward_auth.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/upstream.h"

#define FA_REQ_MAX	(16 * 1024)	/* the subrequest; its answer has
					   the rest of the buffer */

enum fa_step { FA_CONNECT, FA_SEND, FA_READ };

static enum step	fa_try(struct conn *, int);
static enum step	fa_failed(struct conn *, int, const char *,
			    const char *);

struct fa_out {
	char	*p;
	size_t	 len, room;
	bool	 full;
};

static void
put(struct fa_out *o, const char *s, size_t n)
{
	if (o->full || o->len + n > o->room) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct fa_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static bool
name_is(const char *b, struct http_slice s, const char *name)
{
	return s.len == strlen(name) && strncasecmp(b + s.off, name,
	    s.len) == 0;
}

static bool
name_listed(const char *b, struct http_slice s, char *const *names,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (name_is(b, s, names[i]))
			return true;
	return false;
}

static bool
peer_trusted(const struct conn *c)
{
	const struct cfg_global	*g = G(c);

	for (size_t i = 0; i < g->ntrusted_proxies; i++)
		if (cidr_match(&g->trusted_proxies[i], &c->peer.ss))
			return true;
	return false;
}

/*
 * The subrequest, at the front of the buffer: its length, 0 when it
 * does not fit. X-Forwarded-Proto and -Host are a trusted proxy's when
 * it sent them, as upstream requests have them; X-Forwarded-For is the
 * client alone, as frontd knows it (real_ip_header included).
 */
static size_t
fa_build(struct conn *c, const struct cfg_route *route, char *dst)
{
	const struct req	*r = c->req;
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	struct fa_out		 o = { dst, 0, FA_REQ_MAX, false };
	struct http_slice	 uri = h->target;
	const struct http_header *proto = NULL, *host = NULL;
	char			 ip[ADDR_STRLEN];
	bool			 trusted = peer_trusted(c);

	if (h->form == HTTP_TARGET_ABSOLUTE)
		uri = h->path;
	put(&o, b + h->method.off, h->method.len);
	put(&o, " ", 1);
	puts_(&o, route->fa_path);
	puts_(&o, " HTTP/1.1\r\nHost: ");
	puts_(&o, route->fa_upstream_name);
	puts_(&o, "\r\n");
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (f->id == HTTP_H_X_FORWARDED_PROTO && trusted)
			proto = f;
		else if (f->id == HTTP_H_X_FORWARDED_HOST && trusted)
			host = f;
		else if (name_is(b, f->name, "cookie") ||
		    name_is(b, f->name, "authorization") ||
		    name_listed(b, f->name, route->fa_req_headers,
		    route->nfa_req_headers))
			put(&o, b + f->line_off, f->line_len);
	}
	puts_(&o, "X-Forwarded-Method: ");
	put(&o, b + h->method.off, h->method.len);
	puts_(&o, "\r\nX-Forwarded-Proto: ");
	if (proto != NULL)
		put(&o, b + proto->value.off, proto->value.len);
	else
		puts_(&o, conn_tls(c) != NULL ? "https" : "http");
	puts_(&o, "\r\n");
	if (host != NULL || r->hostlen > 0) {
		puts_(&o, "X-Forwarded-Host: ");
		if (host != NULL)
			put(&o, b + host->value.off, host->value.len);
		else
			put(&o, r->host, r->hostport_len);
		puts_(&o, "\r\n");
	}
	puts_(&o, "X-Forwarded-Uri: ");
	if (uri.len == 0)
		put(&o, "/", 1);
	else
		put(&o, b + uri.off, uri.len);
	addr_format_ip(req_client(c), ip, sizeof(ip));
	puts_(&o, "\r\nX-Forwarded-For: ");
	puts_(&o, ip);
	puts_(&o, "\r\nContent-Length: 0\r\n\r\n");
	return o.full ? 0 : o.len;
}

/* The route asks first: the subrequest starts, the request waits. */
enum phase_result
phase_forward_auth(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	size_t			 n;

	if (route->fa_upstream < 0 || fa->passed)
		return PHASE_NEXT;
	if (fa->buf == NULL && (fa->buf = buf_get()) == NULL) {
		*s = request_fail(c, 503, "out of memory");
		return PHASE_FAIL;
	}
	if ((n = fa_build(c, route, fa->buf->data)) == 0) {
		*s = request_fail(c, 431, "request head too large for "
		    "forward_auth");
		return PHASE_FAIL;
	}
	fa->req_len = (uint32_t)n;
	r->upstream = route->fa_upstream;
	/* The client's body (and what follows) waits in the socket. */
	set_client_events(c, 0);
	*s = fa_try(c, 0);
	return r->state == REQ_AUTH ? PHASE_WAIT : PHASE_FAIL;
}

/* The auth server spoke, closed, or has room. */
static void
fa_up_event(struct upconn *uc, uint32_t events)
{
	conn_run(uc->owner);
}

/* A connection to server idx of the auth upstream, and the send anew. */
static enum step
fa_open(struct conn *c, size_t idx, bool fresh)
{
	struct req	*r = c->req;
	struct fauth	*fa = &r->fa;

	if ((r->uc = upstream_get(c->w, U(c), idx, r->slot, fresh, &r->client,
	    U(c)->servers[idx].proxy_protocol ? conn_local(c) : NULL)) == NULL)
		return request_fail(c, 503, "out of memory");
	r->uc->owner = c;
	r->uc->cb = fa_up_event;
	atomic_fetch_add(&c->w->env->health->slots[r->slot].requests, 1);
	fa->step = FA_CONNECT;
	fa->sent = 0;
	fa->head_done = false;
	fa->buf->start = 0;
	fa->buf->end = fa->req_len;
	http_parser_init(&r->rparser);
	req_enter(c, REQ_AUTH);
	return STEP_AGAIN;
}

/* No answer from the auth service: the request goes nowhere. */
static enum step
fa_give_up(struct conn *c, int status)
{
	return request_fail(c, status, status == 504 ? "forward_auth "
	    "timeout" : "forward_auth failed");
}

/* One try on a server not tried yet; retry_status: the last try's. */
static enum step
fa_try(struct conn *c, int retry_status)
{
	struct worker			*w = c->w;
	struct req			*r = c->req;
	const struct cfg_upstream	*up = U(c);
	size_t				 idx;

	switch (balance_pick(c, up, &idx)) {
	case PICK_OK:
		break;
	case PICK_FULL:
		if (retry_status != 0)
			return fa_give_up(c, retry_status);
		proxy_nolive(c, "forward_auth: every available server is at "
		    "max_conns");
		return request_fail(c, 503, "forward_auth: all servers at "
		    "max_conns");
	case PICK_NONE:
		if (retry_status != 0)
			return fa_give_up(c, retry_status);
		proxy_nolive(c, "forward_auth: no live server for this "
		    "request");
		return request_fail(c, 502, "forward_auth: no live server");
	}
	r->slot = (int)(up->slot0 + idx);
	r->upstream_name = w->slot_names[r->slot];
	r->tried[r->ntried++] = (int16_t)idx;
	if (r->ntried == 1)
		r->first_try_ms = ev_now(w->loop);
	return fa_open(c, idx, false);
}

/*
 * A try failed before the answer was in. A pooled connection the server
 * had closed is tried once more, fresh, and blamed on no one; else the
 * server is charged (max_fails) and another one asked, within retries
 * and retry_timeout: the subrequest has no body and only asks, so that
 * is always safe. Then frontd's error: the request goes nowhere.
 */
static enum step
fa_failed(struct conn *c, int status, const char *what, const char *detail)
{
	struct req			*r = c->req;
	const struct cfg_upstream	*up = U(c);
	char				 why[160];

	if (r->uc != NULL && r->uc->reused && !r->retried && status != 504 &&
	    r->fa.buf->end == r->fa.req_len) {
		log_debug("conn=%llu forward_auth: retrying on a new "
		    "connection to %s", (unsigned long long)c->id,
		    r->upstream_name);
		r->retried = true;
		upstream_release(r->uc, false);
		r->uc = NULL;
		return fa_open(c, (size_t)r->tried[r->ntried - 1], true);
	}
	proxy_warn(c, what, detail);
	snprintf(why, sizeof(why), "%s%s%s", what, detail ? ": " : "",
	    detail ? detail : "");
	if (r->uc != NULL && (!r->uc->reused || status == 504))
		balance_failed(c, r->slot, why);
	if (r->uc != NULL) {
		upstream_release(r->uc, false);
		r->uc = NULL;
	}
	if (r->ntried > up->retries || (up->retry_timeout_ms > 0 &&
	    ev_now(c->w->loop) - r->first_try_ms >= up->retry_timeout_ms))
		return fa_give_up(c, status);
	log_debug("conn=%llu forward_auth: retrying on another server after "
	    "%s", (unsigned long long)c->id, why);
	return fa_try(c, status);
}

/* Connect (and TLS), under the upstream's connect timer. */
static enum step
fa_connect(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	const char	*why = NULL;
	int		 err = 0, rc;

	if (uc->fd == -1) {
		r->up_start_ms = ev_now(c->w->loop);
		if ((rc = upstream_connect(uc, &err)) == -2) {
			log_warn("cannot open a connection to an upstream "
			    "server: %s", strerror(err));
			return request_fail(c, 503, "no socket for "
			    "forward_auth");
		}
		if (rc == -1)
			return fa_failed(c, 502, "forward_auth connect failed",
			    strerror(err));
		return STEP_WAIT;
	}
	if (!uc->connected) {
		if ((rc = upstream_finish_connect(uc, &err)) == 1)
			return STEP_WAIT;
		if (rc == -1)
			return fa_failed(c, 502, "forward_auth connect failed",
			    strerror(err));
	} else if (r->up_start_ms == 0)
		r->up_start_ms = ev_now(c->w->loop);
	if (U(c)->tls && !uc->tls_done) {
		if ((rc = upstream_tls_handshake(uc, &why)) == 1)
			return STEP_WAIT;
		if (rc == -1)
			return fa_failed(c, 502, "forward_auth TLS handshake "
			    "failed", why);
	}
	r->fa.step = FA_SEND;
	req_wait(c, WAIT_UP_SEND);
	return STEP_AGAIN;
}

/* The subrequest, whole; then its answer is waited for. */
static enum step
fa_send(struct conn *c)
{
	struct req	*r = c->req;
	struct fauth	*fa = &r->fa;
	struct buf	*b = fa->buf;
	bool		 blocked;
	ssize_t		 n;

	b->start = fa->sent;
	b->end = fa->req_len;
	n = send_two(r->uc->fd, r->uc->ssl, NULL, NULL, b, fa->req_len -
	    fa->sent, &blocked, NULL);
	if (n == -1)
		return fa_failed(c, 502, "forward_auth send failed",
		    strerror(errno));
	fa->sent += (uint32_t)n;
	if (fa->sent < fa->req_len) {
		upstream_watch(r->uc, EPOLLOUT);
		if (n > 0)
			req_wait(c, WAIT_UP_SEND);
		return STEP_WAIT;
	}
	b->start = b->end = fa->req_len;
	fa->step = FA_READ;
	r->head_deadline_ms = ev_now(c->w->loop) + U(c)->header_timeout_ms;
	req_wait(c, WAIT_UP_HEAD);
	upstream_watch(r->uc, EPOLLIN);
	return STEP_WAIT;
}

/* How the answer's body comes, once its head is in. */
static void
fa_framing(struct conn *c)
{
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	const struct http_head	*h = &r->resp;

	fa->body0 = fa->raw = fa->dec = fa->req_len + h->head_len;
	r->up_status = h->status;
	r->reusable = !h->conn_close && (h->version_minor == 1 ||
	    h->conn_keep_alive);
	if (r->head_method || h->status == 204 || h->status == 304)
		fa->mode = BODY_NONE;
	else if (h->chunked) {
		fa->mode = BODY_CHUNKED;
		http_chunked_init(&fa->chunk);
	} else if (h->has_content_length) {
		fa->mode = h->content_length > 0 ? BODY_LENGTH : BODY_NONE;
		fa->left = h->content_length;
	} else {
		fa->mode = BODY_CLOSE;
		r->reusable = false;
	}
}

/*
 * The body read so far, decoded in place after the head (a chunked
 * body never outgrows its framing): 1 whole, 0 more to come, -1 bad.
 * Bytes past its end leave the connection unfit for reuse.
 */
static int
fa_body(struct conn *c)
{
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	struct buf		*b = fa->buf;
	enum http_chunk_result	 cr;
	size_t			 used, off, len;

	switch (fa->mode) {
	case BODY_NONE:
		if (b->end > fa->body0)
			r->reusable = false;
		return 1;
	case BODY_LENGTH:
		if (b->end - fa->body0 < fa->left) {
			fa->dec = (uint32_t)b->end;
			return 0;
		}
		fa->dec = fa->body0 + (uint32_t)fa->left;
		if (b->end > fa->dec)
			r->reusable = false;
		return 1;
	case BODY_CHUNKED:
		for (;;) {
			cr = http_chunked_next(&fa->chunk, b->data + fa->raw,
			    b->end - fa->raw, &used, &off, &len);
			if (cr == HTTP_CHUNK_ERROR)
				return -1;
			if (cr == HTTP_CHUNK_DATA) {
				memmove(b->data + fa->dec, b->data + fa->raw +
				    off, len);
				fa->dec += (uint32_t)len;
			}
			fa->raw += (uint32_t)used;
			if (cr == HTTP_CHUNK_AGAIN)
				return 0;
			if (cr == HTTP_CHUNK_DONE) {
				if (b->end > fa->raw)
					r->reusable = false;
				return 1;
			}
		}
	default:
		fa->dec = (uint32_t)b->end;	/* until the server closes */
		return 0;
	}
}

/* The auth connection back to the pool when its exchange ended clean. */
static void
fa_release(struct conn *c, bool whole)
{
	struct req	*r = c->req;

	r->up_end_ms = ev_now(c->w->loop);
	if (r->uc != NULL) {
		upstream_release(r->uc, whole && r->reusable);
		r->uc = NULL;
	}
}

/*
 * 2xx: the fields the route names go into the upstream request, moved
 * to the front of the buffer (each one lies after where it goes); the
 * upstream side is as if never used, and the phases run again.
 */
static enum step
fa_pass(struct conn *c, bool whole)
{
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	const struct http_head	*h = &r->resp;
	char			*base = fa->buf->data + fa->req_len;
	uint32_t		 o = 0;

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (!name_listed(base, f->name, route->fa_resp_headers,
		    route->nfa_resp_headers))
			continue;
		memmove(fa->buf->data + o, base + f->line_off, f->line_len);
		o += f->line_len;
	}
	log_debug("conn=%llu forward_auth: %d from %s, the request goes on",
	    (unsigned long long)c->id, h->status, r->upstream_name);
	fa_release(c, whole);
	fa->lines = o;
	if (o == 0) {
		buf_put(fa->buf);
		fa->buf = NULL;
	}
	fa->passed = true;
	r->upstream = -1;
	r->slot = -1;
	r->upstream_name = NULL;
	r->ntried = 0;
	r->retried = false;
	r->hash_done = false;
	r->reusable = false;
	r->up_status = 0;
	r->up_start_ms = r->up_end_ms = r->first_try_ms = 0;
	http_parser_init(&r->rparser);
	r->resp.nheaders = 0;
	/* Its head is still pinned: the phases run again. */
	r->state = REQ_HEAD;
	return request_start(c);
}

/* Fields that belong to the auth server's connection, or that frontd's
 * own answer writes itself. */
static bool
fa_own_field(const char *base, const struct http_head *h,
    const struct http_header *f)
{
	switch (f->id) {
	case HTTP_H_CONNECTION:
	case HTTP_H_KEEP_ALIVE:
	case HTTP_H_PROXY_CONNECTION:
	case HTTP_H_TE:
	case HTTP_H_TRAILER:
	case HTTP_H_TRANSFER_ENCODING:
	case HTTP_H_UPGRADE:
	case HTTP_H_CONTENT_LENGTH:
	case HTTP_H_DATE:
	case HTTP_H_SERVER:
	case HTTP_H_LOCATION:
		return true;
	default:
		break;
	}
	if (name_is(base, f->name, "content-type"))
		return true;
	return h->conn_other && http_connection_has(base, h, base +
	    f->name.off, f->name.len);
}

/*
 * 401, 403, 3xx: the auth service's answer goes to the client as it is,
 * its status, fields (Location, WWW-Authenticate, Set-Cookie...) and
 * body, as an answer of frontd's that keeps the connection.
 */
static enum step
fa_refuse(struct conn *c, bool whole)
{
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	const struct http_head	*h = &r->resp;
	const char		*base = fa->buf->data + fa->req_len;
	const char		*loc = NULL;
	size_t			 loclen = 0, o = r->answer_len;
	char			 type[128] = "text/plain";

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (f->id == HTTP_H_LOCATION) {
			loc = base + f->value.off;
			loclen = f->value.len;
		} else if (name_is(base, f->name, "content-type") &&
		    f->value.len < sizeof(type)) {
			memcpy(type, base + f->value.off, f->value.len);
			type[f->value.len] = '\0';
		}
		if (fa_own_field(base, h, f))
			continue;
		if (o + f->line_len > sizeof(r->answer)) {
			fa_release(c, false);
			proxy_warn(c, "forward_auth answer too large",
			    "header fields over 2K");
			return request_fail(c, 502, "forward_auth answer has "
			    "too many header lines");
		}
		memcpy(r->answer + o, base + f->line_off, f->line_len);
		o += f->line_len;
	}
	r->answer_len = (uint16_t)o;
	log_debug("conn=%llu forward_auth: %d from %s, passed to the client",
	    (unsigned long long)c->id, h->status, r->upstream_name);
	fa_release(c, whole);
	c->in->start += r->head.head_len;
	return request_local(c, h->status, type, fa->buf->data + fa->body0,
	    fa->dec - fa->body0, loc, loclen, "refused by forward_auth");
}

/* The answer is in (whole, or all that will be read of it). */
static enum step
fa_answer(struct conn *c, bool whole)
{
	struct req	*r = c->req;
	int		 status = r->resp.status;
	char		 d[32];

	if (status >= 200 && status < 300)
		return fa_pass(c, whole);
	if (status == 401 || status == 403 || (status >= 300 &&
	    status < 400)) {
		if (!whole) {
			fa_release(c, false);
			proxy_warn(c, "forward_auth answer too large", NULL);
			return request_fail(c, 502, "forward_auth answer too "
			    "large");
		}
		return fa_refuse(c, whole);
	}
	snprintf(d, sizeof(d), "status %d", status);
	fa_release(c, whole);
	proxy_warn(c, "forward_auth unexpected answer", d);
	return request_fail(c, 500, "forward_auth unexpected answer");
}

/* The answer's head, then its body, into the buffer after the request. */
static enum step
fa_read(struct conn *c)
{
	struct req		*r = c->req;
	struct fauth		*fa = &r->fa;
	struct buf		*b = fa->buf;
	enum http_result	 res;
	ssize_t			 n;
	int			 done;

	for (;;) {
		if (!fa->head_done && b->end > fa->req_len) {
			res = http_parse_response(&r->rparser, b->data +
			    fa->req_len, b->end - fa->req_len,
			    &c->w->resp_limits, &r->resp);
			if (res == HTTP_ERROR)
				return fa_failed(c, 502, "forward_auth invalid "
				    "response",
				    http_error_names[r->resp.error]);
			if (res == HTTP_OK && r->resp.status < 200) {
				/* An interim answer (100, 103) is dropped. */
				memmove(b->data + fa->req_len, b->data +
				    fa->req_len + r->resp.head_len, b->end -
				    fa->req_len - r->resp.head_len);
				b->end -= r->resp.head_len;
				http_parser_init(&r->rparser);
				continue;
			}
			if (res == HTTP_OK) {
				fa->head_done = true;
				balance_succeeded(c, r->slot);
				fa_framing(c);
				req_wait(c, WAIT_UP_READ);
			}
		}
		if (fa->head_done) {
			if ((done = fa_body(c)) == -1) {
				fa_release(c, false);
				proxy_warn(c, "forward_auth invalid response",
				    "bad chunked body");
				return request_fail(c, 502, "forward_auth bad "
				    "chunked body");
			}
			if (done == 1)
				return fa_answer(c, true);
		}
		if (buf_room(b) == 0) {
			if (fa->head_done)
				return fa_answer(c, false);
			return fa_failed(c, 502, "forward_auth invalid "
			    "response", "head too large");
		}
		n = read_into(r->uc->fd, r->uc->ssl, b, fa->req_len);
		if (n == -2) {
			upstream_watch(r->uc, EPOLLIN);
			return STEP_WAIT;
		}
		if (n <= 0) {
			if (fa->head_done && fa->mode == BODY_CLOSE)
				return fa_answer(c, true);
			return fa_failed(c, 502, b->end == fa->req_len ?
			    "forward_auth closed without a response" :
			    "forward_auth closed in the response", n == -1 ?
			    strerror(errno) : NULL);
		}
		req_wait(c, fa->head_done ? WAIT_UP_READ : WAIT_UP_HEAD);
	}
}

/* One step of the subrequest (request_step, in REQ_AUTH). */
enum step
fauth_step(struct conn *c)
{
	switch (c->req->fa.step) {
	case FA_CONNECT:
		return fa_connect(c);
	case FA_SEND:
		return fa_send(c);
	default:
		return fa_read(c);
	}
}

/* A wait of the subrequest ran out: the auth server is too slow. */
enum step
fauth_timeout(struct conn *c)
{
	struct req	*r = c->req;
	char		 d[32];

	fmt_duration(d, sizeof(d), c->wait_len_ms);
	switch (c->wait) {
	case WAIT_CONNECT:
		return fa_failed(c, 504, "forward_auth connect timeout", d);
	case WAIT_UP_SEND:
		return fa_failed(c, 504, "forward_auth send timeout", d);
	case WAIT_UP_HEAD:
		if (ev_now(c->w->loop) >= r->head_deadline_ms) {
			fmt_duration(d, sizeof(d), U(c)->header_timeout_ms);
			return fa_failed(c, 504, "forward_auth header timeout",
			    d);
		}
		return fa_failed(c, 504, "forward_auth read timeout", d);
	case WAIT_UP_READ:
		return fa_failed(c, 504, "forward_auth read timeout", d);
	default:
		c->why = "timeout";
		return STEP_CLOSE;
	}
}
