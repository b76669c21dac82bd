/* The Prometheus label value escaping (left4me-web/promtext.c), one row
 * per input: backslash, double quote and line feed escaped, every other
 * byte (UTF-8, tab) as it is. */
#include <check.h>
#include <string.h>

#include "../../left4me-web/promtext.h"
#include "strbuf.h"
#include "testutil.h"

static const struct {
	const char *in, *out;
} rows[] = {
    {"alpha", "alpha"},		{"", ""},
    {"a\"b", "a\\\"b"},		{"a\\b", "a\\\\b"},
    {"a\nb", "a\\nb"},		{"\\\"\n", "\\\\\\\"\\n"},
    {"tab\there", "tab\there"}, {"caf\xc3\xa9", "caf\xc3\xa9"},
    {"a\\nb", "a\\\\nb"}, /* a backslash and an n, not a line feed */
};

START_TEST(label_value)
{
	struct strbuf sb;

	strbuf_init(&sb);
	prom_label_value(&sb, rows[_i].in);
	ck_assert_msg(strcmp(sb.buf, rows[_i].out) == 0, "row %d: got '%s', want '%s'", _i, sb.buf,
		      rows[_i].out);
	strbuf_fini(&sb);
}
END_TEST

START_TEST(sample)
{
	struct strbuf sb;

	strbuf_init(&sb);
	prom_sample(&sb, "left4me_server_up", "server", "we\"ird", "1");
	ck_assert_str_eq(sb.buf, "left4me_server_up{server=\"we\\\"ird\"} 1\n");
	strbuf_fini(&sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web promtext");
	TCase *tc = tcase_create("promtext");

	tcase_add_loop_test(tc, label_value, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, sample);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
