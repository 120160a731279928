/*
 * A client connection: the socket and its TLS, as a small state machine
 * (PROXY, HANDSHAKE, ACTIVE, IDLE, LINGER, DONE). conn_run() drives it until a
 * step must wait for I/O or a timer, or the connection is finished; every
 * wait has a timer. While ACTIVE, its protocol (c->proto, HTTP/1.1 in
 * h1.c) reads, serves and writes; this file knows nothing of requests,
 * routes, caches or upstreams: it accepts, shakes hands, reads and writes
 * bytes, keeps connections idle between requests, reclaims them when the
 * worker is full, drains them at a graceful stop, and closes them so that
 * the client can read the last answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/tls.h"
#include "common/tlsio.h"
#include "common/util.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/conn_limit.h"
#include "worker/proto.h"

#define DRAIN_GRACE_MS	1000	/* for a handshake still on its way */
#define DRAIN_QUIET_MS	2000	/* draining: an idle connection this quiet
				   is closed; a client that has not sent by
				   then is not about to */
#define LINGER_MS	2000	/* reading what a client sends after our
				   close */
#define RECLAIM_LOG_MS	10000	/* one line at most about full houses */
#define SNIFF_MAX	24	/* bytes of a method, and its space */

const char *const conn_state_names[] = {
	[CONN_PROXY] = "proxy",
	[CONN_HANDSHAKE] = "handshake",
	[CONN_ACTIVE] = "active",
	[CONN_IDLE] = "idle",
	[CONN_LINGER] = "linger",
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

static enum step	conn_handshake(struct conn *);
static enum step	conn_idle(struct conn *);
static enum step	conn_linger_read(struct conn *);
static void		conn_close(struct conn *);
static void		conn_event(struct ev_loop *, int, uint32_t, void *);
static void		conn_timeout(struct ev_loop *, void *);
static int64_t		drain_quiet_ms(const struct conn *);

/* The client's address for a log line; formatted only when logging. */
const char *
peer_name(const struct conn *c)
{
	static char	buf[ADDR_STRLEN];

	addr_format(&c->peer, buf, sizeof(buf));
	return buf;
}

/*
 * The address the client connected to, for a PROXY header to a backend:
 * the one a PROXY header named, else the socket's, asked once.
 */
const struct addr *
conn_local(struct conn *c)
{
	static struct addr	none;

	if (c->parent != NULL)
		return conn_local(c->parent);
	if (c->local == NULL) {
		if ((c->local = calloc(1, sizeof(*c->local))) == NULL)
			return &none;
		c->local->len = sizeof(c->local->ss);
		if (getsockname(c->fd, (struct sockaddr *)&c->local->ss,
		    &c->local->len) == -1)
			memset(c->local, 0, sizeof(*c->local));
	}
	return c->local;
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
	c->proto = &proto_h1;
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
	c->state = CONN_ACTIVE;
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
	/* A PROXY header comes first, before TLS as before HTTP. */
	if (w->env->cfg->listeners[l->listener]->proxy_protocol) {
		if (!conn_proxy_allowed(c)) {
			conn_close(c);
			return;
		}
		c->state = CONN_PROXY;
	} else if (!conn_limit_enter(c)) {
		conn_close(c);
		return;
	}
	conn_wait(c, WAIT_HEADER);
	/* Most clients send at once: try without waiting for epoll. */
	conn_run(c);
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
	n = read_into(c->fd, NULL, c->in, 0);
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
		if (b == ' ' && i > 0) {
			/* Plain HTTP: the protocol answers it, in plain. */
			SSL_free(c->ssl);
			c->ssl = NULL;
			c->plain_on_tls = true;
			conn_enter(c, CONN_ACTIVE);
			return STEP_AGAIN;
		}
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

/* The protocol the client chose by ALPN: h2, or HTTP/1.1 by default. */
static void
conn_alpn(struct conn *c)
{
	const unsigned char	*p;
	unsigned		 len;

	SSL_get0_alpn_selected(c->ssl, &p, &len);
	if (len == 2 && p[0] == 'h' && p[1] == '2')
		c->proto = &proto_h2;
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
			log_debug("conn=%llu %s %s%s",
			    (unsigned long long)c->id,
			    SSL_get_version(c->ssl),
			    SSL_get_cipher_name(c->ssl),
			    SSL_session_reused(c->ssl) ? ", resumed" : "");
		conn_alpn(c);
		conn_enter(c, CONN_ACTIVE);
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

/* How long the client's wait w lasts by the configuration. */
static int64_t
wait_ms(const struct conn *c, enum conn_wait w)
{
	switch (w) {
	case WAIT_BODY:
		return G(c)->client_body_timeout_ms;
	case WAIT_SEND:
		return G(c)->send_timeout_ms;
	case WAIT_IDLE:
		return G(c)->keepalive_timeout_ms;
	case WAIT_LINGER:
		return LINGER_MS;
	default:
		/* The handshake and the head; a request's own waits are
		 * armed by req_wait(), which knows their lengths. */
		return G(c)->client_header_timeout_ms;
	}
}

/* Arms the timer for what the connection now waits for. */
void
conn_wait(struct conn *c, enum conn_wait w)
{
	conn_wait_ms(c, w, wait_ms(c, w));
}

void
conn_wait_ms(struct conn *c, enum conn_wait w, int64_t ms)
{
	c->wait = w;
	c->wait_len_ms = ms;
	ev_timer_start(c->w->loop, &c->timer, ms, conn_timeout, c);
}

void
conn_run(struct conn *c)
{
	enum step	s = STEP_CLOSE;

	do {
		switch (c->state) {
		case CONN_PROXY:
			s = conn_proxy_read(c);
			break;
		case CONN_HANDSHAKE:
			s = conn_handshake(c);
			break;
		case CONN_ACTIVE:
			s = c->proto->run(c);
			break;
		case CONN_IDLE:
			s = conn_idle(c);
			break;
		case CONN_LINGER:
			s = conn_linger_read(c);
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
		if (c->state == CONN_ACTIVE)
			c->proto->lost(c, c->why);
		conn_close(c);
		return;
	}
	if (events & EPOLLIN)
		c->client_readable = true;
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

	if (c->parent != NULL)
		c = c->parent;
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
	if (c->fd == -1) {
		c->proto->want(c, ev);
		return;
	}
	ev_io_mod(c->w->loop, &c->io, ev);
	/*
	 * Bytes OpenSSL holds already (a record decrypted, or records read
	 * ahead) never wake epoll: come back at once, as a level-triggered
	 * event would.
	 */
	if (c->ssl != NULL && (ev & EPOLLIN) && SSL_has_pending(c->ssl))
		ev_timer_start(c->w->loop, &c->kick, 0, conn_kick, c);
}

/*
 * While the upstream works, the client stays watched for input (changing
 * the epoll mask twice a request costs more than it saves): what arrives
 * is a pipelined request, kept in c->in above its first keep bytes (the
 * head in progress), or an EOF. Input is only dropped
 * from the mask when c->in is full or the client has closed, so a level-
 * triggered wakeup never repeats for data we leave unread.
 */
void
client_absorb(struct conn *c, size_t keep)
{
	ssize_t	n;

	if (!c->client_readable || c->fd == -1)
		return;
	c->client_readable = false;
	if (c->client_eof || c->in == NULL)
		return;
	n = read_into(c->fd, c->ssl, c->in, keep);
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
 * The timer ran out. The handshake, keep-alive and lingering waits are
 * the connection's; any other is its protocol's, which knows whom to
 * blame (c->wait).
 */
static void
conn_timeout(struct ev_loop *loop, void *arg)
{
	struct conn	*c = arg;
	char		 d[32];
	enum step	 s = STEP_CLOSE;

	if (c->wait != WAIT_CACHE && log_enabled(LOG_LVL_DEBUG)) {
		fmt_duration(d, sizeof(d), c->wait_len_ms);
		log_debug("conn=%llu %s timeout (%s) in %s: %s side",
		    (unsigned long long)c->id, waits[c->wait].name, d,
		    conn_state_names[c->state], waits[c->wait].side);
	}
	switch (c->state) {
	case CONN_PROXY:
		s = conn_proxy_timeout(c);
		break;
	case CONN_HANDSHAKE:
		c->why = "TLS handshake timeout";
		log_info("conn=%llu %s TLS handshake timed out",
		    (unsigned long long)c->id, peer_name(c));
		break;
	case CONN_IDLE:
		c->why = c->w->draining ? "shutting down, quiet" :
		    "keep-alive timeout";
		break;
	case CONN_LINGER:
		c->why = "lingering close done";
		break;
	case CONN_ACTIVE:
		s = c->proto->timeout(c);
		break;
	case CONN_DONE:
		return;
	}
	/* An error answer may have had no memory. */
	if (s == STEP_CLOSE)
		conn_close(c);
	else
		conn_run(c);
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
		/* A record at a time, until all is out or the socket is
		   full. */
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
 * To the client: c->out, then n bytes of src; as send_two() says. A
 * stream's go through its protocol.
 */
ssize_t
client_send(struct conn *c, struct buf *src, size_t n, bool *blocked,
    uint64_t *sent)
{
	if (c->fd == -1)
		return c->proto->send(c, src, n, blocked, sent);
	return send_two(c->fd, c->ssl, &c->tls_stuck, c->out, src, n, blocked,
	    sent);
}

/* From the client into c->in, as read_into() says. */
ssize_t
client_read(struct conn *c, size_t keep)
{
	if (c->fd == -1)
		return c->proto->recv(c, keep);
	return read_into(c->fd, c->ssl, c->in, keep);
}

/*
 * Goes on with a step its protocol took outside conn_run() (a stream
 * its connection started).
 */
void
conn_result(struct conn *c, enum step s)
{
	if (s == STEP_AGAIN)
		conn_run(c);
	else if (s == STEP_CLOSE)
		conn_close(c);
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
 * reading it is the protocol's job, which sees an EOF too.
 */
static enum step
conn_idle(struct conn *c)
{
	conn_enter(c, CONN_ACTIVE);
	conn_wait(c, WAIT_HEADER);
	return STEP_AGAIN;
}

/*
 * After a response, the protocol keeps the connection for the next
 * request: no buffer is held while it waits, only this struct.
 */
enum step
conn_keep_alive(struct conn *c)
{
	if (c->out != NULL && buf_len(c->out) == 0) {
		buf_put(c->out);
		c->out = NULL;
	}
	buf_put(c->in);
	c->in = NULL;
	set_client_events(c, EPOLLIN);
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

/*
 * Closes the way a client can read: our side is shut first, and whatever
 * the client still sends (the rest of a refused body, a pipelined
 * request) is read and dropped for a moment, since closing with unread
 * data would reset the connection and could destroy the last answer
 * before the client reads it.
 */
enum step
conn_linger(struct conn *c)
{
	conn_enter(c, CONN_LINGER);
	if (c->ssl != NULL)
		tlsio_close(c->ssl);
	shutdown(c->fd, SHUT_WR);
	conn_wait(c, WAIT_LINGER);
	return STEP_AGAIN;
}

static enum step
conn_linger_read(struct conn *c)
{
	char	sink[4096];
	ssize_t	n;

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
	c->proto->end(c);
	conn_limit_leave(c);
	conn_enter(c, CONN_DONE);
	ev_timer_stop(w->loop, &c->timer);
	ev_timer_stop(w->loop, &c->kick);
	if (c->fd == -1) {
		/* A stream: its connection frees it. */
		buf_put(c->in);
		buf_put(c->out);
		c->in = c->out = NULL;
		return;
	}
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
	free(c->local);
	c->local = NULL;
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
 * progress finishes, with Connection: close if its head is not out yet
 * (the protocol's part); an idle keep-alive connection closes once quiet
 * (see the cases). A connection accepted moments ago whose request has
 * not arrived yet is kept: its client has sent or is sending that
 * request. The header timer still bounds it.
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
		if ((c->ssl != NULL && SSL_has_pending(c->ssl)) ||
		    recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
			c->close_after = true;
			conn_enter(c, CONN_ACTIVE);
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
	case CONN_PROXY:
	case CONN_HANDSHAKE:
		/* A header or handshake on its way: a moment more. */
		c->close_after = true;
		conn_wait_ms(c, WAIT_HEADER, DRAIN_GRACE_MS);
		return;
	case CONN_ACTIVE:
		c->proto->drain(c);
		return;
	case CONN_LINGER:
	case CONN_DONE:
		return;
	}
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

void
conn_close_all(struct worker *w)
{
	while (w->conns != NULL) {
		w->conns->why = "worker stopping";
		conn_close(w->conns);
	}
}
