/*
 * A request's life: taken from a free list as its head begins to arrive,
 * moved through its states (each entered with its timer armed from one
 * table), timed out, logged and ended. How it answers the client is its
 * protocol's business (proto.h); what happens between its head and its
 * answer is request.c's phases, then proxy.c and body.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/util.h"
#include "worker/accesslog.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/forward_auth.h"
#include "worker/limit.h"
#include "worker/metrics.h"
#include "worker/proto.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/upstream.h"

#define REQ_KEEP	4096
#define CACHE_POLL_MS	5	/* waiting for another's fetch */

const char *const req_state_names[] = {
	[REQ_HEAD] = "head",
	[REQ_CACHE_WAIT] = "cache_wait",
	[REQ_AUTH] = "auth",
	[REQ_CONNECT] = "connect",
	[REQ_SEND] = "send",
	[REQ_UP_HEAD] = "upstream_head",
	[REQ_BODY] = "body",
	[REQ_TUNNEL] = "tunnel",
	[REQ_RESPOND] = "respond",
};

/* What each state waits for: entering it arms that timer. */
static const enum conn_wait state_waits[] = {
	[REQ_HEAD] = WAIT_HEADER,
	[REQ_CACHE_WAIT] = WAIT_CACHE,
	[REQ_AUTH] = WAIT_CONNECT,
	[REQ_CONNECT] = WAIT_CONNECT,
	[REQ_SEND] = WAIT_UP_SEND,
	[REQ_UP_HEAD] = WAIT_UP_HEAD,
	[REQ_BODY] = WAIT_UP_READ,
	[REQ_TUNNEL] = WAIT_TUNNEL,
	[REQ_RESPOND] = WAIT_SEND,
};

static struct page_cache	req_cache = {
	.size = sizeof(struct req), .keep = REQ_KEEP, .floor = 16
};

/* A request whose head begins to arrive now; NULL without memory. */
struct req *
req_new(int64_t now_ms)
{
	struct req	*r;

	if ((r = pc_get(&req_cache)) == NULL)
		return NULL;
	/* Everything before the big heads, then the parts after them. */
	memset(r, 0, offsetof(struct req, head));
	memset(&r->rparser, 0, sizeof(r->rparser));
	r->head.nheaders = 0;
	r->resp.nheaders = 0;
	memset(&r->route, 0, offsetof(struct req, log_method) -
	    offsetof(struct req, route));
	r->route = -1;
	r->upstream = -1;
	r->slot = -1;
	r->pipe[0] = r->pipe[1] = -1;
	http_parser_init(&r->parser);
	http_parser_init(&r->rparser);
	r->state = REQ_HEAD;
	r->start_ms = now_ms;
	return r;
}

static void
req_free(struct req *r)
{
	pc_put(&req_cache, r);
}

/* Twice a second, with buf_trim(): see pc_trim(). */
void
req_trim(void)
{
	pc_trim(&req_cache);
}

void
req_enter(struct conn *c, enum req_state s)
{
	struct req	*r = c->req;
	enum conn_wait	 w = state_waits[s];

	if (log_enabled(LOG_LVL_DEBUG))
		log_debug("conn=%llu request %s -> %s",
		    (unsigned long long)c->id, req_state_names[r->state],
		    req_state_names[s]);
	r->state = s;
	/* A body from the cache waits for the client alone. */
	if (s == REQ_BODY && r->from_cache)
		w = WAIT_SEND;
	req_wait(c, w);
}

/* Arms the connection's timer for wait w of the request. */
void
req_wait(struct conn *c, enum conn_wait w)
{
	int64_t	ms, left;

	switch (w) {
	case WAIT_CONNECT:
		ms = U(c)->connect_timeout_ms;
		break;
	case WAIT_UP_SEND:
		ms = U(c)->send_timeout_ms;
		break;
	case WAIT_UP_HEAD:
		/* Between two reads, and for the whole head. */
		left = c->req->head_deadline_ms - ev_now(c->w->loop);
		ms = left < U(c)->read_timeout_ms ? (left > 0 ? left : 1) :
		    U(c)->read_timeout_ms;
		break;
	case WAIT_UP_READ:
		ms = U(c)->read_timeout_ms;
		break;
	case WAIT_TUNNEL:
		ms = R(c)->tunnel_timeout_ms;
		break;
	case WAIT_CACHE:
		ms = CACHE_POLL_MS;
		break;
	default:
		/* The client's: the connection knows how long. */
		conn_wait(c, w);
		return;
	}
	conn_wait_ms(c, w, ms);
}

/* One step of a request past its head, on the upstream or cache side. */
enum step
request_step(struct conn *c)
{
	switch (c->req->state) {
	case REQ_CACHE_WAIT:
		return STEP_WAIT;	/* the poll timer moves it on */
	case REQ_AUTH:
		return fauth_step(c);
	case REQ_CONNECT:
		return proxy_connect(c);
	case REQ_SEND:
		return proxy_send(c);
	case REQ_UP_HEAD:
		return proxy_read_head(c);
	case REQ_BODY:
		return body_send(c);
	default:
		/* The head, the tunnel and our answers are the protocol's. */
		c->why = "request in a state of the protocol";
		return STEP_CLOSE;
	}
}

/*
 * A wait of the request ran out: what it waited for (c->wait) says who
 * is to blame. The client's slowness ends its connection; the upstream's
 * is a failed try, or, once the response has begun, a cut response.
 */
enum step
request_timeout(struct conn *c)
{
	struct req	*r = c->req;
	char		 d[32];

	/* The subrequest's waits are its own (forward_auth.c). */
	if (r->state == REQ_AUTH)
		return fauth_timeout(c);
	fmt_duration(d, sizeof(d), c->wait_len_ms);
	switch (c->wait) {
	case WAIT_BODY:
		counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
		return request_fail(c, 408, "client body timeout");
	case WAIT_SEND:
		return client_failed(c, CNT_CLIENT_TIMEOUTS,
		    "client send timeout", d);
	case WAIT_CONNECT:
		return proxy_failed(c, 504, "connect timeout", d, true);
	case WAIT_UP_SEND:
		return proxy_failed(c, 504, "send timeout", d, false);
	case WAIT_UP_HEAD:
		if (ev_now(c->w->loop) >= r->head_deadline_ms) {
			fmt_duration(d, sizeof(d), U(c)->header_timeout_ms);
			return proxy_failed(c, 504, "header timeout", d,
			    false);
		}
		return proxy_failed(c, 504, "read timeout", d, false);
	case WAIT_UP_READ:
		r->reusable = false;
		if (r->resp_started) {
			/* Too late for an error page: cut the response. */
			proxy_warn(c, "read timeout during the response", d);
			c->why = "upstream read timeout during the response";
			return STEP_CLOSE;
		}
		/* The head waits for the body it is sent with. */
		proxy_warn(c, "read timeout", d);
		return proxy_give_up(c, 504, "upstream timeout");
	case WAIT_TUNNEL:
		c->why = "tunnel idle timeout";
		return STEP_CLOSE;
	case WAIT_CACHE:
		if (cache_poll(c) == CACHE_WAIT) {
			req_wait(c, WAIT_CACHE);
			return STEP_WAIT;
		}
		/* Its head is still pinned: the phases run again. */
		r->state = REQ_HEAD;
		return request_start(c);
	default:
		c->why = "timeout";
		return STEP_CLOSE;
	}
}

/*
 * The client failed the request: too slow, or gone in the middle. It is
 * counted apart from the upstream errors, never charged to a server, and
 * logged at info: clients do this all day.
 */
enum step
client_failed(struct conn *c, enum counter which, const char *why,
    const char *detail)
{
	counter_add(CNT(c), which, 1);
	c->why = why;
	if (c->req != NULL)
		c->req->reusable = false;
	if (c->stream_id != 0)
		log_info("conn=%llu %s stream %u reset: %s%s%s%s",
		    (unsigned long long)c->id, peer_name(c), c->stream_id, why,
		    detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
	else
		log_info("conn=%llu %s closed: %s%s%s%s",
		    (unsigned long long)c->id, peer_name(c), why,
		    detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
	return STEP_CLOSE;
}

/* Counted, and one access-log line when the log is on. */
static void
req_log(struct conn *c)
{
	struct req		*r = c->req;
	struct access_entry	 e;
	static const enum counter cls[] = { CNT_STATUS_1XX, CNT_STATUS_1XX,
	    CNT_STATUS_2XX, CNT_STATUS_3XX, CNT_STATUS_4XX, CNT_STATUS_5XX };
	char			 client[ADDR_STRLEN];

	if (r->status >= 100 && r->status < 600)
		counter_add(CNT(c), cls[r->status / 100], 1);
	counter_add(CNT(c), CNT_BYTES_OUT, r->bytes_out);
	metrics_count(r, ev_now(c->w->loop));
	if (!accesslog_enabled())
		return;
	addr_format_ip(req_client(c), client, sizeof(client));
	memset(&e, 0, sizeof(e));
	e.format = G(c)->log_format;
	e.custom = &G(c)->log_custom;
	e.conn_id = (unsigned long long)c->id;
	e.host = r->host;
	e.host_len = r->hostlen;
	e.tls = conn_tls(c) != NULL ? SSL_get_version(conn_tls(c)) :
	    NULL;
	e.client = client;
	e.method = r->log_method;
	e.method_len = r->log_method_len;
	e.target = r->log_target;
	e.target_len = r->log_target_len;
	e.minor = r->log_minor;
	e.stream = c->stream_id;
	e.status = r->status ? r->status : 499;
	e.bytes = r->bytes_out;
	e.referer = r->log_ref_len ? r->log_ref : NULL;
	e.referer_len = r->log_ref_len;
	e.user_agent = r->log_ua_len ? r->log_ua : NULL;
	e.user_agent_len = r->log_ua_len;
	e.duration_ms = ev_now(c->w->loop) - r->start_ms;
	e.upstream = r->upstream_name;
	e.cache = cache_log_word(r);
	e.user = r->remote_user;
	e.upstream_status = r->up_status;
	e.upstream_ms = r->up_start_ms ? (r->up_end_ms ? r->up_end_ms :
	    ev_now(c->w->loop)) - r->up_start_ms : -1;
	accesslog_write(&e);
}

/*
 * Ends the request: access log, upstream connection back to the pool or
 * closed, buffers returned. Leaves bytes of a pipelined next request in
 * c->in.
 */
void
req_end(struct conn *c)
{
	struct req	*r = c->req;

	if (r == NULL)
		return;
	if (r->parsed || r->status != 0)
		req_log(c);
	if (r->local_body != NULL)
		metrics_page_put(r->local_body);
	if (r->uc != NULL) {
		/* Bytes past the response mean the server is confused. */
		upstream_release(r->uc, r->reusable && r->resp_done &&
		    r->req_done && r->state != REQ_TUNNEL &&
		    (r->up_in == NULL || buf_len(r->up_in) == 0) &&
		    (r->uc->ssl == NULL || SSL_pending(r->uc->ssl) == 0));
		r->uc = NULL;
	}
	cache_req_end(r);
	if (r->nholds > 0)
		limit_release(c);
	body_pipe_put(r->pipe, r->pipe_len);
	buf_put(r->up_out);
	buf_put(r->up_in);
	buf_put(r->plain);
	buf_put(r->trail);
	buf_put(r->fa.buf);
	encoder_free(r->encoder);
	req_free(r);
	c->req = NULL;
}

/*
 * The response went out whole: the upstream's end time, and the cache
 * entry that was stored on the way completed; then the request ends.
 */
void
req_complete(struct conn *c)
{
	struct req	*r = c->req;

	if (!r->from_cache)
		r->up_end_ms = ev_now(c->w->loop);
	if (r->rc != NULL && r->resp_done)
		cache_finish(c);
	req_end(c);
}

/*
 * Adds a header line ("Name: value", without CRLF) to frontd's own
 * answer to the request, such as Retry-After on a 503 or the challenge
 * of a 401; false when it does not fit.
 */
bool
req_answer_line(struct conn *c, const char *fmt, ...)
{
	struct req	*r = c->req;
	size_t		 room = sizeof(r->answer) - r->answer_len;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(r->answer + r->answer_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room)
		return false;
	r->answer_len += (uint16_t)n;
	r->answer[r->answer_len++] = '\r';
	r->answer[r->answer_len++] = '\n';
	return true;
}

/* The answers, through the protocol of the request's connection. */

static bool	req_error_page(struct conn *, int, const char *);
static int	req_local_page(struct conn *, int, const char *,
		    const char *, size_t, const char *, size_t, const char *);

/*
 * frontd's error page for status, in c->out in HTTP/1.1 form (a stream's
 * protocol turns it into its own), sent in REQ_RESPOND: the admin's
 * error_page or frontd's. Interim heads not yet all sent stay ahead of
 * it; a final head queued after them never went out and is replaced.
 * Once part of the response is out (started), only a cut can tell.
 */
enum step
req_error_answer(struct conn *c, int status, const char *why,
    bool started)
{
	c->why = why;
	if ((c->req != NULL && c->req->resp_started) || started ||
	    !req_error_page(c, status, why))
		return STEP_CLOSE;
	req_enter(c, REQ_RESPOND);
	return STEP_AGAIN;
}

/*
 * frontd's own answer that keeps the connection (a redirect, a return,
 * no route, a refusal), sent in REQ_RESPOND; an error answer when it
 * cannot be.
 */
enum step
req_local_answer(struct conn *c, int status, const char *type,
    const char *body, size_t len, const char *loc, size_t loclen,
    const char *why)
{
	switch (req_local_page(c, status, type, body, len, loc, loclen,
	    why)) {
	case -1:
		return c->proto->fail(c, 503, "out of memory");
	case -2:
		return c->proto->fail(c, 500, "redirect target too long");
	}
	req_enter(c, REQ_RESPOND);
	return STEP_AGAIN;
}

/* The error page of req_error_answer(), in c->out; false: no memory. */
static bool
req_error_page(struct conn *c, int status, const char *why)
{
	struct req		*r = c->req;
	const struct cfg_global	*g = G(c);
	const char		*page = NULL;
	size_t			 pagelen = 0, n, keep;

	if (r == NULL && (r = c->req = req_new(ev_now(c->w->loop))) == NULL)
		return false;
	r->status = status;
	for (size_t i = 0; i < g->nerror_pages; i++)
		if (g->error_pages[i].status == status) {
			page = g->error_pages[i].body;
			pagelen = g->error_pages[i].len;
			break;
		}
	if (c->out == NULL && (c->out = buf_get()) == NULL)
		return false;
	keep = req_interim_pending(r);
	if (keep > buf_len(c->out))
		keep = buf_len(c->out);
	c->out->end = c->out->start + keep;
	buf_compact(c->out);
	n = out_error_page(c, r, status, page, pagelen, c->close_after,
	    c->out->data + c->out->end, buf_room(c->out));
	if (n == 0)
		n = out_error_page(c, r, status, NULL, 0, c->close_after,
		    c->out->data + c->out->end, buf_room(c->out));
	c->out->end += n;
	if (r->bytes_out > r->interim_len)
		r->bytes_out = r->interim_len;
	if (status >= 500 || status == 408)
		log_info("conn=%llu %s %d: %s", (unsigned long long)c->id,
		    peer_name(c), status, why);
	else
		log_debug("conn=%llu %s %d: %s", (unsigned long long)c->id,
		    peer_name(c), status, why);
	return true;
}

/*
 * frontd's own answer (redirect, return, no route, a refusal): its head
 * in c->out, a small body with it, a large one sent from where it lies
 * (r->local_body). -1: no memory, -2: the head does not fit.
 */
static int
req_local_page(struct conn *c, int status, const char *type,
    const char *body, size_t len, const char *loc, size_t loclen,
    const char *why)
{
	struct req	*r = c->req;
	size_t		 n, room;

	c->why = why;
	r->status = status;
	r->local = true;
	if (status == 204 || status == 304)
		len = 0;	/* these never have a body */
	if (c->out == NULL && (c->out = buf_get()) == NULL)
		return -1;
	buf_compact(c->out);
	room = buf_room(c->out);
	n = out_local_head(c, r, status, type, len, loc, loclen,
	    c->close_after, c->out->data + c->out->end, room);
	if (n == 0)
		return -2;
	c->out->end += n;
	if (!r->head_method) {
		/* Small bodies ride in the same write. */
		if (len <= room - n) {
			memcpy(c->out->data + c->out->end, body, len);
			c->out->end += len;
		} else {
			r->local_body = body;
			r->local_left = len;
		}
	}
	log_debug("conn=%llu %s %d: %s", (unsigned long long)c->id,
	    peer_name(c), status, why);
	return 0;
}

/* The client's response head, added to c->out in HTTP/1.1 form: its
 * length, 0 when it does not fit, (size_t)-1 without memory. */
size_t
req_head_out(struct conn *c)
{
	size_t	len;

	if (c->out == NULL && (c->out = buf_get()) == NULL)
		return (size_t)-1;
	buf_compact(c->out);
	len = out_response_head(c, c->req, c->out->data + c->out->end,
	    buf_room(c->out) - CHUNK_FRAME_MAX);
	c->out->end += len;
	return len;
}

size_t
request_head(struct conn *c)
{
	return c->proto->head(c);
}

/*
 * frontd's own error answer, and the connection closes after it. The
 * upstream connection, if any, is dropped; a stale cached response in
 * its place is proxy_give_up()'s choice, never this one's.
 */
enum step
request_fail(struct conn *c, int status, const char *why)
{
	struct req	*r = c->req;

	if (r != NULL && r->uc != NULL && !r->resp_started && !c->tls_stuck) {
		upstream_release(r->uc, false);
		r->uc = NULL;
	}
	return c->proto->fail(c, status, why);
}

/*
 * A phase refuses the request (403, 429, 503...): frontd's answer with
 * the admin's error_page for the status or its own short page, and any
 * req_answer_line()s; the connection is kept when the request has no
 * body left unread. The head is consumed here.
 */
enum step
request_refuse(struct conn *c, int status, const char *why)
{
	const struct cfg_global	*g = G(c);
	static char		 page[512];
	const char		*body = NULL;
	size_t			 len = 0;

	for (size_t i = 0; i < g->nerror_pages; i++)
		if (g->error_pages[i].status == status) {
			body = g->error_pages[i].body;
			len = g->error_pages[i].len;
			break;
		}
	if (body == NULL) {
		/* Copied into the head's buffer at once: it is small. */
		len = out_default_page(c, status, page, sizeof(page));
		body = page;
	}
	c->in->start += c->req->head.head_len;
	return request_local(c, status, "text/html", body, len, NULL, 0, why);
}

enum step
request_local(struct conn *c, int status, const char *type,
    const char *body, size_t len, const char *loc, size_t loclen,
    const char *why)
{
	return c->proto->local(c, status, type, body, len, loc, loclen, why);
}

enum step
request_done(struct conn *c)
{
	return c->proto->done(c);
}
