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

/** strdup that returns NULL on NULL. */
char *gy_strdup(const char *s);
/** strndup. */
char *gy_strndup(const char *s, size_t n);
/** Allocating vsprintf; NULL on failure. */
char *gy_vasprintf(const char *fmt, va_list ap);
/** Allocating sprintf; NULL on failure. */
char *gy_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Read a whole file. On success *buf is NUL-terminated and owned by the
 *  caller. Returns 0, or errno. */
int gy_read_file(const char *path, char **buf, size_t *len);

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
/** Append s as one CSV field: quoted when needed, and a text a spreadsheet
 *  would run as a formula (=, +, -, @ … that is not a plain number) gets a
 *  leading ' so that it stays text. */
void gy_buf_csv_field(gy_buf *b, const char *s);

/** With GAIYO_TIMES set in the environment, print to stderr the time
 *  since the previous call, labelled `name` (NULL: start the clock). For
 *  make bench and profiling; single-threaded callers only. */
void gy_phase(const char *name);

/** Fold a NUL-ended text into hash h, eight bytes at a time (for hash
 *  tables only: never stored, never compared across versions). Texts
 *  folded one after another stay apart ("ab","c" ≠ "a","bc"). */
uint64_t gy_hash_str(uint64_t h, const char *s);
/** The same over n bytes (NULs included). */
uint64_t gy_hash_bytes(uint64_t h, const void *s, size_t n);

#endif
