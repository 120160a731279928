/*
 * The connection state machine. conn_run() drives it until a step has to
 * wait for I/O or a timer, or the connection is finished; every wait has a
 * timer. Memory per connection is fixed (two buffers), whatever the body
 * size: bodies stream through the buffers in both directions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "worker/accesslog.h"
#include "worker/conn.h"

#define HEADER_TIMEOUT_MS	60000
#define CONNECT_TIMEOUT_MS	10000
#define RELAY_TIMEOUT_MS	60000
#define SEND_TIMEOUT_MS		60000

static const char *const conn_state_names[] = {
	[CONN_READ_HEAD] = "read_head",
	[CONN_CONNECT] = "connect",
	[CONN_RELAY] = "relay",
	[CONN_RESPOND] = "respond",
	[CONN_DONE] = "done",
};

static void		conn_run(struct conn *);
static enum step	conn_read_head(struct conn *);
static enum step	conn_connect(struct conn *);
static enum step	conn_relay(struct conn *);
static enum step	conn_respond(struct conn *);
static enum step	conn_fail(struct conn *, int, const char *);
static void		conn_enter(struct conn *, enum conn_state);
static void		conn_close(struct conn *);
static void		conn_client_cb(struct ev_loop *, int, uint32_t, void *);
static void		conn_up_cb(struct ev_loop *, int, uint32_t, void *);
static void		conn_timeout(struct ev_loop *, void *);

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

void
conn_accept(struct worker *w, int fd, const struct addr *peer)
{
	struct conn	*c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_warn("out of memory for a new connection; closing it");
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->in.start = c->in.end = c->out.start = c->out.end = 0;
	c->w = w;
	c->id = ++w->next_id;
	c->fd = fd;
	c->up_fd = -1;
	c->up_io.fd = -1;
	c->slot = -1;
	c->started_ms = ev_now(w->loop);
	addr_format(peer, c->peer, sizeof(c->peer));
	/* The access log wants the bare address. */
	if (c->peer[0] == '[') {
		char *rb = strchr(c->peer, ']');

		memmove(c->peer, c->peer + 1, (size_t)(rb - c->peer - 1));
		c->peer[rb - c->peer - 1] = '\0';
	} else
		c->peer[strcspn(c->peer, ":")] = '\0';
	strlcpy_(c->upstream, "-", sizeof(c->upstream));
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	if (ev_io_add(w->loop, &c->io, fd, EPOLLIN, conn_client_cb, c) == -1) {
		log_warn("conn=%llu epoll: %s", (unsigned long long)c->id,
		    strerror(errno));
		conn_close(c);
		return;
	}
	c->state = CONN_READ_HEAD;
	ev_timer_start(w->loop, &c->timer, HEADER_TIMEOUT_MS, conn_timeout, c);
	counter_add(w->env->counters, CNT_ACCEPTED, 1);
}

static void
conn_enter(struct conn *c, enum conn_state s)
{
	log_debug("conn=%llu %s -> %s", (unsigned long long)c->id,
	    conn_state_names[c->state], conn_state_names[s]);
	c->state = s;
}

static void
conn_run(struct conn *c)
{
	enum step	s = STEP_CLOSE;

	do {
		switch (c->state) {
		case CONN_READ_HEAD:
			s = conn_read_head(c);
			break;
		case CONN_CONNECT:
			s = conn_connect(c);
			break;
		case CONN_RELAY:
			s = conn_relay(c);
			break;
		case CONN_RESPOND:
			s = conn_respond(c);
			break;
		case CONN_DONE:
			return;
		}
	} while (s == STEP_AGAIN);
	if (s == STEP_CLOSE)
		conn_close(c);
}

static void
conn_client_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	conn_run(arg);
}

static void
conn_up_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	conn_run(arg);
}

static void
conn_timeout(struct ev_loop *loop, void *arg)
{
	struct conn	*c = arg;

	switch (c->state) {
	case CONN_READ_HEAD:
		if (c->in.end == 0) {
			c->why = "idle before a request";
			conn_close(c);
			return;
		}
		conn_fail(c, 408, "client header timeout");
		break;
	case CONN_CONNECT:
		log_warn("conn=%llu %s upstream %s: connect timeout",
		    (unsigned long long)c->id, c->peer, c->upstream);
		counter_add(c->w->env->counters, CNT_UPSTREAM_ERRORS, 1);
		conn_fail(c, 504, "upstream connect timeout");
		break;
	case CONN_RELAY:
		if (c->status == 0) {
			log_warn("conn=%llu %s upstream %s: read timeout",
			    (unsigned long long)c->id, c->peer, c->upstream);
			conn_fail(c, 504, "upstream read timeout");
		} else {
			c->why = "relay timeout";
			conn_close(c);
			return;
		}
		break;
	default:
		c->why = "send timeout";
		conn_close(c);
		return;
	}
	conn_run(c);
}

/*
 * Queues our own response in the out buffer and switches to sending it.
 * Any upstream connection is dropped.
 */
static enum step
conn_fail(struct conn *c, int status, const char *why)
{
	char	body[256];
	int	n, m;

	c->why = why;
	c->status = status;
	if (c->up_fd != -1) {
		ev_io_del(c->w->loop, &c->up_io);
		close(c->up_fd);
		c->up_fd = -1;
	}
	n = snprintf(body, sizeof(body), "<html><head><title>%d %s</title>"
	    "</head><body><h1>%d %s</h1><hr>frontd</body></html>\n", status,
	    status_text(status), status, status_text(status));
	m = snprintf(c->out.data, sizeof(c->out.data), "HTTP/1.1 %d %s\r\n"
	    "Server: frontd\r\nContent-Type: text/html\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s", status,
	    status_text(status), n, body);
	c->out.start = 0;
	c->out.end = (size_t)m;
	conn_enter(c, CONN_RESPOND);
	ev_timer_start(c->w->loop, &c->timer, SEND_TIMEOUT_MS, conn_timeout, c);
	return STEP_AGAIN;
}

static bool
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Finds a header's value in the head; for logging only. */
static const char *
head_value(struct conn *c, const char *name, size_t *len)
{
	size_t		 nl = strlen(name);
	const char	*p = c->in.data + c->reqline_len + 2;
	const char	*end = c->in.data + c->head_len - 2;

	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(eol - v);
			return v;
		}
		p = eol + 2;
	}
	*len = 0;
	return NULL;
}

static size_t
copy_field(char *dst, size_t size, const char *src, size_t n)
{
	if (src == NULL)
		return 0;
	if (n > size)
		n = size;
	memcpy(dst, src, n);
	return n;
}

static void
save_for_log(struct conn *c)
{
	const char	*v;
	size_t		 n;

	c->log_req_len = copy_field(c->log_req, sizeof(c->log_req),
	    c->in.data, c->reqline_len);
	v = head_value(c, "user-agent", &n);
	c->log_ua_len = copy_field(c->log_ua, sizeof(c->log_ua), v, n);
	v = head_value(c, "referer", &n);
	c->log_ref_len = copy_field(c->log_ref, sizeof(c->log_ref), v, n);
}

/* Checks the request line: METHOD SP TARGET SP HTTP/1.x. */
static int
check_request_line(struct conn *c)
{
	const char	*p = c->in.data, *e = p + c->reqline_len;
	const char	*sp1, *sp2;

	for (sp1 = p; sp1 < e && is_tchar((unsigned char)*sp1); sp1++)
		;
	if (sp1 == p || sp1 == e || *sp1 != ' ')
		return 400;
	for (sp2 = sp1 + 1; sp2 < e && *sp2 > ' ' && *sp2 < 0x7f; sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 == e || *sp2 != ' ')
		return 400;
	if (e - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' ||
	    sp2[8] < '0' || sp2[8] > '9')
		return 400;
	if (sp2[6] != '1' || (sp2[8] != '0' && sp2[8] != '1'))
		return 505;
	return 0;
}

static bool
hop_header(const char *p, size_t n)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "proxy-connection", NULL };

	for (int i = 0; hop[i] != NULL; i++) {
		size_t l = strlen(hop[i]);

		if (n > l && p[l] == ':' && strncasecmp(p, hop[i], l) == 0)
			return true;
	}
	return false;
}

/*
 * Rewrites the head in place for the upstream: hop-by-hop headers out,
 * "Connection: close" in. The rewritten head is never longer than the
 * original plus our line, which CONN_HEAD_MAX leaves room for.
 */
static void
rewrite_head(struct conn *c)
{
	char	*d = c->in.data, *p, *end = d + c->head_len - 2;
	char	*o = d + c->reqline_len + 2;
	size_t	 rest = c->in.end - c->head_len;

	p = o;
	while (p < end) {
		char	*eol = memchr(p, '\r', (size_t)(end - p));
		size_t	 n = (size_t)(eol - p) + 2;

		if (!hop_header(p, (size_t)(eol - p))) {
			memmove(o, p, n);
			o += n;
		}
		p = eol + 2;
	}
	/* Keep the body bytes that came with the head. */
	memmove(o + 21, d + c->head_len, rest);
	memcpy(o, "Connection: close\r\n\r\n", 21);
	c->in.end = (size_t)(o - d) + 21 + rest;
	c->head_len = (size_t)(o - d) + 21;
}

static enum step
conn_read_head(struct conn *c)
{
	struct worker	*w = c->w;
	char		*crlf2;
	ssize_t		 n;
	int		 st;
	size_t		 i;

	for (;;) {
		crlf2 = memmem(c->in.data, c->in.end, "\r\n\r\n", 4);
		if (crlf2 != NULL)
			break;
		if (c->in.end >= CONN_HEAD_MAX)
			return conn_fail(c, 431, "request head too large");
		n = read(c->fd, c->in.data + c->in.end,
		    CONN_HEAD_MAX - c->in.end);
		if (n == 0) {
			c->why = "client closed before a request";
			return STEP_CLOSE;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return STEP_WAIT;
			c->why = "client read error";
			return STEP_CLOSE;
		}
		counter_add(w->env->counters, CNT_BYTES_IN, (uint64_t)n);
		c->in.end += (size_t)n;
	}
	c->head_len = (size_t)(crlf2 - c->in.data) + 4;
	c->reqline_len = (size_t)((char *)memmem(c->in.data, c->head_len,
	    "\r\n", 2) - c->in.data);
	counter_add(w->env->counters, CNT_REQUESTS, 1);
	for (i = 0; i < c->head_len; i++) {
		unsigned char ch = (unsigned char)c->in.data[i];

		if (ch == 0 || (ch == '\r' && c->in.data[i + 1] != '\n') ||
		    (ch == '\n' && (i == 0 || c->in.data[i - 1] != '\r')))
			return conn_fail(c, 400, "bad bytes in request head");
	}
	save_for_log(c);
	if ((st = check_request_line(c)) != 0)
		return conn_fail(c, st, "bad request line");
	if (w->env->cfg->nroutes == 0)
		return conn_fail(c, 404, "no route");
	if (w->draining)
		ev_io_mod(w->loop, &c->io, 0);
	rewrite_head(c);
	conn_enter(c, CONN_CONNECT);
	return STEP_AGAIN;
}

/* Starts a non-blocking connect to the next server of the route. */
static enum step
conn_connect(struct conn *c)
{
	struct worker		*w = c->w;
	const struct config	*cfg = w->env->cfg;
	const struct cfg_route	*r = cfg->routes[0];
	const struct cfg_upstream *u = cfg->upstreams[r->upstream];
	const struct cfg_server	*s;
	size_t			 idx;
	int			 fd, err;
	socklen_t		 len = sizeof(err);

	if (c->up_fd == -1) {
		idx = w->rr++ % u->nservers;
		s = &u->servers[idx];
		c->slot = (int)(w->slot_base[r->upstream] + idx);
		addr_format(&s->addr, c->upstream, sizeof(c->upstream));
		fd = socket(s->addr.ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			log_warn("conn=%llu socket: %s",
			    (unsigned long long)c->id, strerror(errno));
			return conn_fail(c, 502, "no socket for upstream");
		}
		c->up_fd = fd;
		atomic_fetch_add(&w->env->health->slots[c->slot].active, 1);
		atomic_fetch_add(&w->env->health->slots[c->slot].requests, 1);
		if (connect(fd, (const struct sockaddr *)&s->addr.ss,
		    s->addr.len) == -1 && errno != EINPROGRESS) {
			err = errno;
			goto failed;
		}
		ev_io_add(w->loop, &c->up_io, fd, EPOLLOUT, conn_up_cb, c);
		ev_io_mod(w->loop, &c->io, 0);
		ev_timer_start(w->loop, &c->timer, CONNECT_TIMEOUT_MS,
		    conn_timeout, c);
		return STEP_WAIT;
	}
	if (getsockopt(c->up_fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return STEP_WAIT;
	if (err != 0)
		goto failed;
	conn_enter(c, CONN_RELAY);
	ev_timer_start(w->loop, &c->timer, RELAY_TIMEOUT_MS, conn_timeout, c);
	return STEP_AGAIN;
failed:
	log_warn("conn=%llu %s upstream %s: connect failed: %s",
	    (unsigned long long)c->id, c->peer, c->upstream, strerror(err));
	counter_add(w->env->counters, CNT_UPSTREAM_ERRORS, 1);
	return conn_fail(c, 502, "upstream connect failed");
}

/* Parses "HTTP/1.x NNN" at the start of the response, once. */
static void
note_status(struct conn *c)
{
	const char	*d = c->out.data;

	if (c->status != 0 || c->out.end < 12)
		return;
	if (memcmp(d, "HTTP/1.", 7) == 0 && d[8] == ' ' &&
	    d[9] >= '1' && d[9] <= '5' && d[10] >= '0' && d[10] <= '9' &&
	    d[11] >= '0' && d[11] <= '9')
		c->status = (d[9] - '0') * 100 + (d[10] - '0') * 10 +
		    (d[11] - '0');
	else
		c->status = 502;
}

/*
 * Moves bytes both ways, a bounded amount per turn. Done when the upstream
 * has closed and everything it sent has reached the client.
 */
static enum step
conn_relay(struct conn *c)
{
	struct worker	*w = c->w;
	ssize_t		 n;
	uint32_t	 cev = 0, uev = 0;
	bool		 progress = false;

	/* client -> upstream */
	if (!c->client_eof && c->in.end < sizeof(c->in.data)) {
		n = read(c->fd, c->in.data + c->in.end,
		    sizeof(c->in.data) - c->in.end);
		if (n > 0) {
			c->in.end += (size_t)n;
			counter_add(w->env->counters, CNT_BYTES_IN, (uint64_t)n);
			progress = true;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->client_eof = true;
	}
	if (c->in.start < c->in.end) {
		n = write(c->up_fd, c->in.data + c->in.start,
		    c->in.end - c->in.start);
		if (n > 0) {
			c->in.start += (size_t)n;
			progress = true;
			if (c->in.start == c->in.end)
				c->in.start = c->in.end = 0;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			/* The upstream stopped reading; its answer may follow. */
			c->in.start = c->in.end = 0;
			c->client_eof = true;
		}
	}
	if (c->client_eof && c->in.start == c->in.end && !c->up_shut) {
		shutdown(c->up_fd, SHUT_WR);
		c->up_shut = true;
	}
	/* upstream -> client */
	if (!c->up_eof && c->out.end < sizeof(c->out.data)) {
		n = read(c->up_fd, c->out.data + c->out.end,
		    sizeof(c->out.data) - c->out.end);
		if (n > 0) {
			c->out.end += (size_t)n;
			note_status(c);
			progress = true;
		} else if (n == 0)
			c->up_eof = true;
		else if (errno != EAGAIN && errno != EINTR) {
			c->up_eof = true;
			if (c->status == 0) {
				log_warn("conn=%llu %s upstream %s: %s",
				    (unsigned long long)c->id, c->peer,
				    c->upstream, strerror(errno));
				return conn_fail(c, 502, "upstream reset");
			}
		}
	}
	if (c->up_eof && c->status == 0 && c->out.end == 0) {
		log_warn("conn=%llu %s upstream %s: closed without a response",
		    (unsigned long long)c->id, c->peer, c->upstream);
		counter_add(w->env->counters, CNT_UPSTREAM_ERRORS, 1);
		return conn_fail(c, 502, "upstream sent no response");
	}
	if (c->out.start < c->out.end) {
		n = write(c->fd, c->out.data + c->out.start,
		    c->out.end - c->out.start);
		if (n > 0) {
			c->out.start += (size_t)n;
			c->bytes_out += (uint64_t)n;
			counter_add(w->env->counters, CNT_BYTES_OUT,
			    (uint64_t)n);
			progress = true;
			if (c->out.start == c->out.end)
				c->out.start = c->out.end = 0;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			c->why = "client write error";
			return STEP_CLOSE;
		}
	}
	if (c->up_eof && c->out.start == c->out.end) {
		c->why = "done";
		return STEP_CLOSE;
	}
	if (!c->client_eof && c->in.end < sizeof(c->in.data))
		cev |= EPOLLIN;
	if (c->out.start < c->out.end)
		cev |= EPOLLOUT;
	if (!c->up_eof && c->out.end < sizeof(c->out.data))
		uev |= EPOLLIN;
	if (c->in.start < c->in.end)
		uev |= EPOLLOUT;
	ev_io_mod(w->loop, &c->io, cev);
	ev_io_mod(w->loop, &c->up_io, uev);
	if (progress)
		ev_timer_start(w->loop, &c->timer, RELAY_TIMEOUT_MS,
		    conn_timeout, c);
	return STEP_WAIT;
}

static enum step
conn_respond(struct conn *c)
{
	ssize_t	n;

	while (c->out.start < c->out.end) {
		n = write(c->fd, c->out.data + c->out.start,
		    c->out.end - c->out.start);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				ev_io_mod(c->w->loop, &c->io, EPOLLOUT);
				return STEP_WAIT;
			}
			return STEP_CLOSE;
		}
		c->out.start += (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	/* Let the client read the answer before the close resets it. */
	shutdown(c->fd, SHUT_WR);
	return STEP_CLOSE;
}

static void
conn_log(struct conn *c)
{
	struct access_entry	 e;
	static const enum counter cls[] = { CNT_STATUS_1XX, CNT_STATUS_1XX,
	    CNT_STATUS_2XX, CNT_STATUS_3XX, CNT_STATUS_4XX, CNT_STATUS_5XX };

	if (c->head_len == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.client = c->peer;
	e.request = c->log_req;
	e.request_len = c->log_req_len;
	e.user_agent = c->log_ua_len ? c->log_ua : NULL;
	e.user_agent_len = c->log_ua_len;
	e.referer = c->log_ref_len ? c->log_ref : NULL;
	e.referer_len = c->log_ref_len;
	e.status = c->status;
	e.bytes = c->bytes_out;
	e.duration_ms = ev_now(c->w->loop) - c->started_ms;
	e.upstream = c->upstream;
	if (c->status >= 100 && c->status < 600)
		counter_add(c->w->env->counters, cls[c->status / 100], 1);
	accesslog_write(&e);
}

static void
conn_free(void *arg)
{
	free(arg);
}

static void
conn_close(struct conn *c)
{
	struct worker	*w = c->w;

	if (c->state == CONN_DONE)
		return;
	log_debug("conn=%llu %s closed: %s", (unsigned long long)c->id,
	    c->peer, c->why ? c->why : "-");
	conn_log(c);
	conn_enter(c, CONN_DONE);
	ev_timer_stop(w->loop, &c->timer);
	ev_io_del(w->loop, &c->io);
	close(c->fd);
	if (c->up_fd != -1) {
		ev_io_del(w->loop, &c->up_io);
		close(c->up_fd);
	}
	if (c->slot >= 0)
		atomic_fetch_sub(&w->env->health->slots[c->slot].active, 1);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	ev_defer_free(w->loop, conn_free, c);
	if (w->draining && w->nconns == 0)
		ev_break(w->loop);
}

/*
 * Graceful stop: a keep-alive connection idle between requests is closed
 * now; one with a request in progress finishes it. A connection accepted
 * moments ago whose request has not arrived yet is kept: its client has
 * sent or is sending that request, and closing would lose it. The header
 * timer still bounds it.
 */
void
conn_drain(struct conn *c)
{
	if (c->state == CONN_READ_HEAD && c->in.end == 0 && c->nrequests > 0) {
		c->why = "shutting down";
		conn_close(c);
	}
}

void
conn_close_all(struct worker *w)
{
	while (w->conns != NULL) {
		w->conns->why = "worker stopping";
		conn_close(w->conns);
	}
}
