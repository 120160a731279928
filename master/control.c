/*
 * The control socket: a Unix socket on which the master takes one command
 * line per connection from frontdctl(8) and answers it. It never blocks
 * the master: the socket and its clients are non-blocking, a line is at
 * most CTL_LINE_MAX bytes, each client has a timer, and at most
 * CTL_CLIENTS_MAX are served at once. Who may change anything is read
 * from the peer's credentials (SO_PEERCRED), never from what it says.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "master/control.h"
#include "master/master.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS		59
#endif

#define CTL_CLIENTS_MAX		16
#define CTL_READ_TIMEOUT_MS	5000	/* to send the command line */
#define CTL_SEND_TIMEOUT_MS	10000	/* to take the answer */
#define CTL_RELOAD_TIMEOUT_MS	(READY_TIMEOUT_MS + 50000)
#define CTL_GROUPS_MAX		256

static void	 ctl_accept(struct ev_loop *, int, uint32_t, void *);
static void	 ctl_io(struct ev_loop *, int, uint32_t, void *);
static void	 ctl_timeout(struct ev_loop *, void *);
static void	 ctl_line(struct ctl_client *);
static void	 ctl_send(struct ctl_client *);
static void	 ctl_end(struct ctl_client *);
static void	 ctl_unlisten(void);
static bool	 ctl_peer_may_change(struct ctl_client *);
static int	 ctl_listen(const char *, int, const char *, char *, size_t);
static int	 ctl_chmod(const char *, int, const char *, char *, size_t);

static struct {
	int			 fd;		/* -1: off */
	char			*path;
	int			 mode;
	char			*group;		/* NULL: none */
	gid_t			 gid;
	struct ev_io		 io;
	struct ctl_client	 clients[CTL_CLIENTS_MAX];
} ctl = { .fd = -1 };

/*
 * Opens the socket the configuration names, at start. A socket already
 * there is taken over only if nobody answers on it (a master that died);
 * anything else at the path is an error, never removed.
 */
int
control_open(const struct config *cfg, char *err, size_t errlen)
{
	const struct cfg_global	*g = &cfg->global;
	int			 fd;

	if (g->control_socket == NULL)
		return 0;
	if ((fd = ctl_listen(g->control_socket, g->control_socket_mode,
	    g->control_socket_group, err, errlen)) == -1)
		return -1;
	ctl.fd = fd;
	ctl.path = xstrdup(g->control_socket);
	ctl.mode = g->control_socket_mode;
	free(ctl.group);
	ctl.group = g->control_socket_group != NULL ?
	    xstrdup(g->control_socket_group) : NULL;
	ev_io_add(M.loop, &ctl.io, fd, EPOLLIN, ctl_accept, NULL);
	return 0;
}

/*
 * A reload committed: the socket follows the new file (another path, mode
 * or group), and what frontdctl changed on a server the file changed too
 * is dropped. A new path that cannot be opened keeps the old one.
 */
void
control_apply(const struct config *old, const struct config *cfg)
{
	const struct cfg_global	*g = &cfg->global;
	char			 err[512];
	int			 fd;

	ctl_overrides_apply(old, cfg);
	if (g->control_socket == NULL) {
		if (ctl.fd != -1)
			log_notice("control socket %s closed", ctl.path);
		ctl_unlisten();
		return;
	}
	if (ctl.fd != -1 && strcmp(ctl.path, g->control_socket) == 0) {
		if (ctl.mode == g->control_socket_mode &&
		    ((ctl.group == NULL && g->control_socket_group == NULL) ||
		    (ctl.group != NULL && g->control_socket_group != NULL &&
		    strcmp(ctl.group, g->control_socket_group) == 0)))
			return;
		if (ctl_chmod(ctl.path, g->control_socket_mode,
		    g->control_socket_group, err, sizeof(err)) == -1) {
			log_error("%s", err);
			return;
		}
		ctl.mode = g->control_socket_mode;
		free(ctl.group);
		ctl.group = g->control_socket_group != NULL ?
		    xstrdup(g->control_socket_group) : NULL;
		return;
	}
	if ((fd = ctl_listen(g->control_socket, g->control_socket_mode,
	    g->control_socket_group, err, sizeof(err))) == -1) {
		log_error("%s%s%s", err, ctl.fd != -1 ? "; keeping " : "",
		    ctl.fd != -1 ? ctl.path : "");
		return;
	}
	ctl_unlisten();
	log_notice("control socket on %s", g->control_socket);
	ctl.fd = fd;
	ctl.path = xstrdup(g->control_socket);
	ctl.mode = g->control_socket_mode;
	free(ctl.group);
	ctl.group = g->control_socket_group != NULL ?
	    xstrdup(g->control_socket_group) : NULL;
	ev_io_add(M.loop, &ctl.io, fd, EPOLLIN, ctl_accept, NULL);
}

/* At exit: the socket goes, and so do its clients. */
void
control_close(void)
{
	static const char	 gone[] = "error\nfrontd stopped before "
				    "the reload\n";

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = &ctl.clients[i];

		if (c->state == CTL_FREE)
			continue;
		/* Best effort: nothing was sent to it yet. */
		if (c->state == CTL_RELOAD_QUEUED ||
		    c->state == CTL_RELOAD_CURRENT)
			(void)!send(c->fd, gone, strlen(gone), MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		ctl_end(c);
	}
	ctl_unlisten();
}

/* The listening socket goes; clients being served are answered. */
static void
ctl_unlisten(void)
{
	if (ctl.fd == -1)
		return;
	ev_io_del(M.loop, &ctl.io);
	close(ctl.fd);
	unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
	ctl.fd = -1;
}

/* The group named in the refusals: NULL when there is none. */
const char *
ctl_group(void)
{
	return ctl.group;
}

/* A reload begins: it answers every "reload" asked before. */
void
control_reload_begin(void)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.clients[i].state == CTL_RELOAD_QUEUED)
			ctl.clients[i].state = CTL_RELOAD_CURRENT;
}

void
control_reload_report(bool ok, const struct config *cfg,
    const struct config_diff *diff)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = &ctl.clients[i];

		if (c->state != CTL_RELOAD_CURRENT)
			continue;
		ctl_reload_answer(c, ok, cfg, diff);
		ctl_send(c);
	}
}

/* Appends to the answer; past CTL_OUT_MAX it is cut, and says so. */
void
ctl_printf(struct ctl_client *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(c->out + c->outlen, c->outcap - c->outlen, fmt,
		    ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < c->outcap - c->outlen) {
			c->outlen += (size_t)n;
			return;
		}
		if (c->outcap >= CTL_OUT_MAX) {
			c->truncated = true;
			return;
		}
		c->outcap = c->outcap == 0 ? 8192 : c->outcap * 2;
		c->out = xrealloc(c->out, c->outcap, 1);
	}
}

/* A JSON string, quoted and escaped. */
void
ctl_json_strn(struct ctl_client *c, const char *s, size_t len)
{
	ctl_printf(c, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			ctl_printf(c, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			ctl_printf(c, "\\u%04x", ch);
		else
			ctl_printf(c, "%c", ch);
	}
	ctl_printf(c, "\"");
}

void
ctl_json_str(struct ctl_client *c, const char *s)
{
	if (s == NULL)
		ctl_printf(c, "null");
	else
		ctl_json_strn(c, s, strlen(s));
}

/* Forgets what was written so far, to write an error instead. */
void
ctl_reset(struct ctl_client *c)
{
	c->outlen = 0;
	c->truncated = false;
}

static void
ctl_accept(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_client	*c;
	struct ucred		 cred;
	socklen_t		 len;
	size_t			 i;
	int			 cfd;
	static const char	 busy[] = "error\nbusy: too many control "
				    "clients, try again\n";

	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < CTL_CLIENTS_MAX; i++)
			if (ctl.clients[i].state == CTL_FREE)
				break;
		if (i == CTL_CLIENTS_MAX) {
			/* Best effort: the socket is new, so this fits. */
			(void)!write(cfd, busy, strlen(busy));
			close(cfd);
			continue;
		}
		c = &ctl.clients[i];
		len = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ==
		    -1) {
			log_warn("control socket: SO_PEERCRED: %s",
			    strerror(errno));
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->may_change = ctl_peer_may_change(c);
		c->state = CTL_READ;
		c->inlen = 0;
		c->outlen = c->outoff = 0;
		c->json = false;
		c->truncated = false;
		ev_io_add(M.loop, &c->io, cfd, EPOLLIN, ctl_io, c);
		ev_timer_start(M.loop, &c->timer, CTL_READ_TIMEOUT_MS,
		    ctl_timeout, c);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNABORTED)
		log_warn("control socket: accept: %s", strerror(errno));
}

/*
 * Root, the master's own user, or a member of control_socket_group (as
 * its primary group or one of the others the kernel reports).
 */
static bool
ctl_peer_may_change(struct ctl_client *c)
{
	gid_t		 gids[CTL_GROUPS_MAX];
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	if (c->uid == 0 || c->uid == geteuid())
		return true;
	if (ctl.group == NULL)
		return false;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    cred.gid == ctl.gid)
		return true;
	len = sizeof(gids);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) == -1)
		return false;
	for (size_t i = 0; i < len / sizeof(gids[0]); i++)
		if (gids[i] == ctl.gid)
			return true;
	return false;
}

static void
ctl_io(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_client	*c = arg;
	ssize_t			 n;
	char			*nl;

	if (c->state == CTL_WRITE) {
		ctl_send(c);
		return;
	}
	if (c->state != CTL_READ) {
		/* Waiting for a reload: a hang-up ends the wait. */
		if (events & (EPOLLHUP | EPOLLERR))
			ctl_end(c);
		return;
	}
	n = read(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && c->inlen == 0) {
		ctl_end(c);
		return;
	}
	if (n > 0)
		c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if ((nl = memchr(c->in, '\n', c->inlen)) != NULL)
		*nl = '\0';
	else if (c->inlen == sizeof(c->in) - 1) {
		ctl_printf(c, "error\ncommand line longer than %d bytes\n",
		    CTL_LINE_MAX - 1);
		ctl_send(c);
		return;
	} else if (n > 0)
		return;		/* more to come */
	ctl_line(c);
}

/* Splits the line into words and runs it. */
static void
ctl_line(struct ctl_client *c)
{
	char	*argv[CTL_ARGS_MAX + 1], *p, *save = NULL;
	int	 argc = 0;

	for (p = strtok_r(c->in, " \t\r", &save); p != NULL;
	    p = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CTL_ARGS_MAX) {
			ctl_printf(c, "error\ntoo many words (at most %d)\n",
			    CTL_ARGS_MAX);
			ctl_send(c);
			return;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	/* "json" first: the answer is JSON. */
	if (argc > 0 && strcmp(argv[0], "json") == 0) {
		c->json = true;
		memmove(argv, argv + 1, (size_t)argc * sizeof(argv[0]));
		argc--;
	}
	if (ctl_run(c, argv, argc) == CTL_DONE)
		ctl_send(c);
	else if (c->state == CTL_RELOAD_QUEUED ||
	    c->state == CTL_RELOAD_CURRENT) {
		/* Only a hang-up is heard while the reload runs. */
		ev_io_mod(M.loop, &c->io, 0);
		ev_timer_start(M.loop, &c->timer, CTL_RELOAD_TIMEOUT_MS,
		    ctl_timeout, c);
	}
}

/* Sends what is left of the answer, then ends the client. */
static void
ctl_send(struct ctl_client *c)
{
	ssize_t	n;

	if (c->state != CTL_WRITE) {
		if (c->truncated) {
			ctl_reset(c);
			ctl_printf(c, "error\nthe answer is longer than %d "
			    "bytes\n", CTL_OUT_MAX);
		}
		c->state = CTL_WRITE;
		c->outoff = 0;
		ev_io_mod(M.loop, &c->io, EPOLLOUT);
		ev_timer_start(M.loop, &c->timer, CTL_SEND_TIMEOUT_MS,
		    ctl_timeout, c);
	}
	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	ctl_end(c);
}

static void
ctl_timeout(struct ev_loop *loop, void *arg)
{
	struct ctl_client	*c = arg;

	log_info("control socket: client pid %d %s; closed", (int)c->pid,
	    c->state == CTL_READ ? "sent no command in time" :
	    c->state == CTL_WRITE ? "did not take the answer in time" :
	    "waited too long for a reload");
	ctl_end(c);
}

static void
ctl_end(struct ctl_client *c)
{
	ev_timer_stop(M.loop, &c->timer);
	ev_io_del(M.loop, &c->io);
	close(c->fd);
	c->fd = -1;
	c->state = CTL_FREE;
	/* A big answer's room goes; a small one is kept for the next. */
	if (c->outcap > 65536) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	c->outlen = c->outoff = 0;
}

/*
 * A listening socket at path, with the mode and group asked for. The
 * socket is made under a umask that lets nobody in, then opened up: no
 * moment where it has wider rights than configured.
 */
static int
ctl_listen(const char *path, int mode, const char *group, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 um;
	int			 fd, probe, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long",
		    path);
		return -1;
	}
	strlcpy_(sun.sun_path, path, sizeof(sun.sun_path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: something "
			    "else is there (not a socket); remove it or set "
			    "control_socket", path);
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			return -1;
		}
		r = connect(probe, (struct sockaddr *)&sun, sizeof(sun));
		close(probe);
		if (r == 0) {
			snprintf(err, errlen, "control socket %s: another "
			    "process answers on it (is frontd running?)",
			    path);
			return -1;
		}
		unlink(path);	/* left by a master that died */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	um = umask(0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(um);
	if (r == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (ctl_chmod(path, mode, group, err, errlen) == -1 ||
	    listen(fd, CTL_CLIENTS_MAX) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "control socket %s: listen: %s",
			    path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int
ctl_chmod(const char *path, int mode, const char *group, char *err,
    size_t errlen)
{
	struct group	*gr;
	gid_t		 gid = (gid_t)-1;

	err[0] = '\0';
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "control socket %s: unknown "
			    "group \"%s\"", path, group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* No group: the master's own, so an old group loses its way in. */
	if (chown(path, (uid_t)-1, gid != (gid_t)-1 ? gid : getegid()) ==
	    -1) {
		snprintf(err, errlen, "control socket %s: chown: %s", path,
		    strerror(errno));
		return -1;
	}
	if (chmod(path, (mode_t)mode) == -1) {
		snprintf(err, errlen, "control socket %s: chmod: %s", path,
		    strerror(errno));
		return -1;
	}
	ctl.gid = gid;
	return 0;
}
