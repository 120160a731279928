/*
 * The key tables: one per section kind, read by the loader, by -t and by
 * the man page test (t/man-directives.t greps the names out of this file).
 * A setter parses one value into the section object; it returns CFG_BAD for
 * the generic "bad KEY "VALUE" in [SECTION] (expected ...)" message, or
 * reports something more precise itself and returns CFG_REPORTED.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Durations and numbers that live at a fixed offset of their section. */
#define DURATION_SETTER(fn, type, field)				\
static enum cfg_set_result						\
fn(struct cfg_ctx *ctx, void *obj, const char *v)			\
{									\
	return cfg_parse_duration(v, &((type *)obj)->field) == 0 ?	\
	    CFG_OK : CFG_BAD;						\
}
#define BOOL_SETTER(fn, type, field)					\
static enum cfg_set_result						\
fn(struct cfg_ctx *ctx, void *obj, const char *v)			\
{									\
	return cfg_parse_bool(v, &((type *)obj)->field) == 0 ?		\
	    CFG_OK : CFG_BAD;						\
}

DURATION_SETTER(g_client_header_timeout, struct cfg_global,
    client_header_timeout_ms)
DURATION_SETTER(g_client_body_timeout, struct cfg_global,
    client_body_timeout_ms)
DURATION_SETTER(g_send_timeout, struct cfg_global, send_timeout_ms)
DURATION_SETTER(g_keepalive_timeout, struct cfg_global, keepalive_timeout_ms)
DURATION_SETTER(u_keepalive_timeout, struct cfg_upstream,
    keepalive_timeout_ms)
DURATION_SETTER(u_connect_timeout, struct cfg_upstream, connect_timeout_ms)
DURATION_SETTER(u_read_timeout, struct cfg_upstream, read_timeout_ms)
DURATION_SETTER(u_send_timeout, struct cfg_upstream, send_timeout_ms)
DURATION_SETTER(r_tunnel_timeout, struct cfg_route, tunnel_timeout_ms)
BOOL_SETTER(r_x_forwarded_for, struct cfg_route, x_forwarded_for)
BOOL_SETTER(r_x_forwarded_proto, struct cfg_route, x_forwarded_proto)
BOOL_SETTER(r_x_forwarded_host, struct cfg_route, x_forwarded_host)
BOOL_SETTER(r_x_real_ip, struct cfg_route, x_real_ip)
BOOL_SETTER(r_via, struct cfg_route, via)
BOOL_SETTER(r_pass_proxy_authorization, struct cfg_route,
    pass_proxy_authorization)

static enum cfg_set_result
set_long(const char *v, long min, long max, long *out)
{
	return cfg_parse_int(v, min, max, out) == 0 ? CFG_OK : CFG_BAD;
}

static enum cfg_set_result
g_max_connections(struct cfg_ctx *ctx, void *obj, const char *v)
{
	long	n;

	if (set_long(v, 16, 1000000, &n) != CFG_OK)
		return CFG_BAD;
	((struct cfg_global *)obj)->max_connections = (int)n;
	return CFG_OK;
}

static enum cfg_set_result
g_keepalive_requests(struct cfg_ctx *ctx, void *obj, const char *v)
{
	long	n;

	if (set_long(v, 1, 1000000000, &n) != CFG_OK)
		return CFG_BAD;
	((struct cfg_global *)obj)->keepalive_requests = (int)n;
	return CFG_OK;
}

static enum cfg_set_result
g_max_headers(struct cfg_ctx *ctx, void *obj, const char *v)
{
	long	n;

	if (set_long(v, 8, 256, &n) != CFG_OK)
		return CFG_BAD;
	((struct cfg_global *)obj)->max_headers = (uint32_t)n;
	return CFG_OK;
}

static enum cfg_set_result
g_client_max_body_size(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_parse_size(v,
	    &((struct cfg_global *)obj)->client_max_body_size) == 0 ?
	    CFG_OK : CFG_BAD;
}

static enum cfg_set_result
size_between(const char *v, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t	n;

	if (cfg_parse_size(v, &n) == -1 || n < min || n > max)
		return CFG_BAD;
	*out = (uint32_t)n;
	return CFG_OK;
}

/* Both limits must fit the 64K request buffer the worker reads into. */
static enum cfg_set_result
g_max_request_line(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return size_between(v, 256, 64 * 1024,
	    &((struct cfg_global *)obj)->max_request_line);
}

static enum cfg_set_result
g_max_header_size(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return size_between(v, 1024, 64 * 1024,
	    &((struct cfg_global *)obj)->max_header_size);
}

static enum cfg_set_result
g_log_format(struct cfg_ctx *ctx, void *obj, const char *v)
{
	static const char *const names[] = { "combined", "json", NULL };
	int	i;

	if ((i = cfg_parse_enum(v, names)) == -1)
		return CFG_BAD;
	((struct cfg_global *)obj)->log_format = (enum log_format)i;
	return CFG_OK;
}

static enum cfg_set_result
g_trusted_proxies(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;
	struct cidr		 c;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 r = CFG_OK;

	/* One or several networks per line. */
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (cidr_parse(&c, tok) == -1) {
			r = CFG_BAD;
			break;
		}
		g->trusted_proxies = xrealloc(g->trusted_proxies,
		    g->ntrusted_proxies + 1, sizeof(c));
		g->trusted_proxies[g->ntrusted_proxies++] = c;
	}
	free(copy);
	return r;
}

/*
 * "error_page = 502 503 /path/file.html": the file is read now, by the
 * master, so a missing page is a load error and workers never touch disk.
 */
static enum cfg_set_result
g_error_page(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	char			*path = NULL, *body = NULL;
	int			 codes[16], ncodes = 0;
	long			 n;
	FILE			*fp;
	struct stat		 st;
	size_t			 len = 0;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (tok[0] == '/' && path == NULL)
			path = tok;
		else if (path == NULL && ncodes < 16 &&
		    cfg_parse_int(tok, 400, 599, &n) == 0)
			codes[ncodes++] = (int)n;
		else {
			free(copy);
			return CFG_BAD;
		}
	}
	if (path == NULL || ncodes == 0) {
		free(copy);
		return CFG_BAD;
	}
	if ((fp = fopen(path, "re")) == NULL || fstat(fileno(fp), &st) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_size > 1024 * 1024) {
		cfg_error(ctx, "cannot use error_page file %s: %s", path,
		    fp == NULL ? strerror(errno) : "not a regular file of "
		    "at most 1M");
		if (fp != NULL)
			fclose(fp);
		free(copy);
		return CFG_REPORTED;
	}
	body = xmalloc((size_t)st.st_size + 1);
	len = fread(body, 1, (size_t)st.st_size, fp);
	fclose(fp);
	for (int i = 0; i < ncodes; i++) {
		struct cfg_error_page *ep;

		g->error_pages = xrealloc(g->error_pages, g->nerror_pages + 1,
		    sizeof(*ep));
		ep = &g->error_pages[g->nerror_pages++];
		ep->status = codes[i];
		ep->path = xstrdup(path);
		ep->body = xmalloc(len + 1);
		memcpy(ep->body, body, len);
		ep->len = len;
	}
	free(body);
	free(copy);
	return CFG_OK;
}

static enum cfg_set_result
u_keepalive(struct cfg_ctx *ctx, void *obj, const char *v)
{
	long	n;

	if (set_long(v, 0, 65536, &n) != CFG_OK)
		return CFG_BAD;
	((struct cfg_upstream *)obj)->keepalive = (int)n;
	return CFG_OK;
}

static enum cfg_set_result
r_proxy_host(struct cfg_ctx *ctx, void *obj, const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '@')
			return CFG_BAD;
	return set_str(&((struct cfg_route *)obj)->proxy_host, v);
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

#define DURATION	"a duration such as 500ms, 30s, 5m or 1h"
#define ONOFF		"on or off"

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
	{ "shutdown_timeout", CFG_ONE, g_shutdown_timeout, DURATION },
	{ "max_connections", CFG_ONE, g_max_connections,
	    "a number from 16 to 1000000" },
	{ "client_header_timeout", CFG_ONE, g_client_header_timeout, DURATION },
	{ "client_body_timeout", CFG_ONE, g_client_body_timeout, DURATION },
	{ "send_timeout", CFG_ONE, g_send_timeout, DURATION },
	{ "keepalive_timeout", CFG_ONE, g_keepalive_timeout, DURATION },
	{ "keepalive_requests", CFG_ONE, g_keepalive_requests,
	    "a number from 1 to 1000000000" },
	{ "client_max_body_size", CFG_ONE, g_client_max_body_size,
	    "a size such as 512, 64K, 10M or 1G; 0 for no limit" },
	{ "max_request_line", CFG_ONE, g_max_request_line,
	    "a size from 256 to 64K" },
	{ "max_header_size", CFG_ONE, g_max_header_size,
	    "a size from 1K to 64K" },
	{ "max_headers", CFG_ONE, g_max_headers, "a number from 8 to 256" },
	{ "log_format", CFG_ONE, g_log_format, "combined or json" },
	{ "trusted_proxies", CFG_LIST, g_trusted_proxies,
	    "addresses or networks such as 10.0.0.0/8 or 2001:db8::/32" },
	{ "error_page", CFG_LIST, g_error_page,
	    "one or more status codes from 400 to 599, then an absolute "
	    "path" },
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
	{ "keepalive", CFG_ONE, u_keepalive, "a number from 0 to 65536" },
	{ "keepalive_timeout", CFG_ONE, u_keepalive_timeout, DURATION },
	{ "upstream_connect_timeout", CFG_ONE, u_connect_timeout, DURATION },
	{ "upstream_read_timeout", CFG_ONE, u_read_timeout, DURATION },
	{ "upstream_send_timeout", CFG_ONE, u_send_timeout, DURATION },
	{ NULL }
};

static const struct cfg_key route_keys[] = {
	{ "upstream", CFG_ONE, r_upstream, "the name of an [upstream]" },
	{ "proxy_host", CFG_ONE, r_proxy_host, "a host name, host:port or "
	    "address" },
	{ "x_forwarded_for", CFG_ONE, r_x_forwarded_for, ONOFF },
	{ "x_forwarded_proto", CFG_ONE, r_x_forwarded_proto, ONOFF },
	{ "x_forwarded_host", CFG_ONE, r_x_forwarded_host, ONOFF },
	{ "x_real_ip", CFG_ONE, r_x_real_ip, ONOFF },
	{ "via", CFG_ONE, r_via, ONOFF },
	{ "pass_proxy_authorization", CFG_ONE, r_pass_proxy_authorization,
	    ONOFF },
	{ "tunnel_timeout", CFG_ONE, r_tunnel_timeout, DURATION },
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
