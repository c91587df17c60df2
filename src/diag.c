/* diag.c - diagnostics list */
#include "gaiyo/diag.h"
#include "gaiyo/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void gy_diag_add(gy_diags *d, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...)
{
    size_t limit = d->limit ? d->limit : 50;
    if (d->n >= limit) {
        d->dropped++;
        return;
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 8;
        gy_diag *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
            d->dropped++;
            return;
        }
        d->v = nv;
        d->cap = nc;
    }
    va_list ap;
    va_start(ap, fmt);
    char *raw = gy_vasprintf(fmt, ap);
    va_end(ap);
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
        d->dropped++;
        return;
    }
    d->v[d->n++] = (gy_diag){f, line, col, msg};
}

void gy_diags_print(const gy_diags *d, FILE *fp)
{
    for (size_t i = 0; i < d->n; i++) {
        const gy_diag *g = &d->v[i];
        if (g->line && g->col)
            fprintf(fp, "gaiyo: %s:%u:%u: error: %s\n", g->file, g->line, g->col, g->msg);
        else if (g->line)
            fprintf(fp, "gaiyo: %s:%u: error: %s\n", g->file, g->line, g->msg);
        else
            fprintf(fp, "gaiyo: %s: error: %s\n", g->file, g->msg);
    }
    if (d->dropped)
        fprintf(fp, "gaiyo: (ほかに %zu 件のエラーを省略)\n", d->dropped);
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
    d->n = d->cap = d->dropped = 0;
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
