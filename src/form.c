/* form.c - the empty CSV of a table kind (gaiyo template) */
#include "gaiyo/form.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* a equals b, ASCII letters in any case; b may be followed by suffix in a */
static bool name_eq(const char *a, const char *b, const char *suffix)
{
    for (; *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return false;
    for (; *suffix; a++, suffix++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*suffix))
            return false;
    return *a == '\0';
}

const gy_tabledef *gy_form_find(const gy_defset *s, const char *name)
{
    if (!*name)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (name_eq(name, s->v[i]->id, "") || name_eq(name, s->v[i]->file, ""))
            return s->v[i];
    /* the file name without its .csv */
    for (size_t i = 0; i < s->n; i++) {
        const char *f = s->v[i]->file;
        size_t n = strlen(f);
        if (n > 4 && name_eq(f + n - 4, ".csv", "") && strlen(name) == n - 4 &&
            name_eq(f, name, ".csv"))
            return s->v[i];
    }
    return NULL;
}

/* Whether a spreadsheet opening the CSV would read the cell as a formula
 * (Excel on Japanese Windows takes the full-width signs too). */
static bool formula_like(const char *s)
{
    static const char *const full[] = {"＝", "＋", "－", "＠"};
    if (s[0] && strchr("=+-@\t\r", s[0]))
        return true;
    for (size_t i = 0; i < sizeof full / sizeof *full; i++)
        if (!strncmp(s, full[i], strlen(full[i])))
            return true;
    return false;
}

/* Convert n bytes of UTF-8 to enc `to` (iconv name), appending to out.
 * Returns GY_OK, GY_EDATA with *bad the offset of the first character the
 * encoding cannot hold, GY_ENOMEM, or GY_EIO (no converter). */
static gy_status convert(const char *from, const char *to, const char *s, size_t n, gy_buf *out, size_t *bad)
{
    iconv_t cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return GY_EIO;
    char tmp[1024];
    char *ip = (char *)s;
    size_t il = n;
    gy_status st = GY_OK;
    while (il > 0 && st == GY_OK) {
        char *op = tmp;
        size_t ol = sizeof tmp;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        if (!gy_buf_add(out, tmp, (size_t)(op - tmp)))
            st = GY_ENOMEM;
        else if (r == (size_t)-1 && errno != E2BIG) {
            *bad = (size_t)(ip - s);
            st = GY_EDATA;
        }
    }
    iconv_close(cd);
    return st;
}

/* One column name in CP932 (appended to out), checked to read back as the
 * same name: the importer decodes CP932 and matches names exactly, so a
 * character CP932 lacks, or one it maps one way only (U+2212 → 0x817C →
 * U+FF0D), would make a header the importer refuses. */
static gy_status name_cp932(const gy_tabledef *def, const gy_coldef *c, gy_buf *out, gy_diags *d)
{
    gy_buf enc = {0}, back = {0};
    size_t bad = 0;
    gy_status st = convert("UTF-8", "CP932", c->name, strlen(c->name), &enc, &bad);
    if (st == GY_OK) {
        size_t bad2 = 0;
        st = convert("CP932", "UTF-8", enc.p ? enc.p : "", enc.n, &back, &bad2);
        if (st == GY_OK && (back.n != strlen(c->name) || memcmp(back.p ? back.p : "", c->name, back.n))) {
            /* the first character that changed */
            size_t k = 0;
            while (k < back.n && back.p[k] == c->name[k])
                k++;
            while (k > 0 && ((unsigned char)c->name[k] & 0xC0) == 0x80)
                k--;
            bad = k;
            st = GY_EDATA;
        }
    }
    if (st == GY_EDATA) {
        uint32_t cp = 0;
        gy_utf8_decode((const unsigned char *)c->name + bad, strlen(c->name + bad), &cp);
        gy_diag_add(d, def->path, c->line, 0,
                    "列名 '%s' の文字 U+%04X は CP932 (Shift_JIS) で書けません (--encoding utf-8 で書いてください)",
                    c->name, (unsigned)cp);
    } else if (st == GY_EIO) {
        gy_diag_add(d, def->path, 0, 0, "CP932 の変換器 (iconv) が使えません");
    } else if (st == GY_OK && !gy_buf_add(out, enc.p ? enc.p : "", enc.n)) {
        st = GY_ENOMEM;
    }
    gy_buf_free(&enc);
    gy_buf_free(&back);
    return st;
}

gy_status gy_form_csv(const gy_tabledef *def, gy_enc enc, gy_buf *out, gy_diags *d)
{
    gy_status st = GY_OK;
    bool cp932 = enc == GY_ENC_CP932;
    if (!cp932 && !gy_buf_add(out, "\xEF\xBB\xBF", 3))
        return GY_ENOMEM;
    for (size_t j = 0; j < def->ncols; j++) {
        const gy_coldef *c = &def->cols[j];
        if (formula_like(c->name)) {
            gy_diag_add(d, def->path, c->line, 0,
                        "列名 '%s' は表計算ソフトで式として読まれる文字で始まるため、様式に書けません", c->name);
            st = GY_EDEF;
            continue;
        }
        /* quoted when it holds what separates fields (the importer takes
         * the text between the quotes) */
        gy_buf f = {0};
        bool q = strpbrk(c->name, ",\"\r\n") != NULL;
        bool ok = gy_buf_puts(out, j ? "," : "") && gy_buf_puts(&f, q ? "\"" : "");
        for (const char *p = c->name; ok && *p; p++)
            ok = (*p != '"' || gy_buf_puts(&f, "\"")) && gy_buf_add(&f, p, 1);
        ok = ok && (!q || gy_buf_puts(&f, "\""));
        if (!ok) {
            gy_buf_free(&f);
            return GY_ENOMEM;
        }
        if (cp932) {
            gy_coldef tmp = *c;
            tmp.name = f.p;
            gy_status s2 = name_cp932(def, &tmp, out, d);
            if (s2 == GY_ENOMEM || s2 == GY_EIO) {
                gy_buf_free(&f);
                return s2;
            }
            if (s2 != GY_OK)
                st = GY_EDEF;
        } else if (!gy_buf_add(out, f.p, f.n)) {
            gy_buf_free(&f);
            return GY_ENOMEM;
        }
        gy_buf_free(&f);
    }
    if (!gy_buf_puts(out, "\r\n"))
        return GY_ENOMEM;
    return st;
}

/* Write n bytes as the file `name` of the open folder dirfd (shown as
 * `shown` in messages). *created: whether a new file was made (not one
 * replaced). */
static gy_status write_at(int dirfd, const char *shown, const char *name, const char *bytes, size_t n, bool force,
                          bool *created, gy_diags *d)
{
    *created = false;
    struct stat sb;
    bool exists = fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !S_ISREG(sb.st_mode)) {
        gy_diag_add(d, shown, 0, 0, "通常のファイルではないもの (%s) があります: 置き換えません",
                    S_ISLNK(sb.st_mode) ? "シンボリックリンク" : S_ISDIR(sb.st_mode) ? "フォルダ" : "特殊ファイル");
        return GY_EIO;
    }
    if (exists && !force) {
        gy_diag_add(d, shown, 0, 0, "ファイルが既にあります: 上書きしません (上書きするには --force)");
        return GY_EIO;
    }
    char *tmp = exists ? gy_asprintf(".%s.gaiyo-%ld.tmp", name, (long)getpid()) : NULL;
    if (exists && !tmp)
        return GY_ENOMEM;
    const char *target = tmp ? tmp : name;
    /* O_EXCL: a file that appeared since the check is never written into */
    int fd = openat(dirfd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        gy_diag_add(d, shown, 0, 0, "書けません: %s%s", strerror(errno),
                    errno == EEXIST ? " (上書きするには --force)" : "");
        free(tmp);
        return GY_EIO;
    }
    size_t off = 0;
    int err = 0;
    while (off < n) {
        ssize_t w = write(fd, bytes + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && tmp && renameat(dirfd, tmp, dirfd, name) != 0)
        err = errno;
    if (err) {
        unlinkat(dirfd, target, 0);
        gy_diag_add(d, shown, 0, 0, "書けません: %s", strerror(err));
        free(tmp);
        return GY_EIO;
    }
    *created = !tmp;
    free(tmp);
    return GY_OK;
}

gy_status gy_form_write(const char *path, const char *bytes, size_t n, bool force, gy_diags *d)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
        gy_diag_add(d, path, 0, 0, "ファイル名がありません");
        return GY_EUSAGE;
    }
    char *dir = slash ? (slash == path ? gy_strdup("/") : gy_strndup(path, (size_t)(slash - path))) : gy_strdup(".");
    if (!dir)
        return GY_ENOMEM;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        gy_diag_add(d, dir, 0, 0, "フォルダを開けません: %s", strerror(errno));
        free(dir);
        return GY_EIO;
    }
    free(dir);
    bool created;
    gy_status st = write_at(dfd, path, name, bytes, n, force, &created, d);
    close(dfd);
    return st;
}

/* a definition's file name as a name inside the folder: one plain name */
static bool plain_name(const char *s)
{
    if (!*s || s[0] == '.' || strchr(s, '/') || strchr(s, '\\'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

gy_status gy_form_write_all(const gy_defset *s, const char *dir, gy_enc enc, bool force, size_t *nwritten,
                            gy_diags *d)
{
    *nwritten = 0;
    gy_buf *forms = calloc(s->n ? s->n : 1, sizeof *forms);
    char **shown = calloc(s->n ? s->n : 1, sizeof *shown);
    bool *made = calloc(s->n ? s->n : 1, sizeof *made);
    gy_status st = forms && shown && made ? GY_OK : GY_ENOMEM;
    /* every form first: a definition CP932 cannot write stops all (every
     * such mistake listed) */
    for (size_t i = 0; i < s->n && st != GY_ENOMEM && st != GY_EIO; i++) {
        const gy_tabledef *t = s->v[i];
        if (!plain_name(t->file)) {
            gy_diag_add(d, t->path, 0, 0, "ファイル名 '%s' はフォルダの中の 1 つの名前ではありません", t->file);
            st = GY_EDEF;
            continue;
        }
        gy_status s2 = gy_form_csv(t, enc, &forms[i], d);
        if (s2 != GY_OK && (st == GY_OK || s2 != GY_EDEF))
            st = s2;
        if (!(shown[i] = gy_asprintf("%s/%s", dir, t->file)))
            st = GY_ENOMEM;
    }
    int dfd = -1;
    bool mkd = false;
    if (st == GY_OK) {
        if (mkdir(dir, 0777) == 0)
            mkd = true;
        else if (errno != EEXIST) {
            gy_diag_add(d, dir, 0, 0, "フォルダを作れません: %s", strerror(errno));
            st = GY_EIO;
        }
    }
    if (st == GY_OK && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        gy_diag_add(d, dir, 0, 0, "フォルダを開けません: %s", strerror(errno));
        st = GY_EIO;
    }
    /* every file checked before the first is written; all in the way listed */
    for (size_t i = 0; i < s->n && dfd >= 0 && st != GY_ENOMEM; i++) {
        struct stat sb;
        if (fstatat(dfd, s->v[i]->file, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(sb.st_mode)) {
            gy_diag_add(d, shown[i], 0, 0, "通常のファイルではないもの (%s) があります: 置き換えません",
                        S_ISLNK(sb.st_mode) ? "シンボリックリンク" : S_ISDIR(sb.st_mode) ? "フォルダ" : "特殊ファイル");
            st = GY_EIO;
        } else if (!force) {
            gy_diag_add(d, shown[i], 0, 0, "ファイルが既にあります: 上書きしません (上書きするには --force)");
            st = GY_EIO;
        }
    }
    for (size_t i = 0; i < s->n && st == GY_OK; i++) {
        st = write_at(dfd, shown[i], s->v[i]->file, forms[i].p, forms[i].n, force, &made[i], d);
        if (st == GY_OK)
            ++*nwritten;
    }
    if (st != GY_OK && dfd >= 0) {
        /* what this run made goes again (a file replaced with --force stays replaced) */
        for (size_t i = 0; i < s->n; i++)
            if (made[i])
                unlinkat(dfd, s->v[i]->file, 0);
        *nwritten = 0;
        if (mkd)
            rmdir(dir);
    }
    if (dfd >= 0)
        close(dfd);
    for (size_t i = 0; forms && i < s->n; i++)
        gy_buf_free(&forms[i]);
    for (size_t i = 0; shown && i < s->n; i++)
        free(shown[i]);
    free(forms);
    free(shown);
    free(made);
    return st;
}
