/*
 * The master process: brings the first generation up, then only supervises.
 * It never handles client traffic. Signals arrive through a signalfd in the
 * same event loop as child readiness reports and timers, so every decision
 * (reload, stop, respawn) is made in one place, one at a time. A reload
 * itself is in reload.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/limit_zone.h"
#include "common/log.h"
#include "common/metrics_zone.h"
#include "common/sandbox.h"
#include "common/status_zone.h"
#include "common/tls.h"
#include "common/util.h"
#include "master/master.h"

#define FAST_STOP_GRACE_MS	5000

struct master	M = { .sigfd = -1, .pid_fd = -1, .daemon_fd = -1 };

static void	 master_signal(struct ev_loop *, int, uint32_t, void *);
static void	 master_status(struct ev_loop *, int, uint32_t, void *);
static void	 stop_start(bool);
static void	 stop_kill(struct ev_loop *, void *);
static void	 check_progress(void);
static void	 start_timeout(struct ev_loop *, void *);
static void	 master_sample(struct ev_loop *, void *);
static void	 startup_failed(const char *) __attribute__((noreturn));
static int	 start_abort(void);
static int	 selftest_get(bool);

/* The processes of a generation: its workers and the checker. */
size_t
master_generation_size(const struct config *cfg)
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
	if (master_resolve_user(cfg, err, sizeof(err)) == -1 ||
	    (M.pid_fd = pidfile_lock(cfg->global.pid_file, err,
	    sizeof(err))) == -1 ||
	    logs_prepare(cfg, M.uid, M.gid, M.drop, err, sizeof(err)) == -1) {
		fprintf(stderr, "frontd: %s\n", err);
		return start_abort();
	}
	log_set_syslog_socket(cfg->global.syslog_socket);
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
	master_sandbox_announce(cfg, NULL);
	rlimit_log(cfg);
	if ((M.counters = shm_zone_create(SHM_COUNTERS, SHM_COUNTERS_VERSION,
	    sizeof(struct counters_zone), 0)) == NULL ||
	    (M.metrics = metrics_zone_fit(NULL, cfg)) == NULL ||
	    (M.status = status_zone_create(CFG_WORKERS_MAX)) == NULL ||
	    reload_health_build(cfg) == -1 || tls_cache_init() == -1 ||
	    tls_keys_rotate() == -1) {
		snprintf(err, sizeof(err), "cannot create shared memory: %s",
		    strerror(errno));
		startup_failed(err);
	}
	if (cfg->global.cache_size > 0 && (M.cache = cs_zone_open(
	    cfg->global.cache_size, cfg->global.cache_file, err,
	    sizeof(err))) == NULL)
		startup_failed(err);
	if (cfg->global.rate_limit_zone > 0 && (M.limits = limit_zone_create(
	    cfg->global.rate_limit_zone)) == NULL) {
		snprintf(err, sizeof(err), "cannot create the rate_limit_zone "
		    "of %llu bytes: %s", (unsigned long long)
		    cfg->global.rate_limit_zone, strerror(errno));
		startup_failed(err);
	}
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
	if (control_open(cfg, err, sizeof(err)) == -1)
		startup_failed(err);

	proc_title("frontd: master process %s", M.config_path);
	M.generation = 1;
	spawn_generation(M.generation);
	ev_timer_start(M.loop, &M.reload_timer, READY_TIMEOUT_MS,
	    start_timeout, NULL);
	master_sample(M.loop, NULL);
	ev_run(M.loop);

	/* cfg may have been replaced by a reload: use M.cfg from here. */
	control_close();
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
void
master_sandbox_announce(const struct config *cfg, const struct config *old)
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
int
master_resolve_user(struct config *cfg, char *err, size_t errlen)
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
	size_t	want = master_generation_size(M.cfg);

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


/* The status page's request rate: the total, once a second. */
static void
master_sample(struct ev_loop *loop, void *arg)
{
	status_zone_sample(M.status, atomic_load_explicit(
	    &M.counters->c[CNT_REQUESTS], memory_order_relaxed), now_ms());
	ev_timer_start(loop, &M.sample_timer, STATUS_SAMPLE_MS,
	    master_sample, NULL);
}

/*
 * The first generation is late: run with the workers that are ready, or
 * stop if there is none.
 */
static void
start_timeout(struct ev_loop *loop, void *arg)
{
	char	msg[256];

	if (M.started)
		return;
	if (spawn_count_workers(M.generation, true) > 0) {
		log_warn("only %zu of %zu processes ready after %ds; "
		    "running anyway", spawn_count(M.generation, true),
		    master_generation_size(M.cfg), READY_TIMEOUT_MS / 1000);
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
