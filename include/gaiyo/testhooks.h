/**
 * @file testhooks.h
 * @brief The GAIYO_TEST_* environment hooks, read in one place.
 *
 * The test suites make a run take paths a small input never takes: a
 * smaller sheet (GAIYO_TEST_SHEET_ROWS), a lower constant-memory threshold
 * (GAIYO_TEST_STREAM_ROWS), derivations in small windows
 * (GAIYO_TEST_WINDOW_ROWS), a small staging budget (GAIYO_TEST_STAGE_BYTES),
 * a small snapshot (GAIYO_TEST_SNAPSHOT_ROWS), a kill during the commit
 * (GAIYO_TEST_KILL=before-commit|mid-commit), a warning (its text) raised
 * at line 1 of each imported file (GAIYO_TEST_IMPORT_WARNING). Only `gaiyo-test`, built from
 * the same main.c with src/testhooks.c compiled with -DGAIYO_TEST_HOOKS,
 * reads them; the shipped `gaiyo` ignores them (these functions return 0
 * and NULL there).
 */
#ifndef GAIYO_TESTHOOKS_H
#define GAIYO_TESTHOOKS_H

#include <stddef.h>

/** The number in the environment variable name (e.g.
 *  "GAIYO_TEST_SHEET_ROWS"); 0 when it is unset or empty, and always 0 in
 *  the shipped build. */
size_t gy_test_hook(const char *name);

/** The text of the environment variable name; NULL when it is unset or
 *  empty, and always NULL in the shipped build. */
const char *gy_test_hook_str(const char *name);

#endif
