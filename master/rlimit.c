/*
 * The open files limit of the workers. A worker needs a few descriptors
 * per client connection; a soft RLIMIT_NOFILE of 1024 would cut
 * max_connections = 4096 short without a word. The master works out what
 * a configuration may need, raises the limit that far (the hard limit too
 * where it may), says so when it cannot, and each worker sets the result
 * for itself before it drops privileges. frontd -t decides the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/config.h"
#include "common/log.h"
#include "master/master.h"

/*
 * Per client connection: its socket, the upstream socket and, while a
 * long body is spliced, a pipe (two descriptors). A worker's own: its
 * event loop, signals, pipes to the master, the logs, and the splice
 * pipes it keeps for reuse (64 pairs).
 */
#define NOFILE_PER_CONN		4
#define NOFILE_WORKER		256

/*
 * What one worker of cfg may have open at worst: 4 per connection, the
 * idle keep-alive connections it may pool (keepalive of each upstream, per
 * server), one per listening address, and 256 for itself. frontd.conf(5)
 * gives the same formula.
 */
uint64_t
rlimit_need(const struct config *cfg)
{
	uint64_t	n;

	n = NOFILE_PER_CONN * (uint64_t)cfg->global.max_connections +
	    NOFILE_WORKER;
	for (size_t i = 0; i < cfg->nlisteners; i++)
		n += cfg->listeners[i]->naddrs;
	for (size_t i = 0; i < cfg->nupstreams; i++)
		n += (uint64_t)cfg->upstreams[i]->keepalive *
		    cfg->upstreams[i]->nservers;
	return n;
}

/*
 * Decides cfg->worker_nofile, the soft limit workers set: worker_rlimit_nofile
 * if given, else what rlimit_need() says, but never below the limit
 * frontd was started with. A hard limit below that is raised in this
 * process if it may be (root with CAP_SYS_RESOURCE, up to fs.nr_open), so
 * that children inherit it; else the workers get the hard limit, and a
 * warning in cfg says what that means for max_connections.
 */
void
rlimit_plan(struct config *cfg)
{
	const struct cfg_global	*g = &cfg->global;
	const struct cfg_where	*w;
	struct cfg_where	 top = { cfg->path, 0 };
	struct rlimit		 cur, r;
	uint64_t		 need = rlimit_need(cfg), want, got, base, room;
	int			 hard = 0;	/* errno of the raise */

	cfg->worker_nofile = 0;
	if (getrlimit(RLIMIT_NOFILE, &cur) == -1)
		return;
	want = g->worker_rlimit_nofile != 0 ? g->worker_rlimit_nofile : need;
	if (cur.rlim_max != RLIM_INFINITY && want > cur.rlim_max) {
		r.rlim_cur = cur.rlim_cur;
		r.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &r) == 0)
			cur.rlim_max = want;
		else
			hard = errno;
	}
	got = cur.rlim_max == RLIM_INFINITY || want < cur.rlim_max ? want :
	    cur.rlim_max;
	if (g->worker_rlimit_nofile == 0 && cur.rlim_cur != RLIM_INFINITY &&
	    got < cur.rlim_cur)
		got = cur.rlim_cur;
	cfg->worker_nofile = got;
	if (got >= need)
		return;

	/* How many connections the limit covers, at 4 each. */
	base = need - NOFILE_PER_CONN * (uint64_t)g->max_connections;
	room = got > base ? (got - base) / NOFILE_PER_CONN : 0;
	if ((w = cfg_key_where(&g->sec, "worker_rlimit_nofile")) == NULL &&
	    (w = cfg_key_where(&g->sec, "max_connections")) == NULL)
		w = &top;
	if (hard != 0)
		cfg_warn_at(cfg, w, "warning: max_connections = %d may need "
		    "%llu open files per worker, but the hard limit is %llu "
		    "and cannot be raised (%s): a worker may run out of "
		    "descriptors past about %llu connections; raise the limit "
		    "(LimitNOFILE= under systemd, ulimit -Hn) or lower "
		    "max_connections", g->max_connections,
		    (unsigned long long)need, (unsigned long long)got,
		    strerror(hard), (unsigned long long)room);
	else
		cfg_warn_at(cfg, w, "warning: worker_rlimit_nofile = %llu is "
		    "below the %llu open files max_connections = %d may need "
		    "per worker: a worker may run out of descriptors past "
		    "about %llu connections", (unsigned long long)got,
		    (unsigned long long)need, g->max_connections,
		    (unsigned long long)room);
}

/* One line at start and reload, for who wonders what the workers got. */
void
rlimit_log(const struct config *cfg)
{
	if (cfg->worker_nofile != 0)
		log_info("workers may open %llu files each (max_connections = "
		    "%d may need %llu)", (unsigned long long)cfg->worker_nofile,
		    cfg->global.max_connections,
		    (unsigned long long)rlimit_need(cfg));
}
