/*
 * What the head parser (http_parse.c) and the chunked decoder
 * (http_chunked.c) share, and nothing else includes: the byte classes of
 * the grammar, and the check of one field line, which a trailer passes
 * as a header does.
 */
#ifndef COMMON_HTTP_PARSE_INT_H
#define COMMON_HTTP_PARSE_INT_H

#include <stdint.h>

#include "common/http_parse.h"

/* Byte classes in http_chars[]. */
#define CHAR_TOKEN	0x01	/* tchar (RFC 9110 5.6.2) */
#define CHAR_VALUE	0x02	/* field-vchar, SP or HTAB; obs-text too */
#define CHAR_PATH	0x04	/* pchar, "/", "?" and what browsers leave
				   unencoded ([]{}|^"<>\`); "%" is checked
				   apart */
#define CHAR_HOST	0x08	/* reg-name: unreserved and sub-delims */
#define CHAR_HEX	0x10
#define CHAR_DIGIT	0x20

extern const uint8_t http_chars[256];

#define IS(c, cls)	((http_chars[(unsigned char)(c)] & (cls)) != 0)
#define OWS(c)		((c) == ' ' || (c) == '\t')

enum http_error	 http_field_line(const char *buf, const char *p,
		    const char *lim, struct http_header *,
		    const char **next);

#endif
