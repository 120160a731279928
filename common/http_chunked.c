/*
 * Chunked body decoder (RFC 9112 7.1), resumable at any byte: sizes,
 * extensions and the CRLFs around each chunk are checked as strictly as a
 * head, and the body is handed out as slices of the input, never copied.
 * Extensions are validated and dropped; trailer lines are checked as
 * header lines are (http_field_line()) and handed to the caller.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/http_parse.h"
#include "common/http_parse_int.h"

#define MAX_CHUNK_SIZE		(1ULL << 62)
#define MAX_CHUNK_DIGITS	16
#define MAX_CHUNK_EXT_BYTES	4096
#define MAX_TRAILER_BYTES	8192

/* Where http_chunked_next() is inside a chunk extension (ext_state). */
enum chunk_ext {
	EXT_WS,			/* BWS after the size or a value: ";" next */
	EXT_NAME_BWS,		/* after ";": BWS, then a name */
	EXT_NAME,		/* in a name */
	EXT_NAME_WS,		/* BWS after a name: "=" or ";" next */
	EXT_VALUE_BWS,		/* after "=": BWS, then a value */
	EXT_TOKEN,		/* in a token value */
	EXT_QUOTED,		/* in a quoted-string value */
	EXT_QUOTED_PAIR,	/* after a backslash in a quoted-string */
	EXT_QUOTED_END,		/* after the closing quote */
	EXT_CR			/* the CR ending the size line */
};

static int	hex_value(unsigned char);
static int	ext_next(int, unsigned char);

void
http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = HTTP_CHUNK_SIZE;
}

/*
 * One call returns at most one piece of body or one trailer line, so the
 * caller can forward it before asking for more. The state machine keeps
 * everything it needs between calls except a trailer line being collected,
 * which the caller re-feeds from its start (line_scanned saves the search).
 */
enum http_chunk_result
http_chunked_next(struct http_chunked *c, const char *buf, size_t len,
    size_t *consumed, size_t *data_off, size_t *data_len)
{
	struct http_header	 hd;
	const char		*lf, *next;
	size_t			 pos = 0, n;
	int			 d, st;

	*consumed = 0;
	*data_off = 0;
	*data_len = 0;
	for (;;) {
		switch (c->state) {
		case HTTP_CHUNK_SIZE:
			while (pos < len && (d = hex_value(buf[pos])) >= 0) {
				if (++c->size_digits > MAX_CHUNK_DIGITS)
					goto fail;
				c->remaining = c->remaining << 4 | (uint64_t)d;
				if (c->remaining > MAX_CHUNK_SIZE)
					goto fail;
				pos++;
			}
			if (pos == len)
				goto again;
			if (c->size_digits == 0)
				goto fail;
			c->ext_bytes = 0;
			if (buf[pos] == '\r') {
				pos++;
				c->state = HTTP_CHUNK_SIZE_LF;
			} else {
				/* this byte is read again by ext_next() */
				c->state = HTTP_CHUNK_EXT;
				c->ext_state = EXT_WS;
			}
			break;
		case HTTP_CHUNK_EXT:
			for (; pos < len; pos++) {
				if ((st = ext_next(c->ext_state, buf[pos])) < 0)
					goto fail;
				if (st == EXT_CR)
					break;
				if (++c->ext_bytes > MAX_CHUNK_EXT_BYTES)
					goto fail;
				c->ext_state = st;
			}
			if (pos == len)
				goto again;
			pos++;
			c->state = HTTP_CHUNK_SIZE_LF;
			break;
		case HTTP_CHUNK_SIZE_LF:
			if (pos == len)
				goto again;
			if (buf[pos++] != '\n')
				goto fail;
			if (c->remaining == 0) {
				c->state = HTTP_CHUNK_TRAILERS;
				c->trailer_bytes = 0;
				c->line_scanned = 0;
			} else
				c->state = HTTP_CHUNK_BODY;
			break;
		case HTTP_CHUNK_BODY:
			if (pos == len)
				goto again;
			n = len - pos;
			if (n > c->remaining)
				n = c->remaining;
			*data_off = pos;
			*data_len = n;
			*consumed = pos + n;
			c->remaining -= n;
			c->total += n;
			if (c->remaining == 0)
				c->state = HTTP_CHUNK_BODY_CR;
			return HTTP_CHUNK_DATA;
		case HTTP_CHUNK_BODY_CR:
			if (pos == len)
				goto again;
			if (buf[pos++] != '\r')
				goto fail;
			c->state = HTTP_CHUNK_BODY_LF;
			break;
		case HTTP_CHUNK_BODY_LF:
			if (pos == len)
				goto again;
			if (buf[pos++] != '\n')
				goto fail;
			c->state = HTTP_CHUNK_SIZE;
			c->size_digits = 0;
			c->ext_bytes = 0;
			break;
		case HTTP_CHUNK_TRAILERS:
			if ((n = len - pos) == 0)
				goto again;
			/* a caller that did not re-feed the line: look again */
			if (c->line_scanned > n)
				c->line_scanned = 0;
			lf = memchr(buf + pos + c->line_scanned, '\n',
			    n - c->line_scanned);
			if (lf == NULL) {
				if (c->trailer_bytes + n > MAX_TRAILER_BYTES)
					goto fail;
				c->line_scanned = n;
				*consumed = pos;
				return HTTP_CHUNK_AGAIN;
			}
			n = lf - (buf + pos) + 1;
			if (c->trailer_bytes + n > MAX_TRAILER_BYTES ||
			    n < 2 || lf[-1] != '\r')
				goto fail;
			c->trailer_bytes += n;
			c->line_scanned = 0;
			if (n == 2) {
				c->state = HTTP_CHUNK_END;
				*consumed = pos + 2;
				return HTTP_CHUNK_DONE;
			}
			if (http_field_line(buf, buf + pos, lf + 1, &hd,
			    &next) != HTTP_ERR_NONE)
				goto fail;
			*data_off = pos;
			*data_len = n;
			*consumed = pos + n;
			return HTTP_CHUNK_TRAILER;
		case HTTP_CHUNK_END:
			*consumed = pos;
			return HTTP_CHUNK_DONE;
		default:
			goto fail;
		}
	}
again:
	*consumed = pos;
	return HTTP_CHUNK_AGAIN;
fail:
	*consumed = pos;
	return HTTP_CHUNK_ERROR;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * One step through chunk-ext (RFC 9112 7.1.1): the state after ch, EXT_CR
 * where the line may end, -1 on a byte the grammar does not allow there.
 * EXT_WS is also the state right after the size, where only BWS and ";"
 * may come (a CR there was taken by the caller).
 */
static int
ext_next(int st, unsigned char ch)
{
	switch (st) {
	case EXT_WS:
		if (OWS(ch))
			return EXT_WS;
		return ch == ';' ? EXT_NAME_BWS : -1;
	case EXT_NAME_BWS:
		if (OWS(ch))
			return EXT_NAME_BWS;
		return IS(ch, CHAR_TOKEN) ? EXT_NAME : -1;
	case EXT_NAME:
		if (IS(ch, CHAR_TOKEN))
			return EXT_NAME;
		if (ch == '\r')
			return EXT_CR;
		/* FALLTHROUGH */
	case EXT_NAME_WS:
		if (OWS(ch))
			return EXT_NAME_WS;
		if (ch == '=')
			return EXT_VALUE_BWS;
		return ch == ';' ? EXT_NAME_BWS : -1;
	case EXT_VALUE_BWS:
		if (OWS(ch))
			return EXT_VALUE_BWS;
		if (ch == '"')
			return EXT_QUOTED;
		return IS(ch, CHAR_TOKEN) ? EXT_TOKEN : -1;
	case EXT_TOKEN:
		if (IS(ch, CHAR_TOKEN))
			return EXT_TOKEN;
		/* FALLTHROUGH */
	case EXT_QUOTED_END:
		if (ch == '\r')
			return EXT_CR;
		if (OWS(ch))
			return EXT_WS;
		return ch == ';' ? EXT_NAME_BWS : -1;
	case EXT_QUOTED:
		if (ch == '"')
			return EXT_QUOTED_END;
		if (ch == '\\')
			return EXT_QUOTED_PAIR;
		return IS(ch, CHAR_VALUE) ? EXT_QUOTED : -1;
	case EXT_QUOTED_PAIR:
		return IS(ch, CHAR_VALUE) ? EXT_QUOTED : -1;
	default:
		return -1;
	}
}
