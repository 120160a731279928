/*
 * The access log: one line per request, written by the worker that served
 * it with a single write(2) to an O_APPEND file, or one datagram to the
 * syslog socket. Formats (combined, json, custom ones) are documented in
 * frontd.conf(5).
 */
#ifndef WORKER_ACCESSLOG_H
#define WORKER_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_logfmt;

struct access_entry {
	int		 format;	/* enum log_format */
	const struct cfg_logfmt *custom;	/* LOG_FORMAT_CUSTOM */
	unsigned long long conn_id;
	const char	*client;	/* "127.0.0.1" */
	const char	*method;
	size_t		 method_len;
	const char	*target;
	size_t		 target_len;
	int		 minor;		/* HTTP/1.minor */
	uint32_t	 stream;	/* HTTP/2: the stream id; 0: HTTP/1 */
	int		 status;
	uint64_t	 bytes;
	const char	*referer;
	size_t		 referer_len;
	const char	*user_agent;
	size_t		 user_agent_len;
	int64_t		 duration_ms;
	const char	*upstream;	/* NULL: not forwarded */
	int		 upstream_status;	/* 0: no response */
	int64_t		 upstream_ms;	/* -1: not forwarded */
	const char	*tls;		/* "TLSv1.3", NULL on plain */
	const char	*cache;		/* "hit", "miss"...; NULL: no cache */
	const char	*user;		/* auth_basic's; NULL: none */
	const char	*host;		/* normalized, without the port */
	size_t		 host_len;
};

int	accesslog_open(const char *, const char *syslog_socket, char *why,
	    size_t);				/* NULL: off */
int	accesslog_reopen(char *why, size_t);
bool	accesslog_enabled(void);
void	accesslog_write(const struct access_entry *);

#endif
