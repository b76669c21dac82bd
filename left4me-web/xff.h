/* X-Forwarded-For: which client a chain of trusted proxies names.  Pure
 * text in, an address out; knows nothing of HTTP or sockets.
 *
 * The header is a comma-separated list, each element an address with
 * optional whitespace around it (space or tab): "A.B.C.D", "A.B.C.D:PORT",
 * "V6", "[V6]" or "[V6]:PORT" (netaddr.h's addresses; PORT 0..65535).
 * Every proxy appends the address it got the request from, so the list
 * is read from the right: the client is the right-most element that is
 * not itself a trusted proxy.  The elements left of it are the client's
 * own words and are never read, so garbage there changes nothing. */
#ifndef LEFT4ME_WEB_XFF_H
#define LEFT4ME_WEB_XFF_H

#include <stddef.h>

#include "netaddr.h"

/* The client named by header (len bytes, the X-Forwarded-For values joined
 * by "," in the order received) behind the n trusted blocks: 0 with
 * *client set (the left-most element if every one is trusted), or -1 if
 * the header is empty or an element read is not an address. */
int xff_client(const char *header, size_t len, const struct netaddr_block *trusted, size_t n,
	       struct netaddr *client);

#endif
