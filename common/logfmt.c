/*
 * Custom log format parsing. "$$" is a dollar sign; any other '$' starts
 * "$name" or "${name}", which must be one of logfmt_var_names.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/util.h"

const char *const logfmt_var_names[] = {
	[LOGVAR_TEXT] = "",
	[LOGVAR_REMOTE_ADDR] = "remote_addr",
	[LOGVAR_TIME_LOCAL] = "time_local",
	[LOGVAR_TIME_ISO8601] = "time_iso8601",
	[LOGVAR_MSEC] = "msec",
	[LOGVAR_REQUEST] = "request",
	[LOGVAR_REQUEST_METHOD] = "request_method",
	[LOGVAR_REQUEST_URI] = "request_uri",
	[LOGVAR_SERVER_PROTOCOL] = "server_protocol",
	[LOGVAR_STATUS] = "status",
	[LOGVAR_BYTES_SENT] = "bytes_sent",
	[LOGVAR_HTTP_REFERER] = "http_referer",
	[LOGVAR_HTTP_USER_AGENT] = "http_user_agent",
	[LOGVAR_REQUEST_TIME] = "request_time",
	[LOGVAR_UPSTREAM_ADDR] = "upstream_addr",
	[LOGVAR_UPSTREAM_STATUS] = "upstream_status",
	[LOGVAR_UPSTREAM_RESPONSE_TIME] = "upstream_response_time",
	[LOGVAR_CACHE_STATUS] = "cache_status",
	[LOGVAR_HOST] = "host",
	[LOGVAR_SCHEME] = "scheme",
	[LOGVAR_SSL_PROTOCOL] = "ssl_protocol",
	[LOGVAR_CONNECTION] = "connection",
	[LOGVAR_PID] = "pid",
	[LOGVAR_REMOTE_USER] = "remote_user",
	NULL
};

static void
add(struct cfg_logfmt *f, enum log_var var, const char *s, size_t len)
{
	struct cfg_logfmt_part	*p;

	if (var == LOGVAR_TEXT) {
		if (len == 0)
			return;
		/* Extend the previous literal ("$$" splits them). */
		if (f->nparts > 0 && f->parts[f->nparts - 1].var ==
		    LOGVAR_TEXT) {
			p = &f->parts[f->nparts - 1];
			p->text = xrealloc(p->text, p->len + len + 1, 1);
			memcpy(p->text + p->len, s, len);
			p->len += len;
			p->text[p->len] = '\0';
			return;
		}
	}
	f->parts = xrealloc(f->parts, f->nparts + 1, sizeof(*p));
	p = &f->parts[f->nparts++];
	memset(p, 0, sizeof(*p));
	p->var = var;
	if (var == LOGVAR_TEXT) {
		p->text = xmalloc(len + 1);
		memcpy(p->text, s, len);
		p->text[len] = '\0';
		p->len = len;
	}
}

/*
 * Compiles s into f (which it clears first). Returns -1 with the reason
 * in err, f then empty.
 */
int
logfmt_parse(struct cfg_logfmt *f, const char *s, char *err, size_t errlen)
{
	const char	*lit = s, *n, *end;
	bool		 braced;
	size_t		 len;
	int		 v;

	memset(f, 0, sizeof(*f));
	while (*s != '\0') {
		if (*s != '$') {
			s++;
			continue;
		}
		add(f, LOGVAR_TEXT, lit, (size_t)(s - lit));
		if (s[1] == '$') {
			add(f, LOGVAR_TEXT, "$", 1);
			s += 2;
			lit = s;
			continue;
		}
		n = s + 1;
		if ((braced = *n == '{'))
			n++;
		for (end = n; isalnum((unsigned char)*end) || *end == '_';
		    end++)
			;
		len = (size_t)(end - n);
		for (v = LOGVAR_TEXT + 1; v < LOGVAR_COUNT; v++)
			if (strlen(logfmt_var_names[v]) == len &&
			    strncmp(logfmt_var_names[v], n, len) == 0)
				break;
		if (len == 0 || v == LOGVAR_COUNT || (braced && *end != '}')) {
			snprintf(err, errlen, "unknown variable \"%.*s\" "
			    "(write $$ for a dollar sign; frontd.conf(5) lists "
			    "the variables)", (int)(end - s + (braced &&
			    *end == '}')), s);
			logfmt_free(f);
			return -1;
		}
		add(f, (enum log_var)v, NULL, 0);
		s = end + (braced ? 1 : 0);
		lit = s;
	}
	add(f, LOGVAR_TEXT, lit, (size_t)(s - lit));
	return 0;
}

void
logfmt_free(struct cfg_logfmt *f)
{
	for (size_t i = 0; i < f->nparts; i++)
		free(f->parts[i].text);
	free(f->parts);
	f->parts = NULL;
	f->nparts = 0;
}
