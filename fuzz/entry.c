/* entry.c - fuzz entry points (see entry.h), shared with tests/unit/test_fuzz.c */
#include "entry.h"

#include "gaiyo/diag.h"
#include "gaiyo/import.h"
#include "gaiyo/report.h"
#include "gaiyo/tabledef.h"
#include "gaiyo/value.h"
#include "gaiyo/layout.h"
#include "gaiyo/chart.h"
#include "gaiyo/changes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant every caller relies on: its failure is a bug, reported by
 * libFuzzer as a crash and by the regression test as a failed run. */
#define FZ_ASSERT(cond)                                                                     \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* ---- definitions for the import target ---------------------------------- */

static gy_defset defs;
static const gy_tabledef **sel;
static size_t nsel;

int gy_fuzz_init(const char *tables_dir)
{
    if (sel)
        return 0;
    gy_diags d = {0};
    if (gy_defset_load(tables_dir, &defs, &d) != GY_OK) {
        gy_diags_print(&d, stderr);
        gy_diags_free(&d);
        return -1;
    }
    gy_diags_free(&d);
    /* A fixed order, so that byte 0 of a saved input keeps naming the same
     * table when definitions are added; tables not listed follow by name. */
    static const char *const order[] = {"yosan",      "jigyohi", "yuchi_gyoshu", "yuushi",
                                        "chuokai",    "yuchi_suii", "yuchi_wariai", "ginou",
                                        "shidoin",    "kumikae"};
    sel = calloc(defs.n ? defs.n : 1, sizeof *sel);
    if (!sel)
        return -1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const gy_tabledef *t = gy_defset_find(&defs, order[i]);
        if (t)
            sel[nsel++] = t;
    }
    for (size_t i = 0; i < defs.n; i++) {
        bool listed = false;
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            if (!strcmp(defs.v[i]->id, order[k]))
                listed = true;
        if (!listed)
            sel[nsel++] = defs.v[i];
    }
    return nsel ? 0 : -1;
}

void gy_fuzz_list(FILE *fp)
{
    for (size_t i = 0; i < nsel; i++)
        fprintf(fp, "%zu\t%s\t%s\n", i, sel[i]->id, sel[i]->file);
}

void gy_fuzz_fini(void)
{
    free(sel);
    sel = NULL;
    nsel = 0;
    gy_defset_free(&defs);
}

/* ---- transcripts ---------------------------------------------------------- */

static void put_diags(gy_buf *out, gy_status st, const gy_diags *d)
{
    if (!out)
        return;
    gy_buf_printf(out, "status: %s\n", gy_strerror(st));
    for (size_t i = 0; i < d->n; i++)
        gy_buf_printf(out, "%s:%u:%u: %s\n", d->v[i].file, d->v[i].line, d->v[i].col,
                      d->v[i].msg);
    if (d->dropped)
        gy_buf_printf(out, "(%zu more)\n", d->dropped);
}

/* Every diagnostic names the file it is about. */
static void check_diags(const gy_diags *d, const char *path)
{
    for (size_t i = 0; i < d->n; i++) {
        FZ_ASSERT(d->v[i].file && !strcmp(d->v[i].file, path));
        FZ_ASSERT(d->v[i].msg && d->v[i].msg[0]);
        FZ_ASSERT(gy_utf8_invalid_at(d->v[i].msg, strlen(d->v[i].msg)) == strlen(d->v[i].msg));
    }
}

/* Everything a table offers its readers, exercised on every cell. */
static void walk_table(const gy_table *t, gy_buf *out)
{
    gy_buf b = {0};
    gy_report_dump(t, &b);
    FZ_ASSERT(b.p && gy_utf8_invalid_at(b.p, b.n) == b.n);
    for (size_t i = 0; i < t->nrows; i++) {
        const gy_row *r = &t->rows[i];
        FZ_ASSERT(r->line >= 1);
        FZ_ASSERT(gy_row_label(t, r) != NULL);
        for (size_t j = 0; j < t->def->ncols; j++) {
            char v[64];
            gy_cell c;
            gy_table_cell(t, i, j, &c);
            FZ_ASSERT(c.text != NULL);
            FZ_ASSERT(gy_utf8_invalid_at(c.text, strlen(c.text)) == strlen(c.text));
            gy_cell_format(t, j, &c, v, sizeof v);
            FZ_ASSERT(gy_utf8_invalid_at(v, strlen(v)) == strlen(v));
            (void)gy_table_is_stated_derived(t, i, j);
        }
    }
    if (out && b.p)
        gy_buf_puts(out, b.p);
    gy_buf_free(&b);
}

/* The importer's fast path (lines split without libcsv) gives exactly what
 * libcsv alone gives: the same status, diagnostics and table. The text is
 * imported once more with the fast path off; d0 is the number of
 * diagnostics d held before the first import. */
static void check_fastpath(const gy_tabledef *def, const char *path, const char *text, size_t tlen,
                           gy_status st, const gy_diags *d, size_t d0, const gy_table *t)
{
    if (!gy_import_fastpath || d0 != 0 || st == GY_ENOMEM)
        return;
    gy_diags d2 = {.limit = d->limit};
    gy_table *t2 = NULL;
    gy_import_fastpath = false;
    gy_status st2 = gy_import_text(def, path, text, tlen, &t2, &d2);
    gy_import_fastpath = true;
    if (st2 != GY_ENOMEM) {
        FZ_ASSERT(st2 == st);
        FZ_ASSERT(d2.n == d->n && d2.dropped == d->dropped);
        for (size_t i = 0; i < d->n && i < d2.n; i++) {
            FZ_ASSERT(!strcmp(d2.v[i].file, d->v[i].file));
            FZ_ASSERT(d2.v[i].line == d->v[i].line && d2.v[i].col == d->v[i].col);
            FZ_ASSERT(!strcmp(d2.v[i].msg, d->v[i].msg));
        }
        if (t && t2) {
            gy_buf a = {0}, b = {0};
            gy_report_dump(t, &a);
            gy_report_dump(t2, &b);
            FZ_ASSERT(a.n == b.n && (a.n == 0 || !memcmp(a.p, b.p, a.n)));
            gy_buf_free(&a);
            gy_buf_free(&b);
        }
    }
    gy_table_free(t2);
    gy_diags_free(&d2);
}

static gy_status import_bytes(const gy_tabledef *def, const char *path, const uint8_t *raw,
                              size_t len, gy_enc enc, gy_buf *out)
{
    gy_diags d = {0};
    char *text = NULL;
    size_t tlen = 0;
    const char *used = NULL;
    gy_table *t = NULL;
    gy_status st = gy_decode(path, (const char *)raw, len, enc, &text, &tlen, &used, &d);
    if (st == GY_OK) {
        FZ_ASSERT(text && text[tlen] == '\0' && used);
        /* nothing that is not valid UTF-8 leaves the importer */
        FZ_ASSERT(gy_utf8_invalid_at(text, tlen) == tlen);
        size_t d0 = d.n + d.dropped;
        st = gy_import_text(def, path, text, tlen, &t, &d);
        check_fastpath(def, path, text, tlen, st, &d, d0, t);
    } else {
        FZ_ASSERT(!text && d.n > 0);
    }
    FZ_ASSERT((st == GY_OK) == (t != NULL));
    FZ_ASSERT(st == GY_OK || st == GY_EDATA || st == GY_ENOMEM || st == GY_EIO);
    FZ_ASSERT(st != GY_EDATA || d.n + d.dropped > 0);
    check_diags(&d, path);
    put_diags(out, st, &d);
    if (out && used && st == GY_OK)
        gy_buf_printf(out, "encoding: %s\n", used);
    if (t)
        walk_table(t, out);
    gy_table_free(t);
    free(text);
    gy_diags_free(&d);
    return st;
}

/* ---- targets -------------------------------------------------------------- */

void gy_fuzz_import(const uint8_t *data, size_t size, gy_buf *out)
{
    if (size < 2 || !nsel)
        return;
    const gy_tabledef *def = sel[data[0] % nsel];
    gy_enc enc = (gy_enc)(data[1] % 3);
    char path[300];
    snprintf(path, sizeof path, "R6/%s", def->file);
    if (out)
        gy_buf_printf(out, "table: %s, encoding asked: %s\n", def->id,
                      enc == GY_ENC_AUTO ? "auto" : enc == GY_ENC_UTF8 ? "utf-8" : "cp932");
    import_bytes(def, path, data + 2, size - 2, enc, out);
}

static void value_num(const char *what, const char *s, int decimals, gy_buf *out)
{
    gy_num n = {GY_NIL_NONE, 0};
    const char *err = NULL;
    bool ok = decimals < 0 ? gy_parse_int(s, &n, &err) : gy_parse_ratio(s, decimals, &n, &err);
    if (!ok) {
        FZ_ASSERT(err && err[0]);
        if (out)
            gy_buf_printf(out, "%s: error: %s\n", what, err);
        return;
    }
    FZ_ASSERT(n.nil != GY_NIL_NONE ? n.v == 0 : true);
    if (n.nil != GY_NIL_NONE) {
        if (out)
            gy_buf_printf(out, "%s: nil %d\n", what, (int)n.nil);
        return;
    }
    /* what gaiyo prints reads back as the same number */
    char a[40], b[40];
    if (decimals < 0) {
        gy_format_int(n.v, "△", a, sizeof a);
        gy_format_int(n.v, "-", b, sizeof b);
    } else {
        gy_format_ratio(n.v, decimals, "△", a, sizeof a);
        gy_format_ratio(n.v, decimals, "-", b, sizeof b);
    }
    gy_num back;
    const char *e2 = NULL;
    for (int k = 0; k < 2; k++) {
        const char *f = k ? b : a;
        bool ok2 = decimals < 0 ? gy_parse_int(f, &back, &e2) : gy_parse_ratio(f, decimals, &back, &e2);
        FZ_ASSERT(ok2 && back.nil == GY_NIL_NONE && back.v == n.v);
    }
    if (out)
        gy_buf_printf(out, "%s: %lld = %s\n", what, (long long)n.v, a);
}

static void value_ratio(int64_t num, int64_t den, int64_t scale, int decimals, gy_round mode,
                        gy_buf *out)
{
    int64_t r = -1;
    gy_ratio_status rs = gy_ratio(num, den, scale, decimals, mode, &r);
    FZ_ASSERT(rs >= GY_RATIO_OK && rs <= GY_RATIO_OVERFLOW);
    FZ_ASSERT(rs == GY_RATIO_OK || r == 0);
    if (den == 0)
        FZ_ASSERT(rs == GY_RATIO_ALLUP || rs == GY_RATIO_NONE);
    /* small operands: the exact result is known */
    if (rs == GY_RATIO_OK && decimals >= 0 && decimals <= 6 && scale >= -1000000 &&
        scale <= 1000000 && num > -(1LL << 40) && num < (1LL << 40)) {
        gy_i128 q = (gy_i128)num * scale * gy_pow10(decimals);
        gy_i128 t = q / den, rem = q % den;
        gy_i128 ar = rem < 0 ? -rem : rem, ad = den < 0 ? -(gy_i128)den : den;
        if (mode == GY_ROUND_HALF_UP && ar * 2 >= ad)
            t += ((q < 0) != (den < 0)) ? -1 : 1;
        FZ_ASSERT(t == r);
    }
    if (rs == GY_RATIO_OK) {
        char buf[40];
        gy_format_ratio(r, decimals, "△", buf, sizeof buf);
        FZ_ASSERT(strlen(buf) < sizeof buf - 1);
    }
    if (out)
        gy_buf_printf(out, "ratio(%lld, %lld, %lld, %d, %s): status %d, %lld\n", (long long)num,
                      (long long)den, (long long)scale, decimals,
                      mode == GY_ROUND_HALF_UP ? "half-up" : "down", (int)rs, (long long)r);
}

void gy_fuzz_value(const uint8_t *data, size_t size, gy_buf *out)
{
    if (size < 1)
        return;
    int decimals = data[0] & 7; /* 7: out of range, must be refused */
    gy_round mode = (data[0] & 8) ? GY_ROUND_DOWN : GY_ROUND_HALF_UP;
    char *s = gy_strndup((const char *)data + 1, size - 1);
    if (!s)
        return;
    value_num("int", s, -1, out);
    {
        gy_num n;
        const char *err = NULL;
        bool ok = gy_parse_ratio(s, decimals, &n, &err);
        if (decimals > 6) {
            FZ_ASSERT(!ok);
            if (out)
                gy_buf_printf(out, "ratio%d: error: %s\n", decimals, err);
        } else {
            char what[16];
            snprintf(what, sizeof what, "ratio%d", decimals);
            value_num(what, s, decimals, out);
        }
    }
    gy_fy fy;
    const char *err = NULL;
    if (gy_parse_fy(s, &fy, &err)) {
        char a[16], b[16];
        gy_fy_format(&fy, a, sizeof a);
        gy_fy back;
        FZ_ASSERT(gy_parse_fy(a, &back, &err) && back.western == fy.western);
        gy_fy w = gy_fy_from_western(fy.western);
        gy_fy_format(&w, b, sizeof b);
        FZ_ASSERT(gy_parse_fy(b, &back, &err) && back.western == fy.western);
        if (out)
            gy_buf_printf(out, "fy: %s = %d (%s)\n", a, fy.western, b);
    } else {
        FZ_ASSERT(err && err[0]);
        if (out)
            gy_buf_printf(out, "fy: error: %s\n", err);
    }
    int level = gy_marker_level(s);
    FZ_ASSERT(level >= -1 && level <= 5);
    gy_role role;
    bool rok = gy_role_parse(s, &role);
    FZ_ASSERT(!rok || (role >= GY_ROLE_ITEM && role <= GY_ROLE_SUBTOTAL_MEMO));
    if (out)
        gy_buf_printf(out, "marker: %d, role: %s\n", level, rok ? gy_role_name(role) : "-");
    /* "num|den|scale": gy_ratio on typed operands */
    char *p1 = strchr(s, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    if (p2) {
        *p1 = *p2 = '\0';
        gy_num a, b, c;
        if (gy_parse_int(s, &a, &err) && gy_parse_int(p1 + 1, &b, &err) &&
            gy_parse_int(p2 + 1, &c, &err))
            value_ratio(a.v, b.v, c.v, decimals, mode, out);
    }
    free(s);
    /* raw operands: any int64 and any decimals */
    if (size >= 26) {
        int64_t num, den, scale;
        memcpy(&num, data + 1, 8);
        memcpy(&den, data + 9, 8);
        memcpy(&scale, data + 17, 8);
        value_ratio(num, den, scale, (signed char)data[25], mode, out);
        char buf[40];
        gy_format_int(num, "△", buf, sizeof buf);
        FZ_ASSERT(strlen(buf) < sizeof buf - 1);
        gy_format_ratio(den, (signed char)data[25], "△", buf, sizeof buf);
        FZ_ASSERT(strlen(buf) < sizeof buf - 1);
        gy_fy w = gy_fy_from_western((int)num);
        char fb[16];
        gy_fy_format(&w, fb, sizeof fb);
    }
}

void gy_fuzz_tabledef(const uint8_t *data, size_t size, gy_buf *out)
{
    const uint8_t *ff = memchr(data, '\f', size);
    size_t dlen = ff ? (size_t)(ff - data) : size;
    /* gy_tabledef_load refuses a NUL byte and drops a BOM */
    if (memchr(data, '\0', dlen))
        return;
    char *text = gy_strndup((const char *)data, dlen);
    if (!text)
        return;
    const char *p = text;
    if (dlen >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    gy_diags d = {0};
    gy_tabledef *t = NULL;
    gy_status st = gy_tabledef_parse("fuzz.def", p, &t, &d);
    FZ_ASSERT((st == GY_OK) == (t != NULL));
    FZ_ASSERT(st == GY_OK || st == GY_EDEF || st == GY_ENOMEM);
    FZ_ASSERT(st != GY_EDEF || d.n + d.dropped > 0);
    check_diags(&d, "fuzz.def");
    put_diags(out, st, &d);
    if (t) {
        FZ_ASSERT(t->id && t->file && t->title && t->unit && t->ncols > 0);
        FZ_ASSERT(t->label_col >= 0 && (size_t)t->label_col < t->ncols);
        FZ_ASSERT(t->role_col < (int)t->ncols && t->level_col < (int)t->ncols &&
                  t->fy_col < (int)t->ncols);
        for (size_t i = 0; i < t->ncols; i++) {
            FZ_ASSERT(gy_tabledef_col(t, t->cols[i].name) == (int)i);
            FZ_ASSERT(strcmp(gy_type_name(t->cols[i].type), "?") != 0);
        }
        for (size_t i = 0; i < t->nrules; i++)
            FZ_ASSERT(t->rules[i].target >= 0 && (size_t)t->rules[i].target < t->ncols &&
                      t->rules[i].expr);
        for (size_t i = 0; i < t->nrecons; i++)
            FZ_ASSERT(t->recons[i].target >= 0 && (size_t)t->recons[i].target < t->ncols &&
                      t->recons[i].key >= 0 && (size_t)t->recons[i].key < t->ncols);
        if (out)
            gy_buf_printf(out, "table %s: %zu columns, %zu rules, %zu reconciles\n", t->id,
                          t->ncols, t->nrules, t->nrecons);
        if (ff)
            import_bytes(t, "fuzz.csv", ff + 1, size - dlen - 1, GY_ENC_UTF8, out);
    }
    gy_tabledef_free(t);
    gy_diags_free(&d);
    free(text);
}

/* ---- templates: sheet layouts, chart templates; the changes reader ------- */

static char *text_of(const uint8_t *data, size_t size)
{
    /* the loaders read text files: a NUL ends what they see */
    if (memchr(data, '\0', size))
        return NULL;
    return gy_strndup((const char *)data, size);
}

void gy_fuzz_sheet(const uint8_t *data, size_t size, gy_buf *out)
{
    char *text = text_of(data, size);
    if (!text)
        return;
    gy_diags d = {0};
    gy_layout *l = NULL;
    gy_status st = gy_layout_parse("fuzz.sheet", text, &defs, &l, &d);
    FZ_ASSERT((st == GY_OK) == (l != NULL));
    FZ_ASSERT(st == GY_OK || st == GY_EDEF || st == GY_ENOMEM);
    FZ_ASSERT(st != GY_EDEF || d.n + d.dropped > 0);
    check_diags(&d, "fuzz.sheet");
    put_diags(out, st, &d);
    if (l) {
        const gy_tabledef *t = gy_defset_find(&defs, l->table);
        FZ_ASSERT(t && l->sheet && l->nfields > 0);
        for (size_t i = 0; i < l->nfields; i++)
            FZ_ASSERT(l->fields[i].colidx >= 0 && (size_t)l->fields[i].colidx < t->ncols);
        for (size_t h = 0; h < l->nheader; h++)
            for (size_t i = 0; i < l->nfields; i++)
                FZ_ASSERT(l->header[h][i] != NULL);
        for (size_t k = 0; k < l->nsubrows; k++)
            for (size_t m = 0; m < l->subrows[k].n; m++)
                FZ_ASSERT(l->subrows[k].dst[m] >= 0 && l->subrows[k].src[m] >= 0);
        if (out)
            gy_buf_printf(out, "sheet %s: %zu fields, %zu header lines\n", l->sheet, l->nfields, l->nheader);
    }
    gy_layout_free(l);
    gy_diags_free(&d);
    free(text);
}

void gy_fuzz_chart(const uint8_t *data, size_t size, gy_buf *out)
{
    char *text = text_of(data, size);
    if (!text)
        return;
    gy_diags d = {0};
    gy_chartset *cs = NULL;
    gy_status st = gy_chartset_parse(&cs, "fuzz.chart", "fuzz", text, &defs, &d);
    FZ_ASSERT(st == GY_OK || st == GY_EDEF || st == GY_ENOMEM);
    FZ_ASSERT(st != GY_EDEF || d.n + d.dropped > 0);
    FZ_ASSERT(st != GY_OK || gy_chartset_count(cs) == 1);
    check_diags(&d, "fuzz.chart");
    put_diags(out, st, &d);
    gy_chartset_free(cs);
    gy_diags_free(&d);
    free(text);
}

/* two snapshots separated by a form feed: what changed between them */
void gy_fuzz_changes(const uint8_t *data, size_t size, gy_buf *out)
{
    char *text = text_of(data, size);
    if (!text)
        return;
    char *ff = strchr(text, '\f');
    const char *prev = ff ? text : NULL, *cur = ff ? ff + 1 : text;
    if (ff)
        *ff = '\0';
    gy_buf txt = {0}, csv = {0};
    size_t n = 0;
    gy_status st = gy_changes_make(prev, cur, &txt, &csv, &n);
    FZ_ASSERT(st == GY_OK || st == GY_ENOMEM);
    FZ_ASSERT(st != GY_OK || (txt.p && csv.p && !strncmp(csv.p, "kind,", 5)));
    if (st == GY_OK && prev) {
        /* a snapshot compared with itself changes nothing */
        gy_buf t2 = {0}, c2 = {0};
        size_t n2 = 99;
        FZ_ASSERT(gy_changes_make(cur, cur, &t2, &c2, &n2) != GY_OK || n2 == 0);
        gy_buf_free(&t2);
        gy_buf_free(&c2);
    }
    if (out && st == GY_OK)
        gy_buf_printf(out, "changes: %zu\n%s", n, txt.p ? txt.p : "");
    gy_buf_free(&txt);
    gy_buf_free(&csv);
    free(text);
}

gy_fuzz_fn gy_fuzz_find(const char *name)
{
    static const struct { const char *name; gy_fuzz_fn fn; } targets[] = {
        {"import", gy_fuzz_import},
        {"value", gy_fuzz_value},
        {"tabledef", gy_fuzz_tabledef},
        {"sheet", gy_fuzz_sheet},
        {"chart", gy_fuzz_chart},
        {"changes", gy_fuzz_changes},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(targets[i].name, name))
            return targets[i].fn;
    return NULL;
}
