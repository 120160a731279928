/*
 * The upstream side of a request: picks a server and gets a pooled or new
 * connection to it, connects, and retries on another server within the
 * upstream's budget; every failure is charged to the server and logged.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/shm.h"
#include "worker/balance.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/conn_int.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/upstream.h"

#define UP_WARN_BURST	5	/* upstream failure lines a second, per server */

static void	nolive_warn(struct conn *, const char *);

/*
 * One try: picks a server not tried yet and gets a connection to it.
 * STEP_AGAIN in CONN_CONNECT, or an error answer: retry_status, the
 * answer of the failed try before, when there is none left to try.
 */
enum step
proxy_start_try(struct conn *c, int retry_status)
{
	struct worker			*w = c->w;
	struct req			*r = c->req;
	const struct cfg_upstream	*up = U(c);
	size_t				 idx;

	switch (balance_pick(c, up, &idx)) {
	case PICK_OK:
		break;
	case PICK_FULL:
		if (retry_status != 0)
			return conn_fail(c, retry_status, "upstream failed");
		nolive_warn(c, "every available server is at max_conns");
		return conn_fail(c, 503, "all servers at max_conns");
	case PICK_NONE:
		/* After a failed try: its answer, nothing else to try. */
		if (retry_status != 0)
			return conn_fail(c, retry_status, "upstream failed");
		nolive_warn(c, "no live server for this request");
		return conn_fail(c, 502, "no live upstream server");
	}
	r->slot = (int)(up->slot0 + idx);
	r->upstream_name = w->slot_names[r->slot];
	r->tried[r->ntried++] = (int16_t)idx;
	if (r->ntried == 1)
		r->first_try_ms = ev_now(w->loop);
	r->uc = upstream_get(w, up, idx, r->slot, false);
	if (r->uc == NULL)
		return conn_fail(c, 503, "out of memory");
	r->uc->owner = c;
	r->uc->cb = conn_up_event;
	atomic_fetch_add(&w->env->health->slots[r->slot].requests, 1);
	conn_enter(c, CONN_CONNECT);
	return STEP_AGAIN;
}

enum step
proxy_connect(struct conn *c)
{
	struct req	*r = c->req;
	int		 err = 0, rc;

	if (r->uc->fd == -1) {
		r->up_start_ms = ev_now(c->w->loop);
		if ((rc = upstream_connect(r->uc, &err)) == -2) {
			static int64_t last;	/* one line a second */

			if (ev_now(c->w->loop) - last >= 1000) {
				last = ev_now(c->w->loop);
				log_warn("cannot open a connection to an "
				    "upstream server: %s", strerror(err));
			}
			return conn_fail(c, 503, "no socket for the upstream");
		}
		if (rc == -1)
			return proxy_failed(c, 502, "connect failed",
			    strerror(err), true);
		set_client_events(c, 0);
		conn_wait(c, WAIT_CONNECT);
		return STEP_WAIT;
	}
	if (!r->uc->connected) {
		rc = upstream_finish_connect(r->uc, &err);
		if (rc == 1)
			return STEP_WAIT;
		if (rc == -1)
			return proxy_failed(c, 502, "connect failed",
			    strerror(err), true);
	} else if (r->up_start_ms == 0)
		r->up_start_ms = ev_now(c->w->loop);
	if (U(c)->tls && !r->uc->tls_done) {
		const char *why = NULL;

		/* Under the connect timer still. */
		rc = upstream_tls_handshake(r->uc, &why);
		if (rc == 1)
			return STEP_WAIT;
		if (rc == -1)
			return proxy_failed(c, 502, "TLS handshake failed",
			    why, true);
	}
	conn_enter(c, CONN_SEND_REQUEST);
	conn_wait(c, WAIT_UP_SEND);
	return STEP_AGAIN;
}

/*
 * Retries a request that failed on a reused upstream connection before any
 * byte of response: the server closed it between our check and our write.
 * Only when nothing of a body went out, so the request can be sent again.
 */
bool
proxy_retry(struct conn *c)
{
	struct req	*r = c->req;

	if (!r->uc->reused || r->retried || r->up_status != 0 ||
	    !r->idempotent || r->req_mode != BODY_NONE)
		return false;
	log_debug("conn=%llu retrying on a new connection to %s",
	    (unsigned long long)c->id, r->upstream_name);
	r->retried = true;
	r->up_readable = false;
	upstream_release(r->uc, false);
	r->uc = upstream_get(c->w, U(c), (size_t)r->tried[r->ntried - 1],
	    r->slot, true);
	if (r->uc == NULL)
		return false;
	r->uc->owner = c;
	r->uc->cb = conn_up_event;
	r->up_out->start = 0;
	r->up_out->end = r->up_head_len;
	if (r->up_in != NULL)
		r->up_in->start = r->up_in->end = 0;
	http_parser_init(&r->rparser);
	conn_enter(c, CONN_CONNECT);
	return true;
}

/*
 * A try failed before any byte of the response: the server is charged
 * with it (max_fails), and the request goes to another server when that
 * is safe (nothing of it can have been acted on, or it is idempotent and
 * bodiless), within retries and retry_timeout. connecting: the failure
 * came before the request was sent. status 504 says a timeout, any
 * other a failure.
 */
enum step
proxy_failed(struct conn *c, int status, const char *what,
    const char *detail, bool connecting)
{
	struct req			*r = c->req;
	const struct cfg_upstream	*up = U(c);
	char				 why[160];

	proxy_warn(c, what, detail);
	snprintf(why, sizeof(why), "%s%s%s", what, detail ? ": " : "",
	    detail ? detail : "");
	/*
	 * A pooled connection the server closed is no sign of trouble; a
	 * server that does not answer in time is, on any connection.
	 */
	if (r->uc != NULL && (!r->uc->reused || status == 504))
		balance_failed(c, r->slot, why);
	if (r->uc == NULL || r->ntried > up->retries || r->resp_started ||
	    r->up_status != 0 ||
	    (up->retry_timeout_ms > 0 && ev_now(c->w->loop) -
	    r->first_try_ms >= up->retry_timeout_ms) ||
	    (!connecting && !(r->idempotent && r->req_mode == BODY_NONE)) ||
	    (r->up_in != NULL && buf_len(r->up_in) > 0))
		return conn_fail(c, status, status == 504 ? "upstream timeout" :
		    "upstream failed");
	log_debug("conn=%llu retrying on another server after %s",
	    (unsigned long long)c->id, why);
	upstream_release(r->uc, false);
	r->uc = NULL;
	r->up_readable = false;
	r->up_start_ms = 0;
	r->up_out->start = 0;
	r->up_out->end = r->up_head_len;
	if (r->up_in != NULL)
		r->up_in->start = r->up_in->end = 0;
	http_parser_init(&r->rparser);
	return proxy_start_try(c, status);
}

/*
 * Logs an upstream failure, naming the server. At most one line a second
 * per server and worker: a dead backend under load must not fill the
 * disk; the next line says how many were left out.
 */
void
proxy_warn(struct conn *c, const char *what, const char *detail)
{
	struct req		*r = c->req;
	struct warn_limit	*lim = &c->w->warn[r->slot];
	int64_t			 now = ev_now(c->w->loop);

	counter_add(CNT(c), CNT_UPSTREAM_ERRORS, 1);
	/* A burst of UP_WARN_BURST lines a second, then a summary. */
	if (now - lim->window_ms >= 1000) {
		lim->window_ms = now;
		lim->count = 0;
	}
	if (++lim->count > UP_WARN_BURST) {
		lim->skipped++;
		return;
	}
	log_warn("conn=%llu %s upstream %s server %s: %s%s%s", (unsigned long
	    long)c->id, peer_name(c), U(c)->sec.name, r->upstream_name, what,
	    detail ? ": " : "", detail ? detail : "");
	if (lim->skipped > 0) {
		log_warn("upstream %s server %s: %u more failures not logged",
		    U(c)->sec.name, r->upstream_name, lim->skipped);
		lim->skipped = 0;
	}
}

/*
 * Logs "no live server" for an upstream at most once a second per worker,
 * with the count of what was left out.
 */
static void
nolive_warn(struct conn *c, const char *what)
{
	struct warn_limit	*lim = &c->w->nolive[c->req->upstream];
	int64_t			 now = ev_now(c->w->loop);

	counter_add(CNT(c), CNT_UPSTREAM_ERRORS, 1);
	if (now - lim->window_ms < 1000) {
		lim->skipped++;
		return;
	}
	lim->window_ms = now;
	log_warn("upstream %s: %s%s", U(c)->sec.name, what, lim->skipped ?
	    " (and more since the last line)" : "");
	lim->skipped = 0;
}
