/**
 * @file relate.h
 * @brief Relations between tables and figures stated in the report's text.
 *
 * `relate LEFT = RIGHT SEVERITY` in a definition says that a figure of
 * its table (named by the table's own columns: 当初予算額[交付先=計,
 * 年度=当年度]) must equal a figure of another table of the same fiscal
 * year (jigyohi.金額[事業名=経営改善普及事業費補助事業]); `figure` makes
 * each row of a table a figure quoted from the report's prose, checked
 * the same way. Selectors that match no row or several rows are findings
 * (rule `relate` or `figure`), never silence. Parsing lives in relate.c
 * too (declared in tabledef.h).
 */
#ifndef GAIYO_RELATE_H
#define GAIYO_RELATE_H

#include "gaiyo/verify.h"

/** Check the relations and the figures of table t of ds into *out (its
 *  counts updated; out is sorted afterwards by the caller). Returns
 *  GY_ENOMEM when memory ran out. */
gy_status gy_relate_table(const gy_dataset *ds, const gy_table *t, gy_findings *out);

/** Which columns of table t the relations of definition od read
 *  (keep[j] set). Returns 1 when some are, 0 when none, -1 when od's
 *  reads depend on its data (a `figure` table): t must stay whole. */
int gy_relate_keep(const gy_tabledef *od, const gy_table *t, bool *keep);

/** The rows of table t that the terms of selector r match, as a relation's
 *  selector matches them (COL=VALUE as the column's type, 当年度 = t's
 *  folder year; a term without COL: the label column), in row order:
 *  *rows (malloc'd, NULL when none) and *n. Returns NULL, or a message
 *  (in buf or static) when a term names no column of t or a value its
 *  column cannot hold, or memory ran out (nothing is allocated then). */
const char *gy_relsel_rows(const gy_table *t, const gy_relref *r, size_t **rows, size_t *n, char *buf, size_t bn);

#endif
