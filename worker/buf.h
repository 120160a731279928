/*
 * Fixed-size I/O buffers from a per-worker free list. A buffer has one
 * owner at a time; connections take one only while they have bytes to hold,
 * so an idle keep-alive connection holds none.
 */
#ifndef WORKER_BUF_H
#define WORKER_BUF_H

#include <stddef.h>

#define BUF_SIZE	(72 * 1024)	/* a 64K body and head in one read */

struct buf {
	size_t		 start;		/* first unread byte */
	size_t		 end;		/* one past the last byte */
	char		 data[BUF_SIZE];
};

/* A stack of same-sized mappings, free; see buf.c. */
struct page_cache {
	size_t		 size;		/* of each object */
	size_t		 keep;		/* at most this many cached */
	size_t		 floor;		/* never trimmed below */
	void		**stack;	/* the newest on top */
	size_t		 cap;
	size_t		 n;		/* cached now */
	size_t		 low;		/* fewest cached since the last trim */
};

void		*pages_alloc(size_t);	/* mmap'ed, zeroed; NULL if short */
void		 pages_free(void *, size_t);
void		*pc_get(struct page_cache *);	/* NULL if short */
void		 pc_put(struct page_cache *, void *);	/* NULL is fine */
void		 pc_trim(struct page_cache *);
struct buf	*buf_get(void);		/* NULL when memory is short */
void		 buf_put(struct buf *);	/* NULL is fine */
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

/*
 * Moves unread bytes down to offset keep (the front: 0), so the room is
 * contiguous; the keep bytes before it stay where they are (a head that
 * is still read through its slices).
 */
static inline void
buf_compact_above(struct buf *b, size_t keep)
{
	if (b->start <= keep)
		return;
	if (b->end > b->start)
		__builtin_memmove(b->data + keep, b->data + b->start, b->end -
		    b->start);
	b->end -= b->start - keep;
	b->start = keep;
}

static inline void
buf_compact(struct buf *b)
{
	buf_compact_above(b, 0);
}

#endif
