/*
 * The master process: brings the first generation up, then only supervises.
 * It never handles client traffic. Signals arrive through a signalfd in the
 * same event loop as child readiness reports and timers, so every decision
 * (reload, stop, respawn) is made in one place, one at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/log.h"
#include "common/sandbox.h"
#include "common/tls.h"
#include "common/util.h"
#include "master/master.h"

#define READY_TIMEOUT_MS	10000
#define FAST_STOP_GRACE_MS	5000
#define DRAIN_GRACE_MS		2000

struct master	M = { .sigfd = -1, .pid_fd = -1, .daemon_fd = -1 };

static void	 master_signal(struct ev_loop *, int, uint32_t, void *);
static void	 master_status(struct ev_loop *, int, uint32_t, void *);
static void	 reload_start(void);
static void	 reload_finish(bool);
static void	 reload_timeout(struct ev_loop *, void *);
static void	 stop_start(bool);
static void	 stop_kill(struct ev_loop *, void *);
static void	 old_kill(struct ev_loop *, void *);
static void	 arm_kill_timer(void);
static void	 reload_rollback(void);
static void	 reload_next(void);
static void	 check_progress(void);
static int	 resolve_user(struct config *, char *, size_t);
static int	 health_build(struct config *);
static int	 cache_build(struct config *, char *, size_t);
static void	 startup_failed(const char *) __attribute__((noreturn));
static int	 start_abort(void);
static int	 selftest_get(bool);
static void	 sandbox_announce(const struct config *,
		    const struct config *);

static size_t
generation_size(const struct config *cfg)
{
	return (size_t)cfg->global.workers + 1;
}

int
master_run(const char *path, struct config *cfg, bool foreground)
{
	char		 err[1024];
	sigset_t	 mask;

	M.config_path = xstrdup(path);
	M.cfg = cfg;
	M.foreground = foreground;
	log_set_role("master");
	log_set_level(cfg->global.log_level);
	if ((M.sandbox_test = selftest_get(foreground)) == -1)
		return 1;

	/*
	 * Until the error log is open, messages go to stderr only; after,
	 * startup errors go to both (once each), so the admin sees them on
	 * the terminal and finds them in the log.
	 */
	if (resolve_user(cfg, err, sizeof(err)) == -1 ||
	    (M.pid_fd = pidfile_lock(cfg->global.pid_file, err,
	    sizeof(err))) == -1 ||
	    logs_prepare(cfg, M.uid, M.gid, M.drop, err, sizeof(err)) == -1) {
		fprintf(stderr, "frontd: %s\n", err);
		return start_abort();
	}
	if (!foreground && log_open(cfg->global.error_log, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "frontd: cannot open error log %s: %s\n",
		    cfg->global.error_log, err);
		return start_abort();
	}
	if (listen_open(cfg, NULL, 0, &M.listens, &M.nlistens, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		if (!foreground)
			fprintf(stderr, "frontd: %s\n", err);
		return start_abort();
	}
	if (!foreground && daemon_start(err, sizeof(err)) == -1) {
		log_error("%s", err);
		fprintf(stderr, "frontd: %s\n", err);
		return start_abort();
	}
	log_set_role("master");
	if (pidfile_write(M.pid_fd, cfg->global.pid_file, err,
	    sizeof(err)) == -1)
		startup_failed(err);

	for (size_t i = 0; i < cfg->nwarnings; i++)
		log_warn("%s", cfg->warnings[i]);
	sandbox_announce(cfg, NULL);
	rlimit_log(cfg);
	if ((M.counters = shm_zone_create(SHM_COUNTERS, SHM_COUNTERS_VERSION,
	    sizeof(struct counters_zone), 0)) == NULL ||
	    health_build(cfg) == -1 || tls_cache_init() == -1 ||
	    tls_keys_rotate() == -1) {
		snprintf(err, sizeof(err), "cannot create shared memory: %s",
		    strerror(errno));
		startup_failed(err);
	}
	if (cfg->global.cache_size > 0 && (M.cache = cs_zone_open(
	    cfg->global.cache_size, cfg->global.cache_file, err,
	    sizeof(err))) == NULL)
		startup_failed(err);
	if (pipe2(M.life_pipe, O_CLOEXEC) == -1 ||
	    pipe2(M.status_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		startup_failed(err);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIG_RELOAD_TOKEN);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((M.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (M.loop = ev_loop_new()) == NULL) {
		snprintf(err, sizeof(err), "signalfd/epoll: %s",
		    strerror(errno));
		startup_failed(err);
	}
	ev_io_add(M.loop, &M.sig_io, M.sigfd, EPOLLIN, master_signal, NULL);
	ev_io_add(M.loop, &M.status_io, M.status_pipe[0], EPOLLIN,
	    master_status, NULL);

	proc_title("frontd: master process %s", M.config_path);
	M.generation = 1;
	spawn_generation(M.generation);
	ev_timer_start(M.loop, &M.reload_timer, READY_TIMEOUT_MS,
	    reload_timeout, NULL);
	ev_run(M.loop);

	/* cfg may have been replaced by a reload: use M.cfg from here. */
	pidfile_remove(M.cfg->global.pid_file);
	log_notice("master exiting");
	return 0;
}

static void
startup_failed(const char *msg)
{
	log_error("%s", msg);
	start_abort();
	if (M.daemon_fd != -1)
		daemon_ready(1, msg);
	exit(1);
}

/*
 * A start that fails leaves no pid file: ours is empty, or holds the pid
 * of a master that died, and either would mislead -s and init scripts.
 * Holding its lock, no other master uses it. Returns the exit status.
 */
static int
start_abort(void)
{
	if (M.pid_fd != -1) {
		pidfile_remove(M.cfg->global.pid_file);
		close(M.pid_fd);
		M.pid_fd = -1;
	}
	return 1;
}

/*
 * FRONTD_SANDBOX_SELFTEST names what the first worker tries once it is
 * sandboxed (sandbox_selftest()). It is for an admin watching frontd -f,
 * so a daemon ignores it. Returns the test, or -1 for an unknown one.
 */
static int
selftest_get(bool foreground)
{
	const char	*v = getenv("FRONTD_SANDBOX_SELFTEST");
	int		 test;

	if (v == NULL || *v == '\0')
		return SANDBOX_TEST_NONE;
	if ((test = sandbox_test_parse(v)) == -1) {
		fprintf(stderr, "frontd: FRONTD_SANDBOX_SELFTEST: unknown test "
		    "\"%s\" (expected execve, ptrace or open)\n", v);
		return -1;
	}
	if (!foreground) {
		fprintf(stderr, "frontd: FRONTD_SANDBOX_SELFTEST is only "
		    "honoured with -f; ignored\n");
		return SANDBOX_TEST_NONE;
	}
	return test;
}

/*
 * Says once, at start and when a reload changes it, whether the children
 * run sandboxed, and that Landlock is missing when it is.
 */
static void
sandbox_announce(const struct config *cfg, const struct config *old)
{
	int	abi;

	if (old != NULL && old->global.sandbox == cfg->global.sandbox)
		return;
	if (!cfg->global.sandbox) {
		log_notice("sandbox = off: the worker and checker processes "
		    "run without seccomp filter and landlock");
		return;
	}
	if ((abi = sandbox_landlock_abi()) == 0)
		log_notice("sandbox on, without landlock: this kernel lacks "
		    "it, so file access is not narrowed");
	else
		log_info("sandbox on: seccomp filter and landlock (ABI %d) "
		    "for the worker and checker processes", abi);
}

/*
 * The worker user applies only when started as root. A missing default
 * user is an error then, since running workers as root is never silent.
 */
static int
resolve_user(struct config *cfg, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	M.drop = false;
	if (geteuid() != 0) {
		M.uid = geteuid();
		M.gid = getegid();
		return 0;
	}
	if ((pw = getpwnam(cfg->global.user)) == NULL) {
		snprintf(err, errlen, "unknown user \"%s\" (set user in "
		    "[global] of %s)", cfg->global.user, cfg->path);
		return -1;
	}
	M.uid = pw->pw_uid;
	M.gid = pw->pw_gid;
	if (cfg->global.group != NULL) {
		if ((gr = getgrnam(cfg->global.group)) == NULL) {
			snprintf(err, errlen, "unknown group \"%s\"",
			    cfg->global.group);
			return -1;
		}
		M.gid = gr->gr_gid;
	}
	free(M.user);
	M.user = xstrdup(cfg->global.user);
	M.drop = M.uid != 0 || M.gid != 0;
	return 0;
}

/*
 * One health slot per upstream server, keyed "upstream/server". A reload
 * whose servers are the same keeps the zone; otherwise a new zone takes
 * over the state of every server that is still there.
 */
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

static int
health_build(struct config *cfg)
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

static void
master_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;
	char			err[1024];

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if ((int)si.ssi_signo == SIG_RELOAD_TOKEN) {
			if (M.ntokens < RELOAD_TOKENS_MAX)
				M.tokens[M.ntokens++] = si.ssi_int;
			reload_start();
			continue;
		}
		switch (si.ssi_signo) {
		case SIGHUP:
			reload_start();
			break;
		case SIGQUIT:
			stop_start(true);
			break;
		case SIGTERM:
		case SIGINT:
			stop_start(false);
			break;
		case SIGUSR1:
			/*
			 * Each file on its own: one that is refused (a link
			 * put in its place, say) keeps its old descriptor in
			 * every process, and the reason is logged.
			 */
			log_notice("reopening log files");
			if (log_prepare(M.cfg->global.error_log, M.uid, M.gid,
			    M.drop, err, sizeof(err)) == -1)
				log_error("%s", err);
			if (log_prepare(M.cfg->global.access_log, M.uid,
			    M.gid, M.drop, err, sizeof(err)) == -1)
				log_error("%s", err);
			if (log_reopen(err, sizeof(err)) == -1)
				log_error("cannot reopen %s: %s", log_target(),
				    err);
			spawn_broadcast(SIGUSR1);
			break;
		case SIGCHLD:
			spawn_reap();
			break;
		}
	}
	check_progress();
}

static void
master_status(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	pid_t	pids[64];
	ssize_t	n;

	while ((n = read(fd, pids, sizeof(pids))) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(pid_t); i++)
			spawn_mark_ready(pids[i]);
	check_progress();
}

/* Called after anything that may complete startup, a reload or a stop. */
static void
check_progress(void)
{
	char	where[512];
	size_t	want = generation_size(M.cfg);

	if (M.stopping) {
		if (spawn_count_all() == 0)
			ev_break(M.loop);
		return;
	}
	if (spawn_count(M.generation, true) < want)
		return;
	if (!M.started) {
		M.started = true;
		ev_timer_stop(M.loop, &M.reload_timer);
		listen_describe(M.listens, M.nlistens, where, sizeof(where));
		log_notice("frontd %s started: %d workers, listening on %s",
		    PACKAGE_VERSION, M.cfg->global.workers, where);
		daemon_ready(0, NULL);
		notify_send("READY=1\nSTATUS=running, %d workers\nMAINPID=%d",
		    M.cfg->global.workers, (int)getpid());
		if (M.reload_again) {
			M.reload_again = false;
			reload_start();
		}
	} else if (M.reloading)
		reload_finish(false);
}

static void
reload_timeout(struct ev_loop *loop, void *arg)
{
	char	msg[256];

	if (!M.started) {
		if (spawn_count_workers(M.generation, true) > 0) {
			log_warn("only %zu of %zu processes ready after %ds; "
			    "running anyway", spawn_count(M.generation, true),
			    generation_size(M.cfg), READY_TIMEOUT_MS / 1000);
			M.started = true;
			daemon_ready(0, NULL);
			notify_send("READY=1\nMAINPID=%d", (int)getpid());
			return;
		}
		snprintf(msg, sizeof(msg), "no worker became ready within %ds, "
		    "see the error log", READY_TIMEOUT_MS / 1000);
		log_error("%s", msg);
		if (M.daemon_fd != -1)
			daemon_ready(1, msg);
		M.started = true;
		stop_start(false);
		return;
	}
	if (!M.reloading)
		return;
	/* Half of the new workers at least (the checker does not count). */
	if (spawn_count_workers(M.generation, true) > 0 &&
	    spawn_count_workers(M.generation, true) * 2 >=
	    (size_t)M.cfg->global.workers) {
		log_warn("reload: only %zu of %zu new processes ready after "
		    "%ds; switching anyway", spawn_count(M.generation, true),
		    generation_size(M.cfg), READY_TIMEOUT_MS / 1000);
		reload_finish(true);
		return;
	}
	reload_rollback();
}

/* Tells every "frontd -s reload" caller of this reload how it went. */
static void
reload_report(bool ok, struct config *cfg)
{
	for (size_t i = 0; i < M.ncur_tokens; i++)
		reload_status_write(M.cfg->global.pid_file, M.cur_tokens[i], ok,
		    cfg);
	M.ncur_tokens = 0;
}

static void
reload_refuse(struct config *cfg, const char *why)
{
	log_warn("reload refused: %s; generation %d keeps running", why,
	    M.generation);
	for (size_t i = 0; i < cfg->nerrors; i++)
		log_warn("%s", cfg->errors[i]);
	reload_report(false, cfg);
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

static void
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
	else if (resolve_user(cfg, err, sizeof(err)) == -1 ||
	    logs_prepare(cfg, M.uid, M.gid, M.drop, err, sizeof(err)) == -1 ||
	    listen_open(cfg, M.listens, M.nlistens, &ls, &nls, err,
	    sizeof(err)) == -1)
		;
	else if (health_build(cfg) == -1) {
		snprintf(err, sizeof(err), "cannot build the health table: %s",
		    strerror(errno));
		listen_close_unused(ls, nls, M.listens, M.nlistens);
		free(ls);
	} else if (cache_build(cfg, err, sizeof(err)) == -1) {
		listen_close_unused(ls, nls, M.listens, M.nlistens);
		free(ls);
		if (M.old_health != NULL) {
			shm_zone_destroy(M.health);
			M.health = M.old_health;
			M.old_health = NULL;
		}
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
	if (strcmp(cfg->global.error_log, M.cfg->global.error_log) != 0 &&
	    !M.foreground && log_open(cfg->global.error_log, err,
	    sizeof(err)) == -1)
		log_error("cannot open error log %s: %s; keeping %s",
		    cfg->global.error_log, err, log_target());
	log_set_level(cfg->global.log_level);

	for (size_t i = 0; i < cfg->nwarnings; i++)
		log_warn("%s", cfg->warnings[i]);
	sandbox_announce(cfg, M.cfg);
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
	spawn_generation(M.generation);
	ev_timer_start(M.loop, &M.reload_timer, READY_TIMEOUT_MS,
	    reload_timeout, NULL);
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
	if (M.old_health != NULL) {
		shm_zone_destroy(M.health);
		M.health = M.old_health;
		M.old_health = NULL;
	}
	if (M.old_cache != M.cache) {
		cs_zone_close(M.cache);
		M.cache = M.old_cache;
	}
	M.old_cache = NULL;
	M.generation--;
	if (strcmp(failed->global.error_log, M.cfg->global.error_log) != 0 &&
	    !M.foreground && log_open(M.cfg->global.error_log, why,
	    sizeof(why)) == -1)
		log_error("cannot reopen error log %s: %s",
		    M.cfg->global.error_log, why);
	spawn_adopt_generation(M.generation, M.cfg->global.workers);
	log_set_level(M.cfg->global.log_level);
	M.reloading = false;
	cfg_error_at(failed, NULL, "the new worker processes did not start; "
	    "see the error log");
	reload_report(false, failed);
	notify_send("READY=1\nSTATUS=reload failed: workers did not start");
	config_free(failed);
	reload_next();
}

/* The new generation runs: retire the old one. */
static void
reload_finish(bool timed_out)
{
	ev_timer_stop(M.loop, &M.reload_timer);
	spawn_retire_below(M.generation, now_ms() +
	    M.cfg->global.shutdown_timeout_ms + DRAIN_GRACE_MS);
	arm_kill_timer();
	listen_close_unused(M.old_listens, M.nold_listens, M.listens,
	    M.nlistens);
	free(M.old_listens);
	M.old_listens = NULL;
	M.nold_listens = 0;
	config_free(M.old_cfg);
	M.old_cfg = NULL;
	shm_zone_destroy(M.old_health);
	M.old_health = NULL;
	if (M.old_cache != M.cache)
		cs_zone_close(M.old_cache);
	M.old_cache = NULL;
	counter_add(M.counters, CNT_RELOADS, 1);
	M.reloading = false;
	reload_report(true, NULL);
	log_notice("reload: configuration %s loaded, generation %d started%s",
	    M.config_path, M.generation, timed_out ?
	    " (not every process was ready in time)" : "");
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

static void
stop_start(bool graceful)
{
	char	d[32];

	if (M.stopping) {
		if (M.graceful && !graceful) {
			log_notice("fast stop requested during graceful stop");
			M.graceful = false;
			spawn_signal_all(SIGTERM);
			ev_timer_start(M.loop, &M.stop_timer,
			    FAST_STOP_GRACE_MS, stop_kill, NULL);
		}
		return;
	}
	M.stopping = true;
	M.graceful = graceful;
	notify_send("STOPPING=1");
	ev_timer_stop(M.loop, &M.reload_timer);
	ev_timer_stop(M.loop, &M.kill_timer);
	if (graceful) {
		fmt_duration(d, sizeof(d), M.cfg->global.shutdown_timeout_ms);
		log_notice("graceful stop: workers finish their requests "
		    "(up to %s)", d);
	} else
		log_notice("fast stop");
	spawn_signal_all(graceful ? SIGQUIT : SIGTERM);
	/* No new connection reaches us from here on. */
	for (size_t i = 0; i < M.nlistens; i++)
		close(M.listens[i].fd);
	M.nlistens = 0;
	ev_timer_start(M.loop, &M.stop_timer, graceful ?
	    M.cfg->global.shutdown_timeout_ms + DRAIN_GRACE_MS :
	    FAST_STOP_GRACE_MS, stop_kill, NULL);
	check_progress();
}

static void
stop_kill(struct ev_loop *loop, void *arg)
{
	if (spawn_count_all() == 0)
		return;
	log_warn("%zu processes still running; killing them",
	    spawn_count_all());
	spawn_signal_all(SIGKILL);
}
