/* t.h - a tiny TAP test harness: one "ok N - name" line per case. */
#ifndef GAIYO_T_H
#define GAIYO_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_fail, t_case_failed __attribute__((unused));
static const char *t_name __attribute__((unused));

#define T_CHECK(cond)                                                                     \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
            t_case_failed = 1;                                                            \
        }                                                                                 \
    } while (0)

#define T_EQ_INT(a, b)                                                                    \
    do {                                                                                  \
        long long t_a = (long long)(a), t_b = (long long)(b);                             \
        if (t_a != t_b) {                                                                 \
            printf("#   %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, t_a,  \
                   t_b);                                                                  \
            t_case_failed = 1;                                                            \
        }                                                                                 \
    } while (0)

#define T_EQ_STR(a, b)                                                                    \
    do {                                                                                  \
        const char *t_a = (a), *t_b = (b);                                                \
        if (!t_a || !t_b || strcmp(t_a, t_b)) {                                           \
            printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,     \
                   t_a ? t_a : "(null)", t_b ? t_b : "(null)");                           \
            t_case_failed = 1;                                                            \
        }                                                                                 \
    } while (0)

#define T_CONTAINS(hay, needle)                                                           \
    do {                                                                                  \
        const char *t_h = (hay), *t_nd = (needle);                                        \
        if (!t_h || !strstr(t_h, t_nd)) {                                                 \
            printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,       \
                   t_h ? t_h : "(null)", t_nd);                                           \
            t_case_failed = 1;                                                            \
        }                                                                                 \
    } while (0)

#define TEST(fn)                                                                          \
    do {                                                                                  \
        t_name = #fn;                                                                     \
        t_case_failed = 0;                                                                \
        fn();                                                                             \
        t_n++;                                                                            \
        if (t_case_failed)                                                                \
            t_fail++;                                                                     \
        printf("%sok %d - %s\n", t_case_failed ? "not " : "", t_n, t_name);              \
    } while (0)

#define T_DONE()                                                                          \
    do {                                                                                  \
        printf("1..%d\n", t_n);                                                           \
        return t_fail ? 1 : 0;                                                            \
    } while (0)

#endif
