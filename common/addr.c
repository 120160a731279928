/*
 * Address parsing and printing. A listener address must be numeric (a
 * listener that depends on DNS at boot is a trap); an upstream server may be
 * a host name, resolved once at load and on reload.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/util.h"

static int
parse_port(const char *s)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* The reason for a refusal, when the caller wants one. */
static void
why(char *err, size_t errlen, const char *text)
{
	if (err != NULL)
		snprintf(err, errlen, "%s", text);
}

/*
 * Fills a from "HOST:PORT", "[V6]:PORT" or "*:PORT". With resolve, HOST may
 * be a name (first address returned wins). Returns -1 with a short reason in
 * err.
 */
int
addr_parse(struct addr *a, const char *s, bool resolve, char *err,
    size_t errlen)
{
	char			 host[256];
	const char		*colon, *hs;
	size_t			 hl;
	int			 port;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (err != NULL)
		err[0] = '\0';
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL)
			goto bad;
		if (rb[1] != ':') {
			why(err, errlen, "no port");
			goto bad;
		}
		hs = s + 1;
		hl = rb - hs;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			why(err, errlen, "no port");
			goto bad;
		}
		if (strchr(s, ':') != colon) {
			why(err, errlen, "an IPv6 address goes in brackets, as "
			    "in [::1]:8080");
			goto bad;
		}
		hs = s;
		hl = colon - s;
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if ((port = parse_port(colon + 1)) == -1) {
		why(err, errlen, colon[1] >= '0' && colon[1] <= '9' &&
		    colon[1 + strspn(colon + 1, "0123456789")] == '\0' ?
		    "port out of range (1 to 65535)" : "the port is not a "
		    "number");
		goto bad;
	}

	if (strcmp(host, "*") == 0 && *s != '[') {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		a->len = sizeof(*sin);
		return 0;
	}
	if (*s != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (*s == '[') {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			why(err, errlen, "not an IPv6 address in brackets");
			goto bad;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
		return 0;
	}
	if (resolve) {
		struct addrinfo	 hints, *res;
		int		 e;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_ADDRCONFIG;
		if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
			snprintf(err, errlen, "cannot resolve \"%s\": %s",
			    host, gai_strerror(e));
			return -1;
		}
		if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
		    res->ai_addrlen > sizeof(a->ss)) {
			snprintf(err, errlen, "\"%s\" resolves to no IPv4 or "
			    "IPv6 address", host);
			freeaddrinfo(res);
			return -1;
		}
		memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
		a->len = res->ai_addrlen;
		if (a->ss.ss_family == AF_INET)
			sin->sin_port = htons(port);
		else
			sin6->sin6_port = htons(port);
		freeaddrinfo(res);
		return 0;
	}
	why(err, errlen, host[strspn(host, "0123456789.")] == '\0' ?
	    "not an IPv4 address" :
	    "host names are not allowed here, use an address");
bad:
	return -1;
}

void
addr_format(const struct addr *a, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&a->ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%d", host, ntohs(sin->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&a->ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "?");
}

/*
 * The address alone, without port or brackets, as logs and
 * X-Forwarded-For want it. Runs per request: IPv4 is formatted by hand,
 * since glibc's inet_ntop goes through sprintf for it.
 */
void
addr_format_ip(const struct addr *a, char *buf, size_t len)
{
	const unsigned char	*b;
	char			*p = buf;

	if (a->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, buf,
		    (socklen_t)len);
		return;
	}
	if (len < INET_ADDRSTRLEN) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	b = (const unsigned char *)
	    &((const struct sockaddr_in *)&a->ss)->sin_addr;
	for (int i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

bool
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

int
addr_port(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/*
 * "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Bits
 * outside the prefix must be zero, so a typo like 10.0.0.1/8 is caught.
 */
int
cidr_parse(struct cidr *c, const char *s)
{
	char		 host[INET6_ADDRSTRLEN + 1], *end;
	const char	*slash = strchr(s, '/');
	size_t		 hl = slash ? (size_t)(slash - s) : strlen(s);
	long		 bits;
	int		 max, i;

	memset(c, 0, sizeof(*c));
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > max)
			return -1;
	}
	c->bits = (int)bits;
	for (i = c->bits; i < max; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	return 0;
}

bool
cidr_match(const struct cidr *c, const union sockaddr_ip *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const unsigned char	*a;
	unsigned char		 v4[4];
	int			 full, rest;

	if (ss->ss_family == AF_INET && c->family == AF_INET)
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6 && c->family == AF_INET6)
		a = s6->sin6_addr.s6_addr;
	else if (ss->ss_family == AF_INET6 && c->family == AF_INET &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(v4, s6->sin6_addr.s6_addr + 12, 4);
		a = v4;
	} else
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ c->addr[full]) & (0xff << (8 - rest))) == 0;
}

/* A network as cidr_parse() reads it: "10.0.0.0/8", "2001:db8::/32". */
void
cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char	a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, "%s/%d", a, c->bits);
}

/*
 * An IPv4 or IPv6 address alone, len bytes of s, as X-Forwarded-For and
 * frontd -t -e write one: no port, no brackets. -1 if it is not one.
 */
int
addr_parse_ip(struct addr *a, const char *s, size_t len)
{
	char	tmp[64];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, tmp,
	    &((struct sockaddr_in *)&a->ss)->sin_addr) == 1) {
		a->ss.ss_family = AF_INET;
		a->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp,
	    &((struct sockaddr_in6 *)&a->ss)->sin6_addr) == 1) {
		a->ss.ss_family = AF_INET6;
		a->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}
