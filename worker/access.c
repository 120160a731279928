/*
 * Who the client is and whether it may come in: request phases. The
 * client's address is the peer's, or, from a trusted proxy, the one its
 * real_ip_header names (realip); then the listener's and the route's
 * allow and deny rules; then the route's filters (deny_method,
 * deny_path, deny_header, deny_query, client_max_body_size). Each
 * refusal is logged at info, naming the rule that refused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/route.h"
#include "worker/access.h"
#include "worker/conn.h"
#include "worker/req.h"
#include "worker/req_int.h"

#define QUERY_MAX	8192	/* a query decoded for deny_query */

static const struct cfg_listener *
listener(const struct conn *c)
{
	return c->w->env->cfg->listeners[c->listen->listener];
}

/* The first rule that matches a, if any: *allow says what it says. */
static bool
acl_match(const struct cfg_acl *acl, const union sockaddr_ip *a,
    bool *allow, size_t *which)
{
	for (size_t i = 0; i < acl->n; i++)
		if (acl->rules[i].all || cidr_match(&acl->rules[i].net, a)) {
			*allow = acl->rules[i].allow;
			*which = i;
			return true;
		}
	return false;
}

static bool
trusted(const struct cfg_global *g, const union sockaddr_ip *a)
{
	for (size_t i = 0; i < g->ntrusted_proxies; i++)
		if (cidr_match(&g->trusted_proxies[i], a))
			return true;
	return false;
}

/*
 * The client behind trusted proxies, as nginx's realip module does with
 * real_ip_recursive on: the hops of the named field (all its lines, in
 * order) are read from the right; each trusted one is a proxy of ours,
 * and the first that is not is the client. When every hop is trusted,
 * the leftmost is; a hop that is not an address ends the walk, and the
 * last good one stands.
 */
static void
real_ip(struct conn *c, const char *name)
{
	struct req		*r = c->req;
	const struct cfg_global	*g = G(c);
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	size_t			 nlen = strlen(name);
	struct addr		 hop;

	for (uint32_t k = h->nheaders; k-- > 0;) {
		const struct http_header *f = &h->headers[k];
		const char *v, *e, *s, *t;

		if (f->name.len != nlen ||
		    strncasecmp(b + f->name.off, name, nlen) != 0)
			continue;
		v = b + f->value.off;
		e = v + f->value.len;
		while (e > v) {
			for (s = e; s > v && s[-1] != ','; s--)
				;
			for (t = s; t < e && (*t == ' ' || *t == '\t'); t++)
				;
			while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (addr_parse_ip(&hop, t, (size_t)(e - t)) == -1)
				return;
			r->client = hop;
			if (!trusted(g, &hop.ss))
				return;
			e = s > v ? s - 1 : v;
		}
	}
}

enum phase_result
phase_client(struct conn *c, enum step *s)
{
	struct req	*r = c->req;
	const char	*name = listener(c)->real_ip_header;

	r->client = c->peer;
	if (name == NULL)
		name = G(c)->real_ip_header;
	if (name != NULL && G(c)->ntrusted_proxies > 0 &&
	    trusted(G(c), &c->peer.ss))
		real_ip(c, name);
	return PHASE_NEXT;
}

static enum phase_result
refuse(struct conn *c, enum step *s, int status, const char *rule,
    const char *detail)
{
	struct req	*r = c->req;
	char		 client[ADDR_STRLEN];
	const char	*route = r->route >= 0 ? R(c)->sec.name : NULL;

	addr_format_ip(&r->client, client, sizeof(client));
	log_info("conn=%llu %s %d: refused by %s%s%s%s%s",
	    (unsigned long long)c->id, client, status, rule,
	    detail != NULL ? " " : "", detail != NULL ? detail : "",
	    route != NULL ? " in route " : "", route != NULL ? route : "");
	*s = request_refuse(c, status, "refused");
	return PHASE_ANSWERED;
}

static enum phase_result
check_acl(struct conn *c, enum step *s, const struct cfg_acl *acl,
    const char *where)
{
	char	detail[ADDR_STRLEN + 80], net[ADDR_STRLEN];
	bool	allow;
	size_t	i;

	if (acl->n == 0 || !acl_match(acl, &c->req->client.ss, &allow, &i) ||
	    allow)
		return PHASE_NEXT;
	if (acl->rules[i].all)
		snprintf(net, sizeof(net), "all");
	else
		cidr_format(&acl->rules[i].net, net, sizeof(net));
	snprintf(detail, sizeof(detail), "%s (%s)", net, where);
	return refuse(c, s, 403, "deny", detail);
}

/* The listener's rules, before anything else answers. */
enum phase_result
phase_listener_access(struct conn *c, enum step *s)
{
	return check_acl(c, s, &listener(c)->acl, "listener");
}

/* The route's rules, once the route is known. */
enum phase_result
phase_route_access(struct conn *c, enum step *s)
{
	return check_acl(c, s, &R(c)->acl, "route");
}

static bool
method_denied(const struct cfg_route *route, const char *b,
    const struct http_head *h)
{
	if ((route->deny_methods & (1u << h->meth)) == 0)
		return false;
	if (h->meth != HTTP_M_OTHER)
		return true;
	for (size_t i = 0; i < route->ndeny_method_names; i++)
		if (strlen(route->deny_method_names[i]) == h->method.len &&
		    memcmp(route->deny_method_names[i], b + h->method.off,
		    h->method.len) == 0)
			return true;
	return false;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* The query with every %XX and '+' decoded; -1 if it does not fit. */
static ssize_t
query_decode(const char *q, size_t len, char *dst, size_t room)
{
	size_t	o = 0;

	for (size_t i = 0; i < len; i++) {
		if (o == room)
			return -1;
		if (q[i] == '%' && i + 2 < len && hexval(q[i + 1]) >= 0 &&
		    hexval(q[i + 2]) >= 0) {
			dst[o++] = (char)(hexval(q[i + 1]) * 16 +
			    hexval(q[i + 2]));
			i += 2;
		} else
			dst[o++] = q[i] == '+' ? ' ' : q[i];
	}
	return (ssize_t)o;
}

/*
 * deny_query: the query as sent, then decoded, so that neither "%3C"
 * nor "<" slips by a rule written either way. A match that cannot be
 * decided (a regex limit) refuses: filters fail closed.
 */
static int
query_denied(const struct cfg_route *route, const char *b,
    const struct http_head *h)
{
	struct http_slice	 t = h->form == HTTP_TARGET_ABSOLUTE ? h->path :
				    h->target;
	const char		*p = b + t.off, *q;
	const size_t		*ov;
	static char		 dec[QUERY_MAX];
	ssize_t			 n;
	int			 rc;

	if ((q = memchr(p, '?', t.len)) == NULL)
		return 0;
	q++;
	if ((rc = regex_match(route->deny_query_re, q,
	    (size_t)(p + t.len - q), &ov)) != 0)
		return rc;
	if ((n = query_decode(q, (size_t)(p + t.len - q), dec,
	    sizeof(dec))) == -1)
		return -1;
	return regex_match(route->deny_query_re, dec, (size_t)n, &ov);
}

/* deny_header: any line of the named field whose value matches. */
static int
header_denied(const struct cfg_deny_header *d, const char *b,
    const struct http_head *h)
{
	const size_t	*ov;
	int		 rc;

	for (uint32_t k = 0; k < h->nheaders; k++) {
		const struct http_header *f = &h->headers[k];

		if (f->name.len != d->namelen ||
		    strncasecmp(b + f->name.off, d->name, d->namelen) != 0)
			continue;
		if ((rc = regex_match(d->re, b + f->value.off, f->value.len,
		    &ov)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The route's filters, on the path after normalization (so "/%61dmin"
 * and "//admin/./" are "/admin"), and its body limit.
 */
enum phase_result
phase_filter(struct conn *c, enum step *s)
{
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	const char		*path = c->w->path;
	size_t			 plen = c->w->path_len;
	char			 detail[300];
	uint64_t		 limit;
	int			 rc;

	limit = route->client_max_body_size != UINT64_MAX ?
	    route->client_max_body_size : G(c)->client_max_body_size;
	r->max_body = limit;
	if (limit > 0 && h->has_content_length && h->content_length > limit)
		return refuse(c, s, 413, "client_max_body_size", NULL);
	if (route->deny_methods != 0 && method_denied(route, b, h)) {
		snprintf(detail, sizeof(detail), "%.*s", (int)h->method.len,
		    b + h->method.off);
		return refuse(c, s, route->deny_status, "deny_method",
		    detail);
	}
	for (size_t i = 0; i < route->ndeny_paths; i++) {
		const struct cfg_deny_path *d = &route->deny_paths[i];

		if (plen < d->len || (d->icase ?
		    strncasecmp(path, d->prefix, d->len) :
		    memcmp(path, d->prefix, d->len)) != 0)
			continue;
		return refuse(c, s, route->deny_status, "deny_path",
		    d->prefix);
	}
	for (size_t i = 0; i < route->ndeny_headers; i++) {
		const struct cfg_deny_header *d = &route->deny_headers[i];

		if ((rc = header_denied(d, b, h)) == 0)
			continue;
		return refuse(c, s, route->deny_status, "deny_header",
		    rc < 0 ? "(regex limit)" : d->name);
	}
	if (route->deny_query_re != NULL &&
	    (rc = query_denied(route, b, h)) != 0)
		return refuse(c, s, route->deny_status, "deny_query",
		    rc < 0 ? "(regex limit, or too long to decode)" : NULL);
	return PHASE_NEXT;
}
