/*
 * The access log: one line per request, written by the worker that served
 * it with a single write(2) to an O_APPEND file. Fields are documented in
 * frontd.conf(5).
 */
#ifndef WORKER_ACCESSLOG_H
#define WORKER_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

struct access_entry {
	const char	*client;	/* "127.0.0.1" */
	const char	*request;	/* request line, not terminated */
	size_t		 request_len;
	int		 status;
	uint64_t	 bytes;
	const char	*referer;
	size_t		 referer_len;
	const char	*user_agent;
	size_t		 user_agent_len;
	int64_t		 duration_ms;
	const char	*upstream;	/* "-" when none */
};

int	accesslog_open(const char *);	/* NULL: off */
int	accesslog_reopen(void);
void	accesslog_write(const struct access_entry *);

#endif
