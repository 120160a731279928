/*
 * Fixed-size I/O buffers from a per-worker free list. A buffer has one
 * owner at a time; connections take one only while they have bytes to hold,
 * so an idle keep-alive connection holds none.
 */
#ifndef WORKER_BUF_H
#define WORKER_BUF_H

#include <stddef.h>

#define BUF_SIZE	(72 * 1024)	/* a 64K body and its head in one read */

struct buf {
	size_t		 start;		/* first unread byte */
	size_t		 end;		/* one past the last byte */
	struct buf	*next;		/* free list */
	char		 data[BUF_SIZE];
};

void		*pages_alloc(size_t);	/* mmap'ed, zeroed; NULL if short */
void		 pages_free(void *, size_t);
struct buf	*buf_get(void);		/* NULL when memory is short */
void		 buf_put(struct buf *);	/* NULL is fine */
size_t		 buf_free_count(void);
void		 buf_trim(void);

static inline size_t
buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static inline size_t
buf_room(const struct buf *b)
{
	return sizeof(b->data) - b->end;
}

/* Moves unread bytes to the front so the room is contiguous. */
static inline void
buf_compact(struct buf *b)
{
	if (b->start == 0)
		return;
	if (b->end > b->start)
		__builtin_memmove(b->data, b->data + b->start, b->end -
		    b->start);
	b->end -= b->start;
	b->start = 0;
}

#endif
