/**
 * @file tmpl.h
 * @brief The one reader of every template format: .def, .chart, .sheet and
 *        workbook.conf.
 *
 * The reader does what the formats share, once: a UTF-8 BOM at the start
 * is skipped; lines end in LF or CRLF; the text must be UTF-8 without NUL
 * (else one error at the line and character column of the first bad byte,
 * and nothing of the file is read); comments; words separated by spaces
 * or tabs ("…" keeping spaces inside a word, in the formats that quote);
 * the rest of the line after the directive as written; the line number and the
 * character column of every word. A format is then a table of directives
 * (name, number of words it takes, handler): the reader looks the first
 * word of a line up in it and calls the handler, or says that the word is
 * not a directive of the format, listing those that are.
 */
#ifndef GAIYO_TMPL_H
#define GAIYO_TMPL_H

#include "gaiyo/diag.h"
#include "gaiyo/util.h"

/** Where a comment starts: each format keeps what it accepted before. */
typedef enum gy_tmpl_comment {
    GY_TMPL_HASH_ANY,   /**< .def: any word that starts with '#' */
    GY_TMPL_HASH_SPACE, /**< .chart: '#' at the start of a line, a word '#' alone or
                             starting "# " (so that #4472c4 is a colour) */
    GY_TMPL_HASH_LINE,  /**< .sheet, workbook.conf: only a line whose first non-blank
                             character is '#' (a '#' in a value is text) */
} gy_tmpl_comment;

/** One directive line as the handler sees it. */
typedef struct gy_tmpl_line {
    const char *path;
    unsigned ln;          /**< 1-based line */
    const char *text;     /**< the whole line: no line end, no BOM */
    gy_word *w;           /**< the words (w[0] the directive); handlers may edit w[i].s */
    int n;                /**< number of words, at least 1 */
    const char *rest;     /**< the text after the directive word, trimmed at both ends
                               (spaces, tabs, full-width spaces), quotes and any '#'
                               kept as written */
    unsigned rest_col;    /**< character column of rest (the end of the line if empty) */
    int id;               /**< the id of the directive's table entry */
    gy_diags *d;
} gy_tmpl_line;

/** A handler: records its errors with gy_diag_add (at l->ln and a column
 *  of the line) and returns GY_OK; GY_ENOMEM stops the reading. */
typedef gy_status (*gy_tmpl_fn)(void *ctx, const gy_tmpl_line *l);

typedef struct gy_tmpl_directive {
    const char *name;
    int min, max;         /**< words after the name: at least min, at most max (-1: any);
                               checked before the handler is called */
    gy_tmpl_fn fn;
    int id;               /**< passed in gy_tmpl_line.id */
} gy_tmpl_directive;

typedef struct gy_tmpl_format {
    const char *what;           /**< the kind of file in messages: 定義ファイル, 様式 … */
    gy_tmpl_comment comment;
    bool quotes;                /**< "…" makes one word (quotes dropped); else a quote is text */
    int maxwords;               /**< words on a line at most (0: no limit) */
    const char *unknown;        /**< message for an unknown first word: two %s, the word
                                     and the list of directives of the table */
    const gy_tmpl_directive *dirs;
    size_t ndirs;
} gy_tmpl_format;

/** Read a template: text of len bytes (it may hold NUL bytes, which are an
 *  error). Returns GY_OK when every line was read (the handlers' own
 *  errors are in d: the caller compares d's count), GY_EDEF when the text
 *  itself is not a template (not UTF-8, NUL), GY_ENOMEM. */
gy_status gy_tmpl_read(const char *path, const char *text, size_t len, const gy_tmpl_format *f, void *ctx,
                       gy_diags *d);

#endif
