/* verify.c - the generic check-and-derive engine (no code per table)
 *
 * The driver: a table's groups and context, its checks in order (sums,
 * rules row by row, reconcile, 再掲, selectors, relations), the tables on
 * one thread per processor joined and sorted, and the derivations of a
 * big table window by window (gy_deriver). The checks themselves live in
 * verify_rules.c, verify_sums.c, verify_prev.c, verify_recon.c and
 * verify_rows.c (shared: verify_int.h); the list of findings in
 * findings.c. Tested by tests/unit/test_verify.c and test_rows.c.
 */
#include "gaiyo/verify.h"
#include "gaiyo/relate.h"
#include "gaiyo/util.h"
#include "verify_int.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

gy_tolerance gy_tolerance_default(void)
{
    return (gy_tolerance){.ratio_units = 1};
}

/* rows visited by the sums of every table checked so far (tests assert
 * that it grows linearly with a table's rows) */
static atomic_uint_fast64_t sum_work;

uint64_t gy_verify_sum_work(void)
{
    return atomic_load(&sum_work);
}

/* ---- findings of the table being checked ------------------------------- */

static void add_findingv(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                         const char *fmt, va_list ap)
{
    gy_finding_place(g, c->t, row, col);
    g->stated = gy_strdup(stated);
    g->computed = gy_strdup(computed);
    if (!gy_findings_addv(c->out, g, fmt, ap))
        c->oom = true;
}

void gyv_add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                            const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
{
    gy_finding g = {.sev = sev, .rule = rule, .has_computed = hasv, .computed_v = cv};
    va_list ap;
    va_start(ap, fmt);
    add_findingv(c, &g, row, col, stated, computed, fmt, ap);
    va_end(ap);
}

void gyv_add_findingv_l(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_findingv(c, g, row, col, stated, computed, fmt, ap);
    va_end(ap);
}

void gyv_add_info(ctx *c, const char *group, const char *what, const char *rule, size_t row, int col,
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

gy_status gyv_make_groups(ctx *c)
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
    if (!gyv_find_remaps(c))
        return GY_ENOMEM;
    return GY_OK;
}

void gyv_free_ctx(ctx *c)
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

/* the derivations and findings of the rows [a, b): sums, then every
 * rule row by row (a row's cells stay in the cache; the findings are
 * sorted afterwards) */
static void derive_rows(ctx *c, size_t a, size_t b)
{
    c->work = 0;
    gyv_check_sums(c, a, b);
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
                gyv_check_rule(c, ru, i);
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
    if (gyv_make_groups(&c) != GY_OK) {
        gyv_free_ctx(&c);
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
    gyv_check_recons(&c);
    gyv_check_memos(&c);
    gyv_check_selectors(&c);
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
    gyv_free_ctx(&c);
    return c.oom ? GY_ENOMEM : GY_OK;
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
    if (gyv_make_groups(&x->c) != GY_OK) {
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
    gyv_free_ctx(&x->c);
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

gy_status gy_verify_full(const gy_dataset *ds, gy_findings *out, gy_derivs *dv)
{
    return gy_verify_some(ds, out, dv, NULL);
}

gy_status gy_verify_some(const gy_dataset *ds, gy_findings *out, gy_derivs *dv, const bool *want)
{
    return gy_verify_tables(ds, NULL, out, dv, want);
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
        qsort(out->v, out->n, sizeof *out->v, gyv_cmp_finding);
    return rc;
}
