/*
 * Small helpers every process uses: checked allocation (for the master and
 * config loading, where running out of memory is fatal), monotonic time and
 * fd flags.
 */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xasprintf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

int64_t		 now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t	 now_usec(void);	/* CLOCK_MONOTONIC, for sd_notify */

size_t		 strlcpy_(char *, const char *, size_t);
void		 fmt_duration(char *, size_t, int64_t);
const char	*file_kind_name(mode_t);

#endif
