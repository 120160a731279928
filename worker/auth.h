/*
 * Basic authentication (auth.c): a request phase, a row of the table in
 * request.c.
 */
#ifndef WORKER_AUTH_H
#define WORKER_AUTH_H

#include "worker/conn.h"
#include "worker/phase.h"

enum phase_result	phase_auth_basic(struct conn *, enum step *);

#endif
