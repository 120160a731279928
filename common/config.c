/*
 * Loads a configuration generation from INI files: the generic part. Each
 * section kind's keys, defaults and checks are in its own file
 * (config_global.c, config_listener.c, config_upstream.c, config_route.c
 * with config_route_check.c), the setters they share in config_set.c;
 * here are the reader, includes, sections, the dispatch of a key to its
 * section's table, the order of the checks, freeing.
 *
 * inih does the tokenising; our own reader in front of it counts lines,
 * tracks sections (Debian's inih passes no line numbers and does not
 * report empty sections), refuses over-long lines instead of letting them
 * be split, and catches syntax errors, so every message can say
 * file:line. Loading keeps going after an error and collects all of them;
 * nothing outside the new struct config is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
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
#include "common/htpasswd.h"
#include "common/route.h"
#include "common/util.h"

/* One file being read; files nest through include. */
struct cfg_file {
	int			 fd;
	const char		*path;		/* interned */
	char			*realpath;
	int			 line;
	struct cfg_section	*section;	/* NULL: outside any section */
	const struct cfg_section_type *type;
	bool			 bad_section;	/* bad header: skip keys */
	struct cfg_file		*parent;
	char			*buf;		/* the line: CFG_LINE_MAX + 2 */
	char			*in;		/* read ahead: CFG_READ_SIZE */
	size_t			 inpos, inlen;
	uint64_t		 nread;		/* bytes, up to CFG_FILE_MAX */
	bool			 done;		/* end, error or too large */
	char			*stash;		/* a line too long for inih */
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
static const char *cfg_intern(struct config *, const char *);
static void	 cfg_raw_add(struct cfg_section *, int, const char *);
static void	 cfg_raw_free(struct cfg_section *);

/*
 * "include" is valid anywhere, before any section too; cfg_handler() takes
 * it before looking at the section's table. Listed here for the man page test.
 */
const struct cfg_key cfg_anywhere_keys[] = {
	{ "include", CFG_LIST, CFG_T_FN, .expect = "a path or glob pattern" },
	{ NULL }
};

const struct cfg_section_type cfg_section_types[] = {
	{ "global", false, cfg_global_keys },
	{ "listener", true, cfg_listener_keys },
	{ "upstream", true, cfg_upstream_keys },
	{ "route", true, cfg_route_keys },
	{ NULL }
};

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
	cfg_global_init(&cfg->global);

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

void
config_free(struct config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	cfg_raw_free(&cfg->global.sec);
	cfg_global_free(&cfg->global);
	for (i = 0; i < cfg->nlisteners; i++) {
		cfg_raw_free(&cfg->listeners[i]->sec);
		cfg_fields_free(cfg->listeners[i], cfg->nroutes);
		cfg_listener_free(cfg->listeners[i]);
	}
	cfg_fields_preset_free(cfg);
	for (i = 0; i < cfg->nupstreams; i++) {
		cfg_raw_free(&cfg->upstreams[i]->sec);
		cfg_upstream_free(cfg->upstreams[i]);
	}
	for (i = 0; i < cfg->nroutes; i++) {
		cfg_raw_free(&cfg->routes[i]->sec);
		cfg_route_free(cfg->routes[i]);
	}
	router_free(cfg->router);
	for (i = 0; i < cfg->nhtpasswds; i++)
		htpasswd_free(cfg->htpasswds[i]);
	free(cfg->htpasswds);
	free(cfg->listeners);
	free(cfg->upstreams);
	free(cfg->routes);
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
				cfg_error(ctx, "file too large (more than "
				    "%dM); the rest is not read",
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
		cfg_error(ctx, "syntax error (expected [section] or "
		    "key = value)");
		return;
	}
	*end++ = '\0';
	end = trim(end);
	if (*end != '\0' && *end != ';' && *end != '#') {
		cfg_error(ctx, "syntax error (expected [section] or "
		    "key = value)");
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
		cfg_error(ctx, "[%s] needs a name, as in [%s NAME]", kind,
		    kind);
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
		if (strcmp(kind, "listener") == 0)
			cfg_listener_init((struct cfg_listener *)sec);
		else if (strcmp(kind, "upstream") == 0)
			cfg_upstream_init((struct cfg_upstream *)sec);
		else
			cfg_route_init((struct cfg_route *)sec);
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
	cfg_raw_add(sec, idx, value);
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

/*
 * The text of each value as written, kept so that a reload can tell what
 * changed and show it (config_diff.c); a list key's values one a line.
 */
static void
cfg_raw_add(struct cfg_section *sec, int idx, const char *value)
{
	char	*old = sec->raw[idx];

	if (old == NULL)
		sec->raw[idx] = xstrdup(value);
	else {
		sec->raw[idx] = xasprintf("%s\n%s", old, value);
		free(old);
	}
}

static void
cfg_raw_free(struct cfg_section *sec)
{
	for (int i = 0; i < CFG_MAX_KEYS; i++)
		free(sec->raw[i]);
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

/*
 * Second pass: names and combinations, section by section; the routes
 * need the listeners and upstreams checked, and the router all of them.
 */
static void
cfg_check(struct config *cfg)
{
	cfg_global_check(cfg);
	cfg_listener_check(cfg);
	cfg_upstream_check(cfg);
	cfg_route_check(cfg);
	cfg_auth_check(cfg);
	cfg_upstream_check_used(cfg);
	cfg_limits_check(cfg);
	if (cfg->nerrors == 0) {
		cfg->router = router_build(cfg);
		cfg_fields_build(cfg);
	}
}

