/* import.c - the importer proper: header, typed cells, input folder
 *
 * Matches a CSV file's header to its definition, types every cell (gy_value
 * parsers, nil marks, text interning, wide values), checks that keys are
 * distinct, and reads an input folder: its year folders and encoding.conf,
 * one file per definition, imported on one thread per processor, year
 * folder by year folder as the caller pulls them (gy_years). The CSV reader
 * (libcsv callbacks, record buffers, positions) is csvread.c, encodings
 * encoding.c, the state they share src/import_int.h. Declared in
 * gaiyo/import.h; tested by tests/unit/test_import.c. */
#include "gaiyo/import.h"
#include "gaiyo/testhooks.h"
#include "gaiyo/util.h"
#include "import_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- header and cells ------------------------------------------------ */

/* room for one more value (filled to three quarters at most): false when
 * out of memory */
static bool hset_room(hset *h, size_t first)
{
    if ((h->n + 1) * 4 <= h->cap * 3)
        return true;
    size_t nc = h->cap ? h->cap * 2 : first;
    hslot *ns = gy_calloc_big(nc, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < h->cap; i++) {
        if (!h->s[i].v)
            continue;
        size_t j = h->s[i].hash & (nc - 1);
        while (ns[j].v)
            j = (j + 1) & (nc - 1);
        ns[j] = h->s[i];
    }
    free(h->s);
    h->s = ns;
    h->cap = nc;
    return true;
}

void gy_hset_free(hset *h)
{
    free(h->s);
}


/* Keys compare after normalisation: a fiscal year as the year it means
 * (R1 = H31 = 令和元年度 = 2019 = ２０１９), other key columns as their
 * trimmed text. */
static bool same_key(const gy_table *t, size_t a, size_t b)
{
    const gy_tabledef *def = t->def;
    if (t->rows[a].role != t->rows[b].role)
        return false;
    for (size_t j = 0; j < def->ncols; j++) {
        if (!(def->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)))
            continue;
        if (def->cols[j].type == GY_T_FY || def->cols[j].type == GY_T_PERIOD) {
            if (gy_tnil(t, a, (int)j) != gy_tnil(t, b, (int)j) || gy_tv(t, a, (int)j) != gy_tv(t, b, (int)j))
                return false;
        } else if (strcmp(gy_ttext(t, a, (int)j), gy_ttext(t, b, (int)j))) {
            return false;
        }
    }
    return true;
}

/* returns the row already holding the key of row `row`, or (size_t)-1
 * after inserting it; (size_t)-2 on out of memory */
static size_t hset_put(hset *h, const gy_table *t, size_t row, uint64_t hv)
{
    if (row >= UINT32_MAX - 1)
        return (size_t)-2; /* more rows than a slot can name */
    if (!hset_room(h, 64))
        return (size_t)-2;
    uint32_t tag = (uint32_t)hv;
    size_t j = tag & (h->cap - 1);
    while (h->s[j].v) {
        if (h->s[j].hash == tag && same_key(t, h->s[j].v - 1, row))
            return h->s[j].v - 1;
        j = (j + 1) & (h->cap - 1);
    }
    h->s[j] = (hslot){tag, (uint32_t)(row + 1)};
    h->n++;
    return (size_t)-1;
}

/* The table's texts while it is imported are an hset: text → its
 * offset in t->tx (offset 0, the "" of text-like columns, is never in it:
 * an empty slot). Freed when the import ends. */

/* The most bytes a table's text buffer may hold: every offset must fit
 * in 32 bits. A variable, so that the tests can lower it. */
size_t gy_import_textmax = UINT32_MAX;

/* room for n more bytes in t->tx */
int gy_tx_room(gy_table *t, size_t n)
{
    if (t->ntx + n > gy_import_textmax || t->ntx + n < n)
        return TX_FULL;
    if (t->ntx + n <= t->captx)
        return TX_OK;
    size_t nc = t->captx ? t->captx : 4096;
    while (nc < t->ntx + n)
        nc *= 2;
    if (nc > gy_import_textmax)
        nc = gy_import_textmax;
    char *p = realloc(t->tx, nc); /* a big block grows in place (mremap) */
    if (!p)
        return TX_NOMEM;
    t->tx = p;
    t->captx = nc;
    return TX_OK;
}

/* the hash interning files a text under (tx_hash: the record's texts
 * are hashed, and their slots fetched, before their cells are stored) */
static uint64_t tx_hash(const char *s, size_t n)
{
    return gy_hash_bytes(1469598103934665603ull, s, n);
}

/* the offset of text s (n bytes, tx_hash hv) in t->tx, appended if not
 * there yet */
static int intern(hset *h, gy_table *t, const char *s, size_t n, uint64_t hv, uint32_t *off)
{
    if (!hset_room(h, 256))
        return TX_NOMEM;
    uint32_t tag = (uint32_t)hv;
    size_t j = tag & (h->cap - 1);
    for (; h->s[j].v; j = (j + 1) & (h->cap - 1)) {
        const char *x = t->tx + h->s[j].v;
        if (h->s[j].hash == tag && !strncmp(x, s, n) && !x[n]) { /* stops at x's end */
            *off = h->s[j].v;
            return TX_OK;
        }
    }
    int e = gy_tx_room(t, n + 1);
    if (e)
        return e;
    memcpy(t->tx + t->ntx, s, n);
    t->tx[t->ntx + n] = '\0';
    *off = (uint32_t)t->ntx;
    t->ntx += n + 1;
    h->s[j] = (hslot){tag, *off};
    h->n++;
    return TX_OK;
}

/* the hash of a row's key: its key and group columns' texts (those of
 * the record being read: fields[csvcol - 1], trimmed), a text hashed
 * ahead (r->th) folded as it is; only this importer compares these
 * hashes (duplicate keys) */
static uint64_t row_key_hash(const reader *r, const gy_table *t, char *const *fields)
{
    const gy_tabledef *def = t->def;
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < def->ncols; j++) {
        if (!(def->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)) || def->cols[j].type == GY_T_FY ||
            def->cols[j].type == GY_T_PERIOD)
            continue; /* a year or period is folded by its value (fy_key_hash) */
        const char *s = t->csvcol[j] ? fields[t->csvcol[j] - 1] : "";
        if (r->ts[j] == s)
            h = (h ^ r->th[j]) * 0x9E3779B97F4A7C15ull;
        else
            h = gy_hash_str(h, s);
    }
    return h; /* the role is compared, not hashed: known only after parsing */
}

/* row_key_hash with the row's fiscal-year key columns folded by the
 * year they mean (after parsing) */
static uint64_t fy_key_hash(const gy_table *t, size_t row, uint64_t h)
{
    const gy_tabledef *def = t->def;
    for (size_t j = 0; j < def->ncols; j++)
        if ((def->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)) &&
            (def->cols[j].type == GY_T_FY || def->cols[j].type == GY_T_PERIOD))
            h = (h ^ ((uint64_t)gy_tv(t, row, (int)j) * 4 + (uint64_t)gy_tnil(t, row, (int)j))) *
                0x9E3779B97F4A7C15ull;
    return h;
}

/* an array of n elements of size sz grown to nn (the new part zeroed
 * when asked); big arrays stay on huge pages (gy_malloc_big) */
static bool regrow(void *pp, size_t n, size_t nn, size_t sz, bool zero)
{
    void **p = pp;
    if (!*p)
        return true;
    char *q = gy_malloc_big(nn, sz);
    if (!q)
        return false;
    memcpy(q, *p, n * sz);
    if (zero)
        memset(q + n * sz, 0, (nn - n) * sz);
    free(*p);
    *p = q;
    return true;
}

/* room for twice as many rows in the table and its columns (the first
 * guess, one row per line, is only passed by a file that gy_import_text
 * did not count: never today, but cheap to allow) */
static bool grow(reader *r)
{
    gy_table *t = r->t;
    size_t oc = t->cap, nc = oc ? oc * 2 : 64;
    if (!regrow(&t->rows, oc, nc, sizeof *t->rows, false))
        return false;
    for (size_t j = 0; j < t->def->ncols; j++) {
        gy_colstore *cs = &t->cols[j];
        if (!regrow(&cs->v, oc, nc, sizeof *cs->v, false) || !regrow(&cs->v32, oc, nc, sizeof *cs->v32, false) ||
            !regrow(&cs->v8, oc, nc, sizeof *cs->v8, false) ||
            !regrow(&cs->nil, (oc + 3) / 4, (nc + 3) / 4, 1, true) ||
            !regrow(&cs->text, oc, nc, sizeof *cs->text, true) ||
            !regrow(&cs->negsp, (oc + 7) / 8, (nc + 7) / 8, 1, true))
            return false;
    }
    t->cap = nc;
    return true;
}

/* set a cell's value (cells are set in row order, each once): 8 bits in
 * the columns that have them, else 32 bits with the values that do not
 * fit kept apart (gy_colstore.wide) while they are few, the column
 * widened to 64 bits when they are not */
static bool put_v(reader *r, int c, size_t row, int64_t v)
{
    gy_table *t = r->t;
    gy_colstore *cs = &t->cols[c];
    size_t cap = t->cap ? t->cap : 1;
    if (cs->v8) {
        if (v >= INT8_MIN && v <= INT8_MAX) {
            cs->v8[row] = (signed char)v;
            return true;
        }
        /* never with today's types (roles, levels, marker levels) */
        int32_t *w = gy_malloc_big(cap, sizeof *w);
        if (!w)
            return false;
        for (size_t i = 0; i < row; i++)
            w[i] = cs->v8[i];
        free(cs->v8);
        cs->v8 = NULL;
        cs->v32 = w;
    }
    if (cs->v32) {
        if (v > INT32_MIN && v <= INT32_MAX) {
            cs->v32[row] = (int32_t)v;
            return true;
        }
        if (cs->nwide < cap / 16) {
            if (cs->nwide == cs->capwide) {
                size_t nc = cs->capwide ? cs->capwide * 2 : 16;
                gy_wide *nw = realloc(cs->wide, nc * sizeof *nw);
                if (!nw)
                    return false;
                cs->wide = nw;
                cs->capwide = nc;
            }
            cs->wide[cs->nwide++] = (gy_wide){row, v};
            cs->v32[row] = GY_V32_WIDE;
            return true;
        }
        int64_t *w = gy_malloc_big(cap, sizeof *w);
        if (!w)
            return false;
        for (size_t i = 0, k = 0; i < row; i++)
            w[i] = cs->v32[i] != GY_V32_WIDE ? cs->v32[i] : cs->wide[k++].v;
        free(cs->v32);
        free(cs->wide);
        cs->v32 = NULL;
        cs->wide = NULL;
        cs->nwide = cs->capwide = 0;
        cs->v = w;
    }
    if (cs->v)
        cs->v[row] = v;
    return true;
}

/* set a cell's nil kind (the column's nil array is made on the first nil) */
static bool put_nil(reader *r, int c, size_t row, gy_nil k)
{
    gy_colstore *cs = &r->t->cols[c];
    if (!cs->nil) {
        if (k == GY_NIL_NONE)
            return true;
        if (!(cs->nil = gy_calloc_big((r->t->cap ? r->t->cap : 1) / 4 + 1, 1)))
            return false;
    }
    unsigned sh = (unsigned)(row % 4 * 2);
    cs->nil[row / 4] = (unsigned char)((cs->nil[row / 4] & ~(3u << sh)) | ((unsigned)k & 3) << sh);
    return true;
}

/* keep a cell's text (TX_OK, TX_NOMEM, TX_FULL): its offset in the
 * table's text buffer, where an equal text is stored once (the same
 * text as the row above, a 課名 repeated on every row, is found without
 * hashing) */
static int put_text(reader *r, int c, size_t row, const char *s)
{
    gy_table *t = r->t;
    gy_colstore *cs = &t->cols[c];
    if (!cs->text && !(cs->text = gy_calloc_big(t->cap ? t->cap : 1, sizeof *cs->text)))
        return TX_NOMEM;
    if (!*s && gy_col_textlike(r->def, (size_t)c)) {
        cs->text[row] = 0;
        return TX_OK;
    }
    uint32_t up = row ? cs->text[row - 1] : 0;
    if (up && !strcmp(t->tx + up, s)) {
        cs->text[row] = up;
        return TX_OK;
    }
    if (r->ts[c] == s) /* hashed with its record (gy_data_record) */
        return intern(&r->strs, t, s, r->tl[c], r->th[c], &cs->text[row]);
    size_t n = strlen(s);
    return intern(&r->strs, t, s, n, tx_hash(s, n), &cs->text[row]);
}

/* mark a cell written "△ 678" (the spaced canonical form) */
static bool put_negsp(reader *r, int c, size_t row)
{
    gy_colstore *cs = &r->t->cols[c];
    if (!cs->negsp && !(cs->negsp = gy_calloc_big((r->t->cap ? r->t->cap : 1) / 8 + 1, 1)))
        return false;
    cs->negsp[row / 8] |= (unsigned char)(1u << (row % 8));
    return true;
}

/* whether s is exactly how gy_cell_format writes the value: "1,234",
 * "△5", "0", "92.7" (decimals places), "" / "-" / "…" for nil (1); or
 * a negative value with one ASCII space after the △, "△ 5" (2); else 0 */
static int canonical(const char *s, gy_nil nil, int64_t v, int dec)
{
    switch (nil) {
    case GY_NIL_BLANK: return !*s;
    case GY_NIL_NA: return !strcmp(s, "-");
    case GY_NIL_UNKNOWN: return !strcmp(s, "\xE2\x80\xA6");
    default: break;
    }
    int form = 1;
    if (v < 0) {
        if (strncmp(s, "\xE2\x96\xB3", 3) != 0) /* △ */
            return 0;
        s += 3;
        if (*s == ' ') {
            s++;
            form = 2;
        }
    }
    if (*s == '0') {
        s++;
    } else {
        int n = 0;
        if (*s < '1' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9') {
            s++;
            if (++n > 3)
                return 0;
        }
        while (*s == ',') {
            s++;
            for (int k = 0; k < 3; k++, s++)
                if (*s < '0' || *s > '9')
                    return 0;
        }
    }
    if (dec > 0) {
        if (*s++ != '.')
            return 0;
        for (int k = 0; k < dec; k++, s++)
            if (*s < '0' || *s > '9')
                return 0;
    }
    return *s == '\0' ? form : 0;
}

static const char *type_expect(const gy_coldef *c)
{
    switch (c->type) {
    case GY_T_AMOUNT: return "整数の金額";
    case GY_T_COUNT: return "整数の件数・人数";
    case GY_T_RATIO: return c->scale == 100 ? "百分率 (例 92.7)" : "小数 (例 36.7)";
    case GY_T_FY: return "年度 (例 R6, H31, S37)";
    case GY_T_PERIOD: return "期間 (例 H18～H21, R6)";
    case GY_T_ROLE: return "行区分 (空欄, 項目, 小計, 計, 合計, 再掲, 参考)";
    case GY_T_MARKER: return "番号 (1, (1), ①, ア)";
    case GY_T_LEVEL: return "階層 (0〜9)";
    default: return "文字列";
    }
}

void gy_header_record(reader *r)
{
    const gy_tabledef *def = r->def;
    r->hdr_line = r->rec_line;
    r->map = malloc((r->nf ? r->nf : 1) * sizeof *r->map);
    r->ts = calloc(def->ncols + 1, sizeof *r->ts);
    r->tl = calloc(def->ncols + 1, sizeof *r->tl);
    r->th = calloc(def->ncols + 1, sizeof *r->th);
    if (!r->map || !r->ts || !r->tl || !r->th) {
        r->oom = r->fatal = true;
        return;
    }
    r->nhdr = r->nf;
    bool *seen = calloc(def->ncols ? def->ncols : 1, sizeof *seen);
    if (!seen) {
        r->oom = r->fatal = true;
        return;
    }
    for (size_t i = 0; i < r->nf; i++) {
        char *name = gy_trim(fld(r, i));
        int c = gy_tabledef_col(def, name);
        r->map[i] = c;
        if (c < 0) {
            gy_buf b = {0};
            for (size_t j = 0; j < def->ncols; j++) {
                gy_buf_puts(&b, j ? ", " : "");
                gy_buf_puts(&b, def->cols[j].name);
            }
            gy_diag_add(r->d, r->path, r->f[i].line, (unsigned)i + 1,
                        "未知の列 '%s' (表「%s」の列は: %s)", name, def->title, b.p ? b.p : "");
            gy_buf_free(&b);
            r->fatal = true;
        } else if (seen[c]) {
            gy_diag_add(r->d, r->path, r->f[i].line, (unsigned)i + 1, "列 '%s' が 2 回あります", name);
            r->fatal = true;
        } else {
            seen[c] = true;
            r->t->csvcol[c] = (unsigned)i + 1;
        }
    }
    for (size_t j = 0; j < def->ncols && !r->fatal; j++)
        if (!seen[j] && !(def->cols[j].flags & GY_COL_OPTIONAL)) {
            gy_diag_add(r->d, r->path, r->hdr_line, 0, "必須の列 '%s' がありません (定義: %s:%u)",
                        def->cols[j].name, def->path, def->cols[j].line);
            r->fatal = true;
        }
    /* the columns' storage: values for every column but text, texts for
     * the text-like columns the file has */
    gy_table *t = r->t;
    size_t cap = t->cap ? t->cap : 1;
    r->absent = malloc((def->ncols ? def->ncols : 1) * sizeof *r->absent);
    if (!r->absent)
        r->oom = r->fatal = true;
    for (size_t j = 0; j < def->ncols && !r->fatal; j++) {
        gy_colstore *cs = &t->cols[j];
        gy_type ty = def->cols[j].type;
        if (ty == GY_T_ROLE || ty == GY_T_LEVEL || ty == GY_T_MARKER) {
            if (!(cs->v8 = gy_malloc_big(cap, sizeof *cs->v8)))
                r->oom = r->fatal = true;
        } else if (ty != GY_T_TEXT && !(cs->v32 = gy_malloc_big(cap, sizeof *cs->v32))) {
            r->oom = r->fatal = true;
        }
        if (seen[j] && gy_col_textlike(def, j) && !(cs->text = gy_calloc_big(cap, sizeof *cs->text)))
            r->oom = r->fatal = true;
        if (!seen[j])
            r->absent[r->nabsent++] = (int)j;
        if (def->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)) {
            r->keycheck = def->level_col < 0;
            if (ty == GY_T_FY || ty == GY_T_PERIOD)
                r->fykey = true;
        }
    }
    free(seen);
    r->have_header = true;
}

/* parse the text s of field `col` (CSV column) into cell (row, c) */
static bool parse_cell(reader *r, size_t row, int c, const char *s, unsigned line, unsigned col)
{
    const gy_coldef *cd = &r->def->cols[c];
    const char *err = NULL;
    gy_num num;
    gy_nil nil = GY_NIL_NONE;
    int64_t v = 0;
    bool ok = false;
    switch (cd->type) {
    case GY_T_TEXT: {
        /* a text the workbook could not hold whole is an error here, where
         * its file:line:col is known */
        size_t n = gy_excel_len(s, strlen(s));
        nil = *s ? GY_NIL_NONE : GY_NIL_BLANK;
        ok = n <= GY_CELL_MAX;
        if (!ok) {
            gy_diag_add(r->d, r->path, line, col,
                        "列「%s」の文字列が %zu 字あります: Excel のセルには %d 字までしか入りません", cd->name, n,
                        GY_CELL_MAX);
            err = ""; /* said */
        }
        break;
    }
    case GY_T_AMOUNT:
    case GY_T_COUNT:
    case GY_T_RATIO:
        if (gy_col_decimals(cd) > 0 || cd->type == GY_T_RATIO ? gy_parse_ratio(s, gy_col_decimals(cd), &num, &err)
                                                              : gy_parse_int(s, &num, &err)) {
            nil = num.nil;
            v = num.v;
            ok = true;
        }
        break;
    case GY_T_FY: {
        gy_fy fy;
        if (!*s) {
            nil = GY_NIL_BLANK;
            ok = true;
        } else if (gy_parse_fy(s, &fy, &err)) {
            v = fy.western;
            if (c == r->def->fy_col)
                r->t->rows[row].era = (unsigned char)fy.era;
            ok = true;
        }
        break;
    }
    case GY_T_PERIOD: {
        /* kept as written (a text-like column); the value is start × 10000
         * + end, so that equal periods compare equal however written */
        gy_period pe;
        if (!*s) {
            nil = GY_NIL_BLANK;
            ok = true;
        } else if (gy_parse_period(s, &pe, &err)) {
            v = gy_period_key(&pe);
            ok = true;
        }
        break;
    }
    case GY_T_ROLE: {
        gy_role ro;
        if (gy_role_parse(s, &ro)) {
            v = ro;
            nil = *s ? GY_NIL_NONE : GY_NIL_BLANK;
            ok = true;
        } else {
            err = "未知の行区分です";
        }
        break;
    }
    case GY_T_MARKER: {
        int l = *s ? gy_marker_level(s) : 0;
        if (!*s) {
            nil = GY_NIL_BLANK;
            ok = true;
        } else if (l >= 0) {
            v = l;
            ok = true;
        } else {
            err = "番号として読めません";
        }
        break;
    }
    case GY_T_LEVEL:
        if (!*s) {
            nil = GY_NIL_BLANK;
            ok = true;
        } else if (s[0] >= '0' && s[0] <= '9' && !s[1]) {
            v = s[0] - '0';
            ok = true;
        } else {
            err = "階層は 0〜9 の数字です";
        }
        break;
    }
    bool stored = put_v(r, c, row, v) && put_nil(r, c, row, nil);
    int form = gy_col_textlike(r->def, (size_t)c) || !ok ? 0 : canonical(s, nil, v, gy_col_shown_decimals(cd, v));
    if (form == 2)
        stored = stored && put_negsp(r, c, row);
    if (form == 0 && stored) {
        int e = put_text(r, c, row, s);
        if (e == TX_FULL) {
            gy_diag_add(r->d, r->path, line, col,
                        "表の文字列が %zu バイトを超えます (1 つの表に 4 GiB まで): ファイルを分けてください",
                        gy_import_textmax);
            r->fatal = true;
            return ok;
        }
        stored = e == TX_OK;
    }
    if (!stored)
        r->oom = r->fatal = true;
    if (!ok && !(err && !*err)) {
        char *qs = gy_quote(s);
        gy_diag_add(r->d, r->path, line, col, "列「%s」に %s を期待しましたが '%s' です: %s", cd->name,
                    type_expect(cd), qs ? qs : "?", err ? err : "");
        free(qs);
    }
    return ok;
}

/* a cell that starts below its row's first line */
static bool add_xline(gy_table *t, size_t row, int c, unsigned line)
{
    if (t->nxl == t->capxl) {
        size_t nc = t->capxl ? t->capxl * 2 : 16;
        gy_xline *nx = realloc(t->xl, nc * sizeof *nx);
        if (!nx)
            return false;
        t->xl = nx;
        t->capxl = nc;
    }
    /* rows arrive in order; a row's cells in CSV order, so keep each
     * row's entries sorted by column */
    size_t k = t->nxl++;
    while (k > 0 && t->xl[k - 1].row == row && t->xl[k - 1].col > (unsigned)c) {
        t->xl[k] = t->xl[k - 1];
        k--;
    }
    t->xl[k] = (gy_xline){row, (unsigned)c, line};
    return true;
}

/* row ri has the key of row prev: the error is at the key column (the
 * first, in CSV order, written otherwise than in row prev: 'R6' and
 * '令和6年度'), naming row prev's line */
static void dup_key(reader *r, size_t ri, size_t prev)
{
    const gy_table *t = r->t;
    const gy_tabledef *def = r->def;
    unsigned col = 0, first = 0;
    int jc = -1;
    for (size_t j = 0; j < def->ncols; j++) {
        unsigned c = t->csvcol[j];
        if (!(def->cols[j].flags & (GY_COL_KEY | GY_COL_GROUP)) || !c)
            continue;
        if (!first || c < first)
            first = c;
        if (strcmp(gy_ttext(t, ri, (int)j), gy_ttext(t, prev, (int)j)) && (!col || c < col)) {
            col = c;
            jc = (int)j;
        }
    }
    unsigned line = t->rows[ri].line;
    if (jc < 0) {
        gy_diag_add(r->d, r->path, line, first ? first : 1, "同じキーの行が 2 つあります (%u 行目と同じ)",
                    t->rows[prev].line);
        return;
    }
    for (size_t k = t->nxl; k > 0 && t->xl[k - 1].row == ri; k--) /* the cell may start below its row's first line */
        if (t->xl[k - 1].col == (unsigned)jc)
            line = t->xl[k - 1].line;
    gy_diag_add(r->d, r->path, line, col, "同じキーの行が 2 つあります (%u 行目と同じ: 列「%s」の '%s' と '%s' は同じ%sです)",
                t->rows[prev].line, def->cols[jc].name, gy_ttext(t, prev, jc), gy_ttext(t, ri, jc),
                def->cols[jc].type == GY_T_FY ? "年度" : "値");
}

void gy_data_record(reader *r)
{
    const gy_tabledef *def = r->def;
    bool empty = true;
    char **fp = r->fp;
    for (size_t i = 0; i < r->nf; i++)
        if ((fp[i] = gy_trim(fld(r, i)))[0])
            empty = false;
    if (empty)
        return; /* a row of empty cells (Excel leaves them) is skipped */
    if (r->nf != r->nhdr) {
        /* at the first field too many, or after the last one */
        gy_diag_add(r->d, r->path, r->f[r->nf < r->nhdr ? r->nf - 1 : r->nhdr].line,
                    (unsigned)(r->nf < r->nhdr ? r->nf : r->nhdr) + 1,
                    "この行は %zu 列ですが、見出し行 (%u 行目) は %zu 列です", r->nf, r->hdr_line,
                    r->nhdr);
        r->fatal = true;
        return;
    }
    gy_table *t = r->t;
    if (t->nrows == t->cap && !grow(r)) {
        r->oom = r->fatal = true;
        return;
    }
    size_t ri = t->nrows++;
    gy_row *row = &t->rows[ri];
    row->line = r->rec_line;
    row->role = GY_ROLE_ITEM;
    row->level = 0;
    row->era = 0;
    for (size_t k = 0; k < r->nabsent; k++) {
        int c = r->absent[k];
        if (!put_v(r, c, ri, 0) || !put_nil(r, c, ri, GY_NIL_BLANK))
            r->oom = r->fatal = true;
    }
    /* the texts of text-like cells are hashed first and their slots of
     * the intern set fetched, so that the cache misses of a record's
     * texts overlap (a big table's set is mostly misses); the key's hash
     * folds them, and its slot is fetched too, while the cells are parsed */
    for (size_t i = 0; i < r->nf; i++) {
        int c = r->map[i];
        if (c < 0)
            continue;
        r->ts[c] = NULL;
        if (!gy_col_textlike(def, (size_t)c) || !fp[i][0])
            continue;
        r->ts[c] = fp[i];
        r->tl[c] = strlen(fp[i]);
        r->th[c] = tx_hash(fp[i], r->tl[c]);
        if (r->strs.cap)
            __builtin_prefetch(&r->strs.s[(uint32_t)r->th[c] & (r->strs.cap - 1)]);
    }
    uint64_t hv = 0;
    if (r->keycheck) {
        hv = row_key_hash(r, t, fp);
        if (r->keys.cap && !r->fykey)
            __builtin_prefetch(&r->keys.s[(uint32_t)hv & (r->keys.cap - 1)]);
    }
    for (size_t i = 0; i < r->nf; i++) {
        int c = r->map[i];
        if (r->f[i].line != r->rec_line && !add_xline(t, ri, c, r->f[i].line))
            r->oom = r->fatal = true;
        parse_cell(r, ri, c, fp[i], r->f[i].line, (unsigned)i + 1);
    }
    if (r->fatal)
        return;
    if (def->role_col >= 0 && gy_tnil(t, ri, def->role_col) == GY_NIL_NONE)
        row->role = (unsigned char)gy_tv(t, ri, def->role_col);
    if (def->level_col >= 0 && gy_tnil(t, ri, def->level_col) == GY_NIL_NONE)
        row->level = (signed char)gy_tv(t, ri, def->level_col);
    /* key uniqueness: the key columns (normalised: same_key) plus the role */
    if (r->keycheck) {
        if (r->fykey)
            hv = fy_key_hash(t, ri, hv);
        size_t prev = hset_put(&r->keys, t, ri, hv);
        if (prev == (size_t)-2)
            r->oom = r->fatal = true;
        else if (prev != (size_t)-1)
            dup_key(r, ri, prev);
    }
}

/* ---- input folder ---------------------------------------------------- */

typedef struct fydir {
    char *name;
    gy_fy fy;
} fydir;

static int cmp_fydir(const void *a, const void *b)
{
    const fydir *x = a, *y = b;
    return (x->fy.western > y->fy.western) - (x->fy.western < y->fy.western);
}

/* encoding.conf: "file.csv  cp932" per line */
static gy_status read_encconf(const char *dir, const char *root, const gy_defset *defs, char ***files,
                              gy_enc **encs, size_t *n, gy_diags *d)
{
    char *path = gy_asprintf("%s/encoding.conf", dir);
    if (!path)
        return GY_ENOMEM;
    char *buf;
    size_t len;
    *files = NULL;
    *encs = NULL;
    *n = 0;
    int e = gy_read_file_in(path, root, GY_CONF_MAX, &buf, &len);
    if (e == ENOENT) {
        free(path);
        return GY_OK; /* no overrides */
    }
    if (e) {
        char eb[256];
        gy_diag_add(d, path, 0, 0, "ファイルを読めません: %s", gy_file_strerror(e, GY_CONF_MAX, eb, sizeof eb));
        free(path);
        return e == ENOMEM ? GY_ENOMEM : GY_EIO;
    }
    gy_status st = GY_OK;
    unsigned ln = 0;
    char *save = NULL;
    char *start = buf;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        start += 3; /* Notepad's BOM */
    for (char *line = strtok_r(start, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ln++;
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        gy_trim(line);
        if (!*line)
            continue;
        char f[256], e[64];
        if (sscanf(line, "%255s %63s", f, e) != 2) {
            gy_diag_add(d, path, ln, 1, "「ファイル名 文字コード」の形で書いてください");
            st = GY_EDATA;
            continue;
        }
        gy_enc enc;
        if (!gy_enc_parse(e, &enc)) {
            gy_diag_add(d, path, ln, 1, "未知の文字コード '%s' (utf-8, cp932)", e);
            st = GY_EDATA;
            continue;
        }
        bool known = false;
        for (size_t i = 0; i < defs->n; i++)
            if (!strcmp(defs->v[i]->file, f))
                known = true;
        if (!known) {
            gy_diag_add(d, path, ln, 1, "'%s' を読む表の定義がありません", f);
            st = GY_EDATA;
            continue;
        }
        char **nf = realloc(*files, (*n + 1) * sizeof *nf);
        if (nf)
            *files = nf;
        gy_enc *ne = realloc(*encs, (*n + 1) * sizeof *ne);
        if (ne)
            *encs = ne;
        if (!nf || !ne) {
            st = GY_ENOMEM;
            break;
        }
        (*files)[*n] = gy_strdup(f);
        (*encs)[*n] = enc;
        (*n)++;
    }
    free(buf);
    free(path);
    return st;
}

/* one unit of gy_dataset_load: a year folder's checks (def == NULL) or
 * a file to import; each with its own diagnostics, merged in order */
typedef struct ijob {
    char *path;
    const gy_tabledef *def;
    gy_enc enc;
    gy_fy fy;
    size_t size;
    const char *root;         /* the input folder the file must lie in */
    gy_table *t;
    gy_status st;             /* of the import */
    bool later;               /* a later year folder has a file of this definition */
    gy_status s_first, s_set; /* of the checks: kept if none yet / always */
    gy_diags d;
} ijob;

static ijob *add_job(ijob **v, size_t *n, size_t *cap, const gy_diags *d)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        ijob *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        *v = nv;
        *cap = nc;
    }
    ijob *j = &(*v)[(*n)++];
    memset(j, 0, sizeof *j);
    j->d.limit = d->limit;
    return j;
}

typedef struct pool {
    ijob *jobs;
    size_t *order;     /* biggest files first */
    size_t n;
    atomic_size_t next;
} pool;

/* one file job; the test hook GAIYO_TEST_IMPORT_WARNING adds its text as
 * a warning at line 1 of each file read (the importer raises none of its
 * own: the merge must keep a warning a warning, tests/cli/cli_test.sh) */
static void import_job(ijob *j)
{
    j->st = gy_import_file_in(j->def, j->path, j->root, j->enc, &j->t, &j->d);
    const char *w = gy_test_hook_str("GAIYO_TEST_IMPORT_WARNING");
    if (w && j->st == GY_OK)
        gy_diag_warn(&j->d, j->path, 1, 0, "%s", w);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->n)
            return NULL;
        import_job(&p->jobs[p->order[k]]);
    }
}

typedef struct jobsize {
    size_t size, k;
} jobsize;

static int cmp_job_size(const void *a, const void *b)
{
    const jobsize *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* import every file job, on up to one thread per processor */
static void run_jobs(ijob *jobs, size_t njobs)
{
    size_t *order = malloc((njobs ? njobs : 1) * sizeof *order);
    size_t n = 0;
    if (!order) {
        for (size_t k = 0; k < njobs; k++)
            if (jobs[k].def)
                import_job(&jobs[k]);
        return;
    }
    jobsize *js = malloc((njobs ? njobs : 1) * sizeof *js);
    for (size_t k = 0; k < njobs; k++)
        if (jobs[k].def) {
            if (js)
                js[n] = (jobsize){jobs[k].size, k};
            order[n++] = k;
        }
    if (js && n > 1) {
        qsort(js, n, sizeof *js, cmp_job_size);
        for (size_t k = 0; k < n; k++)
            order[k] = js[k].k;
    }
    free(js);
    pool p = {.jobs = jobs, .order = order, .n = n};
    atomic_init(&p.next, 0);
    gy_run_parallel(worker, &p, n);
    free(order);
}

/* a year reader (gy_years_open): the state its steps share */
struct gy_years {
    const char *dir;          /* the input folder */
    const gy_defset *defs;
    gy_dataset *out;
    gy_diags *d;
    fydir *dirs;              /* the year folders, oldest first */
    size_t nd;
    ijob *jobs;               /* per year folder: its checks, then its files */
    size_t njobs, capjobs;
    size_t next;              /* the first job of the next year folder to pull */
    bool staged;              /* each year folder's files read when it is pulled */
    bool jobs_oom;            /* out of memory while planning: nothing is imported */
    gy_status st;
};

typedef struct gy_years loader;

/* the year folders of the input folder (dp, closed here), sorted by
 * year, each checked */
static void list_years(loader *L, DIR *dp)
{
    const char *dir = L->dir;
    gy_diags *d = L->d;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = gy_asprintf("%s/%s", dir, de->d_name);
        struct stat sb;
        if (!p) {
            L->st = GY_ENOMEM;
            break;
        }
        if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            free(p);
            continue; /* files beside the year folders (README, 組替) are not tables */
        }
        int ie = gy_path_inside(p, dir, NULL);
        free(p);
        if (ie) {
            char eb[256];
            gy_diag_add(d, dir, 0, 0, "フォルダ '%s' を読めません: %s", de->d_name,
                        gy_file_strerror(ie, 0, eb, sizeof eb));
            L->st = ie == ENOMEM ? GY_ENOMEM : GY_EDATA;
            continue;
        }
        gy_fy fy;
        const char *e;
        if (!gy_parse_fy(de->d_name, &fy, &e)) {
            gy_diag_add(d, dir, 0, 0, "フォルダ '%s' は年度フォルダの名前 (例 R6) ではありません", de->d_name);
            L->st = GY_EDATA;
            continue;
        }
        fydir *nv = realloc(L->dirs, (L->nd + 1) * sizeof *nv);
        if (!nv) {
            L->st = GY_ENOMEM;
            break;
        }
        L->dirs = nv;
        L->dirs[L->nd].name = gy_strdup(de->d_name);
        L->dirs[L->nd].fy = fy;
        L->nd++;
    }
    closedir(dp);
    if (L->nd)
        qsort(L->dirs, L->nd, sizeof *L->dirs, cmp_fydir);
    for (size_t i = 0; i + 1 < L->nd; i++)
        if (L->dirs[i].fy.western == L->dirs[i + 1].fy.western) {
            gy_diag_add(d, dir, 0, 0, "フォルダ '%s' と '%s' は同じ年度です", L->dirs[i].name, L->dirs[i + 1].name);
            L->st = GY_EDATA;
        }
    if (L->st == GY_OK && L->nd == 0) {
        gy_diag_add(d, dir, 0, 0, "年度フォルダ (例 %s/R6/) がありません", dir);
        L->st = GY_EDATA;
    }
}

/* a year folder's checks, into its segment seg: its encoding.conf, and
 * every CSV in it claimed by a definition */
static void check_year(loader *L, ijob *seg, const char *yd, char ***ef, gy_enc **ee, size_t *ne)
{
    const gy_defset *defs = L->defs;
    gy_diags *sd = &seg->d;
    struct dirent *de;
    seg->s_first = read_encconf(yd, L->dir, defs, ef, ee, ne, sd);
    /* every CSV must be claimed by a definition */
    DIR *yp = opendir(yd);
    if (!yp) {
        gy_diag_add(sd, yd, 0, 0, "フォルダを開けません: %s", strerror(errno));
        seg->s_set = GY_EIO;
    } else {
        while ((de = readdir(yp))) {
            size_t l = strlen(de->d_name);
            if (de->d_name[0] == '.' || l < 4)
                continue;
            const char *ext = de->d_name + l - 4;
            if (strcmp(ext, ".csv") && strcmp(ext, ".CSV"))
                continue;
            bool claimed = false;
            for (size_t k = 0; k < defs->n; k++)
                if (!strcmp(defs->v[k]->file, de->d_name))
                    claimed = true;
            if (!claimed) {
                gy_diag_add(sd, yd, 0, 0, "'%s' を読む表の定義が templates/tables にありません (ファイル名の誤り?)",
                            de->d_name);
                seg->s_set = GY_EDATA;
            }
        }
        closedir(yp);
    }
    if (seg->s_first != GY_OK && L->st == GY_OK)
        L->st = seg->s_first;
    if (seg->s_set != GY_OK)
        L->st = seg->s_set;
}

/* a job for each definition's file in year folder i (yd), or its name in
 * out->missing; ef, ee, ne: the folder's encoding.conf */
static void add_file_jobs(loader *L, size_t i, const char *yd, char **ef, const gy_enc *ee, size_t ne)
{
    const gy_defset *defs = L->defs;
    gy_dataset *out = L->out;
    for (size_t k = 0; k < defs->n && L->st != GY_ENOMEM; k++) {
        const gy_tabledef *def = defs->v[k];
        char *fp = gy_asprintf("%s/%s", yd, def->file);
        if (!fp) {
            L->st = GY_ENOMEM;
            break;
        }
        struct stat sb;
        if (lstat(fp, &sb) != 0) { /* a dangling symlink is not missing: reading it says why */
            char **nm = realloc(out->missing, (out->nmissing + 1) * sizeof *nm);
            if (nm) {
                out->missing = nm;
                out->missing[out->nmissing++] = gy_asprintf("%s/%s", L->dirs[i].name, def->file);
            }
            free(fp);
            continue;
        }
        gy_enc enc = GY_ENC_AUTO;
        for (size_t m = 0; m < ne; m++)
            if (!strcmp(ef[m], def->file))
                enc = ee[m];
        ijob *j = add_job(&L->jobs, &L->njobs, &L->capjobs, L->d);
        if (!j) {
            free(fp);
            L->st = GY_ENOMEM;
            break;
        }
        j->path = fp;
        j->def = def;
        j->enc = enc;
        j->fy = L->dirs[i].fy;
        j->root = L->dir;
        j->size = stat(fp, &sb) == 0 ? (size_t)sb.st_size : 0;
    }
}

/* year folder i's segment: its checks, then its files to import */
static void plan_year(loader *L, size_t i)
{
    char *yd = gy_asprintf("%s/%s", L->dir, L->dirs[i].name);
    ijob *seg = yd ? add_job(&L->jobs, &L->njobs, &L->capjobs, L->d) : NULL;
    if (!seg) {
        free(yd);
        L->st = GY_ENOMEM;
        return;
    }
    char **ef = NULL;
    gy_enc *ee = NULL;
    size_t ne = 0;
    check_year(L, seg, yd, &ef, &ee, &ne);
    add_file_jobs(L, i, yd, ef, ee, ne);
    for (size_t m = 0; m < ne; m++)
        free(ef[m]);
    free(ef);
    free(ee);
    free(yd);
}

/* one job's outcome merged into L->out: its diagnostics, its status
 * (L->st), its table */
static void merge_job(loader *L, ijob *j)
{
    gy_diags *d = L->d;
    gy_dataset *out = L->out;
    gy_diags_take(d, &j->d); /* each with its own severity, and what it dropped */
    free(j->path);
    if (!j->def) {
        if (j->s_first != GY_OK && L->st == GY_OK)
            L->st = j->s_first;
        if (j->s_set != GY_OK)
            L->st = j->s_set;
        return;
    }
    if (j->st != GY_OK) {
        if (L->st == GY_OK || j->st == GY_ENOMEM)
            L->st = j->st;
        return;
    }
    if (!j->t) {
        /* not run (out of memory before the imports) */
        L->st = GY_ENOMEM;
        return;
    }
    j->t->fy = j->fy;
    j->t->later = j->later;
    if (j->t->nrows == 0) { /* a header and nothing else: kept, and said (README) */
        char **ne = realloc(out->empty, (out->nempty + 1) * sizeof *ne);
        char *pe = gy_strdup(j->t->path);
        if (!ne || !pe) {
            if (ne)
                out->empty = ne;
            free(pe);
            gy_table_free(j->t);
            L->st = GY_ENOMEM;
            return;
        }
        out->empty = ne;
        out->empty[out->nempty++] = pe;
    }
    gy_table **nv = realloc(out->v, (out->n + 1) * sizeof *nv);
    if (!nv) {
        gy_table_free(j->t);
        L->st = GY_ENOMEM;
        return;
    }
    out->v = nv;
    out->v[out->n++] = j->t;
}

gy_status gy_years_open(const char *dir, const gy_defset *defs, size_t stage, gy_dataset *out, gy_diags *d,
                        gy_years **yr)
{
    memset(out, 0, sizeof *out);
    *yr = NULL;
    DIR *dp = opendir(dir);
    if (!dp) {
        gy_diag_add(d, dir, 0, 0, "入力フォルダを開けません: %s", strerror(errno));
        return GY_EIO;
    }
    loader *L = calloc(1, sizeof *L);
    if (!L) {
        closedir(dp);
        return GY_ENOMEM;
    }
    *L = (loader){.dir = dir, .defs = defs, .out = out, .d = d, .st = GY_OK};
    list_years(L, dp);
    /* First, in order: each year folder's checks (their diagnostics and
     * status kept in a segment of their own) and the files to import.
     * Then the imports, on as many threads as there are processors
     * (files are independent): all of them now, or each year folder's
     * when it is pulled (staged). The pulls merge everything in the order
     * of the first pass, so that diagnostics, status and tables are the
     * same as if the files had been read one after another. */
    gy_status st0 = L->st;
    for (size_t i = 0; i < L->nd && L->st != GY_ENOMEM; i++)
        plan_year(L, i);
    ijob *jobs = L->jobs;
    size_t njobs = L->njobs;
    L->jobs_oom = L->st == GY_ENOMEM;
    /* a file whose definition has a file in a later year folder too */
    for (size_t k = 0; k < njobs; k++)
        for (size_t m = k + 1; jobs[k].def && m < njobs && !jobs[k].later; m++)
            jobs[k].later = jobs[m].def == jobs[k].def;
    /* every definition with a file somewhere, before any is read: a table
     * the driver checks as soon as its year is pulled (gy_report_read)
     * knows the later years' files too */
    if (!L->jobs_oom && njobs && !(out->filed = malloc(njobs * sizeof *out->filed)))
        L->jobs_oom = true;
    for (size_t k = 0; out->filed && k < njobs; k++) {
        bool dup = !jobs[k].def;
        for (size_t m = 0; m < out->nfiled && !dup; m++)
            dup = out->filed[m] == jobs[k].def;
        if (!dup)
            out->filed[out->nfiled++] = jobs[k].def;
    }
    /* staged: a big file before the last year folder; then each year is
     * read after the caller did what it must with the one before */
    for (size_t k = 0; stage && k < njobs; k++)
        if (jobs[k].def && jobs[k].later && jobs[k].size >= stage)
            L->staged = true;
    if (!L->jobs_oom && !L->staged)
        run_jobs(jobs, njobs);
    L->st = st0;
    *yr = L;
    return GY_OK;
}

/* merge the next year folder's jobs (its checks, then its files) into
 * out, importing them first when staged; false when none is left */
static bool read_year(loader *L, gy_year *y)
{
    size_t k = L->next;
    if (k >= L->njobs)
        return false;
    size_t e = k + 1;
    while (e < L->njobs && L->jobs[e].def)
        e++;
    if (!L->jobs_oom && L->staged)
        run_jobs(L->jobs + k, e - k);
    y->first = L->out->n;
    y->last = e == L->njobs;
    for (; k < e; k++)
        merge_job(L, &L->jobs[k]);
    L->next = e;
    return true;
}

bool gy_years_next(gy_years *yr, gy_year *y)
{
    if (!read_year(yr, y))
        return false;
    if (yr->st == GY_OK && !yr->jobs_oom)
        return true;
    /* once something failed, the rest is only read for its diagnostics */
    gy_year rest;
    while (read_year(yr, &rest))
        ;
    return false;
}

gy_status gy_years_close(gy_years *yr, gy_status st)
{
    if (!yr)
        return st;
    gy_year rest;
    while (read_year(yr, &rest))
        ;
    if (yr->st != GY_OK)
        st = yr->st;
    if (yr->jobs_oom)
        st = GY_ENOMEM;
    free(yr->jobs);
    for (size_t i = 0; i < yr->nd; i++)
        free(yr->dirs[i].name);
    free(yr->dirs);
    if (st != GY_OK)
        gy_dataset_free(yr->out);
    free(yr);
    return st;
}

gy_status gy_dataset_load(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d)
{
    gy_years *yr;
    gy_status st = gy_years_open(dir, defs, 0, out, d, &yr);
    if (st != GY_OK)
        return st;
    gy_year y;
    while (gy_years_next(yr, &y))
        ;
    return gy_years_close(yr, GY_OK);
}
