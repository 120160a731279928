/*
 * The cache zone: layout, index, blocks, eviction and the fetch locks
 * that collapse concurrent misses. See cache_store.h.
 *
 * Eviction is a segmented LRU: a new entry enters the probation list; a
 * hit moves it to the protected list, which holds at most 80% of the
 * entries (its tail falls back to probation). Space is taken from the
 * probation tail first, so a scan of objects used once never pushes out
 * the objects used twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/cache_store.h"
#include "common/shm.h"

#define CS_VERSION	1
#define CS_NLOCKS	4096
#define CS_PROBE	32

enum { ST_FREE, ST_FILLING, ST_READY };
enum { SEG_PROBATION, SEG_PROTECTED };

struct cs_entry {
	_Atomic uint32_t	 gen;
	uint8_t			 state;
	uint8_t			 seg;
	uint64_t		 hash;
	uint32_t		 hnext;		/* bucket chain; free list */
	uint32_t		 lprev, lnext;
	uint32_t		 first, nblocks;
	uint32_t		 keylen, headlen;
	uint64_t		 bodylen;
	int32_t			 owner;		/* pid while filling */
	struct cs_meta		 meta;
};

struct cs_lockslot {
	uint64_t		 hash;		/* 0: free */
	int32_t			 pid;
	bool			 pass;		/* not cacheable: no waiting */
	int64_t			 until_ms;	/* CLOCK_MONOTONIC */
};

struct cs_zone {
	struct shm_hdr		 hdr;
	uint64_t		 cfg_size;
	char			 file[256];
	uint32_t		 nentries, nbuckets, nblocks;
	pthread_mutex_t		 mu;
	uint32_t		 free_entry, free_block, nfree_blocks;
	uint32_t		 lru_head[2], lru_tail[2], lru_count[2];
	uint64_t		 entries, bytes;
	_Atomic uint64_t	 stats[CS_STAT_MAX];
	uint64_t		 off_buckets, off_entries, off_next, off_locks;
	uint64_t		 off_blocks;
	uint32_t		 dirty;		/* set with the mutex held */
};

static void	zone_flush(struct cs_zone *, bool);

/*
 * The layout of each zone this process made, kept outside the zone: the
 * master reclaims what dead workers left by these numbers, never by ones
 * a worker could have written.
 */
struct layout {
	const struct cs_zone	*z;
	char			*file;		/* NULL: anonymous */
	uint32_t		 nentries, nbuckets, nblocks;
	uint64_t		 off_buckets, off_entries, off_next, off_locks;
	uint64_t		 off_blocks;
};
static struct layout	known[4];

static void
layout_keep(const struct cs_zone *z, const char *file)
{
	for (int i = 0; i < 4; i++)
		if (known[i].z == NULL || known[i].z == z) {
			free(known[i].file);
			known[i] = (struct layout){ z, NULL, z->nentries,
			    z->nbuckets, z->nblocks, z->off_buckets,
			    z->off_entries, z->off_next, z->off_locks,
			    z->off_blocks };
			if (file != NULL)
				known[i].file = strdup(file);
			return;
		}
}

/* Puts the kept layout back; false when this process made no such zone. */
static bool
layout_restore(struct cs_zone *z)
{
	for (int i = 0; i < 4; i++)
		if (known[i].z == z) {
			const struct layout *l = &known[i];
			bool same = z->nentries == l->nentries &&
			    z->nbuckets == l->nbuckets &&
			    z->nblocks == l->nblocks &&
			    z->off_buckets == l->off_buckets &&
			    z->off_entries == l->off_entries &&
			    z->off_next == l->off_next &&
			    z->off_locks == l->off_locks &&
			    z->off_blocks == l->off_blocks;

			z->nentries = l->nentries;
			z->nbuckets = l->nbuckets;
			z->nblocks = l->nblocks;
			z->off_buckets = l->off_buckets;
			z->off_entries = l->off_entries;
			z->off_next = l->off_next;
			z->off_locks = l->off_locks;
			z->off_blocks = l->off_blocks;
			if (!same)
				zone_flush(z, false);
			return true;
		}
	return false;
}

#define BUCKETS(z)	((uint32_t *)((char *)(z) + (z)->off_buckets))
#define ENTRIES(z)	((struct cs_entry *)((char *)(z) + (z)->off_entries))
#define NEXT(z)		((uint32_t *)((char *)(z) + (z)->off_next))
#define LOCKS(z)	((struct cs_lockslot *)((char *)(z) + (z)->off_locks))
#define BLOCK(z, i)	((char *)(z) + (z)->off_blocks + (uint64_t)(i) * \
			    CS_BLOCK)

/*
 * A worker that dies holding the mutex may have left the index half
 * changed: then every stored entry is dropped (entries being written are
 * kept, their blocks found by their chains) rather than trusted.
 */
static void
lock(struct cs_zone *z)
{
	if (pthread_mutex_lock(&z->mu) == EOWNERDEAD) {
		pthread_mutex_consistent(&z->mu);
		if (z->dirty)
			zone_flush(z, true);
	}
	z->dirty = 1;
}

static void
unlock(struct cs_zone *z)
{
	z->dirty = 0;
	pthread_mutex_unlock(&z->mu);
}

static void
mutex_init(struct cs_zone *z)
{
	pthread_mutexattr_t	a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&z->mu, &a);
	pthread_mutexattr_destroy(&a);
}

static uint64_t
align_up(uint64_t n, uint64_t a)
{
	return (n + a - 1) / a * a;
}

/* Lays out an empty zone of size bytes. */
static void
zone_init(struct cs_zone *z, uint64_t size, const char *file)
{
	uint64_t	 est = size / CS_BLOCK, off;
	uint32_t	 ne, nb = 1;
	struct cs_entry	*e;

	memset(z, 0, sizeof(*z));
	ne = (uint32_t)(est / 2 < 64 ? 64 : est / 2);
	while (nb < ne)
		nb <<= 1;
	z->nentries = ne;
	z->nbuckets = nb;
	off = align_up(sizeof(*z), 64);
	z->off_buckets = off;
	off += (uint64_t)nb * 4;
	z->off_entries = off = align_up(off, 64);
	off += (uint64_t)ne * sizeof(struct cs_entry);
	z->off_locks = off = align_up(off, 64);
	off += CS_NLOCKS * sizeof(struct cs_lockslot);
	z->off_next = off = align_up(off, 64);
	/* What is left: a next link and a block each. */
	z->nblocks = (uint32_t)((size - off - CS_BLOCK) / (CS_BLOCK + 4));
	off += (uint64_t)z->nblocks * 4;
	z->off_blocks = align_up(off, CS_BLOCK);
	while (z->off_blocks + (uint64_t)z->nblocks * CS_BLOCK > size)
		z->nblocks--;

	memset(BUCKETS(z), 0xff, (size_t)nb * 4);
	e = ENTRIES(z);
	memset(e, 0, (size_t)ne * sizeof(*e));
	for (uint32_t i = 0; i < ne; i++)
		e[i].hnext = i + 1 < ne ? i + 1 : CS_NIL;
	z->free_entry = 0;
	for (uint32_t i = 0; i < z->nblocks; i++)
		NEXT(z)[i] = i + 1 < z->nblocks ? i + 1 : CS_NIL;
	z->free_block = z->nblocks > 0 ? 0 : CS_NIL;
	z->nfree_blocks = z->nblocks;
	for (int s = 0; s < 2; s++)
		z->lru_head[s] = z->lru_tail[s] = CS_NIL;
	memset(LOCKS(z), 0, CS_NLOCKS * sizeof(struct cs_lockslot));
	mutex_init(z);
	z->cfg_size = size;
	snprintf(z->file, sizeof(z->file), "%s", file ? file : "");
	z->hdr.kind = 4;
	z->hdr.version = CS_VERSION;
	z->hdr.size = size;
	z->hdr.nslots = ne;
	z->hdr.magic = SHM_MAGIC;
}

struct cs_zone *
cs_zone_open(uint64_t size, const char *file, char *err, size_t errlen)
{
	struct cs_zone	*z;
	int		 fd = -1;
	struct stat	 st;
	bool		 keep = false;

	if (file == NULL) {
		z = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED |
		    MAP_ANONYMOUS, -1, 0);
		if (z == MAP_FAILED) {
			snprintf(err, errlen, "cannot map %llu bytes for the "
			    "cache: %s", (unsigned long long)size,
			    strerror(errno));
			return NULL;
		}
		zone_init(z, size, NULL);
		layout_keep(z, file);
		return z;
	}
	if ((fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cache_file %s: %s", file,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "cache_file %s: not a regular file owned "
		    "by uid %d", file, (int)geteuid());
		close(fd);
		return NULL;
	}
	keep = (uint64_t)st.st_size == size;
	if (!keep && ftruncate(fd, (off_t)size) == -1) {
		snprintf(err, errlen, "cache_file %s: %s", file,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	z = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (z == MAP_FAILED) {
		snprintf(err, errlen, "cache_file %s: cannot map: %s", file,
		    strerror(errno));
		return NULL;
	}
	if (keep && z->hdr.magic == SHM_MAGIC && z->hdr.version == CS_VERSION &&
	    z->hdr.kind == 4 && z->hdr.size == size && z->cfg_size == size) {
		/* The last run's entries; nothing else uses it yet. */
		mutex_init(z);
		if (z->dirty)
			zone_flush(z, false);	/* it stopped mid-change */
		snprintf(z->file, sizeof(z->file), "%s", file);
		memset(LOCKS(z), 0, CS_NLOCKS * sizeof(struct cs_lockslot));
		layout_keep(z, file);
		cs_zone_recover(z, true);
		return z;
	}
	z->hdr.magic = 0;
	zone_init(z, size, file);
	layout_keep(z, file);
	return z;
}

/* By what this process opened: the zone's own copy of the path is cut
 * at 255 bytes. */
bool
cs_zone_fits(const struct cs_zone *z, uint64_t size, const char *file)
{
	for (int i = 0; i < 4; i++)
		if (known[i].z == z)
			return z->cfg_size == size && (known[i].file == NULL ?
			    file == NULL : file != NULL &&
			    strcmp(known[i].file, file) == 0);
	return false;
}

void
cs_zone_close(struct cs_zone *z)
{
	if (z != NULL) {
		for (int i = 0; i < 4; i++)
			if (known[i].z == z) {
				known[i].z = NULL;
				free(known[i].file);
				known[i].file = NULL;
			}
		if (z->file[0] != '\0')
			msync(z, z->hdr.size, MS_ASYNC);
		munmap(z, z->hdr.size);
	}
}

uint64_t
cs_hash(const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return h == 0 ? 1 : h;
}

static bool
pid_alive(int32_t pid)
{
	return pid > 0 && !(kill(pid, 0) == -1 && errno == ESRCH);
}

/* --- lists (lock held) ------------------------------------------------ */

static void
lru_unlink(struct cs_zone *z, uint32_t i)
{
	struct cs_entry	*e = &ENTRIES(z)[i];

	if (e->lprev != CS_NIL)
		ENTRIES(z)[e->lprev].lnext = e->lnext;
	else
		z->lru_head[e->seg] = e->lnext;
	if (e->lnext != CS_NIL)
		ENTRIES(z)[e->lnext].lprev = e->lprev;
	else
		z->lru_tail[e->seg] = e->lprev;
	z->lru_count[e->seg]--;
}

static void
lru_push(struct cs_zone *z, uint32_t i, int seg)
{
	struct cs_entry	*e = &ENTRIES(z)[i];

	e->seg = (uint8_t)seg;
	e->lprev = CS_NIL;
	e->lnext = z->lru_head[seg];
	if (e->lnext != CS_NIL)
		ENTRIES(z)[e->lnext].lprev = i;
	else
		z->lru_tail[seg] = i;
	z->lru_head[seg] = i;
	z->lru_count[seg]++;
}

/* A hit: to the head of the protected list, its tail spilling back. */
static void
lru_hit(struct cs_zone *z, uint32_t i)
{
	lru_unlink(z, i);
	lru_push(z, i, SEG_PROTECTED);
	while (z->lru_count[SEG_PROTECTED] > 1 &&
	    z->lru_count[SEG_PROTECTED] * 5 > z->entries * 4) {
		uint32_t t = z->lru_tail[SEG_PROTECTED];

		lru_unlink(z, t);
		lru_push(z, t, SEG_PROBATION);
	}
}

static void
bucket_unlink(struct cs_zone *z, uint32_t i)
{
	struct cs_entry	*e = &ENTRIES(z)[i];
	uint32_t	*p = &BUCKETS(z)[e->hash & (z->nbuckets - 1)];

	while (*p != CS_NIL && *p != i)
		p = &ENTRIES(z)[*p].hnext;
	if (*p == i)
		*p = e->hnext;
}

/* Frees an entry of any state: bumps its generation first. */
static void
entry_free(struct cs_zone *z, uint32_t i)
{
	struct cs_entry	*e = &ENTRIES(z)[i];
	uint32_t	 b, n = 0;

	if (e->state == ST_READY) {
		bucket_unlink(z, i);
		lru_unlink(z, i);
		z->entries--;
		z->bytes -= e->keylen + e->headlen + e->bodylen;
	}
	atomic_fetch_add_explicit(&e->gen, 1, memory_order_seq_cst);
	/* Every index checked: a chain is only as sound as its writer. */
	if (e->first < z->nblocks) {
		for (b = e->first; NEXT(z)[b] < z->nblocks && n < e->nblocks;
		    b = NEXT(z)[b])
			n++;
		NEXT(z)[b] = z->free_block;
		z->free_block = e->first;
		z->nfree_blocks += n + 1;
	}
	e->first = CS_NIL;
	e->nblocks = 0;
	e->state = ST_FREE;
	e->hnext = z->free_entry;
	z->free_entry = i;
}

/* Drops the least valued entry; false when there is none. */
static bool
evict_one(struct cs_zone *z)
{
	uint32_t	i = z->lru_tail[SEG_PROBATION];

	if (i == CS_NIL)
		i = z->lru_tail[SEG_PROTECTED];
	if (i == CS_NIL)
		return false;
	entry_free(z, i);
	atomic_fetch_add_explicit(&z->stats[CS_EVICTIONS], 1,
	    memory_order_relaxed);
	return true;
}

static uint32_t
block_alloc(struct cs_zone *z)
{
	uint32_t	b;

	while (z->free_block == CS_NIL)
		if (!evict_one(z))
			return CS_NIL;
	b = z->free_block;
	z->free_block = NEXT(z)[b];
	NEXT(z)[b] = CS_NIL;
	z->nfree_blocks--;
	return b;
}

/* Copies bytes [off, off+len) of an entry's data (lock held). */
static void
chain_copy(struct cs_zone *z, const struct cs_entry *e, uint64_t off,
    char *dst, size_t len)
{
	uint32_t	b = e->first;

	while (off >= CS_BLOCK && b != CS_NIL) {
		b = NEXT(z)[b];
		off -= CS_BLOCK;
	}
	while (len > 0 && b != CS_NIL) {
		size_t n = CS_BLOCK - (size_t)off;

		if (n > len)
			n = len;
		memcpy(dst, BLOCK(z, b) + off, n);
		dst += n;
		len -= n;
		off = 0;
		b = NEXT(z)[b];
	}
}

static bool
key_equal(struct cs_zone *z, const struct cs_entry *e, const char *key,
    size_t keylen)
{
	char	buf[CS_KEY_MAX];

	if (e->keylen != keylen || keylen > sizeof(buf))
		return false;
	chain_copy(z, e, 0, buf, keylen);
	return memcmp(buf, key, keylen) == 0;
}

/*
 * Drops every stored entry; with keep_filling, entries being written stay
 * with their blocks. Generations go up first, so readers stop.
 */
static void
zone_flush(struct cs_zone *z, bool keep_filling)
{
	struct cs_entry	*e = ENTRIES(z);
	uint32_t	*next = NEXT(z);
	uint8_t		*used;

	used = calloc(z->nblocks / 8 + 1, 1);
	for (uint32_t i = 0; i < z->nentries; i++) {
		atomic_fetch_add_explicit(&e[i].gen, 1, memory_order_seq_cst);
		if (e[i].state == ST_FILLING && keep_filling && used != NULL) {
			uint32_t b = e[i].first, n = 0;

			while (b < z->nblocks && n++ < e[i].nblocks) {
				used[b / 8] |= (uint8_t)(1 << (b % 8));
				b = next[b];
			}
			continue;
		}
		e[i].state = ST_FREE;
		e[i].first = CS_NIL;
		e[i].nblocks = 0;
	}
	z->free_entry = CS_NIL;
	for (uint32_t i = z->nentries; i-- > 0; )
		if (e[i].state == ST_FREE) {
			e[i].hnext = z->free_entry;
			z->free_entry = i;
		}
	memset(BUCKETS(z), 0xff, (size_t)z->nbuckets * 4);
	for (int s = 0; s < 2; s++) {
		z->lru_head[s] = z->lru_tail[s] = CS_NIL;
		z->lru_count[s] = 0;
	}
	z->free_block = CS_NIL;
	z->nfree_blocks = 0;
	for (uint32_t b = z->nblocks; b-- > 0; )
		if (used == NULL || !(used[b / 8] & (1 << (b % 8)))) {
			next[b] = z->free_block;
			z->free_block = b;
			z->nfree_blocks++;
		}
	z->entries = z->bytes = 0;
	free(used);
}

/* --- lookups and reads ------------------------------------------------ */

int
cs_lookup(struct cs_zone *z, uint64_t hash, const char *key, size_t keylen,
    struct cs_found *f, char *head, size_t headroom)
{
	uint32_t	 i;
	struct cs_entry	*e;

	lock(z);
	for (i = BUCKETS(z)[hash & (z->nbuckets - 1)]; i != CS_NIL;
	    i = e->hnext) {
		e = &ENTRIES(z)[i];
		if (e->hash == hash && e->state == ST_READY &&
		    key_equal(z, e, key, keylen))
			break;
	}
	if (i == CS_NIL || e->headlen > headroom) {
		unlock(z);
		return 0;
	}
	lru_hit(z, i);
	f->idx = i;
	f->gen = atomic_load_explicit(&e->gen, memory_order_relaxed);
	f->meta = e->meta;
	f->keylen = e->keylen;
	f->headlen = e->headlen;
	f->bodylen = e->bodylen;
	chain_copy(z, e, e->keylen, head, e->headlen);
	unlock(z);
	return 1;
}

void
cs_cursor_init(struct cs_cursor *cur, const struct cs_found *f)
{
	cur->idx = f->idx;
	cur->gen = f->gen;
	cur->block = CS_NIL;
	cur->boff = 0;
	cur->left = f->bodylen;
	cur->skip = (uint64_t)f->keylen + f->headlen;
}

/*
 * Copies up to len body bytes without the lock. -1: the entry was
 * evicted or replaced meanwhile (what was copied may be torn: unused).
 */
ssize_t
cs_read(struct cs_zone *z, struct cs_cursor *cur, char *dst, size_t len)
{
	struct cs_entry	*e = &ENTRIES(z)[cur->idx];
	size_t		 done = 0;
	uint32_t	 b = cur->block;

	if (atomic_load_explicit(&e->gen, memory_order_acquire) != cur->gen)
		return -1;
	if (len > cur->left)
		len = (size_t)cur->left;
	if (b == CS_NIL) {
		uint64_t skip = cur->skip;

		b = e->first;
		while (skip >= CS_BLOCK && b < z->nblocks) {
			b = NEXT(z)[b];
			skip -= CS_BLOCK;
		}
		cur->boff = (uint32_t)skip;
	}
	while (done < len && b < z->nblocks) {
		size_t n = CS_BLOCK - cur->boff;

		if (n > len - done)
			n = len - done;
		memcpy(dst + done, BLOCK(z, b) + cur->boff, n);
		done += n;
		cur->boff += (uint32_t)n;
		if (cur->boff == CS_BLOCK) {
			b = NEXT(z)[b];
			cur->boff = 0;
		}
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&e->gen, memory_order_relaxed) != cur->gen ||
	    (done < len))
		return -1;
	cur->block = b;
	cur->left -= done;
	return (ssize_t)done;
}

/* --- writing ----------------------------------------------------------- */

int
cs_begin(struct cs_zone *z, struct cs_writer *w, const char *key,
    size_t keylen, uint64_t max)
{
	struct cs_entry	*e;
	uint32_t	 i;

	memset(w, 0, sizeof(*w));
	w->idx = CS_NIL;
	w->last = CS_NIL;
	if (keylen > CS_KEY_MAX)
		return -1;
	lock(z);
	while (z->free_entry == CS_NIL)
		if (!evict_one(z)) {
			unlock(z);
			return -1;
		}
	i = z->free_entry;
	e = &ENTRIES(z)[i];
	z->free_entry = e->hnext;
	e->state = ST_FILLING;
	e->owner = (int32_t)getpid();
	e->first = CS_NIL;
	e->nblocks = 0;
	e->hnext = CS_NIL;
	unlock(z);
	w->idx = i;
	w->max = max;
	if (cs_write(z, w, key, keylen) == -1) {
		cs_abort(z, w);
		return -1;
	}
	w->keylen = (uint32_t)keylen;
	return 0;
}

int
cs_write(struct cs_zone *z, struct cs_writer *w, const void *data,
    size_t len)
{
	const char	*p = data;
	struct cs_entry	*e;

	if (w->idx == CS_NIL || w->failed)
		return -1;
	e = &ENTRIES(z)[w->idx];
	/* The body within max exactly; before it, room for any head. */
	if (w->size + len > (w->head_set ? (uint64_t)w->keylen + w->headlen :
	    (uint64_t)CS_KEY_MAX + CS_HEAD_MAX) + w->max) {
		w->failed = true;
		return -1;
	}
	while (len > 0) {
		size_t n;

		if (w->last == CS_NIL || w->used == CS_BLOCK) {
			uint32_t b;

			lock(z);
			b = block_alloc(z);
			if (b != CS_NIL) {
				if (w->last == CS_NIL)
					e->first = b;
				else
					NEXT(z)[w->last] = b;
				e->nblocks++;
			}
			unlock(z);
			if (b == CS_NIL) {
				w->failed = true;
				return -1;
			}
			w->last = b;
			w->used = 0;
		}
		n = CS_BLOCK - w->used;
		if (n > len)
			n = len;
		memcpy(BLOCK(z, w->last) + w->used, p, n);
		w->used += (uint32_t)n;
		w->size += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* Everything written so far after the key is the head. */
void
cs_head_done(struct cs_writer *w)
{
	w->headlen = (uint32_t)(w->size - w->keylen);
	w->head_set = true;
}

int
cs_commit(struct cs_zone *z, struct cs_writer *w, uint64_t hash,
    const struct cs_meta *meta)
{
	struct cs_entry	*e, *o;
	uint32_t	 i, next, *bucket;
	char		 key[CS_KEY_MAX];

	if (w->idx == CS_NIL)
		return -1;
	if (w->failed) {
		cs_abort(z, w);
		return -1;
	}
	e = &ENTRIES(z)[w->idx];
	lock(z);
	chain_copy(z, e, 0, key, w->keylen);
	bucket = &BUCKETS(z)[hash & (z->nbuckets - 1)];
	/* What it replaces goes. */
	for (i = *bucket; i != CS_NIL; i = next) {
		o = &ENTRIES(z)[i];
		next = o->hnext;
		if (o->hash == hash && o->state == ST_READY &&
		    key_equal(z, o, key, w->keylen))
			entry_free(z, i);
	}
	e->hash = hash;
	e->keylen = w->keylen;
	e->headlen = w->headlen;
	e->bodylen = w->size - w->keylen - w->headlen;
	e->meta = *meta;
	e->owner = 0;
	e->hnext = *bucket;
	*bucket = w->idx;
	e->state = ST_READY;
	z->entries++;
	z->bytes += w->size;
	lru_push(z, w->idx, SEG_PROBATION);
	unlock(z);
	atomic_fetch_add_explicit(&z->stats[CS_STORES], 1,
	    memory_order_relaxed);
	w->idx = CS_NIL;
	return 0;
}

void
cs_abort(struct cs_zone *z, struct cs_writer *w)
{
	if (w->idx == CS_NIL)
		return;
	lock(z);
	entry_free(z, w->idx);
	unlock(z);
	w->idx = CS_NIL;
}

/* --- removal ----------------------------------------------------------- */

int
cs_remove(struct cs_zone *z, uint64_t hash, const char *key, size_t keylen)
{
	uint32_t	 i, next;
	int		 n = 0;

	lock(z);
	for (i = BUCKETS(z)[hash & (z->nbuckets - 1)]; i != CS_NIL; i = next) {
		struct cs_entry *e = &ENTRIES(z)[i];

		next = e->hnext;
		if (e->hash == hash && e->state == ST_READY &&
		    key_equal(z, e, key, keylen)) {
			entry_free(z, i);
			n++;
		}
	}
	unlock(z);
	return n;
}

int
cs_remove_prefix(struct cs_zone *z, const char *prefix, size_t len)
{
	char	buf[CS_KEY_MAX];
	int	n = 0;

	if (len > sizeof(buf))
		return 0;
	lock(z);
	for (uint32_t i = 0; i < z->nentries; i++) {
		struct cs_entry *e = &ENTRIES(z)[i];

		if (e->state != ST_READY || e->keylen < len)
			continue;
		chain_copy(z, e, 0, buf, len);
		if (memcmp(buf, prefix, len) == 0) {
			entry_free(z, i);
			n++;
		}
	}
	unlock(z);
	return n;
}

/* Frees what dead writers left and the fetch locks they held. */
void
cs_zone_recover(struct cs_zone *z, bool all)
{
	lock(z);
	layout_restore(z);
	for (uint32_t i = 0; i < z->nentries; i++) {
		struct cs_entry *e = &ENTRIES(z)[i];

		if (e->state == ST_FILLING && (all || !pid_alive(e->owner)))
			entry_free(z, i);
	}
	for (uint32_t i = 0; i < CS_NLOCKS; i++) {
		struct cs_lockslot *l = &LOCKS(z)[i];

		if (l->hash != 0 && !l->pass && (all || !pid_alive(l->pid)))
			l->hash = 0;
	}
	unlock(z);
}

/* --- fetch locks: one fetch per key across workers --------------------- */

static struct cs_lockslot *
lock_find(struct cs_zone *z, uint64_t hash, int64_t now_ms,
    struct cs_lockslot **freeslot)
{
	uint32_t	base = (uint32_t)(hash % CS_NLOCKS);

	*freeslot = NULL;
	for (uint32_t k = 0; k < CS_PROBE; k++) {
		struct cs_lockslot *l = &LOCKS(z)[(base + k) % CS_NLOCKS];

		if (l->hash == hash)
			return l;
		if (*freeslot == NULL && (l->hash == 0 || l->until_ms < now_ms))
			*freeslot = l;
	}
	return NULL;
}

enum cs_lock_result
cs_lock(struct cs_zone *z, uint64_t hash, int64_t now_ms, int64_t timeout_ms)
{
	struct cs_lockslot	*l, *fr;
	enum cs_lock_result	 r = CS_LOCK_TAKEN;

	lock(z);
	l = lock_find(z, hash, now_ms, &fr);
	if (l != NULL && l->until_ms >= now_ms && (l->pass ||
	    pid_alive(l->pid)))
		r = l->pass ? CS_LOCK_PASS : CS_LOCK_BUSY;
	else {
		if (l == NULL)
			l = fr;
		if (l == NULL)
			r = CS_LOCK_PASS;	/* table full: no collapsing */
		else {
			l->hash = hash;
			l->pid = (int32_t)getpid();
			l->pass = false;
			l->until_ms = now_ms + timeout_ms;
		}
	}
	unlock(z);
	return r;
}

bool
cs_lock_held(struct cs_zone *z, uint64_t hash, int64_t now_ms)
{
	struct cs_lockslot	*l, *fr;
	bool			 held;

	lock(z);
	l = lock_find(z, hash, now_ms, &fr);
	held = l != NULL && !l->pass && l->until_ms >= now_ms &&
	    pid_alive(l->pid);
	unlock(z);
	return held;
}

/* pass_ms > 0: the response was not cacheable; for that long, requests
 * for the key go straight to the upstream instead of waiting. */
void
cs_unlock(struct cs_zone *z, uint64_t hash, int64_t now_ms, int64_t pass_ms)
{
	struct cs_lockslot	*l, *fr;

	lock(z);
	l = lock_find(z, hash, now_ms, &fr);
	if (l != NULL && l->pid == (int32_t)getpid()) {
		if (pass_ms > 0) {
			l->pass = true;
			l->until_ms = now_ms + pass_ms;
		} else
			l->hash = 0;
	}
	unlock(z);
}

void
cs_stat_add(struct cs_zone *z, enum cs_stat s, uint64_t n)
{
	atomic_fetch_add_explicit(&z->stats[s], n, memory_order_relaxed);
}

void
cs_stats(struct cs_zone *z, uint64_t stats[CS_STAT_MAX], uint64_t *entries,
    uint64_t *bytes, uint64_t *size)
{
	for (int i = 0; i < CS_STAT_MAX; i++)
		stats[i] = atomic_load_explicit(&z->stats[i],
		    memory_order_relaxed);
	lock(z);
	*entries = z->entries;
	*bytes = z->bytes;
	unlock(z);
	*size = z->cfg_size;
}
