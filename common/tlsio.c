/*
 * TLS I/O for workers and the health checker. A head and the first body
 * bytes are coalesced into one record (as one writev does for plain
 * sockets), so a small response costs one encryption and one packet. With
 * partial writes and a moving write buffer, a write retried after EAGAIN
 * may use the scratch copy again: its bytes are the same.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/tlsio.h"

#define TLS_RECORD	16384

/*
 * The result of SSL_read/SSL_write as for a socket: bytes, -2 to wait.
 * For a read, a close (with close_notify or, errno 0, without) is 0.
 */
static ssize_t
result(SSL *ssl, int n, bool reading)
{
	if (n > 0)
		return n;
	switch (SSL_get_error(ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -2;
	case SSL_ERROR_ZERO_RETURN:
		return reading ? 0 : -1;
	case SSL_ERROR_SYSCALL:
		return reading && errno == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * SSL_get_error() needs the thread's error queue empty before the call:
 * emptied only when it is not, which is after a failure (clearing all of
 * its slots each time cost more than the check).
 */
static void
err_clear(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

ssize_t
tlsio_read(SSL *ssl, void *p, size_t len)
{
	err_clear();
	return result(ssl, SSL_read(ssl, p, len > INT32_MAX ? INT32_MAX :
	    (int)len), true);
}

ssize_t
tlsio_write2(SSL *ssl, const void *a, size_t alen, const void *b, size_t blen)
{
	static unsigned char	 scratch[TLS_RECORD];
	const void		*p = a;
	size_t			 len = alen;

	if (alen == 0) {
		p = b;
		len = blen;
	} else if (blen > 0 && alen < TLS_RECORD) {
		/* Head and body in one record, as far as one holds. */
		size_t take = blen < TLS_RECORD - alen ? blen :
		    TLS_RECORD - alen;

		memcpy(scratch, a, alen);
		memcpy(scratch + alen, b, take);
		p = scratch;
		len = alen + take;
	}
	if (len == 0)
		return 0;
	err_clear();
	return result(ssl, SSL_write(ssl, p, len > INT32_MAX ? INT32_MAX :
	    (int)len), false);
}

void
tlsio_close(SSL *ssl)
{
	ERR_clear_error();
	/* Once: a second call would wait for the peer's close_notify. */
	if (SSL_is_init_finished(ssl) &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		(void)SSL_shutdown(ssl);
	ERR_clear_error();
}

const char *
tlsio_error(SSL *ssl, int rc)
{
	static char	buf[200];
	unsigned long	e;
	long		vr;

	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_SYSCALL:
		return errno != 0 ? strerror(errno) : "connection closed";
	case SSL_ERROR_SSL:
		vr = SSL_get_verify_result(ssl);
		e = ERR_peek_error();
		if (vr != X509_V_OK && ERR_GET_REASON(e) ==
		    SSL_R_CERTIFICATE_VERIFY_FAILED) {
			snprintf(buf, sizeof(buf), "certificate verify failed "
			    "(%s)", X509_verify_cert_error_string(vr));
			ERR_clear_error();
			return buf;
		}
		if (e != 0) {
			ERR_error_string_n(e, buf, sizeof(buf));
			ERR_clear_error();
			/* "error:0A00010B:SSL routines::wrong version
			 * number": the reason is what the reader needs. */
			char *r = strrchr(buf, ':');

			return r != NULL && r[1] != '\0' ? r + 1 : buf;
		}
		return "protocol error";
	default:
		return "handshake failed";
	}
}
