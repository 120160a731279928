/*
 * HTTP/1.1 on a client connection (the protocol table proto_h1): request
 * heads parsed from c->in one after another (pipelining), frontd's own
 * answers and error pages, the client's response head, chunked framing,
 * the tunnel after a 101, and keep-alive or the close after each
 * response. What a request does between its head and its answer is the
 * request's files' (req.c, request.c, proxy.c, body.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/tlsio.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/proto.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/upstream.h"

#define DRAIN_GRACE_MS	1000	/* for a request still on its way */

static enum step	h1_run(struct conn *);
static enum step	h1_timeout(struct conn *);
static void		h1_lost(struct conn *, const char *);
static void		h1_drain(struct conn *);
static enum step	h1_fail(struct conn *, int, const char *);
static enum step	h1_local(struct conn *, int, const char *,
			    const char *, size_t, const char *, size_t,
			    const char *);
static enum step	h1_done(struct conn *);
static enum step	h1_tunnel(struct conn *);
static enum step	h1_respond(struct conn *);

const struct proto	proto_h1 = {
	.name = "http/1.1",
	.run = h1_run,
	.timeout = h1_timeout,
	.lost = h1_lost,
	.drain = h1_drain,
	.end = req_end,
	.head = req_head_out,
	.fail = h1_fail,
	.local = h1_local,
	.done = h1_done,
};

/*
 * Plain HTTP sent to a TLS listener: answered in plain text, as nginx
 * does, rather than with a reset the user cannot make sense of. conn.c
 * found it and dropped TLS; the connection lingers to be read.
 */
static enum step
h1_plain_on_tls(struct conn *c)
{
	static const char	 body[] =
	    "plain HTTP request sent to a TLS port\n";
	struct req		*r;
	size_t			 n;

	log_info("conn=%llu %s plain HTTP request sent to a TLS port",
	    (unsigned long long)c->id, peer_name(c));
	c->plain_on_tls = false;
	c->close_after = true;
	c->why = "plain HTTP on a TLS port";
	buf_put(c->in);
	c->in = NULL;
	if ((r = c->req = req_new(ev_now(c->w->loop))) == NULL ||
	    (c->out == NULL && (c->out = buf_get()) == NULL))
		return STEP_CLOSE;
	r->status = 400;
	n = out_local_head(c, r, 400, "text/plain", sizeof(body) - 1, NULL, 0,
	    true, c->out->data, sizeof(c->out->data));
	memcpy(c->out->data + n, body, sizeof(body) - 1);
	c->out->start = 0;
	c->out->end = n + sizeof(body) - 1;
	req_enter(c, REQ_RESPOND);
	return STEP_AGAIN;
}

/* Reads and parses a request head, then runs the request's phases. */
static enum step
h1_read_head(struct conn *c)
{
	struct req	*r;
	enum http_result res;
	ssize_t		 n;

	if (c->in == NULL && (c->in = buf_get()) == NULL) {
		c->why = "out of memory for a buffer";
		return STEP_CLOSE;
	}
	if (c->req == NULL &&
	    (c->req = req_new(ev_now(c->w->loop))) == NULL) {
		c->why = "out of memory for a request";
		return STEP_CLOSE;
	}
	r = c->req;
	c->client_readable = false;	/* we read here */
	buf_compact(c->in);
	for (;;) {
		/* HTTP/2 by prior knowledge, where the listener takes it. */
		switch (h2_preface(c, false)) {
		case 1:
			req_end(c);
			c->proto = &proto_h2;
			return STEP_AGAIN;
		case 0:
			goto more;
		}
		res = http_parse_request(&r->parser, c->in->data,
		    buf_len(c->in), &c->w->req_limits, &r->head);
		if (res == HTTP_OK)
			break;
		if (res == HTTP_ERROR && h2_preface(c, true) == 2) {
			/* Neither HTTP/1.x nor HTTP/2: a close, as h2 does. */
			log_info("conn=%llu %s neither HTTP/1.x nor the "
			    "HTTP/2 preface", (unsigned long long)c->id,
			    peer_name(c));
			c->why = "not HTTP";
			req_end(c);
			return STEP_CLOSE;
		}
		if (res == HTTP_ERROR)
			return h1_fail(c, r->head.error_status,
			    http_error_names[r->head.error]);
more:
		n = read_into(c->fd, c->ssl, c->in, in_pin(c));
		if (n == -2) {
			if (buf_room(c->in) == 0)
				return h1_fail(c, 431, "request head too "
				    "large");
			if (buf_len(c->in) == 0) {
				/* Nothing yet: hold no memory while waiting. */
				buf_put(c->in);
				c->in = NULL;
				req_end(c);
			}
			set_client_events(c, EPOLLIN);
			return STEP_WAIT;
		}
		if (n <= 0 && buf_len(c->in) > 0)
			return client_failed(c, CNT_CLIENT_ABORTS, n == 0 ?
			    "client closed in the request head" :
			    "client read error in the request head", n == -1 ?
			    io_error(c) : NULL);
		if (n <= 0) {
			/* Nothing to log for a connection never used. */
			c->why = n == 0 ? "client closed" : "client read error";
			req_end(c);
			return STEP_CLOSE;
		}
		counter_add(CNT(c), CNT_BYTES_IN, (uint64_t)n);
	}
	return request_start(c);
}

/*
 * One step: the head of the next request (or the rest of it), our own
 * answer, the tunnel; the request's other states are its own.
 */
static enum step
h1_run(struct conn *c)
{
	struct req	*r = c->req;

	if (r == NULL || r->state == REQ_HEAD)
		return c->plain_on_tls ? h1_plain_on_tls(c) :
		    h1_read_head(c);
	switch (r->state) {
	case REQ_TUNNEL:
		return h1_tunnel(c);
	case REQ_RESPOND:
		return h1_respond(c);
	default:
		return request_step(c);
	}
}

/* The header timer is the protocol's; the others are the request's. */
static enum step
h1_timeout(struct conn *c)
{
	if (c->wait != WAIT_HEADER)
		return request_timeout(c);
	if (c->in == NULL || buf_len(c->in) == 0) {
		c->why = "no request before the header timeout";
		return STEP_CLOSE;
	}
	counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
	return h1_fail(c, 408, "client header timeout");
}

static void
h1_lost(struct conn *c, const char *why)
{
	if (c->req != NULL)
		client_failed(c, CNT_CLIENT_ABORTS, why, NULL);
}

/*
 * Graceful stop: a response whose head is still to be written says
 * Connection: close; one whose head is out promised what it promised,
 * and the connection goes idle after it (conn_drain() handles that). A
 * request head that has not begun to arrive gets a moment more.
 */
static void
h1_drain(struct conn *c)
{
	struct req	*r = c->req;

	if (r == NULL || r->state <= REQ_UP_HEAD)
		c->close_after = true;
	if (r == NULL && (c->in == NULL || buf_len(c->in) == 0))
		conn_wait_ms(c, WAIT_HEADER, DRAIN_GRACE_MS);
}

/*
 * frontd's own error answer; the connection closes after it (the rest of
 * the request's bytes cannot be told from a next request).
 */
static enum step
h1_fail(struct conn *c, int status, const char *why)
{
	c->close_after = true;
	/* A TLS record half sent holds the place of any other bytes. */
	return req_error_answer(c, status, why, c->tls_stuck);
}

/*
 * frontd's own answer that keeps the connection (redirect, return, no
 * route): head in c->out, a large body sent from where it lies.
 */
static enum step
h1_local(struct conn *c, int status, const char *type, const char *body,
    size_t len, const char *loc, size_t loclen, const char *why)
{
	/* An unread request body would be taken for the next request. */
	if (!c->req->req_done)
		c->close_after = true;
	return req_local_answer(c, status, type, body, len, loc, loclen,
	    why);
}

/*
 * The response went out whole: the request ends, and the connection goes
 * on to the next one (pipelined, or after keep-alive) or closes.
 */
static enum step
h1_done(struct conn *c)
{
	bool	body_left = !c->req->req_done;

	req_complete(c);
	if (c->client_eof)
		c->close_after = true;
	if (c->close_after) {
		c->why = "done, no keep-alive";
		/* Linger only when the client may still be sending. */
		if (body_left || (c->in != NULL && buf_len(c->in) > 0))
			return conn_linger(c);
		return STEP_CLOSE;
	}
	if (c->out != NULL && buf_len(c->out) == 0) {
		buf_put(c->out);
		c->out = NULL;
	}
	if (c->in != NULL && buf_len(c->in) > 0) {
		/* Pipelined: the next request is already here. */
		set_client_events(c, EPOLLIN);
		conn_wait(c, WAIT_HEADER);
		return STEP_AGAIN;
	}
	return conn_keep_alive(c);
}

/* After 101: bytes both ways until both sides are done. */
static enum step
h1_tunnel(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	ssize_t		 n;
	bool		 blocked, progress = false, cblk = false, ublk = false;
	bool		 up_eof = r->tunnel_up_eof;

	for (int turn = 0; turn < 8; turn++) {
		bool moved = false;

		/* upstream -> client */
		n = send_two(c->fd, c->ssl, &c->tls_stuck, c->out, r->up_in,
		    buf_len(r->up_in),
		    &blocked, &r->bytes_out);
		if (n == -1)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client write error in the tunnel", io_error(c));
		cblk = blocked;
		if (!cblk && !up_eof) {
			n = read_into(uc->fd, uc->ssl, r->up_in, 0);
			if (n > 0)
				moved = true;
			else if (n == 0 || n == -1) {
				up_eof = r->tunnel_up_eof = true;
				if (c->ssl != NULL)
					tlsio_close(c->ssl);
				shutdown(c->fd, SHUT_WR);
			}
		}
		/* client -> upstream */
		n = send_two(uc->fd, uc->ssl, NULL, NULL, c->in, buf_len(c->in),
		    &blocked, NULL);
		if (n == -1) {
			proxy_warn(c, "write error in the tunnel",
			    uc->ssl == NULL ? strerror(errno) : NULL);
			c->why = "upstream write error in the tunnel";
			return STEP_CLOSE;
		}
		ublk = blocked;
		if (!ublk && !c->client_eof) {
			n = read_into(c->fd, c->ssl, c->in, in_pin(c));
			if (n > 0)
				moved = true;
			else if (n == 0 || n == -1) {
				c->client_eof = true;
				upstream_shutdown(uc);
			}
		}
		if (moved)
			progress = true;
		else
			break;
	}
	if (up_eof && c->client_eof && buf_len(r->up_in) == 0 &&
	    buf_len(c->in) == 0) {
		c->why = "tunnel closed";
		return STEP_CLOSE;
	}
	set_client_events(c, (cblk ? EPOLLOUT : 0) |
	    (!c->client_eof && !ublk ? EPOLLIN : 0));
	upstream_watch(uc, (ublk ? EPOLLOUT : 0) |
	    (!up_eof && !cblk ? EPOLLIN : 0));
	if (progress)
		req_wait(c, WAIT_TUNNEL);
	return STEP_WAIT;
}

/*
 * Sends frontd's own answer (c->out, then a large body from where it
 * lies); a page that keeps the connection goes on to the next request,
 * any other answer ends in a lingering close (conn_linger()).
 */
static enum step
h1_respond(struct conn *c)
{
	bool		 blocked;
	ssize_t		 n;
	enum step	 s;
	struct req	*r = c->req;

	if (c->out != NULL && buf_len(c->out) > 0) {
		size_t before = buf_len(c->out);

		n = send_two(c->fd, c->ssl, &c->tls_stuck, c->out, NULL, 0,
		    &blocked, r != NULL ? &r->bytes_out : NULL);
		if (n == -1)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client write error", io_error(c));
		if (blocked) {
			/* send_timeout is between two writes, not in all. */
			if (buf_len(c->out) < before)
				req_wait(c, WAIT_SEND);
			set_client_events(c, EPOLLOUT);
			return STEP_WAIT;
		}
	}
	if (r != NULL && r->local_left > 0 &&
	    (s = body_send_local(c)) != STEP_AGAIN)
		return s;
	if (r != NULL && r->local && !c->close_after) {
		/* A redirect or page of ours: the connection goes on. */
		r->resp_done = true;
		return h1_done(c);
	}
	if (r != NULL)
		req_end(c);
	return conn_linger(c);
}

/*
 * Decodes a chunked body from in into o, as chunks again (reframe) or as
 * plain data. Trailer lines go to trail: o itself when reframed (after
 * the last chunk; *started tells whether it has been written), another
 * buffer for a protocol that sends them apart (HTTP/2), or nowhere
 * (NULL). Stops when o lacks room for a framed chunk, when in needs more
 * bytes, or at the end of the body (*done). -1: bad framing.
 */
int
chunked_relay(struct http_chunked *ch, struct buf *in, struct buf *o,
    bool reframe, struct buf *trail, bool *started, bool *done)
{
	size_t			used, off, len, room, avail;
	enum http_chunk_result	cr;

	buf_compact(o);
	while (buf_len(in) > 0 && !*done) {
		room = buf_room(o);
		if (room <= CHUNK_FRAME_MAX)
			break;
		/* Offer no more than fits once framed: data <= input. */
		avail = buf_len(in) < room - CHUNK_FRAME_MAX ? buf_len(in) :
		    room - CHUNK_FRAME_MAX;
		cr = http_chunked_next(ch, in->data + in->start, avail, &used,
		    &off, &len);
		switch (cr) {
		case HTTP_CHUNK_ERROR:
			return -1;
		case HTTP_CHUNK_DATA:
			if (reframe)
				chunk_put(o, in->data + in->start + off, len);
			else
				buf_append(o, in->data + in->start + off, len);
			break;
		case HTTP_CHUNK_TRAILER:
			if (trail == NULL)
				break;
			if (trail != o) {
				/* The parser bounds them: 8K in all. */
				if (len <= buf_room(trail))
					buf_append(trail, in->data +
					    in->start + off, len);
				break;
			}
			if (!*started) {
				buf_append(o, "0\r\n", 3);
				*started = true;
			}
			buf_append(o, in->data + in->start + off, len);
			break;
		case HTTP_CHUNK_DONE:
			if (reframe) {
				if (started == NULL || !*started)
					buf_append(o, "0\r\n", 3);
				buf_append(o, "\r\n", 2);
			}
			*done = true;
			break;
		case HTTP_CHUNK_AGAIN:
			break;
		}
		in->start += used;
		if (cr == HTTP_CHUNK_AGAIN)
			break;
	}
	return 0;
}
