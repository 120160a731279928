/*
 * The health checker: a role of its own, the sole writer of the active
 * check state in the shared health table. Each checked server has one
 * struct chk, made at start, that runs one check at a time under one timer:
 * health_timeout while connecting, shaking hands (tls = on), sending and
 * reading, then the wait for the next check. What must outlive a reload
 * lives in the slot, not here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/proxy_proto.h"
#include "common/sandbox.h"
#include "common/shm.h"
#include "common/util.h"
#include "common/tls.h"
#include "common/tlsio.h"

#define CHK_BUF_SIZE		(64 * 1024)	/* answer bytes kept at most */
#define CHK_SPREAD_MS		1000	/* first checks spread over this */
#define CHK_LOCAL_LOG_MS	10000	/* local trouble: a line per 10s */

/* Where one check is; every state but idle is bounded by health_timeout. */
enum chk_state {
	CHK_IDLE,		/* between checks; timer: the next check */
	CHK_CONNECT,		/* non-blocking connect; timer: timeout */
	CHK_HANDSHAKE,		/* TLS handshake (tls = on); timer: timeout */
	CHK_SEND,		/* writing the request; timer: timeout */
	CHK_READ		/* reading the answer; timer: timeout */
};

static const char *const chk_state_names[] = {
	[CHK_IDLE] = "idle",
	[CHK_CONNECT] = "connect",
	[CHK_HANDSHAKE] = "handshake",
	[CHK_SEND] = "send",
	[CHK_READ] = "read"
};

enum step {
	STEP_AGAIN,		/* moved on: run the next state */
	STEP_WAIT,		/* waiting for the socket */
	STEP_DONE		/* verdict in failed/local/why */
};

/* How the end of the answer is known once its head is in. */
enum chk_body {
	BODY_NONE,		/* HEAD, 204, 304: the head is all */
	BODY_LENGTH,		/* Content-Length */
	BODY_CHUNKED,		/* decoded in place as it arrives */
	BODY_CLOSE		/* until the server closes */
};

/* Answer buffers are only needed while reading: a free list shares them. */
struct chk_buf {
	struct chk_buf	*next;
	char		 data[CHK_BUF_SIZE];
};

struct chk {
	const struct cfg_upstream	*u;
	const struct cfg_server		*sv;
	struct health_slot		*slot;
	enum chk_state			 state;
	struct ev_io			 io;
	struct ev_timer			 timer;
	int				 fd;
	SSL				*ssl;		/* tls = on */
	int64_t				 started_ms;	/* ev_now() */
	uint64_t			 started_usec;
	char				*req;		/* NULL: tcp */
	size_t				 reqlen, sent;

	/* The answer so far is buf->data[0..len). */
	struct chk_buf			*buf;
	size_t				 len;
	struct http_parser		 ps;
	bool				 head_done;
	int				 status;
	enum chk_body			 body;
	size_t				 body_off;	/* after the head */
	size_t				 body_end;	/* chunked: decoded */
	size_t				 raw_off;	/* chunked: undecoded */
	uint64_t			 content_length;
	struct http_chunked		 chunked;

	bool				 failed;	/* the server failed */
	bool				 local;		/* we could not check */
	char				 why[256];
};

static enum step	 chk_connect(struct chk *);
static int		 chk_proxy_header(struct chk *);
static enum step	 chk_handshake(struct chk *);
static enum step	 chk_send(struct chk *);
static enum step	 chk_read(struct chk *);
static enum step	 chk_answer(struct chk *, bool);
static enum step	 chk_verdict(struct chk *);
static int		 chk_tls_start(struct chk *);
static enum step	 chk_tls_wait(struct chk *, int, const char *);
static bool		 chk_tls_eof(struct chk *, int);
static bool		 chk_tls_want(struct chk *, int);
static void		 chk_tls_end(struct chk *);
static enum step	 chk_watch(struct chk *, uint32_t);
static enum step	 chk_fail(struct chk *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static enum step	 chk_local(struct chk *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static void		 chk_enter(struct chk *, enum chk_state);
static void		 chk_run(struct chk *);
static void		 chk_begin(struct chk *);
static void		 chk_finish(struct chk *);
static void		 chk_record(struct chk *);
static void		 chk_event(struct ev_loop *, int, uint32_t, void *);
static void		 chk_timer(struct ev_loop *, void *);
static int		 chk_setup(struct proc_env *);
static void		 chk_cleanup(void);
static int64_t		 wall_ms(void);

static const struct http_limits chk_limits = {
	.max_head_bytes = CHK_BUF_SIZE,
	.max_line_bytes = 8192,
	.max_headers = HTTP_MAX_HEADERS_LIMIT
};

static struct ev_io	 sig_io, life_io;
static int		 status;
static struct ev_loop	*chk_loop;
static struct chk	*chks;
static size_t		 nchks;
static struct chk_buf	*free_bufs;
static int64_t		 local_logged_ms = -CHK_LOCAL_LOG_MS;
static struct http_head	 head;	/* only read right after a parse */

static void
checker_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;
	char			why[256];

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGQUIT:
		case SIGTERM:
		case SIGINT:
			ev_break(loop);
			return;
		case SIGUSR1:
			if (log_reopen(why, sizeof(why)) == -1)
				log_error("cannot reopen %s: %s", log_target(),
				    why);
			break;
		default:
			break;
		}
	}
}

static void
checker_life(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	log_warn("master process is gone; exiting");
	status = 1;
	ev_break(loop);
}

int
checker_main(struct proc_env *env)
{
	int		 sigfd;

	if ((sigfd = proc_signalfd()) == -1 ||
	    (chk_loop = ev_loop_new()) == NULL) {
		log_error("signalfd/epoll: %s", strerror(errno));
		return 1;
	}
	/* The checker accepts nothing: drop the inherited listeners. */
	for (size_t i = 0; i < env->nlistens; i++)
		close(env->listens[i].fd);
	if (chk_setup(env) == -1) {
		log_error("health checker: %s", strerror(errno));
		chk_cleanup();
		ev_loop_free(chk_loop);
		close(sigfd);
		return 1;
	}
	ev_io_add(chk_loop, &sig_io, sigfd, EPOLLIN, checker_signal, NULL);
	ev_io_add(chk_loop, &life_io, env->life_fd, EPOLLIN, checker_life,
	    NULL);
	if (env->cfg->global.sandbox &&
	    sandbox_enter(SANDBOX_CHECKER, env->cfg) == -1) {
		chk_cleanup();
		ev_loop_free(chk_loop);
		close(sigfd);
		return 1;
	}
	proc_report_ready(env);
	log_debug("health checker of generation %d ready, %zu of %llu servers "
	    "checked", env->generation, nchks,
	    (unsigned long long)env->health->hdr.nslots);
	ev_run(chk_loop);
	chk_cleanup();
	ev_loop_free(chk_loop);
	close(sigfd);
	return status;
}

/*
 * One struct chk per server to check, with its request built once. The
 * first checks are spread over up to a second, so a thousand servers do
 * not all connect in the same millisecond; each keeps its offset after.
 */
static int
chk_setup(struct proc_env *env)
{
	const struct config	*cfg = env->cfg;
	struct health_zone	*z = env->health;
	size_t			 n = 0, k = 0;

	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		if (u->slot0 + u->nservers > z->hdr.nslots) {
			log_error("upstream %s: health slots %zu..%zu beyond "
			    "the table (%llu)", u->sec.name, u->slot0,
			    u->slot0 + u->nservers,
			    (unsigned long long)z->hdr.nslots);
			continue;
		}
		for (size_t j = 0; j < u->nservers; j++) {
			struct health_slot *s = &z->slots[u->slot0 + j];

			if (u->check != CHECK_OFF) {
				if (!u->servers[j].down &&
				    !u->servers[j].drain)
					n++;
				continue;
			}
			/*
			 * Checks were turned off by a reload: nobody would
			 * ever lift a down state left in the slot.
			 */
			if (atomic_load(&s->state) != HEALTH_UNKNOWN) {
				s->successes = s->failures = 0;
				atomic_store(&s->state, HEALTH_UNKNOWN);
			}
		}
	}
	if (n == 0)
		return 0;
	if ((chks = calloc(n, sizeof(*chks))) == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		if (u->check == CHECK_OFF ||
		    u->slot0 + u->nservers > z->hdr.nslots)
			continue;
		for (size_t j = 0; j < u->nservers; j++) {
			const struct cfg_server *sv = &u->servers[j];
			struct chk		*c = &chks[k];
			int64_t			 spread;
			int			 len;

			if (sv->down || sv->drain)
				continue;
			c->u = u;
			c->sv = sv;
			c->slot = &z->slots[u->slot0 + j];
			c->fd = -1;
			c->io.fd = -1;
			if (u->check == CHECK_HTTP) {
				len = asprintf(&c->req, "%s %s HTTP/1.1\r\n"
				    "Host: %s\r\n"
				    "User-Agent: frontd-health-check\r\n"
				    "Connection: close\r\n\r\n",
				    u->check_method, u->check_path,
				    u->check_host ? u->check_host : sv->spec);
				if (len == -1) {
					c->req = NULL;
					return -1;
				}
				c->reqlen = (size_t)len;
			}
			nchks = ++k;
			spread = u->check_interval_ms < CHK_SPREAD_MS ?
			    u->check_interval_ms : CHK_SPREAD_MS;
			ev_timer_start(chk_loop, &c->timer, spread *
			    (int64_t)(k - 1) / (int64_t)n, chk_timer, c);
		}
	}
	return 0;
}

static void
chk_cleanup(void)
{
	struct chk_buf	*b;

	for (size_t i = 0; i < nchks; i++) {
		chk_tls_end(&chks[i]);
		if (chks[i].fd != -1)
			close(chks[i].fd);
		free(chks[i].buf);
		free(chks[i].req);
	}
	free(chks);
	chks = NULL;
	nchks = 0;
	while ((b = free_bufs) != NULL) {
		free_bufs = b->next;
		free(b);
	}
}

/* The one timer: in idle it starts a check, otherwise the check is late. */
static void
chk_timer(struct ev_loop *loop, void *arg)
{
	struct chk	*c = arg;
	char		 d[32];

	if (c->state == CHK_IDLE) {
		/* In maint by frontdctl: not checked until it is back. */
		if (atomic_load_explicit(&c->slot->admin_state,
		    memory_order_relaxed) == ADMIN_MAINT)
			ev_timer_start(chk_loop, &c->timer,
			    c->u->check_interval_ms, chk_timer, c);
		else
			chk_begin(c);
		return;
	}
	fmt_duration(d, sizeof(d), c->u->check_timeout_ms);
	chk_fail(c, "timed out after %s", d);
	chk_finish(c);
}

static void
chk_begin(struct chk *c)
{
	const struct addr	*a = &c->sv->addr;

	c->started_ms = ev_now(chk_loop);
	c->started_usec = now_usec();
	c->failed = c->local = false;
	c->why[0] = '\0';
	c->sent = c->len = 0;
	c->head_done = false;
	ev_timer_start(chk_loop, &c->timer, c->u->check_timeout_ms,
	    chk_timer, c);
	c->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		chk_local(c, "socket: %s", strerror(errno));
		chk_finish(c);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&a->ss, a->len) == -1 &&
	    errno != EINPROGRESS) {
		chk_fail(c, "connect failed: %s", strerror(errno));
		chk_finish(c);
		return;
	}
	/* Even a connect that completed at once is taken up by EPOLLOUT. */
	if (ev_io_add(chk_loop, &c->io, c->fd, EPOLLOUT, chk_event, c) == -1) {
		chk_local(c, "epoll: %s", strerror(errno));
		chk_finish(c);
		return;
	}
	chk_enter(c, CHK_CONNECT);
}

static void
chk_event(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	chk_run(arg);
}

static void
chk_run(struct chk *c)
{
	enum step	s;

	do {
		switch (c->state) {
		case CHK_CONNECT:
			s = chk_connect(c);
			break;
		case CHK_HANDSHAKE:
			s = chk_handshake(c);
			break;
		case CHK_SEND:
			s = chk_send(c);
			break;
		case CHK_READ:
			s = chk_read(c);
			break;
		default:
			/* idle has no socket; a stale wakeup does nothing */
			s = STEP_WAIT;
			break;
		}
	} while (s == STEP_AGAIN);
	if (s == STEP_DONE)
		chk_finish(c);
}

static void
chk_enter(struct chk *c, enum chk_state state)
{
	log_debug("upstream %s server %s: check %s -> %s", c->u->sec.name,
	    c->sv->spec, chk_state_names[c->state], chk_state_names[state]);
	c->state = state;
}

static enum step
chk_connect(struct chk *c)
{
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return STEP_WAIT;
	if (err != 0)
		return chk_fail(c, "connect failed: %s", strerror(err));
	if (c->sv->proxy_protocol != 0 && chk_proxy_header(c) == -1)
		return chk_fail(c, "cannot send the PROXY header: %s",
		    strerror(errno));
	if (c->u->tls) {
		chk_enter(c, CHK_HANDSHAKE);
		return STEP_AGAIN;
	}
	if (c->req == NULL)
		return STEP_DONE;		/* tcp: connected is healthy */
	chk_enter(c, CHK_SEND);
	return STEP_AGAIN;
}

/*
 * A server with proxy_protocol refuses a connection without its header:
 * ours says it is the proxy's own (v2 LOCAL, v1 UNKNOWN), so the server
 * keeps our address as the peer. An empty socket buffer takes it whole.
 */
static int
chk_proxy_header(struct chk *c)
{
	char	h[PROXY_PROTO_BUILD_BYTES];
	ssize_t	len, n;

	len = c->sv->proxy_protocol == 1 ?
	    proxy_proto_build_v1(NULL, NULL, h, sizeof(h)) :
	    proxy_proto_build_v2(NULL, NULL, h, sizeof(h));
	if (len == -1) {
		errno = EINVAL;
		return -1;
	}
	do
		n = send(c->fd, h, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == len)
		return 0;
	if (n != -1)
		errno = EAGAIN;
	return -1;
}

/* For a tcp check of a TLS upstream, a completed handshake is healthy. */
static enum step
chk_handshake(struct chk *c)
{
	int	rc;

	if (c->ssl == NULL && chk_tls_start(c) == -1)
		return STEP_DONE;
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_do_handshake(c->ssl)) != 1)
		return chk_tls_wait(c, rc, "TLS handshake failed");
	if (c->req == NULL)
		return STEP_DONE;
	chk_enter(c, CHK_SEND);
	return STEP_AGAIN;
}

static enum step
chk_send(struct chk *c)
{
	ssize_t	n;
	size_t	left;
	int	rc;

	while (c->sent < c->reqlen) {
		left = c->reqlen - c->sent;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			rc = SSL_write(c->ssl, c->req + c->sent,
			    left > INT_MAX ? INT_MAX : (int)left);
			if (rc <= 0)
				return chk_tls_wait(c, rc, "send failed");
			c->sent += (size_t)rc;
			continue;
		}
		n = send(c->fd, c->req + c->sent, left, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return chk_watch(c, EPOLLOUT);
			if (errno == EINTR)
				continue;
			return chk_fail(c, "send failed: %s", strerror(errno));
		}
		c->sent += (size_t)n;
	}
	if (c->buf == NULL) {
		if ((c->buf = free_bufs) != NULL)
			free_bufs = c->buf->next;
		else if ((c->buf = malloc(sizeof(*c->buf))) == NULL)
			return chk_local(c, "out of memory");
	}
	if (ev_io_mod(chk_loop, &c->io, EPOLLIN) == -1)
		return chk_local(c, "epoll: %s", strerror(errno));
	http_parser_init(&c->ps);
	chk_enter(c, CHK_READ);
	return STEP_AGAIN;
}

/*
 * Reads until the buffer is full, the socket has nothing more for now,
 * or the answer is complete; at most CHK_BUF_SIZE bytes per wakeup. With
 * TLS, "nothing more" is SSL_read wanting the socket: records OpenSSL has
 * already taken in never wake epoll, so they are all read before we wait.
 */
static enum step
chk_read(struct chk *c)
{
	ssize_t		n;
	size_t		room;
	enum step	s;
	int		rc;

	while (c->len < CHK_BUF_SIZE) {
		room = CHK_BUF_SIZE - c->len;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			rc = SSL_read(c->ssl, c->buf->data + c->len,
			    room > INT_MAX ? INT_MAX : (int)room);
			if (rc > 0) {
				c->len += (size_t)rc;
				if ((s = chk_answer(c, false)) != STEP_WAIT)
					return s;
				continue;
			}
			if (chk_tls_eof(c, rc))
				return chk_answer(c, true);
			/* As below: after a whole head, judge it. */
			if (!c->head_done || chk_tls_want(c, rc))
				return chk_tls_wait(c, rc, "read failed");
			ERR_clear_error();
			return chk_answer(c, true);
		}
		n = read(c->fd, c->buf->data + c->len, room);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return STEP_WAIT;
			if (errno == EINTR)
				continue;
			/* A reset after a whole head still gives a status. */
			if (!c->head_done)
				return chk_fail(c, "read failed: %s",
				    strerror(errno));
			return chk_answer(c, true);
		}
		if (n == 0)
			return chk_answer(c, true);
		c->len += (size_t)n;
		if ((s = chk_answer(c, false)) != STEP_WAIT)
			return s;
	}
	/* Full: judge on the first CHK_BUF_SIZE bytes. */
	return chk_answer(c, true);
}

/*
 * Looks at what arrived: the head first, then the body as far as needed
 * to know it is complete. eof: nothing more will come (closed, or the
 * buffer is full), so judge now.
 */
static enum step
chk_answer(struct chk *c, bool eof)
{
	char			*d = c->buf->data;
	enum http_result	 r;
	enum http_chunk_result	 cr;
	size_t			 used, off, n;

	while (!c->head_done) {
		r = http_parse_response(&c->ps, d, c->len, &chk_limits, &head);
		if (r == HTTP_ERROR)
			return chk_fail(c, "invalid response: %s",
			    http_error_names[head.error]);
		if (r == HTTP_AGAIN) {
			if (!eof)
				return STEP_WAIT;
			if (c->len == 0)
				return chk_fail(c, "closed without an answer");
			return chk_fail(c, "invalid response: incomplete "
			    "head");
		}
		/* 103 and the like come before the answer: drop them. */
		if (head.status < 200 && head.status != 101) {
			memmove(d, d + head.head_len, c->len - head.head_len);
			c->len -= head.head_len;
			http_parser_init(&c->ps);
			continue;
		}
		c->head_done = true;
		c->status = head.status;
		c->body_off = c->body_end = c->raw_off = head.head_len;
		if (strcmp(c->u->check_method, "HEAD") == 0 ||
		    c->status == 204 || c->status == 304)
			c->body = BODY_NONE;
		else if (head.chunked) {
			c->body = BODY_CHUNKED;
			http_chunked_init(&c->chunked);
		} else if (head.has_content_length) {
			c->body = BODY_LENGTH;
			c->content_length = head.content_length;
		} else
			c->body = BODY_CLOSE;
	}

	switch (c->body) {
	case BODY_NONE:
		return chk_verdict(c);
	case BODY_LENGTH:
		if (c->len - c->body_off >= c->content_length) {
			c->len = c->body_off + c->content_length;
			return chk_verdict(c);
		}
		break;
	case BODY_CHUNKED:
		/* Decoded data only moves down: body_end <= raw_off. */
		do {
			cr = http_chunked_next(&c->chunked, d + c->raw_off,
			    c->len - c->raw_off, &used, &off, &n);
			if (cr == HTTP_CHUNK_DATA) {
				memmove(d + c->body_end, d + c->raw_off + off,
				    n);
				c->body_end += n;
			}
			c->raw_off += used;
		} while (cr == HTTP_CHUNK_DATA || cr == HTTP_CHUNK_TRAILER);
		if (cr == HTTP_CHUNK_ERROR)
			return chk_fail(c, "invalid response: bad chunked "
			    "body");
		/* What is left undecoded moves next to the body. */
		memmove(d + c->body_end, d + c->raw_off, c->len - c->raw_off);
		c->len = c->body_end + (c->len - c->raw_off);
		c->raw_off = c->body_end;
		if (cr == HTTP_CHUNK_DONE) {
			c->len = c->body_end;
			return chk_verdict(c);
		}
		if (eof) {
			c->len = c->body_end;
			return chk_verdict(c);
		}
		break;
	case BODY_CLOSE:
		break;
	}
	return eof ? chk_verdict(c) : STEP_WAIT;
}

/* The head is in; the body, if any, is d[body_off..len). */
static enum step
chk_verdict(struct chk *c)
{
	const char	*want = c->u->expect_body;

	if (c->status < c->u->expect_lo || c->status > c->u->expect_hi)
		return chk_fail(c, "status %d", c->status);
	if (want != NULL && memmem(c->buf->data + c->body_off,
	    c->len - c->body_off, want, strlen(want)) == NULL)
		return chk_fail(c, "body lacks \"%s\"", want);
	return STEP_DONE;
}

/*
 * The TLS session on the connected socket, set up as the workers' are
 * (tls_upstream_ssl()). Returns -1 with the verdict set.
 */
static int
chk_tls_start(struct chk *c)
{
	const char	*why;

	if ((c->ssl = tls_upstream_ssl(c->u, c->sv, c->fd, &why)) == NULL) {
		chk_local(c, "%s", why);
		return -1;
	}
	return 0;
}

/*
 * An SSL call returned rc <= 0: wait for what OpenSSL wants of the
 * socket, or fail the check with what went wrong and OpenSSL's reason.
 */
static enum step
chk_tls_wait(struct chk *c, int rc, const char *what)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return chk_watch(c, EPOLLIN);
	case SSL_ERROR_WANT_WRITE:
		return chk_watch(c, EPOLLOUT);
	default:
		return chk_fail(c, "%s: %s", what, tlsio_error(c->ssl, rc));
	}
}

/* Whether an SSL call's rc <= 0 only means: wait for the socket. */
static bool
chk_tls_want(struct chk *c, int rc)
{
	int	e = SSL_get_error(c->ssl, rc);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/*
 * Whether SSL_read's rc <= 0 is the end of the answer: close_notify, or a
 * close without it, which ends an answer here as a plain close does (the
 * check judges what came, it keeps no data).
 */
static bool
chk_tls_eof(struct chk *c, int rc)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_ZERO_RETURN:
		return true;
	case SSL_ERROR_SYSCALL:
		return errno == 0 && ERR_peek_error() == 0;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	case SSL_ERROR_SSL:
		if (ERR_GET_REASON(ERR_peek_error()) !=
		    SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return false;
		ERR_clear_error();
		return true;
#endif
	default:
		return false;
	}
}

/* Sends close_notify if the handshake was done (best effort), frees. */
static void
chk_tls_end(struct chk *c)
{
	if (c->ssl == NULL)
		return;
	tlsio_close(c->ssl);
	SSL_free(c->ssl);
	c->ssl = NULL;
}

/* Waits for the socket to be ready for events. */
static enum step
chk_watch(struct chk *c, uint32_t events)
{
	if (ev_io_mod(chk_loop, &c->io, events) == -1)
		return chk_local(c, "epoll: %s", strerror(errno));
	return STEP_WAIT;
}

/* The server failed this check; why says how, for the log and the slot. */
static enum step
chk_fail(struct chk *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->failed = true;
	return STEP_DONE;
}

/* We could not run the check (no fd, no memory): not the server's fault. */
static enum step
chk_local(struct chk *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->local = true;
	return STEP_DONE;
}

/* Ends the check in any state, records it and waits for the next one. */
static void
chk_finish(struct chk *c)
{
	int64_t	next;

	chk_tls_end(c);
	if (c->fd != -1) {
		ev_io_forget(&c->io);
		close(c->fd);
		c->fd = -1;
	}
	if (c->buf != NULL) {
		c->buf->next = free_bufs;
		free_bufs = c->buf;
		c->buf = NULL;
	}
	if (!c->local)
		chk_record(c);
	else if (ev_now(chk_loop) - local_logged_ms >= CHK_LOCAL_LOG_MS) {
		local_logged_ms = ev_now(chk_loop);
		log_error("upstream %s server %s: health check not run: %s",
		    c->u->sec.name, c->sv->spec, c->why);
	}
	chk_enter(c, CHK_IDLE);
	/* Interval from start to start; a late check is followed at once. */
	next = c->started_ms + c->u->check_interval_ms - ev_now(chk_loop);
	ev_timer_start(chk_loop, &c->timer, next > 0 ? next : 0, chk_timer, c);
}

/*
 * Counts the result in the slot and moves the state on rise/fall. The
 * counts are read back from the slot each time, not kept here: during a
 * reload the old checker may still write the same slot, and this way the
 * two act as one checker checking more often rather than disagreeing.
 * Data first, the state word last.
 */
static void
chk_record(struct chk *c)
{
	struct health_slot	*s = c->slot;
	uint32_t		 state;
	uint64_t		 us;
	int64_t			 now;

	state = atomic_load_explicit(&s->state, memory_order_relaxed);
	us = now_usec() - c->started_usec;
	s->latency_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	atomic_store_explicit(&s->last_check_ms, wall_ms(),
	    memory_order_relaxed);
	if (c->failed) {
		log_debug("upstream %s server %s: check failed in %lluus: %s",
		    c->u->sec.name, c->sv->spec, (unsigned long long)us,
		    c->why);
		strlcpy_(s->last_error, c->why, sizeof(s->last_error));
		s->successes = 0;
		if (s->failures < UINT32_MAX)
			s->failures++;
		if (state != HEALTH_DOWN &&
		    s->failures >= (uint32_t)c->u->fall) {
			atomic_store_explicit(&s->state, HEALTH_DOWN,
			    memory_order_release);
			log_warn("upstream %s server %s is down: %s "
			    "(%u checks)", c->u->sec.name, c->sv->spec,
			    c->why, s->failures);
		}
		return;
	}
	log_debug("upstream %s server %s: check passed in %lluus",
	    c->u->sec.name, c->sv->spec, (unsigned long long)us);
	s->failures = 0;
	if (s->successes < UINT32_MAX)
		s->successes++;
	if (state == HEALTH_DOWN && s->successes >= (uint32_t)c->u->rise) {
		/* slow_start ramps from here; 0 would mean "never down" */
		now = ev_now(chk_loop);
		atomic_store_explicit(&s->up_since_ms, now > 0 ? now : 1,
		    memory_order_relaxed);
		atomic_store_explicit(&s->state, HEALTH_UP,
		    memory_order_release);
		log_notice("upstream %s server %s is up (%u checks)",
		    c->u->sec.name, c->sv->spec, s->successes);
	} else if (state != HEALTH_DOWN && state != HEALTH_UP) {
		/* Unknown counted as up already: nothing to announce. */
		atomic_store_explicit(&s->state, HEALTH_UP,
		    memory_order_release);
	}
}

static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
