/**
 * @file form.h
 * @brief The empty CSV of a table kind (`gaiyo template`): what a 課
 * fills in and submits.
 *
 * A form is the header line the importer expects for the definition —
 * every column's name, in the definition's order (optional columns
 * included), nothing else: the importer reads every other line as data,
 * so a form carries no comment or example row. UTF-8 with a BOM (so that
 * Excel on Japanese Windows opens it right), or CP932 (what that Excel
 * saves as "CSV"); lines end in CRLF. Ownership: the caller owns the
 * buffers it passes.
 */
#ifndef GAIYO_FORM_H
#define GAIYO_FORM_H

#include "gaiyo/diag.h"
#include "gaiyo/import.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/util.h"

#include <stdbool.h>

/** The definition a user's name for a table means: its id (`yosan`), its
 *  CSV file name (`yosan.csv`, `組替.csv`) or that name without `.csv`;
 *  ASCII letters in any case. NULL when none. */
const gy_tabledef *gy_form_find(const gy_defset *s, const char *name);

/** Append the form of def to out in enc (GY_ENC_UTF8: with a BOM;
 *  GY_ENC_CP932). A column name a spreadsheet would run as a formula, or
 *  one CP932 cannot write, is an error at the definition's line (GY_EDEF):
 *  the importer matches names exactly, so neither can be neutralised. */
gy_status gy_form_csv(const gy_tabledef *def, gy_enc enc, gy_buf *out, gy_diags *d);

/** Write the bytes (n) as the file `path`. A file already there is an
 *  error unless force (then it is replaced as a whole by a rename, never
 *  written through: a symlink or a non-regular file in the way is an
 *  error even then). Errors name the path (GY_EIO). */
gy_status gy_form_write(const char *path, const char *bytes, size_t n, bool force, gy_diags *d);

/** Write the form of every definition into the folder dir (made when
 *  missing; its parent must exist), named by each definition's file. All
 *  forms are made and every file checked before the first is written:
 *  any file already there (without force) or any error, and nothing is
 *  written. Nothing is written outside dir: a file name with a '/', a
 *  '\\' or a leading '.' is refused. *nwritten: how many files. */
gy_status gy_form_write_all(const gy_defset *s, const char *dir, gy_enc enc, bool force, size_t *nwritten,
                            gy_diags *d);

#endif
