/* test_tmpl.c - the one template reader (tmpl.h): BOM, CRLF, blank lines,
 * UTF-8, comments and line:col, the same for .def, .chart, .sheet and
 * workbook.conf */
#include "gaiyo/chart.h"
#include "gaiyo/layout.h"
#include "gaiyo/tabledef.h"
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

/* the first diagnostic is at line:col and says msg */
static void first_at(const gy_diags *d, unsigned line, unsigned col, const char *msg)
{
    T_CHECK(d->n >= 1);
    if (d->n < 1)
        return;
    T_EQ_INT(d->v[0].line, line);
    T_EQ_INT(d->v[0].col, col);
    T_CONTAINS(d->v[0].msg, msg);
    if (d->v[0].line != line || d->v[0].col != col || !strstr(d->v[0].msg, msg))
        gy_diags_print(d, stdout);
}

/* ---- .sheet ---- */

static void sheet_error(const char *text, unsigned line, unsigned col, const char *msg)
{
    gy_diags d = {0};
    gy_layout *l = NULL;
    T_EQ_INT(gy_layout_parse("x.sheet", text, &defs, &l, &d), GY_EDEF);
    T_CHECK(l == NULL);
    first_at(&d, line, col, msg);
    gy_diags_free(&d);
}

static gy_layout *sheet_ok(const char *text)
{
    gy_diags d = {0};
    gy_layout *l = NULL;
    T_EQ_INT(gy_layout_parse("x.sheet", text, &defs, &l, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (d.n)
        gy_diags_print(&d, stdout);
    gy_diags_free(&d);
    return l;
}

static void sheet_columns(void)
{
    /* a wrong directive in column 1, or where it is indented */
    sheet_error("table t\nfield 名\ncolour red\n", 3, 1, "未知の指示語 'colour'");
    sheet_error("table t\nfield 名\n  colour red\n", 3, 3, "未知の指示語 'colour'");
    /* a wrong value where it stands */
    sheet_error("table t\nfield 名\norientation sideways\n", 3, 13, "orientation は landscape か portrait");
    sheet_error("table t\nfield 名\nrecords  diagonal\n", 3, 10, "records は down か across");
    sheet_error("table t\nfield 名\nwrap x\n", 3, 6, "wrap は正の整数");
    sheet_error("table t\nfield 名 width 0\n", 2, 15, "width は 1〜255");
    sheet_error("table t\nfield 名 where\n", 2, 9, "where に値がありません");
    sheet_error("table t\nfield 名 bold\n", 2, 9, "未知の指定 'bold'");
    sheet_error("table t\nfield 名 suffix \"x\n", 2, 16, "suffix");
    sheet_error("table t\nfield 名\nfield 額 where R5\n", 3, 9, "where は pivot のある様式でだけ使えます");
    /* names resolved against the table, after the file: still at their place */
    sheet_error("table t\nfield 名\nfield 無い列\n", 3, 7, "表 't' に列 '無い列' はありません");
    sheet_error("table nope\nfield 名\n", 1, 7, "表 'nope' は定義されていません");
    sheet_error("table t\nfield 名\npivot 名 by 無い\n", 3, 12, "表 't' に列 '無い' はありません");
    sheet_error("table t\nfield 名\npivot 無い by 年度\n", 3, 7, "表 't' に列 '無い' はありません");
    sheet_error("table t\nfield 名\npivot 額 by 年度\n", 3, 7, "pivot と block には文字の列");
    sheet_error("table t\nfield 名\nblock 額\n", 3, 7, "pivot と block には文字の列");
    sheet_error("table t\nfield 名\nsubrow 計 | x | 額=比 額=無い\n", 3, 22, "表 't' に列 '無い' はありません");
    sheet_error("table t\nfield 名\nsubrow 計 | x | 無い=比\n", 3, 16, "表 't' に列 '無い' はありません");
    sheet_error("table t\nfield 名\nsubrow 計 | x | 額\n", 3, 16, "列=元の列 の形ではありません");
    sheet_error("table t\nfield 名\nsubrow 計 | x\n", 3, 8, "subrow は「subrow");
    sheet_error("table t\nfield 名\nrename 計\n", 3, 8, "rename は「rename");
    sheet_error("table t\nfield 名\nheader a | b\n", 3, 8, "header のセルが 2 個ですが field は 1 個です");
    sheet_error("table t\ntitle a\n title b\nfield 名\n", 3, 2, "'title' が 2 回あります");
    sheet_error("table t\nfield 名\npivot 名\n", 3, 7, "pivot は「pivot 行の列 by 値を選ぶ列」");
    /* not UTF-8: at the character column of the byte */
    sheet_error("table t\ntitle 表題\xff\n", 2, 9, "UTF-8");
}

static void sheet_reading(void)
{
    /* a BOM, CRLF and blank lines: read as without them */
    gy_layout *l = sheet_ok("\xEF\xBB\xBFtable t\r\n\r\n\r\ntitle (1) 表題\r\nfield 名\r\n");
    if (l) {
        T_EQ_STR(l->table, "t");
        T_EQ_STR(l->title, "(1) 表題");
        T_EQ_INT(l->fields[0].line, 5);
    }
    gy_layout_free(l);
    /* after blank lines and CRLF, an error names its own line */
    sheet_error("\xEF\xBB\xBFtable t\r\n\r\nfield 名\r\n\r\n orientation up\r\n", 5, 14, "orientation");
    /* '#' starts a comment only at the start of a line; a value keeps
     * '#' and quotes as written (the rest of its line) */
    l = sheet_ok("# comment\n  # indented comment\ntable t\ntitle \"(1)\" 表題 #1\nnote ※ 注 # 2\nfield 名\n");
    if (l) {
        T_EQ_STR(l->title, "\"(1)\" 表題 #1");
        T_EQ_INT(l->nnotes, 1);
        if (l->nnotes)
            T_EQ_STR(l->notes[0], "※ 注 # 2");
    }
    gy_layout_free(l);
}

/* ---- workbook.conf ---- */

static void conf_reading(void)
{
    char *dir = t_tmpdir("tmp_tmpl_");
    if (!dir)
        return;
    gy_diags d = {0};
    gy_layouts ls;
    /* BOM, CRLF, blank lines and a comment */
    t_put(dir, "workbook.conf", "\xEF\xBB\xBF# settings\r\n\r\nfont ＭＳ Ｐゴシック\r\n\r\nnegative ▲\r\nfont_size 11\r\n");
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (d.n == 0) {
        T_EQ_STR(ls.font, "ＭＳ Ｐゴシック");
        T_EQ_STR(ls.negative, "▲");
        T_EQ_INT(ls.font_size, 11);
        gy_layouts_free(&ls);
    }
    /* the line after blank lines is its own line (was: blank lines not counted) */
    t_put(dir, "workbook.conf", "font x\n\n\nnegative ×\n");
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    first_at(&d, 4, 10, "negative は △, ▲, - のどれか");
    gy_diags_free(&d);
    /* a wrong setting in column 1, a wrong value where it stands */
    t_put(dir, "workbook.conf", "\nfonts x\n");
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    first_at(&d, 2, 1, "未知の設定 'fonts'");
    gy_diags_free(&d);
    t_put(dir, "workbook.conf", "# size\n\nfont_size   99\n");
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    first_at(&d, 3, 13, "font_size は 6〜72");
    gy_diags_free(&d);
    t_put(dir, "workbook.conf", "title 概要\nauthor \xfe\n");
    T_EQ_INT(gy_layouts_load(dir, &defs, &ls, &d), GY_EDEF);
    first_at(&d, 2, 8, "UTF-8");
    gy_diags_free(&d);
    char *p = gy_asprintf("%s/workbook.conf", dir);
    remove(p);
    free(p);
    remove(dir);
    free(dir);
}

/* ---- .def ---- */

static void def_reading(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    /* BOM, CRLF, blank lines; '#' words are comments; quotes keep spaces */
    T_EQ_INT(gy_tabledef_parse("x.def",
                               "\xEF\xBB\xBFtable x\r\n\r\nfile x.csv # the file\r\n\r\n"
                               "column 名 text key label=\"名 前\"\r\ncolumn 額 amount\r\n",
                               &t, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (t) {
        T_EQ_STR(t->id, "x");
        T_EQ_STR(t->file, "x.csv");
        T_EQ_INT(t->ncols, 2);
        if (t->ncols == 2) {
            T_EQ_STR(t->cols[0].label, "名 前");
            T_EQ_INT(t->cols[1].line, 6);
        }
    }
    gy_tabledef_free(t);
    t = NULL;
    /* after a BOM, CRLF and blank lines, an error names its line and column */
    T_EQ_INT(gy_tabledef_parse("x.def", "\xEF\xBB\xBFtable x\r\n\r\nfile x.csv\r\n\r\ncolumn 名 txet\r\n", &t, &d),
             GY_EDEF);
    first_at(&d, 5, 10, "未知の型 'txet'");
    gy_diags_free(&d);
    T_EQ_INT(gy_tabledef_parse("x.def", "table x\n\n  tabel y\n", &t, &d), GY_EDEF);
    first_at(&d, 3, 3, "未知の指示語 'tabel'");
    gy_diags_free(&d);
}

/* ---- .chart ---- */

static void chart_reading(void)
{
    gy_diags d = {0};
    gy_chartset *cs = NULL;
    /* BOM, CRLF, blank lines; '# ' is a comment, #4472c4 a colour */
    T_EQ_INT(gy_chartset_parse(&cs, "a.chart", "a",
                               "\xEF\xBB\xBFtype bars\r\n\r\ntable t # the table\r\n# a comment\r\n"
                               "series 額 color=#4472c4 title=\"金 額\"\r\ncolors #4472C4 #ed7d31\r\n",
                               &defs, &d),
             GY_OK);
    T_EQ_INT(d.n, 0);
    if (d.n)
        gy_diags_print(&d, stdout);
    T_EQ_INT(gy_chartset_count(cs), 1);
    /* after a BOM, CRLF and blank lines, an error names its line and column */
    T_EQ_INT(gy_chartset_parse(&cs, "b.chart", "b", "\xEF\xBB\xBFtype bars\r\n\r\ntable t\r\n\r\nseries 額 color=red\r\n",
                               &defs, &d),
             GY_EDEF);
    first_at(&d, 5, 10, "#rrggbb");
    gy_diags_free(&d);
    T_EQ_INT(gy_chartset_parse(&cs, "c.chart", "c", "type bars\n\n  tabel t\n", &defs, &d), GY_EDEF);
    first_at(&d, 3, 3, "未知の指定 'tabel'");
    gy_diags_free(&d);
    gy_chartset_free(cs);
}

int main(void)
{
    load_defs();
    TEST(sheet_columns);
    TEST(sheet_reading);
    TEST(conf_reading);
    TEST(def_reading);
    TEST(chart_reading);
    gy_defset_free(&defs);
    T_DONE();
}
