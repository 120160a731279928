/*
 * What every child role does first: name itself in ps, drop privileges,
 * arrange to die with the master, and report readiness. Process titles
 * overwrite the argv area (the environment strings that follow it are moved
 * to the heap first), which is what ps and /proc/PID/cmdline show.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/util.h"

extern char **environ;

static char	*title_start;
static size_t	 title_len;

/* Call once from main() before anything reads argv or the environment. */
void
proc_title_init(int argc, char **argv)
{
	char	*end;
	char	**env;
	int	 i, n;

	if (argc == 0 || argv[0] == NULL)
		return;
	title_start = argv[0];
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		;
	env = xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		env[i] = xstrdup(environ[i]);
	}
	environ = env;
	for (i = 0; i < argc; i++)
		argv[i] = xstrdup(argv[i]);
	title_len = (size_t)(end - title_start);
}

void
proc_title(const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (title_start == NULL || title_len < 2)
		return;
	n = strlen(buf);
	if (n > title_len - 1)
		n = title_len - 1;
	memcpy(title_start, buf, n);
	memset(title_start + n, '\0', title_len - n);
}

/*
 * Runs in a freshly forked child: the open files limit the master chose
 * for the role, privileges (the parent-death signal is cleared by a
 * credential change, so it is set after), then the check that the master
 * did not die between fork and here.
 */
int
proc_child_init(struct proc_env *env, const char *role)
{
	struct rlimit	rl;

	log_set_role(role);
	signal(SIGPIPE, SIG_IGN);
	/* The master raised the hard limit where it could: within it. */
	if (env->nofile != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != env->nofile) {
		rl.rlim_cur = env->nofile;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot set the open files limit to %llu: %s",
			    (unsigned long long)rl.rlim_cur, strerror(errno));
	}
	if (env->drop) {
		if (setgroups(0, NULL) == -1 && errno != EPERM)
			goto fail;
		if (initgroups(env->user, env->gid) == -1 ||
		    setgid(env->gid) == -1 || setuid(env->uid) == -1)
			goto fail;
		if (setuid(0) != -1) {
			log_error("could still regain root after dropping "
			    "to %s", env->user);
			return -1;
		}
	}
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
	if (getppid() != env->master_pid)
		return -1;
	return 0;
fail:
	log_error("cannot switch to user %s: %s", env->user, strerror(errno));
	return -1;
}

void
proc_report_ready(struct proc_env *env)
{
	pid_t	pid = getpid();

	if (env->status_fd == -1)
		return;
	/* Under PIPE_BUF: the write is atomic among all children. */
	if (write(env->status_fd, &pid, sizeof(pid)) != sizeof(pid))
		log_warn("cannot report readiness: %s", strerror(errno));
}

/*
 * The signals a child role takes from the master: QUIT, TERM, INT, USR1
 * and HUP. They stay blocked (they were since fork) and arrive through the
 * returned signalfd, in the role's event loop.
 */
int
proc_signalfd(void)
{
	sigset_t	mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}
