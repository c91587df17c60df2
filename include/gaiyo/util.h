/**
 * @file util.h
 * @brief Small helpers shared by every stage: strings, files, UTF-8.
 */
#ifndef GAIYO_UTIL_H
#define GAIYO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/stat.h>

/** 128-bit intermediates of the exact int64 arithmetic (products and sums
 *  checked before they are narrowed). A GCC/clang extension to C11:
 *  `__extension__` keeps -Wpedantic quiet here, and only here. */
__extension__ typedef __int128 gy_i128;
__extension__ typedef unsigned __int128 gy_u128;

/** strdup that returns NULL on NULL. */
char *gy_strdup(const char *s);
/** strndup. */
char *gy_strndup(const char *s, size_t n);
/** Allocating vsprintf; NULL on failure. */
char *gy_vasprintf(const char *fmt, va_list ap);
/** Allocating sprintf; NULL on failure. */
char *gy_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The most bytes an input file (CSV) may have: 2 GiB. Rows and lines
 *  are then fewer than 2^30 (32-bit row and line numbers never wrap),
 *  and texts fit the 4 GiB of a table (table.h). */
#define GY_INPUT_MAX ((size_t)2 << 30)
/** The most bytes a template or setting file (templates/, encoding.conf)
 *  may have: 16 MiB. */
#define GY_CONF_MAX ((size_t)16 << 20)

/** Errors of gy_open_regular and gy_read_file* besides errno values
 *  (gy_file_strerror gives their text). */
#define GY_EFILE_NOTREG 0x10001  /**< not a regular file (FIFO, device, folder …) */
#define GY_EFILE_OUTSIDE 0x10002 /**< resolved (symlinks), it lies outside the folder it must be in */
#define GY_EFILE_TOOBIG 0x10003  /**< more bytes than the limit */

/** Whether path, every symlink resolved, lies inside the folder root
 *  (resolved too): 0, GY_EFILE_OUTSIDE, or an errno value (ENOENT for a
 *  dangling symlink). resolved (may be NULL) gets the resolved path on
 *  success (free it). */
int gy_path_inside(const char *path, const char *root, char **resolved);

/** Open a file for reading, only if it is a regular file of at most max
 *  bytes: a FIFO, a socket or a device is refused without being read
 *  (and without blocking). root not NULL: the file, with every symlink
 *  resolved, must lie inside the folder root (also resolved), and is
 *  opened by its resolved path. On success *fd is open and *sb its
 *  fstat. Returns 0, an errno value or a GY_EFILE_* code. */
int gy_open_regular(const char *path, const char *root, size_t max, int *fd, struct stat *sb);

/** Read all of an fd from gy_open_regular (sb: its stat), at most max
 *  bytes (a file that grows past it: GY_EFILE_TOOBIG). On success *buf is
 *  NUL-terminated and owned by the caller. Returns 0 or an error code. */
int gy_read_fd(int fd, const struct stat *sb, size_t max, char **buf, size_t *len);

/** gy_open_regular + gy_read_fd: the one way gaiyo reads a whole file. */
int gy_read_file_in(const char *path, const char *root, size_t max, char **buf, size_t *len);

/** gy_read_file_in(path, NULL, GY_INPUT_MAX, …). */
int gy_read_file(const char *path, char **buf, size_t *len);

/** The text of an error of the functions above (errno values: strerror),
 *  written into buf (thread-safe); max: the limit that was passed. */
const char *gy_file_strerror(int e, size_t max, char *buf, size_t n);

/** Decode one UTF-8 code point at s (n bytes left). Returns its length
 *  (1..4) and stores it in *cp, or 0 if the bytes are not valid UTF-8. */
int gy_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/** Encode cp as UTF-8 into out (4 bytes room). Returns the length. */
int gy_utf8_encode(uint32_t cp, char *out);
/** Offset of the first invalid UTF-8 byte, or len if all valid. */
size_t gy_utf8_invalid_at(const char *s, size_t len);
/** Display width of UTF-8 text in half-width cells (East Asian Wide and
 *  Fullwidth count 2). */
size_t gy_utf8_width(const char *s);

/** Excel's limit on the text of a cell: 32,767 characters. */
#define GY_CELL_MAX 32767
/** Length of UTF-8 text as Excel counts it (UTF-16 units: a character
 *  beyond U+FFFF counts two), for the GY_CELL_MAX check. */
size_t gy_excel_len(const char *s, size_t n);

/** Character column (1-based) of `at` within line: UTF-8 characters,
 *  not bytes, as editors count them. */
unsigned gy_char_col(const char *line, const char *at);

/** One word of a template line (definition, chart): its text without
 *  quotes, where it starts and where it ends as written. */
typedef struct gy_word {
    char *s;           /**< owned (gy_words_free) */
    unsigned col;      /**< character column, 1-based */
    size_t end;        /**< byte offset just after the word as written (quotes included) */
} gy_word;

/** gy_words: '#' at the start of a line, or a word that is '#' alone or
 *  starts with "# ", begins a comment; without this flag any word that
 *  starts with '#' does (so charts can write colours as #rrggbb). */
#define GY_WORDS_HASH_WORDS 1

/** Split a template line into words separated by spaces or tabs; "…"
 *  keeps spaces (the quotes are dropped). Stops at a comment (see
 *  GY_WORDS_HASH_WORDS). Returns the number of words; -1 when out of
 *  memory; -2 when there are more than cap words (*over, if given, is
 *  the column of the first word left out). Nothing is kept on failure. */
int gy_words(const char *line, gy_word *v, int cap, int flags, unsigned *over);

/** Free the words of gy_words. */
void gy_words_free(gy_word *v, int n);

/** Zeroed memory for a big array, like calloc (NULL on overflow or out of
 *  memory); from 2 MiB on it is aligned to and advised for transparent
 *  huge pages, which saves most page faults of a big table. free() it. */
void *gy_calloc_big(size_t n, size_t size);

/** As gy_calloc_big, without zeroing (for arrays written in full). */
void *gy_malloc_big(size_t n, size_t size);

/** Remove a file or a folder with everything in it (no symlinks followed). */
void gy_remove_tree(const char *path);

/** The files of dir whose names end in suffix (not starting with '.'),
 *  as "dir/name", sorted; *names is NULL-free on success (free each and
 *  the array). Returns 0, or an errno value (opendir failed / ENOMEM). */
int gy_dir_list(const char *dir, const char *suffix, char ***names, size_t *n);

/** Run fn(arg) on up to one thread per processor (at most 8, at most
 *  njobs), this thread included, and wait for all of them. fn takes its
 *  jobs from arg itself (e.g. an atomic counter). */
void gy_run_parallel(void *(*fn)(void *), void *arg, size_t njobs);

/** Trim ASCII and ideographic (U+3000) white space, in place; returns s. */
char *gy_trim(char *s);

/** Growable byte buffer. */
typedef struct gy_buf {
    char *p;
    size_t n, cap;
} gy_buf;
bool gy_buf_add(gy_buf *b, const void *s, size_t n);
bool gy_buf_puts(gy_buf *b, const char *s);
bool gy_buf_printf(gy_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gy_buf_free(gy_buf *b);
/** Input text as a message shows it: control characters (C0 and DEL as
 *  \xNN, C1 U+0080–U+009F and the bidi controls U+200E, U+200F,
 *  U+202A–U+202E, U+2066–U+2069 as \uNNNN), a byte that is not UTF-8 as
 *  \xNN; at most max characters (0: GY_QUOTE_MAX), cut on a character
 *  boundary and followed by "…(N 文字)", N the whole length in characters
 *  (SIZE_MAX: never cut). Appends to b; false when out of memory. */
#define GY_QUOTE_MAX 80
bool gy_buf_quote(gy_buf *b, const char *s, size_t max);
/** gy_buf_quote(s, GY_QUOTE_MAX) as a new string (NULL s: ""); NULL only
 *  when out of memory. */
char *gy_quote(const char *s);
/** Append s as one CSV field: quoted when needed, and a text a spreadsheet
 *  would run as a formula (=, +, -, @, their full-width forms ＝ ＋ － ＠,
 *  a tab or CR first, and not a plain number) gets a leading ' so that it
 *  stays text. */
void gy_buf_csv_field(gy_buf *b, const char *s);

/** Append s (NULL: "") as a JSON string: exact, and safe on a terminal
 *  (every control character gy_buf_quote makes visible, and the bidi
 *  controls, as \uNNNN; a byte that is not UTF-8 as \ufffd). */
void gy_buf_json_str(gy_buf *b, const char *s);

/** With GAIYO_TIMES set in the environment, print to stderr the time
 *  since the previous call, labelled `name` (NULL: start the clock). For
 *  make bench and profiling; single-threaded callers only. */
void gy_phase(const char *name);

/** The name of the stage last passed to gy_phase ("import", "verify",
 *  "workbook" …; "start" before the first): what a fatal-signal message
 *  names. Safe to read from a signal handler. */
const char *gy_phase_now(void);

/** Progress on a terminal (README "Progress"): one line on stderr, the
 *  stage and the rows done, redrawn in place ("\r読み込み中 R6/jigyo.csv
 *  412,000 行") at most five times a second. Off unless gy_progress_init
 *  found stderr a terminal (and TERM not "dumb"): logs, pipes and tests
 *  see nothing. Thread-safe but for gy_progress_init. */
bool gy_progress_init(void);
/** A new stage (its label: "検算中", "ブック作成中" …), drawn at once;
 *  its row count starts at 0. */
void gy_progress_stage(const char *stage);
/** n more rows done in the current stage, while working on `what` (a file
 *  path: its last two parts are shown). Callers report in batches. */
void gy_progress_rows(const char *what, size_t n);
/** Clear the line (before anything else is printed); a later stage draws
 *  again. */
void gy_progress_clear(void);
/** Whether a progress line is on the terminal (signal-safe). */
bool gy_progress_shown(void);

/** Fold a NUL-ended text into hash h, eight bytes at a time (for hash
 *  tables only: never stored, never compared across versions). Texts
 *  folded one after another stay apart ("ab","c" ≠ "a","bc"). */
uint64_t gy_hash_str(uint64_t h, const char *s);
/** The same over n bytes (NULs included). */
uint64_t gy_hash_bytes(uint64_t h, const void *s, size_t n);

#endif
