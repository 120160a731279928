/*
 * The [global] section: its keys, its defaults, the checks that need the
 * whole section, and its freeing. There is one [global], inside struct
 * config, so its defaults hold even when no file names it.
 */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/logfmt.h"
#include "common/logsock.h"
#include "common/util.h"

#define FACILITIES	"kern, user, mail, daemon, auth, syslog, lpr, news, " \
	"uucp, cron, authpriv, ftp or local0 to local7"

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
	return cfg_set_str(&g->user, v);
}

/* "syslog:FACILITY" with a facility syslog has no name for. */
static bool
bad_facility(struct cfg_ctx *ctx, const char *key, const char *v)
{
	if (logsock_target(v, 0) != -1)
		return false;
	cfg_error(ctx, "unknown syslog facility \"%s\" in %s (expected "
	    FACILITIES ")", v + 7, key);
	return true;
}

static enum cfg_set_result
g_error_log(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (bad_facility(ctx, "error_log", v))
		return CFG_REPORTED;
	if (*v != '/' && logsock_target(v, 0) < 0 && strcmp(v, "stderr") != 0)
		return CFG_BAD;
	return cfg_set_str(&((struct cfg_global *)obj)->error_log, v);
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
	if (bad_facility(ctx, "access_log", v))
		return CFG_REPORTED;
	if (*v != '/' && logsock_target(v, 0) < 0)
		return CFG_BAD;
	return cfg_set_str(&g->access_log, v);
}

static enum cfg_set_result
g_syslog_socket(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (*v != '/')
		return CFG_BAD;
	if (strlen(v) > LOGSOCK_PATH_MAX) {
		cfg_error(ctx, "syslog_socket \"%s\" is longer than a Unix "
		    "socket path may be (%zu bytes)", v,
		    (size_t)LOGSOCK_PATH_MAX);
		return CFG_REPORTED;
	}
	return cfg_set_str(&((struct cfg_global *)obj)->syslog_socket, v);
}

/* A Unix socket's path, or off; its default is made from pid_file. */
static enum cfg_set_result
g_control_socket(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	g->control_socket_set = true;
	if (strcmp(v, "off") == 0) {
		free(g->control_socket);
		g->control_socket = NULL;
		return CFG_OK;
	}
	if (*v != '/')
		return CFG_BAD;
	if (strlen(v) > LOGSOCK_PATH_MAX) {
		cfg_error(ctx, "control_socket \"%s\" is longer than a Unix "
		    "socket path may be (%zu bytes)", v,
		    (size_t)LOGSOCK_PATH_MAX);
		return CFG_REPORTED;
	}
	return cfg_set_str(&g->control_socket, v);
}

/* Permission bits in octal, as chmod(1) takes them. */
static enum cfg_set_result
g_control_socket_mode(struct cfg_ctx *ctx, void *obj, const char *v)
{
	char	*end;
	long	 n;

	if (*v < '0' || *v > '7')
		return CFG_BAD;
	n = strtol(v, &end, 8);
	if (*end != '\0' || n < 0 || n > 0777)
		return CFG_BAD;
	((struct cfg_global *)obj)->control_socket_mode = (int)n;
	return CFG_OK;
}

/* combined, json, or a format of our own with $variables. */
static enum cfg_set_result
g_log_format(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;
	char			 err[256];

	logfmt_free(&g->log_custom);
	if (strcmp(v, "combined") == 0)
		g->log_format = LOG_FORMAT_COMBINED;
	else if (strcmp(v, "json") == 0)
		g->log_format = LOG_FORMAT_JSON;
	else if (strchr(v, '$') == NULL)
		return CFG_BAD;
	else if (logfmt_parse(&g->log_custom, v, err, sizeof(err)) == -1) {
		cfg_error(ctx, "bad log_format: %s", err);
		return CFG_REPORTED;
	} else
		g->log_format = LOG_FORMAT_CUSTOM;
	return CFG_OK;
}

static enum cfg_set_result
g_worker_rlimit_nofile(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;
	long			 n;

	if (strcmp(v, "auto") == 0) {
		g->worker_rlimit_nofile = 0;
		return CFG_OK;
	}
	if (cfg_parse_int(v, 1, CFG_NOFILE_MAX, &n) == -1)
		return CFG_BAD;
	g->worker_rlimit_nofile = (uint64_t)n;
	return CFG_OK;
}

/* 1M up to 64G: the index and the blocks are sized from it. */
static enum cfg_set_result
g_cache_size(struct cfg_ctx *ctx, void *obj, const char *v)
{
	uint64_t	n;

	if (cfg_parse_size(v, &n) == -1 || (n != 0 && (n < 1024 * 1024 ||
	    n > UINT64_C(64) * 1024 * 1024 * 1024)))
		return CFG_BAD;
	((struct cfg_global *)obj)->cache_size = n;
	return CFG_OK;
}

static enum cfg_set_result
g_maintenance_allow(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_maintenance	*m = &((struct cfg_global *)obj)->maint;

	return cfg_set_cidrs(v, &m->allow, &m->nallow);
}

static enum cfg_set_result
g_maintenance_page(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_maint_page(ctx, &((struct cfg_global *)obj)->maint, v);
}

static enum cfg_set_result
g_real_ip_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_field_name(&((struct cfg_global *)obj)->real_ip_header,
	    v);
}

static enum cfg_set_result
g_trusted_proxies(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	return cfg_set_cidrs(v, &g->trusted_proxies, &g->ntrusted_proxies);
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
	if (cfg_read_file(ctx, path, "error_page", &body, &len) == -1) {
		free(copy);
		return CFG_REPORTED;
	}
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
g_set_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	return cfg_header_op_add(ctx, &g->set_resp, &g->nset_resp, v, true);
}

static enum cfg_set_result
g_remove_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	return cfg_header_op_add(ctx, &g->remove_resp, &g->nremove_resp, v,
	    false);
}

static enum cfg_set_result
g_security_headers(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_inherited_flag(
	    &((struct cfg_global *)obj)->security_headers, v);
}

#define DURATION	"a duration such as 500ms, 30s, 5m or 1h"
#define ONOFF		"on or off"
#define PATH		"an absolute path"

#define G(field)	CFG_FIELD(struct cfg_global, field)

const struct cfg_key cfg_global_keys[] = {
	{ "workers", CFG_ONE, CFG_T_FN, .set = g_workers,
	    .expect = "auto or a number from 1 to 256" },
	{ "user", CFG_ONE, CFG_T_FN, .set = g_user, .expect = "a user name" },
	{ "group", CFG_ONE, CFG_T_STR, G(group), .expect = "a group name" },
	{ "pid_file", CFG_ONE, CFG_T_PATH, G(pid_file), .expect = PATH },
	{ "error_log", CFG_ONE, CFG_T_FN, .set = g_error_log,
	    .expect = "an absolute path, syslog[:FACILITY] or stderr" },
	{ "access_log", CFG_ONE, CFG_T_FN, .set = g_access_log,
	    .expect = "an absolute path, syslog[:FACILITY] or off" },
	{ "syslog_socket", CFG_ONE, CFG_T_FN, .set = g_syslog_socket,
	    .expect = PATH },
	{ "control_socket", CFG_ONE, CFG_T_FN, .set = g_control_socket,
	    .expect = "an absolute path or off" },
	{ "control_socket_mode", CFG_ONE, CFG_T_FN,
	    .set = g_control_socket_mode,
	    .expect = "permission bits in octal, such as 0600 or 0660" },
	{ "control_socket_group", CFG_ONE, CFG_T_STR,
	    G(control_socket_group), .expect = "a group name" },
	{ "log_level", CFG_ONE, CFG_T_ENUM, G(log_level),
	    .names = log_level_names,
	    .expect = "debug, info, notice, warn or error" },
	{ "shutdown_timeout", CFG_ONE, CFG_T_DURATION, G(shutdown_timeout_ms),
	    .expect = DURATION },
	{ "max_connections", CFG_ONE, CFG_T_INT, G(max_connections),
	    .min = 16, .max = 1000000,
	    .expect = "a number from 16 to 1000000" },
	{ "worker_rlimit_nofile", CFG_ONE, CFG_T_FN,
	    .set = g_worker_rlimit_nofile,
	    .expect = "auto or a number from 1 to 1073741816" },
	{ "client_header_timeout", CFG_ONE, CFG_T_DURATION,
	    G(client_header_timeout_ms), .expect = DURATION },
	{ "client_body_timeout", CFG_ONE, CFG_T_DURATION,
	    G(client_body_timeout_ms), .expect = DURATION },
	{ "send_timeout", CFG_ONE, CFG_T_DURATION, G(send_timeout_ms),
	    .expect = DURATION },
	{ "keepalive_timeout", CFG_ONE, CFG_T_DURATION,
	    G(keepalive_timeout_ms), .expect = DURATION },
	{ "keepalive_requests", CFG_ONE, CFG_T_INT, G(keepalive_requests),
	    .min = 1, .max = 1000000000,
	    .expect = "a number from 1 to 1000000000" },
	{ "client_max_body_size", CFG_ONE, CFG_T_SIZE,
	    G(client_max_body_size),
	    .expect = "a size such as 512, 64K, 10M or 1G; 0 for no limit" },
	/* Both limits must fit the 64K request buffer the worker reads. */
	{ "max_request_line", CFG_ONE, CFG_T_SIZE, G(max_request_line),
	    .min = 256, .max = 64 * 1024, .expect = "a size from 256 to 64K" },
	{ "max_header_size", CFG_ONE, CFG_T_SIZE, G(max_header_size),
	    .min = 1024, .max = 64 * 1024, .expect = "a size from 1K to 64K" },
	{ "max_headers", CFG_ONE, CFG_T_INT, G(max_headers),
	    .min = 8, .max = 256, .expect = "a number from 8 to 256" },
	{ "log_format", CFG_ONE, CFG_T_FN, .set = g_log_format,
	    .expect = "combined, json or a format with $variables" },
	{ "trusted_proxies", CFG_LIST, CFG_T_FN, .set = g_trusted_proxies,
	    .expect = "addresses or networks such as 10.0.0.0/8 or "
	    "2001:db8::/32" },
	{ "maintenance_allow", CFG_LIST, CFG_T_FN, .set = g_maintenance_allow,
	    .expect = "addresses or networks such as 10.0.0.0/8" },
	{ "maintenance_page", CFG_ONE, CFG_T_FN, .set = g_maintenance_page,
	    .expect = "an absolute path" },
	{ "maintenance_retry_after", CFG_ONE, CFG_T_DURATION,
	    G(maint.retry_after_ms), .min = 1000, .max = 7 * 86400 * 1000LL,
	    .expect = "a duration from 1s to 7d" },
	{ "real_ip_header", CFG_ONE, CFG_T_FN, .set = g_real_ip_header,
	    .expect = "a header name such as X-Forwarded-For" },
	{ "cache_size", CFG_ONE, CFG_T_FN, .set = g_cache_size,
	    .expect = "a size from 1M to 64G, or 0" },
	{ "cache_file", CFG_ONE, CFG_T_PATH, G(cache_file), .expect = PATH },
	{ "cache_max_object_size", CFG_ONE, CFG_T_SIZE,
	    G(cache_max_object_size), .min = 1024,
	    .expect = "a size of 1K or more" },
	{ "cache_lock_timeout", CFG_ONE, CFG_T_DURATION,
	    G(cache_lock_timeout_ms), .min = 1, .max = 3600 * 1000,
	    .expect = "a duration from 1ms to 1h" },
	{ "error_page", CFG_LIST, CFG_T_FN, .set = g_error_page,
	    .expect = "one or more status codes from 400 to 599, then an "
	    "absolute path" },
	{ "rate_limit_zone", CFG_ONE, CFG_T_FN,
	    .set = cfg_set_rate_limit_zone,
	    .expect = "a size from 64K to 1G, or 0" },
	{ "sandbox", CFG_ONE, CFG_T_BOOL, G(sandbox), .expect = ONOFF },
	{ "set_response_header", CFG_LIST, CFG_T_FN,
	    .set = g_set_response_header, .expect = "Name: value" },
	{ "remove_response_header", CFG_LIST, CFG_T_FN,
	    .set = g_remove_response_header, .expect = "a header name" },
	{ "security_headers", CFG_ONE, CFG_T_FN, .set = g_security_headers,
	    .expect = ONOFF },
	{ "server_tokens", CFG_ONE, CFG_T_BOOL, G(server_tokens),
	    .expect = ONOFF },
	/* HTTP/2 on client connections (worker/h2.c). */
	{ "http2_max_concurrent_streams", CFG_ONE, CFG_T_INT,
	    G(h2_max_streams), .min = 1, .max = 1024,
	    .expect = "a number from 1 to 1024" },
	{ "http2_max_header_list_size", CFG_ONE, CFG_T_SIZE,
	    G(h2_max_header_list), .min = 1024, .max = 48 * 1024,
	    .expect = "a size from 1K to 48K" },
	{ "http2_initial_window_size", CFG_ONE, CFG_T_SIZE, G(h2_window),
	    .min = 1024, .max = 64 * 1024, .expect = "a size from 1K to 64K" },
	{ "http2_idle_timeout", CFG_ONE, CFG_T_DURATION,
	    G(h2_idle_timeout_ms), .min = 1,
	    .expect = "a duration such as 500ms, 30s, 5m or 1h, not 0" },
	{ "http2_max_resets", CFG_ONE, CFG_T_INT, G(h2_max_resets),
	    .min = 1, .max = 100000, .expect = "a number from 1 to 100000" },
	{ "http2_max_continuations", CFG_ONE, CFG_T_INT,
	    G(h2_max_continuations), .min = 1, .max = 64,
	    .expect = "a number from 1 to 64" },
	{ NULL }
};

void
cfg_global_init(struct cfg_global *g)
{
	g->sec.kind = "global";
	g->workers = 0;
	g->user = xstrdup("www-data");
	g->pid_file = xstrdup(RUNSTATEDIR "/frontd.pid");
	g->error_log = xstrdup(LOCALSTATEDIR "/log/frontd/error.log");
	g->access_log = xstrdup(LOCALSTATEDIR "/log/frontd/access.log");
	g->syslog_socket = xstrdup(LOGSOCK_PATH_DEFAULT);
	g->control_socket_mode = 0600;
	g->log_level = LOG_LVL_NOTICE;
	g->shutdown_timeout_ms = 30 * 1000;
	g->max_connections = 4096;
	g->client_header_timeout_ms = 60 * 1000;
	g->client_body_timeout_ms = 60 * 1000;
	g->send_timeout_ms = 60 * 1000;
	g->keepalive_timeout_ms = 75 * 1000;
	g->keepalive_requests = 1000;
	g->client_max_body_size = 1024 * 1024;
	g->max_request_line = 8 * 1024;
	g->max_header_size = 16 * 1024;
	g->max_headers = 100;
	g->log_format = LOG_FORMAT_COMBINED;
	g->cache_max_object_size = 8 * 1024 * 1024;
	g->cache_lock_timeout_ms = 5 * 1000;
	g->rate_limit_zone = UINT64_MAX;
	g->sandbox = true;
	g->security_headers = -1;
	g->server_tokens = true;
	g->h2_max_streams = 128;
	g->h2_max_header_list = 32 * 1024;
	g->h2_window = 32 * 1024;
	g->h2_idle_timeout_ms = 0;	/* keepalive_timeout's, when checked */
	g->h2_max_resets = 100;
	g->h2_max_continuations = 8;
}

/*
 * A log sent to a syslog socket that does not answer now loses its lines
 * until it does: said at load time (frontd -t, start, reload), once.
 */
static void
syslog_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;
	bool			 error_log, access_log;
	char			 why[128];

	error_log = logsock_target(g->error_log, 0) >= 0;
	access_log = g->access_log != NULL &&
	    logsock_target(g->access_log, 0) >= 0;
	if ((!error_log && !access_log) || logsock_probe(g->syslog_socket,
	    why, sizeof(why)) == 0)
		return;
	cfg_warn_at(cfg, cfg_key_where(&g->sec, error_log ? "error_log" :
	    "access_log"), "warning: syslog socket %s: %s: %s lines are lost "
	    "until it answers", g->syslog_socket, why, !error_log ?
	    "access log" : !access_log ? "error log" : "error and access log");
}

/*
 * The control socket sits beside the pid file unless placed: its name with
 * .pid made .sock, so that two masters with two pid files never share one;
 * none, with a warning, if that name is too long for a socket.
 */
static void
control_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;
	size_t			 len = strlen(g->pid_file);

	if (!g->control_socket_set) {
		free(g->control_socket);
		if (len > 4 && strcmp(g->pid_file + len - 4, ".pid") == 0)
			g->control_socket = xasprintf("%.*s.sock",
			    (int)(len - 4), g->pid_file);
		else
			g->control_socket = xasprintf("%s.sock", g->pid_file);
		/* A long pid_file was fine before there was a socket. */
		if (strlen(g->control_socket) > LOGSOCK_PATH_MAX) {
			cfg_warn_at(cfg, cfg_key_where(&g->sec, "pid_file"),
			    "warning: no control socket: %s, beside pid_file, "
			    "is longer than a Unix socket path may be (%zu "
			    "bytes); set control_socket", g->control_socket,
			    (size_t)LOGSOCK_PATH_MAX);
			free(g->control_socket);
			g->control_socket = NULL;
		}
	}
	if (g->control_socket_group != NULL &&
	    getgrnam(g->control_socket_group) == NULL)
		cfg_error_at(cfg, cfg_key_where(&g->sec,
		    "control_socket_group"), "unknown group \"%s\" in "
		    "[global]", g->control_socket_group);
}

/*
 * A stream's request head and the body it has not read yet share one
 * buffer in the worker, so the window offered and the header list taken
 * must fit it together. The key set last (or the one set) is the one to
 * change; an idle HTTP/2 connection waits keepalive_timeout unless told.
 */
static void
http2_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;
	const struct cfg_where	*ww, *wh, *w;

	if (g->h2_idle_timeout_ms == 0)
		g->h2_idle_timeout_ms = g->keepalive_timeout_ms;
	if ((uint64_t)g->h2_window + g->h2_max_header_list <= CFG_H2_STREAM_MAX)
		return;
	ww = cfg_key_where(&g->sec, "http2_initial_window_size");
	wh = cfg_key_where(&g->sec, "http2_max_header_list_size");
	if (ww == NULL)
		w = wh;
	else if (wh == NULL)
		w = ww;
	else
		w = wh->file == ww->file && wh->line > ww->line ? wh : ww;
	cfg_error_at(cfg, w, "http2_initial_window_size (%u bytes) plus "
	    "http2_max_header_list_size (%u bytes) is more than 64K: a "
	    "stream's head and its unread body share one 72K buffer",
	    g->h2_window, g->h2_max_header_list);
}

/* Second pass: what depends on more than one key, or on the system. */
void
cfg_global_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;

	if (g->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		g->workers = n < 1 ? 1 : n > CFG_WORKERS_MAX ?
		    CFG_WORKERS_MAX : (int)n;
	}
	if (g->cache_size > 0 && g->cache_max_object_size > g->cache_size / 8) {
		const struct cfg_where *w = cfg_key_where(&g->sec,
		    "cache_max_object_size");

		/* The default yields to a small cache; a set value does not. */
		if (w == NULL)
			g->cache_max_object_size = g->cache_size / 8;
		else
			cfg_error_at(cfg, w, "cache_max_object_size (%llu "
			    "bytes) is more than an eighth of cache_size",
			    (unsigned long long)g->cache_max_object_size);
	}
	if (g->cache_file != NULL && g->cache_size == 0)
		cfg_error_at(cfg, cfg_key_where(&g->sec, "cache_file"),
		    "cache_file needs cache_size");
	if (g->user_set && getpwnam(g->user) == NULL)
		cfg_error_at(cfg, cfg_key_where(&g->sec, "user"),
		    "unknown user \"%s\" in [global]", g->user);
	if (g->group != NULL && getgrnam(g->group) == NULL)
		cfg_error_at(cfg, cfg_key_where(&g->sec, "group"),
		    "unknown group \"%s\" in [global]", g->group);
	control_check(cfg);
	syslog_check(cfg);
	http2_check(cfg);
}

/* Frees what g holds, not g: it is part of struct config. */
void
cfg_global_free(struct cfg_global *g)
{
	for (size_t i = 0; i < g->nerror_pages; i++) {
		free(g->error_pages[i].path);
		free(g->error_pages[i].body);
	}
	free(g->error_pages);
	cfg_header_ops_free(g->set_resp, g->nset_resp);
	cfg_header_ops_free(g->remove_resp, g->nremove_resp);
	free(g->trusted_proxies);
	free(g->real_ip_header);
	cfg_maint_free(&g->maint);
	free(g->cache_file);
	free(g->user);
	free(g->group);
	free(g->pid_file);
	free(g->error_log);
	free(g->access_log);
	free(g->syslog_socket);
	free(g->control_socket);
	free(g->control_socket_group);
	logfmt_free(&g->log_custom);
}
