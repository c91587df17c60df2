/* diag.c - diagnostics list and the one function that prints a diagnostic */
#include "gaiyo/diag.h"
#include "gaiyo/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* one diagnostic not kept: counted, with its severity, so that the
 * output says how many of each were not shown */
static void drop(gy_diags *d, gy_diag_sev sev)
{
    d->dropped++;
    if (sev == GY_DIAG_WARNING)
        d->dropped_warnings++;
    else if (sev == GY_DIAG_NOTE)
        d->dropped_notes++;
}

static void diag_vadd(gy_diags *d, gy_diag_sev sev, const char *file, unsigned line, unsigned col,
                      const char *fmt, va_list ap)
{
    size_t limit = d->limit ? d->limit : GY_DIAG_LIMIT;
    if (d->n >= limit) {
        drop(d, sev);
        return;
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 8;
        gy_diag *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
            drop(d, sev);
            return;
        }
        d->v = nv;
        d->cap = nc;
    }
    char *raw = gy_vasprintf(fmt, ap);
    /* the root of every message: whatever input text a caller put in, no
     * control byte reaches the terminal and no message is longer than
     * GY_DIAG_MAX characters (a value is quoted with gy_quote, shorter) */
    char *msg = NULL;
    if (raw) {
        gy_buf b = {0};
        if (gy_buf_quote(&b, raw, GY_DIAG_MAX) && gy_buf_add(&b, "", 1))
            msg = b.p;
        else
            gy_buf_free(&b);
        free(raw);
    }
    char *f = gy_strdup(file ? file : "");
    if (!msg || !f) {
        free(msg);
        free(f);
        drop(d, sev);
        return;
    }
    d->v[d->n++] = (gy_diag){f, line, col, msg, sev};
}

void gy_diag_add(gy_diags *d, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, GY_DIAG_ERROR, file, line, col, fmt, ap);
    va_end(ap);
}

void gy_diag_warn(gy_diags *d, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, GY_DIAG_WARNING, file, line, col, fmt, ap);
    va_end(ap);
}

void gy_diag_note(gy_diags *d, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, GY_DIAG_NOTE, file, line, col, fmt, ap);
    va_end(ap);
}

void gy_diags_take(gy_diags *to, gy_diags *from)
{
    size_t limit = to->limit ? to->limit : GY_DIAG_LIMIT;
    for (size_t i = 0; i < from->n; i++) {
        gy_diag *g = &from->v[i];
        if (to->n < limit && to->n == to->cap) {
            size_t nc = to->cap ? to->cap * 2 : 8;
            gy_diag *nv = realloc(to->v, nc * sizeof *nv);
            if (nv) {
                to->v = nv;
                to->cap = nc;
            }
        }
        if (to->n < limit && to->n < to->cap) {
            to->v[to->n++] = *g; /* the strings move with it */
            continue;
        }
        drop(to, g->sev);
        free(g->file);
        free(g->msg);
    }
    to->dropped += from->dropped;
    to->dropped_warnings += from->dropped_warnings;
    to->dropped_notes += from->dropped_notes;
    free(from->v);
    from->v = NULL;
    from->n = from->cap = from->dropped = from->dropped_warnings = from->dropped_notes = 0;
}

const char *gy_diag_sevname(gy_diag_sev s)
{
    switch (s) {
    case GY_DIAG_ERROR: return "error";
    case GY_DIAG_WARNING: return "warning";
    case GY_DIAG_NOTE: return "note";
    }
    return "error";
}

/* the one format of every diagnostic (README "Error format") */
bool gy_diag_format(gy_buf *b, const gy_diag *g)
{
    bool ok = gy_buf_puts(b, "gaiyo: ");
    if (g->file && *g->file) {
        ok = ok && gy_buf_puts(b, g->file);
        if (g->line)
            ok = ok && gy_buf_printf(b, ":%u", g->line);
        if (g->line && g->col)
            ok = ok && gy_buf_printf(b, ":%u", g->col);
        ok = ok && gy_buf_puts(b, ": ");
    }
    return ok && gy_buf_printf(b, "%s: %s\n", gy_diag_sevname(g->sev), g->msg ? g->msg : "");
}

void gy_diag_print(const gy_diag *g, FILE *fp)
{
    gy_buf b = {0};
    if (gy_diag_format(&b, g))
        fwrite(b.p, 1, b.n, fp);
    else /* out of memory: the message still gets out, without its position */
        fprintf(fp, "gaiyo: %s: %s\n", gy_diag_sevname(g->sev), g->msg ? g->msg : "");
    gy_buf_free(&b);
}

bool gy_diags_format_dropped(gy_buf *b, const gy_diags *d)
{
    size_t other = d->dropped_warnings + d->dropped_notes;
    size_t n[] = {d->dropped > other ? d->dropped - other : 0, d->dropped_warnings, d->dropped_notes};
    const char *what[] = {"エラー", "警告", "注記"};
    bool ok = true;
    for (size_t k = 0; k < 3; k++)
        if (n[k])
            ok = ok && gy_buf_printf(b, "gaiyo: (ほかに %zu 件の%sを省略)\n", n[k], what[k]);
    return ok;
}

void gy_diags_print(const gy_diags *d, FILE *fp)
{
    for (size_t i = 0; i < d->n; i++) {
        gy_diag_print(&d->v[i], fp);
    }
    gy_buf b = {0};
    if (gy_diags_format_dropped(&b, d)) {
        if (b.n)
            fwrite(b.p, 1, b.n, fp);
    } else if (d->dropped) /* out of memory: the count still gets out */
        fprintf(fp, "gaiyo: (ほかに %zu 件を省略)\n", d->dropped);
    gy_buf_free(&b);
}

void gy_diags_free(gy_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = d->dropped = d->dropped_warnings = d->dropped_notes = 0;
}

const char *gy_strerror(gy_status s)
{
    switch (s) {
    case GY_OK: return "ok";
    case GY_EDATA: return "入力データに誤りがあります";
    case GY_EUSAGE: return "使い方の誤り";
    case GY_EIO: return "ファイルの読み書きに失敗しました";
    case GY_ENOMEM: return "メモリ不足";
    case GY_EDEF: return "定義ファイルに誤りがあります";
    }
    return "unknown";
}
