/*
 * Templates with $variables (redirect targets, header values, rewrite
 * replacements) and the variable names themselves, parsed once at load
 * time into literal and variable parts; the worker expands them.
 */
#ifndef COMMON_TPL_H
#define COMMON_TPL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/*
 * Parses "$name", "${name}" or "$1" at s (which points at '$'); returns
 * the bytes used, 0 if it is not a known variable. captures: $1..$9 too.
 */
size_t	tpl_var_parse(const char *s, bool captures, struct cfg_tpl_part *);
int	tpl_parse(struct cfg_tpl *, const char *s, bool captures, char *err,
	    size_t errlen);
void	tpl_free(struct cfg_tpl *);
bool	tpl_is_literal(const struct cfg_tpl *);

#endif
