/* systemd's own lines about a game server ("Main process exited,
 * code=exited, status=2/INVALIDARGUMENT", "Scheduled restart job, restart
 * counter is at 3.", "Start request repeated too quickly.") into that
 * server's console.  PID 1 logs them to the system journal with
 * UNIT=left4me-server@NAME.service; the console is the journal namespace
 * "left4me", which left4me-web reads.  left4me-status (group
 * systemd-journal: it may read the system journal; docs/SECURITY.md)
 * follows PID 1's entries and sends each one about a server again from
 * its own unit, which has LogNamespace=left4me, with
 * LEFT4ME_SERVER=NAME; left4me-web matches _SYSTEMD_UNIT=
 * left4me-status.service (journald sets it, a game cannot) plus that
 * field, and marks the lines as systemd's. */
#ifndef LEFT4ME_STATUS_RELAY_H
#define LEFT4ME_STATUS_RELAY_H

#include <stdbool.h>
#include <stddef.h>

struct console_relay;

/* Open the system journal at its end, following PID 1.  NULL with err
 * when it cannot be read. */
struct console_relay *console_relay_open(char *err, size_t errlen);
int console_relay_fd(struct console_relay *r);
int console_relay_events(struct console_relay *r);
/* Send every new PID 1 line about a left4me-server@ unit on; returns the
 * number sent. */
int console_relay_pump(struct console_relay *r);
void console_relay_close(struct console_relay *r);

/* The server NAME of UNIT=left4me-server@NAME.service (a valid server
 * name), into name (>= 65 bytes); false for any other value. */
bool console_relay_server(const char *unit, size_t len, char *name, size_t namelen);

#endif
