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

struct conn;
struct worker;

enum pick_result {
	PICK_OK,
	PICK_NONE,		/* no server available: 502 */
	PICK_FULL		/* every available one is at max_conns: 503 */
};

void		 balance_init(struct worker *);
enum pick_result balance_pick(struct conn *, const struct cfg_upstream *,
		    size_t *server);
/* Outcome of a try on a server (slot): counts towards max_fails. */
void		 balance_failed(struct conn *, int slot, const char *why);
void		 balance_succeeded(struct conn *, int slot);

#endif
