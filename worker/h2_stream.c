/*
 * One HTTP/2 stream (proto_h2s): a struct conn with no socket, whose
 * request runs through the same phases, proxy and body code as an
 * HTTP/1.1 one. Here are its protocol's answers (errors, local pages,
 * the end of a response) and its client I/O: client_send() turns the
 * response heads frontd wrote in HTTP/1.1 form into HEADERS frames and
 * queues the body for DATA frames; client_read() gives back the window
 * of the request body passed on; the trailers; the tunnel after an
 * extended CONNECT. The session itself is h2.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/shm.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/h2_head.h"
#include "worker/h2_int.h"
#include "worker/proto.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/request.h"
#include "worker/upstream.h"

static enum step	h2s_run(struct conn *);
static enum step	h2s_timeout(struct conn *);
static void		h2s_lost(struct conn *, const char *);
static void		h2s_drain(struct conn *);
static void		h2s_end(struct conn *);
static enum step	h2s_fail(struct conn *, int, const char *);
static enum step	h2s_done(struct conn *);
static enum step	h2s_respond(struct conn *);
static enum step	h2s_finish(struct conn *, bool);
static enum step	h2s_tunnel(struct conn *);
static ssize_t		h2s_send(struct conn *, struct buf *, size_t, bool *,
			    uint64_t *);
static ssize_t		h2s_recv(struct conn *, size_t);
static void		h2s_want(struct conn *, uint32_t);

const struct proto	proto_h2s = {
	.name = "h2 stream",
	.run = h2s_run,
	.timeout = h2s_timeout,
	.lost = h2s_lost,
	.drain = h2s_drain,
	.end = h2s_end,
	.head = req_head_out,
	.fail = h2s_fail,
	.local = req_local_answer,
	.done = h2s_done,
	.send = h2s_send,
	.recv = h2s_recv,
	.want = h2s_want,
};


/* ------------------------------------------------ a stream's request --- */

static enum step
h2s_run(struct conn *c)
{
	struct h2s	*s = S(c);
	struct req	*r = c->req;

	if (r == NULL)
		return STEP_WAIT;	/* done, its queue going out */
	if (!s->started) {
		s->started = true;
		if (s->hd.bad_status != 0) {
			/* Refused before its head was read (a 431 for its
			 * header list): named in the log if the part
			 * written reads. */
			if (http_parse_request(&r->parser, c->in->data,
			    c->in->end, &c->w->req_limits, &r->head) ==
			    HTTP_OK)
				request_log_names(c);
			return h2s_fail(c, s->hd.bad_status, s->hd.bad_why);
		}
		if (http_parse_request(&r->parser, c->in->data, c->in->end,
		    &c->w->req_limits, &r->head) != HTTP_OK)
			return h2s_fail(c, r->head.error_status ?
			    r->head.error_status : 400,
			    http_error_names[r->head.error]);
		return request_start(c);
	}
	switch (r->state) {
	case REQ_HEAD:
		return STEP_WAIT;	/* phases run again from a timer */
	case REQ_RESPOND:
		return h2s_respond(c);
	case REQ_TUNNEL:
		return h2s_tunnel(c);
	default:
		return request_step(c);
	}
}

static enum step
h2s_timeout(struct conn *c)
{
	struct h2s	*s = S(c);

	/* The client's own slowness ends its stream with CANCEL. */
	s->cancel = c->wait == WAIT_SEND || c->wait == WAIT_HEADER;
	if (c->req != NULL && s->head_done)
		return request_timeout(c);
	if (!s->head_done) {
		counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
		log_info("conn=%llu %s stream %d: header block not finished "
		    "in time", (unsigned long long)c->id, peer_name(c), s->id);
		c->why = "client header timeout";
	} else
		c->why = "client send timeout";
	return STEP_CLOSE;
}

static void
h2s_lost(struct conn *c, const char *why)
{
	if (c->req != NULL && c->req->parsed)
		client_failed(c, CNT_CLIENT_ABORTS, why, NULL);
}

/* The connection drains; a stream has nothing of its own to do. */
static void
h2s_drain(struct conn *c)
{
}

/*
 * The stream's conn closes: its request ends (and is logged). Unless the
 * session closed the stream, or it answered whole, the client is told
 * with RST_STREAM.
 */
static void
h2s_end(struct conn *c)
{
	struct h2s	*s = S(c);
	struct h2	*h2 = s->h2;
	struct req	*r = c->req;

	if (r != NULL) {
		/* What the reset drops from the queue was never sent. */
		if (s->q != NULL)
			r->bytes_out -= buf_len(s->q) < r->bytes_out ?
			    buf_len(s->q) : r->bytes_out;
		req_end(c);
	}
	s->ended = true;
	h2_unqueue(s);
	if (s->closed) {
		if (!h2->dying)
			h2s_free(s);
		return;
	}
	nghttp2_submit_rst_stream(h2->ses, NGHTTP2_FLAG_NONE, s->id,
	    s->out_eof || s->cancel ? NGHTTP2_CANCEL :
	    NGHTTP2_INTERNAL_ERROR);
	h2_schedule(h2);
}

/*
 * frontd's own error answer on the stream. Once part of the response is
 * out, only a reset can tell.
 */
static enum step
h2s_fail(struct conn *c, int status, const char *why)
{
	return req_error_answer(c, status, why, S(c)->final_sent);
}


/* frontd's own answer, from c->out and any large body, then the end. */
static enum step
h2s_respond(struct conn *c)
{
	struct req	*r = c->req;
	bool		 blocked;
	enum step	 st;

	if (c->out != NULL && buf_len(c->out) > 0) {
		if (h2s_send(c, NULL, 0, &blocked, &r->bytes_out) == -1) {
			c->why = "cannot send a response";
			return STEP_CLOSE;
		}
		if (blocked) {
			set_client_events(c, EPOLLOUT);
			return STEP_WAIT;
		}
	}
	if (r->local_left > 0 && (st = body_send_local(c)) != STEP_AGAIN)
		return st;
	if (r->local)
		r->resp_done = true;
	return h2s_finish(c, r->local);
}

/* The response is whole: the request ends, the stream's end goes out. */
static enum step
h2s_done(struct conn *c)
{
	return h2s_finish(c, true);
}

static enum step
h2s_finish(struct conn *c, bool complete)
{
	struct h2s	*s = S(c);

	if (!s->final_sent) {
		c->why = "no response head";
		return STEP_CLOSE;
	}
	/* The upstream's trailers go after the body. */
	if (c->req->trail != NULL && buf_len(c->req->trail) > 0) {
		s->trail = c->req->trail;
		c->req->trail = NULL;
	}
	if (complete)
		req_complete(c);
	else
		req_end(c);
	s->out_eof = true;
	buf_put(c->in);
	buf_put(c->out);
	c->in = c->out = NULL;
	if (!s->closed) {
		nghttp2_session_resume_data(s->h2->ses, s->id);
		h2_schedule(s->h2);
	}
	/* The rest of the queue goes as the client takes it, in time. */
	if (s->q != NULL && buf_len(s->q) > 0)
		conn_wait(c, WAIT_SEND);
	else
		ev_timer_stop(c->w->loop, &c->timer);
	return STEP_WAIT;
}

/* ---------------------------------------------- a stream's client I/O --- */

/* A field of the connection by its lower-case name (RFC 9113 8.2.2). */
static bool
field_of_connection(const char *n, size_t len)
{
	static const char *const names[] = { "connection", "keep-alive",
	    "proxy-connection", "transfer-encoding", "upgrade", "te" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], n, len) == 0)
			return true;
	return false;
}

/*
 * The upstream's trailer lines ("Name: value" CRLF, checked by the
 * parser) as a HEADERS frame that ends the stream; the fields of the
 * connection stay behind (RFC 9113 8.2.2). -1: none to send.
 */
static int
h2s_trailers(nghttp2_session *ses, struct h2s *s)
{
	static nghttp2_nv	 nv[64];
	struct buf		*t = s->trail;
	char			*p = t->data + t->start;
	char			*end = t->data + t->end;
	char			*eol, *colon, *v, *ve;
	size_t			 n = 0;

	while (p < end && n < sizeof(nv) / sizeof(nv[0]) &&
	    (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && colon > p) {
			for (char *k = p; k < colon; k++)
				*k = (char)tolower((unsigned char)*k);
			for (v = colon + 1; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			for (ve = eol; ve > v && (ve[-1] == '\r' ||
			    ve[-1] == ' ' || ve[-1] == '\t'); ve--)
				;
			if (!field_of_connection(p, (size_t)(colon - p))) {
				nv[n].name = (uint8_t *)p;
				nv[n].namelen = (size_t)(colon - p);
				nv[n].value = (uint8_t *)v;
				nv[n].valuelen = (size_t)(ve - v);
				nv[n].flags = NGHTTP2_NV_FLAG_NONE;
				n++;
			}
		}
		p = eol + 1;
	}
	if (n == 0)
		return -1;
	return nghttp2_submit_trailer(ses, s->id, nv, n) == 0 ? 0 : -1;
}

/*
 * DATA frames for the response: what the stream queued, then its end.
 * A stream with nothing queued yet is deferred until it has.
 */
static ssize_t
h2s_data(nghttp2_session *ses, int32_t id, uint8_t *dst, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2s	*s = src->ptr;
	struct buf	*q = s->q;
	size_t		 n = 0;

	if (q != NULL) {
		n = buf_len(q) < len ? buf_len(q) : len;
		memcpy(dst, q->data + q->start, n);
		q->start += n;
		if (q->start == q->end)
			q->start = q->end = 0;
	}
	if ((q == NULL || buf_len(q) == 0) && s->out_eof) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (s->trail != NULL && h2s_trailers(ses, s) == 0)
			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
		ev_timer_stop(s->c.w->loop, &s->c.timer);
	} else if (n == 0)
		return NGHTTP2_ERR_DEFERRED;
	else if (s->out_eof)
		conn_wait(&s->c, WAIT_SEND);
	if ((s->want & EPOLLOUT) && q != NULL && buf_room(q) + q->start >=
	    sizeof(q->data) / 2)
		h2_queue(s);
	return (ssize_t)n;
}

/* Whether a response field stays off HTTP/2 (RFC 9113 8.2.2). */
static bool
hop_by_hop(enum http_header_id id)
{
	return id == HTTP_H_CONNECTION || id == HTTP_H_KEEP_ALIVE ||
	    id == HTTP_H_PROXY_CONNECTION || id == HTTP_H_TRANSFER_ENCODING ||
	    id == HTTP_H_UPGRADE || id == HTTP_H_TE;
}

/*
 * The response heads at the front of c->out, in HTTP/1.1 form as the
 * request's files wrote them, as HEADERS frames: interim ones, then the
 * final one with its DATA to follow. Names go lower-case, the fields of
 * the connection stay behind. -1: a head frontd wrote it cannot read.
 */
static int
h2s_heads(struct conn *c, uint64_t *sent)
{
	static struct http_head	 h;
	static nghttp2_nv	 nv[HTTP_MAX_HEADERS_LIMIT + 1];
	static const struct http_limits lim = { BUF_SIZE, BUF_SIZE,
	    HTTP_MAX_HEADERS_LIMIT };
	struct h2s		*s = S(c);
	struct buf		*o = c->out;
	struct http_parser	 p;
	nghttp2_data_provider	 dp;
	char			 status[3];
	char			*b;
	int			 st;
	size_t			 n;

	while (!s->final_sent && buf_len(o) > 0) {
		buf_compact(o);
		b = o->data;
		http_parser_init(&p);
		if (http_parse_response(&p, b, buf_len(o), &lim, &h) !=
		    HTTP_OK) {
			log_warn("conn=%llu stream %d: a response head frontd "
			    "cannot send: %s", (unsigned long long)c->id, s->id,
			    http_error_names[h.error]);
			return -1;
		}
		/* A tunnel's 101 is HTTP/2's 200 (RFC 8441 5). */
		st = h.status == 101 ? 200 : h.status;	/* 100..599 */
		status[0] = (char)('0' + st / 100);
		status[1] = (char)('0' + st / 10 % 10);
		status[2] = (char)('0' + st % 10);
		nv[0].name = (uint8_t *)":status";
		nv[0].namelen = 7;
		nv[0].value = (uint8_t *)status;
		nv[0].valuelen = 3;
		nv[0].flags = NGHTTP2_NV_FLAG_NONE;
		n = 1;
		for (uint32_t i = 0; i < h.nheaders; i++) {
			struct http_header *f = &h.headers[i];

			if (hop_by_hop(f->id) || (h.status == 101 &&
			    f->name.len == 20 && strncasecmp(b + f->name.off,
			    "sec-websocket-accept", 20) == 0))
				continue;
			for (uint32_t k = 0; k < f->name.len; k++)
				b[f->name.off + k] = (char)tolower(
				    (unsigned char)b[f->name.off + k]);
			nv[n].name = (uint8_t *)b + f->name.off;
			nv[n].namelen = f->name.len;
			nv[n].value = (uint8_t *)b + f->value.off;
			nv[n].valuelen = f->value.len;
			nv[n].flags = NGHTTP2_NV_FLAG_NONE;
			n++;
		}
		if (h.status < 200 && h.status != 101) {
			if (nghttp2_submit_headers(s->h2->ses,
			    NGHTTP2_FLAG_NONE, s->id, NULL, nv, n, NULL) < 0)
				return -1;
		} else {
			dp.source.ptr = s;
			dp.read_callback = h2s_data;
			if (nghttp2_submit_response(s->h2->ses, s->id, nv, n,
			    &dp) != 0)
				return -1;
			s->final_sent = true;
		}
		o->start += h.head_len;
		if (sent != NULL)
			*sent += h.head_len;
	}
	return 0;
}

/*
 * client_send() on a stream: heads become HEADERS frames, the body after
 * them (c->out, then n bytes of src) goes into the stream's queue for
 * DATA frames. *blocked: the queue is full, and the client must take
 * some of it first.
 */
static ssize_t
h2s_send(struct conn *c, struct buf *src, size_t n, bool *blocked,
    uint64_t *sent)
{
	struct h2s	*s = S(c);
	struct buf	*o = c->out;
	size_t		 take, moved = 0;

	*blocked = false;
	if (s->closed) {
		errno = EPIPE;
		return -1;
	}
	if (o != NULL && buf_len(o) > 0 && !s->final_sent) {
		if (h2s_heads(c, sent) == -1) {
			errno = EPROTO;
			return -1;
		}
		h2_schedule(s->h2);	/* HEADERS to go out */
	}
	if ((o == NULL || buf_len(o) == 0) && n == 0)
		return 0;	/* nothing new for the session */
	if (s->q == NULL && (s->q = buf_get()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	buf_compact(s->q);
	if (o != NULL && buf_len(o) > 0) {
		take = buf_len(o) < buf_room(s->q) ? buf_len(o) :
		    buf_room(s->q);
		buf_append(s->q, o->data + o->start, take);
		o->start += take;
		if (o->start == o->end)
			o->start = o->end = 0;
		if (sent != NULL)
			*sent += take;
		if (buf_len(o) > 0) {
			*blocked = true;
			n = 0;
		}
	}
	if (n > 0) {
		moved = n < buf_room(s->q) ? n : buf_room(s->q);
		buf_append(s->q, src->data + src->start, moved);
		src->start += moved;
		if (sent != NULL)
			*sent += moved;
		if (moved < n)
			*blocked = true;
	}
	nghttp2_session_resume_data(s->h2->ses, s->id);
	h2_schedule(s->h2);
	return (ssize_t)moved;
}

/*
 * client_read() on a stream: DATA frames land in c->in as they come
 * (on_data); this gives back the window for what the request passed on.
 * 0: the client ended the body, -2: more will come.
 */
static ssize_t
h2s_recv(struct conn *c, size_t keep)
{
	struct h2s	*s = S(c);

	buf_compact_above(c->in, keep);
	h2s_credit(s);
	return c->client_eof ? 0 : -2;
}

/* set_client_events() on a stream: what wakes its request. */
static void
h2s_want(struct conn *c, uint32_t ev)
{
	struct h2s	*s = S(c);

	s->want = ev;
	if (ev & EPOLLIN)
		h2s_credit(s);
}

/*
 * After the backend's 101 to an extended CONNECT: the stream's DATA to
 * the backend, the backend's bytes as DATA, each way as fast as the
 * other side takes them. The client's END_STREAM half-closes the
 * backend connection; the backend's close ends the stream.
 */
static enum step
h2s_tunnel(struct conn *c)
{
	struct h2s	*s = S(c);
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	ssize_t		 n;
	bool		 cblk = false, ublk = false, progress = false;

	for (int turn = 0; turn < 8; turn++) {
		bool moved = false;

		/* backend -> client; the 200 first */
		n = h2s_send(c, r->up_in, buf_len(r->up_in), &cblk,
		    &r->bytes_out);
		if (n == -1)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "stream gone in the tunnel", NULL);
		if (n > 0)
			moved = true;
		if (!cblk && !r->tunnel_up_eof) {
			n = read_into(uc->fd, uc->ssl, r->up_in, 0);
			if (n > 0)
				moved = true;
			else if (n == 0 || n == -1)
				r->tunnel_up_eof = true;
		}
		/* client -> backend */
		ublk = false;
		if (buf_len(c->in) > 0) {
			n = send_two(uc->fd, uc->ssl, NULL, NULL, c->in,
			    buf_len(c->in), &ublk, NULL);
			if (n == -1) {
				proxy_warn(c, "write error in the tunnel",
				    uc->ssl == NULL ? strerror(errno) : NULL);
				c->why = "upstream write error in the tunnel";
				return STEP_CLOSE;
			}
			if (n > 0)
				moved = true;
		}
		h2s_recv(c, in_pin(c));
		if (c->client_eof && buf_len(c->in) == 0 && !s->up_shut) {
			s->up_shut = true;
			upstream_shutdown(uc);
		}
		if (moved)
			progress = true;
		else
			break;
	}
	if (r->tunnel_up_eof && buf_len(r->up_in) == 0) {
		c->why = "tunnel closed";
		r->resp_done = true;
		return h2s_finish(c, false);
	}
	h2s_want(c, (cblk ? EPOLLOUT : 0) |
	    (!c->client_eof && !ublk ? EPOLLIN : 0));
	upstream_watch(uc, (ublk ? EPOLLOUT : 0) |
	    (!r->tunnel_up_eof && !cblk ? EPOLLIN : 0));
	if (progress)
		req_wait(c, WAIT_TUNNEL);
	return STEP_WAIT;
}
