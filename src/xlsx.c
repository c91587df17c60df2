/* xlsx.c - the workbook: layouts → worksheets, derivations → formulas */
#include "gaiyo/xlsx.h"
#include "gaiyo/xlsxzip.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"
#include "gaiyo/wraplines.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* ---- formats ------------------------------------------------------------ */

enum { F_TEXT, F_HEAD, F_TITLE, F_AMOUNT, F_RATIO, F_QUOT, F_NOTE, F_UNIT, F_NIL, F_LINK, F_KINDS };
enum { MARK_NONE, MARK_ERROR, MARK_WARN };

typedef struct fmtkey {
    int kind, decimals, indent, mark, wrap, bold;
    const char *suffix;
    const char *prefix;      /* interned in wb.pfx */
    lxw_format *f;
} fmtkey;

typedef struct wb {
    lxw_workbook *w;
    const gy_dataset *ds;
    const gy_layouts *ls;
    const gy_xlsx_opts *o;
    fmtkey *fk;
    size_t nfk, capfk;
    bool cm;                 /* constant-memory mode */
    const char *neg;
    char **names;            /* sheet names used */
    size_t nnames;
    char **links;            /* per finding: "sheet!$A$1" of its cell, or NULL */
    bool oom;
    bool failed;             /* a diagnostic says why (wb_err) */
    struct wq *q;            /* the writer thread of the table being written, if any */
    gy_diags *d;
    gy_diags *warn;          /* warnings (o->warnings), or NULL */
    const char *path;        /* the workbook's file */
    char **pfx;              /* the distinct prefixes of numbers (field … prefix COL), owned */
    size_t npfx;
    struct anchor *anch;     /* the charts' places, laid out with the tables;
                                inserted last (place_images) */
    size_t nanch;
} wb;

/* where a chart goes: laid out with its table's pages (place_charts),
 * inserted once gnuplot has drawn it (place_images) */
typedef struct anchor {
    const char *path;        /* the PNG (o->images) */
    lxw_worksheet *ws;
    lxw_row_t row;
    lxw_col_t col;
    double scale;
} anchor;

static void wq_idle(struct wq *q);

/* Every failure of the workbook is a diagnostic: out of memory, a limit
 * of Excel or of libxlsxwriter, any libxlsxwriter call that fails. */
static void wb_errv(wb *b, const char *file, const char *fmt, va_list ap)
{
    b->failed = true;
    char *m = gy_vasprintf(fmt, ap);
    gy_diag_add(b->d, file, 0, 0, "%s", m ? m : "メモリが足りません");
    free(m);
}

/* a failure of the workbook file (the diagnostic names it) */
static void wb_err(wb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wb_err(wb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_errv(b, b->path, fmt, ap);
    va_end(ap);
}

/* a failure whose cause is another file (a layout, a table) */
static void wb_err_at(wb *b, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void wb_err_at(wb *b, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_errv(b, file, fmt, ap);
    va_end(ap);
}

/* a failed libxlsxwriter call on a cell: the sheet, the cell, the cause */
static bool cell_ok(wb *b, lxw_error e, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *what)
{
    if (e == LXW_NO_ERROR)
        return true;
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, r, c);
    wb_err(b, "シート「%s」のセル %s に%sを書けません: %s", ws->name, a1, what, lxw_strerror(e));
    return false;
}

/* a failed libxlsxwriter call on a sheet's setup (print area, columns …) */
static bool sheet_ok(wb *b, lxw_error e, lxw_worksheet *ws, const char *what)
{
    if (e == LXW_NO_ERROR)
        return true;
    wb_err(b, "シート「%s」の%sを設定できません: %s", ws->name, what, lxw_strerror(e));
    return false;
}

/* whether text s fits in a cell; if not, a diagnostic naming the cell */
static bool text_fits(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    size_t n = s ? gy_excel_len(s, strlen(s)) : 0;
    if (n <= GY_CELL_MAX)
        return true;
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, r, c);
    wb_err(b, "シート「%s」のセル %s の文字列が %zu 字あり、Excel のセルに入る 32,767 字を超えます", ws->name, a1, n);
    return false;
}

/* a literal of a number format: "text", a '"' in it as "\"" (closed,
 * escaped, reopened); everything else inside quotes is shown as it is.
 * NULL when out of memory. */
static char *nf_literal(const char *s1, const char *s2)
{
    size_t n = 3;
    for (const char *s = s1; *s; s++)
        n += *s == '"' ? 4 : 1;
    for (const char *s = s2; *s; s++)
        n += *s == '"' ? 4 : 1;
    char *o = malloc(n), *p = o;
    if (!o)
        return NULL;
    *p++ = '"';
    for (int i = 0; i < 2; i++)
        for (const char *s = i ? s2 : s1; *s; s++) {
            if (*s == '"') {
                memcpy(p, "\"\\\"\"", 4);
                p += 4;
            } else {
                *p++ = *s;
            }
        }
    *p++ = '"';
    *p = '\0';
    return o;
}

static lxw_format *fmtxp(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx,
                         const char *pfx)
{
    for (size_t i = 0; i < b->nfk; i++) {
        fmtkey *k = &b->fk[i];
        if (k->kind == kind && k->decimals == decimals && k->indent == indent && k->mark == mark &&
            k->wrap == wrap && k->bold == bold && !strcmp(k->suffix ? k->suffix : "", sfx ? sfx : "") &&
            k->prefix == pfx)
            return k->f;
    }
    if (b->nfk == b->capfk) {
        size_t nc = b->capfk ? b->capfk * 2 : 32;
        fmtkey *nv = realloc(b->fk, nc * sizeof *nv);
        if (!nv) {
            b->oom = true;
            return NULL;
        }
        b->fk = nv;
        b->capfk = nc;
    }
    /* a new format is linked after the last one, which the writer thread
     * may be reading (libxlsxwriter copies a format whole when a cell first
     * uses it): it waits until that thread has written what it was given */
    if (b->q)
        wq_idle(b->q);
    lxw_format *f = workbook_add_format(b->w);
    if (!f) {
        b->oom = true;
        return NULL;
    }
    format_set_font_name(f, b->ls->font);
    format_set_font_size(f, kind == F_TITLE ? b->ls->font_size + 2 : b->ls->font_size);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    bool grid = kind != F_TITLE && kind != F_NOTE && kind != F_UNIT;
    if (grid)
        format_set_border(f, LXW_BORDER_THIN);
    const char *neg = b->neg;
    switch (kind) {
    case F_HEAD:
        format_set_align(f, LXW_ALIGN_CENTER);
        format_set_text_wrap(f);
        format_set_bg_color(f, 0xF2F2F2);
        break;
    case F_TITLE:
        format_set_bold(f);
        break;
    case F_UNIT:
        format_set_align(f, LXW_ALIGN_RIGHT);
        break;
    case F_AMOUNT:
    case F_QUOT:
    case F_RATIO: {
        char dec[16] = "";
        if (decimals > 0) {
            dec[0] = '.';
            memset(dec + 1, '0', (size_t)(decimals < 10 ? decimals : 10));
            dec[1 + (decimals < 10 ? decimals : 10)] = '\0';
        }
        const char *base = kind == F_RATIO ? "0" : "#,##0";
        /* the suffix in quotes (layout.c: at most 8 bytes, no '"') */
        const char *q = sfx && *sfx ? "\"" : "", *sv = sfx ? sfx : "";
        char *nf = NULL;
        if (pfx) {
            /* the prefix, quoted, before both sections: "(1/8) "#,##0;"(1/8) △ "#,##0 */
            bool minus = !strcmp(neg, "-");
            char *ns = minus ? NULL : gy_asprintf(" %s ", neg);
            char *p1 = nf_literal(pfx, " "), *p2 = minus ? nf_literal(pfx, " ") : ns ? nf_literal(pfx, ns) : NULL;
            if (p1 && p2)
                nf = gy_asprintf("%s%s%s%s%s%s;%s%s%s%s%s%s%s", p1, base, dec, q, sv, q, p2, minus ? "-" : "", base,
                                 dec, q, sv, q);
            free(ns);
            free(p1);
            free(p2);
        } else {
            nf = !strcmp(neg, "-")
                     ? gy_asprintf("%s%s%s%s%s;-%s%s%s%s%s", base, dec, q, sv, q, base, dec, q, sv, q)
                     : gy_asprintf("%s%s%s%s%s;\"%s \"%s%s%s%s%s", base, dec, q, sv, q, neg, base, dec, q, sv, q);
        }
        /* libxlsxwriter keeps a number format in a field of
         * LXW_FORMAT_FIELD_LEN bytes and would cut a longer one */
        if (!nf || strlen(nf) >= LXW_FORMAT_FIELD_LEN) {
            if (nf)
                wb_err(b, "数値の書式 '%s' が %d バイトを超えます", nf, LXW_FORMAT_FIELD_LEN - 1);
            else
                b->oom = true;
            free(nf);
            return NULL;
        }
        format_set_num_format(f, nf);
        free(nf);
        break;
    }
    case F_NIL:
        format_set_align(f, LXW_ALIGN_RIGHT);
        break;
    case F_LINK:
        format_set_underline(f, LXW_UNDERLINE_SINGLE);
        format_set_font_color(f, LXW_COLOR_BLUE);
        break;
    default:
        break;
    }
    if (indent > 0)
        format_set_indent(f, (uint8_t)(indent > 15 ? 15 : indent));
    if (wrap)
        format_set_text_wrap(f);
    if (bold)
        format_set_bold(f);
    if (mark == MARK_ERROR)
        format_set_bg_color(f, 0xFFC7CE);
    else if (mark == MARK_WARN)
        format_set_bg_color(f, 0xFFEB9C);
    b->fk[b->nfk++] = (fmtkey){kind, decimals, indent, mark, wrap, bold, sfx, pfx, f};
    return f;
}

static lxw_format *fmtx(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx)
{
    return fmtxp(b, kind, decimals, indent, mark, wrap, bold, sfx, NULL);
}

static lxw_format *fmt(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold)
{
    return fmtx(b, kind, decimals, indent, mark, wrap, bold, NULL);
}

/* ---- sheet names ---------------------------------------------------------- */

/* Excel: at most 31 characters, none of []:*?/\, unique (case-insensitive
 * for ASCII; exact here). */
static char *sheet_name(wb *b, const char *want)
{
    char base[160];
    size_t o = 0, chars = 0;
    for (const char *p = want; *p && chars < 28 && o + 5 < sizeof base;) {
        uint32_t cp;
        int k = gy_utf8_decode((const unsigned char *)p, strlen(p), &cp);
        if (k <= 0)
            break;
        if (strchr("[]:*?/\\'", *p) && k == 1)
            base[o++] = '_';
        else if (cp >= 0x20) {
            memcpy(base + o, p, (size_t)k);
            o += (size_t)k;
        }
        p += k;
        chars++;
    }
    base[o] = '\0';
    if (!o)
        snprintf(base, sizeof base, "表");
    char *name = gy_strdup(base);
    for (int n = 2; name; n++) {
        bool used = false;
        for (size_t i = 0; i < b->nnames && !used; i++)
            used = !strcmp(b->names[i], name);
        if (!used)
            break;
        free(name);
        name = gy_asprintf("%s (%d)", base, n);
    }
    char **nv = name ? realloc(b->names, (b->nnames + 1) * sizeof *nv) : NULL;
    if (!nv) {
        free(name);
        b->oom = true;
        return NULL;
    }
    b->names = nv;
    b->names[b->nnames++] = name;
    return name;
}

/* A1, or 'name'!A1 (sheet names never hold a quote: sheet_name); false
 * if it does not fit in buf */
static bool cell_ref(char *buf, size_t n, const char *sheet, int r, int c)
{
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, (lxw_row_t)r, (lxw_col_t)c);
    int k = sheet ? snprintf(buf, n, "'%s'!%s", sheet, a1) : snprintf(buf, n, "%s", a1);
    return k >= 0 && (size_t)k < n;
}

/* ---- one table ------------------------------------------------------------ */

enum { R_ROW, R_CAPTION, R_SUBROW, R_PIVOT };

/* one record of the sheet: 20 bytes, one per table row of a big table */
typedef struct rec {
    uint32_t row;        /* table row (R_ROW, R_SUBROW: the row it follows; R_PIVOT: first row;
                            R_CAPTION: the row whose block column it shows) */
    int32_t sheet;       /* part (0 = first sheet) */
    int32_t line, off;   /* sheet row (down) or column (across); block offset */
    uint16_t sub;        /* subrow index */
    uint8_t kind;
} rec;

#define NO_REC UINT32_MAX /* rec_of_row of a row not printed */

typedef struct totcache {
    bool set;
    char *text;          /* "SUM(...)", or NULL while only its length is known */
    size_t len;
    size_t first, n;
    int part;
    int64_t v;
} totcache;

typedef struct tw {
    wb *b;
    const gy_table *t;
    const gy_layout *l;
    gy_layout *own;      /* the plain layout of a table without one */
    rec *recs;           /* NULL: one record per table row in row order (rec_at) */
    size_t nrecs;
    long long maxbody;   /* records a part holds (down, not wrapped) */
    uint32_t *rec_of_row; /* record index per table row, NO_REC if not printed */
    uint32_t *prec0, *prows; /* pivot: the rows of record k are prows[prec0[k] .. prec0[k+1]) */
    int nparts;
    lxw_worksheet **ws;
    char **wsname;
    int hr0, H;          /* first header row (or column, across), header lines */
    int body0;           /* first body row (down) or column (across) */
    /* derivations of this table, one window of rows [wa, wb) at a time */
    gy_deriver *dr;
    gy_derivs view;      /* verify's derivations of this table (n > 0: used
                            instead of the deriver: each figure derived once) */
    size_t wa, wb;
    bool wloaded;
    size_t *drow;        /* derivations of row wa + r: didx[drow[r] .. drow[r + 1]) */
    uint32_t *didx;
    const gy_deriv *dv;  /* the window's derivations (owned by dr) */
    unsigned char *dst;  /* per derivation: 0 new, 1 visiting, 2 formula, 3 value only */
    int64_t *dvv;        /* per derivation settled as a formula: its value */
    size_t ndv;
    size_t *sums;        /* the derivations that are sums (a 計's cells) */
    size_t nsums;
    double *colw;        /* width per sheet column (first part) */
    int ncolw;
    const gy_finding **fmark; /* the findings of this table (every severity) */
    size_t nfmark;
    unsigned char *frow; /* per row: whether one of them is about it */
    struct totcache *tot; /* per column: the last total() formula */
    bool buffered;       /* cells collected and replayed in row order */
    struct op *ops;
    size_t nops, capops;
    struct wq *q;        /* the writer thread, while it runs */
    bool pivot_dup;      /* two rows of one pivot record for one field: said once */
    size_t lines;        /* most lines of a wrapped cell of the record being written (down) */
    unsigned short *xlines; /* across: most lines per sheet row of the fields' rows */
    size_t nxlines;
    double *rowh;        /* heights set on the first sheet's rows, for its pages (0: not set) */
    size_t nrowh;
} tw;

static void pg_note_row(tw *w, lxw_worksheet *ws, int r, double pt);

/* ---- cell writes: direct, or buffered and replayed in row order -------------
 * libxlsxwriter's constant-memory mode drops a write to a row above the
 * last one written; layouts that run across or wrap into blocks write out
 * of row order, so in that mode their cells are collected and sorted. */

enum { OP_STR, OP_BLANK, OP_NUM, OP_FORMULA, OP_COMMENT, OP_MERGE, OP_HEIGHT };

static const char *op_what(int kind)
{
    static const char *w[] = {"文字列", "空欄", "数値", "式", "注釈", "結合セル", "行の高さ"};
    return kind >= 0 && kind <= OP_HEIGHT ? w[kind] : "値";
}

typedef struct op {
    lxw_worksheet *ws;
    int part, r, c, kind;
    size_t seq;
    double num;
    char *s;             /* string, formula or comment (owned) */
    lxw_format *f;
    lxw_comment_options co;
    int r1, c1, c2;      /* OP_MERGE: r1, c1 .. r, c2 (r, c: its place in the order) */
} op;

static int part_of(const tw *w, lxw_worksheet *ws)
{
    for (int p = 0; p < w->nparts; p++)
        if (w->ws[p] == ws)
            return p;
    return 0;
}

static void put_op(tw *w, lxw_worksheet *ws, int r, int c, int kind, double num, const char *s, lxw_format *f,
                   const lxw_comment_options *co)
{
    if (w->nops == w->capops) {
        size_t nc = w->capops ? w->capops * 2 : 256;
        op *nv = realloc(w->ops, nc * sizeof *nv);
        if (!nv) {
            w->b->oom = true;
            return;
        }
        w->ops = nv;
        w->capops = nc;
    }
    op *o = &w->ops[w->nops];
    *o = (op){.ws = ws, .part = part_of(w, ws), .r = r, .c = c, .kind = kind, .seq = w->nops, .num = num, .f = f};
    if (s && !(o->s = gy_strdup(s))) {
        w->b->oom = true;
        return;
    }
    if (co)
        o->co = *co;
    w->nops++;
}

/* ---- the writer thread -------------------------------------------------------
 * In constant-memory mode libxlsxwriter formats each cell's XML as the
 * cell is written: about three quarters of the time of a big sheet's
 * cells (100,000 事業: 0.8 s of 1.05 s); gaiyo's own work on the cells
 * (their formulas, formats, widths) is the rest. So a table written in
 * row order hands its cells, in batches, to a second thread that makes
 * the libxlsxwriter calls in the same order, while this thread prepares
 * the next batch. The workbook is the same, byte for byte.
 *
 * While that thread runs it is the only one to call libxlsxwriter's
 * worksheet functions. This thread still creates formats (fmtx:
 * workbook_add_format and format_set_*). Adding one links it after the
 * last format, whose link the writer thread may be reading (libxlsxwriter
 * copies a format whole to index it when a cell first uses it), so fmtx
 * first waits until the writer thread has written every batch handed
 * over and is idle (wq_idle; formats are few, most made on the first
 * rows). A format is complete before any batch that uses it is handed
 * over (the mutex orders the two). */

enum { WQ_BATCHES = 3, WQ_OPS = 8192, WQ_ARENA = 1 << 19 };

typedef struct wop {
    lxw_worksheet *ws;
    lxw_format *f;
    double num;
    char *s;                 /* in the batch's arena, or owned (heap) */
    void *co;                /* a comment's options (owned), or NULL */
    uint32_t r;
    uint16_t c;
    unsigned char kind;
    bool owned;
    uint32_t r2;             /* OP_MERGE: (r, c) .. (r2, c2) */
    uint16_t c2;
} wop;

typedef struct wbatch {
    wop *v;
    size_t n;
    char *arena;
    size_t used;
} wbatch;

typedef struct wq {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wbatch b[WQ_BATCHES];
    bool full[WQ_BATCHES];   /* handed over, not yet written */
    int fill;                /* the batch this thread fills */
    bool done;
    /* the first write that failed (set by the writer thread, read after
     * it stopped) */
    lxw_error err;
    lxw_worksheet *ews;
    uint32_t er;
    uint16_t ec;
    unsigned char ekind;
} wq;

static lxw_error wop_run(const wop *o)
{
    lxw_row_t r = o->r;
    lxw_col_t c = o->c;
    switch (o->kind) {
    case OP_STR: return worksheet_write_string(o->ws, r, c, o->s, o->f);
    case OP_BLANK: return worksheet_write_blank(o->ws, r, c, o->f);
    case OP_NUM: return worksheet_write_number(o->ws, r, c, o->num, o->f);
    case OP_FORMULA: return worksheet_write_formula_num(o->ws, r, c, o->s, o->f, o->num);
    case OP_COMMENT: return worksheet_write_comment_opt(o->ws, r, c, o->s, o->co);
    case OP_MERGE: return worksheet_merge_range(o->ws, r, c, o->r2, o->c2, o->s, o->f);
    case OP_HEIGHT: return worksheet_set_row(o->ws, r, o->num, NULL);
    default: return LXW_NO_ERROR;
    }
}

static void wbatch_clear(wbatch *bt)
{
    for (size_t i = 0; i < bt->n; i++) {
        if (bt->v[i].owned)
            free(bt->v[i].s);
        free(bt->v[i].co);
    }
    bt->n = bt->used = 0;
}

static void *wq_main(void *arg)
{
    wq *q = arg;
    for (int j = 0;; j = (j + 1) % WQ_BATCHES) {
        pthread_mutex_lock(&q->mu);
        while (!q->full[j] && !q->done)
            pthread_cond_wait(&q->cv, &q->mu);
        bool have = q->full[j];
        pthread_mutex_unlock(&q->mu);
        if (!have)
            return NULL; /* done, and every batch written */
        wbatch *bt = &q->b[j];
        for (size_t i = 0; i < bt->n; i++) {
            lxw_error e = wop_run(&bt->v[i]);
            if (e != LXW_NO_ERROR && q->err == LXW_NO_ERROR) {
                q->err = e;
                q->ews = bt->v[i].ws;
                q->er = bt->v[i].r;
                q->ec = bt->v[i].c;
                q->ekind = bt->v[i].kind;
            }
        }
        wbatch_clear(bt);
        pthread_mutex_lock(&q->mu);
        q->full[j] = false;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

/* hand the batch being filled over, and wait for the next one to be free */
static void wq_flush(wq *q)
{
    pthread_mutex_lock(&q->mu);
    q->full[q->fill] = true;
    pthread_cond_broadcast(&q->cv);
    q->fill = (q->fill + 1) % WQ_BATCHES;
    while (q->full[q->fill])
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

/* wait until the writer thread has written every batch handed over (it
 * then waits for the next one and touches nothing of the workbook) */
static void wq_idle(wq *q)
{
    pthread_mutex_lock(&q->mu);
    for (int i = 0; i < WQ_BATCHES; i++)
        while (q->full[i])
            pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

/* free a queue's batches and the queue (its thread stopped or never started) */
static void wq_free(wq *q)
{
    for (int i = 0; i < WQ_BATCHES; i++) {
        wbatch_clear(&q->b[i]);
        free(q->b[i].v);
        free(q->b[i].arena);
    }
    free(q);
}

/* start the writer thread for w; on failure the cells are written here */
static void wq_start(tw *w)
{
    wq *q = calloc(1, sizeof *q);
    if (!q)
        return;
    bool ok = true;
    for (int i = 0; i < WQ_BATCHES; i++)
        ok = ok && (q->b[i].v = malloc(WQ_OPS * sizeof *q->b[i].v)) && (q->b[i].arena = malloc(WQ_ARENA));
    if (ok && pthread_mutex_init(&q->mu, NULL) == 0) {
        if (pthread_cond_init(&q->cv, NULL) == 0) {
            if (pthread_create(&q->th, NULL, wq_main, q) == 0) {
                w->q = w->b->q = q;
                return;
            }
            pthread_cond_destroy(&q->cv);
        }
        pthread_mutex_destroy(&q->mu);
    }
    wq_free(q);
}

/* write what is left, and stop the writer thread */
static void wq_stop(tw *w)
{
    wq *q = w->q;
    if (!q)
        return;
    w->q = w->b->q = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->b[q->fill].n)
        q->full[q->fill] = true;
    q->done = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    if (q->err != LXW_NO_ERROR)
        cell_ok(w->b, q->err, q->ews, q->er, q->ec, op_what(q->ekind));
    wq_free(q);
}

/* queue one cell write; s is copied (or, with own, taken over); false
 * when out of memory (nothing queued) */
static bool wq_put(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, int kind, double num, const char *s,
                   char *own, lxw_format *f, const lxw_comment_options *co)
{
    wq *q = w->q;
    wbatch *bt = &q->b[q->fill];
    size_t len = s ? strlen(s) + 1 : 0;
    if (bt->n == WQ_OPS || (len && len <= WQ_ARENA / 4 && bt->used + len > WQ_ARENA)) {
        wq_flush(q);
        bt = &q->b[q->fill];
    }
    wop *o = &bt->v[bt->n];
    *o = (wop){.ws = ws, .f = f, .num = num, .r = r, .c = c, .kind = (unsigned char)kind};
    if (own) {
        o->s = own;
        o->owned = true;
    } else if (s && len <= WQ_ARENA / 4) {
        o->s = memcpy(bt->arena + bt->used, s, len);
        bt->used += len;
    } else if (s) {
        if (!(o->s = gy_strdup(s))) {
            w->b->oom = true;
            return false;
        }
        o->owned = true;
    }
    if (co) {
        lxw_comment_options *cc = malloc(sizeof *cc);
        if (!cc) {
            if (o->owned)
                free(o->s);
            w->b->oom = true;
            return false;
        }
        *cc = *co;
        o->co = cc;
    }
    bt->n++;
    return true;
}

static void put_str(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
{
    if (!text_fits(w->b, ws, r, c, s))
        return;
    if (w->q) {
        wq_put(w, ws, r, c, OP_STR, 0, s, NULL, f, NULL);
        return;
    }
    if (w->buffered)
        put_op(w, ws, (int)r, (int)c, OP_STR, 0, s, f, NULL);
    else
        cell_ok(w->b, worksheet_write_string(ws, r, c, s, f), ws, r, c, op_what(OP_STR));
}

static void put_blank(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lxw_format *f)
{
    if (w->q) {
        wq_put(w, ws, r, c, OP_BLANK, 0, NULL, NULL, f, NULL);
        return;
    }
    if (w->buffered)
        put_op(w, ws, (int)r, (int)c, OP_BLANK, 0, NULL, f, NULL);
    else
        cell_ok(w->b, worksheet_write_blank(ws, r, c, f), ws, r, c, op_what(OP_BLANK));
}

static void put_num(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f)
{
    if (w->q) {
        wq_put(w, ws, r, c, OP_NUM, v, NULL, NULL, f, NULL);
        return;
    }
    if (w->buffered)
        put_op(w, ws, (int)r, (int)c, OP_NUM, v, NULL, f, NULL);
    else
        cell_ok(w->b, worksheet_write_number(ws, r, c, v, f), ws, r, c, op_what(OP_NUM));
}

/* s is taken over (freed here or by the writer thread) */
static void put_formula(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, char *s, lxw_format *f, double v)
{
    if (w->q) {
        wq_put(w, ws, r, c, OP_FORMULA, v, s, s, f, NULL);
        return;
    }
    if (w->buffered)
        put_op(w, ws, (int)r, (int)c, OP_FORMULA, v, s, f, NULL);
    else
        cell_ok(w->b, worksheet_write_formula_num(ws, r, c, s, f, v), ws, r, c, op_what(OP_FORMULA));
    free(s);
}

static void put_comment(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_comment_options *co)
{
    if (!text_fits(w->b, ws, r, c, s))
        return;
    if (w->q) {
        wq_put(w, ws, r, c, OP_COMMENT, 0, s, NULL, NULL, co);
        return;
    }
    if (w->buffered)
        put_op(w, ws, (int)r, (int)c, OP_COMMENT, 0, s, NULL, co);
    else
        cell_ok(w->b, worksheet_write_comment_opt(ws, r, c, s, co), ws, r, c, op_what(OP_COMMENT));
}

/* merge header cells (r1, c1) .. (r2, c2), whose cells are written already.
 * In constant-memory mode libxlsxwriter records a merge only while its
 * last row is the row being written (it refuses rows already written out),
 * so a merge is put right after the last cell of its last row: write_header
 * calls this at the end of each header row, and buffered cells are sorted
 * to the end of that row (c = LXW_COL_MAX). Merging writes the text and
 * blanks again; those in rows already written out are dropped, the others
 * are the same cells. */
static void put_merge(tw *w, lxw_worksheet *ws, int r1, int c1, int r2, int c2, const char *s, lxw_format *f)
{
    /* worksheet_merge_range does not say when its text was refused */
    if (!text_fits(w->b, ws, (lxw_row_t)r1, (lxw_col_t)c1, s))
        return;
    if (w->q) {
        if (wq_put(w, ws, (lxw_row_t)r1, (lxw_col_t)c1, OP_MERGE, 0, s, NULL, f, NULL)) {
            wop *o = &w->q->b[w->q->fill].v[w->q->b[w->q->fill].n - 1];
            o->r2 = (uint32_t)r2;
            o->c2 = (uint16_t)c2;
        }
        return;
    }
    if (w->buffered) {
        size_t before = w->nops;
        put_op(w, ws, r2, LXW_COL_MAX, OP_MERGE, 0, s, f, NULL);
        if (w->nops > before) {
            op *o = &w->ops[w->nops - 1];
            o->r1 = r1;
            o->c1 = c1;
            o->c2 = c2;
        }
        return;
    }
    cell_ok(w->b, worksheet_merge_range(ws, (lxw_row_t)r1, (lxw_col_t)c1, (lxw_row_t)r2, (lxw_col_t)c2, s, f), ws,
            (lxw_row_t)r1, (lxw_col_t)c1, op_what(OP_MERGE));
}

/* the height of sheet row r in points (wrapped text: row_height). In
 * constant-memory mode a row's height is set while it is the row being
 * written: buffered, it is sorted before the row's cells (c = -1); through
 * the writer thread it is queued after them. */
static void put_height(tw *w, lxw_worksheet *ws, int r, double pt)
{
    pg_note_row(w, ws, r, pt);
    if (w->q) {
        wq_put(w, ws, (lxw_row_t)r, 0, OP_HEIGHT, pt, NULL, NULL, NULL, NULL);
        return;
    }
    if (w->buffered) {
        put_op(w, ws, r, -1, OP_HEIGHT, pt, NULL, NULL, NULL);
        return;
    }
    cell_ok(w->b, worksheet_set_row(ws, (lxw_row_t)r, pt, NULL), ws, (lxw_row_t)r, 0, op_what(OP_HEIGHT));
}

static int cmp_op(const void *a, const void *b)
{
    const op *x = a, *y = b;
    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    if (x->r != y->r)
        return x->r < y->r ? -1 : 1;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void replay(tw *w)
{
    if (w->nops)
        qsort(w->ops, w->nops, sizeof *w->ops, cmp_op);
    for (size_t i = 0; i < w->nops; i++) {
        op *o = &w->ops[i];
        lxw_row_t r = (lxw_row_t)o->r;
        lxw_col_t c = (lxw_col_t)o->c;
        lxw_error e = LXW_NO_ERROR;
        switch (o->kind) {
        case OP_STR: e = worksheet_write_string(o->ws, r, c, o->s, o->f); break;
        case OP_BLANK: e = worksheet_write_blank(o->ws, r, c, o->f); break;
        case OP_NUM: e = worksheet_write_number(o->ws, r, c, o->num, o->f); break;
        case OP_FORMULA: e = worksheet_write_formula_num(o->ws, r, c, o->s, o->f, o->num); break;
        case OP_COMMENT: o->co.author = "gaiyo"; e = worksheet_write_comment_opt(o->ws, r, c, o->s, &o->co); break;
        case OP_MERGE:
            r = (lxw_row_t)o->r1;
            c = (lxw_col_t)o->c1;
            e = worksheet_merge_range(o->ws, r, c, (lxw_row_t)o->r, (lxw_col_t)o->c2, o->s, o->f);
            break;
        case OP_HEIGHT:
            c = 0;
            e = worksheet_set_row(o->ws, r, o->num, NULL);
            break;
        }
        cell_ok(w->b, e, o->ws, r, c, op_what(o->kind));
        free(o->s);
    }
    free(w->ops);
    w->ops = NULL;
    w->nops = w->capops = 0;
}

/* Derivations by cell, one window of rows at a time (gy_deriver): per row
 * of the window, the derivations of that row in their order (a counting
 * sort by row), so that writing row after row reads the index in order;
 * the first derivation of a cell wins (sums before rules). A cell outside
 * the window has no derivation known here. */
static size_t dfind(const tw *w, size_t row, int col)
{
    if (!w->ndv || row < w->wa || row >= w->wb)
        return SIZE_MAX;
    row -= w->wa;
    for (size_t i = w->drow[row]; i < w->drow[row + 1]; i++)
        if (w->dv[w->didx[i]].col == col)
            return w->didx[i];
    return SIZE_MAX;
}

static void eval_dv(tw *w, size_t k, int part);
static bool cell_pos(const tw *w, size_t row, int col, int *part, int *sr, int *sc);

/* Rows a window holds at least (gy_xlsx_opts.window_rows): a window is
 * whole groups, so a table of one group is one window whatever this says. */
enum { WINDOW_ROWS = 8192 };

/* make the derivations of the rows [a, b) the current window, and settle
 * every formula of it (cycles first) before its cells are written */
static bool load_window(tw *w, size_t a, size_t b)
{
    const gy_derivs *dv = &w->view;
    w->wa = a;
    w->wb = b;
    w->ndv = w->nsums = 0;
    if (!w->view.n && gy_deriver_rows(w->dr, a, b, &dv) != GY_OK)
        return false;
    size_t n = dv->n, nr = b - a;
    if (n >= UINT32_MAX)
        return true; /* left without formulas */
    w->dv = dv->v;
    free(w->dst);
    free(w->dvv);
    free(w->drow);
    free(w->didx);
    free(w->sums);
    w->sums = NULL;
    w->dst = calloc(n ? n : 1, 1);
    w->dvv = gy_malloc_big(n ? n : 1, sizeof *w->dvv);
    w->drow = calloc(nr + 2, sizeof *w->drow);
    w->didx = gy_malloc_big(n ? n : 1, sizeof *w->didx);
    if (!w->dst || !w->dvv || !w->drow || !w->didx)
        return false;
    for (size_t k = 0; k < n; k++) {
        const gy_deriv *d = &w->dv[k];
        if (d->row < a || d->row >= b) {
            w->nsums = 0;
            return true; /* not the window's: left without formulas */
        }
        w->drow[d->row - a + 2]++;
        if (!d->rule) {
            size_t *ns = w->nsums % 64 ? w->sums : realloc(w->sums, (w->nsums + 64) * sizeof *ns);
            if (!ns)
                return false;
            w->sums = ns;
            w->sums[w->nsums++] = k;
        }
    }
    w->ndv = n;
    /* drow[r + 1] = start of row r + 1 after the prefix sums; fill stably */
    for (size_t r = 2; r < nr + 2; r++)
        w->drow[r] += w->drow[r - 1];
    for (size_t k = 0; k < n; k++)
        w->didx[w->drow[w->dv[k].row - a + 1]++] = (uint32_t)k;
    for (size_t k = 0; k < n; k++) {
        int part, sr, sc;
        if (cell_pos(w, w->dv[k].row, w->dv[k].col, &part, &sr, &sc))
            eval_dv(w, k, part);
    }
    return true;
}

/* the window holding table row `row`: rows come in ascending order (a
 * pivot layout, which does not go row by row, is one window) */
static void need_window(tw *w, size_t row)
{
    size_t n = w->t->nrows;
    while (!w->b->oom && (!w->wloaded || row >= w->wb) && (!w->wloaded || w->wb < n)) {
        size_t a = w->wloaded ? w->wb : 0;
        size_t min = w->b->o->window_rows ? w->b->o->window_rows : WINDOW_ROWS;
        /* verify's derivations: the whole table is one window */
        size_t b = w->view.n ? n : gy_deriver_window(w->dr, a, w->l->pivot_key_idx != -1 ? SIZE_MAX : min);
        w->wloaded = true;
        if (!load_window(w, a, b))
            w->b->oom = true;
    }
}

/* the field printing column col of table row `row`, or -1 */
static int field_of(const tw *w, size_t row, int col)
{
    const gy_layout *l = w->l;
    for (size_t f = 0; f < l->nfields; f++) {
        if (l->fields[f].colidx != col)
            continue;
        if (l->fields[f].where && strcmp(gy_ttext(w->t, row, l->pivot_col_idx), l->fields[f].where))
            continue;
        return (int)f;
    }
    return -1;
}

static void rec_pos(const tw *w, const rec *r, int field, int *sr, int *sc)
{
    if (w->l->across) {
        *sr = r->off + w->hr0 + field;
        *sc = r->line;
    } else {
        *sr = r->line;
        *sc = r->off + field;
    }
}

/* record k: from the list, or, for a layout of one record per table row
 * in row order (no list kept: a million rows need none), computed */
static rec rec_at(const tw *w, size_t k)
{
    if (w->recs)
        return w->recs[k];
    return (rec){.kind = R_ROW,
                 .row = (uint32_t)k,
                 .sheet = (int32_t)((long long)k / w->maxbody),
                 .line = w->hr0 + w->H + (int32_t)((long long)k % w->maxbody)};
}

/* where table cell (row, col) is printed: part, row, column */
static bool cell_pos(const tw *w, size_t row, int col, int *part, int *sr, int *sc)
{
    if (row >= w->t->nrows)
        return false;
    size_t k = w->rec_of_row ? w->rec_of_row[row] : row;
    if (k == NO_REC)
        return false;
    int f = field_of(w, row, col);
    if (f < 0)
        return false;
    rec r = rec_at(w, k);
    *part = r.sheet;
    rec_pos(w, &r, f, sr, sc);
    return true;
}

/* a base cell's value for a formula: false if it holds text Excel cannot add */
static bool base_value(const tw *w, size_t row, int col, bool in_sum, int64_t *v);

/* evaluate derivation k: its value as Excel computes it from the sheet, and
 * its formula (into w->ds[k]) */
static void eval_dv(tw *w, size_t k, int part);

static bool cell_value(tw *w, size_t row, int col, bool in_sum, int64_t *v)
{
    if (row < w->wa || row >= w->wb)
        return false; /* outside the window: its figure is not known here */
    size_t k = dfind(w, row, col);
    if (k != SIZE_MAX) {
        int part, sr, sc;
        if (!cell_pos(w, row, col, &part, &sr, &sc))
            return false;
        eval_dv(w, k, part);
        if (w->dst[k] == 1)
            return false; /* a cycle */
        *v = w->dst[k] == 2 ? w->dvv[k] : w->dv[k].value;
        return true;
    }
    return base_value(w, row, col, in_sum, v);
}

static bool base_value(const tw *w, size_t row, int col, bool in_sum, int64_t *v)
{
    gy_nil nil = gy_tnil(w->t, row, col);
    if (nil == GY_NIL_NONE) {
        *v = gy_tv(w->t, row, col);
        return true;
    }
    /* a blank cell is 0 to Excel; '-' or '…' is text: SUM skips it, + fails */
    *v = 0;
    return in_sum || nil == GY_NIL_BLANK;
}

/* A formula being built: its text (when `text`), and always its length,
 * so that the values and lengths of every formula can be settled before
 * writing without keeping a million texts; a cell's text is built when
 * the cell is written. */
typedef struct fbuf {
    gy_buf b;
    bool text;
    bool ok;             /* false once out of memory */
    size_t len;
} fbuf;

static void fput(fbuf *f, const char *s)
{
    size_t n = strlen(s);
    f->len += n;
    if (f->text && !gy_buf_add(&f->b, s, n))
        f->ok = false;
}

static void fput_int(fbuf *f, long long x)
{
    char b[32];
    gy_format_int(x, "-", b, sizeof b);
    /* no thousands separators in a formula */
    char o[32];
    size_t k = 0;
    for (const char *p = b; *p; p++)
        if (*p != ',')
            o[k++] = *p;
    o[k] = '\0';
    fput(f, o);
}

/* the length of cell_ref's text (without writing it) */
static size_t ref_len(const char *sheet, int r, int c)
{
    size_t n = c < 26 ? 1 : c < 702 ? 2 : 3;
    for (unsigned x = (unsigned)r + 1; x; x /= 10)
        n++;
    return sheet ? n + strlen(sheet) + 3 : n; /* 'sheet'! */
}

/* a reference to cell (sr, sc) of sheet p, seen from sheet `part` */
static void fput_ref(tw *w, fbuf *f, int p, int sr, int sc, int part)
{
    const char *sheet = p == part ? NULL : w->wsname[p];
    if (!f->text) {
        f->len += ref_len(sheet, sr, sc);
        return;
    }
    char ref[300]; /* a sheet name is at most 31 characters (sheet_name) */
    if (!cell_ref(ref, sizeof ref, sheet, sr, sc)) {
        f->ok = false;
        return;
    }
    fput(f, ref);
}

/* append a reference to (row, col) as seen from a formula on sheet `part` */
static bool put_ref(tw *w, fbuf *f, size_t row, int col, int part)
{
    int p, sr, sc;
    if (!cell_pos(w, row, col, &p, &sr, &sc))
        return false;
    fput_ref(w, f, p, sr, sc, part);
    return true;
}

/* SUM(...) of column col over rows[0..n), as seen from sheet `part`, with
 * runs of adjacent cells written as ranges (A5:A2805); *v = the sum */
static bool sum_formula(tw *w, const size_t *rows, size_t n, int col, int part, fbuf *f, int64_t *v)
{
    fput(f, "SUM(");
    *v = 0;
    size_t i = 0;
    bool first = true;
    while (i < n) {
        int p0, r0, c0;
        int64_t x;
        /* a sum that leaves int64 has no cached value: the caller writes
         * the cell as its stated value (verify reports the overflow) */
        if (!cell_value(w, rows[i], col, true, &x) || !cell_pos(w, rows[i], col, &p0, &r0, &c0) ||
            __builtin_add_overflow(*v, x, v))
            return false;
        size_t j = i + 1;
        int rl = r0, cl = c0;
        while (j < n) {
            int p1, r1, c1;
            if (!cell_pos(w, rows[j], col, &p1, &r1, &c1) || p1 != p0 ||
                !((r1 == rl + 1 && c1 == cl) || (c1 == cl + 1 && r1 == rl)))
                break;
            if (!cell_value(w, rows[j], col, true, &x) || __builtin_add_overflow(*v, x, v))
                return false;
            rl = r1;
            cl = c1;
            j++;
        }
        if (!first)
            fput(f, ",");
        fput_ref(w, f, p0, r0, c0, part);
        if (j > i + 1) {
            fput(f, ":");
            fput_ref(w, f, part, rl, cl, part); /* the range's end: no sheet name */
        }
        first = false;
        i = j;
    }
    fput(f, ")");
    return n && f->ok;
}

/* the sum derivation of column col over exactly rows[0..n), or SIZE_MAX */
static size_t total_cell(const tw *w, int col, const size_t *rows, size_t n)
{
    for (size_t i = 0; i < w->nsums; i++) {
        const gy_deriv *d = &w->dv[w->sums[i]];
        if (d->col == col && d->nrefs == n && n && d->refs[0] == rows[0] &&
            !memcmp(d->refs, rows, n * sizeof *rows))
            return w->sums[i];
    }
    return SIZE_MAX;
}

/* the leaves of a rule's formula, with its recorded refs; k is the cursor
 * (the operators and their parentheses are expr.c's: gy_expr_formula) */
typedef struct fleaf {
    tw *w;
    const gy_deriv *d;
    size_t k;
    int part;
    fbuf *f;
} fleaf;

static void fleaf_put(void *u, const char *s)
{
    fput(((fleaf *)u)->f, s);
}

/* the decimals a column's values are stored with */
static int col_dec(const gy_coldef *cd)
{
    return gy_col_decimals(cd);
}

static bool fleaf_total(fleaf *x, const gy_expr *e, int64_t *v)
{
    tw *w = x->w;
    const gy_deriv *d = x->d;
    fbuf *f = x->f;
    int part = x->part;
    if (x->k >= d->nrefs)
        return false;
    size_t n = d->refs[x->k++];
    if (x->k >= d->nrefs || !d->pool)
        return false;
    const size_t *rows = d->pool + d->refs[x->k++];
    /* every row of a group refers to the same total: kept per column
     * (same first row, count and sheet) so that it is built once */
    totcache *tc = &w->tot[e->col];
    bool same = tc->set && tc->first == (n ? rows[0] : 0) && tc->n == n && tc->part == part;
    if (same && (tc->text || !f->text)) {
        *v = tc->v;
        if (tc->text)
            fput(f, tc->text);
        else
            f->len += tc->len;
        return true;
    }
    fbuf sb = {{0}, f->text, true, 0};
    int64_t s = 0;
    /* the total of a group is its 計's cell when that cell sums the
     * very same rows: E1363 instead of SUM(E5:E1362) in every row
     * (the same value; Excel adds each group once, not once per row) */
    bool ok = false;
    size_t kk = total_cell(w, e->col, rows, n);
    int tp, tr, tcl;
    if (kk != SIZE_MAX && cell_value(w, w->dv[kk].row, e->col, false, &s) &&
        cell_pos(w, w->dv[kk].row, e->col, &tp, &tr, &tcl)) {
        fput_ref(w, &sb, tp, tr, tcl, part);
        ok = sb.ok;
    }
    if (!ok) {
        gy_buf_free(&sb.b);
        sb = (fbuf){{0}, f->text, true, 0};
        ok = sum_formula(w, rows, n, e->col, part, &sb, &s);
    }
    if (!ok) {
        gy_buf_free(&sb.b);
        return false;
    }
    free(tc->text);
    *tc = (totcache){.set = true, .text = sb.b.p, .len = sb.len, .first = n ? rows[0] : 0, .n = n,
                     .part = part, .v = s};
    *v = s;
    if (tc->text)
        fput(f, tc->text);
    else
        f->len += tc->len;
    return true;
}

static bool fleaf_value(void *u, const gy_expr *e, gy_rat *r)
{
    fleaf *x = u;
    int64_t v;
    if (e->op == GY_X_TOTAL) {
        if (!fleaf_total(x, e, &v))
            return false;
    } else {
        if (x->k >= x->d->nrefs)
            return false;
        size_t row = x->d->refs[x->k++];
        if (row == GY_DERIV_NOROW || !cell_value(x->w, row, e->col, false, &v) ||
            !put_ref(x->w, x->f, row, e->col, x->part))
            return false;
    }
    return gy_rat_scaled(v, col_dec(&x->w->t->def->cols[e->col]), r);
}

/* the formula of derivation k, into f (text and/or length); *v its value */
static bool dv_formula(tw *w, size_t k, int part, fbuf *f, int64_t *v)
{
    const gy_deriv *d = &w->dv[k];
    fput(f, "=");
    if (!d->rule) {
        /* SUM over runs of adjacent cells; shares add up in binary
         * doubles: their sum is rounded to the column's decimals */
        const gy_coldef *cd = &w->t->def->cols[d->col];
        bool rnd = cd->type == GY_T_RATIO || gy_col_decimals(cd) > 0;
        if (rnd)
            fput(f, "ROUND(");
        if (!sum_formula(w, d->refs, d->nrefs, d->col, part, f, v))
            return false;
        if (rnd) {
            fput(f, ",");
            fput_int(f, cd->decimals);
            fput(f, ")");
        }
        return f->ok;
    }
    const gy_tabledef *def = w->t->def;
    const gy_coldef *cd = &def->cols[d->col];
    int cold[256], *cv = def->ncols <= 256 ? cold : malloc(def->ncols * sizeof *cv);
    if (!cv)
        return false;
    for (size_t i = 0; i < def->ncols; i++)
        cv[i] = col_dec(&def->cols[i]);
    fleaf u = {w, d, 0, part, f};
    gy_xfenv env = {fleaf_value, fleaf_put, &u, cd->type == GY_T_RATIO ? cd->scale : 1, col_dec(cd), cv};
    bool ok = gy_expr_formula(d->rule->expr, &env, v) && f->ok;
    if (cv != cold)
        free(cv);
    return ok;
}

/* settle derivation k: whether it is written as a formula (st 2: its
 * value as Excel computes it from the sheet) or as a value (st 3) */
static void eval_dv(tw *w, size_t k, int part)
{
    if (w->dst[k])
        return;
    w->dst[k] = 1;
    fbuf f = {{0}, false, true, 0};
    int64_t v = 0;
    bool ok = dv_formula(w, k, part, &f, &v);
    /* Excel's limit on a formula's length (kept under 8,000 characters
     * after the =) */
    if (ok && f.len <= 8000) {
        w->dst[k] = 2;
        w->dvv[k] = v;
    } else {
        w->dst[k] = 3;
    }
}

/* the text of settled derivation k (st 2), owned by the caller */
static char *dv_text(tw *w, size_t k, int part)
{
    fbuf f = {{0}, true, true, 0};
    int64_t v;
    if (!dv_formula(w, k, part, &f, &v) || !f.b.p) {
        gy_buf_free(&f.b);
        return NULL;
    }
    return f.b.p;
}

/* the findings of table row `row`: fmark[*a .. return) (fmark is sorted by row) */
static size_t frange(const tw *w, size_t row, size_t *a)
{
    size_t lo = 0, hi = w->nfmark;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (w->fmark[m]->row < row)
            lo = m + 1;
        else
            hi = m;
    }
    *a = lo;
    while (hi < w->nfmark && w->fmark[hi]->row == row)
        hi++;
    return hi;
}

static int cmp_frow(const void *x, const void *y)
{
    const gy_finding *p = *(const gy_finding *const *)x, *q = *(const gy_finding *const *)y;
    if (p->row != q->row)
        return p->row < q->row ? -1 : 1;
    return p < q ? -1 : p > q;
}

/* the worst finding (error/warning) about a cell: it marks the cell */
static const gy_finding *finding_at(const tw *w, size_t row, int col)
{
    if (!w->frow || row >= w->t->nrows || !w->frow[row])
        return NULL; /* most rows have no finding: one byte says so */
    const gy_finding *best = NULL;
    size_t a, e = frange(w, row, &a);
    for (size_t i = a; i < e; i++) {
        const gy_finding *f = w->fmark[i];
        if (f->sev != GY_SEV_INFO && gy_finding_covers(f, row, col) && (!best || f->sev > best->sev))
            best = f;
    }
    return best;
}

/* the cell (row, col) is written at (part, sr, sc): the link of each
 * finding standing there (absolute: LibreOffice reads a relative A1 in a
 * link as another notation) */
static void finding_link(tw *w, int part, int sr, int sc, size_t row, int col)
{
    if (!w->frow || row >= w->t->nrows || !w->frow[row] || !w->b->links)
        return;
    const gy_findings *fs = w->b->o->findings;
    size_t a, e = frange(w, row, &a);
    for (size_t i = a; i < e; i++) {
        const gy_finding *f = w->fmark[i];
        size_t k = (size_t)(f - fs->v);
        if (f->row != row || f->col != col || w->b->links[k])
            continue;
        char a1[LXW_MAX_CELL_NAME_LENGTH];
        lxw_rowcol_to_cell_abs(a1, (lxw_row_t)sr, (lxw_col_t)sc, 1, 1);
        if (!(w->b->links[k] = gy_asprintf("%s!%s", w->wsname[part], a1)))
            w->b->oom = true;
    }
}

/* a cell's comment: its stated value, then every finding about it (worst
 * first), each with its own message and recomputed value */
static char *cell_note(const tw *w, size_t row, int col, const char *stated, const char *shown)
{
    static const char *const sevj[] = {"情報", "警告", "誤り"};
    gy_buf b = {0};
    gy_buf_printf(&b, "記載: %s", *stated ? stated : "(空欄)");
    if (strcmp(stated, shown))
        gy_buf_printf(&b, "\n表示: 再計算した値 %s", shown);
    bool any = false;
    size_t a, e = frange(w, row, &a);
    for (int sev = GY_SEV_ERROR; sev >= GY_SEV_INFO; sev--)
        for (size_t i = a; i < e; i++) {
            const gy_finding *f = w->fmark[i];
            if ((int)f->sev != sev || !gy_finding_covers(f, row, col))
                continue;
            any = true;
            gy_buf_printf(&b, "\n%s [%s]", sevj[sev], f->rule);
            if (f->stated && *f->stated && f->computed && *f->computed)
                gy_buf_printf(&b, " 記載 %s、再計算 %s", f->stated, f->computed);
            else if (f->computed && *f->computed)
                gy_buf_printf(&b, " 再計算 %s", f->computed);
            gy_buf_printf(&b, ": %s", f->msg);
        }
    if (!any)
        gy_buf_puts(&b, "\n印のあるセルの再計算した値から計算した値です (このセルそのものの所見はありません)");
    if (!gy_buf_add(&b, "", 1)) {
        gy_buf_free(&b);
        return NULL;
    }
    return b.p;
}

static void widen(tw *w, int sc, const char *text, int span)
{
    if (sc < 0 || sc >= w->ncolw || span != 1)
        return;
    double wd = (double)gy_utf8_width(text) + 2;
    if (wd > w->colw[sc])
        w->colw[sc] = wd;
}

static int ftype_kind(const gy_coldef *cd)
{
    switch (cd->type) {
    case GY_T_AMOUNT:
    case GY_T_COUNT:
        return F_AMOUNT;
    case GY_T_RATIO:
        return cd->scale == 1 ? F_QUOT : F_RATIO;
    default:
        return F_TEXT;
    }
}

static const char *label_text(const tw *w, const char *s)
{
    for (size_t i = 0; i < w->l->nrename; i++)
        if (!strcmp(w->l->rename_from[i], s))
            return w->l->rename_to[i];
    return s;
}

/* Excel keeps at most some 200 number formats per workbook: the distinct
 * prefixes of numbers (field … prefix COL) are at most this many */
enum { PREFIX_MAX = 64, PREFIX_BYTES = 32 };

/* the prefix of a number cell: the text of the field's prefix column on
 * that row, interned in b->pfx (its formats are compared by pointer), or
 * NULL (no prefix, a blank one, or an error said) */
static const char *cell_prefix(tw *w, size_t row, const gy_lfield *lf)
{
    wb *b = w->b;
    if (!lf->prefix || lf->prefix_idx < 0)
        return NULL;
    const char *s = gy_ttext(w->t, row, lf->prefix_idx);
    if (!*s)
        return NULL;
    for (size_t i = 0; i < b->npfx; i++)
        if (!strcmp(b->pfx[i], s))
            return b->pfx[i];
    /* a prefix becomes a literal of the number format: never a control
     * character, and short enough for the format's field */
    size_t n = 0;
    bool ctl = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += *p == '"' ? 4 : 1;
        ctl |= *p < 0x20 || *p == 0x7f;
    }
    if (ctl || n > PREFIX_BYTES || b->npfx >= PREFIX_MAX) {
        gy_cell c;
        gy_table_cell(w->t, row, (size_t)lf->prefix_idx, &c);
        char *q = gy_quote(s);
        const char *lp = w->l->path ? w->l->path : "";
        if (ctl)
            gy_diag_add(b->d, w->t->path, c.line, c.col, "数の前に付ける文字 %s に制御文字があります (様式 %s の prefix %s)",
                        q ? q : "?", lp, lf->prefix);
        else if (n > PREFIX_BYTES)
            gy_diag_add(b->d, w->t->path, c.line, c.col,
                        "数の前に付ける文字 %s が長すぎます (%d バイトまで、'\"' は 4 バイト; 様式 %s の prefix %s)",
                        q ? q : "?", PREFIX_BYTES, lp, lf->prefix);
        else
            gy_diag_add(b->d, w->t->path, c.line, c.col,
                        "数の前に付ける文字 %s で %d 種類を超えます (Excel の表示形式の数に限りがあります; 様式 %s の prefix %s)",
                        q ? q : "?", PREFIX_MAX, lp, lf->prefix);
        free(q);
        b->failed = true;
        return NULL;
    }
    char **nv = realloc(b->pfx, (b->npfx + 1) * sizeof *nv);
    if (!nv || !(s = gy_strdup(s))) {
        if (nv)
            b->pfx = nv;
        b->oom = true;
        return NULL;
    }
    b->pfx = nv;
    b->pfx[b->npfx] = (char *)s;
    return b->pfx[b->npfx++];
}

/* The lines a wrapped cell's text takes in its column: the field's width,
 * or, without one, the width the column is fitted to (its widest text + 2,
 * at most 60), which is 60 for a text wider than 58 and holds any other
 * on one line. Counted into the height of its sheet row. */
static void count_lines(tw *w, const gy_lfield *lf, int sr, const char *s, int indent)
{
    if (!lf->wrap || !*s)
        return;
    int width = lf->width && !w->l->across ? lf->width : 60;
    if (!(lf->width && !w->l->across) && !strchr(s, '\n') && gy_utf8_width(s) + 2 <= 60)
        return;
    /* an indent (a level of a label) takes about two half-width characters */
    size_t n = gy_wrap_lines(s, width - 2 * (indent > 15 ? 15 : indent));
    if (w->xlines) {
        if (sr >= 0 && (size_t)sr < w->nxlines && n > w->xlines[sr])
            w->xlines[sr] = (unsigned short)(n > 409 ? 409 : n);
    } else if (n > w->lines) {
        w->lines = n;
    }
}

/* a row of `lines` lines of text: its height in points (Excel rows are
 * whole pixels, 0.75 pt; at most Excel's 409 pt) */
static double row_height(const tw *w, size_t lines)
{
    double pt = (double)lines * w->b->ls->font_size * 1.5;
    pt = (double)(long)((pt + 0.74) / 0.75) * 0.75;
    return pt > 409 ? 409 : pt;
}

/* the text a text cell prints (fy as the report writes it, a 計 row's role
 * in an empty label, the label renamed), and its format */
static const char *cell_text(tw *w, size_t row, int col, int field, int mark, char *buf, size_t nbuf,
                             lxw_format **f)
{
    const gy_table *t = w->t;
    const gy_lfield *lf = &w->l->fields[field];
    const gy_row *r = &t->rows[row];
    bool islabel = field == w->l->label_field;
    gy_cell cl;
    gy_table_cell(t, row, (size_t)col, &cl);
    const char *s = cl.text;
    if (t->def->cols[col].type == GY_T_FY && cl.nil == GY_NIL_NONE) {
        gy_cell_format(t, (size_t)col, &cl, buf, nbuf);
        s = buf;
    } else if (s == cl.buf) {
        snprintf(buf, nbuf, "%s", s);
        s = buf;
    }
    /* a 計 row without a label names itself in its role column */
    if (islabel && !*s && t->def->role_col >= 0)
        s = gy_ttext(t, row, t->def->role_col);
    if (islabel)
        s = label_text(w, s);
    *f = fmt(w->b, F_TEXT, 0, islabel ? r->level : 0, mark, lf->wrap, r->role == GY_ROLE_TOTAL);
    return s;
}

/* write one table cell at (sr, sc) of part */
static void write_cell(tw *w, int part, int sr, int sc, size_t row, int col, int field)
{
    wb *b = w->b;
    lxw_worksheet *ws = w->ws[part];
    const gy_table *t = w->t;
    const gy_coldef *cd = &t->def->cols[col];
    const gy_lfield *lf = &w->l->fields[field];
    int kind = ftype_kind(cd);
    /* the cell: a number with a value needs no text (most of a big sheet) */
    gy_cell cl;
    if (kind == F_TEXT) {
        cl = (gy_cell){.text = ""}; /* cell_text reads the cell */
    } else if (gy_tnil(t, row, col) != GY_NIL_NONE) {
        gy_table_cell(t, row, (size_t)col, &cl);
    } else {
        cl.nil = GY_NIL_NONE;
        cl.v = gy_tv(t, row, col);
        cl.text = "";
    }
    const gy_cell *c = &cl;
    const gy_finding *fd = finding_at(w, row, col);
    int mark = fd ? (fd->sev == GY_SEV_ERROR ? MARK_ERROR : MARK_WARN) : MARK_NONE;
    bool follows = false;
    finding_link(w, part, sr, sc, row, col);
    char txt[64];
    if (kind == F_TEXT) {
        char buf[64];
        lxw_format *f;
        const char *s = cell_text(w, row, col, field, mark, buf, sizeof buf, &f);
        if (*s)
            put_str(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, s, f);
        else
            put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, f);
        if (!lf->width)
            widen(w, sc, s, 1);
        count_lines(w, lf, sr, s, field == w->l->label_field ? w->t->rows[row].level : 0);
        return;
    }
    size_t k = dfind(w, row, col);
    double div = (double)gy_pow10(gy_col_decimals(cd));
    /* a prefix from another column ("(1/8) 896"): a literal of the number
     * format, so the cell stays a number */
    const char *pfx = cell_prefix(w, row, lf);
    if (k != SIZE_MAX) {
        eval_dv(w, k, part);
        int64_t shown = w->dst[k] == 2 ? w->dvv[k] : w->dv[k].value;
        /* a figure built on a recomputed one shows another value than
         * the print: a comment says so, no mark (no finding is about it) */
        follows = shown != c->v && mark == MARK_NONE;
        lxw_format *f = fmtxp(b, kind, gy_col_shown_decimals(cd, shown), 0, mark, 0, 0, lf->suffix, pfx);
        char *formula = w->dst[k] == 2 ? dv_text(w, k, part) : NULL;
        if (w->dst[k] == 2 && !formula)
            b->oom = true;
        if (formula)
            put_formula(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, formula, f, (double)shown / div);
        else
            put_num(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, (double)shown / div, f);
        gy_col_format(cd, shown, b->neg, txt, sizeof txt);
    } else if (c->nil != GY_NIL_NONE) {
        lxw_format *f = fmt(b, F_NIL, 0, 0, mark, 0, 0);
        /* a '-' or '…' is text: its prefix is written before it; a blank
         * cell with a prefix shows the prefix alone */
        if (pfx)
            snprintf(txt, sizeof txt, "%s%s%s", pfx, *c->text ? " " : "", c->text);
        else
            snprintf(txt, sizeof txt, "%s", c->text);
        if (!*txt)
            put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, f);
        else
            put_str(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, txt, f);
        pfx = NULL;
    } else {
        lxw_format *f = fmtxp(b, kind, gy_col_shown_decimals(cd, c->v), 0, mark, 0, 0, lf->suffix, pfx);
        put_num(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, (double)c->v / div, f);
        gy_col_format(cd, c->v, b->neg, txt, sizeof txt);
    }
    if (!lf->width && pfx) {
        char wt[128];
        snprintf(wt, sizeof wt, "%s %s", pfx, txt);
        widen(w, sc, wt, 1);
    } else if (!lf->width) {
        widen(w, sc, txt, 1);
    }
    if (mark != MARK_NONE || follows) {
        char st[64];
        gy_cell_format(t, (size_t)col, c, st, sizeof st);
        char *note = cell_note(w, row, col, st, txt);
        if (note) {
            /* the box ends at its cell's row (it spans about ten rows of
             * the table above it), never below: a box reaching into rows
             * where only a chart prints would add a blank printed page in
             * LibreOffice, which counts hidden comments in a page's area */
            lxw_comment_options co = {.author = "gaiyo", .width = 420, .height = 200,
                                      .start_row = (lxw_row_t)(sr >= 9 ? sr - 9 : 0), .start_col = (lxw_col_t)(sc + 1)};
            put_comment(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, note, &co);
            free(note);
        } else {
            b->oom = true;
        }
    }
}

/* the layout file a sheet comes from, for messages */
static const char *layout_name(const tw *w)
{
    return w->l->path ? w->l->path : w->t->path;
}

/* whether table rows a and b belong to the same pivot record */
static bool same_key(const tw *w, size_t a, size_t b)
{
    const gy_layout *l = w->l;
    if (l->pivot_key_idx < 0)
        return true;
    /* pivot K1,K2: every key column (A方式 小計 and B方式 小計 are two records) */
    for (size_t i = 0; i < l->npivot_keys; i++)
        if (strcmp(gy_ttext(w->t, a, l->pivot_keys[i]), gy_ttext(w->t, b, l->pivot_keys[i])))
            return false;
    return l->npivot_keys || !strcmp(gy_ttext(w->t, a, l->pivot_key_idx), gy_ttext(w->t, b, l->pivot_key_idx));
}

/* the row of pivot record `rowk`'s key whose pivot column says `where`;
 * a second such row would not be printed: an error at that row (the
 * key needs another column: pivot K1,K2 by COL) */
static size_t pivot_row(tw *w, size_t rowk, const char *where)
{
    const gy_table *t = w->t;
    size_t found = SIZE_MAX;
    uint32_t k = w->rec_of_row[rowk];
    if (k == NO_REC || !w->prec0)
        return SIZE_MAX;
    for (size_t x = w->prec0[k]; x < w->prec0[k + 1]; x++) {
        size_t i = w->prows[x];
        if (!strcmp(gy_ttext(t, i, w->l->pivot_col_idx), where)) {
            if (found == SIZE_MAX) {
                found = i;
                continue;
            }
            if (!w->pivot_dup) {
                w->pivot_dup = true;
                w->b->failed = true;
                char *kq = gy_quote(w->l->pivot_key), *v = gy_quote(where);
                gy_cell c;
                gy_table_cell(t, i, (size_t)w->l->pivot_col_idx, &c);
                gy_diag_add(w->b->d, t->path, c.line, c.col,
                            "行 %u と同じ pivot の行 (%s) で %s が %s です: 様式 %s ではどちらかが印刷されません "
                            "(pivot に行を分ける列を足してください: pivot 列1,列2 by 列)",
                            t->rows[found].line, kq ? kq : "?", w->l->pivot_col, v ? v : "?", layout_name(w));
                free(kq);
                free(v);
            }
            break;
        }
    }
    return found;
}

/* the hash of a row's pivot key (every key column) */
static uint64_t pivot_hash(const tw *w, size_t row)
{
    const gy_layout *l = w->l;
    if (l->pivot_key_idx < 0)
        return 0; /* pivot *: one record for the whole table */
    if (!l->npivot_keys)
        return gy_hash_str(0, gy_ttext(w->t, row, l->pivot_key_idx));
    uint64_t h = 0;
    for (size_t i = 0; i < l->npivot_keys; i++)
        h = gy_hash_str(h * 31 + 1, gy_ttext(w->t, row, l->pivot_keys[i]));
    return h;
}

/* pivot records through a hash of their keys (linear in the rows) */
static bool pivot_records(tw *w)
{
    const gy_table *t = w->t;
    size_t cap = 16;
    while (cap < 2 * t->nrows + 2)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot); /* record index + 1 */
    if (!slot) {
        w->b->oom = true;
        return false;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        size_t h = (size_t)pivot_hash(w, i) & (cap - 1);
        while (slot[h] && !same_key(w, w->recs[slot[h] - 1].row, i))
            h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            w->recs[w->nrecs++] = (rec){.kind = R_PIVOT, .row = (uint32_t)i};
            slot[h] = (uint32_t)w->nrecs;
        }
        w->rec_of_row[i] = slot[h] - 1;
    }
    free(slot);
    return true;
}

/* the rows of each pivot record, in row order (after the records are
 * final); and a warning for rows whose pivot value no field prints: they
 * are checked, but the sheet has no column for them */
static bool pivot_rows(tw *w)
{
    const gy_table *t = w->t;
    const gy_layout *l = w->l;
    w->prec0 = calloc(w->nrecs + 2, sizeof *w->prec0);
    w->prows = malloc((t->nrows ? t->nrows : 1) * sizeof *w->prows);
    if (!w->prec0 || !w->prows) {
        w->b->oom = true;
        return false;
    }
    for (size_t i = 0; i < t->nrows; i++)
        if (w->rec_of_row[i] != NO_REC)
            w->prec0[w->rec_of_row[i] + 2]++;
    for (size_t k = 2; k < w->nrecs + 2; k++)
        w->prec0[k] += w->prec0[k - 1];
    for (size_t i = 0; i < t->nrows; i++)
        if (w->rec_of_row[i] != NO_REC)
            w->prows[w->prec0[w->rec_of_row[i] + 1]++] = (uint32_t)i;
    if (!w->b->warn || l->pivot_col_idx < 0)
        return true;
    /* a field whose value no row has: its column is empty (a warning at
     * the layout's line, once per value) */
    for (size_t f = 0; f < l->nfields; f++) {
        const char *wv = l->fields[f].where;
        if (!wv)
            continue;
        bool said = false;
        for (size_t g = 0; g < f && !said; g++)
            said = l->fields[g].where && !strcmp(l->fields[g].where, wv);
        bool any = false;
        for (size_t i = 0; i < t->nrows && !any && !said; i++)
            any = !strcmp(gy_ttext(t, i, l->pivot_col_idx), wv);
        if (!any && !said) {
            char *q = gy_quote(wv);
            gy_diag_add(w->b->warn, layout_name(w), l->fields[f].line, l->fields[f].where_colno,
                        "表 %s には %s が %s の行がないため、この欄 (where %s) はブックで空です", t->path,
                        l->pivot_col, q ? q : "?", q ? q : "?");
            free(q);
        }
    }
    /* values no field names: one warning per value (the first 20), at its
     * first row, with how many rows hold it */
    enum { NSAID = 20 };
    size_t said[NSAID], cnt[NSAID], nsaid = 0, more = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *v = gy_ttext(t, i, l->pivot_col_idx);
        bool named = false;
        for (size_t f = 0; f < l->nfields && !named; f++)
            named = l->fields[f].where && !strcmp(l->fields[f].where, v);
        if (named)
            continue;
        size_t k = 0;
        while (k < nsaid && strcmp(gy_ttext(t, said[k], l->pivot_col_idx), v))
            k++;
        if (k < nsaid)
            cnt[k]++;
        else if (nsaid < NSAID) {
            said[nsaid] = i;
            cnt[nsaid++] = 1;
        } else
            more++;
    }
    for (size_t k = 0; k < nsaid; k++) {
        gy_cell c;
        gy_table_cell(t, said[k], (size_t)l->pivot_col_idx, &c);
        char *q = gy_quote(gy_ttext(t, said[k], l->pivot_col_idx));
        gy_diag_add(w->b->warn, t->path, c.line, c.col,
                    "様式 %s には %s が %s の欄がないため、この値の %zu 行はブックに印刷されません (検証はしています)%s",
                    layout_name(w), l->pivot_col, q ? q : "?", cnt[k],
                    k + 1 == nsaid && more ? " — ほかの値の行もあります" : "");
        free(q);
    }
    return true;
}

/* subrows that follow a row labelled `label` */
static size_t subrows_after(const gy_layout *l, const char *label)
{
    size_t n = 0;
    for (size_t s = 0; s < l->nsubrows; s++)
        n += !strcmp(label, l->subrows[s].after);
    return n;
}

/* records in print order, and where each goes; the list is sized from
 * the table and the layout (captions, subrows), nothing fixed. False with
 * a diagnostic, or with b->oom. */
static bool plan(tw *w)
{
    const gy_table *t = w->t;
    const gy_layout *l = w->l;
    w->hr0 = 3;
    w->H = (int)l->nheader;
    long long sheet_rows = w->b->o->max_rows ? (long long)w->b->o->max_rows : (long long)GY_XLSX_MAX_ROWS;
    w->maxbody = sheet_rows - w->hr0 - w->H - (long long)l->nnotes - 4;
    if (w->maxbody < 1)
        w->maxbody = 1;
    if (l->nsubrows > UINT16_MAX) {
        wb_err_at(w->b, layout_name(w), "subrow が %zu 個あります (%u 個まで)", l->nsubrows, UINT16_MAX);
        return false;
    }
    if (l->pivot_key_idx == -1 && l->block_idx < 0 && !l->nsubrows && !l->across && !l->wrap) {
        /* a record per row, in row order, parts of maxbody rows: rec_at */
        w->nrecs = t->nrows;
        w->nparts = t->nrows ? (int)(((long long)t->nrows + w->maxbody - 1) / w->maxbody) : 1;
        return true;
    }
    /* how many records: a row each (a pivot: a key each), a caption per
     * change of the block column, the subrows after their rows */
    size_t need = 0;
    if (l->pivot_key_idx == -1) {
        const char *block = NULL;
        for (size_t i = 0; i < t->nrows; i++) {
            if (l->block_idx >= 0 && (!block || strcmp(block, gy_ttext(t, i, l->block_idx)))) {
                block = gy_ttext(t, i, l->block_idx);
                need += *block != '\0'; /* a blank value: no caption row */
            }
            need += 1 + (l->nsubrows ? subrows_after(l, gy_row_label(t, &t->rows[i])) : 0);
        }
    } else {
        need = t->nrows; /* at most; subrows are counted once the keys are known */
    }
    if (need >= NO_REC) {
        wb_err_at(w->b, t->path, "シートの行が %zu 行になり、数えられる %u 行を超えます", need, NO_REC - 1);
        return false;
    }
    w->rec_of_row = malloc((t->nrows ? t->nrows : 1) * sizeof *w->rec_of_row);
    w->recs = malloc((need ? need : 1) * sizeof *w->recs);
    if (!w->rec_of_row || !w->recs) {
        w->b->oom = true;
        return false;
    }
    memset(w->rec_of_row, 0xff, (t->nrows ? t->nrows : 1) * sizeof *w->rec_of_row);
    if (l->pivot_key_idx != -1 && !pivot_records(w))
        return false;
    const char *block = NULL;
    for (size_t i = 0; i < t->nrows && l->pivot_key_idx == -1; i++) {
        const gy_row *r = &t->rows[i];
        if (l->block_idx >= 0 && (!block || strcmp(block, gy_ttext(t, i, l->block_idx)))) {
            block = gy_ttext(t, i, l->block_idx);
            if (*block)
                w->recs[w->nrecs++] = (rec){.kind = R_CAPTION, .row = (uint32_t)i};
        }
        w->rec_of_row[i] = (uint32_t)w->nrecs;
        w->recs[w->nrecs++] = (rec){.kind = R_ROW, .row = (uint32_t)i};
        for (size_t s = 0; s < l->nsubrows; s++)
            if (!strcmp(gy_row_label(t, r), l->subrows[s].after))
                w->recs[w->nrecs++] = (rec){.kind = R_SUBROW, .row = (uint32_t)i, .sub = (uint16_t)s};
    }
    /* pivot: a subrow follows the record of the row it names */
    if (l->pivot_key_idx != -1 && l->nsubrows) {
        size_t n = 0;
        for (size_t k = 0; k < w->nrecs; k++)
            n += 1 + subrows_after(l, gy_row_label(t, &t->rows[w->recs[k].row]));
        if (n >= NO_REC) {
            wb_err_at(w->b, t->path, "シートの行が %zu 行になり、数えられる %u 行を超えます", n, NO_REC - 1);
            return false;
        }
        rec *nr = malloc((n ? n : 1) * sizeof *nr);
        size_t *map = malloc((w->nrecs ? w->nrecs : 1) * sizeof *map);
        if (!nr || !map) {
            free(nr);
            free(map);
            w->b->oom = true;
            return false;
        }
        n = 0;
        for (size_t k = 0; k < w->nrecs; k++) {
            map[k] = n;
            nr[n++] = w->recs[k];
            for (size_t s = 0; s < l->nsubrows; s++)
                if (!strcmp(gy_row_label(t, &t->rows[w->recs[k].row]), l->subrows[s].after))
                    nr[n++] = (rec){.kind = R_SUBROW, .row = w->recs[k].row, .sub = (uint16_t)s};
        }
        for (size_t i = 0; i < t->nrows; i++)
            if (w->rec_of_row[i] != NO_REC)
                w->rec_of_row[i] = (uint32_t)map[w->rec_of_row[i]];
        free(map);
        free(w->recs);
        w->recs = nr;
        w->nrecs = n;
    }
    if (l->pivot_key_idx != -1 && !pivot_rows(w))
        return false;
    /* a layout across, or wrapped into blocks, stays on one sheet: it
     * must fit Excel's 16,384 columns and 1,048,576 rows */
    if (l->across || l->wrap) {
        long long per = l->wrap ? l->wrap : (long long)w->nrecs, nf = (long long)l->nfields;
        long long nblk = w->nrecs ? ((long long)w->nrecs + per - 1) / per : 1;
        long long cols = l->across ? w->H + per + 1 : nf * nblk;
        long long rows = l->across ? w->hr0 + nblk * (nf + 1) : w->hr0 + w->H + per;
        rows += (long long)l->nnotes + 2;
        if (cols > LXW_COL_MAX) {
            wb_err_at(w->b, layout_name(w), "表 %s の %zu 件を並べると %lld 列になり、シートの %d 列を超えます (wrap を小さくしてください)",
                      t->path, w->nrecs, cols, LXW_COL_MAX);
            return false;
        }
        if (rows > GY_XLSX_MAX_ROWS) {
            wb_err_at(w->b, layout_name(w), "表 %s の %zu 件を並べると %lld 行になり、シートの %d 行を超えます (wrap を%sしてください)",
                      t->path, w->nrecs, rows, GY_XLSX_MAX_ROWS, l->across ? "大きく" : "小さく");
            return false;
        }
    }
    /* geometry */
    int perblock = l->wrap ? l->wrap : INT32_MAX;
    int part = 0;
    long long line = 0;
    for (size_t k = 0; k < w->nrecs; k++) {
        rec *r = &w->recs[k];
        if (l->across) {
            long long blk = (long long)k / perblock, pos = (long long)k % perblock;
            r->sheet = 0;
            r->off = (int)(blk * ((long long)l->nfields + 1));
            r->line = w->H + (int)pos;
        } else if (l->wrap) {
            long long blk = (long long)k / perblock, pos = (long long)k % perblock;
            r->sheet = 0;
            r->off = (int)(blk * (long long)l->nfields);
            r->line = w->hr0 + w->H + (int)pos;
        } else {
            if (line >= w->maxbody) {
                part++;
                line = 0;
            }
            r->sheet = part;
            r->off = 0;
            r->line = w->hr0 + w->H + (int)line++;
        }
    }
    w->nparts = part + 1;
    return true;
}

/* the header grid in sheet coordinates, for part p */
static void write_header(tw *w, int p)
{
    const gy_layout *l = w->l;
    lxw_worksheet *ws = w->ws[p];
    lxw_format *hf = fmt(w->b, F_HEAD, 0, 0, 0, 1, 0);
    int nblocks = 1;
    if (l->wrap && w->nrecs)
        nblocks = (int)((w->nrecs + (size_t)l->wrap - 1) / (size_t)l->wrap);
    /* constant-memory mode: merges wait for the end of their last row */
    struct pend { int r1, c1, r2, c2; const char *s; } *pend = NULL;
    size_t npend = 0;
    for (int blk = 0; blk < nblocks; blk++) {
        /* grid G[i][j] = header[h][f]; down: i = h, j = f; across: i = f, j = h */
        int R = l->across ? (int)l->nfields : w->H, C = l->across ? w->H : (int)l->nfields;
        int orow = w->hr0 + (l->across ? blk * ((int)l->nfields + 1) : 0);
        int ocol = l->across ? 0 : blk * (int)l->nfields;
        for (int i = 0; i < R; i++) {
            for (int j = 0; j < C; j++) {
                const char *s = l->across ? l->header[j][i] : l->header[i][j];
                /* across: '<' (previous cell of the line) is above, '^' is left */
                bool left = !strcmp(s, l->across ? "^" : "<"), up = !strcmp(s, l->across ? "<" : "^");
                if (left || up) {
                    put_blank(w, ws, (lxw_row_t)(orow + i), (lxw_col_t)(ocol + j), hf);
                    continue;
                }
                int wd = 1, ht = 1;
                while (j + wd < C) {
                    const char *n = l->across ? l->header[j + wd][i] : l->header[i][j + wd];
                    if (strcmp(n, l->across ? "^" : "<"))
                        break;
                    wd++;
                }
                while (i + ht < R) {
                    const char *n = l->across ? l->header[j][i + ht] : l->header[i + ht][j];
                    if (strcmp(n, l->across ? "<" : "^"))
                        break;
                    ht++;
                }
                put_str(w, ws, (lxw_row_t)(orow + i), (lxw_col_t)(ocol + j), s, hf);
                if (p == 0)
                    widen(w, ocol + j, s, wd);
                if ((wd > 1 || ht > 1) && !w->b->cm) {
                    put_merge(w, ws, orow + i, ocol + j, orow + i + ht - 1, ocol + j + wd - 1, s, hf);
                } else if (wd > 1 || ht > 1) {
                    struct pend *np = realloc(pend, (npend + 1) * sizeof *np);
                    if (!np) {
                        w->b->oom = true;
                        continue;
                    }
                    pend = np;
                    pend[npend++] = (struct pend){orow + i, ocol + j, orow + i + ht - 1, ocol + j + wd - 1, s};
                }
            }
            /* the merges whose last row this was */
            for (size_t k = 0; k < npend;) {
                if (pend[k].r2 != orow + i) {
                    k++;
                    continue;
                }
                put_merge(w, ws, pend[k].r1, pend[k].c1, pend[k].r2, pend[k].c2, pend[k].s, hf);
                memmove(&pend[k], &pend[k + 1], (--npend - k) * sizeof *pend);
            }
        }
    }
    free(pend);
}

/* A field printed once per run of equal values (field … once): the run's
 * first cell holds the value, the others are blank with its format, and
 * the cells are merged over the run. A run is the records one after the
 * other in one column (down) or row (across) of one sheet with the same
 * non-blank text; a caption, a subrow, a new block of a wrapped layout or
 * a cell marked by a finding ends it. */
typedef struct orun {
    bool open;
    int part, r1, c1, r2, c2;
    const char *val;     /* the column's text (the table's) */
    char *text;          /* the text printed (owned) */
    lxw_format *f;
} orun;

/* end the run: merge it if it holds two cells or more. Called before any
 * cell of the next record, so that in constant-memory mode the merge comes
 * right after the last cell of its last row (put_merge). */
static void orun_close(tw *w, orun *o)
{
    if (o->open && (o->r2 > o->r1 || o->c2 > o->c1))
        put_merge(w, w->ws[o->part], o->r1, o->c1, o->r2, o->c2, o->text, o->f);
    free(o->text);
    *o = (orun){0};
}

/* before record r: for each once field, whether its cell continues the
 * run (cont[f]); the runs it does not continue are closed */
static void orun_step(tw *w, orun *runs, const rec *r, bool *cont)
{
    const gy_layout *l = w->l;
    for (size_t f = 0; f < l->nfields; f++) {
        cont[f] = false;
        if (!l->fields[f].once)
            continue;
        orun *o = &runs[f];
        bool rowrec = r->kind == R_ROW || r->kind == R_PIVOT;
        size_t row = r->row;
        if (rowrec && r->kind == R_PIVOT && l->fields[f].where)
            row = pivot_row(w, r->row, l->fields[f].where);
        int col = l->fields[f].colidx, sr, sc;
        rec_pos(w, r, (int)f, &sr, &sc);
        const char *v = rowrec && row != SIZE_MAX ? gy_ttext(w->t, row, col) : "";
        bool marked = rowrec && row != SIZE_MAX && finding_at(w, row, col);
        bool next = l->across ? sr == o->r1 && sc == o->c2 + 1 : sc == o->c1 && sr == o->r2 + 1;
        if (o->open && *v && !marked && r->sheet == o->part && next && !strcmp(v, o->val)) {
            cont[f] = true;
            o->r2 = sr;
            o->c2 = sc;
            continue;
        }
        orun_close(w, o);
        if (!*v || marked || !rowrec)
            continue;
        char buf[64];
        lxw_format *fm;
        const char *s = cell_text(w, row, col, (int)f, MARK_NONE, buf, sizeof buf, &fm);
        if (!(o->text = gy_strdup(s))) {
            w->b->oom = true;
            continue;
        }
        *o = (orun){.open = true, .part = r->sheet, .r1 = sr, .c1 = sc, .r2 = sr, .c2 = sc, .val = v,
                    .text = o->text, .f = fm};
    }
}

static void write_body(tw *w)
{
    const gy_layout *l = w->l;
    bool once = false;
    for (size_t f = 0; f < l->nfields; f++)
        once |= l->fields[f].once;
    orun *runs = once ? calloc(l->nfields, sizeof *runs) : NULL;
    bool *cont = once ? calloc(l->nfields, sizeof *cont) : NULL;
    /* across or wrapped into blocks, a sheet row holds several records:
     * the lines of its cells are kept per sheet row */
    bool wrapped = false;
    for (size_t f = 0; f < l->nfields; f++)
        wrapped |= l->fields[f].wrap;
    if (wrapped && (l->across || l->wrap)) {
        for (size_t k = 0; k < w->nrecs; k++) {
            rec r = rec_at(w, k);
            int sr, sc;
            rec_pos(w, &r, (int)l->nfields - 1, &sr, &sc);
            if ((size_t)sr + 1 > w->nxlines)
                w->nxlines = (size_t)sr + 1;
        }
        w->xlines = calloc(w->nxlines ? w->nxlines : 1, sizeof *w->xlines);
    }
    if ((once && (!runs || !cont)) || (wrapped && (l->across || l->wrap) && !w->xlines)) {
        free(runs);
        free(cont);
        w->b->oom = true;
        return;
    }
    int hpart = 0, hrow = 0;
    for (size_t k = 0; k < w->nrecs; k++) {
        if ((k & 16383) == 16383) /* the terminal's progress line */
            gy_progress_rows(w->t->path, 16384);
        const rec rk = rec_at(w, k), *r = &rk;
        lxw_worksheet *ws = w->ws[r->sheet];
        int sr, sc;
        need_window(w, r->row);
        if (once)
            orun_step(w, runs, r, cont);
        /* a row is as high as its most wrapped cell: the previous
         * record's row, now that its cells are written */
        if (w->lines > 1)
            put_height(w, w->ws[hpart], hrow, row_height(w, w->lines));
        w->lines = 0;
        rec_pos(w, r, 0, &hrow, &sc);
        hpart = r->sheet;
        if (r->kind == R_CAPTION) {
            rec_pos(w, r, 0, &sr, &sc);
            put_str(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, gy_ttext(w->t, r->row, l->block_idx), fmt(w->b, F_TEXT, 0, 0, 0, 0, 1));
            for (size_t f = 1; f < l->nfields; f++)
                put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)(sc + (int)f), fmt(w->b, F_TEXT, 0, 0, 0, 0, 1));
            continue;
        }
        if (r->kind == R_SUBROW) {
            const gy_lsubrow *sub = &l->subrows[r->sub];
            for (size_t f = 0; f < l->nfields; f++) {
                rec_pos(w, r, (int)f, &sr, &sc);
                const char *s = (int)f == (l->label_field >= 0 ? l->label_field : 0) ? sub->caption : NULL;
                int src = -1;
                for (size_t m = 0; m < sub->n; m++)
                    if (sub->dst[m] == l->fields[f].colidx)
                        src = sub->src[m];
                size_t row = r->row;
                if (src >= 0 && l->pivot_key_idx != -1 && l->fields[f].where)
                    row = pivot_row(w, r->row, l->fields[f].where);
                if (src >= 0 && row != SIZE_MAX) {
                    write_cell(w, r->sheet, sr, sc, row, src, (int)f);
                } else if (s) {
                    put_str(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, s, fmt(w->b, F_TEXT, 0, 0, 0, 0, 0));
                    widen(w, sc, s, 1);
                } else {
                    put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, fmt(w->b, F_TEXT, 0, 0, 0, 0, 0));
                }
            }
            continue;
        }
        for (size_t f = 0; f < l->nfields; f++) {
            rec_pos(w, r, (int)f, &sr, &sc);
            size_t row = r->row;
            if (r->kind == R_PIVOT && l->fields[f].where)
                row = pivot_row(w, r->row, l->fields[f].where);
            if (once && cont[f])
                put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, runs[f].f);
            else if (row == SIZE_MAX)
                put_blank(w, ws, (lxw_row_t)sr, (lxw_col_t)sc, fmt(w->b, F_NIL, 0, 0, 0, 0, 0));
            else
                write_cell(w, r->sheet, sr, sc, row, l->fields[f].colidx, (int)f);
        }
    }
    for (size_t f = 0; once && f < l->nfields; f++)
        orun_close(w, &runs[f]);
    if (w->lines > 1)
        put_height(w, w->ws[hpart], hrow, row_height(w, w->lines));
    w->lines = 0;
    for (size_t i = 0; i < w->nxlines; i++)
        if (w->xlines[i] > 1)
            put_height(w, w->ws[0], (int)i, row_height(w, w->xlines[i]));
    free(runs);
    free(cont);
}

/* ---- print setup: pages, scale, breaks, charts on the printed pages ----------
 * A4 with the margins below. Column widths are in Excel's characters of
 * the default font (Calibri 11: 7 pixels a character and 5 of padding;
 * LibreOffice with Carlito, metric-compatible with Calibri, measures the
 * same), rows in points. A sheet that fits one page gets "fit to 1 × 1
 * page"; any other gets a print scale of its own (never below PG_MIN_SCALE)
 * and page breaks where we put them — Excel ignores manual breaks under
 * "fit to" — so that the pages are the ones computed here, in Excel and in
 * LibreOffice alike (the breaks leave room: rows are estimated high). */

#define PG_MARGIN_LR 0.6   /* inches */
#define PG_MARGIN_TB 0.75
#define PG_MARGIN_HF 0.3
#define PG_MIN_SCALE 70    /* percent: a 10 pt figure prints at 7 pt at the least */
#define PG_DEF_ROW 18.0    /* a row without a height of its own, estimated high: LibreOffice
                              (Noto Sans CJK 10 pt) and Excel (游ゴシック 10 pt) make it lower */
#define PG_MAX_BREAKS 1023 /* Excel's limit of manual breaks per direction */
#define PG_CHART_ROW 15.0  /* rows under a chart: this high each */

typedef struct pgspec {
    bool landscape;
    int ncols;
    const double *colw;    /* width per column in characters */
    int nrows;             /* rows printed: 0 .. nrows - 1 */
    const double *rowh;    /* height per row in points (0: not set), or NULL */
    size_t nrowh;          /* rows rowh holds (rows beyond: not set) */
    bool rows_unknown;     /* a big table: no row breaks (the program breaks its pages) */
    int rep_cols;          /* columns 0 .. rep_cols - 1 repeat on every page of a split sheet */
    bool rep_always;       /* … also when the sheet is one page wide (records across) */
    int rep_r0, rep_r1;    /* rows repeated on every page (rep_r1 < rep_r0: none) */
    const int *splits;     /* columns where a page must start */
    size_t nsplits;
    const int *starts;     /* rows where a page must start */
    size_t nstarts;
    const int *keep;       /* pairs [a, b): rows not to be cut by a break (a chart) */
    size_t nkeep;
} pgspec;

typedef struct pgplan {
    int scale;             /* percent */
    int nstrips;           /* pages side by side */
    lxw_col_t *vbrk;       /* nstrips - 1 columns, 0-terminated */
    lxw_row_t *hbrk;       /* row breaks, 0-terminated (NULL: none or unknown) */
    size_t nh;
    double strip0;         /* width of the first page's columns in points */
} pgplan;

/* a column's width in points: libxlsxwriter stores w characters as the
 * pixels Excel gives them (7 a character, 5 of padding) over 7; Excel
 * prints a stored character as 7 pixels (5.25 pt), LibreOffice as the
 * digit width of Carlito 11 pt (5.56 pt): the wider counts */
static double pg_colpt(double chars)
{
    double px = chars < 1 ? (double)(long)(chars * 12 + 0.5) : (double)(long)(chars * 7 + 0.5) + 5;
    return px / 7 * 5.56;
}

/* the printable width and height of a page, in points at 100 % (A4:
 * 595.28 × 841.89), less a margin for what the estimates miss */
static double pg_width(bool landscape)
{
    return ((landscape ? 841.89 : 595.28) - 2 * PG_MARGIN_LR * 72) * 0.96;
}

static double pg_height(bool landscape)
{
    return ((landscape ? 595.28 : 841.89) - 2 * PG_MARGIN_TB * 72) * 0.90;
}

static bool pg_in(const int *v, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* columns into pages of width avail (points): the number of pages, and
 * where each after the first starts (brk, if not NULL) */
static int pg_strips(const pgspec *s, double avail, lxw_col_t *brk, double *first)
{
    double rep = 0;
    for (int c = 0; c < s->rep_cols && c < s->ncols; c++)
        rep += pg_colpt(s->colw[c]);
    int n = 1;
    double cur = 0;
    bool own = false; /* the page holds a column of its own */
    for (int c = 0; c < s->ncols; c++) {
        double w = pg_colpt(s->colw[c]);
        bool forced = c > 0 && c >= s->rep_cols && pg_in(s->splits, s->nsplits, c);
        if (c >= s->rep_cols && own && (forced || cur + w > avail)) {
            if (n == 1 && first)
                *first = cur;
            if (brk)
                brk[n - 1] = (lxw_col_t)c;
            n++;
            cur = rep;
        }
        cur += w;
        own = true;
    }
    if (n == 1 && first)
        *first = cur;
    return n;
}

static double pg_rowh(const pgspec *s, int r)
{
    double h = (size_t)r < s->nrowh && s->rowh && s->rowh[r] > 0 ? s->rowh[r] : PG_DEF_ROW;
    return h;
}

/* rows into pages of height avail: the breaks (brk, up to cap) and their number */
static size_t pg_rows(const pgspec *s, double avail, lxw_row_t *brk, size_t cap)
{
    double rep = 0;
    for (int r = s->rep_r0; r <= s->rep_r1 && r < s->nrows; r++)
        rep += pg_rowh(s, r);
    size_t n = 0;
    double cur = 0;
    int first = 0; /* the page's first row */
    for (int r = 0; r < s->nrows; r++) {
        int e = r + 1; /* rows [r, e) go together */
        for (size_t k = 0; k < s->nkeep; k++)
            if (s->keep[2 * k] == r && s->keep[2 * k + 1] > e)
                e = s->keep[2 * k + 1];
        double h = 0;
        for (int x = r; x < e && x < s->nrows; x++)
            h += pg_rowh(s, x);
        if (r > first && (pg_in(s->starts, s->nstarts, r) || cur + h > avail)) {
            if (n < cap && brk)
                brk[n] = (lxw_row_t)r;
            n++;
            first = r;
            cur = r > s->rep_r1 ? rep : 0;
        }
        cur += h;
        r = e - 1;
    }
    return n;
}

/* the scale and the pages across: the fewest pages at PG_MIN_SCALE, at
 * the largest scale (≤ 100 %) that keeps them that few */
static bool pg_plan_width(const pgspec *s, pgplan *p)
{
    double w = pg_width(s->landscape);
    int nmin = pg_strips(s, w * 100 / PG_MIN_SCALE, NULL, NULL);
    p->scale = PG_MIN_SCALE;
    for (int sc = 100; sc > PG_MIN_SCALE; sc--)
        if (pg_strips(s, w * 100 / sc, NULL, NULL) == nmin) {
            p->scale = sc;
            break;
        }
    p->vbrk = calloc((size_t)nmin + 1, sizeof *p->vbrk);
    if (!p->vbrk)
        return false;
    p->nstrips = pg_strips(s, w * 100 / p->scale, p->vbrk, &p->strip0);
    if (p->nstrips > PG_MAX_BREAKS + 1) /* Excel's limit: the rest breaks by itself */
        p->vbrk[PG_MAX_BREAKS] = 0;
    return true;
}

/* the page of a sheet at the plan's scale, in sheet points */
static double pg_avail_w(const pgspec *s, const pgplan *p)
{
    return pg_width(s->landscape) * 100 / p->scale;
}

static double pg_avail_h(const pgspec *s, const pgplan *p)
{
    return pg_height(s->landscape) * 100 / p->scale;
}

/* set what the plan says on the sheet; frees the plan */
static void pg_apply(wb *b, lxw_worksheet *ws, const pgspec *s, pgplan *p)
{
    if (!s->rows_unknown) {
        size_t nh = pg_rows(s, pg_avail_h(s, p), NULL, 0);
        if (nh && nh <= PG_MAX_BREAKS && (p->hbrk = calloc(nh + 1, sizeof *p->hbrk)))
            p->nh = pg_rows(s, pg_avail_h(s, p), p->hbrk, nh);
        else if (nh && nh <= PG_MAX_BREAKS)
            b->oom = true;
        else if (nh) /* too many pages to break by hand: the program breaks them */
            p->nh = SIZE_MAX;
    } else {
        p->nh = SIZE_MAX; /* rows unknown (a big table): breaks by the program */
    }
    worksheet_set_paper(ws, 9); /* A4 */
    if (s->landscape)
        worksheet_set_landscape(ws);
    else
        worksheet_set_portrait(ws);
    worksheet_set_margins(ws, PG_MARGIN_LR, PG_MARGIN_LR, PG_MARGIN_TB, PG_MARGIN_TB);
    if (p->nstrips == 1 && p->nh == 0) {
        worksheet_fit_to_pages(ws, 1, 1);
    } else if (p->nstrips == 1 && p->nh == SIZE_MAX) {
        worksheet_fit_to_pages(ws, 1, 0);
    } else {
        worksheet_set_print_scale(ws, (uint16_t)p->scale);
        if (p->nstrips > 1) {
            sheet_ok(b, worksheet_set_v_pagebreaks(ws, p->vbrk), ws, "改ページ (列)");
            worksheet_print_across(ws);
        }
        if (p->hbrk && p->nh)
            sheet_ok(b, worksheet_set_h_pagebreaks(ws, p->hbrk), ws, "改ページ (行)");
    }
    bool rep_rows = s->rep_r1 >= s->rep_r0 && s->rep_r0 >= 0;
    /* libxlsxwriter keeps a defined name in 128 bytes: the titles of both
     * directions, 'sheet'!$A:$B,'sheet'!$4:$6, fit only with a short sheet
     * name (a longer one would be cut inside a character); then the rows */
    bool both_fit = 2 * (strlen(ws->name) + 3) + 2 * 8 + 2 * 9 + 2 < LXW_DEFINED_NAME_LENGTH;
    if (s->rep_cols > 0 && (s->rep_always || p->nstrips > 1) && (!rep_rows || both_fit))
        sheet_ok(b, worksheet_repeat_columns(ws, 0, (lxw_col_t)(s->rep_cols - 1)), ws, "印刷の見出し列");
    if (rep_rows)
        sheet_ok(b, worksheet_repeat_rows(ws, (lxw_row_t)s->rep_r0, (lxw_row_t)s->rep_r1), ws, "印刷の見出し行");
    free(p->vbrk);
    free(p->hbrk);
    p->vbrk = NULL;
    p->hbrk = NULL;
}

/* the pixel size of a PNG (its IHDR), or false */
static bool png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char hd[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(hd, 1, sizeof hd, f);
    fclose(f);
    if (n != sizeof hd || memcmp(hd, "\x89PNG\r\n\x1a\n", 8) || memcmp(hd + 12, "IHDR", 4))
        return false;
    *w = (unsigned)hd[16] << 24 | (unsigned)hd[17] << 16 | (unsigned)hd[18] << 8 | hd[19];
    *h = (unsigned)hd[20] << 24 | (unsigned)hd[21] << 16 | (unsigned)hd[22] << 8 | hd[23];
    return *w > 0 && *h > 0 && *w < 100000 && *h < 100000;
}

#define PG_ROWS_KNOWN 100000 /* a table's rows are paged here up to this many */

/* the height of row r of the table's first sheet, for its pages */
static void pg_note_row(tw *w, lxw_worksheet *ws, int r, double pt)
{
    if (!w->ws || ws != w->ws[0] || r < 0 || r >= PG_ROWS_KNOWN)
        return;
    if ((size_t)r >= w->nrowh) {
        size_t n = w->nrowh ? w->nrowh : 64;
        while (n <= (size_t)r)
            n *= 2;
        double *nv = realloc(w->rowh, n * sizeof *nv);
        if (!nv) {
            w->b->oom = true;
            return;
        }
        memset(nv + w->nrowh, 0, (n - w->nrowh) * sizeof *nv);
        w->rowh = nv;
        w->nrowh = n;
    }
    w->rowh[r] = pt;
}

/* the width of sheet column c in characters, as set */
static double table_colw(const tw *w, int c)
{
    const gy_layout *l = w->l;
    if (c >= w->ncolw)
        return 8.43; /* libxlsxwriter's default */
    double wd = w->colw[c] > 0 ? w->colw[c] : 6;
    int fi = l->across ? -1 : c % (int)(l->nfields ? l->nfields : 1);
    if (fi >= 0 && l->fields[fi].width)
        wd = l->fields[fi].width;
    return wd > 60 ? 60 : wd;
}

/* The charts of the table, below its notes on its first sheet from row
 * r0, one below the other, each on rows of its own (PG_CHART_ROW high)
 * that no page break cuts, as wide as a page allows (at most 3/4 of the
 * PNG's pixels). Returns the row after the last chart; *lastcol grows to
 * the column the widest ends in. */
static int place_charts(tw *w, int r0, const pgspec *s, const pgplan *p, int **keep, size_t *nkeep, int *lastcol)
{
    wb *b = w->b;
    int r = r0, end = r0 - 1; /* no chart: the print area ends where it did */
    double rep = 0;
    for (int x = s->rep_r0; x <= s->rep_r1 && x >= 0; x++)
        rep += pg_rowh(s, x);
    /* a sheet printed in parts side by side repeats its key columns on
     * every part, and what is drawn over them too: its charts start right
     * of them, inside the first part */
    int c0 = p->nstrips > 1 ? s->rep_cols : 0;
    double repw = 0;
    for (int c = 0; c < c0; c++)
        repw += pg_colpt(table_colw(w, c));
    double maxw = p->nstrips == 1 ? pg_avail_w(s, p) - 50 : p->strip0 - repw - 2;
    double maxh = pg_avail_h(s, p) - rep - 2 * PG_CHART_ROW;
    for (size_t i = 0; i < b->o->nimages; i++) {
        if (strcmp(b->o->images[i].table, w->t->def->id))
            continue;
        unsigned pw = 1000, ph = 600;
        if (b->o->images[i].width > 0 && b->o->images[i].height > 0) { /* the template's size: not drawn yet */
            pw = (unsigned)b->o->images[i].width;
            ph = (unsigned)b->o->images[i].height;
        } else {
            (void)png_size(b->o->images[i].path, &pw, &ph); /* unreadable: insert_image says why */
        }
        double sc = 0.75;
        if (maxw > 0 && pw * 0.75 * sc > maxw)
            sc = maxw / (pw * 0.75);
        if (maxh > 0 && ph * 0.75 * sc > maxh)
            sc = maxh / (ph * 0.75);
        double wpt = pw * 0.75 * sc, hpt = ph * 0.75 * sc;
        int nrow = (int)(hpt / PG_CHART_ROW) + 1;
        anchor *na = realloc(b->anch, (b->nanch + 1) * sizeof *na);
        if (!na) {
            b->oom = true;
            return r;
        }
        b->anch = na;
        b->anch[b->nanch++] = (anchor){b->o->images[i].path, w->ws[0], (lxw_row_t)r, (lxw_col_t)c0, sc};
        for (int k = 0; k < nrow; k++)
            put_height(w, w->ws[0], r + k, PG_CHART_ROW);
        int *nv = realloc(*keep, (*nkeep + 1) * 2 * sizeof *nv);
        if (!nv) {
            b->oom = true;
            return r;
        }
        *keep = nv;
        nv[2 * *nkeep] = r;
        nv[2 * *nkeep + 1] = r + nrow;
        (*nkeep)++;
        double x = 0;
        int c = c0;
        while (x < wpt)
            x += pg_colpt(table_colw(w, c++));
        if (c - 1 > *lastcol)
            *lastcol = c - 1;
        end = r + nrow;
        r += nrow + 1;
    }
    return end;
}

/* the page setup of part p of a table whose notes end before row nr: its
 * charts (first part), the print area, the scale and the page breaks */
static void table_page_setup(tw *w, int p, int nr)
{
    wb *b = w->b;
    const gy_layout *l = w->l;
    lxw_worksheet *ws = w->ws[p];
    int *splits = NULL, *keep = NULL;
    size_t nsplits = 0, nkeep = 0;
    bool down1 = !l->across && !l->wrap; /* one sheet column per field */
    if (down1 && l->nsplits && (splits = calloc(l->nsplits, sizeof *splits)))
        for (size_t i = 0; i < l->nsplits; i++)
            if (l->splits[i].field > 0)
                splits[nsplits++] = l->splits[i].field;
    int rep_cols = l->across ? w->H
                   : !down1  ? 0
                   : l->repeat.col && l->repeat.field >= 0 ? l->repeat.field + 1
                   : l->label_field >= 0 ? l->label_field + 1
                                         : 1;
    int lastcol = w->ncolw - 1, end = nr;
    double *cw = NULL;
    pgspec s = {.landscape = l->landscape, .rowh = w->rowh, .nrowh = w->nrowh, .rep_cols = rep_cols,
                .rep_always = l->across, .rep_r0 = l->across ? 0 : w->hr0,
                .rep_r1 = l->across || w->H <= 0 ? -1 : w->hr0 + w->H - 1, .splits = splits, .nsplits = nsplits};
    pgplan pl = {0};
    for (int pass = 0; pass < 2; pass++) {
        /* the columns: the table's, then those a chart reaches */
        double *nv = realloc(cw, (size_t)(lastcol + 1) * sizeof *nv);
        if (!nv) {
            b->oom = true;
            goto out;
        }
        cw = nv;
        for (int c = 0; c <= lastcol; c++)
            cw[c] = table_colw(w, c);
        s.colw = cw;
        s.ncols = lastcol + 1;
        free(pl.vbrk);
        pl = (pgplan){0};
        if (!pg_plan_width(&s, &pl)) {
            b->oom = true;
            goto out;
        }
        if (pass == 1 || p != 0)
            break;
        /* three rows apart: the comment boxes of the last rows end above the charts */
        end = place_charts(w, nr + 3, &s, &pl, &keep, &nkeep, &lastcol);
    }
    s.nrows = end;
    s.rowh = w->rowh;
    s.nrowh = w->nrowh;
    s.keep = keep;
    s.nkeep = nkeep;
    s.rows_unknown = w->nparts > 1 || end > PG_ROWS_KNOWN;
    sheet_ok(b, worksheet_print_area(ws, 0, 0, (lxw_row_t)(end > 0 ? end - 1 : 0), (lxw_col_t)lastcol), ws, "印刷範囲");
    pg_apply(b, ws, &s, &pl);
out:
    free(pl.vbrk);
    free(cw);
    free(splits);
    free(keep);
}

/* the plain layout of a table without a template: every column, labels as header */
static gy_layout *plain_layout(const gy_table *t)
{
    gy_layout *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    const gy_tabledef *d = t->def;
    l->table = gy_strdup(d->id);
    l->sheet = gy_strdup(d->title ? d->title : d->id);
    l->title = gy_strdup(d->title ? d->title : d->id);
    l->unit = d->unit ? gy_asprintf("(単位：%s)", d->unit) : NULL;
    l->asof = d->asof ? gy_strdup(d->asof) : NULL;
    l->landscape = true;
    l->pivot_key_idx = l->pivot_col_idx = l->block_idx = -1;
    l->label_field = -1;
    l->fields = calloc(d->ncols ? d->ncols : 1, sizeof *l->fields);
    l->header = calloc(1, sizeof *l->header);
    if (!l->table || !l->sheet || !l->title || !l->fields || !l->header ||
        !(l->header[0] = calloc(d->ncols + 1, sizeof(char *)))) {
        gy_layout_free(l);
        return NULL;
    }
    l->nheader = 1;
    for (size_t j = 0; j < d->ncols; j++) {
        l->fields[j] = (gy_lfield){.col = gy_strdup(d->cols[j].name), .colidx = (int)j, .prefix_idx = -1};
        l->header[0][j] = gy_strdup(d->cols[j].label);
        l->nfields++;
        if ((int)j == d->label_col)
            l->label_field = (int)j;
    }
    return l;
}

static gy_status write_table(wb *b, const gy_table *t, const gy_layout *l)
{
    tw w = {.b = b, .t = t, .l = l};
    gy_status st = GY_ENOMEM;
    if (!l && !(l = w.own = plain_layout(t))) {
        b->oom = true;
        return GY_ENOMEM;
    }
    w.l = l;
    if (!plan(&w)) {
        st = b->failed ? GY_EIO : GY_ENOMEM;
        goto out;
    }
    /* the derivations verify made of this table, if it kept them (one run
     * per table, in the dataset's order): the workbook evaluates nothing
     * again; otherwise (a big table) they are made window by window */
    const gy_derivs *vd = b->o->derivs;
    for (size_t k = 0; vd && k < vd->n; k++)
        if (vd->v[k].table == t) {
            size_t e = k;
            while (e < vd->n && vd->v[e].table == t)
                e++;
            w.view = (gy_derivs){.v = vd->v + k, .n = e - k};
            break;
        }
    if ((!w.view.n && gy_deriver_open(b->ds, t, &w.dr) != GY_OK) || !(w.tot = calloc(t->def->ncols, sizeof *w.tot)))
        goto out;
    const gy_findings *fs = b->o->findings;
    size_t capfm = 0;
    for (size_t i = 0; fs && i < fs->n; i++)
        if (fs->v[i].table == t) {
            if (w.nfmark == capfm) {
                capfm = capfm ? capfm * 2 : 16;
                const gy_finding **nv = realloc(w.fmark, capfm * sizeof *nv);
                if (!nv)
                    goto out;
                w.fmark = nv;
            }
            w.fmark[w.nfmark++] = &fs->v[i];
        }
    w.frow = calloc(t->nrows ? t->nrows : 1, 1);
    if (!w.frow)
        goto out;
    if (w.nfmark > 1)
        qsort(w.fmark, w.nfmark, sizeof *w.fmark, cmp_frow);
    for (size_t i = 0; i < w.nfmark; i++)
        if (w.fmark[i]->row < t->nrows)
            w.frow[w.fmark[i]->row] = 1;
    w.ws = calloc((size_t)w.nparts, sizeof *w.ws);
    w.wsname = calloc((size_t)w.nparts, sizeof *w.wsname);
    int ncols = l->across ? w.H + (int)(l->wrap ? l->wrap : (int)w.nrecs) + 1
                          : (int)l->nfields * (l->wrap ? (int)((w.nrecs + (size_t)l->wrap - 1) / (size_t)l->wrap) : 1);
    w.ncolw = ncols > 0 ? ncols : 1;
    w.colw = calloc((size_t)w.ncolw, sizeof *w.colw);
    if (!w.ws || !w.wsname || !w.colw)
        goto out;
    for (int p = 0; p < w.nparts; p++) {
        char *want = p ? gy_asprintf("%s (%d)", l->sheet, p + 1) : gy_strdup(l->sheet);
        w.wsname[p] = want ? sheet_name(b, want) : NULL;
        free(want);
        if (!w.wsname[p])
            goto out;
        if (!(w.ws[p] = workbook_add_worksheet(b->w, w.wsname[p]))) {
            wb_err(b, "シート「%s」を作れません (表 %s)", w.wsname[p], t->path);
            st = GY_EIO;
            goto out;
        }
        /* constant-memory mode writes the cells to a temporary file at
         * once: a buffer of 1 MiB instead of stdio's 4 KiB saves a write
         * call every 4 KiB (nothing is written to it before the first cell) */
        if (b->cm && w.ws[p]->optimize_tmpfile)
            setvbuf(w.ws[p]->optimize_tmpfile, NULL, _IOFBF, (size_t)1 << 20);
    }
    w.buffered = b->cm && (l->across || l->wrap);
    /* every cell of a table written in row order goes through the writer
     * thread (its header, body and notes; not the page setup) */
    if (b->cm && !w.buffered)
        wq_start(&w);
    for (int p = 0; p < w.nparts; p++) {
        lxw_worksheet *ws = w.ws[p];
        put_str(&w, ws, 0, 0, l->title, fmt(b, F_TITLE, 0, 0, 0, 0, 0));
        if (l->asof)
            put_str(&w, ws, 1, 0, l->asof, fmt(b, F_NOTE, 0, 0, 0, 0, 0));
        if (l->unit)
            put_str(&w, ws, 1, (lxw_col_t)(w.ncolw > 1 ? w.ncolw - 1 - (l->across ? 1 : 0) : 0),
                                   l->unit, fmt(b, F_UNIT, 0, 0, 0, 0, 0));
        write_header(&w, p);
    }
    write_body(&w);
    /* the notes of each part, below its last record */
    int *lastrow = calloc((size_t)w.nparts, sizeof *lastrow);
    if (!lastrow)
        goto out;
    for (size_t k = 0; k < w.nrecs; k++) {
        rec r = rec_at(&w, k);
        int sr, sc;
        rec_pos(&w, &r, l->across ? (int)l->nfields - 1 : 0, &sr, &sc);
        if (sr > lastrow[r.sheet])
            lastrow[r.sheet] = sr;
    }
    for (int p = 0; p < w.nparts; p++) {
        lxw_worksheet *ws = w.ws[p];
        int last = lastrow[p];
        if (last < w.hr0 + w.H)
            last = w.hr0 + w.H;
        int nr = last + 2;
        for (size_t i = 0; i < l->nnotes; i++)
            put_str(&w, ws, (lxw_row_t)nr++, 0, l->notes[i], fmt(b, F_NOTE, 0, 0, 0, 0, 0));
        if (w.nparts > 1) {
            char *n = gy_asprintf("この表は %d 枚のシートに分かれています (%d / %d)。", w.nparts, p + 1, w.nparts);
            if (n)
                put_str(&w, ws, (lxw_row_t)nr++, 0, n, fmt(b, F_NOTE, 0, 0, 0, 0, 0));
            free(n);
        }
        wq_stop(&w);
        /* page setup (the charts below the table on the first sheet) and view */
        table_page_setup(&w, p, nr);
        sheet_ok(b, worksheet_set_footer(ws, "&C&P / &N"), ws, "フッター");
        worksheet_gridlines(ws, LXW_HIDE_ALL_GRIDLINES);
        if (l->across)
            worksheet_freeze_panes(ws, 0, (lxw_col_t)w.H);
        else
            worksheet_freeze_panes(ws, (lxw_row_t)(w.hr0 + w.H), l->label_field > 0 ? (lxw_col_t)(l->label_field + 1) : 1);
        for (int c = 0; c < w.ncolw; c++)
            sheet_ok(b, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, table_colw(&w, c), NULL), ws, "列の幅");
    }
    free(lastrow);
    if (w.buffered)
        replay(&w);
    /* where each finding's cell is, for the links of 検証結果: as written
     * (write_cell), else where the layout puts it */
    for (size_t i = 0; fs && b->links && i < fs->n; i++) {
        int part, sr, sc;
        if (fs->v[i].table != t || b->links[i] || !cell_pos(&w, fs->v[i].row, fs->v[i].col, &part, &sr, &sc))
            continue;
        char a1[LXW_MAX_CELL_NAME_LENGTH];
        lxw_rowcol_to_cell_abs(a1, (lxw_row_t)sr, (lxw_col_t)sc, 1, 1);
        if (!(b->links[i] = gy_asprintf("%s!%s", w.wsname[part], a1)))
            b->oom = true;
    }
    st = b->oom ? GY_ENOMEM : b->failed ? GY_EIO : GY_OK;
out:
    wq_stop(&w);
    for (size_t k = 0; w.tot && k < t->def->ncols; k++)
        free(w.tot[k].text);
    free(w.tot);
    for (size_t k = 0; k < w.nops; k++)
        free(w.ops[k].s);
    free(w.ops);
    free(w.dst);
    free(w.dvv);
    free(w.sums);
    free(w.drow);
    free(w.didx);
    gy_deriver_free(w.dr);
    free(w.recs);
    free(w.rec_of_row);
    free(w.prec0);
    free(w.prows);
    free(w.ws);
    free(w.wsname);
    free(w.colw);
    free(w.xlines);
    free(w.rowh);
    free(w.fmark);
    free(w.frow);
    gy_layout_free(w.own);
    return st;
}

/* ---- print setup of the cover and 検証結果 ------------------------------------- */

/* 検証結果: landscape; too wide for one legible page, so in two halves
 * side by side — up to 列見出し, then from 記載 (記載, 再計算, 内容, セル)
 * — with 重大度 on both and the header row on every page */
static void findings_page_setup(wb *b, lxw_worksheet *ws, const char *const *head, const double *widths, int ncols,
                                lxw_row_t header_row)
{
    int split = -1;
    for (int c = 1; c < ncols; c++)
        if (!strcmp(head[c], "記載"))
            split = c;
    pgspec s = {.landscape = true, .ncols = ncols, .colw = widths, .nrows = (int)ws->dim_rowmax + 1, .rep_cols = 1,
                .rep_r0 = (int)header_row, .rep_r1 = (int)header_row, .splits = &split, .nsplits = split > 0};
    pgplan pl = {0};
    if (!pg_plan_width(&s, &pl)) {
        b->oom = true;
        return;
    }
    /* the table only: a long text in the last column overflows to the right */
    sheet_ok(b, worksheet_print_area(ws, 0, 0, ws->dim_rowmax, (lxw_col_t)(ncols - 1)), ws, "印刷範囲");
    pg_apply(b, ws, &s, &pl);
}

enum { COVER_ROWS = 6 };
/* its rows' heights (points): about a third down the page the title, the
 * date and the author near the foot */
static const double cover_height[COVER_ROWS] = {170, 54, 230, 30, 16, 34};

/* the cover, as the report's: its title, date and author
 * (workbook.conf: title, date, author) on a page of their own, rows
 * 0 .. COVER_ROWS - 1 of the contents sheet; returns the first row after */
static lxw_row_t write_cover(wb *b, lxw_worksheet *ws)
{
    const double *height = cover_height;
    static const int size[COVER_ROWS] = {0, 28, 0, 16, 0, 18};
    const char *text[COVER_ROWS] = {NULL, b->ls->title ? b->ls->title : "経済産業行政の概要", NULL, b->ls->date, NULL,
                                    b->ls->author};
    for (int r = 0; r < COVER_ROWS; r++) {
        lxw_format *f = NULL;
        if (text[r] && *text[r]) {
            f = workbook_add_format(b->w);
            if (!f) {
                b->oom = true;
                return COVER_ROWS;
            }
            format_set_font_name(f, b->ls->font);
            format_set_font_size(f, size[r]);
            format_set_align(f, LXW_ALIGN_CENTER);
            format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
            if (r == 1)
                format_set_bold(f);
            if (text_fits(b, ws, (lxw_row_t)r, 0, text[r]))
                cell_ok(b, worksheet_merge_range(ws, (lxw_row_t)r, 0, (lxw_row_t)r, 1, text[r], f), ws, (lxw_row_t)r,
                        0, "結合");
        }
        cell_ok(b, worksheet_set_row(ws, (lxw_row_t)r, height[r], NULL), ws, (lxw_row_t)r, 0, op_what(OP_HEIGHT));
    }
    return COVER_ROWS;
}

/* the cover sheet's pages: the cover, then the contents from row c0 */
static void cover_page_setup(wb *b, lxw_worksheet *ws, lxw_row_t c0, const double *widths, int ncols)
{
    double rowh[COVER_ROWS];
    memcpy(rowh, cover_height, sizeof rowh);
    int start = (int)c0;
    pgspec s = {.landscape = false, .ncols = ncols, .colw = widths, .nrows = (int)ws->dim_rowmax + 1, .rowh = rowh,
                .nrowh = COVER_ROWS, .rep_r0 = 0, .rep_r1 = -1, .starts = &start, .nstarts = 1};
    pgplan pl = {0};
    if (!pg_plan_width(&s, &pl)) {
        b->oom = true;
        return;
    }
    pg_apply(b, ws, &s, &pl);
    worksheet_center_horizontally(ws);
}

/* ---- cover and findings ------------------------------------------------------ */

typedef struct placed {
    const gy_table *t;
    char *sheet;     /* first sheet of the table */
} placed;

/* a cell of the findings or cover sheet, checked */
static void wstr(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
{
    if (text_fits(b, ws, r, c, s))
        cell_ok(b, worksheet_write_string(ws, r, c, s, f), ws, r, c, op_what(OP_STR));
}

static void wurl(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *url, lxw_format *f, const char *s)
{
    if (text_fits(b, ws, r, c, s))
        cell_ok(b, worksheet_write_url_opt(ws, r, c, url, f, s, NULL), ws, r, c, "リンク");
}

/* the link cell of finding i (column 11 of 検証結果): its cell, else the
 * top of its table's sheet (a finding about no cell: a rule of the
 * definition, a relation that found no row), said in the text */
static void finding_link_cell(wb *b, lxw_worksheet *ws, lxw_row_t r, size_t i, const placed *pl, size_t npl)
{
    const gy_finding *f = &b->o->findings->v[i];
    lxw_format *lf = fmt(b, F_LINK, 0, 0, 0, 0, 0);
    char *url = NULL, *text = NULL;
    if (b->links && b->links[i]) {
        /* internal:'sheet'!$A$1 — the sheet name is quoted; names never hold a quote */
        const char *bang = strrchr(b->links[i], '!');
        gy_buf shown = {0};
        gy_buf_add(&shown, b->links[i], (size_t)(bang - b->links[i]) + 1);
        for (const char *p = bang + 1; *p; p++)
            if (*p != '$')
                gy_buf_add(&shown, p, 1);
        if (gy_buf_add(&shown, "", 1))
            text = shown.p;
        else
            gy_buf_free(&shown);
        url = gy_asprintf("internal:'%.*s'%s", (int)(bang - b->links[i]), b->links[i], bang);
    } else {
        const char *sheet = NULL;
        for (size_t k = 0; k < npl && !sheet; k++)
            if (pl[k].t == f->table)
                sheet = pl[k].sheet;
        if (!sheet) { /* a table the workbook does not print (an earlier year) */
            cell_ok(b, worksheet_write_string(ws, r, 11, "(シートなし)", fmt(b, F_TEXT, 0, 0, 0, 0, 0)), ws, r, 11,
                    op_what(OP_STR));
            return;
        }
        url = gy_asprintf("internal:'%s'!$A$1", sheet);
        text = gy_asprintf("%s (表の先頭: セルなし)", sheet);
    }
    if (url && text)
        wurl(b, ws, r, 11, url, lf, text);
    else
        b->oom = true;
    free(url);
    free(text);
}

static void finding_row(wb *b, lxw_worksheet *ws, lxw_row_t r, size_t i, const placed *pl, size_t npl)
{
    static const char *sevj[] = {"情報", "警告", "誤り"};
    const gy_finding *f = &b->o->findings->v[i];
    lxw_format *tf = fmt(b, F_TEXT, 0, 0, 0, 0, 0), *nf = fmt(b, F_AMOUNT, 0, 0, 0, 0, 0);
    int mark = f->sev == GY_SEV_ERROR ? MARK_ERROR : f->sev == GY_SEV_WARNING ? MARK_WARN : MARK_NONE;
    wstr(b, ws, r, 0, sevj[f->sev], fmt(b, F_TEXT, 0, 0, mark, 0, 0));
    wstr(b, ws, r, 1, f->rule, tf);
    wstr(b, ws, r, 2, f->table->def->title ? f->table->def->title : f->table->def->id, tf);
    wstr(b, ws, r, 3, f->table->path, tf);
    cell_ok(b, worksheet_write_number(ws, r, 4, f->line, nf), ws, r, 4, op_what(OP_NUM));
    cell_ok(b, worksheet_write_number(ws, r, 5, f->colno, nf), ws, r, 5, op_what(OP_NUM));
    wstr(b, ws, r, 6, f->rowlabel ? f->rowlabel : "", tf);
    wstr(b, ws, r, 7, f->collabel ? f->collabel : "", tf);
    wstr(b, ws, r, 8, f->stated ? f->stated : "", fmt(b, F_NIL, 0, 0, 0, 0, 0));
    wstr(b, ws, r, 9, f->computed ? f->computed : "", fmt(b, F_NIL, 0, 0, 0, 0, 0));
    wstr(b, ws, r, 10, f->msg, tf);
    finding_link_cell(b, ws, r, i, pl, npl);
}

/* 検証結果: the findings in the lead order (errors, warnings, infos; the
 * report's table order; position); the infos of one table and cause as one
 * line, their findings grouped below it (an outline, collapsed) */
static void write_findings(wb *b, const gy_dataset *ds, lxw_worksheet *ws, const placed *pl, size_t npl)
{
    const gy_findings *fs = b->o->findings;
    static const char *head[] = {"重大度", "規則", "表", "ファイル", "行", "列", "行見出し", "列見出し", "記載", "再計算", "内容", "セル"};
    static const double widths[] = {8, 12, 28, 24, 6, 5, 28, 24, 14, 14, 80, 30};
    lxw_format *hf = fmt(b, F_HEAD, 0, 0, 0, 1, 0), *tf = fmt(b, F_TEXT, 0, 0, 0, 0, 0);
    lxw_format *nf = fmt(b, F_AMOUNT, 0, 0, 0, 0, 0);
    gy_flead l = {0};
    bool lead = false;
    if (fs) {
        const char **ids = malloc((b->ls->n ? b->ls->n : 1) * sizeof *ids);
        for (size_t i = 0; ids && i < b->ls->n; i++)
            ids[i] = b->ls->v[i]->table;
        lead = ids && gy_findings_lead(fs, ds, ids, b->ls->n, &l) == GY_OK;
        free(ids);
        if (!lead) {
            b->oom = true;
            return;
        }
    }
    wstr(b, ws, 0, 0, "検証結果 (gaiyo verify)", fmt(b, F_TITLE, 0, 0, 0, 0, 0));
    char sum[200];
    snprintf(sum, sizeof sum, "誤り %zu 件、警告 %zu 件、情報 %zu 件 (%zu 行にまとめています。各行の + で 1 件ずつ)",
             fs ? fs->count[GY_SEV_ERROR] : 0, fs ? fs->count[GY_SEV_WARNING] : 0, fs ? fs->count[GY_SEV_INFO] : 0,
             l.ngroups_sev[GY_SEV_INFO]);
    if (!fs || l.ngroups_sev[GY_SEV_INFO] == fs->count[GY_SEV_INFO])
        *strstr(sum, " (") = '\0';
    wstr(b, ws, 1, 0, sum, fmt(b, F_NOTE, 0, 0, 0, 0, 0));
    for (int j = 0; j < 12; j++) {
        wstr(b, ws, 3, (lxw_col_t)j, head[j], hf);
        sheet_ok(b, worksheet_set_column(ws, (lxw_col_t)j, (lxw_col_t)j, widths[j], NULL), ws, "列の幅");
    }
    /* the outline's summary row is above its findings */
    worksheet_outline_settings(ws, LXW_TRUE, LXW_FALSE, LXW_TRUE, LXW_FALSE);
    lxw_row_t r = 4;
    for (size_t g = 0; g < l.ngroups; g++) {
        size_t a = l.gstart[g], n = l.gstart[g + 1] - a;
        if (n == 1) {
            finding_row(b, ws, r++, l.idx[a], pl, npl);
            continue;
        }
        /* the group's line: the first finding's table and place, the cause's line */
        const gy_finding *f = &fs->v[l.idx[a]];
        static const char *sevj[] = {"情報", "警告", "誤り"};
        wstr(b, ws, r, 0, sevj[f->sev], tf);
        wstr(b, ws, r, 1, f->rule, tf);
        wstr(b, ws, r, 2, f->table->def->title ? f->table->def->title : f->table->def->id, tf);
        wstr(b, ws, r, 3, f->table->path, tf);
        cell_ok(b, worksheet_write_number(ws, r, 4, f->line, nf), ws, r, 4, op_what(OP_NUM));
        cell_ok(b, worksheet_write_number(ws, r, 5, f->colno, nf), ws, r, 5, op_what(OP_NUM));
        char cnt[32];
        snprintf(cnt, sizeof cnt, "%zu 件", n);
        wstr(b, ws, r, 6, cnt, tf);
        gy_buf line = {0};
        gy_flead_line(fs, &l, g, &line);
        if (gy_buf_add(&line, "", 1))
            wstr(b, ws, r, 10, line.p, tf);
        else
            b->oom = true;
        gy_buf_free(&line);
        finding_link_cell(b, ws, r, l.idx[a], pl, npl);
        lxw_row_col_options so = {.hidden = 0, .level = 0, .collapsed = 1};
        sheet_ok(b, worksheet_set_row_opt(ws, r, LXW_DEF_ROW_HEIGHT, NULL, &so), ws, "行のグループ");
        r++;
        for (size_t x = a; x < a + n; x++, r++) {
            lxw_row_col_options mo = {.hidden = 1, .level = 1, .collapsed = 0};
            sheet_ok(b, worksheet_set_row_opt(ws, r, LXW_DEF_ROW_HEIGHT, NULL, &mo), ws, "行のグループ");
            finding_row(b, ws, r, l.idx[x], pl, npl);
        }
    }
    worksheet_freeze_panes(ws, 4, 0);
    findings_page_setup(b, ws, head, widths, 12, 3);
    sheet_ok(b, worksheet_set_footer(ws, "&C&P / &N"), ws, "フッター");
    worksheet_gridlines(ws, LXW_HIDE_ALL_GRIDLINES);
    if (r > 4)
        sheet_ok(b, worksheet_autofilter(ws, 3, 0, r - 1, 11), ws, "フィルター");
    gy_flead_free(&l);
}

/* the charts, where place_charts laid them out, inserted after every cell
 * is written: gnuplot draws them meanwhile (o->await_images waits for it
 * and says which were drawn); libxlsxwriter reads each PNG when it is
 * inserted. A chart gnuplot did not draw leaves its rows empty (the
 * report's warning says why). */
static void place_images(wb *b)
{
    const gy_xlsx_image *im = b->o->images;
    size_t n = b->o->nimages;
    if (b->o->await_images)
        im = b->o->await_images(b->o->await_ctx, &n);
    for (size_t a = 0; a < b->nanch; a++) {
        bool drawn = false;
        for (size_t i = 0; im && i < n && !drawn; i++)
            drawn = !strcmp(im[i].path, b->anch[a].path);
        if (!drawn)
            continue;
        const anchor *p = &b->anch[a];
        lxw_image_options io = {.x_scale = p->scale, .y_scale = p->scale, .object_position = LXW_OBJECT_MOVE_DONT_SIZE};
        lxw_error e = worksheet_insert_image_opt(p->ws, p->row, p->col, p->path, &io);
        if (e != LXW_NO_ERROR) {
            char a1[LXW_MAX_CELL_NAME_LENGTH];
            lxw_rowcol_to_cell(a1, p->row, p->col);
            wb_err(b, "グラフ %s をシート「%s」のセル %s に置けません: %s", p->path, p->ws->name, a1, lxw_strerror(e));
        }
    }
}

gy_status gy_xlsx_write(const gy_dataset *ds, const char *path, const gy_xlsx_opts *o, gy_diags *d)
{
    gy_layouts empty = {.font = "游ゴシック", .font_size = 10, .negative = "△"};
    wb b = {.ds = ds, .ls = o->layouts ? o->layouts : &empty, .o = o, .d = d, .warn = o->warnings, .path = path};
    size_t nd0 = d->n + d->dropped;
    b.neg = b.ls->negative ? b.ls->negative : "△";
    /* the report year: the latest fiscal year present */
    int year = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->v[i]->fy.western > year)
            year = ds->v[i]->fy.western;
    size_t stream = o->stream_rows ? o->stream_rows : 100000;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->v[i]->fy.western == year && ds->v[i]->nrows > stream)
            b.cm = true;
    lxw_workbook_options wo = {.constant_memory = b.cm ? LXW_TRUE : LXW_FALSE, .use_zip64 = b.cm ? LXW_TRUE : LXW_FALSE};
    b.w = workbook_new_opt(path, &wo);
    if (!b.w) {
        gy_diag_add(d, path, 0, 0, "ブックを作れません (メモリが足りません)");
        return GY_ENOMEM;
    }
    gy_fy fy = gy_fy_from_western(year);
    char fys[32] = "";
    gy_fy_format(&fy, fys, sizeof fys);
    char *title = gy_asprintf("%s (%s年度)", b.ls->title ? b.ls->title : "経済産業行政の概要", fys);
    char *comments = gy_asprintf("gaiyo %s で作成。入力:\n%s", GAIYO_VERSION, o->inputs ? o->inputs : "");
    lxw_doc_properties props = {.title = title,
                                .subject = "経済産業行政の概要 (表とその検証)",
                                .author = b.ls->author ? b.ls->author : "gaiyo",
                                .company = b.ls->company ? b.ls->company : "",
                                .comments = comments,
                                .keywords = "gaiyo " GAIYO_VERSION,
                                .created = (time_t)o->created};
    lxw_error pe = workbook_set_properties(b.w, &props);
    if (pe == LXW_NO_ERROR)
        pe = workbook_set_custom_property_string(b.w, "Generator", "gaiyo " GAIYO_VERSION);
    if (pe != LXW_NO_ERROR)
        wb_err(&b, "ブックの文書情報を設定できません: %s", lxw_strerror(pe));
    gy_status st = b.failed ? GY_EIO : GY_OK;
    /* cover first: its contents list is written once the sheets exist */
    char *cover_name = sheet_name(&b, "表紙・目次");
    lxw_worksheet *cover = cover_name ? workbook_add_worksheet(b.w, cover_name) : NULL;
    placed *pl = calloc(ds->n + 1, sizeof *pl);
    size_t npl = 0;
    size_t nf = o->findings ? o->findings->n : 0;
    b.links = calloc(nf ? nf : 1, sizeof *b.links);
    if (cover_name && !cover)
        wb_err(&b, "シート「%s」を作れません", cover_name);
    if (st == GY_OK && (!cover || !pl || !title || !comments || !b.links))
        st = b.failed ? GY_EIO : GY_ENOMEM;
    /* tables with a layout in layout order, then the others in dataset order */
    for (int pass = 0; pass < 2 && st == GY_OK; pass++) {
        size_t nl = pass == 0 ? b.ls->n : 1;
        for (size_t li = 0; li < nl && st == GY_OK; li++) {
            for (size_t i = 0; i < ds->n && st == GY_OK; i++) {
                const gy_table *t = ds->v[i];
                if (t->fy.western != year)
                    continue;
                const gy_layout *l = gy_layouts_find(b.ls, t->def->id);
                if (pass == 0 ? l != b.ls->v[li] : l != NULL)
                    continue;
                size_t before = b.nnames;
                st = write_table(&b, t, l);
                if (st == GY_OK && b.nnames > before)
                    pl[npl++] = (placed){t, b.names[before]};
            }
        }
    }
    char *fname = st == GY_OK ? sheet_name(&b, "検証結果") : NULL;
    lxw_worksheet *fws = fname ? workbook_add_worksheet(b.w, fname) : NULL;
    if (fname && !fws)
        wb_err(&b, "シート「%s」を作れません", fname);
    if (st == GY_OK && !fws)
        st = b.failed ? GY_EIO : GY_ENOMEM;
    if (st == GY_OK) {
        write_findings(&b, ds, fws, pl, npl);
        const gy_findings *fs = o->findings;
        /* the cover */
        lxw_format *tf = fmt(&b, F_TITLE, 0, 0, 0, 0, 0), *nf = fmt(&b, F_NOTE, 0, 0, 0, 0, 0);
        lxw_format *lf = fmt(&b, F_LINK, 0, 0, 0, 0, 0);
        lxw_row_t c0 = write_cover(&b, cover); /* the contents below the cover, on a page of their own */
        wstr(&b, cover, c0, 0, title, tf);
        char *line = gy_asprintf("作成: gaiyo %s", GAIYO_VERSION);
        if (line)
            wstr(&b, cover, c0 + 1, 0, line, nf);
        free(line);
        line = gy_asprintf("検証: 誤り %zu 件、警告 %zu 件、情報 %zu 件 (シート「%s」)",
                           fs ? fs->count[GY_SEV_ERROR] : 0, fs ? fs->count[GY_SEV_WARNING] : 0,
                           fs ? fs->count[GY_SEV_INFO] : 0, fname);
        if (line)
            wstr(&b, cover, c0 + 2, 0, line, nf);
        else
            b.oom = true;
        free(line);
        wstr(&b, cover, c0 + 4, 0, "目次", tf);
        lxw_row_t r = c0 + 5;
        const char *sect = NULL; /* the contents grouped as the report's 目次: a heading per section */
        for (size_t k = 0; k < npl; k++, r++) {
            const gy_layout *pla = gy_layouts_find(b.ls, pl[k].t->def->id);
            if (pla && pla->section && (!sect || strcmp(sect, pla->section))) {
                sect = pla->section;
                wstr(&b, cover, r++, 0, sect, tf);
            }
            char *url = gy_asprintf("internal:'%s'!A1", pl[k].sheet);
            const char *ttl = gy_layouts_find(b.ls, pl[k].t->def->id) ? gy_layouts_find(b.ls, pl[k].t->def->id)->title
                                                                        : pl[k].t->def->title;
            if (url)
                wurl(&b, cover, r, 0, url, lf, pl[k].sheet);
            else
                b.oom = true;
            free(url);
            wstr(&b, cover, r, 1, ttl ? ttl : "", nf);
        }
        char *url = gy_asprintf("internal:'%s'!A1", fname);
        if (url)
            wurl(&b, cover, r, 0, url, lf, fname);
        else
            b.oom = true;
        free(url);
        wstr(&b, cover, r++, 1, "gaiyo verify の全所見 (各セルへのリンク付き)", nf);
        r++;
        wstr(&b, cover, r++, 0, "入力ファイル", tf);
        if (o->inputs) {
            char *copy = gy_strdup(o->inputs), *sv = NULL;
            if (!copy)
                b.oom = true;
            for (char *p = copy ? strtok_r(copy, "\n", &sv) : NULL; p; p = strtok_r(NULL, "\n", &sv))
                wstr(&b, cover, r++, 0, p, nf);
            free(copy);
        }
        static const double cw[] = {36, 60};
        sheet_ok(&b, worksheet_set_column(cover, 0, 0, cw[0], NULL), cover, "列の幅");
        sheet_ok(&b, worksheet_set_column(cover, 1, 1, cw[1], NULL), cover, "列の幅");
        worksheet_gridlines(cover, LXW_HIDE_ALL_GRIDLINES);
        cover_page_setup(&b, cover, c0, cw, 2);
        worksheet_activate(cover);
    }
    gy_phase("workbook-cells");
    if (st == GY_OK)
        place_images(&b);
    if (st == GY_OK && b.failed)
        st = GY_EIO;
    if (b.oom && st == GY_OK)
        st = GY_ENOMEM;
    gy_progress_stage("ブック圧縮中");
    /* a big workbook (constant-memory mode) is deflated at level 1, in
     * blocks on two threads (xlsxzip.h): for 100,000 事業 about 0.2 s
     * instead of 1.0 s, and a file about 30 % larger (11 MB, not 8.6 MB);
     * a small one (the default report) is left as libxlsxwriter writes it */
    gy_xlsxzip_set(b.cm ? 1 : -1, b.cm);
    errno = 0;
    lxw_error e = workbook_close(b.w);
    int err = errno;
    char *zerr = gy_xlsxzip_error() ? gy_strdup(gy_xlsxzip_error()) : NULL; /* cleared by the next set */
    gy_xlsxzip_set(-1, false);
    if (st == GY_OK && e != LXW_NO_ERROR) {
        /* the cause below libxlsxwriter's: the system's, or the zip's */
        if (zerr)
            gy_diag_add(d, path, 0, 0, "ブックを書けません: %s (%s)", lxw_strerror(e), zerr);
        else if (err && e != LXW_ERROR_MEMORY_MALLOC_FAILED)
            gy_diag_add(d, path, 0, 0, "ブックを書けません: %s (%s)", lxw_strerror(e), strerror(err));
        else
            gy_diag_add(d, path, 0, 0, "ブックを書けません: %s", lxw_strerror(e));
        st = e == LXW_ERROR_MEMORY_MALLOC_FAILED ? GY_ENOMEM : GY_EIO;
    }
    free(zerr);
    /* no failure without a word: out of memory, or anything not said yet */
    if (b.oom)
        gy_diag_add(d, path, 0, 0, "ブックを作れません: メモリが足りません");
    else if (st != GY_OK && d->n + d->dropped == nd0)
        gy_diag_add(d, path, 0, 0, "ブックを作れません: %s", gy_strerror(st));
    for (size_t i = 0; b.links && i < nf; i++)
        free(b.links[i]);
    free(b.links);
    for (size_t i = 0; i < b.nnames; i++)
        free(b.names[i]);
    free(b.names);
    free(b.fk);
    for (size_t i = 0; i < b.npfx; i++)
        free(b.pfx[i]);
    free(b.pfx);
    free(b.anch);
    free(pl);
    free(title);
    free(comments);
    return st;
}
