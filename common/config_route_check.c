/*
 * The second pass over the [route NAME] sections, once every section is
 * read: each route's names of listeners and upstreams resolved, its one
 * action and the keys that go with it checked, its cache defaults filled;
 * then the routes an earlier one shadows entirely, which can never match.
 * Every problem is a load error at the line of its key or section.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/tpl.h"

static void	check_route(struct config *, struct cfg_route *,
		    const char *);
static void	check_dead_routes(struct config *);
static void	check_forward_auth(struct config *, struct cfg_route *,
		    const char *);

/* Second pass: each route, then the routes that can never match. */
void
cfg_route_check(struct config *cfg)
{
	char	label[300];

	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct cfg_route *r = cfg->routes[i];

		cfg_section_label(&r->sec, label, sizeof(label));
		check_route(cfg, r, label);
	}
	check_dead_routes(cfg);
}

static void
check_route(struct config *cfg, struct cfg_route *r, const char *label)
{
	if (r->nactions == 0) {
		cfg_error_at(cfg, &r->sec.where, "%s has no upstream, "
		    "redirect, return, metrics or status", label);
		return;
	}
	if (r->nactions > 1) {
		cfg_error_at(cfg, &r->action_where, "%s has more than one of "
		    "upstream, redirect, return, metrics and status", label);
		return;
	}
	for (size_t j = 0; j < r->nlistener_names; j++) {
		size_t l;

		for (l = 0; l < cfg->nlisteners; l++)
			if (strcmp(cfg->listeners[l]->sec.name,
			    r->listener_names[j]) == 0)
				break;
		if (l == cfg->nlisteners)
			cfg_error_at(cfg, &r->listener_where, "listener \"%s\" "
			    "in %s is not defined", r->listener_names[j],
			    label);
		else if (l >= CFG_LISTENERS_MAX)
			cfg_error_at(cfg, &r->listener_where, "listener \"%s\" "
			    "in %s: routes can name only the first %d "
			    "listeners", r->listener_names[j], label,
			    CFG_LISTENERS_MAX);
		else
			r->listeners |= UINT64_C(1) << l;
	}
	check_forward_auth(cfg, r, label);
	if (!r->cc_targets_set) {
		strcpy(r->cc_targets[0], "cdn-cache-control");
		r->ncc_targets = 1;
	}
	if (r->cache_key.nparts == 0) {
		char err[100];

		tpl_parse(&r->cache_key, "$scheme://$authority$request_uri",
		    false, err, sizeof(err));
	}
	if (r->cache && cfg->global.cache_size == 0)
		cfg_error_at(cfg, cfg_key_where(&r->sec, "cache"), "cache = on "
		    "in %s needs cache_size in [global]", label);
	if (r->action != ACTION_PROXY) {
		/* What shapes a proxied request or response does nothing on
		 * frontd's own answers: a mistake, not a no-op. */
		static const char *const proxy_only[] = { "strip_prefix",
		    "add_prefix", "rewrite", "set_request_header",
		    "remove_request_header",
		    "rewrite_location", "compress", "compress_types",
		    "compress_min_length", "gzip_level", "brotli_quality",
		    "cache", "cache_key", "cache_methods", "cache_bypass",
		    "cache_valid", "cache_use_stale", "cache_purge_from",
		    "cache_control_targets", "proxy_host", "x_forwarded_for",
		    "x_forwarded_proto", "x_forwarded_host", "x_real_ip",
		    "via", "pass_proxy_authorization", "tunnel_timeout",
		    NULL };
		static const char *const action_names[] = {
		    [ACTION_PROXY] = "upstream", [ACTION_REDIRECT] = "redirect",
		    [ACTION_RETURN] = "return", [ACTION_METRICS] = "metrics",
		    [ACTION_STATUS] = "status" };
		const struct cfg_where *w;

		for (int i = 0; proxy_only[i] != NULL; i++)
			if ((w = cfg_key_where(&r->sec, proxy_only[i])) !=
			    NULL)
				cfg_error_at(cfg, w, "%s in %s does nothing on "
				    "a route with %s: it is for a route with "
				    "an upstream", proxy_only[i], label,
				    action_names[r->action]);
		return;
	}
	r->upstream = config_upstream_index(cfg, r->upstream_name);
	if (r->upstream == -1)
		cfg_error_at(cfg, &r->upstream_where, "upstream \"%s\" in %s "
		    "is not defined", r->upstream_name, label);
}

/*
 * forward_auth names an upstream, whose pool, timeouts and health serve
 * the subrequest; the scheme says whether it speaks TLS, and must agree.
 */
static void
check_forward_auth(struct config *cfg, struct cfg_route *r,
    const char *label)
{
	static const char *const needs[] = { "forward_auth_request_headers",
	    "forward_auth_response_headers", NULL };
	const struct cfg_where	*w;
	int			 u;

	w = cfg_key_where(&r->sec, "forward_auth");
	if (r->fa_upstream_name == NULL) {
		for (int i = 0; needs[i] != NULL; i++)
			if ((w = cfg_key_where(&r->sec, needs[i])) != NULL)
				cfg_error_at(cfg, w, "%s in %s does nothing "
				    "without forward_auth", needs[i], label);
		return;
	}
	if ((u = config_upstream_index(cfg, r->fa_upstream_name)) == -1) {
		cfg_error_at(cfg, w, "forward_auth in %s: upstream \"%s\" is "
		    "not defined", label, r->fa_upstream_name);
		return;
	}
	if (cfg->upstreams[u]->tls != r->fa_tls) {
		cfg_error_at(cfg, w, "forward_auth in %s: %s, but upstream "
		    "\"%s\" has tls = %s", label, r->fa_tls ? "https://" :
		    "http://", r->fa_upstream_name, cfg->upstreams[u]->tls ?
		    "on" : "off");
		return;
	}
	r->fa_upstream = u;
}

static bool
same_strings(char **a, size_t na, char **b, size_t nb)
{
	for (size_t i = 0; i < na; i++) {
		size_t j;

		for (j = 0; j < nb && strcmp(a[i], b[j]) != 0; j++)
			;
		if (j == nb)
			return false;
	}
	return true;
}

/* Whether every request route b could take, a (before it) takes first. */
static bool
route_covers(const struct cfg_route *a, const struct cfg_route *b)
{
	bool	a_any = a->methods == 0 && a->nmethod_names == 0;
	bool	b_any = b->methods == 0 && b->nmethod_names == 0;

	if (a->nhosts != b->nhosts || !same_strings(a->hosts, a->nhosts,
	    b->hosts, b->nhosts) || !same_strings(b->hosts, b->nhosts,
	    a->hosts, a->nhosts))
		return false;
	if (a->path_kind != b->path_kind || (a->path == NULL) !=
	    (b->path == NULL) || (a->path != NULL &&
	    strcmp(a->path, b->path) != 0))
		return false;
	if (!a_any && (b_any || (b->methods & ~a->methods) != 0 ||
	    !same_strings(b->method_names, b->nmethod_names,
	    a->method_names, a->nmethod_names)))
		return false;
	return a->listeners == 0 || (b->listeners != 0 &&
	    (b->listeners & ~a->listeners) == 0);
}

/*
 * A route that an earlier one with the same hosts and path shadows
 * entirely (file order decides among them) can never match: an error,
 * or the admin would wonder why it never does.
 */
static void
check_dead_routes(struct config *cfg)
{
	char	label[300], olabel[300];

	for (size_t i = 1; i < cfg->nroutes; i++) {
		struct cfg_route *b = cfg->routes[i];

		for (size_t j = 0; j < i; j++) {
			struct cfg_route *a = cfg->routes[j];

			if (!route_covers(a, b))
				continue;
			cfg_section_label(&b->sec, label, sizeof(label));
			cfg_section_label(&a->sec, olabel, sizeof(olabel));
			if (a->nhosts == 0 && a->path == NULL)
				cfg_error_at(cfg, &b->sec.where, "%s can never "
				    "match: %s (%s:%d) is already the default "
				    "route, and takes every request it would",
				    label, olabel, a->sec.where.file,
				    a->sec.where.line);
			else
				cfg_error_at(cfg, &b->sec.where, "%s can never "
				    "match: %s (%s:%d) has the same hosts and "
				    "path and takes every request it would",
				    label, olabel, a->sec.where.file,
				    a->sec.where.line);
			break;
		}
	}
}
