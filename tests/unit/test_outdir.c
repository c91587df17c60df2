/* test_outdir.c - out/ is replaced atomically, never half-written */
#include "gaiyo/outdir.h"
#include "gaiyo/util.h"
#include "t.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* the file's text, kept until the next call */
static const char *slurp(const char *p)
{
    static char *last;
    free(last);
    last = NULL;
    size_t n;
    if (gy_read_file(p, &last, &n))
        last = NULL;
    return last;
}

static int count_staging(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, ".staging", 8))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void write_one(const char *dir, const char *name, const char *text, bool commit)
{
    gy_diags d = {0};
    gy_outdir o;
    T_EQ_INT(gy_outdir_open(&o, dir, &d), GY_OK);
    FILE *fp = gy_outdir_fopen(&o, name, &d);
    T_CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        T_EQ_INT(gy_outdir_fclose(&o, fp, name, &d), GY_OK);
    }
    if (commit)
        T_EQ_INT(gy_outdir_commit(&o, &d), GY_OK);
    else
        gy_outdir_abort(&o);
    gy_diags_free(&d);
}

static void commit_replaces(void)
{
    system("rm -rf od1");
    write_one("od1", "a.txt", "first\n", true);
    T_EQ_STR(slurp("od1/a.txt"), "first\n");
    write_one("od1", "a.txt", "second\n", true);
    T_EQ_STR(slurp("od1/a.txt"), "second\n");
    T_EQ_INT(count_staging("od1"), 0);
}

static void abort_leaves_previous(void)
{
    system("rm -rf od2");
    write_one("od2", "a.txt", "good\n", true);
    write_one("od2", "a.txt", "half", false);
    T_EQ_STR(slurp("od2/a.txt"), "good\n");
    T_EQ_INT(count_staging("od2"), 0);
}

static void subfolders(void)
{
    system("rm -rf od3");
    write_one("od3", "charts/x.txt", "c\n", true);
    T_EQ_STR(slurp("od3/charts/x.txt"), "c\n");
}

static void names_outside_refused(void)
{
    gy_diags d = {0};
    gy_outdir o;
    system("rm -rf od4");
    T_EQ_INT(gy_outdir_open(&o, "od4", &d), GY_OK);
    T_CHECK(gy_outdir_fopen(&o, "../escape.txt", &d) == NULL);
    T_CHECK(gy_outdir_fopen(&o, "/tmp/escape.txt", &d) == NULL);
    T_CHECK(gy_outdir_fopen(&o, "a/../../b", &d) == NULL);
    T_CHECK(gy_outdir_fopen(&o, "", &d) == NULL);
    T_CHECK(gy_outdir_fopen(&o, ".staging-1/x", &d) == NULL);
    T_EQ_INT(d.n, 5);
    if (d.n)
        T_CONTAINS(d.v[0].msg, "out/ の外");
    gy_outdir_abort(&o);
    T_CHECK(access("../escape.txt", F_OK) != 0);
    gy_diags_free(&d);
}

static void stale_staging_of_killed_run_removed(void)
{
    system("rm -rf od5 && mkdir -p od5/.staging-999999/x && echo partial > od5/.staging-999999/x/y");
    write_one("od5", "a.txt", "ok\n", true);
    T_EQ_INT(count_staging("od5"), 0);
}

static void full_disk_is_an_error(void)
{
    gy_diags d = {0};
    FILE *fp = fopen("/dev/full", "w");
    T_CHECK(fp != NULL);
    if (!fp)
        return;
    for (int i = 0; i < 10000; i++)
        fputs("0123456789", fp);
    T_EQ_INT(gy_outdir_fclose(NULL, fp, "/dev/full", &d), GY_EIO);
    T_EQ_INT(d.n, 1);
    gy_diags_free(&d);
}

static void unwritable_out_is_an_error(void)
{
    gy_diags d = {0};
    gy_outdir o;
    system("rm -rf od6 && echo file > od6");
    T_EQ_INT(gy_outdir_open(&o, "od6/sub", &d), GY_EIO);
    T_EQ_INT(d.n, 1);
    gy_outdir_abort(&o);
    gy_diags_free(&d);
}

/* a commit killed while it was being undone (.staging-undo): the next
 * run finishes the undo — the kept old file back, the new file gone */
static void killed_undo_is_finished(void)
{
    system("rm -rf od7 && mkdir -p od7/.staging-999999/.staging-old && echo old > od7/a.txt"
           " && ln od7/a.txt od7/.staging-999999/.staging-old/a.txt && echo new > od7/a.txt.new"
           " && mv od7/a.txt.new od7/a.txt && echo new > od7/b.txt && : > od7/.staging-999999/.staging-undo"
           " && printf '.staging-999999\\nR a.txt\\nN b.txt\\n' > od7/.commit");
    gy_outdir_recover("od7");
    T_EQ_STR(slurp("od7/a.txt"), "old\n");
    T_CHECK(access("od7/b.txt", F_OK) != 0);
    T_CHECK(access("od7/.commit", F_OK) != 0);
    T_EQ_INT(count_staging("od7"), 0);
}

/* a folder on the way that is a symlink: the commit refuses, names it,
 * and writes nothing where it points */
static void symlinked_folder_refused(void)
{
    gy_diags d = {0};
    gy_outdir o;
    system("rm -rf od8 od8x && mkdir -p od8 od8x && ln -s ../od8x od8/charts");
    T_EQ_INT(gy_outdir_open(&o, "od8", &d), GY_OK);
    FILE *fp = gy_outdir_fopen(&o, "charts/x.txt", &d);
    T_CHECK(fp != NULL);
    if (fp)
        T_EQ_INT(gy_outdir_fclose(&o, fp, "charts/x.txt", &d), GY_OK);
    T_EQ_INT(gy_outdir_commit(&o, &d), GY_EIO);
    T_EQ_INT(d.n, 1);
    if (d.n)
        T_CONTAINS(d.v[0].msg, "シンボリックリンク");
    T_CHECK(access("od8x/x.txt", F_OK) != 0);
    T_EQ_INT(count_staging("od8"), 0);
    gy_diags_free(&d);
}

int main(void)
{
    TEST(commit_replaces);
    TEST(abort_leaves_previous);
    TEST(subfolders);
    TEST(names_outside_refused);
    TEST(stale_staging_of_killed_run_removed);
    TEST(full_disk_is_an_error);
    TEST(unwritable_out_is_an_error);
    TEST(killed_undo_is_finished);
    TEST(symlinked_folder_refused);
    T_DONE();
}
