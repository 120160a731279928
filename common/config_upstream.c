/*
 * The [upstream NAME] sections: their keys (servers, balancing, health
 * checks, TLS to the servers, timeouts), defaults, checks and freeing.
 * The checks also build the hash ring of a hash balancer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/config_value.h"
#include "common/route.h"
#include "common/tls.h"
#include "common/tpl.h"
#include "common/util.h"

static void	check_upstream(struct config *, struct cfg_upstream *);

/*
 * "HOST:PORT [weight=N] [max_conns=N] [backup] [down] [drain]
 * [proxy_protocol=v1|v2]"
 */
static enum cfg_set_result
u_server(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	struct cfg_server	 s;
	char			 err[256], label[300];
	char			*copy = xstrdup(v), *tok, *save = NULL;
	long			 n;

	memset(&s, 0, sizeof(s));
	s.weight = 1;
	cfg_section_label(&u->sec, label, sizeof(label));
	if ((tok = strtok_r(copy, " \t", &save)) == NULL) {
		free(copy);
		return CFG_BAD;
	}
	if (addr_parse(&s.addr, tok, true, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			cfg_error(ctx, "bad server \"%s\" in %s (expected "
			    "HOST:PORT)", tok, label);
		else
			cfg_error(ctx, "bad server \"%s\" in %s: %s", tok,
			    label, err);
		free(copy);
		return CFG_REPORTED;
	}
	s.spec = xstrdup(tok);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strncmp(tok, "weight=", 7) == 0 &&
		    cfg_parse_int(tok + 7, 1, 1000, &n) == 0)
			s.weight = (int)n;
		else if (strncmp(tok, "max_conns=", 10) == 0 &&
		    cfg_parse_int(tok + 10, 0, 1000000, &n) == 0)
			s.max_conns = (int)n;
		else if (strcmp(tok, "backup") == 0)
			s.backup = true;
		else if (strcmp(tok, "down") == 0)
			s.down = true;
		else if (strcmp(tok, "drain") == 0)
			s.drain = true;
		else if (strcmp(tok, "proxy_protocol=v1") == 0)
			s.proxy_protocol = 1;
		else if (strcmp(tok, "proxy_protocol=v2") == 0)
			s.proxy_protocol = 2;
		else {
			cfg_error(ctx, "bad server option \"%s\" in %s "
			    "(expected weight=1..1000, max_conns=N, backup, "
			    "down, drain or proxy_protocol=v1|v2)", tok, label);
			free(s.spec);
			free(copy);
			return CFG_REPORTED;
		}
	}
	free(copy);
	for (size_t i = 0; i < u->nservers; i++)
		if (strcmp(u->servers[i].spec, s.spec) == 0) {
			cfg_error(ctx, "server %s listed twice in %s (first at "
			    "%s:%d)", s.spec, label, u->servers[i].where.file,
			    u->servers[i].where.line);
			free(s.spec);
			return CFG_REPORTED;
		}
	s.where = cfg_ctx_where(ctx);
	u->servers = xrealloc(u->servers, u->nservers + 1, sizeof(s));
	u->servers[u->nservers++] = s;
	return CFG_OK;
}

static enum cfg_set_result
u_balance(struct cfg_ctx *ctx, void *obj, const char *v)
{
	static const char *const names[] = { "round_robin", "least_conn",
	    "ip_hash", "hash", "random", NULL };
	struct cfg_upstream	*u = obj;
	int			 i;

	if ((i = cfg_parse_enum(v, names)) == -1)
		return CFG_BAD;
	u->balance = (enum cfg_balance)i;
	u->balance_set = true;
	return CFG_OK;
}

static enum cfg_set_result
u_hash(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	struct cfg_tpl_part	 p;
	size_t			 n;

	if (*v != '$' || (n = tpl_var_parse(v, false, &p)) == 0 ||
	    v[n] != '\0' || p.var == VAR_SCHEME)
		return CFG_BAD;
	u->hash_var = p.var;
	free(u->hash_name);
	u->hash_name = p.text;
	u->hash_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

/* "GET /healthz", "HEAD /path" or "tcp" */
static enum cfg_set_result
u_health_check(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	const char		*sp;

	if (strcmp(v, "tcp") == 0) {
		u->check = CHECK_TCP;
		return CFG_OK;
	}
	if ((strncmp(v, "GET ", 4) != 0 && strncmp(v, "HEAD ", 5) != 0))
		return CFG_BAD;
	sp = strchr(v, ' ');
	while (*sp == ' ')
		sp++;
	if (*sp != '/')
		return CFG_BAD;
	for (const char *p = sp; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return CFG_BAD;
	u->check = CHECK_HTTP;
	free(u->check_method);
	free(u->check_path);
	u->check_method = xstrdup(v[0] == 'G' ? "GET" : "HEAD");
	u->check_path = xstrdup(sp);
	return CFG_OK;
}

/* "200-399", "204", or a body substring. */
static enum cfg_set_result
u_health_expect(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;
	long			 lo, hi;
	char			 a[4], b[4];

	if (strlen(v) == 3 && cfg_parse_int(v, 100, 599, &lo) == 0) {
		u->expect_lo = u->expect_hi = (int)lo;
		return CFG_OK;
	}
	if (strlen(v) == 7 && v[3] == '-') {
		memcpy(a, v, 3);
		a[3] = '\0';
		memcpy(b, v + 4, 3);
		b[3] = '\0';
		if (cfg_parse_int(a, 100, 599, &lo) == 0 &&
		    cfg_parse_int(b, 100, 599, &hi) == 0 && lo <= hi) {
			u->expect_lo = (int)lo;
			u->expect_hi = (int)hi;
			return CFG_OK;
		}
		return CFG_BAD;
	}
	return cfg_set_str(&u->expect_body, v);
}

static enum cfg_set_result
u_health_host(struct cfg_ctx *ctx, void *obj, const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '@')
			return CFG_BAD;
	return cfg_set_str(&((struct cfg_upstream *)obj)->check_host, v);
}

static enum cfg_set_result
set_file(struct cfg_ctx *ctx, char **dst, const char *v)
{
	if (*v != '/')
		return CFG_BAD;
	return cfg_set_str(dst, v);
}

static enum cfg_set_result
u_tls_name(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (!cfg_valid_host(v))
		return CFG_BAD;
	return cfg_set_str(&((struct cfg_upstream *)obj)->tls_name, v);
}

static enum cfg_set_result
u_tls_certificate(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;

	u->tls_client.cert_where = cfg_ctx_where(ctx);
	return set_file(ctx, &u->tls_client.cert_file, v);
}

static enum cfg_set_result
u_tls_certificate_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_upstream	*u = obj;

	u->tls_client.key_where = cfg_ctx_where(ctx);
	return set_file(ctx, &u->tls_client.key_file, v);
}

#define DURATION	"a duration such as 500ms, 30s, 5m or 1h"
#define ONOFF		"on or off"
#define PATH		"an absolute path"

static enum cfg_set_result
u_maintenance_allow(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_maintenance	*m = &((struct cfg_upstream *)obj)->maint;

	return cfg_set_cidrs(v, &m->allow, &m->nallow);
}

static enum cfg_set_result
u_maintenance_page(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_maint_page(ctx, &((struct cfg_upstream *)obj)->maint, v);
}

#define U(field)	CFG_FIELD(struct cfg_upstream, field)

const struct cfg_key cfg_upstream_keys[] = {
	{ "server", CFG_LIST, CFG_T_FN, .set = u_server,
	    .expect = "HOST:PORT [weight=N] [max_conns=N] [backup] [down] "
	    "[drain]" },
	{ "balance", CFG_ONE, CFG_T_FN, .set = u_balance,
	    .expect = "round_robin, least_conn, ip_hash, hash or random" },
	{ "hash", CFG_ONE, CFG_T_FN, .set = u_hash,
	    .expect = "$uri, $request_uri, $remote_addr, $host, $http_NAME or "
	    "$cookie_NAME" },
	{ "retries", CFG_ONE, CFG_T_INT, U(retries),
	    .min = 0, .max = CFG_RETRIES_MAX,
	    .expect = "a number from 0 to 15" },
	{ "maintenance", CFG_ONE, CFG_T_BOOL, U(maint.on), .expect = ONOFF },
	{ "maintenance_allow", CFG_LIST, CFG_T_FN, .set = u_maintenance_allow,
	    .expect = "addresses or networks such as 10.0.0.0/8" },
	{ "maintenance_page", CFG_ONE, CFG_T_FN, .set = u_maintenance_page,
	    .expect = "an absolute path" },
	{ "maintenance_retry_after", CFG_ONE, CFG_T_DURATION,
	    U(maint.retry_after_ms), .min = 1000, .max = 7 * 86400 * 1000LL,
	    .expect = "a duration from 1s to 7d" },
	{ "retry_timeout", CFG_ONE, CFG_T_DURATION, U(retry_timeout_ms),
	    .expect = DURATION },
	{ "health_check", CFG_ONE, CFG_T_FN, .set = u_health_check,
	    .expect = "GET /path, HEAD /path or tcp" },
	{ "health_expect", CFG_ONE, CFG_T_FN, .set = u_health_expect,
	    .expect = "a status such as 200, a range such as 200-399, or body "
	    "text" },
	{ "health_host", CFG_ONE, CFG_T_FN, .set = u_health_host,
	    .expect = "a host name or host:port" },
	/* Floors: zero would mean a busy loop or no window. */
	{ "health_interval", CFG_ONE, CFG_T_DURATION, U(check_interval_ms),
	    .min = 100, .expect = "a duration of at least 100ms" },
	{ "health_timeout", CFG_ONE, CFG_T_DURATION, U(check_timeout_ms),
	    .min = 10, .expect = "a duration of at least 10ms" },
	{ "rise", CFG_ONE, CFG_T_INT, U(rise), .min = 1, .max = 100,
	    .expect = "a number from 1 to 100" },
	{ "fall", CFG_ONE, CFG_T_INT, U(fall), .min = 1, .max = 100,
	    .expect = "a number from 1 to 100" },
	{ "max_fails", CFG_ONE, CFG_T_INT, U(max_fails), .min = 0, .max = 1000,
	    .expect = "a number from 0 to 1000" },
	{ "fail_timeout", CFG_ONE, CFG_T_DURATION, U(fail_timeout_ms),
	    .min = 100, .expect = "a duration of at least 100ms" },
	{ "slow_start", CFG_ONE, CFG_T_DURATION, U(slow_start_ms),
	    .expect = DURATION },
	{ "tls", CFG_ONE, CFG_T_BOOL, U(tls), .expect = ONOFF },
	{ "tls_verify", CFG_ONE, CFG_T_BOOL, U(tls_verify), .expect = ONOFF },
	{ "tls_ca_file", CFG_ONE, CFG_T_PATH, U(tls_ca_file), .expect = PATH },
	{ "tls_name", CFG_ONE, CFG_T_FN, .set = u_tls_name,
	    .expect = "a host name" },
	{ "tls_sni", CFG_ONE, CFG_T_BOOL, U(tls_sni), .expect = ONOFF },
	{ "tls_certificate", CFG_ONE, CFG_T_FN, .set = u_tls_certificate,
	    .expect = PATH },
	{ "tls_certificate_key", CFG_ONE, CFG_T_FN,
	    .set = u_tls_certificate_key, .expect = PATH },
	{ "keepalive", CFG_ONE, CFG_T_INT, U(keepalive), .min = 0,
	    .max = 65536, .expect = "a number from 0 to 65536" },
	{ "keepalive_timeout", CFG_ONE, CFG_T_DURATION,
	    U(keepalive_timeout_ms), .expect = DURATION },
	{ "upstream_connect_timeout", CFG_ONE, CFG_T_DURATION,
	    U(connect_timeout_ms), .expect = DURATION },
	{ "upstream_header_timeout", CFG_ONE, CFG_T_DURATION,
	    U(header_timeout_ms), .expect = DURATION },
	{ "upstream_read_timeout", CFG_ONE, CFG_T_DURATION,
	    U(read_timeout_ms), .expect = DURATION },
	{ "upstream_send_timeout", CFG_ONE, CFG_T_DURATION,
	    U(send_timeout_ms), .expect = DURATION },
	{ NULL }
};

void
cfg_upstream_init(struct cfg_upstream *u)
{
	u->keepalive = 32;
	u->keepalive_timeout_ms = 60 * 1000;
	u->connect_timeout_ms = 10 * 1000;
	/*
	 * A server that takes a request and never answers costs its client
	 * header_timeout, then the request goes elsewhere: retry_timeout
	 * leaves room for that.
	 */
	u->header_timeout_ms = 15 * 1000;
	u->read_timeout_ms = 60 * 1000;
	u->send_timeout_ms = 60 * 1000;
	u->retries = 2;
	u->retry_timeout_ms = 30 * 1000;
	u->expect_lo = 200;
	u->expect_hi = 399;
	u->check_interval_ms = 5 * 1000;
	u->check_timeout_ms = 2 * 1000;
	u->rise = 2;
	u->fall = 3;
	u->max_fails = 1;
	u->fail_timeout_ms = 10 * 1000;
	u->tls_verify = u->tls_sni = true;
}

/* Second pass: each upstream, and the health slots of their servers. */
void
cfg_upstream_check(struct config *cfg)
{
	size_t	slot = 0;

	for (size_t i = 0; i < cfg->nupstreams; i++) {
		struct cfg_upstream *u = cfg->upstreams[i];

		u->slot0 = slot;
		slot += u->nservers;
		check_upstream(cfg, u);
	}
}

/*
 * After the routes: an upstream no route uses. Only of a configuration
 * that is otherwise fine: noise beside errors (a route whose upstream
 * line is wrong uses none).
 */
void
cfg_upstream_check_used(struct config *cfg)
{
	char	label[300];
	size_t	i, j;

	for (i = 0; cfg->nerrors == 0 && i < cfg->nupstreams; i++) {
		for (j = 0; j < cfg->nroutes; j++)
			if ((cfg->routes[j]->action == ACTION_PROXY &&
			    cfg->routes[j]->upstream == (int)i) ||
			    cfg->routes[j]->fa_upstream == (int)i)
				break;
		if (j == cfg->nroutes)
			cfg_warn_at(cfg, &cfg->upstreams[i]->sec.where,
			    "warning: %s is not used by any route",
			    cfg_section_label(&cfg->upstreams[i]->sec, label,
			    sizeof(label)));
	}
}

void
cfg_upstream_free(struct cfg_upstream *u)
{
	cfg_maint_free(&u->maint);
	for (size_t i = 0; i < u->nservers; i++)
		free(u->servers[i].spec);
	free(u->servers);
	free(u->hash_name);
	free(u->ring);
	free(u->check_method);
	free(u->check_path);
	free(u->check_host);
	free(u->expect_body);
	free(u->tls_ca_file);
	free(u->tls_name);
	free(u->tls_client.cert_file);
	free(u->tls_client.key_file);
	tls_upstream_free(u);
	free(u->sec.name);
	free(u);
}

static int
ring_cmp(const void *a, const void *b)
{
	const struct cfg_ring_point	*x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->server < y->server ? -1 : x->server > y->server;
}

/*
 * The consistent hash ring of a hash balancer: RING_POINTS points per unit
 * of weight for each primary server, placed by the hash of "HOST:PORT#i",
 * so a server keeps its points whatever else is listed and adding one
 * moves only the keys that now land on it.
 */
#define RING_POINTS	160

static void
ring_build(struct cfg_upstream *u)
{
	size_t	n = 0;
	char	key[300];

	for (size_t j = 0; j < u->nservers; j++)
		if (!u->servers[j].backup)
			n += (size_t)u->servers[j].weight * RING_POINTS;
	u->ring = xcalloc(n ? n : 1, sizeof(*u->ring));
	for (size_t j = 0; j < u->nservers; j++) {
		const struct cfg_server *sv = &u->servers[j];

		if (sv->backup)
			continue;
		for (int i = 0; i < sv->weight * RING_POINTS; i++) {
			int len = snprintf(key, sizeof(key), "%s#%d", sv->spec,
			    i);

			u->ring[u->nring].hash = hash32(key, (size_t)len);
			u->ring[u->nring++].server = (uint32_t)j;
		}
	}
	qsort(u->ring, u->nring, sizeof(*u->ring), ring_cmp);
}

/*
 * A server that accepts a request and never answers is given up on after
 * the shorter of upstream_header_timeout and upstream_read_timeout; if
 * retry_timeout is over by then, its requests are never tried elsewhere.
 */
static void
check_upstream_timeouts(struct config *cfg, struct cfg_upstream *u,
    const char *label)
{
	const struct cfg_where	*w;
	int64_t			 head = u->header_timeout_ms;
	char			 a[32], b[32];

	if (u->read_timeout_ms < head)
		head = u->read_timeout_ms;
	if (u->nservers < 2 || u->retries == 0 || u->retry_timeout_ms == 0 ||
	    head < u->retry_timeout_ms)
		return;
	if ((w = cfg_key_where(&u->sec, "retry_timeout")) == NULL &&
	    (w = cfg_key_where(&u->sec, "upstream_header_timeout")) == NULL &&
	    (w = cfg_key_where(&u->sec, "upstream_read_timeout")) == NULL)
		w = &u->sec.where;
	fmt_duration(a, sizeof(a), head);
	fmt_duration(b, sizeof(b), u->retry_timeout_ms);
	cfg_warn_at(cfg, w, "warning: %s waits %s for a response head, not "
	    "less than its retry_timeout (%s): a request to a server that "
	    "does not answer is never tried on another", label, a, b);
}

static void
check_upstream(struct config *cfg, struct cfg_upstream *u)
{
	char	label[300];
	size_t	nprimary = 0;

	cfg_section_label(&u->sec, label, sizeof(label));
	if (u->nservers == 0) {
		cfg_error_at(cfg, &u->sec.where, "%s has no server", label);
		return;
	}
	for (size_t j = 0; j < u->nservers; j++) {
		if (u->servers[j].backup)
			u->has_backup = true;
		else
			nprimary++;
		if (u->servers[j].down && u->servers[j].drain)
			cfg_error_at(cfg, &u->servers[j].where, "server %s in "
			    "%s is both down and drain", u->servers[j].spec,
			    label);
	}
	if (nprimary == 0)
		cfg_error_at(cfg, &u->sec.where, "%s has only backup servers",
		    label);
	if (u->hash_var != VAR_NONE && !u->balance_set)
		u->balance = BALANCE_HASH;
	if (u->balance == BALANCE_HASH && u->hash_var == VAR_NONE)
		cfg_error_at(cfg, &u->sec.where, "%s has balance = hash but "
		    "no hash key (hash = $request_uri, for example)", label);
	if (u->hash_var != VAR_NONE && u->balance != BALANCE_HASH)
		cfg_error_at(cfg, &u->hash_where, "hash in %s needs balance = "
		    "hash", label);
	if (u->check == CHECK_HTTP && u->expect_body != NULL &&
	    strcmp(u->check_method, "HEAD") == 0)
		cfg_error_at(cfg, &u->sec.where, "health_expect in %s looks "
		    "for body text, but HEAD answers have no body", label);
	if (u->balance == BALANCE_HASH || u->balance == BALANCE_IP_HASH)
		ring_build(u);
	check_upstream_timeouts(cfg, u, label);
	if (u->tls)
		tls_upstream_load(cfg, u);
	else {
		static const char *const tls_only[] = { "tls_verify",
		    "tls_ca_file", "tls_name", "tls_sni", "tls_certificate",
		    "tls_certificate_key", NULL };
		const struct cfg_where *w;

		for (int i = 0; tls_only[i] != NULL; i++)
			if ((w = cfg_key_where(&u->sec, tls_only[i])) != NULL)
				cfg_error_at(cfg, w, "%s in %s needs tls = on",
				    tls_only[i], label);
	}
}
