/**
 * @file findings.h
 * @brief What the checks found: findings, their lists and their order.
 *
 * A finding is one disagreement (or a figure that cannot be checked, or a
 * reconciliation) at a cell of a table: verify.c's checks make them, so do
 * relate.c's relations; the writers (findings.txt/.csv/.json, the
 * workbook's 検証結果 and cell comments, `gaiyo explain`) show them in the
 * lead order. Source: src/findings.c; tests: tests/unit/test_verify.c, test_rows.c,
 * the order in tests/cli/cli_test.sh.
 * Ownership: findings borrow the dataset's tables (which must outlive
 * them) and own their strings.
 */
#ifndef GAIYO_FINDINGS_H
#define GAIYO_FINDINGS_H

#include "gaiyo/import.h"
#include "gaiyo/util.h"
#include <stdarg.h>

/** Severity of a finding. */
typedef enum gy_sev {
    GY_SEV_INFO = 0,   /**< cannot be checked (a base is absent), or a reconciliation */
    GY_SEV_WARNING,    /**< a rounding or convention difference */
    GY_SEV_ERROR       /**< a figure is wrong */
} gy_sev;

/** One disagreement between a stated figure and its recomputation. */
typedef struct gy_finding {
    gy_sev sev;
    const char *rule;       /**< sum, parent-sum, rowsum, difference, formula, reference, ratio, rounding, base-absent, reconcile */
    const gy_table *table;  /**< borrowed */
    size_t row;             /**< row index in the table; GY_FINDING_NOROW for a
                                 finding about the definition's rule as a whole
                                 (line 1, the CSV's header) */
    int col;                /**< column index in the definition */
    char *rowlabel;         /**< row label as printed (owned) */
    char *collabel;         /**< column heading as printed (owned) */
    unsigned line, colno;   /**< file position of the stated value */
    char *stated;           /**< stated value as text (owned) */
    char *computed;         /**< recomputed value as text (owned) */
    int64_t computed_v;     /**< recomputed value (scaled like the column) */
    bool has_computed;      /**< whether computed_v is meaningful */
    char *msg;              /**< one line in Japanese (owned) */
    const char *cause;      /**< why, as a stable key: the message's template
                                 without its figures (static; gy_findings_addv
                                 sets the format it is given unless the caller
                                 set one). Findings of one table with the same
                                 cause are one group of 検証結果 (infos). */
    const char *group;      /**< the line standing for an info's group (static,
                                 may be NULL: a generic line): "{n}" their
                                 number, "{what}" their subjects */
    char *what;             /**< this finding's subject for the group line (what
                                 is absent …; owned, may be NULL) */
    int *also;              /**< other columns of the same row the finding is
                                 about (a breakdown whose items disagree with
                                 its total; owned, may be NULL) */
    size_t nalso;
} gy_finding;

/** gy_finding.row of a finding that names no row (a selector that matches
 *  nothing). */
#define GY_FINDING_NOROW ((size_t)-1)

/** A list of findings, sorted by file and line after gy_verify. */
typedef struct gy_findings {
    gy_finding *v;
    size_t n, cap;
    size_t count[3];        /**< per severity */
} gy_findings;

/** Append a finding: g's severity, rule, table, row and column set by the
 *  caller, and the strings it owns (rowlabel, collabel, stated, computed;
 *  NULL where an allocation failed); row labels and positions may be filled
 *  by gy_finding_place. The message is formatted from fmt; no NUL-less
 *  strings are taken over. False when memory ran out: every string g holds
 *  is freed then. */
bool gy_findings_add(gy_findings *f, gy_finding *g, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** The same with a va_list. */
bool gy_findings_addv(gy_findings *f, gy_finding *g, const char *fmt, va_list ap);

/** Fill g's table, row, column, row label (the label column, plus the
 *  fiscal year if any; the role where the label is blank), column label
 *  and file position from the table's cell (row < t->nrows). */
void gy_finding_place(gy_finding *g, const gy_table *t, size_t row, int col);

/** Move the findings of *from into *into (sorted as gy_verify sorts);
 *  *from is left empty. */
gy_status gy_findings_join(gy_findings *into, gy_findings *from);

/** The order findings are shown in (findings.txt, findings.csv, 検証結果):
 *  by severity (errors, warnings, infos), then table in the report's order,
 *  then position; the infos of one table and cause together, as one group
 *  (in the order of their first position). idx lists f->n indices into
 *  f->v; group g is idx[gstart[g] .. gstart[g + 1]). */
typedef struct gy_flead {
    size_t *idx;
    size_t *gstart;         /**< ngroups + 1 offsets */
    size_t ngroups;
    size_t ngroups_sev[3];  /**< groups per severity */
} gy_flead;

/** The lead order of f. `ids` are table ids in the report's order (the
 *  workbook's sheets); a table of the latest fiscal year comes before the
 *  earlier years', one not in ids after those that are, in ds's order. */
gy_status gy_findings_lead(const gy_findings *f, const gy_dataset *ds, const char *const *ids, size_t nids,
                           gy_flead *out);

/** The line of group g of a lead order, for people (unquoted: the caller
 *  makes it safe): one finding's message, or for a group of several infos
 *  "N 件: " and the cause's group line, the rows and columns it covers. */
void gy_flead_line(const gy_findings *f, const gy_flead *l, size_t g, gy_buf *b);

/** g's cause as a stable text: its message template with every figure
 *  and name as "…". */
void gy_finding_cause_text(const gy_finding *g, gy_buf *b);

/** Free a lead order. Accepts NULL. */
void gy_flead_free(gy_flead *l);

/** Whether finding g is about column col of its row (its own, or one of
 *  g->also). */
bool gy_finding_covers(const gy_finding *g, size_t row, int col);

/** Free findings. Accepts NULL. */
void gy_findings_free(gy_findings *f);

/** "error", "warning", "info". */
const char *gy_sev_name(gy_sev s);

#endif
