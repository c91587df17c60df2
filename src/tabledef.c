/* tabledef.c - table kinds as data: the .def files of templates/tables */
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *gy_type_name(gy_type t)
{
    static const char *n[] = {"text", "amount", "count", "ratio", "fy", "role", "marker", "level"};
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
    free(t);
}

/* ---- line tokenizer: gy_words (util.h), '#' starts a comment anywhere ---- */

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
        sel = gy_strdup(on + 4);
        *on = '\0';
        gy_trim(text);
        if (!sel) {
            free(text);
            return false;
        }
    }
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
        char *save = NULL;
        for (char *s = strtok_r(sel, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
            gy_trim(s);
            gy_role ro;
            if (strncmp(s, "row:", 4) == 0 || strncmp(s, "行:", 4) == 0) {
                const char *lab = s + 4;
                char **nv = realloc(r.rows, (r.nrows + 1) * sizeof *nv);
                if (!nv)
                    goto fail;
                r.rows = nv;
                r.rows[r.nrows] = gy_strdup(lab);
                if (!r.rows[r.nrows])
                    goto fail;
                r.nrows++;
            } else if (gy_role_parse(s, &ro) && *s) {
                r.roles |= 1u << ro;
            } else {
                gy_diag_add(d, path, lineno, gy_char_col(line, body),
                            "on の後は役割 (項目, 小計, 計, 再掲, 参考) か row:ラベル です: '%s'", s);
                goto fail;
            }
        }
        free(sel);
        sel = NULL;
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
    free(sel);
    gy_expr_free(r.expr);
    for (size_t j = 0; j < r.nrows; j++)
        free(r.rows[j]);
    free(r.rows);
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

/* title, unit and asof take the rest of the line (spaces included) */
static gy_status set_rest(char **dst, const char *line, const gy_word *v, int n, const char *path,
                          unsigned ln, gy_diags *d)
{
    if (n < 2) {
        gy_diag_add(d, path, ln, v[0].col, "'%s' には値が要ります", v[0].s);
        return GY_EDEF;
    }
    if (*dst) {
        gy_diag_add(d, path, ln, v[0].col, "'%s' が 2 回あります", v[0].s);
        return GY_EDEF;
    }
    /* after the keyword as written: `"title"` is title, quotes and all */
    char *s = gy_strdup(line + v[0].end);
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

static gy_status set_str(char **dst, const gy_word *v, int n, const char *path, unsigned ln,
                         gy_diags *d)
{
    if (n != 2) {
        gy_diag_add(d, path, ln, v[0].col, "'%s' には値が 1 つ要ります", v[0].s);
        return GY_EDEF;
    }
    if (*dst) {
        gy_diag_add(d, path, ln, v[0].col, "'%s' が 2 回あります", v[0].s);
        return GY_EDEF;
    }
    *dst = gy_strdup(v[1].s);
    return *dst ? GY_OK : GY_ENOMEM;
}

gy_status gy_tabledef_parse(const char *path, const char *text, gy_tabledef **out, gy_diags *d)
{
    *out = NULL;
    gy_tabledef *t = calloc(1, sizeof *t);
    if (!t)
        return GY_ENOMEM;
    t->label_col = t->role_col = t->level_col = t->fy_col = -1;
    t->path = gy_strdup(path);
    size_t nd0 = d->n + d->dropped;
    gy_status st = GY_OK;
    char *label_name = NULL;
    unsigned label_line = 0, label_colno = 0;
    /* rules are parsed after all columns are known */
    struct pending { char *line; char *body; unsigned ln; } *pend = NULL;
    size_t npend = 0;
    char **sums = NULL;
    size_t nsums = 0;
    char **groups = NULL;
    size_t ngroups = 0;

    const char *p = text;
    unsigned ln = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *line = gy_strndup(p, len);
        p += len + (e ? 1 : 0);
        ln++;
        if (!line) {
            st = GY_ENOMEM;
            break;
        }
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (gy_utf8_invalid_at(line, strlen(line)) != strlen(line)) {
            gy_diag_add(d, path, ln, 1, "定義ファイルは UTF-8 で書いてください");
            free(line);
            continue;
        }
        gy_word v[64];
        unsigned over = 0;
        int n = gy_words(line, v, 64, 0, &over);
        if (n == -1) {
            free(line);
            st = GY_ENOMEM;
            break;
        }
        if (n < 0) {
            gy_diag_add(d, path, ln, over, "一行の語が多すぎます (64 語まで)");
            free(line);
            continue;
        }
        if (n == 0) {
            free(line);
            continue;
        }
        const char *kw = v[0].s;
        if (strcmp(kw, "table") == 0) {
            st = set_str(&t->id, v, n, path, ln, d);
        } else if (strcmp(kw, "title") == 0) {
            st = set_rest(&t->title, line, v, n, path, ln, d);
        } else if (strcmp(kw, "file") == 0) {
            st = set_str(&t->file, v, n, path, ln, d);
            if (st == GY_OK && (strchr(t->file, '/') || strchr(t->file, '\\') ||
                                t->file[0] == '.')) {
                gy_diag_add(d, path, ln, v[1].col, "file はフォルダを含まないファイル名です: '%s'",
                            t->file);
            }
        } else if (strcmp(kw, "unit") == 0) {
            st = set_rest(&t->unit, line, v, n, path, ln, d);
        } else if (strcmp(kw, "asof") == 0) {
            st = set_rest(&t->asof, line, v, n, path, ln, d);
        } else if (strcmp(kw, "label") == 0) {
            if (n != 2)
                gy_diag_add(d, path, ln, v[0].col, "label には列名が 1 つ要ります");
            else {
                free(label_name);
                label_name = gy_strdup(v[1].s);
                label_line = ln;
                label_colno = v[1].col;
            }
        } else if (strcmp(kw, "memo_in_totals") == 0) {
            if (n != 2 || (strcmp(v[1].s, "yes") && strcmp(v[1].s, "no")))
                gy_diag_add(d, path, ln, v[0].col, "memo_in_totals は yes か no です");
            else
                t->memo_in_totals = strcmp(v[1].s, "yes") == 0;
        } else if (strcmp(kw, "column") == 0) {
            if (n < 3) {
                gy_diag_add(d, path, ln, v[0].col, "column には 列名 と 型 が要ります");
            } else {
                gy_coldef c = {0};
                c.line = ln;
                if (!parse_type(v[2].s, &c)) {
                    gy_diag_add(d, path, ln, v[2].col,
                                "未知の型 '%s' (text, amount[N], count[N], ratio[N], quotient[N], fy, role, marker, level)",
                                v[2].s);
                } else if (gy_tabledef_col(t, v[1].s) >= 0) {
                    gy_diag_add(d, path, ln, v[1].col, "列 '%s' が 2 回定義されています", v[1].s);
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
                            gy_diag_add(d, path, ln, v[i].col,
                                        "未知の列属性 '%s' (key, optional, label=\"…\")", v[i].s);
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
        } else if (strcmp(kw, "sum") == 0 || strcmp(kw, "group") == 0) {
            bool isg = kw[0] == 'g';
            if (n < 2)
                gy_diag_add(d, path, ln, v[0].col, "'%s' には列名が要ります", kw);
            for (int i = 1; i < n; i++) {
                char ***arr = isg ? &groups : &sums;
                size_t *cnt = isg ? &ngroups : &nsums;
                char **na = realloc(*arr, (*cnt + 1) * sizeof *na);
                if (!na) {
                    st = GY_ENOMEM;
                    break;
                }
                *arr = na;
                na[*cnt] = gy_asprintf("%u\t%u\t%s", ln, v[i].col, v[i].s);
                (*cnt)++;
            }
        } else if (strcmp(kw, "reconcile") == 0) {
            /* reconcile TARGET = TABLE.COL by KEY=OKEY [level N] [explain COL3] */
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
                gy_diag_add(d, path, ln, v[0].col,
                            "reconcile は「reconcile 列 = 表.列 by キー=相手のキー [level N] [explain 区分列]」の形です");
            } else if (tc < 0) {
                gy_diag_add(d, path, ln, v[1].col, "reconcile が存在しない列を指しています: '%s'", v[1].s);
            } else if (key < 0) {
                gy_diag_add(d, path, ln, v[5].col, "reconcile のキー列がありません: '%s'", v[5].s);
            } else {
                gy_recon rc = {.target = tc, .key = key, .level = level, .line = ln};
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
        } else if (strcmp(kw, "rule") == 0) {
            /* the rule text follows the first word (which may be written
             * with quotes, as in ru""le: strstr would miss it) */
            const char *body = line;
            while (*body == ' ' || *body == '\t')
                body++;
            while (*body && *body != ' ' && *body != '\t')
                body++;
            while (*body == ' ' || *body == '\t')
                body++;
            void *np = realloc(pend, (npend + 1) * sizeof *pend);
            if (!np) {
                st = GY_ENOMEM;
            } else {
                pend = np;
                pend[npend].line = line;
                pend[npend].body = (char *)body;
                pend[npend].ln = ln;
                npend++;
                line = NULL;
            }
        } else {
            gy_diag_add(d, path, ln, v[0].col,
                        "未知の指示語 '%s' (table, title, file, unit, asof, label, column, group, sum, rule, reconcile, memo_in_totals)",
                        kw);
        }
        gy_words_free(v, n);
        free(line);
        if (st == GY_ENOMEM)
            break;
        st = GY_OK;
    }
    if (st == GY_OK) {
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
                }
            }
        }
        for (size_t i = 0; i < npend; i++)
            parse_rule(t, path, pend[i].ln, pend[i].line, pend[i].body, d);
    }
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
    if (memchr(buf, '\0', len)) {
        gy_diag_add(d, path, 0, 0, "定義ファイルにバイナリ (NUL) が含まれています");
        free(buf);
        return GY_EDEF;
    }
    const char *text = buf;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        text += 3;
    gy_status st = gy_tabledef_parse(path, text, out, d);
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
           c->type == GY_T_LEVEL || (c->flags & (GY_COL_KEY | GY_COL_GROUP)) || (int)col == d->label_col;
}
