/**
 * @file changes.h
 * @brief What changed since the previous report: snapshots and their diff.
 *
 * Every report run writes out/snapshot.tsv: each stated figure, each
 * recomputed (derived) figure and each finding, one per line. The next run
 * compares its own snapshot with it and writes out/changes.txt and
 * out/changes.csv: the figures that changed (old → new), the derived
 * figures that moved with them, and the findings that appeared or went
 * away. The snapshot is committed with the rest of out/, so a failed run
 * never advances it.
 *
 * snapshot.tsv lines (tab-separated; tabs and newlines in text become spaces):
 *   V  table  年度  row  column  value     a stated figure (as printed)
 *   D  table  年度  row  column  value     a recomputed derived figure
 *   F  severity  rule  table  row  column  message   a finding
 * A finding's message quotes files relative to the folders the report
 * read (roots: input/ and templates/ as named), so that the same files
 * under another folder name (make report INPUT=補正1) change nothing.
 */
#ifndef GAIYO_CHANGES_H
#define GAIYO_CHANGES_H

#include "gaiyo/dataset.h"
#include "gaiyo/util.h"
#include "gaiyo/verify.h"

/** Tables longer than this are left out of the snapshot (a line says so):
 *  a figure-by-figure record of a million rows would cost more than the
 *  report itself. */
#define GY_SNAPSHOT_MAX_ROWS 100000

/** GY_SNAPSHOT_MAX_ROWS, or the test hook GAIYO_TEST_SNAPSHOT_ROWS (so
 *  that the tests can leave a small table out, and see it released). */
size_t gy_snapshot_max_rows(void);

/** The snapshot of a run; roots (nroots of them, NULL entries skipped):
 *  the folders whose name is taken off the paths findings quote. */
gy_status gy_snapshot_make(const gy_dataset *ds, const gy_findings *f, const gy_derivs *dv,
                           const char *const *roots, size_t nroots, gy_buf *out);

/** Compare the previous snapshot (NULL: none) with the current one; writes
 *  the report for people (txt) and for tools (csv: kind, table, year, row,
 *  column, old, new, message; kind = figure, derived, finding+, finding-),
 *  in the current snapshot's order, then what went away in the previous
 *  one's. *nchanges = the number of changed figures and findings. */
gy_status gy_changes_make(const char *prev, const char *cur, gy_buf *txt, gy_buf *csv, size_t *nchanges);

#endif
