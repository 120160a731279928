/*
 * The master's control socket, shared by its two files: control.c takes
 * clients and their one command line each, control_cmd.c runs the
 * commands. A command writes its answer into the client's output: "ok" or
 * "error" on the first line, then text or JSON.
 */
#ifndef MASTER_CONTROL_H
#define MASTER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/ev.h"

struct config;
struct config_diff;

#define CTL_LINE_MAX		1024	/* a command line, newline included */
#define CTL_ARGS_MAX		8
#define CTL_OUT_MAX		(4 * 1024 * 1024)

enum ctl_state {
	CTL_FREE,		/* the slot is unused */
	CTL_READ,		/* reading the command line; read timer */
	CTL_RELOAD_QUEUED,	/* a reload was asked during another one */
	CTL_RELOAD_CURRENT,	/* the reload running answers it */
	CTL_WRITE		/* sending the answer; send timer */
};

struct ctl_client {
	enum ctl_state	 state;
	int		 fd;
	struct ev_io	 io;
	struct ev_timer	 timer;
	uid_t		 uid;
	pid_t		 pid;
	bool		 may_change;	/* root, or the socket's group */
	bool		 json;
	char		 in[CTL_LINE_MAX];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outcap, outoff;
	bool		 truncated;	/* the answer was past CTL_OUT_MAX */
};

/* The outcome of a command: answered now, or later (a reload). */
enum ctl_result { CTL_DONE, CTL_PENDING };

/* control.c */
void	ctl_printf(struct ctl_client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	ctl_json_str(struct ctl_client *, const char *);
void	ctl_json_strn(struct ctl_client *, const char *, size_t);
void	ctl_reset(struct ctl_client *);
const char *ctl_group(void);

/* control_cmd.c */
enum ctl_result ctl_run(struct ctl_client *, char **, int);
void	ctl_reload_answer(struct ctl_client *, bool, const struct config *,
	    const struct config_diff *);
void	ctl_overrides_apply(const struct config *, const struct config *);

#endif
