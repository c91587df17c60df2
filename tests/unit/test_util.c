/* test_util.c - the template line tokenizer shared by definitions and
 * charts (gy_words), character columns (gy_char_col), CSV fields; the
 * diagnostics of src/diag.c (severities, the one printed format). */
#include "gaiyo/diag.h"
#include "gaiyo/util.h"
#include "t.h"

static void char_columns_count_characters(void)
{
    const char *s = "列 名前\t\"A B\"";
    T_EQ_INT(gy_char_col(s, s), 1);
    T_EQ_INT(gy_char_col(s, s + 3), 2);           /* after 列 (3 bytes) */
    T_EQ_INT(gy_char_col(s, strchr(s, '\t')), 5); /* 列, space, 名, 前 */
}

static void words_quotes_and_ends(void)
{
    gy_word v[8];
    const char *s = "  column \"A B\"  amount  x\"y z\"w";
    int n = gy_words(s, v, 8, 0, NULL);
    T_EQ_INT(n, 4);
    if (n != 4)
        return;
    T_EQ_STR(v[0].s, "column");
    T_EQ_INT(v[0].col, 3);
    T_EQ_INT(v[0].end, 8);
    T_EQ_STR(v[1].s, "A B");
    T_EQ_INT(v[1].col, 10);
    T_EQ_INT(v[1].end, 14); /* after the closing quote */
    T_EQ_STR(v[2].s, "amount");
    T_EQ_STR(v[3].s, "xy zw");
    T_EQ_INT(v[3].end, strlen(s));
    gy_words_free(v, n);
    /* an empty quoted word is a word */
    n = gy_words("a \"\" b", v, 8, 0, NULL);
    T_EQ_INT(n, 3);
    if (n == 3)
        T_EQ_STR(v[1].s, "");
    gy_words_free(v, n > 0 ? n : 0);
}

static void words_comments(void)
{
    gy_word v[8];
    /* definitions: any word starting with # starts a comment */
    int n = gy_words("sum A B #C D", v, 8, 0, NULL);
    T_EQ_INT(n, 3);
    gy_words_free(v, n > 0 ? n : 0);
    T_EQ_INT(gy_words("   # only a comment", v, 8, 0, NULL), 0);
    T_EQ_INT(gy_words("", v, 8, 0, NULL), 0);
    /* charts: a colour #rrggbb is a word; '#' alone or "# …" is a comment */
    n = gy_words("color #1f77b4 # blue", v, 8, GY_WORDS_HASH_WORDS, NULL);
    T_EQ_INT(n, 2);
    if (n == 2)
        T_EQ_STR(v[1].s, "#1f77b4");
    gy_words_free(v, n > 0 ? n : 0);
    T_EQ_INT(gy_words("#comment line", v, 8, GY_WORDS_HASH_WORDS, NULL), 0);
    n = gy_words("a #", v, 8, GY_WORDS_HASH_WORDS, NULL);
    T_EQ_INT(n, 1);
    gy_words_free(v, n > 0 ? n : 0);
}

static void words_too_many(void)
{
    gy_word v[3];
    unsigned over = 0;
    T_EQ_INT(gy_words("a b c 名前 e", v, 3, 0, &over), -2);
    T_EQ_INT(over, 7); /* the column of 名前, the first word left out */
    /* exactly cap words, then a comment: fine */
    int n = gy_words("a b c # more", v, 3, 0, &over);
    T_EQ_INT(n, 3);
    gy_words_free(v, n > 0 ? n : 0);
}

/* input text in messages: controls visible, long text cut on a character */
static void quote_makes_controls_visible_and_cuts(void)
{
    char *q = gy_quote("a\x1b[31m\x7f\xc2\x9b\xe2\x80\xae\xe2\x81\xa6" "b\t\xff" "課");
    T_EQ_STR(q, "a\\x1b[31m\\x7f\\u009b\\u202e\\u2066b\\x09\\xff課");
    free(q);
    char big[301];
    for (int i = 0; i < 100; i++)
        memcpy(big + 3 * i, "経", 3);
    big[300] = '\0';
    q = gy_quote(big);
    T_CHECK(q && strlen(q) == 80 * 3 + strlen("…(100 文字)"));
    T_CHECK(q && !strcmp(q + 240, "…(100 文字)"));
    free(q);
    gy_buf b = {0};
    T_CHECK(gy_buf_quote(&b, big, SIZE_MAX) && gy_buf_add(&b, "", 1));
    T_CHECK(b.p && !strcmp(b.p, big)); /* never cut */
    gy_buf_free(&b);
    q = gy_quote(NULL);
    T_EQ_STR(q, "");
    free(q);
}

/* gy_buf_csv_field: a cell a spreadsheet would run as a formula stays
 * text, the full-width signs too (issue 16 item 9); plain numbers stay
 * numbers */
static void csv_field_neutralises_formulas(void)
{
    static const char *const cases[][2] = {
        {"=1+1", "'=1+1"},          {"+cmd", "'+cmd"},         {"-2+3", "'-2+3"},
        {"@SUM(A1)", "'@SUM(A1)"},  {"＝1+1", "'＝1+1"},       {"＋cmd", "'＋cmd"},
        {"－2+3", "'－2+3"},        {"＠SUM(A1)", "'＠SUM(A1)"}, {"\tx", "'\tx"},
        {"＝A1,B1", "\"'＝A1,B1\""}, {"-1,234", "\"-1,234\""}, {"-12.5", "-12.5"},
        {"＋1234", "＋1234"},       {"－", "'－"},              {"-", "'-"},
        {"a＝b", "a＝b"},           {"上北", "上北"},           {"ー長音", "ー長音"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gy_buf b = {0};
        gy_buf_csv_field(&b, cases[i][0]);
        gy_buf_add(&b, "", 1);
        T_EQ_STR(b.p, cases[i][1]);
        gy_buf_free(&b);
    }
}

static void diag_severity_and_format(void)
{
    gy_diags d = {0};
    gy_diag_add(&d, "in/a.csv", 3, 5, "値 '%s'", "x");
    gy_diag_warn(&d, "t/b.chart", 7, 0, "フォント");
    gy_diag_note(&d, "t/c.def", 0, 9, "ここ");
    gy_diag_warn(&d, "", 1, 2, "全体");
    T_EQ_INT(d.n, 4);
    if (d.n != 4) {
        gy_diags_free(&d);
        return;
    }
    T_EQ_INT(d.v[0].sev, GY_DIAG_ERROR); /* gy_diag_add: an error, as before */
    T_EQ_INT(d.v[1].sev, GY_DIAG_WARNING);
    T_EQ_INT(d.v[2].sev, GY_DIAG_NOTE);
    gy_buf b = {0};
    for (size_t i = 0; i < d.n; i++)
        T_CHECK(gy_diag_format(&b, &d.v[i]));
    gy_buf_add(&b, "", 1);
    T_EQ_STR(b.p, "gaiyo: in/a.csv:3:5: error: 値 'x'\n"
                  "gaiyo: t/b.chart:7: warning: フォント\n"
                  "gaiyo: t/c.def: note: ここ\n"
                  "gaiyo: warning: 全体\n");
    /* gy_diags_print: the same lines, then the count of dropped ones */
    char *mem = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&mem, &len);
    d.dropped = 2;
    gy_diags_print(&d, fp);
    fclose(fp);
    b.n--; /* the NUL */
    gy_buf_puts(&b, "gaiyo: (ほかに 2 件のエラーを省略)\n");
    gy_buf_add(&b, "", 1);
    T_EQ_STR(mem, b.p);
    free(mem);
    gy_buf_free(&b);
    gy_diags_free(&d);
}

/* past the limit every diagnostic is counted with its severity, and the
 * output says how many of each were not shown */
static void diag_limit_counts_what_it_drops(void)
{
    gy_diags d = {.limit = 2};
    gy_diag_warn(&d, "a", 1, 0, "w1");
    gy_diag_add(&d, "a", 2, 0, "e1");
    for (int i = 0; i < 5; i++)
        gy_diag_warn(&d, "a", 3, 0, "w%d", i);
    gy_diag_add(&d, "a", 4, 0, "e2");
    gy_diag_note(&d, "a", 5, 0, "n1");
    T_EQ_INT(d.n, 2);
    T_EQ_INT(d.dropped, 7);
    T_EQ_INT(d.dropped_warnings, 5);
    T_EQ_INT(d.dropped_notes, 1);
    gy_buf b = {0};
    T_CHECK(gy_diags_format_dropped(&b, &d));
    gy_buf_add(&b, "", 1);
    T_EQ_STR(b.p, "gaiyo: (ほかに 1 件のエラーを省略)\n"
                  "gaiyo: (ほかに 5 件の警告を省略)\n"
                  "gaiyo: (ほかに 1 件の注記を省略)\n");
    gy_buf_free(&b);
    gy_diags_free(&d);
    T_EQ_INT(d.dropped + d.dropped_warnings + d.dropped_notes, 0);
    /* the default limit */
    gy_diags e = {0};
    for (int i = 0; i < GY_DIAG_LIMIT + 3; i++)
        gy_diag_warn(&e, "a", (unsigned)i + 1, 0, "w");
    T_EQ_INT(e.n, GY_DIAG_LIMIT);
    T_EQ_INT(e.dropped_warnings, 3);
    gy_buf c = {0};
    T_CHECK(gy_diags_format_dropped(&c, &e));
    gy_buf_add(&c, "", 1);
    T_EQ_STR(c.p, "gaiyo: (ほかに 3 件の警告を省略)\n");
    gy_buf_free(&c);
    gy_diags_free(&e);
}

/* gy_diags_take: each diagnostic moved with its own severity (the
 * importer's merge of each file's list into the load's), the target's
 * limit applied per severity, the source's dropped counts added per
 * severity, the source left empty */
static void diag_take_keeps_severity(void)
{
    gy_diags from = {.limit = 4}, to = {.limit = 3};
    gy_diag_add(&to, "t", 1, 0, "already");
    gy_diag_warn(&from, "f", 2, 3, "w1");
    gy_diag_add(&from, "f", 3, 0, "e1");
    gy_diag_note(&from, "f", 4, 0, "n1");
    gy_diag_warn(&from, "f", 5, 0, "w2");
    gy_diag_warn(&from, "f", 6, 0, "w3"); /* beyond from's limit: a dropped warning */
    gy_diag_note(&from, "f", 7, 0, "n2"); /* … and a dropped note */
    T_EQ_INT(from.n, 4);
    gy_diags_take(&to, &from);
    T_EQ_INT(to.n, 3);
    if (to.n == 3) {
        T_EQ_INT(to.v[0].sev, GY_DIAG_ERROR);
        T_EQ_INT(to.v[1].sev, GY_DIAG_WARNING);
        T_EQ_STR(to.v[1].msg, "w1");
        T_EQ_STR(to.v[1].file, "f");
        T_EQ_INT(to.v[1].line, 2);
        T_EQ_INT(to.v[1].col, 3);
        T_EQ_INT(to.v[2].sev, GY_DIAG_ERROR);
        T_EQ_STR(to.v[2].msg, "e1");
    }
    /* n1 and w2 beyond to's limit, w3 and n2 dropped by from */
    T_EQ_INT(to.dropped, 4);
    T_EQ_INT(to.dropped_warnings, 2);
    T_EQ_INT(to.dropped_notes, 2);
    T_EQ_INT(from.n, 0);
    T_EQ_INT(from.dropped, 0);
    T_EQ_INT(from.dropped_warnings + from.dropped_notes, 0);
    T_CHECK(from.v == NULL);
    T_EQ_INT(from.limit, 4);
    gy_buf b = {0};
    T_CHECK(gy_diags_format_dropped(&b, &to));
    T_EQ_STR(b.p, "gaiyo: (ほかに 2 件の警告を省略)\ngaiyo: (ほかに 2 件の注記を省略)\n");
    gy_buf_free(&b);
    /* a message is moved as it is: not quoted again (a cut message keeps
     * its length) */
    char big[GY_DIAG_MAX + 200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gy_diag_warn(&from, "f", 1, 0, "%s", big);
    char *want = from.n ? strdup(from.v[0].msg) : NULL;
    gy_diags t2 = {0};
    gy_diags_take(&t2, &from);
    T_EQ_INT(t2.n, 1);
    if (t2.n == 1 && want)
        T_EQ_STR(t2.v[0].msg, want);
    free(want);
    gy_diags_free(&t2);
    gy_diags_free(&to);
    gy_diags_free(&from);
}

int main(void)
{
    TEST(diag_severity_and_format);
    TEST(diag_limit_counts_what_it_drops);
    TEST(diag_take_keeps_severity);
    TEST(csv_field_neutralises_formulas);
    TEST(quote_makes_controls_visible_and_cuts);
    TEST(char_columns_count_characters);
    TEST(words_quotes_and_ends);
    TEST(words_comments);
    TEST(words_too_many);
    T_DONE();
}
