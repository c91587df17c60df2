/**
 * @file diag.h
 * @brief Diagnostics: one record per problem, printed compiler-style.
 *
 * Every stage reports problems in people's terms as a gy_diag with a
 * severity (error, warning, note), printed by gy_diag_format alone as
 * `gaiyo: file:line:column: error|warning|note: message` (README "Error
 * format"). Column is the CSV column number (1 = column A in Excel) for
 * data files, and the character column for definition files. Ownership: a
 * gy_diags list owns its records and strings.
 */
#ifndef GAIYO_DIAG_H
#define GAIYO_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** Status codes returned by every fallible library call. */
typedef enum gy_status {
    GY_OK = 0,      /**< success */
    GY_EDATA = 1,   /**< the input data is wrong (diagnostics say where) */
    GY_EUSAGE = 2,  /**< wrong use of a command */
    GY_EIO = 3,     /**< a file could not be read or written */
    GY_ENOMEM = 4,  /**< out of memory */
    GY_EDEF = 5     /**< a definition or template file is wrong */
} gy_status;

/** How bad a diagnostic is; the keyword printed after the position. */
typedef enum gy_diag_sev {
    GY_DIAG_ERROR = 0, /**< `error:` the run fails (gy_diag_add) */
    GY_DIAG_WARNING,   /**< `warning:` the run goes on (gy_diag_warn) */
    GY_DIAG_NOTE       /**< `note:` more about the line before (gy_diag_note) */
} gy_diag_sev;

/** One diagnostic: where, how bad and what. */
typedef struct gy_diag {
    char *file;      /**< path as given, owned; "" when no file is meant */
    unsigned line;   /**< 1-based line, 0 when the whole file is meant */
    unsigned col;    /**< 1-based column, 0 when the whole line is meant */
    char *msg;       /**< message (UTF-8), owned */
    gy_diag_sev sev; /**< GY_DIAG_ERROR unless added as a warning or note */
} gy_diag;

struct gy_buf;

/** A list of diagnostics with a cap on how many are kept. */
typedef struct gy_diags {
    gy_diag *v;
    size_t n, cap;
    size_t limit;    /**< keep at most this many (GY_DIAG_LIMIT when 0); more are counted */
    size_t dropped;  /**< how many were not kept */
    size_t dropped_warnings, dropped_notes; /**< of them, the warnings and the notes
                                                 (the rest are errors) */
} gy_diags;

/** How many diagnostics a list keeps when its limit is 0. */
#define GY_DIAG_LIMIT 50

/** Longest message kept, in characters (longer ones are cut, "…(N 文字)"). */
#define GY_DIAG_MAX 1000

/** Append a diagnostic (printf-style message). Never fails loudly: on
 *  out-of-memory the diagnostic is counted as dropped. The message is
 *  made safe as a whole (gy_buf_quote: control characters visible, at most
 *  GY_DIAG_MAX characters); a caller quoting input text uses gy_quote. */
void gy_diag_add(gy_diags *d, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** gy_diag_add with severity GY_DIAG_WARNING. */
void gy_diag_warn(gy_diags *d, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** gy_diag_add with severity GY_DIAG_NOTE. */
void gy_diag_note(gy_diags *d, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Move every diagnostic of `from` to the end of `to`, each with the
 *  severity it was raised with, and add to `to`'s counts of dropped
 *  diagnostics those of `from`, per severity. `to`'s limit applies: a
 *  diagnostic beyond it is counted as dropped, with its severity. `from`
 *  is left empty (its limit kept). Never fails loudly: a record with no
 *  room is counted as dropped. */
void gy_diags_take(gy_diags *to, gy_diags *from);

/** The keyword of a severity: "error", "warning" or "note". */
const char *gy_diag_sevname(gy_diag_sev s);

/** Append one diagnostic as a line to b, the one format every diagnostic
 *  is printed in: `gaiyo: FILE:LINE:COL: SEV: MSG`, `gaiyo: FILE:LINE: SEV:
 *  MSG` (col 0), `gaiyo: FILE: SEV: MSG` (line 0), `gaiyo: SEV: MSG` (no
 *  file). g->msg is printed as it is (gy_diag_add made it safe). False on
 *  out of memory. */
bool gy_diag_format(struct gy_buf *b, const gy_diag *g);

/** Print one diagnostic (gy_diag_format) to fp. */
void gy_diag_print(const gy_diag *g, FILE *fp);

/** Append to b how many diagnostics d did not keep, a line per severity:
 *  `gaiyo: (ほかに N 件のエラーを省略)`, `… 件の警告を省略)`, `… 件の注記を省略)`;
 *  nothing when none was dropped. False on out of memory. */
bool gy_diags_format_dropped(struct gy_buf *b, const gy_diags *d);

/** Print every diagnostic (gy_diag_print), then how many were dropped
 *  (gy_diags_format_dropped). */
void gy_diags_print(const gy_diags *d, FILE *fp);

/** Free all records; the list can be reused. Accepts NULL. */
void gy_diags_free(gy_diags *d);

/** Text for a status code. */
const char *gy_strerror(gy_status s);

#endif
