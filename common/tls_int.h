/*
 * What the files of TLS (tls.c, tls_tickets.c, tls_session.c, tls_cert.c)
 * share, and nothing else includes: the listener's contexts and names, the
 * ticket keys, and the hooks each piece puts on a listener's context.
 */
#ifndef COMMON_TLS_INT_H
#define COMMON_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/config.h"
#include "common/tls.h"

struct ticket_key {
	unsigned char	name[16];
	unsigned char	hmac[32];
	unsigned char	aes[32];
};

struct ticket_keys {
	struct ticket_key	cur, prev;
	bool			have_cur, have_prev;
};

struct sni_name {
	char		*name;		/* lower case; "*.x" stored as ".x" */
	bool		 wild;
	SSL_CTX		*ctx;
};

struct tls_server {
	SSL_CTX			**ctxs;		/* [0] is the default */
	char			**ctx_names;	/* joined names, for grouping */
	int			*ctx_types;	/* key types held, bit mask */
	size_t			 nctxs;
	struct sni_name		*names;
	size_t			 nnames;
	struct ticket_keys	*file_keys;	/* tls_ticket_key_file */
	unsigned char		*ocsp;		/* DER response for ocsp_cert */
	X509			*ocsp_cert;	/* the first certificate */
	size_t			 ocsp_len;
};

/* tls.c: SSL_CTX -> its struct tls_server, as ex data. */
extern int	 tls_ex_server;
/* A new context of a listener, with its settings, or NULL (reported). */
SSL_CTX		*tls_server_ctx_new(struct config *, struct cfg_listener *,
		    struct tls_server *);

/* tls_tickets.c */
int		 tls_ticket_cb(SSL *, unsigned char name[16], unsigned char *iv,
		    EVP_CIPHER_CTX *, EVP_MAC_CTX *, int enc);
struct ticket_keys *tls_tickets_read(struct config *, struct cfg_listener *);

/* tls_session.c: the shared cache serves the sessions of ctx. */
void		 tls_session_attach(SSL_CTX *ctx);

/* tls_cert.c */
bool		 tls_file_ok(struct config *, const struct cfg_where *,
		    const char *what, const char *path);
bool		 tls_cert_files_ok(struct config *, struct cfg_listener *);
void		 tls_cert_load(struct config *, struct cfg_listener *,
		    struct tls_server *, const struct cfg_cert *);
void		 tls_sni_attach(struct tls_server *);
void		 tls_ocsp_load(struct config *, struct cfg_listener *,
		    struct tls_server *);

#endif
