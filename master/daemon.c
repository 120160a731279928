/*
 * Becoming a daemon and the files a daemon keeps: the pid file (locked
 * with flock for the master's life, so a second master is refused) and
 * the log files (created, and only then handed to the worker user, so
 * workers can reopen them). Each of these paths may lie in a directory
 * that others can write to: none is opened through a symbolic link, nor
 * is the reload outcome file (reload.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
 * fork); the pid is written once the final process is known. Its
 * directory may be writable by others: a symbolic link there is not
 * followed, and only a regular file with one link is truncated.
 */
int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	char		buf[32];
	struct stat	st;
	int		fd;
	ssize_t		n;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open pid file %s: %s", path,
		    errno == ELOOP ? "it is a symbolic link, which frontd "
		    "does not follow" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		snprintf(err, errlen, "cannot use pid file %s: it is not a "
		    "regular file with one link", path);
		close(fd);
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
	char		 buf[32], *end;
	long		 pid;
	ssize_t		 n;
	int		 fd;
	struct stat	 st;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "no running master: pid file %s: %s",
		    path, errno == ELOOP ? "it is a symbolic link, which "
		    "frontd does not follow" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "no running master: pid file %s is not "
		    "a regular file", path);
		close(fd);
		return -1;
	}
	/*
	 * The master writes it as the user it starts as, the one who runs
	 * -s. Another's file (planted in a directory others may write)
	 * would make us signal a process of its choosing.
	 */
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "pid file %s belongs to uid %ld, not to "
		    "uid %ld running this command: not trusted, nothing "
		    "signalled", path, (long)st.st_uid, (long)geteuid());
		close(fd);
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
 * Opens f as the worker user would: its uid, gid and supplementary
 * groups (the fs ids alone would leave root's groups in the check).
 * Returns 0, or -1 with errno.
 */
static int
open_as_worker(const char *f, uid_t uid, gid_t gid, const char *user)
{
	gid_t	*saved = NULL, *groups = NULL;
	int	 nsaved, ngroups = 32, fd = -1, e;

	if ((nsaved = getgroups(0, NULL)) == -1)
		return -1;
	saved = xcalloc((size_t)nsaved + 1, sizeof(gid_t));
	if ((nsaved = getgroups(nsaved, saved)) == -1)
		goto out;
	groups = xcalloc((size_t)ngroups, sizeof(gid_t));
	if (getgrouplist(user, gid, groups, &ngroups) == -1) {
		groups = xrealloc(groups, (size_t)ngroups, sizeof(gid_t));
		if (getgrouplist(user, gid, groups, &ngroups) == -1)
			goto out;
	}
	if (setgroups((size_t)ngroups, groups) == -1)
		goto out;
	setfsgid(gid);
	setfsuid(uid);
	fd = open(f, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	setfsuid(0);
	setfsgid(0);
	if (setgroups((size_t)nsaved, saved) == -1)
		fatal("cannot restore the master's groups: %s",
		    strerror(errno));
	errno = e;
out:
	e = errno;
	free(saved);
	free(groups);
	if (fd == -1) {
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Makes sure one log file can be opened by the workers: creates a missing
 * directory and the file, gives the file to the worker user only if it
 * was created here (changing the owner of a file found there would hand
 * any file a link or a rename put in its place to that user), and checks
 * that the worker user can open it (a directory it cannot enter, or a
 * file of someone else, would otherwise show up only as workers failing).
 * Returns -1 with the reason in err.
 */
int
log_prepare(const char *f, uid_t uid, gid_t gid, bool drop, char *err,
    size_t errlen)
{
	char		why[256];
	bool		created;
	int		fd;
	struct stat	st;

	if (f == NULL || f[0] != '/')
		return 0;
	if (mkdir_parents(f) == -1) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
		    f, strerror(errno));
		return -1;
	}
	if ((fd = log_file_open(f, &created, why, sizeof(why))) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", f, why);
		return -1;
	}
	if (created && drop && fchown(fd, uid, gid) == -1)
		log_warn("cannot give %s to the worker user: %s", f,
		    strerror(errno));
	else if (created)
		log_debug("created log file %s%s%s", f, drop ?
		    " for user " : "", drop ? M.user : "");
	if (fstat(fd, &st) == -1)
		st.st_uid = uid;
	close(fd);
	if (drop && open_as_worker(f, uid, gid, M.user) == -1) {
		snprintf(err, errlen, "%s cannot be opened by the worker user "
		    "(uid %d): %s%s", f, (int)uid, strerror(errno),
		    st.st_uid == uid ? "" : "; it belongs to another user, and "
		    "frontd gives a log file to the worker user only when it "
		    "creates it");
		return -1;
	}
	return 0;
}

/* Both log files of cfg; the first failure ends it. */
int
logs_prepare(const struct config *cfg, uid_t uid, gid_t gid, bool drop,
    char *err, size_t errlen)
{
	if (log_prepare(cfg->global.error_log, uid, gid, drop, err,
	    errlen) == -1)
		return -1;
	return log_prepare(cfg->global.access_log, uid, gid, drop, err,
	    errlen);
}
