/*
 * The syslog client of the error and access logs. glibc's syslog(3) cannot
 * do: it writes to /dev/log only and may block the writer when the daemon
 * falls behind. Here the socket is non-blocking, its path configurable,
 * and every line that could not be sent is counted for a report: the
 * owner takes one event (down, up again, full) at a time and logs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/logsock.h"
#include "common/util.h"

#define LOGSOCK_LINE_MAX	8448	/* an access line and the header */
#define LOGSOCK_RETRY_MS	1000	/* connect tries while down */

static const struct {
	const char	*name;
	int		 code;
} facilities[] = {
	{ "kern", LOG_KERN }, { "user", LOG_USER }, { "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
	{ "syslog", LOG_SYSLOG }, { "lpr", LOG_LPR }, { "news", LOG_NEWS },
	{ "uucp", LOG_UUCP }, { "cron", LOG_CRON },
	{ "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	{ NULL, 0 }
};

int
logsock_facility(const char *name)
{
	for (size_t i = 0; facilities[i].name != NULL; i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].code;
	return -1;
}

const char *
logsock_facility_name(int code)
{
	for (size_t i = 0; facilities[i].name != NULL; i++)
		if (facilities[i].code == code)
			return facilities[i].name;
	return "?";
}

/*
 * A log target as written: "syslog" gives deflt, "syslog:FACILITY" that
 * facility. Returns the facility, -1 for a syslog target with an unknown
 * facility, -2 for a target that is not syslog.
 */
int
logsock_target(const char *v, int deflt)
{
	if (strncmp(v, "syslog", 6) != 0)
		return -2;
	if (v[6] == '\0')
		return deflt;
	if (v[6] != ':')
		return -2;
	return logsock_facility(v + 7);
}

void
logsock_init(struct logsock *ls, const char *path, int facility)
{
	memset(ls, 0, sizeof(*ls));
	ls->fd = -1;
	ls->facility = facility;
	strlcpy_(ls->path, path, sizeof(ls->path));
}

static int
open_connected(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(why, whylen, "path too long");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Marks the socket down with the reason in ls->why, once per outage. */
static void
mark_down(struct logsock *ls)
{
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = -1;
	if (!ls->down) {
		ls->down = true;
		ls->tell_down = true;
		ls->tell_up = false;
	}
	ls->retry_ms = now_ms() + LOGSOCK_RETRY_MS;
}

static void
mark_up(struct logsock *ls)
{
	if (ls->down) {
		ls->down = false;
		ls->tell_down = false;
		ls->tell_up = ls->ndown > 0;
		if (!ls->tell_up)
			ls->ndown = 0;
	}
}

/*
 * Connects now (a process does it before it enters its sandbox; later
 * tries are allowed there too). Returns -1 with the reason in ls->why;
 * the socket is then down and lines are counted until a later try works.
 */
int
logsock_connect(struct logsock *ls)
{
	char	why[sizeof(ls->why)];
	int	fd;

	if ((fd = open_connected(ls->path, why, sizeof(why))) == -1) {
		strlcpy_(ls->why, why, sizeof(ls->why));
		mark_down(ls);
		return -1;
	}
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = fd;
	mark_up(ls);
	return 0;
}

void
logsock_close(struct logsock *ls)
{
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = -1;
}

/* Whether path answers now: for the checks at load time. */
int
logsock_probe(const char *path, char *why, size_t whylen)
{
	int	fd;

	if ((fd = open_connected(path, why, whylen)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* "Mmm dd hh:mm:ss", as RFC 3164 has it; formatted once a second. */
static const char *
stamp(void)
{
	static time_t	last = -1;
	static char	buf[32];
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	tm;
	time_t		t = time(NULL);

	if (t != last) {
		localtime_r(&t, &tm);
		/* Month names in English whatever the locale. */
		snprintf(buf, sizeof(buf), "%s %2d %02d:%02d:%02d",
		    months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		last = t;
	}
	return buf;
}

/*
 * Sends one line (no newline) at severity (LOG_INFO ...). Never waits: a
 * full socket drops the line, a missing one is tried again at most once a
 * second. Longer lines are cut.
 */
enum logsock_result
logsock_send(struct logsock *ls, int severity, int pid, const char *msg,
    size_t len)
{
	char	buf[LOGSOCK_LINE_MAX];
	int	n;

	if (ls->fd == -1) {
		if (now_ms() < ls->retry_ms || logsock_connect(ls) == -1) {
			ls->ndown++;
			return LOGSOCK_DOWN;
		}
	}
	n = snprintf(buf, sizeof(buf), "<%d>%s frontd[%d]: ",
	    ls->facility | severity, stamp(), pid);
	if (n < 0)
		n = 0;
	if (len > sizeof(buf) - (size_t)n)
		len = sizeof(buf) - (size_t)n;
	memcpy(buf + n, msg, len);
	for (int tries = 0; tries < 2; tries++) {
		if (send(ls->fd, buf, (size_t)n + len, MSG_DONTWAIT |
		    MSG_NOSIGNAL) != -1) {
			mark_up(ls);
			return LOGSOCK_SENT;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			ls->nfull++;
			return LOGSOCK_FULL;
		}
		if (errno == EINTR)
			continue;
		/*
		 * The daemon went away or started again on a new socket:
		 * connect afresh once, then count the line as lost.
		 */
		snprintf(ls->why, sizeof(ls->why), "%s", strerror(errno));
		if (tries > 0 || logsock_connect(ls) == -1)
			break;
	}
	if (ls->fd != -1)
		mark_down(ls);
	ls->ndown++;
	return LOGSOCK_DOWN;
}

/*
 * The next report for the owner, with the lines it counts in *n: the
 * socket went down (the reason in ls->why), came back (lines lost while
 * down), or dropped lines when full (at most once per
 * LOGSOCK_FULL_REPORT_MS, the first one right away).
 */
enum logsock_event
logsock_event(struct logsock *ls, uint64_t *n)
{
	*n = 0;
	if (ls->tell_down) {
		ls->tell_down = false;
		return LOGSOCK_EV_DOWN;
	}
	if (ls->tell_up) {
		ls->tell_up = false;
		*n = ls->ndown;
		ls->ndown = 0;
		return LOGSOCK_EV_UP;
	}
	if (ls->nfull > 0 && now_ms() >= ls->full_report_ms) {
		*n = ls->nfull;
		ls->nfull = 0;
		ls->full_report_ms = now_ms() + LOGSOCK_FULL_REPORT_MS;
		return LOGSOCK_EV_FULL;
	}
	return LOGSOCK_EV_NONE;
}
