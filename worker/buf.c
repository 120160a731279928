/*
 * Page caches: free lists of objects that are whole mappings of their own
 * (mmap), for the buffers and request states of a worker. Memory given
 * back really leaves the process instead of staying as holes in the heap,
 * and pages of an object never written (most of a request buffer) cost
 * nothing. Reuse is LIFO, so the most recently used object, warm in cache,
 * goes out first. Twice a second pc_trim() returns what stayed unused
 * all that time, but for a floor: under steady load nothing churns; after
 * a burst the memory goes back within a second.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "worker/buf.h"

struct free_obj {
	struct free_obj	*next;
};

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
	struct free_obj	*o;

	if ((o = pc->list) == NULL)
		return pages_alloc(pc->size);
	pc->list = o->next;
	if (--pc->n < pc->low)
		pc->low = pc->n;
	return o;
}

void
pc_put(struct page_cache *pc, void *p)
{
	struct free_obj	*o = p;

	if (p == NULL)
		return;
	if (pc->n >= pc->keep) {
		pages_free(p, pc->size);
		return;
	}
	o->next = pc->list;
	pc->list = o;
	pc->n++;
}

void
pc_trim(struct page_cache *pc)
{
	size_t	n = pc->low > pc->floor ? pc->low - pc->floor : 0;

	while (n-- > 0 && pc->list != NULL) {
		struct free_obj *o = pc->list;

		pc->list = o->next;
		pc->n--;
		pages_free(o, pc->size);
	}
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
