/* test_tabledef.c - table definitions: parsing, diagnostics, sets */
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"
#include "t.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* Parse text; returns the status, *out the definition (or NULL). */
static gy_status parse(const char *text, gy_tabledef **out, gy_diags *d)
{
    return gy_tabledef_parse("t.def", text, out, d);
}

/* A definition that must fail: checks status, out == NULL, exactly one
 * diagnostic at line:col whose message contains `msg`. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *msg)
{
    gy_diags d = {0};
    gy_tabledef *t = (gy_tabledef *)1;
    gy_status st = parse(text, &t, &d);
    T_EQ_INT(st, GY_EDEF);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n >= 1) {
        T_EQ_STR(d.v[0].file, "t.def");
        T_EQ_INT(d.v[0].line, line);
        T_EQ_INT(d.v[0].col, col);
        T_CONTAINS(d.v[0].msg, msg);
    }
    gy_tabledef_free(t == (gy_tabledef *)1 ? NULL : t);
    gy_diags_free(&d);
}

/* The smallest valid header every error case builds on. */
#define HEAD "table   t\nfile    t.csv\n"

static void write_str(const char *dir, const char *name, const char *text)
{
    t_write(dir, name, text, strlen(text));
}

/* A fresh directory under the working directory (the build's tests dir). */
static char *make_tmpdir(void)
{
    char tmpl[] = "tmp_tabledef_XXXXXX";
    char *p = mkdtemp(tmpl);
    T_CHECK(p != NULL);
    return p ? gy_strdup(p) : NULL;
}

/* ---- a good definition ---------------------------------------------------- */

static const char *good_def =
    "# 当初予算分析 (test)\n"                                          /* 1 */
    "table   demo\n"                                                    /* 2 */
    "title   \"デモ表 (当初)\"   # the title keeps its spaces\n"         /* 3 */
    "file    demo.csv\n"                                                /* 4 */
    "unit    千円、%\n"                                                 /* 5 */
    "asof    令和6年4月1日現在\n"                                       /* 6 */
    "group   会計\n"                                                    /* 7 */
    "label   課名\n"                                                    /* 8 */
    "memo_in_totals yes\n"                                              /* 9 */
    "\n"                                                                /* 10 */
    "column  会計        text     key\n"                                /* 11 */
    "column  課名        text     key\n"                                /* 12 */
    "column  年度        fy       key\n"                                /* 13 */
    "column  行区分      role     optional\n"                           /* 14 */
    "column  番号        marker   optional label=\"番 号\"\n"           /* 15 */
    "column  前年度      amount   label=\"前年度当初 (A)\"\n"           /* 16 */
    "column  当初        amount\n"                                      /* 17 */
    "column  件数        count    optional\n"                           /* 18 */
    "column  構成比      ratio1\n"                                      /* 19 */
    "column  率          ratio3   optional\n"                           /* 20 */
    "column  一人当たり  quotient1 optional label=\"1人当たり\"\n"       /* 21 */
    "column  前年比      ratio1   optional\n"                           /* 22 */
    "column  増減        amount   optional\n"                           /* 23 */
    "sum     当初 件数\n"                                               /* 24 */
    "sum     構成比   # shares add up too\n"                            /* 25 */
    "rule    構成比 = pct(当初, total(当初))   on 項目,計\n"            /* 26 */
    "rule    前年比 = pct(当初, 当初@前年)     on 計,row:県予算額\n"    /* 27 */
    "rule    一人当たり = pct(当初@合計, 件数) on row:県予算額,参考\n"  /* 28 */
    "rule    増減 = 当初 - 前年度 + (件数 - 件数@前年)   # no selector\n"; /* 29 */

static void good_header_fields(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(good_def, &t, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    T_CHECK(t != NULL);
    if (!t)
        return;
    T_EQ_STR(t->path, "t.def");
    T_EQ_STR(t->id, "demo");
    T_EQ_STR(t->title, "デモ表 (当初)");
    T_EQ_STR(t->file, "demo.csv");
    T_EQ_STR(t->unit, "千円、%");
    T_EQ_STR(t->asof, "令和6年4月1日現在");
    T_CHECK(t->memo_in_totals);
    T_EQ_INT(t->ncols, 13);
    T_EQ_INT(t->label_col, 1);   /* label 課名, not the first text key 会計 */
    T_EQ_INT(t->role_col, 3);
    T_EQ_INT(t->level_col, 4);
    T_EQ_INT(t->fy_col, 2);
    T_EQ_INT(gy_tabledef_col(t, "当初"), 6);
    T_EQ_INT(gy_tabledef_col(t, "なし"), -1);
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void good_columns(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(good_def, &t, &d), GY_OK);
    if (!t)
        return;
    static const struct {
        const char *name, *label;
        gy_type type;
        int decimals, scale;
        unsigned flags;
        unsigned line;
    } want[] = {
        {"会計", "会計", GY_T_TEXT, 1, 100, GY_COL_KEY | GY_COL_GROUP, 11},
        {"課名", "課名", GY_T_TEXT, 1, 100, GY_COL_KEY, 12},
        {"年度", "年度", GY_T_FY, 1, 100, GY_COL_KEY, 13},
        {"行区分", "行区分", GY_T_ROLE, 1, 100, GY_COL_OPTIONAL, 14},
        {"番号", "番 号", GY_T_MARKER, 1, 100, GY_COL_OPTIONAL, 15},
        {"前年度", "前年度当初 (A)", GY_T_AMOUNT, 1, 100, 0, 16},
        {"当初", "当初", GY_T_AMOUNT, 1, 100, GY_COL_SUM, 17},
        {"件数", "件数", GY_T_COUNT, 1, 100, GY_COL_OPTIONAL | GY_COL_SUM, 18},
        {"構成比", "構成比", GY_T_RATIO, 1, 100, GY_COL_SUM | GY_COL_DERIVED, 19},
        {"率", "率", GY_T_RATIO, 3, 100, GY_COL_OPTIONAL, 20},
        {"一人当たり", "1人当たり", GY_T_RATIO, 1, 1, GY_COL_OPTIONAL | GY_COL_DERIVED, 21},
        {"前年比", "前年比", GY_T_RATIO, 1, 100, GY_COL_OPTIONAL | GY_COL_DERIVED, 22},
        {"増減", "増減", GY_T_AMOUNT, 1, 100, GY_COL_OPTIONAL | GY_COL_DERIVED, 23},
    };
    T_EQ_INT(t->ncols, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t->ncols && i < sizeof want / sizeof want[0]; i++) {
        const gy_coldef *c = &t->cols[i];
        T_EQ_STR(c->name, want[i].name);
        T_EQ_STR(c->label, want[i].label);
        T_EQ_INT(c->type, want[i].type);
        T_EQ_INT(c->flags, want[i].flags);
        T_EQ_INT(c->line, want[i].line);
        if (c->type == GY_T_RATIO) {
            T_EQ_INT(c->decimals, want[i].decimals);
            T_EQ_INT(c->scale, want[i].scale);
        }
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void good_rules(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(good_def, &t, &d), GY_OK);
    if (!t)
        return;
    T_EQ_INT(t->nrules, 4);
    if (t->nrules != 4) {
        gy_tabledef_free(t);
        return;
    }
    const unsigned R_ITEM = 1u << GY_ROLE_ITEM, R_SUB = 1u << GY_ROLE_SUBTOTAL,
                   R_TOT = 1u << GY_ROLE_TOTAL, R_NOTE = 1u << GY_ROLE_NOTE;

    /* 構成比 = pct(当初, total(当初)) on 項目,計 */
    const gy_rule *r = &t->rules[0];
    T_EQ_INT(r->target, 8);
    T_EQ_INT(r->line, 26);
    T_EQ_STR(r->text, "構成比 = pct(当初, total(当初))");
    T_EQ_INT(r->roles, R_ITEM | R_TOT);
    T_EQ_INT(r->nrows, 0);
    T_EQ_INT(r->expr->op, GY_X_PCT);
    T_EQ_INT(r->expr->a->op, GY_X_REF);
    T_EQ_INT(r->expr->a->col, 6);
    T_EQ_INT(r->expr->a->rowref, GY_R_SAME);
    T_EQ_INT(r->expr->b->op, GY_X_TOTAL);
    T_EQ_INT(r->expr->b->col, 6);

    /* 前年比 = pct(当初, 当初@前年) on 計,row:県予算額 */
    r = &t->rules[1];
    T_EQ_INT(r->target, 11);
    T_EQ_INT(r->line, 27);
    T_EQ_INT(r->roles, R_TOT);
    T_EQ_INT(r->nrows, 1);
    if (r->nrows == 1)
        T_EQ_STR(r->rows[0], "県予算額");
    T_EQ_INT(r->expr->op, GY_X_PCT);
    T_EQ_INT(r->expr->b->op, GY_X_REF);
    T_EQ_INT(r->expr->b->col, 6);
    T_EQ_INT(r->expr->b->rowref, GY_R_PREV);
    T_CHECK(r->expr->b->row == NULL);

    /* 一人当たり = pct(当初@合計, 件数) on row:県予算額,参考 */
    r = &t->rules[2];
    T_EQ_INT(r->target, 10);
    T_EQ_INT(r->roles, R_NOTE);
    T_EQ_INT(r->nrows, 1);
    T_EQ_INT(r->expr->a->op, GY_X_REF);
    T_EQ_INT(r->expr->a->col, 6);
    T_EQ_INT(r->expr->a->rowref, GY_R_LABEL);
    T_EQ_STR(r->expr->a->row, "合計");
    T_EQ_INT(r->expr->b->col, 7);

    /* 増減 = 当初 - 前年度 + (件数 - 件数@前年): left-associative tree,
     * default selector 項目, 小計, 計, comment stripped */
    r = &t->rules[3];
    T_EQ_INT(r->target, 12);
    T_EQ_INT(r->line, 29);
    T_EQ_STR(r->text, "増減 = 当初 - 前年度 + (件数 - 件数@前年)");
    T_EQ_INT(r->roles, R_ITEM | R_SUB | R_TOT);
    T_EQ_INT(r->nrows, 0);
    const gy_expr *e = r->expr;
    T_EQ_INT(e->op, GY_X_ADD);
    T_EQ_INT(e->a->op, GY_X_SUB);
    T_EQ_INT(e->a->a->col, 6);
    T_EQ_INT(e->a->b->col, 5);
    T_EQ_INT(e->b->op, GY_X_SUB);
    T_EQ_INT(e->b->a->col, 7);
    T_EQ_INT(e->b->a->rowref, GY_R_SAME);
    T_EQ_INT(e->b->b->col, 7);
    T_EQ_INT(e->b->b->rowref, GY_R_PREV);
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void good_defaults(void)
{
    /* no title/unit: title falls back to the id, unit to ""; the label
     * column defaults to the first text key; CRLF lines are accepted;
     * quoted words keep their spaces */
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse("table   x\r\nfile    x.csv\r\n"
                   "column  番号   count\r\n"
                   "column  名前   text   key\r\n"
                   "column  \"A B\" amount optional\r\n"
                   "memo_in_totals no\r\n",
                   &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (!t)
        return;
    T_EQ_STR(t->title, "x");
    T_EQ_STR(t->unit, "");
    T_CHECK(t->asof == NULL);
    T_EQ_INT(t->label_col, 1);
    T_EQ_INT(t->role_col, -1);
    T_EQ_INT(t->level_col, -1);
    T_EQ_INT(t->fy_col, -1);
    T_CHECK(!t->memo_in_totals);
    T_EQ_INT(t->ncols, 3);
    T_EQ_INT(gy_tabledef_col(t, "A B"), 2);
    T_EQ_INT(t->nrules, 0);
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

/* a keyword written in quotes is still the keyword, and title/unit/asof
 * take the rest of the line after it (a stray '"' was left once) */
static void quoted_keyword_rest(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse("\"table\" x\n\"title\"  事業 一覧   # comment\n  \"unit\" \"千円\"\n"
                   "asof\t令和6年4月1日 現在\nfile x.csv\ncolumn 名前 text key\n",
                   &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (!t)
        return;
    T_EQ_STR(t->id, "x");
    T_EQ_STR(t->title, "事業 一覧");
    T_EQ_STR(t->unit, "千円");
    T_EQ_STR(t->asof, "令和6年4月1日 現在");
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void good_level_and_quotient(void)
{
    /* a level column is the level column; quotient2 is a plain quotient
     * with 2 decimals; a fy column that is not a key is not the fy key;
     * 行:LABEL is the Japanese spelling of row:LABEL */
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(HEAD "column 業種 text key\ncolumn 階層 level\ncolumn 年度 fy\n"
                        "column 数 count\ncolumn 平均 quotient2 optional\n"
                        "rule 平均 = pct(数, 数@事業所数) on 行:従業員数\n",
                   &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (!t)
        return;
    T_EQ_INT(t->level_col, 1);
    T_EQ_INT(t->fy_col, -1);
    T_EQ_INT(t->cols[4].type, GY_T_RATIO);
    T_EQ_INT(t->cols[4].decimals, 2);
    T_EQ_INT(t->cols[4].scale, 1);
    T_EQ_INT(t->nrules, 1);
    if (t->nrules == 1) {
        T_EQ_INT(t->rules[0].roles, 0);
        T_EQ_INT(t->rules[0].nrows, 1);
        if (t->rules[0].nrows == 1)
            T_EQ_STR(t->rules[0].rows[0], "従業員数");
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

/* ---- each definition error, with file:line:col --------------------------- */

static void err_unknown_directive(void)
{
    /* "  colum": the word starts in column 3 of line 4 */
    expect_error(HEAD "column a text\n  colum b text\n", 4, 3, "未知の指示語 'colum'");
}

static void err_unknown_type(void)
{
    /* column␣金額␣amout: 'amout' is the 11th character */
    expect_error(HEAD "column a text\ncolumn 金額 amout\n", 4, 11, "未知の型 'amout'");
}

static void err_ratio_decimals(void)
{
    /* ratio7: more than 6 decimals is not a type */
    expect_error(HEAD "column a text\ncolumn  率  ratio7\n", 4, 12, "未知の型 'ratio7'");
    expect_error(HEAD "column a text\ncolumn  率  quotient12\n", 4, 12, "未知の型 'quotient12'");
}

static void err_duplicate_column(void)
{
    expect_error(HEAD "column  金額  amount\ncolumn  a  text\n\ncolumn  金額  count\n", 6, 9,
                 "列 '金額' が 2 回定義されています");
}

static void err_unknown_attribute(void)
{
    /* column␣a␣text␣kye: 'kye' at column 15 */
    expect_error(HEAD "column b text\ncolumn a text kye\n", 4, 15, "未知の列属性 'kye'");
}

static void err_rule_missing_target(void)
{
    /* rule␣␣␣␣合計 = …: the target starts in column 9 */
    expect_error(HEAD "column 金額 amount\nrule    合計 = 金額\n", 4, 9,
                 "規則が存在しない列を参照しています: '合計'");
}

static void err_rule_missing_operand(void)
{
    /* rule␣␣␣␣合計␣=␣金額␣+␣不明: '不明' is the 19th character (not byte) */
    expect_error(HEAD "column 金額 amount\ncolumn 合計 amount\nrule    合計 = 金額 + 不明\n", 5, 19,
                 "規則が存在しない列を参照しています: '不明'");
}

static void err_rule_unknown_function(void)
{
    /* rule␣␣␣␣c␣=␣sum(a): 'sum' at column 13 */
    expect_error(HEAD "column a amount\ncolumn c amount\nrule    c = sum(a)\n", 5, 13,
                 "未知の関数です (pct, total, round, trunc が使えます): 'sum'");
}

static void err_rule_text_column(void)
{
    /* a text column cannot be used in arithmetic */
    expect_error(HEAD "column 名 text\ncolumn c amount\nrule c = 名 + c\n", 5, 10,
                 "規則で数値でない列は使えません: '名'");
}

static void err_rule_text_target(void)
{
    /* the target of a rule is a figure: a text column cannot be derived
     * (rule␣␣␣␣名␣=␣a: '名' at column 9) */
    expect_error(HEAD "column 名 text\ncolumn a amount\nrule    名 = a\n", 5, 9,
                 "規則で数値でない列は使えません: '名'");
}

static void err_rule_no_equals(void)
{
    /* rule␣c␣pct: the rule has no '=' where 'pct' is (column 8) */
    expect_error(HEAD "column c amount\nrule c pct\n", 4, 8, "規則に '=' がありません");
}

static void err_rule_trailing(void)
{
    /* rule␣c␣=␣a␣)␣: the stray ')' at column 12 */
    expect_error(HEAD "column a amount\ncolumn c amount\nrule c = a )\n", 5, 12,
                 "規則の式の後に余分な文字があります: ')'");
}

static void err_rule_bad_selector(void)
{
    /* at the selector's own column */
    expect_error(HEAD "column a amount\ncolumn c amount\nrule c = a on 中計\n", 5, 15,
                 "on の後は役割 (項目, 小計, 計, 小計(再掲含む), 再掲, 参考) か row:ラベル です: '中計'");
}

static void err_sum_text_column(void)
{
    /* sum␣␣a␣␣名前: '名前' at column 9 */
    expect_error(HEAD "column 名前 text key\ncolumn a amount\nsum  a  名前\n", 5, 9,
                 "sum の列は数値の列です: '名前'");
}

static void err_sum_missing_column(void)
{
    expect_error(HEAD "column a amount\ngroup  課\n", 4, 8, "group が存在しない列を指しています: '課'");
}

static void err_missing_table(void)
{
    expect_error("file t.csv\ncolumn a text\n", 0, 0, "'table' (表の id) がありません");
}

static void err_missing_file(void)
{
    expect_error("table t\ncolumn a text\n", 0, 0, "'file' (CSV ファイル名) がありません");
}

static void err_no_columns(void)
{
    expect_error(HEAD, 0, 0, "'column' が 1 つもありません");
}

static void prev_without_fy(void)
{
    /* @前年 without an fy key column is not an error: it reads the same
     * keys in the previous year's folder (templates/README.md) */
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(HEAD "column k text key\ncolumn y fy\ncolumn a amount\ncolumn c ratio1\n"
                        "rule    c = pct(a, a@前年)\n",
                   &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (!t)
        return;
    T_EQ_INT(t->fy_col, -1); /* a fy column that is not a key is not the year of the row */
    T_EQ_INT(t->nrules, 1);
    if (t->nrules == 1) {
        T_EQ_INT(t->rules[0].expr->b->rowref, GY_R_PREV);
        T_EQ_INT(t->rules[0].expr->b->col, 2);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void err_at_nothing(void)
{
    /* a:␣'@' with nothing after it (rule␣c␣=␣a@: column 12) */
    expect_error(HEAD "column a amount\ncolumn c amount\nrule c = a@\n", 5, 12,
                 "'@' の後に行ラベル (\"…\" で囲めば何でも) か 前年 が要ります");
}

static void err_file_with_folder(void)
{
    expect_error("table t\nfile    ../x.csv\ncolumn a text\n", 2, 9,
                 "file はフォルダを含まないファイル名です: '../x.csv'");
}

static void err_twice(void)
{
    expect_error(HEAD "column a text\n  table u\n", 4, 3, "'table' が 2 回あります");
    expect_error(HEAD "column a text\ntitle\n", 4, 1, "'title' には値が要ります");
}

static void err_label_missing(void)
{
    expect_error(HEAD "label   課名\ncolumn a text\n", 3, 9, "label の列 '課名' がありません");
}

static void err_two_role_columns(void)
{
    expect_error(HEAD "column a role\ncolumn b role optional\n", 4, 1, "'role' 型の列は 1 つまでです");
}

static void err_not_utf8(void)
{
    /* at the character column of the first byte that is not UTF-8 */
    expect_error(HEAD "column a text\ncolumn \x89\xDB text\n", 4, 8, "定義ファイルは UTF-8 で書いてください");
}

static void err_all_reported(void)
{
    /* errors do not stop the parse: each line's error is reported */
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    gy_status st = parse("table t\nfile t.csv\nbogus 1\ncolumn a nosuch\ncolumn b text\nsum b\n", &t,
                         &d);
    T_EQ_INT(st, GY_EDEF);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 3);
    if (d.n == 3) {
        T_EQ_INT(d.v[0].line, 3);
        T_EQ_INT(d.v[1].line, 4);
        T_EQ_INT(d.v[1].col, 10);
        T_EQ_INT(d.v[2].line, 6);
        T_EQ_INT(d.v[2].col, 5);
    }
    gy_diags_free(&d);
}

/* ---- files and folders ------------------------------------------------- */

static void load_file(void)
{
    char *dir = make_tmpdir();
    if (!dir)
        return;
    /* a BOM is skipped */
    write_str(dir, "bom.def", "\xEF\xBB\xBFtable b\nfile b.csv\ncolumn a text\n");
    t_write(dir, "nul.def", "table b\nfile b.csv\0\ncolumn a text\n", 34);
    char *p = gy_asprintf("%s/bom.def", dir);
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(gy_tabledef_load(p, &t, &d), GY_OK);
    T_CHECK(t != NULL);
    if (t) {
        T_EQ_STR(t->id, "b");
        T_EQ_STR(t->path, p);
    }
    gy_tabledef_free(t);
    free(p);

    p = gy_asprintf("%s/nul.def", dir);
    T_EQ_INT(gy_tabledef_load(p, &t, &d), GY_EDEF);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, p);
        T_EQ_INT(d.v[0].line, 2); /* where the NUL is */
        T_EQ_INT(d.v[0].col, 11);
        T_CONTAINS(d.v[0].msg, "バイナリ (NUL)");
    }
    free(p);
    gy_diags_free(&d);

    p = gy_asprintf("%s/none.def", dir);
    T_EQ_INT(gy_tabledef_load(p, &t, &d), GY_EIO);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "定義ファイルを読めません");
    free(p);
    gy_diags_free(&d);

    /* a diagnostic of a loaded file names the file */
    write_str(dir, "bad.def", "table b\nfile b.csv\ncolumn z text\ncolumn a txt\n");
    p = gy_asprintf("%s/bad.def", dir);
    T_EQ_INT(gy_tabledef_load(p, &t, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, p);
        T_EQ_INT(d.v[0].line, 4);
        T_EQ_INT(d.v[0].col, 10);
    }
    free(p);
    gy_diags_free(&d);
    gy_remove_tree(dir);
    free(dir);
}

static void defset_real_templates(void)
{
    gy_diags d = {0};
    gy_defset s;
    T_EQ_INT(gy_defset_load(SRCDIR "/templates/tables", &s, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    /* the nine table kinds of the report are there, each with its CSV */
    static const char *ids[] = {"chuokai", "ginou", "jigyohi", "shidoin", "yosan",
                                "yuchi_gyoshu", "yuchi_suii", "yuchi_wariai", "yuushi"};
    T_CHECK(s.n >= 9);
    for (size_t i = 0; i < 9; i++) {
        const gy_tabledef *t = gy_defset_find(&s, ids[i]);
        T_CHECK(t != NULL);
        if (!t)
            continue;
        char want[1024];
        snprintf(want, sizeof want, "%s.csv", ids[i]);
        T_EQ_STR(t->file, want);
        snprintf(want, sizeof want, "%s/templates/tables/%s.def", SRCDIR, ids[i]);
        T_EQ_STR(t->path, want);
    }
    /* loaded sorted by file name */
    for (size_t i = 1; i < s.n; i++)
        T_CHECK(strcmp(s.v[i - 1]->path, s.v[i]->path) < 0);
    const gy_tabledef *y = gy_defset_find(&s, "yuushi");
    T_CHECK(y != NULL);
    if (y) {
        T_EQ_INT(y->fy_col, 1);
        T_EQ_INT(y->label_col, 0);
        T_EQ_INT(y->nrules, 2);
    }
    const gy_tabledef *g = gy_defset_find(&s, "yuchi_gyoshu");
    if (g) {
        T_EQ_INT(g->level_col, 1);
        T_EQ_INT(g->role_col, 2);
    }
    T_CHECK(gy_defset_find(&s, "nosuch") == NULL);
    gy_defset_free(&s);
    T_EQ_INT(s.n, 0);
    gy_diags_free(&d);
}

static void defset_same_file(void)
{
    char *dir = make_tmpdir();
    if (!dir)
        return;
    write_str(dir, "a.def", "table a\nfile same.csv\ncolumn x text\n");
    write_str(dir, "b.def", "table b\nfile same.csv\ncolumn x text\n");
    write_str(dir, "notes.txt", "not a definition\n");
    gy_diags d = {0};
    gy_defset s = {(gy_tabledef **)1, 99};
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(s.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        char *pb = gy_asprintf("%s/b.def", dir);
        char *pa = gy_asprintf("%s/a.def", dir);
        T_EQ_STR(d.v[0].file, pb);
        T_EQ_INT(d.v[0].line, 0);
        T_CONTAINS(d.v[0].msg, "ファイル 'same.csv' は ");
        T_CONTAINS(d.v[0].msg, pa);
        T_CONTAINS(d.v[0].msg, "2 つの定義が同じファイルを主張");
        free(pa);
        free(pb);
    }
    gy_diags_free(&d);
    gy_remove_tree(dir);
    free(dir);
}

static void defset_same_id(void)
{
    char *dir = make_tmpdir();
    if (!dir)
        return;
    write_str(dir, "a.def", "table same\nfile a.csv\ncolumn x text\n");
    write_str(dir, "b.def", "table same\nfile b.csv\ncolumn x text\n");
    gy_diags d = {0};
    gy_defset s;
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(s.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "表 id 'same' は ");
    gy_diags_free(&d);
    gy_remove_tree(dir);
    free(dir);
}

static void defset_bad_member_and_empty(void)
{
    char *dir = make_tmpdir();
    if (!dir)
        return;
    gy_diags d = {0};
    gy_defset s;
    /* an empty folder has no definitions */
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, dir);
        T_CONTAINS(d.v[0].msg, "定義ファイル (*.def) がありません");
    }
    gy_diags_free(&d);
    /* one bad file fails the set, with its own position */
    write_str(dir, "a.def", "table a\nfile a.csv\ncolumn x text\n");
    write_str(dir, "b.def", "table b\nfile b.csv\ncolumn x text\nrule y = x\n");
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(s.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_INT(d.v[0].line, 4);
        T_EQ_INT(d.v[0].col, 6);
    }
    gy_diags_free(&d);
    /* a missing folder is an I/O error */
    T_EQ_INT(gy_defset_load("no/such/dir", &s, &d), GY_EIO);
    T_EQ_INT(d.n, 1);
    gy_diags_free(&d);
    gy_remove_tree(dir);
    free(dir);
}

static void reconcile_parse(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    T_EQ_INT(parse(HEAD "column 課名 text key\ncolumn 事業費 amount\n"
                        "reconcile 事業費 = jigyohi.金額 by 課名=課 explain 区分 level 1\n",
                   &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (!t)
        return;
    T_EQ_INT(t->nrecons, 1);
    if (t->nrecons == 1) {
        const gy_recon *r = &t->recons[0];
        T_EQ_INT(r->target, 1);
        T_EQ_STR(r->table, "jigyohi");
        T_EQ_STR(r->col, "金額");
        T_EQ_INT(r->key, 0);
        T_EQ_STR(r->okey, "課");
        T_EQ_INT(r->level, 1);
        T_EQ_STR(r->explain, "区分");
        T_EQ_INT(r->line, 5);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
    /* malformed: no 'by' */
    expect_error(HEAD "column k text key\ncolumn a amount\nreconcile a = x.b k=k\n", 5, 1,
                 "reconcile は「reconcile 列 = 表.列 by キー=相手のキー [level N] [explain 区分列]」の形です");
    /* an unknown option, or level twice, or a level that is not a number */
    expect_error(HEAD "column k text key\ncolumn a amount\nreconcile a = x.b by k=k colour 1\n", 5, 1,
                 "reconcile は「reconcile 列 = 表.列 by キー=相手のキー");
    expect_error(HEAD "column k text key\ncolumn a amount\nreconcile a = x.b by k=k level x\n", 5, 1,
                 "reconcile は「reconcile 列 = 表.列 by キー=相手のキー");
    expect_error(HEAD "column k text key\ncolumn a amount\nreconcile a = x.b by k=k level 1 level 2\n", 5, 1,
                 "reconcile は「reconcile 列 = 表.列 by キー=相手のキー");
    /* reconcile␣zz: the missing column at 11 */
    expect_error(HEAD "column k text key\ncolumn a amount\nreconcile zz = x.b by k=k\n", 5, 11,
                 "reconcile が存在しない列を指しています: 'zz'");
}

static void too_many_words(void)
{
    /* 64 words fit; the 65th is an error at its column, never dropped */
    gy_buf b = {0};
    gy_buf_puts(&b, HEAD "column k text key\nsum");
    for (int i = 0; i < 64; i++)
        gy_buf_puts(&b, " k");
    gy_buf_puts(&b, "\n");
    /* "sum" + 63 × " k" are the 64 words; the 65th, the 64th k, is at column 3 + 64 * 2 */
    expect_error(b.p, 4, 3 + 64 * 2, "一行の語が多すぎます (64 語まで)");
    gy_buf_free(&b);
}

static void reconcile_defset(void)
{
    char *dir = make_tmpdir();
    if (!dir)
        return;
    write_str(dir, "a.def", "table a\nfile a.csv\ncolumn k text key\ncolumn v amount\n"
                            "reconcile v = b.w by k=k\n");
    write_str(dir, "b.def", "table b\nfile b.csv\ncolumn k text key\ncolumn w amount\n");
    gy_diags d = {0};
    gy_defset s;
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_OK);
    T_EQ_INT(s.n, 2);
    gy_defset_free(&s);
    /* the explain column must exist there too */
    write_str(dir, "a.def", "table a\nfile a.csv\ncolumn k text key\ncolumn v amount\n"
                            "reconcile v = b.w by k=k explain 区分\n");
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_INT(d.v[0].line, 5);
        T_CONTAINS(d.v[0].msg, "reconcile の区分列 '区分' が表 'b' にありません");
    }
    gy_diags_free(&d);
    write_str(dir, "a.def", "table a\nfile a.csv\ncolumn k text key\ncolumn v amount\n"
                            "reconcile v = b.w by k=k\n");
    /* the other table's column must exist */
    write_str(dir, "b.def", "table b\nfile b.csv\ncolumn k text key\ncolumn x amount\n");
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(s.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        char *pa = gy_asprintf("%s/a.def", dir);
        T_EQ_STR(d.v[0].file, pa);
        T_EQ_INT(d.v[0].line, 5);
        T_CONTAINS(d.v[0].msg, "reconcile の列 'w' か 'k' が表 'b' にありません");
        free(pa);
    }
    gy_diags_free(&d);
    /* the other table must exist */
    char *pb = gy_asprintf("%s/b.def", dir);
    remove(pb);
    free(pb);
    T_EQ_INT(gy_defset_load(dir, &s, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "reconcile の表 'b' は定義されていません");
    gy_diags_free(&d);
    gy_remove_tree(dir);
    free(dir);
}

/* ---- markers and roles --------------------------------------------------- */

static void marker_levels(void)
{
    T_EQ_INT(gy_marker_level("1"), 0);
    T_EQ_INT(gy_marker_level("12"), 0);
    T_EQ_INT(gy_marker_level("(1)"), 1);
    T_EQ_INT(gy_marker_level("(12)"), 1);
    T_EQ_INT(gy_marker_level("①"), 2);
    T_EQ_INT(gy_marker_level("⑳"), 2);
    T_EQ_INT(gy_marker_level("㉑"), 2);
    T_EQ_INT(gy_marker_level("ア"), 3);
    T_EQ_INT(gy_marker_level("(ア)"), 4);
    T_EQ_INT(gy_marker_level("a"), 5);
    T_EQ_INT(gy_marker_level("x1"), -1);
}

static void marker_fullwidth_and_errors(void)
{
    T_EQ_INT(gy_marker_level("１"), 0);
    T_EQ_INT(gy_marker_level("（１）"), 1);
    T_EQ_INT(gy_marker_level("（ア）"), 4);
    T_EQ_INT(gy_marker_level("ａ"), 5);
    T_EQ_INT(gy_marker_level(" (2) "), 1);
    T_EQ_INT(gy_marker_level("　③　"), 2);
    T_EQ_INT(gy_marker_level(""), -1);
    T_EQ_INT(gy_marker_level("   "), -1);
    T_EQ_INT(gy_marker_level("1234"), -1);
    T_EQ_INT(gy_marker_level("()"), -1);
    T_EQ_INT(gy_marker_level("(a)"), -1);
    T_EQ_INT(gy_marker_level("(1"), -1);
    T_EQ_INT(gy_marker_level("アイ"), -1);
    T_EQ_INT(gy_marker_level("A"), -1);
    T_EQ_INT(gy_marker_level("\xFF"), -1);
}

static void roles(void)
{
    static const struct { const char *w; gy_role r; } ok[] = {
        {"", GY_ROLE_ITEM},        {"項目", GY_ROLE_ITEM},     {"item", GY_ROLE_ITEM},
        {"小計", GY_ROLE_SUBTOTAL}, {"subtotal", GY_ROLE_SUBTOTAL},
        {"計", GY_ROLE_TOTAL},     {"合計", GY_ROLE_TOTAL},    {"総計", GY_ROLE_TOTAL},
        {"total", GY_ROLE_TOTAL},  {"再掲", GY_ROLE_MEMO},     {"memo", GY_ROLE_MEMO},
        {"参考", GY_ROLE_NOTE},     {"note", GY_ROLE_NOTE},     {" 計 ", GY_ROLE_TOTAL},
        {"　小計　", GY_ROLE_SUBTOTAL}, {"   ", GY_ROLE_ITEM},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gy_role r = (gy_role)99;
        bool b = gy_role_parse(ok[i].w, &r);
        if (!b || r != ok[i].r)
            printf("#   role word '%s'\n", ok[i].w);
        T_CHECK(b);
        T_EQ_INT(r, ok[i].r);
    }
    static const char *bad[] = {"中計", "計画", "Total", "x", "小 計"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gy_role r = (gy_role)99;
        T_CHECK(!gy_role_parse(bad[i], &r));
        T_EQ_INT(r, 99); /* untouched */
    }
    T_EQ_STR(gy_role_name(GY_ROLE_ITEM), "項目");
    T_EQ_STR(gy_role_name(GY_ROLE_SUBTOTAL), "小計");
    T_EQ_STR(gy_role_name(GY_ROLE_TOTAL), "計");
    T_EQ_STR(gy_role_name(GY_ROLE_MEMO), "再掲");
    T_EQ_STR(gy_role_name(GY_ROLE_NOTE), "参考");
}

static void long_words_not_truncated(void)
{
    /* a cell is not cut at some buffer size before it is judged: "計"
     * followed by 70 spaces and "x" is not the role 計, and "1" followed
     * by 70 spaces and "x" is not a marker */
    char role[128], marker[128];
    snprintf(role, sizeof role, "計%70sx", "");
    snprintf(marker, sizeof marker, "1%70sx", "");
    gy_role r = (gy_role)99;
    T_CHECK(!gy_role_parse(role, &r));
    T_EQ_INT(gy_marker_level(marker), -1);
}

static void type_names(void)
{
    T_EQ_STR(gy_type_name(GY_T_TEXT), "text");
    T_EQ_STR(gy_type_name(GY_T_RATIO), "ratio");
    T_EQ_STR(gy_type_name(GY_T_LEVEL), "level");
    T_EQ_STR(gy_type_name((gy_type)42), "?");
}

int main(void)
{
    TEST(good_header_fields);
    TEST(good_columns);
    TEST(good_rules);
    TEST(good_defaults);
    TEST(quoted_keyword_rest);
    TEST(good_level_and_quotient);
    TEST(err_unknown_directive);
    TEST(err_unknown_type);
    TEST(err_ratio_decimals);
    TEST(err_duplicate_column);
    TEST(err_unknown_attribute);
    TEST(err_rule_missing_target);
    TEST(err_rule_missing_operand);
    TEST(err_rule_unknown_function);
    TEST(err_rule_text_column);
    TEST(err_rule_text_target);
    TEST(err_rule_no_equals);
    TEST(err_rule_trailing);
    TEST(err_rule_bad_selector);
    TEST(err_sum_text_column);
    TEST(err_sum_missing_column);
    TEST(err_missing_table);
    TEST(err_missing_file);
    TEST(err_no_columns);
    TEST(prev_without_fy);
    TEST(err_at_nothing);
    TEST(err_file_with_folder);
    TEST(err_twice);
    TEST(err_label_missing);
    TEST(err_two_role_columns);
    TEST(err_not_utf8);
    TEST(err_all_reported);
    TEST(load_file);
    TEST(defset_real_templates);
    TEST(defset_same_file);
    TEST(defset_same_id);
    TEST(defset_bad_member_and_empty);
    TEST(reconcile_parse);
    TEST(reconcile_defset);
    TEST(too_many_words);
    TEST(marker_levels);
    TEST(marker_fullwidth_and_errors);
    TEST(roles);
    TEST(long_words_not_truncated);
    TEST(type_names);
    T_DONE();
}
