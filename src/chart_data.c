/* chart_data.c - the figures a chart plots: out/charts/NAME.dat
 *
 * One tab-separated file per chart, written from the input table: the
 * rows selected (rows, where), sorted, with the figures of the series
 * (data_series), a category × key pivot with small categories folded
 * (data_pivot), ranked bars with shares (data_hbar) or a pie's slices
 * (data_pie). Every figure is recomputed in integers, every text is a
 * data field escaped for gnuplot (gy_gp_escape), never script text;
 * category labels are wrapped here (wrap_label). The extent of the figures
 * (ext) is what gnuplot.c scales the axes by. Tested by
 * tests/unit/test_chart.c (the .dat files it reads back). */
#include "chart_int.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const PALETTE[] = {"#4472c4", "#ed7d31", "#a5a5a5", "#ffc000", "#5b9bd5",
                                      "#70ad47", "#264478", "#9e480e", "#636363", "#997300"};


void put_fig(gy_buf *b, fig f)
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

const char *color_at(const chart *c, size_t i, const char *given)
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


/* the .dat of a chart, by its type */
void chart_data(const chart *c, const gy_table *t, gy_buf *b, ext *e)
{
    switch (c->type) {
    case CT_STACKED:
    case CT_BARS:
        if (c->pivot_col >= 0)
            data_pivot(c, t, b, e);
        else
            data_series(c, t, b, e);
        break;
    case CT_HBAR: data_hbar(c, t, b, e); break;
    case CT_PIE: data_pie(c, t, b, e); break;
    case CT_NONE: break;
    }
}
