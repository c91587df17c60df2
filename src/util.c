/* util.c - strings, files, UTF-8 */
#include "gaiyo/util.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *gy_strdup(const char *s)
{
    return s ? gy_strndup(s, strlen(s)) : NULL;
}

char *gy_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gy_vasprintf(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *gy_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = gy_vasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void *gy_malloc_big(size_t n, size_t size)
{
    enum { HUGE = 1 << 21 };
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    if (total < HUGE)
        return malloc(total ? total : 1);
    size_t round = (total + HUGE - 1) & ~(size_t)(HUGE - 1);
    void *p = NULL;
    if (round < total || posix_memalign(&p, HUGE, round) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, round, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    return p;
}

void *gy_calloc_big(size_t n, size_t size)
{
    void *p = gy_malloc_big(n, size);
    if (p)
        memset(p, 0, n * size); /* no overflow: gy_malloc_big checked it */
    return p;
}

/* whether the resolved path `real` lies inside the resolved folder `root` */
static bool inside(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (n && root[n - 1] == '/')
        n--; /* "/" */
    return !strncmp(real, root, n) && real[n] == '/';
}

int gy_path_inside(const char *path, const char *root, char **resolved)
{
    if (resolved)
        *resolved = NULL;
    char *rr = realpath(root, NULL);
    if (!rr)
        return errno ? errno : EIO;
    char *real = realpath(path, NULL);
    int e = real ? 0 : errno ? errno : EIO;
    if (!e && !inside(real, rr))
        e = GY_EFILE_OUTSIDE;
    free(rr);
    if (!e && resolved)
        *resolved = real;
    else
        free(real);
    return e;
}

int gy_open_regular(const char *path, const char *root, size_t max, int *fdp, struct stat *sb)
{
    *fdp = -1;
    char *real = NULL;
    if (root) {
        int e = gy_path_inside(path, root, &real);
        if (e)
            return e;
    }
    const char *p = real ? real : path;
    /* look before opening: a FIFO, a socket or a device is not opened at
     * all; then check what was opened (O_NONBLOCK: a FIFO put there
     * meanwhile does not block the open) */
    struct stat pre;
    int e = stat(p, &pre) != 0 ? (errno ? errno : EIO) : !S_ISREG(pre.st_mode) ? GY_EFILE_NOTREG : 0;
    int fd = e ? -1 : open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (real ? O_NOFOLLOW : 0));
    if (!e && fd < 0)
        e = errno ? errno : EIO;
    free(real);
    if (!e && fstat(fd, sb) != 0)
        e = errno ? errno : EIO;
    if (!e && !S_ISREG(sb->st_mode))
        e = GY_EFILE_NOTREG;
    if (!e && (unsigned long long)sb->st_size > max)
        e = GY_EFILE_TOOBIG;
    if (!e) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (e) {
        if (fd >= 0)
            close(fd);
        return e;
    }
    *fdp = fd;
    return 0;
}

int gy_read_fd(int fd, const struct stat *sb, size_t max, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    /* a regular file is read into a buffer of its size (a big one aligned
     * for transparent huge pages: fewer page faults); a file that grows
     * meanwhile, into a growing buffer, never past max */
    size_t cap = 1 << 16, n = 0;
    char *p = NULL;
    if (sb->st_size > 0 && (unsigned long long)sb->st_size <= max) {
        enum { HUGE = 1 << 21 };
        cap = (size_t)sb->st_size + 1; /* one more: EOF is seen without growing */
        if (cap + 1 >= HUGE) {
            void *q = NULL;
            if (posix_memalign(&q, HUGE, (cap + 1 + HUGE - 1) & ~(size_t)(HUGE - 1)) == 0) {
                p = q;
#ifdef MADV_HUGEPAGE
                madvise(p, (cap + 1 + HUGE - 1) & ~(size_t)(HUGE - 1), MADV_HUGEPAGE);
#endif
            }
        }
    }
    if (!p)
        p = malloc(cap + 1);
    if (!p)
        return ENOMEM;
    for (;;) {
        if (n == cap) {
            if (n > max) {
                free(p);
                return GY_EFILE_TOOBIG;
            }
            char *q = realloc(p, cap * 2 + 1);
            if (!q) {
                free(p);
                return ENOMEM;
            }
            p = q;
            cap *= 2;
        }
        ssize_t r = read(fd, p + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno ? errno : EIO;
            free(p);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(p);
        return GY_EFILE_TOOBIG;
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return 0;
}

int gy_read_file_in(const char *path, const char *root, size_t max, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    int fd;
    struct stat sb;
    int e = gy_open_regular(path, root, max, &fd, &sb);
    if (e)
        return e;
    e = gy_read_fd(fd, &sb, max, buf, len);
    close(fd);
    return e;
}

int gy_read_file(const char *path, char **buf, size_t *len)
{
    return gy_read_file_in(path, NULL, GY_INPUT_MAX, buf, len);
}

const char *gy_file_strerror(int e, size_t max, char *buf, size_t n)
{
    switch (e) {
    case GY_EFILE_NOTREG:
        snprintf(buf, n, "通常のファイルではありません (FIFO・デバイス・フォルダなどは読みません)");
        break;
    case GY_EFILE_OUTSIDE:
        snprintf(buf, n, "シンボリックリンクの先がフォルダの外にあります (フォルダの中を指すリンクだけをたどります)");
        break;
    case GY_EFILE_TOOBIG:
        if (max >= ((size_t)1 << 30) && max % ((size_t)1 << 30) == 0)
            snprintf(buf, n, "ファイルが大きすぎます (上限 %zu GiB)", max >> 30);
        else
            snprintf(buf, n, "ファイルが大きすぎます (上限 %zu MiB)", max >> 20);
        break;
    default:
        if (strerror_r(e, buf, n) != 0)
            snprintf(buf, n, "errno %d", e);
    }
    return buf;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

void gy_remove_tree(const char *path)
{
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int gy_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2; v = c & 0x1F; min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3; v = c & 0x0F; min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int gy_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t gy_utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* eight ASCII bytes at a time */
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        /* the common three-byte characters (kana, kanji): E1–EC, EE–EF
         * followed by two continuation bytes, with no range to check */
        if (len - i >= 3 && ((u[i] >= 0xE1 && u[i] <= 0xEC) || u[i] >= 0xEE) && u[i] <= 0xEF &&
            (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        uint32_t cp;
        int k = gy_utf8_decode(u + i, len - i, &cp);
        if (!k)
            return i;
        i += (size_t)k;
    }
    return len;
}

/* Wide (2 cells) in a Japanese context: East Asian Wide/Fullwidth, plus the
 * Ambiguous characters that Japanese fonts draw full width (①, △, ※, ○ …). */
static int cp_wide(uint32_t c)
{
    static const uint32_t r[][2] = {
        {0x1100, 0x115F}, {0x2010, 0x2010}, {0x2015, 0x2016}, {0x2018, 0x2019},
        {0x201C, 0x201D}, {0x2020, 0x2021}, {0x2025, 0x2026}, {0x2030, 0x2030},
        {0x2032, 0x2033}, {0x203B, 0x203B}, {0x2103, 0x2103}, {0x2116, 0x2116},
        {0x2121, 0x2122}, {0x2160, 0x217F}, {0x2190, 0x21FF}, {0x2200, 0x22FF},
        {0x2312, 0x2312}, {0x2460, 0x24FF}, {0x2500, 0x257F}, {0x25A0, 0x25FF},
        {0x2600, 0x26FF}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
    };
    if (c < 0x1100)
        return c == 0xA7 || c == 0xB0 || c == 0xB1 || c == 0xD7 || c == 0xF7;
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (c >= r[i][0] && c <= r[i][1])
            return 1;
    return 0;
}

unsigned gy_char_col(const char *line, const char *at)
{
    unsigned c = 1;
    for (const char *p = line; p < at; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            c++;
    return c;
}

void gy_words_free(gy_word *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].s);
}

int gy_words(const char *line, gy_word *v, int cap, int flags, unsigned *over)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (*p == '#' && (!(flags & GY_WORDS_HASH_WORDS) || n == 0 || !p[1] || p[1] == ' ' || p[1] == '\t'))
            return n;
        if (n == cap) {
            gy_words_free(v, n);
            if (over)
                *over = gy_char_col(line, p);
            return -2;
        }
        const char *st = p;
        gy_buf b = {0};
        bool ok = true;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '"') {
                p++;
                while (*p && *p != '"')
                    ok = ok && gy_buf_add(&b, p++, 1);
                if (*p == '"')
                    p++;
            } else {
                ok = ok && gy_buf_add(&b, p++, 1);
            }
        }
        v[n].s = ok && b.p ? b.p : ok ? gy_strdup("") : NULL;
        if (!v[n].s) {
            gy_buf_free(&b);
            gy_words_free(v, n);
            return -1;
        }
        v[n].col = gy_char_col(line, st);
        v[n].end = (size_t)(p - line);
        n++;
    }
}

size_t gy_utf8_width(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, w = 0;
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            w++;
            continue;
        }
        uint32_t cp;
        int k = gy_utf8_decode(u + i, n - i, &cp);
        if (!k) {
            i++;
            w++;
            continue;
        }
        i += (size_t)k;
        w += cp_wide(cp) ? 2 : 1;
    }
    return w;
}

size_t gy_excel_len(const char *s, size_t n)
{
    /* never more units than bytes: a short text needs no counting */
    if (n <= GY_CELL_MAX)
        return n;
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            u += c >= 0xF0 ? 2 : 1;
    }
    return u;
}

static size_t space_len(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (n >= 3 && (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

char *gy_trim(char *s)
{
    size_t n = strlen(s), a = 0, k;
    while (a < n && (k = space_len(s + a, n - a)))
        a += k;
    size_t e = n;
    for (;;) {
        if (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
            e--;
        } else if (e >= a + 3 && (unsigned char)s[e - 3] == 0xE3 &&
                   (unsigned char)s[e - 2] == 0x80 && (unsigned char)s[e - 1] == 0x80) {
            e -= 3;
        } else {
            break;
        }
    }
    if (a)
        memmove(s, s + a, e - a);
    s[e - a] = '\0';
    return s;
}

bool gy_buf_add(gy_buf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *p;
        if (nc >= ((size_t)4 << 20)) {
            /* a big buffer (a snapshot of 25 MB) in huge pages: a copy
             * per doubling costs less than a page fault per 4 KiB */
            p = gy_malloc_big(nc, 1);
            if (p && b->n)
                memcpy(p, b->p, b->n);
            if (p)
                free(b->p);
        } else {
            p = realloc(b->p, nc);
        }
        if (!p)
            return false;
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return true;
}

bool gy_buf_puts(gy_buf *b, const char *s)
{
    return gy_buf_add(b, s, strlen(s));
}

bool gy_buf_printf(gy_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = gy_vasprintf(fmt, ap);
    va_end(ap);
    if (!p)
        return false;
    bool ok = gy_buf_puts(b, p);
    free(p);
    return ok;
}

void gy_buf_free(gy_buf *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gy_dir_list(const char *dir, const char *suffix, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return errno ? errno : ENOENT;
    size_t sl = strlen(suffix), cap = 0;
    int err = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l <= sl || strcmp(de->d_name + l - sl, suffix) || de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(*names, cap * sizeof *nv);
            if (!nv) {
                err = ENOMEM;
                break;
            }
            *names = nv;
        }
        (*names)[*n] = gy_asprintf("%s/%s", dir, de->d_name);
        if (!(*names)[*n]) {
            err = ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(dp);
    if (err) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        return err;
    }
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_names);
    return 0;
}

/* the length of a sign a spreadsheet starts a formula with, at the start
 * of s: = + - @ and their full-width forms ＝ ＋ － ＠ (U+FF1D, U+FF0B,
 * U+FF0D, U+FF20: Excel on Japanese Windows takes them as the ASCII
 * ones); 0 if none. *pm: the sign is + or - (or ＋ －), which a plain
 * number may start with */
static size_t formula_sign(const char *s, bool *pm)
{
    static const char *const wide[] = {"\xEF\xBC\x8B" /* ＋ */, "\xEF\xBC\x8D" /* － */,
                                       "\xEF\xBC\x9D" /* ＝ */, "\xEF\xBC\xA0" /* ＠ */};
    *pm = s[0] == '+' || s[0] == '-';
    if (*pm || s[0] == '=' || s[0] == '@')
        return 1;
    for (size_t i = 0; i < 4; i++)
        if (!strncmp(s, wide[i], 3)) {
            *pm = i < 2;
            return 3;
        }
    return 0;
}

/* whether s is a plain number (then a leading - or +, or － ＋, is not a
 * formula) */
static bool plain_number(const char *s)
{
    bool pm;
    size_t sg = formula_sign(s, &pm);
    const char *p = s + (pm ? sg : 0);
    if (!*p)
        return false;
    for (; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.' && *p != ',')
            return false;
    return true;
}

void gy_buf_csv_field(gy_buf *b, const char *s)
{
    /* a text that a spreadsheet would run as a formula gets a leading '
     * (inside the quotes when the field is quoted) */
    bool q = strpbrk(s, ",\"\n\r") != NULL;
    bool pm;
    bool formula = (formula_sign(s, &pm) || s[0] == '\t' || s[0] == '\r') && !plain_number(s);
    if (q)
        gy_buf_puts(b, "\"");
    if (formula)
        gy_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            gy_buf_puts(b, "\"");
        gy_buf_add(b, p, 1);
    }
    if (q)
        gy_buf_puts(b, "\"");
}


void gy_run_parallel(void *(*fn)(void *), void *arg, size_t njobs)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthr = ncpu > 1 ? (size_t)ncpu : 1;
    if (nthr > 8)
        nthr = 8;
    if (nthr > njobs)
        nthr = njobs;
    pthread_t tid[8];
    size_t started = 0;
    for (size_t i = 1; i < nthr; i++)
        if (pthread_create(&tid[started], NULL, fn, arg) == 0)
            started++;
    fn(arg); /* this thread works too */
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

/* the stage the run is in, for the fatal-signal message (main.c) */
static const char *volatile phase_now = "start";

const char *gy_phase_now(void)
{
    return phase_now;
}

void gy_phase(const char *name)
{
    static int on = -1;
    if (name)
        phase_now = name;
    static double last;
    if (on < 0)
        on = getenv("GAIYO_TIMES") != NULL;
    if (!on)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (name && last > 0) {
        /* and the memory: resident now, and the peak so far */
        long rss = 0, hwm = 0;
        FILE *fp = fopen("/proc/self/status", "r");
        char line[256];
        while (fp && fgets(line, sizeof line, fp)) {
            if (!strncmp(line, "VmRSS:", 6))
                rss = strtol(line + 6, NULL, 10);
            else if (!strncmp(line, "VmHWM:", 6))
                hwm = strtol(line + 6, NULL, 10);
        }
        if (fp)
            fclose(fp);
        gy_progress_clear();
        fprintf(stderr, "gaiyo: 時間 %-14s %.3f s  (メモリ %ld MiB、最大 %ld MiB)\n", name, now - last, rss / 1024,
                hwm / 1024);
    }
    last = now;
}

/* ---- progress on a terminal ----------------------------------------- */

static int prog_on;                        /* set once, before any thread */
static volatile sig_atomic_t prog_line;    /* a line is on the terminal */
static pthread_mutex_t prog_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t prog_rows;            /* of the current stage */
static char prog_stage[64];                /* under prog_mu, as the rest */
static double prog_last;                   /* when the line was last drawn */
static bool prog_counted;                  /* a count drawn in this stage */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool gy_progress_init(void)
{
    const char *term = getenv("TERM");
    prog_on = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
    return prog_on;
}

/* draw the line (prog_mu held): the stage, what (its last two path
 * parts, made safe and cut), the rows with thousands separators */
static void prog_draw(const char *what, size_t rows, bool count)
{
    gy_buf b = {0};
    gy_buf_printf(&b, "\r%s", prog_stage);
    if (what) {
        const char *w = what + strlen(what), *cut = what;
        for (int slashes = 0; w > what; w--)
            if (w[-1] == '/' && ++slashes == 2) {
                cut = w;
                break;
            }
        gy_buf_puts(&b, " ");
        gy_buf_quote(&b, cut, 30);
    }
    if (count) {
        char num[32], out[48];
        int n = snprintf(num, sizeof num, "%zu", rows), k = 0;
        for (int i = 0; i < n; i++) {
            if (i && (n - i) % 3 == 0)
                out[k++] = ',';
            out[k++] = num[i];
        }
        out[k] = '\0';
        gy_buf_printf(&b, " %s 行", out);
    }
    gy_buf_puts(&b, "\033[K"); /* the rest of a longer line before */
    if (b.p) {
        fwrite(b.p, 1, b.n, stderr);
        fflush(stderr);
        prog_line = 1;
    }
    gy_buf_free(&b);
    prog_last = mono_now();
}

void gy_progress_stage(const char *stage)
{
    if (!prog_on)
        return;
    pthread_mutex_lock(&prog_mu);
    snprintf(prog_stage, sizeof prog_stage, "%s", stage);
    atomic_store(&prog_rows, 0);
    prog_counted = false;
    prog_draw(NULL, 0, false);
    pthread_mutex_unlock(&prog_mu);
}

void gy_progress_rows(const char *what, size_t n)
{
    if (!prog_on)
        return;
    size_t rows = atomic_fetch_add(&prog_rows, n) + n;
    if (pthread_mutex_trylock(&prog_mu) != 0)
        return; /* another thread draws */
    /* the first count of a stage at once, then at most five a second */
    if (!prog_counted || mono_now() - prog_last >= 0.2) {
        prog_draw(what, rows, true);
        prog_counted = true;
    }
    pthread_mutex_unlock(&prog_mu);
}

void gy_progress_clear(void)
{
    if (!prog_on)
        return;
    pthread_mutex_lock(&prog_mu);
    if (prog_line) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        prog_line = 0;
    }
    pthread_mutex_unlock(&prog_mu);
}

bool gy_progress_shown(void)
{
    return prog_line != 0;
}

uint64_t gy_hash_bytes(uint64_t h, const void *s, size_t n)
{
    const unsigned char *p = s;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w ^ ((uint64_t)n << 59) ^ 0x1f) * 0x9E3779B97F4A7C15ull; /* the length ends the text */
    return h ^ (h >> 32);
}

uint64_t gy_hash_str(uint64_t h, const char *s)
{
    return gy_hash_bytes(h, s, strlen(s));
}

/* ---- input text in messages --------------------------------------------- */

static bool quote_visible(uint32_t cp)
{
    return !(cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
             (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069));
}

bool gy_buf_quote(gy_buf *b, const char *s, size_t max)
{
    if (!s)
        s = "";
    if (!max)
        max = GY_QUOTE_MAX;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), nch = 0, i = 0;
    bool ok = true;
    while (i < n) {
        uint32_t cp = 0;
        int l = gy_utf8_decode(u + i, n - i, &cp);
        if (nch < max) {
            char e[16];
            if (l <= 0) {
                snprintf(e, sizeof e, "\\x%02x", u[i]);
                ok = ok && gy_buf_puts(b, e);
            } else if (!quote_visible(cp)) {
                if (cp < 0x80)
                    snprintf(e, sizeof e, "\\x%02x", (unsigned)cp);
                else
                    snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
                ok = ok && gy_buf_puts(b, e);
            } else {
                ok = ok && gy_buf_add(b, u + i, (size_t)l);
            }
        }
        nch++;
        i += l > 0 ? (size_t)l : 1;
    }
    if (nch > max)
        ok = ok && gy_buf_printf(b, "…(%zu 文字)", nch);
    return ok;
}

char *gy_quote(const char *s)
{
    gy_buf b = {0};
    if (!gy_buf_quote(&b, s, GY_QUOTE_MAX) || !gy_buf_add(&b, "", 1)) {
        gy_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* JSON string: exact, and safe on a terminal (every control character of
 * gy_buf_quote as \uNNNN) */
void gy_buf_json_str(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\"");
    s = s ? s : "";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        int l = gy_utf8_decode(u + i, n - i, &cp);
        if (l <= 0) { /* not UTF-8 (never past the importer): U+FFFD */
            gy_buf_puts(b, "\\ufffd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            gy_buf_printf(b, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
                 (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
            gy_buf_printf(b, "\\u%04x", (unsigned)cp);
        else
            gy_buf_add(b, u + i, (size_t)l);
        i += (size_t)l;
    }
    gy_buf_puts(b, "\"");
}
