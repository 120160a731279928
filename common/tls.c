/*
 * TLS contexts of listeners (protocol and cipher settings, ALPN, the
 * session id context, client certificates) and of upstreams, built by the
 * master at load so -t reports every problem; the workers inherit them.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common/shm.h"
#include "common/tls.h"
#include "common/tls_int.h"
#include "common/util.h"

#define TLS_CIPHERS_DEFAULT	"ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_CURVES_DEFAULT	"X25519:P-256:P-384"
#define TLS_SESSION_TIMEOUT	300	/* seconds, like nginx */

int	tls_ex_server = -1;	/* SSL_CTX -> tls_server */

static struct counters_zone	*handshake_counters;	/* NULL: none */

const char *
tls_error_string(void)
{
	static char	buf[256];
	unsigned long	e = ERR_get_error(), last;

	if (e == 0)
		return "unknown error";
	/* The first error says what failed; drain the rest. */
	while ((last = ERR_get_error()) != 0)
		;
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* ------------------------------------------------------- callbacks --- */

/* The protocols a listener offers by ALPN, in wire format, ours first. */
struct alpn_list {
	const unsigned char	*protos;
	unsigned		 len;
};

static const unsigned char	alpn_h2_h1[] = "\x02h2\x08http/1.1";
static const unsigned char	alpn_h1[] = "\x08http/1.1";
static const struct alpn_list	alpn_with_h2 = {
	alpn_h2_h1, sizeof(alpn_h2_h1) - 1
};
static const struct alpn_list	alpn_without_h2 = {
	alpn_h1, sizeof(alpn_h1) - 1
};

/*
 * arg is the listener's alpn_list. Our order wins: a client offering
 * both gets h2 where the listener has http2 on.
 */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned inlen, void *arg)
{
	const struct alpn_list	*l = arg;
	unsigned char		*sel;

	if (SSL_select_next_proto(&sel, outlen, l->protos, l->len, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;	/* no ALPN: fine */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* A client handshake is done: counted as full or resumed. */
static void
info_cb(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if ((where & SSL_CB_HANDSHAKE_DONE) && handshake_counters != NULL)
		counter_add(handshake_counters, SSL_session_reused(ssl) ?
		    CNT_TLS_RESUMED : CNT_TLS_FULL, 1);
}

void
tls_count_handshakes(struct counters_zone *z)
{
	handshake_counters = z;
}

/* ------------------------------------------------------- listeners --- */

/*
 * The session id context of a listener: a session (ticket or cached) is
 * resumed only where it was made, never on a listener that asks more of
 * the client (a client certificate) or serves other certificates.
 */
static void
digest_file(EVP_MD_CTX *md, const char *path)
{
	unsigned char	buf[8192];
	size_t		n;
	FILE		*fp;

	EVP_DigestUpdate(md, path, strlen(path) + 1);
	if ((fp = fopen(path, "re")) == NULL)
		return;		/* reported where the file is loaded */
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		EVP_DigestUpdate(md, buf, n);
	fclose(fp);
}

static void
listener_sid_ctx(const struct cfg_listener *li, unsigned char out[32])
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned	 len = 32;
	char		 v[16];

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, li->sec.name, strlen(li->sec.name) + 1);
	snprintf(v, sizeof(v), "%d", (int)li->tls_verify_client);
	EVP_DigestUpdate(md, v, strlen(v) + 1);
	/* The contents, not the names: a reload with another CA must not
	 * resume sessions verified against the old one. */
	if (li->tls_client_ca != NULL)
		digest_file(md, li->tls_client_ca);
	for (size_t i = 0; i < li->ncerts; i++)
		digest_file(md, li->certs[i].cert_file);
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

SSL_CTX *
tls_server_ctx_new(struct config *cfg, struct cfg_listener *li,
    struct tls_server *ts)
{
	unsigned char			sid_ctx[32];
	SSL_CTX				*ctx;
	struct cfg_where		*w = &li->sec.where;
	bool				 first = ts->nctxs == 0;
	char				 label[300];

	cfg_section_label(&li->sec, label, sizeof(label));
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		cfg_error_at(cfg, w, "%s: cannot create a TLS context: %s",
		    label, tls_error_string());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, li->tls_min);
	SSL_CTX_set_max_proto_version(ctx, li->tls_max);
	/* A close without close_notify is an end, as a TCP close is. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
	    SSL_OP_SINGLE_ECDH_USE | SSL_OP_IGNORE_UNEXPECTED_EOF |
	    (li->tls_session_tickets ? 0 : SSL_OP_NO_TICKET));
	/* Idle keep-alive connections give their buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * One read(2) for what the client sent, not one for each record's
	 * header and one for its body; what OpenSSL then holds ahead is
	 * seen with SSL_has_pending() (worker/conn.c).
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* Settings errors: once, for the first context, at their lines. */
	if (SSL_CTX_set_cipher_list(ctx, li->tls_ciphers ? li->tls_ciphers :
	    TLS_CIPHERS_DEFAULT) != 1 && first)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "tls_ciphers"),
		    "%s: bad tls_ciphers: %s", label, tls_error_string());
	if (li->tls_ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, li->tls_ciphersuites) != 1 && first)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "tls_ciphersuites"),
		    "%s: bad tls_ciphersuites: %s", label, tls_error_string());
	if (SSL_CTX_set1_groups_list(ctx, li->tls_curves ? li->tls_curves :
	    TLS_CURVES_DEFAULT) != 1 && first)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "tls_curves"),
		    "%s: bad tls_curves: %s", label, tls_error_string());
	ERR_clear_error();
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, (void *)(li->http2 ?
	    &alpn_with_h2 : &alpn_without_h2));
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_ex_data(ctx, tls_ex_server, ts);
	listener_sid_ctx(li, sid_ctx);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx));
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT);
	if (li->tls_session_cache)
		tls_session_attach(ctx);
	else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (li->tls_session_tickets) {
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb);
		/* One ticket per handshake: each costs an encryption. */
		SSL_CTX_set_num_tickets(ctx, 1);
	} else if (!li->tls_session_cache)
		SSL_CTX_set_num_tickets(ctx, 0);
	if (li->tls_client_ca != NULL) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(ctx, li->tls_client_ca,
		    NULL) != 1 || (names = SSL_load_client_CA_file(
		    li->tls_client_ca)) == NULL) {
			if (first)
				cfg_error_at(cfg, cfg_key_where(&li->sec,
				    "tls_client_ca"), "%s: cannot load "
				    "tls_client_ca %s: %s", label,
				    li->tls_client_ca, tls_error_string());
			ERR_clear_error();
		} else
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	if (li->tls_verify_client != VERIFY_OFF)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    (li->tls_verify_client == VERIFY_ON ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	return ctx;
}

struct tls_server *
tls_server_load(struct config *cfg, struct cfg_listener *li)
{
	struct tls_server	*ts;
	char			 label[300];

	if (tls_ex_server == -1)
		tls_ex_server = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	cfg_section_label(&li->sec, label, sizeof(label));
	if (li->ncerts == 0) {
		cfg_error_at(cfg, &li->sec.where, "%s has tls = on but no "
		    "certificate", label);
		return NULL;
	}
	if (!tls_cert_files_ok(cfg, li))
		return NULL;
	ts = xcalloc(1, sizeof(*ts));
	if (li->tls_ticket_key_file != NULL)
		ts->file_keys = tls_tickets_read(cfg, li);
	for (size_t i = 0; i < li->ncerts; i++) {
		if (li->certs[i].key_file == NULL) {
			cfg_error_at(cfg, &li->certs[i].cert_where,
			    "certificate %s has no certificate_key line after "
			    "it", li->certs[i].cert_file);
			continue;
		}
		tls_cert_load(cfg, li, ts, &li->certs[i]);
	}
	if (ts->nctxs == 0) {
		tls_server_free(ts);
		return NULL;
	}
	tls_sni_attach(ts);
	if (li->tls_ocsp_staple_file != NULL)
		tls_ocsp_load(cfg, li, ts);
	return ts;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->nctxs; i++) {
		SSL_CTX_free(ts->ctxs[i]);
		free(ts->ctx_names[i]);
	}
	for (size_t i = 0; i < ts->nnames; i++)
		free(ts->names[i].name);
	free(ts->names);
	free(ts->ctxs);
	free(ts->ctx_names);
	free(ts->ctx_types);
	free(ts->file_keys);
	free(ts->ocsp);
	free(ts);
}

void *
tls_server_ctx(const struct tls_server *ts)
{
	return ts != NULL && ts->nctxs > 0 ? ts->ctxs[0] : NULL;
}

/* -------------------------------------------------------- upstreams --- */

tls_session_fn	*tls_client_session_hook;

/* A session (or TLS 1.3 ticket) from a server: the worker may keep it. */
static int
client_new_session(SSL *ssl, SSL_SESSION *sess)
{
	return tls_client_session_hook != NULL ?
	    tls_client_session_hook(ssl, sess) : 0;
}

int
tls_upstream_load(struct config *cfg, struct cfg_upstream *u)
{
	SSL_CTX		*ctx;
	char		 label[300];

	cfg_section_label(&u->sec, label, sizeof(label));
	if (!tls_file_ok(cfg, cfg_key_where(&u->sec, "tls_ca_file"),
	    "tls_ca_file", u->tls_ca_file) |
	    !tls_file_ok(cfg, &u->tls_client.cert_where, "tls_certificate",
	    u->tls_client.cert_file) |
	    !tls_file_ok(cfg, &u->tls_client.key_where, "tls_certificate_key",
	    u->tls_client.key_file))
		return -1;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		cfg_error_at(cfg, &u->sec.where, "%s: cannot create a TLS "
		    "context: %s", label, tls_error_string());
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Servers that close without close_notify end a body by close,
	 * as over plain TCP. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (u->tls_verify) {
		if (u->tls_ca_file != NULL ? SSL_CTX_load_verify_locations(ctx,
		    u->tls_ca_file, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(ctx) != 1)
			cfg_error_at(cfg, &u->sec.where, "%s: cannot load %s: "
			    "%s", label, u->tls_ca_file ? u->tls_ca_file :
			    "the system CA store", tls_error_string());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (u->tls_client.cert_file != NULL || u->tls_client.key_file != NULL) {
		if (u->tls_client.cert_file == NULL ||
		    u->tls_client.key_file == NULL)
			cfg_error_at(cfg, &u->sec.where, "%s: tls_certificate "
			    "and tls_certificate_key go together", label);
		else if (SSL_CTX_use_certificate_chain_file(ctx,
		    u->tls_client.cert_file) != 1)
			cfg_error_at(cfg, &u->tls_client.cert_where, "cannot "
			    "use tls_certificate %s: %s",
			    u->tls_client.cert_file, tls_error_string());
		else if (SSL_CTX_use_PrivateKey_file(ctx,
		    u->tls_client.key_file, SSL_FILETYPE_PEM) != 1)
			cfg_error_at(cfg, &u->tls_client.key_where, "cannot "
			    "use tls_certificate_key %s: %s",
			    u->tls_client.key_file, tls_error_string());
		else if (SSL_CTX_check_private_key(ctx) != 1) {
			ERR_clear_error();
			cfg_error_at(cfg, &u->tls_client.key_where,
			    "tls_certificate_key %s does not match "
			    "tls_certificate %s", u->tls_client.key_file,
			    u->tls_client.cert_file);
		}
	}
	/* Sessions to resume are kept per server by the workers. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, client_new_session);
	u->tls_ctx = ctx;
	return 0;
}

/*
 * A client SSL on a connected socket to a server of u: SNI and the name
 * checked against its certificate are tls_name, else the host of the
 * server line; no SNI for an address (RFC 6066).
 */
SSL *
tls_upstream_ssl(const struct cfg_upstream *u, const struct cfg_server *sv,
    int fd, const char **why)
{
	const char	*name = u->tls_name, *s = sv->spec, *e;
	char		 host[256];
	unsigned char	 a[sizeof(struct in6_addr)];
	SSL		*ssl;

	if (name == NULL) {
		/* "app1:8443" -> "app1"; "[::1]:443" -> "::1" */
		if (s[0] == '[' && (e = strchr(s, ']')) != NULL)
			snprintf(host, sizeof(host), "%.*s", (int)(e - s - 1),
			    s + 1);
		else {
			e = strrchr(s, ':');
			snprintf(host, sizeof(host), "%.*s",
			    (int)(e ? e - s : (ptrdiff_t)strlen(s)), s);
		}
		name = host;
	}
	if ((ssl = SSL_new(u->tls_ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		*why = "cannot start TLS: out of memory";
		return NULL;
	}
	SSL_set_connect_state(ssl);
	if (u->tls_sni && inet_pton(AF_INET, name, a) != 1 &&
	    inet_pton(AF_INET6, name, a) != 1)
		SSL_set_tlsext_host_name(ssl, name);
	if (u->tls_verify && SSL_set1_host(ssl, name) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		*why = "cannot set the name to verify";
		return NULL;
	}
	return ssl;
}

void
tls_upstream_free(struct cfg_upstream *u)
{
	SSL_CTX_free(u->tls_ctx);
	u->tls_ctx = NULL;
}
