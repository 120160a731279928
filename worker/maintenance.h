/*
 * Maintenance mode (maintenance.c): a request phase, a row of the table
 * in request.c.
 */
#ifndef WORKER_MAINTENANCE_H
#define WORKER_MAINTENANCE_H

#include "worker/conn.h"
#include "worker/phase.h"

enum phase_result	phase_maintenance(struct conn *, enum step *);

#endif
