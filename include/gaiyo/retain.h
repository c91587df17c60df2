/**
 * @file retain.h
 * @brief The retention policy of a load: how much of the input a report
 *        holds in memory, decided from the definitions before the load
 *        and applied by the driver to each year folder it pulls from the
 *        year reader (gy_years, import.h) (src/retain.c).
 */
#ifndef GAIYO_RETAIN_H
#define GAIYO_RETAIN_H

#include "gaiyo/dataset.h"
#include "gaiyo/diag.h"
#include "gaiyo/tabledef.h"

/** One reason a table that a later year supersedes keeps some of itself
 *  (gy_retention): who reads it and what. */
typedef struct gy_keep_need {
    int by;          /**< the definition (index in the defset) whose table of the same year
                          reads it; GY_KEEP_ALWAYS: needed whatever else that year holds;
                          GY_KEEP_ANY: any other table of that year */
    bool *cols;      /**< the columns read (the definition's ncols entries), or NULL: the whole table */
    const char *why; /**< for people */
} gy_keep_need;

#define GY_KEEP_ALWAYS (-1)
#define GY_KEEP_ANY (-2)

/** Everything one definition's table needs to keep once a later year supersedes it. */
typedef struct gy_keep_plan {
    gy_keep_need *v;
    size_t n;
} gy_keep_plan;

/** How much of the input a load holds in memory, decided before the load
 *  (gy_retention_make): a table of an earlier year with more than
 *  max_rows rows whose definition has a file in a later year folder
 *  (gy_table.later) is cut down, once its year is read, to the columns
 *  that the needs of its plan whose reader that year holds name
 *  (gy_table_keep), kept whole when one of them asks for the whole table,
 *  let go when none applies (gy_table_release): gy_retention_cut. With a
 *  file of `big` bytes or more in such a year the folders are read one
 *  after another (gy_years_open's stage), each after the one before was
 *  cut. */
typedef struct gy_retention {
    size_t big;               /**< staged reading from files of this size (0: never) */
    size_t max_rows;          /**< tables of more rows are cut */
    const gy_keep_plan *plan; /**< one per definition of the defset (NULL: nothing is cut) */
    size_t nplan;             /**< entries of plan */
} gy_retention;

/** The policy of a report for defs: what a table a later year supersedes
 *  keeps — the columns the next year's @前年 rules read, those the
 *  reconciliations and relations of the other tables of its year read,
 *  the whole table when a table of figures of its year reads it or when it
 *  is the year's 組替 (the kind that maps 旧 onto 新, gy_tabledef_is_remap)
 *  — with big and max_rows as given. Free with gy_retention_free. */
gy_status gy_retention_make(const gy_defset *defs, size_t big, size_t max_rows, gy_retention *out);

/** Free what gy_retention_make made. Accepts a zeroed policy. */
void gy_retention_free(gy_retention *r);

/** Whether r cuts table t of ds (once t's year is read): t has more than
 *  r->max_rows rows and a later year has its definition. */
bool gy_retention_cuts(const gy_retention *r, const gy_table *t);

/** Apply r to the tables of a year folder just pulled from the year
 *  reader (ds->v[first .. ds->n)): each one r cuts is cut down, kept whole
 *  or let go as its plan and what that year holds say. The driver checks
 *  what it must of them whole before (report.h: gy_report_read). */
gy_status gy_retention_cut(const gy_retention *r, const gy_defset *defs, gy_dataset *ds, size_t first);

#endif
