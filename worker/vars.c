/*
 * Variables of the request being started. They are read while the
 * client's head is in place (request_start), so slices into c->in are
 * valid; $uri is the normalized path the worker keeps beside it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/addr.h"
#include "common/http_parse.h"
#include "worker/buf.h"
#include "worker/conn.h"
#include "worker/req.h"
#include "worker/vars.h"

static void
find_header(const struct conn *c, const char *name, size_t namelen,
    const char **val, size_t *len)
{
	const struct http_head	*h = &c->req->head;
	const char		*b = c->in->data;

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];

		if (f->name.len == namelen && strncasecmp(b + f->name.off,
		    name, namelen) == 0) {
			*val = b + f->value.off;
			*len = f->value.len;
			return;
		}
	}
}

/* "a=1; name=value; b=2": the first cookie of that name, any header. */
static void
find_cookie(const struct conn *c, const char *name, size_t namelen,
    const char **val, size_t *len)
{
	const struct http_head	*h = &c->req->head;
	const char		*b = c->in->data;

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		const char *p, *end;

		if (f->name.len != 6 || strncasecmp(b + f->name.off, "cookie",
		    6) != 0)
			continue;
		p = b + f->value.off;
		end = p + f->value.len;
		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *pe = semi ? semi : end;

			while (p < pe && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(pe - p) > namelen && memcmp(p, name,
			    namelen) == 0 && p[namelen] == '=') {
				*val = p + namelen + 1;
				*len = (size_t)(pe - *val);
				return;
			}
			p = pe + 1;
		}
	}
}

/* The verified client certificate's subject, "CN=x,O=y" (RFC 2253). */
static void
client_dn(SSL *ssl, const char **val, size_t *len)
{
	static char	 dn[1024];
	X509		*x;
	BIO		*b;
	int		 n;

	if ((x = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return;
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	n = BIO_read(b, dn, sizeof(dn) - 1);
	BIO_free(b);
	if (n <= 0)
		return;
	/* A header value cannot hold control characters. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)dn[i] < ' ' || dn[i] == 0x7f)
			dn[i] = '?';
	*val = dn;
	*len = (size_t)n;
}

void
var_get(const struct conn *c, enum cfg_var var, const char *name,
    size_t namelen, char *scratch, const char **val, size_t *len)
{
	const struct req	*r = c->req;
	const struct http_head	*h = &r->head;
	const char		*b = c->in->data;
	const char		*q;
	struct http_slice	 t;

	*val = "";
	*len = 0;
	t = h->form == HTTP_TARGET_ABSOLUTE ? h->path : h->target;
	switch (var) {
	case VAR_URI:
		*val = c->w->path;
		*len = c->w->path_len;
		break;
	case VAR_REQUEST_URI:
		if (t.len == 0) {
			*val = "/";
			*len = 1;
		} else {
			*val = b + t.off;
			*len = t.len;
		}
		break;
	case VAR_ARGS:
		if ((q = memchr(b + t.off, '?', t.len)) != NULL) {
			*val = q + 1;
			*len = t.len - (size_t)(q + 1 - (b + t.off));
		}
		break;
	case VAR_HOST:
		*val = r->host;
		*len = r->hostlen;
		break;
	case VAR_AUTHORITY:
		*val = r->host;
		*len = r->hostport_len;
		break;
	case VAR_REMOTE_ADDR:
		addr_format_ip(&c->req->client, scratch, VAR_SCRATCH);
		*val = scratch;
		*len = strlen(scratch);
		break;
	case VAR_SCHEME:
		*val = conn_tls(c) != NULL ? "https" : "http";
		*len = strlen(*val);
		break;
	case VAR_SSL_CLIENT_S_DN:
		if (conn_tls(c) != NULL)
			client_dn(conn_tls(c), val, len);
		break;
	case VAR_SSL_PROTOCOL:
		if (conn_tls(c) != NULL) {
			*val = SSL_get_version(conn_tls(c));
			*len = strlen(*val);
		}
		break;
	case VAR_SSL_CIPHER:
		if (conn_tls(c) != NULL) {
			*val = SSL_get_cipher_name(conn_tls(c));
			*len = strlen(*val);
		}
		break;
	case VAR_SERVER_PORT:
		*len = (size_t)snprintf(scratch, VAR_SCRATCH, "%d",
		    addr_port(&c->listen->addr));
		*val = scratch;
		break;
	case VAR_HTTP:
		find_header(c, name, namelen, val, len);
		break;
	case VAR_COOKIE:
		find_cookie(c, name, namelen, val, len);
		break;
	case VAR_REMOTE_USER:
		if (r->remote_user != NULL) {
			*val = r->remote_user;
			*len = strlen(r->remote_user);
		}
		break;
	case VAR_NONE:
	case VAR_CAPTURE:
		break;
	}
}

size_t
tpl_expand(const struct conn *c, const struct cfg_tpl *t,
    const char *subject, const size_t *caps, int ncaps, char *dst,
    size_t room)
{
	char		 scratch[VAR_SCRATCH];
	const char	*v;
	size_t		 n = 0, len;

	for (size_t i = 0; i < t->nparts; i++) {
		const struct cfg_tpl_part *p = &t->parts[i];

		switch (p->var) {
		case VAR_NONE:
			v = p->text;
			len = p->len;
			break;
		case VAR_CAPTURE:
			v = "";
			len = 0;
			if (p->capture < ncaps && caps[2 * p->capture] !=
			    (size_t)-1) {
				v = subject + caps[2 * p->capture];
				len = caps[2 * p->capture + 1] -
				    caps[2 * p->capture];
			}
			break;
		default:
			var_get(c, p->var, p->text, p->len, scratch, &v, &len);
			break;
		}
		if (len > room - n)
			return (size_t)-1;
		memcpy(dst + n, v, len);
		n += len;
	}
	return n;
}
