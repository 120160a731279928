/*
 * The PROXY protocol on a listener (proxy_protocol = on): the load
 * balancer in front says who the client is in a header before the
 * connection's first byte. CONN_PROXY reads that header and nothing
 * more, under the header timer: the bytes after it stay in the socket
 * for TLS (which reads the socket itself) or HTTP. Only a sender in
 * proxy_protocol_from is believed, and anything but a valid header
 * closes the connection before HTTP sees a byte of it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/config.h"
#include "common/log.h"
#include "common/proxy_proto.h"
#include "common/shm.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/conn_limit.h"

#define REFUSED_LOG_MS	10000	/* a line at most about refused senders */

static int64_t	refused_log_ms = -REFUSED_LOG_MS;
static size_t	refused_since;	/* not logged since that line */

static enum step	proxy_refuse(struct conn *, const char *);
static int		proxy_apply(struct conn *,
			    const struct proxy_proto_info *);

static const struct cfg_listener *
listener(const struct conn *c)
{
	return c->w->env->cfg->listeners[c->listen->listener];
}

/*
 * At accept: whether the peer may send a header. Anyone else would choose
 * his own address with it; he is closed at once. A source that should
 * not be there is a state (a load balancer that moved, a scanner), so it
 * is logged once every REFUSED_LOG_MS at most, with the count since.
 */
bool
conn_proxy_allowed(struct conn *c)
{
	const struct cfg_listener	*li = listener(c);
	int64_t				 now = ev_now(c->w->loop);

	for (size_t i = 0; i < li->nproxy_protocol_from; i++)
		if (cidr_match(&li->proxy_protocol_from[i], &c->peer.ss))
			return true;
	counter_add(CNT(c), CNT_CLIENT_PROXY, 1);
	c->why = "PROXY protocol: not from proxy_protocol_from";
	if (now - refused_log_ms < REFUSED_LOG_MS) {
		refused_since++;
		return false;
	}
	if (refused_since > 0)
		log_warn("conn=%llu %s PROXY protocol: refused, not in "
		    "proxy_protocol_from of [listener %s] (%zu more refused "
		    "since the last line)", (unsigned long long)c->id,
		    peer_name(c), li->sec.name, refused_since);
	else
		log_warn("conn=%llu %s PROXY protocol: refused, not in "
		    "proxy_protocol_from of [listener %s]",
		    (unsigned long long)c->id, peer_name(c), li->sec.name);
	refused_log_ms = now;
	refused_since = 0;
	return false;
}

/*
 * Reads the header without taking a byte past it: the bytes seen are
 * peeked at, and taken only as far as they are header. While the header
 * is incomplete, every byte seen is header (the parser says MORE only
 * for a valid beginning), so they are all taken and nothing is left
 * unread to wake epoll again; once it is complete, exactly its rest.
 */
enum step
conn_proxy_read(struct conn *c)
{
	struct proxy_proto_info	 info;
	struct buf		*b;
	size_t			 have, want;
	ssize_t			 n;
	bool			 done = false;

	if (c->in == NULL && (c->in = buf_get()) == NULL) {
		c->why = "out of memory for a buffer";
		return STEP_CLOSE;
	}
	b = c->in;
	have = buf_len(b);
	want = PROXY_PROTO_MAX_BYTES - have;
	do
		n = recv(c->fd, b->data + b->end, want, MSG_PEEK);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		set_client_events(c, EPOLLIN);
		return STEP_WAIT;
	}
	if (n <= 0 && have == 0) {
		/* A load balancer's TCP check: nothing to log. */
		c->why = n == 0 ? "client closed" : "client read error";
		return STEP_CLOSE;
	}
	if (n <= 0)
		return proxy_refuse(c, n == 0 ? "client closed in the header" :
		    "client read error in the header");
	switch (proxy_proto_parse(b->data + b->start, have + (size_t)n,
	    &info)) {
	case PROXY_PROTO_BAD:
		return proxy_refuse(c, info.why);
	case PROXY_PROTO_MORE:
		if (have + (size_t)n >= PROXY_PROTO_MAX_BYTES)
			return proxy_refuse(c, "header too long");
		want = (size_t)n;
		break;
	case PROXY_PROTO_DONE:
		want = info.len - have;
		done = true;
		break;
	}
	/* Already in the socket: one read takes them all. */
	do
		n = recv(c->fd, b->data + b->end, want, 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)want) {
		c->why = "client read error in the PROXY header";
		return STEP_CLOSE;
	}
	b->end += want;
	if (!done) {
		set_client_events(c, EPOLLIN);
		return STEP_WAIT;
	}
	if (proxy_apply(c, &info) == -1) {
		c->why = "out of memory for the PROXY header's address";
		return STEP_CLOSE;
	}
	buf_put(c->in);
	c->in = NULL;
	/* The client is known now: its connections are counted. */
	if (!conn_limit_enter(c))
		return STEP_CLOSE;
	conn_enter(c, c->ssl != NULL ? CONN_HANDSHAKE : CONN_ACTIVE);
	return STEP_AGAIN;
}

/* The header timer ran out in the header. */
enum step
conn_proxy_timeout(struct conn *c)
{
	if (c->in == NULL || buf_len(c->in) == 0) {
		c->why = "no PROXY header before the header timeout";
		return STEP_CLOSE;
	}
	counter_add(CNT(c), CNT_CLIENT_TIMEOUTS, 1);
	c->why = "PROXY protocol: header timeout";
	log_info("conn=%llu %s PROXY protocol: incomplete header at the "
	    "header timeout", (unsigned long long)c->id, peer_name(c));
	return STEP_CLOSE;
}

static enum step
proxy_refuse(struct conn *c, const char *why)
{
	counter_add(CNT(c), CNT_CLIENT_PROXY, 1);
	c->why = "bad PROXY protocol header";
	log_info("conn=%llu %s PROXY protocol: %s", (unsigned long long)c->id,
	    peer_name(c), why);
	return STEP_CLOSE;
}

/*
 * The client named by the header becomes the peer, for everything after:
 * access rules, trusted_proxies, X-Forwarded-For, limits and logs. A
 * header without addresses (LOCAL: the balancer's own check; UNKNOWN;
 * a UNIX socket) leaves the peer as it is. -1: out of memory.
 */
static int
proxy_apply(struct conn *c, const struct proxy_proto_info *info)
{
	char	lb[ADDR_STRLEN];

	/* Who sent the header, for the debug line. */
	if (log_enabled(LOG_LVL_DEBUG))
		addr_format(&c->peer, lb, sizeof(lb));
	if (info->has_addr) {
		c->peer = info->src;
		if (c->local == NULL &&
		    (c->local = malloc(sizeof(*c->local))) == NULL)
			return -1;
		*c->local = info->dst;
	}
	if (log_enabled(LOG_LVL_DEBUG)) {
		log_debug("conn=%llu PROXY v%d from %s: %s%s",
		    (unsigned long long)c->id, info->version, lb,
		    info->has_addr ? "client " : info->local ? "LOCAL" :
		    "no address", info->has_addr ? peer_name(c) : "");
	}
	return 0;
}
