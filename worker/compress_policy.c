/*
 * What compression decides before any encoder runs: the coding a client
 * takes, from its Accept-Encoding and the route's codings, and whether a
 * response type is listed. Pure functions of their inputs.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "worker/compress.h"

static const char *const coding_names[CODING_MAX] = {
	[CODING_NONE] = "identity",
	[CODING_GZIP] = "gzip",
	[CODING_BR] = "br",
};

const char *
coding_name(enum coding c)
{
	return c > CODING_NONE && c < CODING_MAX ? coding_names[c] :
	    coding_names[CODING_NONE];
}

/* "q=0.5" -> 500; a bad or missing value counts as 1. */
static int
qvalue(const char *p, const char *end)
{
	int	q = 0, digits = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return 1000;
	p += 2;
	if (p < end && *p == '1')
		return 1000;
	if (p >= end || *p != '0')
		return 1000;
	p++;
	if (p < end && *p == '.')
		for (p++; p < end && digits < 3 && *p >= '0' && *p <= '9';
		    p++, digits++)
			q = q * 10 + (*p - '0');
	while (digits++ < 3)
		q *= 10;
	return q;
}

enum coding
coding_negotiate(const char *v, size_t len, bool gzip_ok, bool br_ok)
{
	const char	*p = v, *end = v + len;
	int		 qg = -1, qb = -1, qstar = -1;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *semi, *te;
		int q;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		semi = e > p ? memchr(p, ';', (size_t)(e - p)) : NULL;
		te = semi ? semi : e;
		while (te > p && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		q = semi ? qvalue(semi + 1, e) : 1000;
		if (te - p == 4 && strncasecmp(p, "gzip", 4) == 0)
			qg = q;
		else if (te - p == 6 && strncasecmp(p, "x-gzip", 6) == 0 &&
		    qg < 0)
			qg = q;
		else if (te - p == 2 && strncasecmp(p, "br", 2) == 0)
			qb = q;
		else if (te - p == 1 && *p == '*')
			qstar = q;
		p = e + 1;
	}
	if (qg < 0)
		qg = qstar;
	if (qb < 0)
		qb = qstar;
	if (!gzip_ok)
		qg = -1;
	if (!br_ok)
		qb = -1;
	if (qb > 0 && qb >= qg)
		return CODING_BR;
	if (qg > 0)
		return CODING_GZIP;
	return CODING_NONE;
}

bool
compress_type_ok(const struct cfg_route *r, const char *type, size_t len)
{
	const char	*semi = memchr(type, ';', len), *slash;

	if (semi != NULL)
		len = (size_t)(semi - type);
	while (len > 0 && (type[len - 1] == ' ' || type[len - 1] == '\t'))
		len--;
	if ((slash = memchr(type, '/', len)) == NULL)
		return false;
	for (size_t i = 0; i < r->ncompress_types; i++) {
		const char *t = r->compress_types[i];
		size_t tl = strlen(t);

		/* "text/" followed by a star: the major type alone. */
		if (tl >= 2 && t[tl - 1] == '*' && t[tl - 2] == '/') {
			if ((size_t)(slash - type) == tl - 2 &&
			    strncasecmp(type, t, tl - 2) == 0)
				return true;
		} else if (tl == len && strncasecmp(type, t, len) == 0)
			return true;
	}
	return false;
}
