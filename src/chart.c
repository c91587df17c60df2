/* chart.c - charts as data: templates/charts/NAME.chart, drawn by one gnuplot
 *
 * Three parts: the template parser (errors as file:line:col), the data
 * writer (every figure plotted, recomputed in integers, every text escaped
 * as a data field), and the script writer and runner (one gnuplot process,
 * no shell). Nothing read from an input table is ever written into the
 * script: the script refers to columns of the data files only. */
#include "gaiyo/chart.h"
#include "gaiyo/tmpl.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- templates --------------------------------------------------------- */

typedef enum ctype { CT_NONE = 0, CT_STACKED, CT_BARS, CT_HBAR, CT_PIE } ctype;
typedef enum l2kind { L2_NONE = 0, L2_CUMSUM, L2_RATIO, L2_COLUMN } l2kind;

typedef struct cseries {
    int col;
    char *title;       /* NULL: the column's label */
    char color[8];     /* "" = from the palette */
} cseries;

typedef struct cgroup {
    char *label;       /* parent row's label, or "*" for rows without one */
    char *title;
    char color[8];
} cgroup;

typedef struct chart {
    char *path, *name;
    const gy_tabledef *def;
    ctype type;
    char *title, *xlabel, *ylabel, *y2label, *font, *unit, *fold_label;
    int fontsize;
    int width, height;
    unsigned roles;        /* bit (1 << gy_role) of the rows drawn */
    int where_col;         /* -1: all rows */
    char *where_val;
    int cat_col, pivot_col, value_col;
    cseries *series;
    size_t nseries;
    l2kind l2;
    int l2a, l2b, l2dec;
    char *l2title;
    char l2color[8];
    bool l2labels;
    int l2style;           /* 0 linespoints, 1 points, 2 lines */
    bool values;           /* bars: each bar's figure printed above it */
    int xwrap;             /* wrap category labels at this width (columns; 0: no) */
    int key;               /* KEYS: where the key goes */
    bool has_ref2;
    int64_t ref2;          /* scaled by 10^l2dec */
    int sort;              /* 0 none, 1 desc, -1 asc */
    cgroup *groups;
    size_t ngroups;
    bool labels;
    int64_t fold_below;    /* percent scaled by 10; -1: no folding */
    char colors[16][8];
    size_t ncolors;
    int hole;              /* doughnut hole, percent of the radius */
    int decimals;          /* decimals of the shares computed */
    int xrotate;
    int xtic_every;
    bool print_pdf;        /* the print file: NAME.pdf (pdfcairo) instead of NAME.svg */
    unsigned seen;         /* directives given (for duplicates) */
} chart;

struct gy_chartset {
    chart **v;
    size_t n;
};

static const char *const PALETTE[] = {"#4472c4", "#ed7d31", "#a5a5a5", "#ffc000", "#5b9bd5",
                                      "#70ad47", "#264478", "#9e480e", "#636363", "#997300"};

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

enum {
    D_TYPE, D_TABLE, D_TITLE, D_SIZE, D_FONT, D_XLABEL, D_YLABEL, D_Y2LABEL, D_ROWS, D_WHERE,
    D_CATEGORY, D_PIVOT, D_VALUE, D_LINE2, D_REFLINE2, D_SORT, D_LABELS, D_FOLD_BELOW,
    D_FOLD_LABEL, D_COLORS, D_HOLE, D_DECIMALS, D_UNIT, D_XROTATE, D_XTIC_EVERY, D_SERIES, D_GROUP, D_PRINT,
    D_VALUES, D_XWRAP, D_KEY
};

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

/* the key's places (`key …`) and what gnuplot is told */
static const char *const KEYS[] = {"top-left", "top-right", "top-center", "bottom-left", "bottom-right", "below", "none"};
static const char *const KEYPOS[] = {"top left", "top right", "top center", "bottom left", "bottom right",
                                     "below center horizontal", "off"};

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

static void parse_line(parser *p, gy_word *v, int n, int di)
{
    chart *c = p->c;
    const gy_defset *defs = p->defs;
    if (di != D_SERIES && di != D_GROUP) {
        if (c->seen & (1u << di)) {
            perr(p, v[0].col, "'%s' が二度指定されています", v[0].s);
            return;
        }
        c->seen |= 1u << di;
    }
    opts o;
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
    case D_TITLE: set_text(p, &c->title, v, n); break;
    case D_XLABEL: set_text(p, &c->xlabel, v, n); break;
    case D_YLABEL: set_text(p, &c->ylabel, v, n); break;
    case D_Y2LABEL: set_text(p, &c->y2label, v, n); break;
    case D_FOLD_LABEL: set_text(p, &c->fold_label, v, n); break;
    case D_UNIT: set_text(p, &c->unit, v, n); break;
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
    case D_XROTATE:
        if (n != 2 || !parse_int(v[1].s, -90, 90, &c->xrotate))
            perr(p, n > 1 ? v[1].col : v[0].col, "xrotate は -90 から 90 (度) です");
        break;
    case D_XTIC_EVERY:
        if (n != 2 || !parse_int(v[1].s, 1, 100, &c->xtic_every))
            perr(p, n > 1 ? v[1].col : v[0].col, "xtic_every は 1 から 100 です");
        break;
    case D_VALUES:
        if (n != 2 || (strcmp(v[1].s, "yes") && strcmp(v[1].s, "no")))
            perr(p, n > 1 ? v[1].col : v[0].col, "values は yes か no です");
        else
            c->values = !strcmp(v[1].s, "yes");
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

/* ---- escaping ------------------------------------------------------------ */

bool gy_gp_escape(gy_buf *b, const char *s)
{
    bool ok = true;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            (ch && strchr(".,()/:_+", ch))) {
            ok = ok && gy_buf_add(b, &u[i], 1);
            i++;
        } else if (ch < 0x80) {
            char e[8];
            snprintf(e, sizeof e, "\\0%03o", ch);
            ok = ok && gy_buf_puts(b, e);
            i++;
        } else {
            uint32_t cp;
            int l = gy_utf8_decode(u + i, n - i, &cp);
            if (l <= 0) {
                ok = ok && gy_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                ok = ok && gy_buf_add(b, u + i, (size_t)l);
                i += (size_t)l;
            }
        }
    }
    return ok;
}

char *gy_gp_unescape(const char *s)
{
    gy_buf b = {0};
    bool ok = true;
    for (const char *p = s; *p;) {
        if (p[0] == '\\' && p[1] == '0' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
            p[3] <= '7' && p[4] >= '0' && p[4] <= '7') {
            char ch = (char)((p[2] - '0') * 64 + (p[3] - '0') * 8 + (p[4] - '0'));
            ok = ok && gy_buf_add(&b, &ch, 1);
            p += 5;
        } else {
            ok = ok && gy_buf_add(&b, p, 1);
            p++;
        }
    }
    if (!ok) {
        gy_buf_free(&b);
        return NULL;
    }
    return b.p ? b.p : gy_strdup("");
}

/* "…" with gy_gp_escape inside: a script string gnuplot reads as text */
static void q(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\"");
    gy_gp_escape(b, s ? s : "");
    gy_buf_puts(b, "\"");
}

/* ---- data ----------------------------------------------------------------- */

/* A figure: a value with its decimals, or missing. */
typedef struct fig {
    bool ok;
    int64_t v;
    int dec;
} fig;

static void put_fig(gy_buf *b, fig f)
{
    if (!f.ok) {
        gy_buf_puts(b, "-");
        return;
    }
    if (f.dec <= 0) {
        gy_buf_printf(b, "%lld", (long long)f.v);
        return;
    }
    int64_t p = gy_pow10(f.dec);
    uint64_t a = f.v < 0 ? (uint64_t)0 - (uint64_t)f.v : (uint64_t)f.v;
    gy_buf_printf(b, "%s%llu.%0*llu", f.v < 0 ? "-" : "", (unsigned long long)(a / (uint64_t)p),
                  f.dec, (unsigned long long)(a % (uint64_t)p));
}

/* The figure as people read it: 1,234 / △ 12 / 92.7 */
static void fig_text(fig f, char *buf, size_t n)
{
    if (!f.ok)
        snprintf(buf, n, "-");
    else if (f.dec <= 0)
        gy_format_int(f.v, "△", buf, n);
    else
        gy_format_ratio(f.v, f.dec, "△", buf, n);
}

static fig cell_fig(const gy_table *t, const gy_row *r, int col)
{
    fig f = {0};
    size_t ri = gy_rowi(t, r);
    if (gy_tnil(t, ri, col) != GY_NIL_NONE)
        return f;
    f.ok = true;
    f.v = gy_tv(t, ri, col);
    f.dec = gy_col_decimals(&t->def->cols[col]);
    return f;
}

static fig ratio_fig(fig num, fig den, int dec)
{
    fig f = {0};
    int64_t out;
    gy_rat a, b;
    /* exact across decimals: the share of pct() (expr.c) */
    if (!num.ok || !den.ok || !gy_rat_scaled(num.v, num.dec, &a) || !gy_rat_scaled(den.v, den.dec, &b))
        return f;
    if (gy_expr_share(a, b, 100, dec, false, &out) != GY_XV_OK)
        return f;
    f.ok = true;
    f.v = out;
    f.dec = dec;
    return f;
}

/* A row's text in a label column: 和暦 canonical for fy, text as written. */
static char *cell_label(const gy_table *t, const gy_row *r, int col)
{
    gy_cell cl;
    gy_table_cell(t, gy_rowi(t, r), (size_t)col, &cl);
    const gy_cell *c = &cl;
    if (t->def->cols[col].type == GY_T_FY && c->text) {
        gy_fy fy;
        const char *e;
        if (gy_parse_fy(c->text, &fy, &e)) {
            char buf[32];
            gy_fy_format(&fy, buf, sizeof buf);
            return gy_strdup(buf);
        }
    }
    return gy_strdup(c->text ? c->text : "");
}

typedef struct ext {
    int64_t ymax, y2max;
    int ydec, y2dec;
    bool any;  /* at least one figure to draw */
    int xlines; /* lines of the longest wrapped category label */
    const char *ovf; /* a sum that does not fit in int64 (what it is): not drawn */
} ext;

/* a category label wrapped into lines of at most `width` columns (a
 * full-width character takes two): at the last break opportunity of the
 * line in its second half (after 、・」）) or a space, before 「（(), else
 * where the line is full. Every character is kept; only '\n' is added
 * (written \0012 in the .dat; gnuplot draws it as a line break). */
static char *wrap_label(const char *s, int width)
{
    gy_buf b = {0};
    size_t n = strlen(s), start = 0; /* start of the current line in b */
    int w = 0;
    size_t brk = 0; /* b offset of the last break opportunity in this line (0: none) */
    int brkw = 0;   /* width of the line up to it */
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
        if (i + len > n)
            len = n - i;
        int cw = ch < 0x80 ? 1 : 2;
        if (ch == '\n') {
            gy_buf_add(&b, "\n", 1);
            start = b.n;
            w = 0;
            brk = 0;
            i++;
            continue;
        }
        bool before = (len == 3 && (!memcmp(s + i, "「", 3) || !memcmp(s + i, "（", 3))) || ch == '(';
        if (before && w > 0 && w >= width / 2) {
            brk = b.n;
            brkw = w;
        }
        if (w + cw > width && w > 0) {
            if (brk > start && brkw >= width / 2) {
                /* break at the opportunity: move the tail to the next line */
                size_t tail = b.n - brk;
                gy_buf_add(&b, "", 1); /* room for '\n' */
                memmove(b.p + brk + 1, b.p + brk, tail);
                b.p[brk] = '\n';
                start = brk + 1;
                w -= brkw;
            } else {
                gy_buf_add(&b, "\n", 1);
                start = b.n;
                w = 0;
            }
            brk = 0;
        }
        gy_buf_add(&b, s + i, len);
        w += cw;
        i += len;
        bool after = ch == ' ' || ch == ')' ||
                     (len == 3 && (!memcmp(s + i - 3, "、", 3) || !memcmp(s + i - 3, "・", 3) ||
                                   !memcmp(s + i - 3, "」", 3) || !memcmp(s + i - 3, "）", 3)));
        if (after && i < n) {
            brk = b.n;
            brkw = w;
        }
    }
    gy_buf_add(&b, "", 1);
    return b.p;
}

/* the category label of a chart: wrapped when the template says so
 * (counting its lines in e) */
static char *cat_text(const chart *c, const char *s, ext *e)
{
    char *r = c->xwrap ? wrap_label(s, c->xwrap) : gy_strdup(s);
    int lines = 1;
    for (const char *p = r; p && *p; p++)
        lines += *p == '\n';
    if (lines > e->xlines)
        e->xlines = lines;
    return r;
}

static void field(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\t");
    gy_gp_escape(b, s);
}

static void tabfig(gy_buf *b, fig f)
{
    gy_buf_puts(b, "\t");
    put_fig(b, f);
}

static bool row_selected(const chart *c, const gy_table *t, const gy_row *r)
{
    if (!(c->roles & (1u << r->role)))
        return false;
    if (c->where_col >= 0) {
        gy_cell cl;
        gy_table_cell(t, gy_rowi(t, r), (size_t)c->where_col, &cl);
        if (strcmp(cl.text, c->where_val))
            return false;
    }
    return true;
}

static const char *color_at(const chart *c, size_t i, const char *given)
{
    if (given && *given)
        return given;
    if (c->ncolors)
        return c->colors[i % c->ncolors];
    return PALETTE[i % (sizeof PALETTE / sizeof PALETTE[0])];
}

static long color_int(const char *hex)
{
    return strtol(hex + 1, NULL, 16);
}

static const char *series_title(const chart *c, size_t i)
{
    return c->series[i].title ? c->series[i].title : c->def->cols[c->series[i].col].label;
}

/* Extent of the figures plotted, for the axes. */

/* *acc += v, checked: an overflow marks the chart as not drawable */
static void add_ck(ext *e, int64_t *acc, int64_t v, const char *what)
{
    if (__builtin_add_overflow(*acc, v, acc) && !e->ovf)
        e->ovf = what;
}

static void ext_y(ext *e, fig f)
{
    e->any = e->any || f.ok;
    if (f.ok && f.v > e->ymax) {
        e->ymax = f.v;
        e->ydec = f.dec;
    }
}

/* selected row indices, optionally sorted by a figure */
typedef struct sel {
    size_t *v;
    size_t n;
} sel;

static const gy_table *sort_t;
static int sort_col, sort_dir;
static int cmp_rows(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    fig x = cell_fig(sort_t, &sort_t->rows[i], sort_col);
    fig y = cell_fig(sort_t, &sort_t->rows[j], sort_col);
    int64_t xv = x.ok ? x.v : INT64_MIN, yv = y.ok ? y.v : INT64_MIN;
    if (xv != yv)
        return (xv < yv ? -1 : 1) * -sort_dir;
    return i < j ? -1 : i > j;
}

static void sort_sel(sel *s, const gy_table *t, int col, int dir)
{
    if (!dir || col < 0)
        return;
    sort_t = t;
    sort_col = col;
    sort_dir = dir;
    qsort(s->v, s->n, sizeof *s->v, cmp_rows);
}

static bool select_rows(const chart *c, const gy_table *t, sel *s)
{
    s->v = calloc(t->nrows + 1, sizeof *s->v);
    s->n = 0;
    if (!s->v)
        return false;
    for (size_t i = 0; i < t->nrows; i++)
        if (row_selected(c, t, &t->rows[i]))
            s->v[s->n++] = i;
    return true;
}

/* stacked / bars without pivot: idx, label, series…, [line2, line2 label] */
static void data_series(const chart *c, const gy_table *t, gy_buf *b, ext *e)
{
    sel s;
    if (!select_rows(c, t, &s))
        return;
    sort_sel(&s, t, c->nseries ? c->series[0].col : -1, c->sort);
    gy_buf_puts(b, "idx");
    field(b, t->def->cols[c->cat_col].name);
    for (size_t k = 0; k < c->nseries; k++)
        field(b, series_title(c, k));
    if (c->l2 != L2_NONE) {
        field(b, c->l2title ? c->l2title : c->l2 == L2_RATIO ? "比率" : c->l2 == L2_CUMSUM ? "累計"
                                                                          : t->def->cols[c->l2a].label);
        field(b, "label");
        field(b, "bar_top"); /* the highest bar (stacked: the stack): the line's label goes above it */
    }
    for (size_t k = 0; c->values && k < c->nseries; k++) {
        char *h = gy_asprintf("value %zu", k + 1);
        field(b, h ? h : "value");
        free(h);
    }
    gy_buf_puts(b, "\n");
    int64_t cum = 0;
    for (size_t i = 0; i < s.n; i++) {
        const gy_row *r = &t->rows[s.v[i]];
        gy_buf_printf(b, "%zu", i);
        char *lab0 = cell_label(t, r, c->cat_col), *lab = lab0 ? cat_text(c, lab0, e) : NULL;
        field(b, lab ? lab : "");
        free(lab0);
        free(lab);
        fig sum = {0}, top = {.ok = true};
        for (size_t k = 0; k < c->nseries; k++) {
            fig f = cell_fig(t, r, c->series[k].col);
            tabfig(b, f);
            ext_y(e, f);
            if (f.ok && f.v > top.v) {
                top.v = f.v;
                top.dec = f.dec;
            }
            if (f.ok && c->type == CT_STACKED) {
                add_ck(e, &sum.v, f.v, "積み上げた棒の高さ");
                sum.ok = true;
                sum.dec = f.dec;
            }
        }
        if (c->type == CT_STACKED)
            ext_y(e, sum);
        if (c->l2 != L2_NONE) {
            fig f = {0};
            if (c->l2 == L2_CUMSUM) {
                fig x = cell_fig(t, r, c->l2a);
                if (x.ok)
                    add_ck(e, &cum, x.v, "累計");
                f.ok = true;
                f.v = cum;
                f.dec = x.ok ? x.dec : gy_col_decimals(&t->def->cols[c->l2a]);
            } else if (c->l2 == L2_RATIO) {
                f = ratio_fig(cell_fig(t, r, c->l2a), cell_fig(t, r, c->l2b), c->l2dec);
            } else {
                f = cell_fig(t, r, c->l2a);
            }
            tabfig(b, f);
            if (f.ok && f.v > e->y2max) {
                e->y2max = f.v;
                e->y2dec = f.dec;
            }
            char txt[48];
            fig_text(f, txt, sizeof txt);
            field(b, txt);
            tabfig(b, c->type == CT_STACKED && sum.ok && sum.v > top.v ? sum : top);
        }
        for (size_t k = 0; c->values && k < c->nseries; k++) {
            fig f = cell_fig(t, r, c->series[k].col);
            char txt[48] = "";
            if (f.ok)
                fig_text(f, txt, sizeof txt);
            field(b, txt);
        }
        gy_buf_puts(b, "\n");
    }
    free(s.v);
}

/* bars with pivot: categories × pivot values, small categories folded */
typedef struct pvt {
    char **cats, **keys;
    size_t ncat, nkey;
    fig *val; /* ncat * nkey */
} pvt;

static size_t find_or_add(char ***v, size_t *n, char *s, bool *oom)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], s)) {
            free(s);
            return i;
        }
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        free(s);
        *oom = true;
        return 0;
    }
    *v = nv;
    nv[*n] = s;
    return (*n)++;
}

static void data_pivot(const chart *c, const gy_table *t, gy_buf *b, ext *e)
{
    pvt p = {0};
    bool oom = false;
    sel s;
    if (!select_rows(c, t, &s))
        return;
    for (size_t i = 0; i < s.n && !oom; i++) {
        const gy_row *r = &t->rows[s.v[i]];
        char *cl = cell_label(t, r, c->cat_col), *kl = cell_label(t, r, c->pivot_col);
        if (!cl || !kl) {
            free(cl);
            free(kl);
            oom = true;
            break;
        }
        find_or_add(&p.cats, &p.ncat, cl, &oom);
        find_or_add(&p.keys, &p.nkey, kl, &oom);
    }
    if (!oom)
        p.val = calloc(p.ncat * p.nkey + 1, sizeof *p.val);
    if (!oom && p.val) {
        for (size_t i = 0; i < s.n; i++) {
            const gy_row *r = &t->rows[s.v[i]];
            char *cl = cell_label(t, r, c->cat_col), *kl = cell_label(t, r, c->pivot_col);
            size_t ci = 0, ki = 0;
            for (size_t j = 0; cl && j < p.ncat; j++)
                if (!strcmp(p.cats[j], cl))
                    ci = j;
            for (size_t j = 0; kl && j < p.nkey; j++)
                if (!strcmp(p.keys[j], kl))
                    ki = j;
            free(cl);
            free(kl);
            fig f = cell_fig(t, r, c->value_col);
            fig *dst = &p.val[ci * p.nkey + ki];
            if (f.ok) { /* two rows for one cell add up */
                if (dst->ok)
                    add_ck(e, &dst->v, f.v, "同じ棒になる行の合計");
                else
                    dst->v = f.v;
                dst->ok = true;
                dst->dec = f.dec;
            }
        }
        /* fold: a category whose share of each key's total is below the
         * threshold in every key; only when two or more fold */
        bool *fold = calloc(p.ncat + 1, sizeof *fold);
        size_t nfold = 0;
        if (fold && c->fold_below >= 0) {
            for (size_t ci = 0; ci < p.ncat; ci++) {
                bool small = true;
                for (size_t ki = 0; ki < p.nkey && small; ki++) {
                    int64_t tot = 0;
                    for (size_t j = 0; j < p.ncat; j++)
                        if (p.val[j * p.nkey + ki].ok)
                            add_ck(e, &tot, p.val[j * p.nkey + ki].v, "合計");
                    fig f = p.val[ci * p.nkey + ki];
                    int64_t share;
                    if (f.ok && gy_expr_share((gy_rat){f.v, 1}, (gy_rat){tot, 1}, 100, 1, false, &share) == GY_XV_OK &&
                        share >= c->fold_below)
                        small = false;
                }
                fold[ci] = small;
                nfold += small;
            }
            if (nfold < 2) {
                memset(fold, 0, (p.ncat + 1) * sizeof *fold);
                nfold = 0;
            }
        }
        gy_buf_puts(b, "idx");
        field(b, t->def->cols[c->cat_col].name);
        for (size_t ki = 0; ki < p.nkey; ki++)
            field(b, p.keys[ki]);
        gy_buf_puts(b, "\n");
        size_t idx = 0;
        for (size_t ci = 0; ci <= p.ncat; ci++) {
            if (ci < p.ncat && fold && fold[ci])
                continue;
            if (ci == p.ncat && !nfold)
                break;
            gy_buf_printf(b, "%zu", idx++);
            char *lab = cat_text(c, ci < p.ncat ? p.cats[ci] : c->fold_label ? c->fold_label : "その他", e);
            if (!lab)
                oom = true;
            field(b, lab ? lab : "");
            free(lab);
            for (size_t ki = 0; ki < p.nkey; ki++) {
                fig f = {0};
                if (ci < p.ncat) {
                    f = p.val[ci * p.nkey + ki];
                } else {
                    for (size_t j = 0; j < p.ncat; j++)
                        if (fold[j] && p.val[j * p.nkey + ki].ok) {
                            add_ck(e, &f.v, p.val[j * p.nkey + ki].v, "まとめた棒 (その他) の合計");
                            f.dec = p.val[j * p.nkey + ki].dec;
                            f.ok = true;
                        }
                }
                tabfig(b, f);
                ext_y(e, f);
            }
            gy_buf_puts(b, "\n");
        }
        free(fold);
    }
    for (size_t i = 0; i < p.ncat; i++)
        free(p.cats[i]);
    for (size_t i = 0; i < p.nkey; i++)
        free(p.keys[i]);
    free(p.cats);
    free(p.keys);
    free(p.val);
    free(s.v);
}

/* Share of each selected row in the total of the selected rows at the top
 * level (the `total()` of the definitions). */
static int64_t top_total(const chart *c, const gy_table *t, const sel *s, ext *e)
{
    int minlev = INT32_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (t->rows[s->v[i]].level < minlev)
            minlev = t->rows[s->v[i]].level;
    int64_t tot = 0;
    for (size_t i = 0; i < s->n; i++) {
        const gy_row *r = &t->rows[s->v[i]];
        fig f = cell_fig(t, r, c->value_col);
        if (r->level == minlev && f.ok)
            add_ck(e, &tot, f.v, "合計");
    }
    return tot;
}

static const cgroup *group_of(const chart *c, const char *parent)
{
    for (size_t i = 0; i < c->ngroups; i++)
        if (!strcmp(c->groups[i].label, parent ? parent : "*"))
            return &c->groups[i];
    if (parent)
        for (size_t i = 0; i < c->ngroups; i++)
            if (!strcmp(c->groups[i].label, "*"))
                return &c->groups[i];
    return NULL;
}

/* hbar: rank, label, value, share, label text, colour, group */
static void data_hbar(const chart *c, const gy_table *t, gy_buf *b, ext *e)
{
    sel s;
    if (!select_rows(c, t, &s))
        return;
    int64_t tot = top_total(c, t, &s, e);
    /* leaves only: a row followed by a deeper row is a parent */
    sel l = {calloc(s.n + 1, sizeof(size_t)), 0};
    const char **par = calloc(t->nrows + 1, sizeof *par);
    if (!l.v || !par) {
        free(l.v);
        free(par);
        free(s.v);
        return;
    }
    for (size_t i = 0; i < s.n; i++) {
        size_t ri = s.v[i];
        const gy_row *r = &t->rows[ri];
        bool parent = ri + 1 < t->nrows && t->rows[ri + 1].level > r->level;
        for (size_t j = ri; j-- > 0;)
            if (t->rows[j].level < r->level) {
                par[ri] = gy_row_label(t, &t->rows[j]);
                break;
            }
        if (!parent)
            l.v[l.n++] = ri;
    }
    sort_sel(&l, t, c->value_col, c->sort);
    gy_buf_puts(b, "# rank");
    field(b, t->def->cols[c->cat_col].name);
    field(b, t->def->cols[c->value_col].name);
    field(b, "share");
    field(b, "label");
    field(b, "color");
    field(b, "group");
    gy_buf_puts(b, "\n");
    for (size_t i = 0; i < l.n; i++) {
        const gy_row *r = &t->rows[l.v[i]];
        gy_buf_printf(b, "%zu", i);
        char *lab = cell_label(t, r, c->cat_col);
        field(b, lab ? lab : "");
        free(lab);
        fig v = cell_fig(t, r, c->value_col);
        fig tf = {true, tot, v.dec};
        fig sh = ratio_fig(v, tf, c->decimals);
        tabfig(b, v);
        tabfig(b, sh);
        e->any = e->any || sh.ok;
        char t1[48], t2[48], txt[160];
        fig_text(sh, t1, sizeof t1);
        fig_text(v, t2, sizeof t2);
        if (c->labels)
            snprintf(txt, sizeof txt, "%s%% (%s%s)", t1, t2, c->unit ? c->unit : "");
        else
            snprintf(txt, sizeof txt, "%s%%", t1);
        field(b, txt);
        const cgroup *g = group_of(c, par[l.v[i]]);
        gy_buf_printf(b, "\t%ld", color_int(color_at(c, 0, g ? g->color : NULL)));
        field(b, g ? g->title : par[l.v[i]] ? par[l.v[i]] : "");
        gy_buf_puts(b, "\n");
    }
    free(par);
    free(l.v);
    free(s.v);
}

/* pie: idx, label, value, share, cumulative start and end (percent),
 * colour, share text, total text */
static void data_pie(const chart *c, const gy_table *t, gy_buf *b, ext *e)
{
    sel s;
    if (!select_rows(c, t, &s))
        return;
    sort_sel(&s, t, c->value_col, c->sort);
    int64_t tot = 0;
    int dec = 0;
    for (size_t i = 0; i < s.n; i++) {
        fig f = cell_fig(t, &t->rows[s.v[i]], c->value_col);
        if (f.ok && f.v > 0)
            add_ck(e, &tot, f.v, "合計");
        dec = f.ok ? f.dec : dec;
    }
    e->any = tot > 0;
    gy_buf_puts(b, "# idx");
    field(b, t->def->cols[c->cat_col].name);
    field(b, t->def->cols[c->value_col].name);
    field(b, "share");
    field(b, "from");
    field(b, "to");
    field(b, "color");
    field(b, "label");
    field(b, "total");
    field(b, "legend");
    gy_buf_puts(b, "\n");
    int64_t cum = 0;
    fig tf = {true, tot, dec};
    char ttxt[64], tnum[48];
    fig_text(tf, tnum, sizeof tnum);
    snprintf(ttxt, sizeof ttxt, "%s%s", tnum, c->unit ? c->unit : "");
    for (size_t i = 0; i < s.n; i++) {
        const gy_row *r = &t->rows[s.v[i]];
        fig v = cell_fig(t, r, c->value_col);
        gy_buf_printf(b, "%zu", i);
        char *lab = cell_label(t, r, c->cat_col);
        field(b, lab ? lab : "");
        tabfig(b, v);
        fig sh = ratio_fig(v, tf, c->decimals);
        tabfig(b, sh);
        fig from = ratio_fig((fig){true, cum, dec}, tf, c->decimals);
        if (v.ok && v.v > 0)
            add_ck(e, &cum, v.v, "累計");
        fig to = ratio_fig((fig){true, cum, dec}, tf, c->decimals);
        tabfig(b, from);
        tabfig(b, to);
        gy_buf_printf(b, "\t%ld", color_int(color_at(c, i, NULL)));
        char t1[48], txt[64];
        fig_text(sh, t1, sizeof t1);
        snprintf(txt, sizeof txt, "%s%%", t1);
        field(b, txt);
        field(b, ttxt);
        /* the legend's text whole: gnuplot decodes a label made by a
         * string expression (strcol(2)."  ".strcol(8)) a second time, so
         * every text drawn is one field of the file, used as it is */
        char *leg = gy_asprintf("%s  %s", lab ? lab : "", txt);
        field(b, leg ? leg : "");
        free(leg);
        free(lab);
        gy_buf_puts(b, "\n");
    }
    free(s.v);
}

/* ---- script --------------------------------------------------------------- */

static void script_common(const chart *c, gy_buf *b)
{
    gy_buf_puts(b, "set title ");
    q(b, c->title ? c->title : c->def->title);
    gy_buf_puts(b, "\n");
    if (c->xlabel) {
        gy_buf_puts(b, "set xlabel ");
        q(b, c->xlabel);
        gy_buf_puts(b, "\n");
    }
    if (c->ylabel) {
        gy_buf_puts(b, "set ylabel ");
        q(b, c->ylabel);
        gy_buf_puts(b, "\n");
    }
    if (c->y2label) {
        gy_buf_puts(b, "set y2label ");
        q(b, c->y2label);
        gy_buf_puts(b, "\n");
    }
}

static void script_xtics(const chart *c, gy_buf *b)
{
    if (c->xrotate)
        gy_buf_printf(b, "set xtics nomirror rotate by %d %s\n", c->xrotate,
                      c->xrotate > 0 ? "right" : "left");
    else
        gy_buf_puts(b, "set xtics nomirror\n");
}

/* y axis: a round top and ticks written with thousands separators (the
 * labels are formatted here from numbers, never from input text) */
/* the round step and top of the y axis (above ymax > 0), in 128 bits:
 * false when the top does not fit in int64 (then gnuplot's own axis) */
static bool y_axis(int64_t ymax, int64_t *step, int64_t *top)
{
    gy_i128 raw = (gy_i128)ymax / 5 + 1, m = 1;
    while (m * 10 <= raw)
        m *= 10;
    gy_i128 st = raw <= m ? m : raw <= 2 * m ? 2 * m : raw <= 5 * m ? 5 * m : 10 * m;
    gy_i128 tp = ((gy_i128)ymax / st + 1) * st;
    if (tp > INT64_MAX)
        return false;
    *step = (int64_t)st;
    *top = (int64_t)tp;
    return true;
}

/* the top of the second axis: a round number above the highest point and
 * the reference line, room for the labels; false when it does not fit */
static bool y2_top(const chart *c, const ext *e, int64_t *top)
{
    gy_i128 top2 = e->y2max > c->ref2 ? e->y2max : c->ref2;
    gy_i128 unit = 10 * (gy_i128)gy_pow10(e->y2dec);
    gy_i128 t = ((top2 + top2 / 8) / unit + 1) * unit;
    if (t > INT64_MAX)
        return false;
    *top = (int64_t)t;
    return true;
}

/* the y axis; returns its top (0: gnuplot's own) */
static int64_t script_yaxis(gy_buf *b, const ext *e)
{
    int64_t step, top;
    if (e->ydec != 0 || e->ymax <= 0 || !y_axis(e->ymax, &step, &top)) {
        gy_buf_puts(b, "set yrange [0:*]\nset format y \"%.1f\"\n");
        return 0;
    }
    gy_buf_printf(b, "set yrange [0:%lld]\nset ytics (", (long long)top);
    for (int64_t k = 0; k <= top / step; k++) { /* k * step <= top: no overflow */
        char txt[48];
        int64_t v = k * step;
        gy_format_int(v, "-", txt, sizeof txt);
        gy_buf_printf(b, "%s\"%s\" %lld", v ? ", " : "", txt, (long long)v);
    }
    gy_buf_puts(b, ")\n");
    return top;
}

static void script_bars(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t nser,
                        size_t nrows, const ext *e)
{
    (void)t;
    script_common(c, b);
    gy_buf_puts(b, "set style data histograms\n");
    if (c->type == CT_STACKED)
        gy_buf_puts(b, "set style histogram rowstacked\nset boxwidth 0.75 relative\n");
    else
        gy_buf_puts(b, "set style histogram clustered gap 1\n");
    gy_buf_puts(b, "set style fill solid 0.9 border rgb \"#ffffff\"\n"
                   "set grid ytics lc rgb \"#dddddd\"\n"
                   "set ytics nomirror\nset key autotitle columnheader\n");
    gy_buf_printf(b, "set key %s\n", KEYPOS[c->key]);
    if (e->xlines > 1) /* room for the wrapped labels: gnuplot does not make it */
        gy_buf_printf(b, "set bmargin %d\n", e->xlines + 2);
    if (c->l2labels)
        gy_buf_puts(b, "set style textbox opaque noborder\n");
    gy_buf_printf(b, "set xrange [-0.6:%zu.4]\n", nrows ? nrows - 1 : 0);
    ext e1 = *e; /* room above the bars for the line's figures lifted over them */
    if (c->l2labels && e1.ymax > 0 && e1.ymax <= INT64_MAX - e1.ymax / 8)
        e1.ymax += e1.ymax / 8;
    int64_t top1 = script_yaxis(b, &e1), top2 = 0;
    bool have_top2 = false;
    script_xtics(c, b);
    size_t l2col = 3 + nser;
    if (c->l2 != L2_NONE) {
        gy_buf_printf(b, "set y2tics nomirror\nset format y2 \"%%.0f\"\nset y2range [0:");
        if ((have_top2 = y2_top(c, e, &top2))) {
            fig f2 = {true, top2, e->y2dec};
            put_fig(b, f2);
        } else { /* no round top in int64: gnuplot's own */
            gy_buf_puts(b, "*");
        }
        gy_buf_puts(b, "]\n");
        if (c->has_ref2) {
            fig f = {true, c->ref2, c->l2dec};
            gy_buf_puts(b, "set arrow from graph 0, second ");
            put_fig(b, f);
            gy_buf_puts(b, " to graph 1, second ");
            put_fig(b, f);
            gy_buf_puts(b, " nohead dt 2 lw 1.5 lc rgb \"#c00000\" front\n");
        }
    }
    gy_buf_printf(b, "plot \"%s\"", dat);
    for (size_t k = 0; k < nser; k++) {
        const char *col = color_at(c, k, k < c->nseries ? c->series[k].color : NULL);
        if (k == 0) {
            if (c->xtic_every > 1)
                gy_buf_printf(b, " using 3:xticlabels(int($1)%%%d==0 ? strcol(2) : \"\")",
                              c->xtic_every);
            else
                gy_buf_puts(b, " using 3:xticlabels(2)");
        } else {
            gy_buf_printf(b, ", \\\n  \"\" using %zu", 3 + k);
        }
        gy_buf_printf(b, " title columnheader(%zu) lc rgb \"%s\"", 3 + k, col);
    }
    /* each bar's figure above it (clustered, gap 1: bar k of N at x + (k + 0.5 − N/2) / (N + 1)) */
    size_t vcol = c->l2 != L2_NONE ? l2col + 3 : 3 + nser;
    for (size_t k = 0; c->values && k < nser; k++)
        gy_buf_printf(b,
                      ", \\\n  \"\" using ($1+(%zu.5-%zu/2.0)/%zu.0):%zu:%zu with labels offset 0,0.6 font \",9\" "
                      "tc rgb \"#404040\" notitle",
                      k, nser, nser + 1, 3 + k, vcol + k);
    if (c->l2 != L2_NONE) {
        const char *col = c->l2color[0] ? c->l2color : "#333333";
        static const char *const WITH[] = {"linespoints lw 2 pt 7 ps 0.6", "points pt 7 ps 1.2", "lines lw 2"};
        gy_buf_printf(b, ", \\\n  \"\" using 1:%zu axes x1y2 with %s lc rgb \"%s\" title columnheader(%zu)", l2col,
                      WITH[c->l2style], col, l2col);
        if (c->l2labels) {
            /* the figure above its point, or above the bars (and their
             * figures) where the point is lower: never on a bar; on a
             * white box where it crosses the line */
            gy_buf lift = {0}; /* the bars' top on the second axis (+ room for their figures) */
            if (top1 > 0 && have_top2) {
                fig f2 = {true, top2, e->y2dec};
                gy_buf_printf(&lift, "column(%zu)*", l2col + 2);
                put_fig(&lift, f2);
                gy_buf_printf(&lift, "/%lld.0", (long long)top1);
                if (c->values) {
                    gy_buf_puts(&lift, "+0.05*");
                    put_fig(&lift, f2);
                }
                gy_buf_add(&lift, "", 1);
            }
            if (lift.p)
                gy_buf_printf(b, ", \\\n  \"\" using 1:(column(%zu)>%s ? column(%zu) : %s):%zu", l2col, lift.p, l2col,
                              lift.p, l2col + 1);
            else
                gy_buf_printf(b, ", \\\n  \"\" using 1:%zu:%zu", l2col, l2col + 1);
            gy_buf_printf(b, " axes x1y2 with labels boxed offset 0,0.9 tc rgb \"%s\" notitle", col);
            gy_buf_free(&lift);
        }
    }
    gy_buf_puts(b, "\n");
}

static void script_hbar(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t n)
{
    (void)t;
    script_common(c, b);
    gy_buf_printf(b,
                  "set style fill solid 0.9 border rgb \"#ffffff\"\n"
                  "set yrange [-%zu.6:0.6]\nset xrange [0:*]\nset offsets 0, graph 0.18, 0, 0\n"
                  "set grid xtics lc rgb \"#dddddd\"\nset ytics nomirror scale 0\n"
                  "set xtics nomirror\nset key %s\n",
                  n ? n - 1 : 0, c->seen & (1u << D_KEY) ? KEYPOS[c->key] : "bottom right");
    gy_buf_printf(b,
                  "plot \"%s\" using 4:(-$1):(0):4:(-$1-0.4):(-$1+0.4):6:yticlabels(2) "
                  "with boxxyerror lc rgb variable notitle, \\\n"
                  "  \"\" using 4:(-$1):5 with labels left offset 0.5,0 notitle",
                  dat);
    for (size_t i = 0; i < c->ngroups; i++) {
        gy_buf_printf(b, ", \\\n  keyentry with boxes fc rgb \"%s\" title ",
                      color_at(c, 0, c->groups[i].color));
        q(b, c->groups[i].title);
    }
    gy_buf_puts(b, "\n");
}

static void script_pie(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t n)
{
    (void)t;
    script_common(c, b);
    /* no floating point in the script text: thousandths as integers */
    unsigned step = n > 9 ? (unsigned)(2000 / n) : 220;
    unsigned rlab = c->hole > 0 ? (unsigned)(1000 + c->hole * 10) / 2 : 650;
    gy_buf_printf(b,
                  "set angles degrees\nset size ratio -1\nunset border\nunset tics\nunset key\n"
                  "set xrange [-1.3:3.2]\nset yrange [-1.25:1.25]\n"
                  "set style fill solid 1.0 border rgb \"#ffffff\"\n"
                  "plot \"%s\" using (0):(0):(1):(90-$6*3.6):(90-$5*3.6):7 with circles "
                  "lc rgb variable notitle",
                  dat);
    if (c->hole > 0)
        gy_buf_printf(b,
                      ", \\\n  \"\" every ::0::0 using (0):(0):(%d/100.0) with circles "
                      "fc rgb \"#ffffff\" fs solid noborder notitle, \\\n"
                      "  \"\" every ::0::0 using (0):(0):9 with labels notitle",
                      c->hole);
    if (c->labels)
        gy_buf_printf(b,
                      ", \\\n  \"\" using (0.%03u*cos(90-($5+$6)*1.8)):($4 >= 4 ? 0.%03u*sin(90-($5+$6)*1.8) : "
                      "1/0):8 with labels tc rgb \"#ffffff\" notitle",
                      rlab, rlab);
    gy_buf_printf(b,
                  ", \\\n  \"\" using (1.3):(0.95-$1*0.%03u):(0.05):(0.05):7 with boxxyerror "
                  "lc rgb variable notitle, \\\n"
                  "  \"\" using (1.42):(0.95-$1*0.%03u):10 with labels left "
                  "notitle\n",
                  step, step);
}

/* ---- running gnuplot -------------------------------------------------------- */

static gy_status write_file(const char *path, const gy_buf *b, gy_diags *d)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        gy_diag_add(d, path, 0, 0, "書けません: %s", strerror(errno));
        return GY_EIO;
    }
    if (b->n)
        fwrite(b->p, 1, b->n, fp);
    int e1 = ferror(fp);
    int e2 = fclose(fp);
    if (e1 || e2) {
        gy_diag_add(d, path, 0, 0, "書き込みに失敗しました: %s", strerror(errno));
        return GY_EIO;
    }
    return GY_OK;
}

static bool add_file(gy_chart_outs *o, const char *name)
{
    char **nv = realloc(o->files, (o->nfiles + 1) * sizeof *nv);
    if (!nv)
        return false;
    o->files = nv;
    nv[o->nfiles] = gy_strdup(name);
    if (!nv[o->nfiles])
        return false;
    o->nfiles++;
    return true;
}

#define GP_TIMEOUT_S 300

/* gnuplot started by spawn_gnuplot, reaped by reap_gnuplot */
typedef struct gp_proc {
    pid_t pid;
    int out;         /* its stdout+stderr */
    int exec_errno;  /* exec failed with this (0: it runs) */
    bool started;
} gp_proc;

/* Start gnuplot: argv only, no shell; cwd = wd; stdin /dev/null; stdout
 * and stderr to a pipe that reap_gnuplot reads. GY_OK when it is running
 * (or when exec failed: reap_gnuplot says so). */
static gy_status spawn_gnuplot(const char *gnuplot, const char *wd, const char *script, gp_proc *g,
                               gy_diags *d)
{
    memset(g, 0, sizeof *g);
    g->out = -1;
    int out[2], ex[2];
    if (pipe(out) != 0) {
        gy_diag_add(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        return GY_EIO;
    }
    if (pipe(ex) != 0) {
        gy_diag_add(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return GY_EIO;
    }
    fcntl(ex[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    fcntl(ex[0], F_SETFD, FD_CLOEXEC);
    char *const argv[] = {(char *)gnuplot, (char *)"--default-settings", (char *)script, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        gy_diag_add(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        close(ex[0]);
        close(ex[1]);
        return GY_EIO;
    }
    if (pid == 0) {
        int e = 0;
        int nul = open("/dev/null", O_RDONLY);
        if (chdir(wd) != 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(out[1], 1) < 0 ||
            dup2(out[1], 2) < 0) {
            e = errno;
        } else {
            execvp(gnuplot, argv);
            e = errno;
        }
        ssize_t w = write(ex[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(out[1]);
    close(ex[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(ex[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(ex[0]);
    g->pid = pid;
    g->out = out[0];
    g->exec_errno = r == (ssize_t)sizeof e ? (e ? e : ENOEXEC) : 0;
    g->started = true;
    return GY_OK;
}

/* Wait for gnuplot (at most GP_TIMEOUT_S from now), keeping the start of
 * what it printed. GY_OK when it exited with 0. */
static gy_status reap_gnuplot(const char *gnuplot, gp_proc *g, gy_buf *outbuf, gy_diags *d)
{
    if (!g->started)
        return GY_EIO;
    g->started = false;
    time_t deadline = time(NULL) + GP_TIMEOUT_S;
    bool timed_out = false;
    for (;;) {
        struct pollfd pf = {.fd = g->out, .events = POLLIN};
        int left = (int)(deadline - time(NULL));
        if (left <= 0) {
            timed_out = true;
            kill(g->pid, SIGKILL);
            break;
        }
        int pr = poll(&pf, 1, left * 1000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(g->out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (outbuf->n < 16384)
            gy_buf_add(outbuf, buf, (size_t)n);
    }
    close(g->out);
    g->out = -1;
    int status = 0;
    while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (g->exec_errno) {
        gy_diag_add(d, gnuplot, 0, 0,
                    "gnuplot を実行できません: %s — グラフは描かれません (Debian: apt-get install "
                    "gnuplot-nox)",
                    strerror(g->exec_errno));
        return GY_EIO;
    }
    if (timed_out) {
        gy_diag_add(d, gnuplot, 0, 0, "gnuplot が %d 秒で終わらないので止めました", GP_TIMEOUT_S);
        return GY_EIO;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        gy_buf_add(outbuf, "", 1);
        gy_trim(outbuf->p);
        if (WIFSIGNALED(status))
            gy_diag_add(d, gnuplot, 0, 0, "gnuplot がシグナル %d で終了しました: %s",
                        WTERMSIG(status), outbuf->p);
        else
            gy_diag_add(d, gnuplot, 0, 0, "gnuplot が失敗しました (終了コード %d): %s",
                        WEXITSTATUS(status), outbuf->p);
        return GY_EIO;
    }
    return GY_OK;
}

void gy_chart_outs_free(gy_chart_outs *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].name);
        free(o->v[i].table);
        free(o->v[i].png);
        free(o->v[i].print);
        free(o->v[i].title);
    }
    free(o->v);
    for (size_t i = 0; i < o->nfiles; i++)
        free(o->files[i]);
    free(o->files);
    memset(o, 0, sizeof *o);
}

static size_t count_lines(const gy_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->p[i] == '\n';
    return n ? n - 1 : 0; /* without the header */
}

gy_status gy_charts_render(const gy_chartset *cs, const gy_dataset *ds, const char *dir,
                           const char *gnuplot, gy_chart_outs *outs, gy_diags *d)
{
    return gy_charts_render_since(cs, ds, dir, NULL, gnuplot, outs, d);
}

/* whether fontconfig knows a font family: `fc-list -q FAMILY` (exit 0 when
 * it matches, 1 when not). true when fc-list itself cannot be run: then
 * nothing is known and nothing is said. The name is an argument, never
 * shell text. */
static bool font_present(const char *family)
{
    pid_t pid = fork();
    if (pid < 0)
        return true;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        char *argv[] = {"fc-list", "-q", (char *)family, NULL};
        execvp("fc-list", argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* the section of a chart in a charts.gp ("# ---- NAME\n" up to the next) */
static bool section_of(const char *gp, const char *name, const char **s, size_t *n)
{
    if (!gp)
        return false;
    char *mark = gy_asprintf("\n# ---- %s\n", name);
    const char *a = mark ? strstr(gp, mark) : NULL;
    free(mark);
    if (!a)
        return false;
    const char *b = strstr(a + 1, "\n# ---- ");
    *s = a;
    *n = b ? (size_t)(b - a) : strlen(a);
    return true;
}

/* copy a file (a previous chart) */
static bool copy_file(const char *from, const char *to)
{
    char *buf = NULL;
    size_t len = 0;
    if (gy_read_file(from, &buf, &len) != 0)
        return false;
    FILE *fp = fopen(to, "wb");
    bool ok = fp && fwrite(buf, 1, len, fp) == len;
    if (fp && fclose(fp) != 0)
        ok = false;
    free(buf);
    return ok;
}

/* whether the previous report's state (prev/.gaiyo-state: a fingerprint
 * line, then a line per file) vouches for charts/NAME.EXT: only the images
 * of a chart that was drawn, with its font, are listed */
static bool state_lists(const char *state, const char *name, const char *ext)
{
    char *line = gy_asprintf("\ncharts/%s.%s\n", name, ext);
    bool r = state && line && strstr(state, line);
    free(line);
    return r;
}

/* whether chart `name` can be taken from prev/charts: same data, same
 * script section, both images there and listed in the previous state (a
 * chart the previous run could not draw, or drew without its font, is
 * drawn again); if so copies them into cdir */
static bool reuse_chart(const char *prev, const char *prevgp, const char *prevstate, const char *cdir,
                        const char *name, const char *ext, const gy_buf *db, const gy_buf *sec)
{
    const char *ps;
    size_t pn;
    if (!prev || !section_of(prevgp, name, &ps, &pn) || pn != sec->n || memcmp(ps, sec->p, pn) ||
        !state_lists(prevstate, name, "png") || !state_lists(prevstate, name, ext))
        return false;
    char *pd = gy_asprintf("%s/charts/%s.dat", prev, name), *old = NULL;
    size_t ol = 0;
    bool same = pd && gy_read_file(pd, &old, &ol) == 0 && ol == db->n && !memcmp(old, db->p, ol);
    free(pd);
    free(old);
    for (int k = 0; k < 2 && same; k++) {
        char *f = gy_asprintf("%s/charts/%s.%s", prev, name, k ? ext : "png");
        char *t = gy_asprintf("%s/%s.%s", cdir, name, k ? ext : "png");
        same = f && t && copy_file(f, t);
        free(f);
        free(t);
    }
    return same;
}

/* a render between gy_charts_start and gy_charts_finish */
struct gy_chart_job {
    const gy_chartset *cs;
    const char *gnuplot;
    char *cdir, *rp;         /* charts/, the script gnuplot runs (removed after) */
    bool *drawn, *fresh, *nofont;
    size_t ndrawn;
    gy_status st, s2;        /* of the data and script; of the run */
    gp_proc gp;
    gy_chart_outs outs;
    gy_chart_out *plan;      /* the charts it draws or takes over (gy_chart_job_plan) */
    size_t nplan;
};

const gy_chart_out *gy_chart_job_plan(const gy_chart_job *job, size_t *n)
{
    *n = job ? job->nplan : 0;
    return job ? job->plan : NULL;
}

gy_status gy_charts_start(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                          const char *gnuplot, gy_chart_job **jobp, gy_diags *d)
{
    *jobp = NULL;
    if (!gnuplot)
        gnuplot = "gnuplot";
    gy_chart_job *job = calloc(1, sizeof *job);
    if (!job)
        return GY_ENOMEM;
    job->cs = cs;
    job->gnuplot = gnuplot;
    job->gp.out = -1;
    *jobp = job;
    if (!cs || cs->n == 0)
        return GY_OK;
    gy_chart_outs *outs = &job->outs;
    char *cdir = gy_asprintf("%s/charts", dir);
    if (!cdir)
        return job->st = GY_ENOMEM;
    if (mkdir(cdir, 0777) != 0 && errno != EEXIST) {
        gy_diag_add(d, cdir, 0, 0, "フォルダを作れません: %s", strerror(errno));
        free(cdir);
        return job->st = GY_EIO;
    }
    gy_status st = GY_OK;
    gy_buf sc = {0};
    gy_buf_puts(&sc, "# charts.gp - written by gaiyo; every text of the input is in the .dat "
                     "files\n# run: cd charts && gnuplot --default-settings charts.gp\n");
    bool *drawn = calloc(cs->n, sizeof *drawn);
    bool *fresh = calloc(cs->n, sizeof *fresh);   /* drawn by this run (not taken over) */
    bool *nofont = calloc(cs->n, sizeof *nofont); /* … without its font */
    size_t ndrawn = 0, nrun = 0;
    gy_buf run = {0}; /* the sections gnuplot must draw this time */
    char *prevgp = NULL, *prevstate = NULL;
    if (prev) {
        char *pg = gy_asprintf("%s/charts/charts.gp", prev), *ps = gy_asprintf("%s/.gaiyo-state", prev);
        size_t pl = 0;
        if (!pg || gy_read_file(pg, &prevgp, &pl) != 0)
            prevgp = NULL;
        if (!ps || gy_read_file(ps, &prevstate, &pl) != 0)
            prevstate = NULL;
        free(pg);
        free(ps);
    }
    if (!drawn || !fresh || !nofont) {
        free(drawn);
        free(fresh);
        free(nofont);
        free(cdir);
        free(prevgp);
        free(prevstate);
        return job->st = GY_ENOMEM;
    }
    for (size_t i = 0; i < cs->n; i++) {
        const chart *c = cs->v[i];
        const gy_table *t = gy_dataset_find(ds, c->def->id, 0);
        if (!t) {
            gy_diag_add(d, c->path, 0, 0, "グラフ '%s' の表 '%s' が入力にありません", c->name,
                        c->def->id);
            if (st == GY_OK)
                st = GY_EDATA;
            continue;
        }
        gy_buf db = {0};
        ext e = {0};
        switch (c->type) {
        case CT_STACKED:
        case CT_BARS:
            if (c->pivot_col >= 0)
                data_pivot(c, t, &db, &e);
            else
                data_series(c, t, &db, &e);
            break;
        case CT_HBAR: data_hbar(c, t, &db, &e); break;
        case CT_PIE: data_pie(c, t, &db, &e); break;
        case CT_NONE: break;
        }
        if (e.ovf) {
            /* a figure too large to add up or to draw: this chart is
             * skipped, never drawn with a wrong value */
            gy_diag_add(d, c->path, 0, 0,
                        "グラフ '%s' の%sが int64 の範囲 (±9,223,372,036,854,775,807) を超えます (表 '%s') — "
                        "描きません",
                        c->name, e.ovf, c->def->id);
            if (st == GY_OK)
                st = GY_EDATA;
            gy_buf_free(&db);
            continue;
        }
        char *dat = gy_asprintf("%s.dat", c->name);
        char *datpath = gy_asprintf("%s/%s", cdir, dat ? dat : "");
        char *rel = gy_asprintf("charts/%s", dat ? dat : "");
        gy_status s1 = dat && datpath && rel && db.p ? write_file(datpath, &db, d) : GY_ENOMEM;
        if (s1 == GY_OK && !add_file(outs, rel))
            s1 = GY_ENOMEM;
        if (s1 == GY_OK && !e.any) {
            /* gnuplot would stop the whole script at a plot without points */
            gy_diag_add(d, c->path, 0, 0,
                        "グラフ '%s' には描く数値がありません (表 '%s' の選ばれた行: %s) — 描きません",
                        c->name, c->def->id, rel);
            if (st == GY_OK)
                st = GY_EDATA;
        } else if (s1 == GY_OK) {
            gy_buf sec = {0};
            size_t nrows = count_lines(&db);
            const char *font = c->font ? c->font : "Noto Sans CJK JP";
            char *fs = gy_asprintf("%s,%d", font, c->fontsize);
            gy_buf_printf(&sec, "\n# ---- %s\nreset\nset encoding utf8\n"
                               "set datafile separator \"\\t\"\nset datafile missing \"-\"\n"
                               "set datafile commentschars \"#\"\n",
                          c->name);
            gy_buf_printf(&sec, "set terminal pngcairo noenhanced size %d,%d font ", c->width,
                          c->height);
            q(&sec, fs);
            gy_buf_printf(&sec, "\nset output \"%s.png\"\n", c->name);
            free(fs);
            size_t nser = c->pivot_col >= 0 ? 0 : c->nseries;
            if (c->pivot_col >= 0) { /* series = header fields after idx, label */
                const char *nl = db.p ? memchr(db.p, '\n', db.n) : NULL;
                for (const char *p = db.p; nl && p < nl; p++)
                    nser += *p == '\t';
                nser = nser >= 1 ? nser - 1 : 0;
            }
            switch (c->type) {
            case CT_STACKED:
            case CT_BARS: script_bars(c, t, &sec, dat, nser, nrows, &e); break;
            case CT_HBAR: script_hbar(c, t, &sec, dat, nrows); break;
            case CT_PIE: script_pie(c, t, &sec, dat, nrows); break;
            case CT_NONE: break;
            }
            /* the print file: SVG (text stays text; gnuplot escapes it as
             * XML; fast) or PDF (fonts embedded; slower): the PNG's layout,
             * PDF at 72 dpi (integer arithmetic: no locale) */
            if (c->print_pdf)
                gy_buf_printf(&sec, "set terminal pdfcairo noenhanced size %d.%02din,%d.%02din font ",
                              c->width / 72, c->width % 72 * 100 / 72, c->height / 72, c->height % 72 * 100 / 72);
            else
                gy_buf_printf(&sec, "set terminal svg noenhanced size %d,%d background \"#ffffff\" font ", c->width,
                              c->height);
            fs = gy_asprintf("%s,%d", font, c->fontsize);
            q(&sec, fs);
            free(fs);
            gy_buf_printf(&sec, "\nset output \"%s.%s\"\nreplot\nset output\n", c->name, c->print_pdf ? "pdf" : "svg");
            gy_buf_add(&sc, sec.p, sec.n);
            if (reuse_chart(prev, prevgp, prevstate, cdir, c->name, c->print_pdf ? "pdf" : "svg", &db, &sec)) {
                outs->nreused++;
            } else {
                gy_buf_add(&run, sec.p, sec.n);
                nrun++;
                fresh[i] = true;
            }
            gy_buf_free(&sec);
            drawn[i] = true;
            ndrawn++;
        } else if (st == GY_OK) {
            st = s1;
        }
        gy_buf_free(&db);
        free(dat);
        free(datpath);
        free(rel);
    }
    char *gp = gy_asprintf("%s/charts.gp", cdir);
    gy_status s2 = gp && sc.p ? write_file(gp, &sc, d) : GY_ENOMEM;
    if (s2 == GY_OK && !add_file(outs, "charts/charts.gp"))
        s2 = GY_ENOMEM;
    free(gp);
    gy_buf_free(&sc);
    /* a missing font gives boxes instead of Japanese: say so (a warning;
     * the charts are still drawn) */
    for (size_t i = 0; s2 == GY_OK && i < cs->n; i++) {
        if (!fresh[i])
            continue;
        const char *font = cs->v[i]->font ? cs->v[i]->font : "Noto Sans CJK JP";
        size_t k = 0; /* an earlier chart drawn now with that font: asked once */
        while (k < i && !(fresh[k] && !strcmp(cs->v[k]->font ? cs->v[k]->font : "Noto Sans CJK JP", font)))
            k++;
        if (k < i)
            nofont[i] = nofont[k];
        else if ((nofont[i] = !font_present(font)))
            gy_diag_add(d, cs->v[i]->path, 0, 0,
                        "フォント '%s' がありません — 日本語が正しく表示されないおそれがあります (Debian: apt-get "
                        "install fonts-noto-cjk)",
                        font);
    }
    if (s2 == GY_OK && nrun) {
        /* only the changed charts: run.gp (not an output; it stays in the
         * staging folder until gnuplot is done) */
        job->rp = gy_asprintf("%s/run.gp", cdir);
        s2 = job->rp && run.p ? write_file(job->rp, &run, d) : GY_ENOMEM;
        if (s2 == GY_OK)
            s2 = spawn_gnuplot(gnuplot, cdir, "run.gp", &job->gp, d);
    }
    gy_buf_free(&run);
    free(prevgp);
    free(prevstate);
    /* the plan: what the workbook lays out before gnuplot is done */
    job->plan = calloc(ndrawn ? ndrawn : 1, sizeof *job->plan);
    if (!job->plan && st == GY_OK)
        st = GY_ENOMEM;
    for (size_t i = 0; job->plan && i < cs->n; i++) {
        if (!drawn[i])
            continue;
        gy_chart_out *o = &job->plan[job->nplan++];
        o->name = cs->v[i]->name;
        o->table = (char *)cs->v[i]->def->id;
        o->width = cs->v[i]->width;
        o->height = cs->v[i]->height;
        if (!(o->png = gy_asprintf("charts/%s.png", cs->v[i]->name)) && st == GY_OK)
            st = GY_ENOMEM;
    }
    job->cdir = cdir;
    job->drawn = drawn;
    job->fresh = fresh;
    job->nofont = nofont;
    job->ndrawn = ndrawn;
    job->st = st;
    job->s2 = s2;
    return st != GY_OK ? st : s2;
}

gy_status gy_charts_finish(gy_chart_job *job, gy_chart_outs *outs, gy_diags *d)
{
    memset(outs, 0, sizeof *outs);
    if (!job)
        return GY_OK;
    gy_status st = job->st, s2 = job->s2;
    if (job->gp.started) {
        gy_buf ob = {0};
        s2 = reap_gnuplot(job->gnuplot, &job->gp, &ob, d);
        gy_buf_free(&ob);
    }
    if (job->rp)
        unlink(job->rp);
    *outs = job->outs;
    const gy_chartset *cs = job->cs;
    const char *cdir = job->cdir;
    bool *drawn = job->drawn, *nofont = job->nofont;
    size_t ndrawn = job->ndrawn;
    if (s2 == GY_OK && ndrawn) {
        /* files gnuplot wrote (even on failure, so that the caller can
         * register or remove them) */
        for (size_t i = 0; i < cs->n; i++) {
            if (!drawn[i])
                continue;
            const chart *c = cs->v[i];
            for (int k = 0; k < 2; k++) {
                const char *ext = k ? (c->print_pdf ? "pdf" : "svg") : "png";
                char *f = gy_asprintf("%s/%s.%s", cdir, c->name, ext);
                struct stat sb;
                bool there = f && stat(f, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
                free(f);
                if (there) {
                    char *r = gy_asprintf("charts/%s.%s", c->name, ext);
                    if (!r || !add_file(outs, r))
                        s2 = GY_ENOMEM;
                    free(r);
                } else if (s2 == GY_OK) {
                    gy_diag_add(d, c->path, 0, 0, "gnuplot が charts/%s.%s を書きませんでした",
                                c->name, ext);
                    s2 = GY_EIO;
                }
            }
        }
        if (s2 == GY_OK) {
            outs->v = calloc(ndrawn, sizeof *outs->v);
            if (!outs->v)
                s2 = GY_ENOMEM;
            for (size_t i = 0; outs->v && i < cs->n; i++) {
                if (!drawn[i])
                    continue;
                const chart *c = cs->v[i];
                gy_chart_out *o = &outs->v[outs->n++];
                o->name = gy_strdup(c->name);
                o->table = gy_strdup(c->def->id);
                o->png = gy_asprintf("charts/%s.png", c->name);
                o->print = gy_asprintf("charts/%s.%s", c->name, c->print_pdf ? "pdf" : "svg");
                o->title = gy_strdup(c->title ? c->title : c->def->title);
                o->width = c->width;
                o->height = c->height;
                o->redraw = nofont[i];
                if (!o->name || !o->table || !o->png || !o->print || !o->title)
                    s2 = GY_ENOMEM;
            }
        }
    }
    if (s2 != GY_OK && (st == GY_OK || s2 == GY_ENOMEM))
        st = s2;
    for (size_t i = 0; i < job->nplan; i++)
        free(job->plan[i].png);
    free(job->plan);
    free(job->rp);
    free(job->fresh);
    free(job->nofont);
    free(job->drawn);
    free(job->cdir);
    free(job);
    return st;
}

gy_status gy_charts_render_since(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                                 const char *gnuplot, gy_chart_outs *outs, gy_diags *d)
{
    gy_chart_job *job = NULL;
    gy_status st = gy_charts_start(cs, ds, dir, prev, gnuplot, &job, d);
    if (!job) {
        memset(outs, 0, sizeof *outs);
        return st;
    }
    return gy_charts_finish(job, outs, d);
}
