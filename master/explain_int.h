/*
 * What the files of frontd -t -e share: the request as read from the
 * argument, one walk through a configuration, and the printing of one
 * fact per line, each after the file:line responsible. Only the
 * master/explain*.c files include it; the rest of frontd sees explain.h.
 */
#ifndef MASTER_EXPLAIN_INT_H
#define MASTER_EXPLAIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "master/explain.h"

#define EX_TARGET_MAX	4096	/* path and query of the URL */
#define EX_HEADERS_MAX	16
#define EX_LINE_MAX	8192	/* one printed fact */
#define EX_ARG_MAX	(EX_TARGET_MAX + 4096)

struct ex_header {
	char		*name;
	char		*value;
};

struct explain_req {
	char			 method[32];
	enum http_method	 meth;
	bool			 tls;		/* https */
	int			 port;
	char			 host[256];	/* lower case, no final
						   dot */
	size_t			 hostlen;
	char			 authority[264];	/* host[:port] */
	/* path?query as given, then the path normalized */
	char			 target[EX_TARGET_MAX];
	size_t			 targetlen;
	char			 path[EX_TARGET_MAX];
	size_t			 pathlen;
	bool			 above_root;	/* the path climbs above
						   "/" */
	const char		*query;	/* after '?'; or NULL */
	size_t			 querylen;
	bool			 has_from;
	struct addr		 from;
	struct ex_header	 headers[EX_HEADERS_MAX];
	size_t			 nheaders;
	char			*buf;	/* the argument, in words */
};

/* One walk: the configuration, the request, where to print. */
struct ex {
	const struct config		*cfg;
	const struct explain_req	*rq;
	FILE				*fp;
	int				 listener;	/* -1: none */
};

/* The names of enum http_method; NULL for HTTP_M_OTHER. */
extern const char *const explain_method_names[HTTP_M_PATCH + 1];

/*
 * ex_say prints one fact, after "file:line: " when the place names one;
 * ex_where is where a key was first given in a section, else the section's
 * header; ex_label names a section as "[route api]"; ex_cat appends to a
 * bounded string, cutting what does not fit.
 */
void			 ex_say(struct ex *, const struct cfg_where *,
			    const char *, ...)
			    __attribute__((format(printf, 3, 4)));
const struct cfg_where	*ex_where(const struct cfg_section *, const char *);
const char		*ex_label(const struct cfg_section *, char *, size_t);
void			 ex_cat(char *, size_t, const char *, ...)
			    __attribute__((format(printf, 3, 4)));

/*
 * explain_listeners fills idx with the listeners that take the request
 * and returns how many; explain_routes tells which route takes it and why
 * the others do not, and returns its index, or -1 when the request ends
 * there (explain_route.c).
 */
size_t			 explain_listeners(struct ex *, int *, size_t);
int			 explain_routes(struct ex *);

/*
 * What the route taken does: the answer it gives itself, or the target,
 * upstream, cache and compression of a proxy, and the headers it sets
 * (explain_action.c).
 */
void			 explain_action(struct ex *, const struct cfg_route *);

#endif
