/*
 * Non-blocking TLS reads and writes with the results the connection code
 * uses for plain sockets: bytes, 0 at the end, -1 on an error, -2 when the
 * socket would block.
 */
#ifndef COMMON_TLSIO_H
#define COMMON_TLSIO_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

ssize_t	tlsio_read(SSL *, void *, size_t);
/* a then b, as one TLS record when they fit one. */
ssize_t	tlsio_write2(SSL *, const void *a, size_t alen, const void *b,
	    size_t blen);
/* Sends close_notify without waiting for the peer's. */
void	tlsio_close(SSL *);
/* Text of a failed handshake, for the log. */
const char *tlsio_error(SSL *, int rc);

#endif
