/* verify_prev.c - last year's rows: what @前年 reads
 *
 * The rows one fiscal year earlier that correspond to a row (the previous
 * year folder's table, or the same table when it has a fiscal-year key):
 * matched on role and key columns through a hash index, and through the
 * 組替 lines (renames, merges, moves) of 組替.csv. prev_value gives rules
 * a column's value there; gy_verify_prev_columns says which columns the
 * next year reads; gy_verify_prev_rows names the rows for `gaiyo explain`.
 * Tested by tests/unit/test_verify.c (@前年, 組替).
 */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

/* the key of a row for matching across years: role, fy value (when the
 * table has an fy key), the texts of the key and group columns */
static bool is_keycol(const gy_tabledef *d, size_t j, int skip)
{
    return (int)j != skip && (d->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP));
}

/* the key texts folded in column order */
static uint64_t key_fold(const gy_tabledef *d, const char *const *vals, int skip)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < d->ncols; j++)
        if (is_keycol(d, j, skip))
            h = hash_str(h, vals[j]);
    return h;
}

static uint64_t prev_mix(uint64_t kh, int role, int64_t fy, int skip)
{
    uint64_t h = hash_int(kh, role);
    return skip >= 0 ? hash_int(h, fy) : h;
}

static uint64_t prev_hash(const gy_tabledef *d, int role, int64_t fy, const char *const *vals, int skip)
{
    return prev_mix(key_fold(d, vals, skip), role, fy, skip);
}

/* a row's key fold, from its key and group columns' texts */
static uint64_t row_fold(const gy_table *t, const gy_tabledef *d, size_t row, int skip, const char **vals)
{
    for (size_t j = 0; j < d->ncols; j++)
        if (is_keycol(d, j, skip))
            vals[j] = gy_ttext(t, row, (int)j);
    return key_fold(d, vals, skip);
}

enum { PREFETCH_AHEAD = 16 }; /* rows whose hash slot is fetched ahead of use */

enum { HASH_CHUNK = 4096 }; /* rows hashed ahead of their lookups (a chunk at a time) */

static bool build_previdx(ctx *c)
{
    const gy_table *pt = c->prev;
    const gy_tabledef *d = c->t->def;
    int fc = d->fy_col;
    c->previdx_built = true;
    if (pt->nrows >= UINT32_MAX - 1 || !rowidx_init(&c->previdx, pt->nrows))
        return false; /* a slot names a row in 32 bits */
    const char **vals = calloc(d->ncols ? d->ncols : 1, sizeof *vals);
    uint64_t *hs = malloc(HASH_CHUNK * sizeof *hs);
    if (!vals || !hs) {
        free(vals);
        free(hs);
        return false;
    }
    /* a chunk's hashes first (the rows in order), then its inserts, each
     * slot fetched a few rows ahead: a big table is mostly cache misses */
    const rowidx *x = &c->previdx;
    for (size_t a = 0; a < pt->nrows; a += HASH_CHUNK) {
        size_t n = pt->nrows - a < HASH_CHUNK ? pt->nrows - a : HASH_CHUNK;
        for (size_t i = 0; i < n; i++)
            hs[i] = prev_mix(row_fold(pt, d, a + i, fc, vals), pt->rows[a + i].role,
                             fc >= 0 ? gy_tv(pt, a + i, fc) : 0, fc);
        for (size_t i = 0; i < n; i++) {
            if (i + PREFETCH_AHEAD < n)
                __builtin_prefetch(&x->s[hs[i + PREFETCH_AHEAD] & (x->cap - 1)], 1);
            if (fc >= 0 && gy_tnil(pt, a + i, fc) != GY_NIL_NONE)
                continue;
            rowidx_add(&c->previdx, hs[i], a + i);
        }
    }
    free(hs);
    free(vals);
    return true;
}

#define MEMO_SLOW UINT32_MAX

/* whether a 組替 line gives row `row` another key to look for */
static bool remapped(const ctx *c, size_t row)
{
    if (!c->nremaps)
        return false;
    const gy_table *t = c->t;
    const char *label = gy_row_label(t, &t->rows[row]);
    for (size_t m = 0; m < c->nremaps; m++) {
        const remap *k = &c->remaps[m];
        if (!strcmp(k->now, gy_ttext(t, row, k->col)) && (!k->target || !k->target[0] || !strcmp(k->target, label)))
            return true;
    }
    return false;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The rows one fiscal year earlier that correspond to row `row`: the same
 * row (or, through the 組替, the rows it was renamed from or merged from)
 * in the same table when it has an fy key column, else in the previous
 * year's folder. A previous row corresponds when its role is the same and
 * each key column holds this row's text or a 旧 that the 組替 maps onto it
 * (for this row's label, when 対象 is given); they are found through the
 * hash index of their keys, one lookup per combination of such texts.
 * *found (malloc'd, NULL when none) in the order of the previous table;
 * returns how many, or SIZE_MAX when out of memory. */
static size_t prev_rows(ctx *c, size_t row, size_t **found)
{
    const gy_table *t = c->t, *pt = c->prev;
    const gy_tabledef *d = t->def;
    const gy_row *r = &t->rows[row];
    int fc = d->fy_col;
    int64_t want = fc >= 0 ? gy_tv(t, row, fc) - 1 : 0;
    *found = NULL;
    /* candidate texts per key column: its own, then the 旧 mapped onto it */
    const char *label = gy_row_label(t, r);
    size_t ncols = d->ncols, ncand = 0, nfound = 0, capfound = 0;
    const char **cand = malloc((ncols + c->nremaps + 1) * sizeof *cand);
    size_t *nc = calloc(ncols + 1, sizeof *nc), *off = calloc(ncols + 1, sizeof *off),
           *pick = calloc(ncols + 1, sizeof *pick);
    const char **vals = calloc(ncols + 1, sizeof *vals);
    bool oom = !cand || !nc || !off || !pick || !vals;
    size_t combos = 1;
    for (size_t j = 0; j < ncols && !oom; j++) {
        off[j] = ncand;
        if (!is_keycol(d, j, fc))
            continue;
        const char *a = gy_ttext(t, row, (int)j);
        cand[ncand++] = a;
        nc[j] = 1;
        for (size_t m = 0; m < c->nremaps; m++) {
            const remap *k = &c->remaps[m];
            if (k->col != (int)j || strcmp(k->now, a) || (k->target && k->target[0] && strcmp(k->target, label)))
                continue;
            bool dup = false;
            for (size_t u = off[j]; u < ncand && !dup; u++)
                dup = !strcmp(cand[u], k->old);
            if (!dup) {
                cand[ncand++] = k->old;
                nc[j]++;
            }
        }
        combos *= nc[j];
    }
    /* every combination: look up, collect the rows found */
    for (size_t k = 0; k < combos && !oom; k++) {
        for (size_t j = 0; j < ncols; j++)
            vals[j] = nc[j] ? cand[off[j] + pick[j]] : NULL;
        uint64_t h = prev_hash(d, r->role, want, vals, fc);
        const rowidx *x = &c->previdx;
        for (size_t s = (size_t)h & (x->cap - 1); x->s[s].row; s = (s + 1) & (x->cap - 1)) {
            if (x->s[s].tag != tag_of(h))
                continue;
            size_t qi = x->s[s].row - 1;
            const gy_row *q = &pt->rows[qi];
            if (q->role != r->role || (fc >= 0 && gy_tv(pt, qi, fc) != want))
                continue;
            bool same = true;
            for (size_t j = 0; j < ncols && same; j++)
                if (nc[j] && strcmp(gy_ttext(pt, qi, (int)j), vals[j]))
                    same = false;
            if (!same)
                continue;
            if (nfound == capfound) {
                size_t ncap = capfound ? capfound * 2 : 4;
                size_t *nv = realloc(*found, ncap * sizeof *nv);
                if (!nv) {
                    oom = true;
                    break;
                }
                *found = nv;
                capfound = ncap;
            }
            (*found)[nfound++] = qi;
        }
        /* next combination (odometer) */
        for (size_t j = 0; j < ncols; j++) {
            if (nc[j] < 2)
                continue;
            if (++pick[j] < nc[j])
                break;
            pick[j] = 0;
        }
    }
    free(cand);
    free(nc);
    free(off);
    free(pick);
    free(vals);
    if (oom) {
        free(*found);
        *found = NULL;
        return SIZE_MAX;
    }
    /* in the order of the previous table, as they stand there */
    if (nfound > 1)
        qsort(*found, nfound, sizeof **found, cmp_size);
    return nfound;
}

/* The previous year's row of every row at once (see prev_rows): one row
 * (memo = row + 1) or none (0); several rows (a merge through the 組替)
 * stay MEMO_SLOW, for prev_value to sum. Rows with one key to look for are
 * looked up a chunk at a time, hash slots fetched ahead; the 組替's rows
 * one by one. When no row needs the index any more, it goes. */
static bool build_prevmemo(ctx *c)
{
    const gy_table *t = c->t, *pt = c->prev;
    const gy_tabledef *d = t->def;
    int fc = d->fy_col;
    size_t n = t->nrows;
    c->prevmemo_built = true;
    c->prevmemo = malloc((n ? n : 1) * sizeof *c->prevmemo);
    uint64_t *hs = malloc(HASH_CHUNK * sizeof *hs);
    const char **vals = calloc(d->ncols ? d->ncols : 1, sizeof *vals);
    if (!c->prevmemo || !hs || !vals) {
        free(hs);
        free(vals);
        free(c->prevmemo);
        c->prevmemo = NULL; /* never read half built (prev_value) */
        return false;
    }
    const rowidx *x = &c->previdx;
    bool oom = false;
    size_t nslow = 0;
    for (size_t a = 0; a < n && !oom; a += HASH_CHUNK) {
        size_t m = n - a < HASH_CHUNK ? n - a : HASH_CHUNK;
        for (size_t k = 0; k < m; k++) {
            size_t i = a + k;
            c->prevmemo[i] = 0;
            hs[k] = 0; /* fetched ahead even when not looked up */
            if (fc >= 0 && gy_tnil(t, i, fc) != GY_NIL_NONE)
                continue; /* no year: prev_value does not look */
            if (remapped(c, i)) {
                c->prevmemo[i] = MEMO_SLOW;
                continue;
            }
            hs[k] = prev_mix(row_fold(t, d, i, fc, vals), t->rows[i].role, fc >= 0 ? gy_tv(t, i, fc) - 1 : 0, fc);
        }
        for (size_t k = 0; k < m; k++) {
            size_t i = a + k;
            if (k + PREFETCH_AHEAD < m && c->prevmemo[i + PREFETCH_AHEAD] != MEMO_SLOW)
                __builtin_prefetch(&x->s[hs[k + PREFETCH_AHEAD] & (x->cap - 1)]);
            if (c->prevmemo[i] == MEMO_SLOW) {
                /* through the 組替: the general search, once */
                size_t *found, nf = prev_rows(c, i, &found);
                if (nf == SIZE_MAX)
                    oom = true;
                else if (nf <= 1)
                    c->prevmemo[i] = nf ? (uint32_t)(found[0] + 1) : 0;
                else
                    nslow++;
                free(found);
                continue;
            }
            if (fc >= 0 && gy_tnil(t, i, fc) != GY_NIL_NONE)
                continue;
            int64_t want = fc >= 0 ? gy_tv(t, i, fc) - 1 : 0;
            size_t found = 0, nfound = 0;
            for (size_t sl = (size_t)hs[k] & (x->cap - 1); x->s[sl].row; sl = (sl + 1) & (x->cap - 1)) {
                if (x->s[sl].tag != tag_of(hs[k]))
                    continue;
                size_t qi = x->s[sl].row - 1;
                if (pt->rows[qi].role != t->rows[i].role || (fc >= 0 && gy_tv(pt, qi, fc) != want))
                    continue;
                bool same = true;
                for (size_t j = 0; j < d->ncols && same; j++)
                    if (is_keycol(d, j, fc) && strcmp(gy_ttext(pt, qi, (int)j), gy_ttext(t, i, (int)j)))
                        same = false;
                if (same) {
                    found = qi;
                    nfound++;
                }
            }
            if (nfound > 1)
                nslow++;
            c->prevmemo[i] = nfound == 0 ? 0 : nfound == 1 ? (uint32_t)(found + 1) : MEMO_SLOW;
        }
    }
    free(hs);
    free(vals);
    if (!oom && !nslow)
        rowidx_free(&c->previdx); /* every row answered: the index is not read again */
    if (oom) {
        free(c->prevmemo);
        c->prevmemo = NULL; /* never read half built (prev_value) */
    }
    return !oom;
}

/* the value of `col` one fiscal year earlier for this row (prev_rows; the
 * values of several rows summed). *prow: the one row read, when it is a
 * row of this very table (a writer can point at it), else
 * GY_DERIV_NOROW. */
val gyv_prev_value(ctx *c, size_t row, int col, size_t *prow)
{
    const gy_table *t = c->t;
    int fc = t->def->fy_col;
    if (fc >= 0 && gy_tnil(t, row, fc) != GY_NIL_NONE)
        return (val){V_UNKNOWN, 0};
    const gy_table *pt = c->prev;
    /* after running out of memory the index and memo are incomplete (the
     * run fails): never read them */
    if (!pt || c->oom)
        return (val){V_UNKNOWN, 0};
    if (!c->previdx_built && !build_previdx(c)) {
        c->oom = true;
        return (val){V_UNKNOWN, 0};
    }
    if ((!c->prevmemo_built && !build_prevmemo(c)) || !c->prevmemo) {
        c->oom = true;
        return (val){V_UNKNOWN, 0};
    }
    if (c->oom || !c->prevmemo)
        return (val){V_UNKNOWN, 0};
    if (c->prevmemo[row] != MEMO_SLOW) {
        size_t m = c->prevmemo[row];
        if (!m)
            return (val){V_UNKNOWN, 0};
        *prow = pt == t ? m - 1 : GY_DERIV_NOROW;
        return cell_val(pt, m - 1, col);
    }
    size_t *found, nfound = prev_rows(c, row, &found);
    if (nfound == SIZE_MAX) {
        c->oom = true;
        return (val){V_UNKNOWN, 0};
    }
    val sum = {V_NIL, 0};
    for (size_t i = 0; i < nfound; i++) {
        val v = cell_val(pt, found[i], col);
        if (v.st == V_UNKNOWN) {
            sum = v;
            break;
        }
        if (v.st == V_OK) {
            sum.st = V_OK;
            if (__builtin_add_overflow(sum.v, v.v, &sum.v)) {
                sum = (val){V_UNKNOWN, 0};
                break;
            }
        }
    }
    *prow = nfound == 1 && pt == t ? found[0] : GY_DERIV_NOROW;
    free(found);
    return nfound ? sum : (val){V_UNKNOWN, 0};
}

/* the 組替 lines of this year that can apply to this table's key columns,
 * from each remap table of the year (gy_tabledef_is_remap: no table is
 * named here; retain.c keeps such a table whole for this) */
bool gyv_find_remaps(ctx *c)
{
    const gy_dataset *ds = c->ds;
    int western = c->t->fy.western;
    size_t cap = 0;
    for (size_t j = 0; j < ds->n; j++) {
        const gy_table *k = ds->v[j];
        if (gy_tabledef_is_remap(k->def) && gy_dataset_find(ds, k->def->id, western) == k)
            cap += k->nrows;
    }
    if (!cap)
        return true;
    c->remaps = calloc(cap, sizeof *c->remaps);
    if (!c->remaps)
        return false;
    for (size_t j = 0; j < ds->n; j++) {
        const gy_table *k = ds->v[j];
        if (!gy_tabledef_is_remap(k->def) || gy_dataset_find(ds, k->def->id, western) != k)
            continue;
        const gy_tabledef *d = k->def;
        int ct = gy_tabledef_col(d, "表"), cc = gy_tabledef_col(d, "列"), co = gy_tabledef_col(d, "旧"),
            cn = gy_tabledef_col(d, "新"), cl = gy_tabledef_col(d, "対象");
        for (size_t i = 0; i < k->nrows; i++) {
            if (strcmp(gy_ttext(k, i, ct), c->t->def->id))
                continue;
            int col = gy_tabledef_col(c->t->def, gy_ttext(k, i, cc));
            if (col < 0 || !(c->t->def->cols[col].flags & (GY_COL_KEY | GY_COL_GROUP)))
                continue;
            c->remaps[c->nremaps++] =
                (remap){col, gy_ttext(k, i, co), gy_ttext(k, i, cn), cl >= 0 ? gy_ttext(k, i, cl) : NULL};
        }
    }
    return true;
}

static void prev_cols(const gy_expr *e, bool *keep)
{
    if (!e)
        return;
    if (e->op == GY_X_REF && e->rowref == GY_R_PREV)
        keep[e->col] = true;
    prev_cols(e->a, keep);
    prev_cols(e->b, keep);
}

bool gy_verify_prev_columns(const gy_tabledef *d, bool *keep)
{
    bool any = false;
    for (size_t j = 0; j < d->ncols; j++)
        keep[j] = false;
    for (size_t r = 0; r < d->nrules; r++)
        if (has_prev(d->rules[r].expr)) {
            prev_cols(d->rules[r].expr, keep);
            any = true;
        }
    if (!any)
        return false;
    /* prev_value matches rows on these */
    for (size_t j = 0; j < d->ncols; j++)
        if (d->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP))
            keep[j] = true;
    if (d->fy_col >= 0)
        keep[d->fy_col] = true;
    return true;
}

/* ---- one row's reads of last year, for `gaiyo explain` -------------------- */

gy_status gy_verify_prev_rows(const gy_dataset *ds, const gy_table *t, size_t row, const gy_table **pt,
                              size_t **rows, size_t *n)
{
    *pt = NULL;
    *rows = NULL;
    *n = 0;
    gy_findings scratch = {0};
    ctx c = {.ds = ds, .t = t, .out = &scratch};
    gy_status st = gyv_make_groups(&c);
    int fc = t->def->fy_col;
    if (st == GY_OK && c.prev && row < t->nrows && !(fc >= 0 && gy_tnil(t, row, fc) != GY_NIL_NONE)) {
        size_t nf;
        if (!build_previdx(&c) || (nf = prev_rows(&c, row, rows)) == SIZE_MAX) {
            st = GY_ENOMEM;
        } else {
            *n = nf;
            *pt = c.prev;
        }
    }
    gyv_free_ctx(&c);
    gy_findings_free(&scratch);
    return st;
}
