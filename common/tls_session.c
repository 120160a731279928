/*
 * The session cache that all workers share: session ids (TLS 1.2, and
 * TLS 1.3 without tickets) map to serialized sessions in slots of shared
 * memory under one robust lock, so a client resumes on any worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "common/route.h"
#include "common/shm.h"
#include "common/tls.h"
#include "common/tls_int.h"

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

static int	 scache_new(SSL *, SSL_SESSION *);
static SSL_SESSION *scache_get(SSL *, const unsigned char *, int, int *);
static void	 scache_remove(SSL_CTX *, SSL_SESSION *);

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

/* Server sessions of ctx go to the shared cache, none to OpenSSL's own. */
void
tls_session_attach(SSL_CTX *ctx)
{
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_new_cb(ctx, scache_new);
	SSL_CTX_sess_set_get_cb(ctx, scache_get);
	SSL_CTX_sess_set_remove_cb(ctx, scache_remove);
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
