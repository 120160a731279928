/*
 * PROXY protocol headers, v1 and v2, read and written. The reader is
 * resumable by re-running it on a longer buffer, and every prefix of a valid
 * header is MORE, never BAD: it refuses only what no further byte can fix.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/proxy_proto.h"

#define V1_MAGIC	"PROXY "
#define V1_MAGIC_LEN	6
#define V2_SIG		"\r\n\r\n\0\r\nQUIT\n"
#define V2_SIG_LEN	12

#define V2_VERSION	0x20
#define V2_CMD_LOCAL	0x00
#define V2_CMD_PROXY	0x01
#define V2_AF_UNSPEC	0x00
#define V2_AF_INET	0x10
#define V2_AF_INET6	0x20
#define V2_AF_UNIX	0x30
#define V2_STREAM	0x01
#define V2_DGRAM	0x02

#define V2_INET_BYTES	12	/* two addresses of 4, two ports */
#define V2_INET6_BYTES	36	/* two addresses of 16, two ports */
#define V2_UNIX_BYTES	216	/* two paths of 108 */

#define V2_TYPE_SSL	0x20	/* client (1), verify (4), sub-TLVs */
#define V2_SSL_FIXED	5

#define V4_MAXLEN	15	/* "255.255.255.255" */
#define V6_MAXLEN	45	/* six groups and a dotted quad */
#define PORT_MAXLEN	5

_Static_assert(PROXY_PROTO_MAX_BYTES >= PROXY_PROTO_V2_MIN_BYTES +
    V2_UNIX_BYTES, "a v2 header with a UNIX address block must fit");
_Static_assert(PROXY_PROTO_MAX_BYTES <= PROXY_PROTO_V2_MIN_BYTES + 0xffff,
    "v2's length field is 16 bits");

/* The v1 fields after the protocol name: src, dst, sport, dport. */
enum v1_field { V1_SRC, V1_DST, V1_SPORT, V1_DPORT, V1_NFIELDS };

static enum proxy_proto_result	 bad(struct proxy_proto_info *,
				    enum proxy_proto_error);
static enum proxy_proto_result	 v1_parse(const char *, size_t,
				    struct proxy_proto_info *);
static enum proxy_proto_error	 v1_line(const char *, size_t, bool,
				    struct proxy_proto_info *);
static enum proxy_proto_error	 v1_field(const char *, size_t, int,
				    enum v1_field, bool,
				    struct proxy_proto_info *);
static enum proxy_proto_result	 v2_parse(const unsigned char *, size_t,
				    struct proxy_proto_info *);
static enum proxy_proto_error	 v2_tlvs(const unsigned char *, size_t,
				    bool);
static bool			 v4_parse(const char *, size_t,
				    unsigned char[4]);
static int			 port_parse(const char *, size_t);
static size_t			 span(const char *, size_t, const char *);
static void			 addr_set(struct addr *, int, const void *,
				    int);
static size_t			 v2_put_addr(unsigned char *,
				    const struct addr *, int);
static int			 ip_family(const struct addr *);

static const char *const errors[] = {
	[PROXY_PROTO_OK] = "ok",
	[PROXY_PROTO_ERR_SIGNATURE] = "not a PROXY protocol header",
	[PROXY_PROTO_ERR_V1_LONG] = "PROXY v1 line longer than 107 bytes",
	[PROXY_PROTO_ERR_V1_CRLF] = "PROXY v1 line not ended by CRLF",
	[PROXY_PROTO_ERR_V1_PROTO] =
	    "PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN",
	[PROXY_PROTO_ERR_V1_FIELDS] =
	    "PROXY v1 line is not 4 fields after single spaces",
	[PROXY_PROTO_ERR_V1_ADDR] = "PROXY v1 address is not valid",
	[PROXY_PROTO_ERR_V1_PORT] = "PROXY v1 port is not 0 to 65535",
	[PROXY_PROTO_ERR_V2_VERSION] = "PROXY v2 header of another version",
	[PROXY_PROTO_ERR_V2_COMMAND] =
	    "PROXY v2 command is neither LOCAL nor PROXY",
	[PROXY_PROTO_ERR_V2_FAMILY] =
	    "PROXY v2 address family or transport is unknown",
	[PROXY_PROTO_ERR_V2_DGRAM] =
	    "PROXY v2 datagram connection (only streams are proxied)",
	[PROXY_PROTO_ERR_V2_LONG] = "PROXY v2 header longer than 1024 bytes",
	[PROXY_PROTO_ERR_V2_ADDR] =
	    "PROXY v2 header shorter than its address block",
	[PROXY_PROTO_ERR_V2_TLV] = "PROXY v2 TLV runs past the header"
};
_Static_assert(PROXY_PROTO_MAX_BYTES == 1024,
    "the PROXY_PROTO_ERR_V2_LONG text names the limit");
_Static_assert(sizeof(errors) / sizeof(errors[0]) ==
    PROXY_PROTO_ERR_V2_TLV + 1, "a text for every error");

enum proxy_proto_result
proxy_proto_parse(const char *buf, size_t len, struct proxy_proto_info *info)
{
	memset(info, 0, sizeof(*info));
	info->family = AF_UNSPEC;
	info->why = errors[PROXY_PROTO_OK];
	switch (proxy_proto_detect(buf, len)) {
	case PROXY_PROTO_UNSURE:
		return PROXY_PROTO_MORE;
	case PROXY_PROTO_V1:
		info->version = 1;
		return v1_parse(buf, len, info);
	case PROXY_PROTO_V2:
		info->version = 2;
		return v2_parse((const unsigned char *)buf, len, info);
	case PROXY_PROTO_NONE:
		break;
	}
	return bad(info, PROXY_PROTO_ERR_SIGNATURE);
}

enum proxy_proto_kind
proxy_proto_detect(const char *buf, size_t len)
{
	if (len == 0)
		return PROXY_PROTO_UNSURE;
	if (len >= V1_MAGIC_LEN && memcmp(buf, V1_MAGIC, V1_MAGIC_LEN) == 0)
		return PROXY_PROTO_V1;
	if (len >= V2_SIG_LEN && memcmp(buf, V2_SIG, V2_SIG_LEN) == 0)
		return PROXY_PROTO_V2;
	if (len < V1_MAGIC_LEN && memcmp(buf, V1_MAGIC, len) == 0)
		return PROXY_PROTO_UNSURE;
	if (len < V2_SIG_LEN && memcmp(buf, V2_SIG, len) == 0)
		return PROXY_PROTO_UNSURE;
	return PROXY_PROTO_NONE;
}

const char *
proxy_proto_why(enum proxy_proto_error e)
{
	if ((size_t)e >= sizeof(errors) / sizeof(errors[0]))
		return "?";
	return errors[e];
}

ssize_t
proxy_proto_build_v1(const struct addr *src, const struct addr *dst,
    char *out, size_t room)
{
	char		 line[PROXY_PROTO_V1_MAX_BYTES + 1];
	char		 s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct addr	 s6, d6;
	int		 family, n;

	if ((family = ip_family(src)) == AF_UNSPEC ||
	    ip_family(dst) == AF_UNSPEC)
		n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");
	else {
		/* One of them IPv4, the other IPv6: both go as IPv6. */
		if (family != ip_family(dst))
			family = AF_INET6;
		s6 = *src;
		d6 = *dst;
		if (family == AF_INET6) {
			unsigned char	 a[16];

			v2_put_addr(a, src, AF_INET6);
			addr_set(&s6, AF_INET6, a, addr_port(src));
			v2_put_addr(a, dst, AF_INET6);
			addr_set(&d6, AF_INET6, a, addr_port(dst));
		}
		addr_format_ip(&s6, s, sizeof(s));
		addr_format_ip(&d6, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY %s %s %s %d %d\r\n",
		    family == AF_INET ? "TCP4" : "TCP6", s, d,
		    addr_port(&s6), addr_port(&d6));
	}
	if (n < 0 || (size_t)n >= sizeof(line) || (size_t)n > room)
		return -1;
	memcpy(out, line, n);
	return n;
}

ssize_t
proxy_proto_build_v2(const struct addr *src, const struct addr *dst,
    char *out, size_t room)
{
	unsigned char	 h[PROXY_PROTO_V2_MIN_BYTES + V2_INET6_BYTES];
	unsigned char	*p = h + PROXY_PROTO_V2_MIN_BYTES;
	int		 family;
	size_t		 n;

	memcpy(h, V2_SIG, V2_SIG_LEN);
	h[12] = V2_VERSION | V2_CMD_PROXY;
	if (src == NULL) {
		h[12] = V2_VERSION | V2_CMD_LOCAL;
		h[13] = V2_AF_UNSPEC;
	} else if ((family = ip_family(src)) == AF_UNSPEC ||
	    ip_family(dst) == AF_UNSPEC)
		h[13] = V2_AF_UNSPEC;
	else {
		if (family != ip_family(dst))
			family = AF_INET6;
		h[13] = (family == AF_INET ? V2_AF_INET : V2_AF_INET6) |
		    V2_STREAM;
		p += v2_put_addr(p, src, family);
		p += v2_put_addr(p, dst, family);
		*p++ = (unsigned char)(addr_port(src) >> 8);
		*p++ = (unsigned char)addr_port(src);
		*p++ = (unsigned char)(addr_port(dst) >> 8);
		*p++ = (unsigned char)addr_port(dst);
	}
	n = (size_t)(p - h);
	h[14] = (unsigned char)((n - PROXY_PROTO_V2_MIN_BYTES) >> 8);
	h[15] = (unsigned char)(n - PROXY_PROTO_V2_MIN_BYTES);
	if (n > room)
		return -1;
	memcpy(out, h, n);
	return (ssize_t)n;
}

static enum proxy_proto_result
bad(struct proxy_proto_info *info, enum proxy_proto_error e)
{
	info->error = e;
	info->why = errors[e];
	info->has_addr = false;
	info->local = false;
	info->family = AF_UNSPEC;
	info->len = 0;
	return PROXY_PROTO_BAD;
}

/*
 * v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
 * at most 107 bytes. Until the LF, what is there is checked as far as it
 * goes, so a line of garbage is refused without waiting for 107 bytes.
 */
static enum proxy_proto_result
v1_parse(const char *buf, size_t len, struct proxy_proto_info *info)
{
	const char		*lf;
	size_t			 n;
	enum proxy_proto_error	 e;

	n = len < PROXY_PROTO_V1_MAX_BYTES ? len : PROXY_PROTO_V1_MAX_BYTES;
	if ((lf = memchr(buf, '\n', n)) == NULL) {
		if (len >= PROXY_PROTO_V1_MAX_BYTES)
			return bad(info, PROXY_PROTO_ERR_V1_LONG);
		/* A CR at the end may be the start of the CRLF. */
		if (n > 0 && buf[n - 1] == '\r')
			n--;
		if ((e = v1_line(buf, n, false, info)) != PROXY_PROTO_OK)
			return bad(info, e);
		return PROXY_PROTO_MORE;
	}
	n = lf - buf;
	if (buf[n - 1] != '\r')
		return bad(info, PROXY_PROTO_ERR_V1_CRLF);
	if ((e = v1_line(buf, n - 1, true, info)) != PROXY_PROTO_OK)
		return bad(info, e);
	info->len = n + 1;
	return PROXY_PROTO_DONE;
}

/*
 * The line s[0..n) without its CRLF, starting with "PROXY ". When not
 * complete, s is what arrived so far and must be the start of a valid
 * line; when complete, the whole of one, whose addresses go into info.
 */
static enum proxy_proto_error
v1_line(const char *s, size_t n, bool complete, struct proxy_proto_info *info)
{
	static const struct {
		const char	*name;
		size_t		 len;
		int		 family;
	} protos[] = {
		{ "TCP4", 4, AF_INET },
		{ "TCP6", 4, AF_INET6 },
		{ "UNKNOWN", 7, AF_UNSPEC }
	};
	const char		*p, *end = s + n, *sp;
	size_t			 i, tl;
	int			 family = -1, f;
	enum proxy_proto_error	 e;

	p = s + V1_MAGIC_LEN;
	sp = memchr(p, ' ', end - p);
	tl = (sp != NULL ? sp : end) - p;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (tl > protos[i].len ||
		    memcmp(p, protos[i].name, tl) != 0)
			continue;
		if (tl == protos[i].len) {
			family = protos[i].family;
			break;
		}
		/* A proper prefix: fine while more may come. */
		if (sp == NULL && !complete)
			return PROXY_PROTO_OK;
	}
	if (family == -1)
		return PROXY_PROTO_ERR_V1_PROTO;
	if (family == AF_UNSPEC) {
		/* The spec: whatever follows UNKNOWN up to CRLF is ignored. */
		return PROXY_PROTO_OK;
	}
	if (sp == NULL)
		return complete ? PROXY_PROTO_ERR_V1_FIELDS : PROXY_PROTO_OK;

	p = sp + 1;
	for (f = V1_SRC; f < V1_NFIELDS; f++) {
		sp = memchr(p, ' ', end - p);
		if (sp == NULL) {
			/* The last field seen: complete only if DPORT. */
			if (complete && f != V1_DPORT)
				return PROXY_PROTO_ERR_V1_FIELDS;
			return v1_field(p, end - p, family, f,
			    complete, info);
		}
		if ((e = v1_field(p, sp - p, family, f, true, info)) !=
		    PROXY_PROTO_OK)
			return e;
		p = sp + 1;
	}
	return PROXY_PROTO_ERR_V1_FIELDS;	/* a space after DPORT */
}

/*
 * One field s[0..n) of the line. A field that may still grow is only
 * checked for what its characters and length already rule out.
 */
static enum proxy_proto_error
v1_field(const char *s, size_t n, int family, enum v1_field f, bool complete,
    struct proxy_proto_info *info)
{
	const char	*chars;
	char		 tmp[V6_MAXLEN + 1];
	unsigned char	 a[16];
	size_t		 maxlen;
	struct addr	*to = f == V1_SRC || f == V1_SPORT ? &info->src :
			    &info->dst;
	int		 port;

	if (f == V1_SPORT || f == V1_DPORT) {
		if (n == 0)
			return complete ? PROXY_PROTO_ERR_V1_FIELDS :
			    PROXY_PROTO_OK;
		if (n > PORT_MAXLEN || span(s, n, "0123456789") < n ||
		    (n > 1 && s[0] == '0'))
			return PROXY_PROTO_ERR_V1_PORT;
		if (!complete)
			return PROXY_PROTO_OK;
		if ((port = port_parse(s, n)) == -1)
			return PROXY_PROTO_ERR_V1_PORT;
		/* The addresses are set: ports go into them. */
		if (to->ss.ss_family == AF_INET)
			((struct sockaddr_in *)&to->ss)->sin_port =
			    htons(port);
		else
			((struct sockaddr_in6 *)&to->ss)->sin6_port =
			    htons(port);
		if (f == V1_DPORT) {
			info->has_addr = true;
			info->family = family;
		}
		return PROXY_PROTO_OK;
	}

	if (n == 0)
		return complete ? PROXY_PROTO_ERR_V1_FIELDS : PROXY_PROTO_OK;
	chars = family == AF_INET ? "0123456789." :
	    "0123456789abcdefABCDEF:.";
	maxlen = family == AF_INET ? V4_MAXLEN : V6_MAXLEN;
	if (n > maxlen || span(s, n, chars) < n)
		return PROXY_PROTO_ERR_V1_ADDR;
	if (!complete)
		return PROXY_PROTO_OK;
	if (family == AF_INET) {
		if (!v4_parse(s, n, a))
			return PROXY_PROTO_ERR_V1_ADDR;
	} else {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, a) != 1)
			return PROXY_PROTO_ERR_V1_ADDR;
	}
	addr_set(to, family, a, 0);
	return PROXY_PROTO_OK;
}

/*
 * v2: the signature, version and command, family and transport, a 16-bit
 * length, then the address block and TLVs that fill that length exactly.
 */
static enum proxy_proto_result
v2_parse(const unsigned char *b, size_t len, struct proxy_proto_info *info)
{
	size_t		 total, alen;
	int		 family;
	const unsigned char *a;
	enum proxy_proto_error e;

	if (len > V2_SIG_LEN && (b[12] & 0xf0) != V2_VERSION)
		return bad(info, PROXY_PROTO_ERR_V2_VERSION);
	if (len > V2_SIG_LEN && (b[12] & 0x0f) != V2_CMD_LOCAL &&
	    (b[12] & 0x0f) != V2_CMD_PROXY)
		return bad(info, PROXY_PROTO_ERR_V2_COMMAND);
	if (len <= V2_SIG_LEN + 1)
		return PROXY_PROTO_MORE;

	/* LOCAL: the spec says to ignore the family and addresses. */
	if ((b[12] & 0x0f) == V2_CMD_LOCAL) {
		family = AF_UNSPEC;
		alen = 0;
	} else if (b[13] == V2_AF_UNSPEC) {
		family = AF_UNSPEC;
		alen = 0;
	} else {
		if ((b[13] & 0x0f) == V2_DGRAM)
			return bad(info, PROXY_PROTO_ERR_V2_DGRAM);
		if ((b[13] & 0x0f) != V2_STREAM)
			return bad(info, PROXY_PROTO_ERR_V2_FAMILY);
		switch (b[13] & 0xf0) {
		case V2_AF_INET:
			family = AF_INET;
			alen = V2_INET_BYTES;
			break;
		case V2_AF_INET6:
			family = AF_INET6;
			alen = V2_INET6_BYTES;
			break;
		case V2_AF_UNIX:
			family = AF_UNIX;
			alen = V2_UNIX_BYTES;
			break;
		default:
			return bad(info, PROXY_PROTO_ERR_V2_FAMILY);
		}
	}
	if (len < PROXY_PROTO_V2_MIN_BYTES)
		return PROXY_PROTO_MORE;

	total = PROXY_PROTO_V2_MIN_BYTES + ((size_t)b[14] << 8 | b[15]);
	if (total > PROXY_PROTO_MAX_BYTES)
		return bad(info, PROXY_PROTO_ERR_V2_LONG);
	if (total < PROXY_PROTO_V2_MIN_BYTES + alen)
		return bad(info, PROXY_PROTO_ERR_V2_ADDR);
	if (len < total)
		return PROXY_PROTO_MORE;

	if ((b[12] & 0x0f) == V2_CMD_LOCAL) {
		info->local = true;
		info->len = total;
		return PROXY_PROTO_DONE;
	}
	a = b + PROXY_PROTO_V2_MIN_BYTES;
	if ((e = v2_tlvs(a + alen, total - PROXY_PROTO_V2_MIN_BYTES - alen,
	    false)) != PROXY_PROTO_OK)
		return bad(info, e);
	info->family = family;
	if (family == AF_INET) {
		addr_set(&info->src, AF_INET, a, a[8] << 8 | a[9]);
		addr_set(&info->dst, AF_INET, a + 4, a[10] << 8 | a[11]);
		info->has_addr = true;
	} else if (family == AF_INET6) {
		addr_set(&info->src, AF_INET6, a, a[32] << 8 | a[33]);
		addr_set(&info->dst, AF_INET6, a + 16, a[34] << 8 | a[35]);
		info->has_addr = true;
	}
	info->len = total;
	return PROXY_PROTO_DONE;
}

/*
 * TLVs in p[0..n): each a type, a 16-bit length and that many bytes, which
 * must end exactly at n. The TLS one (0x20) holds sub-TLVs after 5 bytes
 * of its own; they are checked the same way, one level deep as the spec
 * has it.
 */
static enum proxy_proto_error
v2_tlvs(const unsigned char *p, size_t n, bool nested)
{
	size_t	vlen;

	while (n > 0) {
		if (n < 3)
			return PROXY_PROTO_ERR_V2_TLV;
		vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > n - 3)
			return PROXY_PROTO_ERR_V2_TLV;
		if (p[0] == V2_TYPE_SSL && !nested) {
			if (vlen < V2_SSL_FIXED ||
			    v2_tlvs(p + 3 + V2_SSL_FIXED, vlen - V2_SSL_FIXED,
			    true) != PROXY_PROTO_OK)
				return PROXY_PROTO_ERR_V2_TLV;
		}
		p += 3 + vlen;
		n -= 3 + vlen;
	}
	return PROXY_PROTO_OK;
}

/* Dotted quad s[0..n), four decimal octets without leading zeros. */
static bool
v4_parse(const char *s, size_t n, unsigned char out[4])
{
	size_t		 i = 0, digits;
	unsigned int	 v;

	for (int k = 0; k < 4; k++) {
		if (k > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		for (v = 0, digits = 0; i < n && digits < 3 &&
		    s[i] >= '0' && s[i] <= '9'; i++, digits++)
			v = v * 10 + (unsigned int)(s[i] - '0');
		if (digits == 0 || v > 255 || (digits > 1 && s[i - digits] ==
		    '0'))
			return false;
		out[k] = (unsigned char)v;
	}
	return i == n;
}

/* How many of the first n bytes of s are in chars: strspn, bounded. */
static size_t
span(const char *s, size_t n, const char *chars)
{
	size_t	i;

	for (i = 0; i < n && s[i] != '\0' && strchr(chars, s[i]) != NULL; i++)
		;
	return i;
}

/* Decimal s[0..n), already checked for digits, length and zeros. */
static int
port_parse(const char *s, size_t n)
{
	long	v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v > 65535 ? -1 : (int)v;
}

/* a holds 4 (AF_INET) or 16 (AF_INET6) bytes in network order. */
static void
addr_set(struct addr *to, int family, const void *a, int port)
{
	memset(to, 0, sizeof(*to));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to->ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		sin->sin_port = htons(port);
		to->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to->ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		sin6->sin6_port = htons(port);
		to->len = sizeof(*sin6);
	}
}

/*
 * The address of a as family wants it into p: 4 bytes, or 16 with an IPv4
 * address mapped (::ffff:a.b.c.d). Returns the bytes written.
 */
static size_t
v2_put_addr(unsigned char *p, const struct addr *a, int family)
{
	const struct sockaddr_in	*sin;

	sin = (const struct sockaddr_in *)&a->ss;
	if (family == AF_INET) {
		memcpy(p, &sin->sin_addr, 4);
		return 4;
	}
	if (a->ss.ss_family == AF_INET6) {
		memcpy(p, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		    16);
		return 16;
	}
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, &sin->sin_addr, 4);
	return 16;
}

/* AF_INET or AF_INET6, or AF_UNSPEC for NULL and any other family. */
static int
ip_family(const struct addr *a)
{
	if (a == NULL)
		return AF_UNSPEC;
	if (a->ss.ss_family == AF_INET || a->ss.ss_family == AF_INET6)
		return a->ss.ss_family;
	return AF_UNSPEC;
}
