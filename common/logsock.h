/*
 * Lines to the local syslog socket (/dev/log, or syslog_socket): RFC 3164
 * datagrams "<PRI>Mmm dd hh:mm:ss frontd[PID]: message", sent without
 * ever blocking; what cannot be sent is counted, never silently lost.
 */
#ifndef COMMON_LOGSOCK_H
#define COMMON_LOGSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#define LOGSOCK_PATH_DEFAULT	"/dev/log"
#define LOGSOCK_PATH_MAX	\
	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define LOGSOCK_FULL_REPORT_MS	10000	/* "socket full" at most this often */

enum logsock_result {
	LOGSOCK_SENT,
	LOGSOCK_FULL,		/* the reader is behind: dropped, counted */
	LOGSOCK_DOWN		/* no socket, or nobody reads it: dropped */
};

/*
 * A report the owner logs once, where it sees fit: the socket stopped
 * answering, answers again, or was found full since the last report.
 */
enum logsock_event {
	LOGSOCK_EV_NONE,
	LOGSOCK_EV_DOWN,	/* why says why */
	LOGSOCK_EV_UP,		/* ndown lines were lost meanwhile */
	LOGSOCK_EV_FULL		/* nfull lines were dropped */
};

struct logsock {
	int		 fd;		/* -1: not connected */
	int		 facility;	/* LOG_LOCAL7 ..., already shifted */
	char		 path[LOGSOCK_PATH_MAX + 1];
	bool		 down;		/* the last try failed */
	int64_t		 retry_ms;	/* while down: next connect try */
	uint64_t	 ndown;		/* dropped while down */
	uint64_t	 nfull;		/* dropped on a full socket */
	int64_t		 full_report_ms;
	bool		 tell_down;	/* EV_DOWN not taken yet */
	bool		 tell_up;	/* EV_UP not taken yet */
	char		 why[128];
};

int	logsock_facility(const char *);		/* -1: unknown */
const char *logsock_facility_name(int);
int	logsock_target(const char *, int);
void	logsock_init(struct logsock *, const char *path, int facility);
int	logsock_connect(struct logsock *);
void	logsock_close(struct logsock *);
int	logsock_probe(const char *path, char *why, size_t);
enum logsock_result logsock_send(struct logsock *, int severity, int pid,
	    const char *msg, size_t len);
enum logsock_event logsock_event(struct logsock *, uint64_t *);

#endif
