/*
 * The status page (route key "status = on"): HTML or JSON, from the
 * shared zones. Each worker keeps its slot of the status zone current.
 */
#ifndef WORKER_STATUS_H
#define WORKER_STATUS_H

#include <stddef.h>

#include "worker/conn.h"

struct conn;
struct proc_env;

void		 status_init(const struct proc_env *);
void		 status_count(size_t nconns);
enum step	 status_answer(struct conn *);

#endif
