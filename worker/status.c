/*
 * The status page of a route with "status = on": what frontd is doing now,
 * as HTML for a person (plain tables, inline style, refreshed every few
 * seconds, fine in a text browser) or as JSON for a program. Both come
 * from one walk over the shared zones, so they never disagree; every
 * string from the configuration is escaped for the format it lands in.
 * The page goes out from one of the metrics page's held buffers.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/metrics_zone.h"
#include "common/proc.h"
#include "common/shm.h"
#include "common/status_zone.h"
#include "common/util.h"
#include "worker/buf.h"
#include "worker/cache_int.h"
#include "worker/conn.h"
#include "worker/metrics.h"
#include "worker/req.h"
#include "worker/status.h"

#define REFRESH_DEFAULT_S	5
#define REFRESH_MAX_S		3600

/* Where the page is written; full once something did not fit. */
/* What one request asked for. */
struct status_ask {
	const struct proc_env	*env;
	bool			 json;
	int			 refresh_s;	/* 0: no refresh */
};

static struct status_worker	*mine;	/* this worker's slot, or NULL */

static void	so_html(struct page_out *, const char *);
static void	so_json(struct page_out *, const char *);
static void	status_ask(const struct conn *, struct status_ask *);
static size_t	render(void *, char *, size_t);
static void	render_json(struct page_out *, const struct proc_env *);
static void	render_html(struct page_out *, const struct proc_env *, int);
static double	quantile(const struct metrics_slot *, double);
static uint64_t	cnt(const struct proc_env *, enum counter);
static const char *last_error(const struct health_slot *, char *, size_t);
static const char *server_state(const struct cfg_upstream *,
		    const struct cfg_server *, struct health_slot *, int64_t);

/* The worker starts: it takes a slot of the status zone for its pid. */
void
status_init(const struct proc_env *env)
{
	mine = status_zone_claim(env->status, getpid(), env->generation);
}

/* Publishes this worker's open connections, after each change. */
void
status_count(size_t nconns)
{
	if (mine != NULL)
		atomic_store_explicit(&mine->nconns, (uint32_t)nconns,
		    memory_order_relaxed);
}

/* The status route's answer: HTML, or JSON when asked for. */
enum step
status_answer(struct conn *c)
{
	struct status_ask	 ask;
	const char		*page;
	size_t			 n;
	enum step		 s;

	status_ask(c, &ask);
	if ((page = metrics_page_render(render, &ask, &n)) == NULL)
		return request_fail(c, 503, "status page: no buffer");
	/* Live data, and one URL for two representations. */
	req_answer_line(c, "Cache-Control: no-store");
	req_answer_line(c, "Vary: Accept");
	s = request_local(c, 200, ask.json ? "application/json" :
	    "text/html; charset=utf-8", page, n, NULL, 0, "status");
	metrics_page_hold(page, c->req != NULL ? c->req->local_body : NULL);
	return s;
}

/*
 * "?json" (with or without a value) or an Accept field that names
 * application/json asks for JSON; "?refresh=N" sets the HTML page's
 * refresh, 0 for none.
 */
static void
status_ask(const struct conn *c, struct status_ask *ask)
{
	const struct http_head	*h = &c->req->head;
	const char		*b = c->in->data;
	struct http_slice	 t = h->form == HTTP_TARGET_ABSOLUTE ? h->path :
				    h->target;
	const char		*p, *end, *q, *amp;
	size_t			 k;
	long			 v;

	ask->env = c->w->env;
	ask->json = false;
	ask->refresh_s = REFRESH_DEFAULT_S;
	p = b + t.off;
	end = p + t.len;
	if ((q = memchr(p, '?', t.len)) != NULL)
		for (p = q + 1; p < end; p = amp + 1) {
			if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
				amp = end;
			k = (size_t)(amp - p);
			if ((k == 4 || (k > 4 && p[4] == '=')) &&
			    memcmp(p, "json", 4) == 0)
				ask->json = true;
			else if (k > 8 && memcmp(p, "refresh=", 8) == 0) {
				v = 0;
				for (q = p + 8; q < amp && *q >= '0' &&
				    *q <= '9' && v <= REFRESH_MAX_S; q++)
					v = v * 10 + (*q - '0');
				if (q == amp)
					ask->refresh_s = v > REFRESH_MAX_S ?
					    REFRESH_MAX_S : (int)v;
			}
		}
	for (uint32_t i = 0; i < h->nheaders && !ask->json; i++) {
		const struct http_header *f = &h->headers[i];

		if (f->name.len != 6 || strncasecmp(b + f->name.off, "accept",
		    6) != 0)
			continue;
		p = b + f->value.off;
		for (k = 0; k + 16 <= f->value.len; k++)
			if (strncasecmp(p + k, "application/json", 16) == 0)
				ask->json = true;
	}
}

/* ------------------------------------------------------------ out --- */

static void
so_html(struct page_out *o, const char *v)
{
	for (; v != NULL && *v != '\0'; v++)
		switch (*v) {
		case '&':
			outf(o, "&amp;");
			break;
		case '<':
			outf(o, "&lt;");
			break;
		case '>':
			outf(o, "&gt;");
			break;
		case '"':
			outf(o, "&quot;");
			break;
		case '\'':
			outf(o, "&#39;");
			break;
		default:
			outf(o, "%c", *v);
		}
}

/* The length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t	n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string, quotes included; a byte that is not UTF-8 is taken as
 * Latin-1, so the result always parses. */
static void
so_json(struct page_out *o, const char *v)
{
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 n;

	outf(o, "\"");
	while (p != NULL && *p != '\0') {
		if (*p == '"' || *p == '\\')
			outf(o, "\\%c", *p++);
		else if (*p < 0x20 || *p == 0x7f)
			outf(o, "\\u%04x", *p++);
		else if ((n = utf8_len(p)) == 0)
			outf(o, "\\u%04x", *p++);
		else {
			outf(o, "%.*s", (int)n, (const char *)p);
			p += n;
		}
	}
	outf(o, "\"");
}

/* ------------------------------------------------------------ data --- */

static uint64_t
cnt(const struct proc_env *env, enum counter c)
{
	return atomic_load_explicit(&env->counters->c[c],
	    memory_order_relaxed);
}

static uint64_t
ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/*
 * As the metrics page has it, except that a server of an upstream with
 * no active check is up until something marks it down: "unknown" is for
 * a check that has not run yet.
 */
static const char *
server_state(const struct cfg_upstream *u, const struct cfg_server *sv,
    struct health_slot *hs, int64_t now)
{
	const char	*st = metrics_server_state(sv, hs, now);

	return u->check == CHECK_OFF && strcmp(st, "unknown") == 0 ? "up" :
	    st;
}

/* The checker may be writing it: a copy, ended, in buf; NULL if empty. */
static const char *
last_error(const struct health_slot *hs, char *buf, size_t len)
{
	if (len > sizeof(hs->last_error))
		len = sizeof(hs->last_error);
	memcpy(buf, hs->last_error, len);
	buf[len - 1] = '\0';
	return buf[0] != '\0' ? buf : NULL;
}

static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The q quantile of a duration histogram, in milliseconds, interpolated
 * within its bucket; the last finite bound when it falls past it; -1
 * with no observations.
 */
static double
quantile(const struct metrics_slot *s, double q)
{
	uint64_t	b[METRICS_NBUCKETS + 1], total = 0, seen = 0;
	double		want, lo, hi;

	if (s == NULL)
		return -1;
	for (int i = 0; i <= METRICS_NBUCKETS; i++)
		total += (b[i] = ld(&s->le[i]));
	if (total == 0)
		return -1;
	want = q * (double)total;
	for (int i = 0; i < METRICS_NBUCKETS; i++) {
		if (b[i] > 0 && (double)(seen + b[i]) >= want) {
			lo = i > 0 ? metrics_bucket_ms[i - 1] : 0;
			hi = metrics_bucket_ms[i];
			return lo + (hi - lo) * (want - (double)seen) /
			    (double)b[i];
		}
		seen += b[i];
	}
	return metrics_bucket_ms[METRICS_NBUCKETS - 1];
}

/* Everything the page shows that is not a list. */
struct summary {
	int64_t		 now_wall_ms;
	int64_t		 started_wall_ms;
	int64_t		 uptime_s;
	uint64_t	 nconns;
	size_t		 nprocs;
	bool		 rate_known;
	struct status_rate rate;
	uint64_t	 cache[CS_STAT_MAX];
	uint64_t	 cache_entries, cache_bytes, cache_size;
};

static void
summarize(const struct proc_env *env, struct summary *sm)
{
	const struct status_zone	*z = env->status;

	memset(sm, 0, sizeof(*sm));
	sm->now_wall_ms = wall_ms();
	if (z != NULL) {
		sm->started_wall_ms = z->started_wall_ms;
		sm->uptime_s = (now_ms() - z->started_ms) / 1000;
		for (uint64_t i = 0; i < z->hdr.nslots; i++)
			if (atomic_load(&z->workers[i].pid) != 0) {
				sm->nprocs++;
				sm->nconns += atomic_load_explicit(
				    &z->workers[i].nconns,
				    memory_order_relaxed);
			}
		sm->rate_known = status_zone_rate(z, &sm->rate) == 0;
	}
	if (cache_zone != NULL)
		cs_stats(cache_zone, sm->cache, &sm->cache_entries,
		    &sm->cache_bytes, &sm->cache_size);
}

static double
per_second(const struct summary *sm)
{
	return sm->rate_known ? (double)sm->rate.requests * 1000.0 /
	    (double)sm->rate.ms : 0;
}

/* ------------------------------------------------------------ page --- */

static size_t
render(void *arg, char *dst, size_t room)
{
	struct status_ask	*ask = arg;
	struct page_out		 o = { dst, 0, room, false };

	if (ask->json)
		render_json(&o, ask->env);
	else
		render_html(&o, ask->env, ask->refresh_s);
	return o.full ? (size_t)-1 : o.n;
}

static void
json_ms(struct page_out *o, const char *key, double ms)
{
	if (ms < 0)
		outf(o, "\"%s\":null", key);
	else
		outf(o, "\"%s\":%.1f", key, ms);
}

static void
json_codes(struct page_out *o, const struct metrics_slot *s)
{
	outf(o, "\"responses\":{");
	for (int i = 0; i < 5; i++)
		outf(o, "%s\"%dxx\":%llu", i ? "," : "", i + 1,
		    (unsigned long long)(s ? ld(&s->codes[i]) : 0));
	outf(o, "}");
}

static void
json_quantiles(struct page_out *o, const char *key,
    const struct metrics_slot *s)
{
	outf(o, "\"%s\":{", key);
	json_ms(o, "p50", quantile(s, 0.5));
	outf(o, ",");
	json_ms(o, "p90", quantile(s, 0.9));
	outf(o, ",");
	json_ms(o, "p99", quantile(s, 0.99));
	outf(o, "}");
}

/* The schema is in frontd.conf(5), "Status page": keys are only added. */
static void
render_json(struct page_out *o, const struct proc_env *env)
{
	const struct config	*cfg = env->cfg;
	const struct status_zone *z = env->status;
	struct summary		 sm;
	int64_t			 now = now_ms();
	char			 err[sizeof(((struct health_slot *)0)->
				    last_error)];
	const char		*e;
	bool			 first = true;

	summarize(env, &sm);
	outf(o, "{\"version\":");
	so_json(o, PACKAGE_VERSION);
	outf(o, ",\"time\":%lld,\"started\":%lld,\"uptime_s\":%lld,"
	    "\"generation\":%d,\"reloads\":%llu,\"reload_failures\":%llu,",
	    (long long)(sm.now_wall_ms / 1000),
	    (long long)(sm.started_wall_ms / 1000), (long long)sm.uptime_s,
	    env->generation, (unsigned long long)cnt(env, CNT_RELOADS),
	    (unsigned long long)cnt(env, CNT_RELOAD_FAILURES));

	outf(o, "\"workers\":{\"configured\":%d,\"respawns\":%llu,"
	    "\"processes\":[", cfg->global.workers,
	    (unsigned long long)cnt(env, CNT_WORKER_RESPAWNS));
	for (uint64_t i = 0; z != NULL && i < z->hdr.nslots; i++) {
		const struct status_worker *w = &z->workers[i];
		int32_t pid = atomic_load(&w->pid);
		int32_t gen = atomic_load(&w->generation);

		if (pid == 0)
			continue;
		outf(o, "%s{\"pid\":%d,\"generation\":%d,\"draining\":%s,"
		    "\"connections\":%u,\"started\":%lld}", first ? "" : ",",
		    (int)pid, (int)gen, gen < env->generation ? "true" :
		    "false", (unsigned)atomic_load(&w->nconns),
		    (long long)(atomic_load(&w->started_wall_ms) / 1000));
		first = false;
	}
	outf(o, "]},");

	outf(o, "\"connections\":{\"current\":%llu,\"accepted\":%llu},",
	    (unsigned long long)sm.nconns,
	    (unsigned long long)cnt(env, CNT_ACCEPTED));
	outf(o, "\"requests\":{\"total\":%llu,", (unsigned long long)cnt(env,
	    CNT_REQUESTS));
	if (sm.rate_known)
		outf(o, "\"window_s\":%.1f,\"in_window\":%llu,"
		    "\"per_second\":%.2f,", (double)sm.rate.ms / 1000.0,
		    (unsigned long long)sm.rate.requests, per_second(&sm));
	else
		outf(o, "\"window_s\":0,\"in_window\":0,\"per_second\":null,");
	outf(o, "\"responses\":{");
	for (int i = 0; i < 5; i++)
		outf(o, "%s\"%dxx\":%llu", i ? "," : "", i + 1,
		    (unsigned long long)cnt(env, CNT_STATUS_1XX + i));
	outf(o, "}},");

	outf(o, "\"upstreams\":[");
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		outf(o, "%s{\"name\":", i ? "," : "");
		so_json(o, u->sec.name);
		outf(o, ",\"servers\":[");
		for (size_t j = 0; j < u->nservers; j++) {
			const struct cfg_server *sv = &u->servers[j];
			struct health_slot *hs =
			    &env->health->slots[u->slot0 + j];
			const struct metrics_slot *ms =
			    metrics_server_slot(u->slot0 + j);
			int32_t a = atomic_load(&hs->active);
			int64_t last = atomic_load(&hs->last_check_ms);

			outf(o, "%s{\"server\":", j ? "," : "");
			so_json(o, sv->spec);
			outf(o, ",\"state\":\"%s\",\"backup\":%s,"
			    "\"weight\":%d,\"active\":%d,\"requests\":%llu,"
			    "\"failures\":%llu,",
			    server_state(u, sv, hs, now),
			    sv->backup ? "true" : "false", sv->weight,
			    a > 0 ? (int)a : 0,
			    (unsigned long long)ld(&hs->requests),
			    (unsigned long long)(ms ? ld(&ms->errors) : 0));
			json_codes(o, ms);
			outf(o, ",");
			json_quantiles(o, "response_ms", ms);
			if (u->check == CHECK_OFF || last == 0)
				outf(o, ",\"check\":null}");
			else {
				outf(o, ",\"check\":{\"latency_ms\":%.1f,"
				    "\"last\":%lld,\"last_error\":",
				    hs->latency_us / 1000.0,
				    (long long)(last / 1000));
				if ((e = last_error(hs, err,
				    sizeof(err))) != NULL)
					so_json(o, e);
				else
					outf(o, "null");
				outf(o, "}}");
			}
		}
		outf(o, "]}");
	}
	outf(o, "],\"routes\":[");
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct metrics_slot *ms = metrics_route_slot(i);

		outf(o, "%s{\"name\":", i ? "," : "");
		so_json(o, cfg->routes[i]->sec.name);
		outf(o, ",");
		json_codes(o, ms);
		outf(o, ",");
		json_quantiles(o, "duration_ms", ms);
		outf(o, "}");
	}
	outf(o, "],");

	outf(o, "\"cache\":{\"enabled\":%s,\"size_bytes\":%llu,"
	    "\"used_bytes\":%llu,\"entries\":%llu,\"hits\":%llu,"
	    "\"misses\":%llu,\"stale\":%llu,\"stores\":%llu,"
	    "\"evictions\":%llu},", cache_zone != NULL ? "true" : "false",
	    (unsigned long long)sm.cache_size,
	    (unsigned long long)sm.cache_bytes,
	    (unsigned long long)sm.cache_entries,
	    (unsigned long long)sm.cache[CS_HITS],
	    (unsigned long long)sm.cache[CS_MISSES],
	    (unsigned long long)sm.cache[CS_STALE],
	    (unsigned long long)sm.cache[CS_STORES],
	    (unsigned long long)sm.cache[CS_EVICTIONS]);
	outf(o, "\"tls\":{\"handshakes_full\":%llu,"
	    "\"handshakes_resumed\":%llu},",
	    (unsigned long long)cnt(env, CNT_TLS_FULL),
	    (unsigned long long)cnt(env, CNT_TLS_RESUMED));
	outf(o, "\"limits\":{\"rate_limited\":%llu,\"conn_limited\":%llu,"
	    "\"dry_run\":%llu}}\n",
	    (unsigned long long)cnt(env, CNT_RATE_LIMITED),
	    (unsigned long long)cnt(env, CNT_CONN_LIMITED),
	    (unsigned long long)cnt(env, CNT_LIMIT_DRY_RUN));
}

/* A duration of s seconds as "3d 4h 5m 6s", the largest units first. */
static void
html_duration(struct page_out *o, int64_t s)
{
	if (s >= 86400)
		outf(o, "%lldd ", (long long)(s / 86400));
	if (s >= 3600)
		outf(o, "%lldh ", (long long)(s / 3600 % 24));
	if (s >= 60)
		outf(o, "%lldm ", (long long)(s / 60 % 60));
	outf(o, "%llds", (long long)(s % 60));
}

static void
html_time(struct page_out *o, int64_t wall_ms)
{
	struct tm	tm;
	time_t		t = (time_t)(wall_ms / 1000);
	char		b[32];

	if (wall_ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		outf(o, "-");
	else
		outf(o, "%s", b);
}

static void
html_ms(struct page_out *o, double ms)
{
	if (ms < 0)
		outf(o, "<td>-</td>");
	else
		outf(o, "<td>%.1f ms</td>", ms);
}

static void
html_row(struct page_out *o, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
html_row(struct page_out *o, const char *name, const char *fmt, ...)
{
	char	v[128];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	outf(o, "<tr><th>%s</th><td>%s</td></tr>\n", name, v);
}

static void
render_html(struct page_out *o, const struct proc_env *env, int refresh_s)
{
	const struct config	*cfg = env->cfg;
	const struct status_zone *z = env->status;
	struct summary		 sm;
	int64_t			 now = now_ms();
	char			 err[sizeof(((struct health_slot *)0)->
				    last_error)];
	const char		*e;

	summarize(env, &sm);
	outf(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n");
	if (refresh_s > 0)
		outf(o, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    refresh_s);
	outf(o, "<title>frontd status</title>\n<style>\n"
	    "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
	    "table{border-collapse:collapse;margin-bottom:1em}\n"
	    "th,td{border:1px solid #ccc;padding:.2em .6em;"
	    "text-align:left}\n"
	    "th{background:#f0f0f0}\n"
	    ".up{color:#070}.down{color:#b00;font-weight:bold}"
	    ".drain,.unknown{color:#a60}\n"
	    "</style>\n</head>\n<body>\n<h1>frontd status</h1>\n<p>");
	html_time(o, sm.now_wall_ms);
	if (refresh_s > 0)
		outf(o, ", refreshed every %d s (<a href=\"?refresh=0\">stop"
		    "</a>)", refresh_s);
	outf(o, ". <a href=\"?json\">JSON</a></p>\n");

	outf(o, "<h2>Server</h2>\n<table>\n");
	html_row(o, "Version", "frontd %s", PACKAGE_VERSION);
	outf(o, "<tr><th>Started</th><td>");
	html_time(o, sm.started_wall_ms);
	outf(o, "</td></tr>\n<tr><th>Uptime</th><td>");
	html_duration(o, sm.uptime_s);
	outf(o, "</td></tr>\n");
	html_row(o, "Generation", "%d", env->generation);
	html_row(o, "Reloads", "%llu done, %llu refused",
	    (unsigned long long)cnt(env, CNT_RELOADS),
	    (unsigned long long)cnt(env, CNT_RELOAD_FAILURES));
	html_row(o, "Workers", "%d configured, %zu running",
	    cfg->global.workers, sm.nprocs);
	html_row(o, "Connections", "%llu open, %llu accepted",
	    (unsigned long long)sm.nconns,
	    (unsigned long long)cnt(env, CNT_ACCEPTED));
	html_row(o, "Requests", "%llu", (unsigned long long)cnt(env,
	    CNT_REQUESTS));
	if (sm.rate_known)
		html_row(o, "Requests per second", "%.2f (over %.0f s)",
		    per_second(&sm), (double)sm.rate.ms / 1000.0);
	else
		html_row(o, "Requests per second", "-");
	html_row(o, "Responses", "1xx %llu, 2xx %llu, 3xx %llu, 4xx %llu, "
	    "5xx %llu", (unsigned long long)cnt(env, CNT_STATUS_1XX),
	    (unsigned long long)cnt(env, CNT_STATUS_2XX),
	    (unsigned long long)cnt(env, CNT_STATUS_3XX),
	    (unsigned long long)cnt(env, CNT_STATUS_4XX),
	    (unsigned long long)cnt(env, CNT_STATUS_5XX));
	outf(o, "</table>\n");

	outf(o, "<h2>Workers</h2>\n<table>\n<tr><th>pid</th><th>generation"
	    "</th><th>connections</th><th>started</th></tr>\n");
	for (uint64_t i = 0; z != NULL && i < z->hdr.nslots; i++) {
		const struct status_worker *w = &z->workers[i];
		int32_t pid = atomic_load(&w->pid);
		int32_t gen = atomic_load(&w->generation);

		if (pid == 0)
			continue;
		outf(o, "<tr><td>%d</td><td>%d%s</td><td>%u</td><td>",
		    (int)pid, (int)gen, gen < env->generation ?
		    " (draining)" : "", (unsigned)atomic_load(&w->nconns));
		html_time(o, atomic_load(&w->started_wall_ms));
		outf(o, "</td></tr>\n");
	}
	outf(o, "</table>\n");

	outf(o, "<h2>Upstreams</h2>\n");
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		outf(o, "<h3>Upstream ");
		so_html(o, u->sec.name);
		outf(o, "</h3>\n<table>\n<tr><th>server</th><th>state</th>"
		    "<th>active</th><th>requests</th><th>failures</th>"
		    "<th>2xx</th><th>4xx</th><th>5xx</th><th>p50</th>"
		    "<th>p99</th><th>check latency</th><th>last check</th>"
		    "<th>last error</th></tr>\n");
		for (size_t j = 0; j < u->nservers; j++) {
			const struct cfg_server *sv = &u->servers[j];
			struct health_slot *hs =
			    &env->health->slots[u->slot0 + j];
			const struct metrics_slot *ms =
			    metrics_server_slot(u->slot0 + j);
			const char *st = server_state(u, sv, hs, now);
			int32_t a = atomic_load(&hs->active);
			int64_t last = atomic_load(&hs->last_check_ms);

			outf(o, "<tr><td>");
			so_html(o, sv->spec);
			outf(o, "%s</td><td class=\"%s\">%s</td><td>%d</td>"
			    "<td>%llu</td><td>%llu</td><td>%llu</td>"
			    "<td>%llu</td><td>%llu</td>",
			    sv->backup ? " (backup)" : "", st, st,
			    a > 0 ? (int)a : 0,
			    (unsigned long long)ld(&hs->requests),
			    (unsigned long long)(ms ? ld(&ms->errors) : 0),
			    (unsigned long long)(ms ? ld(&ms->codes[1]) : 0),
			    (unsigned long long)(ms ? ld(&ms->codes[3]) : 0),
			    (unsigned long long)(ms ? ld(&ms->codes[4]) : 0));
			html_ms(o, quantile(ms, 0.5));
			html_ms(o, quantile(ms, 0.99));
			if (u->check == CHECK_OFF || last == 0)
				outf(o, "<td>-</td><td>-</td><td>-</td>");
			else {
				html_ms(o, hs->latency_us / 1000.0);
				outf(o, "<td>");
				html_time(o, last);
				outf(o, "</td><td>");
				if ((e = last_error(hs, err,
				    sizeof(err))) != NULL)
					so_html(o, e);
				else
					outf(o, "-");
				outf(o, "</td>");
			}
			outf(o, "</tr>\n");
		}
		outf(o, "</table>\n");
	}

	outf(o, "<h2>Routes</h2>\n<table>\n<tr><th>route</th><th>2xx</th>"
	    "<th>3xx</th><th>4xx</th><th>5xx</th><th>p50</th><th>p99</th>"
	    "</tr>\n");
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct metrics_slot *ms = metrics_route_slot(i);

		outf(o, "<tr><td>");
		so_html(o, cfg->routes[i]->sec.name);
		outf(o, "</td>");
		for (int k = 1; k < 5; k++)
			outf(o, "<td>%llu</td>", (unsigned long long)(ms ?
			    ld(&ms->codes[k]) : 0));
		html_ms(o, quantile(ms, 0.5));
		html_ms(o, quantile(ms, 0.99));
		outf(o, "</tr>\n");
	}
	outf(o, "</table>\n");

	outf(o, "<h2>Cache</h2>\n<table>\n");
	if (cache_zone == NULL)
		html_row(o, "Cache", "off (no cache_size)");
	else {
		html_row(o, "Used", "%llu of %llu bytes (%.1f%%)",
		    (unsigned long long)sm.cache_bytes,
		    (unsigned long long)sm.cache_size, sm.cache_size ?
		    100.0 * (double)sm.cache_bytes /
		    (double)sm.cache_size : 0);
		html_row(o, "Entries", "%llu",
		    (unsigned long long)sm.cache_entries);
		html_row(o, "Hits", "%llu",
		    (unsigned long long)sm.cache[CS_HITS]);
		html_row(o, "Misses", "%llu",
		    (unsigned long long)sm.cache[CS_MISSES]);
		html_row(o, "Stale served", "%llu",
		    (unsigned long long)sm.cache[CS_STALE]);
		html_row(o, "Evictions", "%llu",
		    (unsigned long long)sm.cache[CS_EVICTIONS]);
	}
	outf(o, "</table>\n");

	outf(o, "<h2>TLS</h2>\n<table>\n");
	html_row(o, "Full handshakes", "%llu",
	    (unsigned long long)cnt(env, CNT_TLS_FULL));
	html_row(o, "Resumed handshakes", "%llu",
	    (unsigned long long)cnt(env, CNT_TLS_RESUMED));
	outf(o, "</table>\n");

	outf(o, "<h2>Limits</h2>\n<table>\n");
	html_row(o, "Refused by rate_limit", "%llu",
	    (unsigned long long)cnt(env, CNT_RATE_LIMITED));
	html_row(o, "Refused by limit_conn", "%llu",
	    (unsigned long long)cnt(env, CNT_CONN_LIMITED));
	html_row(o, "Would be refused (dry_run)", "%llu",
	    (unsigned long long)cnt(env, CNT_LIMIT_DRY_RUN));
	outf(o, "</table>\n</body>\n</html>\n");
}
