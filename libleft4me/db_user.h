/* Users and API tokens (tables users, api_tokens). */
#ifndef LEFT4ME_DB_USER_H
#define LEFT4ME_DB_USER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct user {
	int64_t id;
	char *name;
	char *password_hash;
	bool admin;
	bool disabled;
	int64_t created_at;
	int64_t updated_at;
};

void user_fini(struct user *u);
void user_list_free(struct user *users, size_t n);

/* DB_EXISTS if the name is taken, DB_INVALID if name or hash is refused. */
int db_user_add(sqlite3 *db, const char *name, const char *password_hash, bool admin, int64_t *id);
/* DB_NOTFOUND if there is no such user.  Also revokes the user's sessions. */
int db_user_set_password(sqlite3 *db, int64_t id, const char *password_hash);
/* Disabling also revokes the user's sessions and API tokens. */
int db_user_set_disabled(sqlite3 *db, int64_t id, bool disabled);
int db_user_set_admin(sqlite3 *db, int64_t id, bool admin);
int db_user_get(sqlite3 *db, int64_t id, struct user *out);
int db_user_get_by_name(sqlite3 *db, const char *name, struct user *out);
/* All users by name. */
int db_user_list(sqlite3 *db, struct user **users, size_t *n);
/* Number of users (0 on a fresh install). */
int db_user_count(sqlite3 *db, int64_t *count);
/* What a user has, for the quotas (quotas.*): servers, user and script
 * overlays, blueprints, and jobs in state queued. */
struct user_usage {
	int64_t servers, overlays, blueprints, queued_jobs;
};
int db_user_usage(sqlite3 *db, int64_t user_id, struct user_usage *out);

struct api_token {
	int64_t id;
	int64_t user_id;
	char *label;
	int64_t created_at;
	int64_t last_used_at;
};

/* Store a token by its SHA-256 (hex). */
int db_token_add(sqlite3 *db, int64_t user_id, const char *token_hash, const char *label,
		 int64_t *id);
/* The enabled user owning token_hash, touching last_used_at, and the
 * token's id into *token_id (unless NULL); DB_NOTFOUND for an unknown
 * token or a disabled user. */
int db_token_lookup(sqlite3 *db, const char *token_hash, struct user *out, int64_t *token_id);
/* DB_OK while token token_id exists (not revoked), else DB_NOTFOUND (the
 * web's streams end with their token). */
int db_token_live(sqlite3 *db, int64_t token_id);
int db_token_list(sqlite3 *db, int64_t user_id, struct api_token **tokens, size_t *n);
void api_token_list_free(struct api_token *tokens, size_t n);
/* Revoke a token of user_id: DB_NOTFOUND if it is not theirs. */
int db_token_revoke(sqlite3 *db, int64_t user_id, int64_t token_id);

#endif
