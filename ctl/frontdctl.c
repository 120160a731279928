/*
 * frontdctl: sends one command to a running frontd over its control
 * socket and prints the answer. The socket is the one the configuration
 * names (-c), or one given (-s). The first line of an answer is "ok" or
 * "error": the rest goes to standard output, or to standard error after
 * "frontdctl: ", and the exit status follows it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/util.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/frontd/frontd.conf"
#define LINE_MAX_	1023		/* the master's limit, newline aside */
#define ANSWER_MAX	(8 * 1024 * 1024)
#define WAIT_MS		10000
#define RELOAD_WAIT_MS	70000		/* the master gives up after 60 s */

static void	usage(FILE *);
static char	*socket_from_config(const char *);
static int	talk(const char *, const char *, int, char **, size_t *);

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: frontdctl [-j] [-c file | -s socket] command "
	    "[argument ...]\n"
	    "  -c file    read the control socket's path from this "
	    "configuration\n"
	    "             (default %s)\n"
	    "  -s socket  talk to this control socket\n"
	    "  -j, --json answer in JSON\n"
	    "  -h         print this help\n"
	    "commands:\n"
	    "  show servers [UPSTREAM]   show workers   show generations   "
	    "show stats\n"
	    "  drain|ready|maint UPSTREAM/HOST:PORT   weight "
	    "UPSTREAM/HOST:PORT N\n"
	    "  cache purge URL|PREFIX*   cache stats   reload   help\n",
	    DEFAULT_CONFIG);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*conf = DEFAULT_CONFIG, *sock = NULL;
	char		 line[LINE_MAX_ + 2], *path, *answer = NULL, *body;
	bool		 json = false, ok;
	size_t		 len = 0, n = 0;
	int		 ch, wait_ms = WAIT_MS;

	while ((ch = getopt_long(argc, argv, "c:s:jhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("frontdctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	n = (size_t)snprintf(line, sizeof(line), "%s", json ? "json" : "");
	for (int i = 0; i < argc && n < sizeof(line); i++) {
		if (strpbrk(argv[i], " \t\r\n") != NULL || argv[i][0] == '\0') {
			fprintf(stderr, "frontdctl: bad argument \"%s\" (no "
			    "spaces or empty words)\n", argv[i]);
			return 2;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
		    n > 0 ? " " : "", argv[i]);
	}
	if (n >= sizeof(line) - 1) {
		fprintf(stderr, "frontdctl: command longer than %d bytes\n",
		    LINE_MAX_);
		return 2;
	}
	line[n++] = '\n';
	line[n] = '\0';
	if (strcmp(argv[0], "reload") == 0)
		wait_ms = RELOAD_WAIT_MS;

	path = sock != NULL ? xstrdup(sock) : socket_from_config(conf);
	if (path == NULL)
		return 1;
	if (talk(path, line, wait_ms, &answer, &len) == -1) {
		free(path);
		return 1;
	}
	free(path);
	if (len >= 3 && strncmp(answer, "ok\n", 3) == 0) {
		ok = true;
		body = answer + 3;
	} else if (len >= 6 && strncmp(answer, "error\n", 6) == 0) {
		ok = false;
		body = answer + 6;
	} else {
		fprintf(stderr, "frontdctl: the master's answer makes no "
		    "sense (%zu bytes)\n", len);
		free(answer);
		return 1;
	}
	if (ok)
		fwrite(body, 1, len - (size_t)(body - answer), stdout);
	else {
		fputs("frontdctl: ", stderr);
		fwrite(body, 1, len - (size_t)(body - answer), stderr);
	}
	free(answer);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "frontdctl: standard output: %s\n",
		    strerror(errno));
		return 1;
	}
	return ok ? 0 : 1;
}

/* The control socket the configuration names, or NULL (said why). */
static char *
socket_from_config(const char *conf)
{
	struct config	*cfg = config_load(conf);
	char		*path = NULL;

	if (!cfg->opened) {
		for (size_t i = 0; i < cfg->nerrors; i++)
			fprintf(stderr, "frontdctl: %s\n", cfg->errors[i]);
		if (cfg->nerrors == 0)
			fprintf(stderr, "frontdctl: cannot read %s\n", conf);
	} else if (cfg->global.control_socket == NULL)
		fprintf(stderr, "frontdctl: control_socket is off in %s\n",
		    conf);
	else
		path = xstrdup(cfg->global.control_socket);
	config_free(cfg);
	return path;
}

/*
 * Sends the line and reads the answer until the master closes, within
 * wait_ms. The answer is NUL-terminated.
 */
static int
talk(const char *path, const char *line, int wait_ms, char **answer,
    size_t *lenp)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			*buf = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	int64_t			 deadline = now_ms() + wait_ms, left;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "frontdctl: %s: path too long\n", path);
		return -1;
	}
	strlcpy_(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "frontdctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "frontdctl: cannot connect to %s: %s%s\n",
		    path, strerror(errno), errno == ENOENT ||
		    errno == ECONNREFUSED ? " (is frontd running?)" : "");
		close(fd);
		return -1;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(line)) {
		fprintf(stderr, "frontdctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= ANSWER_MAX) {
				fprintf(stderr, "frontdctl: the answer is "
				    "longer than %d bytes\n", ANSWER_MAX);
				goto fail;
			}
			cap = cap == 0 ? 16384 : cap * 2;
			buf = xrealloc(buf, cap, 1);
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((left = deadline - now_ms()) <= 0 ||
		    poll(&pfd, 1, (int)left) == 0) {
			fprintf(stderr, "frontdctl: no answer from %s within "
			    "%ds\n", path, wait_ms / 1000);
			goto fail;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "frontdctl: %s: %s\n", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	*answer = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}
