/* Inline SVG charts; see svgchart.h. */
#include "svgchart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The drawing, in viewBox units. */
#define W	 640
#define H	 200
#define LEFT	 64
#define RIGHT	 16
#define TOP	 32
#define BOTTOM	 28
#define PLOT_W	 (W - LEFT - RIGHT)
#define PLOT_H	 (H - TOP - BOTTOM)
#define TICK_SEC (6 * 3600) /* a time label every 6 h */
#define COLOR	 "#2563eb"
#define FONT	 "font-family=\"system-ui, sans-serif\" "
#define TEXT	 FONT "font-size=\"12\" fill=\"#374151\""

/* The largest value drawn: a 64-bit counter's (memory in bytes); above
 * it the line stays at the top. */
#define VMAX 18446744073709551615.0

static bool usable(const struct svg_point *p)
{
	return p->has && !isnan(p->v) && p->v >= 0;
}

static double value(const struct svg_point *p)
{
	return p->v > VMAX ? VMAX : p->v;
}

/* The unit's scale for values up to top: 1, or a power of 1024 for bytes. */
static double scale_of(double top, enum svg_unit unit, const char **suffix)
{
	static const char *const names[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double sc = 1;
	int i = 0;

	*suffix = unit == SVG_UNIT_PERCENT ? "%" : "";
	if (unit != SVG_UNIT_BYTES)
		return 1;
	while (top >= 1024 * sc && i < 6) {
		sc *= 1024;
		i++;
	}
	*suffix = names[i];
	return sc;
}

double svgchart_nice_max(double max, enum svg_unit unit)
{
	const char *suffix;
	double sc, v, p;

	if (!isfinite(max) || max <= 0)
		return unit == SVG_UNIT_BYTES ? 1024 * 1024 : 1;
	if (max > VMAX)
		max = VMAX;
	sc = scale_of(max, unit, &suffix);
	v = max / sc;
	p = pow(10, floor(log10(v)));
	if (v <= p)
		v = p;
	else if (v <= 2 * p)
		v = 2 * p;
	else if (v <= 5 * p)
		v = 5 * p;
	else
		v = 10 * p;
	if (v < 1)
		v = 1;
	return v * sc;
}

const char *svgchart_label(double v, enum svg_unit unit, double top, char *buf, size_t len)
{
	const char *suffix;
	double sc = scale_of(top, unit, &suffix), x = v / sc;
	const char *sep = unit == SVG_UNIT_BYTES ? " " : "";

	if (v == 0 && unit != SVG_UNIT_PERCENT)
		snprintf(buf, len, "0");
	else if (fabs(x - round(x)) < 1e-9 || fabs(x) >= 100)
		snprintf(buf, len, "%.0f%s%s", x, sep, suffix);
	else
		snprintf(buf, len, "%.1f%s%s", x, sep, suffix);
	return buf;
}

static double x_of(const struct svg_chart *c, int64_t t)
{
	return LEFT + (double)(t - c->t0) * PLOT_W / (double)(c->t1 - c->t0);
}

static double y_of(double v, double top)
{
	return TOP + PLOT_H - (v > top ? top : v) * PLOT_H / top;
}

/* The frame: title, y grid with labels, time labels (their zone, UTC,
 * top right, clear of the last label). */
static void axes(struct html *h, const struct svg_chart *c, double top)
{
	char buf[64], num[32];

	html_printf(h,
		    "<text x=\"%d\" y=\"20\" " FONT "font-size=\"14\" font-weight=\"600\" "
		    "fill=\"#111827\">%s</text>",
		    LEFT, c->title);
	for (int i = 0; i <= 2; i++) {
		double v = top * i / 2, y = y_of(v, top);

		snprintf(num, sizeof(num), "%.1f", y);
		html_printf(h,
			    "<line x1=\"%d\" x2=\"%d\" y1=\"%s\" y2=\"%s\" stroke=\"#e5e7eb\"/>"
			    "<text x=\"%d\" y=\"%s\" dy=\"4\" text-anchor=\"end\" " TEXT
			    ">%s</text>",
			    LEFT, W - RIGHT, num, num, LEFT - 6, num,
			    svgchart_label(v, c->unit, top, buf, sizeof(buf)));
	}
	for (int64_t t = (c->t0 / TICK_SEC + 1) * TICK_SEC; t <= c->t1; t += TICK_SEC) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(buf, sizeof(buf), "%H:%M", &tm);
		snprintf(num, sizeof(num), "%.1f", x_of(c, t));
		html_printf(h,
			    "<line x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\" stroke=\"#e5e7eb\"/>"
			    "<text x=\"%s\" y=\"%d\" text-anchor=\"middle\" " TEXT ">%s</text>",
			    num, num, TOP, TOP + PLOT_H, num, H - 8, buf);
	}
	html_printf(h,
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" " FONT
		    "font-size=\"12\" fill=\"#6b7280\">UTC</text>",
		    W - RIGHT, 20);
}

/* One run of joined points [a, b): a shaded area under a line, or a dot. */
static void run(struct html *h, const struct svg_chart *c, const struct svg_point *p, size_t a,
		size_t b, double top)
{
	char xs[32], ys[32], xe[32], base[32];
	struct html pts;

	snprintf(base, sizeof(base), "%.1f", y_of(0, top));
	if (b - a == 1) {
		snprintf(xs, sizeof(xs), "%.1f", x_of(c, p[a].t));
		snprintf(ys, sizeof(ys), "%.1f", y_of(value(&p[a]), top));
		html_printf(h, "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"" COLOR "\"/>", xs, ys);
		return;
	}
	html_init(&pts);
	for (size_t i = a; i < b; i++) {
		snprintf(xs, sizeof(xs), "%.1f", x_of(c, p[i].t));
		snprintf(ys, sizeof(ys), "%.1f", y_of(value(&p[i]), top));
		html_printf(&pts, "%s%s,%s", i > a ? " " : "", xs, ys);
	}
	snprintf(xs, sizeof(xs), "%.1f", x_of(c, p[a].t));
	snprintf(xe, sizeof(xe), "%.1f", x_of(c, p[b - 1].t));
	html_printf(h, "<path d=\"M%s,%s L", xs, base);
	html_append(h, &pts);
	html_printf(h,
		    " L%s,%s Z\" fill=\"" COLOR "\" fill-opacity=\"0.15\" stroke=\"none\"/>"
		    "<polyline points=\"",
		    xe, base);
	html_append(h, &pts);
	html_printf(h, "\" fill=\"none\" stroke=\"" COLOR "\" stroke-width=\"2\" "
		       "stroke-linejoin=\"round\"/>");
	html_fini(&pts);
}

/* Whether p[i] is drawn: usable and inside the time axis. */
static bool drawn(const struct svg_chart *c, const struct svg_point *p)
{
	return usable(p) && p->t >= c->t0 && p->t <= c->t1;
}

void svgchart_render(struct html *h, const struct svg_chart *c, const struct svg_point *pts,
		     size_t n)
{
	double max = 0, top;
	size_t i, shown = 0, a;

	for (i = 0; i < n; i++)
		if (drawn(c, &pts[i])) {
			shown++;
			if (value(&pts[i]) > max)
				max = value(&pts[i]);
		}
	top = svgchart_nice_max(max, c->unit);
	html_printf(h,
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"%a\" "
		    "viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
		    "aria-labelledby=\"%a-title\"><title id=\"%a-title\">%s, last 24 hours</title>"
		    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>",
		    c->id, W, H, c->id, c->id, c->title, W, H);
	axes(h, c, top);
	if (shown == 0) {
		html_printf(
		    h,
		    "<text class=\"chart-empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" " FONT
		    "font-size=\"16\" fill=\"#6b7280\">No data yet</text></svg>",
		    LEFT + PLOT_W / 2, TOP + PLOT_H / 2);
		return;
	}
	/* Runs of drawn points, each neighbour within max_gap. */
	for (i = 0; i < n;) {
		if (!drawn(c, &pts[i])) {
			i++;
			continue;
		}
		a = i++;
		while (i < n && drawn(c, &pts[i]) && pts[i].t - pts[i - 1].t <= c->max_gap)
			i++;
		run(h, c, pts, a, i, top);
	}
	html_printf(h, "</svg>");
}
