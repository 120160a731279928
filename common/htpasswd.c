/*
 * htpasswd files: read whole and bounded, every line checked so that a
 * weak or broken hash is a load error rather than a user locked out (or
 * let in) at run time; users sorted for a binary search. Verification
 * costs one crypt whether or not the user exists.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/htpasswd.h"
#include "common/util.h"

struct htpasswd_entry {
	const char	*user;		/* NUL-terminated, in data */
	size_t		 ulen;
	const char	*hash;		/* NUL-terminated, in data */
	size_t		 hashlen;
	unsigned	 line;
};

struct htpasswd {
	char			*path;
	char			*data;	/* the file; entries point into it */
	struct htpasswd_entry	*entries;	/* sorted by user */
	size_t			 nentries;
	const char		*dummy;	/* the first user's hash, file order */
	uint64_t		 generation;
};

/* Where a load is, for its messages. */
struct hp_load {
	const char		*path;
	htpasswd_error_fn	*error;
	void			*arg;
	unsigned		 nerrors;
};

/* How a hash field reads: the methods taken, then those refused. */
enum hp_kind {
	HP_BCRYPT,
	HP_YESCRYPT,
	HP_SHA512,
	HP_SHA256,
	HP_APR1,
	HP_SHA1,
	HP_MD5,
	HP_DES,
	HP_OTHER,	/* "$id$" of a method we do not take */
	HP_PLAIN	/* none of the above: a password as it is */
};

static const struct {
	const char	*prefix;
	const char	*method;	/* of a hash taken */
	const char	*name;		/* "user "bob" has <name>" */
	bool		 taken;
} hp_kinds[] = {
	[HP_BCRYPT] = { "$2", "bcrypt", "a bcrypt hash", true },
	[HP_YESCRYPT] = { "$y$", "yescrypt", "a yescrypt hash", true },
	[HP_SHA512] = { "$6$", "sha512-crypt", "a sha512-crypt hash", true },
	[HP_SHA256] = { "$5$", "sha256-crypt", "a sha256-crypt hash", true },
	[HP_APR1] = { "$apr1$", NULL, "an MD5 (apr1) hash", false },
	[HP_SHA1] = { "{SHA}", NULL, "an unsalted SHA-1 hash", false },
	[HP_MD5] = { "$1$", NULL, "an MD5-crypt hash", false },
	[HP_DES] = { NULL, NULL, "a DES crypt hash", false },
	[HP_OTHER] = { NULL, NULL, "a hash of a method not taken here",
	    false },
	[HP_PLAIN] = { NULL, NULL, "a plaintext password or a hash of an "
	    "unknown format", false }
};

static uint64_t	hp_generations;

_Static_assert(HTPASSWD_PASS_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
    "a password that fits is one libcrypt takes");

static void	hp_error(struct hp_load *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static char	*hp_read(struct hp_load *, size_t *);
static void	hp_line(struct hp_load *, struct htpasswd *, char *, size_t,
		    unsigned);
static enum hp_kind hp_classify(const char *, size_t);
static bool	hp_well_formed(enum hp_kind, const char *, size_t);
static bool	hp_sha_crypt(const char *, size_t, size_t);
static bool	hp_b64(const char *, size_t);
static void	hp_printable(char *, size_t, const char *, size_t);
static int	hp_cmp(const void *, const void *);
static const struct htpasswd_entry *hp_find(const struct htpasswd *,
		    const char *, size_t);

struct htpasswd *
htpasswd_load(const char *path, htpasswd_error_fn *error, void *arg)
{
	struct hp_load		 ld = { path, error, arg, 0 };
	struct htpasswd		*h;
	char			*p, *end, *nl;
	size_t			 n, len;
	unsigned		 line = 0;
	bool			 stopped = false;

	h = xcalloc(1, sizeof(*h));
	h->path = xstrdup(path);
	if ((h->data = hp_read(&ld, &n)) == NULL)
		goto fail;
	for (p = h->data, end = h->data + n; p < end; p = nl + 1) {
		if ((stopped = ld.nerrors >= HTPASSWD_ERRORS_MAX))
			break;
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* the last line, without newline */
		len = (size_t)(nl - p);
		if (len > HTPASSWD_LINE_MAX) {
			hp_error(&ld, line, "line is longer than %d bytes",
			    HTPASSWD_LINE_MAX);
			continue;
		}
		/* *nl is the newline or the NUL after the data: writable. */
		*nl = '\0';
		hp_line(&ld, h, p, len, line);
	}
	if (h->nentries > 0) {
		h->dummy = h->entries[0].hash;
		qsort(h->entries, h->nentries, sizeof(*h->entries), hp_cmp);
	}
	for (size_t i = 1, first = 0; i < h->nentries; i++) {
		const struct htpasswd_entry	*a = &h->entries[first];
		const struct htpasswd_entry	*b = &h->entries[i];
		char				 u[80];

		if (a->ulen != b->ulen || memcmp(a->user, b->user, a->ulen)) {
			first = i;
			continue;
		}
		if ((stopped = ld.nerrors >= HTPASSWD_ERRORS_MAX))
			break;
		hp_printable(u, sizeof(u), b->user, b->ulen);
		hp_error(&ld, b->line, "user \"%s\" is already defined at "
		    "line %u", u, a->line);
	}
	if (stopped)
		hp_error(&ld, 0, "too many errors, stopped reading");
	if (ld.nerrors > 0)
		goto fail;
	h->generation = ++hp_generations;
	return h;
fail:
	htpasswd_free(h);
	return NULL;
}

void
htpasswd_free(struct htpasswd *h)
{
	if (h == NULL)
		return;
	free(h->entries);
	free(h->data);
	free(h->path);
	free(h);
}

bool
htpasswd_verify(const struct htpasswd *h, const char *user, size_t ulen,
    const char *pass, size_t plen)
{
	static struct crypt_data	 cd;
	const struct htpasswd_entry	*e;
	const char			*hash, *out;
	char				 pw[HTPASSWD_PASS_MAX + 1];
	bool				 usable, same;

	e = hp_find(h, user, ulen);
	if ((hash = e != NULL ? e->hash : h->dummy) == NULL)
		return false;	/* no users: nothing to spend time on */
	usable = plen <= HTPASSWD_PASS_MAX && memchr(pass, '\0', plen) == NULL;
	if (usable)
		memcpy(pw, pass, plen);
	pw[usable ? plen : 0] = '\0';
	out = crypt_rn(pw, hash, &cd, sizeof(cd));
	same = out != NULL && strlen(out) == strlen(hash) &&
	    CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(&cd, sizeof(cd));
	return e != NULL && usable && same;
}

const char *
htpasswd_user(const struct htpasswd *h, const char *user, size_t ulen)
{
	const struct htpasswd_entry	*e = hp_find(h, user, ulen);

	return e != NULL ? e->user : NULL;
}

size_t
htpasswd_count(const struct htpasswd *h)
{
	return h->nentries;
}

const char *
htpasswd_path(const struct htpasswd *h)
{
	return h->path;
}

uint64_t
htpasswd_generation(const struct htpasswd *h)
{
	return h->generation;
}

/* Helpers. */

static void
hp_error(struct hp_load *ld, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512], *full;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0)
		full = xasprintf("%s: %s", ld->path, msg);
	else
		full = xasprintf("%s:%u: %s", ld->path, line, msg);
	ld->error(ld->arg, full);
	free(full);
	ld->nerrors++;
}

/*
 * The whole file, NUL-terminated, its length in *n; NULL after telling
 * why. Only a regular file is read: O_NONBLOCK keeps the open of a FIFO
 * from waiting for a writer. A symbolic link is followed, as for the
 * configuration's other files (include, error_page, certificates): the
 * admin names it, and root reads it, before anyone else could plant one.
 */
static char *
hp_read(struct hp_load *ld, size_t *n)
{
	struct stat	 st;
	char		*data;
	ssize_t		 r;
	size_t		 size;
	int		 fd;

	if ((fd = open(ld->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		hp_error(ld, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		hp_error(ld, 0, "cannot read: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		hp_error(ld, 0, "cannot read: it is %s, not a regular file",
		    file_kind_name(st.st_mode));
		close(fd);
		return NULL;
	}
	if (st.st_size > HTPASSWD_FILE_MAX) {
		hp_error(ld, 0, "cannot read: larger than %dM",
		    HTPASSWD_FILE_MAX / (1024 * 1024));
		close(fd);
		return NULL;
	}
	/* A file that grows meanwhile is read as it was when looked at. */
	size = (size_t)st.st_size;
	data = xmalloc(size + 1);
	for (*n = 0; *n < size; *n += (size_t)r) {
		if ((r = read(fd, data + *n, size - *n)) == -1 &&
		    errno == EINTR) {
			r = 0;
			continue;
		}
		if (r == -1) {
			hp_error(ld, 0, "cannot read: %s", strerror(errno));
			close(fd);
			free(data);
			return NULL;
		}
		if (r == 0)
			break;
	}
	data[*n] = '\0';
	close(fd);
	return data;
}

/* One line, NUL-terminated at p[len]: an entry, or an error told. */
static void
hp_line(struct hp_load *ld, struct htpasswd *h, char *p, size_t len,
    unsigned line)
{
	struct htpasswd_entry	*e;
	enum hp_kind		 kind;
	char			*colon, *hash, u[80];
	size_t			 ulen, hashlen;

	if (memchr(p, '\0', len) != NULL) {
		hp_error(ld, line, "line holds a NUL byte");
		return;
	}
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
	    p[len - 1] == '\r'))
		p[--len] = '\0';
	if (len == 0 || *p == '#')
		return;
	if ((colon = memchr(p, ':', len)) == NULL) {
		hp_error(ld, line, "no \":\" between user and hash "
		    "(expected USER:HASH)");
		return;
	}
	ulen = (size_t)(colon - p);
	hash = colon + 1;
	hashlen = len - ulen - 1;
	if (ulen == 0) {
		hp_error(ld, line, "empty user name");
		return;
	}
	hp_printable(u, sizeof(u), p, ulen);
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			hp_error(ld, line, "user \"%s\" has a control "
			    "character in its name", u);
			return;
		}
	if (hashlen == 0) {
		hp_error(ld, line, "user \"%s\" has no hash", u);
		return;
	}
	kind = hp_classify(hash, hashlen);
	if (!hp_kinds[kind].taken) {
		hp_error(ld, line, "user \"%s\" has %s, which is refused: "
		    "make a bcrypt one with htpasswd -B %s %s", u,
		    hp_kinds[kind].name, ld->path, u);
		return;
	}
	if (!hp_well_formed(kind, hash, hashlen)) {
		hp_error(ld, line, "user \"%s\" has a malformed %s hash", u,
		    hp_kinds[kind].method);
		return;
	}
	switch (crypt_checksalt(hash)) {
	case CRYPT_SALT_INVALID:
	case CRYPT_SALT_METHOD_DISABLED:
		hp_error(ld, line, "user \"%s\" has %s, which this "
		    "system's libcrypt cannot check", u, hp_kinds[kind].name);
		return;
	default:
		break;
	}
	*colon = '\0';
	h->entries = xrealloc(h->entries, h->nentries + 1,
	    sizeof(*h->entries));
	e = &h->entries[h->nentries++];
	e->user = p;
	e->ulen = ulen;
	e->hash = hash;
	e->hashlen = hashlen;
	e->line = line;
}

static enum hp_kind
hp_classify(const char *s, size_t len)
{
	size_t	n;

	for (int k = HP_BCRYPT; k <= HP_MD5; k++) {
		n = strlen(hp_kinds[k].prefix);
		if (len >= n && memcmp(s, hp_kinds[k].prefix, n) == 0)
			return (enum hp_kind)k;
	}
	if (len == 13 && hp_b64(s, len))
		return HP_DES;
	if (*s == '$')
		return HP_OTHER;
	return HP_PLAIN;
}

/* Whether a hash of a method taken has the fields that method writes. */
static bool
hp_well_formed(enum hp_kind kind, const char *s, size_t len)
{
	const char	*p, *q;
	size_t		 n;

	switch (kind) {
	case HP_BCRYPT:
		/* $2y$CC$ + 22 characters of salt + 31 of hash */
		return len == 60 && strchr("aby", s[2]) != NULL &&
		    s[3] == '$' && (s[4] == '0' || s[4] == '1' ||
		    s[4] == '2' || s[4] == '3') && s[5] >= '0' &&
		    s[5] <= '9' && (s[4] - '0') * 10 + (s[5] - '0') >= 4 &&
		    (s[4] - '0') * 10 + (s[5] - '0') <= 31 && s[6] == '$' &&
		    hp_b64(s + 7, 53);
	case HP_YESCRYPT:
		/* $y$PARAMS$SALT$HASH, the hash 43 characters */
		p = s + 3;
		if ((q = memchr(p, '$', len - 3)) == NULL || q == p ||
		    !hp_b64(p, (size_t)(q - p)))
			return false;
		p = q + 1;
		n = len - (size_t)(p - s);
		if ((q = memchr(p, '$', n)) == NULL || q == p ||
		    !hp_b64(p, (size_t)(q - p)))
			return false;
		p = q + 1;
		n = len - (size_t)(p - s);
		return n == 43 && hp_b64(p, n);
	case HP_SHA512:
		return hp_sha_crypt(s, len, 86);
	case HP_SHA256:
		return hp_sha_crypt(s, len, 43);
	default:
		return false;
	}
}

/* $5$ or $6$, [rounds=N$], a salt of up to 16, a hash of sumlen. */
static bool
hp_sha_crypt(const char *s, size_t len, size_t sumlen)
{
	const char	*p = s + 3, *end = s + len, *q;
	size_t		 ndigits = 0;

	if ((size_t)(end - p) > 7 && memcmp(p, "rounds=", 7) == 0) {
		for (p += 7; p < end && *p >= '0' && *p <= '9'; p++)
			ndigits++;
		if (ndigits == 0 || ndigits > 9 || p == end || *p != '$')
			return false;
		p++;
	}
	if ((q = memchr(p, '$', (size_t)(end - p))) == NULL ||
	    q - p > 16 || !hp_b64(p, (size_t)(q - p)))
		return false;
	p = q + 1;
	return (size_t)(end - p) == sumlen && hp_b64(p, sumlen);
}

/* Whether s[0..len) is all crypt's base 64: ./0-9A-Za-z */
static bool
hp_b64(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '.' || s[i] == '/' ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

/* A user name for a message: bounded, control characters and quotes as ?. */
static void
hp_printable(char *dst, size_t size, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len && i + 1 < size; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    s[i] == '"' || s[i] == '\\' ? '?' : s[i];
	dst[i] = '\0';
}

/* By user, then by line, so the first of equal users comes first. */
static int
hp_cmp(const void *va, const void *vb)
{
	const struct htpasswd_entry	*a = va, *b = vb;
	int				 c;

	if ((c = memcmp(a->user, b->user,
	    a->ulen < b->ulen ? a->ulen : b->ulen)) != 0)
		return c;
	if (a->ulen != b->ulen)
		return a->ulen < b->ulen ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static const struct htpasswd_entry *
hp_find(const struct htpasswd *h, const char *user, size_t ulen)
{
	size_t	lo = 0, hi = h->nentries, mid, n;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		n = h->entries[mid].ulen < ulen ? h->entries[mid].ulen : ulen;
		if ((c = memcmp(h->entries[mid].user, user, n)) == 0)
			c = h->entries[mid].ulen < ulen ? -1 :
			    h->entries[mid].ulen > ulen;
		if (c == 0)
			return &h->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
