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
 * Sources: src/import.c (header, typed cells, input folder, the year
 * reader), src/csvread.c (the CSV reader), src/encoding.c (encodings);
 * gy_dataset is in dataset.h, the table type in table.h (src/table.c).
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
 *  so that a misspelt file name is never silently ignored. Every year
 *  folder at once: gy_years_open (stage 0), every year pulled, closed. */
gy_status gy_dataset_load(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d);

/** A year reader: an input folder read as gy_dataset_load reads it, one
 *  year folder at a time, oldest first, as its caller pulls them
 *  (gy_years_next). The reader calls nothing back: between two years the
 *  caller (the report's driver, report.h) does what it must with the
 *  tables of the year just read (check them, cut them down: retain.h)
 *  before it pulls the next. */
typedef struct gy_years gy_years;

/** One year folder pulled from a year reader: its tables are
 *  out->v[first .. out->n); last: the latest folder. */
typedef struct gy_year {
    size_t first;
    bool last;
} gy_year;

/** Open a year reader on the input folder dir, filling out (emptied
 *  here): the year folders are listed and checked, and each one's files
 *  planned. When a folder before the last holds a file of `stage` bytes
 *  or more (0: never) whose definition has a file in a later folder, each
 *  folder's files are read only when gy_years_next pulls it (staged);
 *  otherwise every file is read here at once, one per processor. Tables,
 *  diagnostics and status are the same either way. Fails (GY_EIO when dir
 *  cannot be opened, GY_ENOMEM) with *yr NULL; any other failure of the
 *  input is said by gy_years_close. */
gy_status gy_years_open(const char *dir, const gy_defset *defs, size_t stage, gy_dataset *out, gy_diags *d,
                        gy_years **yr);

/** Pull the next year folder: its tables appended to out (y says where).
 *  false when none is left, and once anything read so far failed (the
 *  folders after it are then read for their diagnostics only). */
bool gy_years_next(gy_years *yr, gy_year *y);

/** Close a year reader: the folders not pulled are read (only for their
 *  diagnostics when anything failed). st: the caller's own status of its
 *  steps between the years (GY_OK: none failed). Returns the load's
 *  status: the input's first failure, else st. On failure out is freed.
 *  Frees yr; accepts NULL (then returns st). */
gy_status gy_years_close(gy_years *yr, gy_status st);

#endif
