/*
 * Spreading new connections over the workers of a generation: a worker
 * that holds clearly more than its share leaves the next connections to
 * the one that holds least, and wakes it.
 */
#ifndef WORKER_SPREAD_H
#define WORKER_SPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct proc_env;

typedef void spread_resume_fn(void);

bool	spread_over(uint64_t mine, uint64_t total, uint64_t nworkers);
void	spread_init(struct ev_loop *, const struct proc_env *,
	    spread_resume_fn *);
bool	spread_defer(size_t nconns);
bool	spread_deferring(void);
void	spread_count(size_t nconns);
void	spread_stop(void);

#endif
