/* outdir.c - staged, atomic writing of out/ */
#include "gaiyo/outdir.h"
#include "gaiyo/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rm_rf(const char *p)
{
    gy_remove_tree(p);
}

static bool name_ok(const char *name)
{
    if (!name || !*name || name[0] == '/')
        return false;
    const char *p = name;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[0] == '.' && l >= 8 && strncmp(p, ".staging", 8) == 0)
            return false;
        p += l + (e ? 1 : 0);
        if (e && !*p)
            return false;
    }
    return strchr(name, '\\') == NULL;
}

/* test hook (GAIYO_TEST_KILL=before-commit|mid-commit): die by SIGKILL at
 * that point, as a kill from outside would */
static void test_kill(const char *when)
{
    const char *k = getenv("GAIYO_TEST_KILL");
    if (k && !strcmp(k, when))
        raise(SIGKILL);
}

static int mkparents(char *path);
static int sync_dirs(const char *base, char *const *names, size_t n, char **bad);

/* A commit killed half way left out/.commit: the journal names the staging
 * folder and its files, all complete. Finish the renames (roll forward), so
 * that out/ holds the whole new report, never a mix. */
void gy_outdir_recover(const char *dir)
{
    char *jp = gy_asprintf("%s/.commit", dir);
    char *text = NULL;
    size_t len = 0;
    if (!jp || gy_read_file(jp, &text, &len) != 0) {
        free(jp);
        return;
    }
    char *save = NULL, *stage = strtok_r(text, "\n", &save);
    char **names = NULL;
    size_t nn = 0;
    for (char *name = stage ? strtok_r(NULL, "\n", &save) : NULL; name; name = strtok_r(NULL, "\n", &save)) {
        char *from = gy_asprintf("%s/%s/%s", dir, stage, name), *to = gy_asprintf("%s/%s", dir, name);
        struct stat sb;
        if (from && to && strstr(name, "..") == NULL && stat(from, &sb) == 0 && mkparents(to) == 0)
            (void)rename(from, to);
        char **nv = realloc(names, (nn + 1) * sizeof *nv);
        if (nv) {
            names = nv;
            names[nn++] = name;
        }
        free(from);
        free(to);
    }
    /* the moves durable (out/ and the folders that received files) before
     * the journal goes */
    (void)sync_dirs(dir, names, nn, NULL);
    free(names);
    if (stage && !strncmp(stage, ".staging-", 9)) {
        char *sp = gy_asprintf("%s/%s", dir, stage);
        if (sp)
            rm_rf(sp);
        free(sp);
    }
    unlink(jp);
    free(text);
    free(jp);
}

gy_status gy_outdir_open(gy_outdir *o, const char *dir, gy_diags *d)
{
    memset(o, 0, sizeof *o);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        gy_diag_add(d, dir, 0, 0, "出力フォルダを作れません: %s", strerror(errno));
        return GY_EIO;
    }
    gy_outdir_recover(dir);
    /* stale staging folders of killed runs (their pid is gone) */
    DIR *dp = opendir(dir);
    if (!dp) {
        gy_diag_add(d, dir, 0, 0, "出力フォルダを開けません: %s", strerror(errno));
        return GY_EIO;
    }
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (strncmp(de->d_name, ".staging-", 9) == 0) {
            long pid = strtol(de->d_name + 9, NULL, 10);
            if (pid > 0 && (pid == (long)getpid() || kill((pid_t)pid, 0) != 0)) {
                char *p = gy_asprintf("%s/%s", dir, de->d_name);
                if (p)
                    rm_rf(p);
                free(p);
            }
        }
    }
    closedir(dp);
    o->dir = gy_strdup(dir);
    o->stage = gy_asprintf("%s/.staging-%ld", dir, (long)getpid());
    if (!o->dir || !o->stage)
        return GY_ENOMEM;
    if (mkdir(o->stage, 0777) != 0) {
        gy_diag_add(d, dir, 0, 0, "出力フォルダに書けません: %s", strerror(errno));
        return GY_EIO;
    }
    return GY_OK;
}

/* fsync a file or folder by name; 0 on success */
static int sync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    /* a file system that cannot sync a folder (some network ones) says so
     * with EINVAL: nothing more can be done there */
    if (r != 0 && dir && (e == EINVAL || e == ENOTSUP))
        r = 0;
    errno = e;
    return r;
}

/* the folder of path (path up to its last '/') */
static char *dir_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? gy_strndup(path, (size_t)(sl - path)) : gy_strdup(".");
}

/* sync the folders that hold the files base/names[i] (each once, deepest
 * first), and base itself: a new name is durable only once its folder is
 * synced. 0, or -1 with errno and *bad (owned) the folder that failed. */
static int sync_dirs(const char *base, char *const *names, size_t n, char **bad)
{
    char **dirs = calloc(n + 1, sizeof *dirs);
    size_t nd = 0;
    int r = 0, e = 0;
    if (!dirs)
        return errno = ENOMEM, -1;
    for (size_t i = 0; i <= n && r == 0; i++) {
        char *p = i < n ? gy_asprintf("%s/%s", base, names[i]) : NULL;
        char *dd = i < n ? (p ? dir_of(p) : NULL) : gy_strdup(base);
        free(p);
        if (!dd) {
            r = -1;
            e = ENOMEM;
            break;
        }
        bool seen = false;
        for (size_t k = 0; k < nd && !seen; k++)
            seen = !strcmp(dirs[k], dd);
        if (seen)
            free(dd);
        else
            dirs[nd++] = dd;
    }
    /* deepest first: a child's path is longer than its parent's */
    for (size_t a = 1; a < nd; a++)
        for (size_t b = a; b > 0 && strlen(dirs[b]) > strlen(dirs[b - 1]); b--) {
            char *t = dirs[b];
            dirs[b] = dirs[b - 1];
            dirs[b - 1] = t;
        }
    for (size_t k = 0; k < nd && r == 0; k++)
        if (sync_path(dirs[k], true) != 0) {
            r = -1;
            e = errno;
            if (bad)
                *bad = gy_strdup(dirs[k]);
        }
    for (size_t k = 0; k < nd; k++)
        free(dirs[k]);
    free(dirs);
    errno = e;
    return r;
}

static int mkparents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int r = mkdir(path, 0777);
        int e = errno;
        *p = '/';
        if (r != 0 && e != EEXIST)
            return -1;
    }
    return 0;
}

char *gy_outdir_path(gy_outdir *o, const char *name, gy_diags *d)
{
    if (!name_ok(name)) {
        gy_diag_add(d, o->dir, 0, 0, "出力ファイル名 '%s' は out/ の外を指すため使えません", name ? name : "");
        return NULL;
    }
    char *p = gy_asprintf("%s/%s", o->stage, name);
    if (!p)
        return NULL;
    if (mkparents(p) != 0) {
        gy_diag_add(d, p, 0, 0, "フォルダを作れません: %s", strerror(errno));
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->names[i], name))
            return p;
    char **nv = realloc(o->names, (o->n + 1) * sizeof *nv);
    if (!nv) {
        free(p);
        return NULL;
    }
    o->names = nv;
    o->names[o->n] = gy_strdup(name);
    if (!o->names[o->n]) {
        free(p);
        return NULL;
    }
    o->n++;
    return p;
}

FILE *gy_outdir_fopen(gy_outdir *o, const char *name, gy_diags *d)
{
    char *p = gy_outdir_path(o, name, d);
    if (!p)
        return NULL;
    FILE *fp = fopen(p, "wb");
    if (!fp)
        gy_diag_add(d, p, 0, 0, "書き込めません: %s", strerror(errno));
    free(p);
    return fp;
}

gy_status gy_outdir_fclose(gy_outdir *o, FILE *fp, const char *name, gy_diags *d)
{
    (void)o;
    if (!fp)
        return GY_EIO;
    int bad = ferror(fp);
    if (fflush(fp) != 0)
        bad = 1;
    int e = errno;
    if (fclose(fp) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        gy_diag_add(d, name, 0, 0, "書き込みに失敗しました: %s", strerror(e ? e : EIO));
        return GY_EIO;
    }
    return GY_OK;
}

gy_status gy_outdir_commit(gy_outdir *o, gy_diags *d)
{
    gy_status st = GY_OK;
    /* first make sure every file can be replaced, so that a commit does
     * not stop half way (a folder in the way, an unwritable out/) */
    for (size_t i = 0; i < o->n; i++) {
        char *to = gy_asprintf("%s/%s", o->dir, o->names[i]);
        struct stat sb;
        if (to && lstat(to, &sb) == 0 && !S_ISREG(sb.st_mode)) {
            gy_diag_add(d, to, 0, 0, "出力ファイルの場所にファイル以外のものがあります");
            st = GY_EIO;
        }
        free(to);
    }
    if (access(o->dir, W_OK) != 0) {
        gy_diag_add(d, o->dir, 0, 0, "出力フォルダに書けません: %s", strerror(errno));
        st = GY_EIO;
    }
    if (st != GY_OK) {
        gy_outdir_abort(o);
        return st;
    }
    /* durable before anything moves: every staged file's bytes (also those
     * written by libxlsxwriter and gnuplot, by name), so that a power
     * loss after a rename cannot leave an empty or partial file in out/ */
    for (size_t i = 0; i < o->n && st == GY_OK; i++) {
        char *from = gy_asprintf("%s/%s", o->stage, o->names[i]);
        if (!from || sync_path(from, false) != 0) {
            gy_diag_add(d, from ? from : o->stage, 0, 0, "出力ファイルをディスクに書き込めません: %s",
                        strerror(from ? errno : ENOMEM));
            st = GY_EIO;
        }
        free(from);
    }
    /* … and their names: the staging folder and its folders (charts/) */
    char *bad = NULL;
    if (st == GY_OK && sync_dirs(o->stage, o->names, o->n, &bad) != 0) {
        gy_diag_add(d, bad ? bad : o->stage, 0, 0, "出力フォルダをディスクに書き込めません: %s", strerror(errno));
        st = GY_EIO;
    }
    free(bad);
    if (st != GY_OK) {
        gy_outdir_abort(o);
        return st;
    }
    test_kill("before-commit");
    /* the journal: written and synced (with out/, which holds its name)
     * before the first rename; after a kill or a power loss between two
     * renames the next run rolls the commit forward */
    gy_buf j = {0};
    const char *base = strrchr(o->stage, '/');
    gy_buf_printf(&j, "%s\n", base ? base + 1 : o->stage);
    for (size_t i = 0; i < o->n; i++)
        gy_buf_printf(&j, "%s\n", o->names[i]);
    char *jp = gy_asprintf("%s/.commit", o->dir);
    FILE *jf = jp && j.p ? fopen(jp, "wb") : NULL;
    bool jok = jf && fwrite(j.p, 1, j.n, jf) == j.n && fflush(jf) == 0 && fsync(fileno(jf)) == 0;
    if (jf && fclose(jf) != 0)
        jok = false;
    if (jok && sync_path(o->dir, true) != 0)
        jok = false;
    gy_buf_free(&j);
    if (!jok) {
        gy_diag_add(d, jp ? jp : o->dir, 0, 0, "出力フォルダに書けません: %s", strerror(errno));
        if (jp)
            unlink(jp);
        free(jp);
        gy_outdir_abort(o);
        return GY_EIO;
    }
    for (size_t i = 0; i < o->n; i++) {
        if (i == 1)
            test_kill("mid-commit");
        char *from = gy_asprintf("%s/%s", o->stage, o->names[i]);
        char *to = gy_asprintf("%s/%s", o->dir, o->names[i]);
        if (!from || !to) {
            free(from);
            free(to);
            st = GY_ENOMEM;
            break;
        }
        if (mkparents(to) != 0 || rename(from, to) != 0) {
            gy_diag_add(d, to, 0, 0, "出力ファイルを置き換えられません: %s", strerror(errno));
            st = GY_EIO;
        }
        free(from);
        free(to);
    }
    /* the renames durable: every folder that received a file (out/,
     * out/charts …), before the journal goes */
    bad = NULL;
    if (sync_dirs(o->dir, o->names, o->n, &bad) != 0 && st == GY_OK) {
        gy_diag_add(d, bad ? bad : o->dir, 0, 0, "出力フォルダをディスクに書き込めません: %s", strerror(errno));
        st = GY_EIO;
    }
    free(bad);
    unlink(jp);
    free(jp);
    gy_outdir_abort(o);
    return st;
}

void gy_outdir_abort(gy_outdir *o)
{
    if (o->stage)
        rm_rf(o->stage);
    for (size_t i = 0; i < o->n; i++)
        free(o->names[i]);
    free(o->names);
    free(o->stage);
    free(o->dir);
    memset(o, 0, sizeof *o);
}
