/*
 * The metrics page, in the Prometheus text format: every family with its
 * # HELP and # TYPE, counters named _total, units in the names. Requests
 * are counted here per route, per upstream and per server, in the slots
 * of the shared metrics zone that metrics_init() found for this worker's
 * configuration: a few relaxed atomic adds per request, no lookups.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/metrics_zone.h"
#include "common/proc.h"
#include "common/shm.h"
#include "common/tls.h"
#include "common/util.h"
#include "worker/cache.h"
#include "worker/metrics.h"
#include "worker/req.h"

#define PAGES_MAX	8		/* pages being sent at once */
#define PAGE_START	(16 * 1024)
#define PAGE_MAX	(16 * 1024 * 1024)

/* One page's text, held while a client still takes it. */
struct page {
	char		*buf;
	size_t		 room;
	size_t		 len;
	bool		 held;
};

/* Where the page is written; full once something did not fit. */
static struct {
	const struct proc_env	 *env;
	struct metrics_slot	**route;	/* by route index */
	struct metrics_slot	**up;		/* by upstream index */
	struct metrics_slot	**srv;		/* by health slot */
	struct page		  pages[PAGES_MAX];
} X;

static void	mo_label(struct page_out *, const char *);
static void	mo_family(struct page_out *, const char *, const char *,
		    const char *);
static size_t	render_page(void *, char *, size_t);
static void	render(struct page_out *, const struct proc_env *);
static void	render_counters(struct page_out *, const struct proc_env *);
static void	render_routes(struct page_out *, const struct config *);
static void	render_upstreams(struct page_out *, const struct proc_env *);
static void	render_codes(struct page_out *, const char *,
		    const struct metrics_slot *, const char *, const char *,
		    const char *, const char *);
static void	render_histogram(struct page_out *, const char *,
		    const struct metrics_slot *, const char *, const char *,
		    const char *, const char *);

static struct metrics_slot *
slot_of(const struct proc_env *env, const char *kind, const char *a,
    const char *b)
{
	char	key[SHM_KEY_LEN];

	metrics_key(key, sizeof(key), kind, a, b);
	return metrics_zone_find(env->metrics, key);
}

/*
 * The slots of this worker's routes, upstreams and servers; NULL where
 * the zone had no room (not counted, not shown). TLS handshakes are
 * counted from here on.
 */
void
metrics_init(const struct proc_env *env)
{
	const struct config	*cfg = env->cfg;
	size_t			 k = 0;

	X.env = env;
	X.route = xcalloc(cfg->nroutes + 1, sizeof(*X.route));
	X.up = xcalloc(cfg->nupstreams + 1, sizeof(*X.up));
	X.srv = xcalloc(config_nservers(cfg) + 1, sizeof(*X.srv));
	for (size_t i = 0; i < cfg->nroutes; i++)
		X.route[i] = slot_of(env, "route", cfg->routes[i]->sec.name,
		    NULL);
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		X.up[i] = slot_of(env, "upstream", u->sec.name, NULL);
		for (size_t j = 0; j < u->nservers; j++)
			X.srv[k++] = slot_of(env, "server", u->sec.name,
			    u->servers[j].spec);
	}
	tls_count_handshakes(env->counters);
}

static inline void
add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_fetch_add_explicit(p, n, memory_order_relaxed);
}

/* A request ended: its route's status class and duration; the answer of
 * the upstream's server that gave one, and how long that took. */
void
metrics_count(const struct req *r, int64_t now_ms)
{
	struct metrics_slot	*s;
	int64_t			 ms;

	if (r->route >= 0 && (s = X.route[r->route]) != NULL &&
	    r->status >= 100 && r->status < 600) {
		ms = now_ms - r->start_ms;
		add(&s->codes[r->status / 100 - 1], 1);
		add(&s->le[metrics_bucket(ms)], 1);
		add(&s->sum_ms, (uint64_t)(ms > 0 ? ms : 0));
	}
	if (r->upstream < 0 || r->up_status < 100 || r->up_status >= 600 ||
	    r->from_cache)
		return;
	if ((s = X.up[r->upstream]) != NULL)
		add(&s->codes[r->up_status / 100 - 1], 1);
	if (r->slot >= 0 && (s = X.srv[r->slot]) != NULL) {
		add(&s->codes[r->up_status / 100 - 1], 1);
		if (r->up_start_ms != 0) {
			ms = (r->up_end_ms ? r->up_end_ms : now_ms) -
			    r->up_start_ms;
			add(&s->le[metrics_bucket(ms)], 1);
			add(&s->sum_ms, (uint64_t)(ms > 0 ? ms : 0));
		}
	}
}

/* A try charged to a server (balance_failed): its and its upstream's. */
void
metrics_failed(int upstream, int slot)
{
	if (upstream >= 0 && X.up[upstream] != NULL)
		add(&X.up[upstream]->errors, 1);
	if (slot >= 0 && X.srv[slot] != NULL)
		add(&X.srv[slot]->errors, 1);
}

/*
 * The page, in a buffer of its own that stays put until the client has
 * taken it (metrics_page_hold, metrics_page_put). NULL when every buffer
 * is still being sent or there is no memory.
 */
const char *
metrics_page(const struct proc_env *env, size_t *len)
{
	return metrics_page_render(render_page, (void *)env, len);
}

/*
 * A page that fn writes (its length, or (size_t)-1 when it did not fit
 * in room) in one of the held buffers, grown up to PAGE_MAX; the status
 * page uses them too. NULL as metrics_page.
 */
const char *
metrics_page_render(metrics_render_fn *fn, void *arg, size_t *len)
{
	struct page	*pg = NULL;
	size_t		 n;
	char		*p;

	for (size_t i = 0; i < PAGES_MAX && pg == NULL; i++)
		if (!X.pages[i].held)
			pg = &X.pages[i];
	if (pg == NULL)
		return NULL;
	for (;;) {
		if (pg->buf == NULL) {
			if ((pg->buf = malloc(PAGE_START)) == NULL)
				return NULL;
			pg->room = PAGE_START;
		}
		if ((n = fn(arg, pg->buf, pg->room)) != (size_t)-1)
			break;
		if (pg->room >= PAGE_MAX ||
		    (p = realloc(pg->buf, pg->room * 2)) == NULL)
			return NULL;
		pg->buf = p;
		pg->room *= 2;
	}
	pg->len = n;
	pg->held = true;
	*len = n;
	return pg->buf;
}

/* The slot of route i, or of the server in health slot i; NULL if none. */
const struct metrics_slot *
metrics_route_slot(size_t i)
{
	return i < X.env->cfg->nroutes ? X.route[i] : NULL;
}

const struct metrics_slot *
metrics_server_slot(size_t i)
{
	return i < config_nservers(X.env->cfg) ? X.srv[i] : NULL;
}

/* The answer took page; unsent is where its unsent rest begins, or NULL
 * when it went out with the head: then the page is free again. */
void
metrics_page_hold(const char *page, const char *unsent)
{
	for (size_t i = 0; i < PAGES_MAX; i++)
		if (X.pages[i].buf == page)
			X.pages[i].held = unsent != NULL &&
			    unsent >= page && unsent <= page + X.pages[i].len;
}

/* A request ended with unsent (its local body's position): the page it
 * points into, if any, is free. */
void
metrics_page_put(const char *unsent)
{
	for (size_t i = 0; i < PAGES_MAX; i++) {
		struct page *pg = &X.pages[i];

		if (pg->held && unsent >= pg->buf &&
		    unsent <= pg->buf + pg->len)
			pg->held = false;
	}
}

/* ------------------------------------------------------------ page --- */

static size_t
render_page(void *arg, char *dst, size_t room)
{
	struct page_out	o = { dst, 0, room, false };

	render(&o, arg);
	return o.full ? (size_t)-1 : o.n;
}

void
outf(struct page_out *o, const char *fmt, ...)
{
	va_list	ap;
	int	k;

	if (o->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->p + o->n, o->room - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->room - o->n)
		o->full = true;
	else
		o->n += (size_t)k;
}

/* A label value, escaped as the text format wants. */
static void
mo_label(struct page_out *o, const char *v)
{
	for (; v != NULL && *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			outf(o, "\\%c", *v);
		else if (*v == '\n')
			outf(o, "\\n");
		else
			outf(o, "%c", *v);
}

static void
mo_family(struct page_out *o, const char *name, const char *type,
    const char *help)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render(struct page_out *o, const struct proc_env *env)
{
	size_t	n;

	render_counters(o, env);
	render_routes(o, env->cfg);
	render_upstreams(o, env);
	if (o->full)
		return;
	n = cache_metrics(env, o->p + o->n, o->room - o->n);
	if (n == (size_t)-1)
		o->full = true;
	else
		o->n += n;
}

static uint64_t
cnt(const struct proc_env *env, enum counter c)
{
	return atomic_load_explicit(&env->counters->c[c],
	    memory_order_relaxed);
}

/* The process-wide counters, one family each or a label per counter. */
static void
render_counters(struct page_out *o, const struct proc_env *env)
{
	static const struct {
		enum counter	 c;
		const char	*name;
		const char	*help;
	} one[] = {
		{ CNT_ACCEPTED, "frontd_connections_accepted_total",
		    "Client connections accepted." },
		{ CNT_RECLAIMED, "frontd_connections_reclaimed_total",
		    "Idle keep-alive connections closed to make room at "
		    "max_connections." },
		{ CNT_REQUESTS, "frontd_requests_total",
		    "Requests read from clients." },
		{ CNT_BYTES_IN, "frontd_bytes_in_total",
		    "Bytes read from clients." },
		{ CNT_BYTES_OUT, "frontd_bytes_out_total",
		    "Bytes sent to clients, heads included." },
		{ CNT_UPSTREAM_ERRORS, "frontd_upstream_errors_total",
		    "Upstream failures: tries that failed and requests that "
		    "found no live server." },
		{ CNT_COMPRESSED, "frontd_compressed_responses_total",
		    "Responses compressed on the fly." },
		{ CNT_LIMIT_DRY_RUN, "frontd_requests_limited_dry_run_total",
		    "Requests a limit in dry_run would have refused." },
		{ CNT_RELOADS, "frontd_reloads_total",
		    "Reloads that took effect." },
		{ CNT_RELOAD_FAILURES, "frontd_reload_failures_total",
		    "Reloads refused (a bad configuration) or rolled back "
		    "(the new workers did not start)." },
		{ CNT_WORKER_RESPAWNS, "frontd_worker_respawns_total",
		    "Processes started again after they died." },
	};
	static const char *const cls[] = { "1xx", "2xx", "3xx", "4xx",
	    "5xx" };

	for (size_t i = 0; i < nitems(one); i++) {
		mo_family(o, one[i].name, "counter", one[i].help);
		outf(o, "%s %llu\n", one[i].name,
		    (unsigned long long)cnt(env, one[i].c));
	}
	mo_family(o, "frontd_responses_total", "counter",
	    "Responses sent to clients, by status class.");
	for (int i = 0; i < 5; i++)
		outf(o, "frontd_responses_total{class=\"%s\"} %llu\n", cls[i],
		    (unsigned long long)cnt(env, CNT_STATUS_1XX + i));
	mo_family(o, "frontd_client_errors_total", "counter",
	    "Client connections that failed, by reason.");
	outf(o, "frontd_client_errors_total{reason=\"timeout\"} %llu\n"
	    "frontd_client_errors_total{reason=\"aborted\"} %llu\n"
	    "frontd_client_errors_total{reason=\"proxy_protocol\"} %llu\n",
	    (unsigned long long)cnt(env, CNT_CLIENT_TIMEOUTS),
	    (unsigned long long)cnt(env, CNT_CLIENT_ABORTS),
	    (unsigned long long)cnt(env, CNT_CLIENT_PROXY));
	mo_family(o, "frontd_requests_limited_total", "counter",
	    "Requests refused by a limit, by kind of limit.");
	outf(o, "frontd_requests_limited_total{limit=\"rate_limit\"} %llu\n"
	    "frontd_requests_limited_total{limit=\"limit_conn\"} %llu\n",
	    (unsigned long long)cnt(env, CNT_RATE_LIMITED),
	    (unsigned long long)cnt(env, CNT_CONN_LIMITED));
	mo_family(o, "frontd_tls_handshakes_total", "counter",
	    "TLS handshakes with clients completed, in full or resuming a "
	    "session.");
	outf(o, "frontd_tls_handshakes_total{type=\"full\"} %llu\n"
	    "frontd_tls_handshakes_total{type=\"resumed\"} %llu\n",
	    (unsigned long long)cnt(env, CNT_TLS_FULL),
	    (unsigned long long)cnt(env, CNT_TLS_RESUMED));
}

static void
render_routes(struct page_out *o, const struct config *cfg)
{
	mo_family(o, "frontd_route_requests_total", "counter",
	    "Requests answered per route, by status class.");
	for (size_t i = 0; i < cfg->nroutes; i++)
		render_codes(o, "frontd_route_requests_total", X.route[i],
		    "route", cfg->routes[i]->sec.name, NULL, NULL);
	mo_family(o, "frontd_route_request_duration_seconds", "histogram",
	    "Time from a request's first byte to its last byte sent, per "
	    "route.");
	for (size_t i = 0; i < cfg->nroutes; i++)
		render_histogram(o, "frontd_route_request_duration_seconds",
		    X.route[i], "route", cfg->routes[i]->sec.name, NULL, NULL);
}

/* The state of a server as the balancer sees it. */
const char *
metrics_server_state(const struct cfg_server *sv, struct health_slot *hs,
    int64_t now_ms)
{
	int64_t		until = atomic_load(&hs->down_until_ms);
	uint32_t	admin = atomic_load_explicit(&hs->admin_state,
			    memory_order_relaxed);

	/* frontdctl's word first: it overrides the file. */
	if (admin == ADMIN_MAINT)
		return "maint";
	if ((sv->down && admin != ADMIN_READY) ||
	    atomic_load(&hs->state) == HEALTH_DOWN ||
	    (until != 0 && now_ms < until))
		return "down";
	if (admin == ADMIN_DRAIN || (sv->drain && admin != ADMIN_READY))
		return "drain";
	if (atomic_load(&hs->state) == HEALTH_UNKNOWN)
		return "unknown";
	return "up";
}

static void
render_upstreams(struct page_out *o, const struct proc_env *env)
{
	static const char *const states[] = { "up", "down", "drain",
	    "maint", "unknown" };
	const struct config	*cfg = env->cfg;
	int64_t			 now = now_ms();
	size_t			 i, j;

	mo_family(o, "frontd_upstream_responses_total", "counter",
	    "Responses received from the servers of an upstream, by status "
	    "class.");
	for (i = 0; i < cfg->nupstreams; i++)
		render_codes(o, "frontd_upstream_responses_total", X.up[i],
		    "upstream", cfg->upstreams[i]->sec.name, NULL, NULL);
	mo_family(o, "frontd_upstream_failures_total", "counter",
	    "Tries that failed on a server of an upstream and were charged "
	    "to it (connect, send or read errors, timeouts).");
	for (i = 0; i < cfg->nupstreams; i++) {
		if (X.up[i] == NULL)
			continue;
		outf(o, "frontd_upstream_failures_total{upstream=\"");
		mo_label(o, cfg->upstreams[i]->sec.name);
		outf(o, "\"} %llu\n", (unsigned long long)atomic_load(
		    &X.up[i]->errors));
	}

#define EACH_SERVER(body) do {						\
	for (i = 0; i < cfg->nupstreams; i++)				\
		for (j = 0; j < cfg->upstreams[i]->nservers; j++) {	\
			const struct cfg_upstream *u = cfg->upstreams[i]; \
			const struct cfg_server *sv = &u->servers[j];	\
			struct health_slot *hs =			\
			    &env->health->slots[u->slot0 + j];		\
			struct metrics_slot *ms = X.srv[u->slot0 + j];	\
			(void)sv; (void)hs; (void)ms;			\
			body;						\
		}							\
} while (0)
#define SERVER_LABELS() do {						\
	outf(o, "{upstream=\"");					\
	mo_label(o, u->sec.name);					\
	outf(o, "\",server=\"");					\
	mo_label(o, sv->spec);						\
	outf(o, "\"");							\
} while (0)

	mo_family(o, "frontd_server_up", "gauge",
	    "1 when a server may be sent requests (not down, by the file, "
	    "the health check or passive checks), else 0.");
	EACH_SERVER({
		const char *st = metrics_server_state(sv, hs, now);

		outf(o, "frontd_server_up");
		SERVER_LABELS();
		outf(o, "} %d\n", strcmp(st, "up") == 0 ||
		    strcmp(st, "unknown") == 0);
	});
	mo_family(o, "frontd_server_state", "gauge",
	    "A server's state: 1 for the state it is in (up, down, drain, "
	    "maint or unknown: not checked yet), 0 for the others.");
	EACH_SERVER({
		const char *st = metrics_server_state(sv, hs, now);

		for (size_t k = 0; k < nitems(states); k++) {
			outf(o, "frontd_server_state");
			SERVER_LABELS();
			outf(o, ",state=\"%s\"} %d\n", states[k],
			    strcmp(st, states[k]) == 0);
		}
	});
	mo_family(o, "frontd_server_backup", "gauge",
	    "1 for a backup server, used only when every other is down.");
	EACH_SERVER({
		outf(o, "frontd_server_backup");
		SERVER_LABELS();
		outf(o, "} %d\n", sv->backup ? 1 : 0);
	});
	mo_family(o, "frontd_server_active_connections", "gauge",
	    "Requests in progress on a server, all workers together.");
	EACH_SERVER({
		int32_t a = atomic_load(&hs->active);

		outf(o, "frontd_server_active_connections");
		SERVER_LABELS();
		outf(o, "} %d\n", a > 0 ? (int)a : 0);
	});
	mo_family(o, "frontd_server_responses_total", "counter",
	    "Responses received from a server, by status class.");
	EACH_SERVER(render_codes(o, "frontd_server_responses_total", ms,
	    "upstream", u->sec.name, "server", sv->spec));
	mo_family(o, "frontd_server_failures_total", "counter",
	    "Tries that failed on a server and were charged to it.");
	EACH_SERVER({
		if (ms != NULL) {
			outf(o, "frontd_server_failures_total");
			SERVER_LABELS();
			outf(o, "} %llu\n", (unsigned long long)atomic_load(
			    &ms->errors));
		}
	});
	mo_family(o, "frontd_server_response_duration_seconds", "histogram",
	    "Time from sending a request to a server to the end of its "
	    "response.");
	EACH_SERVER(render_histogram(o,
	    "frontd_server_response_duration_seconds", ms, "upstream",
	    u->sec.name, "server", sv->spec));
#undef SERVER_LABELS
#undef EACH_SERVER
}

static void
labels(struct page_out *o, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	outf(o, "%s=\"", k1);
	mo_label(o, v1);
	outf(o, "\"");
	if (k2 != NULL) {
		outf(o, ",%s=\"", k2);
		mo_label(o, v2);
		outf(o, "\"");
	}
}

static void
render_codes(struct page_out *o, const char *name, const struct metrics_slot *s,
    const char *k1, const char *v1, const char *k2, const char *v2)
{
	if (s == NULL)
		return;
	for (int i = 0; i < 5; i++) {
		outf(o, "%s{", name);
		labels(o, k1, v1, k2, v2);
		outf(o, ",code=\"%dxx\"} %llu\n", i + 1, (unsigned long long)
		    atomic_load_explicit(&s->codes[i], memory_order_relaxed));
	}
}

/* Buckets are kept apart; the page adds them up, as le wants. */
static void
render_histogram(struct page_out *o, const char *name,
    const struct metrics_slot *s, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	uint64_t	total = 0;

	if (s == NULL)
		return;
	for (int i = 0; i <= METRICS_NBUCKETS; i++) {
		total += atomic_load_explicit(&s->le[i],
		    memory_order_relaxed);
		outf(o, "%s_bucket{", name);
		labels(o, k1, v1, k2, v2);
		if (i < METRICS_NBUCKETS)
			outf(o, ",le=\"%g\"} %llu\n",
			    metrics_bucket_ms[i] / 1000.0,
			    (unsigned long long)total);
		else
			outf(o, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)total);
	}
	outf(o, "%s_sum{", name);
	labels(o, k1, v1, k2, v2);
	outf(o, "} %.3f\n%s_count{", (double)atomic_load_explicit(&s->sum_ms,
	    memory_order_relaxed) / 1000.0, name);
	labels(o, k1, v1, k2, v2);
	outf(o, "} %llu\n", (unsigned long long)total);
}
