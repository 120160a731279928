/*
 * The one Accept-Encoding parser: a single pass over each field line, no
 * allocation. Compression and the cache both read its result, so they can
 * no longer disagree on which codings a client takes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "worker/accept_encoding.h"

#define Q_ONE	1000

static void	 ae_set(struct ae *, const char *, size_t, int);
static int	 qvalue(const char *, size_t, size_t *);
static bool	 same_ci(const char *, size_t, const char *, size_t);
static int	 cmp_ci(const char *, size_t, const char *, size_t);

/* In lower case: the cache key is written with these. */
static const struct {
	const char	*name;
	size_t		 len;
} names[AE_NAME_MAX] = {
	[AE_GZIP] =	{ "gzip", 4 },
	[AE_X_GZIP] =	{ "x-gzip", 6 },
	[AE_BR] =	{ "br", 2 },
	[AE_IDENTITY] =	{ "identity", 8 },
	[AE_ANY] =	{ "*", 1 },
};

void
ae_init(struct ae *ae)
{
	for (size_t i = 0; i < AE_NAME_MAX; i++)
		ae->q[i] = AE_UNLISTED;
	ae->nothers = 0;
	ae->overflow = false;
}

/*
 * Adds the codings of one field line to ae; a field sent on several lines
 * is parsed line by line, in order, as the one list they make (RFC 9110
 * 5.3). An element is OWS name OWS [";" parameters]: the name runs to the
 * first semicolon (a name with white space in it is kept, as a coding
 * nobody knows), the first "q" parameter is the weight, and without one
 * the weight is 1. A coding named twice gets the weight it is given last.
 * Empty elements are skipped.
 */
void
ae_parse(const char *v, size_t len, struct ae *ae)
{
	size_t	 i = 0, s, e;
	int	 q;
	bool	 weighed;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		s = i;
		while (i < len && v[i] != ',' && v[i] != ';')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		q = Q_ONE;
		weighed = false;
		while (i < len && v[i] == ';') {
			i++;
			while (i < len && (v[i] == ' ' || v[i] == '\t'))
				i++;
			if (!weighed && i + 1 < len && (v[i] == 'q' ||
			    v[i] == 'Q') && v[i + 1] == '=') {
				i += 2;
				q = qvalue(v, len, &i);
				weighed = true;
			}
			while (i < len && v[i] != ',' && v[i] != ';')
				i++;
		}
		if (e > s)
			ae_set(ae, v + s, e - s, q);
		i++;		/* the comma */
	}
}

/*
 * The weight of a coding: its own, else that of "*", else AE_UNLISTED.
 * gzip takes the weight of x-gzip when only that is named.
 */
int
ae_weight(const struct ae *ae, enum ae_name n)
{
	int	q = ae->q[n];

	if (q == AE_UNLISTED && n == AE_GZIP)
		q = ae->q[AE_X_GZIP];
	if (q == AE_UNLISTED)
		q = ae->q[AE_ANY];
	return q;
}

/*
 * The cache's key text for the Accept-Encoding of a request: the codings
 * it accepts (weight above 0) as named, in lower case, sorted and joined
 * by commas, so that "gzip, br" and "BR;q=0.5,gzip" share a variant and
 * "gzip, zstd" does not. Its length, less than room; room when it does not
 * fit, or when the value named more codings than are kept: such a request
 * must not share a variant with one that named fewer. room > 0.
 */
size_t
ae_key(const struct ae *ae, char *dst, size_t room)
{
	struct {
		const char	*name;
		size_t		 len;
	}	 list[AE_NAME_MAX + AE_OTHERS_MAX], t;
	size_t	 n = 0, out = 0, i, j;

	if (ae->overflow)
		return room;
	for (i = 0; i < AE_NAME_MAX; i++)
		if (ae->q[i] > 0) {
			list[n].name = names[i].name;
			list[n++].len = names[i].len;
		}
	for (i = 0; i < ae->nothers; i++)
		if (ae->others[i].q > 0) {
			list[n].name = ae->others[i].name;
			list[n++].len = ae->others[i].len;
		}
	/* At most a few dozen: an insertion sort. */
	for (i = 1; i < n; i++) {
		t = list[i];
		for (j = i; j > 0 && cmp_ci(list[j - 1].name, list[j - 1].len,
		    t.name, t.len) > 0; j--)
			list[j] = list[j - 1];
		list[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (out + (out > 0) + list[i].len >= room)
			return room;
		if (out > 0)
			dst[out++] = ',';
		for (j = 0; j < list[i].len; j++) {
			char c = list[i].name[j];

			dst[out++] = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
		}
	}
	return out;
}

/* One coding and its weight; the last weight given a coding counts. */
static void
ae_set(struct ae *ae, const char *name, size_t len, int q)
{
	struct ae_other	*o;

	for (size_t i = 0; i < AE_NAME_MAX; i++)
		if (same_ci(name, len, names[i].name, names[i].len)) {
			ae->q[i] = (int16_t)q;
			return;
		}
	for (size_t i = 0; i < ae->nothers; i++) {
		o = &ae->others[i];
		if (same_ci(name, len, o->name, o->len)) {
			o->q = (int16_t)q;
			return;
		}
	}
	if (ae->nothers == AE_OTHERS_MAX || len > UINT32_MAX) {
		ae->overflow = true;
		return;
	}
	o = &ae->others[ae->nothers++];
	o->name = name;
	o->len = (uint32_t)len;
	o->q = (int16_t)q;
}

/*
 * A qvalue at v[*i] (RFC 9110 12.4.2) in thousandths: "1" and what follows
 * it is 1000; "0" with up to three decimals is read as far as it goes, so
 * "0.0001" refuses as "0.000" does; anything else counts as no weight (1).
 * *i is left where reading stopped.
 */
static int
qvalue(const char *v, size_t len, size_t *i)
{
	size_t	 p = *i;
	int	 q = 0, digits = 0;

	if (p >= len || (v[p] != '0' && v[p] != '1'))
		return Q_ONE;
	if (v[p++] == '1') {
		*i = p;
		return Q_ONE;
	}
	if (p < len && v[p] == '.')
		for (p++; p < len && digits < 3 && v[p] >= '0' && v[p] <= '9';
		    p++, digits++)
			q = q * 10 + (v[p] - '0');
	while (digits++ < 3)
		q *= 10;
	*i = p;
	return q;
}

static bool
same_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && cmp_ci(a, alen, b, blen) == 0;
}

/* As strcmp() of the two in lower case (ASCII only, whatever the locale). */
static int
cmp_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}
