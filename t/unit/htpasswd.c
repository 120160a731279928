/*
 * Unit tests for basic authentication's pure parts: htpasswd files (hashes
 * of every method taken, made here with libcrypt; refusals and other
 * errors with their line numbers), verification, the Authorization value
 * decoder, and the verified-credentials cache under a fake clock.
 */
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/auth_basic.h"
#include "common/auth_cache.h"
#include "common/htpasswd.h"
#include "common/util.h"
#include "t/unit/tap.h"

#define MSGS_MAX	64

static char	dir[] = "/tmp/frontd-htpasswd-XXXXXX";
static char	*msgs[MSGS_MAX];
static size_t	nmsgs;

/* --- files and messages ------------------------------------------------ */

static const char *
path_of(const char *name)
{
	static char	path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const char *
put(const char *name, const char *text, size_t len)
{
	const char	*path = path_of(name);
	FILE		*fp;

	fp = fopen(path, "w");
	fwrite(text, 1, len, fp);
	fclose(fp);
	return path;
}

static void
collect(void *arg, const char *msg)
{
	(void)arg;
	if (nmsgs < MSGS_MAX)
		msgs[nmsgs++] = strdup(msg);
}

static void
forget(void)
{
	while (nmsgs > 0)
		free(msgs[--nmsgs]);
}

static struct htpasswd *
load(const char *name, const char *text)
{
	forget();
	return htpasswd_load(put(name, text, strlen(text)), collect, NULL);
}

/* Whether a message reads "DIR/want" exactly; prints them all if not. */
static bool
said(const char *want)
{
	char	full[1024];

	snprintf(full, sizeof(full), "%s/%s", dir, want);
	for (size_t i = 0; i < nmsgs; i++)
		if (strcmp(msgs[i], full) == 0)
			return true;
	printf("# wanted: %s\n", full);
	for (size_t i = 0; i < nmsgs; i++)
		printf("# got:    %s\n", msgs[i]);
	return false;
}

/* A hash of pass made by libcrypt with prefix and count; static. */
static const char *
mkhash(const char *prefix, unsigned long count, const char *pass)
{
	static struct crypt_data	cd;
	static char			out[8][CRYPT_OUTPUT_SIZE];
	static int			next;
	char				setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char				*h;

	if (crypt_gensalt_rn(prefix, count, NULL, 0, setting,
	    sizeof(setting)) == NULL ||
	    (h = crypt_rn(pass, setting, &cd, sizeof(cd))) == NULL) {
		printf("# cannot make a %s hash: %s\n", prefix,
		    strerror(errno));
		return "*";
	}
	next = (next + 1) % 8;
	snprintf(out[next], sizeof(out[next]), "%s", h);
	return out[next];
}

static bool
verify(const struct htpasswd *h, const char *user, const char *pass)
{
	return htpasswd_verify(h, user, strlen(user), pass, strlen(pass));
}

static double
seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The temp dir and what the tests left in it. */
static void
cleanup(void)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlink(path_of(de->d_name));
		closedir(d);
	}
	if (rmdir(dir) == -1)
		ok(0, "rmdir %s: %s", dir, strerror(errno));
}

/* --- htpasswd ---------------------------------------------------------- */

static void
test_methods(void)
{
	struct htpasswd	*h;
	char		 text[4096];

	snprintf(text, sizeof(text),
	    "# made by htpasswd -B and friends\n"
	    "\n"
	    "y2:%s\n"
	    "b2:%s\r\n"
	    "  a2:%s  \n"
	    "\t# an indented comment\n"
	    "yes:%s\n"
	    "s512:%s\n"
	    "s256:%s\n"
	    "s512r:%s\n"
	    "long name with spaces:%s",
	    mkhash("$2y$", 4, "pw-y2"), mkhash("$2b$", 4, "pw-b2"),
	    mkhash("$2a$", 4, "pw-a2"), mkhash("$y$", 3, "pw-yes"),
	    mkhash("$6$", 0, "pw-512"), mkhash("$5$", 0, "pw-256"),
	    mkhash("$6$", 5000, "pw-512r"), mkhash("$2y$", 4, "pw:colon"));
	h = load("methods", text);
	ok(h != NULL && nmsgs == 0 && htpasswd_count(h) == 8,
	    "bcrypt ($2y$ $2b$ $2a$), yescrypt, sha512- and sha256-crypt load");
	if (h == NULL)
		return;
	ok(strcmp(htpasswd_path(h), path_of("methods")) == 0,
	    "the path is kept");
	ok(verify(h, "y2", "pw-y2") && verify(h, "b2", "pw-b2") &&
	    verify(h, "a2", "pw-a2"), "bcrypt passwords verify");
	ok(verify(h, "yes", "pw-yes"), "a yescrypt password verifies");
	ok(verify(h, "s512", "pw-512") && verify(h, "s512r", "pw-512r"),
	    "sha512-crypt passwords verify, with and without rounds=");
	ok(verify(h, "s256", "pw-256"), "a sha256-crypt password verifies");
	ok(verify(h, "long name with spaces", "pw:colon"),
	    "a name with spaces, a password with a colon");
	ok(!verify(h, "y2", "pw-y") && !verify(h, "y2", "pw-y2x") &&
	    !verify(h, "y2", "") && !verify(h, "y2", "PW-Y2"),
	    "a wrong bcrypt password does not");
	ok(!verify(h, "yes", "pw-ye") && !verify(h, "s512", "pw-5120") &&
	    !verify(h, "s256", "pw-255"),
	    "nor a wrong yescrypt or sha-crypt one");
	ok(!verify(h, "y2", "pw-b2") && !verify(h, "b2", "pw-y2"),
	    "nor another user's password");
	ok(!verify(h, "Y2", "pw-y2") && !verify(h, "y", "pw-y2") &&
	    !verify(h, "y22", "pw-y2") && !verify(h, "", "pw-y2") &&
	    !verify(h, "nobody", "pw-y2"),
	    "user names are exact: case, prefixes, empty, unknown");
	ok(htpasswd_user(h, "y2x", 2) != NULL &&
	    strcmp(htpasswd_user(h, "y2x", 2), "y2") == 0 &&
	    strcmp(htpasswd_user(h, "long name with spaces", 21),
	    "long name with spaces") == 0 && htpasswd_user(h, "Y2", 2) ==
	    NULL && htpasswd_user(h, "y", 1) == NULL,
	    "htpasswd_user: the file's own copy of a name, exactly");
	ok(!htpasswd_verify(h, "y2", 2, "pw-y2\0", 6) &&
	    !htpasswd_verify(h, "y2\0", 3, "pw-y2", 5),
	    "a NUL in the password or the name never matches");
	htpasswd_free(h);
}

static void
test_long_password(void)
{
	struct htpasswd	*h;
	char		 pw[HTPASSWD_PASS_MAX + 2], text[512];

	memset(pw, 'p', sizeof(pw));
	pw[HTPASSWD_PASS_MAX] = '\0';
	snprintf(text, sizeof(text), "u:%s\n", mkhash("$6$", 1000, pw));
	h = load("longpw", text);
	ok(h != NULL && verify(h, "u", pw), "a password of %d bytes verifies",
	    HTPASSWD_PASS_MAX);
	pw[HTPASSWD_PASS_MAX] = 'p';
	pw[HTPASSWD_PASS_MAX + 1] = '\0';
	ok(h != NULL && !verify(h, "u", pw), "one byte more never matches");
	htpasswd_free(h);
}

static void
test_refused(void)
{
	struct htpasswd	*h;
	char		 text[4096], hint[700];
	const char	*b = mkhash("$2y$", 4, "x");
	const char	*s = mkhash("$6$", 1000, "x");
	const char	*y = mkhash("$y$", 3, "x");

	snprintf(text, sizeof(text),
	    "good:%s\n"				/* 1 */
	    "apr:$apr1$Fq1.Zq/S$5vKz6zYjxN3Q5kf5yX0Aa.\n"
	    "sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
	    "des:abJnggxhB/yWI\n"
	    "plain:secret\n"			/* 5 */
	    "md5:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n"
	    "scrypt:$7$CU..../....abcdefgh$abcdefghijklmnopqrstuvwxyz"
	    "0123456789ABCDEFG\n"
	    "short:%.40s\n"
	    "cost:$2y$03%s\n"
	    "x2x:$2x$%s\n"			/* 10 */
	    "s6:%.100s\n"
	    "s6salt:$6$rounds=5000$0123456789abcdefX$%s\n"
	    "yy:%.50s\n"
	    "nocolon\n"
	    ":%s\n"				/* 15 */
	    "nohash:\n"
	    "ctl\001:%s\n",
	    b, b, b + 6, b + 4, s, s + strlen(s) - 86, y, b, b);
	h = load("refused", text);
	ok(h == NULL, "a file with refused entries does not load");
#define REFUSED(line, user, what) do {					\
		char w[1024];						\
		snprintf(w, sizeof(w), "refused:%d: user \"%s\" has %s, " \
		    "which is refused: %s %s", line, user, what, hint, user); \
		ok(said(w), "line %d: %s refused, with how to make a "	\
		    "bcrypt one", line, what);				\
	} while (0)
	snprintf(hint, sizeof(hint), "make a bcrypt one with htpasswd -B %s",
	    path_of("refused"));
	REFUSED(2, "apr", "an MD5 (apr1) hash");
	REFUSED(3, "sha", "an unsalted SHA-1 hash");
	REFUSED(4, "des", "a DES crypt hash");
	REFUSED(5, "plain", "a plaintext password or a hash of an unknown "
	    "format");
	REFUSED(6, "md5", "an MD5-crypt hash");
	REFUSED(7, "scrypt", "a hash of a method not taken here");
#undef REFUSED
	ok(said("refused:8: user \"short\" has a malformed bcrypt hash") &&
	    said("refused:9: user \"cost\" has a malformed bcrypt hash") &&
	    said("refused:10: user \"x2x\" has a malformed bcrypt hash"),
	    "bcrypt: truncated, cost 03, $2x$: malformed");
	ok(said("refused:11: user \"s6\" has a malformed sha512-crypt hash") &&
	    said("refused:12: user \"s6salt\" has a malformed sha512-crypt "
	    "hash"), "sha512-crypt: truncated, salt over 16: malformed");
	ok(said("refused:13: user \"yy\" has a malformed yescrypt hash"),
	    "yescrypt: truncated: malformed");
	ok(said("refused:14: no \":\" between user and hash (expected "
	    "USER:HASH)"), "a line without colon");
	ok(said("refused:15: empty user name"), "an empty user name");
	ok(said("refused:16: user \"nohash\" has no hash"), "an empty hash");
	ok(said("refused:17: user \"ctl?\" has a control character in its "
	    "name"), "a control character in a name");
	ok(nmsgs == 16, "one message per bad line, none for the good one "
	    "(%zu)", nmsgs);
	for (size_t i = 0; i < nmsgs; i++)
		if (strstr(msgs[i], "secret") != NULL ||
		    strstr(msgs[i], "W6ph5Mm5") != NULL)
			ok(0, "a message shows a password or a hash: %s",
			    msgs[i]);
}

static void
test_lines(void)
{
	struct htpasswd	*h;
	char		 text[8192], longline[2100];
	const char	*b = mkhash("$2y$", 4, "x");
	size_t		 n;

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	snprintf(text, sizeof(text),
	    "bob:%s\n"			/* 1 */
	    "alice:%s\n"
	    "# a comment\n"
	    "%s\n"			/* 4: too long */
	    "bob:%s\n"			/* 5 */
	    "\n"
	    "alice:%s\n"		/* 7 */
	    "bob:%s\n"			/* 8 */
	    "carol:%s",			/* 9, no newline */
	    b, b, longline, b, b, b, b);
	h = load("lines", text);
	ok(h == NULL, "duplicates and a long line: no load");
	ok(said("lines:4: line is longer than 1024 bytes"),
	    "a line over the limit is an error with its number");
	ok(said("lines:5: user \"bob\" is already defined at line 1") &&
	    said("lines:8: user \"bob\" is already defined at line 1") &&
	    said("lines:7: user \"alice\" is already defined at line 2"),
	    "each duplicate names the line of the first definition");
	ok(nmsgs == 4, "and nothing else (%zu)", nmsgs);

	/* A NUL inside a line. */
	forget();
	n = (size_t)snprintf(text, sizeof(text), "a:%s\nb:%s", b, b);
	text[n - 3] = '\0';
	h = htpasswd_load(put("nul", text, n), collect, NULL);
	ok(h == NULL && said("nul:2: line holds a NUL byte"),
	    "a NUL byte is an error");

	/* Errors stop after HTPASSWD_ERRORS_MAX. */
	text[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(text, "plain:text\n");
	h = load("many", text);
	ok(h == NULL && nmsgs == HTPASSWD_ERRORS_MAX + 1 &&
	    said("many: too many errors, stopped reading"),
	    "after %d errors, one line says it stopped", HTPASSWD_ERRORS_MAX);

	h = load("empty", "# nobody yet\n\n");
	ok(h != NULL && nmsgs == 0 && htpasswd_count(h) == 0 &&
	    !verify(h, "nobody", ""), "a file without users loads; nobody "
	    "gets in");
	htpasswd_free(h);
	h = load("zero", "");
	ok(h != NULL && htpasswd_count(h) == 0, "an empty file loads");
	htpasswd_free(h);
}

static void
test_files(void)
{
	struct htpasswd	*h;
	char		 path[600], target[600], want[1400];
	int		 fd;

	forget();
	h = htpasswd_load(path_of("missing"), collect, NULL);
	ok(h == NULL && said("missing: cannot open: No such file or "
	    "directory"), "a missing file");

	snprintf(path, sizeof(path), "%s", path_of("adir"));
	mkdir(path, 0700);
	forget();
	h = htpasswd_load(path, collect, NULL);
	ok(h == NULL && said("adir: cannot read: it is a directory, not a "
	    "regular file"), "a directory");
	rmdir(path);

	snprintf(path, sizeof(path), "%s", path_of("fifo"));
	mkfifo(path, 0600);
	forget();
	h = htpasswd_load(path, collect, NULL);
	ok(h == NULL && said("fifo: cannot read: it is a FIFO, not a "
	    "regular file"), "a FIFO is refused without waiting for a writer");
	unlink(path);

	snprintf(target, sizeof(target), "%s",
	    put("target", "u:x\n", 4));
	snprintf(path, sizeof(path), "%s", path_of("link"));
	if (symlink(target, path) == -1)
		printf("# symlink: %s\n", strerror(errno));
	forget();
	h = htpasswd_load(path, collect, NULL);
	snprintf(want, sizeof(want), "link:1: user \"u\" has a plaintext "
	    "password or a hash of an unknown format, which is refused: make "
	    "a bcrypt one with htpasswd -B %s u", path);
	ok(h == NULL && said(want),
	    "a symbolic link is followed, as the config's other files are");
	unlink(path);
	unlink(target);

	snprintf(path, sizeof(path), "%s", path_of("huge"));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		if (ftruncate(fd, HTPASSWD_FILE_MAX + 1) == -1)
			printf("# ftruncate: %s\n", strerror(errno));
		close(fd);
	}
	forget();
	h = htpasswd_load(path, collect, NULL);
	ok(h == NULL && said("huge: cannot read: larger than 4M"),
	    "a file over %d bytes is refused unread", HTPASSWD_FILE_MAX);
	unlink(path);
}

static void
test_lookup(void)
{
	struct htpasswd	*h, *h2;
	char		*text, *p;
	const char	*b = mkhash("$2y$", 4, "pw");
	const char	*names[] = { "a", "ab", "abc", "b",
	    "\xc3\xa9t\xc3\xa9" };
	size_t		 cap = 1100 * 90;
	bool		 all = true;

	p = text = calloc(1, cap);
	/* Descending, so the file order is not the sorted order. */
	for (int i = 999; i >= 0; i--)
		p += snprintf(p, cap - (size_t)(p - text), "user%d:%s\n", i, b);
	for (size_t i = 0; i < nitems(names); i++)
		p += snprintf(p, cap - (size_t)(p - text), "%s:%s\n", names[i],
		    b);
	h = load("thousand", text);
	ok(h != NULL && htpasswd_count(h) == 1005, "1005 users load");
	if (h == NULL) {
		free(text);
		return;
	}
	ok(verify(h, "user0", "pw") && verify(h, "user999", "pw") &&
	    verify(h, "user500", "pw") && verify(h, "user77", "pw"),
	    "first, last and middle users are found");
	for (size_t i = 0; i < nitems(names); i++)
		all = all && verify(h, names[i], "pw");
	ok(all, "names that prefix each other, and UTF-8, are found");
	ok(!verify(h, "user1000", "pw") && !verify(h, "user", "pw") &&
	    !verify(h, "abcd", "pw") && !verify(h, "c", "pw") &&
	    !verify(h, "\xc3\xa9t", "pw"), "names not there are not found");

	h2 = load("thousand2", text);
	ok(h2 != NULL && htpasswd_generation(h) != 0 &&
	    htpasswd_generation(h2) != htpasswd_generation(h),
	    "each load has its own generation");
	htpasswd_free(h2);
	htpasswd_free(h);
	free(text);
}

/*
 * A name not in the file costs a crypt like a wrong password: with cost 8
 * a bcrypt takes milliseconds, a lookup alone microseconds.
 */
static void
test_timing(void)
{
	struct htpasswd	*h;
	char		 text[256];
	double		 t, known = 1e9, unknown = 1e9;

	snprintf(text, sizeof(text), "first:%s\nsecond:%s\n",
	    mkhash("$2y$", 8, "one"), mkhash("$2y$", 4, "two"));
	h = load("timing", text);
	if (h == NULL) {
		ok(0, "timing file loads");
		return;
	}
	for (int i = 0; i < 3; i++) {
		t = seconds();
		verify(h, "first", "wrong");
		t = seconds() - t;
		known = t < known ? t : known;
		t = seconds();
		verify(h, "stranger", "wrong");
		t = seconds() - t;
		unknown = t < unknown ? t : unknown;
	}
	ok(unknown > known / 4, "an unknown user costs a crypt like the first "
	    "user's (%.1f ms, %.1f ms)", unknown * 1e3, known * 1e3);
	ok(!verify(h, "stranger", "one"),
	    "the first user's password does not let an unknown user in");
	htpasswd_free(h);
}

/* --- Authorization values ------------------------------------------------ */

static const char *
b64(const char *s, size_t len)
{
	static char	out[2048];

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
	    (int)len);
	return out;
}

static enum auth_basic_result
decode(const char *value, struct auth_basic_cred *cred)
{
	static char	buf[AUTH_BASIC_DECODED_MAX];

	memset(cred, 0, sizeof(*cred));
	return auth_basic_decode(value, strlen(value), buf, sizeof(buf), cred);
}

static bool
cred_is(const struct auth_basic_cred *c, const char *user, const char *pass)
{
	return c->ulen == strlen(user) && memcmp(c->user, user, c->ulen) == 0 &&
	    c->plen == strlen(pass) && memcmp(c->pass, pass, c->plen) == 0;
}

static void
test_decode(void)
{
	struct auth_basic_cred	 c;
	char			 v[2100], buf[16], big[1100];
	enum auth_basic_result	 r;
	size_t			 n;

	snprintf(v, sizeof(v), "Basic %s", b64("user:pass", 9));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "user", "pass"),
	    "Basic user:pass");
	snprintf(v, sizeof(v), "bAsIc %s", b64("user:pass", 9));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "user", "pass"),
	    "the scheme in any case");
	snprintf(v, sizeof(v), " \tBASIC   %s \t", b64("user:pass", 9));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "user", "pass"),
	    "spaces around and after the scheme");
	snprintf(v, sizeof(v), "Basic %s", b64("user:", 5));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "user", ""),
	    "an empty password");
	snprintf(v, sizeof(v), "Basic %s", b64("u:p:a:ss", 8));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "u", "p:a:ss"),
	    "split at the first colon");
	snprintf(v, sizeof(v), "Basic %s", b64("\xc3\xa9t\xc3\xa9:\xe2\x82\xac",
	    9));
	ok(decode(v, &c) == AUTH_BASIC_OK &&
	    cred_is(&c, "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac"), "UTF-8");
	snprintf(v, sizeof(v), "Basic %s", b64("ab:c", 4));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "ab", "c"),
	    "two padding characters");
	snprintf(v, sizeof(v), "Basic %s", b64("ab:cd", 5));
	ok(decode(v, &c) == AUTH_BASIC_OK && cred_is(&c, "ab", "cd"),
	    "one padding character");

	ok(decode("Bearer abc.def", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("Digest username=\"u\"", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("Basic", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("Basic   ", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("BasicdXNlcjpwYXNz", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("Basic\tdXNlcjpwYXNz", &c) == AUTH_BASIC_OTHER_SCHEME &&
	    decode("Basi dXNlcjpwYXNz", &c) == AUTH_BASIC_OTHER_SCHEME,
	    "other schemes, or no credentials");
	ok(c.user == NULL, "cred untouched on failure");

	ok(decode("Basic dXNlcjpwYXM", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic dXNlcjpwYX", &c) == AUTH_BASIC_BAD_BASE64,
	    "padding left out");
	ok(decode("Basic dXNlcjpwYXN=", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic YWI6Yx==", &c) == AUTH_BASIC_BAD_BASE64,
	    "non-zero bits under the padding");
	ok(decode("Basic dXNl=jpwYXM=", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic ====", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic YQ==YQ==", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic Y===", &c) == AUTH_BASIC_BAD_BASE64,
	    "padding anywhere but the end");
	ok(decode("Basic dXNlcj pwYXM=", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic dXNlcjpw*XM=", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic dXNlcjpw-XM_", &c) == AUTH_BASIC_BAD_BASE64 &&
	    decode("Basic dXNlcjpwYXM=\r\n", &c) == AUTH_BASIC_BAD_BASE64,
	    "spaces inside, other characters, the URL-safe alphabet");

	snprintf(v, sizeof(v), "Basic %s", b64("user", 4));
	ok(decode(v, &c) == AUTH_BASIC_NO_COLON, "no colon");
	snprintf(v, sizeof(v), "Basic %s", b64(":pass", 5));
	ok(decode(v, &c) == AUTH_BASIC_EMPTY_USER, "an empty user");
	snprintf(v, sizeof(v), "Basic %s", b64("us\ter:pass", 10));
	ok(decode(v, &c) == AUTH_BASIC_CONTROL, "a tab in the user");
	snprintf(v, sizeof(v), "Basic %s", b64("user:pa\0ss", 10));
	ok(decode(v, &c) == AUTH_BASIC_CONTROL, "a NUL in the password");
	snprintf(v, sizeof(v), "Basic %s", b64("user:pass\x7f", 10));
	ok(decode(v, &c) == AUTH_BASIC_CONTROL, "a DEL in the password");

	/* Bounds: the longest value taken, one byte more, a small buffer. */
	memset(big, 'p', sizeof(big));
	n = (AUTH_BASIC_VALUE_MAX - 6) / 4 * 3;
	memcpy(big, "u:", 2);
	snprintf(v, sizeof(v), "Basic %s", b64(big, n));
	ok(strlen(v) <= AUTH_BASIC_VALUE_MAX &&
	    decode(v, &c) == AUTH_BASIC_OK && c.ulen == 1 && c.plen == n - 2,
	    "a value of %zu bytes decodes within %d", strlen(v),
	    AUTH_BASIC_DECODED_MAX);
	snprintf(v, sizeof(v), "Basic %s%*s", b64(big, n),
	    (int)(AUTH_BASIC_VALUE_MAX + 1 - 6 - (n + 2) / 3 * 4), "");
	ok(strlen(v) == AUTH_BASIC_VALUE_MAX + 1 &&
	    decode(v, &c) == AUTH_BASIC_TOO_LONG, "one byte more is too long");
	snprintf(v, sizeof(v), "Basic %s", b64("user:password", 13));
	r = auth_basic_decode(v, strlen(v), buf, 12, &c);
	ok(r == AUTH_BASIC_TOO_LONG, "a buffer too small for the decoded "
	    "bytes");
	r = auth_basic_decode(v, strlen(v), buf, 13, &c);
	ok(r == AUTH_BASIC_OK && cred_is(&c, "user", "password"),
	    "a buffer just big enough");
	ok(strcmp(auth_basic_results[AUTH_BASIC_BAD_BASE64], "bad base64") == 0
	    && auth_basic_results[AUTH_BASIC_CONTROL] != NULL,
	    "results have names");
}

/* --- the cache ---------------------------------------------------------- */

static const uint8_t	secret[AUTH_CACHE_SECRET_LEN] =
    "0123456789abcdef0123456789abcde";

static struct auth_cache_key
key_of(struct auth_cache *c, uint64_t gen, const char *value)
{
	struct auth_cache_key	k;

	if (auth_cache_key(c, gen, value, strlen(value), &k) == -1)
		ok(0, "key of %s", value);
	return k;
}

/* n values whose keys fall in one set, as "Basic <tag><i>". */
static void
same_set(struct auth_cache *c, const char *tag, struct auth_cache_key *k,
    int n)
{
	char	v[64];
	int	found = 0, set = -1;

	for (int i = 0; found < n && i < 100000; i++) {
		snprintf(v, sizeof(v), "Basic %s%d", tag, i);
		k[found] = key_of(c, 1, v);
		if (set == -1)
			set = k[found].d[0] % AUTH_CACHE_SETS;
		if (k[found].d[0] % AUTH_CACHE_SETS == set)
			found++;
	}
}

static void
test_cache(void)
{
	struct auth_cache	*c, *c2;
	struct auth_cache_key	 a, a2, b, k[5];
	char			 v[64];
	int			 hits = 0;

	c = auth_cache_new(60000, secret);
	ok(c != NULL, "a cache");
	if (c == NULL)
		return;
	a = key_of(c, 1, "Basic dXNlcjpwYXNz");
	a2 = key_of(c, 1, "Basic dXNlcjpwYXNz");
	ok(memcmp(&a, &a2, sizeof(a)) == 0, "a value has one key");
	ok(!auth_cache_hit(c, &a, 1000), "empty: a miss");
	auth_cache_put(c, &a, 1000);
	ok(auth_cache_hit(c, &a, 1000) && auth_cache_hit(c, &a, 60999),
	    "stored: a hit until the TTL");
	ok(!auth_cache_hit(c, &a, 61000), "expired at the TTL");
	ok(!auth_cache_hit(c, &a, 999), "a clock gone back is an expiry");
	ok(auth_cache_count(c, 1000) == 1 && auth_cache_count(c, 61000) == 0,
	    "count: live entries only");

	auth_cache_put(c, &a, 100000);
	ok(auth_cache_hit(c, &a, 130000) && !auth_cache_hit(c, &a, 160000),
	    "a hit does not extend the life");
	auth_cache_put(c, &a, 200000);
	b = key_of(c, 2, "Basic dXNlcjpwYXNz");
	ok(!auth_cache_hit(c, &b, 200001), "another generation: a miss");
	b = key_of(c, 1, "Basic dXNlcjpwYXNa");
	ok(!auth_cache_hit(c, &b, 200001), "another value: a miss");
	b = key_of(c, 1, "basic dXNlcjpwYXNz");
	ok(!auth_cache_hit(c, &b, 200001), "the value as sent: case counts");
	auth_cache_put(c, &a, 200500);
	ok(auth_cache_count(c, 200500) == 1, "storing again does not "
	    "duplicate");

	c2 = auth_cache_new(60000, NULL);
	b = key_of(c2, 1, "Basic dXNlcjpwYXNz");
	ok(c2 != NULL && memcmp(&a, &b, sizeof(a)) != 0,
	    "another secret, another key");
	auth_cache_free(c2);

	/* LRU within a set: k[0] used lately stays, k[1] goes. */
	auth_cache_free(c);
	c = auth_cache_new(60000, secret);
	same_set(c, "lru", k, 5);
	for (int i = 0; i < 4; i++)
		auth_cache_put(c, &k[i], 1 + i);
	ok(auth_cache_hit(c, &k[0], 10), "a full set: the first still there");
	auth_cache_put(c, &k[4], 11);
	ok(auth_cache_hit(c, &k[4], 12) && auth_cache_hit(c, &k[0], 12) &&
	    !auth_cache_hit(c, &k[1], 12) && auth_cache_hit(c, &k[2], 12) &&
	    auth_cache_hit(c, &k[3], 12), "one more: the least recently "
	    "used goes");

	/* An expired entry goes before the least recently used. */
	auth_cache_free(c);
	c = auth_cache_new(60000, secret);
	auth_cache_put(c, &k[0], 0);
	auth_cache_put(c, &k[1], 10);
	auth_cache_put(c, &k[2], 20);
	auth_cache_put(c, &k[3], 30);
	auth_cache_hit(c, &k[0], 40);
	auth_cache_put(c, &k[4], 60005);
	ok(auth_cache_hit(c, &k[1], 60005) && auth_cache_hit(c, &k[4], 60005)
	    && !auth_cache_hit(c, &k[0], 60005), "an expired entry is "
	    "replaced first");

	/* Full: never more than the table, the newest always in. */
	auth_cache_free(c);
	c = auth_cache_new(60000, secret);
	for (int i = 0; i < 4000; i++) {
		snprintf(v, sizeof(v), "Basic many%d", i);
		b = key_of(c, 1, v);
		auth_cache_put(c, &b, i);
	}
	for (int i = 0; i < 4000; i++) {
		snprintf(v, sizeof(v), "Basic many%d", i);
		b = key_of(c, 1, v);
		hits += auth_cache_hit(c, &b, 4000);
	}
	ok(auth_cache_count(c, 4000) == AUTH_CACHE_ENTRIES &&
	    hits == AUTH_CACHE_ENTRIES, "4000 stored: %d kept, %d hits",
	    AUTH_CACHE_ENTRIES, hits);
	ok(auth_cache_hit(c, &b, 4001), "the newest is kept");
	auth_cache_free(c);

	c = auth_cache_new(0, secret);
	auth_cache_put(c, &a, 0);
	ok(!auth_cache_hit(c, &a, 0), "TTL 0: nothing is kept");
	auth_cache_free(c);
	c = auth_cache_new(3600000, secret);
	auth_cache_put(c, &a, 0);
	ok(auth_cache_hit(c, &a, AUTH_CACHE_TTL_MAX_MS - 1) &&
	    !auth_cache_hit(c, &a, AUTH_CACHE_TTL_MAX_MS),
	    "a TTL over the maximum is cut to it");
	auth_cache_free(c);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	test_methods();
	test_long_password();
	test_refused();
	test_lines();
	test_files();
	test_lookup();
	test_timing();
	test_decode();
	test_cache();
	forget();
	cleanup();
	return tap_done();
}
