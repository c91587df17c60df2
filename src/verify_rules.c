/* verify_rules.c - the rules of a definition, row by row, and derivations
 *
 * Each `rule` evaluated exactly on the rows it applies to (the operators
 * are expr.c's; here its leaves: a cell, row(LABEL), total(), @前年) and
 * compared with the stated figure: rowsum, difference, formula, ratio,
 * rounding, base-absent, a row reference to no row or two. The figures
 * that agree are recorded as derivations (gy_derivs) for the workbook's
 * formulas. Tested by tests/unit/test_verify.c and test_rows.c.
 */
#include "verify_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rule evaluations so far (verify and the workbook's deriver alike) */
static atomic_uint_fast64_t rule_evals;

uint64_t gy_verify_rule_evals(void)
{
    return atomic_load(&rule_evals);
}

/* ---- derivations (the figures that agree, for the workbook) ------------- */

/* room for `more` entries in a growable array of size_t; false (and
 * c->oom) when memory runs out */
bool gyv_reserve(ctx *c, size_t **v, size_t n, size_t *cap, size_t more)
{
    if (n + more <= *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 256;
    while (nc < n + more)
        nc *= 2;
    size_t *nv = realloc(*v, nc * sizeof *nv);
    if (!nv) {
        c->oom = true;
        return false;
    }
    *v = nv;
    *cap = nc;
    return true;
}

void gyv_rec_ref(ctx *c, size_t row)
{
    if (!c->rec)
        return;
    if (!gyv_reserve(c, &c->refs, c->nrefs, &c->caprefs, 1)) {
        c->rec = false;
        return;
    }
    c->refs[c->nrefs++] = row;
}

/* record a derivation; takes the refs collected so far (rule) or the rows
 * given (sum) */
void gyv_add_deriv(ctx *c, size_t row, int col, const gy_rule *ru, const char *kind, const size_t *rows,
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
    /* the refs go into one buffer per table (no allocation per figure);
     * pointers are set when the table is done (verify_table) */
    if (!gyv_reserve(c, &c->rbuf, c->nrbuf, &c->caprbuf, nrows))
        return;
    if (nrows)
        memcpy(c->rbuf + c->nrbuf, rows, nrows * sizeof *rows);
    (void)kind; /* "sum", "parent-sum" or the rule's kind: known from rule, not kept */
    if (nrows > UINT32_MAX) {
        c->oom = true;
        return;
    }
    dv->v[dv->n++] = (gy_deriv){.table = c->t, .row = row, .col = col, .rule = ru, .refoff = c->nrbuf,
                                .nrefs = (uint32_t)nrows, .value = value};
    c->nrbuf += nrows;
}

void gy_derivs_free(gy_derivs *dv)
{
    if (!dv)
        return;
    free(dv->v);
    for (size_t i = 0; i < dv->npools; i++)
        free(dv->pools[i]);
    free(dv->pools);
    memset(dv, 0, sizeof *dv);
}

/* ---- a rule's leaves: row(LABEL), total() --------------------------------- */

static const gy_row *label_row(ctx *c, size_t row, const char *label)
{
    const gy_table *t = c->t;
    if (!c->labels_built) {
        c->labels_built = true;
        if (t->nrows < UINT32_MAX / 2)
            c->ldup = calloc(t->nrows ? t->nrows : 1, sizeof *c->ldup);
        if (!c->ldup || !rowidx_init(&c->labels, t->nrows)) {
            c->oom = true;
            return NULL;
        }
        /* the first row of each (group, label) */
        for (size_t i = 0; i < t->nrows; i++) {
            const char *lab = gy_row_label(t, &t->rows[i]);
            uint64_t h = label_hash(c->group[i], lab);
            const rowidx *x = &c->labels;
            bool seen = false;
            for (size_t s = (size_t)h & (x->cap - 1); x->s[s].row && !seen; s = (s + 1) & (x->cap - 1)) {
                size_t q = x->s[s].row - 1;
                seen = x->s[s].tag == tag_of(h) && c->group[q] == c->group[i] &&
                       !strcmp(gy_row_label(t, &t->rows[q]), lab);
                /* a second row of the same label: a reference to it is
                 * ambiguous (never silently the first) */
                if (seen && c->ldup && !c->ldup[q])
                    c->ldup[q] = (uint32_t)i + 1;
            }
            if (!seen)
                rowidx_add(&c->labels, h, i);
        }
    }
    if (!c->labels.cap)
        return NULL;
    uint64_t h = label_hash(c->group[row], label);
    const rowidx *x = &c->labels;
    for (size_t s = (size_t)h & (x->cap - 1); x->s[s].row; s = (s + 1) & (x->cap - 1)) {
        size_t q = x->s[s].row - 1;
        if (x->s[s].tag == tag_of(h) && c->group[q] == c->group[row] && !strcmp(gy_row_label(t, &t->rows[q]), label))
            return &t->rows[q];
    }
    return NULL;
}

/* total(col) of a group: the item rows of the group at its lowest level,
 * in row order (the first unknown value, or an overflow, makes it
 * unknown); computed for all groups in one pass per column */
static const gtotal *group_total(ctx *c, int col, size_t grp)
{
    const gy_table *t = c->t;
    if (!c->tot[col]) {
        gtotal *g = calloc(c->ngroups ? c->ngroups : 1, sizeof *g);
        if (!g) {
            c->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *q = &t->rows[i];
            gtotal *x = &g[c->group[i]];
            if (x->st || !counts_in_total(t, q) || q->level != c->minlev[c->group[i]])
                continue;
            val v = cell_val(t, i, col);
            if (v.st == V_UNKNOWN) {
                x->st = 1;
                x->bad = i;
            } else if (__builtin_add_overflow(x->sum, v.v, &x->sum)) {
                x->st = 2;
            }
        }
        c->tot[col] = g;
    }
    return &c->tot[col][grp];
}

/* record a total(): the count of rows and their offset in the pool, the
 * list built once per (column, group) */
static void rec_total(ctx *c, int col, size_t grp)
{
    const gy_table *t = c->t;
    if (!c->totoff && !(c->totoff = calloc(t->def->ncols, sizeof *c->totoff))) {
        c->oom = true;
        return;
    }
    if (!c->totoff[col]) {
        c->totoff[col] = malloc((c->ngroups ? c->ngroups : 1) * sizeof **c->totoff);
        if (!c->totoff[col]) {
            c->oom = true;
            return;
        }
        memset(c->totoff[col], 0xff, (c->ngroups ? c->ngroups : 1) * sizeof **c->totoff);
    }
    size_t a = c->gstart[grp], b = c->gstart[grp + 1];
    if (c->totoff[col][grp] == SIZE_MAX) {
        /* the pool holds the count, then the rows */
        size_t off = c->npool;
        if (!gyv_reserve(c, &c->pool, c->npool, &c->cappool, 1))
            return;
        c->pool[c->npool++] = 0;
        for (size_t k = a; k < b; k++) {
            const gy_row *q = &t->rows[c->grows[k]];
            if (!counts_in_total(t, q) || q->level != c->minlev[grp])
                continue;
            if (!gyv_reserve(c, &c->pool, c->npool, &c->cappool, 1))
                return;
            c->pool[c->npool++] = c->grows[k];
        }
        c->pool[off] = c->npool - off - 1;
        c->totoff[col][grp] = off;
    }
    size_t off = c->totoff[col][grp];
    gyv_rec_ref(c, c->pool[off]);
    gyv_rec_ref(c, off + 1);
}

/* ---- expressions (operators: expr.c) ------------------------------------ */

/* the decimals a column's values are stored with */
static int col_decimals(const gy_coldef *cd)
{
    return gy_col_decimals(cd);
}

/* a value of column col as an exact rational */
static gy_xval to_x(const gy_tabledef *d, int col, val v)
{
    gy_xval r = {v.st == V_OK ? GY_XV_OK : v.st == V_NIL ? GY_XV_NIL : GY_XV_UNKNOWN, {0, 1}};
    if (r.st != GY_XV_OK)
        return r;
    int dec = col_decimals(&d->cols[col]);
    if (dec == 0 && v.v != INT64_MIN)
        r.v.n = v.v; /* an integer column: the value itself */
    else if (!gy_rat_scaled(v.v, dec, &r.v))
        r.st = GY_XV_OVERFLOW;
    return r;
}

/* a row reference that matches two rows of the group: an error at the
 * second row (once), and the rule is not checked there */
static bool ref_unique(ctx *c, const gy_row *r, const gy_expr *e, size_t row)
{
    const gy_table *t = c->t;
    size_t q = gy_rowi(t, r);
    uint32_t dup = c->ldup ? c->ldup[q] : 0;
    if (!dup)
        return true;
    c->refbad = true;
    if (!(dup & 0x80000000u) && c->cur) {
        size_t second = (dup & 0x7fffffffu) - 1;
        c->ldup[q] = dup | 0x80000000u;
        gy_cell lc;
        gyv_add_finding(c, GY_SEV_ERROR, "reference", second, t->def->label_col, cell_text(t, second, t->def->label_col, &lc),
                        "", false, 0,
                        "行ラベル「%s」の行が 2 つあり (%u 行目と %u 行目)、規則の参照 @「%s」(%s:%u:%u) がどちらの行か決まりません (規則: %s)",
                        e->row, t->rows[q].line, t->rows[second].line, e->row, t->def->path, c->cur->line, e->pos,
                        c->cur->text);
    }
    (void)row;
    return false;
}

/* a row reference that matches no row of the group: when no row of the
 * whole table has the label, an error (once per reference) at the first
 * row it is evaluated on, naming the definition's file:line:col; when
 * another group has it, the row cannot be checked (base-absent) */
static void ref_missing(ctx *c, const gy_expr *e, size_t row)
{
    const gy_table *t = c->t;
    for (size_t i = 0; i < c->nmissed; i++)
        if (c->missed[i] == e) {
            c->refbad = c->missedall[i];
            return;
        }
    bool none = true;
    for (size_t i = 0; i < t->nrows && none; i++)
        none = strcmp(gy_row_label(t, &t->rows[i]), e->row) != 0;
    const gy_expr **nv = realloc(c->missed, (c->nmissed + 1) * sizeof *nv);
    if (nv)
        c->missed = nv;
    bool *na = nv ? realloc(c->missedall, (c->nmissed + 1) * sizeof *na) : NULL;
    if (!na) {
        c->oom = true;
        return;
    }
    c->missedall = na;
    c->missed[c->nmissed] = e;
    c->missedall[c->nmissed++] = none;
    if (!none)
        return; /* another group has it: this row is unchecked (base-absent) */
    c->refbad = true;
    if (!c->cur)
        return;
    gy_cell sc;
    gyv_add_finding(c, GY_SEV_ERROR, "reference", row, c->curtarget, cell_text(t, row, c->curtarget, &sc), "", false, 0,
                    "規則の参照 @「%s」(%s:%u:%u) に当たる行が表にありません (規則: %s)", e->row, t->def->path,
                    c->cur->line, e->pos, c->cur->text);
}

typedef struct xleaf {
    ctx *c;
    size_t row;
} xleaf;

static gy_xval leaf(void *u, const gy_expr *e)
{
    ctx *c = ((xleaf *)u)->c;
    size_t row = ((xleaf *)u)->row;
    const gy_table *t = c->t;
    if (e->op == GY_X_TOTAL) {
        const gtotal *g = group_total(c, e->col, c->group[row]);
        if (!g)
            return (gy_xval){GY_XV_UNKNOWN, {0, 1}};
        if (g->st == 1) {
            if (!c->absent[0])
                snprintf(c->absent, sizeof c->absent, "「%s」の%s", gy_row_label(t, &t->rows[g->bad]),
                         t->def->cols[e->col].name);
            return (gy_xval){GY_XV_UNKNOWN, {0, 1}};
        }
        if (g->st == 2) {
            if (!c->absent[0])
                snprintf(c->absent, sizeof c->absent, "%sの合計の桁あふれ", t->def->cols[e->col].name);
            c->ovf = true;
            return (gy_xval){GY_XV_UNKNOWN, {0, 1}};
        }
        if (c->rec)
            rec_total(c, e->col, c->group[row]);
        return to_x(t->def, e->col, (val){V_OK, g->sum});
    }
    const gy_row *r = &t->rows[row];
    if (e->rowref == GY_R_LABEL) {
        r = label_row(c, row, e->row);
        if (r && !ref_unique(c, r, e, row))
            r = NULL;
        gyv_rec_ref(c, r ? (size_t)(r - t->rows) : GY_DERIV_NOROW);
        if (!r) {
            if (!c->refbad)
                ref_missing(c, e, row);
            if (!c->absent[0])
                snprintf(c->absent, sizeof c->absent, "行「%s」", e->row);
            return (gy_xval){GY_XV_UNKNOWN, {0, 1}};
        }
    } else if (e->rowref == GY_R_PREV) {
        size_t prow = GY_DERIV_NOROW;
        val v = gyv_prev_value(c, row, e->col, &prow);
        gyv_rec_ref(c, prow);
        if (v.st == V_UNKNOWN && !c->absent[0]) {
            snprintf(c->absent, sizeof c->absent, "前年度の「%s」", t->def->cols[e->col].name);
            snprintf(c->what, sizeof c->what, "「%s」", t->def->cols[e->col].name);
            c->akind = 2;
        }
        return to_x(t->def, e->col, v);
    }
    if (e->rowref != GY_R_LABEL)
        gyv_rec_ref(c, row);
    size_t ri = gy_rowi(t, r);
    val v = cell_val(t, ri, e->col);
    if (v.st == V_UNKNOWN && !c->absent[0]) {
        gy_cell cb;
        snprintf(c->absent, sizeof c->absent, "「%s」(%s)", t->def->cols[e->col].name, cell_text(t, ri, e->col, &cb));
        snprintf(c->what, sizeof c->what, "「%s」", t->def->cols[e->col].name);
        c->akind = 1;
    }
    return to_x(t->def, e->col, v);
}

static void event(void *u, gy_xev ev)
{
    ctx *c = ((xleaf *)u)->c;
    if (ev == GY_XE_OVERFLOW) {
        if (!c->absent[0])
            snprintf(c->absent, sizeof c->absent, "桁あふれ");
        c->ovf = true;
    } else if (!c->absent[0]) {
        snprintf(c->absent, sizeof c->absent, "分母");
    }
}

/* evaluate a rule's expression on a row: its value at the target's scale
 * (rounded half up when it has more decimals: *rounded, and *down the
 * value truncated instead); `trunc`: pct() truncates */
static val eval_x(ctx *c, const gy_expr *e, size_t row, int target, bool trunc, bool *rounded, int64_t *down)
{
    const gy_coldef *cd = &c->t->def->cols[target];
    xleaf u = {c, row};
    gy_xenv env = {leaf, event, &u, cd->scale, cd->decimals, trunc};
    if (cd->type != GY_T_RATIO)
        env.scale = 1, env.decimals = gy_col_decimals(cd);
    atomic_fetch_add_explicit(&rule_evals, 1, memory_order_relaxed);
    gy_xval x = gy_expr_eval(e, &env);
    int64_t v = 0, dn = 0;
    bool rd = false;
    gy_xst st = gy_expr_target(x, env.decimals, &v, &rd, &dn);
    if (rounded)
        *rounded = rd;
    if (down)
        *down = dn;
    switch (st) {
    case GY_XV_OK: return (val){V_OK, v};
    case GY_XV_NIL: return (val){V_NIL, 0};
    case GY_XV_ALLUP: return (val){V_ALLUP, 0};
    case GY_XV_NONE: return (val){V_NONE, 0};
    case GY_XV_OVERFLOW: event(&u, GY_XE_OVERFLOW); return (val){V_UNKNOWN, 0};
    case GY_XV_UNKNOWN: break;
    }
    return (val){V_UNKNOWN, 0};
}

val gyv_eval(ctx *c, const gy_expr *e, size_t row, int target)
{
    return eval_x(c, e, row, target, false, NULL, NULL);
}

/* the same ratio rounded down (to tell truncation from rounding) */
static bool trunc_pct(ctx *c, const gy_expr *e, size_t row, int target, int64_t *out)
{
    if (e->op != GY_X_PCT)
        return false;
    val v = eval_x(c, e, row, target, true, NULL, NULL);
    *out = v.v;
    return v.st == V_OK;
}

static bool has_sub(const gy_expr *e)
{
    return gy_expr_has(e, GY_X_SUB);
}

/* whether another rule for the same figure could check it (e.g. 増減 from
 * last year's folder when this year's file lacks last year's breakdown):
 * then "cannot be checked" would be wrong */
static bool checked_otherwise(ctx *c, const gy_rule *ru, size_t row)
{
    const gy_tabledef *d = c->t->def;
    char saved[sizeof c->absent];
    memcpy(saved, c->absent, sizeof saved);
    bool saved_ovf = c->ovf, ok = false;
    for (size_t k = 0; k < d->nrules && !ok; k++) {
        const gy_rule *o = &d->rules[k];
        if (o == ru || o->target != ru->target || !gy_rule_applies(c->t, o, &c->t->rows[row]))
            continue;
        if (!c->prev && c->t->def->fy_col < 0 && has_prev(o->expr))
            continue;
        const gy_rule *sv = c->cur;
        int st = c->curtarget;
        bool rb = c->refbad;
        c->cur = o;
        c->curtarget = o->target;
        ok = gyv_eval(c, o->expr, row, o->target).st != V_UNKNOWN;
        c->cur = sv;
        c->curtarget = st;
        c->refbad = rb;
    }
    memcpy(c->absent, saved, sizeof saved);
    c->ovf = saved_ovf;
    return ok;
}

/* another rule for ru's target that holds on this row (its bases present,
 * its value the stated figure): the target is confirmed, so a
 * disagreement of ru lies in ru's items; NULL if none */
static const gy_rule *confirmed_by(ctx *c, const gy_rule *ru, size_t row, int64_t stated)
{
    const gy_tabledef *d = c->t->def;
    char saved[sizeof c->absent], savedw[sizeof c->what];
    memcpy(saved, c->absent, sizeof saved);
    memcpy(savedw, c->what, sizeof savedw);
    bool saved_ovf = c->ovf;
    int saved_akind = c->akind;
    const gy_rule *by = NULL;
    for (size_t k = 0; k < d->nrules && !by; k++) {
        const gy_rule *o = &d->rules[k];
        if (o == ru || o->target != ru->target || !gy_rule_applies(c->t, o, &c->t->rows[row]))
            continue;
        if (!c->prev && c->t->def->fy_col < 0 && has_prev(o->expr))
            continue;
        const gy_rule *sv = c->cur;
        int st = c->curtarget;
        bool rb = c->refbad;
        c->cur = o;
        c->curtarget = o->target;
        c->absent[0] = c->what[0] = '\0';
        val v = gyv_eval(c, o->expr, row, o->target);
        if (v.st == V_OK && v.v == stated && !c->refbad)
            by = o;
        c->cur = sv;
        c->curtarget = st;
        c->refbad = rb;
    }
    memcpy(c->absent, saved, sizeof saved);
    memcpy(c->what, savedw, sizeof savedw);
    c->ovf = saved_ovf;
    c->akind = saved_akind;
    return by;
}

/* the columns of this row a sum or difference reads, in order, each once;
 * false if it reads anything else (another row, a total, a number) */
static bool row_items(const gy_expr *e, int *cols, size_t *n, size_t max)
{
    switch (e->op) {
    case GY_X_ADD:
    case GY_X_SUB:
        return row_items(e->a, cols, n, max) && row_items(e->b, cols, n, max);
    case GY_X_REF:
        if (e->rowref != GY_R_SAME)
            return false;
        for (size_t i = 0; i < *n; i++)
            if (cols[i] == e->col)
                return true;
        if (*n == max)
            return false;
        cols[(*n)++] = e->col;
        return true;
    default:
        return false;
    }
}

/* a sum or difference rule that disagrees while another rule confirms its
 * target (増減額 = C − A holds, its breakdown by 財源 does not add up to
 * it): the finding is about the items, at the first with the others in
 * `also`; stated is what the items make, computed the confirmed target */
static bool items_finding(ctx *c, const gy_rule *ru, size_t row, int64_t stated, int64_t items, const char *rname)
{
    const gy_table *t = c->t;
    const gy_rule *by = confirmed_by(c, ru, row, stated);
    int cols[64];
    size_t n = 0;
    if (!by || !row_items(ru->expr, cols, &n, sizeof cols / sizeof *cols) || !n)
        return false;
    gy_finding g = {.sev = GY_SEV_ERROR, .rule = rname, .has_computed = true, .computed_v = stated};
    if (n > 1) {
        if (!(g.also = malloc((n - 1) * sizeof *g.also))) {
            c->oom = true;
            return true;
        }
        memcpy(g.also, cols + 1, (n - 1) * sizeof *g.also);
        g.nalso = n - 1;
    }
    char sb[64], ib[64], db[64];
    fmt_val(t, ru->target, stated, sb, sizeof sb);
    fmt_val(t, ru->target, items, ib, sizeof ib);
    fmt_val(t, ru->target, stated > items ? stated - items : items - stated, db, sizeof db);
    const char *rhs = strchr(ru->text, '=');
    rhs = rhs ? rhs + 1 : ru->text;
    while (*rhs == ' ')
        rhs++;
    gyv_add_findingv_l(c, &g, row, cols[0], ib, sb,
                       "内訳 %s = %s が「%s」の記載 %s と %s 違います。「%s」は %s のとおりなので、違うのは内訳です (規則: %s)",
                       rhs, ib, t->def->cols[ru->target].label, sb, db, t->def->cols[ru->target].label, by->text,
                       ru->text);
    return true;
}

void gyv_check_rule(ctx *c, const gy_rule *ru, size_t row)
{
    /* a rule across fiscal years applies only when input/ holds the
     * previous year's table (or the table has a year column) */
    if (!c->prev && c->t->def->fy_col < 0 && has_prev(ru->expr))
        return;
    const gy_table *t = c->t;
    /* the stated figure: its value here, its text only for a finding */
    struct {
        gy_nil nil;
        int64_t v;
    } stv = {gy_tnil(t, row, ru->target), gy_tv(t, row, ru->target)}, *st = &stv;
    const gy_coldef *cd = &t->def->cols[ru->target];
    if (st->nil == GY_NIL_NA)
        return; /* the department says: not applicable */
    c->absent[0] = '\0';
    c->what[0] = '\0';
    c->akind = 0;
    c->ovf = false;
    c->nrefs = 0;
    c->rec = c->dv != NULL;
    bool rounded = false;
    int64_t down = 0;
    c->cur = ru;
    c->curtarget = ru->target;
    c->refbad = false;
    val v = eval_x(c, ru->expr, row, ru->target, false, &rounded, &down);
    c->rec = false;
    c->cur = NULL;
    if (v.st == V_OK && st->nil == GY_NIL_NONE && st->v == v.v) {
        /* the figure agrees: nothing to format, only the derivation */
        if (c->dv)
            gyv_add_deriv(c, row, ru->target, ru, "rule", c->refs, c->nrefs, v.v);
        return;
    }
    char sb[64], cb[64];
    if (st->nil == GY_NIL_NONE) {
        fmt_val(t, ru->target, st->v, sb, sizeof sb);
    } else {
        gy_cell stc;
        snprintf(sb, sizeof sb, "%s", cell_text(t, row, ru->target, &stc));
    }
    bool ratio = ru->expr->op == GY_X_PCT;
    bool arith = gy_expr_has(ru->expr, GY_X_MUL) || gy_expr_has(ru->expr, GY_X_DIV) ||
                 gy_expr_has(ru->expr, GY_X_ROUND) || gy_expr_has(ru->expr, GY_X_TRUNC);
    const char *rname = ratio ? "ratio" : arith ? "formula" : has_sub(ru->expr) ? "difference" : "rowsum";
    switch (v.st) {
    case V_UNKNOWN:
        if (c->ovf) { /* figures no budget has: an error, named as such */
            gyv_add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, "", false, 0,
                            "計算が扱える範囲 (±9,223,372,036,854,775,807) を超えるため「%s」を検算できません (%s、規則: %s)",
                            cd->label, c->absent, ru->text);
            return;
        }
        if (c->refbad) /* a reference to no row or two rows: reported once */
            return;
        if (st->nil == GY_NIL_NONE && !checked_otherwise(c, ru, row))
            gyv_add_info(c,
                         c->akind == 1   ? "{what} の記載がない (…) ため {n} の数値を検算できません"
                         : c->akind == 2 ? "前年度の表に {what} がないため {n} の数値を検算できません"
                                         : "{what} がないため {n} の数値を検算できません",
                         c->what[0] ? c->what : c->absent[0] ? c->absent : "基礎の値", "base-absent", row, ru->target,
                         sb, "", false, 0, "%s がないため「%s」を検算できません (規則: %s)",
                         c->absent[0] ? c->absent : "基礎の値", cd->label, ru->text);
        return;
    case V_ALLUP:
    case V_NONE:
        if (st->nil == GY_NIL_NONE)
            gyv_add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, v.st == V_ALLUP ? "皆増" : "-", false, 0,
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
        gyv_add_deriv(c, row, ru->target, ru, rname, c->refs, c->nrefs, v.v);
    if (st->nil != GY_NIL_NONE) {
        if (v.v != 0)
            gyv_add_info(c, "記載のない {n} の数値は、再計算すると値があります ({what})", cd->label, "unstated", row,
                         ru->target, "", cb, true, v.v, "「%s」は記載がありませんが、再計算すると %s です (規則: %s)",
                         cd->label, cb, ru->text);
        return;
    }
    if (st->v == v.v)
        return;
    if (ratio) {
        int64_t tr;
        gy_tolerance tol = gy_tolerance_default();
        int64_t diff = st->v > v.v ? st->v - v.v : v.v - st->v;
        if (trunc_pct(c, ru->expr, row, ru->target, &tr) && tr == st->v) {
            gyv_add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                            "%s は切り捨ての値です。四捨五入すると %s (規則: %s)", sb, cb, ru->text);
            return;
        }
        if (diff <= tol.ratio_units) {
            gyv_add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                            "%s は四捨五入の値 %s と末位が 1 違います (規則: %s)", sb, cb, ru->text);
            return;
        }
        gyv_add_finding(c, GY_SEV_ERROR, "ratio", row, ru->target, sb, cb, true, v.v,
                        "比率が合いません: 記載 %s、再計算 %s (規則: %s)", sb, cb, ru->text);
        return;
    }
    if (rounded && down == st->v) {
        /* the value has more decimals than the column holds: rounded half
         * up to compare; a figure cut off instead is a convention */
        gyv_add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                        "%s は切り捨ての値です。四捨五入すると %s (規則: %s)", sb, cb, ru->text);
        return;
    }
    if ((ru->expr->op == GY_X_ADD || ru->expr->op == GY_X_SUB) && items_finding(c, ru, row, st->v, v.v, rname))
        return;
    char db[64];
    fmt_val(t, ru->target, st->v > v.v ? st->v - v.v : v.v - st->v, db, sizeof db);
    gyv_add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, cb, true, v.v,
                    "記載 %s と再計算 %s が %s 違います (規則: %s)", sb, cb, db, ru->text);
}
