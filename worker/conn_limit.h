/*
 * limit_conn per=connection on a listener (conn_limit.c): counted when
 * the client's address is known, given back at close.
 */
#ifndef WORKER_CONN_LIMIT_H
#define WORKER_CONN_LIMIT_H

#include <stdbool.h>

#include "worker/conn.h"

bool	conn_limit_enter(struct conn *);	/* false: close it */
void	conn_limit_leave(struct conn *);

#endif
