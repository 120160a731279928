/*
 * The [route NAME] sections: their keys (what a route matches, the one
 * thing it does, and how it shapes, compresses and caches what it
 * proxies), defaults and freeing; the second pass over them is in
 * config_route_check.c. Values are normalized here, at load time, so
 * that matching a request costs no parsing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/tpl.h"
#include "common/util.h"

static enum cfg_set_result
r_proxy_host(struct cfg_ctx *ctx, void *obj, const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '@')
			return CFG_BAD;
	return cfg_set_str(&((struct cfg_route *)obj)->proxy_host, v);
}

static enum cfg_set_result
r_upstream(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	if (!cfg_valid_name(v))
		return CFG_BAD;
	r->upstream_where = cfg_ctx_where(ctx);
	r->action_where = r->upstream_where;
	r->nactions++;
	r->action = ACTION_PROXY;
	return cfg_set_str(&r->upstream_name, v);
}

static enum cfg_set_result
r_host(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		size_t len;

		for (char *p = tok; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		len = strlen(tok);
		if (len > 1 && tok[len - 1] == '.')
			tok[--len] = '\0';
		if (!(strncmp(tok, "*.", 2) == 0 ? cfg_valid_host(tok + 2) &&
		    strchr(tok + 2, '*') == NULL : cfg_valid_host(tok))) {
			res = CFG_BAD;
			break;
		}
		r->hosts = xrealloc(r->hosts, r->nhosts + 1, sizeof(char *));
		r->hosts[r->nhosts++] = xstrdup(tok);
	}
	free(copy);
	return r->nhosts == 0 ? CFG_BAD : res;
}

static bool
valid_path(const char *p)
{
	if (*p != '/')
		return false;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '?' || *p == '#')
			return false;
	return true;
}

/*
 * Stores a path normalized as request paths are (route.c), so that
 * "/%7Euser" or "/a//b" in the config can match.
 */
static enum cfg_set_result
set_path(char **dst, const char *p)
{
	size_t	len = strlen(p);
	char	*n = xmalloc(len + 1);
	ssize_t	nl = path_normalize(p, len, n);

	if (nl == -1) {
		free(n);
		return CFG_BAD;
	}
	n[nl] = '\0';
	free(*dst);
	*dst = n;
	return CFG_OK;
}

/* "/prefix", "= /exact", "~ regex", "~* regex" */
static enum cfg_set_result
r_path(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	const char		*p = v;
	bool			 icase = false;

	r->path_where = cfg_ctx_where(ctx);
	if (*p == '=') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		if (!valid_path(p))
			return CFG_BAD;
		r->path_kind = PATH_EXACT;
		return set_path(&r->path, p);
	}
	if (*p == '~') {
		if (*++p == '*') {
			icase = true;
			p++;
		}
		if (*p != ' ' && *p != '\t')
			return CFG_BAD;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return CFG_BAD;
		if ((r->path_re = cfg_regex_compile(ctx, p, icase, "path")) ==
		    NULL)
			return CFG_REPORTED;
		r->path_kind = PATH_REGEX;
		return cfg_set_str(&r->path, p);
	}
	if (!valid_path(p))
		return CFG_BAD;
	r->path_kind = PATH_PREFIX;
	return set_path(&r->path, p);
}

static const char *const method_bits[] = {
	[HTTP_M_GET] = "GET", [HTTP_M_HEAD] = "HEAD", [HTTP_M_POST] = "POST",
	[HTTP_M_PUT] = "PUT", [HTTP_M_DELETE] = "DELETE",
	[HTTP_M_CONNECT] = "CONNECT", [HTTP_M_OPTIONS] = "OPTIONS",
	[HTTP_M_TRACE] = "TRACE", [HTTP_M_PATCH] = "PATCH",
};

/*
 * A list of methods, separated by spaces or commas: the known ones as
 * bits of *bits, any other (an extension method, matched by name) in
 * *names with the HTTP_M_OTHER bit.
 */
enum cfg_set_result
cfg_method_list(const char *v, uint32_t *bits, char ***names, size_t *n)
{
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		size_t i;

		for (i = 1; i < sizeof(method_bits) / sizeof(*method_bits);
		    i++)
			if (strcmp(tok, method_bits[i]) == 0)
				break;
		if (i < sizeof(method_bits) / sizeof(*method_bits)) {
			*bits |= 1u << i;
			continue;
		}
		for (char *p = tok; *p != '\0'; p++)
			if (!isupper((unsigned char)*p) && *p != '-' &&
			    *p != '_')
				res = CFG_BAD;
		if (res != CFG_OK)
			break;
		*bits |= 1u << HTTP_M_OTHER;
		*names = xrealloc(*names, *n + 1, sizeof(char *));
		(*names)[(*n)++] = xstrdup(tok);
	}
	free(copy);
	return *bits == 0 ? CFG_BAD : res;
}

static enum cfg_set_result
r_methods(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_method_list(v, &r->methods, &r->method_names,
	    &r->nmethod_names);
}

static enum cfg_set_result
r_listener(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (!cfg_valid_name(tok)) {
			res = CFG_BAD;
			break;
		}
		r->listener_names = xrealloc(r->listener_names,
		    r->nlistener_names + 1, sizeof(char *));
		r->listener_names[r->nlistener_names++] = xstrdup(tok);
	}
	free(copy);
	r->listener_where = cfg_ctx_where(ctx);
	return r->nlistener_names == 0 ? CFG_BAD : res;
}

/* "301 https://example.com$request_uri" */
static enum cfg_set_result
r_redirect(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	long			 code;
	char			 c[4];

	if (strlen(v) < 5 || v[3] != ' ')
		return CFG_BAD;
	memcpy(c, v, 3);
	c[3] = '\0';
	if (cfg_parse_int(c, 301, 308, &code) == -1 || code == 304 ||
	    code == 305 || code == 306)
		return CFG_BAD;
	v += 4;
	while (*v == ' ' || *v == '\t')
		v++;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return CFG_BAD;
	if (*v == '\0')
		return CFG_BAD;
	r->status = (int)code;
	r->action_where = cfg_ctx_where(ctx);
	r->nactions++;
	r->action = ACTION_REDIRECT;
	return cfg_set_tpl(ctx, &r->location, v, false, "redirect target");
}

static const char *
type_by_extension(const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return "text/plain";
	if (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0)
		return "text/html";
	if (strcasecmp(dot, ".json") == 0)
		return "application/json";
	if (strcasecmp(dot, ".xml") == 0)
		return "application/xml";
	if (strcasecmp(dot, ".css") == 0)
		return "text/css";
	if (strcasecmp(dot, ".js") == 0)
		return "text/javascript";
	return "text/plain";
}

/* "503 /srv/maintenance.html", "200 some text", "204" */
static enum cfg_set_result
r_return(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	long			 code;
	char			 c[4];

	if (strlen(v) < 3 || (v[3] != '\0' && v[3] != ' '))
		return CFG_BAD;
	memcpy(c, v, 3);
	c[3] = '\0';
	if (cfg_parse_int(c, 200, 599, &code) == -1)
		return CFG_BAD;
	r->status = (int)code;
	r->action_where = cfg_ctx_where(ctx);
	r->nactions++;
	r->action = ACTION_RETURN;
	v += 3;
	while (*v == ' ' || *v == '\t')
		v++;
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
	r->body_type = "text/plain";
	if (*v == '/') {
		if (cfg_read_file(ctx, v, "return", &r->body,
		    &r->bodylen) == -1)
			return CFG_REPORTED;
		r->body_type = type_by_extension(v);
	} else if (*v != '\0') {
		r->bodylen = strlen(v);
		r->body = xmalloc(r->bodylen + 2);
		memcpy(r->body, v, r->bodylen);
		r->body[r->bodylen++] = '\n';
	}
	return CFG_OK;
}

static enum cfg_set_result
r_prefix(struct cfg_ctx *ctx, char **dst, const char *v)
{
	if (!valid_path(v))
		return CFG_BAD;
	return cfg_set_str(dst, v);
}

static enum cfg_set_result
r_strip_prefix(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return r_prefix(ctx, &((struct cfg_route *)obj)->strip_prefix, v);
}

static enum cfg_set_result
r_add_prefix(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return r_prefix(ctx, &((struct cfg_route *)obj)->add_prefix, v);
}

/* "REGEX REPLACEMENT": the regex ends at the first unescaped blank. */
static enum cfg_set_result
r_rewrite(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	const char		*sp = v;
	char			*re;
	enum cfg_set_result	 res;

	while (*sp != '\0' && *sp != ' ' && *sp != '\t') {
		if (*sp == '\\' && sp[1] != '\0')
			sp++;
		sp++;
	}
	if (sp == v || *sp == '\0')
		return CFG_BAD;
	re = xmalloc((size_t)(sp - v) + 1);
	memcpy(re, v, (size_t)(sp - v));
	re[sp - v] = '\0';
	while (*sp == ' ' || *sp == '\t')
		sp++;
	if (*sp != '/' || strchr(sp, ' ') != NULL) {
		free(re);
		return CFG_BAD;
	}
	if (r->rewrite_re != NULL)
		pcre2_code_free(r->rewrite_re);
	r->rewrite_re = cfg_regex_compile(ctx, re, false, "rewrite");
	free(re);
	if (r->rewrite_re == NULL)
		return CFG_REPORTED;
	res = cfg_set_tpl(ctx, &r->rewrite_to, sp, true, "rewrite replacement");
	if (res != CFG_OK)
		return res;
	return CFG_OK;
}

/* Hop-by-hop and framing fields are frontd's to write, not the admin's. */
static bool
reserved_field(const char *s, size_t len)
{
	static const char *const names[] = { "connection", "keep-alive",
	    "transfer-encoding", "content-length", "te", "trailer", "upgrade",
	    "proxy-connection", "host", NULL };

	for (int i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], s,
		    len) == 0)
			return true;
	return false;
}

/*
 * "Name: value" (with_value) or "Name", added to ops: for the route's
 * request and response fields, and the response fields of [global] and a
 * listener.
 */
enum cfg_set_result
cfg_header_op_add(struct cfg_ctx *ctx, struct cfg_header_op **ops, size_t *n,
    const char *v, bool with_value)
{
	struct cfg_header_op	 op;
	const char		*colon = with_value ? strchr(v, ':') :
				    v + strlen(v);
	const char		*val;
	enum cfg_set_result	 res;

	if (colon == NULL || !cfg_token(v, (size_t)(colon - v)))
		return CFG_BAD;
	if (reserved_field(v, (size_t)(colon - v))) {
		cfg_error(ctx, "header \"%.*s\" cannot be changed here: frontd "
		    "writes it", (int)(colon - v), v);
		return CFG_REPORTED;
	}
	memset(&op, 0, sizeof(op));
	op.namelen = (size_t)(colon - v);
	op.name = xmalloc(op.namelen + 1);
	memcpy(op.name, v, op.namelen);
	op.name[op.namelen] = '\0';
	if (with_value) {
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		for (const char *p = val; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' && *p != '\t') {
				free(op.name);
				return CFG_BAD;
			}
		res = cfg_set_tpl(ctx, &op.value, val, false, "header value");
		if (res != CFG_OK) {
			free(op.name);
			return res;
		}
	}
	*ops = xrealloc(*ops, *n + 1, sizeof(op));
	(*ops)[(*n)++] = op;
	return CFG_OK;
}

static enum cfg_set_result
r_set_request_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_header_op_add(ctx, &r->set_req, &r->nset_req, v, true);
}

static enum cfg_set_result
r_remove_request_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_header_op_add(ctx, &r->remove_req, &r->nremove_req, v,
	    false);
}

static enum cfg_set_result
r_set_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_header_op_add(ctx, &r->set_resp, &r->nset_resp, v, true);
}

static enum cfg_set_result
r_remove_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_header_op_add(ctx, &r->remove_resp, &r->nremove_resp, v,
	    false);
}

static enum cfg_set_result
r_security_headers(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_inherited_flag(
	    &((struct cfg_route *)obj)->security_headers, v);
}

/* "gzip br", "gzip", "br" or "off" */
static enum cfg_set_result
r_compress(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	r->compress_gzip = r->compress_br = false;
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "gzip") == 0)
			r->compress_gzip = true;
		else if (strcmp(tok, "br") == 0)
			r->compress_br = true;
		else if (strcmp(tok, "off") != 0)
			res = CFG_BAD;
	}
	free(copy);
	return res;
}

/*
 * The protocols a client may switch to on this route: "websocket h2c",
 * or "off". Each is a protocol of the Upgrade header, a token with an
 * optional "/version", kept in lower case; the value replaces the list.
 */
static enum cfg_set_result
r_upgrade(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy, *tok, *save = NULL, *slash;
	enum cfg_set_result	 res = CFG_OK;

	for (size_t i = 0; i < r->nupgrade; i++)
		free(r->upgrade[i]);
	r->nupgrade = 0;
	if (strcmp(v, "off") == 0)
		return CFG_OK;
	copy = xstrdup(v);
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		slash = strchr(tok, '/');
		if (r->nupgrade == CFG_UPGRADE_MAX || strcmp(tok, "off") == 0 ||
		    !cfg_token(tok, slash ? (size_t)(slash - tok) :
		    strlen(tok)) || (slash != NULL && !cfg_token(slash + 1,
		    strlen(slash + 1)))) {
			res = CFG_BAD;
			break;
		}
		for (char *p = tok; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		r->upgrade = xrealloc(r->upgrade, r->nupgrade + 1,
		    sizeof(char *));
		r->upgrade[r->nupgrade++] = xstrdup(tok);
	}
	free(copy);
	return r->nupgrade == 0 ? CFG_BAD : res;
}

static enum cfg_set_result
r_compress_types(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	/* The first line replaces the default list; more lines add. */
	if (!r->compress_types_set) {
		for (size_t i = 0; i < r->ncompress_types; i++)
			free(r->compress_types[i]);
		r->ncompress_types = 0;
		r->compress_types_set = true;
	}
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		char *slash = strchr(tok, '/');

		if (slash == NULL || slash == tok || slash[1] == '\0') {
			res = CFG_BAD;
			break;
		}
		for (char *p = tok; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		r->compress_types = xrealloc(r->compress_types,
		    r->ncompress_types + 1, sizeof(char *));
		r->compress_types[r->ncompress_types++] = xstrdup(tok);
	}
	free(copy);
	return res;
}

static enum cfg_set_result
r_auth_basic(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_auth_basic(&((struct cfg_route *)obj)->auth, v);
}

/* "metrics = on", "status = on": the route answers with a page of ours. */
static enum cfg_set_result
page_action(struct cfg_ctx *ctx, struct cfg_route *r, const char *v,
    enum cfg_action action)
{
	bool	on;

	if (cfg_parse_bool(v, &on) == -1)
		return CFG_BAD;
	if (!on)
		return CFG_OK;
	r->action_where = cfg_ctx_where(ctx);
	r->nactions++;
	r->action = action;
	return CFG_OK;
}

static enum cfg_set_result
r_metrics(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return page_action(ctx, obj, v, ACTION_METRICS);
}

static enum cfg_set_result
r_status(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return page_action(ctx, obj, v, ACTION_STATUS);
}

static enum cfg_set_result
r_rate_limit(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_set_rate_limit(ctx, &r->sec, &r->limits, v);
}

static enum cfg_set_result
r_limit_conn(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_set_limit_conn(ctx, &r->sec, &r->limits, v);
}

#define DURATION	"a duration such as 500ms, 30s, 5m or 1h"
#define ONOFF		"on or off"

#define R(field)	CFG_FIELD(struct cfg_route, field)

const struct cfg_key cfg_route_keys[] = {
	{ "host", CFG_LIST, CFG_T_FN, .set = r_host,
	    .expect = "host names such as example.com or *.example.com" },
	{ "path", CFG_ONE, CFG_T_FN, .set = r_path,
	    .expect = "/prefix, = /exact, ~ regex or ~* regex" },
	{ "methods", CFG_ONE, CFG_T_FN, .set = r_methods,
	    .expect = "method names such as GET HEAD" },
	{ "listener", CFG_LIST, CFG_T_FN, .set = r_listener,
	    .expect = "names of [listener] sections" },
	{ "upstream", CFG_ONE, CFG_T_FN, .set = r_upstream,
	    .expect = "the name of an [upstream]" },
	{ "redirect", CFG_ONE, CFG_T_FN, .set = r_redirect,
	    .expect = "a status 301, 302, 303, 307 or 308, then a URL" },
	{ "return", CFG_ONE, CFG_T_FN, .set = r_return,
	    .expect = "a status from 200 to 599, then optionally an absolute "
	    "file path or text" },
	{ "strip_prefix", CFG_ONE, CFG_T_FN, .set = r_strip_prefix,
	    .expect = "a path such as /api" },
	{ "add_prefix", CFG_ONE, CFG_T_FN, .set = r_add_prefix,
	    .expect = "a path such as /v2" },
	{ "rewrite", CFG_ONE, CFG_T_FN, .set = r_rewrite,
	    .expect = "a regular expression, then a replacement path with "
	    "$1..$9" },
	{ "set_request_header", CFG_LIST, CFG_T_FN,
	    .set = r_set_request_header, .expect = "Name: value" },
	{ "remove_request_header", CFG_LIST, CFG_T_FN,
	    .set = r_remove_request_header, .expect = "a header name" },
	{ "set_response_header", CFG_LIST, CFG_T_FN,
	    .set = r_set_response_header, .expect = "Name: value" },
	{ "remove_response_header", CFG_LIST, CFG_T_FN,
	    .set = r_remove_response_header, .expect = "a header name" },
	{ "security_headers", CFG_ONE, CFG_T_FN, .set = r_security_headers,
	    .expect = ONOFF },
	{ "rewrite_location", CFG_ONE, CFG_T_BOOL, R(rewrite_location),
	    .expect = ONOFF },
	{ "compress", CFG_ONE, CFG_T_FN, .set = r_compress,
	    .expect = "gzip, br, gzip br, or off" },
	{ "compress_types", CFG_LIST, CFG_T_FN, .set = r_compress_types,
	    .expect = "media types such as text/* or application/json" },
	{ "compress_min_length", CFG_ONE, CFG_T_SIZE, R(compress_min_length),
	    .expect = "a size such as 256 or 1K" },
	{ "gzip_level", CFG_ONE, CFG_T_INT, R(gzip_level), .min = 1, .max = 9,
	    .expect = "a number from 1 to 9" },
	{ "brotli_quality", CFG_ONE, CFG_T_INT, R(brotli_quality), .min = 0,
	    .max = 11, .expect = "a number from 0 to 11" },
	{ "cache", CFG_ONE, CFG_T_BOOL, R(cache), .expect = ONOFF },
	{ "cache_key", CFG_ONE, CFG_T_FN, .set = cfg_route_cache_key,
	    .expect = "a template such as $scheme://$authority$request_uri" },
	{ "cache_methods", CFG_ONE, CFG_T_FN, .set = cfg_route_cache_methods,
	    .expect = "GET, or GET HEAD" },
	{ "cache_bypass", CFG_LIST, CFG_T_FN, .set = cfg_route_cache_bypass,
	    .expect = "a template such as $cookie_session" },
	{ "cache_valid", CFG_LIST, CFG_T_FN, .set = cfg_route_cache_valid,
	    .expect = "status codes or any, then a duration" },
	{ "cache_use_stale", CFG_ONE, CFG_T_BOOL, R(cache_use_stale),
	    .expect = ONOFF },
	{ "cache_control_targets", CFG_ONE, CFG_T_FN,
	    .set = cfg_route_cache_control_targets,
	    .expect = "header field names, or none" },
	{ "cache_purge_from", CFG_LIST, CFG_T_FN,
	    .set = cfg_route_cache_purge_from,
	    .expect = "addresses or networks such as 127.0.0.1 10.0.0.0/8" },
	{ "metrics", CFG_ONE, CFG_T_FN, .set = r_metrics, .expect = ONOFF },
	{ "status", CFG_ONE, CFG_T_FN, .set = r_status, .expect = ONOFF },
	{ "proxy_host", CFG_ONE, CFG_T_FN, .set = r_proxy_host,
	    .expect = "a host name, host:port or address" },
	{ "x_forwarded_for", CFG_ONE, CFG_T_BOOL, R(x_forwarded_for),
	    .expect = ONOFF },
	{ "x_forwarded_proto", CFG_ONE, CFG_T_BOOL, R(x_forwarded_proto),
	    .expect = ONOFF },
	{ "x_forwarded_host", CFG_ONE, CFG_T_BOOL, R(x_forwarded_host),
	    .expect = ONOFF },
	{ "x_real_ip", CFG_ONE, CFG_T_BOOL, R(x_real_ip), .expect = ONOFF },
	{ "via", CFG_ONE, CFG_T_BOOL, R(via), .expect = ONOFF },
	{ "pass_proxy_authorization", CFG_ONE, CFG_T_BOOL,
	    R(pass_proxy_authorization), .expect = ONOFF },
	{ "forward_auth", CFG_ONE, CFG_T_FN, .set = cfg_route_forward_auth,
	    .expect = "http://UPSTREAM/path or https://UPSTREAM/path" },
	{ "forward_auth_request_headers", CFG_LIST, CFG_T_FN,
	    .set = cfg_route_forward_auth_request_headers,
	    .expect = "header names such as Accept X-Requested-With" },
	{ "forward_auth_response_headers", CFG_LIST, CFG_T_FN,
	    .set = cfg_route_forward_auth_response_headers,
	    .expect = "header names such as Remote-User Remote-Email" },
	{ "tunnel_timeout", CFG_ONE, CFG_T_DURATION, R(tunnel_timeout_ms),
	    .expect = DURATION },
	{ "upgrade", CFG_ONE, CFG_T_FN, .set = r_upgrade,
	    .expect = "protocols such as websocket, at most 32, or off" },
	{ "maintenance", CFG_ONE, CFG_T_BOOL, R(maint.on), .expect = ONOFF },
	{ "maintenance_allow", CFG_LIST, CFG_T_FN,
	    .set = cfg_route_maintenance_allow,
	    .expect = "addresses or networks such as 10.0.0.0/8" },
	{ "maintenance_page", CFG_ONE, CFG_T_FN,
	    .set = cfg_route_maintenance_page,
	    .expect = "an absolute path" },
	{ "maintenance_retry_after", CFG_ONE, CFG_T_DURATION,
	    R(maint.retry_after_ms), .min = 1000, .max = 7 * 86400 * 1000LL,
	    .expect = "a duration from 1s to 7d" },
	{ "allow", CFG_LIST, CFG_T_FN, .set = cfg_route_allow,
	    .expect = "addresses, networks such as 10.0.0.0/8, or all" },
	{ "deny", CFG_LIST, CFG_T_FN, .set = cfg_route_deny,
	    .expect = "addresses, networks such as 10.0.0.0/8, or all" },
	{ "deny_path", CFG_LIST, CFG_T_FN, .set = cfg_route_deny_path,
	    .expect = "a path prefix such as /admin, and icase if wanted" },
	{ "deny_method", CFG_ONE, CFG_T_FN, .set = cfg_route_deny_method,
	    .expect = "methods such as TRACE, DELETE" },
	{ "deny_header", CFG_LIST, CFG_T_FN, .set = cfg_route_deny_header,
	    .expect = "a header name and a regular expression" },
	{ "deny_query", CFG_ONE, CFG_T_FN, .set = cfg_route_deny_query,
	    .expect = "a regular expression" },
	{ "deny_status", CFG_ONE, CFG_T_INT, R(deny_status), .min = 400,
	    .max = 599, .expect = "a status from 400 to 599" },
	{ "client_max_body_size", CFG_ONE, CFG_T_SIZE,
	    R(client_max_body_size),
	    .expect = "a size such as 512, 64K, 10M or 1G; 0 for no limit" },
	/* Shared limits (config_limit.c, worker/limit.c). */
	{ "rate_limit", CFG_LIST, CFG_T_FN, .set = r_rate_limit,
	    .expect = RATE_LIMIT },
	{ "limit_conn", CFG_LIST, CFG_T_FN, .set = r_limit_conn,
	    .expect = LIMIT_CONN },
	{ "rate_limit_dry_run", CFG_ONE, CFG_T_BOOL, R(limits.dry_run),
	    .expect = ONOFF },
	{ "auth_basic", CFG_ONE, CFG_T_FN, .set = r_auth_basic,
	    .expect = "a realm of printable characters, or off" },
	{ "auth_basic_file", CFG_ONE, CFG_T_PATH, R(auth.file),
	    .expect = "an absolute path" },
	{ NULL }
};

/* What compresses well and is not compressed already. */
static const char *const default_compress_types[] = {
	"text/*", "application/json", "application/javascript",
	"application/xml", "application/xhtml+xml", "application/rss+xml",
	"application/atom+xml", "application/ld+json", "application/wasm",
	"image/svg+xml", "font/ttf", "font/otf", NULL
};

void
cfg_route_init(struct cfg_route *r)
{
	r->upstream = -1;
	r->x_forwarded_for = r->x_forwarded_proto = true;
	r->x_forwarded_host = r->x_real_ip = r->via = true;
	r->tunnel_timeout_ms = 3600 * 1000;
	r->deny_status = 403;
	r->client_max_body_size = UINT64_MAX;
	r->fa_upstream = -1;
	r->upgrade = xcalloc(1, sizeof(char *));
	r->upgrade[r->nupgrade++] = xstrdup("websocket");
	r->rewrite_location = true;
	r->security_headers = -1;
	r->compress_min_length = 256;
	r->gzip_level = 5;
	r->brotli_quality = 4;
	r->cache_head = true;
	for (size_t i = 0; default_compress_types[i] != NULL; i++) {
		r->compress_types = xrealloc(r->compress_types,
		    r->ncompress_types + 1, sizeof(char *));
		r->compress_types[r->ncompress_types++] =
		    xstrdup(default_compress_types[i]);
	}
}

void
cfg_header_ops_free(struct cfg_header_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ops[i].name);
		tpl_free(&ops[i].value);
	}
	free(ops);
}

void
cfg_route_free(struct cfg_route *r)
{
	free(r->proxy_host);
	free(r->upstream_name);
	cfg_free_strings(r->hosts, r->nhosts);
	free(r->path);
	if (r->path_re != NULL)
		pcre2_code_free(r->path_re);
	cfg_free_strings(r->method_names, r->nmethod_names);
	cfg_free_strings(r->listener_names, r->nlistener_names);
	tpl_free(&r->location);
	free(r->body);
	free(r->strip_prefix);
	free(r->add_prefix);
	if (r->rewrite_re != NULL)
		pcre2_code_free(r->rewrite_re);
	tpl_free(&r->rewrite_to);
	cfg_header_ops_free(r->set_req, r->nset_req);
	cfg_header_ops_free(r->set_resp, r->nset_resp);
	cfg_header_ops_free(r->remove_req, r->nremove_req);
	cfg_header_ops_free(r->remove_resp, r->nremove_resp);
	cfg_free_strings(r->compress_types, r->ncompress_types);
	cfg_free_strings(r->upgrade, r->nupgrade);
	tpl_free(&r->cache_key);
	for (size_t i = 0; i < r->ncache_bypass; i++)
		tpl_free(&r->cache_bypass[i]);
	free(r->cache_bypass);
	free(r->cache_valid);
	free(r->cache_purge_from);
	free(r->acl.rules);
	cfg_maint_free(&r->maint);
	for (size_t i = 0; i < r->ndeny_paths; i++)
		free(r->deny_paths[i].prefix);
	free(r->deny_paths);
	cfg_free_strings(r->deny_method_names, r->ndeny_method_names);
	for (size_t i = 0; i < r->ndeny_headers; i++) {
		free(r->deny_headers[i].name);
		pcre2_code_free(r->deny_headers[i].re);
	}
	free(r->deny_headers);
	cfg_limits_free(&r->limits);
	free(r->fa_upstream_name);
	free(r->fa_path);
	cfg_free_strings(r->fa_req_headers, r->nfa_req_headers);
	cfg_free_strings(r->fa_resp_headers, r->nfa_resp_headers);
	if (r->deny_query_re != NULL)
		pcre2_code_free(r->deny_query_re);
	cfg_auth_free(&r->auth);
	free(r->sec.name);
	free(r);
}
