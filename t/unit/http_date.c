/* Unit tests for common/http_date.c: the three forms, and what is none. */
#include <stdint.h>
#include <string.h>

#include "common/http_date.h"
#include "t/unit/tap.h"

#define T1994	784111777	/* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW	1796515200	/* 2026-12-06 */

static const struct {
	const char	*in;
	int64_t		 t;
} dates[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", T1994 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", T1994 },
	{ "Sun Nov  6 08:49:37 1994", T1994 },
	{ "SUN, 06 NOV 1994 08:49:37 gmt", T1994 },	/* names: any case */
	{ "Mon, 06 Nov 1994 08:49:37 GMT", T1994 },	/* day name not checked */
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 },
	{ "Thu, 18 Aug 2050 02:01:18 GMT", 2544400878LL },
	{ "Thu Aug 18 02:01:18 2050", 2544400878LL },
	/* two-digit years: no more than 50 years ahead of NOW (2026) */
	{ "Thursday, 18-Aug-50 02:01:18 GMT", 2544400878LL },	/* 2050 */
	{ "Tuesday, 18-Aug-76 02:01:18 GMT", 3364941678LL },	/* 2076 */
	{ "Thursday, 18-Aug-77 02:01:18 GMT", 240717678LL },	/* 1977 */
	/* none of the forms */
	{ "Sun, 06 Nov 1994 8:49:37 GMT", -1 },		/* 1-digit hour */
	{ "Sun, 06 Nov 1994  08:49:37 GMT", -1 },	/* two spaces */
	{ "Sun,  06 Nov 1994 08:49:37 GMT", -1 },
	{ "Sun, 6 Nov 1994 08:49:37 GMT", -1 },
	{ "Sun, 06 Nov 94 08:49:37 GMT", -1 },		/* 2-digit year */
	{ "Sun, 06-Nov-1994 08:49:37 GMT", -1 },	/* dashes */
	{ "Sun 06 Nov 1994 08:49:37 GMT", -1 },		/* no comma */
	{ "Sun, 06 Nov 1994 08.49.37 GMT", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 UTC", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 AEST", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT ", -1 },	/* trailing space */
	{ " Sun, 06 Nov 1994 08:49:37 GMT", -1 },
	{ "Sun, 06 Nov 1994 24:00:00 GMT", -1 },
	{ "Sun, 31 Nov 1994 08:49:37 GMT", -1 },
	{ "Thu, 29 Feb 2023 12:00:00 GMT", -1 },
	{ "Sun, 06 Foo 1994 08:49:37 GMT", -1 },
	{ "Sun Nov 6 08:49:37 1994", -1 },		/* asctime: " 6" */
	{ "Sunday, 06-Nov-94 08:49:37", -1 },
	{ "0", -1 }, { "", -1 }, { "-1", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT\0", -1 },
};

int
main(void)
{
	char	buf[HTTP_DATE_LEN + 1];

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		size_t	 n = strlen(dates[i].in);
		int64_t	 t;

		if (i == sizeof(dates) / sizeof(dates[0]) - 1)
			n++;	/* the NUL is part of the value */
		t = http_date_parse(dates[i].in, n, NOW);
		ok(t == dates[i].t, "\"%s\" is %lld (got %lld)", dates[i].in,
		    (long long)dates[i].t, (long long)t);
	}
	http_date_format(T1994, buf);
	ok(strcmp(buf, "Sun, 06 Nov 1994 08:49:37 GMT") == 0,
	    "formatted: %s", buf);
	http_date_format(0, buf);
	ok(strcmp(buf, "Thu, 01 Jan 1970 00:00:00 GMT") == 0,
	    "formatted: %s", buf);
	return tap_done();
}
