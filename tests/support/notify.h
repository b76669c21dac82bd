/* A stand-in for systemd's notify socket, for tests of sd_notify. */
#ifndef LEFT4ME_TESTS_NOTIFY_H
#define LEFT4ME_TESTS_NOTIFY_H

#include "strbuf.h"

/* Bind a datagram socket at path (give it as NOTIFY_SOCKET); its fd. */
int notify_bind(const char *path);
/* Append each datagram that arrives on fd to sb as "MSG|", for up to ms,
 * or until want (if not NULL) is in sb. */
void notify_read(int fd, struct strbuf *sb, int ms, const char *want);

#endif
