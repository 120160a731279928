/*
 * Unit tests for worker/h2_head.c, driven as the worker drives it: an
 * nghttp2 client session sends a request, its bytes go into an nghttp2
 * server session whose callbacks hand the fields to h2_head as
 * worker/h2.c does, and the HTTP/1.1 head it writes is compared byte for
 * byte and read by http_parse_request(). The head's buffer has a canary
 * behind the room it is given: nothing may be written there.
 *
 * With H2_HEAD_CORPUS set to a directory, the client's bytes of a few
 * requests (after the connection preface) are written there, as seeds
 * for t/fuzz/h2_fuzz: t/fuzz/h2_corpus/ was made so.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "common/http_parse.h"
#include "worker/h2_head.h"
#include "t/unit/tap.h"

#define ROOM		(72 * 1024)	/* BUF_SIZE, as the worker gives */
#define CANARY		4096
#define MAX_HLIST	(32 * 1024)	/* http2_max_header_list's default */
#define CANARY_BYTE	0xa5

/* The name-value pair of a literal: MAKE_NV(":path", "/"). */
#define MAKE_NV(n, v)	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
	sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }
#define NV_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static char	 hb[ROOM + CANARY], ck[ROOM + CANARY];
static const char *seed;	/* the next request's corpus file name */
static size_t	 seed_skip;	/* its preface, which the fuzzer gives */

/* The worker's default limits: max_header_size, max_request_line. */
static const struct http_limits limits = { 16 * 1024, 8 * 1024, 100 };

/* The server side: one request at a time, as one stream of the worker. */
struct server {
	nghttp2_session	*ses;
	struct h2_head	 hd;
	size_t		 room, ckroom;	/* given to h2_head_init */
	uint32_t	 max_hlist;
	int32_t		 id;		/* the stream, 0 before it */
	int		 heads;		/* request heads begun */
	bool		 done;		/* h2_head_end() was called */
	bool		 end_stream;
	size_t		 len;		/* what h2_head_end() returned */
	size_t		 body;		/* DATA payload received */
};

/* What the client sends as a body (NULL: no data provider). */
struct body {
	const char	*p;
	size_t		 len, off;
};

static int
on_begin_headers(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct server	*sv = arg;

	(void)ses;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	memset(hb, CANARY_BYTE, sizeof(hb));
	memset(ck, CANARY_BYTE, sizeof(ck));
	h2_head_init(&sv->hd, hb, sv->room, ck, sv->ckroom, sv->max_hlist);
	sv->id = f->hd.stream_id;
	sv->heads++;
	return 0;
}

static int
on_header(nghttp2_session *ses, const nghttp2_frame *f, nghttp2_rcbuf *name,
    nghttp2_rcbuf *value, uint8_t flags, void *arg)
{
	struct server	*sv = arg;

	(void)ses;
	(void)flags;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    f->hd.stream_id == sv->id && !sv->done)
		h2_head_field(&sv->hd, name, value);
	return 0;
}

static int
on_frame_recv(nghttp2_session *ses, const nghttp2_frame *f, void *arg)
{
	struct server	*sv = arg;

	(void)ses;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    f->hd.stream_id == sv->id && !sv->done) {
		sv->end_stream = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
		sv->len = h2_head_end(&sv->hd, sv->end_stream);
		sv->done = true;
	}
	return 0;
}

static int
on_data(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *p,
    size_t len, void *arg)
{
	struct server	*sv = arg;

	(void)ses;
	(void)flags;
	(void)id;
	(void)p;
	sv->body += len;
	return 0;
}

static ssize_t
body_read(nghttp2_session *ses, int32_t id, uint8_t *p, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct body	*b = src->ptr;
	size_t		 n = b->len - b->off;

	(void)ses;
	(void)id;
	(void)arg;
	if (n > len)
		n = len;
	memcpy(p, b->p + b->off, n);
	b->off += n;
	if (b->off == b->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/*
 * Moves what one session has to send into the other, and to f if not
 * NULL; false on error.
 */
static bool
pass(nghttp2_session *from, nghttp2_session *to, bool *moved, FILE *f)
{
	const uint8_t	*p;
	ssize_t		 n;
	size_t		 k;

	while ((n = nghttp2_session_mem_send(from, &p)) > 0) {
		*moved = true;
		k = (size_t)n < seed_skip ? (size_t)n : seed_skip;
		seed_skip -= k;
		if (f != NULL && fwrite(p + k, 1, (size_t)n - k, f) !=
		    (size_t)n - k)
			return false;
		if (nghttp2_session_mem_recv(to, p, (size_t)n) != n)
			return false;
	}
	return n == 0;
}

static bool
pump(nghttp2_session *cl, nghttp2_session *sv, FILE *f)
{
	bool	moved;
	int	rounds = 0;

	do {
		moved = false;
		if (!pass(cl, sv, &moved, f) || !pass(sv, cl, &moved, NULL))
			return false;
	} while (moved && ++rounds < 100);
	return !moved;
}

/* The file for the client's bytes of this request, or NULL. */
static FILE *
seed_open(void)
{
	const char	*dir = getenv("H2_HEAD_CORPUS");
	char		 path[1024];
	FILE		*f;

	if (dir == NULL || seed == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, seed);
	seed = NULL;
	seed_skip = NGHTTP2_CLIENT_MAGIC_LEN;
	if ((f = fopen(path, "wb")) == NULL)
		perror(path);
	return f;
}

/*
 * One request from a client to the server: SETTINGS both ways first (the
 * server's allow the extended CONNECT, as frontd's do), then the request
 * and its body. False when a session failed.
 */
static bool
request(struct server *sv, const nghttp2_nv *nva, size_t nvlen,
    const char *body, size_t bodylen)
{
	static nghttp2_session_callbacks	*scb, *ccb;
	nghttp2_settings_entry	 iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1 },
	};
	nghttp2_session		*cl;
	nghttp2_data_provider	 dp;
	struct body		 b = { body, bodylen, 0 };
	FILE			*f = seed_open();
	bool			 good;

	if (scb == NULL) {
		if (nghttp2_session_callbacks_new(&scb) != 0 ||
		    nghttp2_session_callbacks_new(&ccb) != 0)
			abort();
		nghttp2_session_callbacks_set_on_begin_headers_callback(scb,
		    on_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback2(scb,
		    on_header);
		nghttp2_session_callbacks_set_on_frame_recv_callback(scb,
		    on_frame_recv);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(scb,
		    on_data);
	}
	if (sv->room == 0)
		sv->room = ROOM;
	if (sv->ckroom == 0)
		sv->ckroom = ROOM;
	if (sv->max_hlist == 0)
		sv->max_hlist = MAX_HLIST;
	if (nghttp2_session_server_new(&sv->ses, scb, sv) != 0 ||
	    nghttp2_session_client_new(&cl, ccb, NULL) != 0)
		abort();
	nghttp2_submit_settings(sv->ses, NGHTTP2_FLAG_NONE, iv, NV_LEN(iv));
	nghttp2_submit_settings(cl, NGHTTP2_FLAG_NONE, NULL, 0);
	good = pump(cl, sv->ses, f);
	dp.source.ptr = &b;
	dp.read_callback = body_read;
	if (good && nghttp2_submit_request(cl, NULL, nva, nvlen,
	    body != NULL ? &dp : NULL, NULL) < 0)
		good = false;
	good = good && pump(cl, sv->ses, f);
	if (f != NULL && fclose(f) != 0)
		good = false;
	if (!sv->done)
		h2_head_clear(&sv->hd);
	nghttp2_session_del(cl);
	nghttp2_session_del(sv->ses);
	sv->ses = NULL;
	return good;
}

/* Nothing was written behind the room given, in either buffer. */
static bool
canary_intact(const struct server *sv)
{
	size_t	i;

	for (i = sv->room; i < sv->room + CANARY; i++)
		if ((unsigned char)hb[i] != CANARY_BYTE)
			return false;
	for (i = sv->ckroom; i < sv->ckroom + CANARY; i++)
		if ((unsigned char)ck[i] != CANARY_BYTE)
			return false;
	return true;
}

static bool
slice_is(struct http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(hb + s.off, want, s.len) == 0;
}

/* The value of the first field of this name, or NULL. */
static bool
field_is(const struct http_head *h, const char *name, const char *want)
{
	uint32_t	i;

	for (i = 0; i < h->nheaders; i++)
		if (http_slice_eq(hb, h->headers[i].name, name))
			return want != NULL && slice_is(h->headers[i].value,
			    want);
	return want == NULL;
}

static struct http_head	ph;

/*
 * The head is accepted by h2_head and written as want, and the HTTP/1.1
 * parser accepts it whole: the caller checks ph further.
 */
static bool
head_is(const char *what, const struct server *sv, const char *want)
{
	struct http_parser	ps;
	enum http_result	r;
	bool			same;

	same = sv->len == strlen(want) && memcmp(hb, want, sv->len) == 0;
	ok(sv->done && sv->hd.bad_status == 0 && same, "%s: head written",
	    what);
	if (!same) {
		printf("#   got:  \"%.*s\"\n#   want: \"%s\"\n",
		    (int)(sv->len < 400 ? sv->len : 400), hb, want);
		if (sv->hd.bad_status != 0)
			printf("#   refused %d: %s\n", sv->hd.bad_status,
			    sv->hd.bad_why);
	}
	ok(canary_intact(sv), "%s: nothing written past the room", what);
	http_parser_init(&ps);
	r = http_parse_request(&ps, hb, sv->len, &limits, &ph);
	ok(r == HTTP_OK && ph.head_len == sv->len, "%s: parsed (%s)", what,
	    r == HTTP_OK ? "ok" : http_error_names[ph.error]);
	return r == HTTP_OK;
}

static void
test_get(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	nva[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com:8443"),
		MAKE_NV(":path", "/a/b?c=d"),
		MAKE_NV("user-agent", "unit/1"),
		MAKE_NV("accept", "*/*"),
		MAKE_NV("x-b", "2"),
		MAKE_NV("x-a", "1"),
	};

	seed = "get";
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0), "GET: sessions run");
	ok(sv.heads == 1 && sv.end_stream, "GET: one head, END_STREAM");
	if (head_is("GET", &sv, "GET /a/b?c=d HTTP/1.1\r\n"
	    "Host: example.com:8443\r\n"
	    "user-agent: unit/1\r\n"
	    "accept: */*\r\n"
	    "x-b: 2\r\n"
	    "x-a: 1\r\n"
	    "\r\n")) {
		ok(ph.meth == HTTP_M_GET && slice_is(ph.method, "GET"),
		    "GET: method");
		ok(ph.form == HTTP_TARGET_ORIGIN &&
		    slice_is(ph.target, "/a/b?c=d"), "GET: target");
		ok(ph.host == 0 && slice_is(ph.headers[0].value,
		    "example.com:8443"), "GET: Host is the first field");
		ok(ph.nheaders == 5 && !ph.has_content_length && !ph.chunked,
		    "GET: no body");
		ok(ph.version_minor == 1, "GET: HTTP/1.1");
	}
}

static void
test_cookies(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	nva[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "http"),
		MAKE_NV(":authority", "a.example"),
		MAKE_NV(":path", "/"),
		MAKE_NV("cookie", "a=1"),
		MAKE_NV("accept", "text/html"),
		MAKE_NV("cookie", "b=2"),
		MAKE_NV("cookie", "c=3"),
		MAKE_NV("x-last", "z"),
	};

	seed = "cookies";
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0), "cookies: sessions run");
	if (head_is("cookies", &sv, "GET / HTTP/1.1\r\n"
	    "Host: a.example\r\n"
	    "accept: text/html\r\n"
	    "x-last: z\r\n"
	    "Cookie: a=1; b=2; c=3\r\n"
	    "\r\n"))
		ok(ph.nheaders == 4 && field_is(&ph, "cookie",
		    "a=1; b=2; c=3"), "cookies: one Cookie field");
}

static void
test_post(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	nva[] = {
		MAKE_NV(":method", "POST"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "/form"),
		MAKE_NV("content-type", "text/plain"),
	};
	nghttp2_nv	nvl[] = {
		MAKE_NV(":method", "POST"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "/form"),
		MAKE_NV("content-length", "5"),
		MAKE_NV("content-type", "text/plain"),
	};

	seed = "post-chunked";
	ok(request(&sv, nva, NV_LEN(nva), "hello", 5),
	    "POST, no length: sessions run");
	ok(!sv.end_stream && sv.body == 5,
	    "POST, no length: HEADERS without END_STREAM, then the body");
	if (head_is("POST, no length", &sv, "POST /form HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "content-type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n"))
		ok(ph.meth == HTTP_M_POST && ph.chunked &&
		    !ph.has_content_length, "POST, no length: chunked");

	memset(&sv, 0, sizeof(sv));
	seed = "post-length";
	ok(request(&sv, nvl, NV_LEN(nvl), "hello", 5),
	    "POST, length: sessions run");
	ok(!sv.end_stream && sv.body == 5, "POST, length: body follows");
	if (head_is("POST, length", &sv, "POST /form HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "content-length: 5\r\n"
	    "content-type: text/plain\r\n"
	    "\r\n"))
		ok(!ph.chunked && ph.has_content_length &&
		    ph.content_length == 5, "POST, length: Content-Length 5");

	/* No body at all: END_STREAM on HEADERS, no framing added. */
	memset(&sv, 0, sizeof(sv));
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0),
	    "POST, END_STREAM: sessions run");
	ok(sv.end_stream, "POST, END_STREAM: on HEADERS");
	if (head_is("POST, END_STREAM", &sv, "POST /form HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "content-type: text/plain\r\n"
	    "\r\n"))
		ok(!ph.chunked && !ph.has_content_length,
		    "POST, END_STREAM: no body");
}

static void
test_host(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	same[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "Example.COM"),
		MAKE_NV(":path", "/"),
		MAKE_NV("host", "example.com"),
		MAKE_NV("accept", "*/*"),
	};
	nghttp2_nv	other[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "/"),
		MAKE_NV("host", "evil.example"),
	};
	nghttp2_nv	alone[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":path", "/x"),
		MAKE_NV("host", "b.example"),
		MAKE_NV("accept", "*/*"),
	};

	seed = "host";
	ok(request(&sv, same, NV_LEN(same), NULL, 0),
	    "Host same: sessions run");
	if (head_is("Host as :authority", &sv, "GET / HTTP/1.1\r\n"
	    "Host: Example.COM\r\n"
	    "accept: */*\r\n"
	    "\r\n"))
		ok(ph.host == 0 && ph.nheaders == 2,
		    "Host as :authority: dropped, one Host");

	memset(&sv, 0, sizeof(sv));
	ok(request(&sv, other, NV_LEN(other), NULL, 0),
	    "Host other: sessions run");
	ok(sv.done && sv.hd.bad_status == 400,
	    "Host other than :authority: refused with 400 (%d)",
	    sv.hd.bad_status);
	ok(canary_intact(&sv), "Host other: nothing written past the room");

	/* No :authority: the Host field stays where it was sent. */
	memset(&sv, 0, sizeof(sv));
	ok(request(&sv, alone, NV_LEN(alone), NULL, 0),
	    "Host alone: sessions run");
	if (head_is("Host without :authority", &sv, "GET /x HTTP/1.1\r\n"
	    "host: b.example\r\n"
	    "accept: */*\r\n"
	    "\r\n"))
		ok(ph.host == 0 && slice_is(ph.headers[0].value,
		    "b.example"), "Host without :authority: kept");
}

/* A header list over the limit: 431, and the head stays in its room. */
static void
test_too_large(void)
{
	static char	v[7000], cv[7000];
	struct server	sv = { 0 };
	nghttp2_nv	nva[10] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "/"),
	};
	size_t		i;

	memset(v, 'v', sizeof(v));
	for (i = 4; i < 9; i++) {
		nva[i].name = (uint8_t *)(i % 2 ? "x-odd" : "x-even");
		nva[i].namelen = strlen((char *)nva[i].name);
		nva[i].value = (uint8_t *)v;
		nva[i].valuelen = sizeof(v);
		nva[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	nva[9] = (nghttp2_nv)MAKE_NV("x-after", "1");
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0),
	    "header list over the max: sessions run");
	ok(sv.done && sv.hd.bad_status == 431,
	    "header list of 5 x 7000 bytes over 32K: 431 (%d)",
	    sv.hd.bad_status);
	ok(sv.len <= ROOM && canary_intact(&sv),
	    "header list over the max: nothing written past the room");

	/* The same in cookie crumbs, which are kept aside. */
	memset(&sv, 0, sizeof(sv));
	memset(cv, 'c', sizeof(cv));
	cv[1] = '=';
	for (i = 4; i < 9; i++) {
		nva[i].name = (uint8_t *)"cookie";
		nva[i].namelen = 6;
		nva[i].value = (uint8_t *)cv;
	}
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0),
	    "cookies over the max: sessions run");
	ok(sv.done && sv.hd.bad_status == 431,
	    "cookies of 5 x 7000 bytes over 32K: 431 (%d)",
	    sv.hd.bad_status);
	ok(sv.len <= ROOM && canary_intact(&sv),
	    "cookies over the max: nothing written past the room");
}

/*
 * A small room, a large list limit: the head and its cookies grow up to
 * the end of the room, and a field that would not leave room for the
 * cookies, the framing and the empty line is refused. Whatever the
 * length, the head is either whole and parsed or refused with 431, and
 * nothing is written past the room.
 */
static void
test_room(void)
{
	static char		 path[4096];
	struct server		 sv;
	struct http_parser	 ps;
	const struct http_limits big = { 8192, 8192, 100 };
	nghttp2_nv		 nva[] = {
		MAKE_NV(":method", "POST"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "a"),
		MAKE_NV(":path", ""),
		MAKE_NV("cookie", "a=1"),
		MAKE_NV("cookie", "b=2"),
	};
	size_t			 p, first_bad = 0, first_bare = 0, whole = 0;
	size_t			 bad = 0, bad_431 = 0, bare = 0;
	bool			 tidy = true, r;

	path[0] = '/';
	memset(path + 1, 'p', sizeof(path) - 1);
	nva[3].value = (uint8_t *)path;
	for (p = 1400; p <= 1600; p++) {
		memset(&sv, 0, sizeof(sv));
		sv.room = 2048;
		sv.ckroom = 64;
		sv.max_hlist = 64 * 1024;
		nva[3].valuelen = p;
		r = request(&sv, nva, NV_LEN(nva), "x", 1);
		if (!r || !sv.done || sv.len > sv.room || !canary_intact(&sv))
			tidy = false;
		if (sv.hd.bad_status != 0) {
			if (first_bad == 0)
				first_bad = p;
			bad_431 += sv.hd.bad_status == 431;
			bad++;
			continue;
		}
		http_parser_init(&ps);
		if (first_bad != 0 || http_parse_request(&ps, hb, sv.len,
		    &big, &ph) != HTTP_OK || ph.path.len != p ||
		    !field_is(&ph, "cookie", "a=1; b=2"))
			tidy = false;
		else if (!ph.chunked) {
			/* A body follows: a head without framing is wrong. */
			if (first_bare == 0)
				first_bare = p;
			bare++;
		}
		whole++;
	}
	ok(tidy, "small room: every head whole and parsed, or refused, "
	    "never past the room");
	ok(whole > 0 && bad > 0 && bad_431 == bad,
	    "small room: %zu whole, then %zu refused with 431 from a :path "
	    "of %zu", whole, bad, first_bad);
	/* Near the room's end too: the framing is in put()'s slack. */
	ok(bare == 0, "small room: every head of a body is chunked "
	    "(%zu without framing, from a :path of %zu)", bare, first_bare);

	/* Cookies alone past their own room. */
	memset(&sv, 0, sizeof(sv));
	sv.ckroom = 6;
	nva[3].valuelen = 1;
	r = request(&sv, nva, NV_LEN(nva), NULL, 0);
	ok(r && sv.done && sv.hd.bad_status == 431 && canary_intact(&sv),
	    "cookies over their room: 431 (%d), nothing written past it",
	    sv.hd.bad_status);
}

static bool
base64(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '+' &&
		    p[i] != '/' && !(p[i] == '=' && i >= len - 2))
			return false;
	return true;
}

static void
test_websocket(void)
{
	struct server	 sv = { 0 };
	nghttp2_nv	 nva[] = {
		MAKE_NV(":method", "CONNECT"),
		MAKE_NV(":protocol", "websocket"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":path", "/chat"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV("sec-websocket-version", "13"),
		MAKE_NV("origin", "https://example.com"),
	};
	static char	 want[512];
	const char	*k, *pre = "GET /chat HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Key: ";
	char		 key[25] = "";

	seed = "websocket";
	ok(request(&sv, nva, NV_LEN(nva), "", 0),
	    "extended CONNECT: sessions run");
	ok(sv.done && !sv.end_stream,
	    "extended CONNECT: accepted by the server session, stream open");
	ok(sv.hd.tunnel, "extended CONNECT: a tunnel");
	if (sv.len > strlen(pre) + 24 && memcmp(hb, pre, strlen(pre)) == 0)
		memcpy(key, hb + strlen(pre), 24);
	k = key;
	ok(strlen(k) == 24 && base64(k, 24) && memcmp(k + 22, "==", 2) == 0,
	    "extended CONNECT: Sec-WebSocket-Key of 24 base64 characters "
	    "(%s)", k);
	snprintf(want, sizeof(want), "%s%s\r\n"
	    "sec-websocket-version: 13\r\n"
	    "origin: https://example.com\r\n"
	    "\r\n", pre, k);
	if (head_is("extended CONNECT", &sv, want)) {
		ok(ph.meth == HTTP_M_GET && slice_is(ph.target, "/chat"),
		    "extended CONNECT: GET /chat");
		ok(ph.conn_upgrade && ph.has_upgrade &&
		    field_is(&ph, "upgrade", "websocket"),
		    "extended CONNECT: an upgrade to websocket");
		ok(!ph.chunked && !ph.has_content_length,
		    "extended CONNECT: no Transfer-Encoding, no body");
	}

	/* Another protocol: an upgrade, without a WebSocket key. */
	memset(&sv, 0, sizeof(sv));
	nva[1] = (nghttp2_nv)MAKE_NV(":protocol", "connect-udp");
	ok(request(&sv, nva, NV_LEN(nva), "", 0),
	    "extended CONNECT, connect-udp: sessions run");
	if (head_is("extended CONNECT, connect-udp", &sv,
	    "GET /chat HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: connect-udp\r\n"
	    "sec-websocket-version: 13\r\n"
	    "origin: https://example.com\r\n"
	    "\r\n"))
		ok(ph.conn_upgrade && ph.has_upgrade,
		    "extended CONNECT, connect-udp: an upgrade");
}

/* :path up to max_request_line, the request line's limit, and past it. */
static void
test_long_path(void)
{
	static char		 path[8200], want[8400];
	struct server		 sv;
	struct http_parser	 ps;
	enum http_result	 r;
	nghttp2_nv		 nva[] = {
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", ""),
	};
	/* "GET " path " HTTP/1.1\r\n" is limits.max_line_bytes long. */
	size_t			 p = limits.max_line_bytes - 4 - 11;

	path[0] = '/';
	memset(path + 1, 'a', sizeof(path) - 1);
	nva[3].value = (uint8_t *)path;
	nva[3].valuelen = p;
	memset(&sv, 0, sizeof(sv));
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0),
	    "long :path: sessions run");
	snprintf(want, sizeof(want), "GET %.*s HTTP/1.1\r\n"
	    "Host: example.com\r\n\r\n", (int)p, path);
	if (head_is("long :path at the limit", &sv, want))
		ok(ph.target.len == p && ph.line_len == limits.max_line_bytes,
		    "long :path: a request line of %u bytes",
		    limits.max_line_bytes);

	/* One byte more: the parser answers 414, as for HTTP/1.1. */
	memset(&sv, 0, sizeof(sv));
	nva[3].valuelen = p + 1;
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0) && sv.done &&
	    sv.hd.bad_status == 0, "longer :path: written");
	http_parser_init(&ps);
	r = http_parse_request(&ps, hb, sv.len, &limits, &ph);
	ok(r == HTTP_ERROR && ph.error_status == 414,
	    "longer :path: 414 (%d)", ph.error_status);
}

static void
test_options(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	nva[] = {
		MAKE_NV(":method", "OPTIONS"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "*"),
	};

	seed = "options";
	ok(request(&sv, nva, NV_LEN(nva), NULL, 0), "OPTIONS *: sessions run");
	if (head_is("OPTIONS *", &sv, "OPTIONS * HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "\r\n"))
		ok(ph.meth == HTTP_M_OPTIONS &&
		    ph.form == HTTP_TARGET_ASTERISK && slice_is(ph.target, "*"),
		    "OPTIONS *: asterisk form");
}

/*
 * A field before the pseudo-header fields: libnghttp2 refuses the
 * stream only at the end of the block, and hands the field over first;
 * the head, with no :method yet, is refused with 400 and nothing is
 * copied from the missing pseudo-header fields.
 */
static void
test_field_first(void)
{
	struct server	sv = { 0 };
	nghttp2_nv	nva[] = {
		MAKE_NV("accept", "*/*"),
		MAKE_NV(":method", "GET"),
		MAKE_NV(":scheme", "https"),
		MAKE_NV(":authority", "example.com"),
		MAKE_NV(":path", "/"),
	};

	ok(request(&sv, nva, NV_LEN(nva), NULL, 0) && sv.heads == 1 &&
	    !sv.done, "field before :method: stream refused by the session");
	ok(sv.hd.bad_status == 400 && canary_intact(&sv),
	    "field before :method: 400 (%d), nothing past the room",
	    sv.hd.bad_status);
}

int
main(void)
{
	test_get();
	test_cookies();
	test_post();
	test_host();
	test_too_large();
	test_room();
	test_websocket();
	test_long_path();
	test_options();
	test_field_first();
	return tap_done();
}
