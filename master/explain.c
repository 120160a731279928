/*
 * frontd -t -e REQUEST: walks one request through a checked configuration
 * in the order a worker's phases do (listener, its rules, the target, the
 * https redirect, the route, its rules and filters, maintenance, the
 * action) and prints one fact per line, each starting with the file:line
 * responsible. The route is the one router_match() gives, the very lookup
 * the workers run; the rest reads the same struct config fields they do.
 * The argument is read in explain_req.c, the listener and route found in
 * explain_route.c, and what the route does is told in explain_action.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/util.h"
#include "master/explain.h"
#include "master/explain_int.h"

/* ------------------------------------------------------------------ */
/* Printing */

void
ex_say(struct ex *x, const struct cfg_where *w, const char *fmt, ...)
{
	char	line[EX_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (w != NULL && w->file != NULL)
		fprintf(x->fp, "%s:%d: %s\n", w->file, w->line, line);
	else
		fprintf(x->fp, "%s\n", line);
}

/* Where a key was first given in a section, else the section's header. */
const struct cfg_where *
ex_where(const struct cfg_section *sec, const char *key)
{
	const struct cfg_where	*w = cfg_key_where(sec, key);

	return w != NULL ? w : &sec->where;
}

const char *
ex_label(const struct cfg_section *sec, char *buf, size_t len)
{
	return cfg_section_label(sec, buf, len);
}

/* Appends to a bounded string; what does not fit is cut. */
void
ex_cat(char *dst, size_t room, const char *fmt, ...)
{
	size_t	n = strlen(dst);
	va_list	ap;

	if (n + 1 >= room)
		return;
	va_start(ap, fmt);
	vsnprintf(dst + n, room - n, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Access rules */

static void
acl_text(const struct cfg_acl *acl, char *buf, size_t len)
{
	char	net[ADDR_STRLEN + 8];

	buf[0] = '\0';
	for (size_t i = 0; i < acl->n; i++) {
		if (acl->rules[i].all)
			strlcpy_(net, "all", sizeof(net));
		else
			cidr_format(&acl->rules[i].net, net, sizeof(net));
		ex_cat(buf, len, "%s%s %s", i > 0 ? ", " : "",
		    acl->rules[i].allow ? "allow" : "deny", net);
	}
}

/* The earlier of a section's first allow and first deny line. */
static const struct cfg_where *
acl_where(const struct cfg_section *sec)
{
	const struct cfg_where	*a = cfg_key_where(sec, "allow");
	const struct cfg_where	*d = cfg_key_where(sec, "deny");

	if (a == NULL)
		return d != NULL ? d : &sec->where;
	if (d == NULL || strcmp(a->file, d->file) != 0)
		return a;
	return a->line < d->line ? a : d;
}

/*
 * allow and deny of a listener or route, as worker/access.c reads them:
 * the first rule that matches the client decides; none: allowed. false
 * when the client given with "from" is refused.
 */
static bool
explain_acl(struct ex *x, const struct cfg_acl *acl,
    const struct cfg_section *sec)
{
	const struct explain_req *rq = x->rq;
	const struct cfg_where	*w = acl_where(sec);
	char			 rules[1024], lb[300], ip[ADDR_STRLEN];
	char			 net[ADDR_STRLEN + 8];

	if (acl->n == 0)
		return true;
	acl_text(acl, rules, sizeof(rules));
	ex_label(sec, lb, sizeof(lb));
	if (!rq->has_from) {
		ex_say(x, w, "%s lets in by address: %s (add \"from ADDRESS\" "
		    "to check one)", lb, rules);
		return true;
	}
	addr_format_ip(&rq->from, ip, sizeof(ip));
	for (size_t i = 0; i < acl->n; i++) {
		const struct cfg_acl_rule *r = &acl->rules[i];

		if (!r->all && !cidr_match(&r->net, &rq->from.ss))
			continue;
		if (r->all)
			strlcpy_(net, "all", sizeof(net));
		else
			cidr_format(&r->net, net, sizeof(net));
		if (r->allow) {
			ex_say(x, w, "%s allows %s: allow %s", lb, ip, net);
			return true;
		}
		ex_say(x, w, "%s refuses %s: deny %s: 403 Forbidden", lb, ip,
		    net);
		return false;
	}
	ex_say(x, w, "%s allows %s: no rule of \"%s\" matches it", lb, ip,
	    rules);
	return true;
}

/* ------------------------------------------------------------------ */
/* The route's filters and maintenance */

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* deny_query sees the query as sent, then with %XX and '+' decoded. */
static int
query_denied(const struct cfg_route *r, const struct explain_req *rq)
{
	char		 dec[EX_TARGET_MAX];
	const size_t	*ov;
	size_t		 o = 0;
	int		 rc;

	if (rq->query == NULL)
		return 0;
	if ((rc = regex_match(r->deny_query_re, rq->query, rq->querylen,
	    &ov)) != 0)
		return rc;
	for (size_t i = 0; i < rq->querylen; i++) {
		const char *q = rq->query;

		if (q[i] == '%' && i + 2 < rq->querylen &&
		    hexval(q[i + 1]) >= 0 && hexval(q[i + 2]) >= 0) {
			dec[o++] = (char)(hexval(q[i + 1]) * 16 +
			    hexval(q[i + 2]));
			i += 2;
		} else
			dec[o++] = q[i] == '+' ? ' ' : q[i];
	}
	return regex_match(r->deny_query_re, dec, o, &ov);
}

/* deny_method, deny_path, deny_header, deny_query: false if refused. */
static bool
explain_filters(struct ex *x, const struct cfg_route *r)
{
	const struct explain_req *rq = x->rq;
	char			 lb[300];
	const size_t		*ov;
	bool			 any = false;
	int			 rc, st = r->deny_status;

	ex_label(&r->sec, lb, sizeof(lb));
	if (r->deny_methods != 0) {
		bool hit = (r->deny_methods & (1u << rq->meth)) != 0;

		if (hit && rq->meth == HTTP_M_OTHER) {
			hit = false;
			for (size_t i = 0; i < r->ndeny_method_names; i++)
				if (strcmp(r->deny_method_names[i],
				    rq->method) == 0)
					hit = true;
		}
		if (hit) {
			ex_say(x, ex_where(&r->sec, "deny_method"),
			    "deny_method of %s refuses %s: %d", lb,
			    rq->method, st);
			return false;
		}
		any = true;
	}
	for (size_t i = 0; i < r->ndeny_paths; i++) {
		const struct cfg_deny_path *d = &r->deny_paths[i];

		any = true;
		if (rq->pathlen < d->len || (d->icase ?
		    strncasecmp(rq->path, d->prefix, d->len) :
		    memcmp(rq->path, d->prefix, d->len)) != 0)
			continue;
		ex_say(x, ex_where(&r->sec, "deny_path"), "deny_path %s%s of "
		    "%s refuses path %s: %d", d->prefix, d->icase ?
		    " (any case)" : "", lb, rq->path, st);
		return false;
	}
	for (size_t i = 0; i < r->ndeny_headers; i++) {
		const struct cfg_deny_header *d = &r->deny_headers[i];

		any = true;
		for (size_t k = 0; k < rq->nheaders; k++) {
			const struct ex_header *h = &rq->headers[k];

			if (strlen(h->name) != d->namelen ||
			    strcasecmp(h->name, d->name) != 0)
				continue;
			if ((rc = regex_match(d->re, h->value,
			    strlen(h->value), &ov)) == 0)
				continue;
			ex_say(x, ex_where(&r->sec, "deny_header"),
			    "deny_header %s of %s refuses %s: %s: %d",
			    d->name, lb, h->name, rc < 0 ? "(regex limit)" :
			    h->value, st);
			return false;
		}
	}
	if (r->deny_query_re != NULL) {
		any = true;
		if ((rc = query_denied(r, rq)) != 0) {
			ex_say(x, ex_where(&r->sec, "deny_query"),
			    "deny_query of %s refuses the query %s%s: %d", lb,
			    rq->query, rc < 0 ? " (regex limit)" : "", st);
			return false;
		}
	}
	if (any)
		ex_say(x, &r->sec.where, "no deny_method, deny_path, "
		    "deny_header or deny_query of %s refuses it", lb);
	return true;
}

/*
 * Maintenance of the route or its upstream, with what each leaves unset
 * taken from the next and then [global], as worker/maintenance.c does.
 * false when the request gets the maintenance page.
 */
static bool
explain_maintenance(struct ex *x, const struct cfg_route *r)
{
	const struct config	*cfg = x->cfg;
	const struct explain_req *rq = x->rq;
	const struct cfg_maintenance *m[3], *allow = NULL;
	const struct cfg_section *on;
	char			 lb[300], ip[ADDR_STRLEN];
	size_t			 n = 0;

	m[n++] = &r->maint;
	if (r->upstream >= 0)
		m[n++] = &cfg->upstreams[r->upstream]->maint;
	if (m[0]->on)
		on = &r->sec;
	else if (n == 2 && m[1]->on)
		on = &cfg->upstreams[r->upstream]->sec;
	else
		return true;
	m[n++] = &cfg->global.maint;
	for (size_t i = 0; i < n; i++)
		if (allow == NULL && m[i]->nallow > 0)
			allow = m[i];
	ex_label(on, lb, sizeof(lb));
	if (allow != NULL && rq->has_from) {
		addr_format_ip(&rq->from, ip, sizeof(ip));
		for (size_t i = 0; i < allow->nallow; i++)
			if (cidr_match(&allow->allow[i], &rq->from.ss)) {
				ex_say(x, ex_where(on, "maintenance"), "%s is "
				    "in maintenance, but maintenance_allow "
				    "lets %s through", lb, ip);
				return true;
			}
	}
	ex_say(x, ex_where(on, "maintenance"), "%s is in maintenance: 503 "
	    "Service Unavailable with the maintenance page%s", lb,
	    allow != NULL && !rq->has_from ? " (maintenance_allow lets some "
	    "addresses through: add \"from ADDRESS\" to check one)" : "");
	return false;
}

/* ------------------------------------------------------------------ */

/* The walk for one listener (-1: none), in the order of the phases. */
static void
explain_via(struct ex *x)
{
	const struct config	*cfg = x->cfg;
	const struct explain_req *rq = x->rq;
	const struct cfg_listener *li = x->listener >= 0 ?
	    cfg->listeners[x->listener] : NULL;
	char			 lb[300], host[300];
	int			 id, port = 443;

	if (li != NULL && !explain_acl(x, &li->acl, &li->sec))
		return;
	if (rq->above_root) {
		ex_say(x, NULL, "400 Bad Request: the path climbs above the "
		    "root");
		return;
	}
	if (li != NULL && li->redirect_to_https) {
		/* The port of the first TLS listener, as the worker has it. */
		for (size_t i = 0; i < cfg->nlisteners; i++)
			if (cfg->listeners[i]->tls &&
			    cfg->listeners[i]->naddrs > 0) {
				port = addr_port(&cfg->listeners[i]->addrs[0]);
				break;
			}
		if (port != 443)
			snprintf(host, sizeof(host), "%s:%d", rq->host, port);
		else
			strlcpy_(host, rq->host, sizeof(host));
		ex_label(&li->sec, lb, sizeof(lb));
		ex_say(x, ex_where(&li->sec, "redirect_to_https"), "%s "
		    "redirects to https: 301 to https://%s%s", lb, host,
		    rq->target);
		return;
	}
	if ((id = explain_routes(x)) < 0)
		return;
	if (!explain_acl(x, &cfg->routes[id]->acl, &cfg->routes[id]->sec))
		return;
	if (!explain_filters(x, cfg->routes[id]))
		return;
	if (!explain_maintenance(x, cfg->routes[id]))
		return;
	explain_action(x, cfg->routes[id]);
}

void
explain_print(const struct config *cfg, const struct explain_req *rq,
    FILE *fp)
{
	struct ex	 x = { cfg, rq, fp, -1 };
	int		 idx[CFG_LISTENERS_MAX];
	char		 ip[ADDR_STRLEN], lb[300];
	size_t		 n;

	ex_say(&x, NULL, "request: %s %s://%s%s", rq->method, rq->tls ?
	    "https" : "http", rq->authority, rq->target);
	ex_say(&x, NULL, "host: %s", rq->host);
	if (rq->above_root)
		ex_say(&x, NULL, "path: %.*s climbs above the root",
		    (int)(rq->query != NULL ? (size_t)(rq->query - 1 -
		    rq->target) : rq->targetlen), rq->target);
	else if (rq->pathlen != (rq->query != NULL ? (size_t)(rq->query - 1 -
	    rq->target) : rq->targetlen) || memcmp(rq->path, rq->target,
	    rq->pathlen) != 0)
		ex_say(&x, NULL, "path: %s (normalized from %.*s)", rq->path,
		    (int)(rq->query != NULL ? (size_t)(rq->query - 1 -
		    rq->target) : rq->targetlen), rq->target);
	else
		ex_say(&x, NULL, "path: %s", rq->path);
	if (rq->query != NULL)
		ex_say(&x, NULL, "query: %s", rq->query);
	if (rq->has_from) {
		addr_format_ip(&rq->from, ip, sizeof(ip));
		ex_say(&x, NULL, "client: %s", ip);
	}
	for (size_t i = 0; i < rq->nheaders; i++)
		ex_say(&x, NULL, "header: %s: %s", rq->headers[i].name,
		    rq->headers[i].value);
	n = explain_listeners(&x, idx, nitems(idx));
	if (n == 0) {
		explain_via(&x);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		x.listener = idx[i];
		if (n > 1) {
			ex_label(&cfg->listeners[idx[i]]->sec, lb, sizeof(lb));
			ex_say(&x, &cfg->listeners[idx[i]]->sec.where,
			    "through %s:", lb);
		}
		explain_via(&x);
	}
}
