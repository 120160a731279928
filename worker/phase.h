/*
 * A request phase: one row of the table in request.c. Each runs on a
 * request whose head is parsed and answers NEXT (go on), ANSWERED or
 * FAIL (an answer is on its way, *s says the connection's next step) or
 * WAIT (it waits, and runs the phases again after).
 */
#ifndef WORKER_PHASE_H
#define WORKER_PHASE_H

#include "worker/conn.h"

enum phase_result {
	PHASE_NEXT,		/* go on with the next phase */
	PHASE_ANSWERED,		/* an answer is on its way */
	PHASE_WAIT,		/* waiting (another's fetch) */
	PHASE_FAIL		/* an error answer is on its way */
};

struct phase {
	const char	*name;
	enum phase_result (*run)(struct conn *, enum step *);
};

#endif
