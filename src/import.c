/* import.c - CSV (libcsv) → typed table, with positions and encodings */
#include "gaiyo/import.h"
#include "gaiyo/retain.h"
#include "gaiyo/util.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- encodings ------------------------------------------------------ */

bool gy_enc_parse(const char *s, gy_enc *out)
{
    char b[32];
    size_t i = 0;
    for (; s[i] && i < sizeof b - 1; i++)
        b[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    b[i] = '\0';
    if (!strcmp(b, "utf-8") || !strcmp(b, "utf8")) {
        *out = GY_ENC_UTF8;
        return true;
    }
    if (!strcmp(b, "cp932") || !strcmp(b, "shift_jis") || !strcmp(b, "sjis") ||
        !strcmp(b, "shift-jis") || !strcmp(b, "windows-31j") || !strcmp(b, "ms932")) {
        *out = GY_ENC_CP932;
        return true;
    }
    if (!strcmp(b, "auto")) {
        *out = GY_ENC_AUTO;
        return true;
    }
    return false;
}

/* Where byte off of a data file (s, len bytes; CP932 when sjis) lies, by
 * the convention of every data-file diagnostic (README "Error format"):
 * the physical line where its CSV field starts and the CSV column of that
 * field (1 = A). Lines end at LF (CRLF counts once); a CR alone is
 * text, except in a file whose first line ends in a CR alone (an old Mac
 * file: cr_file), where CR, LF and CRLF all end lines. Bytes '"', ',', CR
 * and LF are never part of a UTF-8 or CP932 multi-byte character, so a
 * byte scan is enough. */
static bool cr_file(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] != '\r' && s[i] != '\n')
        i++;
    return i < len && s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n');
}

static void locate(const char *s, size_t len, size_t off, bool sjis, unsigned *line, unsigned *col)
{
    bool crf = cr_file(s, len);
    unsigned l = 1, c = 1, fl = 1;
    bool q = false;
    for (size_t i = 0; i < off && i < len;) {
        unsigned char b = (unsigned char)s[i];
        size_t k = 1;
        if (crf ? b == '\r' || (b == '\n' && !(i > 0 && s[i - 1] == '\r')) : b == '\n')
            l++;
        if (b == '"') {
            q = !q;
        } else if (!q && b == ',') {
            c++;
            fl = l;
        } else if (!q && (b == '\n' || b == '\r')) {
            c = 1;
            fl = l;
        } else if (sjis && ((b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC))) {
            k = 2; /* a lead byte: its trail byte may look like anything but the four above */
        }
        i += k;
    }
    *line = fl;
    *col = c;
}

static gy_status cp932_to_utf8(const char *in, size_t len, char **out, size_t *outlen,
                               size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", "CP932");
    if (cd == (iconv_t)-1)
        return GY_EIO;
    size_t cap = len * 3 / 2 + 16;
    char *o = malloc(cap + 1);
    if (!o) {
        iconv_close(cd);
        return GY_ENOMEM;
    }
    char *ip = (char *)in, *op = o;
    size_t il = len, ol = cap;
    while (il > 0) {
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        if (r == (size_t)-1) {
            if (errno == E2BIG) {
                size_t used = (size_t)(op - o);
                cap *= 2;
                char *n = realloc(o, cap + 1);
                if (!n) {
                    free(o);
                    iconv_close(cd);
                    return GY_ENOMEM;
                }
                o = n;
                op = o + used;
                ol = cap - used;
                continue;
            }
            *bad = (size_t)(ip - in);
            free(o);
            iconv_close(cd);
            return GY_EDATA;
        }
    }
    iconv_close(cd);
    *op = '\0';
    *out = o;
    *outlen = (size_t)(op - o);
    return GY_OK;
}

gy_status gy_decode(const char *path, const char *raw, size_t len, gy_enc enc, char **out,
                    size_t *outlen, const char **used, gy_diags *d)
{
    *out = NULL;
    *outlen = 0;
    const void *nul = memchr(raw, '\0', len);
    if (nul) {
        unsigned l, c;
        locate(raw, len, (size_t)((const char *)nul - raw), false, &l, &c);
        gy_diag_add(d, path, l, c, "バイナリファイルのようです (NUL バイトがあります)。CSV を指定してください");
        return GY_EDATA;
    }
    bool bom = len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0;
    if (bom && enc == GY_ENC_AUTO)
        enc = GY_ENC_UTF8;
    size_t bad = gy_utf8_invalid_at(raw, len);
    if (enc == GY_ENC_UTF8 || (enc == GY_ENC_AUTO && bad == len)) {
        if (bad != len) {
            unsigned l, c;
            size_t skip = bom ? 3 : 0; /* the BOM is not a character of line 1 */
            locate(raw + skip, len - skip, bad - skip, false, &l, &c);
            gy_diag_add(d, path, l, c, "UTF-8 として不正なバイト 0x%02X があります (CP932 なら encoding.conf に書いてください)",
                        (unsigned char)raw[bad]);
            return GY_EDATA;
        }
        size_t skip = bom ? 3 : 0;
        *out = gy_strndup(raw + skip, len - skip);
        if (!*out)
            return GY_ENOMEM;
        *outlen = len - skip;
        *used = bom ? "UTF-8 (BOM)" : "UTF-8";
        return GY_OK;
    }
    size_t badc = 0;
    gy_status st = cp932_to_utf8(raw, len, out, outlen, &badc);
    if (st == GY_EDATA) {
        unsigned l, c;
        /* neither decodes: the one that got further is the more likely
         * encoding, and its first bad byte the one to show */
        bool u8 = enc == GY_ENC_AUTO && bad > badc;
        if (u8)
            badc = bad;
        locate(raw, len, badc, !u8, &l, &c);
        if (enc == GY_ENC_AUTO)
            gy_diag_add(d, path, l, c,
                        "文字コードを判定できません: UTF-8 でも CP932 (Shift_JIS) でもないバイト 0x%02X",
                        (unsigned char)raw[badc]);
        else
            gy_diag_add(d, path, l, c, "CP932 (Shift_JIS) として不正なバイト 0x%02X があります",
                        (unsigned char)raw[badc]);
        return GY_EDATA;
    }
    if (st == GY_EIO) {
        gy_diag_add(d, path, 0, 0, "CP932 の変換器 (iconv) が使えません");
        return GY_EIO;
    }
    if (st != GY_OK)
        return st;
    *used = "CP932";
    return GY_OK;
}

/* ---- tables ---------------------------------------------------------- */

/* free a column's cells; it then reads as empty */
static void col_free(gy_colstore *cs)
{
    free(cs->v8);
    free(cs->wide);
    free(cs->v32);
    free(cs->v);
    free(cs->nil);
    free(cs->text);
    free(cs->negsp);
    *cs = (gy_colstore){0};
}

void gy_table_release(gy_table *t)
{
    if (!t)
        return;
    free(t->tx);
    t->tx = NULL;
    t->ntx = t->captx = 0;
    for (size_t j = 0; t->cols && j < t->def->ncols; j++) {
        col_free(&t->cols[j]);
    }
    free(t->xl);
    free(t->rows);
    t->xl = NULL;
    t->rows = NULL;
    t->nxl = t->capxl = t->nrows = t->cap = 0;
}

void gy_table_keep(gy_table *t, const bool *keep)
{
    if (!t || !t->cols)
        return;
    for (size_t j = 0; j < t->def->ncols; j++) {
        if (keep[j])
            continue;
        col_free(&t->cols[j]);
    }
}

void gy_table_free(gy_table *t)
{
    if (!t)
        return;
    free(t->tx);
    for (size_t j = 0; t->cols && j < t->def->ncols; j++) {
        col_free(&t->cols[j]);
    }
    free(t->cols);
    free(t->csvcol);
    free(t->xl);
    free(t->rows);
    free(t->path);
    free(t->encoding);
    free(t);
}

int64_t gy_tv_wide(const gy_colstore *cs, size_t row)
{
    size_t lo = 0, hi = cs->nwide;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cs->wide[mid].row < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cs->nwide && cs->wide[lo].row == row ? cs->wide[lo].v : GY_V32_WIDE;
}

/* the line where a cell starts: its row's, unless listed apart */
static unsigned cell_line(const gy_table *t, size_t row, size_t col)
{
    size_t lo = 0, hi = t->nxl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const gy_xline *x = &t->xl[mid];
        if (x->row < row || (x->row == row && x->col < col))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->nxl && t->xl[lo].row == row && t->xl[lo].col == col)
        return t->xl[lo].line;
    return t->rows[row].line;
}

void gy_table_cell(const gy_table *t, size_t row, size_t col, gy_cell *out)
{
    const gy_colstore *cs = &t->cols[col];
    out->nil = gy_tnil(t, row, (int)col);
    out->v = gy_tv(t, row, (int)col);
    out->col = t->csvcol[col];
    out->line = out->col ? cell_line(t, row, col) : 0;
    out->buf[0] = '\0';
    out->text = out->buf;
    uint32_t o = cs->text ? cs->text[row] : 0;
    if (o) {
        out->text = t->tx + o;
    } else if (!gy_col_textlike(t->def, col)) {
        gy_cell_format(t, col, out, out->buf, sizeof out->buf);
        if (cs->negsp && (cs->negsp[row / 8] >> (row % 8) & 1)) {
            /* written "△ 678": the canonical "△678" with a space after the △ */
            size_t l = strlen(out->buf);
            if (l >= 3 && l + 1 < sizeof out->buf) {
                memmove(out->buf + 4, out->buf + 3, l - 3 + 1);
                out->buf[3] = ' ';
            }
        }
    }
}

const char *gy_row_label(const gy_table *t, const gy_row *r)
{
    int c = t->def->label_col;
    return c >= 0 ? gy_ttext(t, gy_rowi(t, r), c) : "";
}

bool gy_rule_applies(const gy_table *t, const gy_rule *ru, const gy_row *r)
{
    if (ru->roles & (1u << r->role))
        return true;
    const char *lab = gy_row_label(t, r);
    for (size_t i = 0; i < ru->nrows; i++)
        if (strcmp(ru->rows[i], lab) == 0)
            return true;
    return false;
}

bool gy_table_is_stated_derived(const gy_table *t, size_t row, size_t col)
{
    const gy_row *r = &t->rows[row];
    const gy_coldef *c = &t->def->cols[col];
    if ((c->flags & GY_COL_SUM) && GY_ROLE_IS_AGGREGATE(r->role))
        return true;
    for (size_t i = 0; i < t->def->nrules; i++)
        if (t->def->rules[i].target == (int)col && gy_rule_applies(t, &t->def->rules[i], r))
            return true;
    return false;
}

/* After a truncating snprintf: drop a UTF-8 sequence cut at the end. */
static void utf8_cut(char *buf, size_t n)
{
    size_t l = strlen(buf), i = l;
    if (n == 0 || l + 1 < n)
        return;
    while (i > 0 && l - i < 3 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
        i--;
    if (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0xC0) {
        unsigned char b = (unsigned char)buf[i - 1];
        size_t want = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        if (l - (i - 1) < want)
            buf[i - 1] = '\0';
    }
}

void gy_cell_format(const gy_table *t, size_t col, const gy_cell *c, char *buf, size_t n)
{
    const gy_coldef *cd = &t->def->cols[col];
    if (c->nil == GY_NIL_BLANK) {
        snprintf(buf, n, "%s", "");
        return;
    }
    if (c->nil == GY_NIL_NA) {
        snprintf(buf, n, "-");
        return;
    }
    if (c->nil == GY_NIL_UNKNOWN) {
        snprintf(buf, n, "…");
        return;
    }
    switch (cd->type) {
    case GY_T_AMOUNT:
    case GY_T_COUNT:
    case GY_T_RATIO:
        gy_col_format(cd, c->v, "△", buf, n);
        break;
    case GY_T_PERIOD: {
        gy_period pe = gy_period_from_key(c->v);
        const char *e;
        if (!(c->text && gy_parse_period(c->text, &pe, &e)))
            pe = gy_period_from_key(c->v);
        gy_period_format(&pe, buf, n);
        break;
    }
    case GY_T_FY: {
        gy_fy fy = gy_fy_from_western((int)c->v);
        gy_fy parsed;
        const char *e;
        if (c->text && gy_parse_fy(c->text, &parsed, &e))
            fy = parsed;
        gy_fy_format(&fy, buf, n);
        break;
    }
    case GY_T_ROLE:
        snprintf(buf, n, "%s", gy_role_name((gy_role)c->v));
        break;
    default:
        snprintf(buf, n, "%s", c->text ? c->text : "");
        utf8_cut(buf, n); /* a long text is cut between characters */
    }
}

/* ---- CSV reading ------------------------------------------------------ */

typedef struct field {
    size_t off;        /* in the reader's record buffer */
    unsigned line;
} field;

/* An open-addressing set of 32-bit values filed under 32-bit hashes (hash
 * and value side by side: one cache miss per probe); value 0 is an empty
 * slot. Two of them while a file is imported: rows by key (hset_put; value
 * row + 1) and texts by content (intern; value an offset in t->tx). */
typedef struct hslot {
    uint32_t hash;     /* the low half of the hash (the slot comes from it) */
    uint32_t v;        /* 0 = empty */
} hslot;

typedef struct hset {
    hslot *s;
    size_t cap, n;
} hset;

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

static void hset_free(hset *h)
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

enum { TX_OK = 0, TX_NOMEM, TX_FULL };

/* room for n more bytes in t->tx */
static int tx_room(gy_table *t, size_t n)
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
    int e = tx_room(t, n + 1);
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


typedef struct reader {
    const gy_tabledef *def;
    const char *path;
    gy_diags *d;
    gy_table *t;
    /* current record: its fields' texts one after another in rb */
    field *f;
    char **fp;             /* the fields' texts (pointers into rb, set per record) */
    size_t nf, capf;
    char *rb;
    size_t rbn, rbcap;
    unsigned field_line;   /* line where the current field started */
    unsigned rec_line;     /* line where the current record started */
    bool need_start;
    /* header */
    bool have_header;
    int *map;              /* csv column → def column, -1 */
    size_t nhdr;
    unsigned hdr_line;
    hset keys;
    hset strs;             /* the table's texts (intern) */
    const char **ts;       /* per definition column: the text of this record hashed ahead, */
    size_t *tl;            /*   its length */
    uint64_t *th;          /*   and its tx_hash (data_record) */
    int *absent;           /* definition columns the file does not have */
    size_t nabsent;
    bool keycheck;         /* rows must have distinct keys */
    bool fykey;            /* a key column is a fiscal year (hashed by its value, once parsed) */
    bool fatal;
    bool oom;
    size_t nerr0;
} reader;

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
    if (r->ts[c] == s) /* hashed with its record (data_record) */
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

/* room for one more field of the record (false: out of memory, and the
 * reader stops) */
static bool field_room(reader *r)
{
    if (r->nf < r->capf)
        return true;
    size_t nc = r->capf ? r->capf * 2 : 16;
    field *nv = realloc(r->f, nc * sizeof *nv);
    if (nv)
        r->f = nv;
    char **np = nv ? realloc(r->fp, nc * sizeof *np) : NULL;
    if (!np) {
        r->oom = r->fatal = true;
        return false;
    }
    r->fp = np;
    r->capf = nc;
    return true;
}

/* room for `need` bytes of field texts in rb */
static bool rb_room(reader *r, size_t need)
{
    if (need <= r->rbcap)
        return true;
    size_t nc = r->rbcap ? r->rbcap : 1024;
    while (nc < need)
        nc *= 2;
    char *nb = realloc(r->rb, nc);
    if (!nb) {
        r->oom = r->fatal = true;
        return false;
    }
    r->rb = nb;
    r->rbcap = nc;
    return true;
}

static void cb_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->fatal)
        return;
    if (!s)
        len = 0;
    if (!field_room(r) || !rb_room(r, r->rbn + len + 1))
        return;
    if (len)
        memcpy(r->rb + r->rbn, s, len);
    r->rb[r->rbn + len] = '\0';
    if (r->nf == 0)
        r->rec_line = r->field_line;
    r->f[r->nf++] = (field){r->rbn, r->field_line};
    r->rbn += len + 1;
}

static void clear_record(reader *r)
{
    r->nf = 0;
    r->rbn = 0;
}

/* the text of field i of the current record */
static char *fld(reader *r, size_t i)
{
    return r->rb + r->f[i].off;
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

static void header_record(reader *r)
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

static void data_record(reader *r)
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

static void cb_record(int c, void *data)
{
    (void)c;
    reader *r = data;
    if (r->fatal) {
        clear_record(r);
        return;
    }
    if (!r->have_header)
        header_record(r);
    else
        data_record(r);
    clear_record(r);
}

static const unsigned char special[256] = {[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1};

/* A line read while libcsv stands at the start of a row, when it holds
 * only well-formed fields: plain ones, and quoted ones ("" for a quote)
 * that close on the same line, followed by nothing but spaces before the
 * next comma. Its fields are exactly what libcsv (CSV_STRICT) would hand
 * over, once trimmed as every field is, so they are split here at a
 * fraction of the cost. Anything else (a quoted field running onto the
 * next line, a stray quote, a carriage return inside the line) returns
 * false with nothing done, and libcsv reads the line, reporting what is
 * wrong. A line of spaces and tabs only is no record, as in libcsv. */
bool gy_import_fastpath = true;

/* A mapped input file: the pages read are given back as the reading goes
 * on (they stay in the page cache; touched again, they come back, many
 * pages per fault), by the checks before the parse (encoding, line count)
 * as by the parse, so that a big file never sits in memory whole and the
 * table grows while the file shrinks. */
typedef struct mapped {
    const char *base;
    size_t len;
} mapped;

enum { DROP_STEP = 16 << 20 }; /* give back every 16 MiB read */
enum { PROGRESS_STEP = 2 << 20 }; /* rows read told the terminal every 2 MiB */

/* give back the whole pages of [base + from, base + to) */
static void drop_pages(const mapped *m, size_t from, size_t to)
{
    if (!m || !m->base)
        return;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t a = (from + pg - 1) / pg * pg, b = to / pg * pg;
    if (b > m->len)
        b = m->len / pg * pg;
    if (b > a)
        madvise((void *)(m->base + a), b - a, MADV_DONTNEED);
}

/* the line feeds in s[0..n) */
static size_t count_lf(const char *s, size_t n)
{
    size_t k = 0;
    for (const char *q = s, *e = s + n; (q = memchr(q, '\n', (size_t)(e - q))); q++)
        k++;
    return k;
}

static bool fast_line(reader *r, const char *s, size_t n, unsigned line)
{
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    if (k == n)
        return true;
    if (!rb_room(r, n + 1))
        return true;
    char *o = r->rb;       /* fields written one after another, NUL-ended */
    size_t on = 0, i = 0;
    r->nf = 0;
    for (;;) {
        if (!field_room(r))
            return true;
        r->f[r->nf++] = (field){on, line};
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n && s[i] == '"') {
            for (i++;; i++) {
                if (i >= n)
                    goto slow; /* runs onto the next line */
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        o[on++] = '"';
                        i++;
                        continue;
                    }
                    break;
                }
                o[on++] = s[i];
            }
            i++;
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
            if (i < n && s[i] != ',')
                goto slow; /* text after the closing quote */
        } else {
            const char *c = memchr(s + i, ',', n - i);
            size_t e = c ? (size_t)(c - s) : n;
            if (memchr(s + i, '"', e - i))
                goto slow; /* a quote inside a plain field */
            memcpy(o + on, s + i, e - i);
            on += e - i;
            i = e;
        }
        o[on++] = '\0';
        if (i >= n)
            break;
        i++; /* the comma */
    }
    r->rbn = on;
    r->rec_line = line;
    cb_record(0, r);
    return true;
slow:
    r->nf = 0;
    r->rbn = 0;
    return false;
}

/* gy_import_text, with the text lying in a mapped file (m, or NULL) at
 * offset off */
static gy_status import_text(const gy_tabledef *def, const char *path, const char *text, size_t len,
                             const mapped *m, size_t off, size_t lines, gy_table **out, gy_diags *d)
{
    *out = NULL;
    reader r = {.def = def, .path = path, .d = d, .field_line = 1, .rec_line = 1,
                .need_start = true, .nerr0 = d->n + d->dropped};
    r.t = calloc(1, sizeof *r.t);
    if (!r.t)
        return GY_ENOMEM;
    r.t->def = def;
    r.t->path = gy_strdup(path);
    r.t->cols = calloc(def->ncols ? def->ncols : 1, sizeof *r.t->cols);
    r.t->csvcol = calloc(def->ncols ? def->ncols : 1, sizeof *r.t->csvcol);
    if (tx_room(r.t, 1) == TX_OK)
        r.t->tx[r.t->ntx++] = '\0'; /* offset 0: "" */
    if (!r.t->path || !r.t->cols || !r.t->csvcol || !r.t->tx) {
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    /* whitespace is trimmed by us (half and full width), not by libcsv */
    size_t i = 0;
    unsigned line = 1;
    bool blank = true;
    for (size_t k = 0; k < len; k++)
        if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r' && text[k] != '\n') {
            blank = false;
            break;
        }
    if (blank) {
        gy_diag_add(d, path, 0, 0, "空のファイルです (見出し行がありません)");
        csv_free(&p);
        gy_table_free(r.t);
        return GY_EDATA;
    }
    /* room for as many rows and keys as there are lines (an upper bound:
     * a quoted field may span lines), allocated once */
    size_t nl = lines ? lines : 1 + count_lf(text, len), given = 0;
    /* lines end at LF (CRLF once); a CR alone is text (inside a quoted
     * field of an LF or CRLF file), except in an old Mac file (cr_file),
     * where CR, LF and CRLF each end a line (locate: the same) */
    bool crf = cr_file(text, len);
    r.t->cap = nl > 64 ? nl : 64;
    r.t->rows = gy_malloc_big(r.t->cap, sizeof *r.t->rows);
    if (!r.t->rows) {
        csv_free(&p);
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    if (nl > 64) {
        size_t hc = 64;
        while (hc < nl + nl / 3 + 2) /* filled to three quarters at most */
            hc *= 2;
        r.keys.s = gy_calloc_big(hc, sizeof *r.keys.s);
        r.keys.cap = r.keys.s ? hc : 0;
    }
    size_t told = 0, told_at = 0; /* rows told gy_progress_rows, at byte */
    while (i < len && !r.fatal) {
        if (i - given >= DROP_STEP) {
            drop_pages(m, off + given, off + i);
            given = i;
        }
        if (i - told_at >= PROGRESS_STEP) {
            gy_progress_rows(path, r.t->nrows - told);
            told = r.t->nrows;
            told_at = i;
        }
        /* a plain line at the start of a row: split without libcsv
         * (pstate 0 is libcsv's ROW_NOT_BEGUN: no field is pending) */
        if (gy_import_fastpath && p.pstate == 0 && r.nf == 0 && (i == 0 || text[i - 1] == '\n')) {
            const char *nlp = memchr(text + i, '\n', len - i);
            size_t e = nlp ? (size_t)(nlp - text) : len, ce = e;
            if (ce > i && text[ce - 1] == '\r')
                ce--;
            if (!memchr(text + i, '\r', ce - i) && fast_line(&r, text + i, ce - i, line)) {
                line++;
                i = nlp ? e + 1 : len;
                r.need_start = true;
                continue;
            }
        }
        size_t j = i;
        while (j < len && !special[(unsigned char)text[j]])
            j++;
        size_t end = j < len ? j + 1 : len; /* include the special byte */
        if (r.need_start && text[i] != '\n' && text[i] != '\r') {
            r.field_line = line;
            r.need_start = false;
        }
        size_t nf0 = r.nf;
        size_t nrows0 = r.t->nrows;
        bool hdr0 = r.have_header;
        size_t done = csv_parse(&p, text + i, end - i, cb_field, cb_record, &r);
        if (done != end - i) {
            if (!r.fatal) {
                gy_diag_add(d, path, r.field_line, (unsigned)r.nf + 1, /* where the field starts */
                            "引用符 (\") の使い方が正しくありません: 引用符で囲む欄は欄全体を囲み、中の \" は \"\" と書きます");
                r.fatal = true;
            }
            break;
        }
        /* a field or record ended, or libcsv is back at a row start (a
         * line of spaces, or an empty record, ends nothing we see) */
        if (r.nf != nf0 || r.t->nrows != nrows0 || r.have_header != hdr0 || (p.pstate == 0 && r.nf == 0)) {
            r.need_start = true;
        }
        if (end > i && text[end - 1] == '\n' && !(crf && end >= 2 && text[end - 2] == '\r'))
            line++;
        else if (crf && end > i && text[end - 1] == '\r')
            line++;
        if (r.need_start && end < len && text[end] != '\n' && text[end] != '\r') {
            r.field_line = line;
            r.need_start = false;
        }
        i = end;
    }
    if (!r.fatal) {
        if (csv_fini(&p, cb_field, cb_record, &r) != 0 && !r.fatal) {
            gy_diag_add(d, path, r.field_line, (unsigned)r.nf + 1,
                        "引用符 (\") が閉じていません (この欄はここから始まっています)");
            r.fatal = true;
        }
    }
    csv_free(&p);
    if (r.t->nrows > told)
        gy_progress_rows(path, r.t->nrows - told);
    clear_record(&r);
    free(r.f);
    free(r.fp);
    free(r.rb);
    free(r.absent);
    free(r.map);
    free(r.ts);
    free(r.tl);
    free(r.th);
    hset_free(&r.keys);
    hset_free(&r.strs);
    if (r.oom) {
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    if (!r.fatal && !r.have_header) {
        gy_diag_add(d, path, 0, 0, "見出し行がありません");
        r.fatal = true;
    }
    if (r.fatal || d->n + d->dropped > r.nerr0) {
        gy_table_free(r.t);
        return GY_EDATA;
    }
    if (r.t->ntx < r.t->captx) {
        char *p = realloc(r.t->tx, r.t->ntx); /* give back the unused part */
        if (p) {
            r.t->tx = p;
            r.t->captx = r.t->ntx;
        }
    }
    *out = r.t;
    return GY_OK;
}

gy_status gy_import_text(const gy_tabledef *def, const char *path, const char *text, size_t len,
                         gy_table **out, gy_diags *d)
{
    return import_text(def, path, text, len, NULL, 0, 0, out, d);
}

/* Whether raw[0..len) holds no NUL and is valid UTF-8, and *lines: its
 * line count (line feeds + 1). A step of CHECK_STEP is read three times
 * (NUL, UTF-8, line feeds) while it is in the cache; the pages of a mapped
 * file are given back every DROP_STEP. */
enum { CHECK_STEP = 256 << 10 };

static bool plain_utf8(const char *raw, size_t len, const mapped *m, size_t *lines)
{
    size_t pos = 0, given = 0;
    *lines = 1;
    while (pos < len) {
        if (pos - given >= DROP_STEP) {
            drop_pages(m, given, pos);
            given = pos;
        }
        size_t end = len - pos > CHECK_STEP ? pos + CHECK_STEP : len;
        if (memchr(raw + pos, '\0', end - pos))
            return false;
        size_t b = pos + gy_utf8_invalid_at(raw + pos, end - pos);
        if (b < end) {
            /* a character cut by the step's end is read with the next step */
            if (end == len || end - b >= 4 || b == pos)
                return false;
            end = b;
        }
        *lines += count_lf(raw + pos, end - pos);
        pos = end;
    }
    drop_pages(m, given, len);
    return true;
}

gy_status gy_import_file(const gy_tabledef *def, const char *path, gy_enc enc, gy_table **out,
                         gy_diags *d)
{
    return gy_import_file_in(def, path, NULL, enc, out, d);
}

gy_status gy_import_file_in(const gy_tabledef *def, const char *path, const char *root, gy_enc enc,
                            gy_table **out, gy_diags *d)
{
    *out = NULL;
    char *raw = NULL;
    size_t len = 0;
    /* a big regular file is mapped, not copied: read where it lies (the
     * page cache), with no buffer to fill and no copy. Only a regular
     * file of at most GY_INPUT_MAX bytes is read (a FIFO, a device, a
     * symlink out of root is refused unread). */
    void *map = NULL;
    size_t maplen = 0;
    int fd;
    struct stat sb;
    int e = gy_open_regular(path, root, GY_INPUT_MAX, &fd, &sb);
    if (!e && sb.st_size >= (1 << 20)) {
        maplen = (size_t)sb.st_size;
        map = mmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
        } else {
#ifdef MADV_SEQUENTIAL
            madvise(map, maplen, MADV_SEQUENTIAL);
#endif
            raw = map;
            len = maplen;
        }
    }
    if (!e && !map)
        e = gy_read_fd(fd, &sb, GY_INPUT_MAX, &raw, &len);
    if (fd >= 0)
        close(fd);
    if (e) {
        char eb[256]; /* not strerror: files are imported on several threads */
        gy_diag_add(d, path, 0, 0, "ファイルを読めません: %s", gy_file_strerror(e, GY_INPUT_MAX, eb, sizeof eb));
        return GY_EIO;
    }
    char *text;
    size_t tlen;
    const char *used = NULL;
    gy_status st;
    mapped mp = {map, maplen};
    size_t lines = 0;
    if (enc != GY_ENC_CP932 && plain_utf8(raw, len, map ? &mp : NULL, &lines)) {
        /* valid UTF-8, as gy_decode would find: read it where it is */
        bool bom = len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0;
        used = bom ? "UTF-8 (BOM)" : "UTF-8";
        st = import_text(def, path, raw + (bom ? 3 : 0), len - (bom ? 3 : 0), map ? &mp : NULL, bom ? 3 : 0, lines,
                         out, d);
        if (map)
            munmap(map, maplen);
        else
            free(raw);
    } else {
        st = gy_decode(path, raw, len, enc, &text, &tlen, &used, d);
        if (map)
            munmap(map, maplen);
        else
            free(raw);
        if (st != GY_OK)
            return st;
        st = gy_import_text(def, path, text, tlen, out, d);
        free(text);
    }
    if (st == GY_OK) {
        (*out)->encoding = gy_strdup(used);
        if (!(*out)->encoding) {
            gy_table_free(*out);
            *out = NULL;
            return GY_ENOMEM;
        }
    }
    return st;
}

/* ---- input folder ---------------------------------------------------- */

void gy_dataset_free(gy_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++)
        gy_table_free(ds->v[i]);
    free(ds->v);
    for (size_t i = 0; i < ds->nmissing; i++)
        free(ds->missing[i]);
    free(ds->missing);
    for (size_t i = 0; i < ds->nempty; i++)
        free(ds->empty[i]);
    free(ds->empty);
    ds->v = NULL;
    ds->missing = NULL;
    ds->empty = NULL;
    ds->n = ds->nmissing = ds->nempty = 0;
}

const gy_table *gy_dataset_find(const gy_dataset *ds, const char *id, int western)
{
    const gy_table *best = NULL;
    for (size_t i = 0; i < ds->n; i++) {
        const gy_table *t = ds->v[i];
        if (strcmp(t->def->id, id))
            continue;
        if (western ? t->fy.western == western : (!best || t->fy.western > best->fy.western))
            best = t;
    }
    return best;
}

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

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->n)
            return NULL;
        ijob *j = &p->jobs[p->order[k]];
        j->st = gy_import_file_in(j->def, j->path, j->root, j->enc, &j->t, &j->d);
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
                jobs[k].st = gy_import_file_in(jobs[k].def, jobs[k].path, jobs[k].root, jobs[k].enc, &jobs[k].t,
                                               &jobs[k].d);
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

gy_status gy_dataset_load(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d)
{
    return gy_dataset_load_years(dir, defs, out, d, NULL);
}

gy_status gy_dataset_load_years(const char *dir, const gy_defset *defs, gy_dataset *out, gy_diags *d,
                                const gy_retention *keep)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp) {
        gy_diag_add(d, dir, 0, 0, "入力フォルダを開けません: %s", strerror(errno));
        return GY_EIO;
    }
    fydir *dirs = NULL;
    size_t nd = 0;
    gy_status st = GY_OK;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = gy_asprintf("%s/%s", dir, de->d_name);
        struct stat sb;
        if (!p) {
            st = GY_ENOMEM;
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
            st = ie == ENOMEM ? GY_ENOMEM : GY_EDATA;
            continue;
        }
        gy_fy fy;
        const char *e;
        if (!gy_parse_fy(de->d_name, &fy, &e)) {
            gy_diag_add(d, dir, 0, 0, "フォルダ '%s' は年度フォルダの名前 (例 R6) ではありません", de->d_name);
            st = GY_EDATA;
            continue;
        }
        fydir *nv = realloc(dirs, (nd + 1) * sizeof *nv);
        if (!nv) {
            st = GY_ENOMEM;
            break;
        }
        dirs = nv;
        dirs[nd].name = gy_strdup(de->d_name);
        dirs[nd].fy = fy;
        nd++;
    }
    closedir(dp);
    if (nd)
        qsort(dirs, nd, sizeof *dirs, cmp_fydir);
    for (size_t i = 0; i + 1 < nd; i++)
        if (dirs[i].fy.western == dirs[i + 1].fy.western) {
            gy_diag_add(d, dir, 0, 0, "フォルダ '%s' と '%s' は同じ年度です", dirs[i].name, dirs[i + 1].name);
            st = GY_EDATA;
        }
    if (st == GY_OK && nd == 0) {
        gy_diag_add(d, dir, 0, 0, "年度フォルダ (例 %s/R6/) がありません", dir);
        st = GY_EDATA;
    }
    /* First, in order: each year folder's checks (their diagnostics and
     * status kept in a segment of their own) and the files to import.
     * Then the imports, on as many threads as there are processors
     * (files are independent). Last, everything is merged in the order
     * of the first pass, so that diagnostics, status and tables are the
     * same as if the files had been read one after another. */
    ijob *jobs = NULL;
    size_t njobs = 0, capjobs = 0;
    gy_status st0 = st;
    for (size_t i = 0; i < nd && st != GY_ENOMEM; i++) {
        char *yd = gy_asprintf("%s/%s", dir, dirs[i].name);
        ijob *seg = yd ? add_job(&jobs, &njobs, &capjobs, d) : NULL;
        if (!seg) {
            free(yd);
            st = GY_ENOMEM;
            break;
        }
        gy_diags *sd = &seg->d;
        char **ef = NULL;
        gy_enc *ee = NULL;
        size_t ne = 0;
        seg->s_first = read_encconf(yd, dir, defs, &ef, &ee, &ne, sd);
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
        if (seg->s_first != GY_OK && st == GY_OK)
            st = seg->s_first;
        if (seg->s_set != GY_OK)
            st = seg->s_set;
        for (size_t k = 0; k < defs->n && st != GY_ENOMEM; k++) {
            const gy_tabledef *def = defs->v[k];
            char *fp = gy_asprintf("%s/%s", yd, def->file);
            if (!fp) {
                st = GY_ENOMEM;
                break;
            }
            struct stat sb;
            if (lstat(fp, &sb) != 0) { /* a dangling symlink is not missing: reading it says why */
                char **nm = realloc(out->missing, (out->nmissing + 1) * sizeof *nm);
                if (nm) {
                    out->missing = nm;
                    out->missing[out->nmissing++] = gy_asprintf("%s/%s", dirs[i].name, def->file);
                }
                free(fp);
                continue;
            }
            gy_enc enc = GY_ENC_AUTO;
            for (size_t m = 0; m < ne; m++)
                if (!strcmp(ef[m], def->file))
                    enc = ee[m];
            ijob *j = add_job(&jobs, &njobs, &capjobs, d);
            if (!j) {
                free(fp);
                st = GY_ENOMEM;
                break;
            }
            j->path = fp;
            j->def = def;
            j->enc = enc;
            j->fy = dirs[i].fy;
            j->root = dir;
            j->size = stat(fp, &sb) == 0 ? (size_t)sb.st_size : 0;
        }
        for (size_t m = 0; m < ne; m++)
            free(ef[m]);
        free(ef);
        free(ee);
        free(yd);
    }
    bool jobs_oom = st == GY_ENOMEM;
    /* a file whose definition has a file in a later year folder too */
    for (size_t k = 0; k < njobs; k++)
        for (size_t m = k + 1; jobs[k].def && m < njobs && !jobs[k].later; m++)
            jobs[k].later = jobs[m].def == jobs[k].def;
    /* staged: a big file before the last year folder; then each year is
     * read after the one before was seen and cut (keep) */
    bool staged = false;
    for (size_t k = 0; keep && keep->big && k < njobs; k++)
        if (jobs[k].def && jobs[k].later && jobs[k].size >= keep->big)
            staged = true;
    if (!jobs_oom && !staged)
        run_jobs(jobs, njobs);
    /* merge, in order, year by year (a year folder's jobs: its checks, then its files) */
    st = st0;
    gy_status fst = GY_OK;
    for (size_t k = 0; k < njobs;) {
        size_t e = k + 1;
        while (e < njobs && jobs[e].def)
            e++;
        if (!jobs_oom && staged)
            run_jobs(jobs + k, e - k);
        size_t first = out->n;
        for (; k < e; k++) {
            ijob *j = &jobs[k];
            for (size_t m = 0; m < j->d.n; m++)
                gy_diag_add(d, j->d.v[m].file, j->d.v[m].line, j->d.v[m].col, "%s", j->d.v[m].msg);
            d->dropped += j->d.dropped;
            gy_diags_free(&j->d);
            free(j->path);
            if (!j->def) {
                if (j->s_first != GY_OK && st == GY_OK)
                    st = j->s_first;
                if (j->s_set != GY_OK)
                    st = j->s_set;
                continue;
            }
            if (j->st != GY_OK) {
                if (st == GY_OK || j->st == GY_ENOMEM)
                    st = j->st;
                continue;
            }
            if (!j->t) {
                /* not run (out of memory before the imports) */
                st = GY_ENOMEM;
                continue;
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
                    st = GY_ENOMEM;
                    continue;
                }
                out->empty = ne;
                out->empty[out->nempty++] = pe;
            }
            gy_table **nv = realloc(out->v, (out->n + 1) * sizeof *nv);
            if (!nv) {
                gy_table_free(j->t);
                st = GY_ENOMEM;
                continue;
            }
            out->v = nv;
            out->v[out->n++] = j->t;
        }
        /* once something failed, the rest is only read for its diagnostics */
        if (keep && st == GY_OK && fst == GY_OK && !jobs_oom)
            fst = gy_retention_year(keep, defs, out, first, e == njobs);
    }
    if (st == GY_OK)
        st = fst;
    if (jobs_oom)
        st = GY_ENOMEM;
    free(jobs);
    for (size_t i = 0; i < nd; i++)
        free(dirs[i].name);
    free(dirs);
    if (st != GY_OK)
        gy_dataset_free(out);
    return st;
}
