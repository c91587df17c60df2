/**
 * @file table.h
 * @brief Typed tables: every cell typed and traceable to file:line:column.
 *
 * A gy_table is what the importer makes of one CSV file under its
 * definition, stored column by column. Ownership: a table owns its rows,
 * columns and strings (the strings live in one text buffer per table,
 * freed with it); it borrows its definition (which must outlive it).
 */
#ifndef GAIYO_TABLE_H
#define GAIYO_TABLE_H

#include "gaiyo/tabledef.h"
#include "gaiyo/value.h"

#include <stdint.h>

/** A value of a 32-bit column that does not fit in 32 bits (or is
 *  INT32_MIN), kept apart: gy_colstore.wide. */
typedef struct gy_wide {
    size_t row;
    int64_t v;
} gy_wide;

/** In gy_colstore.v32: the cell's value is in gy_colstore.wide. */
#define GY_V32_WIDE INT32_MIN

/** Storage of one column, column by column so that a million rows stay
 *  small (a few bytes per number instead of a struct per cell):
 *  - v8, v32, v: the values (amounts, counts, scaled ratios, western
 *          years, roles, levels, marker levels); at most one of the three
 *          is set, none for text columns (value 0). Role, level and marker
 *          columns have 8-bit values (v8). The others have 32-bit values
 *          (v32); a value that does not fit (or is INT32_MIN) is written
 *          GY_V32_WIDE there and kept in `wide` (nwide of them, by row),
 *          until there are more than one per 16 rows of the table's
 *          capacity: then the column is widened to 64 bits (v), and v32
 *          and wide are freed. Read them with gy_tv;
 *  - nil:  the nil kind of each cell, 2 bits per cell (bits 2 * (row % 4)
 *          of byte row / 4); NULL while every cell has a value. Read with
 *          gy_tnil;
 *  - text: the cells as written, each as a 32-bit offset into the
 *          table's text buffer (gy_table.tx, where it is NUL-ended).
 *          Offset 0 is the empty text "" (tx[0] is a NUL) and stands for
 *          "no text kept". Text-like columns (gy_col_textlike) keep every
 *          cell's text (0 for ""); NULL as a whole only when the file does
 *          not have the column. The other columns keep only the texts that
 *          differ from their canonical form (gy_cell_format: "1,234",
 *          "△5", "92.7", "" / "-" / "…"): 0 where canonical (a text that
 *          must be kept and is "" gets an offset of its own, never 0),
 *          NULL as a whole while every cell is canonical; the canonical
 *          text is rebuilt when asked for (gy_table_cell).
 *          Texts are interned per table: equal kept texts, in any
 *          columns, have the same offset and different ones different
 *          offsets (the one exception is "": 0 in a text-like column, an
 *          offset of its own elsewhere), so within a text-like column
 *          comparing offsets is comparing texts;
 *  - negsp: one bit per cell (bit row % 8 of byte row / 8), set where a
 *          negative number is written in the second canonical form, with
 *          one ASCII space after the △ ("△ 678", "△ 1,234", "△ 5.3"):
 *          no text is kept for it (offset 0) and gy_table_cell rebuilds
 *          the text as written. NULL while no cell of the column is so
 *          written (allocated on first use, numeric columns only). */
typedef struct gy_colstore {
    signed char *v8;
    int32_t *v32;
    int64_t *v;
    gy_wide *wide;
    size_t nwide, capwide;
    unsigned char *nil;
    uint32_t *text;
    unsigned char *negsp;
} gy_colstore;

/** One row: where it starts, its role and nesting level. Its cells are
 *  in the table's columns (gy_table_cell, or the gy_tv/gy_tnil/gy_ttext
 *  accessors). */
typedef struct gy_row {
    unsigned line;       /**< line where the record starts */
    unsigned char role;  /**< a gy_role */
    signed char level;   /**< nesting level (0 = top) */
    unsigned char era;   /**< era letter of the fy key as written (for printing) */
} gy_row;

/** A cell that starts on a later line than its row (a quoted field before
 *  it spans lines); kept apart because it is rare. */
typedef struct gy_xline {
    size_t row;
    unsigned col;        /**< definition column */
    unsigned line;
} gy_xline;

/** A typed table. */
typedef struct gy_table {
    const gy_tabledef *def; /**< borrowed */
    char *path;             /**< CSV file as given */
    char *encoding;         /**< "UTF-8", "UTF-8 (BOM)" or "CP932" */
    gy_fy fy;               /**< the fiscal year of the folder it came from */
    bool later;             /**< a later year folder has a file of this definition too
                                 (set by the importer: gy_dataset_load, gy_years) */
    gy_row *rows;
    size_t nrows, cap;
    gy_colstore *cols;      /**< def->ncols columns of cap cells */
    unsigned *csvcol;       /**< CSV column of each definition column (1 = A, 0 = absent) */
    gy_xline *xl;           /**< sorted by row, then column */
    size_t nxl, capxl;
    char *tx;               /**< the texts of all cells (gy_colstore.text), each
                                 NUL-ended and stored once; tx[0] = '\0'. At most
                                 4 GiB (UINT32_MAX bytes): a bigger one is an
                                 import error. NULL only in a table with no rows
                                 left (gy_table_release) */
    size_t ntx, captx;      /**< bytes of tx used, allocated */
} gy_table;

/** One cell as a whole (gy_table_cell fills it). `text` is never NULL:
 *  the cell as written, or its canonical form held in `buf` (so a
 *  gy_cell must not be copied while its text is in use). */
typedef struct gy_cell {
    gy_nil nil;        /**< nil kind; GY_NIL_NONE when the cell has a value */
    int64_t v;         /**< amount, count, ratio (scaled), western year, role, level */
    const char *text;  /**< the cell as written, trimmed, UTF-8 */
    unsigned line;     /**< line of the CSV file where the cell starts (0: column absent) */
    unsigned col;      /**< CSV column number (1 = A; 0: column absent) */
    char buf[48];
} gy_cell;

/** Fill *out with the cell at (row, col). */
void gy_table_cell(const gy_table *t, size_t row, size_t col, gy_cell *out);

/** The value of a GY_V32_WIDE cell (gy_tv). */
int64_t gy_tv_wide(const gy_colstore *cs, size_t row);

/** The value of a cell (0 for text columns and nil cells). */
static inline int64_t gy_tv(const gy_table *t, size_t row, int col)
{
    const gy_colstore *cs = &t->cols[col];
    if (cs->v32) {
        int32_t x = cs->v32[row];
        return x != GY_V32_WIDE ? x : gy_tv_wide(cs, row);
    }
    if (cs->v8)
        return cs->v8[row];
    return cs->v ? cs->v[row] : 0;
}

/** The nil kind of a cell. */
static inline gy_nil gy_tnil(const gy_table *t, size_t row, int col)
{
    const unsigned char *n = t->cols[col].nil;
    return n ? (gy_nil)(n[row / 4] >> (row % 4 * 2) & 3) : GY_NIL_NONE;
}

/** The text of a cell of a text-like column (gy_col_textlike): never
 *  NULL. For any column, gy_table_cell. */
static inline const char *gy_ttext(const gy_table *t, size_t row, int col)
{
    const uint32_t *x = t->cols[col].text;
    return x ? t->tx + x[row] : "";
}

/** Row index of a row of t. */
static inline size_t gy_rowi(const gy_table *t, const gy_row *r)
{
    return (size_t)(r - t->rows);
}

/** Let go of a table's rows and cells (its definition, path, encoding and
 *  fiscal year stay, with no rows): for a big table that nothing reads
 *  any more. Accepts NULL. */
void gy_table_release(gy_table *t);

/** Let go of the cells of the columns j without keep[j] (their values,
 *  nil kinds and text offsets; the rows, the other columns and the text
 *  buffer stay):
 *  for a big table of which later steps read only some columns (last
 *  year's keys and the columns this year's @前年 reads). A column let go
 *  reads as empty text and value 0: only code that reads kept columns may
 *  run on the table afterwards. */
void gy_table_keep(gy_table *t, const bool *keep);

/** Free a table. Accepts NULL. */
void gy_table_free(gy_table *t);

/** Whether the cell holds a stated value that the rules derive (a 計,
 *  小計, 合計, or the target of a rule on that row). */
bool gy_table_is_stated_derived(const gy_table *t, size_t row, size_t col);

/** Whether a rule applies to a row (its role, or its label in row:LABEL). */
bool gy_rule_applies(const gy_table *t, const gy_rule *ru, const gy_row *r);

/** Label of a row (the label column's text). */
const char *gy_row_label(const gy_table *t, const gy_row *r);

/** Write a cell as canonical text (amounts with commas and △ for
 *  negatives, ratios with their decimals, nil as '' / '-' / '…'). */
void gy_cell_format(const gy_table *t, size_t col, const gy_cell *c, char *buf, size_t n);

#endif
