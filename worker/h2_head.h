/*
 * An HTTP/2 request head in HTTP/1.1 form (h2_head.c): its fields as
 * libnghttp2 hands them over, written as the request line and header
 * lines the HTTP/1.1 parser reads. No connection, no request: the
 * fuzzer and the unit test drive it as the worker does.
 */
#ifndef WORKER_H2_HEAD_H
#define WORKER_H2_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

enum { H2_PH_METHOD, H2_PH_SCHEME, H2_PH_AUTHORITY, H2_PH_PATH,
    H2_PH_PROTOCOL, H2_PH_MAX };

struct h2_head {
	char		*b;		/* the head, written from the front */
	size_t		 len, room;
	char		*ck;		/* cookie crumbs, joined with "; " */
	size_t		 cklen, ckroom;
	nghttp2_rcbuf	*ph[H2_PH_MAX];	/* pseudo-header fields, held until
					   the request line is written */
	uint32_t	 hlist;		/* the header list's size, as RFC
					   9113 counts it */
	uint32_t	 max_hlist;
	int		 bad_status;	/* refused here: answered so */
	const char	*bad_why;
	bool		 line_done;
	bool		 has_length;	/* content-length was sent */
	bool		 tunnel;	/* extended CONNECT (RFC 8441) */
};

void	h2_head_init(struct h2_head *, char *, size_t, char *, size_t,
	    uint32_t);
void	h2_head_field(struct h2_head *, nghttp2_rcbuf *, nghttp2_rcbuf *);
size_t	h2_head_end(struct h2_head *, bool);
void	h2_head_clear(struct h2_head *);

#endif
