/* fingerprint.c - the incremental report's memory: a fingerprint (FNV-1a,
 * 64 bits) of everything a report depends on — the program's version,
 * SOURCE_DATE_EPOCH, the folders as named (--input, --templates: the
 * findings quote paths through them), and the relative path and bytes of every file under
 * input/ and templates/ (a symlink by its target's name and what it points
 * to: the bytes of a file, the files of a folder) — and the check
 * that out/.gaiyo-state holds that fingerprint and names only files that
 * are there. The folders are walked with opendir (not nftw, whose
 * callback would need file-scope state): paths as nftw gives them (the
 * top and a symlinked folder followed, never into a loop), sorted. Tested by tests/cli/cli_test.sh (a second run with
 * nothing changed says 変更はありません and rewrites nothing; a changed
 * input, template or symlink redoes the report). */
#include "gaiyo/fingerprint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fingerprint: has anything the report depends on changed? ---------- */

/* a file found, with its type as lstat saw it */
typedef struct fp_entry {
    char *path;
    mode_t mode;
} fp_entry;

/* the files found under one folder */
typedef struct fp_walk {
    fp_entry *v;
    size_t n, cap;
    bool oom;
} fp_walk;

static bool fp_add(fp_walk *w, const char *path, mode_t mode)
{
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 64;
        fp_entry *nv = realloc(w->v, nc * sizeof *nv);
        if (!nv)
            return !(w->oom = true);
        w->v = nv;
        w->cap = nc;
    }
    if (!(w->v[w->n].path = gy_strdup(path)))
        return !(w->oom = true);
    w->v[w->n++].mode = mode;
    return true;
}

/* a folder being walked, and the folders that hold it: a symlink back to
 * one of them is not walked again */
typedef struct fp_dirs {
    dev_t dev;
    ino_t ino;
    const struct fp_dirs *up;
} fp_dirs;

/* every file and symlink under path, the top followed if it is a symlink
 * (--input and --templates may name one); a folder that cannot be read or
 * an entry that cannot be stat'ed is passed over; -1 if the top cannot be
 * stat'ed. A symlink is an entry by itself (its target's name), and a
 * symlink to a folder is walked too (not back into a folder that holds
 * it): the import and the template loaders read through it (a template
 * wherever it points, as bench/templates does), so what it points to is
 * part of what the report depends on. */
static int fp_visit(fp_walk *w, const char *path, bool top, const fp_dirs *up)
{
    struct stat sb;
    if ((top ? stat(path, &sb) : lstat(path, &sb)) != 0)
        return top ? -1 : 0;
    if (S_ISLNK(sb.st_mode)) {
        if (!fp_add(w, path, sb.st_mode))
            return 1;
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return 0;
    } else if (!S_ISDIR(sb.st_mode)) {
        return fp_add(w, path, sb.st_mode) ? 0 : 1;
    }
    for (const fp_dirs *a = up; a; a = a->up)
        if (a->dev == sb.st_dev && a->ino == sb.st_ino)
            return 0;
    fp_dirs here = {sb.st_dev, sb.st_ino, up};
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    size_t pl = strlen(path);
    bool slash = pl && path[pl - 1] == '/';
    int r = 0;
    for (struct dirent *e; r == 0 && (e = readdir(dir));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = gy_asprintf("%s%s%s", path, slash ? "" : "/", e->d_name);
        if (!child) {
            w->oom = true;
            r = 1;
            break;
        }
        r = fp_visit(w, child, false, &here);
        free(child);
    }
    closedir(dir);
    return r;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(((const fp_entry *)a)->path, ((const fp_entry *)b)->path);
}

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= s[i];
        *h *= 1099511628211ull;
    }
}

/* hash the bytes of a regular file that the walk saw as one (lstat; or
 * stat through a symlink: follow): opened without following a link (unless
 * follow) or waiting on a FIFO put there since, checked again on the
 * descriptor, read through buf. false: not a regular file (any more),
 * bigger than an input may be, or unreadable. */
static bool fnv_file(uint64_t *h, const char *path, bool follow, char *buf, size_t bufsize)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return false;
    struct stat sb;
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size <= GY_INPUT_MAX;
    unsigned long long total = 0;
    for (ssize_t r; ok;) {
        r = read(fd, buf, bufsize);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        fnv(h, buf, (size_t)r);
        total += (unsigned long long)r;
        ok = total <= GY_INPUT_MAX;
    }
    close(fd);
    return ok;
}

char *gy_report_fingerprint(const char *input, const char *templates)
{
    uint64_t h = 1469598103934665603ull;
    /* the folders as named: findings and the workbook quote files by
     * these paths (input/R6/yosan.csv:8:11, templates/tables/…def:73), so
     * the same bytes named otherwise (--input /abs/input) are a new report */
    const char *parts[] = {"gaiyo " GAIYO_VERSION, getenv("SOURCE_DATE_EPOCH") ? getenv("SOURCE_DATE_EPOCH") : "",
                           input, templates};
    for (size_t i = 0; i < 4; i++)
        fnv(&h, parts[i], strlen(parts[i]) + 1);
    const char *dirs[] = {input, templates};
    enum { BUFSIZE = 1 << 16 };
    char *buf = malloc(BUFSIZE);
    bool ok = buf != NULL;
    for (size_t k = 0; k < 2 && ok; k++) {
        fp_walk w = {0};
        /* nftw drops the top's trailing slashes */
        char *top = gy_strdup(dirs[k]);
        if (!top) {
            ok = false;
            break;
        }
        for (size_t tl = strlen(top); tl > 1 && top[tl - 1] == '/'; tl--)
            top[tl - 1] = '\0';
        size_t toplen = strlen(top);
        if (fp_visit(&w, top, true, NULL) != 0 || w.oom)
            ok = false;
        free(top);
        if (w.n)
            qsort(w.v, w.n, sizeof *w.v, cmp_path);
        for (size_t i = 0; i < w.n; i++) {
            /* paths relative to the folder (the folder's name counted once, above) */
            const char *rel = w.v[i].path + toplen;
            fnv(&h, rel, strlen(rel) + 1);
            if (ok && S_ISLNK(w.v[i].mode)) {
                /* a symlink by its target's name, and a file it points to
                 * (wherever that is) by its bytes, as it is read through
                 * the link; a folder it points to was walked; a dangling
                 * one adds nothing (the import says why) */
                char lt[4096];
                ssize_t ll = readlink(w.v[i].path, lt, sizeof lt);
                struct stat tsb;
                if ((ok = ll >= 0))
                    fnv(&h, lt, (size_t)ll);
                if (ok && stat(w.v[i].path, &tsb) == 0 && !S_ISDIR(tsb.st_mode))
                    ok = S_ISREG(tsb.st_mode) && fnv_file(&h, w.v[i].path, true, buf, BUFSIZE);
            } else if (ok) { /* a FIFO, a socket or a device: no fingerprint (the import says why) */
                ok = S_ISREG(w.v[i].mode) && fnv_file(&h, w.v[i].path, false, buf, BUFSIZE);
            }
            free(w.v[i].path);
        }
        free(w.v);
    }
    free(buf);
    return ok ? gy_asprintf("%016llx", (unsigned long long)h) : NULL;
}

/* out/.gaiyo-state: the fingerprint ("-": an incomplete report), then the
 * files of the report that are sound (gy_report_write) */
bool gy_report_up_to_date(const char *outdir, const char *fp)
{
    char *path = gy_asprintf("%s/.gaiyo-state", outdir), *text = NULL;
    size_t len = 0;
    bool ok = path && fp && gy_read_file(path, &text, &len) == 0;
    free(path);
    if (!ok)
        return false;
    char *save = NULL, *first = strtok_r(text, "\n", &save);
    ok = first && !strcmp(first, fp);
    for (char *name = ok ? strtok_r(NULL, "\n", &save) : NULL; name && ok; name = strtok_r(NULL, "\n", &save)) {
        char *p = gy_asprintf("%s/%s", outdir, name);
        struct stat sb;
        ok = p && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode); /* a symlink is not a file of the report */
        free(p);
    }
    free(text);
    return ok;
}
