/*
 * The key tables: one per section kind, read by the loader, by -t and by
 * the man page test (t/man-directives.t greps the names out of this file).
 * A setter parses one value into the section object; it returns CFG_BAD for
 * the generic "bad KEY "VALUE" in [SECTION] (expected ...)" message, or
 * reports something more precise itself and returns CFG_REPORTED.
 */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_value.h"
#include "common/util.h"

static enum cfg_set_result
set_str(char **dst, const char *value)
{
	if (*value == '\0')
		return CFG_BAD;
	free(*dst);
	*dst = xstrdup(value);
	return CFG_OK;
}

static enum cfg_set_result
g_workers(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;
	long			 n;

	if (strcmp(v, "auto") == 0) {
		g->workers = 0;
		return CFG_OK;
	}
	if (cfg_parse_int(v, 1, CFG_WORKERS_MAX, &n) == -1)
		return CFG_BAD;
	g->workers = (int)n;
	return CFG_OK;
}

static enum cfg_set_result
g_user(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	g->user_set = true;
	return set_str(&g->user, v);
}

static enum cfg_set_result
g_group(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return set_str(&((struct cfg_global *)obj)->group, v);
}

static enum cfg_set_result
g_path(struct cfg_ctx *ctx, char **dst, const char *v, bool special)
{
	if (*v != '/' && !(special && (strcmp(v, "syslog") == 0 ||
	    strcmp(v, "stderr") == 0)))
		return CFG_BAD;
	return set_str(dst, v);
}

static enum cfg_set_result
g_pid_file(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return g_path(ctx, &((struct cfg_global *)obj)->pid_file, v, false);
}

static enum cfg_set_result
g_error_log(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return g_path(ctx, &((struct cfg_global *)obj)->error_log, v, true);
}

static enum cfg_set_result
g_access_log(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	if (strcmp(v, "off") == 0) {
		free(g->access_log);
		g->access_log = NULL;
		return CFG_OK;
	}
	if (*v != '/')
		return CFG_BAD;
	return set_str(&g->access_log, v);
}

static enum cfg_set_result
g_log_level(struct cfg_ctx *ctx, void *obj, const char *v)
{
	int	i;

	if ((i = cfg_parse_enum(v, log_level_names)) == -1)
		return CFG_BAD;
	((struct cfg_global *)obj)->log_level = (enum log_level)i;
	return CFG_OK;
}

static enum cfg_set_result
g_shutdown_timeout(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_parse_duration(v,
	    &((struct cfg_global *)obj)->shutdown_timeout_ms) == 0 ?
	    CFG_OK : CFG_BAD;
}

static enum cfg_set_result
l_address(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct addr		 a;

	if (addr_parse(&a, v, false, NULL, 0) == -1)
		return CFG_BAD;
	li->addrs = xrealloc(li->addrs, li->naddrs + 1, sizeof(*li->addrs));
	li->addr_where = xrealloc(li->addr_where, li->naddrs + 1,
	    sizeof(*li->addr_where));
	li->addrs[li->naddrs] = a;
	li->addr_where[li->naddrs++] = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_backlog(struct cfg_ctx *ctx, void *obj, const char *v)
{
	long	n;

	if (cfg_parse_int(v, 1, 65535, &n) == -1)
		return CFG_BAD;
	((struct cfg_listener *)obj)->backlog = (int)n;
	return CFG_OK;
}

static enum cfg_set_result
u_server(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	struct cfg_server	*s;
	char			 err[256], label[300];

	u->servers = xrealloc(u->servers, u->nservers + 1, sizeof(*s));
	s = &u->servers[u->nservers];
	memset(s, 0, sizeof(*s));
	if (addr_parse(&s->addr, v, true, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			return CFG_BAD;
		cfg_error(ctx, "bad server \"%s\" in %s: %s", v,
		    cfg_section_label(&u->sec, label, sizeof(label)), err);
		return CFG_REPORTED;
	}
	s->spec = xstrdup(v);
	s->where = cfg_ctx_where(ctx);
	u->nservers++;
	return CFG_OK;
}

static enum cfg_set_result
r_upstream(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	if (!cfg_valid_name(v))
		return CFG_BAD;
	r->upstream_where = cfg_ctx_where(ctx);
	return set_str(&r->upstream_name, v);
}

/* Order matters for cfg_check(), which finds user and group at 1 and 2. */
static const struct cfg_key global_keys[] = {
	{ "workers", CFG_ONE, g_workers,
	    "auto or a number from 1 to 256" },
	{ "user", CFG_ONE, g_user, "a user name" },
	{ "group", CFG_ONE, g_group, "a group name" },
	{ "pid_file", CFG_ONE, g_pid_file, "an absolute path" },
	{ "error_log", CFG_ONE, g_error_log,
	    "an absolute path, syslog or stderr" },
	{ "access_log", CFG_ONE, g_access_log, "an absolute path or off" },
	{ "log_level", CFG_ONE, g_log_level,
	    "debug, info, notice, warn or error" },
	{ "shutdown_timeout", CFG_ONE, g_shutdown_timeout,
	    "a duration such as 500ms, 30s, 5m or 1h" },
	{ NULL }
};

static const struct cfg_key listener_keys[] = {
	{ "address", CFG_LIST, l_address,
	    "HOST:PORT, [IPv6]:PORT or *:PORT" },
	{ "backlog", CFG_ONE, l_backlog, "a number from 1 to 65535" },
	{ NULL }
};

static const struct cfg_key upstream_keys[] = {
	{ "server", CFG_LIST, u_server, "HOST:PORT" },
	{ NULL }
};

static const struct cfg_key route_keys[] = {
	{ "upstream", CFG_ONE, r_upstream, "the name of an [upstream]" },
	{ NULL }
};

/*
 * "include" is valid anywhere, before any section too; config.c handles it
 * before looking at these tables. Listed here for the man page test.
 */
const struct cfg_key cfg_anywhere_keys[] = {
	{ "include", CFG_LIST, NULL, "a path or glob pattern" },
	{ NULL }
};

const struct cfg_section_type cfg_section_types[] = {
	{ "global", false, global_keys },
	{ "listener", true, listener_keys },
	{ "upstream", true, upstream_keys },
	{ "route", true, route_keys },
	{ NULL }
};
