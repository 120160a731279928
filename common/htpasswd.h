/*
 * htpasswd files for basic authentication: loaded whole by the master,
 * read-only after; a loaded file holds only hashes libcrypt computes
 * slowly (bcrypt, yescrypt, sha512-crypt, sha256-crypt).
 */
#ifndef COMMON_HTPASSWD_H
#define COMMON_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTPASSWD_FILE_MAX	(4 * 1024 * 1024)	/* bytes of a file */
#define HTPASSWD_LINE_MAX	1024	/* bytes of a line, without newline */
#define HTPASSWD_PASS_MAX	511	/* bytes of a password: libcrypt's */
#define HTPASSWD_ERRORS_MAX	20	/* errors told before giving up */

struct htpasswd;

/* Receives one complete message, "file:line: problem", without newline. */
typedef void	htpasswd_error_fn(void *, const char *);

/*
 * Loads the htpasswd file at path: USER:HASH per line, blank lines and
 * lines starting with # skipped, spaces around a line ignored. Every
 * problem is passed to error (with arg), up to HTPASSWD_ERRORS_MAX of
 * them; then the result is NULL. A file without users is not an error
 * (nobody gets in); htpasswd_count() tells. Each load gets a generation
 * of its own, never reused in this process. Allocation failure aborts,
 * as everywhere in config loading; free with htpasswd_free().
 */
struct htpasswd	*htpasswd_load(const char *path, htpasswd_error_fn *error,
		    void *arg);
void		 htpasswd_free(struct htpasswd *);

/*
 * Whether pass[0..plen) is the password of user[0..ulen). Always runs
 * one crypt, also for a user not in the file (against the hash of the
 * file's first user, so a wrong name costs what a wrong password costs)
 * and for a password crypt cannot take (a NUL byte, longer than
 * HTPASSWD_PASS_MAX). Not reentrant: it uses one static crypt area.
 */
bool		 htpasswd_verify(const struct htpasswd *, const char *user,
		    size_t ulen, const char *pass, size_t plen);

/*
 * The name of user[0..ulen) as the file holds it, NUL-terminated and
 * valid as long as the loaded file; NULL when the file has no such user.
 */
const char	*htpasswd_user(const struct htpasswd *, const char *user,
		    size_t ulen);

size_t		 htpasswd_count(const struct htpasswd *);
const char	*htpasswd_path(const struct htpasswd *);
uint64_t	 htpasswd_generation(const struct htpasswd *);

#endif
