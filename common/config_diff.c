/*
 * What a reload changes. Sections are matched by kind and name, servers
 * by upstream and HOST:PORT; within a section every row of its key table
 * is compared: a typed row by the value it stored (so "30s" and "30000ms"
 * are the same), any other by the text it was given (cfg_section.raw).
 * Only what the files say is compared: a certificate or a page renewed
 * under the same path is not a change here, nor is a key written in
 * neither file whose default follows another key (a listener's http2
 * follows tls): the other key's line says it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_diff.h"
#include "common/config_int.h"
#include "common/util.h"

#define SHOW_MAX	64	/* longer values are "changed", not shown */

enum diff_kind { D_LISTENER, D_ROUTE, D_UPSTREAM, D_SERVER, D_NKINDS };
enum diff_how { D_ADDED, D_REMOVED, D_CHANGED, D_NHOWS };

static const char *const kind_names[D_NKINDS][2] = {
	[D_LISTENER] = { "listener", "listeners" },
	[D_ROUTE] = { "route", "routes" },
	[D_UPSTREAM] = { "upstream", "upstreams" },
	[D_SERVER] = { "server", "servers" },
};
static const char *const how_names[D_NHOWS] = {
	[D_ADDED] = "added", [D_REMOVED] = "removed", [D_CHANGED] = "changed",
};

/*
 * Keys whose values are never shown, only said to have changed: a header
 * set on requests or responses may carry a credential.
 */
static const char *const quiet_keys[] = {
	"set_request_header", "set_response_header", NULL
};

/* A line being built. */
struct text {
	char	*s;
	size_t	 len, size;
};

struct diff {
	struct config_diff	*out;
	size_t			 count[D_NKINDS][D_NHOWS];
	bool			 global;	/* a [global] key changed */
	bool			 order;	/* routes in another order */
};

static void	 text_add(struct text *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 line_add(struct diff *, char *);
static void	 keys_compare(const struct cfg_key *, const void *,
		    const void *, struct text *);
static bool	 key_same(const struct cfg_key *, int, const void *,
		    const void *);
static void	 key_show(const struct cfg_key *, int, const void *, char *,
		    size_t);
static void	 listeners_compare(struct diff *, const struct config *,
		    const struct config *);
static void	 routes_compare(struct diff *, const struct config *,
		    const struct config *);
static void	 upstreams_compare(struct diff *, const struct config *,
		    const struct config *);
static void	 servers_compare(struct diff *, const struct cfg_upstream *,
		    const struct cfg_upstream *);
static void	 summary_build(struct diff *);

/*
 * The changes from old to new, both loaded without errors. The caller
 * frees the result with config_diff_free().
 */
struct config_diff *
config_diff(const struct config *old, const struct config *new)
{
	struct diff	 d;
	struct text	 t = { NULL, 0, 0 };

	memset(&d, 0, sizeof(d));
	d.out = xcalloc(1, sizeof(*d.out));
	listeners_compare(&d, old, new);
	routes_compare(&d, old, new);
	upstreams_compare(&d, old, new);
	keys_compare(cfg_global_keys, &old->global, &new->global, &t);
	if (t.s != NULL) {
		line_add(&d, xasprintf("global changed: %s", t.s));
		d.global = true;
		free(t.s);
	}
	summary_build(&d);
	return d.out;
}

void
config_diff_free(struct config_diff *cd)
{
	if (cd == NULL)
		return;
	for (size_t i = 0; i < cd->nlines; i++)
		free(cd->lines[i]);
	free(cd->lines);
	free(cd->summary);
	free(cd);
}

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (t->len + (size_t)n + 1 > t->size) {
		t->size = (t->len + (size_t)n + 1) * 2;
		t->s = xrealloc(t->s, t->size, 1);
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* The diff now owns line. */
static void
line_add(struct diff *d, char *line)
{
	struct config_diff	*cd = d->out;

	cd->lines = xrealloc(cd->lines, cd->nlines + 1, sizeof(*cd->lines));
	cd->lines[cd->nlines++] = line;
}

/* The section named name in list, or NULL. */
static const struct cfg_section *
section_find(void *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_section *s = list[i];

		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static int
key_index(const struct cfg_key *keys, const char *name)
{
	for (int i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Appends "KEY OLD -> NEW" (or "KEY changed") to t for each key of the
 * table whose value differs between sections a and b, comma-separated.
 * The upstreams' servers are compared one by one instead.
 */
static void
keys_compare(const struct cfg_key *keys, const void *a, const void *b,
    struct text *t)
{
	const struct cfg_section	*sa = a, *sb = b;
	char				 va[SHOW_MAX + 1], vb[SHOW_MAX + 1];
	bool				 quiet;

	for (int i = 0; keys[i].name != NULL; i++) {
		if (keys == cfg_upstream_keys &&
		    strcmp(keys[i].name, "server") == 0)
			continue;
		if (key_same(&keys[i], i, a, b))
			continue;
		quiet = false;
		for (int q = 0; quiet_keys[q] != NULL; q++)
			if (strcmp(quiet_keys[q], keys[i].name) == 0)
				quiet = true;
		key_show(&keys[i], i, a, va, sizeof(va));
		key_show(&keys[i], i, b, vb, sizeof(vb));
		if (t->len > 0)
			text_add(t, ", ");
		/* A typed value the same as text but not as value: say so. */
		if (quiet || va[0] == '\0' || vb[0] == '\0' ||
		    strcmp(va, vb) == 0 || (sa->raw[i] != NULL &&
		    sb->raw[i] != NULL && strcmp(sa->raw[i], sb->raw[i]) == 0))
			text_add(t, "%s changed", keys[i].name);
		else
			text_add(t, "%s %s -> %s", keys[i].name, va, vb);
	}
}

/* Whether key k (row i) has the same value in sections a and b. */
static bool
key_same(const struct cfg_key *k, int i, const void *a, const void *b)
{
	const struct cfg_section	*sa = a, *sb = b;
	const char			*pa = (const char *)a + k->off;
	const char			*pb = (const char *)b + k->off;
	const char			*x, *y;

	if (sa->raw[i] == NULL && sb->raw[i] == NULL)
		return true;	/* a default in both */
	switch (k->type) {
	case CFG_T_FN:
		x = sa->raw[i];
		y = sb->raw[i];
		break;
	case CFG_T_STR:
	case CFG_T_PATH:
		memcpy(&x, pa, sizeof(x));
		memcpy(&y, pb, sizeof(y));
		break;
	default:
		return memcmp(pa, pb, k->size) == 0;
	}
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

/* "10G" for 10 GiB; plain bytes when no unit divides it. */
static void
show_size(char *buf, size_t len, uint64_t n)
{
	static const char	 units[] = "KMG";
	int			 u = -1;

	while (u < 2 && n != 0 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)n, units[u]);
}

/*
 * The value of key k (row i) in section s, for a message: the text as
 * written if it was given, else a typed row's default as the key would
 * be written, else "(unset)". A list's values are comma-separated. An
 * empty buf means it is too long to show.
 */
static void
key_show(const struct cfg_key *k, int i, const void *s, char *buf,
    size_t len)
{
	const struct cfg_section	*sec = s;
	const char			*p = (const char *)s + k->off;
	const char			*str;
	uint64_t			 u64 = 0;
	uint32_t			 u32 = 0;
	int64_t				 ms;
	int				 n;
	bool				 b;

	if (sec->raw[i] != NULL) {
		size_t	o = 0;

		for (const char *c = sec->raw[i]; *c != '\0'; c++) {
			if (o + 2 >= len) {
				buf[0] = '\0';
				return;
			}
			if (*c == '\n') {
				buf[o++] = ',';
				buf[o++] = ' ';
			} else
				buf[o++] = *c;
		}
		buf[o] = '\0';
		return;
	}
	switch (k->type) {
	case CFG_T_BOOL:
		memcpy(&b, p, sizeof(b));
		snprintf(buf, len, "%s", b ? "on" : "off");
		break;
	case CFG_T_INT:
		if (k->size == sizeof(u64)) {
			memcpy(&u64, p, sizeof(u64));
			snprintf(buf, len, "%lld", (long long)u64);
		} else {
			memcpy(&u32, p, sizeof(u32));
			if (k->min < 0)
				snprintf(buf, len, "%d", (int32_t)u32);
			else
				snprintf(buf, len, "%u", u32);
		}
		break;
	case CFG_T_DURATION:
		memcpy(&ms, p, sizeof(ms));
		fmt_duration(buf, len, ms);
		break;
	case CFG_T_SIZE:
		if (k->size == sizeof(u64))
			memcpy(&u64, p, sizeof(u64));
		else {
			memcpy(&u32, p, sizeof(u32));
			u64 = u32;
		}
		if (u64 == UINT64_MAX)
			snprintf(buf, len, "(unset)");
		else
			show_size(buf, len, u64);
		break;
	case CFG_T_ENUM:
		memcpy(&n, p, sizeof(n));
		snprintf(buf, len, "%s", n >= 0 ? k->names[n] : "(unset)");
		break;
	case CFG_T_STR:
	case CFG_T_PATH:
		memcpy(&str, p, sizeof(str));
		if (str != NULL && strlen(str) >= len)
			buf[0] = '\0';
		else
			snprintf(buf, len, "%s", str != NULL ? str : "(unset)");
		break;
	default:
		snprintf(buf, len, "(unset)");
		break;
	}
}

static void
listeners_compare(struct diff *d, const struct config *old,
    const struct config *new)
{
	const struct cfg_section	*s;
	const struct cfg_listener	*li;
	struct text			 t;
	int				 addr = key_index(cfg_listener_keys,
					    "address");

	for (size_t i = 0; i < new->nlisteners; i++) {
		li = new->listeners[i];
		s = section_find((void *const *)old->listeners,
		    old->nlisteners, li->sec.name);
		memset(&t, 0, sizeof(t));
		if (s == NULL) {
			text_add(&t, "listener %s added", li->sec.name);
			if (li->sec.raw[addr] != NULL) {
				char	v[SHOW_MAX + 1];

				key_show(&cfg_listener_keys[addr], addr, li,
				    v, sizeof(v));
				if (v[0] != '\0')
					text_add(&t, " (%s%s)", v,
					    li->tls ? ", tls" : "");
			}
			line_add(d, t.s);
			d->count[D_LISTENER][D_ADDED]++;
			continue;
		}
		keys_compare(cfg_listener_keys, s, li, &t);
		if (t.s == NULL)
			continue;
		line_add(d, xasprintf("listener %s changed: %s", li->sec.name,
		    t.s));
		free(t.s);
		d->count[D_LISTENER][D_CHANGED]++;
	}
	for (size_t i = 0; i < old->nlisteners; i++)
		if (section_find((void *const *)new->listeners,
		    new->nlisteners, old->listeners[i]->sec.name) == NULL) {
			line_add(d, xasprintf("listener %s removed",
			    old->listeners[i]->sec.name));
			d->count[D_LISTENER][D_REMOVED]++;
		}
}

/*
 * Routes, and their order: routes that could take the same request are
 * tried in the order written, so moving one is a change of its own.
 */
static void
routes_compare(struct diff *d, const struct config *old,
    const struct config *new)
{
	const struct cfg_section	*s;
	const struct cfg_route		*r;
	struct text			 t;
	size_t				 j = 0;

	for (size_t i = 0; i < new->nroutes; i++) {
		r = new->routes[i];
		s = section_find((void *const *)old->routes, old->nroutes,
		    r->sec.name);
		if (s == NULL) {
			line_add(d, xasprintf("route %s added", r->sec.name));
			d->count[D_ROUTE][D_ADDED]++;
			continue;
		}
		memset(&t, 0, sizeof(t));
		keys_compare(cfg_route_keys, s, r, &t);
		if (t.s == NULL)
			continue;
		line_add(d, xasprintf("route %s changed: %s", r->sec.name,
		    t.s));
		free(t.s);
		d->count[D_ROUTE][D_CHANGED]++;
	}
	for (size_t i = 0; i < old->nroutes; i++)
		if (section_find((void *const *)new->routes, new->nroutes,
		    old->routes[i]->sec.name) == NULL) {
			line_add(d, xasprintf("route %s removed",
			    old->routes[i]->sec.name));
			d->count[D_ROUTE][D_REMOVED]++;
		}
	/* The routes in both, in the old order and in the new. */
	for (size_t i = 0; i < new->nroutes && !d->order; i++) {
		const char *name = new->routes[i]->sec.name;

		if (section_find((void *const *)old->routes, old->nroutes,
		    name) == NULL)
			continue;
		while (j < old->nroutes && section_find(
		    (void *const *)new->routes, new->nroutes,
		    old->routes[j]->sec.name) == NULL)
			j++;
		if (j == old->nroutes ||
		    strcmp(old->routes[j]->sec.name, name) != 0)
			d->order = true;
		j++;
	}
	if (d->order)
		line_add(d, xstrdup("route order changed"));
}

static void
upstreams_compare(struct diff *d, const struct config *old,
    const struct config *new)
{
	const struct cfg_section	*s;
	const struct cfg_upstream	*u;
	struct text			 t;

	for (size_t i = 0; i < new->nupstreams; i++) {
		u = new->upstreams[i];
		s = section_find((void *const *)old->upstreams,
		    old->nupstreams, u->sec.name);
		if (s == NULL) {
			line_add(d, xasprintf("upstream %s added (%zu "
			    "server%s)", u->sec.name, u->nservers,
			    u->nservers == 1 ? "" : "s"));
			d->count[D_UPSTREAM][D_ADDED]++;
			continue;
		}
		memset(&t, 0, sizeof(t));
		keys_compare(cfg_upstream_keys, s, u, &t);
		if (t.s != NULL) {
			line_add(d, xasprintf("upstream %s changed: %s",
			    u->sec.name, t.s));
			free(t.s);
			d->count[D_UPSTREAM][D_CHANGED]++;
		}
		servers_compare(d, (const struct cfg_upstream *)s, u);
	}
	for (size_t i = 0; i < old->nupstreams; i++)
		if (section_find((void *const *)new->upstreams,
		    new->nupstreams, old->upstreams[i]->sec.name) == NULL) {
			line_add(d, xasprintf("upstream %s removed",
			    old->upstreams[i]->sec.name));
			d->count[D_UPSTREAM][D_REMOVED]++;
		}
}

static const struct cfg_server *
server_find(const struct cfg_upstream *u, const char *spec)
{
	for (size_t i = 0; i < u->nservers; i++)
		if (strcmp(u->servers[i].spec, spec) == 0)
			return &u->servers[i];
	return NULL;
}

/* What the file says of a server: in service, drain or down. */
static const char *
server_state(const struct cfg_server *s)
{
	if (s->down)
		return "down";
	if (s->drain)
		return "drain";
	return "in service";
}

static const char *
server_pp(const struct cfg_server *s)
{
	return s->proxy_protocol == 0 ? "off" : s->proxy_protocol == 1 ?
	    "v1" : "v2";
}

/* A server's settings that differ from the defaults: " (weight 3, ...)". */
static void
server_describe(struct text *t, const struct cfg_server *s)
{
	size_t	len = t->len;

	if (s->weight != 1)
		text_add(t, "%sweight %d", t->len > len ? ", " : " (",
		    s->weight);
	if (s->max_conns != 0)
		text_add(t, "%smax_conns %d", t->len > len ? ", " : " (",
		    s->max_conns);
	if (s->backup)
		text_add(t, "%sbackup", t->len > len ? ", " : " (");
	if (s->down || s->drain)
		text_add(t, "%s%s", t->len > len ? ", " : " (",
		    server_state(s));
	if (s->proxy_protocol != 0)
		text_add(t, "%sproxy_protocol %s", t->len > len ? ", " : " (",
		    server_pp(s));
	if (t->len > len)
		text_add(t, ")");
}

static void
servers_compare(struct diff *d, const struct cfg_upstream *old,
    const struct cfg_upstream *new)
{
	const struct cfg_server	*a, *b;
	struct text		 t;

	for (size_t i = 0; i < new->nservers; i++) {
		b = &new->servers[i];
		memset(&t, 0, sizeof(t));
		if ((a = server_find(old, b->spec)) == NULL) {
			text_add(&t, "upstream %s: server %s added",
			    new->sec.name, b->spec);
			server_describe(&t, b);
			line_add(d, t.s);
			d->count[D_SERVER][D_ADDED]++;
			continue;
		}
		text_add(&t, "upstream %s: server %s changed:", new->sec.name,
		    b->spec);
		if (a->weight != b->weight)
			text_add(&t, " weight %d -> %d,", a->weight,
			    b->weight);
		if (a->down != b->down || a->drain != b->drain)
			text_add(&t, " state %s -> %s,", server_state(a),
			    server_state(b));
		if (a->backup != b->backup)
			text_add(&t, " %s,", b->backup ? "now a backup" :
			    "no longer a backup");
		if (a->max_conns != b->max_conns)
			text_add(&t, " max_conns %d -> %d,", a->max_conns,
			    b->max_conns);
		if (a->proxy_protocol != b->proxy_protocol)
			text_add(&t, " proxy_protocol %s -> %s,",
			    server_pp(a), server_pp(b));
		if (t.s[t.len - 1] != ',') {
			free(t.s);
			continue;
		}
		t.s[--t.len] = '\0';
		line_add(d, t.s);
		d->count[D_SERVER][D_CHANGED]++;
	}
	for (size_t i = 0; i < old->nservers; i++)
		if (server_find(new, old->servers[i].spec) == NULL) {
			line_add(d, xasprintf("upstream %s: server %s removed",
			    new->sec.name, old->servers[i].spec));
			d->count[D_SERVER][D_REMOVED]++;
		}
}

/* "1 listener added, 2 routes changed, global changed", or "no change". */
static void
summary_build(struct diff *d)
{
	struct text	t = { NULL, 0, 0 };

	for (int k = 0; k < D_NKINDS; k++)
		for (int h = 0; h < D_NHOWS; h++) {
			size_t	n = d->count[k][h];

			if (n == 0)
				continue;
			text_add(&t, "%s%zu %s %s", t.len > 0 ? ", " : "", n,
			    kind_names[k][n == 1 ? 0 : 1], how_names[h]);
		}
	if (d->order)
		text_add(&t, "%sroute order changed", t.len > 0 ? ", " : "");
	if (d->global)
		text_add(&t, "%sglobal changed", t.len > 0 ? ", " : "");
	d->out->summary = t.s != NULL ? t.s : xstrdup("no change");
}
