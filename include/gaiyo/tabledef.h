/**
 * @file tabledef.h
 * @brief Table kinds as data: the definition files in templates/tables/.
 *
 * A definition names the table, its CSV file, its unit, its columns with
 * their types, its key columns, how rows say their role (item, 小計, 計,
 * 合計, 再掲, 参考) and nesting level, which columns the aggregate rows
 * sum, and the rules by which derived figures follow from base figures.
 * The format is documented in templates/README.md. Ownership: a
 * gy_tabledef owns every string and expression in it; a gy_defset owns
 * its definitions.
 */
#ifndef GAIYO_TABLEDEF_H
#define GAIYO_TABLEDEF_H

#include "gaiyo/diag.h"
#include "gaiyo/expr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The type of a column; every cell of the column has it. */
typedef enum gy_type {
    GY_T_TEXT = 0,  /**< free text (always a string, never a formula) */
    GY_T_AMOUNT,    /**< money in the table's unit (千円), int64 */
    GY_T_COUNT,     /**< a count (件, 人), int64 */
    GY_T_RATIO,     /**< a percentage or quotient, exact, N decimals */
    GY_T_FY,        /**< a fiscal year in 和暦 (S/H/R) */
    GY_T_ROLE,      /**< the row's role: 項目, 小計, 計, 合計, 再掲, 参考 */
    GY_T_MARKER,    /**< a list marker giving the nesting level: 1, (1), ①, ア */
    GY_T_LEVEL,     /**< an explicit nesting level 1, 2, 3 … */
    GY_T_PERIOD     /**< a period: a range of fiscal years (H18～H21) or one year */
} gy_type;

/** The role of a row. */
typedef enum gy_role {
    GY_ROLE_ITEM = 0,  /**< an ordinary row (項目; also the default) */
    GY_ROLE_SUBTOTAL,  /**< 小計: the items since the previous 小計 */
    GY_ROLE_TOTAL,     /**< 計 / 合計: all items of its group and level */
    GY_ROLE_MEMO,      /**< 再掲: repeated from elsewhere, summed only if the table says so */
    GY_ROLE_NOTE,      /**< 参考: outside the sums (e.g. 県予算額) */
    GY_ROLE_SUBTOTAL_MEMO /**< 小計(再掲含む) / 〃(再掲含む。): a 小計 that counts 再掲 rows */
} gy_role;

/** Number of roles (the size of gy_tabledef.counts). */
#define GY_NROLES 6

/** Whether a role is an aggregate row: 小計, 計, 小計(再掲含む). */
#define GY_ROLE_IS_AGGREGATE(r) \
    ((r) == GY_ROLE_SUBTOTAL || (r) == GY_ROLE_TOTAL || (r) == GY_ROLE_SUBTOTAL_MEMO)

/** Column flags. */
enum {
    GY_COL_KEY = 1 << 0,       /**< part of the row's identity */
    GY_COL_OPTIONAL = 1 << 1,  /**< the CSV may leave the column out */
    GY_COL_SUM = 1 << 2,       /**< summed by 小計/計/合計 rows and parent rows */
    GY_COL_GROUP = 1 << 3,     /**< rows are summed within groups of equal values */
    GY_COL_DERIVED = 1 << 4    /**< target of a rule: the CSV's value is a stated value */
};

/** One column. */
typedef struct gy_coldef {
    char *name;     /**< header text in the CSV */
    char *label;    /**< heading as the report prints it (defaults to name) */
    gy_type type;
    int decimals;   /**< decimals stored: ratios (default 1), countN/amountN (default 0) */
    int scale;      /**< for ratios: 100 for a percentage (default), 1 for a quotient */
    unsigned flags; /**< GY_COL_* */
    unsigned line;  /**< line in the definition file */
    unsigned sumline, sumcol; /**< where a `sum` line names it (0: not summed) */
} gy_coldef;

/** A derivation rule: target = expr, on the rows selected. */
typedef struct gy_rule {
    int target;          /**< column index */
    gy_expr *expr;
    unsigned roles;      /**< bit (1 << gy_role) for each role selected */
    char **rows;         /**< row labels selected (row:LABEL), owned */
    unsigned *rowcols;   /**< column in the definition's line of each row:LABEL */
    size_t nrows;
    unsigned rolecol;    /**< column of the first role selector (0: none written) */
    char *text;          /**< the rule as written, for messages */
    unsigned line;
} gy_rule;

/** A reconciliation with another table: this table's figure against the
 *  sum of the other table's rows with the same key (reported as info). */
typedef struct gy_recon {
    int target;          /**< column here */
    char *table;         /**< the other table's id */
    char *col;           /**< column there (checked by gy_defset_load) */
    int key;             /**< key column here */
    char *okey;          /**< key column there */
    int level;           /**< only rows of this level there (-1: all items) */
    char *explain;       /**< column there whose non-empty value says the row
                              is known to lie outside this figure (補正, 特別会計,
                              再掲 …): its amount is the explained difference;
                              NULL when not declared */
    unsigned line;
} gy_recon;

/** What a reference to another table's figure reads (relate, figure). */
typedef enum gy_relfn {
    GY_REL_CELL = 0,  /**< COL: the one row the selector matches */
    GY_REL_SUM,       /**< sum(COL): the sum over the rows matched */
    GY_REL_COUNT      /**< count(COL): how many rows matched state COL */
} gy_relfn;

/** One term of a row selector: COL=VALUE (col NULL: the label column).
 *  VALUE is compared as the column's type: a fy or period as a year
 *  (当年度 = the folder's fiscal year), a role as a role, else as text. */
typedef struct gy_selterm {
    char *col;           /**< owned; NULL for the label column */
    char *value;         /**< owned */
    unsigned colno;      /**< character column of the term (definitions) */
} gy_selterm;

/** A figure of a table named by its own columns: [TABLE.]COL[SEL…]. */
typedef struct gy_relref {
    char *table;         /**< table id, owned; NULL: the definition's own table */
    gy_relfn fn;
    char *col;           /**< owned */
    gy_selterm *sel;
    size_t nsel;
    unsigned colno;      /**< character column of the reference (definitions) */
} gy_relref;

/** relate LEFT = RIGHT SEVERITY: a figure of this table must equal a
 *  figure of another (or this) table of the same fiscal year. */
typedef struct gy_relation {
    gy_relref left, right;
    int sev;             /**< a gy_sev (0 info, 1 warning, 2 error) */
    char *text;          /**< as written, for messages */
    unsigned line;
} gy_relation;

/** figure value=… table=… rows=… column=… severity=… [unit=…]: each item
 *  row of this table is a figure stated in the report's text, which must
 *  equal the table figure its cells name. Column indexes (-1: none). */
typedef struct gy_figspec {
    int value, table, rows, col, sev, unit;
    unsigned line;
} gy_figspec;

/** One table kind. */
typedef struct gy_tabledef {
    char *path;          /**< definition file */
    char *id;            /**< short id (table …) */
    char *title;         /**< title as the report prints it */
    char *file;          /**< CSV file name inside a fiscal-year folder */
    char *unit;          /**< unit line, e.g. 千円 */
    char *asof;          /**< as-of line, e.g. 令和6年6月1日現在 (optional) */
    gy_coldef *cols;
    size_t ncols;
    int label_col;       /**< column naming a row (default: first text key) */
    int role_col;        /**< column of type role, or -1 */
    int level_col;       /**< column of type marker/level, or -1 */
    int fy_col;          /**< fiscal-year key column, or -1 */
    bool memo_in_totals; /**< whether 小計/計 count 再掲 rows */
    unsigned counts[GY_NROLES]; /**< per aggregate role: bit (1 << role) for each
                                     role of the rows it sums (`counts`); set
                                     from memo_in_totals unless written */
    int across_col;      /**< `total across COL`: a 計 row sums the rows of the
                              other groups (-1: none) */
    int across_match;    /**< `... match COL2`: only rows whose COL2 equals the
                              計 row's (-1: none) */
    int memo_of;         /**< `memo_of`: how a 再掲 row names its original:
                              -2 not declared, -1 by label (without (再掲)),
                              else the column holding the original's label */
    unsigned memo_of_line;
    gy_rule *rules;
    size_t nrules;
    gy_recon *recons;
    size_t nrecons;
    gy_relation *rels;   /**< relate directives */
    size_t nrels;
    gy_figspec *fig;     /**< figure directive, or NULL */
} gy_tabledef;

/** All table kinds of a templates folder. */
typedef struct gy_defset {
    gy_tabledef **v;
    size_t n;
} gy_defset;

/** Parse one definition file. Errors go to d as path:line:col. */
gy_status gy_tabledef_load(const char *path, gy_tabledef **out, gy_diags *d);

/** Parse definition text (path is used for messages). */
gy_status gy_tabledef_parse(const char *path, const char *text, gy_tabledef **out, gy_diags *d);

/** Free a definition. Accepts NULL and half-built definitions. */
void gy_tabledef_free(gy_tabledef *t);

/** Load every *.def in dir (sorted by name). Two definitions that claim
 *  the same id or the same file are an error. */
gy_status gy_defset_load(const char *dir, gy_defset *out, gy_diags *d);

/** Free a set. Accepts NULL. */
void gy_defset_free(gy_defset *s);

/** Parse a reference [TABLE.]COL[SEL…] (COL may be sum(COL) or
 *  count(COL)) starting at s; *end is set past it. On error returns false,
 *  sets *err and *errat (where in s). relate.c. */
bool gy_relref_parse(const char *s, const char **end, gy_relref *out, const char **err, const char **errat);

/** Parse the inside of a selector (TERM, TERM…) up to `close` (']' or
 *  '\0'); *end is set at the closing character. relate.c. */
bool gy_relsel_parse(const char *s, char close, const char **end, gy_relref *out, const char **err,
                     const char **errat);

/** Free a reference's strings. Accepts a zeroed one. relate.c. */
void gy_relref_free(gy_relref *r);

/** Parse a `relate` line's body (after the keyword) into *out. Errors go
 *  to d at path:ln and the character column (off = column of body - 1).
 *  relate.c. */
bool gy_relation_parse(const char *path, unsigned ln, unsigned off, const char *body, gy_relation *out,
                       gy_diags *d);

/** Check the relations and figure directives of every definition against
 *  the others (tables, columns, types, selector values): errors at the
 *  definition's file:line:col. relate.c. */
void gy_relate_check_defs(const gy_defset *s, gy_diags *d);

/** Find a definition by id, or NULL. */
const gy_tabledef *gy_defset_find(const gy_defset *s, const char *id);

/** Column index by name, or -1. */
int gy_tabledef_col(const gy_tabledef *t, const char *name);

/** Whether t is the kind that maps the previous year's keys onto this
 *  year's (組替): it has the columns 表, 列, 旧 and 新 (the table, the key
 *  column, the old value and the new one). */
bool gy_tabledef_is_remap(const gy_tabledef *t);

/** Role from the word a department writes ("" → item). Returns false for
 *  an unknown word. */
bool gy_role_parse(const char *s, gy_role *out);

/** The role's Japanese name (項目, 小計, 計, 再掲, 参考). */
const char *gy_role_name(gy_role r);

/** Nesting level of a list marker: "1" → 0, "(1)" → 1, "①" → 2,
 *  "ア" → 3, "(ア)" → 4, "a" → 5. Returns -1 if s is not a marker. */
int gy_marker_level(const char *s);

/** Name of a type as written in definitions. */
const char *gy_type_name(gy_type t);

/** The decimals a numeric column's values are stored with (scaled by
 *  10^decimals): ratioN/quotientN, countN/amountN; 0 otherwise. */
static inline int gy_col_decimals(const gy_coldef *c)
{
    return c->type == GY_T_RATIO || c->type == GY_T_AMOUNT || c->type == GY_T_COUNT ? c->decimals : 0;
}

/** The decimals a value of the column is shown with: a ratio's N; a
 *  countN/amountN value as the report prints it, without trailing zeros
 *  (13.5, 1, 0.5); 0 for an integer column. */
int gy_col_shown_decimals(const gy_coldef *c, int64_t v);

/** Write a value of a numeric column as the report prints it (commas,
 *  `neg` before a negative, decimals as gy_col_shown_decimals). */
void gy_col_format(const gy_coldef *c, int64_t v, const char *neg, char *buf, size_t n);

/** Whether a column keeps every cell's text: the text-like types (text,
 *  fy, marker, role, level), and the key, group and label columns of any
 *  type (their texts are compared as written). */
bool gy_col_textlike(const gy_tabledef *d, size_t col);

#endif
