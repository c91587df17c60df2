/* retain.c - the retention policy of a load: which tables that a later
 * year supersedes are cut down once their year is read, to what, and why.
 * gy_retention_make decides it from the definitions alone, before the
 * load (the driver's choice); gy_retention_cut applies it to the tables
 * of one year folder, with what that year holds, when the driver has
 * pulled that year from the year reader and checked what it must of it
 * (report.c: gy_report_read). Tested by tests/unit/test_import.c
 * (dataset_years_retention, report_read_checks_before_cut) and the staged
 * reports of tests/cli and tests/xlsx. */
#include "gaiyo/retain.h"
#include "gaiyo/relate.h"
#include "gaiyo/verify.h"

#include <stdlib.h>
#include <string.h>

/* append a need to a plan; takes cols (also on failure) */
static bool need_add(gy_keep_plan *p, int by, bool *cols, const char *why)
{
    gy_keep_need *nv = realloc(p->v, (p->n + 1) * sizeof *nv);
    if (!nv) {
        free(cols);
        return false;
    }
    p->v = nv;
    p->v[p->n++] = (gy_keep_need){by, cols, why};
    return true;
}

static bool *cols_new(const gy_tabledef *t)
{
    return calloc(t->ncols ? t->ncols : 1, sizeof(bool));
}

/* the needs of the table of definition i */
static gy_status plan_of(const gy_defset *defs, size_t i, gy_keep_plan *p)
{
    const gy_tabledef *t = defs->v[i];
    bool *keep = cols_new(t);
    if (!keep)
        return GY_ENOMEM;
    if (gy_verify_prev_columns(t, keep)) {
        if (!need_add(p, GY_KEEP_ALWAYS, keep, "@前年 of the next year reads it"))
            return GY_ENOMEM;
    } else
        free(keep);
    /* its year's tables read its lines (verify's find_remaps) */
    if (gy_tabledef_is_remap(t) && !need_add(p, GY_KEEP_ANY, NULL, "the 組替 of its year: its tables read its lines"))
        return GY_ENOMEM;
    gy_table self = {.def = t}; /* gy_relate_keep reads only the definition */
    for (size_t m = 0; m < defs->n; m++) {
        const gy_tabledef *o = defs->v[m];
        if (m == i)
            continue;
        bool any = false;
        if (!(keep = cols_new(t)))
            return GY_ENOMEM;
        for (size_t r = 0; r < o->nrecons; r++) {
            const gy_recon *rc = &o->recons[r];
            if (strcmp(rc->table, t->id))
                continue;
            int cols[3] = {gy_tabledef_col(t, rc->col), gy_tabledef_col(t, rc->okey),
                           rc->explain ? gy_tabledef_col(t, rc->explain) : -1};
            for (int c = 0; c < 3; c++)
                if (cols[c] >= 0)
                    keep[cols[c]] = any = true;
        }
        if (any) {
            if (!need_add(p, (int)m, keep, "reconciled by a table of its year"))
                return GY_ENOMEM;
        } else
            free(keep);
        if (!(keep = cols_new(t)))
            return GY_ENOMEM;
        int r = gy_relate_keep(o, &self, keep);
        if (r < 0) {
            free(keep);
            if (!need_add(p, (int)m, NULL, "a table of figures of its year reads whatever its rows name"))
                return GY_ENOMEM;
        } else if (r > 0) {
            if (!need_add(p, (int)m, keep, "the relations of a table of its year read it"))
                return GY_ENOMEM;
        } else
            free(keep);
    }
    return GY_OK;
}

gy_status gy_retention_make(const gy_defset *defs, size_t big, size_t max_rows, gy_retention *out)
{
    *out = (gy_retention){.big = big, .max_rows = max_rows};
    gy_keep_plan *plan = calloc(defs->n ? defs->n : 1, sizeof *plan);
    if (!plan)
        return GY_ENOMEM;
    out->plan = plan;
    out->nplan = defs->n;
    for (size_t i = 0; i < defs->n; i++)
        if (plan_of(defs, i, &plan[i]) != GY_OK) {
            gy_retention_free(out);
            return GY_ENOMEM;
        }
    return GY_OK;
}

void gy_retention_free(gy_retention *r)
{
    gy_keep_plan *plan = (gy_keep_plan *)r->plan; /* made by gy_retention_make */
    for (size_t i = 0; plan && i < r->nplan; i++) {
        for (size_t k = 0; k < plan[i].n; k++)
            free(plan[i].v[k].cols);
        free(plan[i].v);
    }
    free(plan);
    r->plan = NULL;
}

/* whether the year of t holds another table, of definition `def` (NULL: any) */
static bool year_holds(const gy_dataset *ds, const gy_table *t, const gy_tabledef *def)
{
    for (size_t m = 0; m < ds->n; m++) {
        const gy_table *o = ds->v[m];
        if (o != t && o->fy.western == t->fy.western && (!def || o->def == def))
            return true;
    }
    return false;
}

/* a table of an earlier year that the report does not print: only what
 * the next year's @前年 reads of it stays (the workbook's derivations of
 * the next year are made while it is written), and what the tables of
 * its own year verified later (gy_report_write) reconcile with */
static gy_status cut(const gy_keep_plan *p, const gy_defset *defs, const gy_dataset *ds, gy_table *t)
{
    bool *keep = cols_new(t->def), any = false;
    if (!keep)
        return GY_ENOMEM;
    for (size_t k = 0; k < p->n; k++) {
        const gy_keep_need *n = &p->v[k];
        if (n->by == GY_KEEP_ANY ? !year_holds(ds, t, NULL)
                                 : n->by >= 0 && !year_holds(ds, t, defs->v[n->by]))
            continue;
        if (!n->cols) { /* kept whole */
            free(keep);
            return GY_OK;
        }
        for (size_t j = 0; j < t->def->ncols; j++)
            keep[j] |= n->cols[j];
        any = true;
    }
    if (any)
        gy_table_keep(t, keep);
    else
        gy_table_release(t);
    free(keep);
    return GY_OK;
}

bool gy_retention_cuts(const gy_retention *r, const gy_table *t)
{
    return r->plan && t->later && t->nrows > r->max_rows;
}

gy_status gy_retention_cut(const gy_retention *r, const gy_defset *defs, gy_dataset *ds, size_t first)
{
    gy_status st = GY_OK;
    for (size_t k = first; st == GY_OK && k < ds->n; k++) {
        gy_table *t = ds->v[k];
        if (!gy_retention_cuts(r, t))
            continue;
        size_t i = 0;
        while (i < defs->n && i < r->nplan && defs->v[i] != t->def)
            i++;
        if (i < defs->n && i < r->nplan)
            st = cut(&r->plan[i], defs, ds, t);
    }
    return st;
}
