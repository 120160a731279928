/*
 * What conn.c shares with the files that serve its request (proxy.c,
 * body.c): the client side's helpers, waits and failures. Internal to the
 * connection: the policy files, which never see one, do not include it.
 */
#ifndef WORKER_CONN_INT_H
#define WORKER_CONN_INT_H

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

static inline const struct cfg_global *
G(const struct conn *c)
{
	return &c->w->env->cfg->global;
}

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

static inline struct counters_zone *
CNT(const struct conn *c)
{
	return c->w->env->counters;
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

/* What a failed read or write on the client says, if anything. */
static inline const char *
io_error(const struct conn *c)
{
	return c->ssl == NULL ? strerror(errno) : NULL;
}

/* The client's address for a log line; formatted only when logging. */
const char	*peer_name(const struct conn *);

/* The machine: states, waits, failures. */
void		 conn_enter(struct conn *, enum conn_state);
void		 conn_wait(struct conn *, enum conn_wait);
enum step	 conn_fail(struct conn *, int, const char *);
void		 conn_up_event(struct upconn *, uint32_t);
enum step	 conn_finish(struct conn *);

/* The client socket. */
void		 set_client_events(struct conn *, uint32_t);
void		 conn_nodelay(struct conn *);
void		 client_absorb(struct conn *);
void		 client_wait(struct conn *, bool);
enum step	 client_failed(struct conn *, enum counter, const char *,
		    const char *);

/* Bytes and their framing. */
ssize_t		 send_two(int, void *, bool *, struct buf *, struct buf *,
		    size_t, bool *, uint64_t *);
ssize_t		 read_into(int, void *, struct buf *, size_t);
int		 chunked_relay(struct http_chunked *, struct buf *,
		    struct buf *, bool, bool, bool *, bool *);

/* The route's upgrade protocols a head names, as bits (request.c). */
uint32_t	 upgrade_mask(const struct cfg_route *, const char *,
		    const struct http_head *, bool *other);
/* frontd's own answer that keeps the connection (request.c). */
enum step	 conn_local(struct conn *, int status, const char *type,
		    const char *body, size_t len, const char *loc,
		    size_t loclen, const char *why);

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

/* The request and its response head. */
bool		 upgrade_accepted(const struct conn *);
size_t		 client_head(struct conn *);
enum step	 cache_serve(struct conn *);

#endif
