/*
 * The cache's HTTP rules as pure functions (RFC 9111, RFC 9213): what a
 * response's directives say (cc_*), whether it may be stored and for how
 * long, its age, and which part a Range asks for (cp_*). No connection,
 * no cache zone; the time is an argument, so tests bring their own clock.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/config.h"
#include "common/http_date.h"
#include "common/http_parse.h"
#include "worker/cache_policy.h"

#define HEURISTIC_MAX	86400	/* heuristic freshness at most (s) */

/* Bare item types of a Structured Field (RFC 8941), as far as we care. */
enum sf_type { SF_TRUE, SF_FALSE, SF_INT, SF_OTHER };

bool
cp_name_is(const char *b, const struct http_header *f, const char *name)
{
	size_t	n = strlen(name);

	return f->name.len == n && strncasecmp(b + f->name.off, name, n) == 0;
}

const struct http_header *
cp_find(const char *b, const struct http_head *h, const char *name)
{
	for (uint32_t i = 0; i < h->nheaders; i++)
		if (cp_name_is(b, &h->headers[i], name))
			return &h->headers[i];
	return NULL;
}

static int64_t
num(const char *s, size_t len)
{
	int64_t	v = 0;
	size_t	i = 0;

	if (i < len && s[i] == '"')
		i++;
	if (i == len || !isdigit((unsigned char)s[i]))
		return -2;
	for (; i < len && isdigit((unsigned char)s[i]); i++)
		if ((v = v * 10 + (s[i] - '0')) > INT32_MAX)
			v = INT32_MAX;	/* RFC 9111 1.2.2: 2^31 at most */
	return v;
}

void
cc_init(struct cc *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh = -1;
	cc->swr = cc->sie = -1;
}

/*
 * One directive into cc. val: its number, -2 when it has a value that is
 * no number, CC_NOVAL when it has none.
 */
static void
cc_directive(struct cc *cc, const char *n, size_t nl, int64_t val)
{
#define IS(s) (nl == sizeof(s) - 1 && strncasecmp(n, s, nl) == 0)
	if (IS("no-store"))
		cc->no_store = true;
	else if (IS("no-cache"))
		cc->no_cache = true;	/* qualified: as unqualified */
	else if (IS("private"))
		cc->private_ = true;
	else if (IS("public"))
		cc->public_ = true;
	else if (IS("must-revalidate"))
		cc->must_revalidate = true;
	else if (IS("proxy-revalidate"))
		cc->proxy_revalidate = true;
	else if (IS("only-if-cached"))
		cc->only_if_cached = true;
	else if (IS("must-understand"))
		cc->must_understand = true;
	else if (IS("max-age"))
		cc->max_age = val == CC_NOVAL ? -2 : val;
	else if (IS("s-maxage"))
		cc->s_maxage = val == CC_NOVAL ? -2 : val;
	else if (IS("max-stale"))
		cc->max_stale = val == CC_NOVAL ? INT32_MAX : val;
	else if (IS("min-fresh"))
		cc->min_fresh = val == CC_NOVAL ? -1 : val;
	else if (IS("stale-while-revalidate"))
		cc->swr = val == CC_NOVAL ? -1 : val;
	else if (IS("stale-if-error"))
		cc->sie = val == CC_NOVAL ? -1 : val;
#undef IS
}

/* Adds the directives of one Cache-Control value. */
static void
cc_parse(struct cc *cc, const char *v, size_t len)
{
	size_t	i = 0;

	while (i < len) {
		size_t	 ns, nl, vs = 0, vl = 0;
		bool	 quoted = false;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		ns = i;
		while (i < len && v[i] != '=' && v[i] != ',' && v[i] != ' ' &&
		    v[i] != '\t')
			i++;
		nl = i - ns;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < len && v[i] == '=') {
			i++;
			vs = i;
			if (i < len && v[i] == '"') {
				quoted = true;
				for (i++; i < len && v[i] != '"'; i++)
					;
				if (i < len)
					i++;
			} else
				while (i < len && v[i] != ',')
					i++;
			vl = i - vs;
		}
		while (i < len && v[i] != ',')
			i++;
		if (nl == 0)
			continue;
		cc_directive(cc, v + ns, nl, vl ? num(v + vs, vl) : CC_NOVAL);
		(void)quoted;
	}
}

/*
 * Reads one field into cc if it is Cache-Control or Pragma: no-cache;
 * false for any other field. *cc_seen, *pragma: what cc_done() needs.
 */
bool
cc_field(struct cc *cc, const char *b, const struct http_header *f,
    bool *cc_seen, bool *pragma)
{
	if (cp_name_is(b, f, "cache-control")) {
		cc_parse(cc, b + f->value.off, f->value.len);
		*cc_seen = true;
		return true;
	}
	if (cp_name_is(b, f, "pragma")) {
		if (f->value.len >= 8 && strncasecmp(b + f->value.off,
		    "no-cache", 8) == 0)
			*pragma = true;
		return true;
	}
	return false;
}

/* Pragma: no-cache counts only without Cache-Control (RFC 9111 5.4). */
void
cc_done(struct cc *cc, bool cc_seen, bool pragma)
{
	if (!cc_seen && pragma)
		cc->no_cache = true;
}

/* Every Cache-Control field of a head. */
void
cc_read(struct cc *cc, const char *b, const struct http_head *h)
{
	bool	seen = false, pragma = false;

	cc_init(cc);
	for (uint32_t i = 0; i < h->nheaders; i++)
		cc_field(cc, b, &h->headers[i], &seen, &pragma);
	cc_done(cc, seen, pragma);
}

/*
 * After "=" at *i: one bare item (RFC 8941 3.3). *type is SF_INT with
 * *ival for an integer, SF_TRUE/SF_FALSE for ?1/?0, SF_OTHER for the rest.
 */
static bool
sf_bare_item(const char *v, size_t len, size_t *ip, int64_t *ival,
    enum sf_type *type)
{
	size_t	i = *ip + 1, n;

	if (i >= len)
		return false;
	*type = SF_OTHER;
	if (v[i] == '-' || isdigit((unsigned char)v[i])) {
		bool	 neg = v[i] == '-', dec = false;
		int64_t	 x = 0;

		if (neg)
			i++;
		for (n = 0; i < len && isdigit((unsigned char)v[i]); i++, n++)
			if (n < 15)
				x = x * 10 + (v[i] - '0');
		if (n == 0 || n > 15)
			return false;
		if (i < len && v[i] == '.') {
			if (n > 12)
				return false;
			for (i++, n = 0; i < len &&
			    isdigit((unsigned char)v[i]); i++)
				n++;
			if (n == 0 || n > 3)
				return false;
			dec = true;
		}
		if (!dec && !neg) {
			*type = SF_INT;
			*ival = x > INT32_MAX ? INT32_MAX : x;
		}
	} else if (v[i] == '"') {
		for (i++; i < len && v[i] != '"'; i++) {
			if (v[i] == '\\') {
				if (++i >= len || (v[i] != '"' && v[i] != '\\'))
					return false;
			} else if (v[i] < 0x20 || v[i] > 0x7e)
				return false;
		}
		if (i++ >= len)
			return false;
	} else if (isalpha((unsigned char)v[i]) || v[i] == '*') {
		while (i < len && (isalnum((unsigned char)v[i]) ||
		    strchr("!#$%&'*+-.^_`|~:/", v[i]) != NULL))
			i++;
	} else if (v[i] == ':') {
		for (i++; i < len && (isalnum((unsigned char)v[i]) ||
		    v[i] == '+' || v[i] == '/' || v[i] == '='); i++)
			;
		if (i >= len || v[i++] != ':')
			return false;
	} else if (v[i] == '?') {
		if (i + 1 >= len || (v[i + 1] != '0' && v[i + 1] != '1'))
			return false;
		*type = v[i + 1] == '1' ? SF_TRUE : SF_FALSE;
		i += 2;
	} else
		return false;
	*ip = i;
	return true;
}

/*
 * A targeted cache-control field (RFC 9213): a Structured Field Dictionary
 * (RFC 8941 4.2.2) of Cache-Control response directives, added to cc.
 * false when the value is empty or not a valid dictionary: then the field
 * is ignored as a whole. A directive whose value has the wrong type is
 * ignored alone; the last of a repeated key wins.
 */
static bool
cc_parse_sf(struct cc *cc, const char *v, size_t len)
{
	size_t	i = 0;

	if (len == 0)
		return false;
	for (;;) {
		size_t	 ks, kl;
		int64_t		 ival = -1;
		enum sf_type	 type = SF_TRUE;

		/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_-.*" ) */
		ks = i;
		if (i >= len || !((v[i] >= 'a' && v[i] <= 'z') || v[i] == '*'))
			return false;
		while (i < len && ((v[i] >= 'a' && v[i] <= 'z') ||
		    isdigit((unsigned char)v[i]) ||
		    strchr("_-.*", v[i]) != NULL))
			i++;
		kl = i - ks;
		if (i < len && v[i] == '=') {
			if (!sf_bare_item(v, len, &i, &ival, &type))
				return false;
		}
		/* parameters: ( ";" *SP key [ "=" bare-item ] ), ignored */
		while (i < len && v[i] == ';') {
			int64_t		pv;
			enum sf_type	pt;

			for (i++; i < len && v[i] == ' '; i++)
				;
			if (i >= len || !((v[i] >= 'a' && v[i] <= 'z') ||
			    v[i] == '*'))
				return false;
			while (i < len && ((v[i] >= 'a' && v[i] <= 'z') ||
			    isdigit((unsigned char)v[i]) ||
			    strchr("_-.*", v[i]) != NULL))
				i++;
			if (i < len && v[i] == '=' &&
			    !sf_bare_item(v, len, &i, &pv, &pt))
				return false;
		}
		if (type != SF_FALSE)
			cc_directive(cc, v + ks, kl, type == SF_INT ? ival :
			    type == SF_TRUE ? CC_NOVAL : -2);
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == len)
			return true;
		if (v[i++] != ',')
			return false;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == len)
			return false;	/* a trailing comma */
	}
}

/*
 * The response's cache policy (RFC 9111 5.2.2, RFC 9213): from the first
 * of the route's target fields present with a valid value, if any (then
 * *targeted is set, and Cache-Control and Expires do not count), else
 * from Cache-Control and Pragma.
 */
void
cc_response(struct cc *cc, const struct cfg_route *route, const char *b,
    const struct http_head *h, bool *targeted)
{
	*targeted = false;
	for (int t = 0; t < route->ncc_targets; t++) {
		const char	*name = route->cc_targets[t];
		size_t		 nl = strlen(name);
		bool		 seen = false, valid = true;

		cc_init(cc);
		for (uint32_t i = 0; i < h->nheaders && valid; i++) {
			const struct http_header *f = &h->headers[i];

			if (f->name.len != nl || strncasecmp(b + f->name.off,
			    name, nl) != 0)
				continue;
			seen = true;
			valid = cc_parse_sf(cc, b + f->value.off, f->value.len);
		}
		if (seen && valid) {
			*targeted = true;
			return;
		}
	}
	cc_read(cc, b, h);
}

/* An HTTP-date field; -1 when absent or invalid. */
int64_t
cp_head_date(const char *b, const struct http_head *h, const char *name,
    int64_t now)
{
	const struct http_header *f = cp_find(b, h, name);

	return f == NULL ? -1 : http_date_parse(b + f->value.off,
	    f->value.len, (time_t)now);
}

/*
 * Age (RFC 9111 5.1): delta-seconds, or -1 when absent or invalid. Of a
 * list, or of several lines, the first counts.
 */
int64_t
cp_head_age(const char *b, const struct http_head *h)
{
	const struct http_header *f = cp_find(b, h, "age");
	const char		*p, *comma;
	size_t			 n;
	int64_t			 v = 0;

	if (f == NULL)
		return -1;
	p = b + f->value.off;
	n = f->value.len;
	if ((comma = memchr(p, ',', n)) != NULL)
		n = (size_t)(comma - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char d = p[i];

		if (!isdigit((unsigned char)d))
			return -1;
		if ((v = v * 10 + (d - '0')) > INT32_MAX)
			v = INT32_MAX;	/* RFC 9111 1.2.2 */
	}
	return v;
}

int64_t
cp_current_age(const struct cs_meta *m, int64_t now)
{
	int64_t	a = m->initial_age + (now - m->response_time);

	return a < 0 ? 0 : a;
}

/* Weak comparison of an entity tag against an If-None-Match list. */
bool
cp_etag_listed(const char *list, size_t llen, const char *tag, size_t tlen)
{
	size_t	i = 0;

	if (tlen >= 2 && strncmp(tag, "W/", 2) == 0) {
		tag += 2;
		tlen -= 2;
	}
	while (i < llen) {
		size_t s;

		while (i < llen && (list[i] == ' ' || list[i] == ','))
			i++;
		if (i < llen && list[i] == '*')
			return true;
		if (i + 2 <= llen && strncmp(list + i, "W/", 2) == 0)
			i += 2;
		s = i;
		if (i < llen && list[i] == '"')
			for (i++; i < llen && list[i] != '"'; i++)
				;
		if (i < llen)
			i++;
		if (i - s == tlen && memcmp(list + s, tag, tlen) == 0)
			return true;
		while (i < llen && list[i] != ',')
			i++;
	}
	return false;
}

/* Statuses whose caching rules RFC 9110 and 9111 define, and we follow. */
static bool
understood_status(int s)
{
	switch (s) {
	case 200: case 203: case 204: case 300: case 301: case 302:
	case 303: case 307: case 308: case 404: case 405: case 410:
	case 414: case 451: case 501:
		return true;
	default:
		return false;
	}
}

static bool
heuristic_status(int s)
{
	switch (s) {
	case 200: case 203: case 204: case 206: case 300: case 301:
	case 308: case 404: case 405: case 410: case 414: case 501:
		return true;
	default:
		return false;
	}
}

/*
 * Whether a response may be stored, and for how long it is fresh (RFC 9111
 * 3, 4.2), judged at now for a request sent at req_time (seconds); auth:
 * the request had Authorization. NULL when it may, with m filled but for
 * its kind and id; else the reason, a word for Cache-Status.
 */
const char *
cp_storable(const char *b, const struct http_head *h,
    const struct cfg_route *route, bool auth, uint64_t max_object,
    int64_t now, int64_t req_time, struct cs_meta *m)
{
	const struct http_header *f;
	struct cc		 cc;
	int64_t			 date, exp, age, apparent, corrected, lm;
	bool			 explicit_ = false, targeted;
	int			 nexpires = 0;
	int			 st = h->status;

	if (st == 206)
		return "partial";
	if (st < 200)
		return "status";
	cc_response(&cc, route, b, h, &targeted);
	/*
	 * must-understand (RFC 9111 5.2.2.3): stored only with a status
	 * whose caching rules we follow, and then no-store gives way.
	 */
	if (cc.must_understand && !understood_status(st))
		return "must-understand";
	if (cc.no_store && !cc.must_understand)
		return "no-store";
	if (cc.private_)
		return "private";
	if (cp_find(b, h, "set-cookie") != NULL)
		return "set-cookie";
	if (auth && !cc.public_ && cc.s_maxage < 0 && !cc.must_revalidate)
		return "authorization";
	for (uint32_t i = 0; i < h->nheaders; i++) {
		f = &h->headers[i];
		if (cp_name_is(b, f, "vary") && memchr(b + f->value.off, '*',
		    f->value.len) != NULL)
			return "vary-star";
	}
	if (h->has_content_length && h->content_length > max_object)
		return "too-large";
	if (h->head_len > CS_HEAD_MAX)
		return "too-large";

	memset(m, 0, sizeof(*m));
	m->status = st;
	m->swr = cc.swr;
	m->sie = cc.sie;
	date = cp_head_date(b, h, "date", now);
	if (date == -1)
		date = now;
	m->date = date;
	if ((age = cp_head_age(b, h)) < 0)
		age = 0;
	apparent = now - date > 0 ? now - date : 0;
	corrected = age + (now - req_time);
	m->initial_age = apparent > corrected ? apparent : corrected;
	m->response_time = now;
	lm = cp_head_date(b, h, "last-modified", now);
	m->last_modified = lm > 0 ? lm : 0;
	if (cp_find(b, h, "etag") != NULL || lm > 0)
		m->flags |= CMF_VALIDATOR;
	if (cc.no_cache)
		m->flags |= CMF_NO_CACHE;
	if (cc.must_revalidate || cc.proxy_revalidate || cc.s_maxage >= 0)
		m->flags |= CMF_MUST_REVALIDATE;

	if (cc.s_maxage != -1) {
		m->lifetime = cc.s_maxage < 0 ? 0 : cc.s_maxage;
		explicit_ = true;
	} else if (cc.max_age != -1) {
		m->lifetime = cc.max_age < 0 ? 0 : cc.max_age;
		explicit_ = true;
	} else if (!targeted && (f = cp_find(b, h, "expires")) != NULL) {
		/* Invalid, or more than one: already expired (RFC 9111 5.3). */
		for (uint32_t i = 0; i < h->nheaders; i++)
			nexpires += cp_name_is(b, &h->headers[i], "expires");
		exp = nexpires > 1 ? -1 : http_date_parse(b + f->value.off,
		    f->value.len, (time_t)now);
		m->lifetime = exp == -1 || exp < date ? 0 : exp - date;
		explicit_ = true;
	}
	if (!explicit_) {
		size_t i;

		for (i = 0; i < route->ncache_valid; i++)
			if (route->cache_valid[i].status == st ||
			    route->cache_valid[i].status == 0)
				break;
		if (i < route->ncache_valid)
			m->lifetime = route->cache_valid[i].ttl_ms / 1000;
		else if (!heuristic_status(st) && !cc.public_)
			return "status";
		else if (lm > 0 && lm <= date) {
			/* 10% of the time since it changed (RFC 9111 4.2.2). */
			m->lifetime = (date - lm) / 10;
			if (m->lifetime > HEURISTIC_MAX)
				m->lifetime = HEURISTIC_MAX;
		} else if (m->flags & CMF_VALIDATOR)
			m->lifetime = 0;	/* stored, revalidated on use */
		else
			return "no-freshness";
	}
	return NULL;
}

/*
 * Which part of a body of len bytes a Range value asks for (RFC 9110
 * 14.2): one byte range, first-last, first- or -suffix, is RANGE_PART
 * with *first and *n; one that starts past the end RANGE_UNSATISFIABLE;
 * anything else (several ranges, another unit, bad syntax) RANGE_WHOLE,
 * answered with all of it as the RFC allows.
 */
enum cache_range
cp_range(const char *p, size_t vlen, uint64_t len, uint64_t *firstp,
    uint64_t *np)
{
	const char	*e = p + vlen;
	uint64_t	 first = 0, last = 0;
	bool		 has_first = false, has_last = false;

	if (e - p < 6 || strncasecmp(p, "bytes=", 6) != 0)
		return RANGE_WHOLE;
	for (p += 6; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	for (; p < e && isdigit((unsigned char)*p); p++, has_first = true)
		if ((first = first * 10 + (uint64_t)(*p - '0')) >
		    INT64_MAX / 10)
			return RANGE_WHOLE;
	if (p == e || *p++ != '-')
		return RANGE_WHOLE;
	for (; p < e && isdigit((unsigned char)*p); p++, has_last = true)
		if ((last = last * 10 + (uint64_t)(*p - '0')) > INT64_MAX / 10)
			return RANGE_WHOLE;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p != e || (!has_first && !has_last) ||
	    (has_first && has_last && last < first))
		return RANGE_WHOLE;	/* several ranges, or not a range */
	if (!has_first) {
		/* -suffix: the last bytes */
		if (last == 0 || len == 0)
			return RANGE_UNSATISFIABLE;
		first = last < len ? len - last : 0;
		last = len - 1;
	} else {
		if (first >= len)
			return RANGE_UNSATISFIABLE;
		if (!has_last || last >= len)
			last = len - 1;
	}
	*firstp = first;
	*np = last - first + 1;
	return RANGE_PART;
}
