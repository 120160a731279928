/*
 * The shared response cache's storage: one zone for all workers, made by
 * the master (anonymous, or a file so it outlives a restart). A hash index
 * of entries, each a chain of fixed-size blocks holding the key, the
 * stored response head and the body. What HTTP means by fresh or
 * cacheable is the worker's business (worker/cache*.c); this file
 * stores bytes.
 *
 * Locking: one robust process-shared mutex guards the index, the lists
 * and the free lists. Bodies are read without it: a reader copies a block,
 * then checks the entry's generation, which is bumped before its blocks
 * are freed (a seqlock), so an entry evicted under a reader is noticed,
 * never served torn. An entry is linked into the index only once it is
 * complete, so a worker that dies while writing leaves nothing visible;
 * its blocks are taken back when its pid is found dead.
 */
#ifndef COMMON_CACHE_STORE_H
#define COMMON_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CS_BLOCK		4096
#define CS_NIL			UINT32_MAX
#define CS_KEY_MAX		4096	/* bytes of a cache key */
#define CS_HEAD_MAX		(32 * 1024)	/* a stored response head */

enum cs_kind { CS_OBJECT = 1, CS_VARY = 2 };

/* What the worker's cache keeps with an entry; times are wall seconds. */
struct cs_meta {
	uint8_t		 kind;		/* enum cs_kind */
	uint8_t		 coding;	/* of the stored body: enum coding */
	uint16_t	 flags;		/* CMF_* in worker/cache_policy.h */
	int32_t		 status;
	int64_t		 response_time;
	int64_t		 initial_age;	/* corrected initial age */
	int64_t		 lifetime;	/* freshness lifetime */
	int64_t		 swr;		/* stale-while-revalidate, -1 none */
	int64_t		 sie;		/* stale-if-error, -1 none */
	int64_t		 date;		/* Date, or response time */
	int64_t		 last_modified;	/* 0: none */
	uint64_t	 id;		/* of the object; its copies share it */
};

/* Counters, shown by the metrics route. */
enum cs_stat {
	CS_HITS, CS_MISSES, CS_STALE, CS_REVALIDATED, CS_STORES,
	CS_EVICTIONS, CS_PURGES, CS_STAT_MAX
};

struct cs_zone;

/* A found entry: its head is copied out; the body is read with
 * cs_read(). */
struct cs_found {
	uint32_t	 idx, gen;
	struct cs_meta	 meta;
	uint32_t	 keylen, headlen;
	uint64_t	 bodylen;
};

/* Reading a body: where the next byte is. */
struct cs_cursor {
	uint32_t	 idx, gen;
	uint32_t	 block;		/* CS_NIL: not started */
	uint32_t	 boff;		/* offset in block */
	uint64_t	 left;		/* body bytes still to read */
	uint64_t	 skip;		/* key + head before the body */
};

/* Writing an entry. */
struct cs_writer {
	uint32_t	 idx;		/* CS_NIL: none */
	uint32_t	 last;		/* last block of the chain */
	uint32_t	 used;		/* bytes in it */
	uint64_t	 size;		/* bytes written */
	uint64_t	 max;		/* body bytes allowed */
	uint32_t	 keylen, headlen;
	bool		 head_set;	/* cs_head_done() was called */
	bool		 failed;
};

enum cs_lock_result { CS_LOCK_TAKEN, CS_LOCK_BUSY, CS_LOCK_PASS };

struct cs_zone	*cs_zone_open(uint64_t size, const char *file, char *err,
		    size_t errlen);
bool		 cs_zone_fits(const struct cs_zone *, uint64_t size,
		    const char *file);
void		 cs_zone_close(struct cs_zone *);
void		 cs_zone_recover(struct cs_zone *, bool all);

uint64_t	 cs_hash(const char *, size_t);
int		 cs_lookup(struct cs_zone *, uint64_t hash, const char *key,
		    size_t keylen, struct cs_found *, char *head,
		    size_t headroom);
void		 cs_cursor_init(struct cs_cursor *, const struct cs_found *);
ssize_t		 cs_read(struct cs_zone *, struct cs_cursor *, char *,
		    size_t);

int		 cs_begin(struct cs_zone *, struct cs_writer *,
		    const char *key, size_t keylen, uint64_t max);
int		 cs_write(struct cs_zone *, struct cs_writer *, const void *,
		    size_t);
void		 cs_head_done(struct cs_writer *);
int		 cs_commit(struct cs_zone *, struct cs_writer *, uint64_t hash,
		    const struct cs_meta *);
void		 cs_abort(struct cs_zone *, struct cs_writer *);

int		 cs_remove(struct cs_zone *, uint64_t hash, const char *key,
		    size_t keylen);
int		 cs_remove_prefix(struct cs_zone *, const char *prefix,
		    size_t len);

enum cs_lock_result cs_lock(struct cs_zone *, uint64_t hash,
		    int64_t now_ms, int64_t timeout_ms);
bool		 cs_lock_held(struct cs_zone *, uint64_t hash, int64_t now_ms);
void		 cs_unlock(struct cs_zone *, uint64_t hash, int64_t now_ms,
		    int64_t pass_ms);

void		 cs_stat_add(struct cs_zone *, enum cs_stat, uint64_t);
void		 cs_stats(struct cs_zone *, uint64_t stats[CS_STAT_MAX],
		    uint64_t *entries, uint64_t *bytes, uint64_t *size);

#endif
