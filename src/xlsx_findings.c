/* xlsx_findings.c - findings in the workbook: marks, comments, links, 検証結果
 *
 * A table's findings by row (table_findings): the mark of a cell, its
 * comment (stated value and every finding about it) and the link from
 * 検証結果 to it; and the 検証結果 sheet itself (write_findings), in the
 * lead order with infos grouped, printed in two halves. Part of the
 * workbook (xlsx_int.h); covered by tests/xlsx/.
 */
#include "xlsx_int.h"

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

/* the findings of the table (every severity), sorted by row, and per row
 * whether one of them is about it; false when out of memory */
bool table_findings(tw *w)
{
    const gy_table *t = w->t;
    const gy_findings *fs = w->b->o->findings;
    size_t capfm = 0;
    for (size_t i = 0; fs && i < fs->n; i++)
        if (fs->v[i].table == t) {
            if (w->nfmark == capfm) {
                capfm = capfm ? capfm * 2 : 16;
                const gy_finding **nv = realloc(w->fmark, capfm * sizeof *nv);
                if (!nv)
                    return false;
                w->fmark = nv;
            }
            w->fmark[w->nfmark++] = &fs->v[i];
        }
    w->frow = calloc(t->nrows ? t->nrows : 1, 1);
    if (!w->frow)
        return false;
    if (w->nfmark > 1)
        qsort(w->fmark, w->nfmark, sizeof *w->fmark, cmp_frow);
    for (size_t i = 0; i < w->nfmark; i++)
        if (w->fmark[i]->row < t->nrows)
            w->frow[w->fmark[i]->row] = 1;
    return true;
}

/* the worst finding (error/warning) about a cell: it marks the cell */
const gy_finding *finding_at(const tw *w, size_t row, int col)
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
void finding_link(tw *w, int part, int sr, int sc, size_t row, int col)
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

/* where each finding's cell is, for the links of 検証結果: as written
 * (write_cell), else where the layout puts it */
void table_links(tw *w)
{
    wb *b = w->b;
    const gy_findings *fs = b->o->findings;
    for (size_t i = 0; fs && b->links && i < fs->n; i++) {
        int part, sr, sc;
        if (fs->v[i].table != w->t || b->links[i] || !cell_pos(w, fs->v[i].row, fs->v[i].col, &part, &sr, &sc))
            continue;
        char a1[LXW_MAX_CELL_NAME_LENGTH];
        lxw_rowcol_to_cell_abs(a1, (lxw_row_t)sr, (lxw_col_t)sc, 1, 1);
        if (!(b->links[i] = gy_asprintf("%s!%s", w->wsname[part], a1)))
            b->oom = true;
    }
}

/* a cell's comment: its stated value, then every finding about it (worst
 * first), each with its own message and recomputed value */
char *cell_note(const tw *w, size_t row, int col, const char *stated, const char *shown)
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

/* ---- 検証結果 ------------------------------------------------------------------ */

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
void write_findings(wb *b, const gy_dataset *ds, lxw_worksheet *ws, const placed *pl, size_t npl)
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
