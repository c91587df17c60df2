/* test_value.c - numbers, ratios and 和暦 as people type them */
#include "gaiyo/value.h"
#include "t.h"

static gy_num pi(const char *s)
{
    gy_num n = {GY_NIL_NONE, -999};
    const char *e = NULL;
    if (!gy_parse_int(s, &n, &e)) {
        n.nil = (gy_nil)99;
    }
    return n;
}

static const char *pi_err(const char *s)
{
    gy_num n;
    const char *e = NULL;
    return gy_parse_int(s, &n, &e) ? NULL : e;
}

static void int_plain(void)
{
    T_EQ_INT(pi("1234").v, 1234);
    T_EQ_INT(pi("1,234").v, 1234);
    T_EQ_INT(pi("60,427,305").v, 60427305);
    T_EQ_INT(pi("  42 ").v, 42);
    T_EQ_INT(pi("0").v, 0);
    T_EQ_INT(pi("+7").v, 7);
}

static void int_fullwidth(void)
{
    T_EQ_INT(pi("１，２３４").v, 1234);
    T_EQ_INT(pi("　１２３　").v, 123);      /* ideographic spaces */
    T_EQ_INT(pi("△　１，０００").v, -1000);
}

static void int_negatives(void)
{
    T_EQ_INT(pi("△ 8,697,215").v, -8697215);
    T_EQ_INT(pi("▲650").v, -650);
    T_EQ_INT(pi("−12").v, -12);   /* U+2212 */
    T_EQ_INT(pi("-12").v, -12);
    T_EQ_INT(pi("－12").v, -12);  /* U+FF0D */
}

static void int_nil_marks(void)
{
    T_EQ_INT(pi("").nil, GY_NIL_BLANK);
    T_EQ_INT(pi("   ").nil, GY_NIL_BLANK);
    T_EQ_INT(pi("-").nil, GY_NIL_NA);
    T_EQ_INT(pi("－").nil, GY_NIL_NA);
    T_EQ_INT(pi("―").nil, GY_NIL_NA);
    T_EQ_INT(pi("—").nil, GY_NIL_NA);
    T_EQ_INT(pi("−").nil, GY_NIL_NA);
    T_EQ_INT(pi("…").nil, GY_NIL_UNKNOWN);
    T_EQ_INT(pi("x").nil, GY_NIL_UNKNOWN);
    T_EQ_INT(pi("X").nil, GY_NIL_UNKNOWN);
    /* nil is never zero */
    T_EQ_INT(pi("-").v, 0);
    T_CHECK(pi("-").nil != GY_NIL_NONE);
}

static void int_errors(void)
{
    T_EQ_STR(pi_err("1,2x"), "数値ではありません");
    T_EQ_STR(pi_err("abc"), "数値ではありません");
    T_EQ_STR(pi_err("12,34"), "桁区切りのカンマの位置が正しくありません");
    T_EQ_STR(pi_err("1234,567"), "桁区切りのカンマの位置が正しくありません");
    T_EQ_STR(pi_err(",123"), "桁区切りのカンマの位置が正しくありません");
    T_EQ_STR(pi_err("1.5"), "金額・件数の列に小数は使えません");
    T_EQ_STR(pi_err("12%"), "金額・件数の列に % は使えません");
    T_EQ_STR(pi_err("9223372036854775808"), "数値が大きすぎます (int64 の範囲外)");
    T_EQ_STR(pi_err("99999999999999999999999"), "数値が大きすぎます (int64 の範囲外)");
    /* the range is symmetric: ±(2^63 - 1) read exactly, -2^63 refused
     * with the limit named (never "too large") */
    gy_num n;
    const char *e;
    T_CHECK(gy_parse_int("9223372036854775807", &n, &e) && n.v == INT64_MAX);
    T_CHECK(gy_parse_int("-9223372036854775807", &n, &e) && n.v == -INT64_MAX);
    T_CHECK(gy_parse_int("△9,223,372,036,854,775,807", &n, &e) && n.v == -INT64_MAX);
    T_EQ_STR(pi_err("-9223372036854775808"), "数値が小さすぎます (△9,223,372,036,854,775,807 まで)");
    T_EQ_STR(pi_err("△"), "数値がありません");
    T_EQ_STR(pi_err("1 234"), "数値ではありません");
    T_EQ_INT(pi("9223372036854775807").v, INT64_MAX);
    T_EQ_INT(pi("-9223372036854775807").v, -INT64_MAX);
}

static void ratio_parse(void)
{
    gy_num n;
    const char *e;
    T_CHECK(gy_parse_ratio("92.7", 1, &n, &e));
    T_EQ_INT(n.v, 927);
    T_CHECK(gy_parse_ratio("25.5%", 1, &n, &e));
    T_EQ_INT(n.v, 255);
    T_CHECK(gy_parse_ratio("１００．０％", 1, &n, &e));
    T_EQ_INT(n.v, 1000);
    T_CHECK(gy_parse_ratio("100", 1, &n, &e));
    T_EQ_INT(n.v, 1000);
    T_CHECK(gy_parse_ratio("△ 3.5", 1, &n, &e));
    T_EQ_INT(n.v, -35);
    T_CHECK(gy_parse_ratio("4,451.7", 1, &n, &e));
    T_EQ_INT(n.v, 44517);
    T_CHECK(gy_parse_ratio("50.00", 1, &n, &e)); /* trailing zeros are exact */
    T_EQ_INT(n.v, 500);
    T_CHECK(!gy_parse_ratio("50.05", 1, &n, &e));
    T_EQ_STR(e, "小数点以下の桁数が定義より多すぎます");
    T_CHECK(gy_parse_ratio("-", 1, &n, &e));
    T_EQ_INT(n.nil, GY_NIL_NA);
}

static int64_t R(int64_t a, int64_t b, int dec)
{
    int64_t o = -1;
    T_EQ_INT(gy_ratio(a, b, 100, dec, GY_ROUND_HALF_UP, &o), GY_RATIO_OK);
    return o;
}

static void ratio_rounding_report(void)
{
    /* figures from the report itself: 四捨五入 (half up) */
    T_EQ_INT(R(51730090, 16429288, 1), 3149);  /* 314.86 → 314.9, truncation would say 314.8 */
    T_EQ_INT(R(429381, 834319, 1), 515);       /* 51.465 → 51.5 */
    T_EQ_INT(R(77, 80, 1), 963);               /* 96.25 exactly → 96.3 (half up, not to even) */
    T_EQ_INT(R(19340, 38686, 1), 500);         /* 49.99 → 50.0 */
    T_EQ_INT(R(1, 655, 1), 2);                 /* 0.153 → 0.2 */
}

static void ratio_boundaries(void)
{
    int64_t o;
    /* x.x5 exactly, both signs: half away from zero */
    T_EQ_INT(R(1, 8, 1), 125);                 /* 12.5% exactly, 1 decimal */
    T_EQ_INT(R(1, 16, 1), 63);                 /* 6.25 → 6.3 */
    T_EQ_INT(R(-1, 16, 1), -63);               /* -6.25 → -6.3 */
    T_EQ_INT(R(1, -16, 1), -63);
    T_EQ_INT(R(3, 16, 2), 1875);
    T_EQ_INT(gy_ratio(1, 16, 100, 1, GY_ROUND_DOWN, &o), GY_RATIO_OK);
    T_EQ_INT(o, 62);
    /* quotient, not percentage: 55,145 / 1,500 = 36.763 → 36.8 */
    T_EQ_INT(gy_ratio(55145, 1500, 1, 1, GY_ROUND_HALF_UP, &o), GY_RATIO_OK);
    T_EQ_INT(o, 368);
    /* zero base never divides */
    T_EQ_INT(gy_ratio(5, 0, 100, 1, GY_ROUND_HALF_UP, &o), GY_RATIO_ALLUP);
    T_EQ_INT(gy_ratio(0, 0, 100, 1, GY_ROUND_HALF_UP, &o), GY_RATIO_NONE);
    T_EQ_INT(gy_ratio(-5, 0, 100, 1, GY_ROUND_HALF_UP, &o), GY_RATIO_NONE);
    /* huge values do not overflow silently */
    T_EQ_INT(gy_ratio(INT64_MAX, 1, 100, 1, GY_ROUND_HALF_UP, &o), GY_RATIO_OVERFLOW);
    T_EQ_INT(R(INT64_MAX, INT64_MAX, 1), 1000);
    /* any operands (found by the value fuzzer): the 128-bit product
     * num × scale × 10^decimals, or decimals outside 0..18, do not fit */
    T_EQ_INT(gy_ratio(INT64_MAX, 3, INT64_MAX, 18, GY_ROUND_HALF_UP, &o), GY_RATIO_OVERFLOW);
    T_EQ_INT(gy_ratio(INT64_MIN, -1, INT64_MIN, 1, GY_ROUND_DOWN, &o), GY_RATIO_OVERFLOW);
    T_EQ_INT(gy_ratio(1, 1, 1, 19, GY_ROUND_HALF_UP, &o), GY_RATIO_OVERFLOW);
    T_EQ_INT(gy_ratio(1, 1, 1, -1, GY_ROUND_HALF_UP, &o), GY_RATIO_OVERFLOW);
    T_EQ_INT(gy_ratio(-7, INT64_MIN, 1, 18, GY_ROUND_HALF_UP, &o), GY_RATIO_OK);
    T_EQ_INT(o, 1); /* -7×10^18 / -2^63 = 0.759… → 1 */
}

static void fy_parse(void)
{
    gy_fy f;
    const char *e;
    T_CHECK(gy_parse_fy("R6", &f, &e));
    T_EQ_INT(f.western, 2024);
    T_EQ_INT(f.era, 'R');
    T_CHECK(gy_parse_fy("R1", &f, &e));
    T_EQ_INT(f.western, 2019);
    T_CHECK(gy_parse_fy("H31", &f, &e));
    T_EQ_INT(f.western, 2019);
    T_CHECK(gy_parse_fy("R元", &f, &e));
    T_EQ_INT(f.western, 2019);
    T_CHECK(gy_parse_fy("令和元年度", &f, &e));
    T_EQ_INT(f.western, 2019);
    T_CHECK(gy_parse_fy("平成元年", &f, &e));
    T_EQ_INT(f.western, 1989);
    T_CHECK(gy_parse_fy("S37", &f, &e));
    T_EQ_INT(f.western, 1962);
    T_CHECK(gy_parse_fy("昭和37年度", &f, &e));
    T_EQ_INT(f.western, 1962);
    T_CHECK(gy_parse_fy("Ｒ６", &f, &e));
    T_EQ_INT(f.western, 2024);
    T_CHECK(gy_parse_fy("r6", &f, &e));
    T_EQ_INT(f.western, 2024);
    T_CHECK(gy_parse_fy("2024", &f, &e));
    T_EQ_INT(f.western, 2024);
    T_CHECK(!gy_parse_fy("H32", &f, &e));
    T_CHECK(!gy_parse_fy("S65", &f, &e));
    T_CHECK(!gy_parse_fy("R", &f, &e));
    T_CHECK(!gy_parse_fy("X6", &f, &e));
    T_CHECK(!gy_parse_fy("24", &f, &e));
    T_CHECK(!gy_parse_fy("", &f, &e));
    /* issue 13: a year no report can have: each era's span, 令和 and
     * western years up to 2099 */
    T_CHECK(!gy_parse_fy("R99", &f, &e));
    T_CHECK(!gy_parse_fy("R82", &f, &e));
    T_CHECK(!gy_parse_fy("令和82年度", &f, &e));
    T_CHECK(!gy_parse_fy("H40", &f, &e));
    T_CHECK(!gy_parse_fy("令和0年", &f, &e));
    T_CHECK(!gy_parse_fy("S70", &f, &e));
    T_CHECK(!gy_parse_fy("2100", &f, &e));
    T_CHECK(!gy_parse_fy("1925", &f, &e));
    T_CHECK(gy_parse_fy("R81", &f, &e));
    T_EQ_INT(f.western, 2099);
    T_CHECK(gy_parse_fy("S1", &f, &e));
    T_EQ_INT(f.western, 1926);
    T_CHECK(gy_parse_fy("２０１９", &f, &e));
    T_EQ_INT(f.western, 2019);
}

static void fy_format(void)
{
    char b[16];
    gy_fy f = gy_fy_from_western(2019);
    gy_fy_format(&f, b, sizeof b);
    T_EQ_STR(b, "R1");
    f = gy_fy_from_western(1989);
    gy_fy_format(&f, b, sizeof b);
    T_EQ_STR(b, "H1");
    f = gy_fy_from_western(1962);
    gy_fy_format(&f, b, sizeof b);
    T_EQ_STR(b, "S37");
}

static void formatting(void)
{
    char b[64];
    gy_format_int(-8697215, "△ ", b, sizeof b);
    T_EQ_STR(b, "△ 8,697,215");
    gy_format_int(0, "△", b, sizeof b);
    T_EQ_STR(b, "0");
    gy_format_int(INT64_MIN, "-", b, sizeof b);
    T_EQ_STR(b, "-9,223,372,036,854,775,808");
    gy_format_ratio(3149, 1, "△", b, sizeof b);
    T_EQ_STR(b, "314.9");
    gy_format_ratio(-5, 1, "△", b, sizeof b);
    T_EQ_STR(b, "△0.5");
    gy_format_ratio(44517, 1, "", b, sizeof b);
    T_EQ_STR(b, "4,451.7");
}

/* a period: H18～H21 (創業者数の推移) = 平成18年度～平成21年度 = H18～21;
 * H17～R2 (レッツBuy) across eras; one year; errors */
static void period_parse(void)
{
    gy_period a, b, c;
    const char *e = NULL;
    char buf[64];
    T_CHECK(gy_parse_period("H18～H21", &a, &e));
    T_EQ_INT(a.start.western, 2006);
    T_EQ_INT(a.end.western, 2009);
    T_CHECK(gy_parse_period("平成18年度～平成21年度", &b, &e));
    T_CHECK(gy_parse_period("H18 ~H21", &c, &e));
    T_EQ_INT(gy_period_key(&a), gy_period_key(&b));
    T_EQ_INT(gy_period_key(&a), gy_period_key(&c));
    T_CHECK(gy_parse_period("H18〜21", &b, &e));
    T_EQ_INT(gy_period_key(&a), gy_period_key(&b));
    gy_period_format(&a, buf, sizeof buf);
    T_EQ_STR(buf, "H18～H21");
    T_CHECK(gy_parse_period("H17～R2", &b, &e));
    T_EQ_INT(b.start.western, 2005);
    T_EQ_INT(b.end.western, 2020);
    gy_period_format(&b, buf, sizeof buf);
    T_EQ_STR(buf, "H17～R2");
    /* sorted by the start: H17～R2 before H18～H21 before H22 */
    T_CHECK(gy_parse_period("H22", &c, &e));
    T_EQ_INT(c.start.western, 2010);
    T_EQ_INT(c.end.western, 2010);
    T_CHECK(gy_period_key(&b) < gy_period_key(&a) && gy_period_key(&a) < gy_period_key(&c));
    gy_period_format(&c, buf, sizeof buf);
    T_EQ_STR(buf, "H22");
    T_CHECK(gy_period_from_key(gy_period_key(&a)).end.western == 2009);
    T_CHECK(!gy_parse_period("H21～H18", &a, &e));
    T_CONTAINS(e, "前");
    T_CHECK(!gy_parse_period("H18～H21～H23", &a, &e));
    T_CHECK(!gy_parse_period("H18～", &a, &e));
    T_CHECK(!gy_parse_period("～H21", &a, &e));
    T_CHECK(!gy_parse_period("H18～X", &a, &e));
    T_CHECK(!gy_parse_period("2006～99", &a, &e));
}

int main(void)
{
    TEST(int_plain);
    TEST(int_fullwidth);
    TEST(int_negatives);
    TEST(int_nil_marks);
    TEST(int_errors);
    TEST(ratio_parse);
    TEST(ratio_rounding_report);
    TEST(ratio_boundaries);
    TEST(fy_parse);
    TEST(fy_format);
    TEST(formatting);
    TEST(period_parse);
    T_DONE();
}
