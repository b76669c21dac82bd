/* IP addresses and CIDR blocks as text: the one grammar of web.trusted_proxies
 * and of the client addresses a trusted proxy names in X-Forwarded-For.
 *
 * An address is an IPv4 dotted quad (inet_pton(3)'s strict form: four
 * decimal parts 0..255, no leading zero) or an IPv6 address (inet_pton's
 * form: no zone, no brackets, no port), at most 45 bytes.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is taken as the IPv4 address it maps, so
 * a dual-stack socket's peers compare equal to their IPv4 spelling.  A
 * block is an address, optionally "/PREFIX" (0..32 or 0..128, canonical
 * decimal); without one it is the single address.  Host bits below the
 * prefix must be zero ("127.0.0.1/8" is refused: it says two things). */
#ifndef LEFT4ME_NETADDR_H
#define LEFT4ME_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NETADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

struct netaddr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order; IPv4 in the first 4 bytes */
};

struct netaddr_block {
	struct netaddr base; /* host bits zero */
	unsigned prefix;     /* 0..32 or 0..128 */
};

/* The address of s (len bytes, need not be NUL-terminated); 0, or -1. */
int netaddr_parse(const char *s, size_t len, struct netaddr *out);
/* The address of a socket address (AF_INET or AF_INET6); 0, or -1. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);
/* A block; 0, or -1 with why in *why (static; why may be NULL). */
int netaddr_parse_block(const char *s, struct netaddr_block *out, const char **why);
bool netaddr_in_block(const struct netaddr *a, const struct netaddr_block *b);
bool netaddr_in_any(const struct netaddr *a, const struct netaddr_block *b, size_t n);
bool netaddr_is_loopback(const struct netaddr *a);
/* Print a into out (at least NETADDR_TEXT_MAX bytes), inet_ntop's form. */
void netaddr_format(const struct netaddr *a, char *out, size_t outlen);

#endif
