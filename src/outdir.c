/* outdir.c - staged, atomic writing of out/ */
#include "gaiyo/outdir.h"
#include "gaiyo/util.h"
#include "gaiyo/testhooks.h"

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
    const char *k = gy_test_hook_str("GAIYO_TEST_KILL");
    if (k && !strcmp(k, when))
        raise(SIGKILL);
}

static int mkparents(char *path);
static int sync_dirs(const char *base, char *const *names, size_t n, char **bad);

/* inside the staging folder: the kept old versions of the files a commit
 * replaces, and the mark of a commit being undone (name_ok refuses both
 * for output files) */
#define KEPT ".staging-old"
#define UNDO ".staging-undo"

/* The folder of `name` (relative to the folder rootfd) opened step by step
 * without following a symlink (O_NOFOLLOW: a symlink is ELOOP or ENOTDIR);
 * missing folders are made when create. A new descriptor, or -1 with
 * errno; *base is the last part of name. */
static int open_parent(int rootfd, const char *name, bool create, const char **base)
{
    int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    const char *p = name;
    for (const char *e; fd >= 0 && (e = strchr(p, '/')); p = e + 1) {
        char *part = gy_strndup(p, (size_t)(e - p));
        int nfd = -1, err = ENOMEM;
        if (part && (!create || mkdirat(fd, part, 0777) == 0 || errno == EEXIST)) {
            nfd = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            err = errno;
        } else if (part) {
            err = errno;
        }
        free(part);
        close(fd);
        fd = nfd;
        errno = err;
    }
    *base = p;
    return fd;
}

/* whether rootfd/name is there (not following a last symlink) */
static bool there_at(int rootfd, const char *name)
{
    const char *base;
    int fd = open_parent(rootfd, name, false, &base);
    struct stat sb;
    bool r = fd >= 0 && fstatat(fd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    if (fd >= 0)
        close(fd);
    return r;
}

/* rename fromfd/from to tofd/to (both relative, no symlink followed on the
 * way; the folders of `to` are made); 0 or -1 with errno */
static int move_at(int fromfd, const char *from, int tofd, const char *to)
{
    const char *fb, *tb;
    int ffd = open_parent(fromfd, from, false, &fb);
    int tfd = ffd >= 0 ? open_parent(tofd, to, true, &tb) : -1;
    int r = tfd >= 0 ? renameat(ffd, fb, tfd, tb) : -1;
    int e = errno;
    if (ffd >= 0)
        close(ffd);
    if (tfd >= 0)
        close(tfd);
    errno = e;
    return r;
}

/* remove rootfd/name (a missing file is not an error) */
static int unlink_at(int rootfd, const char *name)
{
    const char *base;
    int fd = open_parent(rootfd, name, false, &base);
    int r = fd >= 0 ? unlinkat(fd, base, 0) : -1;
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
    return r != 0 && e == ENOENT ? 0 : r;
}

/* write the mark of an undo (UNDO) into the staging folder, durably */
static int mark_undo(int stagefd)
{
    int fd = openat(stagefd, UNDO, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    int r = fd >= 0 && fsync(fd) == 0 && fsync(stagefd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

/* Put the previous report back (undo a commit): a file that replaced an
 * old one (kept[i]) gets its old version back from KEPT/; a file that was
 * new goes again once it was moved in (no longer in the staging folder).
 * Runs again without harm (after a kill). The number of files it could
 * not put back, each with a diagnostic when d. */
static size_t undo_moves(int rootfd, int stagefd, const char *dir, char *const *names, const bool *kept, size_t n,
                         gy_diags *d)
{
    size_t bad = 0;
    for (size_t i = n; i-- > 0;) {
        int r = 0;
        bool moved = !there_at(stagefd, names[i]);
        if (kept[i] && !moved && there_at(rootfd, names[i]))
            continue; /* never moved: the old file is in place */
        if (kept[i]) {
            char *k = gy_asprintf(KEPT "/%s", names[i]);
            r = k && (move_at(stagefd, k, rootfd, names[i]) == 0 || errno == ENOENT) ? 0 : -1;
            free(k);
        } else if (moved) {
            r = unlink_at(rootfd, names[i]);
        }
        if (r != 0) {
            bad++;
            if (d) {
                char *to = gy_asprintf("%s/%s", dir, names[i]);
                gy_diag_add(d, to ? to : dir, 0, 0, "前回の報告のファイルに戻せません: %s", strerror(errno));
                free(to);
            }
        }
    }
    return bad;
}

/* A commit killed half way left out/.commit: the journal names the staging
 * folder and its files ("R name": replaces an old file, kept in KEPT/;
 * "N name": a new one), all complete. Finish the renames (roll forward),
 * so that out/ holds the whole new report, never a mix; a commit that was
 * being undone (UNDO in the staging folder), or whose renames fail now, is
 * undone instead. If that fails too, the state (the last file) is removed:
 * it never vouches for a report that is not there. */
void gy_outdir_recover(const char *dir)
{
    char *jp = gy_asprintf("%s/.commit", dir);
    char *text = NULL;
    size_t len = 0;
    struct stat jb;
    if (!jp || lstat(jp, &jb) != 0) {
        free(jp);
        return;
    }
    if (!S_ISREG(jb.st_mode) || gy_read_file(jp, &text, &len) != 0) {
        /* not a journal gaiyo wrote (never read through a symlink) */
        unlink(jp);
        free(jp);
        return;
    }
    int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *save = NULL, *stage = strtok_r(text, "\n", &save);
    bool stage_ok = stage && !strncmp(stage, ".staging-", 9) && !strchr(stage, '/');
    int stagefd = rootfd >= 0 && stage_ok ? openat(rootfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    char **names = NULL;
    bool *kept = NULL;
    size_t nn = 0;
    for (char *name = stagefd >= 0 ? strtok_r(NULL, "\n", &save) : NULL; name; name = strtok_r(NULL, "\n", &save)) {
        bool k = true;
        if ((name[0] == 'R' || name[0] == 'N') && name[1] == ' ') {
            k = name[0] == 'R';
            name += 2;
        }
        if (!name_ok(name))
            continue;
        char **nv = realloc(names, (nn + 1) * sizeof *nv);
        if (nv)
            names = nv;
        bool *kv = nv ? realloc(kept, (nn + 1) * sizeof *kv) : NULL;
        if (!kv)
            break;
        kept = kv;
        names[nn] = name;
        kept[nn++] = k;
    }
    if (stagefd >= 0) {
        bool back = there_at(stagefd, UNDO);
        for (size_t i = 0; i < nn && !back; i++)
            if (there_at(stagefd, names[i]) && move_at(stagefd, names[i], rootfd, names[i]) != 0) {
                (void)mark_undo(stagefd);
                back = true;
            }
        if (back && undo_moves(rootfd, stagefd, dir, names, kept, nn, NULL) && nn)
            (void)unlink_at(rootfd, names[nn - 1]);
    }
    /* the moves durable (out/ and the folders that received files) before
     * the journal goes */
    (void)sync_dirs(dir, names, nn, NULL);
    free(names);
    free(kept);
    if (stagefd >= 0)
        close(stagefd);
    if (rootfd >= 0)
        close(rootfd);
    if (stage_ok) {
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

/* whether out/name can take the staged file: every folder on its way a
 * real folder (never a symlink: nothing is written through one) on the
 * staging folder's file system, writable; the file itself missing or a
 * regular file. A diagnostic names the first part in the way (once). */
static bool dest_ok(int rootfd, dev_t dev, const char *dir, const char *name, gy_diags *d)
{
    int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    bool ok = fd >= 0;
    for (const char *p = name; ok;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char *part = gy_strndup(p, l);
        char *shown = gy_asprintf("%s/%.*s", dir, (int)(p + l - name), name);
        const char *msg = NULL;
        int err = 0;
        struct stat sb;
        if (!part || !shown) {
            ok = false;
        } else if (fstatat(fd, part, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            /* missing: made by the commit, inside a folder checked here */
            if (errno != ENOENT) {
                msg = "調べられません";
                err = errno;
            }
            e = NULL;
        } else if (S_ISLNK(sb.st_mode)) {
            msg = e ? "シンボリックリンクです — out/ の中ではたどらず、その先には書きません (普通のフォルダにしてください)"
                    : "シンボリックリンクです — out/ の中ではたどらず、その先には書きません (消してください)";
        } else if (e && !S_ISDIR(sb.st_mode)) {
            msg = "フォルダのあるべき場所にフォルダ以外のものがあります";
        } else if (!e && !S_ISREG(sb.st_mode)) {
            msg = "出力ファイルの場所にファイル以外のものがあります";
        } else if (sb.st_dev != dev) {
            msg = "out/ と別のファイルシステムにあります — 出力ファイルを置き換えられません";
        } else if (e && faccessat(fd, part, W_OK | X_OK, AT_EACCESS) != 0) {
            msg = "フォルダに書けません";
            err = errno;
        }
        if (msg) {
            ok = false;
            /* the files of one folder in the way: said once */
            if (!(d->n && d->v[d->n - 1].file && !strcmp(d->v[d->n - 1].file, shown))) {
                if (err)
                    gy_diag_add(d, shown, 0, 0, "%s: %s", msg, strerror(err));
                else
                    gy_diag_add(d, shown, 0, 0, "%s", msg);
            }
        }
        if (ok && e) {
            int nfd = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (nfd < 0) {
                gy_diag_add(d, shown, 0, 0, "フォルダを開けません: %s", strerror(errno));
                ok = false;
            }
            close(fd);
            fd = nfd;
        }
        free(part);
        free(shown);
        if (!e)
            break;
        p = e + 1;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

/* copy fromfd/from to tofd/to (a new file), synced */
static int copy_at(int fromfd, const char *from, int tofd, const char *to)
{
    int in = openat(fromfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int out = in >= 0 ? openat(tofd, to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;
    int r = out >= 0 ? 0 : -1, e = errno;
    char buf[1 << 16];
    for (ssize_t got; r == 0 && (got = read(in, buf, sizeof buf)) != 0;) {
        if (got < 0 && errno == EINTR)
            continue;
        for (ssize_t put = 0, w; r == 0 && got > 0 && put < got; put += w > 0 ? w : 0)
            if ((w = write(out, buf + put, (size_t)(got - put))) < 0 && errno != EINTR)
                r = -1, e = errno;
        if (got < 0)
            r = -1, e = errno;
    }
    if (r == 0 && fsync(out) != 0)
        r = -1, e = errno;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    errno = e;
    return r;
}

/* keep the file out/name that the commit replaces (if there is one) as
 * stage/KEPT/name: a hard link (a copy where the file system has none), so
 * that the commit can be undone. *had: there was one. 0 or -1 with errno. */
static int keep_old(int rootfd, int stagefd, const char *name, bool *had)
{
    *had = false;
    const char *base, *kb;
    int pfd = open_parent(rootfd, name, false, &base);
    struct stat sb;
    if (pfd < 0 || fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        if (pfd >= 0)
            close(pfd);
        errno = e;
        return e == ENOENT ? 0 : -1;
    }
    char *k = gy_asprintf(KEPT "/%s", name);
    int kfd = k ? open_parent(stagefd, k, true, &kb) : -1;
    int r = -1;
    if (kfd >= 0) {
        r = linkat(pfd, base, kfd, kb, 0);
        if (r != 0 && errno != EEXIST && errno != ENOSPC && errno != EDQUOT && errno != EIO)
            r = copy_at(pfd, base, kfd, kb);
    }
    int e = errno;
    *had = r == 0;
    if (kfd >= 0)
        close(kfd);
    close(pfd);
    free(k);
    errno = e;
    return r;
}

gy_status gy_outdir_commit(gy_outdir *o, gy_diags *d)
{
    gy_status st = GY_OK;
    int rootfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *sbase = strrchr(o->stage, '/');
    sbase = sbase ? sbase + 1 : o->stage;
    int stagefd = rootfd >= 0 ? openat(rootfd, sbase, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    struct stat ssb;
    if (stagefd < 0 || fstat(stagefd, &ssb) != 0) {
        gy_diag_add(d, o->stage, 0, 0, "出力フォルダを開けません: %s", strerror(errno));
        st = GY_EIO;
    }
    /* first make sure every file can be replaced, so that a commit does
     * not stop half way (a folder in the way, a symlink, another file
     * system, an unwritable out/) */
    for (size_t i = 0; i < o->n && stagefd >= 0; i++)
        if (!dest_ok(rootfd, ssb.st_dev, o->dir, o->names[i], d))
            st = GY_EIO;
    if (access(o->dir, W_OK) != 0) {
        gy_diag_add(d, o->dir, 0, 0, "出力フォルダに書けません: %s", strerror(errno));
        st = GY_EIO;
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
    /* the old files kept (hard links in the staging folder): a commit that
     * cannot finish puts them back */
    bool *kept = calloc(o->n ? o->n : 1, sizeof *kept);
    if (!kept && st == GY_OK)
        st = GY_ENOMEM;
    for (size_t i = 0; i < o->n && st == GY_OK; i++)
        if (keep_old(rootfd, stagefd, o->names[i], &kept[i]) != 0) {
            char *to = gy_asprintf("%s/%s", o->dir, o->names[i]);
            gy_diag_add(d, to ? to : o->dir, 0, 0, "前回の報告のファイルを控えられません: %s", strerror(errno));
            free(to);
            st = GY_EIO;
        }
    /* … and their names: the staging folder and its folders (charts/),
     * and those of the kept files (an undo after a power loss needs them) */
    char *bad = NULL, **kn = calloc(o->n ? o->n : 1, sizeof *kn);
    size_t nk = 0;
    for (size_t i = 0; kn && i < o->n; i++)
        if (kept && kept[i] && (kn[nk] = gy_asprintf(KEPT "/%s", o->names[i])))
            nk++;
    if (st == GY_OK && (!kn || sync_dirs(o->stage, kn, nk, &bad) != 0 ||
                        sync_dirs(o->stage, o->names, o->n, &bad) != 0)) {
        gy_diag_add(d, bad ? bad : o->stage, 0, 0, "出力フォルダをディスクに書き込めません: %s", strerror(errno));
        st = GY_EIO;
    }
    free(bad);
    for (size_t i = 0; i < nk; i++)
        free(kn[i]);
    free(kn);
    if (st != GY_OK) {
        free(kept);
        if (stagefd >= 0)
            close(stagefd);
        if (rootfd >= 0)
            close(rootfd);
        gy_outdir_abort(o);
        return st;
    }
    test_kill("before-commit");
    /* the journal: written and synced (with out/, which holds its name)
     * before the first rename; after a kill or a power loss between two
     * renames the next run rolls the commit forward */
    gy_buf j = {0};
    gy_buf_printf(&j, "%s\n", sbase);
    for (size_t i = 0; i < o->n; i++)
        gy_buf_printf(&j, "%c %s\n", kept[i] ? 'R' : 'N', o->names[i]);
    char *jp = gy_asprintf("%s/.commit", o->dir);
    int jfd = j.p ? openat(rootfd, ".commit", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;
    bool jok = jfd >= 0 && write(jfd, j.p, j.n) == (ssize_t)j.n && fsync(jfd) == 0;
    if (jfd >= 0 && close(jfd) != 0)
        jok = false;
    if (jok && sync_path(o->dir, true) != 0)
        jok = false;
    gy_buf_free(&j);
    if (!jok) {
        gy_diag_add(d, jp ? jp : o->dir, 0, 0, "出力フォルダに書けません: %s", strerror(errno));
        if (jfd >= 0)
            unlinkat(rootfd, ".commit", 0);
        free(jp);
        free(kept);
        close(stagefd);
        close(rootfd);
        gy_outdir_abort(o);
        return GY_EIO;
    }
    /* the last file (the state that vouches for the report) goes first and
     * comes back last: out/ never holds a state with files not its own */
    size_t failed = o->n;
    if (o->n && kept[o->n - 1] && unlink_at(rootfd, o->names[o->n - 1]) != 0) {
        gy_diag_add(d, o->dir, 0, 0, "%s を消せません: %s", o->names[o->n - 1], strerror(errno));
        failed = 0;
    }
    for (size_t i = 0; i < o->n && failed == o->n; i++) {
        if (i == 1)
            test_kill("mid-commit");
        if (move_at(stagefd, o->names[i], rootfd, o->names[i]) != 0) {
            char *to = gy_asprintf("%s/%s", o->dir, o->names[i]);
            gy_diag_add(d, to ? to : o->dir, 0, 0, "出力ファイルを置き換えられません: %s", strerror(errno));
            free(to);
            failed = i;
        }
    }
    if (failed < o->n) {
        /* undo: the previous report back whole (the journal marked first,
         * so that a kill meanwhile is undone by the next run too) */
        (void)mark_undo(stagefd);
        if (undo_moves(rootfd, stagefd, o->dir, o->names, kept, o->n, d)) {
            (void)unlink_at(rootfd, o->names[o->n - 1]);
            gy_diag_add(d, o->dir, 0, 0,
                        "前回の報告にも戻せませんでした — %s には前回と今回のファイルが混ざっています。%s "
                        "を消したので、次の実行で報告全体を作り直します",
                        o->dir, o->names[o->n - 1]);
            o->mixed = true;
        }
        st = GY_EIO;
    }
    /* the renames durable: every folder that received a file (out/,
     * out/charts …), before the journal goes */
    bad = NULL;
    if (sync_dirs(o->dir, o->names, o->n, &bad) != 0 && st == GY_OK) {
        gy_diag_add(d, bad ? bad : o->dir, 0, 0, "出力フォルダをディスクに書き込めません: %s", strerror(errno));
        st = GY_EIO;
    }
    free(bad);
    unlinkat(rootfd, ".commit", 0);
    free(jp);
    free(kept);
    close(stagefd);
    close(rootfd);
    bool mixed = o->mixed;
    gy_outdir_abort(o);
    o->mixed = mixed;
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
