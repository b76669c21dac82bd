/* Sessions, blueprints and overlays as left4me-web writes them
 * (db_session, db_blueprint, db_overlay). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "db_blueprint.h"
#include "db_overlay.h"
#include "db_session.h"
#include "db_user.h"
#include "testutil.h"

static char *dir;
static sqlite3 *db;
static int64_t alice, bob;

static void setup(void)
{
	char hash[AUTH_HASH_MAX];

	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	ck_assert(auth_hash_password("password-1", hash) == 0);
	ck_assert(db_user_add(db, "alice", hash, false, &alice) == DB_OK);
	ck_assert(db_user_add(db, "bob", hash, false, &bob) == DB_OK);
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

static const char H1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char H2[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char CSRF[] = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

START_TEST(session_lifecycle)
{
	struct session s;
	struct user u;
	int64_t n;

	ck_assert_int_eq(db_session_create(db, alice, H1, CSRF, 60000, NULL), DB_OK);
	ck_assert_int_eq(db_session_lookup(db, H1, &s, &u), DB_OK);
	ck_assert_int_eq(s.user_id, alice);
	ck_assert_str_eq(s.csrf_token, CSRF);
	ck_assert_str_eq(u.name, "alice");
	user_fini(&u);
	ck_assert_int_eq(db_session_lookup(db, H2, &s, &u), DB_NOTFOUND);
	ck_assert_int_eq(db_session_create(db, alice, H1, CSRF, 60000, NULL), DB_EXISTS);
	ck_assert_int_eq(db_session_create(db, alice, H2, "short", 60000, NULL), DB_INVALID);
	ck_assert_int_eq(db_session_create(db, alice, H2, CSRF, 0, NULL), DB_INVALID);
	/* A disabled user's sessions are revoked and never found. */
	ck_assert_int_eq(db_user_set_disabled(db, alice, true), DB_OK);
	ck_assert_int_eq(db_session_lookup(db, H1, &s, &u), DB_NOTFOUND);
	ck_assert_int_eq(db_user_set_disabled(db, alice, false), DB_OK);
	/* Expired: not found, and purged at the next create. */
	ck_assert_int_eq(db_session_create(db, bob, H2, CSRF, 60000, NULL), DB_OK);
	tu_db_exec(db, "UPDATE sessions SET created_at = 1, expires_at = 2");
	ck_assert_int_eq(db_session_lookup(db, H2, &s, &u), DB_NOTFOUND);
	ck_assert_int_eq(db_session_create(db, alice, H1, CSRF, 60000, NULL), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sessions"), 1);
	ck_assert_int_eq(db_session_count(db, alice, &n), DB_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_session_delete(db, H1), DB_OK);
	ck_assert_int_eq(db_session_delete(db, H1), DB_NOTFOUND);
}
END_TEST

START_TEST(blueprints)
{
	struct blueprint_overlay ov[3];
	struct blueprint b, *list;
	int64_t bp, o1, o2, ob;
	size_t n;

	ck_assert_int_eq(db_overlay_create(db, alice, "maps", NULL, &o1), DB_OK);
	ck_assert_int_eq(db_overlay_create(db, alice, "built", "echo hi", &o2), DB_OK);
	ck_assert_int_eq(db_overlay_create(db, bob, "bobs", "", &ob), DB_OK);
	ck_assert_int_eq(db_blueprint_create(db, alice, "coop", "hostname x", &bp), DB_OK);
	ck_assert_int_eq(db_blueprint_create(db, alice, "coop", "", NULL), DB_EXISTS);
	ck_assert_int_eq(db_blueprint_create(db, bob, "coop", "", NULL), DB_OK);
	ck_assert_int_eq(db_blueprint_create(db, alice, "", "", NULL), DB_INVALID);
	ck_assert_int_eq(db_blueprint_create(db, alice, "bad\x01", "", NULL), DB_INVALID);
	memset(ov, 0, sizeof(ov));
	ov[0].overlay_id = o2;
	ov[0].expose_server_cfg = true;
	ov[1].overlay_id = o1;
	ck_assert_int_eq(db_blueprint_set_overlays(db, bp, alice, ov, 2), DB_OK);
	ck_assert_int_eq(db_blueprint_get(db, bp, &b), DB_OK);
	ck_assert_uint_eq(b.n_overlays, 2);
	ck_assert_int_eq(b.overlays[0].overlay_id, o2);
	ck_assert(b.overlays[0].expose_server_cfg);
	ck_assert_str_eq(b.overlays[0].kind, "script");
	ck_assert_str_eq(b.overlays[1].name, "maps");
	blueprint_fini(&b);
	/* Another user's overlay or a repeated one: refused, nothing changed. */
	ov[2].overlay_id = ob;
	ck_assert_int_eq(db_blueprint_set_overlays(db, bp, alice, ov, 3), DB_INVALID);
	ov[2].overlay_id = o1;
	ck_assert_int_eq(db_blueprint_set_overlays(db, bp, alice, ov, 3), DB_INVALID);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blueprint_overlays"), 2);
	ck_assert_int_eq(db_blueprint_list(db, alice, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(list[0].n_linked, 2);
	blueprint_list_free(list, n);
	ck_assert_int_eq(db_blueprint_update(db, bp, "coop2", "sv_lan 1"), DB_OK);
	ck_assert_int_eq(db_blueprint_update(db, 999, "x", ""), DB_NOTFOUND);
	/* A linked overlay cannot go; a used blueprint cannot go. */
	ck_assert_int_eq(db_overlay_delete(db, o1), DB_INVALID);
	tu_db_exec(db, "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES ('s', 1, 1, 27015, 1, 1)");
	ck_assert_int_eq(db_blueprint_delete(db, bp), DB_INVALID);
	tu_db_exec(db, "DELETE FROM servers");
	ck_assert_int_eq(db_blueprint_delete(db, bp), DB_OK);
	ck_assert_int_eq(db_blueprint_delete(db, bp), DB_NOTFOUND);
	ck_assert_int_eq(db_overlay_delete(db, o1), DB_OK);
}
END_TEST

START_TEST(overlays)
{
	struct overlay o, *list;
	int64_t id;
	size_t n;

	ck_assert_int_eq(db_overlay_create(db, alice, "maps", NULL, &id), DB_OK);
	ck_assert_int_eq(db_overlay_get(db, id, &o), DB_OK);
	ck_assert_str_eq(o.kind, "user");
	ck_assert_ptr_null(o.build_status);
	overlay_fini(&o);
	/* Gaining a script makes it a script overlay, never built yet. */
	ck_assert_int_eq(db_overlay_update(db, id, "maps", "echo 1"), DB_OK);
	ck_assert_int_eq(db_overlay_get(db, id, &o), DB_OK);
	ck_assert_str_eq(o.kind, "script");
	ck_assert_str_eq(o.build_status, "never");
	overlay_fini(&o);
	ck_assert_int_eq(db_overlay_update(db, id, "maps", ""), DB_OK);
	ck_assert_int_eq(db_overlay_get(db, id, &o), DB_OK);
	ck_assert_str_eq(o.kind, "user");
	ck_assert_ptr_null(o.build_script);
	overlay_fini(&o);
	ck_assert_int_eq(db_overlay_create(db, 0, "x", NULL, NULL), DB_INVALID);
	ck_assert_int_eq(db_overlay_create(db, alice, "", NULL, NULL), DB_INVALID);
	/* Global rows: listed for everyone, not writable here. */
	tu_db_exec(db, "INSERT INTO global_overlay_sources (name, kind, created_at) VALUES "
		       "('l4d2center-maps', 'json_index', 1)");
	tu_db_exec(db, "INSERT INTO overlays (name, kind, source_id, created_at, updated_at) "
		       "VALUES ('l4d2center-maps', 'global', 1, 1, 1)");
	ck_assert_int_eq(db_overlay_list(db, bob, true, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].kind, "global");
	ck_assert_str_eq(list[0].source_name, "l4d2center-maps");
	overlay_list_free(list, n);
	ck_assert_int_eq(db_overlay_list(db, alice, false, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	overlay_list_free(list, n);
	ck_assert_int_eq(db_overlay_update(db, 2, "x", NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_overlay_delete(db, 2), DB_NOTFOUND);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_session");
	TCase *tc = tcase_create("web tables");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, session_lifecycle);
	tcase_add_test(tc, blueprints);
	tcase_add_test(tc, overlays);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
