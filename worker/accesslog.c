/*
 * Access log writer. Values that come from the client are escaped (quotes,
 * backslashes, control and non-ASCII bytes as \xHH, or \u00HH in JSON) so
 * a request can never forge a log line or break the JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/logsock.h"
#include "common/util.h"
#include "worker/accesslog.h"

#define ACCESS_LINE_MAX	8192

static int		 access_fd = -1;
static char		 access_path[4096];
static bool		 access_syslog;
static struct logsock	 access_ls;

static void	syslog_report(void);

/*
 * Opens the access log by the rules of log_file_open() (no symbolic link,
 * a regular file); on failure the file in use stays, with the reason in
 * why. "syslog[:FACILITY]" connects to syslog_socket now, before the
 * sandbox: a socket that does not answer is reported once, and tried
 * again while lines come.
 */
int
accesslog_open(const char *path, const char *syslog_socket, char *why,
    size_t whylen)
{
	int	fd, fac;

	if (path == NULL) {
		access_path[0] = '\0';
		return 0;
	}
	if ((fac = logsock_target(path, LOG_LOCAL7)) >= 0) {
		if (access_fd != -1)
			close(access_fd);
		access_fd = -1;
		logsock_close(&access_ls);
		logsock_init(&access_ls, syslog_socket, fac);
		access_syslog = true;
		if (logsock_connect(&access_ls) == -1)
			syslog_report();
		strlcpy_(access_path, path, sizeof(access_path));
		return 0;
	}
	if ((fd = log_file_open(path, NULL, why, whylen)) == -1)
		return -1;
	if (access_fd != -1)
		close(access_fd);
	access_fd = fd;
	strlcpy_(access_path, path, sizeof(access_path));
	return 0;
}

bool
accesslog_enabled(void)
{
	return access_fd != -1 || access_syslog;
}

/* USR1: a file is opened again; a syslog socket needs nothing. */
int
accesslog_reopen(char *why, size_t whylen)
{
	if (access_path[0] == '\0' || access_syslog)
		return 0;
	return accesslog_open(access_path, NULL, why, whylen);
}

/* What the syslog socket did to the access lines, once, in the error log. */
static void
syslog_report(void)
{
	enum logsock_event	ev;
	uint64_t		n;

	while ((ev = logsock_event(&access_ls, &n)) != LOGSOCK_EV_NONE) {
		switch (ev) {
		case LOGSOCK_EV_DOWN:
			log_warn("access log: syslog socket %s: %s: lines are "
			    "lost until it answers", access_ls.path,
			    access_ls.why);
			break;
		case LOGSOCK_EV_UP:
			log_notice("access log: syslog socket %s answers "
			    "again; %llu lines were lost", access_ls.path,
			    (unsigned long long)n);
			break;
		case LOGSOCK_EV_FULL:
			log_warn("access log: syslog socket %s is full; %llu "
			    "lines were dropped", access_ls.path,
			    (unsigned long long)n);
			break;
		case LOGSOCK_EV_NONE:
			break;
		}
	}
}

struct line {
	char	buf[ACCESS_LINE_MAX];
	size_t	len;
};

static void
add(struct line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->buf) - 2)
		n = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* A literal: its length counted by the compiler, not by hand. */
#define adds(l, lit)	add((l), (lit), sizeof(lit) - 1)

static void __attribute__((format(printf, 2, 3)))
addf(struct line *l, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - 2 - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - 2 - l->len ? (size_t)n :
		    sizeof(l->buf) - 2 - l->len;
}

/* Client bytes, escaped; "-" (or "" in JSON) when absent. */
static void
add_esc(struct line *l, const char *s, size_t n, bool json)
{
	static const char	hex[] = "0123456789abcdef";
	char			e[8];

	if (s == NULL || n == 0) {
		if (!json)
			add(l, "-", 1);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			if (json)
				snprintf(e, sizeof(e), "\\u00%c%c",
				    hex[c >> 4], hex[c & 15]);
			else
				snprintf(e, sizeof(e), "\\x%c%c", hex[c >> 4],
				    hex[c & 15]);
			add(l, e, strlen(e));
		} else
			add(l, (const char *)&s[i], 1);
	}
}

/* The combined format's user field: escaped, a space too. */
static void
add_user(struct line *l, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ' ')
			adds(l, "\\x20");
		else
			add_esc(l, s, 1, false);
}

static void
add_secs(struct line *l, int64_t ms)
{
	if (ms < 0)
		add(l, "-", 1);
	else
		addf(l, "%lld.%03lld", (long long)(ms / 1000),
		    (long long)(ms % 1000));
}

/* The time of a line, formatted once a second per format. */
static void
log_time(time_t t, bool json, char *buf, size_t len)
{
	static time_t	last[2] = { -1, -1 };
	static char	cache[2][64];
	struct tm	tm;

	if (t != last[json]) {
		localtime_r(&t, &tm);
		strftime(cache[json], sizeof(cache[json]), json ?
		    "%Y-%m-%dT%H:%M:%S%z" : "%d/%b/%Y:%H:%M:%S %z", &tm);
		last[json] = t;
	}
	strlcpy_(buf, cache[json], len);
}

/* A value frontd made (never the client): "-" when absent. */
static void
add_str(struct line *l, const char *s)
{
	if (s == NULL || *s == '\0')
		adds(l, "-");
	else
		add(l, s, strlen(s));
}

/* HTTP/1.0, HTTP/1.1 or HTTP/2.0, as nginx writes it. */
static void
add_protocol(struct line *l, const struct access_entry *e)
{
	if (e->stream != 0)
		adds(l, "HTTP/2.0");
	else
		addf(l, "HTTP/1.%d", e->minor);
}

static void
add_request(struct line *l, const struct access_entry *e)
{
	if (e->method_len == 0) {
		adds(l, "-");
		return;
	}
	add_esc(l, e->method, e->method_len, false);
	adds(l, " ");
	add_esc(l, e->target, e->target_len, false);
	adds(l, " ");
	add_protocol(l, e);
}

/* A custom log_format, from its parts compiled at load time. */
static void
add_custom(struct line *l, const struct access_entry *e, time_t t)
{
	const struct cfg_logfmt	*f = e->custom;
	char			 tbuf[64];
	struct timespec		 ts;

	for (size_t i = 0; i < f->nparts; i++) {
		const struct cfg_logfmt_part *p = &f->parts[i];

		switch (p->var) {
		case LOGVAR_TEXT:
			add(l, p->text, p->len);
			break;
		case LOGVAR_REMOTE_ADDR:
			add_str(l, e->client);
			break;
		case LOGVAR_REMOTE_USER:
			if (e->user != NULL)
				add_user(l, e->user);
			else
				adds(l, "-");
			break;
		case LOGVAR_TIME_LOCAL:
		case LOGVAR_TIME_ISO8601:
			log_time(t, p->var == LOGVAR_TIME_ISO8601, tbuf,
			    sizeof(tbuf));
			add_str(l, tbuf);
			break;
		case LOGVAR_MSEC:
			clock_gettime(CLOCK_REALTIME, &ts);
			addf(l, "%lld.%03ld", (long long)ts.tv_sec,
			    ts.tv_nsec / 1000000);
			break;
		case LOGVAR_REQUEST:
			add_request(l, e);
			break;
		case LOGVAR_REQUEST_METHOD:
			add_esc(l, e->method, e->method_len, false);
			break;
		case LOGVAR_REQUEST_URI:
			add_esc(l, e->target, e->target_len, false);
			break;
		case LOGVAR_SERVER_PROTOCOL:
			if (e->method_len == 0)
				adds(l, "-");
			else
				add_protocol(l, e);
			break;
		case LOGVAR_STATUS:
			addf(l, "%d", e->status);
			break;
		case LOGVAR_BYTES_SENT:
			addf(l, "%llu", (unsigned long long)e->bytes);
			break;
		case LOGVAR_HTTP_REFERER:
			add_esc(l, e->referer, e->referer_len, false);
			break;
		case LOGVAR_HTTP_USER_AGENT:
			add_esc(l, e->user_agent, e->user_agent_len, false);
			break;
		case LOGVAR_REQUEST_TIME:
			add_secs(l, e->duration_ms);
			break;
		case LOGVAR_UPSTREAM_ADDR:
			add_str(l, e->upstream);
			break;
		case LOGVAR_UPSTREAM_STATUS:
			if (e->upstream_status)
				addf(l, "%d", e->upstream_status);
			else
				adds(l, "-");
			break;
		case LOGVAR_UPSTREAM_RESPONSE_TIME:
			add_secs(l, e->upstream ? e->upstream_ms : -1);
			break;
		case LOGVAR_CACHE_STATUS:
			add_str(l, e->cache);
			break;
		case LOGVAR_HOST:
			add_esc(l, e->host, e->host_len, false);
			break;
		case LOGVAR_SCHEME:
			add_str(l, e->tls != NULL ? "https" : "http");
			break;
		case LOGVAR_SSL_PROTOCOL:
			add_str(l, e->tls);
			break;
		case LOGVAR_CONNECTION:
			addf(l, "%llu", e->conn_id);
			break;
		case LOGVAR_PID:
			addf(l, "%d", log_pid());
			break;
		case LOGVAR_COUNT:
			break;
		}
	}
}

void
accesslog_write(const struct access_entry *e)
{
	struct line	 l;
	char		 tbuf[64];
	time_t		 t;
	bool		 json = e->format == LOG_FORMAT_JSON;

	if (!accesslog_enabled())
		return;
	l.len = 0;
	t = time(NULL);
	if (e->format == LOG_FORMAT_CUSTOM && e->custom != NULL)
		add_custom(&l, e, t);
	else if (json) {
		log_time(t, true, tbuf, sizeof(tbuf));
		addf(&l, "{\"time\":\"%s\",\"client\":\"%s\",\"user\":",
		    tbuf, e->client);
		if (e->user != NULL) {
			adds(&l, "\"");
			add_esc(&l, e->user, strlen(e->user), true);
			adds(&l, "\"");
		} else
			adds(&l, "null");
		adds(&l, ",\"method\":\"");
		add_esc(&l, e->method, e->method_len, true);
		adds(&l, "\",\"target\":\"");
		add_esc(&l, e->target, e->target_len, true);
		adds(&l, "\",\"protocol\":\"");
		add_protocol(&l, e);
		addf(&l, "\",\"stream\":%u,\"status\":%d,\"bytes\":%llu,"
		    "\"referer\":\"", e->stream, e->status,
		    (unsigned long long)e->bytes);
		add_esc(&l, e->referer, e->referer_len, true);
		adds(&l, "\",\"user_agent\":\"");
		add_esc(&l, e->user_agent, e->user_agent_len, true);
		adds(&l, "\",\"request_time\":");
		add_secs(&l, e->duration_ms);
		if (e->upstream != NULL) {
			addf(&l, ",\"upstream\":\"%s\",\"upstream_status\":",
			    e->upstream);
			if (e->upstream_status)
				addf(&l, "%d", e->upstream_status);
			else
				adds(&l, "null");
			adds(&l, ",\"upstream_time\":");
			if (e->upstream_ms >= 0)
				add_secs(&l, e->upstream_ms);
			else
				adds(&l, "null");
		} else
			adds(&l, ",\"upstream\":null,\"upstream_status\":null,"
			    "\"upstream_time\":null");
		if (e->tls != NULL)
			addf(&l, ",\"tls\":\"%s\"", e->tls);
		else
			adds(&l, ",\"tls\":null");
		if (e->cache != NULL)
			addf(&l, ",\"cache\":\"%s\"", e->cache);
		else
			adds(&l, ",\"cache\":null");
		adds(&l, "}");
	} else {
		log_time(t, false, tbuf, sizeof(tbuf));
		addf(&l, "%s - ", e->client);
		if (e->user != NULL)
			add_user(&l, e->user);
		else
			adds(&l, "-");
		addf(&l, " [%s] \"", tbuf);
		add_request(&l, e);
		addf(&l, "\" %d %llu \"", e->status,
		    (unsigned long long)e->bytes);
		add_esc(&l, e->referer, e->referer_len, false);
		adds(&l, "\" \"");
		add_esc(&l, e->user_agent, e->user_agent_len, false);
		adds(&l, "\" rt=");
		add_secs(&l, e->duration_ms);
		addf(&l, " ua=%s us=", e->upstream ? e->upstream : "-");
		if (e->upstream_status)
			addf(&l, "%d", e->upstream_status);
		else
			adds(&l, "-");
		adds(&l, " ut=");
		add_secs(&l, e->upstream ? e->upstream_ms : -1);
		if (e->cache != NULL)
			addf(&l, " cs=%s", e->cache);
	}
	if (access_syslog) {
		logsock_send(&access_ls, LOG_INFO, log_pid(), l.buf, l.len);
		syslog_report();
		return;
	}
	l.buf[l.len++] = '\n';
	if (write(access_fd, l.buf, l.len) == -1)
		log_debug("access log write: %s", strerror(errno));
}
