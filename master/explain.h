/*
 * frontd -t -e REQUEST: what a request would meet in a configuration
 * (listener, route, rules, upstream, servers), one fact per line with the
 * file:line responsible. Reads the configuration only; never a socket.
 */
#ifndef MASTER_EXPLAIN_H
#define MASTER_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

#include "common/config.h"

struct explain_req;

/*
 * Parses "[METHOD] URL [from ADDRESS] [Name: value ...]". NULL, with the
 * reason in err, when it cannot be read; the caller frees the result.
 */
struct explain_req	*explain_parse(const char *, char *err,
			    size_t errlen);
void			 explain_print(const struct config *,
			    const struct explain_req *, FILE *);
void			 explain_free(struct explain_req *);

#endif
