/*
 * The sandbox of the worker and checker roles: no_new_privs, a Landlock
 * ruleset that narrows file access to the files they reopen, and a seccomp
 * filter that lets through only the system calls they make. Any other call
 * kills the process with SIGSYS, which the master reports.
 */
#ifndef COMMON_SANDBOX_H
#define COMMON_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

struct config;

enum sandbox_role {
	SANDBOX_WORKER,
	SANDBOX_CHECKER
};

int	sandbox_enter(enum sandbox_role, const struct config *);
int	sandbox_landlock_abi(void);
void	sandbox_describe(char *, size_t);

#endif
