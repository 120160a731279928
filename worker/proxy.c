/*
 * The upstream side of a request: pick a server, connect, send, read the
 * response head and frame it; a failed try is charged to its server and
 * retried within the upstream's budget. conn_run() calls each step.
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
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/conn.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/upstream.h"

#define UP_WARN_BURST	5	/* upstream failure lines a second, a server */
#define INTERIM_MAX	16		/* 1xx responses forwarded, a request */
#define INTERIM_BYTES	(8 * 1024)	/* and their heads, in all: the final
					   head keeps its room in c->out */

static void	proxy_up_event(struct upconn *, uint32_t);
static bool	proxy_retry(struct conn *);
static ssize_t	request_body_fill(struct conn *);
static ssize_t	request_body_stream(struct conn *);
static int	upstream_early(struct conn *);
static int	interim_take(struct conn *);
static void	response_framing(struct conn *);

/*
 * One try: picks a server not tried yet and gets a connection to it.
 * STEP_AGAIN in REQ_CONNECT, or an error answer: retry_status, the
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
			return proxy_give_up(c, retry_status,
			    "upstream failed");
		proxy_nolive(c, "every available server is at max_conns");
		return proxy_give_up(c, 503, "all servers at max_conns");
	case PICK_NONE:
		/* After a failed try: its answer, nothing else to try. */
		if (retry_status != 0)
			return proxy_give_up(c, retry_status,
			    "upstream failed");
		proxy_nolive(c, "no live server for this request");
		return proxy_give_up(c, 502, "no live upstream server");
	}
	r->slot = (int)(up->slot0 + idx);
	r->upstream_name = w->slot_names[r->slot];
	r->tried[r->ntried++] = (int16_t)idx;
	if (r->ntried == 1)
		r->first_try_ms = ev_now(w->loop);
	r->uc = upstream_get(w, up, idx, r->slot, false, &r->client,
	    up->servers[idx].proxy_protocol ? conn_local(c) : NULL);
	if (r->uc == NULL)
		return proxy_give_up(c, 503, "out of memory");
	r->uc->owner = c;
	r->uc->cb = proxy_up_event;
	atomic_fetch_add(&w->env->health->slots[r->slot].requests, 1);
	req_enter(c, REQ_CONNECT);
	return STEP_AGAIN;
}

/* A new connection's connect and TLS handshake, under the connect timer. */
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
			return proxy_give_up(c, 503,
			    "no socket for the upstream");
		}
		if (rc == -1)
			return proxy_failed(c, 502, "connect failed",
			    strerror(err), true);
		set_client_events(c, 0);
		return STEP_WAIT;	/* under the connect timer */
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
	req_enter(c, REQ_SEND);
	return STEP_AGAIN;
}

/*
 * The request head, then its body as the client sends it; an upstream
 * that answers early ends the upload.
 */
enum step
proxy_send(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	ssize_t		 pass, n;
	bool		 blocked, progress = false, up_blocked = false;
	uint32_t	 cev = 0;

	for (;;) {
		size_t before = c->in->start;
		size_t up_before;

		/* 100 Continue and other bytes owed to the client. */
		if (c->out != NULL && buf_len(c->out) > 0) {
			n = client_send(c, NULL, 0, &blocked, &r->bytes_out);
			if (n == -1)
				return client_failed(c, CNT_CLIENT_ABORTS,
				    "client write error", io_error(c));
		}
		pass = request_body_fill(c);
		if (pass == -1)
			return request_fail(c, 400, "bad chunked request body");
		if (pass == -2)
			return request_fail(c, 413, "request body larger than "
			    "client_max_body_size");
		up_before = buf_len(r->up_out);
		n = send_two(uc->fd, uc->ssl, NULL, r->up_out, c->in,
		    (size_t)pass, &blocked, NULL);
		if (n == -1) {
			if (proxy_retry(c))
				return STEP_AGAIN;
			return proxy_failed(c, 502, "send failed",
			    strerror(errno), false);
		}
		if (n > 0 || !blocked)
			progress = true;
		if (r->req_mode == BODY_LENGTH && n > 0) {
			r->req_left -= (uint64_t)n;
			if (r->req_left == 0)
				r->req_done = true;
		}
		if (blocked) {
			up_blocked = true;
			break;
		}
		if (r->req_done && buf_len(r->up_out) == 0) {
			upstream_watch(uc, EPOLLIN);
			client_wait(c, false);
			r->head_deadline_ms = ev_now(c->w->loop) +
			    U(c)->header_timeout_ms;
			req_enter(c, REQ_UP_HEAD);
			/*
			 * The answer cannot be there yet: wait for epoll
			 * rather than spend a read on EAGAIN.
			 */
			return STEP_WAIT;
		}
		/*
		 * Body bytes still in c->in and the decoder moved, or room
		 * was made for it upstream: go on (for chunked bodies pass
		 * is always 0; what counts is that the input was consumed,
		 * or can be now). A client whose window is full sends
		 * nothing more to wake us.
		 */
		if (buf_len(c->in) > 0 && (pass > 0 || c->in->start != before ||
		    buf_len(r->up_out) < up_before))
			continue;
		/* Need body bytes from the client. */
		n = client_read(c, in_pin(c));
		if (n == -2)
			break;
		if (n == 0 || n == -1) {
			r->status = 0;
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client closed during the request body", n == -1 ?
			    io_error(c) : NULL);
		}
		counter_add(CNT(c), CNT_BYTES_IN, (uint64_t)n);
		progress = true;
	}
	/*
	 * An early answer (or a close) from the upstream ends the upload:
	 * the answer is relayed, then both connections close. An interim
	 * one (a 100 Continue, say) is passed on and the upload goes on.
	 */
	if (r->up_readable) {
		switch (upstream_early(c)) {
		case -1:
			return proxy_give_up(c, 503, "out of memory");
		case 0:
			if (c->out != NULL && buf_len(c->out) > 0)
				return STEP_AGAIN;	/* sent at the top */
			goto wait;
		default:
			break;
		}
		c->close_after = true;
		set_client_events(c, 0);
		upstream_watch(uc, EPOLLIN);
		r->head_deadline_ms = ev_now(c->w->loop) +
		    U(c)->header_timeout_ms;
		req_enter(c, REQ_UP_HEAD);
		return STEP_AGAIN;
	}
wait:
	if (!r->req_done && buf_room(c->in) > 0)
		cev |= EPOLLIN;
	if (c->out != NULL && buf_len(c->out) > 0)
		cev |= EPOLLOUT;
	set_client_events(c, cev);
	upstream_watch(uc, (up_blocked ? EPOLLOUT : 0) | EPOLLIN);
	if (progress)
		req_wait(c, up_blocked ? WAIT_UP_SEND : WAIT_BODY);
	return STEP_WAIT;
}

/*
 * The response head: interim ones are passed on, a final one is framed,
 * offered to the cache and queued for the client with the body to follow.
 */
enum step
proxy_read_head(struct conn *c)
{
	struct req		*r = c->req;
	struct upconn		*uc = r->uc;
	enum http_result	 res;
	ssize_t			 n;
	size_t			 len;
	bool			 blocked;

	if (r->up_in == NULL && (r->up_in = buf_get()) == NULL)
		return proxy_give_up(c, 503, "out of memory");
	client_absorb(c, in_pin(c));
	/* Interim heads go as soon as the client takes them. */
	if (c->out != NULL && buf_len(c->out) > 0 && client_send(c, NULL, 0,
	    &blocked, &r->bytes_out) == -1)
		return client_failed(c, CNT_CLIENT_ABORTS, "client write error",
		    io_error(c));
	for (;;) {
		if (buf_len(r->up_in) > 0) {
			res = http_parse_response(&r->rparser,
			    r->up_in->data + r->up_in->start,
			    buf_len(r->up_in), &c->w->resp_limits, &r->resp);
			if (res == HTTP_ERROR) {
				proxy_warn(c, "invalid response",
				    http_error_names[r->resp.error]);
				return proxy_give_up(c, 502, "invalid upstream "
				    "response");
			}
			if (res == HTTP_OK)
				break;
		}
		n = read_into(uc->fd, uc->ssl, r->up_in, 0);
		if (n == -2) {
			if (buf_room(r->up_in) == 0) {
				proxy_warn(c, "invalid response", "head too "
				    "large");
				return proxy_give_up(c, 502, "upstream "
				    "response head too large");
			}
			client_wait(c, c->out != NULL && buf_len(c->out) > 0);
			return STEP_WAIT;
		}
		if (n <= 0) {
			if (buf_len(r->up_in) == 0 && proxy_retry(c))
				return STEP_AGAIN;
			if (buf_len(r->up_in) > 0) {
				proxy_warn(c, "closed in the response head",
				    n == -1 ? strerror(errno) : NULL);
				return proxy_give_up(c, 502, "upstream closed "
				    "in the response head");
			}
			return proxy_failed(c, 502, "closed without a "
			    "response", n == -1 ? strerror(errno) : NULL,
			    false);
		}
		req_wait(c, WAIT_UP_HEAD);
	}
	/* The head is at up_in->start: make its slices absolute. */
	buf_compact(r->up_in);
	if (r->resp.status < 200 && r->resp.status != 101) {
		if (interim_take(c) == -1)
			return proxy_give_up(c, 503, "out of memory");
		return STEP_AGAIN;
	}
	if (r->resp.status == 101 && !upgrade_accepted(c)) {
		proxy_warn(c, "invalid response", r->upgrade ? "101 to a "
		    "protocol not asked for" : "101 without an Upgrade "
		    "request");
		return proxy_give_up(c, 502, "unexpected 101");
	}
	balance_succeeded(c, r->slot);
	response_framing(c);
	switch (r->rc != NULL ? cache_response(c) : CACHE_FORWARD) {
	case CACHE_SERVE:
		/* A 304 refreshed the entry, or it stands in for an error. */
		upstream_release(r->uc, r->reusable && r->resp_mode ==
		    BODY_NONE && r->req_done && buf_len(r->up_in) ==
		    r->resp.head_len);
		r->uc = NULL;
		return request_from_cache(c);
	case CACHE_ANSWERED:
		return proxy_give_up(c, r->status, "the cached response went "
		    "away during its revalidation");
	default:
		break;
	}
	if (r->vary)
		body_pick_coding(c);
	if (r->rc != NULL)
		cache_head_lines(c);
	if ((len = request_head(c)) == (size_t)-1)
		return proxy_give_up(c, 503, "out of memory");
	if (len == 0) {
		proxy_warn(c, "invalid response", "head too large");
		return proxy_give_up(c, 502,
		    "upstream response head too large");
	}
	r->up_in->start += r->resp.head_len;
	if (r->rc != NULL && r->rc->stored && r->resp_mode == BODY_NONE)
		r->resp_done = true;
	if (r->resp.status == 101) {
		r->up_end_ms = ev_now(c->w->loop);
		req_enter(c, REQ_TUNNEL);
		return STEP_AGAIN;
	}
	/* The head is in: the server is no longer waited for as a try. */
	req_enter(c, REQ_BODY);
	return STEP_AGAIN;
}

/*
 * Retries a request that failed on a reused upstream connection before any
 * byte of response: the server closed it between our check and our write.
 * Only when nothing of a body went out, so the request can be sent again.
 */
static bool
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
	    r->slot, true, &r->client, conn_local(c));
	if (r->uc == NULL)
		return false;
	r->uc->owner = c;
	r->uc->cb = proxy_up_event;
	r->up_out->start = 0;
	r->up_out->end = r->up_head_len;
	if (r->up_in != NULL)
		r->up_in->start = r->up_in->end = 0;
	http_parser_init(&r->rparser);
	req_enter(c, REQ_CONNECT);
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
		return proxy_give_up(c, status, status == 504 ?
		    "upstream timeout" : "upstream failed");
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
 * The upstream failed the request for good. A stale cached response
 * stands in when the entry or the route allows it (stale-if-error,
 * cache_use_stale); else frontd's error answer.
 */
enum step
proxy_give_up(struct conn *c, int status, const char *why)
{
	struct req	*r = c->req;

	if (r->rc != NULL && !r->resp_started && !c->tls_stuck &&
	    cache_stale_ok(c, status)) {
		log_info("conn=%llu %s: %s; a stale cached response is served",
		    (unsigned long long)c->id, peer_name(c), why);
		return request_from_cache(c);
	}
	return request_fail(c, status, why);
}

/* The upstream connection spoke, closed, or has room: the request goes
 * on. Seen while uploading, it means the upstream answers early. */
static void
proxy_up_event(struct upconn *uc, uint32_t events)
{
	struct conn	*c = uc->owner;

	if (c->req != NULL && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
		c->req->up_readable = true;
	conn_run(c);
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
void
proxy_nolive(struct conn *c, const char *what)
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

/*
 * Moves request body bytes from c->in towards the upstream: returns how
 * many bytes of c->in may be passed through as they are (LENGTH), after
 * decoding chunked framing into up_out (CHUNKED). -1: bad chunked body,
 * -2: over client_max_body_size.
 */
static ssize_t
request_body_fill(struct conn *c)
{
	struct req		*r = c->req;
	struct buf		*in = c->in;

	if (r->req_done || (buf_len(in) == 0 && r->req_mode != BODY_STREAM))
		return 0;
	if (r->req_mode == BODY_LENGTH)
		return (ssize_t)(r->req_left < buf_len(in) ? r->req_left :
		    buf_len(in));
	if (r->req_mode == BODY_STREAM)
		return request_body_stream(c);
	/* Chunked: decoded, re-framed into up_out; trailers stay here. */
	if (chunked_relay(&r->req_chunk, in, r->up_out, true, NULL, NULL,
	    &r->req_done) == -1)
		return -1;
	if (r->max_body > 0 && r->req_chunk.total > r->max_body)
		return -2;
	return 0;
}

/*
 * A body of unknown length from a stream (HTTP/2 DATA frames): framed
 * into chunks in up_out, the last one when the client has ended it.
 */
static ssize_t
request_body_stream(struct conn *c)
{
	struct req	*r = c->req;
	struct buf	*in = c->in, *o = r->up_out;
	size_t		 len = buf_len(in), room;

	buf_compact(o);
	room = buf_room(o);
	if (len > 0 && room > CHUNK_FRAME_MAX) {
		if (len > room - CHUNK_FRAME_MAX)
			len = room - CHUNK_FRAME_MAX;
		chunk_put(o, in->data + in->start, len);
		in->start += len;
		r->req_chunk.total += len;
		if (r->max_body > 0 && r->req_chunk.total > r->max_body)
			return -2;
	}
	if (buf_len(in) == 0 && c->client_eof && buf_room(o) >= 5) {
		buf_append(o, "0\r\n\r\n", 5);
		r->req_done = true;
	}
	return 0;
}

/*
 * The upstream spoke while the request body is still being sent: reads
 * what it says. Interim responses are taken (interim_take) and the
 * upload goes on (0). A final head, a bad one, a close or an error end
 * the upload (1), for proxy_read_head to read again. -1: no memory.
 */
static int
upstream_early(struct conn *c)
{
	struct req		*r = c->req;
	enum http_result	 res;
	ssize_t			 n;

	r->up_readable = false;
	if (r->up_in == NULL && (r->up_in = buf_get()) == NULL)
		return -1;
	for (;;) {
		if (buf_len(r->up_in) > 0) {
			buf_compact(r->up_in);
			res = http_parse_response(&r->rparser, r->up_in->data,
			    buf_len(r->up_in), &c->w->resp_limits, &r->resp);
			if (res == HTTP_OK && r->resp.status < 200 &&
			    r->resp.status != 101) {
				if (interim_take(c) == -1)
					return -1;
				continue;
			}
			if (res != HTTP_AGAIN) {
				http_parser_init(&r->rparser);
				return 1;
			}
		}
		n = read_into(r->uc->fd, r->uc->ssl, r->up_in, 0);
		if (n == -2)
			return buf_room(r->up_in) == 0 ? 1 : 0;
		if (n <= 0)
			return 1;
	}
}

/*
 * An interim response (1xx other than 101) heads up_in, parsed into
 * r->resp with offsets from up_in->data. An HTTP/1.1 client gets it in
 * c->out, ahead of the final head (RFC 9110 15.2): any 1xx but a 100
 * that the client did not ask for or that frontd has sent itself. At
 * most INTERIM_MAX of them and INTERIM_BYTES in all; past that they are
 * dropped, as they are for HTTP/1.0 clients. Then it leaves up_in and
 * the parser is readied for the next head, whose fields start anew.
 * -1: no memory for c->out.
 */
static int
interim_take(struct conn *c)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->resp;
	size_t			 n = 0, room;

	if (!r->http10 && r->ninterim < INTERIM_MAX &&
	    r->interim_len < INTERIM_BYTES && (h->status != 100 ||
	    (r->head.expect_continue && !r->continue_sent))) {
		if (c->out == NULL && (c->out = buf_get()) == NULL)
			return -1;
		buf_compact(c->out);
		room = INTERIM_BYTES - r->interim_len;
		if (room > buf_room(c->out))
			room = buf_room(c->out);
		if ((n = out_interim_head(c, r, c->out->data + c->out->end,
		    room)) > 0) {
			c->out->end += n;
			r->interim_len += (uint32_t)n;
			r->ninterim++;
			if (h->status == 100)
				r->continue_sent = true;
		}
	}
	/* The server has answered: the request is not tried again. */
	r->up_status = h->status;
	log_debug("conn=%llu interim response %d %s",
	    (unsigned long long)c->id, h->status, n > 0 ? "passed on" :
	    "dropped");
	r->up_in->start += h->head_len;
	http_parser_init(&r->rparser);
	return 0;
}

/* Chooses how the response body is framed, both ways. */
static void
response_framing(struct conn *c)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->resp;

	r->up_status = h->status;
	r->status = h->status;
	r->reusable = !h->conn_close && (h->version_minor == 1 ||
	    h->conn_keep_alive);
	if (r->head_method || h->status == 204 || h->status == 304 ||
	    h->status < 200)
		r->resp_mode = BODY_NONE;
	else if (h->chunked)
		r->resp_mode = BODY_CHUNKED;
	else if (h->has_content_length)
		r->resp_mode = BODY_LENGTH;
	else
		r->resp_mode = BODY_CLOSE;
	r->resp_left = h->content_length;
	if (r->resp_mode == BODY_LENGTH && r->resp_left == 0)
		r->resp_mode = BODY_NONE;
	if (r->resp_mode == BODY_CHUNKED)
		http_chunked_init(&r->resp_chunk);
	if (r->resp_mode == BODY_CLOSE)
		r->reusable = false;
	r->rechunk = !r->http10 && c->stream_id == 0 &&
	    (r->resp_mode == BODY_CHUNKED ||
	    r->resp_mode == BODY_CLOSE);
	if (r->http10 && (r->resp_mode == BODY_CHUNKED ||
	    r->resp_mode == BODY_CLOSE))
		c->close_after = true;
	if (!r->req_done)
		c->close_after = true;
	if (r->resp_mode == BODY_NONE)
		r->resp_done = true;
}
