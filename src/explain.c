/* explain.c - where one figure comes from: verify's derivations of a cell */
#include "gaiyo/explain.h"
#include "gaiyo/relate.h"
#include "gaiyo/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* rows of a sum or a total() listed in text (all of them in JSON) */
#define TEXT_ROWS_MAX 100
/* candidates of an ambiguous row listed in the message */
#define CAND_MAX 20

/* ---- output: text (input text made visible) or JSON (escaped) ----------- */

typedef struct ex {
    const gy_dataset *ds;
    const gy_table *t;
    size_t row;
    int col;
    bool json;
    bool oom;          /* memory ran out on the way */
    gy_buf *b;
} ex;

/* text from input or a template, shown safely (control characters visible) */
static void tq(gy_buf *b, const char *s)
{
    gy_buf_quote(b, s ? s : "", GY_QUOTE_MAX);
}

/* "key": before a value of a JSON object (first: no comma) */
static void jk(gy_buf *b, bool first, const char *key)
{
    gy_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
}

/* a stored value (scaled by 10^dec) as an exact JSON number: 92.7, -8697215 */
static void jnum(gy_buf *b, int64_t v, int dec)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (dec <= 0) {
        gy_buf_printf(b, "%s%" PRIu64, v < 0 ? "-" : "", m);
        return;
    }
    uint64_t p = 1;
    for (int i = 0; i < dec; i++)
        p *= 10;
    gy_buf_printf(b, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", m / p, dec, m % p);
}

/* the row as findings name it: its label (plus the fiscal year of a table
 * with a year key), or its role where the label is blank */
static char *row_name(const gy_table *t, size_t row)
{
    const gy_row *r = &t->rows[row];
    const char *lab = gy_row_label(t, r);
    const gy_tabledef *d = t->def;
    if (d->fy_col >= 0 && d->fy_col != d->label_col && gy_ttext(t, row, d->fy_col)[0])
        return gy_asprintf("%s %s", lab, gy_ttext(t, row, d->fy_col));
    return gy_strdup(lab[0] ? lab : gy_role_name((gy_role)r->role));
}

/* a cell: its position, its text as written, its value (formatted) */
typedef struct xcell {
    gy_cell c;
    unsigned line, colno;
    char val[64];      /* canonical value; "" for a nil cell */
    bool has;          /* a value (not blank, '-' or '…') */
} xcell;

static void get_cell(const gy_table *t, size_t row, int col, xcell *x)
{
    gy_table_cell(t, row, (size_t)col, &x->c);
    x->line = x->c.line ? x->c.line : t->rows[row].line;
    x->colno = x->c.col;
    x->has = x->c.nil == GY_NIL_NONE && t->def->cols[col].type != GY_T_TEXT;
    x->val[0] = '\0';
    if (x->has)
        gy_col_format(&t->def->cols[col], x->c.v, "△", x->val, sizeof x->val);
}

static bool numeric(const gy_coldef *cd)
{
    return cd->type == GY_T_AMOUNT || cd->type == GY_T_COUNT || cd->type == GY_T_RATIO;
}

/* what a nil cell says */
static const char *nil_text(const gy_cell *c)
{
    switch (c->nil) {
    case GY_NIL_BLANK: return "空欄";
    case GY_NIL_NA: return "「-」(該当なし)";
    case GY_NIL_UNKNOWN: return "不明";
    default: return "";
    }
}

/* one input cell: a line of text (indented) or a JSON object */
static void put_cell(ex *x, const char *ref, const gy_table *t, size_t row, int col, const char *indent)
{
    gy_buf *b = x->b;
    xcell c;
    get_cell(t, row, col, &c);
    char *rn = row_name(t, row);
    const gy_coldef *cd = &t->def->cols[col];
    if (x->json) {
        gy_buf_puts(b, "{");
        jk(b, true, "ref");
        gy_buf_json_str(b, ref);
        jk(b, false, "file");
        gy_buf_json_str(b, t->path);
        gy_buf_printf(b, ",\"line\":%u,\"column\":%u", c.line, c.colno);
        jk(b, false, "row");
        gy_buf_json_str(b, rn);
        jk(b, false, "column_label");
        gy_buf_json_str(b, cd->label);
        jk(b, false, "text");
        gy_buf_json_str(b, c.c.text);
        jk(b, false, "value");
        if (c.has)
            jnum(b, c.c.v, gy_col_decimals(cd));
        else
            gy_buf_puts(b, "null");
        gy_buf_puts(b, "}");
    } else {
        gy_buf_puts(b, indent);
        if (ref) {
            tq(b, ref);
            gy_buf_puts(b, "  ");
        }
        tq(b, t->path);
        if (c.colno)
            gy_buf_printf(b, ":%u:%u  ", c.line, c.colno);
        else
            gy_buf_printf(b, ":%u (列がファイルにありません)  ", c.line);
        tq(b, rn);
        gy_buf_puts(b, " / ");
        tq(b, cd->label);
        gy_buf_puts(b, "  ");
        if (c.has)
            gy_buf_puts(b, c.val);
        else
            gy_buf_puts(b, nil_text(&c.c));
        gy_buf_puts(b, "\n");
    }
    free(rn);
}

/* rows of a sum or a total(): every one in JSON, the first TEXT_ROWS_MAX
 * in text (and how many more) */
static void put_rows(ex *x, const char *ref, const gy_table *t, const size_t *rows, size_t n, int col,
                     const char *indent)
{
    if (x->json) {
        gy_buf_puts(x->b, "[");
        for (size_t k = 0; k < n; k++) {
            if (k)
                gy_buf_puts(x->b, ",");
            put_cell(x, ref, t, rows[k], col, "");
        }
        gy_buf_puts(x->b, "]");
        return;
    }
    for (size_t k = 0; k < n && k < TEXT_ROWS_MAX; k++)
        put_cell(x, NULL, t, rows[k], col, indent);
    if (n > TEXT_ROWS_MAX)
        gy_buf_printf(x->b, "%s… ほか %zu 行 (--format json ですべて)\n", indent, n - TEXT_ROWS_MAX);
}

/* the sum of column col over rows (false on overflow or no value) */
static bool rows_sum(const gy_table *t, const size_t *rows, size_t n, int col, int64_t *s)
{
    *s = 0;
    for (size_t k = 0; k < n; k++)
        if (gy_tnil(t, rows[k], col) == GY_NIL_NONE && __builtin_add_overflow(*s, gy_tv(t, rows[k], col), s))
            return false;
    return true;
}

/* a leaf of a rule as written: 国庫支出金, 当初@合計, 当初@前年, total(当初) */
static char *leaf_name(const gy_tabledef *d, const gy_expr *e)
{
    const char *cn = d->cols[e->col].name;
    if (e->op == GY_X_TOTAL)
        return gy_asprintf("total(%s)", cn);
    if (e->rowref == GY_R_LABEL)
        return gy_asprintf("%s@%s", cn, e->row ? e->row : "");
    if (e->rowref == GY_R_PREV)
        return gy_asprintf("%s@前年", cn);
    return gy_strdup(cn);
}

/* the leaves of a derivation's rule, in the order verify read them (left
 * operand first: gy_expr_eval), each with the row it read (d->refs) */
typedef struct walk {
    ex *x;
    const gy_deriv *d;
    size_t k;
    size_t n;          /* leaves written (JSON commas) */
    bool bad;          /* refs ran out: verify's record and the rule disagree */
} walk;

/* " (F の旧を含む)": the files, as their definitions name them, of this
 * year's 組替 tables (gy_tabledef_is_remap: known by their columns, not
 * their id; the ones verify's gyv_find_remaps reads); nothing when the
 * year has none */
static void remap_files(ex *x, gy_buf *b)
{
    const gy_dataset *ds = x->ds;
    int western = x->t->fy.western;
    size_t nf = 0;
    for (size_t j = 0; j < ds->n; j++) {
        const gy_table *k = ds->v[j];
        if (!gy_tabledef_is_remap(k->def) || gy_dataset_find(ds, k->def->id, western) != k)
            continue;
        gy_buf_puts(b, nf++ ? "、" : " (");
        tq(b, k->def->file);
    }
    if (nf)
        gy_buf_puts(b, " の旧を含む)");
}

static void walk_leaf(walk *w, const gy_expr *e)
{
    ex *x = w->x;
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    char *name = leaf_name(t->def, e);
    if (x->json && w->n++)
        gy_buf_puts(b, ",");
    if (e->op == GY_X_TOTAL) {
        if (w->k + 2 > w->d->nrefs || !w->d->pool) {
            w->bad = true;
            free(name);
            return;
        }
        size_t n = w->d->refs[w->k], off = w->d->refs[w->k + 1];
        w->k += 2;
        const size_t *rows = w->d->pool + off;
        int64_t s;
        bool ok = rows_sum(t, rows, n, e->col, &s);
        const gy_coldef *cd = &t->def->cols[e->col];
        if (x->json) {
            gy_buf_puts(b, "{");
            jk(b, true, "ref");
            gy_buf_json_str(b, name);
            jk(b, false, "value");
            if (ok)
                jnum(b, s, gy_col_decimals(cd));
            else
                gy_buf_puts(b, "null");
            jk(b, false, "rows");
            put_rows(x, cd->name, t, rows, n, e->col, "");
            gy_buf_puts(b, "}");
        } else {
            char v[64] = "?";
            if (ok)
                gy_col_format(cd, s, "△", v, sizeof v);
            gy_buf_puts(b, "    ");
            tq(b, name);
            gy_buf_printf(b, "  %s: グループの %zu 行の合計\n", v, n);
            put_rows(x, NULL, t, rows, n, e->col, "      ");
        }
        free(name);
        return;
    }
    if (w->k >= w->d->nrefs) {
        w->bad = true;
        free(name);
        return;
    }
    size_t row = w->d->refs[w->k++];
    if (row != GY_DERIV_NOROW) {
        put_cell(x, name, t, row, e->col, "    ");
    } else {
        /* read from another table (last year's folder), or several rows
         * summed (a merge through 組替.csv): the rows as verify finds them */
        const gy_table *p = NULL;
        size_t *rows = NULL, n = 0;
        if (gy_verify_prev_rows(x->ds, t, x->row, &p, &rows, &n) != GY_OK)
            x->oom = true;
        int64_t s = 0;
        bool ok = p && n && rows_sum(p, rows, n, e->col, &s);
        const gy_coldef *cd = &t->def->cols[e->col];
        char v[64] = "?";
        if (ok)
            gy_col_format(cd, s, "△", v, sizeof v);
        if (x->json) {
            gy_buf_puts(b, "{");
            jk(b, true, "ref");
            gy_buf_json_str(b, name);
            jk(b, false, "file");
            if (p)
                gy_buf_json_str(b, p->path);
            else
                gy_buf_puts(b, "null");
            jk(b, false, "value");
            if (ok)
                jnum(b, s, gy_col_decimals(cd));
            else
                gy_buf_puts(b, "null");
            jk(b, false, "rows");
            if (p)
                put_rows(x, cd->name, p, rows, n, e->col, "");
            else
                gy_buf_puts(b, "[]");
            gy_buf_puts(b, "}");
        } else {
            gy_buf_puts(b, "    ");
            tq(b, name);
            gy_buf_printf(b, "  %s: 前年度の表", v);
            if (p) {
                gy_buf_puts(b, " (");
                tq(b, p->path);
                gy_buf_puts(b, ")");
            }
            gy_buf_puts(b, " の、キーが同じ行");
            remap_files(x, b);
            gy_buf_printf(b, " %zu 行%s\n", n, n > 1 ? "の合計" : "");
            if (p)
                put_rows(x, NULL, p, rows, n, e->col, "      ");
        }
        free(rows);
    }
    free(name);
}

static void walk_expr(walk *w, const gy_expr *e)
{
    if (!e || w->bad)
        return;
    switch (e->op) {
    case GY_X_REF:
    case GY_X_TOTAL: walk_leaf(w, e); return;
    case GY_X_NUM: return;
    default:
        walk_expr(w, e->a);
        walk_expr(w, e->b);
    }
}

/* the leaves of a rule that read this row (for a rule verify could not
 * recompute): their cells; the others by name */
static void walk_same(ex *x, const gy_expr *e, size_t *n)
{
    if (!e)
        return;
    if (e->op != GY_X_REF && e->op != GY_X_TOTAL) {
        walk_same(x, e->a, n);
        walk_same(x, e->b, n);
        return;
    }
    char *name = leaf_name(x->t->def, e);
    if (x->json && (*n)++)
        gy_buf_puts(x->b, ",");
    if (e->op == GY_X_REF && e->rowref == GY_R_SAME) {
        put_cell(x, name, x->t, x->row, e->col, "    ");
    } else if (x->json) {
        gy_buf_puts(x->b, "{");
        jk(x->b, true, "ref");
        gy_buf_json_str(x->b, name);
        gy_buf_puts(x->b, ",\"file\":null,\"line\":null,\"column\":null}");
    } else {
        gy_buf_puts(x->b, "    ");
        tq(x->b, name);
        gy_buf_puts(x->b, e->op == GY_X_TOTAL ? "  (グループの合計)\n"
                          : e->rowref == GY_R_PREV ? "  (前年度の表の値)\n"
                                                   : "  (同じグループの、その名の行)\n");
    }
    free(name);
}

/* the kind of a rule as verify names its findings */
static const char *rule_kind(const gy_rule *ru)
{
    const gy_expr *e = ru->expr;
    if (e->op == GY_X_PCT)
        return "ratio";
    if (gy_expr_has(e, GY_X_MUL) || gy_expr_has(e, GY_X_DIV) || gy_expr_has(e, GY_X_ROUND) ||
        gy_expr_has(e, GY_X_TRUNC))
        return "formula";
    return gy_expr_has(e, GY_X_SUB) ? "difference" : "rowsum";
}

/* what a sum of (row, col) adds, in words */
static char *sum_words(const gy_table *t, size_t row, const char **kind)
{
    const gy_tabledef *d = t->def;
    const gy_row *r = &t->rows[row];
    gy_buf g = {0};
    for (size_t j = 0; j < d->ncols; j++)
        if (d->cols[j].flags & GY_COL_GROUP) {
            gy_buf_printf(&g, "%s%s=%s", g.n ? ", " : "", d->cols[j].name, gy_ttext(t, row, (int)j));
        }
    char *grp = g.n ? gy_asprintf("同じグループ (%s) の", g.p) : gy_strdup("");
    gy_buf_free(&g);
    char *s;
    *kind = "sum";
    if (r->role == GY_ROLE_TOTAL && d->across_col >= 0)
        s = gy_asprintf("計の行 (total across %s): 他の%sで同じ行の合計", d->cols[d->across_col].name,
                        d->cols[d->across_col].name);
    else if (r->role == GY_ROLE_TOTAL)
        s = gy_asprintf("計の行: %s同じ階層の行の合計", grp ? grp : "");
    else if (r->role == GY_ROLE_SUBTOTAL || r->role == GY_ROLE_SUBTOTAL_MEMO)
        s = gy_asprintf("%sの行: %s前の小計・計より後の、同じ階層の行の合計", gy_role_name((gy_role)r->role),
                        grp ? grp : "");
    else {
        *kind = "parent-sum";
        s = gy_strdup("親の行: その内訳 (一つ下の階層の行) の合計");
    }
    free(grp);
    return s;
}

/* the head of a derivation or rule: kind, the rule as written, where */
static void put_rule_head(ex *x, bool first, const char *kind, const char *text, const char *words, unsigned line,
                          unsigned col)
{
    gy_buf *b = x->b;
    const gy_tabledef *d = x->t->def;
    if (x->json) {
        jk(b, first, "kind");
        gy_buf_json_str(b, kind);
        jk(b, false, "rule");
        gy_buf_json_str(b, text);
        jk(b, false, "description");
        gy_buf_json_str(b, words ? words : "");
        gy_buf_puts(b, ",\"definition\":{");
        jk(b, true, "file");
        gy_buf_json_str(b, d->path);
        if (col)
            gy_buf_printf(b, ",\"line\":%u,\"column\":%u}", line, col);
        else
            gy_buf_printf(b, ",\"line\":%u,\"column\":null}", line);
        return;
    }
    gy_buf_printf(b, "[%s] ", kind);
    tq(b, text);
    if (words) {
        gy_buf_puts(b, " — ");
        tq(b, words);
    }
    gy_buf_puts(b, "\n  規則: ");
    tq(b, d->path);
    if (col)
        gy_buf_printf(b, ":%u:%u\n", line, col);
    else
        gy_buf_printf(b, ":%u\n", line);
}

/* the recomputed value against the stated one */
static void put_result(ex *x, const gy_deriv *dv, const xcell *st)
{
    gy_buf *b = x->b;
    const gy_coldef *cd = &x->t->def->cols[x->col];
    char v[64];
    gy_col_format(cd, dv->value, "△", v, sizeof v);
    bool agree = st->c.nil == GY_NIL_NONE && st->c.v == dv->value;
    int64_t diff = 0;
    bool hasdiff = st->c.nil == GY_NIL_NONE && !__builtin_sub_overflow(st->c.v, dv->value, &diff);
    if (x->json) {
        jk(b, false, "recomputed");
        gy_buf_json_str(b, v);
        jk(b, false, "recomputed_value");
        jnum(b, dv->value, gy_col_decimals(cd));
        jk(b, false, "agrees");
        gy_buf_puts(b, agree ? "true" : "false");
        return;
    }
    gy_buf_printf(b, "  再計算: %s", v);
    if (agree) {
        gy_buf_puts(b, " (記載と一致)\n");
    } else if (hasdiff) {
        char dd[64];
        gy_col_format(cd, diff < 0 ? -diff : diff, "△", dd, sizeof dd);
        gy_buf_printf(b, " (記載と %s 違います)\n", dd);
    } else {
        gy_buf_puts(b, " (記載と違います)\n");
    }
}

/* whether some derivation of the cell was made by rule ru */
static bool derived_by(const gy_deriv *const *dv, size_t n, const gy_rule *ru)
{
    for (size_t k = 0; k < n; k++)
        if (dv[k]->rule == ru)
            return true;
    return false;
}

/* ---- finding the cell --------------------------------------------------- */

static void errf(gy_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(gy_buf *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = gy_vasprintf(fmt, ap);
    va_end(ap);
    gy_buf_puts(err, s ? s : "メモリが足りません");
    free(s);
}

/* a candidate row for a message: path:line and its key columns */
static void put_candidate(gy_buf *err, const gy_table *t, size_t row)
{
    const gy_tabledef *d = t->def;
    gy_buf_puts(err, "\n  ");
    tq(err, t->path);
    gy_buf_printf(err, ":%u:", t->rows[row].line);
    bool first = true;
    for (size_t j = 0; j < d->ncols; j++)
        if (d->cols[j].flags & GY_COL_KEY) {
            gy_buf_printf(err, "%s%s=", first ? " " : ", ", d->cols[j].name);
            first = false;
            tq(err, gy_ttext(t, row, (int)j));
        }
}

static int find_col(const gy_tabledef *d, const char *name)
{
    int c = gy_tabledef_col(d, name);
    if (c >= 0)
        return c;
    for (size_t j = 0; j < d->ncols; j++)
        if (!strcmp(d->cols[j].label, name))
            return (int)j;
    return -1;
}

/* append row i to a growing list of rows; false when out of memory */
static bool push_row(size_t **rows, size_t *n, size_t *cap, size_t i)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        size_t *nv = realloc(*rows, nc * sizeof *nv);
        if (!nv)
            return false;
        *rows = nv;
        *cap = nc;
    }
    (*rows)[(*n)++] = i;
    return true;
}

/* the rows labelled q (a blank label answers to its role's name), else
 * those a selector q matches; filtered by fiscal year in a table with a
 * year key. GY_EUSAGE with a message when q is not a selector it can
 * read. */
static gy_status find_rows(const gy_table *t, const char *q, const gy_fy *fy, size_t **rows, size_t *n,
                           gy_buf *err)
{
    const gy_tabledef *d = t->def;
    *rows = NULL;
    *n = 0;
    char *want = gy_strdup(q);
    if (!want)
        return GY_ENOMEM;
    gy_trim(want);
    size_t cap = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *lab = gy_row_label(t, &t->rows[i]);
        if (strcmp(lab, want) && (lab[0] || strcmp(gy_role_name((gy_role)t->rows[i].role), want)))
            continue;
        if (!push_row(rows, n, &cap, i)) {
            free(want);
            return GY_ENOMEM;
        }
    }
    /* a year label (torihiki's 年度) answers to any spelling of its year */
    gy_fy ly;
    const char *ye;
    if (!*n && d->label_col >= 0 && d->cols[d->label_col].type == GY_T_FY && gy_parse_fy(want, &ly, &ye)) {
        for (size_t i = 0; i < t->nrows; i++) {
            if (gy_tnil(t, i, d->label_col) != GY_NIL_NONE || gy_tv(t, i, d->label_col) != ly.western)
                continue;
            if (!push_row(rows, n, &cap, i)) {
                free(want);
                return GY_ENOMEM;
            }
        }
    }
    free(want);
    if (!*n && strchr(q, '=')) {
        gy_relref r = {0};
        const char *end = NULL, *e = NULL, *at = NULL;
        if (!gy_relsel_parse(q, '\0', &end, &r, &e, &at)) {
            gy_buf_puts(err, "行の選択 '");
            tq(err, q);
            errf(err, "' を読めません: %s (列=値, 列=値 … と書きます)", e ? e : "");
            gy_relref_free(&r);
            return GY_EUSAGE;
        }
        char buf[512];
        const char *m = gy_relsel_rows(t, &r, rows, n, buf, sizeof buf);
        gy_relref_free(&r);
        if (m) {
            gy_buf_puts(err, "行の選択: ");
            tq(err, m);
            return GY_EUSAGE;
        }
    }
    if (fy && d->fy_col >= 0) {
        size_t k = 0;
        for (size_t i = 0; i < *n; i++) {
            size_t r = (*rows)[i];
            if (gy_tnil(t, r, d->fy_col) == GY_NIL_NONE && gy_tv(t, r, d->fy_col) == fy->western)
                (*rows)[k++] = r;
        }
        *n = k;
    }
    return GY_OK;
}

/* ---- the explanation ---------------------------------------------------- */

static void put_finding(ex *x, const gy_finding *g, bool first)
{
    gy_buf *b = x->b;
    if (x->json) {
        gy_buf_printf(b, "%s{\"severity\":\"%s\",\"rule\":\"%s\"", first ? "" : ",", gy_sev_name(g->sev), g->rule);
        jk(b, false, "file");
        gy_buf_json_str(b, g->table->path);
        gy_buf_printf(b, ",\"line\":%u,\"column\":%u", g->line, g->colno);
        jk(b, false, "stated");
        gy_buf_json_str(b, g->stated);
        jk(b, false, "computed");
        gy_buf_json_str(b, g->computed);
        jk(b, false, "message");
        gy_buf_json_str(b, g->msg);
        gy_buf_puts(b, "}");
        return;
    }
    gy_buf_puts(b, "  ");
    tq(b, g->table->path);
    gy_buf_printf(b, ":%u:%u: %s: [%s] ", g->line, g->colno, gy_sev_name(g->sev), g->rule);
    gy_buf_quote(b, g->msg, GY_DIAG_MAX);
    gy_buf_puts(b, "\n");
}

/* the cell in JSON: table, row, column, the stated value; opens the
 * derivations' array */
static void put_cell_json(ex *x, const xcell *st, const char *rn, const char *fyb, bool derived)
{
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    const gy_tabledef *d = t->def;
    const gy_coldef *cd = &d->cols[x->col];
    gy_buf_puts(b, "{");
    jk(b, true, "table");
    gy_buf_json_str(b, d->id);
    jk(b, false, "title");
    gy_buf_json_str(b, d->title);
    jk(b, false, "fiscal_year");
    gy_buf_json_str(b, fyb);
    jk(b, false, "file");
    gy_buf_json_str(b, t->path);
    gy_buf_puts(b, ",\"row\":{");
    jk(b, true, "label");
    gy_buf_json_str(b, rn);
    jk(b, false, "role");
    gy_buf_json_str(b, gy_role_name((gy_role)t->rows[x->row].role));
    gy_buf_printf(b, ",\"line\":%u}", t->rows[x->row].line);
    gy_buf_puts(b, ",\"column\":{");
    jk(b, true, "name");
    gy_buf_json_str(b, cd->name);
    jk(b, false, "label");
    gy_buf_json_str(b, cd->label);
    jk(b, false, "type");
    gy_buf_json_str(b, gy_type_name(cd->type));
    gy_buf_puts(b, "},\"stated\":{");
    jk(b, true, "file");
    gy_buf_json_str(b, t->path);
    gy_buf_printf(b, ",\"line\":%u,\"column\":%u", st->line, st->colno);
    jk(b, false, "text");
    gy_buf_json_str(b, st->c.text);
    jk(b, false, "value");
    if (st->has)
        jnum(b, st->c.v, gy_col_decimals(cd));
    else
        gy_buf_puts(b, "null");
    gy_buf_puts(b, "}");
    jk(b, false, "derived");
    gy_buf_puts(b, derived ? "true" : "false");
    gy_buf_puts(b, ",\"derivations\":[");
}

/* the cell in text: 表, セル and 記載 lines */
static void put_cell_text(ex *x, const xcell *st, const char *rn, const char *fyb)
{
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    const gy_tabledef *d = t->def;
    const gy_coldef *cd = &d->cols[x->col];
    gy_buf_puts(b, "表: ");
    tq(b, d->id);
    gy_buf_puts(b, " ");
    tq(b, d->title);
    gy_buf_printf(b, " (%s, ", fyb);
    tq(b, t->path);
    gy_buf_puts(b, ")\nセル: ");
    tq(b, rn);
    gy_buf_puts(b, " / ");
    tq(b, cd->label);
    gy_buf_puts(b, " (列 ");
    tq(b, cd->name);
    gy_buf_puts(b, ")\n記載: ");
    if (st->has)
        gy_buf_puts(b, st->val);
    else if (cd->type == GY_T_TEXT || !numeric(cd))
        tq(b, st->c.text);
    else
        gy_buf_puts(b, nil_text(&st->c));
    if (st->has && strcmp(st->c.text, st->val)) {
        gy_buf_puts(b, " (ファイルでは ");
        tq(b, st->c.text);
        gy_buf_puts(b, ")");
    }
    gy_buf_puts(b, "  ");
    tq(b, t->path);
    if (st->colno)
        gy_buf_printf(b, ":%u:%u\n", st->line, st->colno);
    else
        gy_buf_printf(b, ":%u (列がファイルにありません)\n", st->line);
}

/* verify's derivations of the cell: sums first, then rules */
static void put_derivations(ex *x, const gy_deriv *const *dv, size_t ndv, const xcell *st)
{
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    const gy_coldef *cd = &t->def->cols[x->col];
    for (size_t k = 0; k < ndv; k++) {
        const gy_deriv *dd = dv[k];
        if (x->json)
            gy_buf_puts(b, k ? ",{" : "{");
        else
            gy_buf_printf(b, "\n導出 %zu ", k + 1);
        if (!dd->rule) {
            const char *kind;
            char *words = sum_words(t, x->row, &kind);
            char *text = gy_asprintf("sum %s", cd->name);
            put_rule_head(x, true, kind, text, words, cd->sumline, cd->sumcol);
            if (x->json) {
                jk(b, false, "inputs");
                put_rows(x, cd->name, t, dd->refs, dd->nrefs, x->col, "");
            } else {
                gy_buf_printf(b, "  入力 %" PRIu32 " 行:\n", dd->nrefs);
                put_rows(x, NULL, t, dd->refs, dd->nrefs, x->col, "    ");
            }
            free(words);
            free(text);
        } else {
            put_rule_head(x, true, rule_kind(dd->rule), dd->rule->text, NULL, dd->rule->line, 0);
            if (x->json)
                gy_buf_puts(b, ",\"inputs\":[");
            else
                gy_buf_puts(b, "  入力:\n");
            walk w = {x, dd, 0, 0, false};
            walk_expr(&w, dd->rule->expr);
            if (x->json)
                gy_buf_puts(b, "]");
            else if (w.bad)
                gy_buf_puts(b, "    (検証の記録と規則の項が合いません)\n");
        }
        put_result(x, dd, st);
        if (x->json)
            gy_buf_puts(b, "}");
    }
}

/* the column's sum on a total row that verify did not recompute; 1 if
 * there is one, else 0 */
static size_t put_sum_not_recomputed(ex *x, const gy_deriv *const *dv, size_t ndv, const xcell *st)
{
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    const gy_coldef *cd = &t->def->cols[x->col];
    bool sum_cell = (cd->flags & GY_COL_SUM) && GY_ROLE_IS_AGGREGATE(t->rows[x->row].role);
    bool has_sum = false;
    for (size_t k = 0; k < ndv; k++)
        has_sum |= !dv[k]->rule;
    if (!sum_cell || has_sum)
        return 0;
    const char *kind;
    char *words = sum_words(t, x->row, &kind);
    char *text = gy_asprintf("sum %s", cd->name);
    const char *sumwhy = st->c.nil == GY_NIL_NONE
                             ? "足す行に不明な値があるか桁があふれるため再計算できません (所見を参照)"
                         : st->c.nil == GY_NIL_NA ? "記載が「-」(該当なし) のため検算しません"
                                                  : "記載がないため検算しません";
    if (x->json)
        gy_buf_puts(b, "{");
    else
        gy_buf_puts(b, "\n再計算されなかった規則 ");
    put_rule_head(x, true, kind, text, words, cd->sumline, cd->sumcol);
    if (x->json) {
        jk(b, false, "reason");
        gy_buf_json_str(b, sumwhy);
        gy_buf_puts(b, ",\"inputs\":[]}");
    } else
        gy_buf_printf(b, "  %s\n", sumwhy);
    free(words);
    free(text);
    return 1;
}

/* rules on the cell that verify did not recompute (a base absent, a year
 * not in input/, the department's '-'); how many were listed */
static size_t put_not_recomputed(ex *x, const gy_deriv *const *dv, size_t ndv, const xcell *st)
{
    gy_buf *b = x->b;
    const gy_table *t = x->t;
    const gy_tabledef *d = t->def;
    const gy_row *r = &t->rows[x->row];
    size_t nn = put_sum_not_recomputed(x, dv, ndv, st);
    for (size_t i = 0; i < d->nrules; i++) {
        const gy_rule *ru = &d->rules[i];
        if (ru->target != x->col || !gy_rule_applies(t, ru, r) || derived_by(dv, ndv, ru))
            continue;
        bool noprev = gy_expr_has_prev(ru->expr) && d->fy_col < 0 &&
                      !(t->fy.western > GY_FY_FIRST && gy_dataset_find(x->ds, d->id, t->fy.western - 1));
        const char *why = noprev                      ? "前年度の表が入力にないため適用されません"
                          : st->c.nil == GY_NIL_NA    ? "記載が「-」(該当なし) のため検算しません"
                          : st->c.nil == GY_NIL_BLANK ? "記載がありません (所見を参照)"
                                                      : "基礎の値がないか不明なため再計算できません (所見を参照)";
        if (x->json)
            gy_buf_puts(b, nn ? ",{" : "{");
        else
            gy_buf_puts(b, "\n再計算されなかった規則 ");
        put_rule_head(x, true, rule_kind(ru), ru->text, NULL, ru->line, 0);
        if (x->json) {
            jk(b, false, "reason");
            gy_buf_json_str(b, why);
            gy_buf_puts(b, ",\"inputs\":[");
        } else {
            gy_buf_printf(b, "  %s\n  入力:\n", why);
        }
        size_t n = 0;
        walk_same(x, ru->expr, &n);
        if (x->json)
            gy_buf_puts(b, "]}");
        nn++;
    }
    return nn;
}

/* the findings on the cell */
static void put_findings(ex *x, const gy_finding *const *fv, size_t nf)
{
    gy_buf *b = x->b;
    if (x->json) {
        gy_buf_puts(b, "],\"findings\":[");
        for (size_t k = 0; k < nf; k++)
            put_finding(x, fv[k], k == 0);
        gy_buf_puts(b, "]}\n");
        return;
    }
    if (!nf) {
        gy_buf_puts(b, "\n所見: なし\n");
        return;
    }
    gy_buf_printf(b, "\n所見 %zu 件:\n", nf);
    for (size_t k = 0; k < nf; k++)
        put_finding(x, fv[k], k == 0);
}

static void explain_cell(ex *x, const gy_deriv *const *dv, size_t ndv, const gy_finding *const *fv, size_t nf)
{
    const gy_table *t = x->t;
    const gy_coldef *cd = &t->def->cols[x->col];
    xcell st;
    get_cell(t, x->row, x->col, &st);
    char *rn = row_name(t, x->row);
    char fyb[16];
    gy_fy_format(&t->fy, fyb, sizeof fyb);
    if (x->json)
        put_cell_json(x, &st, rn, fyb, ndv || gy_table_is_stated_derived(t, x->row, (size_t)x->col));
    else
        put_cell_text(x, &st, rn, fyb);
    free(rn);
    put_derivations(x, dv, ndv, &st);
    if (x->json)
        gy_buf_puts(x->b, "],\"not_recomputed\":[");
    size_t nn = put_not_recomputed(x, dv, ndv, &st);
    if (!x->json && !ndv && !nn) {
        if (numeric(cd))
            gy_buf_puts(x->b, "\n導出: なし (入力された基礎の数値です。この数値を導く規則はありません)\n");
        else
            gy_buf_puts(x->b, "\n導出: なし (数値ではない列です)\n");
    }
    put_findings(x, fv, nf);
}

gy_status gy_explain(const gy_defset *defs, const gy_dataset *ds, const gy_explain_query *q, gy_buf *out,
                     gy_buf *err)
{
    const gy_tabledef *d = gy_defset_find(defs, q->table);
    if (!d) {
        gy_buf_puts(err, "未知の表 '");
        tq(err, q->table);
        gy_buf_puts(err, "' (gaiyo tables で一覧)");
        return GY_EUSAGE;
    }
    gy_fy fy = {0};
    if (q->fy) {
        const char *e = NULL;
        if (!gy_parse_fy(q->fy, &fy, &e)) {
            gy_buf_puts(err, "年度 '");
            tq(err, q->fy);
            gy_buf_printf(err, "' を読めません: %s", e ? e : "");
            return GY_EUSAGE;
        }
    }
    /* a table with a year key: the rows of that year (latest folder);
     * otherwise the year selects the folder */
    const gy_table *t = gy_dataset_find(ds, d->id, q->fy && d->fy_col < 0 ? fy.western : 0);
    if (!t) {
        gy_buf_puts(err, "表 '");
        tq(err, d->id);
        gy_buf_puts(err, "' は入力にありません");
        if (q->fy && d->fy_col < 0) {
            gy_buf_puts(err, " (年度 ");
            tq(err, q->fy);
            gy_buf_puts(err, ")");
        }
        return GY_EUSAGE;
    }
    int col = find_col(d, q->col);
    if (col < 0) {
        gy_buf_puts(err, "表 '");
        tq(err, d->id);
        gy_buf_puts(err, "' に列 '");
        tq(err, q->col);
        gy_buf_puts(err, "' はありません (列は: ");
        for (size_t j = 0; j < d->ncols; j++) {
            if (j)
                gy_buf_puts(err, ", ");
            tq(err, d->cols[j].name);
        }
        gy_buf_puts(err, ")");
        return GY_EUSAGE;
    }
    size_t *rows = NULL, n = 0;
    gy_status st = find_rows(t, q->row, q->fy && d->fy_col >= 0 ? &fy : NULL, &rows, &n, err);
    if (st != GY_OK) {
        free(rows);
        return st;
    }
    if (n != 1) {
        gy_buf_puts(err, "行 '");
        tq(err, q->row);
        gy_buf_puts(err, "' ");
        if (q->fy && d->fy_col >= 0) {
            gy_buf_puts(err, "(年度 ");
            tq(err, q->fy);
            gy_buf_puts(err, ") ");
        }
        if (!n) {
            gy_buf_puts(err, "は表 '");
            tq(err, d->id);
            gy_buf_puts(err, "' (");
            tq(err, t->path);
            gy_buf_puts(err, ") にありません (行は列「");
            tq(err, d->cols[d->label_col].name);
            gy_buf_puts(err, "」の値で、または 列=値, 列=値 … で選びます)");
        } else {
            gy_buf_printf(err, "に当たる行が %zu 行あり、一つに決まりません:", n);
            for (size_t k = 0; k < n && k < CAND_MAX; k++)
                put_candidate(err, t, rows[k]);
            if (n > CAND_MAX)
                gy_buf_printf(err, "\n  … ほか %zu 行", n - CAND_MAX);
            gy_buf_puts(err, "\n  列=値, 列=値 … で選んでください");
            if (d->fy_col >= 0 && !q->fy)
                gy_buf_puts(err, " (または年度を指定してください)");
        }
        free(rows);
        return GY_EUSAGE;
    }
    ex x = {.ds = ds, .t = t, .row = rows[0], .col = col, .json = q->json, .b = out};
    free(rows);

    /* verify as `gaiyo verify` runs it; the derivations of this table only */
    bool *want = calloc(ds->n ? ds->n : 1, sizeof *want);
    if (!want)
        return GY_ENOMEM;
    for (size_t k = 0; k < ds->n; k++)
        want[k] = ds->v[k] == t;
    gy_findings f = {0};
    gy_derivs dv = {0};
    st = gy_verify_some(ds, &f, &dv, want);
    free(want);
    const gy_deriv **dsel = NULL;
    const gy_finding **fsel = NULL;
    size_t nd = 0, nf = 0;
    if (st == GY_OK) {
        dsel = malloc((dv.n ? dv.n : 1) * sizeof *dsel);
        fsel = malloc((f.n ? f.n : 1) * sizeof *fsel);
        if (!dsel || !fsel)
            st = GY_ENOMEM;
    }
    if (st == GY_OK) {
        for (size_t k = 0; k < dv.n; k++)
            if (dv.v[k].table == t && dv.v[k].row == x.row && dv.v[k].col == col)
                dsel[nd++] = &dv.v[k];
        /* the findings on the cell, and those that report a rule of this
         * cell on its breakdown (a total that another rule confirms: the
         * items are blamed, at the first of them; see verify) */
        char *mark = gy_asprintf("規則: %s =", t->def->cols[col].name);
        if (!mark)
            st = GY_ENOMEM;
        for (size_t k = 0; mark && k < f.n; k++)
            if (f.v[k].table == t && (gy_finding_covers(&f.v[k], x.row, col) ||
                                      (f.v[k].row == x.row && f.v[k].nalso && strstr(f.v[k].msg, mark))))
                fsel[nf++] = &f.v[k];
        free(mark);
        explain_cell(&x, dsel, nd, fsel, nf);
        if (x.oom)
            st = GY_ENOMEM;
    }
    free(dsel);
    free(fsel);
    gy_derivs_free(&dv);
    gy_findings_free(&f);
    return st;
}
