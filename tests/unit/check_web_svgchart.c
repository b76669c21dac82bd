/* The inline SVG charts (left4me-web/svgchart.c): an empty series says
 * "No data yet", one point is a dot, a gap splits the line, huge and
 * non-finite values stay inside the drawing, a title is escaped, and
 * every output is well-formed XML (checked by a strict little reader
 * here: libxml2 is not a dependency). */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../left4me-web/svgchart.h"
#include "testutil.h"

#define T0 1700000000LL /* a multiple of 60 */
#define T1 (T0 + 86400)

/* Whether s is well-formed XML: one root element, every tag closed in
 * order, attributes name="value" once each, text and values with no raw
 * '<' or '&' other than the five entities and numeric references.  On
 * failure, why into err. */
static bool entity_ok(const char **p)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	const char *s = *p;

	for (size_t i = 0; i < 5; i++)
		if (strncmp(s, ents[i], strlen(ents[i])) == 0) {
			*p += strlen(ents[i]);
			return true;
		}
	if (s[1] == '#') {
		s += 2;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s != ';')
			return false;
		*p = s + 1;
		return true;
	}
	return false;
}

static bool xml_ok(const char *s, char *err, size_t errlen)
{
	char stack[64][32], attrs[32][32];
	int depth = 0, roots = 0;

	while (*s) {
		if (*s == '&') {
			if (!entity_ok(&s))
				return snprintf(err, errlen, "bad entity at '%.20s'", s), false;
			continue;
		}
		if (*s != '<') {
			if (depth == 0 && !isspace((unsigned char)*s))
				return snprintf(err, errlen, "text outside the root: '%.20s'", s),
				       false;
			s++;
			continue;
		}
		s++;
		if (*s == '/') {
			size_t n = strcspn(++s, ">");

			if (depth == 0 || strlen(stack[depth - 1]) != n ||
			    strncmp(stack[depth - 1], s, n) != 0)
				return snprintf(err, errlen, "</%.*s> closes nothing open", (int)n,
						s),
				       false;
			depth--;
			s += n + 1;
			continue;
		}
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-:");
		int na = 0;

		if (n == 0 || n >= 32 || depth >= 64)
			return snprintf(err, errlen, "bad tag at '%.20s'", s), false;
		if (depth == 0 && ++roots > 1)
			return snprintf(err, errlen, "a second root element"), false;
		memcpy(stack[depth], s, n);
		stack[depth][n] = '\0';
		s += n;
		for (;;) {
			size_t an;

			while (isspace((unsigned char)*s))
				s++;
			if (*s == '>' || (s[0] == '/' && s[1] == '>'))
				break;
			an = strspn(
			    s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");
			if (an == 0 || an >= 32 || na >= 32 || s[an] != '=' || s[an + 1] != '"')
				return snprintf(err, errlen, "bad attribute at '%.20s'", s), false;
			for (int i = 0; i < na; i++)
				if (strlen(attrs[i]) == an && strncmp(attrs[i], s, an) == 0)
					return snprintf(err, errlen, "attribute %.*s twice",
							(int)an, s),
					       false;
			memcpy(attrs[na], s, an);
			attrs[na++][an] = '\0';
			s += an + 2;
			while (*s && *s != '"') {
				if (*s == '<')
					return snprintf(err, errlen, "'<' in a value"), false;
				if (*s != '&')
					s++;
				else if (!entity_ok(&s))
					return snprintf(err, errlen, "bad entity in a value"),
					       false;
			}
			if (!*s)
				return snprintf(err, errlen, "unterminated value"), false;
			s++;
		}
		if (*s == '/') {
			s += 2;
			continue;
		}
		s++;
		depth++;
	}
	if (depth != 0 || roots != 1)
		return snprintf(err, errlen, "%d element(s) left open, %d roots", depth, roots),
		       false;
	return true;
}

/* Render pts and return the markup (caller frees), checked well-formed. */
static char *render(const char *title, enum svg_unit unit, const struct svg_point *pts, size_t n)
{
	struct svg_chart c = {"chart-x", title, unit, T0, T1, 120};
	struct html h;
	char err[128];
	char *out;

	html_init(&h);
	svgchart_render(&h, &c, pts, n);
	out = strdup(h.escaped.buf);
	html_fini(&h);
	ck_assert_msg(xml_ok(out, err, sizeof(err)), "not well-formed (%s):\n%s", err, out);
	return out;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(empty)
{
	char *svg = render("Players", SVG_UNIT_COUNT, NULL, 0);

	ck_assert_ptr_nonnull(strstr(svg, ">No data yet</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "<title id=\"chart-x-title\">Players, last 24 hours"));
	ck_assert_int_eq(count(svg, "<polyline"), 0);
	/* the axes are still there: 4 time labels (every 6 h) and UTC */
	ck_assert_int_eq(count(svg, "text-anchor=\"middle\""), 4 + 1);
	ck_assert_ptr_nonnull(strstr(svg, ">UTC</text>"));
	free(svg);

	/* only gaps, or only points outside the window: no data either */
	struct svg_point gaps[] = {{T0 + 60, 5, false}, {T0 - 600, 3, true}, {T1 + 60, 3, true}};

	svg = render("Players", SVG_UNIT_COUNT, gaps, 3);
	ck_assert_ptr_nonnull(strstr(svg, "No data yet"));
	free(svg);
}
END_TEST

START_TEST(one_point)
{
	struct svg_point p = {T0 + 43200, 3, true};
	char *svg = render("Players", SVG_UNIT_COUNT, &p, 1);

	ck_assert_ptr_null(strstr(svg, "No data yet"));
	ck_assert_int_eq(count(svg, "<circle"), 1);
	ck_assert_int_eq(count(svg, "<polyline"), 0);
	/* the middle of the plot: x = 64 + 560 / 2 */
	ck_assert_ptr_nonnull(strstr(svg, "cx=\"344.0\""));
	/* y axis up to 5 (the nice top of 3), labelled */
	ck_assert_ptr_nonnull(strstr(svg, ">5</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">2.5</text>"));
	free(svg);
}
END_TEST

START_TEST(gaps_split)
{
	struct svg_point p[] = {
	    {T0 + 60, 1, true},	    {T0 + 120, 2, true},   {T0 + 180, 2, false}, /* a gap */
	    {T0 + 240, 4, true},    {T0 + 300, 4, true},   {T0 + 360, 4, true},
	    {T0 + 3600, 1, true}, /* an hour later: not joined */
	    {T0 + 3660, NAN, true}, {T0 + 3720, -1, true}, {T0 + 3780, 2, true},
	};
	char *svg = render("Players", SVG_UNIT_COUNT, p, sizeof(p) / sizeof(p[0]));

	ck_assert_int_eq(count(svg, "<polyline"), 2);
	ck_assert_int_eq(count(svg, "<path"), 2);
	ck_assert_int_eq(count(svg, "<circle"), 2);
	ck_assert_ptr_null(strstr(svg, "nan"));
	ck_assert_ptr_null(strstr(svg, "inf"));
	free(svg);
}
END_TEST

START_TEST(huge_values)
{
	struct svg_point p[] = {{T0 + 60, 1e300, true},
				{T0 + 120, INFINITY, true},
				{T0 + 180, 18446744073709551615.0, true}};
	char *svg = render("Memory", SVG_UNIT_BYTES, p, 3);

	ck_assert_ptr_null(strstr(svg, "inf"));
	ck_assert_ptr_null(strstr(svg, "nan"));
	/* every coordinate inside the 640x200 drawing */
	for (const char *q = svg; (q = strstr(q, " y1=\"")); q++)
		ck_assert_double_le(strtod(q + 5, NULL), 200);
	ck_assert_ptr_nonnull(strstr(svg, "EiB"));
	free(svg);
	svg = render("Memory", SVG_UNIT_BYTES, p + 2, 1);
	ck_assert_ptr_nonnull(strstr(svg, "<circle"));
	free(svg);
}
END_TEST

START_TEST(title_escaped)
{
	struct svg_point p = {T0 + 60, 1, true};
	char *svg = render("<b>CPU & \"load\"</b>", SVG_UNIT_PERCENT, &p, 1);

	ck_assert_ptr_null(strstr(svg, "<b>"));
	ck_assert_ptr_nonnull(strstr(svg, "&lt;b&gt;CPU &amp; &quot;load&quot;&lt;/b&gt;"));
	free(svg);
}
END_TEST

static const struct {
	double v;
	enum svg_unit unit;
	double top;
	const char *label;
} labels[] = {
    {3, SVG_UNIT_COUNT, 5, "5"},
    {8, SVG_UNIT_COUNT, 10, "10"},
    {0, SVG_UNIT_COUNT, 1, "1"},
    {0.3, SVG_UNIT_PERCENT, 1, "1%"},
    {37, SVG_UNIT_PERCENT, 50, "50%"},
    {700.0 * 1024 * 1024, SVG_UNIT_BYTES, 1000.0 * 1024 * 1024, "1000 MiB"},
    {3.0 * 1024 * 1024 * 1024, SVG_UNIT_BYTES, 5.0 * 1024 * 1024 * 1024, "5 GiB"},
    {300.0 * 1024 * 1024, SVG_UNIT_BYTES, 500.0 * 1024 * 1024, "500 MiB"},
    {100, SVG_UNIT_BYTES, 100, "100 bytes"},
};

START_TEST(nice_and_label)
{
	char buf[32];
	double top = svgchart_nice_max(labels[_i].v, labels[_i].unit);

	ck_assert_double_eq_tol(top, labels[_i].top, 1e-6);
	ck_assert_str_eq(svgchart_label(top, labels[_i].unit, top, buf, sizeof(buf)),
			 labels[_i].label);
}
END_TEST

/* The checker itself refuses what is not well-formed. */
START_TEST(checker_refuses)
{
	static const char *const bad[] = {
	    "<svg><g></svg>", "<svg a=\"1\" a=\"2\"/>", "<svg>&nbsp;</svg>", "<svg/><svg/>",
	    "<svg x=\"<\"/>", "<svg>a & b</svg>",	"<svg></g></svg>",   "<svg x=1/>",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!xml_ok(bad[i], err, sizeof(err)), "accepted %s", bad[i]);
	ck_assert_msg(xml_ok("<svg a=\"&amp;\"><t>x &#39; y</t></svg>", err, sizeof(err)), "%s",
		      err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web svgchart");
	TCase *tc = tcase_create("svgchart");

	tcase_add_test(tc, empty);
	tcase_add_test(tc, one_point);
	tcase_add_test(tc, gaps_split);
	tcase_add_test(tc, huge_values);
	tcase_add_test(tc, title_escaped);
	tcase_add_loop_test(tc, nice_and_label, 0, (int)(sizeof(labels) / sizeof(labels[0])));
	tcase_add_test(tc, checker_refuses);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
