/*
 * A reload builds a new generation beside the running one: the
 * configuration parsed anew, applied (user, logs, listeners, shared zones),
 * its processes spawned; then it takes over, or is rolled back if it does
 * not come up, and each "frontd -s reload" caller learns which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/config_diff.h"
#include "common/limit_zone.h"
#include "common/log.h"
#include "common/metrics_zone.h"
#include "common/tls.h"
#include "common/util.h"
#include "master/master.h"

static void	 reload_refuse(struct config *, const char *);
static void	 reload_next(void);
static void	 reload_report(bool, struct config *,
		    const struct config_diff *);
static void	 reload_timeout(struct ev_loop *, void *);
static void	 reload_rollback(void);
static void	 reload_status_write(const char *, int, bool,
		    struct config *, const struct config_diff *);
static void	 arm_kill_timer(void);
static void	 old_kill(struct ev_loop *, void *);
static int	 cache_build(struct config *, char *, size_t);
static int	 limits_build(struct config *, char *, size_t);
static void	 health_restore(void);
static void	 cache_restore(void);

void
reload_start(void)
{
	struct config		*cfg;
	struct proc_listen	*ls;
	size_t			 nls;
	char			 err[1024], why[64];
	uid_t			 ouid = M.uid;
	gid_t			 ogid = M.gid;
	bool			 odrop = M.drop;
	char			*ouser = M.user ? xstrdup(M.user) : NULL;

	if (M.stopping) {
		free(ouser);
		return;
	}
	if (M.reloading || !M.started) {
		M.reload_again = true;
		free(ouser);
		return;
	}
	/* This reload answers every request made before it began. */
	memcpy(M.cur_tokens, M.tokens, M.ntokens * sizeof(int));
	M.ncur_tokens = M.ntokens;
	M.ntokens = 0;
	control_reload_begin();
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)now_usec());
	log_notice("reloading configuration %s", M.config_path);
	cfg = config_load(M.config_path);
	if (cfg->nerrors > 0) {
		snprintf(why, sizeof(why), "%zu error%s in the configuration",
		    cfg->nerrors, cfg->nerrors == 1 ? "" : "s");
		free(ouser);
		reload_refuse(cfg, why);
		return;
	}
	rlimit_plan(cfg);
	err[0] = '\0';
	if (strcmp(cfg->global.pid_file, M.cfg->global.pid_file) != 0)
		snprintf(err, sizeof(err), "pid_file cannot change on reload "
		    "(it is %s; restart frontd to move it)",
		    M.cfg->global.pid_file);
	else if (master_resolve_user(cfg, err, sizeof(err)) == -1 ||
	    logs_prepare(cfg, M.uid, M.gid, M.drop, err, sizeof(err)) == -1 ||
	    listen_open(cfg, M.listens, M.nlistens, &ls, &nls, err,
	    sizeof(err)) == -1)
		;
	else if (reload_health_build(cfg) == -1) {
		snprintf(err, sizeof(err), "cannot build the health table: %s",
		    strerror(errno));
		listen_close_unused(ls, nls, M.listens, M.nlistens);
		free(ls);
	} else if (cache_build(cfg, err, sizeof(err)) == -1) {
		listen_close_unused(ls, nls, M.listens, M.nlistens);
		free(ls);
		health_restore();
	} else if (limits_build(cfg, err, sizeof(err)) == -1) {
		listen_close_unused(ls, nls, M.listens, M.nlistens);
		free(ls);
		health_restore();
		cache_restore();
	}
	if (err[0] != '\0') {
		M.uid = ouid;
		M.gid = ogid;
		M.drop = odrop;
		free(M.user);
		M.user = ouser;
		cfg_error_at(cfg, NULL, "%s", err);
		reload_refuse(cfg, "the configuration cannot be applied");
		return;
	}
	free(ouser);
	log_set_syslog_socket(cfg->global.syslog_socket);
	if ((strcmp(cfg->global.error_log, M.cfg->global.error_log) != 0 ||
	    strcmp(cfg->global.syslog_socket, M.cfg->global.syslog_socket) !=
	    0) && !M.foreground && log_open(cfg->global.error_log, err,
	    sizeof(err)) == -1)
		log_error("cannot open error log %s: %s; keeping %s",
		    cfg->global.error_log, err, log_target());
	log_set_level(cfg->global.log_level);

	for (size_t i = 0; i < cfg->nwarnings; i++)
		log_warn("%s", cfg->warnings[i]);
	master_sandbox_announce(cfg, M.cfg);
	rlimit_log(cfg);
	/* New ticket keys for the new workers; the last one still decrypts. */
	if (tls_keys_rotate() == -1)
		log_error("reload: cannot make new TLS ticket keys: %s",
		    tls_error_string());
	M.old_cfg = M.cfg;
	M.old_listens = M.listens;
	M.nold_listens = M.nlistens;
	M.cfg = cfg;
	M.listens = ls;
	M.nlistens = nls;
	M.generation++;
	M.reloading = true;
	M.metrics = metrics_zone_fit(M.metrics, cfg);
	spawn_generation(M.generation);
	ev_timer_start(M.loop, &M.reload_timer, READY_TIMEOUT_MS,
	    reload_timeout, NULL);
}

static void
reload_refuse(struct config *cfg, const char *why)
{
	log_warn("reload refused: %s; generation %d keeps running", why,
	    M.generation);
	counter_add(M.counters, CNT_RELOAD_FAILURES, 1);
	for (size_t i = 0; i < cfg->nerrors; i++)
		log_warn("%s", cfg->errors[i]);
	reload_report(false, cfg, NULL);
	notify_send("READY=1\nSTATUS=reload refused: %s", why);
	config_free(cfg);
	reload_next();
}

/* HUPs that came in during a reload are served by one more reload. */
static void
reload_next(void)
{
	if (M.reload_again || M.ntokens > 0) {
		M.reload_again = false;
		reload_start();
	}
}

/*
 * Tells every "frontd -s reload" caller of this reload how it went: the
 * errors of cfg, or what changed.
 */
static void
reload_report(bool ok, struct config *cfg, const struct config_diff *diff)
{
	for (size_t i = 0; i < M.ncur_tokens; i++)
		reload_status_write(M.cfg->global.pid_file, M.cur_tokens[i], ok,
		    cfg, diff);
	M.ncur_tokens = 0;
	control_reload_report(ok, cfg, diff);
}

/* The new generation is late: switch if half of it runs, else roll back. */
static void
reload_timeout(struct ev_loop *loop, void *arg)
{
	if (!M.reloading)
		return;
	/* Half of the new workers at least (the checker does not count). */
	if (spawn_count_workers(M.generation, true) > 0 &&
	    spawn_count_workers(M.generation, true) * 2 >=
	    (size_t)M.cfg->global.workers) {
		log_warn("reload: only %zu of %zu new processes ready after "
		    "%ds; switching anyway", spawn_count(M.generation, true),
		    master_generation_size(M.cfg), READY_TIMEOUT_MS / 1000);
		reload_finish(true);
		return;
	}
	reload_rollback();
}

/*
 * The new generation did not come up (its workers keep dying, say): stop
 * it and go on with the old one as if the reload had been refused.
 */
static void
reload_rollback(void)
{
	struct config	*failed = M.cfg;
	char		 why[256];

	log_error("reload: the new processes did not become ready within %ds; "
	    "stopping them, generation %d keeps running (see the errors "
	    "above)", READY_TIMEOUT_MS / 1000, M.generation - 1);
	spawn_kill_generation(M.generation);
	listen_close_unused(M.listens, M.nlistens, M.old_listens,
	    M.nold_listens);
	free(M.listens);
	M.listens = M.old_listens;
	M.nlistens = M.nold_listens;
	M.old_listens = NULL;
	M.nold_listens = 0;
	M.cfg = M.old_cfg;
	M.old_cfg = NULL;
	tls_keys_restore();
	health_restore();
	cache_restore();
	if (M.old_limits != M.limits) {
		limit_zone_destroy(M.limits);
		M.limits = M.old_limits;
	}
	M.old_limits = NULL;
	M.generation--;
	log_set_syslog_socket(M.cfg->global.syslog_socket);
	if ((strcmp(failed->global.error_log, M.cfg->global.error_log) != 0 ||
	    strcmp(failed->global.syslog_socket,
	    M.cfg->global.syslog_socket) != 0) && !M.foreground &&
	    log_open(M.cfg->global.error_log, why, sizeof(why)) == -1)
		log_error("cannot reopen error log %s: %s",
		    M.cfg->global.error_log, why);
	spawn_adopt_generation(M.generation, M.cfg->global.workers);
	log_set_level(M.cfg->global.log_level);
	M.reloading = false;
	counter_add(M.counters, CNT_RELOAD_FAILURES, 1);
	cfg_error_at(failed, NULL, "the new worker processes did not start; "
	    "see the error log");
	reload_report(false, failed, NULL);
	notify_send("READY=1\nSTATUS=reload failed: workers did not start");
	config_free(failed);
	reload_next();
}

/* The new generation runs: retire the old one. */
void
reload_finish(bool timed_out)
{
	struct config_diff	*diff;

	ev_timer_stop(M.loop, &M.reload_timer);
	spawn_retire_below(M.generation, now_ms() +
	    M.cfg->global.shutdown_timeout_ms + DRAIN_GRACE_MS);
	arm_kill_timer();
	listen_close_unused(M.old_listens, M.nold_listens, M.listens,
	    M.nlistens);
	free(M.old_listens);
	M.old_listens = NULL;
	M.nold_listens = 0;
	diff = config_diff(M.old_cfg, M.cfg);
	control_apply(M.old_cfg, M.cfg);
	config_free(M.old_cfg);
	M.old_cfg = NULL;
	shm_zone_destroy(M.old_health);
	M.old_health = NULL;
	if (M.old_cache != M.cache)
		cs_zone_close(M.old_cache);
	M.old_cache = NULL;
	/* Old workers keep their mapping of a replaced zone to the end. */
	if (M.old_limits != M.limits)
		limit_zone_destroy(M.old_limits);
	M.old_limits = NULL;
	counter_add(M.counters, CNT_RELOADS, 1);
	M.reloading = false;
	log_notice("reload: configuration %s loaded, generation %d started%s",
	    M.config_path, M.generation, timed_out ?
	    " (not every process was ready in time)" : "");
	/* Logged before the callers learn it, so the log has it first. */
	for (size_t i = 0; i < diff->nlines; i++)
		log_info("reload: %s", diff->lines[i]);
	log_notice("reload: %s", diff->summary);
	reload_report(true, NULL, diff);
	config_diff_free(diff);
	notify_send("READY=1\nSTATUS=running, %d workers, generation %d",
	    M.cfg->global.workers, M.generation);
	reload_next();
}

/* Old processes past their drain deadline are killed; one timer for all. */
static void
arm_kill_timer(void)
{
	int64_t	next = spawn_next_deadline();

	if (next < 0)
		ev_timer_stop(M.loop, &M.kill_timer);
	else
		ev_timer_start(M.loop, &M.kill_timer, next > now_ms() ?
		    next - now_ms() : 0, old_kill, NULL);
}

static void
old_kill(struct ev_loop *loop, void *arg)
{
	spawn_kill_overdue(now_ms());
	arm_kill_timer();
}

/*
 * One health slot per upstream server, keyed "upstream/server", made at
 * start and on every reload. A reload whose servers are the same keeps
 * the zone; otherwise a new zone takes over the state of every server that
 * is still there.
 */
int
reload_health_build(struct config *cfg)
{
	struct health_zone	*z, *old = M.health;
	size_t			 n = config_nservers(cfg), k = 0;
	char			 key[SHM_KEY_LEN];
	bool			 same;

	same = old != NULL && old->hdr.nslots == n;
	for (size_t i = 0; same && i < cfg->nupstreams; i++)
		for (size_t j = 0; same && j < cfg->upstreams[i]->nservers;
		    j++) {
			snprintf(key, sizeof(key), "%s/%s",
			    cfg->upstreams[i]->sec.name,
			    cfg->upstreams[i]->servers[j].spec);
			same = strcmp(old->slots[k++].key, key) == 0;
		}
	if (same)
		return 0;
	z = shm_zone_create(SHM_HEALTH, SHM_HEALTH_VERSION,
	    sizeof(*z) + (n ? n : 1) * sizeof(z->slots[0]), n);
	if (z == NULL)
		return -1;
	k = 0;
	for (size_t i = 0; i < cfg->nupstreams; i++)
		for (size_t j = 0; j < cfg->upstreams[i]->nservers; j++) {
			struct health_slot *s = &z->slots[k++];

			snprintf(s->key, sizeof(s->key), "%s/%s",
			    cfg->upstreams[i]->sec.name,
			    cfg->upstreams[i]->servers[j].spec);
			for (size_t o = 0; old != NULL &&
			    o < old->hdr.nslots; o++) {
				struct health_slot *p = &old->slots[o];

				if (strcmp(p->key, s->key) != 0)
					continue;
				/* All of its state but the connections
				 * counted by old workers in the old zone. */
				memcpy(s, p, sizeof(*s));
				atomic_store(&s->active, 0);
				break;
			}
		}
	M.health = z;
	/* Kept until the reload commits: a rollback goes back to it. */
	shm_zone_destroy(M.old_health);
	M.old_health = old;
	return 0;
}

/*
 * The cache zone of a new generation: the running one when its size and
 * file are the same (its entries stay), else a new one. The old zone is
 * kept in old_cache until the reload commits or rolls back.
 */
static int
cache_build(struct config *cfg, char *err, size_t errlen)
{
	const struct cfg_global	*g = &cfg->global;
	struct cs_zone		*z = NULL;

	M.old_cache = M.cache;
	if (g->cache_size == 0) {
		M.cache = NULL;
		return 0;
	}
	if (M.cache != NULL && cs_zone_fits(M.cache, g->cache_size,
	    g->cache_file))
		return 0;
	if (M.cache != NULL && g->cache_file != NULL && M.cfg->global.
	    cache_file != NULL && strcmp(g->cache_file,
	    M.cfg->global.cache_file) == 0) {
		/* Old workers still map that file: it cannot be resized. */
		snprintf(err, errlen, "cache_size cannot change on reload "
		    "while cache_file %s is in use (restart frontd)",
		    g->cache_file);
		M.old_cache = NULL;
		return -1;
	}
	z = cs_zone_open(g->cache_size, g->cache_file, err, errlen);
	if (z == NULL) {
		M.old_cache = NULL;
		return -1;
	}
	log_notice("reload: a new cache of %llu bytes replaces the old one",
	    (unsigned long long)g->cache_size);
	M.cache = z;
	return 0;
}

/* A reload that does not go ahead: the health table it replaced. */
static void
health_restore(void)
{
	if (M.old_health != NULL) {
		shm_zone_destroy(M.health);
		M.health = M.old_health;
		M.old_health = NULL;
	}
}

/* The same for the cache zone. */
static void
cache_restore(void)
{
	if (M.old_cache != M.cache) {
		cs_zone_close(M.cache);
		M.cache = M.old_cache;
	}
	M.old_cache = NULL;
}

/*
 * The zone of rate_limit and limit_conn for a new generation: the running
 * one when its size is the same, so that every bucket and every count of
 * requests in flight carries over; else a new one, where limits start
 * afresh. The old one is kept in old_limits until the reload commits.
 */
static int
limits_build(struct config *cfg, char *err, size_t errlen)
{
	uint64_t		 size = cfg->global.rate_limit_zone;
	struct limit_zone	*z;

	M.old_limits = M.limits;
	if (size == 0) {
		M.limits = NULL;
		return 0;
	}
	if (M.limits != NULL && limit_zone_fits(M.limits, size))
		return 0;
	if ((z = limit_zone_create(size)) == NULL) {
		snprintf(err, errlen, "cannot create the rate_limit_zone of "
		    "%llu bytes: %s", (unsigned long long)size,
		    strerror(errno));
		M.old_limits = NULL;
		return -1;
	}
	if (M.limits != NULL)
		log_notice("reload: a new rate_limit_zone of %llu bytes "
		    "replaces the old one; limits start afresh",
		    (unsigned long long)size);
	M.limits = z;
	return 0;
}

/*
 * The outcome of a reload for one "frontd -s reload" caller, named by the
 * token it sent: "ok", the summary of the changes and one line for each;
 * or "failed" and the error lines. Written to a temporary file and
 * renamed, so the caller never reads half of it. The name is easy to
 * guess and its directory may be writable by others: whatever is found at
 * the temporary name is removed, and the file is made anew (O_EXCL),
 * never opened through a link.
 */
static void
reload_status_write(const char *pid_file, int token, bool ok,
    struct config *cfg, const struct config_diff *diff)
{
	char	*path = xasprintf("%s.reload.%d", pid_file, token);
	char	*tmp = xasprintf("%s.reload.%d.tmp", pid_file, token);
	FILE	*fp = NULL;
	int	 fd;

	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("cannot write %s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	reload_outcome(fp, ok, cfg, diff);
	if (fclose(fp) == EOF || rename(tmp, path) == -1)
		log_warn("cannot write %s: %s", path, strerror(errno));
out:
	free(path);
	free(tmp);
}

/*
 * What a reload's caller is told, "frontd -s reload" and "frontdctl
 * reload" alike: "ok", or "failed" and the error lines, one a line.
 */
void
reload_outcome(FILE *fp, bool ok, const struct config *cfg,
    const struct config_diff *diff)
{
	fprintf(fp, "%s\n", ok ? "ok" : "failed");
	for (size_t i = 0; cfg != NULL && i < cfg->nerrors; i++)
		fprintf(fp, "%s\n", cfg->errors[i]);
	if (diff != NULL)
		fprintf(fp, "%s\n", diff->summary);
	for (size_t i = 0; diff != NULL && i < diff->nlines; i++)
		fprintf(fp, "%s\n", diff->lines[i]);
}
