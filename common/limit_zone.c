/*
 * The shared zone of rate and connection limits. Buckets sit in sets of
 * LIMIT_WAYS, each set behind a robust process-shared mutex: a key hashes
 * (SipHash, with a secret chosen when the zone is made, so a client cannot
 * aim its keys at another's set) to one set and lives in one of its ways.
 *
 * A rate limit is GCRA: one theoretical arrival time per key. A connection
 * limit is a total per key plus, per process, a share of it: the share is
 * what the master subtracts when it reaps a process that died holding
 * connections (limit_zone_reap), so a crash leaks nothing.
 *
 * A bucket is free when it holds nothing a fresh one would not: a rate
 * whose arrival time is past, a count of zero. Otherwise the least recently
 * seen rate bucket of the set is taken; a count above zero is never taken.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/limit_zone.h"
#include "common/shm.h"

enum bucket_kind {
	B_EMPTY,
	B_RATE,			/* tat_us: theoretical arrival time */
	B_CONN,			/* count: connections of all processes */
	B_HOLD			/* count: owner's share of the total "other" */
};

struct bucket {
	uint64_t	 hash;		/* 0: never used */
	int64_t		 tat_us;	/* B_RATE */
	int64_t		 seen_ms;	/* last use, for the LRU */
	uint64_t	 other;		/* B_HOLD: hash of its total */
	int32_t		 owner;		/* B_HOLD: pid */
	uint32_t	 count;		/* B_CONN, B_HOLD */
	uint8_t		 kind;		/* enum bucket_kind */
	uint8_t		 keylen;	/* bytes in key */
	char		 key[LIMIT_KEY_SHOWN];	/* its first bytes */
};

struct set {
	_Alignas(64) pthread_mutex_t mu;
	struct bucket	 b[LIMIT_WAYS];
};

struct limit_zone {
	struct shm_hdr		 hdr;		/* nslots: the buckets */
	uint64_t		 seed[2];	/* SipHash key */
	uint64_t		 nsets;
	_Atomic uint64_t	 evictions;
	_Atomic uint64_t	 noroom;
	struct set		 sets[];
};

_Static_assert(sizeof(struct bucket) == 64, "a bucket is a cache line");

static uint64_t	key_hash(const struct limit_zone *, enum bucket_kind,
		    const char *, const void *, size_t);
static uint64_t	hold_hash(uint64_t, pid_t);
static uint64_t	siphash(const uint64_t[2], const void *, size_t);
static struct set *set_of(struct limit_zone *, uint64_t, uint32_t *);
static void	set_lock(struct set *);
static void	set_unlock(struct set *);
static struct bucket *bucket_find(struct set *, uint64_t);
static struct bucket *bucket_claim(struct limit_zone *, struct set *,
		    uint64_t, enum bucket_kind, const void *, size_t,
		    int64_t, const struct bucket *);
static bool	bucket_free(const struct bucket *, int64_t);
static void	lock_two(struct set *, uint32_t, struct set *, uint32_t);
static void	unlock_two(struct set *, struct set *);

/*
 * A zone in size bytes, header included, or NULL (errno set): ENOMEM for
 * mmap, EINVAL when size does not hold one set.
 */
struct limit_zone *
limit_zone_create(uint64_t size)
{
	struct limit_zone	*z;
	pthread_mutexattr_t	 a;
	uint64_t		 nsets;

	if (size < sizeof(*z) + sizeof(struct set)) {
		errno = EINVAL;
		return NULL;
	}
	nsets = (size - sizeof(*z)) / sizeof(struct set);
	if (nsets > UINT32_MAX)
		nsets = UINT32_MAX;
	z = shm_zone_create(SHM_LIMIT, LIMIT_ZONE_VERSION, size,
	    nsets * LIMIT_WAYS);
	if (z == NULL)
		return NULL;
	if (getrandom(z->seed, sizeof(z->seed), 0) != sizeof(z->seed)) {
		shm_zone_destroy(z);
		return NULL;
	}
	z->nsets = nsets;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (uint64_t i = 0; i < nsets; i++)
		pthread_mutex_init(&z->sets[i].mu, &a);
	pthread_mutexattr_destroy(&a);
	return z;
}

/* Whether a reload asking for size may keep z, and every bucket in it. */
bool
limit_zone_fits(const struct limit_zone *z, uint64_t size)
{
	return z != NULL && z->hdr.magic == SHM_MAGIC &&
	    z->hdr.kind == SHM_LIMIT && z->hdr.version == LIMIT_ZONE_VERSION &&
	    z->hdr.size == size;
}

void
limit_zone_destroy(struct limit_zone *z)
{
	shm_zone_destroy(z);
}

/*
 * Called by the master once it has reaped process pid: the connections it
 * held are taken off their totals. A share is cleared before its total is
 * lowered, one set locked at a time, so this never waits on two locks.
 */
void
limit_zone_reap(struct limit_zone *z, pid_t pid)
{
	struct { uint64_t hash; uint32_t count; } lost[LIMIT_WAYS];
	struct bucket	*b;
	struct set	*s;
	size_t		 n;

	for (uint64_t i = 0; i < z->nsets; i++) {
		s = &z->sets[i];
		n = 0;
		set_lock(s);
		for (size_t w = 0; w < LIMIT_WAYS; w++) {
			b = &s->b[w];
			if (b->kind != B_HOLD || b->owner != pid ||
			    b->count == 0)
				continue;
			lost[n].hash = b->other;
			lost[n++].count = b->count;
			b->count = 0;
		}
		set_unlock(s);
		for (size_t k = 0; k < n; k++) {
			s = set_of(z, lost[k].hash, NULL);
			set_lock(s);
			if ((b = bucket_find(s, lost[k].hash)) != NULL)
				b->count -= b->count < lost[k].count ?
				    b->count : lost[k].count;
			set_unlock(s);
		}
	}
}

void
limit_zone_stats(struct limit_zone *z, int64_t now_ms,
    struct limit_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->buckets = z->nsets * LIMIT_WAYS;
	for (uint64_t i = 0; i < z->nsets; i++) {
		set_lock(&z->sets[i]);
		for (size_t w = 0; w < LIMIT_WAYS; w++)
			if (!bucket_free(&z->sets[i].b[w], now_ms))
				st->used++;
		set_unlock(&z->sets[i]);
	}
	st->evictions = atomic_load(&z->evictions);
	st->noroom = atomic_load(&z->noroom);
}

/*
 * GCRA: a request is allowed when it comes no earlier than the key's
 * theoretical arrival time less burst intervals; each one allowed moves
 * that time on by one interval. So a fresh key takes burst + 1 at once,
 * then one per interval. On LIMIT_DENY, *retry_after_ms says when the next
 * would pass; *remaining is how many more would pass now (either may be
 * NULL). A dry run is the caller's: it logs a deny and goes on.
 */
enum limit_verdict
limit_rate_check(struct limit_zone *z, const char *id, const void *key,
    size_t keylen, uint64_t interval_us, uint32_t burst, int64_t now_ms,
    int64_t *retry_after_ms, uint32_t *remaining)
{
	struct set		*s;
	struct bucket		*b;
	uint64_t		 h;
	int64_t			 now_us = now_ms * 1000, tat, tau, allow_at;
	int64_t			 wait_us = 0, left = 0;
	enum limit_verdict	 v = LIMIT_ALLOW;

	if (interval_us == 0)
		interval_us = 1;
	tau = (int64_t)burst * (int64_t)interval_us;
	h = key_hash(z, B_RATE, id, key, keylen);
	s = set_of(z, h, NULL);
	set_lock(s);
	if ((b = bucket_find(s, h)) == NULL &&
	    (b = bucket_claim(z, s, h, B_RATE, key, keylen, now_ms,
	    NULL)) == NULL) {
		set_unlock(s);
		atomic_fetch_add_explicit(&z->noroom, 1, memory_order_relaxed);
		v = LIMIT_NOROOM;
		left = burst;
		goto out;
	}
	b->seen_ms = now_ms;
	tat = b->tat_us > now_us ? b->tat_us : now_us;
	allow_at = tat - tau;
	if (now_us < allow_at) {
		v = LIMIT_DENY;
		wait_us = allow_at - now_us;
	} else {
		b->tat_us = tat + (int64_t)interval_us;
		if (now_us + tau >= b->tat_us)
			left = (now_us + tau - b->tat_us) /
			    (int64_t)interval_us + 1;
	}
	set_unlock(s);
out:
	if (retry_after_ms != NULL)
		*retry_after_ms = (wait_us + 999) / 1000;
	if (remaining != NULL)
		*remaining = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	return v;
}

/*
 * One more connection for key, unless max are open already. On
 * LIMIT_ALLOW, *hold says what limit_conn_release() gives back; it is
 * valid only with this zone (a reload that replaces the zone leaves old
 * workers releasing into the one they counted in).
 */
enum limit_verdict
limit_conn_acquire(struct limit_zone *z, const char *id, const void *key,
    size_t keylen, uint32_t max, int64_t now_ms, struct limit_hold *hold)
{
	struct set	*s, *hs;
	struct bucket	*t, *hd;
	uint32_t	 si, hsi;
	uint64_t	 h, hh;
	pid_t		 self = getpid();

	memset(hold, 0, sizeof(*hold));
	h = key_hash(z, B_CONN, id, key, keylen);
	hh = hold_hash(h, self);
	s = set_of(z, h, &si);
	hs = set_of(z, hh, &hsi);
	lock_two(s, si, hs, hsi);
	if ((t = bucket_find(s, h)) == NULL &&
	    (t = bucket_claim(z, s, h, B_CONN, key, keylen, now_ms,
	    NULL)) == NULL)
		goto noroom;
	t->seen_ms = now_ms;
	if (t->count >= max) {
		unlock_two(s, hs);
		return LIMIT_DENY;
	}
	if ((hd = bucket_find(hs, hh)) == NULL) {
		if ((hd = bucket_claim(z, hs, hh, B_HOLD, key, keylen,
		    now_ms, t)) == NULL)
			goto noroom;
		hd->owner = self;
		hd->other = h;
	}
	hd->seen_ms = now_ms;
	/* A share never counts less than it added to its total: up
	 * first here, down last in release. A process killed between the
	 * two leaves the reap subtracting one too many (floored at 0),
	 * never a count that stays forever. */
	hd->count++;
	t->count++;
	hold->hash = h;
	hold->hold_hash = hh;
	hold->idx = (uint32_t)(t - s->b) + si * LIMIT_WAYS;
	hold->hold_idx = (uint32_t)(hd - hs->b) + hsi * LIMIT_WAYS;
	unlock_two(s, hs);
	return LIMIT_ALLOW;
noroom:
	unlock_two(s, hs);
	atomic_fetch_add_explicit(&z->noroom, 1, memory_order_relaxed);
	return LIMIT_NOROOM;
}

/* Gives back what limit_conn_acquire() counted; then *hold is empty. */
void
limit_conn_release(struct limit_zone *z, struct limit_hold *hold,
    int64_t now_ms)
{
	struct set	*s, *hs;
	struct bucket	*t, *hd;
	uint32_t	 si, hsi;

	if (hold->hash == 0)
		return;
	si = hold->idx / LIMIT_WAYS;
	hsi = hold->hold_idx / LIMIT_WAYS;
	if (si >= z->nsets || hsi >= z->nsets)
		return;		/* another zone's: a caller's bug */
	s = &z->sets[si];
	hs = &z->sets[hsi];
	lock_two(s, si, hs, hsi);
	/* A count above zero is never evicted, so neither has moved; the
	 * hashes are checked for a total a reap floored at 0 meanwhile. */
	t = &s->b[hold->idx % LIMIT_WAYS];
	hd = &hs->b[hold->hold_idx % LIMIT_WAYS];
	if (t->hash == hold->hash && t->count > 0) {
		t->count--;
		t->seen_ms = now_ms;
	}
	if (hd->hash == hold->hold_hash && hd->count > 0)
		hd->count--;
	unlock_two(s, hs);
	memset(hold, 0, sizeof(*hold));
}

/* Connections open for key now, in all processes. */
uint32_t
limit_conn_count(struct limit_zone *z, const char *id, const void *key,
    size_t keylen)
{
	struct set	*s;
	struct bucket	*b;
	uint64_t	 h;
	uint32_t	 n = 0;

	h = key_hash(z, B_CONN, id, key, keylen);
	s = set_of(z, h, NULL);
	set_lock(s);
	if ((b = bucket_find(s, h)) != NULL)
		n = b->count;
	set_unlock(s);
	return n;
}

/* --- helpers ---------------------------------------------------------- */

/*
 * The id is hashed first and folded into the key of a second hash over
 * the key bytes: ("ab", "c") and ("a", "bc") differ, no buffer is needed.
 */
static uint64_t
key_hash(const struct limit_zone *z, enum bucket_kind kind, const char *id,
    const void *key, size_t keylen)
{
	uint64_t	k[2], h;

	k[0] = z->seed[0] ^ siphash(z->seed, id, strlen(id));
	k[1] = z->seed[1] + kind;
	h = siphash(k, key, keylen);
	return h == 0 ? 1 : h;
}

/* A process's share of a total: a bucket of its own, in any set. */
static uint64_t
hold_hash(uint64_t h, pid_t pid)
{
	h ^= (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h == 0 ? 1 : h;
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-2-4 (Aumasson and Bernstein), little-endian words. */
static uint64_t
siphash(const uint64_t k[2], const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint64_t		 v0 = k[0] ^ 0x736f6d6570736575ULL;
	uint64_t		 v1 = k[1] ^ 0x646f72616e646f6dULL;
	uint64_t		 v2 = k[0] ^ 0x6c7967656e657261ULL;
	uint64_t		 v3 = k[1] ^ 0x7465646279746573ULL;
	uint64_t		 m, last = (uint64_t)len << 56;
	size_t			 i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (size_t j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= last;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The set of hash h (by its high bits: no division), and its index. */
static struct set *
set_of(struct limit_zone *z, uint64_t h, uint32_t *index)
{
	uint32_t	i = (uint32_t)(((h >> 32) * z->nsets) >> 32);

	if (index != NULL)
		*index = i;
	return &z->sets[i];
}

/*
 * A process that died holding a set's lock left at most one bucket half
 * written: a share counted before its total (the master's reap corrects
 * it) or a key not yet marked as used. Either is safe to go on with.
 */
static void
set_lock(struct set *s)
{
	if (pthread_mutex_lock(&s->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&s->mu);
}

static void
set_unlock(struct set *s)
{
	pthread_mutex_unlock(&s->mu);
}

/* Two sets in index order, so two processes never wait on each other. */
static void
lock_two(struct set *a, uint32_t ai, struct set *b, uint32_t bi)
{
	if (a == b)
		set_lock(a);
	else if (ai < bi) {
		set_lock(a);
		set_lock(b);
	} else {
		set_lock(b);
		set_lock(a);
	}
}

static void
unlock_two(struct set *a, struct set *b)
{
	set_unlock(a);
	if (b != a)
		set_unlock(b);
}

static struct bucket *
bucket_find(struct set *s, uint64_t h)
{
	for (size_t w = 0; w < LIMIT_WAYS; w++)
		if (s->b[w].hash == h)
			return &s->b[w];
	return NULL;
}

/* Holds nothing a fresh bucket would not. */
static bool
bucket_free(const struct bucket *b, int64_t now_ms)
{
	switch (b->kind) {
	case B_RATE:
		return b->tat_us <= now_ms * 1000;
	case B_CONN:
	case B_HOLD:
		return b->count == 0;
	default:
		return true;
	}
}

/*
 * A bucket of set s for hash h, lock held: a free one, else the least
 * recently seen rate bucket (counted as an eviction), never one with a
 * count and never keep. NULL: every way holds a count.
 */
static struct bucket *
bucket_claim(struct limit_zone *z, struct set *s, uint64_t h,
    enum bucket_kind kind, const void *key, size_t keylen, int64_t now_ms,
    const struct bucket *keep)
{
	struct bucket	*b, *victim = NULL;
	size_t		 w;

	for (w = 0; w < LIMIT_WAYS; w++) {
		b = &s->b[w];
		if (b == keep)
			continue;
		if (bucket_free(b, now_ms)) {
			victim = b;
			break;
		}
		if (b->kind == B_RATE && (victim == NULL ||
		    b->seen_ms < victim->seen_ms))
			victim = b;
	}
	if (victim == NULL)
		return NULL;
	if (w == LIMIT_WAYS)
		atomic_fetch_add_explicit(&z->evictions, 1,
		    memory_order_relaxed);
	b = victim;
	/* The hash last: until then no lookup finds a half-made bucket. */
	b->hash = 0;
	b->kind = kind;
	b->tat_us = 0;
	b->seen_ms = now_ms;
	b->other = 0;
	b->owner = 0;
	b->count = 0;
	b->keylen = keylen < LIMIT_KEY_SHOWN ? keylen : LIMIT_KEY_SHOWN;
	memcpy(b->key, key, b->keylen);
	b->hash = h;
	return b;
}
