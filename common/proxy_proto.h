/*
 * The PROXY protocol (HAProxy's spec, v1 text and v2 binary): reading the
 * header a load balancer puts before a connection's first byte, and writing
 * one for a backend. Pure functions of their bytes: no socket, no allocation,
 * never a read outside buf[0..len).
 */
#ifndef COMMON_PROXY_PROTO_H
#define COMMON_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/addr.h"

#define PROXY_PROTO_V1_MAX_BYTES	107	/* the spec's, with CRLF */
#define PROXY_PROTO_V2_MIN_BYTES	16	/* signature to length */
/*
 * The largest header we accept: a v2 header with a UNIX address block
 * (16 + 216 bytes) and room for the TLVs real senders add (AWS, GCP, Azure
 * endpoint ids, haproxy's unique id, authority and TLS fields). Anything
 * longer is refused as soon as its length field is read.
 */
#define PROXY_PROTO_MAX_BYTES		1024
/* Room that is always enough for proxy_proto_build_v1() and _v2(). */
#define PROXY_PROTO_BUILD_BYTES		PROXY_PROTO_V1_MAX_BYTES

enum proxy_proto_result {
	PROXY_PROTO_MORE,	/* a valid beginning: read more bytes */
	PROXY_PROTO_DONE,	/* a complete header of info->len bytes */
	PROXY_PROTO_BAD		/* not a valid header: info->why says why */
};

/* Why a header was refused; proxy_proto_why() names each for the log. */
enum proxy_proto_error {
	PROXY_PROTO_OK,
	PROXY_PROTO_ERR_SIGNATURE,	/* neither "PROXY " nor v2's */
	PROXY_PROTO_ERR_V1_LONG,	/* no CRLF within 107 bytes */
	PROXY_PROTO_ERR_V1_CRLF,	/* LF without CR, CR inside */
	PROXY_PROTO_ERR_V1_PROTO,	/* not TCP4, TCP6 or UNKNOWN */
	PROXY_PROTO_ERR_V1_FIELDS,	/* not 4 fields, single spaces */
	PROXY_PROTO_ERR_V1_ADDR,	/* not an address of the family */
	PROXY_PROTO_ERR_V1_PORT,	/* not 0 to 65535, plain digits */
	PROXY_PROTO_ERR_V2_VERSION,	/* version nibble is not 2 */
	PROXY_PROTO_ERR_V2_COMMAND,	/* neither LOCAL nor PROXY */
	PROXY_PROTO_ERR_V2_FAMILY,	/* unknown family or transport */
	PROXY_PROTO_ERR_V2_DGRAM,	/* UDP: we only proxy streams */
	PROXY_PROTO_ERR_V2_LONG,	/* over PROXY_PROTO_MAX_BYTES */
	PROXY_PROTO_ERR_V2_ADDR,	/* shorter than its address block */
	PROXY_PROTO_ERR_V2_TLV		/* a TLV runs past the header */
};

/*
 * What a complete header said. With has_addr, src is the client and dst
 * the address it connected to, and they replace the peer's. Without it
 * (v1 UNKNOWN, v2 LOCAL, v2 UNSPEC, v2 UNIX: a path is no client address)
 * the connection keeps its real peer; family still tells which it was.
 */
struct proxy_proto_info {
	size_t			 len;		/* DONE: bytes to skip */
	int			 version;	/* 1 or 2, once known */
	bool			 local;		/* v2 LOCAL: the proxy's own
						   connection, a health check */
	bool			 has_addr;	/* src and dst are set */
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX
						   or AF_UNSPEC */
	struct addr		 src;
	struct addr		 dst;
	enum proxy_proto_error	 error;		/* BAD: why, as a code */
	const char		*why;		/* BAD: why, static text */
};

/* What the first bytes of a connection can still be. */
enum proxy_proto_kind {
	PROXY_PROTO_UNSURE,	/* a prefix of both or one: read more */
	PROXY_PROTO_V1,		/* starts with "PROXY " */
	PROXY_PROTO_V2,		/* starts with v2's 12-byte signature */
	PROXY_PROTO_NONE	/* cannot be a PROXY protocol header */
};

/*
 * Reads the header at buf[0..len), which may be cut anywhere: MORE until
 * it is whole (never more than PROXY_PROTO_MAX_BYTES), then DONE with its
 * length in info->len; bytes after it are the client's and are not looked
 * at. BAD as soon as the bytes seen cannot begin a valid header, so a
 * garbage line is refused without waiting for the rest of it. Strict: v1
 * fields are separated by single spaces, IPv4 octets and ports have no
 * leading zeros (an octet "010" could mean 8 or 10), v2 TLVs must exactly
 * fill the header (their contents are skipped, except that TLS sub-TLVs are
 * bounds-checked too).
 */
enum proxy_proto_result	 proxy_proto_parse(const char *buf, size_t len,
			    struct proxy_proto_info *info);

/*
 * Whether buf[0..len) starts a PROXY header, for a listener that must refuse
 * anything else: looks at the signature only, so UNSURE is at most 11 bytes
 * long; whether the rest is valid is proxy_proto_parse()'s to say.
 */
enum proxy_proto_kind	 proxy_proto_detect(const char *buf, size_t len);

const char		*proxy_proto_why(enum proxy_proto_error);

/*
 * A header telling a backend that src connected to dst, written to
 * out[0..room) without a NUL; returns its length, or -1 when it does not
 * fit (PROXY_PROTO_BUILD_BYTES always does). When one address is IPv4 and
 * the other IPv6, the IPv4 one is written IPv4-mapped. When src or dst is
 * NULL or not an IP address, v1 says "PROXY UNKNOWN"; v2 says LOCAL when
 * src is NULL (the checker's own connection), else PROXY with family
 * UNSPEC: the backend keeps our address as the client's either way.
 */
ssize_t	proxy_proto_build_v1(const struct addr *src, const struct addr *dst,
	    char *out, size_t room);
ssize_t	proxy_proto_build_v2(const struct addr *src, const struct addr *dst,
	    char *out, size_t room);

#endif
