/*
 * A request's way from a parsed head to its answer: an explicit table of
 * phases run in order, each answering NEXT (go on), ANSWERED, WAIT or
 * FAIL (the phase set the connection's next step). A new phase, such as
 * an access rule or a rate limit, is a function and one row.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/shm.h"
#include "worker/accesslog.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/conn.h"
#include "worker/conn_int.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/request.h"

enum phase_result {
	PHASE_NEXT,		/* go on with the next phase */
	PHASE_ANSWERED,		/* an answer is on its way */
	PHASE_WAIT,		/* waiting (another's fetch) */
	PHASE_FAIL		/* an error answer is on its way */
};

struct phase {
	const char	*name;
	enum phase_result (*run)(struct conn *, enum step *);
};

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
 * framing: keep-alive, the body, its limits; target: host and path,
 * normalized; https: redirect_to_https; route: which route, 404 if none;
 * local: return, redirect, metrics; rewrite: the target, headers and
 * coding; cache: a hit, a wait, or on; proxy: to the upstream.
 */
static const struct phase phases[] = {
	{ "framing", phase_framing },
	{ "target", phase_target },
	{ "https", phase_https },
	{ "route", phase_route },
	{ "local", phase_local },
	{ "rewrite", phase_rewrite },
	{ "cache", phase_cache },
	{ "proxy", phase_proxy },
};

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
answered(struct conn *c, enum step *s, enum step step)
{
	*s = step;
	return PHASE_ANSWERED;
}

static enum phase_result
failed(struct conn *c, enum step *s, int status, const char *why)
{
	*s = conn_fail(c, status, why);
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
		if (accesslog_enabled())
			save_for_log(c);
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

	if (h->chunked) {
		r->req_mode = BODY_CHUNKED;
		http_chunked_init(&r->req_chunk);
	} else if (h->has_content_length && h->content_length > 0) {
		r->req_mode = BODY_LENGTH;
		r->req_left = h->content_length;
	} else {
		r->req_mode = BODY_NONE;
		r->req_done = true;
	}
	if (g->client_max_body_size > 0 && h->has_content_length &&
	    h->content_length > g->client_max_body_size)
		return failed(c, s, 413, "request body larger than "
		    "client_max_body_size");
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
	return answered(c, s, redirect_https(c));
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
	if ((r->route = router_match(cfg->router, cfg, &q)) >= 0)
		return PHASE_NEXT;
	if (r->route == -2) {
		r->route = -1;
		return failed(c, s, 500, "a path regex hit its match limit");
	}
	/* Consumed here: the next request follows. */
	c->in->start += h->head_len;
	return answered(c, s, conn_not_found(c));
}

/* frontd's own answers: return, redirect, metrics. */
static enum phase_result
phase_local(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);

	if (route->action == ACTION_PROXY)
		return PHASE_NEXT;
	c->in->start += c->req->head.head_len;
	/* set_response_header holds for frontd's own answers too. */
	if (route->nset_resp > 0)
		request_resp_headers(c, route);
	return answered(c, s, route_action(c, route));
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
	if (route->nset_resp > 0)
		request_resp_headers(c, route);
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
		return answered(c, s, cache_serve(c));
	case CACHE_WAIT:
		/* The head stays: it is read again after the wait. */
		set_client_events(c, 0);
		conn_enter(c, CONN_CACHE_WAIT);
		conn_wait(c, WAIT_CACHE);
		*s = STEP_WAIT;
		return PHASE_WAIT;
	case CACHE_ANSWERED:
		c->in->start += h->head_len;
		return answered(c, s, conn_local(c, r->status, "text/plain",
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
	return answered(c, s, proxy_start_try(c, 0));
}
