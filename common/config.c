/*
 * Loads a configuration generation from INI files. inih does the
 * tokenising; our own reader in front of it counts lines, tracks sections
 * (Debian's inih passes no line numbers and does not report empty
 * sections), refuses over-long lines instead of letting them be split, and
 * catches syntax errors, so every message can say file:line. Loading keeps
 * going after an error and collects all of them; nothing outside the new
 * struct config is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/route.h"
#include "common/tls.h"
#include "common/tpl.h"
#include "common/util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/ssl.h>

/* One file being read; files nest through include. */
struct cfg_file {
	int			 fd;
	const char		*path;		/* interned */
	char			*realpath;
	int			 line;
	struct cfg_section	*section;	/* NULL: outside any section */
	const struct cfg_section_type *type;
	bool			 bad_section;	/* header was wrong: skip keys */
	struct cfg_file		*parent;
	char			*buf;		/* the line: CFG_LINE_MAX + 2 */
	char			*in;		/* read ahead: CFG_READ_SIZE */
	size_t			 inpos, inlen;
	uint64_t		 nread;		/* bytes, up to CFG_FILE_MAX */
	bool			 done;		/* end, error or too large */
	char			*stash;		/* value of a line too long for inih */
};

#define CFG_READ_SIZE	16384

struct cfg_ctx {
	struct config		*cfg;
	struct cfg_file		*file;
	int			 depth;
	const struct cfg_key	*key;		/* key being set */
};

static int	 cfg_parse_file(struct cfg_ctx *, const char *,
		    const char *, const struct cfg_where *);
static char	*cfg_read_line(char *, int, void *);
static ssize_t	 cfg_getline(struct cfg_ctx *, struct cfg_file *, bool *);
static int	 cfg_handler(void *, const char *, const char *, const char *);
static void	 cfg_section_start(struct cfg_ctx *, char *);
static void	 cfg_include(struct cfg_ctx *, const char *);
static void	 cfg_check(struct config *);
static void	 check_dead_routes(struct config *);
static const char *cfg_intern(struct config *, const char *);
static void	 cfg_defaults(struct config *);

/*
 * Reads path and everything it includes. Always returns a config; the caller
 * looks at nerrors. A main file that cannot be opened is reported without a
 * line number.
 */
struct config *
config_load(const char *path)
{
	struct config	*cfg;
	struct cfg_ctx	 ctx;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	cfg_defaults(cfg);

	/* Debian's inih takes these at run time; see ARCHITECTURE.md. */
	ini_use_stack = false;
	ini_max_line = CFG_LINE_MAX + 3;
	ini_allow_realloc = false;
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_stop_on_first_error = false;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	if (cfg_parse_file(&ctx, path, path, NULL) == 0)
		cfg_check(cfg);
	return cfg;
}

static void
cfg_defaults(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;

	g->sec.kind = "global";
	g->workers = 0;
	g->user = xstrdup("www-data");
	g->pid_file = xstrdup(RUNSTATEDIR "/frontd.pid");
	g->error_log = xstrdup(LOCALSTATEDIR "/log/frontd/error.log");
	g->access_log = xstrdup(LOCALSTATEDIR "/log/frontd/access.log");
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
	g->sandbox = true;
}

static void
free_section(struct cfg_section *s)
{
	free(s->name);
}

/* What compresses well and is not compressed already. */
static const char *const default_compress_types[] = {
	"text/*", "application/json", "application/javascript",
	"application/xml", "application/xhtml+xml", "application/rss+xml",
	"application/atom+xml", "application/ld+json", "application/wasm",
	"image/svg+xml", "font/ttf", "font/otf", NULL
};

static void
listener_free_tls(struct cfg_listener *li)
{
	for (size_t i = 0; i < li->ncerts; i++) {
		free(li->certs[i].cert_file);
		free(li->certs[i].key_file);
	}
	free(li->certs);
	free(li->tls_ciphers);
	free(li->tls_ciphersuites);
	free(li->tls_curves);
	free(li->tls_ticket_key_file);
	free(li->tls_ocsp_staple_file);
	free(li->tls_client_ca);
	free(li->hsts);
	tls_server_free(li->tls_server);
}

static void
free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
free_header_ops(struct cfg_header_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ops[i].name);
		tpl_free(&ops[i].value);
	}
	free(ops);
}

static void
route_free(struct cfg_route *r)
{
	free(r->proxy_host);
	free(r->upstream_name);
	free_strings(r->hosts, r->nhosts);
	free(r->path);
	if (r->path_re != NULL)
		pcre2_code_free(r->path_re);
	free_strings(r->method_names, r->nmethod_names);
	free_strings(r->listener_names, r->nlistener_names);
	tpl_free(&r->location);
	free(r->body);
	free(r->strip_prefix);
	free(r->add_prefix);
	if (r->rewrite_re != NULL)
		pcre2_code_free(r->rewrite_re);
	tpl_free(&r->rewrite_to);
	free_header_ops(r->set_req, r->nset_req);
	free_header_ops(r->set_resp, r->nset_resp);
	free_header_ops(r->remove_req, r->nremove_req);
	free_header_ops(r->remove_resp, r->nremove_resp);
	free_strings(r->compress_types, r->ncompress_types);
	free_strings(r->upgrade, r->nupgrade);
	tpl_free(&r->cache_key);
	for (size_t i = 0; i < r->ncache_bypass; i++)
		tpl_free(&r->cache_bypass[i]);
	free(r->cache_bypass);
	free(r->cache_valid);
	free(r->cache_purge_from);
	free_section(&r->sec);
	free(r);
}

void
config_free(struct config *cfg)
{
	size_t	i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nlisteners; i++) {
		free_section(&cfg->listeners[i]->sec);
		free(cfg->listeners[i]->addrs);
		free(cfg->listeners[i]->addr_where);
		listener_free_tls(cfg->listeners[i]);
		free(cfg->listeners[i]);
	}
	for (i = 0; i < cfg->nupstreams; i++) {
		struct cfg_upstream *u = cfg->upstreams[i];

		for (j = 0; j < u->nservers; j++)
			free(u->servers[j].spec);
		free(u->servers);
		free(u->hash_name);
		free(u->ring);
		free(u->check_method);
		free(u->check_path);
		free(u->check_host);
		free(u->expect_body);
		free(u->tls_ca_file);
		free(u->tls_name);
		free(u->tls_client.cert_file);
		free(u->tls_client.key_file);
		tls_upstream_free(u);
		free_section(&u->sec);
		free(u);
	}
	for (i = 0; i < cfg->global.nerror_pages; i++) {
		free(cfg->global.error_pages[i].path);
		free(cfg->global.error_pages[i].body);
	}
	free(cfg->global.error_pages);
	free(cfg->global.trusted_proxies);
	free(cfg->global.cache_file);
	for (i = 0; i < cfg->nroutes; i++)
		route_free(cfg->routes[i]);
	router_free(cfg->router);
	free(cfg->listeners);
	free(cfg->upstreams);
	free(cfg->routes);
	free(cfg->global.user);
	free(cfg->global.group);
	free(cfg->global.pid_file);
	free(cfg->global.error_log);
	free(cfg->global.access_log);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	for (i = 0; i < cfg->nerrors; i++)
		free(cfg->errors[i]);
	free(cfg->errors);
	for (i = 0; i < cfg->nwarnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	free(cfg->path);
	free(cfg);
}

int
config_upstream_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nupstreams; i++)
		if (strcmp(cfg->upstreams[i]->sec.name, name) == 0)
			return (int)i;
	return -1;
}

size_t
config_nservers(const struct config *cfg)
{
	size_t	n = 0;

	for (size_t i = 0; i < cfg->nupstreams; i++)
		n += cfg->upstreams[i]->nservers;
	return n;
}

/* Messages. */

static void
add_msg(char ***list, size_t *n, const struct cfg_where *w, const char *fmt,
    va_list ap)
{
	char	*msg, *line;

	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	if (w == NULL || w->file == NULL)
		line = xasprintf("%s", msg);
	else if (w->line <= 0)
		line = xasprintf("%s: %s", w->file, msg);
	else
		line = xasprintf("%s:%d: %s", w->file, w->line, msg);
	free(msg);
	*list = xrealloc(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = line;
}

void
cfg_error_at(struct config *cfg, const struct cfg_where *w,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	add_msg(&cfg->errors, &cfg->nerrors, w, fmt, ap);
	va_end(ap);
}

/* Worth telling, not worth refusing: -t prints it, a reload logs it. */
void
cfg_warn_at(struct config *cfg, const struct cfg_where *w, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	add_msg(&cfg->warnings, &cfg->nwarnings, w, fmt, ap);
	va_end(ap);
}

void
cfg_error(struct cfg_ctx *ctx, const char *fmt, ...)
{
	struct cfg_where	w = cfg_ctx_where(ctx);
	va_list			ap;

	va_start(ap, fmt);
	add_msg(&ctx->cfg->errors, &ctx->cfg->nerrors, &w, fmt, ap);
	va_end(ap);
}

struct cfg_where
cfg_ctx_where(struct cfg_ctx *ctx)
{
	struct cfg_where	w = { NULL, 0 };

	if (ctx->file != NULL) {
		w.file = ctx->file->path;
		w.line = ctx->file->line;
	}
	return w;
}

/* "[route api]" or "[global]". */
const char *
cfg_section_label(const struct cfg_section *s, char *buf, size_t len)
{
	if (s->name != NULL)
		snprintf(buf, len, "[%s %s]", s->kind, s->name);
	else
		snprintf(buf, len, "[%s]", s->kind);
	return buf;
}

static const char *
cfg_intern(struct config *cfg, const char *s)
{
	for (size_t i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], s) == 0)
			return cfg->files[i];
	cfg->files = xrealloc(cfg->files, cfg->nfiles + 1, sizeof(char *));
	cfg->files[cfg->nfiles] = xstrdup(s);
	return cfg->files[cfg->nfiles++];
}

/* Reading. */

/*
 * Opens one file of the configuration. Only a regular file is read: a
 * FIFO would block the master (O_NONBLOCK keeps even the open from
 * waiting for a writer), a device or a directory never ends or never
 * starts. The reading itself is bounded by cfg_getline().
 */
static int
cfg_parse_file(struct cfg_ctx *ctx, const char *path, const char *as_written,
    const struct cfg_where *from)
{
	struct cfg_file	 f;
	struct stat	 st;
	char		 rp[PATH_MAX], why[160];
	const char	*verb = "read";

	memset(&f, 0, sizeof(f));
	f.path = cfg_intern(ctx->cfg, path);
	why[0] = '\0';
	if ((f.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		verb = "open";
		snprintf(why, sizeof(why), "%s", strerror(errno));
	} else if (fstat(f.fd, &st) == -1)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof(why), "it is %s, not a regular file",
		    file_kind_name(st.st_mode));
	if (why[0] != '\0') {
		if (from == NULL)
			cfg_error_at(ctx->cfg, NULL, "frontd: cannot %s %s: %s",
			    verb, path, why);
		else
			cfg_error_at(ctx->cfg, from,
			    "cannot %s include \"%s\": %s", verb, as_written,
			    why);
		if (f.fd != -1)
			close(f.fd);
		return -1;
	}
	if (from == NULL)
		ctx->cfg->opened = true;
	if (realpath(path, rp) != NULL)
		f.realpath = xstrdup(rp);
	f.buf = xmalloc(CFG_LINE_MAX + 3);
	f.in = xmalloc(CFG_READ_SIZE);
	f.parent = ctx->file;
	if (f.parent != NULL) {
		/* An included file starts in the section of its include. */
		f.section = f.parent->section;
		f.type = f.parent->type;
		f.bad_section = f.parent->bad_section;
	}
	ctx->file = &f;
	ctx->depth++;
	ini_parse_stream(cfg_read_line, ctx, cfg_handler, ctx);
	ctx->depth--;
	ctx->file = f.parent;
	close(f.fd);
	free(f.buf);
	free(f.in);
	free(f.stash);
	free(f.realpath);
	return 0;
}

/*
 * The next line of f into f->buf, without its newline and NUL-terminated:
 * returns its length, or -1 at the end of the file. Memory and time are
 * bounded whatever the file holds: a line longer than CFG_LINE_MAX (and
 * a '\r' before its newline) is read to its end but not kept, only
 * *toolong is set; and no more than CFG_FILE_MAX bytes of a file are
 * read. A read error or a file too large is reported here, at the line
 * where reading stopped, and ends the file.
 */
static ssize_t
cfg_getline(struct cfg_ctx *ctx, struct cfg_file *f, bool *toolong)
{
	size_t	 n = 0;
	bool	 any = false;
	ssize_t	 r;
	char	*nl;

	if (f->done)
		return -1;
	for (;;) {
		if (f->inpos == f->inlen) {
			r = read(f->fd, f->in, CFG_READ_SIZE);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1) {
				f->line++;
				cfg_error(ctx, "read error: %s",
				    strerror(errno));
				f->done = true;
				return -1;
			}
			if (r == 0) {
				f->done = true;
				if (!any)
					return -1;
				break;
			}
			f->inpos = 0;
			f->inlen = (size_t)r;
			f->nread += (uint64_t)r;
			if (f->nread > CFG_FILE_MAX) {
				f->line++;
				cfg_error(ctx, "file too large (more than %dM); "
				    "the rest is not read",
				    CFG_FILE_MAX / (1024 * 1024));
				f->done = true;
				return -1;
			}
		}
		any = true;
		r = (ssize_t)(f->inlen - f->inpos);
		nl = memchr(f->in + f->inpos, '\n', (size_t)r);
		if (nl != NULL)
			r = nl - (f->in + f->inpos);
		/* Room for the line and a '\r' before its newline. */
		if (!*toolong && n + (size_t)r <= CFG_LINE_MAX + 1) {
			memcpy(f->buf + n, f->in + f->inpos, (size_t)r);
			n += (size_t)r;
		} else
			*toolong = true;
		f->inpos += (size_t)r;
		if (nl != NULL) {
			f->inpos++;
			break;
		}
	}
	f->buf[n] = '\0';
	return (ssize_t)n;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * The ini_reader in front of inih: hands inih one line at a time, but
 * first counts it, checks its length and shape, and follows section
 * headers. A line we reject reaches inih as an empty line, so it is
 * reported once, by us, with its number.
 */
static char *
cfg_read_line(char *str, int num, void *stream)
{
	struct cfg_ctx	*ctx = stream;
	struct cfg_file	*f = ctx->file;
	ssize_t		 n;
	char		*s, *copy;
	size_t		 max = (size_t)num - 3;
	bool		 toolong = false;

	if ((n = cfg_getline(ctx, f, &toolong)) == -1)
		return NULL;
	f->line++;
	if (max > CFG_LINE_MAX)
		max = CFG_LINE_MAX;
	while (n > 0 && f->buf[n - 1] == '\r')
		f->buf[--n] = '\0';
	if (toolong || (size_t)n > CFG_LINE_MAX) {
		cfg_error(ctx, "line too long (more than %d bytes)",
		    CFG_LINE_MAX);
		goto empty;
	}
	if (memchr(f->buf, '\0', (size_t)n) != NULL) {
		cfg_error(ctx, "NUL byte in line");
		goto empty;
	}
	copy = xstrdup(f->buf);
	s = trim(copy);
	if (*s == '\0' || *s == ';' || *s == '#') {
		free(copy);
		goto pass;
	}
	if (*s == '[') {
		cfg_section_start(ctx, s);
		free(copy);
		goto empty;
	}
	{
		char *sep = strpbrk(s, "=:");

		if (sep == NULL || *sep != '=' || sep == s) {
			cfg_error(ctx,
			    "syntax error (expected [section] or key = value)");
			free(copy);
			goto empty;
		}
		/*
		 * Debian's inih reads at most 200 bytes a line. A longer
		 * line reaches it as "key = \001" and the handler takes the
		 * value from the stash, processed as inih would.
		 */
		if ((size_t)n > max) {
			char *v;

			*sep = '\0';
			if (strlen(trim(s)) + 8 > max) {
				cfg_error(ctx, "key name too long");
				free(copy);
				goto empty;
			}
			v = sep + 1;
			for (char *q = v; *q != '\0'; q++)
				if (*q == ';' && q > v && (q[-1] == ' ' ||
				    q[-1] == '\t')) {
					*q = '\0';
					break;
				}
			free(f->stash);
			f->stash = xstrdup(trim(v));
			snprintf(str, (size_t)num, "%s = \001\n", trim(s));
			free(copy);
			return str;
		}
	}
	free(copy);
pass:
	snprintf(str, (size_t)num, "%s\n", f->buf);
	return str;
empty:
	snprintf(str, (size_t)num, "\n");
	return str;
}

static void
cfg_section_start(struct cfg_ctx *ctx, char *s)
{
	struct config			*cfg = ctx->cfg;
	struct cfg_file			*f = ctx->file;
	const struct cfg_section_type	*t;
	struct cfg_section		*sec = NULL;
	char				*end, *kind, *name, label[300];
	size_t				 i;

	f->section = NULL;
	f->type = NULL;
	f->bad_section = true;
	end = strchr(s, ']');
	if (end == NULL) {
		cfg_error(ctx, "syntax error (expected [section] or key = value)");
		return;
	}
	*end++ = '\0';
	end = trim(end);
	if (*end != '\0' && *end != ';' && *end != '#') {
		cfg_error(ctx, "syntax error (expected [section] or key = value)");
		return;
	}
	kind = trim(s + 1);
	name = kind + strcspn(kind, " \t");
	if (*name != '\0') {
		*name++ = '\0';
		name = trim(name);
	}
	for (t = cfg_section_types; t->kind != NULL; t++)
		if (strcmp(t->kind, kind) == 0)
			break;
	if (t->kind == NULL) {
		if (*name != '\0')
			cfg_error(ctx, "unknown section [%s %s] (expected "
			    "global, listener, upstream or route)", kind, name);
		else
			cfg_error(ctx, "unknown section [%s] (expected "
			    "global, listener, upstream or route)", kind);
		return;
	}
	if (t->named && *name == '\0') {
		cfg_error(ctx, "[%s] needs a name, as in [%s NAME]", kind, kind);
		return;
	}
	if (!t->named && *name != '\0') {
		cfg_error(ctx, "[%s] takes no name", kind);
		return;
	}
	if (t->named && !cfg_valid_name(name)) {
		cfg_error(ctx, "bad section name \"%s\" (expected letters, "
		    "digits, \"_\", \"-\" or \".\")", name);
		return;
	}

	/* Find a duplicate, then create. */
	if (strcmp(kind, "global") == 0) {
		if (cfg->global.sec.where.file != NULL) {
			cfg_error(ctx, "duplicate section [global] (first at "
			    "%s:%d)", cfg->global.sec.where.file,
			    cfg->global.sec.where.line);
			return;
		}
		sec = &cfg->global.sec;
	} else {
		void	***list;
		size_t	  *n, size;

		if (strcmp(kind, "listener") == 0) {
			list = (void ***)&cfg->listeners;
			n = &cfg->nlisteners;
			size = sizeof(struct cfg_listener);
		} else if (strcmp(kind, "upstream") == 0) {
			list = (void ***)&cfg->upstreams;
			n = &cfg->nupstreams;
			size = sizeof(struct cfg_upstream);
		} else {
			list = (void ***)&cfg->routes;
			n = &cfg->nroutes;
			size = sizeof(struct cfg_route);
		}
		for (i = 0; i < *n; i++) {
			struct cfg_section *o = (*list)[i];

			if (strcmp(o->name, name) == 0) {
				cfg_error(ctx, "duplicate section %s (first at "
				    "%s:%d)", cfg_section_label(o, label,
				    sizeof(label)), o->where.file,
				    o->where.line);
				return;
			}
		}
		sec = xcalloc(1, size);
		sec->kind = t->kind;
		sec->name = xstrdup(name);
		*list = xrealloc(*list, *n + 1, sizeof(void *));
		(*list)[(*n)++] = sec;
		if (strcmp(kind, "listener") == 0) {
			struct cfg_listener *li = (struct cfg_listener *)sec;

			li->backlog = 511;
			li->tls_min = TLS1_2_VERSION;
			li->tls_max = TLS1_3_VERSION;
			li->tls_session_tickets = li->tls_session_cache = true;
		}
		else if (strcmp(kind, "route") == 0) {
			struct cfg_route *r = (struct cfg_route *)sec;

			r->upstream = -1;
			r->x_forwarded_for = r->x_forwarded_proto = true;
			r->x_forwarded_host = r->x_real_ip = r->via = true;
			r->tunnel_timeout_ms = 3600 * 1000;
			r->upgrade = xcalloc(1, sizeof(char *));
			r->upgrade[r->nupgrade++] = xstrdup("websocket");
			r->rewrite_location = true;
			r->compress_min_length = 256;
			r->gzip_level = 5;
			r->brotli_quality = 4;
			r->cache_head = true;
			for (size_t dt = 0; default_compress_types[dt] != NULL;
			    dt++) {
				r->compress_types = xrealloc(r->compress_types,
				    r->ncompress_types + 1, sizeof(char *));
				r->compress_types[r->ncompress_types++] =
				    xstrdup(default_compress_types[dt]);
			}
		} else {
			struct cfg_upstream *u = (struct cfg_upstream *)sec;

			u->keepalive = 32;
			u->keepalive_timeout_ms = 60 * 1000;
			u->connect_timeout_ms = 10 * 1000;
			/*
			 * A server that takes a request and never answers
			 * costs its client header_timeout, then the request
			 * goes elsewhere: retry_timeout leaves room for that.
			 */
			u->header_timeout_ms = 15 * 1000;
			u->read_timeout_ms = 60 * 1000;
			u->send_timeout_ms = 60 * 1000;
			u->retries = 2;
			u->retry_timeout_ms = 30 * 1000;
			u->expect_lo = 200;
			u->expect_hi = 399;
			u->check_interval_ms = 5 * 1000;
			u->check_timeout_ms = 2 * 1000;
			u->rise = 2;
			u->fall = 3;
			u->max_fails = 1;
			u->fail_timeout_ms = 10 * 1000;
			u->tls_verify = u->tls_sni = true;
		}
	}
	sec->where = cfg_ctx_where(ctx);
	f->section = sec;
	f->type = t;
	f->bad_section = false;
}

static const struct cfg_key *
find_key(const struct cfg_key *keys, const char *name, int *idx)
{
	for (int i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, name) == 0) {
			*idx = i;
			return &keys[i];
		}
	return NULL;
}

static const char *
near_key(const struct cfg_key *keys, const char *name)
{
	const char	*best = NULL;
	int		 bestd = 3, d;

	for (int i = 0; keys[i].name != NULL; i++) {
		d = cfg_edit_distance(keys[i].name, name);
		if (d < bestd && d <= (int)strlen(keys[i].name) / 2) {
			bestd = d;
			best = keys[i].name;
		}
	}
	return best;
}

static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfg_ctx		*ctx = user;
	struct cfg_file		*f = ctx->file;
	const struct cfg_key	*k;
	struct cfg_section	*sec = f->section;
	char			 label[300];
	const char		*hint;
	int			 idx;
	enum cfg_set_result	 r;

	(void)section;
	if (strcmp(value, "\001") == 0 && f->stash != NULL)
		value = f->stash;
	if (strcmp(name, "include") == 0) {
		if (*value == '\0')
			cfg_error(ctx, "bad include \"\" (expected a path or "
			    "glob pattern)");
		else
			cfg_include(ctx, value);
		return 1;
	}
	if (f->bad_section)
		return 1;
	if (sec == NULL) {
		cfg_error(ctx, "key \"%s\" outside any section", name);
		return 1;
	}
	cfg_section_label(sec, label, sizeof(label));
	if ((k = find_key(f->type->keys, name, &idx)) == NULL) {
		if ((hint = near_key(f->type->keys, name)) != NULL)
			cfg_error(ctx, "unknown key \"%s\" in %s (did you mean "
			    "\"%s\"?)", name, label, hint);
		else
			cfg_error(ctx, "unknown key \"%s\" in %s", name, label);
		return 1;
	}
	if (k->kind == CFG_ONE && sec->seen[idx].file != NULL) {
		cfg_error(ctx, "\"%s\" given twice in %s (first at %s:%d)",
		    name, label, sec->seen[idx].file, sec->seen[idx].line);
		return 1;
	}
	if (sec->seen[idx].file == NULL)
		sec->seen[idx] = cfg_ctx_where(ctx);
	ctx->key = k;
	r = k->type == CFG_T_FN ? k->set(ctx, sec, value) :
	    cfg_set_field(k, sec, value);
	if (r == CFG_BAD) {
		if (k->expect != NULL)
			cfg_error(ctx, "bad %s \"%s\" in %s (expected %s)",
			    name, value, label, k->expect);
		else
			cfg_error(ctx, "bad %s \"%s\" in %s", name, value,
			    label);
	}
	ctx->key = NULL;
	return 1;
}

/* Typed rows. */

/* Stores a number already within the row's bounds in a field of size. */
static void
store_number(void *field, size_t size, uint64_t n)
{
	uint32_t	n32 = (uint32_t)n;

	if (size == sizeof(n32))
		memcpy(field, &n32, size);
	else if (size == sizeof(n))
		memcpy(field, &n, size);
	else
		abort();	/* a row of the wrong size: t/unit/config */
}

/*
 * The setter of every typed row: parses value as the row's type, checks
 * its bounds, and stores it in the field of obj the row names.
 */
enum cfg_set_result
cfg_set_field(const struct cfg_key *k, void *obj, const char *v)
{
	char		*field = (char *)obj + k->off;
	long		 n;
	int64_t		 ms;
	uint64_t	 bytes;
	int		 i;

	switch (k->type) {
	case CFG_T_BOOL:
		if (k->size != sizeof(bool))
			abort();
		return cfg_parse_bool(v, (bool *)field) == 0 ? CFG_OK : CFG_BAD;
	case CFG_T_INT:
		if (cfg_parse_int(v, (long)k->min, (long)k->max, &n) == -1)
			return CFG_BAD;
		store_number(field, k->size, (uint64_t)n);
		return CFG_OK;
	case CFG_T_DURATION:
		if (cfg_parse_duration(v, &ms) == -1 || ms < k->min ||
		    (k->max != 0 && ms > k->max))
			return CFG_BAD;
		store_number(field, k->size, (uint64_t)ms);
		return CFG_OK;
	case CFG_T_SIZE:
		if (cfg_parse_size(v, &bytes) == -1 ||
		    bytes < (uint64_t)k->min ||
		    (k->max != 0 && bytes > (uint64_t)k->max))
			return CFG_BAD;
		store_number(field, k->size, bytes);
		return CFG_OK;
	case CFG_T_ENUM:
		if ((i = cfg_parse_enum(v, k->names)) == -1)
			return CFG_BAD;
		store_number(field, k->size, (uint64_t)i);
		return CFG_OK;
	case CFG_T_PATH:
		if (*v != '/')
			return CFG_BAD;
		/* FALLTHROUGH */
	case CFG_T_STR:
		if (k->size != sizeof(char *))
			abort();
		return cfg_set_str((char **)field, v);
	case CFG_T_FN:
		break;
	}
	abort();
}

/* Replaces a string of the config; an empty value is refused. */
enum cfg_set_result
cfg_set_str(char **dst, const char *value)
{
	if (*value == '\0')
		return CFG_BAD;
	free(*dst);
	*dst = xstrdup(value);
	return CFG_OK;
}

static bool
in_include_chain(struct cfg_file *f, const char *rp)
{
	for (; f != NULL; f = f->parent)
		if (f->realpath != NULL && strcmp(f->realpath, rp) == 0)
			return true;
	return false;
}

static void
cfg_include(struct cfg_ctx *ctx, const char *pattern)
{
	struct cfg_where	 here = cfg_ctx_where(ctx);
	char			*full, *dir, *slash, rp[PATH_MAX];
	glob_t			 g;
	int			 r;

	if (pattern[0] == '/')
		full = xstrdup(pattern);
	else {
		dir = xstrdup(ctx->file->path);
		if ((slash = strrchr(dir, '/')) == NULL)
			full = xstrdup(pattern);
		else {
			slash[1] = '\0';
			full = xasprintf("%s%s", dir, pattern);
		}
		free(dir);
	}
	if (ctx->depth >= CFG_INCLUDE_DEPTH) {
		cfg_error(ctx, "include \"%s\" nested too deep (more than %d "
		    "levels)", pattern, CFG_INCLUDE_DEPTH);
		free(full);
		return;
	}
	if (strpbrk(full, "*?[") == NULL) {
		/* A plain path must exist. */
		if (realpath(full, rp) != NULL &&
		    in_include_chain(ctx->file, rp))
			cfg_error(ctx, "include \"%s\" includes itself",
			    pattern);
		else
			cfg_parse_file(ctx, full, pattern, &here);
		free(full);
		return;
	}
	r = glob(full, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		free(full);
		return;
	}
	if (r != 0) {
		cfg_error(ctx, "cannot read include \"%s\": %s", pattern,
		    strerror(errno));
		free(full);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;

		if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		if (realpath(g.gl_pathv[i], rp) != NULL &&
		    in_include_chain(ctx->file, rp)) {
			cfg_error(ctx, "include \"%s\" includes itself",
			    pattern);
			continue;
		}
		cfg_parse_file(ctx, g.gl_pathv[i], g.gl_pathv[i], &here);
	}
	globfree(&g);
	free(full);
}

/* Where a key of a section was first given, or NULL if it was not. */
const struct cfg_where *
cfg_key_where(const struct cfg_section *sec, const char *key)
{
	for (const struct cfg_section_type *t = cfg_section_types;
	    t->kind != NULL; t++) {
		if (strcmp(t->kind, sec->kind) != 0)
			continue;
		for (int i = 0; t->keys[i].name != NULL; i++)
			if (strcmp(t->keys[i].name, key) == 0)
				return sec->seen[i].file != NULL ?
				    &sec->seen[i] : NULL;
	}
	return NULL;
}

static int
ring_cmp(const void *a, const void *b)
{
	const struct cfg_ring_point	*x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->server < y->server ? -1 : x->server > y->server;
}

/*
 * The consistent hash ring of a hash balancer: RING_POINTS points per unit
 * of weight for each primary server, placed by the hash of "HOST:PORT#i",
 * so a server keeps its points whatever else is listed and adding one
 * moves only the keys that now land on it.
 */
#define RING_POINTS	160

static void
ring_build(struct cfg_upstream *u)
{
	size_t	n = 0;
	char	key[300];

	for (size_t j = 0; j < u->nservers; j++)
		if (!u->servers[j].backup)
			n += (size_t)u->servers[j].weight * RING_POINTS;
	u->ring = xcalloc(n ? n : 1, sizeof(*u->ring));
	for (size_t j = 0; j < u->nservers; j++) {
		const struct cfg_server *sv = &u->servers[j];

		if (sv->backup)
			continue;
		for (int i = 0; i < sv->weight * RING_POINTS; i++) {
			int len = snprintf(key, sizeof(key), "%s#%d", sv->spec,
			    i);

			u->ring[u->nring].hash = hash32(key, (size_t)len);
			u->ring[u->nring++].server = (uint32_t)j;
		}
	}
	qsort(u->ring, u->nring, sizeof(*u->ring), ring_cmp);
}

/*
 * A server that accepts a request and never answers is given up on after
 * the shorter of upstream_header_timeout and upstream_read_timeout; if
 * retry_timeout is over by then, its requests are never tried elsewhere.
 */
static void
check_upstream_timeouts(struct config *cfg, struct cfg_upstream *u,
    const char *label)
{
	const struct cfg_where	*w;
	int64_t			 head = u->header_timeout_ms;
	char			 a[32], b[32];

	if (u->read_timeout_ms < head)
		head = u->read_timeout_ms;
	if (u->nservers < 2 || u->retries == 0 || u->retry_timeout_ms == 0 ||
	    head < u->retry_timeout_ms)
		return;
	if ((w = cfg_key_where(&u->sec, "retry_timeout")) == NULL &&
	    (w = cfg_key_where(&u->sec, "upstream_header_timeout")) == NULL &&
	    (w = cfg_key_where(&u->sec, "upstream_read_timeout")) == NULL)
		w = &u->sec.where;
	fmt_duration(a, sizeof(a), head);
	fmt_duration(b, sizeof(b), u->retry_timeout_ms);
	cfg_warn_at(cfg, w, "warning: %s waits %s for a response head, not "
	    "less than its retry_timeout (%s): a request to a server that "
	    "does not answer is never tried on another", label, a, b);
}

static void
check_upstream(struct config *cfg, struct cfg_upstream *u)
{
	char	label[300];
	size_t	nprimary = 0;

	cfg_section_label(&u->sec, label, sizeof(label));
	if (u->nservers == 0) {
		cfg_error_at(cfg, &u->sec.where, "%s has no server", label);
		return;
	}
	for (size_t j = 0; j < u->nservers; j++) {
		if (u->servers[j].backup)
			u->has_backup = true;
		else
			nprimary++;
		if (u->servers[j].down && u->servers[j].drain)
			cfg_error_at(cfg, &u->servers[j].where, "server %s in "
			    "%s is both down and drain", u->servers[j].spec,
			    label);
	}
	if (nprimary == 0)
		cfg_error_at(cfg, &u->sec.where, "%s has only backup servers",
		    label);
	if (u->hash_var != VAR_NONE && !u->balance_set)
		u->balance = BALANCE_HASH;
	if (u->balance == BALANCE_HASH && u->hash_var == VAR_NONE)
		cfg_error_at(cfg, &u->sec.where, "%s has balance = hash but "
		    "no hash key (hash = $request_uri, for example)", label);
	if (u->hash_var != VAR_NONE && u->balance != BALANCE_HASH)
		cfg_error_at(cfg, &u->hash_where, "hash in %s needs balance = "
		    "hash", label);
	if (u->check == CHECK_HTTP && u->expect_body != NULL &&
	    strcmp(u->check_method, "HEAD") == 0)
		cfg_error_at(cfg, &u->sec.where, "health_expect in %s looks "
		    "for body text, but HEAD answers have no body", label);
	if (u->balance == BALANCE_HASH || u->balance == BALANCE_IP_HASH)
		ring_build(u);
	check_upstream_timeouts(cfg, u, label);
	if (u->tls)
		tls_upstream_load(cfg, u);
	else {
		static const char *const tls_only[] = { "tls_verify",
		    "tls_ca_file", "tls_name", "tls_sni", "tls_certificate",
		    "tls_certificate_key", NULL };
		const struct cfg_where *w;

		for (int i = 0; tls_only[i] != NULL; i++)
			if ((w = cfg_key_where(&u->sec, tls_only[i])) != NULL)
				cfg_error_at(cfg, w, "%s in %s needs tls = on",
				    tls_only[i], label);
	}
}

static void
check_listener_tls(struct config *cfg, struct cfg_listener *li)
{
	static const char *const tls_only[] = { "certificate",
	    "certificate_key", "tls_protocols", "tls_ciphers",
	    "tls_ciphersuites", "tls_curves", "tls_session_tickets",
	    "tls_session_cache", "tls_ticket_key_file", "tls_ocsp_staple_file",
	    "tls_client_ca", "tls_verify_client", "hsts", NULL };
	const struct cfg_where	*w;
	char			 label[300];

	cfg_section_label(&li->sec, label, sizeof(label));
	if (!li->tls) {
		/* A TLS setting on a plain listener is a mistake, not a no-op. */
		for (int i = 0; tls_only[i] != NULL; i++)
			if ((w = cfg_key_where(&li->sec, tls_only[i])) != NULL)
				cfg_error_at(cfg, w, "%s in %s needs tls = on",
				    tls_only[i], label);
		return;
	}
	if ((w = cfg_key_where(&li->sec, "redirect_to_https")) != NULL &&
	    li->redirect_to_https)
		cfg_error_at(cfg, w, "redirect_to_https in %s is for a listener "
		    "without tls", label);
	if (li->tls_verify_client != VERIFY_OFF && li->tls_client_ca == NULL)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "tls_verify_client"),
		    "tls_verify_client in %s needs tls_client_ca", label);
	li->tls_server = tls_server_load(cfg, li);
}

static void
check_route(struct config *cfg, struct cfg_route *r, const char *label)
{
	if (r->nactions == 0) {
		cfg_error_at(cfg, &r->sec.where, "%s has no upstream, redirect, "
		    "return or metrics", label);
		return;
	}
	if (r->nactions > 1) {
		cfg_error_at(cfg, &r->action_where, "%s has more than one of "
		    "upstream, redirect, return and metrics", label);
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
			    "in %s is not defined", r->listener_names[j], label);
		else if (l >= CFG_LISTENERS_MAX)
			cfg_error_at(cfg, &r->listener_where, "listener \"%s\" "
			    "in %s: routes can name only the first %d "
			    "listeners", r->listener_names[j], label,
			    CFG_LISTENERS_MAX);
		else
			r->listeners |= UINT64_C(1) << l;
	}
	if (!r->cc_targets_set) {
		strcpy(r->cc_targets[0], "cdn-cache-control");
		r->ncc_targets = 1;
	}
	if (r->cache_key.nparts == 0) {
		char err[100];

		tpl_parse(&r->cache_key, "$scheme://$authority$request_uri", false,
		    err, sizeof(err));
	}
	if (r->cache && cfg->global.cache_size == 0)
		cfg_error_at(cfg, cfg_key_where(&r->sec, "cache"), "cache = on "
		    "in %s needs cache_size in [global]", label);
	if (r->action != ACTION_PROXY) {
		/* What shapes a proxied request or response does nothing on
		 * frontd's own answers: a mistake, not a no-op. */
		static const char *const proxy_only[] = { "strip_prefix",
		    "add_prefix", "rewrite", "set_request_header",
		    "remove_request_header", "remove_response_header",
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
		    [ACTION_RETURN] = "return", [ACTION_METRICS] = "metrics" };
		const struct cfg_where *w;

		for (int i = 0; proxy_only[i] != NULL; i++)
			if ((w = cfg_key_where(&r->sec, proxy_only[i])) !=
			    NULL)
				cfg_error_at(cfg, w, "%s in %s does nothing on "
				    "a route with %s: it is for a route with an "
				    "upstream", proxy_only[i], label,
				    action_names[r->action]);
		return;
	}
	r->upstream = config_upstream_index(cfg, r->upstream_name);
	if (r->upstream == -1)
		cfg_error_at(cfg, &r->upstream_where, "upstream \"%s\" in %s "
		    "is not defined", r->upstream_name, label);
}

/* Second pass: names and combinations. */
static void
cfg_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;
	struct cfg_where	 top = { cfg->path, 0 };
	char			 label[300], a[ADDR_STRLEN];
	size_t			 i, j, k, l;

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

	if (cfg->nlisteners == 0)
		cfg_error_at(cfg, &top, "no [listener] defined");
	for (i = 0; i < cfg->nlisteners; i++) {
		struct cfg_listener *li = cfg->listeners[i];

		if (li->naddrs == 0 && !li->addr_refused)
			cfg_error_at(cfg, &li->sec.where, "%s has no address",
			    cfg_section_label(&li->sec, label, sizeof(label)));
		for (j = 0; j < li->naddrs; j++) {
			/* Compare with every earlier address. */
			for (k = 0; k <= i; k++) {
				struct cfg_listener *o = cfg->listeners[k];
				size_t lim = k == i ? j : o->naddrs;

				for (l = 0; l < lim; l++) {
					if (!addr_equal(&o->addrs[l],
					    &li->addrs[j]))
						continue;
					char olabel[300];

					addr_format(&li->addrs[j], a, sizeof(a));
					cfg_section_label(&o->sec, olabel,
					    sizeof(olabel));
					cfg_error_at(cfg, &li->addr_where[j],
					    "address %s in %s is already used "
					    "by %s (%s:%d)", a,
					    cfg_section_label(&li->sec, label,
					    sizeof(label)), k == i ? "the same "
					    "listener" : olabel,
					    o->addr_where[l].file,
					    o->addr_where[l].line);
					goto next_addr;
				}
			}
next_addr:		;
		}
		check_listener_tls(cfg, li);
	}
	for (i = 0, k = 0; i < cfg->nupstreams; i++) {
		struct cfg_upstream *u = cfg->upstreams[i];

		u->slot0 = k;
		k += u->nservers;
		check_upstream(cfg, u);
	}
	for (i = 0; i < cfg->nroutes; i++) {
		struct cfg_route *r = cfg->routes[i];

		cfg_section_label(&r->sec, label, sizeof(label));
		check_route(cfg, r, label);
	}
	check_dead_routes(cfg);
	/* Only of a configuration that is otherwise fine: noise beside
	 * errors (a route whose upstream line is wrong uses none). */
	for (i = 0; cfg->nerrors == 0 && i < cfg->nupstreams; i++) {
		for (j = 0; j < cfg->nroutes; j++)
			if (cfg->routes[j]->action == ACTION_PROXY &&
			    cfg->routes[j]->upstream == (int)i)
				break;
		if (j == cfg->nroutes)
			cfg_warn_at(cfg, &cfg->upstreams[i]->sec.where,
			    "warning: %s is not used by any route",
			    cfg_section_label(&cfg->upstreams[i]->sec, label,
			    sizeof(label)));
	}
	if (cfg->nerrors == 0)
		cfg->router = router_build(cfg);
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
