/*
 * Page caches: free lists of objects that are whole mappings of their own
 * (mmap), for the buffers and request states of a worker. Memory given
 * back really leaves the process instead of staying as holes in the heap,
 * and pages of an object never written (most of a request buffer) cost
 * nothing. Reuse is LIFO, so the most recently used object, warm in cache,
 * goes out first; the free ones are kept in an array, not linked through
 * themselves, so that taking one reads no cold page. Twice a second
 * pc_trim() returns what stayed unused all that time, oldest first, but
 * for a floor: under steady load nothing churns; after a burst the
 * memory goes back within a second.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "worker/buf.h"

static struct page_cache	buf_cache = {
	.size = sizeof(struct buf), .keep = 8192, .floor = 16
};

void *
pages_alloc(size_t size)
{
	void	*p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
pages_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

void *
pc_get(struct page_cache *pc)
{
	if (pc->n == 0)
		return pages_alloc(pc->size);
	if (--pc->n < pc->low)
		pc->low = pc->n;
	return pc->stack[pc->n];
}

void
pc_put(struct page_cache *pc, void *p)
{
	void	**s;
	size_t	  cap;

	if (p == NULL)
		return;
	if (pc->n == pc->cap && pc->n < pc->keep) {
		cap = pc->cap == 0 ? 64 : 2 * pc->cap;
		if (cap > pc->keep)
			cap = pc->keep;
		if ((s = realloc(pc->stack, cap * sizeof(*s))) != NULL) {
			pc->stack = s;
			pc->cap = cap;
		}
	}
	if (pc->n == pc->cap) {
		pages_free(p, pc->size);
		return;
	}
	pc->stack[pc->n++] = p;
}

void
pc_trim(struct page_cache *pc)
{
	size_t	n = pc->low > pc->floor ? pc->low - pc->floor : 0;

	if (n > pc->n)
		n = pc->n;
	if (n == 0) {
		pc->low = pc->n;
		return;
	}
	/* The oldest, at the bottom, least likely to be warm. */
	for (size_t i = 0; i < n; i++)
		pages_free(pc->stack[i], pc->size);
	memmove(pc->stack, pc->stack + n, (pc->n - n) * sizeof(*pc->stack));
	pc->n -= n;
	pc->low = pc->n;
}

struct buf *
buf_get(void)
{
	struct buf	*b;

	if ((b = pc_get(&buf_cache)) == NULL)
		return NULL;
	b->start = b->end = 0;
	return b;
}

void
buf_put(struct buf *b)
{
	pc_put(&buf_cache, b);
}

void
buf_trim(void)
{
	pc_trim(&buf_cache);
}
