/*
 * HTTP/2 on a client connection (RFC 9113), with libnghttp2 for the
 * framing, HPACK and the protocol's rules. Two protocol tables:
 *
 *	proto_h2	the connection, here: the socket's bytes into the
 *			session, the session's frames out, its streams
 *			made and run, GOAWAY, its idle timer, the attacks
 *			it refuses
 *	proto_h2s	one stream (h2_stream.c): a struct conn of its own
 *			with no socket (fd -1), whose request goes through
 *			the same files as an HTTP/1.1 one (request.c's
 *			phases, proxy.c, body.c)
 *
 * A stream's request head is written into its c->in in HTTP/1.1 form
 * (h2_head.c) and read by the same strict parser; its body follows as
 * DATA frames come, raw, with a window given back as the request passes
 * it on. Its answer is written to c->out in HTTP/1.1 form by the same
 * code as for HTTP/1.1; client_send() turns the heads into HEADERS
 * frames and queues the body for DATA frames, so that a slow stream
 * fills only its own queue. Streams never call the session's send or
 * receive: they queue themselves to run, and the connection runs them
 * between reads and writes.
 *
 * A connection idle for a moment sleeps: its session is freed and made
 * again, level with the client, when the client sends more (h2_sleep(),
 * h2_wake()).
 */
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/shm.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/h2_head.h"
#include "worker/h2_int.h"
#include "worker/proto.h"
#include "worker/req.h"
#include "worker/req_int.h"

#define H2_PREFACE	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN	24
#define CONN_WINDOW	(16 * 1024 * 1024)	/* what all streams may
						   send before we read */
#define RUN_TURNS	8	/* read, run, write rounds a wakeup */
#define STREAMS_SLACK	128	/* streams libnghttp2 takes over the limit,
				   for us to refuse one by one */

#define TRIM_MS		1000	/* idle this long: asleep (h2_rest()) */
#define EMPTY_RATE	100	/* empty DATA frames a second, */
#define EMPTY_BURST	1000	/* and at once */

static enum step	h2_run(struct conn *);
static enum step	h2_timeout(struct conn *);
static void		h2_lost(struct conn *, const char *);
static void		h2_drain(struct conn *);
static void		h2_end(struct conn *);
static enum step	h2_unused(struct conn *, int, const char *);

const struct proto	proto_h2 = {
	.name = "h2",
	.run = h2_run,
	.timeout = h2_timeout,
	.lost = h2_lost,
	.drain = h2_drain,
	.end = h2_end,
	.fail = h2_unused,
};

static nghttp2_session_callbacks	*callbacks;
static nghttp2_option			*options;

/* ------------------------------------------------------- the preface --- */

/* Whether a complete first line does not end in an HTTP/1.x version. */
static bool
not_http1(const char *p, size_t len)
{
	const char	*eol = memchr(p, '\n', len);
	size_t		 n;

	if (eol == NULL)
		return false;
	n = (size_t)(eol - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n < 9 || memcmp(p + n - 9, " HTTP/1.", 8) != 0;
}

int
h2_preface(const struct conn *c, bool unreadable)
{
	const struct config	*cfg = c->w->env->cfg;
	size_t			 len;

	if (c->nrequests > 0 || !cfg->listeners[c->listen->listener]->http2)
		return -1;
	len = buf_len(c->in);
	if (unreadable)
		return not_http1(c->in->data + c->in->start, len) ? 2 : -1;
	if (memcmp(c->in->data + c->in->start, H2_PREFACE, len <
	    H2_PREFACE_LEN ? len : H2_PREFACE_LEN) != 0)
		return -1;
	return len >= H2_PREFACE_LEN ? 1 : 0;
}

/* ------------------------------------------------- running streams --- */

/* The connection comes back soon to write what its streams queued. */
static void
h2_kick(struct ev_loop *loop, void *arg)
{
	struct h2	*h2 = arg;

	conn_run(h2->c);
}

void
h2_schedule(struct h2 *h2)
{
	if (h2->kick.idx == 0 && !h2->dying)
		ev_timer_start(h2->c->w->loop, &h2->kick, 0, h2_kick, h2);
}

void
h2_queue(struct h2s *s)
{
	struct h2	*h2 = s->h2;

	if (s->queued || s->ended || h2->dying)
		return;
	s->queued = true;
	s->run_next = NULL;
	if (h2->run_tail != NULL)
		h2->run_tail->run_next = s;
	else
		h2->run_head = s;
	h2->run_tail = s;
	h2_schedule(h2);
}

void
h2_unqueue(struct h2s *s)
{
	struct h2	*h2 = s->h2;
	struct h2s	**pp;

	if (!s->queued)
		return;
	s->queued = false;
	h2->run_tail = NULL;
	for (pp = &h2->run_head; *pp != NULL; pp = &(*pp)->run_next) {
		if (*pp == s)
			*pp = s->run_next;
		if (*pp == NULL)
			break;
		h2->run_tail = *pp;
	}
}

/* Runs the streams queued now, once each; those they queue wait. */
static bool
h2_run_streams(struct h2 *h2)
{
	struct h2s	*s, *last = h2->run_tail;
	bool		 ran = false;

	while ((s = h2->run_head) != NULL) {
		h2->run_head = s->run_next;
		if (h2->run_head == NULL)
			h2->run_tail = NULL;
		s->queued = false;
		ran = true;
		conn_run(&s->c);
		if (s == last || h2->dying)
			break;
	}
	return ran;
}

/* ------------------------------------------------------ the streams --- */

void
h2s_free(struct h2s *s)
{
	h2_head_clear(&s->hd);
	buf_put(s->q);
	buf_put(s->trail);
	s->q = s->trail = NULL;
	ev_defer_free(s->c.w->loop, free, s);
}

/* Out of the session's list; freed once its conn is closed too. */
static void
h2s_forget(struct h2s *s)
{
	struct h2	*h2 = s->h2;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h2->streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	h2->nstreams--;
	s->closed = true;
}

static struct h2s *
h2s_new(struct h2 *h2, int32_t id)
{
	struct conn	*pc = h2->c;
	struct h2s	*s;
	struct conn	*c;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	c = &s->c;
	/* c.out holds the cookie crumbs, then the response head. */
	if ((c->in = buf_get()) == NULL || (c->out = buf_get()) == NULL) {
		buf_put(c->in);
		free(s);
		return NULL;
	}
	h2_head_init(&s->hd, c->in->data, sizeof(c->in->data), c->out->data,
	    sizeof(c->out->data), G(pc)->h2_max_header_list);
	s->h2 = h2;
	s->id = id;
	c->w = pc->w;
	c->id = pc->id;
	c->fd = -1;
	c->state = CONN_ACTIVE;
	c->peer = pc->peer;
	c->listen = pc->listen;
	c->proto = &proto_h2s;
	c->parent = pc;
	c->stream_id = (uint32_t)id;
	s->next = h2->streams;
	if (h2->streams != NULL)
		h2->streams->prev = s;
	h2->streams = s;
	h2->nstreams++;
	/* A header block still arriving is under the header timer. */
	conn_wait(c, WAIT_HEADER);
	return s;
}

/*
 * Stream ids the client opened, below its newest: the ones it skipped
 * are closed for good (RFC 9113 5.1.1), and HEADERS on one is a
 * connection error. libnghttp2 lets them pass, unable to tell them from
 * trailers sent on a stream it reset; this remembers the last
 * ID_WINDOW ids to tell.
 */
static bool
id_seen(const struct h2 *h2, int32_t id)
{
	uint32_t	bit = ((uint32_t)id >> 1) % (ID_WINDOW / 2);

	return (h2->seen[bit / 64] >> (bit % 64)) & 1;
}

static void
id_open(struct h2 *h2, int32_t id)
{
	uint32_t	bit;

	for (int32_t k = h2->last_id + 2; k < id && id - k < ID_WINDOW;
	    k += 2) {
		bit = ((uint32_t)k >> 1) % (ID_WINDOW / 2);
		h2->seen[bit / 64] &= ~((uint64_t)1 << (bit % 64));
	}
	bit = ((uint32_t)id >> 1) % (ID_WINDOW / 2);
	h2->seen[bit / 64] |= (uint64_t)1 << (bit % 64);
	if (id > h2->last_id)
		h2->last_id = id;
}

static int
on_begin_frame(nghttp2_session *ses, const nghttp2_frame_hd *hd, void *arg)
{
	struct h2	*h2 = arg;
	int32_t		 id = hd->stream_id;

	if (h2->replay || hd->type != NGHTTP2_HEADERS || !(id & 1))
		return 0;
	if (id < h2->last_id && h2->last_id - id < ID_WINDOW &&
	    !id_seen(h2, id))
		nghttp2_session_terminate_session(ses, NGHTTP2_PROTOCOL_ERROR);
	/* A new id is used, even if the stream is refused (and the ids
	 * below it skipped are closed for good). */
	else if (id > h2->last_id)
		id_open(h2, id);
	return 0;
}

static int
on_begin_headers(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct h2	*h2 = arg;
	const struct cfg_global *g = G(h2->c);
	struct h2s	*s;

	if (h2->replay || f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2->resting = false;
	/* One stream over the limit is refused, not the connection. */
	if (h2->goaway || h2->nstreams >= g->h2_max_streams) {
		nghttp2_submit_rst_stream(ses, NGHTTP2_FLAG_NONE,
		    f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	if ((s = h2s_new(h2, f->hd.stream_id)) == NULL) {
		nghttp2_submit_rst_stream(ses, NGHTTP2_FLAG_NONE,
		    f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	nghttp2_session_set_stream_user_data(ses, f->hd.stream_id, s);
	/* Stream ids are bounded as requests on a connection are. */
	if (++h2->nrequests >= (uint32_t)g->keepalive_requests ||
	    h2->c->w->draining) {
		h2->goaway = true;
		nghttp2_submit_goaway(ses, NGHTTP2_FLAG_NONE, f->hd.stream_id,
		    NGHTTP2_NO_ERROR, NULL, 0);
	}
	return 0;
}

static int
on_header(nghttp2_session *ses, const nghttp2_frame *f, nghttp2_rcbuf *name,
    nghttp2_rcbuf *value, uint8_t flags, void *arg)
{
	struct h2s	*s;

	if (!((struct h2 *)arg)->replay &&
	    f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    (s = nghttp2_session_get_stream_user_data(ses,
	    f->hd.stream_id)) != NULL)
		h2_head_field(&s->hd, name, value);
	/* Trailers of a request are not passed on. */
	return 0;
}

/* The whole head is here: the end of its HTTP/1.1 form, and a request. */
static void
h2s_head_done(struct h2s *s, bool end_stream)
{
	struct conn	*c = &s->c;

	c->in->end = h2_head_end(&s->hd, end_stream);
	s->head_len = (uint32_t)c->in->end;
	s->head_done = true;
	c->client_eof = end_stream;
	if ((c->req = req_new(ev_now(c->w->loop))) == NULL &&
	    s->hd.bad_status == 0) {
		s->hd.bad_status = 503;
		s->hd.bad_why = "out of memory for a request";
	}
	h2_queue(s);
}

/* Takes one token; false when none is left (refilled at rate a second). */
static bool
bucket_take(struct bucket *b, int64_t now, double rate, double burst)
{
	if (b->at_ms == 0)
		b->tokens = burst;
	else
		b->tokens += (double)(now - b->at_ms) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

/* The client's SETTINGS, kept for a session made while it sleeps. */
static void
peer_settings(struct h2 *h2, const nghttp2_settings *f)
{
	for (size_t i = 0; i < f->niv; i++)
		if (f->iv[i].settings_id > 0 &&
		    f->iv[i].settings_id < H2_NSETTINGS) {
			h2->peer[f->iv[i].settings_id] = f->iv[i].value;
			h2->peer_set |= (uint16_t)(1u << f->iv[i].settings_id);
		}
}

/*
 * An attack, or what cannot be told from one: one line for the
 * connection, which is told with GOAWAY and closed.
 */
static void
h2_refuse(struct h2 *h2, uint32_t code, const char *what)
{
	if (!h2->warned)
		log_warn("conn=%llu %s HTTP/2: %s; connection closed",
		    (unsigned long long)h2->c->id, peer_name(h2->c), what);
	h2->warned = true;
	h2->goaway = true;
	nghttp2_session_terminate_session(h2->ses, code);
}

/*
 * Window given back for the request body bytes the request has passed
 * on: what the client may send then always fits c.in, above the head.
 */
void
h2s_credit(struct h2s *s)
{
	struct buf	*in = s->c.in;
	size_t		 from, held;
	uint64_t	 k;

	if (s->closed || s->h2->dying)
		return;
	if (in == NULL)
		held = 0;
	else {
		from = in->start > s->head_len ? in->start : s->head_len;
		held = in->end > from ? in->end - from : 0;
	}
	if (s->body_in - s->body_given <= held)
		return;
	k = s->body_in - s->body_given - held;
	s->body_given += k;
	nghttp2_session_consume_stream(s->h2->ses, s->id, (size_t)k);
	h2_schedule(s->h2);
}

static int
on_data(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *p,
    size_t len, void *arg)
{
	struct h2	*h2 = arg;
	struct h2s	*s = nghttp2_session_get_stream_user_data(ses, id);
	struct buf	*in;

	if (h2->replay)
		return 0;
	nghttp2_session_consume_connection(ses, len);
	if (s == NULL)
		return 0;
	s->body_in += len;
	if ((in = s->c.in) == NULL || s->c.req == NULL) {
		/* Answered already: dropped, and the window given back. */
		h2s_credit(s);
		return 0;
	}
	/* The head stays at the front, parsed or not (in_pin()). */
	buf_compact_above(in, s->head_len);
	if (buf_room(in) < len) {
		log_warn("conn=%llu stream %d: request body over its window",
		    (unsigned long long)h2->c->id, id);
		nghttp2_submit_rst_stream(ses, NGHTTP2_FLAG_NONE, id,
		    NGHTTP2_FLOW_CONTROL_ERROR);
		return 0;
	}
	memcpy(in->data + in->end, p, len);
	in->end += len;
	if (s->want & EPOLLIN)
		h2_queue(s);
	return 0;
}

static int
on_frame_recv(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct h2	*h2 = arg;
	struct h2s	*s;
	bool		 es = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
	int64_t		 now = ev_now(h2->c->w->loop);
	uint32_t	 rate = G(h2->c)->h2_max_resets;

	if (h2->replay)
		return 0;
	if (f->hd.type == NGHTTP2_SETTINGS) {
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			peer_settings(h2, &f->settings);
		else if (h2->unacked > 0)
			h2->unacked--;
		return 0;
	}
	/* Rapid reset (CVE-2023-44487): streams opened to be cancelled. */
	if (f->hd.type == NGHTTP2_RST_STREAM && !h2->warned &&
	    !bucket_take(&h2->resets, now, rate, rate)) {
		h2_refuse(h2, NGHTTP2_ENHANCE_YOUR_CALM, "more stream resets "
		    "than http2_max_resets a second (rapid reset)");
		return 0;
	}
	/* Empty DATA frames cost as much as full ones, and carry nothing. */
	if (f->hd.type == NGHTTP2_DATA && f->hd.length == 0 && !es &&
	    !h2->warned && !bucket_take(&h2->empty, now, EMPTY_RATE,
	    EMPTY_BURST)) {
		h2_refuse(h2, NGHTTP2_ENHANCE_YOUR_CALM, "flood of empty DATA "
		    "frames");
		return 0;
	}
	if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
	    (s = nghttp2_session_get_stream_user_data(ses,
	    f->hd.stream_id)) == NULL)
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST) {
		h2s_head_done(s, es);
		return 0;
	}
	if (es) {
		s->c.client_eof = true;
		if (s->want & EPOLLIN)
			h2_queue(s);
	}
	return 0;
}

/*
 * The session closed a stream: done, or reset by the client (a cancel,
 * a browser leaving the page) with its request still in progress.
 */
static int
on_stream_close(nghttp2_session *ses, int32_t id, uint32_t err, void *arg)
{
	struct h2s	*s = nghttp2_session_get_stream_user_data(ses, id);

	if (s == NULL || ((struct h2 *)arg)->replay)
		return 0;
	nghttp2_session_set_stream_user_data(ses, id, NULL);
	s->c.why = "stream closed";
	h2_unqueue(s);
	h2s_forget(s);
	if (s->ended) {
		h2s_free(s);
		return 0;
	}
	if (s->c.req != NULL && s->c.req->parsed)
		client_failed(&s->c, CNT_CLIENT_ABORTS,
		    err == NGHTTP2_NO_ERROR ? "stream closed by the client" :
		    "stream reset by the client",
		    nghttp2_http2_strerror(err));
	conn_result(&s->c, STEP_CLOSE);
	return 0;
}

/*
 * A frame went out. After a whole response, a client still sending its
 * request body is told to stop (RFC 9113 8.1); a GOAWAY for an attack
 * is logged, once for the connection.
 */
static int
on_frame_send(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct h2	*h2 = arg;
	struct h2s	*s;

	if (h2->replay)
		return 0;
	if (f->hd.type == NGHTTP2_GOAWAY &&
	    f->goaway.error_code != NGHTTP2_NO_ERROR && !h2->warned) {
		h2->warned = true;
		log_warn("conn=%llu %s HTTP/2 connection ended: %s",
		    (unsigned long long)h2->c->id, peer_name(h2->c),
		    nghttp2_http2_strerror(f->goaway.error_code));
		return 0;
	}
	if (f->hd.type == NGHTTP2_DATA &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (s = nghttp2_session_get_stream_user_data(ses,
	    f->hd.stream_id)) != NULL && !s->c.client_eof)
		nghttp2_submit_rst_stream(ses, NGHTTP2_FLAG_NONE,
		    f->hd.stream_id, NGHTTP2_NO_ERROR);
	return 0;
}

/* ----------------------------------------------------- the session --- */

static int
h2_setup(const struct cfg_global *g)
{
	if (callbacks != NULL)
		return 0;
	if (nghttp2_session_callbacks_new(&callbacks) != 0 ||
	    nghttp2_option_new(&options) != 0)
		return -1;
	nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks,
	    on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
	    on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback2(callbacks,
	    on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
	    on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
	    on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
	    on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(callbacks,
	    on_frame_send);
	/* Request bodies are taken as the upstream takes them. */
	nghttp2_option_set_no_auto_window_update(options, 1);
	/*
	 * Response fields are sent from the static table or as literals,
	 * as nginx and HAProxy do: no dynamic table to search, fill and
	 * keep for each connection, for a few bytes a response.
	 */
	nghttp2_option_set_max_deflate_dynamic_table_size(options, 0);
	nghttp2_option_set_max_continuations(options,
	    g->h2_max_continuations);
	/* Its own limit stays behind ours, which logs what it refuses. */
	nghttp2_option_set_stream_reset_rate_limit(options,
	    2 * (uint64_t)g->h2_max_resets, 2 * (uint64_t)g->h2_max_resets);
	return 0;
}

/* The session goes, and with it its arena: kept for the next, or not. */
static void
h2_close_session(struct h2 *h2, bool keep)
{
	if (h2->ses != NULL)
		nghttp2_session_del(h2->ses);
	h2->ses = NULL;
	h2_mem_release(h2, keep);
}

/* A session, with our SETTINGS and connection window submitted. */
static int
h2_open(struct h2 *h2)
{
	const struct cfg_global	*g = G(h2->c);
	nghttp2_settings_entry	 iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
		    g->h2_max_streams + STREAMS_SLACK },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, g->h2_window },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
		    g->h2_max_header_list },
		{ NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1 },
	};
	nghttp2_mem		 mem = h2_mem(h2);

	if (nghttp2_session_server_new3(&h2->ses, callbacks, h2, options,
	    &mem) != 0) {
		h2->ses = NULL;
		h2_mem_release(h2, true);
		return -1;
	}
	if (nghttp2_submit_settings(h2->ses, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0 ||
	    nghttp2_session_set_local_window_size(h2->ses, NGHTTP2_FLAG_NONE,
	    0, CONN_WINDOW) != 0) {
		h2_close_session(h2, true);
		return -1;
	}
	h2->unacked = 1;
	return 0;
}

static struct h2 *
h2_new(struct conn *c)
{
	struct h2	*h2;

	if (h2_setup(G(c)) == -1 || (h2 = calloc(1, sizeof(*h2))) == NULL)
		return NULL;
	h2->c = c;
	if (h2_open(h2) == -1) {
		free(h2);
		return NULL;
	}
	c->pdata = h2;
	h2->patch = true;
	h2->fskip = H2_PREFACE_LEN;	/* the client's preface comes first */
	/* Frames of many streams share the socket: none waits on another's
	 * acknowledgement (Nagle). */
	conn_nodelay(c);
	/* Whatever came with the handshake is read now. */
	c->client_readable = true;
	log_debug("conn=%llu %s HTTP/2", (unsigned long long)c->id,
	    peer_name(c));
	return h2;
}

/*
 * What the session refused in the client's bytes: floods are logged as
 * the attacks they are, once; other errors at info (broken clients).
 */
/*
 * A GOAWAY of our own into c->out, with no session to write it (given
 * up, or asleep), unless part of a frame is still to go.
 */
static void
h2_goaway_raw(struct h2 *h2, uint32_t code)
{
	struct buf	*o = h2->c->out != NULL ? h2->c->out :
			    (h2->c->out = buf_get());
	unsigned char	 f[17] = { 0, 0, 8, NGHTTP2_GOAWAY };

	if (h2->pend_len > 0 || o == NULL)
		return;
	buf_compact(o);
	if (buf_room(o) < sizeof(f))
		return;
	for (int i = 0; i < 4; i++) {
		f[9 + i] = (unsigned char)((uint32_t)h2->last_id >>
		    (24 - 8 * i));
		f[13 + i] = (unsigned char)(code >> (24 - 8 * i));
	}
	buf_append(o, (const char *)f, sizeof(f));
}

static void
h2_recv_error(struct h2 *h2, int rv)
{
	const char	*what = NULL;
	uint32_t	 code = NGHTTP2_PROTOCOL_ERROR;

	/* The session is done: the client is told with a GOAWAY. */
	h2->fatal = true;
	if (rv == NGHTTP2_ERR_FLOODED ||
	    rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
		code = NGHTTP2_ENHANCE_YOUR_CALM;
	h2_goaway_raw(h2, code);
	if (h2->warned)
		return;
	h2->warned = true;
	switch (rv) {
	case NGHTTP2_ERR_FLOODED:
		what = "flood of frames that need an answer (SETTINGS, PING)";
		break;
	case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
		what = "more CONTINUATION frames than http2_max_continuations "
		    "(CONTINUATION flood)";
		break;
	case NGHTTP2_ERR_TOO_MANY_SETTINGS:
		what = "too many settings in one SETTINGS frame";
		break;
	}
	if (what != NULL)
		log_warn("conn=%llu %s HTTP/2: %s; connection closed",
		    (unsigned long long)h2->c->id, peer_name(h2->c), what);
	else
		log_info("conn=%llu %s HTTP/2 error: %s",
		    (unsigned long long)h2->c->id, peer_name(h2->c),
		    nghttp2_strerror(rv));
}

/*
 * The client's bytes as frames: libnghttp2 takes them all and keeps a
 * frame in part to itself, which a session put to sleep would lose.
 */
static void
h2_frames_seen(struct h2 *h2, const uint8_t *p, size_t n)
{
	size_t	take;

	while (n > 0) {
		if (h2->fskip > 0) {
			take = n < h2->fskip ? n : h2->fskip;
			h2->fskip -= (uint32_t)take;
			p += take;
			n -= take;
			continue;
		}
		take = 9 - h2->fhdr_len;
		if (take > n)
			take = n;
		memcpy(h2->fhdr + h2->fhdr_len, p, take);
		h2->fhdr_len += (uint8_t)take;
		p += take;
		n -= take;
		if (h2->fhdr_len < 9)
			break;
		h2->fhdr_len = 0;
		h2->fskip = (uint32_t)h2->fhdr[0] << 16 |
		    (uint32_t)h2->fhdr[1] << 8 | h2->fhdr[2];
		if (h2->fhdr[3] == NGHTTP2_HEADERS ||
		    h2->fhdr[3] == NGHTTP2_PUSH_PROMISE ||
		    h2->fhdr[3] == NGHTTP2_CONTINUATION)
			h2->fcont = !(h2->fhdr[4] & NGHTTP2_FLAG_END_HEADERS);
	}
}

/* The client's bytes into the session. -1: the connection ends. */
static int
h2_read(struct conn *c, struct h2 *h2, bool *moved)
{
	ssize_t	n, rv;

	if (c->in == NULL && (c->in = buf_get()) == NULL) {
		c->why = "out of memory for a buffer";
		return -1;
	}
	c->client_readable = false;
	for (int i = 0; i < 4; i++) {
		bool	all = false;	/* what the socket had is read */

		if (buf_len(c->in) == 0) {
			size_t	room = buf_room(c->in);

			n = read_into(c->fd, c->ssl, c->in, 0);
			if (n == -2)
				return 0;
			if (n <= 0) {
				c->client_eof = true;
				c->why = n == 0 ? "client closed" :
				    "client read error";
				return -1;
			}
			counter_add(CNT(c), CNT_BYTES_IN, (uint64_t)n);
			/*
			 * A short read took all there was: the next read
			 * would only say so (OpenSSL, reading ahead, may
			 * hold more than a record, and says so itself).
			 */
			all = c->ssl != NULL ? !SSL_has_pending(c->ssl) :
			    (size_t)n < room;
		}
		rv = nghttp2_session_mem_recv(h2->ses, (const uint8_t *)
		    c->in->data + c->in->start, buf_len(c->in));
		if (rv < 0) {
			h2_recv_error(h2, (int)rv);
			c->why = "HTTP/2 protocol error";
			return -1;
		}
		h2_frames_seen(h2, (const uint8_t *)c->in->data +
		    c->in->start, buf_len(c->in));
		c->in->start = c->in->end = 0;
		*moved = true;
		if (all)
			break;
	}
	return 0;
}

/*
 * The first frame out is our SETTINGS, which gives libnghttp2 a limit of
 * streams above http2_max_concurrent_streams: the client is told the
 * limit itself. Past an acknowledged limit, the library would end the
 * whole connection; RFC 9113 5.1.2 wants the stream refused, which
 * on_begin_headers() does.
 */
static void
settings_patch(struct h2 *h2, char *p, size_t len)
{
	uint32_t	v = G(h2->c)->h2_max_streams;

	h2->patch = false;
	if (len < 9 || p[3] != NGHTTP2_SETTINGS)
		return;
	for (size_t i = 9; i + 6 <= len; i += 6)
		if (p[i] == 0 &&
		    p[i + 1] == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
			p[i + 2] = (char)(v >> 24);
			p[i + 3] = (char)(v >> 16);
			p[i + 4] = (char)(v >> 8);
			p[i + 5] = (char)v;
		}
}

/*
 * The session's frames out: into c->out, then to the socket. -1: the
 * connection ends; *blocked: the socket is full.
 */
static int
h2_write(struct conn *c, struct h2 *h2, bool *blocked, bool *moved)
{
	ssize_t		n;
	size_t		take;
	const uint8_t	*p;

	*blocked = false;
	if (c->out == NULL && (c->out = buf_get()) == NULL) {
		c->why = "out of memory for a buffer";
		return -1;
	}
	for (;;) {
		buf_compact(c->out);
		while (buf_room(c->out) > 0 && !h2->fatal) {
			if (h2->pend_len == 0) {
				n = nghttp2_session_mem_send(h2->ses, &p);
				if (n < 0) {
					c->why = "HTTP/2 session error";
					return -1;
				}
				if (n == 0)
					break;
				h2->pend = p;
				h2->pend_len = (size_t)n;
			}
			take = h2->pend_len < buf_room(c->out) ? h2->pend_len :
			    buf_room(c->out);
			buf_append(c->out, (const char *)h2->pend, take);
			if (h2->patch && take == h2->pend_len)
				settings_patch(h2, c->out->data + c->out->end -
				    take, take);
			h2->pend += take;
			h2->pend_len -= take;
		}
		if (buf_len(c->out) == 0)
			return 0;
		if (send_two(c->fd, c->ssl, &c->tls_stuck, c->out, NULL, 0,
		    blocked, NULL) == -1) {
			c->why = "client write error";
			return -1;
		}
		*moved = true;
		if (*blocked)
			return 0;
	}
}

/* ---------------------------------------------------------- asleep --- */

/* Between reads and writes the connection holds no buffer. */
static void
h2_bufs_put(struct conn *c, struct h2 *h2)
{
	if (c->in != NULL && buf_len(c->in) == 0) {
		buf_put(c->in);
		c->in = NULL;
	}
	if (c->out != NULL && buf_len(c->out) == 0 && h2->pend_len == 0) {
		buf_put(c->out);
		c->out = NULL;
	}
}

/*
 * An idle connection sleeps: its session (some 10K of stream map, HPACK
 * tables and frame buffer) is freed, to be made again when the client
 * sends more. Only when nothing is owed either way, all of the client's
 * window is given back, and its HPACK table for us is empty: a new
 * session's decoder then agrees with its encoder.
 */
static bool
h2_sleep(struct conn *c, struct h2 *h2)
{
	nghttp2_session	*ses = h2->ses;

	h2_bufs_put(c, h2);
	if (ses == NULL || h2->nstreams > 0 || h2->goaway || h2->fatal ||
	    h2->unacked > 0 || c->in != NULL || c->out != NULL ||
	    h2->fskip > 0 || h2->fhdr_len > 0 || h2->fcont ||
	    nghttp2_session_want_write(ses) ||
	    nghttp2_session_get_hd_inflate_dynamic_table_size(ses) > 0 ||
	    nghttp2_session_get_effective_recv_data_length(ses) > 0)
		return false;
	h2->peer_window = nghttp2_session_get_remote_window_size(ses);
	h2_close_session(h2, false);
	h2->resting = false;
	log_debug("conn=%llu %s HTTP/2 idle: session put to sleep",
	    (unsigned long long)c->id, peer_name(c));
	return true;
}

/*
 * Idle a moment: the frame buffer's pages go back, and the connection
 * sleeps, now or once the client has emptied its HPACK table as asked
 * (a SETTINGS_HEADER_TABLE_SIZE of 0, then the size again: RFC 7541
 * 4.2 has its encoder say the smaller). -1: the connection ends.
 */
static int
h2_rest(struct conn *c, struct h2 *h2)
{
	nghttp2_settings_entry	 empty = { NGHTTP2_SETTINGS_HEADER_TABLE_SIZE,
				    0 };
	nghttp2_settings_entry	 again = { NGHTTP2_SETTINGS_HEADER_TABLE_SIZE,
				    NGHTTP2_DEFAULT_HEADER_TABLE_SIZE };
	int32_t			 n;
	bool			 blocked, moved;

	if (h2->nstreams > 0 || h2->goaway || h2->fatal)
		return 0;
	h2->resting = true;
	n = nghttp2_session_get_effective_recv_data_length(h2->ses);
	if (n > 0)
		nghttp2_submit_window_update(h2->ses, NGHTTP2_FLAG_NONE, 0, n);
	if (h2->unacked == 0 &&
	    nghttp2_session_get_hd_inflate_dynamic_table_size(h2->ses) > 0 &&
	    nghttp2_submit_settings(h2->ses, NGHTTP2_FLAG_NONE, &empty,
	    1) == 0) {
		h2->unacked++;
		if (nghttp2_submit_settings(h2->ses, NGHTTP2_FLAG_NONE, &again,
		    1) == 0)
			h2->unacked++;
	}
	if (h2_write(c, h2, &blocked, &moved) == -1)
		return -1;
	if (blocked)
		set_client_events(c, EPOLLIN | EPOLLOUT);
	else
		h2_sleep(c, h2);
	return 0;
}

static uint8_t *
put_frame(uint8_t *p, size_t len, uint8_t type, uint8_t flags, int32_t id)
{
	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	p[3] = type;
	p[4] = flags;
	for (int i = 0; i < 4; i++)
		p[5 + i] = (uint8_t)((uint32_t)id >> (24 - 8 * i));
	return p + 9;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
	return p + 4;
}

/* The bytes of a response no one sees: zeros, as many as asked. */
static ssize_t
replay_body(nghttp2_session *ses, int32_t id, uint8_t *p, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	size_t	*left = src->ptr;

	if (len > *left)
		len = *left;
	memset(p, 0, len);
	*left -= len;
	if (*left == 0)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)len;
}

/* Frames a new session reads as the client's; what it answers is known. */
static int
h2_replay(struct h2 *h2, const uint8_t *b, const uint8_t *end)
{
	const uint8_t	*q;
	ssize_t		 n;

	if (nghttp2_session_mem_recv(h2->ses, b, (size_t)(end - b)) !=
	    end - b)
		return -1;
	while ((n = nghttp2_session_mem_send(h2->ses, &q)) > 0)
		;
	return n == 0 ? 0 : -1;
}

/* The client's SETTINGS, as a frame; iws: its initial window instead. */
static uint8_t *
put_settings(uint8_t *p, const struct h2 *h2, int64_t iws)
{
	uint8_t	*f = p + 9;

	for (int id = 1; id < H2_NSETTINGS; id++)
		if (h2->peer_set & (1u << id)) {
			*f++ = 0;
			*f++ = (uint8_t)id;
			f = put32(f, iws >= 0 &&
			    id == NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE ?
			    (uint32_t)iws : h2->peer[id]);
		}
	put_frame(p, (size_t)(f - p - 9), NGHTTP2_SETTINGS, 0, 0);
	return f;
}

/*
 * The client sends again: a new session, brought to where the last one
 * stopped by frames as from the client:
 *  - the preface with its SETTINGS, and its acknowledgement of ours;
 *  - the window it had given us to send: a WINDOW_UPDATE for more than
 *    a new connection's, or for less, a response of as many bytes on
 *    its newest stream (its stream window opened for the time), which
 *    go nowhere;
 *  - HEADERS and RST_STREAM on that newest stream id, so that the ids
 *    below it are closed (a late WINDOW_UPDATE on one is no error).
 * The request and the response are both in the static table, which
 * leaves the new HPACK tables empty, as the client's are.
 */
static int
h2_wake(struct conn *c, struct h2 *h2)
{
	static const uint8_t	 req[] = {
		0x82, 0x87, 0x84,	/* GET https / */
		0x01, 0x01, 'x',	/* :authority x, not indexed */
	};
	static const nghttp2_nv	 status = { (uint8_t *)":status",
				    (uint8_t *)"200", 7, 3,
				    NGHTTP2_NV_FLAG_NONE };
	uint8_t			 b[H2_PREFACE_LEN + 2 * (9 + 6 *
				    H2_NSETTINGS) + 9 + 13 + 9 + sizeof(req) +
				    13], *p;
	int32_t			 win = NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE;
	size_t			 owed = h2->peer_window < win ?
				    (size_t)(win - h2->peer_window) : 0;
	nghttp2_data_provider	 body = { .source.ptr = &owed,
				    .read_callback = replay_body };
	bool			 opened = owed > 0 && (h2->peer_set &
				    (1u << NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE));
	int			 rv;

	if (h2_open(h2) == -1)
		return -1;
	h2->replay = true;
	memcpy(b, H2_PREFACE, H2_PREFACE_LEN);
	p = put_settings(b + H2_PREFACE_LEN, h2, opened ? win : -1);
	p = put_frame(p, 0, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0);
	if (h2->peer_window > win) {
		p = put_frame(p, 4, NGHTTP2_WINDOW_UPDATE, 0, 0);
		p = put32(p, (uint32_t)(h2->peer_window - win));
	}
	if (h2->last_id > 0) {
		p = put_frame(p, sizeof(req), NGHTTP2_HEADERS,
		    NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS,
		    h2->last_id);
		memcpy(p, req, sizeof(req));
		p += sizeof(req);
	}
	rv = h2_replay(h2, b, p);
	if (rv == 0 && owed > 0 && h2->last_id > 0)
		rv = nghttp2_submit_response(h2->ses, h2->last_id, &status, 1,
		    &body) == 0 && h2_replay(h2, b, b) == 0 && owed == 0 ?
		    0 : -1;
	p = b;
	if (opened)
		p = put_settings(p, h2, -1);
	if (h2->last_id > 0) {
		p = put_frame(p, 4, NGHTTP2_RST_STREAM, 0, h2->last_id);
		p = put32(p, NGHTTP2_CANCEL);
	}
	if (rv == 0)
		rv = h2_replay(h2, b, p);
	h2->replay = false;
	h2->unacked = 0;
	if (rv == -1) {
		h2_close_session(h2, true);
		c->why = "HTTP/2 session could not be made again";
		return -1;
	}
	log_debug("conn=%llu %s HTTP/2 session awake",
	    (unsigned long long)c->id, peer_name(c));
	return 0;
}

/*
 * Asleep and told to go (a reload, the idle timeout): the GOAWAY of
 * h2_goaway_raw() out, then the close, with no session made for it.
 */
static enum step
h2_goodbye(struct conn *c)
{
	bool	blocked = false;

	if (c->out != NULL && buf_len(c->out) > 0 && send_two(c->fd, c->ssl,
	    &c->tls_stuck, c->out, NULL, 0, &blocked, NULL) == -1) {
		c->why = "client write error";
		return STEP_CLOSE;
	}
	if (blocked) {
		set_client_events(c, EPOLLIN | EPOLLOUT);
		if (c->wait != WAIT_SEND)
			conn_wait(c, WAIT_SEND);
		return STEP_WAIT;
	}
	if (c->why == NULL)
		c->why = "HTTP/2 connection done (GOAWAY)";
	return conn_linger(c);
}

/* ------------------------------------------------------------ steps --- */

/*
 * One step of the connection: what the client sent, the streams it
 * woke, what they answered; rounds while something moves, a few at most
 * before others' turn.
 */
static enum step
h2_run(struct conn *c)
{
	struct h2	*h2 = c->pdata;
	bool		 moved, blocked = false, wrote = false;
	uint32_t	 ev;

	if (h2 == NULL && (h2 = h2_new(c)) == NULL) {
		c->why = "out of memory for HTTP/2";
		return STEP_CLOSE;
	}
	if (h2->ses == NULL) {
		if (h2->goaway)
			return h2_goodbye(c);
		if (!c->client_readable)
			return STEP_WAIT;	/* asleep */
		if (h2_wake(c, h2) == -1)
			return STEP_CLOSE;
	}
	for (int turn = 0; turn < RUN_TURNS; turn++) {
		moved = false;
		if ((c->client_readable || (c->in != NULL &&
		    buf_len(c->in) > 0)) &&
		    h2_read(c, h2, &moved) == -1) {
			/* What the session still owes goes out first. */
			h2_write(c, h2, &blocked, &moved);
			/* Read on, or a reset would destroy the GOAWAY. */
			return h2->fatal ? conn_linger(c) : STEP_CLOSE;
		}
		if (h2_run_streams(h2))
			moved = true;
		if (h2_write(c, h2, &blocked, &moved) == -1)
			return STEP_CLOSE;
		if (moved)
			wrote = true;
		if (!moved || blocked)
			break;
	}
	if (!nghttp2_session_want_read(h2->ses) &&
	    !nghttp2_session_want_write(h2->ses) && buf_len(c->out) == 0) {
		c->why = h2->goaway ? "HTTP/2 connection done" :
		    "HTTP/2 session ended";
		return conn_linger(c);
	}
	if (h2->goaway && h2->nstreams == 0 && buf_len(c->out) == 0 &&
	    h2->pend_len == 0) {
		c->why = "HTTP/2 connection done (GOAWAY)";
		return conn_linger(c);
	}
	h2_bufs_put(c, h2);
	ev = EPOLLIN;
	if (blocked)
		ev |= EPOLLOUT;
	set_client_events(c, ev);
	if (blocked) {
		if (wrote || c->wait != WAIT_SEND)
			conn_wait(c, WAIT_SEND);
	} else if (h2->nstreams == 0) {
		/* Idle: a moment, then asleep (h2_rest()), then the rest
		 * of http2_idle_timeout. */
		if (h2->resting && h2->unacked == 0)
			h2_sleep(c, h2);
		if (c->wait != WAIT_IDLE || wrote) {
			h2->idle_since_ms = ev_now(c->w->loop);
			conn_wait_ms(c, WAIT_IDLE, h2->ses != NULL &&
			    TRIM_MS < G(c)->h2_idle_timeout_ms ? TRIM_MS :
			    G(c)->h2_idle_timeout_ms);
		}
	} else if (c->wait != WAIT_IDLE)
		ev_timer_stop(c->w->loop, &c->timer);
	/* With streams open, an idle timer left armed does nothing when it
	 * comes: moving it on each request costs less than stopping it. */
	return STEP_WAIT;
}

static enum step
h2_timeout(struct conn *c)
{
	struct h2	*h2 = c->pdata;
	bool		 blocked, moved;
	int64_t		 left;

	if (c->wait == WAIT_SEND || h2 == NULL) {
		counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
		c->why = "client send timeout";
		return STEP_CLOSE;
	}
	if (h2->nstreams > 0)
		return STEP_WAIT;	/* not idle: h2_run() sets it again */
	left = G(c)->h2_idle_timeout_ms - (ev_now(c->w->loop) -
	    h2->idle_since_ms);
	if (left > 0) {
		if (h2->ses != NULL && h2_rest(c, h2) == -1)
			return STEP_CLOSE;
		conn_wait_ms(c, WAIT_IDLE, left);
		return STEP_WAIT;
	}
	/* Idle: told so, then closed. */
	if (h2->ses == NULL) {
		h2->goaway = true;
		h2_goaway_raw(h2, NGHTTP2_NO_ERROR);
		c->why = "HTTP/2 idle timeout";
		return h2_goodbye(c);
	}
	h2->goaway = true;
	nghttp2_session_terminate_session(h2->ses, NGHTTP2_NO_ERROR);
	h2_write(c, h2, &blocked, &moved);
	c->why = "HTTP/2 idle timeout";
	return conn_linger(c);
}

/* The client is gone: every stream in progress with it. */
static void
h2_lost(struct conn *c, const char *why)
{
	struct h2	*h2 = c->pdata;

	if (h2 == NULL)
		return;
	for (struct h2s *s = h2->streams; s != NULL; s = s->next)
		if (s->c.req != NULL && s->c.req->parsed && !s->ended)
			client_failed(&s->c, CNT_CLIENT_ABORTS, why, NULL);
}

/* Graceful stop: GOAWAY; the streams begun finish, then the close. */
static void
h2_drain(struct conn *c)
{
	struct h2	*h2 = c->pdata;

	if (h2 == NULL || h2->goaway)
		return;
	if (h2->ses == NULL) {
		/* Asleep: no session made only to say goodbye. */
		h2->goaway = true;
		h2_goaway_raw(h2, NGHTTP2_NO_ERROR);
		h2_schedule(h2);
		return;
	}
	h2->goaway = true;
	nghttp2_submit_goaway(h2->ses, NGHTTP2_FLAG_NONE,
	    nghttp2_session_get_last_proc_stream_id(h2->ses),
	    NGHTTP2_NO_ERROR, NULL, 0);
	h2_schedule(h2);
}

static void
h2_end(struct conn *c)
{
	struct h2	*h2 = c->pdata;
	struct h2s	*s;

	if (h2 == NULL)
		return;
	if (c->why != NULL && h2->nstreams > 0)
		h2_lost(c, c->why);
	h2->dying = true;
	ev_timer_stop(c->w->loop, &h2->kick);
	while ((s = h2->streams) != NULL) {
		h2s_forget(s);
		if (!s->ended)
			conn_result(&s->c, STEP_CLOSE);
		h2s_free(s);
	}
	h2_close_session(h2, true);
	free(h2);
	c->pdata = NULL;
}

/* The connection has no request of its own to fail. */
static enum step
h2_unused(struct conn *c, int status, const char *why)
{
	c->why = why;
	return STEP_CLOSE;
}

