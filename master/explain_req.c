/*
 * frontd -t -e REQUEST: reads "[METHOD] URL [from ADDRESS] [Name: value
 * ...]" into a struct explain_req: the host lower case without its final
 * dot, the path normalized as a worker does, every length bounded by
 * EX_TARGET_MAX, EX_HEADERS_MAX and EX_ARG_MAX. It never reads the
 * configuration.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/http_parse.h"
#include "common/route.h"
#include "common/util.h"
#include "master/explain.h"
#include "master/explain_int.h"

const char *const explain_method_names[HTTP_M_PATCH + 1] = {
	[HTTP_M_GET] = "GET", [HTTP_M_HEAD] = "HEAD", [HTTP_M_POST] = "POST",
	[HTTP_M_PUT] = "PUT", [HTTP_M_DELETE] = "DELETE",
	[HTTP_M_CONNECT] = "CONNECT", [HTTP_M_OPTIONS] = "OPTIONS",
	[HTTP_M_TRACE] = "TRACE", [HTTP_M_PATCH] = "PATCH",
};

static bool
token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_token(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!token_char((unsigned char)s[i]))
			return false;
	return true;
}

/* scheme://[user@]host[:port][/path][?query][#fragment] */
static int
parse_url(struct explain_req *rq, const char *url, char *err, size_t errlen)
{
	const char	*p, *auth, *ae, *hs, *he, *ps = NULL, *frag;
	size_t		 n;
	long		 port = 0;
	ssize_t		 m;

	if (strncasecmp(url, "http://", 7) == 0) {
		rq->tls = false;
		auth = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		rq->tls = true;
		auth = url + 8;
	} else {
		snprintf(err, errlen, "\"%s\" is not an http:// or https:// "
		    "URL", url);
		return -1;
	}
	for (ae = auth; *ae != '\0' && *ae != '/' && *ae != '?' &&
	    *ae != '#'; ae++)
		;
	hs = auth;
	for (p = auth; p < ae; p++)
		if (*p == '@')
			hs = p + 1;
	if (hs < ae && *hs == '[') {
		if ((he = memchr(hs, ']', (size_t)(ae - hs))) == NULL) {
			snprintf(err, errlen, "unclosed [ in the host of "
			    "\"%s\"", url);
			return -1;
		}
		he++;
	} else
		for (he = hs; he < ae && *he != ':'; he++)
			;
	if (he < ae) {
		if (*he != ':' || he + 1 == ae) {
			snprintf(err, errlen, "bad port in \"%s\"", url);
			return -1;
		}
		for (p = he + 1; p < ae; p++) {
			if (*p < '0' || *p > '9' || port > 65535) {
				snprintf(err, errlen, "bad port in \"%s\"",
				    url);
				return -1;
			}
			port = port * 10 + (*p - '0');
		}
		if (port == 0 || port > 65535) {
			snprintf(err, errlen, "bad port in \"%s\"", url);
			return -1;
		}
		ps = he + 1;
	}
	rq->port = port != 0 ? (int)port : rq->tls ? 443 : 80;
	n = (size_t)(he - hs);
	if (n > 0 && hs[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(rq->host)) {
		snprintf(err, errlen, "no host name in \"%s\"", url);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = hs[i];

		if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f) {
			snprintf(err, errlen, "bad host name in \"%s\"", url);
			return -1;
		}
		rq->host[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	rq->host[n] = '\0';
	rq->hostlen = n;
	/* As the worker's $authority: the port only when not the default. */
	if (ps != NULL && rq->port != (rq->tls ? 443 : 80))
		snprintf(rq->authority, sizeof(rq->authority), "%s:%d",
		    rq->host, rq->port);
	else
		strlcpy_(rq->authority, rq->host, sizeof(rq->authority));

	if ((frag = strchr(ae, '#')) == NULL)
		frag = ae + strlen(ae);
	n = (size_t)(frag - ae);
	if (n + 2 > sizeof(rq->target)) {
		snprintf(err, errlen, "the URL is longer than %d bytes",
		    EX_TARGET_MAX - 2);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ae[i] <= ' ' ||
		    (unsigned char)ae[i] >= 0x7f) {
			snprintf(err, errlen, "a space or control byte in "
			    "\"%s\"", url);
			return -1;
		}
	/* "https://x" and "https://x?q" ask for "/". */
	if (n == 0 || ae[0] != '/')
		rq->target[rq->targetlen++] = '/';
	memcpy(rq->target + rq->targetlen, ae, n);
	rq->targetlen += n;
	rq->target[rq->targetlen] = '\0';

	n = rq->targetlen;
	if ((p = memchr(rq->target, '?', n)) != NULL) {
		rq->query = p + 1;
		rq->querylen = n - (size_t)(p + 1 - rq->target);
		n = (size_t)(p - rq->target);
	}
	if ((m = path_normalize(rq->target, n, rq->path)) == -1)
		rq->above_root = true;
	else
		rq->pathlen = (size_t)m;
	rq->path[rq->pathlen] = '\0';
	return 0;
}

struct explain_req *
explain_parse(const char *arg, char *err, size_t errlen)
{
	struct explain_req	*rq;
	char			*tok[EX_HEADERS_MAX * 8 + 8], *p, *url;
	size_t			 ntok = 0, i = 0, len = strlen(arg);
	struct ex_header	*h = NULL;
	char			*vend = NULL;

	if (len > EX_ARG_MAX) {
		snprintf(err, errlen, "longer than %d bytes", EX_ARG_MAX);
		return NULL;
	}
	rq = xcalloc(1, sizeof(*rq));
	rq->buf = xstrdup(arg);
	for (p = strtok(rq->buf, " \t\r\n"); p != NULL;
	    p = strtok(NULL, " \t\r\n")) {
		if (ntok == nitems(tok)) {
			snprintf(err, errlen, "more than %zu words",
			    nitems(tok));
			goto fail;
		}
		tok[ntok++] = p;
	}
	if (ntok == 0) {
		snprintf(err, errlen, "empty; expected \"METHOD URL\"");
		goto fail;
	}
	if (strstr(tok[0], "://") != NULL)
		strlcpy_(rq->method, "GET", sizeof(rq->method));
	else {
		if (!is_token(tok[0], strlen(tok[0])) ||
		    strlen(tok[0]) >= sizeof(rq->method)) {
			snprintf(err, errlen, "bad method \"%s\"", tok[0]);
			goto fail;
		}
		strlcpy_(rq->method, tok[0], sizeof(rq->method));
		i++;
	}
	rq->meth = HTTP_M_OTHER;
	for (size_t m = 0; m < nitems(explain_method_names); m++)
		if (explain_method_names[m] != NULL &&
		    strcmp(explain_method_names[m], rq->method) == 0)
			rq->meth = (enum http_method)m;
	if (i == ntok) {
		snprintf(err, errlen, "no URL after \"%s\"", rq->method);
		goto fail;
	}
	url = tok[i++];
	if (parse_url(rq, url, err, errlen) == -1)
		goto fail;

	/* Then "from ADDRESS" and "Name: value" fields, in any order. */
	for (; i < ntok; i++) {
		size_t tl = strlen(tok[i]);

		if (strcmp(tok[i], "from") == 0) {
			if (i + 1 == ntok || addr_parse_ip(&rq->from,
			    tok[i + 1], strlen(tok[i + 1])) == -1) {
				snprintf(err, errlen, "\"from\" wants an IP "
				    "address");
				goto fail;
			}
			rq->has_from = true;
			h = NULL;
			i++;
			continue;
		}
		if (tl > 1 && tok[i][tl - 1] == ':' &&
		    is_token(tok[i], tl - 1)) {
			if (rq->nheaders == EX_HEADERS_MAX) {
				snprintf(err, errlen, "more than %d header "
				    "fields", EX_HEADERS_MAX);
				goto fail;
			}
			h = &rq->headers[rq->nheaders++];
			tok[i][tl - 1] = '\0';
			h->name = tok[i];
			h->value = NULL;
			continue;
		}
		if (h == NULL) {
			snprintf(err, errlen, "unexpected \"%s\" (expected "
			    "\"from ADDRESS\" or \"Name: value\")", tok[i]);
			goto fail;
		}
		/* A value of several words: join them again, one space. */
		if (h->value == NULL)
			h->value = tok[i];
		else {
			vend = h->value + strlen(h->value);
			*vend = ' ';
			memmove(vend + 1, tok[i], tl + 1);
		}
	}
	for (i = 0; i < rq->nheaders; i++)
		if (rq->headers[i].value == NULL)
			rq->headers[i].value = rq->headers[i].name +
			    strlen(rq->headers[i].name);
	return rq;
fail:
	explain_free(rq);
	return NULL;
}

void
explain_free(struct explain_req *rq)
{
	if (rq == NULL)
		return;
	free(rq->buf);
	free(rq);
}
