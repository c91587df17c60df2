/**
 * @file layout.h
 * @brief Sheet layouts: how a typed table is printed as a worksheet.
 *
 * A layout is a plain-text file templates/sheets/<name>.sheet (format in
 * templates/README.md): title, as-of and unit lines, the header block with
 * its merged cells, which column of the table goes in which sheet column
 * (or row, for a table printed across), notes, and page setup. The C code
 * interprets it; no code per table. Every error names file:line:col (the
 * template reader, tmpl.h).
 */
#ifndef GAIYO_LAYOUT_H
#define GAIYO_LAYOUT_H

#include "gaiyo/diag.h"
#include "gaiyo/tabledef.h"

/** One printed field: a column of the table, optionally from the row
 *  whose pivot column has a given value (pivot layouts). */
typedef struct gy_lfield {
    char *col;          /**< column name in the definition */
    int colidx;         /**< resolved by gy_layouts_load */
    char *where;        /**< pivot value (pivot layouts), or NULL */
    int width;          /**< column width in half-width characters; 0 = fit the contents */
    bool wrap;          /**< wrap long text */
    char *suffix;       /**< printed after a number (e.g. "%"), or NULL */
    bool once;          /**< printed once per run of equal values (merged over the run) */
    char *prefix;       /**< column whose text is printed before the number ("(1/8) 896"), or NULL */
    int prefix_idx;     /**< its index (-1: none) */
    unsigned line;
    unsigned colno, where_colno, prefix_colno; /**< character columns of COL, of `where` and of the prefix column */
} gy_lfield;

/** An extra printed row after the row labelled `after`: `caption` in the
 *  label field, and for each pair, the value of src[i] of that row under
 *  the field that prints column dst[i] (e.g. 県予算対比 (a / b) under the
 *  amounts of 県予算額). */
typedef struct gy_lsubrow {
    char *after, *caption;
    char *pairs;        /**< the DST=SRC text as written */
    int *dst, *src;     /**< column indices */
    size_t n;
    unsigned line;
    unsigned pairs_colno;   /**< character column of the pairs */
} gy_lsubrow;

/** A field named by a print directive (`split 対前年比A`, `split 金額 where R1`). */
typedef struct gy_lpageref {
    char *col, *where;      /**< as written (where: NULL) */
    int field;              /**< resolved field index, -1 until resolved (or none) */
    unsigned line, colno;
} gy_lpageref;

typedef struct gy_layout {
    char *path;
    char *table;            /**< table id */
    char *sheet;            /**< sheet name (≤ 31 characters) */
    char *title;            /**< section number and title */
    char *asof, *unit;      /**< as-of and unit lines (may be NULL) */
    char *section;          /**< the part of the report the sheet belongs to (【経済産業政策課】), or NULL:
                                 a heading of the contents whenever it changes, as the report's 目次 */
    bool landscape;
    bool across;            /**< records run across (one column each) */
    char *pivot_key;        /**< pivot: one record per distinct value of this column ("*": one record) */
    char *pivot_col;        /**< … whose fields pick rows by this column's value */
    int pivot_key_idx, pivot_col_idx; /**< -1: no pivot; key -2: "*"; key: the first key column */
    int *pivot_keys;        /**< every key column (`pivot K1,K2 by COL`): a record per distinct tuple */
    size_t npivot_keys;
    unsigned pivot_line, block_line;
    unsigned table_line, table_colno;          /**< where `table` is, for errors about it */
    unsigned pivot_key_colno, pivot_col_colno, block_colno;
    int wrap;               /**< records per block (0: no wrap) */
    char *block;            /**< column whose change starts a captioned block, or NULL */
    int block_idx;
    int label_field;        /**< field indented by level (-1: none) */
    char ***header;         /**< nheader lines × nfields cells ("<" / "^" = merged) */
    unsigned *header_line;
    unsigned *header_colno;  /**< character column of each header line's first cell */
    size_t nheader;
    gy_lfield *fields;
    size_t nfields;
    char **notes;
    size_t nnotes;
    char **rename_from, **rename_to;
    size_t nrename;
    gy_lsubrow *subrows;
    size_t nsubrows;
    /* print: where a wide table splits onto a further page, and the
     * columns every page repeats (`split FIELD`, `repeat FIELD`) */
    gy_lpageref *splits;    /**< a page starts at each of these fields' columns */
    size_t nsplits;
    gy_lpageref repeat;     /**< columns through this field print on every page (field -1: through
                                 the label field) */
} gy_layout;

typedef struct gy_layouts {
    gy_layout **v;
    size_t n;
    /* workbook settings (templates/sheets/workbook.conf) */
    char *font;             /**< 游ゴシック by default */
    int font_size;          /**< points; 10 by default */
    char *negative;         /**< "△" (default) or "▲" */
    char *title, *author, *company;
    char *date;             /**< the date on the cover as printed (令和6年7月), or NULL */
} gy_layouts;

/** Parse one layout from text; columns are resolved against defs. */
gy_status gy_layout_parse(const char *path, const char *text, const gy_defset *defs, gy_layout **out,
                          gy_diags *d);

/** Load dir/NAME.sheet and dir/workbook.conf (optional; a missing dir gives
 *  an empty set with defaults). */
gy_status gy_layouts_load(const char *dir, const gy_defset *defs, gy_layouts *out, gy_diags *d);

void gy_layout_free(gy_layout *l);
void gy_layouts_free(gy_layouts *ls);

/** The layout of a table id, or NULL. */
const gy_layout *gy_layouts_find(const gy_layouts *ls, const char *table);

#endif
