/*
 * Access log writer. Values that come from the client are escaped (quotes,
 * backslashes, control and non-ASCII bytes as \xHH) so a request can never
 * forge a log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "worker/accesslog.h"

#define ACCESS_LINE_MAX	8192

static int	 access_fd = -1;
static char	 access_path[4096];

int
accesslog_open(const char *path)
{
	int	fd;

	if (path == NULL) {
		access_path[0] = '\0';
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (access_fd != -1)
		close(access_fd);
	access_fd = fd;
	strlcpy_(access_path, path, sizeof(access_path));
	return 0;
}

int
accesslog_reopen(void)
{
	if (access_path[0] == '\0')
		return 0;
	return accesslog_open(access_path);
}

static size_t
put_escaped(char *dst, size_t room, const char *s, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			o = 0;

	if (s == NULL || n == 0) {
		if (room > 0)
			dst[o++] = '-';
		return o;
	}
	for (size_t i = 0; i < n && o + 4 < room; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else
			dst[o++] = (char)c;
	}
	return o;
}

void
accesslog_write(const struct access_entry *e)
{
	char		 line[ACCESS_LINE_MAX], tbuf[64];
	struct tm	 tm;
	time_t		 t;
	size_t		 o = 0;
	int		 r;

	if (access_fd == -1)
		return;
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%d/%b/%Y:%H:%M:%S %z", &tm);
	r = snprintf(line, sizeof(line), "%s - - [%s] \"", e->client, tbuf);
	o = (size_t)r;
	o += put_escaped(line + o, sizeof(line) - o - 256, e->request,
	    e->request_len);
	r = snprintf(line + o, sizeof(line) - o, "\" %d %llu \"", e->status,
	    (unsigned long long)e->bytes);
	o += (size_t)r;
	o += put_escaped(line + o, (sizeof(line) - o) / 2, e->referer,
	    e->referer_len);
	line[o++] = '"';
	line[o++] = ' ';
	line[o++] = '"';
	o += put_escaped(line + o, sizeof(line) - o - 128, e->user_agent,
	    e->user_agent_len);
	r = snprintf(line + o, sizeof(line) - o, "\" rt=%lld.%03lld "
	    "upstream=%s\n", (long long)(e->duration_ms / 1000),
	    (long long)(e->duration_ms % 1000), e->upstream);
	o += (size_t)r;
	if (o > sizeof(line))
		o = sizeof(line);
	if (write(access_fd, line, o) == -1)
		log_debug("access log write: %s", strerror(errno));
}
