/* verify_recon.c - `reconcile`: a figure against another table's rows
 *
 * The rows of the other table a key names, summed per key and per 区分
 * through hash tables (linear in both tables), and the difference said
 * as an info with the part its 区分 explain. Tested by
 * tests/unit/test_verify.c.
 */
#include "verify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void gyv_check_recons(ctx *c)
{
    const gy_table *t = c->t;
    for (size_t k = 0; k < t->def->nrecons; k++) {
        const gy_recon *rc = &t->def->recons[k];
        const gy_table *o = gy_dataset_find(c->ds, rc->table, t->fy.western);
        if (!o) {
            /* no file of that table this year: each figure it would have
             * been compared with is an info, as relate and figure say it */
            for (size_t i = 0; i < t->nrows && !c->oom; i++) {
                if (t->rows[i].role != GY_ROLE_ITEM || gy_tnil(t, i, rc->target) != GY_NIL_NONE)
                    continue;
                char sb[64];
                fmt_val(t, rc->target, gy_tv(t, i, rc->target), sb, sizeof sb);
                gyv_add_info(c, "照合先の表 ({what}) のこの年度のファイルがないため {n} の数値を照合できません",
                             rc->table, "reconcile", i, rc->target, sb, "", false, 0,
                             "照合先の表 '%s' の %d 年度のファイルがないため照合できません (定義 %s:%u: reconcile "
                             "%s = %s.%s by %s=%s)",
                             rc->table, t->fy.western, t->def->path, rc->line, t->def->cols[rc->target].name,
                             rc->table, rc->col, t->def->cols[rc->key].name, rc->okey);
            }
            continue;
        }
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
            if (!e || e->n == 0) {
                /* no row of that key in the other table: nothing to compare
                 * with, said as an info (the 特別会計, which 各課事業概要 does
                 * not list) */
                char sb[64];
                fmt_val(t, rc->target, gy_tv(t, i, rc->target), sb, sizeof sb);
                gyv_add_info(c, "照合先の表 ({what}) にその行がないため {n} の数値を照合できません", rc->table,
                             "reconcile", i, rc->target, sb, "", false, 0,
                             "照合先の表 '%s' (%s) に %s=「%s」の行がないため照合できません (定義 %s:%u: reconcile "
                             "%s = %s.%s by %s=%s)",
                             rc->table, o->def->title, rc->okey, key, t->def->path, rc->line, t->def->cols[rc->target].name,
                             rc->table, rc->col, t->def->cols[rc->key].name, rc->okey);
                if (c->oom)
                    break;
                continue;
            }
            int64_t stated = gy_tv(t, i, rc->target), all = e->all, expl = e->expl, implied, d1, d2;
            char sb[64], ab[64], db[64], eb[64], ub[64];
            fmt_val(t, rc->target, stated, sb, sizeof sb);
            if (e->ovf || __builtin_sub_overflow(all, expl, &implied) || __builtin_sub_overflow(stated, all, &d1) ||
                __builtin_sub_overflow(stated, implied, &d2)) {
                gyv_add_finding(c, GY_SEV_ERROR, "reconcile", i, rc->target, sb, "", false, 0,
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
            gyv_add_info(c, "照合: {n} 行で {what} の合計と差があります。誤りとは限りません (行ごとの差は findings.csv と 検証結果に)",
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
