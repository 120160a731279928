/*
 * The response body (body.c), as the request's state machine calls it:
 * the coding chosen at the response head, then the REQ_BODY step; and
 * the body of frontd's own answers, from REQ_RESPOND.
 */
#ifndef WORKER_BODY_H
#define WORKER_BODY_H

#include <stddef.h>

#include "worker/conn.h"

void		 body_pick_coding(struct conn *);
enum step	 body_send(struct conn *);
enum step	 body_send_local(struct conn *);
void		 body_pipe_put(int[2], size_t);

#endif
