/*
 * Response compression: which coding a client takes, whether a response
 * may be compressed, and encoders, one per coding in a table of ops
 * (compress_<name>.c), streaming with bounded memory.
 */
#ifndef WORKER_COMPRESS_H
#define WORKER_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/config.h"

struct ae;

enum coding { CODING_NONE, CODING_GZIP, CODING_BR, CODING_MAX };

enum enc_op { ENC_PROCESS, ENC_FLUSH, ENC_FINISH };

struct encoder;

/*
 * compress_policy.c, pure. The coding for a parsed Accept-Encoding among
 * those the route allows: q-values honoured, q=0 refuses, br preferred
 * when both are equally welcome.
 */
enum coding	 coding_negotiate(const struct ae *, bool gzip_ok, bool br_ok);
bool		 compress_type_ok(const struct cfg_route *, const char *type,
		    size_t len);
const char	*coding_name(enum coding);

/* compress.c: encoders, reused from per-worker free lists. */
struct encoder	*encoder_new(enum coding, const struct cfg_route *);
void		 encoder_free(struct encoder *);
void		 encoder_trim(void);
/*
 * A whole body in one call, without an encoder: -1 when the coding has no
 * such path, on no memory, or when the output would not fit in room.
 */
ssize_t		 encoder_whole(enum coding, const struct cfg_route *,
		    const char *in, size_t len, char *out, size_t room);
/*
 * Feeds in (inlen bytes, *used of them taken) and writes up to room
 * bytes to out; returns the bytes written. *more: output is still waiting
 * (call again with room). -1 on an encoder error.
 */
ssize_t		 encoder_run(struct encoder *, const char *in, size_t inlen,
		    size_t *used, enum enc_op, char *out, size_t room,
		    bool *more);

#endif
