/* layout.c - parse templates/sheets/NAME.sheet (format: templates/README.md) */
#include "gaiyo/layout.h"
#include "gaiyo/tmpl.h"
#include "gaiyo/util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gy_layout_free(gy_layout *l)
{
    if (!l)
        return;
    free(l->path);
    free(l->table);
    free(l->sheet);
    free(l->title);
    free(l->asof);
    free(l->section);
    free(l->unit);
    free(l->pivot_key);
    free(l->pivot_col);
    free(l->pivot_keys);
    free(l->block);
    for (size_t i = 0; i < l->nheader; i++) {
        for (size_t j = 0; j < l->nfields && l->header[i]; j++)
            free(l->header[i][j]);
        free(l->header[i]);
    }
    free(l->header);
    free(l->header_line);
    free(l->header_colno);
    for (size_t i = 0; i < l->nfields; i++) {
        free(l->fields[i].col);
        free(l->fields[i].where);
        free(l->fields[i].suffix);
        free(l->fields[i].prefix);
    }
    free(l->fields);
    for (size_t i = 0; i < l->nnotes; i++)
        free(l->notes[i]);
    free(l->notes);
    for (size_t i = 0; i < l->nrename; i++) {
        free(l->rename_from[i]);
        free(l->rename_to[i]);
    }
    free(l->rename_from);
    free(l->rename_to);
    for (size_t i = 0; i < l->nsubrows; i++) {
        free(l->subrows[i].after);
        free(l->subrows[i].caption);
        free(l->subrows[i].pairs);
        free(l->subrows[i].dst);
        free(l->subrows[i].src);
    }
    free(l->subrows);
    for (size_t i = 0; i < l->nsplits; i++) {
        free(l->splits[i].col);
        free(l->splits[i].where);
    }
    free(l->splits);
    free(l->repeat.col);
    free(l->repeat.where);
    free(l);
}

void gy_layouts_free(gy_layouts *ls)
{
    if (!ls)
        return;
    for (size_t i = 0; i < ls->n; i++)
        gy_layout_free(ls->v[i]);
    free(ls->v);
    free(ls->font);
    free(ls->negative);
    free(ls->title);
    free(ls->author);
    free(ls->company);
    free(ls->date);
    memset(ls, 0, sizeof *ls);
}

const gy_layout *gy_layouts_find(const gy_layouts *ls, const char *table)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->v[i]->table, table))
            return ls->v[i];
    return NULL;
}

/* grow *arr (of elements of size sz) to hold n + 1 */
static bool grow(void *arr, size_t n, size_t sz)
{
    void **p = arr;
    void *nv = realloc(*p, (n + 1) * sz);
    if (!nv)
        return false;
    *p = nv;
    return true;
}

/* split s on '|' into trimmed copies */
static char **split_bar(const char *s, size_t *n)
{
    char *copy = gy_strdup(s);
    if (!copy)
        return NULL;
    char **v = NULL;
    *n = 0;
    char *p = copy;
    for (;;) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        if (!grow(&v, *n, sizeof *v) || !(v[*n] = gy_strdup(gy_trim(p)))) {
            for (size_t i = 0; i < *n; i++)
                free(v[i]);
            free(v);
            free(copy);
            return NULL;
        }
        (*n)++;
        if (!bar)
            break;
        p = bar + 1;
    }
    free(copy);
    return v;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool set_once(char **dst, const char *v, const char *path, unsigned ln, unsigned col, const char *kw,
                     gy_diags *d)
{
    if (*dst) {
        gy_diag_add(d, path, ln, col, "'%s' が 2 回あります", kw);
        return true;
    }
    *dst = gy_strdup(v);
    return *dst != NULL;
}

static int positive(const char *s)
{
    if (!*s)
        return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return (int)v;
}

/* the character column of p, a pointer into the rest of line l */
static unsigned rest_colno(const gy_tmpl_line *tl, const char *p)
{
    return tl->rest_col + gy_char_col(tl->rest, p) - 1;
}

/* field COL [where VALUE] [width N] [wrap] [label] [once] [prefix COL] */
static bool parse_field(gy_layout *l, const gy_tmpl_line *tl, gy_diags *d, bool *label)
{
    unsigned ln = tl->ln;
    gy_lfield f = {.line = ln, .prefix_idx = -1};
    const gy_word *w = tl->w;
    int nw = tl->n, i = 1;
    *label = false;
    if (nw < 2) {
        gy_diag_add(d, l->path, ln, w[0].col, "field には列名が要ります");
        return true;
    }
    f.colno = w[1].col;
    if (!(f.col = gy_strdup(w[1].s)))
        return false;
    bool ok = true;
    for (i = 2; i < nw; i++) {
        const char *tok = w[i].s;
        if (!strcmp(tok, "wrap")) {
            f.wrap = true;
        } else if (!strcmp(tok, "label")) {
            *label = true;
        } else if (!strcmp(tok, "once")) {
            f.once = true;
        } else if (!strcmp(tok, "prefix")) {
            unsigned tcol = w[i].col;
            const char *v = i + 1 < nw ? w[++i].s : NULL;
            if (!v) {
                gy_diag_add(d, l->path, ln, tcol, "field の prefix には列名が要ります");
                ok = false;
            } else {
                free(f.prefix);
                f.prefix_colno = w[i].col;
                if (!(f.prefix = gy_strdup(v))) {
                    free(f.col);
                    free(f.where);
                    free(f.suffix);
                    return false;
                }
            }
        } else if (!strcmp(tok, "suffix")) {
            const char *v = i + 1 < nw ? w[++i].s : NULL;
            if (!v || strchr(v, '"') || strlen(v) > 8) {
                gy_diag_add(d, l->path, ln, w[i].col, "field の suffix は 8 バイトまでの '\"' を含まない文字です");
                ok = false;
            } else {
                free(f.suffix);
                if (!(f.suffix = gy_strdup(v))) {
                    free(f.col);
                    free(f.where);
                    free(f.prefix);
                    return false;
                }
            }
        } else if (!strcmp(tok, "where") || !strcmp(tok, "width")) {
            unsigned tcol = w[i].col;
            const char *v = i + 1 < nw ? w[++i].s : NULL;
            if (!v) {
                gy_diag_add(d, l->path, ln, tcol, "field の %s に値がありません", tok);
                ok = false;
            } else if (tok[1] == 'h') {
                free(f.where);
                f.where_colno = tcol;
                if (!(f.where = gy_strdup(v))) {
                    free(f.col);
                    free(f.suffix);
                    free(f.prefix);
                    return false;
                }
            } else if ((f.width = positive(v)) <= 0 || f.width > 255) {
                gy_diag_add(d, l->path, ln, w[i].col, "field の width は 1〜255 の整数です: '%s'", v);
                ok = false;
            }
        } else {
            gy_diag_add(d, l->path, ln, w[i].col, "field の未知の指定 '%s' (where, width, wrap, label, suffix, once, prefix)", tok);
            ok = false;
        }
    }
    if (!ok || !grow(&l->fields, l->nfields, sizeof *l->fields)) {
        free(f.col);
        free(f.where);
        free(f.suffix);
        free(f.prefix);
        return ok ? false : true;
    }
    l->fields[l->nfields++] = f;
    return true;
}

static int col_or_error(const gy_layout *l, const gy_tabledef *t, const char *name, unsigned ln, unsigned col,
                        gy_diags *d)
{
    int c = gy_tabledef_col(t, name);
    if (c < 0)
        gy_diag_add(d, l->path, ln, col, "表 '%s' に列 '%s' はありません", t->id, name);
    return c;
}

/* a column whose texts a layout compares or prints as captions (pivot,
 * block): its texts must be kept as written (gy_col_textlike) */
static int textcol_or_error(const gy_layout *l, const gy_tabledef *t, const char *name, unsigned ln,
                            unsigned col, gy_diags *d)
{
    int c = col_or_error(l, t, name, ln, col, d);
    if (c >= 0 && !gy_col_textlike(t, (size_t)c)) {
        gy_diag_add(d, l->path, ln, col, "列 '%s' は %s 型です: pivot と block には文字の列 (text, fy など) を指定してください",
                    name, gy_type_name(t->cols[c].type));
        return -1;
    }
    return c;
}

/* the column of a field option that prints text (once, prefix) */
static int textcol_for(const gy_layout *l, const gy_tabledef *t, const char *name, unsigned ln, unsigned col,
                       const char *what, gy_diags *d)
{
    int c = col_or_error(l, t, name, ln, col, d);
    if (c >= 0 && !gy_col_textlike(t, (size_t)c)) {
        gy_diag_add(d, l->path, ln, col, "列 '%s' は %s 型です: %s には文字の列 (text, fy など) を指定してください", name,
                    gy_type_name(t->cols[c].type), what);
        return -1;
    }
    return c;
}

/* pivot K1,K2,… : every key column, in order (the first is pivot_key_idx) */
static bool pivot_keys(gy_layout *l, const gy_tabledef *t, gy_diags *d)
{
    char *copy = gy_strdup(l->pivot_key);
    if (!copy)
        return false;
    unsigned col0 = l->pivot_key_colno;
    for (char *k = copy, *next; k; k = next) {
        /* split on every ',' (an empty key between two is an error) */
        next = strchr(k, ',');
        if (next)
            *next++ = '\0';
        unsigned kc = col0 + gy_char_col(copy, k) - 1;
        k = gy_trim(k);
        int c = !*k || !strcmp(k, "*") ? -1 : textcol_or_error(l, t, k, l->pivot_line, kc, d);
        if (!*k || !strcmp(k, "*"))
            gy_diag_add(d, l->path, l->pivot_line, kc, "pivot の行の列 '%s' が空か '*' です ('*' は単独で使います)", k);
        for (size_t i = 0; c >= 0 && i < l->npivot_keys; i++)
            if (l->pivot_keys[i] == c)
                gy_diag_add(d, l->path, l->pivot_line, kc, "pivot の行の列 '%s' が 2 回あります", k);
        if (!grow(&l->pivot_keys, l->npivot_keys, sizeof *l->pivot_keys)) {
            free(copy);
            return false;
        }
        l->pivot_keys[l->npivot_keys++] = c;
    }
    free(copy);
    if (!l->npivot_keys)
        gy_diag_add(d, l->path, l->pivot_line, col0, "pivot に行の列がありません");
    l->pivot_key_idx = l->npivot_keys ? l->pivot_keys[0] : -1;
    return true;
}

/* ---- the directives of a .sheet: one handler each (tmpl.h) ---- */

enum { S_TABLE, S_SHEET, S_TITLE, S_ASOF, S_UNIT, S_BLOCK, S_SECTION };

static gy_status sh_text(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    char **dst = tl->id == S_TABLE   ? &l->table
                 : tl->id == S_SHEET ? &l->sheet
                 : tl->id == S_TITLE ? &l->title
                 : tl->id == S_ASOF  ? &l->asof
                 : tl->id == S_UNIT  ? &l->unit
                 : tl->id == S_SECTION ? &l->section
                                     : &l->block;
    bool first = !*dst;
    if (!set_once(dst, tl->rest, l->path, tl->ln, tl->w[0].col, tl->w[0].s, tl->d))
        return GY_ENOMEM;
    if (first && tl->id == S_BLOCK) {
        l->block_line = tl->ln;
        l->block_colno = tl->rest_col;
    } else if (first && tl->id == S_TABLE) {
        l->table_line = tl->ln;
        l->table_colno = tl->rest_col;
    }
    return GY_OK;
}

static gy_status sh_orientation(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    const char *rest = tl->rest;
    if (!strcmp(rest, "landscape") || !strcmp(rest, "portrait"))
        l->landscape = rest[0] == 'l';
    else
        gy_diag_add(tl->d, l->path, tl->ln, tl->rest_col, "orientation は landscape か portrait です: '%s'", rest);
    return GY_OK;
}

static gy_status sh_records(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    const char *rest = tl->rest;
    if (!strcmp(rest, "down") || !strcmp(rest, "across"))
        l->across = rest[0] == 'a';
    else
        gy_diag_add(tl->d, l->path, tl->ln, tl->rest_col, "records は down か across です: '%s'", rest);
    return GY_OK;
}

static gy_status sh_wrap(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    if ((l->wrap = positive(tl->rest)) <= 0) {
        gy_diag_add(tl->d, l->path, tl->ln, tl->rest_col, "wrap は正の整数です: '%s'", tl->rest);
        l->wrap = 0;
    }
    return GY_OK;
}

static gy_status sh_pivot(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    /* pivot KEY by COL */
    const char *rest = tl->rest;
    const char *by = strstr(rest, " by ");
    if (!by || l->pivot_key) {
        gy_diag_add(tl->d, l->path, tl->ln, by ? tl->w[0].col : tl->rest_col,
                    "pivot は「pivot 行の列 by 値を選ぶ列」の形で 1 回だけです");
        return GY_OK;
    }
    const char *c = by + 4;
    while (*c == ' ' || *c == '\t')
        c++;
    l->pivot_line = tl->ln;
    l->pivot_key_colno = tl->rest_col;
    l->pivot_col_colno = rest_colno(tl, c);
    char *key = gy_strndup(rest, (size_t)(by - rest));
    l->pivot_key = key ? gy_strdup(gy_trim(key)) : NULL;
    free(key);
    l->pivot_col = gy_strdup(c);
    if (l->pivot_col)
        gy_trim(l->pivot_col);
    return !l->pivot_key || !l->pivot_col ? GY_ENOMEM : GY_OK;
}

static gy_status sh_header(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    size_t n;
    char **cells = split_bar(tl->rest, &n);
    if (!cells || !grow(&l->header, l->nheader, sizeof *l->header) ||
        !grow(&l->header_line, l->nheader, sizeof *l->header_line) ||
        !grow(&l->header_colno, l->nheader, sizeof *l->header_colno)) {
        if (cells)
            free_strs(cells, n);
        return GY_ENOMEM;
    }
    /* the cell count is checked against the fields at the end */
    char **fit = realloc(cells, (n + 1) * sizeof *fit);
    if (!fit) {
        free_strs(cells, n);
        return GY_ENOMEM;
    }
    fit[n] = NULL; /* sentinel: count kept by position */
    l->header[l->nheader] = fit;
    l->header_colno[l->nheader] = tl->rest_col;
    l->header_line[l->nheader++] = tl->ln;
    return GY_OK;
}

static gy_status sh_field(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    bool label;
    if (!parse_field(l, tl, tl->d, &label))
        return GY_ENOMEM;
    if (label)
        l->label_field = (int)l->nfields - 1;
    return GY_OK;
}

static gy_status sh_note(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    if (!grow(&l->notes, l->nnotes, sizeof *l->notes) || !(l->notes[l->nnotes] = gy_strdup(tl->rest)))
        return GY_ENOMEM;
    l->nnotes++;
    return GY_OK;
}

static gy_status sh_rename(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    size_t n;
    char **v = split_bar(tl->rest, &n);
    if (!v)
        return GY_ENOMEM;
    if (n != 2 || !*v[0]) {
        gy_diag_add(tl->d, l->path, tl->ln, tl->rest_col, "rename は「rename 行の見出し | 印刷する見出し」の形です");
        free_strs(v, n);
    } else if (!grow(&l->rename_from, l->nrename, sizeof(char *)) ||
               !grow(&l->rename_to, l->nrename, sizeof(char *))) {
        free_strs(v, n);
        return GY_ENOMEM;
    } else {
        l->rename_from[l->nrename] = v[0];
        l->rename_to[l->nrename++] = v[1];
        free(v);
    }
    return GY_OK;
}

static gy_status sh_subrow(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    /* subrow AFTER | CAPTION | DST=SRC ... */
    size_t n;
    char **v = split_bar(tl->rest, &n);
    if (!v)
        return GY_ENOMEM;
    if (n != 3 || !*v[0]) {
        gy_diag_add(tl->d, l->path, tl->ln, tl->rest_col, "subrow は「subrow 行の見出し | 見出し | 列=元の列 …」の形です");
        free_strs(v, n);
    } else if (!grow(&l->subrows, l->nsubrows, sizeof *l->subrows)) {
        free_strs(v, n);
        return GY_ENOMEM;
    } else {
        /* the column of the pairs: after the second bar, as split_bar trims */
        const char *p = strchr(strchr(tl->rest, '|') + 1, '|') + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        /* the DST=SRC pairs are resolved once the table is known */
        l->subrows[l->nsubrows++] = (gy_lsubrow){.after = v[0], .caption = v[1], .pairs = v[2], .line = tl->ln,
                                                 .pairs_colno = rest_colno(tl, p)};
        free(v);
    }
    return GY_OK;
}

/* split FIELD [where V] (one per page that starts at a field), repeat FIELD [where V] (once) */
static gy_status sh_page(void *ctx, const gy_tmpl_line *tl)
{
    gy_layout *l = ctx;
    bool split = tl->id == 0;
    if (!(tl->n == 2 || (tl->n == 4 && !strcmp(tl->w[2].s, "where")))) {
        gy_diag_add(tl->d, l->path, tl->ln, tl->n > 1 ? tl->w[1].col : tl->rest_col,
                    "%s は「%s 列 [where 値]」の形です (列は field の列)", tl->w[0].s, tl->w[0].s);
        return GY_OK;
    }
    if (!split && l->repeat.col) {
        gy_diag_add(tl->d, l->path, tl->ln, tl->w[0].col, "'repeat' が 2 回あります");
        return GY_OK;
    }
    gy_lpageref r = {.col = gy_strdup(tl->w[1].s), .where = tl->n == 4 ? gy_strdup(tl->w[3].s) : NULL, .field = -1,
                     .line = tl->ln, .colno = tl->w[1].col};
    if (!r.col || (tl->n == 4 && !r.where) || (split && !grow(&l->splits, l->nsplits, sizeof *l->splits))) {
        free(r.col);
        free(r.where);
        return GY_ENOMEM;
    }
    if (split)
        l->splits[l->nsplits++] = r;
    else
        l->repeat = r;
    return GY_OK;
}

/* the field a print directive names: the one printing its column (and,
 * with where, that pivot value); one field exactly */
static void page_field(gy_layout *l, gy_lpageref *r, gy_diags *d)
{
    int hit = -1, n = 0;
    for (size_t i = 0; i < l->nfields; i++)
        if (!strcmp(l->fields[i].col, r->col) &&
            (!r->where || (l->fields[i].where && !strcmp(l->fields[i].where, r->where)))) {
            if (hit < 0)
                hit = (int)i;
            n++;
        }
    if (!n)
        gy_diag_add(d, l->path, r->line, r->colno, "列 '%s'%s%s を印刷する field がありません", r->col,
                    r->where ? " where " : "", r->where ? r->where : "");
    else if (n > 1)
        gy_diag_add(d, l->path, r->line, r->colno, "列 '%s' を印刷する field が %d 個あります: where 値 で 1 つに決めてください",
                    r->col, n);
    else
        r->field = hit;
}

static const gy_tmpl_directive SHEET_DIRS[] = {
    {"table", 0, -1, sh_text, S_TABLE},
    {"sheet", 0, -1, sh_text, S_SHEET},
    {"title", 0, -1, sh_text, S_TITLE},
    {"asof", 0, -1, sh_text, S_ASOF},
    {"unit", 0, -1, sh_text, S_UNIT},
    {"section", 0, -1, sh_text, S_SECTION},
    {"orientation", 0, -1, sh_orientation, 0},
    {"records", 0, -1, sh_records, 0},
    {"wrap", 0, -1, sh_wrap, 0},
    {"pivot", 0, -1, sh_pivot, 0},
    {"block", 0, -1, sh_text, S_BLOCK},
    {"header", 0, -1, sh_header, 0},
    {"field", 0, -1, sh_field, 0},
    {"note", 0, -1, sh_note, 0},
    {"rename", 0, -1, sh_rename, 0},
    {"subrow", 0, -1, sh_subrow, 0},
    {"split", 0, -1, sh_page, 0},
    {"repeat", 0, -1, sh_page, 1},
};

/* a .sheet: '#' starts a comment only at the start of a line; a value
 * is the rest of its line as printed, '#' and quotes included */
static const gy_tmpl_format SHEET_FORMAT = {
    .what = "様式", .comment = GY_TMPL_HASH_LINE, .quotes = false, .maxwords = 0, .unknown = "未知の指示語 '%s' (%s)",
    .dirs = SHEET_DIRS, .ndirs = sizeof SHEET_DIRS / sizeof SHEET_DIRS[0]};

/* ---- once every line is read: the names looked up in the table's
 * definition, the print directives and the header lines checked ---- */

/* each field's column, its where and its prefix */
static void resolve_fields(gy_layout *l, const gy_tabledef *t, const char *path, gy_diags *d)
{
    for (size_t i = 0; i < l->nfields; i++) {
        gy_lfield *f = &l->fields[i];
        f->colidx = f->once ? textcol_for(l, t, f->col, f->line, f->colno, "once", d)
                            : col_or_error(l, t, f->col, f->line, f->colno, d);
        if (f->where && !l->pivot_key)
            gy_diag_add(d, path, f->line, f->where_colno, "where は pivot のある様式でだけ使えます");
        if (f->prefix) {
            f->prefix_idx = textcol_for(l, t, f->prefix, f->line, f->prefix_colno, "prefix", d);
            if (f->colidx >= 0 && gy_col_textlike(t, (size_t)f->colidx))
                gy_diag_add(d, path, f->line, f->colno, "prefix は数の列に付けます: 列 '%s' は文字の列です", f->col);
        }
    }
}

/* the pivot's keys and column, the block column; false when out of memory */
static bool resolve_pivot_block(gy_layout *l, const gy_tabledef *t, const char *path, gy_diags *d)
{
    bool oom = false;
    if (l->pivot_key) {
        if (!strcmp(l->pivot_key, "*"))
            l->pivot_key_idx = -2;
        else
            oom = oom || !pivot_keys(l, t, d);
        l->pivot_col_idx = textcol_or_error(l, t, l->pivot_col, l->pivot_line, l->pivot_col_colno, d);
    }
    if (l->block && l->pivot_key)
        /* a pivot's records are keys, not rows: a caption per change of
         * a column would be printed nowhere (never silently ignored) */
        gy_diag_add(d, path, l->block_line, l->block_colno,
                    "block は pivot の様式では使えません (pivot の行の列に加えるか、field … once で 1 度だけ印刷してください)");
    else if (l->block)
        l->block_idx = textcol_or_error(l, t, l->block, l->block_line, l->block_colno, d);
    return !oom;
}

/* each subrow's pairs 列=元の列; false when out of memory */
static bool resolve_subrows(gy_layout *l, const gy_tabledef *t, const char *path, gy_diags *d)
{
    bool oom = false;
    for (size_t i = 0; i < l->nsubrows && !oom; i++) {
        gy_lsubrow *sr = &l->subrows[i];
        char *sv = NULL;
        for (char *p = strtok_r(sr->pairs, " \t", &sv); p; p = strtok_r(NULL, " \t", &sv)) {
            char *eq = strchr(p, '=');
            unsigned pc = sr->pairs_colno + gy_char_col(sr->pairs, p) - 1;
            if (!eq) {
                gy_diag_add(d, path, sr->line, pc, "subrow の '%s' は 列=元の列 の形ではありません", p);
                continue;
            }
            *eq = '\0';
            if (!grow(&sr->dst, sr->n, sizeof(int)) || !grow(&sr->src, sr->n, sizeof(int))) {
                oom = true;
                break;
            }
            sr->dst[sr->n] = col_or_error(l, t, p, sr->line, pc, d);
            sr->src[sr->n] = col_or_error(l, t, eq + 1, sr->line, pc + gy_char_col(p, eq + 1) - 1, d);
            sr->n++;
        }
    }
    return !oom;
}

/* print directives: fields of a layout printed down, one column each */
static void check_pages(gy_layout *l, const char *path, gy_diags *d)
{
    for (size_t i = 0; i < l->nsplits + (l->repeat.col ? 1 : 0); i++) {
        gy_lpageref *r = i < l->nsplits ? &l->splits[i] : &l->repeat;
        if (l->across || l->wrap) {
            gy_diag_add(d, path, r->line, r->colno, "%s は records across や wrap の様式では使えません (列は自動で分かれます)",
                        i < l->nsplits ? "split" : "repeat");
            continue;
        }
        page_field(l, r, d);
        if (i < l->nsplits && r->field == 0)
            gy_diag_add(d, path, r->line, r->colno, "split の列 '%s' は最初の field です (その前で分けられません)", r->col);
    }
    for (size_t i = 0; i < l->nsplits && l->repeat.field >= 0; i++)
        if (l->splits[i].field >= 0 && l->splits[i].field <= l->repeat.field)
            gy_diag_add(d, path, l->splits[i].line, l->splits[i].colno,
                        "split の列 '%s' は repeat の列 '%s' より右になければなりません", l->splits[i].col, l->repeat.col);
}

/* every header line has as many cells as there are fields; false when
 * out of memory */
static bool pad_headers(gy_layout *l, const char *path, gy_diags *d)
{
    for (size_t i = 0; i < l->nheader; i++) {
        size_t n = 0;
        while (l->header[i][n])
            n++;
        if (n != l->nfields)
            gy_diag_add(d, path, l->header_line[i], l->header_colno[i], "header のセルが %zu 個ですが field は %zu 個です", n,
                        l->nfields);
        /* a short line is padded so that every line has nfields cells */
        if (n < l->nfields) {
            char **nv = realloc(l->header[i], (l->nfields + 1) * sizeof *nv);
            if (!nv)
                return false;
            for (size_t j = n; j < l->nfields; j++)
                nv[j] = gy_strdup("");
            nv[l->nfields] = NULL;
            l->header[i] = nv;
        }
        for (size_t j = l->nfields; j < n; j++) {
            free(l->header[i][j]);
            l->header[i][j] = NULL;
        }
    }
    return true;
}

static gy_status layout_parse(const char *path, const char *text, size_t tl, const gy_defset *defs,
                              gy_layout **out, gy_diags *d)
{
    *out = NULL;
    size_t nd0 = d->n + d->dropped;
    gy_layout *l = calloc(1, sizeof *l);
    if (!l || !(l->path = gy_strdup(path))) {
        free(l);
        return GY_ENOMEM;
    }
    l->label_field = -1;
    l->repeat.field = -1;
    l->pivot_key_idx = l->pivot_col_idx = l->block_idx = -1;
    gy_status rs = gy_tmpl_read(path, text, tl, &SHEET_FORMAT, l, d);
    if (rs != GY_OK) {
        gy_layout_free(l);
        return rs;
    }
    bool oom = false;
    /* resolve against the table definition */
    const gy_tabledef *t = NULL;
    if (!l->table)
        gy_diag_add(d, path, 0, 0, "table がありません");
    else if (!(t = gy_defset_find(defs, l->table)))
        gy_diag_add(d, path, l->table_line, l->table_colno, "表 '%s' は定義されていません", l->table);
    if (!l->nfields)
        gy_diag_add(d, path, 0, 0, "field がありません");
    if (t) {
        resolve_fields(l, t, path, d);
        oom = !resolve_pivot_block(l, t, path, d);
        oom = oom || !resolve_subrows(l, t, path, d);
        if (oom) {
            gy_layout_free(l);
            return GY_ENOMEM;
        }
    }
    check_pages(l, path, d);
    if (!pad_headers(l, path, d)) {
        gy_layout_free(l);
        return GY_ENOMEM;
    }
    if (!l->sheet && l->table)
        l->sheet = gy_strdup(l->table);
    if (d->n + d->dropped > nd0) {
        gy_layout_free(l);
        return GY_EDEF;
    }
    *out = l;
    return GY_OK;
}

/* no failure without a diagnostic: the ones not said where they happen
 * (out of memory) name the file */
static void said(gy_status st, const char *path, size_t nd0, gy_diags *d)
{
    if (st != GY_OK && d->n + d->dropped == nd0)
        gy_diag_add(d, path, 0, 0, "様式を読めません: %s", gy_strerror(st));
}

gy_status gy_layout_parse(const char *path, const char *text, const gy_defset *defs, gy_layout **out,
                          gy_diags *d)
{
    size_t nd0 = d->n + d->dropped;
    gy_status st = layout_parse(path, text, strlen(text), defs, out, d);
    said(st, path, nd0, d);
    return st;
}

/* libxlsxwriter keeps a font name in a field of 128 bytes
 * (LXW_FORMAT_FIELD_LEN) and would cut a longer one */
enum { FONT_NAME_MAX = 127 };

/* ---- workbook.conf: one handler per setting (tmpl.h) ---- */

enum { C_FONT, C_FONT_SIZE, C_NEGATIVE, C_TITLE, C_AUTHOR, C_COMPANY, C_DATE };

static gy_status conf_set(void *ctx, const gy_tmpl_line *tl)
{
    gy_layouts *ls = ctx;
    const char *v = tl->rest, *path = tl->path;
    unsigned ln = tl->ln, col = tl->rest_col;
    gy_diags *d = tl->d;
    char **dst = tl->id == C_FONT       ? &ls->font
                 : tl->id == C_NEGATIVE ? &ls->negative
                 : tl->id == C_TITLE    ? &ls->title
                 : tl->id == C_AUTHOR   ? &ls->author
                 : tl->id == C_COMPANY  ? &ls->company
                 : tl->id == C_DATE     ? &ls->date
                                        : NULL;
    if (tl->id == C_FONT_SIZE) {
        int n = positive(v);
        if (n < 6 || n > 72)
            gy_diag_add(d, path, ln, col, "font_size は 6〜72 です: '%s'", v);
        else
            ls->font_size = n;
    } else if (dst == &ls->negative && strcmp(v, "△") && strcmp(v, "▲") && strcmp(v, "-")) {
        gy_diag_add(d, path, ln, col, "negative は △, ▲, - のどれかです: '%s'", v);
    } else if (dst == &ls->font && (!*v || strlen(v) > FONT_NAME_MAX)) {
        gy_diag_add(d, path, ln, col, "font は 1〜%d バイトのフォント名です (%zu バイトあります)", FONT_NAME_MAX,
                    strlen(v));
    } else {
        free(*dst);
        if (!(*dst = gy_strdup(v)))
            return GY_ENOMEM;
    }
    return GY_OK;
}

static const gy_tmpl_directive CONF_DIRS[] = {
    {"font", 0, -1, conf_set, C_FONT},         {"font_size", 0, -1, conf_set, C_FONT_SIZE},
    {"negative", 0, -1, conf_set, C_NEGATIVE}, {"title", 0, -1, conf_set, C_TITLE},
    {"author", 0, -1, conf_set, C_AUTHOR},     {"company", 0, -1, conf_set, C_COMPANY},
    {"date", 0, -1, conf_set, C_DATE},
};

/* workbook.conf: as a .sheet, a value is the rest of its line */
static const gy_tmpl_format CONF_FORMAT = {
    .what = "workbook.conf", .comment = GY_TMPL_HASH_LINE, .quotes = false, .maxwords = 0, .unknown = "未知の設定 '%s' (%s)",
    .dirs = CONF_DIRS, .ndirs = sizeof CONF_DIRS / sizeof CONF_DIRS[0]};

static gy_status load_conf(const char *path, gy_layouts *ls, gy_diags *d)
{
    char *text = NULL;
    size_t len = 0;
    int err = gy_read_file_in(path, NULL, GY_CONF_MAX, &text, &len);
    if (err == ENOENT)
        return GY_OK;
    if (err) {
        char eb[256];
        gy_diag_add(d, path, 0, 0, "読めません: %s", gy_file_strerror(err, GY_CONF_MAX, eb, sizeof eb));
        return err == ENOMEM ? GY_ENOMEM : GY_EIO;
    }
    size_t nd0 = d->n + d->dropped;
    gy_status st = gy_tmpl_read(path, text, len, &CONF_FORMAT, ls, d);
    free(text);
    if (st == GY_OK && d->n + d->dropped > nd0)
        st = GY_EDEF;
    return st;
}

gy_status gy_layouts_load(const char *dir, const gy_defset *defs, gy_layouts *out, gy_diags *d)
{
    memset(out, 0, sizeof *out);
    out->font_size = 10;
    size_t nd0 = d->n + d->dropped;
    char *conf = gy_asprintf("%s/workbook.conf", dir);
    if (!conf) {
        said(GY_ENOMEM, dir, nd0, d);
        return GY_ENOMEM;
    }
    gy_status st = load_conf(conf, out, d);
    free(conf);
    if (st == GY_OK && ((!out->font && !(out->font = gy_strdup("游ゴシック"))) ||
                        (!out->negative && !(out->negative = gy_strdup("△")))))
        st = GY_ENOMEM;
    char **names = NULL;
    size_t nn = 0;
    int err = gy_dir_list(dir, ".sheet", &names, &nn);
    if (err == ENOMEM) {
        st = GY_ENOMEM;
    } else if (err && err != ENOENT) {
        /* no folder: no layouts (plain sheets); one that cannot be read is an error */
        gy_diag_add(d, dir, 0, 0, "様式のフォルダを読めません: %s", strerror(err));
        if (st == GY_OK)
            st = GY_EIO;
    }
    for (size_t i = 0; i < nn; i++) {
        if (st == GY_ENOMEM)
            break;
        char *text = NULL;
        size_t len = 0;
        int e = gy_read_file_in(names[i], NULL, GY_CONF_MAX, &text, &len);
        if (e) {
            char eb[256];
            gy_diag_add(d, names[i], 0, 0, "読めません: %s", gy_file_strerror(e, GY_CONF_MAX, eb, sizeof eb));
            if (e == ENOMEM)
                st = GY_ENOMEM;
            continue;
        }
        gy_layout *l = NULL;
        size_t nd1 = d->n + d->dropped;
        gy_status s = layout_parse(names[i], text, len, defs, &l, d);
        said(s, names[i], nd1, d);
        free(text);
        if (s == GY_ENOMEM) {
            st = s;
        } else if (l) {
            for (size_t j = 0; j < out->n; j++)
                if (!strcmp(out->v[j]->table, l->table) || !strcmp(out->v[j]->sheet, l->sheet))
                    gy_diag_add(d, names[i], 0, 0, "表 '%s' かシート '%s' は %s でも使われています", l->table,
                                l->sheet, out->v[j]->path);
            gy_layout **nv = realloc(out->v, (out->n + 1) * sizeof *nv);
            if (!nv) {
                gy_layout_free(l);
                st = GY_ENOMEM;
            } else {
                out->v = nv;
                out->v[out->n++] = l;
            }
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (st == GY_OK && d->n + d->dropped > nd0)
        st = GY_EDEF;
    said(st, dir, nd0, d);
    if (st != GY_OK)
        gy_layouts_free(out);
    return st;
}
