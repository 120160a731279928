/*
 * Connections to upstream servers and the per-worker keep-alive pool. A
 * pooled connection is watched while idle: if the server closes it (or
 * sends anything unasked), it is dropped at once, and it is checked once
 * more just before reuse. A connection to a server with proxy_protocol
 * told the server whom it is for, and is reused only for that client.
 */
#ifndef WORKER_UPSTREAM_H
#define WORKER_UPSTREAM_H

#include <stdbool.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/ev.h"

struct worker;
struct upconn;

typedef void upconn_fn(struct upconn *, uint32_t events);

struct upconn {
	int			 fd;
	struct ev_io		 io;
	struct ev_timer		 idle_timer;	/* while pooled */
	struct ev_timer		 kick;		/* TLS: decrypted data waits */
	void			*ssl;		/* SSL if upstream has tls */
	bool			 tls_done;	/* handshake finished */
	struct worker		*w;
	const struct cfg_upstream *up;
	const struct cfg_server	*server;
	int			 slot;		/* health slot */
	bool			 reused;	/* came from the pool */
	bool			 connected;
	/* proxy_protocol: the client and where it connected to */
	struct addr		 pp_src, pp_dst;
	upconn_fn		*cb;		/* owner's event handler */
	void			*owner;
	struct upconn		*next, *prev;	/* pool list */
};

void		 upstream_init(size_t nslots);
struct upconn	*upstream_get(struct worker *, const struct cfg_upstream *,
		    size_t server, int slot, bool fresh,
		    const struct addr *client, const struct addr *local);
int		 upstream_connect(struct upconn *, int *err);
int		 upstream_finish_connect(struct upconn *, int *err);
/* 0: done, 1: in progress (watched), -1: failed, *why says how. */
int		 upstream_tls_handshake(struct upconn *, const char **why);
void		 upstream_release(struct upconn *, bool reusable);
void		 upstream_watch(struct upconn *, uint32_t events);
void		 upstream_shutdown(struct upconn *);
void		 upstream_drop_pool(struct worker *);

#endif
