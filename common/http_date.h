/*
 * HTTP-date (RFC 9110 5.6.7): reading the three forms exactly, and writing
 * the preferred one.
 */
#ifndef COMMON_HTTP_DATE_H
#define COMMON_HTTP_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_DATE_LEN	29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * Seconds since the epoch of an IMF-fixdate, rfc850-date or asctime-date
 * in s[0..len), with nothing around it; -1 when it is none of them. Names
 * of days, months and GMT are taken in any case; everything else (digit
 * counts, single spaces, commas) must be as the grammar says. A two-digit
 * rfc850 year more than 50 years ahead of now is in the past century.
 */
int64_t	http_date_parse(const char *s, size_t len, time_t now);

/* t as an IMF-fixdate into dst, which holds HTTP_DATE_LEN + 1 bytes. */
void	http_date_format(time_t t, char *dst);

#endif
