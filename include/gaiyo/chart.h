/**
 * @file chart.h
 * @brief Charts drawn by gnuplot from the typed tables, driven by the
 *        templates in templates/charts/NAME.chart.
 *
 * A chart template says what to draw (type, table, columns, rows), and how
 * it looks (title, axis labels, colours, size); the format is documented in
 * templates/README.md. gy_charts_render() writes, into DIR/charts/, one
 * tab-separated data file per chart (NAME.dat) with every figure plotted,
 * one gnuplot script for all charts (charts.gp), and runs one gnuplot
 * process for all of them, which writes NAME.png (pngcairo) and the print
 * file NAME.svg (svg; `print pdf` in the template: NAME.pdf, pdfcairo).
 *
 * Figures: base figures are the typed table cells; derived figures (構成比,
 * 合格率, 対前年比, running totals) are recomputed with gy_ratio() in integer
 * arithmetic, rounded half up to the template's decimals — never doubles.
 *
 * Safety: no text from the input (課名, 業種, 制度名 …) is ever written into
 * the script; it reaches gnuplot only as a data-file field, escaped with
 * gy_gp_escape() so that every ASCII byte other than a letter, a digit or
 * one of . , ( ) / : _ + is an octal escape: gnuplot sees no quote, tab, newline, backquote, `#`, `@`
 * or `\` it could act on. Template text that goes into the script (titles,
 * axis labels, the font) is escaped the same way inside double quotes, so
 * a backquote in a template cannot run a command either.
 *
 * Ownership: a gy_chartset owns its templates and borrows the definitions
 * it was loaded against (they must outlive it). gy_chart_outs owns its
 * strings.
 */
#ifndef GAIYO_CHART_H
#define GAIYO_CHART_H

#include "gaiyo/diag.h"
#include "gaiyo/dataset.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"

#include <stdbool.h>
#include <stddef.h>

/** Loaded chart templates. */
typedef struct gy_chartset gy_chartset;

/** Load every *.chart of dir (sorted by name) against the table
 *  definitions. Every template error is reported as file:line[:col];
 *  unknown table or column names are errors. A folder without templates
 *  gives an empty set. On error *out is NULL. */
gy_status gy_chartset_load(const char *dir, const gy_defset *defs, gy_chartset **out,
                           gy_diags *d);

/** Parse one template text (path and name are used for messages and
 *  output names) and add it to *cs (created when NULL). */
gy_status gy_chartset_parse(gy_chartset **cs, const char *path, const char *name,
                            const char *text, const gy_defset *defs, gy_diags *d);

/** Free a set. Accepts NULL. */
void gy_chartset_free(gy_chartset *cs);

/** Number of charts in a set. */
size_t gy_chartset_count(const gy_chartset *cs);

/** Name of chart i (the template file name without .chart). */
const char *gy_chartset_name(const gy_chartset *cs, size_t i);

/** One chart written. Paths are relative to the render folder. */
typedef struct gy_chart_out {
    char *name;    /**< chart name (template file name without .chart) */
    char *table;   /**< id of the table it draws */
    char *png;     /**< "charts/NAME.png" */
    char *print;   /**< "charts/NAME.svg" (or NAME.pdf with `print pdf`) */
    int width, height; /**< PNG size in pixels */
    char *title;   /**< the chart's title (from the template) */
    bool redraw;   /**< drawn without its font: not to be taken over by the next run */
} gy_chart_out;

/** What a render wrote. */
typedef struct gy_chart_outs {
    gy_chart_out *v;   /**< charts drawn (empty when gnuplot failed) */
    size_t n;
    char **files;      /**< every file written, relative to dir (data files,
                            script, images): register them for the commit */
    size_t nfiles;
    size_t nreused;    /**< charts taken over from the previous report */
} gy_chart_outs;

/** Free the lists (the struct itself is the caller's). Accepts NULL. */
void gy_chart_outs_free(gy_chart_outs *o);

/** Write dir/charts/NAME.png and NAME.pdf for every chart of cs, with
 *  their data files and the script (dir must exist; charts/ is created).
 *  gnuplot NULL means "gnuplot" found on PATH. One gnuplot process draws
 *  every chart (run without a shell, cwd dir/charts, stdin /dev/null,
 *  started with --default-settings). If gnuplot is missing or fails, a
 *  diagnostic says so (with gnuplot's own messages) and GY_EIO is
 *  returned; outs still lists the files written. A chart whose table is
 *  not in ds is skipped with a diagnostic (GY_EDATA). Every diagnostic
 *  added to d is a warning (GY_DIAG_WARNING): a report is still written
 *  without the charts that could not be drawn. */
gy_status gy_charts_render(const gy_chartset *cs, const gy_dataset *ds, const char *dir,
                           const char *gnuplot, gy_chart_outs *outs, gy_diags *d);

/** gy_charts_render, redrawing only what changed: a chart whose data file
 *  and script section are byte-identical to those of the previous report
 *  in prev/charts (and whose PNG and PDF are there, and listed as files of
 *  that report in prev/.gaiyo-state: drawn, with their font) is copied
 *  from it, not drawn again. gnuplot runs (once) only if some chart changed. prev may
 *  be NULL (draw everything). */
gy_status gy_charts_render_since(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                                 const char *gnuplot, gy_chart_outs *outs, gy_diags *d);

/** gy_charts_render_since in two halves, so that the caller can work
 *  while gnuplot draws: gy_charts_start writes the data files and the
 *  script and starts the one gnuplot process (without waiting for it);
 *  gy_charts_finish waits for it and fills outs as gy_charts_render_since
 *  does. Every job started (*job non-NULL, whatever the status) must be
 *  finished exactly once; the status of gy_charts_finish is the render's.
 *  The chart set and dir must outlive the job. */
typedef struct gy_chart_job gy_chart_job;
gy_status gy_charts_start(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                          const char *gnuplot, gy_chart_job **job, gy_diags *d);
gy_status gy_charts_finish(gy_chart_job *job, gy_chart_outs *outs, gy_diags *d);

/** The charts a started job draws (or takes over from the previous
 *  report), with the template's size: what gy_charts_finish lists when
 *  gnuplot succeeds. *n of them; name, table and png (charts/NAME.png)
 *  only; owned by the job, valid until gy_charts_finish. */
const gy_chart_out *gy_chart_job_plan(const gy_chart_job *job, size_t *n);

/** Escape text for a gnuplot data field or a double-quoted script string:
 *  letters, digits, . , ( ) / : _ + and non-ASCII UTF-8 stay (none of them
 *  means anything to gnuplot there); every other byte becomes a
 *  four-digit octal escape (\0042 for "). Invalid UTF-8 becomes U+FFFD.
 *  Appends to b; false on out-of-memory. */
bool gy_gp_escape(gy_buf *b, const char *s);

/** Undo gy_gp_escape (as gnuplot does when it reads the field); owned
 *  result, NULL on out-of-memory. */
char *gy_gp_unescape(const char *s);

#endif
