/*
 * What the files that serve a request share (h1.c, req.c, request.c,
 * proxy.c, body.c): its configuration, its pinned head, HTTP/1.1 framing
 * helpers. The policy files, which never see a request, do not include it.
 */
#ifndef WORKER_REQ_INT_H
#define WORKER_REQ_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/proc.h"
#include "common/shm.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/req.h"

/* Room kept for a chunk's framing: "%zx\r\n" + "\r\n" and then some. */
#define CHUNK_FRAME_MAX	32

struct buf;
struct http_chunked;
struct upconn;

static inline const struct cfg_upstream *
U(const struct conn *c)
{
	return c->w->env->cfg->upstreams[c->req->upstream];
}

static inline const struct cfg_route *
R(const struct conn *c)
{
	return c->w->env->cfg->routes[c->req->route];
}

/*
 * The response fields of the request's listener and route, or of the
 * listener alone before a route is found (config_fields.c).
 */
static inline const struct cfg_resp_fields *
F(const struct conn *c)
{
	return &c->w->env->cfg->listeners[c->listen->listener]->fields[
	    c->req->route + 1];
}

/*
 * While a request is served, its head stays where it was parsed, at the
 * front of c->in: the cache's Vary key, a retry and a 304 read it through
 * its slices after more of the client's bytes (a body, a pipelined
 * request) came in behind it.
 */
static inline size_t
in_pin(const struct conn *c)
{
	return c->req != NULL && c->req->parsed ? c->req->head.head_len : 0;
}

/*
 * The client's address: the peer's, or the one its trusted proxy names
 * (phase_client); the peer's for a request refused before that phase.
 */
static inline const struct addr *
req_client(const struct conn *c)
{
	return c->req != NULL && c->req->client.ss.ss_family != 0 ?
	    &c->req->client : &c->peer;
}

/* HTTP/1.1 framing (h1.c): a chunked body decoded, and framed again. */
int		 chunked_relay(struct http_chunked *, struct buf *,
		    struct buf *, bool, struct buf *, bool *, bool *);

/* The route's upgrade protocols a head names, as bits (request.c). */
uint32_t	 upgrade_mask(const struct cfg_route *, const char *,
		    const struct http_head *, bool *other);
bool		 upgrade_accepted(const struct conn *);

/* request.c: the names the access log gives the request parsed in c->in. */
void		 request_log_names(struct conn *);

/* Appends one chunk: hex size line, data, CRLF. The caller made room. */
static inline void
chunk_put(struct buf *o, const char *data, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	char			size[2 * sizeof(size_t)];
	size_t			v = len;
	int			n = 0;

	do
		size[n++] = hex[v & 15];
	while ((v >>= 4) != 0);
	while (n > 0)
		o->data[o->end++] = size[--n];
	o->data[o->end++] = '\r';
	o->data[o->end++] = '\n';
	memcpy(o->data + o->end, data, len);
	o->end += len;
	o->data[o->end++] = '\r';
	o->data[o->end++] = '\n';
}

static inline void
buf_append(struct buf *o, const char *s, size_t len)
{
	memcpy(o->data + o->end, s, len);
	o->end += len;
}

#endif
