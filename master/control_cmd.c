/*
 * The commands of the control socket: what frontdctl(8) can see (servers,
 * processes, counters, the cache) and change (a server's state and weight,
 * the cache, a reload). A change to a server is a store into its health
 * slot, which every worker reads on each pick; the master is the only
 * writer of those fields.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/util.h"
#include "master/control.h"
#include "master/master.h"

#define CTL_CHILDREN_MAX	1024

struct ctl_cmd {
	const char	*name;		/* first word(s) */
	int		 nwords;	/* in name */
	int		 minargs, maxargs;	/* after the name */
	bool		 change;	/* needs root or the group */
	const char	*usage;
	enum ctl_result	(*run)(struct ctl_client *, char **, int);
};

static enum ctl_result	cmd_help(struct ctl_client *, char **, int);
static enum ctl_result	cmd_servers(struct ctl_client *, char **, int);
static enum ctl_result	cmd_workers(struct ctl_client *, char **, int);
static enum ctl_result	cmd_generations(struct ctl_client *, char **, int);
static enum ctl_result	cmd_stats(struct ctl_client *, char **, int);
static enum ctl_result	cmd_state(struct ctl_client *, char **, int);
static enum ctl_result	cmd_weight(struct ctl_client *, char **, int);
static enum ctl_result	cmd_purge(struct ctl_client *, char **, int);
static enum ctl_result	cmd_cache_stats(struct ctl_client *, char **, int);
static enum ctl_result	cmd_reload(struct ctl_client *, char **, int);
static enum ctl_result	 refuse(struct ctl_client *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static int64_t		 wall_ms(void);

static const struct ctl_cmd cmds[] = {
	{ "help", 1, 0, 0, false, "help", cmd_help },
	{ "show servers", 2, 0, 1, false, "show servers [UPSTREAM]",
	    cmd_servers },
	{ "show workers", 2, 0, 0, false, "show workers", cmd_workers },
	{ "show generations", 2, 0, 0, false, "show generations",
	    cmd_generations },
	{ "show stats", 2, 0, 0, false, "show stats", cmd_stats },
	{ "drain", 1, 1, 1, true, "drain UPSTREAM/HOST:PORT", cmd_state },
	{ "ready", 1, 1, 1, true, "ready UPSTREAM/HOST:PORT", cmd_state },
	{ "maint", 1, 1, 1, true, "maint UPSTREAM/HOST:PORT", cmd_state },
	{ "weight", 1, 2, 2, true, "weight UPSTREAM/HOST:PORT N",
	    cmd_weight },
	{ "cache purge", 2, 1, 1, true, "cache purge URL|PREFIX*",
	    cmd_purge },
	{ "cache stats", 2, 0, 0, false, "cache stats", cmd_cache_stats },
	{ "reload", 1, 0, 0, true, "reload", cmd_reload },
};

static const char *const admin_names[] = {
	[ADMIN_NONE] = "none",
	[ADMIN_READY] = "ready",
	[ADMIN_DRAIN] = "drain",
	[ADMIN_MAINT] = "maint"
};

/* The counters of "show stats", in the order of enum counter. */
static const char *const counter_names[CNT_MAX] = {
	[CNT_ACCEPTED] = "connections_accepted",
	[CNT_REQUESTS] = "requests",
	[CNT_STATUS_1XX] = "responses_1xx",
	[CNT_STATUS_2XX] = "responses_2xx",
	[CNT_STATUS_3XX] = "responses_3xx",
	[CNT_STATUS_4XX] = "responses_4xx",
	[CNT_STATUS_5XX] = "responses_5xx",
	[CNT_BYTES_IN] = "bytes_in",
	[CNT_BYTES_OUT] = "bytes_out",
	[CNT_UPSTREAM_ERRORS] = "upstream_errors",
	[CNT_RELOADS] = "reloads",
	[CNT_WORKER_RESPAWNS] = "worker_respawns",
	[CNT_COMPRESSED] = "compressed_responses",
	[CNT_CLIENT_TIMEOUTS] = "client_timeouts",
	[CNT_CLIENT_ABORTS] = "client_aborts",
	[CNT_RECLAIMED] = "connections_reclaimed",
	[CNT_CLIENT_PROXY] = "client_proxy_errors",
	[CNT_RATE_LIMITED] = "rate_limited",
	[CNT_CONN_LIMITED] = "conn_limited",
	[CNT_LIMIT_DRY_RUN] = "limit_dry_run",
};

static const char *const cs_stat_names[CS_STAT_MAX] = {
	[CS_HITS] = "hits", [CS_MISSES] = "misses", [CS_STALE] = "stale",
	[CS_REVALIDATED] = "revalidated", [CS_STORES] = "stores",
	[CS_EVICTIONS] = "evictions", [CS_PURGES] = "purges"
};

static int64_t	started_wall_ms;

/* Finds the command and checks its words and the caller's rights. */
enum ctl_result
ctl_run(struct ctl_client *c, char **argv, int argc)
{
	const struct ctl_cmd	*cmd = NULL;
	const char		*grp = ctl_group();
	char			 name[64];

	if (started_wall_ms == 0)
		started_wall_ms = wall_ms();
	for (size_t i = 0; i < nitems(cmds) && cmd == NULL; i++) {
		if (argc < cmds[i].nwords)
			continue;
		if (cmds[i].nwords == 1)
			snprintf(name, sizeof(name), "%s", argv[0]);
		else
			snprintf(name, sizeof(name), "%s %s", argv[0],
			    argv[1]);
		if (strcmp(name, cmds[i].name) == 0)
			cmd = &cmds[i];
	}
	if (cmd == NULL)
		return refuse(c, "unknown command \"%s\" (try help)",
		    argc > 0 ? argv[0] : "");
	if (argc - cmd->nwords < cmd->minargs ||
	    argc - cmd->nwords > cmd->maxargs)
		return refuse(c, "usage: %s", cmd->usage);
	if (cmd->change && !c->may_change) {
		log_notice("control socket: %s refused to uid %u (pid %d)",
		    cmd->name, (unsigned)c->uid, (int)c->pid);
		return refuse(c, "permission denied: %s needs root%s%s",
		    cmd->name, grp != NULL ? " or group " : "",
		    grp != NULL ? grp : "");
	}
	/* With its own words: cmd_state reads the state from its name. */
	return cmd->run(c, argv, argc);
}

static enum ctl_result
refuse(struct ctl_client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reset(c);
	ctl_printf(c, "error\n%s\n", msg);
	return CTL_DONE;
}

static enum ctl_result
cmd_help(struct ctl_client *c, char **argv, int argc)
{
	ctl_printf(c, "ok\n");
	if (c->json) {
		ctl_printf(c, "{\"commands\":[");
		for (size_t i = 0; i < nitems(cmds); i++) {
			ctl_printf(c, "%s", i ? "," : "");
			ctl_json_str(c, cmds[i].usage);
		}
		ctl_printf(c, "]}\n");
		return CTL_DONE;
	}
	for (size_t i = 0; i < nitems(cmds); i++)
		ctl_printf(c, "%s\n", cmds[i].usage);
	return CTL_DONE;
}

/* What the file says of a server. */
static const char *
file_state(const struct cfg_server *sv)
{
	return sv->down ? "down" : sv->drain ? "drain" : "ready";
}

/*
 * A server's state as frontdctl shows it, and since when in wall-clock
 * ms (0: not known): maint and drain set at run time or in the file, then
 * down by the checker or by failed requests, else up.
 */
static const char *
server_state(const struct cfg_upstream *up, const struct cfg_server *sv,
    struct health_slot *hs, int64_t *since)
{
	uint32_t	admin = atomic_load(&hs->admin_state);
	int64_t		until = atomic_load(&hs->down_until_ms);
	int64_t		mono = now_ms(), wall = wall_ms(), t;

	*since = 0;
	if (admin == ADMIN_MAINT || admin == ADMIN_DRAIN) {
		*since = atomic_load(&hs->admin_since_ms);
		return admin == ADMIN_MAINT ? "maint" : "drain";
	}
	if (admin != ADMIN_READY && (sv->down || sv->drain))
		return sv->down ? "maint" : "drain";
	if (up->check != CHECK_OFF && atomic_load(&hs->state) == HEALTH_DOWN)
		return "down";
	if (until != 0 && mono < until) {
		*since = wall - (mono - (until - up->fail_timeout_ms));
		return "down";
	}
	if ((t = atomic_load(&hs->up_since_ms)) != 0 && t <= mono)
		*since = wall - (mono - t);
	return "up";
}

static void
server_json(struct ctl_client *c, const struct cfg_upstream *up,
    const struct cfg_server *sv, struct health_slot *hs)
{
	int64_t		 since, checked = atomic_load(&hs->last_check_ms);
	const char	*state = server_state(up, sv, hs, &since);
	uint32_t	 admin = atomic_load(&hs->admin_state);
	uint32_t	 aw = atomic_load(&hs->admin_weight);

	ctl_printf(c, "{\"upstream\":");
	ctl_json_str(c, up->sec.name);
	ctl_printf(c, ",\"server\":");
	ctl_json_str(c, sv->spec);
	ctl_printf(c, ",\"state\":\"%s\",\"file_state\":\"%s\","
	    "\"admin_state\":", state, file_state(sv));
	if (admin != ADMIN_NONE && admin < nitems(admin_names))
		ctl_printf(c, "\"%s\"", admin_names[admin]);
	else
		ctl_printf(c, "null");
	ctl_printf(c, ",\"weight\":%d,\"file_weight\":%d,\"admin_weight\":",
	    aw != 0 ? (int)aw : sv->weight, sv->weight);
	if (aw != 0)
		ctl_printf(c, "%u", aw);
	else
		ctl_printf(c, "null");
	ctl_printf(c, ",\"backup\":%s,\"active\":%d,\"requests\":%llu,"
	    "\"failures\":%u,\"check_failures\":%u,\"since\":",
	    sv->backup ? "true" : "false", (int)atomic_load(&hs->active),
	    (unsigned long long)atomic_load(&hs->requests),
	    (unsigned)atomic_load(&hs->fails), hs->failures);
	if (since != 0)
		ctl_printf(c, "%lld", (long long)(since / 1000));
	else
		ctl_printf(c, "null");
	ctl_printf(c, ",\"check\":");
	if (up->check == CHECK_OFF || checked == 0)
		ctl_printf(c, "null");
	else {
		ctl_printf(c, "{\"result\":\"%s\",\"latency_ms\":%.3f,"
		    "\"at\":%lld.%03d,\"error\":", hs->failures > 0 ?
		    "failed" : "ok", hs->latency_us / 1000.0,
		    (long long)(checked / 1000), (int)(checked % 1000));
		if (hs->failures > 0)
			ctl_json_strn(c, hs->last_error, strnlen(
			    hs->last_error, sizeof(hs->last_error)));
		else
			ctl_printf(c, "null");
		ctl_printf(c, "}");
	}
	ctl_printf(c, ",\"last_error\":");
	if (hs->last_error[0] != '\0')
		ctl_json_strn(c, hs->last_error, strnlen(hs->last_error,
		    sizeof(hs->last_error)));
	else
		ctl_printf(c, "null");
	ctl_printf(c, "}");
}

static void
ago(char *buf, size_t len, int64_t wall_then)
{
	if (wall_then == 0)
		snprintf(buf, len, "-");
	else
		fmt_duration(buf, len, wall_ms() - wall_then > 0 ?
		    (wall_ms() - wall_then) / 1000 * 1000 : 0);
}

static void
server_text(struct ctl_client *c, int width, const struct cfg_upstream *up,
    const struct cfg_server *sv, struct health_slot *hs)
{
	int64_t		 since, checked = atomic_load(&hs->last_check_ms);
	const char	*state = server_state(up, sv, hs, &since);
	uint32_t	 admin = atomic_load(&hs->admin_state);
	uint32_t	 aw = atomic_load(&hs->admin_weight);
	char		 key[SHM_KEY_LEN], lat[32], sincebuf[32];
	const char	*check = "-";

	snprintf(key, sizeof(key), "%s/%s", up->sec.name, sv->spec);
	snprintf(lat, sizeof(lat), "-");
	if (up->check != CHECK_OFF && checked != 0) {
		check = hs->failures > 0 ? "failed" : "ok";
		snprintf(lat, sizeof(lat), "%.1fms", hs->latency_us / 1000.0);
	}
	ago(sincebuf, sizeof(sincebuf), since);
	ctl_printf(c, "%-*s %-5s %6d %6d %9llu %5u %-6s %8s %7s", width, key,
	    state, aw != 0 ? (int)aw : sv->weight,
	    (int)atomic_load(&hs->active),
	    (unsigned long long)atomic_load(&hs->requests),
	    (unsigned)atomic_load(&hs->fails) + hs->failures, check, lat,
	    sincebuf);
	if (admin != ADMIN_NONE && admin < nitems(admin_names))
		ctl_printf(c, " %s set at run time (file: %s)",
		    admin_names[admin], file_state(sv));
	if (aw != 0)
		ctl_printf(c, " weight set at run time (file: %d)",
		    sv->weight);
	if (sv->backup)
		ctl_printf(c, " backup");
	if (hs->last_error[0] != '\0')
		ctl_printf(c, " last error: %.*s", (int)strnlen(hs->last_error,
		    sizeof(hs->last_error)), hs->last_error);
	ctl_printf(c, "\n");
}

static enum ctl_result
cmd_servers(struct ctl_client *c, char **argv, int argc)
{
	const struct config	*cfg = M.cfg;
	const char		*only = argc > 2 ? argv[2] : NULL;
	bool			 found = only == NULL, first = true;
	int			 width = 6;

	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *up = cfg->upstreams[i];

		if (only != NULL && strcmp(only, up->sec.name) != 0)
			continue;
		found = true;
		for (size_t j = 0; j < up->nservers; j++) {
			int w = (int)(strlen(up->sec.name) + 1 +
			    strlen(up->servers[j].spec));

			if (w > width)
				width = w;
		}
	}
	if (!found)
		return refuse(c, "no upstream \"%s\"", only);
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"servers\":[");
	else
		ctl_printf(c, "%-*s %-5s %6s %6s %9s %5s %-6s %8s %7s\n",
		    width, "SERVER", "STATE", "WEIGHT", "ACTIVE", "REQUESTS",
		    "FAILS", "CHECK", "LATENCY", "SINCE");
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *up = cfg->upstreams[i];

		if (only != NULL && strcmp(only, up->sec.name) != 0)
			continue;
		for (size_t j = 0; j < up->nservers; j++) {
			struct health_slot *hs;

			if (up->slot0 + j >= M.health->hdr.nslots)
				break;
			hs = &M.health->slots[up->slot0 + j];
			if (c->json) {
				ctl_printf(c, "%s", first ? "" : ",");
				server_json(c, up, &up->servers[j], hs);
			} else
				server_text(c, width, up, &up->servers[j], hs);
			first = false;
		}
	}
	if (c->json)
		ctl_printf(c, "]}\n");
	return CTL_DONE;
}

static enum ctl_result
cmd_workers(struct ctl_client *c, char **argv, int argc)
{
	struct spawn_info	*ch = xcalloc(CTL_CHILDREN_MAX, sizeof(*ch));
	size_t			 n = spawn_list(ch, CTL_CHILDREN_MAX);
	int64_t			 now = now_ms();
	char			 up[32];
	bool			 first = true;

	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"generation\":%d,\"processes\":[",
		    M.generation);
	else
		ctl_printf(c, "%-8s %-8s %4s %4s %-9s %8s %6s\n", "PID",
		    "ROLE", "SLOT", "GEN", "STATE", "UPTIME", "CONNS");
	for (size_t i = 0; i < n; i++) {
		const struct spawn_info *s = &ch[i];
		const char *st = s->quitting ? "draining" : s->ready ?
		    "running" : "starting";

		if (c->json) {
			ctl_printf(c, "%s{\"pid\":%d,\"role\":\"%s\","
			    "\"slot\":%d,\"generation\":%d,\"state\":\"%s\","
			    "\"uptime\":%lld,\"connections\":", first ? "" :
			    ",", (int)s->pid, s->role, s->slot, s->gen, st,
			    (long long)((now - s->started_ms) / 1000));
			if (s->nconns >= 0)
				ctl_printf(c, "%lld}", (long long)s->nconns);
			else
				ctl_printf(c, "null}");
			first = false;
			continue;
		}
		fmt_duration(up, sizeof(up), (now - s->started_ms) / 1000 *
		    1000);
		ctl_printf(c, "%-8d %-8s %4d %4d %-9s %8s ", (int)s->pid,
		    s->role, s->slot, s->gen, st, up);
		if (s->nconns >= 0)
			ctl_printf(c, "%6lld\n", (long long)s->nconns);
		else
			ctl_printf(c, "%6s\n", "-");
	}
	if (c->json)
		ctl_printf(c, "]}\n");
	free(ch);
	return CTL_DONE;
}

/*
 * Each generation with processes: the running one, a new one while a
 * reload waits for it, and old ones whose workers finish their requests.
 */
static enum ctl_result
cmd_generations(struct ctl_client *c, char **argv, int argc)
{
	struct spawn_info	*ch = xcalloc(CTL_CHILDREN_MAX, sizeof(*ch));
	size_t			 n = spawn_list(ch, CTL_CHILDREN_MAX), i, k;
	int64_t			 now = now_ms();
	char			 left[32];
	bool			 first = true;

	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"generation\":%d,\"reloading\":%s,"
		    "\"generations\":[", M.generation, M.reloading ? "true" :
		    "false");
	for (i = 0; i < n; i = k) {
		int		 gen = ch[i].gen;
		int64_t		 deadline = 0;
		const char	*what;

		for (k = i; k < n && ch[k].gen == gen; k++)
			if (ch[k].deadline_ms != 0 && (deadline == 0 ||
			    ch[k].deadline_ms < deadline))
				deadline = ch[k].deadline_ms;
		what = gen == M.generation ? (M.reloading ? "starting" :
		    "running") : gen == M.generation - 1 && M.reloading ?
		    "running" : "draining";
		if (c->json) {
			ctl_printf(c, "%s{\"generation\":%d,\"state\":\"%s\","
			    "\"deadline\":", first ? "" : ",", gen, what);
			if (deadline != 0)
				ctl_printf(c, "%lld", (long long)((deadline -
				    now) / 1000));
			else
				ctl_printf(c, "null");
			ctl_printf(c, ",\"pids\":[");
			for (size_t j = i; j < k; j++)
				ctl_printf(c, "%s%d", j > i ? "," : "",
				    (int)ch[j].pid);
			ctl_printf(c, "]}");
			first = false;
			continue;
		}
		ctl_printf(c, "generation %d: %s, %zu process%s", gen, what,
		    k - i, k - i == 1 ? "" : "es");
		if (deadline != 0) {
			fmt_duration(left, sizeof(left), deadline > now ?
			    (deadline - now) / 1000 * 1000 : 0);
			ctl_printf(c, ", killed in %s if not done", left);
		}
		ctl_printf(c, ":");
		for (size_t j = i; j < k; j++)
			ctl_printf(c, " %d", (int)ch[j].pid);
		ctl_printf(c, "\n");
	}
	if (c->json)
		ctl_printf(c, "]}\n");
	else if (n == 0)
		ctl_printf(c, "no process\n");
	free(ch);
	return CTL_DONE;
}

static enum ctl_result
cmd_stats(struct ctl_client *c, char **argv, int argc)
{
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"pid\":%d,\"generation\":%d,\"uptime\":%lld,"
		    "\"workers\":%d,\"counters\":{", (int)getpid(),
		    M.generation, (long long)((wall_ms() - started_wall_ms) /
		    1000), M.cfg->global.workers);
	else
		ctl_printf(c, "pid %d\ngeneration %d\nworkers %d\n",
		    (int)getpid(), M.generation, M.cfg->global.workers);
	for (int i = 0; i < CNT_MAX; i++) {
		unsigned long long v = atomic_load(&M.counters->c[i]);

		if (c->json)
			ctl_printf(c, "%s\"%s\":%llu", i ? "," : "",
			    counter_names[i], v);
		else
			ctl_printf(c, "%s %llu\n", counter_names[i], v);
	}
	if (c->json)
		ctl_printf(c, "}}\n");
	return CTL_DONE;
}

/* A server named upstream/HOST:PORT in the running file, or NULL. */
static const struct cfg_server *
server_find(const char *name, const struct cfg_upstream **upp,
    struct health_slot **hsp)
{
	const struct config	*cfg = M.cfg;
	const char		*slash = strchr(name, '/');

	if (slash == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *up = cfg->upstreams[i];

		if (strlen(up->sec.name) != (size_t)(slash - name) ||
		    strncmp(up->sec.name, name, (size_t)(slash - name)) != 0)
			continue;
		for (size_t j = 0; j < up->nservers; j++) {
			if (strcmp(up->servers[j].spec, slash + 1) != 0 ||
			    up->slot0 + j >= M.health->hdr.nslots)
				continue;
			*upp = up;
			*hsp = &M.health->slots[up->slot0 + j];
			return &up->servers[j];
		}
	}
	return NULL;
}

/*
 * Stores an override in the running table and, while a reload is under
 * way, in the one the old workers still read.
 */
static void
server_store(struct health_slot *hs, uint32_t admin, uint32_t weight)
{
	struct health_zone	*old = M.old_health;

	atomic_store(&hs->admin_state, admin);
	atomic_store(&hs->admin_weight, weight);
	atomic_store(&hs->admin_since_ms, wall_ms());
	for (size_t i = 0; old != NULL && i < old->hdr.nslots; i++)
		if (strcmp(old->slots[i].key, hs->key) == 0) {
			atomic_store(&old->slots[i].admin_state, admin);
			atomic_store(&old->slots[i].admin_weight, weight);
			atomic_store(&old->slots[i].admin_since_ms,
			    atomic_load(&hs->admin_since_ms));
		}
}

static enum ctl_result
server_unknown(struct ctl_client *c, const char *name)
{
	if (strchr(name, '/') == NULL)
		return refuse(c, "bad server \"%s\" (expected "
		    "UPSTREAM/HOST:PORT, as show servers lists them)", name);
	return refuse(c, "no server \"%s\" (see show servers)", name);
}

/* drain, ready, maint: the command's name is the state. */
static enum ctl_result
cmd_state(struct ctl_client *c, char **argv, int argc)
{
	const struct cfg_upstream	*up;
	const struct cfg_server		*sv;
	struct health_slot		*hs;
	uint32_t			 admin, was;
	int64_t				 since;
	const char			*before;

	if ((sv = server_find(argv[1], &up, &hs)) == NULL)
		return server_unknown(c, argv[1]);
	before = server_state(up, sv, hs, &since);
	was = atomic_load(&hs->admin_state);
	if (strcmp(argv[0], "drain") == 0)
		admin = sv->drain ? ADMIN_NONE : ADMIN_DRAIN;
	else if (strcmp(argv[0], "maint") == 0)
		admin = sv->down ? ADMIN_NONE : ADMIN_MAINT;
	else
		admin = sv->down || sv->drain ? ADMIN_READY : ADMIN_NONE;
	server_store(hs, admin, atomic_load(&hs->admin_weight));
	if (was != admin)
		log_notice("upstream %s server %s set to %s by uid %u through "
		    "the control socket (was %s)%s", up->sec.name, sv->spec,
		    argv[0], (unsigned)c->uid, before, admin == ADMIN_NONE ?
		    "; as the file says" : "");
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"server\":\"%s/%s\",\"state\":\"%s\","
		    "\"was\":\"%s\",\"as_file\":%s}\n", up->sec.name, sv->spec,
		    server_state(up, sv, hs, &since), before,
		    admin == ADMIN_NONE ? "true" : "false");
	else
		ctl_printf(c, "%s/%s: %s (was %s)%s\n", up->sec.name, sv->spec,
		    server_state(up, sv, hs, &since), before,
		    admin == ADMIN_NONE ? "" : ", set at run time");
	return CTL_DONE;
}

static enum ctl_result
cmd_weight(struct ctl_client *c, char **argv, int argc)
{
	const struct cfg_upstream	*up;
	const struct cfg_server		*sv;
	struct health_slot		*hs;
	char				*end;
	long				 n;
	uint32_t			 was;

	if ((sv = server_find(argv[1], &up, &hs)) == NULL)
		return server_unknown(c, argv[1]);
	n = strtol(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || n < 1 || n > 1000)
		return refuse(c, "bad weight \"%s\" (expected a number from "
		    "1 to 1000)", argv[2]);
	was = atomic_load(&hs->admin_weight);
	server_store(hs, atomic_load(&hs->admin_state), n == sv->weight ? 0 :
	    (uint32_t)n);
	log_notice("upstream %s server %s weight set to %ld by uid %u "
	    "through the control socket (was %d)%s", up->sec.name, sv->spec,
	    n, (unsigned)c->uid, was != 0 ? (int)was : sv->weight,
	    n == sv->weight ? "; as the file says" : "");
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"server\":\"%s/%s\",\"weight\":%ld,"
		    "\"was\":%d,\"as_file\":%s}\n", up->sec.name, sv->spec, n,
		    was != 0 ? (int)was : sv->weight, n == sv->weight ?
		    "true" : "false");
	else
		ctl_printf(c, "%s/%s: weight %ld (was %d)%s\n", up->sec.name,
		    sv->spec, n, was != 0 ? (int)was : sv->weight,
		    n == sv->weight ? "" : ", set at run time");
	return CTL_DONE;
}

/*
 * A URL is a cache key as the default cache_key makes it
 * ($scheme://$authority$request_uri). An exact key goes with its
 * variants and compressed copies (the key, a NUL, more); a key ending in
 * '*' takes every key it begins.
 */
static enum ctl_result
cmd_purge(struct ctl_client *c, char **argv, int argc)
{
	const char	*key = argv[2];
	size_t		 len = strlen(key);
	char		 sub[CS_KEY_MAX + 1];
	int		 n;

	if (M.cache == NULL)
		return refuse(c, "no cache (cache_size is 0)");
	if (len == 0 || len > CS_KEY_MAX - 1)
		return refuse(c, "bad key: empty or longer than %d bytes",
		    CS_KEY_MAX - 1);
	if (key[len - 1] == '*')
		n = cs_remove_prefix(M.cache, key, len - 1);
	else {
		memcpy(sub, key, len);
		sub[len] = '\0';
		n = cs_remove(M.cache, cs_hash(key, len), key, len);
		n += cs_remove_prefix(M.cache, sub, len + 1);
	}
	cs_stat_add(M.cache, CS_PURGES, (uint64_t)n);
	log_info("cache purge %s by uid %u through the control socket: %d "
	    "entries", key, (unsigned)c->uid, n);
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"purged\":%d}\n", n);
	else
		ctl_printf(c, "purged %d\n", n);
	return CTL_DONE;
}

static enum ctl_result
cmd_cache_stats(struct ctl_client *c, char **argv, int argc)
{
	uint64_t	st[CS_STAT_MAX], entries = 0, bytes = 0, size = 0;

	if (M.cache == NULL)
		return refuse(c, "no cache (cache_size is 0)");
	cs_stats(M.cache, st, &entries, &bytes, &size);
	ctl_printf(c, "ok\n");
	if (c->json)
		ctl_printf(c, "{\"size\":%llu,\"entries\":%llu,\"bytes\":%llu",
		    (unsigned long long)size, (unsigned long long)entries,
		    (unsigned long long)bytes);
	else
		ctl_printf(c, "size %llu\nentries %llu\nbytes %llu\n",
		    (unsigned long long)size, (unsigned long long)entries,
		    (unsigned long long)bytes);
	for (int i = 0; i < CS_STAT_MAX; i++) {
		if (c->json)
			ctl_printf(c, ",\"%s\":%llu", cs_stat_names[i],
			    (unsigned long long)st[i]);
		else
			ctl_printf(c, "%s %llu\n", cs_stat_names[i],
			    (unsigned long long)st[i]);
	}
	if (c->json)
		ctl_printf(c, "}\n");
	return CTL_DONE;
}

/* Answered by ctl_reload_answer() when the reload that covers it ends. */
static enum ctl_result
cmd_reload(struct ctl_client *c, char **argv, int argc)
{
	if (M.stopping)
		return refuse(c, "frontd is stopping");
	log_notice("reload asked by uid %u through the control socket",
	    (unsigned)c->uid);
	c->state = CTL_RELOAD_QUEUED;
	reload_start();
	return CTL_PENDING;
}

/* The outcome of the reload, as reload_outcome() tells it. */
void
ctl_reload_answer(struct ctl_client *c, bool ok, const struct config *cfg,
    const struct config_diff *diff)
{
	char	*text = NULL, *line, *save = NULL;
	size_t	 len = 0;
	FILE	*fp;
	bool	 first = true, head = true;

	if ((fp = open_memstream(&text, &len)) == NULL) {
		refuse(c, "reload %s (cannot say more: out of memory)",
		    ok ? "ok" : "failed");
		return;
	}
	reload_outcome(fp, ok, cfg, diff);
	fclose(fp);
	ctl_reset(c);
	if (c->json)
		ctl_printf(c, "%s\n{\"reload\":\"%s\",\"lines\":[", ok ? "ok" :
		    "error", ok ? "ok" : "failed");
	else
		ctl_printf(c, "%s\nreload %s", ok ? "ok" : "error",
		    ok ? "ok" : "failed:\n");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (head) {		/* "ok" or "failed": said above */
			head = false;
			continue;
		}
		if (c->json) {
			ctl_printf(c, "%s", first ? "" : ",");
			ctl_json_str(c, line);
		} else if (ok && first)	/* as frontd -s reload says it */
			ctl_printf(c, ": %s\n", line);
		else
			ctl_printf(c, "%s\n", line);
		first = false;
	}
	if (!c->json && ok && first)
		ctl_printf(c, "\n");
	if (c->json)
		ctl_printf(c, "]}\n");
	free(text);
}

/*
 * After a reload: a server whose line in the file changed (weight, down,
 * drain, backup, max_conns) is as the file now says; other overrides stay.
 */
void
ctl_overrides_apply(const struct config *old, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *up = cfg->upstreams[i];
		int o = config_upstream_index(old, up->sec.name);

		for (size_t j = 0; o != -1 && j < up->nservers; j++) {
			const struct cfg_upstream *ou = old->upstreams[o];
			const struct cfg_server *sv = &up->servers[j], *os;
			struct health_slot *hs;
			size_t k;

			if (up->slot0 + j >= M.health->hdr.nslots)
				break;
			hs = &M.health->slots[up->slot0 + j];
			if (atomic_load(&hs->admin_state) == ADMIN_NONE &&
			    atomic_load(&hs->admin_weight) == 0)
				continue;
			for (k = 0; k < ou->nservers; k++)
				if (strcmp(ou->servers[k].spec, sv->spec) == 0)
					break;
			os = k < ou->nservers ? &ou->servers[k] : NULL;
			if (os != NULL && os->weight == sv->weight &&
			    os->down == sv->down && os->drain == sv->drain &&
			    os->backup == sv->backup &&
			    os->max_conns == sv->max_conns)
				continue;
			atomic_store(&hs->admin_state, ADMIN_NONE);
			atomic_store(&hs->admin_weight, 0);
			atomic_store(&hs->admin_since_ms, wall_ms());
			log_notice("upstream %s server %s: the reloaded file "
			    "changed it, so what was set at run time is "
			    "dropped", up->sec.name, sv->spec);
		}
	}
}

static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
