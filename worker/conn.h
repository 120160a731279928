/*
 * A client connection and the request it is serving, as one explicit
 * state machine (conn.c), with the upstream side in proxy.c. An idle
 * keep-alive connection holds only this struct: buffers and the request
 * state are taken from free lists while a request is in progress.
 */
#ifndef WORKER_CONN_H
#define WORKER_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/proc.h"

enum conn_state {
	CONN_HANDSHAKE,		/* TLS handshake; header timer */
	CONN_IDLE,		/* keep-alive, between requests; idle timer */
	CONN_READ_HEAD,		/* reading the request head; header timer */
	CONN_CONNECT,		/* getting an upstream connection; connect timer */
	CONN_SEND_REQUEST,	/* head and body to the upstream; body/send timers */
	CONN_READ_RESPONSE,	/* waiting for the response head; read timer */
	CONN_SEND_RESPONSE,	/* response body to the client; read/send timers */
	CONN_TUNNEL,		/* after 101: bytes both ways; tunnel timer */
	CONN_RESPOND,		/* our own response; send timer */
	CONN_CACHE_WAIT,	/* another fetches what we want; poll timer */
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
	void			*ssl;		/* SSL, NULL on plain listeners */
	struct addr		 peer;
	const struct proc_listen *listen;
	struct buf		*in;		/* from the client */
	struct buf		*out;		/* to the client (heads, framing) */
	struct req		*req;		/* NULL between requests */
	unsigned		 nrequests;
	int64_t			 idle_since_ms;	/* when it last went idle */
	bool			 client_eof;	/* client sent FIN */
	bool			 client_readable;	/* EPOLLIN seen, not read */
	bool			 close_after;	/* no keep-alive after this one */
	bool			 lingering;	/* our side shut, draining input */
	bool			 nodelay;	/* TCP_NODELAY is set */
	bool			 tls_stuck;	/* a TLS record waits in OpenSSL */
	bool			 tls_sniffed;	/* its first byte was TLS */
	const char		*why;		/* close reason, logged at debug */
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
	size_t			*slot_base;	/* first health slot per upstream */
	char			**slot_names;	/* "addr:port" per health slot */
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

void	conn_accept(struct worker *, int fd, const struct addr *,
	    const struct proc_listen *);
void	conn_drain(struct conn *);
size_t	conn_reclaim_idle(struct worker *, size_t);
void	conn_close_all(struct worker *);
void	conn_trim_caches(void);

/* worker.c */
void	worker_conn_closed(struct worker *);
void	worker_conn_idle(struct worker *);

#endif
