/*
 * The verified-credentials cache: 64 sets of 4 entries, a set chosen by
 * the key's first byte, so a lookup compares at most 4 keys. The key is
 * SHA-256 over a per-cache random secret, the file's generation and the
 * field value: a dump of the table gives no fast way to test passwords,
 * and another file or a reloaded one never meets an old entry.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/auth_cache.h"

struct auth_cache_entry {
	struct auth_cache_key	 key;
	int64_t			 verified_ms;
	int64_t			 used_ms;
	bool			 live;
};

struct auth_cache {
	struct auth_cache_entry	 sets[AUTH_CACHE_SETS][AUTH_CACHE_WAYS];
	uint8_t			 secret[AUTH_CACHE_SECRET_LEN];
	int64_t			 ttl_ms;
	EVP_MD			*md;
	EVP_MD_CTX		*ctx;
};

static struct auth_cache_entry *ac_set(struct auth_cache *,
		    const struct auth_cache_key *);
static bool	ac_fresh(const struct auth_cache *,
		    const struct auth_cache_entry *, int64_t);

struct auth_cache *
auth_cache_new(int64_t ttl_ms, const uint8_t *secret)
{
	struct auth_cache	*c;
	size_t			 n;
	ssize_t			 r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ttl_ms = ttl_ms < 0 ? 0 : ttl_ms > AUTH_CACHE_TTL_MAX_MS ?
	    AUTH_CACHE_TTL_MAX_MS : ttl_ms;
	if (secret != NULL)
		memcpy(c->secret, secret, sizeof(c->secret));
	else
		for (n = 0; n < sizeof(c->secret); n += (size_t)r)
			if ((r = getrandom(c->secret + n,
			    sizeof(c->secret) - n, 0)) <= 0)
				goto fail;
	/* Fetched once: an implicit fetch per digest would cost a lookup. */
	if ((c->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (c->ctx = EVP_MD_CTX_new()) == NULL)
		goto fail;
	return c;
fail:
	auth_cache_free(c);
	return NULL;
}

void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->ctx);
	EVP_MD_free(c->md);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

int
auth_cache_key(struct auth_cache *c, uint64_t generation, const char *value,
    size_t len, struct auth_cache_key *key)
{
	uint8_t		gen[8];
	unsigned	n;

	for (int i = 0; i < 8; i++)
		gen[i] = (uint8_t)(generation >> (8 * i));
	if (EVP_DigestInit_ex2(c->ctx, c->md, NULL) != 1 ||
	    EVP_DigestUpdate(c->ctx, c->secret, sizeof(c->secret)) != 1 ||
	    EVP_DigestUpdate(c->ctx, gen, sizeof(gen)) != 1 ||
	    EVP_DigestUpdate(c->ctx, value, len) != 1 ||
	    EVP_DigestFinal_ex(c->ctx, key->d, &n) != 1 ||
	    n != sizeof(key->d))
		return -1;
	return 0;
}

bool
auth_cache_hit(struct auth_cache *c, const struct auth_cache_key *key,
    int64_t now_ms)
{
	struct auth_cache_entry	*set = ac_set(c, key);

	for (int i = 0; i < AUTH_CACHE_WAYS; i++)
		if (ac_fresh(c, &set[i], now_ms) &&
		    CRYPTO_memcmp(set[i].key.d, key->d, sizeof(key->d)) == 0) {
			set[i].used_ms = now_ms;
			return true;
		}
	return false;
}

void
auth_cache_put(struct auth_cache *c, const struct auth_cache_key *key,
    int64_t now_ms)
{
	struct auth_cache_entry	*set = ac_set(c, key), *e = NULL;

	if (c->ttl_ms == 0)
		return;
	for (int i = 0; i < AUTH_CACHE_WAYS && e == NULL; i++)
		if (set[i].live && memcmp(set[i].key.d, key->d,
		    sizeof(key->d)) == 0)
			e = &set[i];
	for (int i = 0; i < AUTH_CACHE_WAYS && e == NULL; i++)
		if (!ac_fresh(c, &set[i], now_ms))
			e = &set[i];
	if (e == NULL) {
		e = &set[0];
		for (int i = 1; i < AUTH_CACHE_WAYS; i++)
			if (set[i].used_ms < e->used_ms)
				e = &set[i];
	}
	e->key = *key;
	e->verified_ms = now_ms;
	e->used_ms = now_ms;
	e->live = true;
}

size_t
auth_cache_count(const struct auth_cache *c, int64_t now_ms)
{
	size_t	n = 0;

	for (int s = 0; s < AUTH_CACHE_SETS; s++)
		for (int i = 0; i < AUTH_CACHE_WAYS; i++)
			n += ac_fresh(c, &c->sets[s][i], now_ms);
	return n;
}

/* Helpers. */

static struct auth_cache_entry *
ac_set(struct auth_cache *c, const struct auth_cache_key *key)
{
	return c->sets[key->d[0] % AUTH_CACHE_SETS];
}

/* A clock that went back counts as expiry, never as a longer life. */
static bool
ac_fresh(const struct auth_cache *c, const struct auth_cache_entry *e,
    int64_t now_ms)
{
	return e->live && now_ms >= e->verified_ms &&
	    now_ms - e->verified_ms < c->ttl_ms;
}
