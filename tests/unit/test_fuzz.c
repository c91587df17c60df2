/* test_fuzz.c - every input the fuzzers found (tests/data/fuzz/TARGET/NAME)
 * fed through the fuzz target's own entry point (fuzz/entry.c); the
 * outcome must match NAME.expect (status, diagnostics with file:line:col,
 * values). A crash, a sanitizer report or a broken invariant fails too.
 * GAIYO_FUZZ_BLESS=1 writes the missing .expect files (read them!). */
#include "../../fuzz/entry.h"
#include "gaiyo/util.h"
#include "t.h"

#include <dirent.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_target(const char *target)
{
    gy_fuzz_fn fn = gy_fuzz_find(target);
    char *dir = gy_asprintf("%s/fuzz/%s", DATADIR, target);
    DIR *dp = opendir(dir);
    t_name = target;
    if (!fn || !dp) {
        t_n++;
        t_fail++;
        printf("not ok %d - %s: no entry point or no folder %s\n", t_n, target, dir);
        if (dp)
            closedir(dp);
        free(dir);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || (l > 7 && !strcmp(de->d_name + l - 7, ".expect")))
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = gy_strdup(de->d_name);
    }
    closedir(dp);
    if (n)
        qsort(names, n, sizeof *names, cmp);
    bool bless = getenv("GAIYO_FUZZ_BLESS") != NULL;
    for (size_t i = 0; i < n; i++) {
        char *in = gy_asprintf("%s/%s", dir, names[i]);
        char *ex = gy_asprintf("%s/%s.expect", dir, names[i]);
        char *data, *want;
        size_t len, wlen;
        t_case_failed = 0;
        if (gy_read_file(in, &data, &len)) {
            printf("#   cannot read %s\n", in);
            t_case_failed = 1;
        } else {
            gy_buf out = {0};
            fn((const uint8_t *)data, len, &out);
            const char *got = out.p ? out.p : "";
            if (gy_read_file(ex, &want, &wlen)) {
                if (bless) {
                    FILE *fp = fopen(ex, "w");
                    if (fp) {
                        fputs(got, fp);
                        fclose(fp);
                    }
                    printf("#   wrote %s\n", ex);
                } else {
                    printf("#   %s is missing; the outcome was:\n%s", ex, got);
                    t_case_failed = 1;
                }
            } else {
                if (strcmp(got, want)) {
                    printf("#   %s: outcome differs from %s\n# got:\n%s# expected:\n%s", in, ex, got,
                           want);
                    t_case_failed = 1;
                }
                free(want);
            }
            gy_buf_free(&out);
            free(data);
        }
        t_n++;
        if (t_case_failed)
            t_fail++;
        printf("%sok %d - %s/%s\n", t_case_failed ? "not " : "", t_n, target, names[i]);
        free(in);
        free(ex);
        free(names[i]);
    }
    free(names);
    free(dir);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* the lines before a crash are kept */
    if (gy_fuzz_init(SRCDIR "/templates/tables") != 0) {
        printf("not ok 1 - cannot load templates/tables\n1..1\n");
        return 1;
    }
    run_target("import");
    run_target("value");
    run_target("tabledef");
    run_target("sheet");
    run_target("chart");
    run_target("changes");
    gy_fuzz_fini();
    T_DONE();
}
