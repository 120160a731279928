/*
 * The buffer free list. Buffers are reused LIFO (the most recently used is
 * warm in cache); at most BUF_KEEP stay cached so a burst does not pin its
 * peak memory for ever.
 */
#include <stdlib.h>

#include "worker/buf.h"

#define BUF_KEEP	256

static struct buf	*free_list;
static size_t		 nfree;

struct buf *
buf_get(void)
{
	struct buf	*b;

	if ((b = free_list) != NULL) {
		free_list = b->next;
		nfree--;
	} else if ((b = malloc(sizeof(*b))) == NULL)
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
		free(b);
		return;
	}
	b->next = free_list;
	free_list = b;
	nfree++;
}

size_t
buf_free_count(void)
{
	return nfree;
}
