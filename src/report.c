/* report.c - the report's driver: the reading of input/ year by year
 * (gy_report_read: each year pulled from the year reader, its big tables
 * that a later year supersedes checked and summarized whole, then cut by
 * the retention policy of retain.c) and the writing (gy_report_write):
 * check, the text outputs (formatted by format.c), snapshot and changes,
 * the charts drawn while the workbook is written (gy_charts_start/finish,
 * await_charts), and the commit of out/ with its state (fingerprint.c).
 * Tested by tests/unit/test_import.c (report_read_checks_before_cut),
 * tests/cli/cli_test.sh and tests/xlsx/. */
#include "gaiyo/report.h"
#include "gaiyo/outdir.h"
#include "gaiyo/xlsx.h"
#include "gaiyo/changes.h"
#include "gaiyo/chart.h"
#include "gaiyo/relate.h"
#include "gaiyo/retain.h"
#include "gaiyo/testhooks.h"
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

gy_status gy_report_verify(const gy_dataset *ds, const gy_layouts *ls, gy_report_format fmt, gy_buf *b, int *nerr)
{
    gy_findings f;
    gy_progress_stage("検算中");
    gy_status st = gy_verify(ds, &f);
    gy_phase("verify");
    if (st != GY_OK) {
        gy_findings_free(&f);
        return st;
    }
    st = gy_report_findings(&f, ds, ls, fmt, b);
    *nerr = (int)f.count[GY_SEV_ERROR];
    gy_findings_free(&f);
    return st;
}

/* a file of out/; a CSV starts with a UTF-8 BOM, without which Excel on
 * Japanese Windows reads it as CP932 (mojibake). `verify --format csv`
 * prints the same bytes without it: a stream for tools. */
static gy_status write_buf(gy_outdir *o, const char *name, const gy_buf *b, gy_diags *d)
{
    FILE *fp = gy_outdir_fopen(o, name, d);
    if (!fp)
        return GY_EIO;
    size_t nl = strlen(name);
    if (nl > 4 && !strcmp(name + nl - 4, ".csv"))
        fputs("\xEF\xBB\xBF", fp);
    if (b->n)
        fwrite(b->p, 1, b->n, fp);
    return gy_outdir_fclose(o, fp, name, d);
}

char *gy_report_workbook_name(const gy_dataset *ds)
{
    int year = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->v[i]->fy.western > year)
            year = ds->v[i]->fy.western;
    gy_fy fy = gy_fy_from_western(year);
    char y[32] = "";
    gy_fy_format(&fy, y, sizeof y);
    return gy_asprintf("gaiyo-%s.xlsx", year ? y : "none");
}

/* the document's creation time: SOURCE_DATE_EPOCH when set (reproducible
 * builds), else the newest input file's modification time — never the
 * clock, so that two runs on the same input give the same workbook */
static long long created_time(const gy_dataset *ds, gy_buf *inputs)
{
    long long t = 0;
    for (size_t i = 0; i < ds->n; i++) {
        struct stat sb;
        if (stat(ds->v[i]->path, &sb) == 0) {
            if ((long long)sb.st_mtime > t)
                t = (long long)sb.st_mtime;
            gy_buf_printf(inputs, "%s (%lld バイト、%s)\n", ds->v[i]->path, (long long)sb.st_size,
                          ds->v[i]->encoding);
        }
    }
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (!*end && v >= 0)
            t = v;
    }
    return t;
}

/* the charts of a report, drawn while its workbook is written */
typedef struct chart_wait {
    gy_outdir *o;
    gy_diags *d;          /* a file that cannot be registered in out/ */
    gy_chart_job *job;
    bool done;
    gy_status st;         /* the render's (a failure is a warning) */
    gy_diags cd;          /* its warnings */
    gy_chart_outs co;
    gy_xlsx_image *imgs;  /* co's images, in the staging folder */
    char **paths;
    gy_xlsx_image *plan;  /* the images to come (the job's plan), with their size */
    char **plan_paths;
    size_t nplan;
    gy_status reg;        /* registering its files in out/ */
} chart_wait;

/* wait for gnuplot (once) and register what it wrote */
static gy_status charts_done(chart_wait *w)
{
    if (w->done)
        return w->reg;
    w->done = true;
    w->st = gy_charts_finish(w->job, &w->co, &w->cd);
    w->job = NULL;
    if (w->st == GY_ENOMEM)
        w->reg = GY_ENOMEM;
    for (size_t i = 0; i < w->co.nfiles && w->reg == GY_OK; i++) {
        char *p = gy_outdir_path(w->o, w->co.files[i], w->d);
        if (!p)
            w->reg = GY_EIO;
        free(p);
    }
    w->imgs = calloc(w->co.n ? w->co.n : 1, sizeof *w->imgs);
    w->paths = calloc(w->co.n ? w->co.n : 1, sizeof *w->paths);
    if (!w->imgs || !w->paths)
        w->reg = GY_ENOMEM;
    for (size_t i = 0; w->reg == GY_OK && i < w->co.n; i++) {
        if (!(w->paths[i] = gy_asprintf("%s/%s", w->o->stage, w->co.v[i].png)))
            w->reg = GY_ENOMEM;
        w->imgs[i] = (gy_xlsx_image){w->co.v[i].table, w->paths[i], 0, 0};
    }
    return w->reg;
}

/* gy_xlsx_opts.await_images: the charts once gnuplot is done */
static const gy_xlsx_image *await_charts(void *ctx, size_t *n)
{
    chart_wait *w = ctx;
    *n = 0;
    if (!w->done)
        gy_progress_stage("グラフ描画中");
    if (charts_done(w) != GY_OK)
        return NULL;
    *n = w->co.n;
    return w->imgs;
}

/* the images the workbook lays out while gnuplot draws them */
static gy_status charts_plan(chart_wait *w)
{
    size_t n = 0;
    const gy_chart_out *p = gy_chart_job_plan(w->job, &n);
    w->plan = calloc(n ? n : 1, sizeof *w->plan);
    w->plan_paths = calloc(n ? n : 1, sizeof *w->plan_paths);
    if (!w->plan || !w->plan_paths)
        return GY_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(w->plan_paths[i] = gy_asprintf("%s/%s", w->o->stage, p[i].png)))
            return GY_ENOMEM;
        w->plan[i] = (gy_xlsx_image){p[i].table, w->plan_paths[i], p[i].width, p[i].height};
        w->nplan = i + 1;
    }
    return GY_OK;
}

static void chart_wait_free(chart_wait *w)
{
    for (size_t i = 0; w->plan_paths && i < w->nplan; i++)
        free(w->plan_paths[i]);
    free(w->plan_paths);
    free(w->plan);
    for (size_t i = 0; w->paths && i < w->co.n; i++)
        free(w->paths[i]);
    free(w->paths);
    free(w->imgs);
    gy_chart_outs_free(&w->co);
    gy_diags_free(&w->cd);
}

struct gy_report_early {
    gy_findings f;        /* of the tables verified early */
    char **summary;       /* per table of the dataset: its summary, made early, or NULL */
    bool *done;           /* per table: verified early */
    size_t n;             /* entries of summary and done */
};

gy_report_early *gy_report_early_new(void)
{
    return calloc(1, sizeof(gy_report_early));
}

void gy_report_early_free(gy_report_early *e)
{
    if (!e)
        return;
    gy_findings_free(&e->f);
    for (size_t k = 0; k < e->n; k++)
        free(e->summary[k]);
    free(e->summary);
    free(e->done);
    free(e);
}

size_t gy_report_stage_bytes(void)
{
    size_t e = gy_test_hook("GAIYO_TEST_STAGE_BYTES");
    return e ? e : GY_REPORT_STAGE_BYTES;
}

/* the tables of the year just read (ds->v[first ..]) that keep cuts (the
 * snapshot does not record them, the workbook does not print them):
 * verified and summarized whole, into e, before keep cuts them */
static gy_status check_early(gy_report_early *e, const gy_retention *keep, gy_dataset *ds, size_t first)
{
    if (ds->n > e->n) {
        char **ns = realloc(e->summary, ds->n * sizeof *ns);
        if (ns)
            e->summary = ns;
        bool *nd = ns ? realloc(e->done, ds->n * sizeof *nd) : NULL;
        if (!nd)
            return GY_ENOMEM;
        e->done = nd;
        for (size_t k = e->n; k < ds->n; k++) {
            e->summary[k] = NULL;
            e->done[k] = false;
        }
        e->n = ds->n;
    }
    bool *which = calloc(ds->n, sizeof *which), any = false;
    if (!which)
        return GY_ENOMEM;
    for (size_t k = first; k < ds->n; k++)
        if (gy_retention_cuts(keep, ds->v[k]))
            which[k] = any = true;
    gy_status st = GY_OK;
    if (any) {
        gy_findings f;
        st = gy_verify_tables(ds, which, &f, NULL, NULL);
        if (st == GY_OK)
            st = gy_findings_join(&e->f, &f);
        else
            gy_findings_free(&f);
    }
    for (size_t k = first; st == GY_OK && k < ds->n; k++) {
        if (!which[k])
            continue;
        gy_buf b = {0};
        gy_report_summary_table(ds->v[k], &b);
        if (!b.p)
            st = GY_ENOMEM;
        e->summary[k] = b.p;
        e->done[k] = true;
    }
    free(which);
    return st;
}

gy_status gy_report_read(const char *dir, const gy_defset *defs, const gy_retention *keep, gy_report_early *early,
                         gy_dataset *ds, gy_diags *d)
{
    gy_years *yr;
    gy_status st = gy_years_open(dir, defs, keep ? keep->big : 0, ds, d, &yr);
    if (st != GY_OK)
        return st;
    /* year after year, oldest first: what keep cuts of a year is checked
     * whole before it is cut, and cut before the next year is read (when
     * the reader is staged) */
    gy_year y;
    while (st == GY_OK && gy_years_next(yr, &y))
        if (keep && early && (st = check_early(early, keep, ds, y.first)) == GY_OK)
            st = gy_retention_cut(keep, defs, ds, y.first);
    return gy_years_close(yr, st);
}

/* verify every table not verified early, joined with what was: the
 * findings, and the derivations kept for the snapshot (the tables it
 * records; the workbook makes its own, window by window: gy_deriver).
 * On failure nothing is left to free. */
static gy_status check(const gy_dataset *ds, gy_report_early *early, gy_findings *f, gy_derivs *dv)
{
    bool *want = calloc(ds->n ? ds->n : 1, sizeof *want), *which = calloc(ds->n ? ds->n : 1, sizeof *which);
    if (!want || !which) {
        free(want);
        free(which);
        return GY_ENOMEM;
    }
    size_t max = gy_snapshot_max_rows();
    for (size_t k = 0; k < ds->n; k++) {
        want[k] = ds->v[k]->nrows <= max;
        which[k] = !(early && k < early->n && early->done[k]);
    }
    gy_progress_stage("検算中");
    gy_status st = gy_verify_tables(ds, which, f, dv, want);
    free(want);
    free(which);
    if (st == GY_OK && early)
        st = gy_findings_join(f, &early->f);
    gy_phase("verify");
    if (st != GY_OK) {
        gy_findings_free(f);
        gy_derivs_free(dv);
    }
    return st;
}

/* the workbook layouts (templates/sheets) and the chart templates
 * (templates/charts) when the caller did not read them before the input */
static gy_status read_templates(const gy_report_opts *ro, gy_layouts *ls, gy_chartset **cs, gy_diags *d)
{
    const char *tdir = ro->templates ? ro->templates : "templates";
    char *sdir = gy_asprintf("%s/sheets", tdir);
    gy_status st = sdir ? gy_layouts_load(sdir, ro->defs, ls, d) : GY_ENOMEM;
    free(sdir);
    char *cdir = gy_asprintf("%s/charts", tdir);
    if (st == GY_OK) {
        st = cdir ? gy_chartset_load(cdir, ro->defs, cs, d) : GY_ENOMEM;
        if (st != GY_OK)
            gy_layouts_free(ls);
    }
    free(cdir);
    return st;
}

/* test hooks: a smaller sheet, a lower constant-memory threshold,
 * smaller windows of derivations, so that the tests can split a table
 * over sheets, stream it and derive it in pieces */
static void xlsx_test_hooks(gy_xlsx_opts *xo)
{
    xo->max_rows = gy_test_hook("GAIYO_TEST_SHEET_ROWS");
    xo->window_rows = gy_test_hook("GAIYO_TEST_WINDOW_ROWS");
    if (xo->window_rows)
        xo->derivs = NULL; /* the windows are what the hook tests */
    xo->stream_rows = gy_test_hook("GAIYO_TEST_STREAM_ROWS");
}

/* out/.gaiyo-state: the fingerprint and every file of this report */
static void state_text(gy_buf *state, const gy_report_opts *ro, const chart_wait *cw, const gy_outdir *o)
{
    /* a report whose charts could not be drawn (or drawn without their
     * font) is redone next time */
    gy_buf_printf(state, "%s\n", ro->fingerprint && cw->st == GY_OK && !cw->cd.n ? ro->fingerprint : "-");
    /* … except the images of a chart drawn without its font: the next
     * run takes over only the charts the state lists (a chart gnuplot
     * did not draw has no image here at all) */
    for (size_t i = 0; i < o->n; i++) {
        bool redo = false;
        for (size_t k = 0; k < cw->co.n && !redo; k++)
            redo = cw->co.v[k].redraw &&
                   (!strcmp(o->names[i], cw->co.v[k].png) || !strcmp(o->names[i], cw->co.v[k].print));
        if (!redo)
            gy_buf_printf(state, "%s\n", o->names[i]);
    }
}

/* the warnings of the workbook and the charts, for stderr (NULL: none);
 * each printed with the severity it was raised with (gy_diag_warn), and
 * after each list how many it did not keep (GY_DIAG_LIMIT) */
static char *warnings_text(const gy_diags *xw, const gy_diags *cd)
{
    if (!cd->n && !xw->n && !cd->dropped && !xw->dropped)
        return NULL;
    gy_buf w = {0};
    const gy_diags *ws[] = {xw, cd};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < ws[k]->n; i++)
            gy_diag_format(&w, &ws[k]->v[i]);
        gy_diags_format_dropped(&w, ws[k]);
    }
    return w.p;
}

/* the PDF of the workbook just replaced (make pdf, scripts/pdf.sh) shows
 * the previous report: removed once the new one is in out/, and said in
 * the summary (a file that cannot be removed is said to be stale) */
static void drop_stale_pdf(const char *outdir, const char *wbname, gy_buf *line)
{
    size_t n = wbname ? strlen(wbname) : 0;
    if (n < 5 || strcmp(wbname + n - 5, ".xlsx"))
        return;
    char *path = gy_asprintf("%s/%.*s.pdf", outdir, (int)(n - 5), wbname);
    struct stat sb;
    if (!path || lstat(path, &sb) != 0 || !(S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode))) {
        free(path);
        return;
    }
    if (unlink(path) == 0)
        gy_buf_printf(line, "PDF: 前のブックから作った %s を削除しました (作り直すには make pdf)\n", path);
    else
        gy_buf_printf(line, "PDF: %s は前のブックから作ったもので、削除できませんでした (%s): make pdf で作り直してください\n",
                      path, strerror(errno));
    free(path);
}

gy_status gy_report_write(const gy_dataset *ds, const gy_report_opts *ro, gy_report_result *res, gy_diags *d)
{
    const char *outdir = ro->outdir;
    res->summary = NULL;
    res->warnings = NULL;
    res->out_mixed = false;
    gy_findings f;
    gy_derivs dv;
    gy_report_early *early = ro->early;
    gy_status st = check(ds, early, &f, &dv);
    if (st != GY_OK)
        return st;
    /* the text outputs and what changed, from every table (a table cut
     * down early was summarized before) */
    gy_buf sum = {0}, ft = {0}, fc = {0}, inputs = {0};
    for (size_t k = 0; k < ds->n; k++) {
        if (early && k < early->n && early->summary[k])
            gy_buf_puts(&sum, early->summary[k]);
        else
            gy_report_summary_table(ds->v[k], &sum);
    }
    gy_report_summary_missing(ds, &sum);
    gy_buf snap = {0}, ct = {0}, cc = {0}, state = {0};
    char *prevp = gy_asprintf("%s/snapshot.tsv", outdir), *prev = NULL;
    size_t prevlen = 0, nchanges = 0;
    bool had_prev = prevp && gy_read_file(prevp, &prev, &prevlen) == 0;
    free(prevp);
    const char *roots[] = {ro->input, ro->templates};
    st = gy_snapshot_make(ds, &f, &dv, roots, 2, &snap);
    if (st == GY_OK)
        st = gy_changes_make(had_prev ? prev : NULL, snap.p, &ct, &cc, &nchanges);
    free(prev);
    gy_phase("findings");
    /* the workbook layouts (templates/sheets; optional) and the chart
     * templates (templates/charts; optional): as the caller read them
     * before the input, else read now */
    gy_layouts ls;
    gy_chartset *cs = NULL;
    bool own = !ro->layouts;
    if (!own) {
        ls = *ro->layouts;
        cs = (gy_chartset *)ro->charts; /* not freed: the caller owns it */
    } else if (st == GY_OK)
        st = read_templates(ro, &ls, &cs, d);
    /* the findings in the report's order (the layouts') */
    if (st == GY_OK && ((st = gy_report_findings(&f, ds, &ls, GY_FMT_TEXT, &ft)) != GY_OK ||
                        (st = gy_report_findings(&f, ds, &ls, GY_FMT_CSV, &fc)) != GY_OK) && own) {
        gy_layouts_free(&ls);
        gy_chartset_free(cs);
    }
    gy_buf *texts[] = {&sum, &ft, &fc, &inputs, &snap, &ct, &cc, &state};
    if (st != GY_OK) {
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
            gy_buf_free(texts[i]);
        gy_findings_free(&f);
        gy_derivs_free(&dv);
        return st;
    }
    gy_outdir o;
    st = gy_outdir_open(&o, outdir, d);
    if (st != GY_OK) {
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
            gy_buf_free(texts[i]);
        gy_outdir_abort(&o);
        gy_findings_free(&f);
        gy_derivs_free(&dv);
        if (own) {
            gy_layouts_free(&ls);
            gy_chartset_free(cs);
        }
        return st;
    }
    /* charts: one gnuplot run for those that changed since the previous
     * report, drawing while the workbook's cells are written (the images
     * are placed last: await_charts); if gnuplot (or a chart) fails, the
     * rest is still written and the reason is a warning */
    chart_wait cw = {.o = &o, .d = d};
    cw.st = gy_charts_start(cs, ds, o.stage, ro->force ? NULL : outdir, ro->gnuplot, &cw.job, &cw.cd);
    if (!cw.job)
        cw.done = true; /* nothing started: out of memory */
    if (cw.st == GY_ENOMEM || charts_plan(&cw) != GY_OK)
        st = GY_ENOMEM;
    gy_phase("charts-started");
    char *wbname = gy_report_workbook_name(ds);
    char *wbpath = wbname ? gy_outdir_path(&o, wbname, d) : NULL;
    gy_diags xw = {0}; /* the workbook's warnings */
    gy_xlsx_opts xo = {.layouts = &ls, .findings = &f, .await_images = await_charts, .await_ctx = &cw,
                       .images = cw.plan, .nimages = cw.nplan,
                       .warnings = &xw, .derivs = &dv};
    xo.created = created_time(ds, &inputs);
    xlsx_test_hooks(&xo);
    xo.inputs = inputs.p;
    if (!wbpath)
        st = GY_EIO;
    gy_progress_stage("ブック作成中");
    if (st == GY_OK && (st = write_buf(&o, "summary.txt", &sum, d)) == GY_OK &&
        (st = write_buf(&o, "findings.txt", &ft, d)) == GY_OK &&
        (st = write_buf(&o, "findings.csv", &fc, d)) == GY_OK &&
        (st = write_buf(&o, "snapshot.tsv", &snap, d)) == GY_OK &&
        (st = write_buf(&o, "changes.txt", &ct, d)) == GY_OK &&
        (st = write_buf(&o, "changes.csv", &cc, d)) == GY_OK &&
        (st = gy_xlsx_write(ds, wbpath, &xo, d)) == GY_OK && (st = charts_done(&cw)) == GY_OK) {
        gy_phase("workbook");
        gy_progress_stage("書き出し中");
        /* the state last: the fingerprint and every file of this report */
        state_text(&state, ro, &cw, &o);
        if ((st = write_buf(&o, ".gaiyo-state", &state, d)) == GY_OK) {
            st = gy_outdir_commit(&o, d);
            res->out_mixed = o.mixed;
        } else
            gy_outdir_abort(&o);
    } else {
        charts_done(&cw); /* gnuplot writes into the staging folder */
        gy_outdir_abort(&o);
    }
    gy_phase("commit");
    gy_buf_free(&snap);
    gy_buf_free(&ct);
    gy_buf_free(&cc);
    gy_buf_free(&state);
    free(wbpath);
    res->warnings = warnings_text(&xw, &cw.cd);
    gy_diags_free(&xw);
    size_t ncharts = cw.co.n, nreused = cw.co.nreused;
    chart_wait_free(&cw);
    if (own) {
        gy_chartset_free(cs);
        gy_layouts_free(&ls);
    }
    gy_buf_free(&inputs);
    gy_derivs_free(&dv);
    if (st == GY_OK) {
        gy_buf line = {0};
        gy_buf_puts(&line, sum.p ? sum.p : "");
        gy_buf_printf(&line, "ブック: %s/%s\n", outdir, wbname);
        drop_stale_pdf(outdir, wbname, &line);
        if (ncharts || cw.st != GY_OK)
            gy_buf_printf(&line, "グラフ: %zu 枚 (%s/charts/、うち前回のまま %zu 枚)%s\n", ncharts, outdir, nreused,
                          cw.st != GY_OK ? " — 描けなかったものがあります (警告を参照)" : "");
        if (had_prev)
            gy_buf_printf(&line, "変更: 前回から %zu 件 (%s/changes.txt)\n", nchanges, outdir);
        gy_buf_printf(&line, "検証: %zu errors, %zu warnings, %zu infos (%s/findings.txt, %s/findings.csv)\n",
                      f.count[GY_SEV_ERROR], f.count[GY_SEV_WARNING], f.count[GY_SEV_INFO], outdir, outdir);
        res->summary = line.p;
    }
    gy_buf_free(&sum);
    gy_buf_free(&ft);
    gy_buf_free(&fc);
    free(wbname);
    gy_findings_free(&f);
    return st;
}
