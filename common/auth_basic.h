/*
 * The Basic authentication scheme (RFC 7617): an Authorization field
 * value decoded into a user and a password, strictly, in the caller's
 * bounded buffer; nothing is allocated.
 */
#ifndef COMMON_AUTH_BASIC_H
#define COMMON_AUTH_BASIC_H

#include <stddef.h>

#define AUTH_BASIC_VALUE_MAX	1024	/* bytes of a field value taken */
#define AUTH_BASIC_DECODED_MAX	768	/* what they decode to, at most */

enum auth_basic_result {
	AUTH_BASIC_OK,
	AUTH_BASIC_OTHER_SCHEME,	/* not "Basic", or no credentials */
	AUTH_BASIC_TOO_LONG,		/* over AUTH_BASIC_VALUE_MAX or buf */
	AUTH_BASIC_BAD_BASE64,		/* not canonical, padded base64 */
	AUTH_BASIC_NO_COLON,		/* no ':' after the user */
	AUTH_BASIC_EMPTY_USER,
	AUTH_BASIC_CONTROL		/* a control character (or NUL) */
};

/* Names for logs, by result: "other scheme", "bad base64" ... */
extern const char *const auth_basic_results[];

/* What was decoded; user and pass point into the caller's buffer. */
struct auth_basic_cred {
	const char	*user;		/* at least one byte, no ':' */
	size_t		 ulen;
	const char	*pass;		/* may be empty, may hold ':' */
	size_t		 plen;
};

/*
 * Decodes value[0..len), an Authorization field value: "Basic" in any
 * case, one or more spaces, and base64 of "user:password" with its
 * padding, spaces or tabs around. The bytes decode into buf (bufsize of
 * them; AUTH_BASIC_DECODED_MAX always suffices) and cred points into it;
 * cred is set only when the result is AUTH_BASIC_OK.
 */
enum auth_basic_result auth_basic_decode(const char *value, size_t len,
		    char *buf, size_t bufsize, struct auth_basic_cred *cred);

#endif
