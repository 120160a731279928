/*
 * The certificates of a TLS listener: one SSL_CTX per set of names, with
 * an RSA and an ECDSA pair side by side; the SNI callback that picks the
 * context by name; OCSP stapling; and the checks on certificate files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/tls.h"
#include "common/tls_int.h"
#include "common/util.h"

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
		cfg_warn_at(cfg, &c->cert_where,
		    "warning: certificate %s %s %s", c->cert_file,
		    expired ? "expired on" : "is not valid before", when);
	}
}

/* Loads one pair into the context for its names, made if needed. */
void
tls_cert_load(struct config *cfg, struct cfg_listener *li,
    struct tls_server *ts, const struct cfg_cert *c)
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
		if ((ctx = tls_server_ctx_new(cfg, li, ts)) == NULL) {
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
bool
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
bool
tls_cert_files_ok(struct config *cfg, struct cfg_listener *li)
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

/*
 * The SNI callback goes on the default context: it moves a handshake to
 * the context of the name asked for.
 */
void
tls_sni_attach(struct tls_server *ts)
{
	SSL_CTX_set_tlsext_servername_callback(ts->ctxs[0], sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ts->ctxs[0], ts);
}

/* tls_ocsp_staple_file: a DER response, stapled by every context. */
void
tls_ocsp_load(struct config *cfg, struct cfg_listener *li,
    struct tls_server *ts)
{
	char			*body;
	size_t			 len;
	FILE			*fp;
	struct stat		 st;
	const unsigned char	*p;
	OCSP_RESPONSE		*resp;

	if ((fp = fopen(li->tls_ocsp_staple_file, "re")) == NULL ||
	    fstat(fileno(fp), &st) == -1 || st.st_size <= 0 ||
	    st.st_size > 64 * 1024) {
		cfg_error_at(cfg, cfg_key_where(&li->sec,
		    "tls_ocsp_staple_file"), "cannot use tls_ocsp_staple_file "
		    "%s: %s", li->tls_ocsp_staple_file, fp == NULL ?
		    strerror(errno) : "not a DER file of 1 byte to 64K");
		if (fp != NULL)
			fclose(fp);
		return;
	}
	body = xmalloc((size_t)st.st_size);
	len = fread(body, 1, (size_t)st.st_size, fp);
	fclose(fp);
	p = (const unsigned char *)body;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL) {
		cfg_error_at(cfg, cfg_key_where(&li->sec,
		    "tls_ocsp_staple_file"), "tls_ocsp_staple_file %s is not "
		    "a DER OCSP response", li->tls_ocsp_staple_file);
		free(body);
		return;
	}
	OCSP_RESPONSE_free(resp);
	ts->ocsp = (unsigned char *)body;
	ts->ocsp_len = len;
	for (size_t i = 0; i < ts->nctxs; i++) {
		SSL_CTX_set_tlsext_status_cb(ts->ctxs[i], ocsp_cb);
		SSL_CTX_set_tlsext_status_arg(ts->ctxs[i], ts);
	}
}
