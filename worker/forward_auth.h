/*
 * forward_auth (forward_auth.c): before a route's request goes on, a
 * subrequest asks an auth service, through the upstream machinery, whether
 * it may; a request phase that waits in REQ_AUTH while it runs.
 */
#ifndef WORKER_FORWARD_AUTH_H
#define WORKER_FORWARD_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/http_parse.h"
#include "worker/conn.h"
#include "worker/phase.h"

struct buf;

/*
 * A request's subrequest. Its buffer holds the subrequest at the front,
 * then the response read after it; after a 2xx, only the header lines
 * to add to the upstream request (lines bytes at the front).
 */
struct fauth {
	struct buf		*buf;
	uint32_t		 req_len;	/* the subrequest */
	uint32_t		 sent;		/* of it */
	uint32_t		 body0;		/* where the body starts */
	uint32_t		 raw;		/* chunked: not decoded yet */
	uint32_t		 dec;		/* end of the body, decoded */
	uint32_t		 lines;		/* for the upstream request */
	uint64_t		 left;		/* Content-Length */
	struct http_chunked	 chunk;
	uint8_t			 step;		/* enum fa_step */
	uint8_t			 mode;		/* enum body_mode */
	bool			 head_done;	/* response head parsed */
	bool			 passed;	/* 2xx: the phases go on */
};

enum phase_result	phase_forward_auth(struct conn *, enum step *);
enum step		fauth_step(struct conn *);
enum step		fauth_timeout(struct conn *);

#endif
