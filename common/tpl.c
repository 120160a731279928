/*
 * Template parsing. "$$" is a literal dollar; any other '$' must start a
 * known variable, so a typo is a load error rather than text sent to
 * clients.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tpl.h"
#include "common/util.h"

static const struct {
	const char	*name;
	enum cfg_var	 var;
} plain_vars[] = {
	{ "uri", VAR_URI },
	{ "request_uri", VAR_REQUEST_URI },
	{ "args", VAR_ARGS },
	{ "query_string", VAR_ARGS },
	{ "host", VAR_HOST },
	{ "authority", VAR_AUTHORITY },
	{ "remote_addr", VAR_REMOTE_ADDR },
	{ "scheme", VAR_SCHEME },
	{ "server_port", VAR_SERVER_PORT },
	{ "ssl_client_s_dn", VAR_SSL_CLIENT_S_DN },
	{ "ssl_protocol", VAR_SSL_PROTOCOL },
	{ "ssl_cipher", VAR_SSL_CIPHER },
	{ "remote_user", VAR_REMOTE_USER },
	{ NULL, VAR_NONE }
};

static bool
name_char(int c)
{
	return isalnum(c) || c == '_';
}

size_t
tpl_var_parse(const char *s, bool captures, struct cfg_tpl_part *p)
{
	const char	*n = s + 1, *end;
	bool		 braced = *n == '{';
	size_t		 len;

	if (braced)
		n++;
	memset(p, 0, sizeof(*p));
	if (captures && *n >= '0' && *n <= '9') {
		end = n + 1;
		if (braced && *end != '}')
			return 0;
		p->var = VAR_CAPTURE;
		p->capture = *n - '0';
		return (size_t)(end - s) + (braced ? 1 : 0);
	}
	for (end = n; name_char((unsigned char)*end); end++)
		;
	len = (size_t)(end - n);
	if (len == 0 || (braced && *end != '}'))
		return 0;
	for (size_t i = 0; plain_vars[i].name != NULL; i++)
		if (strlen(plain_vars[i].name) == len &&
		    strncmp(plain_vars[i].name, n, len) == 0) {
			p->var = plain_vars[i].var;
			return (size_t)(end - s) + (braced ? 1 : 0);
		}
	if (len > 5 && strncmp(n, "http_", 5) == 0)
		p->var = VAR_HTTP;
	else if (len > 7 && strncmp(n, "cookie_", 7) == 0)
		p->var = VAR_COOKIE;
	else
		return 0;
	{
		size_t skip = p->var == VAR_HTTP ? 5 : 7;

		p->len = len - skip;
		p->text = xmalloc(p->len + 1);
		for (size_t i = 0; i < p->len; i++) {
			char c = n[skip + i];

			/* $http_x_user_id names the header X-User-Id. */
			p->text[i] = p->var == VAR_HTTP && c == '_' ? '-' :
			    c;
		}
		p->text[p->len] = '\0';
	}
	return (size_t)(end - s) + (braced ? 1 : 0);
}

static void
add_part(struct cfg_tpl *t, const struct cfg_tpl_part *p)
{
	t->parts = xrealloc(t->parts, t->nparts + 1, sizeof(*p));
	t->parts[t->nparts++] = *p;
}

static void
add_text(struct cfg_tpl *t, const char *s, size_t len)
{
	struct cfg_tpl_part	p = { VAR_NONE, NULL, 0, 0 };

	if (len == 0)
		return;
	/* Extend the previous literal ("$$" splits them). */
	if (t->nparts > 0 && t->parts[t->nparts - 1].var == VAR_NONE) {
		struct cfg_tpl_part *q = &t->parts[t->nparts - 1];

		q->text = realloc(q->text, q->len + len + 1);
		if (q->text == NULL)
			abort();
		memcpy(q->text + q->len, s, len);
		q->len += len;
		q->text[q->len] = '\0';
		return;
	}
	p.text = xmalloc(len + 1);
	memcpy(p.text, s, len);
	p.text[len] = '\0';
	p.len = len;
	add_part(t, &p);
}

int
tpl_parse(struct cfg_tpl *t, const char *s, bool captures, char *err,
    size_t errlen)
{
	const char		*lit = s;
	struct cfg_tpl_part	 p;
	size_t			 n;

	memset(t, 0, sizeof(*t));
	while (*s != '\0') {
		if (*s != '$') {
			s++;
			continue;
		}
		add_text(t, lit, (size_t)(s - lit));
		if (s[1] == '$') {
			add_text(t, "$", 1);
			s += 2;
			lit = s;
			continue;
		}
		if ((n = tpl_var_parse(s, captures, &p)) == 0) {
			const char *e = s + 1;

			while (*e != '\0' && (name_char((unsigned char)*e) ||
			    *e == '{' || *e == '}'))
				e++;
			snprintf(err, errlen, "unknown variable \"%.*s\" "
			    "(write $$ for a dollar sign)", (int)(e - s), s);
			tpl_free(t);
			return -1;
		}
		add_part(t, &p);
		s += n;
		lit = s;
	}
	add_text(t, lit, (size_t)(s - lit));
	return 0;
}

void
tpl_free(struct cfg_tpl *t)
{
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	t->parts = NULL;
	t->nparts = 0;
}

bool
tpl_is_literal(const struct cfg_tpl *t)
{
	return t->nparts == 0 || (t->nparts == 1 && t->parts[0].var ==
	    VAR_NONE);
}
