/*
 * frontd's command line: test a configuration, signal a running master,
 * or become the master. Everything that can be checked is checked before
 * anything is bound or forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <zlib.h>
#include <brotli/encode.h>
#include <nghttp2/nghttp2.h>

#include "common/config.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/sandbox.h"
#include "common/util.h"
#include "master/explain.h"
#include "master/master.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/frontd/frontd.conf"
#define RELOAD_WAIT_MS	60000

static void	usage(FILE *);
static void	version(void);
static int	test_config(const char *, const struct explain_req *);
static int	send_signal(const char *, const char *);

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: frontd [-ftVh] [-c file] [-e request] [-s signal]\n"
	    "  -c file    configuration file (default %s)\n"
	    "  -t         test the configuration and exit\n"
	    "  -e request with -t: explain what \"METHOD URL\" would meet\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -s signal  send reload, stop, quit or reopen to the running "
	    "master\n"
	    "  -V         print version and build options\n"
	    "  -h         print this help\n", DEFAULT_CONFIG);
}

static void
version(void)
{
	uint32_t	b = BrotliEncoderVersion();
	char		sb[256];

	printf("frontd version %s\n", PACKAGE_VERSION);
	printf("built with %s, running with %s\n", OPENSSL_VERSION_TEXT,
	    OpenSSL_version(OPENSSL_VERSION));
	printf("zlib %s, brotli %u.%u.%u, inih %s, nghttp2 %s\n",
	    zlibVersion(), b >> 24, (b >> 12) & 0xfff, b & 0xfff,
	    INIH_VERSION, nghttp2_version(0)->version_str);
	sandbox_describe(sb, sizeof(sb));
	printf("sandbox: %s\n", sb);
	printf("sanitizers: %s\n", FRONTD_SANITIZERS);
	printf("configure arguments:%s\n", FRONTD_CONFIGURE_ARGS);
}

static void
print_messages(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nerrors; i++)
		fprintf(stderr, "%s\n", cfg->errors[i]);
	for (size_t i = 0; i < cfg->nwarnings; i++)
		fprintf(stderr, "%s\n", cfg->warnings[i]);
}

static int
test_config(const char *path, const struct explain_req *rq)
{
	struct config	*cfg = config_load(path);
	int		 r = cfg->nerrors == 0 ? 0 : 1;

	if (r == 0)
		rlimit_plan(cfg);
	print_messages(cfg);
	if (r == 0)
		printf("configuration ok\n");
	if (r == 0 && rq != NULL)
		explain_print(cfg, rq, stdout);
	config_free(cfg);
	return r;
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Waits for the master's answer to our reload request: it writes the
 * outcome of the reload that covered our signal to PID_FILE.reload.OURPID.
 */
static int
wait_reload(pid_t master, int lockfd, const char *status)
{
	char		 line[4096];
	FILE		*fp = NULL;
	int		 waited, r, fd;
	struct stat	 st;

	for (waited = 0; waited < RELOAD_WAIT_MS; waited += 50) {
		/* The master renames a regular file there; nothing else. */
		if ((fd = open(status, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC)) != -1 && fstat(fd, &st) == 0 &&
		    S_ISREG(st.st_mode) && (fp = fdopen(fd, "r")) != NULL)
			break;
		if (fd != -1)
			close(fd);
		if (!pidfile_held(lockfd)) {
			fprintf(stderr, "frontd: the master (pid %d) exited "
			    "during the reload\n", (int)master);
			return 1;
		}
		sleep_ms(50);
	}
	if (fp == NULL) {
		fprintf(stderr, "frontd: no answer from the master (pid %d) "
		    "within %ds; see its error log\n", (int)master,
		    RELOAD_WAIT_MS / 1000);
		return 1;
	}
	unlink(status);
	if (fgets(line, sizeof(line), fp) != NULL &&
	    strcmp(line, "ok\n") == 0) {
		/* What changed: a summary, then one line each. */
		if (fgets(line, sizeof(line), fp) != NULL)
			printf("reload ok: %s", line);
		else
			printf("reload ok\n");
		while (fgets(line, sizeof(line), fp) != NULL)
			fputs(line, stdout);
		r = 0;
	} else {
		fprintf(stderr, "reload failed:\n");
		while (fgets(line, sizeof(line), fp) != NULL)
			fputs(line, stderr);
		r = 1;
	}
	fclose(fp);
	return r;
}

static int
send_signal(const char *path, const char *name)
{
	static const struct {
		const char	*name;
		int		 sig;
	} sigs[] = {
		{ "reload", SIGHUP }, { "stop", SIGTERM },
		{ "quit", SIGQUIT }, { "reopen", SIGUSR1 },
	};
	struct config	*cfg;
	char		 err[1024], *status = NULL;
	union sigval	 token;
	pid_t		 pid;
	int		 sig = 0, r = 0, sent, lockfd = -1;
	int64_t		 limit;

	for (size_t i = 0; i < nitems(sigs); i++)
		if (strcmp(name, sigs[i].name) == 0)
			sig = sigs[i].sig;
	if (sig == 0) {
		fprintf(stderr, "frontd: unknown signal \"%s\" (expected "
		    "reload, stop, quit or reopen)\n", name);
		return 2;
	}
	/* Only the pid file is needed, but from the file named, not a guess. */
	cfg = config_load(path);
	if (!cfg->opened) {
		print_messages(cfg);
		config_free(cfg);
		return 1;
	}
	if ((pid = pidfile_read(cfg->global.pid_file, &lockfd, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "frontd: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if (sig == SIGHUP) {
		/* A queued signal with our pid, so the answer is ours. */
		token.sival_int = (int)getpid();
		status = xasprintf("%s.reload.%d", cfg->global.pid_file,
		    token.sival_int);
		unlink(status);
		sent = sigqueue(pid, SIG_RELOAD_TOKEN, token);
	} else
		sent = kill(pid, sig);
	if (sent == -1) {
		fprintf(stderr, "frontd: cannot signal the master (pid %d): "
		    "%s\n", (int)pid, strerror(errno));
		r = 1;
	} else if (sig == SIGHUP)
		r = wait_reload(pid, lockfd, status);
	else if (sig == SIGTERM || sig == SIGQUIT) {
		limit = now_ms() + 10000 + (sig == SIGQUIT ?
		    cfg->global.shutdown_timeout_ms : 0);
		while (pidfile_held(lockfd) && now_ms() < limit)
			sleep_ms(50);
		if (pidfile_held(lockfd)) {
			fprintf(stderr, "frontd: the master (pid %d) is still "
			    "running\n", (int)pid);
			r = 1;
		}
	}
	if (lockfd != -1)
		close(lockfd);
	free(status);
	config_free(cfg);
	return r;
}

int
main(int argc, char **argv)
{
	const char	*path = DEFAULT_CONFIG, *sig = NULL, *req = NULL;
	char		 abs[PATH_MAX], err[512];
	struct explain_req *rq = NULL;
	bool		 test = false, fg = false;
	struct config	*cfg;
	int		 ch, r;

	proc_title_init(argc, argv);
	while ((ch = getopt(argc, argv, "c:e:fs:tVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'e':
			req = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 's':
			sig = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'V':
			version();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (req != NULL && !test)) {
		usage(stderr);
		return 2;
	}
	if (req != NULL && (rq = explain_parse(req, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "frontd: -e: %s\n", err);
		return 2;
	}
	if (test) {
		r = test_config(path, rq);
		explain_free(rq);
		return r;
	}
	if (sig != NULL)
		return send_signal(path, sig);

	cfg = config_load(path);
	if (cfg->nerrors > 0) {
		print_messages(cfg);
		config_free(cfg);
		return 1;
	}
	rlimit_plan(cfg);
	print_messages(cfg);
	if (realpath(path, abs) == NULL)
		strlcpy_(abs, path, sizeof(abs));
	return master_run(abs, cfg, fg);
}
