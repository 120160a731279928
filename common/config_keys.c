/*
 * The key tables: one per section kind, read by the loader, by -t and by
 * the man page test (t/man-directives.t greps the names out of this file).
 * A setter parses one value into the section object; it returns CFG_BAD for
 * the generic "bad KEY "VALUE" in [SECTION] (expected ...)" message, or
 * reports something more precise itself and returns CFG_REPORTED.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/tpl.h"
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
g_error_log(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (*v != '/' && strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0)
		return CFG_BAD;
	return set_str(&((struct cfg_global *)obj)->error_log, v);
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

/* One or several addresses or networks per line, added to a list. */
static enum cfg_set_result
cidr_list_add(const char *v, struct cidr **list, size_t *n)
{
	struct cidr		 c;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 r = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (cidr_parse(&c, tok) == -1) {
			r = CFG_BAD;
			break;
		}
		*list = xrealloc(*list, *n + 1, sizeof(c));
		(*list)[(*n)++] = c;
	}
	free(copy);
	return r;
}

static enum cfg_set_result
g_trusted_proxies(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_global	*g = obj;

	return cidr_list_add(v, &g->trusted_proxies, &g->ntrusted_proxies);
}

/*
 * Reads a page the configuration names (error_page, return): by the
 * master, at load time, so a missing file is a load error and workers
 * never touch the disk. Opened with O_NONBLOCK, so that a FIFO is refused
 * like any file that is not regular, rather than block the master.
 */
static int
read_small_file(struct cfg_ctx *ctx, const char *path, const char *what,
    char **body, size_t *len)
{
	FILE		*fp = NULL;
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > 1024 * 1024 || (fp = fdopen(fd, "r")) == NULL) {
		cfg_error(ctx, "cannot use %s file %s: %s", what, path,
		    fd == -1 ? strerror(errno) : "not a regular file of "
		    "at most 1M");
		if (fd != -1)
			close(fd);
		return -1;
	}
	*body = xmalloc((size_t)st.st_size + 1);
	*len = fread(*body, 1, (size_t)st.st_size, fp);
	fclose(fp);
	return 0;
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
	if (read_small_file(ctx, path, "error_page", &body, &len) == -1) {
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
	char			 err[128], label[300];

	if (addr_parse(&a, v, false, err, sizeof(err)) == -1) {
		li->addr_refused = true;
		if (err[0] == '\0')
			return CFG_BAD;
		cfg_error(ctx, "bad address \"%s\" in %s: %s", v,
		    cfg_section_label(&li->sec, label, sizeof(label)), err);
		return CFG_REPORTED;
	}
	li->addrs = xrealloc(li->addrs, li->naddrs + 1, sizeof(*li->addrs));
	li->addr_where = xrealloc(li->addr_where, li->naddrs + 1,
	    sizeof(*li->addr_where));
	li->addrs[li->naddrs] = a;
	li->addr_where[li->naddrs++] = cfg_ctx_where(ctx);
	return CFG_OK;
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
	return set_str(&r->upstream_name, v);
}

/* ---------------------------------------------------------- upstreams --- */

/* "HOST:PORT [weight=N] [max_conns=N] [backup] [down] [drain]" */
static enum cfg_set_result
u_server(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	struct cfg_server	 s;
	char			 err[256], label[300];
	char			*copy = xstrdup(v), *tok, *save = NULL;
	long			 n;

	memset(&s, 0, sizeof(s));
	s.weight = 1;
	cfg_section_label(&u->sec, label, sizeof(label));
	if ((tok = strtok_r(copy, " \t", &save)) == NULL) {
		free(copy);
		return CFG_BAD;
	}
	if (addr_parse(&s.addr, tok, true, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			cfg_error(ctx, "bad server \"%s\" in %s (expected "
			    "HOST:PORT)", tok, label);
		else
			cfg_error(ctx, "bad server \"%s\" in %s: %s", tok,
			    label, err);
		free(copy);
		return CFG_REPORTED;
	}
	s.spec = xstrdup(tok);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strncmp(tok, "weight=", 7) == 0 &&
		    cfg_parse_int(tok + 7, 1, 1000, &n) == 0)
			s.weight = (int)n;
		else if (strncmp(tok, "max_conns=", 10) == 0 &&
		    cfg_parse_int(tok + 10, 0, 1000000, &n) == 0)
			s.max_conns = (int)n;
		else if (strcmp(tok, "backup") == 0)
			s.backup = true;
		else if (strcmp(tok, "down") == 0)
			s.down = true;
		else if (strcmp(tok, "drain") == 0)
			s.drain = true;
		else {
			cfg_error(ctx, "bad server option \"%s\" in %s "
			    "(expected weight=1..1000, max_conns=N, backup, "
			    "down or drain)", tok, label);
			free(s.spec);
			free(copy);
			return CFG_REPORTED;
		}
	}
	free(copy);
	for (size_t i = 0; i < u->nservers; i++)
		if (strcmp(u->servers[i].spec, s.spec) == 0) {
			cfg_error(ctx, "server %s listed twice in %s (first at "
			    "%s:%d)", s.spec, label, u->servers[i].where.file,
			    u->servers[i].where.line);
			free(s.spec);
			return CFG_REPORTED;
		}
	s.where = cfg_ctx_where(ctx);
	u->servers = xrealloc(u->servers, u->nservers + 1, sizeof(s));
	u->servers[u->nservers++] = s;
	return CFG_OK;
}

static enum cfg_set_result
u_balance(struct cfg_ctx *ctx, void *obj, const char *v)
{
	static const char *const names[] = { "round_robin", "least_conn",
	    "ip_hash", "hash", "random", NULL };
	struct cfg_upstream	*u = obj;
	int			 i;

	if ((i = cfg_parse_enum(v, names)) == -1)
		return CFG_BAD;
	u->balance = (enum cfg_balance)i;
	u->balance_set = true;
	return CFG_OK;
}

static enum cfg_set_result
u_hash(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	struct cfg_tpl_part	 p;
	size_t			 n;

	if (*v != '$' || (n = tpl_var_parse(v, false, &p)) == 0 ||
	    v[n] != '\0' || p.var == VAR_SCHEME)
		return CFG_BAD;
	u->hash_var = p.var;
	free(u->hash_name);
	u->hash_name = p.text;
	u->hash_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

/* "GET /healthz", "HEAD /path" or "tcp" */
static enum cfg_set_result
u_health_check(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	const char		*sp;

	if (strcmp(v, "tcp") == 0) {
		u->check = CHECK_TCP;
		return CFG_OK;
	}
	if ((strncmp(v, "GET ", 4) != 0 && strncmp(v, "HEAD ", 5) != 0))
		return CFG_BAD;
	sp = strchr(v, ' ');
	while (*sp == ' ')
		sp++;
	if (*sp != '/')
		return CFG_BAD;
	for (const char *p = sp; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return CFG_BAD;
	u->check = CHECK_HTTP;
	free(u->check_method);
	free(u->check_path);
	u->check_method = xstrdup(v[0] == 'G' ? "GET" : "HEAD");
	u->check_path = xstrdup(sp);
	return CFG_OK;
}

/* "200-399", "204", or a body substring. */
static enum cfg_set_result
u_health_expect(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	long			 lo, hi;
	char			 a[4], b[4];

	if (strlen(v) == 3 && cfg_parse_int(v, 100, 599, &lo) == 0) {
		u->expect_lo = u->expect_hi = (int)lo;
		return CFG_OK;
	}
	if (strlen(v) == 7 && v[3] == '-') {
		memcpy(a, v, 3);
		a[3] = '\0';
		memcpy(b, v + 4, 3);
		b[3] = '\0';
		if (cfg_parse_int(a, 100, 599, &lo) == 0 &&
		    cfg_parse_int(b, 100, 599, &hi) == 0 && lo <= hi) {
			u->expect_lo = (int)lo;
			u->expect_hi = (int)hi;
			return CFG_OK;
		}
		return CFG_BAD;
	}
	return set_str(&u->expect_body, v);
}

static enum cfg_set_result
u_health_host(struct cfg_ctx *ctx, void *obj, const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '@')
			return CFG_BAD;
	return set_str(&((struct cfg_upstream *)obj)->check_host, v);
}

/* ------------------------------------------------------------- routes --- */

static bool
valid_host_name(const char *h)
{
	size_t	len = strlen(h);

	if (len == 0 || len > 253)
		return false;
	/* An IPv6 address, bracketed as in a Host header. */
	if (h[0] == '[') {
		if (h[len - 1] != ']')
			return false;
		for (const char *p = h + 1; p < h + len - 1; p++)
			if (!(isxdigit((unsigned char)*p) || *p == ':' ||
			    *p == '.'))
				return false;
		return true;
	}
	/* No port: requests are matched on the name alone. */
	for (const char *p = h; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' ||
		    *p == '_'))
			return false;
	return true;
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
		if (!(strncmp(tok, "*.", 2) == 0 ? valid_host_name(tok + 2) &&
		    strchr(tok + 2, '*') == NULL : valid_host_name(tok))) {
			res = CFG_BAD;
			break;
		}
		r->hosts = xrealloc(r->hosts, r->nhosts + 1, sizeof(char *));
		r->hosts[r->nhosts++] = xstrdup(tok);
	}
	free(copy);
	return r->nhosts == 0 ? CFG_BAD : res;
}

static void *
regex_compile(struct cfg_ctx *ctx, const char *re, bool icase,
    const char *what)
{
	pcre2_code	*code;
	int		 errcode;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[160];

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    icase ? PCRE2_CASELESS : 0, &errcode, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		cfg_error(ctx, "bad regular expression in %s \"%s\" at "
		    "offset %zu: %s", what, re, (size_t)off, (char *)msg);
		return NULL;
	}
	/* JIT where the platform has it; the interpreter otherwise. */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
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
		if ((r->path_re = regex_compile(ctx, p, icase, "path")) ==
		    NULL)
			return CFG_REPORTED;
		r->path_kind = PATH_REGEX;
		return set_str(&r->path, p);
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

static enum cfg_set_result
r_methods(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
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
			r->methods |= 1u << i;
			continue;
		}
		/* Any other token: an extension method, matched by name. */
		for (char *p = tok; *p != '\0'; p++)
			if (!isupper((unsigned char)*p) && *p != '-' &&
			    *p != '_')
				res = CFG_BAD;
		if (res != CFG_OK)
			break;
		r->methods |= 1u << HTTP_M_OTHER;
		r->method_names = xrealloc(r->method_names,
		    r->nmethod_names + 1, sizeof(char *));
		r->method_names[r->nmethod_names++] = xstrdup(tok);
	}
	free(copy);
	return r->methods == 0 ? CFG_BAD : res;
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

static enum cfg_set_result
set_tpl(struct cfg_ctx *ctx, struct cfg_tpl *t, const char *v, bool captures,
    const char *what)
{
	char	err[200];

	tpl_free(t);
	if (tpl_parse(t, v, captures, err, sizeof(err)) == -1) {
		cfg_error(ctx, "bad %s \"%s\": %s", what, v, err);
		return CFG_REPORTED;
	}
	return CFG_OK;
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
	return set_tpl(ctx, &r->location, v, false, "redirect target");
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
		if (read_small_file(ctx, v, "return", &r->body,
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
	return set_str(dst, v);
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
	r->rewrite_re = regex_compile(ctx, re, false, "rewrite");
	free(re);
	if (r->rewrite_re == NULL)
		return CFG_REPORTED;
	res = set_tpl(ctx, &r->rewrite_to, sp, true, "rewrite replacement");
	if (res != CFG_OK)
		return res;
	return CFG_OK;
}

static bool
valid_field_name(const char *s, size_t len)
{
	static const char	tchar[] = "!#$%&'*+-.^_`|~";

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(tchar, s[i]) ==
		    NULL)
			return false;
	return true;
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

static enum cfg_set_result
header_op(struct cfg_ctx *ctx, struct cfg_header_op **ops, size_t *n,
    const char *v, bool with_value)
{
	struct cfg_header_op	 op;
	const char		*colon = with_value ? strchr(v, ':') :
				    v + strlen(v);
	const char		*val;
	enum cfg_set_result	 res;

	if (colon == NULL || !valid_field_name(v, (size_t)(colon - v)))
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
		res = set_tpl(ctx, &op.value, val, false, "header value");
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

	return header_op(ctx, &r->set_req, &r->nset_req, v, true);
}

static enum cfg_set_result
r_remove_request_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return header_op(ctx, &r->remove_req, &r->nremove_req, v, false);
}

static enum cfg_set_result
r_set_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return header_op(ctx, &r->set_resp, &r->nset_resp, v, true);
}

static enum cfg_set_result
r_remove_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return header_op(ctx, &r->remove_resp, &r->nremove_resp, v, false);
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

/* An HTTP token (RFC 9110 5.6.2) of len bytes. */
static bool
http_token(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return false;
	return true;
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
		    !http_token(tok, slash ? (size_t)(slash - tok) :
		    strlen(tok)) || (slash != NULL && !http_token(slash + 1,
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
r_cache_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return set_tpl(ctx, &((struct cfg_route *)obj)->cache_key, v, false,
	    "cache_key");
}

/* "GET HEAD" or "GET": GET is always looked up. */
static enum cfg_set_result
r_cache_methods(struct cfg_ctx *ctx, void *obj, const char *v)
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
static enum cfg_set_result
r_cache_control_targets(struct cfg_ctx *ctx, void *obj, const char *v)
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

static enum cfg_set_result
r_cache_bypass(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	enum cfg_set_result	 res;

	r->cache_bypass = xrealloc(r->cache_bypass, r->ncache_bypass + 1,
	    sizeof(struct cfg_tpl));
	memset(&r->cache_bypass[r->ncache_bypass], 0, sizeof(struct cfg_tpl));
	res = set_tpl(ctx, &r->cache_bypass[r->ncache_bypass], v, false,
	    "cache_bypass");
	r->ncache_bypass++;
	return res;
}

/* "[CODE ...|any] DURATION"; without codes: 200 301 302, as nginx. */
static enum cfg_set_result
r_cache_valid(struct cfg_ctx *ctx, void *obj, const char *v)
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

static enum cfg_set_result
r_cache_purge_from(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;

	return cidr_list_add(v, &r->cache_purge_from, &r->ncache_purge_from);
}

/* "metrics = on": this route answers with frontd's counters. */
static enum cfg_set_result
r_metrics(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_route	*r = obj;
	bool			 on;

	if (cfg_parse_bool(v, &on) == -1)
		return CFG_BAD;
	if (!on)
		return CFG_OK;
	r->action_where = cfg_ctx_where(ctx);
	r->nactions++;
	r->action = ACTION_METRICS;
	return CFG_OK;
}

/* ---------------------------------------------------------------- TLS --- */

static enum cfg_set_result
set_file(struct cfg_ctx *ctx, char **dst, const char *v)
{
	if (*v != '/')
		return CFG_BAD;
	return set_str(dst, v);
}

/* certificate and certificate_key come in pairs, in that order. */
static enum cfg_set_result
l_certificate(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct cfg_cert		*c;

	if (*v != '/')
		return CFG_BAD;
	li->certs = xrealloc(li->certs, li->ncerts + 1, sizeof(*c));
	c = &li->certs[li->ncerts++];
	memset(c, 0, sizeof(*c));
	c->cert_file = xstrdup(v);
	c->cert_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_certificate_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct cfg_cert		*c;

	if (*v != '/')
		return CFG_BAD;
	if (li->ncerts == 0 || li->certs[li->ncerts - 1].key_file != NULL) {
		cfg_error(ctx, "certificate_key \"%s\" has no certificate line "
		    "before it (write each certificate, then its key)", v);
		return CFG_REPORTED;
	}
	c = &li->certs[li->ncerts - 1];
	c->key_file = xstrdup(v);
	c->key_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_tls_protocols(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	int			 min = 0, max = 0, ver;
	enum cfg_set_result	 r = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "TLSv1.2") == 0)
			ver = TLS1_2_VERSION;
		else if (strcmp(tok, "TLSv1.3") == 0)
			ver = TLS1_3_VERSION;
		else if (strcmp(tok, "TLSv1") == 0 ||
		    strcmp(tok, "TLSv1.1") == 0 || strcmp(tok, "SSLv3") == 0) {
			cfg_error(ctx, "%s in tls_protocols is not supported, "
			    "insecure (use TLSv1.2 and TLSv1.3)", tok);
			r = CFG_REPORTED;
			break;
		} else {
			r = CFG_BAD;
			break;
		}
		if (min == 0 || ver < min)
			min = ver;
		if (ver > max)
			max = ver;
	}
	free(copy);
	if (r == CFG_OK && min == 0)
		r = CFG_BAD;
	if (r == CFG_OK) {
		li->tls_min = min;
		li->tls_max = max;
	}
	return r;
}

static enum cfg_set_result
l_hsts(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (strncmp(v, "max-age=", 8) != 0 || strlen(v) > 512)
		return CFG_BAD;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			return CFG_BAD;
	return set_str(&((struct cfg_listener *)obj)->hsts, v);
}

static enum cfg_set_result
u_tls_name(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (!valid_host_name(v))
		return CFG_BAD;
	return set_str(&((struct cfg_upstream *)obj)->tls_name, v);
}

static enum cfg_set_result
u_tls_certificate(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;

	u->tls_client.cert_where = cfg_ctx_where(ctx);
	return set_file(ctx, &u->tls_client.cert_file, v);
}

static enum cfg_set_result
u_tls_certificate_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;

	u->tls_client.key_where = cfg_ctx_where(ctx);
	return set_file(ctx, &u->tls_client.key_file, v);
}

#define DURATION	"a duration such as 500ms, 30s, 5m or 1h"
#define ONOFF		"on or off"
#define PATH		"an absolute path"

#define G(field)	CFG_FIELD(struct cfg_global, field)
#define L(field)	CFG_FIELD(struct cfg_listener, field)
#define U(field)	CFG_FIELD(struct cfg_upstream, field)
#define R(field)	CFG_FIELD(struct cfg_route, field)

static const char *const log_format_names[] = { "combined", "json", NULL };
static const char *const verify_names[] = { "off", "optional", "on", NULL };

static const struct cfg_key global_keys[] = {
	{ "workers", CFG_ONE, CFG_T_FN, .set = g_workers,
	    .expect = "auto or a number from 1 to 256" },
	{ "user", CFG_ONE, CFG_T_FN, .set = g_user, .expect = "a user name" },
	{ "group", CFG_ONE, CFG_T_STR, G(group), .expect = "a group name" },
	{ "pid_file", CFG_ONE, CFG_T_PATH, G(pid_file), .expect = PATH },
	{ "error_log", CFG_ONE, CFG_T_FN, .set = g_error_log,
	    .expect = "an absolute path, syslog or stderr" },
	{ "access_log", CFG_ONE, CFG_T_FN, .set = g_access_log,
	    .expect = "an absolute path or off" },
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
	{ "log_format", CFG_ONE, CFG_T_ENUM, G(log_format),
	    .names = log_format_names, .expect = "combined or json" },
	{ "trusted_proxies", CFG_LIST, CFG_T_FN, .set = g_trusted_proxies,
	    .expect = "addresses or networks such as 10.0.0.0/8 or "
	    "2001:db8::/32" },
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
	{ "sandbox", CFG_ONE, CFG_T_BOOL, G(sandbox), .expect = ONOFF },
	{ NULL }
};

static const struct cfg_key listener_keys[] = {
	{ "address", CFG_LIST, CFG_T_FN, .set = l_address,
	    .expect = "HOST:PORT, [IPv6]:PORT or *:PORT" },
	{ "backlog", CFG_ONE, CFG_T_INT, L(backlog), .min = 1, .max = 65535,
	    .expect = "a number from 1 to 65535" },
	{ "tls", CFG_ONE, CFG_T_BOOL, L(tls), .expect = ONOFF },
	{ "certificate", CFG_LIST, CFG_T_FN, .set = l_certificate,
	    .expect = PATH },
	{ "certificate_key", CFG_LIST, CFG_T_FN, .set = l_certificate_key,
	    .expect = PATH },
	{ "tls_protocols", CFG_ONE, CFG_T_FN, .set = l_tls_protocols,
	    .expect = "TLSv1.2, TLSv1.3 or both" },
	{ "tls_ciphers", CFG_ONE, CFG_T_STR, L(tls_ciphers),
	    .expect = "an OpenSSL cipher list" },
	{ "tls_ciphersuites", CFG_ONE, CFG_T_STR, L(tls_ciphersuites),
	    .expect = "TLS 1.3 cipher suites separated by colons" },
	{ "tls_curves", CFG_ONE, CFG_T_STR, L(tls_curves),
	    .expect = "groups such as X25519:P-256" },
	{ "tls_session_tickets", CFG_ONE, CFG_T_BOOL, L(tls_session_tickets),
	    .expect = ONOFF },
	{ "tls_session_cache", CFG_ONE, CFG_T_BOOL, L(tls_session_cache),
	    .expect = ONOFF },
	{ "tls_ticket_key_file", CFG_ONE, CFG_T_PATH, L(tls_ticket_key_file),
	    .expect = PATH },
	{ "tls_ocsp_staple_file", CFG_ONE, CFG_T_PATH,
	    L(tls_ocsp_staple_file), .expect = PATH },
	{ "tls_client_ca", CFG_ONE, CFG_T_PATH, L(tls_client_ca),
	    .expect = PATH },
	{ "tls_verify_client", CFG_ONE, CFG_T_ENUM, L(tls_verify_client),
	    .names = verify_names, .expect = "off, optional or on" },
	{ "redirect_to_https", CFG_ONE, CFG_T_BOOL, L(redirect_to_https),
	    .expect = ONOFF },
	{ "hsts", CFG_ONE, CFG_T_FN, .set = l_hsts,
	    .expect = "max-age=SECONDS, then any directives" },
	{ NULL }
};

static const struct cfg_key upstream_keys[] = {
	{ "server", CFG_LIST, CFG_T_FN, .set = u_server,
	    .expect = "HOST:PORT [weight=N] [max_conns=N] [backup] [down] "
	    "[drain]" },
	{ "balance", CFG_ONE, CFG_T_FN, .set = u_balance,
	    .expect = "round_robin, least_conn, ip_hash, hash or random" },
	{ "hash", CFG_ONE, CFG_T_FN, .set = u_hash,
	    .expect = "$uri, $request_uri, $remote_addr, $host, $http_NAME or "
	    "$cookie_NAME" },
	{ "retries", CFG_ONE, CFG_T_INT, U(retries),
	    .min = 0, .max = CFG_RETRIES_MAX,
	    .expect = "a number from 0 to 15" },
	{ "retry_timeout", CFG_ONE, CFG_T_DURATION, U(retry_timeout_ms),
	    .expect = DURATION },
	{ "health_check", CFG_ONE, CFG_T_FN, .set = u_health_check,
	    .expect = "GET /path, HEAD /path or tcp" },
	{ "health_expect", CFG_ONE, CFG_T_FN, .set = u_health_expect,
	    .expect = "a status such as 200, a range such as 200-399, or body "
	    "text" },
	{ "health_host", CFG_ONE, CFG_T_FN, .set = u_health_host,
	    .expect = "a host name or host:port" },
	/* Floors: zero would mean a busy loop or no window. */
	{ "health_interval", CFG_ONE, CFG_T_DURATION, U(check_interval_ms),
	    .min = 100, .expect = "a duration of at least 100ms" },
	{ "health_timeout", CFG_ONE, CFG_T_DURATION, U(check_timeout_ms),
	    .min = 10, .expect = "a duration of at least 10ms" },
	{ "rise", CFG_ONE, CFG_T_INT, U(rise), .min = 1, .max = 100,
	    .expect = "a number from 1 to 100" },
	{ "fall", CFG_ONE, CFG_T_INT, U(fall), .min = 1, .max = 100,
	    .expect = "a number from 1 to 100" },
	{ "max_fails", CFG_ONE, CFG_T_INT, U(max_fails), .min = 0, .max = 1000,
	    .expect = "a number from 0 to 1000" },
	{ "fail_timeout", CFG_ONE, CFG_T_DURATION, U(fail_timeout_ms),
	    .min = 100, .expect = "a duration of at least 100ms" },
	{ "slow_start", CFG_ONE, CFG_T_DURATION, U(slow_start_ms),
	    .expect = DURATION },
	{ "tls", CFG_ONE, CFG_T_BOOL, U(tls), .expect = ONOFF },
	{ "tls_verify", CFG_ONE, CFG_T_BOOL, U(tls_verify), .expect = ONOFF },
	{ "tls_ca_file", CFG_ONE, CFG_T_PATH, U(tls_ca_file), .expect = PATH },
	{ "tls_name", CFG_ONE, CFG_T_FN, .set = u_tls_name,
	    .expect = "a host name" },
	{ "tls_sni", CFG_ONE, CFG_T_BOOL, U(tls_sni), .expect = ONOFF },
	{ "tls_certificate", CFG_ONE, CFG_T_FN, .set = u_tls_certificate,
	    .expect = PATH },
	{ "tls_certificate_key", CFG_ONE, CFG_T_FN,
	    .set = u_tls_certificate_key, .expect = PATH },
	{ "keepalive", CFG_ONE, CFG_T_INT, U(keepalive), .min = 0,
	    .max = 65536, .expect = "a number from 0 to 65536" },
	{ "keepalive_timeout", CFG_ONE, CFG_T_DURATION,
	    U(keepalive_timeout_ms), .expect = DURATION },
	{ "upstream_connect_timeout", CFG_ONE, CFG_T_DURATION,
	    U(connect_timeout_ms), .expect = DURATION },
	{ "upstream_header_timeout", CFG_ONE, CFG_T_DURATION,
	    U(header_timeout_ms), .expect = DURATION },
	{ "upstream_read_timeout", CFG_ONE, CFG_T_DURATION,
	    U(read_timeout_ms), .expect = DURATION },
	{ "upstream_send_timeout", CFG_ONE, CFG_T_DURATION,
	    U(send_timeout_ms), .expect = DURATION },
	{ NULL }
};

static const struct cfg_key route_keys[] = {
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
	{ "cache_key", CFG_ONE, CFG_T_FN, .set = r_cache_key,
	    .expect = "a template such as $scheme://$authority$request_uri" },
	{ "cache_methods", CFG_ONE, CFG_T_FN, .set = r_cache_methods,
	    .expect = "GET, or GET HEAD" },
	{ "cache_bypass", CFG_LIST, CFG_T_FN, .set = r_cache_bypass,
	    .expect = "a template such as $cookie_session" },
	{ "cache_valid", CFG_LIST, CFG_T_FN, .set = r_cache_valid,
	    .expect = "status codes or any, then a duration" },
	{ "cache_use_stale", CFG_ONE, CFG_T_BOOL, R(cache_use_stale),
	    .expect = ONOFF },
	{ "cache_control_targets", CFG_ONE, CFG_T_FN,
	    .set = r_cache_control_targets,
	    .expect = "header field names, or none" },
	{ "cache_purge_from", CFG_LIST, CFG_T_FN, .set = r_cache_purge_from,
	    .expect = "addresses or networks such as 127.0.0.1 10.0.0.0/8" },
	{ "metrics", CFG_ONE, CFG_T_FN, .set = r_metrics, .expect = ONOFF },
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
	{ "tunnel_timeout", CFG_ONE, CFG_T_DURATION, R(tunnel_timeout_ms),
	    .expect = DURATION },
	{ "upgrade", CFG_ONE, CFG_T_FN, .set = r_upgrade,
	    .expect = "protocols such as websocket, at most 32, or off" },
	{ NULL }
};

/*
 * "include" is valid anywhere, before any section too; config.c handles it
 * before looking at these tables. Listed here for the man page test.
 */
const struct cfg_key cfg_anywhere_keys[] = {
	{ "include", CFG_LIST, CFG_T_FN, .expect = "a path or glob pattern" },
	{ NULL }
};

const struct cfg_section_type cfg_section_types[] = {
	{ "global", false, global_keys },
	{ "listener", true, listener_keys },
	{ "upstream", true, upstream_keys },
	{ "route", true, route_keys },
	{ NULL }
};
