/*
 * Unit tests for worker/cache_policy.c on a clock of their own: what may
 * be stored and for how long (RFC 9111 3, 4.2; RFC 9213), age, entity tag
 * comparison and byte ranges. Heads are parsed from text by the real
 * parser; "now" is whatever the test says.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/http_date.h"
#include "common/http_parse.h"
#include "worker/cache_policy.h"
#include "t/unit/tap.h"

#define NOW	1796515200	/* Sun, 06 Dec 2026 00:00:00 GMT */

static char		 buf[8192];
static struct http_head	 head;

/* "Name: value" lines after "HTTP/1.1 STATUS": parsed into head. */
static int
parse(int status, const char *lines)
{
	static const struct http_limits lim = { 8192, 4096, 100 };
	struct http_parser	p;
	int			n;

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\n%s\r\n", status,
	    lines);
	http_parser_init(&p);
	return http_parse_response(&p, buf, (size_t)n, &lim, &head) ==
	    HTTP_OK ? 0 : -1;
}

static void
route_init(struct cfg_route *r, const char *target)
{
	memset(r, 0, sizeof(*r));
	if (target != NULL) {
		strcpy(r->cc_targets[0], target);
		r->ncc_targets = 1;
	}
}

/* cp_storable for a response: the reason, or "" with *m filled. */
static const char *
store(const struct cfg_route *r, int status, const char *lines, bool auth,
    int64_t now, int64_t req_time, struct cs_meta *m)
{
	const char *why;

	if (parse(status, lines) == -1)
		return "unparsed";
	why = cp_storable(buf, &head, r, auth, 1 << 20, now, req_time, m);
	return why == NULL ? "" : why;
}

static bool
listed(const char *list, const char *tag)
{
	return cp_etag_listed(list, strlen(list), tag, strlen(tag));
}

static const struct {
	const char	*name;
	int		 status;
	const char	*lines;
	bool		 auth;
	const char	*why;		/* "" stored */
	int64_t		 lifetime;
	uint32_t	 flags;
} cases[] = {
	{ "max-age", 200, "Cache-Control: max-age=60\r\n", false, "", 60, 0 },
	{ "s-maxage beats max-age", 200,
	    "Cache-Control: max-age=60, s-maxage=10\r\n", false, "", 10,
	    CMF_MUST_REVALIDATE },
	{ "Expires minus Date", 200, "Date: Sun, 06 Dec 2026 00:00:00 GMT\r\n"
	    "Expires: Sun, 06 Dec 2026 00:05:00 GMT\r\n", false, "", 300, 0 },
	{ "max-age beats Expires", 200, "Cache-Control: max-age=5\r\n"
	    "Expires: Sun, 06 Dec 2026 00:05:00 GMT\r\n", false, "", 5, 0 },
	{ "invalid Expires: stale", 200,
	    "Expires: Sun, 06 Dec 2026 0:05:00 GMT\r\n", false, "", 0, 0 },
	{ "two Expires: stale", 200, "Expires: Sun, 06 Dec 2026 00:05:00 GMT\r\n"
	    "Expires: Sun, 06 Dec 2026 00:05:00 GMT\r\n", false, "", 0, 0 },
	{ "Expires in the past", 200,
	    "Expires: Sat, 05 Dec 2026 00:00:00 GMT\r\n", false, "", 0, 0 },
	{ "heuristic: a tenth since Last-Modified", 200,
	    "Date: Sun, 06 Dec 2026 00:00:00 GMT\r\n"
	    "Last-Modified: Sun, 06 Dec 2026 00:00:00 GMT\r\n", false, "", 0,
	    CMF_VALIDATOR },
	{ "heuristic: at most a day", 200,
	    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n", false, "",
	    86400, CMF_VALIDATOR },
	{ "ETag alone: stored, revalidated", 200, "ETag: \"a\"\r\n", false,
	    "", 0, CMF_VALIDATOR },
	{ "nothing: not stored", 200, "X: y\r\n", false, "no-freshness", 0,
	    0 },
	{ "302 without freshness", 302, "ETag: \"a\"\r\n", false, "status", 0,
	    0 },
	{ "302 with max-age", 302, "Cache-Control: max-age=9\r\n", false, "",
	    9, 0 },
	{ "206", 206, "Cache-Control: max-age=9\r\n", false, "partial", 0, 0 },
	{ "no-store", 200, "Cache-Control: max-age=9, no-store\r\n", false,
	    "no-store", 0, 0 },
	{ "no-store, must-understand, 200", 200,
	    "Cache-Control: max-age=9, no-store, must-understand\r\n", false,
	    "", 9, 0 },
	{ "must-understand, 299", 299,
	    "Cache-Control: max-age=9, must-understand\r\n", false,
	    "must-understand", 0, 0 },
	{ "private", 200, "Cache-Control: max-age=9, private\r\n", false,
	    "private", 0, 0 },
	{ "Set-Cookie", 200, "Cache-Control: max-age=9\r\nSet-Cookie: a=b\r\n",
	    false, "set-cookie", 0, 0 },
	{ "Vary: *", 200, "Cache-Control: max-age=9\r\nVary: a, *\r\n", false,
	    "vary-star", 0, 0 },
	{ "Authorization without public", 200, "Cache-Control: max-age=9\r\n",
	    true, "authorization", 0, 0 },
	{ "Authorization with public", 200,
	    "Cache-Control: max-age=9, public\r\n", true, "", 9, 0 },
	{ "too large", 200, "Cache-Control: max-age=9\r\n"
	    "Content-Length: 2000000\r\n", false, "too-large", 0, 0 },
	{ "no-cache: stored, flagged", 200,
	    "Cache-Control: max-age=9, no-cache\r\n", false, "", 9,
	    CMF_NO_CACHE },
	{ "CDN-Cache-Control beats no-store", 200, "Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=70\r\n", false, "", 70, 0 },
	{ "CDN-Cache-Control beats Expires", 200,
	    "Expires: Sun, 06 Dec 2026 00:05:00 GMT\r\n"
	    "CDN-Cache-Control: max-age=0\r\n", false, "", 0, 0 },
	{ "CDN-Cache-Control no-store beats max-age", 200,
	    "Cache-Control: max-age=60\r\nCDN-Cache-Control: no-store\r\n",
	    false, "no-store", 0, 0 },
	{ "invalid dictionary: ignored", 200, "Cache-Control: max-age=60\r\n"
	    "CDN-Cache-Control: MaX-aGe=5\r\n", false, "", 60, 0 },
	{ "?0 is no directive", 200, "Cache-Control: max-age=60\r\n"
	    "CDN-Cache-Control: max-age=5, no-store=?0\r\n", false, "", 5, 0 },
	{ "a string max-age is no number", 200, "Cache-Control: max-age=60\r\n"
	    "CDN-Cache-Control: max-age=\"5\"\r\n", false, "", 0, 0 },
};

int
main(void)
{
	struct cfg_route	 r, none;
	struct cs_meta		 m;
	const char		*why;
	uint64_t		 first, n;

	route_init(&r, "cdn-cache-control");
	route_init(&none, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = store(&r, cases[i].status, cases[i].lines, cases[i].auth,
		    NOW, NOW, &m);
		ok(strcmp(why, cases[i].why) == 0, "%s: %s (got %s)",
		    cases[i].name, *cases[i].why ? cases[i].why : "stored",
		    *why ? why : "stored");
		if (*why != '\0' || *cases[i].why != '\0')
			continue;
		ok(m.lifetime == cases[i].lifetime, "%s: lifetime %lld (got "
		    "%lld)", cases[i].name, (long long)cases[i].lifetime,
		    (long long)m.lifetime);
		ok(m.flags == cases[i].flags, "%s: flags %#x (got %#x)",
		    cases[i].name, cases[i].flags, m.flags);
	}

	/* A route without targets: CDN-Cache-Control is just a field. */
	why = store(&none, 200, "Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=70\r\n", false, NOW, NOW, &m);
	ok(strcmp(why, "no-store") == 0, "no targets: Cache-Control decides");

	/* Age: the corrected initial age, and the age as time goes on. */
	why = store(&r, 200, "Cache-Control: max-age=100\r\nAge: 30\r\n"
	    "Date: Sun, 06 Dec 2026 00:00:00 GMT\r\n", false, NOW + 2, NOW, &m);
	ok(*why == '\0' && m.initial_age == 32, "Age 30 and 2 s in transit: "
	    "initial age 32 (got %lld)", (long long)m.initial_age);
	ok(cp_current_age(&m, NOW + 2 + 50) == 82, "50 s later: age 82");
	why = store(&r, 200, "Cache-Control: max-age=100\r\n"
	    "Date: Sat, 05 Dec 2026 23:58:20 GMT\r\n", false, NOW, NOW, &m);
	ok(m.initial_age == 100, "a Date 100 s ago: apparent age 100 (got "
	    "%lld)", (long long)m.initial_age);
	why = store(&r, 200, "Cache-Control: max-age=100\r\nAge: 7200.0\r\n",
	    false, NOW, NOW, &m);
	ok(m.initial_age == 0, "a float Age is ignored");
	why = store(&r, 200, "Cache-Control: max-age=100\r\nAge: 7200, 0\r\n",
	    false, NOW, NOW, &m);
	ok(m.initial_age == 7200, "of a list, the first Age counts");
	why = store(&r, 200, "Cache-Control: max-age=100\r\nAge: -5\r\n",
	    false, NOW, NOW, &m);
	ok(m.initial_age == 0, "a negative Age is ignored");

	/* Entity tags, weakly compared. */
	ok(listed("\"a\", W/\"b\"", "W/\"b\""), "W/\"b\" listed");
	ok(listed("W/\"a\"", "\"a\""), "weak matches strong");
	ok(listed("*", "\"z\""), "* matches any");
	ok(!listed("\"ab\"", "\"a\""), "\"ab\" is not \"a\"");

	/* Ranges of a 20-byte body. */
	{
		static const struct {
			const char	*v;
			int		 res;
			uint64_t	 first, n;
		} rg[] = {
			{ "bytes=2-5", RANGE_PART, 2, 4 },
			{ "bytes=15-", RANGE_PART, 15, 5 },
			{ "bytes=-3", RANGE_PART, 17, 3 },
			{ "bytes=-50", RANGE_PART, 0, 20 },
			{ "bytes=18-100", RANGE_PART, 18, 2 },
			{ "BYTES=0-0", RANGE_PART, 0, 1 },
			{ "bytes=20-", RANGE_UNSATISFIABLE, 0, 0 },
			{ "bytes=-0", RANGE_UNSATISFIABLE, 0, 0 },
			{ "bytes=0-1,4-5", RANGE_WHOLE, 0, 0 },
			{ "bytes=5-2", RANGE_WHOLE, 0, 0 },
			{ "lines=1-2", RANGE_WHOLE, 0, 0 },
			{ "bytes=-", RANGE_WHOLE, 0, 0 },
			{ "bytes=99999999999999999999-", RANGE_WHOLE, 0, 0 },
		};
		for (size_t i = 0; i < sizeof(rg) / sizeof(rg[0]); i++) {
			enum cache_range res;

			first = n = 0;
			res = cp_range(rg[i].v, strlen(rg[i].v), 20, &first,
			    &n);
			ok((int)res == rg[i].res && (res != RANGE_PART ||
			    (first == rg[i].first && n == rg[i].n)),
			    "%s: %d %llu+%llu (got %d %llu+%llu)", rg[i].v,
			    rg[i].res, (unsigned long long)rg[i].first,
			    (unsigned long long)rg[i].n, (int)res,
			    (unsigned long long)first, (unsigned long long)n);
		}
		ok(cp_range("bytes=0-", 8, 0, &first, &n) ==
		    RANGE_UNSATISFIABLE, "an empty body: 416");
	}
	return tap_done();
}
