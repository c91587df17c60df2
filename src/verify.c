/* verify.c - the generic check-and-derive engine (no code per table) */
#include "gaiyo/verify.h"
#include "gaiyo/util.h"

#include <stdlib.h>
#include <string.h>

gy_tolerance gy_tolerance_default(void)
{
    return (gy_tolerance){.ratio_units = 1};
}

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
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* ---- values during evaluation ---------------------------------------- */

typedef enum vst {
    V_OK = 0,   /* a value */
    V_NIL,      /* blank or '-': 0 in sums, no base in a ratio */
    V_UNKNOWN,  /* a base is absent or unknown: cannot check */
    V_ALLUP,    /* ratio with zero base and positive part: 皆増 */
    V_NONE      /* ratio 0 / 0: '-' */
} vst;

typedef struct val {
    vst st;
    int64_t v;
} val;

typedef struct ctx {
    const gy_dataset *ds;
    const gy_table *t;
    size_t *group;       /* group id per row */
    gy_findings *out;
    char absent[256];    /* what was absent (first one) */
    bool oom;
    gy_derivs *dv;       /* derivations wanted (NULL: none) */
    size_t *refs;        /* refs of the rule being evaluated (recording) */
    size_t nrefs, caprefs;
    bool rec;            /* recording refs */
} ctx;

static void rec_ref(ctx *c, size_t row)
{
    if (!c->rec)
        return;
    if (c->nrefs == c->caprefs) {
        size_t nc = c->caprefs ? c->caprefs * 2 : 16;
        size_t *nv = realloc(c->refs, nc * sizeof *nv);
        if (!nv) {
            c->oom = true;
            c->rec = false;
            return;
        }
        c->refs = nv;
        c->caprefs = nc;
    }
    c->refs[c->nrefs++] = row;
}

/* record a derivation; takes the refs collected so far (rule) or the rows
 * given (sum) */
static void add_deriv(ctx *c, size_t row, int col, const gy_rule *ru, const char *kind, const size_t *rows,
                      size_t nrows, int64_t value)
{
    gy_derivs *dv = c->dv;
    if (!dv)
        return;
    if (dv->n == dv->cap) {
        size_t nc = dv->cap ? dv->cap * 2 : 64;
        gy_deriv *nv = realloc(dv->v, nc * sizeof *nv);
        if (!nv) {
            c->oom = true;
            return;
        }
        dv->v = nv;
        dv->cap = nc;
    }
    size_t *copy = malloc((nrows ? nrows : 1) * sizeof *copy);
    if (!copy) {
        c->oom = true;
        return;
    }
    if (nrows)
        memcpy(copy, rows, nrows * sizeof *copy);
    dv->v[dv->n++] = (gy_deriv){.table = c->t, .row = row, .col = col, .rule = ru, .kind = kind,
                                .refs = copy, .nrefs = nrows, .value = value};
}

static void add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                        const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 10, 11)));

static void add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                        const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
{
    gy_findings *f = c->out;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 32;
        gy_finding *nv = realloc(f->v, nc * sizeof *nv);
        if (!nv) {
            c->oom = true;
            return;
        }
        f->v = nv;
        f->cap = nc;
    }
    const gy_table *t = c->t;
    const gy_row *r = &t->rows[row];
    gy_finding g = {0};
    g.sev = sev;
    g.rule = rule;
    g.table = t;
    g.row = row;
    g.col = col;
    /* the row label as printed: label column, plus the fy key if any */
    const char *lab = gy_row_label(t, r);
    if (t->def->fy_col >= 0 && t->def->fy_col != t->def->label_col &&
        r->cells[t->def->fy_col].text[0])
        g.rowlabel = gy_asprintf("%s %s", lab, r->cells[t->def->fy_col].text);
    else
        g.rowlabel = gy_strdup(lab[0] ? lab : gy_role_name(r->role));
    g.collabel = gy_strdup(t->def->cols[col].label);
    g.line = r->cells[col].line ? r->cells[col].line : r->line;
    g.colno = r->cells[col].col;
    g.stated = gy_strdup(stated);
    g.computed = gy_strdup(computed);
    g.has_computed = hasv;
    g.computed_v = cv;
    va_list ap;
    va_start(ap, fmt);
    g.msg = gy_vasprintf(fmt, ap);
    va_end(ap);
    if (!g.rowlabel || !g.collabel || !g.stated || !g.computed || !g.msg) {
        free(g.rowlabel);
        free(g.collabel);
        free(g.stated);
        free(g.computed);
        free(g.msg);
        c->oom = true;
        return;
    }
    f->v[f->n++] = g;
    f->count[sev]++;
}

static void fmt_val(const gy_table *t, int col, int64_t v, char *buf, size_t n)
{
    const gy_coldef *cd = &t->def->cols[col];
    if (cd->type == GY_T_RATIO)
        gy_format_ratio(v, cd->decimals, "△", buf, n);
    else
        gy_format_int(v, "△", buf, n);
}

static val cell_val(const gy_cell *c)
{
    if (c->nil == GY_NIL_NONE)
        return (val){V_OK, c->v};
    if (c->nil == GY_NIL_UNKNOWN)
        return (val){V_UNKNOWN, 0};
    return (val){V_NIL, 0};
}

/* ---- row lookup -------------------------------------------------------- */

/* whether the 組替 of this year maps `old` of column `col` onto `now` for
 * the row labelled `label` */
static bool mapped(ctx *c, const char *col, const char *old, const char *now, const char *label)
{
    const gy_table *k = gy_dataset_find(c->ds, "kumikae", c->t->fy.western);
    if (!k)
        return false;
    const gy_tabledef *d = k->def;
    int ct = gy_tabledef_col(d, "表"), cc = gy_tabledef_col(d, "列"), co = gy_tabledef_col(d, "旧"),
        cn = gy_tabledef_col(d, "新"), cl = gy_tabledef_col(d, "対象");
    if (ct < 0 || cc < 0 || co < 0 || cn < 0)
        return false;
    for (size_t i = 0; i < k->nrows; i++) {
        const gy_cell *r = k->rows[i].cells;
        if (!strcmp(r[ct].text, c->t->def->id) && !strcmp(r[cc].text, col) && !strcmp(r[co].text, old) &&
            !strcmp(r[cn].text, now) && (cl < 0 || !r[cl].text[0] || !strcmp(r[cl].text, label)))
            return true;
    }
    return false;
}

/* whether previous-year row q corresponds to this year's row r */
static bool corresponds(ctx *c, const gy_row *r, const gy_row *q, int skip)
{
    const gy_tabledef *d = c->t->def;
    if (r->role != q->role)
        return false;
    const char *label = gy_row_label(c->t, r);
    for (size_t j = 0; j < d->ncols; j++) {
        if ((int)j == skip || !(d->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)))
            continue;
        const char *a = r->cells[j].text, *b = q->cells[j].text;
        if (strcmp(a, b) && !mapped(c, d->cols[j].name, b, a, label))
            return false;
    }
    return true;
}

/* the value of `col` one fiscal year earlier for this row: the same row
 * (or, through the 組替, the rows it was renamed from or merged from,
 * summed) in the same table when it has an fy key column, else in the
 * previous year's folder */
static val prev_value(ctx *c, size_t row, int col, size_t *prow)
{
    const gy_table *t = c->t;
    const gy_row *r = &t->rows[row];
    int fc = t->def->fy_col;
    const gy_table *pt = t;
    int64_t want = 0;
    if (fc >= 0) {
        if (r->cells[fc].nil != GY_NIL_NONE)
            return (val){V_UNKNOWN, 0};
        want = r->cells[fc].v - 1;
    } else {
        pt = gy_dataset_find(c->ds, t->def->id, t->fy.western - 1);
        if (!pt)
            return (val){V_UNKNOWN, 0};
    }
    bool found = false;
    val sum = {V_NIL, 0};
    for (size_t i = 0; i < pt->nrows; i++) {
        const gy_row *q = &pt->rows[i];
        if (fc >= 0 && (q->cells[fc].nil != GY_NIL_NONE || q->cells[fc].v != want))
            continue;
        if (!corresponds(c, r, q, fc))
            continue;
        /* one row of this very table: a writer can point at it */
        *prow = !found && pt == t ? i : GY_DERIV_NOROW;
        found = true;
        val v = cell_val(&q->cells[col]);
        if (v.st == V_UNKNOWN)
            return v;
        if (v.st == V_OK) {
            sum.st = V_OK;
            if (__builtin_add_overflow(sum.v, v.v, &sum.v))
                return (val){V_UNKNOWN, 0};
        }
    }
    return found ? sum : (val){V_UNKNOWN, 0};
}

static const gy_row *label_row(ctx *c, size_t row, const char *label)
{
    const gy_table *t = c->t;
    for (size_t i = 0; i < t->nrows; i++)
        if (c->group[i] == c->group[row] && !strcmp(gy_row_label(t, &t->rows[i]), label))
            return &t->rows[i];
    return NULL;
}

static bool counts_in_total(const gy_table *t, const gy_row *r)
{
    return r->role == GY_ROLE_ITEM || (r->role == GY_ROLE_MEMO && t->def->memo_in_totals);
}

/* ---- expressions ------------------------------------------------------- */

static val eval(ctx *c, const gy_expr *e, size_t row, int target)
{
    const gy_table *t = c->t;
    switch (e->op) {
    case GY_X_REF: {
        const gy_row *r = &t->rows[row];
        if (e->rowref == GY_R_LABEL) {
            r = label_row(c, row, e->row);
            rec_ref(c, r ? (size_t)(r - t->rows) : GY_DERIV_NOROW);
            if (!r) {
                if (!c->absent[0])
                    snprintf(c->absent, sizeof c->absent, "行「%s」", e->row);
                return (val){V_UNKNOWN, 0};
            }
        } else if (e->rowref == GY_R_PREV) {
            size_t prow = GY_DERIV_NOROW;
            val v = prev_value(c, row, e->col, &prow);
            rec_ref(c, prow);
            if (v.st == V_UNKNOWN && !c->absent[0])
                snprintf(c->absent, sizeof c->absent, "前年度の「%s」", t->def->cols[e->col].name);
            return v;
        }
        if (e->rowref != GY_R_LABEL)
            rec_ref(c, row);
        val v = cell_val(&r->cells[e->col]);
        if (v.st == V_UNKNOWN && !c->absent[0])
            snprintf(c->absent, sizeof c->absent, "「%s」(%s)", t->def->cols[e->col].name,
                     r->cells[e->col].text);
        return v;
    }
    case GY_X_ADD:
    case GY_X_SUB: {
        val a = eval(c, e->a, row, target), b = eval(c, e->b, row, target);
        if (a.st == V_UNKNOWN || b.st == V_UNKNOWN)
            return (val){V_UNKNOWN, 0};
        if (a.st == V_NIL && b.st == V_NIL)
            return (val){V_NIL, 0};
        int64_t r;
        bool ovf = e->op == GY_X_ADD ? __builtin_add_overflow(a.v, b.v, &r)
                                     : __builtin_sub_overflow(a.v, b.v, &r);
        if (ovf) {
            snprintf(c->absent, sizeof c->absent, "桁あふれ");
            return (val){V_UNKNOWN, 0};
        }
        return (val){V_OK, r};
    }
    case GY_X_TOTAL: {
        int64_t s = 0;
        int minlev = 1 << 30;
        size_t cnt = 0;
        for (size_t i = 0; i < t->nrows; i++)
            if (c->group[i] == c->group[row] && counts_in_total(t, &t->rows[i]) &&
                t->rows[i].level < minlev)
                minlev = t->rows[i].level;
        for (size_t i = 0; i < t->nrows; i++)
            if (c->group[i] == c->group[row] && counts_in_total(t, &t->rows[i]) && t->rows[i].level == minlev)
                cnt++;
        rec_ref(c, cnt);
        for (size_t i = 0; i < t->nrows; i++)
            if (c->group[i] == c->group[row] && counts_in_total(t, &t->rows[i]) && t->rows[i].level == minlev)
                rec_ref(c, i);
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *q = &t->rows[i];
            if (c->group[i] != c->group[row] || !counts_in_total(t, q) || q->level != minlev)
                continue;
            val v = cell_val(&q->cells[e->col]);
            if (v.st == V_UNKNOWN) {
                if (!c->absent[0])
                    snprintf(c->absent, sizeof c->absent, "「%s」の%s", gy_row_label(t, q),
                             t->def->cols[e->col].name);
                return (val){V_UNKNOWN, 0};
            }
            if (__builtin_add_overflow(s, v.v, &s))
                return (val){V_UNKNOWN, 0};
        }
        return (val){V_OK, s};
    }
    case GY_X_PCT: {
        val a = eval(c, e->a, row, target), b = eval(c, e->b, row, target);
        if (a.st == V_UNKNOWN || b.st == V_UNKNOWN)
            return (val){V_UNKNOWN, 0};
        if (b.st == V_NIL) {
            if (!c->absent[0])
                snprintf(c->absent, sizeof c->absent, "分母");
            return (val){V_UNKNOWN, 0};
        }
        const gy_coldef *cd = &t->def->cols[target];
        int64_t out;
        gy_ratio_status rs = gy_ratio(a.v, b.v, cd->scale, cd->decimals, GY_ROUND_HALF_UP, &out);
        if (rs == GY_RATIO_ALLUP)
            return (val){V_ALLUP, 0};
        if (rs == GY_RATIO_NONE)
            return (val){V_NONE, 0};
        if (rs == GY_RATIO_OVERFLOW)
            return (val){V_UNKNOWN, 0};
        return (val){V_OK, out};
    }
    }
    return (val){V_UNKNOWN, 0};
}

/* the same ratio rounded down (to tell truncation from rounding) */
static bool trunc_pct(ctx *c, const gy_expr *e, size_t row, int target, int64_t *out)
{
    if (e->op != GY_X_PCT)
        return false;
    val a = eval(c, e->a, row, target), b = eval(c, e->b, row, target);
    if (a.st != V_OK || b.st != V_OK)
        return false;
    const gy_coldef *cd = &c->t->def->cols[target];
    return gy_ratio(a.v, b.v, cd->scale, cd->decimals, GY_ROUND_DOWN, out) == GY_RATIO_OK;
}

static bool has_sub(const gy_expr *e)
{
    return e && (e->op == GY_X_SUB || has_sub(e->a) || has_sub(e->b));
}

static bool has_prev(const gy_expr *e)
{
    return e && ((e->op == GY_X_REF && e->rowref == GY_R_PREV) || has_prev(e->a) || has_prev(e->b));
}

/* whether another rule for the same figure could check it (e.g. 増減 from
 * last year's folder when this year's file lacks last year's breakdown):
 * then "cannot be checked" would be wrong */
static bool checked_otherwise(ctx *c, const gy_rule *ru, size_t row)
{
    const gy_tabledef *d = c->t->def;
    char saved[sizeof c->absent];
    memcpy(saved, c->absent, sizeof saved);
    bool ok = false;
    for (size_t k = 0; k < d->nrules && !ok; k++) {
        const gy_rule *o = &d->rules[k];
        if (o == ru || o->target != ru->target || !gy_rule_applies(c->t, o, &c->t->rows[row]))
            continue;
        if (c->t->def->fy_col < 0 && has_prev(o->expr) &&
            !gy_dataset_find(c->ds, c->t->def->id, c->t->fy.western - 1))
            continue;
        ok = eval(c, o->expr, row, o->target).st != V_UNKNOWN;
    }
    memcpy(c->absent, saved, sizeof saved);
    return ok;
}

static void check_rule(ctx *c, const gy_rule *ru, size_t row)
{
    /* a rule across fiscal years applies only when input/ holds the
     * previous year's table (or the table has a year column) */
    if (c->t->def->fy_col < 0 && has_prev(ru->expr) &&
        !gy_dataset_find(c->ds, c->t->def->id, c->t->fy.western - 1))
        return;
    const gy_table *t = c->t;
    const gy_row *r = &t->rows[row];
    const gy_cell *st = &r->cells[ru->target];
    const gy_coldef *cd = &t->def->cols[ru->target];
    if (st->nil == GY_NIL_NA)
        return; /* the department says: not applicable */
    c->absent[0] = '\0';
    c->nrefs = 0;
    c->rec = c->dv != NULL;
    val v = eval(c, ru->expr, row, ru->target);
    c->rec = false;
    char sb[64], cb[64];
    if (st->nil == GY_NIL_NONE)
        fmt_val(t, ru->target, st->v, sb, sizeof sb);
    else
        snprintf(sb, sizeof sb, "%s", st->text);
    bool ratio = ru->expr->op == GY_X_PCT;
    const char *rname = ratio ? "ratio" : has_sub(ru->expr) ? "difference" : "rowsum";
    switch (v.st) {
    case V_UNKNOWN:
        if (st->nil == GY_NIL_NONE && !checked_otherwise(c, ru, row))
            add_finding(c, GY_SEV_INFO, "base-absent", row, ru->target, sb, "", false, 0,
                        "%s がないため「%s」を検算できません (規則: %s)", c->absent[0] ? c->absent : "基礎の値",
                        cd->label, ru->text);
        return;
    case V_ALLUP:
    case V_NONE:
        if (st->nil == GY_NIL_NONE)
            add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, v.st == V_ALLUP ? "皆増" : "-", false, 0,
                        "分母が 0 のため比率は %s ですが、%s と記載されています (規則: %s)",
                        v.st == V_ALLUP ? "皆増" : "「-」", sb, ru->text);
        return;
    case V_NIL:
        return;
    case V_OK:
        break;
    }
    fmt_val(t, ru->target, v.v, cb, sizeof cb);
    if (st->nil == GY_NIL_NONE)
        add_deriv(c, row, ru->target, ru, rname, c->refs, c->nrefs, v.v);
    if (st->nil != GY_NIL_NONE) {
        if (v.v != 0)
            add_finding(c, GY_SEV_INFO, "unstated", row, ru->target, "", cb, true, v.v,
                        "「%s」は記載がありませんが、再計算すると %s です (規則: %s)", cd->label, cb, ru->text);
        return;
    }
    if (st->v == v.v)
        return;
    if (ratio) {
        int64_t tr;
        gy_tolerance tol = gy_tolerance_default();
        int64_t diff = st->v > v.v ? st->v - v.v : v.v - st->v;
        if (trunc_pct(c, ru->expr, row, ru->target, &tr) && tr == st->v) {
            add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                        "%s は切り捨ての値です。四捨五入すると %s (規則: %s)", sb, cb, ru->text);
            return;
        }
        if (diff <= tol.ratio_units) {
            add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                        "%s は四捨五入の値 %s と末位が 1 違います (規則: %s)", sb, cb, ru->text);
            return;
        }
        add_finding(c, GY_SEV_ERROR, "ratio", row, ru->target, sb, cb, true, v.v,
                    "比率が合いません: 記載 %s、再計算 %s (規則: %s)", sb, cb, ru->text);
        return;
    }
    char db[64];
    fmt_val(t, ru->target, st->v > v.v ? st->v - v.v : v.v - st->v, db, sizeof db);
    add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, cb, true, v.v,
                "記載 %s と再計算 %s が %s 違います (規則: %s)", sb, cb, db, ru->text);
}

/* ---- sums ---------------------------------------------------------------- */

/* sum of `col` over rows [a, b) selected by pred; returns false if a
 * value is unknown. *nitems counts the rows with a value. */
static bool sum_range(ctx *c, int col, size_t a, size_t b, size_t grp, int level, int64_t *s,
                      size_t *nitems, size_t *bad)
{
    const gy_table *t = c->t;
    *s = 0;
    *nitems = 0;
    for (size_t i = a; i < b; i++) {
        const gy_row *q = &t->rows[i];
        if (c->group[i] != grp || q->level != level || !counts_in_total(t, q))
            continue;
        val v = cell_val(&q->cells[col]);
        if (v.st == V_UNKNOWN) {
            *bad = i;
            return false;
        }
        if (v.st == V_OK) {
            (*nitems)++;
            if (__builtin_add_overflow(*s, v.v, s)) {
                *bad = i;
                return false;
            }
        }
    }
    return true;
}

/* the rows sum_range adds, as a derivation of (row, col) */
static void sum_deriv(ctx *c, const char *kind, size_t row, int col, size_t a, size_t b, size_t grp, int level,
                      int64_t s)
{
    if (!c->dv || c->t->rows[row].cells[col].nil != GY_NIL_NONE)
        return;
    const gy_table *t = c->t;
    c->nrefs = 0;
    c->rec = true;
    for (size_t i = a; i < b; i++)
        if (c->group[i] == grp && t->rows[i].level == level && counts_in_total(t, &t->rows[i]))
            rec_ref(c, i);
    c->rec = false;
    add_deriv(c, row, col, NULL, kind, c->refs, c->nrefs, s);
}

static void compare_sum(ctx *c, const char *rule, size_t row, int col, int64_t s, size_t nitems,
                        const char *what)
{
    const gy_table *t = c->t;
    const gy_cell *st = &t->rows[row].cells[col];
    const gy_coldef *cd = &t->def->cols[col];
    char sb[64], cb[64], db[64];
    fmt_val(t, col, s, cb, sizeof cb);
    if (st->nil == GY_NIL_NONE)
        fmt_val(t, col, st->v, sb, sizeof sb);
    else
        snprintf(sb, sizeof sb, "%s", st->text);
    if (st->nil == GY_NIL_NA)
        return;
    if (st->nil != GY_NIL_NONE) {
        if (nitems && s != 0)
            add_finding(c, GY_SEV_INFO, "unstated", row, col, "", cb, true, s,
                        "「%s」の%sは記載がありませんが、%sの合計は %s です", gy_row_label(t, &t->rows[row]),
                        cd->label, what, cb);
        return;
    }
    if (st->v == s)
        return;
    int64_t diff = st->v > s ? st->v - s : s - st->v;
    fmt_val(t, col, diff, db, sizeof db);
    if (cd->type == GY_T_RATIO) {
        /* each share is rounded to half a unit: n shares can be off by n/2 */
        int64_t half_units = (int64_t)nitems; /* in half units: diff*2 <= n */
        if (diff * 2 <= half_units) {
            add_finding(c, GY_SEV_WARNING, "rounding", row, col, sb, cb, true, s,
                        "%sの%sを足すと %s で記載 %s と %s 違いますが、各値の四捨五入による差です", what,
                        cd->label, cb, sb, db);
            return;
        }
    }
    add_finding(c, GY_SEV_ERROR, rule, row, col, sb, cb, true, s,
                "記載 %s が%sの合計 %s と %s 違います", sb, what, cb, db);
}

static void check_sums(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    bool tree = d->level_col >= 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const gy_row *r = &t->rows[i];
        /* scope: rows around i bounded by rows of a lower level */
        size_t a = i, b = i + 1;
        if (tree) {
            while (a > 0 && t->rows[a - 1].level >= r->level)
                a--;
            while (b < t->nrows && t->rows[b].level >= r->level)
                b++;
        } else {
            a = 0;
            b = t->nrows;
        }
        if (r->role == GY_ROLE_TOTAL || r->role == GY_ROLE_SUBTOTAL) {
            size_t from = a;
            if (r->role == GY_ROLE_SUBTOTAL) {
                for (size_t k = i; k > a; k--) {
                    const gy_row *q = &t->rows[k - 1];
                    if (c->group[k - 1] == c->group[i] && q->level == r->level &&
                        (q->role == GY_ROLE_SUBTOTAL || q->role == GY_ROLE_TOTAL)) {
                        from = k;
                        break;
                    }
                }
            }
            size_t to = r->role == GY_ROLE_SUBTOTAL ? i : b;
            for (size_t j = 0; j < d->ncols; j++) {
                if (!(d->cols[j].flags & GY_COL_SUM))
                    continue;
                int64_t s;
                size_t n, bad = 0;
                if (!sum_range(c, (int)j, from, to, c->group[i], r->level, &s, &n, &bad)) {
                    if (r->cells[j].nil == GY_NIL_NONE)
                        add_finding(c, GY_SEV_INFO, "base-absent", i, (int)j, r->cells[j].text, "", false, 0,
                                    "「%s」の%sが不明 (%s) のため合計を検算できません",
                                    gy_row_label(t, &t->rows[bad]), d->cols[j].label,
                                    t->rows[bad].cells[j].text);
                    continue;
                }
                sum_deriv(c, "sum", i, (int)j, from, to, c->group[i], r->level, s);
                compare_sum(c, "sum", i, (int)j, s, n, r->role == GY_ROLE_SUBTOTAL ? "小計の対象行" : "各行");
            }
            continue;
        }
        /* parent-sum: an item followed by deeper rows */
        if (!tree || r->role != GY_ROLE_ITEM || i + 1 >= t->nrows || t->rows[i + 1].level <= r->level)
            continue;
        size_t e = i + 1;
        int cl = t->rows[i + 1].level;
        while (e < t->nrows && t->rows[e].level > r->level) {
            if (t->rows[e].level < cl)
                cl = t->rows[e].level;
            e++;
        }
        for (size_t j = 0; j < d->ncols; j++) {
            if (!(d->cols[j].flags & GY_COL_SUM) || r->cells[j].nil != GY_NIL_NONE)
                continue;
            int64_t s;
            size_t n, bad = 0;
            if (!sum_range(c, (int)j, i + 1, e, c->group[i], cl, &s, &n, &bad)) {
                add_finding(c, GY_SEV_INFO, "base-absent", i, (int)j, r->cells[j].text, "", false, 0,
                            "内訳「%s」の%sが不明のため検算できません", gy_row_label(t, &t->rows[bad]),
                            d->cols[j].label);
                continue;
            }
            if (n == 0)
                continue; /* no child states an amount: nothing to check */
            /* a total row among the children already sums them */
            bool has_total = false;
            for (size_t k = i + 1; k < e; k++)
                if (t->rows[k].level == cl && t->rows[k].role == GY_ROLE_TOTAL)
                    has_total = true;
            if (has_total)
                continue;
            sum_deriv(c, "parent-sum", i, (int)j, i + 1, e, c->group[i], cl, s);
            compare_sum(c, "parent-sum", i, (int)j, s, n, "内訳");
        }
    }
}

/* ---- reconciliation with another table -------------------------------- */

static void check_recons(ctx *c)
{
    const gy_table *t = c->t;
    for (size_t k = 0; k < t->def->nrecons; k++) {
        const gy_recon *rc = &t->def->recons[k];
        const gy_table *o = gy_dataset_find(c->ds, rc->table, t->fy.western);
        if (!o)
            continue;
        int oc = gy_tabledef_col(o->def, rc->col), ok = gy_tabledef_col(o->def, rc->okey);
        int ox = rc->explain ? gy_tabledef_col(o->def, rc->explain) : -1;
        if (oc < 0 || ok < 0)
            continue;
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *r = &t->rows[i];
            if (r->role != GY_ROLE_ITEM || r->cells[rc->target].nil != GY_NIL_NONE)
                continue;
            /* all: every matching row with an amount; explained: those whose
             * 区分 says they lie outside this figure, by category */
            int64_t all = 0, expl = 0;
            size_t n = 0, nexpl = 0, blank = 0;
            gy_buf cats = {0};
            for (size_t j = 0; j < o->nrows; j++) {
                const gy_row *q = &o->rows[j];
                if (strcmp(q->cells[ok].text, r->cells[rc->key].text) || q->role != GY_ROLE_ITEM ||
                    (rc->level >= 0 && q->level != rc->level))
                    continue;
                if (q->cells[oc].nil != GY_NIL_NONE) {
                    blank++;
                    continue;
                }
                all += q->cells[oc].v;
                n++;
                const char *cat = ox >= 0 ? q->cells[ox].text : "";
                if (!cat || !*cat)
                    continue;
                expl += q->cells[oc].v;
                nexpl++;
                /* one entry per category, in order of first appearance */
                bool seen = false;
                for (size_t m = 0; m < j && !seen; m++) {
                    const gy_row *p = &o->rows[m];
                    seen = p->role == GY_ROLE_ITEM && (rc->level < 0 || p->level == rc->level) &&
                           !strcmp(p->cells[ok].text, r->cells[rc->key].text) &&
                           p->cells[oc].nil == GY_NIL_NONE && !strcmp(p->cells[ox].text, cat);
                }
                if (seen)
                    continue;
                int64_t cs = 0;
                size_t cn = 0;
                for (size_t m = j; m < o->nrows; m++) {
                    const gy_row *p = &o->rows[m];
                    if (p->role == GY_ROLE_ITEM && (rc->level < 0 || p->level == rc->level) &&
                        !strcmp(p->cells[ok].text, r->cells[rc->key].text) &&
                        p->cells[oc].nil == GY_NIL_NONE && !strcmp(p->cells[ox].text, cat)) {
                        cs += p->cells[oc].v;
                        cn++;
                    }
                }
                char csb[64];
                fmt_val(t, rc->target, cs, csb, sizeof csb);
                gy_buf_printf(&cats, "%s%s %zu 件 %s", cats.n ? "、" : "", cat, cn, csb);
            }
            if (n == 0) {
                gy_buf_free(&cats);
                continue;
            }
            int64_t stated = r->cells[rc->target].v, implied = all - expl;
            char sb[64], ab[64], db[64], eb[64], ub[64];
            fmt_val(t, rc->target, stated, sb, sizeof sb);
            fmt_val(t, rc->target, all, ab, sizeof ab);
            fmt_val(t, rc->target, stated - all, db, sizeof db);
            fmt_val(t, rc->target, -expl, eb, sizeof eb);
            fmt_val(t, rc->target, stated - implied, ub, sizeof ub);
            add_finding(c, GY_SEV_INFO, "reconcile", i, rc->target, sb, ab, true, all,
                        "照合: 「%s」の%s %s と %s の%s (%zu 件) の合計 %s の差は %s。うち説明のつく差 %s%s%s%s、"
                        "説明のない差 %s (金額の記載がない事業 %zu 件)。誤りとは限りません",
                        r->cells[rc->key].text, t->def->cols[rc->target].label, sb, o->def->title, rc->col, n, ab,
                        db, eb, nexpl ? " (" : "", nexpl ? (cats.p ? cats.p : "") : "",
                        nexpl ? ")" : (rc->explain ? " (区分の記載なし)" : " (区分列なし)"), ub, blank);
            gy_buf_free(&cats);
        }
    }
}

/* ---- driver -------------------------------------------------------------- */

static gy_status make_groups(ctx *c)
{
    const gy_table *t = c->t;
    c->group = calloc(t->nrows ? t->nrows : 1, sizeof *c->group);
    if (!c->group)
        return GY_ENOMEM;
    bool any = false;
    for (size_t j = 0; j < t->def->ncols; j++)
        if (t->def->cols[j].flags & GY_COL_GROUP)
            any = true;
    if (!any)
        return GY_OK;
    for (size_t i = 0; i < t->nrows; i++) {
        c->group[i] = i;
        for (size_t k = 0; k < i; k++) {
            if (c->group[k] != k)
                continue;
            bool same = true;
            for (size_t j = 0; j < t->def->ncols && same; j++)
                if ((t->def->cols[j].flags & GY_COL_GROUP) &&
                    strcmp(t->rows[i].cells[j].text, t->rows[k].cells[j].text))
                    same = false;
            if (same) {
                c->group[i] = k;
                break;
            }
        }
    }
    return GY_OK;
}

static int cmp_finding(const void *a, const void *b)
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

gy_status gy_verify(const gy_dataset *ds, gy_findings *out)
{
    return gy_verify_full(ds, out, NULL);
}

void gy_derivs_free(gy_derivs *dv)
{
    if (!dv)
        return;
    for (size_t i = 0; i < dv->n; i++)
        free(dv->v[i].refs);
    free(dv->v);
    memset(dv, 0, sizeof *dv);
}

gy_status gy_verify_full(const gy_dataset *ds, gy_findings *out, gy_derivs *dv)
{
    memset(out, 0, sizeof *out);
    if (dv)
        memset(dv, 0, sizeof *dv);
    for (size_t k = 0; k < ds->n; k++) {
        ctx c = {.ds = ds, .t = ds->v[k], .out = out, .dv = dv};
        if (make_groups(&c) != GY_OK)
            return GY_ENOMEM;
        check_sums(&c);
        check_recons(&c);
        for (size_t ri = 0; ri < c.t->def->nrules; ri++) {
            const gy_rule *ru = &c.t->def->rules[ri];
            for (size_t i = 0; i < c.t->nrows; i++)
                if (gy_rule_applies(c.t, ru, &c.t->rows[i]))
                    check_rule(&c, ru, i);
        }
        free(c.group);
        free(c.refs);
        if (c.oom)
            return GY_ENOMEM;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_finding);
    return GY_OK;
}
