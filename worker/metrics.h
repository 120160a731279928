/*
 * The metrics route's page (Prometheus text format) and the per route,
 * per upstream and per server counting behind it. Each worker finds its
 * slots in the shared metrics zone once, at start; a request adds to them
 * by index, never by name.
 */
#ifndef WORKER_METRICS_H
#define WORKER_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct proc_env;
struct req;

void		 metrics_init(const struct proc_env *);
void		 metrics_count(const struct req *, int64_t now_ms);
void		 metrics_failed(int upstream, int slot);
const char	*metrics_page(const struct proc_env *, size_t *);
void		 metrics_page_hold(const char *page, const char *unsent);
void		 metrics_page_put(const char *unsent);

#endif
