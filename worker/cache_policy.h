/*
 * The cache's HTTP rules as pure functions of a head and the time (RFC
 * 9111, RFC 9213): Cache-Control and targeted fields, storability and
 * freshness, age, entity tags, byte ranges. worker/cache*.c apply them.
 */
#ifndef WORKER_CACHE_POLICY_H
#define WORKER_CACHE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cache_store.h"
#include "common/config.h"
#include "common/http_parse.h"

/* Entry flags (cs_meta.flags). */
#define CMF_NO_CACHE		0x01	/* revalidate before each use */
#define CMF_MUST_REVALIDATE	0x02	/* never served stale */
#define CMF_COMPRESSIBLE	0x04	/* frontd may compress it */
#define CMF_VALIDATOR		0x08	/* ETag or Last-Modified */

#define CC_NOVAL	(-5)	/* a directive without "=value" */

/* The directives of a Cache-Control reading (request or response);
 * numbers are -1 when absent, -2 when given but not a number. */
struct cc {
	bool	 no_store, no_cache, private_, public_, must_revalidate;
	bool	 proxy_revalidate, only_if_cached, must_understand;
	int64_t	 max_age, s_maxage, max_stale, min_fresh, swr, sie;
};

enum cache_range {
	RANGE_WHOLE,		/* no Range, or one answered with all of it */
	RANGE_PART,		/* 206 with one range */
	RANGE_UNSATISFIABLE	/* 416 */
};

bool		 cp_name_is(const char *, const struct http_header *,
		    const char *name);
const struct http_header *cp_find(const char *, const struct http_head *,
		    const char *name);

void		 cc_init(struct cc *);
/* One field into cc if it is Cache-Control or Pragma; then cc_done(). */
bool		 cc_field(struct cc *, const char *, const struct http_header *,
		    bool *cc_seen, bool *pragma);
void		 cc_done(struct cc *, bool cc_seen, bool pragma);
void		 cc_read(struct cc *, const char *, const struct http_head *);
void		 cc_response(struct cc *, const struct cfg_route *,
		    const char *, const struct http_head *, bool *targeted);

int64_t		 cp_head_date(const char *, const struct http_head *,
		    const char *name, int64_t now);
int64_t		 cp_head_age(const char *, const struct http_head *);
int64_t		 cp_current_age(const struct cs_meta *, int64_t now);
bool		 cp_etag_listed(const char *list, size_t llen, const char *tag,
		    size_t tlen);
const char	*cp_storable(const char *, const struct http_head *,
		    const struct cfg_route *, bool auth, uint64_t max_object,
		    int64_t now, int64_t req_time, struct cs_meta *);
enum cache_range cp_range(const char *value, size_t len, uint64_t bodylen,
		    uint64_t *first, uint64_t *n);

#endif
