/* verify_sums.c - 小計, 計 and parents against the rows they sum
 *
 * A nested table's scopes and children (found once), the rows an
 * aggregate row counts (`counts`, 再掲), `total across` another group
 * column, each sum compared (a column of rounded shares within its
 * rounding) and recorded as a derivation. Tested by
 * tests/unit/test_verify.c and test_rows.c (the work stays linear).
 */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

/* the position of row i among its group's rows (grows) */
static size_t group_pos(const ctx *c, size_t i)
{
    size_t g = c->group[i], lo = c->gstart[g], hi = c->gstart[g + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->grows[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - c->gstart[g];
}

/* ---- sums ---------------------------------------------------------------- */

/* whether row i counts in the sum being checked (c->cmask, c->cself) */
static bool sum_counts(const ctx *c, size_t i)
{
    const gy_row *q = &c->t->rows[i];
    if (i + 1 == c->cself)
        return false;
    return c->cmask ? (c->cmask >> q->role) & 1u : counts_in_total(c->t, q);
}

/* Whether a rule derives the ratio cell (row, col) of an aggregate or
 * parent row: its share is then its own amount over the whole (the
 * rule's figure, e.g. pct(企業数, total(企業数))), and the workbook writes
 * that rule's formula, not the rounded sum of the children's rounded
 * shares; the sum is still compared (a rounding warning). */
static bool share_by_rule(ctx *c, size_t row, int col)
{
    const gy_tabledef *d = c->t->def;
    if (d->cols[col].type != GY_T_RATIO || gy_tnil(c->t, row, col) != GY_NIL_NONE)
        return false;
    char saved[sizeof c->absent];
    memcpy(saved, c->absent, sizeof saved);
    bool saved_ovf = c->ovf, saved_rec = c->rec, ok = false;
    c->rec = false;
    for (size_t k = 0; k < d->nrules && !ok; k++) {
        const gy_rule *ru = &d->rules[k];
        if (ru->target != col || !gy_rule_applies(c->t, ru, &c->t->rows[row]))
            continue;
        if (!c->prev && d->fy_col < 0 && has_prev(ru->expr))
            continue; /* not applied (check_rule) */
        ok = gyv_eval(c, ru->expr, row, col).st == V_OK;
    }
    memcpy(c->absent, saved, sizeof saved);
    c->ovf = saved_ovf;
    c->rec = saved_rec;
    return ok;
}

/* sum of `col` over rows [a, b) selected by pred; returns false if a
 * value is unknown. *nitems counts the rows with a value. */
/* the sum of a column over the item rows of a group in [a, b) at a level;
 * false when a row's value is unknown, or when the sum leaves int64 (then
 * *bad is that row and *ovf is set) */
static bool sum_range(ctx *c, int col, size_t a, size_t b, size_t grp, int level, int64_t *s,
                      size_t *nitems, size_t *bad, bool *ovf)
{
    *ovf = false;
    const gy_table *t = c->t;
    *s = 0;
    *nitems = 0;
    /* the rows of the group from the first one at or after a */
    const uint32_t *gr = c->grows + c->gstart[grp];
    size_t ng = c->gstart[grp + 1] - c->gstart[grp];
    size_t lo = 0, hi = ng;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gr[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < ng && gr[k] < b; k++) {
        size_t i = gr[k];
        const gy_row *q = &t->rows[i];
        c->work++;
        if (q->level != level || !sum_counts(c, i))
            continue;
        val v = cell_val(t, i, col);
        if (v.st == V_UNKNOWN) {
            *bad = i;
            return false;
        }
        if (v.st == V_OK) {
            (*nitems)++;
            if (__builtin_add_overflow(*s, v.v, s)) {
                *bad = i;
                *ovf = true;
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
    if (!c->dv || gy_tnil(c->t, row, col) != GY_NIL_NONE)
        return;
    const gy_table *t = c->t;
    c->nrefs = 0;
    c->rec = true;
    /* the same rows as sum_range: the group's, from the first at or after a */
    const uint32_t *gr = c->grows + c->gstart[grp];
    size_t ng = c->gstart[grp + 1] - c->gstart[grp];
    size_t lo = 0, hi = ng;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gr[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < ng && gr[k] < b; k++) {
        c->work++;
        if (t->rows[gr[k]].level == level && sum_counts(c, gr[k]))
            gyv_rec_ref(c, gr[k]);
    }
    c->rec = false;
    gyv_add_deriv(c, row, col, NULL, kind, c->refs, c->nrefs, s);
}

static void compare_sum(ctx *c, const char *rule, size_t row, int col, int64_t s, size_t nitems,
                        const char *what)
{
    const gy_table *t = c->t;
    gy_nil nil = gy_tnil(t, row, col);
    if (nil == GY_NIL_NA || (nil == GY_NIL_NONE && gy_tv(t, row, col) == s))
        return; /* not applicable, or it agrees: nothing to format */
    gy_cell stc;
    gy_table_cell(t, row, (size_t)col, &stc);
    const gy_cell *st = &stc;
    const gy_coldef *cd = &t->def->cols[col];
    char sb[64], cb[64], db[64];
    fmt_val(t, col, s, cb, sizeof cb);
    if (st->nil == GY_NIL_NONE)
        fmt_val(t, col, st->v, sb, sizeof sb);
    else
        snprintf(sb, sizeof sb, "%s", st->text);
    if (st->nil != GY_NIL_NONE) {
        if (nitems && s != 0)
            gyv_add_info(c, "記載のない {n} の数値は、内訳を足すと値があります ({what})", cd->label, "unstated", row,
                         col, "", cb, true, s, "「%s」の%sは記載がありませんが、%sの合計は %s です",
                         gy_row_label(t, &t->rows[row]), cd->label, what, cb);
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
            gyv_add_finding(c, GY_SEV_WARNING, "rounding", row, col, sb, cb, true, s,
                            "%sの%sを足すと %s で記載 %s と %s 違いますが、各値の四捨五入による差です", what,
                            cd->label, cb, sb, db);
            return;
        }
    }
    gyv_add_finding(c, GY_SEV_ERROR, rule, row, col, sb, cb, true, s,
                    "記載 %s が%sの合計 %s と %s 違います", sb, what, cb, db);
}

/* the scopes, children and child levels of a nested table's rows, in
 * three passes with a stack of rows (each row pushed and popped once):
 * the previous row of a lower level, the next row of a lower level, and
 * the next row of the same level or lower (the rows popped on the way
 * are the chain of lowest levels after the row: the last one popped has
 * the children's level) */
static bool build_scopes(ctx *c)
{
    if (c->slo)
        return true;
    const gy_table *t = c->t;
    size_t n = t->nrows, sp;
    uint32_t *st = gy_malloc_big(n ? n : 1, sizeof *st);
    c->slo = gy_malloc_big(n ? n : 1, sizeof *c->slo);
    c->shi = gy_malloc_big(n ? n : 1, sizeof *c->shi);
    c->pend = gy_malloc_big(n ? n : 1, sizeof *c->pend);
    c->pcl = gy_malloc_big(n ? n : 1, sizeof *c->pcl);
    if (!st || !c->slo || !c->shi || !c->pend || !c->pcl) {
        free(st);
        c->oom = true;
        return false;
    }
    sp = 0;
    for (size_t i = 0; i < n; i++) {
        while (sp && t->rows[st[sp - 1]].level >= t->rows[i].level)
            sp--;
        c->slo[i] = sp ? st[sp - 1] + 1 : 0;
        st[sp++] = (uint32_t)i;
    }
    sp = 0;
    for (size_t i = n; i-- > 0;) {
        while (sp && t->rows[st[sp - 1]].level >= t->rows[i].level)
            sp--;
        c->shi[i] = sp ? st[sp - 1] : (uint32_t)n;
        st[sp++] = (uint32_t)i;
    }
    sp = 0;
    for (size_t i = n; i-- > 0;) {
        int cl = -1;
        while (sp && t->rows[st[sp - 1]].level > t->rows[i].level)
            cl = t->rows[st[--sp]].level;
        c->pend[i] = sp ? st[sp - 1] : (uint32_t)n;
        c->pcl[i] = (signed char)cl;
        st[sp++] = (uint32_t)i;
    }
    free(st);
    return true;
}

/* whether row q lies in another group than row i that agrees with it on
 * every group column but the `total across` one (and on the match column) */
static bool across_member(const ctx *c, size_t i, size_t q)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    if (c->group[q] == c->group[i])
        return false;
    for (size_t j = 0; j < d->ncols; j++)
        if ((d->cols[j].flags & GY_COL_GROUP) && (int)j != d->across_col &&
            strcmp(gy_ttext(t, q, (int)j), gy_ttext(t, i, (int)j)))
            return false;
    if (d->across_match >= 0) {
        gy_cell b1, b2;
        const char *x = any_text(t, q, d->across_match, &b1);
        if (strcmp(x, any_text(t, i, d->across_match, &b2)))
            return false;
    }
    return true;
}

/* `total across COL`: a 計 row i sums, in every other group that agrees
 * with its own on the other group columns (and on the match column), the
 * rows of its level in its scope [a, b) whose role it counts (counts 計:
 * the groups' 小計, or their items) */
static uint64_t across_hash(const ctx *c, size_t q)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    uint64_t h = gy_hash_str((uint64_t)t->rows[q].level * 0x9E3779B97F4A7C15ull + 1, "");
    for (size_t j = 0; j < d->ncols; j++)
        if ((d->cols[j].flags & GY_COL_GROUP) && (int)j != d->across_col)
            h = gy_hash_str(h * 31 + 7, gy_ttext(t, q, (int)j));
    if (d->across_match >= 0) {
        gy_cell b1;
        h = gy_hash_str(h * 31 + 11, any_text(t, q, d->across_match, &b1));
    }
    return h;
}

static int axcmp(const void *x, const void *y)
{
    const struct axpair *p = x, *q = y;
    if (p->h != q->h)
        return p->h < q->h ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

static bool build_ax(ctx *c)
{
    const gy_table *t = c->t;
    c->ax_built = true;
    c->ax = malloc((t->nrows ? t->nrows : 1) * sizeof *c->ax);
    if (!c->ax) {
        c->oom = true;
        return false;
    }
    for (size_t q = 0; q < t->nrows; q++)
        c->ax[q] = (struct axpair){across_hash(c, q), q};
    qsort(c->ax, t->nrows, sizeof *c->ax, axcmp);
    return true;
}

static void check_across(ctx *c, size_t i, size_t a, size_t b)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    const gy_row *r = &t->rows[i];
    size_t *rows = NULL, nr = 0, cap = 0;
    if (!c->ax_built && !build_ax(c))
        return;
    if (!c->ax)
        return;
    /* the rows of i's hash, in row order: those of [a, b) that match */
    uint64_t h = across_hash(c, i);
    size_t lo = 0, hi = t->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ax[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < t->nrows && c->ax[k].h == h; k++) {
        size_t q = c->ax[k].row;
        c->work++;
        if (q < a || q >= b || t->rows[q].level != r->level || !sum_counts(c, q) || !across_member(c, i, q))
            continue;
        if (!gyv_reserve(c, &rows, nr, &cap, 1)) {
            free(rows);
            return;
        }
        rows[nr++] = q;
    }
    for (size_t j = 0; j < d->ncols; j++) {
        if (!(d->cols[j].flags & GY_COL_SUM))
            continue;
        int64_t s = 0;
        size_t n = 0, bad = SIZE_MAX;
        bool ovf = false;
        for (size_t k = 0; k < nr && bad == SIZE_MAX; k++) {
            val v = cell_val(t, rows[k], (int)j);
            if (v.st == V_UNKNOWN)
                bad = rows[k];
            else if (v.st == V_OK) {
                n++;
                if (__builtin_add_overflow(s, v.v, &s)) {
                    bad = rows[k];
                    ovf = true;
                }
            }
        }
        gy_cell c1, c2;
        if (bad != SIZE_MAX) {
            if (ovf)
                gyv_add_finding(c, GY_SEV_ERROR, "sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                "%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため検算できません",
                                d->cols[j].label, gy_row_label(t, &t->rows[bad]));
            else if (gy_tnil(t, i, (int)j) == GY_NIL_NONE)
                gyv_add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません", d->cols[j].label,
                             "base-absent", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                             "「%s」の%sが不明 (%s) のため合計を検算できません", gy_row_label(t, &t->rows[bad]),
                             d->cols[j].label, cell_text(t, bad, (int)j, &c2));
            continue;
        }
        if (c->dv && gy_tnil(t, i, (int)j) == GY_NIL_NONE && !share_by_rule(c, i, (int)j))
            gyv_add_deriv(c, i, (int)j, NULL, "sum", rows, nr, s);
        compare_sum(c, "sum", i, (int)j, s, n, "各グループの行");
    }
    free(rows);
}

/* the sums of the rows [from, upto) (a 計 or a parent among them) */
void gyv_check_sums(ctx *c, size_t from_row, size_t upto)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    bool tree = d->level_col >= 0;
    if (tree && !build_scopes(c))
        return;
    for (size_t i = from_row; i < upto; i++) {
        const gy_row *r = &t->rows[i];
        /* scope: rows around i bounded by rows of a lower level */
        size_t a = i, b = i + 1;
        if (tree) {
            a = c->slo[i];
            b = c->shi[i];
        } else {
            a = 0;
            b = t->nrows;
        }
        if (GY_ROLE_IS_AGGREGATE(r->role)) {
            /* the roles it counts (counts; memo_in_totals), never itself */
            c->cmask = d->counts[r->role];
            c->cself = i + 1;
            if (r->role == GY_ROLE_TOTAL && d->across_col >= 0) {
                check_across(c, i, a, b);
                c->cmask = 0;
                c->cself = 0;
                continue;
            }
            size_t from = a;
            bool sub = r->role != GY_ROLE_TOTAL;
            if (sub) {
                /* back over the rows of the same group to the previous
                 * 小計/計 of its level; aggregate rows right above it
                 * (小計 then 〃(再掲含む。)) sum the same rows */
                const uint32_t *gr = c->grows + c->gstart[c->group[i]];
                bool member = false;
                for (size_t p = group_pos(c, i); p > 0 && gr[p - 1] >= a; p--) {
                    const gy_row *q = &t->rows[gr[p - 1]];
                    c->work++;
                    if (q->level != r->level)
                        continue;
                    if (!GY_ROLE_IS_AGGREGATE(q->role)) {
                        member = true;
                        continue;
                    }
                    if (member) {
                        from = gr[p - 1] + 1;
                        break;
                    }
                }
            }
            size_t to = sub ? i : b;
            for (size_t j = 0; j < d->ncols; j++) {
                if (!(d->cols[j].flags & GY_COL_SUM))
                    continue;
                int64_t s;
                size_t n, bad = 0;
                bool ovf;
                if (!sum_range(c, (int)j, from, to, c->group[i], r->level, &s, &n, &bad, &ovf)) {
                    gy_cell c1, c2;
                    if (ovf)
                        gyv_add_finding(c, GY_SEV_ERROR, "sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                        "%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため"
                                        "検算できません",
                                        d->cols[j].label, gy_row_label(t, &t->rows[bad]));
                    else if (gy_tnil(t, i, (int)j) == GY_NIL_NONE)
                        gyv_add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません",
                                     d->cols[j].label, "base-absent", i, (int)j, cell_text(t, i, (int)j, &c1), "", false,
                                     0, "「%s」の%sが不明 (%s) のため合計を検算できません",
                                     gy_row_label(t, &t->rows[bad]), d->cols[j].label, cell_text(t, bad, (int)j, &c2));
                    continue;
                }
                if (!share_by_rule(c, i, (int)j))
                    sum_deriv(c, "sum", i, (int)j, from, to, c->group[i], r->level, s);
                compare_sum(c, "sum", i, (int)j, s, n,
                            r->role == GY_ROLE_SUBTOTAL        ? "小計の対象行"
                            : r->role == GY_ROLE_SUBTOTAL_MEMO ? "再掲を含む小計の対象行"
                                                               : "各行");
            }
            c->cmask = 0;
            c->cself = 0;
            continue;
        }
        /* parent-sum: an item followed by deeper rows */
        if (!tree || r->role != GY_ROLE_ITEM || c->pcl[i] < 0)
            continue;
        size_t e = c->pend[i];
        int cl = c->pcl[i];
        int has_total = -1; /* a total row among the children: not known yet */
        for (size_t j = 0; j < d->ncols; j++) {
            if (!(d->cols[j].flags & GY_COL_SUM) || gy_tnil(t, i, (int)j) != GY_NIL_NONE)
                continue;
            int64_t s;
            size_t n, bad = 0;
            bool ovf;
            if (!sum_range(c, (int)j, i + 1, e, c->group[i], cl, &s, &n, &bad, &ovf)) {
                gy_cell c1;
                if (ovf)
                    gyv_add_finding(c, GY_SEV_ERROR, "parent-sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                    "内訳の%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため"
                                    "検算できません",
                                    d->cols[j].label, gy_row_label(t, &t->rows[bad]));
                else
                    gyv_add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません", d->cols[j].label,
                                 "base-absent", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                 "内訳「%s」の%sが不明のため検算できません", gy_row_label(t, &t->rows[bad]),
                                 d->cols[j].label);
                continue;
            }
            if (n == 0)
                continue; /* no child states an amount: nothing to check */
            /* a total row among the children already sums them (looked
             * for once per parent) */
            if (has_total < 0) {
                has_total = 0;
                for (size_t k = i + 1; k < e && !has_total; k++) {
                    c->work++;
                    if (t->rows[k].level == cl && t->rows[k].role == GY_ROLE_TOTAL)
                        has_total = 1;
                }
            }
            if (has_total)
                continue;
            if (!share_by_rule(c, i, (int)j))
                sum_deriv(c, "parent-sum", i, (int)j, i + 1, e, c->group[i], cl, s);
            compare_sum(c, "parent-sum", i, (int)j, s, n, "内訳");
        }
    }
}
