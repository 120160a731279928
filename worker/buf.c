/*
 * The buffer free list. Buffers are whole mappings of their own (mmap), so
 * memory given back after a burst really leaves the process instead of
 * staying as holes in the heap, and pages of a buffer never written (most
 * of a 64K request buffer) cost nothing. Reuse is LIFO, so the most
 * recently used buffer, warm in cache, goes out first; at most BUF_KEEP
 * stay cached.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "worker/buf.h"

#define BUF_KEEP	512
#define BUF_FLOOR	16

static struct buf	*free_list;
static size_t		 nfree;
static size_t		 low_water;	/* fewest free since the last trim */

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

struct buf *
buf_get(void)
{
	struct buf	*b;

	if ((b = free_list) != NULL) {
		free_list = b->next;
		nfree--;
		if (nfree < low_water)
			low_water = nfree;
	} else if ((b = pages_alloc(sizeof(*b))) == NULL)
		return NULL;
	b->start = b->end = 0;
	b->next = NULL;
	return b;
}

void
buf_put(struct buf *b)
{
	if (b == NULL)
		return;
	if (nfree >= BUF_KEEP) {
		pages_free(b, sizeof(*b));
		return;
	}
	b->next = free_list;
	free_list = b;
	nfree++;
}

/*
 * Called twice a second: the buffers that stayed unused all that time,
 * but for BUF_FLOOR, go back to the system. Under steady load nothing is unused, so
 * nothing churns; after a burst the cache shrinks within seconds.
 */
void
buf_trim(void)
{
	size_t	n = low_water > BUF_FLOOR ? low_water - BUF_FLOOR : 0;

	while (n-- > 0 && free_list != NULL) {
		struct buf *b = free_list;

		free_list = b->next;
		nfree--;
		pages_free(b, sizeof(*b));
	}
	low_water = nfree;
}

size_t
buf_free_count(void)
{
	return nfree;
}
