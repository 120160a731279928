/*
 * TLS contexts. A listener groups its certificate pairs by the names they
 * cover: one SSL_CTX per name set, holding an RSA and an ECDSA
 * certificate side by side when both are given (OpenSSL then picks by the
 * client's signature algorithms). The SNI callback moves a handshake to the
 * context of the name asked for: exact names first, then wildcards; the
 * first pair's context is the default.
 *
 * Session resumption works across workers: ticket keys live in the master
 * and are inherited at fork (every worker of a generation encrypts with the
 * same key, and the key before it still decrypts after a reload), and
 * session ids go to a cache in shared memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/route.h"
#include "common/shm.h"
#include "common/tls.h"
#include "common/util.h"

#define TLS_CIPHERS_DEFAULT	"ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_CURVES_DEFAULT	"X25519:P-256:P-384"
#define TLS_SESSION_TIMEOUT	300	/* seconds, like nginx */

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
	unsigned char		*ocsp;		/* DER response, for ocsp_cert */
	X509			*ocsp_cert;	/* the first certificate */
	size_t			 ocsp_len;
};

static struct ticket_keys	 keys;		/* made by the master */
static int			 ex_server = -1;	/* SSL_CTX -> tls_server */

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

/* ---------------------------------------------------------- tickets --- */

static struct ticket_keys	saved_keys;

/* A reload that rolls back returns to the keys its workers use. */
void
tls_keys_restore(void)
{
	keys = saved_keys;
}

int
tls_keys_rotate(void)
{
	struct ticket_key	k;

	saved_keys = keys;
	if (RAND_bytes((unsigned char *)&k, sizeof(k)) != 1)
		return -1;
	if (keys.have_cur) {
		keys.prev = keys.cur;
		keys.have_prev = true;
	}
	keys.cur = k;
	keys.have_cur = true;
	return 0;
}

static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_server	*ts = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
				    ex_server);
	struct ticket_keys	*tk = ts != NULL && ts->file_keys != NULL ?
				    ts->file_keys : &keys;
	const struct ticket_key	*k;
	OSSL_PARAM		 params[3];
	int			 ret = 1;

	if (enc) {
		k = &tk->cur;
		memcpy(name, k->name, 16);
		if (RAND_bytes(iv, 16) != 1 || EVP_EncryptInit_ex(cctx,
		    EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
			return -1;
	} else {
		if (memcmp(name, tk->cur.name, 16) == 0)
			k = &tk->cur;
		else if (tk->have_prev && memcmp(name, tk->prev.name, 16) == 0) {
			k = &tk->prev;
			ret = 2;	/* good, but issue a new ticket */
		} else
			return 0;	/* unknown key: full handshake */
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1)
			return -1;
		/*
		 * TLS 1.3 clients use a ticket once (RFC 8446, C.4): without
		 * a new one after each resumption, every other connection
		 * would be a full handshake.
		 */
		if (SSL_version(ssl) >= TLS1_3_VERSION)
			ret = 2;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)k->hmac, sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return ret;
}

/* 80 bytes: name, HMAC secret, AES key (the layout nginx uses). */
static struct ticket_keys *
read_ticket_keys(struct config *cfg, struct cfg_listener *li)
{
	struct ticket_keys	*tk;
	const struct cfg_where	*w = cfg_key_where(&li->sec,
				    "tls_ticket_key_file");
	unsigned char		 b[81];
	FILE			*fp;
	size_t			 n;

	if ((fp = fopen(li->tls_ticket_key_file, "re")) == NULL) {
		cfg_error_at(cfg, w, "cannot read tls_ticket_key_file %s: %s",
		    li->tls_ticket_key_file, strerror(errno));
		return NULL;
	}
	n = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	if (n != 80) {
		cfg_error_at(cfg, w, "tls_ticket_key_file %s must hold "
		    "exactly 80 bytes (openssl rand 80 > FILE), not %s%zu",
		    li->tls_ticket_key_file, n > 80 ? "more than " : "",
		    n > 80 ? (size_t)80 : n);
		return NULL;
	}
	tk = xcalloc(1, sizeof(*tk));
	tk->have_cur = true;
	memcpy(tk->cur.name, b, 16);
	memcpy(tk->cur.hmac, b + 16, 32);
	memcpy(tk->cur.aes, b + 48, 32);
	return tk;
}

/* ---------------------------------------------------- session cache --- */

#define SCACHE_SLOTS	4096
#define SCACHE_DATA	2000		/* room for a client certificate */

struct scache_entry {
	uint8_t		 idlen;
	uint8_t		 id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	uint16_t	 len;
	int64_t		 expires;	/* wall clock seconds */
	unsigned char	 data[SCACHE_DATA];
};

struct scache {
	struct shm_hdr		hdr;
	pthread_mutex_t		lock;
	struct scache_entry	e[SCACHE_SLOTS];
};

static struct scache	*scache;
static bool		 scache_off;	/* its lock cannot be recovered */

int
tls_cache_init(void)
{
	pthread_mutexattr_t	a;

	if (scache != NULL)
		return 0;
	scache = shm_zone_create(SHM_TLS_CACHE, 1, sizeof(*scache),
	    SCACHE_SLOTS);
	if (scache == NULL)
		return -1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	/* A worker that dies holding it must not wedge the others. */
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&scache->lock, &a);
	pthread_mutexattr_destroy(&a);
	return 0;
}

/*
 * A worker that died holding the lock may have left an entry half
 * written: forget them all. 0 when locked.
 */
static int
scache_lock(void)
{
	int	r;

	if (scache_off)
		return -1;
	if ((r = pthread_mutex_lock(&scache->lock)) == EOWNERDEAD) {
		memset(scache->e, 0, sizeof(scache->e));
		pthread_mutex_consistent(&scache->lock);
		return 0;
	}
	if (r != 0) {
		scache_off = true;
		log_error("TLS session cache lock: %s; the cache is off in "
		    "this process", strerror(r));
		return -1;
	}
	return 0;
}

static struct scache_entry *
scache_slot(const unsigned char *id, unsigned len)
{
	return &scache->e[hash32(id, len) % SCACHE_SLOTS];
}

static int
scache_new(SSL *ssl, SSL_SESSION *sess)
{
	const unsigned char	*id;
	unsigned		 idlen;
	unsigned char		 buf[SCACHE_DATA], *p = buf;
	int			 len;
	struct scache_entry	*e;

	if (scache == NULL || scache_off)
		return 0;
	/* TLS 1.3 sessions resumed by ticket are never looked up here. */
	if (SSL_version(ssl) >= TLS1_3_VERSION &&
	    !(SSL_get_options(ssl) & SSL_OP_NO_TICKET))
		return 0;
	id = SSL_SESSION_get_id(sess, &idlen);
	len = i2d_SSL_SESSION(sess, NULL);
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH || len <= 0 ||
	    len > SCACHE_DATA)
		return 0;
	i2d_SSL_SESSION(sess, &p);
	e = scache_slot(id, idlen);
	if (scache_lock() == -1)
		return 0;
	e->idlen = (uint8_t)idlen;
	memcpy(e->id, id, idlen);
	e->len = (uint16_t)len;
	e->expires = (int64_t)time(NULL) + SSL_SESSION_get_timeout(sess);
	memcpy(e->data, buf, (size_t)len);
	pthread_mutex_unlock(&scache->lock);
	return 0;	/* we keep no reference */
}

static SSL_SESSION *
scache_get(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	struct scache_entry	*e;
	unsigned char		 buf[SCACHE_DATA];
	const unsigned char	*p = buf;
	int			 len = 0;

	SSL_SESSION		*sess;
	const unsigned char	*sid;
	unsigned		 sidlen;

	*copy = 0;
	if (scache == NULL || idlen <= 0 ||
	    idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return NULL;
	e = scache_slot(id, (unsigned)idlen);
	if (scache_lock() == -1)
		return NULL;
	if (e->idlen == idlen && memcmp(e->id, id, (size_t)idlen) == 0 &&
	    e->expires > (int64_t)time(NULL)) {
		len = e->len;
		memcpy(buf, e->data, (size_t)len);
	}
	pthread_mutex_unlock(&scache->lock);
	if (len <= 0 || (sess = d2i_SSL_SESSION(NULL, &p, len)) == NULL)
		return NULL;
	/* What was stored must be what was asked for. */
	sid = SSL_SESSION_get_id(sess, &sidlen);
	if (sidlen != (unsigned)idlen || memcmp(sid, id, sidlen) != 0) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

static void
scache_remove(SSL_CTX *ctx, SSL_SESSION *sess)
{
	const unsigned char	*id;
	unsigned		 idlen;
	struct scache_entry	*e;

	if (scache == NULL)
		return;
	id = SSL_SESSION_get_id(sess, &idlen);
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return;
	e = scache_slot(id, idlen);
	if (scache_lock() == -1)
		return;
	if (e->idlen == idlen && memcmp(e->id, id, idlen) == 0)
		e->idlen = 0;
	pthread_mutex_unlock(&scache->lock);
}

/* ------------------------------------------------------- callbacks --- */

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned inlen, void *arg)
{
	static const unsigned char	h1[] = "\x08http/1.1";
	unsigned char			*sel;

	if (SSL_select_next_proto(&sel, outlen, h1, sizeof(h1) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;	/* no ALPN: fine */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
sni_lookup(const struct tls_server *ts, const char *name)
{
	char		 low[256];
	size_t		 len = strlen(name);
	const char	*dot;

	if (len == 0 || len >= sizeof(low))
		return NULL;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ?
		    name[i] + 32 : name[i]);
	if (len > 1 && low[len - 1] == '.')
		low[--len] = '\0';
	for (size_t i = 0; i < ts->nnames; i++)
		if (!ts->names[i].wild && strcmp(ts->names[i].name, low) == 0)
			return ts->names[i].ctx;
	/* "*.example.com" covers one label: "a.example.com" only. */
	if ((dot = strchr(low, '.')) != NULL && dot != low)
		for (size_t i = 0; i < ts->nnames; i++)
			if (ts->names[i].wild &&
			    strcmp(ts->names[i].name, dot) == 0)
				return ts->names[i].ctx;
	return NULL;
}

static int
sni_cb(SSL *ssl, int *al, void *arg)
{
	const struct tls_server	*ts = arg;
	const char		*name;
	SSL_CTX			*ctx;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL || ts->nctxs < 2)
		return SSL_TLSEXT_ERR_OK;
	if ((ctx = sni_lookup(ts, name)) != NULL &&
	    ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, ctx);
	return SSL_TLSEXT_ERR_OK;
}

static int
ocsp_cb(SSL *ssl, void *arg)
{
	const struct tls_server	*ts = arg;
	unsigned char		*copy;

	/* Stapled for the first certificate only (not its ECDSA twin). */
	if (ts->ocsp == NULL || SSL_get_certificate(ssl) != ts->ocsp_cert)
		return SSL_TLSEXT_ERR_NOACK;
	if ((copy = OPENSSL_malloc(ts->ocsp_len)) == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	memcpy(copy, ts->ocsp, ts->ocsp_len);
	SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)ts->ocsp_len);
	return SSL_TLSEXT_ERR_OK;
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

static SSL_CTX *
server_ctx_new(struct config *cfg, struct cfg_listener *li,
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
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	SSL_CTX_set_ex_data(ctx, ex_server, ts);
	listener_sid_ctx(li, sid_ctx);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx));
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT);
	if (li->tls_session_cache) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
		    SSL_SESS_CACHE_NO_INTERNAL);
		SSL_CTX_sess_set_new_cb(ctx, scache_new);
		SSL_CTX_sess_set_get_cb(ctx, scache_get);
		SSL_CTX_sess_set_remove_cb(ctx, scache_remove);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (li->tls_session_tickets) {
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
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

/* "a.example.com *.example.com": the names a certificate is good for. */
static char *
cert_names(X509 *x)
{
	GENERAL_NAMES	*gens;
	char		*out = xstrdup(""), *n;
	char		 cn[256];

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || memchr(d, '\0', (size_t)len) != NULL)
			continue;
		n = xasprintf("%s%s%.*s", out, *out ? " " : "", len, d);
		free(out);
		out = n;
	}
	GENERAL_NAMES_free(gens);
	if (*out == '\0' && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) > 0) {
		free(out);
		out = xstrdup(cn);
	}
	for (n = out; *n != '\0'; n++)
		if (*n >= 'A' && *n <= 'Z')
			*n += 32;
	return out;
}

static void
add_sni_names(struct tls_server *ts, const char *names, SSL_CTX *ctx)
{
	char	*copy = xstrdup(names), *tok, *save = NULL;

	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		struct sni_name *s;

		ts->names = xrealloc(ts->names, ts->nnames + 1,
		    sizeof(*ts->names));
		s = &ts->names[ts->nnames++];
		s->wild = strncmp(tok, "*.", 2) == 0;
		s->name = xstrdup(s->wild ? tok + 1 : tok);
		s->ctx = ctx;
	}
	free(copy);
}

static void
check_validity(struct config *cfg, const struct cfg_cert *c, X509 *x)
{
	const ASN1_TIME	*after = X509_get0_notAfter(x);
	const ASN1_TIME	*before = X509_get0_notBefore(x);
	char		 when[64];
	BIO		*b;
	int		 n;

	if (X509_cmp_current_time(after) < 0 || X509_cmp_current_time(before) >
	    0) {
		bool expired = X509_cmp_current_time(after) < 0;

		b = BIO_new(BIO_s_mem());
		ASN1_TIME_print(b, expired ? after : before);
		n = BIO_read(b, when, sizeof(when) - 1);
		when[n > 0 ? n : 0] = '\0';
		BIO_free(b);
		cfg_warn_at(cfg, &c->cert_where, "warning: certificate %s %s %s",
		    c->cert_file, expired ? "expired on" : "is not valid "
		    "before", when);
	}
}

/* Loads one pair into the context for its names, made if needed. */
static void
load_pair(struct config *cfg, struct cfg_listener *li, struct tls_server *ts,
    const struct cfg_cert *c)
{
	X509		*x = NULL;
	FILE		*fp;
	char		*names;
	int		 type, bit;
	size_t		 i;
	SSL_CTX		*ctx;

	if ((fp = fopen(c->cert_file, "re")) == NULL) {
		cfg_error_at(cfg, &c->cert_where, "cannot read certificate %s: "
		    "%s", c->cert_file, strerror(errno));
		return;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL) {
		cfg_error_at(cfg, &c->cert_where, "no PEM certificate in %s: "
		    "%s", c->cert_file, tls_error_string());
		return;
	}
	check_validity(cfg, c, x);
	names = cert_names(x);
	type = EVP_PKEY_get_base_id(X509_get0_pubkey(x));
	bit = type == EVP_PKEY_EC ? 2 : 1;
	X509_free(x);
	for (i = 0; i < ts->nctxs; i++)
		if (strcmp(ts->ctx_names[i], names) == 0 &&
		    (ts->ctx_types[i] & bit) == 0)
			break;
	if (i == ts->nctxs) {
		if ((ctx = server_ctx_new(cfg, li, ts)) == NULL) {
			free(names);
			return;
		}
		ts->ctxs = xrealloc(ts->ctxs, ts->nctxs + 1, sizeof(SSL_CTX *));
		ts->ctx_names = xrealloc(ts->ctx_names, ts->nctxs + 1,
		    sizeof(char *));
		ts->ctx_types = xrealloc(ts->ctx_types, ts->nctxs + 1,
		    sizeof(int));
		ts->ctxs[i] = ctx;
		ts->ctx_names[i] = names;
		ts->ctx_types[i] = 0;
		ts->nctxs++;
		add_sni_names(ts, names, ctx);
	} else
		free(names);
	ctx = ts->ctxs[i];
	ts->ctx_types[i] |= bit;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1) {
		cfg_error_at(cfg, &c->cert_where, "cannot use certificate %s: "
		    "%s", c->cert_file, tls_error_string());
		return;
	}
	if (ts->ocsp_cert == NULL)
		ts->ocsp_cert = SSL_CTX_get0_certificate(ctx);
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) !=
	    1) {
		cfg_error_at(cfg, &c->key_where, "cannot use certificate_key "
		    "%s: %s", c->key_file, tls_error_string());
		return;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		cfg_error_at(cfg, &c->key_where, "certificate_key %s does not "
		    "match certificate %s", c->key_file, c->cert_file);
	}
}

/*
 * Whether the file a TLS key names can be read without hanging the
 * master: OpenSSL opens it blocking, and a FIFO (or a device) there
 * would stop -t and a reload for good. Links are followed: certificate
 * tools keep the files current through them. A file that is missing is
 * reported by whoever opens it.
 */
static bool
tls_file_ok(struct config *cfg, const struct cfg_where *w, const char *what,
    const char *path)
{
	struct stat	st;

	if (path == NULL || stat(path, &st) == -1 || S_ISREG(st.st_mode))
		return true;
	cfg_error_at(cfg, w, "cannot read %s %s: it is %s, not a regular "
	    "file", what, path, file_kind_name(st.st_mode));
	return false;
}

/* Every file of a listener's TLS keys, each reported at its line. */
static bool
listener_files_ok(struct config *cfg, struct cfg_listener *li)
{
	bool	ok = true;

	for (size_t i = 0; i < li->ncerts; i++) {
		ok &= tls_file_ok(cfg, &li->certs[i].cert_where, "certificate",
		    li->certs[i].cert_file);
		ok &= tls_file_ok(cfg, &li->certs[i].key_where,
		    "certificate_key", li->certs[i].key_file);
	}
	ok &= tls_file_ok(cfg, cfg_key_where(&li->sec, "tls_client_ca"),
	    "tls_client_ca", li->tls_client_ca);
	ok &= tls_file_ok(cfg, cfg_key_where(&li->sec, "tls_ticket_key_file"),
	    "tls_ticket_key_file", li->tls_ticket_key_file);
	ok &= tls_file_ok(cfg, cfg_key_where(&li->sec, "tls_ocsp_staple_file"),
	    "tls_ocsp_staple_file", li->tls_ocsp_staple_file);
	return ok;
}

struct tls_server *
tls_server_load(struct config *cfg, struct cfg_listener *li)
{
	struct tls_server	*ts;
	char			 label[300];

	if (ex_server == -1)
		ex_server = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	cfg_section_label(&li->sec, label, sizeof(label));
	if (li->ncerts == 0) {
		cfg_error_at(cfg, &li->sec.where, "%s has tls = on but no "
		    "certificate", label);
		return NULL;
	}
	if (!listener_files_ok(cfg, li))
		return NULL;
	ts = xcalloc(1, sizeof(*ts));
	if (li->tls_ticket_key_file != NULL)
		ts->file_keys = read_ticket_keys(cfg, li);
	for (size_t i = 0; i < li->ncerts; i++) {
		if (li->certs[i].key_file == NULL) {
			cfg_error_at(cfg, &li->certs[i].cert_where,
			    "certificate %s has no certificate_key line after "
			    "it", li->certs[i].cert_file);
			continue;
		}
		load_pair(cfg, li, ts, &li->certs[i]);
	}
	if (ts->nctxs == 0) {
		tls_server_free(ts);
		return NULL;
	}
	SSL_CTX_set_tlsext_servername_callback(ts->ctxs[0], sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ts->ctxs[0], ts);
	if (li->tls_ocsp_staple_file != NULL) {
		char	*body;
		size_t	 len;
		FILE	*fp;
		struct stat st;

		if ((fp = fopen(li->tls_ocsp_staple_file, "re")) == NULL ||
		    fstat(fileno(fp), &st) == -1 || st.st_size <= 0 ||
		    st.st_size > 64 * 1024) {
			cfg_error_at(cfg, cfg_key_where(&li->sec,
			    "tls_ocsp_staple_file"), "cannot use "
			    "tls_ocsp_staple_file %s: %s",
			    li->tls_ocsp_staple_file, fp == NULL ?
			    strerror(errno) : "not a DER file of 1 byte to "
			    "64K");
			if (fp != NULL)
				fclose(fp);
		} else {
			const unsigned char *p;
			OCSP_RESPONSE *resp;

			body = xmalloc((size_t)st.st_size);
			len = fread(body, 1, (size_t)st.st_size, fp);
			fclose(fp);
			p = (const unsigned char *)body;
			if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) ==
			    NULL) {
				cfg_error_at(cfg, cfg_key_where(&li->sec,
				    "tls_ocsp_staple_file"),
				    "tls_ocsp_staple_file %s is not a DER OCSP "
				    "response", li->tls_ocsp_staple_file);
				free(body);
			} else {
				OCSP_RESPONSE_free(resp);
				ts->ocsp = (unsigned char *)body;
				ts->ocsp_len = len;
				for (size_t i = 0; i < ts->nctxs; i++) {
					SSL_CTX_set_tlsext_status_cb(
					    ts->ctxs[i], ocsp_cb);
					SSL_CTX_set_tlsext_status_arg(
					    ts->ctxs[i], ts);
				}
			}
		}
	}
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
