/*
 * Unit tests for common/proxy_proto.c: valid v1 and v2 headers of every
 * family, every cut of them, what is refused and why, building and reading
 * back, and random mutations that must never read past the bytes given.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/proxy_proto.h"
#include "common/util.h"
#include "t/unit/tap.h"

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

struct hdr {
	unsigned char	b[PROXY_PROTO_MAX_BYTES + 64];
	size_t		n;
};

static const struct {
	const char	*in;
	int		 family;	/* AF_UNSPEC: no address */
	const char	*src, *dst;
} v1_good[] = {
	{ "PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n", AF_INET,
	    "192.0.2.1:51234", "198.51.100.2:443" },
	{ "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", AF_INET,
	    "0.0.0.0:0", "255.255.255.255:65535" },
	{ "PROXY TCP4 10.0.0.1 10.20.0.100 1 9\r\n", AF_INET,
	    "10.0.0.1:1", "10.20.0.100:9" },
	{ "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n", AF_INET6,
	    "[2001:db8::1]:51234", "[2001:db8::2]:443" },
	{ "PROXY TCP6 ::1 ::1 1 2\r\n", AF_INET6, "[::1]:1", "[::1]:2" },
	{ "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:10.0.0.1 80 8080\r\n", AF_INET6,
	    "[::ffff:192.0.2.1]:80", "[::ffff:10.0.0.1]:8080" },
	{ "PROXY TCP6 FFFF:ffff:FFFF:ffff:FFFF:ffff:FFFF:ffff "
	    "::ffff:255.255.255.255 65535 65535\r\n", AF_INET6,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	    "[::ffff:255.255.255.255]:65535" },
	{ "PROXY UNKNOWN\r\n", AF_UNSPEC, NULL, NULL },
	{ "PROXY UNKNOWN 192.0.2.1 198.51.100.2 51234 443\r\n", AF_UNSPEC,
	    NULL, NULL },
	{ "PROXY UNKNOWN whatever \r follows\r\n", AF_UNSPEC, NULL, NULL },
	/* 107 bytes, the most v1 allows */
	{ "PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", AF_UNSPEC, NULL,
	    NULL },
};

static const struct {
	const char		*in;
	enum proxy_proto_error	 e;
	const char		*what;
} v1_bad[] = {
	{ "GET / HTTP/1.1\r\n", PROXY_PROTO_ERR_SIGNATURE, "HTTP" },
	{ "PROXY\r\n", PROXY_PROTO_ERR_SIGNATURE, "no space after PROXY" },
	{ "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_SIGNATURE,
	    "lower case PROXY" },
	{ " PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_SIGNATURE,
	    "leading space" },
	{ "PROXY \r\n", PROXY_PROTO_ERR_V1_PROTO, "no protocol" },
	{ "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_PROTO,
	    "TCP5" },
	{ "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_PROTO,
	    "lower case tcp4" },
	{ "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_PROTO,
	    "UDP4" },
	{ "PROXY UNKNOWNX\r\n", PROXY_PROTO_ERR_V1_PROTO, "UNKNOWNX" },
	{ "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_PROTO,
	    "two spaces before the protocol" },
	{ "PROXY TCP4\r\n", PROXY_PROTO_ERR_V1_FIELDS, "TCP4 alone" },
	{ "PROXY TCP4 \r\n", PROXY_PROTO_ERR_V1_FIELDS, "TCP4 and a space" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "three fields" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "five fields" },
	{ "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "two spaces between addresses" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "two spaces before a port" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "trailing space" },
	{ "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_FIELDS,
	    "two spaces after TCP4" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", PROXY_PROTO_ERR_V1_CRLF,
	    "LF alone" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "CR CR LF" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "CR inside" },
	{ "PROXY UNKNOWN\n", PROXY_PROTO_ERR_V1_CRLF, "UNKNOWN, LF alone" },
	{ "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "leading zero in an octet" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.010 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "octal-looking octet" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.00 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "octet 00" },
	{ "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "octet 256" },
	{ "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "three octets" },
	{ "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "five octets" },
	{ "PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "trailing dot" },
	{ "PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "empty octet" },
	{ "PROXY TCP4 1.2.3.1234 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "four-digit octet" },
	{ "PROXY TCP4 16909060 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "IPv4 as one number" },
	{ "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "IPv6 in TCP4" },
	{ "PROXY TCP4 1.2.3.4 ::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "IPv6 destination in TCP4" },
	{ "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "IPv4 in TCP6" },
	{ "PROXY TCP6 ::1 :::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "three colons" },
	{ "PROXY TCP6 1::2::3 ::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "two ::" },
	{ "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "scope id" },
	{ "PROXY TCP6 [::1] ::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "brackets" },
	{ "PROXY TCP6 ::g ::1 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR, "not hex" },
	{ "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", PROXY_PROTO_ERR_V1_ADDR,
	    "tab" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port 65536" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port 99999" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "six-digit port" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "negative port" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port with +" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port with a leading zero" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port 00" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "hex port" },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2a\r\n", PROXY_PROTO_ERR_V1_PORT,
	    "port with a letter" },
	/* 108 bytes */
	{ "PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
	    PROXY_PROTO_ERR_V1_LONG, "108 bytes" },
};

/* Refused before the line is whole: no more bytes could make it valid. */
static const struct {
	const char		*in;
	enum proxy_proto_error	 e;
} v1_early[] = {
	{ "PROXY TCP5", PROXY_PROTO_ERR_V1_PROTO },
	{ "PROXY X", PROXY_PROTO_ERR_V1_PROTO },
	{ "PROXY TCP4 1.2.3.x", PROXY_PROTO_ERR_V1_ADDR },
	{ "PROXY TCP4 1234567890123456", PROXY_PROTO_ERR_V1_ADDR },
	{ "PROXY TCP4 01.2.3.4 ", PROXY_PROTO_ERR_V1_ADDR },
	{ "PROXY TCP4 1.2.3.4  ", PROXY_PROTO_ERR_V1_FIELDS },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 0", PROXY_PROTO_OK },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 01", PROXY_PROTO_ERR_V1_PORT },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 123456", PROXY_PROTO_ERR_V1_PORT },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ", PROXY_PROTO_ERR_V1_FIELDS },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", PROXY_PROTO_OK },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", PROXY_PROTO_ERR_V1_PORT },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r", PROXY_PROTO_ERR_V1_PORT },
	{ "PROXY UNKNOWN anything \r at all", PROXY_PROTO_OK },
};

static const struct {
	const char		*in;
	size_t			 n;
	enum proxy_proto_kind	 k;
} kinds[] = {
	{ "", 0, PROXY_PROTO_UNSURE },
	{ "P", 1, PROXY_PROTO_UNSURE },
	{ "PROXY", 5, PROXY_PROTO_UNSURE },
	{ "PROXY ", 6, PROXY_PROTO_V1 },
	{ "PROXY TCP4", 10, PROXY_PROTO_V1 },
	{ "\r", 1, PROXY_PROTO_UNSURE },
	{ "\r\n\r\n", 4, PROXY_PROTO_UNSURE },
	{ SIG, 11, PROXY_PROTO_UNSURE },
	{ SIG, 12, PROXY_PROTO_V2 },
	{ SIG "\x21", 13, PROXY_PROTO_V2 },
	{ "\r\n\r\n\0\r\nQUIT\r", 12, PROXY_PROTO_NONE },
	{ "\r\n\r\nX", 5, PROXY_PROTO_NONE },
	{ "PROXYX", 6, PROXY_PROTO_NONE },
	{ "PROXY\r\n", 7, PROXY_PROTO_NONE },
	{ "GET / HTTP/1.1\r\n", 16, PROXY_PROTO_NONE },
	{ "G", 1, PROXY_PROTO_NONE },
	{ "\x16\x03\x01\x02\x00", 5, PROXY_PROTO_NONE },	/* TLS */
	{ "\0", 1, PROXY_PROTO_NONE },
};

static const char *
fmt(const struct addr *a)
{
	static char	buf[4][ADDR_STRLEN];
	static int	i;

	i = (i + 1) % 4;
	addr_format(a, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* s with CR and LF shown as \r and \n, for a test's name. */
static const char *
esc(const char *s)
{
	static char	buf[256];
	size_t		i = 0;

	for (; *s != '\0' && i < sizeof(buf) - 3; s++) {
		if (*s == '\r' || *s == '\n') {
			buf[i++] = '\\';
			buf[i++] = *s == '\r' ? 'r' : 'n';
		} else
			buf[i++] = *s;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Parses a copy of b[0..n) in a buffer of exactly n bytes, so the
 * sanitizer build sees any read past its end.
 */
static enum proxy_proto_result
parse_exact(const void *b, size_t n, struct proxy_proto_info *info)
{
	enum proxy_proto_result	 r;
	char			*p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(p, b, n);
	r = proxy_proto_parse(p, n, info);
	free(p);
	return r;
}

/* A v2 header with the given command and family bytes and payload. */
static void
v2(struct hdr *h, int vercmd, int fam, const void *payload, size_t plen)
{
	memcpy(h->b, SIG, 12);
	h->b[12] = (unsigned char)vercmd;
	h->b[13] = (unsigned char)fam;
	h->b[14] = (unsigned char)(plen >> 8);
	h->b[15] = (unsigned char)plen;
	if (plen > 0)
		memcpy(h->b + 16, payload, plen);
	h->n = 16 + plen;
}

/* The v2 address block of 192.0.2.1:51234 -> 198.51.100.2:443. */
static const unsigned char inet_block[12] = {
	192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0x01, 0xbb
};

/* Every cut of a valid header is MORE; the whole, and more, is DONE. */
static void
cuts(const void *b, size_t n, const char *what)
{
	struct proxy_proto_info	 info;
	unsigned char		 more[PROXY_PROTO_MAX_BYTES + 64];
	size_t			 k, bad = 0;

	for (k = 0; k < n; k++)
		if (parse_exact(b, k, &info) != PROXY_PROTO_MORE)
			bad++;
	ok(bad == 0, "%s: each of its %zu cuts needs more (%zu did not)",
	    what, n, bad);
	memcpy(more, b, n);
	memcpy(more + n, "GET / HTTP/1.1\r\n\r\n", 18);
	ok(parse_exact(more, n + 18, &info) == PROXY_PROTO_DONE &&
	    info.len == n, "%s: the request after it is not read", what);
}

static void
test_v1(void)
{
	struct proxy_proto_info	 info;
	enum proxy_proto_result	 r;
	size_t			 i, n;

	for (i = 0; i < nitems(v1_good); i++) {
		n = strlen(v1_good[i].in);
		r = parse_exact(v1_good[i].in, n, &info);
		ok(r == PROXY_PROTO_DONE && info.len == n &&
		    info.version == 1 && !info.local &&
		    info.family == v1_good[i].family &&
		    info.has_addr == (v1_good[i].src != NULL),
		    "v1 %zu read (%.*s)", i,
		    (int)strcspn(v1_good[i].in, "\r\n"), v1_good[i].in);
		if (v1_good[i].src != NULL)
			ok(strcmp(fmt(&info.src), v1_good[i].src) == 0 &&
			    strcmp(fmt(&info.dst), v1_good[i].dst) == 0,
			    "v1 %zu: %s -> %s", i, fmt(&info.src),
			    fmt(&info.dst));
		cuts(v1_good[i].in, n, "v1");
	}
	ok(info.len == 107, "the longest v1 line is 107 bytes");

	for (i = 0; i < nitems(v1_bad); i++) {
		n = strlen(v1_bad[i].in);
		r = parse_exact(v1_bad[i].in, n, &info);
		ok(r == PROXY_PROTO_BAD && info.error == v1_bad[i].e &&
		    info.why != NULL && !info.has_addr && info.len == 0,
		    "v1 refused: %s (%s)", v1_bad[i].what, info.why);
	}

	for (i = 0; i < nitems(v1_early); i++) {
		n = strlen(v1_early[i].in);
		r = parse_exact(v1_early[i].in, n, &info);
		if (v1_early[i].e == PROXY_PROTO_OK)
			ok(r == PROXY_PROTO_MORE, "v1 \"%s\" may go on",
			    esc(v1_early[i].in));
		else
			ok(r == PROXY_PROTO_BAD && info.error == v1_early[i].e,
			    "v1 \"%s\" refused before its end (%s)",
			    esc(v1_early[i].in), info.why);
	}

	/* No CRLF in 107 bytes: refused then, not waited for. */
	{
		char	line[200];

		memset(line, 'x', sizeof(line));
		memcpy(line, "PROXY UNKNOWN ", 14);
		ok(parse_exact(line, 106, &info) == PROXY_PROTO_MORE,
		    "v1 UNKNOWN without CRLF: 106 bytes need more");
		ok(parse_exact(line, 107, &info) == PROXY_PROTO_BAD &&
		    info.error == PROXY_PROTO_ERR_V1_LONG,
		    "v1 UNKNOWN without CRLF: 107 bytes refused");
		ok(parse_exact(line, sizeof(line), &info) == PROXY_PROTO_BAD &&
		    info.error == PROXY_PROTO_ERR_V1_LONG,
		    "v1 UNKNOWN without CRLF: 200 bytes refused");
		memcpy(line + 180, "\r\n", 2);
		ok(parse_exact(line, sizeof(line), &info) == PROXY_PROTO_BAD &&
		    info.error == PROXY_PROTO_ERR_V1_LONG,
		    "v1 with its CRLF past 107 bytes refused");
	}

	/* A NUL in a field ends nothing: it is a bad byte. */
	r = parse_exact("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33, &info);
	ok(r == PROXY_PROTO_BAD && info.error == PROXY_PROTO_ERR_V1_ADDR,
	    "v1 NUL inside an address refused");
	r = parse_exact("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0\r\n", 33, &info);
	ok(r == PROXY_PROTO_BAD && info.error == PROXY_PROTO_ERR_V1_PORT,
	    "v1 NUL after a port refused");
}

static void
test_v2(void)
{
	struct proxy_proto_info	 info;
	struct hdr		 h;
	unsigned char		 p[PROXY_PROTO_MAX_BYTES];
	enum proxy_proto_result	 r;
	size_t			 i;

	/* IPv4 */
	v2(&h, 0x21, 0x11, inet_block, sizeof(inet_block));
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 28 && info.version == 2 &&
	    info.has_addr && !info.local && info.family == AF_INET &&
	    strcmp(fmt(&info.src), "192.0.2.1:51234") == 0 &&
	    strcmp(fmt(&info.dst), "198.51.100.2:443") == 0,
	    "v2 TCP4: %s -> %s", fmt(&info.src), fmt(&info.dst));
	cuts(h.b, h.n, "v2 TCP4");

	/* IPv6 */
	memset(p, 0, 36);
	inet_pton(AF_INET6, "2001:db8::1", p);
	inet_pton(AF_INET6, "2001:db8::2", p + 16);
	p[32] = 0xff; p[33] = 0xff; p[34] = 0; p[35] = 0;
	v2(&h, 0x21, 0x21, p, 36);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 52 && info.has_addr &&
	    info.family == AF_INET6 &&
	    strcmp(fmt(&info.src), "[2001:db8::1]:65535") == 0 &&
	    strcmp(fmt(&info.dst), "[2001:db8::2]:0") == 0,
	    "v2 TCP6: %s -> %s", fmt(&info.src), fmt(&info.dst));
	cuts(h.b, h.n, "v2 TCP6");

	/* UNIX: a path is no client address, the peer is kept. */
	memset(p, 0, 216);
	memcpy(p, "/run/lb.sock", 12);
	memcpy(p + 108, "/run/frontd.sock", 16);
	v2(&h, 0x21, 0x31, p, 216);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 232 && !info.has_addr &&
	    !info.local && info.family == AF_UNIX,
	    "v2 UNIX stream: read, address not usable");
	cuts(h.b, h.n, "v2 UNIX");

	/* LOCAL: the balancer's own check; family and block ignored. */
	v2(&h, 0x20, 0x00, NULL, 0);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 16 && info.local &&
	    !info.has_addr && info.family == AF_UNSPEC, "v2 LOCAL");
	cuts(h.b, h.n, "v2 LOCAL");
	v2(&h, 0x20, 0x11, inet_block, sizeof(inet_block));
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 28 && info.local &&
	    !info.has_addr, "v2 LOCAL with an IPv4 block: block ignored");
	v2(&h, 0x20, 0xff, "abc", 3);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 19 && info.local,
	    "v2 LOCAL ignores even an unknown family");

	/* PROXY with UNSPEC: keep the peer. */
	v2(&h, 0x21, 0x00, NULL, 0);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 16 && !info.local &&
	    !info.has_addr && info.family == AF_UNSPEC, "v2 PROXY UNSPEC");
	cuts(h.b, h.n, "v2 UNSPEC");

	/* TLVs: skipped, the addresses still read. */
	memcpy(p, inet_block, 12);
	i = 12;
	memcpy(p + i, "\x04\x00\x03xyz", 6);		/* NOOP */
	i += 6;
	memcpy(p + i, "\x02\x00\x0b" "example.com", 14);	/* AUTHORITY */
	i += 14;
	/* SSL: client, verify, then VERSION "TLSv1.3" and CN "a" */
	memcpy(p + i, "\x20\x00\x13\x07\x00\x00\x00\x00"
	    "\x21\x00\x07TLSv1.3" "\x22\x00\x01" "a", 22);
	i += 22;
	memcpy(p + i, "\x03\x00\x04\x01\x02\x03\x04", 7);	/* CRC32C */
	i += 7;
	memcpy(p + i, "\xee\x00\x00", 3);		/* empty, unknown */
	i += 3;
	v2(&h, 0x21, 0x11, p, i);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == 16 + i && info.has_addr &&
	    strcmp(fmt(&info.src), "192.0.2.1:51234") == 0,
	    "v2 TCP4 with 6 TLVs: %zu bytes", info.len);
	cuts(h.b, h.n, "v2 TCP4 with TLVs");

	/* The largest accepted header, then one byte more. */
	memcpy(p, inet_block, 12);
	i = PROXY_PROTO_MAX_BYTES - 16 - 12 - 3;
	p[12] = 0x04;
	p[13] = (unsigned char)(i >> 8);
	p[14] = (unsigned char)i;
	memset(p + 15, 'z', i + 1);
	v2(&h, 0x21, 0x11, p, 12 + 3 + i);
	r = parse_exact(h.b, h.n, &info);
	ok(r == PROXY_PROTO_DONE && info.len == PROXY_PROTO_MAX_BYTES,
	    "v2 of %d bytes read", PROXY_PROTO_MAX_BYTES);
	cuts(h.b, h.n, "v2 of the largest size");
	p[14]++;
	v2(&h, 0x21, 0x11, p, 12 + 3 + i + 1);
	r = parse_exact(h.b, 16, &info);
	ok(r == PROXY_PROTO_BAD && info.error == PROXY_PROTO_ERR_V2_LONG,
	    "v2 announcing %d bytes refused from its first 16 (%s)",
	    PROXY_PROTO_MAX_BYTES + 1, info.why);
	h.b[14] = h.b[15] = 0xff;
	r = parse_exact(h.b, 16, &info);
	ok(r == PROXY_PROTO_BAD && info.error == PROXY_PROTO_ERR_V2_LONG,
	    "v2 announcing 65551 bytes refused");
}

static void
test_v2_bad(void)
{
	static const struct {
		int			 vercmd, fam;
		size_t			 plen;
		enum proxy_proto_error	 e;
		const char		*what;
	} bad[] = {
		{ 0x11, 0x11, 12, PROXY_PROTO_ERR_V2_VERSION, "version 1" },
		{ 0x31, 0x11, 12, PROXY_PROTO_ERR_V2_VERSION, "version 3" },
		{ 0x01, 0x11, 12, PROXY_PROTO_ERR_V2_VERSION, "version 0" },
		{ 0xf1, 0x11, 12, PROXY_PROTO_ERR_V2_VERSION, "version 15" },
		{ 0x22, 0x11, 12, PROXY_PROTO_ERR_V2_COMMAND, "command 2" },
		{ 0x2f, 0x11, 12, PROXY_PROTO_ERR_V2_COMMAND, "command 15" },
		{ 0x21, 0x12, 12, PROXY_PROTO_ERR_V2_DGRAM, "UDP4" },
		{ 0x21, 0x22, 36, PROXY_PROTO_ERR_V2_DGRAM, "UDP6" },
		{ 0x21, 0x32, 216, PROXY_PROTO_ERR_V2_DGRAM, "UNIX dgram" },
		{ 0x21, 0x10, 12, PROXY_PROTO_ERR_V2_FAMILY,
		    "INET, no transport" },
		{ 0x21, 0x13, 12, PROXY_PROTO_ERR_V2_FAMILY, "transport 3" },
		{ 0x21, 0x41, 12, PROXY_PROTO_ERR_V2_FAMILY, "family 4" },
		{ 0x21, 0xf1, 12, PROXY_PROTO_ERR_V2_FAMILY, "family 15" },
		{ 0x21, 0x01, 12, PROXY_PROTO_ERR_V2_FAMILY,
		    "UNSPEC family, stream" },
		{ 0x21, 0x11, 0, PROXY_PROTO_ERR_V2_ADDR, "TCP4, no block" },
		{ 0x21, 0x11, 11, PROXY_PROTO_ERR_V2_ADDR,
		    "TCP4, 11-byte block" },
		{ 0x21, 0x21, 12, PROXY_PROTO_ERR_V2_ADDR,
		    "TCP6, IPv4-sized block" },
		{ 0x21, 0x21, 35, PROXY_PROTO_ERR_V2_ADDR,
		    "TCP6, 35-byte block" },
		{ 0x21, 0x31, 215, PROXY_PROTO_ERR_V2_ADDR,
		    "UNIX, 215-byte block" },
		{ 0x21, 0x11, 13, PROXY_PROTO_ERR_V2_TLV,
		    "TCP4, one byte of TLV" },
		{ 0x21, 0x11, 14, PROXY_PROTO_ERR_V2_TLV,
		    "TCP4, two bytes of TLV" },
		{ 0x21, 0x00, 2, PROXY_PROTO_ERR_V2_TLV,
		    "UNSPEC, two bytes of TLV" },
	};
	static const struct {
		const char	*tlvs;
		size_t		 n;
		const char	*what;
	} tlv_bad[] = {
		{ "\x04\x00\x01", 3, "value past the end" },
		{ "\x04\x00\x04xyz", 6, "value one byte short" },
		{ "\x04\xff\xff", 3, "length 65535" },
		{ "\x04\x00\x00\x04", 4, "a second TLV of one byte" },
		{ "\x04\x00\x00\x04\x00", 5, "a second TLV of two bytes" },
		{ "\x20\x00\x04\x00\x00\x00\x00", 7, "SSL shorter than 5" },
		{ "\x20\x00\x06\x00\x00\x00\x00\x00\x21", 9,
		    "SSL with a sub-TLV of one byte" },
		{ "\x20\x00\x08\x00\x00\x00\x00\x00\x21\x00\x01", 11,
		    "SSL sub-TLV past the SSL TLV" },
		{ "\x20\x00\x08\x00\x00\x00\x00\x00\x21\x00\x01x", 12,
		    "SSL sub-TLV past the SSL TLV, header not" },
	};
	struct proxy_proto_info	 info;
	struct hdr		 h;
	unsigned char		 p[256];
	enum proxy_proto_result	 r;
	size_t			 i;

	memset(p, 0, sizeof(p));
	for (i = 0; i < nitems(bad); i++) {
		v2(&h, bad[i].vercmd, bad[i].fam, p, bad[i].plen);
		r = parse_exact(h.b, h.n, &info);
		ok(r == PROXY_PROTO_BAD && info.error == bad[i].e &&
		    !info.has_addr, "v2 refused: %s (%s)", bad[i].what,
		    info.why);
	}
	/* Refused from the byte that is wrong, not at the end. */
	v2(&h, 0x31, 0x11, p, 12);
	ok(parse_exact(h.b, 13, &info) == PROXY_PROTO_BAD,
	    "v2 version refused at 13 bytes");
	v2(&h, 0x21, 0x12, p, 12);
	ok(parse_exact(h.b, 14, &info) == PROXY_PROTO_BAD,
	    "v2 UDP refused at 14 bytes");
	v2(&h, 0x21, 0x11, p, 11);
	ok(parse_exact(h.b, 16, &info) == PROXY_PROTO_BAD,
	    "v2 short block refused at 16 bytes");

	for (i = 0; i < nitems(tlv_bad); i++) {
		memcpy(p, inet_block, 12);
		memcpy(p + 12, tlv_bad[i].tlvs, tlv_bad[i].n);
		v2(&h, 0x21, 0x11, p, 12 + tlv_bad[i].n);
		r = parse_exact(h.b, h.n, &info);
		ok(r == PROXY_PROTO_BAD &&
		    info.error == PROXY_PROTO_ERR_V2_TLV && !info.has_addr,
		    "v2 TLV refused: %s", tlv_bad[i].what);
	}
	/* A TLV whose length reaches past the header, into the request. */
	memcpy(p, inet_block, 12);
	memcpy(p + 12, "\x04\x00\x10", 3);
	v2(&h, 0x21, 0x11, p, 15);
	memcpy(h.b + h.n, "GET / HTTP/1.1\r\n", 16);
	ok(parse_exact(h.b, h.n + 16, &info) == PROXY_PROTO_BAD &&
	    info.error == PROXY_PROTO_ERR_V2_TLV,
	    "v2 TLV reaching into the bytes after the header refused");

	/* Each byte of the signature, changed. */
	v2(&h, 0x21, 0x11, inet_block, 12);
	for (i = 0; i < 12; i++) {
		h.b[i] ^= 0x20;
		r = parse_exact(h.b, h.n, &info);
		h.b[i] ^= 0x20;
		if (r != PROXY_PROTO_BAD ||
		    info.error != PROXY_PROTO_ERR_SIGNATURE)
			break;
	}
	ok(i == 12, "v2 signature with any byte changed refused");
}

static void
test_detect(void)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		ok(proxy_proto_detect(kinds[i].in, kinds[i].n) == kinds[i].k,
		    "detect %zu: %zu bytes are kind %d", i, kinds[i].n,
		    kinds[i].k);
	ok(proxy_proto_detect(NULL, 0) == PROXY_PROTO_UNSURE,
	    "detect: nothing yet is unsure");
}

static void
mkaddr(struct addr *a, const char *s)
{
	char	err[64];

	if (addr_parse(a, s, false, err, sizeof(err)) == -1) {
		printf("# bad test address %s: %s\n", s, err);
		abort();
	}
}

static void
test_build(void)
{
	static const struct {
		const char	*src, *dst, *v1;
		int		 family;
		const char	*src_read, *dst_read;
	} pairs[] = {
		{ "192.0.2.1:51234", "198.51.100.2:443",
		    "PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n",
		    AF_INET, NULL, NULL },
		{ "10.0.0.1:1", "10.0.0.2:65535",
		    "PROXY TCP4 10.0.0.1 10.0.0.2 1 65535\r\n",
		    AF_INET, NULL, NULL },
		{ "[2001:db8::1]:51234", "[2001:db8::2]:443",
		    "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n",
		    AF_INET6, NULL, NULL },
		{ "[::ffff:192.0.2.1]:1", "[::1]:2",
		    "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n",
		    AF_INET6, NULL, NULL },
		/* mixed: the IPv4 side goes IPv4-mapped */
		{ "192.0.2.1:51234", "[2001:db8::2]:443",
		    "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 51234 443\r\n",
		    AF_INET6, "[::ffff:192.0.2.1]:51234", NULL },
		{ "[2001:db8::1]:5", "198.51.100.2:443",
		    "PROXY TCP6 2001:db8::1 ::ffff:198.51.100.2 5 443\r\n",
		    AF_INET6, NULL, "[::ffff:198.51.100.2]:443" },
	};
	static const unsigned char golden_v2[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
		192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0x01, 0xbb
	};
	static const unsigned char local_v2[16] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x20, 0x00, 0x00, 0x00
	};
	struct proxy_proto_info	 info;
	struct addr		 s, d, u;
	char			 out[PROXY_PROTO_BUILD_BYTES];
	enum proxy_proto_result	 r;
	ssize_t			 n;
	size_t			 i;

	for (i = 0; i < nitems(pairs); i++) {
		const char *sr = pairs[i].src_read ? pairs[i].src_read :
		    pairs[i].src;
		const char *dr = pairs[i].dst_read ? pairs[i].dst_read :
		    pairs[i].dst;

		mkaddr(&s, pairs[i].src);
		mkaddr(&d, pairs[i].dst);
		n = proxy_proto_build_v1(&s, &d, out, sizeof(out));
		ok(n == (ssize_t)strlen(pairs[i].v1) &&
		    memcmp(out, pairs[i].v1, n) == 0,
		    "build v1 %s -> %s: %.*s", pairs[i].src, pairs[i].dst,
		    n > 2 ? (int)n - 2 : 0, out);
		r = n > 0 ? parse_exact(out, n, &info) : PROXY_PROTO_BAD;
		ok(r == PROXY_PROTO_DONE &&
		    info.len == (size_t)n && info.family == pairs[i].family &&
		    strcmp(fmt(&info.src), sr) == 0 &&
		    strcmp(fmt(&info.dst), dr) == 0,
		    "build v1 %zu read back: %s -> %s", i, fmt(&info.src),
		    fmt(&info.dst));
		ok(proxy_proto_build_v1(&s, &d, out, n - 1) == -1 &&
		    proxy_proto_build_v1(&s, &d, out, n) == n,
		    "build v1 %zu needs exactly %zd bytes", i, n);

		n = proxy_proto_build_v2(&s, &d, out, sizeof(out));
		r = n > 0 ? parse_exact(out, n, &info) : PROXY_PROTO_BAD;
		ok(n == (pairs[i].family == AF_INET ? 28 : 52) &&
		    r == PROXY_PROTO_DONE &&
		    info.len == (size_t)n && info.has_addr && !info.local &&
		    info.family == pairs[i].family &&
		    strcmp(fmt(&info.src), sr) == 0 &&
		    strcmp(fmt(&info.dst), dr) == 0,
		    "build v2 %zu read back: %s -> %s", i, fmt(&info.src),
		    fmt(&info.dst));
		ok(proxy_proto_build_v2(&s, &d, out, n - 1) == -1 &&
		    proxy_proto_build_v2(&s, &d, out, n) == n,
		    "build v2 %zu needs exactly %zd bytes", i, n);
	}

	mkaddr(&s, "192.0.2.1:51234");
	mkaddr(&d, "198.51.100.2:443");
	n = proxy_proto_build_v2(&s, &d, out, sizeof(out));
	ok(n == 28 && memcmp(out, golden_v2, 28) == 0,
	    "build v2 TCP4: the bytes of the spec");

	n = proxy_proto_build_v1(NULL, NULL, out, sizeof(out));
	ok(n == 15 && memcmp(out, "PROXY UNKNOWN\r\n", 15) == 0,
	    "build v1 without addresses: UNKNOWN");
	n = proxy_proto_build_v2(NULL, NULL, out, sizeof(out));
	ok(n == 16 && memcmp(out, local_v2, 16) == 0 &&
	    parse_exact(out, n, &info) == PROXY_PROTO_DONE && info.local,
	    "build v2 without a source: LOCAL");

	memset(&u, 0, sizeof(u));
	u.ss.ss_family = AF_UNIX;
	n = proxy_proto_build_v1(&u, &d, out, sizeof(out));
	ok(n == 15 && memcmp(out, "PROXY UNKNOWN\r\n", 15) == 0,
	    "build v1 from a UNIX peer: UNKNOWN");
	n = proxy_proto_build_v2(&u, &d, out, sizeof(out));
	ok(n == 16 && parse_exact(out, n, &info) == PROXY_PROTO_DONE &&
	    !info.local && !info.has_addr && info.family == AF_UNSPEC &&
	    (unsigned char)out[12] == 0x21 && out[13] == 0,
	    "build v2 from a UNIX peer: PROXY UNSPEC");
	n = proxy_proto_build_v2(&s, NULL, out, sizeof(out));
	ok(n == 16 && out[13] == 0, "build v2 without a destination: UNSPEC");
	ok(proxy_proto_build_v1(NULL, NULL, out, 14) == -1,
	    "build v1 UNKNOWN in 14 bytes: does not fit");
}

/* xorshift64: the same sequence on every run, so a failure repeats. */
static uint64_t
rnd(void)
{
	static uint64_t	x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/*
 * Random mutations of valid headers. Every cut k of a mutant is parsed from
 * a buffer ending exactly at k, and the answers must form one story: MORE
 * up to some length, then BAD for good, or DONE with the same length for
 * good, never past PROXY_PROTO_MAX_BYTES.
 */
static void
test_fuzz(void)
{
	struct hdr		 seeds[8], m;
	struct proxy_proto_info	 info;
	enum proxy_proto_result	 r, prev;
	unsigned char		 blk[216];
	unsigned char		*buf;
	size_t			 nseeds = 0, k, done_len, i;
	unsigned long		 iter, broken = 0, ndone = 0, nbad = 0;
	const unsigned long	 iters = 100000;

#define SEED_TEXT(s) do {						\
	memcpy(seeds[nseeds].b, s, strlen(s));				\
	seeds[nseeds++].n = strlen(s);					\
} while (0)
	SEED_TEXT("PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n");
	SEED_TEXT("PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 0 65535\r\n");
	SEED_TEXT("PROXY UNKNOWN\r\n");
	v2(&seeds[nseeds++], 0x21, 0x11, inet_block, 12);
	memset(blk, 0, sizeof(blk));
	memcpy(blk + 36, "\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x00"
	    "\x04\x00\x01z", 15);
	v2(&seeds[nseeds++], 0x21, 0x21, blk, 36 + 15);
	v2(&seeds[nseeds++], 0x21, 0x31, blk, 216);
	v2(&seeds[nseeds++], 0x20, 0x00, NULL, 0);
	v2(&seeds[nseeds++], 0x21, 0x00, "\x04\x00\x00", 3);

	if ((buf = malloc(sizeof(m.b))) == NULL)
		abort();
	for (iter = 0; iter < iters; iter++) {
		m = seeds[rnd() % nseeds];
		for (i = 1 + rnd() % 4; i > 0; i--) {
			size_t	at = m.n > 0 ? rnd() % m.n : 0;

			switch (rnd() % 6) {
			case 0:		/* a random byte */
				m.b[at] = (unsigned char)rnd();
				break;
			case 1:		/* a flipped bit */
				m.b[at] ^= (unsigned char)(1 << rnd() % 8);
				break;
			case 2:		/* a byte from the protocol */
				m.b[at] = (unsigned char)
				    " \r\n.:0123456789\0\xff"[rnd() % 17];
				break;
			case 3:		/* a byte inserted */
				if (m.n < sizeof(m.b)) {
					memmove(m.b + at + 1, m.b + at,
					    m.n - at);
					m.b[at] = (unsigned char)rnd();
					m.n++;
				}
				break;
			case 4:		/* a byte removed */
				if (m.n > 0) {
					memmove(m.b + at, m.b + at + 1,
					    m.n - at - 1);
					m.n--;
				}
				break;
			case 5:		/* random bytes appended */
				for (k = rnd() % 32; k > 0 &&
				    m.n < sizeof(m.b); k--)
					m.b[m.n++] = (unsigned char)rnd();
				break;
			}
		}

		prev = PROXY_PROTO_MORE;
		done_len = 0;
		for (k = 0; k <= m.n; k++) {
			/* The cut ends where the allocation ends. */
			unsigned char *at = buf + sizeof(m.b) - k;

			memcpy(at, m.b, k);
			r = proxy_proto_parse((char *)at, k, &info);
			if (r == PROXY_PROTO_DONE && (info.len > k ||
			    info.len > PROXY_PROTO_MAX_BYTES ||
			    (prev == PROXY_PROTO_DONE &&
			    info.len != done_len)))
				break;
			if (r == PROXY_PROTO_DONE && prev == PROXY_PROTO_MORE)
				done_len = info.len;
			if (r == PROXY_PROTO_BAD && (info.why == NULL ||
			    info.has_addr))
				break;
			if (prev != PROXY_PROTO_MORE && r != prev)
				break;
			if (r == PROXY_PROTO_DONE && info.has_addr &&
			    info.family != info.src.ss.ss_family)
				break;
			prev = r;
		}
		if (k <= m.n) {
			if (broken++ < 5) {
				printf("# mutant %lu breaks at %zu of %zu:",
				    iter, k, m.n);
				for (i = 0; i < m.n && i < 64; i++)
					printf(" %02x", m.b[i]);
				printf("\n");
			}
		} else if (prev == PROXY_PROTO_DONE)
			ndone++;
		else if (prev == PROXY_PROTO_BAD)
			nbad++;
	}
	free(buf);
	ok(broken == 0, "%lu mutants: every cut consistent (%lu read, "
	    "%lu refused, %lu broke)", iters, ndone, nbad, broken);
	ok(ndone > iters / 20 && nbad > iters / 2,
	    "mutants reach both answers");
#undef SEED_TEXT
}

int
main(void)
{
	/* A crash shows which test it followed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_detect();
	test_v1();
	test_v2();
	test_v2_bad();
	test_build();
	test_fuzz();
	return tap_done();
}
