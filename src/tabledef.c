/* tabledef.c - table kinds as data: the .def files of templates/tables */
#include "gaiyo/tabledef.h"
#include "gaiyo/rowsem.h"
#include "gaiyo/tmpl.h"
#include "gaiyo/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *gy_type_name(gy_type t)
{
    static const char *n[] = {"text", "amount", "count", "ratio", "fy", "role", "marker", "level", "period"};
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

bool gy_role_parse(const char *s, gy_role *out)
{
    static const struct { const char *w; gy_role r; } m[] = {
        {"", GY_ROLE_ITEM}, {"項目", GY_ROLE_ITEM}, {"item", GY_ROLE_ITEM},
        {"小計", GY_ROLE_SUBTOTAL}, {"subtotal", GY_ROLE_SUBTOTAL},
        {"計", GY_ROLE_TOTAL}, {"合計", GY_ROLE_TOTAL}, {"総計", GY_ROLE_TOTAL},
        {"total", GY_ROLE_TOTAL},
        {"再掲", GY_ROLE_MEMO}, {"memo", GY_ROLE_MEMO},
        {"参考", GY_ROLE_NOTE}, {"note", GY_ROLE_NOTE},
        /* a 小計 that counts the 再掲 rows, as the 施策一覧 prints it */
        {"小計(再掲含む)", GY_ROLE_SUBTOTAL_MEMO}, {"小計（再掲含む）", GY_ROLE_SUBTOTAL_MEMO},
        {"小計(再掲含む。)", GY_ROLE_SUBTOTAL_MEMO}, {"小計（再掲含む。）", GY_ROLE_SUBTOTAL_MEMO},
        {"〃(再掲含む)", GY_ROLE_SUBTOTAL_MEMO}, {"〃（再掲含む）", GY_ROLE_SUBTOTAL_MEMO},
        {"〃(再掲含む。)", GY_ROLE_SUBTOTAL_MEMO}, {"〃（再掲含む。）", GY_ROLE_SUBTOTAL_MEMO},
        {"subtotal+memo", GY_ROLE_SUBTOTAL_MEMO},
    };
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    gy_trim(buf);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcmp(buf, m[i].w) == 0) {
            *out = m[i].r;
            return true;
        }
    return false;
}

const char *gy_role_name(gy_role r)
{
    switch (r) {
    case GY_ROLE_ITEM: return "項目";
    case GY_ROLE_SUBTOTAL: return "小計";
    case GY_ROLE_TOTAL: return "計";
    case GY_ROLE_MEMO: return "再掲";
    case GY_ROLE_NOTE: return "参考";
    case GY_ROLE_SUBTOTAL_MEMO: return "小計(再掲含む)";
    }
    return "?";
}

int gy_marker_level(const char *s)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    gy_trim(buf);
    const unsigned char *u = (const unsigned char *)buf;
    size_t n = strlen(buf);
    uint32_t cp[16];
    int k = 0;
    for (size_t i = 0; i < n && k < 16;) {
        int l = gy_utf8_decode(u + i, n - i, &cp[k]);
        if (!l)
            return -1;
        i += (size_t)l;
        /* fold full-width digits, parentheses and letters */
        if (cp[k] >= 0xFF10 && cp[k] <= 0xFF19)
            cp[k] = '0' + cp[k] - 0xFF10;
        else if (cp[k] == 0xFF08)
            cp[k] = '(';
        else if (cp[k] == 0xFF09)
            cp[k] = ')';
        else if (cp[k] >= 0xFF41 && cp[k] <= 0xFF5A)
            cp[k] = 'a' + cp[k] - 0xFF41;
        k++;
    }
    if (k == 0)
        return -1;
    bool digits = true;
    for (int i = 0; i < k; i++)
        if (cp[i] < '0' || cp[i] > '9')
            digits = false;
    if (digits && k <= 3)
        return 0;
    if (k >= 3 && cp[0] == '(' && cp[k - 1] == ')') {
        bool d = true;
        for (int i = 1; i < k - 1; i++)
            if (cp[i] < '0' || cp[i] > '9')
                d = false;
        if (d)
            return 1;
        if (k == 3 && cp[1] >= 0x30A1 && cp[1] <= 0x30FA)
            return 4;
    }
    if (k == 1) {
        uint32_t c = cp[0];
        if ((c >= 0x2460 && c <= 0x2473) || (c >= 0x3251 && c <= 0x325F) ||
            (c >= 0x32B1 && c <= 0x32BF))
            return 2;
        if (c >= 0x30A1 && c <= 0x30FA)
            return 3;
        if (c >= 'a' && c <= 'z')
            return 5;
    }
    return -1;
}

int gy_tabledef_col(const gy_tabledef *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool gy_tabledef_is_remap(const gy_tabledef *t)
{
    return gy_tabledef_col(t, "表") >= 0 && gy_tabledef_col(t, "列") >= 0 && gy_tabledef_col(t, "旧") >= 0 &&
           gy_tabledef_col(t, "新") >= 0;
}

/* a small non-negative decimal (a level number) */
static bool small_uint(const char *s, int *out)
{
    int v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 1000)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

void gy_tabledef_free(gy_tabledef *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->id);
    free(t->title);
    free(t->file);
    free(t->unit);
    free(t->asof);
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].label);
    }
    free(t->cols);
    for (size_t i = 0; i < t->nrules; i++) {
        gy_rule *r = &t->rules[i];
        gy_expr_free(r->expr);
        for (size_t j = 0; j < r->nrows; j++)
            free(r->rows[j]);
        free(r->rows);
        free(r->rowcols);
        free(r->text);
    }
    free(t->rules);
    for (size_t i = 0; i < t->nrecons; i++) {
        free(t->recons[i].table);
        free(t->recons[i].col);
        free(t->recons[i].okey);
        free(t->recons[i].explain);
    }
    free(t->recons);
    for (size_t i = 0; i < t->nrels; i++) {
        gy_relref_free(&t->rels[i].left);
        gy_relref_free(&t->rels[i].right);
        free(t->rels[i].text);
    }
    free(t->rels);
    free(t->fig);
    free(t);
}

/* ---- lines and words: the template reader (tmpl.h), DEF_FORMAT below ---- */

/* ---- rule expressions: expr.c ----------------------------------------- */

/* strstr outside double quotes (a quoted row label may hold " on " or " #") */
static char *strstr_unquoted(char *s, const char *w)
{
    size_t n = strlen(w);
    bool q = false;
    for (; *s; s++) {
        if (*s == '"')
            q = !q;
        else if (!q && !strncmp(s, w, n))
            return s;
    }
    return NULL;
}


/* `on SEL,SEL…`: roles (項目, 小計, 計, 小計(再掲含む), 再掲, 参考) and
 * row:LABEL, the label quoted when it holds a comma or spaces
 * (row:"小計（再掲含む）"). Errors at the selector's own column; a rule
 * that no row can match, as the definition alone shows, is an error too. */
static bool parse_selectors(const gy_tabledef *t, gy_rule *r, char *sel, const char *text, unsigned scol0,
                            const char *path, unsigned lineno, gy_diags *d)
{
    char *p = sel;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *at = p;
        unsigned col = scol0 + gy_char_col(text, at);
        bool isrow = strncmp(p, "row:", 4) == 0 || strncmp(p, "行:", 4) == 0;
        char *w = NULL, *end;
        if (isrow) {
            p += 4;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '"') {
                char *q = strchr(p + 1, '"');
                if (!q) {
                    gy_diag_add(d, path, lineno, scol0 + gy_char_col(text, p), "row: の '\"' が閉じていません");
                    return false;
                }
                w = gy_strndup(p + 1, (size_t)(q - p - 1));
                p = q + 1;
                while (*p == ' ' || *p == '\t')
                    p++;
                if (*p && *p != ',') {
                    gy_diag_add(d, path, lineno, scol0 + gy_char_col(text, p),
                                "row:\"ラベル\" の後は ',' か行末です: '%s'", p);
                    free(w);
                    return false;
                }
            } else {
                end = strchr(p, ',');
                if (!end)
                    end = p + strlen(p);
                w = gy_strndup(p, (size_t)(end - p));
                p = end;
                if (w)
                    gy_trim(w);
            }
            if (!w)
                return false;
            if (!*w) {
                gy_diag_add(d, path, lineno, col, "row: の後に行ラベルが要ります");
                free(w);
                return false;
            }
            char **nv = realloc(r->rows, (r->nrows + 1) * sizeof *nv);
            if (nv)
                r->rows = nv;
            unsigned *nc = nv ? realloc(r->rowcols, (r->nrows + 1) * sizeof *nc) : NULL;
            if (nc)
                r->rowcols = nc;
            if (!nv || !nc) {
                free(w);
                return false;
            }
            r->rows[r->nrows] = w;
            r->rowcols[r->nrows++] = col;
        } else {
            end = strchr(p, ',');
            if (!end)
                end = p + strlen(p);
            w = gy_strndup(p, (size_t)(end - p));
            p = end;
            if (!w)
                return false;
            gy_trim(w);
            gy_role ro;
            if (!*w || !gy_role_parse(w, &ro)) {
                gy_diag_add(d, path, lineno, col,
                            "on の後は役割 (項目, 小計, 計, 小計(再掲含む), 再掲, 参考) か row:ラベル です: '%s'", w);
                free(w);
                return false;
            }
            free(w);
            r->roles |= 1u << ro;
            if (!r->rolecol)
                r->rolecol = col;
        }
        if (*p != ',')
            break;
        p++;
    }
    /* without a role column every row is an item: roles alone that leave
     * out 項目 select nothing, whatever the data */
    if (t->role_col < 0 && !r->nrows && !(r->roles & (1u << GY_ROLE_ITEM))) {
        gy_diag_add(d, path, lineno, r->rolecol,
                    "この表には行区分 (role 型の列) がなく、すべての行が 項目 です: この規則は 1 行にも当てはまりません");
        return false;
    }
    return true;
}

/* rule TARGET = EXPR [on SEL,SEL...] */
static bool parse_rule(gy_tabledef *t, const char *path, unsigned lineno, const char *line,
                       const char *body, gy_diags *d)
{
    gy_rule r = {0};
    r.target = -1;
    r.line = lineno;
    char *text = gy_strdup(body);
    if (!text)
        return false;
    /* strip comment */
    char *hash = strstr_unquoted(text, " #");
    if (hash)
        *hash = '\0';
    gy_trim(text);
    r.text = text;
    /* the selector part */
    char *on = strstr_unquoted(text, " on ");
    char *sel = NULL;
    if (on) {
        sel = on + 4;
        *on = '\0';
        gy_trim(text);
    }
    unsigned scol0 = gy_char_col(line, body) - 1; /* a column in text → in the line */
    const char *xp = text;
    while (*xp == ' ' || *xp == '\t')
        xp++;
    const char *at = xp;
    char *tn = gy_expr_word(&xp);
    if (!tn) {
        gy_diag_add(d, path, lineno, gy_char_col(line, body), "規則の左辺 (列名) がありません");
        goto fail;
    }
    r.target = gy_tabledef_col(t, tn);
    if (r.target < 0) {
        gy_diag_add(d, path, lineno, gy_char_col(line, body) + gy_char_col(text, at) - 1,
                    "規則が存在しない列を参照しています: '%s'", tn);
        free(tn);
        goto fail;
    }
    free(tn);
    while (*xp == ' ' || *xp == '\t')
        xp++;
    if (*xp != '=') {
        gy_diag_add(d, path, lineno, gy_char_col(line, body) + gy_char_col(text, xp) - 1,
                    "規則に '=' がありません");
        goto fail;
    }
    xp++;
    r.expr = gy_expr_parse(&xp, t, path, lineno, text, gy_char_col(line, body) - 1, d);
    if (!r.expr)
        goto fail;
    while (*xp == ' ' || *xp == '\t')
        xp++;
    if (*xp) {
        gy_diag_add(d, path, lineno, gy_char_col(line, body) + gy_char_col(text, xp) - 1,
                    "規則の式の後に余分な文字があります: '%s'", xp);
        goto fail;
    }
    if (t->cols[r.target].type != GY_T_AMOUNT && t->cols[r.target].type != GY_T_COUNT &&
        t->cols[r.target].type != GY_T_RATIO) {
        gy_diag_add(d, path, lineno, gy_char_col(line, body), "規則で数値でない列は使えません: '%s' (%s)",
                    t->cols[r.target].name, gy_type_name(t->cols[r.target].type));
        goto fail;
    }
    t->cols[r.target].flags |= GY_COL_DERIVED;
    /* selectors */
    if (sel) {
        if (!parse_selectors(t, &r, sel, text, scol0, path, lineno, d))
            goto fail;
    } else {
        r.roles = (1u << GY_ROLE_ITEM) | (1u << GY_ROLE_SUBTOTAL) | (1u << GY_ROLE_TOTAL);
    }
    gy_rule *nv = realloc(t->rules, (t->nrules + 1) * sizeof *nv);
    if (!nv)
        goto fail;
    t->rules = nv;
    t->rules[t->nrules++] = r;
    return true;
fail:
    gy_expr_free(r.expr);
    for (size_t j = 0; j < r.nrows; j++)
        free(r.rows[j]);
    free(r.rows);
    free(r.rowcols);
    free(r.text);
    return false;
}

static bool parse_type(const char *s, gy_coldef *c)
{
    c->decimals = 1;
    c->scale = 100;
    if (strcmp(s, "text") == 0) c->type = GY_T_TEXT;
    else if (strncmp(s, "amount", 6) == 0 || strncmp(s, "count", 5) == 0) {
        /* countN / amountN: up to N decimals (職員配置状況's 0.5 人) */
        c->type = s[0] == 'a' ? GY_T_AMOUNT : GY_T_COUNT;
        c->decimals = 0;
        const char *p = s + (s[0] == 'a' ? 6 : 5);
        if (*p) {
            if (*p < '1' || *p > '6' || p[1])
                return false;
            c->decimals = *p - '0';
        }
    }
    else if (strcmp(s, "fy") == 0) c->type = GY_T_FY;
    else if (strcmp(s, "role") == 0) c->type = GY_T_ROLE;
    else if (strcmp(s, "marker") == 0) c->type = GY_T_MARKER;
    else if (strcmp(s, "level") == 0) c->type = GY_T_LEVEL;
    else if (strcmp(s, "period") == 0) c->type = GY_T_PERIOD;
    else if (strncmp(s, "ratio", 5) == 0 || strncmp(s, "quotient", 8) == 0) {
        c->type = GY_T_RATIO;
        const char *p = s + (s[0] == 'r' ? 5 : 8);
        if (s[0] == 'q')
            c->scale = 1;
        if (*p) {
            if (*p < '0' || *p > '6' || p[1])
                return false;
            c->decimals = *p - '0';
        }
    } else
        return false;
    return true;
}

/* a mistake on this line of a .def, at character column col (a word's
 * w[i].col) */
static void def_err(const gy_tmpl_line *tl, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void def_err(const gy_tmpl_line *tl, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = gy_vasprintf(fmt, ap);
    va_end(ap);
    if (msg)
        gy_diag_add(tl->d, tl->path, tl->ln, col, "%s", msg);
    else
        tl->d->dropped++;
    free(msg);
}

/* title, unit and asof take the rest of the line (spaces included) */
static gy_status set_rest(char **dst, const gy_tmpl_line *tl)
{
    const gy_word *v = tl->w;
    if (tl->n < 2) {
        def_err(tl, v[0].col, "'%s' には値が要ります", v[0].s);
        return GY_EDEF;
    }
    if (*dst) {
        def_err(tl, v[0].col, "'%s' が 2 回あります", v[0].s);
        return GY_EDEF;
    }
    /* after the keyword as written: `"title"` is title, quotes and all */
    char *s = gy_strdup(tl->text + v[0].end);
    if (!s)
        return GY_ENOMEM;
    char *h = strstr(s, " #");
    if (h)
        *h = '\0';
    gy_trim(s);
    size_t l = strlen(s);
    if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
        memmove(s, s + 1, l - 2);
        s[l - 2] = '\0';
    }
    *dst = s;
    return GY_OK;
}

/* table and file: one word */
static gy_status set_str(char **dst, const gy_tmpl_line *tl)
{
    const gy_word *v = tl->w;
    if (tl->n != 2) {
        def_err(tl, v[0].col, "'%s' には値が 1 つ要ります", v[0].s);
        return GY_EDEF;
    }
    if (*dst) {
        def_err(tl, v[0].col, "'%s' が 2 回あります", v[0].s);
        return GY_EDEF;
    }
    *dst = gy_strdup(v[1].s);
    return *dst ? GY_OK : GY_ENOMEM;
}

/* ---- the directives of a .def (tmpl.h) ---- */

struct pending { char *line; char *body; unsigned ln; };

typedef struct defctx {
    gy_tabledef *t;
    char *label_name;
    unsigned label_line, label_colno;
    /* rules are parsed after all columns are known */
    struct pending *pend;
    size_t npend;
    char **sums;
    size_t nsums;
    char **groups;
    size_t ngroups;
    gy_rowsem rsem; /* counts, total across, memo_of */
} defctx;

/* table, title, file, unit, asof, label, memo_in_totals: what the table
 * is and where its CSV is */
static gy_status def_header(defctx *cx, const gy_tmpl_line *tl)
{
    gy_tabledef *t = cx->t;
    const gy_word *v = tl->w;
    int n = tl->n;
    gy_status st = GY_OK;
    const char *kw = v[0].s;
    if (strcmp(kw, "table") == 0) {
        st = set_str(&t->id, tl);
    } else if (strcmp(kw, "title") == 0) {
        st = set_rest(&t->title, tl);
    } else if (strcmp(kw, "file") == 0) {
        st = set_str(&t->file, tl);
        if (st == GY_OK && (strchr(t->file, '/') || strchr(t->file, '\\') ||
                            t->file[0] == '.')) {
            def_err(tl, v[1].col, "file はフォルダを含まないファイル名です: '%s'", t->file);
        }
    } else if (strcmp(kw, "unit") == 0) {
        st = set_rest(&t->unit, tl);
    } else if (strcmp(kw, "asof") == 0) {
        st = set_rest(&t->asof, tl);
    } else if (strcmp(kw, "label") == 0) {
        if (n != 2)
            def_err(tl, v[0].col, "label には列名が 1 つ要ります");
        else {
            free(cx->label_name);
            cx->label_name = gy_strdup(v[1].s);
            cx->label_line = tl->ln;
            cx->label_colno = v[1].col;
        }
    } else if (strcmp(kw, "memo_in_totals") == 0) {
        if (n != 2 || (strcmp(v[1].s, "yes") && strcmp(v[1].s, "no")))
            def_err(tl, v[0].col, "memo_in_totals は yes か no です");
        else
            t->memo_in_totals = strcmp(v[1].s, "yes") == 0;
    }
    return st;
}

/* column NAME TYPE [key] [optional] [label="…"] */
static gy_status def_column(defctx *cx, const gy_tmpl_line *tl)
{
    gy_tabledef *t = cx->t;
    const gy_word *v = tl->w;
    int n = tl->n;
    gy_status st = GY_OK;
    if (n < 3) {
        def_err(tl, v[0].col, "column には 列名 と 型 が要ります");
    } else {
        gy_coldef c = {0};
        c.line = tl->ln;
        if (!parse_type(v[2].s, &c)) {
            def_err(tl, v[2].col,
                    "未知の型 '%s' (text, amount[N], count[N], ratio[N], quotient[N], fy, period, role, marker, level)",
                    v[2].s);
        } else if (gy_tabledef_col(t, v[1].s) >= 0) {
            def_err(tl, v[1].col, "列 '%s' が 2 回定義されています", v[1].s);
        } else {
            bool ok = true;
            for (int i = 3; i < n; i++) {
                if (strcmp(v[i].s, "key") == 0)
                    c.flags |= GY_COL_KEY;
                else if (strcmp(v[i].s, "optional") == 0)
                    c.flags |= GY_COL_OPTIONAL;
                else if (strncmp(v[i].s, "label=", 6) == 0) {
                    free(c.label);
                    c.label = gy_strdup(v[i].s + 6);
                } else {
                    def_err(tl, v[i].col, "未知の列属性 '%s' (key, optional, label=\"…\")", v[i].s);
                    ok = false;
                }
            }
            if (ok) {
                c.name = gy_strdup(v[1].s);
                if (!c.label)
                    c.label = gy_strdup(v[1].s);
                gy_coldef *nc = realloc(t->cols, (t->ncols + 1) * sizeof *nc);
                if (nc)
                    t->cols = nc;
                if (!nc || !c.name || !c.label) {
                    free(c.name);
                    free(c.label);
                    st = GY_ENOMEM;
                } else {
                    t->cols[t->ncols++] = c;
                }
            } else {
                free(c.label);
            }
        }
    }
    return st;
}

/* sum COL… and group COL…: kept as "line\tcol\tname" until every
 * column is known (tabledef_parse) */
static gy_status def_sum_group(defctx *cx, const gy_tmpl_line *tl)
{
    const gy_word *v = tl->w;
    int n = tl->n;
    gy_status st = GY_OK;
    const char *kw = v[0].s;
    bool isg = kw[0] == 'g';
    if (n < 2)
        def_err(tl, v[0].col, "'%s' には列名が要ります", kw);
    for (int i = 1; i < n; i++) {
        char ***arr = isg ? &cx->groups : &cx->sums;
        size_t *cnt = isg ? &cx->ngroups : &cx->nsums;
        char **na = realloc(*arr, (*cnt + 1) * sizeof *na);
        if (!na) {
            st = GY_ENOMEM;
            break;
        }
        *arr = na;
        na[*cnt] = gy_asprintf("%u\t%u\t%s", tl->ln, v[i].col, v[i].s);
        (*cnt)++;
    }
    return st;
}

/* reconcile TARGET = TABLE.COL by KEY=OKEY [level N] [explain COL3] */
static gy_status def_reconcile(defctx *cx, const gy_tmpl_line *tl)
{
    gy_tabledef *t = cx->t;
    gy_word *v = tl->w; /* TABLE.COL and KEY=OKEY are cut in place */
    int n = tl->n;
    gy_status st = GY_OK;
    int tc = n >= 2 ? gy_tabledef_col(t, v[1].s) : -1;
    char *dot = n >= 4 ? strchr(v[3].s, '.') : NULL;
    char *eq = n >= 6 ? strchr(v[5].s, '=') : NULL;
    int key = -1, level = -1;
    const char *explain = NULL;
    bool form = n >= 6 && !strcmp(v[2].s, "=") && dot && !strcmp(v[4].s, "by") && eq && (n % 2) == 0;
    for (int o = 6; form && o + 1 < (int)n; o += 2) {
        if (!strcmp(v[o].s, "level") && level < 0 && small_uint(v[o + 1].s, &level))
            continue;
        if (!strcmp(v[o].s, "explain") && !explain) {
            explain = v[o + 1].s;
            continue;
        }
        form = false;
    }
    if (eq) {
        *eq = '\0';
        key = gy_tabledef_col(t, v[5].s);
    }
    if (!form) {
        def_err(tl, v[0].col,
                "reconcile は「reconcile 列 = 表.列 by キー=相手のキー [level N] [explain 区分列]」の形です");
    } else if (tc < 0) {
        def_err(tl, v[1].col, "reconcile が存在しない列を指しています: '%s'", v[1].s);
    } else if (key < 0) {
        def_err(tl, v[5].col, "reconcile のキー列がありません: '%s'", v[5].s);
    } else {
        gy_recon rc = {.target = tc, .key = key, .level = level, .line = tl->ln};
        *dot = '\0';
        rc.table = gy_strdup(v[3].s);
        rc.col = gy_strdup(dot + 1);
        rc.okey = gy_strdup(eq + 1);
        rc.explain = explain ? gy_strdup(explain) : NULL;
        gy_recon *nr = realloc(t->recons, (t->nrecons + 1) * sizeof *nr);
        if (nr)
            t->recons = nr;
        if (!nr || !rc.table || !rc.col || !rc.okey || (explain && !rc.explain)) {
            free(rc.table);
            free(rc.col);
            free(rc.okey);
            free(rc.explain);
            st = GY_ENOMEM;
        } else {
            t->recons[t->nrecons++] = rc;
        }
    }
    return st;
}

/* relate LEFT = RIGHT SEVERITY (relate.c) */
static gy_status def_relate(defctx *cx, const gy_tmpl_line *tl)
{
    gy_tabledef *t = cx->t;
    gy_status st = GY_OK;
    const char *body = tl->text + tl->w[0].end;
    gy_relation rl;
    if (gy_relation_parse(tl->path, tl->ln, gy_char_col(tl->text, body) - 1, body, &rl, tl->d)) {
        gy_relation *nr = realloc(t->rels, (t->nrels + 1) * sizeof *nr);
        if (!nr) {
            gy_relref_free(&rl.left);
            gy_relref_free(&rl.right);
            free(rl.text);
            st = GY_ENOMEM;
        } else {
            t->rels = nr;
            t->rels[t->nrels++] = rl;
        }
    }
    return st;
}

/* figure value=COL table=COL rows=COL column=COL severity=COL [unit=COL] */
static gy_status def_figure(defctx *cx, const gy_tmpl_line *tl)
{
    gy_tabledef *t = cx->t;
    const gy_word *v = tl->w;
    int n = tl->n;
    gy_status st = GY_OK;
    static const char *const opt[] = {"value", "table", "rows", "column", "severity", "unit"};
    const char *names[6] = {0};
    unsigned cols[6] = {0};
    bool ok = true;
    if (t->fig) {
        def_err(tl, v[0].col, "'figure' が 2 回あります");
        ok = false;
    }
    for (int i = 1; ok && i < n; i++) {
        const char *eq = strchr(v[i].s, '=');
        int k = 0;
        while (eq && k < 6 && (strlen(opt[k]) != (size_t)(eq - v[i].s) || strncmp(opt[k], v[i].s, (size_t)(eq - v[i].s))))
            k++;
        if (!eq || k == 6 || names[k] || !eq[1]) {
            def_err(tl, v[i].col,
                    "figure の指定は value=列 table=列 rows=列 column=列 severity=列 [unit=列] です: '%s'", v[i].s);
            ok = false;
            break;
        }
        names[k] = eq + 1;
        cols[k] = v[i].col;
    }
    for (int k = 0; ok && k < 5; k++)
        if (!names[k]) {
            def_err(tl, v[0].col, "figure に %s=列 がありません", opt[k]);
            ok = false;
        }
    if (ok) {
        /* the columns are looked up once all are known: keep the
         * names in the line, the line with the directive */
        gy_figspec *f = calloc(1, sizeof *f);
        if (!f) {
            st = GY_ENOMEM;
        } else {
            f->line = tl->ln;
            int *dst[6] = {&f->value, &f->table, &f->rows, &f->col, &f->sev, &f->unit};
            for (int k = 0; k < 6; k++) {
                *dst[k] = -1;
                if (!names[k])
                    continue;
                int c = gy_tabledef_col(t, names[k]);
                if (c < 0) {
                    def_err(tl, cols[k], "figure の列 '%s' がありません (列は figure より前に定義してください)",
                            names[k]);
                    ok = false;
                } else if (k == 0 ? (t->cols[c].type != GY_T_AMOUNT && t->cols[c].type != GY_T_COUNT)
                                  : t->cols[c].type != GY_T_TEXT) {
                    def_err(tl, cols[k], "figure の %s の列 '%s' は %s 型です", opt[k], names[k],
                            k == 0 ? "amount か count" : "text");
                    ok = false;
                }
                *dst[k] = c;
            }
            if (ok)
                t->fig = f;
            else
                free(f);
        }
    }
    return st;
}

/* rule …: kept as text, parsed once every column is known */
static gy_status def_rule(defctx *cx, const gy_tmpl_line *tl)
{
    gy_status st = GY_OK;
    /* the rule text follows the first word (which may be written
     * with quotes, as in ru""le: strstr would miss it) */
    char *own = gy_strdup(tl->text);
    const char *body = own;
    while (body && (*body == ' ' || *body == '\t'))
        body++;
    while (body && *body && *body != ' ' && *body != '\t')
        body++;
    while (body && (*body == ' ' || *body == '\t'))
        body++;
    void *np = own ? realloc(cx->pend, (cx->npend + 1) * sizeof *cx->pend) : NULL;
    if (!np) {
        free(own);
        st = GY_ENOMEM;
    } else {
        cx->pend = np;
        cx->pend[cx->npend].line = own;
        cx->pend[cx->npend].body = (char *)body;
        cx->pend[cx->npend].ln = tl->ln;
        cx->npend++;
    }
    return st;
}

/* every directive of a .def: the table below says which words start one */
static gy_status def_dir(void *ctx, const gy_tmpl_line *tl)
{
    defctx *cx = ctx;
    gy_status st = GY_OK;
    const char *kw = tl->w[0].s;
    if (strcmp(kw, "column") == 0) {
        st = def_column(cx, tl);
    } else if (strcmp(kw, "sum") == 0 || strcmp(kw, "group") == 0) {
        st = def_sum_group(cx, tl);
    } else if (strcmp(kw, "reconcile") == 0) {
        st = def_reconcile(cx, tl);
    } else if (strcmp(kw, "relate") == 0) {
        st = def_relate(cx, tl);
    } else if (strcmp(kw, "figure") == 0) {
        st = def_figure(cx, tl);
    } else if (strcmp(kw, "counts") == 0 || strcmp(kw, "total") == 0 || strcmp(kw, "memo_of") == 0) {
        if (gy_rowsem_directive(&cx->rsem, tl->path, tl->ln, tl->w, tl->n, tl->d) < 0)
            st = GY_ENOMEM;
    } else if (strcmp(kw, "rule") == 0) {
        st = def_rule(cx, tl);
    } else { /* table, title, file, unit, asof, label, memo_in_totals */
        st = def_header(cx, tl);
    }
    return st == GY_ENOMEM ? GY_ENOMEM : GY_OK;
}

#define DD(name) {name, 0, -1, def_dir, 0}
static const gy_tmpl_directive DEF_DIRS[] = {
    DD("table"), DD("title"), DD("file"), DD("unit"), DD("asof"), DD("label"), DD("column"),
    DD("group"), DD("sum"), DD("rule"), DD("reconcile"), DD("relate"), DD("figure"), DD("memo_in_totals"),
    DD("counts"), DD("total"), DD("memo_of"),
};
#undef DD

/* a .def: any word that starts with '#' starts a comment */
static const gy_tmpl_format DEF_FORMAT = {
    .what = "定義ファイル", .comment = GY_TMPL_HASH_ANY, .quotes = true, .maxwords = 64,
    .unknown = "未知の指示語 '%s' (%s)", .dirs = DEF_DIRS, .ndirs = sizeof DEF_DIRS / sizeof DEF_DIRS[0]};

/* ---- once every line is read: what a .def must have, and the names
 * that could only be looked up once every column was known ---- */

/* table, file and at least one column; title and unit default */
static void def_required(gy_tabledef *t, const char *path, gy_diags *d)
{
    if (!t->id)
        gy_diag_add(d, path, 0, 0, "'table' (表の id) がありません");
    if (!t->file)
        gy_diag_add(d, path, 0, 0, "'file' (CSV ファイル名) がありません");
    if (t->ncols == 0)
        gy_diag_add(d, path, 0, 0, "'column' が 1 つもありません");
    if (!t->title)
        t->title = gy_strdup(t->id ? t->id : "");
    if (!t->unit)
        t->unit = gy_strdup("");
}

/* the one role, level and key fy column; the label column */
static void def_key_columns(gy_tabledef *t, const defctx *cx, const char *path, gy_diags *d)
{
    const char *label_name = cx->label_name;
    unsigned label_line = cx->label_line, label_colno = cx->label_colno;
    for (size_t i = 0; i < t->ncols; i++) {
        gy_coldef *c = &t->cols[i];
        int *slot = c->type == GY_T_ROLE ? &t->role_col
                    : (c->type == GY_T_MARKER || c->type == GY_T_LEVEL) ? &t->level_col
                    : (c->type == GY_T_FY && (c->flags & GY_COL_KEY)) ? &t->fy_col
                    : NULL;
        if (slot) {
            if (*slot >= 0)
                gy_diag_add(d, path, c->line, 1, "'%s' 型の列は 1 つまでです", gy_type_name(c->type));
            else
                *slot = (int)i;
        }
        if (t->label_col < 0 && c->type == GY_T_TEXT && (c->flags & GY_COL_KEY))
            t->label_col = (int)i;
    }
    if (label_name) {
        int c = gy_tabledef_col(t, label_name);
        if (c < 0)
            gy_diag_add(d, path, label_line, label_colno, "label の列 '%s' がありません", label_name);
        else
            t->label_col = c;
    }
    if (t->label_col < 0 && t->ncols)
        t->label_col = 0;
}

/* the columns named by sum and group */
static void def_sums_groups(gy_tabledef *t, const defctx *cx, const char *path, gy_diags *d)
{
    char **sums = cx->sums;
    size_t nsums = cx->nsums;
    char **groups = cx->groups;
    size_t ngroups = cx->ngroups;
    for (int pass = 0; pass < 2; pass++) {
        char **arr = pass ? groups : sums;
        size_t cnt = pass ? ngroups : nsums;
        for (size_t i = 0; i < cnt; i++) {
            unsigned l = 0, cc = 0;
            char *name = NULL;
            char *s1 = strchr(arr[i], '\t');
            char *s2 = s1 ? strchr(s1 + 1, '\t') : NULL;
            l = (unsigned)strtoul(arr[i], NULL, 10);
            cc = s1 ? (unsigned)strtoul(s1 + 1, NULL, 10) : 0;
            name = s2 ? s2 + 1 : arr[i];
            int c = gy_tabledef_col(t, name);
            if (c < 0) {
                gy_diag_add(d, path, l, cc, "%s が存在しない列を指しています: '%s'",
                            pass ? "group" : "sum", name);
            } else if (!pass && t->cols[c].type != GY_T_AMOUNT && t->cols[c].type != GY_T_COUNT &&
                       t->cols[c].type != GY_T_RATIO) {
                gy_diag_add(d, path, l, cc, "sum の列は数値の列です: '%s'", name);
            } else {
                t->cols[c].flags |= pass ? GY_COL_GROUP : GY_COL_SUM;
                if (!pass && !t->cols[c].sumline)
                    t->cols[c].sumline = l, t->cols[c].sumcol = cc;
            }
        }
    }
}

static gy_status tabledef_parse(const char *path, const char *text, size_t len, gy_tabledef **out, gy_diags *d)
{
    *out = NULL;
    gy_tabledef *t = calloc(1, sizeof *t);
    if (!t)
        return GY_ENOMEM;
    t->label_col = t->role_col = t->level_col = t->fy_col = -1;
    t->path = gy_strdup(path);
    size_t nd0 = d->n + d->dropped;
    defctx cx = {.t = t};
    gy_status st = gy_tmpl_read(path, text, len, &DEF_FORMAT, &cx, d);
    char *label_name = cx.label_name;
    struct pending *pend = cx.pend;
    size_t npend = cx.npend;
    char **sums = cx.sums;
    size_t nsums = cx.nsums;
    char **groups = cx.groups;
    size_t ngroups = cx.ngroups;
    gy_rowsem rsem = cx.rsem;

    if (st == GY_OK) {
        def_required(t, path, d);
        def_key_columns(t, &cx, path, d);
        def_sums_groups(t, &cx, path, d);
        gy_rowsem_finish(&rsem, t, path, d);
        for (size_t i = 0; i < npend; i++)
            parse_rule(t, path, pend[i].ln, pend[i].line, pend[i].body, d);
    }
    gy_rowsem_free(&rsem);
    for (size_t i = 0; i < npend; i++)
        free(pend[i].line);
    free(pend);
    for (size_t i = 0; i < nsums; i++)
        free(sums[i]);
    free(sums);
    for (size_t i = 0; i < ngroups; i++)
        free(groups[i]);
    free(groups);
    free(label_name);
    if (st == GY_OK && d->n + d->dropped > nd0)
        st = GY_EDEF;
    if (st != GY_OK) {
        gy_tabledef_free(t);
        return st;
    }
    *out = t;
    return GY_OK;
}

gy_status gy_tabledef_parse(const char *path, const char *text, gy_tabledef **out, gy_diags *d)
{
    return tabledef_parse(path, text, strlen(text), out, d);
}

gy_status gy_tabledef_load(const char *path, gy_tabledef **out, gy_diags *d)
{
    char *buf;
    size_t len;
    *out = NULL;
    /* only a regular file (templates are the program's own settings: a
     * symlink is followed wherever it points, as bench/templates does) */
    int e = gy_read_file_in(path, NULL, GY_CONF_MAX, &buf, &len);
    if (e) {
        char eb[256];
        gy_diag_add(d, path, 0, 0, "定義ファイルを読めません: %s", gy_file_strerror(e, GY_CONF_MAX, eb, sizeof eb));
        return e == ENOMEM ? GY_ENOMEM : GY_EIO;
    }
    gy_status st = tabledef_parse(path, buf, len, out, d);
    free(buf);
    return st;
}


gy_status gy_defset_load(const char *dir, gy_defset *out, gy_diags *d)
{
    out->v = NULL;
    out->n = 0;
    size_t nd0 = d->n + d->dropped;
    char **names = NULL;
    size_t nn = 0;
    gy_status st = GY_OK;
    int err = gy_dir_list(dir, ".def", &names, &nn);
    if (err == ENOMEM)
        return GY_ENOMEM;
    if (err) {
        gy_diag_add(d, dir, 0, 0, "定義フォルダを開けません: %s", strerror(err));
        return GY_EIO;
    }
    for (size_t i = 0; i < nn && st != GY_ENOMEM; i++) {
        gy_tabledef *t = NULL;
        gy_status s = gy_tabledef_load(names[i], &t, d);
        if (s != GY_OK) {
            if (st == GY_OK)
                st = s;
            continue;
        }
        for (size_t j = 0; j < out->n; j++) {
            if (strcmp(out->v[j]->id, t->id) == 0)
                gy_diag_add(d, names[i], 0, 0, "表 id '%s' は %s でも定義されています", t->id, out->v[j]->path);
            if (strcmp(out->v[j]->file, t->file) == 0)
                gy_diag_add(d, names[i], 0, 0, "ファイル '%s' は %s も読む定義です (2 つの定義が同じファイルを主張)",
                            t->file, out->v[j]->path);
        }
        gy_tabledef **nv = realloc(out->v, (out->n + 1) * sizeof *nv);
        if (!nv) {
            gy_tabledef_free(t);
            st = GY_ENOMEM;
            break;
        }
        out->v = nv;
        out->v[out->n++] = t;
    }
    for (size_t i = 0; i < out->n && st == GY_OK; i++) {
        const gy_tabledef *t = out->v[i];
        for (size_t k = 0; k < t->nrecons; k++) {
            const gy_recon *rc = &t->recons[k];
            const gy_tabledef *o = gy_defset_find(out, rc->table);
            if (!o)
                gy_diag_add(d, t->path, rc->line, 1, "reconcile の表 '%s' は定義されていません", rc->table);
            else if (gy_tabledef_col(o, rc->col) < 0 || gy_tabledef_col(o, rc->okey) < 0)
                gy_diag_add(d, t->path, rc->line, 1, "reconcile の列 '%s' か '%s' が表 '%s' にありません",
                            rc->col, rc->okey, rc->table);
            else if (rc->explain && gy_tabledef_col(o, rc->explain) < 0)
                gy_diag_add(d, t->path, rc->line, 1, "reconcile の区分列 '%s' が表 '%s' にありません", rc->explain,
                            rc->table);
        }
    }
    if (st == GY_OK)
        gy_relate_check_defs(out, d);
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (st == GY_OK && nn == 0) {
        gy_diag_add(d, dir, 0, 0, "定義ファイル (*.def) がありません");
        st = GY_EDEF;
    }
    if (st == GY_OK && d->n + d->dropped > nd0)
        st = GY_EDEF;
    if (st != GY_OK) {
        gy_defset_free(out);
    }
    return st;
}

void gy_defset_free(gy_defset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        gy_tabledef_free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

const gy_tabledef *gy_defset_find(const gy_defset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->id, id) == 0)
            return s->v[i];
    return NULL;
}

bool gy_col_textlike(const gy_tabledef *d, size_t col)
{
    const gy_coldef *c = &d->cols[col];
    return c->type == GY_T_TEXT || c->type == GY_T_FY || c->type == GY_T_MARKER || c->type == GY_T_ROLE ||
           c->type == GY_T_LEVEL || c->type == GY_T_PERIOD || (c->flags & (GY_COL_KEY | GY_COL_GROUP)) || (int)col == d->label_col;
}
