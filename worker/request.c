/*
 * A request's way from a parsed head to its answer: an explicit table of
 * phases run in order, each answering NEXT (go on), ANSWERED, WAIT or
 * FAIL (the phase set the connection's next step). A new phase, such as
 * an access rule or a rate limit, is a function and one row.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/shm.h"
#include "worker/accept_encoding.h"
#include "worker/access.h"
#include "worker/accesslog.h"
#include "worker/auth.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/forward_auth.h"
#include "worker/limit.h"
#include "worker/maintenance.h"
#include "worker/metrics.h"
#include "worker/phase.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/status.h"
#include "worker/upstream.h"
#include "worker/vars.h"

static enum phase_result	phase_framing(struct conn *, enum step *);
static enum phase_result	phase_target(struct conn *, enum step *);
static enum phase_result	phase_https(struct conn *, enum step *);
static enum phase_result	phase_route(struct conn *, enum step *);
static enum phase_result	phase_local(struct conn *, enum step *);
static enum phase_result	phase_rewrite(struct conn *, enum step *);
static enum phase_result	phase_cache(struct conn *, enum step *);
static enum phase_result	phase_proxy(struct conn *, enum step *);

/*
 * In order. The last one always answers: the request goes upstream.
 * framing: keep-alive, the body; client: its address (access.c);
 * listener_access: the listener's allow and deny; target: host and path,
 * normalized; https: redirect_to_https; route: which route, 404 if none;
 * route_access: the route's allow and deny; filter: deny_* and the body
 * limit; limit: the listener's and the route's shared limits (limit.c);
 * auth_basic, forward_auth: who the user is (auth.c, forward_auth.c);
 * maintenance: its 503 (maintenance.c); local: return, redirect,
 * metrics; rewrite: the target, headers and coding; cache: a hit, a
 * wait, or on; proxy: to the upstream.
 */
static const struct phase phases[] = {
	{ "framing", phase_framing },
	{ "client", phase_client },
	{ "listener_access", phase_listener_access },
	{ "target", phase_target },
	{ "https", phase_https },
	{ "route", phase_route },
	{ "route_access", phase_route_access },
	{ "filter", phase_filter },
	/* Before the logins: a flood of guesses is refused, not hashed. */
	{ "limit", phase_limit },	/* rate_limit, limit_conn (limit.c) */
	/* auth_basic: the user of an htpasswd file, or 401 (auth.c) */
	{ "auth_basic", phase_auth_basic },
	/* forward_auth: a subrequest to an auth service (forward_auth.c) */
	{ "forward_auth", phase_forward_auth },
	{ "maintenance", phase_maintenance },
	{ "local", phase_local },
	{ "rewrite", phase_rewrite },
	{ "cache", phase_cache },
	{ "proxy", phase_proxy },
};

/* --- what the phases do ------------------------------------------------ */

static size_t
copy_slice(char *dst, size_t size, const char *base, struct http_slice s)
{
	size_t	n = s.len < size ? s.len : size;

	memcpy(dst, base + s.off, n);
	return n;
}

/* What the access log names a request by, kept past its head. */
void
request_log_names(struct conn *c)
{
	struct req		*r = c->req;
	const char		*b = c->in->data;
	const struct http_head	*h = &r->head;

	if (!accesslog_enabled())
		return;
	r->log_method_len = (uint8_t)copy_slice(r->log_method,
	    sizeof(r->log_method), b, h->method);
	r->log_target_len = (uint16_t)copy_slice(r->log_target,
	    sizeof(r->log_target), b, h->target);
	r->log_minor = (uint8_t)h->version_minor;
	for (uint32_t i = 0; i < h->nheaders; i++) {
		if (h->headers[i].id == HTTP_H_USER_AGENT)
			r->log_ua_len = (uint16_t)copy_slice(r->log_ua,
			    sizeof(r->log_ua), b, h->headers[i].value);
		else if (h->headers[i].id == HTTP_H_REFERER)
			r->log_ref_len = (uint16_t)copy_slice(r->log_ref,
			    sizeof(r->log_ref), b, h->headers[i].value);
	}
}

static bool
method_idempotent(enum http_method m)
{
	return m == HTTP_M_GET || m == HTTP_M_HEAD || m == HTTP_M_OPTIONS ||
	    m == HTTP_M_TRACE || m == HTTP_M_PUT || m == HTTP_M_DELETE;
}

/*
 * The request's host, from the absolute-form target or else Host (RFC 9112
 * 3.2.2), normalized once: the name in lower case without a final dot,
 * then ":port" when the client gave a port other than the scheme's
 * default, in plain decimal. Routing and $host use the name; Host and
 * X-Forwarded-Host upstream and $authority (the default cache key) use all
 * of it, so nothing the client wrote differently reaches the backend
 * without also changing the key. -1: a name too long for any host (400).
 */
static int
request_host(struct conn *c)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->head;
	struct http_slice	 sl;
	const char		*p, *e, *port = NULL;
	size_t			 n, portlen = 0;
	unsigned		 pn = 0;

	r->hostlen = r->hostport_len = 0;
	if (h->form == HTTP_TARGET_ABSOLUTE)
		sl = h->authority;
	else if (h->host >= 0)
		sl = h->headers[h->host].value;
	else
		return 0;
	p = c->in->data + sl.off;
	n = sl.len;
	if ((e = memchr(p, '@', n)) != NULL) {
		n -= (size_t)(e + 1 - p);
		p = e + 1;
	}
	/* The parser checked the form: a name or [v6], then 1-5 digits. */
	if (n > 0 && p[0] == '[')
		e = memchr(p, ']', n);
	else
		e = memchr(p, ':', n);
	if (e != NULL && *e == ']')
		e++;
	if (e != NULL && e < p + n && *e == ':') {
		port = e + 1;
		portlen = n - (size_t)(port - p);
		n = (size_t)(e - p);
	}
	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n > 255)
		return -1;	/* RFC 1035: no name is that long */
	for (size_t i = 0; i < n; i++)
		r->host[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 :
		    p[i]);
	r->hostlen = (uint16_t)n;
	for (size_t i = 0; i < portlen; i++)
		pn = pn * 10 + (unsigned)(port[i] - '0');
	if (portlen > 0 && pn != (conn_tls(c) != NULL ? 443u : 80u)) {
		char	 d[8], *q = d + sizeof(d);

		/* Every request names its port: no printf for it. */
		do
			*--q = (char)('0' + pn % 10);
		while ((pn /= 10) != 0);
		r->host[n++] = ':';
		memcpy(r->host + n, q, (size_t)(d + sizeof(d) - q));
		n += (size_t)(d + sizeof(d) - q);
	}
	r->hostport_len = (uint16_t)n;
	return 0;
}

/*
 * The path for matching, normalized into w->path. -1: it climbs above
 * the root (a 400).
 */
static int
request_path(struct conn *c)
{
	struct worker		*w = c->w;
	const struct http_head	*h = &c->req->head;
	struct http_slice	 t = h->form == HTTP_TARGET_ABSOLUTE ? h->path :
				    h->target;
	const char		*p = c->in->data + t.off, *q;
	size_t			 len = t.len;
	ssize_t			 n;

	if ((q = memchr(p, '?', len)) != NULL)
		len = (size_t)(q - p);
	if (len == 0 || p[0] != '/') {
		/* "*" (OPTIONS) or an empty absolute-form path. */
		if (len == 0) {
			w->path[0] = '/';
			len = 1;
		} else
			memcpy(w->path, p, len);
		w->path_len = len;
		return 0;
	}
	if ((n = path_normalize(p, len, w->path)) == -1)
		return -1;
	w->path_len = (size_t)n;
	return 0;
}

/*
 * strip_prefix, rewrite, add_prefix: the new target goes to w->target,
 * the query of the client's target kept unless a rewrite gave one.
 */
static int
request_rewrite(struct conn *c, const struct cfg_route *route)
{
	struct worker		*w = c->w;
	const struct http_head	*h = &c->req->head;
	size_t			 room = TARGET_ROOM(G(c)->max_request_line);
	const char		*path = w->path, *args = NULL;
	size_t			 plen = w->path_len, alen = 0, n, o = 0;
	struct http_slice	 t = h->form == HTTP_TARGET_ABSOLUTE ? h->path :
				    h->target;
	bool			 keep_args = true;
	/* Thirds of w->target: the result, the rewrite's, the strip's. */
	char			*tmp = w->target + room / 3;
	char			*stripped = w->target + 2 * (room / 3);

	w->target_len = 0;
	if (route->strip_prefix == NULL && route->add_prefix == NULL &&
	    route->rewrite_re == NULL)
		return 0;
	if ((args = memchr(c->in->data + t.off, '?', t.len)) != NULL) {
		alen = t.len - (size_t)(args - (c->in->data + t.off));
	}
	if (route->strip_prefix != NULL &&
	    (n = (size_t)route_strip_prefix(route->strip_prefix, path, plen,
	    stripped, &path)) != (size_t)-1)
		plen = n;
	if (route->rewrite_re != NULL) {
		const size_t	*ov;
		int		 rc;

		if ((rc = regex_match(route->rewrite_re, path, plen, &ov)) < 0)
			return -2;
		if (rc > 0) {
			n = tpl_expand(c, &route->rewrite_to, path, ov, rc, tmp,
			    room / 3);
			if (n == (size_t)-1)
				return -1;
			if (memchr(tmp, '?', n) != NULL)
				keep_args = false;
			path = tmp;
			plen = n;
		}
	}
	if (route->add_prefix != NULL) {
		n = strlen(route->add_prefix);
		if (n > 0 && route->add_prefix[n - 1] == '/' && plen > 0 &&
		    path[0] == '/')
			n--;
		memcpy(w->target, route->add_prefix, n);
		o = n;
	}
	if (o + plen + (keep_args ? alen : 0) > room / 3)
		return -1;
	memmove(w->target + o, path, plen);
	o += plen;
	if (keep_args && args != NULL) {
		memcpy(w->target + o, args, alen);
		o += alen;
	}
	w->target_len = o;
	return 0;
}

/*
 * set_response_header values of the request's listener and route, when
 * one has a variable: expanded now while the request is here. A line that
 * does not fit the request's room (a client's huge header in a variable)
 * is left out rather than failing the request.
 */
static void
request_resp_headers(struct conn *c, const struct cfg_resp_fields *f)
{
	struct req	*r = c->req;
	size_t		 o = 0, n, start;

	for (size_t i = 0; i < f->nset; i++) {
		const struct cfg_header_op *op = f->set[i];

		start = o;
		if (o + op->namelen + 4 > sizeof(r->resp_set))
			continue;
		memcpy(r->resp_set + o, op->name, op->namelen);
		o += op->namelen;
		r->resp_set[o++] = ':';
		r->resp_set[o++] = ' ';
		n = tpl_expand(c, &op->value, NULL, NULL, 0, r->resp_set + o,
		    sizeof(r->resp_set) - o - 2);
		if (n == (size_t)-1) {
			log_debug("conn=%llu set_response_header %s: value "
			    "too long, left out", (unsigned long long)c->id,
			    op->name);
			o = start;
			continue;
		}
		o += n;
		r->resp_set[o++] = '\r';
		r->resp_set[o++] = '\n';
	}
	r->resp_set_len = (uint16_t)o;
}

/*
 * The coding this client takes, if the route compresses: none for HEAD
 * or a Range request (a range of the compressed body would be another).
 * Accept-Encoding on several lines is one list.
 * A copy of If-None-Match is kept for a 304 from the upstream
 * (body_pick_coding): the client's head may be gone by then.
 */
static void
request_coding(struct conn *c, const struct cfg_route *route)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	const struct http_header *inm = NULL;
	struct ae		 ae;
	bool			 listed = false;

	r->coding = CODING_NONE;
	ae_init(&ae);
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (f->name.len == 5 && strncasecmp(b + f->name.off, "range",
		    5) == 0)
			return;
		if (f->name.len == 15 && strncasecmp(b + f->name.off,
		    "accept-encoding", 15) == 0 && !r->head_method) {
			ae_parse(b + f->value.off, f->value.len, &ae);
			listed = true;
		} else if (f->name.len == 13 && strncasecmp(b + f->name.off,
		    "if-none-match", 13) == 0)
			inm = f;
	}
	/* Longer lists are rare: their 304 keeps its strong ETag. */
	if (inm != NULL && inm->value.len <= sizeof(r->inm)) {
		memcpy(r->inm, b + inm->value.off, inm->value.len);
		r->inm_len = (uint16_t)inm->value.len;
	}
	/* Vary even when this client takes nothing: caches must know. */
	r->vary = true;
	if (!listed)
		return;
	r->coding = (uint8_t)coding_negotiate(&ae, route->compress_gzip,
	    route->compress_br);
}


/*
 * A 101 turns the connection into a tunnel that no route sees again, so
 * only the protocols the route lists may be asked for (websocket by
 * default; h2c would let a client reach any path through one request).
 * The others are dropped from the request, which then goes as plain
 * HTTP/1.1.
 */
static void
request_upgrade(struct conn *c, const struct cfg_route *route)
{
	struct req	*r = c->req;
	bool		 other;

	r->upgrade_mask = upgrade_mask(route, c->in->data, &r->head, &other);
	r->upgrade = r->upgrade_mask != 0;
	for (size_t i = 0; i < route->nupgrade; i++)
		if ((r->upgrade_mask & (1u << i)) &&
		    strcmp(route->upgrade[i], "h2c") == 0)
			r->upgrade_h2c = true;
	if (other)
		log_debug("conn=%llu Upgrade to a protocol the route does not "
		    "allow: dropped", (unsigned long long)c->id);
}

static enum step
conn_not_found(struct conn *c)
{
	const struct cfg_global	*g = G(c);
	const char		*page = NULL;
	size_t			 len = 0;
	char			 body[512];

	for (size_t i = 0; i < g->nerror_pages; i++)
		if (g->error_pages[i].status == 404) {
			page = g->error_pages[i].body;
			len = g->error_pages[i].len;
		}
	if (page == NULL) {
		len = out_default_page(c, 404, body, sizeof(body));
		page = body;
		/* Fits c->out: request_local copies it there. */
	}
	return request_local(c, 404, "text/html", page, len, NULL, 0,
	    "no route");
}

/*
 * redirect_to_https: the same host and target on https, on the port of
 * the first TLS listener when it is not 443.
 */
static enum step
redirect_https(struct conn *c)
{
	const struct config	*cfg = c->w->env->cfg;
	const struct http_head	*h = &c->req->head;
	struct http_slice	 t = h->form == HTTP_TARGET_ABSOLUTE ? h->path :
				    h->target;
	char			*loc = c->w->target;
	size_t			 room = TARGET_ROOM(G(c)->max_request_line);
	int			 port = 443, n;

	for (size_t i = 0; i < c->w->env->nlistens; i++)
		if (cfg->listeners[c->w->env->listens[i].listener]->tls) {
			port = addr_port(&c->w->env->listens[i].addr);
			break;
		}
	if (c->req->hostlen == 0)
		return request_fail(c, 400, "no host to redirect to https");
	/* Only what a host name or address holds goes into Location. */
	for (size_t i = 0; i < c->req->hostlen; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-_[]:",
		    c->req->host[i]) == NULL || c->req->host[i] == '\0')
			return request_fail(c, 400, "no host fit to "
			    "redirect to https");
	n = snprintf(loc, room, "https://%.*s", (int)c->req->hostlen,
	    c->req->host);
	if (port != 443)
		n += snprintf(loc + n, room - (size_t)n, ":%d", port);
	if ((size_t)n + t.len + 1 >= room)
		return request_fail(c, 414, "target too long to redirect");
	if (t.len == 0)
		loc[n++] = '/';
	else {
		memcpy(loc + n, c->in->data + t.off, t.len);
		n += (int)t.len;
	}
	return request_local(c, 301, "text/html", "", 0, loc, (size_t)n,
	    "redirect to https");
}

static enum step
route_action(struct conn *c, const struct cfg_route *route)
{
	char		*loc = c->w->target;
	const char	*page;
	size_t		 n;
	enum step	 s;

	if (route->action == ACTION_METRICS) {
		if ((page = metrics_page(c->w->env, &n)) == NULL)
			return request_fail(c, 503, "metrics page: no buffer");
		s = request_local(c, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", page, n, NULL, 0, "metrics");
		metrics_page_hold(page, c->req != NULL ? c->req->local_body :
		    NULL);
		return s;
	}
	if (route->action == ACTION_STATUS)
		return status_answer(c);
	if (route->action == ACTION_RETURN)
		return request_local(c, route->status, route->body_type,
		    route->body ? route->body : "", route->bodylen, NULL, 0,
		    "return");
	n = tpl_expand(c, &route->location, NULL, NULL, 0, loc,
	    TARGET_ROOM(G(c)->max_request_line));
	if (n == (size_t)-1)
		return request_fail(c, 500, "redirect target too long");
	return request_local(c, route->status, "text/html", "", 0, loc, n,
	    "redirect");
}

/* The index in route->upgrade of protocol p, or -1. */
static int
upgrade_index(const struct cfg_route *route, const char *p, size_t len)
{
	for (size_t i = 0; i < route->nupgrade; i++)
		if (strlen(route->upgrade[i]) == len &&
		    strncasecmp(route->upgrade[i], p, len) == 0)
			return (int)i;
	return -1;
}

/*
 * The protocols named by the Upgrade fields of head h (values in base)
 * that the route allows, as bits over route->upgrade; *other tells that
 * some other protocol was named.
 */
uint32_t
upgrade_mask(const struct cfg_route *route, const char *base,
    const struct http_head *h, bool *other)
{
	const char	*p, *e, *q, *s, *t;
	uint32_t	 mask = 0;
	int		 i;

	*other = false;
	for (uint32_t k = 0; k < h->nheaders; k++) {
		if (h->headers[k].id != HTTP_H_UPGRADE)
			continue;
		p = base + h->headers[k].value.off;
		e = p + h->headers[k].value.len;
		for (; p < e; p = q + 1) {
			if ((q = memchr(p, ',', (size_t)(e - p))) == NULL)
				q = e;
			for (s = p; s < q && (*s == ' ' || *s == '\t'); s++)
				;
			for (t = q; t > s && (t[-1] == ' ' || t[-1] == '\t');
			    t--)
				;
			if (t == s)
				continue;
			if ((i = upgrade_index(route, s, (size_t)(t - s))) >= 0)
				mask |= 1u << i;
			else
				*other = true;
		}
	}
	return mask;
}

/*
 * Whether a 101 switches to what was asked for: each protocol of its
 * Upgrade one that went to the server.
 */
bool
upgrade_accepted(const struct conn *c)
{
	const struct req	*r = c->req;
	uint32_t		 mask;
	bool			 other;

	if (!r->upgrade)
		return false;
	mask = upgrade_mask(R(c), r->up_in->data, &r->resp, &other);
	return mask != 0 && !other && (mask & ~r->upgrade_mask) == 0;
}

/*
 * The response comes from the cache: the stored head goes through the
 * same rules as an upstream's, the body is copied from shared memory as
 * the client takes it.
 */
enum step
request_from_cache(struct conn *c)
{
	struct req	*r = c->req;
	size_t		 len;

	if (r->uc != NULL) {
		upstream_release(r->uc, false);
		r->uc = NULL;
	}
	if (r->up_in == NULL && (r->up_in = buf_get()) == NULL)
		return request_fail(c, 503, "out of memory");
	if (cache_serve_load(c) == -1) {
		r->up_in->start = r->up_in->end = 0;
		return request_fail(c, 502, "the cache entry went away");
	}
	if (!r->req_done)
		c->close_after = true;
	if (r->vary && !r->coded)
		body_pick_coding(c);
	cache_head_lines(c);
	if ((len = request_head(c)) == (size_t)-1)
		return request_fail(c, 503, "out of memory");
	if (len == 0)
		return request_fail(c, 500, "stored response head too large");
	r->up_in->start = r->up_in->end = 0;
	/* The first of the body rides with the head. */
	if (r->resp_mode != BODY_NONE && cache_body_read(c) < 0) {
		c->why = "cache entry evicted while read";
		return STEP_CLOSE;
	}
	r->up_end_ms = ev_now(c->w->loop);
	req_enter(c, REQ_BODY);
	return STEP_AGAIN;
}

enum step
request_start(struct conn *c)
{
	enum step	s = STEP_CLOSE;

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (phases[i].run(c, &s) != PHASE_NEXT)
			return s;
	return s;
}

/* An answer that ends the head: the bytes after it are the next request. */
static enum phase_result
answered(enum step *s, enum step step)
{
	*s = step;
	return PHASE_ANSWERED;
}

static enum phase_result
failed(struct conn *c, enum step *s, int status, const char *why)
{
	*s = request_fail(c, status, why);
	return PHASE_FAIL;
}

/* Counting once, keep-alive, how the body comes, and the limits on it. */
static enum phase_result
phase_framing(struct conn *c, enum step *s)
{
	struct worker		*w = c->w;
	const struct cfg_global	*g = G(c);
	struct req		*r = c->req;
	struct http_head	*h = &r->head;

	if (!r->parsed) {
		counter_add(CNT(c), CNT_REQUESTS, 1);
		c->nrequests++;
		r->parsed = true;
		request_log_names(c);
	}
	r->http10 = h->version_minor == 0;
	r->head_method = h->meth == HTTP_M_HEAD;
	r->idempotent = method_idempotent(h->meth);
	if (r->http10)
		c->close_after = !h->conn_keep_alive || h->conn_close;
	else
		c->close_after = h->conn_close;
	if (c->nrequests >= (unsigned)g->keepalive_requests || w->draining)
		c->close_after = true;

	if (h->chunked && c->stream_id != 0) {
		/* HTTP/2 DATA frames: raw, up to the stream's end. */
		r->req_mode = BODY_STREAM;
	} else if (h->chunked) {
		r->req_mode = BODY_CHUNKED;
		http_chunked_init(&r->req_chunk);
	} else if (h->has_content_length && h->content_length > 0) {
		r->req_mode = BODY_LENGTH;
		r->req_left = h->content_length;
	} else {
		r->req_mode = BODY_NONE;
		r->req_done = true;
	}
	if (h->meth == HTTP_M_CONNECT)
		return failed(c, s, 405, "CONNECT is not supported");
	return PHASE_NEXT;
}

static enum phase_result
phase_target(struct conn *c, enum step *s)
{
	if (request_host(c) == -1)
		return failed(c, s, 400, "host name longer than 255 bytes");
	if (request_path(c) == -1)
		return failed(c, s, 400, "path climbs above the root");
	return PHASE_NEXT;
}

static enum phase_result
phase_https(struct conn *c, enum step *s)
{
	const struct config	*cfg = c->w->env->cfg;

	if (!cfg->listeners[c->listen->listener]->redirect_to_https)
		return PHASE_NEXT;
	c->in->start += c->req->head.head_len;
	return answered(s, redirect_https(c));
}

static enum phase_result
phase_route(struct conn *c, enum step *s)
{
	struct worker		*w = c->w;
	const struct config	*cfg = w->env->cfg;
	struct req		*r = c->req;
	struct http_head	*h = &r->head;
	struct route_query	 q;

	q.host = r->host;
	q.hostlen = r->hostlen;
	q.path = w->path;
	q.pathlen = w->path_len;
	q.meth = h->meth;
	q.method = c->in->data + h->method.off;
	q.methodlen = h->method.len;
	q.listener = c->listen->listener;
	if ((r->route = router_match(cfg->router, cfg, &q)) >= 0) {
		/* Before any answer: every one carries these. */
		if (F(c)->vars)
			request_resp_headers(c, F(c));
		return PHASE_NEXT;
	}
	if (r->route == -2) {
		r->route = -1;
		return failed(c, s, 500, "a path regex hit its match limit");
	}
	/* Consumed here: the next request follows. */
	c->in->start += h->head_len;
	return answered(s, conn_not_found(c));
}

/* frontd's own answers: return, redirect, metrics, status. */
static enum phase_result
phase_local(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);

	if (route->action == ACTION_PROXY)
		return PHASE_NEXT;
	c->in->start += c->req->head.head_len;
	return answered(s, route_action(c, route));
}

/* What the route does to the request and to its response's head. */
static enum phase_result
phase_rewrite(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	struct http_head	*h = &r->head;

	r->upstream = route->upstream;
	if (!r->http10 && h->has_upgrade && h->conn_upgrade)
		request_upgrade(c, route);
	switch (request_rewrite(c, route)) {
	case -1:
		return failed(c, s, 414, "rewritten target too long");
	case -2:
		return failed(c, s, 500, "the rewrite regex hit its match "
		    "limit");
	}
	if (route->compress_gzip || route->compress_br)
		request_coding(c, route);
	return PHASE_NEXT;
}

static enum phase_result
phase_cache(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	struct http_head	*h = &r->head;

	if (!route->cache || c->w->env->cache == NULL)
		return PHASE_NEXT;
	switch (cache_request(c, route)) {
	case CACHE_FORWARD:
		return PHASE_NEXT;
	case CACHE_SERVE:
		c->in->start += h->head_len;
		return answered(s, request_from_cache(c));
	case CACHE_WAIT:
		/* The head stays: it is read again after the wait. */
		set_client_events(c, 0);
		req_enter(c, REQ_CACHE_WAIT);
		*s = STEP_WAIT;
		return PHASE_WAIT;
	case CACHE_ANSWERED:
		c->in->start += h->head_len;
		return answered(s, request_local(c, r->status, "text/plain",
		    r->rc->lines, r->rc->lines_len, NULL, 0, "cache"));
	}
	return PHASE_NEXT;
}

/* The head for the upstream, a 100 Continue if asked, and the first try. */
static enum phase_result
phase_proxy(struct conn *c, enum step *s)
{
	struct req		*r = c->req;
	struct http_head	*h = &r->head;
	size_t			 n;

	if ((r->up_out = buf_get()) == NULL)
		return failed(c, s, 503, "out of memory");
	n = out_request_head(c, r, R(c), r->up_out->data,
	    sizeof(r->up_out->data) - CHUNK_FRAME_MAX);
	if (n == 0)
		return failed(c, s, 431, "request head too large to forward");
	r->up_out->end = n;
	r->up_head_len = (uint32_t)n;
	/* The client's head is consumed; body or next request follow. */
	c->in->start += h->head_len;

	if (h->expect_continue && r->req_mode != BODY_NONE && !r->http10) {
		if (c->out == NULL && (c->out = buf_get()) == NULL)
			return failed(c, s, 503, "out of memory");
		memcpy(c->out->data + c->out->end,
		    "HTTP/1.1 100 Continue\r\n\r\n", 25);
		c->out->end += 25;
		r->interim_len += 25;
		r->continue_sent = true;
	}
	return answered(s, proxy_start_try(c, 0));
}
