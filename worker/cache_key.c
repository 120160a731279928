/*
 * The cache's keys. The route's cache_key is the primary key and the name
 * of the fetch lock; a response with Vary is stored under the primary key,
 * the nonce of its vary entry and the request's values of the fields it
 * names; frontd's compressed copy of an object under the object's key plus
 * "\0~br" or "\0~gzip". Keys never hold a NUL, so these cannot meet.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cache_store.h"
#include "common/http_parse.h"
#include "worker/accept_encoding.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/cache_int.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/req.h"

/*
 * Accept-Encoding as the cache keys it: the codings it accepts, from its
 * lines from the first one on (ae_key() says how).
 */
static size_t
accept_key(const struct conn *c, uint32_t first, char *dst, size_t room)
{
	const struct req	*r = c->req;
	const char		*b = c->in->data;
	struct ae		 ae;

	ae_init(&ae);
	for (uint32_t i = first; i < r->head.nheaders; i++) {
		const struct http_header *f = &r->head.headers[i];

		if (f->name.len == 15 && strncasecmp(b + f->name.off,
		    "accept-encoding", 15) == 0)
			ae_parse(b + f->value.off, f->value.len, &ae);
	}
	return ae_key(&ae, dst, room);
}

/* Whether p[0..len) is white space up to a comma. */
static bool
ws_then_comma(const char *p, size_t len)
{
	size_t	i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && p[i] == ',';
}

/*
 * The request's value of a field named by Vary: its lines joined, as
 * sent (Accept-Encoding normalized). (size_t)-1: the request has none,
 * which is not the same as an empty value.
 */
static size_t
vary_value(const struct conn *c, const char *name, size_t nlen, char *dst,
    size_t room)
{
	const struct req	*r = c->req;
	const char		*b = c->in->data;
	size_t			 n = 0;
	bool			 seen = false;

	for (uint32_t i = 0; i < r->head.nheaders; i++) {
		const struct http_header *f = &r->head.headers[i];
		const char *v = b + f->value.off;

		if (f->name.len != nlen || strncasecmp(b + f->name.off, name,
		    nlen) != 0)
			continue;
		if (nlen == 15 && strncasecmp(name, "accept-encoding", 15) ==
		    0)
			return accept_key(c, i, dst, room);
		if (seen && n < room)
			dst[n++] = ',';
		seen = true;
		/* White space around commas does not make another value. */
		for (size_t k = 0; k < f->value.len && n < room; k++) {
			if ((v[k] == ' ' || v[k] == '\t') &&
			    ((n > 0 && dst[n - 1] == ',') ||
			    ws_then_comma(v + k, f->value.len - k)))
				continue;
			dst[n++] = v[k];
		}
	}
	if (!seen)
		return (size_t)-1;
	return n < room ? n : room;
}

/*
 * From a vary entry's text ("NONCE\nname\nname"), the object key: the
 * primary key, the nonce and each named field's value.
 */
int
cache_key_variant(struct conn *c, const char *text, size_t len)
{
	struct rcache	*rc = c->req->rc;
	size_t		 n = rc->keylen, room = sizeof(rc->key);
	const char	*p = text, *end = text + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (n + 2 + (size_t)(nl - p) >= room)
			return -1;
		rc->key[n++] = '\n';
		memcpy(rc->key + n, p, (size_t)(nl - p));
		n += (size_t)(nl - p);
		if (p != text) {	/* a name, not the nonce */
			size_t v = vary_value(c, p, (size_t)(nl - p),
			    rc->key + n + 1, room - n - 1);

			if (v != (size_t)-1) {
				rc->key[n++] = '=';
				n += v;
			}
		}
		p = nl + 1;
	}
	if (n > CS_KEY_MAX)
		return -1;
	rc->okeylen = (uint16_t)n;
	rc->ohash = cs_hash(rc->key, n);
	return 0;
}

/* The key of frontd's compressed copy: the object key, NUL, "~CODING". */
size_t
cache_key_coded(struct rcache *rc, enum coding cd, uint64_t *hash)
{
	const char	*name = coding_name(cd);
	size_t		 n = rc->okeylen, l = strlen(name);

	if (n + 3 + l > CS_KEY_MAX)
		return 0;
	rc->key[n] = '\0';
	rc->key[n + 1] = '~';
	memcpy(rc->key + n + 2, name, l);
	*hash = cs_hash(rc->key, n + 2 + l);
	return n + 2 + l;
}

/* The lower-cased names a response's Vary lists, one per line. */
size_t
cache_key_vary_names(const char *b, const struct http_head *h, char *dst,
    size_t room)
{
	size_t	n = 0;

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		const char *v = b + f->value.off;

		if (!cp_name_is(b, f, "vary"))
			continue;
		for (size_t k = 0; k < f->value.len; ) {
			while (k < f->value.len && (v[k] == ' ' || v[k] ==
			    ',' || v[k] == '\t'))
				k++;
			if (k == f->value.len)
				break;
			if (n + 1 >= room)
				return (size_t)-1;
			dst[n++] = '\n';
			while (k < f->value.len && v[k] != ',' && v[k] != ' ' &&
			    v[k] != '\t' && n < room)
				dst[n++] = (char)tolower((unsigned char)v[k++]);
		}
	}
	return n < room ? n : (size_t)-1;
}

/* The nonce and a hash of the names of the vary entry just read. */
void
cache_key_vary_seen(struct rcache *rc, const char *text, size_t len)
{
	const char	*nl = memchr(text, '\n', len);

	rc->nonce = strtoull(text, NULL, 16);
	rc->vary_names = nl == NULL ? 0 : cs_hash(nl + 1, len - (size_t)(nl +
	    1 - text));
}
