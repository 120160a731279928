/*
 * Route lookup. Routes are grouped by host: one group per exact name, one
 * per wildcard suffix ("*.example.com" is the suffix ".example.com"), and
 * one for routes without a host. A group holds its exact paths and its
 * prefixes sorted, each with the routes that share it in file order.
 *
 * Longest prefix by binary search: find the greatest prefix <= the path.
 * If it is not a prefix of the path, the answer is among the prefixes of
 * it (any longer match would sort between it and the path), so follow the
 * chain of "parent" prefixes, each the longest entry that is a proper
 * prefix of the one before, until one is a prefix of the path.
 */
#include <string.h>
#include <sys/types.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/route.h"
#include "common/util.h"

struct plist {			/* routes sharing one key, in file order */
	uint32_t	 off, n;	/* into router->ids */
};

struct pentry {
	const char	*path;
	size_t		 len;
	int		 parent;	/* prefixes only */
	struct plist	 routes;
};

struct group {
	struct pentry	*exact, *prefix;
	size_t		 nexact, nprefix;
	struct plist	 regex, nopath;
};

struct hentry {
	const char	*key;		/* NULL: empty */
	size_t		 len;
	uint32_t	 hash;
	int		 group;
};

struct htab {
	struct hentry	*e;
	size_t		 cap;		/* power of two */
};

struct router {
	struct group	*groups;
	size_t		 ngroups;
	struct htab	 exact, wild;
	int		 any;		/* group of routes without host, -1 */
	size_t		 wild_min, wild_max;	/* suffix lengths present */
	int		*ids;
	size_t		 nids;
};

uint32_t
hash32(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV spreads the low bits poorly; mix (murmur3's finalizer). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct hentry *
htab_find(const struct htab *t, const char *key, size_t len, uint32_t h)
{
	size_t	i;

	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct hentry *e = &t->e[i];

		if (e->key == NULL)
			return e;
		if (e->hash == h && e->len == len && memcmp(e->key, key,
		    len) == 0)
			return e;
	}
}

static void
htab_init(struct htab *t, size_t n)
{
	t->cap = 16;
	while (t->cap < n * 2)
		t->cap *= 2;
	t->e = xcalloc(t->cap, sizeof(*t->e));
}

/* Group for a key, created on first use. */
static int
htab_group(struct router *rt, struct htab *t, const char *key)
{
	size_t		 len = strlen(key);
	uint32_t	 h = hash32(key, len);
	struct hentry	*e = htab_find(t, key, len, h);

	if (e->key == NULL) {
		e->key = key;
		e->len = len;
		e->hash = h;
		e->group = (int)rt->ngroups++;
	}
	return e->group;
}

/* Build-time lists: route ids per (group, kind, path). */
struct item {
	int		 group;
	int		 kind;		/* enum cfg_path_kind */
	const char	*path;
	int		 route;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item	*x = a, *y = b;
	int			 c;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->path != NULL && y->path != NULL &&
	    (c = strcmp(x->path, y->path)) != 0)
		return c;
	return x->route < y->route ? -1 : x->route > y->route;
}

static void
add_items(struct item **items, size_t *n, size_t *cap, int group,
    const struct cfg_route *r, int route)
{
	struct item	*it;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*items = xrealloc(*items, *cap, sizeof(**items));
	}
	it = &(*items)[(*n)++];
	it->group = group;
	it->kind = r->path_kind;
	it->path = r->path_kind == PATH_REGEX ? NULL : r->path;
	it->route = route;
}

struct router *
router_build(const struct config *cfg)
{
	struct router	*rt = xcalloc(1, sizeof(*rt));
	struct item	*items = NULL;
	size_t		 nitems = 0, cap = 0, nhosts = 0;

	for (size_t i = 0; i < cfg->nroutes; i++)
		nhosts += cfg->routes[i]->nhosts;
	htab_init(&rt->exact, nhosts);
	htab_init(&rt->wild, nhosts);
	rt->any = -1;
	rt->wild_min = SIZE_MAX;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct cfg_route *r = cfg->routes[i];

		if (r->nhosts == 0) {
			if (rt->any == -1)
				rt->any = (int)rt->ngroups++;
			add_items(&items, &nitems, &cap, rt->any, r, (int)i);
		}
		for (size_t h = 0; h < r->nhosts; h++) {
			const char *name = r->hosts[h];
			int g;

			if (name[0] == '*') {
				size_t l = strlen(name + 1);

				g = htab_group(rt, &rt->wild, name + 1);
				if (l < rt->wild_min)
					rt->wild_min = l;
				if (l > rt->wild_max)
					rt->wild_max = l;
			} else
				g = htab_group(rt, &rt->exact, name);
			add_items(&items, &nitems, &cap, g, r, (int)i);
		}
	}
	rt->groups = xcalloc(rt->ngroups ? rt->ngroups : 1,
	    sizeof(*rt->groups));
	if (nitems > 0)
		qsort(items, nitems, sizeof(*items), item_cmp);
	rt->ids = xcalloc(nitems ? nitems : 1, sizeof(int));

	/* Items are sorted by group, kind, path, file order: one pass. */
	for (size_t i = 0; i < nitems;) {
		struct item	*it = &items[i];
		struct group	*g = &rt->groups[it->group];
		struct plist	*pl;
		size_t		 j = i;

		if (it->kind == PATH_EXACT || it->kind == PATH_PREFIX) {
			struct pentry **arr = it->kind == PATH_EXACT ?
			    &g->exact : &g->prefix;
			size_t *na = it->kind == PATH_EXACT ? &g->nexact :
			    &g->nprefix;

			*arr = xrealloc(*arr, *na + 1, sizeof(**arr));
			(*arr)[*na].path = it->path;
			(*arr)[*na].len = strlen(it->path);
			(*arr)[*na].parent = -1;
			pl = &(*arr)[(*na)++].routes;
			while (j < nitems && items[j].group == it->group &&
			    items[j].kind == it->kind &&
			    strcmp(items[j].path, it->path) == 0)
				j++;
		} else {
			pl = it->kind == PATH_REGEX ? &g->regex : &g->nopath;
			while (j < nitems && items[j].group == it->group &&
			    items[j].kind == it->kind)
				j++;
		}
		pl->off = (uint32_t)rt->nids;
		pl->n = (uint32_t)(j - i);
		for (; i < j; i++)
			rt->ids[rt->nids++] = items[i].route;
	}
	free(items);

	/* Parent chains of the sorted prefixes, with a stack. */
	for (size_t gi = 0; gi < rt->ngroups; gi++) {
		struct group	*g = &rt->groups[gi];
		int		*stack = xcalloc(g->nprefix + 1, sizeof(int));
		size_t		 top = 0;

		for (size_t i = 0; i < g->nprefix; i++) {
			struct pentry *e = &g->prefix[i];

			while (top > 0) {
				struct pentry *p = &g->prefix[stack[top - 1]];

				if (p->len < e->len && memcmp(p->path,
				    e->path, p->len) == 0)
					break;
				top--;
			}
			e->parent = top > 0 ? stack[top - 1] : -1;
			stack[top++] = (int)i;
		}
		free(stack);
	}
	return rt;
}

void
router_free(struct router *rt)
{
	if (rt == NULL)
		return;
	for (size_t i = 0; i < rt->ngroups; i++) {
		free(rt->groups[i].exact);
		free(rt->groups[i].prefix);
	}
	free(rt->groups);
	free(rt->exact.e);
	free(rt->wild.e);
	free(rt->ids);
	free(rt);
}

static bool
route_accepts(const struct cfg_route *r, const struct route_query *q)
{
	if (r->methods != 0) {
		if ((r->methods & (1u << q->meth)) == 0)
			return false;
		if (q->meth == HTTP_M_OTHER) {
			size_t i;

			for (i = 0; i < r->nmethod_names; i++)
				if (strlen(r->method_names[i]) ==
				    q->methodlen && memcmp(r->method_names[i],
				    q->method, q->methodlen) == 0)
					break;
			if (i == r->nmethod_names)
				return false;
		}
	}
	if (r->listeners != 0 && (q->listener < 0 || q->listener >=
	    CFG_LISTENERS_MAX || (r->listeners & (UINT64_C(1) <<
	    q->listener)) == 0))
		return false;
	return true;
}

static int
first_accepting(const struct router *rt, const struct config *cfg,
    const struct plist *pl, const struct route_query *q)
{
	for (uint32_t i = 0; i < pl->n; i++) {
		int id = rt->ids[pl->off + i];

		if (route_accepts(cfg->routes[id], q))
			return id;
	}
	return -1;
}

/* Compares entry e with the first e->len bytes... as strcmp would order
 * e->path against the path. */
static int
path_cmp(const struct pentry *e, const char *p, size_t len)
{
	size_t	n = e->len < len ? e->len : len;
	int	c = memcmp(e->path, p, n);

	if (c != 0)
		return c;
	return e->len < len ? -1 : e->len > len;
}

static int
match_group(const struct router *rt, const struct config *cfg,
    const struct group *g, const struct route_query *q)
{
	size_t	lo, hi;
	int	id, e;

	/* Exact path. */
	lo = 0;
	hi = g->nexact;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = path_cmp(&g->exact[mid], q->path, q->pathlen);

		if (c == 0) {
			if ((id = first_accepting(rt, cfg,
			    &g->exact[mid].routes, q)) != -1)
				return id;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Longest prefix: the greatest entry <= path, then parents. */
	lo = 0;
	hi = g->nprefix;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (path_cmp(&g->prefix[mid], q->path, q->pathlen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = (int)lo - 1; e >= 0; e = g->prefix[e].parent) {
		const struct pentry *p = &g->prefix[e];

		if (p->len > q->pathlen || memcmp(p->path, q->path,
		    p->len) != 0)
			continue;
		if ((id = first_accepting(rt, cfg, &p->routes, q)) != -1)
			return id;
	}
	/* Regexes, in file order; one that cannot decide stops the search
	 * (fail closed: never route past a rule we could not evaluate). */
	for (uint32_t i = 0; i < g->regex.n; i++) {
		const struct cfg_route *r =
		    cfg->routes[rt->ids[g->regex.off + i]];
		const size_t *ov;
		int rc;

		if (!route_accepts(r, q))
			continue;
		if ((rc = regex_match(r->path_re, q->path, q->pathlen,
		    &ov)) > 0)
			return rt->ids[g->regex.off + i];
		if (rc < 0)
			return -2;
	}
	return first_accepting(rt, cfg, &g->nopath, q);
}

int
router_match(const struct router *rt, const struct config *cfg,
    const struct route_query *q)
{
	const struct hentry	*e;
	int			 id;

	if (rt == NULL)
		return -1;
	if (q->hostlen > 0) {
		e = htab_find(&rt->exact, q->host, q->hostlen,
		    hash32(q->host, q->hostlen));
		if (e != NULL && e->key != NULL &&
		    (id = match_group(rt, cfg, &rt->groups[e->group], q)) != -1)
			return id;	/* a route, or -2 */
		/* Wildcards: the longest suffix first. */
		for (size_t i = 0; rt->wild_max > 0 && i < q->hostlen; i++) {
			size_t len = q->hostlen - i;

			if (q->host[i] != '.' || len > rt->wild_max)
				continue;
			if (len < rt->wild_min)
				break;
			e = htab_find(&rt->wild, q->host + i, len,
			    hash32(q->host + i, len));
			if (e != NULL && e->key != NULL && (id = match_group(rt,
			    cfg, &rt->groups[e->group], q)) != -1)
				return id;
		}
	}
	if (rt->any == -1)
		return -1;
	return match_group(rt, cfg, &rt->groups[rt->any], q);
}

/*
 * Limits per match: PCRE2's defaults let one request spend ten million
 * steps per regex route; a hostile path gets an error instead.
 */
#define RE_MATCH_LIMIT	100000
#define RE_DEPTH_LIMIT	10000
#define RE_JIT_STACK	(512 * 1024)

int
regex_match(const void *code, const char *s, size_t len,
    const size_t **ovector)
{
	static pcre2_match_data		*md;
	static pcre2_match_context	*mc;
	static pcre2_jit_stack		*js;
	int				 rc;

	if (md == NULL) {
		/* Enough pairs for any pattern: $0..$9 and a margin. */
		md = pcre2_match_data_create(32, NULL);
		mc = pcre2_match_context_create(NULL);
		js = pcre2_jit_stack_create(32 * 1024, RE_JIT_STACK, NULL);
		if (md == NULL || mc == NULL)
			return -1;
		pcre2_set_match_limit(mc, RE_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, RE_DEPTH_LIMIT);
		if (js != NULL)
			pcre2_jit_stack_assign(mc, NULL, js);
	}
	rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	if (rc == 0)	/* more groups than pairs: what fits is there */
		rc = (int)pcre2_get_ovector_count(md);
	*ovector = pcre2_get_ovector_pointer(md);
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

ssize_t
path_normalize(const char *src, size_t len, char *dst)
{
	size_t	o = 0, i = 0, seg;
	bool	last;

	/* Input is "/..." (origin form); segment by segment. */
	while (i < len) {
		while (i < len && src[i] == '/')	/* merge repeats */
			i++;
		dst[o++] = '/';
		seg = o;
		while (i < len && src[i] != '/') {
			if (src[i] == '%' && i + 2 < len &&
			    hexval((unsigned char)src[i + 1]) >= 0 &&
			    hexval((unsigned char)src[i + 2]) >= 0) {
				int v = hexval((unsigned char)src[i + 1]) * 16 +
				    hexval((unsigned char)src[i + 2]);

				if (unreserved(v)) {
					dst[o++] = (char)v;
					i += 3;
					continue;
				}
			}
			dst[o++] = src[i++];
		}
		last = i >= len;
		if (o - seg == 1 && dst[seg] == '.') {
			/* "/a/./b" -> "/a/b"; "/a/." -> "/a/" */
			o = last ? seg : seg - 1;
		} else if (o - seg == 2 && dst[seg] == '.' &&
		    dst[seg + 1] == '.') {
			if (seg == 1)
				return -1;	/* above the root */
			o = seg - 1;		/* the '/' before ".." */
			while (dst[o - 1] != '/')
				o--;
			/* o is just past the previous segment's '/'. */
			if (!last)
				o--;
		}
	}
	if (o == 0)
		dst[o++] = '/';
	return (ssize_t)o;
}

/*
 * strip_prefix: path (plen bytes) without prefix, as nginx does it:
 * "/api" from "/api/x" leaves "/x", from "/api" "/"; "/api/" from
 * "/api/x" "/x" (its own slash again); "/api" from "/apix" "/x", built
 * in scratch (plen + 1 bytes). The new length, with *out; -1 when the
 * path does not begin with prefix.
 */
ssize_t
route_strip_prefix(const char *prefix, const char *path, size_t plen,
    char *scratch, const char **out)
{
	size_t	sl = strlen(prefix);

	if (plen < sl || memcmp(path, prefix, sl) != 0)
		return -1;
	path += sl;
	plen -= sl;
	if (plen == 0 || path[0] != '/') {
		if (prefix[sl - 1] == '/') {
			path--;
			plen++;
		} else if (plen == 0) {
			path = "/";
			plen = 1;
		} else {
			scratch[0] = '/';
			memcpy(scratch + 1, path, plen);
			path = scratch;
			plen++;
		}
	}
	*out = path;
	return (ssize_t)plen;
}
