/*
 * The setters the key tables share: cfg_set_field() parses and stores the
 * value of every typed row within the row's bounds, and the helpers here
 * (strings, address lists, pages read at load time, host names, regular
 * expressions, templates) serve the sections' own setters. A bad value is
 * refused, never stored; what a helper reports itself names file:line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/http_parse.h"
#include "common/config_value.h"
#include "common/tpl.h"
#include "common/util.h"

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

/*
 * on or off, into a flag that a more specific section may leave unset
 * (-1) to take a wider one's: 1 or 0.
 */
enum cfg_set_result
cfg_set_inherited_flag(int *dst, const char *value)
{
	bool	on;

	if (cfg_parse_bool(value, &on) == -1)
		return CFG_BAD;
	*dst = on;
	return CFG_OK;
}

/* One or several addresses or networks per line, added to a list. */
enum cfg_set_result
cfg_set_cidrs(const char *v, struct cidr **list, size_t *n)
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

/*
 * allow or deny: addresses, networks or "all", appended to the rules in
 * the order written, so that allow and deny lines interleave.
 */
enum cfg_set_result
cfg_set_acl(const char *v, struct cfg_acl *acl, bool allow)
{
	struct cfg_acl_rule	 rule;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	enum cfg_set_result	 r = CFG_OK;
	size_t			 before = acl->n;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		memset(&rule, 0, sizeof(rule));
		rule.allow = allow;
		if (strcmp(tok, "all") == 0)
			rule.all = true;
		else if (cidr_parse(&rule.net, tok) == -1) {
			r = CFG_BAD;
			break;
		}
		acl->rules = xrealloc(acl->rules, acl->n + 1, sizeof(rule));
		acl->rules[acl->n++] = rule;
	}
	free(copy);
	return r == CFG_OK && acl->n == before ? CFG_BAD : r;
}

/* An HTTP token (RFC 9110 5.6.2) of len bytes: a field name, a protocol. */
bool
cfg_token(const char *s, size_t len)
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

/* A header field name (a token), as written. */
enum cfg_set_result
cfg_set_field_name(char **dst, const char *v)
{
	if (!cfg_token(v, strlen(v)))
		return CFG_BAD;
	return cfg_set_str(dst, v);
}

/* maintenance_page: a file read now, its type by its name. */
enum cfg_set_result
cfg_set_maint_page(struct cfg_ctx *ctx, struct cfg_maintenance *m,
    const char *v)
{
	size_t	len = strlen(v);

	if (*v != '/')
		return CFG_BAD;
	free(m->page);
	m->page = NULL;
	if (cfg_read_file(ctx, v, "maintenance_page", &m->page,
	    &m->pagelen) == -1)
		return CFG_REPORTED;
	m->page_type = len > 4 && strcmp(v + len - 4, ".txt") == 0 ?
	    "text/plain" : "text/html";
	return CFG_OK;
}

void
cfg_maint_free(struct cfg_maintenance *m)
{
	free(m->allow);
	free(m->page);
}

/*
 * Reads a page the configuration names (error_page, return): by the
 * master, at load time, so a missing file is a load error and workers
 * never touch the disk. Opened with O_NONBLOCK, so that a FIFO is refused
 * like any file that is not regular, rather than block the master.
 */
int
cfg_read_file(struct cfg_ctx *ctx, const char *path, const char *what,
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

/* A host name, or an IPv6 address in brackets, as in a Host header. */
bool
cfg_valid_host(const char *h)
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

/* A regular expression of the config, or NULL once the error is told. */
void *
cfg_regex_compile(struct cfg_ctx *ctx, const char *re, bool icase,
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

/* Replaces a template; what names it in the message if it is bad. */
enum cfg_set_result
cfg_set_tpl(struct cfg_ctx *ctx, struct cfg_tpl *t, const char *v,
    bool captures, const char *what)
{
	char	err[200];

	tpl_free(t);
	if (tpl_parse(t, v, captures, err, sizeof(err)) == -1) {
		cfg_error(ctx, "bad %s \"%s\": %s", what, v, err);
		return CFG_REPORTED;
	}
	return CFG_OK;
}

/* Frees a list of strings and the list. */
void
cfg_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
