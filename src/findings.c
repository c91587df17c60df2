/* findings.c - the list of findings and the order they are shown in
 *
 * Adding a finding (gy_findings_add, gy_finding_place), joining and
 * freeing lists, and the lead order of findings.txt, findings.csv and
 * 検証結果: by severity, table in the report's order and position, the
 * infos of one cause as one group line (gy_findings_lead, gy_flead_line,
 * gy_finding_cause_text). Interface: include/gaiyo/findings.h. Tested by
 * tests/unit/test_verify.c and test_rows.c (the checks that make
 * findings); the lead order by tests/cli/cli_test.sh and text_test.sh
 * (findings.txt) and tests/xlsx/test_workbook.py (検証結果).
 */
#include "gaiyo/findings.h"
#include "verify_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *gy_sev_name(gy_sev s)
{
    switch (s) {
    case GY_SEV_ERROR: return "error";
    case GY_SEV_WARNING: return "warning";
    default: return "info";
    }
}

void gy_findings_free(gy_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        gy_finding *g = &f->v[i];
        free(g->rowlabel);
        free(g->collabel);
        free(g->stated);
        free(g->computed);
        free(g->msg);
        free(g->what);
        free(g->also);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

bool gy_findings_addv(gy_findings *f, gy_finding *g, const char *fmt, va_list ap)
{
    g->msg = gy_vasprintf(fmt, ap);
    if (!g->cause)
        g->cause = fmt;
    bool ok = g->rowlabel && g->collabel && g->stated && g->computed && g->msg;
    if (ok && f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 32;
        gy_finding *nv = realloc(f->v, nc * sizeof *nv);
        if (nv) {
            f->v = nv;
            f->cap = nc;
        }
        ok = nv != NULL;
    }
    if (!ok) {
        free(g->rowlabel);
        free(g->collabel);
        free(g->stated);
        free(g->computed);
        free(g->msg);
        free(g->what);
        free(g->also);
        g->what = NULL;
        g->also = NULL;
        return false;
    }
    f->v[f->n++] = *g;
    f->count[g->sev]++;
    return true;
}

bool gy_findings_add(gy_findings *f, gy_finding *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = gy_findings_addv(f, g, fmt, ap);
    va_end(ap);
    return ok;
}

void gy_finding_place(gy_finding *g, const gy_table *t, size_t row, int col)
{
    const gy_row *r = &t->rows[row];
    g->table = t;
    g->row = row;
    g->col = col;
    /* the row label as printed: label column, plus the fy key if any */
    const char *lab = gy_row_label(t, r);
    if (t->def->fy_col >= 0 && t->def->fy_col != t->def->label_col && gy_ttext(t, row, t->def->fy_col)[0])
        g->rowlabel = gy_asprintf("%s %s", lab, gy_ttext(t, row, t->def->fy_col));
    else
        g->rowlabel = gy_strdup(lab[0] ? lab : gy_role_name(r->role));
    g->collabel = gy_strdup(t->def->cols[col].label);
    gy_cell cb;
    gy_table_cell(t, row, (size_t)col, &cb);
    g->line = cb.line ? cb.line : r->line;
    g->colno = cb.col;
}

int gyv_cmp_finding(const void *a, const void *b)
{
    const gy_finding *x = a, *y = b;
    int r = strcmp(x->table->path, y->table->path);
    if (r)
        return r;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->colno != y->colno)
        return x->colno < y->colno ? -1 : 1;
    r = strcmp(x->rule, y->rule);
    return r ? r : strcmp(x->msg, y->msg);
}

gy_status gy_findings_join(gy_findings *into, gy_findings *from)
{
    if (from->n) {
        gy_finding *nv = realloc(into->v, (into->n + from->n) * sizeof *nv);
        if (!nv)
            return GY_ENOMEM;
        memcpy(nv + into->n, from->v, from->n * sizeof *nv);
        into->v = nv;
        into->n += from->n;
        into->cap = into->n;
        for (int s = 0; s < 3; s++)
            into->count[s] += from->count[s];
        qsort(into->v, into->n, sizeof *into->v, gyv_cmp_finding);
    }
    free(from->v);
    memset(from, 0, sizeof *from);
    return GY_OK;
}

bool gy_finding_covers(const gy_finding *g, size_t row, int col)
{
    if (g->row != row)
        return false;
    if (g->col == col)
        return true;
    for (size_t i = 0; i < g->nalso; i++)
        if (g->also[i] == col)
            return true;
    return false;
}

/* ---- the lead order: severity, table in the report's order, position --- */

typedef struct leadkey {
    const gy_finding *f; /* f->v[i]: the comparison needs no file-scope state */
    size_t i;            /* index into f->v */
    size_t rank;         /* the table's place in the report */
    size_t grp;          /* infos: the first member's place among the table's infos */
} leadkey;

static int cmp_lead(const void *a, const void *b)
{
    const leadkey *x = a, *y = b;
    const gy_finding *p = x->f, *q = y->f;
    if (p->sev != q->sev)
        return p->sev > q->sev ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (p->table != q->table) /* two tables of one rank (never in a report): by path */
        return strcmp(p->table->path, q->table->path);
    if (x->grp != y->grp)
        return x->grp < y->grp ? -1 : 1;
    if (p->line != q->line)
        return p->line < q->line ? -1 : 1;
    if (p->colno != q->colno)
        return p->colno < q->colno ? -1 : 1;
    int r = strcmp(p->rule, q->rule);
    if (r)
        return r;
    r = strcmp(p->msg, q->msg);
    return r ? r : (x->i < y->i ? -1 : x->i > y->i);
}

/* whether two findings are one group: infos of one table and cause */
static bool same_group(const gy_finding *p, const gy_finding *q)
{
    return p->sev == GY_SEV_INFO && q->sev == GY_SEV_INFO && p->table == q->table && p->cause && q->cause &&
           !strcmp(p->cause, q->cause) && !strcmp(p->rule, q->rule) &&
           (p->group && q->group ? !strcmp(p->group, q->group) : p->group == q->group);
}

gy_status gy_findings_lead(const gy_findings *f, const gy_dataset *ds, const char *const *ids, size_t nids,
                           gy_flead *out)
{
    memset(out, 0, sizeof *out);
    size_t n = f->n;
    leadkey *k = malloc((n ? n : 1) * sizeof *k);
    size_t *reps = malloc((n ? n : 1) * sizeof *reps);
    out->idx = malloc((n ? n : 1) * sizeof *out->idx);
    out->gstart = malloc((n + 1) * sizeof *out->gstart);
    if (!k || !reps || !out->idx || !out->gstart) {
        free(k);
        free(reps);
        gy_flead_free(out);
        return GY_ENOMEM;
    }
    int year = 0;
    for (size_t t = 0; t < ds->n; t++)
        if (ds->v[t]->fy.western > year)
            year = ds->v[t]->fy.western;
    for (size_t i = 0; i < n; i++) {
        const gy_table *t = f->v[i].table;
        size_t r = nids, di = 0;
        for (size_t j = 0; j < nids && r == nids; j++)
            if (ids[j] && !strcmp(ids[j], t->def->id))
                r = j;
        for (size_t j = 0; j < ds->n; j++)
            if (ds->v[j] == t)
                di = j;
        if (r == nids)
            r = nids + di;
        if (t->fy.western != year)
            r += nids + ds->n; /* an earlier year's table: after the report year's */
        k[i] = (leadkey){&f->v[i], i, r, 0};
    }
    /* first by position, to number each table's groups by their first member */
    if (n)
        qsort(k, n, sizeof *k, cmp_lead);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && f->v[k[b].i].sev == f->v[k[a].i].sev && f->v[k[b].i].table == f->v[k[a].i].table)
            b++;
        /* each info joins the group of the first with its cause (a table
         * has few causes: the first of each is kept, not every member) */
        size_t nrep = 0;
        for (size_t x = a; x < b && f->v[k[a].i].sev == GY_SEV_INFO; x++) {
            k[x].grp = x - a;
            size_t y = 0;
            while (y < nrep && !same_group(&f->v[k[reps[y]].i], &f->v[k[x].i]))
                y++;
            if (y < nrep)
                k[x].grp = k[reps[y]].grp;
            else
                reps[nrep++] = x;
        }
        a = b;
    }
    if (n)
        qsort(k, n, sizeof *k, cmp_lead);
    for (size_t i = 0; i < n; i++) {
        out->idx[i] = k[i].i;
        if (!i || !same_group(&f->v[k[i - 1].i], &f->v[k[i].i])) {
            out->gstart[out->ngroups++] = i;
            out->ngroups_sev[f->v[k[i].i].sev]++;
        }
    }
    out->gstart[out->ngroups] = n;
    free(k);
    free(reps);
    return GY_OK;
}

void gy_flead_free(gy_flead *l)
{
    if (!l)
        return;
    free(l->idx);
    free(l->gstart);
    memset(l, 0, sizeof *l);
}

void gy_finding_cause_text(const gy_finding *g, gy_buf *b)
{
    const char *s = g->cause ? g->cause : g->rule;
    gy_buf_puts(b, ""); /* "" when the template is empty, never NULL */
    while (*s) {
        if (*s != '%') {
            const char *e = strchr(s, '%');
            size_t k = e ? (size_t)(e - s) : strlen(s);
            gy_buf_add(b, s, k);
            s += k;
            continue;
        }
        s++;
        if (*s == '%') {
            gy_buf_puts(b, "%");
            s++;
            continue;
        }
        /* flags, width, precision, length, conversion */
        while (*s && strchr("-+ #0123456789.*hlLqjzt", *s))
            s++;
        if (*s)
            s++;
        gy_buf_puts(b, "…");
    }
}

/* the distinct texts of the members (at most `max` named, then "ほか n") */
static void distinct_list(const gy_findings *f, const gy_flead *l, size_t g, int which, size_t max, const char *unit,
                          gy_buf *b)
{
    size_t a = l->gstart[g], e = l->gstart[g + 1], nd = 0;
    for (size_t x = a; x < e; x++) {
        const gy_finding *p = &f->v[l->idx[x]];
        const char *s = which == 0 ? p->what : which == 1 ? p->rowlabel : p->collabel;
        if (!s || !*s)
            continue;
        bool seen = false;
        for (size_t y = a; y < x && !seen; y++) {
            const gy_finding *q = &f->v[l->idx[y]];
            const char *t = which == 0 ? q->what : which == 1 ? q->rowlabel : q->collabel;
            seen = t && !strcmp(s, t);
        }
        if (seen)
            continue;
        if (nd < max)
            gy_buf_printf(b, "%s%s", nd ? "、" : "", s);
        nd++;
    }
    if (nd > max)
        gy_buf_printf(b, " ほか %zu %s", nd - max, unit);
}

void gy_flead_line(const gy_findings *f, const gy_flead *l, size_t g, gy_buf *b)
{
    size_t a = l->gstart[g], n = l->gstart[g + 1] - a;
    const gy_finding *p = &f->v[l->idx[a]];
    if (n == 1) {
        gy_buf_printf(b, "%s / %s: %s", p->rowlabel, p->collabel, p->msg);
        return;
    }
    gy_buf_printf(b, "%zu 件: ", n);
    if (p->group) {
        for (const char *s = p->group; *s;) {
            if (!strncmp(s, "{n}", 3)) {
                gy_buf_printf(b, "%zu", n);
                s += 3;
            } else if (!strncmp(s, "{what}", 6)) {
                distinct_list(f, l, g, 0, 6, "件", b);
                s += 6;
            } else {
                const char *e = strchr(s + 1, '{');
                size_t k = e ? (size_t)(e - s) : strlen(s);
                gy_buf_add(b, s, k);
                s += k;
            }
        }
    } else {
        gy_buf_printf(b, "%s ほか", p->msg);
    }
    /* where: the rows and the columns, and the first and last position */
    const gy_finding *z = &f->v[l->idx[a + n - 1]];
    gy_buf_puts(b, " (行: ");
    distinct_list(f, l, g, 1, 3, "行", b);
    gy_buf_puts(b, " / 列: ");
    distinct_list(f, l, g, 2, 3, "列", b);
    gy_buf_printf(b, "; %u:%u … %u:%u)", p->line, p->colno, z->line, z->colno);
}
