/*
 * Encoders whatever their coding: a table of ops, one file per coding
 * (compress_gzip.c, compress_br.c), and per-worker free lists of used
 * encoders, given back by encoder_trim() once they were not needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "worker/compress.h"
#include "worker/compress_ops.h"

static const struct encoder_ops *const encoders[CODING_MAX] = {
	[CODING_GZIP] = &enc_gzip,
	[CODING_BR] = &enc_br,
};

/*
 * Used encoders of one coding, kept for reuse: at most ops->keep, all
 * freed by a trim that finds none was reused since the last.
 */
static struct pool {
	struct encoder	*free;
	int		 nfree;
	bool		 reused;	/* since the last trim */
} pools[CODING_MAX];

struct encoder *
encoder_new(enum coding c, const struct cfg_route *r)
{
	const struct encoder_ops	*ops = encoders[c];
	struct pool			*pl = &pools[c];
	struct encoder			*e, **pp;
	int				 level;

	if (ops == NULL)
		return NULL;
	level = ops->level(r);
	for (pp = &pl->free; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->level == level) {
			e = *pp;
			*pp = e->next;
			pl->nfree--;
			e->next = NULL;
			pl->reused = true;
			return e;	/* reset when it was freed */
		}
	if ((e = ops->start(level)) == NULL)
		return NULL;
	e->ops = ops;
	e->coding = c;
	e->level = level;
	e->next = NULL;
	return e;
}

void
encoder_free(struct encoder *e)
{
	struct pool	*pl;

	if (e == NULL)
		return;
	pl = &pools[e->coding];
	if (pl->nfree < e->ops->keep && e->ops->reset(e) == 0) {
		e->next = pl->free;
		pl->free = e;
		pl->nfree++;
		return;
	}
	e->ops->end(e);
}

ssize_t
encoder_run(struct encoder *e, const char *in, size_t inlen, size_t *used,
    enum enc_op op, char *out, size_t room, bool *more)
{
	return e->ops->write(e, in, inlen, used, op, out, room, more);
}

ssize_t
encoder_whole(enum coding c, const struct cfg_route *r, const char *in,
    size_t len, char *out, size_t room)
{
	const struct encoder_ops	*ops = encoders[c];

	if (ops == NULL || ops->whole == NULL)
		return -1;
	return ops->whole(ops->level(r), in, len, out, room);
}

/* Twice a second, beside the buffer trim: idle encoders go. */
void
encoder_trim(void)
{
	for (size_t c = 0; c < CODING_MAX; c++) {
		struct pool *pl = &pools[c];

		if (pl->reused) {
			pl->reused = false;
			continue;
		}
		while (pl->free != NULL) {
			struct encoder *e = pl->free;

			pl->free = e->next;
			e->ops->end(e);
		}
		pl->nfree = 0;
	}
}
