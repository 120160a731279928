/*
 * The allocator of an HTTP/2 connection's libnghttp2 session. Its frame
 * buffer (16K, where each frame is written before it goes out) is a
 * mapping of its own, whose pages go back to the kernel once the
 * connection has been idle for a moment (h2_trim()): an idle connection
 * holds the session's state, not its last frames. Everything else goes
 * to malloc.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "worker/buf.h"
#include "worker/h2_int.h"
#include "worker/proto.h"

#define BIG_MIN		16384

static int
mem_big_slot(const struct h2 *h2, const void *q)
{
	for (int i = 0; i < H2_BIG_MAX; i++)
		if (h2->big[i] != NULL && h2->big[i] == q)
			return i;
	return -1;
}

static void *
mem_big(struct h2 *h2, size_t n)
{
	size_t	 len = (n + 4095) & ~(size_t)4095;
	void	*p;
	int	 i;

	for (i = 0; i < H2_BIG_MAX && h2->big[i] != NULL; i++)
		;
	if (i == H2_BIG_MAX)
		return malloc(n);	/* not tracked, never trimmed */
	if ((p = pages_alloc(len)) == NULL)
		return NULL;
	h2->big[i] = p;
	h2->bigsz[i] = len;
	return p;
}

static void
mem_free(void *q, void *arg)
{
	struct h2	*h2 = arg;
	int		 i;

	if (q == NULL)
		return;
	if ((i = mem_big_slot(h2, q)) == -1) {
		free(q);
		return;
	}
	pages_free(q, h2->bigsz[i]);
	h2->big[i] = NULL;
}

static void *
mem_malloc(size_t n, void *arg)
{
	return n >= BIG_MIN ? mem_big(arg, n) : malloc(n);
}

static void *
mem_calloc(size_t k, size_t n, void *arg)
{
	/* Fresh mappings are zeroed already. */
	return k * n >= BIG_MIN ? mem_big(arg, k * n) : calloc(k, n);
}

static void *
mem_realloc(void *q, size_t n, void *arg)
{
	struct h2	*h2 = arg;
	size_t		 old;
	void		*r;
	int		 i;

	if (q == NULL)
		return mem_malloc(n, arg);
	i = mem_big_slot(h2, q);
	if (i == -1 && n < BIG_MIN)
		return realloc(q, n);
	old = i != -1 ? h2->bigsz[i] : malloc_usable_size(q);
	if (i != -1 && n <= old)
		return q;
	if ((r = mem_malloc(n, arg)) == NULL)
		return NULL;
	memcpy(r, q, old < n ? old : n);
	mem_free(q, arg);
	return r;
}

/*
 * Idle for a moment (h2.c's TRIM_MS), nothing owed: what the frame buffers held has gone
 * out, and their pages go back to the kernel (zero when next touched).
 */
void
h2_trim(struct h2 *h2)
{
	for (int i = 0; i < H2_BIG_MAX; i++)
		if (h2->big[i] != NULL)
			madvise(h2->big[i], h2->bigsz[i], MADV_DONTNEED);
	h2->big_dirty = false;
}

/*
 * A session put to sleep frees some 10K in small pieces, between what
 * other connections hold: malloc keeps those pages. Idle connections
 * come and sleep in crowds, so the pages a crowd left whole are given
 * back on the worker's next trim, at most once a trim interval.
 */
static size_t	slept;

void
h2_mem_slept(void)
{
	slept++;
}

void
h2_heap_trim(void)
{
	if (slept == 0)
		return;
	slept = 0;
	malloc_trim(0);
}

void
h2_mem_init(struct h2 *h2)
{
	h2->mem.mem_user_data = h2;
	h2->mem.malloc = mem_malloc;
	h2->mem.free = mem_free;
	h2->mem.calloc = mem_calloc;
	h2->mem.realloc = mem_realloc;
}
