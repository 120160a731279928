/*
 * Shared rate and connection limits (limit.c): a request phase, a row of
 * the table in request.c, and what gives back a request's holds when it
 * ends (req_end).
 */
#ifndef WORKER_LIMIT_H
#define WORKER_LIMIT_H

#include "worker/conn.h"
#include "worker/phase.h"

enum phase_result	phase_limit(struct conn *, enum step *);
void			limit_release(struct conn *);

#endif
