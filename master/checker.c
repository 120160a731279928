/*
 * The health checker: a role of its own, the sole writer of health state
 * in the shared table. Active checks arrive with the routing issue; until
 * then it keeps the table's "last check" stamps unset, follows the master's
 * life like every child, and stops cleanly on QUIT or TERM.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/shm.h"

static struct ev_io	sig_io, life_io;
static int		status;

static void
checker_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGQUIT:
		case SIGTERM:
		case SIGINT:
			ev_break(loop);
			return;
		case SIGUSR1:
			if (log_reopen() == -1)
				log_error("cannot reopen %s: %s", log_target(),
				    strerror(errno));
			break;
		default:
			break;
		}
	}
}

static void
checker_life(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	log_warn("master process is gone; exiting");
	status = 1;
	ev_break(loop);
}

int
checker_main(struct proc_env *env)
{
	struct ev_loop	*loop;
	int		 sigfd;

	if ((sigfd = proc_signalfd()) == -1 ||
	    (loop = ev_loop_new()) == NULL) {
		log_error("signalfd/epoll: %s", strerror(errno));
		return 1;
	}
	/* The checker accepts nothing: drop the inherited listeners. */
	for (size_t i = 0; i < env->nlistens; i++)
		close(env->listens[i].fd);
	ev_io_add(loop, &sig_io, sigfd, EPOLLIN, checker_signal, NULL);
	ev_io_add(loop, &life_io, env->life_fd, EPOLLIN, checker_life, NULL);
	proc_report_ready(env);
	log_debug("health checker of generation %d ready, %llu servers",
	    env->generation, (unsigned long long)env->health->hdr.nslots);
	ev_run(loop);
	ev_loop_free(loop);
	close(sigfd);
	return status;
}
