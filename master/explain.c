/*
 * frontd -t -e REQUEST: walks one request through a checked configuration
 * in the order a worker's phases do (listener, its rules, the target, the
 * https redirect, the route, its rules and filters, maintenance, the
 * action) and prints one fact per line, each starting with the file:line
 * responsible. The route is the one router_match() gives, the very lookup
 * the workers run; the rest reads the same struct config fields they do.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/util.h"
#include "master/explain.h"
#include "master/explain_int.h"

static const char *const balance_names[] = {
	[BALANCE_ROUND_ROBIN] = "round_robin",
	[BALANCE_LEAST_CONN] = "least_conn",
	[BALANCE_IP_HASH] = "ip_hash",
	[BALANCE_HASH] = "hash",
	[BALANCE_RANDOM] = "random",
};

static const struct {
	enum cfg_var	 var;
	const char	*name;
} var_names[] = {
	{ VAR_URI, "uri" }, { VAR_REQUEST_URI, "request_uri" },
	{ VAR_ARGS, "args" }, { VAR_HOST, "host" },
	{ VAR_AUTHORITY, "authority" }, { VAR_REMOTE_ADDR, "remote_addr" },
	{ VAR_SCHEME, "scheme" }, { VAR_SERVER_PORT, "server_port" },
	{ VAR_SSL_CLIENT_S_DN, "ssl_client_s_dn" },
	{ VAR_SSL_PROTOCOL, "ssl_protocol" }, { VAR_SSL_CIPHER, "ssl_cipher" },
};

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

/* " (the default)" for a key the section leaves unset. */
static const char *
dflt(const struct cfg_section *sec, const char *key)
{
	return cfg_key_where(sec, key) == NULL ? " (the default)" : "";
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

static const char *
header_value(const struct explain_req *rq, const char *name, size_t len)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (strlen(rq->headers[i].name) == len &&
		    strncasecmp(rq->headers[i].name, name, len) == 0)
			return rq->headers[i].value;
	return NULL;
}

/* A cookie from the Cookie field given, as "a=1; b=2". */
static void
cookie_value(const struct explain_req *rq, const char *name, size_t len,
    const char **v, size_t *vlen)
{
	const char	*c = header_value(rq, "cookie", 6), *e;

	for (; c != NULL && *c != '\0'; c = e) {
		while (*c == ' ' || *c == ';')
			c++;
		if ((e = strchr(c, ';')) == NULL)
			e = c + strlen(c);
		if ((size_t)(e - c) > len && c[len] == '=' &&
		    strncmp(c, name, len) == 0) {
			*v = c + len + 1;
			*vlen = (size_t)(e - *v);
			return;
		}
	}
}

/*
 * A template as the worker would expand it for this request. What the
 * request cannot tell (the client's certificate, its address without
 * "from") stays as ${name}. Returns the length, or -1 if it does not fit.
 */
static ssize_t
render(struct ex *x, const struct cfg_tpl *t, const char *subject,
    const size_t *ov, int nov, char *dst, size_t room)
{
	const struct explain_req *rq = x->rq;
	char			 tmp[ADDR_STRLEN + 64];
	const char		*v;
	size_t			 n = 0, len;

	for (size_t i = 0; i < t->nparts; i++) {
		const struct cfg_tpl_part *p = &t->parts[i];

		v = "";
		len = 0;
		switch (p->var) {
		case VAR_NONE:
			v = p->text;
			len = p->len;
			break;
		case VAR_CAPTURE:
			if (p->capture < nov && ov[2 * p->capture] !=
			    (size_t)-1) {
				v = subject + ov[2 * p->capture];
				len = ov[2 * p->capture + 1] -
				    ov[2 * p->capture];
			}
			break;
		case VAR_URI:
			v = rq->path;
			len = rq->pathlen;
			break;
		case VAR_REQUEST_URI:
			v = rq->target;
			len = rq->targetlen;
			break;
		case VAR_ARGS:
			if (rq->query != NULL) {
				v = rq->query;
				len = rq->querylen;
			}
			break;
		case VAR_HOST:
			v = rq->host;
			len = rq->hostlen;
			break;
		case VAR_AUTHORITY:
			v = rq->authority;
			len = strlen(v);
			break;
		case VAR_SCHEME:
			v = rq->tls ? "https" : "http";
			len = strlen(v);
			break;
		case VAR_SERVER_PORT:
			snprintf(tmp, sizeof(tmp), "%d", rq->port);
			v = tmp;
			len = strlen(v);
			break;
		case VAR_HTTP:
			if ((v = header_value(rq, p->text, p->len)) == NULL)
				v = "";
			len = strlen(v);
			break;
		case VAR_COOKIE:
			cookie_value(rq, p->text, p->len, &v, &len);
			break;
		case VAR_REMOTE_ADDR:
			if (rq->has_from) {
				addr_format_ip(&rq->from, tmp, sizeof(tmp));
				v = tmp;
				len = strlen(v);
				break;
			}
			/* FALLTHROUGH */
		default:
			snprintf(tmp, sizeof(tmp), "${%s}", "?");
			for (size_t k = 0; k < nitems(var_names); k++)
				if (var_names[k].var == p->var)
					snprintf(tmp, sizeof(tmp), "${%s}",
					    var_names[k].name);
			v = tmp;
			len = strlen(v);
			break;
		}
		if (len > room - n)
			return -1;
		memcpy(dst + n, v, len);
		n += len;
	}
	if (n == room)
		return -1;
	dst[n] = '\0';
	return (ssize_t)n;
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
/* What the route does */

static void
explain_headers(struct ex *x, const struct cfg_route *r)
{
	char	lb[300], val[1024], list[2048];

	ex_label(&r->sec, lb, sizeof(lb));
	for (size_t i = 0; i < r->nset_req; i++) {
		if (render(x, &r->set_req[i].value, NULL, NULL, 0, val,
		    sizeof(val)) == -1)
			strlcpy_(val, "(too long)", sizeof(val));
		ex_say(x, ex_where(&r->sec, "set_request_header"), "%s sets "
		    "request header %s: %s", lb, r->set_req[i].name, val);
	}
	list[0] = '\0';
	for (size_t i = 0; i < r->nremove_req; i++)
		ex_cat(list, sizeof(list), "%s%s", i > 0 ? " " : "",
		    r->remove_req[i].name);
	if (r->nremove_req > 0)
		ex_say(x, ex_where(&r->sec, "remove_request_header"),
		    "%s removes request headers %s", lb, list);
	for (size_t i = 0; i < r->nset_resp; i++) {
		if (render(x, &r->set_resp[i].value, NULL, NULL, 0, val,
		    sizeof(val)) == -1)
			strlcpy_(val, "(too long)", sizeof(val));
		ex_say(x, ex_where(&r->sec, "set_response_header"), "%s sets "
		    "response header %s: %s", lb, r->set_resp[i].name, val);
	}
	list[0] = '\0';
	for (size_t i = 0; i < r->nremove_resp; i++)
		ex_cat(list, sizeof(list), "%s%s", i > 0 ? " " : "",
		    r->remove_resp[i].name);
	if (r->nremove_resp > 0)
		ex_say(x, ex_where(&r->sec, "remove_response_header"), "%s "
		    "removes response headers %s", lb, list);
}

/*
 * strip_prefix, rewrite, add_prefix, in the worker's order and with its
 * rules (worker/request.c request_rewrite): the target sent upstream.
 */
static void
explain_rewrite(struct ex *x, const struct cfg_route *r)
{
	const struct explain_req *rq = x->rq;
	char			 stripped[EX_TARGET_MAX];
	char			 tmp[EX_TARGET_MAX];
	char			 out[EX_TARGET_MAX * 2];
	const char		*path = rq->path;
	size_t			 plen = rq->pathlen, n, o = 0;
	bool			 keep_args = true;
	const size_t		*ov;
	ssize_t			 m;
	int			 rc;

	if (r->strip_prefix == NULL && r->add_prefix == NULL &&
	    r->rewrite_re == NULL) {
		ex_say(x, NULL, "target sent upstream: %s (as the client sent "
		    "it)", rq->target);
		return;
	}
	if (r->strip_prefix != NULL) {
		if ((m = route_strip_prefix(r->strip_prefix, path, plen,
		    stripped, &path)) >= 0) {
			plen = (size_t)m;
			ex_say(x, ex_where(&r->sec, "strip_prefix"),
			    "strip_prefix %s leaves %.*s", r->strip_prefix,
			    (int)plen, path);
		} else
			ex_say(x, ex_where(&r->sec, "strip_prefix"),
			    "strip_prefix %s does not apply to %s",
			    r->strip_prefix, rq->path);
	}
	if (r->rewrite_re != NULL) {
		memcpy(tmp, path, plen);
		tmp[plen] = '\0';
		if ((rc = regex_match(r->rewrite_re, tmp, plen, &ov)) < 0) {
			ex_say(x, ex_where(&r->sec, "rewrite"), "500 Internal "
			    "Server Error: the rewrite regex hit its match "
			    "limit");
			return;
		}
		if (rc == 0)
			ex_say(x, ex_where(&r->sec, "rewrite"),
			    "rewrite does not match %s", tmp);
		else {
			char subj[EX_TARGET_MAX];

			memcpy(subj, tmp, plen + 1);
			if ((m = render(x, &r->rewrite_to, subj, ov, rc, tmp,
			    sizeof(tmp))) == -1) {
				ex_say(x, ex_where(&r->sec, "rewrite"), "414 "
				    "URI Too Long: the rewritten target");
				return;
			}
			ex_say(x, ex_where(&r->sec, "rewrite"), "rewrite turns "
			    "%s into %s", subj, tmp);
			if (memchr(tmp, '?', (size_t)m) != NULL)
				keep_args = false;
			path = tmp;
			plen = (size_t)m;
		}
	}
	if (r->add_prefix != NULL) {
		n = strlen(r->add_prefix);
		if (n > 0 && r->add_prefix[n - 1] == '/' && plen > 0 &&
		    path[0] == '/')
			n--;
		memcpy(out, r->add_prefix, n);
		o = n;
		ex_say(x, ex_where(&r->sec, "add_prefix"), "add_prefix %s "
		    "gives %.*s%.*s", r->add_prefix, (int)n, r->add_prefix,
		    (int)plen, path);
	}
	memcpy(out + o, path, plen);
	o += plen;
	if (keep_args && rq->query != NULL) {
		out[o++] = '?';
		memcpy(out + o, rq->query, rq->querylen);
		o += rq->querylen;
	}
	out[o] = '\0';
	ex_say(x, NULL, "target sent upstream: %s", out);
}

static void
explain_upstream(struct ex *x, const struct cfg_route *r)
{
	const struct cfg_upstream *u = x->cfg->upstreams[r->upstream];
	char			 lb[300], s[ADDR_STRLEN], a[64], b[64];
	char			 flags[256];
	size_t			 nprimary = 0;

	ex_label(&u->sec, lb, sizeof(lb));
	ex_say(x, &r->upstream_where, "it goes to %s, written at %s:%d", lb,
	    u->sec.where.file, u->sec.where.line);
	if (u->balance == BALANCE_HASH)
		ex_say(x, &u->hash_where, "balance hash on a key of the "
		    "request: the same key, the same server");
	else
		ex_say(x, ex_where(&u->sec, "balance"), "balance %s%s",
		    balance_names[u->balance], u->balance_set ? "" :
		    " (the default)");
	for (size_t i = 0; i < u->nservers; i++) {
		const struct cfg_server *sv = &u->servers[i];

		addr_format(&sv->addr, s, sizeof(s));
		flags[0] = '\0';
		if (sv->backup)
			ex_cat(flags, sizeof(flags), ", backup: only when "
			    "every other server is down");
		if (sv->down)
			ex_cat(flags, sizeof(flags), ", down: out of service");
		if (sv->drain)
			ex_cat(flags, sizeof(flags), ", drain: no new "
			    "requests");
		if (sv->max_conns > 0)
			ex_cat(flags, sizeof(flags), ", max_conns %d",
			    sv->max_conns);
		if (!sv->backup && !sv->down && !sv->drain)
			nprimary++;
		if (strcmp(s, sv->spec) == 0)
			ex_say(x, &sv->where, "server %s weight %d%s", sv->spec,
			    sv->weight, flags);
		else
			ex_say(x, &sv->where, "server %s (%s) weight %d%s",
			    sv->spec, s, sv->weight, flags);
	}
	if (nprimary == 0)
		ex_say(x, &u->sec.where, "%s has no server that takes new "
		    "requests unless a backup does: expect 502 or 503", lb);
	switch (u->check) {
	case CHECK_OFF:
		ex_say(x, &u->sec.where, "no active health check in %s "
		    "(health_check unset)", lb);
		break;
	case CHECK_TCP:
		fmt_duration(a, sizeof(a), u->check_interval_ms);
		fmt_duration(b, sizeof(b), u->check_timeout_ms);
		ex_say(x, ex_where(&u->sec, "health_check"), "health check: "
		    "a TCP connect every %s, timeout %s, up after %d, down "
		    "after %d", a, b, u->rise, u->fall);
		break;
	case CHECK_HTTP:
		fmt_duration(a, sizeof(a), u->check_interval_ms);
		fmt_duration(b, sizeof(b), u->check_timeout_ms);
		ex_say(x, ex_where(&u->sec, "health_check"), "health check: %s "
		    "%s every %s, timeout %s, expects %d-%d%s%s, up after %d, "
		    "down after %d", u->check_method, u->check_path, a, b,
		    u->expect_lo, u->expect_hi, u->expect_body != NULL ?
		    " with body containing " : "", u->expect_body != NULL ?
		    u->expect_body : "", u->rise, u->fall);
		break;
	}
	if (u->max_fails > 0) {
		fmt_duration(a, sizeof(a), u->fail_timeout_ms);
		ex_say(x, ex_where(&u->sec, "max_fails"), "a server that fails "
		    "%d time%s within %s is left out for %s%s", u->max_fails,
		    u->max_fails == 1 ? "" : "s", a, a,
		    dflt(&u->sec, "max_fails"));
	}
	if (u->retries > 0)
		ex_say(x, ex_where(&u->sec, "retries"), "a failed request is "
		    "tried again on up to %d other server%s%s", u->retries,
		    u->retries == 1 ? "" : "s", dflt(&u->sec, "retries"));
	if (u->tls)
		ex_say(x, &u->tls_where, "TLS to the servers, certificate %s",
		    u->tls_verify ? "verified" : "not verified");
}

static void
explain_cache(struct ex *x, const struct cfg_route *r)
{
	const struct explain_req *rq = x->rq;
	char			 lb[300], key[EX_TARGET_MAX + 512];

	ex_label(&r->sec, lb, sizeof(lb));
	if (!r->cache) {
		ex_say(x, cfg_key_where(&r->sec, "cache") != NULL ?
		    cfg_key_where(&r->sec, "cache") : &r->sec.where,
		    "cache off in %s", lb);
		return;
	}
	if (rq->meth != HTTP_M_GET && !(rq->meth == HTTP_M_HEAD &&
	    r->cache_head)) {
		ex_say(x, ex_where(&r->sec, "cache"), "cache on in %s, but not "
		    "for %s: forwarded", lb, rq->method);
		return;
	}
	if (render(x, &r->cache_key, NULL, NULL, 0, key, sizeof(key)) == -1)
		strlcpy_(key, "(too long: not cached)", sizeof(key));
	ex_say(x, cfg_key_where(&r->sec, "cache_key") != NULL ?
	    cfg_key_where(&r->sec, "cache_key") : ex_where(&r->sec, "cache"),
	    "cache on in %s, key %s", lb, key);
	if (x->cfg->global.cache_size == 0)
		ex_say(x, ex_where(&x->cfg->global.sec, "cache_size"),
		    "but cache_size is 0: nothing is stored");
}

static void
explain_compress(struct ex *x, const struct cfg_route *r)
{
	char	lb[300], types[2048];

	ex_label(&r->sec, lb, sizeof(lb));
	if (!r->compress_gzip && !r->compress_br)
		return;
	types[0] = '\0';
	for (size_t i = 0; i < r->ncompress_types; i++)
		ex_cat(types, sizeof(types), "%s%s", i > 0 ? " " : "",
		    r->compress_types[i]);
	ex_say(x, ex_where(&r->sec, "compress"), "%s compresses responses "
	    "with %s%s%s of %llu bytes or more, types %s", lb,
	    r->compress_gzip ? "gzip" : "", r->compress_gzip &&
	    r->compress_br ? " or " : "", r->compress_br ? "br" : "",
	    (unsigned long long)r->compress_min_length, types);
}

static void
explain_action(struct ex *x, const struct cfg_route *r)
{
	char	lb[300], loc[EX_TARGET_MAX + 512];

	ex_label(&r->sec, lb, sizeof(lb));
	switch (r->action) {
	case ACTION_RETURN:
		ex_say(x, &r->action_where, "%s answers itself: %d with %zu "
		    "bytes of %s", lb, r->status, r->bodylen,
		    r->body_type != NULL ? r->body_type : "text/plain");
		break;
	case ACTION_REDIRECT:
		if (render(x, &r->location, NULL, NULL, 0, loc,
		    sizeof(loc)) == -1)
			strlcpy_(loc, "(too long)", sizeof(loc));
		ex_say(x, &r->action_where, "%s redirects: %d to %s", lb,
		    r->status, loc);
		break;
	case ACTION_METRICS:
		ex_say(x, &r->action_where, "%s answers itself: the metrics",
		    lb);
		break;
	case ACTION_STATUS:
		ex_say(x, &r->action_where, "%s answers itself: the status "
		    "page", lb);
		break;
	case ACTION_PROXY:
		explain_rewrite(x, r);
		ex_say(x, cfg_key_where(&r->sec, "proxy_host"), "Host sent "
		    "upstream: %s", r->proxy_host != NULL ? r->proxy_host :
		    x->rq->authority);
		explain_upstream(x, r);
		break;
	}
	explain_headers(x, r);
	if (r->action == ACTION_PROXY) {
		explain_cache(x, r);
		explain_compress(x, r);
	}
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
