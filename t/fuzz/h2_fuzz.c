/*
 * libFuzzer target for the HTTP/2 request input path: the input is what
 * a client sends after the connection preface, read by an nghttp2
 * server session set up as worker/h2.c sets it up, whose callbacks hand
 * each request's fields to worker/h2_head.c as the worker does; every
 * head it finishes is read by http_parse_request(). A fresh session for
 * each input, the heads in a small table keyed by stream id (a stream
 * past it is refused, as one past http2_max_streams is), request bodies consumed and dropped, the
 * session's own frames written and dropped.
 *
 * Heads get buffers of the worker's size, each allocated alone so that
 * ASan sees a write past one. Streams with ids 1 mod 4 get the largest
 * header list http2_max_header_list allows, the others the smallest.
 * A head must be whole, refused with 400 or 431, or parsed as framed
 * the way the stream is: chunked when a body of no stated length
 * follows, never when END_STREAM came with the head or for a tunnel.
 *
 * Build: CC=clang ./configure --enable-fuzz && make t/fuzz/h2_fuzz
 * Run:   t/fuzz/h2_fuzz -max_total_time=60 corpus/ t/fuzz/h2_corpus/
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "common/http_parse.h"
#include "worker/h2_head.h"

#define CHECK(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

#define PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define ROOM		(72 * 1024)	/* BUF_SIZE: a stream's c->in */
#define SLOTS		4
#define HLIST_MAX	(48 * 1024)	/* http2_max_header_list's range */
#define HLIST_MIN	1024

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct slot {
	int32_t		 id;		/* 0: free */
	struct h2_head	 hd;
	char		*b, *ck;
};

static struct slot			 slots[SLOTS];
static nghttp2_session_callbacks	*callbacks;
static nghttp2_option			*options;
static struct http_head			 head;

/* The worker's default limits, and the largest. */
static const struct http_limits	limits[2] = {
	{ 16 * 1024, 8 * 1024, 100 },
	{ ROOM, ROOM, HTTP_MAX_HEADERS_LIMIT },
};

static void
slot_free(struct slot *s)
{
	h2_head_clear(&s->hd);
	s->id = 0;
}

static int
on_begin_headers(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	int32_t		 id = f->hd.stream_id;
	struct slot	*s = NULL;
	int		 i;

	(void)arg;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	for (i = 0; i < SLOTS && s == NULL; i++)
		if (slots[i].id == 0)
			s = &slots[i];
	if (s == NULL) {
		nghttp2_submit_rst_stream(ses, NGHTTP2_FLAG_NONE, id,
		    NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	s->id = id;
	h2_head_init(&s->hd, s->b, ROOM, s->ck, ROOM, (id & 3) == 1 ?
	    HLIST_MAX : HLIST_MIN);
	nghttp2_session_set_stream_user_data(ses, id, s);
	return 0;
}

static int
on_header(nghttp2_session *ses, const nghttp2_frame *f, nghttp2_rcbuf *name,
    nghttp2_rcbuf *value, uint8_t flags, void *arg)
{
	struct slot	*s;

	(void)flags;
	(void)arg;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    (s = nghttp2_session_get_stream_user_data(ses,
	    f->hd.stream_id)) != NULL)
		h2_head_field(&s->hd, name, value);
	return 0;
}

/* A finished head: whole and parsed as framed, or refused. */
static void
head_check(struct slot *s, size_t len, bool end_stream)
{
	const struct h2_head	*h = &s->hd;
	struct http_parser	 ps;
	enum http_result	 r;
	int			 i;

	CHECK(len == h->len && len >= 2 && len <= ROOM);
	CHECK(memcmp(s->b + len - 2, "\r\n", 2) == 0);
	if (h->bad_status != 0) {
		CHECK(h->bad_status == 400 || h->bad_status == 431);
		CHECK(h->bad_why != NULL);
		return;
	}
	CHECK(h->hlist <= h->max_hlist);
	for (i = 0; i < 2; i++) {
		http_parser_init(&ps);
		r = http_parse_request(&ps, s->b, len, &limits[i], &head);
		CHECK(r != HTTP_AGAIN);
		if (r == HTTP_ERROR) {
			CHECK(head.error_status >= 400);
			continue;
		}
		CHECK(head.head_len == len);
		CHECK(head.version_minor == 1 && head.host >= 0);
		if (end_stream || h->tunnel)
			CHECK(!head.chunked);
		else if (!h->has_length)
			CHECK(head.chunked);
		if (h->tunnel)
			CHECK(head.meth == HTTP_M_GET && head.conn_upgrade &&
			    head.has_upgrade);
	}
}

static int
on_frame_recv(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct slot	*s;
	bool		 es = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

	(void)arg;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST ||
	    (s = nghttp2_session_get_stream_user_data(ses,
	    f->hd.stream_id)) == NULL)
		return 0;
	head_check(s, h2_head_end(&s->hd, es), es);
	/* The head is done: the slot is free for another stream. */
	nghttp2_session_set_stream_user_data(ses, f->hd.stream_id, NULL);
	slot_free(s);
	return 0;
}

static int
on_data(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *p,
    size_t len, void *arg)
{
	(void)flags;
	(void)p;
	(void)arg;
	nghttp2_session_consume(ses, id, len);
	return 0;
}

static int
on_stream_close(nghttp2_session *ses, int32_t id, uint32_t err, void *arg)
{
	struct slot	*s = nghttp2_session_get_stream_user_data(ses, id);

	(void)err;
	(void)arg;
	if (s != NULL) {
		nghttp2_session_set_stream_user_data(ses, id, NULL);
		slot_free(s);
	}
	return 0;
}

static void
setup(void)
{
	int	i;

	if (nghttp2_session_callbacks_new(&callbacks) != 0 ||
	    nghttp2_option_new(&options) != 0)
		abort();
	nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
	    on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback2(callbacks,
	    on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
	    on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
	    on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
	    on_stream_close);
	nghttp2_option_set_no_auto_window_update(options, 1);
	nghttp2_option_set_max_continuations(options, 8);
	for (i = 0; i < SLOTS; i++)
		if ((slots[i].b = malloc(ROOM)) == NULL ||
		    (slots[i].ck = malloc(ROOM)) == NULL)
			abort();
}

/* What the session sends is dropped; false once it has nothing left. */
static bool
drain(nghttp2_session *ses)
{
	const uint8_t	*p;
	ssize_t		 n;
	int		 k = 0;

	while ((n = nghttp2_session_mem_send(ses, &p)) > 0)
		k++;
	return n == 0 && (k > 0 || nghttp2_session_want_read(ses));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nghttp2_settings_entry	 iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 65535 },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HLIST_MAX },
		{ NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1 },
	};
	nghttp2_session		*ses;
	ssize_t			 n;
	int			 i;

	if (callbacks == NULL)
		setup();
	if (nghttp2_session_server_new2(&ses, callbacks, NULL, options) != 0)
		abort();
	nghttp2_submit_settings(ses, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0]));
	n = nghttp2_session_mem_recv(ses, (const uint8_t *)PREFACE,
	    sizeof(PREFACE) - 1);
	CHECK(n == (ssize_t)sizeof(PREFACE) - 1);
	/* As read from a socket: a frame's worth, then what goes out. */
	while (size > 0 && drain(ses)) {
		n = nghttp2_session_mem_recv(ses, data, size < 16384 ?
		    size : 16384);
		if (n <= 0)
			break;
		CHECK((size_t)n <= size);
		data += n;
		size -= (size_t)n;
	}
	drain(ses);
	/* The heads hold the session's buffers: freed before it is. */
	for (i = 0; i < SLOTS; i++)
		if (slots[i].id != 0)
			slot_free(&slots[i]);
	nghttp2_session_del(ses);
	return 0;
}
