/*
 * One request while it is in progress (req.c): its own states, each with
 * the timer it waits under; both parsed heads, the upstream connection
 * and its buffers, and how each body is framed. Taken from a free list
 * when its head begins to arrive, returned when the request ends. The
 * request_* calls are how the request's files answer the client, through
 * the connection's protocol (proto.h).
 */
#ifndef WORKER_REQ_H
#define WORKER_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/limit_zone.h"
#include "common/shm.h"
#include "worker/conn.h"
#include "worker/forward_auth.h"

struct buf;
struct conn;
struct encoder;
struct rcache;
struct upconn;

/*
 * Entering a state arms its timer (req_enter(), from a table in req.c):
 * no transition can leave a wait without one.
 */
enum req_state {
	REQ_HEAD,		/* its head is arriving; header timer */
	REQ_CACHE_WAIT,		/* another fetches what it wants; poll timer */
	REQ_AUTH,		/* forward_auth's subrequest; upstream timers */
	REQ_CONNECT,		/* an upstream connection; connect timer */
	REQ_SEND,		/* head and body upstream; send, body timers */
	REQ_UP_HEAD,		/* the response head; upstream head timer */
	REQ_BODY,		/* the response body; read (or send) timer */
	REQ_TUNNEL,		/* after 101: bytes both ways; tunnel timer */
	REQ_RESPOND		/* frontd's own answer; send timer */
};

enum body_mode {
	BODY_NONE,		/* no body */
	BODY_LENGTH,		/* Content-Length bytes, passed through */
	BODY_CHUNKED,		/* chunked: decoded, then re-framed */
	BODY_CLOSE,		/* response until the upstream closes */
	BODY_STREAM		/* request: until its stream ends (HTTP/2) */
};

struct req {
	enum req_state		 state;
	struct addr		 client;	/* phase_client: the peer, or
						   who a trusted proxy names */
	uint64_t		 max_body;	/* the route's body limit, 0
						   none (phase_filter) */
	const char		*remote_user;	/* whom auth_basic let in, as
						   its file has it; NULL none */
	struct http_parser	 parser;
	struct http_head	 head;		/* client's, slices c->in */
	struct http_parser	 rparser;
	struct http_head	 resp;		/* upstream's, slices up_in */
	int			 route;		/* index, -1 none */
	int			 upstream;	/* index, -1 none */
	int			 slot;		/* health slot of the server */
	struct upconn		*uc;
	struct buf		*up_out;	/* to the upstream */
	struct buf		*up_in;		/* from the upstream */
	uint32_t		 up_head_len;	/* request head in up_out */

	enum body_mode		 req_mode;
	uint64_t		 req_left;	/* LENGTH: still to forward */
	struct http_chunked	 req_chunk;
	bool			 req_done;	/* all of the body forwarded */

	enum body_mode		 resp_mode;
	uint64_t		 resp_left;
	struct http_chunked	 resp_chunk;
	bool			 rechunk;	/* chunked to the client */
	bool			 resp_done;	/* all of the body queued */
	bool			 resp_started;	/* bytes went to the client */
	bool			 trailers;	/* trailer section begun */
	struct buf		*trail;		/* trailer lines, for a
						   protocol that sends them
						   apart (HTTP/2) */
	bool			 tunnel_up_eof;	/* upstream closed the tunnel */
	bool			 up_readable;	/* upstream spoke, or closed */
	int			 pipe[2];	/* splice: upstream -> client */
	size_t			 pipe_len;	/* bytes in the pipe */

	bool			 http10;
	bool			 head_method;
	bool			 idempotent;
	bool			 upgrade;	/* Upgrade is forwarded */
	bool			 upgrade_h2c;	/* h2c among them: with
						   HTTP2-Settings */
	uint32_t		 upgrade_mask;	/* bits of route->upgrade
						   the client offered */
	bool			 retried;
	bool			 reusable;	/* upstream may be pooled */

	int			 status;	/* to the client */
	int			 up_status;	/* from the upstream, 0 none */
	uint64_t		 bytes_out;	/* to the client, with heads */
	int64_t			 start_ms;
	int64_t			 up_start_ms;
	int64_t			 up_end_ms;
	int64_t			 head_deadline_ms;	/* for the response
							   head */
	const char		*upstream_name;	/* its slot's name, or NULL */

	bool			 parsed;	/* a whole head was read */
	bool			 local;		/* frontd answers it */
	uint8_t			 coding;	/* enum coding for the client */
	bool			 coded;		/* the body sent is in coding */
	bool			 compressing;	/* coded here, on the way */
	bool			 compressible;	/* frontd would compress it */
	bool			 from_cache;	/* answered from the cache */
	struct rcache		*rc;		/* the route caches */
	bool			 vary;		/* add Vary: Accept-Encoding */
	bool			 weak_etag;	/* a 304 for a compressed body:
						   its ETag made weak */
	struct encoder		*encoder;	/* compressing this response */
	struct buf		*plain;		/* decoded chunked input */
	bool			 plain_done;	/* all input in the encoder */
	bool			 enc_flushed;	/* nothing held since flush */
	bool			 enc_more;	/* output in the encoder */
	uint8_t			 enc_op;	/* the call it came from */
	const char		*local_body;	/* still to send after c->out */
	size_t			 local_left;

	/* Interim (1xx) responses: heads in c->out before the final one. */
	bool			 continue_sent;	/* our own 100 Continue */
	uint8_t			 ninterim;	/* upstream's, forwarded */
	uint32_t		 interim_len;	/* bytes of 1xx heads queued */

	/* Tries: servers of the upstream used so far, for retries. */
	int16_t			 tried[CFG_RETRIES_MAX + 2];
	int			 ntried;
	int64_t			 first_try_ms;
	uint32_t		 hash;		/* hash balancers: the key's */
	bool			 hash_done;
	uint16_t		 hostlen;	/* host[], below: the name */
	uint16_t		 hostport_len;	/* the name and any ":port" */
	uint16_t		 resp_set_len;	/* resp_set[], below */
	uint16_t		 inm_len;	/* inm[], below */
	uint16_t		 answer_len;	/* answer[], below */

	/* limit.c: limits are counted once; limit_conn holds until
	 * req_end() gives them back. */
	bool			 limited;
	uint8_t			 nholds;
	struct limit_hold	 holds[2 * CFG_LIMITS_MAX];

	struct fauth		 fa;		/* forward_auth's subrequest */

	/*
	 * Copied from the head for the access log, only when it is on.
	 * Last in the struct: req_new() clears the lengths, not the text.
	 */
	uint8_t			 log_method_len;
	uint16_t		 log_target_len, log_ua_len, log_ref_len;
	uint8_t			 log_minor;
	char			 log_method[32];
	char			 log_target[1024];
	char			 log_ua[256];
	char			 log_ref[256];

	/* Also not cleared: their lengths are above. */
	char			 host[256 + 8];	/* normalized name, then
						   any ":port" (request_host) */
	char			 answer[2048];	/* lines frontd's own answer
						   adds: Retry-After,
						   WWW-Authenticate
						   (req_answer_line) */
	char			 resp_set[1024];	/* set_response_header
						   lines, expanded */
	char			 inm[256];	/* the client's If-None-Match,
						   when the route compresses */
};

/*
 * Bytes of interim heads queued in c->out and not sent yet. c->out is
 * sent in order and bytes_out counts what went, so the final head (if
 * any) starts after these.
 */
static inline size_t
req_interim_pending(const struct req *r)
{
	return r->interim_len > r->bytes_out ? (size_t)(r->interim_len -
	    r->bytes_out) : 0;
}

extern const char *const req_state_names[];

/* req.c: the request's life, states and waits. */
struct req	*req_new(int64_t);
void		 req_enter(struct conn *, enum req_state);
void		 req_wait(struct conn *, enum conn_wait);
enum step	 request_step(struct conn *);
enum step	 request_timeout(struct conn *);
void		 req_end(struct conn *);
void		 req_complete(struct conn *);
void		 req_trim(void);
enum step	 client_failed(struct conn *, enum counter, const char *,
		    const char *);

/* Answers to the client, through its protocol; the protocols' shared
 * parts. */
enum step	 req_error_answer(struct conn *, int, const char *, bool);
enum step	 req_local_answer(struct conn *, int, const char *,
		    const char *, size_t, const char *, size_t, const char *);
size_t		 req_head_out(struct conn *);
bool		 req_answer_line(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
size_t		 request_head(struct conn *);
enum step	 request_fail(struct conn *, int, const char *);
enum step	 request_refuse(struct conn *, int, const char *);
enum step	 request_local(struct conn *, int status, const char *type,
		    const char *body, size_t len, const char *loc,
		    size_t loclen, const char *why);
enum step	 request_done(struct conn *);

/* http_out.c: heads frontd writes. Each returns bytes written, 0 if the
 * destination is too small. */
size_t	out_request_head(const struct conn *, const struct req *,
	    const struct cfg_route *, char *, size_t);
size_t	out_response_head(const struct conn *, const struct req *, char *,
	    size_t);
size_t	out_interim_head(const struct conn *, const struct req *, char *,
	    size_t);
size_t	out_error_page(const struct conn *, const struct req *, int status,
	    const char *page, size_t pagelen, bool close, char *, size_t);
size_t	out_local_head(const struct conn *, const struct req *, int status,
	    const char *type, size_t len, const char *location,
	    size_t loclen, bool close, char *, size_t);
size_t	out_default_page(const struct conn *, int status, char *, size_t);
const char *status_reason(int);

#endif
