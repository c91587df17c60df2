/**
 * @file xlsx.h
 * @brief The Excel workbook in the report's layout (libxlsxwriter).
 *
 * One sheet per table of the report year, laid out by templates/sheets
 * (layout.h; a table without a layout gets a plain one: its column labels
 * as the header), a 検証結果 sheet with every finding linked to its cell,
 * and a cover/contents sheet first. Derived figures (sums, rules) are
 * written as formulas with their cached values, computed here from the
 * sheet's own figures exactly as Excel or LibreOffice recalculates them
 * (ratios with ROUND, half away from zero, as the aggregation rounds). A
 * stated figure that disagrees with its recomputation is shown recomputed
 * and marked with a fill and a comment holding the stated value.
 */
#ifndef GAIYO_XLSX_H
#define GAIYO_XLSX_H

#include "gaiyo/dataset.h"
#include "gaiyo/layout.h"
#include "gaiyo/verify.h"

/** A picture placed next to a table (a chart PNG). */
typedef struct gy_xlsx_image {
    const char *table;      /**< table id */
    const char *path;       /**< PNG file */
    int width, height;      /**< its size in pixels, when it is not drawn yet
                                 (0: read from the file) */
} gy_xlsx_image;

typedef struct gy_xlsx_opts {
    const gy_layouts *layouts;
    const gy_findings *findings;
    const gy_xlsx_image *images;
    size_t nimages;
    /** when set, `images` are the charts to come (laid out with their
     *  tables from their width and height) and this says which of them
     *  were drawn: called once, after every cell is written and before the
     *  first image is inserted (the report lets gnuplot draw meanwhile and
     *  waits for it here); returns those images (same paths) and sets *n
     *  (NULL, 0: none) */
    const gy_xlsx_image *(*await_images)(void *ctx, size_t *n);
    void *await_ctx;
    long long created;      /**< document creation time (seconds since the epoch) */
    const char *inputs;     /**< input files, one per line, for the document properties */
    size_t stream_rows;     /**< a table with more rows switches the workbook to
                                 libxlsxwriter's constant-memory mode (0 = 100,000) */
    size_t max_rows;        /**< rows of a sheet (0 = Excel's 1,048,576; tests use less) */
    size_t window_rows;     /**< rows whose derivations are made at a time, at least (whole
                                 groups; 0 = 8,192; tests use less) */
    gy_diags *warnings;     /**< where warnings go (GY_DIAG_WARNING: rows a pivot layout has no column for), or NULL */
    const gy_derivs *derivs; /**< verify's derivations (gy_verify_tables): a table whose derivations
                                  are here is written from them, each figure derived once; the
                                  others (too big to keep) are derived window by window */
} gy_xlsx_opts;

/** Largest number of body rows on one sheet (Excel's 1,048,576 rows, less
 *  the title and header rows); a longer table continues on numbered sheets. */
#define GY_XLSX_MAX_ROWS 1048576

/** Write the workbook of the latest fiscal year in ds to path. */
gy_status gy_xlsx_write(const gy_dataset *ds, const char *path, const gy_xlsx_opts *o, gy_diags *d);

#endif
