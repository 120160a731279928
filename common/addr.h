/*
 * Socket addresses as the config writes them: "127.0.0.1:8080",
 * "[::1]:8080", "*:8080". Parsing never touches the network unless asked to
 * resolve a host name (upstream servers, at load time only).
 */
#ifndef COMMON_ADDR_H
#define COMMON_ADDR_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ADDR_STRLEN	64	/* "[v6]:port" fits */

/*
 * An IPv4 or IPv6 socket address: all frontd listens on, connects to and
 * is told of (a PROXY header naming a UNIX socket changes no address).
 * 28 bytes where a sockaddr_storage has 128: one is in each connection.
 */
union sockaddr_ip {
	struct {
		sa_family_t	 ss_family;
	};
	struct sockaddr		 sa;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
};

struct addr {
	union sockaddr_ip	ss;
	socklen_t		len;
};

/* A network in CIDR notation: trusted_proxies, later access rules. */
struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	int		bits;
};

int	cidr_parse(struct cidr *, const char *);
bool	cidr_match(const struct cidr *, const union sockaddr_ip *);
void	cidr_format(const struct cidr *, char *, size_t);
int	addr_parse_ip(struct addr *, const char *, size_t);

int	addr_parse(struct addr *, const char *, bool resolve, char *err,
	    size_t errlen);
void	addr_format(const struct addr *, char *, size_t);
void	addr_format_ip(const struct addr *, char *, size_t);
bool	addr_equal(const struct addr *, const struct addr *);
int	addr_port(const struct addr *);

#endif
