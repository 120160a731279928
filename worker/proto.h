/*
 * How requests travel on a client connection: the protocol's side of the
 * seam between conn.c (the socket) and the requests on it. conn.c calls
 * the connection-wide entries; the request's files reach the client only
 * through the request_* calls of req.h, which come here. HTTP/1.1 is
 * h1.c; HTTP/2 is h2.c: the connection's table, and its streams', whose
 * requests go through the same request files as HTTP/1.1 ones.
 */
#ifndef WORKER_PROTO_H
#define WORKER_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "worker/conn.h"

struct proto {
	const char	*name;

	/* The connection, CONN_ACTIVE: one step on input, output or due. */
	enum step	(*run)(struct conn *);
	/* Its timer ran out, on a wait of the protocol or a request. */
	enum step	(*timeout)(struct conn *);
	/* The client is gone (an error or hang-up epoll reported). */
	void		(*lost)(struct conn *, const char *);
	/* Graceful stop: finish what is in progress, promise no more. */
	void		(*drain)(struct conn *);
	/* The connection closes: end and log what is in progress. */
	void		(*end)(struct conn *);

	/* For the request: its response head queued for the client (the
	 * length, 0 when it does not fit, (size_t)-1 without memory). */
	size_t		(*head)(struct conn *);
	/* frontd's own answers: an error that ends the connection, or a
	 * page, redirect or return that keeps it. */
	enum step	(*fail)(struct conn *, int, const char *);
	enum step	(*local)(struct conn *, int, const char *, const char *,
			    size_t, const char *, size_t, const char *);
	/* The response went out whole: the next request, or the close. */
	enum step	(*done)(struct conn *);

	/*
	 * A stream of a multiplexed connection has no socket (fd -1): the
	 * client's I/O goes through these (conn.c's client_send(),
	 * client_read(), set_client_events()).
	 */
	ssize_t		(*send)(struct conn *, struct buf *, size_t, bool *,
			    uint64_t *);
	ssize_t		(*recv)(struct conn *, size_t);
	void		(*want)(struct conn *, uint32_t);
};

extern const struct proto	proto_h1;
extern const struct proto	proto_h2;	/* an HTTP/2 connection */
extern const struct proto	proto_h2s;	/* one of its streams */

/*
 * h2.c: whether c->in begins with HTTP/2's connection preface on a
 * listener that takes it: 1 yes, 0 perhaps (more bytes), -1 no. Once
 * the head is found unreadable: 2 when its first line cannot be HTTP/1.x
 * either.
 */
int	h2_preface(const struct conn *, bool);

/*
 * h2_mem.c, from the worker's trim timer: the heap pages that sessions
 * put to sleep since the last call left free go back to the kernel.
 */
void	h2_heap_trim(void);

#endif
