/*
 * Response compression: which coding a client accepts, whether a response
 * may be compressed, and streaming gzip (zlib) and Brotli encoders with
 * bounded memory.
 */
#ifndef WORKER_COMPRESS_H
#define WORKER_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

enum coding { CODING_NONE, CODING_GZIP, CODING_BR };

enum enc_op { ENC_PROCESS, ENC_FLUSH, ENC_FINISH };

struct encoder;

/* From an Accept-Encoding value: q-values honoured, q=0 refuses, br
 * preferred when both are equally welcome. */
enum coding	 coding_negotiate(const char *, size_t, bool gzip_ok,
		    bool br_ok);
bool		 compress_type_ok(const struct cfg_route *, const char *type,
		    size_t len);
const char	*coding_name(enum coding);

struct encoder	*encoder_new(enum coding, const struct cfg_route *);
void		 encoder_free(struct encoder *);
void		 encoder_trim(void);
ssize_t		 gzip_whole(int level, const char *in, size_t len, char *out,
		    size_t room);
/*
 * Feeds in (inlen bytes, *used of them taken) and writes up to room
 * bytes to out; returns the bytes written. *more: output is still waiting
 * (call again with room). -1 on an encoder error.
 */
ssize_t		 encoder_run(struct encoder *, const char *in, size_t inlen,
		    size_t *used, enum enc_op, char *out, size_t room,
		    bool *more);

#endif
