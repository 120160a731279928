/*
 * A small epoll event loop shared by workers, the checker and the master:
 * fd watchers, one-shot timers on a binary heap, and deferred frees so an
 * object closed in the middle of an event batch is released only after the
 * batch (a stale event never touches freed memory).
 */
#ifndef COMMON_EV_H
#define COMMON_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev_loop;

typedef void ev_io_fn(struct ev_loop *, int fd, uint32_t events, void *arg);
typedef void ev_timer_fn(struct ev_loop *, void *arg);
typedef void ev_free_fn(void *);

struct ev_io {
	int		 fd;		/* -1 once removed */
	uint32_t	 events;
	ev_io_fn	*cb;
	void		*arg;
};

struct ev_timer {
	int64_t		 deadline_ms;	/* its place in the heap */
	uint32_t	 idx;		/* position in the heap + 1; 0 = idle */
	uint32_t	 later_ms;	/* it fires this long after: pushed back
					   while armed */
	ev_timer_fn	*cb;
	void		*arg;
};

struct ev_loop	*ev_loop_new(void);
void		 ev_loop_free(struct ev_loop *);
int		 ev_io_add(struct ev_loop *, struct ev_io *, int, uint32_t,
		    ev_io_fn *, void *);
int		 ev_io_mod(struct ev_loop *, struct ev_io *, uint32_t);
void		 ev_io_del(struct ev_loop *, struct ev_io *);
void		 ev_io_forget(struct ev_io *);
void		 ev_timer_start(struct ev_loop *, struct ev_timer *, int64_t ms,
		    ev_timer_fn *, void *);
void		 ev_timer_stop(struct ev_loop *, struct ev_timer *);
void		 ev_defer_free(struct ev_loop *, ev_free_fn *, void *);
int64_t		 ev_now(struct ev_loop *);
void		 ev_run(struct ev_loop *);
void		 ev_break(struct ev_loop *);

#endif
