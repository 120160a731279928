/*
 * HTTP-date (RFC 9110 5.6.7). The reader is strict about the shape, so a
 * date a cache would misread ("2:01:18", doubled spaces, "UTC") is no
 * date at all, and lenient only about the case of names, as the RFC asks
 * recipients to be where it is safe.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/http_date.h"

static const char *const days[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const long_days[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* A cursor over the value; every reader fails once anything did. */
struct rd {
	const char	*p, *end;
	bool		 bad;
};

static bool
lit(struct rd *r, const char *s)
{
	size_t	n = strlen(s);

	if (r->bad || (size_t)(r->end - r->p) < n ||
	    strncasecmp(r->p, s, n) != 0) {
		r->bad = true;
		return false;
	}
	r->p += n;
	return true;
}

/* Exactly n digits. */
static int
digits(struct rd *r, int n)
{
	int	v = 0;

	if (r->bad || r->end - r->p < n) {
		r->bad = true;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (r->p[i] < '0' || r->p[i] > '9') {
			r->bad = true;
			return -1;
		}
		v = v * 10 + (r->p[i] - '0');
	}
	r->p += n;
	return v;
}

/* One of names[0..n), any case; its index. */
static int
name(struct rd *r, const char *const *names, int n)
{
	for (int i = 0; i < n && !r->bad; i++) {
		size_t l = strlen(names[i]);

		if ((size_t)(r->end - r->p) >= l &&
		    strncasecmp(r->p, names[i], l) == 0) {
			r->p += l;
			return i;
		}
	}
	r->bad = true;
	return -1;
}

/* time-of-day = hour ":" minute ":" second, each two digits. */
static void
time_of_day(struct rd *r, struct tm *tm)
{
	tm->tm_hour = digits(r, 2);
	lit(r, ":");
	tm->tm_min = digits(r, 2);
	lit(r, ":");
	tm->tm_sec = digits(r, 2);
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		r->bad = true;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t
http_date_parse(const char *s, size_t len, time_t now)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	struct rd	 r = { s, s + len, false };
	struct tm	 tm;
	int		 year;

	memset(&tm, 0, sizeof(tm));
	if (len >= 4 && s[3] == ',') {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		name(&r, days, 7);
		lit(&r, ", ");
		tm.tm_mday = digits(&r, 2);
		lit(&r, " ");
		tm.tm_mon = name(&r, months, 12);
		lit(&r, " ");
		year = digits(&r, 4);
		lit(&r, " ");
		time_of_day(&r, &tm);
		lit(&r, " GMT");
	} else if (len >= 4 && s[3] == ' ') {
		/* asctime-date: Sun Nov  6 08:49:37 1994 */
		name(&r, days, 7);
		lit(&r, " ");
		tm.tm_mon = name(&r, months, 12);
		lit(&r, " ");
		if (!r.bad && r.p < r.end && *r.p == ' ') {
			r.p++;
			tm.tm_mday = digits(&r, 1);
		} else
			tm.tm_mday = digits(&r, 2);
		lit(&r, " ");
		time_of_day(&r, &tm);
		lit(&r, " ");
		year = digits(&r, 4);
	} else {
		/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
		struct tm	 nt;

		name(&r, long_days, 7);
		lit(&r, ", ");
		tm.tm_mday = digits(&r, 2);
		lit(&r, "-");
		tm.tm_mon = name(&r, months, 12);
		lit(&r, "-");
		year = digits(&r, 2);
		lit(&r, " ");
		time_of_day(&r, &tm);
		lit(&r, " GMT");
		if (!r.bad) {
			gmtime_r(&now, &nt);
			year += (nt.tm_year + 1900) / 100 * 100;
			if (year > nt.tm_year + 1900 + 50)
				year -= 100;
		}
	}
	/* Day names are not checked against the date: RFC 9110 ignores them. */
	if (r.bad || r.p != r.end || year < 1900 || tm.tm_mday < 1 ||
	    tm.tm_mday > mdays[tm.tm_mon] + (tm.tm_mon == 1 && leap(year)))
		return -1;
	tm.tm_year = year - 1900;
	return (int64_t)timegm(&tm);
}

void
http_date_format(time_t t, char *dst)
{
	struct tm	tm;
	char		tmp[64];

	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	/* Years past 9999 do not fit the form: cut, never overflowed. */
	memcpy(dst, tmp, HTTP_DATE_LEN);
	dst[HTTP_DATE_LEN] = '\0';
}
