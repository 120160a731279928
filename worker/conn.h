/*
 * A client connection (conn.c): the socket, its TLS, its buffers and its
 * one timer, as a small state machine. What travels on it is the
 * protocol's business (proto.h: HTTP/1.1 in h1.c), and each request has
 * states of its own (req.h). An idle keep-alive connection holds only
 * this struct: buffers and the request are taken from free lists while a
 * request is in progress.
 */
#ifndef WORKER_CONN_H
#define WORKER_CONN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/limit_zone.h"
#include "common/proc.h"

enum conn_state {
	CONN_PROXY,		/* PROXY protocol header; header timer */
	CONN_HANDSHAKE,		/* TLS handshake; header timer */
	CONN_ACTIVE,		/* the protocol reads, serves and writes */
	CONN_IDLE,		/* keep-alive, between requests; idle timer */
	CONN_LINGER,		/* our side shut, reading what still comes */
	CONN_DONE		/* closed, freed after the event batch */
};

/*
 * What the connection's one timer waits for. Its kind, not the state,
 * says whose fault an expiry is: the client's waits are logged and
 * counted as the client's and never charged to a server.
 */
enum conn_wait {
	WAIT_HEADER,		/* client: TLS handshake, request head */
	WAIT_BODY,		/* client: more of the request body */
	WAIT_SEND,		/* client: room for our response */
	WAIT_IDLE,		/* client: the next request (keep-alive) */
	WAIT_LINGER,		/* client: what it sends after our close */
	WAIT_CONNECT,		/* upstream: connection, TLS handshake */
	WAIT_UP_SEND,		/* upstream: room for the request */
	WAIT_UP_HEAD,		/* upstream: the response head */
	WAIT_UP_READ,		/* upstream: more of the response body */
	WAIT_TUNNEL,		/* either: any byte in a tunnel */
	WAIT_CACHE		/* another's fetch: a poll */
};

enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };

/* Room for a rewritten target: prefixes and replacements may add to it. */
#define TARGET_ROOM(max_line)	(3 * ((size_t)(max_line) + 4096))

extern const char *const conn_state_names[];

struct buf;
struct lb_state;
struct proto;
struct upconn;
struct worker;
struct req;

struct conn {
	uint64_t		 id;
	struct worker		*w;
	enum conn_state		 state;
	enum conn_wait		 wait;		/* what the timer is for */
	int64_t			 wait_len_ms;	/* and how long it is */
	int			 fd;
	struct ev_io		 io;
	struct ev_timer		 timer;
	struct ev_timer		 kick;		/* TLS: decrypted data waits */
	void			*ssl;		/* SSL, NULL if not TLS */
	struct addr		 peer;		/* the client, as a PROXY
						   header names it */
	struct addr		*local;		/* where the client came in:
						   conn_local(), which finds
						   it when first asked */
	const struct proc_listen *listen;
	struct buf		*in;		/* from the client */
	struct buf		*out;		/* to the client (heads,
						   framing) */
	const struct proto	*proto;		/* what travels on it */
	void			*pdata;		/* the protocol's: an HTTP/2
						   session */
	struct conn		*parent;	/* a stream's: its connection
						   (a stream has no socket:
						   fd -1) */
	uint32_t		 stream_id;	/* an HTTP/2 stream's, else 0 */
	struct req		*req;		/* the protocol's: the request
						   in progress, NULL between */
	unsigned		 nrequests;
	int64_t			 idle_since_ms;	/* when it last went idle */
	bool			 client_eof;	/* client sent FIN */
	bool			 client_readable; /* EPOLLIN seen, not read */
	bool			 close_after;	/* no keep-alive after this */
	bool			 nodelay;	/* TCP_NODELAY is set */
	bool			 tls_stuck;	/* OpenSSL holds a TLS record */
	bool			 tls_sniffed;	/* its first byte was TLS */
	bool			 plain_on_tls;	/* plain HTTP came instead */
	const char		*why;		/* close reason, logged at
						   debug */
	struct limit_hold	 climits[CFG_CONN_LIMITS_MAX];	/* limit_conn
						   per=connection */
	uint8_t			 nclimits;
	struct conn		*prev, *next;	/* the worker's list */
	struct conn		*idle_prev, *idle_next;	/* CONN_IDLE ones */
};

/* Rate limit of upstream failure lines, per server (health slot). */
struct warn_limit {
	int64_t		 window_ms;	/* start of the current second */
	unsigned	 count;		/* lines in it */
	unsigned	 skipped;	/* not logged since the last line */
};

/* What a worker holds; shared by the worker/ files. */
struct worker {
	struct proc_env		*env;
	struct ev_loop		*loop;
	struct conn		*conns;
	size_t			 nconns;
	/* Keep-alive connections between requests, oldest first. */
	struct conn		*idle_head, *idle_tail;
	size_t			 nidle;
	int64_t			 reclaim_log_ms;	/* last line about it */
	size_t			 reclaimed;	/* since that line */
	uint64_t		 next_id;
	bool			 draining;
	size_t			*slot_base;	/* each upstream's first slot */
	char			**slot_names;	/* "addr:port", per slot */
	struct warn_limit	*warn;		/* per health slot */
	struct warn_limit	*nolive;	/* per upstream */
	struct lb_state		*lb;		/* balancing, per upstream */
	/* The request being started: its normalized (then rewritten) path
	 * and the target sent upstream when it differs from the client's. */
	char			*path;
	size_t			 path_len;
	char			*target;
	size_t			 target_len;	/* 0: the client's target */
	struct http_limits	 req_limits;
	struct http_limits	 resp_limits;
};

static inline const struct cfg_global *
G(const struct conn *c)
{
	return &c->w->env->cfg->global;
}

static inline struct counters_zone *
CNT(const struct conn *c)
{
	return c->w->env->counters;
}

void	conn_accept(struct worker *, int fd, const struct addr *,
	    const struct proc_listen *);
void	conn_drain(struct conn *);
size_t	conn_reclaim_idle(struct worker *, size_t);
void	conn_close_all(struct worker *);

/* For the protocol: the machine, its waits, the client socket. */
void		 conn_run(struct conn *);
void		 conn_enter(struct conn *, enum conn_state);
void		 conn_wait(struct conn *, enum conn_wait);
void		 conn_wait_ms(struct conn *, enum conn_wait, int64_t);
enum step	 conn_keep_alive(struct conn *);
enum step	 conn_linger(struct conn *);
const char	*peer_name(const struct conn *);
const struct addr *conn_local(struct conn *);
void		 set_client_events(struct conn *, uint32_t);
void		 conn_nodelay(struct conn *);
void		 client_absorb(struct conn *, size_t);
void		 client_wait(struct conn *, bool);
ssize_t		 send_two(int, void *, bool *, struct buf *, struct buf *,
		    size_t, bool *, uint64_t *);
ssize_t		 read_into(int, void *, struct buf *, size_t);

/*
 * The client's I/O, for the protocol and the request: the socket (and
 * its TLS), or for a stream of a multiplexed connection its protocol.
 */
ssize_t		 client_send(struct conn *, struct buf *, size_t, bool *,
		    uint64_t *);
ssize_t		 client_read(struct conn *, size_t);
void		 conn_result(struct conn *, enum step);

/* The TLS of the client's connection (a stream's: its connection's). */
static inline void *
conn_tls(const struct conn *c)
{
	return c->parent != NULL ? c->parent->ssl : c->ssl;
}

/* What a failed read or write on the client says, if anything. */
static inline const char *
io_error(const struct conn *c)
{
	return c->ssl == NULL ? strerror(errno) : NULL;
}

/* conn_proxy.c: the PROXY protocol on a listener */
bool		 conn_proxy_allowed(struct conn *);
enum step	 conn_proxy_read(struct conn *);
enum step	 conn_proxy_timeout(struct conn *);

/* worker.c */
void	worker_conn_closed(struct worker *);
void	worker_conn_idle(struct worker *);

#endif
