/* format.c - the report's text formats: the summary of the tables read,
 * the dump of one table (TSV), and the findings as text, CSV or JSON.
 * CSV and JSON are one walk over the findings (findings_records) with an
 * emitter per format; text groups them by severity and by group. Every
 * function writes into a gy_buf and touches no file (report.c writes
 * them into out/). No unit suite of its own: tested through the outputs,
 * tests/cli/cli_test.sh (summary, findings.txt/.csv, `verify --format
 * text|csv|json`), text_test.sh, excel_csv_test.sh. */
#include "gaiyo/format.h"

#include <stdlib.h>
#include <string.h>

bool gy_report_format_parse(const char *s, gy_report_format *out)
{
    if (!strcmp(s, "text"))
        *out = GY_FMT_TEXT;
    else if (!strcmp(s, "csv"))
        *out = GY_FMT_CSV;
    else if (!strcmp(s, "json"))
        *out = GY_FMT_JSON;
    else
        return false;
    return true;
}

void gy_report_summary_table(const gy_table *t, gy_buf *b)
{
    char fy[16];
    gy_fy_format(&t->fy, fy, sizeof fy);
    gy_buf_printf(b, "%s %s: %s (%s) %zu 行\n", fy, t->def->id, t->def->title, t->encoding ? t->encoding : "",
                  t->nrows);
    size_t ntot = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const gy_row *r = &t->rows[i];
        if (!GY_ROLE_IS_AGGREGATE(r->role))
            continue;
        ntot++;
        gy_buf_puts(b, "    ");
        gy_buf_quote(b, gy_row_label(t, r)[0] ? gy_row_label(t, r) : gy_role_name(r->role), GY_QUOTE_MAX);
        int fc = t->def->fy_col;
        if (fc >= 0 && fc != t->def->label_col && gy_ttext(t, i, fc)[0]) {
            gy_buf_puts(b, " ");
            gy_buf_quote(b, gy_ttext(t, i, fc), GY_QUOTE_MAX);
        }
        for (size_t j = 0; j < t->def->ncols; j++) {
            if (!(t->def->cols[j].flags & GY_COL_SUM))
                continue;
            char v[64];
            gy_cell cl;
            gy_table_cell(t, i, j, &cl);
            gy_cell_format(t, j, &cl, v, sizeof v);
            gy_buf_printf(b, "  %s=%s", t->def->cols[j].name, v[0] ? v : "(空欄)");
        }
        gy_buf_puts(b, "\n");
    }
    if (!ntot)
        gy_buf_puts(b, "    (記載された計の行はありません)\n");
}

void gy_report_summary_missing(const gy_dataset *ds, gy_buf *b)
{
    for (size_t i = 0; i < ds->nmissing; i++)
        gy_buf_printf(b, "注意: %s がありません (その表は読みませんでした)\n", ds->missing[i]);
}

void gy_report_summary(const gy_dataset *ds, gy_buf *b)
{
    for (size_t k = 0; k < ds->n; k++)
        gy_report_summary_table(ds->v[k], b);
    gy_report_summary_missing(ds, b);
}

void gy_report_dump(const gy_table *t, gy_buf *b)
{
    gy_buf_puts(b, "位置\t行区分\t階層");
    for (size_t j = 0; j < t->def->ncols; j++)
        gy_buf_printf(b, "\t%s:%s", t->def->cols[j].name, gy_type_name(t->def->cols[j].type));
    gy_buf_puts(b, "\n");
    for (size_t i = 0; i < t->nrows; i++) {
        const gy_row *r = &t->rows[i];
        gy_buf_printf(b, "%s:%u\t%s\t%d", t->path, r->line, gy_role_name(r->role), r->level);
        for (size_t j = 0; j < t->def->ncols; j++) {
            char v[256];
            gy_cell cl;
            gy_table_cell(t, i, j, &cl);
            const gy_cell *c = &cl;
            gy_cell_format(t, j, c, v, sizeof v);
            const char *nil = c->nil == GY_NIL_BLANK ? "<空欄>" : c->nil == GY_NIL_NA ? "<該当なし>"
                              : c->nil == GY_NIL_UNKNOWN ? "<不明>" : NULL;
            /* text in full: v holds at most 255 bytes */
            gy_buf_printf(b, "\t%s", nil ? nil : t->def->cols[j].type == GY_T_TEXT ? c->text : v);
            if (gy_table_is_stated_derived(t, i, j) && !nil)
                gy_buf_puts(b, "*");
        }
        gy_buf_puts(b, "\n");
    }
}

/* input text for findings.csv: whole, control characters visible */
static void csv_text(gy_buf *b, const char *s)
{
    gy_buf q = {0};
    if (gy_buf_quote(&q, s, SIZE_MAX) && gy_buf_add(&q, "", 1))
        gy_buf_csv_field(b, q.p);
    else
        gy_buf_csv_field(b, "?");
    gy_buf_free(&q);
}

/* the lead order of f for a report of ds laid out by ls (NULL: no layouts) */
static gy_status lead_of(const gy_findings *f, const gy_dataset *ds, const gy_layouts *ls, gy_flead *l)
{
    size_t nids = ls ? ls->n : 0;
    const char **ids = malloc((nids ? nids : 1) * sizeof *ids);
    if (!ids)
        return GY_ENOMEM;
    for (size_t i = 0; i < nids; i++)
        ids[i] = ls->v[i]->table;
    gy_status st = gy_findings_lead(f, ds, ids, nids, l);
    free(ids);
    return st;
}

/* text: a heading per severity, one line per finding — the infos of
 * one table and cause as one line (findings.csv has each) */
static gy_status findings_text(const gy_findings *f, const gy_flead *l, gy_buf *b)
{
    static const char *const sevj[] = {"情報", "警告", "誤り"};
    int cur = -1;
    for (size_t gi = 0; gi < l->ngroups; gi++) {
        const gy_finding *g = &f->v[l->idx[l->gstart[gi]]];
        if ((int)g->sev != cur) {
            cur = (int)g->sev;
            gy_buf_printf(b, "== %s %zu 件", sevj[cur], f->count[cur]);
            if (l->ngroups_sev[cur] != f->count[cur])
                gy_buf_printf(b, " (%zu 行にまとめています。1 件ずつは findings.csv に)", l->ngroups_sev[cur]);
            gy_buf_puts(b, "\n");
        }
        gy_buf_printf(b, "%s:%u:%u: %s: [%s] ", g->table->path, g->line, g->colno, gy_sev_name(g->sev), g->rule);
        if (l->gstart[gi + 1] - l->gstart[gi] == 1) {
            /* the row's label quoted (cut at GY_QUOTE_MAX), the message made
             * safe as a diagnostic's */
            gy_buf_quote(b, g->rowlabel, GY_QUOTE_MAX);
            gy_buf_puts(b, " / ");
            gy_buf_quote(b, g->collabel, GY_QUOTE_MAX);
            gy_buf_puts(b, ": ");
            gy_buf_quote(b, g->msg, GY_DIAG_MAX);
        } else {
            gy_buf line = {0};
            gy_flead_line(f, l, gi, &line);
            if (!gy_buf_add(&line, "", 1)) {
                gy_buf_free(&line);
                return GY_ENOMEM;
            }
            gy_buf_quote(b, line.p, GY_DIAG_MAX);
            gy_buf_free(&line);
        }
        gy_buf_puts(b, "\n");
    }
    gy_buf_printf(b, "%zu errors, %zu warnings, %zu infos\n", f->count[GY_SEV_ERROR],
                  f->count[GY_SEV_WARNING], f->count[GY_SEV_INFO]);
    return GY_OK;
}


/* ---- CSV and JSON: every finding, field by field ------------------------
 * One walker (findings_records) visits the findings in the lead order and
 * hands each field to the emitter of a format; the field names are the
 * CSV header and the JSON keys alike. */

typedef enum fkind {
    F_WORD,  /* a word of the program (severity, rule id): as it is */
    F_NAME,  /* a table id or a path */
    F_TEXT,  /* input text, whole (NULL: could not be made) */
    F_NUM,
} fkind;

static const char *const FIELDS[] = {"severity", "rule",     "table",   "file",  "line",  "column", "row",
                                     "column_label", "stated", "computed", "message", "cause", "group"};
enum { NFIELDS = sizeof FIELDS / sizeof *FIELDS };

typedef struct femit {
    void (*head)(gy_buf *b, const gy_findings *f, const gy_flead *l);
    void (*rec)(gy_buf *b, size_t i); /* before the i-th finding's fields */
    void (*field)(gy_buf *b, size_t k, fkind kind, const char *s, size_t n);
    const char *rec_end, *tail;
} femit;

static void csv_head(gy_buf *b, const gy_findings *f, const gy_flead *l)
{
    (void)f;
    (void)l;
    for (size_t k = 0; k < NFIELDS; k++)
        gy_buf_printf(b, "%s%s", k ? "," : "", FIELDS[k]);
    gy_buf_puts(b, "\n");
}

static void csv_rec(gy_buf *b, size_t i)
{
    (void)b;
    (void)i;
}

static void csv_field(gy_buf *b, size_t k, fkind kind, const char *s, size_t n)
{
    if (k)
        gy_buf_puts(b, ",");
    switch (kind) {
    case F_WORD: gy_buf_puts(b, s); break;
    case F_NAME: gy_buf_csv_field(b, s); break;
    case F_TEXT:
        if (s)
            csv_text(b, s);
        break;
    case F_NUM: gy_buf_printf(b, "%zu", n); break;
    }
}

static void json_head(gy_buf *b, const gy_findings *f, const gy_flead *l)
{
    gy_buf_printf(b, "{\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,\"groups\":%zu,\"findings\":[",
                  f->count[GY_SEV_ERROR], f->count[GY_SEV_WARNING], f->count[GY_SEV_INFO], l->ngroups);
}

static void json_rec(gy_buf *b, size_t i)
{
    gy_buf_printf(b, "%s\n{", i ? "," : "");
}

static void json_field(gy_buf *b, size_t k, fkind kind, const char *s, size_t n)
{
    gy_buf_printf(b, "%s\"%s\":", k ? "," : "", FIELDS[k]);
    switch (kind) {
    case F_WORD: gy_buf_printf(b, "\"%s\"", s); break;
    case F_NAME:
    case F_TEXT: gy_buf_json_str(b, s ? s : ""); break;
    case F_NUM: gy_buf_printf(b, "%zu", n); break;
    }
}

static const femit CSV = {csv_head, csv_rec, csv_field, "\n", ""};
static const femit JSON = {json_head, json_rec, json_field, "}", "\n]}\n"};

static void findings_records(const gy_findings *f, const gy_flead *l, const femit *e, gy_buf *b)
{
    e->head(b, f, l);
    size_t i = 0;
    for (size_t gi = 0; gi < l->ngroups; gi++)
        for (size_t x = l->gstart[gi]; x < l->gstart[gi + 1]; x++, i++) {
            const gy_finding *g = &f->v[l->idx[x]];
            gy_buf c = {0};
            gy_finding_cause_text(g, &c);
            const char *cause = gy_buf_add(&c, "", 1) ? c.p : NULL;
            const char *s[NFIELDS] = {gy_sev_name(g->sev), g->rule, g->table->def->id, g->table->path, NULL, NULL,
                                      g->rowlabel, g->collabel, g->stated, g->computed, g->msg, cause, NULL};
            static const fkind kinds[NFIELDS] = {F_WORD, F_WORD, F_NAME, F_NAME, F_NUM,  F_NUM, F_TEXT,
                                                 F_TEXT, F_TEXT, F_TEXT, F_TEXT, F_TEXT, F_NUM};
            size_t n[NFIELDS] = {[4] = g->line, [5] = g->colno, [12] = gi + 1};
            e->rec(b, i);
            for (size_t k = 0; k < NFIELDS; k++)
                e->field(b, k, kinds[k], s[k], n[k]);
            gy_buf_puts(b, e->rec_end);
            gy_buf_free(&c);
        }
    gy_buf_puts(b, e->tail);
}

gy_status gy_report_findings(const gy_findings *f, const gy_dataset *ds, const gy_layouts *ls, gy_report_format fmt,
                             gy_buf *b)
{
    gy_flead l;
    if (lead_of(f, ds, ls, &l) != GY_OK)
        return GY_ENOMEM;
    gy_status st = GY_OK;
    if (fmt == GY_FMT_CSV || fmt == GY_FMT_JSON)
        findings_records(f, &l, fmt == GY_FMT_CSV ? &CSV : &JSON, b);
    else
        st = findings_text(f, &l, b);
    gy_flead_free(&l);
    return st;
}
