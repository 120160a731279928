/*
 * The upstream side of a request (proxy.c), as the connection's state
 * machine calls it: each function is one step of that machine.
 */
#ifndef WORKER_PROXY_H
#define WORKER_PROXY_H

#include <stdbool.h>

#include "worker/conn.h"

enum step	 proxy_start_try(struct conn *, int);
enum step	 proxy_connect(struct conn *);
enum step	 proxy_send(struct conn *);
enum step	 proxy_read_head(struct conn *);
enum step	 proxy_failed(struct conn *, int, const char *, const char *,
		    bool);
enum step	 proxy_give_up(struct conn *, int, const char *);
void		 proxy_warn(struct conn *, const char *, const char *);
void		 proxy_nolive(struct conn *, const char *);

#endif
