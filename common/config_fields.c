/*
 * The response fields every response carries, merged once at load time
 * for each listener and route (and each listener without a route) from
 * four levels: [global], the listener's hsts, the listener, the route.
 * A set line is kept unless a later level sets or removes its name;
 * removes add up; the security_headers preset comes last and yields to
 * any level that names its field. A worker only walks the result.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/util.h"

#define STS		"Strict-Transport-Security"
#define STS_DEFAULT	"max-age=31536000"

/* One level's lines, in the order they merge. */
struct level {
	const struct cfg_header_op	*set, *remove;
	size_t				 nset, nremove;
};

/* The preset, in the order it is sent; the last is for TLS only. */
static const char *const preset_lines[CFG_PRESET_MAX][2] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "X-Frame-Options", "SAMEORIGIN" },
	{ "Referrer-Policy", "strict-origin-when-cross-origin" },
	{ STS, STS_DEFAULT },
};

/* An op with a literal value, as config_route.c's parser would make. */
static void
op_literal(struct cfg_header_op *op, const char *name, const char *value)
{
	memset(op, 0, sizeof(*op));
	op->name = xstrdup(name);
	op->namelen = strlen(name);
	op->value.parts = xcalloc(1, sizeof(*op->value.parts));
	op->value.nparts = 1;
	op->value.parts[0].var = VAR_NONE;
	op->value.parts[0].text = xstrdup(value);
	op->value.parts[0].len = strlen(value);
}

static bool
same_name(const struct cfg_header_op *a, const char *name, size_t len)
{
	return a->namelen == len && strncasecmp(a->name, name, len) == 0;
}

/* Whether levels from..nlv-1 set or remove this name. */
static bool
named_after(const struct level *lv, int from, int nlv, const char *name,
    size_t len)
{
	for (int i = from; i < nlv; i++) {
		for (size_t j = 0; j < lv[i].nset; j++)
			if (same_name(&lv[i].set[j], name, len))
				return true;
		for (size_t j = 0; j < lv[i].nremove; j++)
			if (same_name(&lv[i].remove[j], name, len))
				return true;
	}
	return false;
}

static bool
literal(const struct cfg_tpl *t)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].var != VAR_NONE)
			return false;
	return true;
}

/* "Name: value\r\n" for each set line; every value is literal. */
static void
render(struct cfg_resp_fields *f)
{
	size_t	len = 0, o = 0;

	for (size_t i = 0; i < f->nset; i++) {
		len += f->set[i]->namelen + 4;
		for (size_t j = 0; j < f->set[i]->value.nparts; j++)
			len += f->set[i]->value.parts[j].len;
	}
	f->lines = xmalloc(len);
	for (size_t i = 0; i < f->nset; i++) {
		const struct cfg_header_op *op = f->set[i];

		memcpy(f->lines + o, op->name, op->namelen);
		o += op->namelen;
		memcpy(f->lines + o, ": ", 2);
		o += 2;
		for (size_t j = 0; j < op->value.nparts; j++) {
			memcpy(f->lines + o, op->value.parts[j].text,
			    op->value.parts[j].len);
			o += op->value.parts[j].len;
		}
		memcpy(f->lines + o, "\r\n", 2);
		o += 2;
	}
	f->lineslen = o;
}

static void
build(struct config *cfg, const struct cfg_listener *li,
    const struct cfg_route *r, struct cfg_resp_fields *f)
{
	const struct cfg_global	*g = &cfg->global;
	struct level		 lv[4];
	int			 nlv = 0, security;
	size_t			 maxset = 0, maxstrip = 0;

	lv[nlv++] = (struct level){ g->set_resp, g->remove_resp, g->nset_resp,
	    g->nremove_resp };
	lv[nlv++] = (struct level){ li->hsts_op, NULL, li->hsts_op != NULL ?
	    1 : 0, 0 };
	lv[nlv++] = (struct level){ li->set_resp, li->remove_resp,
	    li->nset_resp, li->nremove_resp };
	if (r != NULL)
		lv[nlv++] = (struct level){ r->set_resp, r->remove_resp,
		    r->nset_resp, r->nremove_resp };
	security = g->security_headers;
	if (li->security_headers != -1)
		security = li->security_headers;
	if (r != NULL && r->security_headers != -1)
		security = r->security_headers;

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < nlv; i++) {
		maxset += lv[i].nset;
		maxstrip += lv[i].nset + lv[i].nremove;
	}
	if (maxset > 0)
		f->set = xcalloc(maxset, sizeof(*f->set));
	if (maxstrip > 0)
		f->strip = xcalloc(maxstrip, sizeof(*f->strip));
	/* The removes first: a 1xx loses those, not the set names. */
	for (int i = 0; i < nlv; i++)
		for (size_t j = 0; j < lv[i].nremove; j++)
			f->strip[f->nstrip++] = &lv[i].remove[j];
	f->nremove = f->nstrip;
	for (int i = 0; i < nlv; i++) {
		for (size_t j = 0; j < lv[i].nset; j++) {
			const struct cfg_header_op *op = &lv[i].set[j];

			if (named_after(lv, i + 1, nlv, op->name, op->namelen))
				continue;
			/* Never over plain HTTP (RFC 6797 7.2). */
			if (!li->tls && same_name(op, STS, strlen(STS)))
				continue;
			f->set[f->nset++] = op;
			f->strip[f->nstrip++] = op;
			if (!literal(&op->value))
				f->vars = true;
			if (same_name(op, STS, strlen(STS)))
				f->sts = true;
		}
	}
	if (security == 1) {
		f->preset = xcalloc(CFG_PRESET_MAX, sizeof(*f->preset));
		for (int i = 0; i < CFG_PRESET_MAX; i++) {
			const struct cfg_header_op *op = &cfg->preset[i];

			if (named_after(lv, 0, nlv, op->name, op->namelen) ||
			    (!li->tls && same_name(op, STS, strlen(STS))))
				continue;
			f->preset[f->npreset++] = op;
			if (same_name(op, STS, strlen(STS)))
				f->sts = true;
		}
	}
	f->server = g->server_tokens;
	for (size_t i = 0; i < f->nstrip; i++)
		if (same_name(f->strip[i], "Server", 6))
			f->server = false;
	if (f->nset > 0 && !f->vars)
		render(f);
}

/*
 * After the checks, on a configuration without errors: the merged fields
 * of each listener with no route and with each route.
 */
void
cfg_fields_build(struct config *cfg)
{
	cfg->preset = xcalloc(CFG_PRESET_MAX, sizeof(*cfg->preset));
	for (int i = 0; i < CFG_PRESET_MAX; i++)
		op_literal(&cfg->preset[i], preset_lines[i][0],
		    preset_lines[i][1]);
	for (size_t l = 0; l < cfg->nlisteners; l++) {
		struct cfg_listener *li = cfg->listeners[l];

		if (li->hsts != NULL) {
			li->hsts_op = xcalloc(1, sizeof(*li->hsts_op));
			op_literal(li->hsts_op, STS, li->hsts);
		}
		li->fields = xcalloc(cfg->nroutes + 1, sizeof(*li->fields));
		build(cfg, li, NULL, &li->fields[0]);
		for (size_t i = 0; i < cfg->nroutes; i++)
			build(cfg, li, cfg->routes[i], &li->fields[i + 1]);
	}
}

/* The arrays only: the ops belong to their sections. */
void
cfg_fields_free(struct cfg_listener *li, size_t nroutes)
{
	if (li->fields == NULL)
		return;
	for (size_t i = 0; i < nroutes + 1; i++) {
		free(li->fields[i].set);
		free(li->fields[i].strip);
		free(li->fields[i].preset);
		free(li->fields[i].lines);
	}
	free(li->fields);
	li->fields = NULL;
}

void
cfg_fields_preset_free(struct config *cfg)
{
	if (cfg->preset != NULL)
		cfg_header_ops_free(cfg->preset, CFG_PRESET_MAX);
	cfg->preset = NULL;
}
