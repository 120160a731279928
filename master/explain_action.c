/*
 * frontd -t -e: what the route taken does with the request, as the worker
 * would: the headers it sets, the target and Host sent upstream, the
 * upstream's servers and checks, the cache and compression; or the answer
 * it gives itself. Templates are expanded from the request alone; what it
 * cannot tell stays as ${name}.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/route.h"
#include "common/util.h"
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

/* " (the default)" for a key the section leaves unset. */
static const char *
dflt(const struct cfg_section *sec, const char *key)
{
	return cfg_key_where(sec, key) == NULL ? " (the default)" : "";
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

/* One direction's set and remove lines of a route ("request"...). */
static void
explain_header_ops(struct ex *x, const struct cfg_route *r, const char *lb,
    const char *dir, const struct cfg_header_op *set, size_t nset,
    const struct cfg_header_op *rm, size_t nrm)
{
	char	key[32], val[1024], list[2048];

	snprintf(key, sizeof(key), "set_%s_header", dir);
	for (size_t i = 0; i < nset; i++) {
		if (render(x, &set[i].value, NULL, NULL, 0, val,
		    sizeof(val)) == -1)
			strlcpy_(val, "(too long)", sizeof(val));
		ex_say(x, ex_where(&r->sec, key), "%s sets %s header %s: %s",
		    lb, dir, set[i].name, val);
	}
	list[0] = '\0';
	for (size_t i = 0; i < nrm; i++)
		ex_cat(list, sizeof(list), "%s%s", i > 0 ? " " : "",
		    rm[i].name);
	snprintf(key, sizeof(key), "remove_%s_header", dir);
	if (nrm > 0)
		ex_say(x, ex_where(&r->sec, key), "%s removes %s headers %s",
		    lb, dir, list);
}

static void
explain_headers(struct ex *x, const struct cfg_route *r)
{
	char	lb[300];

	ex_label(&r->sec, lb, sizeof(lb));
	explain_header_ops(x, r, lb, "request", r->set_req, r->nset_req,
	    r->remove_req, r->nremove_req);
	explain_header_ops(x, r, lb, "response", r->set_resp, r->nset_resp,
	    r->remove_resp, r->nremove_resp);
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

void
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
