/*
 * The configuration model. A struct config is one generation: built from
 * the files by config_load(), checked as a whole, then read-only. The master
 * keeps the running generation and frees the previous one after a reload.
 * Every object remembers where it was written (file:line) for messages.
 */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"
#include "common/log.h"

#define CFG_LINE_MAX		4096	/* bytes in one line, newline excluded */
#define CFG_INCLUDE_DEPTH	16
#define CFG_MAX_KEYS		48	/* keys in one section's table */
#define CFG_WORKERS_MAX		256

struct cfg_where {
	const char	*file;		/* interned in config->files */
	int		 line;
};

/* What every section object starts with. */
struct cfg_section {
	const char		*kind;	/* "listener" ... */
	char			*name;	/* NULL for [global] */
	struct cfg_where	 where;
	struct cfg_where	 seen[CFG_MAX_KEYS];	/* first use of each key */
};

struct cfg_listener {
	struct cfg_section	 sec;
	struct addr		*addrs;
	struct cfg_where	*addr_where;
	size_t			 naddrs;
	int			 backlog;
};

struct cfg_server {
	char			*spec;	/* as written, e.g. "app1:8080" */
	struct addr		 addr;
	struct cfg_where	 where;
};

struct cfg_upstream {
	struct cfg_section	 sec;
	struct cfg_server	*servers;
	size_t			 nservers;
	int			 keepalive;	/* idle conns per server, worker */
	int64_t			 keepalive_timeout_ms;
	int64_t			 connect_timeout_ms;
	int64_t			 read_timeout_ms;
	int64_t			 send_timeout_ms;
};

struct cfg_route {
	struct cfg_section	 sec;
	char			*upstream_name;
	struct cfg_where	 upstream_where;
	int			 upstream;	/* index in config->upstreams */
	char			*proxy_host;	/* Host sent upstream, or NULL */
	bool			 x_forwarded_for;
	bool			 x_forwarded_proto;
	bool			 x_forwarded_host;
	bool			 x_real_ip;
	bool			 via;
	bool			 pass_proxy_authorization;
	int64_t			 tunnel_timeout_ms;
};

struct cfg_error_page {
	int		 status;
	char		*path;
	char		*body;		/* read at load time */
	size_t		 len;
};

enum log_format { LOG_FORMAT_COMBINED, LOG_FORMAT_JSON };

struct cfg_global {
	struct cfg_section	 sec;
	int			 workers;	/* 0 = auto until checked */
	char			*user;
	char			*group;
	bool			 user_set;
	char			*pid_file;
	char			*error_log;
	char			*access_log;	/* NULL = off */
	enum log_level		 log_level;
	int64_t			 shutdown_timeout_ms;

	/* client side */
	int			 max_connections;	/* per worker */
	int64_t			 client_header_timeout_ms;
	int64_t			 client_body_timeout_ms;
	int64_t			 send_timeout_ms;
	int64_t			 keepalive_timeout_ms;
	int			 keepalive_requests;
	uint64_t		 client_max_body_size;	/* 0: no limit */
	uint32_t		 max_request_line;
	uint32_t		 max_header_size;
	uint32_t		 max_headers;
	enum log_format		 log_format;
	struct cidr		*trusted_proxies;
	size_t			 ntrusted_proxies;
	struct cfg_error_page	*error_pages;
	size_t			 nerror_pages;
};

struct config {
	char			*path;		/* main file, as given */
	bool			 opened;	/* the main file could be read */
	struct cfg_global	 global;
	struct cfg_listener	**listeners;
	size_t			 nlisteners;
	struct cfg_upstream	**upstreams;
	size_t			 nupstreams;
	struct cfg_route	**routes;
	size_t			 nroutes;

	char			**files;	/* every file read, for where */
	size_t			 nfiles;
	char			**errors;	/* "file:line: message" */
	size_t			 nerrors;
};

struct config	*config_load(const char *path);
void		 config_free(struct config *);
int		  config_upstream_index(const struct config *, const char *);
size_t		  config_nservers(const struct config *);

/* Key tables, shared by the loader, -t and the man page test. */
struct cfg_ctx;
enum cfg_set_result { CFG_OK = 0, CFG_BAD = -1, CFG_REPORTED = -2 };
typedef enum cfg_set_result cfg_set_fn(struct cfg_ctx *, void *obj,
    const char *value);

enum cfg_kind { CFG_ONE, CFG_LIST };

struct cfg_key {
	const char	*name;
	enum cfg_kind	 kind;
	cfg_set_fn	*set;
	const char	*expect;	/* shown after a bad value */
};

struct cfg_section_type {
	const char		*kind;
	bool			 named;
	const struct cfg_key	*keys;
};

extern const struct cfg_section_type cfg_section_types[];
extern const struct cfg_key cfg_anywhere_keys[];

void	cfg_error(struct cfg_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	cfg_error_at(struct config *, const struct cfg_where *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
struct cfg_where cfg_ctx_where(struct cfg_ctx *);
const char	*cfg_section_label(const struct cfg_section *, char *, size_t);

#endif
