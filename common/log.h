/*
 * The error log: one line per event, "TIME LEVEL ROLE[PID]: message", to a
 * file (O_APPEND, one write(2) per line so processes never interleave),
 * the local syslog socket (common/logsock.c) or stderr. The access log
 * lives in worker/accesslog.c.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_NOTICE,
	LOG_LVL_WARN,
	LOG_LVL_ERROR
};

extern const char *const log_level_names[];

void	log_set_role(const char *);
void	log_set_level(enum log_level);
void	log_set_syslog_socket(const char *);
int	log_pid(void);
int	log_file_open(const char *, bool *created, char *why, size_t);
/* The target: a path, "syslog[:FACILITY]" or "stderr". */
int	log_open(const char *, char *why, size_t);
int	log_reopen(char *why, size_t);
void	log_also_stderr(bool);
void	log_before_close_fds(void);
void	log_after_close_fds(void);
int	log_fd(void);			/* -1 unless logging to a file */
const char *log_target(void);

void	log_vmsg(enum log_level, const char *, va_list);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
bool	log_enabled(enum log_level);

#endif
