/* chart_tmpl.c - the .chart template language: templates/charts/NAME.chart
 *
 * One chart per file, read by the one template reader (tmpl.c) with a
 * handler per directive group (type and table, texts and looks, rows and
 * columns, the second line, the drawing options); errors as
 * file:line:col. check_chart then says what a type still needs, and
 * gy_chartset_load reads every template of a folder. The charts it makes
 * are drawn by chart_data.c and gnuplot.c. Tested by
 * tests/unit/test_chart.c (templates and their errors). */
#include "chart_int.h"
#include "gaiyo/tmpl.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void chart_free(chart *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->name);
    free(c->title);
    free(c->xlabel);
    free(c->ylabel);
    free(c->y2label);
    free(c->font);
    free(c->unit);
    free(c->fold_label);
    free(c->where_val);
    for (size_t i = 0; i < c->nseries; i++)
        free(c->series[i].title);
    free(c->series);
    free(c->l2title);
    for (size_t i = 0; i < c->ngroups; i++) {
        free(c->groups[i].label);
        free(c->groups[i].title);
    }
    free(c->groups);
    free(c);
}

void gy_chartset_free(gy_chartset *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->n; i++)
        chart_free(cs->v[i]);
    free(cs->v);
    free(cs);
}

size_t gy_chartset_count(const gy_chartset *cs)
{
    return cs ? cs->n : 0;
}

const char *gy_chartset_name(const gy_chartset *cs, size_t i)
{
    return cs && i < cs->n ? cs->v[i]->name : NULL;
}

/* words of a line: gy_words (util.h) with GY_WORDS_HASH_WORDS, so that
 * colours are written #rrggbb */
#define MAXTOK 64


typedef struct parser {
    chart *c;
    const gy_defset *defs;
    const char *path;
    const char *line;
    unsigned ln;
    gy_diags *d;
    bool err;
} parser;

static void perr(parser *p, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(parser *p, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = gy_vasprintf(fmt, ap);
    va_end(ap);
    gy_diag_add(p->d, p->path, p->ln, col, "%s", m ? m : "?");
    free(m);
    p->err = true;
}

/* The rest of the line after the directive word: trimmed, one pair of
 * surrounding quotes removed. */
static char *rest_of_line(const char *line, const gy_word *v)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    char *s = gy_strdup(p);
    if (!s)
        return NULL;
    gy_trim(s);
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
    }
    (void)v;
    return s;
}

static bool parse_color(const char *s, char out[8])
{
    if (strlen(s) != 7 || s[0] != '#')
        return false;
    for (int i = 1; i < 7; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return false;
    }
    for (int i = 0; i < 7; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    out[7] = '\0';
    return true;
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* A decimal like 3, 3.5, 100 → scaled by 10^dec (at most dec decimals). */
static bool parse_dec(const char *s, int dec, int64_t *out)
{
    gy_num n;
    const char *e;
    if (!gy_parse_ratio(s, dec, &n, &e) || n.nil != GY_NIL_NONE)
        return false;
    *out = n.v;
    return true;
}

static bool is_numeric(const gy_coldef *c)
{
    return c->type == GY_T_AMOUNT || c->type == GY_T_COUNT || c->type == GY_T_RATIO;
}


/* A column of the chart's table; errors name the word's column. */
static int col_of(parser *p, const gy_word *t, bool numeric, bool label)
{
    if (!p->c->def) {
        if (!(p->c->seen & (1u << D_TABLE))) /* else: the table was already wrong */
            perr(p, t->col, "table より前に列 '%s' を指定しています", t->s);
        p->err = true;
        return -1;
    }
    int k = gy_tabledef_col(p->c->def, t->s);
    if (k < 0) {
        gy_buf b = {0};
        for (size_t i = 0; i < p->c->def->ncols; i++)
            gy_buf_printf(&b, "%s%s", i ? ", " : "", p->c->def->cols[i].name);
        perr(p, t->col, "表「%s」に列 '%s' はありません (列は: %s)", p->c->def->id, t->s,
             b.p ? b.p : "");
        gy_buf_free(&b);
        return -1;
    }
    const gy_coldef *cd = &p->c->def->cols[k];
    if (numeric && !is_numeric(cd)) {
        perr(p, t->col, "列 '%s' は %s 型です: 数値の列 (amount, count, ratio) を指定してください",
             t->s, gy_type_name(cd->type));
        return -1;
    }
    if (label && cd->type != GY_T_TEXT && cd->type != GY_T_FY && cd->type != GY_T_PERIOD) {
        perr(p, t->col, "列 '%s' は %s 型です: 見出しには text か fy (または period) の列を指定してください", t->s,
             gy_type_name(cd->type));
        return -1;
    }
    return k;
}

/* key=value options after the positional words: title=, color=,
 * decimals=, labels=. */
typedef struct opts {
    char *title;
    char color[8];
    int decimals;
    int labels;  /* -1 not given */
    int style;   /* -1 not given; 0 linespoints, 1 points, 2 lines */
} opts;

static bool parse_opts1(parser *p, gy_word *v, int from, int n, opts *o, const char *allowed)
{
    memset(o, 0, sizeof *o);
    o->decimals = -1;
    o->labels = -1;
    o->style = -1;
    for (int i = from; i < n; i++) {
        char *eq = strchr(v[i].s, '=');
        if (!eq) {
            perr(p, v[i].col, "余分な語 '%s' があります", v[i].s);
            return false;
        }
        *eq = '\0';
        const char *k = v[i].s, *val = eq + 1;
        char pat[32];
        snprintf(pat, sizeof pat, " %s ", k);
        if (strlen(k) > 20 || !strstr(allowed, pat)) {
            perr(p, v[i].col, "未知のオプション '%s' (使えるのは:%s)", k, allowed);
            return false;
        }
        if (!strcmp(k, "title")) {
            free(o->title);
            o->title = gy_strdup(val);
        } else if (!strcmp(k, "color")) {
            if (!parse_color(val, o->color)) {
                perr(p, v[i].col, "色 '%s' は #rrggbb の形で書いてください", val);
                return false;
            }
        } else if (!strcmp(k, "decimals")) {
            if (!parse_int(val, 0, 4, &o->decimals)) {
                perr(p, v[i].col, "decimals は 0 から 4 です: '%s'", val);
                return false;
            }
        } else if (!strcmp(k, "labels")) {
            if (strcmp(val, "yes") && strcmp(val, "no")) {
                perr(p, v[i].col, "labels は yes か no です: '%s'", val);
                return false;
            }
            o->labels = !strcmp(val, "yes");
        } else if (!strcmp(k, "style")) {
            o->style = !strcmp(val, "linespoints") ? 0 : !strcmp(val, "points") ? 1 : !strcmp(val, "lines") ? 2 : -1;
            if (o->style < 0) {
                perr(p, v[i].col, "style は linespoints, points, lines のどれかです: '%s'", val);
                return false;
            }
        }
    }
    return true;
}

/* parse_opts1, and on failure nothing kept: the title it may have copied
 * is freed (the callers give up on the line) */
static bool parse_opts(parser *p, gy_word *v, int from, int n, opts *o, const char *allowed)
{
    if (parse_opts1(p, v, from, n, o, allowed))
        return true;
    free(o->title);
    o->title = NULL;
    return false;
}

/* the key's places (`key …`); what gnuplot is told for each: KEYPOS
 * (gnuplot.c), in the same order */
static const char *const KEYS[] = {"top-left", "top-right", "top-center", "bottom-left", "bottom-right", "below", "none"};

static const char *const DIRECTIVES[] = {
    "type", "table", "title", "size", "font", "xlabel", "ylabel", "y2label", "rows", "where",
    "category", "pivot", "value", "line2", "refline2", "sort", "labels", "fold_below",
    "fold_label", "colors", "hole", "decimals", "unit", "xrotate", "xtic_every", "series", "group", "print",
    "values", "xwrap", "key"};

static void set_text(parser *p, char **dst, const gy_word *v, int n)
{
    if (n < 2) {
        perr(p, v[0].col, "%s の後に文字列がありません", v[0].s);
        return;
    }
    char *s = rest_of_line(p->line, v);
    if (!s) {
        p->err = true;
        return;
    }
    if (strlen(s) > 200) {
        perr(p, v[1].col, "%s が長すぎます (200 バイトまで)", v[0].s);
        free(s);
        return;
    }
    free(*dst);
    *dst = s;
}

/* type and table */
static void parse_kind(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    const gy_defset *defs = p->defs;
    switch (di) {
    case D_TYPE:
        if (n != 2) {
            perr(p, v[0].col, "type には一語 (stacked, bars, hbar, pie) を書いてください");
        } else if (!strcmp(v[1].s, "stacked")) {
            c->type = CT_STACKED;
        } else if (!strcmp(v[1].s, "bars")) {
            c->type = CT_BARS;
        } else if (!strcmp(v[1].s, "hbar")) {
            c->type = CT_HBAR;
        } else if (!strcmp(v[1].s, "pie")) {
            c->type = CT_PIE;
        } else {
            perr(p, v[1].col, "未知のグラフの種類 '%s' (stacked, bars, hbar, pie)", v[1].s);
        }
        break;
    case D_TABLE:
        if (n != 2) {
            perr(p, v[0].col, "table には表の id を一つ書いてください");
            break;
        }
        c->def = gy_defset_find(defs, v[1].s);
        if (!c->def) {
            gy_buf b = {0};
            for (size_t i = 0; defs && i < defs->n; i++)
                gy_buf_printf(&b, "%s%s", i ? ", " : "", defs->v[i]->id);
            perr(p, v[1].col, "未知の表 '%s' (表は: %s)", v[1].s, b.p ? b.p : "");
            gy_buf_free(&b);
        }
        break;
    }
}

/* size, print file, font, key, x axis */
static void parse_look(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    switch (di) {
    case D_SIZE:
        if (n != 3 || !parse_int(v[1].s, 200, 4000, &c->width) ||
            !parse_int(v[2].s, 150, 4000, &c->height))
            perr(p, n > 1 ? v[1].col : v[0].col,
                 "size は 幅 高さ (ピクセル, 200–4000 × 150–4000) です");
        break;
    case D_PRINT:
        if (n != 2 || (strcmp(v[1].s, "svg") && strcmp(v[1].s, "pdf"))) {
            perr(p, n > 1 ? v[1].col : v[0].col, "print は svg か pdf です");
            break;
        }
        c->print_pdf = v[1].s[0] == 'p';
        break;
    case D_FONT:
        if (n < 2 || n > 3 || strlen(v[1].s) > 100 || !*v[1].s ||
            (n == 3 && !parse_int(v[2].s, 4, 72, &c->fontsize))) {
            perr(p, n > 1 ? v[1].col : v[0].col, "font は \"名前\" [大きさ 4–72] です");
            break;
        }
        free(c->font);
        c->font = gy_strdup(v[1].s);
        break;
    case D_XROTATE:
        if (n != 2 || !parse_int(v[1].s, -90, 90, &c->xrotate))
            perr(p, n > 1 ? v[1].col : v[0].col, "xrotate は -90 から 90 (度) です");
        break;
    case D_XTIC_EVERY:
        if (n != 2 || !parse_int(v[1].s, 1, 100, &c->xtic_every))
            perr(p, n > 1 ? v[1].col : v[0].col, "xtic_every は 1 から 100 です");
        break;
    case D_KEY: {
        size_t k = 0, nk = sizeof KEYS / sizeof *KEYS;
        while (n == 2 && k < nk && strcmp(v[1].s, KEYS[k]))
            k++;
        if (n != 2 || k == nk)
            perr(p, n > 1 ? v[1].col : v[0].col,
                 "key は top-left, top-right, top-center, bottom-left, bottom-right, below, none のどれかです");
        else
            c->key = (int)k;
        break;
    }
    case D_XWRAP:
        if (n != 2 || !parse_int(v[1].s, 4, 200, &c->xwrap))
            perr(p, n > 1 ? v[1].col : v[0].col, "xwrap は 4 から 200 (半角の桁数; 全角は 2 桁) です");
        break;
    }
}

/* the rows drawn and the columns: rows, where, category, pivot, value */
static void parse_cols(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    switch (di) {
    case D_ROWS:
        if (n < 2) {
            perr(p, v[0].col, "rows には行区分 (項目, 小計, 計, 再掲, 参考) を書いてください");
            break;
        }
        c->roles = 0;
        for (int i = 1; i < n; i++) {
            char *s = v[i].s, *save = NULL;
            for (char *w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                gy_role r;
                if (!*w || !gy_role_parse(w, &r) || !strcmp(w, "")) {
                    perr(p, v[i].col, "未知の行区分 '%s'", w);
                    break;
                }
                c->roles |= 1u << r;
            }
        }
        break;
    case D_WHERE:
        if (n != 3) {
            perr(p, v[0].col, "where は 列 値 です");
            break;
        }
        c->where_col = col_of(p, &v[1], false, false);
        c->where_val = gy_strdup(v[2].s);
        break;
    case D_CATEGORY:
        if (n != 2)
            perr(p, v[0].col, "category には列を一つ書いてください");
        else
            c->cat_col = col_of(p, &v[1], false, true);
        break;
    case D_PIVOT:
        if (n != 2)
            perr(p, v[0].col, "pivot には列を一つ書いてください");
        else
            c->pivot_col = col_of(p, &v[1], false, true);
        break;
    case D_VALUE:
        if (n != 2)
            perr(p, v[0].col, "value には数値の列を一つ書いてください");
        else
            c->value_col = col_of(p, &v[1], true, false);
        break;
    }
}

/* the bars: series and group (each may come more than once) */
static void parse_series(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    opts o;
    switch (di) {
    case D_SERIES: {
        if (n < 2) {
            perr(p, v[0].col, "series には数値の列を書いてください");
            break;
        }
        int k = col_of(p, &v[1], true, false);
        if (k < 0 || !parse_opts(p, v, 2, n, &o, " title color "))
            break;
        cseries *nv = realloc(c->series, (c->nseries + 1) * sizeof *nv);
        if (!nv) {
            free(o.title);
            p->err = true;
            break;
        }
        c->series = nv;
        nv[c->nseries].col = k;
        nv[c->nseries].title = o.title;
        memcpy(nv[c->nseries].color, o.color, 8);
        c->nseries++;
        break;
    }
    case D_GROUP: {
        if (n < 2) {
            perr(p, v[0].col, "group には親の行の見出し (または *) を書いてください");
            break;
        }
        if (!parse_opts(p, v, 2, n, &o, " title color ")) {
            break;
        }
        cgroup *nv = realloc(c->groups, (c->ngroups + 1) * sizeof *nv);
        if (!nv) {
            free(o.title);
            p->err = true;
            break;
        }
        c->groups = nv;
        nv[c->ngroups].label = gy_strdup(v[1].s);
        nv[c->ngroups].title = o.title ? o.title : gy_strdup(v[1].s);
        memcpy(nv[c->ngroups].color, o.color, 8);
        c->ngroups++;
        break;
    }
    }
}

/* the second axis: line2 and refline2 */
static void parse_line2(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    opts o;
    switch (di) {
    case D_LINE2: {
        if (n < 3) {
            perr(p, v[0].col, "line2 は cumsum 列 | ratio 分子 分母 | column 列 です");
            break;
        }
        int from;
        if (!strcmp(v[1].s, "cumsum") || !strcmp(v[1].s, "column")) {
            c->l2 = !strcmp(v[1].s, "cumsum") ? L2_CUMSUM : L2_COLUMN;
            c->l2a = col_of(p, &v[2], true, false);
            from = 3;
        } else if (!strcmp(v[1].s, "ratio")) {
            if (n < 4) {
                perr(p, v[1].col, "ratio には 分子 分母 の二列が要ります");
                break;
            }
            c->l2 = L2_RATIO;
            c->l2a = col_of(p, &v[2], true, false);
            c->l2b = col_of(p, &v[3], true, false);
            from = 4;
        } else {
            perr(p, v[1].col, "未知の line2 '%s' (cumsum, ratio, column)", v[1].s);
            break;
        }
        if (!parse_opts(p, v, from, n, &o, " title color decimals labels style "))
            break;
        if (o.style >= 0)
            c->l2style = o.style;
        free(c->l2title);
        c->l2title = o.title;
        memcpy(c->l2color, o.color, 8);
        if (o.decimals >= 0)
            c->l2dec = o.decimals;
        if (o.labels >= 0)
            c->l2labels = o.labels;
        break;
    }
    case D_REFLINE2:
        if (n != 2 || !parse_dec(v[1].s, 4, &c->ref2))
            perr(p, n > 1 ? v[1].col : v[0].col, "refline2 には数値を一つ書いてください");
        else
            c->has_ref2 = true; /* scaled by 10^4; rescaled at the end */
        break;
    }
}

/* how the figures are drawn: sort, labels, fold_below, colors, hole, decimals, values */
static void parse_drawing(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    switch (di) {
    case D_SORT:
        if (n != 2 || (strcmp(v[1].s, "desc") && strcmp(v[1].s, "asc") && strcmp(v[1].s, "none")))
            perr(p, n > 1 ? v[1].col : v[0].col, "sort は desc, asc, none のどれかです");
        else
            c->sort = !strcmp(v[1].s, "desc") ? 1 : !strcmp(v[1].s, "asc") ? -1 : 0;
        break;
    case D_LABELS:
        if (n != 2 || (strcmp(v[1].s, "yes") && strcmp(v[1].s, "no")))
            perr(p, n > 1 ? v[1].col : v[0].col, "labels は yes か no です");
        else
            c->labels = !strcmp(v[1].s, "yes");
        break;
    case D_FOLD_BELOW:
        if (n != 2 || !parse_dec(v[1].s, 1, &c->fold_below) || c->fold_below < 0 ||
            c->fold_below > 1000)
            perr(p, n > 1 ? v[1].col : v[0].col,
                 "fold_below には 0 から 100 の百分率 (小数一桁まで) を書いてください");
        break;
    case D_COLORS:
        if (n < 2 || n > 17) {
            perr(p, v[0].col, "colors には #rrggbb を 1 から 16 個書いてください");
            break;
        }
        for (int i = 1; i < n; i++)
            if (!parse_color(v[i].s, c->colors[i - 1])) {
                perr(p, v[i].col, "色 '%s' は #rrggbb の形で書いてください", v[i].s);
                return;
            }
        c->ncolors = (size_t)n - 1;
        break;
    case D_HOLE:
        if (n != 2 || !parse_int(v[1].s, 0, 90, &c->hole))
            perr(p, n > 1 ? v[1].col : v[0].col, "hole は 0 から 90 (半径に対する %%) です");
        break;
    case D_DECIMALS:
        if (n != 2 || !parse_int(v[1].s, 0, 4, &c->decimals))
            perr(p, n > 1 ? v[1].col : v[0].col, "decimals は 0 から 4 です");
        break;
    case D_VALUES:
        if (n != 2 || (strcmp(v[1].s, "yes") && strcmp(v[1].s, "no")))
            perr(p, n > 1 ? v[1].col : v[0].col, "values は yes か no です");
        else
            c->values = !strcmp(v[1].s, "yes");
        break;
    }
}

static void parse_line(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    if (di != D_SERIES && di != D_GROUP) {
        if (c->seen & (1u << di)) {
            perr(p, v[0].col, "'%s' が二度指定されています", v[0].s);
            return;
        }
        c->seen |= 1u << di;
    }
    switch (di) {
    case D_TITLE: set_text(p, &c->title, v, n); break;
    case D_XLABEL: set_text(p, &c->xlabel, v, n); break;
    case D_YLABEL: set_text(p, &c->ylabel, v, n); break;
    case D_Y2LABEL: set_text(p, &c->y2label, v, n); break;
    case D_FOLD_LABEL: set_text(p, &c->fold_label, v, n); break;
    case D_UNIT: set_text(p, &c->unit, v, n); break;
    case D_TYPE:
    case D_TABLE: parse_kind(p, v, n, di); break;
    case D_SIZE:
    case D_PRINT:
    case D_FONT:
    case D_XROTATE:
    case D_XTIC_EVERY:
    case D_KEY:
    case D_XWRAP: parse_look(p, v, n, di); break;
    case D_ROWS:
    case D_WHERE:
    case D_CATEGORY:
    case D_PIVOT:
    case D_VALUE: parse_cols(p, v, n, di); break;
    case D_SERIES:
    case D_GROUP: parse_series(p, v, n, di); break;
    case D_LINE2:
    case D_REFLINE2: parse_line2(p, v, n, di); break;
    case D_SORT:
    case D_LABELS:
    case D_FOLD_BELOW:
    case D_COLORS:
    case D_HOLE:
    case D_DECIMALS:
    case D_VALUES: parse_drawing(p, v, n, di); break;
    }
}

/* the handler of every chart directive (tmpl.h): parse_line, by the
 * directive's D_ number */
static gy_status chart_dir(void *ctx, const gy_tmpl_line *l)
{
    parser *p = ctx;
    p->ln = l->ln;
    p->line = l->text;
    parse_line(p, l->w, l->n, l->id);
    return GY_OK;
}

#define CD(name, id) {name, 0, -1, chart_dir, id}
static const gy_tmpl_directive CHART_DIRS[] = {
    CD("type", D_TYPE), CD("table", D_TABLE), CD("title", D_TITLE), CD("size", D_SIZE), CD("font", D_FONT),
    CD("xlabel", D_XLABEL), CD("ylabel", D_YLABEL), CD("y2label", D_Y2LABEL), CD("rows", D_ROWS),
    CD("where", D_WHERE), CD("category", D_CATEGORY), CD("pivot", D_PIVOT), CD("value", D_VALUE),
    CD("line2", D_LINE2), CD("refline2", D_REFLINE2), CD("sort", D_SORT), CD("labels", D_LABELS),
    CD("fold_below", D_FOLD_BELOW), CD("fold_label", D_FOLD_LABEL), CD("colors", D_COLORS), CD("hole", D_HOLE),
    CD("decimals", D_DECIMALS), CD("unit", D_UNIT), CD("xrotate", D_XROTATE), CD("xtic_every", D_XTIC_EVERY),
    CD("series", D_SERIES), CD("group", D_GROUP), CD("print", D_PRINT),
    CD("values", D_VALUES), CD("xwrap", D_XWRAP), CD("key", D_KEY),
};
#undef CD

/* '#' at the start of a line or as a word '#' / "# …" is a comment, so
 * that colours are written #rrggbb */
static const gy_tmpl_format CHART_FORMAT = {
    .what = "グラフの定義", .comment = GY_TMPL_HASH_SPACE, .quotes = true, .maxwords = MAXTOK,
    .unknown = "未知の指定 '%s' (%s)", .dirs = CHART_DIRS, .ndirs = sizeof CHART_DIRS / sizeof CHART_DIRS[0]};

/* Checks after the whole file: what each type needs. */
static void check_chart(parser *p, unsigned last)
{
    chart *c = p->c;
    p->ln = last;
    if (c->type == CT_NONE) {
        gy_diag_add(p->d, p->path, 0, 0, "type (stacked, bars, hbar, pie) の指定がありません");
        p->err = true;
    }
    if (!c->def) {
        if (!(c->seen & (1u << D_TABLE))) {
            gy_diag_add(p->d, p->path, 0, 0, "table の指定がありません");
        }
        p->err = true;
        return;
    }
    if (p->err)
        return;
    const char *tn = DIRECTIVES[D_TYPE];
    (void)tn;
    if (c->cat_col < 0 && !(c->seen & (1u << D_CATEGORY))) {
        c->cat_col = c->def->label_col;
        if (c->cat_col < 0) {
            gy_diag_add(p->d, p->path, 0, 0, "category の指定がありません");
            p->err = true;
        }
    }
    bool need_value = c->type == CT_HBAR || c->type == CT_PIE || c->pivot_col >= 0;
    if (need_value && c->value_col < 0) {
        gy_diag_add(p->d, p->path, 0, 0, "value (数値の列) の指定がありません");
        p->err = true;
    }
    if ((c->type == CT_STACKED || (c->type == CT_BARS && c->pivot_col < 0)) && c->nseries == 0) {
        gy_diag_add(p->d, p->path, 0, 0, "series (棒にする数値の列) がありません");
        p->err = true;
    }
    if (c->pivot_col >= 0 && (c->type != CT_BARS || c->nseries)) {
        gy_diag_add(p->d, p->path, 0, 0, "pivot は type bars で series なしのときに使えます");
        p->err = true;
    }
    if (c->fold_below >= 0 && c->pivot_col < 0) {
        gy_diag_add(p->d, p->path, 0, 0, "fold_below は pivot と一緒に使います");
        p->err = true;
    }
    if ((c->type == CT_HBAR || c->type == CT_PIE) && c->l2 != L2_NONE) {
        gy_diag_add(p->d, p->path, 0, 0, "line2 は stacked と bars で使えます");
        p->err = true;
    }
    if (c->values && !(c->type == CT_BARS && c->pivot_col < 0)) {
        gy_diag_add(p->d, p->path, 0, 0, "values は type bars (pivot なし) で使えます");
        p->err = true;
    }
    if ((c->seen & (1u << D_KEY)) && c->type == CT_PIE) {
        gy_diag_add(p->d, p->path, 0, 0, "key は pie では使えません (凡例がありません)");
        p->err = true;
    }
    if (c->xwrap && (c->type == CT_HBAR || c->type == CT_PIE)) {
        gy_diag_add(p->d, p->path, 0, 0, "xwrap は stacked と bars で使えます");
        p->err = true;
    }
    if (c->ngroups && c->type != CT_HBAR) {
        gy_diag_add(p->d, p->path, 0, 0, "group は type hbar で使えます");
        p->err = true;
    }
    if (c->has_ref2) {
        /* rescale from 10^4 to the line's decimals */
        int64_t div = gy_pow10(4 - c->l2dec);
        if (c->ref2 % div) {
            gy_diag_add(p->d, p->path, 0, 0, "refline2 の小数が line2 の decimals より多いです");
            p->err = true;
        }
        c->ref2 /= div;
        if (c->l2 == L2_NONE) {
            gy_diag_add(p->d, p->path, 0, 0, "refline2 には line2 が要ります");
            p->err = true;
        }
    }
}

static bool name_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static gy_status chartset_parse(gy_chartset **csp, const char *path, const char *name, const char *text,
                                size_t len, const gy_defset *defs, gy_diags *d)
{
    if (!*csp) {
        *csp = calloc(1, sizeof **csp);
        if (!*csp)
            return GY_ENOMEM;
    }
    gy_chartset *cs = *csp;
    if (!name_ok(name)) {
        gy_diag_add(d, path, 0, 0,
                    "グラフの名前 '%s' は英数字, '_', '-' だけにしてください (出力ファイル名になります)",
                    name);
        return GY_EDEF;
    }
    for (size_t i = 0; i < cs->n; i++)
        if (!strcmp(cs->v[i]->name, name)) {
            gy_diag_add(d, path, 0, 0, "グラフ '%s' が二つあります (%s)", name, cs->v[i]->path);
            return GY_EDEF;
        }
    chart *c = calloc(1, sizeof *c);
    if (!c)
        return GY_ENOMEM;
    c->path = gy_strdup(path);
    c->name = gy_strdup(name);
    c->width = 1000;
    c->height = 600;
    c->fontsize = 11;
    c->roles = 1u << GY_ROLE_ITEM;
    c->where_col = c->cat_col = c->pivot_col = c->value_col = -1;
    c->l2a = c->l2b = -1;
    c->l2dec = 1;
    c->fold_below = -1;
    c->decimals = 1;
    c->xtic_every = 1;
    c->hole = 0;
    parser p = {.c = c, .defs = defs, .path = path, .d = d};
    size_t nd0 = d->n + d->dropped;
    gy_status rs = gy_tmpl_read(path, text, len, &CHART_FORMAT, &p, d);
    if (rs != GY_OK) {
        chart_free(c);
        return rs;
    }
    if (d->n + d->dropped > nd0)
        p.err = true; /* the reader's own: an unknown directive, too many words */
    unsigned ln = 0;
    for (size_t i = 0; i < len; i++)
        ln += text[i] == '\n';
    if (!c->path || !c->name)
        p.err = true;
    check_chart(&p, ln);
    if (p.err) {
        chart_free(c);
        return GY_EDEF;
    }
    chart **nv = realloc(cs->v, (cs->n + 1) * sizeof *nv);
    if (!nv) {
        chart_free(c);
        return GY_ENOMEM;
    }
    cs->v = nv;
    cs->v[cs->n++] = c;
    return GY_OK;
}

gy_status gy_chartset_parse(gy_chartset **csp, const char *path, const char *name,
                            const char *text, const gy_defset *defs, gy_diags *d)
{
    return chartset_parse(csp, path, name, text, strlen(text), defs, d);
}

gy_status gy_chartset_load(const char *dir, const gy_defset *defs, gy_chartset **out, gy_diags *d)
{
    *out = NULL;
    gy_chartset *cs = calloc(1, sizeof *cs);
    if (!cs)
        return GY_ENOMEM;
    char **names = NULL; /* DIR/NAME.chart, sorted */
    size_t nn = 0;
    int err = gy_dir_list(dir, ".chart", &names, &nn);
    if (err == ENOENT) { /* no templates: no charts */
        *out = cs;
        return GY_OK;
    }
    if (err) {
        if (err != ENOMEM)
            gy_diag_add(d, dir, 0, 0, "グラフのテンプレートのフォルダを読めません: %s", strerror(err));
        free(cs);
        return err == ENOMEM ? GY_ENOMEM : GY_EIO;
    }
    gy_status st = GY_OK;
    size_t dl = strlen(dir) + 1;
    for (size_t i = 0; i < nn && st != GY_ENOMEM; i++) {
        const char *path = names[i];
        char *name = gy_strndup(path + dl, strlen(path + dl) - 6);
        char *text = NULL;
        size_t len;
        int e = gy_read_file_in(path, NULL, GY_CONF_MAX, &text, &len);
        gy_status s1;
        char eb[256];
        if (!name) {
            s1 = GY_ENOMEM;
        } else if (e) {
            gy_diag_add(d, path, 0, 0, "読めません: %s", gy_file_strerror(e, GY_CONF_MAX, eb, sizeof eb));
            s1 = GY_EIO;
        } else {
            s1 = chartset_parse(&cs, path, name, text, len, defs, d);
        }
        if (s1 != GY_OK && (st == GY_OK || s1 == GY_ENOMEM))
            st = s1;
        free(text);
        free(name);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (st != GY_OK) {
        gy_chartset_free(cs);
        return st;
    }
    *out = cs;
    return GY_OK;
}

