/**
 * @file explain.h
 * @brief Where one figure comes from: `gaiyo explain TABLE ROW COLUMN [年度]`.
 *
 * The cell is looked up in the typed tables; verify is run as for
 * `gaiyo verify` (every table's findings; the derivations of the cell's
 * table only), and what verify recorded about the cell is written out:
 * its stated value and position, every derivation (the rule as written in
 * the definition, each input cell with its position and value, the
 * recomputed value), the rules that apply but could not be recomputed,
 * and the findings on the cell. Nothing is recomputed here: the figures
 * are verify's (gy_verify_some's gy_deriv records).
 */
#ifndef GAIYO_EXPLAIN_H
#define GAIYO_EXPLAIN_H

#include "gaiyo/dataset.h"
#include "gaiyo/util.h"

/** What to explain, as the user wrote it. */
typedef struct gy_explain_query {
    const char *table;  /**< table id (templates/tables/ID.def's `table`) */
    const char *row;    /**< a row label; a selector `列=値, 列=値` when no
                             row has that label */
    const char *col;    /**< a column name (or its printed label) */
    const char *fy;     /**< NULL, or a fiscal year: the rows of that year in
                             a table with a fiscal-year key, else the year
                             folder */
    bool json;          /**< --format json */
} gy_explain_query;

/** Explain one cell of ds into *out. A table, row or column that cannot be
 *  found, an ambiguous row or an unreadable year: GY_EUSAGE with one
 *  message (no trailing newline, input text made visible) in *err.
 *  GY_ENOMEM when memory ran out. */
gy_status gy_explain(const gy_defset *defs, const gy_dataset *ds, const gy_explain_query *q, gy_buf *out,
                     gy_buf *err);

#endif
