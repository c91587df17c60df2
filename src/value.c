/* value.c - numbers, ratios and 和暦 as people type them */
#include "gaiyo/value.h"
#include "gaiyo/util.h"

#include <stdio.h>
#include <string.h>

int64_t gy_pow10(int k)
{
    int64_t p = 1;
    for (int i = 0; i < k && i < 18; i++)
        p *= 10;
    return p;
}

static bool is_space_cp(uint32_t c)
{
    return c == ' ' || c == '\t' || c == 0x3000 || c == '\r' || c == '\n';
}

static bool is_na_cp(uint32_t c)
{
    return c == '-' || c == 0xFF0D || c == 0x2015 || c == 0x2014 || c == 0x2212 ||
           c == 0x2010 || c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2500 ||
           c == 0x30FC;
}

static bool is_neg_cp(uint32_t c)
{
    return c == 0x25B3 || c == 0x25B2 || c == '-' || c == 0xFF0D || c == 0x2212 ||
           c == 0x2010 || c == 0x2011 || c == 0x2013;
}

/* Decode s into code points (at most cap); returns count, or -1 when s is
 * not valid UTF-8 or too long. Leading/trailing spaces are dropped. */
static int decode_trim(const char *s, uint32_t *cps, int cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    int k = 0;
    while (i < n) {
        uint32_t c;
        int l = gy_utf8_decode(u + i, n - i, &c);
        if (!l)
            return -1;
        i += (size_t)l;
        if (k == cap)
            return -1;
        cps[k++] = c;
    }
    int a = 0;
    while (a < k && is_space_cp(cps[a]))
        a++;
    while (k > a && is_space_cp(cps[k - 1]))
        k--;
    memmove(cps, cps + a, (size_t)(k - a) * sizeof *cps);
    return k - a;
}

static uint32_t fold(uint32_t c)
{
    if (c >= 0xFF10 && c <= 0xFF19)
        return '0' + (c - 0xFF10);
    switch (c) {
    case 0xFF0C: return ',';
    case 0xFF0E: return '.';
    case 0xFF05: return '%';
    case 0xFF0B: return '+';
    }
    return c;
}

/* Common scanner. decimals < 0: integer only. */
static bool parse_number(const char *s, int decimals, gy_num *out, const char **err)
{
    uint32_t cps[128];
    out->nil = GY_NIL_NONE;
    out->v = 0;
    int n = decode_trim(s, cps, 128);
    if (n < 0) {
        *err = "数値として読めない文字列です (長すぎるか不正な文字)";
        return false;
    }
    if (n == 0) {
        out->nil = GY_NIL_BLANK;
        return true;
    }
    if (n == 1 && is_na_cp(cps[0])) {
        out->nil = GY_NIL_NA;
        return true;
    }
    if ((n == 1 && (cps[0] == 0x2026 || cps[0] == 0x2025 || cps[0] == 0x22EF ||
                    cps[0] == 'x' || cps[0] == 'X' || cps[0] == 0xFF58 || cps[0] == 0xFF38)) ||
        (n == 3 && cps[0] == '.' && cps[1] == '.' && cps[2] == '.')) {
        out->nil = GY_NIL_UNKNOWN;
        return true;
    }
    int i = 0;
    bool neg = false;
    if (is_neg_cp(cps[0]) || fold(cps[0]) == '+') {
        neg = fold(cps[0]) != '+';
        i++;
        while (i < n && is_space_cp(cps[i]))
            i++;
    }
    bool pct = false;
    if (n > i && fold(cps[n - 1]) == '%') {
        if (decimals < 0) {
            *err = "金額・件数の列に % は使えません";
            return false;
        }
        pct = true;
        n--;
        while (n > i && is_space_cp(cps[n - 1]))
            n--;
    }
    (void)pct;
    if (i >= n) {
        *err = "数値がありません";
        return false;
    }
    /* integer part with optional grouping commas */
    gy_u128 ip = 0;
    int digits = 0, group = -1; /* digits since the last comma; -1: no comma yet */
    bool seen_comma = false;
    for (; i < n; i++) {
        uint32_t c = fold(cps[i]);
        if (c >= '0' && c <= '9') {
            ip = ip * 10 + (c - '0');
            if (ip > (gy_u128)INT64_MAX * 1000000u) {
                *err = neg ? "数値が小さすぎます (△9,223,372,036,854,775,807 まで)"
                           : "数値が大きすぎます (int64 の範囲外)";
                return false;
            }
            digits++;
            if (seen_comma)
                group++;
        } else if (c == ',') {
            if (digits == 0 || (seen_comma && group != 3) || (!seen_comma && digits > 3)) {
                *err = "桁区切りのカンマの位置が正しくありません";
                return false;
            }
            seen_comma = true;
            group = 0;
        } else {
            break;
        }
    }
    if (digits == 0 || (i < n && fold(cps[i]) != '.')) {
        *err = "数値ではありません";
        return false;
    }
    if (seen_comma && group != 3) {
        *err = "桁区切りのカンマの位置が正しくありません";
        return false;
    }
    int fd = 0;
    gy_u128 fp = 0;
    if (i < n && fold(cps[i]) == '.') {
        if (decimals < 0) {
            *err = "金額・件数の列に小数は使えません";
            return false;
        }
        i++;
        for (; i < n; i++) {
            uint32_t c = fold(cps[i]);
            if (c < '0' || c > '9')
                break;
            if (fd >= decimals) {
                if (c != '0') {
                    *err = "小数点以下の桁数が定義より多すぎます";
                    return false;
                }
                continue;
            }
            fp = fp * 10 + (c - '0');
            fd++;
        }
        if (fd == 0 && (i >= n || fold(cps[i]) != '.')) {
            /* "12." is accepted as 12 */
        }
    }
    if (i != n) {
        *err = "数値ではありません";
        return false;
    }
    int dec = decimals < 0 ? 0 : decimals;
    for (; fd < dec; fd++)
        fp *= 10;
    gy_u128 v = ip * (gy_u128)gy_pow10(dec) + fp;
    /* the range is symmetric, ±(2^63 − 1): every figure can be negated
     * (△ of a difference, |x|) without overflow; −2^63 is refused */
    if (v > (gy_u128)INT64_MAX) {
        *err = neg ? "数値が小さすぎます (△9,223,372,036,854,775,807 まで)" : "数値が大きすぎます (int64 の範囲外)";
        return false;
    }
    out->v = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* The common case, without decoding: plain ASCII digits with correct
 * grouping commas (at most 18 characters: no overflow), then, when
 * decimals >= 0, optionally '.' and 1..decimals digits. Returns false
 * for anything else, which parse_number then reads (or rejects) — the
 * result is the same either way. */
static bool parse_plain(const char *s, int decimals, gy_num *out)
{
    int64_t ip = 0;
    int digits = 0, group = -1, k = 0;
    for (; s[k] >= '0' && s[k] <= '9' ? true : s[k] == ','; k++) {
        if (k >= 18)
            return false;
        if (s[k] == ',') {
            if (digits == 0 || (group >= 0 && group != 3) || (group < 0 && digits > 3))
                return false;
            group = 0;
            continue;
        }
        ip = ip * 10 + (s[k] - '0');
        digits++;
        if (group >= 0)
            group++;
    }
    if (digits == 0 || (group >= 0 && group != 3))
        return false;
    int64_t fp = 0;
    int fd = 0, dec = decimals < 0 ? 0 : decimals;
    if (s[k] == '.') {
        if (decimals < 0)
            return false;
        for (k++; s[k] >= '0' && s[k] <= '9'; k++) {
            if (fd >= decimals)
                return false;
            fp = fp * 10 + (s[k] - '0');
            fd++;
        }
        if (fd == 0)
            return false;
    }
    if (s[k])
        return false;
    for (; fd < dec; fd++)
        fp *= 10;
    if (ip > (INT64_MAX - fp) / gy_pow10(dec))
        return false;
    out->nil = GY_NIL_NONE;
    out->v = ip * gy_pow10(dec) + fp;
    return true;
}

bool gy_parse_int(const char *s, gy_num *out, const char **err)
{
    if (parse_plain(s, -1, out))
        return true;
    return parse_number(s, -1, out, err);
}

bool gy_parse_ratio(const char *s, int decimals, gy_num *out, const char **err)
{
    if (decimals < 0 || decimals > 6) {
        *err = "比率の小数桁数は 0〜6 です";
        return false;
    }
    if (parse_plain(s, decimals, out))
        return true;
    return parse_number(s, decimals, out, err);
}

/* ---- 和暦 ---------------------------------------------------------- */

static int era_base(gy_era e)
{
    switch (e) {
    case GY_ERA_S: return 1925;
    case GY_ERA_H: return 1988;
    case GY_ERA_R: return 2018;
    default: return 0;
    }
}

/* Years a report can have: each era's real span (昭和1〜64, 平成1〜31),
 * 令和 up to the last western year accepted, GY_FY_LAST (令和81 = 2099) */
static int era_max(gy_era e)
{
    switch (e) {
    case GY_ERA_S: return 64;
    case GY_ERA_H: return 31;
    default: return GY_FY_LAST - 2018;
    }
}

gy_fy gy_fy_from_western(int w)
{
    gy_fy f = {GY_ERA_NONE, w, w};
    if (w >= 2019)
        f.era = GY_ERA_R;
    else if (w >= 1989)
        f.era = GY_ERA_H;
    else if (w >= 1926)
        f.era = GY_ERA_S;
    if (f.era)
        f.year = w - era_base(f.era);
    return f;
}

bool gy_parse_fy(const char *s, gy_fy *out, const char **err)
{
    uint32_t cps[64];
    int n = decode_trim(s, cps, 64);
    if (n <= 0) {
        *err = "年度がありません";
        return false;
    }
    /* strip a trailing 年度 or 年 */
    if (n >= 2 && cps[n - 2] == 0x5E74 && cps[n - 1] == 0x5EA6)
        n -= 2;
    else if (n >= 1 && cps[n - 1] == 0x5E74)
        n -= 1;
    while (n > 0 && is_space_cp(cps[n - 1]))
        n--;
    int i = 0;
    gy_era era = GY_ERA_NONE;
    uint32_t c0 = cps[0];
    if (c0 >= 0xFF21 && c0 <= 0xFF5A)
        c0 = c0 - 0xFF21 + 'A' - ((c0 >= 0xFF41) ? (0xFF41 - 0xFF21) - ('a' - 'A') : 0);
    if (c0 >= 'a' && c0 <= 'z')
        c0 = c0 - 'a' + 'A';
    if (c0 == 'S' || c0 == 'H' || c0 == 'R') {
        era = (gy_era)c0;
        i = 1;
    } else if (n >= 2 && ((cps[0] == 0x662D && cps[1] == 0x548C) ||   /* 昭和 */
                          (cps[0] == 0x5E73 && cps[1] == 0x6210) ||   /* 平成 */
                          (cps[0] == 0x4EE4 && cps[1] == 0x548C))) {  /* 令和 */
        era = cps[0] == 0x662D ? GY_ERA_S : cps[0] == 0x5E73 ? GY_ERA_H : GY_ERA_R;
        i = 2;
    }
    while (i < n && (is_space_cp(cps[i]) || cps[i] == '.'))
        i++;
    if (i >= n) {
        *err = "年度の数字がありません";
        return false;
    }
    int y = 0;
    if (cps[i] == 0x5143 && i + 1 == n) { /* 元 */
        y = 1;
        i++;
    } else {
        int d = 0;
        for (; i < n; i++) {
            uint32_t c = fold(cps[i]);
            if (c < '0' || c > '9')
                break;
            y = y * 10 + (int)(c - '0');
            if (++d > 4)
                break;
        }
        if (d == 0 || i != n) {
            *err = "年度として読めません (例: R6, H31, S37, 令和元年度)";
            return false;
        }
    }
    if (era == GY_ERA_NONE) {
        if (y < GY_FY_FIRST || y > GY_FY_LAST) {
            *err = "元号のない年度は西暦 1926〜2099 で書いてください";
            return false;
        }
        *out = gy_fy_from_western(y);
        out->era = GY_ERA_NONE;
        out->year = y;
        return true;
    }
    if (y < 1 || y > era_max(era)) {
        *err = "元号の年が範囲外です (昭和1〜64, 平成1〜31, 令和1〜81)";
        return false;
    }
    out->era = era;
    out->year = y;
    out->western = era_base(era) + y;
    return true;
}

void gy_fy_format(const gy_fy *fy, char *buf, size_t n)
{
    if (fy->era == GY_ERA_NONE)
        snprintf(buf, n, "%d", fy->western);
    else
        snprintf(buf, n, "%c%d", (char)fy->era, fy->year);
}

/* ---- periods: a range of fiscal years -------------------------------- */

bool gy_parse_period(const char *s, gy_period *out, const char **err)
{
    /* the separator: ～ (U+FF5E), 〜 (U+301C) or ~ */
    static const char *const seps[] = {"\xEF\xBD\x9E", "\xE3\x80\x9C", "~"};
    const char *at = NULL;
    size_t sl = 0;
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        const char *q = strstr(s, seps[k]);
        if (q && (!at || q < at)) {
            at = q;
            sl = strlen(seps[k]);
        }
    }
    if (!at)
        return gy_parse_fy(s, &out->start, err) && (out->end = out->start, true);
    char a[128], b[128];
    size_t la = (size_t)(at - s), lb = strlen(at + sl);
    if (la >= sizeof a || lb + 2 >= sizeof b) {
        *err = "期間が長すぎます";
        return false;
    }
    memcpy(a, s, la);
    a[la] = '\0';
    memcpy(b, at + sl, lb + 1);
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++)
        if (strstr(b, seps[k])) {
            *err = "期間の区切り (～) が 2 つあります";
            return false;
        }
    if (!gy_parse_fy(a, &out->start, err))
        return false;
    if (!gy_parse_fy(b, &out->end, err)) {
        /* H18～21: the end in the start's era */
        char eb[136];
        const char *e2;
        if (out->start.era == GY_ERA_NONE)
            return false;
        snprintf(eb, sizeof eb, "%c%s", (char)out->start.era, b);
        if (!gy_parse_fy(eb, &out->end, &e2))
            return false;
    }
    if (out->end.western < out->start.western) {
        *err = "期間の終わりが始まりより前です";
        return false;
    }
    return true;
}

int64_t gy_period_key(const gy_period *p)
{
    return (int64_t)p->start.western * 10000 + p->end.western;
}

gy_period gy_period_from_key(int64_t k)
{
    gy_period p;
    p.start = gy_fy_from_western((int)(k / 10000));
    p.end = gy_fy_from_western((int)(k % 10000));
    return p;
}

void gy_period_format(const gy_period *p, char *buf, size_t n)
{
    char a[16], b[16];
    gy_fy_format(&p->start, a, sizeof a);
    if (p->start.western == p->end.western && p->start.era == p->end.era) {
        snprintf(buf, n, "%s", a);
        return;
    }
    gy_fy_format(&p->end, b, sizeof b);
    snprintf(buf, n, "%s\xEF\xBD\x9E%s", a, b);
}

/* ---- ratios --------------------------------------------------------- */

gy_ratio_status gy_ratio(int64_t num, int64_t den, int64_t scale, int decimals,
                         gy_round mode, int64_t *out)
{
    *out = 0;
    if (den == 0)
        return num > 0 ? GY_RATIO_ALLUP : GY_RATIO_NONE;
    /* any operands: a scale or decimals too large for 128 bits (or for
     * int64) does not fit, it never overflows */
    gy_i128 q;
    if (decimals < 0 || decimals > 18 ||
        __builtin_mul_overflow((gy_i128)num * scale, (gy_i128)gy_pow10(decimals), &q))
        return GY_RATIO_OVERFLOW;
    int neg = (q < 0) != (den < 0);
    gy_u128 a = q < 0 ? (gy_u128)0 - (gy_u128)q : (gy_u128)q;
    gy_u128 b = den < 0 ? (gy_u128)(-(gy_i128)den) : (gy_u128)den;
    gy_u128 r = a / b, rem = a % b;
    if (mode == GY_ROUND_HALF_UP && rem * 2 >= b)
        r++;
    if (r > (gy_u128)INT64_MAX)
        return GY_RATIO_OVERFLOW;
    *out = neg ? -(int64_t)r : (int64_t)r;
    return GY_RATIO_OK;
}

void gy_format_int(int64_t v, const char *neg, char *buf, size_t n)
{
    char tmp[32];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int k = 0, g = 0;
    do {
        if (g == 3) {
            tmp[k++] = ',';
            g = 0;
        }
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
        g++;
    } while (u);
    char out[48];
    size_t o = 0;
    if (v < 0) {
        size_t l = strlen(neg);
        memcpy(out, neg, l);
        o = l;
    }
    while (k)
        out[o++] = tmp[--k];
    if (n == 0)
        return;
    if (o >= n)
        o = n - 1; /* cut, as snprintf would */
    memcpy(buf, out, o);
    buf[o] = '\0';
}

void gy_format_ratio(int64_t v, int decimals, const char *neg, char *buf, size_t n)
{
    if (decimals <= 0) {
        gy_format_int(v, neg, buf, n);
        return;
    }
    int64_t p = gy_pow10(decimals);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char ib[48];
    gy_format_int((int64_t)(u / (uint64_t)p), "", ib, sizeof ib);
    char fb[24];
    unsigned long long fr = (unsigned long long)(u % (uint64_t)p);
    int dd = decimals > 18 ? 18 : decimals;
    for (int i = dd - 1; i >= 0; i--) {
        fb[i] = (char)('0' + fr % 10);
        fr /= 10;
    }
    fb[dd] = '\0';
    /* neg, integer part, '.', decimals: cut to n as snprintf would */
    const char *parts[4] = {v < 0 ? neg : "", ib, ".", fb};
    size_t o = 0;
    for (int i = 0; i < 4 && n; i++)
        for (const char *p = parts[i]; *p && o + 1 < n; p++)
            buf[o++] = *p;
    if (n)
        buf[o] = '\0';
}
