/*
 * Who the client is and whether it may come in (access.c): request
 * phases, rows of the table in request.c.
 */
#ifndef WORKER_ACCESS_H
#define WORKER_ACCESS_H

#include "worker/conn.h"
#include "worker/phase.h"

enum phase_result	phase_client(struct conn *, enum step *);
enum phase_result	phase_listener_access(struct conn *, enum step *);
enum phase_result	phase_route_access(struct conn *, enum step *);
enum phase_result	phase_filter(struct conn *, enum step *);

#endif
