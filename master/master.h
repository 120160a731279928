/*
 * State of the master process, shared by the files of master/: the running
 * configuration generation, the listening sockets, the shared zones and the
 * table of children.
 */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/proc.h"
#include "common/shm.h"

struct config_diff;

/*
 * "frontd -s reload" sends this queued real-time signal instead of HUP,
 * with its pid as the value, and waits for PID_FILE.reload.PID: the master
 * writes there the outcome of the reload that covered that request.
 */
#define SIG_RELOAD_TOKEN	(SIGRTMIN + 1)
#define RELOAD_TOKENS_MAX	64

#define READY_TIMEOUT_MS	10000	/* for a generation to come up */
#define DRAIN_GRACE_MS		2000	/* past shutdown_timeout */

struct master {
	char			*config_path;	/* absolute */
	struct config		*cfg;		/* running generation */
	int			 generation;
	bool			 foreground;

	struct proc_listen	*listens;
	size_t			 nlistens;

	struct health_zone	*health;
	struct health_zone	*old_health;	/* until a reload commits */
	struct counters_zone	*counters;
	struct metrics_zone	*metrics;	/* fitted to each generation */
	struct status_zone	*status;	/* the status page's */
	struct ev_timer		 sample_timer;	/* its request rate */
	struct cs_zone		*cache;
	struct cs_zone		*old_cache;	/* until a reload commits */
	struct limit_zone	*limits;	/* rate_limit, limit_conn */
	struct limit_zone	*old_limits;	/* until a reload commits */

	struct ev_loop		*loop;
	int			 sigfd;
	struct ev_io		 sig_io;
	int			 life_pipe[2];	/* children read [0] */
	int			 status_pipe[2];/* children write [1] */
	struct ev_io		 status_io;
	int			 pid_fd;	/* locked pid file */

	uid_t			 uid;
	gid_t			 gid;
	bool			 drop;
	char			*user;

	/* Reload in progress: waiting for the new generation to be ready. */
	bool			 reloading;
	bool			 reload_again;	/* HUP while reloading */
	struct ev_timer		 reload_timer;
	int			 tokens[RELOAD_TOKENS_MAX];	/* waiting */
	size_t			 ntokens;
	int			 cur_tokens[RELOAD_TOKENS_MAX];	/* this one */
	size_t			 ncur_tokens;
	struct proc_listen	*old_listens;	/* to close once switched */
	size_t			 nold_listens;
	struct config		*old_cfg;

	bool			 stopping;
	bool			 graceful;
	struct ev_timer		 stop_timer;
	struct ev_timer		 kill_timer;
	int			 daemon_fd;	/* tell the parent we run */
	bool			 started;
	int			 sandbox_test;	/* for the next worker */
};

extern struct master	 M;

/* listen.c */
int	listen_open(struct config *, struct proc_listen *, size_t,
	    struct proc_listen **, size_t *, char *, size_t);
void	listen_close_unused(struct proc_listen *, size_t,
	    const struct proc_listen *, size_t);
void	listen_describe(const struct proc_listen *, size_t, char *, size_t);

/* spawn.c */
enum role { ROLE_WORKER, ROLE_CHECKER };

/* One child, as frontdctl shows it. */
struct spawn_info {
	pid_t		 pid;
	const char	*role;
	int		 slot;
	int		 gen;
	bool		 ready;
	bool		 quitting;	/* asked to stop: draining */
	int64_t		 started_ms;
	int64_t		 deadline_ms;	/* killed after this; 0: none */
	int64_t		 nconns;	/* a worker's; -1: not known */
};

int	spawn_generation(int gen);
void	spawn_reap(void);
void	spawn_signal_all(int sig);
void	spawn_broadcast(int sig);
size_t	spawn_count(int gen, bool ready_only);
size_t	spawn_count_workers(int gen, bool ready_only);
size_t	spawn_count_all(void);
size_t	spawn_list(struct spawn_info *, size_t);
void	spawn_mark_ready(pid_t);
void	spawn_kill_generation(int gen);
void	spawn_adopt_generation(int gen, int nworkers);
void	spawn_retire_below(int gen, int64_t deadline_ms);
int64_t	spawn_next_deadline(void);
void	spawn_kill_overdue(int64_t now);

/* daemon.c */
int	daemon_start(char *, size_t);
void	daemon_ready(int status, const char *msg);
int	pidfile_lock(const char *, char *, size_t);
int	pidfile_write(int, const char *, char *, size_t);
void	pidfile_remove(const char *);
pid_t	pidfile_read(const char *, int *, char *, size_t);
bool	pidfile_held(int);
int	log_prepare(const char *, uid_t, gid_t, bool drop, char *, size_t);
int	logs_prepare(const struct config *, uid_t, gid_t, bool drop,
	    char *, size_t);

/* rlimit.c */
uint64_t rlimit_need(const struct config *);
void	rlimit_plan(struct config *);
void	rlimit_log(const struct config *);

/* notify.c */
void	notify_send(const char *, ...) __attribute__((format(printf, 1, 2)));

/* master.c */
int	master_run(const char *path, struct config *, bool foreground);
size_t	master_generation_size(const struct config *);
int	master_resolve_user(struct config *, char *, size_t);
void	master_sandbox_announce(const struct config *, const struct config *);

/* control.c */
int	control_open(const struct config *, char *, size_t);
void	control_apply(const struct config *, const struct config *);
void	control_close(void);
void	control_reload_begin(void);
void	control_reload_report(bool, const struct config *,
	    const struct config_diff *);

/* reload.c */
void	reload_start(void);
void	reload_finish(bool timed_out);
int	reload_health_build(struct config *);
void	reload_outcome(FILE *, bool, const struct config *,
	    const struct config_diff *);

#endif
