/* Charts as inline SVG, drawn in C (issue 14: no chart library, no
 * external asset): a title, a y axis with units, time labels in UTC, the
 * series as a line over a shaded area, broken where samples are missing,
 * and "No data yet" when there is nothing to draw.  Every text goes
 * through html.h's escaping; styles are attributes, so a chart reads the
 * same without the stylesheet. */
#ifndef LEFT4ME_WEB_SVGCHART_H
#define LEFT4ME_WEB_SVGCHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "html.h"

enum svg_unit {
	SVG_UNIT_COUNT,	  /* plain numbers ("8") */
	SVG_UNIT_PERCENT, /* "50%" */
	SVG_UNIT_BYTES,	  /* "512 MiB" (powers of 1024) */
};

/* One sample: t in unix seconds; has false, NaN or a negative value is a
 * gap; a value above 2^64 (or infinite) is drawn as 2^64. */
struct svg_point {
	int64_t t;
	double v;
	bool has;
};

struct svg_chart {
	const char *id;	   /* unique in the page: [a-z0-9-] */
	const char *title; /* e.g. "Players" */
	enum svg_unit unit;
	int64_t t0, t1;	 /* the time axis, unix seconds (t0 < t1) */
	int64_t max_gap; /* samples further apart than this are not joined */
};

/* Append the chart of pts[0..n) (ordered by t; points outside [t0, t1]
 * are left out) to h as one <svg> element. */
void svgchart_render(struct html *h, const struct svg_chart *c, const struct svg_point *pts,
		     size_t n);

/* The nice top of a y axis for values up to max in unit (1, 2 or 5 times
 * a power of ten of the unit's scale; at least 1 of it), for tests. */
double svgchart_nice_max(double max, enum svg_unit unit);

/* v as an axis label in unit, into buf ("0", "2.5", "50%", "1.5 GiB"). */
const char *svgchart_label(double v, enum svg_unit unit, double top, char *buf, size_t len);

#endif
