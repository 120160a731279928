/*
 * Listening sockets. The master binds them (as root, before any child
 * drops privileges) and children inherit them. On reload an address that
 * stays in the configuration keeps its socket, the very same fd, so no
 * connection is ever refused; only new addresses are bound and only removed
 * ones are closed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "master/master.h"

static int
listen_bind(const struct addr *a, int backlog, char *err, size_t errlen)
{
	int	fd, on = 1;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	if (listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Builds the socket set for cfg into *out, reusing sockets of old whose
 * address is unchanged. On failure nothing of old is touched and every
 * socket opened here is closed again.
 */
int
listen_open(struct config *cfg, struct proc_listen *old, size_t nold,
    struct proc_listen **out, size_t *nout, char *err, size_t errlen)
{
	struct proc_listen	*ls = NULL;
	size_t			 n = 0, i, j, k;
	bool			*fresh = NULL;

	for (i = 0; i < cfg->nlisteners; i++) {
		struct cfg_listener *li = cfg->listeners[i];

		for (j = 0; j < li->naddrs; j++) {
			ls = xrealloc(ls, n + 1, sizeof(*ls));
			fresh = xrealloc(fresh, n + 1, sizeof(*fresh));
			ls[n].addr = li->addrs[j];
			ls[n].listener = (int)i;
			ls[n].fd = -1;
			fresh[n] = false;
			for (k = 0; k < nold; k++)
				if (addr_equal(&old[k].addr, &li->addrs[j]))
					break;
			if (k < nold) {
				ls[n].fd = old[k].fd;
				/* A new backlog applies to the kept socket. */
				listen(ls[n].fd, li->backlog);
			} else {
				ls[n].fd = listen_bind(&li->addrs[j],
				    li->backlog, err, errlen);
				if (ls[n].fd == -1) {
					char *e = xstrdup(err), a[ADDR_STRLEN];

					addr_format(&li->addrs[j], a,
					    sizeof(a));
					snprintf(err, errlen, "%s:%d: cannot "
					    "listen on %s in [listener %s]: %s",
					    li->addr_where[j].file,
					    li->addr_where[j].line, a,
					    li->sec.name, e);
					free(e);
					goto fail;
				}
				fresh[n] = true;
			}
			n++;
		}
	}
	free(fresh);
	*out = ls;
	*nout = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		if (fresh[i])
			close(ls[i].fd);
	free(ls);
	free(fresh);
	return -1;
}

/* Closes the sockets of old that the new set does not use. */
void
listen_close_unused(struct proc_listen *old, size_t nold,
    const struct proc_listen *keep, size_t nkeep)
{
	char	name[ADDR_STRLEN];
	size_t	i, j;

	for (i = 0; i < nold; i++) {
		for (j = 0; j < nkeep; j++)
			if (keep[j].fd == old[i].fd)
				break;
		if (j == nkeep) {
			addr_format(&old[i].addr, name, sizeof(name));
			log_notice("closed listener %s", name);
			close(old[i].fd);
		}
	}
}

void
listen_describe(const struct proc_listen *ls, size_t n, char *buf,
    size_t len)
{
	char	name[ADDR_STRLEN];
	size_t	off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		addr_format(&ls[i].addr, name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", name);
	}
}
