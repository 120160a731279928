/*
 * Parsers for the value types the config uses. Each returns 0 and stores
 * the value, or -1 and leaves the output alone; messages are the caller's.
 */
#ifndef COMMON_CONFIG_VALUE_H
#define COMMON_CONFIG_VALUE_H

#include <stdbool.h>
#include <stdint.h>

int	cfg_parse_size(const char *, uint64_t *);	/* 512, 64K, 256M, 1G */
int	cfg_parse_duration(const char *, int64_t *);	/* 500ms 30s 5m 1h */
int	cfg_parse_int(const char *, long, long, long *);
int	cfg_parse_bool(const char *, bool *);		/* on/off yes/no ... */
int	cfg_parse_enum(const char *, const char *const *);
bool	cfg_valid_name(const char *);
int	cfg_edit_distance(const char *, const char *);

#endif
