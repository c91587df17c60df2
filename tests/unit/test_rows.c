/* test_rows.c - what aggregate rows sum (counts, 小計(再掲含む), total
 * across, memo_of), shares on totals, and selectors that cannot silently
 * miss: right tables raise nothing, one perturbed figure is caught with
 * the right rule at the right cell. */
#include "gaiyo/import.h"
#include "gaiyo/verify.h"
#include "gaiyo/util.h"
#include "t.h"

typedef struct fx {
    gy_tabledef *def;
    gy_table *t;
    gy_dataset ds;
    gy_findings f;
    gy_derivs dv;
    gy_diags d;
} fx;

static int load(fx *x, const char *def, const char *csv)
{
    memset(x, 0, sizeof *x);
    if (gy_tabledef_parse("test.def", def, &x->def, &x->d) != GY_OK ||
        gy_import_text(x->def, "t.csv", csv, strlen(csv), &x->t, &x->d) != GY_OK) {
        gy_diags_print(&x->d, stdout);
        return -1;
    }
    x->t->fy.western = 2024;
    x->ds.v = &x->t;
    x->ds.n = 1;
    if (gy_verify_full(&x->ds, &x->f, &x->dv) != GY_OK)
        return -1;
    for (size_t i = 0; i < x->f.n; i++)
        printf("#     %s:%u:%u %s [%s] %s\n", x->f.v[i].table->path, x->f.v[i].line, x->f.v[i].colno,
               gy_sev_name(x->f.v[i].sev), x->f.v[i].rule, x->f.v[i].msg);
    return 0;
}

static void done(fx *x)
{
    gy_findings_free(&x->f);
    gy_derivs_free(&x->dv);
    gy_table_free(x->t);
    gy_tabledef_free(x->def);
    gy_diags_free(&x->d);
}

/* finding k: severity, rule, line, column */
static void expect(fx *x, size_t k, gy_sev sev, const char *rule, unsigned line, unsigned col)
{
    T_CHECK(k < x->f.n);
    if (k < x->f.n) {
        T_EQ_INT(x->f.v[k].sev, sev);
        T_EQ_STR(x->f.v[k].rule, rule);
        T_EQ_INT(x->f.v[k].line, line);
        T_EQ_INT(x->f.v[k].colno, col);
    }
}

/* a perturbed copy of csv: the first `from` after line `line` → `to` */
static char *perturb(const char *csv, unsigned line, const char *from, const char *to)
{
    const char *p = csv;
    for (unsigned l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    const char *at = p ? strstr(p, from) : NULL;
    if (!at)
        return NULL;
    return gy_asprintf("%.*s%s%s", (int)(at - csv), csv, to, at + strlen(from));
}

/* ---- 施策一覧: 小計 without 再掲, 〃(再掲含む。) with, 合計 of the 小計 --- */

static const char *SHISAKU_DEF =
    "table s\nfile s.csv\ngroup 施策\nlabel 事業名\n"
    "column 施策 text key\ncolumn 事業名 text key\ncolumn 行区分 role optional\n"
    "column 事業費 amount\n"
    "sum 事業費\n"
    "counts 計 小計\n"
    "total across 施策\n"
    "memo_of label\n";

static const char *SHISAKU_OK =
    "施策,事業名,行区分,事業費\n"                 /* 1 */
    "①,仕事と家庭の事業,,9243\n"                 /* 2 */
    "①,GX推進事業,,56538\n"                      /* 3 */
    "①,小計,小計,65781\n"                        /* 4 */
    "②,中央会補助,,146045\n"                     /* 5 */
    "②,GX推進事業(再掲),再掲,56538\n"            /* 6 */
    "②,経営改善普及事業,,1338105\n"              /* 7 */
    "②,小計,小計,1484150\n"                      /* 8 */
    "②,〃(再掲含む。),〃(再掲含む。),1540688\n"  /* 9 */
    "計,合計,合計,1549931\n";                    /* 10 */

static void shisaku_right_raises_nothing(void)
{
    fx x;
    T_CHECK(load(&x, SHISAKU_DEF, SHISAKU_OK) == 0);
    T_EQ_INT(x.f.n, 0);
    T_EQ_INT(x.t->rows[7].role, GY_ROLE_SUBTOTAL_MEMO);
    done(&x);
}

static void shisaku_one(unsigned line, const char *from, const char *to, const char *rule, unsigned fline,
                        unsigned fcol, unsigned also)
{
    fx x;
    char *csv = perturb(SHISAKU_OK, line, from, to);
    T_CHECK(csv != NULL);
    if (!csv)
        return;
    T_CHECK(load(&x, SHISAKU_DEF, csv) == 0);
    T_EQ_INT(x.f.n, also ? 2 : 1);
    expect(&x, 0, GY_SEV_ERROR, rule, fline, fcol);
    if (also)
        expect(&x, 1, GY_SEV_ERROR, "sum", also, fcol);
    done(&x);
    free(csv);
}

static void shisaku_perturbed(void)
{
    /* 小計 counts the items only: 再掲 included would be 1,540,688 (and
     * the 合計, the sum of the 小計 as printed, disagrees with it too) */
    shisaku_one(8, "1484150", "1540688", "sum", 8, 4, 10);
    /* 〃(再掲含む。) counts the 再掲 row: without it 1,484,150 */
    shisaku_one(9, "1540688", "1484150", "sum", 9, 4, 0);
    /* 合計 = Σ of the 施策's 小計 (not of the 〃(再掲含む。)) */
    shisaku_one(10, "1549931", "1606469", "sum", 10, 4, 0);
    /* the 再掲 row differs from its original (the 〃 row follows it) */
    {
        fx x;
        char *a = perturb(SHISAKU_OK, 6, "56538", "56638");
        char *b = a ? perturb(a, 9, "1540688", "1540788") : NULL;
        T_CHECK(b != NULL);
        if (b) {
            T_CHECK(load(&x, SHISAKU_DEF, b) == 0);
            T_EQ_INT(x.f.n, 1);
            expect(&x, 0, GY_SEV_ERROR, "memo", 6, 4);
            if (x.f.n)
                T_CONTAINS(x.f.v[0].msg, "元の行「GX推進事業」(3 行目) の 56,538");
            done(&x);
        }
        free(a);
        free(b);
    }
}

static void memo_original_absent_or_named_by_column(void)
{
    fx x;
    /* the original is named in a column (備考), and one is missing */
    const char *def = "table s\nfile s.csv\nlabel 事業名\n"
                      "column 事業名 text key\ncolumn 行区分 role optional\ncolumn 元 text optional\n"
                      "column 事業費 amount\nsum 事業費\nmemo_of 元\n";
    const char *csv = "事業名,行区分,元,事業費\n"
                      "A事業,,,100\n"
                      "再掲1,再掲,A事業,100\n"
                      "再掲2,再掲,B事業,7\n"
                      "小計,小計,,100\n";
    T_CHECK(load(&x, def, csv) == 0);
    T_EQ_INT(x.f.n, 1);
    expect(&x, 0, GY_SEV_WARNING, "memo", 4, 3);
    if (x.f.n)
        T_CONTAINS(x.f.v[0].msg, "「B事業」がこの表の項目にない");
    done(&x);
}

/* ---- 高度化資金貸付実績: A方式 小計 + B方式 小計 = 合計 ----------------- */

static const char *KODOKA_DEF =
    "table k\nfile k.csv\ngroup 方式\nlabel 貸付対象事業\n"
    "column 方式 text key\ncolumn 貸付対象事業 text key\ncolumn 行区分 role optional\n"
    "column H17 amount\ncolumn H18 amount\n"
    "sum H17 H18\n"
    "counts 計 小計\n"
    "total across 方式\n";

static const char *KODOKA_OK =
    "方式,貸付対象事業,行区分,H17,H18\n"
    "A,店舗等集団化,,,138100\n"                 /* 2 */
    "A,集積区域整備,,2053060,699450\n"          /* 3 */
    "A,小計,小計,2053060,837550\n"              /* 4 */
    "B,設備リース,,19261,27636\n"               /* 5 */
    "B,異分野連携,,,47777\n"                    /* 6 */
    "B,小計,小計,19261,75413\n"                 /* 7 */
    "合計,合計,合計,2072321,912963\n";          /* 8 */

static void kodoka_across_groups(void)
{
    fx x;
    T_CHECK(load(&x, KODOKA_DEF, KODOKA_OK) == 0);
    T_EQ_INT(x.f.n, 0);
    /* the workbook's sum of 合計 H18 reads the two 小計 rows */
    bool seen = false;
    for (size_t i = 0; i < x.dv.n; i++)
        if (x.dv.v[i].row == 6 && x.dv.v[i].col == 4) {
            seen = true;
            T_EQ_INT(x.dv.v[i].nrefs, 2);
            T_EQ_INT(x.dv.v[i].refs[0], 2); /* A 小計 (line 4) */
            T_EQ_INT(x.dv.v[i].refs[1], 5); /* B 小計 (line 7) */
            T_EQ_INT(x.dv.v[i].value, 912963);
        }
    T_CHECK(seen);
    done(&x);
    /* 合計 perturbed: one finding, at 合計 H18 */
    char *csv = perturb(KODOKA_OK, 8, "912963", "912964");
    T_CHECK(load(&x, KODOKA_DEF, csv) == 0);
    T_EQ_INT(x.f.n, 1);
    expect(&x, 0, GY_SEV_ERROR, "sum", 8, 5);
    done(&x);
    free(csv);
    /* an item of B perturbed: B's 小計 disagrees; 合計 = Σ 小計 still holds */
    csv = perturb(KODOKA_OK, 6, "47777", "47778");
    T_CHECK(load(&x, KODOKA_DEF, csv) == 0);
    T_EQ_INT(x.f.n, 1);
    expect(&x, 0, GY_SEV_ERROR, "sum", 7, 5);
    done(&x);
    free(csv);
    /* without total across, the 合計 row's group (合計) holds no 小計: today's error */
    const char *nodef = "table k\nfile k.csv\ngroup 方式\nlabel 貸付対象事業\n"
                        "column 方式 text key\ncolumn 貸付対象事業 text key\ncolumn 行区分 role optional\n"
                        "column H17 amount\ncolumn H18 amount\nsum H17 H18\ncounts 計 小計\n";
    T_CHECK(load(&x, nodef, KODOKA_OK) == 0);
    T_EQ_INT(x.f.n, 2);
    done(&x);
}

/* ---- 相談指導状況: 区分 × 種別, both directions ---------------------------- */

static const char *SOUDAN_DEF =
    "table c\nfile c.csv\ngroup 区分\nlabel 種別\n"
    "column 区分 text key\ncolumn 種別 text key\ncolumn 行区分 role optional\n"
    "column R4 count\ncolumn R5 count\ncolumn 計 count\n"
    "sum R4 R5 計\n"
    "counts 小計 項目 計\n"
    "total across 区分 match 種別\n"
    "rule 計 = R4 + R5\n";

static const char *SOUDAN_OK =
    "区分,種別,行区分,R4,R5,計\n"
    "商工会議所,巡回,,9601,10527,20128\n"       /* 2 */
    "商工会議所,窓口,,15290,14351,29641\n"      /* 3 */
    "商工会議所,小計,小計,24891,24878,49769\n"  /* 4 */
    "商工会,巡回,,32770,30749,63519\n"          /* 5 */
    "商工会,窓口,,23669,23605,47274\n"          /* 6 */
    "商工会,小計,小計,56439,54354,110793\n"     /* 7 */
    "計,巡回,計,42371,41276,83647\n"            /* 8 */
    "計,窓口,計,38959,37956,76915\n"            /* 9 */
    "計,小計,小計,81330,79232,160562\n";        /* 10 */

static void soudan_two_way(void)
{
    fx x;
    T_CHECK(load(&x, SOUDAN_DEF, SOUDAN_OK) == 0);
    T_EQ_INT(x.f.n, 0);
    done(&x);
    /* 計/窓口 R5 perturbed: its column total (across 区分, 窓口 only), its
     * row total (計 = R4 + R5), and the 計 block's 小計 below it */
    char *csv = perturb(SOUDAN_OK, 9, "37956", "37966");
    T_CHECK(load(&x, SOUDAN_DEF, csv) == 0);
    T_EQ_INT(x.f.n, 3);
    expect(&x, 0, GY_SEV_ERROR, "sum", 9, 5);
    expect(&x, 1, GY_SEV_ERROR, "rowsum", 9, 6);
    expect(&x, 2, GY_SEV_ERROR, "sum", 10, 5);
    done(&x);
    free(csv);
    /* without `match 種別` each 計 row would sum 巡回 and 窓口 of every
     * 区分: the right table is then wrong on all three rows' columns */
    char *nomatch = perturb(SOUDAN_DEF, 1, " match 種別", "");
    T_CHECK(nomatch != NULL);
    T_CHECK(load(&x, nomatch, SOUDAN_OK) == 0);
    T_EQ_INT(x.f.n, 6);
    done(&x);
    free(nomatch);
}

/* ---- shares: a total's share is its own amount over the whole ---------- */

static void share_of_total_is_own_over_whole(void)
{
    fx x;
    const char *def = "table g\nfile g.csv\nlabel 業種\n"
                      "column 業種 text key\ncolumn 階層 level\ncolumn 行区分 role optional\n"
                      "column 企業数 count\ncolumn 構成比 ratio1\n"
                      "sum 企業数 構成比\nrule 構成比 = pct(企業数, total(企業数)) on 項目,計\n";
    /* 1/3 → 33.3 each: the parent's 2/3 = 66.7, not 33.3 + 33.3 = 66.6 */
    const char *csv = "業種,階層,行区分,企業数,構成比\n"
                      "繊維,1,,1,33.3\n"
                      "加工組立型,1,,2,66.7\n"
                      "電気機械,2,,1,33.3\n"
                      "輸送用機械,2,,1,33.3\n"
                      "合計,1,合計,3,100.0\n";
    T_CHECK(load(&x, def, csv) == 0);
    /* the sums of the rounded shares stay warnings */
    /* (合計: 33.3 + 66.7 = 100.0, no difference) */
    T_EQ_INT(x.f.n, 1);
    expect(&x, 0, GY_SEV_WARNING, "rounding", 3, 5);
    /* the derivation of 加工組立型's and 合計's 構成比 is the rule's */
    size_t nrule = 0;
    for (size_t i = 0; i < x.dv.n; i++) {
        const gy_deriv *d = &x.dv.v[i];
        if (d->col != 4 || (d->row != 1 && d->row != 4))
            continue;
        T_CHECK(d->rule != NULL);
        T_EQ_INT(d->value, d->row == 1 ? 667 : 1000);
        nrule++;
    }
    T_EQ_INT(nrule, 2);
    done(&x);
}

/* ---- selectors ------------------------------------------------------------ */

static void quoted_row_selectors(void)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    const char *def = "table s\nfile s.csv\nlabel 事業名\n"
                      "column 事業名 text key\ncolumn 行区分 role optional\ncolumn A amount\ncolumn B amount\n"
                      "rule A = B on row:\"小計（再掲含む）\", row:\"(再掲), a\" ,計\n";
    T_EQ_INT(gy_tabledef_parse("q.def", def, &t, &d), GY_OK);
    if (t) {
        T_EQ_INT(t->rules[0].nrows, 2);
        T_EQ_STR(t->rules[0].rows[0], "小計（再掲含む）");
        T_EQ_STR(t->rules[0].rows[1], "(再掲), a");
        T_EQ_INT(t->rules[0].rowcols[1], 31);
        T_EQ_INT(t->rules[0].roles, 1u << GY_ROLE_TOTAL);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
}

static void selector_definition_errors(void)
{
    static const struct {
        const char *rule;
        unsigned col;
        const char *msg;
    } cases[] = {
        {"rule A = B on 項目,合計ね", 18, "on の後は役割"},
        {"rule A = B on row:\"小計", 19, "閉じていません"},
        {"rule A = B on row:\"小計\" 計", 24, "の後は ',' か行末"},
        {"rule A = B on row:", 15, "行ラベルが要ります"},
        /* no role column: every row is an item, 計 selects nothing */
        {"rule A = B on 計", 15, "1 行にも当てはまりません"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gy_diags d = {0};
        gy_tabledef *t = NULL;
        char *def = gy_asprintf("table s\nfile s.csv\ncolumn 事業名 text key\ncolumn A amount\ncolumn B amount\n%s\n",
                                cases[i].rule);
        T_EQ_INT(gy_tabledef_parse("e.def", def, &t, &d), GY_EDEF);
        T_EQ_INT(d.n, 1);
        if (d.n) {
            T_EQ_INT(d.v[0].line, 6);
            T_EQ_INT(d.v[0].col, cases[i].col);
            T_CONTAINS(d.v[0].msg, cases[i].msg);
        }
        gy_tabledef_free(t);
        gy_diags_free(&d);
        free(def);
    }
}

static void directive_errors(void)
{
    static const struct {
        const char *line;
        unsigned col;
        const char *msg;
    } cases[] = {
        {"counts 項目 計", 8, "集計の役割"},
        {"counts 計 参考", 10, "数える役割"},
        {"total across 事業名", 14, "group の列"},
        {"total across 区分 match 区分", 23, "別の列"},
        {"total along 区分", 1, "total across"},
        {"memo_of 金額", 9, "存在しない列"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gy_diags d = {0};
        gy_tabledef *t = NULL;
        char *def = gy_asprintf("table s\nfile s.csv\ngroup 区分\ncolumn 区分 text key\ncolumn 事業名 text key\n"
                                "column 行区分 role optional\ncolumn A amount\n%s\n",
                                cases[i].line);
        T_EQ_INT(gy_tabledef_parse("e.def", def, &t, &d), GY_EDEF);
        T_EQ_INT(d.n, 1);
        if (d.n) {
            T_EQ_INT(d.v[0].line, 8);
            T_EQ_INT(d.v[0].col, cases[i].col);
            T_CONTAINS(d.v[0].msg, cases[i].msg);
        }
        gy_tabledef_free(t);
        gy_diags_free(&d);
        free(def);
    }
}

static void selector_matching_no_row_is_said(void)
{
    fx x;
    const char *def = "table s\nfile s.csv\nlabel 事業名\n"
                      "column 事業名 text key\ncolumn 行区分 role optional\ncolumn A amount\ncolumn B amount\n"
                      "rule A = B on row:県予算額,row:\"小計（再掲含む）\"\n"
                      "rule B = A on 小計\n";
    const char *csv = "事業名,行区分,A,B\n"
                      "県予算額,参考,5,5\n"
                      "X事業,,1,2\n";
    T_CHECK(load(&x, def, csv) == 0);
    T_EQ_INT(x.f.n, 2);
    expect(&x, 0, GY_SEV_WARNING, "selector", 1, 1);
    expect(&x, 1, GY_SEV_WARNING, "selector", 1, 1);
    bool row = false, none = false;
    for (size_t i = 0; i < x.f.n; i++) {
        T_EQ_INT(x.f.v[i].row, GY_FINDING_NOROW);
        if (strstr(x.f.v[i].msg, "test.def:8:24") && !strcmp(x.f.v[i].rowlabel, "row:小計（再掲含む）"))
            row = true;
        if (strstr(x.f.v[i].msg, "test.def:9") && strstr(x.f.v[i].msg, "何も検算しません"))
            none = true;
    }
    T_CHECK(row);
    T_CHECK(none);
    done(&x);
}

int main(void)
{
    TEST(shisaku_right_raises_nothing);
    TEST(shisaku_perturbed);
    TEST(memo_original_absent_or_named_by_column);
    TEST(kodoka_across_groups);
    TEST(soudan_two_way);
    TEST(share_of_total_is_own_over_whole);
    TEST(quoted_row_selectors);
    TEST(selector_definition_errors);
    TEST(directive_errors);
    TEST(selector_matching_no_row_is_said);
    T_DONE();
}
