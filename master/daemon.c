/*
 * Becoming a daemon and the files a daemon keeps: the pid file (locked
 * with flock for the master's life, so a second master is refused), the
 * reload outcome file that "frontd -s reload" waits on, and the log files
 * (created and handed to the worker user so workers can reopen them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"

/*
 * Forks into the background. The parent waits until the daemon says it is
 * running (exit 0) or why it failed (message on stderr, exit 1), so an init
 * script learns the outcome from the exit status. Returns in the daemon.
 */
int
daemon_start(char *err, size_t errlen)
{
	int	p[2], devnull;
	pid_t	pid;
	char	buf[1024];
	ssize_t	n;
	size_t	off = 0;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		while (off < sizeof(buf) - 1 &&
		    (n = read(p[0], buf + off, sizeof(buf) - 1 - off)) != 0) {
			if (n == -1) {
				if (errno == EINTR)
					continue;
				break;
			}
			off += (size_t)n;
		}
		buf[off] = '\0';
		if (off > 0 && buf[0] == '0')
			_exit(0);
		if (off > 1)
			fprintf(stderr, "frontd: %s\n", buf + 1);
		else
			fprintf(stderr, "frontd: failed to start, see the "
			    "error log\n");
		_exit(1);
	}
	close(p[0]);
	setsid();
	umask(022);
	if (chdir("/") == -1) {
		/* Cannot happen for "/"; keep going. */
	}
	if ((devnull = open("/dev/null", O_RDWR)) != -1) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	M.daemon_fd = p[1];
	return 0;
}

/* Tells the waiting parent how startup ended; then stderr goes quiet. */
void
daemon_ready(int status, const char *msg)
{
	char	buf[1024];
	int	devnull;

	if (M.daemon_fd == -1)
		return;
	snprintf(buf, sizeof(buf), "%c%s", status == 0 ? '0' : '1',
	    msg ? msg : "");
	if (write(M.daemon_fd, buf, strlen(buf)) == -1) {
		/* The parent is gone; nobody to tell. */
	}
	close(M.daemon_fd);
	M.daemon_fd = -1;
	if ((devnull = open("/dev/null", O_RDWR)) != -1) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	log_also_stderr(false);
}

/*
 * Creates and locks the pid file before anything is bound, so a second
 * master fails with a clear message whatever the file says. The lock is
 * held as long as the master runs (the descriptor survives daemon_start's
 * fork); the pid is written once the final process is known.
 */
int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	char	buf[32];
	int	fd;
	ssize_t	n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "another frontd master is running "
		    "(pid %s, pid file %s)", buf, path);
		close(fd);
		return -1;
	}
	/* An old pid must not stay readable while we hold the lock. */
	if (ftruncate(fd, 0) == -1) {
		snprintf(err, errlen, "cannot write pid file %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
pidfile_write(int fd, const char *path, char *err, size_t errlen)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf)) {
		snprintf(err, errlen, "cannot write pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
pidfile_remove(const char *path)
{
	unlink(path);
}

/*
 * For -s: the master's pid, or -1 with the reason in err. A pid file that
 * nobody holds locked is stale (the master was killed): its pid may belong
 * to any process by now, so it is never signalled. *lockfd stays open on
 * the file so the caller can tell when the master has gone, even after the
 * file is removed and while the master is a zombie.
 */
pid_t
pidfile_read(const char *path, int *lockfd, char *err, size_t errlen)
{
	char	 buf[32], *end;
	long	 pid;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "no running master: pid file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, &end, 10);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		snprintf(err, errlen, "no running master: pid file %s is "
		    "stale (pid %ld is not a running frontd master)", path,
		    pid);
		close(fd);
		return -1;
	}
	if (pid <= 1 || (*end != '\n' && *end != '\0')) {
		snprintf(err, errlen, "no running master: pid file %s is "
		    "empty or damaged (a master may be starting)", path);
		close(fd);
		return -1;
	}
	*lockfd = fd;
	return (pid_t)pid;
}

/* Whether the master that held the pid file open as fd still runs. */
bool
pidfile_held(int fd)
{
	return flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
}

/*
 * The outcome of a reload for one "frontd -s reload" caller, named by the
 * token it sent: "ok", or "failed" and the error lines. Written to a
 * temporary file and renamed, so the caller never reads half of it.
 */
void
reload_status_write(const char *pid_file, int token, bool ok,
    struct config *cfg)
{
	char	*path = xasprintf("%s.reload.%d", pid_file, token);
	char	*tmp = xasprintf("%s.reload.%d.tmp", pid_file, token);
	FILE	*fp;

	if ((fp = fopen(tmp, "we")) == NULL) {
		log_warn("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(fp, "%s\n", ok ? "ok" : "failed");
	for (size_t i = 0; cfg != NULL && i < cfg->nerrors; i++)
		fprintf(fp, "%s\n", cfg->errors[i]);
	if (fclose(fp) == EOF || rename(tmp, path) == -1)
		log_warn("cannot write %s: %s", path, strerror(errno));
out:
	free(path);
	free(tmp);
}

static int
mkdir_parents(const char *file)
{
	char	*dir = xstrdup(file), *p;
	int	 r = 0;

	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		for (p = dir + 1; *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0755) == -1 && errno != EEXIST)
				r = -1;
			*p = '/';
		}
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			r = -1;
	}
	free(dir);
	return r;
}

/*
 * Makes sure the log files can be opened by the workers: creates a missing
 * directory and the files, gives them to the worker user, and checks that
 * this user can open them (a directory it cannot enter would otherwise
 * show up only as workers dying at start). Returns -1 with the reason.
 */
int
logs_prepare(const struct config *cfg, uid_t uid, gid_t gid, bool drop,
    char *err, size_t errlen)
{
	const char	*files[2] = { cfg->global.error_log,
			    cfg->global.access_log };
	int		 fd;

	for (size_t i = 0; i < nitems(files); i++) {
		const char *f = files[i];

		if (f == NULL || f[0] != '/')
			continue;
		if (mkdir_parents(f) == -1) {
			snprintf(err, errlen, "cannot create the directory of "
			    "%s: %s", f, strerror(errno));
			return -1;
		}
		fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1) {
			snprintf(err, errlen, "cannot open %s: %s", f,
			    strerror(errno));
			return -1;
		}
		if (drop && fchown(fd, uid, gid) == -1)
			log_warn("cannot give %s to the worker user: %s", f,
			    strerror(errno));
		close(fd);
		if (!drop)
			continue;
		/* Open it again with the worker's file system identity. */
		setfsgid(gid);
		setfsuid(uid);
		fd = open(f, O_WRONLY | O_APPEND | O_CLOEXEC);
		setfsuid(0);
		setfsgid(0);
		if (fd == -1) {
			snprintf(err, errlen, "%s cannot be opened by the worker "
			    "user (uid %d): %s", f, (int)uid, strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}
