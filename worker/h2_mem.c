/*
 * The allocator of an HTTP/2 connection's libnghttp2 session: an arena
 * of its own, in 16K chunks from a page cache, with a free list per size
 * class. The session's pieces (its struct, stream map, HPACK tables,
 * streams, header strings) are not scattered between the TLS state of
 * other connections in the heap: when the session is freed, at a sleep
 * (h2.c) or the end, its chunks go back whole, and leave no holes. Its
 * frame buffers (16K and more) are mappings of their own. Pieces are
 * aligned to 8 bytes, all libnghttp2's structures need.
 *
 * Under AddressSanitizer, what no one holds is poisoned: a free piece,
 * the headers, the slack of a class past the size asked for, the rest of
 * a chunk; a read or write there is reported as on malloc's memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "worker/buf.h"
#include "worker/h2_int.h"
#include "worker/proto.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN	1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define CHUNK		16384	/* the arena grows by this */
#define BIG_MIN		16384	/* a mapping of its own from this size */
#define BIG_MAX		4	/* of those, tracked */
#define HDR		8	/* before each piece: its class */
#define LARGE		0xffff	/* a class: malloc'd (over CLASS_MAX) */
#define ALIGN		8

static const uint16_t	class_size[] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
	512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 4096,
	5120, 6144, 8192,
};
#define NCLASS		(sizeof(class_size) / sizeof(class_size[0]))
#define CLASS_MAX	8192

/* At the start of each chunk. */
struct chunk {
	struct chunk	*next;
	uint64_t	 pad;
};

/* At the start of the first chunk: the whole arena of a session. */
struct h2_arena {
	struct chunk	*chunks;
	char		*cur, *end;	/* what is left of the newest chunk */
	void		*free[NCLASS];
	void		*big[BIG_MAX];	/* frame buffers */
	size_t		 bigsz[BIG_MAX];
};

/* Chunks between sessions; what stays unused goes back (h2_heap_trim()). */
static struct page_cache	chunk_cache = {
	.size = CHUNK, .keep = 4096, .floor = 4
};

static unsigned
size_class(size_t n)
{
	unsigned	k;

	if (n <= 128)
		return n == 0 ? 0 : (unsigned)((n - 1) / 16);
	for (k = 8; class_size[k] < n; k++)
		;
	return k;
}

static struct h2_arena *
arena_new(void)
{
	struct chunk	*ch;
	struct h2_arena	*a;

	if ((ch = pc_get(&chunk_cache)) == NULL)
		return NULL;
	ch->next = NULL;
	a = (struct h2_arena *)(void *)(ch + 1);
	memset(a, 0, sizeof(*a));
	a->chunks = ch;
	a->cur = (char *)(a + 1);
	a->cur += (ALIGN - (uintptr_t)a->cur % ALIGN) % ALIGN;
	a->end = (char *)ch + CHUNK;
	POISON(a->cur, (size_t)(a->end - a->cur));
	return a;
}

/* Room for need bytes: what is left of the newest chunk, or a new one. */
static char *
arena_take(struct h2_arena *a, size_t need)
{
	struct chunk	*ch;
	char		*p;

	if ((size_t)(a->end - a->cur) < need) {
		if ((ch = pc_get(&chunk_cache)) == NULL)
			return NULL;
		ch->next = a->chunks;
		a->chunks = ch;
		a->cur = (char *)(ch + 1);
		a->end = (char *)ch + CHUNK;
		POISON(a->cur, (size_t)(a->end - a->cur));
	}
	p = a->cur;
	a->cur += need;
	return p;
}

static int
big_slot(const struct h2_arena *a, const void *q)
{
	for (int i = 0; i < BIG_MAX; i++)
		if (a->big[i] != NULL && a->big[i] == q)
			return i;
	return -1;
}

static void *
big_alloc(struct h2_arena *a, size_t n)
{
	size_t	 len = (n + 4095) & ~(size_t)4095;
	void	*p;
	int	 i;

	for (i = 0; i < BIG_MAX && a->big[i] != NULL; i++)
		;
	if (i == BIG_MAX)
		return NULL;
	if ((p = pages_alloc(len)) == NULL)
		return NULL;
	a->big[i] = p;
	a->bigsz[i] = len;
	return p;
}

/*
 * A piece's header: its class, and the size it was asked for (the rest
 * of the class is slack, poisoned under AddressSanitizer).
 */
static uint64_t
hdr_get(const void *q)
{
	const uint64_t	*hdr = (const uint64_t *)q - 1;
	uint64_t	 v;

	UNPOISON(hdr, HDR);
	v = *hdr;
	if ((v & 0xffff) != LARGE)
		POISON(hdr, HDR);
	return v;
}

static void *
hdr_set(void *hdr, unsigned k, size_t n)
{
	UNPOISON(hdr, HDR);
	*(uint64_t *)hdr = k | (uint64_t)n << 16;
	if (k != LARGE)
		POISON(hdr, HDR);
	/* At least its first byte: a double free is told by that. */
	UNPOISON((char *)hdr + HDR, n > 0 ? n : 1);
	return (char *)hdr + HDR;
}

static void *
mem_malloc(size_t n, void *arg)
{
	struct h2	*h2 = arg;
	struct h2_arena	*a = h2->arena;
	unsigned	 k;
	void		*p;

	if (a == NULL && (a = h2->arena = arena_new()) == NULL)
		return NULL;
	if (n >= BIG_MIN && (p = big_alloc(a, n)) != NULL)
		return p;
	if (n > CLASS_MAX)
		return (p = malloc(HDR + n)) == NULL ? NULL :
		    hdr_set(p, LARGE, 0);
	k = size_class(n);
	if ((p = a->free[k]) != NULL) {
		UNPOISON(p, sizeof(void *));
		a->free[k] = *(void **)p;
		POISON(p, sizeof(void *));
		return hdr_set((char *)p - HDR, k, n);
	}
	if ((p = arena_take(a, HDR + class_size[k])) == NULL)
		return NULL;
	return hdr_set(p, k, n);
}

static void
mem_free(void *q, void *arg)
{
	struct h2	*h2 = arg;
	struct h2_arena	*a = h2->arena;
	unsigned	 k;
	int		 i;

	if (q == NULL)
		return;
	if ((i = big_slot(a, q)) != -1) {
		pages_free(q, a->bigsz[i]);
		a->big[i] = NULL;
		return;
	}
	if ((k = hdr_get(q) & 0xffff) == LARGE) {
		free((char *)q - HDR);
		return;
	}
#ifdef ARENA_ASAN
	/* Freed twice: its first byte is poisoned already. */
	if (__asan_address_is_poisoned(q))
		abort();
#endif
	UNPOISON(q, sizeof(void *));
	*(void **)q = a->free[k];
	POISON(q, class_size[k]);
	a->free[k] = q;
}

static void *
mem_calloc(size_t k, size_t n, void *arg)
{
	struct h2	*h2 = arg;
	void		*p;

	if (n != 0 && k > SIZE_MAX / n)
		return NULL;
	if ((p = mem_malloc(k * n, arg)) != NULL &&
	    big_slot(h2->arena, p) == -1)	/* fresh mappings are zeroed */
		memset(p, 0, k * n);
	return p;
}

static void *
mem_realloc(void *q, size_t n, void *arg)
{
	struct h2	*h2 = arg;
	size_t		 old;
	uint64_t	 v;
	unsigned	 k;
	void		*r;
	int		 i;

	if (q == NULL)
		return mem_malloc(n, arg);
	if ((i = big_slot(h2->arena, q)) != -1) {
		if (n <= h2->arena->bigsz[i])
			return q;
		old = h2->arena->bigsz[i];
	} else if ((k = (v = hdr_get(q)) & 0xffff) == LARGE) {
		/* Large stays large. */
		if ((r = realloc((char *)q - HDR, HDR + n)) == NULL)
			return NULL;
		return (char *)r + HDR;
	} else if (n <= class_size[k]) {
		POISON(q, class_size[k]);
		return hdr_set((char *)q - HDR, k, n);
	} else
		old = v >> 16;
	if ((r = mem_malloc(n, arg)) == NULL)
		return NULL;
	memcpy(r, q, old < n ? old : n);
	mem_free(q, arg);
	return r;
}

/*
 * The session is deleted: its chunks go back whole, to the cache for the
 * next session, or for a sleep (keep false), to the kernel at once.
 */
void
h2_mem_release(struct h2 *h2, bool keep)
{
	struct h2_arena	*a = h2->arena;
	struct chunk	*ch, *next;

	if (a == NULL)
		return;
	for (int i = 0; i < BIG_MAX; i++)
		pages_free(a->big[i], a->bigsz[i]);
	h2->arena = NULL;
	/* a itself is in the last chunk. */
	for (ch = a->chunks; ch != NULL; ch = next) {
		next = ch->next;
		UNPOISON(ch, CHUNK);
		if (keep)
			pc_put(&chunk_cache, ch);
		else
			pages_free(ch, CHUNK);
	}
}

void
h2_heap_trim(void)
{
	pc_trim(&chunk_cache);
}

/* The allocator for a new session of h2 (which copies it). */
nghttp2_mem
h2_mem(struct h2 *h2)
{
	nghttp2_mem	m = { h2, mem_malloc, mem_free, mem_calloc,
			    mem_realloc };

	return m;
}
