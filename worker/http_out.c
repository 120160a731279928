/*
 * The heads frontd writes: the request it sends upstream, the response
 * head it sends the client, and its own error responses. Each is built in
 * one pass into a caller's buffer with bounds checked on every append;
 * header lines that need no change are copied as they arrived.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/config.h"
#include "common/http_date.h"
#include "common/http_parse.h"
#include "common/util.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/vars.h"

struct out {
	char	*p;
	size_t	 len, room;
	bool	 full;
};

/* n bytes of s, which may be NULL when n is 0. */
static void
put(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (o->full || o->len + n > o->room) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->room - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->room - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static void
put_slice(struct out *o, const char *base, struct http_slice s)
{
	put(o, base + s.off, s.len);
}

const char *
status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 102: return "Processing";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 401: return "Unauthorized";
	case 410: return "Gone";
	case 429: return "Too Many Requests";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* The Date header value, formatted once a second. */
static const char *
http_date(void)
{
	static time_t	last;
	static char	buf[HTTP_DATE_LEN + 1];
	time_t		now = time(NULL);

	if (now != last) {
		http_date_format(now, buf);
		last = now;
	}
	return buf;
}

/* Decimal digits of n, without printf: this runs on every request. */
static void
put_u64(struct out *o, uint64_t n)
{
	char	d[24], *p = d + sizeof(d);

	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	put(o, p, (size_t)(d + sizeof(d) - p));
}

static bool
trusted_peer(const struct conn *c)
{
	const struct cfg_global	*g = &c->w->env->cfg->global;

	for (size_t i = 0; i < g->ntrusted_proxies; i++)
		if (cidr_match(&g->trusted_proxies[i], &c->peer.ss))
			return true;
	return false;
}

/*
 * A header named in the Connection header is hop-by-hop too. Keep-Alive
 * and Upgrade are handled by their ids; the parser says whether anything
 * else is named, so the usual request costs no scan at all.
 */
static bool
named_by_connection(const char *base, const struct http_head *h,
    const struct http_header *f)
{
	if (!h->conn_other)
		return h->conn_close && http_slice_eq(base, f->name, "close");
	return http_connection_has(base, h, base + f->name.off, f->name.len);
}

static bool
op_matches(const char *base, const struct http_header *f,
    const struct cfg_header_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].namelen == f->name.len && strncasecmp(ops[i].name,
		    base + f->name.off, f->name.len) == 0)
			return true;
	return false;
}

/* Whether f is one of the n fields of a merged list (config_fields.c). */
static bool
op_listed(const char *base, const struct http_header *f,
    const struct cfg_header_op *const *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i]->namelen == f->name.len &&
		    strncasecmp(ops[i]->name, base + f->name.off,
		    f->name.len) == 0)
			return true;
	return false;
}

/* The Via of a response: frontd names itself unless server_tokens = off. */
static void
put_via(struct out *o, const struct conn *c, const struct http_head *h)
{
	puts_(o, h->version_minor == 0 ? "Via: 1.0 " : "Via: 1.1 ");
	puts_(o, c->w->env->cfg->global.server_tokens ? "frontd\r\n" :
	    "proxy\r\n");
}

static bool
sts_op(const struct cfg_header_op *op)
{
	return op->namelen == 25 && strcasecmp(op->name,
	    "strict-transport-security") == 0;
}

/* "Name: value" of an op, unless its value has a variable. */
static void
put_literal(struct out *o, const struct cfg_header_op *op)
{
	for (size_t i = 0; i < op->value.nparts; i++)
		if (op->value.parts[i].var != VAR_NONE)
			return;
	put(o, op->name, op->namelen);
	put(o, ": ", 2);
	for (size_t i = 0; i < op->value.nparts; i++)
		put(o, op->value.parts[i].text, op->value.parts[i].len);
	put(o, "\r\n", 2);
}

/*
 * The admin's response fields (set_response_header, hsts,
 * security_headers; merged at load time): the set lines, then each
 * preset line whose bit in seen is clear (the upstream sent none). Values
 * with variables were expanded into r->resp_set once the request had a
 * route (request.c); before that, such lines are left out.
 * Strict-Transport-Security goes over TLS only (RFC 6797 7.2): the merge
 * kept it off plain listeners, this keeps it off plain HTTP on a TLS
 * port.
 */
static void
put_fields(struct out *o, const struct conn *c, const struct req *r,
    const struct cfg_resp_fields *f, unsigned seen)
{
	bool	tls = conn_tls(c) != NULL;

	if (f->lines != NULL && (tls || !f->sts))
		put(o, f->lines, f->lineslen);
	else if (f->vars && r->route >= 0)
		put(o, r->resp_set, r->resp_set_len);
	else
		for (size_t i = 0; i < f->nset; i++)
			if (tls || !sts_op(f->set[i]))
				put_literal(o, f->set[i]);
	for (size_t i = 0; i < f->npreset; i++)
		if (!(seen & (1u << i)) && (tls || !sts_op(f->preset[i])))
			put_literal(o, f->preset[i]);
}

/* A header the route removes, or sets (which replaces the client's). */
static bool
header_listed(const char *base, const struct http_header *f,
    const struct cfg_route *route)
{
	return op_matches(base, f, route->remove_req, route->nremove_req) ||
	    op_matches(base, f, route->set_req, route->nset_req);
}

/* A header named by forward_auth_response_headers. */
static bool
fa_listed(const char *base, const struct http_header *f,
    const struct cfg_route *route)
{
	for (size_t i = 0; i < route->nfa_resp_headers; i++)
		if (strlen(route->fa_resp_headers[i]) == f->name.len &&
		    strncasecmp(route->fa_resp_headers[i], base + f->name.off,
		    f->name.len) == 0)
			return true;
	return false;
}

/*
 * Location pointing at the upstream server ("http://10.0.0.2:8080/x",
 * with the server as configured, its address or proxy_host): the client
 * gets "http://public-host/x" instead. Returns true if it wrote the field.
 */
static bool
location_rewrite(struct out *o, const struct conn *c, const struct req *r,
    const struct cfg_route *route, const char *b, const struct http_header *f)
{
	const struct cfg_server	*sv;
	const char		*v = b + f->value.off, *auth, *rest;
	size_t			 len = f->value.len, alen;
	const char		*names[3];

	size_t			 skip;

	/* http:// always; https:// when the server is spoken to over TLS. */
	if (len > 7 && strncasecmp(v, "http://", 7) == 0)
		skip = 7;
	else if (len > 8 && strncasecmp(v, "https://", 8) == 0 &&
	    r->upstream >= 0 && c->w->env->cfg->upstreams[r->upstream]->tls)
		skip = 8;
	else
		return false;
	if (r->hostlen == 0 || r->upstream < 0 || r->ntried == 0)
		return false;
	auth = v + skip;
	rest = memchr(auth, '/', len - skip);
	alen = rest ? (size_t)(rest - auth) : len - skip;
	sv = &c->w->env->cfg->upstreams[r->upstream]->servers[
	    r->tried[r->ntried - 1]];
	names[0] = sv->spec;
	names[1] = r->upstream_name;
	names[2] = route->proxy_host;
	for (int i = 0; i < 3; i++) {
		if (names[i] == NULL || strlen(names[i]) != alen ||
		    strncasecmp(names[i], auth, alen) != 0)
			continue;
		put(o, b + f->name.off, f->name.len);
		/* The client's host, normalized, port included. */
		puts_(o, conn_tls(c) != NULL ? ": https://" : ": http://");
		put(o, r->host, r->hostport_len);
		if (rest != NULL)
			put(o, rest, len - (size_t)(rest - v));
		else
			put(o, "/", 1);
		put(o, "\r\n", 2);
		return true;
	}
	return false;
}

size_t
out_request_head(const struct conn *c, const struct req *r,
    const struct cfg_route *route, char *dst, size_t room)
{
	const char		*b = c->in->data;
	const struct http_head	*h = &r->head;
	struct out		 o = { dst, 0, room, false };
	char			 ip[ADDR_STRLEN];
	bool			 trusted;
	bool			 seen_proto = false, seen_host = false;
	bool			 seen_real = false;

	addr_format_ip(&c->peer, ip, sizeof(ip));
	trusted = c->w->env->cfg->global.ntrusted_proxies > 0 &&
	    trusted_peer(c);

	put_slice(&o, b, h->method);
	put(&o, " ", 1);
	if (c->w->target_len > 0)
		put(&o, c->w->target, c->w->target_len);
	else if (h->form == HTTP_TARGET_ABSOLUTE) {
		if (h->path.len == 0)
			put(&o, "/", 1);
		else
			put_slice(&o, b, h->path);
	} else
		put_slice(&o, b, h->target);
	puts_(&o, " HTTP/1.1\r\nHost: ");
	/* The normalized host, never the client's spelling (request_host). */
	if (route->proxy_host != NULL)
		puts_(&o, route->proxy_host);
	else if (h->form == HTTP_TARGET_ABSOLUTE || h->host >= 0)
		put(&o, r->host, r->hostport_len);
	else
		/* HTTP/1.0 without Host: a name that holds for every try. */
		puts_(&o, c->w->env->cfg->upstreams[r->upstream]->servers[0].
		    spec);
	put(&o, "\r\n", 2);

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		switch (f->id) {
		case HTTP_H_HOST:
		case HTTP_H_CONNECTION:
		case HTTP_H_KEEP_ALIVE:
		case HTTP_H_PROXY_CONNECTION:
		case HTTP_H_TE:
		case HTTP_H_TRAILER:
		case HTTP_H_EXPECT:
		case HTTP_H_CONTENT_LENGTH:
		case HTTP_H_TRANSFER_ENCODING:
			continue;
		case HTTP_H_UPGRADE:
			/* Written below: what the route allows of it. */
			continue;
		case HTTP_H_PROXY_AUTHORIZATION:
			if (!route->pass_proxy_authorization)
				continue;
			break;
		case HTTP_H_X_FORWARDED_FOR:
			if (!route->x_forwarded_for)
				break;
			/* Rewritten below as one field. */
			continue;
		case HTTP_H_X_FORWARDED_PROTO:
			if (!route->x_forwarded_proto)
				break;
			if (!trusted)
				continue;
			seen_proto = true;
			break;
		case HTTP_H_X_FORWARDED_HOST:
			if (!route->x_forwarded_host)
				break;
			if (!trusted)
				continue;
			seen_host = true;
			break;
		case HTTP_H_X_REAL_IP:
			if (!route->x_real_ip)
				break;
			if (!trusted)
				continue;
			seen_real = true;
			break;
		default:
			/*
			 * Hop-by-hop, for an h2c upgrade only (RFC 7540 3.2.1):
			 * forwarded with it, never without.
			 */
			if (f->name.len == 14 && strncasecmp(b + f->name.off,
			    "http2-settings", 14) == 0) {
				if (r->upgrade_h2c)
					put(&o, b + f->line_off, f->line_len);
				continue;
			}
			/* The password auth_basic took stays here. */
			if (r->remote_user != NULL &&
			    !route->pass_proxy_authorization &&
			    f->name.len == 13 && strncasecmp(b + f->name.off,
			    "authorization", 13) == 0)
				continue;
			break;
		}
		if (named_by_connection(b, h, f))
			continue;
		if ((route->nremove_req > 0 || route->nset_req > 0) &&
		    header_listed(b, f, route))
			continue;
		/* Only forward_auth's answer may set these. */
		if (route->nfa_resp_headers > 0 && fa_listed(b, f, route))
			continue;
		/*
		 * Backends that map headers to variables (CGI, PHP, many
		 * frameworks) read X_Real_IP as X-Real-IP: an underscore
		 * would let a client smuggle what we set. Dropped, as nginx
		 * does by default.
		 */
		if (memchr(b + f->name.off, '_', f->name.len) != NULL)
			continue;
		/* Filling the cache: the full response, never a 304. */
		if (r->rc != NULL && (r->rc->store || r->rc->cond_len > 0) &&
		    f->name.len > 3 &&
		    strncasecmp(b + f->name.off, "if-", 3) == 0)
			continue;
		put(&o, b + f->line_off, f->line_len);
	}
	if (r->rc != NULL && r->rc->cond_len > 0)
		put(&o, r->rc->cond, r->rc->cond_len);
	if (route->x_forwarded_for) {
		/* A list from an untrusted peer is dropped, not extended. */
		puts_(&o, "X-Forwarded-For: ");
		for (uint32_t i = 0; trusted && i < h->nheaders; i++) {
			const struct http_header *f = &h->headers[i];

			if (f->id != HTTP_H_X_FORWARDED_FOR ||
			    f->value.len == 0)
				continue;
			put_slice(&o, b, f->value);
			puts_(&o, ", ");
		}
		puts_(&o, ip);
		put(&o, "\r\n", 2);
	}
	if (route->x_forwarded_proto && !seen_proto)
		puts_(&o, conn_tls(c) != NULL ? "X-Forwarded-Proto: https\r\n" :
		    "X-Forwarded-Proto: http\r\n");
	if (route->x_forwarded_host && !seen_host &&
	    (h->host >= 0 || h->form == HTTP_TARGET_ABSOLUTE)) {
		/* The same host as Host above, absolute-form included. */
		puts_(&o, "X-Forwarded-Host: ");
		put(&o, r->host, r->hostport_len);
		put(&o, "\r\n", 2);
	}
	if (route->x_real_ip && !seen_real) {
		/* The client, even behind trusted proxies (real_ip_header). */
		addr_format_ip(&r->client, ip, sizeof(ip));
		puts_(&o, "X-Real-IP: ");
		puts_(&o, ip);
		put(&o, "\r\n", 2);
	}
	if (route->via)
		puts_(&o, h->version_minor == 0 ? "Via: 1.0 frontd\r\n" :
		    "Via: 1.1 frontd\r\n");
	for (size_t i = 0; i < route->nset_req && !o.full; i++) {
		const struct cfg_header_op *op = &route->set_req[i];
		size_t n;

		put(&o, op->name, op->namelen);
		put(&o, ": ", 2);
		if (o.full)
			break;
		n = tpl_expand(c, &op->value, NULL, NULL, 0, o.p + o.len,
		    o.room - o.len);
		if (n == (size_t)-1) {
			o.full = true;
			break;
		}
		o.len += n;
		put(&o, "\r\n", 2);
	}
	/* What forward_auth's answer adds (Remote-User, say). */
	if (r->fa.lines > 0)
		put(&o, r->fa.buf->data, r->fa.lines);
	if (h->te_trailers)
		puts_(&o, "TE: trailers\r\n");
	if (r->req_mode == BODY_CHUNKED || r->req_mode == BODY_STREAM)
		puts_(&o, "Transfer-Encoding: chunked\r\n");
	else if (h->has_content_length) {
		puts_(&o, "Content-Length: ");
		put_u64(&o, h->content_length);
		put(&o, "\r\n", 2);
	}
	if (r->upgrade) {
		const char *sep = "Upgrade: ";

		for (size_t i = 0; i < route->nupgrade; i++)
			if (r->upgrade_mask & (1u << i)) {
				puts_(&o, sep);
				puts_(&o, route->upgrade[i]);
				sep = ", ";
			}
		puts_(&o, "\r\nConnection: upgrade");
		if (r->upgrade_h2c)
			puts_(&o, ", HTTP2-Settings");
		puts_(&o, "\r\n\r\n");
	} else
		puts_(&o, "Connection: keep-alive\r\n\r\n");
	return o.full ? 0 : o.len;
}

/* Fields of one hop that a response never carries past us (RFC 9110 7.6.1). */
static bool
hop_field(enum http_header_id id)
{
	switch (id) {
	case HTTP_H_CONNECTION:
	case HTTP_H_KEEP_ALIVE:
	case HTTP_H_PROXY_CONNECTION:
	case HTTP_H_TE:
	case HTTP_H_TRAILER:
	case HTTP_H_TRANSFER_ENCODING:
		return true;
	default:
		return false;
	}
}

/* "HTTP/1.x STATUS REASON", the upstream's reason or ours. */
static void
status_line(struct out *o, bool http10, const char *b,
    const struct http_head *h)
{
	puts_(o, http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
	put_u64(o, (uint64_t)h->status);
	put(o, " ", 1);
	if (h->reason.len > 0)
		put_slice(o, b, h->reason);
	else
		puts_(o, status_reason(h->status));
	put(o, "\r\n", 2);
}

size_t
out_response_head(const struct conn *c, const struct req *r, char *dst,
    size_t room)
{
	const char		*b = r->up_in->data;
	const struct http_head	*h = &r->resp;
	struct out		 o = { dst, 0, room, false };
	bool			 seen_date = false;
	unsigned		 seen = 0;
	const struct cfg_route	*route = r->route >= 0 ?
				    c->w->env->cfg->routes[r->route] : NULL;
	const struct cfg_resp_fields *fl = F(c);

	status_line(&o, r->http10, b, h);
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (hop_field(f->id))
			continue;
		switch (f->id) {
		case HTTP_H_UPGRADE:
			if (h->status != 101)
				continue;
			put(&o, b + f->line_off, f->line_len);
			continue;
		case HTTP_H_CONTENT_LENGTH:
			if ((r->resp_mode != BODY_LENGTH &&
			    r->resp_mode != BODY_NONE) || r->coded ||
			    r->from_cache)
				continue;
			break;
		case HTTP_H_DATE:
			seen_date = true;
			break;
		default:
			break;
		}
		if (named_by_connection(b, h, f))
			continue;
		if (fl->nstrip > 0 && op_listed(b, f, fl->strip, fl->nstrip))
			continue;
		/* The upstream's own value of a preset field stands. */
		for (size_t j = 0; j < fl->npreset; j++)
			if (fl->preset[j]->namelen == f->name.len &&
			    strncasecmp(fl->preset[j]->name, b + f->name.off,
			    f->name.len) == 0)
				seen |= 1u << j;
		/* Computed anew for what the cache serves. */
		if (r->from_cache && f->name.len == 3 &&
		    strncasecmp(b + f->name.off, "age", 3) == 0)
			continue;
		/* Ours replaces an upstream's "Content-Encoding: identity". */
		if (r->coded && f->name.len == 16 &&
		    strncasecmp(b + f->name.off, "content-encoding", 16) == 0)
			continue;
		/* A compressed body is another representation: its ETag
		 * can only be weak (RFC 9110, 8.8.1); so is that of a 304
		 * for it (weak_etag). */
		if ((r->coded || r->weak_etag) && f->name.len == 4 &&
		    strncasecmp(b + f->name.off, "etag", 4) == 0 &&
		    f->value.len > 0 && b[f->value.off] == '"') {
			put(&o, b + f->name.off, f->name.len);
			puts_(&o, ": W/");
			put_slice(&o, b, f->value);
			put(&o, "\r\n", 2);
			continue;
		}
		if (route != NULL && route->rewrite_location &&
		    (f->id == HTTP_H_LOCATION || (f->name.len == 16 &&
		    strncasecmp(b + f->name.off, "content-location", 16) ==
		    0)) && location_rewrite(&o, c, r, route, b, f))
			continue;
		put(&o, b + f->line_off, f->line_len);
	}
	put_fields(&o, c, r, fl, seen);
	/*
	 * A response without Date gets the time it was received (RFC 9110
	 * 6.6.1): now, or when it came into the cache.
	 */
	if (!seen_date) {
		char	d[HTTP_DATE_LEN + 1];

		puts_(&o, "Date: ");
		if (r->from_cache)
			http_date_format((time_t)r->rc->found.meta.date, d);
		puts_(&o, r->from_cache ? d : http_date());
		put(&o, "\r\n", 2);
	}
	/* Ours goes after the upstream's: a list in the order of hops. */
	if (route != NULL && route->via)
		put_via(&o, c, h);
	if (r->from_cache && !r->rechunk && !r->compressing &&
	    h->status != 304 && h->status != 204) {
		puts_(&o, "Content-Length: ");
		put_u64(&o, r->rc->serve_len);
		put(&o, "\r\n", 2);
	}
	if (r->rc != NULL)
		put(&o, r->rc->lines, r->rc->lines_len);
	if (r->coded) {
		puts_(&o, "Content-Encoding: ");
		puts_(&o, coding_name((enum coding)r->coding));
		put(&o, "\r\n", 2);
	}
	if (r->vary)
		puts_(&o, "Vary: Accept-Encoding\r\n");
	if (r->rechunk)
		puts_(&o, "Transfer-Encoding: chunked\r\n");
	if (h->status == 101)
		puts_(&o, "Connection: upgrade\r\n");
	else if (c->close_after)
		puts_(&o, "Connection: close\r\n");
	else if (r->http10)
		puts_(&o, "Connection: keep-alive\r\n");
	put(&o, "\r\n", 2);
	return o.full ? 0 : o.len;
}

/*
 * An interim (1xx) response of the upstream, as the client gets it: the
 * status line and the fields, less the hop-by-hop ones and those
 * remove_response_header names. The set lines and the preset are for
 * the final response only.
 */
size_t
out_interim_head(const struct conn *c, const struct req *r, char *dst,
    size_t room)
{
	const char		*b = r->up_in->data;
	const struct http_head	*h = &r->resp;
	struct out		 o = { dst, 0, room, false };
	const struct cfg_route	*route = r->route >= 0 ?
				    c->w->env->cfg->routes[r->route] : NULL;
	const struct cfg_resp_fields *fl = F(c);

	status_line(&o, false, b, h);
	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		/* An interim head has no body, and no upgrade to carry. */
		if (hop_field(f->id) || f->id == HTTP_H_CONTENT_LENGTH ||
		    f->id == HTTP_H_UPGRADE)
			continue;
		if (named_by_connection(b, h, f))
			continue;
		if (fl->nremove > 0 && op_listed(b, f, fl->strip,
		    fl->nremove))
			continue;
		put(&o, b + f->line_off, f->line_len);
	}
	if (route != NULL && route->via)
		put_via(&o, c, h);
	put(&o, "\r\n", 2);
	return o.full ? 0 : o.len;
}

/*
 * frontd's default page for a status: a small HTML page, which names
 * frontd unless server_tokens = off. Returns its length, at most room.
 */
size_t
out_default_page(const struct conn *c, int status, char *dst, size_t room)
{
	int	n;

	n = snprintf(dst, room, "<html>\r\n<head><title>%d %s</title></head>"
	    "\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n%s</body>\r\n"
	    "</html>\r\n", status, status_reason(status), status,
	    status_reason(status), c->w->env->cfg->global.server_tokens ?
	    "<hr><center>frontd</center>\r\n" : "");
	if (n < 0)
		return 0;
	return (size_t)n < room ? (size_t)n : room - 1;
}

/*
 * The head every answer of frontd's own starts with: status line, Server
 * (unless server_tokens = off or the admin's fields name it) and Date.
 */
static void
local_status(struct out *o, const struct cfg_resp_fields *fl, int status)
{
	putf(o, "HTTP/1.1 %d %s\r\n%sDate: %s\r\n", status,
	    status_reason(status), fl->server ? "Server: frontd\r\n" : "",
	    http_date());
}

/*
 * frontd's own error response: the default page, or the error_page body
 * the configuration loaded for this status; with the admin's fields.
 */
size_t
out_error_page(const struct conn *c, const struct req *r, int status,
    const char *page, size_t pagelen, bool close, char *dst, size_t room)
{
	struct out	 o = { dst, 0, room, false };
	const struct cfg_resp_fields *fl = F(c);
	char		 body[512];

	if (page == NULL) {
		pagelen = out_default_page(c, status, body, sizeof(body));
		page = body;
	}
	local_status(&o, fl, status);
	putf(&o, "Content-Type: text/html\r\nContent-Length: %zu\r\n",
	    pagelen);
	put_fields(&o, c, r, fl, 0);
	if (r != NULL)
		put(&o, r->answer, r->answer_len);
	puts_(&o, close ? "Connection: close\r\n\r\n" : "\r\n");
	put(&o, page, pagelen);
	return o.full ? 0 : o.len;
}

/*
 * Head of frontd's own answer with a body of len bytes, with the admin's
 * fields for the request's listener and route.
 */
size_t
out_local_head(const struct conn *c, const struct req *r, int status,
    const char *type, size_t len, const char *location, size_t loclen,
    bool close, char *dst, size_t room)
{
	struct out	 o = { dst, 0, room, false };
	const struct cfg_resp_fields *fl = F(c);

	local_status(&o, fl, status);
	if (location != NULL) {
		puts_(&o, "Location: ");
		put(&o, location, loclen);
		put(&o, "\r\n", 2);
	}
	if (len > 0)
		putf(&o, "Content-Type: %s\r\n", type);
	put_fields(&o, c, r, fl, 0);
	put(&o, r->answer, r->answer_len);
	/* 204 and 304 carry neither a body nor its length (RFC 9110). */
	if (status != 204 && status != 304)
		putf(&o, "Content-Length: %zu\r\n", len);
	putf(&o, "%s\r\n", close ? "Connection: close\r\n" : r->http10 ?
	    "Connection: keep-alive\r\n" : "");
	return o.full ? 0 : o.len;
}
