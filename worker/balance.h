/*
 * Choosing a server of an upstream for one try of a request, and what
 * the workers learn from each try (passive health checks). The state that
 * every worker must see lives in the shared health table.
 */
#ifndef WORKER_BALANCE_H
#define WORKER_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "worker/lb.h"

struct conn;
struct worker;

void		 balance_init(struct worker *);
enum pick_result balance_pick(struct conn *, const struct cfg_upstream *,
		    size_t *server);
/* Outcome of a try on a server (slot): counts towards max_fails. */
void		 balance_failed(struct conn *, int slot, const char *why);
void		 balance_succeeded(struct conn *, int slot);

#endif
