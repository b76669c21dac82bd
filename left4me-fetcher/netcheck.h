/* Where the fetcher may connect.  Index links, redirect targets and the
 * addresses DNS returns are all untrusted: unless a source says
 * allow_private: true, only public unicast addresses are reached, over
 * http(s), with no credentials in any URL.  netcheck_url() is the early
 * check of a URL's text (literal hosts); download.c checks every address
 * curl is about to connect to with netcheck_sockaddr(), since a name can
 * resolve to anything. */
#ifndef LEFT4ME_FETCHER_NETCHECK_H
#define LEFT4ME_FETCHER_NETCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Why an address is not public ("loopback", "private", "link-local",
 * "multicast", ...), or NULL when it is.  a is in network byte order.
 * IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
 * IPv6 addresses are judged by the IPv4 address they carry. */
const char *netcheck_ipv4(const unsigned char a[4]);
const char *netcheck_ipv6(const unsigned char a[16]);
/* The same for a socket address; a family other than IPv4/IPv6 is "non-IP". */
const char *netcheck_sockaddr(const struct sockaddr *sa, size_t len);
/* The same for a URL's host if it is a literal: IPv4 (any form inet_aton
 * takes) or bracketed IPv6 (zone id allowed); NULL for names, localhost
 * included: they are judged by the addresses they resolve to. */
const char *netcheck_host(const char *host);

/* 0 if url is an absolute http or https URL without user info whose host is
 * not a non-public literal (the host is not checked when allow_private);
 * else -1 with one line in why, which never repeats credentials. */
int netcheck_url(const char *url, bool allow_private, char *why, size_t whylen);

/* Resolve a Location header value against the URL that answered, as curl
 * does when it follows a redirect.  New string, or NULL if unparseable. */
char *netcheck_redirect_target(const char *base, const char *location);

#endif
