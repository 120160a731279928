/*
 * The client connection state machine. conn_run() drives it until a step
 * must wait for I/O or a timer, or the connection is finished; every wait
 * has a timer. Bodies stream through fixed buffers in both directions:
 * Content-Length bodies pass through untouched (head and first bytes leave
 * in one writev), chunked ones are decoded and re-framed, so what reaches
 * the other side is always framed by frontd itself. The upstream side of
 * a request is in proxy.c, the response body's way in body.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/log.h"
#include "common/route.h"
#include "common/tls.h"
#include "common/shm.h"
#include "common/util.h"
#include "worker/accept_encoding.h"
#include "worker/accesslog.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/conn_int.h"
#include "worker/proxy.h"
#include "worker/request.h"
#include "worker/req.h"
#include "worker/upstream.h"
#include "common/tlsio.h"
#include "worker/vars.h"

#define DRAIN_GRACE_MS	1000	/* for a request still on its way */
#define DRAIN_QUIET_MS	2000	/* draining: an idle connection this quiet
				   is closed; a client that has not sent by
				   then is not about to */
#define LINGER_MS	2000	/* reading what a client sends after our close */
#define RECLAIM_LOG_MS	10000	/* one line at most about full houses */
#define SNIFF_MAX	24	/* bytes of a method, and its space */
#define REQ_KEEP	256
#define CACHE_POLL_MS	5	/* waiting for another's fetch */

const char *const conn_state_names[] = {
	[CONN_HANDSHAKE] = "handshake",
	[CONN_IDLE] = "idle",
	[CONN_READ_HEAD] = "read_head",
	[CONN_CONNECT] = "connect",
	[CONN_SEND_REQUEST] = "send_request",
	[CONN_READ_RESPONSE] = "read_response",
	[CONN_SEND_RESPONSE] = "send_response",
	[CONN_TUNNEL] = "tunnel",
	[CONN_RESPOND] = "respond",
	[CONN_CACHE_WAIT] = "cache_wait",
	[CONN_DONE] = "done",
};

/* Each wait, by name, and the side an expiry is charged to. */
static const struct {
	const char	*name;
	const char	*side;
} waits[] = {
	[WAIT_HEADER] = { "header", "client" },
	[WAIT_BODY] = { "body", "client" },
	[WAIT_SEND] = { "send", "client" },
	[WAIT_IDLE] = { "keep-alive", "client" },
	[WAIT_LINGER] = { "linger", "client" },
	[WAIT_CONNECT] = { "connect", "upstream" },
	[WAIT_UP_SEND] = { "send", "upstream" },
	[WAIT_UP_HEAD] = { "head", "upstream" },
	[WAIT_UP_READ] = { "read", "upstream" },
	[WAIT_TUNNEL] = { "tunnel", "no" },
	[WAIT_CACHE] = { "cache poll", "no" },
};

static struct page_cache	req_cache = {
	.size = sizeof(struct req), .keep = REQ_KEEP, .floor = 16
};

static void		conn_run(struct conn *);
static enum step	conn_handshake(struct conn *);
static enum step	conn_idle(struct conn *);
static enum step	conn_read_head(struct conn *);
static enum step	conn_tunnel(struct conn *);
static enum step	conn_respond(struct conn *);
static void		conn_close(struct conn *);
static void		conn_event(struct ev_loop *, int, uint32_t, void *);
static void		conn_timeout(struct ev_loop *, void *);
static void		conn_wait_ms(struct conn *, enum conn_wait, int64_t);
static struct req	*req_new(void);
static void		req_end(struct conn *);
static int64_t		drain_quiet_ms(const struct conn *);

/* The client's address for a log line; formatted only when logging. */
const char *
peer_name(const struct conn *c)
{
	static char	buf[ADDR_STRLEN];

	addr_format(&c->peer, buf, sizeof(buf));
	return buf;
}

void
conn_accept(struct worker *w, int fd, const struct addr *peer,
    const struct proc_listen *l)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("out of memory for a new connection; closing it");
		close(fd);
		return;
	}
	c->w = w;
	c->id = ++w->next_id;
	c->fd = fd;
	c->peer = *peer;
	c->listen = l;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	counter_add(w->env->counters, CNT_ACCEPTED, 1);
	if (ev_io_add(w->loop, &c->io, fd, EPOLLIN, conn_event, c) == -1) {
		log_warn("conn=%llu epoll: %s", (unsigned long long)c->id,
		    strerror(errno));
		conn_close(c);
		return;
	}
	c->state = CONN_READ_HEAD;
	if (w->env->cfg->listeners[l->listener]->tls) {
		SSL_CTX *ctx = tls_server_ctx(w->env->cfg->listeners[
		    l->listener]->tls_server);

		if (ctx == NULL || (c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, fd) != 1) {
			c->why = "cannot start TLS";
			conn_close(c);
			return;
		}
		SSL_set_accept_state(c->ssl);
		c->state = CONN_HANDSHAKE;
	}
	conn_wait(c, WAIT_HEADER);
	/* Most clients send at once: try without waiting for epoll. */
	conn_run(c);
}

/*
 * Plain HTTP sent to a TLS listener: answered in plain text, as nginx
 * does, rather than with a reset the user cannot make sense of. The
 * connection is plain from here on, and lingers to be read.
 */
static enum step
conn_plain_on_tls(struct conn *c)
{
	static const char	 body[] =
	    "plain HTTP request sent to a TLS port\n";
	struct req		*r;
	size_t			 n;

	log_info("conn=%llu %s plain HTTP request sent to a TLS port",
	    (unsigned long long)c->id, peer_name(c));
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->close_after = true;
	c->why = "plain HTTP on a TLS port";
	buf_put(c->in);
	c->in = NULL;
	if ((r = c->req = req_new()) == NULL ||
	    (c->out == NULL && (c->out = buf_get()) == NULL))
		return STEP_CLOSE;
	r->start_ms = ev_now(c->w->loop);
	r->status = 400;
	n = out_local_head(400, "text/plain", sizeof(body) - 1, NULL, 0,
	    true, false, NULL, NULL, 0, c->out->data, sizeof(c->out->data));
	memcpy(c->out->data + n, body, sizeof(body) - 1);
	c->out->start = 0;
	c->out->end = n + sizeof(body) - 1;
	conn_enter(c, CONN_RESPOND);
	conn_wait(c, WAIT_SEND);
	return STEP_AGAIN;
}

/*
 * Before the handshake: a TLS client starts with a record (0x16, or an
 * old hello with the top bit set), never an upper-case letter. One that
 * does is read here, not by OpenSSL, until its first word is a method
 * and a space (plain HTTP), or plainly not.
 */
static enum step
conn_sniff(struct conn *c)
{
	char	b;
	ssize_t	n;
	size_t	i;

	if (c->in == NULL) {
		n = recv(c->fd, &b, 1, MSG_PEEK);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			set_client_events(c, EPOLLIN);
			return STEP_WAIT;
		}
		if (n <= 0) {
			c->why = "client closed before the TLS handshake";
			return STEP_CLOSE;
		}
		if (b < 'A' || b > 'Z') {
			c->tls_sniffed = true;
			return STEP_AGAIN;
		}
		if ((c->in = buf_get()) == NULL) {
			c->why = "out of memory for a buffer";
			return STEP_CLOSE;
		}
	}
	n = read_into(c->fd, NULL, c->in, in_pin(c));
	if (n == -2 && buf_len(c->in) == 0) {
		set_client_events(c, EPOLLIN);
		return STEP_WAIT;
	}
	if (n == 0 || n == -1) {
		c->why = "client closed before the TLS handshake";
		return STEP_CLOSE;
	}
	for (i = 0; i < buf_len(c->in) && i < SNIFF_MAX; i++) {
		b = c->in->data[c->in->start + i];
		if (b == ' ' && i > 0)
			return conn_plain_on_tls(c);
		if ((b < 'A' || b > 'Z') && b != '-' && b != '_')
			break;
	}
	if (i == buf_len(c->in) && i < SNIFF_MAX) {
		set_client_events(c, EPOLLIN);
		return STEP_WAIT;
	}
	c->why = "not TLS";
	log_info("conn=%llu %s TLS handshake failed: not TLS",
	    (unsigned long long)c->id, peer_name(c));
	return STEP_CLOSE;
}

/*
 * The TLS handshake, under the header timer. Failures are logged at info
 * at most: scanners and old clients fail handshakes all day.
 */
static enum step
conn_handshake(struct conn *c)
{
	int	rc;

	if (!c->tls_sniffed)
		return conn_sniff(c);
	ERR_clear_error();
	if ((rc = SSL_do_handshake(c->ssl)) == 1) {
		if (log_enabled(LOG_LVL_DEBUG))
			log_debug("conn=%llu %s %s%s", (unsigned long long)c->id,
			    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl),
			    SSL_session_reused(c->ssl) ? ", resumed" : "");
		conn_enter(c, CONN_READ_HEAD);
		return STEP_AGAIN;
	}
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		set_client_events(c, EPOLLIN);
		return STEP_WAIT;
	case SSL_ERROR_WANT_WRITE:
		set_client_events(c, EPOLLOUT);
		return STEP_WAIT;
	default:
		c->why = tlsio_error(c->ssl, rc);
		log_info("conn=%llu %s TLS handshake failed: %s",
		    (unsigned long long)c->id, peer_name(c), c->why);
		return STEP_CLOSE;
	}
}

/*
 * The worker's idle list holds the CONN_IDLE connections in the order
 * they became idle, so that the oldest is at hand when room is needed.
 */
static void
idle_add(struct conn *c)
{
	struct worker	*w = c->w;

	c->idle_next = NULL;
	c->idle_prev = w->idle_tail;
	if (w->idle_tail != NULL)
		w->idle_tail->idle_next = c;
	else
		w->idle_head = c;
	w->idle_tail = c;
	w->nidle++;
}

static void
idle_remove(struct conn *c)
{
	struct worker	*w = c->w;

	if (c->idle_prev != NULL)
		c->idle_prev->idle_next = c->idle_next;
	else
		w->idle_head = c->idle_next;
	if (c->idle_next != NULL)
		c->idle_next->idle_prev = c->idle_prev;
	else
		w->idle_tail = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
	w->nidle--;
}

void
conn_enter(struct conn *c, enum conn_state s)
{
	if (log_enabled(LOG_LVL_DEBUG))
		log_debug("conn=%llu %s -> %s", (unsigned long long)c->id,
		    conn_state_names[c->state], conn_state_names[s]);
	if (c->state == CONN_IDLE && s != CONN_IDLE)
		idle_remove(c);
	else if (s == CONN_IDLE && c->state != CONN_IDLE) {
		idle_add(c);
		worker_conn_idle(c->w);
	}
	c->state = s;
}

/* How long wait w lasts by the configuration. */
static int64_t
wait_ms(const struct conn *c, enum conn_wait w)
{
	int64_t	left;

	switch (w) {
	case WAIT_HEADER:
		return G(c)->client_header_timeout_ms;
	case WAIT_BODY:
		return G(c)->client_body_timeout_ms;
	case WAIT_SEND:
		return G(c)->send_timeout_ms;
	case WAIT_IDLE:
		return G(c)->keepalive_timeout_ms;
	case WAIT_LINGER:
		return LINGER_MS;
	case WAIT_CONNECT:
		return U(c)->connect_timeout_ms;
	case WAIT_UP_SEND:
		return U(c)->send_timeout_ms;
	case WAIT_UP_HEAD:
		/* Between two reads, and for the whole head. */
		left = c->req->head_deadline_ms - ev_now(c->w->loop);
		return left < U(c)->read_timeout_ms ? (left > 0 ? left : 1) :
		    U(c)->read_timeout_ms;
	case WAIT_UP_READ:
		return U(c)->read_timeout_ms;
	case WAIT_TUNNEL:
		return R(c)->tunnel_timeout_ms;
	case WAIT_CACHE:
		return CACHE_POLL_MS;
	}
	return 0;
}

/* Arms the timer for what the connection now waits for. */
void
conn_wait(struct conn *c, enum conn_wait w)
{
	conn_wait_ms(c, w, wait_ms(c, w));
}

static void
conn_wait_ms(struct conn *c, enum conn_wait w, int64_t ms)
{
	c->wait = w;
	c->wait_len_ms = ms;
	ev_timer_start(c->w->loop, &c->timer, ms, conn_timeout, c);
}

static void
conn_run(struct conn *c)
{
	enum step	s = STEP_CLOSE;

	do {
		switch (c->state) {
		case CONN_HANDSHAKE:
			s = conn_handshake(c);
			break;
		case CONN_IDLE:
			s = conn_idle(c);
			break;
		case CONN_READ_HEAD:
			s = conn_read_head(c);
			break;
		case CONN_CONNECT:
			s = proxy_connect(c);
			break;
		case CONN_SEND_REQUEST:
			s = proxy_send(c);
			break;
		case CONN_READ_RESPONSE:
			s = proxy_read_head(c);
			break;
		case CONN_SEND_RESPONSE:
			s = body_send(c);
			break;
		case CONN_TUNNEL:
			s = conn_tunnel(c);
			break;
		case CONN_RESPOND:
			s = conn_respond(c);
			break;
		case CONN_CACHE_WAIT:
			s = STEP_WAIT;	/* the poll timer moves it on */
			break;
		case CONN_DONE:
			return;
		}
	} while (s == STEP_AGAIN);
	if (s == STEP_CLOSE)
		conn_close(c);
}

static void
conn_event(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct conn	*c = arg;

	/*
	 * epoll reports errors and hang-ups even on a socket we watch for
	 * nothing; the client is gone and nothing more can reach it.
	 */
	if ((events & (EPOLLERR | EPOLLHUP)) &&
	    (c->io.events & (EPOLLIN | EPOLLOUT)) == 0) {
		c->why = "client connection lost";
		if (c->req != NULL)
			client_failed(c, CNT_CLIENT_ABORTS, c->why, NULL);
		conn_close(c);
		return;
	}
	if (events & EPOLLIN)
		c->client_readable = true;
	conn_run(c);
}

void
conn_up_event(struct upconn *uc, uint32_t events)
{
	struct conn	*c = uc->owner;

	/* Seen while uploading, it means the upstream answers early. */
	if (c->req != NULL && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
		c->req->up_readable = true;
	conn_run(c);
}

/*
 * Nagle's algorithm holds back the small last segment of a response until
 * the client acknowledges the rest, and clients delay their ACKs: 40 ms
 * stalls on keep-alive connections. Like nginx, switch it off once a
 * connection is kept alive or a response does not fit the socket at once.
 */
void
conn_nodelay(struct conn *c)
{
	int	on = 1;

	if (c->nodelay)
		return;
	c->nodelay = true;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void
conn_kick(struct ev_loop *loop, void *arg)
{
	struct conn	*c = arg;

	c->client_readable = true;
	conn_run(c);
}

void
set_client_events(struct conn *c, uint32_t ev)
{
	ev_io_mod(c->w->loop, &c->io, ev);
	/*
	 * Records already decrypted by OpenSSL never wake epoll: come back
	 * at once, as a level-triggered event would.
	 */
	if (c->ssl != NULL && (ev & EPOLLIN) && SSL_pending(c->ssl) > 0)
		ev_timer_start(c->w->loop, &c->kick, 0, conn_kick, c);
}

/*
 * While the upstream works, the client stays watched for input (changing
 * the epoll mask twice a request costs more than it saves): what arrives
 * is a pipelined request, kept in c->in, or an EOF. Input is only dropped
 * from the mask when c->in is full or the client has closed, so a level-
 * triggered wakeup never repeats for data we leave unread.
 */
void
client_absorb(struct conn *c)
{
	ssize_t	n;

	if (!c->client_readable)
		return;
	c->client_readable = false;
	if (c->client_eof || c->in == NULL)
		return;
	n = read_into(c->fd, c->ssl, c->in, in_pin(c));
	if (n == 0 || n == -1)
		c->client_eof = true;
}

void
client_wait(struct conn *c, bool want_out)
{
	uint32_t	ev = want_out ? EPOLLOUT : 0;

	if (!c->client_eof && c->in != NULL && buf_room(c->in) > 0)
		ev |= EPOLLIN;
	set_client_events(c, ev);
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
	log_info("conn=%llu %s closed: %s%s%s%s", (unsigned long long)c->id,
	    peer_name(c), why, detail ? " (" : "", detail ? detail : "",
	    detail ? ")" : "");
	return STEP_CLOSE;
}

/*
 * The timer ran out: what it waited for (c->wait) says who is to blame.
 * The client's slowness ends its connection; the upstream's is a failed
 * try, or, once the response has begun, a cut response.
 */
static void
conn_timeout(struct ev_loop *loop, void *arg)
{
	struct conn	*c = arg;
	struct req	*r = c->req;
	char		 d[32];
	enum step	 s = STEP_CLOSE;

	fmt_duration(d, sizeof(d), c->wait_len_ms);
	if (c->wait != WAIT_CACHE && log_enabled(LOG_LVL_DEBUG))
		log_debug("conn=%llu %s timeout (%s) in %s: %s side",
		    (unsigned long long)c->id, waits[c->wait].name, d,
		    conn_state_names[c->state], waits[c->wait].side);
	switch (c->wait) {
	case WAIT_HEADER:
		if (c->state == CONN_HANDSHAKE) {
			c->why = "TLS handshake timeout";
			log_info("conn=%llu %s TLS handshake timed out",
			    (unsigned long long)c->id, peer_name(c));
			break;
		}
		if (c->in == NULL || buf_len(c->in) == 0) {
			c->why = "no request before the header timeout";
			break;
		}
		counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
		s = conn_fail(c, 408, "client header timeout");
		break;
	case WAIT_BODY:
		counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
		s = conn_fail(c, 408, "client body timeout");
		break;
	case WAIT_SEND:
		s = client_failed(c, CNT_CLIENT_TIMEOUTS, "client send timeout",
		    d);
		break;
	case WAIT_IDLE:
		c->why = c->w->draining ? "shutting down, quiet" :
		    "keep-alive timeout";
		break;
	case WAIT_LINGER:
		c->why = "lingering close done";
		break;
	case WAIT_CONNECT:
		s = proxy_failed(c, 504, "connect timeout", d, true);
		break;
	case WAIT_UP_SEND:
		s = proxy_failed(c, 504, "send timeout", d, false);
		break;
	case WAIT_UP_HEAD:
		if (ev_now(c->w->loop) >= r->head_deadline_ms) {
			fmt_duration(d, sizeof(d), U(c)->header_timeout_ms);
			s = proxy_failed(c, 504, "header timeout", d, false);
		} else
			s = proxy_failed(c, 504, "read timeout", d, false);
		break;
	case WAIT_UP_READ:
		r->reusable = false;
		if (r->resp_started) {
			/* Too late for an error page: cut the response. */
			proxy_warn(c, "read timeout during the response", d);
			c->why = "upstream read timeout during the response";
			break;
		}
		/* The head waits for the body it is sent with. */
		proxy_warn(c, "read timeout", d);
		s = conn_fail(c, 504, "upstream timeout");
		break;
	case WAIT_TUNNEL:
		c->why = "tunnel idle timeout";
		break;
	case WAIT_CACHE:
		if (cache_poll(c) == CACHE_WAIT) {
			conn_wait(c, WAIT_CACHE);
			return;
		}
		conn_enter(c, CONN_READ_HEAD);
		s = request_start(c);
		break;
	}
	/* conn_fail() may have had no memory for its answer. */
	if (s == STEP_CLOSE)
		conn_close(c);
	else
		conn_run(c);
}

/* Request state. */

static struct req *
req_new(void)
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
	return r;
}

static void
req_free(struct req *r)
{
	pc_put(&req_cache, r);
}



static void
conn_log(struct conn *c)
{
	struct req		*r = c->req;
	struct access_entry	 e;
	static const enum counter cls[] = { CNT_STATUS_1XX, CNT_STATUS_1XX,
	    CNT_STATUS_2XX, CNT_STATUS_3XX, CNT_STATUS_4XX, CNT_STATUS_5XX };
	char			 client[ADDR_STRLEN];

	if (r->status >= 100 && r->status < 600)
		counter_add(CNT(c), cls[r->status / 100], 1);
	counter_add(CNT(c), CNT_BYTES_OUT, r->bytes_out);
	if (!accesslog_enabled())
		return;
	addr_format_ip(&c->peer, client, sizeof(client));
	memset(&e, 0, sizeof(e));
	e.format = G(c)->log_format;
	e.tls = c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
	e.client = client;
	e.method = r->log_method;
	e.method_len = r->log_method_len;
	e.target = r->log_target;
	e.target_len = r->log_target_len;
	e.minor = r->log_minor;
	e.status = r->status ? r->status : 499;
	e.bytes = r->bytes_out;
	e.referer = r->log_ref_len ? r->log_ref : NULL;
	e.referer_len = r->log_ref_len;
	e.user_agent = r->log_ua_len ? r->log_ua : NULL;
	e.user_agent_len = r->log_ua_len;
	e.duration_ms = ev_now(c->w->loop) - r->start_ms;
	e.upstream = r->upstream_name;
	e.cache = cache_log_word(r);
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
static void
req_end(struct conn *c)
{
	struct req	*r = c->req;

	if (r == NULL)
		return;
	if (r->parsed || r->status != 0)
		conn_log(c);
	if (r->uc != NULL) {
		/* Bytes past the response mean the server is confused. */
		upstream_release(r->uc, r->reusable && r->resp_done &&
		    r->req_done && c->state != CONN_TUNNEL &&
		    (r->up_in == NULL || buf_len(r->up_in) == 0) &&
		    (r->uc->ssl == NULL || SSL_pending(r->uc->ssl) == 0));
		r->uc = NULL;
	}
	cache_req_end(r);
	body_pipe_put(r->pipe, r->pipe_len);
	buf_put(r->up_out);
	buf_put(r->up_in);
	buf_put(r->plain);
	encoder_free(r->encoder);
	req_free(r);
	c->req = NULL;
}

/* The Strict-Transport-Security line of frontd's own answers, or NULL. */
static const char *
hsts_line(const struct conn *c)
{
	static char	line[600];
	const char	*hsts;

	if (c->ssl == NULL || (hsts = c->w->env->cfg->listeners[
	    c->listen->listener]->hsts) == NULL)
		return NULL;
	snprintf(line, sizeof(line), "Strict-Transport-Security: %s\r\n",
	    hsts);
	return line;
}

/*
 * Answers with frontd's own response and closes afterwards. Whatever the
 * upstream was doing is dropped.
 */
enum step
conn_fail(struct conn *c, int status, const char *why)
{
	struct req		*r = c->req;
	const struct cfg_global	*g = G(c);
	const char		*page = NULL;
	size_t			 pagelen = 0, n, keep;

	if (r != NULL && r->rc != NULL && !r->resp_started && !c->tls_stuck &&
	    cache_stale_ok(c, status)) {
		log_info("conn=%llu %s: %s; a stale cached response is served",
		    (unsigned long long)c->id, peer_name(c), why);
		return cache_serve(c);
	}
	c->why = why;
	c->close_after = true;
	if ((r != NULL && r->resp_started) || c->tls_stuck) {
		/* Part of a response is out: only a cut can tell. */
		return STEP_CLOSE;
	}
	if (r == NULL) {
		if ((r = c->req = req_new()) == NULL)
			return STEP_CLOSE;
		r->start_ms = ev_now(c->w->loop);
	}
	if (r->uc != NULL) {
		upstream_release(r->uc, false);
		r->uc = NULL;
	}
	r->status = status;
	for (size_t i = 0; i < g->nerror_pages; i++)
		if (g->error_pages[i].status == status) {
			page = g->error_pages[i].body;
			pagelen = g->error_pages[i].len;
			break;
		}
	if (c->out == NULL && (c->out = buf_get()) == NULL)
		return STEP_CLOSE;
	/*
	 * Interim heads not yet all sent go first, or the client would get
	 * the rest of one glued to our page; a final head queued after
	 * them never went out (resp_started) and is replaced.
	 */
	keep = req_interim_pending(r);
	if (keep > buf_len(c->out))
		keep = buf_len(c->out);
	c->out->end = c->out->start + keep;
	buf_compact(c->out);
	n = out_error_page(status, page, pagelen, true, hsts_line(c),
	    c->out->data + c->out->end, buf_room(c->out));
	if (n == 0)
		n = out_error_page(status, NULL, 0, true, hsts_line(c),
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
	conn_enter(c, CONN_RESPOND);
	conn_wait(c, WAIT_SEND);
	return STEP_AGAIN;
}

/*
 * Writes out (framing and heads, copied) then up to n bytes of src
 * (passed through). Returns the bytes of src written, or -1 on error.
 * *blocked tells that the socket is full.
 */
ssize_t
send_two(int fd, void *ssl, bool *stuck, struct buf *out, struct buf *src,
    size_t n, bool *blocked, uint64_t *sent)
{
	struct iovec	iov[2];
	int		iovcnt = 0;
	size_t		olen = out ? buf_len(out) : 0;
	ssize_t		w;

	*blocked = false;
	if (ssl != NULL) {
		/* A record at a time, until all is out or the socket is full. */
		size_t	done = 0, a, b;
		ssize_t	k;

		while (done < olen + n) {
			a = done < olen ? olen - done : 0;
			b = done < olen ? n : olen + n - done;
			k = tlsio_write2(ssl, a ? out->data + out->start +
			    done : NULL, a, b ? src->data + src->start + n -
			    b : NULL, b);
			if (k == -1)
				return -1;
			/*
			 * A blocked TLS write leaves its record queued in
			 * OpenSSL: until it goes, no other bytes may take
			 * its place (an error page, say).
			 */
			if (stuck != NULL)
				*stuck = k == -2;
			if (k == -2) {
				*blocked = true;
				break;
			}
			done += (size_t)k;
		}
		if (done == 0)
			return 0;
		w = (ssize_t)done;
		goto written;
	}
	if (olen > 0) {
		iov[iovcnt].iov_base = out->data + out->start;
		iov[iovcnt++].iov_len = olen;
	}
	if (n > 0) {
		iov[iovcnt].iov_base = src->data + src->start;
		iov[iovcnt++].iov_len = n;
	}
	if (iovcnt == 0)
		return 0;
	do
		w = writev(fd, iov, iovcnt);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*blocked = true;
			return 0;
		}
		return -1;
	}
written:
	if (sent != NULL)
		*sent += (uint64_t)w;
	if ((size_t)w < olen + n)
		*blocked = true;
	if ((size_t)w <= olen) {
		out->start += (size_t)w;
		if (out->start == out->end)
			out->start = out->end = 0;
		return 0;
	}
	if (olen > 0)
		out->start = out->end = 0;
	src->start += (size_t)w - olen;
	return (ssize_t)((size_t)w - olen);
}

/*
 * Reads into b, compacted down to offset keep; returns bytes, 0 on EOF,
 * -1 error, -2 would block.
 */
ssize_t
read_into(int fd, void *ssl, struct buf *b, size_t keep)
{
	ssize_t	n;

	buf_compact_above(b, keep);
	if (buf_room(b) == 0)
		return -2;
	if (ssl != NULL) {
		if ((n = tlsio_read(ssl, b->data + b->end, buf_room(b))) > 0)
			b->end += (size_t)n;
		return n;
	}
	do
		n = read(fd, b->data + b->end, buf_room(b));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
	b->end += (size_t)n;
	return n;
}

/*
 * Keep-alive: the next request has begun to arrive (or the client closed);
 * reading it is READ_HEAD's job, which sees an EOF too.
 */
static enum step
conn_idle(struct conn *c)
{
	conn_enter(c, CONN_READ_HEAD);
	conn_wait(c, WAIT_HEADER);
	return STEP_AGAIN;
}








/* The index in route->upgrade of protocol p, or -1. */
static int
upgrade_index(const struct cfg_route *route, const char *p, size_t len)
{
	for (size_t i = 0; i < route->nupgrade; i++)
		if (strlen(route->upgrade[i]) == len &&
		    strncasecmp(route->upgrade[i], p, len) == 0)
			return (int)i;
	return -1;
}

/*
 * The protocols named by the Upgrade fields of head h (values in base)
 * that the route allows, as bits over route->upgrade; *other tells that
 * some other protocol was named.
 */
uint32_t
upgrade_mask(const struct cfg_route *route, const char *base,
    const struct http_head *h, bool *other)
{
	const char	*p, *e, *q, *s, *t;
	uint32_t	 mask = 0;
	int		 i;

	*other = false;
	for (uint32_t k = 0; k < h->nheaders; k++) {
		if (h->headers[k].id != HTTP_H_UPGRADE)
			continue;
		p = base + h->headers[k].value.off;
		e = p + h->headers[k].value.len;
		for (; p < e; p = q + 1) {
			if ((q = memchr(p, ',', (size_t)(e - p))) == NULL)
				q = e;
			for (s = p; s < q && (*s == ' ' || *s == '\t'); s++)
				;
			for (t = q; t > s && (t[-1] == ' ' || t[-1] == '\t');
			    t--)
				;
			if (t == s)
				continue;
			if ((i = upgrade_index(route, s, (size_t)(t - s))) >= 0)
				mask |= 1u << i;
			else
				*other = true;
		}
	}
	return mask;
}


/*
 * Whether a 101 switches to what was asked for: each protocol of its
 * Upgrade one that went to the server.
 */
bool
upgrade_accepted(const struct conn *c)
{
	const struct req	*r = c->req;
	uint32_t		 mask;
	bool			 other;

	if (!r->upgrade)
		return false;
	mask = upgrade_mask(R(c), r->up_in->data, &r->resp, &other);
	return mask != 0 && !other && (mask & ~r->upgrade_mask) == 0;
}

/*
 * frontd's own answer that keeps the connection (redirect, return, no
 * route): head in c->out, a large body sent from where it lies.
 */
enum step
conn_local(struct conn *c, int status, const char *type, const char *body,
    size_t len, const char *loc, size_t loclen, const char *why)
{
	struct req	*r = c->req;
	size_t		 n, room;

	c->why = why;
	/* An unread request body would be taken for the next request. */
	if (!r->req_done)
		c->close_after = true;
	r->status = status;
	r->local = true;
	if (status == 204 || status == 304)
		len = 0;	/* these never have a body */
	if (c->out == NULL && (c->out = buf_get()) == NULL)
		return conn_fail(c, 503, "out of memory");
	buf_compact(c->out);
	room = buf_room(c->out);
	n = out_local_head(status, type, len, loc, loclen, c->close_after,
	    r->http10, hsts_line(c), r->resp_set, r->resp_set_len,
	    c->out->data + c->out->end, room);
	if (n == 0)
		return conn_fail(c, 500, "redirect target too long");
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
	conn_enter(c, CONN_RESPOND);
	conn_wait(c, WAIT_SEND);
	return STEP_AGAIN;
}




/* A complete, valid head: decide framing, route, and build the upstream
 * request head. */

static enum step
conn_read_head(struct conn *c)
{
	struct req	*r;
	enum http_result res;
	ssize_t		 n;

	if (c->in == NULL && (c->in = buf_get()) == NULL) {
		c->why = "out of memory for a buffer";
		return STEP_CLOSE;
	}
	if (c->req == NULL) {
		if ((c->req = req_new()) == NULL) {
			c->why = "out of memory for a request";
			return STEP_CLOSE;
		}
		c->req->start_ms = ev_now(c->w->loop);
	}
	r = c->req;
	c->client_readable = false;	/* we read here */
	buf_compact(c->in);
	for (;;) {
		res = http_parse_request(&r->parser, c->in->data,
		    buf_len(c->in), &c->w->req_limits, &r->head);
		if (res == HTTP_OK)
			break;
		if (res == HTTP_ERROR)
			return conn_fail(c, r->head.error_status,
			    http_error_names[r->head.error]);
		n = read_into(c->fd, c->ssl, c->in, in_pin(c));
		if (n == -2) {
			if (buf_room(c->in) == 0)
				return conn_fail(c, 431, "request head too "
				    "large");
			if (buf_len(c->in) == 0) {
				/* Nothing yet: hold no memory while waiting. */
				buf_put(c->in);
				c->in = NULL;
				req_free(c->req);
				c->req = NULL;
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
			req_free(c->req);
			c->req = NULL;
			return STEP_CLOSE;
		}
		counter_add(CNT(c), CNT_BYTES_IN, (uint64_t)n);
	}
	return request_start(c);
}

/*
 * Decodes a chunked body from in into o, as chunks again (reframe) or as
 * plain data. Trailer lines are copied only with trailers (which implies
 * reframe); *started tells whether the last chunk has been written before
 * them. Stops when o lacks room for a framed chunk, when in needs more
 * bytes, or at the end of the body (*done). -1: bad framing.
 */
int
chunked_relay(struct http_chunked *ch, struct buf *in, struct buf *o,
    bool reframe, bool trailers, bool *started, bool *done)
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
			if (!trailers)
				break;
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

/* The client's response head, added to c->out: its length, 0 when it
 * does not fit, (size_t)-1 without memory. */
size_t
client_head(struct conn *c)
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

/*
 * The response comes from the cache: the stored head goes through the
 * same rules as an upstream's, the body is copied from shared memory as
 * the client takes it.
 */
enum step
cache_serve(struct conn *c)
{
	struct req	*r = c->req;
	size_t		 len;

	if (r->uc != NULL) {
		upstream_release(r->uc, false);
		r->uc = NULL;
	}
	if (r->up_in == NULL && (r->up_in = buf_get()) == NULL)
		return conn_fail(c, 503, "out of memory");
	if (cache_serve_load(c) == -1) {
		r->up_in->start = r->up_in->end = 0;
		return conn_fail(c, 502, "the cache entry went away");
	}
	if (!r->req_done)
		c->close_after = true;
	if (r->vary && !r->coded)
		body_pick_coding(c);
	cache_head_lines(c);
	if ((len = client_head(c)) == (size_t)-1)
		return conn_fail(c, 503, "out of memory");
	if (len == 0)
		return conn_fail(c, 500, "stored response head too large");
	r->up_in->start = r->up_in->end = 0;
	/* The first of the body rides with the head. */
	if (r->resp_mode != BODY_NONE && cache_body_read(c) < 0) {
		c->why = "cache entry evicted while read";
		return STEP_CLOSE;
	}
	r->up_end_ms = ev_now(c->w->loop);
	conn_enter(c, CONN_SEND_RESPONSE);
	conn_wait(c, WAIT_SEND);
	return STEP_AGAIN;
}

/* The response is complete: log, pool, and serve the next request. */
enum step
conn_finish(struct conn *c)
{
	struct req	*r = c->req;

	bool		 body_left = !r->req_done;

	if (!r->from_cache)
		r->up_end_ms = ev_now(c->w->loop);
	if (r->rc != NULL && r->resp_done)
		cache_finish(c);
	req_end(c);
	if (c->client_eof)
		c->close_after = true;
	if (c->close_after) {
		c->why = "done, no keep-alive";
		/* Linger only when the client may still be sending. */
		if (body_left || (c->in != NULL && buf_len(c->in) > 0)) {
			conn_enter(c, CONN_RESPOND);
			return STEP_AGAIN;
		}
		return STEP_CLOSE;
	}
	if (c->out != NULL && buf_len(c->out) == 0) {
		buf_put(c->out);
		c->out = NULL;
	}
	set_client_events(c, EPOLLIN);
	if (c->in != NULL && buf_len(c->in) > 0) {
		/* Pipelined: the next request is already here. */
		conn_enter(c, CONN_READ_HEAD);
		conn_wait(c, WAIT_HEADER);
		return STEP_AGAIN;
	}
	buf_put(c->in);
	c->in = NULL;
	conn_nodelay(c);
	conn_enter(c, CONN_IDLE);
	c->idle_since_ms = ev_now(c->w->loop);
	/*
	 * Draining, this response went out with keep-alive (its head was
	 * sent before the drain began): the client may send again at once,
	 * so the connection stays to answer that with Connection: close,
	 * and is closed only once it has been quiet.
	 */
	if (c->w->draining)
		conn_wait_ms(c, WAIT_IDLE, drain_quiet_ms(c));
	else
		conn_wait(c, WAIT_IDLE);
	return STEP_WAIT;
}

/* After 101: bytes both ways until both sides are done. */
static enum step
conn_tunnel(struct conn *c)
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
				if (uc->ssl != NULL)
					tlsio_close(uc->ssl);
				shutdown(uc->fd, SHUT_WR);
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
		conn_wait(c, WAIT_TUNNEL);
	return STEP_WAIT;
}

/*
 * Sends what is left in c->out, then closes the way a client can read:
 * our side is shut first and whatever the client still sends (the rest of
 * a refused body, a pipelined request) is read and dropped for a moment,
 * since closing with unread data would reset the connection and could
 * destroy the answer before the client reads it.
 */
static enum step
conn_respond(struct conn *c)
{
	char		 sink[4096];
	bool		 blocked;
	ssize_t		 n;
	enum step	 s;
	struct req	*r = c->req;

	if (c->out != NULL && buf_len(c->out) > 0) {
		size_t before = buf_len(c->out);

		n = send_two(c->fd, c->ssl, &c->tls_stuck, c->out, NULL, 0,
		    &blocked, r ?
		    &r->bytes_out : NULL);
		if (n == -1)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client write error", io_error(c));
		if (blocked) {
			/* send_timeout is between two writes, not in all. */
			if (buf_len(c->out) < before)
				conn_wait(c, WAIT_SEND);
			set_client_events(c, EPOLLOUT);
			return STEP_WAIT;
		}
	}
	if (r != NULL && r->local_left > 0 &&
	    (s = body_send_local(c)) != STEP_AGAIN)
		return s;
	if (r != NULL && r->local && !c->close_after && !c->lingering) {
		/* A redirect or page of ours: the connection goes on. */
		r->resp_done = true;
		return conn_finish(c);
	}
	if (r != NULL)
		req_end(c);
	if (!c->lingering) {
		c->lingering = true;
		if (c->ssl != NULL)
			tlsio_close(c->ssl);
		shutdown(c->fd, SHUT_WR);
		conn_wait(c, WAIT_LINGER);
	}
	for (int i = 0; i < 16; i++) {
		n = read(c->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			set_client_events(c, EPOLLIN);
			return STEP_WAIT;
		}
		return STEP_CLOSE;
	}
	set_client_events(c, EPOLLIN);
	return STEP_WAIT;
}

static void
conn_close(struct conn *c)
{
	struct worker	*w = c->w;

	if (c->state == CONN_DONE)
		return;
	if (log_enabled(LOG_LVL_DEBUG))
		log_debug("conn=%llu closed in %s: %s",
		    (unsigned long long)c->id, conn_state_names[c->state],
		    c->why ? c->why : "-");
	req_end(c);
	conn_enter(c, CONN_DONE);
	ev_timer_stop(w->loop, &c->timer);
	ev_timer_stop(w->loop, &c->kick);
	ev_io_forget(&c->io);
	if (c->ssl != NULL) {
		tlsio_close(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	buf_put(c->in);
	buf_put(c->out);
	c->in = c->out = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	ev_defer_free(w->loop, free, c);
	worker_conn_closed(w);
}

/*
 * Graceful stop, never racing a client's next request: a request in
 * progress finishes, with Connection: close if its head is not out yet;
 * an idle keep-alive connection closes once quiet (see the cases). A
 * connection accepted moments ago whose request has not arrived yet is
 * kept: its client has sent or is sending that request. The header timer
 * still bounds it.
 */
void
conn_drain(struct conn *c)
{
	char	b;
	int64_t	quiet_ms;

	switch (c->state) {
	case CONN_IDLE:
		/*
		 * Closing a keep-alive connection races the client, whose
		 * next request may be on its way: it would see a reset.
		 * A request already here is served with Connection: close;
		 * a connection quiet for long enough is closed now; any
		 * other waits for its next request or the rest of its quiet
		 * time, whichever comes first.
		 */
		if ((c->ssl != NULL && SSL_pending(c->ssl) > 0) ||
		    recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
			c->close_after = true;
			conn_enter(c, CONN_READ_HEAD);
			conn_wait(c, WAIT_HEADER);
			return;
		}
		quiet_ms = drain_quiet_ms(c) -
		    (ev_now(c->w->loop) - c->idle_since_ms);
		if (quiet_ms <= 0) {
			c->why = "shutting down";
			conn_close(c);
			return;
		}
		conn_wait_ms(c, WAIT_IDLE, quiet_ms);
		return;
	case CONN_HANDSHAKE:
	case CONN_READ_HEAD:
	case CONN_CONNECT:
	case CONN_SEND_REQUEST:
	case CONN_READ_RESPONSE:
	case CONN_CACHE_WAIT:
		/* The response head is still to be written: it says close. */
		c->close_after = true;
		break;
	case CONN_SEND_RESPONSE:
	case CONN_RESPOND:
	case CONN_TUNNEL:
	case CONN_DONE:
		/*
		 * The head is out and promised what it promised: with
		 * keep-alive, the connection goes idle after this response
		 * and is handled as above (conn_finish).
		 */
		break;
	}
	/* A handshake or a request head that has not begun: a moment more. */
	if (c->state == CONN_HANDSHAKE || (c->state == CONN_READ_HEAD &&
	    (c->in == NULL || buf_len(c->in) == 0) && c->req == NULL))
		conn_wait_ms(c, WAIT_HEADER, DRAIN_GRACE_MS);
}

/*
 * At max_connections: closes up to n idle keep-alive connections, the
 * longest idle first, to make room for new ones, as nginx does. Returns
 * how many it closed. Logged at most once every RECLAIM_LOG_MS, with the
 * count since the last line: a full house is a state, not an event.
 */
size_t
conn_reclaim_idle(struct worker *w, size_t n)
{
	int64_t	now = ev_now(w->loop);
	size_t	done = 0;

	while (done < n && w->idle_head != NULL) {
		w->idle_head->why = "closed to make room (max_connections)";
		conn_close(w->idle_head);
		done++;
	}
	if (done == 0)
		return 0;
	counter_add(w->env->counters, CNT_RECLAIMED, done);
	w->reclaimed += done;
	if (w->reclaim_log_ms == 0 || now - w->reclaim_log_ms >=
	    RECLAIM_LOG_MS) {
		log_warn("max_connections (%d) reached: closed %zu idle "
		    "keep-alive connection%s, the longest idle first, to make "
		    "room", w->env->cfg->global.max_connections, w->reclaimed,
		    w->reclaimed == 1 ? "" : "s");
		w->reclaim_log_ms = now;
		w->reclaimed = 0;
	}
	return done;
}

/* How long a draining worker's idle connection must be quiet to close. */
static int64_t
drain_quiet_ms(const struct conn *c)
{
	int64_t	ka = G(c)->keepalive_timeout_ms;

	return ka < DRAIN_QUIET_MS ? ka : DRAIN_QUIET_MS;
}

/* Twice a second, with buf_trim(): see pc_trim(). */
void
conn_trim_caches(void)
{
	pc_trim(&req_cache);
}

void
conn_close_all(struct worker *w)
{
	while (w->conns != NULL) {
		w->conns->why = "worker stopping";
		conn_close(w->conns);
	}
}
