/*
 * Credentials a worker verified lately, so that a keep-alive client does
 * not cost a slow hash per request: a small fixed table in the worker's
 * own memory, keyed by a keyed SHA-256 of the whole Authorization value
 * and the htpasswd generation. Neither passwords nor their plain hashes
 * are kept; an entry lasts at most the TTL after its verification.
 */
#ifndef COMMON_AUTH_CACHE_H
#define COMMON_AUTH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_CACHE_SETS		64
#define AUTH_CACHE_WAYS		4
#define AUTH_CACHE_ENTRIES	(AUTH_CACHE_SETS * AUTH_CACHE_WAYS)
#define AUTH_CACHE_TTL_MS	60000		/* the default */
#define AUTH_CACHE_TTL_MAX_MS	(10 * 60000)	/* longer ones are cut */
#define AUTH_CACHE_SECRET_LEN	32
#define AUTH_CACHE_KEY_LEN	32

struct auth_cache;

/*
 * What a lookup and a store are about; computed once per request. An
 * entry goes to set d[0] % AUTH_CACHE_SETS, among AUTH_CACHE_WAYS.
 */
struct auth_cache_key {
	uint8_t		d[AUTH_CACHE_KEY_LEN];
};

/*
 * A new, empty cache whose entries last ttl_ms (0: nothing is kept; at
 * most AUTH_CACHE_TTL_MAX_MS). secret keys the hash; NULL draws one with
 * getrandom(), so two workers' keys differ (tests pass their own).
 * Called once per worker, at its start; NULL if memory or OpenSSL
 * failed.
 */
struct auth_cache	*auth_cache_new(int64_t ttl_ms, const uint8_t *secret);
void			 auth_cache_free(struct auth_cache *);

/*
 * The key of value[0..len), an Authorization field value as received,
 * for the htpasswd file of that generation. -1 if OpenSSL failed (the
 * caller then verifies without the cache).
 */
int	auth_cache_key(struct auth_cache *, uint64_t generation,
	    const char *value, size_t len, struct auth_cache_key *);

/* Whether key was stored less than the TTL before now_ms. */
bool	auth_cache_hit(struct auth_cache *, const struct auth_cache_key *,
	    int64_t now_ms);

/*
 * Remembers key as verified at now_ms, in place of an expired entry of
 * its set, else of the one used least recently.
 */
void	auth_cache_put(struct auth_cache *, const struct auth_cache_key *,
	    int64_t now_ms);

/* Entries not expired at now_ms. */
size_t	auth_cache_count(const struct auth_cache *, int64_t now_ms);

#endif
