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
#include <sys/types.h>

struct config;

enum sandbox_role {
	SANDBOX_WORKER,
	SANDBOX_CHECKER
};

/* What FRONTD_SANDBOX_SELFTEST asks a worker to try once it is sandboxed. */
enum sandbox_test {
	SANDBOX_TEST_NONE,
	SANDBOX_TEST_EXECVE,	/* run /bin/true: killed */
	SANDBOX_TEST_PTRACE,	/* attach to the master: killed */
	SANDBOX_TEST_OPEN	/* read the configuration file: refused */
};

extern const char *const sandbox_test_names[];

int	sandbox_enter(enum sandbox_role, const struct config *);
int	sandbox_landlock_abi(void);
void	sandbox_describe(char *, size_t);
int	sandbox_test_parse(const char *);
void	sandbox_selftest(enum sandbox_test, const char *config_path,
	    pid_t master);

#endif
