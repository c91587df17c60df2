/* expr.c - a rule's expression: parse, evaluate exactly, write as a formula */
#include "gaiyo/expr.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gy_expr_free(gy_expr *e)
{
    if (!e)
        return;
    gy_expr_free(e->a);
    gy_expr_free(e->b);
    free(e->row);
    free(e);
}

bool gy_expr_has(const gy_expr *e, gy_xop op)
{
    return e && (e->op == op || gy_expr_has(e->a, op) || gy_expr_has(e->b, op));
}

bool gy_expr_has_prev(const gy_expr *e)
{
    return e && ((e->op == GY_X_REF && e->rowref == GY_R_PREV) || gy_expr_has_prev(e->a) ||
                 gy_expr_has_prev(e->b));
}

/* ---- exact rationals ------------------------------------------------ */

typedef gy_i128 i128;

static i128 gcd128(i128 a, i128 b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    if (a <= (i128)UINT64_MAX && b <= (i128)UINT64_MAX) {
        /* 64-bit division where it fits: most figures */
        uint64_t x = (uint64_t)a, y = (uint64_t)b;
        while (y) {
            uint64_t t = x % y;
            x = y;
            y = t;
        }
        return (i128)x;
    }
    while (b) {
        i128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* n / d (d != 0) reduced into *out; false if it does not fit in int64 */
static bool rat_make(i128 n, i128 d, gy_rat *out)
{
    if (d == 0)
        return false;
    if (d < 0) {
        n = -n;
        d = -d;
    }
    i128 g = d == 1 ? 1 : gcd128(n, d);
    if (g > 1) {
        n /= g;
        d /= g;
    }
    if (n > INT64_MAX || n < -(i128)INT64_MAX || d > INT64_MAX)
        return false;
    out->n = (int64_t)n;
    out->d = (int64_t)d;
    return true;
}

bool gy_rat_scaled(int64_t n, int decimals, gy_rat *out)
{
    if (decimals == 0 && n != INT64_MIN) {
        *out = (gy_rat){n, 1};
        return true;
    }
    if (decimals < 0 || decimals > 18 || n == INT64_MIN)
        return false;
    /* int64 throughout: the common case of every ratio cell */
    uint64_t x = n < 0 ? (uint64_t)-n : (uint64_t)n, y = (uint64_t)gy_pow10(decimals);
    uint64_t d = y;
    while (y) {
        uint64_t t = x % y;
        x = y;
        y = t;
    }
    *out = (gy_rat){n / (int64_t)x, (int64_t)(d / x)};
    return true;
}

/* integers (the common case): int64 arithmetic, overflow-checked (the
 * range is symmetric: INT64_MIN is out, as in rat_make) */
static bool int_result(int64_t r, bool ovf, gy_rat *out)
{
    if (ovf || r == INT64_MIN)
        return false;
    *out = (gy_rat){r, 1};
    return true;
}

bool gy_rat_add(gy_rat a, gy_rat b, gy_rat *out)
{
    int64_t r;
    if (a.d == 1 && b.d == 1) {
        bool ovf = __builtin_add_overflow(a.n, b.n, &r);
        return int_result(r, ovf, out);
    }
    /* a.n * b.d fits in 127 bits; the sum of two such in 128 */
    return rat_make((i128)a.n * b.d + (i128)b.n * a.d, (i128)a.d * b.d, out);
}

bool gy_rat_sub(gy_rat a, gy_rat b, gy_rat *out)
{
    int64_t r;
    if (a.d == 1 && b.d == 1) {
        bool ovf = __builtin_sub_overflow(a.n, b.n, &r);
        return int_result(r, ovf, out);
    }
    return rat_make((i128)a.n * b.d - (i128)b.n * a.d, (i128)a.d * b.d, out);
}

bool gy_rat_mul(gy_rat a, gy_rat b, gy_rat *out)
{
    int64_t r;
    if (a.d == 1 && b.d == 1) {
        bool ovf = __builtin_mul_overflow(a.n, b.n, &r);
        return int_result(r, ovf, out);
    }
    return rat_make((i128)a.n * b.n, (i128)a.d * b.d, out);
}

bool gy_rat_div(gy_rat a, gy_rat b, gy_rat *out)
{
    if (b.n == 0)
        return false;
    return rat_make((i128)a.n * b.d, (i128)a.d * b.n, out);
}

/* n / d (d != 0) rounded to an integer: half away from zero, or toward
 * zero; false if it leaves int64 */
static bool div_round(i128 n, i128 d, bool trunc, int64_t *out, bool *exact)
{
    bool neg = (n < 0) != (d < 0);
    gy_u128 a = n < 0 ? (gy_u128)0 - (gy_u128)n : (gy_u128)n;
    gy_u128 b = d < 0 ? (gy_u128)0 - (gy_u128)d : (gy_u128)d;
    gy_u128 q = a / b, r = a % b;
    if (exact)
        *exact = r == 0;
    if (!trunc && r >= b - r)
        q++;
    if (q > (gy_u128)INT64_MAX)
        return false;
    *out = neg ? -(int64_t)q : (int64_t)q;
    return true;
}

bool gy_rat_to_scaled(gy_rat a, int decimals, bool trunc, int64_t *out, bool *exact)
{
    if (decimals >= 0 && decimals <= 18 && gy_pow10(decimals) % a.d == 0) {
        /* exact at this scale (an integer, or a ratio's 92.7): no division */
        if (exact)
            *exact = true;
        return !__builtin_mul_overflow(a.n, gy_pow10(decimals) / a.d, out) && *out != INT64_MIN;
    }
    i128 n;
    if (decimals < 0 || decimals > 18 || __builtin_mul_overflow((i128)a.n, (i128)gy_pow10(decimals), &n))
        return false;
    return div_round(n, a.d, trunc, out, exact);
}

gy_xst gy_expr_share(gy_rat part, gy_rat whole, int64_t scale, int decimals, bool trunc, int64_t *out)
{
    *out = 0;
    if (whole.n == 0)
        return part.n > 0 ? GY_XV_ALLUP : GY_XV_NONE;
    /* part / whole × scale × 10^decimals = (pn · wd · scale · 10^k) / (pd · wn) */
    i128 n, d;
    if (decimals < 0 || decimals > 18 || __builtin_mul_overflow((i128)part.n, (i128)whole.d, &n) ||
        __builtin_mul_overflow(n, (i128)scale, &n) || __builtin_mul_overflow(n, (i128)gy_pow10(decimals), &n) ||
        __builtin_mul_overflow((i128)part.d, (i128)whole.n, &d))
        return GY_XV_OVERFLOW;
    return div_round(n, d, trunc, out, NULL) ? GY_XV_OK : GY_XV_OVERFLOW;
}

/* ---- column scales ------------------------------------------------------ */

int gy_col_shown_decimals(const gy_coldef *c, int64_t v)
{
    int d = gy_col_decimals(c);
    if (c->type == GY_T_RATIO)
        return d;
    while (d > 0 && v % 10 == 0) {
        v /= 10;
        d--;
    }
    return d;
}

void gy_col_format(const gy_coldef *c, int64_t v, const char *neg, char *buf, size_t n)
{
    int d = gy_col_decimals(c);
    if (c->type != GY_T_RATIO && d == 0) {
        gy_format_int(v, neg, buf, n);
        return;
    }
    int shown = gy_col_shown_decimals(c, v);
    if (shown < d)
        v /= gy_pow10(d - shown); /* only zeros are dropped */
    gy_format_ratio(v, shown, neg, buf, n);
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct xparser {
    const char *p, *line;
    const gy_tabledef *t;
    const char *path;
    unsigned lineno;
    gy_diags *d;
    bool err;
    unsigned off;
    gy_xleaf_fn leaf;    /* a consumer's leaves (gy_expr_parse_leaves), or NULL */
    void *lu;
} xparser;

static bool is_delim(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '+' || c == '-' || c == '(' || c == ')' || c == ',' ||
           c == '=' || c == '@' || c == '#' || c == '*' || c == '/' || c == '"';
}

static void xskip(xparser *x)
{
    while (*x->p == ' ' || *x->p == '\t')
        x->p++;
}

static char *xident(xparser *x)
{
    xskip(x);
    const char *s = x->p;
    while (!is_delim(*x->p))
        x->p++;
    if (x->p == s)
        return NULL;
    return gy_strndup(s, (size_t)(x->p - s));
}

static unsigned xcolno(const xparser *x, const char *at)
{
    return x->off + gy_char_col(x->line, at);
}

static void xerr(xparser *x, const char *at, const char *msg, const char *what)
{
    if (!x->err)
        gy_diag_add(x->d, x->path, x->lineno, xcolno(x, at), "%s%s%s%s", msg, what ? " '" : "", what ? what : "",
                    what ? "'" : "");
    x->err = true;
}

static gy_expr *xnew(xparser *x, gy_xop op, const char *at)
{
    gy_expr *e = calloc(1, sizeof *e);
    if (e) {
        e->col = -1;
        e->op = op;
        e->num = (gy_rat){0, 1};
        e->pos = xcolno(x, at);
    } else {
        xerr(x, at, "メモリが足りません", NULL);
    }
    return e;
}

static gy_expr *xexpr(xparser *x);

static int xcol(xparser *x, const char *at, const char *name)
{
    int c = gy_tabledef_col(x->t, name);
    if (c < 0)
        xerr(x, at, "規則が存在しない列を参照しています:", name);
    else if (x->t->cols[c].type != GY_T_AMOUNT && x->t->cols[c].type != GY_T_COUNT &&
             x->t->cols[c].type != GY_T_RATIO) {
        xerr(x, at, "規則で数値でない列は使えません:", name);
        c = -1;
    }
    return c;
}

/* a number as written: digits, optionally '.' and digits (12, 0.5);
 * false if s is not one (then it may be a column's name) */
static bool xnumber(xparser *x, const char *at, const char *s, gy_expr *e)
{
    if (*s < '0' || *s > '9')
        return false;
    int64_t v = 0;
    int dec = -1;
    for (const char *q = s; *q; q++) {
        if (*q == '.' && dec < 0 && q[1]) {
            dec = 0;
            continue;
        }
        if (*q < '0' || *q > '9')
            return false;
        if (dec >= 0)
            dec++;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *q - '0', &v) || dec > 18) {
            xerr(x, at, "数が大きすぎるか桁が多すぎます:", s);
            return true;
        }
    }
    e->op = GY_X_NUM;
    e->digits = dec < 0 ? 0 : dec;
    if (!gy_rat_scaled(v, e->digits, &e->num))
        xerr(x, at, "数が大きすぎるか桁が多すぎます:", s);
    return true;
}

/* a row label after '@': a word, or "quoted" ("" for a quote) */
static char *xlabel(xparser *x)
{
    if (*x->p != '"')
        return xident(x);
    const char *at = x->p++;
    gy_buf b = {0};
    for (;;) {
        if (!*x->p) {
            gy_buf_free(&b);
            xerr(x, at, "行ラベルの '\"' が閉じていません", NULL);
            return NULL;
        }
        if (*x->p == '"') {
            if (x->p[1] != '"')
                break;
            x->p++;
        }
        if (!gy_buf_add(&b, x->p, 1)) {
            gy_buf_free(&b);
            return NULL;
        }
        x->p++;
    }
    x->p++;
    if (!b.p) {
        xerr(x, at, "行ラベルが空です", NULL);
        return NULL;
    }
    return b.p;
}

/* round(x, n) / trunc(x, n): n decimals, 0..6 */
static bool xdigits(xparser *x, gy_expr *e, const char *fn)
{
    xskip(x);
    if (*x->p != ',') {
        xerr(x, x->p, fn[0] == 'r' ? "round(値, 桁数) の ',' がありません" : "trunc(値, 桁数) の ',' がありません",
             NULL);
        return false;
    }
    x->p++;
    xskip(x);
    const char *at = x->p;
    char *n = xident(x);
    if (!n || n[0] < '0' || n[0] > '6' || n[1]) {
        xerr(x, at, "桁数は 0 から 6 の整数です:", n ? n : "");
        free(n);
        return false;
    }
    e->digits = n[0] - '0';
    free(n);
    return true;
}

char *gy_expr_word(const char **p)
{
    xparser x = {.p = *p};
    char *w = xident(&x);
    *p = x.p;
    return w;
}

static gy_expr *xfactor(xparser *x)
{
    xskip(x);
    const char *at = x->p;
    if (*x->p == '(') {
        x->p++;
        gy_expr *e = xexpr(x);
        xskip(x);
        if (!x->err && *x->p != ')') {
            xerr(x, x->p, "')' がありません", NULL);
            gy_expr_free(e);
            return NULL;
        }
        x->p++;
        return e;
    }
    char *id = xident(x);
    if (!id) {
        xerr(x, at, "列名か数か関数がありません", NULL);
        return NULL;
    }
    xskip(x);
    gy_expr *e = NULL;
    if (x->leaf && (id[0] < '0' || id[0] > '9') &&
        !(*x->p == '(' && (!strcmp(id, "pct") || !strcmp(id, "round") || !strcmp(id, "trunc")))) {
        /* a consumer's leaf: it reads the text from the leaf's start */
        free(id);
        x->p = at;
        int idx = -1;
        const char *err = NULL, *errat = NULL;
        if (!x->leaf(x->lu, &x->p, &idx, &err, &errat)) {
            xerr(x, errat ? errat : at, err ? err : "メモリが足りません", NULL);
            return NULL;
        }
        if ((e = xnew(x, GY_X_REF, at)))
            e->col = idx;
        return e;
    }
    if (*x->p == '(') {
        x->p++;
        if (strcmp(id, "pct") == 0) {
            if (!(e = xnew(x, GY_X_PCT, at)))
                goto fail;
            e->a = xexpr(x);
            xskip(x);
            if (x->err)
                goto fail;
            if (*x->p != ',') {
                xerr(x, x->p, "pct(分子, 分母) の ',' がありません", NULL);
                goto fail;
            }
            x->p++;
            e->b = xexpr(x);
        } else if (strcmp(id, "round") == 0 || strcmp(id, "trunc") == 0) {
            if (!(e = xnew(x, id[0] == 'r' ? GY_X_ROUND : GY_X_TRUNC, at)))
                goto fail;
            e->a = xexpr(x);
            if (x->err || !xdigits(x, e, id))
                goto fail;
        } else if (strcmp(id, "total") == 0) {
            if (!(e = xnew(x, GY_X_TOTAL, at)))
                goto fail;
            xskip(x);
            const char *cat = x->p;
            char *cn = xident(x);
            if (!cn) {
                xerr(x, cat, "total() には列名が要ります", NULL);
                goto fail;
            }
            e->col = xcol(x, cat, cn);
            free(cn);
        } else {
            xerr(x, at, "未知の関数です (pct, total, round, trunc が使えます):", id);
            goto fail;
        }
        xskip(x);
        if (x->err)
            goto fail;
        if (*x->p != ')') {
            xerr(x, x->p, "')' がありません", NULL);
            goto fail;
        }
        x->p++;
        free(id);
        return e;
    fail:
        free(id);
        gy_expr_free(e);
        return NULL;
    }
    if (!(e = xnew(x, GY_X_REF, at))) {
        free(id);
        return NULL;
    }
    if (xnumber(x, at, id, e)) {
        free(id);
        if (x->err) {
            gy_expr_free(e);
            return NULL;
        }
        return e;
    }
    e->col = xcol(x, at, id);
    free(id);
    if (*x->p == '@') {
        x->p++;
        const char *rat = x->p;
        bool quoted = *x->p == '"';
        char *r = xlabel(x);
        if (!r) {
            xerr(x, rat, "'@' の後に行ラベル (\"…\" で囲めば何でも) か 前年 が要ります", NULL);
            gy_expr_free(e);
            return NULL;
        }
        if (!quoted && (strcmp(r, "前年") == 0 || strcmp(r, "prev") == 0)) {
            free(r);
            /* with an fy key column: the row one year earlier in the same
             * table; without: the same keys in the previous year's folder */
            e->rowref = GY_R_PREV;
        } else {
            e->rowref = GY_R_LABEL;
            e->row = r;
        }
    }
    return e;
}

/* a chain of operands joined by the operators of one precedence level */
static gy_expr *xchain(xparser *x, bool mul)
{
    gy_expr *l = mul ? xfactor(x) : xchain(x, true);
    for (;;) {
        if (x->err) {
            gy_expr_free(l);
            return NULL;
        }
        xskip(x);
        char c = *x->p;
        if (mul ? (c != '*' && c != '/') : (c != '+' && c != '-'))
            return l;
        const char *at = x->p++;
        gy_expr *r = mul ? xfactor(x) : xchain(x, true);
        gy_expr *e = xnew(x, c == '+' ? GY_X_ADD : c == '-' ? GY_X_SUB : c == '*' ? GY_X_MUL : GY_X_DIV, at);
        if (!e) {
            gy_expr_free(l);
            gy_expr_free(r);
            return NULL;
        }
        e->a = l;
        e->b = r;
        l = e;
        if (!x->err && c == '/' && r && r->op == GY_X_NUM && r->num.n == 0)
            xerr(x, at, "0 で割っています", NULL);
    }
}

static gy_expr *xexpr(xparser *x)
{
    return xchain(x, false);
}

gy_expr *gy_expr_parse(const char **p, const gy_tabledef *t, const char *path, unsigned lineno, const char *line,
                       unsigned off, gy_diags *d)
{
    xparser x = {.p = *p, .line = line, .t = t, .path = path, .lineno = lineno, .d = d, .off = off};
    gy_expr *e = xexpr(&x);
    *p = x.p;
    if (x.err || !e) {
        if (!x.err)
            xerr(&x, x.p, "式がありません", NULL);
        gy_expr_free(e);
        return NULL;
    }
    return e;
}

gy_expr *gy_expr_parse_leaves(const char **p, gy_xleaf_fn leaf, void *u, const char *path, unsigned lineno,
                              const char *line, unsigned off, gy_diags *d)
{
    xparser x = {.p = *p, .line = line, .path = path, .lineno = lineno, .d = d, .off = off, .leaf = leaf, .lu = u};
    gy_expr *e = xexpr(&x);
    *p = x.p;
    if (x.err || !e) {
        if (!x.err)
            xerr(&x, x.p, "式がありません", NULL);
        gy_expr_free(e);
        return NULL;
    }
    return e;
}

/* ---- evaluation ------------------------------------------------------- */

static gy_xval xv(gy_xst st)
{
    return (gy_xval){st, {0, 1}};
}

static gy_xval ovf(const gy_xenv *env)
{
    if (env->event)
        env->event(env->u, GY_XE_OVERFLOW);
    return xv(GY_XV_UNKNOWN);
}

static gy_xval eval2(const gy_expr *e, const gy_xenv *env, gy_xval a, gy_xval b)
{
    /* what cannot be computed stays so; a blank operand adds as 0, and
     * a blank result only when every operand is blank */
    if (a.st == GY_XV_UNKNOWN || b.st == GY_XV_UNKNOWN)
        return xv(GY_XV_UNKNOWN);
    if (a.st == GY_XV_ALLUP || a.st == GY_XV_NONE)
        return a;
    if (b.st == GY_XV_ALLUP || b.st == GY_XV_NONE)
        return b;
    if (a.st == GY_XV_NIL && b.st == GY_XV_NIL)
        return xv(GY_XV_NIL);
    gy_xval r = xv(GY_XV_OK);
    bool ok = true;
    switch (e->op) {
    case GY_X_ADD: ok = gy_rat_add(a.v, b.v, &r.v); break;
    case GY_X_SUB: ok = gy_rat_sub(a.v, b.v, &r.v); break;
    case GY_X_MUL: ok = gy_rat_mul(a.v, b.v, &r.v); break;
    case GY_X_DIV:
        if (b.v.n == 0)
            return xv(GY_XV_NONE);
        ok = gy_rat_div(a.v, b.v, &r.v);
        break;
    default: return xv(GY_XV_UNKNOWN);
    }
    return ok ? r : ovf(env);
}

gy_xval gy_expr_eval(const gy_expr *e, const gy_xenv *env)
{
    switch (e->op) {
    case GY_X_REF:
    case GY_X_TOTAL: {
        gy_xval v = env->leaf(env->u, e);
        if (v.st == GY_XV_OVERFLOW)
            return ovf(env);
        return v;
    }
    case GY_X_NUM: return (gy_xval){GY_XV_OK, e->num};
    case GY_X_ADD:
    case GY_X_SUB:
    case GY_X_MUL:
    case GY_X_DIV: {
        /* both sides always (a consumer records its reads in order) */
        gy_xval a = gy_expr_eval(e->a, env);
        gy_xval b = gy_expr_eval(e->b, env);
        return eval2(e, env, a, b);
    }
    case GY_X_ROUND:
    case GY_X_TRUNC: {
        gy_xval a = gy_expr_eval(e->a, env);
        if (a.st != GY_XV_OK)
            return a;
        int64_t s;
        if (!gy_rat_to_scaled(a.v, e->digits, e->op == GY_X_TRUNC, &s, NULL) || !gy_rat_scaled(s, e->digits, &a.v))
            return ovf(env);
        return a;
    }
    case GY_X_PCT: {
        gy_xval a = gy_expr_eval(e->a, env);
        gy_xval b = gy_expr_eval(e->b, env);
        if (a.st == GY_XV_UNKNOWN || b.st == GY_XV_UNKNOWN)
            return xv(GY_XV_UNKNOWN);
        if (a.st == GY_XV_ALLUP || a.st == GY_XV_NONE)
            return a;
        if (b.st == GY_XV_ALLUP || b.st == GY_XV_NONE)
            return b;
        if (b.st == GY_XV_NIL) {
            if (env->event)
                env->event(env->u, GY_XE_NILBASE);
            return xv(GY_XV_UNKNOWN);
        }
        int64_t s;
        gy_xst st = gy_expr_share(a.v, b.v, env->scale, env->decimals, env->trunc, &s);
        if (st == GY_XV_OVERFLOW)
            return ovf(env);
        if (st != GY_XV_OK)
            return xv(st);
        gy_xval r = xv(GY_XV_OK);
        if (!gy_rat_scaled(s, env->decimals, &r.v))
            return ovf(env);
        return r;
    }
    }
    return xv(GY_XV_UNKNOWN);
}

int gy_expr_decimals(const gy_expr *e, const int *cold, int target_decimals)
{
    int a, b;
    switch (e->op) {
    case GY_X_REF:
    case GY_X_TOTAL: return e->col >= 0 ? cold[e->col] : 0;
    case GY_X_NUM: return e->digits;
    case GY_X_PCT: return target_decimals;
    case GY_X_ROUND:
    case GY_X_TRUNC:
        a = gy_expr_decimals(e->a, cold, target_decimals);
        return a < e->digits ? a : e->digits;
    case GY_X_ADD:
    case GY_X_SUB:
        a = gy_expr_decimals(e->a, cold, target_decimals);
        b = gy_expr_decimals(e->b, cold, target_decimals);
        return a > b ? a : b;
    case GY_X_MUL:
        a = gy_expr_decimals(e->a, cold, target_decimals);
        b = gy_expr_decimals(e->b, cold, target_decimals);
        return a == INT32_MAX || b == INT32_MAX || a + b > 18 ? INT32_MAX : a + b;
    case GY_X_DIV: return INT32_MAX;
    }
    return INT32_MAX;
}

gy_xst gy_expr_target(gy_xval v, int decimals, int64_t *out, bool *rounded, int64_t *down)
{
    *out = 0;
    *rounded = false;
    *down = 0;
    if (v.st != GY_XV_OK)
        return v.st;
    bool exact;
    if (!gy_rat_to_scaled(v.v, decimals, false, out, &exact))
        return GY_XV_OVERFLOW;
    *rounded = !exact;
    *down = *out;
    if (!exact && !gy_rat_to_scaled(v.v, decimals, true, down, NULL))
        return GY_XV_OVERFLOW;
    return GY_XV_OK;
}

/* ---- Excel formulas ----------------------------------------------------- */

/* how much an operand must be bracketed: 0 never, 1 a sum or difference,
 * 2 also a product or quotient (the right side of '/', a ratio's base) */
static bool fwalk(const gy_expr *e, const gy_xfenv *env, int paren, gy_rat *v);

static void fput_int(const gy_xfenv *env, int64_t x)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)x);
    env->put(env->u, b);
}

/* a number as written (0.5, 12): digits of its decimal expansion */
static void fput_num(const gy_xfenv *env, const gy_expr *e)
{
    int64_t s;
    if (!gy_rat_to_scaled(e->num, e->digits, false, &s, NULL))
        s = 0;
    char b[48];
    gy_format_ratio(s, e->digits, "-", b, sizeof b);
    char o[48];
    size_t k = 0;
    for (const char *p = b; *p && k + 1 < sizeof o; p++)
        if (*p != ',')
            o[k++] = *p;
    o[k] = '\0';
    env->put(env->u, o);
}

static bool fwalk(const gy_expr *e, const gy_xfenv *env, int paren, gy_rat *v)
{
    switch (e->op) {
    case GY_X_REF:
    case GY_X_TOTAL: return env->leaf(env->u, e, v);
    case GY_X_NUM:
        fput_num(env, e);
        *v = e->num;
        return true;
    case GY_X_ADD:
    case GY_X_SUB:
    case GY_X_MUL:
    case GY_X_DIV: {
        /* precedence 1 (+ -) or 2 (* /): parentheses where the operand
         * binds less tightly than its place needs (the right side of - and
         * / needs one level more) */
        bool mul = e->op == GY_X_MUL || e->op == GY_X_DIV, inv = e->op == GY_X_SUB || e->op == GY_X_DIV;
        int prec = mul ? 2 : 1;
        static const char *const sym[] = {[GY_X_ADD] = "+", [GY_X_SUB] = "-", [GY_X_MUL] = "*", [GY_X_DIV] = "/"};
        gy_rat a, b;
        if (paren >= prec)
            env->put(env->u, "(");
        if (!fwalk(e->a, env, prec - 1, &a))
            return false;
        env->put(env->u, sym[e->op]);
        if (!fwalk(e->b, env, prec - 1 + inv, &b))
            return false;
        if (paren >= prec)
            env->put(env->u, ")");
        switch (e->op) {
        case GY_X_ADD: return gy_rat_add(a, b, v);
        case GY_X_SUB: return gy_rat_sub(a, b, v);
        case GY_X_MUL: return gy_rat_mul(a, b, v);
        default: return gy_rat_div(a, b, v);
        }
    }
    case GY_X_ROUND:
    case GY_X_TRUNC: {
        gy_rat a;
        int64_t s;
        env->put(env->u, e->op == GY_X_ROUND ? "ROUND(" : "TRUNC(");
        if (!fwalk(e->a, env, 0, &a))
            return false;
        env->put(env->u, ",");
        fput_int(env, e->digits);
        env->put(env->u, ")");
        return gy_rat_to_scaled(a, e->digits, e->op == GY_X_TRUNC, &s, NULL) && gy_rat_scaled(s, e->digits, v);
    }
    case GY_X_PCT: {
        gy_rat a, b;
        int64_t p10 = gy_pow10(env->decimals), s;
        int64_t sc;
        if (__builtin_mul_overflow(env->scale, p10, &sc))
            return false;
        env->put(env->u, "ROUND(");
        if (!fwalk(e->a, env, 1, &a))
            return false;
        env->put(env->u, "*");
        fput_int(env, sc);
        env->put(env->u, "/");
        /* the base: a sum is bracketed as before (a product too) */
        if (!fwalk(e->b, env, 2, &b))
            return false;
        env->put(env->u, ",0)");
        if (p10 > 1) {
            env->put(env->u, "/");
            fput_int(env, p10);
        }
        return gy_expr_share(a, b, env->scale, env->decimals, false, &s) == GY_XV_OK &&
               gy_rat_scaled(s, env->decimals, v);
    }
    }
    return false;
}

bool gy_expr_formula(const gy_expr *e, const gy_xfenv *env, int64_t *v)
{
    /* a value with more decimals than the target holds is rounded as
     * verify compares it: half away from zero, like Excel's ROUND */
    bool wrap = gy_expr_decimals(e, env->cold, env->decimals) > env->decimals;
    gy_rat r;
    if (wrap)
        env->put(env->u, "ROUND(");
    if (!fwalk(e, env, 0, &r))
        return false;
    if (wrap) {
        env->put(env->u, ",");
        fput_int(env, env->decimals);
        env->put(env->u, ")");
    }
    return gy_rat_to_scaled(r, env->decimals, false, v, NULL);
}
