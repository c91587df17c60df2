/* xlsx_queue.c - cell writes: direct, buffered and replayed, or queued
 *
 * Every cell of a table's sheet goes through put_str/put_num/…: written at
 * once, or (constant-memory mode) buffered and replayed in row order
 * (replay), or handed in batches to the writer thread (wq_*). Part of the
 * workbook (xlsx_int.h); covered by tests/xlsx/ (the bench report of
 * test_workbook.py runs the constant-memory paths).
 */
#include "xlsx_int.h"
#include <pthread.h>

/* ---- cell writes: direct, or buffered and replayed in row order -------------
 * libxlsxwriter's constant-memory mode drops a write to a row above the
 * last one written; layouts that run across or wrap into blocks write out
 * of row order, so in that mode their cells are collected and sorted. */

const char *op_what(int kind)
{
    static const char *w[] = {"文字列", "空欄", "数値", "式", "注釈", "結合セル", "行の高さ"};
    return kind >= 0 && kind <= OP_HEIGHT ? w[kind] : "値";
}

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
void wq_idle(wq *q)
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
void wq_start(tw *w)
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
void wq_stop(tw *w)
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

void put_str(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
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

void put_blank(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lxw_format *f)
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

void put_num(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f)
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
void put_formula(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, char *s, lxw_format *f, double v)
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

void put_comment(tw *w, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_comment_options *co)
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
void put_merge(tw *w, lxw_worksheet *ws, int r1, int c1, int r2, int c2, const char *s, lxw_format *f)
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
void put_height(tw *w, lxw_worksheet *ws, int r, double pt)
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

void replay(tw *w)
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
