/* xlsx_int.h - the workbook's private interface (src/xlsx*.c only)
 *
 * The workbook being written (wb), a table being written on its sheets
 * (tw) with its records (rec), and what the files of the workbook call of
 * each other. Who owns what: wb owns the formats' cache, the sheet names,
 * the prefixes, the findings' links and the charts' anchors; tw owns
 * everything of one table and is freed when the table is written. The
 * public interface is include/gaiyo/xlsx.h.
 *
 *   xlsx.c          gy_xlsx_write: the workbook, cover and contents; diagnostics
 *   xlsx_fmt.c      formats and number formats
 *   xlsx_queue.c    cell writes: direct, buffered and replayed, writer thread
 *   xlsx_formula.c  derivations as formulas with cached values
 *   xlsx_plan.c     records in print order, and where each cell goes
 *   xlsx_sheet.c    a table's sheet: header, body, notes (write_table)
 *   xlsx_pages.c    print setup: pages, breaks, repeats, charts
 *   xlsx_findings.c marks, comments and links of findings; 検証結果
 */
#ifndef GAIYO_XLSX_INT_H
#define GAIYO_XLSX_INT_H

#include "gaiyo/xlsx.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"
#include "gaiyo/wraplines.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* ---- formats (xlsx_fmt.c) ------------------------------------------------- */

enum { F_TEXT, F_HEAD, F_TITLE, F_AMOUNT, F_RATIO, F_QUOT, F_NOTE, F_UNIT, F_NIL, F_LINK, F_KINDS };
enum { MARK_NONE, MARK_ERROR, MARK_WARN };

typedef struct fmtkey {
    int kind, decimals, indent, mark, wrap, bold;
    const char *suffix;
    const char *prefix;      /* interned in wb.pfx */
    lxw_format *f;
} fmtkey;

typedef struct wb {
    lxw_workbook *w;
    const gy_dataset *ds;
    const gy_layouts *ls;
    const gy_xlsx_opts *o;
    fmtkey *fk;
    size_t nfk, capfk;
    bool cm;                 /* constant-memory mode */
    const char *neg;
    char **names;            /* sheet names used */
    size_t nnames;
    char **links;            /* per finding: "sheet!$A$1" of its cell, or NULL */
    bool oom;
    bool failed;             /* a diagnostic says why (wb_err) */
    struct wq *q;            /* the writer thread of the table being written, if any */
    gy_diags *d;
    gy_diags *warn;          /* warnings (o->warnings), or NULL */
    const char *path;        /* the workbook's file */
    char **pfx;              /* the distinct prefixes of numbers (field … prefix COL), owned */
    size_t npfx;
    struct anchor *anch;     /* the charts' places, laid out with the tables;
                                inserted last (place_images) */
    size_t nanch;
} wb;

/* where a chart goes: laid out with its table's pages (place_charts),
 * inserted once gnuplot has drawn it (place_images) */
typedef struct anchor {
    const char *path;        /* the PNG (o->images) */
    lxw_worksheet *ws;
    lxw_row_t row;
    lxw_col_t col;
    double scale;
} anchor;

/* ---- one table (xlsx_sheet.c, xlsx_plan.c) --------------------------------- */

enum { R_ROW, R_CAPTION, R_SUBROW, R_PIVOT };

/* one record of the sheet: 20 bytes, one per table row of a big table */
typedef struct rec {
    uint32_t row;        /* table row (R_ROW, R_SUBROW: the row it follows; R_PIVOT: first row;
                            R_CAPTION: the row whose block column it shows) */
    int32_t sheet;       /* part (0 = first sheet) */
    int32_t line, off;   /* sheet row (down) or column (across); block offset */
    uint16_t sub;        /* subrow index */
    uint8_t kind;
} rec;

#define NO_REC UINT32_MAX /* rec_of_row of a row not printed */

typedef struct totcache {
    bool set;
    char *text;          /* "SUM(...)", or NULL while only its length is known */
    size_t len;
    size_t first, n;
    int part;
    int64_t v;
} totcache;

typedef struct tw {
    wb *b;
    const gy_table *t;
    const gy_layout *l;
    gy_layout *own;      /* the plain layout of a table without one */
    rec *recs;           /* NULL: one record per table row in row order (rec_at) */
    size_t nrecs;
    long long maxbody;   /* records a part holds (down, not wrapped) */
    uint32_t *rec_of_row; /* record index per table row, NO_REC if not printed */
    uint32_t *prec0, *prows; /* pivot: the rows of record k are prows[prec0[k] .. prec0[k+1]) */
    int nparts;
    lxw_worksheet **ws;
    char **wsname;
    int hr0, H;          /* first header row (or column, across), header lines */
    int body0;           /* first body row (down) or column (across) */
    /* derivations of this table, one window of rows [wa, wb) at a time */
    gy_deriver *dr;
    gy_derivs view;      /* verify's derivations of this table (n > 0: used
                            instead of the deriver: each figure derived once) */
    size_t wa, wb;
    bool wloaded;
    size_t *drow;        /* derivations of row wa + r: didx[drow[r] .. drow[r + 1]) */
    uint32_t *didx;
    const gy_deriv *dv;  /* the window's derivations (owned by dr) */
    unsigned char *dst;  /* per derivation: 0 new, 1 visiting, 2 formula, 3 value only */
    int64_t *dvv;        /* per derivation settled as a formula: its value */
    size_t ndv;
    size_t *sums;        /* the derivations that are sums (a 計's cells) */
    size_t nsums;
    double *colw;        /* width per sheet column (first part) */
    int ncolw;
    const gy_finding **fmark; /* the findings of this table (every severity) */
    size_t nfmark;
    unsigned char *frow; /* per row: whether one of them is about it */
    struct totcache *tot; /* per column: the last total() formula */
    bool buffered;       /* cells collected and replayed in row order */
    struct op *ops;
    size_t nops, capops;
    struct wq *q;        /* the writer thread, while it runs */
    bool pivot_dup;      /* two rows of one pivot record for one field: said once */
    size_t lines;        /* most lines of a wrapped cell of the record being written (down) */
    unsigned short *xlines; /* across: most lines per sheet row of the fields' rows */
    size_t nxlines;
    double *rowh;        /* heights set on the first sheet's rows, for its pages (0: not set) */
    size_t nrowh;
} tw;

/* ---- cell writes (xlsx_queue.c) --------------------------------------------- */

enum { OP_STR, OP_BLANK, OP_NUM, OP_FORMULA, OP_COMMENT, OP_MERGE, OP_HEIGHT };

typedef struct op {
    lxw_worksheet *ws;
    int part, r, c, kind;
    size_t seq;
    double num;
    char *s;             /* string, formula or comment (owned) */
    lxw_format *f;
    lxw_comment_options co;
    int r1, c1, c2;      /* OP_MERGE: r1, c1 .. r, c2 (r, c: its place in the order) */
} op;

/* ---- a sheet's pages (xlsx_pages.c) ---------------------------------------- */

typedef struct pgspec {
    bool landscape;
    int ncols;
    const double *colw;    /* width per column in characters */
    int nrows;             /* rows printed: 0 .. nrows - 1 */
    const double *rowh;    /* height per row in points (0: not set), or NULL */
    size_t nrowh;          /* rows rowh holds (rows beyond: not set) */
    bool rows_unknown;     /* a big table: no row breaks (the program breaks its pages) */
    int rep_cols;          /* columns 0 .. rep_cols - 1 repeat on every page of a split sheet */
    bool rep_always;       /* … also when the sheet is one page wide (records across) */
    int rep_r0, rep_r1;    /* rows repeated on every page (rep_r1 < rep_r0: none) */
    const int *splits;     /* columns where a page must start */
    size_t nsplits;
    const int *starts;     /* rows where a page must start */
    size_t nstarts;
    const int *keep;       /* pairs [a, b): rows not to be cut by a break (a chart) */
    size_t nkeep;
} pgspec;

typedef struct pgplan {
    int scale;             /* percent */
    int nstrips;           /* pages side by side */
    lxw_col_t *vbrk;       /* nstrips - 1 columns, 0-terminated */
    lxw_row_t *hbrk;       /* row breaks, 0-terminated (NULL: none or unknown) */
    size_t nh;
    double strip0;         /* width of the first page's columns in points */
} pgplan;

/* a table's first sheet, for the contents and 検証結果's links */
typedef struct placed {
    const gy_table *t;
    char *sheet;     /* first sheet of the table */
} placed;

/* ---- xlsx.c: the workbook ------------------------------------------------ */

/* Every failure of the workbook is a diagnostic: out of memory, a limit
 * of Excel or of libxlsxwriter, any libxlsxwriter call that fails.
 * wb_err: a failure of the workbook file (the diagnostic names it);
 * wb_err_at: a failure whose cause is another file (a layout, a table). */
void wb_err(wb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wb_err_at(wb *b, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool cell_ok(wb *b, lxw_error e, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *what);
bool sheet_ok(wb *b, lxw_error e, lxw_worksheet *ws, const char *what);
bool text_fits(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s);
void wstr(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f);
void wurl(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *url, lxw_format *f, const char *s);
char *sheet_name(wb *b, const char *want);
bool cell_ref(char *buf, size_t n, const char *sheet, int r, int c);

/* ---- xlsx_fmt.c ------------------------------------------------------------ */

lxw_format *fmtxp(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx,
                  const char *pfx);
lxw_format *fmtx(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx);
lxw_format *fmt(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold);
int ftype_kind(const gy_coldef *cd);
const char *cell_prefix(tw *w, size_t row, const gy_lfield *lf);

/* ---- xlsx_queue.c ---------------------------------------------------------- */

const char *op_what(int kind);
void wq_idle(struct wq *q);
void wq_start(tw *w);
void wq_stop(tw *w);
void put_str(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f);
void put_blank(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lxw_format *f);
void put_num(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f);
void put_formula(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, char *s, lxw_format *f, double v);
void put_comment(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_comment_options *co);
void put_merge(tw *w, lxw_worksheet *ws, int r1, int c1, int r2, int c2, const char *s, lxw_format *f);
void put_height(tw *w, lxw_worksheet *ws, int r, double pt);
void replay(tw *w);

/* ---- xlsx_formula.c -------------------------------------------------------- */

size_t dfind(const tw *w, size_t row, int col);
void need_window(tw *w, size_t row);
/* evaluate derivation k: its value as Excel computes it from the sheet, and
 * its formula (into w->ds[k]) */
void eval_dv(tw *w, size_t k, int part);
char *dv_text(tw *w, size_t k, int part);

/* ---- xlsx_plan.c ----------------------------------------------------------- */

void rec_pos(const tw *w, const rec *r, int field, int *sr, int *sc);
rec rec_at(const tw *w, size_t k);
bool cell_pos(const tw *w, size_t row, int col, int *part, int *sr, int *sc);
const char *layout_name(const tw *w);
size_t pivot_row(tw *w, size_t rowk, const char *where);
bool plan(tw *w);

/* ---- xlsx_sheet.c ---------------------------------------------------------- */

gy_status write_table(wb *b, const gy_table *t, const gy_layout *l);

/* ---- xlsx_pages.c ---------------------------------------------------------- */

bool pg_plan_width(const pgspec *s, pgplan *p);
void pg_apply(wb *b, lxw_worksheet *ws, const pgspec *s, pgplan *p);
void pg_note_row(tw *w, lxw_worksheet *ws, int r, double pt);
double table_colw(const tw *w, int c);
void table_page_setup(tw *w, int p, int nr);
void place_images(wb *b);

/* ---- xlsx_findings.c ------------------------------------------------------- */

bool table_findings(tw *w);
void table_links(tw *w);
const gy_finding *finding_at(const tw *w, size_t row, int col);
void finding_link(tw *w, int part, int sr, int sc, size_t row, int col);
char *cell_note(const tw *w, size_t row, int col, const char *stated, const char *shown);
void write_findings(wb *b, const gy_dataset *ds, lxw_worksheet *ws, const placed *pl, size_t npl);

#endif
