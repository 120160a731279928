/*
 * A request's way from a parsed head to its answer, as a table of phases
 * (request.c).
 */
#ifndef WORKER_REQUEST_H
#define WORKER_REQUEST_H

#include "worker/conn.h"

/* Runs the phases of c's request, its head parsed; again after a wait. */
enum step	request_start(struct conn *);
/* The answer from the cache: a hit, a refreshed entry, a stale stand-in. */
enum step	request_from_cache(struct conn *);

#endif
