/*
 * Custom access log formats: "$remote_addr [$time_local] $status ...",
 * compiled once at load time into literal and variable parts, so a
 * worker never parses a format and a typo is a load error.
 */
#ifndef COMMON_LOGFMT_H
#define COMMON_LOGFMT_H

#include <stddef.h>

#include "common/config.h"

extern const char *const logfmt_var_names[];

int	logfmt_parse(struct cfg_logfmt *, const char *, char *err, size_t);
void	logfmt_free(struct cfg_logfmt *);

#endif
