/* Workshop overlays in the DB (migration 5, db_workshop.c): create with a
 * list and a queued sync, replace the list, list items in order with
 * their state, the sync_workshop job kind, rename/delete through
 * db_overlay, the instance spec's kind, and the CHECKs that keep a
 * workshop overlay a user's overlay without script or source. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_blueprint.h"
#include "db_instance.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_workshop.h"
#include "testutil.h"

static char *dir;
static sqlite3 *db;

static void setup(void)
{
	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0), ('bob', '$y$x', 0, 0);");
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_create)
{
	static const int64_t ids[] = {30, 10, 20};
	static const int64_t dup[] = {1, 2, 1};
	struct overlay o;
	struct job job;
	int64_t id, job_id, *got;
	size_t n;

	ck_assert_int_eq(db_workshop_create(db, 1, "maps", ids, 3, 3, &id, &job_id), DB_OK);
	ck_assert_int_eq(db_overlay_get(db, id, &o), DB_OK);
	ck_assert_str_eq(o.kind, "workshop");
	ck_assert_int_eq(o.user_id, 1);
	ck_assert_ptr_null(o.build_script);
	ck_assert_ptr_null(o.build_status);
	overlay_fini(&o);
	/* the list in the user's order, each item known as pending */
	ck_assert_int_eq(db_workshop_listed_ids(db, id, &got, &n), DB_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(got[0] == 30 && got[1] == 10 && got[2] == 20);
	free(got);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM workshop_items "
				       "WHERE state = 'pending'"),
			 3);
	/* and a sync of it queued for the fetcher, the user's */
	ck_assert_int_gt(job_id, 0);
	ck_assert_int_eq(db_job_get(db, job_id, &job), DB_OK);
	ck_assert_int_eq(job.kind, JOB_SYNC_WORKSHOP);
	ck_assert_int_eq(job.user_id, 1);
	ck_assert_int_eq(atoll(job.target), id);
	job_fini(&job);
	ck_assert_str_eq(job_queue_name(job_kind_queue(JOB_SYNC_WORKSHOP)), "fetcher");
	/* refusals change nothing */
	ck_assert_int_eq(db_workshop_create(db, 1, "x", ids, 3, 2, &id, NULL), DB_INVALID);
	ck_assert_int_eq(db_workshop_create(db, 1, "x", dup, 3, 10, &id, NULL), DB_INVALID);
	ck_assert_int_eq(db_workshop_create(db, 1, "", ids, 3, 10, &id, NULL), DB_INVALID);
	ck_assert_int_eq(db_workshop_create(db, 0, "x", ids, 3, 10, &id, NULL), DB_INVALID);
	{
		int64_t big[] = {(INT64_C(1) << 53) + 1};
		int64_t zero[] = {0};

		ck_assert_int_eq(db_workshop_create(db, 1, "x", big, 1, 10, &id, NULL), DB_INVALID);
		ck_assert_int_eq(db_workshop_create(db, 1, "x", zero, 1, 10, &id, NULL),
				 DB_INVALID);
	}
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM overlays"), 1);
	/* an empty list is an overlay with nothing to sync */
	ck_assert_int_eq(db_workshop_create(db, 2, "empty", NULL, 0, 10, &id, &job_id), DB_OK);
	ck_assert_int_eq(job_id, 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 1);
}
END_TEST

START_TEST(test_items_order_and_replace)
{
	static const int64_t ids[] = {500, 100};
	static const int64_t next[] = {100, 700};
	struct workshop_item *it;
	int64_t id, job1, job2;
	size_t n;

	ck_assert_int_eq(db_workshop_create(db, 1, "c", ids, 2, 10, &id, &job1), DB_OK);
	/* what a sync writes: 500 is a collection of 501, 502 */
	tu_db_exec(db, "UPDATE workshop_items SET is_collection = 1, title = 'Coll', state = 'ok' "
		       "WHERE published_id = 500;"
		       "INSERT INTO workshop_items (published_id, title, file_size, time_updated, "
		       "  app_id, state, error, created_at) VALUES "
		       "(501, 'Map A', 10, 1000, 550, 'ok', NULL, 0),"
		       "(502, 'Map B', 20, 2000, 550, 'error', 'removed from the Workshop', 0);"
		       "UPDATE workshop_items SET title = 'Solo', state = 'ok', cached_at = 5, "
		       "  cached_time_updated = 7, cached_size = 9, preview_type = 'image/png' "
		       "WHERE published_id = 100;");
	tu_db_exec(db, "INSERT INTO overlay_workshop (overlay_id, via, published_id, position) "
		       "VALUES (1, 500, 502, 1), (1, 500, 501, 0)");
	ck_assert_int_eq(db_workshop_items(db, id, &it, &n), DB_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(it[0].published_id, 500);
	ck_assert(it[0].is_collection);
	ck_assert_int_eq(it[0].via, 0);
	ck_assert_int_eq(it[1].published_id, 501);
	ck_assert_int_eq(it[1].via, 500);
	ck_assert_str_eq(it[1].title, "Map A");
	ck_assert_int_eq(it[1].app_id, 550);
	ck_assert_int_eq(it[2].published_id, 502);
	ck_assert_str_eq(it[2].state, "error");
	ck_assert_str_eq(it[2].error, "removed from the Workshop");
	ck_assert_int_eq(it[3].published_id, 100);
	ck_assert_str_eq(it[3].preview_type, "image/png");
	ck_assert_int_eq(it[3].cached_time_updated, 7);
	workshop_item_list_free(it, n);
	/* replace: 500 goes with what it resolved to; 700 is new; one sync
	 * queued (the one from create is reused while it waits) */
	ck_assert_int_eq(db_workshop_set_ids(db, id, next, 2, 10, &job2), DB_OK);
	ck_assert_int_eq(job2, job1);
	ck_assert_int_eq(db_workshop_items(db, id, &it, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(it[0].published_id, 100);
	ck_assert_int_eq(it[1].published_id, 700);
	ck_assert_str_eq(it[1].state, "pending");
	ck_assert_ptr_null(it[1].title);
	workshop_item_list_free(it, n);
	ck_assert_int_eq(db_workshop_set_ids(db, id, next, 2, 1, NULL), DB_INVALID);
	ck_assert_int_eq(db_workshop_set_ids(db, 999, next, 2, 10, NULL), DB_NOTFOUND);
	/* a non-workshop overlay is not one */
	ck_assert_int_eq(db_overlay_create(db, 1, "plain", NULL, &id), DB_OK);
	ck_assert_int_eq(db_workshop_set_ids(db, id, next, 2, 10, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_workshop_items(db, id, &it, &n), DB_NOTFOUND);
	ck_assert_int_eq(db_workshop_enqueue_sync(db, id, 1, NULL, NULL), DB_NOTFOUND);
}
END_TEST

START_TEST(test_item_get_and_lists)
{
	static const int64_t ids[] = {42};
	struct workshop_item it;
	char url[128];
	bool lists;
	int64_t id;

	ck_assert_int_eq(db_workshop_create(db, 1, "w", ids, 1, 10, &id, NULL), DB_OK);
	ck_assert_int_eq(db_workshop_item_get(db, 42, &it), DB_OK);
	ck_assert_str_eq(it.state, "pending");
	workshop_item_fini(&it);
	ck_assert_int_eq(db_workshop_item_get(db, 43, &it), DB_NOTFOUND);
	ck_assert_int_eq(db_workshop_overlay_lists(db, id, 42, &lists), DB_OK);
	ck_assert(lists);
	ck_assert_int_eq(db_workshop_overlay_lists(db, id, 43, &lists), DB_OK);
	ck_assert(!lists);
	workshop_page_url(42, url, sizeof(url));
	ck_assert_str_eq(url, "https://steamcommunity.com/sharedfiles/filedetails/?id=42");
}
END_TEST

START_TEST(test_sync_jobs)
{
	static const int64_t ids[] = {1};
	struct job_request bad = {.kind = JOB_SYNC_WORKSHOP, .target = "../1"};
	struct job job;
	int64_t id, a, b;
	bool coalesced;

	ck_assert_int_eq(db_workshop_create(db, 1, "w", ids, 1, 10, &id, NULL), DB_OK);
	ck_assert_int_eq(db_workshop_enqueue_sync(db, id, 1, &a, &coalesced), DB_OK);
	ck_assert(coalesced); /* create's is still queued */
	ck_assert_int_eq(db_workshop_enqueue_sync(db, 0, 0, &b, &coalesced), DB_OK);
	ck_assert(!coalesced);
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(db_job_get(db, b, &job), DB_OK);
	ck_assert_str_eq(job.target, "");
	ck_assert_int_eq(job.user_id, 0);
	job_fini(&job);
	ck_assert_int_eq(db_job_enqueue(db, &bad, &a, NULL), DB_INVALID);
	/* one sync at a time: they share a lock key */
	ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT lock_key) FROM jobs"), 1);
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "h:1", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "h:2", &job), DB_NOTFOUND);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:3", &job), DB_NOTFOUND);
}
END_TEST

START_TEST(test_rename_delete_blueprint)
{
	static const int64_t ids[] = {1, 2};
	struct instance_spec spec;
	struct overlay o;
	struct job job;
	int64_t id, bp;

	ck_assert_int_eq(db_workshop_create(db, 1, "w", ids, 2, 10, &id, NULL), DB_OK);
	/* renamed, still a workshop overlay; a script is refused */
	ck_assert_int_eq(db_overlay_update(db, id, "renamed", NULL), DB_OK);
	ck_assert_int_eq(db_overlay_get(db, id, &o), DB_OK);
	ck_assert_str_eq(o.kind, "workshop");
	ck_assert_str_eq(o.name, "renamed");
	overlay_fini(&o);
	ck_assert_int_eq(db_overlay_update(db, id, "renamed", "echo hi"), DB_INVALID);
	/* the CHECKs: no source, an owner, no script */
	ck_assert(sqlite3_exec(db, "UPDATE overlays SET user_id = NULL WHERE id = 1", NULL, NULL,
			       NULL) == SQLITE_CONSTRAINT_CHECK);
	ck_assert(sqlite3_exec(db, "UPDATE overlays SET build_script = 'x' WHERE id = 1", NULL,
			       NULL, NULL) == SQLITE_CONSTRAINT_CHECK);
	/* in a blueprint like any other; the worker reads its kind */
	ck_assert_int_eq(db_blueprint_create(db, 1, "b", "", &bp), DB_OK);
	tu_db_exec(db, "INSERT INTO blueprint_overlays (blueprint_id, overlay_id, position) "
		       "VALUES (1, 1, 0);"
		       "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES ('alpha', 1, 1, 27015, 0, 0)");
	ck_assert_int_eq(db_instance_get(db, "alpha", &spec), DB_OK);
	ck_assert_uint_eq(spec.n_overlays, 1);
	ck_assert_int_eq(spec.overlays[0].kind, OVERLAY_WORKSHOP);
	instance_spec_fini(&spec);
	ck_assert_int_eq(db_overlay_delete(db, id), DB_INVALID); /* linked */
	tu_db_exec(db, "DELETE FROM servers; DELETE FROM blueprint_overlays");
	/* deleting queues a sync of everything (its tree and unused cache
	 * files go), not a worker's delete_overlay; the list goes with it */
	tu_db_exec(db, "DELETE FROM jobs");
	ck_assert_int_eq(db_overlay_delete(db, id), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM overlay_workshop"), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 1);
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "h:1", &job), DB_OK);
	ck_assert_int_eq(job.kind, JOB_SYNC_WORKSHOP);
	ck_assert_str_eq(job.target, "");
	ck_assert_int_eq(job.user_id, 1);
	job_fini(&job);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_workshop");
	TCase *tc = tcase_create("workshop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60); /* ASan on a busy machine */
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_items_order_and_replace);
	tcase_add_test(tc, test_item_get_and_lists);
	tcase_add_test(tc, test_sync_jobs);
	tcase_add_test(tc, test_rename_delete_blueprint);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
