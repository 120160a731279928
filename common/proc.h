/*
 * Where the master meets the roles it forks. master/spawn.c holds the table
 * of roles; each role's entry point is declared here so master/ and worker/
 * never include each other. A role gets a struct proc_env describing what it
 * inherited and returns its exit status.
 */
#ifndef COMMON_PROC_H
#define COMMON_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"

struct config;
struct health_zone;
struct counters_zone;
struct cs_zone;
struct spread_zone;
struct limit_zone;
struct metrics_zone;
struct status_zone;

/* A listening socket the master bound; children inherit the fd. */
struct proc_listen {
	int		 fd;
	struct addr	 addr;
	int		 listener;	/* index in config->listeners */
};

struct proc_env {
	const struct config	*cfg;
	const char		*config_path;
	struct proc_listen	*listens;
	size_t			 nlistens;
	struct health_zone	*health;
	struct counters_zone	*counters;
	struct cs_zone		*cache;		/* NULL: no cache_size */
	struct spread_zone	*spread;	/* NULL: a single worker */
	struct limit_zone	*limits;	/* NULL: no limit configured */
	struct metrics_zone	*metrics;	/* routes, upstreams, servers */
	struct status_zone	*status;	/* start, workers, rate */
	const int		*pokes;		/* eventfd of each slot */
	int			 life_fd;	/* EOF: the master is gone */
	int			 status_fd;	/* write our pid when ready */
	int			 generation;
	pid_t			 master_pid;
	int			 slot;		/* worker number from 0 */
	uint64_t		 nofile;	/* RLIMIT_NOFILE, 0 as is */
	bool			 drop;		/* switch to uid/gid */
	uid_t			 uid;
	gid_t			 gid;
	const char		*user;
	int			 sandbox_test;	/* enum sandbox_test */
};

int	worker_main(struct proc_env *);
int	checker_main(struct proc_env *);

void	proc_title_init(int, char **);
void	proc_title(const char *, ...) __attribute__((format(printf, 1, 2)));
int	proc_child_init(struct proc_env *, const char *role);
void	proc_report_ready(struct proc_env *);
int	proc_signalfd(void);

#endif
