/**
 * @file import.h
 * @brief Read departmental CSV files (libcsv) into typed tables.
 *
 * Encodings: UTF-8 with or without BOM, and CP932 (what Excel on Japanese
 * Windows writes as "Shift_JIS"). A file that is not valid UTF-8 but
 * decodes as CP932 is CP932; a person can override the guess per file in
 * the folder's `encoding.conf`. Nothing that is not valid UTF-8 leaves
 * the importer. Ownership: the caller owns the tables returned.
 *
 * Sources: src/import.c (header, typed cells, input folder), src/csvread.c
 * (the CSV reader), src/encoding.c (encodings); gy_dataset is in
 * dataset.h, the table type in table.h (src/table.c).
 */
#ifndef GAIYO_IMPORT_H
#define GAIYO_IMPORT_H

#include "gaiyo/dataset.h" /* gy_dataset, for the callers that include only import.h */
#include "gaiyo/diag.h"
#include "gaiyo/table.h"

/** Encoding of an input file. */
typedef enum gy_enc { GY_ENC_AUTO = 0, GY_ENC_UTF8, GY_ENC_CP932 } gy_enc;

/** Parse an encoding name (utf-8, utf8, cp932, shift_jis, sjis,
 *  windows-31j). */
bool gy_enc_parse(const char *s, gy_enc *out);

/** Convert raw file bytes to UTF-8 (BOM removed). On success *out is
 *  owned by the caller and *used names the encoding. On failure a
 *  diagnostic names the first undecodable byte (or NUL) by the line where
 *  its CSV field starts and the field's CSV column (README "Error
 *  format"). */
gy_status gy_decode(const char *path, const char *raw, size_t len, gy_enc enc, char **out,
                    size_t *outlen, const char **used, gy_diags *d);

/** Import CSV text (already UTF-8) under a definition. Structural errors
 *  stop at once; value errors are collected (up to the diag limit). On
 *  any error no table is returned. */
gy_status gy_import_text(const gy_tabledef *def, const char *path, const char *text, size_t len,
                         gy_table **out, gy_diags *d);

/** Whether gy_import_text splits well-formed lines itself (true, the
 *  default) or hands every line to libcsv (false). Both give the same
 *  tables and diagnostics; the tests and the fuzz target compare them. */
extern bool gy_import_fastpath;

/** The most bytes of text one table may keep (gy_table.tx): UINT32_MAX,
 *  so that every text has a 32-bit offset. A file whose texts need more
 *  is an import error (a diagnostic at the cell that does not fit). Only
 *  the tests lower it. */
extern size_t gy_import_textmax;

/** Read a file (any supported encoding) and import it. */
gy_status gy_import_file(const gy_tabledef *def, const char *path, gy_enc enc, gy_table **out,
                         gy_diags *d);

/** gy_import_file, reading only a regular file of at most GY_INPUT_MAX
 *  bytes (util.h: gy_open_regular) that, when root is not NULL, lies
 *  inside the folder root once symlinks are resolved. */
gy_status gy_import_file_in(const gy_tabledef *def, const char *path, const char *root, gy_enc enc,
                            gy_table **out, gy_diags *d);

/** Read an input folder laid out as DIR/<年度>/<file>.csv (e.g.
 *  input/R6/yosan.csv). A CSV that no definition claims is an error,
 *  so that a misspelt file name is never silently ignored. */
gy_status gy_dataset_load(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d);

/** Called by gy_dataset_load_years once the tables of a year folder are in
 *  ds (ds->v[first .. ds->n)), folder after folder in year order; last:
 *  the latest folder. Not called once anything failed. A status other
 *  than GY_OK fails the load with that status. */
typedef gy_status (*gy_year_fn)(gy_dataset *ds, size_t first, bool last, void *arg);

/** One reason a table that a later year supersedes keeps some of itself
 *  (gy_retention): who reads it and what. */
typedef struct gy_keep_need {
    int by;          /**< the definition (index in the defset) whose table of the same year
                          reads it; GY_KEEP_ALWAYS: needed whatever else that year holds;
                          GY_KEEP_ANY: any other table of that year */
    bool *cols;      /**< the columns read (the definition's ncols entries), or NULL: the whole table */
    const char *why; /**< for people */
} gy_keep_need;

#define GY_KEEP_ALWAYS (-1)
#define GY_KEEP_ANY (-2)

/** Everything one definition's table needs to keep once a later year supersedes it. */
typedef struct gy_keep_plan {
    gy_keep_need *v;
    size_t n;
} gy_keep_plan;

/** How much of the input a load holds in memory, decided before the load
 *  (gy_retention_make, retain.h): a table of an earlier year with more
 *  than max_rows rows whose definition has a file in a later year folder
 *  is cut down, once its year is read, to the columns that the needs of
 *  its plan whose reader that year holds name (gy_table_keep), kept whole
 *  when one of them asks for the whole table, let go when none applies
 *  (gy_table_release). With a file of `big` bytes or more in such a year
 *  the folders are read one after another, each after the one before was
 *  cut. */
typedef struct gy_retention {
    size_t big;                /**< staged reading from files of this size (0: never) */
    size_t max_rows;           /**< tables of more rows are cut */
    const gy_keep_plan *plan;  /**< one per definition of the defset (NULL: nothing is cut) */
    size_t nplan;              /**< entries of plan */
    gy_year_fn seen;           /**< run on each year's tables before they are cut (the
                                    report checks a big table whole there), or NULL */
    void *arg;                 /**< for seen */
} gy_retention;

/** gy_dataset_load under a retention policy (NULL: everything kept, every
 *  file read at once). When a folder before the last holds a file of
 *  keep->big bytes or more whose definition has a file in a later folder,
 *  the folders are read one after another, each after the one before was
 *  seen and cut; otherwise every file is read at once, one per processor,
 *  and each year is seen and cut afterwards. Tables, diagnostics and
 *  status are the same either way. */
gy_status gy_dataset_load_years(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d,
                                const gy_retention *keep);

#endif
