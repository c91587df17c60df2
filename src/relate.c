/* relate.c - relations between tables (relate) and figures of the text (figure) */
#include "gaiyo/relate.h"
#include "gaiyo/expr.h"
#include "gaiyo/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ------------------------------------------------------------ */

static const char *skipsp(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool name_end(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '[' || c == ']' || c == '(' || c == ')' || c == '.' ||
           c == '=' || c == ',' || c == '"' || c == '#' || c == '+' || c == '-' || c == '*' || c == '/';
}

static char *trimmed(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    return gy_strndup(a, (size_t)(b - a));
}

void gy_relref_free(gy_relref *r)
{
    free(r->table);
    free(r->col);
    for (size_t i = 0; i < r->nsel; i++) {
        free(r->sel[i].col);
        free(r->sel[i].value);
    }
    free(r->sel);
    memset(r, 0, sizeof *r);
}

/* a value: "quoted" (anything but a quote) or bare up to ',' or close */
static char *sel_value(const char *p, char close, const char **end, const char **err, const char **errat)
{
    p = skipsp(p);
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        if (!q) {
            *err = "'\"' が閉じていません";
            *errat = p;
            return NULL;
        }
        *end = skipsp(q + 1);
        return gy_strndup(p + 1, (size_t)(q - p - 1));
    }
    const char *q = p;
    while (*q && *q != ',' && *q != close && *q != '"' && !(close == ']' && *q == '#'))
        q++;
    *end = q;
    char *v = trimmed(p, q);
    if (v && !*v) {
        free(v);
        *err = "選択の値がありません";
        *errat = p;
        return NULL;
    }
    return v;
}

bool gy_relsel_parse(const char *s, char close, const char **end, gy_relref *out, const char **err,
                     const char **errat)
{
    const char *p = skipsp(s);
    if (*p == close) {
        *end = p;
        return true;
    }
    for (;;) {
        p = skipsp(p);
        const char *at = p;
        gy_selterm term = {0};
        term.colno = (unsigned)(at - s); /* a byte offset for now: the caller makes it a column */
        if (*p != '"') {
            const char *q = p;
            while (*q && *q != '=' && *q != ',' && *q != close && *q != '"')
                q++;
            if (*q == '=') {
                term.col = trimmed(p, q);
                if (term.col && !*term.col) {
                    free(term.col);
                    *err = "選択の '=' の前に列名がありません";
                    *errat = at;
                    return false;
                }
                p = q + 1;
            }
        }
        const char *vend;
        term.value = sel_value(p, close, &vend, err, errat);
        if (!term.value) {
            free(term.col);
            if (!*err)
                *err = "メモリが足りません";
            return false;
        }
        gy_selterm *nv = realloc(out->sel, (out->nsel + 1) * sizeof *nv);
        if (!nv) {
            free(term.col);
            free(term.value);
            *err = "メモリが足りません";
            *errat = at;
            return false;
        }
        out->sel = nv;
        out->sel[out->nsel++] = term;
        p = skipsp(vend);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == close) {
            *end = p;
            return true;
        }
        *err = close ? "選択は [列=値, 列=値 …] です: ']' がありません" : "選択は 列=値, 列=値 … です";
        *errat = p;
        return false;
    }
}

bool gy_relref_parse(const char *s, const char **end, gy_relref *out, const char **err, const char **errat)
{
    memset(out, 0, sizeof *out);
    *err = NULL;
    const char *p = skipsp(s), *a = p;
    while (!name_end(*p))
        p++;
    if (p == a) {
        *err = "列名がありません";
        *errat = a;
        return false;
    }
    char *n1 = gy_strndup(a, (size_t)(p - a));
    if (*p == '.') {
        out->table = n1;
        a = ++p;
        while (!name_end(*p))
            p++;
        if (p == a) {
            *err = "'表.' の後に列名がありません";
            *errat = a;
            return false;
        }
        n1 = gy_strndup(a, (size_t)(p - a));
    }
    if (!n1) {
        *err = "メモリが足りません";
        *errat = a;
        return false;
    }
    if (*p == '(') {
        if (!strcmp(n1, "sum"))
            out->fn = GY_REL_SUM;
        else if (!strcmp(n1, "count"))
            out->fn = GY_REL_COUNT;
        else {
            free(n1);
            *err = "未知の関数です (sum, count が使えます)";
            *errat = a;
            return false;
        }
        free(n1);
        a = p = skipsp(p + 1);
        while (!name_end(*p))
            p++;
        if (p == a) {
            *err = "関数の () の中に列名がありません";
            *errat = a;
            return false;
        }
        n1 = gy_strndup(a, (size_t)(p - a));
        p = skipsp(p);
        if (*p != ')') {
            free(n1);
            *err = "')' がありません";
            *errat = p;
            return false;
        }
        p++;
    }
    out->col = n1;
    const char *q = skipsp(p);
    if (*q == '[') {
        const char *e;
        if (!gy_relsel_parse(q + 1, ']', &e, out, err, errat))
            return false;
        for (size_t i = 0; i < out->nsel; i++)
            out->sel[i].colno += (unsigned)(q + 1 - s);
        p = e + 1;
    }
    *end = p;
    return true;
}

bool gy_relation_parse(const char *path, unsigned ln, unsigned off, const char *body, gy_relation *out,
                       gy_diags *d)
{
    memset(out, 0, sizeof *out);
    out->line = ln;
    const char *err = NULL, *at = NULL, *e;
    const char *p = skipsp(body);
    if (!gy_relref_parse(p, &e, &out->left, &err, &at))
        goto fail;
    out->left.colno = off + gy_char_col(body, p);
    for (size_t i = 0; i < out->left.nsel; i++)
        out->left.sel[i].colno = off + gy_char_col(body, p + out->left.sel[i].colno);
    p = skipsp(e);
    if (*p != '=') {
        err = "relate は「relate 列[選択] = 表.列[選択] error|warning|info」の形です: '=' がありません";
        at = p;
        goto fail;
    }
    p = skipsp(p + 1);
    if (!gy_relref_parse(p, &e, &out->right, &err, &at))
        goto fail;
    out->right.colno = off + gy_char_col(body, p);
    for (size_t i = 0; i < out->right.nsel; i++)
        out->right.sel[i].colno = off + gy_char_col(body, p + out->right.sel[i].colno);
    p = skipsp(e);
    const char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    size_t wl = (size_t)(p - w);
    if (wl == 5 && !strncmp(w, "error", 5))
        out->sev = GY_SEV_ERROR;
    else if (wl == 7 && !strncmp(w, "warning", 7))
        out->sev = GY_SEV_WARNING;
    else if (wl == 4 && !strncmp(w, "info", 4))
        out->sev = GY_SEV_INFO;
    else {
        err = "relate の最後に差の重さ (error, warning, info) が要ります";
        at = w;
        goto fail;
    }
    p = skipsp(p);
    if (*p && *p != '#') {
        err = "relate の後に余分な文字があります";
        at = p;
        goto fail;
    }
    if (out->left.fn != GY_REL_CELL) {
        err = "relate の左辺はこの表の 1 つの値 (列[選択]) です";
        at = body;
        goto fail;
    }
    out->text = trimmed(skipsp(body), w + wl);
    if (!out->text) {
        err = "メモリが足りません";
        at = body;
        goto fail;
    }
    return true;
fail:
    gy_diag_add(d, path, ln, off + gy_char_col(body, at ? at : body), "%s", err ? err : "メモリが足りません");
    gy_relref_free(&out->left);
    gy_relref_free(&out->right);
    free(out->text);
    out->text = NULL;
    return false;
}

/* ---- checking references against definitions --------------------------- */

static bool numeric(gy_type t)
{
    return t == GY_T_AMOUNT || t == GY_T_COUNT || t == GY_T_RATIO;
}

/* a selector term's column and value in definition def: NULL when right,
 * else a message in buf (the term's column in *col) */
static const char *term_check(const gy_tabledef *def, const gy_selterm *st, int *col, char *buf, size_t n)
{
    int c = st->col ? gy_tabledef_col(def, st->col) : def->label_col;
    *col = c;
    if (c < 0) {
        snprintf(buf, n, "選択の列 '%s' が表 '%s' にありません", st->col, def->id);
        return buf;
    }
    const gy_coldef *cd = &def->cols[c];
    const char *e = NULL;
    bool now = !strcmp(st->value, "当年度");
    switch (cd->type) {
    case GY_T_FY: {
        gy_fy fy;
        if (!now && !gy_parse_fy(st->value, &fy, &e)) {
            snprintf(buf, n, "選択の値 '%s' は列 '%s' の年度として読めません: %s", st->value, cd->name, e);
            return buf;
        }
        return NULL;
    }
    case GY_T_PERIOD: {
        gy_period pe;
        if (!now && !gy_parse_period(st->value, &pe, &e)) {
            snprintf(buf, n, "選択の値 '%s' は列 '%s' の期間として読めません: %s", st->value, cd->name, e);
            return buf;
        }
        return NULL;
    }
    case GY_T_ROLE: {
        gy_role r;
        if (!gy_role_parse(st->value, &r)) {
            snprintf(buf, n, "選択の値 '%s' は行区分 (項目, 小計, 計, 再掲, 参考) ではありません", st->value);
            return buf;
        }
        return NULL;
    }
    case GY_T_TEXT:
    case GY_T_MARKER:
    case GY_T_LEVEL:
        return NULL;
    default:
        snprintf(buf, n, "選択に数値の列 '%s' は使えません (文字列・年度・期間・行区分の列で選びます)", cd->name);
        return buf;
    }
}

/* the target column of a reference: NULL when right */
static const char *target_check(const gy_tabledef *def, const gy_relref *r, int *col, char *buf, size_t n)
{
    int c = gy_tabledef_col(def, r->col);
    *col = c;
    if (c < 0) {
        snprintf(buf, n, "列 '%s' が表 '%s' にありません", r->col, def->id);
        return buf;
    }
    if (r->fn != GY_REL_COUNT && !numeric(def->cols[c].type)) {
        snprintf(buf, n, "列 '%s' は数値の列ではありません (%s)", r->col, gy_type_name(def->cols[c].type));
        return buf;
    }
    return NULL;
}

/* the type a reference's value has, for comparing with another */
static bool same_kind(const gy_tabledef *ld, int lc, const gy_tabledef *rd, int rc, gy_relfn fn)
{
    const gy_coldef *a = &ld->cols[lc];
    if (fn == GY_REL_COUNT)
        return a->type == GY_T_COUNT;
    const gy_coldef *b = &rd->cols[rc];
    if (a->type != b->type)
        return false;
    return a->type != GY_T_RATIO || (a->decimals == b->decimals && a->scale == b->scale);
}

void gy_relate_check_defs(const gy_defset *s, gy_diags *d)
{
    char buf[512];
    for (size_t i = 0; i < s->n; i++) {
        const gy_tabledef *t = s->v[i];
        for (size_t k = 0; k < t->nrels; k++) {
            const gy_relation *rl = &t->rels[k];
            int lc = -1, rc = -1, sc;
            const char *m;
            if (rl->left.table && strcmp(rl->left.table, t->id)) {
                gy_diag_add(d, t->path, rl->line, rl->left.colno, "relate の左辺はこの表 '%s' の値です ('%s' ではなく)",
                            t->id, rl->left.table);
                continue;
            }
            bool ok = true;
            if ((m = target_check(t, &rl->left, &lc, buf, sizeof buf))) {
                gy_diag_add(d, t->path, rl->line, rl->left.colno, "relate: %s", m);
                ok = false;
            }
            for (size_t j = 0; j < rl->left.nsel; j++)
                if ((m = term_check(t, &rl->left.sel[j], &sc, buf, sizeof buf))) {
                    gy_diag_add(d, t->path, rl->line, rl->left.sel[j].colno, "relate: %s", m);
                    ok = false;
                }
            const gy_tabledef *o = rl->right.table ? gy_defset_find(s, rl->right.table) : t;
            if (!o) {
                gy_diag_add(d, t->path, rl->line, rl->right.colno, "relate の表 '%s' は定義されていません",
                            rl->right.table);
                continue;
            }
            if ((m = target_check(o, &rl->right, &rc, buf, sizeof buf))) {
                gy_diag_add(d, t->path, rl->line, rl->right.colno, "relate: %s", m);
                ok = false;
            }
            for (size_t j = 0; j < rl->right.nsel; j++)
                if ((m = term_check(o, &rl->right.sel[j], &sc, buf, sizeof buf))) {
                    gy_diag_add(d, t->path, rl->line, rl->right.sel[j].colno, "relate: %s", m);
                    ok = false;
                }
            if (ok && !same_kind(t, lc, o, rc, rl->right.fn))
                gy_diag_add(d, t->path, rl->line, rl->right.colno,
                            "relate の両辺の型が違います: '%s' は %s、'%s' は %s%s", t->cols[lc].name,
                            gy_type_name(t->cols[lc].type), rl->right.col,
                            rl->right.fn == GY_REL_COUNT ? "count()" : gy_type_name(o->cols[rc].type),
                            rl->right.fn == GY_REL_COUNT ? " (行数は count の列と比べます)" : "");
        }
    }
}

int gy_relate_keep(const gy_tabledef *od, const gy_table *t, bool *keep)
{
    if (od->fig)
        return -1;
    int any = 0;
    for (size_t k = 0; k < od->nrels; k++) {
        const gy_relation *rl = &od->rels[k];
        const gy_relref *r = &rl->right;
        if (strcmp(r->table ? r->table : od->id, t->def->id))
            continue;
        int c = gy_tabledef_col(t->def, r->col);
        if (c >= 0)
            keep[c] = true, any = 1;
        for (size_t j = 0; j < r->nsel; j++) {
            int sc = r->sel[j].col ? gy_tabledef_col(t->def, r->sel[j].col) : t->def->label_col;
            if (sc >= 0)
                keep[sc] = true, any = 1;
        }
    }
    return any;
}

/* ---- checking the data --------------------------------------------------- */

/* a selector term resolved against a table */
typedef struct rterm {
    int col;
    gy_type type;
    int64_t v;
    const char *text;
} rterm;

static void resolve_terms(const gy_table *o, const gy_relref *r, rterm *rt)
{
    for (size_t j = 0; j < r->nsel; j++) {
        const gy_selterm *st = &r->sel[j];
        int c = st->col ? gy_tabledef_col(o->def, st->col) : o->def->label_col;
        rt[j] = (rterm){.col = c, .type = o->def->cols[c].type, .text = st->value};
        bool now = !strcmp(st->value, "当年度");
        const char *e;
        if (rt[j].type == GY_T_FY) {
            gy_fy fy = {0};
            if (now)
                fy.western = o->fy.western;
            else
                gy_parse_fy(st->value, &fy, &e);
            rt[j].v = fy.western;
        } else if (rt[j].type == GY_T_PERIOD) {
            gy_period pe = {0};
            if (now)
                pe.start = pe.end = o->fy;
            else
                gy_parse_period(st->value, &pe, &e);
            rt[j].v = gy_period_key(&pe);
        } else if (rt[j].type == GY_T_ROLE) {
            gy_role ro = GY_ROLE_ITEM;
            gy_role_parse(st->value, &ro);
            rt[j].v = ro;
        }
    }
}

static bool row_matches(const gy_table *o, size_t i, const rterm *rt, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const rterm *x = &rt[j];
        switch (x->type) {
        case GY_T_FY:
        case GY_T_PERIOD:
            if (gy_tnil(o, i, x->col) != GY_NIL_NONE || gy_tv(o, i, x->col) != x->v)
                return false;
            break;
        case GY_T_ROLE:
            if (o->rows[i].role != x->v)
                return false;
            break;
        default: {
            char b[512];
            snprintf(b, sizeof b, "%s", x->text);
            gy_trim(b);
            if (strcmp(gy_ttext(o, i, x->col), b))
                return false;
        }
        }
    }
    return true;
}

/* what a reference read */
typedef enum rst { R_OK = 0, R_NIL, R_UNKNOWN, R_OVERFLOW } rst;

typedef struct rres {
    size_t n;            /* rows matched */
    size_t first, second;
    rst st;
    int64_t v;
} rres;

static void ref_eval(const gy_table *o, const rterm *rt, size_t nt, gy_relfn fn, int col, rres *r)
{
    memset(r, 0, sizeof *r);
    r->first = r->second = SIZE_MAX;
    bool any = false, unknown = false;
    for (size_t i = 0; i < o->nrows; i++) {
        if (!row_matches(o, i, rt, nt))
            continue;
        if (r->n == 0)
            r->first = i;
        else if (r->n == 1)
            r->second = i;
        r->n++;
        gy_nil nil = gy_tnil(o, i, col);
        if (nil == GY_NIL_UNKNOWN)
            unknown = true;
        if (nil != GY_NIL_NONE)
            continue;
        any = true;
        if (fn == GY_REL_COUNT) {
            r->v++;
        } else if (fn == GY_REL_SUM) {
            if (__builtin_add_overflow(r->v, gy_tv(o, i, col), &r->v))
                r->st = R_OVERFLOW;
        } else if (r->n == 1) {
            r->v = gy_tv(o, i, col);
        }
    }
    if (r->st == R_OVERFLOW)
        return;
    if (fn == GY_REL_CELL) {
        if (r->n == 1 && !any)
            r->st = unknown ? R_UNKNOWN : R_NIL;
    } else if (unknown) {
        r->st = R_UNKNOWN;
    } else if (!any && fn == GY_REL_SUM) {
        r->st = R_NIL;
    }
}

typedef struct rctx {
    const gy_table *t;
    gy_findings *out;
    bool oom;
    const char *group, *what; /* the next info's group line and subject (add clears them) */
} rctx;

static void add(rctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *rowlabel,
                const char *stated, const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
    __attribute__((format(printf, 11, 12)));

/* a finding at (row, col) of c->t; row = nrows: no row (the column's
 * heading, line 1) */
static void add(rctx *c, gy_sev sev, const char *rule, size_t row, int col, const char *rowlabel,
                const char *stated, const char *computed, bool hasv, int64_t cv, const char *fmt, ...)
{
    const gy_table *t = c->t;
    gy_finding g = {.sev = sev, .rule = rule, .has_computed = hasv, .computed_v = cv};
    if (sev == GY_SEV_INFO && c->group) {
        /* an info's group line and subject (set by the caller for this one) */
        g.group = c->group;
        if (c->what && *c->what && !(g.what = gy_strdup(c->what)))
            c->oom = true;
    }
    c->group = c->what = NULL;
    if (row < t->nrows) {
        gy_finding_place(&g, t, row, col);
    } else {
        g.table = t;
        g.row = row;
        g.col = col;
        g.rowlabel = gy_strdup(rowlabel);
        g.collabel = gy_strdup(t->def->cols[col].label);
        g.line = 1;
        g.colno = t->csvcol ? t->csvcol[col] : 0;
    }
    g.stated = gy_strdup(stated);
    g.computed = gy_strdup(computed);
    va_list ap;
    va_start(ap, fmt);
    if (!gy_findings_addv(c->out, &g, fmt, ap))
        c->oom = true;
    va_end(ap);
}

static void fmt_num(const gy_coldef *cd, int64_t v, char *buf, size_t n)
{
    if (cd->type == GY_T_RATIO)
        gy_format_ratio(v, cd->decimals, "△", buf, n);
    else
        gy_format_int(v, "△", buf, n);
}

/* "列=値, 列=値" of a selector (the label column's name for a bare value) */
static void sel_text(const gy_tabledef *def, const gy_relref *r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < r->nsel && at < n; j++) {
        const char *cn = r->sel[j].col ? r->sel[j].col : def->cols[def->label_col].name;
        int k = snprintf(buf + at, n - at, "%s%s=%s", j ? ", " : "", cn, r->sel[j].value);
        if (k < 0)
            break;
        at += (size_t)k;
    }
    if (!r->nsel)
        snprintf(buf, n, "全行");
}

/* the file:line:col of a cell */
static void cell_pos(const gy_table *o, size_t row, int col, char *buf, size_t n)
{
    gy_cell cb;
    gy_table_cell(o, row, (size_t)col, &cb);
    snprintf(buf, n, "%s:%u:%u", o->path, cb.line ? cb.line : o->rows[row].line, cb.col);
}

static const char *fn_name(gy_relfn fn)
{
    return fn == GY_REL_SUM ? "の合計" : fn == GY_REL_COUNT ? "の記載のある行数" : "";
}

/* the right side's value against the stated figure at (row, col) of c->t:
 * findings with rule `rule`; where: "定義 …" or "本文 …" for messages */
static void compare(rctx *c, const char *rule, gy_sev sev, size_t row, int col, const gy_table *o,
                    const gy_relref *r, int oc, const char *where)
{
    const gy_table *t = c->t;
    const gy_coldef *cd = &t->def->cols[col];
    char sel[600], sb[64], rb[64], db[64], pos[600], pos2[600];
    sel_text(o->def, r, sel, sizeof sel);
    fmt_num(cd, gy_tv(t, row, col), sb, sizeof sb);
    gy_nil ln = gy_tnil(t, row, col);
    rterm *rt = calloc(r->nsel ? r->nsel : 1, sizeof *rt);
    if (!rt) {
        c->oom = true;
        return;
    }
    resolve_terms(o, r, rt);
    rres x;
    ref_eval(o, rt, r->nsel, r->fn, oc, &x);
    free(rt);
    const char *ocl = o->def->cols[oc].label;
    if (x.n == 0) {
        add(c, GY_SEV_ERROR, rule, row, col, "", ln ? "" : sb, "", false, 0,
            "照合先がありません: %s (%s) に %s の行がありません (%s)", o->def->title, o->path, sel, where);
        return;
    }
    if (r->fn == GY_REL_CELL && x.n > 1) {
        cell_pos(o, x.first, oc, pos, sizeof pos);
        cell_pos(o, x.second, oc, pos2, sizeof pos2);
        add(c, GY_SEV_ERROR, rule, row, col, "", ln ? "" : sb, "", false, 0,
            "照合先が 1 つに決まりません: %s の %s の行が %zu 行あります (%s, %s%s)。選択に列を足してください (%s)",
            o->def->title, sel, x.n, pos, pos2, x.n > 2 ? " …" : "", where);
        return;
    }
    if (r->fn == GY_REL_CELL)
        cell_pos(o, x.first, oc, pos, sizeof pos);
    else
        snprintf(pos, sizeof pos, "%s, %zu 行", o->path, x.n);
    if (x.st == R_OVERFLOW) {
        add(c, GY_SEV_ERROR, rule, row, col, "", ln ? "" : sb, "", false, 0,
            "照合先 %s の %s%s の合計が扱える範囲 (±9,223,372,036,854,775,807) を超えるため照合できません (%s)",
            o->def->title, ocl, fn_name(r->fn), where);
        return;
    }
    if (ln != GY_NIL_NONE || x.st != R_OK) {
        c->group = "{what} の記載がないため {n} の数値を照合できません";
        c->what = ln != GY_NIL_NONE ? "この表" : o->def->title;
        add(c, GY_SEV_INFO, rule, row, col, "", ln ? "" : sb, "", false, 0,
            "%s の記載がないため照合できません: %s の「%s」の %s%s (%s) (%s)",
            ln != GY_NIL_NONE ? "この値" : x.st == R_UNKNOWN ? "照合先に不明 (…) の値があり、照合先" : "照合先",
            o->def->title, sel, ocl, fn_name(r->fn), pos, where);
        return;
    }
    int64_t lv = gy_tv(t, row, col), diff;
    if (lv == x.v)
        return;
    bool ovf = __builtin_sub_overflow(lv, x.v, &diff);
    if (r->fn == GY_REL_COUNT)
        gy_format_int(x.v, "△", rb, sizeof rb);
    else
        fmt_num(cd, x.v, rb, sizeof rb);
    if (ovf)
        snprintf(db, sizeof db, "(範囲外)");
    else
        fmt_num(cd, diff, db, sizeof db);
    c->group = "{n} の数値が {what} と一致しません。誤りとは限りません";
    c->what = o->def->title;
    add(c, sev, rule, row, col, "", sb, rb, true, x.v, "%s と %s の「%s」の %s%s %s (%s) が一致しません。差 %s%s (%s)",
        sb, o->def->title, sel, ocl, fn_name(r->fn), rb, pos, db, sev == GY_SEV_INFO ? "。誤りとは限りません" : "",
        where);
}

/* the table of definition id in t's year; *known: some year has one
 * (also a later year not read yet: a table checked early, report.c) */
static const gy_table *find_table(const gy_dataset *ds, const char *id, int western, bool *known)
{
    *known = gy_dataset_has_file(ds, id);
    return gy_dataset_find(ds, id, western);
}

static void check_relations(rctx *c, const gy_dataset *ds)
{
    const gy_table *t = c->t;
    const gy_tabledef *def = t->def;
    for (size_t k = 0; k < def->nrels && !c->oom; k++) {
        const gy_relation *rl = &def->rels[k];
        int lc = gy_tabledef_col(def, rl->left.col);
        char where[600], sel[600];
        snprintf(where, sizeof where, "定義 %s:%u: relate %s", def->path, rl->line, rl->text);
        sel_text(def, &rl->left, sel, sizeof sel);
        rterm *rt = calloc(rl->left.nsel ? rl->left.nsel : 1, sizeof *rt);
        if (!rt) {
            c->oom = true;
            return;
        }
        resolve_terms(t, &rl->left, rt);
        rres x;
        ref_eval(t, rt, rl->left.nsel, GY_REL_CELL, lc, &x);
        free(rt);
        if (x.n == 0) {
            /* an empty table is warned about where it is read: here an info */
            c->group = "この表に行がないため {n} の関係を照合できません";
            add(c, t->nrows ? GY_SEV_ERROR : GY_SEV_INFO, "relate", t->nrows, lc, sel, "", "", false, 0,
                "この表に %s の行がないため照合できません%s (%s)", sel, t->nrows ? "" : " (表に行がありません)", where);
            continue;
        }
        if (x.n > 1) {
            char p1[600], p2[600];
            cell_pos(t, x.first, lc, p1, sizeof p1);
            cell_pos(t, x.second, lc, p2, sizeof p2);
            add(c, GY_SEV_ERROR, "relate", x.first, lc, "", "", "", false, 0,
                "この表の %s の行が 1 つに決まりません: %zu 行あります (%s, %s%s)。選択に列を足してください (%s)", sel,
                x.n, p1, p2, x.n > 2 ? " …" : "", where);
            continue;
        }
        bool known;
        const gy_table *o = rl->right.table ? find_table(ds, rl->right.table, t->fy.western, &known) : t;
        if (!o) {
            char sb[64];
            fmt_num(&def->cols[lc], gy_tv(t, x.first, lc), sb, sizeof sb);
            c->group = "照合先の表 ({what}) のこの年度のファイルがないため {n} の数値を照合できません";
            c->what = rl->right.table;
            add(c, GY_SEV_INFO, "relate", x.first, lc, "", sb, "", false, 0,
                "照合先の表 '%s' の %d 年度のファイルがないため照合できません (%s)", rl->right.table, t->fy.western,
                where);
            continue;
        }
        compare(c, "relate", (gy_sev)rl->sev, x.first, lc, o, &rl->right, gy_tabledef_col(o->def, rl->right.col),
                where);
    }
}

/* ---- figures of the text ------------------------------------------------ */

/* the leaves of a figure's 列 expression (gy_expr_parse_leaves) */
typedef struct fleaves {
    gy_relref *v;
    size_t n, cap;
    const char *start;   /* the cell's text, for positions */
} fleaves;

static bool fleaf_read(void *u, const char **p, int *idx, const char **err, const char **errat)
{
    fleaves *f = u;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 4;
        gy_relref *nv = realloc(f->v, nc * sizeof *nv);
        if (!nv) {
            *err = "メモリが足りません";
            return false;
        }
        f->v = nv;
        f->cap = nc;
    }
    gy_relref r;
    const char *end;
    if (!gy_relref_parse(*p, &end, &r, err, errat)) {
        gy_relref_free(&r);
        return false;
    }
    if (r.table) {
        gy_relref_free(&r);
        *err = "照合先の表は「照合先の表」の欄に書きます (列に '表.' は書けません)";
        *errat = *p;
        return false;
    }
    f->v[f->n] = r;
    *idx = (int)f->n++;
    *p = end;
    return true;
}

static void fleaves_free(fleaves *f)
{
    for (size_t i = 0; i < f->n; i++)
        gy_relref_free(&f->v[i]);
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* the decimals a number is written with: digits after its '.' (or '．') */
static int written_decimals(const char *s)
{
    int d = -1;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        bool dot = *p == '.' || (p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x8E);
        bool digit = (*p >= '0' && *p <= '9') || (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99);
        if (dot)
            d = 0;
        else if (digit && d >= 0)
            d++;
        else if (!digit && d >= 0 && *p != ' ')
            break;
        p += (*p == 0xEF && p[1] && p[2]) ? 3 : 1;
    }
    return d < 0 ? 0 : d;
}

/* a leaf's selector: the row's (行) terms, each replaced by the leaf's own
 * term on the same column, and the leaf's other terms (borrowed strings) */
static gy_relref merged_ref(const gy_tabledef *od, const gy_relref *rows, const gy_relref *leaf, gy_selterm *buf)
{
    gy_relref m = {.fn = leaf->fn, .col = leaf->col, .sel = buf};
    for (size_t j = 0; j < rows->nsel; j++) {
        const gy_selterm *a = &rows->sel[j];
        int ca = a->col ? gy_tabledef_col(od, a->col) : od->label_col;
        bool replaced = false;
        for (size_t k = 0; k < leaf->nsel && !replaced; k++) {
            const gy_selterm *b = &leaf->sel[k];
            replaced = (b->col ? gy_tabledef_col(od, b->col) : od->label_col) == ca;
        }
        if (!replaced)
            buf[m.nsel++] = *a;
    }
    for (size_t k = 0; k < leaf->nsel; k++)
        buf[m.nsel++] = leaf->sel[k];
    return m;
}

/* a leaf's value once read: the rational and how it was found */
typedef struct fval {
    rres x;
    gy_rat v;
} fval;

static gy_xval fleaf_value(void *u, const gy_expr *e)
{
    const fval *fv = u;
    return (gy_xval){GY_XV_OK, fv[e->col].v};
}

/* a value at `dec` decimals, half away from zero, as text; *exact: no
 * rounding was needed. False on overflow. */
static bool fmt_rat(gy_rat v, int dec, char *buf, size_t n, int64_t *scaled, bool *exact)
{
    if (!gy_rat_to_scaled(v, dec, false, scaled, exact))
        return false;
    gy_format_ratio(*scaled, dec, "△", buf, n);
    return true;
}

/* what check_figure's steps share about one row of a figure table */
typedef struct figrow {
    size_t i; /* the row */
    const gy_figspec *fs;
    const char *colt;  /* its 列: the expression */
    const gy_table *o; /* the table it is checked against */
    char where[300];
    fleaves lv; /* the leaves of 列 */
    gy_diags pd;
    gy_expr *ex;
    gy_relref rs;   /* its 行: the rows' selector */
    fval *fv;       /* a value per leaf */
    gy_selterm *mb; /* room for a leaf's merged selector */
    /* the stated figure */
    int d, vdec; /* decimals it is written with (≤ vdec), its column's */
    gy_nil ln;
    int64_t sv; /* its value at d decimals */
    char sb[64], sel[600], pos[600];
} figrow;

/* the 差の重さ cell: error, warning, info (誤り, 警告, 情報) */
static bool figure_sev(const char *s, gy_sev *sev)
{
    if (!strcmp(s, "error") || !strcmp(s, "誤り"))
        *sev = GY_SEV_ERROR;
    else if (!strcmp(s, "warning") || !strcmp(s, "警告"))
        *sev = GY_SEV_WARNING;
    else if (!strcmp(s, "info") || !strcmp(s, "情報"))
        *sev = GY_SEV_INFO;
    else
        return false;
    return true;
}

/* the 照合先の表 of row i in its year; NULL (and a finding) if none */
static const gy_table *figure_target(rctx *c, const gy_dataset *ds, figrow *f, const char *tab)
{
    const gy_table *t = c->t;
    bool known;
    const gy_table *o = *tab ? find_table(ds, tab, t->fy.western, &known) : NULL;
    if (o)
        return o;
    if (*tab && known) {
        c->group = "照合先の表 ({what}) のこの年度のファイルがないため {n} の数値を照合できません";
        c->what = tab;
        add(c, GY_SEV_INFO, "figure", f->i, f->fs->value, "", "", "", false, 0,
            "照合先の表 '%s' の %d 年度のファイルがないため照合できません (%s)", tab, t->fy.western, f->where);
    } else
        add(c, GY_SEV_ERROR, "figure", f->i, f->fs->table, "", "", "", false, 0, "表 '%s' は読み込んだ表にありません",
            tab);
    return NULL;
}

/* 列: an expression whose leaves are COL, sum(COL), count(COL), each with
 * an optional [selector] of its own; 行: a selector of the target's rows.
 * False after a finding (or c->oom). */
static bool figure_parse(rctx *c, figrow *f, const char *rows)
{
    const gy_table *t = c->t;
    const gy_figspec *fs = f->fs;
    const char *p = f->colt;
    f->lv.start = f->colt;
    f->ex = gy_expr_parse_leaves(&p, fleaf_read, &f->lv, t->path, t->rows[f->i].line, f->colt, 0, &f->pd);
    const char *err = NULL, *errat = NULL, *end;
    if (!f->ex || *skipsp(p)) {
        add(c, GY_SEV_ERROR, "figure", f->i, fs->col, "", "", "", false, 0, "照合先の列が読めません: %s (%u 文字目)",
            f->pd.n ? f->pd.v[0].msg : "式の後に余分な文字があります",
            f->pd.n ? f->pd.v[0].col : gy_char_col(f->colt, p));
        return false;
    }
    if (!gy_relsel_parse(rows, '\0', &end, &f->rs, &err, &errat)) {
        add(c, GY_SEV_ERROR, "figure", f->i, fs->rows, "", "", "", false, 0, "行の選択が読めません: %s",
            err ? err : "メモリが足りません");
        return false;
    }
    char buf[512];
    int sc;
    const char *m;
    for (size_t j = 0; j < f->rs.nsel; j++)
        if ((m = term_check(f->o->def, &f->rs.sel[j], &sc, buf, sizeof buf))) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->rows, "", "", "", false, 0, "%s", m);
            return false;
        }
    f->fv = calloc(f->lv.n, sizeof *f->fv);
    size_t maxsel = f->rs.nsel;
    for (size_t k = 0; k < f->lv.n; k++)
        maxsel = maxsel > f->rs.nsel + f->lv.v[k].nsel ? maxsel : f->rs.nsel + f->lv.v[k].nsel;
    f->mb = calloc(maxsel ? maxsel : 1, sizeof *f->mb);
    if (!f->fv || !f->mb) {
        c->oom = true;
        return false;
    }
    return true;
}

/* every leaf names a numeric column and rows that exist; a sum of
 * amounts is stated in the unit of its table (千円). False after a
 * finding. */
static bool figure_leaves_ok(rctx *c, figrow *f)
{
    const gy_table *t = c->t, *o = f->o;
    const gy_figspec *fs = f->fs;
    char buf[512];
    int sc;
    const char *m;
    bool amounts = true; /* every leaf an amount (not a count of rows) */
    for (size_t k = 0; k < f->lv.n; k++) {
        int oc;
        if ((m = target_check(o->def, &f->lv.v[k], &oc, buf, sizeof buf))) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->col, "", "", "", false, 0, "%s", m);
            return false;
        }
        for (size_t j = 0; j < f->lv.v[k].nsel; j++)
            if ((m = term_check(o->def, &f->lv.v[k].sel[j], &sc, buf, sizeof buf))) {
                add(c, GY_SEV_ERROR, "figure", f->i, fs->col, "", "", "", false, 0, "%s", m);
                return false;
            }
        if (f->lv.v[k].fn == GY_REL_COUNT || o->def->cols[oc].type != GY_T_AMOUNT)
            amounts = false;
    }
    if (fs->unit >= 0 && amounts && !gy_expr_has(f->ex, GY_X_MUL) && !gy_expr_has(f->ex, GY_X_DIV) &&
        !gy_expr_has(f->ex, GY_X_PCT)) {
        char u[128];
        snprintf(u, sizeof u, "%s", o->def->unit);
        char *sep = strstr(u, "、");
        if (sep)
            *sep = '\0';
        gy_trim(u);
        if (strcmp(gy_ttext(t, f->i, fs->unit), u)) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->unit, "", "", "", false, 0,
                "金額の単位は照合先 %s の単位 '%s' で書いてください", o->def->title, u);
            return false;
        }
    }
    return true;
}

/* the stated figure, with the decimals it is written with */
static void figure_stated(rctx *c, figrow *f)
{
    const gy_table *t = c->t;
    const gy_coldef *vcd = &t->def->cols[f->fs->value];
    f->vdec = gy_col_decimals(vcd);
    gy_cell vc;
    gy_table_cell(t, f->i, (size_t)f->fs->value, &vc);
    f->d = written_decimals(vc.text);
    if (f->d > f->vdec)
        f->d = f->vdec;
    f->ln = gy_tnil(t, f->i, f->fs->value);
    f->sv = gy_tv(t, f->i, f->fs->value) / gy_pow10(f->vdec - f->d); /* exact: written with d decimals */
    if (f->ln == GY_NIL_NONE)
        gy_format_ratio(f->sv, f->d, "△", f->sb, sizeof f->sb);
    sel_text(f->o->def, &f->rs, f->sel, sizeof f->sel);
}

/* read every leaf into f->fv, its position into f->pos: a miss, an
 * ambiguity or an overflow is an error, a blank an info, as for one
 * figure. False after a finding. */
static bool figure_read(rctx *c, figrow *f)
{
    const gy_table *o = f->o;
    const gy_figspec *fs = f->fs;
    size_t at = 0;
    for (size_t k = 0; k < f->lv.n; k++) {
        const gy_relref *lr = &f->lv.v[k];
        gy_relref mr = merged_ref(o->def, &f->rs, lr, f->mb);
        int oc = gy_tabledef_col(o->def, lr->col);
        rterm *rt = calloc(mr.nsel ? mr.nsel : 1, sizeof *rt);
        if (!rt) {
            c->oom = true;
            return false;
        }
        resolve_terms(o, &mr, rt);
        rres *x = &f->fv[k].x;
        ref_eval(o, rt, mr.nsel, mr.fn, oc, x);
        free(rt);
        char ls[600], p1[600], p2[600];
        sel_text(o->def, &mr, ls, sizeof ls);
        const char *ocl = o->def->cols[oc].label;
        if (x->n == 0) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0,
                "照合先がありません: %s (%s) に %s の行がありません (%s)", o->def->title, o->path, ls, f->where);
            return false;
        }
        if (mr.fn == GY_REL_CELL && x->n > 1) {
            cell_pos(o, x->first, oc, p1, sizeof p1);
            cell_pos(o, x->second, oc, p2, sizeof p2);
            add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0,
                "照合先が 1 つに決まりません: %s の %s の行が %zu 行あります (%s, %s%s)。選択に列を足してください (%s)",
                o->def->title, ls, x->n, p1, p2, x->n > 2 ? " …" : "", f->where);
            return false;
        }
        if (mr.fn == GY_REL_CELL)
            cell_pos(o, x->first, oc, p1, sizeof p1);
        else
            snprintf(p1, sizeof p1, "%s, %zu 行", o->path, x->n);
        if (at < sizeof f->pos) {
            int w = snprintf(f->pos + at, sizeof f->pos - at, "%s%s", k ? "; " : "", p1);
            at += w > 0 ? (size_t)w : 0;
        }
        if (x->st == R_OVERFLOW) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0,
                "照合先 %s の %s%s の合計が扱える範囲 (±9,223,372,036,854,775,807) を超えるため照合できません (%s)",
                o->def->title, ocl, fn_name(mr.fn), f->where);
            return false;
        }
        if (f->ln != GY_NIL_NONE || x->st != R_OK) {
            add(c, GY_SEV_INFO, "figure", f->i, fs->value, "", f->sb, "", false, 0,
                "%s の記載がないため照合できません: %s の「%s」の %s%s (%s) (%s)",
                f->ln != GY_NIL_NONE ? "この値"
                : x->st == R_UNKNOWN ? "照合先に不明 (…) の値があり、照合先"
                                     : "照合先",
                o->def->title, ls, ocl, fn_name(mr.fn), p1, f->where);
            return false;
        }
        int ld = mr.fn == GY_REL_COUNT ? 0 : gy_col_decimals(&o->def->cols[oc]);
        if (!gy_rat_scaled(x->v, ld, &f->fv[k].v)) {
            add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0, "照合先の値を扱えません (%s)",
                f->where);
            return false;
        }
    }
    return true;
}

/* the table's figure, rounded half away from zero (四捨五入) to the
 * decimals the text prints, against the stated one */
static void figure_compare(rctx *c, figrow *f, gy_sev sev)
{
    const gy_table *o = f->o;
    const gy_figspec *fs = f->fs;
    int d = f->d;
    char rb[96], db[64];
    gy_xenv env = {.leaf = fleaf_value, .u = f->fv, .scale = 100, .decimals = d};
    gy_xval r = gy_expr_eval(f->ex, &env);
    int64_t cs, cdiff;
    bool exact;
    if (r.st == GY_XV_NONE || r.st == GY_XV_ALLUP) {
        add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0,
            "照合先の式 %s の割る数が 0 のため照合できません (%s の「%s」: %s) (%s)", f->colt, o->def->title, f->sel,
            f->pos, f->where);
        return;
    }
    if (r.st != GY_XV_OK || !fmt_rat(r.v, d, rb, sizeof rb, &cs, &exact)) {
        add(c, GY_SEV_ERROR, "figure", f->i, fs->value, "", f->sb, "", false, 0,
            "照合先の式 %s の値が扱える範囲を超えるため照合できません (%s)", f->colt, f->where);
        return;
    }
    if (cs == f->sv)
        return;
    if (!exact) {
        /* show where the rounding came from: four more decimals, cut */
        int64_t more;
        char mb2[64];
        if (gy_rat_to_scaled(r.v, d + 4, true, &more, NULL)) {
            gy_format_ratio(more, d + 4, "△", mb2, sizeof mb2);
            size_t l = strlen(rb);
            snprintf(rb + l, sizeof rb - l, " (%s… を四捨五入)", mb2);
        }
    }
    if (__builtin_sub_overflow(f->sv, cs, &cdiff))
        snprintf(db, sizeof db, "(範囲外)");
    else
        gy_format_ratio(cdiff, d, "△", db, sizeof db);
    int64_t cv = 0;
    bool hasv = !__builtin_mul_overflow(cs, gy_pow10(f->vdec - d), &cv);
    if (f->ex->op == GY_X_REF) { /* one figure of the table, as written */
        const gy_relref *lr = &f->lv.v[0];
        char ls[600];
        gy_relref mr = merged_ref(o->def, &f->rs, lr, f->mb);
        sel_text(o->def, &mr, ls, sizeof ls);
        add(c, sev, "figure", f->i, fs->value, "", f->sb, rb, hasv, cv,
            "%s と %s の「%s」の %s%s %s (%s) が一致しません。差 %s%s (%s)", f->sb, o->def->title, ls,
            o->def->cols[gy_tabledef_col(o->def, lr->col)].label, fn_name(lr->fn), rb, f->pos, db,
            sev == GY_SEV_INFO ? "。誤りとは限りません" : "", f->where);
    } else {
        add(c, sev, "figure", f->i, fs->value, "", f->sb, rb, hasv, cv,
            "%s と %s の「%s」の %s = %s (%s) が一致しません。差 %s%s (%s)", f->sb, o->def->title, f->sel, f->colt, rb,
            f->pos, db, sev == GY_SEV_INFO ? "。誤りとは限りません" : "", f->where);
    }
}

/* one row of a figure table */
static void check_figure(rctx *c, const gy_dataset *ds, size_t i)
{
    const gy_table *t = c->t;
    const gy_figspec *fs = t->def->fig;
    const char *tab = gy_ttext(t, i, fs->table), *rows = gy_ttext(t, i, fs->rows);
    figrow f = {.i = i, .fs = fs, .colt = gy_ttext(t, i, fs->col)};
    snprintf(f.where, sizeof f.where, "本文の数字 %s:%u", t->path, t->rows[i].line);
    gy_sev sev;
    if (!figure_sev(gy_ttext(t, i, fs->sev), &sev)) {
        add(c, GY_SEV_ERROR, "figure", i, fs->sev, "", "", "", false, 0,
            "差の重さは error, warning, info (誤り, 警告, 情報) のどれかです");
        return;
    }
    if (!(f.o = figure_target(c, ds, &f, tab)))
        return;
    if (figure_parse(c, &f, rows) && figure_leaves_ok(c, &f)) {
        figure_stated(c, &f);
        if (figure_read(c, &f))
            figure_compare(c, &f, sev);
    }
    free(f.mb);
    free(f.fv);
    gy_relref_free(&f.rs);
    gy_expr_free(f.ex);
    fleaves_free(&f.lv);
    gy_diags_free(&f.pd);
}

gy_status gy_relate_table(const gy_dataset *ds, const gy_table *t, gy_findings *out)
{
    rctx c = {.t = t, .out = out};
    check_relations(&c, ds);
    if (t->def->fig)
        for (size_t i = 0; i < t->nrows && !c.oom; i++)
            if (t->rows[i].role == GY_ROLE_ITEM)
                check_figure(&c, ds, i);
    return c.oom ? GY_ENOMEM : GY_OK;
}

const char *gy_relsel_rows(const gy_table *t, const gy_relref *r, size_t **rows, size_t *n, char *buf, size_t bn)
{
    *rows = NULL;
    *n = 0;
    for (size_t j = 0; j < r->nsel; j++) {
        int col;
        const char *e = term_check(t->def, &r->sel[j], &col, buf, bn);
        if (e)
            return e;
    }
    rterm one, *rt = r->nsel > 1 ? malloc(r->nsel * sizeof *rt) : &one;
    if (!rt)
        return "メモリが足りません";
    resolve_terms(t, r, rt);
    size_t cap = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (!row_matches(t, i, rt, r->nsel))
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            size_t *nv = realloc(*rows, nc * sizeof *nv);
            if (!nv) {
                free(*rows);
                *rows = NULL;
                *n = 0;
                if (rt != &one)
                    free(rt);
                return "メモリが足りません";
            }
            *rows = nv;
            cap = nc;
        }
        (*rows)[(*n)++] = i;
    }
    if (rt != &one)
        free(rt);
    return NULL;
}
