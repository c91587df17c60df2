/* test_expr.c - rule expressions: parsing, exact evaluation, formulas */
#include "gaiyo/expr.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"
#include "t.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD "table t\nfile t.csv\ncolumn a amount\ncolumn b amount\ncolumn c amount\ncolumn r ratio1\n"
/* line 7 is the rule */

/* the definition with one rule (line 7), or NULL with diagnostics in d */
static gy_tabledef *def1(const char *rule, gy_diags *d)
{
    char *text = gy_asprintf(HEAD "rule %s\n", rule);
    gy_tabledef *t = NULL;
    if (gy_tabledef_parse("t.def", text, &t, d) != GY_OK)
        t = NULL;
    free(text);
    return t;
}

static void expect_error(const char *rule, unsigned col, const char *msg)
{
    gy_diags d = {0};
    gy_tabledef *t = def1(rule, &d);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n >= 1) {
        T_EQ_INT(d.v[0].line, 7);
        T_EQ_INT(d.v[0].col, col);
        T_CONTAINS(d.v[0].msg, msg);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

/* ---- evaluation on fixed values ------------------------------------ */

typedef struct vals {
    int64_t v[4];   /* a, b, c, r (r scaled by 10) */
    bool nil[4];
    int events;
} vals;

static gy_xval leaf(void *u, const gy_expr *e)
{
    vals *x = u;
    if (x->nil[e->col])
        return (gy_xval){GY_XV_NIL, {0, 1}};
    gy_xval r = {GY_XV_OK, {0, 1}};
    if (!gy_rat_scaled(x->v[e->col], e->col == 3 ? 1 : 0, &r.v))
        r.st = GY_XV_OVERFLOW;
    return r;
}

static void event(void *u, gy_xev ev)
{
    (void)ev;
    ((vals *)u)->events++;
}

/* evaluate `c = EXPR` at the amount scale; *st the status */
static int64_t ev(const char *expr, vals *x, gy_xst *st, bool *rounded)
{
    gy_diags d = {0};
    char *rule = gy_asprintf("c = %s", expr);
    gy_tabledef *t = def1(rule, &d);
    free(rule);
    T_CHECK(t != NULL);
    if (d.n)
        printf("#   %s\n", d.v[0].msg);
    gy_diags_free(&d);
    if (!t)
        return INT64_MIN;
    gy_xenv env = {leaf, event, x, 1, 0, false};
    gy_xval v = gy_expr_eval(t->rules[0].expr, &env);
    int64_t out, down;
    bool rd;
    *st = gy_expr_target(v, 0, &out, &rd, &down);
    if (rounded)
        *rounded = rd;
    gy_tabledef_free(t);
    return out;
}

static void exact_fractions(void)
{
    gy_xst st;
    bool rd;
    vals x = {{77888, 7168, 0, 0}, {0}, 0};
    /* 休廃止鉱山坑廃水処理事業費補助金: 国 3/4, 県 1/4, 秋津 1/8 */
    T_EQ_INT(ev("a * 3/4", &x, &st, &rd), 58416);
    T_EQ_INT(st, GY_XV_OK);
    T_CHECK(!rd);
    T_EQ_INT(ev("a * 1/4", &x, &st, &rd), 19472);
    T_EQ_INT(ev("b * 3/4", &x, &st, &rd), 5376);
    T_EQ_INT(ev("b * 1/8", &x, &st, &rd), 896);
    T_CHECK(!rd);
    /* 1/3 + 1/6 is 1/2 exactly; 0.1 + 0.2 is 0.3 exactly (×10: 3) */
    T_EQ_INT(ev("(1/3 + 1/6) * 2", &x, &st, &rd), 1);
    T_CHECK(!rd);
    T_EQ_INT(ev("(0.1 + 0.2) * 10", &x, &st, &rd), 3);
    T_CHECK(!rd);
    /* precedence: * and / before + and -, left to right */
    T_EQ_INT(ev("a - b * 2 / 4", &x, &st, &rd), 77888 - 3584);
    T_EQ_INT(ev("(a - b) / 2", &x, &st, &rd), (77888 - 7168) / 2);
    T_EQ_INT(ev("a / 4 / 2", &x, &st, &rd), 9736);
    /* a value with decimals at an amount: rounded half up, and said so */
    x.v[1] = 1195;
    T_EQ_INT(ev("b * 3/4", &x, &st, &rd), 896); /* 896.25 */
    T_CHECK(rd);
    /* a ratio column (92.7 stored as 927) is 92.7, not 927 */
    x.v[3] = 927;
    T_EQ_INT(ev("r * 10", &x, &st, &rd), 927);
    T_CHECK(!rd);
}

static void rounding_ties(void)
{
    gy_xst st;
    vals x = {{758, 814, 0, 0}, {0}, 0};
    /* 相談指導状況: 月平均件数 = round(平均件数 / 12, 0) */
    T_EQ_INT(ev("round(a / 12, 0)", &x, &st, NULL), 63); /* 63.17 */
    T_EQ_INT(ev("round(b / 12, 0)", &x, &st, NULL), 68); /* 67.83 */
    /* ties away from zero (四捨五入), exactly at decimal ties */
    T_EQ_INT(ev("round(5/2, 0)", &x, &st, NULL), 3);
    T_EQ_INT(ev("round(0 - 5/2, 0)", &x, &st, NULL), -3);
    T_EQ_INT(ev("round(1.05, 1) * 100", &x, &st, NULL), 110);  /* a double says 1.0 */
    T_EQ_INT(ev("round(0.125, 2) * 1000", &x, &st, NULL), 130);
    T_EQ_INT(ev("round(2.675, 2) * 100", &x, &st, NULL), 268); /* a double says 2.67 */
    T_EQ_INT(ev("round(0.4999999, 0)", &x, &st, NULL), 0);
    /* trunc toward zero */
    T_EQ_INT(ev("trunc(27/10, 0)", &x, &st, NULL), 2);
    T_EQ_INT(ev("trunc(0 - 27/10, 0)", &x, &st, NULL), -2);
    T_EQ_INT(ev("trunc(1.99, 1) * 10", &x, &st, NULL), 19);
    /* the implicit rounding at the target's scale is half up too */
    T_EQ_INT(ev("5/2", &x, &st, NULL), 3);
    T_EQ_INT(ev("0 - 5/2", &x, &st, NULL), -3);
    T_EQ_INT(ev("7/3", &x, &st, NULL), 2);
}

static void overflow_and_nil(void)
{
    gy_xst st;
    vals x = {{INT64_MAX, 2, INT64_MAX / 2 + 1, 0}, {0}, 0};
    ev("a * b", &x, &st, NULL);
    T_EQ_INT(st, GY_XV_UNKNOWN);
    T_CHECK(x.events > 0);
    x.events = 0;
    ev("a + 1", &x, &st, NULL);
    T_EQ_INT(st, GY_XV_UNKNOWN);
    T_EQ_INT(x.events, 1);
    x.events = 0;
    ev("b * c", &x, &st, NULL); /* 2^63: one past int64 */
    T_EQ_INT(st, GY_XV_UNKNOWN);
    T_EQ_INT(x.events, 1);
    /* each step is an int64 rational, reduced in 128 bits first: MAX / 3
     * * 3 is MAX again; MAX * 3 / 4 is not (MAX * 3 is past int64) */
    x.events = 0;
    ev("a * 3/4", &x, &st, NULL);
    T_EQ_INT(st, GY_XV_UNKNOWN);
    T_EQ_INT(x.events, 1);
    x.events = 0;
    T_EQ_INT(ev("a / 3 * 3", &x, &st, NULL), INT64_MAX);
    T_EQ_INT(st, GY_XV_OK);
    T_EQ_INT(x.events, 0);
    /* round past int64 at the asked decimals */
    ev("round(a, 6)", &x, &st, NULL);
    T_EQ_INT(st, GY_XV_UNKNOWN);
    /* a division by zero is '-' */
    vals z = {{5, 0, 0, 0}, {0}, 0};
    ev("a / b", &z, &st, NULL);
    T_EQ_INT(st, GY_XV_NONE);
    /* blank: 0 where it is added or multiplied, blank when all are */
    vals n = {{10, 0, 0, 0}, {false, true, true, false}, 0};
    T_EQ_INT(ev("a + b", &n, &st, NULL), 10);
    T_EQ_INT(ev("a * b", &n, &st, NULL), 0);
    T_EQ_INT(st, GY_XV_OK);
    ev("b * c", &n, &st, NULL);
    T_EQ_INT(st, GY_XV_NIL);
    T_EQ_INT(ev("b * 3/4", &n, &st, NULL), 0);
}

static void parse_errors(void)
{
    /* rule␣c␣=␣… : the expression starts at column 10 */
    expect_error("c = round(a)", 17, "round(値, 桁数) の ',' がありません");
    expect_error("c = round(a, 7)", 19, "桁数は 0 から 6 の整数です: '7'");
    expect_error("c = trunc(a, x)", 19, "桁数は 0 から 6 の整数です: 'x'");
    expect_error("c = a / 0", 12, "0 で割っています");
    expect_error("c = a * ", 13, "列名か数か関数がありません");
    expect_error("c = 99999999999999999999", 10, "数が大きすぎるか桁が多すぎます");
    expect_error("c = 0.0000000000000000001", 10, "数が大きすぎるか桁が多すぎます");
    expect_error("c = a@\"小計 (再掲含む)", 12, "行ラベルの '\"' が閉じていません");
    expect_error("c = a@\"\"", 12, "行ラベルが空です");
    expect_error("c = max(a, b)", 10, "未知の関数です (pct, total, round, trunc が使えます): 'max'");
    expect_error("c = (a * b", 16, "')' がありません");
    expect_error("c = 1.2.3", 10, "規則が存在しない列を参照しています: '1.2.3'");
    /* a full-width character before counts as one column */
    expect_error("c = a@\"（再掲）\" * ｘ", 21, "規則が存在しない列を参照しています: 'ｘ'");
}

static void labels_with_on_and_hash(void)
{
    /* " on " and " #" inside a quoted label are the label's */
    gy_diags d = {0};
    gy_tabledef *t = def1("c = a@\"carry on #1\" on row:x # note", &d);
    T_CHECK(t != NULL);
    T_EQ_INT(d.n, 0);
    if (t) {
        T_EQ_STR(t->rules[0].expr->row, "carry on #1");
        T_EQ_INT(t->rules[0].nrows, 1);
        T_EQ_STR(t->rules[0].rows[0], "x");
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void parse_labels(void)
{
    gy_diags d = {0};
    /* any label, quoted: ASCII parentheses, spaces, '-', '+', ',' and "" */
    gy_tabledef *t = def1("c = a@\"小計 (再掲含む)\" - a@\"(再掲)\" + b@\"a,b-c+\"\"d\"\"\" + a@前年 + a@\"前年\"", &d);
    T_CHECK(t != NULL);
    T_EQ_INT(d.n, 0);
    if (t) {
        const gy_expr *e = t->rules[0].expr; /* ((((x - y) + z) + p) + q) */
        T_EQ_INT(e->op, GY_X_ADD);
        T_EQ_INT(e->b->rowref, GY_R_LABEL);
        T_EQ_STR(e->b->row, "前年");
        T_EQ_INT(e->a->b->rowref, GY_R_PREV);
        T_EQ_STR(e->a->a->b->row, "a,b-c+\"d\"");
        T_EQ_STR(e->a->a->a->a->row, "小計 (再掲含む)");
        T_EQ_STR(e->a->a->a->b->row, "(再掲)");
        T_EQ_INT(e->a->a->a->a->pos, 10);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

/* ---- formulas -------------------------------------------------------- */

typedef struct fenv {
    char buf[512];
    vals *x;
} fenv;

static void fput(void *u, const char *s)
{
    fenv *f = u;
    strncat(f->buf, s, sizeof f->buf - strlen(f->buf) - 1);
}

static bool fleaf(void *u, const gy_expr *e, gy_rat *v)
{
    fenv *f = u;
    char ref[8];
    snprintf(ref, sizeof ref, "%c5", "BCDE"[e->col]);
    fput(u, e->op == GY_X_TOTAL ? "SUM(B1:B4)" : ref);
    gy_xval r = leaf(f->x, e);
    *v = r.v;
    return r.st == GY_XV_OK;
}

/* the formula of `target = expr`; *v its cached value */
static void expect_formula(const char *rule, const char *formula, int64_t value)
{
    gy_diags d = {0};
    gy_tabledef *t = def1(rule, &d);
    T_CHECK(t != NULL);
    gy_diags_free(&d);
    if (!t)
        return;
    vals x = {{77888, 7168, 758, 927}, {0}, 0};
    fenv f = {"", &x};
    int cold[4] = {0, 0, 0, 1};
    const gy_coldef *cd = &t->cols[t->rules[0].target];
    gy_xfenv env = {fleaf, fput, &f, cd->type == GY_T_RATIO ? cd->scale : 1,
                    cd->type == GY_T_RATIO ? cd->decimals : 0, cold};
    int64_t v = 0;
    T_CHECK(gy_expr_formula(t->rules[0].expr, &env, &v));
    T_EQ_STR(f.buf, formula);
    T_EQ_INT(v, value);
    gy_tabledef_free(t);
}

static void formulas(void)
{
    /* as before: sums, differences, ratios */
    expect_formula("c = a + b", "B5+C5", 85056);
    expect_formula("c = a - (b - c)", "B5-(C5-D5)", 77888 - (7168 - 758));
    expect_formula("r = pct(b, a)", "ROUND(C5*1000/B5,0)/10", 92);
    expect_formula("r = pct(a - b, a + b)", "ROUND((B5-C5)*1000/(B5+C5),0)/10", 831);
    /* new: a product that stays an integer is not rounded */
    expect_formula("c = a * 2", "B5*2", 155776);
    /* a fraction: rounded as verify compares (half up, to the target's decimals) */
    expect_formula("c = a * 3/4", "ROUND(B5*3/4,0)", 58416);
    expect_formula("c = b * 1/8", "ROUND(C5*1/8,0)", 896);
    expect_formula("c = round(c / 12, 0)", "ROUND(D5/12,0)", 63);
    expect_formula("c = trunc(c / 12, 0)", "TRUNC(D5/12,0)", 63);
    expect_formula("r = round(c / 7, 1)", "ROUND(D5/7,1)", 1083);
    expect_formula("r = c / 7", "ROUND(D5/7,1)", 1083);
    expect_formula("c = a / (b * 2)", "ROUND(B5/(C5*2),0)", 5);
    expect_formula("c = (a + b) * 0.5", "ROUND((B5+C5)*0.5,0)", 42528);
    /* a * (1/4) is a * 1 / 4 (the same value, left to right) */
    expect_formula("c = a * (1/4)", "ROUND(B5*1/4,0)", 19472);
    expect_formula("c = a / (1/4)", "ROUND(B5/(1/4),0)", 311552);
    /* a ratio column times a count: its value as the sheet holds it (92.7);
     * it may have a decimal, so it is rounded to the amount */
    expect_formula("c = r * 10", "ROUND(E5*10,0)", 927);
    expect_formula("r = pct(c, total(c))", "ROUND(D5*1000/SUM(B1:B4),0)/10", 1000);
}

static void shares(void)
{
    int64_t o;
    /* 業種別誘致企業と構成比: 239 / 655 = 36.49… → 36.5 */
    T_EQ_INT(gy_expr_share((gy_rat){239, 1}, (gy_rat){655, 1}, 100, 1, false, &o), GY_XV_OK);
    T_EQ_INT(o, 365);
    /* exact across decimals: 12.5 of 50 is 25.0 % */
    gy_rat a = {0, 1}, b = {0, 1};
    T_CHECK(gy_rat_scaled(125, 1, &a));
    T_CHECK(gy_rat_scaled(50, 0, &b));
    T_EQ_INT(gy_expr_share(a, b, 100, 1, false, &o), GY_XV_OK);
    T_EQ_INT(o, 250);
    T_EQ_INT(gy_expr_share((gy_rat){1, 1}, (gy_rat){0, 1}, 100, 1, false, &o), GY_XV_ALLUP);
    T_EQ_INT(gy_expr_share((gy_rat){0, 1}, (gy_rat){0, 1}, 100, 1, false, &o), GY_XV_NONE);
    T_EQ_INT(gy_expr_share((gy_rat){INT64_MAX, 1}, (gy_rat){1, INT64_MAX}, 100, 1, false, &o), GY_XV_OVERFLOW);
    /* rationals are kept in lowest terms */
    gy_rat r;
    T_CHECK(gy_rat_add((gy_rat){1, 3}, (gy_rat){1, 6}, &r));
    T_EQ_INT(r.n, 1);
    T_EQ_INT(r.d, 2);
    T_CHECK(!gy_rat_div((gy_rat){1, 3}, (gy_rat){0, 1}, &r));
    T_CHECK(!gy_rat_mul((gy_rat){INT64_MAX, 1}, (gy_rat){2, 1}, &r));
}

/* ---- a consumer's leaves (gy_expr_parse_leaves: text figures) ---- */

/* a leaf reader: a word up to a blank, an operator, ',' or a bracket,
 * then an optional (..) and an optional [..]; "bad" is refused at its
 * 2nd byte */
typedef struct lctx {
    char names[8][48];
    int n;
} lctx;

static bool read_leaf(void *u, const char **p, int *idx, const char **err, const char **errat)
{
    lctx *c = u;
    const char *s = *p, *q = s;
    while (*q && !strchr(" \t+-*/),([", *q))
        q++;
    if (*q == '(' && strchr(q, ')'))
        q = strchr(q, ')') + 1;
    if (*q == '[' && strchr(q, ']'))
        q = strchr(q, ']') + 1;
    if (q - s == 3 && !strncmp(s, "bad", 3)) {
        *err = "読めない値です";
        *errat = s + 1;
        return false;
    }
    if (c->n == 8 || q == s || q - s >= 48) {
        *err = "多すぎます";
        return false;
    }
    memcpy(c->names[c->n], s, (size_t)(q - s));
    c->names[c->n][q - s] = '\0';
    *idx = c->n++;
    *p = q;
    return true;
}

/* the leaves' values: 121, 105, 58385, 19503, 232, 1500 */
static gy_xval leaf_vals(void *u, const gy_expr *e)
{
    static const int64_t v[] = {121, 105, 58385, 19503, 232, 1500};
    (void)u;
    gy_xval r = {GY_XV_OK, {0, 1}};
    gy_rat_scaled(v[e->col], 0, &r.v);
    return r;
}

/* parse with leaves and evaluate, rounded half up to `dec` decimals */
static int64_t evl(const char *text, int dec, lctx *c, const char **rest)
{
    gy_diags d = {0};
    const char *p = text;
    gy_expr *e = gy_expr_parse_leaves(&p, read_leaf, c, "f.csv", 3, text, 0, &d);
    *rest = p;
    T_CHECK(e != NULL);
    T_EQ_INT(d.n, 0);
    gy_diags_free(&d);
    if (!e)
        return INT64_MIN;
    gy_xenv env = {leaf_vals, NULL, NULL, 100, dec, false};
    gy_xval v = gy_expr_eval(e, &env);
    int64_t out, down;
    bool rd;
    T_EQ_INT(gy_expr_target(v, dec, &out, &rd, &down), GY_XV_OK);
    gy_expr_free(e);
    return out;
}

static void consumer_leaves(void)
{
    lctx c = {0};
    const char *rest;
    /* レッツBuy: 認定中 16件 = the sum of R1…R5 = 121 − 105 */
    T_EQ_INT(evl("sum(認定件数) - 認定件数[年度=H17～R2]", 0, &c, &rest), 16);
    T_EQ_INT(c.n, 2);
    T_EQ_STR(c.names[0], "sum(認定件数)");
    T_EQ_STR(c.names[1], "認定件数[年度=H17～R2]");
    T_EQ_STR(rest, "");
    /* 3：1 as printed: 58,385 / 19,503 = 2.9936… → 3 at 0 decimals, 2.99 at 2 */
    c = (lctx){0};
    T_EQ_INT(evl("(a - b) * 2", 0, &c, &rest), 32);
    c = (lctx){0};
    c.n = 2;
    T_EQ_INT(evl("国 / 県", 0, &c, &rest), 3);
    c = (lctx){0};
    c.n = 2;
    T_EQ_INT(evl("国 / 県", 2, &c, &rest), 299);
    /* pct() at the printed decimals: 232 / 1,500 = 15.466… % → 15.5 */
    c = (lctx){0};
    c.n = 4;
    T_EQ_INT(evl("pct(誘致, 総数)", 1, &c, &rest), 155);
    c = (lctx){0};
    c.n = 4;
    T_EQ_INT(evl("誘致 / 総数 * 100", 0, &c, &rest), 15);
    /* round() and numbers are the parser's, not leaves */
    c = (lctx){0};
    T_EQ_INT(evl("round(a / 2, 0) + 3/4 * 4", 0, &c, &rest), 64);
    T_EQ_INT(c.n, 1);
    /* the parse stops where the expression ends: the caller sees the rest */
    c = (lctx){0};
    T_EQ_INT(evl("a @x", 0, &c, &rest), 121);
    T_EQ_STR(rest, "@x");
    /* a leaf the consumer refuses: its message at its column */
    gy_diags d = {0};
    c = (lctx){0};
    const char *p = "a + bad";
    T_CHECK(gy_expr_parse_leaves(&p, read_leaf, &c, "f.csv", 3, "a + bad", 0, &d) == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n) {
        T_EQ_INT(d.v[0].line, 3);
        T_EQ_INT(d.v[0].col, 6);
        T_CONTAINS(d.v[0].msg, "読めない値です");
    }
    gy_diags_free(&d);
    /* an operator without its operand */
    c = (lctx){0};
    p = "a -";
    T_CHECK(gy_expr_parse_leaves(&p, read_leaf, &c, "f.csv", 3, "a -", 0, &d) == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n)
        T_CONTAINS(d.v[0].msg, "列名か数か関数がありません");
    gy_diags_free(&d);
}

int main(void)
{
    TEST(consumer_leaves);
    TEST(exact_fractions);
    TEST(rounding_ties);
    TEST(overflow_and_nil);
    TEST(parse_errors);
    TEST(parse_labels);
    TEST(labels_with_on_and_hash);
    TEST(formulas);
    TEST(shares);
    T_DONE();
}
