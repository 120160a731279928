/*
 * Unit tests for common/cache_store.c, through its public API only:
 * objects of every size around a block read back in odd pieces, replacing,
 * hash collisions, eviction and scan resistance, aborted and oversized
 * writers, removal, the fetch locks across processes, the recovery of
 * what dead writers left, file-backed zones kept over a reopen, and
 * readers racing a writer that replaces what they read.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/cache_store.h"
#include "t/unit/tap.h"

#define MB	(1024 * 1024)

static char	errbuf[256];

/* --- expected objects ------------------------------------------------- */

struct obj {
	char		*key;
	size_t		 keylen;
	uint64_t	 hash;
	char		*head;
	size_t		 headlen;
	char		*body;
	size_t		 bodylen;
	struct cs_meta	 meta;
};

/* Bytes that differ with the seed and the offset (xorshift32). */
static void
fill(char *p, size_t n, unsigned seed)
{
	uint32_t	x = (seed * 2654435761u) | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (char)(x >> 24);
	}
}

static struct cs_meta
meta_for(unsigned seed)
{
	struct cs_meta	m;

	memset(&m, 0, sizeof(m));
	m.kind = CS_OBJECT;
	m.coding = (uint8_t)(seed % 3);
	m.flags = (uint16_t)(seed * 7);
	m.status = 200 + (int32_t)(seed % 300);
	m.response_time = 1700000000 + seed;
	m.initial_age = seed % 17;
	m.lifetime = 60 + seed;
	m.swr = -1;
	m.sie = seed;
	m.date = 1700000000 - (int64_t)seed;
	m.last_modified = (int64_t)seed * 3;
	m.id = 0x1234567800000000ULL + seed;
	return m;
}

static bool
meta_equal(const struct cs_meta *a, const struct cs_meta *b)
{
	return a->kind == b->kind && a->coding == b->coding &&
	    a->flags == b->flags && a->status == b->status &&
	    a->response_time == b->response_time &&
	    a->initial_age == b->initial_age && a->lifetime == b->lifetime &&
	    a->swr == b->swr && a->sie == b->sie && a->date == b->date &&
	    a->last_modified == b->last_modified && a->id == b->id;
}

/* An object named name, its key padded with '.' to keylen if longer. */
static void
obj_make(struct obj *o, const char *name, size_t keylen, size_t headlen,
    size_t bodylen, unsigned seed)
{
	size_t	nl = strlen(name);

	if (keylen < nl)
		keylen = nl;
	o->key = malloc(keylen + 1);
	memset(o->key, '.', keylen);
	memcpy(o->key, name, nl);
	o->key[keylen] = '\0';
	o->keylen = keylen;
	o->hash = cs_hash(o->key, o->keylen);
	o->head = malloc(headlen + 1);
	fill(o->head, headlen, seed * 2 + 1);
	o->headlen = headlen;
	o->body = malloc(bodylen + 1);
	fill(o->body, bodylen, seed * 2 + 2);
	o->bodylen = bodylen;
	o->meta = meta_for(seed);
}

static void
obj_free(struct obj *o)
{
	free(o->key);
	free(o->head);
	free(o->body);
}

/* Stores o under hash, the body written chunk bytes at a time. */
static int
store(struct cs_zone *z, const struct obj *o, uint64_t hash, size_t chunk)
{
	struct cs_writer	w;

	if (cs_begin(z, &w, o->key, o->keylen, o->bodylen) == -1)
		return -1;
	if (o->headlen > 0 && cs_write(z, &w, o->head, o->headlen) == -1)
		goto fail;
	cs_head_done(&w);
	for (size_t off = 0; off < o->bodylen; off += chunk) {
		size_t n = o->bodylen - off < chunk ? o->bodylen - off : chunk;

		if (cs_write(z, &w, o->body + off, n) == -1)
			goto fail;
	}
	return cs_commit(z, &w, hash, &o->meta);
fail:
	cs_abort(z, &w);
	return -1;
}

static char	headbuf[CS_HEAD_MAX];

/*
 * Looks o up under hash and reads its body piece bytes at a time: NULL
 * when everything is as stored, else what was wrong.
 */
static const char *
verify(struct cs_zone *z, const struct obj *o, uint64_t hash, size_t piece)
{
	struct cs_found		 f;
	struct cs_cursor	 cur;
	char			*body = malloc(o->bodylen + piece + 1);
	const char		*why = NULL;
	size_t			 got = 0;

	memset(headbuf, 0, sizeof(headbuf));
	if (!cs_lookup(z, hash, o->key, o->keylen, &f, headbuf,
	    sizeof(headbuf)))
		why = "not found";
	else if (f.keylen != o->keylen)
		why = "key length";
	else if (f.headlen != o->headlen)
		why = "head length";
	else if (memcmp(headbuf, o->head, o->headlen) != 0)
		why = "head bytes";
	else if (f.bodylen != o->bodylen)
		why = "body length";
	else if (!meta_equal(&f.meta, &o->meta))
		why = "meta";
	else {
		cs_cursor_init(&cur, &f);
		if (cur.left != o->bodylen)
			why = "cursor left at start";
		while (why == NULL && cur.left > 0) {
			uint64_t want = cur.left < piece ? cur.left : piece;
			ssize_t n = cs_read(z, &cur, body + got, piece);

			if (n < 0 || (uint64_t)n != want)
				why = "short or failed read";
			else
				got += (size_t)n;
		}
		if (why != NULL)
			;
		else if (got != o->bodylen || cur.left != 0)
			why = "bytes read";
		else if (memcmp(body, o->body, o->bodylen) != 0)
			why = "body bytes";
		else if (cs_read(z, &cur, body, piece) != 0)
			why = "read past the end";
	}
	free(body);
	return why;
}

#define VERIFY(z, o, hash, piece, ...) do {				\
	const char *why_ = verify(z, o, hash, piece);			\
									\
	ok(why_ == NULL, __VA_ARGS__);					\
	if (why_ != NULL)						\
		printf("#   %s\n", why_);				\
} while (0)

static bool
found(struct cs_zone *z, const char *key, size_t keylen, uint64_t hash)
{
	struct cs_found	f;

	return cs_lookup(z, hash, key, keylen, &f, headbuf, sizeof(headbuf));
}

/* Entries in the zone. */
static uint64_t
entries(struct cs_zone *z)
{
	uint64_t	st[CS_STAT_MAX], n, bytes, size;

	cs_stats(z, st, &n, &bytes, &size);
	return n;
}

static uint64_t
stat_of(struct cs_zone *z, enum cs_stat s)
{
	uint64_t	st[CS_STAT_MAX], n, bytes, size;

	cs_stats(z, st, &n, &bytes, &size);
	return st[s];
}

/*
 * How many whole blocks one writer can take, everything stored being
 * evicted for it; the same number for a zone of the same size unless
 * blocks leaked or a writer still holds some.
 */
static unsigned
capacity(struct cs_zone *z)
{
	static char		blk[CS_BLOCK];
	struct cs_writer	w;
	unsigned		n = 0;

	if (cs_begin(z, &w, "capacity", 8, 1ULL << 40) == -1)
		return 0;
	while (cs_write(z, &w, blk, sizeof(blk)) == 0)
		n++;
	cs_abort(z, &w);
	return n;
}

static struct cs_zone *
zone(uint64_t size, const char *file)
{
	struct cs_zone	*z;

	z = cs_zone_open(size, file, errbuf, sizeof(errbuf));
	if (z == NULL) {
		printf("Bail out! cs_zone_open: %s\n", errbuf);
		exit(1);
	}
	return z;
}

/* Runs fn in a child; its exit status, or 128 + the signal. */
static int
in_child(int (*fn)(struct cs_zone *, uint64_t, int64_t), struct cs_zone *z,
    uint64_t hash, int64_t now)
{
	pid_t	pid;
	int	st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn(z, hash, now));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* --- 1. sizes --------------------------------------------------------- */

static void
test_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097,
	    3 * 4096 + 17, MB, 1000003 };
	static const size_t pieces[] = { 1000, 1, 7, 4096, 4097, 2 * MB };
	struct cs_zone	*z = zone(8 * MB, NULL);
	struct obj	 o[2 * sizeof(sizes) / sizeof(sizes[0]) + 4];
	size_t		 n = 0, total = 0;
	uint64_t	 st[CS_STAT_MAX], ne, bytes, size;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "http://a/size-%zu", sizes[i]);
		obj_make(&o[n], name, 0, 200 + i, sizes[i], (unsigned)n);
		n++;
		snprintf(name, sizeof(name), "http://a/size-%zu-nohead",
		    sizes[i]);
		obj_make(&o[n], name, 0, 0, sizes[i], (unsigned)n);
		n++;
	}
	/* Key and head ending exactly at a block's end. */
	obj_make(&o[n], "http://a/key+head=block", 96, CS_BLOCK - 96, 5000,
	    (unsigned)n);
	n++;
	/* The largest head and the largest key. */
	obj_make(&o[n], "http://a/largest-head", 0, CS_HEAD_MAX, 4097,
	    (unsigned)n);
	n++;
	obj_make(&o[n], "http://a/largest-key", CS_KEY_MAX, 100, 9000,
	    (unsigned)n);
	n++;
	/* A body of one byte after key + head of exactly two blocks. */
	obj_make(&o[n], "http://a/two-blocks", 2000, 2 * CS_BLOCK - 2000, 1,
	    (unsigned)n);
	n++;

	for (size_t i = 0; i < n; i++) {
		ok(store(z, &o[i], o[i].hash, 3000 + i) == 0,
		    "store key %.40s head %zu body %zu", o[i].key,
		    o[i].headlen, o[i].bodylen);
		total += o[i].keylen + o[i].headlen + o[i].bodylen;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++)
			VERIFY(z, &o[i], o[i].hash, pieces[p],
			    "read back key %.40s head %zu body %zu in pieces "
			    "of %zu", o[i].key, o[i].headlen, o[i].bodylen,
			    pieces[p]);

	cs_stats(z, st, &ne, &bytes, &size);
	ok(ne == n && bytes == total && size == 8 * MB &&
	    st[CS_STORES] == n && st[CS_EVICTIONS] == 0,
	    "stats: %zu entries, %zu bytes, %d MB, no evictions", n, total, 8);

	{
		struct cs_found	f;
		struct obj	*big = &o[n - 3];	/* largest head */

		ok(!cs_lookup(z, big->hash, big->key, big->keylen, &f, headbuf,
		    big->headlen - 1), "a head larger than the room is not "
		    "found");
		ok(cs_lookup(z, big->hash, big->key, big->keylen, &f, headbuf,
		    big->headlen), "a head as large as the room is found");
		ok(!found(z, o[0].key, o[0].keylen, o[1].hash) &&
		    !found(z, "http://a/none", 13,
		    cs_hash("http://a/none", 13)),
		    "unknown keys and wrong hashes are not found");
	}
	{
		struct cs_writer	w;
		char			*key = malloc(CS_KEY_MAX + 1);

		memset(key, 'k', CS_KEY_MAX + 1);
		ok(cs_begin(z, &w, key, CS_KEY_MAX + 1, 10) == -1,
		    "a key over CS_KEY_MAX is refused");
		free(key);
	}
	ok(cs_hash("a", 1) != cs_hash("b", 1) && cs_hash("", 0) != 0 &&
	    cs_hash("abc", 3) == cs_hash("abc", 3), "cs_hash");
	for (size_t i = 0; i < n; i++)
		obj_free(&o[i]);
	cs_zone_close(z);
}

/* --- 2. replacing ----------------------------------------------------- */

static void
test_replace(void)
{
	struct cs_zone		*z = zone(MB, NULL);
	struct obj		 v1, v2;
	struct cs_found		 f;
	struct cs_cursor	 c1, c2;
	char			 buf[1000];
	uint64_t		 st[CS_STAT_MAX], ne, bytes, size;

	obj_make(&v1, "http://a/replaced", 0, 300, 10000, 101);
	obj_make(&v2, "http://a/replaced", 0, 150, 5000, 102);
	ok(store(z, &v1, v1.hash, 4096) == 0, "replace: first version stored");
	ok(cs_lookup(z, v1.hash, v1.key, v1.keylen, &f, headbuf,
	    sizeof(headbuf)), "replace: first version found");
	cs_cursor_init(&c1, &f);
	cs_cursor_init(&c2, &f);
	ok(cs_read(z, &c1, buf, sizeof(buf)) == sizeof(buf) &&
	    memcmp(buf, v1.body, sizeof(buf)) == 0,
	    "replace: first version read in part");
	ok(store(z, &v2, v2.hash, 777) == 0, "replace: second version stored");
	cs_stats(z, st, &ne, &bytes, &size);
	ok(ne == 1 && bytes == v2.keylen + v2.headlen + v2.bodylen &&
	    st[CS_STORES] == 2, "replace: one entry, the second's bytes");
	VERIFY(z, &v2, v2.hash, 1000, "replace: the second version is read");
	ok(cs_read(z, &c1, buf, sizeof(buf)) == -1,
	    "replace: a cursor on the old entry, part read, gets -1");
	ok(cs_read(z, &c2, buf, sizeof(buf)) == -1,
	    "replace: a cursor on the old entry, not started, gets -1");
	obj_free(&v1);
	obj_free(&v2);
	cs_zone_close(z);
}

/* --- 3. hash collisions ----------------------------------------------- */

static void
test_collisions(void)
{
	struct cs_zone	*z = zone(MB, NULL);
	struct obj	 a, b, a2, b2;
	uint64_t	 h = cs_hash("shared", 6);
	uint64_t	 h2 = h ^ (1ULL << 63);	/* same bucket */

	obj_make(&a, "http://a/one", 0, 50, 6000, 201);
	obj_make(&b, "http://a/two", 0, 60, 7000, 202);
	obj_make(&a2, "http://a/one", 0, 70, 100, 203);
	obj_make(&b2, "http://a/two", 0, 80, 200, 204);
	ok(store(z, &a, h, 1000) == 0 && store(z, &b, h, 1000) == 0,
	    "collide: two keys stored under one hash");
	ok(entries(z) == 2, "collide: both kept");
	VERIFY(z, &a, h, 1000, "collide: first key reads its own object");
	VERIFY(z, &b, h, 1000, "collide: second key reads its own object");
	ok(!found(z, "http://a/three", 14, h),
	    "collide: a third key under the hash is not found");
	ok(!found(z, a.key, a.keylen, a.hash) && !found(z, a.key, a.keylen, h2),
	    "collide: the key under other hashes is not found");
	ok(store(z, &a2, h2, 1000) == 0 && entries(z) == 3,
	    "collide: the same key under a hash of the same bucket is apart");
	VERIFY(z, &a2, h2, 1000, "collide: it reads its own object");
	VERIFY(z, &a, h, 1000, "collide: the first is still there");
	ok(store(z, &b2, h, 1000) == 0 && entries(z) == 3,
	    "collide: replacing the second key leaves the first");
	VERIFY(z, &b2, h, 1000, "collide: the second key's new object");
	VERIFY(z, &a, h, 1000, "collide: the first key's object unchanged");
	ok(cs_remove(z, h, a.key, a.keylen) == 1, "collide: remove the first");
	ok(!found(z, a.key, a.keylen, h), "collide: first gone");
	VERIFY(z, &b2, h, 1000, "collide: second kept after the removal");
	VERIFY(z, &a2, h2, 1000, "collide: other hash kept after the removal");
	obj_free(&a);
	obj_free(&b);
	obj_free(&a2);
	obj_free(&b2);
	cs_zone_close(z);
}

/* --- 4. eviction and scan resistance ---------------------------------- */

#define NEVICT	300

static void
test_eviction(void)
{
	struct cs_zone	*z = zone(MB, NULL);
	struct obj	*o = calloc(NEVICT, sizeof(*o)), hot, cold;
	int		 stored = 0, hits = 0, bad = 0;
	uint64_t	 ne;

	for (int i = 0; i < NEVICT; i++) {
		char name[64];

		snprintf(name, sizeof(name), "http://a/evict/%d", i);
		obj_make(&o[i], name, 0, 100 + i % 50,
		    1000 + (size_t)(i * 7919) % 40000, 300 + (unsigned)i);
		if (store(z, &o[i], o[i].hash, 1500) == 0)
			stored++;
	}
	ok(stored == NEVICT, "evict: every store succeeds");
	ok(stat_of(z, CS_EVICTIONS) > 0, "evict: evictions counted (%llu)",
	    (unsigned long long)stat_of(z, CS_EVICTIONS));
	ne = entries(z);
	for (int i = 0; i < NEVICT; i++) {
		if (!found(z, o[i].key, o[i].keylen, o[i].hash))
			continue;
		hits++;
		if (verify(z, &o[i], o[i].hash, 1000) != NULL)
			bad++;
	}
	ok(hits > 0 && hits < NEVICT && (uint64_t)hits == ne,
	    "evict: %d of %d left, as many as the entries (%llu)", hits,
	    NEVICT, (unsigned long long)ne);
	ok(bad == 0, "evict: every object found reads back exactly");
	ok(found(z, o[NEVICT - 1].key, o[NEVICT - 1].keylen,
	    o[NEVICT - 1].hash), "evict: the last stored is kept");
	ok(!found(z, o[0].key, o[0].keylen, o[0].hash),
	    "evict: the first stored is gone");
	ok(capacity(z) > 0 && entries(z) == 0,
	    "evict: a writer taking every block evicts everything");
	for (int i = 0; i < NEVICT; i++)
		obj_free(&o[i]);
	free(o);
	cs_zone_close(z);

	/* A scan of objects used once does not push out one used twice. */
	z = zone(MB, NULL);
	obj_make(&hot, "http://a/hot", 0, 200, 50000, 401);
	obj_make(&cold, "http://a/cold", 0, 200, 50000, 402);
	ok(store(z, &hot, hot.hash, 4000) == 0 &&
	    store(z, &cold, cold.hash, 4000) == 0, "scan: hot and cold stored");
	VERIFY(z, &hot, hot.hash, 1000, "scan: hot looked up once");
	VERIFY(z, &hot, hot.hash, 1000, "scan: hot looked up twice");
	bad = 0;
	for (int i = 0; i < 500; i++) {
		struct obj s;
		char name[64];

		snprintf(name, sizeof(name), "http://a/scan/%d", i);
		obj_make(&s, name, 0, 100, 8000 + (size_t)i % 3000,
		    500 + (unsigned)i);
		if (store(z, &s, s.hash, 8192) == -1)
			bad++;
		obj_free(&s);
	}
	ok(bad == 0, "scan: 500 objects stored once");
	ok(stat_of(z, CS_EVICTIONS) > 0, "scan: it evicted");
	ok(!found(z, cold.key, cold.keylen, cold.hash),
	    "scan: the object used once is gone");
	VERIFY(z, &hot, hot.hash, 1000, "scan: the object used twice survives");
	obj_free(&hot);
	obj_free(&cold);
	cs_zone_close(z);
}

/* --- 5. aborted and oversized writers --------------------------------- */

static void
test_abort(void)
{
	struct cs_zone		*z = zone(MB, NULL);
	struct cs_writer	 w;
	unsigned		 cap0 = capacity(z), cap;
	static char		 data[64 * 1024];
	int			 badbegin = 0, visible = 0, nofail = 0;
	int			 latefail = 0, nostick = 0, badcommit = 0;
	struct obj		 keep, big;

	fill(data, sizeof(data), 601);
	ok(cap0 > 200, "abort: a 1 MB zone holds %u blocks", cap0);
	obj_make(&keep, "http://a/kept", 0, 100, 20000, 602);
	ok(store(z, &keep, keep.hash, 5000) == 0, "abort: one object stored");

	for (int i = 0; i < 600; i++) {
		char key[64];
		size_t klen = (size_t)snprintf(key, sizeof(key),
		    "http://a/aborted/%d", i);
		uint64_t h = cs_hash(key, klen);
		size_t n = (size_t)i * 997 % (150 * 1024);
		uint64_t max = i % 3 == 0 ? n : i % 3 == 1 ?
		    1000 + (uint64_t)i * 37 : 1ULL << 30;

		if (cs_begin(z, &w, key, klen, max) == -1) {
			badbegin++;
			continue;
		}
		switch (i % 3) {
		case 0:		/* written, then aborted */
			cs_write(z, &w, data, 300);
			cs_head_done(&w);
			while (n > 0) {
				size_t k = n < sizeof(data) ? n : sizeof(data);

				cs_write(z, &w, data, k);
				n -= k;
			}
			cs_abort(z, &w);
			break;
		case 1: {	/* over its max: cs_write fails, commit too */
			uint64_t total = klen + 200;
			uint64_t hard = max + CS_KEY_MAX + CS_HEAD_MAX;
			size_t k = 1000 + (size_t)i;
			int rc;

			cs_write(z, &w, data, 200);
			cs_head_done(&w);
			while ((rc = cs_write(z, &w, data, k)) == 0) {
				total += k;
				if (total > hard)
					break;
			}
			if (rc == 0)
				nofail++;	/* far past its max */
			else if (total + k <= klen + 200 + max)
				latefail++;	/* refused within its max */
			if (cs_write(z, &w, data, 1) != -1)
				nostick++;
			if (i % 2 == 0) {
				if (cs_commit(z, &w, h, &keep.meta) != -1)
					badcommit++;
			} else
				cs_abort(z, &w);
			break;
		}
		case 2:		/* larger than the zone: no block left */
			cs_write(z, &w, data, 100);
			cs_head_done(&w);
			while (cs_write(z, &w, data, sizeof(data)) == 0)
				;
			if (cs_commit(z, &w, h, &keep.meta) != -1)
				badcommit++;
			break;
		}
		if (found(z, key, klen, h))
			visible++;
	}
	ok(badbegin == 0, "abort: every cs_begin succeeds");
	ok(visible == 0, "abort: nothing aborted or failed is visible");
	ok(nofail == 0, "abort: writing past the max fails");
	ok(latefail == 0, "abort: writing within the max does not fail");
	ok(nostick == 0, "abort: a failed writer keeps failing");
	ok(badcommit == 0, "abort: committing a failed writer fails");
	ok(entries(z) <= 1, "abort: at most the stored object is left");
	cap = capacity(z);
	ok(cap == cap0, "abort: no block leaked (%u of %u)", cap, cap0);
	obj_make(&big, "http://a/big-after-aborts", 0, 500,
	    (size_t)(cap0 - 1) * CS_BLOCK - 600, 603);
	ok(store(z, &big, big.hash, 65536) == 0,
	    "abort: an object of the whole zone still fits");
	VERIFY(z, &big, big.hash, 1000, "abort: and reads back");
	obj_free(&keep);
	obj_free(&big);
	cs_zone_close(z);
}

/* --- 6. removal ------------------------------------------------------- */

static void
test_remove(void)
{
	static const char *keys[] = { "site1/a", "site1/b", "site1/c/d",
	    "site2/a", "site10/x", "site1" };
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	struct cs_zone		*z = zone(MB, NULL);
	struct obj		 o[NK];
	struct cs_found		 f;
	struct cs_cursor	 cur;
	char			 buf[100];
	uint64_t		 st[CS_STAT_MAX], ne, bytes, size, left = 0;
	bool			 all = true;

	for (int i = 0; i < NK; i++) {
		obj_make(&o[i], keys[i], 0, 100, 5000 + (size_t)i, 700 +
		    (unsigned)i);
		all = all && store(z, &o[i], o[i].hash, 2048) == 0;
	}
	ok(all && entries(z) == NK, "remove: %d objects stored", NK);
	ok(cs_lookup(z, o[3].hash, o[3].key, o[3].keylen, &f, headbuf,
	    sizeof(headbuf)), "remove: site2/a found");
	cs_cursor_init(&cur, &f);
	ok(cs_remove(z, o[3].hash, o[3].key, o[3].keylen) == 1,
	    "remove: site2/a removed: 1");
	ok(cs_remove(z, o[3].hash, o[3].key, o[3].keylen) == 0,
	    "remove: site2/a again: 0");
	ok(!found(z, o[3].key, o[3].keylen, o[3].hash), "remove: site2/a gone");
	ok(cs_read(z, &cur, buf, sizeof(buf)) == -1,
	    "remove: a cursor on it gets -1");
	ok(cs_remove(z, o[0].hash, o[1].key, o[1].keylen) == 0,
	    "remove: a key under another's hash: 0");
	ok(cs_remove_prefix(z, "site1/", 6) == 3,
	    "remove: prefix site1/ removes 3");
	ok(!found(z, o[0].key, o[0].keylen, o[0].hash) &&
	    !found(z, o[1].key, o[1].keylen, o[1].hash) &&
	    !found(z, o[2].key, o[2].keylen, o[2].hash),
	    "remove: site1/a, site1/b, site1/c/d gone");
	VERIFY(z, &o[4], o[4].hash, 1000, "remove: site10/x kept");
	VERIFY(z, &o[5], o[5].hash, 1000, "remove: site1 (shorter) kept");
	cs_stats(z, st, &ne, &bytes, &size);
	left = o[4].keylen + o[4].headlen + o[4].bodylen + o[5].keylen +
	    o[5].headlen + o[5].bodylen;
	ok(ne == 2 && bytes == left, "remove: stats count 2 entries, %llu "
	    "bytes", (unsigned long long)left);
	ok(cs_remove_prefix(z, "site3", 5) == 0, "remove: no match: 0");
	ok(cs_remove_prefix(z, "site1", 5) == 2,
	    "remove: prefix site1 removes site1 and site10/x");
	cs_stats(z, st, &ne, &bytes, &size);
	ok(ne == 0 && bytes == 0, "remove: empty");
	for (int i = 0; i < NK; i++)
		obj_free(&o[i]);
	cs_zone_close(z);
}

/* --- 7. fetch locks --------------------------------------------------- */

static int
child_lock(struct cs_zone *z, uint64_t hash, int64_t now)
{
	return (int)cs_lock(z, hash, now, 5000);
}

static int
child_held(struct cs_zone *z, uint64_t hash, int64_t now)
{
	return cs_lock_held(z, hash, now) ? 1 : 0;
}

static int
child_unlock(struct cs_zone *z, uint64_t hash, int64_t now)
{
	cs_unlock(z, hash, now, 0);
	return 0;
}

static int
child_take(struct cs_zone *z, uint64_t hash, int64_t now)
{
	return cs_lock(z, hash, now, 60000) == CS_LOCK_TAKEN ? 0 : 1;
}

static void
test_locks(void)
{
	struct cs_zone	*z = zone(MB, NULL);
	uint64_t	 h = cs_hash("lock/a", 6), h2 = cs_hash("lock/b", 6);
	uint64_t	 h3 = cs_hash("lock/c", 6), h4 = cs_hash("lock/d", 6);
	int64_t		 t = 1000000;

	ok(!cs_lock_held(z, h, t), "lock: not held at first");
	ok(cs_lock(z, h, t, 5000) == CS_LOCK_TAKEN, "lock: taken");
	ok(cs_lock_held(z, h, t), "lock: held");
	ok(in_child(child_lock, z, h, t + 10) == CS_LOCK_BUSY,
	    "lock: busy for another process");
	ok(in_child(child_held, z, h, t + 10) == 1,
	    "lock: held as seen by another process");
	ok(cs_lock(z, h, t + 10, 5000) == CS_LOCK_BUSY,
	    "lock: busy for its holder too");
	ok(in_child(child_unlock, z, h, t + 20) == 0 && cs_lock_held(z, h, t),
	    "lock: another process cannot unlock it");
	ok(cs_lock(z, h2, t, 5000) == CS_LOCK_TAKEN,
	    "lock: another hash is taken apart");
	ok(in_child(child_lock, z, h, t + 6000) == CS_LOCK_TAKEN,
	    "lock: taken over once timed out");
	cs_unlock(z, h2, t + 30, 0);
	ok(!cs_lock_held(z, h2, t + 30), "lock: unlocked");
	ok(cs_lock(z, h2, t + 40, 5000) == CS_LOCK_TAKEN,
	    "lock: taken again after unlocking");
	cs_unlock(z, h2, t + 50, 2000);
	ok(cs_lock(z, h2, t + 60, 5000) == CS_LOCK_PASS,
	    "lock: pass after unlocking with pass_ms");
	ok(in_child(child_lock, z, h2, t + 70) == CS_LOCK_PASS,
	    "lock: pass for another process too");
	ok(!cs_lock_held(z, h2, t + 70), "lock: a pass is not held");
	ok(cs_lock(z, h2, t + 2100, 5000) == CS_LOCK_TAKEN,
	    "lock: taken once the pass ran out");
	ok(in_child(child_take, z, h3, t) == 0, "lock: a child takes one and "
	    "exits");
	ok(!cs_lock_held(z, h3, t + 1), "lock: a dead holder holds nothing");
	ok(cs_lock(z, h3, t + 1, 5000) == CS_LOCK_TAKEN,
	    "lock: a dead holder's lock is taken over");
	ok(in_child(child_take, z, h4, t) == 0, "lock: another child takes "
	    "one and exits");
	cs_zone_recover(z, false);
	ok(cs_lock_held(z, h3, t + 2) && !cs_lock_held(z, h4, t + 2) &&
	    cs_lock(z, h4, t + 2, 5000) == CS_LOCK_TAKEN,
	    "lock: recovery frees the dead holder's, keeps the live one's");

	/* Many hashes in one probe window: no hash is lost or shared. */
	{
		int busy = 0, taken = 0;

		for (uint64_t i = 1; i <= 40; i++)
			if (cs_lock(z, i * 4096 * 7 + 5, t, 5000) ==
			    CS_LOCK_TAKEN)
				taken++;
		for (uint64_t i = 1; i <= 40; i++)
			if (cs_lock(z, i * 4096 * 7 + 5, t, 5000) ==
			    CS_LOCK_BUSY)
				busy++;
		ok(taken >= 30 && busy == taken,
		    "lock: colliding hashes: %d taken, each then busy", taken);
	}
	cs_zone_close(z);
}

/* --- 8. recovery and file-backed zones -------------------------------- */

static int
child_partial(struct cs_zone *z, uint64_t hash, int64_t now)
{
	static char		data[100 * 1024];
	struct cs_writer	w;

	if (cs_begin(z, &w, "http://a/partial", 16, sizeof(data)) == -1)
		return 1;
	cs_write(z, &w, data, 100);
	cs_head_done(&w);
	if (cs_write(z, &w, data, sizeof(data)) == -1)
		return 2;
	return 0;		/* exits while still writing */
}

static void
test_recover(void)
{
	struct cs_zone		*z = zone(MB, NULL), *z2;
	unsigned		 cap0 = capacity(z), cap;
	struct cs_writer	 w;
	struct obj		 a, b, c, live;
	char			 path[] = "/tmp/frontd-cs-XXXXXX";
	int			 fd;
	uint64_t		 size = 2 * MB;

	ok(in_child(child_partial, z, 0, 0) == 0,
	    "recover: a child begins an entry and exits");
	ok(!found(z, "http://a/partial", 16, cs_hash("http://a/partial", 16)),
	    "recover: the unfinished entry is not visible");
	cap = capacity(z);
	ok(cap < cap0 - 20, "recover: its blocks are held (%u of %u)", cap,
	    cap0);
	/* A writer of this process, still alive, is kept. */
	obj_make(&live, "http://a/live", 0, 100, 30000, 801);
	ok(cs_begin(z, &w, live.key, live.keylen, live.bodylen) == 0 &&
	    cs_write(z, &w, live.head, live.headlen) == 0,
	    "recover: a live writer begins");
	cs_head_done(&w);
	cs_zone_recover(z, false);
	ok(cs_write(z, &w, live.body, live.bodylen) == 0 &&
	    cs_commit(z, &w, live.hash, &live.meta) == 0,
	    "recover: the live writer finishes after the recovery");
	VERIFY(z, &live, live.hash, 1000, "recover: its object reads back");
	cap = capacity(z);
	ok(cap == cap0, "recover: the dead writer's blocks are back (%u of "
	    "%u)", cap, cap0);
	ok(cs_zone_fits(z, MB, NULL) && !cs_zone_fits(z, 2 * MB, NULL) &&
	    !cs_zone_fits(z, MB, path), "recover: anonymous zone fits");
	cs_zone_close(z);

	/* File-backed: kept over a reopen of the same size. */
	if ((fd = mkstemp(path)) == -1) {
		ok(0, "mkstemp");
		return;
	}
	close(fd);
	z = zone(size, NULL);
	cap0 = capacity(z);
	cs_zone_close(z);
	z = zone(size, path);
	ok(cs_zone_fits(z, size, path) && !cs_zone_fits(z, size, NULL) &&
	    !cs_zone_fits(z, size + CS_BLOCK, path) &&
	    !cs_zone_fits(z, size, "/tmp/frontd-cs-other"),
	    "file: cs_zone_fits only with its size and file");
	ok(entries(z) == 0 && capacity(z) == cap0,
	    "file: a new file zone is empty, as large as an anonymous one");
	obj_make(&a, "http://a/file/a", 0, 250, 70000, 811);
	obj_make(&b, "http://a/file/b", 0, 0, 4096, 812);
	obj_make(&c, "http://a/file/c", 0, 10, 300, 813);
	ok(store(z, &a, a.hash, 1000) == 0 && store(z, &b, b.hash, 1000) == 0 &&
	    store(z, &c, c.hash, 1000) == 0, "file: three objects stored");
	ok(cs_remove(z, c.hash, c.key, c.keylen) == 1, "file: one removed");
	/* Left unfinished over the reopen: taken back. */
	ok(cs_begin(z, &w, "http://a/file/unfinished", 24, 50000) == 0 &&
	    cs_write(z, &w, a.body, 50000) == 0, "file: one left unfinished");
	cs_zone_close(z);

	z = zone(size, path);
	ok(entries(z) == 2, "file: reopened with its 2 entries");
	VERIFY(z, &a, a.hash, 1000, "file: first object kept");
	VERIFY(z, &b, b.hash, 333, "file: second object kept");
	ok(!found(z, c.key, c.keylen, c.hash), "file: the removed one stays "
	    "removed");
	ok(cs_zone_fits(z, size, path) && !cs_zone_fits(z, size, NULL),
	    "file: reopened zone fits its size and file");
	ok(cs_lock(z, a.hash, 1000, 5000) == CS_LOCK_TAKEN,
	    "file: fetch locks work after a reopen");
	cs_unlock(z, a.hash, 1000, 0);
	ok(store(z, &c, c.hash, 1000) == 0, "file: stores after a reopen");
	VERIFY(z, &c, c.hash, 1000, "file: and reads back");
	cap = capacity(z);
	ok(cap == cap0, "file: the unfinished entry's blocks were taken back "
	    "(%u of %u)", cap, cap0);
	cs_zone_close(z);

	/* Another size: a new, empty zone on the same file. */
	z = zone(size + MB, path);
	ok(entries(z) == 0 && !found(z, a.key, a.keylen, a.hash) &&
	    cs_zone_fits(z, size + MB, path) && !cs_zone_fits(z, size, path),
	    "file: reopened with another size, it starts empty");
	ok(store(z, &a, a.hash, 1000) == 0, "file: stores in the resized zone");
	VERIFY(z, &a, a.hash, 1000, "file: and reads back");
	/* Two zones at once keep apart. */
	z2 = zone(MB, NULL);
	ok(store(z2, &b, b.hash, 1000) == 0 && !found(z2, a.key, a.keylen,
	    a.hash) && !found(z, b.key, b.keylen, b.hash),
	    "file: two zones at once keep apart");
	cs_zone_close(z2);
	cs_zone_close(z);
	unlink(path);
	obj_free(&a);
	obj_free(&b);
	obj_free(&c);
	obj_free(&live);
}

/* --- 9. readers racing a writer --------------------------------------- */

#define RACE_BODY	20000
#define RACE_STORES	3000

static int
child_race(struct cs_zone *z, uint64_t hash, int64_t now)
{
	for (unsigned v = 1; v <= RACE_STORES; v++) {
		struct obj o;
		char name[64];
		int rc;

		obj_make(&o, "http://a/race", 0, 64, RACE_BODY, v);
		rc = store(z, &o, o.hash, 1000 + v % 5000);
		obj_free(&o);
		if (rc == -1)
			return 1;
		/* Other objects too, for eviction to reuse the blocks. */
		snprintf(name, sizeof(name), "http://a/race/other/%u", v);
		obj_make(&o, name, 0, 64, 30000 + v % 8000, v + 100000);
		rc = store(z, &o, o.hash, 4096);
		obj_free(&o);
		if (rc == -1)
			return 2;
	}
	return 0;
}

static void
test_race(void)
{
	struct cs_zone	*z = zone(MB, NULL);
	uint64_t	 h = cs_hash("http://a/race", 13);
	char		*body = malloc(RACE_BODY + 1000);
	char		*exp = malloc(RACE_BODY);
	int		 whole = 0, torn = 0, failed = 0, st, rc = -1;
	pid_t		 pid;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(child_race(z, 0, 0));
	for (;;) {
		struct cs_found f;
		struct cs_cursor cur;
		size_t got = 0;
		ssize_t n = 0;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			break;
		}
		if (!cs_lookup(z, h, "http://a/race", 13, &f, headbuf,
		    sizeof(headbuf)))
			continue;
		cs_cursor_init(&cur, &f);
		while (cur.left > 0 && (n = cs_read(z, &cur, body + got,
		    1000)) > 0)
			got += (size_t)n;
		if (n == -1) {
			failed++;
			continue;
		}
		fill(exp, RACE_BODY, (unsigned)(f.meta.id -
		    0x1234567800000000ULL) * 2 + 2);
		if (got != RACE_BODY || memcmp(body, exp, RACE_BODY) != 0)
			torn++;
		else
			whole++;
	}
	ok(rc == 0, "race: the writer stored everything");
	ok(torn == 0, "race: no torn body read (%d whole, %d cut short)",
	    whole, failed);
	ok(whole > 0, "race: some bodies were read whole");
	free(body);
	free(exp);
	cs_zone_close(z);
}

/* --- 10. writers killed at any point ---------------------------------- */

#define CHURN_KEYS	40

static int
child_churn(struct cs_zone *z, uint64_t seed, int64_t now)
{
	for (unsigned v = (unsigned)seed * 100000 + 1;; v++) {
		struct cs_writer	w;
		struct obj		o;
		char			name[64];

		snprintf(name, sizeof(name), "http://a/churn/%u",
		    v % CHURN_KEYS);
		obj_make(&o, name, 0, 64, 2000 + v % 30000, v);
		switch (v % 7) {
		case 0:
			cs_remove(z, o.hash, o.key, o.keylen);
			break;
		case 1:
			cs_remove_prefix(z, "http://a/churn/1", 16);
			break;
		case 2:
			if (cs_begin(z, &w, o.key, o.keylen, o.bodylen) == 0) {
				cs_write(z, &w, o.body, o.bodylen);
				cs_abort(z, &w);
			}
			break;
		case 3:
			cs_lock(z, o.hash, v, 1000);
			cs_unlock(z, o.hash, v, v % 2 ? 500 : 0);
			break;
		default:
			store(z, &o, o.hash, 1000 + v % 3000);
		}
		obj_free(&o);
	}
	return 0;
}

static void
test_killed(void)
{
	struct cs_zone	*z = zone(MB, NULL);
	unsigned	 cap0 = capacity(z), cap, seed = 42;
	int		 bad = 0, wrongcount = 0, total = 0;

	for (int iter = 1; iter <= 40; iter++) {
		pid_t pid;
		int st, n = 0;

		fflush(stdout);
		if ((pid = fork()) == 0)
			_exit(child_churn(z, (uint64_t)iter, 0));
		usleep((useconds_t)(rand_r(&seed) % 4000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cs_zone_recover(z, false);
		for (unsigned k = 0; k < CHURN_KEYS; k++) {
			char name[64];
			size_t len = (size_t)snprintf(name, sizeof(name),
			    "http://a/churn/%u", k);
			struct cs_found f;
			struct obj o;
			unsigned v;

			if (!cs_lookup(z, cs_hash(name, len), name, len, &f,
			    headbuf, sizeof(headbuf)))
				continue;
			n++;
			v = (unsigned)(f.meta.id - 0x1234567800000000ULL);
			if (v % CHURN_KEYS != k) {
				bad++;
				continue;
			}
			obj_make(&o, name, 0, 64, 2000 + v % 30000, v);
			if (verify(z, &o, o.hash, 1000) != NULL)
				bad++;
			obj_free(&o);
		}
		total += n;
		if (entries(z) != (uint64_t)n)
			wrongcount++;
	}
	ok(total > 0, "killed: entries left by killed writers (%d)", total);
	ok(bad == 0, "killed: every entry left reads back exactly");
	ok(wrongcount == 0, "killed: the entry count matches what is found");
	cap = capacity(z);
	ok(cap == cap0, "killed: no block lost to killed writers (%u of %u)",
	    cap, cap0);
	cs_zone_close(z);
}

/* --- 11. a long cache_file path --------------------------------------- */

static void
test_long_path(void)
{
	char		 dir[] = "/tmp/frontd-cs-dir-XXXXXX";
	char		 sub[512], path[1024];
	struct cs_zone	*z;
	struct obj	 a;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/%0200d", dir, 0);
	snprintf(path, sizeof(path), "%s/%0100d", sub, 1);
	if (mkdir(sub, 0700) == -1) {
		ok(0, "mkdir");
		rmdir(dir);
		return;
	}
	z = zone(MB, path);
	obj_make(&a, "http://a/long-path", 0, 10, 5000, 901);
	ok(store(z, &a, a.hash, 1000) == 0, "long path: stored");
	ok(cs_zone_fits(z, MB, path), "long path: a zone on a %zu-byte path "
	    "fits its own size and file", strlen(path));
	cs_zone_close(z);
	z = zone(MB, path);
	VERIFY(z, &a, a.hash, 1000, "long path: kept over a reopen");
	ok(cs_zone_fits(z, MB, path), "long path: fits after a reopen");
	cs_zone_close(z);
	obj_free(&a);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_sizes();
	test_replace();
	test_collisions();
	test_eviction();
	test_abort();
	test_remove();
	test_locks();
	test_recover();
	test_race();
	test_killed();
	test_long_path();
	return tap_done();
}
