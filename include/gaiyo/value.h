/**
 * @file value.h
 * @brief Typed values as people type them: amounts, counts, ratios, 和暦.
 *
 * Parsing accepts what a department's Excel export contains: 1,234 and
 * full-width １，２３４, negatives written △/▲/−/-, a trailing % on ratios,
 * half- and full-width spaces, and the nil marks of Japanese statistics.
 * Money is int64 (in the table's unit); a ratio is an int64 scaled by
 * 10^decimals, never a binary double.
 */
#ifndef GAIYO_VALUE_H
#define GAIYO_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/** What kind of nothing a cell holds. Nil is never zero and never NaN. */
typedef enum gy_nil {
    GY_NIL_NONE = 0,  /**< the cell has a value */
    GY_NIL_BLANK,     /**< empty cell */
    GY_NIL_NA,        /**< not applicable: '-', '－', '―', '—', '−' alone */
    GY_NIL_UNKNOWN    /**< unknown or withheld: '…', 'x'/'X' (秘匿) */
} gy_nil;

/** Result of parsing one number. */
typedef struct gy_num {
    gy_nil nil;       /**< nil kind; value is 0 when nil */
    int64_t v;        /**< value (scaled by 10^decimals for ratios) */
} gy_num;

/** Parse an integer (amount in 千円, or a count). On error returns false
 *  and sets *err to a static Japanese explanation. */
bool gy_parse_int(const char *s, gy_num *out, const char **err);

/** Parse a ratio/percentage with at most `decimals` decimals (0..6); the
 *  result is scaled by 10^decimals. A trailing % is allowed. */
bool gy_parse_ratio(const char *s, int decimals, gy_num *out, const char **err);

/** Japanese era. */
typedef enum gy_era { GY_ERA_NONE = 0, GY_ERA_S = 'S', GY_ERA_H = 'H', GY_ERA_R = 'R' } gy_era;

/** A fiscal year: the era as written and the western year it means. */
typedef struct gy_fy {
    gy_era era;       /**< era as written (NONE when given in western years) */
    int year;         /**< year within the era (1 = 元年) */
    int western;      /**< western year: R1 = H31 = 2019 */
} gy_fy;

/** The fiscal years a report can have: western 1926 (昭和元年) to 2099
 *  (令和81年). */
#define GY_FY_FIRST 1926
#define GY_FY_LAST 2099

/** Parse a 和暦 fiscal year: S37, H1, R元, R6, 昭和37年度, 平成元年度,
 *  令和6年度, ｒ６ (full width), or a western year 1926..2099. An era's
 *  year must lie in its span: 昭和1〜64, 平成1〜31, 令和1〜81 (2099), so
 *  R99, H40, 令和0年 and S70 are errors. On error returns false and sets
 *  *err. */
bool gy_parse_fy(const char *s, gy_fy *out, const char **err);

/** Write the fiscal year as the report writes it ("S37", "H1", "R6") into
 *  buf (at least 16 bytes). */
void gy_fy_format(const gy_fy *fy, char *buf, size_t n);

/** Western year → fiscal year in the era in force on April 1 of that year
 *  (2019 → R1). */
gy_fy gy_fy_from_western(int western);

/** A period: a range of fiscal years (H18～H21 in 創業者数の推移, H17～R2
 *  in レッツBuy), or one year (start = end). */
typedef struct gy_period {
    gy_fy start, end;
} gy_period;

/** Parse a period: two fiscal years (gy_parse_fy) joined by ～, 〜 or ~
 *  (H18～H21 = 平成18年度～平成21年度 = H18～21, the end in the start's era
 *  when it has none), or one fiscal year. The end may not come before the
 *  start. On error returns false and sets *err. */
bool gy_parse_period(const char *s, gy_period *out, const char **err);

/** The value a period is stored and compared as: start × 10000 + end
 *  (western years), so that periods sort by their start, then their end. */
int64_t gy_period_key(const gy_period *p);

/** The period of a stored value (eras as in force: gy_fy_from_western). */
gy_period gy_period_from_key(int64_t k);

/** Write a period as the report writes it: "H18～H21", "H22". */
void gy_period_format(const gy_period *p, char *buf, size_t n);

/** How a zero or absent base turns out. */
typedef enum gy_ratio_status {
    GY_RATIO_OK = 0,   /**< *out holds the rounded ratio */
    GY_RATIO_ALLUP,    /**< base 0, part > 0: 皆増 */
    GY_RATIO_NONE,     /**< base 0 and part 0 (or negative base): '-' */
    GY_RATIO_OVERFLOW  /**< the result does not fit */
} gy_ratio_status;

/** Rounding used for a ratio. The report rounds half away from zero
 *  (四捨五入): 96.25 → 96.3, 314.86 → 314.9. */
typedef enum gy_round { GY_ROUND_HALF_UP = 0, GY_ROUND_DOWN } gy_round;

/** num / den * scale (scale 100 for a percentage, 1 for a plain quotient)
 *  rounded to `decimals` places; result scaled by 10^decimals. Integer
 *  arithmetic only (128-bit intermediate). A base of zero never divides. */
gy_ratio_status gy_ratio(int64_t num, int64_t den, int64_t scale, int decimals,
                         gy_round mode, int64_t *out);

/** Format an int64 with thousands separators; negatives with the given
 *  prefix ("△ " as the report prints, or "-"). buf ≥ 40 bytes. */
void gy_format_int(int64_t v, const char *neg, char *buf, size_t n);

/** Format a scaled ratio with `decimals` places; buf ≥ 40 bytes. */
void gy_format_ratio(int64_t v, int decimals, const char *neg, char *buf, size_t n);

/** 10^k for k in 0..18. */
int64_t gy_pow10(int k);

#endif
