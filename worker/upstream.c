/*
 * Upstream connections. upstream_get() hands out a pooled idle connection
 * to the server when one is alive, else a fresh unconnected one; the owner
 * connects, uses and releases it. Active connection counts in the shared
 * health table follow every connection from get to release, so
 * least_conn sees all workers. To a server with proxy_protocol, a new
 * connection starts with a PROXY header naming the client, so a pooled
 * one goes only to the client (address and port) it was opened for.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/proxy_proto.h"
#include "common/shm.h"
#include "common/util.h"
#include "worker/conn.h"
#include "common/tls.h"
#include "common/tlsio.h"
#include "worker/upstream.h"

/* One pool per health slot (upstream server). */
struct pool {
	struct upconn	*idle;
	int		 nidle;
	SSL_SESSION	*session;	/* TLS: the last one the server gave */
};

static struct pool	*pools;
static size_t		 npools;

static void	pool_drop(struct upconn *);
static void	pool_event(struct ev_loop *, int, uint32_t, void *);
static void	pool_idle_timeout(struct ev_loop *, void *);
static void	upconn_event(struct ev_loop *, int, uint32_t, void *);
static struct upconn *pool_find(struct pool *, const struct cfg_server *,
		    const struct addr *, const struct addr *);
static int	send_proxy_header(struct upconn *, int *);

/* A server's newest session (a TLS 1.3 ticket comes after the handshake). */
static int
keep_session(SSL *ssl, SSL_SESSION *sess)
{
	struct upconn	*uc = SSL_get_app_data(ssl);

	if (uc == NULL || uc->slot < 0 || (size_t)uc->slot >= npools)
		return 0;
	SSL_SESSION_free(pools[uc->slot].session);
	pools[uc->slot].session = sess;
	return 1;
}

void
upstream_init(size_t nslots)
{
	npools = nslots;
	pools = xcalloc(nslots ? nslots : 1, sizeof(*pools));
	tls_client_session_hook = keep_session;
}

static void
pool_unlink(struct upconn *uc)
{
	struct pool	*p = &pools[uc->slot];

	if (uc->prev != NULL)
		uc->prev->next = uc->next;
	else
		p->idle = uc->next;
	if (uc->next != NULL)
		uc->next->prev = uc->prev;
	uc->next = uc->prev = NULL;
	p->nidle--;
}

static void
upconn_free(struct upconn *uc)
{
	struct worker	*w = uc->w;

	ev_timer_stop(w->loop, &uc->idle_timer);
	ev_timer_stop(w->loop, &uc->kick);
	ev_io_forget(&uc->io);
	if (uc->ssl != NULL) {
		tlsio_close(uc->ssl);
		SSL_free(uc->ssl);
		uc->ssl = NULL;
	}
	if (uc->fd != -1)
		close(uc->fd);
	ev_defer_free(w->loop, free, uc);
}

/*
 * client and local (the address it connected to) are only read for a
 * server with proxy_protocol; NULL for a connection of frontd's own.
 */
struct upconn *
upstream_get(struct worker *w, const struct cfg_upstream *up, size_t server,
    int slot, bool fresh, const struct addr *client, const struct addr *local)
{
	struct pool	*p = &pools[slot];
	struct upconn	*uc;
	const struct cfg_server *sv = &up->servers[server];

	/*
	 * A pooled connection the server closed is normally dropped by
	 * pool_event() before we get here; one that closes in between is
	 * caught by the retry of idempotent requests. No syscall to check.
	 */
	if (!fresh && (uc = pool_find(p, sv, client, local)) != NULL) {
		pool_unlink(uc);
		uc->io.cb = upconn_event;
		ev_timer_stop(w->loop, &uc->idle_timer);
		uc->reused = true;
		uc->cb = NULL;
		uc->owner = NULL;
	} else {
		if ((uc = calloc(1, sizeof(*uc))) == NULL)
			return NULL;
		uc->fd = -1;
		uc->io.fd = -1;
		uc->w = w;
		uc->up = up;
		uc->server = sv;
		uc->slot = slot;
		if (sv->proxy_protocol != 0) {
			if (client != NULL)
				uc->pp_src = *client;
			if (local != NULL)
				uc->pp_dst = *local;
		}
	}
	/* Counted while a request uses it, not while it idles in the pool. */
	atomic_fetch_add(&w->env->health->slots[slot].active, 1);
	return uc;
}

/*
 * Starts a non-blocking connect. Returns 0 when connected or in progress
 * (wait for EPOLLOUT, then upstream_finish_connect), -1 with *err set when
 * the connect failed, -2 when we lack a socket or epoll room (the server
 * is not to blame).
 */
int
upstream_connect(struct upconn *uc, int *err)
{
	const struct addr	*a = &uc->server->addr;
	int			 fd, on = 1;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		*err = errno;
		return -2;
	}
	uc->fd = fd;
	/* Requests leave in one write; never hold back their last bytes. */
	if (a->ss.ss_family == AF_INET || a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == -1 &&
	    errno != EINPROGRESS) {
		*err = errno;
		return -1;
	}
	if (ev_io_add(uc->w->loop, &uc->io, fd, EPOLLOUT, upconn_event,
	    uc) == -1) {
		*err = errno;
		return -2;
	}
	return 0;
}

int
upstream_finish_connect(struct upconn *uc, int *err)
{
	socklen_t	len = sizeof(*err);

	if (getsockopt(uc->fd, SOL_SOCKET, SO_ERROR, err, &len) == -1)
		*err = errno;
	if (*err == EINPROGRESS || *err == EALREADY)
		return 1;
	if (*err != 0)
		return -1;
	if (uc->server->proxy_protocol != 0 && send_proxy_header(uc, err) == -1)
		return -1;
	uc->connected = true;
	return 0;
}

/*
 * The PROXY header, first on a new connection (before TLS): it fits an
 * empty socket buffer, so it goes out whole or the connection failed.
 * Without a client (frontd's own connection), v2 says LOCAL, v1 UNKNOWN.
 */
static int
send_proxy_header(struct upconn *uc, int *err)
{
	char			 h[PROXY_PROTO_BUILD_BYTES];
	const struct addr	*src = NULL, *dst = NULL;
	ssize_t			 len, n;

	if (uc->pp_src.ss.ss_family != AF_UNSPEC) {
		src = &uc->pp_src;
		dst = uc->pp_dst.ss.ss_family != AF_UNSPEC ? &uc->pp_dst : NULL;
	}
	len = uc->server->proxy_protocol == 1 ?
	    proxy_proto_build_v1(src, dst, h, sizeof(h)) :
	    proxy_proto_build_v2(src, dst, h, sizeof(h));
	if (len == -1) {
		*err = EINVAL;
		return -1;
	}
	do
		n = send(uc->fd, h, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != len) {
		*err = n == -1 ? errno : EAGAIN;
		return -1;
	}
	return 0;
}

/* TLS to the server, on a connected socket (tls_upstream_ssl()). */
int
upstream_tls_handshake(struct upconn *uc, const char **why)
{
	int	rc;

	if (uc->ssl == NULL) {
		if ((uc->ssl = tls_upstream_ssl(uc->up, uc->server, uc->fd,
		    why)) == NULL)
			return -1;
		/* Resume the server's last session: no full handshake. */
		SSL_set_app_data(uc->ssl, uc);
		if (pools[uc->slot].session != NULL)
			SSL_set_session(uc->ssl, pools[uc->slot].session);
	}
	ERR_clear_error();
	if ((rc = SSL_do_handshake(uc->ssl)) == 1) {
		uc->tls_done = true;
		return 0;
	}
	switch (SSL_get_error(uc->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		upstream_watch(uc, EPOLLIN);
		return 1;
	case SSL_ERROR_WANT_WRITE:
		upstream_watch(uc, EPOLLOUT);
		return 1;
	default:
		*why = tlsio_error(uc->ssl, rc);
		return -1;
	}
}

static void
upconn_kick(struct ev_loop *loop, void *arg)
{
	struct upconn	*uc = arg;

	if (uc->cb != NULL)
		uc->cb(uc, EPOLLIN);
}

static void
upconn_event(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct upconn	*uc = arg;

	/*
	 * An error or hang-up is reported even while we wait for nothing
	 * on this side; stop the wakeups. The owner meets the error at its
	 * next read or write, after upstream_watch() adds the fd back.
	 */
	if ((events & (EPOLLERR | EPOLLHUP)) &&
	    (uc->io.events & (EPOLLIN | EPOLLOUT)) == 0) {
		ev_io_del(loop, &uc->io);
		return;
	}
	if (uc->cb != NULL)
		uc->cb(uc, events);
}

/*
 * Sets what the owner waits for. EPOLLRDHUP rides along with EPOLLIN, the
 * mask a pooled connection has, so going in and out of the pool costs no
 * epoll_ctl.
 */
void
upstream_watch(struct upconn *uc, uint32_t events)
{
	if (uc == NULL)
		return;
	if (events & EPOLLIN)
		events |= EPOLLRDHUP;
	if (uc->io.fd == -1) {
		if (events != 0 && uc->fd != -1)
			ev_io_add(uc->w->loop, &uc->io, uc->fd, events,
			    upconn_event, uc);
	} else
		ev_io_mod(uc->w->loop, &uc->io, events);
	/* Decrypted records waiting in OpenSSL never wake epoll. */
	if (uc->ssl != NULL && (events & EPOLLIN) && SSL_pending(uc->ssl) > 0)
		ev_timer_start(uc->w->loop, &uc->kick, 0, upconn_kick, uc);
}

/*
 * The owner is done. A connection whose last exchange ended cleanly goes
 * back to the pool (if it has room), anything else is closed.
 */
void
upstream_release(struct upconn *uc, bool reusable)
{
	struct worker	*w = uc->w;
	struct pool	*p = &pools[uc->slot];

	uc->cb = NULL;
	uc->owner = NULL;
	atomic_fetch_sub(&w->env->health->slots[uc->slot].active, 1);
	/* A parked fd (io.fd == -1) had an error or hang-up: never reuse. */
	if (!reusable || !uc->connected || uc->io.fd == -1 ||
	    uc->up->keepalive == 0 || w->draining) {
		upconn_free(uc);
		return;
	}
	if (p->nidle >= uc->up->keepalive) {
		struct upconn *old = p->idle;

		if (uc->server->proxy_protocol == 0) {
			upconn_free(uc);
			return;
		}
		/*
		 * Each of these serves one client only: the newest is the
		 * likeliest to be asked for again, the oldest makes room.
		 */
		while (old->next != NULL)
			old = old->next;
		pool_drop(old);
	}
	ev_io_mod(w->loop, &uc->io, EPOLLIN | EPOLLRDHUP);
	uc->io.cb = pool_event;
	uc->next = p->idle;
	uc->prev = NULL;
	if (p->idle != NULL)
		p->idle->prev = uc;
	p->idle = uc;
	p->nidle++;
	ev_timer_start(w->loop, &uc->idle_timer, uc->up->keepalive_timeout_ms,
	    pool_idle_timeout, uc);
}

/*
 * The pooled connection to hand out: any, or for a server with
 * proxy_protocol, one that was opened for this client.
 */
static struct upconn *
pool_find(struct pool *p, const struct cfg_server *sv,
    const struct addr *client, const struct addr *local)
{
	struct upconn	*uc;

	if (sv->proxy_protocol == 0)
		return p->idle;
	if (client == NULL)
		return NULL;
	for (uc = p->idle; uc != NULL; uc = uc->next)
		if (uc->server == sv && addr_equal(&uc->pp_src, client) &&
		    (local == NULL || addr_equal(&uc->pp_dst, local)))
			return uc;
	return NULL;
}

/* An idle connection that timed out, or saw anything (a close, junk). */
static void
pool_drop(struct upconn *uc)
{
	pool_unlink(uc);
	upconn_free(uc);
}

static void
pool_event(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	pool_drop(arg);
}

static void
pool_idle_timeout(struct ev_loop *loop, void *arg)
{
	pool_drop(arg);
}

void
upstream_drop_pool(struct worker *w)
{
	for (size_t i = 0; i < npools; i++)
		while (pools[i].idle != NULL) {
			struct upconn *uc = pools[i].idle;

			pool_unlink(uc);
			upconn_free(uc);
		}
}

/* Our side of a tunnel is done: the server reads its end (TLS too). */
void
upstream_shutdown(struct upconn *uc)
{
	if (uc->ssl != NULL)
		tlsio_close(uc->ssl);
	shutdown(uc->fd, SHUT_WR);
}
