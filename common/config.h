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

#define CFG_LINE_MAX		4096	/* bytes of a line, without \n */
#define CFG_FILE_MAX		(64 * 1024 * 1024)	/* bytes in one file */
#define CFG_INCLUDE_DEPTH	16
#define CFG_MAX_KEYS		96	/* keys in one section's table */
#define CFG_WORKERS_MAX		256
#define CFG_RETRIES_MAX		15
#define CFG_LISTENERS_MAX	64	/* route "listener" uses a bit mask */
#define CFG_UPGRADE_MAX		32	/* route "upgrade": bits of a mask */
#define CFG_NOFILE_MAX		1073741816	/* the kernel's top nr_open */
/* http2_initial_window_size + http2_max_header_list_size, at most */
#define CFG_H2_STREAM_MAX	(64 * 1024)

struct cfg_where {
	const char	*file;		/* interned in config->files */
	int		 line;
};

/* What every section object starts with. */
struct cfg_section {
	const char		*kind;	/* "listener" ... */
	char			*name;	/* NULL for [global] */
	struct cfg_where	 where;
	struct cfg_where	 seen[CFG_MAX_KEYS];	/* keys' first uses */
	/* Each key's values as written, one a line. */
	char			*raw[CFG_MAX_KEYS];
};

/* A certificate and its key, as configured; loaded by common/tls.c. */
struct cfg_cert {
	char			*cert_file;
	char			*key_file;
	struct cfg_where	 cert_where, key_where;
};

enum cfg_verify { VERIFY_OFF, VERIFY_OPTIONAL, VERIFY_ON };

/* allow and deny, in the order written: the first rule that matches. */
struct cfg_acl_rule {
	struct cidr		 net;
	bool			 all;		/* "all": any address */
	bool			 allow;
};

struct cfg_acl {
	struct cfg_acl_rule	*rules;
	size_t			 n;
};

/*
 * Maintenance mode, as a route, an upstream or [global] sets it: what is
 * unset here comes from the next of those (worker/maintenance.c).
 */
struct cfg_maintenance {
	bool			 on;		/* route and upstream only */
	struct cidr		*allow;		/* who still gets the site */
	size_t			 nallow;
	char			*page;		/* read at load time */
	size_t			 pagelen;
	const char		*page_type;
	int64_t			 retry_after_ms;	/* 0: unset */
};

/*
 * rate_limit and limit_conn lines of a listener or a route, in the order
 * written (worker/limit.c); their buckets are in [global]
 * rate_limit_zone, under the id "KIND NAME #INDEX".
 */
#define CFG_LIMITS_MAX		8	/* lines of each key in a section */
#define CFG_CONN_LIMITS_MAX	2	/* limit_conn per=connection lines */

enum cfg_limit_kind { CFG_LIMIT_RATE, CFG_LIMIT_CONN };

struct cfg_limit {
	enum cfg_limit_kind	 kind;
	uint64_t		 interval_us;	/* rate: one request per */
	uint32_t		 quota;		/* rate: N as written, */
	uint32_t		 window_s;	/* per 1, 60 or 3600 s */
	uint32_t		 burst;		/* rate: more at once */
	uint32_t		 max;		/* conn: requests at once */
	bool			 per_connection;	/* conn: connections,
						   not requests (listener) */
	struct cfg_tpl		*key;		/* NULL: the client address */
	bool			 key_route;	/* key=$route */
	int			 status;	/* the refusal's */
	char			*id;		/* in the zone */
	char			*policy;	/* RateLimit's name */
	struct cfg_where	 where;
};

struct cfg_limits {
	struct cfg_limit	*v;
	size_t			 n;
	size_t			 nrate, nconn;
	size_t			 nconn_per_connection;
	bool			 dry_run;	/* log, refuse nothing */
};

/*
 * auth_basic and auth_basic_file of a listener or a route (config_auth.c,
 * worker/auth.c). The file is loaded by the check, once per path and
 * generation; the challenge is the WWW-Authenticate line, realm escaped.
 */
struct htpasswd;

struct cfg_auth {
	char			*realm;		/* as written; NULL: not set */
	bool			 off;		/* "auth_basic = off" */
	char			*file;
	struct htpasswd		*users;		/* config->htpasswds owns it */
	char			*challenge;	/* WWW-Authenticate line */
	size_t			 challenge_len;
};

struct cfg_listener {
	struct cfg_section	 sec;
	struct addr		*addrs;
	struct cfg_where	*addr_where;
	size_t			 naddrs;
	bool			 addr_refused;	/* an address was an error */
	int			 backlog;

	/* TLS */
	bool			 tls;
	struct cfg_cert		*certs;
	size_t			 ncerts;
	int			 tls_min, tls_max;	/* TLS1_2_VERSION ... */
	char			*tls_ciphers;
	char			*tls_ciphersuites;
	char			*tls_curves;
	bool			 tls_session_tickets;
	bool			 tls_session_cache;
	char			*tls_ticket_key_file;
	char			*tls_ocsp_staple_file;
	char			*tls_client_ca;
	enum cfg_verify		 tls_verify_client;
	bool			 redirect_to_https;
	char			*hsts;
	struct cfg_acl		 acl;		/* allow, deny */
	char			*real_ip_header;	/* NULL: [global]'s */
	/*
	 * HTTP/2 (worker/h2.c): by ALPN on TLS, by prior knowledge on
	 * plain HTTP; unset, it is tls's value once the section is read.
	 */
	bool			 http2;
	/* PROXY protocol from a load balancer in front (worker/conn.c) */
	bool			 proxy_protocol;
	struct cidr		*proxy_protocol_from;
	size_t			 nproxy_protocol_from;
	struct cfg_limits	 limits;	/* rate_limit, limit_conn */
	struct cfg_auth		 auth;		/* routes that set none */
	struct tls_server	*tls_server;	/* by tls_listener_load() */

	/* Response fields, for every route on this listener. */
	struct cfg_header_op	*set_resp, *remove_resp;
	size_t			 nset_resp, nremove_resp;
	int			 security_headers;	/* -1: not set here */
	struct cfg_header_op	*hsts_op;	/* hsts, as a set line */
	struct cfg_resp_fields	*fields;	/* [1 + nroutes]: no route,
						   then each route */
};

struct cfg_server {
	char			*spec;	/* HOST:PORT as written */
	struct addr		 addr;	/* resolved at load time */
	struct cfg_where	 where;
	int			 weight;	/* 1..1000, default 1 */
	int			 max_conns;	/* all workers; 0 = no limit */
	bool			 backup;	/* when every primary is down */
	bool			 down;		/* out of service */
	bool			 drain;		/* no new requests */
	int			 proxy_protocol;	/* 0, or the PROXY
						   protocol version sent */
};

enum cfg_balance {
	BALANCE_ROUND_ROBIN,	/* smooth weighted, per worker */
	BALANCE_LEAST_CONN,	/* active / weight, shared by all workers */
	BALANCE_IP_HASH,	/* consistent hash of the client address */
	BALANCE_HASH,		/* consistent hash of the "hash" key */
	BALANCE_RANDOM		/* two random choices, the less loaded */
};

/* What a hash key or a $variable in a template stands for. */
enum cfg_var {
	VAR_NONE,
	VAR_URI,		/* normalized path, no query, before
				   rewriting */
	VAR_REQUEST_URI,	/* target as the client sent it */
	VAR_ARGS,		/* query string, no '?' */
	VAR_HOST,		/* Host without port, lower case */
	VAR_AUTHORITY,		/* the host as forwarded: name[:port] */
	VAR_REMOTE_ADDR,
	VAR_SCHEME,
	VAR_SERVER_PORT,
	VAR_HTTP,		/* $http_NAME: a request header */
	VAR_COOKIE,		/* $cookie_NAME */
	VAR_CAPTURE,		/* $1..$9, rewrite replacement only */
	VAR_SSL_CLIENT_S_DN,	/* client certificate subject, RFC 2253 */
	VAR_SSL_PROTOCOL,
	VAR_SSL_CIPHER,
	VAR_REMOTE_USER		/* who auth_basic let in */
};

/* One point of a consistent hash ring. */
struct cfg_ring_point {
	uint32_t		 hash;
	uint32_t		 server;	/* index in servers */
};

enum cfg_check_kind { CHECK_OFF, CHECK_HTTP, CHECK_TCP };

struct cfg_upstream {
	struct cfg_section	 sec;
	struct cfg_server	*servers;
	size_t			 nservers;
	int			 keepalive;	/* idle, per server */
	int64_t			 keepalive_timeout_ms;
	int64_t			 connect_timeout_ms;
	int64_t			 header_timeout_ms;	/* request sent to
							   response head */
	int64_t			 read_timeout_ms;
	int64_t			 send_timeout_ms;

	enum cfg_balance	 balance;
	bool			 balance_set;
	enum cfg_var		 hash_var;	/* BALANCE_HASH key */
	char			*hash_name;	/* header or cookie name */
	struct cfg_where	 hash_where;
	struct cfg_ring_point	*ring;		/* hash balancers, sorted */
	size_t			 nring;
	int			 retries;	/* others after a failure */
	int64_t			 retry_timeout_ms;	/* 0: no limit */

	/* Active checks, by the health checker process. */
	enum cfg_check_kind	 check;
	char			*check_method;	/* "GET" or "HEAD" */
	char			*check_path;
	char			*check_host;	/* Host header; NULL: server */
	int			 expect_lo, expect_hi;	/* status range */
	char			*expect_body;	/* substring, or NULL */
	int64_t			 check_interval_ms;
	int64_t			 check_timeout_ms;
	int			 rise, fall;

	/* Passive checks, by the workers. */
	int			 max_fails;	/* 0: off */
	int64_t			 fail_timeout_ms;
	int64_t			 slow_start_ms;	/* 0: off */
	bool			 has_backup;
	size_t			 slot0;		/* health slot of servers[0] */

	/* TLS to the servers */
	bool			 tls;
	bool			 tls_verify;
	char			*tls_ca_file;
	char			*tls_name;	/* NULL: the server's host */
	bool			 tls_sni;
	struct cfg_cert		 tls_client;	/* files may be NULL */
	struct cfg_where	 tls_where;
	void			*tls_ctx;	/* SSL_CTX */

	struct cfg_maintenance	 maint;
};

enum cfg_path_kind { PATH_ANY, PATH_PREFIX, PATH_EXACT, PATH_REGEX };

enum cfg_action { ACTION_PROXY, ACTION_REDIRECT, ACTION_RETURN, ACTION_METRICS,
    ACTION_STATUS };

/* A template with $variables, split at load time. */
struct cfg_tpl_part {
	enum cfg_var		 var;		/* VAR_NONE: literal text */
	char			*text;		/* literal, or a field's name */
	size_t			 len;
	int			 capture;	/* VAR_CAPTURE: 0..9 */
};

struct cfg_tpl {
	struct cfg_tpl_part	*parts;
	size_t			 nparts;
};

struct cfg_header_op {
	char			*name;
	size_t			 namelen;
	struct cfg_tpl		 value;		/* set only */
};

/* deny_path: a prefix of the normalized path. */
struct cfg_deny_path {
	char			*prefix;
	size_t			 len;
	bool			 icase;
};

/* deny_header: a field whose value matches. */
struct cfg_deny_header {
	char			*name;
	size_t			 namelen;
	void			*re;		/* pcre2_code */
};

/* cache_valid: freshness for statuses, when the response gives none. */
struct cfg_cache_valid {
	int			 status;	/* 0: any */
	int64_t			 ttl_ms;
};

#define CFG_CC_TARGETS_MAX	4

struct cfg_route {
	struct cfg_section	 sec;
	char			*upstream_name;
	struct cfg_where	 upstream_where;
	int			 upstream;	/* index in config->upstreams */
	char			*proxy_host;	/* Host upstream, or NULL */
	bool			 x_forwarded_for;
	bool			 x_forwarded_proto;
	bool			 x_forwarded_host;
	bool			 x_real_ip;
	bool			 via;
	bool			 pass_proxy_authorization;
	int64_t			 tunnel_timeout_ms;

	/* Who may come in, and what is refused (worker/access.c) */
	struct cfg_acl		 acl;		/* allow, deny */
	struct cfg_deny_path	*deny_paths;
	size_t			 ndeny_paths;
	uint32_t		 deny_methods;	/* 1 << enum http_method */
	char			**deny_method_names;	/* others, as written */
	size_t			 ndeny_method_names;
	struct cfg_deny_header	*deny_headers;
	size_t			 ndeny_headers;
	void			*deny_query_re;	/* pcre2_code */
	int			 deny_status;	/* 403 unless set */
	uint64_t		 client_max_body_size;	/* UINT64_MAX: the
							   global one */
	struct cfg_maintenance	 maint;
	struct cfg_limits	 limits;	/* rate_limit, limit_conn */
	struct cfg_auth		 auth;		/* unset: the listener's */

	/* forward_auth (worker/forward_auth.c): a subrequest first */
	char			*fa_upstream_name;
	int			 fa_upstream;	/* index, -1: none */
	bool			 fa_tls;	/* https:// */
	char			*fa_path;	/* its path and query */
	char			**fa_req_headers;	/* sent to it */
	size_t			 nfa_req_headers;
	char			**fa_resp_headers;	/* copied upstream */
	size_t			 nfa_resp_headers;
	char			**upgrade;	/* may open a tunnel; lower
						   case */
	size_t			 nupgrade;	/* <= CFG_UPGRADE_MAX */

	/* Matching */
	char			**hosts;	/* lower case; "*.x" too */
	size_t			 nhosts;
	enum cfg_path_kind	 path_kind;
	char			*path;		/* as written, without = or ~ */
	void			*path_re;	/* pcre2_code */
	struct cfg_where	 path_where;
	uint32_t		 methods;	/* 1 << http_method, 0 any */
	char			**method_names;	/* other methods, as written */
	size_t			 nmethod_names;
	char			**listener_names;
	size_t			 nlistener_names;
	uint64_t		 listeners;	/* a bit per listener, 0 any */

	/* Actions */
	enum cfg_action		 action;
	int			 nactions;	/* upstream, redirect, return */
	struct cfg_where	 action_where;
	struct cfg_where	 listener_where;
	int			 status;	/* redirect / return */
	struct cfg_tpl		 location;	/* redirect */
	char			*body;		/* return */
	size_t			 bodylen;
	const char		*body_type;	/* Content-Type of body */
	char			*strip_prefix;
	char			*add_prefix;
	void			*rewrite_re;	/* pcre2_code */
	struct cfg_tpl		 rewrite_to;
	struct cfg_header_op	*set_req, *set_resp;
	size_t			 nset_req, nset_resp;
	struct cfg_header_op	*remove_req, *remove_resp;
	size_t			 nremove_req, nremove_resp;
	bool			 rewrite_location;
	int			 security_headers;	/* -1: not set here */

	/* Compression of responses */
	bool			 compress_gzip, compress_br;
	char			**compress_types;	/* lower case */
	size_t			 ncompress_types;
	bool			 compress_types_set;
	uint64_t		 compress_min_length;
	int			 gzip_level;		/* 1..9 */
	int			 brotli_quality;	/* 0..11 */

	/* Cache */
	bool			 cache;
	struct cfg_tpl		 cache_key;	/* parts 0: the default */
	bool			 cache_head;	/* HEAD looks up too */
	struct cfg_tpl		*cache_bypass;
	size_t			 ncache_bypass;
	struct cfg_cache_valid	*cache_valid;
	size_t			 ncache_valid;
	bool			 cache_use_stale;
	/* Targeted cache-control fields (RFC 9213), lower case, in order;
	 * unset: CDN-Cache-Control; "none" sets none. */
	char			 cc_targets[CFG_CC_TARGETS_MAX][48];
	int			 ncc_targets;
	bool			 cc_targets_set;
	struct cidr		*cache_purge_from;
	size_t			 ncache_purge_from;
};

/*
 * The response fields of one listener and route (or no route), merged at
 * load time from [global], the listener and the route (config_fields.c):
 * what every response there carries, frontd's own answers included. The
 * ops belong to their sections; these arrays only point at them.
 */
#define CFG_PRESET_MAX		4	/* security_headers lines */

struct cfg_resp_fields {
	const struct cfg_header_op **set;	/* in order; each replaces the
						   upstream's field */
	size_t			 nset;
	const struct cfg_header_op **strip;	/* upstream fields that go:
						   the removed, then the set */
	size_t			 nstrip;
	size_t			 nremove;	/* strip[0..nremove): removed */
	const struct cfg_header_op **preset;	/* sent unless the upstream
						   sent the field */
	size_t			 npreset;
	char			*lines;		/* the set lines, rendered,
						   if no value has variables */
	size_t			 lineslen;
	bool			 vars;		/* a set value has a variable */
	bool			 sts;		/* a line is Strict-Transport-
						   Security */
	bool			 server;	/* "Server: frontd" on frontd's
						   own answers */
};

struct cfg_error_page {
	int		 status;
	char		*path;
	char		*body;		/* read at load time */
	size_t		 len;
};

enum log_format { LOG_FORMAT_COMBINED, LOG_FORMAT_JSON, LOG_FORMAT_CUSTOM };

/* The variables of a custom log_format (common/logfmt.c has the names). */
enum log_var {
	LOGVAR_TEXT,			/* literal text */
	LOGVAR_REMOTE_ADDR,
	LOGVAR_TIME_LOCAL,		/* 10/Oct/2000:13:55:36 -0700 */
	LOGVAR_TIME_ISO8601,
	LOGVAR_MSEC,			/* seconds since the epoch, .ms */
	LOGVAR_REQUEST,			/* "GET /x HTTP/1.1" */
	LOGVAR_REQUEST_METHOD,
	LOGVAR_REQUEST_URI,
	LOGVAR_SERVER_PROTOCOL,
	LOGVAR_STATUS,
	LOGVAR_BYTES_SENT,		/* to the client, heads included */
	LOGVAR_HTTP_REFERER,
	LOGVAR_HTTP_USER_AGENT,
	LOGVAR_REQUEST_TIME,
	LOGVAR_UPSTREAM_ADDR,
	LOGVAR_UPSTREAM_STATUS,
	LOGVAR_UPSTREAM_RESPONSE_TIME,
	LOGVAR_CACHE_STATUS,
	LOGVAR_HOST,
	LOGVAR_SCHEME,
	LOGVAR_SSL_PROTOCOL,
	LOGVAR_CONNECTION,		/* the conn=ID of the error log */
	LOGVAR_PID,
	LOGVAR_REMOTE_USER,		/* auth_basic's, or - */
	LOGVAR_COUNT
};

/* A custom log_format, compiled once at load time. */
struct cfg_logfmt_part {
	enum log_var		 var;
	char			*text;		/* LOGVAR_TEXT */
	size_t			 len;
};

struct cfg_logfmt {
	struct cfg_logfmt_part	*parts;
	size_t			 nparts;
};

struct cfg_global {
	struct cfg_section	 sec;
	int			 workers;	/* 0 = auto until checked */
	char			*user;
	char			*group;
	bool			 user_set;
	char			*pid_file;
	char			*error_log;
	char			*access_log;	/* NULL = off */
	char			*syslog_socket;	/* "syslog" logs go there */
	char			*control_socket;	/* NULL: off */
	bool			 control_socket_set;
	int			 control_socket_mode;
	char			*control_socket_group;	/* NULL: root's */
	enum log_level		 log_level;
	int64_t			 shutdown_timeout_ms;

	/* client side */
	int			 max_connections;	/* per worker */
	uint64_t		 worker_rlimit_nofile;	/* 0: automatic */
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
	struct cfg_logfmt	 log_custom;	/* LOG_FORMAT_CUSTOM */
	struct cidr		*trusted_proxies;
	size_t			 ntrusted_proxies;
	char			*real_ip_header;	/* NULL: none */
	struct cfg_error_page	*error_pages;
	size_t			 nerror_pages;

	/*
	 * HTTP/2 on client connections (worker/h2.c). A stream's head and
	 * its unread body share one buffer: h2_window + h2_max_header_list
	 * <= CFG_H2_STREAM_MAX, checked at load.
	 */
	uint32_t		 h2_max_streams;	/* open at once */
	uint32_t		 h2_max_header_list;	/* bytes, decoded,
						   RFC 9113 6.5.2 */
	uint32_t		 h2_window;	/* a stream's receive window */
	int64_t			 h2_idle_timeout_ms;	/* no open stream;
						   keepalive_timeout's
						   unless set */
	uint32_t		 h2_max_resets;	/* RST_STREAM per second */
	uint32_t		 h2_max_continuations;	/* in a header
							   block */

	/* Shared response cache: 0 bytes is none. */
	uint64_t		 cache_size;
	char			*cache_file;
	uint64_t		 cache_max_object_size;
	int64_t			 cache_lock_timeout_ms;

	/* Shared rate and connection limits: UINT64_MAX until checked. */
	uint64_t		 rate_limit_zone;

	bool			 sandbox;	/* seccomp + landlock */
	struct cfg_maintenance	 maint;		/* allow, page, retry after */

	/* Response fields, for every listener and route. */
	struct cfg_header_op	*set_resp, *remove_resp;
	size_t			 nset_resp, nremove_resp;
	int			 security_headers;	/* -1: not set */
	bool			 server_tokens;
};

struct config {
	char			*path;		/* main file, as given */
	bool			 opened;	/* the main file was read */
	struct cfg_global	 global;
	struct cfg_listener	**listeners;
	size_t			 nlisteners;
	struct cfg_upstream	**upstreams;
	size_t			 nupstreams;
	struct cfg_route	**routes;
	size_t			 nroutes;

	struct router		*router;	/* built after the checks */
	struct htpasswd		**htpasswds;	/* auth_basic_file, loaded */
	size_t			 nhtpasswds;
	/* The RLIMIT_NOFILE the master gives workers; 0: theirs. */
	uint64_t		 worker_nofile;
	struct cfg_header_op	*preset;	/* security_headers lines,
						   CFG_PRESET_MAX of them */

	char			**files;	/* every file read, for where */
	size_t			 nfiles;
	char			**errors;	/* "file:line: message" */
	size_t			 nerrors;
	char			**warnings;	/* "file:line: warning: ..." */
	size_t			 nwarnings;
};

struct router;
struct tls_server;
struct config	*config_load(const char *path);
void		 config_free(struct config *);
int		  config_upstream_index(const struct config *, const char *);
size_t		  config_nservers(const struct config *);

void	cfg_error_at(struct config *, const struct cfg_where *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
void	cfg_warn_at(struct config *, const struct cfg_where *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
const struct cfg_where *cfg_key_where(const struct cfg_section *,
	    const char *key);
const char	*cfg_section_label(const struct cfg_section *, char *, size_t);

#endif
