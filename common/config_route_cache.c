/*
 * The cache keys of a [route] (cache_key, cache_methods,
 * cache_control_targets, cache_bypass, cache_valid, cache_purge_from);
 * their rows are in config_route.c's table, the cache in worker/cache*.c.
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

enum cfg_set_result
cfg_route_cache_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_tpl(ctx, &((struct cfg_route *)obj)->cache_key, v, false,
	    "cache_key");
}

/* "GET HEAD" or "GET": GET is always looked up. */
enum cfg_set_result
cfg_route_cache_methods(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;
	bool			 get = false;

	r->cache_head = false;
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "GET") == 0)
			get = true;
		else if (strcmp(tok, "HEAD") == 0)
			r->cache_head = true;
		else {
			cfg_error(ctx, "cache_methods: %s cannot be cached "
			    "(GET and HEAD can)", tok);
			res = CFG_REPORTED;
			break;
		}
	}
	free(copy);
	return res == CFG_OK && !get ? CFG_BAD : res;
}

/* "NAME [NAME...]" or "none": the fields this cache obeys (RFC 9213). */
enum cfg_set_result
cfg_route_cache_control_targets(struct cfg_ctx *ctx, void *obj, const char *v)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 res = CFG_OK;

	r->ncc_targets = 0;
	r->cc_targets_set = true;
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL &&
	    res == CFG_OK; tok = strtok_r(NULL, " \t,", &save)) {
		size_t n = strlen(tok);

		if (strcmp(tok, "none") == 0) {
			if (r->ncc_targets == 0 && strtok_r(NULL, " \t,",
			    &save) == NULL)
				break;
			cfg_error(ctx, "cache_control_targets: none stands "
			    "alone");
			res = CFG_REPORTED;
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)tok[i]) &&
			    strchr(tchar, tok[i]) == NULL)
				n = 0;
		if (n == 0 || n >= sizeof(r->cc_targets[0])) {
			cfg_error(ctx, "cache_control_targets: \"%s\" is not "
			    "a header field name of at most %zu characters",
			    tok, sizeof(r->cc_targets[0]) - 1);
			res = CFG_REPORTED;
		} else if (strcasecmp(tok, "cache-control") == 0) {
			cfg_error(ctx, "cache_control_targets: Cache-Control "
			    "is what applies when no target field does; list "
			    "only targeted fields such as CDN-Cache-Control");
			res = CFG_REPORTED;
		} else if (r->ncc_targets == CFG_CC_TARGETS_MAX) {
			cfg_error(ctx, "cache_control_targets: at most %d "
			    "fields", CFG_CC_TARGETS_MAX);
			res = CFG_REPORTED;
		} else {
			for (size_t i = 0; i < n; i++)
				r->cc_targets[r->ncc_targets][i] =
				    (char)tolower((unsigned char)tok[i]);
			r->cc_targets[r->ncc_targets++][n] = '\0';
		}
	}
	free(copy);
	return res;
}

enum cfg_set_result
cfg_route_cache_bypass(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	enum cfg_set_result	 res;

	r->cache_bypass = xrealloc(r->cache_bypass, r->ncache_bypass + 1,
	    sizeof(struct cfg_tpl));
	memset(&r->cache_bypass[r->ncache_bypass], 0, sizeof(struct cfg_tpl));
	res = cfg_set_tpl(ctx, &r->cache_bypass[r->ncache_bypass], v, false,
	    "cache_bypass");
	r->ncache_bypass++;
	return res;
}

/* "[CODE ...|any] DURATION"; without codes: 200 301 302, as nginx. */
enum cfg_set_result
cfg_route_cache_valid(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	char			*toks[32];
	int			 n = 0;
	int64_t			 ttl;
	long			 code;
	enum cfg_set_result	 res = CFG_OK;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < 32;
	    tok = strtok_r(NULL, " \t", &save))
		toks[n++] = tok;
	if (n == 0 || tok != NULL || cfg_parse_duration(toks[n - 1], &ttl) ==
	    -1) {
		free(copy);
		return CFG_BAD;
	}
	if (n == 1) {
		static const int dflt[] = { 200, 301, 302 };

		for (int i = 0; i < 3; i++) {
			r->cache_valid = xrealloc(r->cache_valid,
			    r->ncache_valid + 1, sizeof(*r->cache_valid));
			r->cache_valid[r->ncache_valid].status = dflt[i];
			r->cache_valid[r->ncache_valid++].ttl_ms = ttl;
		}
	}
	for (int i = 0; i < n - 1; i++) {
		if (strcmp(toks[i], "any") == 0)
			code = 0;
		else if (cfg_parse_int(toks[i], 200, 599, &code) == -1) {
			res = CFG_BAD;
			break;
		}
		r->cache_valid = xrealloc(r->cache_valid, r->ncache_valid + 1,
		    sizeof(*r->cache_valid));
		r->cache_valid[r->ncache_valid].status = (int)code;
		r->cache_valid[r->ncache_valid++].ttl_ms = ttl;
	}
	free(copy);
	return res;
}

enum cfg_set_result
cfg_route_cache_purge_from(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cfg_set_cidrs(v, &r->cache_purge_from, &r->ncache_purge_from);
}
