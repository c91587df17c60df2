/**
 * @file expr.h
 * @brief A rule's expression: one representation, parsed once, evaluated
 *        exactly, and written as an Excel formula with its cached value.
 *
 * Every consumer goes through this module: the definition reader parses
 * (gy_expr_parse), verify evaluates (gy_expr_eval), the workbook writes
 * the formula (gy_expr_formula) and the charts compute shares
 * (gy_expr_share). The operators live here only; a consumer supplies the
 * leaves (a column of a row, a group's total()) through callbacks.
 *
 * Values are exact rationals (int64 numerator and denominator, 128-bit
 * intermediates, every step checked for overflow), never binary doubles.
 */
#ifndef GAIYO_EXPR_H
#define GAIYO_EXPR_H

#include "gaiyo/diag.h"

#include <stdbool.h>
#include <stdint.h>

struct gy_tabledef;

/** Expression node kinds in a rule. */
typedef enum gy_xop {
    GY_X_REF = 0,  /**< a column, in this row or another */
    GY_X_ADD,      /**< a + b */
    GY_X_SUB,      /**< a - b */
    GY_X_PCT,      /**< pct(a, b): a / b × scale of the target column, rounded */
    GY_X_TOTAL,    /**< total(col): sum of the item rows of this row's group */
    GY_X_MUL,      /**< a * b */
    GY_X_DIV,      /**< a / b (3/4 is a fraction: 3 divided by 4) */
    GY_X_NUM,      /**< a number literal: 12, 0.5 */
    GY_X_ROUND,    /**< round(a, n): half away from zero (四捨五入) to n decimals */
    GY_X_TRUNC     /**< trunc(a, n): toward zero (切り捨て) to n decimals */
} gy_xop;

/** Which row a reference reads. */
typedef enum gy_rowref {
    GY_R_SAME = 0, /**< this row */
    GY_R_LABEL,    /**< the row of this group whose label is `row` */
    GY_R_PREV      /**< the row with the same keys one fiscal year earlier (@前年) */
} gy_rowref;

/** An exact rational: d > 0, n / d in lowest terms. */
typedef struct gy_rat {
    int64_t n, d;
} gy_rat;

/** A rule expression (a small tree). */
typedef struct gy_expr {
    gy_xop op;
    int col;             /**< column index for REF and TOTAL */
    gy_rowref rowref;    /**< for REF */
    char *row;           /**< label for GY_R_LABEL, owned */
    struct gy_expr *a, *b;
    gy_rat num;          /**< NUM: its value */
    int digits;          /**< NUM: decimals as written; ROUND/TRUNC: n */
    unsigned pos;        /**< character column of the node in its line (1 = first) */
} gy_expr;

/** Free an expression. Accepts NULL. */
void gy_expr_free(gy_expr *e);

/** Parse an expression from *p (advanced past it, to the first character
 *  that cannot continue it) for definition t. Column names are resolved
 *  in t (numeric columns only). `line` is the whole line, used to give
 *  character columns; `off` is added to them (the column of `line`'s
 *  first character minus 1). Errors go to d as path:lineno:col; returns
 *  NULL after reporting one. */
gy_expr *gy_expr_parse(const char **p, const struct gy_tabledef *t, const char *path, unsigned lineno,
                       const char *line, unsigned off, gy_diags *d);

/** A consumer's reader of one leaf for gy_expr_parse_leaves: reads the
 *  leaf starting at *p (its first character: a name, never a number or
 *  a parenthesis), advances *p past it and gives the leaf's index in
 *  *idx, which becomes the node's `col` (op GY_X_REF, rowref GY_R_SAME).
 *  On a mistake it returns false with *err (a message) and *errat (where
 *  in the text; NULL: the leaf's start). */
typedef bool (*gy_xleaf_fn)(void *u, const char **p, int *idx, const char **err, const char **errat);

/** Parse an expression whose leaves a consumer reads itself (the figures
 *  of the text: `sum(認定件数) - 認定件数[年度=H17～R2]`): numbers, + - * /,
 *  parentheses, pct(), round() and trunc() are read here, every other
 *  name is handed to `leaf` (total() too, which needs a definition). No
 *  definition is needed. Errors as gy_expr_parse. */
gy_expr *gy_expr_parse_leaves(const char **p, gy_xleaf_fn leaf, void *u, const char *path, unsigned lineno,
                              const char *line, unsigned off, gy_diags *d);

/** The word at *p (after blanks) up to the first character that ends a
 *  column name (blank, operator, parenthesis, comma, '=', '@', '#', '"'),
 *  *p advanced past it; NULL if there is none. */
char *gy_expr_word(const char **p);

/** Whether e (or a node under it) has op. */
bool gy_expr_has(const gy_expr *e, gy_xop op);

/** Whether e reads last year (@前年). */
bool gy_expr_has_prev(const gy_expr *e);

/* ---- exact rationals ------------------------------------------------ */

/** Outcome of an operation. */
typedef enum gy_xst {
    GY_XV_OK = 0,     /**< a value */
    GY_XV_NIL,        /**< blank or '-': 0 where added, no base in a ratio */
    GY_XV_UNKNOWN,    /**< a base is absent or unknown: cannot check */
    GY_XV_ALLUP,      /**< a ratio with zero base and positive part: 皆増 */
    GY_XV_NONE,       /**< a ratio 0 / 0, or a division by zero: '-' */
    GY_XV_OVERFLOW    /**< the result leaves int64 */
} gy_xst;

/** A value during evaluation. */
typedef struct gy_xval {
    gy_xst st;
    gy_rat v;
} gy_xval;

/** n / 10^decimals as a rational (false if it cannot be made). */
bool gy_rat_scaled(int64_t n, int decimals, gy_rat *out);

/** a + b, a - b, a * b, a / b: false on overflow (or b = 0 for div). */
bool gy_rat_add(gy_rat a, gy_rat b, gy_rat *out);
bool gy_rat_sub(gy_rat a, gy_rat b, gy_rat *out);
bool gy_rat_mul(gy_rat a, gy_rat b, gy_rat *out);
bool gy_rat_div(gy_rat a, gy_rat b, gy_rat *out);

/** a × 10^decimals rounded (half away from zero, or toward zero with
 *  `trunc`) to an integer: the value as stored at that scale. *exact
 *  (may be NULL) says whether no rounding was needed. False on overflow. */
bool gy_rat_to_scaled(gy_rat a, int decimals, bool trunc, int64_t *out, bool *exact);

/** A share: part / whole × scale rounded half up to `decimals`, scaled
 *  by 10^decimals — pct() of the rules, the charts' shares. */
gy_xst gy_expr_share(gy_rat part, gy_rat whole, int64_t scale, int decimals, bool trunc, int64_t *out);

/* ---- evaluation ----------------------------------------------------- */

/** Events during evaluation, for a consumer's messages. */
typedef enum gy_xev {
    GY_XE_OVERFLOW = 0, /**< an operation left int64 */
    GY_XE_NILBASE       /**< the denominator of a pct() is blank */
} gy_xev;

/** What an evaluation needs from its consumer. */
typedef struct gy_xenv {
    /** the value of a leaf (REF or TOTAL) */
    gy_xval (*leaf)(void *u, const gy_expr *e);
    /** an event (may be NULL) */
    void (*event)(void *u, gy_xev ev);
    void *u;
    int64_t scale;       /**< of the target column: 100 for a percentage, else 1 */
    int decimals;        /**< of the target column */
    bool trunc;          /**< pct() rounds toward zero (to tell truncation apart) */
} gy_xenv;

/** Evaluate e: every leaf is visited once, left operand first (so that a
 *  consumer can record what it read in order). */
gy_xval gy_expr_eval(const gy_expr *e, const gy_xenv *env);

/** The number of decimals e's value can have (INT32_MAX: any, after a
 *  division), given the decimals of each column (cold[col]). */
int gy_expr_decimals(const gy_expr *e, const int *cold, int target_decimals);

/** The value of a rule at its target's scale: rounded half up when its
 *  exact value has more decimals than the target holds (*rounded then
 *  says so, and *down is the value truncated instead). */
gy_xst gy_expr_target(gy_xval v, int decimals, int64_t *out, bool *rounded, int64_t *down);

/* ---- Excel formulas ------------------------------------------------- */

/** What a formula needs from its consumer: each leaf's text (through
 *  put) and its value as the sheet holds it. */
typedef struct gy_xfenv {
    /** write the leaf's reference and give its value; false: no formula */
    bool (*leaf)(void *u, const gy_expr *e, gy_rat *v);
    /** append text to the formula */
    void (*put)(void *u, const char *s);
    void *u;
    int64_t scale;       /**< of the target column */
    int decimals;        /**< of the target column */
    const int *cold;     /**< decimals of each column (gy_expr_decimals) */
} gy_xfenv;

/** Write e as an Excel formula (without the '='): its value at the
 *  target's scale in *v (the cached value). A value that can have more
 *  decimals than the target holds is wrapped in ROUND(…, decimals), as
 *  verify compares it. False when a leaf has no formula, a value has no
 *  value (皆増, '-'), or on overflow. */
bool gy_expr_formula(const gy_expr *e, const gy_xfenv *env, int64_t *v);

#endif
