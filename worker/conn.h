/*
 * A client connection and the upstream connection serving it, as one
 * explicit state machine. This is the minimal proxy of the daemon core:
 * one request per connection, forwarded with "Connection: close"; the
 * HTTP engine (strict parser, keep-alive, pools) replaces the inside.
 */
#ifndef WORKER_CONN_H
#define WORKER_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/ev.h"
#include "common/proc.h"

#define CONN_BUF_SIZE	16384
#define CONN_HEAD_MAX	(CONN_BUF_SIZE - 256)	/* room for our headers */

enum conn_state {
	CONN_READ_HEAD,		/* reading the request head; header timer */
	CONN_CONNECT,		/* connecting upstream; connect timer */
	CONN_RELAY,		/* streaming both ways; idle timer */
	CONN_RESPOND,		/* sending our own error response; send timer */
	CONN_DONE		/* closed, waiting to be freed */
};

enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };

struct cbuf {
	size_t	start, end;
	char	data[CONN_BUF_SIZE];
};

struct worker;

struct conn {
	uint64_t		 id;
	struct worker		*w;
	enum conn_state		 state;
	int			 fd;
	struct ev_io		 io;
	int			 up_fd;
	struct ev_io		 up_io;
	struct ev_timer		 timer;
	char			 peer[ADDR_STRLEN];
	char			 upstream[ADDR_STRLEN];
	int			 slot;		/* health slot or -1 */

	size_t			 head_len;	/* bytes of head incl. CRLFCRLF */
	size_t			 reqline_len;
	/* Copied from the head for the access log: the buffer is reused. */
	char			 log_req[512];
	char			 log_ua[256];
	char			 log_ref[256];
	size_t			 log_req_len, log_ua_len, log_ref_len;
	int			 status;	/* answered status, 0 = none */
	unsigned		 nrequests;	/* served on this connection */
	uint64_t		 bytes_out;
	int64_t			 started_ms;
	bool			 client_eof;
	bool			 up_eof;
	bool			 up_shut;
	const char		*why;		/* close reason, for debug log */

	struct conn		*prev, *next;	/* worker's list */
	struct cbuf		 in;		/* client -> upstream; head */
	struct cbuf		 out;		/* upstream -> client */
};

/* What a worker holds; conn.c needs only this much of it. */
struct worker {
	struct proc_env		*env;
	struct ev_loop		*loop;
	struct conn		*conns;
	size_t			 nconns;
	uint64_t		 next_id;
	bool			 draining;
	size_t			 rr;		/* round robin position */
	size_t			*slot_base;	/* first health slot per upstream */
};

void	conn_accept(struct worker *, int fd, const struct addr *);
void	conn_drain(struct conn *);
void	conn_close_all(struct worker *);

#endif
