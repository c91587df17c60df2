/**
 * @file rowsem.h
 * @brief What the aggregate rows of a table sum, as directives of a
 *        definition: `counts ROLE ROLE…`, `total across COL [match COL2]`,
 *        `memo_of label|COLUMN` (templates/README.md, "Rows: roles and
 *        nesting"). Read while the definition is parsed, resolved once its
 *        columns are known.
 */
#ifndef GAIYO_ROWSEM_H
#define GAIYO_ROWSEM_H

#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"

/** The directives met so far (their column names are resolved at the end). */
typedef struct gy_rowsem {
    unsigned counts[GY_NROLES]; /**< written per aggregate role (0: not written) */
    unsigned counts_line[GY_NROLES];
    char *across, *match;       /**< column names, owned */
    unsigned across_line, across_col, match_col;
    char *memo;                 /**< "label" or a column name, owned */
    unsigned memo_line, memo_col;
} gy_rowsem;

/** Handle one directive line if its keyword is one of these: 1 handled
 *  (errors, if any, in d), 0 not one of these, -1 out of memory. */
int gy_rowsem_directive(gy_rowsem *s, const char *path, unsigned ln, const gy_word *v, int n, gy_diags *d);

/** Resolve the columns into t and set t->counts (the defaults follow
 *  memo_in_totals). */
void gy_rowsem_finish(gy_rowsem *s, gy_tabledef *t, const char *path, gy_diags *d);

/** Free what s holds. */
void gy_rowsem_free(gy_rowsem *s);

#endif
