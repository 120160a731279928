/*
 * TLS with OpenSSL: the contexts of TLS listeners (certificates chosen by
 * SNI, protocol and cipher settings, session tickets whose keys the master
 * makes before fork, a session cache in shared memory for all workers) and
 * of upstreams spoken to over TLS. Built by the master when it loads a
 * configuration, so frontd -t reports every problem with file:line and the
 * workers inherit ready contexts.
 */
#ifndef COMMON_TLS_H
#define COMMON_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

struct tls_server;
struct ssl_st;
struct ssl_session_st;

/* Both report into cfg->errors / cfg->warnings. */
struct tls_server *tls_server_load(struct config *, struct cfg_listener *);
void		 tls_server_free(struct tls_server *);
void		*tls_server_ctx(const struct tls_server *);	/* SSL_CTX */
int		 tls_upstream_load(struct config *, struct cfg_upstream *);
void		 tls_upstream_free(struct cfg_upstream *);
/*
 * Called with each new session of an upstream connection; returns 1 if it
 * keeps the reference. Workers set it to resume sessions per server.
 */
typedef int tls_session_fn(struct ssl_st *, struct ssl_session_st *);
extern tls_session_fn	*tls_client_session_hook;

/* A client SSL (as SSL *) on fd for server sv of u, or NULL and *why. */
struct ssl_st	*tls_upstream_ssl(const struct cfg_upstream *,
		    const struct cfg_server *, int fd, const char **why);

/* Master: new ticket keys (the current one kept to decrypt), at start and
 * on every reload, before the workers fork. */
int		 tls_keys_rotate(void);
void		 tls_keys_restore(void);
/* Master: the shared session cache, once at start. */
int		 tls_cache_init(void);

/* Worker: count client handshakes (full, resumed) in these counters. */
struct counters_zone;
void		 tls_count_handshakes(struct counters_zone *);

/* The last OpenSSL error as text, the queue cleared. */
const char	*tls_error_string(void);

#endif
