/* Each server's RCON password (table server_rcon, migration 8; the
 * password itself is made by rcon.h).  Writers: left4me-web and left4mectl
 * (create with the server, rotate), left4me-worker (a row for a server
 * older than the table, at its first initialize).  The password is a
 * secret: callers never log it, and wipe their copies (explicit_bzero). */
#ifndef LEFT4ME_DB_RCON_H
#define LEFT4ME_DB_RCON_H

#include <sqlite3.h>
#include <stdint.h>

#include "rcon.h"

struct rcon_row {
	char password[RCON_PASSWORD_MAX + 1];
	int64_t rotated_at; /* Unix ms: when this password was made */
};

/* Read server_id's password into *out, making one first if it has none
 * (in one write transaction, so two first readers agree).  DB_NOTFOUND if
 * the server does not exist; DB_ERROR if getrandom failed or the stored
 * value breaks rcon_password_ok. */
int db_rcon_get(sqlite3 *db, int64_t server_id, struct rcon_row *out);

/* Replace server_id's password by a new one (*out gets it) and write the
 * audit row (action "rcon_rotate", object the server's name, detail
 * "rotated": never the value) in the same transaction.  actor/user_id as
 * db_audit.  DB_NOTFOUND if the server does not exist. */
int db_rcon_rotate(sqlite3 *db, int64_t server_id, const char *server_name, int64_t user_id,
		   const char *actor, struct rcon_row *out);

#endif
