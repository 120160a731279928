/*
 * gzip: zlib's deflate with a gzip wrapper for a stream, libdeflate for a
 * body compressed whole. A stream encoder holds a few hundred kilobytes
 * and is reset and kept for reuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <libdeflate.h>
#include <zlib.h>

#include "worker/compress_ops.h"

struct gzip_encoder {
	struct encoder	 e;		/* first */
	z_stream	 z;
};

static int		 gzip_level(const struct cfg_route *);
static struct encoder	*gzip_start(int);
static int		 gzip_reset(struct encoder *);
static ssize_t		 gzip_write(struct encoder *, const char *, size_t,
			    size_t *, enum enc_op, char *, size_t, bool *);
static void		 gzip_end(struct encoder *);
static ssize_t		 gzip_whole(int, const char *, size_t, char *,
			    size_t);

/*
 * deflateInit2() costs about as much as compressing 64K at level 1 (its
 * window and tables are allocated and cleared), deflateReset() far less:
 * up to 64 used encoders are kept, about 270K each.
 */
const struct encoder_ops enc_gzip = {
	.keep = 64,
	.level = gzip_level,
	.start = gzip_start,
	.reset = gzip_reset,
	.write = gzip_write,
	.end = gzip_end,
	.whole = gzip_whole,
};

static int
gzip_level(const struct cfg_route *r)
{
	return r->gzip_level;
}

static struct encoder *
gzip_start(int level)
{
	struct gzip_encoder	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	/* 15 + 16: a gzip wrapper; memLevel 8 bounds memory. */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return NULL;
	}
	return &g->e;
}

static int
gzip_reset(struct encoder *e)
{
	struct gzip_encoder	*g = (struct gzip_encoder *)e;

	return deflateReset(&g->z) == Z_OK ? 0 : -1;
}

static ssize_t
gzip_write(struct encoder *e, const char *in, size_t inlen, size_t *used,
    enum enc_op op, char *out, size_t room, bool *more)
{
	struct gzip_encoder	*g = (struct gzip_encoder *)e;
	int			 flush, rc;

	flush = op == ENC_FINISH ? Z_FINISH : op == ENC_FLUSH ?
	    Z_SYNC_FLUSH : Z_NO_FLUSH;
	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = (uInt)inlen;
	g->z.next_out = (Bytef *)out;
	g->z.avail_out = (uInt)room;
	rc = deflate(&g->z, flush);
	if (rc == Z_STREAM_ERROR)
		return -1;
	*used = inlen - g->z.avail_in;
	/* Output left over when it filled the room. */
	*more = g->z.avail_out == 0 && rc != Z_STREAM_END;
	return (ssize_t)(room - g->z.avail_out);
}

static void
gzip_end(struct encoder *e)
{
	struct gzip_encoder	*g = (struct gzip_encoder *)e;

	deflateEnd(&g->z);
	free(g);
}

/*
 * libdeflate compresses a buffer in about half the time zlib takes at the
 * same level, with smaller output, and keeps no state between calls. One
 * compressor per level, kept. -1: no memory, or the output would not fit
 * in room.
 */
static ssize_t
gzip_whole(int level, const char *in, size_t len, char *out, size_t room)
{
	static struct libdeflate_compressor	*comp[10];
	size_t					 n;

	if (level < 1 || level > 9)
		return -1;
	if (comp[level] == NULL &&
	    (comp[level] = libdeflate_alloc_compressor(level)) == NULL)
		return -1;
	n = libdeflate_gzip_compress(comp[level], in, len, out, room);
	return n == 0 ? -1 : (ssize_t)n;
}
