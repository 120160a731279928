/*
 * What compression decides before any encoder runs: the coding a client
 * takes, from its parsed Accept-Encoding and the route's codings, and
 * whether a response type is listed. Pure functions, unit-tested.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "worker/accept_encoding.h"
#include "worker/compress.h"

static const char *const coding_names[CODING_MAX] = {
	[CODING_NONE] = "identity",
	[CODING_GZIP] = "gzip",
	[CODING_BR] = "br",
};

/* In order of preference: of two equally welcome, the first is taken. */
static const struct {
	enum coding	 coding;
	enum ae_name	 name;
} prefer[] = {
	{ CODING_BR, AE_BR },		/* smaller output */
	{ CODING_GZIP, AE_GZIP },
};

const char *
coding_name(enum coding c)
{
	return c > CODING_NONE && c < CODING_MAX ? coding_names[c] :
	    coding_names[CODING_NONE];
}

/* The welcome coding with the highest weight above 0, or CODING_NONE. */
enum coding
coding_negotiate(const struct ae *ae, bool gzip_ok, bool br_ok)
{
	bool		 ok[CODING_MAX] = { [CODING_GZIP] = gzip_ok,
			    [CODING_BR] = br_ok };
	enum coding	 best = CODING_NONE;
	int		 bestq = 0, q;

	for (size_t i = 0; i < nitems(prefer); i++) {
		if (!ok[prefer[i].coding])
			continue;
		if ((q = ae_weight(ae, prefer[i].name)) > bestq) {
			best = prefer[i].coding;
			bestq = q;
		}
	}
	return best;
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
