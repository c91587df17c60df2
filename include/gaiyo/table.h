/**
 * @file table.h
 * @brief Typed tables: every cell typed and traceable to file:line:column.
 *
 * A gy_table is what the importer makes of one CSV file under its
 * definition. Ownership: a table owns its rows, cells and strings (the
 * cells and strings live in one arena per table, freed with it); it
 * borrows its definition (which must outlive it).
 */
#ifndef GAIYO_TABLE_H
#define GAIYO_TABLE_H

#include "gaiyo/tabledef.h"
#include "gaiyo/value.h"

#include <stdint.h>

/** One cell. */
typedef struct gy_cell {
    gy_nil nil;        /**< nil kind; GY_NIL_NONE when the cell has a value */
    int64_t v;         /**< amount, count, ratio (scaled), western year, role, level */
    char *text;        /**< the cell as written, trimmed, UTF-8 (owned) */
    unsigned line;     /**< line of the CSV file where the cell starts */
    unsigned col;      /**< CSV column number (1 = A) */
} gy_cell;

/** One row: its cells in definition order, its role and nesting level. */
typedef struct gy_row {
    gy_cell *cells;    /**< ncols cells */
    unsigned line;     /**< line where the record starts */
    gy_role role;
    int level;         /**< nesting level (0 = top) */
    int era;           /**< era letter of the fy key as written (for printing) */
} gy_row;

/** A typed table. */
typedef struct gy_table {
    const gy_tabledef *def; /**< borrowed */
    char *path;             /**< CSV file as given */
    char *encoding;         /**< "UTF-8", "UTF-8 (BOM)" or "CP932" */
    gy_fy fy;               /**< the fiscal year of the folder it came from */
    gy_row *rows;
    size_t nrows, cap;
    struct gy_arena *arena; /**< private: storage of the cells and their texts */
} gy_table;

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
