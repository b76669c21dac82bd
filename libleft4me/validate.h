/* Every validator of untrusted names and numbers, in one place.  Each is
 * applied at every boundary a value crosses (form, API, DB read, worker,
 * helper argv): never trust a name that crossed a process. */
#ifndef LEFT4ME_VALIDATE_H
#define LEFT4ME_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSTANCE_NAME_MAX 64
/* A new server's name: each server runs as its own DynamicUser named
 * l4m-NAME (units/left4me-server@.service), and systemd allocates a
 * dynamic user only for a strict user name of at most 31 bytes. */
#define SERVER_NAME_MAX	   27
#define USERNAME_MAX	   32
#define DISPLAY_NAME_MAX   64
#define OVERLAY_PATH_MAX   1024
#define PATH_COMPONENT_MAX 255
#define PASSWORD_MIN	   8
#define PASSWORD_MAX	   1024

/* Server/instance name: [a-z0-9][a-z0-9_-]{0,63}. */
bool valid_instance_name(const char *s);
/* Name of a server to create: an instance name of at most SERVER_NAME_MAX
 * bytes.  (Older, longer names stay valid instance names, so they can
 * still be stopped and deleted, but cannot start.) */
bool valid_server_name(const char *s);
/* Global overlay source name: same shape as an instance name. */
bool valid_source_name(const char *s);
/* Login name: [a-z0-9][a-z0-9._-]{0,31}. */
bool valid_username(const char *s);
/* Database id in canonical decimal, 1..2^53; *out set when valid (may be NULL). */
bool valid_id(const char *s, int64_t *out);
/* TCP/UDP port 1..65535 in canonical decimal. */
bool valid_port(const char *s, int *out);
/* A port a game server may use: 1024..65535. */
bool valid_server_port(long long port);
/* Display name (overlay, blueprint): 1..64 bytes of valid UTF-8, no
 * control characters (C0, DEL or C1), not only spaces. */
bool valid_display_name(const char *s);
/* Path inside an overlay: relative, '/'-separated, no empty, "." or ".."
 * component, printable ASCII without '\\', components <= 255 bytes, total
 * <= 1024 bytes. */
bool valid_overlay_path(const char *s);
/* Password acceptable for a new account: 8..1024 bytes, no NUL. */
bool valid_password(const char *s);
/* Valid UTF-8 without overlongs or surrogates. */
bool valid_utf8(const char *s, size_t len);

/* A backup's name in backup.dir: left4me-YYYYMMDDTHHMMSSZ.tar.zst exactly
 * (no '/', no ".."); the only names opened there. */
bool backup_name_ok(const char *name);

#endif
