/* Users and API tokens in the database. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "db_user.h"
#include "testutil.h"

static char *dir;
static sqlite3 *db;

static void setup(void)
{
	dir = tu_mkdtemp();
	db = tu_db_new(dir);
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_add_get_list)
{
	struct user u, *list;
	int64_t id, count;
	size_t n;

	ck_assert_int_eq(db_user_count(db, &count), DB_OK);
	ck_assert_int_eq(count, 0);
	ck_assert_int_eq(db_user_add(db, "bob", "$y$hash", false, &id), DB_OK);
	ck_assert_int_eq(db_user_add(db, "alice", "$y$hash2", true, NULL), DB_OK);
	ck_assert_int_eq(db_user_add(db, "bob", "$y$other", true, NULL), DB_EXISTS);
	ck_assert_int_eq(db_user_add(db, "Bad", "$y$h", false, NULL), DB_INVALID);
	ck_assert_int_eq(db_user_add(db, "carol", "not-yescrypt", false, NULL), DB_INVALID);
	ck_assert_int_eq(db_user_get(db, id, &u), DB_OK);
	ck_assert_str_eq(u.name, "bob");
	ck_assert(!u.admin);
	ck_assert(!u.disabled);
	user_fini(&u);
	ck_assert_int_eq(db_user_get_by_name(db, "alice", &u), DB_OK);
	ck_assert(u.admin);
	ck_assert_str_eq(u.password_hash, "$y$hash2");
	user_fini(&u);
	ck_assert_int_eq(db_user_get_by_name(db, "nobody", &u), DB_NOTFOUND);
	ck_assert_int_eq(db_user_list(db, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "alice");
	ck_assert_str_eq(list[1].name, "bob");
	user_list_free(list, n);
	ck_assert_int_eq(db_user_set_admin(db, id, true), DB_OK);
	ck_assert_int_eq(db_user_get(db, id, &u), DB_OK);
	ck_assert(u.admin);
	user_fini(&u);
	ck_assert_int_eq(db_user_set_admin(db, 999, true), DB_NOTFOUND);
}
END_TEST

static void add_session(int64_t user_id, const char *hash)
{
	sqlite3_stmt *st;

	ck_assert(sqlite3_prepare_v2(db,
				     "INSERT INTO sessions (user_id, token_hash, csrf_token, "
				     "created_at, expires_at, last_seen_at) VALUES (?, ?, "
				     "'0123456789abcdef0123456789abcdef', 1, 2, 1)",
				     -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	ck_assert(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
}

START_TEST(test_passwd_and_disable_revoke)
{
	char tok_hash[AUTH_SHA256_HEX + 1], sess_hash[AUTH_SHA256_HEX + 1];
	struct user u;
	int64_t id;

	auth_sha256_hex("l4m_token", tok_hash);
	auth_sha256_hex("session", sess_hash);
	ck_assert_int_eq(db_user_add(db, "bob", "$y$old", false, &id), DB_OK);
	ck_assert_int_eq(db_token_add(db, id, tok_hash, "ci", NULL), DB_OK);
	add_session(id, sess_hash);
	ck_assert_int_eq(db_token_lookup(db, tok_hash, &u, NULL), DB_OK);
	ck_assert_str_eq(u.name, "bob");
	user_fini(&u);
	ck_assert_int_gt(tu_db_int(db, "SELECT last_used_at FROM api_tokens"), 0);
	/* a new password ends sessions but keeps API tokens */
	ck_assert_int_eq(db_user_set_password(db, id, "$y$new"), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sessions"), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM api_tokens"), 1);
	ck_assert_int_eq(db_user_set_password(db, 999, "$y$new"), DB_NOTFOUND);
	ck_assert_int_eq(db_user_set_password(db, id, "plain"), DB_INVALID);
	ck_assert_int_eq(db_user_get(db, id, &u), DB_OK);
	ck_assert_str_eq(u.password_hash, "$y$new"); /* the refused change left nothing */
	user_fini(&u);
	/* disabling ends sessions and tokens */
	add_session(id, sess_hash);
	ck_assert_int_eq(db_user_set_disabled(db, id, true), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sessions"), 0);
	ck_assert_int_eq(db_token_lookup(db, tok_hash, &u, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_user_set_disabled(db, id, false), DB_OK);
	ck_assert_int_eq(db_user_set_disabled(db, 999, true), DB_NOTFOUND);
}
END_TEST

START_TEST(test_tokens)
{
	char h1[AUTH_SHA256_HEX + 1], h2[AUTH_SHA256_HEX + 1];
	struct api_token *list;
	struct user u;
	int64_t a, b, t1, t2, seen = 0;
	size_t n;

	auth_sha256_hex("one", h1);
	auth_sha256_hex("two", h2);
	ck_assert_int_eq(db_user_add(db, "a", "$y$x", false, &a), DB_OK);
	ck_assert_int_eq(db_user_add(db, "b", "$y$x", false, &b), DB_OK);
	ck_assert_int_eq(db_token_add(db, a, h1, "laptop", &t1), DB_OK);
	ck_assert_int_eq(db_token_add(db, b, h2, NULL, &t2), DB_OK);
	ck_assert_int_eq(db_token_add(db, b, h2, NULL, NULL), DB_EXISTS);
	ck_assert_int_eq(db_token_add(db, b, "short", NULL, NULL), DB_INVALID);
	ck_assert_int_eq(db_token_list(db, a, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].label, "laptop");
	api_token_list_free(list, n);
	ck_assert_int_eq(db_token_revoke(db, b, t1), DB_NOTFOUND); /* not b's */
	ck_assert_int_eq(db_token_lookup(db, h1, &u, &seen), DB_OK);
	ck_assert_int_eq(seen, t1);
	ck_assert_int_eq(u.id, a);
	user_fini(&u);
	ck_assert_int_eq(db_token_live(db, t1), DB_OK);
	ck_assert_int_eq(db_token_live(db, t2), DB_OK);
	ck_assert_int_eq(db_user_set_disabled(db, b, true), DB_OK);
	ck_assert_int_eq(db_token_live(db, t2), DB_NOTFOUND); /* disabling revokes them */
	ck_assert_int_eq(db_token_revoke(db, a, t1), DB_OK);
	ck_assert_int_eq(db_token_live(db, t1), DB_NOTFOUND);
	ck_assert_int_eq(db_token_lookup(db, h1, &u, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_token_lookup(db, "0000", &u, NULL), DB_NOTFOUND);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_user");
	TCase *tc = tcase_create("users");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_get_list);
	tcase_add_test(tc, test_passwd_and_disable_revoke);
	tcase_add_test(tc, test_tokens);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
