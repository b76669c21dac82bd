/* Browser sessions (table sessions).  Writer: left4me-web.  Only a SHA-256
 * of the cookie value is stored; the per-session CSRF token is stored as is
 * (it is sent in every page anyway and is useless without the cookie). */
#ifndef LEFT4ME_DB_SESSION_H
#define LEFT4ME_DB_SESSION_H

#include <sqlite3.h>
#include <stdint.h>

#include "db_user.h"

struct session {
	int64_t id;
	int64_t user_id;
	char csrf_token[65];
	int64_t expires_at; /* unix ms */
	int64_t last_seen_at;
};

/* Store a new session for user_id expiring ttl_ms from now; expired rows of
 * every user are purged in the same transaction. */
int db_session_create(sqlite3 *db, int64_t user_id, const char *token_hash, const char *csrf,
		      int64_t ttl_ms, int64_t *id);
/* The live session with token_hash and its enabled user: DB_NOTFOUND for an
 * unknown, expired or disabled one.  last_seen_at is written at most once a
 * minute so that page views stay read-only. */
int db_session_lookup(sqlite3 *db, const char *token_hash, struct session *s, struct user *u);
/* Revoke (logout).  DB_NOTFOUND if there was no such session. */
int db_session_delete(sqlite3 *db, const char *token_hash);
/* DB_OK if session id exists and has not expired, else DB_NOTFOUND (the
 * web's streams end with their session). */
int db_session_live(sqlite3 *db, int64_t id);
/* Number of live sessions of a user (tests, admin page). */
int db_session_count(sqlite3 *db, int64_t user_id, int64_t *count);

#endif
