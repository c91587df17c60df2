/* xlsx_pages.c - print setup: page plans, breaks, repeats, charts
 *
 * A sheet's pages (pgspec → pgplan: scale, pages across, breaks where
 * splits and repeats say, rows of a chart kept together), the page setup
 * of a table's sheets with its charts laid out below the notes
 * (place_charts) and inserted once drawn (place_images). Part of the
 * workbook (xlsx_int.h); covered by tests/xlsx/ (test_pdf.py, test_layout.py).
 */
#include "xlsx_int.h"
#include <stdio.h>

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
bool pg_plan_width(const pgspec *s, pgplan *p)
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
void pg_apply(wb *b, lxw_worksheet *ws, const pgspec *s, pgplan *p)
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
void pg_note_row(tw *w, lxw_worksheet *ws, int r, double pt)
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
double table_colw(const tw *w, int c)
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
    double maxw = p->nstrips == 1 ? pg_avail_w(s, p) - 50 : (p->strip0 - repw) * 0.9 - 2;
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
void table_page_setup(tw *w, int p, int nr)
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

/* the charts, where place_charts laid them out, inserted after every cell
 * is written: gnuplot draws them meanwhile (o->await_images waits for it
 * and says which were drawn); libxlsxwriter reads each PNG when it is
 * inserted. A chart gnuplot did not draw leaves its rows empty (the
 * report's warning says why). */
void place_images(wb *b)
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
