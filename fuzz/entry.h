/**
 * @file entry.h
 * @brief The fuzz targets' entry points, shared by the libFuzzer binaries
 *        (fuzz/target.c) and the regression test (tests/unit/test_fuzz.c).
 *
 * Each entry takes raw bytes, drives one parser the way the program does,
 * checks the invariants a caller relies on (abort() when one breaks, so
 * that libFuzzer reports it), and, when `out` is not NULL, appends a
 * transcript of the outcome (status, diagnostics with file:line:col,
 * values) that the regression test compares with a golden file.
 *
 * Input formats (documented in README.md, "Fuzzing"):
 *  - import:   byte 0 picks the table definition, byte 1 the encoding
 *              (auto, utf-8, cp932), the rest is the CSV file's bytes.
 *  - value:    byte 0 sets the ratio decimals (bits 0-2) and the rounding
 *              (bit 3); the rest is a cell's text, parsed as an amount, a
 *              ratio, a 和暦, a marker and a role; "a|b|c" also feeds
 *              gy_ratio(a, b, c); the first 25 bytes, read as three int64
 *              and a decimals byte, feed gy_ratio with raw operands.
 *  - tabledef: a definition file; after a form feed (\f), CSV text that is
 *              imported under the definition when it parses.
 *  - sheet:    a workbook layout (templates/sheets/NAME.sheet), checked
 *              against templates/tables.
 *  - chart:    a chart template (templates/charts/NAME.chart).
 *  - changes:  two snapshots (out/snapshot.tsv) separated by a form feed;
 *              what changed between them, and nothing against itself.
 */
#ifndef GAIYO_FUZZ_ENTRY_H
#define GAIYO_FUZZ_ENTRY_H

#include "gaiyo/util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Load the table definitions the import target uses (templates/tables).
 *  Returns 0, or -1 after printing the diagnostics to stderr. */
int gy_fuzz_init(const char *tables_dir);

/** Print the import target's table selection, one "BYTE0<TAB>id<TAB>file"
 *  line each (scripts/fuzz-seeds.py turns CSV files into seeds with it). */
void gy_fuzz_list(FILE *fp);

/** Free what gy_fuzz_init loaded. */
void gy_fuzz_fini(void);

/** One fuzz target: an entry point and its name (the folder of its seeds
 *  and regression files). Add a target here and in fuzz/meson.build. */
typedef void (*gy_fuzz_fn)(const uint8_t *data, size_t size, gy_buf *out);

void gy_fuzz_import(const uint8_t *data, size_t size, gy_buf *out);
void gy_fuzz_value(const uint8_t *data, size_t size, gy_buf *out);
void gy_fuzz_tabledef(const uint8_t *data, size_t size, gy_buf *out);
void gy_fuzz_sheet(const uint8_t *data, size_t size, gy_buf *out);
void gy_fuzz_chart(const uint8_t *data, size_t size, gy_buf *out);
void gy_fuzz_changes(const uint8_t *data, size_t size, gy_buf *out);

/** The targets by name ("import", "value", "tabledef"), or NULL. */
gy_fuzz_fn gy_fuzz_find(const char *name);

#endif
