/* left4me-web's escaping module: html_text, html_attr, html_url,
 * url_escape and the html_printf directives, table-driven. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../left4me-web/html.h"
#include "testutil.h"

static const struct {
	const char *in, *text, *url;
} cases[] = {
    {"", "", ""},
    {"plain", "plain", "plain"},
    {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;",
     "%3Cscript%3Ealert%281%29%3C%2Fscript%3E"},
    {"a&b", "a&amp;b", "a%26b"},
    {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;", "%22quoted%22%20%27single%27"},
    {"../../etc/passwd", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd"},
    {"caf\xc3\xa9", "caf\xc3\xa9", "caf%C3%A9"},
    {"a b+c?d=e#f", "a b+c?d=e#f", "a%20b%2Bc%3Fd%3De%23f"},
    {"~._-", "~._-", "~._-"},
};

START_TEST(escape_table)
{
	struct html h;
	struct strbuf sb;

	html_init(&h);
	html_text(&h, cases[_i].in);
	ck_assert_str_eq(h.escaped.buf, cases[_i].text);
	html_fini(&h);
	html_init(&h);
	html_attr(&h, cases[_i].in);
	ck_assert_str_eq(h.escaped.buf, cases[_i].text);
	html_fini(&h);
	html_init(&h);
	html_url(&h, cases[_i].in);
	ck_assert_str_eq(h.escaped.buf, cases[_i].url);
	ck_assert_uint_eq(html_len(&h), strlen(cases[_i].url));
	html_fini(&h);
	strbuf_init(&sb);
	url_escape(&sb, cases[_i].in);
	ck_assert_str_eq(sb.buf, cases[_i].url);
	strbuf_fini(&sb);
}
END_TEST

START_TEST(printf_directives)
{
	struct html h, inner;

	html_init(&h);
	html_printf(&h, "<a href=\"/x/%u?p=%p\" title=\"%a\">%s %d %D 100%%</a>", "a b",
		    "dir/f<1>.vpk", "\"><x", "<b>", -5, (int64_t)1 << 40);
	html_raw_trusted(&h, "<trusted>");
	ck_assert_str_eq(h.escaped.buf,
			 "<a href=\"/x/a%20b?p=dir/f%3C1%3E.vpk\" title=\"&quot;&gt;&lt;x\">"
			 "&lt;b&gt; -5 1099511627776 100%</a><trusted>");
	html_fini(&h);
	html_init(&h);
	html_printf(&h, "%s|%T|%T", (const char *)NULL, (int64_t)0, (int64_t)86400000);
	ck_assert_str_eq(h.escaped.buf, "|-|1970-01-02T00:00:00Z");
	/* HTML appended to HTML is not escaped twice. */
	html_init(&inner);
	html_printf(&inner, "<i>%s</i>", "a&b");
	html_append(&h, &inner);
	ck_assert_str_eq(h.escaped.buf, "|-|1970-01-02T00:00:00Z<i>a&amp;b</i>");
	html_fini(&inner);
	html_fini(&h);
}
END_TEST

/* A format ending in a lone '%' stops at its end: nothing past the NUL is
 * read (it used to step over it and go on reading). */
START_TEST(printf_trailing_percent)
{
	struct html h;
	char fmt[8];

	/* "50%" then bytes that must never be read: with the old code the
	 * 'X's after the NUL were copied into the page. */
	memcpy(fmt, "50%\0XX%", 8);
	html_init(&h);
	html_printf(&h, fmt);
	ck_assert_str_eq(h.escaped.buf, "50%");
	html_fini(&h);
	html_init(&h);
	html_printf(&h, "%");
	ck_assert_str_eq(h.escaped.buf, "%");
	html_fini(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web_html");
	TCase *tc = tcase_create("html");

	tcase_add_loop_test(tc, escape_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, printf_directives);
	tcase_add_test(tc, printf_trailing_percent);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
