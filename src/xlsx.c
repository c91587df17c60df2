/* xlsx.c - the workbook: its cover and contents, its tables and 検証結果
 *
 * gy_xlsx_write (include/gaiyo/xlsx.h) opens the workbook, writes a sheet
 * per table of the report year (xlsx_sheet.c), the 検証結果 sheet
 * (xlsx_findings.c) and the cover with its contents, inserts the charts
 * (xlsx_pages.c) and closes the file (xlsxzip.c deflates a big one). Here
 * too: every failure as a diagnostic (wb_err, cell_ok …), checked cells of
 * the cover and 検証結果, and sheet names. The private interface of the
 * workbook's files is xlsx_int.h; tests/xlsx/ covers them all.
 */
#include "xlsx_int.h"
#include "gaiyo/xlsxzip.h"
#include <errno.h>
#include <stdarg.h>

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
void wb_err(wb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_errv(b, b->path, fmt, ap);
    va_end(ap);
}

/* a failure whose cause is another file (a layout, a table) */
void wb_err_at(wb *b, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_errv(b, file, fmt, ap);
    va_end(ap);
}

/* a failed libxlsxwriter call on a cell: the sheet, the cell, the cause */
bool cell_ok(wb *b, lxw_error e, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *what)
{
    if (e == LXW_NO_ERROR)
        return true;
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, r, c);
    wb_err(b, "シート「%s」のセル %s に%sを書けません: %s", ws->name, a1, what, lxw_strerror(e));
    return false;
}

/* a failed libxlsxwriter call on a sheet's setup (print area, columns …) */
bool sheet_ok(wb *b, lxw_error e, lxw_worksheet *ws, const char *what)
{
    if (e == LXW_NO_ERROR)
        return true;
    wb_err(b, "シート「%s」の%sを設定できません: %s", ws->name, what, lxw_strerror(e));
    return false;
}

/* whether text s fits in a cell; if not, a diagnostic naming the cell */
bool text_fits(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    size_t n = s ? gy_excel_len(s, strlen(s)) : 0;
    if (n <= GY_CELL_MAX)
        return true;
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, r, c);
    wb_err(b, "シート「%s」のセル %s の文字列が %zu 字あり、Excel のセルに入る 32,767 字を超えます", ws->name, a1, n);
    return false;
}

/* a cell of the findings or cover sheet, checked */
void wstr(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
{
    if (text_fits(b, ws, r, c, s))
        cell_ok(b, worksheet_write_string(ws, r, c, s, f), ws, r, c, op_what(OP_STR));
}

void wurl(wb *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *url, lxw_format *f, const char *s)
{
    if (text_fits(b, ws, r, c, s))
        cell_ok(b, worksheet_write_url_opt(ws, r, c, url, f, s, NULL), ws, r, c, "リンク");
}

/* ---- sheet names ---------------------------------------------------------- */

/* Excel: at most 31 characters, none of []:*?/\, unique (case-insensitive
 * for ASCII; exact here). */
char *sheet_name(wb *b, const char *want)
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
bool cell_ref(char *buf, size_t n, const char *sheet, int r, int c)
{
    char a1[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(a1, (lxw_row_t)r, (lxw_col_t)c);
    int k = sheet ? snprintf(buf, n, "'%s'!%s", sheet, a1) : snprintf(buf, n, "%s", a1);
    return k >= 0 && (size_t)k < n;
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

/* the report year: the latest fiscal year present */
static int report_year(const gy_dataset *ds)
{
    int year = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->v[i]->fy.western > year)
            year = ds->v[i]->fy.western;
    return year;
}

/* the document's properties; returns its title (the contents' too) and
 * sets *comments, both owned by the caller (NULL: out of memory) */
static char *set_properties(wb *b, int year, char **comments)
{
    const gy_xlsx_opts *o = b->o;
    gy_fy fy = gy_fy_from_western(year);
    char fys[32] = "";
    gy_fy_format(&fy, fys, sizeof fys);
    char *title = gy_asprintf("%s (%s年度)", b->ls->title ? b->ls->title : "経済産業行政の概要", fys);
    *comments = gy_asprintf("gaiyo %s で作成。入力:\n%s", GAIYO_VERSION, o->inputs ? o->inputs : "");
    lxw_doc_properties props = {.title = title,
                                .subject = "経済産業行政の概要 (表とその検証)",
                                .author = b->ls->author ? b->ls->author : "gaiyo",
                                .company = b->ls->company ? b->ls->company : "",
                                .comments = *comments,
                                .keywords = "gaiyo " GAIYO_VERSION,
                                .created = (time_t)o->created};
    lxw_error pe = workbook_set_properties(b->w, &props);
    if (pe == LXW_NO_ERROR)
        pe = workbook_set_custom_property_string(b->w, "Generator", "gaiyo " GAIYO_VERSION);
    if (pe != LXW_NO_ERROR)
        wb_err(b, "ブックの文書情報を設定できません: %s", lxw_strerror(pe));
    return title;
}

/* the tables of the report year: those with a layout in layout order,
 * then the others in dataset order; pl[*npl] gets each one's first sheet */
static gy_status write_tables(wb *b, int year, placed *pl, size_t *npl)
{
    const gy_dataset *ds = b->ds;
    gy_status st = GY_OK;
    for (int pass = 0; pass < 2 && st == GY_OK; pass++) {
        size_t nl = pass == 0 ? b->ls->n : 1;
        for (size_t li = 0; li < nl && st == GY_OK; li++) {
            for (size_t i = 0; i < ds->n && st == GY_OK; i++) {
                const gy_table *t = ds->v[i];
                if (t->fy.western != year)
                    continue;
                const gy_layout *l = gy_layouts_find(b->ls, t->def->id);
                if (pass == 0 ? l != b->ls->v[li] : l != NULL)
                    continue;
                size_t before = b->nnames;
                st = write_table(b, t, l);
                if (st == GY_OK && b->nnames > before)
                    pl[(*npl)++] = (placed){t, b->names[before]};
            }
        }
    }
    return st;
}

/* the cover sheet: the cover, then the contents (the tables' sheets by
 * section, 検証結果 named fname, the input files) on a page of their own */
static void write_contents(wb *b, lxw_worksheet *cover, const char *title, const char *fname, const placed *pl,
                           size_t npl)
{
    const gy_xlsx_opts *o = b->o;
    const gy_findings *fs = o->findings;
    /* the cover */
    lxw_format *tf = fmt(b, F_TITLE, 0, 0, 0, 0, 0), *nf = fmt(b, F_NOTE, 0, 0, 0, 0, 0);
    lxw_format *lf = fmt(b, F_LINK, 0, 0, 0, 0, 0);
    lxw_row_t c0 = write_cover(b, cover); /* the contents below the cover, on a page of their own */
    wstr(b, cover, c0, 0, title, tf);
    char *line = gy_asprintf("作成: gaiyo %s", GAIYO_VERSION);
    if (line)
        wstr(b, cover, c0 + 1, 0, line, nf);
    free(line);
    line = gy_asprintf("検証: 誤り %zu 件、警告 %zu 件、情報 %zu 件 (シート「%s」)",
                       fs ? fs->count[GY_SEV_ERROR] : 0, fs ? fs->count[GY_SEV_WARNING] : 0,
                       fs ? fs->count[GY_SEV_INFO] : 0, fname);
    if (line)
        wstr(b, cover, c0 + 2, 0, line, nf);
    else
        b->oom = true;
    free(line);
    wstr(b, cover, c0 + 4, 0, "目次", tf);
    lxw_row_t r = c0 + 5;
    const char *sect = NULL; /* the contents grouped as the report's 目次: a heading per section */
    for (size_t k = 0; k < npl; k++, r++) {
        const gy_layout *pla = gy_layouts_find(b->ls, pl[k].t->def->id);
        if (pla && pla->section && (!sect || strcmp(sect, pla->section))) {
            sect = pla->section;
            wstr(b, cover, r++, 0, sect, tf);
        }
        char *url = gy_asprintf("internal:'%s'!A1", pl[k].sheet);
        const char *ttl = gy_layouts_find(b->ls, pl[k].t->def->id) ? gy_layouts_find(b->ls, pl[k].t->def->id)->title
                                                                     : pl[k].t->def->title;
        if (url)
            wurl(b, cover, r, 0, url, lf, pl[k].sheet);
        else
            b->oom = true;
        free(url);
        wstr(b, cover, r, 1, ttl ? ttl : "", nf);
    }
    char *url = gy_asprintf("internal:'%s'!A1", fname);
    if (url)
        wurl(b, cover, r, 0, url, lf, fname);
    else
        b->oom = true;
    free(url);
    wstr(b, cover, r++, 1, "gaiyo verify の全所見 (各セルへのリンク付き)", nf);
    r++;
    wstr(b, cover, r++, 0, "入力ファイル", tf);
    if (o->inputs) {
        char *copy = gy_strdup(o->inputs), *sv = NULL;
        if (!copy)
            b->oom = true;
        for (char *p = copy ? strtok_r(copy, "\n", &sv) : NULL; p; p = strtok_r(NULL, "\n", &sv))
            wstr(b, cover, r++, 0, p, nf);
        free(copy);
    }
    static const double cw[] = {36, 60};
    sheet_ok(b, worksheet_set_column(cover, 0, 0, cw[0], NULL), cover, "列の幅");
    sheet_ok(b, worksheet_set_column(cover, 1, 1, cw[1], NULL), cover, "列の幅");
    worksheet_gridlines(cover, LXW_HIDE_ALL_GRIDLINES);
    cover_page_setup(b, cover, c0, cw, 2);
    worksheet_activate(cover);
}

/* close the workbook: libxlsxwriter writes the file (zipped by xlsxzip.c);
 * st, or the failure of closing it (with its diagnostic) */
static gy_status close_workbook(wb *b, gy_status st)
{
    gy_diags *d = b->d;
    const char *path = b->path;
    /* a big workbook (constant-memory mode) is deflated at level 1, in
     * blocks on two threads (xlsxzip.h): for 100,000 事業 about 0.2 s
     * instead of 1.0 s, and a file about 30 % larger (11 MB, not 8.6 MB);
     * a small one (the default report) is left as libxlsxwriter writes it */
    gy_xlsxzip_set(b->cm ? 1 : -1, b->cm);
    errno = 0;
    lxw_error e = workbook_close(b->w);
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
    return st;
}

/* what the workbook being written holds (the workbook closed) */
static void wb_free(wb *b)
{
    size_t nf = b->o->findings ? b->o->findings->n : 0;
    for (size_t i = 0; b->links && i < nf; i++)
        free(b->links[i]);
    free(b->links);
    for (size_t i = 0; i < b->nnames; i++)
        free(b->names[i]);
    free(b->names);
    free(b->fk);
    for (size_t i = 0; i < b->npfx; i++)
        free(b->pfx[i]);
    free(b->pfx);
    free(b->anch);
}

gy_status gy_xlsx_write(const gy_dataset *ds, const char *path, const gy_xlsx_opts *o, gy_diags *d)
{
    gy_layouts empty = {.font = "游ゴシック", .font_size = 10, .negative = "△"};
    wb b = {.ds = ds, .ls = o->layouts ? o->layouts : &empty, .o = o, .d = d, .warn = o->warnings, .path = path};
    size_t nd0 = d->n + d->dropped;
    b.neg = b.ls->negative ? b.ls->negative : "△";
    int year = report_year(ds);
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
    char *comments = NULL;
    char *title = set_properties(&b, year, &comments);
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
    if (st == GY_OK)
        st = write_tables(&b, year, pl, &npl);
    char *fname = st == GY_OK ? sheet_name(&b, "検証結果") : NULL;
    lxw_worksheet *fws = fname ? workbook_add_worksheet(b.w, fname) : NULL;
    if (fname && !fws)
        wb_err(&b, "シート「%s」を作れません", fname);
    if (st == GY_OK && !fws)
        st = b.failed ? GY_EIO : GY_ENOMEM;
    if (st == GY_OK) {
        write_findings(&b, ds, fws, pl, npl);
        write_contents(&b, cover, title, fname, pl, npl);
    }
    gy_phase("workbook-cells");
    if (st == GY_OK)
        place_images(&b);
    if (st == GY_OK && b.failed)
        st = GY_EIO;
    if (b.oom && st == GY_OK)
        st = GY_ENOMEM;
    gy_progress_stage("ブック圧縮中");
    st = close_workbook(&b, st);
    /* no failure without a word: out of memory, or anything not said yet */
    if (b.oom)
        gy_diag_add(d, path, 0, 0, "ブックを作れません: メモリが足りません");
    else if (st != GY_OK && d->n + d->dropped == nd0)
        gy_diag_add(d, path, 0, 0, "ブックを作れません: %s", gy_strerror(st));
    wb_free(&b);
    free(pl);
    free(title);
    free(comments);
    return st;
}
