/*
 * What a new configuration changes against the running one, as lines an
 * admin reads: one per section or server added, removed or changed, and
 * a summary. Built by the master when a reload takes over.
 */
#ifndef COMMON_CONFIG_DIFF_H
#define COMMON_CONFIG_DIFF_H

#include <stddef.h>

#include "common/config.h"

struct config_diff {
	char	**lines;	/* "route api changed: upstream a -> b" */
	size_t	  nlines;
	char	 *summary;	/* "1 route changed, 1 server added", or
				   "no change" */
};

struct config_diff	*config_diff(const struct config *old,
			    const struct config *new);
void			 config_diff_free(struct config_diff *);

#endif
