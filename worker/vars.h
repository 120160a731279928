/*
 * Request variables ($host, $uri, $http_NAME ...) for templates and hash
 * keys, read from the request being served.
 */
#ifndef WORKER_VARS_H
#define WORKER_VARS_H

#include <stddef.h>

#include "common/config.h"

struct conn;

/*
 * Sets *val and *len to the value (not NUL terminated; may point into scratch,
 * which needs VAR_SCRATCH bytes). Unset values are empty.
 */
#define VAR_SCRATCH	64
void	var_get(const struct conn *, enum cfg_var, const char *name,
	    size_t namelen, char *scratch, const char **val, size_t *len);

/*
 * Expands t into dst. caps/ncaps: PCRE2 ovector pairs over subject, for
 * $1..$9. Returns the length, or (size_t)-1 if it does not fit.
 */
size_t	tpl_expand(const struct conn *, const struct cfg_tpl *,
	    const char *subject, const size_t *caps, int ncaps, char *dst,
	    size_t room);

#endif
