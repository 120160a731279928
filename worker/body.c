/*
 * The response body, from the upstream or the cache to the client,
 * through fixed buffers: a Content-Length body passes untouched (by
 * splice(2) when long and both sides are plain), any other is decoded and
 * framed by frontd itself. request_step() calls body_send() in REQ_BODY
 * until the response is done or cut.
 *
 * The filters, in order, each taking what the one before it let through:
 *
 *	source		the upstream (read_into) or a cache entry
 *			(cache_body_read), its framing undone: Content-Length,
 *			chunked (plain_next) or the upstream's close
 *	cache store	the identity body (cache_store_plain)
 *	compression	the client's coding (encoder_run, encoder_whole for
 *			a short body), its output stored too
 *			(cache_store_coded)
 *	client framing	as it came, chunked again (rechunk, with the
 *			upstream's trailers) or up to our close
 *
 * send_compressed() runs them all; a response neither stored nor
 * compressed goes from the source to the client's framing
 * (response_body_fill), or by splice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/config.h"
#include "common/ev.h"
#include "common/http_parse.h"
#include "common/log.h"
#include "common/tlsio.h"
#include "worker/accept_encoding.h"
#include "worker/body.h"
#include "worker/buf.h"
#include "worker/cache.h"
#include "worker/compress.h"
#include "worker/conn.h"
#include "worker/proxy.h"
#include "worker/req.h"
#include "worker/req_int.h"
#include "worker/upstream.h"

#define SPLICE_MIN	(16 * 1024)	/* body left worth a splice */
#define SPLICE_CHUNK	(256 * 1024)	/* pipe capacity we ask for */
#define SPARE_PIPES	64
#define TURN_BUDGET	(512 * 1024)	/* bytes per connection per wakeup */
#define COMPRESS_WHOLE_MAX (64 * 1024)	/* compressed in one run */

static enum conn_wait	body_wait(const struct conn *, bool);
static enum step	upstream_cut(struct conn *, ssize_t);
static ssize_t		response_body_fill(struct conn *);
static int		pipe_get(int[2]);
static enum step	splice_response(struct conn *);
static int		plain_next(struct conn *, const char **, size_t *,
			    bool *);
static void		plain_take(struct conn *, size_t);
static ssize_t		source_read(struct conn *);
static enum step	send_compressed(struct conn *);
static bool		has_token_ci(const char *, size_t, const char *);
static bool		inm_lists_weak(const struct req *, const char *,
			    size_t);
static void		not_modified_coding(struct conn *, bool);

/*
 * Pipes for splice(2), reused while empty: a long Content-Length body
 * moves from the upstream socket to the client socket inside the kernel,
 * never copied through our buffers.
 */
static int	spare_pipes[SPARE_PIPES][2];
static int	nspare_pipes;

/*
 * REQ_BODY: the body to the client, as fast as both sides go
 * and no more than TURN_BUDGET bytes a wakeup. Through the encoder or
 * the cache store (send_compressed), by splice, or as it comes with the
 * client's framing.
 */
enum step
body_send(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	ssize_t		 pass, n;
	bool		 blocked = false, progress = false;
	bool		 client_blocked = false;
	uint64_t	 out0 = r->bytes_out;

	if (r->compressing || (r->rc != NULL && r->rc->stored &&
	    !r->from_cache))
		return send_compressed(c);
	client_absorb(c, in_pin(c));
	for (;;) {
		size_t before = r->up_in->start;

		if (r->bytes_out - out0 >= TURN_BUDGET &&
		    !(r->resp_done && buf_len(c->out) == 0)) {
			/* Enough for one turn: let other connections run. */
			client_blocked = true;
			break;
		}

		/* Buffers empty and much left: let the kernel move it. */
		if (r->resp_mode == BODY_LENGTH && buf_len(c->out) == 0 &&
		    c->fd != -1 && c->ssl == NULL && uc != NULL &&
		    uc->ssl == NULL && buf_len(r->up_in) == 0 &&
		    (r->pipe_len > 0 || r->resp_left >= SPLICE_MIN) &&
		    (r->pipe[0] != -1 || pipe_get(r->pipe) == 0))
			return splice_response(c);
		pass = response_body_fill(c);
		if (pass == -1) {
			proxy_warn(c, "invalid chunked response body", NULL);
			c->why = "bad chunked upstream response";
			r->reusable = false;
			return STEP_CLOSE;
		}
		n = client_send(c, r->up_in, (size_t)pass, &blocked,
		    &r->bytes_out);
		if (n == -1)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client write error", io_error(c));
		if (r->bytes_out > r->interim_len)
			r->resp_started = true;
		if (n > 0) {
			progress = true;
			if (r->resp_mode == BODY_LENGTH) {
				r->resp_left -= (uint64_t)n;
				if (r->resp_left == 0)
					r->resp_done = true;
			}
		}
		if (blocked) {
			client_blocked = true;
			conn_nodelay(c);
			break;
		}
		if (r->resp_done && buf_len(c->out) == 0)
			return request_done(c);
		/* Loop while the buffers make progress on their own. */
		if (buf_len(r->up_in) > 0 && (n > 0 || r->up_in->start !=
		    before))
			continue;
		n = source_read(c);
		if (n == -2)
			break;
		if (n == -3)
			return STEP_CLOSE;
		if (n == 0 && r->resp_mode == BODY_CLOSE) {
			r->resp_done = true;
			if (r->rechunk) {
				buf_compact(c->out);
				memcpy(c->out->data + c->out->end,
				    "0\r\n\r\n", 5);
				c->out->end += 5;
			}
			continue;
		}
		if (n <= 0)	/* the client must see a truncated body */
			return upstream_cut(c, n);
		progress = true;
	}
	client_wait(c, client_blocked);
	upstream_watch(uc, client_blocked ? 0 : EPOLLIN);
	if (progress)
		req_wait(c, body_wait(c, client_blocked));
	return STEP_WAIT;
}

/*
 * Whether to compress this response: a 2xx with a body of a listed type,
 * not encoded already, not marked no-transform, not too short. Then it
 * goes out chunked (close-delimited to HTTP/1.0), compressed on the way.
 */
void
body_pick_coding(struct conn *c)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->resp;
	const struct cfg_route	*route = R(c);
	const char		*b = r->up_in->data;
	bool			 type_ok = false, encoded = false;

	for (uint32_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		const char *n = b + f->name.off;

		if (f->name.len == 16 && strncasecmp(n, "content-encoding",
		    16) == 0 && !(f->value.len == 8 && strncasecmp(b +
		    f->value.off, "identity", 8) == 0))
			encoded = true;
		else if (f->name.len == 13 && strncasecmp(n, "cache-control",
		    13) == 0 && has_token_ci(b + f->value.off, f->value.len,
		    "no-transform")) {
			r->coding = CODING_NONE;
			r->vary = false;
			return;
		} else if (f->name.len == 12 && strncasecmp(n, "content-type",
		    12) == 0)
			type_ok = compress_type_ok(route, b + f->value.off,
			    f->value.len);
	}
	if (h->status == 304) {
		not_modified_coding(c, type_ok);
		return;
	}
	if (!type_ok || h->status < 200 || h->status > 203) {
		r->vary = type_ok && h->status >= 200 && h->status < 300;
		r->coding = CODING_NONE;
		return;
	}
	/* Whether it would be compressed for a client that takes it. */
	r->compressible = !encoded && !r->upgrade && !(r->resp_mode ==
	    BODY_LENGTH && r->resp_left < route->compress_min_length);
	if (!r->compressible || r->resp_mode == BODY_NONE)
		r->coding = CODING_NONE;
	if (r->coding == CODING_NONE)
		return;
	/* The encoder itself is taken when there is input for it. */
	r->compressing = r->coded = true;
	counter_add(CNT(c), CNT_COMPRESSED, 1);
	r->rechunk = !r->http10 && c->stream_id == 0;
	if (r->http10)
		c->close_after = true;
}

/*
 * The body of an answer of frontd's own (r->local_body), after its head
 * in c->out: STEP_AGAIN once all of it is sent.
 */
enum step
body_send_local(struct conn *c)
{
	struct req	*r = c->req;
	ssize_t		 n;
	bool		 blocked;

	while (r->local_left > 0) {
		if (c->fd == -1) {
			/* A stream: through c->out, as a buffer at a time. */
			if (c->out == NULL && (c->out = buf_get()) == NULL)
				return client_failed(c, CNT_CLIENT_ABORTS,
				    "out of memory", NULL);
			buf_compact(c->out);
			n = r->local_left < buf_room(c->out) ?
			    (ssize_t)r->local_left : (ssize_t)buf_room(c->out);
			buf_append(c->out, r->local_body, (size_t)n);
			r->local_body += n;
			r->local_left -= (size_t)n;
			if (client_send(c, NULL, 0, &blocked, &r->bytes_out) ==
			    -1)
				return client_failed(c, CNT_CLIENT_ABORTS,
				    "client write error", NULL);
			if (blocked) {
				set_client_events(c, EPOLLOUT);
				return STEP_WAIT;
			}
			req_wait(c, WAIT_SEND);
			continue;
		}
		if (c->ssl != NULL) {
			n = tlsio_write2(c->ssl, r->local_body, r->local_left,
			    NULL, 0);
			c->tls_stuck = n == -2;
			if (n == -2) {
				n = -1;
				errno = EAGAIN;
			}
		} else
			do
				n = write(c->fd, r->local_body, r->local_left);
			while (n == -1 && errno == EINTR);
		if (n == -1 && errno == EAGAIN) {
			set_client_events(c, EPOLLOUT);
			return STEP_WAIT;
		}
		if (n <= 0)
			return client_failed(c, CNT_CLIENT_ABORTS,
			    "client write error", n == -1 ? io_error(c) :
			    NULL);
		r->local_body += n;
		r->local_left -= (size_t)n;
		r->bytes_out += (uint64_t)n;
		req_wait(c, WAIT_SEND);
	}
	return STEP_AGAIN;
}

/* A request's splice pipe back to the spares, or closed if not empty. */
void
body_pipe_put(int p[2], size_t len)
{
	if (p[0] == -1)
		return;
	if (len == 0 && nspare_pipes < SPARE_PIPES) {
		spare_pipes[nspare_pipes][0] = p[0];
		spare_pipes[nspare_pipes][1] = p[1];
		nspare_pipes++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

/*
 * Waiting for more of the response body: from the upstream, or, from the
 * cache, for the client to take what fills the buffer.
 */
static enum conn_wait
body_wait(const struct conn *c, bool client_blocked)
{
	return client_blocked || c->req->from_cache ? WAIT_SEND :
	    WAIT_UP_READ;
}

/*
 * The upstream closed (n == 0) or failed (-1) with the response body not
 * all there: the client's connection is cut, never ended as if whole.
 */
static enum step
upstream_cut(struct conn *c, ssize_t n)
{
	proxy_warn(c, "closed in the middle of the response", n == -1 ?
	    strerror(errno) : NULL);
	c->why = "upstream closed during the response";
	c->req->reusable = false;
	return STEP_CLOSE;
}

/*
 * Moves response bytes from up_in towards the client: returns how many may
 * be passed through as they are; chunked or close-delimited bodies for an
 * HTTP/1.1 client are framed into c->out. -1: bad chunked response.
 */
static ssize_t
response_body_fill(struct conn *c)
{
	struct req		*r = c->req;
	struct buf		*in = r->up_in, *o = c->out;
	size_t			 len, room;

	if (r->resp_done)
		return 0;
	switch (r->resp_mode) {
	case BODY_LENGTH:
		len = buf_len(in);
		return (ssize_t)(r->resp_left < len ? r->resp_left : len);
	case BODY_CLOSE:
		if (!r->rechunk)
			return (ssize_t)buf_len(in);
		buf_compact(o);
		room = buf_room(o);
		len = buf_len(in);
		if (len == 0 || room <= CHUNK_FRAME_MAX)
			return 0;
		if (len > room - CHUNK_FRAME_MAX)
			len = room - CHUNK_FRAME_MAX;
		chunk_put(o, in->data + in->start, len);
		in->start += len;
		return 0;
	case BODY_CHUNKED:
		/*
		 * Trailers go to an HTTP/1.1 client inside chunked framing,
		 * to an HTTP/2 one apart, as HEADERS after the body.
		 */
		if (c->stream_id != 0 && r->trail == NULL &&
		    (r->trail = buf_get()) == NULL)
			return -1;
		return chunked_relay(&r->resp_chunk, in, o, r->rechunk,
		    r->rechunk ? o : r->trail, &r->trailers, &r->resp_done) ==
		    -1 ? -1 : 0;
	default:
		return 0;
	}
}

static int
pipe_get(int p[2])
{
	if (nspare_pipes > 0) {
		nspare_pipes--;
		p[0] = spare_pipes[nspare_pipes][0];
		p[1] = spare_pipes[nspare_pipes][1];
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	/* Fewer, larger moves; the default of 64K is fine where refused. */
	fcntl(p[1], F_SETPIPE_SZ, SPLICE_CHUNK);
	return 0;
}

/* The rest of a Content-Length body, by splice: upstream -> pipe -> client. */
static enum step
splice_response(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	ssize_t		 n;
	bool		 cblk = false, progress = false, yielded = false;
	uint64_t	 out0 = r->bytes_out;

	for (;;) {
		if (r->pipe_len == 0 && r->resp_left == 0) {
			r->resp_done = true;
			return request_done(c);
		}
		if (r->bytes_out - out0 >= TURN_BUDGET) {
			/*
			 * Yield, waiting for what the next step needs: epoll
			 * is level-triggered, so a ready side wakes us at
			 * once, after the others had their turn. (Never with
			 * the body complete: nothing would wake us.)
			 */
			yielded = true;
			break;
		}
		if (r->pipe_len > 0) {
			n = splice(r->pipe[0], NULL, c->fd, NULL, r->pipe_len,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				cblk = true;
				conn_nodelay(c);
				break;
			}
			if (n <= 0)
				return client_failed(c, CNT_CLIENT_ABORTS,
				    "client write error", n == -1 ?
				    strerror(errno) : NULL);
			r->pipe_len -= (size_t)n;
			r->bytes_out += (uint64_t)n;
			progress = true;
			continue;
		}
		n = splice(uc->fd, NULL, r->pipe[1], NULL, r->resp_left <
		    SPLICE_CHUNK ? (size_t)r->resp_left : SPLICE_CHUNK,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0)
			return upstream_cut(c, n);
		r->resp_left -= (uint64_t)n;
		r->pipe_len += (size_t)n;
		progress = true;
	}
	if (yielded)
		cblk = r->pipe_len > 0;
	client_wait(c, cblk);
	upstream_watch(uc, cblk ? 0 : EPOLLIN);
	if (progress)
		req_wait(c, body_wait(c, cblk));
	return STEP_WAIT;
}

/*
 * The plain body bytes waiting: in up_in (Content-Length or close
 * delimited), or decoded from chunks into r->plain. *in_done: none will
 * follow once these are taken.
 */
static int
plain_next(struct conn *c, const char **p, size_t *len, bool *in_done)
{
	struct req	*r = c->req;
	struct buf	*in = r->up_in;

	*in_done = false;
	switch (r->resp_mode) {
	case BODY_LENGTH:
		*p = in->data + in->start;
		*len = buf_len(in) < r->resp_left ? buf_len(in) :
		    (size_t)r->resp_left;
		*in_done = *len == r->resp_left;
		return 0;
	case BODY_CHUNKED:
		if (r->plain == NULL && (r->plain = buf_get()) == NULL)
			return -1;
		if (chunked_relay(&r->resp_chunk, in, r->plain, false, NULL,
		    NULL, &r->plain_done) == -1)
			return -1;
		*p = r->plain->data + r->plain->start;
		*len = buf_len(r->plain);
		*in_done = r->plain_done;
		return 0;
	default:	/* BODY_CLOSE: the end is the upstream's close */
		*p = in->data + in->start;
		*len = buf_len(in);
		*in_done = r->plain_done;
		return 0;
	}
}

static void
plain_take(struct conn *c, size_t n)
{
	struct req	*r = c->req;

	if (r->resp_mode == BODY_CHUNKED) {
		r->plain->start += n;
		if (r->plain->start == r->plain->end)
			r->plain->start = r->plain->end = 0;
		return;
	}
	r->up_in->start += n;
	if (r->resp_mode == BODY_LENGTH)
		r->resp_left -= n;
}

/*
 * More response body: from the upstream, or from the cache. -3: the
 * cached entry was evicted under us.
 */
static ssize_t
source_read(struct conn *c)
{
	struct req	*r = c->req;
	ssize_t		 n;

	if (!r->from_cache)
		return read_into(r->uc->fd, r->uc->ssl, r->up_in, 0);
	if ((n = cache_body_read(c)) == -1) {
		c->why = "cache entry evicted while read";
		return -3;
	}
	return n;
}

/*
 * A compressed response: plain bytes from the upstream through the
 * encoder into chunks in c->out. When the upstream has nothing more for
 * now, the encoder is flushed, so a slowly made page reaches the client
 * as it comes.
 */
static enum step
send_compressed(struct conn *c)
{
	struct req	*r = c->req;
	struct upconn	*uc = r->uc;
	char		 z[16384];
	static char	 whole[COMPRESS_WHOLE_MAX + 1024];
	const char	*p;
	size_t		 len, used;
	ssize_t		 n;
	bool		 blocked, in_done, more;
	uint64_t	 out0 = r->bytes_out;
	enum enc_op	 op;

	client_absorb(c, in_pin(c));
	for (;;) {
		/*
		 * The head waits for the body when all of it will come in
		 * one run: one write, where a lone head then the body meet
		 * the client's delayed ACK.
		 */
		if (buf_len(c->out) > 0 && !(r->bytes_out == r->interim_len &&
		    r->compressing && r->encoder == NULL && !r->resp_done &&
		    r->resp_mode == BODY_LENGTH && r->resp_left <=
		    COMPRESS_WHOLE_MAX)) {
			if (client_send(c, NULL, 0, &blocked,
			    &r->bytes_out) == -1)
				return client_failed(c, CNT_CLIENT_ABORTS,
				    "client write error", io_error(c));
			if (r->bytes_out > r->interim_len)
				r->resp_started = true;
			if (blocked) {
				conn_nodelay(c);
				client_wait(c, true);
				upstream_watch(uc, 0);
				req_wait(c, WAIT_SEND);
				return STEP_WAIT;
			}
		}
		if (r->resp_done)
			return request_done(c);
		if (r->bytes_out - out0 >= TURN_BUDGET) {
			/* Let other connections run; back when writable. */
			client_wait(c, true);
			upstream_watch(uc, 0);
			return STEP_WAIT;
		}
		buf_compact(c->out);
		if (plain_next(c, &p, &len, &in_done) == -1) {
			proxy_warn(c, "invalid chunked response body", NULL);
			c->why = "bad chunked upstream response";
			r->reusable = false;
			return STEP_CLOSE;
		}
		/* Room for a full output chunk, or send first. */
		if (buf_room(c->out) < sizeof(z) + CHUNK_FRAME_MAX + 5)
			continue;
		/*
		 * A short body of known length: all of it first, then one
		 * run of the encoder, which goes back to the pool at once
		 * and stays warm in the CPU cache for the next response.
		 */
		if (r->compressing && r->encoder == NULL && !in_done &&
		    r->resp_mode == BODY_LENGTH && r->resp_left <=
		    COMPRESS_WHOLE_MAX) {
			buf_compact(r->up_in);
			n = source_read(c);
			goto got_input;
		}
		if (!r->compressing && (len > 0 || in_done)) {
			/* Stored as it goes: the body as it is. */
			used = len < sizeof(z) ? len : sizeof(z);
			if (used > 0) {
				cache_store_plain(c, p, used);
				if (r->rechunk)
					chunk_put(c->out, p, used);
				else
					buf_append(c->out, p, used);
				plain_take(c, used);
			}
			if (in_done && used == len && (r->resp_mode !=
			    BODY_CHUNKED || buf_len(r->plain) == 0)) {
				if (r->rechunk)
					buf_append(c->out, "0\r\n\r\n", 5);
				r->resp_done = true;
			}
			continue;
		}
		if (r->compressing && r->encoder == NULL && in_done &&
		    len <= COMPRESS_WHOLE_MAX && (n = encoder_whole(
		    (enum coding)r->coding, R(c), p, len, whole,
		    sizeof(whole))) > 0 && (size_t)n + CHUNK_FRAME_MAX + 5 <=
		    buf_room(c->out)) {
			/* All of it here, nothing encoded yet: one call. */
			if (r->rc != NULL) {
				cache_store_plain(c, p, len);
				cache_store_coded(c, whole, (size_t)n);
			}
			plain_take(c, len);
			if (r->rechunk) {
				chunk_put(c->out, whole, (size_t)n);
				buf_append(c->out, "0\r\n\r\n", 5);
			} else
				buf_append(c->out, whole, (size_t)n);
			r->resp_done = true;
			continue;
		}
		if (r->compressing && (r->enc_more || len > 0 || in_done ||
		    !r->enc_flushed)) {
			op = in_done ? ENC_FINISH : len > 0 ? ENC_PROCESS :
			    ENC_FLUSH;
			/*
			 * Output still in the encoder comes out first, from
			 * the same kind of call and no new input: Brotli
			 * takes none until a flush is out. A finish goes on
			 * with the input it has not taken yet (zlib and Brotli
			 * both want it again, unchanged); without it the
			 * stream would end short.
			 */
			if (r->enc_more) {
				op = (enum enc_op)r->enc_op;
				if (op != ENC_FINISH)
					len = 0;
			} else if (len == 0 && !in_done) {
				/* Flush only once input has paused. */
				n = source_read(c);
				if (n != -2)
					goto got_input;
			}
			if (r->encoder == NULL && (r->encoder = encoder_new(
			    (enum coding)r->coding, R(c))) == NULL) {
				log_warn("conn=%llu no memory to compress a "
				    "response", (unsigned long long)c->id);
				c->why = "no memory to compress";
				r->reusable = false;
				return STEP_CLOSE;
			}
			n = encoder_run(r->encoder, p, len, &used, op, z,
			    sizeof(z), &more);
			if (n == -1) {
				c->why = "compression failed";
				r->reusable = false;
				return STEP_CLOSE;
			}
			if (r->rc != NULL) {
				cache_store_plain(c, p, used);
				cache_store_coded(c, z, (size_t)n);
			}
			plain_take(c, used);
			if (n > 0) {
				if (r->rechunk)
					chunk_put(c->out, z, (size_t)n);
				else
					buf_append(c->out, z, (size_t)n);
			}
			r->enc_more = more;
			r->enc_op = (uint8_t)op;
			if (op == ENC_FLUSH && !more)
				r->enc_flushed = true;
			else if (len > 0)
				r->enc_flushed = false;
			if (op == ENC_FINISH && !more && in_done &&
			    used == len && (r->resp_mode != BODY_CHUNKED ||
			    buf_len(r->plain) == 0)) {
				if (r->rechunk)
					buf_append(c->out, "0\r\n\r\n", 5);
				r->resp_done = true;
				/* Back to the pool while it is warm. */
				encoder_free(r->encoder);
				r->encoder = NULL;
			}
			continue;
		}
		n = source_read(c);
got_input:
		if (n == -3)
			return STEP_CLOSE;
		if (n == -2) {
			client_wait(c, false);
			upstream_watch(uc, EPOLLIN);
			req_wait(c, body_wait(c, false));
			return STEP_WAIT;
		}
		if (n == 0 && r->resp_mode == BODY_CLOSE) {
			r->plain_done = true;
			continue;
		}
		if (n <= 0)
			return upstream_cut(c, n);
		req_wait(c, body_wait(c, false));
	}
}

/* Whether v holds word, in any case (directive names, RFC 9111 5.2). */
static bool
has_token_ci(const char *v, size_t len, const char *word)
{
	size_t	wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++)
		if (strncasecmp(v + i, word, wl) == 0)
			return true;
	return false;
}

/*
 * Whether the client's If-None-Match (r->inm) lists the strong entity-tag
 * tag as a weak one: W/"x" for "x", the ETag frontd gives what it
 * compresses. Quoted tags may hold commas.
 */
static bool
inm_lists_weak(const struct req *r, const char *tag, size_t len)
{
	const char	*p = r->inm, *end = r->inm + r->inm_len, *s;
	bool		 weak;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		weak = end - p >= 2 && p[0] == 'W' && p[1] == '/';
		if (weak)
			p += 2;
		s = p;
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++)
				;
			if (p < end)
				p++;
		}
		if (weak && (size_t)(p - s) == len && memcmp(s, tag, len) == 0)
			return true;
		while (p < end && *p != ',')
			p++;
	}
	return false;
}

/*
 * A 304 stands for the 200 the client holds (RFC 9110 15.4.5), so it
 * carries the ETag and Vary that one had. From the cache, that is the
 * 200 this client would get now: compressed when it takes a coding and
 * the entry is compressible (weak ETag, Vary), or not (Vary all the
 * same). From the upstream, the request tells: a client that asks with
 * W/"x" for the server's "x" holds what frontd compressed. type_ok: the
 * 304 (from the cache: the stored head) has a type frontd compresses.
 */
static void
not_modified_coding(struct conn *c, bool type_ok)
{
	struct req		*r = c->req;
	const struct http_head	*h = &r->resp;
	const char		*b = r->up_in->data;
	bool			 z;

	if (r->from_cache) {
		z = (r->rc->found.meta.flags & CMF_COMPRESSIBLE) != 0;
		r->weak_etag = z && r->coding != CODING_NONE;
		r->vary = z || type_ok;
	} else {
		for (uint32_t i = 0; i < h->nheaders && r->inm_len > 0; i++) {
			const struct http_header *f = &h->headers[i];

			if (f->name.len == 4 && strncasecmp(b + f->name.off,
			    "etag", 4) == 0 && f->value.len > 0 &&
			    b[f->value.off] == '"')
				r->weak_etag = inm_lists_weak(r, b +
				    f->value.off, f->value.len);
		}
		r->vary = r->weak_etag || type_ok;
	}
	r->coding = CODING_NONE;
}
