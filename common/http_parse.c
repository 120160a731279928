/*
 * Strict HTTP/1.1 head parser. Every byte of a head is checked against the
 * RFC 9110/9112 grammar before the proxy acts on it: whatever two
 * implementations might frame differently (bare CR or LF, obs-fold,
 * Content-Length beside Transfer-Encoding) is refused, never repaired.
 * Heads are parsed in place; nothing is allocated or copied. The chunked
 * body decoder is in http_chunked.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/http_parse.h"
#include "common/http_parse_int.h"

#define MAX_LEADING_CRLF	4	/* RFC 9112 2.2 asks for at least one */
#define MAX_CONTENT_LENGTH	(1ULL << 62)

/* What the Transfer-Encoding fields said, judged once all are read. */
struct te_state {
	bool	seen;
	bool	malformed;		/* an element is not a bare token */
	bool	unknown;		/* a coding we do not know */
	bool	last_chunked;		/* the final coding is chunked */
	int	nchunked;
};

static enum http_result	 parse_head(struct http_parser *, const char *,
			    size_t, const struct http_limits *,
			    struct http_head *, bool);
static enum http_result	 fail(struct http_head *, enum http_error, bool);
static void		 head_reset(struct http_head *);
static enum http_error	 request_line(const char *, size_t, size_t,
			    struct http_head *);
static enum http_error	 request_target(const char *, const char *,
			    const char *, struct http_head *);
static enum http_error	 status_line(const char *, size_t, size_t,
			    struct http_head *);
static enum http_error	 header_lines(const char *, size_t, size_t,
			    const struct http_limits *, struct http_head *,
			    bool);
static enum http_error	 field_meaning(const char *, struct http_head *,
			    struct te_state *, bool);
static enum http_error	 framing(struct http_head *, const struct te_state *,
			    bool);
static enum http_error	 content_length(const char *, const char *,
			    struct http_head *);
static void		 transfer_encoding(const char *, const char *,
			    struct te_state *);
static bool		 authority_ok(const char *, const char *, bool);
static const char	*path_end(const char *, const char *);
static const char	*value_end(const char *, const char *);
static bool		 list_next(const char **, const char *, const char **,
			    const char **);
static bool		 lc_eq(const char *, const char *, size_t);
static bool		 ci_eq(const char *, const char *, size_t);
static enum http_method	 method_id(const char *, size_t);
static enum http_header_id header_id(const char *, size_t);

const char *const http_error_names[] = {
	[HTTP_ERR_NONE] = "no error",
	[HTTP_ERR_HEAD_TOO_LARGE] = "head too large",
	[HTTP_ERR_LINE_TOO_LONG] = "start line too long",
	[HTTP_ERR_TOO_MANY_HEADERS] = "too many header fields",
	[HTTP_ERR_BAD_REQUEST_LINE] = "malformed request line",
	[HTTP_ERR_BAD_METHOD] = "method is not a token",
	[HTTP_ERR_BAD_TARGET] = "bad request target",
	[HTTP_ERR_BAD_VERSION] = "malformed HTTP version",
	[HTTP_ERR_VERSION_UNSUPPORTED] = "unsupported HTTP version",
	[HTTP_ERR_HTTP09] = "HTTP/0.9 request",
	[HTTP_ERR_HTTP2_PREFACE] = "HTTP/2 preface on HTTP/1.1",
	[HTTP_ERR_BAD_STATUS_LINE] = "malformed status line",
	[HTTP_ERR_BAD_HEADER_NAME] = "bad header field name",
	[HTTP_ERR_BAD_HEADER_VALUE] = "bad byte in header field value",
	[HTTP_ERR_OBS_FOLD] = "obsolete line folding",
	[HTTP_ERR_BARE_CR] = "bare CR in head",
	[HTTP_ERR_BARE_LF] = "bare LF in head",
	[HTTP_ERR_CL_AND_TE] =
	    "Content-Length and Transfer-Encoding together",
	[HTTP_ERR_BAD_CONTENT_LENGTH] = "bad Content-Length",
	[HTTP_ERR_TE_NOT_CHUNKED] = "Transfer-Encoding not ending in chunked",
	[HTTP_ERR_TE_UNKNOWN] = "unknown transfer coding",
	[HTTP_ERR_TE_IN_HTTP10] = "Transfer-Encoding in HTTP/1.0",
	[HTTP_ERR_NO_HOST] = "no Host in HTTP/1.1 request",
	[HTTP_ERR_MULTIPLE_HOST] = "more than one Host",
	[HTTP_ERR_BAD_HOST] = "bad Host",
	[HTTP_ERR_MAX] = NULL
};

/* CHAR_* classes of every byte; bytes 0x80-0xff are obs-text. */
const uint8_t http_chars[256] = {
	/* 00 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 10 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 20 */ 0x02, 0x0f, 0x06, 0x03, 0x0f, 0x03, 0x0f, 0x0f,
		 0x0e, 0x0e, 0x0f, 0x0f, 0x0e, 0x0f, 0x0f, 0x06,
	/* 30 */ 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
		 0x3f, 0x3f, 0x06, 0x0e, 0x06, 0x0e, 0x06, 0x06,
	/* 40 */ 0x06, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x0f,
		 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	/* 50 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
		 0x0f, 0x0f, 0x0f, 0x06, 0x06, 0x06, 0x07, 0x0f,
	/* 60 */ 0x07, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x0f,
		 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	/* 70 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
		 0x0f, 0x0f, 0x0f, 0x06, 0x07, 0x06, 0x0f, 0x00,
	/* 80 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* 90 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* a0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* b0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* c0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* d0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* e0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	/* f0 */ 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
		 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02
};

#define VCHAR(c)	((unsigned char)(c) > 0x20 && (unsigned char)(c) < 0x7f)

/*
 * A CR where a line may not end is a bare CR whatever else was expected
 * there. The caller guarantees p[1] is readable when *p is CR: every CR in
 * a complete head or trailer line comes before that line's LF.
 */
#define BAD(p, err)	\
	((*(p) == '\r' && (p)[1] != '\n') ? HTTP_ERR_BARE_CR : (err))

void
http_parser_init(struct http_parser *ps)
{
	ps->scanned = 0;
	ps->line_end = 0;
}

enum http_result
http_parse_request(struct http_parser *ps, const char *buf, size_t len,
    const struct http_limits *lim, struct http_head *h)
{
	return parse_head(ps, buf, len, lim, h, true);
}

enum http_result
http_parse_response(struct http_parser *ps, const char *buf, size_t len,
    const struct http_limits *lim, struct http_head *h)
{
	return parse_head(ps, buf, len, lim, h, false);
}

bool
http_connection_has(const char *buf, const struct http_head *h,
    const char *name, size_t namelen)
{
	const struct http_header	*hd;
	const char			*p, *end, *s, *e;
	uint32_t			 i;

	for (i = 0; i < h->nheaders; i++) {
		hd = &h->headers[i];
		if (hd->id != HTTP_H_CONNECTION)
			continue;
		p = buf + hd->value.off;
		end = p + hd->value.len;
		while (list_next(&p, end, &s, &e)) {
			if ((size_t)(e - s) == namelen &&
			    ci_eq(s, name, namelen))
				return true;
		}
	}
	return false;
}

bool
http_slice_eq(const char *buf, struct http_slice sl, const char *s)
{
	return strlen(s) == sl.len && ci_eq(buf + sl.off, s, sl.len);
}

/*
 * Looks for the empty line that ends the head, from where the last call
 * stopped. The start line is parsed as soon as its LF arrives, so garbage,
 * HTTP/0.9 and the HTTP/2 preface are refused without waiting for a head
 * that will never come; header lines are parsed once the head is complete.
 */
static enum http_result
parse_head(struct http_parser *ps, const char *buf, size_t len,
    const struct http_limits *lim, struct http_head *h, bool request)
{
	const char	*lf;
	size_t		 start = 0, p, i, end;
	enum http_error	 e;
	bool		 fresh = false;
	int		 n = 0;

	if (request) {
		while (start + 1 < len && buf[start] == '\r' &&
		    buf[start + 1] == '\n') {
			if (++n > MAX_LEADING_CRLF)
				return fail(h, HTTP_ERR_BAD_REQUEST_LINE,
				    request);
			start += 2;
		}
		if (start == len || (start + 1 == len && buf[start] == '\r')) {
			if (len >= lim->max_head_bytes)
				return fail(h, HTTP_ERR_HEAD_TOO_LARGE,
				    request);
			return HTTP_AGAIN;
		}
	}
	end = len < lim->max_head_bytes ? len : lim->max_head_bytes;
	p = ps->scanned > start ? ps->scanned : start;
	while (p < end) {
		if ((lf = memchr(buf + p, '\n', end - p)) == NULL) {
			p = end;
			break;
		}
		i = lf - buf;
		if (ps->line_end == 0) {
			if (i - start >= lim->max_line_bytes)
				return fail(h, HTTP_ERR_LINE_TOO_LONG, request);
			if (i == 0 || buf[i - 1] != '\r')
				return fail(h, HTTP_ERR_BARE_LF, request);
			ps->line_end = i + 1;
			e = request ? request_line(buf, start, i - 1, h) :
			    status_line(buf, start, i - 1, h);
			if (e != HTTP_ERR_NONE)
				return fail(h, e, request);
			fresh = true;
		} else {
			if (buf[i - 1] != '\r')
				return fail(h, HTTP_ERR_BARE_LF, request);
			if (buf[i - 2] == '\n')
				goto complete;
		}
		p = i + 1;
	}
	ps->scanned = p;
	if (ps->line_end == 0 && p - start >= lim->max_line_bytes)
		return fail(h, HTTP_ERR_LINE_TOO_LONG, request);
	if (len >= lim->max_head_bytes)
		return fail(h, HTTP_ERR_HEAD_TOO_LARGE, request);
	return HTTP_AGAIN;

complete:
	ps->scanned = i + 1;
	if (!fresh) {
		/* parsed by an earlier call: fill this head again */
		e = request ? request_line(buf, start, ps->line_end - 2, h) :
		    status_line(buf, start, ps->line_end - 2, h);
		if (e != HTTP_ERR_NONE)
			return fail(h, e, request);
	}
	h->line_len = ps->line_end - start;
	h->head_len = i + 1;
	e = header_lines(buf, ps->line_end, i - 1, lim, h, request);
	if (e != HTTP_ERR_NONE)
		return fail(h, e, request);
	return HTTP_OK;
}

static enum http_result
fail(struct http_head *h, enum http_error e, bool request)
{
	h->error = e;
	if (!request)
		h->error_status = 502;
	else if (e == HTTP_ERR_LINE_TOO_LONG)
		h->error_status = 414;
	else if (e == HTTP_ERR_HEAD_TOO_LARGE ||
	    e == HTTP_ERR_TOO_MANY_HEADERS)
		h->error_status = 431;
	else if (e == HTTP_ERR_TE_UNKNOWN)
		h->error_status = 501;
	else if (e == HTTP_ERR_VERSION_UNSUPPORTED)
		h->error_status = 505;
	else
		h->error_status = 400;
	return HTTP_ERROR;
}

/* Clears everything but the headers array, which nheaders bounds. */
static void
head_reset(struct http_head *h)
{
	static const struct http_slice	 none;

	h->method = h->target = h->authority = h->path = h->reason = none;
	h->meth = HTTP_M_OTHER;
	h->form = HTTP_TARGET_ORIGIN;
	h->status = 0;
	h->version_minor = 0;
	h->line_len = h->head_len = 0;
	h->nheaders = 0;
	h->host = -1;
	h->has_content_length = false;
	h->content_length = 0;
	h->chunked = false;
	h->conn_close = h->conn_keep_alive = h->conn_upgrade = false;
	h->conn_other = false;
	h->has_upgrade = h->expect_continue = h->te_trailers = false;
	h->error = HTTP_ERR_NONE;
	h->error_status = 0;
}

/*
 * method SP request-target SP HTTP-version, in buf[s..e) (buf[e] is the CR
 * of the line's CRLF). Exactly one SP between the parts.
 */
static enum http_error
request_line(const char *buf, size_t s, size_t e, struct http_head *h)
{
	const char	*p = buf + s, *end = buf + e, *t, *v;
	enum http_error	 err;

	head_reset(h);
	if (e - s == 14 && memcmp(p, "PRI * HTTP/2.0", 14) == 0)
		return HTTP_ERR_HTTP2_PREFACE;

	while (IS(*p, CHAR_TOKEN))
		p++;
	if (p == end || (*p == ' ' && p == buf + s))
		return HTTP_ERR_BAD_REQUEST_LINE;
	if (*p != ' ')
		return BAD(p, HTTP_ERR_BAD_METHOD);
	h->method.off = s;
	h->method.len = p - (buf + s);
	h->meth = method_id(buf + s, h->method.len);

	t = ++p;
	while (VCHAR(*p))
		p++;
	if (p == t && (p == end || *p == ' '))
		return HTTP_ERR_BAD_REQUEST_LINE;
	if (p == end)
		return HTTP_ERR_HTTP09;
	if (*p != ' ')
		return BAD(p, HTTP_ERR_BAD_TARGET);
	h->target.off = t - buf;
	h->target.len = p - t;
	if ((err = request_target(buf, t, p, h)) != HTTP_ERR_NONE)
		return err;

	v = ++p;
	while (VCHAR(*p))
		p++;
	if (p != end)
		return BAD(p, *p == ' ' ? HTTP_ERR_BAD_REQUEST_LINE :
		    HTTP_ERR_BAD_VERSION);
	if (end - v != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    !IS(v[5], CHAR_DIGIT) || v[6] != '.' || !IS(v[7], CHAR_DIGIT))
		return HTTP_ERR_BAD_VERSION;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return HTTP_ERR_VERSION_UNSUPPORTED;
	h->version_minor = v[7] - '0';
	return HTTP_ERR_NONE;
}

/*
 * Decides the form of the target in [t, end) (RFC 9112 3.2) and fills the
 * authority and path slices. A path is checked byte by byte against RFC
 * 3986; a fragment or userinfo is refused.
 */
static enum http_error
request_target(const char *buf, const char *t, const char *end,
    struct http_head *h)
{
	const char	*a, *p;

	h->authority.off = h->path.off = t - buf;
	if (*t == '/') {
		if (h->meth == HTTP_M_CONNECT || path_end(t, end) != end)
			return HTTP_ERR_BAD_TARGET;
		h->form = HTTP_TARGET_ORIGIN;
		h->path = h->target;
		return HTTP_ERR_NONE;
	}
	if (h->meth == HTTP_M_CONNECT) {
		if (!authority_ok(t, end, true))
			return HTTP_ERR_BAD_TARGET;
		h->form = HTTP_TARGET_AUTHORITY;
		h->authority = h->target;
		h->path.off = end - buf;
		return HTTP_ERR_NONE;
	}
	if (end - t == 1 && *t == '*') {
		if (h->meth != HTTP_M_OPTIONS)
			return HTTP_ERR_BAD_TARGET;
		h->form = HTTP_TARGET_ASTERISK;
		return HTTP_ERR_NONE;
	}
	if (end - t > 7 && lc_eq(t, "http://", 7))
		a = t + 7;
	else if (end - t > 8 && lc_eq(t, "https://", 8))
		a = t + 8;
	else
		return HTTP_ERR_BAD_TARGET;
	if ((p = memchr(a, '/', end - a)) == NULL)
		p = end;
	/* "http://h?q" is valid, but the caller could not just prepend "/" */
	if (!authority_ok(a, p, false) || path_end(p, end) != end)
		return HTTP_ERR_BAD_TARGET;
	h->form = HTTP_TARGET_ABSOLUTE;
	h->authority.off = a - buf;
	h->authority.len = p - a;
	h->path.off = p - buf;
	h->path.len = end - p;
	return HTTP_ERR_NONE;
}

/*
 * HTTP-version SP status-code SP reason-phrase in buf[s..e). The SP before
 * an empty reason may be missing; nothing else is optional.
 */
static enum http_error
status_line(const char *buf, size_t s, size_t e, struct http_head *h)
{
	const char	*p = buf + s, *end = buf + e, *r;

	head_reset(h);
	/* any CR before the line's LF is bare */
	if (memchr(p, '\r', end - p) != NULL)
		return HTTP_ERR_BARE_CR;
	if (end - p < 12 || memcmp(p, "HTTP/", 5) != 0 ||
	    !IS(p[5], CHAR_DIGIT) || p[6] != '.' || !IS(p[7], CHAR_DIGIT) ||
	    p[8] != ' ' || !IS(p[9], CHAR_DIGIT) || !IS(p[10], CHAR_DIGIT) ||
	    !IS(p[11], CHAR_DIGIT) || (end - p > 12 && p[12] != ' '))
		return HTTP_ERR_BAD_STATUS_LINE;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return HTTP_ERR_VERSION_UNSUPPORTED;
	h->version_minor = p[7] - '0';
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->status < 100 || h->status > 599)
		return HTTP_ERR_BAD_STATUS_LINE;
	r = end - p > 12 ? p + 13 : end;
	h->reason.off = r - buf;
	if (value_end(r, end) != end)
		return HTTP_ERR_BAD_STATUS_LINE;
	h->reason.len = end - r;
	return HTTP_ERR_NONE;
}

/* Field lines in buf[off..end), end being the CR of the final CRLF. */
static enum http_error
header_lines(const char *buf, size_t off, size_t end,
    const struct http_limits *lim, struct http_head *h, bool request)
{
	struct te_state	 te;
	const char	*p = buf + off, *e = buf + end;
	enum http_error	 err;
	uint32_t	 max;

	memset(&te, 0, sizeof(te));
	max = lim->max_headers;
	if (max > HTTP_MAX_HEADERS_LIMIT)
		max = HTTP_MAX_HEADERS_LIMIT;
	while (p < e) {
		if (h->nheaders == max)
			return HTTP_ERR_TOO_MANY_HEADERS;
		err = http_field_line(buf, p, e + 2,
		    &h->headers[h->nheaders], &p);
		if (err != HTTP_ERR_NONE)
			return err;
		h->nheaders++;
		err = field_meaning(buf, h, &te, request);
		if (err != HTTP_ERR_NONE)
			return err;
	}
	return framing(h, &te, request);
}

/*
 * One field line starting at p; lim bounds the bytes that may be read and
 * a CRLF is known to come before it. Sets *next past the line's LF.
 */
enum http_error
http_field_line(const char *buf, const char *p, const char *lim,
    struct http_header *hd, const char **next)
{
	const char	*line = p, *v, *ve;

	if (OWS(*p))
		return HTTP_ERR_OBS_FOLD;
	while (IS(*p, CHAR_TOKEN))
		p++;
	if (*p != ':' || p == line)
		return BAD(p, HTTP_ERR_BAD_HEADER_NAME);
	hd->name.off = line - buf;
	hd->name.len = p - line;
	hd->id = header_id(line, hd->name.len);
	p++;
	while (OWS(*p))
		p++;
	v = p;
	p = value_end(p, lim);
	if (p == lim || *p != '\r')
		return HTTP_ERR_BAD_HEADER_VALUE;
	if (p[1] != '\n')
		return HTTP_ERR_BARE_CR;
	for (ve = p; ve > v && OWS(ve[-1]); ve--)
		;
	hd->value.off = v - buf;
	hd->value.len = ve - v;
	hd->line_off = line - buf;
	hd->line_len = p + 2 - line;
	*next = p + 2;
	return HTTP_ERR_NONE;
}

/* Acts on the header just added: Host checks, framing, connection flags. */
static enum http_error
field_meaning(const char *buf, struct http_head *h, struct te_state *te,
    bool request)
{
	struct http_header	*hd = &h->headers[h->nheaders - 1];
	const char		*v = buf + hd->value.off, *end, *s, *e;

	end = v + hd->value.len;
	switch (hd->id) {
	case HTTP_H_HOST:
		if (!request)
			break;
		if (h->host >= 0)
			return HTTP_ERR_MULTIPLE_HOST;
		h->host = (int)h->nheaders - 1;
		if (!authority_ok(v, end, false))
			return HTTP_ERR_BAD_HOST;
		break;
	case HTTP_H_CONTENT_LENGTH:
		return content_length(v, end, h);
	case HTTP_H_TRANSFER_ENCODING:
		transfer_encoding(v, end, te);
		break;
	case HTTP_H_CONNECTION:
		while (list_next(&v, end, &s, &e)) {
			if (e - s == 5 && lc_eq(s, "close", 5))
				h->conn_close = true;
			else if (e - s == 10 && lc_eq(s, "keep-alive", 10))
				h->conn_keep_alive = true;
			else if (e - s == 7 && lc_eq(s, "upgrade", 7))
				h->conn_upgrade = true;
			else
				h->conn_other = true;
		}
		break;
	case HTTP_H_UPGRADE:
		h->has_upgrade = true;
		break;
	case HTTP_H_EXPECT:
		if (hd->value.len == 12 && lc_eq(v, "100-continue", 12))
			h->expect_continue = true;
		break;
	case HTTP_H_TE:
		while (list_next(&v, end, &s, &e)) {
			/* t-codings may carry ";q=" weights */
			for (e = s; e < end && IS(*e, CHAR_TOKEN); e++)
				;
			if (e - s == 8 && lc_eq(s, "trailers", 8))
				h->te_trailers = true;
		}
		break;
	default:
		break;
	}
	return HTTP_ERR_NONE;
}

/*
 * RFC 9112 6.1 and 6.3: with Transfer-Encoding, Content-Length must not be
 * there and chunked must come last, once; otherwise the two ends of a
 * connection could disagree on where the body ends.
 */
static enum http_error
framing(struct http_head *h, const struct te_state *te, bool request)
{
	if (te->seen) {
		if (h->has_content_length)
			return HTTP_ERR_CL_AND_TE;
		if (h->version_minor == 0)
			return HTTP_ERR_TE_IN_HTTP10;
		if (te->nchunked > 1)
			return HTTP_ERR_TE_NOT_CHUNKED;
		if (request) {
			if (te->malformed)
				return HTTP_ERR_TE_NOT_CHUNKED;
			if (te->unknown)
				return HTTP_ERR_TE_UNKNOWN;
			if (!te->last_chunked)
				return HTTP_ERR_TE_NOT_CHUNKED;
		}
		/* a response not ending in chunked runs until close */
		h->chunked = te->last_chunked;
	}
	if (request && h->version_minor == 1 && h->host < 0)
		return HTTP_ERR_NO_HOST;
	return HTTP_ERR_NONE;
}

/*
 * 1*DIGIT, or a list of identical ones ("5, 5", RFC 9110 8.6). A sign, an
 * empty element or a value above 2^62 is refused.
 */
static enum http_error
content_length(const char *p, const char *end, struct http_head *h)
{
	uint64_t	v;
	unsigned	d;

	for (;;) {
		if (p == end || !IS(*p, CHAR_DIGIT))
			return HTTP_ERR_BAD_CONTENT_LENGTH;
		for (v = 0; p < end && IS(*p, CHAR_DIGIT); p++) {
			d = *p - '0';
			if (v > (MAX_CONTENT_LENGTH - d) / 10)
				return HTTP_ERR_BAD_CONTENT_LENGTH;
			v = v * 10 + d;
		}
		if (h->has_content_length && h->content_length != v)
			return HTTP_ERR_BAD_CONTENT_LENGTH;
		h->has_content_length = true;
		h->content_length = v;
		while (p < end && OWS(*p))
			p++;
		if (p == end)
			return HTTP_ERR_NONE;
		if (*p++ != ',')
			return HTTP_ERR_BAD_CONTENT_LENGTH;
		while (p < end && OWS(*p))
			p++;
	}
}

/* Adds one Transfer-Encoding field's codings to te; judged in framing(). */
static void
transfer_encoding(const char *p, const char *end, struct te_state *te)
{
	static const char *const known[] = {
		"gzip", "deflate", "compress", "x-gzip", "x-compress",
		"identity"
	};
	const char	*s, *e, *q;
	size_t		 i, n;

	te->seen = true;
	while (list_next(&p, end, &s, &e)) {
		for (q = s; q < e && IS(*q, CHAR_TOKEN); q++)
			;
		if (q != e)
			te->malformed = true;
		n = e - s;
		te->last_chunked = n == 7 && lc_eq(s, "chunked", 7);
		if (te->last_chunked) {
			te->nchunked++;
			continue;
		}
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == n && lc_eq(s, known[i], n))
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			te->unknown = true;
	}
}

/*
 * uri-host [":" port] in [p, end) (RFC 3986 3.2.2): a reg-name (which
 * covers IPv4address) or a bracketed IPv6 address; IPvFuture is refused.
 * The port is 1 to 5 digits up to 65535, required with need_port.
 */
static bool
authority_ok(const char *p, const char *end, bool need_port)
{
	struct in6_addr	 a6;
	char		 tmp[INET6_ADDRSTRLEN];
	const char	*host = p, *close;
	size_t		 n;
	unsigned	 port;

	if (p < end && *p == '[') {
		if ((close = memchr(p, ']', end - p)) == NULL)
			return false;
		n = close - p - 1;
		if (n == 0 || n >= sizeof(tmp))
			return false;
		memcpy(tmp, p + 1, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return false;
		p = close + 1;
	} else {
		while (p < end) {
			if (IS(*p, CHAR_HOST))
				p++;
			else if (*p == '%' && end - p >= 3 &&
			    IS(p[1], CHAR_HEX) && IS(p[2], CHAR_HEX))
				p += 3;
			else
				break;
		}
		if (p == host)
			return false;
	}
	if (p == end)
		return !need_port;
	if (*p++ != ':' || p == end || end - p > 5)
		return false;
	for (port = 0; p < end; p++) {
		if (!IS(*p, CHAR_DIGIT))
			return false;
		port = port * 10 + (*p - '0');
	}
	return port <= 65535;
}

/*
 * The end of the path and query that starts at p, at most end. Besides
 * RFC 3986's characters, the visible ones that browsers and form libraries
 * send unencoded ("?a[]=1", "|", "^", "{}") are taken as real servers do:
 * they cannot change where a target ends. SP, CTLs, DEL, non-ASCII bytes
 * and "#" still end it (and so make it invalid).
 */
static const char *
path_end(const char *p, const char *end)
{
	while (p < end) {
		if (IS(*p, CHAR_PATH))
			p++;
		else if (*p == '%' && end - p >= 3 && IS(p[1], CHAR_HEX) &&
		    IS(p[2], CHAR_HEX))
			p += 3;
		else
			break;
	}
	return p;
}

/*
 * The first byte in [p, end) that may not appear in a field value, or end.
 * Eight bytes are tested at once for a CTL or DEL (obs-text passes); a word
 * holding one, HTAB included, is then looked at byte by byte.
 */
static const char *
value_end(const char *p, const char *end)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 highs = 0x8080808080808080ULL;
	uint64_t	 w, x;
	int		 i;

	for (;;) {
		while (end - p >= 8) {
			memcpy(&w, p, sizeof(w));
			x = w ^ (ones * 0x7f);
			if ((((w - ones * 0x20) & ~w) | ((x - ones) & ~x)) &
			    highs)
				break;
			p += 8;
		}
		for (i = 0; i < 8; i++, p++) {
			if (p == end || !IS(*p, CHAR_VALUE))
				return p;
		}
	}
}

/*
 * The next element of a comma-separated list in [*pp, end), OWS trimmed,
 * empty elements skipped (RFC 9110 5.6.1). False when there is none.
 */
static bool
list_next(const char **pp, const char *end, const char **s, const char **e)
{
	const char	*p = *pp, *q;

	while (p < end && (OWS(*p) || *p == ','))
		p++;
	if (p == end) {
		*pp = p;
		return false;
	}
	*s = p;
	while (p < end && *p != ',')
		p++;
	for (q = p; OWS(q[-1]); q--)
		;
	*e = q;
	*pp = p;
	return true;
}

/* Compares n bytes of p, in any case, with lower-case lit. */
static bool
lc_eq(const char *p, const char *lit, size_t n)
{
	unsigned char	c;
	size_t		i;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* Compares n bytes of a and b in any case (ASCII only, as HTTP is). */
static bool
ci_eq(const char *a, const char *b, size_t n)
{
	unsigned char	c, d;
	size_t		i;

	for (i = 0; i < n; i++) {
		c = a[i];
		d = b[i];
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (d >= 'A' && d <= 'Z')
			d |= 0x20;
		if (c != d)
			return false;
	}
	return true;
}

/* Methods are case-sensitive (RFC 9110 9.1). */
static enum http_method
method_id(const char *p, size_t n)
{
	switch (n) {
	case 3:
		if (memcmp(p, "GET", 3) == 0)
			return HTTP_M_GET;
		if (memcmp(p, "PUT", 3) == 0)
			return HTTP_M_PUT;
		break;
	case 4:
		if (memcmp(p, "POST", 4) == 0)
			return HTTP_M_POST;
		if (memcmp(p, "HEAD", 4) == 0)
			return HTTP_M_HEAD;
		break;
	case 5:
		if (memcmp(p, "PATCH", 5) == 0)
			return HTTP_M_PATCH;
		if (memcmp(p, "TRACE", 5) == 0)
			return HTTP_M_TRACE;
		break;
	case 6:
		if (memcmp(p, "DELETE", 6) == 0)
			return HTTP_M_DELETE;
		break;
	case 7:
		if (memcmp(p, "OPTIONS", 7) == 0)
			return HTTP_M_OPTIONS;
		if (memcmp(p, "CONNECT", 7) == 0)
			return HTTP_M_CONNECT;
		break;
	}
	return HTTP_M_OTHER;
}

/* Switches on the first letter, then compares length and name. */
static enum http_header_id
header_id(const char *p, size_t n)
{
#define NAME(s, id)	\
	if (n == sizeof(s) - 1 && lc_eq(p, s, sizeof(s) - 1)) return (id)

	switch (*p | 0x20) {
	case 'c':
		NAME("content-length", HTTP_H_CONTENT_LENGTH);
		NAME("connection", HTTP_H_CONNECTION);
		break;
	case 'd':
		NAME("date", HTTP_H_DATE);
		break;
	case 'e':
		NAME("expect", HTTP_H_EXPECT);
		break;
	case 'h':
		NAME("host", HTTP_H_HOST);
		break;
	case 'k':
		NAME("keep-alive", HTTP_H_KEEP_ALIVE);
		break;
	case 'l':
		NAME("location", HTTP_H_LOCATION);
		break;
	case 'p':
		NAME("proxy-connection", HTTP_H_PROXY_CONNECTION);
		NAME("proxy-authorization", HTTP_H_PROXY_AUTHORIZATION);
		break;
	case 'r':
		NAME("referer", HTTP_H_REFERER);
		break;
	case 's':
		NAME("server", HTTP_H_SERVER);
		break;
	case 't':
		NAME("te", HTTP_H_TE);
		NAME("transfer-encoding", HTTP_H_TRANSFER_ENCODING);
		NAME("trailer", HTTP_H_TRAILER);
		break;
	case 'u':
		NAME("upgrade", HTTP_H_UPGRADE);
		NAME("user-agent", HTTP_H_USER_AGENT);
		break;
	case 'v':
		NAME("via", HTTP_H_VIA);
		break;
	case 'x':
		NAME("x-forwarded-for", HTTP_H_X_FORWARDED_FOR);
		NAME("x-forwarded-proto", HTTP_H_X_FORWARDED_PROTO);
		NAME("x-forwarded-host", HTTP_H_X_FORWARDED_HOST);
		NAME("x-real-ip", HTTP_H_X_REAL_IP);
		break;
	}
	return HTTP_H_OTHER;
#undef NAME
}
