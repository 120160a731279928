/*
 * Event loop. Level-triggered epoll: a callback that leaves data unread is
 * called again on the next turn, which keeps fairness simple (each
 * connection does a bounded amount of work per turn). Timers live on a
 * binary min-heap keyed by deadline, so arming and cancelling are O(log n).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/util.h"

#define EV_BATCH	128

struct ev_deferred {
	ev_free_fn	*fn;
	void		*arg;
};

struct ev_loop {
	int			 epfd;
	bool			 stop;
	int64_t			 now_ms;
	struct ev_timer		**heap;
	size_t			 nheap, heapcap;
	struct ev_deferred	*deferred;
	size_t			 ndeferred, defercap;
};

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop	*loop;

	loop = xcalloc(1, sizeof(*loop));
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(loop);
		return NULL;
	}
	loop->now_ms = now_ms();
	return loop;
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop->heap);
	free(loop->deferred);
	free(loop);
}

int
ev_io_add(struct ev_loop *loop, struct ev_io *io, int fd, uint32_t events,
    ev_io_fn *cb, void *arg)
{
	struct epoll_event	ee;

	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) == -1) {
		io->fd = -1;
		return -1;
	}
	return 0;
}

int
ev_io_mod(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event	ee;

	if (io->fd == -1 || io->events == events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ee) == -1)
		return -1;
	io->events = events;
	return 0;
}

/* Stops watching; the fd itself stays open (its owner closes it). */
void
ev_io_del(struct ev_loop *loop, struct ev_io *io)
{
	if (io->fd == -1)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

/* Heap helpers: idx is 1-based so 0 means "not armed". */
/*
 * For an fd about to be closed: close(2) takes it out of epoll (we never
 * share our fds), so the epoll_ctl of ev_io_del would be a wasted syscall.
 */
void
ev_io_forget(struct ev_io *io)
{
	io->fd = -1;
}

static void
heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	struct ev_timer	*t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->idx = (uint32_t)(a + 1);
	loop->heap[b]->idx = (uint32_t)(b + 1);
}

static void
heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (loop->heap[p]->deadline_ms <= loop->heap[i]->deadline_ms)
			break;
		heap_swap(loop, i, p);
		i = p;
	}
}

static void
heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nheap &&
		    loop->heap[l]->deadline_ms < loop->heap[m]->deadline_ms)
			m = l;
		if (r < loop->nheap &&
		    loop->heap[r]->deadline_ms < loop->heap[m]->deadline_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(loop, i, m);
		i = m;
	}
}

void
ev_timer_start(struct ev_loop *loop, struct ev_timer *t, int64_t ms,
    ev_timer_fn *cb, void *arg)
{
	int64_t	due = loop->now_ms + ms;

	t->cb = cb;
	t->arg = arg;
	/*
	 * Armed already (a wait changing into the next). Later, as most
	 * are (an idle timer pushed back by each request): it keeps its
	 * place, and is put back when it comes up. Sooner: moved up.
	 */
	if (t->idx != 0) {
		if (due < t->deadline_ms) {
			t->deadline_ms = due;
			t->later_ms = 0;
			heap_up(loop, t->idx - 1);
		} else if (due - t->deadline_ms <= UINT32_MAX)
			t->later_ms = (uint32_t)(due - t->deadline_ms);
		else {
			t->deadline_ms = due;
			t->later_ms = 0;
			heap_down(loop, t->idx - 1);
		}
		return;
	}
	t->deadline_ms = due;
	t->later_ms = 0;
	if (loop->nheap == loop->heapcap) {
		loop->heapcap = loop->heapcap ? loop->heapcap * 2 : 64;
		loop->heap = xrealloc(loop->heap, loop->heapcap,
		    sizeof(*loop->heap));
	}
	loop->heap[loop->nheap] = t;
	t->idx = (uint32_t)++loop->nheap;
	heap_up(loop, loop->nheap - 1);
}

void
ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
	size_t	i;

	if (t->idx == 0)
		return;
	i = t->idx - 1;
	t->idx = 0;
	if (--loop->nheap == i)
		return;
	loop->heap[i] = loop->heap[loop->nheap];
	loop->heap[i]->idx = (uint32_t)(i + 1);
	heap_up(loop, i);
	heap_down(loop, loop->heap[i]->idx - 1);
}

void
ev_defer_free(struct ev_loop *loop, ev_free_fn *fn, void *arg)
{
	if (loop->ndeferred == loop->defercap) {
		loop->defercap = loop->defercap ? loop->defercap * 2 : 32;
		loop->deferred = xrealloc(loop->deferred, loop->defercap,
		    sizeof(*loop->deferred));
	}
	loop->deferred[loop->ndeferred].fn = fn;
	loop->deferred[loop->ndeferred++].arg = arg;
}

int64_t
ev_now(struct ev_loop *loop)
{
	return loop->now_ms;
}

void
ev_break(struct ev_loop *loop)
{
	loop->stop = true;
}

static void
run_deferred(struct ev_loop *loop)
{
	/* A free callback may defer more; run until none are left. */
	for (size_t i = 0; i < loop->ndeferred; i++)
		loop->deferred[i].fn(loop->deferred[i].arg);
	loop->ndeferred = 0;
}

void
ev_run(struct ev_loop *loop)
{
	struct epoll_event	 evs[EV_BATCH];
	int			 n, timeout;

	loop->stop = false;
	while (!loop->stop) {
		loop->now_ms = now_ms();
		/*
		 * Only the timers due now, once each: one a callback starts
		 * again (at 0 ms, say) waits for the next turn, after epoll,
		 * or it could hold the loop forever.
		 */
		for (size_t due = loop->nheap; due > 0 && loop->nheap > 0 &&
		    loop->heap[0]->deadline_ms <= loop->now_ms; due--) {
			struct ev_timer *t = loop->heap[0];

			if (t->later_ms > 0 && t->deadline_ms + t->later_ms >
			    loop->now_ms) {
				/* Pushed back: its real place now. */
				t->deadline_ms += t->later_ms;
				t->later_ms = 0;
				heap_down(loop, 0);
				continue;
			}
			ev_timer_stop(loop, t);
			t->cb(loop, t->arg);
			if (loop->stop)
				break;
		}
		run_deferred(loop);
		if (loop->stop)
			break;
		timeout = -1;
		if (loop->nheap > 0) {
			int64_t d = loop->heap[0]->deadline_ms - loop->now_ms;

			/* Past due (left for the next turn): no waiting. A
			 * negative timeout would wait forever. */
			timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(loop->epfd, evs, EV_BATCH, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		loop->now_ms = now_ms();
		for (int i = 0; i < n; i++) {
			struct ev_io *io = evs[i].data.ptr;

			/* Removed earlier in this batch: skip. */
			if (io->fd == -1)
				continue;
			io->cb(loop, io->fd, evs[i].events, io->arg);
		}
		run_deferred(loop);
	}
	run_deferred(loop);
}
