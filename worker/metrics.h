/*
 * The metrics route's page (Prometheus text format) and the per route,
 * per upstream and per server counting behind it. Each worker finds its
 * slots in the shared metrics zone once, at start; a request adds to them
 * by index, never by name.
 */
#ifndef WORKER_METRICS_H
#define WORKER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_server;
struct health_slot;
struct metrics_slot;
struct proc_env;
struct req;

/* A page's text in a bounded buffer: full once something did not fit. */
struct page_out {
	char		*p;
	size_t		 n;
	size_t		 room;
	bool		 full;
};

void		 outf(struct page_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Writes a page in dst[0..room): its length, or (size_t)-1 if too long. */
typedef size_t metrics_render_fn(void *arg, char *dst, size_t room);

void		 metrics_init(const struct proc_env *);
void		 metrics_count(const struct req *, int64_t now_ms);
void		 metrics_failed(int upstream, int slot);
const char	*metrics_page(const struct proc_env *, size_t *);
const char	*metrics_page_render(metrics_render_fn *, void *, size_t *);
const struct metrics_slot *metrics_route_slot(size_t);
const struct metrics_slot *metrics_server_slot(size_t);
const char	*metrics_server_state(const struct cfg_server *,
		    struct health_slot *, int64_t now_ms);
void		 metrics_page_hold(const char *page, const char *unsent);
void		 metrics_page_put(const char *unsent);

#endif
