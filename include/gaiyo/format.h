/**
 * @file format.h
 * @brief The report's text formats: summaries, dumps, findings as text,
 *        CSV or JSON — into a gy_buf, never a file (src/format.c).
 */
#ifndef GAIYO_FORMAT_H
#define GAIYO_FORMAT_H

#include "gaiyo/import.h"
#include "gaiyo/layout.h"
#include "gaiyo/util.h"
#include "gaiyo/verify.h"

/** Output format of findings. */
typedef enum gy_report_format { GY_FMT_TEXT = 0, GY_FMT_CSV, GY_FMT_JSON } gy_report_format;

/** Parse text|csv|json. */
bool gy_report_format_parse(const char *s, gy_report_format *out);

/** Per table: rows read, encoding, and the totals as stated. */
void gy_report_summary(const gy_dataset *ds, gy_buf *b);

/** The definitions without a file: one 注意 line each (gy_report_summary
 *  ends with them). */
void gy_report_summary_missing(const gy_dataset *ds, gy_buf *b);

/** One table's part of gy_report_summary. */
void gy_report_summary_table(const gy_table *t, gy_buf *b);

/** A table as canonical TSV: a header of column names, then one line per
 *  row: file:line, role, level, then every cell formatted. */
void gy_report_dump(const gy_table *t, gy_buf *b);

/** Findings of ds in a format, in the lead order (gy_findings_lead: by
 *  severity, then table in the order of the layouts ls (may be NULL), then
 *  position). Text: a heading per severity and the infos of one table and
 *  cause as one line; CSV and JSON: every finding, with its cause and the
 *  number of its group (the text's line). */
gy_status gy_report_findings(const gy_findings *f, const gy_dataset *ds, const gy_layouts *ls, gy_report_format fmt,
                             gy_buf *b);

#endif
