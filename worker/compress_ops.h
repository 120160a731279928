/*
 * What an encoder file (compress_<name>.c) fills in, and the part of an
 * encoder that compress.c keeps: the free lists, the table, the dispatch.
 * Only compress.c and the encoder files include this.
 */
#ifndef WORKER_COMPRESS_OPS_H
#define WORKER_COMPRESS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/config.h"
#include "worker/compress.h"

/*
 * The generic part, first in each encoder file's own struct (which
 * start allocates and end frees, in one piece).
 */
struct encoder {
	const struct encoder_ops *ops;
	enum coding		 coding;
	int			 level;		/* ops->level of its route */
	struct encoder		*next;		/* free list */
};

struct encoder_ops {
	/* Used encoders kept per worker for reuse, 0 for none. */
	int		  keep;
	/* The setting of the route that makes encoders differ. */
	int		(*level)(const struct cfg_route *);
	/* A new encoder at that level; NULL: no memory. */
	struct encoder	*(*start)(int level);
	/* Makes a used encoder ready for another stream; -1: end it. */
	int		(*reset)(struct encoder *);
	/* As encoder_run(), whose contract it keeps. */
	ssize_t		(*write)(struct encoder *, const char *in,
			    size_t inlen, size_t *used, enum enc_op,
			    char *out, size_t room, bool *more);
	/* Frees the encoder and what it holds. */
	void		(*end)(struct encoder *);
	/*
	 * A whole body in one call, as encoder_whole(); NULL when the coding
	 * has none, and a short body goes through one run of an encoder.
	 */
	ssize_t		(*whole)(int level, const char *in, size_t len,
			    char *out, size_t room);
};

extern const struct encoder_ops enc_gzip;
extern const struct encoder_ops enc_br;

#endif
