/* RCON passwords (rcon.h, db_rcon.h): the generator's length, alphabet
 * and distinctness, the validator, the redaction of a log line, and the
 * table: made on first read, kept, rotated with an audit row that holds
 * no value, refused when malformed, gone with the server, never moved to
 * a later server (ids are not reused). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_rcon.h"
#include "db_server.h"
#include "rcon.h"
#include "testutil.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

START_TEST(test_generate)
{
	static char seen[200][RCON_PASSWORD_LEN + 1];
	int counts[128] = {0}, used = 0;

	ck_assert_int_ge(RCON_PASSWORD_LEN, 24);
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(rcon_password_generate(seen[i]), 0);
		ck_assert_uint_eq(strlen(seen[i]), RCON_PASSWORD_LEN);
		/* safe in a quoted cfg string: only letters and digits */
		ck_assert_uint_eq(strspn(seen[i], ALPHABET), RCON_PASSWORD_LEN);
		ck_assert_ptr_null(strpbrk(seen[i], "\"; \\\t'"));
		ck_assert(rcon_password_ok(seen[i]));
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(seen[i], seen[j]) != 0, "password %d repeats %d", i,
				      j);
		for (int k = 0; k < RCON_PASSWORD_LEN; k++)
			counts[(unsigned char)seen[i][k]]++;
	}
	/* 6400 draws over 62 letters: every letter shows up */
	for (const char *a = ALPHABET; *a; a++)
		used += counts[(unsigned char)*a] > 0;
	ck_assert_int_eq(used, 62);
}
END_TEST

START_TEST(test_ok)
{
	static const struct {
		const char *s;
		bool ok;
	} c[] = {
	    {"abcdefghijklmnopqrstuvwx", true}, /* 24 */
	    {"abcdefghijklmnopqrstuvw", false}, /* 23 */
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz01", true},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz012", false},
	    {"abcdefghijklmnopqrstuvw\"", false},
	    {"abcdefghijklmnopqrstuvw;", false},
	    {"abcdefghijklmnopqrstuvw ", false},
	    {"abcdefghijklmnopqrstuvw\\", false},
	    {"", false},
	    {NULL, false},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_msg(rcon_password_ok(c[i].s) == c[i].ok, "'%s'",
			      c[i].s ? c[i].s : "(null)");
}
END_TEST

START_TEST(test_redact)
{
	static const char *const c[][2] = {
	    {"status", "status"},
	    {"rcon_password \"abc\"", "rcon_password (withheld)"},
	    {"> RCON_Password x", "> RCON_Password (withheld)"},
	    {"\"rcon_password\" = \"SeCrEtSeCrEtSeCrEtSeCrEt01\"", "\"rcon_password (withheld)"},
	    {"rcon from 127.0.0.1: SeCrEtSeCrEtSeCrEtSeCrEt01 ok",
	     "rcon from 127.0.0.1: (withheld) ok"},
	    {"aSeCrEtSeCrEtSeCrEtSeCrEt01SeCrEtSeCrEtSeCrEtSeCrEt01", "a(withheld)(withheld)"},
	};
	char out[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = rcon_redact(c[i][0], strlen(c[i][0]), "SeCrEtSeCrEtSeCrEtSeCrEt01", out,
				       sizeof(out));

		ck_assert_msg(n == strlen(c[i][1]) && memcmp(out, c[i][1], n) == 0,
			      "'%s' -> '%.*s', want '%s'", c[i][0], (int)n, out, c[i][1]);
	}
	/* without a known value only the setting's name cuts */
	ck_assert_uint_eq(rcon_redact("abc", 3, NULL, out, sizeof(out)), 3);
	ck_assert_uint_eq(rcon_redact("abc", 3, "", out, sizeof(out)), 3);
	/* a small buffer is never overrun */
	memset(out, 'Z', sizeof(out));
	ck_assert_uint_eq(rcon_redact("rcon_password x", 15, NULL, out, 5), 5);
	ck_assert_int_eq(out[5], 'Z');
	ck_assert_int_eq(rcon_setting_at("xx RCON_PASSWORD", 16), 3);
	ck_assert_int_eq(rcon_setting_at("rcon_passwor", 12), -1);
}
END_TEST

static char *dir;
static sqlite3 *db;
static int64_t alpha, beta;

static void setup(void)
{
	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		       "(1, 'coop', 0, 0);");
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27015, &alpha), DB_OK);
	ck_assert_int_eq(db_server_create(db, "beta", 1, 1, 27016, &beta), DB_OK);
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_db_get_rotate)
{
	struct rcon_row a, a2, b, r;
	char *q;

	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_rcon"), 0);
	ck_assert_int_eq(db_rcon_get(db, alpha, &a), DB_OK);
	ck_assert(rcon_password_ok(a.password));
	ck_assert_int_gt(a.rotated_at, 0);
	ck_assert_int_eq(db_rcon_get(db, alpha, &a2), DB_OK); /* kept */
	ck_assert_str_eq(a.password, a2.password);
	ck_assert_int_eq(db_rcon_get(db, beta, &b), DB_OK);
	ck_assert_str_ne(a.password, b.password);
	ck_assert_int_eq(db_rcon_get(db, 999, &r), DB_NOTFOUND);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_rcon"), 2);

	ck_assert_int_eq(db_rcon_rotate(db, alpha, "alpha", 1, "alice", &r), DB_OK);
	ck_assert(rcon_password_ok(r.password));
	ck_assert_str_ne(r.password, a.password);
	ck_assert_int_eq(db_rcon_get(db, alpha, &a2), DB_OK);
	ck_assert_str_eq(a2.password, r.password);
	ck_assert_int_eq(db_rcon_get(db, beta, &a2), DB_OK); /* the other is untouched */
	ck_assert_str_eq(a2.password, b.password);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM audit_log WHERE action = "
				       "'rcon_rotate' AND object = 'alpha' AND detail = 'rotated' "
				       "AND actor = 'alice'"),
			 1);
	q = sqlite3_mprintf("SELECT count(*) FROM audit_log WHERE instr(detail, %Q) OR "
			    "instr(detail, %Q) OR instr(object, %Q)",
			    r.password, a.password, r.password);
	ck_assert_int_eq(tu_db_int(db, q), 0);
	sqlite3_free(q);
	ck_assert_int_eq(db_rcon_rotate(db, 999, "gone", 1, "alice", &r), DB_NOTFOUND);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM audit_log"), 1);
}
END_TEST

START_TEST(test_db_refuses_and_cascade)
{
	struct rcon_row a, c;
	int64_t gamma;

	/* the schema refuses a short or odd value; a malformed one is not served */
	ck_assert_int_ne(
	    sqlite3_exec(db, "INSERT INTO server_rcon VALUES (1, 'short', 0)", NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db,
				      "INSERT INTO server_rcon VALUES "
				      "(1, 'abcdefghijklmnopqrstuvw\"x', 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(db_rcon_get(db, alpha, &a), DB_OK);
	ck_assert_int_eq(db_server_delete(db, "alpha"), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_rcon"), 0);
	/* a new server under the same name gets a new id and a new password */
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27015, &gamma), DB_OK);
	ck_assert_int_gt(gamma, alpha);
	ck_assert_int_eq(db_rcon_get(db, gamma, &c), DB_OK);
	ck_assert_str_ne(c.password, a.password);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rcon");
	TCase *tc = tcase_create("password");
	TCase *td = tcase_create("db");

	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_ok);
	tcase_add_test(tc, test_redact);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, test_db_get_rotate);
	tcase_add_test(td, test_db_refuses_and_cascade);
	suite_add_tcase(s, td);
	return tu_main(s);
}
