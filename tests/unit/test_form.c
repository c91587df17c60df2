/* test_form.c - the empty CSV forms of gaiyo template: lookup, bytes,
 * refusals, writing */
#include "gaiyo/form.h"
#include "gaiyo/util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gy_tabledef *def(const char *text)
{
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    gy_status st = gy_tabledef_parse("t.def", text, &t, &d);
    if (st != GY_OK)
        gy_diags_print(&d, stdout);
    gy_diags_free(&d);
    return t;
}

static const char *const YOSAN = "table yosan\ntitle 予算\nfile yosan.csv\n"
                                 "column 課名 text key\ncolumn 行区分 role optional\ncolumn 当初 amount\n";
static const char *const KUMIKAE = "table kumikae\ntitle 組替\nfile 組替.csv\n"
                                   "column 表 text key\ncolumn 新 text key\n";

static void set_name(gy_tabledef *t, size_t col, const char *name)
{
    free(t->cols[col].name);
    t->cols[col].name = gy_strdup(name);
}

static void find_by_what_users_see(void)
{
    gy_tabledef *a = def(YOSAN), *b = def(KUMIKAE);
    gy_tabledef *v[] = {a, b};
    gy_defset s = {v, 2};
    T_CHECK(gy_form_find(&s, "yosan") == a);
    T_CHECK(gy_form_find(&s, "yosan.csv") == a);
    T_CHECK(gy_form_find(&s, "YOSAN.CSV") == a);
    T_CHECK(gy_form_find(&s, "kumikae") == b);
    T_CHECK(gy_form_find(&s, "組替.csv") == b);
    T_CHECK(gy_form_find(&s, "組替") == b);
    T_CHECK(gy_form_find(&s, "組替.CSV") == b);
    T_CHECK(gy_form_find(&s, "") == NULL);
    T_CHECK(gy_form_find(&s, "yosa") == NULL);
    T_CHECK(gy_form_find(&s, "yosan.cs") == NULL);
    T_CHECK(gy_form_find(&s, ".csv") == NULL);
    gy_tabledef_free(a);
    gy_tabledef_free(b);
}

static void utf8_with_bom_crlf(void)
{
    gy_tabledef *t = def(YOSAN);
    gy_diags d = {0};
    gy_buf b = {0};
    T_EQ_INT(gy_form_csv(t, GY_ENC_UTF8, &b, &d), GY_OK);
    T_EQ_INT(b.n, strlen("\xEF\xBB\xBF課名,行区分,当初\r\n"));
    T_CHECK(b.p && !memcmp(b.p, "\xEF\xBB\xBF課名,行区分,当初\r\n", b.n));
    T_EQ_INT(d.n, 0);
    gy_buf_free(&b);
    gy_tabledef_free(t);
}

static void cp932_bytes(void)
{
    /* 表 is 0x95 0x5C in CP932: a trail byte that is '\' */
    gy_tabledef *t = def(KUMIKAE);
    gy_diags d = {0};
    gy_buf b = {0};
    T_EQ_INT(gy_form_csv(t, GY_ENC_CP932, &b, &d), GY_OK);
    T_EQ_INT(b.n, 7);
    T_CHECK(b.p && !memcmp(b.p, "\x95\x5C,\x90\x56\r\n", 7));
    gy_buf_free(&b);
    gy_tabledef_free(t);
}

static void quoted_when_needed(void)
{
    gy_tabledef *t = def(YOSAN);
    set_name(t, 0, "a,b\"c");
    gy_diags d = {0};
    gy_buf b = {0};
    T_EQ_INT(gy_form_csv(t, GY_ENC_UTF8, &b, &d), GY_OK);
    const char *want = "\xEF\xBB\xBF\"a,b\"\"c\",行区分,当初\r\n";
    T_EQ_INT(b.n, strlen(want));
    T_CHECK(b.p && !memcmp(b.p, want, b.n));
    gy_buf_free(&b);
    gy_tabledef_free(t);
}

static void formula_names_refused(void)
{
    const char *bad[] = {"=A1", "+1", "-x", "@SUM(A1)", "＝A1", "＋1", "－x", "＠x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gy_tabledef *t = def(YOSAN);
        set_name(t, 2, bad[i]);
        gy_diags d = {0};
        gy_buf b = {0};
        T_EQ_INT(gy_form_csv(t, GY_ENC_UTF8, &b, &d), GY_EDEF);
        T_EQ_INT(d.n, 1);
        if (d.n) {
            T_EQ_STR(d.v[0].file, "t.def");
            T_EQ_INT(d.v[0].line, 6);
            T_CONTAINS(d.v[0].msg, "式として読まれる");
        }
        gy_diags_free(&d);
        gy_buf_free(&b);
        gy_tabledef_free(t);
    }
}

static void cp932_cannot_write(void)
{
    /* U+2212 (glibc: none in CP932), an emoji; both named, the line each */
    gy_tabledef *t = def(YOSAN);
    set_name(t, 0, "差−額");
    set_name(t, 2, "当初😀");
    gy_diags d = {0};
    gy_buf b = {0};
    T_EQ_INT(gy_form_csv(t, GY_ENC_CP932, &b, &d), GY_EDEF);
    T_EQ_INT(d.n, 2);
    if (d.n == 2) {
        T_EQ_INT(d.v[0].line, 4);
        T_CONTAINS(d.v[0].msg, "U+2212");
        T_EQ_INT(d.v[1].line, 6);
        T_CONTAINS(d.v[1].msg, "U+1F600");
    }
    gy_diags_free(&d);
    gy_buf_free(&b);
    gy_tabledef_free(t);
}

static char *scratch(void)
{
    char tmpl[] = "/tmp/gaiyo-form-XXXXXX";
    char *dir = mkdtemp(tmpl);
    return dir ? gy_strdup(dir) : NULL;
}

static bool exists(const char *dir, const char *name)
{
    char *p = gy_asprintf("%s/%s", dir, name);
    struct stat sb;
    bool r = p && lstat(p, &sb) == 0;
    free(p);
    return r;
}

static void write_all_never_escapes(void)
{
    /* the definition reader refuses such a file name; the writer refuses
     * it again (a definition made some other way) */
    char *root = scratch();
    T_CHECK(root != NULL);
    if (!root)
        return;
    gy_tabledef *a = def(YOSAN), *b = def(KUMIKAE);
    free(b->file);
    b->file = gy_strdup("../escape.csv");
    gy_tabledef *v[] = {a, b};
    gy_defset s = {v, 2};
    char *dir = gy_asprintf("%s/forms", root);
    gy_diags d = {0};
    size_t nw = 9;
    T_EQ_INT(gy_form_write_all(&s, dir, GY_ENC_UTF8, true, &nw, &d), GY_EDEF);
    T_EQ_INT(nw, 0);
    T_EQ_INT(d.n, 1);
    if (d.n)
        T_CONTAINS(d.v[0].msg, "'../escape.csv'");
    T_CHECK(!exists(root, "escape.csv"));
    T_CHECK(!exists(root, "forms"));
    gy_diags_free(&d);
    /* a '\\' or a leading '.' alike */
    const char *names[] = {"a\\b.csv", ".hidden.csv", "", "a/b.csv"};
    for (size_t i = 0; i < 4; i++) {
        free(b->file);
        b->file = gy_strdup(names[i]);
        T_EQ_INT(gy_form_write_all(&s, dir, GY_ENC_UTF8, true, &nw, &d), GY_EDEF);
        T_CHECK(!exists(root, "forms"));
        gy_diags_free(&d);
    }
    /* and, with a plain name, both files */
    free(b->file);
    b->file = gy_strdup("組替.csv");
    T_EQ_INT(gy_form_write_all(&s, dir, GY_ENC_UTF8, false, &nw, &d), GY_OK);
    T_EQ_INT(nw, 2);
    T_CHECK(exists(dir, "yosan.csv") && exists(dir, "組替.csv"));
    /* again: both in the way, both named, nothing touched */
    T_EQ_INT(gy_form_write_all(&s, dir, GY_ENC_UTF8, false, &nw, &d), GY_EIO);
    T_EQ_INT(d.n, 2);
    T_EQ_INT(nw, 0);
    gy_diags_free(&d);
    gy_remove_tree(root);
    free(dir);
    free(root);
    gy_tabledef_free(a);
    gy_tabledef_free(b);
}

int main(void)
{
    TEST(find_by_what_users_see);
    TEST(utf8_with_bom_crlf);
    TEST(cp932_bytes);
    TEST(quoted_when_needed);
    TEST(formula_names_refused);
    TEST(cp932_cannot_write);
    TEST(write_all_never_escapes);
    T_DONE();
}
