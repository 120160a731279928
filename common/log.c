/*
 * Error log. Each process keeps its own descriptor; a line is formatted into
 * a stack buffer and written with one write(2), so lines from the master,
 * workers and checker never interleave in an O_APPEND file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/logsock.h"
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

static char		syslog_path[LOGSOCK_PATH_MAX + 1] =
			    LOGSOCK_PATH_DEFAULT;
static struct logsock	ls = { .fd = -1 };

static void	syslog_report(void);

void
log_set_role(const char *role)
{
	strlcpy_(lg.role, role, sizeof(lg.role));
	lg.pid = getpid();
}

int
log_pid(void)
{
	if (lg.pid == 0)
		lg.pid = getpid();
	return lg.pid;
}

/* The socket "syslog" means, for the next log_open(). */
void
log_set_syslog_socket(const char *path)
{
	strlcpy_(syslog_path, path != NULL ? path : LOGSOCK_PATH_DEFAULT,
	    sizeof(syslog_path));
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
 * Opens the log file path for appending, by the rules every process
 * follows, since the master runs as root and a log directory may be
 * writable by the worker user: a symbolic link at path is never followed,
 * only a regular file with one link is written to (O_NONBLOCK: a FIFO
 * cannot block the open), and a missing file is created with O_EXCL, so
 * *created (if not NULL) says whether this call made it, and only then
 * may the caller change its owner. Returns the descriptor, or -1 with the
 * reason in why.
 */
int
log_file_open(const char *path, bool *created, char *why, size_t whylen)
{
	struct stat	st;
	int		fd = -1;

	if (created != NULL)
		*created = false;
	for (int tries = 0; tries < 2; tries++) {
		if (lstat(path, &st) == 0) {
			if (!S_ISREG(st.st_mode))
				goto refuse;
			fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
			if (fd != -1 || errno != ENOENT)
				break;		/* ENOENT: gone meanwhile */
		} else if (errno != ENOENT)
			goto fail;
		else {
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
			if (fd != -1 && created != NULL)
				*created = true;
			if (fd != -1 || errno != EEXIST)
				break;		/* EEXIST: made meanwhile */
		}
	}
	if (fd == -1) {
		int	e = errno;

		/* ELOOP, ENXIO: a link or a FIFO replaced it since lstat(). */
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			goto refuse;
		errno = e;
		goto fail;
	}
	/* What was opened, not what the name showed a moment before. */
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode))
		goto refuse;
	if (st.st_nlink != 1) {
		snprintf(why, whylen, "it has %ju hard links (frontd writes "
		    "only to a file with one)", (uintmax_t)st.st_nlink);
		close(fd);
		return -1;
	}
	/* Writes to a regular file never wait; keep the flags plain. */
	fcntl(fd, F_SETFL, O_APPEND);
	return fd;
fail:
	snprintf(why, whylen, "%s", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
refuse:
	if (S_ISLNK(st.st_mode))
		snprintf(why, whylen, "it is a symbolic link, which frontd "
		    "does not follow");
	else
		snprintf(why, whylen, "it is %s, not a regular file",
		    file_kind_name(st.st_mode));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Switches the log to target. On failure the previous target stays in use
 * and the reason is in why. A syslog socket that does not answer is no
 * failure: its lines are counted, and the outage is reported on stderr
 * (see syslog_report), as the configuration check warned.
 */
int
log_open(const char *target, char *why, size_t whylen)
{
	int	fd, fac;

	if ((fac = logsock_target(target, LOG_DAEMON)) == -1) {
		snprintf(why, whylen, "unknown syslog facility");
		return -1;
	}
	if (strcmp(target, "stderr") == 0) {
		if (lg.fd != -1)
			close(lg.fd);
		lg.fd = -1;
		logsock_close(&ls);
		lg.kind = LOG_KIND_STDERR;
	} else if (fac >= 0) {
		if (lg.fd != -1)
			close(lg.fd);
		lg.fd = -1;
		logsock_close(&ls);
		logsock_init(&ls, syslog_path, fac);
		lg.kind = LOG_KIND_SYSLOG;
		logsock_connect(&ls);
	} else {
		if ((fd = log_file_open(target, NULL, why, whylen)) == -1)
			return -1;
		if (lg.fd != -1)
			close(lg.fd);
		logsock_close(&ls);
		lg.fd = fd;
		lg.kind = LOG_KIND_FILE;
	}
	strlcpy_(lg.path, target, sizeof(lg.path));
	return 0;
}

int
log_reopen(char *why, size_t whylen)
{
	if (lg.kind != LOG_KIND_FILE)
		return 0;
	return log_open(lg.path, why, whylen);
}

void
log_also_stderr(bool on)
{
	lg.also_stderr = on;
}

/*
 * A forked child closes the fds it does not need; the syslog socket is
 * closed first and connected again after, by the child itself (before it
 * enters its sandbox), so no number is ever shared with another file.
 */
void
log_before_close_fds(void)
{
	if (lg.kind == LOG_KIND_SYSLOG)
		logsock_close(&ls);
}

void
log_after_close_fds(void)
{
	lg.pid = getpid();
	if (lg.kind == LOG_KIND_SYSLOG && ls.fd == -1)
		logsock_connect(&ls);
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
	case LOG_KIND_SYSLOG: {
		char	msg[LOG_LINE_MAX];
		int	m;

		/* The tag has the pid and the header the time. */
		m = snprintf(msg, sizeof(msg), "%s %s: %.*s",
		    log_level_names[level], lg.role, (int)(n - 1 - off),
		    line + off);
		if (m > (int)sizeof(msg) - 1)
			m = (int)sizeof(msg) - 1;
		logsock_send(&ls, syslog_prio[level], lg.pid, msg,
		    m > 0 ? (size_t)m : 0);
		syslog_report();
		break;
	}
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

/*
 * What the syslog socket did to the error log's lines, said once: the
 * outage on stderr (the terminal at start, or -f's), the count of lost
 * lines through syslog itself once it answers again.
 */
static void
syslog_report(void)
{
	char		 msg[512];
	uint64_t	 n;
	int		 m = 0;

	switch (logsock_event(&ls, &n)) {
	case LOGSOCK_EV_NONE:
		return;
	case LOGSOCK_EV_DOWN:
		m = snprintf(msg, sizeof(msg), "frontd %s[%d]: syslog "
		    "socket %s: %s: error log lines are lost until it "
		    "answers\n", lg.role, lg.pid, ls.path, ls.why);
		if (m > 0 && write(STDERR_FILENO, msg, (size_t)m) == -1) {
		}
		return;
	case LOGSOCK_EV_UP:
		m = snprintf(msg, sizeof(msg), "warn %s: syslog socket %s "
		    "answers again; %llu error log lines were lost", lg.role,
		    ls.path, (unsigned long long)n);
		break;
	case LOGSOCK_EV_FULL:
		m = snprintf(msg, sizeof(msg), "warn %s: syslog socket %s is "
		    "full; %llu error log lines were dropped", lg.role,
		    ls.path, (unsigned long long)n);
		break;
	}
	if (m > 0)
		logsock_send(&ls, LOG_WARNING, lg.pid, msg, (size_t)m <
		    sizeof(msg) ? (size_t)m : sizeof(msg) - 1);
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
