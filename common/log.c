/*
 * Error log. Each process keeps its own descriptor; a line is formatted into
 * a stack buffer and written with one write(2), so lines from the master,
 * workers and checker never interleave in an O_APPEND file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define LOG_LINE_MAX	2048

enum log_kind { LOG_KIND_STDERR, LOG_KIND_FILE, LOG_KIND_SYSLOG };

const char *const log_level_names[] = {
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_ERROR] = "error",
	NULL
};

static const int syslog_prio[] = {
	[LOG_LVL_DEBUG] = LOG_DEBUG,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_ERROR] = LOG_ERR
};

static struct {
	enum log_kind	 kind;
	enum log_level	 level;
	int		 fd;
	bool		 also_stderr;
	char		 role[16];
	int		 pid;
	char		 path[4096];
} lg = { LOG_KIND_STDERR, LOG_LVL_NOTICE, -1, false, "frontd", 0, "stderr" };

void
log_set_role(const char *role)
{
	strlcpy_(lg.role, role, sizeof(lg.role));
	lg.pid = getpid();
}

void
log_set_level(enum log_level level)
{
	lg.level = level;
}

bool
log_enabled(enum log_level level)
{
	return level >= lg.level;
}

/*
 * Switches the log to target. On failure the previous target stays in use
 * and errno is kept for the caller's message.
 */
int
log_open(const char *target)
{
	int	fd;

	if (strcmp(target, "stderr") == 0) {
		if (lg.fd != -1)
			close(lg.fd);
		lg.fd = -1;
		lg.kind = LOG_KIND_STDERR;
	} else if (strcmp(target, "syslog") == 0) {
		if (lg.fd != -1)
			close(lg.fd);
		lg.fd = -1;
		lg.kind = LOG_KIND_SYSLOG;
		openlog("frontd", LOG_NDELAY, LOG_DAEMON);
	} else {
		fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0644);
		if (fd == -1)
			return -1;
		if (lg.fd != -1)
			close(lg.fd);
		lg.fd = fd;
		lg.kind = LOG_KIND_FILE;
	}
	strlcpy_(lg.path, target, sizeof(lg.path));
	return 0;
}

int
log_reopen(void)
{
	if (lg.kind != LOG_KIND_FILE)
		return 0;
	return log_open(lg.path);
}

void
log_also_stderr(bool on)
{
	lg.also_stderr = on;
}

/*
 * A forked child closes the fds it does not need; syslog's socket must be
 * closed through glibc first and reopened after, or glibc would keep
 * writing to a number that some other file gets next.
 */
void
log_before_close_fds(void)
{
	if (lg.kind == LOG_KIND_SYSLOG)
		closelog();
}

void
log_after_close_fds(void)
{
	if (lg.kind == LOG_KIND_SYSLOG)
		openlog("frontd", LOG_NDELAY, LOG_DAEMON);
}

int
log_fd(void)
{
	return lg.kind == LOG_KIND_FILE ? lg.fd : -1;
}

const char *
log_target(void)
{
	return lg.path;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX];
	struct timeval	 tv;
	struct tm	 tm;
	size_t		 n, off;
	int		 r, saved = errno;

	if (level < lg.level)
		return;
	if (lg.pid == 0)
		lg.pid = getpid();
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	r = snprintf(line + off, sizeof(line) - off, ".%03d %s %s[%d]: ",
	    (int)(tv.tv_usec / 1000), log_level_names[level], lg.role, lg.pid);
	off += r > 0 ? (size_t)r : 0;
	r = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	n = off + (r > 0 ? (size_t)r : 0);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* One line per event, whatever the message held. */
	for (size_t i = off; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';

	switch (lg.kind) {
	case LOG_KIND_SYSLOG:
		line[n - 1] = '\0';
		/* syslog adds its own time; keep level, role and pid. */
		syslog(syslog_prio[level], "%s", line + 24);
		break;
	case LOG_KIND_FILE:
		if (write(lg.fd, line, n) == -1) {
			/* Nowhere better to say it. */
		}
		break;
	case LOG_KIND_STDERR:
		if (write(STDERR_FILENO, line, n) == -1) {
		}
		break;
	}
	if (lg.also_stderr && lg.kind != LOG_KIND_STDERR &&
	    level >= LOG_LVL_WARN) {
		if (write(STDERR_FILENO, line + 24, n - 24) == -1) {
		}
	}
	errno = saved;
}

#define LOG_FN(name, level)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	va_start(ap, fmt);					\
	log_vmsg(level, fmt, ap);				\
	va_end(ap);						\
}
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_notice, LOG_LVL_NOTICE)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_error, LOG_LVL_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
