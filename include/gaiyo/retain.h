/**
 * @file retain.h
 * @brief The retention policy of a load (gy_retention, import.h): made from
 *        the definitions before the load, applied by the importer once each
 *        year folder is read (src/retain.c).
 */
#ifndef GAIYO_RETAIN_H
#define GAIYO_RETAIN_H

#include "gaiyo/import.h"
#include "gaiyo/tabledef.h"

/** The policy of a report for defs: what a table a later year supersedes
 *  keeps — the columns the next year's @前年 rules read, those the
 *  reconciliations and relations of the other tables of its year read,
 *  the whole table when a table of figures of its year reads it or when it
 *  is the year's 組替 (the kind that maps 旧 onto 新, gy_tabledef_is_remap)
 *  — with big, max_rows, seen and arg as given. Free with
 *  gy_retention_free. */
gy_status gy_retention_make(const gy_defset *defs, size_t big, size_t max_rows, gy_year_fn seen, void *arg,
                            gy_retention *out);

/** Free what gy_retention_make made. Accepts a zeroed policy. */
void gy_retention_free(gy_retention *r);

/** What gy_dataset_load_years does once the tables of a year folder are in
 *  ds (ds->v[first .. ds->n)): r->seen, then the cut of r's plan. */
gy_status gy_retention_year(const gy_retention *r, const gy_defset *defs, gy_dataset *ds, size_t first, bool last);

#endif
