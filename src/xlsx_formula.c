/* xlsx_formula.c - derived cells as formulas with their cached values
 *
 * A table's derivations (verify's, or made window by window by a
 * gy_deriver) indexed by cell; each settled as a formula (SUM over runs of
 * cells, a rule's expression through gy_expr_formula, a group's total as
 * its 計's cell) with the value Excel computes from the sheet, or as a
 * value when it cannot be one. Part of the workbook (xlsx_int.h); covered
 * by tests/xlsx/.
 */
#include "xlsx_int.h"

/* Derivations by cell, one window of rows at a time (gy_deriver): per row
 * of the window, the derivations of that row in their order (a counting
 * sort by row), so that writing row after row reads the index in order;
 * the first derivation of a cell wins (sums before rules). A cell outside
 * the window has no derivation known here. */
size_t dfind(const tw *w, size_t row, int col)
{
    if (!w->ndv || row < w->wa || row >= w->wb)
        return SIZE_MAX;
    row -= w->wa;
    for (size_t i = w->drow[row]; i < w->drow[row + 1]; i++)
        if (w->dv[w->didx[i]].col == col)
            return w->didx[i];
    return SIZE_MAX;
}

/* Rows a window holds at least (gy_xlsx_opts.window_rows): a window is
 * whole groups, so a table of one group is one window whatever this says. */
enum { WINDOW_ROWS = 8192 };

/* make the derivations of the rows [a, b) the current window, and settle
 * every formula of it (cycles first) before its cells are written */
static bool load_window(tw *w, size_t a, size_t b)
{
    const gy_derivs *dv = &w->view;
    w->wa = a;
    w->wb = b;
    w->ndv = w->nsums = 0;
    if (!w->view.n && gy_deriver_rows(w->dr, a, b, &dv) != GY_OK)
        return false;
    size_t n = dv->n, nr = b - a;
    if (n >= UINT32_MAX)
        return true; /* left without formulas */
    w->dv = dv->v;
    free(w->dst);
    free(w->dvv);
    free(w->drow);
    free(w->didx);
    free(w->sums);
    w->sums = NULL;
    w->dst = calloc(n ? n : 1, 1);
    w->dvv = gy_malloc_big(n ? n : 1, sizeof *w->dvv);
    w->drow = calloc(nr + 2, sizeof *w->drow);
    w->didx = gy_malloc_big(n ? n : 1, sizeof *w->didx);
    if (!w->dst || !w->dvv || !w->drow || !w->didx)
        return false;
    for (size_t k = 0; k < n; k++) {
        const gy_deriv *d = &w->dv[k];
        if (d->row < a || d->row >= b) {
            w->nsums = 0;
            return true; /* not the window's: left without formulas */
        }
        w->drow[d->row - a + 2]++;
        if (!d->rule) {
            size_t *ns = w->nsums % 64 ? w->sums : realloc(w->sums, (w->nsums + 64) * sizeof *ns);
            if (!ns)
                return false;
            w->sums = ns;
            w->sums[w->nsums++] = k;
        }
    }
    w->ndv = n;
    /* drow[r + 1] = start of row r + 1 after the prefix sums; fill stably */
    for (size_t r = 2; r < nr + 2; r++)
        w->drow[r] += w->drow[r - 1];
    for (size_t k = 0; k < n; k++)
        w->didx[w->drow[w->dv[k].row - a + 1]++] = (uint32_t)k;
    for (size_t k = 0; k < n; k++) {
        int part, sr, sc;
        if (cell_pos(w, w->dv[k].row, w->dv[k].col, &part, &sr, &sc))
            eval_dv(w, k, part);
    }
    return true;
}

/* the window holding table row `row`: rows come in ascending order (a
 * pivot layout, which does not go row by row, is one window) */
void need_window(tw *w, size_t row)
{
    size_t n = w->t->nrows;
    while (!w->b->oom && (!w->wloaded || row >= w->wb) && (!w->wloaded || w->wb < n)) {
        size_t a = w->wloaded ? w->wb : 0;
        size_t min = w->b->o->window_rows ? w->b->o->window_rows : WINDOW_ROWS;
        /* verify's derivations: the whole table is one window */
        size_t b = w->view.n ? n : gy_deriver_window(w->dr, a, w->l->pivot_key_idx != -1 ? SIZE_MAX : min);
        w->wloaded = true;
        if (!load_window(w, a, b))
            w->b->oom = true;
    }
}

/* a base cell's value for a formula: false if it holds text Excel cannot add */
static bool base_value(const tw *w, size_t row, int col, bool in_sum, int64_t *v);

static bool cell_value(tw *w, size_t row, int col, bool in_sum, int64_t *v)
{
    if (row < w->wa || row >= w->wb)
        return false; /* outside the window: its figure is not known here */
    size_t k = dfind(w, row, col);
    if (k != SIZE_MAX) {
        int part, sr, sc;
        if (!cell_pos(w, row, col, &part, &sr, &sc))
            return false;
        eval_dv(w, k, part);
        if (w->dst[k] == 1)
            return false; /* a cycle */
        *v = w->dst[k] == 2 ? w->dvv[k] : w->dv[k].value;
        return true;
    }
    return base_value(w, row, col, in_sum, v);
}

static bool base_value(const tw *w, size_t row, int col, bool in_sum, int64_t *v)
{
    gy_nil nil = gy_tnil(w->t, row, col);
    if (nil == GY_NIL_NONE) {
        *v = gy_tv(w->t, row, col);
        return true;
    }
    /* a blank cell is 0 to Excel; '-' or '…' is text: SUM skips it, + fails */
    *v = 0;
    return in_sum || nil == GY_NIL_BLANK;
}

/* A formula being built: its text (when `text`), and always its length,
 * so that the values and lengths of every formula can be settled before
 * writing without keeping a million texts; a cell's text is built when
 * the cell is written. */
typedef struct fbuf {
    gy_buf b;
    bool text;
    bool ok;             /* false once out of memory */
    size_t len;
} fbuf;

static void fput(fbuf *f, const char *s)
{
    size_t n = strlen(s);
    f->len += n;
    if (f->text && !gy_buf_add(&f->b, s, n))
        f->ok = false;
}

static void fput_int(fbuf *f, long long x)
{
    char b[32];
    gy_format_int(x, "-", b, sizeof b);
    /* no thousands separators in a formula */
    char o[32];
    size_t k = 0;
    for (const char *p = b; *p; p++)
        if (*p != ',')
            o[k++] = *p;
    o[k] = '\0';
    fput(f, o);
}

/* the length of cell_ref's text (without writing it) */
static size_t ref_len(const char *sheet, int r, int c)
{
    size_t n = c < 26 ? 1 : c < 702 ? 2 : 3;
    for (unsigned x = (unsigned)r + 1; x; x /= 10)
        n++;
    return sheet ? n + strlen(sheet) + 3 : n; /* 'sheet'! */
}

/* a reference to cell (sr, sc) of sheet p, seen from sheet `part` */
static void fput_ref(tw *w, fbuf *f, int p, int sr, int sc, int part)
{
    const char *sheet = p == part ? NULL : w->wsname[p];
    if (!f->text) {
        f->len += ref_len(sheet, sr, sc);
        return;
    }
    char ref[300]; /* a sheet name is at most 31 characters (sheet_name) */
    if (!cell_ref(ref, sizeof ref, sheet, sr, sc)) {
        f->ok = false;
        return;
    }
    fput(f, ref);
}

/* append a reference to (row, col) as seen from a formula on sheet `part` */
static bool put_ref(tw *w, fbuf *f, size_t row, int col, int part)
{
    int p, sr, sc;
    if (!cell_pos(w, row, col, &p, &sr, &sc))
        return false;
    fput_ref(w, f, p, sr, sc, part);
    return true;
}

/* SUM(...) of column col over rows[0..n), as seen from sheet `part`, with
 * runs of adjacent cells written as ranges (A5:A2805); *v = the sum */
static bool sum_formula(tw *w, const size_t *rows, size_t n, int col, int part, fbuf *f, int64_t *v)
{
    fput(f, "SUM(");
    *v = 0;
    size_t i = 0;
    bool first = true;
    while (i < n) {
        int p0, r0, c0;
        int64_t x;
        /* a sum that leaves int64 has no cached value: the caller writes
         * the cell as its stated value (verify reports the overflow) */
        if (!cell_value(w, rows[i], col, true, &x) || !cell_pos(w, rows[i], col, &p0, &r0, &c0) ||
            __builtin_add_overflow(*v, x, v))
            return false;
        size_t j = i + 1;
        int rl = r0, cl = c0;
        while (j < n) {
            int p1, r1, c1;
            if (!cell_pos(w, rows[j], col, &p1, &r1, &c1) || p1 != p0 ||
                !((r1 == rl + 1 && c1 == cl) || (c1 == cl + 1 && r1 == rl)))
                break;
            if (!cell_value(w, rows[j], col, true, &x) || __builtin_add_overflow(*v, x, v))
                return false;
            rl = r1;
            cl = c1;
            j++;
        }
        if (!first)
            fput(f, ",");
        fput_ref(w, f, p0, r0, c0, part);
        if (j > i + 1) {
            fput(f, ":");
            fput_ref(w, f, part, rl, cl, part); /* the range's end: no sheet name */
        }
        first = false;
        i = j;
    }
    fput(f, ")");
    return n && f->ok;
}

/* the sum derivation of column col over exactly rows[0..n), or SIZE_MAX */
static size_t total_cell(const tw *w, int col, const size_t *rows, size_t n)
{
    for (size_t i = 0; i < w->nsums; i++) {
        const gy_deriv *d = &w->dv[w->sums[i]];
        if (d->col == col && d->nrefs == n && n && d->refs[0] == rows[0] &&
            !memcmp(d->refs, rows, n * sizeof *rows))
            return w->sums[i];
    }
    return SIZE_MAX;
}

/* the leaves of a rule's formula, with its recorded refs; k is the cursor
 * (the operators and their parentheses are expr.c's: gy_expr_formula) */
typedef struct fleaf {
    tw *w;
    const gy_deriv *d;
    size_t k;
    int part;
    fbuf *f;
} fleaf;

static void fleaf_put(void *u, const char *s)
{
    fput(((fleaf *)u)->f, s);
}

/* the decimals a column's values are stored with */
static int col_dec(const gy_coldef *cd)
{
    return gy_col_decimals(cd);
}

static bool fleaf_total(fleaf *x, const gy_expr *e, int64_t *v)
{
    tw *w = x->w;
    const gy_deriv *d = x->d;
    fbuf *f = x->f;
    int part = x->part;
    if (x->k >= d->nrefs)
        return false;
    size_t n = d->refs[x->k++];
    if (x->k >= d->nrefs || !d->pool)
        return false;
    const size_t *rows = d->pool + d->refs[x->k++];
    /* every row of a group refers to the same total: kept per column
     * (same first row, count and sheet) so that it is built once */
    totcache *tc = &w->tot[e->col];
    bool same = tc->set && tc->first == (n ? rows[0] : 0) && tc->n == n && tc->part == part;
    if (same && (tc->text || !f->text)) {
        *v = tc->v;
        if (tc->text)
            fput(f, tc->text);
        else
            f->len += tc->len;
        return true;
    }
    fbuf sb = {{0}, f->text, true, 0};
    int64_t s = 0;
    /* the total of a group is its 計's cell when that cell sums the
     * very same rows: E1363 instead of SUM(E5:E1362) in every row
     * (the same value; Excel adds each group once, not once per row) */
    bool ok = false;
    size_t kk = total_cell(w, e->col, rows, n);
    int tp, tr, tcl;
    if (kk != SIZE_MAX && cell_value(w, w->dv[kk].row, e->col, false, &s) &&
        cell_pos(w, w->dv[kk].row, e->col, &tp, &tr, &tcl)) {
        fput_ref(w, &sb, tp, tr, tcl, part);
        ok = sb.ok;
    }
    if (!ok) {
        gy_buf_free(&sb.b);
        sb = (fbuf){{0}, f->text, true, 0};
        ok = sum_formula(w, rows, n, e->col, part, &sb, &s);
    }
    if (!ok) {
        gy_buf_free(&sb.b);
        return false;
    }
    free(tc->text);
    *tc = (totcache){.set = true, .text = sb.b.p, .len = sb.len, .first = n ? rows[0] : 0, .n = n,
                     .part = part, .v = s};
    *v = s;
    if (tc->text)
        fput(f, tc->text);
    else
        f->len += tc->len;
    return true;
}

static bool fleaf_value(void *u, const gy_expr *e, gy_rat *r)
{
    fleaf *x = u;
    int64_t v;
    if (e->op == GY_X_TOTAL) {
        if (!fleaf_total(x, e, &v))
            return false;
    } else {
        if (x->k >= x->d->nrefs)
            return false;
        size_t row = x->d->refs[x->k++];
        if (row == GY_DERIV_NOROW || !cell_value(x->w, row, e->col, false, &v) ||
            !put_ref(x->w, x->f, row, e->col, x->part))
            return false;
    }
    return gy_rat_scaled(v, col_dec(&x->w->t->def->cols[e->col]), r);
}

/* the formula of derivation k, into f (text and/or length); *v its value */
static bool dv_formula(tw *w, size_t k, int part, fbuf *f, int64_t *v)
{
    const gy_deriv *d = &w->dv[k];
    fput(f, "=");
    if (!d->rule) {
        /* SUM over runs of adjacent cells; shares add up in binary
         * doubles: their sum is rounded to the column's decimals */
        const gy_coldef *cd = &w->t->def->cols[d->col];
        bool rnd = cd->type == GY_T_RATIO || gy_col_decimals(cd) > 0;
        if (rnd)
            fput(f, "ROUND(");
        if (!sum_formula(w, d->refs, d->nrefs, d->col, part, f, v))
            return false;
        if (rnd) {
            fput(f, ",");
            fput_int(f, cd->decimals);
            fput(f, ")");
        }
        return f->ok;
    }
    const gy_tabledef *def = w->t->def;
    const gy_coldef *cd = &def->cols[d->col];
    int cold[256], *cv = def->ncols <= 256 ? cold : malloc(def->ncols * sizeof *cv);
    if (!cv)
        return false;
    for (size_t i = 0; i < def->ncols; i++)
        cv[i] = col_dec(&def->cols[i]);
    fleaf u = {w, d, 0, part, f};
    gy_xfenv env = {fleaf_value, fleaf_put, &u, cd->type == GY_T_RATIO ? cd->scale : 1, col_dec(cd), cv};
    bool ok = gy_expr_formula(d->rule->expr, &env, v) && f->ok;
    if (cv != cold)
        free(cv);
    return ok;
}

/* settle derivation k: whether it is written as a formula (st 2: its
 * value as Excel computes it from the sheet) or as a value (st 3) */
void eval_dv(tw *w, size_t k, int part)
{
    if (w->dst[k])
        return;
    w->dst[k] = 1;
    fbuf f = {{0}, false, true, 0};
    int64_t v = 0;
    bool ok = dv_formula(w, k, part, &f, &v);
    /* Excel's limit on a formula's length (kept under 8,000 characters
     * after the =) */
    if (ok && f.len <= 8000) {
        w->dst[k] = 2;
        w->dvv[k] = v;
    } else {
        w->dst[k] = 3;
    }
}

/* the text of settled derivation k (st 2), owned by the caller */
char *dv_text(tw *w, size_t k, int part)
{
    fbuf f = {{0}, true, true, 0};
    int64_t v;
    if (!dv_formula(w, k, part, &f, &v) || !f.b.p) {
        gy_buf_free(&f.b);
        return NULL;
    }
    return f.b.p;
}
