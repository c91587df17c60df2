/* changes.c - snapshots of a run and what changed between two of them */
#include "gaiyo/changes.h"
#include "gaiyo/value.h"
#include "gaiyo/testhooks.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* a text field: tabs and line breaks become spaces */
static void field(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\t");
    for (const char *p = s ? s : "";;) {
        size_t n = strcspn(p, "\t\n\r");
        gy_buf_add(b, p, n);
        if (!p[n])
            break;
        gy_buf_puts(b, " ");
        p += n + 1;
    }
}

/* a byte that may stand inside a path or a word before one */
static bool pathbyte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '/' || c == '~';
}

/* a finding's message as a field, each path it quotes through one of the
 * folders in roots (input/, templates/, as named on the command line)
 * written relative to it: "(input/R6/jigyohi.csv:11:4)" → "(R6/jigyohi.csv:11:4)".
 * The same files under another folder name are then the same finding. */
static void field_rel(gy_buf *b, const char *msg, const char *const *roots, size_t nroots)
{
    gy_buf m = {0};
    const char *p = msg ? msg : "";
    for (size_t i = 0; p[i];) {
        size_t skip = 0;
        for (size_t k = 0; k < nroots && !skip && (i == 0 || !pathbyte((unsigned char)p[i - 1])); k++) {
            size_t rl = roots[k] ? strlen(roots[k]) : 0;
            if (rl && !strncmp(p + i, roots[k], rl) && p[i + rl] == '/')
                skip = rl + 1;
        }
        if (skip) {
            i += skip;
            continue;
        }
        gy_buf_add(&m, p + i, 1);
        i++;
    }
    field(b, m.p ? m.p : "");
    gy_buf_free(&m);
}

/* the identity of a row: its key columns as printed, or its line */
static void row_key(const gy_table *t, const gy_row *r, gy_buf *b)
{
    gy_buf k = {0};
    for (size_t j = 0; j < t->def->ncols; j++) {
        if (!(t->def->cols[j].flags & GY_COL_KEY) || (int)j == t->def->fy_col)
            continue;
        char v[128];
        gy_cell c;
        gy_table_cell(t, gy_rowi(t, r), j, &c);
        gy_cell_format(t, j, &c, v, sizeof v);
        if (k.n)
            gy_buf_puts(&k, " / ");
        gy_buf_puts(&k, c.nil == GY_NIL_NONE ? v : c.text);
    }
    if (t->def->fy_col >= 0) {
        char v[64];
        gy_cell c;
        gy_table_cell(t, gy_rowi(t, r), (size_t)t->def->fy_col, &c);
        gy_cell_format(t, (size_t)t->def->fy_col, &c, v, sizeof v);
        if (k.n)
            gy_buf_puts(&k, " / ");
        gy_buf_puts(&k, v);
    }
    if (!k.n || !k.p[0]) {
        gy_buf_free(&k);
        gy_buf_printf(&k, "%s (%u 行目)", gy_row_label(t, r), r->line);
    }
    field(b, k.p);
    gy_buf_free(&k);
}

/* the fields that name a row: table, fiscal year, row key */
static void row_head(gy_buf *b, const gy_table *t, const gy_row *r)
{
    char fy[32];
    gy_fy_format(&t->fy, fy, sizeof fy);
    field(b, t->def->id);
    field(b, fy);
    row_key(t, r, b);
}

/* a record's head: kind, the row's fields (built once per row: the last
 * row's are kept in *last), column */
typedef struct headcache {
    const gy_table *t;
    size_t row;
    gy_buf b;
} headcache;

static void head(gy_buf *b, char kind, const gy_table *t, size_t row, int col, headcache *hc)
{
    if (hc->t != t || hc->row != row || !hc->b.p) {
        hc->b.n = 0;
        if (hc->b.p)
            hc->b.p[0] = '\0';
        row_head(&hc->b, t, &t->rows[row]);
        hc->t = t;
        hc->row = row;
    }
    gy_buf_add(b, &kind, 1);
    gy_buf_add(b, hc->b.p ? hc->b.p : "", hc->b.n);
    field(b, t->def->cols[col].label);
}

size_t gy_snapshot_max_rows(void)
{
    size_t e = gy_test_hook("GAIYO_TEST_SNAPSHOT_ROWS");
    return e ? e : GY_SNAPSHOT_MAX_ROWS;
}

gy_status gy_snapshot_make(const gy_dataset *ds, const gy_findings *f, const gy_derivs *dv,
                           const char *const *roots, size_t nroots, gy_buf *out)
{
    headcache hc = {0};
    gy_buf_puts(out, "# gaiyo snapshot 1\n");
    size_t max = gy_snapshot_max_rows();
    for (size_t i = 0; i < ds->n; i++) {
        const gy_table *t = ds->v[i];
        if (t->nrows > max) {
            gy_buf_printf(out, "# %s: %zu 行 (上限 %zu 行を超えるため記録しません)\n", t->path, t->nrows, max);
            continue;
        }
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t j = 0; j < t->def->ncols; j++) {
                const gy_coldef *cd = &t->def->cols[j];
                if (cd->type == GY_T_TEXT || cd->type == GY_T_ROLE || cd->type == GY_T_MARKER ||
                    cd->type == GY_T_LEVEL || cd->type == GY_T_FY)
                    continue;
                gy_cell cl;
                gy_table_cell(t, r, j, &cl);
                const gy_cell *c = &cl;
                if (c->nil == GY_NIL_BLANK && !c->text[0])
                    continue;
                char v[128];
                gy_cell_format(t, j, c, v, sizeof v);
                head(out, 'V', t, r, (int)j, &hc);
                field(out, c->nil == GY_NIL_NONE ? v : c->text);
                gy_buf_puts(out, "\n");
            }
        }
    }
    /* the first derivation of a cell is its value (sums before rules): a
     * set of the cells seen, open addressing on (table, row, col) */
    size_t cap = 64;
    while (dv && cap < dv->n * 2)
        cap *= 2;
    const gy_deriv **seen = calloc(cap, sizeof *seen);
    if (!seen) {
        gy_buf_free(&hc.b);
        return GY_ENOMEM;
    }
    for (size_t i = 0; dv && i < dv->n; i++) {
        const gy_deriv *d = &dv->v[i];
        if (d->table->nrows > max)
            continue;
        size_t h = ((uintptr_t)d->table * 31u + d->row * 131u + (size_t)d->col) * 0x9E3779B97F4A7C15ull & (cap - 1);
        bool dup = false;
        while (seen[h] && !dup) {
            dup = seen[h]->table == d->table && seen[h]->row == d->row && seen[h]->col == d->col;
            h = (h + 1) & (cap - 1);
        }
        if (dup)
            continue;
        seen[h] = d;
        const gy_coldef *cd = &d->table->def->cols[d->col];
        char v[64];
        if (cd->type == GY_T_RATIO || gy_col_decimals(cd) > 0)
            gy_col_format(cd, d->value, "△", v, sizeof v);
        else
            gy_format_int(d->value, "△", v, sizeof v);
        head(out, 'D', d->table, d->row, d->col, &hc);
        field(out, v);
        gy_buf_puts(out, "\n");
    }
    free(seen);
    gy_buf_free(&hc.b);
    for (size_t i = 0; f && i < f->n; i++) {
        const gy_finding *g = &f->v[i];
        gy_buf_puts(out, "F");
        field(out, gy_sev_name(g->sev));
        field(out, g->rule);
        field(out, g->table->def->id);
        field(out, g->rowlabel);
        field(out, g->collabel);
        field_rel(out, g->msg, roots, nroots);
        gy_buf_puts(out, "\n");
    }
    return out->p || !out->n ? GY_OK : GY_ENOMEM;
}

/* ---- comparing ------------------------------------------------------------- */

/* A record is read where it lies in the snapshot's text (nothing is
 * copied: a snapshot of 10,000 事業 is 25 MB, and fresh memory is what
 * costs most here); its fields are split only when it is printed. */
typedef struct rec {
    const char *line;
    uint32_t len;   /* the line's length */
    uint32_t klen;  /* the key: the line's first bytes (V/D: kind..column,
                     * F: all of it) */
} rec;

typedef struct recs {
    rec *v;         /* in the snapshot's order (table by table, row by row) */
    size_t n;
} recs;

static bool same_key(const rec *x, const rec *y)
{
    return x->klen == y->klen && !memcmp(x->line, y->line, x->klen);
}

/* a V/D record's value: the field after its key */
static bool same_value(const rec *x, const rec *y)
{
    return x->len - x->klen == y->len - y->klen && !memcmp(x->line + x->klen, y->line + y->klen, x->len - x->klen);
}

/* the records of a snapshot: lines that start with V or D and have 6
 * tab-separated fields, or with F and have 7 (a damaged line is ignored;
 * so is a line over 4 GB) */
static bool parse(const char *text, recs *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return true;
    size_t cap = 1;
    for (const char *q = text; (q = strchr(q, '\n')); q++)
        cap++;
    if (!(out->v = gy_malloc_big(cap, sizeof *out->v)))
        return false;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *next = nl ? nl + 1 : line + len;
        if ((line[0] == 'V' || line[0] == 'D' || line[0] == 'F') && len < UINT32_MAX) {
            size_t tabs = 0, keyend = len;
            size_t want = line[0] == 'F' ? 6 : 5;
            for (const char *t = line; (t = memchr(t, '\t', len - (size_t)(t - line))); t++)
                if (++tabs == 5 && want == 5)
                    keyend = (size_t)(t - line);
            if (tabs == want)
                out->v[out->n++] = (rec){line, (uint32_t)len, (uint32_t)keyend};
        }
        line = next;
    }
    return true;
}

static void recs_free(recs *r)
{
    free(r->v);
}

/* a record's fields (in b, which it fills); false when out of memory */
static bool fields(const rec *r, gy_buf *b, const char *f[8])
{
    b->n = 0;
    for (int i = 0; i < 8; i++)
        f[i] = "";
    if (!gy_buf_add(b, r->line, r->len))
        return false;
    char *p = b->p;
    for (int i = 0; i < 8 && p; i++) {
        f[i] = p;
        char *tab = strchr(p, '\t');
        if (tab)
            *tab++ = '\0';
        p = tab;
    }
    return true;
}

static void csv_row(gy_buf *csv, const char *kind, const char *const f[8], const char *old, const char *new_,
                    const char *msg)
{
    gy_buf_csv_field(csv, kind);
    for (int i = 1; i <= 4; i++) {
        gy_buf_puts(csv, ",");
        gy_buf_csv_field(csv, f[0][0] == 'F' ? (i == 1 ? f[3] : i == 2 ? "" : f[i + 1]) : f[i]);
    }
    gy_buf_puts(csv, ",");
    gy_buf_csv_field(csv, old ? old : "");
    gy_buf_puts(csv, ",");
    gy_buf_csv_field(csv, new_ ? new_ : "");
    gy_buf_puts(csv, ",");
    gy_buf_csv_field(csv, msg ? msg : "");
    gy_buf_puts(csv, "\n");
}

gy_status gy_changes_make(const char *prev, const char *cur, gy_buf *txt, gy_buf *csv, size_t *nchanges)
{
    recs a, b;
    *nchanges = 0;
    if (!parse(prev, &a) || !parse(cur, &b)) {
        recs_free(&a);
        recs_free(&b);
        return GY_ENOMEM;
    }
    gy_buf_puts(csv, "kind,table,year,row,column,old,new,message\n");
    if (!prev) {
        gy_buf_puts(txt, "前回の報告の記録 (snapshot.tsv) がありません。今回の数値を記録しました。次の実行から変更を示します。\n");
        recs_free(&a);
        recs_free(&b);
        return GY_OK;
    }
    /* a hash join: the previous records by key; the current ones in their
     * own order (so changes are listed as the tables read: table by
     * table, row by row), then the previous ones no current record
     * matched (a row or finding that went away). A key that occurs twice
     * matches its occurrences in order. */
    size_t cap = 16;
    while (cap < a.n * 2)
        cap *= 2;
    uint32_t *slot = gy_calloc_big(cap, sizeof *slot); /* previous record index + 1 */
    unsigned char *used = calloc(a.n ? a.n : 1, 1); /* matched already */
    if (!slot || !used) {
        free(slot);
        free(used);
        recs_free(&a);
        recs_free(&b);
        return GY_ENOMEM;
    }
    for (size_t i = 0; i < a.n; i++) {
        size_t h = (size_t)gy_hash_bytes(0, a.v[i].line, a.v[i].klen) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)(i + 1);
    }
    gy_buf fig = {0}, der = {0}, plus = {0}, minus = {0}, fb = {0}, ob = {0};
    size_t nfig = 0, nder = 0, nplus = 0, nminus = 0;
    bool oom = false;
    for (size_t k = 0; k < b.n + a.n; k++) {
        const rec *r, *o = NULL; /* r: the record listed; o: its previous one */
        int c;                   /* -1: went away, 1: new, 0: in both */
        if (k < b.n) {
            r = &b.v[k];
            size_t h = (size_t)gy_hash_bytes(0, r->line, r->klen) & (cap - 1);
            for (; slot[h]; h = (h + 1) & (cap - 1)) {
                size_t q = slot[h] - 1;
                if (!used[q] && same_key(&a.v[q], r)) {
                    used[q] = 1;
                    o = &a.v[q];
                    break;
                }
            }
            c = o ? 0 : 1;
        } else {
            if (used[k - b.n])
                continue;
            r = o = &a.v[k - b.n];
            c = -1;
        }
        char kind = r->line[0];
        if (kind == 'F' ? c == 0 : c == 0 && same_value(o, r))
            continue;
        /* a change: its fields, and the previous value */
        const char *f[8], *of[8];
        if (!fields(r, &fb, f)) {
            oom = true;
            break;
        }
        memcpy(of, f, sizeof of);
        if (o && o != r && !fields(o, &ob, of)) {
            oom = true;
            break;
        }
        int vi = kind == 'F' ? 6 : 5;
        const char *old = o ? of[vi] : NULL;
        const char *nw = c >= 0 ? f[vi] : NULL;
        if (kind == 'F') {
            gy_buf *out = c < 0 ? &minus : &plus;
            gy_buf_printf(out, "  [%s] %s %s / %s: %s\n", f[1], f[3], f[4], f[5], f[6]);
            csv_row(csv, c < 0 ? "finding-" : "finding+", f, c < 0 ? f[1] : "", c > 0 ? f[1] : "", f[6]);
            (*(c < 0 ? &nminus : &nplus))++;
            continue;
        }
        gy_buf *out = kind == 'V' ? &fig : &der;
        gy_buf_printf(out, "  %s %s / %s / %s: %s → %s\n", f[1], f[2], f[3], f[4], old ? old : "(なし)",
                      nw ? nw : "(なし)");
        csv_row(csv, kind == 'V' ? "figure" : "derived", f, old, nw, "");
        (*(kind == 'V' ? &nfig : &nder))++;
    }
    free(slot);
    free(used);
    gy_buf_free(&fb);
    gy_buf_free(&ob);
    *nchanges = nfig + nplus + nminus;
    if (!nfig && !nder && !nplus && !nminus)
        gy_buf_puts(txt, "前回の報告から変わった数値・所見はありません。\n");
    if (nfig)
        gy_buf_printf(txt, "変わった数値 %zu 件 (表 年度 / 行 / 列: 前回 → 今回):\n%s", nfig, fig.p);
    if (nder)
        gy_buf_printf(txt, "連動して動いた再計算値 %zu 件 (合計・比率など):\n%s", nder, der.p);
    if (nplus)
        gy_buf_printf(txt, "新たに出た所見 %zu 件:\n%s", nplus, plus.p);
    if (nminus)
        gy_buf_printf(txt, "消えた所見 %zu 件:\n%s", nminus, minus.p);
    gy_buf_free(&fig);
    gy_buf_free(&der);
    gy_buf_free(&plus);
    gy_buf_free(&minus);
    recs_free(&a);
    recs_free(&b);
    return oom ? GY_ENOMEM : GY_OK;
}
