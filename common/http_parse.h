/*
 * Strict HTTP/1.1 message head parser (RFC 9110, RFC 9112; http_parse.c)
 * and chunked body decoder (http_chunked.c), shared by the client side and
 * the upstream side. Zero copy: the parsed head holds (offset, length)
 * slices into the caller's buffer, which must stay unchanged while the
 * head is used. No allocation.
 * Incremental: with partial input it answers HTTP_AGAIN and remembers how
 * far it has looked for the end of the head, so feeding the same growing
 * buffer again costs only the new bytes.
 *
 * Anything ambiguous is an error, never a guess: the caller answers it
 * with the status the parser names and closes the connection.
 */
#ifndef COMMON_HTTP_PARSE_H
#define COMMON_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS_LIMIT	256	/* hard cap on limits.max_headers */

enum http_result {
	HTTP_OK,		/* a whole head was parsed */
	HTTP_AGAIN,		/* need more bytes */
	HTTP_ERROR		/* see head->error and head->error_status */
};

/* Every way a message can be refused; names in http_error_names[]. */
enum http_error {
	HTTP_ERR_NONE,
	HTTP_ERR_HEAD_TOO_LARGE,	/* 431 (request) / 502 (response) */
	HTTP_ERR_LINE_TOO_LONG,		/* request line: 414 */
	HTTP_ERR_TOO_MANY_HEADERS,	/* 431 */
	HTTP_ERR_BAD_REQUEST_LINE,	/* 400 */
	HTTP_ERR_BAD_METHOD,		/* 400: not a token */
	HTTP_ERR_BAD_TARGET,		/* 400: no valid target form */
	HTTP_ERR_BAD_VERSION,		/* 400: not HTTP/D.D */
	HTTP_ERR_VERSION_UNSUPPORTED,	/* 505: HTTP/D.D other than 1.0/1.1 */
	HTTP_ERR_HTTP09,		/* 400: "GET /" with no version */
	HTTP_ERR_HTTP2_PREFACE,		/* 400: "PRI * HTTP/2.0" */
	HTTP_ERR_BAD_STATUS_LINE,	/* response: 502 */
	HTTP_ERR_BAD_HEADER_NAME,	/* 400: empty, non-token, or space
					   before the colon */
	HTTP_ERR_BAD_HEADER_VALUE,	/* 400: NUL, CTL other than HTAB */
	HTTP_ERR_OBS_FOLD,		/* 400: line starting with SP/HTAB */
	HTTP_ERR_BARE_CR,		/* 400: CR not followed by LF */
	HTTP_ERR_BARE_LF,		/* 400: LF not preceded by CR */
	HTTP_ERR_CL_AND_TE,		/* 400: both Content-Length and TE */
	HTTP_ERR_BAD_CONTENT_LENGTH,	/* 400: not digits, overflow, or
					   several different values */
	HTTP_ERR_TE_NOT_CHUNKED,	/* 400: TE list not ending in chunked,
					   or chunked twice */
	HTTP_ERR_TE_UNKNOWN,		/* 501: a coding we do not know */
	HTTP_ERR_TE_IN_HTTP10,		/* 400 */
	HTTP_ERR_NO_HOST,		/* 400: HTTP/1.1 request without Host */
	HTTP_ERR_MULTIPLE_HOST,		/* 400 */
	HTTP_ERR_BAD_HOST,		/* 400: Host not a valid authority */
	HTTP_ERR_MAX
};

extern const char *const http_error_names[];	/* "bare CR", ... */

enum http_method {
	HTTP_M_OTHER,		/* any other token, forwarded as is */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_CONNECT,
	HTTP_M_OPTIONS,
	HTTP_M_TRACE,
	HTTP_M_PATCH
};

enum http_target_form {
	HTTP_TARGET_ORIGIN,	/* /path?query */
	HTTP_TARGET_ABSOLUTE,	/* http://host[:port]/path?query */
	HTTP_TARGET_AUTHORITY,	/* host:port, CONNECT only */
	HTTP_TARGET_ASTERISK	/* *, OPTIONS only */
};

/* Headers the proxy acts on get an id; the rest are HTTP_H_OTHER. */
enum http_header_id {
	HTTP_H_OTHER,
	HTTP_H_HOST,
	HTTP_H_CONTENT_LENGTH,
	HTTP_H_TRANSFER_ENCODING,
	HTTP_H_CONNECTION,
	HTTP_H_KEEP_ALIVE,
	HTTP_H_PROXY_CONNECTION,
	HTTP_H_TE,
	HTTP_H_TRAILER,
	HTTP_H_UPGRADE,
	HTTP_H_PROXY_AUTHORIZATION,
	HTTP_H_EXPECT,
	HTTP_H_X_FORWARDED_FOR,
	HTTP_H_X_FORWARDED_PROTO,
	HTTP_H_X_FORWARDED_HOST,
	HTTP_H_X_REAL_IP,
	HTTP_H_VIA,
	HTTP_H_DATE,
	HTTP_H_SERVER,
	HTTP_H_LOCATION,
	HTTP_H_USER_AGENT,
	HTTP_H_REFERER,
	HTTP_H_MAX
};

struct http_slice {
	uint32_t	off;		/* from the start of the buffer */
	uint32_t	len;
};

struct http_header {
	struct http_slice	name;
	struct http_slice	value;	/* OWS trimmed on both sides */
	enum http_header_id	id;
	uint32_t		line_off;	/* start of the field line */
	uint32_t		line_len;	/* up to and including CRLF */
};

struct http_limits {
	uint32_t	max_head_bytes;		/* whole head incl. CRLFCRLF */
	uint32_t	max_line_bytes;		/* request/status line */
	uint32_t	max_headers;		/* <= HTTP_MAX_HEADERS_LIMIT */
};

/*
 * A parsed head. Request fields are set by http_parse_request(), response
 * fields by http_parse_response(). Framing flags are derived from the
 * headers after all checks passed.
 */
struct http_head {
	/* request line */
	struct http_slice	method;
	enum http_method	meth;
	struct http_slice	target;		/* as sent */
	enum http_target_form	form;
	struct http_slice	authority;	/* absolute/authority form */
	struct http_slice	path;		/* origin-form part: "/x?y"; for
						   absolute-form with empty path
						   len 0 (caller sends "/") */
	/* status line */
	int			status;		/* 100..599 */
	struct http_slice	reason;

	int			version_minor;	/* HTTP/1.x */
	uint32_t		line_len;	/* first line incl. CRLF */
	uint32_t		head_len;	/* incl. the final CRLF */

	struct http_header	headers[HTTP_MAX_HEADERS_LIMIT];
	uint32_t		nheaders;
	int			host;		/* index in headers, or -1 */

	/* framing, from Content-Length / Transfer-Encoding */
	bool			has_content_length;
	uint64_t		content_length;
	bool			chunked;	/* TE ends in chunked */
	/* Connection header tokens (and HTTP/1.0 defaults not applied) */
	bool			conn_close;
	bool			conn_keep_alive;
	bool			conn_upgrade;
	bool			conn_other;	/* names another token */
	bool			has_upgrade;	/* Upgrade header present */
	bool			expect_continue; /* Expect: 100-continue */
	bool			te_trailers;	/* TE: trailers */

	enum http_error		error;
	int			error_status;	/* 400, 414, 431, 501, 505,
						   502 */
};

/* Scan state kept between calls while a head is incomplete. */
struct http_parser {
	uint32_t	scanned;	/* bytes already searched for the end */
	uint32_t	line_end;	/* end of the start line (after its LF),
					   0 until seen: bounds its length */
};

/*
 * Call http_parser_init() before each message, then parse the same growing
 * buffer until the answer is not HTTP_AGAIN. After HTTP_ERROR only error
 * and error_status are meaningful.
 */
void		 http_parser_init(struct http_parser *);
enum http_result http_parse_request(struct http_parser *, const char *buf,
		    size_t len, const struct http_limits *, struct http_head *);
enum http_result http_parse_response(struct http_parser *, const char *buf,
		    size_t len, const struct http_limits *, struct http_head *);

/* True if the Connection header lists this token (case-insensitive). */
bool		 http_connection_has(const char *buf, const struct http_head *,
		    const char *name, size_t namelen);
bool		 http_slice_eq(const char *buf, struct http_slice,
		    const char *s);	/* case-insensitive */

/*
 * Chunked body decoder (RFC 9112 section 7.1). Feed it the bytes after the
 * head; it returns the next run of body data as a slice of the input and
 * how much input it consumed (framing included). Chunk extensions are
 * validated and dropped; trailer fields are validated like header lines and
 * reported so the caller can forward or drop them.
 */
enum http_chunk_result {
	HTTP_CHUNK_DATA,	/* *data_len bytes of body at *data_off */
	HTTP_CHUNK_AGAIN,	/* consumed what it could; need more input */
	HTTP_CHUNK_TRAILER,	/* one trailer field line at *data_off/len,
				   CRLF included */
	HTTP_CHUNK_DONE,	/* last chunk and the final CRLF consumed */
	HTTP_CHUNK_ERROR	/* bad size, overflow, missing CRLF, bad
				   trailer, extension too long */
};

enum http_chunk_state {
	HTTP_CHUNK_SIZE,	/* reading hex digits */
	HTTP_CHUNK_EXT,		/* after size: extensions up to CRLF */
	HTTP_CHUNK_SIZE_LF,	/* saw CR after size line */
	HTTP_CHUNK_BODY,	/* inside chunk data */
	HTTP_CHUNK_BODY_CR,	/* expecting CR after data */
	HTTP_CHUNK_BODY_LF,	/* expecting LF after data */
	HTTP_CHUNK_TRAILERS,	/* after the last chunk: trailer lines */
	HTTP_CHUNK_END		/* finished */
};

struct http_chunked {
	enum http_chunk_state	state;
	uint64_t		remaining;	/* of the current chunk */
	uint32_t		size_digits;
	uint32_t		ext_bytes;	/* bounded: 4096 */
	uint32_t		trailer_bytes;	/* bounded: 8192 total */
	uint64_t		total;		/* body bytes so far */
	uint32_t		ext_state;	/* where in an extension */
	uint32_t		line_scanned;	/* of a pending trailer line,
						   bytes already searched */
};

void		 http_chunked_init(struct http_chunked *);
/*
 * Decodes from buf[0..len). *consumed is always set. For DATA and TRAILER
 * the slice is relative to buf. Call again with buf + *consumed.
 * A TRAILER line is returned only when it is complete in buf; otherwise
 * AGAIN with *consumed stopping before it (so the caller keeps those bytes).
 */
enum http_chunk_result http_chunked_next(struct http_chunked *,
		    const char *buf, size_t len, size_t *consumed,
		    size_t *data_off, size_t *data_len);

#endif
