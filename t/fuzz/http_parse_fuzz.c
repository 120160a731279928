/*
 * libFuzzer target for common/http_parse.c and common/http_chunked.c.
 * Both head parsers and the chunked decoder are fed the input whole, split
 * in two at a point the input chooses, and (for short inputs) one byte at
 * a time: the answers must agree, and every slice must lie inside the
 * bytes offered. Each piece is copied to a buffer of its exact size so
 * ASan sees overreads.
 *
 * Build: CC=clang ./configure --enable-fuzz && make t/fuzz/http_parse_fuzz
 * Run:   t/fuzz/http_parse_fuzz -max_len=4096 corpus/
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_parse.h"

#define CHECK(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct http_limits limits[4] = {
	{ 8192, 1024, 100 },
	{ 64, 32, 4 },
	{ 300, 16, 256 },
	{ 65536, 8192, 1000 },	/* max_headers clamped to 256 */
};

static struct http_head	 heads[3];

static char *
copy(const char *p, size_t n)
{
	char	*b;

	if ((b = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(b, p, n);
	return b;
}

static enum http_result
parse(bool request, struct http_parser *ps, const char *p, size_t n,
    const struct http_limits *lim, struct http_head *h)
{
	char			*b = copy(p, n);
	enum http_result	 r;

	r = request ? http_parse_request(ps, b, n, lim, h) :
	    http_parse_response(ps, b, n, lim, h);
	CHECK(ps->scanned <= n || r != HTTP_AGAIN);
	free(b);
	return r;
}

static void
check_slice(struct http_slice s, uint32_t end)
{
	CHECK(s.off <= end && s.len <= end - s.off);
}

static void
check_invariants(bool request, enum http_result r, size_t n,
    const struct http_limits *lim, const struct http_head *h)
{
	uint32_t	i, max;

	if (r == HTTP_AGAIN) {
		CHECK(n < lim->max_head_bytes);
		return;
	}
	if (r == HTTP_ERROR) {
		CHECK(h->error > HTTP_ERR_NONE && h->error < HTTP_ERR_MAX);
		CHECK(http_error_names[h->error] != NULL);
		if (!request)
			CHECK(h->error_status == 502);
		else
			CHECK(h->error_status == 400 ||
			    h->error_status == 414 || h->error_status == 431 ||
			    h->error_status == 501 || h->error_status == 505);
		return;
	}
	CHECK(r == HTTP_OK && h->error == HTTP_ERR_NONE);
	CHECK(h->head_len <= n && h->head_len <= lim->max_head_bytes);
	CHECK(h->line_len >= 2 && h->line_len <= h->head_len);
	CHECK(h->line_len <= lim->max_line_bytes);
	max = lim->max_headers < HTTP_MAX_HEADERS_LIMIT ?
	    lim->max_headers : HTTP_MAX_HEADERS_LIMIT;
	CHECK(h->nheaders <= max);
	CHECK(h->host >= -1 && h->host < (int)h->nheaders);
	CHECK(h->version_minor == 0 || h->version_minor == 1);
	CHECK(!(h->has_content_length && h->chunked));
	CHECK(!h->has_content_length || h->content_length <= (1ULL << 62));
	if (request) {
		CHECK(h->method.len > 0 && h->target.len > 0);
		check_slice(h->method, h->head_len);
		check_slice(h->target, h->head_len);
		check_slice(h->authority, h->head_len);
		check_slice(h->path, h->head_len);
		CHECK(h->path.len == 0 || h->path.off + h->path.len ==
		    h->target.off + h->target.len);
		CHECK(h->version_minor == 0 || h->host >= 0);
	} else {
		CHECK(h->status >= 100 && h->status <= 599);
		check_slice(h->reason, h->head_len);
	}
	for (i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		CHECK(f->line_off >= h->line_len && f->line_len >= 4);
		CHECK(f->line_off + f->line_len <= h->head_len - 2);
		CHECK(f->name.off == f->line_off && f->name.len > 0);
		check_slice(f->value, f->line_off + f->line_len - 2);
		CHECK(f->value.off > f->name.off + f->name.len);
		CHECK(f->id >= HTTP_H_OTHER && f->id < HTTP_H_MAX);
	}
}

static void
same_head(const struct http_head *a, const struct http_head *b)
{
	uint32_t	i;

	CHECK(a->error == b->error && a->error_status == b->error_status);
	if (a->error != HTTP_ERR_NONE)
		return;
	CHECK(a->head_len == b->head_len && a->line_len == b->line_len);
	CHECK(a->method.off == b->method.off && a->method.len == b->method.len);
	CHECK(a->target.off == b->target.off && a->target.len == b->target.len);
	CHECK(a->path.off == b->path.off && a->path.len == b->path.len);
	CHECK(a->authority.off == b->authority.off &&
	    a->authority.len == b->authority.len);
	CHECK(a->meth == b->meth && a->form == b->form);
	CHECK(a->status == b->status && a->reason.off == b->reason.off &&
	    a->reason.len == b->reason.len);
	CHECK(a->version_minor == b->version_minor);
	CHECK(a->nheaders == b->nheaders && a->host == b->host);
	CHECK(a->has_content_length == b->has_content_length &&
	    a->content_length == b->content_length && a->chunked == b->chunked);
	CHECK(a->conn_close == b->conn_close &&
	    a->conn_keep_alive == b->conn_keep_alive &&
	    a->conn_upgrade == b->conn_upgrade &&
	    a->has_upgrade == b->has_upgrade &&
	    a->expect_continue == b->expect_continue &&
	    a->te_trailers == b->te_trailers);
	for (i = 0; i < a->nheaders; i++)
		CHECK(memcmp(&a->headers[i], &b->headers[i],
		    sizeof(a->headers[i])) == 0);
}

static void
fuzz_head(bool request, const char *p, size_t n, size_t split,
    const struct http_limits *lim)
{
	struct http_parser	 ps;
	enum http_result	 whole, r;
	size_t			 k;

	http_parser_init(&ps);
	whole = parse(request, &ps, p, n, lim, &heads[0]);
	check_invariants(request, whole, n, lim, &heads[0]);

	http_parser_init(&ps);
	r = parse(request, &ps, p, split, lim, &heads[1]);
	if (r == HTTP_AGAIN)
		r = parse(request, &ps, p, n, lim, &heads[1]);
	CHECK(r == whole);
	if (r != HTTP_AGAIN)
		same_head(&heads[0], &heads[1]);

	if (n > 512)
		return;
	http_parser_init(&ps);
	r = HTTP_AGAIN;
	for (k = 0; k <= n && r == HTTP_AGAIN; k++)
		r = parse(request, &ps, p, k, lim, &heads[2]);
	CHECK(r == whole);
	if (r == HTTP_OK)
		CHECK(heads[2].head_len == k - 1);
	if (r != HTTP_AGAIN)
		same_head(&heads[0], &heads[2]);
}

struct decoded {
	enum http_chunk_result	 r;
	char			*body;
	size_t			 nbody;
	char			*tr;
	size_t			 ntr;
	size_t			 used;
};

/* Offers first bytes, then step more at a time (0: all the rest). */
static void
dechunk(const char *in, size_t n, size_t first, size_t step,
    struct decoded *d)
{
	struct http_chunked	 c;
	size_t			 have, pos = 0, cons, off, len, loops = 0;
	char			*w;

	http_chunked_init(&c);
	d->body = malloc(n + 1);
	d->tr = malloc(n + 1);
	d->nbody = d->ntr = 0;
	have = first < n ? first : n;
	for (;;) {
		CHECK(++loops <= 3 * n + 8);
		w = copy(in + pos, have - pos);
		d->r = http_chunked_next(&c, w, have - pos, &cons, &off, &len);
		CHECK(cons <= have - pos);
		if (d->r == HTTP_CHUNK_DATA) {
			CHECK(len > 0 && off + len == cons);
			memcpy(d->body + d->nbody, w + off, len);
			d->nbody += len;
		} else if (d->r == HTTP_CHUNK_TRAILER) {
			CHECK(len >= 4 && off + len == cons);
			CHECK(w[off + len - 2] == '\r' &&
			    w[off + len - 1] == '\n');
			memcpy(d->tr + d->ntr, w + off, len);
			d->ntr += len;
		}
		free(w);
		pos += cons;
		d->used = pos;
		CHECK(c.total == d->nbody);
		if (d->r == HTTP_CHUNK_DONE || d->r == HTTP_CHUNK_ERROR)
			return;
		if (d->r == HTTP_CHUNK_AGAIN) {
			if (have == n)
				return;
			have = step == 0 || n - have < step ? n : have + step;
		}
	}
}

static void
same_decoded(const struct decoded *a, const struct decoded *b)
{
	CHECK(a->r == b->r);
	CHECK(a->nbody == b->nbody && memcmp(a->body, b->body, a->nbody) == 0);
	CHECK(a->ntr == b->ntr && memcmp(a->tr, b->tr, a->ntr) == 0);
	if (a->r != HTTP_CHUNK_ERROR)
		CHECK(a->used == b->used);
}

static void
fuzz_chunked(const char *p, size_t n, size_t split)
{
	struct decoded	d[3];
	int		i, nd = 2;

	dechunk(p, n, n, 0, &d[0]);
	dechunk(p, n, split, 0, &d[1]);
	if (n <= 512) {
		dechunk(p, n, 0, 1, &d[2]);
		nd = 3;
	}
	for (i = 1; i < nd; i++)
		same_decoded(&d[0], &d[i]);
	for (i = 0; i < nd; i++) {
		free(d[i].body);
		free(d[i].tr);
	}
}

/*
 * data[0] picks the limits, data[1] the split point; the rest is the
 * message.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_limits	*lim;
	const char			*p;
	size_t				 n, split;

	if (size < 2)
		return 0;
	lim = &limits[data[0] & 3];
	p = (const char *)data + 2;
	n = size - 2;
	split = n * data[1] / 255;
	fuzz_head(true, p, n, split, lim);
	fuzz_head(false, p, n, split, lim);
	fuzz_chunked(p, n, split);
	return 0;
}
