/*
 * frontd -t -e: where the request lands, the listeners that take it and
 * the route router_match() gives, and why every route written before that
 * one, or fitting as well, does not take it. The route is the router's;
 * route_fits() only explains, it never decides.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/route.h"
#include "common/util.h"
#include "master/explain_int.h"

/* What a listener speaks beyond plain HTTP/1.1, as " (...)" or "". */
static const char *
listener_props(const struct cfg_listener *li)
{
	if (li->tls)
		return li->http2 ? " (TLS, HTTP/2 by ALPN)" : " (TLS)";
	return li->http2 ? " (HTTP/2 by prior knowledge)" : "";
}

/*
 * The listeners that would take the request: an address on its port,
 * with TLS for https and without for http. Fills idx; returns how many.
 */
size_t
explain_listeners(struct ex *x, int *idx, size_t room)
{
	const struct config	*cfg = x->cfg;
	const struct explain_req *rq = x->rq;
	const char		*scheme = rq->tls ? "https" : "http";
	char			 a[ADDR_STRLEN], lb[300];
	size_t			 n = 0;

	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct cfg_listener *li = cfg->listeners[i];

		ex_label(&li->sec, lb, sizeof(lb));
		for (size_t k = 0; k < li->naddrs; k++) {
			if (addr_port(&li->addrs[k]) != rq->port)
				continue;
			addr_format(&li->addrs[k], a, sizeof(a));
			if (li->tls != rq->tls) {
				ex_say(x, &li->addr_where[k], "%s on %s speaks "
				    "%s, not %s: it does not take this "
				    "request", lb, a, li->tls ? "TLS" :
				    "plain HTTP", rq->tls ? "TLS" :
				    "plain HTTP");
				continue;
			}
			ex_say(x, &li->addr_where[k], "%s on %s takes %s on "
			    "port %d%s", lb, a, scheme, rq->port,
			    listener_props(li));
			if (n < room)
				idx[n++] = (int)i;
			break;
		}
	}
	if (n == 0)
		ex_say(x, NULL, "no listener takes %s on port %d: frontd would "
		    "not see this request; routing it as if it came in on "
		    "none (routes tied to a listener do not match)", scheme,
		    rq->port);
	return n;
}

static void
methods_text(uint32_t bits, char *const *names, size_t nnames, char *buf,
    size_t len)
{
	buf[0] = '\0';
	for (size_t m = 0; m < nitems(explain_method_names); m++)
		if (explain_method_names[m] != NULL && (bits & (1u << m)) != 0)
			ex_cat(buf, len, "%s%s", buf[0] != '\0' ? " " : "",
			    explain_method_names[m]);
	for (size_t i = 0; i < nnames; i++)
		ex_cat(buf, len, "%s%s", buf[0] != '\0' ? " " : "", names[i]);
}

/* How well a route's hosts name the request's: 0 exact, 1 wildcard, 2 any. */
struct rank {
	int	host, hostlen;	/* hostlen: the wildcard's suffix */
	int	path, pathlen;	/* 0 exact, 1 prefix, 2 regex, 3 any */
};

static const char *const path_kinds[] = {
	[PATH_ANY] = "any path", [PATH_PREFIX] = "prefix",
	[PATH_EXACT] = "exact path", [PATH_REGEX] = "regex",
};

/*
 * Whether route r could take the request, with the first reason it
 * could not in why (and where that reason was written). This is for
 * telling, not deciding: the route taken is router_match()'s.
 */
static bool
route_fits(struct ex *x, const struct cfg_route *r, struct rank *rk,
    char *why, size_t whylen, const struct cfg_where **w)
{
	const struct explain_req *rq = x->rq;
	char			 list[1024];
	const size_t		*ov;
	int			 rc;

	why[0] = '\0';
	memset(rk, 0, sizeof(*rk));
	rk->host = 2;
	rk->hostlen = 0;
	for (size_t i = 0; i < r->nhosts; i++) {
		const char *h = r->hosts[i];
		size_t l;

		if (h[0] != '*') {
			if (strcmp(h, rq->host) == 0) {
				rk->host = 0;
				break;
			}
			continue;
		}
		l = strlen(h + 1);
		if (rq->hostlen > l && strcmp(rq->host + rq->hostlen - l,
		    h + 1) == 0 && (rk->host != 1 || (int)l > rk->hostlen)) {
			rk->host = 1;
			rk->hostlen = (int)l;
		}
	}
	if (r->nhosts > 0 && rk->host == 2) {
		list[0] = '\0';
		for (size_t i = 0; i < r->nhosts; i++)
			ex_cat(list, sizeof(list), "%s%s", i > 0 ? " " : "",
			    r->hosts[i]);
		snprintf(why, whylen, "host %s is not %s", rq->host, list);
		*w = ex_where(&r->sec, "host");
		return false;
	}
	rk->pathlen = 0;
	*w = &r->path_where;
	switch (r->path_kind) {
	case PATH_ANY:
		rk->path = 3;
		break;
	case PATH_EXACT:
		rk->path = 0;
		if (strcmp(r->path, rq->path) != 0) {
			snprintf(why, whylen, "path %s is not = %s", rq->path,
			    r->path);
			return false;
		}
		break;
	case PATH_PREFIX:
		rk->path = 1;
		rk->pathlen = (int)strlen(r->path);
		if (strncmp(r->path, rq->path, strlen(r->path)) != 0) {
			snprintf(why, whylen, "path %s does not start with "
			    "%s", rq->path, r->path);
			return false;
		}
		break;
	case PATH_REGEX:
		rk->path = 2;
		rc = regex_match(r->path_re, rq->path, rq->pathlen, &ov);
		if (rc <= 0) {
			snprintf(why, whylen, "path %s %s ~ %s", rq->path,
			    rc == 0 ? "does not match" : "could not be "
			    "matched (regex limit) against", r->path);
			return false;
		}
		break;
	}
	if (r->methods != 0) {
		bool ok = (r->methods & (1u << rq->meth)) != 0;

		if (ok && rq->meth == HTTP_M_OTHER) {
			ok = false;
			for (size_t i = 0; i < r->nmethod_names; i++)
				if (strcmp(r->method_names[i],
				    rq->method) == 0)
					ok = true;
		}
		if (!ok) {
			methods_text(r->methods, r->method_names,
			    r->nmethod_names, list, sizeof(list));
			snprintf(why, whylen, "method %s is not one of %s",
			    rq->method, list);
			*w = ex_where(&r->sec, "methods");
			return false;
		}
	}
	if (r->listeners != 0 && (x->listener < 0 ||
	    x->listener >= CFG_LISTENERS_MAX ||
	    (r->listeners & (UINT64_C(1) << x->listener)) == 0)) {
		list[0] = '\0';
		for (size_t i = 0; i < r->nlistener_names; i++)
			ex_cat(list, sizeof(list), "%s%s", i > 0 ? " " : "",
			    r->listener_names[i]);
		snprintf(why, whylen, "it is only for listener %s", list);
		*w = &r->listener_where;
		return false;
	}
	return true;
}

/* Why the winner w ranks before the other route o, both fitting. */
static const char *
rank_reason(const struct rank *w, const struct rank *o)
{
	if (w->host != o->host)
		return w->host == 0 ? "an exact host comes before a wildcard "
		    "or no host" : "a wildcard host comes before no host";
	if (w->host == 1 && w->hostlen != o->hostlen)
		return "the longer wildcard comes first";
	if (w->path != o->path)
		return "an exact path comes before a prefix, a prefix before "
		    "a regex, a regex before no path";
	if (w->path == 1 && w->pathlen != o->pathlen)
		return "the longer prefix comes first";
	return "it comes first in the file";
}

/* The facts of the route taken: what matched it. */
static void
explain_match(struct ex *x, const struct cfg_route *r,
    const struct rank *rk)
{
	const struct explain_req *rq = x->rq;
	char			 lb[300], list[1024];

	ex_label(&r->sec, lb, sizeof(lb));
	ex_say(x, &r->sec.where, "%s takes it", lb);
	if (r->nhosts == 0)
		ex_say(x, &r->sec.where, "%s has no host: any host", lb);
	else
		ex_say(x, ex_where(&r->sec, "host"), "host %s matches %s (%s)",
		    rq->host, lb, rk->host == 0 ? "exact name" : "wildcard");
	if (r->path_kind == PATH_ANY)
		ex_say(x, &r->sec.where, "%s has no path: any path", lb);
	else
		ex_say(x, &r->path_where, "path %s matches %s %s%s", rq->path,
		    path_kinds[r->path_kind], r->path_kind == PATH_EXACT ?
		    "= " : r->path_kind == PATH_REGEX ? "~ " : "", r->path);
	if (r->methods != 0) {
		methods_text(r->methods, r->method_names, r->nmethod_names,
		    list, sizeof(list));
		ex_say(x, ex_where(&r->sec, "methods"), "method %s is one of "
		    "%s", rq->method, list);
	}
	if (r->listeners != 0)
		ex_say(x, &r->listener_where, "%s is tied to the listener it "
		    "came in on", lb);
}

/*
 * The route router_match() gives, and why the others did not take the
 * request: each route written before it, and any other that fits too.
 * Returns the route's index, or -1 when the request ends here.
 */
int
explain_routes(struct ex *x)
{
	const struct config	*cfg = x->cfg;
	const struct explain_req *rq = x->rq;
	struct route_query	 q;
	struct rank		 rk, win;
	const struct cfg_where	*w;
	char			 why[EX_LINE_MAX], lb[300], wl[300];
	int			 id;

	memset(&q, 0, sizeof(q));
	q.host = rq->host;
	q.hostlen = rq->hostlen;
	q.path = rq->path;
	q.pathlen = rq->pathlen;
	q.meth = rq->meth;
	q.method = rq->method;
	q.methodlen = strlen(rq->method);
	q.listener = x->listener;
	id = router_match(cfg->router, cfg, &q);
	if (id == -2) {
		ex_say(x, NULL, "500 Internal Server Error: a path regex hit "
		    "its match limit on %s", rq->path);
		return -1;
	}
	if (id >= 0) {
		route_fits(x, cfg->routes[id], &win, why, sizeof(why), &w);
		ex_label(&cfg->routes[id]->sec, wl, sizeof(wl));
	} else
		ex_say(x, NULL, "404 Not Found: no route takes host %s, path "
		    "%s, method %s", rq->host, rq->path, rq->method);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct cfg_route *r = cfg->routes[i];

		if ((int)i == id)
			continue;
		ex_label(&r->sec, lb, sizeof(lb));
		if (route_fits(x, r, &rk, why, sizeof(why), &w)) {
			if (id >= 0)
				ex_say(x, &r->sec.where, "%s fits too, but %s "
				    "wins: %s", lb, wl, rank_reason(&win,
				    &rk));
			else
				ex_say(x, &r->sec.where, "%s fits, yet the "
				    "router did not take it", lb);
		} else if (id < 0 || (int)i < id)
			ex_say(x, w, "%s does not take it: %s", lb, why);
	}
	if (id >= 0)
		explain_match(x, cfg->routes[id], &win);
	return id;
}
