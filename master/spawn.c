/*
 * The table of roles the master forks and the table of its children. A
 * child belongs to a generation (one per successful reload); only children
 * of the running generation are respawned when they die, with a back-off
 * that grows while a slot keeps crashing soon after its start. The workers
 * of a generation also get what they share to spread new connections.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cache_store.h"
#include "common/limit_zone.h"
#include "common/log.h"
#include "common/shm.h"
#include "common/status_zone.h"
#include "common/util.h"
#include "master/master.h"

#define RESPAWN_MAX_MS		30000
#define RESPAWN_FIRST_MS	100
#define RESPAWN_STABLE_MS	10000	/* lived this long: not a crash loop */

struct role_def {
	const char	*name;		/* log role */
	const char	*title;		/* what ps shows */
	int		(*main)(struct proc_env *);
};

static const struct role_def roles[] = {
	[ROLE_WORKER] = { "worker", "frontd: worker process", worker_main },
	[ROLE_CHECKER] = { "checker", "frontd: health checker", checker_main },
};

struct child {
	pid_t		 pid;
	enum role	 role;
	int		 slot;
	int		 gen;
	bool		 ready;
	bool		 quitting;	/* asked to stop: exit expected */
	int64_t		 started_ms;
	int64_t		 deadline_ms;	/* killed after this; 0 = none */
};

/* Respawn state of one slot of the running generation. */
struct slot {
	enum role	 role;
	int		 slot;
	int		 crashes;
	struct ev_timer	 timer;
};

/*
 * What the workers of a generation share to spread new connections
 * (worker/spread.c): a zone with a slot per worker, and an eventfd per
 * worker by which the others wake it. Made anew for each generation; the
 * running one is kept until a reload commits or rolls back.
 */
struct spread {
	int			 gen;		/* -1: none */
	struct spread_zone	*zone;
	int			*pokes;
	size_t			 n;
};

static struct child	*children;
static size_t		 nchildren, capchildren;
static struct slot	*slots;
static size_t		 nslots;
static int		 slots_gen = -1;
static struct spread	 spread_cur = { .gen = -1 }, spread_old = { .gen = -1 };

static pid_t	spawn_one(enum role, int slot, int gen);
static void	respawn_cb(struct ev_loop *, void *);
static void	say(enum log_level, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
close_from(int lo, int hi)
{
	/* close_range(2) is in glibc 2.34+, Debian 12 has 2.36. */
	if (lo > hi)
		return 0;
	if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return 0;
	/* Old kernel: do it by hand, up to the descriptor limit. */
	for (long fd = lo, max = sysconf(_SC_OPEN_MAX); fd <= hi && fd < max;
	    fd++)
		close((int)fd);
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* In the child: close every fd but those the role inherits. */
static void
child_close_fds(enum role role)
{
	int	keep[1024], n = 0, lo = 3;

	keep[n++] = M.life_pipe[0];
	keep[n++] = M.status_pipe[1];
	if (log_fd() != -1)
		keep[n++] = log_fd();
	for (size_t i = 0; i < M.nlistens && n < (int)nitems(keep); i++)
		keep[n++] = M.listens[i].fd;
	for (size_t i = 0; role == ROLE_WORKER && spread_cur.pokes != NULL &&
	    i < spread_cur.n && n < (int)nitems(keep); i++)
		keep[n++] = spread_cur.pokes[i];
	qsort(keep, (size_t)n, sizeof(int), cmp_int);
	for (int i = 0; i < n; i++) {
		if (keep[i] < lo)
			continue;
		close_from(lo, keep[i] - 1);
		lo = keep[i] + 1;
	}
	close_from(lo, ~0U >> 1);
}

static struct slot *
slot_get(enum role role, int slot)
{
	for (size_t i = 0; i < nslots; i++)
		if (slots[i].role == role && slots[i].slot == slot)
			return &slots[i];
	return NULL;
}

static void
spawn_spread_free(struct spread *sp)
{
	for (size_t i = 0; sp->pokes != NULL && i < sp->n; i++)
		if (sp->pokes[i] != -1)
			close(sp->pokes[i]);
	free(sp->pokes);
	shm_zone_destroy(sp->zone);
	memset(sp, 0, sizeof(*sp));
	sp->gen = -1;
}

/*
 * The spreading of generation gen, for two workers or more. Without it
 * (one worker, or no memory or descriptors for it) workers take
 * connections as they come, as a single worker does.
 */
static void
spawn_spread_make(struct spread *sp, int gen, int nworkers)
{
	memset(sp, 0, sizeof(*sp));
	sp->gen = gen;
	if (nworkers < 2)
		return;
	sp->n = (size_t)nworkers;
	sp->pokes = xcalloc(sp->n, sizeof(int));
	for (size_t i = 0; i < sp->n; i++)
		sp->pokes[i] = -1;
	sp->zone = shm_zone_create(SHM_SPREAD, SHM_SPREAD_VERSION,
	    sizeof(*sp->zone) + sp->n * sizeof(sp->zone->slots[0]), sp->n);
	if (sp->zone == NULL)
		goto fail;
	for (size_t i = 0; i < sp->n; i++)
		if ((sp->pokes[i] = eventfd(0, EFD_NONBLOCK |
		    EFD_CLOEXEC)) == -1)
			goto fail;
	return;
fail:
	log_warn("cannot set up the spreading of connections over the "
	    "workers: %s; each takes them as they come", strerror(errno));
	spawn_spread_free(sp);
	sp->gen = gen;
}

/* A worker of gen is gone: it holds nothing and takes nothing. */
static void
spawn_spread_forget(int gen, int slot)
{
	struct spread		*sp = gen == spread_cur.gen ? &spread_cur :
				    gen == spread_old.gen ? &spread_old : NULL;
	struct spread_slot	*sl;

	if (sp == NULL || sp->zone == NULL || slot < 0 ||
	    (size_t)slot >= sp->n)
		return;
	sl = &sp->zone->slots[slot];
	atomic_store(&sl->present, 0);
	atomic_store(&sl->nconns, 0);
}

static void
slots_reset(int gen, int nworkers)
{
	for (size_t i = 0; i < nslots; i++)
		ev_timer_stop(M.loop, &slots[i].timer);
	free(slots);
	nslots = (size_t)nworkers + 1;
	slots = xcalloc(nslots, sizeof(*slots));
	for (int i = 0; i < nworkers; i++) {
		slots[i].role = ROLE_WORKER;
		slots[i].slot = i;
	}
	slots[nworkers].role = ROLE_CHECKER;
	slots[nworkers].slot = 0;
	slots_gen = gen;
}

/* Forks every child of generation gen. Returns the number that failed. */
int
spawn_generation(int gen)
{
	int	failed = 0, nworkers = M.cfg->global.workers;

	spawn_spread_free(&spread_old);
	spread_old = spread_cur;
	spawn_spread_make(&spread_cur, gen, nworkers);
	slots_reset(gen, nworkers);
	for (int i = 0; i < nworkers; i++)
		if (spawn_one(ROLE_WORKER, i, gen) == -1)
			failed++;
	if (spawn_one(ROLE_CHECKER, 0, gen) == -1)
		failed++;
	return failed;
}

/*
 * After a failed reload the previous generation is the running one again:
 * its slots are the ones to respawn.
 */
void
spawn_adopt_generation(int gen, int nworkers)
{
	if (spread_old.gen == gen) {
		spawn_spread_free(&spread_cur);
		spread_cur = spread_old;
		spread_old = (struct spread){ .gen = -1 };
	}
	slots_reset(gen, nworkers);
}

/* Schedules a slot's next start with its back-off; says why at level. */
static void
slot_schedule(struct slot *s, int64_t lived_ms, const char *what,
    pid_t pid, const char *why, enum log_level level)
{
	int64_t	delay_ms = 0;

	if (lived_ms >= RESPAWN_STABLE_MS)
		s->crashes = 0;
	if (s->crashes > 0) {
		delay_ms = RESPAWN_FIRST_MS;
		for (int k = 1; k < s->crashes && delay_ms < RESPAWN_MAX_MS;
		    k++)
			delay_ms *= 2;
		if (delay_ms > RESPAWN_MAX_MS)
			delay_ms = RESPAWN_MAX_MS;
	}
	s->crashes++;
	if (pid > 0)
		say(level, "%s process %d %s; starting a new one in %lldms",
		    what, (int)pid, why, (long long)delay_ms);
	ev_timer_start(M.loop, &s->timer, delay_ms, respawn_cb, s);
}

static pid_t
spawn_one(enum role role, int slot, int gen)
{
	const struct role_def	*r = &roles[role];
	struct proc_env		 env;
	struct child		*c;
	struct slot		*sl;
	pid_t			 pid;
	int			 status, devnull;

	if ((pid = fork()) == -1) {
		log_error("cannot fork a %s process: %s", r->name,
		    strerror(errno));
		/* Try again later, as if it had crashed at once. */
		if (gen == slots_gen && (sl = slot_get(role, slot)) != NULL)
			slot_schedule(sl, 0, r->name, 0, NULL, LOG_LVL_WARN);
		return -1;
	}
	if (pid == 0) {
		memset(&env, 0, sizeof(env));
		env.cfg = M.cfg;
		env.config_path = M.config_path;
		env.listens = M.listens;
		env.nlistens = M.nlistens;
		env.health = M.health;
		env.counters = M.counters;
		env.metrics = M.metrics;
		env.status = M.status;
		env.cache = M.cache;
		env.limits = M.limits;
		if (role == ROLE_WORKER && gen == spread_cur.gen) {
			env.spread = spread_cur.zone;
			env.pokes = spread_cur.pokes;
		}
		env.life_fd = M.life_pipe[0];
		env.status_fd = M.status_pipe[1];
		env.generation = gen;
		env.master_pid = getppid();
		env.slot = slot;
		env.nofile = role == ROLE_WORKER ? M.cfg->worker_nofile : 0;
		env.drop = M.drop;
		env.uid = M.uid;
		env.gid = M.gid;
		env.user = M.user;
		if (role == ROLE_WORKER)
			env.sandbox_test = M.sandbox_test;
		/*
		 * Signals stay blocked: each role takes them from its own
		 * signalfd, so one sent before that exists waits, pending.
		 * syslog's socket is reopened after the fds are closed, or
		 * glibc would write to whatever reuses its number.
		 */
		log_before_close_fds();
		child_close_fds(role);
		log_after_close_fds();
		if (!M.foreground) {
			/* The terminal that started us is not ours to keep. */
			if ((devnull = open("/dev/null", O_WRONLY)) != -1) {
				dup2(devnull, STDERR_FILENO);
				close(devnull);
			}
		}
		log_also_stderr(false);
		/*
		 * A session of its own: job control signals from a terminal
		 * (^C under -f) reach only the master, which stops the
		 * children in order; and the scheduler does not group the
		 * children with whatever else that terminal runs.
		 */
		setsid();
		proc_title("%s", r->title);
		if (proc_child_init(&env, r->name) == -1)
			exit(1);
		status = r->main(&env);
		exit(status);
	}
	/* The self-test is for the first worker alone, not a crash loop. */
	if (role == ROLE_WORKER)
		M.sandbox_test = 0;
	if (nchildren == capchildren) {
		capchildren = capchildren ? capchildren * 2 : 16;
		children = xrealloc(children, capchildren, sizeof(*children));
	}
	c = &children[nchildren++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->role = role;
	c->slot = slot;
	c->gen = gen;
	c->started_ms = now_ms();
	log_info("started %s process %d (generation %d)", r->name, (int)pid,
	    gen);
	return pid;
}

/*
 * What became of a child, for the log. A seccomp kill is named for what it
 * is: the process made a system call its sandbox does not allow.
 */
static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, len, "was killed by the sandbox (SIGSYS): it "
		    "made a system call outside its allow-list%s",
		    WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with status %#x", status);
}

static void
respawn_cb(struct ev_loop *loop, void *arg)
{
	struct slot	*s = arg;

	if (M.stopping || slots_gen != M.generation)
		return;
	spawn_one(s->role, s->slot, M.generation);
}

/* Collects every exited child; schedules respawns for unexpected deaths. */
void
spawn_reap(void)
{
	char		 why[128];
	pid_t		 pid;
	int		 status;
	size_t		 i;
	bool		 sandboxed;
	enum log_level	 level;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child	 c;
		struct slot	*s;

		for (i = 0; i < nchildren; i++)
			if (children[i].pid == pid)
				break;
		if (i == nchildren)
			continue;	/* the daemon parent, for instance */
		c = children[i];
		children[i] = children[--nchildren];
		if (c.role == ROLE_WORKER) {
			spawn_spread_forget(c.gen, c.slot);
			status_zone_forget(M.status, c.pid);
		}
		/* What it was writing to the cache is taken back. */
		if (c.role == ROLE_WORKER && M.cache != NULL)
			cs_zone_recover(M.cache, false);
		if (c.role == ROLE_WORKER && M.old_cache != NULL)
			cs_zone_recover(M.old_cache, false);
		/* And the requests it counted against limit_conn. */
		if (c.role == ROLE_WORKER && M.limits != NULL)
			limit_zone_reap(M.limits, pid);
		if (c.role == ROLE_WORKER && M.old_limits != NULL &&
		    M.old_limits != M.limits)
			limit_zone_reap(M.old_limits, pid);
		describe_status(status, why, sizeof(why));
		/* A sandbox kill is a bug or an attack, never routine. */
		sandboxed = WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
		if (c.quitting || M.stopping || c.gen != M.generation) {
			if (sandboxed)
				level = LOG_LVL_ERROR;
			else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				level = LOG_LVL_INFO;
			else
				level = LOG_LVL_NOTICE;
			say(level, "%s process %d (generation %d) %s",
			    roles[c.role].name, (int)pid, c.gen, why);
			continue;
		}
		if ((s = slot_get(c.role, c.slot)) == NULL)
			continue;
		if (M.counters != NULL)
			counter_add(M.counters, CNT_WORKER_RESPAWNS, 1);
		slot_schedule(s, now_ms() - c.started_ms, roles[c.role].name,
		    pid, why, sandboxed ? LOG_LVL_ERROR : LOG_LVL_WARN);
	}
}

void
spawn_mark_ready(pid_t pid)
{
	for (size_t i = 0; i < nchildren; i++)
		if (children[i].pid == pid)
			children[i].ready = true;
}

/*
 * Asks every child of a generation older than gen to finish, and sets the
 * time after which it is killed (a child keeps its first deadline).
 */
void
spawn_retire_below(int gen, int64_t deadline_ms)
{
	if (spread_old.gen != -1 && spread_old.gen < gen)
		spawn_spread_free(&spread_old);
	for (size_t i = 0; i < nchildren; i++) {
		struct child *c = &children[i];

		if (c->gen >= gen)
			continue;
		if (!c->quitting)
			kill(c->pid, SIGQUIT);
		c->quitting = true;
		if (c->deadline_ms == 0)
			c->deadline_ms = deadline_ms;
	}
}

int64_t
spawn_next_deadline(void)
{
	int64_t	next = -1;

	for (size_t i = 0; i < nchildren; i++)
		if (children[i].deadline_ms != 0 && (next < 0 ||
		    children[i].deadline_ms < next))
			next = children[i].deadline_ms;
	return next;
}

void
spawn_kill_overdue(int64_t now)
{
	for (size_t i = 0; i < nchildren; i++) {
		struct child *c = &children[i];

		if (c->deadline_ms == 0 || c->deadline_ms > now)
			continue;
		log_warn("%s process %d (generation %d) did not finish in "
		    "time; killing it", roles[c->role].name, (int)c->pid,
		    c->gen);
		kill(c->pid, SIGKILL);
		c->deadline_ms = 0;
	}
}

/* Stops a whole generation at once (a reload that failed to start). */
void
spawn_kill_generation(int gen)
{
	for (size_t i = 0; i < nchildren; i++)
		if (children[i].gen == gen) {
			children[i].quitting = true;
			kill(children[i].pid, SIGKILL);
		}
}

void
spawn_signal_all(int sig)
{
	for (size_t i = 0; i < nchildren; i++) {
		children[i].quitting = true;
		kill(children[i].pid, sig);
	}
}

size_t
spawn_count(int gen, bool ready_only)
{
	size_t	n = 0;

	for (size_t i = 0; i < nchildren; i++)
		if (children[i].gen == gen && (!ready_only ||
		    children[i].ready))
			n++;
	return n;
}

size_t
spawn_count_workers(int gen, bool ready_only)
{
	size_t	n = 0;

	for (size_t i = 0; i < nchildren; i++)
		if (children[i].gen == gen && children[i].role == ROLE_WORKER &&
		    (!ready_only || children[i].ready))
			n++;
	return n;
}

size_t
spawn_count_all(void)
{
	return nchildren;
}

/*
 * Up to max children, oldest generation first, for frontdctl: what each
 * is, and a worker's open connections when its generation spreads them.
 */
size_t
spawn_list(struct spawn_info *out, size_t max)
{
	size_t	n = 0;

	for (size_t i = 0; i < nchildren && n < max; i++) {
		const struct child	*c = &children[i];
		struct spawn_info	*o = &out[n++];

		o->pid = c->pid;
		o->role = roles[c->role].name;
		o->slot = c->slot;
		o->gen = c->gen;
		o->ready = c->ready;
		o->quitting = c->quitting;
		o->started_ms = c->started_ms;
		o->deadline_ms = c->deadline_ms;
		o->nconns = -1;
		if (c->role == ROLE_WORKER && spread_cur.gen == c->gen &&
		    spread_cur.zone != NULL && (size_t)c->slot < spread_cur.n)
			o->nconns = (int64_t)atomic_load(
			    &spread_cur.zone->slots[c->slot].nconns);
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (out[j - 1].gen > out[j].gen ||
		    (out[j - 1].gen == out[j].gen && out[j - 1].slot >
		    out[j].slot)); j--) {
			struct spawn_info t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* Sends sig to every child without changing what their exit means. */
void
spawn_broadcast(int sig)
{
	for (size_t i = 0; i < nchildren; i++)
		kill(children[i].pid, sig);
}

static void
say(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
