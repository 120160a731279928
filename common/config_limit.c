/*
 * rate_limit and limit_conn, in [listener] and [route] sections alike:
 * their values, and the [global] rate_limit_zone their buckets live in.
 * Each line gets its zone id here ("route api #0"), so that a reload of
 * the same lines finds the same buckets.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/tpl.h"
#include "common/util.h"

#define ZONE_DEFAULT	(1024 * 1024)	/* when a limit is set, no zone */
#define ZONE_MIN	(64 * 1024)
#define ZONE_MAX	(UINT64_C(1) << 30)
#define RATE_MAX	1000000		/* requests per window */
#define BURST_MAX	1000000
#define CONN_MAX	1000000
#define OPTS_MAX	8

/* "50r/s", "600r/m", "10r/h": the interval of one request. */
static int
parse_rate(const char *v, struct cfg_limit *l)
{
	char		*end;
	unsigned long	 n;

	if (!isdigit((unsigned char)*v))
		return -1;
	n = strtoul(v, &end, 10);
	if (n == 0 || n > RATE_MAX || end[0] != 'r' || end[1] != '/' ||
	    end[2] == '\0' || end[3] != '\0')
		return -1;
	switch (end[2]) {
	case 's':
		l->window_s = 1;
		break;
	case 'm':
		l->window_s = 60;
		break;
	case 'h':
		l->window_s = 3600;
		break;
	default:
		return -1;
	}
	l->quota = (uint32_t)n;
	l->interval_us = (uint64_t)l->window_s * 1000000 / n;
	return l->interval_us == 0 ? -1 : 0;
}

/* A policy name for RateLimit-Policy: a token that needs no escaping. */
static bool
policy_name(const char *v)
{
	if (*v == '\0' || strlen(v) > 32)
		return false;
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr("-_.", *v) == NULL)
			return false;
	return true;
}

/* key=TEMPLATE: $route, the client address, or any template. */
static enum cfg_set_result
set_key(struct cfg_ctx *ctx, struct cfg_limit *l, const char *v,
    const char *what)
{
	struct cfg_tpl	*t;

	if (strcmp(v, "$route") == 0 || strcmp(v, "${route}") == 0) {
		l->key_route = true;
		return CFG_OK;
	}
	t = xcalloc(1, sizeof(*t));
	if (cfg_set_tpl(ctx, t, v, false, what) != CFG_OK) {
		tpl_free(t);
		free(t);
		return CFG_REPORTED;
	}
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].var == VAR_REMOTE_USER) {
			/* Limits come before the logins (worker/limit.c). */
			cfg_error(ctx, "%s: key=%s: $remote_user is not known "
			    "yet when limits are checked", what, v);
			tpl_free(t);
			free(t);
			return CFG_REPORTED;
		}
	if (t->nparts == 1 && t->parts[0].var == VAR_REMOTE_ADDR) {
		/* The default: the address's bytes, not its text. */
		tpl_free(t);
		free(t);
		return CFG_OK;
	}
	if (tpl_is_literal(t)) {
		cfg_error(ctx, "%s: key=%s is the same for every request; "
		    "key=$route says that", what, v);
		tpl_free(t);
		free(t);
		return CFG_REPORTED;
	}
	l->key = t;
	return CFG_OK;
}

/*
 * One line of either key: the value first (a rate, or a count), then
 * NAME=VALUE options. The line is added to the section's list even when
 * it is refused, so that freeing finds what it holds.
 */
static enum cfg_set_result
set_limit(struct cfg_ctx *ctx, const struct cfg_section *sec,
    struct cfg_limits *ls, const char *v, enum cfg_limit_kind kind)
{
	const char		*what = kind == CFG_LIMIT_RATE ? "rate_limit" :
				    "limit_conn";
	struct cfg_limit	*l;
	char			*copy, *tok, *save = NULL, *eq;
	long			 n;
	size_t			 ntok = 0;
	enum cfg_set_result	 res = CFG_OK;

	if ((kind == CFG_LIMIT_RATE ? ls->nrate : ls->nconn) ==
	    CFG_LIMITS_MAX) {
		cfg_error(ctx, "at most %d %s lines in a section",
		    CFG_LIMITS_MAX, what);
		return CFG_REPORTED;
	}
	ls->v = xrealloc(ls->v, ls->n + 1, sizeof(*ls->v));
	l = &ls->v[ls->n];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->status = kind == CFG_LIMIT_RATE ? 429 : 503;
	l->where = cfg_ctx_where(ctx);
	l->id = xasprintf("%s %s #%zu", sec->kind, sec->name != NULL ?
	    sec->name : "", ls->n);
	ls->n++;
	if (kind == CFG_LIMIT_RATE)
		ls->nrate++;
	else
		ls->nconn++;

	copy = xstrdup(v);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL && res == CFG_OK;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (ntok++ == 0) {
			if (kind == CFG_LIMIT_RATE) {
				if (parse_rate(tok, l) == -1)
					res = CFG_BAD;
			} else if (cfg_parse_int(tok, 1, CONN_MAX, &n) == -1)
				res = CFG_BAD;
			else
				l->max = (uint32_t)n;
			continue;
		}
		if (ntok > OPTS_MAX + 1 || (eq = strchr(tok, '=')) == NULL) {
			res = CFG_BAD;
			break;
		}
		*eq++ = '\0';
		if (strcmp(tok, "key") == 0)
			res = set_key(ctx, l, eq, what);
		else if (strcmp(tok, "status") == 0) {
			if (cfg_parse_int(eq, 400, 599, &n) == -1)
				res = CFG_BAD;
			else
				l->status = (int)n;
		} else if (kind == CFG_LIMIT_RATE &&
		    strcmp(tok, "burst") == 0) {
			if (cfg_parse_int(eq, 0, BURST_MAX, &n) == -1)
				res = CFG_BAD;
			else
				l->burst = (uint32_t)n;
		} else if (kind == CFG_LIMIT_CONN && strcmp(tok, "per") == 0) {
			if (strcmp(eq, "connection") == 0)
				l->per_connection = true;
			else if (strcmp(eq, "request") != 0)
				res = CFG_BAD;
		} else if (kind == CFG_LIMIT_RATE && strcmp(tok, "name") == 0) {
			if (!policy_name(eq))
				res = CFG_BAD;
			else {
				free(l->policy);
				l->policy = xstrdup(eq);
			}
		} else
			res = CFG_BAD;
	}
	free(copy);
	if (ntok == 0)
		res = CFG_BAD;
	if (res == CFG_OK && l->per_connection) {
		/* Counted before any request: only the address is known. */
		if (strcmp(sec->kind, "listener") != 0) {
			cfg_error(ctx, "limit_conn per=connection is for a "
			    "listener; a route counts requests");
			res = CFG_REPORTED;
		} else if (l->key != NULL || l->key_route) {
			cfg_error(ctx, "limit_conn per=connection counts by "
			    "the client's address: no key= with it");
			res = CFG_REPORTED;
		} else if (++ls->nconn_per_connection > CFG_CONN_LIMITS_MAX) {
			cfg_error(ctx, "at most %d limit_conn per=connection "
			    "lines in a listener", CFG_CONN_LIMITS_MAX);
			res = CFG_REPORTED;
		}
	}
	if (kind == CFG_LIMIT_RATE && l->policy == NULL)
		l->policy = xstrdup("default");
	return res;
}

enum cfg_set_result
cfg_set_rate_limit(struct cfg_ctx *ctx, const struct cfg_section *sec,
    struct cfg_limits *ls, const char *v)
{
	return set_limit(ctx, sec, ls, v, CFG_LIMIT_RATE);
}

enum cfg_set_result
cfg_set_limit_conn(struct cfg_ctx *ctx, const struct cfg_section *sec,
    struct cfg_limits *ls, const char *v)
{
	return set_limit(ctx, sec, ls, v, CFG_LIMIT_CONN);
}

/* "SIZE": 0 for none, else 64K to 1G. */
enum cfg_set_result
cfg_set_rate_limit_zone(struct cfg_ctx *ctx, void *obj, const char *v)
{
	uint64_t	n;

	if (cfg_parse_size(v, &n) == -1 || (n != 0 && (n < ZONE_MIN ||
	    n > ZONE_MAX)))
		return CFG_BAD;
	((struct cfg_global *)obj)->rate_limit_zone = n;
	return CFG_OK;
}

void
cfg_limits_free(struct cfg_limits *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		if (ls->v[i].key != NULL) {
			tpl_free(ls->v[i].key);
			free(ls->v[i].key);
		}
		free(ls->v[i].id);
		free(ls->v[i].policy);
	}
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

/*
 * Second pass: the zone. Unset, it is ZONE_DEFAULT when any section has
 * a limit and none otherwise; set to 0, a limit is an error.
 */
void
cfg_limits_check(struct config *cfg)
{
	struct cfg_global	*g = &cfg->global;
	const struct cfg_limits	*first = NULL;
	const char		*kind = NULL;
	char			 label[300];

	for (size_t i = 0; first == NULL && i < cfg->nlisteners; i++)
		if (cfg->listeners[i]->limits.n > 0) {
			first = &cfg->listeners[i]->limits;
			cfg_section_label(&cfg->listeners[i]->sec, label,
			    sizeof(label));
		}
	for (size_t i = 0; first == NULL && i < cfg->nroutes; i++)
		if (cfg->routes[i]->limits.n > 0) {
			first = &cfg->routes[i]->limits;
			cfg_section_label(&cfg->routes[i]->sec, label,
			    sizeof(label));
		}
	if (g->rate_limit_zone == UINT64_MAX) {
		g->rate_limit_zone = first != NULL ? ZONE_DEFAULT : 0;
		return;
	}
	if (first == NULL || g->rate_limit_zone > 0)
		return;
	kind = first->v[0].kind == CFG_LIMIT_RATE ? "rate_limit" :
	    "limit_conn";
	cfg_error_at(cfg, &first->v[0].where, "%s in %s needs a shared zone, "
	    "but rate_limit_zone in [global] is 0", kind, label);
}
