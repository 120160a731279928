/*
 * The route table: built once per configuration by the master (so -t
 * sees its cost and workers share it copy-on-write), then read-only.
 * Host lookup is a hash (exact names, then wildcard suffixes), path lookup
 * a binary search over sorted prefixes, so the cost of a request does not
 * grow with the number of routes; only regex routes are tried in turn.
 */
#ifndef COMMON_ROUTE_H
#define COMMON_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/http_parse.h"

struct route_query {
	const char		*host;		/* lower case, no port */
	size_t			 hostlen;
	const char		*path;		/* normalized, no query */
	size_t			 pathlen;
	enum http_method	 meth;
	const char		*method;	/* as sent, for other methods */
	size_t			 methodlen;
	int			 listener;	/* index in config->listeners */
};

struct router	*router_build(const struct config *);
void		 router_free(struct router *);
/* Index in config->routes, -1: no route, -2: a regex could not be run. */
int		 router_match(const struct router *, const struct config *,
		    const struct route_query *);

/*
 * Normalizes a request path for matching: percent-encoded unreserved
 * characters decoded, dot segments removed, repeated slashes merged.
 * dst has room for len bytes. Returns the new length, or -1 if the path
 * climbs above the root.
 */
ssize_t		 path_normalize(const char *src, size_t len, char *dst);
ssize_t		 route_strip_prefix(const char *, const char *, size_t, char *,
		    const char **);

uint32_t	 hash32(const void *, size_t);

/*
 * Runs a compiled regex (pcre2_code) with this process's match data and
 * bounded JIT stack and match limits. Returns the count of pairs in
 * *ovector (> 0) on a match, 0 on no match, -1 when the match could not
 * be decided (a limit was hit): callers fail closed.
 */
int		 regex_match(const void *code, const char *s, size_t len,
		    const size_t **ovector);

#endif
