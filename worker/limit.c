/*
 * Shared limits: a request phase. The listener's rate_limit and
 * limit_conn lines, then the route's, each counted in its bucket of the
 * shared zone (common/limit_zone.c), so that a limit holds across the
 * workers and across a reload. A refused request says when to come back
 * (Retry-After and the RateLimit fields); a limit_conn hold is given back
 * when the request ends, however it ends (req_end), and by the master for
 * a worker that died. Refusals are logged at info, once a second per key
 * and limit at most, with how many went unsaid.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/limit_zone.h"
#include "common/log.h"
#include "common/shm.h"
#include "worker/conn.h"
#include "worker/limit.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/vars.h"

#define KEY_MAX		512	/* an expanded key; longer ones share one */
#define KEY_SHOWN	64	/* bytes of a key in the log */
#define SEEN_SLOTS	256	/* refusals remembered for the log */
#define SEEN_MS		1000	/* one line per key and limit in this */

/* The last line logged for a key and limit, by the hash of both. */
struct seen {
	uint64_t	hash;
	int64_t		ms;
	uint32_t	skipped;
};

static struct seen	seen[SEEN_SLOTS];
static char		keybuf[KEY_MAX];
static const char	key_too_long[] = "\0key too long";

static enum phase_result check(struct conn *, enum step *,
		    const struct cfg_limits *, const struct cfg_section *);
static const void *limit_key(struct conn *, const struct cfg_limit *,
		    size_t *);
static enum phase_result refuse(struct conn *, enum step *,
		    const struct cfg_limit *, int64_t);
static void	log_refusal(struct conn *, const struct cfg_limit *,
		    const struct cfg_section *, const void *, size_t, bool);

static const struct cfg_listener *
listener(const struct conn *c)
{
	return c->w->env->cfg->listeners[c->listen->listener];
}

/*
 * Runs once per request, even when the phases run again after a wait
 * for the cache: a request is counted once.
 */
enum phase_result
phase_limit(struct conn *c, enum step *s)
{
	struct req		*r = c->req;
	const struct cfg_listener *li = listener(c);
	const struct cfg_route	*route = R(c);
	enum phase_result	 pr;

	if (r->limited || (li->limits.n == 0 && route->limits.n == 0) ||
	    c->w->env->limits == NULL)
		return PHASE_NEXT;
	r->limited = true;
	if ((pr = check(c, s, &li->limits, &li->sec)) != PHASE_NEXT)
		return pr;
	return check(c, s, &route->limits, &route->sec);
}

/* The request ends: what it holds of limit_conn is given back. */
void
limit_release(struct conn *c)
{
	struct req		*r = c->req;
	struct limit_zone	*z = c->w->env->limits;
	int64_t			 now = ev_now(c->w->loop);

	for (uint8_t i = 0; i < r->nholds; i++)
		limit_conn_release(z, &r->holds[i], now);
	r->nholds = 0;
}

static enum phase_result
check(struct conn *c, enum step *s, const struct cfg_limits *ls,
    const struct cfg_section *sec)
{
	struct req		*r = c->req;
	struct limit_zone	*z = c->w->env->limits;
	int64_t			 now = ev_now(c->w->loop), retry_ms = 0;
	const struct cfg_limit	*l;
	const void		*key;
	size_t			 len;
	enum limit_verdict	 v;

	for (size_t i = 0; i < ls->n; i++) {
		l = &ls->v[i];
		if (l->per_connection)
			continue;	/* conn_limit.c counts those */
		if ((key = limit_key(c, l, &len)) == NULL)
			continue;
		if (l->kind == CFG_LIMIT_RATE)
			v = limit_rate_check(z, l->id, key, len,
			    l->interval_us, l->burst, now, &retry_ms, NULL);
		else {
			if (r->nholds == sizeof(r->holds) /
			    sizeof(r->holds[0]))
				continue;	/* the config caps the lines */
			v = limit_conn_acquire(z, l->id, key, len, l->max,
			    now, &r->holds[r->nholds]);
			if (v == LIMIT_ALLOW)
				r->nholds++;
		}
		if (v != LIMIT_DENY)
			continue;
		log_refusal(c, l, sec, key, len, ls->dry_run);
		if (ls->dry_run) {
			counter_add(CNT(c), CNT_LIMIT_DRY_RUN, 1);
			continue;
		}
		counter_add(CNT(c), l->kind == CFG_LIMIT_RATE ?
		    CNT_RATE_LIMITED : CNT_CONN_LIMITED, 1);
		return refuse(c, s, l, retry_ms);
	}
	return PHASE_NEXT;
}

/*
 * The bytes of l's key for this request, in *len; NULL when the key is
 * empty, and the limit does not count the request (as nginx does). The
 * client's address is its bytes; a template's text longer than KEY_MAX
 * shares one bucket with every other such key, so it cannot dodge.
 */
static const void *
limit_key(struct conn *c, const struct cfg_limit *l, size_t *len)
{
	const struct addr	*a = &c->req->client;
	size_t			 n;

	if (l->key_route) {
		*len = strlen(R(c)->sec.name);
		return R(c)->sec.name;
	}
	if (l->key == NULL) {
		if (a->ss.ss_family == AF_INET) {
			*len = 4;
			return &((const struct sockaddr_in *)&a->ss)->sin_addr;
		}
		if (a->ss.ss_family == AF_INET6) {
			*len = 16;
			return &((const struct sockaddr_in6 *)&a->ss)->
			    sin6_addr;
		}
		addr_format_ip(a, keybuf, sizeof(keybuf));
		*len = strlen(keybuf);
		return *len > 0 ? keybuf : NULL;
	}
	n = tpl_expand(c, l->key, NULL, NULL, 0, keybuf, sizeof(keybuf));
	if (n == (size_t)-1) {
		*len = sizeof(key_too_long) - 1;
		return key_too_long;
	}
	*len = n;
	return n > 0 ? keybuf : NULL;
}

/*
 * frontd's refusal, keeping the connection: for a rate, when to come
 * back, as Retry-After (RFC 9110 10.2.3, whole seconds rounded up) and as
 * the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers (quota q per window w seconds,
 * r left, t seconds until there is one). The body is the admin's
 * error_page for the status, or a page like frontd's own.
 */
static enum phase_result
refuse(struct conn *c, enum step *s, const struct cfg_limit *l,
    int64_t retry_ms)
{
	long long	secs;

	if (l->kind == CFG_LIMIT_RATE) {
		secs = retry_ms > 0 ? (retry_ms + 999) / 1000 : 1;
		req_answer_line(c, "Retry-After: %lld", secs);
		req_answer_line(c, "RateLimit-Policy: \"%s\";q=%u;w=%u",
		    l->policy, l->quota, l->window_s);
		req_answer_line(c, "RateLimit: \"%s\";r=0;t=%lld", l->policy,
		    secs);
	}
	*s = request_refuse(c, l->status, l->kind == CFG_LIMIT_RATE ?
	    "rate_limit" : "limit_conn");
	return PHASE_ANSWERED;
}

static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * "conn=ID CLIENT 429: refused by rate_limit 50r/s (key K) in route
 * api", at most once a second for the same key and limit in a worker;
 * the next line says how many it left out.
 */
static void
log_refusal(struct conn *c, const struct cfg_limit *l,
    const struct cfg_section *sec, const void *key, size_t len,
    bool dry_run)
{
	int64_t		 now = ev_now(c->w->loop);
	uint64_t	 h = fnv1a(fnv1a(0xcbf29ce484222325ULL, l->id,
			    strlen(l->id)), key, len);
	struct seen	*e = &seen[h % SEEN_SLOTS];
	char		 client[ADDR_STRLEN], what[48], shown[KEY_SHOWN + 4];
	char		 more[48];
	const char	*k = key;
	uint32_t	 skipped = 0;
	size_t		 o = 0;

	if (!log_enabled(LOG_LVL_INFO))
		return;
	if (e->hash == h) {
		if (now - e->ms < SEEN_MS) {
			e->skipped++;
			return;
		}
		skipped = e->skipped;
	}
	e->hash = h;
	e->ms = now;
	e->skipped = 0;

	addr_format_ip(&c->req->client, client, sizeof(client));
	if (l->kind == CFG_LIMIT_RATE)
		snprintf(what, sizeof(what), "rate_limit %ur/%c", l->quota,
		    l->window_s == 1 ? 's' : l->window_s == 60 ? 'm' : 'h');
	else
		snprintf(what, sizeof(what), "limit_conn %u", l->max);
	if (!l->key_route && l->key == NULL)
		snprintf(shown, sizeof(shown), "%s", client);
	else {
		/* A key is the client's text: shown tame, and cut. */
		for (size_t i = 0; i < len && o < KEY_SHOWN; i++)
			shown[o++] = k[i] >= ' ' && k[i] < 0x7f &&
			    k[i] != '"' ? k[i] : '?';
		if (len > KEY_SHOWN)
			shown[o++] = '.', shown[o++] = '.', shown[o++] = '.';
		shown[o] = '\0';
	}
	more[0] = '\0';
	if (skipped > 0)
		snprintf(more, sizeof(more), " (%u more not logged)",
		    skipped);
	if (dry_run)
		log_info("conn=%llu %s: %s (key \"%s\") in %s %s would refuse "
		    "this request (dry run)%s", (unsigned long long)c->id,
		    client, what, shown, sec->kind, sec->name, more);
	else
		log_info("conn=%llu %s %d: refused by %s (key \"%s\") in %s "
		    "%s%s", (unsigned long long)c->id, client, l->status,
		    what, shown, sec->kind, sec->name, more);
}
