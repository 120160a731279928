/*
 * Basic credentials: one pass over the field value, strict base64 (RFC
 * 4648 alphabet, padding required, unused bits zero) so that one
 * password has one accepted encoding, and the caches keyed by the value
 * see one key per password.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/auth_basic.h"

const char *const auth_basic_results[] = {
	[AUTH_BASIC_OK] = "ok",
	[AUTH_BASIC_OTHER_SCHEME] = "other scheme",
	[AUTH_BASIC_TOO_LONG] = "too long",
	[AUTH_BASIC_BAD_BASE64] = "bad base64",
	[AUTH_BASIC_NO_COLON] = "no colon",
	[AUTH_BASIC_EMPTY_USER] = "empty user",
	[AUTH_BASIC_CONTROL] = "control character"
};

static int	ab_sextet(unsigned char);

enum auth_basic_result
auth_basic_decode(const char *value, size_t len, char *buf, size_t bufsize,
    struct auth_basic_cred *cred)
{
	const unsigned char	*p = (const unsigned char *)value;
	const unsigned char	*end = p + len;
	const char		*colon;
	uint32_t		 acc;
	size_t			 n, npad, out = 0;
	int			 v;

	if (len > AUTH_BASIC_VALUE_MAX)
		return AUTH_BASIC_TOO_LONG;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - p < 6 || strncasecmp((const char *)p, "Basic", 5) != 0 ||
	    p[5] != ' ')
		return AUTH_BASIC_OTHER_SCHEME;
	for (p += 5; p < end && *p == ' '; p++)
		;
	n = (size_t)(end - p);
	if (n == 0 || n % 4 != 0)
		return AUTH_BASIC_BAD_BASE64;
	npad = end[-1] == '=' ? (end[-2] == '=' ? 2 : 1) : 0;
	if (n / 4 * 3 - npad > bufsize)
		return AUTH_BASIC_TOO_LONG;
	for (size_t i = 0; i < n; i += 4) {
		acc = 0;
		for (size_t j = 0; j < 4; j++) {
			if (i + j >= n - npad)
				v = 0;		/* padding, at the end only */
			else if ((v = ab_sextet(p[i + j])) < 0)
				return AUTH_BASIC_BAD_BASE64;
			acc = acc << 6 | (uint32_t)v;
		}
		/* The bits padding leaves over must be zero: one encoding. */
		if ((npad == 1 && i + 4 == n && (acc & 0xff) != 0) ||
		    (npad == 2 && i + 4 == n && (acc & 0xffff) != 0))
			return AUTH_BASIC_BAD_BASE64;
		buf[out++] = (char)(acc >> 16);
		if (i + 4 < n || npad < 2)
			buf[out++] = (char)(acc >> 8 & 0xff);
		if (i + 4 < n || npad < 1)
			buf[out++] = (char)(acc & 0xff);
	}
	for (size_t i = 0; i < out; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return AUTH_BASIC_CONTROL;
	if ((colon = memchr(buf, ':', out)) == NULL)
		return AUTH_BASIC_NO_COLON;
	if (colon == buf)
		return AUTH_BASIC_EMPTY_USER;
	cred->user = buf;
	cred->ulen = (size_t)(colon - buf);
	cred->pass = colon + 1;
	cred->plen = out - cred->ulen - 1;
	return AUTH_BASIC_OK;
}

/* The value of a base64 character, -1 for any other byte ('=' too). */
static int
ab_sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}
