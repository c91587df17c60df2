/**
 * @file verify.h
 * @brief Recompute every derived figure and flag every inconsistency.
 *
 * The engine is generic: it knows nothing of any particular table. It
 * reads the `sum`, `group`, level and `rule` declarations of each
 * definition and checks, for every table of a dataset:
 *  - sum:        小計 / 計 / 合計 rows against the items of their group;
 *  - parent-sum: a parent row ((1), ①, a 業種 group) against its children;
 *  - rowsum / difference / ratio: each `rule` on each row it applies to;
 *  - rounding:   a ratio that differs only by rounding convention, or a
 *                column of rounded shares whose total is off by rounding;
 *  - base-absent: a figure that cannot be checked because a base is absent.
 * Tolerances live in one place (gy_tolerance, documented in README).
 * The findings, their lists and their order: findings.h (included).
 * Ownership: findings borrow the dataset's tables (which must outlive
 * them) and own their strings.
 */
#ifndef GAIYO_VERIFY_H
#define GAIYO_VERIFY_H

#include "gaiyo/findings.h"
#include "gaiyo/import.h"
#include "gaiyo/util.h"
#include <stdarg.h>

/** The tolerances, in one place. A ratio that differs from the correctly
 *  rounded value by at most `ratio_units` units of its last decimal is a
 *  warning (rounding); more is an error. A column of rounded shares whose
 *  total differs from the stated total by at most half a unit per item
 *  is a warning. Amounts and counts must agree exactly. */
typedef struct gy_tolerance {
    int ratio_units;        /**< default 1 (= 0.1 for one decimal) */
} gy_tolerance;

/** The tolerances in force. */
gy_tolerance gy_tolerance_default(void);

/** Check every table of the dataset. */
gy_status gy_verify(const gy_dataset *ds, gy_findings *out);

/** How a derived figure is computed, for writers that reproduce it (the
 *  workbook's formulas). A sum (`rule` NULL) adds column `col` of the rows
 *  in refs. A rule's refs list, in the order its expression is evaluated
 *  (left operand first): for each column reference, the row it read
 *  (GY_DERIV_NOROW when it read another table, e.g. last year's folder,
 *  or several rows through a 組替 merge); for each total(), the number
 *  of rows n followed by an offset: the rows are pool[offset ..
 *  offset + n) (shared by every row of the group). Only figures whose
 *  recomputation succeeded are listed; `value` is that recomputation. */
#define GY_DERIV_NOROW ((size_t)-1)
typedef struct gy_deriv {
    const gy_table *table;  /**< borrowed */
    size_t row;
    const gy_rule *rule;    /**< borrowed; NULL for a sum (or a parent's sum) */
    union {
        const size_t *refs; /**< in a buffer owned by gy_derivs (pools) */
        size_t refoff;      /**< internal: offset of refs while verifying */
    };
    const size_t *pool;     /**< the rows of total()s (owned by gy_derivs) */
    int64_t value;
    int col;
    uint32_t nrefs;
} gy_deriv;

typedef struct gy_derivs {
    gy_deriv *v;
    size_t n, cap;
    size_t **pools;         /**< the pools the derivations point into (owned) */
    size_t npools;
} gy_derivs;

/** gy_verify, also listing every derivation in *dv (when dv is not NULL):
 *  table by table in the dataset's order, each table's in one run (its
 *  sums first, then its rules row by row). */
gy_status gy_verify_full(const gy_dataset *ds, gy_findings *out, gy_derivs *dv);

/** For tests: the rows the sum checks (小計, 計, parents) have visited
 *  in this process so far, over every table and thread. It grows in
 *  proportion to a table's rows, whatever its kind. */
uint64_t gy_verify_sum_work(void);

/** For tests: how many times a rule was evaluated on a row in this process
 *  so far (by verify, or by a gy_deriver). A report evaluates each figure
 *  once: the workbook writes the derivations verify made. */
uint64_t gy_verify_rule_evals(void);

/** gy_verify_full listing the derivations of the tables ds->v[k] with
 *  want[k] only (want NULL: all): a big table nobody writes out need not
 *  keep them. */
gy_status gy_verify_some(const gy_dataset *ds, gy_findings *out, gy_derivs *dv, const bool *want);

/** Which columns of a table of definition d the next year's table reads
 *  (its @前年 rules): the columns those rules read, and the key, group and
 *  fiscal-year columns that match rows across years. keep has d->ncols
 *  entries. Returns false (no column) when no rule reads last year. */
bool gy_verify_prev_columns(const gy_tabledef *d, bool *keep);

/** The derivations of one table made window by window, for a writer that
 *  goes through a big table in row order: a window's derivations are
 *  those gy_verify_full lists for its rows, in the same order, and only
 *  one window's are held at a time (a million rows need not hold five
 *  million derivations). Findings met while deriving are dropped (gy_verify
 *  reports them). */
typedef struct gy_deriver gy_deriver;

/** Prepare table t of ds (its groups; last year's index is built on first
 *  use). */
gy_status gy_deriver_open(const gy_dataset *ds, const gy_table *t, gy_deriver **out);

/** The end of the window that starts at row a (0, or the end of the
 *  previous window): the first row b ≥ a + min (or the table's end) such
 *  that every group with a row in [a, b) lies entirely within it, so that
 *  no derivation of the window reads a row outside it. A table with a
 *  fiscal-year column (whose @前年 reads its own rows of other groups) is
 *  one window. */
size_t gy_deriver_window(const gy_deriver *x, size_t a, size_t min);

/** The derivations of the rows [a, b), a window, into *out: valid until
 *  the next call or gy_deriver_free (their refs point into the deriver). */
gy_status gy_deriver_rows(gy_deriver *x, size_t a, size_t b, const gy_derivs **out);

/** Free a deriver. Accepts NULL. */
void gy_deriver_free(gy_deriver *x);

/** gy_verify_some on the tables ds->v[k] with which[k] only (which NULL:
 *  all); the others may be let go already (gy_table_keep), they are only
 *  read as last year's or as a 組替. */
gy_status gy_verify_tables(const gy_dataset *ds, const bool *which, gy_findings *out, gy_derivs *dv,
                           const bool *want);

/** The rows of last year's table (*pt: the previous year folder's, or t
 *  itself when it has a fiscal-year key) that `COL@前年` reads for row
 *  `row` of t, as verify finds them (the same keys, or the 旧 of a
 *  組替.csv mapping; several rows are summed): *rows (malloc'd, NULL when
 *  none) in that table's order, *n of them. *pt NULL when there is no
 *  such table. For `gaiyo explain`, which names the cells a derivation
 *  read from another table (gy_deriv.refs: GY_DERIV_NOROW). */
gy_status gy_verify_prev_rows(const gy_dataset *ds, const gy_table *t, size_t row, const gy_table **pt,
                              size_t **rows, size_t *n);

/** Free derivations. Accepts NULL. */
void gy_derivs_free(gy_derivs *dv);

#endif
