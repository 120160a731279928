/*
 * The keys of a [route] that decide who may use it and what is refused:
 * allow and deny, the deny_* filters, maintenance, and the subrequest of
 * forward_auth. Their rows are in config_route.c's table; the phases
 * that use them are worker/access.c, worker/maintenance.c and
 * worker/forward_auth.c.
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

/*
 * Header names for forward_auth, as written. What frontd writes itself
 * or what frames a message cannot be listed: it would be sent twice, or
 * break the framing.
 */
static enum cfg_set_result
fa_names(struct cfg_ctx *ctx, const char *v, char ***names, size_t *n,
    const char *const *own, const char *key)
{
	static const char *const framing[] = { "host", "content-length",
	    "transfer-encoding", "connection", "keep-alive",
	    "proxy-connection", "te", "trailer", "upgrade", "expect", NULL };
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL && res == CFG_OK;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (!cfg_token(tok, strlen(tok))) {
			res = CFG_BAD;
			break;
		}
		for (int i = 0; framing[i] != NULL; i++)
			if (strcasecmp(tok, framing[i]) == 0) {
				cfg_error(ctx, "%s: %s is a field of the "
				    "connection or its framing, it cannot be "
				    "copied", key, tok);
				res = CFG_REPORTED;
			}
		for (int i = 0; own != NULL && own[i] != NULL; i++)
			if (strcasecmp(tok, own[i]) == 0) {
				cfg_error(ctx, "%s: frontd sends %s itself",
				    key, tok);
				res = CFG_REPORTED;
			}
		*names = xrealloc(*names, *n + 1, sizeof(char *));
		(*names)[(*n)++] = xstrdup(tok);
	}
	free(copy);
	return *n == 0 && res == CFG_OK ? CFG_BAD : res;
}

/*
 * forward_auth = http://NAME/path: NAME is an [upstream], resolved in the
 * second pass; the path (and any query) is what the subrequest asks for.
 */
enum cfg_set_result
cfg_route_forward_auth(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	const char		*name, *slash;
	size_t			 len;

	if (strncasecmp(v, "http://", 7) == 0) {
		r->fa_tls = false;
		name = v + 7;
	} else if (strncasecmp(v, "https://", 8) == 0) {
		r->fa_tls = true;
		name = v + 8;
	} else
		return CFG_BAD;
	slash = strchr(name, '/');
	len = slash != NULL ? (size_t)(slash - name) : strlen(name);
	free(r->fa_upstream_name);
	r->fa_upstream_name = xasprintf("%.*s", (int)len, name);
	if (!cfg_valid_name(r->fa_upstream_name)) {
		free(r->fa_upstream_name);
		r->fa_upstream_name = NULL;
		return CFG_BAD;
	}
	for (const char *p = slash; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '#')
			return CFG_BAD;
	return cfg_set_str(&r->fa_path, slash != NULL ? slash : "/");
}

enum cfg_set_result
cfg_route_forward_auth_request_headers(struct cfg_ctx *ctx, void *obj,
    const char *v)
{
	static const char *const own[] = { "cookie", "authorization",
	    "x-forwarded-method", "x-forwarded-proto", "x-forwarded-host",
	    "x-forwarded-uri", "x-forwarded-for", NULL };
	struct cfg_route	*r = obj;

	return fa_names(ctx, v, &r->fa_req_headers, &r->nfa_req_headers, own,
	    "forward_auth_request_headers");
}

enum cfg_set_result
cfg_route_forward_auth_response_headers(struct cfg_ctx *ctx, void *obj,
    const char *v)
{
	struct cfg_route	*r = obj;

	return fa_names(ctx, v, &r->fa_resp_headers, &r->nfa_resp_headers,
	    NULL, "forward_auth_response_headers");
}

enum cfg_set_result
cfg_route_allow(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_acl(v, &((struct cfg_route *)obj)->acl, true);
}

enum cfg_set_result
cfg_route_deny(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_acl(v, &((struct cfg_route *)obj)->acl, false);
}

/* deny_path = PREFIX [icase] */
enum cfg_set_result
cfg_route_deny_path(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	struct cfg_deny_path	 d;
	const char		*sp = strpbrk(v, " \t"), *opt;

	memset(&d, 0, sizeof(d));
	d.len = sp != NULL ? (size_t)(sp - v) : strlen(v);
	if (d.len == 0 || v[0] != '/')
		return CFG_BAD;
	if (sp != NULL) {
		for (opt = sp; *opt == ' ' || *opt == '\t'; opt++)
			;
		if (strcmp(opt, "icase") != 0)
			return CFG_BAD;
		d.icase = true;
	}
	d.prefix = xmalloc(d.len + 1);
	memcpy(d.prefix, v, d.len);
	d.prefix[d.len] = '\0';
	r->deny_paths = xrealloc(r->deny_paths, r->ndeny_paths + 1,
	    sizeof(d));
	r->deny_paths[r->ndeny_paths++] = d;
	return CFG_OK;
}

enum cfg_set_result
cfg_route_deny_method(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_method_list(v, &r->deny_methods, &r->deny_method_names,
	    &r->ndeny_method_names);
}

/* deny_header = NAME REGEX */
enum cfg_set_result
cfg_route_deny_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	struct cfg_deny_header	 d;
	const char		*sp = strpbrk(v, " \t"), *re;

	if (sp == NULL || !cfg_token(v, (size_t)(sp - v)))
		return CFG_BAD;
	for (re = sp; *re == ' ' || *re == '\t'; re++)
		;
	if (*re == '\0')
		return CFG_BAD;
	memset(&d, 0, sizeof(d));
	if ((d.re = cfg_regex_compile(ctx, re, false, "deny_header")) == NULL)
		return CFG_REPORTED;
	d.namelen = (size_t)(sp - v);
	d.name = xmalloc(d.namelen + 1);
	memcpy(d.name, v, d.namelen);
	d.name[d.namelen] = '\0';
	r->deny_headers = xrealloc(r->deny_headers, r->ndeny_headers + 1,
	    sizeof(d));
	r->deny_headers[r->ndeny_headers++] = d;
	return CFG_OK;
}

enum cfg_set_result
cfg_route_deny_query(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	if (r->deny_query_re != NULL)
		pcre2_code_free(r->deny_query_re);
	if ((r->deny_query_re = cfg_regex_compile(ctx, v, false,
	    "deny_query")) == NULL)
		return CFG_REPORTED;
	return CFG_OK;
}

enum cfg_set_result
cfg_route_maintenance_allow(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_maintenance	*m = &((struct cfg_route *)obj)->maint;

	return cfg_set_cidrs(v, &m->allow, &m->nallow);
}

enum cfg_set_result
cfg_route_maintenance_page(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_maint_page(ctx, &((struct cfg_route *)obj)->maint, v);
}
