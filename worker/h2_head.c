/*
 * An HTTP/2 request head, written in HTTP/1.1 form for the parser every
 * request goes through (RFC 9113 8.3): the pseudo-header fields become
 * the request line, :authority becomes Host (a Host that names another
 * authority is refused), cookie crumbs are joined into one field, and a
 * body of no stated length is marked chunked, to come up to the end of
 * the stream. An extended CONNECT (RFC 8441) becomes an HTTP/1.1
 * upgrade. libnghttp2 has checked the fields already: lower-case names,
 * no CR, LF or NUL, no field of the connection, pseudo-header fields
 * first and as the method needs them.
 */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "worker/h2_head.h"

#define HEAD_SLACK	512	/* kept for Host, framing, cookies, the end */

void
h2_head_init(struct h2_head *h, char *b, size_t room, char *ck,
    size_t ckroom, uint32_t max_hlist)
{
	memset(h, 0, sizeof(*h));
	h->b = b;
	h->room = room;
	h->ck = ck;
	h->ckroom = ckroom;
	h->max_hlist = max_hlist;
}

void
h2_head_clear(struct h2_head *h)
{
	for (int i = 0; i < H2_PH_MAX; i++)
		if (h->ph[i] != NULL) {
			nghttp2_rcbuf_decref(h->ph[i]);
			h->ph[i] = NULL;
		}
}

static void
bad(struct h2_head *h, int status, const char *why)
{
	if (h->bad_status == 0) {
		h->bad_status = status;
		h->bad_why = why;
	}
}

/* Appends to the head; false when it does not fit with the cookies. */
static bool
put(struct h2_head *h, const char *p, size_t len)
{
	if (len + HEAD_SLACK + h->cklen > h->room - h->len)
		return false;
	if (len > 0)
		memcpy(h->b + h->len, p, len);
	h->len += len;
	return true;
}

static bool
field(struct h2_head *h, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	return put(h, name, nlen) && put(h, ": ", 2) && put(h, v, vlen) &&
	    put(h, "\r\n", 2);
}

static nghttp2_vec
ph(const struct h2_head *h, int i)
{
	nghttp2_vec	v = { NULL, 0 };

	if (h->ph[i] != NULL)
		v = nghttp2_rcbuf_get_buf(h->ph[i]);
	return v;
}

/*
 * The fields of an HTTP/1.1 upgrade for an extended CONNECT: a WebSocket
 * one gets the key its HTTP/2 form goes without.
 */
static bool
upgrade(struct h2_head *h, nghttp2_vec pr)
{
	unsigned char	raw[16], key[32];

	if (!field(h, "Connection", 10, "Upgrade", 7) ||
	    !field(h, "Upgrade", 7, (const char *)pr.base, pr.len))
		return false;
	if (pr.len != 9 || strncasecmp((const char *)pr.base, "websocket",
	    9) != 0)
		return true;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	EVP_EncodeBlock(key, raw, sizeof(raw));
	return field(h, "Sec-WebSocket-Key", 17, (const char *)key, 24);
}

/* The request line, and Host from :authority: once, before any field. */
static void
line(struct h2_head *h)
{
	nghttp2_vec	m = ph(h, H2_PH_METHOD), p = ph(h, H2_PH_PATH);
	nghttp2_vec	a = ph(h, H2_PH_AUTHORITY), pr = ph(h, H2_PH_PROTOCOL);

	if (h->line_done)
		return;
	h->line_done = true;
	if (m.len == 0) {
		/* A field before the pseudo-header fields: malformed. */
		bad(h, 400, "no :method before the fields");
		return;
	}
	if (pr.len > 0 && m.len == 7 && memcmp(m.base, "CONNECT", 7) == 0) {
		/* Extended CONNECT: an HTTP/1.1 upgrade to the backend. */
		h->tunnel = true;
		m.base = (uint8_t *)"GET";
		m.len = 3;
	}
	/* CONNECT names an authority, and is refused by the phases. */
	if (p.len == 0)
		p = a;
	if (!put(h, (const char *)m.base, m.len) || !put(h, " ", 1) ||
	    !put(h, (const char *)p.base, p.len) ||
	    !put(h, " HTTP/1.1\r\n", 11) ||
	    (a.len > 0 && !field(h, "Host", 4, (const char *)a.base,
	    a.len)) || (h->tunnel && !upgrade(h, pr)))
		bad(h, 431, "request head too large");
}

static int
pseudo(const nghttp2_vec n)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} names[H2_PH_MAX] = {
		[H2_PH_METHOD] = { ":method", 7 },
		[H2_PH_SCHEME] = { ":scheme", 7 },
		[H2_PH_AUTHORITY] = { ":authority", 10 },
		[H2_PH_PATH] = { ":path", 5 },
		[H2_PH_PROTOCOL] = { ":protocol", 9 },
	};

	for (int i = 0; i < H2_PH_MAX; i++)
		if (n.len == names[i].len && memcmp(n.base, names[i].name,
		    n.len) == 0)
			return i;
	return -1;
}

/* One field of the request's header block, in the order it came. */
void
h2_head_field(struct h2_head *h, nghttp2_rcbuf *name, nghttp2_rcbuf *value)
{
	nghttp2_vec	n = nghttp2_rcbuf_get_buf(name);
	nghttp2_vec	v = nghttp2_rcbuf_get_buf(value);
	nghttp2_vec	a;
	int		i;

	h->hlist += (uint32_t)(n.len + v.len + 32);
	if (h->hlist > h->max_hlist) {
		bad(h, 431, "request header list too large");
		return;
	}
	if (h->bad_status != 0)
		return;
	if (n.len > 0 && n.base[0] == ':') {
		if ((i = pseudo(n)) == -1 || h->ph[i] != NULL ||
		    h->line_done) {
			bad(h, 400, "unknown pseudo-header field");
			return;
		}
		nghttp2_rcbuf_incref(value);
		h->ph[i] = value;
		return;
	}
	line(h);
	if (n.len == 6 && memcmp(n.base, "cookie", 6) == 0) {
		/* Crumbs, joined into one field (RFC 9113 8.2.3). */
		if (v.len + 2 > h->ckroom - h->cklen ||
		    v.len + 2 + HEAD_SLACK + h->cklen > h->room - h->len) {
			bad(h, 431, "request head too large");
			return;
		}
		if (h->cklen > 0) {
			memcpy(h->ck + h->cklen, "; ", 2);
			h->cklen += 2;
		}
		memcpy(h->ck + h->cklen, v.base, v.len);
		h->cklen += v.len;
		return;
	}
	if (n.len == 14 && memcmp(n.base, "content-length", 14) == 0)
		h->has_length = true;
	if (n.len == 4 && memcmp(n.base, "host", 4) == 0 &&
	    (a = ph(h, H2_PH_AUTHORITY)).len > 0) {
		/* Both: they must name the same (RFC 9113 8.3.1). */
		if (a.len != v.len || strncasecmp((const char *)a.base,
		    (const char *)v.base, v.len) != 0)
			bad(h, 400, "Host differs from :authority");
		return;
	}
	if (!field(h, (const char *)n.base, n.len, (const char *)v.base,
	    v.len))
		bad(h, 431, "request head too large");
}

/*
 * The head is whole: the cookies, the framing of a body of no stated
 * length (end_stream: none follows), the empty line. Returns its length.
 */
size_t
h2_head_end(struct h2_head *h, bool end_stream)
{
	line(h);
	if (h->cklen > 0 && h->bad_status == 0) {
		/* put() kept room for it. */
		memcpy(h->b + h->len, "Cookie: ", 8);
		memcpy(h->b + h->len + 8, h->ck, h->cklen);
		memcpy(h->b + h->len + 8 + h->cklen, "\r\n", 2);
		h->len += 8 + h->cklen + 2;
		h->cklen = 0;
	}
	h2_head_clear(h);
	/* A tunnel's bytes are no body. put()'s slack kept the room. */
	if (!end_stream && !h->has_length && !h->tunnel) {
		memcpy(h->b + h->len, "Transfer-Encoding: chunked\r\n", 28);
		h->len += 28;
	}
	memcpy(h->b + h->len, "\r\n", 2);
	h->len += 2;
	return h->len;
}
