/*
 * Brotli: its streaming encoder with a 256K window, so a response being
 * compressed holds a few hundred kilobytes, freed when it ends. A short
 * body is one run of this encoder; none is kept for reuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <brotli/encode.h>

#include "worker/compress_ops.h"

#define BROTLI_WINDOW	18	/* 256K: memory stays bounded */

struct br_encoder {
	struct encoder		 e;	/* first */
	BrotliEncoderState	*br;
};

static int		 br_level(const struct cfg_route *);
static struct encoder	*br_start(int);
static ssize_t		 br_write(struct encoder *, const char *, size_t,
			    size_t *, enum enc_op, char *, size_t, bool *);
static void		 br_end(struct encoder *);

const struct encoder_ops enc_br = {
	.keep = 0,
	.level = br_level,
	.start = br_start,
	.reset = NULL,
	.write = br_write,
	.end = br_end,
	.whole = NULL,
};

static int
br_level(const struct cfg_route *r)
{
	return r->brotli_quality;
}

static struct encoder *
br_start(int quality)
{
	struct br_encoder	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->br = BrotliEncoderCreateInstance(NULL, NULL, NULL)) == NULL) {
		free(b);
		return NULL;
	}
	BrotliEncoderSetParameter(b->br, BROTLI_PARAM_QUALITY,
	    (uint32_t)quality);
	BrotliEncoderSetParameter(b->br, BROTLI_PARAM_LGWIN, BROTLI_WINDOW);
	BrotliEncoderSetParameter(b->br, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
	return &b->e;
}

static ssize_t
br_write(struct encoder *e, const char *in, size_t inlen, size_t *used,
    enum enc_op op, char *out, size_t room, bool *more)
{
	struct br_encoder	*b = (struct br_encoder *)e;
	const uint8_t		*next_in = (const uint8_t *)in;
	uint8_t			*next_out = (uint8_t *)out;
	size_t			 avail_in = inlen, avail_out = room;
	BrotliEncoderOperation	 bop;

	bop = op == ENC_FINISH ? BROTLI_OPERATION_FINISH : op == ENC_FLUSH ?
	    BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_PROCESS;
	if (!BrotliEncoderCompressStream(b->br, bop, &avail_in, &next_in,
	    &avail_out, &next_out, NULL))
		return -1;
	*used = inlen - avail_in;
	*more = BrotliEncoderHasMoreOutput(b->br) ||
	    (op == ENC_FINISH && !BrotliEncoderIsFinished(b->br));
	return (ssize_t)(room - avail_out);
}

static void
br_end(struct encoder *e)
{
	struct br_encoder	*b = (struct br_encoder *)e;

	BrotliEncoderDestroyInstance(b->br);
	free(b);
}
