/* chart_int.h - what the chart files share (private to src/chart_*.c and
 * src/gnuplot.c; the public interface is include/gaiyo/chart.h)
 *
 * A chart template read by chart_tmpl.c is a `chart`; chart_data.c writes
 * the figures it plots (its .dat file) and measures them (`ext`);
 * gnuplot.c writes its script section and runs gnuplot. */
#ifndef GAIYO_CHART_INT_H
#define GAIYO_CHART_INT_H

#include "gaiyo/chart.h"
#include "gaiyo/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ctype { CT_NONE = 0, CT_STACKED, CT_BARS, CT_HBAR, CT_PIE } ctype;
typedef enum l2kind { L2_NONE = 0, L2_CUMSUM, L2_RATIO, L2_COLUMN } l2kind;

typedef struct cseries {
    int col;
    char *title;       /* NULL: the column's label */
    char color[8];     /* "" = from the palette */
} cseries;

typedef struct cgroup {
    char *label;       /* parent row's label, or "*" for rows without one */
    char *title;
    char color[8];
} cgroup;

typedef struct chart {
    char *path, *name;
    const gy_tabledef *def;
    ctype type;
    char *title, *xlabel, *ylabel, *y2label, *font, *unit, *fold_label;
    int fontsize;
    int width, height;
    unsigned roles;        /* bit (1 << gy_role) of the rows drawn */
    int where_col;         /* -1: all rows */
    char *where_val;
    int cat_col, pivot_col, value_col;
    cseries *series;
    size_t nseries;
    l2kind l2;
    int l2a, l2b, l2dec;
    char *l2title;
    char l2color[8];
    bool l2labels;
    int l2style;           /* 0 linespoints, 1 points, 2 lines */
    bool values;           /* bars: each bar's figure printed above it */
    int xwrap;             /* wrap category labels at this width (columns; 0: no) */
    int key;               /* KEYS: where the key goes */
    bool has_ref2;
    int64_t ref2;          /* scaled by 10^l2dec */
    int sort;              /* 0 none, 1 desc, -1 asc */
    cgroup *groups;
    size_t ngroups;
    bool labels;
    int64_t fold_below;    /* percent scaled by 10; -1: no folding */
    char colors[16][8];
    size_t ncolors;
    int hole;              /* doughnut hole, percent of the radius */
    int decimals;          /* decimals of the shares computed */
    int xrotate;
    int xtic_every;
    bool print_pdf;        /* the print file: NAME.pdf (pdfcairo) instead of NAME.svg */
    unsigned seen;         /* directives given (for duplicates) */
} chart;

struct gy_chartset {
    chart **v;
    size_t n;
};

/* the directives of a .chart, in the order of DIRECTIVES (chart_tmpl.c);
 * `seen` has bit (1 << D_…) of each given */
enum {
    D_TYPE, D_TABLE, D_TITLE, D_SIZE, D_FONT, D_XLABEL, D_YLABEL, D_Y2LABEL, D_ROWS, D_WHERE,
    D_CATEGORY, D_PIVOT, D_VALUE, D_LINE2, D_REFLINE2, D_SORT, D_LABELS, D_FOLD_BELOW,
    D_FOLD_LABEL, D_COLORS, D_HOLE, D_DECIMALS, D_UNIT, D_XROTATE, D_XTIC_EVERY, D_SERIES, D_GROUP, D_PRINT,
    D_VALUES, D_XWRAP, D_KEY
};

/* A figure: a value with its decimals, or missing. */
typedef struct fig {
    bool ok;
    int64_t v;
    int dec;
} fig;

/* Extent of the figures plotted, for the axes (chart_data fills it in). */
typedef struct ext {
    int64_t ymax, y2max;
    int ydec, y2dec;
    bool any;  /* at least one figure to draw */
    int xlines; /* lines of the longest wrapped category label */
    const char *ovf; /* a sum that does not fit in int64 (what it is): not drawn */
} ext;

/* chart_data.c */

/* the chart's .dat file into b: its figures (recomputed in integers, every
 * text escaped as a data field), their extent in e */
void chart_data(const chart *c, const gy_table *t, gy_buf *b, ext *e);
/* a figure as the script and the .dat write it: 1234.5, -12, "-" when missing */
void put_fig(gy_buf *b, fig f);
/* the colour of series i: the one given, else the template's colors, else the palette */
const char *color_at(const chart *c, size_t i, const char *given);

#endif
