/* tmpl.c - the one reader of every template format (tmpl.h) */
#include "gaiyo/tmpl.h"

#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* does a comment start at p (the start of a word; n words before it)? */
static bool comment_at(const char *p, int n, gy_tmpl_comment c)
{
    if (*p != '#')
        return false;
    switch (c) {
    case GY_TMPL_HASH_ANY: return true;
    case GY_TMPL_HASH_SPACE: return n == 0 || !p[1] || blank(p[1]);
    case GY_TMPL_HASH_LINE: return n == 0;
    }
    return false;
}

static void words_free(gy_word *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].s);
    free(v);
}

/* the words of line; -1 out of memory; *over: the column of the first
 * word beyond max (0: none) */
static int words(const char *line, gy_tmpl_comment c, bool quotes, int max, gy_word **out, unsigned *over)
{
    *out = NULL;
    *over = 0;
    /* never more words than half the bytes, rounded up */
    size_t cap = strlen(line) / 2 + 1;
    gy_word *v = calloc(cap, sizeof *v);
    if (!v)
        return -1;
    int n = 0;
    const char *p = line;
    for (;;) {
        while (blank(*p))
            p++;
        if (!*p || comment_at(p, n, c))
            break;
        if (max > 0 && n == max) {
            *over = gy_char_col(line, p);
            break;
        }
        const char *st = p;
        gy_buf b = {0};
        bool ok = true;
        while (*p && !blank(*p)) {
            /* p moves on whether or not the byte could be kept */
            if (*p == '"' && quotes) {
                p++;
                for (; *p && *p != '"'; p++)
                    ok = ok && gy_buf_add(&b, p, 1);
                if (*p == '"')
                    p++;
            } else {
                ok = ok && gy_buf_add(&b, p, 1);
                p++;
            }
        }
        v[n].s = ok && b.p ? b.p : ok ? gy_strdup("") : NULL;
        if (!v[n].s) {
            gy_buf_free(&b);
            words_free(v, n);
            return -1;
        }
        v[n].col = gy_char_col(line, st);
        v[n].end = (size_t)(p - line);
        n++;
    }
    *out = v;
    return n;
}

/* the list of directives, for the message about an unknown one */
static char *names(const gy_tmpl_format *f)
{
    gy_buf b = {0};
    for (size_t i = 0; i < f->ndirs; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup = dup || !strcmp(f->dirs[i].name, f->dirs[j].name);
        if (!dup)
            gy_buf_printf(&b, "%s%s", b.p ? ", " : "", f->dirs[i].name);
    }
    return b.p ? b.p : gy_strdup("");
}

/* one line (without its end); GY_ENOMEM stops */
static gy_status read_line(const char *path, unsigned ln, const char *line, const gy_tmpl_format *f, void *ctx,
                           gy_diags *d)
{
    gy_word *v;
    unsigned over;
    int n = words(line, f->comment, f->quotes, f->maxwords, &v, &over);
    if (n < 0)
        return GY_ENOMEM;
    gy_status st = GY_OK;
    if (over) {
        gy_diag_add(d, path, ln, over, "一行の語が多すぎます (%d 語まで)", f->maxwords);
    } else if (n > 0) {
        const gy_tmpl_directive *dir = NULL;
        for (size_t i = 0; i < f->ndirs && !dir; i++)
            if (!strcmp(v[0].s, f->dirs[i].name))
                dir = &f->dirs[i];
        if (!dir) {
            char *list = names(f);
            if (!list) {
                words_free(v, n);
                return GY_ENOMEM;
            }
            gy_diag_add(d, path, ln, v[0].col, f->unknown, v[0].s, list);
            free(list);
        } else if (n - 1 < dir->min || (dir->max >= 0 && n - 1 > dir->max)) {
            unsigned col = n - 1 > dir->max && dir->max >= 0 ? v[dir->max + 1].col : v[0].col;
            if (dir->min == dir->max)
                gy_diag_add(d, path, ln, col, "'%s' には値が %d 個要ります (%d 個あります)", v[0].s, dir->min,
                            n - 1);
            else if (dir->max < 0)
                gy_diag_add(d, path, ln, col, "'%s' には値が %d 個以上要ります", v[0].s, dir->min);
            else
                gy_diag_add(d, path, ln, col, "'%s' には値が %d〜%d 個要ります (%d 個あります)", v[0].s, dir->min,
                            dir->max, n - 1);
        } else {
            /* rest: after the directive word as written, trimmed as
             * gy_trim does (spaces, tabs, full-width spaces) */
            const char *r = line + v[0].end;
            for (;;) {
                if (blank(*r))
                    r++;
                else if (!strncmp(r, "\xE3\x80\x80", 3))
                    r += 3;
                else
                    break;
            }
            char *rest = gy_strdup(r);
            if (rest)
                gy_trim(rest);
            if (!rest) {
                words_free(v, n);
                return GY_ENOMEM;
            }
            gy_tmpl_line l = {.path = path, .ln = ln, .text = line, .w = v, .n = n, .rest = rest,
                              .rest_col = gy_char_col(line, r), .id = dir->id, .d = d};
            st = dir->fn(ctx, &l);
            free(rest);
        }
    }
    words_free(v, n);
    return st;
}

gy_status gy_tmpl_read(const char *path, const char *text, size_t len, const gy_tmpl_format *f, void *ctx,
                       gy_diags *d)
{
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        len -= 3;
    }
    /* the whole text first: a file that is not UTF-8 text is not read */
    size_t nul = memchr(text, '\0', len) ? (size_t)((const char *)memchr(text, '\0', len) - text) : len;
    size_t bad = gy_utf8_invalid_at(text, nul);
    if (bad < len) {
        unsigned ln = 1;
        const char *ls = text;
        for (size_t i = 0; i < bad; i++)
            if (text[i] == '\n') {
                ln++;
                ls = text + i + 1;
            }
        unsigned col = gy_char_col(ls, text + bad);
        if (bad == nul)
            gy_diag_add(d, path, ln, col, "%sにバイナリ (NUL) が含まれています", f->what);
        else
            gy_diag_add(d, path, ln, col, "%sは UTF-8 で書いてください: UTF-8 ではないバイト 0x%02X があります",
                        f->what, (unsigned char)text[bad]);
        return GY_EDEF;
    }
    unsigned ln = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        ln++;
        if (n && p[n - 1] == '\r')
            n--;
        char *line = gy_strndup(p, n);
        if (!line)
            return GY_ENOMEM;
        gy_status st = read_line(path, ln, line, f, ctx, d);
        free(line);
        if (st != GY_OK)
            return st;
        p = e ? e + 1 : end;
    }
    return GY_OK;
}
