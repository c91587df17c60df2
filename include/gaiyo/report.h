/**
 * @file report.h
 * @brief The report's driver: input/ read year by year under the retention
 *        policy (gy_report_read), then checked and written into out/
 *        (gy_report_write); and `gaiyo verify`'s check (gy_report_verify).
 */
#ifndef GAIYO_REPORT_H
#define GAIYO_REPORT_H

#include "gaiyo/chart.h"
#include "gaiyo/fingerprint.h"
#include "gaiyo/format.h"
#include "gaiyo/import.h"
#include "gaiyo/layout.h"
#include "gaiyo/retain.h"
#include "gaiyo/util.h"
#include "gaiyo/verify.h"

/** Run verify and format its findings; *nerr = number of errors. */
gy_status gy_report_verify(const gy_dataset *ds, const gy_layouts *ls, gy_report_format fmt, gy_buf *b, int *nerr);

/** What a report run produced. */
typedef struct gy_report_result {
    char *summary;    /**< one-line summary and file list for the terminal (owned) */
    char *warnings;   /**< what could not be drawn (no gnuplot …), for stderr, or NULL (owned) */
    bool out_mixed;   /**< the run failed in its commit and could not put the previous report
                           back: out/ is not the previous report (see gy_outdir.mixed) */
} gy_report_result;

/** What a report run checks while input/ is read (gy_report_read): a big
 *  table of an earlier year that the retention policy cuts (more rows
 *  than the snapshot records, a later year has a file of its definition:
 *  gy_retention_cuts) is verified and summarized whole as soon as its
 *  year is read, before the policy cuts it down to what the next year's
 *  @前年 and its own year's tables read of it (retain.h). With files of
 *  GY_REPORT_STAGE_BYTES or more, years are read one after another: two
 *  big years never sit in memory whole. */
typedef struct gy_report_early gy_report_early;

/** Staged reading from files of this size on (64 MiB, about 500,000 事業
 *  rows); the test hook GAIYO_TEST_STAGE_BYTES sets it. */
#define GY_REPORT_STAGE_BYTES ((size_t)64 << 20)
size_t gy_report_stage_bytes(void);

gy_report_early *gy_report_early_new(void);
void gy_report_early_free(gy_report_early *e);

/** Read the input folder dir as a report does, the driver pulling each
 *  year folder from the year reader (gy_years, import.h; staged from
 *  files of keep->big bytes) and, between two years, checking whole into
 *  early what keep cuts of the year just read, then cutting it
 *  (gy_retention_cut). keep NULL or early NULL: every table kept whole.
 *  Tables, diagnostics and status otherwise as gy_dataset_load. */
gy_status gy_report_read(const char *dir, const gy_defset *defs, const gy_retention *keep, gy_report_early *early,
                         gy_dataset *ds, gy_diags *d);

/** Where the report goes and what shapes it. */
typedef struct gy_report_opts {
    const char *outdir;      /**< out/ */
    const char *input;       /**< input/ as named (the snapshot quotes files relative to it), or NULL */
    const char *templates;   /**< templates/ (sheets/ holds the workbook layouts) */
    const gy_defset *defs;   /**< every table definition (layouts are checked against them) */
    const char *fingerprint; /**< of input/ and templates/, kept in out/.gaiyo-state */
    const char *gnuplot;     /**< the gnuplot program (NULL: "gnuplot" on PATH) */
    bool force;              /**< redraw every chart (else unchanged charts are kept) */
    gy_report_early *early;  /**< what gy_report_read checked while input/ was read (NULL:
                                  nothing; not freed) */
    const gy_layouts *layouts;   /**< sheets/ as read before the input (not freed), or NULL:
                                      gy_report_write reads sheets/ and charts/ itself */
    const gy_chartset *charts;   /**< charts/ as read before the input (with layouts; not freed) */
} gy_report_opts;

/** The workbook's file name inside out/: gaiyo-<年度>.xlsx, e.g. gaiyo-R6.xlsx. */
char *gy_report_workbook_name(const gy_dataset *ds);

/** Write the report into outdir atomically (see outdir.h): summary.txt,
 *  findings.txt, findings.csv, the workbook, snapshot.tsv, changes.txt,
 *  changes.csv and .gaiyo-state. The findings and summaries of the tables
 *  ro->early verified are taken from it (its findings are moved). */
gy_status gy_report_write(const gy_dataset *ds, const gy_report_opts *ro, gy_report_result *res, gy_diags *d);

#endif
