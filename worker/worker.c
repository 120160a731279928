/*
 * A worker process: one epoll loop that accepts from the shared listening
 * sockets (EPOLLEXCLUSIVE, so one connection wakes one worker, and
 * worker/spread.c, so that one worker does not take them all) and runs the
 * connections. QUIT drains: stop accepting, finish what is in flight, exit
 * (forced after shutdown_timeout). TERM, INT or the master's death: exit
 * now.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/sandbox.h"
#include "common/util.h"
#include "worker/accesslog.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/balance.h"
#include "worker/conn.h"
#include "worker/metrics.h"
#include "worker/proto.h"
#include "worker/req.h"
#include "worker/spread.h"
#include "worker/status.h"
#include "worker/upstream.h"

#define ACCEPT_BATCH		64
#define ACCEPT_PAUSE_MS		100	/* after EMFILE and friends */
#define TRIM_INTERVAL_MS	500

struct listen_watch {
	int			 fd;
	struct ev_io		 io;
	struct proc_listen	*listen;
};

static struct worker		 W;
static struct listen_watch	*watches;
static size_t			 nwatches;
static struct ev_io		 sig_io, life_io;
static struct ev_timer		 drain_timer, pause_timer, trim_timer;
static int			 exit_status;
static bool			 full;		/* at max_connections */
static bool			 paused;	/* out of descriptors */
static int64_t			 last_emfile_ms;

static void	worker_accept(struct ev_loop *, int, uint32_t, void *);
static void	worker_signal(struct ev_loop *, int, uint32_t, void *);
static void	worker_life(struct ev_loop *, int, uint32_t, void *);
static void	worker_drain(void);
static void	worker_drain_timeout(struct ev_loop *, void *);
static void	worker_check_done(void);
static void	listeners_watch(bool);
static void	accept_resume(void);
static void	pause_done(struct ev_loop *, void *);
static void	worker_trim(struct ev_loop *, void *);

int
worker_main(struct proc_env *env)
{
	const struct config	*cfg = env->cfg;
	size_t			 base = 0;
	int			 sigfd;
	char			 why[256];

	W.env = env;
	if (accesslog_open(cfg->global.access_log, cfg->global.syslog_socket,
	    why, sizeof(why)) == -1) {
		log_error("cannot open access log %s: %s",
		    cfg->global.access_log, why);
		return 1;
	}
	W.slot_base = xcalloc(cfg->nupstreams + 1, sizeof(size_t));
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		W.slot_base[i] = base;
		base += cfg->upstreams[i]->nservers;
	}
	W.slot_base[cfg->nupstreams] = base;
	/* Server names for logs, formatted once rather than per request. */
	W.slot_names = xcalloc(base + 1, sizeof(char *));
	W.warn = xcalloc(base + 1, sizeof(*W.warn));
	W.nolive = xcalloc(cfg->nupstreams + 1, sizeof(*W.nolive));
	/* Paths are bounded by the request line. */
	W.path = xmalloc(cfg->global.max_request_line + 1);
	W.target = xmalloc(TARGET_ROOM(cfg->global.max_request_line));
	balance_init(&W);
	for (size_t i = 0; i < cfg->nupstreams; i++)
		for (size_t j = 0; j < cfg->upstreams[i]->nservers; j++) {
			char a[ADDR_STRLEN];

			addr_format(&cfg->upstreams[i]->servers[j].addr, a,
			    sizeof(a));
			W.slot_names[W.slot_base[i] + j] = xstrdup(a);
		}
	W.req_limits.max_head_bytes = cfg->global.max_header_size;
	W.req_limits.max_line_bytes = cfg->global.max_request_line;
	W.req_limits.max_headers = cfg->global.max_headers;
	/* Responses: what fits our buffer; the server is ours to trust. */
	W.resp_limits.max_head_bytes = 60 * 1024;
	W.resp_limits.max_line_bytes = 8 * 1024;
	W.resp_limits.max_headers = HTTP_MAX_HEADERS_LIMIT;
	upstream_init(base);
	cache_init(env->cache);
	metrics_init(env);
	status_init(env);

	if ((sigfd = proc_signalfd()) == -1 ||
	    (W.loop = ev_loop_new()) == NULL) {
		log_error("signalfd/epoll: %s", strerror(errno));
		return 1;
	}
	ev_io_add(W.loop, &sig_io, sigfd, EPOLLIN, worker_signal, NULL);
	ev_io_add(W.loop, &life_io, env->life_fd, EPOLLIN, worker_life, NULL);

	watches = xcalloc(env->nlistens, sizeof(*watches));
	nwatches = env->nlistens;
	for (size_t i = 0; i < nwatches; i++) {
		watches[i].fd = env->listens[i].fd;
		watches[i].io.fd = -1;
		watches[i].listen = &env->listens[i];
	}
	spread_init(W.loop, env, accept_resume);
	listeners_watch(true);
	ev_timer_start(W.loop, &trim_timer, TRIM_INTERVAL_MS, worker_trim,
	    NULL);
	if (cfg->global.sandbox && sandbox_enter(SANDBOX_WORKER, cfg) == -1)
		return 1;
	proc_report_ready(env);
	log_debug("worker %d of generation %d ready", env->slot,
	    env->generation);
	sandbox_selftest(env->sandbox_test, env->config_path, env->master_pid);
	ev_run(W.loop);
	conn_close_all(&W);
	return exit_status;
}

static void
listeners_watch(bool on)
{
	for (size_t i = 0; i < nwatches; i++) {
		struct listen_watch *lw = &watches[i];

		if (on && lw->io.fd == -1 && lw->fd != -1) {
			if (ev_io_add(W.loop, &lw->io, lw->fd,
			    EPOLLIN | EPOLLEXCLUSIVE, worker_accept, lw) == -1)
				log_error("cannot watch a listener: %s",
				    strerror(errno));
		} else if (!on)
			ev_io_del(W.loop, &lw->io);
	}
}

static void
worker_accept(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct listen_watch	*lw = arg;
	struct addr		 peer;
	int			 cfd;

	for (int i = 0; i < ACCEPT_BATCH && !W.draining; i++) {
		if (W.nconns >= (size_t)W.env->cfg->global.max_connections &&
		    W.nidle == 0) {
			/* Full: new connections wait in the backlog. */
			if (!full)
				log_warn("max_connections (%d) reached; not "
				    "accepting until a connection closes",
				    W.env->cfg->global.max_connections);
			full = true;
			listeners_watch(false);
			return;
		}
		if (spread_defer(W.nconns)) {
			/* Others hold fewer: this one is theirs. */
			listeners_watch(false);
			return;
		}
		peer.len = sizeof(peer.ss);
		cfd = accept4(fd, (struct sockaddr *)&peer.ss, &peer.len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/*
				 * Out of descriptors: stop accepting for a
				 * moment rather than spin on a ready socket.
				 */
				if (ev_now(loop) - last_emfile_ms >= 10000) {
					log_warn("accept: %s; pausing accepts "
					    "for %dms (%zu connections open)",
					    strerror(errno), ACCEPT_PAUSE_MS,
					    W.nconns);
					last_emfile_ms = ev_now(loop);
				}
				paused = true;
				listeners_watch(false);
				ev_timer_start(loop, &pause_timer,
				    ACCEPT_PAUSE_MS, pause_done, NULL);
				return;
			default:
				log_warn("accept: %s", strerror(errno));
				return;
			}
		}
		/* Full, but with idle keep-alive ones: the oldest goes. */
		if (W.nconns >= (size_t)W.env->cfg->global.max_connections)
			conn_reclaim_idle(&W, W.nconns + 1 -
			    (size_t)W.env->cfg->global.max_connections);
		/* It may be served within conn_accept: counted already. */
		status_count(W.nconns + 1);
		conn_accept(&W, cfd, &peer, lw->listen);
		spread_count(W.nconns);
		status_count(W.nconns);
	}
}

/* Called by spread.c: take connections again, the queued ones first. */
static void
accept_resume(void)
{
	if (W.draining || full || paused)
		return;
	listeners_watch(true);
	for (size_t i = 0; i < nwatches && !spread_deferring(); i++)
		if (watches[i].io.fd != -1)
			worker_accept(W.loop, watches[i].fd, EPOLLIN,
			    &watches[i]);
}

/* Memory a burst left in the caches goes back within seconds. */
static void
worker_trim(struct ev_loop *loop, void *arg)
{
	buf_trim();
	req_trim();
	encoder_trim();
	cache_trim();
	h2_heap_trim();
	ev_timer_start(loop, &trim_timer, TRIM_INTERVAL_MS, worker_trim, NULL);
}

static void
pause_done(struct ev_loop *loop, void *arg)
{
	/* Not while draining, at max_connections, or leaving them to others. */
	paused = false;
	if (!W.draining && !full && !spread_deferring())
		listeners_watch(true);
}

static void
worker_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;
	char			why[256];

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGQUIT:
			worker_drain();
			break;
		case SIGTERM:
		case SIGINT:
			log_debug("fast stop: closing %zu connections",
			    W.nconns);
			ev_break(loop);
			return;
		case SIGUSR1:
			if (log_reopen(why, sizeof(why)) == -1)
				log_error("cannot reopen %s: %s", log_target(),
				    why);
			if (accesslog_reopen(why, sizeof(why)) == -1)
				log_error("cannot reopen access log %s: %s",
				    W.env->cfg->global.access_log, why);
			break;
		default:
			break;		/* HUP is the master's business */
		}
	}
}

/* The master's end of the life pipe closed: it is gone, so are we. */
static void
worker_life(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	log_warn("master process is gone; exiting");
	exit_status = 1;
	ev_break(loop);
}

static void
worker_drain(void)
{
	struct conn	*c, *next;

	if (W.draining)
		return;
	/*
	 * Take what is already queued on the listeners first: with
	 * EPOLLEXCLUSIVE this worker may be the one woken for it. All of it:
	 * the spreading ends here.
	 */
	spread_stop();
	for (size_t i = 0; i < nwatches; i++)
		if (watches[i].io.fd != -1)
			worker_accept(W.loop, watches[i].fd, EPOLLIN,
			    &watches[i]);
	W.draining = true;
	listeners_watch(false);
	for (size_t i = 0; i < nwatches; i++) {
		close(watches[i].fd);
		watches[i].fd = -1;
	}
	upstream_drop_pool(&W);
	log_debug("draining %zu connections", W.nconns);
	for (c = W.conns; c != NULL; c = next) {
		next = c->next;
		conn_drain(c);
	}
	ev_timer_start(W.loop, &drain_timer,
	    W.env->cfg->global.shutdown_timeout_ms, worker_drain_timeout, NULL);
	worker_check_done();
}

static void
worker_drain_timeout(struct ev_loop *loop, void *arg)
{
	log_notice("shutdown_timeout reached; closing %zu connections",
	    W.nconns);
	ev_break(loop);
}

static void
worker_check_done(void)
{
	if (W.draining && W.nconns == 0)
		ev_break(W.loop);
}

/* Called by conn.c after each close. */
void
worker_conn_closed(struct worker *w)
{
	spread_count(w->nconns);
	status_count(w->nconns);
	if (full && !w->draining &&
	    w->nconns < (size_t)w->env->cfg->global.max_connections) {
		full = false;
		if (!paused && !spread_deferring())
			listeners_watch(true);
	}
	worker_check_done();
}

/* Called by conn.c when a connection goes idle: it can make room now. */
void
worker_conn_idle(struct worker *w)
{
	if (full && !w->draining) {
		full = false;
		listeners_watch(true);
	}
}
