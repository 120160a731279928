/*
 * The sandbox a worker or the checker enters once its setup is done, as
 * relayd's processes pledge(2): no_new_privs, then a Landlock ruleset (where
 * the kernel has Landlock) that leaves only the files the role reopens at
 * run time, then a seccomp filter that allows the system calls the role
 * makes and kills the whole process (SIGSYS) on any other. Nothing here can
 * be undone; the master, which forks, binds and reads files, never enters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <openssl/x509.h>
#include <seccomp.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sandbox.h"
#include "common/util.h"

/* Access rights of later Landlock ABIs than the installed headers know. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif

/* What a rule on a regular file (not a directory) may grant. */
#define LL_FILE_RIGHTS	(LANDLOCK_ACCESS_FS_EXECUTE |			\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |	\
	LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Log files: append to them, create them again after a rotation. */
#define LL_LOG_RIGHTS	(LANDLOCK_ACCESS_FS_WRITE_FILE |		\
	LANDLOCK_ACCESS_FS_MAKE_REG)
/* Trusted certificates looked up by name during a verification. */
#define LL_READ_RIGHTS	(LANDLOCK_ACCESS_FS_READ_FILE |			\
	LANDLOCK_ACCESS_FS_READ_DIR)

#define LL_DIRS_MAX	32	/* distinct directories of a CA store */

const char *const sandbox_test_names[] = {
	[SANDBOX_TEST_NONE] = "none",
	[SANDBOX_TEST_EXECVE] = "execve",
	[SANDBOX_TEST_PTRACE] = "ptrace",
	[SANDBOX_TEST_OPEN] = "open",
	NULL
};

/*
 * The system calls of both roles, whatever their arguments; names this
 * architecture lacks are skipped. Calls allowed with some arguments only
 * are added by sc_add_narrow().
 */
static const char *const sc_calls[] = {
	/* the event loop and the sockets, signalfd and pipes it watches */
	"epoll_wait", "epoll_pwait", "epoll_ctl",
	"read", "write", "writev", "recvfrom", "sendto", "close",
	"connect", "getsockopt",
	/* log files reopened on USR1 (Landlock says which), never through
	 * a link and never blocking on a FIFO: lstat, then fcntl to block */
	"openat", "fstat", "newfstatat", "lstat", "fcntl",
	/* OpenSSL looking a CA up by name in the system store */
	"getdents64",
	/* memory; mmap and mprotect are narrowed below */
	"brk", "munmap", "mremap", "madvise",
	/* locks in shared memory, time (when not from the vDSO), OpenSSL */
	"futex", "clock_gettime", "gettimeofday", "time", "getrandom",
	/* signals come from a signalfd; abort() signals its own thread */
	"rt_sigprocmask", "rt_sigreturn", "rt_sigaction", "restart_syscall",
	"getpid", "gettid", "exit", "exit_group",
	NULL
};

/*
 * What a worker does besides: accept, splice bodies, tune its sockets,
 * ask where a client connected to (a PROXY header to a backend).
 */
static const char *const sc_worker_calls[] = {
	"accept4", "shutdown", "setsockopt", "splice", "pipe2",
	"getsockname",
	NULL
};

/*
 * What AddressSanitizer and LeakSanitizer need besides, through their own
 * raw system calls: the leak check at exit clones a tracer that attaches
 * to this process (ptrace is narrowed to this pid below), lists its
 * threads in /proc and waits for them; a report reads the memory map and
 * the binaries to symbolize its stack traces.
 */
static const char *const sc_sanitizer_calls[] = {
	"clone", "wait4", "prctl", "sigaltstack", "sched_yield",
	"getppid", "open", "getdents", "lseek", "readlink",
	NULL
};

static int	sc_load(enum sandbox_role, int *);
static int	sc_add(scmp_filter_ctx, const char *const *, int *);
static int	sc_add_narrow(scmp_filter_ctx, enum sandbox_role, bool,
		    int *);
static int	ll_apply(enum sandbox_role, const struct config *, int);
#ifdef SYS_landlock_create_ruleset
static int	ll_add(int, const char *, uint64_t, uint64_t);
static int	ll_add_dir_of(int, const char *, uint64_t, uint64_t);
static int	ll_add_ca_store(int, uint64_t);
static int	ll_add_sanitizer(int, uint64_t);
#endif
static bool	sanitized(void);

/*
 * Enters the sandbox of role: the last step of its setup, after the
 * privileges were dropped and every socket and file it keeps was opened.
 * Returns -1, with the reason logged, when it could not be entered.
 */
int
sandbox_enter(enum sandbox_role role, const struct config *cfg)
{
	int	abi, ncalls = 0;

	/*
	 * The time zone is read on first use; the log lines written in here
	 * would otherwise read /etc/localtime only once Landlock refuses it,
	 * and fall back to UTC.
	 */
	tzset();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_error("sandbox: prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(errno));
		return -1;
	}
	abi = sandbox_landlock_abi();
	if (abi > 0 && ll_apply(role, cfg, abi) == -1)
		return -1;
	if (sc_load(role, &ncalls) == -1)
		return -1;
	if (abi > 0)
		log_info("sandbox on: seccomp filter of %d system calls, "
		    "landlock (ABI %d)", ncalls, abi);
	else
		log_info("sandbox on: seccomp filter of %d system calls; "
		    "landlock is not available, file access is not narrowed",
		    ncalls);
	return 0;
}

/* The Landlock ABI version of the running kernel, 0 when it has none. */
int
sandbox_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long	v;

	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return v > 0 ? (int)v : 0;
#else
	return 0;
#endif
}

/* For frontd -V: what the sandbox is made of here. */
void
sandbox_describe(char *buf, size_t len)
{
	const struct scmp_version	*v = seccomp_version();
	char				 ll[64];

#ifndef SYS_landlock_create_ruleset
	snprintf(ll, sizeof(ll), "not built in");
#else
	int				 abi = sandbox_landlock_abi();

	if (abi > 0)
		snprintf(ll, sizeof(ll), "ABI %d in this kernel", abi);
	else
		snprintf(ll, sizeof(ll), "not available in this kernel");
#endif
	snprintf(buf, len, "seccomp (libseccomp %u.%u.%u), landlock (%s)",
	    v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, ll);
}

/* FRONTD_SANDBOX_SELFTEST's value: the test, or -1 when unknown. */
int
sandbox_test_parse(const char *s)
{
	for (int i = SANDBOX_TEST_EXECVE; sandbox_test_names[i] != NULL; i++)
		if (strcmp(s, sandbox_test_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Does what a sandboxed worker must not be able to do, so that an admin
 * sees the sandbox hold: execve and ptrace kill the process (the master
 * logs it and starts a new one), reading the configuration is refused.
 * Whatever gets through is logged as an error.
 */
void
sandbox_selftest(enum sandbox_test test, const char *config_path,
    pid_t master)
{
	static char	 true_name[] = "true";
	char		*argv[] = { true_name, NULL };
	char		*envp[] = { NULL };
	int		 fd, status;

	if (test == SANDBOX_TEST_NONE)
		return;
	log_notice("sandbox self-test (FRONTD_SANDBOX_SELFTEST=%s): trying "
	    "what the sandbox must stop", sandbox_test_names[test]);
	switch (test) {
	case SANDBOX_TEST_EXECVE:
		execve("/bin/true", argv, envp);
		log_error("sandbox self-test: execve of /bin/true was not "
		    "stopped by the sandbox (it failed: %s)", strerror(errno));
		break;
	case SANDBOX_TEST_PTRACE:
		if (ptrace(PTRACE_ATTACH, master, NULL, NULL) == -1) {
			log_error("sandbox self-test: ptrace was not stopped "
			    "by the sandbox (it failed: %s)", strerror(errno));
			break;
		}
		/* It worked: let the master go on at once. */
		waitpid(master, &status, __WALL);
		ptrace(PTRACE_DETACH, master, NULL, NULL);
		log_error("sandbox self-test: ptrace attached to the master "
		    "process %d: the sandbox does not hold", (int)master);
		break;
	case SANDBOX_TEST_OPEN:
		if ((fd = open(config_path, O_RDONLY | O_CLOEXEC)) != -1) {
			close(fd);
			log_error("sandbox self-test: %s could be opened for "
			    "reading: file access is not narrowed",
			    config_path);
		} else if (errno == EACCES)
			log_notice("sandbox self-test: reading %s was refused "
			    "(%s), as it should be", config_path,
			    strerror(errno));
		else
			log_error("sandbox self-test: reading %s failed with "
			    "\"%s\", not with a refusal", config_path,
			    strerror(errno));
		break;
	default:
		break;
	}
}

/* --- seccomp ---------------------------------------------------------- */

static int
sc_load(enum sandbox_role role, int *ncalls)
{
	scmp_filter_ctx	 ctx;
	int		 rc;
	bool		 san = sanitized();

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		log_error("sandbox: cannot make a seccomp filter");
		return -1;
	}
	/* Calls through another ABI (i386, x32) are not ours either. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (rc = sc_add(ctx, sc_calls, ncalls)) != 0 ||
	    (role == SANDBOX_WORKER &&
	    (rc = sc_add(ctx, sc_worker_calls, ncalls)) != 0) ||
	    (san && (rc = sc_add(ctx, sc_sanitizer_calls, ncalls)) != 0) ||
	    (rc = sc_add_narrow(ctx, role, san, ncalls)) != 0)
		goto fail;
	if ((rc = seccomp_load(ctx)) != 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	log_error("sandbox: cannot load the seccomp filter: %s",
	    strerror(-rc));
	seccomp_release(ctx);
	return -1;
}

static int
sc_add(scmp_filter_ctx ctx, const char *const *names, int *ncalls)
{
	int	nr, rc;

	for (size_t i = 0; names[i] != NULL; i++) {
		if ((nr = seccomp_syscall_resolve_name(names[i])) ==
		    __NR_SCMP_ERROR || nr < 0)
			continue;	/* not a call of this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0)
			return rc;
		(*ncalls)++;
	}
	return 0;
}

/*
 * Calls allowed with some arguments only: tgkill to this process (abort),
 * sockets of the families in use (TCP to upstreams, the syslog socket),
 * memory that is never made executable; for a worker, kill as a probe
 * (signal 0: the cache asks whether a lock's owner is alive). The
 * sanitizers' leak check may ptrace this process, and no other.
 */
static int
sc_add_narrow(scmp_filter_ctx ctx, enum sandbox_role role, bool san,
    int *ncalls)
{
	static const int	 families[] = { AF_INET, AF_INET6, AF_UNIX };
	pid_t			 self = getpid();
	int			 rc;

	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0)
		return rc;
	*ncalls += 3;
	if (role == SANDBOX_WORKER) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill),
		    1, SCMP_A1(SCMP_CMP_EQ, 0))) != 0)
			return rc;
		(*ncalls)++;
	}
	for (size_t i = 0; i < nitems(families); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ,
		    (scmp_datum_t)families[i]))) != 0)
			return rc;
	(*ncalls)++;
	if (san) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(ptrace), 1, SCMP_A1(SCMP_CMP_EQ,
		    (scmp_datum_t)self))) != 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TCGETS))) != 0)
			return rc;
		*ncalls += 2;
	}
	return 0;
}

/* --- Landlock --------------------------------------------------------- */

#ifdef SYS_landlock_create_ruleset
/*
 * Every file system access the ABI can restrict is handled, so what no rule
 * grants is refused: the logs (and the access log for a worker) may be
 * appended to and created again in their directories; a TLS upstream
 * verified against the system CA store may read it.
 */
static int
ll_apply(enum sandbox_role role, const struct config *cfg, int abi)
{
	struct landlock_ruleset_attr	 attr;
	uint64_t			 handled;
	bool				 ca_store = false;
	int				 rs, rc = -1;

	handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0)) == -1) {
		log_error("sandbox: landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	if (log_fd() != -1 &&
	    ll_add_dir_of(rs, log_target(), LL_LOG_RIGHTS, handled) == -1)
		goto done;
	if (role == SANDBOX_WORKER && cfg->global.access_log != NULL &&
	    ll_add_dir_of(rs, cfg->global.access_log, LL_LOG_RIGHTS,
	    handled) == -1)
		goto done;
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		if (u->tls && u->tls_verify && u->tls_ca_file == NULL)
			ca_store = true;
	}
	if (ca_store && ll_add_ca_store(rs, handled) == -1)
		goto done;
	if (sanitized() && ll_add_sanitizer(rs, handled) == -1)
		goto done;
	if (syscall(SYS_landlock_restrict_self, rs, 0) == -1) {
		log_error("sandbox: landlock_restrict_self: %s",
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	close(rs);
	return rc;
}

/*
 * Grants rights on path and what is beneath it (only the file rights for a
 * file). A path that does not exist has nothing to grant. Returns -1, with
 * the reason logged, on any other failure.
 */
static int
ll_add(int rs, const char *path, uint64_t rights, uint64_t handled)
{
	struct landlock_path_beneath_attr	pb;
	struct stat				st;
	int					fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		log_error("sandbox: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights & handled;
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, rs,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
		log_error("sandbox: landlock rule for %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Rights on the directory that holds file. */
static int
ll_add_dir_of(int rs, const char *file, uint64_t rights, uint64_t handled)
{
	char	dir[PATH_MAX], *slash;

	if (strlcpy_(dir, file, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL)
		return 0;
	if (slash == dir)
		slash[1] = '\0';	/* a file in / */
	else
		*slash = '\0';
	return ll_add(rs, dir, rights, handled);
}

/*
 * OpenSSL looks certificates up by name in the system's CA directory
 * during a verification, long after the sandbox is entered. Its entries
 * are often links to files elsewhere (/usr/share/ca-certificates), and
 * Landlock judges the file a link leads to: the directories they lead to
 * are granted too.
 */
static int
ll_add_ca_store(int rs, uint64_t handled)
{
	const char	*dirs[LL_DIRS_MAX];
	char		 path[PATH_MAX], real[PATH_MAX], *slash;
	const char	*d, *f;
	struct dirent	*e;
	DIR		*dp;
	size_t		 ndirs = 0, i;
	int		 rc = 0;

	if ((d = getenv(X509_get_default_cert_dir_env())) == NULL)
		d = X509_get_default_cert_dir();
	if ((f = getenv(X509_get_default_cert_file_env())) == NULL)
		f = X509_get_default_cert_file();
	if (ll_add(rs, d, LL_READ_RIGHTS, handled) == -1 ||
	    ll_add(rs, f, LL_READ_RIGHTS, handled) == -1)
		return -1;
	if ((dp = opendir(d)) == NULL)
		return 0;
	while ((e = readdir(dp)) != NULL && ndirs < nitems(dirs)) {
		if (e->d_name[0] == '.' || snprintf(path, sizeof(path),
		    "%s/%s", d, e->d_name) >= (int)sizeof(path) ||
		    realpath(path, real) == NULL ||
		    (slash = strrchr(real, '/')) == NULL || slash == real)
			continue;
		*slash = '\0';
		for (i = 0; i < ndirs; i++)
			if (strcmp(dirs[i], real) == 0)
				break;
		if (i == ndirs)
			dirs[ndirs++] = xstrdup(real);
	}
	closedir(dp);
	for (i = 0; i < ndirs; i++) {
		if (rc == 0 && ll_add(rs, dirs[i], LL_READ_RIGHTS,
		    handled) == -1)
			rc = -1;
		free((char *)dirs[i]);
	}
	return rc;
}

/*
 * Sanitizer builds: a report reads /proc/self/maps, symbolizes from the
 * mapped binaries and goes to the file of log_path in ASAN_OPTIONS or
 * UBSAN_OPTIONS; the leak check reads /proc/PID/task.
 */
static int
ll_add_sanitizer(int rs, uint64_t handled)
{
	static const char *const vars[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS" };
	char		 line[PATH_MAX + 128], proc[64], *p;
	const char	*v;
	FILE		*fp;
	int		 rc = 0;
	size_t		 n;

	snprintf(proc, sizeof(proc), "/proc/%d", (int)getpid());
	if (ll_add(rs, proc, LL_READ_RIGHTS, handled) == -1)
		return -1;
	for (size_t i = 0; i < nitems(vars); i++) {
		if ((v = getenv(vars[i])) == NULL ||
		    (v = strstr(v, "log_path=")) == NULL)
			continue;
		v += strlen("log_path=");
		if ((n = strcspn(v, ":, \t\n")) >= sizeof(line))
			continue;
		memcpy(line, v, n);
		line[n] = '\0';
		if (ll_add_dir_of(rs, line, LL_LOG_RIGHTS, handled) == -1)
			return -1;
	}
	if ((fp = fopen("/proc/self/maps", "re")) == NULL)
		return 0;
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((p = strchr(line, '/')) != NULL)
			rc = ll_add(rs, p, LANDLOCK_ACCESS_FS_READ_FILE,
			    handled);
	}
	fclose(fp);
	return rc;
}
#else
static int
ll_apply(enum sandbox_role role, const struct config *cfg, int abi)
{
	return 0;
}
#endif

static bool
sanitized(void)
{
	return strcmp(FRONTD_SANITIZERS, "yes") == 0;
}
