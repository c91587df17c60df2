/* main.c - the gaiyo command: subcommands from a table, fixed exit codes.
 *
 * Exit codes: 0 ok, 1 the data has errors (or verify found errors),
 * 2 usage error, 3 input could not be read / output could not be written.
 */
#include "gaiyo/diag.h"
#include "gaiyo/changes.h"
#include "gaiyo/chart.h"
#include "gaiyo/form.h"
#include "gaiyo/explain.h"
#include "gaiyo/import.h"
#include "gaiyo/layout.h"
#include "gaiyo/outdir.h"
#include "gaiyo/report.h"
#include "gaiyo/retain.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GAIYO_VERSION
#define GAIYO_VERSION "0.1.0"
#endif

enum { EX_OK = 0, EX_DATA = 1, EX_USAGE = 2, EX_IO = 3 };

typedef struct opts {
    const char *input;
    const char *templates;
    const char *out;
    const char *format;
    const char *args[4];
    int nargs;
    bool force;
} opts;

static int status_exit(gy_status s)
{
    switch (s) {
    case GY_OK: return EX_OK;
    case GY_EDATA: return EX_IO;  /* input could not be read as data */
    case GY_EUSAGE: return EX_USAGE;
    default: return EX_IO;
    }
}

static void usage(FILE *fp)
{
    fputs("使い方: gaiyo <コマンド> [オプション]\n"
          "\n"
          "コマンド:\n"
          "  import   input/ の表をすべて読み、表ごとの行数と記載された合計を表示する\n"
          "  verify   集計をやり直し、記載値との食い違いを報告する (--format text|csv|json)\n"
          "  report   読み込み・検証を行い out/ に報告一式を書く\n"
          "  dump     1 つの表を型付きの TSV で表示する: gaiyo dump 表ID [年度]\n"
          "  explain  1 つの数値の出どころ: gaiyo explain 表ID 行 列 [年度] (--format text|json)\n"
          "  tables   定義されている表の一覧\n"
          "  template 課が記入する空の CSV (見出し行だけ): gaiyo template 表ID [-o FILE]\n"
          "           または gaiyo template --all DIR (全表)。--encoding utf-8|cp932 (既定: BOM 付き UTF-8)、\n"
          "           既存のファイルは --force のときだけ置き換える\n"
          "\n"
          "オプション:\n"
          "  --input DIR       入力フォルダ (既定: input)\n"
          "  --templates DIR   定義フォルダ (既定: templates)\n"
          "  --out DIR         出力フォルダ (既定: out)\n"
          "  --force           report: 入力が前回と同じでも作り直す\n"
          "  --format F        verify の出力形式: text, csv, json (既定: text)\n"
          "  --version         版を表示する\n",
          fp);
}

/* Print the diagnostics of a failed stage. A stage that failed without
 * recording one (out of memory before it could say where, an error path
 * that forgot) still gets a line naming what it was working on: no run
 * exits non-zero without saying what failed and where. */
static void print_failure(const gy_diags *d, gy_status st, const char *where)
{
    gy_progress_clear();
    gy_diags_print(d, stderr);
    if (!d->n && !d->dropped)
        gy_diag_print(&(gy_diag){.file = (char *)where,
                                 .msg = (char *)(st == GY_ENOMEM ? "メモリが足りません" : gy_strerror(st))},
                      stderr);
}

/* What a stage that succeeded still said (warnings, notes: an error fails
 * the stage), each with its severity, then let go: a warning is shown and
 * the run goes on (README "Nothing is lost silently") */
static void print_warnings(gy_diags *d)
{
    if (!d->n && !d->dropped)
        return;
    gy_progress_clear();
    gy_diags_print(d, stderr);
    gy_diags_free(d);
}

/* Every template a command uses, read and checked before any input is
 * read (README "Templates first"): tables/ always; with ls (report,
 * verify) also sheets/ and charts/, so that a typo in a layout or a chart
 * is reported before a million rows are read, and by an auditor's verify.
 * Every mistake of every template is listed; nothing is kept on failure. */
static int load_templates(const opts *o, gy_defset *defs, gy_layouts *ls, gy_chartset **cs, gy_diags *d)
{
    char *tdir = gy_asprintf("%s/tables", o->templates);
    if (!tdir) {
        print_failure(d, GY_ENOMEM, o->templates);
        return EX_IO;
    }
    gy_status st = gy_defset_load(tdir, defs, d);
    if (st != GY_OK) {
        print_failure(d, st, tdir);
        free(tdir);
        return EX_IO;
    }
    free(tdir);
    print_warnings(d);
    if (!ls)
        return EX_OK;
    *cs = NULL;
    char *sdir = gy_asprintf("%s/sheets", o->templates), *cdir = gy_asprintf("%s/charts", o->templates);
    gy_status sst = sdir ? gy_layouts_load(sdir, defs, ls, d) : GY_ENOMEM;
    /* the charts are checked even when a layout was wrong: all mistakes at once */
    gy_status cst = sst == GY_ENOMEM ? GY_ENOMEM : cdir ? gy_chartset_load(cdir, defs, cs, d) : GY_ENOMEM;
    if (sst != GY_OK || cst != GY_OK) {
        print_failure(d, sst != GY_OK ? sst : cst, sst != GY_OK ? (sdir ? sdir : o->templates)
                                                                : (cdir ? cdir : o->templates));
        if (sst == GY_OK)
            gy_layouts_free(ls);
        gy_chartset_free(*cs);
        *cs = NULL;
        gy_defset_free(defs);
        free(sdir);
        free(cdir);
        return EX_IO;
    }
    free(sdir);
    free(cdir);
    print_warnings(d);
    return EX_OK;
}

/* the input folder, after load_templates (freed on failure), under a
 * retention policy whose cuts are checked first into early (NULL, NULL:
 * every table kept whole) */
static int load_input(const opts *o, gy_defset *defs, gy_dataset *ds, gy_diags *d, const gy_retention *keep,
                      gy_report_early *early, gy_layouts *ls, gy_chartset **cs)
{
    gy_phase(NULL);
    gy_progress_stage("読み込み中");
    gy_status st = keep ? gy_report_read(o->input, defs, keep, early, ds, d) : gy_dataset_load(o->input, defs, ds, d);
    gy_progress_clear();
    gy_phase("import");
    if (st != GY_OK) {
        print_failure(d, st, o->input);
        if (ls) {
            gy_layouts_free(ls);
            gy_chartset_free(*cs);
            *cs = NULL;
        }
        gy_defset_free(defs);
        return status_exit(st);
    }
    print_warnings(d);
    /* a file with a header and no data row is read as a table of 0 rows:
     * never silently (README "Input folder") */
    for (size_t i = 0; i < ds->nempty; i++)
        gy_diag_print(&(gy_diag){.file = ds->empty[i], .sev = GY_DIAG_WARNING,
                                 .msg = "見出し行だけで、データの行がありません (0 行の表として読みました)"},
                      stderr);
    return EX_OK;
}

/* load_templates, then load_input */
static int load_all(const opts *o, gy_defset *defs, gy_dataset *ds, gy_diags *d, gy_layouts *ls, gy_chartset **cs)
{
    int rc = load_templates(o, defs, ls, cs, d);
    return rc ? rc : load_input(o, defs, ds, d, NULL, NULL, ls, cs);
}

static int cmd_tables(const opts *o)
{
    gy_diags d = {0};
    gy_defset defs;
    char *tdir = gy_asprintf("%s/tables", o->templates);
    gy_status st = tdir ? gy_defset_load(tdir, &defs, &d) : GY_ENOMEM;
    if (st != GY_OK) {
        print_failure(&d, st, tdir ? tdir : o->templates);
        free(tdir);
        gy_diags_free(&d);
        return EX_IO;
    }
    free(tdir);
    for (size_t i = 0; i < defs.n; i++)
        printf("%s\t%s\t%s\n", defs.v[i]->id, defs.v[i]->file, defs.v[i]->title);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return EX_OK;
}

static int cmd_import(const opts *o)
{
    gy_diags d = {0};
    gy_defset defs;
    gy_dataset ds;
    int rc = load_all(o, &defs, &ds, &d, NULL, NULL);
    if (rc) {
        gy_diags_free(&d);
        return rc;
    }
    gy_buf b = {0};
    gy_report_summary(&ds, &b);
    fputs(b.p ? b.p : "", stdout);
    gy_buf_free(&b);
    gy_dataset_free(&ds);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return EX_OK;
}

static int cmd_dump(const opts *o)
{
    if (o->nargs < 1) {
        fputs("gaiyo: dump には表 ID が要ります (gaiyo tables で一覧)\n", stderr);
        return EX_USAGE;
    }
    gy_diags d = {0};
    gy_defset defs;
    gy_dataset ds;
    int rc = load_all(o, &defs, &ds, &d, NULL, NULL);
    if (rc) {
        gy_diags_free(&d);
        return rc;
    }
    int western = 0;
    if (o->nargs >= 2) {
        gy_fy fy;
        const char *e;
        if (!gy_parse_fy(o->args[1], &fy, &e)) {
            fprintf(stderr, "gaiyo: 年度 '%s' を読めません: %s\n", o->args[1], e);
            rc = EX_USAGE;
            goto out;
        }
        western = fy.western;
    }
    const gy_table *t = gy_dataset_find(&ds, o->args[0], western);
    if (!t) {
        fprintf(stderr, "gaiyo: 表 '%s' は入力にありません\n", o->args[0]);
        rc = EX_USAGE;
        goto out;
    }
    gy_buf b = {0};
    gy_report_dump(t, &b);
    fputs(b.p ? b.p : "", stdout);
    gy_buf_free(&b);
out:
    gy_dataset_free(&ds);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return rc;
}

/* where one figure comes from (src/explain.c) */
static int cmd_explain(const opts *o)
{
    if (o->nargs < 3 || o->nargs > 4) {
        fputs("gaiyo: 使い方: gaiyo explain 表ID 行 列 [年度] [--format text|json]\n", stderr);
        return EX_USAGE;
    }
    const char *f = o->format ? o->format : "text";
    if (strcmp(f, "text") && strcmp(f, "json")) {
        fputs("gaiyo: explain の --format は text か json です\n", stderr);
        return EX_USAGE;
    }
    gy_diags d = {0};
    gy_defset defs;
    gy_dataset ds;
    int rc = load_all(o, &defs, &ds, &d, NULL, NULL);
    if (rc) {
        gy_diags_free(&d);
        return rc;
    }
    gy_explain_query q = {o->args[0], o->args[1], o->args[2], o->nargs > 3 ? o->args[3] : NULL, !strcmp(f, "json")};
    gy_buf b = {0}, e = {0};
    gy_status st = gy_explain(&defs, &ds, &q, &b, &e);
    if (st == GY_OK)
        fputs(b.p ? b.p : "", stdout);
    else if (st == GY_EUSAGE)
        fprintf(stderr, "gaiyo: explain: %s\n", e.p ? e.p : "");
    else
        gy_diag_print(&(gy_diag){.file = (char *)o->input,
                                 .msg = (char *)(st == GY_ENOMEM ? "メモリが足りません" : gy_strerror(st))},
                      stderr);
    rc = st == GY_OK ? EX_OK : status_exit(st);
    gy_buf_free(&b);
    gy_buf_free(&e);
    gy_dataset_free(&ds);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return rc;
}

static int cmd_verify(const opts *o)
{
    gy_diags d = {0};
    gy_defset defs;
    gy_dataset ds;
    /* sheets and charts are checked too: an auditor's run catches their typos */
    gy_layouts ls;
    gy_chartset *cs = NULL;
    int rc = load_all(o, &defs, &ds, &d, &ls, &cs);
    if (rc) {
        gy_diags_free(&d);
        return rc;
    }
    gy_report_format fmt;
    if (!gy_report_format_parse(o->format ? o->format : "text", &fmt)) {
        fprintf(stderr, "gaiyo: --format は text, csv, json のどれかです\n");
        rc = EX_USAGE;
    } else {
        int nerr = 0;
        gy_buf b = {0};
        gy_status vst = gy_report_verify(&ds, &ls, fmt, &b, &nerr);
        gy_progress_clear();
        if (vst != GY_OK) {
            gy_diag_print(&(gy_diag){.file = (char *)o->input, .msg = "メモリが足りません (検証の途中)"}, stderr);
            rc = EX_IO;
        } else {
            fputs(b.p ? b.p : "", stdout);
            rc = nerr ? EX_DATA : EX_OK;
        }
        gy_buf_free(&b);
    }
    gy_layouts_free(&ls);
    gy_chartset_free(cs);
    gy_dataset_free(&ds);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return rc;
}

static int cmd_report(const opts *o)
{
    gy_diags d = {0};
    gy_defset defs;
    gy_dataset ds;
    gy_layouts ls;
    gy_chartset *cs = NULL;
    /* nothing changed since the last report: no work at all (after
     * finishing a commit that a kill interrupted). The templates are not
     * even read then: they are byte for byte those of that report, which
     * this version of gaiyo read without an error (a report that failed
     * or drew a chart badly records no fingerprint). */
    gy_outdir_recover(o->out);
    gy_progress_stage("変更の確認中");
    char *fp = gy_report_fingerprint(o->input, o->templates);
    gy_progress_clear();
    if (!o->force && fp && gy_report_up_to_date(o->out, fp)) {
        printf("変更はありません: %s は最新です (入力・定義・様式とも前回と同じ。作り直すには --force)\n", o->out);
        free(fp);
        gy_diags_free(&d);
        return EX_OK;
    }
    /* every template first: a typo is reported before input/ is read */
    int rc = load_templates(o, &defs, &ls, &cs, &d);
    if (rc) {
        fputs("gaiyo: 報告は書きませんでした (out/ の前回の報告はそのままです)\n", stderr);
        gy_diags_free(&d);
        free(fp);
        return rc;
    }
    /* the input under the report's retention policy, decided now: a big
     * table a later year supersedes is checked as soon as its year is read
     * (early), then cut to what the rest of the report reads of it */
    gy_report_early *early = gy_report_early_new();
    gy_retention keep = {0};
    rc = EX_IO;
    if (early && gy_retention_make(&defs, gy_report_stage_bytes(), gy_snapshot_max_rows(), &keep) == GY_OK) {
        rc = load_input(o, &defs, &ds, &d, &keep, early, &ls, &cs);
        gy_retention_free(&keep);
    } else {
        print_failure(&d, GY_ENOMEM, o->input);
        gy_layouts_free(&ls);
        gy_chartset_free(cs);
        gy_defset_free(&defs);
    }
    if (rc) {
        fputs("gaiyo: 報告は書きませんでした (out/ の前回の報告はそのままです)\n", stderr);
        gy_report_early_free(early);
        gy_diags_free(&d);
        free(fp);
        return rc;
    }
    gy_report_result res;
    gy_report_opts ro = {.outdir = o->out, .input = o->input, .templates = o->templates, .defs = &defs, .fingerprint = fp,
                         .gnuplot = getenv("GAIYO_GNUPLOT"), .force = o->force, .early = early,
                         .layouts = &ls, .charts = cs};
    gy_status st = gy_report_write(&ds, &ro, &res, &d);
    gy_progress_clear();
    if (st != GY_OK) {
        print_failure(&d, st, o->out);
        /* the last line tells the truth about out/ */
        if (res.out_mixed)
            fprintf(stderr, "gaiyo: 報告を書き終えられず、%s を前回の報告にも戻せませんでした (次の実行で作り直します)\n",
                    o->out);
        else
            fputs("gaiyo: 報告は書きませんでした (out/ の前回の報告はそのままです)\n", stderr);
        rc = EX_IO;
    } else {
        printf("%s", res.summary ? res.summary : "");
        if (res.warnings)
            fputs(res.warnings, stderr);
        rc = EX_OK;
    }
    free(res.summary);
    free(res.warnings);
    free(fp);
    gy_report_early_free(early);
    gy_layouts_free(&ls);
    gy_chartset_free(cs);
    gy_dataset_free(&ds);
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return rc;
}

/* a folder as the user typed it, without the trailing slashes a shell's
 * completion adds: messages then quote input/R6/yosan.csv, never
 * input//R6/yosan.csv, and `input/` and `input` are one report ("/" stays) */
static char *folder_arg(char *s)
{
    for (size_t n = strlen(s); n > 1 && s[n - 1] == '/'; n--)
        s[n - 1] = '\0';
    return s;
}

/* gaiyo template TABLE [-o FILE] | --all DIR  [--encoding E] [--force]
 * [--templates DIR]: the empty CSV a 課 fills in (form.h). Its own
 * options, so it is dispatched before the other commands' parser. */
static int cmd_template(int argc, char **argv)
{
    const char *templates = "templates", *name = NULL, *file = NULL, *all = NULL, *encname = NULL;
    bool force = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--templates")                       ? &templates
                            : !strcmp(a, "-o") || !strcmp(a, "--output")  ? &file
                            : !strcmp(a, "--all")                           ? &all
                            : !strcmp(a, "--encoding")                      ? &encname
                                                                            : NULL;
        if (!strcmp(a, "--force")) {
            force = true;
        } else if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gaiyo: %s には値が要ります\n", a);
                return EX_USAGE;
            }
            *slot = slot == &templates || slot == &all ? folder_arg(argv[++i]) : argv[++i];
        } else if (a[0] == '-' && a[1]) {
            char *q = gy_quote(a);
            fprintf(stderr, "gaiyo: template: 未知のオプション '%s'\n", q ? q : "?");
            free(q);
            return EX_USAGE;
        } else if (!name) {
            name = a;
        } else {
            fputs("gaiyo: template: 表は 1 つだけ指定します (全表は --all DIR)\n", stderr);
            return EX_USAGE;
        }
    }
    if (!name == !all || (all && file)) {
        fputs(all ? "gaiyo: template: --all DIR は表の指定や -o と一緒には使えません\n"
                  : "gaiyo: template には表 ID (例 yosan) か --all DIR が要ります (表の一覧: gaiyo tables)\n",
              stderr);
        return EX_USAGE;
    }
    gy_enc enc = GY_ENC_UTF8;
    if (encname && (!gy_enc_parse(encname, &enc) || enc == GY_ENC_AUTO)) {
        char *q = gy_quote(encname);
        fprintf(stderr, "gaiyo: --encoding は utf-8 (BOM 付き) か cp932 です: '%s'\n", q ? q : "?");
        free(q);
        return EX_USAGE;
    }
    gy_diags d = {0};
    gy_defset defs;
    char *tdir = gy_asprintf("%s/tables", templates);
    gy_status st = tdir ? gy_defset_load(tdir, &defs, &d) : GY_ENOMEM;
    if (st != GY_OK) {
        print_failure(&d, st, tdir ? tdir : templates);
        free(tdir);
        gy_diags_free(&d);
        return EX_IO;
    }
    free(tdir);
    int rc = EX_OK;
    if (all) {
        size_t nw = 0;
        st = gy_form_write_all(&defs, all, enc, force, &nw, &d);
        if (st != GY_OK) {
            print_failure(&d, st, all);
            fputs("gaiyo: 様式は 1 つも書きませんでした\n", stderr);
            rc = st == GY_EUSAGE ? EX_USAGE : EX_IO;
        } else {
            char *q = gy_quote(all);
            printf("%zu 表の様式を %s に書きました (%s)\n", nw, q ? q : all,
                   enc == GY_ENC_CP932 ? "CP932" : "UTF-8, BOM 付き");
            free(q);
        }
        goto out;
    }
    const gy_tabledef *t = gy_form_find(&defs, name);
    if (!t) {
        /* a few likely ones (the name inside an id, a file name or a
         * title), never the whole list; every text shown safely */
        gy_buf b = {0};
        gy_buf_puts(&b, "gaiyo: template: 未知の表 '");
        gy_buf_quote(&b, name, 0);
        gy_buf_puts(&b, "'");
        int k = 0;
        for (size_t i = 0; i < defs.n && k < 5; i++) {
            const gy_tabledef *c = defs.v[i];
            if (strstr(c->id, name) || strstr(c->file, name) || strstr(c->title, name)) {
                gy_buf_puts(&b, k++ ? ", " : ": 候補は ");
                gy_buf_quote(&b, c->id, 0);
                gy_buf_puts(&b, " (");
                gy_buf_quote(&b, c->title, 0);
                gy_buf_puts(&b, ")");
            }
        }
        gy_buf_puts(&b, " (表 ID か input/R6 のファイル名で指定します。一覧: gaiyo tables)\n");
        fputs(b.p ? b.p : "gaiyo: template: 未知の表\n", stderr);
        gy_buf_free(&b);
        rc = EX_USAGE;
        goto out;
    }
    bool to_stdout = !file || !strcmp(file, "-");
    if (to_stdout && enc == GY_ENC_CP932 && isatty(STDOUT_FILENO)) {
        fputs("gaiyo: template: CP932 の様式は端末には出しません (-o FILE か > FILE で書いてください)\n", stderr);
        rc = EX_USAGE;
        goto out;
    }
    gy_buf b = {0};
    st = gy_form_csv(t, enc, &b, &d);
    if (st == GY_OK && !to_stdout)
        st = gy_form_write(file, b.p, b.n, force, &d);
    if (st != GY_OK) {
        print_failure(&d, st, to_stdout ? t->path : file);
        rc = st == GY_EUSAGE ? EX_USAGE : EX_IO;
    } else if (to_stdout && (fwrite(b.p, 1, b.n, stdout) != b.n || fflush(stdout) != 0)) {
        fputs("gaiyo: 標準出力に書けません\n", stderr);
        rc = EX_IO;
    }
    gy_buf_free(&b);
out:
    gy_defset_free(&defs);
    gy_diags_free(&d);
    return rc;
}

static const struct {
    const char *name;
    int (*fn)(const opts *);
} commands[] = {
    {"import", cmd_import}, {"verify", cmd_verify}, {"report", cmd_report},
    {"dump", cmd_dump},     {"tables", cmd_tables},
    {"explain", cmd_explain},
};

#if defined(__SANITIZE_ADDRESS__)
#define GY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GY_ASAN 1
#endif
#endif

#ifndef GY_ASAN
/* A crash still says what failed: libxlsxwriter ends the process with a
 * segmentation fault where one of its own allocations fails (its author's
 * choice), and no run may exit without a word. The message names the
 * signal and the stage; out/ is left to the journal (a commit is finished
 * or undone by the next run). Only async-signal-safe calls. */
static void put_err(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void on_fatal(int sig)
{
    char num[8];
    int k = 0, v = sig;
    char rev[8];
    do {
        rev[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < 7);
    for (int i = 0; i < k; i++)
        num[i] = rev[k - 1 - i];
    num[k] = 0;
    if (gy_progress_shown())
        put_err("\n"); /* below the progress line, which shows where it was */
    put_err("gaiyo: error: 内部エラーで止まりました (シグナル ");
    put_err(num);
    put_err("; 最後に終えた段階: ");
    put_err(gy_phase_now());
    put_err("; メモリ不足のことがあります)。報告は書き終えていません (out/ は次の実行で前回の報告か新しい報告に戻ります)\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_fatal(void)
{
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
}
#else
static void catch_fatal(void)
{
    /* the sanitizers' own handlers report a crash, with its stack */
}
#endif

int main(int argc, char **argv)
{
    opts o = {.input = "input", .templates = "templates", .out = "out"};
    catch_fatal();
#ifdef __GLIBC__
    /* Big arrays (a column, an index: megabytes each) are mapped on their
     * own and given back when freed. glibc would otherwise raise this
     * threshold after the first such free and put the next ones on the
     * heap, where a small block left above them keeps tens of megabytes
     * that nothing uses from going back (a million rows: 50 MiB). */
    mallopt(M_MMAP_THRESHOLD, 256 << 10);
#endif
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("gaiyo %s\n", GAIYO_VERSION);
        return EX_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return EX_OK;
    }
    if (!strcmp(argv[1], "template")) /* its own options: -o, --all, --encoding */
        return cmd_template(argc - 2, argv + 2);
    int (*fn)(const opts *) = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            fn = commands[i].fn;
    if (!fn) {
        fprintf(stderr, "gaiyo: 未知のコマンド '%s'\n", argv[1]);
        usage(stderr);
        return EX_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--force")) {
            o.force = true;
            continue;
        }
        const char **slot = !strcmp(a, "--input")       ? &o.input
                            : !strcmp(a, "--templates") ? &o.templates
                            : !strcmp(a, "--out")       ? &o.out
                            : !strcmp(a, "--format")    ? &o.format
                                                        : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gaiyo: %s には値が要ります\n", a);
                return EX_USAGE;
            }
            *slot = slot == &o.format ? argv[++i] : folder_arg(argv[++i]);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "gaiyo: 未知のオプション '%s'\n", a);
            return EX_USAGE;
        } else if (o.nargs < 4) {
            o.args[o.nargs++] = a;
        } else {
            fprintf(stderr, "gaiyo: 引数が多すぎます\n");
            return EX_USAGE;
        }
    }
    gy_progress_init(); /* a progress line on stderr, when it is a terminal */
    int rc = fn(&o);
    gy_progress_clear();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("gaiyo: 標準出力に書けません\n", stderr);
        return EX_IO;
    }
    return rc;
}
