/*
 * What the two halves of HTTP/2 share: h2.c, the connection and its
 * session, and h2_stream.c, a stream's request and its client I/O.
 */
#ifndef WORKER_H2_INT_H
#define WORKER_H2_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "common/ev.h"
#include "worker/conn.h"
#include "worker/h2_head.h"

#define ID_WINDOW	1024	/* stream ids below the newest remembered */
#define H2_NSETTINGS	10	/* SETTINGS ids kept, 1 to 9 */

struct h2;
struct h2_arena;
struct buf;

/* A rate with a burst, for what a client may do so often and no more. */
struct bucket {
	double		 tokens;
	int64_t		 at_ms;
};

/* A stream: a struct conn of its own, first, so the two convert. */
struct h2s {
	struct conn	 c;
	struct h2	*h2;
	int32_t		 id;
	uint32_t	 want;		/* EPOLLIN, EPOLLOUT its request
					   waits for */
	struct buf	*q;		/* response body for DATA frames */
	struct buf	*trail;		/* trailer lines, after the body */
	struct h2_head	 hd;		/* its head while it arrives */
	uint32_t	 head_len;	/* the head written into c.in */
	uint64_t	 body_in;	/* DATA payload received */
	uint64_t	 body_given;	/* window given back for it */
	bool		 head_done;	/* the whole head is in c.in */
	bool		 started;	/* its phases have run */
	bool		 queued;	/* on the run list */
	bool		 final_sent;	/* final HEADERS submitted */
	bool		 out_eof;	/* all of the body is in q */
	bool		 ended;		/* its conn is closed */
	bool		 closed;	/* the session closed it */
	bool		 cancel;	/* the client was too slow */
	bool		 up_shut;	/* tunnel: the backend was told the
					   client is done */
	struct h2s	*prev, *next;	/* the session's streams */
	struct h2s	*run_next;
};

struct h2 {
	struct conn		*c;
	nghttp2_session		*ses;
	struct h2s		*streams;
	size_t			 nstreams;
	struct h2s		*run_head, *run_tail;
	struct ev_timer		 kick;	/* a stream has something to send */
	const uint8_t		*pend;	/* session output not yet in c->out */
	size_t			 pend_len;
	uint32_t		 nrequests;
	int32_t			 last_id;	/* the client's newest stream */
	uint64_t		 seen[ID_WINDOW / 128];	/* which of the odd
						   ids below it it opened */
	struct bucket		 resets;	/* the client's RST_STREAMs */
	struct bucket		 empty;		/* its empty DATA frames */
	bool			 goaway;	/* no new streams */
	bool			 dying;		/* the connection closes */
	bool			 fatal;		/* the session gave up: what
						   is in c->out goes, no more */
	bool			 patch;		/* its SETTINGS not out yet */
	bool			 warned;	/* an attack was logged */
	struct h2_arena		*arena;		/* its allocator's: h2_mem.c */
	int64_t			 idle_since_ms;	/* no stream open since */
	/*
	 * While the connection sleeps (ses NULL), what a new session needs
	 * to go on where the last one stopped: the client's SETTINGS, and
	 * what it has given us to send.
	 */
	uint32_t		 peer[H2_NSETTINGS];
	uint16_t		 peer_set;	/* which ids it sent */
	int32_t			 peer_window;
	uint8_t			 unacked;	/* our SETTINGS not yet
						   acknowledged */
	bool			 resting;	/* idle a moment: asleep once
						   the client's HPACK table is
						   empty */
	bool			 replay;	/* a new session is brought
						   level: callbacks stand by */
	/* Where the client's bytes are in its frames: asleep only
	 * between two, outside a header block (h2_frames_seen()). */
	uint32_t		 fskip;		/* bytes left of a frame */
	uint8_t			 fhdr[9];	/* a frame header, in part */
	uint8_t			 fhdr_len;
	bool			 fcont;		/* CONTINUATION expected */
};

static inline struct h2s *
S(struct conn *c)
{
	return (struct h2s *)(void *)c;
}

/* h2.c: a stream's place in its session. */
void	h2_schedule(struct h2 *);
void	h2_queue(struct h2s *);
void	h2_unqueue(struct h2s *);
void	h2s_free(struct h2s *);
void	h2s_credit(struct h2s *);

/* h2_mem.c: the session's allocator. */
nghttp2_mem h2_mem(struct h2 *);
void	h2_mem_release(struct h2 *, bool);

#endif
