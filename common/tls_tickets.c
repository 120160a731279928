/*
 * Session ticket keys. The master makes them before fork, so every worker
 * of a generation encrypts with the same key, and the key before it still
 * decrypts after a reload; a listener may read its own from a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "common/tls.h"
#include "common/tls_int.h"
#include "common/util.h"

static struct ticket_keys	keys;		/* made by the master */
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

int
tls_ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_server	*ts = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
				    tls_ex_server);
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
		else if (tk->have_prev &&
		    memcmp(name, tk->prev.name, 16) == 0) {
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
struct ticket_keys *
tls_tickets_read(struct config *cfg, struct cfg_listener *li)
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
