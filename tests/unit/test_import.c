/* test_import.c - CSV → typed tables: cells, positions, encodings, errors */
#include "gaiyo/import.h"
#include "gaiyo/report.h"
#include "gaiyo/retain.h"
#include "gaiyo/util.h"
#include "t.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the cell at (row, col), in one of a ring of buffers (one assertion
 * holds at most a few at a time) */
static const gy_cell *tc(const gy_table *t, size_t row, size_t col)
{
    static gy_cell ring[32];
    static unsigned k;
    gy_cell *c = &ring[k++ % 32];
    gy_table_cell(t, row, col, c);
    return c;
}

/* ---- definitions used by the tests --------------------------------------- */

static const char *demo_def_text =
    "table   demo\n"                       /* 1 */
    "title   デモ\n"                        /* 2 */
    "file    demo.csv\n"                    /* 3 */
    "label   名前\n"                        /* 4 */
    "column  名前    text    key\n"         /* 5 */
    "column  行区分  role    optional\n"    /* 6 */
    "column  金額    amount\n"              /* 7 */
    "column  件数    count   optional\n"    /* 8 */
    "column  率      ratio1  optional\n"    /* 9 */
    "column  年度    fy      optional\n";   /* 10 */

/* column indexes of demo */
enum { C_NAME, C_ROLE, C_AMT, C_CNT, C_PCT, C_FY };

static const char *tree_def_text =
    "table   tree\n"
    "file    tree.csv\n"
    "group   課名\n"
    "label   名前\n"
    "column  課名    text    key\n"
    "column  番号    marker  key\n"
    "column  名前    text    key\n"
    "column  行区分  role    optional\n"
    "column  金額    amount  optional\n";

static const char *ascii_def_text =
    "table   a\n"
    "file    a.csv\n"
    "column  name    text    key\n"
    "column  amount  amount\n";

static const char *other_def_text =
    "table   o\n"
    "file    o.csv\n"
    "column  name    text    key\n";

/* Diagnostics as TAP comments (for a failing case). */
static void print_diags(const gy_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        printf("#   %s:%u:%u: %s\n", d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
}

static gy_tabledef *def_of(const char *path, const char *text)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    gy_status st = gy_tabledef_parse(path, text, &t, &d);
    if (st != GY_OK) {
        printf("#   definition %s does not parse\n", path);
        print_diags(&d);
    }
    gy_diags_free(&d);
    return t;
}

static gy_tabledef *demo, *tree, *ascii_def, *other_def, *fykey, *fykey2;

static const char *fykey_def_text =
    "table   fyk\n"
    "file    fyk.csv\n"
    "column  年度    fy      key\n"
    "column  金額    amount\n";

static const char *fykey2_def_text =
    "table   fyk2\n"
    "file    fyk2.csv\n"
    "label   名前\n"
    "column  名前    text    key\n"
    "column  年度    fy      key\n"
    "column  金額    amount\n";

/* Import text under def; on success returns the table. */
static gy_table *imp(const gy_tabledef *def, const char *text)
{
    gy_diags d = {0};
    gy_table *t = NULL;
    gy_status st = gy_import_text(def, "demo.csv", text, strlen(text), &t, &d);
    T_EQ_INT(st, GY_OK);
    T_EQ_INT(d.n, 0);
    if (d.n)
        print_diags(&d);
    gy_diags_free(&d);
    return t;
}

/* Import text that must fail with a first diagnostic at line:col whose
 * message contains msg; exactly `n` diagnostics. */
static void imp_err_n(const gy_tabledef *def, const char *text, size_t len, size_t n,
                      unsigned line, unsigned col, const char *msg)
{
    gy_diags d = {0};
    gy_table *t = (gy_table *)1;
    gy_status st = gy_import_text(def, "demo.csv", text, len, &t, &d);
    T_EQ_INT(st, GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, n);
    if (d.n >= 1) {
        T_EQ_STR(d.v[0].file, "demo.csv");
        T_EQ_INT(d.v[0].line, line);
        T_EQ_INT(d.v[0].col, col);
        T_CONTAINS(d.v[0].msg, msg);
    }
    gy_diags_free(&d);
}

static void imp_err(const gy_tabledef *def, const char *text, unsigned line, unsigned col,
                    const char *msg)
{
    imp_err_n(def, text, strlen(text), 1, line, col, msg);
}

/* Decode that must fail at line:col with msg. */
static void dec_err(const char *raw, size_t len, gy_enc enc, unsigned line, unsigned col,
                    const char *msg)
{
    gy_diags d = {0};
    char *out = (char *)1;
    size_t outlen = 99;
    const char *used = NULL;
    T_EQ_INT(gy_decode("x.csv", raw, len, enc, &out, &outlen, &used, &d), GY_EDATA);
    T_CHECK(out == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, "x.csv");
        T_EQ_INT(d.v[0].line, line);
        T_EQ_INT(d.v[0].col, col);
        T_CONTAINS(d.v[0].msg, msg);
    }
    gy_diags_free(&d);
}

/* ---- files --------------------------------------------------------------- */

static char *path2(const char *a, const char *b)
{
    return gy_asprintf("%s/%s", a, b);
}

static void mkdir_in(const char *dir, const char *name)
{
    char *p = path2(dir, name);
    T_EQ_INT(mkdir(p, 0777), 0);
    free(p);
}

#define S(lit) lit, sizeof(lit) - 1

/* ---- typed cells ---------------------------------------------------------- */

static void typed_cells(void)
{
    gy_table *t = imp(demo, "名前,行区分,金額,件数,率,年度\n"
                            "東,,\"1,234\",5,12.5%,R6\n"
                            "西,計,△ 100,-,…,令和元年度\n"
                            "南,,,x,,\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 3);
    T_CHECK(t->def == demo);
    T_EQ_STR(t->path, "demo.csv");
    if (t->nrows != 3) {
        gy_table_free(t);
        return;
    }
    const gy_row *r = t->rows;
    T_EQ_INT(r[0].line, 2);
    T_EQ_INT(r[1].line, 3);
    T_EQ_INT(r[2].line, 4);
    /* row 0 */
    T_EQ_STR(tc(t, 0, C_NAME)->text, "東");
    T_EQ_INT(tc(t, 0, C_NAME)->nil, GY_NIL_NONE);
    T_EQ_INT(tc(t, 0, C_AMT)->nil, GY_NIL_NONE);
    T_EQ_INT(tc(t, 0, C_AMT)->v, 1234);
    T_EQ_STR(tc(t, 0, C_AMT)->text, "1,234");
    T_EQ_INT(tc(t, 0, C_AMT)->line, 2);
    T_EQ_INT(tc(t, 0, C_AMT)->col, 3);
    T_EQ_INT(tc(t, 0, C_CNT)->v, 5);
    T_EQ_INT(tc(t, 0, C_PCT)->v, 125); /* scaled by 10^1 */
    T_EQ_INT(tc(t, 0, C_FY)->v, 2024);
    T_EQ_INT(tc(t, 0, C_FY)->col, 6);
    T_EQ_INT(tc(t, 0, C_ROLE)->nil, GY_NIL_BLANK);
    T_EQ_INT(r[0].role, GY_ROLE_ITEM);
    /* row 1: negative, not applicable, unknown, role */
    T_EQ_INT(tc(t, 1, C_AMT)->v, -100);
    T_EQ_INT(tc(t, 1, C_CNT)->nil, GY_NIL_NA);
    T_EQ_INT(tc(t, 1, C_CNT)->v, 0);
    T_EQ_INT(tc(t, 1, C_PCT)->nil, GY_NIL_UNKNOWN);
    T_EQ_INT(tc(t, 1, C_FY)->v, 2019);
    T_EQ_INT(r[1].role, GY_ROLE_TOTAL);
    T_EQ_INT(tc(t, 1, C_ROLE)->nil, GY_NIL_NONE);
    T_EQ_INT(tc(t, 1, C_ROLE)->v, GY_ROLE_TOTAL);
    T_EQ_INT(tc(t, 1, C_ROLE)->line, 3);
    T_EQ_INT(tc(t, 1, C_ROLE)->col, 2);
    /* row 2: blanks and 秘匿 */
    T_EQ_INT(tc(t, 2, C_AMT)->nil, GY_NIL_BLANK);
    T_EQ_STR(tc(t, 2, C_AMT)->text, "");
    T_EQ_INT(tc(t, 2, C_CNT)->nil, GY_NIL_UNKNOWN);
    T_EQ_INT(tc(t, 2, C_PCT)->nil, GY_NIL_BLANK);
    T_EQ_INT(tc(t, 2, C_FY)->nil, GY_NIL_BLANK);
    T_EQ_STR(gy_row_label(t, &r[2]), "南");
    T_CHECK(t->encoding == NULL); /* set by gy_import_file only */
    gy_table_free(t);
}

static void header_order_and_optional(void)
{
    /* the header may name the columns in any order and leave out the
     * optional ones; cells keep the definition's order and their CSV
     * column; whitespace around cells (half and full width) is trimmed */
    gy_table *t = imp(demo, " 金額 ,名前\n  12 ,　東　\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 1);
    if (t->nrows == 1) {
        const gy_row *r = &t->rows[0];
        T_EQ_INT(tc(t, 0, C_AMT)->v, 12);
        T_EQ_INT(tc(t, 0, C_AMT)->col, 1);
        T_EQ_STR(tc(t, 0, C_NAME)->text, "東");
        T_EQ_INT(tc(t, 0, C_NAME)->col, 2);
        T_EQ_INT(tc(t, 0, C_NAME)->line, 2);
        /* absent optional columns are blank */
        T_EQ_INT(tc(t, 0, C_CNT)->nil, GY_NIL_BLANK);
        T_EQ_STR(tc(t, 0, C_CNT)->text, "");
        T_EQ_INT(tc(t, 0, C_CNT)->col, 0);
        T_EQ_INT(tc(t, 0, C_ROLE)->nil, GY_NIL_BLANK);
        T_EQ_INT(r->role, GY_ROLE_ITEM);
    }
    gy_table_free(t);
    /* a header alone is a table of no rows */
    t = imp(demo, "名前,金額\n");
    if (t)
        T_EQ_INT(t->nrows, 0);
    gy_table_free(t);
}

static void quoted_commas_and_newlines(void)
{
    gy_table *t = imp(demo, "名前,金額\n"                 /* 1 */
                            "\"東,西\",1\n"               /* 2 */
                            "\"北\n南\",\"2\"\n"          /* 3-4 */
                            "\"a \"\"b\"\"\",3\n"         /* 5 */
                            "次,\"4\n\"\n"                /* 6-7 */
                            "最後,5\n");                  /* 8 */
    if (!t)
        return;
    T_EQ_INT(t->nrows, 5);
    if (t->nrows == 5) {
        const gy_row *r = t->rows;
        T_EQ_STR(tc(t, 0, C_NAME)->text, "東,西");
        T_EQ_INT(r[0].line, 2);
        T_EQ_INT(r[1].line, 3);
        T_EQ_STR(tc(t, 1, C_NAME)->text, "北\n南");
        T_EQ_INT(tc(t, 1, C_NAME)->line, 3);
        /* the second field of that record starts on line 4 */
        T_EQ_INT(tc(t, 1, C_AMT)->line, 4);
        T_EQ_INT(tc(t, 1, C_AMT)->col, 2);
        T_EQ_INT(tc(t, 1, C_AMT)->v, 2);
        T_EQ_STR(tc(t, 2, C_NAME)->text, "a \"b\"");
        T_EQ_INT(r[2].line, 5);
        T_EQ_INT(r[3].line, 6);
        T_EQ_INT(tc(t, 3, C_AMT)->v, 4); /* the newline inside the quotes is trimmed */
        T_EQ_INT(tc(t, 3, C_AMT)->line, 6);
        T_EQ_INT(r[4].line, 8);
        T_EQ_INT(tc(t, 4, C_AMT)->line, 8);
    }
    gy_table_free(t);
}

static void quoted_comma_after_newline(void)
{
    /* a quoted field holding a line break and then a comma: the field and
     * its record start on line 2; the next record on line 4 */
    gy_table *t = imp(demo, "名前,金額\n"            /* 1 */
                            "\"北,\n南,東\",1\n"  /* 2-3 */
                            "次,2\n");               /* 4 */
    if (!t)
        return;
    T_EQ_INT(t->nrows, 2);
    if (t->nrows == 2) {
        T_EQ_STR(tc(t, 0, C_NAME)->text, "北,\n南,東");
        T_EQ_INT(t->rows[0].line, 2);
        T_EQ_INT(tc(t, 0, C_NAME)->line, 2);
        T_EQ_INT(tc(t, 0, C_AMT)->line, 3);
        T_EQ_INT(t->rows[1].line, 4);
    }
    gy_table_free(t);
}

static void crlf_line_endings(void)
{
    gy_table *t = imp(demo, "名前,金額\r\n東,1\r\n\"北\r\n南\",2\r\n西,3\r\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 3);
    if (t->nrows == 3) {
        T_EQ_STR(tc(t, 0, C_NAME)->text, "東");
        T_EQ_INT(tc(t, 0, C_AMT)->v, 1);
        T_EQ_INT(t->rows[0].line, 2);
        T_EQ_INT(t->rows[1].line, 3);
        T_EQ_INT(tc(t, 1, C_AMT)->line, 4);
        T_EQ_INT(t->rows[2].line, 5);
        T_EQ_STR(tc(t, 2, C_NAME)->text, "西");
    }
    gy_table_free(t);
    /* no final line break */
    t = imp(demo, "名前,金額\r\n東,1\r\n西,2");
    if (t) {
        T_EQ_INT(t->nrows, 2);
        if (t->nrows == 2) {
            T_EQ_INT(t->rows[1].line, 3);
            T_EQ_INT(tc(t, 1, C_AMT)->v, 2);
        }
    }
    gy_table_free(t);
}

static void cr_only_line_endings(void)
{
    /* old Mac line endings: every CR ends a line */
    gy_table *t = imp(demo, "名前,金額\r東,1\r西,2\r");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 2);
    if (t->nrows == 2) {
        T_EQ_INT(t->rows[0].line, 2);
        T_EQ_INT(t->rows[1].line, 3);
        T_EQ_INT(tc(t, 1, C_AMT)->line, 3);
    }
    gy_table_free(t);
}

static void empty_rows_skipped(void)
{
    /* a row of empty cells (Excel leaves them) and a blank line are
     * skipped, even when narrower than the header; lines still count */
    gy_table *t = imp(demo, "名前,金額,件数\n東,1,2\n,,\n\n , 　 ,\n,\n西,3,4\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 2);
    if (t->nrows == 2) {
        T_EQ_STR(tc(t, 1, C_NAME)->text, "西");
        T_EQ_INT(t->rows[1].line, 7);
        T_EQ_INT(tc(t, 1, C_CNT)->line, 7);
        T_EQ_INT(tc(t, 1, C_CNT)->col, 3);
    }
    gy_table_free(t);
}

static void roles_and_levels(void)
{
    gy_table *t = imp(tree, "課名,番号,名前,行区分,金額\n"
                            "A課,1,施策,,\n"
                            "A課,(1),事業,,30\n"
                            "A課,①,細目,,10\n"
                            "A課,ア,その1,,10\n"
                            "A課,(ア),その2,,\n"
                            "A課,a,その3,,\n"
                            "A課,,合計,計,30\n"
                            "A課,②,再掲分,再掲,5\n"
                            "A課,③,小計分,小計,5\n"
                            "A課,④,参考分,参考,5\n");
    if (!t)
        return;
    static const struct { int level; gy_role role; } want[] = {
        {0, GY_ROLE_ITEM}, {1, GY_ROLE_ITEM}, {2, GY_ROLE_ITEM},     {3, GY_ROLE_ITEM},
        {4, GY_ROLE_ITEM}, {5, GY_ROLE_ITEM}, {0, GY_ROLE_TOTAL},    {2, GY_ROLE_MEMO},
        {2, GY_ROLE_SUBTOTAL}, {2, GY_ROLE_NOTE},
    };
    T_EQ_INT(t->nrows, 10);
    for (size_t i = 0; i < t->nrows && i < 10; i++) {
        if (t->rows[i].level != want[i].level || t->rows[i].role != want[i].role)
            printf("#   row %zu\n", i);
        T_EQ_INT(t->rows[i].level, want[i].level);
        T_EQ_INT(t->rows[i].role, want[i].role);
    }
    if (t->nrows == 10) {
        T_EQ_INT(tc(t, 6, 1)->nil, GY_NIL_BLANK); /* blank marker */
        T_EQ_STR(gy_row_label(t, &t->rows[2]), "細目");
    }
    gy_table_free(t);
}

static void level_column(void)
{
    gy_tabledef *lv = def_of("lv.def", "table lv\nfile lv.csv\ncolumn 業種 text key\n"
                                       "column 階層 level\ncolumn 企業数 count\n");
    if (!lv)
        return;
    gy_table *t = imp(lv, "業種,階層,企業数\n加工組立型,1,239\n金属製品,2,40\n計,,655\n");
    if (t) {
        T_EQ_INT(t->nrows, 3);
        if (t->nrows == 3) {
            T_EQ_INT(t->rows[0].level, 1);
            T_EQ_INT(t->rows[1].level, 2);
            T_EQ_INT(t->rows[2].level, 0);
            T_EQ_INT(tc(t, 0, 2)->v, 239);
        }
    }
    gy_table_free(t);
    imp_err(lv, "業種,階層,企業数\n加工組立型,10,239\n", 2, 2,
            "列「階層」に 階層 (0〜9) を期待しましたが '10' です: 階層は 0〜9 の数字です");
    gy_tabledef_free(lv);
}

/* ---- encodings ------------------------------------------------------------ */

static void enc_names(void)
{
    gy_enc e = (gy_enc)99;
    T_CHECK(gy_enc_parse("UTF-8", &e) && e == GY_ENC_UTF8);
    T_CHECK(gy_enc_parse("utf8", &e) && e == GY_ENC_UTF8);
    T_CHECK(gy_enc_parse("cp932", &e) && e == GY_ENC_CP932);
    T_CHECK(gy_enc_parse("Shift_JIS", &e) && e == GY_ENC_CP932);
    T_CHECK(gy_enc_parse("sjis", &e) && e == GY_ENC_CP932);
    T_CHECK(gy_enc_parse("Windows-31J", &e) && e == GY_ENC_CP932);
    e = (gy_enc)99;
    T_CHECK(!gy_enc_parse("latin1", &e));
    T_CHECK(!gy_enc_parse("", &e));
    T_EQ_INT(e, 99);
}

static void decode_utf8_bom(void)
{
    gy_diags d = {0};
    char *out = NULL;
    size_t n = 0;
    const char *used = NULL;
    T_EQ_INT(gy_decode("x.csv", S("\xEF\xBB\xBF名前,金額\n"), GY_ENC_AUTO, &out, &n, &used, &d), GY_OK);
    T_EQ_STR(out, "名前,金額\n");
    T_EQ_INT(n, strlen("名前,金額\n"));
    T_EQ_STR(used, "UTF-8 (BOM)");
    free(out);
    /* an explicit UTF-8 with a BOM is the same */
    T_EQ_INT(gy_decode("x.csv", S("\xEF\xBB\xBF" "a\n"), GY_ENC_UTF8, &out, &n, &used, &d), GY_OK);
    T_EQ_STR(out, "a\n");
    T_EQ_STR(used, "UTF-8 (BOM)");
    free(out);
    T_EQ_INT(d.n, 0);
    gy_diags_free(&d);
}

static void decode_utf8_plain(void)
{
    gy_diags d = {0};
    char *out = NULL;
    size_t n = 0;
    const char *used = NULL;
    T_EQ_INT(gy_decode("x.csv", S("名前,金額\n①,髙\n"), GY_ENC_AUTO, &out, &n, &used, &d), GY_OK);
    T_EQ_STR(out, "名前,金額\n①,髙\n");
    T_EQ_STR(used, "UTF-8");
    free(out);
    T_EQ_INT(d.n, 0);
    gy_diags_free(&d);
}

/* 名前,金額\r\n ①,髙,課\r\n in CP932 */
static const char cp932_text[] = "\x96\xBC\x91\x4F,\x8B\xE0\x8A\x7A\r\n"
                                 "\x87\x40,\xFB\xFC,\x89\xDB\r\n";

static void decode_cp932_auto(void)
{
    gy_diags d = {0};
    char *out = NULL;
    size_t n = 0;
    const char *used = NULL;
    T_EQ_INT(gy_decode("x.csv", S(cp932_text), GY_ENC_AUTO, &out, &n, &used, &d), GY_OK);
    T_EQ_STR(out, "名前,金額\r\n①,髙,課\r\n");
    T_EQ_INT(n, strlen("名前,金額\r\n①,髙,課\r\n"));
    T_EQ_STR(used, "CP932");
    free(out);
    /* and when it is said to be CP932 */
    T_EQ_INT(gy_decode("x.csv", S(cp932_text), GY_ENC_CP932, &out, &n, &used, &d), GY_OK);
    T_EQ_STR(out, "名前,金額\r\n①,髙,課\r\n");
    free(out);
    T_EQ_INT(d.n, 0);
    gy_diags_free(&d);
}

static void decode_utf8_forced_on_cp932(void)
{
    /* the first byte that is not UTF-8 is 0x96 at line 1, column 1; on
     * line 2 after 'ab,' it is in CSV column 2 (B) */
    dec_err(S(cp932_text), GY_ENC_UTF8, 1, 1,
            "UTF-8 として不正なバイト 0x96 があります (CP932 なら encoding.conf に書いてください)");
    dec_err(S("名前,金額\nab,\x87\x40\n"), GY_ENC_UTF8, 2, 2, "UTF-8 として不正なバイト 0x87 があります");
}

static void decode_bom_not_a_column(void)
{
    /* the BOM is not part of the first field: 'x,ab' then the bad byte
     * is in CSV column 2, as without the BOM */
    dec_err(S("x,ab\xFF"), GY_ENC_UTF8, 1, 2, "UTF-8 として不正なバイト 0xFF があります");
    dec_err(S("\xEF\xBB\xBF" "x,ab\xFF"), GY_ENC_UTF8, 1, 2, "UTF-8 として不正なバイト 0xFF があります");
}

static void decode_invalid_in_both(void)
{
    /* 0xFF is neither UTF-8 nor CP932: line 2, CSV column 2 */
    dec_err(S("\x89\xDB,x\n\x89\xDB,\xFF\n"), GY_ENC_AUTO, 2, 2,
            "文字コードを判定できません: UTF-8 でも CP932 (Shift_JIS) でもないバイト 0xFF");
    dec_err(S("a,b\r\nc,d\r\ne,f\x80\r\n"), GY_ENC_AUTO, 3, 2,
            "文字コードを判定できません: UTF-8 でも CP932 (Shift_JIS) でもないバイト 0x80");
    /* a UTF-8 file with one stray byte: that byte is shown, not the first
     * byte that CP932 cannot read (the 名 of the header) */
    dec_err(S("名前,金額\n東,1\n西,\"2\xFF\"\n"), GY_ENC_AUTO, 3, 2,
            "文字コードを判定できません: UTF-8 でも CP932 (Shift_JIS) でもないバイト 0xFF");
    /* said to be CP932 */
    dec_err(S("a,b\n\xFF\n"), GY_ENC_CP932, 2, 1, "CP932 (Shift_JIS) として不正なバイト 0xFF があります");
}

static void decode_binary(void)
{
    /* a NUL byte: the file is binary, whatever the encoding (line 2, CSV column 2) */
    dec_err(S("名前,金額\n東,\0\x01\x02"), GY_ENC_AUTO, 2, 2,
            "バイナリファイルのようです (NUL バイトがあります)。CSV を指定してください");
}

/* Import raw bytes from a file (the path gaiyo reads: detection,
 * decoding, import) that must fail with one diagnostic at line:col. */
static void file_err(const char *dir, const char *raw, size_t len, gy_enc enc, unsigned line, unsigned col,
                     const char *msg)
{
    char *p = path2(dir, "pos.csv");
    t_write(NULL, p, raw, len);
    gy_diags d = {0};
    gy_table *t = NULL;
    T_EQ_INT(gy_import_file(demo, p, enc, &t, &d), GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n >= 1) {
        T_EQ_INT(d.v[0].line, line);
        T_EQ_INT(d.v[0].col, col);
        T_CONTAINS(d.v[0].msg, msg);
    }
    if (d.n != 1 || d.v[0].line != line || d.v[0].col != col)
        print_diags(&d);
    gy_diags_free(&d);
    free(p);
}

/* issue 13: one convention for every data-file diagnostic: the physical
 * line where the field starts, and its CSV column (1 = A). Lines end at
 * LF (CRLF once); a CR alone is text, except in an old Mac file (first
 * line ending in CR), where CR ends lines. */
static void positions_one_convention(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    const char *num = "数値ではありません";
    file_err(dir, S("名前,金額,件数\n東,1,2\n西,1x,2\n"), GY_ENC_AUTO, 3, 2, num);                 /* LF */
    file_err(dir, S("名前,金額,件数\r\n東,1,2\r\n西,1x,2\r\n"), GY_ENC_AUTO, 3, 2, num);       /* CRLF */
    file_err(dir, S("名前,金額,件数\r東,1,2\r西,1x,2\r"), GY_ENC_AUTO, 3, 2, num);                 /* CR (old Mac) */
    file_err(dir, S("名前,金額,件数\r\"東\n京\",1,2\r西,1x,2\r"), GY_ENC_AUTO, 4, 2, num);       /* CR, LF in quotes */
    /* a CR inside quotes ends no line (it used to count one) */
    file_err(dir, S("名前,金額,件数\n\"東\r京\",1,2\n西,1x,2\n"), GY_ENC_AUTO, 3, 2, num);
    file_err(dir, S("名前,金額,件数\r\n\"東\r京\",1,2\r\n西,1x,2\r\n"), GY_ENC_AUTO, 3, 2, num);
    file_err(dir, S("名前,金額,件数\n\"東\r\r京\",1,2\n西,1x,2\n"), GY_ENC_AUTO, 3, 2, num);
    /* LF and CRLF inside quotes end a line; a field after them starts on
     * the next line */
    file_err(dir, S("名前,金額,件数\n\"東\n京\",1,2\n西,1x,2\n"), GY_ENC_AUTO, 4, 2, num);
    file_err(dir, S("名前,金額,件数\r\n\"東\r\n京\",1,2\r\n西,1x,2\r\n"), GY_ENC_AUTO, 4, 2, num);
    file_err(dir, S("名前,金額,件数\n\"東\n京\",1x,2\n"), GY_ENC_AUTO, 3, 2, num);
    /* structural errors follow it too: a stray quote in a field that
     * spans lines is at the field's first line; one field too many after
     * such a field, at the line where that extra field starts */
    file_err(dir, S("名前,金額,件数\n東,1,\"2\n3\"x\n"), GY_ENC_AUTO, 2, 3, "引用符 (\") の使い方");
    file_err(dir, S("名前,金額,件数\n東,1,\"2\n\n\",4\n"), GY_ENC_AUTO, 4, 4, "この行は 4 列ですが");
    /* bad UTF-8 in column 3 (C), on its own line and after a quoted
     * field that spans lines; said to be UTF-8 or guessed */
    file_err(dir, S("名前,金額,件数\n東,1,2\n西京,1,\"2\xFF\"\n"), GY_ENC_UTF8, 3, 3, "UTF-8 として不正なバイト 0xFF");
    file_err(dir, S("名前,金額,件数\n東,1,2\n西京,1,\"2\xFF\"\n"), GY_ENC_AUTO, 3, 3, "0xFF");
    file_err(dir, S("名前,金額,件数\n\"東\n京\",1,2\xFF\n"), GY_ENC_AUTO, 3, 3, "0xFF");
    file_err(dir, S("名前,金額,件数\r\n\"東\r京\",1,2\xFF\r\n"), GY_ENC_AUTO, 2, 3, "0xFF");
    /* NUL in column 2 (B) */
    file_err(dir, S("名前,金額,件数\n東,1,2\n西,\"1\0\",2\n"), GY_ENC_AUTO, 3, 2, "NUL バイト");
    file_err(dir, S("名前,金額,件数\r\n\"東\r\n京\",1\0,2\r\n"), GY_ENC_AUTO, 3, 2, "NUL バイト");
    /* a CP932 file (名前,金額,件数 / 東 in CP932): a value error, and a bad
     * byte in column 3, guessed and said */
    file_err(dir, S("\x96\xBC\x91\x4F,\x8B\xE0\x8A\x7A,\x8C\x8F\x90\x94\r\n\x93\x8C,1,2\r\n\x93\x8C\x93\x8C,1x,2\r\n"),
             GY_ENC_AUTO, 3, 2, num);
    file_err(dir, S("\x96\xBC\x91\x4F,\x8B\xE0\x8A\x7A,\x8C\x8F\x90\x94\r\n\x93\x8C,1,\"\x93\x8C\r\n\xA0\"\r\n"),
             GY_ENC_CP932, 2, 3, "CP932 (Shift_JIS) として不正なバイト 0xA0");
    file_err(dir, S("\x96\xBC\x91\x4F,\x8B\xE0\x8A\x7A,\x8C\x8F\x90\x94\r\n\x93\x8C,1,2\r\n\x93\x8C,1,\xA0\r\n"),
             GY_ENC_AUTO, 3, 3, "0xA0");
    gy_remove_tree(dir);
    free(dir);
}

static void import_file_encodings(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_tabledef *cp = def_of("cp.def", "table cp\nfile cp.csv\ncolumn 名前 marker key\n"
                                       "column 金額 text\n");
    if (!cp) {
        free(dir);
        return;
    }
    /* header 名前,金額 then ①,髙橋課 in CP932 */
    char *p = path2(dir, "cp.csv");
    t_write(NULL, p, S("\x96\xBC\x91\x4F,\x8B\xE0\x8A\x7A\r\n\x87\x40,\xFB\xFC\x8B\xB4\x89\xDB\r\n"));
    gy_diags d = {0};
    gy_table *t = NULL;
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_AUTO, &t, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (t) {
        T_EQ_STR(t->encoding, "CP932");
        T_EQ_STR(t->path, p);
        T_EQ_INT(t->nrows, 1);
        if (t->nrows == 1) {
            T_EQ_STR(tc(t, 0, 0)->text, "①");
            T_EQ_INT(t->rows[0].level, 2);
            T_EQ_STR(tc(t, 0, 1)->text, "髙橋課");
            T_EQ_INT(tc(t, 0, 1)->col, 2);
            T_EQ_INT(t->rows[0].line, 2);
        }
    }
    gy_table_free(t);
    /* the same bytes said to be UTF-8: an error naming the first bad byte */
    t = (gy_table *)1;
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_UTF8, &t, &d), GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, p);
        T_EQ_INT(d.v[0].line, 1);
        T_EQ_INT(d.v[0].col, 1);
        T_CONTAINS(d.v[0].msg, "UTF-8 として不正なバイト 0x96");
    }
    gy_diags_free(&d);
    free(p);

    /* UTF-8 with a BOM */
    p = path2(dir, "bom.csv");
    t_write(NULL, p, S("\xEF\xBB\xBF名前,金額\n(1),x\n"));
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_AUTO, &t, &d), GY_OK);
    if (t) {
        T_EQ_STR(t->encoding, "UTF-8 (BOM)");
        T_EQ_INT(t->nrows, 1);
        if (t->nrows == 1)
            T_EQ_INT(t->rows[0].level, 1);
    }
    gy_table_free(t);
    free(p);

    /* UTF-8 without */
    p = path2(dir, "plain.csv");
    t_write(NULL, p, S("名前,金額\nア,x\n"));
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_AUTO, &t, &d), GY_OK);
    if (t) {
        T_EQ_STR(t->encoding, "UTF-8");
        if (t->nrows == 1)
            T_EQ_INT(t->rows[0].level, 3);
    }
    gy_table_free(t);
    free(p);

    /* binary */
    p = path2(dir, "bin.csv");
    t_write(NULL, p, S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_AUTO, &t, &d), GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_INT(d.v[0].line, 3);
        T_EQ_INT(d.v[0].col, 1);
        T_CONTAINS(d.v[0].msg, "NUL バイト");
    }
    gy_diags_free(&d);
    free(p);

    /* missing file */
    p = path2(dir, "none.csv");
    T_EQ_INT(gy_import_file(cp, p, GY_ENC_AUTO, &t, &d), GY_EIO);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "ファイルを読めません");
    gy_diags_free(&d);
    free(p);

    gy_tabledef_free(cp);
    gy_remove_tree(dir);
    free(dir);
}

/* ---- bad input: exact message and position -------------------------------- */

static void err_unknown_column(void)
{
    imp_err(demo, "名前,金額,誤り\n東,1,2\n", 1, 3,
            "未知の列 '誤り' (表「デモ」の列は: 名前, 行区分, 金額, 件数, 率, 年度)");
}

static void err_duplicate_header(void)
{
    imp_err(demo, "名前,金額,名前\n", 1, 3, "列 '名前' が 2 回あります");
}

static void err_missing_column(void)
{
    imp_err(demo, "名前,件数\n東,1\n", 1, 0, "必須の列 '金額' がありません (定義: demo.def:7)");
}

static void err_row_width(void)
{
    imp_err(demo, "名前,金額\n東,1\n西,2,3\n", 3, 3, "この行は 3 列ですが、見出し行 (1 行目) は 2 列です");
    imp_err(demo, "名前,金額,件数\n東,1,2\n西\n", 3, 2, "この行は 1 列ですが、見出し行 (1 行目) は 3 列です");
    /* the position is the extra field's: the line where it starts (the
     * record starts on line 2, its third field on line 3) */
    imp_err(demo, "名前,金額\n\"北\n南\",1,\n", 3, 3, "この行は 3 列ですが");
}

static void err_text_in_amount(void)
{
    /* the reason after ':' is gy_parse_int's (test_value checks it) */
    imp_err(demo, "名前,金額\n東,1\n西,\"1,2x\"\n", 3, 2,
            "列「金額」に 整数の金額 を期待しましたが '1,2x' です: ");
    imp_err(demo, "名前,金額\n東,1\n西,12x\n", 3, 2,
            "列「金額」に 整数の金額 を期待しましたが '12x' です: 数値ではありません");
}

static void err_values_collected(void)
{
    /* value errors do not stop the import: each is reported */
    const char *csv = "名前,行区分,金額,率,年度\n"
                      "東,中計,1,2,R6\n"        /* 2:2 role */
                      "西,,1.5,2,R6\n"          /* 3:3 amount */
                      "南,,1,12.34,R6\n"        /* 4:4 ratio decimals */
                      "北,,1,2,X9\n";           /* 5:5 fy */
    gy_diags d = {0};
    gy_table *t = (gy_table *)1;
    T_EQ_INT(gy_import_text(demo, "demo.csv", csv, strlen(csv), &t, &d), GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 4);
    if (d.n == 4) {
        for (unsigned i = 0; i < 4; i++) {
            T_EQ_INT(d.v[i].line, i + 2);
            T_EQ_INT(d.v[i].col, i + 2);
        }
        T_CONTAINS(d.v[0].msg, "列「行区分」に 行区分 (空欄, 項目, 小計, 計, 合計, 再掲, 参考) を期待しましたが '中計' です: 未知の行区分です");
        T_CONTAINS(d.v[1].msg, "'1.5' です: 金額・件数の列に小数は使えません");
        T_CONTAINS(d.v[2].msg, "列「率」に 百分率 (例 92.7) を期待しましたが '12.34' です");
        T_CONTAINS(d.v[3].msg, "列「年度」に 年度 (例 R6, H31, S37) を期待しましたが 'X9' です");
    }
    gy_diags_free(&d);
    /* the diagnostic list keeps at most its limit and counts the rest */
    gy_buf b = {0};
    gy_buf_puts(&b, "名前,金額\n");
    for (int i = 0; i < 60; i++)
        gy_buf_printf(&b, "r%d,x%d\n", i, i);
    d.limit = 50;
    T_EQ_INT(gy_import_text(demo, "demo.csv", b.p, b.n, &t, &d), GY_EDATA);
    T_EQ_INT(d.n, 50);
    T_EQ_INT(d.dropped, 10);
    gy_diags_free(&d);
    gy_buf_free(&b);
}

static void err_bad_marker(void)
{
    imp_err(tree, "課名,番号,名前\nA課,x1,事業\n", 2, 2,
            "列「番号」に 番号 (1, (1), ①, ア) を期待しましたが 'x1' です: 番号として読めません");
}

static void err_unterminated_quote(void)
{
    /* the field starts on line 3, column 2; the file ends inside it */
    imp_err(demo, "名前,金額\n東,1\n西,\"2\n南,3\n北,4\n", 3, 2,
            "引用符 (\") が閉じていません (この欄はここから始まっています)");
    imp_err(demo, "名前,金額\n\"東,1\n", 2, 1, "引用符 (\") が閉じていません");
}

static void err_malformed_quote(void)
{
    imp_err(demo, "名前,金額\n東,1\na\"b,2\n", 3, 1,
            "引用符 (\") の使い方が正しくありません: 引用符で囲む欄は欄全体を囲み、中の \" は \"\" と書きます");
    /* text after the closing quote: line 3, field 2 */
    imp_err(demo, "名前,金額\n東,1\n西,\"2\"x\n", 3, 2, "引用符 (\") の使い方が正しくありません");
    /* after a quoted field spanning lines, the position is the current line */
    imp_err(demo, "名前,金額\n\"北\n南\",1\n西,2\"\n", 4, 2, "引用符 (\") の使い方が正しくありません");
}

static void err_empty_file(void)
{
    imp_err_n(demo, "", 0, 1, 0, 0, "空のファイルです (見出し行がありません)");
    imp_err(demo, "\r\n\n  \n", 0, 0, "空のファイルです (見出し行がありません)");
}

static void err_int64(void)
{
    imp_err(demo, "名前,金額\n東,9223372036854775808\n", 2, 2,
            "'9223372036854775808' です: 数値が大きすぎます (int64 の範囲外)");
    gy_table *t = imp(demo, "名前,金額\n東,9223372036854775807\n西,\"△9,223,372,036,854,775,807\"\n");
    if (t && t->nrows == 2) {
        T_EQ_INT(tc(t, 0, C_AMT)->v, INT64_MAX);
        T_EQ_INT(tc(t, 1, C_AMT)->v, -INT64_MAX);
    }
    gy_table_free(t);
}

static void err_duplicate_keys(void)
{
    imp_err(demo, "名前,金額\n東,1\n西,2\n東,3\n", 4, 1, "同じキーの行が 2 つあります (2 行目と同じ)");
    /* issue 13: keys compare after normalisation: a fiscal year as the
     * year it means, however it is spelled; the error is at the second
     * row's year cell, naming the first row's line */
    imp_err(fykey, "年度,金額\nR6,1\n令和6年度,2\n", 3, 1,
            "同じキーの行が 2 つあります (2 行目と同じ: 列「年度」の 'R6' と '令和6年度' は同じ年度です)");
    imp_err(fykey, "年度,金額\nH31,1\nR5,1\nR1,2\n", 4, 1, "(2 行目と同じ: 列「年度」の 'H31' と 'R1' は同じ年度です)");
    imp_err(fykey, "年度,金額\nR1,1\n2019,2\n", 3, 1, "(2 行目と同じ: 列「年度」の 'R1' と '2019' は同じ年度です)");
    imp_err(fykey, "年度,金額\nＲ６,1\nR6,2\n", 3, 1, "(2 行目と同じ: 列「年度」の 'Ｒ６' と 'R6' は同じ年度です)");
    imp_err(fykey, "年度,金額\n令和元年度,1\n２０１９,2\n", 3, 1, "同じ年度です");
    imp_err(fykey2, "金額,年度,名前\n1,R6,東\n2,2024,東\n", 3, 2, "(2 行目と同じ: 列「年度」の 'R6' と '2024' は同じ年度です)");
    /* a year cell on a later line than its row (a quoted field before it spans lines) */
    imp_err(fykey2, "金額,年度,名前\n1,R6,東\n\"2\n\",\"\n2024\",東\n", 4, 2, "同じ年度です");
    /* other years, or another name, are other keys */
    gy_table *y = imp(fykey2, "金額,年度,名前\n1,R6,東\n2,R5,東\n3,2024,西\n4,H31,東\n");
    if (y)
        T_EQ_INT(y->nrows, 4);
    gy_table_free(y);
    /* a year no report can have is an error at its cell */
    imp_err(fykey, "年度,金額\nR99,1\n", 2, 1, "元号の年が範囲外です");
    imp_err(fykey, "年度,金額\nR6,1\nH40,1\n", 3, 1, "元号の年が範囲外です");
    imp_err(fykey, "年度,金額\n令和0年,1\n", 2, 1, "元号の年が範囲外です");
    imp_err(fykey, "年度,金額\n2100,1\n", 2, 1, "西暦 1926〜2099");
    /* the role is part of the identity: a 計 row may share the label */
    gy_table *t = imp(demo, "名前,行区分,金額\n東,,1\n東,計,1\n");
    if (t)
        T_EQ_INT(t->nrows, 2);
    gy_table_free(t);
}

/* ---- input folders ---------------------------------------------------------- */

static gy_defset two_defs(void)
{
    gy_defset s = {calloc(2, sizeof(gy_tabledef *)), 2};
    s.v[0] = ascii_def;
    s.v[1] = other_def;
    return s;
}

static void dataset_ok_and_missing(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\ny,2\n"));
    t_write(dir, "README.txt", S("files beside the year folders are not tables\n"));
    t_write(dir, "R6/notes.txt", S("nor are files that are not CSV\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    T_EQ_INT(ds.n, 1);
    if (ds.n == 1) {
        T_EQ_INT(ds.v[0]->nrows, 2);
        T_EQ_INT(ds.v[0]->fy.western, 2024);
        T_EQ_STR(ds.v[0]->encoding, "UTF-8");
        char *p = path2(dir, "R6/a.csv");
        T_EQ_STR(ds.v[0]->path, p);
        free(p);
    }
    T_EQ_INT(ds.nmissing, 1);
    if (ds.nmissing == 1)
        T_EQ_STR(ds.missing[0], "R6/o.csv");
    T_CHECK(gy_dataset_find(&ds, "a", 0) == (ds.n ? ds.v[0] : NULL));
    T_CHECK(gy_dataset_find(&ds, "a", 2024) != NULL);
    T_CHECK(gy_dataset_find(&ds, "a", 2023) == NULL);
    T_CHECK(gy_dataset_find(&ds, "o", 0) == NULL);
    gy_dataset_free(&ds);
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_unclaimed_csv(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    t_write(dir, "R6/aa.csv", S("name,amount\nx,1\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(ds.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        char *p = path2(dir, "R6");
        T_EQ_STR(d.v[0].file, p);
        free(p);
        T_EQ_INT(d.v[0].line, 0);
        T_EQ_STR(d.v[0].msg, "'aa.csv' を読む表の定義が templates/tables にありません (ファイル名の誤り?)");
    }
    gy_dataset_free(&ds);
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_bad_folder_name(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    mkdir_in(dir, "old");
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(ds.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, dir);
        T_EQ_STR(d.v[0].msg, "フォルダ 'old' は年度フォルダの名前 (例 R6) ではありません");
    }
    gy_dataset_free(&ds);
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_years(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "令和6年度");
    mkdir_in(dir, "R5");
    t_write(dir, "令和6年度/a.csv", S("name,amount\nx,6\n"));
    t_write(dir, "R5/a.csv", S("name,amount\nx,5\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    T_EQ_INT(ds.n, 2);
    if (ds.n == 2) {
        /* sorted by year */
        T_EQ_INT(ds.v[0]->fy.western, 2023);
        T_EQ_INT(ds.v[1]->fy.western, 2024);
        const gy_table *latest = gy_dataset_find(&ds, "a", 0);
        T_CHECK(latest == ds.v[1]);
        if (latest && latest->nrows == 1)
            T_EQ_INT(tc(latest, 0, 1)->v, 6);
    }
    T_EQ_INT(ds.nmissing, 2);
    gy_dataset_free(&ds);
    gy_diags_free(&d);

    /* two folders of one year (R1 = H31) */
    mkdir_in(dir, "R1");
    mkdir_in(dir, "H31");
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(ds.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "は同じ年度です");
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_no_year_and_no_dir(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(d.n, 1);
    if (d.n == 1)
        T_CONTAINS(d.v[0].msg, "年度フォルダ (例 ");
    gy_diags_free(&d);
    char *p = path2(dir, "nonexistent");
    T_EQ_INT(gy_dataset_load(p, &s, &ds, &d), GY_EIO);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_STR(d.v[0].file, p);
        T_CONTAINS(d.v[0].msg, "入力フォルダを開けません");
    }
    free(p);
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_encoding_conf(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    /* ASCII is valid in both: detection says UTF-8, the conf says CP932 */
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    t_write(dir, "R6/encoding.conf", S("# overrides\n\na.csv   cp932   # from Excel\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    T_EQ_INT(ds.n, 1);
    if (ds.n == 1)
        T_EQ_STR(ds.v[0]->encoding, "CP932");
    gy_dataset_free(&ds);

    /* CP932 bytes (name 髙) with the conf saying UTF-8: an error */
    t_write(dir, "R6/a.csv", S("name,amount\n\xFB\xFC,1\n"));
    t_write(dir, "R6/encoding.conf", S("a.csv utf-8\n"));
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(ds.n, 0);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        char *p = path2(dir, "R6/a.csv");
        T_EQ_STR(d.v[0].file, p);
        free(p);
        T_EQ_INT(d.v[0].line, 2);
        T_EQ_INT(d.v[0].col, 1);
        T_CONTAINS(d.v[0].msg, "UTF-8 として不正なバイト 0xFB");
    }
    gy_diags_free(&d);

    /* without the conf the same file is detected as CP932 */
    t_write(dir, "R6/encoding.conf", S(""));
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    if (ds.n == 1) {
        T_EQ_STR(ds.v[0]->encoding, "CP932");
        if (ds.v[0]->nrows == 1)
            T_EQ_STR(tc(ds.v[0], 0, 0)->text, "髙");
    }
    gy_dataset_free(&ds);
    gy_diags_free(&d);

    /* a wrong conf: unknown encoding, unknown file */
    t_write(dir, "R6/encoding.conf", S("a.csv latin1\nzz.csv cp932\n"));
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(d.n, 2);
    if (d.n == 2) {
        char *p = path2(dir, "R6/encoding.conf");
        T_EQ_STR(d.v[0].file, p);
        free(p);
        T_EQ_INT(d.v[0].line, 1);
        T_EQ_STR(d.v[0].msg, "未知の文字コード 'latin1' (utf-8, cp932)");
        T_EQ_INT(d.v[1].line, 2);
        T_EQ_STR(d.v[1].msg, "'zz.csv' を読む表の定義がありません");
    }
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_encoding_conf_bom(void)
{
    /* encoding.conf saved by Notepad: a BOM and CRLF (definition files
     * may have a BOM too) */
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    gy_diags d = {0};
    gy_dataset ds;
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    t_write(dir, "R6/encoding.conf", S("\xEF\xBB\xBF" "a.csv cp932\r\n"));
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    if (d.n)
        print_diags(&d);
    if (ds.n == 1)
        T_EQ_STR(ds.v[0]->encoding, "CP932");
    gy_dataset_free(&ds);
    gy_diags_free(&d);

    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

static void dataset_bad_file_stops(void)
{
    /* an import error of one table fails the whole load: no tables */
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    t_write(dir, "R6/o.csv", S("name\n\"x\n"));
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_EDATA);
    T_EQ_INT(ds.n, 0);
    T_CHECK(ds.v == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_INT(d.v[0].line, 2);
        T_EQ_INT(d.v[0].col, 1);
        T_CONTAINS(d.v[0].msg, "引用符 (\") が閉じていません");
    }
    gy_diags_free(&d);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

/* a warning raised while a file is imported (the test hook
 * GAIYO_TEST_IMPORT_WARNING: the importer raises none of its own) stays a
 * warning when the file's diagnostics join the load's, the load succeeds,
 * and one beyond the limit is counted as a dropped warning, not an error */
static void dataset_import_warning_kept(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R6");
    t_write(dir, "R6/a.csv", S("name,amount\nx,1\n"));
    t_write(dir, "R6/o.csv", S("name\nx\n"));
    setenv("GAIYO_TEST_IMPORT_WARNING", "試しの警告", 1);
    gy_diags d = {0};
    gy_dataset ds;
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d), GY_OK);
    T_EQ_INT(ds.n, 2);
    T_EQ_INT(d.n, 2);
    T_EQ_INT(d.dropped, 0);
    for (size_t i = 0; i < d.n; i++) {
        T_EQ_INT(d.v[i].sev, GY_DIAG_WARNING);
        T_EQ_INT(d.v[i].line, 1);
        T_EQ_STR(d.v[i].msg, "試しの警告");
    }
    if (d.n == 2) {
        char *pa = path2(dir, "R6/a.csv"), *po = path2(dir, "R6/o.csv");
        T_EQ_STR(d.v[0].file, pa);
        T_EQ_STR(d.v[1].file, po);
        free(pa);
        free(po);
    }
    gy_dataset_free(&ds);
    gy_diags_free(&d);
    /* a limit of 1: the second file's warning is dropped, as a warning */
    gy_diags d1 = {.limit = 1};
    T_EQ_INT(gy_dataset_load(dir, &s, &ds, &d1), GY_OK);
    T_EQ_INT(d1.n, 1);
    if (d1.n == 1)
        T_EQ_INT(d1.v[0].sev, GY_DIAG_WARNING);
    T_EQ_INT(d1.dropped, 1);
    T_EQ_INT(d1.dropped_warnings, 1);
    gy_buf b = {0};
    T_CHECK(gy_diags_format_dropped(&b, &d1));
    T_EQ_STR(b.p, "gaiyo: (ほかに 1 件の警告を省略)\n");
    gy_buf_free(&b);
    gy_dataset_free(&ds);
    gy_diags_free(&d1);
    unsetenv("GAIYO_TEST_IMPORT_WARNING");
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

/* ---- the fast path against libcsv alone ------------------------------------ */

/* The input of a failing case, as a C string in a TAP comment. */
static void show_input(const char *s, size_t n)
{
    printf("#   input: \"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c == '\t')
            printf("\\t");
        else if (c == '"')
            printf("\\\"");
        else if (c == '\\')
            printf("\\\\");
        else if (c < 0x20)
            printf("\\%03o", c);
        else
            putchar(c);
    }
    printf("\" (%zu bytes)\n", n);
}

static int fast_shown; /* failing cases printed so far (the random loop could print thousands) */

#define FAST_DIFF(...)                                                                    \
    do {                                                                                  \
        if (same && fast_shown < 20) {                                                    \
            printf("#   %s: fast path and libcsv differ\n", what);                        \
            show_input(text, len);                                                        \
        }                                                                                 \
        if (fast_shown < 20) {                                                            \
            printf("#     ");                                                             \
            printf(__VA_ARGS__);                                                          \
            printf("\n");                                                                 \
        }                                                                                 \
        same = false;                                                                     \
    } while (0)

/* Import text with the fast path on and off; whether the two agree on the
 * status, every diagnostic, the dump and every cell (differences are
 * printed as TAP comments). */
static bool fast_same(const gy_tabledef *def, const char *text, size_t len, const char *what)
{
    gy_diags d[2] = {{0}, {0}};
    gy_table *t[2] = {NULL, NULL};
    gy_status st[2];
    for (int k = 0; k < 2; k++) {
        gy_import_fastpath = k == 0;
        st[k] = gy_import_text(def, "demo.csv", text, len, &t[k], &d[k]);
    }
    gy_import_fastpath = true;
    bool same = true;
    if (st[0] != st[1])
        FAST_DIFF("status: fast %s, libcsv %s", gy_strerror(st[0]), gy_strerror(st[1]));
    if (d[0].n != d[1].n || d[0].dropped != d[1].dropped)
        FAST_DIFF("diagnostics: fast %zu (+%zu dropped), libcsv %zu (+%zu dropped)", d[0].n,
                  d[0].dropped, d[1].n, d[1].dropped);
    for (size_t i = 0; i < d[0].n || i < d[1].n; i++) {
        const gy_diag *a = i < d[0].n ? &d[0].v[i] : NULL, *b = i < d[1].n ? &d[1].v[i] : NULL;
        if (a && b && !strcmp(a->file, b->file) && a->line == b->line && a->col == b->col &&
            !strcmp(a->msg, b->msg))
            continue;
        if (a)
            FAST_DIFF("fast   diag %zu: %s:%u:%u: %s", i, a->file, a->line, a->col, a->msg);
        else
            FAST_DIFF("fast   diag %zu: (none)", i);
        if (b)
            FAST_DIFF("libcsv diag %zu: %s:%u:%u: %s", i, b->file, b->line, b->col, b->msg);
        else
            FAST_DIFF("libcsv diag %zu: (none)", i);
    }
    if (st[0] == GY_OK && st[1] == GY_OK && t[0] && t[1]) {
        gy_buf b0 = {0}, b1 = {0};
        gy_report_dump(t[0], &b0);
        gy_report_dump(t[1], &b1);
        if (b0.n != b1.n || (b0.n && memcmp(b0.p, b1.p, b0.n)))
            FAST_DIFF("dump:\n--- fast\n%s--- libcsv\n%s---", b0.p ? b0.p : "",
                      b1.p ? b1.p : "");
        gy_buf_free(&b0);
        gy_buf_free(&b1);
        if (t[0]->nrows != t[1]->nrows)
            FAST_DIFF("rows: fast %zu, libcsv %zu", t[0]->nrows, t[1]->nrows);
        for (size_t r = 0; r < t[0]->nrows && r < t[1]->nrows; r++) {
            const gy_row *r0 = &t[0]->rows[r], *r1 = &t[1]->rows[r];
            if (r0->line != r1->line || r0->role != r1->role || r0->level != r1->level ||
                r0->era != r1->era)
                FAST_DIFF("row %zu: fast line %u role %d level %d era %d, libcsv line %u role %d "
                          "level %d era %d",
                          r, r0->line, r0->role, r0->level, r0->era, r1->line, r1->role,
                          r1->level, r1->era);
            for (size_t c = 0; c < def->ncols; c++) {
                gy_cell c0, c1;
                gy_table_cell(t[0], r, c, &c0);
                gy_table_cell(t[1], r, c, &c1);
                if (c0.nil != c1.nil || c0.v != c1.v || strcmp(c0.text, c1.text) ||
                    c0.line != c1.line || c0.col != c1.col)
                    FAST_DIFF("cell (%zu, %zu): fast nil %d v %lld '%s' %u:%u, libcsv nil %d v "
                              "%lld '%s' %u:%u",
                              r, c, (int)c0.nil, (long long)c0.v, c0.text, c0.line, c0.col,
                              (int)c1.nil, (long long)c1.v, c1.text, c1.line, c1.col);
            }
        }
    }
    if (!same)
        fast_shown++;
    for (int k = 0; k < 2; k++) {
        gy_table_free(t[k]);
        gy_diags_free(&d[k]);
    }
    return same;
}

#define H2 "名前,金額\n"
#define H3 "名前,金額,件数\n"
#define HALL "名前,行区分,金額,件数,率,年度\n"

/* ---- text storage ------------------------------------------------------- */

/* Texts are interned: an equal text is stored once per table (in any
 * row, any column), so equal texts have equal offsets; each reads back
 * as written. */
static void texts_interned(void)
{
    gy_table *t = imp(tree, "課名,番号,名前,金額\n"
                            "総務課,1,庁舎管理,10\n"
                            "財政課,2,予算編成,20\n"
                            "総務課,3,人事,30\n"
                            "人事,4,総務課,40\n"
                            "総務課,5,,\n");
    if (!t)
        return;
    enum { KA = 0, BANGO = 1, NAME = 2, AMT = 4 };
    T_EQ_INT(t->nrows, 5);
    if (t->nrows == 5 && t->cols[KA].text && t->cols[NAME].text) {
        const uint32_t *ka = t->cols[KA].text, *nm = t->cols[NAME].text;
        T_CHECK(ka[0] != 0);
        T_EQ_INT(ka[2], ka[0]);       /* not the row above: interned */
        T_EQ_INT(ka[4], ka[0]);
        T_CHECK(ka[1] != ka[0]);
        T_EQ_INT(nm[3], ka[0]);       /* another column, same text */
        T_EQ_INT(ka[3], nm[2]);       /* 人事 */
        T_EQ_INT(nm[4], 0);           /* "" is offset 0 */
        T_EQ_STR(gy_ttext(t, 0, KA), "総務課");
        T_EQ_STR(gy_ttext(t, 1, KA), "財政課");
        T_EQ_STR(gy_ttext(t, 2, KA), "総務課");
        T_EQ_STR(gy_ttext(t, 3, KA), "人事");
        T_EQ_STR(gy_ttext(t, 3, NAME), "総務課");
        T_EQ_STR(gy_ttext(t, 4, NAME), "");
        T_EQ_STR(tc(t, 2, NAME)->text, "人事");
        T_EQ_STR(tc(t, 4, NAME)->text, "");
        T_EQ_STR(tc(t, 1, BANGO)->text, "2");
        T_EQ_STR(tc(t, 3, AMT)->text, "40");
        /* 総務課, 財政課, 庁舎管理, 予算編成, 人事 and the numbers 1-5,
         * each once after the "" at offset 0 */
        size_t want = 1;
        const char *once[] = {"総務課", "財政課", "庁舎管理", "予算編成", "人事", "1", "2", "3", "4", "5"};
        for (size_t k = 0; k < sizeof once / sizeof *once; k++)
            want += strlen(once[k]) + 1;
        T_EQ_INT(t->ntx, want);
        T_EQ_INT(t->tx[0], '\0');
    }
    gy_table_free(t);
}

/* "△ 1,234" (one ASCII space after the △) is a second canonical form: no
 * text kept, a bit per cell, read back byte for byte; any other way of
 * writing a negative number keeps its text as written */
static void negative_with_space(void)
{
    gy_table *t = imp(demo, "名前,金額,率\n"
                            "a,\"△ 1,234\",△ 5.5\n"
                            "b,△ 678,△5.5\n"
                            "c,△678,\n"
                            "d,△  5,△ 0.5\n"
                            "e,▲ 5,\n"
                            "f,△\xE3\x80\x80" "5,\n"
                            "g,△ 0,\n"
                            "h,-5,\n"
                            "i,\"△ 3,000,000,000\",\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 9);
    if (t->nrows != 9)
        goto out;
    static const char *amt[] = {"△ 1,234", "△ 678", "△678", "△  5", "▲ 5", "△　5", "△ 0", "-5",
                                "△ 3,000,000,000"};
    static const int64_t v[] = {-1234, -678, -678, -5, -5, -5, 0, -5, -3000000000LL};
    static const bool kept[] = {false, false, false, true, true, true, true, true, false};
    const gy_colstore *cs = &t->cols[C_AMT];
    for (size_t i = 0; i < 9; i++) {
        T_EQ_STR(tc(t, i, C_AMT)->text, amt[i]);
        T_EQ_INT(tc(t, i, C_AMT)->v, v[i]);
        T_EQ_INT(cs->text && cs->text[i] != 0, kept[i]);
        bool sp = cs->negsp && (cs->negsp[i / 8] >> (i % 8) & 1);
        T_EQ_INT(sp, i == 0 || i == 1 || i == 8);
    }
    T_EQ_STR(tc(t, 0, C_PCT)->text, "△ 5.5");
    T_EQ_STR(tc(t, 1, C_PCT)->text, "△5.5");
    T_EQ_STR(tc(t, 3, C_PCT)->text, "△ 0.5");
    T_EQ_INT(tc(t, 3, C_PCT)->v, -5);
    T_CHECK(t->cols[C_PCT].text == NULL);
    T_CHECK(t->cols[C_PCT].negsp != NULL);
    /* the gy_cell_format of such a cell stays the one canonical form */
    char b[48];
    gy_cell_format(t, C_AMT, tc(t, 0, C_AMT), b, sizeof b);
    T_EQ_STR(b, "△1,234");
out:
    gy_table_free(t);
}

/* a header and no rows: a table of none, which can be released */
static void empty_table(void)
{
    gy_table *t = imp(demo, "名前,金額,行区分\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 0);
    T_EQ_INT(t->ntx, 1);
    T_EQ_STR(gy_ttext(t, 0, C_NAME), "");
    gy_table_release(t);
    T_EQ_INT(t->nrows, 0);
    T_CHECK(t->tx == NULL);
    T_EQ_STR(gy_ttext(t, 0, C_NAME), "");
    gy_table_free(t);
}

/* texts beyond what 32-bit offsets reach are an error at the cell that
 * does not fit (the limit lowered for the test) */
static void text_buffer_full(void)
{
    size_t keep = gy_import_textmax;
    gy_import_textmax = 16;
    imp_err(demo, "名前,金額\nabcd,1\nefgh,2\nijkl,3\nmnop,4\n", 5, 1, "4 GiB");
    gy_import_textmax = 13; /* "", abcd, 1, efgh */
    /* a text equal to one already stored costs nothing */
    gy_table *t = imp(tree, "課名,番号,名前\nabcd,1,efgh\nefgh,1,abcd\nabcd,1,abcd\n");
    gy_import_textmax = keep;
    if (t)
        T_EQ_INT(t->ntx, 13);
    gy_table_free(t);
}

/* values are kept in 32 bits until one does not fit: the column is then
 * widened, and the values before it stay as they were */
static void wide_values(void)
{
    gy_table *t = imp(demo, "名前,金額,率\n東,1,1.5\n西,\"3,000,000,000\",2\n南,△5,-\n北,-2147483649,\n");
    if (!t)
        return;
    T_EQ_INT(t->nrows, 4);
    if (t->nrows == 4) {
        T_EQ_INT(tc(t, 0, C_AMT)->v, 1);
        T_EQ_INT(tc(t, 1, C_AMT)->v, 3000000000LL);
        T_EQ_INT(tc(t, 2, C_AMT)->v, -5);
        T_EQ_INT(tc(t, 3, C_AMT)->v, -2147483649LL);
        T_EQ_INT(tc(t, 0, C_PCT)->v, 15);
        T_EQ_INT(tc(t, 1, C_PCT)->v, 20);
        T_EQ_INT(tc(t, 2, C_PCT)->nil, GY_NIL_NA);
        T_EQ_STR(tc(t, 1, C_AMT)->text, "3,000,000,000");
    }
    gy_table_free(t);
}

/* a few values beyond 32 bits (and INT32_MIN, the mark of one) are kept
 * apart; many widen the column to 64 bits, the earlier values kept; nil
 * kinds (2 bits a cell) and roles (8 bits) read back per row */
static void wide_sparse_and_widened(void)
{
    gy_buf b = {0};
    gy_buf_puts(&b, "名前,行区分,金額,件数\n");
    for (int i = 0; i < 200; i++) {
        char line[128];
        const char *role = i % 3 == 0 ? "計" : i % 3 == 1 ? "" : "小計";
        const char *cnt = i % 4 == 0 ? "" : i % 4 == 1 ? "-" : i % 4 == 2 ? "…" : "7";
        if (i < 100) /* 金額: INT32_MIN, then a wide value every 10 rows */
            snprintf(line, sizeof line, "n%d,%s,%lld,%s\n", i, role,
                     i == 0 ? (long long)INT32_MIN : i % 10 ? (long long)i : 5000000000LL + i, cnt);
        else /* then one every row: widened */
            snprintf(line, sizeof line, "n%d,%s,%lld,%s\n", i, role, -5000000000LL - i, cnt);
        gy_buf_puts(&b, line);
    }
    gy_table *t = imp(demo, b.p);
    gy_buf_free(&b);
    if (!t)
        return;
    T_EQ_INT(t->nrows, 200);
    T_CHECK(t->cols[C_AMT].v != NULL && t->cols[C_AMT].v32 == NULL);
    T_CHECK(t->cols[C_ROLE].v8 != NULL);
    for (size_t i = 0; i < t->nrows; i++) {
        long long want = i == 0 ? (long long)INT32_MIN : i >= 100 ? -5000000000LL - (long long)i
                         : i % 10                    ? (long long)i
                                                     : 5000000000LL + (long long)i;
        T_EQ_INT(gy_tv(t, i, C_AMT), want);
        T_EQ_INT(gy_tnil(t, i, C_CNT), i % 4 == 0 ? GY_NIL_BLANK : i % 4 == 1 ? GY_NIL_NA
                                        : i % 4 == 2 ? GY_NIL_UNKNOWN : GY_NIL_NONE);
        T_EQ_INT(gy_tv(t, i, C_CNT), i % 4 == 3 ? 7 : 0);
        T_EQ_INT(gy_tv(t, i, C_ROLE), i % 3 == 0 ? GY_ROLE_TOTAL : i % 3 == 1 ? GY_ROLE_ITEM : GY_ROLE_SUBTOTAL);
        T_EQ_INT(gy_tnil(t, i, C_ROLE), i % 3 == 1 ? GY_NIL_BLANK : GY_NIL_NONE);
    }
    gy_table_free(t);
    /* fewer: the column stays 32-bit, the wide values apart */
    t = imp(demo, "名前,金額\na,-2147483648\nb,2147483647\nc,\"3,000,000,000\"\nd,-2147483647\n");
    if (t) {
        T_CHECK(t->cols[C_AMT].v32 != NULL);
        T_EQ_INT(t->cols[C_AMT].nwide, 2);
        T_EQ_INT(gy_tv(t, 0, C_AMT), INT32_MIN);
        T_EQ_INT(gy_tv(t, 1, C_AMT), INT32_MAX);
        T_EQ_INT(gy_tv(t, 2, C_AMT), 3000000000LL);
        T_EQ_INT(gy_tv(t, 3, C_AMT), -2147483647);
        T_EQ_STR(tc(t, 0, C_AMT)->text, "-2147483648");
        T_EQ_STR(tc(t, 2, C_AMT)->text, "3,000,000,000");
    }
    gy_table_free(t);
}

/* A file of 1 MiB or more is mapped, checked in 16 MiB steps and given
 * back behind the parse: a character cut by a step's end is still read
 * whole, a bad byte there is still found at its line and column, and the
 * table is the one the same text gives in memory. */
static void big_file_mapped(void)
{
    enum { STEP = 16 << 20 };
    char *dir = t_tmpdir("tmp_import_");
    gy_tabledef *bd = def_of("b.def", "table b\nfile b.csv\ncolumn 名前 text\ncolumn 金額 amount\n");
    if (!dir || !bd) {
        free(dir);
        gy_tabledef_free(bd);
        return;
    }
    size_t cap = STEP + 4096, n = 0;
    char *buf = malloc(cap);
    T_CHECK(buf != NULL);
    if (!buf) {
        free(dir);
        gy_tabledef_free(bd);
        return;
    }
    n += (size_t)sprintf(buf, "名前,金額\n");
    unsigned line = 1;
    /* lines of 1,000 bytes up to just before the step's end */
    while (n + 1000 < STEP - 1 - 1000) {
        memset(buf + n, 'x', 997);
        memcpy(buf + n + 997, ",1\n", 3);
        n += 1000;
        line++;
    }
    /* one line that ends right where 東 must start: at STEP - 1 */
    size_t fill = STEP - 1 - n - 3;
    memset(buf + n, 'y', fill);
    memcpy(buf + n + fill, ",2\n", 3);
    n += fill + 3;
    line++;
    T_EQ_INT(n, STEP - 1);
    n += (size_t)sprintf(buf + n, "東,3\n");
    unsigned east = ++line;
    n += (size_t)sprintf(buf + n, "西,4\n");
    char *p = path2(dir, "b.csv");
    t_write(NULL, p, buf, n);
    gy_diags d = {0};
    gy_table *t = NULL, *u = NULL;
    T_EQ_INT(gy_import_file(bd, p, GY_ENC_AUTO, &t, &d), GY_OK);
    T_EQ_INT(d.n, 0);
    T_EQ_INT(gy_import_text(bd, p, buf, n, &u, &d), GY_OK);
    if (t && u) {
        T_EQ_STR(t->encoding, "UTF-8");
        T_EQ_INT(t->nrows, u->nrows);
        size_t k = t->nrows - 2;
        T_EQ_STR(tc(t, k, 0)->text, "東");
        T_EQ_INT(tc(t, k, 1)->v, 3);
        T_EQ_INT(t->rows[k].line, east);
        gy_buf a = {0}, b = {0};
        gy_report_dump(t, &a);
        gy_report_dump(u, &b);
        T_CHECK(a.n == b.n && a.p && b.p && memcmp(a.p, b.p, a.n) == 0);
        gy_buf_free(&a);
        gy_buf_free(&b);
    }
    gy_table_free(t);
    gy_table_free(u);
    /* the character's second byte spoiled: found across the step's end */
    buf[STEP] = (char)0xFF;
    t_write(NULL, p, buf, n);
    t = NULL;
    T_EQ_INT(gy_import_file(bd, p, GY_ENC_UTF8, &t, &d), GY_EDATA);
    T_CHECK(t == NULL);
    T_EQ_INT(d.n, 1);
    if (d.n == 1) {
        T_EQ_INT(d.v[0].line, east);
        T_EQ_INT(d.v[0].col, 1);
        T_CONTAINS(d.v[0].msg, "UTF-8 として不正なバイト 0xE6");
    }
    gy_diags_free(&d);
    free(p);
    free(buf);
    gy_remove_tree(dir);
    free(dir);
    gy_tabledef_free(bd);
}

/* a row after lines that hold no record (spaces, an empty quoted field)
 * starts where it is, whatever the line endings (found by the
 * differential test: libcsv alone put such a row on the blank line) */
static void line_after_blank_records(void)
{
    static const char *const texts[] = {
        "名前,金額\n   \n\t\t\n \t \n東,1\n",
        "名前,金額\r \r\r东,1\r",
        "名前,金額\r\"\"\r\r东,1\r",
        "名前,金額\n\"\"\n\n\n东,1\n",
    };
    static const unsigned want[] = {5, 4, 4, 5};
    for (int fast = 0; fast < 2; fast++) {
        gy_import_fastpath = fast != 0;
        for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
            gy_table *t = imp(demo, texts[k]);
            if (!t)
                continue;
            T_EQ_INT(t->nrows, 1);
            if (t->nrows == 1) {
                T_EQ_INT(t->rows[0].line, want[k]);
                T_EQ_INT(tc(t, 0, C_AMT)->line, want[k]);
            }
            gy_table_free(t);
        }
    }
    gy_import_fastpath = true;
}

static void fastpath_same_as_libcsv(void)
{
    static const struct {
        const char *what, *s;
        size_t n;
    } cases[] = {
#define C(what, lit) {what, lit, sizeof(lit) - 1}
        C("plain LF", H2 "東,1\n西,2\n"),
        C("CRLF", "名前,金額\r\n東,1\r\n西,2\r\n"),
        C("mixed CRLF and LF", "名前,金額\r\n東,1\n西,2\r\n南,3\n"),
        C("CR only", "名前,金額\r東,1\r西,2\r"),
        C("CR, LF and CRLF", H2 "東,1\r西,2\n南,3\r\n北,4\r"),
        C("header ends in CR, then LF lines", "名前,金額\r東,1\n西,2\n"),
        C("last line without newline", H2 "東,1\n西,2"),
        C("last line ends in CR", "名前,金額\r\n東,1\r"),
        C("CRs at the end", H2 "東,1\r\r\r"),
        C("empty CRLF lines at the end", H2 "東,1\n\r\n\r\n"),
        C("empty lines", "\n\n" H2 "\n東,1\n\n\n西,2\n\n"),
        C("empty CRLF lines", "\r\n名前,金額\r\n\r\n東,1\r\n\r\n"),
        C("empty CR lines before the header", "\r\r名前,金額\r\n東,1\n"),
        /* these three differed when written: libcsv alone put the next
         * record on the line of the blank line or the "" before it */
        C("lines of spaces and tabs", H2 "   \n\t\t\n \t \n東,1\n \t"),
        C("lines of spaces before CRLF", H2 "  \r\n東,1\n\t\r\n"),
        C("spaces before the header", "  \n" H2 "東,1\n"),
        C("lines of commas", H3 "東,1,2\n,,\n , \t, \n西,3,4\n"),
        C("a line of one comma under three columns", H3 "東,1,2\n,\n西,3,4\n"),
        C("a line of too many commas", H2 "東,1\n,,,\n"),
        C("quoted with \"\"", H2 "\"a \"\"b\"\"\",1\n\"\"\"\",2\n\"\"\"\"\"\",3\n"),
        C("quoted with commas", H2 "\"東,西\",\"1,234\"\n\",\",\"2\"\n"),
        C("quoted over two lines", H2 "\"北\n南\",1\n西,2\n"),
        C("quoted over three lines", H2 "\"北\n中\n南\",1\n西,2\n"),
        C("quoted over two CRLF lines", "名前,金額\r\n\"北\r\n南\",1\r\n西,2\r\n"),
        C("second field over two lines", H2 "東,\"1\n\"\n西,2\n"),
        C("quoted over lines holding commas", H2 "\"北,\n南,東\",1\n次,2\n"),
        C("quoted over lines with \"\" at the break", H2 "\"a\"\"\nb\"\"\",1\n西,2\n"),
        C("quoted over lines then spaces", H2 "\"北\n南\"  ,1\n西,2\n"),
        C("quoted over lines, a comma opens the next", H2 "東, \"1\n,2\"\n"),
        C("quoted, spaces, comma", H2 "\"東\"  ,1\n\"西\"\t, 2 \n"),
        C("quoted, spaces, end of line", H2 "東,\"1\"  \n西,\"2\"\t\r\n"),
        C("quoted at the end of the file", H2 "東,\"1\""),
        C("quoted and spaces at the end of the file", H2 "東,\"1\"  "),
        C("quoted, then text", H2 "東,1\n西,\"2\"x\n"),
        C("quoted, spaces, then text", H2 "\"西\" x,2\n"),
        C("quoted, spaces, then a quote", H2 "\"西\" \"\",2\n"),
        C("quoted, then text, after a field over lines", H2 "\"北\n南\",1\n西,2\"\n"),
        C("stray quote in a plain field", H2 "東,1\na\"b,2\n"),
        C("stray quote at the end of a plain field", H2 "東,1\"\n"),
        C("stray quote in the header", "名\"前,金額\n東,1\n"),
        C("unclosed quote at the end of the file", H2 "東,1\n西,\"2\n南,3\n北,4\n"),
        C("unclosed quote, no newline", H2 "\"東"),
        C("unclosed after \"\"", H2 "\"東\"\"\n"),
        C("unclosed in the header", "\"名前,金額\n東,1\n"),
        C("spaces before quotes", H2 "  \"東\",  \"1\"\n\t\"西\",\t\"2\"\n"),
        C("full-width spaces", H2 "　東　,　1　\n 　西 　, 　\"△2\"　 \n"),
        C("full-width spaces inside quotes", H2 "\"　東　\",\"　1　\"\n"),
        C("full-width digits", H3 "東,１２３,４\n西,\"１,２３４\",５\n"),
        C("△ negatives", H2 "東,△1\n西,\"△ 1,234\"\n南,\"△1,234\"\n北,-5\n"),
        C("△ amount that splits", H2 "東,△ 1,234\n"),
        C("too few fields", H3 "東,1,2\n西\n"),
        C("too many fields", H2 "東,1\n西,2,3\n"),
        C("a trailing comma", H2 "東,1,\n"),
        C("too many fields after a field over lines", H2 "\"北\n南\",1,\n"),
        C("lone CR inside a line", H2 "東\r西,1\n"),
        C("CR inside quotes", H2 "\"東\r西\",1\n"),
        C("CR after a closing quote", H2 "\"東\"\r,1\n"),
        C("CR before a comma", H2 "東\r,1\n南,2\n"),
        C("header with spaces around names", " 名前 , 金額 \n東,1\n"),
        C("header with tabs, quotes and full-width spaces", "\t名前\t,\"　金額　\"\n東,1\n"),
        C("header over two lines", "\"名\n前\",金額\n東,1\n"),
        C("empty quoted fields", H3 "東,1,\"\"\n\"\",2,3\n"),
        C("quoted empty cells", H2 "\"\",\"\"\n , \n東,1\n"),
        C("a line that is \"\"", H2 "\"\"\n東,1\n"),
        C("a line that is \"\", CRLF", "名前,金額\r\n\"\"\r\n"),
        C("quoted spaces", H2 "\"  \",1\n東,\" \"\n"),
        C("header only", H2),
        C("header only, no newline", "名前,金額"),
        C("header only, CRLF", "名前,金額\r\n"),
        C("header only, quoted", "\"名前\",\"金額\"\n"),
        C("empty file", ""),
        C("blank file", "\r\n\n  \n"),
        C("duplicate keys", H2 "東,1\n西,2\n東,3\n"),
        C("duplicate keys, one quoted", H2 "東,1\n\"東\",2\n"),
        C("duplicate keys, one with spaces", H2 "東,1\n 東 ,2\n"),
        C("same label, other role", "名前,行区分,金額\n東,,1\n東,計,1\n"),
        C("typed cells", HALL "東,,\"1,234\",5,12.5%,R6\n西,計,△ 100,-,…,令和元年度\n南,,,x,,\n"),
        C("value errors", "名前,行区分,金額,率,年度\n東,中計,1,2,R6\n西,,1.5,2,R6\n"
                          "南,,1,12.34,R6\n北,,1,2,X9\n"),
        C("value errors in quoted and spanning fields", H2 "東,\"1,2x\"\n\"西\n\",12x\n南,\"3\n\"\n"),
        C("unknown column", "名前,金額,誤り\n東,1,2\n"),
        C("missing column", "名前,件数\n東,1\n"),
        C("duplicate header", "名前,金額,名前\n"),
        C("int64 bounds", H2 "東,9223372036854775807\n西,\"△9,223,372,036,854,775,807\"\n"
                          "南,9223372036854775808\n"),
        C("NUL in a field", H2 "東\0x,1\n西,2\n"),
        C("NUL in a quoted field", H2 "\"東\0x\",1\n"),
        C("tab inside a plain field", H2 "東\t西,1\n"),
        C("ratio and fiscal years", "名前,金額,率,年度\n東,1,12.5%,R6\n西,2,\"92.7\",令和元年度\n"),
        C("many fields", H2 "東,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"),
        C("only a quote", "\""),
        C("only quotes", "\"\"\"\n\"\n"),
        C("quote then newline", H2 "\"\n\"\n"),
#undef C
    };
    size_t ncases = sizeof cases / sizeof cases[0];
    T_CHECK(ncases >= 40);
    size_t bad = 0;
    for (size_t i = 0; i < ncases; i++)
        if (!fast_same(demo, cases[i].s, cases[i].n, cases[i].what))
            bad++;
    /* more value errors than the diagnostic list keeps */
    gy_buf b = {0};
    gy_buf_puts(&b, H2);
    for (int i = 0; i < 60; i++)
        gy_buf_printf(&b, i % 2 ? "r%d,x%d\n" : "\"r%d\",\"x%d\"\r\n", i, i);
    if (!fast_same(demo, b.p, b.n, "more errors than kept"))
        bad++;
    gy_buf_free(&b);
    T_EQ_INT(bad, 0);
}

/* a deterministic PRNG (xorshift64*) */
static uint64_t fast_rng = 0x9E3779B97F4A7C15u;

static unsigned rnd(unsigned n)
{
    fast_rng ^= fast_rng >> 12;
    fast_rng ^= fast_rng << 25;
    fast_rng ^= fast_rng >> 27;
    return (unsigned)((fast_rng * 0x2545F4914F6CDD1Du) >> 33) % n;
}

static void fastpath_random_lines(void)
{
    static const char *const alpha[] = {"a", "東", ",", "\"", " ", "\t", "\r", "\n",
                                        "1", "△", "-", "　", "\"\""};
    static const char *const plain[] = {"a", "東", "1", "△1", "-", "12", "a b", "1,234"};
    static const char *const heads[] = {H2, "名前,金額\r\n", H3, HALL, " 名前 ,\t金額\t\n"};
    size_t nalpha = sizeof alpha / sizeof alpha[0];
    size_t nlines = 0, nfiles = 0, bad = 0;
    char what[64];
    while (nlines < 3000) {
        gy_buf b = {0};
        gy_buf_puts(&b, heads[rnd(sizeof heads / sizeof heads[0])]);
        unsigned n = 1 + rnd(6);
        for (unsigned l = 0; l < n; l++, nlines++) {
            if (rnd(2)) {
                /* any bytes of the alphabet */
                unsigned m = rnd(14);
                for (unsigned k = 0; k < m; k++)
                    gy_buf_puts(&b, alpha[rnd(nalpha)]);
            } else {
                /* fields, mostly well formed, with a key that is seldom repeated */
                unsigned nf = 1 + rnd(4);
                for (unsigned f = 0; f < nf; f++) {
                    if (f)
                        gy_buf_puts(&b, ",");
                    if (rnd(3) == 0)
                        gy_buf_puts(&b, rnd(2) ? " " : "\t");
                    bool q = rnd(3) == 0;
                    if (q)
                        gy_buf_puts(&b, "\"");
                    if (f == 0)
                        gy_buf_printf(&b, "k%u", rnd(40));
                    else
                        gy_buf_puts(&b, plain[rnd(sizeof plain / sizeof plain[0])]);
                    if (rnd(8) == 0)
                        gy_buf_puts(&b, alpha[rnd(nalpha)]);
                    if (q)
                        gy_buf_puts(&b, "\"");
                    if (rnd(4) == 0)
                        gy_buf_puts(&b, rnd(2) ? " " : "\t");
                }
            }
            if (l + 1 < n || rnd(4))
                gy_buf_puts(&b, rnd(3) ? "\n" : rnd(2) ? "\r\n" : "\r");
        }
        snprintf(what, sizeof what, "random file %zu", nfiles);
        if (!fast_same(demo, b.p, b.n, what))
            bad++;
        nfiles++;
        gy_buf_free(&b);
    }
    printf("#   %zu random lines in %zu files, %zu differ\n", nlines, nfiles, bad);
    T_EQ_INT(bad, 0);
}

/* ---- year by year (gy_years: the reader the driver pulls) ----------------- */

typedef struct yearlog {
    size_t first[8], n[8], nrows_prev[8];
    bool last[8];
    size_t calls;      /* years pulled */
    gy_status ret;     /* what the driver's step between years answers */
    const char *later; /* a file the first step rewrites (x,7): read after, or before? */
} yearlog;

/* a driver: pulls every year of dir from a year reader (staged from files
 * of `stage` bytes) and, between years, records what it was given (the
 * rows of the table read before this year: in staged reading a later year
 * is not read yet) and answers y->ret (a failure stops its pulls) */
static gy_status pull_years(const char *dir, const gy_defset *s, size_t stage, yearlog *y, gy_dataset *ds, gy_diags *d)
{
    gy_years *yr;
    gy_status st = gy_years_open(dir, s, stage, ds, d, &yr);
    if (st != GY_OK)
        return st;
    gy_year yy;
    while (st == GY_OK && gy_years_next(yr, &yy)) {
        if (y->calls < 8) {
            y->first[y->calls] = yy.first;
            y->n[y->calls] = ds->n;
            y->last[y->calls] = yy.last;
            y->nrows_prev[y->calls] = yy.first ? ds->v[yy.first - 1]->nrows : 0;
        }
        if (!y->calls && y->later)
            t_write(NULL, y->later, S("name,amount\nx,7\n"));
        y->calls++;
        st = y->ret;
    }
    return gy_years_close(yr, st);
}

static void dataset_years_staged(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R4");
    mkdir_in(dir, "R5");
    mkdir_in(dir, "R6");
    t_write(dir, "R4/a.csv", S("name,amount\nx,4\n"));
    t_write(dir, "R5/a.csv", S("name,amount\nx,5\ny,5\n"));
    t_write(dir, "R5/o.csv", S("name\nq\n"));
    t_write(dir, "R6/a.csv", S("name,amount\nx,6\n"));
    /* one byte is big: every year is read when the driver pulls it, after
     * its step on the one before; a big size: all at once, when the
     * reader opens. Same years, same tables either way. */
    size_t bigs[] = {1, (size_t)1 << 40};
    char *r6 = path2(dir, "R6/a.csv");
    for (size_t b = 0; b < 2; b++) {
        gy_diags d = {0};
        gy_dataset ds;
        t_write(dir, "R6/a.csv", S("name,amount\nx,6\n"));
        yearlog y = {.ret = GY_OK, .later = r6};
        T_EQ_INT(pull_years(dir, &s, bigs[b], &y, &ds, &d), GY_OK);
        T_EQ_INT(y.calls, 3);
        T_EQ_INT(ds.n, 4);
        if (y.calls == 3 && ds.n == 4) {
            T_EQ_INT(y.first[0], 0);
            T_EQ_INT(y.n[0], 1);
            T_EQ_INT(y.first[1], 1);
            T_EQ_INT(y.n[1], 3);
            T_EQ_INT(y.first[2], 3);
            T_EQ_INT(y.n[2], 4);
            T_CHECK(!y.last[0] && !y.last[1] && y.last[2]);
            T_EQ_INT(y.nrows_prev[2], 1); /* R5's o */
            /* which tables a later year supersedes */
            T_CHECK(ds.v[0]->later && ds.v[1]->later && !ds.v[2]->later && !ds.v[3]->later);
            T_EQ_INT(ds.v[1]->fy.western, 2023);
            T_EQ_INT(ds.v[3]->nrows, 1);
            /* staged: R6 read after the driver's step on R4 (it rewrote R6) */
            T_EQ_INT(gy_tv(ds.v[3], 0, 1), b == 0 ? 7 : 6);
        }
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    /* the driver's step fails: the load fails with its status, nothing
     * more is pulled, nothing is left in the dataset */
    {
        gy_diags d = {0};
        gy_dataset ds;
        yearlog y = {.ret = GY_EDATA};
        T_EQ_INT(pull_years(dir, &s, 1, &y, &ds, &d), GY_EDATA);
        T_EQ_INT(y.calls, 1);
        T_EQ_INT(ds.n, 0);
        gy_diags_free(&d);
    }
    /* the driver stops pulling after R4, content: closing reads the rest */
    for (size_t b = 0; b < 2; b++) {
        gy_diags d = {0};
        gy_dataset ds;
        gy_years *yr;
        gy_year y;
        T_EQ_INT(gy_years_open(dir, &s, bigs[b], &ds, &d, &yr), GY_OK);
        T_CHECK(yr && gy_years_next(yr, &y));
        T_EQ_INT(ds.n, 1);
        T_EQ_INT(gy_years_close(yr, GY_OK), GY_OK);
        T_EQ_INT(ds.n, 4);
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    /* a bad file in R5: the reader yields no year from it on, the
     * diagnostics of R6 are still read (staged or not, the same) */
    t_write(dir, "R5/a.csv", S("name,amount\nx,five\n"));
    t_write(dir, "R6/a.csv", S("name,amount\nx,six\n"));
    for (size_t b = 0; b < 2; b++) {
        gy_diags d = {0};
        gy_dataset ds;
        yearlog y = {.ret = GY_OK};
        T_EQ_INT(pull_years(dir, &s, bigs[b], &y, &ds, &d), GY_EDATA);
        T_EQ_INT(y.calls, 1);
        T_EQ_INT(d.n, 2);
        if (d.n == 2) {
            T_CONTAINS(d.v[0].file, "R5/a.csv");
            T_CONTAINS(d.v[1].file, "R6/a.csv");
        }
        gy_diags_free(&d);
    }
    /* a missing folder: no reader, nothing to close */
    {
        gy_diags d = {0};
        gy_dataset ds;
        gy_years *yr = (gy_years *)&ds;
        char *no = path2(dir, "none");
        T_EQ_INT(gy_years_open(no, &s, 1, &ds, &d, &yr), GY_EIO);
        T_CHECK(yr == NULL && ds.n == 0 && d.n == 1);
        T_EQ_INT(gy_years_close(NULL, GY_OK), GY_OK);
        free(no);
        gy_diags_free(&d);
    }
    free(r6);
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

/* what the report's driver does with the policy, without its checks:
 * each year pulled, then cut */
static gy_status load_cut(const char *dir, const gy_defset *s, const gy_retention *r, gy_dataset *ds, gy_diags *d)
{
    gy_years *yr;
    gy_status st = gy_years_open(dir, s, r->big, ds, d, &yr);
    if (st != GY_OK)
        return st;
    gy_year y;
    while (st == GY_OK && gy_years_next(yr, &y))
        st = gy_retention_cut(r, s, ds, y.first);
    return gy_years_close(yr, st);
}

/* the retention policy: a superseded table of more than max_rows rows is
 * cut to what the needs that its year holds name, kept whole, or let go */
static void dataset_years_retention(void)
{
    char *dir = t_tmpdir("tmp_import_");
    if (!dir)
        return;
    gy_defset s = two_defs();
    mkdir_in(dir, "R5");
    mkdir_in(dir, "R6");
    t_write(dir, "R5/a.csv", S("name,amount\nx,5\ny,6\n"));
    t_write(dir, "R5/o.csv", S("name\nq\n"));
    t_write(dir, "R6/a.csv", S("name,amount\nx,6\n"));
    bool cols[2] = {true, false};
    gy_keep_need by_o = {1, cols, "o reads a's names"}, whole = {1, NULL, "o reads all of a"};
    gy_keep_plan plan[2] = {{&by_o, 1}, {NULL, 0}};
    gy_retention ret1 = {.max_rows = 1, .plan = plan, .nplan = 2}, ret2 = {.max_rows = 2, .plan = plan, .nplan = 2};
    /* o in R5: a of R5 keeps its names, lets its amounts go; R6 whole */
    for (int staged = 0; staged < 2; staged++) {
        gy_diags d = {0};
        gy_dataset ds;
        gy_retention r = {.big = staged ? 1 : 0, .max_rows = 1, .plan = plan, .nplan = 2};
        T_EQ_INT(load_cut(dir, &s, &r, &ds, &d), GY_OK);
        T_EQ_INT(ds.n, 3);
        if (ds.n == 3) {
            T_EQ_INT(ds.v[0]->nrows, 2);
            T_EQ_STR(gy_ttext(ds.v[0], 1, 0), "y");
            T_EQ_INT(gy_tv(ds.v[0], 1, 1), 0);
            T_EQ_INT(gy_tv(ds.v[2], 0, 1), 6);
        }
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    /* not more than max_rows: kept whole */
    {
        gy_diags d = {0};
        gy_dataset ds;
        T_EQ_INT(load_cut(dir, &s, &ret2, &ds, &d), GY_OK);
        if (ds.n == 3)
            T_EQ_INT(gy_tv(ds.v[0], 1, 1), 6);
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    /* a need for the whole table: kept whole */
    plan[0].v = &whole;
    {
        gy_diags d = {0};
        gy_dataset ds;
        T_EQ_INT(load_cut(dir, &s, &ret1, &ds, &d), GY_OK);
        if (ds.n == 3)
            T_EQ_INT(gy_tv(ds.v[0], 1, 1), 6);
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    /* no o in R5: the need does not apply, a of R5 is let go */
    char *o5 = path2(dir, "R5/o.csv");
    unlink(o5);
    free(o5);
    {
        gy_diags d = {0};
        gy_dataset ds;
        T_EQ_INT(load_cut(dir, &s, &ret1, &ds, &d), GY_OK);
        T_EQ_INT(ds.n, 2);
        if (ds.n == 2) {
            T_EQ_INT(ds.v[0]->nrows, 0);
            T_EQ_INT(ds.v[1]->nrows, 1);
        }
        gy_dataset_free(&ds);
        gy_diags_free(&d);
    }
    free(s.v);
    gy_remove_tree(dir);
    free(dir);
}

/* ---- the report's driver: the check between years, before the cut ------- */

/* a table of figures with a 計 row and @前年: the policy keeps its keys
 * and 当初 (what the next year's @前年 reads) and lets 内訳 go */
static const char *budget_def_text =
    "table   t\n"
    "title   予算\n"
    "file    t.csv\n"
    "group   課\n"
    "label   事業\n"
    "column  課      text    key\n"
    "column  事業    text    key\n"
    "column  行区分  role    optional\n"
    "column  前年    amount\n"
    "column  当初    amount\n"
    "column  内訳    amount\n"
    "sum     当初 内訳\n"
    "rule    前年 = 当初@前年   on 項目,計\n";

/* write the report of ds (early: what the driver checked while it read)
 * into dir/name and return its findings.txt and summary.txt */
static void write_report(const char *dir, const char *name, const gy_dataset *ds, const gy_defset *defs,
                         gy_report_early *early, char **findings, char **summary)
{
    char *out = path2(dir, name), *tpl = path2(dir, "templates");
    gy_diags d = {0};
    gy_report_result res = {0};
    gy_report_opts ro = {.outdir = out, .templates = tpl, .defs = defs, .early = early};
    T_EQ_INT(gy_report_write(ds, &ro, &res, &d), GY_OK);
    print_diags(&d);
    char *f = gy_asprintf("%s/findings.txt", out), *sm = gy_asprintf("%s/summary.txt", out);
    *findings = t_slurp(f);
    *summary = t_slurp(sm);
    free(f);
    free(sm);
    free(res.summary);
    free(res.warnings);
    gy_diags_free(&d);
    free(out);
    free(tpl);
}

/* gy_report_read: the driver pulls R5, verifies and summarizes its big
 * table whole, has the policy cut it, and only then pulls R6. The report
 * says what a report of the whole tables says (R5's wrong 計 of 内訳, a
 * column the cut lets go); the reader and the policy alone, without the
 * driver's check between the years, would lose it. */
static void report_read_checks_before_cut(void)
{
    char *dir = t_tmpdir("tmp_import_");
    gy_tabledef *def = def_of("t.def", budget_def_text);
    if (!dir || !def) {
        T_CHECK(def != NULL);
        free(dir);
        gy_tabledef_free(def);
        return;
    }
    gy_defset s = {&def, 1};
    mkdir_in(dir, "in");
    mkdir_in(dir, "in/R5");
    mkdir_in(dir, "in/R6");
    mkdir_in(dir, "templates");
    t_put(dir, "in/R5/t.csv", "課,事業,行区分,前年,当初,内訳\nA課,甲,,1,10,5\nA課,乙,,2,20,6\nA課,計,計,3,30,99\n");
    t_put(dir, "in/R6/t.csv", "課,事業,行区分,前年,当初,内訳\nA課,甲,,10,11,1\nA課,乙,,20,21,2\nA課,計,計,30,32,3\n");
    char *in = path2(dir, "in");
    /* the whole tables, read at once and kept */
    gy_diags d = {0};
    gy_dataset ds;
    char *f_all = NULL, *s_all = NULL, *f_drv = NULL, *s_drv = NULL, *f_cut = NULL, *s_cut = NULL;
    T_EQ_INT(gy_dataset_load(in, &s, &ds, &d), GY_OK);
    write_report(dir, "out-all", &ds, &s, NULL, &f_all, &s_all);
    gy_dataset_free(&ds);
    T_CONTAINS(f_all, "R5/t.csv");
    T_CONTAINS(f_all, "99");
    /* the driver, staged (every file is big) and cutting tables of more
     * than one row */
    gy_retention keep;
    T_EQ_INT(gy_retention_make(&s, 1, 1, &keep), GY_OK);
    gy_report_early *early = gy_report_early_new();
    T_CHECK(early != NULL);
    T_EQ_INT(gy_report_read(in, &s, &keep, early, &ds, &d), GY_OK);
    T_EQ_INT(ds.n, 2);
    if (ds.n == 2) {
        T_CHECK(gy_retention_cuts(&keep, ds.v[0]) && !gy_retention_cuts(&keep, ds.v[1]));
        T_EQ_INT(gy_tv(ds.v[0], 2, 4), 30); /* R5's 当初: kept for R6's @前年 */
        T_EQ_INT(gy_tv(ds.v[0], 2, 5), 0);  /* R5's 内訳: let go */
        T_EQ_INT(gy_tv(ds.v[1], 2, 5), 3);  /* R6 whole */
    }
    write_report(dir, "out-driver", &ds, &s, early, &f_drv, &s_drv);
    gy_dataset_free(&ds);
    gy_report_early_free(early);
    T_EQ_STR(f_drv, f_all);
    T_EQ_STR(s_drv, s_all);
    /* the reader and the cut alone: R5's 内訳 was never checked whole */
    T_EQ_INT(load_cut(in, &s, &keep, &ds, &d), GY_OK);
    write_report(dir, "out-cut", &ds, &s, NULL, &f_cut, &s_cut);
    gy_dataset_free(&ds);
    T_CHECK(f_cut && f_all && strcmp(f_cut, f_all) && !strstr(f_cut, "99"));
    T_CHECK(s_cut && s_all && strcmp(s_cut, s_all));
    T_EQ_INT(d.n, 0);
    print_diags(&d);
    gy_retention_free(&keep);
    free(f_all);
    free(s_all);
    free(f_drv);
    free(s_drv);
    free(f_cut);
    free(s_cut);
    free(in);
    gy_diags_free(&d);
    gy_tabledef_free(def);
    gy_remove_tree(dir);
    free(dir);
}

/* the report's policy from the shipped definitions: the 組替 (the kind
 * mapping 旧 onto 新, whatever its id) is kept whole when its year holds
 * another table; no other kind asks for that */
static void retention_of_templates(void)
{
    char *tdir = gy_asprintf("%s/templates/tables", getenv("SRCDIR") ? getenv("SRCDIR") : ".");
    gy_defset defs;
    gy_diags d = {0};
    T_EQ_INT(gy_defset_load(tdir, &defs, &d), GY_OK);
    gy_retention r;
    T_EQ_INT(gy_retention_make(&defs, 7, 9, &r), GY_OK);
    T_EQ_INT(r.big, 7);
    T_EQ_INT(r.max_rows, 9);
    size_t nremap = 0;
    for (size_t i = 0; i < defs.n; i++)
        for (size_t k = 0; k < r.plan[i].n; k++)
            if (r.plan[i].v[k].by == GY_KEEP_ANY) {
                T_CHECK(!r.plan[i].v[k].cols);
                T_EQ_STR(defs.v[i]->id, "kumikae");
                nremap++;
            }
    T_EQ_INT(nremap, 1);
    gy_retention_free(&r);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    free(tdir);
}

static void table_keep_columns(void)
{
    gy_table *t = imp(demo, "名前,金額,率,年度\n甲,\"1,234\",12.5,R6\n乙,△ 5,-,R5\n");
    if (!t)
        return;
    bool keep[8] = {false};
    keep[C_NAME] = keep[C_AMT] = true;
    gy_table_keep(t, keep);
    T_EQ_INT(t->nrows, 2);
    T_EQ_STR(gy_ttext(t, 1, C_NAME), "乙");
    T_EQ_INT(gy_tv(t, 0, C_AMT), 1234);
    T_EQ_INT(gy_tv(t, 1, C_AMT), -5);
    gy_cell c;
    gy_table_cell(t, 1, C_AMT, &c);
    T_EQ_STR(c.text, "△ 5");
    /* a column let go reads as empty */
    T_EQ_INT(gy_tv(t, 0, C_PCT), 0);
    T_EQ_INT(gy_tnil(t, 1, C_PCT), GY_NIL_NONE);
    T_EQ_STR(gy_ttext(t, 0, C_FY), "");
    T_CHECK(t->cols[C_PCT].v32 == NULL && t->cols[C_PCT].nil == NULL && t->cols[C_FY].text == NULL);
    gy_table_free(t);
}

int main(void)
{
    demo = def_of("demo.def", demo_def_text);
    tree = def_of("tree.def", tree_def_text);
    ascii_def = def_of("a.def", ascii_def_text);
    other_def = def_of("o.def", other_def_text);
    fykey = def_of("fyk.def", fykey_def_text);
    fykey2 = def_of("fyk2.def", fykey2_def_text);
    if (!demo || !tree || !ascii_def || !other_def || !fykey || !fykey2) {
        printf("not ok 1 - definitions\n1..1\n");
        return 1;
    }
    TEST(typed_cells);
    TEST(header_order_and_optional);
    TEST(quoted_commas_and_newlines);
    TEST(quoted_comma_after_newline);
    TEST(crlf_line_endings);
    TEST(cr_only_line_endings);
    TEST(empty_rows_skipped);
    TEST(roles_and_levels);
    TEST(level_column);
    TEST(enc_names);
    TEST(decode_utf8_bom);
    TEST(decode_utf8_plain);
    TEST(decode_cp932_auto);
    TEST(decode_utf8_forced_on_cp932);
    TEST(decode_bom_not_a_column);
    TEST(decode_invalid_in_both);
    TEST(decode_binary);
    TEST(import_file_encodings);
    TEST(positions_one_convention);
    TEST(err_unknown_column);
    TEST(err_duplicate_header);
    TEST(err_missing_column);
    TEST(err_row_width);
    TEST(err_text_in_amount);
    TEST(err_values_collected);
    TEST(err_bad_marker);
    TEST(err_unterminated_quote);
    TEST(err_malformed_quote);
    TEST(err_empty_file);
    TEST(err_int64);
    TEST(err_duplicate_keys);
    TEST(wide_values);
    TEST(wide_sparse_and_widened);
    TEST(texts_interned);
    TEST(negative_with_space);
    TEST(empty_table);
    TEST(text_buffer_full);
    TEST(big_file_mapped);
    TEST(line_after_blank_records);
    TEST(fastpath_same_as_libcsv);
    TEST(fastpath_random_lines);
    TEST(dataset_ok_and_missing);
    TEST(dataset_unclaimed_csv);
    TEST(dataset_bad_folder_name);
    TEST(dataset_years);
    TEST(dataset_years_staged);
    TEST(dataset_years_retention);
    TEST(report_read_checks_before_cut);
    TEST(retention_of_templates);
    TEST(table_keep_columns);
    TEST(dataset_no_year_and_no_dir);
    TEST(dataset_encoding_conf);
    TEST(dataset_encoding_conf_bom);
    TEST(dataset_bad_file_stops);
    TEST(dataset_import_warning_kept);
    gy_tabledef_free(demo);
    gy_tabledef_free(tree);
    gy_tabledef_free(ascii_def);
    gy_tabledef_free(other_def);
    gy_tabledef_free(fykey);
    gy_tabledef_free(fykey2);
    T_DONE();
}
