/*
 * Value parsers for config keys. They accept exactly the documented forms
 * (no leading "+", no trailing junk, no overflow) so a typo is an error at
 * load time rather than a surprise at 3 a.m.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>

#include "common/config_value.h"

/* Parses leading decimal digits into *v; returns the rest, NULL on overflow. */
static const char *
parse_digits(const char *s, uint64_t *v)
{
	uint64_t	n = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return NULL;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return s;
}

int
cfg_parse_size(const char *s, uint64_t *out)
{
	uint64_t	 n, mul = 1;
	const char	*p;

	if ((p = parse_digits(s, &n)) == NULL)
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1024ULL;
		p++;
		break;
	case 'm': case 'M':
		mul = 1024ULL * 1024;
		p++;
		break;
	case 'g': case 'G':
		mul = 1024ULL * 1024 * 1024;
		p++;
		break;
	default:
		return -1;
	}
	if (*p != '\0' || n > UINT64_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

int
cfg_parse_duration(const char *s, int64_t *out)
{
	uint64_t	 n, mul;
	const char	*p;

	if ((p = parse_digits(s, &n)) == NULL)
		return -1;
	if (strcmp(p, "ms") == 0)
		mul = 1;
	else if (*p == '\0' || strcmp(p, "s") == 0)
		mul = 1000;
	else if (strcmp(p, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mul = 3600 * 1000;
	else
		return -1;
	/* A year is plenty for any timeout and keeps sums far from overflow. */
	if (n > (uint64_t)365 * 24 * 3600 * 1000 / mul)
		return -1;
	*out = (int64_t)(n * mul);
	return 0;
}

int
cfg_parse_int(const char *s, long min, long max, long *out)
{
	uint64_t	 n;
	const char	*p;
	bool		 neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if ((p = parse_digits(s, &n)) == NULL || *p != '\0' ||
	    n > (uint64_t)LONG_MAX)
		return -1;
	if ((neg ? -(long)n : (long)n) < min ||
	    (neg ? -(long)n : (long)n) > max)
		return -1;
	*out = neg ? -(long)n : (long)n;
	return 0;
}

int
cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1", NULL };
	static const char *const no[] = { "off", "no", "false", "0", NULL };

	if (cfg_parse_enum(s, yes) >= 0)
		*out = true;
	else if (cfg_parse_enum(s, no) >= 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* Returns the index of s in the NULL-terminated names, or -1. */
int
cfg_parse_enum(const char *s, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Section names: letters, digits, "_", "-", ".". */
bool
cfg_valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

/* Levenshtein distance, for "did you mean" hints on short key names. */
int
cfg_edit_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);
	int	row[64], prev, tmp;

	if (la >= (sizeof(row) / sizeof(row[0])) ||
	    lb >= (sizeof(row) / sizeof(row[0])))
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}
