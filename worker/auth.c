/*
 * Basic authentication (RFC 7617), a request phase after the filters: the
 * route's htpasswd file (or its listener's, for a route that sets none)
 * decides, through libcrypt. What a worker verified it remembers for a
 * short while (auth_cache), so that a keep-alive client with a bcrypt
 * password does not cost a bcrypt per request. A refusal is a 401 with
 * the route's challenge, logged naming the user, never the password.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/auth_basic.h"
#include "common/auth_cache.h"
#include "common/config.h"
#include "common/htpasswd.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "worker/auth.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/req.h"
#include "worker/req_int.h"

#define USER_LOG_MAX	64	/* bytes of a user name in a log line */

/* What a 401 says without an error_page for it. */
/* This worker's verified credentials; made on first use (after fork). */
static struct auth_cache	*cache;
static bool			 cache_failed;

static const struct cfg_auth *auth_of(const struct conn *);
static int	auth_field(const struct conn *, const struct http_header **);
static struct auth_cache *auth_cache_get(void);
static enum phase_result refuse(struct conn *, enum step *,
		    const struct cfg_auth *, enum log_level, const char *,
		    const char *, size_t);
static void	printable(char *, size_t, const char *, size_t);

/*
 * Lets the request go on when it carries the Basic credentials of a user
 * of the file, and answers 401 otherwise. Sets r->remote_user.
 */
enum phase_result
phase_auth_basic(struct conn *c, enum step *s)
{
	const struct cfg_auth	*a;
	const struct http_header *f = NULL;
	struct req		*r = c->req;
	struct auth_basic_cred	 cred;
	struct auth_cache_key	 key;
	struct auth_cache	*ac;
	enum auth_basic_result	 res;
	enum phase_result	 pr;
	char			 buf[AUTH_BASIC_DECODED_MAX];
	const char		*v, *user;
	int64_t			 now;
	bool			 keyed = false, ok;
	int			 n;

	if ((a = auth_of(c)) == NULL)
		return PHASE_NEXT;
	if ((n = auth_field(c, &f)) == 0)
		return refuse(c, s, a, LOG_LVL_DEBUG, "no credentials", NULL,
		    0);
	if (n > 1)
		return refuse(c, s, a, LOG_LVL_INFO, "several Authorization "
		    "fields", NULL, 0);
	v = c->in->data + f->value.off;
	if ((res = auth_basic_decode(v, f->value.len, buf, sizeof(buf),
	    &cred)) != AUTH_BASIC_OK) {
		/* What was decoded may hold part of a password. */
		explicit_bzero(buf, sizeof(buf));
		return refuse(c, s, a, LOG_LVL_INFO, auth_basic_results[res],
		    NULL, 0);
	}
	user = htpasswd_user(a->users, cred.user, cred.ulen);
	now = ev_now(c->w->loop);
	if ((ac = auth_cache_get()) != NULL)
		keyed = auth_cache_key(ac, htpasswd_generation(a->users), v,
		    f->value.len, &key) == 0;
	if (user != NULL && keyed && auth_cache_hit(ac, &key, now)) {
		explicit_bzero(buf, sizeof(buf));
		r->remote_user = user;
		log_debug("conn=%llu user %s verified (cached)",
		    (unsigned long long)c->id, user);
		return PHASE_NEXT;
	}
	/* One crypt, whether or not the user exists. */
	ok = htpasswd_verify(a->users, cred.user, cred.ulen, cred.pass,
	    cred.plen);
	if (!ok) {
		explicit_bzero((char *)cred.pass, cred.plen);
		/* The name is logged, from buf: cleared after. */
		pr = refuse(c, s, a, LOG_LVL_INFO, user != NULL ?
		    "bad password for user" : "unknown user", cred.user,
		    cred.ulen);
		explicit_bzero(buf, sizeof(buf));
		return pr;
	}
	explicit_bzero(buf, sizeof(buf));
	if (keyed)
		auth_cache_put(ac, &key, now);
	r->remote_user = user;
	log_debug("conn=%llu user %s verified (crypt)",
	    (unsigned long long)c->id, user);
	return PHASE_NEXT;
}

/* Helpers. */

/* The route's, or for a route that sets none its listener's; or NULL. */
static const struct cfg_auth *
auth_of(const struct conn *c)
{
	const struct cfg_route		*route = R(c);
	const struct cfg_listener	*li;

	if (route->auth.off)
		return NULL;
	if (route->auth.users != NULL)
		return &route->auth;
	li = c->w->env->cfg->listeners[c->listen->listener];
	return li->auth.users != NULL ? &li->auth : NULL;
}

/* How many Authorization fields the head has; *f is the first. */
static int
auth_field(const struct conn *c, const struct http_header **f)
{
	const struct http_head	*h = &c->req->head;
	const char		*b = c->in->data;
	int			 n = 0;

	for (uint32_t i = 0; i < h->nheaders; i++)
		if (h->headers[i].name.len == 13 && strncasecmp(b +
		    h->headers[i].name.off, "authorization", 13) == 0 &&
		    n++ == 0)
			*f = &h->headers[i];
	return n;
}

/*
 * The cache, made once per worker: the first time a worker needs it, so
 * that each worker draws its own secret. Without it (no memory), every
 * request is verified; that is said once.
 */
static struct auth_cache *
auth_cache_get(void)
{
	if (cache != NULL || cache_failed)
		return cache;
	if ((cache = auth_cache_new(AUTH_CACHE_TTL_MS, NULL)) == NULL) {
		cache_failed = true;
		log_warn("auth_basic: no cache of verified credentials (out "
		    "of memory): each request is verified");
	}
	return cache;
}

/*
 * 401 with the challenge, keeping the connection when the request has
 * no body left unread. why and the user name (if any) are logged at
 * level.
 */
static enum phase_result
refuse(struct conn *c, enum step *s, const struct cfg_auth *a,
    enum log_level level, const char *why, const char *user, size_t ulen)
{
	struct req		*r = c->req;
	char			 client[ADDR_STRLEN];
	char			 name[USER_LOG_MAX + 4];

	if (log_enabled(level)) {
		addr_format_ip(&r->client, client, sizeof(client));
		name[0] = '\0';
		if (user != NULL)
			printable(name, sizeof(name), user, ulen);
		if (level == LOG_LVL_DEBUG)
			log_debug("conn=%llu %s 401: %s in route %s",
			    (unsigned long long)c->id, client, why,
			    R(c)->sec.name);
		else
			log_info("conn=%llu %s 401: %s%s%s in route %s",
			    (unsigned long long)c->id, client, why,
			    user != NULL ? " " : "", name, R(c)->sec.name);
	}
	/* The challenge is short: its realm was bounded at load time. */
	req_answer_line(c, "%.*s", (int)(a->challenge_len - 2), a->challenge);
	*s = request_refuse(c, 401, "authentication required");
	return PHASE_ANSWERED;
}

/* A user name for a log line: bounded, other than printable ASCII as ?. */
static void
printable(char *dst, size_t size, const char *s, size_t len)
{
	size_t	i, n = len < USER_LOG_MAX ? len : USER_LOG_MAX;

	for (i = 0; i < n && i + 4 < size; i++)
		dst[i] = (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	if (n < len && i + 3 < size) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}
