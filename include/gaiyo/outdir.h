/**
 * @file outdir.h
 * @brief Writing out/ so that a failed run never leaves a half report.
 *
 * Every file of a run is first written into a staging folder inside out/
 * (out/.staging-PID/). Only when all of them were written and closed
 * without error does gy_outdir_commit() move them into out/, each by one
 * rename(2), which replaces the old file atomically. A run that fails (or
 * is killed) before the commit leaves the previous report untouched; the
 * staging folder is removed by gy_outdir_abort() or by the next run.
 * Before the first rename every staged file is synced to disk (fsync),
 * and so are the staging folders that name them, so that a power loss
 * cannot leave an empty or missing file in out/. The renames
 * are journalled: out/.commit (the staging folder and its files) is
 * written and synced, with out/, first and removed last, after the
 * folders that received files are synced; a run killed (or a machine
 * stopped) between two renames leaves it, and the next run finishes the
 * renames (making the folders they need) and syncs them before anything
 * else (roll forward), so out/ never stays a mix of two reports. Names are checked: nothing can be written outside out/.
 *
 * Before anything moves, every destination is checked (each folder on
 * the way a real folder, never a symlink, on the staging folder's file
 * system, writable; the file missing or regular), and each file to be
 * replaced is kept as a hard link in the staging folder (.staging-old/).
 * The moves open every folder with O_NOFOLLOW (openat/renameat): nothing
 * is written through a symlink inside out/ (out/ itself is followed). The
 * last file registered (the report's state) is removed before the first
 * move and moved last. A move that fails undoes the commit (the staging
 * folder marked .staging-undo first, so that the next run finishes the
 * undo after a kill): the kept files go back, new ones go. If the undo
 * fails too, the last file stays removed and gy_outdir.mixed is set.
 *
 * Test hook: GAIYO_TEST_KILL=before-commit or mid-commit makes the
 * process kill itself (SIGKILL) at that point.
 */
#ifndef GAIYO_OUTDIR_H
#define GAIYO_OUTDIR_H

#include "gaiyo/diag.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct gy_outdir {
    char *dir;       /**< the final folder (out) */
    char *stage;     /**< the staging folder */
    char **names;    /**< staged file names (relative), owned */
    size_t n;
    bool mixed;      /**< set by a gy_outdir_commit that could neither
                          finish nor undo its renames: out/ holds files of
                          two reports (and no longer the last file, the
                          state); the diagnostics name them */
} gy_outdir;

/** Finish a commit that was killed between two renames (out/.commit
 *  left): roll it forward. Called by gy_outdir_open; call it before
 *  reading out/ to decide anything. */
void gy_outdir_recover(const char *dir);

/** Create the staging folder (and out/ if missing). Removes stale staging
 *  folders of earlier killed runs. */
gy_status gy_outdir_open(gy_outdir *o, const char *dir, gy_diags *d);

/** Open a staged file for writing. name is relative ("charts/a.png" is
 *  allowed; "..", absolute paths and empty parts are refused). */
FILE *gy_outdir_fopen(gy_outdir *o, const char *name, gy_diags *d);

/** Path of a staged file (for libraries that write by name), or NULL if
 *  the name is refused. The file is registered for the commit. Owned by
 *  the caller. */
char *gy_outdir_path(gy_outdir *o, const char *name, gy_diags *d);

/** Close a staged file, checking for write errors (full disk). */
gy_status gy_outdir_fclose(gy_outdir *o, FILE *fp, const char *name, gy_diags *d);

/** Move every staged file into place and remove the staging folder. */
gy_status gy_outdir_commit(gy_outdir *o, gy_diags *d);

/** Remove the staging folder and everything in it; out/ is unchanged. */
void gy_outdir_abort(gy_outdir *o);

#endif
