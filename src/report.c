/* report.c - summaries, dumps, findings (text/csv/json) and out/ */
#include "gaiyo/report.h"
#include "gaiyo/outdir.h"

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

void gy_report_summary(const gy_dataset *ds, gy_buf *b)
{
    for (size_t k = 0; k < ds->n; k++) {
        const gy_table *t = ds->v[k];
        char fy[16];
        gy_fy_format(&t->fy, fy, sizeof fy);
        gy_buf_printf(b, "%s %s: %s (%s) %zu 行\n", fy, t->def->id, t->def->title, t->encoding ? t->encoding : "",
                      t->nrows);
        size_t ntot = 0;
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *r = &t->rows[i];
            if (r->role != GY_ROLE_TOTAL && r->role != GY_ROLE_SUBTOTAL)
                continue;
            ntot++;
            gy_buf_printf(b, "    %s", gy_row_label(t, r)[0] ? gy_row_label(t, r) : gy_role_name(r->role));
            int fc = t->def->fy_col;
            if (fc >= 0 && fc != t->def->label_col && r->cells[fc].text[0])
                gy_buf_printf(b, " %s", r->cells[fc].text);
            for (size_t j = 0; j < t->def->ncols; j++) {
                if (!(t->def->cols[j].flags & GY_COL_SUM))
                    continue;
                char v[64];
                gy_cell_format(t, j, &r->cells[j], v, sizeof v);
                gy_buf_printf(b, "  %s=%s", t->def->cols[j].name, v[0] ? v : "(空欄)");
            }
            gy_buf_puts(b, "\n");
        }
        if (!ntot)
            gy_buf_puts(b, "    (記載された計の行はありません)\n");
    }
    for (size_t i = 0; i < ds->nmissing; i++)
        gy_buf_printf(b, "注意: %s がありません (その表は読みませんでした)\n", ds->missing[i]);
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
            const gy_cell *c = &r->cells[j];
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

/* whether s is a plain number (then a leading - or + is not a formula) */
static bool plain_number(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p)
        return false;
    for (; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.' && *p != ',')
            return false;
    return true;
}

static void csv_field(gy_buf *b, const char *s)
{
    /* a text that a spreadsheet would run as a formula gets a leading '
     * (inside the quotes when the field is quoted) */
    bool q = strpbrk(s, ",\"\n\r") != NULL;
    bool formula = (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                    s[0] == '\r') && !plain_number(s);
    if (q)
        gy_buf_puts(b, "\"");
    if (formula)
        gy_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            gy_buf_puts(b, "\"");
        gy_buf_add(b, p, 1);
    }
    if (q)
        gy_buf_puts(b, "\"");
}

static void json_str(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            gy_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            gy_buf_printf(b, "\\u%04x", *p);
        else
            gy_buf_add(b, p, 1);
    }
    gy_buf_puts(b, "\"");
}

void gy_report_findings(const gy_findings *f, gy_report_format fmt, gy_buf *b)
{
    if (fmt == GY_FMT_CSV) {
        gy_buf_puts(b, "severity,rule,table,file,line,column,row,column_label,stated,computed,message\n");
        for (size_t i = 0; i < f->n; i++) {
            const gy_finding *g = &f->v[i];
            gy_buf_printf(b, "%s,%s,", gy_sev_name(g->sev), g->rule);
            csv_field(b, g->table->def->id);
            gy_buf_puts(b, ",");
            csv_field(b, g->table->path);
            gy_buf_printf(b, ",%u,%u,", g->line, g->colno);
            csv_field(b, g->rowlabel);
            gy_buf_puts(b, ",");
            csv_field(b, g->collabel);
            gy_buf_puts(b, ",");
            csv_field(b, g->stated);
            gy_buf_puts(b, ",");
            csv_field(b, g->computed);
            gy_buf_puts(b, ",");
            csv_field(b, g->msg);
            gy_buf_puts(b, "\n");
        }
        return;
    }
    if (fmt == GY_FMT_JSON) {
        gy_buf_printf(b, "{\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,\"findings\":[",
                      f->count[GY_SEV_ERROR], f->count[GY_SEV_WARNING], f->count[GY_SEV_INFO]);
        for (size_t i = 0; i < f->n; i++) {
            const gy_finding *g = &f->v[i];
            gy_buf_printf(b, "%s\n{\"severity\":\"%s\",\"rule\":\"%s\",\"table\":", i ? "," : "",
                          gy_sev_name(g->sev), g->rule);
            json_str(b, g->table->def->id);
            gy_buf_puts(b, ",\"file\":");
            json_str(b, g->table->path);
            gy_buf_printf(b, ",\"line\":%u,\"column\":%u,\"row\":", g->line, g->colno);
            json_str(b, g->rowlabel);
            gy_buf_puts(b, ",\"column_label\":");
            json_str(b, g->collabel);
            gy_buf_puts(b, ",\"stated\":");
            json_str(b, g->stated);
            gy_buf_puts(b, ",\"computed\":");
            json_str(b, g->computed);
            gy_buf_puts(b, ",\"message\":");
            json_str(b, g->msg);
            gy_buf_puts(b, "}");
        }
        gy_buf_puts(b, "\n]}\n");
        return;
    }
    const gy_table *cur = NULL;
    for (size_t i = 0; i < f->n; i++) {
        const gy_finding *g = &f->v[i];
        if (g->table != cur) {
            cur = g->table;
            gy_buf_printf(b, "== %s (%s)\n", cur->def->title, cur->path);
        }
        gy_buf_printf(b, "%s:%u:%u: %s: [%s] %s / %s: %s\n", g->table->path, g->line, g->colno,
                      gy_sev_name(g->sev), g->rule, g->rowlabel, g->collabel, g->msg);
    }
    gy_buf_printf(b, "%zu errors, %zu warnings, %zu infos\n", f->count[GY_SEV_ERROR],
                  f->count[GY_SEV_WARNING], f->count[GY_SEV_INFO]);
}

gy_status gy_report_verify(const gy_dataset *ds, gy_report_format fmt, gy_buf *b, int *nerr)
{
    gy_findings f;
    gy_status st = gy_verify(ds, &f);
    if (st != GY_OK) {
        gy_findings_free(&f);
        return st;
    }
    gy_report_findings(&f, fmt, b);
    *nerr = (int)f.count[GY_SEV_ERROR];
    gy_findings_free(&f);
    return GY_OK;
}

static gy_status write_buf(gy_outdir *o, const char *name, const gy_buf *b, gy_diags *d)
{
    FILE *fp = gy_outdir_fopen(o, name, d);
    if (!fp)
        return GY_EIO;
    if (b->n)
        fwrite(b->p, 1, b->n, fp);
    return gy_outdir_fclose(o, fp, name, d);
}

gy_status gy_report_write(const gy_dataset *ds, const char *outdir, gy_report_result *res,
                          gy_diags *d)
{
    res->summary = NULL;
    gy_findings f;
    gy_status st = gy_verify(ds, &f);
    if (st != GY_OK) {
        gy_findings_free(&f);
        return st;
    }
    gy_outdir o;
    st = gy_outdir_open(&o, outdir, d);
    if (st != GY_OK) {
        gy_outdir_abort(&o);
        gy_findings_free(&f);
        return st;
    }
    gy_buf sum = {0}, ft = {0}, fc = {0};
    gy_report_summary(ds, &sum);
    gy_report_findings(&f, GY_FMT_TEXT, &ft);
    gy_report_findings(&f, GY_FMT_CSV, &fc);
    if ((st = write_buf(&o, "summary.txt", &sum, d)) == GY_OK &&
        (st = write_buf(&o, "findings.txt", &ft, d)) == GY_OK &&
        (st = write_buf(&o, "findings.csv", &fc, d)) == GY_OK)
        st = gy_outdir_commit(&o, d);
    else
        gy_outdir_abort(&o);
    if (st == GY_OK) {
        gy_buf line = {0};
        gy_buf_puts(&line, sum.p ? sum.p : "");
        gy_buf_printf(&line, "検証: %zu errors, %zu warnings, %zu infos (%s/findings.txt, %s/findings.csv)\n",
                      f.count[GY_SEV_ERROR], f.count[GY_SEV_WARNING], f.count[GY_SEV_INFO], outdir, outdir);
        res->summary = line.p;
    }
    gy_buf_free(&sum);
    gy_buf_free(&ft);
    gy_buf_free(&fc);
    gy_findings_free(&f);
    return st;
}
