/* xlsx_sheet.c - a table's sheet: title, header, body, notes
 *
 * write_table writes one table on its sheets (a long one continues on
 * numbered sheets): the records xlsx_plan.c laid out, the header grid with its
 * merges, each cell (text, number, formula; marked, commented, widened,
 * its row's height from wrapped text), runs of `once` fields merged, the
 * notes and the page setup. Part of the workbook (xlsx_int.h); covered by
 * tests/xlsx/.
 */
#include "xlsx_int.h"

static void widen(tw *w, int sc, const char *text, int span)
{
    if (sc < 0 || sc >= w->ncolw || span != 1)
        return;
    double wd = (double)gy_utf8_width(text) + 2;
    if (wd > w->colw[sc])
        w->colw[sc] = wd;
}

static const char *label_text(const tw *w, const char *s)
{
    for (size_t i = 0; i < w->l->nrename; i++)
        if (!strcmp(w->l->rename_from[i], s))
            return w->l->rename_to[i];
    return s;
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

/* the derivations verify made of this table, if it kept them (one run
 * per table, in the dataset's order): the workbook evaluates nothing
 * again; otherwise (a big table) they are made window by window */
static void table_derivs(tw *w)
{
    const gy_derivs *vd = w->b->o->derivs;
    for (size_t k = 0; vd && k < vd->n; k++)
        if (vd->v[k].table == w->t) {
            size_t e = k;
            while (e < vd->n && vd->v[e].table == w->t)
                e++;
            w->view = (gy_derivs){.v = vd->v + k, .n = e - k};
            break;
        }
}

/* the table's sheets (its parts), named, and its column widths; GY_EIO
 * with a diagnostic, or GY_ENOMEM */
static gy_status table_sheets(tw *w)
{
    wb *b = w->b;
    const gy_layout *l = w->l;
    w->ws = calloc((size_t)w->nparts, sizeof *w->ws);
    w->wsname = calloc((size_t)w->nparts, sizeof *w->wsname);
    int ncols = l->across ? w->H + (int)(l->wrap ? l->wrap : (int)w->nrecs) + 1
                          : (int)l->nfields * (l->wrap ? (int)((w->nrecs + (size_t)l->wrap - 1) / (size_t)l->wrap) : 1);
    w->ncolw = ncols > 0 ? ncols : 1;
    w->colw = calloc((size_t)w->ncolw, sizeof *w->colw);
    if (!w->ws || !w->wsname || !w->colw)
        return GY_ENOMEM;
    for (int p = 0; p < w->nparts; p++) {
        char *want = p ? gy_asprintf("%s (%d)", l->sheet, p + 1) : gy_strdup(l->sheet);
        w->wsname[p] = want ? sheet_name(b, want) : NULL;
        free(want);
        if (!w->wsname[p])
            return GY_ENOMEM;
        if (!(w->ws[p] = workbook_add_worksheet(b->w, w->wsname[p]))) {
            wb_err(b, "シート「%s」を作れません (表 %s)", w->wsname[p], w->t->path);
            return GY_EIO;
        }
        /* constant-memory mode writes the cells to a temporary file at
         * once: a buffer of 1 MiB instead of stdio's 4 KiB saves a write
         * call every 4 KiB (nothing is written to it before the first cell) */
        if (b->cm && w->ws[p]->optimize_tmpfile)
            setvbuf(w->ws[p]->optimize_tmpfile, NULL, _IOFBF, (size_t)1 << 20);
    }
    return GY_OK;
}

/* the title, date and unit of each part, and its header */
static void write_titles(tw *w)
{
    wb *b = w->b;
    const gy_layout *l = w->l;
    for (int p = 0; p < w->nparts; p++) {
        lxw_worksheet *ws = w->ws[p];
        put_str(w, ws, 0, 0, l->title, fmt(b, F_TITLE, 0, 0, 0, 0, 0));
        if (l->asof)
            put_str(w, ws, 1, 0, l->asof, fmt(b, F_NOTE, 0, 0, 0, 0, 0));
        if (l->unit)
            put_str(w, ws, 1, (lxw_col_t)(w->ncolw > 1 ? w->ncolw - 1 - (l->across ? 1 : 0) : 0),
                                   l->unit, fmt(b, F_UNIT, 0, 0, 0, 0, 0));
        write_header(w, p);
    }
}

/* the notes of each part, below its last record, then (the writer thread
 * stopped) its page setup and view; false when out of memory */
static bool write_parts_end(tw *w)
{
    wb *b = w->b;
    const gy_layout *l = w->l;
    int *lastrow = calloc((size_t)w->nparts, sizeof *lastrow);
    if (!lastrow)
        return false;
    for (size_t k = 0; k < w->nrecs; k++) {
        rec r = rec_at(w, k);
        int sr, sc;
        rec_pos(w, &r, l->across ? (int)l->nfields - 1 : 0, &sr, &sc);
        if (sr > lastrow[r.sheet])
            lastrow[r.sheet] = sr;
    }
    for (int p = 0; p < w->nparts; p++) {
        lxw_worksheet *ws = w->ws[p];
        int last = lastrow[p];
        if (last < w->hr0 + w->H)
            last = w->hr0 + w->H;
        int nr = last + 2;
        for (size_t i = 0; i < l->nnotes; i++)
            put_str(w, ws, (lxw_row_t)nr++, 0, l->notes[i], fmt(b, F_NOTE, 0, 0, 0, 0, 0));
        if (w->nparts > 1) {
            char *n = gy_asprintf("この表は %d 枚のシートに分かれています (%d / %d)。", w->nparts, p + 1, w->nparts);
            if (n)
                put_str(w, ws, (lxw_row_t)nr++, 0, n, fmt(b, F_NOTE, 0, 0, 0, 0, 0));
            free(n);
        }
        wq_stop(w);
        /* page setup (the charts below the table on the first sheet) and view */
        table_page_setup(w, p, nr);
        sheet_ok(b, worksheet_set_footer(ws, "&C&P / &N"), ws, "フッター");
        worksheet_gridlines(ws, LXW_HIDE_ALL_GRIDLINES);
        if (l->across)
            worksheet_freeze_panes(ws, 0, (lxw_col_t)w->H);
        else
            worksheet_freeze_panes(ws, (lxw_row_t)(w->hr0 + w->H), l->label_field > 0 ? (lxw_col_t)(l->label_field + 1) : 1);
        for (int c = 0; c < w->ncolw; c++)
            sheet_ok(b, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, table_colw(w, c), NULL), ws, "列の幅");
    }
    free(lastrow);
    return true;
}

/* everything a table's writing holds (the writer thread stopped) */
static void tw_free(tw *w)
{
    for (size_t k = 0; w->tot && k < w->t->def->ncols; k++)
        free(w->tot[k].text);
    free(w->tot);
    for (size_t k = 0; k < w->nops; k++)
        free(w->ops[k].s);
    free(w->ops);
    free(w->dst);
    free(w->dvv);
    free(w->sums);
    free(w->drow);
    free(w->didx);
    gy_deriver_free(w->dr);
    free(w->recs);
    free(w->rec_of_row);
    free(w->prec0);
    free(w->prows);
    free(w->ws);
    free(w->wsname);
    free(w->colw);
    free(w->xlines);
    free(w->rowh);
    free(w->fmark);
    free(w->frow);
    gy_layout_free(w->own);
}

gy_status write_table(wb *b, const gy_table *t, const gy_layout *l)
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
    table_derivs(&w);
    if ((!w.view.n && gy_deriver_open(b->ds, t, &w.dr) != GY_OK) || !(w.tot = calloc(t->def->ncols, sizeof *w.tot)))
        goto out;
    if (!table_findings(&w))
        goto out;
    if ((st = table_sheets(&w)) != GY_OK)
        goto out;
    st = GY_ENOMEM;
    w.buffered = b->cm && (l->across || l->wrap);
    /* every cell of a table written in row order goes through the writer
     * thread (its header, body and notes; not the page setup) */
    if (b->cm && !w.buffered)
        wq_start(&w);
    write_titles(&w);
    write_body(&w);
    if (!write_parts_end(&w))
        goto out;
    if (w.buffered)
        replay(&w);
    table_links(&w);
    st = b->oom ? GY_ENOMEM : b->failed ? GY_EIO : GY_OK;
out:
    wq_stop(&w);
    tw_free(&w);
    return st;
}
