/* verify.c - the generic check-and-derive engine (no code per table) */
#include "gaiyo/verify.h"
#include "gaiyo/relate.h"
#include "gaiyo/util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        free(g->what);
        free(g->also);
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

/* an open-addressing hash set of row indices (the key is in the rows) */
typedef struct rowslot {
    uint32_t tag;        /* the hash's high half (its low bits chose the slot) */
    uint32_t row;        /* row index + 1; 0 = empty */
} rowslot;

/* the part of a hash a slot keeps: equal tags are then confirmed on the
 * texts, so a collision costs a comparison, never a wrong match */
static inline uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

typedef struct rowidx {
    rowslot *s;          /* hash and row side by side: one cache miss per probe */
    size_t cap;
} rowidx;

/* total(col) of one group, computed once per column */
typedef struct gtotal {
    int64_t sum;
    size_t bad;          /* the first unknown row (st == 1) */
    int st;              /* 0 ok, 1 a row is unknown, 2 overflow */
} gtotal;

/* a 組替 line that applies to this table: old → now in column col */
typedef struct remap {
    int col;
    const char *old, *now, *target;
} remap;

typedef struct ctx {
    const gy_dataset *ds;
    const gy_table *t;
    uint32_t *group;     /* dense group id per row (0, 1, … in order of appearance) */
    size_t ngroups;
    size_t *gstart;      /* rows of group g: grows[gstart[g] .. gstart[g + 1]) ascending */
    uint32_t *grows;
    int *minlev;         /* per group: lowest level of the rows that count in totals */
    gtotal **tot;        /* per column, lazily: total() per group */
    rowidx labels;       /* (group, label) → first row, lazily */
    bool labels_built;
    uint32_t *ldup;      /* per first row of a (group, label): the second row + 1, 0: none
                            (high bit: said so); with labels */
    const gy_rule *cur;  /* the rule being evaluated (for a reference's findings) */
    int curtarget;
    bool refbad;         /* the evaluation met a reference already reported */
    const gy_expr **missed; /* label references met unmatched (once each) */
    bool *missedall;     /* per missed: no row of the table has the label */
    size_t nmissed;
    const gy_table *prev;/* the table @前年 reads (this one when it has an fy key), or NULL */
    rowidx previdx;      /* rows of prev by (role, fy, key columns), lazily */
    bool previdx_built;
    uint32_t *prevmemo;  /* per row: the one prev row + 1, 0 none, MEMO_SLOW: search (lazily) */
    bool prevmemo_built;
    remap *remaps;       /* the 組替 lines for this table */
    size_t nremaps;
    gy_findings *out;
    char absent[256];    /* what was absent (first one) */
    char what[256];      /* the same without the cell's text (a group line's subject) */
    int akind;           /* what kind of base was absent: 1 a cell ('…'), 2 last year's figure, 0 other */
    bool ovf;            /* the recomputation left int64 (absent says where) */
    bool oom;
    gy_derivs *dv;       /* derivations wanted (NULL: none) */
    size_t *pool;        /* rows of the total()s recorded (one list per group and column) */
    size_t npool, cappool;
    size_t **totoff;     /* per column, per group: offset in pool, SIZE_MAX: none yet */
    size_t *rbuf;        /* the refs of every derivation of this table */
    size_t nrbuf, caprbuf;
    size_t *refs;        /* refs of the rule being evaluated (recording) */
    size_t nrefs, caprefs;
    bool rec;            /* recording refs */
    uint64_t work;       /* rows visited by the sums (gy_verify_sum_work) */
    /* a nested table's positions, found once (build_scopes): row i's
     * scope is [slo[i], shi[i]) (the rows around it bounded by rows of a
     * lower level); an item's children are [i + 1, pend[i]) (up to the
     * next row of its level or lower), the nearest of them at level
     * pcl[i] (-1: none) */
    uint32_t *slo, *shi, *pend;
    signed char *pcl;
    /* `total across`: every row as (hash of its level, other group columns
     * and match column; row), sorted: a 計 row finds its candidates by
     * binary search instead of reading its whole scope (built once) */
    struct axpair { uint64_t h; size_t row; } *ax;
    bool ax_built;
    /* the rows an aggregate row sums (check_sums): the roles counted
     * (bit per role; 0: the items, and 再掲 with memo_in_totals) and the
     * row itself + 1, never counted (0: none) */
    unsigned cmask;
    size_t cself;
} ctx;

/* rows visited by the sums of every table checked so far (tests assert
 * that it grows linearly with a table's rows) */
static atomic_uint_fast64_t sum_work;

uint64_t gy_verify_sum_work(void)
{
    return atomic_load(&sum_work);
}

/* rule evaluations so far (verify and the workbook's deriver alike) */
static atomic_uint_fast64_t rule_evals;

uint64_t gy_verify_rule_evals(void)
{
    return atomic_load(&rule_evals);
}

/* room for `more` entries in a growable array of size_t; false (and
 * c->oom) when memory runs out */
static bool reserve(ctx *c, size_t **v, size_t n, size_t *cap, size_t more)
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

static void rec_ref(ctx *c, size_t row)
{
    if (!c->rec)
        return;
    if (!reserve(c, &c->refs, c->nrefs, &c->caprefs, 1)) {
        c->rec = false;
        return;
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
    /* the refs go into one buffer per table (no allocation per figure);
     * pointers are set when the table is done (verify_table) */
    if (!reserve(c, &c->rbuf, c->nrbuf, &c->caprbuf, nrows))
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

static void add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                        const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 10, 11)));

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

static void add_findingv(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                         const char *fmt, va_list ap)
{
    gy_finding_place(g, c->t, row, col);
    g->stated = gy_strdup(stated);
    g->computed = gy_strdup(computed);
    if (!gy_findings_addv(c->out, g, fmt, ap))
        c->oom = true;
}

static void add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                        const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
{
    gy_finding g = {.sev = sev, .rule = rule, .has_computed = hasv, .computed_v = cv};
    va_list ap;
    va_start(ap, fmt);
    add_findingv(c, &g, row, col, stated, computed, fmt, ap);
    va_end(ap);
}

static void add_findingv_l(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                           const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add_findingv_l(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_findingv(c, g, row, col, stated, computed, fmt, ap);
    va_end(ap);
}

/* an info that stands with the others of its cause in one group line:
 * `group` that line ("{n}", "{what}"), `what` this one's subject */
static void add_info(ctx *c, const char *group, const char *what, const char *rule, size_t row, int col,
                     const char *stated, const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 11, 12)));

static void add_info(ctx *c, const char *group, const char *what, const char *rule, size_t row, int col,
                     const char *stated, const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
{
    gy_finding g = {.sev = GY_SEV_INFO, .rule = rule, .has_computed = hasv, .computed_v = cv, .group = group};
    if (what && *what && !(g.what = gy_strdup(what)))
        c->oom = true;
    va_list ap;
    va_start(ap, fmt);
    add_findingv(c, &g, row, col, stated, computed, fmt, ap);
    va_end(ap);
}

static void fmt_val(const gy_table *t, int col, int64_t v, char *buf, size_t n)
{
    gy_col_format(&t->def->cols[col], v, "△", buf, n);
}

static val cell_val(const gy_table *t, size_t row, int col)
{
    gy_nil n = gy_tnil(t, row, col);
    if (n == GY_NIL_NONE)
        return (val){V_OK, gy_tv(t, row, col)};
    if (n == GY_NIL_UNKNOWN)
        return (val){V_UNKNOWN, 0};
    return (val){V_NIL, 0};
}

/* the text of a cell of any column: a text-like column's own, else the
 * cell as written (or canonical) in *buf */
static const char *any_text(const gy_table *t, size_t row, int col, gy_cell *buf)
{
    if (gy_col_textlike(t->def, (size_t)col))
        return gy_ttext(t, row, col);
    gy_table_cell(t, row, (size_t)col, buf);
    return buf->text;
}

/* a cell's text as written (or canonical), in *buf */
static const char *cell_text(const gy_table *t, size_t row, int col, gy_cell *buf)
{
    gy_table_cell(t, row, (size_t)col, buf);
    return buf->text;
}

/* ---- row lookup -------------------------------------------------------- */

static uint64_t hash_str(uint64_t h, const char *s)
{
    return gy_hash_str(h, s);
}

static uint64_t hash_int(uint64_t h, int64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (unsigned char)(v & 0xff)) * 1099511628211ull;
    return h;
}

static bool rowidx_init(rowidx *x, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    x->s = gy_calloc_big(cap, sizeof *x->s);
    x->cap = cap;
    return x->s != NULL;
}

static void rowidx_free(rowidx *x)
{
    free(x->s);
    memset(x, 0, sizeof *x);
}

static void rowidx_add(rowidx *x, uint64_t h, size_t row)
{
    size_t j = (size_t)h & (x->cap - 1);
    while (x->s[j].row)
        j = (j + 1) & (x->cap - 1);
    x->s[j] = (rowslot){tag_of(h), (uint32_t)(row + 1)};
}

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
static val prev_value(ctx *c, size_t row, int col, size_t *prow)
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

/* the 組替 lines of this year that can apply to this table's key columns */
static bool find_remaps(ctx *c)
{
    const gy_table *k = gy_dataset_find(c->ds, "kumikae", c->t->fy.western);
    if (!k)
        return true;
    const gy_tabledef *d = k->def;
    int ct = gy_tabledef_col(d, "表"), cc = gy_tabledef_col(d, "列"), co = gy_tabledef_col(d, "旧"),
        cn = gy_tabledef_col(d, "新"), cl = gy_tabledef_col(d, "対象");
    if (ct < 0 || cc < 0 || co < 0 || cn < 0)
        return true;
    c->remaps = calloc(k->nrows ? k->nrows : 1, sizeof *c->remaps);
    if (!c->remaps)
        return false;
    for (size_t i = 0; i < k->nrows; i++) {
        if (strcmp(gy_ttext(k, i, ct), c->t->def->id))
            continue;
        int col = gy_tabledef_col(c->t->def, gy_ttext(k, i, cc));
        if (col < 0 || !(c->t->def->cols[col].flags & (GY_COL_KEY | GY_COL_GROUP)))
            continue;
        c->remaps[c->nremaps++] =
            (remap){col, gy_ttext(k, i, co), gy_ttext(k, i, cn), cl >= 0 ? gy_ttext(k, i, cl) : NULL};
    }
    return true;
}

static uint64_t label_hash(size_t grp, const char *label)
{
    return hash_str(hash_int(1469598103934665603ull, (int64_t)grp), label);
}

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

static bool counts_in_total(const gy_table *t, const gy_row *r)
{
    return r->role == GY_ROLE_ITEM || (r->role == GY_ROLE_MEMO && t->def->memo_in_totals);
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
        if (!reserve(c, &c->pool, c->npool, &c->cappool, 1))
            return;
        c->pool[c->npool++] = 0;
        for (size_t k = a; k < b; k++) {
            const gy_row *q = &t->rows[c->grows[k]];
            if (!counts_in_total(t, q) || q->level != c->minlev[grp])
                continue;
            if (!reserve(c, &c->pool, c->npool, &c->cappool, 1))
                return;
            c->pool[c->npool++] = c->grows[k];
        }
        c->pool[off] = c->npool - off - 1;
        c->totoff[col][grp] = off;
    }
    size_t off = c->totoff[col][grp];
    rec_ref(c, c->pool[off]);
    rec_ref(c, off + 1);
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
        add_finding(c, GY_SEV_ERROR, "reference", second, t->def->label_col, cell_text(t, second, t->def->label_col, &lc),
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
    add_finding(c, GY_SEV_ERROR, "reference", row, c->curtarget, cell_text(t, row, c->curtarget, &sc), "", false, 0,
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
        rec_ref(c, r ? (size_t)(r - t->rows) : GY_DERIV_NOROW);
        if (!r) {
            if (!c->refbad)
                ref_missing(c, e, row);
            if (!c->absent[0])
                snprintf(c->absent, sizeof c->absent, "行「%s」", e->row);
            return (gy_xval){GY_XV_UNKNOWN, {0, 1}};
        }
    } else if (e->rowref == GY_R_PREV) {
        size_t prow = GY_DERIV_NOROW;
        val v = prev_value(c, row, e->col, &prow);
        rec_ref(c, prow);
        if (v.st == V_UNKNOWN && !c->absent[0]) {
            snprintf(c->absent, sizeof c->absent, "前年度の「%s」", t->def->cols[e->col].name);
            snprintf(c->what, sizeof c->what, "「%s」", t->def->cols[e->col].name);
            c->akind = 2;
        }
        return to_x(t->def, e->col, v);
    }
    if (e->rowref != GY_R_LABEL)
        rec_ref(c, row);
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

static val eval(ctx *c, const gy_expr *e, size_t row, int target)
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

static bool has_prev(const gy_expr *e)
{
    return gy_expr_has_prev(e);
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
        ok = eval(c, o->expr, row, o->target).st != V_UNKNOWN;
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
        val v = eval(c, o->expr, row, o->target);
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
    add_findingv_l(c, &g, row, cols[0], ib, sb,
                   "内訳 %s = %s が「%s」の記載 %s と %s 違います。「%s」は %s のとおりなので、違うのは内訳です (規則: %s)",
                   rhs, ib, t->def->cols[ru->target].label, sb, db, t->def->cols[ru->target].label, by->text,
                   ru->text);
    return true;
}

static void check_rule(ctx *c, const gy_rule *ru, size_t row)
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
            add_deriv(c, row, ru->target, ru, "rule", c->refs, c->nrefs, v.v);
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
            add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, "", false, 0,
                        "計算が扱える範囲 (±9,223,372,036,854,775,807) を超えるため「%s」を検算できません (%s、規則: %s)",
                        cd->label, c->absent, ru->text);
            return;
        }
        if (c->refbad) /* a reference to no row or two rows: reported once */
            return;
        if (st->nil == GY_NIL_NONE && !checked_otherwise(c, ru, row))
            add_info(c,
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
            add_info(c, "記載のない {n} の数値は、再計算すると値があります ({what})", cd->label, "unstated", row,
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
    if (rounded && down == st->v) {
        /* the value has more decimals than the column holds: rounded half
         * up to compare; a figure cut off instead is a convention */
        add_finding(c, GY_SEV_WARNING, "rounding", row, ru->target, sb, cb, true, v.v,
                    "%s は切り捨ての値です。四捨五入すると %s (規則: %s)", sb, cb, ru->text);
        return;
    }
    if ((ru->expr->op == GY_X_ADD || ru->expr->op == GY_X_SUB) && items_finding(c, ru, row, st->v, v.v, rname))
        return;
    char db[64];
    fmt_val(t, ru->target, st->v > v.v ? st->v - v.v : v.v - st->v, db, sizeof db);
    add_finding(c, GY_SEV_ERROR, rname, row, ru->target, sb, cb, true, v.v,
                "記載 %s と再計算 %s が %s 違います (規則: %s)", sb, cb, db, ru->text);
}

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
        ok = eval(c, ru->expr, row, col).st == V_OK;
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
            rec_ref(c, gr[k]);
    }
    c->rec = false;
    add_deriv(c, row, col, NULL, kind, c->refs, c->nrefs, s);
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
            add_info(c, "記載のない {n} の数値は、内訳を足すと値があります ({what})", cd->label, "unstated", row,
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
            add_finding(c, GY_SEV_WARNING, "rounding", row, col, sb, cb, true, s,
                        "%sの%sを足すと %s で記載 %s と %s 違いますが、各値の四捨五入による差です", what,
                        cd->label, cb, sb, db);
            return;
        }
    }
    add_finding(c, GY_SEV_ERROR, rule, row, col, sb, cb, true, s,
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
        if (!reserve(c, &rows, nr, &cap, 1)) {
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
                add_finding(c, GY_SEV_ERROR, "sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                            "%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため検算できません",
                            d->cols[j].label, gy_row_label(t, &t->rows[bad]));
            else if (gy_tnil(t, i, (int)j) == GY_NIL_NONE)
                add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません", d->cols[j].label,
                         "base-absent", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                         "「%s」の%sが不明 (%s) のため合計を検算できません", gy_row_label(t, &t->rows[bad]),
                         d->cols[j].label, cell_text(t, bad, (int)j, &c2));
            continue;
        }
        if (c->dv && gy_tnil(t, i, (int)j) == GY_NIL_NONE && !share_by_rule(c, i, (int)j))
            add_deriv(c, i, (int)j, NULL, "sum", rows, nr, s);
        compare_sum(c, "sum", i, (int)j, s, n, "各グループの行");
    }
    free(rows);
}

/* the sums of the rows [from, upto) (a 計 or a parent among them) */
static void check_sums(ctx *c, size_t from_row, size_t upto)
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
                        add_finding(c, GY_SEV_ERROR, "sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                    "%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため"
                                    "検算できません",
                                    d->cols[j].label, gy_row_label(t, &t->rows[bad]));
                    else if (gy_tnil(t, i, (int)j) == GY_NIL_NONE)
                        add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません",
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
                    add_finding(c, GY_SEV_ERROR, "parent-sum", i, (int)j, cell_text(t, i, (int)j, &c1), "", false, 0,
                                "内訳の%sの合計が「%s」の行で扱える範囲 (±9,223,372,036,854,775,807) を超えるため"
                                "検算できません",
                                d->cols[j].label, gy_row_label(t, &t->rows[bad]));
                else
                    add_info(c, "内訳に不明の値 ({what}) があるため {n} の合計を検算できません", d->cols[j].label,
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

/* ---- reconciliation with another table -------------------------------- */

/* The rows of the other table that a reconcile reads, summed once per key
 * and per (key, 区分) through hash tables: linear in both tables' rows,
 * every sum overflow-checked. */
typedef struct rc_cat {
    const char *cat;     /* the 区分 text */
    size_t key;          /* the key it belongs to (index into keys) */
    int64_t sum;
    size_t n;
    size_t next;         /* the key's next category, in order of first appearance (SIZE_MAX: none) */
} rc_cat;

typedef struct rc_key {
    const char *key;
    int64_t all, expl;
    size_t n, nexpl, blank;
    bool ovf;            /* a sum left int64 */
    size_t first, last;  /* its categories (indexes into cats), SIZE_MAX when none */
} rc_key;

typedef struct rc_index {
    rc_key *keys;
    size_t nkeys;
    rc_cat *cats;
    size_t ncats;
    size_t *kslot, *cslot; /* open addressing: entry index + 1 */
    size_t cap;
    char **owned;          /* texts copied from non-text columns */
    size_t nowned;
} rc_index;

static void rc_index_free(rc_index *x)
{
    free(x->keys);
    free(x->cats);
    free(x->kslot);
    free(x->cslot);
    for (size_t i = 0; i < x->nowned; i++)
        free(x->owned[i]);
    free(x->owned);
}

/* a stable copy of a cell's text: the table's own for a text column */
static const char *rc_text(rc_index *x, const gy_table *o, size_t row, int col, bool *oom)
{
    if (gy_col_textlike(o->def, (size_t)col))
        return gy_ttext(o, row, col);
    gy_cell cb;
    char *s = strdup(any_text(o, row, col, &cb));
    if (!s) {
        *oom = true;
        return "";
    }
    x->owned[x->nowned++] = s;
    return s;
}

/* the key's entry, made on first sight */
static rc_key *rc_key_at(rc_index *x, const char *key, uint64_t kh)
{
    size_t h = (size_t)kh & (x->cap - 1);
    while (x->kslot[h] && strcmp(x->keys[x->kslot[h] - 1].key, key))
        h = (h + 1) & (x->cap - 1);
    if (!x->kslot[h]) {
        x->keys[x->nkeys] = (rc_key){.key = key, .first = SIZE_MAX, .last = SIZE_MAX};
        x->kslot[h] = ++x->nkeys;
    }
    return &x->keys[x->kslot[h] - 1];
}

/* the (key, category) entry, made on first sight and linked to its key */
static rc_cat *rc_cat_at(rc_index *x, size_t kidx, uint64_t kh, const char *cat)
{
    size_t h = (size_t)gy_hash_str(kh * 31 + 7, cat) & (x->cap - 1);
    for (; x->cslot[h]; h = (h + 1) & (x->cap - 1)) {
        rc_cat *e = &x->cats[x->cslot[h] - 1];
        if (e->key == kidx && !strcmp(e->cat, cat))
            return e;
    }
    size_t ci = x->ncats++;
    x->cats[ci] = (rc_cat){.cat = cat, .key = kidx, .next = SIZE_MAX};
    x->cslot[h] = ci + 1;
    rc_key *k = &x->keys[kidx];
    if (k->last == SIZE_MAX)
        k->first = ci;
    else
        x->cats[k->last].next = ci;
    k->last = ci;
    return &x->cats[ci];
}

static bool rc_index_build(rc_index *x, const gy_table *o, const gy_recon *rc, int oc, int ok, int ox)
{
    memset(x, 0, sizeof *x);
    size_t n = o->nrows;
    x->cap = 16;
    while (x->cap < 2 * n + 2)
        x->cap *= 2;
    x->keys = malloc((n + 1) * sizeof *x->keys);
    x->cats = malloc((n + 1) * sizeof *x->cats);
    x->kslot = calloc(x->cap, sizeof *x->kslot);
    x->cslot = calloc(x->cap, sizeof *x->cslot);
    bool copies = !gy_col_textlike(o->def, (size_t)ok) || (ox >= 0 && !gy_col_textlike(o->def, (size_t)ox));
    x->owned = copies ? malloc((2 * n + 1) * sizeof *x->owned) : NULL;
    if (!x->keys || !x->cats || !x->kslot || !x->cslot || (copies && !x->owned))
        return false;
    bool oom = false;
    for (size_t j = 0; j < n && !oom; j++) {
        const gy_row *q = &o->rows[j];
        if (q->role != GY_ROLE_ITEM || (rc->level >= 0 && q->level != rc->level))
            continue;
        const char *key = rc_text(x, o, j, ok, &oom);
        uint64_t kh = gy_hash_str(0, key);
        rc_key *k = rc_key_at(x, key, kh);
        if (gy_tnil(o, j, oc) != GY_NIL_NONE) {
            k->blank++;
            continue;
        }
        int64_t v = gy_tv(o, j, oc);
        k->ovf |= __builtin_add_overflow(k->all, v, &k->all);
        k->n++;
        const char *cat = ox >= 0 ? rc_text(x, o, j, ox, &oom) : "";
        if (!cat || !*cat)
            continue;
        k->ovf |= __builtin_add_overflow(k->expl, v, &k->expl);
        k->nexpl++;
        rc_cat *e = rc_cat_at(x, (size_t)(k - x->keys), kh, cat);
        k = &x->keys[e->key];
        k->ovf |= __builtin_add_overflow(e->sum, v, &e->sum);
        e->n++;
    }
    return !oom;
}

static const rc_key *rc_find(const rc_index *x, const char *key)
{
    size_t h = (size_t)gy_hash_str(0, key) & (x->cap - 1);
    for (; x->kslot[h]; h = (h + 1) & (x->cap - 1))
        if (!strcmp(x->keys[x->kslot[h] - 1].key, key))
            return &x->keys[x->kslot[h] - 1];
    return NULL;
}

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
        rc_index x;
        if (!rc_index_build(&x, o, rc, oc, ok, ox)) {
            rc_index_free(&x);
            c->oom = true;
            return;
        }
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *r = &t->rows[i];
            if (r->role != GY_ROLE_ITEM || gy_tnil(t, i, rc->target) != GY_NIL_NONE)
                continue;
            gy_cell kb;
            const char *key = any_text(t, i, rc->key, &kb);
            const rc_key *e = rc_find(&x, key);
            if (!e || e->n == 0)
                continue;
            int64_t stated = gy_tv(t, i, rc->target), all = e->all, expl = e->expl, implied, d1, d2;
            char sb[64], ab[64], db[64], eb[64], ub[64];
            fmt_val(t, rc->target, stated, sb, sizeof sb);
            if (e->ovf || __builtin_sub_overflow(all, expl, &implied) || __builtin_sub_overflow(stated, all, &d1) ||
                __builtin_sub_overflow(stated, implied, &d2)) {
                add_finding(c, GY_SEV_ERROR, "reconcile", i, rc->target, sb, "", false, 0,
                            "照合: 「%s」の%s と %s の%s の合計が扱える範囲 (±9,223,372,036,854,775,807) を"
                            "超えるため照合できません",
                            key, t->def->cols[rc->target].label, o->def->title, rc->col);
                continue;
            }
            if (d1 == 0)
                continue; /* agrees: nothing to say (no info per row) */
            gy_buf cats = {0};
            for (size_t ci = e->first; ci != SIZE_MAX; ci = x.cats[ci].next) {
                char csb[64];
                fmt_val(t, rc->target, x.cats[ci].sum, csb, sizeof csb);
                gy_buf_printf(&cats, "%s%s %zu 件 %s", cats.n ? "、" : "", x.cats[ci].cat, x.cats[ci].n, csb);
            }
            fmt_val(t, rc->target, all, ab, sizeof ab);
            fmt_val(t, rc->target, d1, db, sizeof db);
            fmt_val(t, rc->target, -expl, eb, sizeof eb);
            fmt_val(t, rc->target, d2, ub, sizeof ub);
            char gw[300];
            snprintf(gw, sizeof gw, "%s と %s の%s", t->def->cols[rc->target].label, o->def->title, rc->col);
            add_info(c, "照合: {n} 行で {what} の合計と差があります。誤りとは限りません (行ごとの差は findings.csv と 検証結果に)",
                     gw, "reconcile", i, rc->target, sb, ab, true, all,
                        "照合: 「%s」の%s %s と %s の%s (%zu 件) の合計 %s の差は %s。うち説明のつく差 %s%s%s%s、"
                        "説明のない差 %s (金額の記載がない事業 %zu 件)。誤りとは限りません",
                        key, t->def->cols[rc->target].label, sb, o->def->title, rc->col, e->n, ab,
                        db, eb, e->nexpl ? " (" : "", e->nexpl ? (cats.p ? cats.p : "") : "",
                        e->nexpl ? ")" : (rc->explain ? " (区分の記載なし)" : " (区分列なし)"), ub, e->blank);
            gy_buf_free(&cats);
        }
        rc_index_free(&x);
    }
}

/* ---- rows a definition names: 再掲 originals, rule selectors ------------- */

/* a finding about the table as a whole (a rule of its definition): it
 * names no cell, so it stands at the CSV's header line and marks no cell
 * of the workbook (row GY_FINDING_NOROW) */
static void add_table_finding(ctx *c, gy_sev sev, const char *rule, int col, const char *rowlabel,
                              const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_table_finding(ctx *c, gy_sev sev, const char *rule, int col, const char *rowlabel,
                              const char *fmt, ...)
{
    gy_finding g = {.sev = sev, .rule = rule, .table = c->t, .row = GY_FINDING_NOROW, .col = col,
                    .line = 1, .colno = 1};
    g.rowlabel = gy_strdup(rowlabel);
    g.collabel = gy_strdup(c->t->def->cols[col].label);
    g.stated = gy_strdup("");
    g.computed = gy_strdup("");
    va_list ap;
    va_start(ap, fmt);
    if (!gy_findings_addv(c->out, &g, fmt, ap))
        c->oom = true;
    va_end(ap);
}

/* Every rule applies to some row, and every row:LABEL of its `on` names
 * a row of the table: a selector that matches nothing would check
 * nothing, silently. Said as a warning naming the rule and its place in
 * the definition. A rule across fiscal years without last year's table is
 * documented not to apply, and an empty table has no rows to select. */
static void check_selectors(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    if (!t->nrows)
        return;
    for (size_t ri = 0; ri < d->nrules; ri++) {
        const gy_rule *ru = &d->rules[ri];
        if (!c->prev && d->fy_col < 0 && has_prev(ru->expr))
            continue;
        bool any = false;
        bool *hit = calloc(ru->nrows ? ru->nrows : 1, sizeof *hit);
        if (!hit) {
            c->oom = true;
            return;
        }
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *r = &t->rows[i];
            if (ru->roles & (1u << r->role))
                any = true;
            if (!ru->nrows)
                continue;
            const char *lab = gy_row_label(t, r);
            for (size_t k = 0; k < ru->nrows; k++)
                if (!strcmp(ru->rows[k], lab))
                    any = hit[k] = true;
        }
        for (size_t k = 0; k < ru->nrows; k++) {
            if (hit[k])
                continue;
            char *rl = gy_asprintf("row:%s", ru->rows[k]);
            if (!rl) {
                c->oom = true;
                break;
            }
            add_table_finding(c, GY_SEV_WARNING, "selector", ru->target, rl,
                              "規則 %s (%s:%u:%u) の row:%s に当たる行がこの表にありません: この選択はどの行も検算しません",
                              ru->text, d->path, ru->line, ru->rowcols ? ru->rowcols[k] : 1, ru->rows[k]);
            free(rl);
        }
        if (!any && !ru->nrows)
            add_table_finding(c, GY_SEV_WARNING, "selector", ru->target, "(該当行なし)",
                              "規則 %s (%s:%u) の当てはまる行 (役割) がこの表に 1 行もありません: この規則は何も検算しません",
                              ru->text, d->path, ru->line);
        free(hit);
    }
}

/* the label a 再掲 row names its original by: its own label without a
 * trailing (再掲) / （再掲） (memo_of label), or the text of the memo_of
 * column; in *buf when it is cut */
static const char *memo_key(const ctx *c, size_t i, char *buf, size_t n)
{
    const gy_table *t = c->t;
    if (t->def->memo_of >= 0)
        return gy_ttext(t, i, t->def->memo_of);
    const char *lab = gy_row_label(t, &t->rows[i]);
    static const char *suf[] = {"(再掲)", "（再掲）"};
    size_t l = strlen(lab);
    for (size_t k = 0; k < sizeof suf / sizeof suf[0]; k++) {
        size_t sl = strlen(suf[k]);
        if (l > sl && !strcmp(lab + l - sl, suf[k]) && l - sl < n) {
            memcpy(buf, lab, l - sl);
            buf[l - sl] = '\0';
            gy_trim(buf);
            return buf;
        }
    }
    return lab;
}

/* memo_of: each 再掲 row repeats an item row of the table (in any group),
 * found by label; each `sum` column must hold the original's figure */
static void check_memos(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    if (d->memo_of < -1 || !t->nrows)
        return;
    /* the item rows by label (the first of each label; a second one marks
     * the label as ambiguous) */
    rowidx x;
    unsigned char *dup = calloc(t->nrows, 1);
    if (!dup || !rowidx_init(&x, t->nrows)) {
        free(dup);
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->rows[i].role != GY_ROLE_ITEM)
            continue;
        const char *lab = gy_row_label(t, &t->rows[i]);
        uint64_t h = label_hash(0, lab);
        bool seen = false;
        for (size_t s = (size_t)h & (x.cap - 1); x.s[s].row && !seen; s = (s + 1) & (x.cap - 1)) {
            size_t q = x.s[s].row - 1;
            if (x.s[s].tag == tag_of(h) && !strcmp(gy_row_label(t, &t->rows[q]), lab)) {
                seen = true;
                if (!dup[q])
                    dup[q] = 1;
            }
        }
        if (!seen)
            rowidx_add(&x, h, i);
    }
    int lc = d->memo_of >= 0 ? d->memo_of : d->label_col;
    for (size_t i = 0; i < t->nrows && !c->oom; i++) {
        if (t->rows[i].role != GY_ROLE_MEMO)
            continue;
        char buf[1024];
        const char *key = memo_key(c, i, buf, sizeof buf);
        gy_cell kb;
        if (!*key) {
            add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                        "再掲の行に元の行 (%s の列) が書かれていないため検算できません", d->cols[lc].label);
            continue;
        }
        uint64_t h = label_hash(0, key);
        size_t o = SIZE_MAX;
        for (size_t s = (size_t)h & (x.cap - 1); x.s[s].row; s = (s + 1) & (x.cap - 1)) {
            size_t q = x.s[s].row - 1;
            if (x.s[s].tag == tag_of(h) && !strcmp(gy_row_label(t, &t->rows[q]), key)) {
                o = q;
                break;
            }
        }
        if (o == SIZE_MAX) {
            add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                        "再掲の元の行「%s」がこの表の項目にないため検算できません", key);
            continue;
        }
        if (dup[o]) {
            add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                        "再掲の元の行「%s」が 2 行以上あるため (%u 行目ほか) 検算できません", key, t->rows[o].line);
            continue;
        }
        for (size_t j = 0; j < d->ncols; j++) {
            if (!(d->cols[j].flags & GY_COL_SUM))
                continue;
            val m = cell_val(t, i, (int)j), v = cell_val(t, o, (int)j);
            if (m.st == V_UNKNOWN || v.st == V_UNKNOWN || (m.st == v.st && m.v == v.v))
                continue;
            gy_cell c1, c2;
            char sb[64], ob[64];
            snprintf(sb, sizeof sb, "%s", cell_text(t, i, (int)j, &c1));
            snprintf(ob, sizeof ob, "%s", cell_text(t, o, (int)j, &c2));
            if (m.st == V_OK)
                fmt_val(t, (int)j, m.v, sb, sizeof sb);
            if (v.st == V_OK)
                fmt_val(t, (int)j, v.v, ob, sizeof ob);
            add_finding(c, GY_SEV_ERROR, "memo", i, (int)j, sb, ob, v.st == V_OK, v.v,
                        "再掲の%s %s が元の行「%s」(%u 行目) の %s と違います", d->cols[j].label, sb, key,
                        t->rows[o].line, ob);
        }
    }
    rowidx_free(&x);
    free(dup);
}

/* ---- driver -------------------------------------------------------------- */

/* group ids (dense, in order of first appearance) through a hash of the
 * group columns' texts; the rows of each group; the lowest level of the
 * rows that count in totals, per group; the previous year's table; the
 * 組替 lines */
/* the hash of a row's group texts */
static uint64_t group_hash(const gy_table *t, size_t i)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < t->def->ncols; j++)
        if (t->def->cols[j].flags & GY_COL_GROUP)
            h = hash_str(h, gy_ttext(t, i, (int)j));
    return h;
}

static gy_status make_groups(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    size_t n = t->nrows;
    if (n >= UINT32_MAX)
        return GY_ENOMEM; /* rows are counted in 32 bits (so are a file's lines) */
    c->group = gy_calloc_big(n ? n : 1, sizeof *c->group);
    c->grows = gy_calloc_big(n ? n : 1, sizeof *c->grows);
    c->tot = calloc(d->ncols ? d->ncols : 1, sizeof *c->tot);
    if (!c->group || !c->grows || !c->tot)
        return GY_ENOMEM;
    bool any = false;
    for (size_t j = 0; j < d->ncols; j++)
        if (d->cols[j].flags & GY_COL_GROUP)
            any = true;
    c->ngroups = n ? 1 : 0;
    if (any) {
        /* the groups met so far: a hash index grown with them (a table
         * has far fewer groups than rows) */
        rowidx x;
        size_t capfirst = 64;
        uint32_t *first = malloc(capfirst * sizeof *first); /* group id → its first row */
        if (!first || !rowidx_init(&x, 32)) {
            free(first);
            return GY_ENOMEM;
        }
        c->ngroups = 0;
        for (size_t i = 0; i < n; i++) {
            /* a row whose group texts are those of the row above is in its
             * group (group columns are text-like: the importer interns
             * their texts, so equal offsets are equal texts) */
            bool up = i > 0;
            for (size_t j = 0; j < d->ncols && up; j++)
                if ((d->cols[j].flags & GY_COL_GROUP) && t->cols[j].text &&
                    t->cols[j].text[i] != t->cols[j].text[i - 1])
                    up = false;
            if (up) {
                c->group[i] = c->group[i - 1];
                continue;
            }
            uint64_t h = group_hash(t, i);
            size_t s = (size_t)h & (x.cap - 1);
            bool found = false;
            for (; x.s[s].row; s = (s + 1) & (x.cap - 1)) {
                if (x.s[s].tag != tag_of(h))
                    continue;
                size_t g = x.s[s].row - 1, k = first[g];
                bool same = true;
                for (size_t j = 0; j < d->ncols && same; j++)
                    if ((d->cols[j].flags & GY_COL_GROUP) &&
                        strcmp(gy_ttext(t, i, (int)j), gy_ttext(t, k, (int)j)))
                        same = false;
                if (same) {
                    c->group[i] = (uint32_t)g;
                    found = true;
                    break;
                }
            }
            if (found)
                continue;
            if (c->ngroups == capfirst) {
                uint32_t *nf = realloc(first, capfirst * 2 * sizeof *nf);
                if (!nf) {
                    free(first);
                    rowidx_free(&x);
                    return GY_ENOMEM;
                }
                first = nf;
                capfirst *= 2;
            }
            first[c->ngroups] = (uint32_t)i;
            c->group[i] = (uint32_t)c->ngroups++;
            rowidx_add(&x, h, c->ngroups - 1); /* the slot holds group id + 1 */
            if (c->ngroups * 2 > x.cap) {
                /* twice the room, every group placed again */
                rowidx nx;
                if (!rowidx_init(&nx, x.cap)) {
                    free(first);
                    rowidx_free(&x);
                    return GY_ENOMEM;
                }
                for (size_t g = 0; g < c->ngroups; g++)
                    rowidx_add(&nx, group_hash(t, first[g]), g);
                rowidx_free(&x);
                x = nx;
            }
        }
        free(first);
        rowidx_free(&x);
    }
    c->gstart = calloc(c->ngroups + 1, sizeof *c->gstart);
    c->minlev = malloc((c->ngroups ? c->ngroups : 1) * sizeof *c->minlev);
    if (!c->gstart || !c->minlev)
        return GY_ENOMEM;
    for (size_t g = 0; g < c->ngroups; g++)
        c->minlev[g] = 1 << 30;
    for (size_t i = 0; i < n; i++) {
        c->gstart[c->group[i] + 1]++;
        if (counts_in_total(t, &t->rows[i]) && t->rows[i].level < c->minlev[c->group[i]])
            c->minlev[c->group[i]] = t->rows[i].level;
    }
    for (size_t g = 0; g < c->ngroups; g++)
        c->gstart[g + 1] += c->gstart[g];
    {
        /* fill: a running cursor per group */
        size_t *cur = malloc((c->ngroups ? c->ngroups : 1) * sizeof *cur);
        if (!cur)
            return GY_ENOMEM;
        if (c->ngroups)
            memcpy(cur, c->gstart, c->ngroups * sizeof *cur);
        for (size_t i = 0; i < n; i++)
            c->grows[cur[c->group[i]]++] = (uint32_t)i;
        free(cur);
    }
    c->prev = d->fy_col >= 0 ? t : gy_dataset_find(c->ds, d->id, t->fy.western - 1);
    if (!find_remaps(c))
        return GY_ENOMEM;
    return GY_OK;
}

static void free_ctx(ctx *c)
{
    free(c->group);
    free(c->gstart);
    free(c->grows);
    free(c->minlev);
    if (c->tot)
        for (size_t j = 0; j < c->t->def->ncols; j++)
            free(c->tot[j]);
    free(c->tot);
    rowidx_free(&c->labels);
    free(c->ldup);
    free(c->missed);
    free(c->missedall);
    rowidx_free(&c->previdx);
    free(c->prevmemo);
    free(c->slo);
    free(c->shi);
    free(c->ax);
    free(c->pend);
    free(c->pcl);
    free(c->remaps);
    free(c->refs);
    if (c->totoff)
        for (size_t j = 0; j < c->t->def->ncols; j++)
            free(c->totoff[j]);
    free(c->totoff);
    free(c->pool);
    free(c->rbuf);
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

/* the derivations and findings of the rows [a, b): sums, then every
 * rule row by row (a row's cells stay in the cache; the findings are
 * sorted afterwards) */
static void derive_rows(ctx *c, size_t a, size_t b)
{
    c->work = 0;
    check_sums(c, a, b);
    atomic_fetch_add(&sum_work, c->work);
    /* a rule across fiscal years without last year's table is skipped
     * (check_rule says so too): decided once here, not per row */
    size_t nr = c->t->def->nrules;
    bool *live = malloc((nr ? nr : 1) * sizeof *live);
    if (!live)
        c->oom = true;
    for (size_t ri = 0; live && ri < nr; ri++)
        live[ri] = c->prev || c->t->def->fy_col >= 0 || !has_prev(c->t->def->rules[ri].expr);
    for (size_t i = a; live && i < b; i++)
        for (size_t ri = 0; ri < nr; ri++) {
            const gy_rule *ru = &c->t->def->rules[ri];
            if (live[ri] && gy_rule_applies(c->t, ru, &c->t->rows[i]))
                check_rule(c, ru, i);
        }
    free(live);
}

/* the derivations recorded in c point into c's buffers: set their
 * pointers (rbuf and pool stay c's) */
static void point_derivs(ctx *c)
{
    for (size_t k = 0; k < c->dv->n; k++) {
        c->dv->v[k].pool = c->pool;
        c->dv->v[k].refs = c->rbuf ? c->rbuf + c->dv->v[k].refoff : NULL;
    }
}

/* check one table into its own list of findings */
static gy_status verify_table(const gy_dataset *ds, const gy_table *t, gy_findings *out, gy_derivs *dv)
{
    ctx c = {.ds = ds, .t = t, .out = out, .dv = dv};
    if (make_groups(&c) != GY_OK) {
        free_ctx(&c);
        return GY_ENOMEM;
    }
    /* room for the derivations of a big table at once (a guess: one per
     * rule and row, a few refs each, a sum's refs per sum column and row;
     * pages never written cost nothing), instead of doubling and copying */
    if (dv && t->nrows > 1000) {
        size_t nsum = 0;
        for (size_t j = 0; j < t->def->ncols; j++)
            nsum += (t->def->cols[j].flags & GY_COL_SUM) != 0;
        size_t nd = t->nrows * (t->def->nrules + 1), nr = t->nrows * (4 * t->def->nrules + nsum + 1);
        if ((dv->v = gy_malloc_big(nd, sizeof *dv->v)) != NULL)
            dv->cap = nd;
        if ((c.rbuf = gy_malloc_big(nr, sizeof *c.rbuf)) != NULL)
            c.caprbuf = nr;
    }
    derive_rows(&c, 0, t->nrows);
    check_recons(&c);
    check_memos(&c);
    check_selectors(&c);
    if (!c.oom && gy_relate_table(ds, t, out) != GY_OK)
        c.oom = true;
    /* the derivations point into this table's buffers: hand them over */
    if (dv) {
        size_t **np = realloc(dv->pools, (dv->npools + 2) * sizeof *np);
        if (!np) {
            c.oom = true;
        } else {
            dv->pools = np;
            point_derivs(&c);
            if (c.pool)
                dv->pools[dv->npools++] = c.pool;
            if (c.rbuf)
                dv->pools[dv->npools++] = c.rbuf;
            c.pool = NULL;
            c.rbuf = NULL;
        }
    }
    free_ctx(&c);
    return c.oom ? GY_ENOMEM : GY_OK;
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

/* ---- derivations window by window (the workbook of a big table) ------------ */

struct gy_deriver {
    ctx c;
    gy_findings scratch;  /* findings met again while deriving: dropped */
    gy_derivs dv;         /* the current window's (pointing into c's buffers) */
    size_t pa, pb;        /* the previous window */
    bool windows;         /* whether windows may be smaller than the table */
};

gy_status gy_deriver_open(const gy_dataset *ds, const gy_table *t, gy_deriver **out)
{
    *out = NULL;
    gy_deriver *x = calloc(1, sizeof *x);
    if (!x)
        return GY_ENOMEM;
    x->c = (ctx){.ds = ds, .t = t, .out = &x->scratch, .dv = &x->dv};
    if (make_groups(&x->c) != GY_OK) {
        gy_deriver_free(x);
        return GY_ENOMEM;
    }
    /* a derivation reads its own row, its group's rows (sums, total(),
     * row(LABEL)) or another table (@前年 of last year's folder); only a
     * table with a fiscal-year column reads its own rows of other groups
     * (@前年 within the table) */
    x->windows = t->def->fy_col < 0 && t->def->across_col < 0; /* across: other groups' rows */
    *out = x;
    return GY_OK;
}

size_t gy_deriver_window(const gy_deriver *x, size_t a, size_t min)
{
    const ctx *c = &x->c;
    size_t n = c->t->nrows;
    if (!x->windows || a >= n)
        return n;
    /* every group met must end inside: end = past the last row of the
     * groups seen so far (a window starts where every earlier group ended) */
    size_t end = a;
    for (size_t i = a; i < n; i++) {
        size_t g = c->group[i], last = c->grows[c->gstart[g + 1] - 1];
        if (last + 1 > end)
            end = last + 1;
        if (i + 1 == end && end - a >= min)
            break;
    }
    return end < n ? end : n;
}

gy_status gy_deriver_rows(gy_deriver *x, size_t a, size_t b, const gy_derivs **out)
{
    ctx *c = &x->c;
    const gy_table *t = c->t;
    *out = NULL;
    if (b > t->nrows)
        b = t->nrows;
    /* the previous window's buffers are reused: its total() lists go */
    if (c->totoff)
        for (size_t i = x->pa; i < x->pb; i++)
            for (size_t j = 0; j < t->def->ncols; j++)
                if (c->totoff[j])
                    c->totoff[j][c->group[i]] = SIZE_MAX;
    c->npool = 0;
    c->nrbuf = 0;
    x->dv.n = 0;
    x->pa = a;
    x->pb = b;
    derive_rows(c, a, b);
    gy_findings_free(&x->scratch);
    if (c->oom)
        return GY_ENOMEM;
    point_derivs(c);
    *out = &x->dv;
    return GY_OK;
}

void gy_deriver_free(gy_deriver *x)
{
    if (!x)
        return;
    free_ctx(&x->c);
    free(x->dv.v);
    gy_findings_free(&x->scratch);
    free(x);
}

/* the tables are checked on one thread per processor (a check only reads
 * the dataset), each into its own list; the lists are then joined in
 * table order and sorted */
typedef struct vjob {
    const gy_dataset *ds;
    gy_findings *f;
    gy_derivs *dv;      /* per table, or NULL when not wanted */
    gy_status *st;
    size_t *order;      /* biggest tables first */
    const bool *want;   /* per table: its derivations wanted (NULL: all) */
    const bool *which;  /* per table: checked (NULL: all) */
    atomic_size_t next;
} vjob;

static void *verify_worker(void *arg)
{
    vjob *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->ds->n)
            return NULL;
        size_t k = j->order[i];
        if (j->which && !j->which[k])
            continue;
        bool dv = j->dv && (!j->want || j->want[k]);
        j->st[k] = verify_table(j->ds, j->ds->v[k], &j->f[k], dv ? &j->dv[k] : NULL);
    }
}

gy_status gy_verify(const gy_dataset *ds, gy_findings *out)
{
    return gy_verify_full(ds, out, NULL);
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

gy_status gy_verify_full(const gy_dataset *ds, gy_findings *out, gy_derivs *dv)
{
    return gy_verify_some(ds, out, dv, NULL);
}

gy_status gy_verify_some(const gy_dataset *ds, gy_findings *out, gy_derivs *dv, const bool *want)
{
    return gy_verify_tables(ds, NULL, out, dv, want);
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
        qsort(into->v, into->n, sizeof *into->v, cmp_finding);
    }
    free(from->v);
    memset(from, 0, sizeof *from);
    return GY_OK;
}

gy_status gy_verify_tables(const gy_dataset *ds, const bool *which, gy_findings *out, gy_derivs *dv,
                           const bool *want)
{
    memset(out, 0, sizeof *out);
    if (dv)
        memset(dv, 0, sizeof *dv);
    size_t n = ds->n;
    gy_findings *f = calloc(n ? n : 1, sizeof *f);
    gy_status *st = calloc(n ? n : 1, sizeof *st);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    gy_derivs *tdv = dv ? calloc(n ? n : 1, sizeof *tdv) : NULL;
    if (!f || !st || !order || (dv && !tdv)) {
        free(f);
        free(st);
        free(order);
        free(tdv);
        return GY_ENOMEM;
    }
    /* by size, biggest first: the cheap sort of a handful of tables */
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    for (size_t k = 1; k < n; k++)
        for (size_t m = k; m > 0 && ds->v[order[m]]->nrows > ds->v[order[m - 1]]->nrows; m--) {
            size_t x = order[m];
            order[m] = order[m - 1];
            order[m - 1] = x;
        }
    vjob j = {.ds = ds, .f = f, .dv = tdv, .st = st, .order = order, .want = want, .which = which};
    atomic_init(&j.next, 0);
    gy_run_parallel(verify_worker, &j, n);
    gy_status rc = GY_OK;
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += f[k].n;
    out->v = malloc((total ? total : 1) * sizeof *out->v);
    if (!out->v)
        rc = GY_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        if (st[k] != GY_OK)
            rc = st[k];
        if (out->v) {
            if (f[k].n)
                memcpy(out->v + out->n, f[k].v, f[k].n * sizeof *f[k].v);
            out->n += f[k].n;
            for (int s = 0; s < 3; s++)
                out->count[s] += f[k].count[s];
            free(f[k].v);
        } else {
            gy_findings_free(&f[k]);
        }
    }
    out->cap = out->v ? (total ? total : 1) : 0;
    /* the derivations, joined in table order (each table's in its order:
     * sums before rules) */
    if (tdv) {
        size_t nd = 0, big = 0, at = 0;
        for (size_t k = 0; k < n; k++) {
            if (tdv[k].n > tdv[big].n)
                big = k;
            nd += tdv[k].n;
        }
        /* the biggest table's list becomes the whole list, grown where it
         * lies (a big block is remapped, not copied) and moved to its
         * place; the others are copied around it: never two copies of a
         * million derivations at once */
        for (size_t k = 0; k < big; k++)
            at += tdv[k].n;
        dv->v = n && tdv[big].v ? realloc(tdv[big].v, (nd ? nd : 1) * sizeof *dv->v) : gy_malloc_big(nd ? nd : 1, sizeof *dv->v);
        if (!dv->v) {
            rc = GY_ENOMEM;
        } else {
            if (n && tdv[big].v) {
                memmove(dv->v + at, dv->v, tdv[big].n * sizeof *dv->v);
                tdv[big].v = NULL; /* now dv->v */
            }
        }
        for (size_t k = 0; k < n; k++) {
            if (dv->v && tdv[k].n && k != big)
                memcpy(dv->v + dv->n, tdv[k].v, tdv[k].n * sizeof *tdv[k].v);
            if (dv->v) {
                dv->n += tdv[k].n;
                free(tdv[k].v);
                /* the pools move along */
                size_t **np = tdv[k].npools ? realloc(dv->pools, (dv->npools + tdv[k].npools) * sizeof *np) : dv->pools;
                if (tdv[k].npools && !np) {
                    rc = GY_ENOMEM;
                    for (size_t m = 0; m < tdv[k].npools; m++)
                        free(tdv[k].pools[m]);
                } else if (tdv[k].npools) {
                    dv->pools = np;
                    memcpy(dv->pools + dv->npools, tdv[k].pools, tdv[k].npools * sizeof *np);
                    dv->npools += tdv[k].npools;
                }
                free(tdv[k].pools);
            } else {
                gy_derivs_free(&tdv[k]);
            }
        }
        dv->cap = dv->n;
        free(tdv);
    }
    free(f);
    free(st);
    free(order);
    if (rc == GY_OK && out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_finding);
    return rc;
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
    gy_status st = make_groups(&c);
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
    free_ctx(&c);
    gy_findings_free(&scratch);
    return st;
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
    size_t i;       /* index into f->v */
    size_t rank;    /* the table's place in the report */
    size_t grp;     /* infos: the first member's place among the table's infos */
} leadkey;

static const gy_findings *lead_f;

static int cmp_lead(const void *a, const void *b)
{
    const leadkey *x = a, *y = b;
    const gy_finding *p = &lead_f->v[x->i], *q = &lead_f->v[y->i];
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
        k[i] = (leadkey){i, r, 0};
    }
    /* first by position, to number each table's groups by their first member */
    lead_f = f;
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
