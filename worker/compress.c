/*
 * gzip through zlib's deflate with a gzip wrapper, Brotli through its
 * streaming encoder with a 256K window: a few hundred kilobytes per
 * response being compressed, freed when it ends.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <libdeflate.h>

#include "worker/compress.h"

#define BROTLI_WINDOW	18	/* 256K: memory stays bounded */

struct encoder {
	enum coding		 coding;
	int			 level;		/* gzip */
	z_stream		 z;
	BrotliEncoderState	*br;
	struct encoder		*next;		/* free list */
};

/*
 * Used gzip encoders kept for reuse: deflateInit2() costs about as much
 * as compressing 64K at level 1 (its window and tables are allocated and
 * cleared), deflateReset() far less. At most GZIP_KEEP, about 270K each,
 * and given back once a trim finds they were not needed since the last.
 */
#define GZIP_KEEP	64
static struct encoder	*gzip_free;
static int		 ngzip_free;
static bool		 gzip_reused;	/* since the last trim */

const char *
coding_name(enum coding c)
{
	return c == CODING_GZIP ? "gzip" : c == CODING_BR ? "br" : "identity";
}

/* "q=0.5" -> 500; a bad or missing value counts as 1. */
static int
qvalue(const char *p, const char *end)
{
	int	q = 0, digits = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return 1000;
	p += 2;
	if (p < end && *p == '1')
		return 1000;
	if (p >= end || *p != '0')
		return 1000;
	p++;
	if (p < end && *p == '.')
		for (p++; p < end && digits < 3 && *p >= '0' && *p <= '9';
		    p++, digits++)
			q = q * 10 + (*p - '0');
	while (digits++ < 3)
		q *= 10;
	return q;
}

enum coding
coding_negotiate(const char *v, size_t len, bool gzip_ok, bool br_ok)
{
	const char	*p = v, *end = v + len;
	int		 qg = -1, qb = -1, qstar = -1;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *semi, *te;
		int q;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		semi = e > p ? memchr(p, ';', (size_t)(e - p)) : NULL;
		te = semi ? semi : e;
		while (te > p && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		q = semi ? qvalue(semi + 1, e) : 1000;
		if (te - p == 4 && strncasecmp(p, "gzip", 4) == 0)
			qg = q;
		else if (te - p == 6 && strncasecmp(p, "x-gzip", 6) == 0 &&
		    qg < 0)
			qg = q;
		else if (te - p == 2 && strncasecmp(p, "br", 2) == 0)
			qb = q;
		else if (te - p == 1 && *p == '*')
			qstar = q;
		p = e + 1;
	}
	if (qg < 0)
		qg = qstar;
	if (qb < 0)
		qb = qstar;
	if (!gzip_ok)
		qg = -1;
	if (!br_ok)
		qb = -1;
	if (qb > 0 && qb >= qg)
		return CODING_BR;
	if (qg > 0)
		return CODING_GZIP;
	return CODING_NONE;
}

bool
compress_type_ok(const struct cfg_route *r, const char *type, size_t len)
{
	const char	*semi = memchr(type, ';', len), *slash;

	if (semi != NULL)
		len = (size_t)(semi - type);
	while (len > 0 && (type[len - 1] == ' ' || type[len - 1] == '\t'))
		len--;
	if ((slash = memchr(type, '/', len)) == NULL)
		return false;
	for (size_t i = 0; i < r->ncompress_types; i++) {
		const char *t = r->compress_types[i];
		size_t tl = strlen(t);

		/* "text/" followed by a star: the major type alone. */
		if (tl >= 2 && t[tl - 1] == '*' && t[tl - 2] == '/') {
			if ((size_t)(slash - type) == tl - 2 &&
			    strncasecmp(type, t, tl - 2) == 0)
				return true;
		} else if (tl == len && strncasecmp(type, t, len) == 0)
			return true;
	}
	return false;
}

struct encoder *
encoder_new(enum coding c, const struct cfg_route *r)
{
	struct encoder	*e;

	if (c == CODING_GZIP) {
		struct encoder **pp;

		for (pp = &gzip_free; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->level == r->gzip_level) {
				e = *pp;
				*pp = e->next;
				ngzip_free--;
				e->next = NULL;
				gzip_reused = true;
				return e;	/* reset when it was freed */
			}
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->coding = c;
	e->level = r->gzip_level;
	if (c == CODING_GZIP) {
		/* 15 + 16: a gzip wrapper; memLevel 8 bounds memory. */
		if (deflateInit2(&e->z, r->gzip_level, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK) {
			free(e);
			return NULL;
		}
		return e;
	}
	if ((e->br = BrotliEncoderCreateInstance(NULL, NULL, NULL)) == NULL) {
		free(e);
		return NULL;
	}
	BrotliEncoderSetParameter(e->br, BROTLI_PARAM_QUALITY,
	    (uint32_t)r->brotli_quality);
	BrotliEncoderSetParameter(e->br, BROTLI_PARAM_LGWIN, BROTLI_WINDOW);
	BrotliEncoderSetParameter(e->br, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
	return e;
}

void
encoder_free(struct encoder *e)
{
	if (e == NULL)
		return;
	if (e->coding == CODING_GZIP && ngzip_free < GZIP_KEEP &&
	    deflateReset(&e->z) == Z_OK) {
		e->next = gzip_free;
		gzip_free = e;
		ngzip_free++;
		return;
	}
	if (e->coding == CODING_GZIP)
		deflateEnd(&e->z);
	else
		BrotliEncoderDestroyInstance(e->br);
	free(e);
}

ssize_t
encoder_run(struct encoder *e, const char *in, size_t inlen, size_t *used,
    enum enc_op op, char *out, size_t room, bool *more)
{
	if (e->coding == CODING_GZIP) {
		int flush = op == ENC_FINISH ? Z_FINISH : op == ENC_FLUSH ?
		    Z_SYNC_FLUSH : Z_NO_FLUSH, rc;

		e->z.next_in = (Bytef *)(uintptr_t)in;
		e->z.avail_in = (uInt)inlen;
		e->z.next_out = (Bytef *)out;
		e->z.avail_out = (uInt)room;
		rc = deflate(&e->z, flush);
		if (rc == Z_STREAM_ERROR)
			return -1;
		*used = inlen - e->z.avail_in;
		/* Output left over when it filled the room. */
		*more = e->z.avail_out == 0 && (rc != Z_STREAM_END);
		return (ssize_t)(room - e->z.avail_out);
	} else {
		const uint8_t	*next_in = (const uint8_t *)in;
		uint8_t		*next_out = (uint8_t *)out;
		size_t		 avail_in = inlen, avail_out = room;
		BrotliEncoderOperation bop = op == ENC_FINISH ?
		    BROTLI_OPERATION_FINISH : op == ENC_FLUSH ?
		    BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_PROCESS;

		if (!BrotliEncoderCompressStream(e->br, bop, &avail_in,
		    &next_in, &avail_out, &next_out, NULL))
			return -1;
		*used = inlen - avail_in;
		*more = BrotliEncoderHasMoreOutput(e->br) ||
		    (op == ENC_FINISH && !BrotliEncoderIsFinished(e->br));
		return (ssize_t)(room - avail_out);
	}
}

/*
 * A whole body at once, in gzip: libdeflate compresses a buffer in about
 * half the time zlib takes at the same level, with smaller output, and
 * keeps no state between calls. One compressor per level, kept. -1: no
 * memory, or the output would not fit in room.
 */
ssize_t
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

/* Twice a second, beside the buffer trim: idle encoders go. */
void
encoder_trim(void)
{
	if (gzip_reused) {
		gzip_reused = false;
		return;
	}
	while (gzip_free != NULL) {
		struct encoder *e = gzip_free;

		gzip_free = e->next;
		deflateEnd(&e->z);
		free(e);
	}
	ngzip_free = 0;
}
