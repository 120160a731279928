/*
 * The response cache as HTTP sees it (RFC 9111): keys, what is stored and
 * for how long, what a request may be answered with, revalidation, Vary,
 * compressed variants, collapsing and Cache-Status (RFC 9211). Storage is
 * common/cache_store.c.
 */
#ifndef WORKER_CACHE_H
#define WORKER_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cache_store.h"
#include "common/config.h"
#include "worker/cache_policy.h"

struct conn;
struct proc_env;
struct req;


enum cache_fwd {
	FWD_NONE, FWD_URI_MISS, FWD_VARY_MISS, FWD_STALE, FWD_REQUEST,
	FWD_BYPASS, FWD_METHOD
};

/* What request_start does next. */
enum cache_step {
	CACHE_FORWARD,		/* to the upstream (maybe storing) */
	CACHE_SERVE,		/* from the cache: cache_serve_head() */
	CACHE_WAIT,		/* another fetches it: poll */
	CACHE_ANSWERED		/* status/body set: a local answer */
};

/* Per request, while the route caches. */
struct rcache {
	uint8_t			 fwd;		/* enum cache_fwd; NONE: hit */
	bool			 lookup;	/* may be answered from cache */
	bool			 store;		/* may be stored */
	bool			 invalidate;	/* unsafe method */
	bool			 locked;	/* holds the fetch lock */
	bool			 collapsed;	/* waited for another */
	bool			 have;		/* found one, maybe stale */
	bool			 revalidating;	/* conditional sent for it */
	bool			 serving;	/* the body is from the cache */
	bool			 not_modified;	/* answer the client 304 */
	bool			 stored;	/* writers running */
	bool			 coded_hit;	/* stored compressed variant */
	bool			 head_loaded;	/* its head is in r->up_in */
	bool			 purge;		/* a PURGE request */
	const char		*detail;	/* Cache-Status detail, or
						   NULL */
	int			 fwd_status;	/* upstream's, revalidating */
	int64_t			 ttl;		/* freshness left, seconds */
	int64_t			 age;
	int64_t			 wait_until_ms;
	int64_t			 req_time;	/* wall seconds, sent */
	/* Request directives */
	bool			 rq_no_cache, rq_only_if_cached;
	/* Request fields, by index in its head; -1: none. */
	int16_t			 rq_inm, rq_ims, rq_auth, rq_range, rq_if_range;
	/* A hit for a Range request: one part, or none satisfiable. */
	uint8_t			 range;		/* enum cache_range */
	uint64_t		 range_first, range_len;
	uint64_t		 serve_len;	/* body bytes served */
	int64_t			 rq_max_age, rq_max_stale, rq_min_fresh;
	/* The entry found */
	struct cs_found		 found;
	struct cs_cursor	 cur;
	/* Writers: the identity object and a compressed variant. */
	struct cs_writer	 w, wenc;
	struct cs_meta		 meta;
	uint64_t		 hash;		/* primary key: the lock */
	uint64_t		 ohash;		/* object key (variant) */
	uint16_t		 keylen;	/* primary key in key[] */
	uint16_t		 okeylen;	/* object key in key[] */
	uint64_t		 nonce;		/* of the vary entry read */
	uint64_t		 vary_names;	/* hash of its names */
	uint16_t		 lines_len;	/* lines[]: Age, Cache-Status */
	uint16_t		 cond_len;
	char			 cond[512];	/* conditional request lines */
	char			 lines[256];
	char			 key[CS_KEY_MAX + 512];
};

void		 cache_init(struct cs_zone *);
enum cache_step	 cache_request(struct conn *, const struct cfg_route *);
enum cache_step	 cache_poll(struct conn *);
enum cache_step	 cache_response(struct conn *);
int		 cache_serve_load(struct conn *);
void		 cache_head_lines(struct conn *);
ssize_t		 cache_body_read(struct conn *);
void		 cache_store_plain(struct conn *, const char *, size_t);
void		 cache_store_coded(struct conn *, const char *, size_t);
void		 cache_finish(struct conn *);
void		 cache_req_end(struct req *);
const char	*cache_log_word(const struct req *);
bool		 cache_stale_ok(struct conn *, int status);
size_t		 cache_metrics(const struct proc_env *, char *, size_t);
void		 cache_trim(void);

#endif
