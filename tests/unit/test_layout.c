/* test_layout.c - sheet layouts (templates/sheets): parsing and diagnostics */
#include "gaiyo/layout.h"
#include "gaiyo/util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gy_defset defs;

static void load_defs(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    const char *def = "table t\nfile t.csv\nlabel 名\ncolumn 名 text key\ncolumn 年度 fy key\n"
                      "column 額 amount\ncolumn 比 ratio1 optional\n";
    T_EQ_INT(gy_tabledef_parse("t.def", def, &t, &d), GY_OK);
    defs.v = calloc(1, sizeof *defs.v);
    defs.v[0] = t;
    defs.n = 1;
    gy_diags_free(&d);
}

/* a layout that must fail with one diagnostic at line containing msg */
static void expect_error(const char *text, unsigned line, const char *msg)
{
    gy_diags d = {0};
    gy_layout *l = (gy_layout *)1;
    T_EQ_INT(gy_layout_parse("x.sheet", text, &defs, &l, &d), GY_EDEF);
    T_CHECK(l == NULL);
    T_CHECK(d.n >= 1);
    if (d.n >= 1) {
        T_EQ_STR(d.v[0].file, "x.sheet");
        T_EQ_INT(d.v[0].line, line);
        T_CONTAINS(d.v[0].msg, msg);
    }
    if (d.n >= 1 && !strstr(d.v[0].msg, msg))
        gy_diags_print(&d, stdout);
    gy_diags_free(&d);
}

static void parse_full(void)
{
    const char *text = "# a comment\n"
                       "table t\nsheet 表\ntitle (1) 表題\nasof 令和6年3月31日現在\nunit (単位：千円)\n"
                       "orientation landscape\npivot 名 by 年度\nsection 【経済産業政策課】\n"
                       "rename 計 | 合 計\n"
                       "subrow 計 | 前年度比 | 額=比\n"
                       "header 名 | 金額 | <\n"
                       "header ^  | R5   | R6\n"
                       "field 名 label width 30 wrap\n"
                       "field 額 where R5\n"
                       "field 額 where R6 suffix %\n"
                       "note ※ 注記\n";
    gy_diags d = {0};
    gy_layout *l = NULL;
    T_EQ_INT(gy_layout_parse("x.sheet", text, &defs, &l, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (!l)
        return;
    T_EQ_STR(l->table, "t");
    T_EQ_STR(l->sheet, "表");
    T_EQ_STR(l->title, "(1) 表題");
    T_EQ_STR(l->asof, "令和6年3月31日現在");
    T_EQ_STR(l->section, "【経済産業政策課】");
    T_EQ_STR(l->unit, "(単位：千円)");
    T_CHECK(l->landscape);
    T_CHECK(!l->across);
    T_EQ_INT(l->pivot_key_idx, 0);
    T_EQ_INT(l->pivot_col_idx, 1);
    T_EQ_INT(l->nheader, 2);
    T_EQ_INT(l->nfields, 3);
    T_EQ_STR(l->header[0][2], "<");
    T_EQ_STR(l->header[1][0], "^");
    T_EQ_INT(l->label_field, 0);
    T_EQ_INT(l->fields[0].width, 30);
    T_CHECK(l->fields[0].wrap);
    T_EQ_STR(l->fields[2].where, "R6");
    T_EQ_STR(l->fields[2].suffix, "%");
    T_EQ_INT(l->fields[1].colidx, 2);
    T_EQ_INT(l->nrename, 1);
    T_EQ_STR(l->rename_to[0], "合 計");
    T_EQ_INT(l->nsubrows, 1);
    if (l->nsubrows == 1) {
        T_EQ_INT(l->subrows[0].n, 1);
        T_EQ_INT(l->subrows[0].dst[0], 2);
        T_EQ_INT(l->subrows[0].src[0], 3);
    }
    T_EQ_INT(l->nnotes, 1);
    gy_layout_free(l);
    gy_diags_free(&d);
}

static void errors_name_file_and_line(void)
{
    expect_error("table t\nfield 名\nfield 無い列\n", 3, "表 't' に列 '無い列' はありません");
    expect_error("table nope\nfield 名\n", 1, "表 'nope' は定義されていません");
    expect_error("table t\nfield 名\nheader a | b\n", 3, "header のセルが 2 個ですが field は 1 個です");
    expect_error("table t\nfield 名\ncolour red\n", 3, "未知の指示語 'colour'");
    expect_error("table t\nfield 名 width 0\n", 2, "width は 1〜255");
    expect_error("table t\nfield 名 where\n", 2, "where に値がありません");
    expect_error("table t\nfield 名 where R5\n", 2, "where は pivot のある様式でだけ使えます");
    expect_error("table t\nfield 名\nfield 額 bold\n", 3, "未知の指定 'bold'");
    expect_error("table t\nfield 名\norientation sideways\n", 3, "orientation は landscape か portrait");
    expect_error("table t\nfield 名\nrecords diagonal\n", 3, "records は down か across");
    expect_error("table t\nfield 名\nwrap x\n", 3, "wrap は正の整数");
    expect_error("table t\nfield 名\npivot 名\n", 3, "pivot は「pivot 行の列 by 値を選ぶ列」");
    expect_error("table t\nfield 名\npivot 名 by 無い\n", 3, "表 't' に列 '無い' はありません");
    /* a block in a pivot layout would print no caption: said, not ignored */
    expect_error("table t\nfield 額 where R5\npivot 名 by 年度\nblock 名\n", 4, "block は pivot の様式では使えません");
    expect_error("table t\nfield 名\nsubrow 計 | x\n", 3, "subrow は「subrow");
    expect_error("table t\nfield 名\nsubrow 計 | x | 額=無い\n", 3, "表 't' に列 '無い' はありません");
    expect_error("table t\nfield 名\nrename 計\n", 3, "rename は「rename");
    expect_error("table t\ntitle a\ntitle b\nfield 名\n", 3, "'title' が 2 回あります");
    expect_error("table t\n", 0, "field がありません");
    expect_error("field 名\n", 0, "table がありません");
    expect_error("table t\nfield 名 suffix \"x\n", 2, "suffix");
}

static void pivot_star_and_short_header(void)
{
    gy_diags d = {0};
    gy_layout *l = NULL;
    /* pivot * by COL: one record; a header line may not be shorter */
    T_EQ_INT(gy_layout_parse("x.sheet", "table t\npivot * by 年度\nfield 額 where R4\nfield 額 where R5\n", &defs, &l, &d),
             GY_OK);
    if (l) {
        T_EQ_INT(l->pivot_key_idx, -2);
        T_EQ_STR(l->sheet, "t"); /* defaults to the table id */
    }
    gy_layout_free(l);
    gy_diags_free(&d);
}

static void load_dir_and_conf(void)
{
    char tmpl[] = "/tmp/gaiyo-layout-XXXXXX";
    char *dir = mkdtemp(tmpl);
    T_CHECK(dir != NULL);
    if (!dir)
        return;
    char *a = gy_asprintf("%s/10_a.sheet", dir), *b = gy_asprintf("%s/workbook.conf", dir);
    FILE *fp = fopen(a, "w");
    fputs("table t\nfield 名\n", fp);
    fclose(fp);
    fp = fopen(b, "w");
    fputs("# settings\nfont ＭＳ Ｐゴシック\nnegative ▲\nfont_size 11\ndate 令和6年7月\n", fp);
    fclose(fp);
    gy_diags d = {0};
    gy_layouts ls;
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_OK);
    T_EQ_INT(ls.n, 1);
    T_EQ_STR(ls.font, "ＭＳ Ｐゴシック");
    T_EQ_STR(ls.negative, "▲");
    T_EQ_INT(ls.font_size, 11);
    T_EQ_STR(ls.date, "令和6年7月"); /* the cover's date (issue 16) */
    T_CHECK(gy_layouts_find(&ls, "t") != NULL);
    T_CHECK(gy_layouts_find(&ls, "u") == NULL);
    gy_layouts_free(&ls);
    /* a bad setting names file:line */
    fp = fopen(b, "w");
    fputs("font x\nnegative ×\n", fp);
    fclose(fp);
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, b);
        T_EQ_INT(d.v[0].line, 2);
        T_CONTAINS(d.v[0].msg, "negative は △, ▲, - のどれか");
    }
    gy_diags_free(&d);
    remove(b);
    /* two layouts for one table */
    char *c = gy_asprintf("%s/20_b.sheet", dir);
    fp = fopen(c, "w");
    fputs("table t\nsheet other\nfield 名\n", fp);
    fclose(fp);
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "でも使われています");
    gy_diags_free(&d);
    /* no folder at all: defaults, no layouts */
    T_EQ_INT(gy_layouts_load("/nonexistent/sheets", &defs, &ls, &d), GY_OK);
    T_EQ_INT(ls.n, 0);
    T_EQ_STR(ls.font, "游ゴシック");
    T_EQ_STR(ls.negative, "△");
    gy_layouts_free(&ls);
    gy_remove_tree(dir);
    free(a);
    free(b);
    free(c);
}

static void real_templates(void)
{
    /* every layout of templates/sheets parses against templates/tables */
    gy_diags d = {0};
    gy_defset real;
    T_EQ_INT(gy_defset_load(SRCDIR "/templates/tables", &real, &d), GY_OK);
    gy_layouts ls;
    T_EQ_INT(gy_layouts_load(SRCDIR "/templates/sheets", &real, &ls, &d), GY_OK);
    if (d.n)
        gy_diags_print(&d, stdout);
    T_EQ_INT(ls.n, 42); /* one layout per table of the default input (and 本文の数字) */
    gy_layouts_free(&ls);
    gy_defset_free(&real);
    gy_diags_free(&d);
}

/* issue 16: where a wide table splits onto a further page, and which
 * columns every page repeats */
static void split_and_repeat(void)
{
    const char *text = "table t\nfield 名 label\nfield 年度\nfield 額\nfield 比\nsplit 額\nsplit 比\nrepeat 年度\n";
    gy_diags d = {0};
    gy_layout *l = NULL;
    T_EQ_INT(gy_layout_parse("x.sheet", text, &defs, &l, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (l) {
        T_EQ_INT(l->nsplits, 2);
        T_EQ_INT(l->splits[0].field, 2);
        T_EQ_INT(l->splits[1].field, 3);
        T_EQ_INT(l->repeat.field, 1);
    }
    gy_layout_free(l);
    l = NULL;
    /* no repeat: -1 (through the label field) */
    T_EQ_INT(gy_layout_parse("x.sheet", "table t\nfield 名 label\nfield 額\nsplit 額\n", &defs, &l, &d), GY_OK);
    if (l)
        T_EQ_INT(l->repeat.field, -1);
    gy_layout_free(l);
    /* a pivot's fields by their value */
    l = NULL;
    T_EQ_INT(gy_layout_parse("x.sheet", "table t\npivot 名 by 年度\nfield 名 label\nfield 額 where R4\n"
                                        "field 額 where R5\nsplit 額 where R5\n", &defs, &l, &d), GY_OK);
    if (l)
        T_EQ_INT(l->splits[0].field, 2);
    gy_layout_free(l);
    gy_diags_free(&d);
    expect_error("table t\nfield 名 label\nfield 額\nsplit 人件費\n", 4, "列 '人件費' を印刷する field がありません");
    expect_error("table t\nfield 名 label\nfield 額\nsplit 名\n", 4, "最初の field");
    expect_error("table t\nfield 名 label\nfield 額\nsplit\n", 4, "split は「split 列 [where 値]」の形です");
    expect_error("table t\npivot 名 by 年度\nfield 名 label\nfield 額 where R4\nfield 額 where R5\nsplit 額\n", 6,
                 "where 値 で 1 つに決めてください");
    expect_error("table t\nrecords across\nfield 名 label\nfield 額\nsplit 額\n", 5, "records across や wrap");
    expect_error("table t\nfield 名 label\nfield 年度\nfield 額\nsplit 年度\nrepeat 額\n", 5,
                 "repeat の列 '額' より右");
    expect_error("table t\nfield 名 label\nfield 額\nrepeat 名\nrepeat 額\n", 5, "'repeat' が 2 回あります");
}

int main(void)
{
    load_defs();
    TEST(parse_full);
    TEST(errors_name_file_and_line);
    TEST(pivot_star_and_short_header);
    TEST(load_dir_and_conf);
    TEST(real_templates);
    TEST(split_and_repeat);
    gy_defset_free(&defs);
    T_DONE();
}
