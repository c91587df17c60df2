/* verify_int.h - what verify's source files share, private to them
 *
 * The check of one table runs on a ctx (its groups, lookups, the rule
 * being evaluated, the derivations being recorded); the files that check
 * one kind of thing each take it: verify_rules.c (rules, derivations),
 * verify_sums.c (小計, 計, parents), verify_prev.c (last year's rows),
 * verify_recon.c (reconcile), verify_rows.c (再掲, selectors), and
 * verify.c (the driver) makes and frees it. Small helpers are static
 * inline here; the functions shared across these files are named gyv_.
 * Not an interface: nothing outside src/verify*.c and src/findings.c
 * includes it.
 */
#ifndef GAIYO_VERIFY_INT_H
#define GAIYO_VERIFY_INT_H

#include "gaiyo/verify.h"
#include "gaiyo/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static inline void fmt_val(const gy_table *t, int col, int64_t v, char *buf, size_t n)
{
    gy_col_format(&t->def->cols[col], v, "△", buf, n);
}

static inline val cell_val(const gy_table *t, size_t row, int col)
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
static inline const char *any_text(const gy_table *t, size_t row, int col, gy_cell *buf)
{
    if (gy_col_textlike(t->def, (size_t)col))
        return gy_ttext(t, row, col);
    gy_table_cell(t, row, (size_t)col, buf);
    return buf->text;
}

/* a cell's text as written (or canonical), in *buf */
static inline const char *cell_text(const gy_table *t, size_t row, int col, gy_cell *buf)
{
    gy_table_cell(t, row, (size_t)col, buf);
    return buf->text;
}

/* ---- row lookup -------------------------------------------------------- */

static inline uint64_t hash_str(uint64_t h, const char *s)
{
    return gy_hash_str(h, s);
}

static inline uint64_t hash_int(uint64_t h, int64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (unsigned char)(v & 0xff)) * 1099511628211ull;
    return h;
}

static inline bool rowidx_init(rowidx *x, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    x->s = gy_calloc_big(cap, sizeof *x->s);
    x->cap = cap;
    return x->s != NULL;
}

static inline void rowidx_free(rowidx *x)
{
    free(x->s);
    memset(x, 0, sizeof *x);
}

static inline void rowidx_add(rowidx *x, uint64_t h, size_t row)
{
    size_t j = (size_t)h & (x->cap - 1);
    while (x->s[j].row)
        j = (j + 1) & (x->cap - 1);
    x->s[j] = (rowslot){tag_of(h), (uint32_t)(row + 1)};
}

static inline uint64_t label_hash(size_t grp, const char *label)
{
    return hash_str(hash_int(1469598103934665603ull, (int64_t)grp), label);
}

static inline bool counts_in_total(const gy_table *t, const gy_row *r)
{
    return r->role == GY_ROLE_ITEM || (r->role == GY_ROLE_MEMO && t->def->memo_in_totals);
}

static inline bool has_prev(const gy_expr *e)
{
    return gy_expr_has_prev(e);
}

/* ---- shared across verify's files ------------------------------------------ */

/* verify.c: a finding at cell (row, col) of the table being checked
 * (c->oom when memory ran out); add_info's `group` is the line standing
 * for the group of its cause ("{n}", "{what}"), `what` this one's subject */
void gyv_add_finding(ctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *stated,
                     const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 10, 11)));
void gyv_add_findingv_l(ctx *c, gy_finding *g, size_t row, int col, const char *stated, const char *computed,
                        const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void gyv_add_info(ctx *c, const char *group, const char *what, const char *rule, size_t row, int col,
                  const char *stated, const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 11, 12)));

/* verify.c: a ctx for c->t (its groups, last year's table, the 組替
 * lines), and its release */
gy_status gyv_make_groups(ctx *c);
void gyv_free_ctx(ctx *c);

/* verify_rules.c: growable arrays, recording derivations, a rule's
 * value on a row, the check of one rule on one row */
bool gyv_reserve(ctx *c, size_t **v, size_t n, size_t *cap, size_t more);
void gyv_rec_ref(ctx *c, size_t row);
void gyv_add_deriv(ctx *c, size_t row, int col, const gy_rule *ru, const char *kind, const size_t *rows,
                   size_t nrows, int64_t value);
val gyv_eval(ctx *c, const gy_expr *e, size_t row, int target);
void gyv_check_rule(ctx *c, const gy_rule *ru, size_t row);

/* verify_prev.c: a column's value one fiscal year earlier; the 組替 lines
 * of this table */
val gyv_prev_value(ctx *c, size_t row, int col, size_t *prow);
bool gyv_find_remaps(ctx *c);

/* verify_sums.c: the sums of the rows [from_row, upto) */
void gyv_check_sums(ctx *c, size_t from_row, size_t upto);

/* verify_recon.c: the reconcile lines of the definition */
void gyv_check_recons(ctx *c);

/* verify_rows.c: 再掲 rows against their originals; rule selectors that
 * select nothing */
void gyv_check_memos(ctx *c);
void gyv_check_selectors(ctx *c);

/* findings.c: the order gy_verify sorts findings in (file, line,
 * column, rule, message) */
int gyv_cmp_finding(const void *a, const void *b);

#endif
