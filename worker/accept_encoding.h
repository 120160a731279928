/*
 * Accept-Encoding (RFC 9110 12.5.3), read by one parser for everyone: the
 * weight each coding gets, from which compression picks its coding and the
 * cache keys the variants of a Vary: Accept-Encoding response.
 */
#ifndef WORKER_ACCEPT_ENCODING_H
#define WORKER_ACCEPT_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The codings known by name; any other goes to ae.others. */
enum ae_name {
	AE_GZIP,
	AE_X_GZIP,		/* gzip by another name (RFC 9110 8.4.1.3) */
	AE_BR,
	AE_IDENTITY,
	AE_ANY,			/* "*": every coding not named */
	AE_NAME_MAX
};

#define AE_UNLISTED	(-1)	/* a weight: the coding is not named */
#define AE_OTHERS_MAX	16	/* other codings kept, for the cache key */

/* A coding not known by name: a slice of the parsed value. */
struct ae_other {
	const char	*name;
	uint32_t	 len;
	int16_t		 q;
};

/*
 * Weights in thousandths (q=0.5 is 500, q=0 refuses), AE_UNLISTED for a
 * coding not named. The others point into the values parsed, which must
 * outlive the struct. No allocation: it lives on the caller's stack.
 */
struct ae {
	int16_t		 q[AE_NAME_MAX];
	struct ae_other	 others[AE_OTHERS_MAX];
	uint8_t		 nothers;
	bool		 overflow;	/* more other codings than kept */
};

void	 ae_init(struct ae *);
void	 ae_parse(const char *v, size_t len, struct ae *);
int	 ae_weight(const struct ae *, enum ae_name);
size_t	 ae_key(const struct ae *, char *dst, size_t room);

#endif
