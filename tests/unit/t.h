/* t.h - a tiny TAP test harness: one "ok N - name" line per case; the
 * file helpers the unit tests share (t_tmpdir, t_slurp, t_write, t_put). */
#ifndef GAIYO_T_H
#define GAIYO_T_H

#include "gaiyo/util.h"

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

/* ---- files: what the unit tests that read folders share ---------------- */

/* A new folder named prefix + 6 random characters (relative: under the
 * build's tests folder, the suites' workdir); malloc'd, NULL after a failed
 * check when it cannot be made. Removed with gy_remove_tree. */
static inline char *t_tmpdir(const char *prefix)
{
    char *tmpl = gy_asprintf("%sXXXXXX", prefix);
    char *p = tmpl ? mkdtemp(tmpl) : NULL;
    T_CHECK(p != NULL);
    if (!p)
        free(tmpl);
    return p;
}

/* The text of a file (NUL-terminated, malloc'd), NULL when unreadable. */
static inline char *t_slurp(const char *path)
{
    char *buf = NULL;
    size_t len;
    return gy_read_file(path, &buf, &len) == 0 ? buf : NULL;
}

/* Write len bytes to dir/name (to name when dir is NULL); a failed check
 * when the file cannot be made. */
static inline void t_write(const char *dir, const char *name, const char *data, size_t len)
{
    char *p = dir ? gy_asprintf("%s/%s", dir, name) : NULL;
    FILE *fp = fopen(dir ? p : name, "wb");
    T_CHECK(fp != NULL);
    if (fp) {
        fwrite(data, 1, len, fp);
        fclose(fp);
    }
    free(p);
}

/* t_write of a string. */
static inline void t_put(const char *dir, const char *name, const char *text)
{
    t_write(dir, name, text, strlen(text));
}

#define T_DONE()                                                                          \
    do {                                                                                  \
        printf("1..%d\n", t_n);                                                           \
        return t_fail ? 1 : 0;                                                            \
    } while (0)

#endif
