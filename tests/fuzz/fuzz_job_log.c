/* Fuzz target: the cleaning of untrusted output lines on their way into
 * job_log (db_job_log) and of a job's one-line reason (db_job_cancel), on
 * an in-memory database.  Properties: every stored line is valid UTF-8 (per
 * valid_utf8), holds no control character but tab, is at most
 * JOB_LOG_LINE_MAX bytes and no longer than its input; a line that was
 * already clean is stored unchanged; the same for the reason with
 * JOB_REASON_MAX.  Slower than the pure parsers (five SQL statements per
 * input): fewer replay mutations, and the database is rebuilt every
 * DB_RENEW inputs to bound its size. */
#include "fuzz.h"

#include "db.h"
#include "db_job.h"
#include "validate.h"

#define DB_RENEW 2048

/* ~0.4 ms an input under ASan: keep `make check-asan` to a few seconds. */
FUZZ_REPLAY_ITERATIONS(8000);

static sqlite3 *db;
static unsigned runs;
static int64_t log_job; /* the job every line is logged to */

static void db_renew(void)
{
	char err[256];

	db_close(db);
	db = db_open(":memory:", DB_OPEN_CREATE, err, sizeof(err));
	FUZZ_CHECK(db != NULL, "db_open: %s", err);
	FUZZ_CHECK(db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) == 0, "migrate: %s",
		   err);
	FUZZ_CHECK(db_job_enqueue(db, &(struct job_request){.kind = JOB_INSTALL_GAME}, &log_job,
				  NULL) == DB_OK,
		   "enqueue");
}

/* Would clean_line leave s as it is? */
static int already_clean(const char *s, size_t len, size_t max)
{
	return len <= max && valid_utf8(s, len) && !fuzz_has_control(s, len, 1) &&
	       !fuzz_has_c1(s, len);
}

static void check_clean(const char *what, const char *in, const char *out, size_t max)
{
	size_t in_len = strlen(in), out_len = strlen(out);

	FUZZ_CHECK(out_len <= max, "%s: %zu bytes stored", what, out_len);
	FUZZ_CHECK(out_len <= in_len, "%s: %zu bytes stored from %zu", what, out_len, in_len);
	FUZZ_CHECK(valid_utf8(out, out_len), "%s: stored invalid UTF-8", what);
	FUZZ_CHECK(!fuzz_has_control(out, out_len, 1), "%s: stored a control character", what);
	FUZZ_CHECK(!fuzz_has_c1(out, out_len), "%s: stored a C1 control character", what);
	if (already_clean(in, in_len, max))
		FUZZ_CHECK(strcmp(in, out) == 0, "%s: a clean line was changed", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_request req = {.kind = JOB_REFRESH_GLOBAL_OVERLAYS};
	char *line = fuzz_cstring(data, size);
	struct job_log_line *lines;
	struct job job;
	int64_t id, log_id = 0;
	size_t n;

	if (runs++ % DB_RENEW == 0)
		db_renew();
	FUZZ_CHECK(db_job_log(db, log_job, STREAM_STDOUT, line, &log_id) == DB_OK && log_id > 0,
		   "db_job_log");
	FUZZ_CHECK(db_job_log_read(db, log_job, log_id - 1, 1, &lines, &n) == DB_OK && n == 1 &&
		       lines[0].id == log_id && lines[0].stream == STREAM_STDOUT,
		   "db_job_log_read");
	check_clean("log line", line, lines[0].line, JOB_LOG_LINE_MAX);
	job_log_lines_free(lines, n);

	/* The reason goes through the same cleaner, then a cut to JOB_REASON_MAX. */
	FUZZ_CHECK(db_job_enqueue(db, &req, &id, NULL) == DB_OK, "enqueue");
	FUZZ_CHECK(db_job_cancel(db, id, line) == DB_OK, "cancel");
	FUZZ_CHECK(db_job_get(db, id, &job) == DB_OK && job.state == JOB_CANCELLED && job.reason,
		   "get");
	check_clean("reason", line, job.reason, JOB_REASON_MAX);
	job_fini(&job);
	free(line);
	return 0;
}
