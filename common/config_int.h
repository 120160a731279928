/*
 * What the loader (config.c) and the section files (config_global.c, ...)
 * share, and nothing else includes: the key row, the typed setters, the
 * helpers a section's own setters use, and each section's entry points.
 */
#ifndef COMMON_CONFIG_INT_H
#define COMMON_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct cfg_ctx;

/*
 * A setter's answer: CFG_BAD for the generic "bad KEY "VALUE" in [SECTION]
 * (expected ...)" message, CFG_REPORTED when it said something more
 * precise itself.
 */
enum cfg_set_result { CFG_OK = 0, CFG_BAD = -1, CFG_REPORTED = -2 };
typedef enum cfg_set_result cfg_set_fn(struct cfg_ctx *, void *obj,
    const char *value);

enum cfg_kind { CFG_ONE, CFG_LIST };

/*
 * How a row's value is parsed and stored. A typed row names a field of its
 * section by offset and size; the bounds apply to numbers, durations (in
 * ms) and sizes (in bytes), and a max of 0 is no upper bound for the last
 * two. Anything else has a setter of its own (CFG_T_FN).
 */
enum cfg_type {
	CFG_T_FN,		/* set(): a setter of its own */
	CFG_T_BOOL,		/* bool: on or off */
	CFG_T_INT,		/* int or uint32_t: min..max */
	CFG_T_DURATION,		/* int64_t ms: min..max */
	CFG_T_SIZE,		/* uint32_t or uint64_t bytes: min..max */
	CFG_T_ENUM,		/* an enum: the index of its name */
	CFG_T_STR,		/* char *: any text but empty */
	CFG_T_PATH		/* char *: an absolute path */
};

struct cfg_key {
	const char		*name;
	enum cfg_kind		 kind;
	enum cfg_type		 type;
	size_t			 off, size;	/* the field it sets */
	cfg_set_fn		*set;		/* CFG_T_FN */
	const char		*expect;	/* shown after a bad value */
	int64_t			 min, max;
	const char *const	*names;		/* CFG_T_ENUM */
};

/* The offset and size of a field, for a typed row: CFG_FIELD(T, f). */
#define CFG_FIELD(type, field)						\
	offsetof(type, field), sizeof(((type *)0)->field)

struct cfg_section_type {
	const char		*kind;
	bool			 named;
	const struct cfg_key	*keys;
};

extern const struct cfg_section_type cfg_section_types[];
extern const struct cfg_key cfg_anywhere_keys[];

/* Messages while loading: at the line being read. */
void	cfg_error(struct cfg_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
struct cfg_where cfg_ctx_where(struct cfg_ctx *);

/*
 * Typed rows; and what more than one section's setters use. In
 * config_set.c.
 */
enum cfg_set_result cfg_set_field(const struct cfg_key *, void *,
	    const char *);
enum cfg_set_result cfg_set_str(char **, const char *);
enum cfg_set_result cfg_set_inherited_flag(int *, const char *);
enum cfg_set_result cfg_set_cidrs(const char *, struct cidr **, size_t *);
enum cfg_set_result cfg_set_acl(const char *, struct cfg_acl *, bool);
enum cfg_set_result cfg_set_field_name(char **, const char *);
enum cfg_set_result cfg_set_maint_page(struct cfg_ctx *,
	    struct cfg_maintenance *, const char *);
void	cfg_maint_free(struct cfg_maintenance *);
bool	cfg_token(const char *, size_t);
int	cfg_read_file(struct cfg_ctx *, const char *, const char *, char **,
	    size_t *);
bool	cfg_valid_host(const char *);
enum cfg_set_result cfg_set_tpl(struct cfg_ctx *, struct cfg_tpl *,
	    const char *, bool, const char *);
void	*cfg_regex_compile(struct cfg_ctx *, const char *, bool,
	    const char *);
void	cfg_free_strings(char **, size_t);

#define RATE_LIMIT	"a rate such as 50r/s or 600r/m, then burst=N, " \
			"key=TEMPLATE, status=CODE, name=NAME"
#define LIMIT_CONN	"a number of requests at once, then key=TEMPLATE, " \
			"status=CODE"

/* rate_limit and limit_conn, in any section that has them (config_limit.c). */
enum cfg_set_result cfg_set_rate_limit(struct cfg_ctx *,
	    const struct cfg_section *, struct cfg_limits *, const char *);
enum cfg_set_result cfg_set_limit_conn(struct cfg_ctx *,
	    const struct cfg_section *, struct cfg_limits *, const char *);
enum cfg_set_result cfg_set_rate_limit_zone(struct cfg_ctx *, void *,
	    const char *);
void	cfg_limits_free(struct cfg_limits *);
void	cfg_limits_check(struct config *);

/*
 * Response and request fields (config_route.c), and the merge of the
 * response fields of [global], listeners and routes (config_fields.c).
 */
enum cfg_set_result cfg_header_op_add(struct cfg_ctx *,
	    struct cfg_header_op **, size_t *, const char *, bool);
void	cfg_header_ops_free(struct cfg_header_op *, size_t);
void	cfg_fields_build(struct config *);
void	cfg_fields_free(struct cfg_listener *, size_t);
void	cfg_fields_preset_free(struct config *);

/*
 * Each section's file: its key table, its defaults (init), its second
 * pass over all sections of its kind (check), and freeing one.
 */
extern const struct cfg_key cfg_global_keys[];
void	cfg_global_init(struct cfg_global *);
void	cfg_global_check(struct config *);
void	cfg_global_free(struct cfg_global *);

extern const struct cfg_key cfg_listener_keys[];
void	cfg_listener_init(struct cfg_listener *);
void	cfg_listener_check(struct config *);
void	cfg_listener_free(struct cfg_listener *);

extern const struct cfg_key cfg_upstream_keys[];
void	cfg_upstream_init(struct cfg_upstream *);
void	cfg_upstream_check(struct config *);
void	cfg_upstream_check_used(struct config *);
void	cfg_upstream_free(struct cfg_upstream *);

extern const struct cfg_key cfg_route_keys[];
void	cfg_route_init(struct cfg_route *);
void	cfg_route_check(struct config *);
void	cfg_route_free(struct cfg_route *);

/* Basic authentication of listeners and routes (config_auth.c). */
enum cfg_set_result cfg_set_auth_basic(struct cfg_auth *, const char *);
void	cfg_auth_check(struct config *);
void	cfg_auth_free(struct cfg_auth *);


/* config_route_access.c and config_route_cache.c: route key setters. */
enum cfg_set_result cfg_route_forward_auth(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_forward_auth_request_headers(struct cfg_ctx *,
	    void *, const char *);
enum cfg_set_result cfg_route_forward_auth_response_headers(struct cfg_ctx *,
	    void *, const char *);
enum cfg_set_result cfg_route_allow(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_deny(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_deny_path(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_deny_method(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_deny_header(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_deny_query(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_maintenance_allow(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_maintenance_page(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_key(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_methods(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_control_targets(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_bypass(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_valid(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_route_cache_purge_from(struct cfg_ctx *, void *,
	    const char *);
enum cfg_set_result cfg_method_list(const char *, uint32_t *, char ***,
	    size_t *);

#endif
