/* csvread.c - the CSV reader: libcsv callbacks, records, positions
 *
 * Reads a file (mapped when big, its pages given back as the reading goes
 * on), checks it is UTF-8 or decodes it (encoding.c), and splits it into
 * records: well-formed lines by a fast path, everything else by libcsv,
 * keeping the line and column where each field starts. The header record
 * and each data record go to the importer proper (import.c: gy_header_record,
 * gy_data_record). Declared in gaiyo/import.h (gy_import_text,
 * gy_import_file); tested by tests/unit/test_import.c. Moved out of import.c
 * (issue 17). */
#include "gaiyo/import.h"
#include "gaiyo/util.h"
#include "import_int.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- CSV reading ------------------------------------------------------ */

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

static void cb_record(int c, void *data)
{
    (void)c;
    reader *r = data;
    if (r->fatal) {
        clear_record(r);
        return;
    }
    if (!r->have_header)
        gy_header_record(r);
    else
        gy_data_record(r);
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

/* a new table for r (r->t), with its columns and the empty text at tx
 * offset 0 (GY_ENOMEM: nothing left allocated) */
static gy_status new_table(reader *r)
{
    const gy_tabledef *def = r->def;
    r->t = calloc(1, sizeof *r->t);
    if (!r->t)
        return GY_ENOMEM;
    r->t->def = def;
    r->t->path = gy_strdup(r->path);
    r->t->cols = calloc(def->ncols ? def->ncols : 1, sizeof *r->t->cols);
    r->t->csvcol = calloc(def->ncols ? def->ncols : 1, sizeof *r->t->csvcol);
    if (gy_tx_room(r->t, 1) == TX_OK)
        r->t->tx[r->t->ntx++] = '\0'; /* offset 0: "" */
    if (!r->t->path || !r->t->cols || !r->t->csvcol || !r->t->tx) {
        gy_table_free(r->t);
        return GY_ENOMEM;
    }
    return GY_OK;
}

/* whether text holds nothing but spaces, tabs and line ends */
static bool all_blank(const char *text, size_t len)
{
    bool blank = true;
    for (size_t k = 0; k < len; k++)
        if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r' && text[k] != '\n') {
            blank = false;
            break;
        }
    return blank;
}

/* room for nl rows, and a key set for as many (false: out of memory) */
static bool size_rows(reader *r, size_t nl)
{
    r->t->cap = nl > 64 ? nl : 64;
    r->t->rows = gy_malloc_big(r->t->cap, sizeof *r->t->rows);
    if (!r->t->rows)
        return false;
    if (nl > 64) {
        size_t hc = 64;
        while (hc < nl + nl / 3 + 2) /* filled to three quarters at most */
            hc *= 2;
        r->keys.s = gy_calloc_big(hc, sizeof *r->keys.s);
        r->keys.cap = r->keys.s ? hc : 0;
    }
    return true;
}

/* where import_text's loop stands in the text */
typedef struct scan {
    reader *r;
    struct csv_parser *p;
    const char *text;
    size_t len;
    size_t i;          /* the next byte to read */
    unsigned line;     /* its line */
    bool crf;          /* an old Mac file (gy_cr_file) */
} scan;

/* a plain line at the start of a row: split without libcsv (true: read,
 * s->i past it) */
static bool fast_step(scan *s)
{
    reader *r = s->r;
    const char *text = s->text;
    size_t i = s->i, len = s->len;
    /* (pstate 0 is libcsv's ROW_NOT_BEGUN: no field is pending) */
    if (gy_import_fastpath && s->p->pstate == 0 && r->nf == 0 && (i == 0 || text[i - 1] == '\n')) {
        const char *nlp = memchr(text + i, '\n', len - i);
        size_t e = nlp ? (size_t)(nlp - text) : len, ce = e;
        if (ce > i && text[ce - 1] == '\r')
            ce--;
        if (!memchr(text + i, '\r', ce - i) && fast_line(r, text + i, ce - i, s->line)) {
            s->line++;
            s->i = nlp ? e + 1 : len;
            r->need_start = true;
            return true;
        }
    }
    return false;
}

/* the text up to the next special byte, through libcsv (false: a quote
 * misused, said; the reading stops) */
static bool csv_step(scan *s)
{
    reader *r = s->r;
    const char *text = s->text;
    size_t i = s->i, len = s->len;
    bool crf = s->crf;
    size_t j = i;
    while (j < len && !special[(unsigned char)text[j]])
        j++;
    size_t end = j < len ? j + 1 : len; /* include the special byte */
    if (r->need_start && text[i] != '\n' && text[i] != '\r') {
        r->field_line = s->line;
        r->need_start = false;
    }
    size_t nf0 = r->nf;
    size_t nrows0 = r->t->nrows;
    bool hdr0 = r->have_header;
    size_t done = csv_parse(s->p, text + i, end - i, cb_field, cb_record, r);
    if (done != end - i) {
        if (!r->fatal) {
            gy_diag_add(r->d, r->path, r->field_line, (unsigned)r->nf + 1, /* where the field starts */
                        "引用符 (\") の使い方が正しくありません: 引用符で囲む欄は欄全体を囲み、中の \" は \"\" と書きます");
            r->fatal = true;
        }
        return false;
    }
    /* a field or record ended, or libcsv is back at a row start (a
     * line of spaces, or an empty record, ends nothing we see) */
    if (r->nf != nf0 || r->t->nrows != nrows0 || r->have_header != hdr0 || (s->p->pstate == 0 && r->nf == 0)) {
        r->need_start = true;
    }
    if (end > i && text[end - 1] == '\n' && !(crf && end >= 2 && text[end - 2] == '\r'))
        s->line++;
    else if (crf && end > i && text[end - 1] == '\r')
        s->line++;
    if (r->need_start && end < len && text[end] != '\n' && text[end] != '\r') {
        r->field_line = s->line;
        r->need_start = false;
    }
    s->i = end;
    return true;
}

/* the reader's working storage freed (r->t stays) */
static void free_reader(reader *r)
{
    clear_record(r);
    free(r->f);
    free(r->fp);
    free(r->rb);
    free(r->absent);
    free(r->map);
    free(r->ts);
    free(r->tl);
    free(r->th);
    gy_hset_free(&r->keys);
    gy_hset_free(&r->strs);
}

/* the table read, or freed with the status why not */
static gy_status finish_table(reader *r, gy_table **out)
{
    gy_diags *d = r->d;
    if (r->oom) {
        gy_table_free(r->t);
        return GY_ENOMEM;
    }
    if (!r->fatal && !r->have_header) {
        gy_diag_add(d, r->path, 0, 0, "見出し行がありません");
        r->fatal = true;
    }
    if (r->fatal || d->n + d->dropped > r->nerr0) {
        gy_table_free(r->t);
        return GY_EDATA;
    }
    if (r->t->ntx < r->t->captx) {
        char *p = realloc(r->t->tx, r->t->ntx); /* give back the unused part */
        if (p) {
            r->t->tx = p;
            r->t->captx = r->t->ntx;
        }
    }
    *out = r->t;
    return GY_OK;
}

/* gy_import_text, with the text lying in a mapped file (m, or NULL) at
 * offset off */
static gy_status import_text(const gy_tabledef *def, const char *path, const char *text, size_t len,
                             const mapped *m, size_t off, size_t lines, gy_table **out, gy_diags *d)
{
    *out = NULL;
    reader r = {.def = def, .path = path, .d = d, .field_line = 1, .rec_line = 1,
                .need_start = true, .nerr0 = d->n + d->dropped};
    if (new_table(&r) != GY_OK)
        return GY_ENOMEM;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    /* whitespace is trimmed by us (half and full width), not by libcsv */
    scan s = {.r = &r, .p = &p, .text = text, .len = len, .i = 0, .line = 1};
    if (all_blank(text, len)) {
        gy_diag_add(d, path, 0, 0, "空のファイルです (見出し行がありません)");
        csv_free(&p);
        gy_table_free(r.t);
        return GY_EDATA;
    }
    /* room for as many rows and keys as there are lines (an upper bound:
     * a quoted field may span lines), allocated once */
    size_t nl = lines ? lines : 1 + count_lf(text, len), given = 0;
    /* lines end at LF (CRLF once); a CR alone is text (inside a quoted
     * field of an LF or CRLF file), except in an old Mac file (gy_cr_file),
     * where CR, LF and CRLF each end a line (locate: the same) */
    s.crf = gy_cr_file(text, len);
    if (!size_rows(&r, nl)) {
        csv_free(&p);
        gy_table_free(r.t);
        return GY_ENOMEM;
    }
    size_t told = 0, told_at = 0; /* rows told gy_progress_rows, at byte */
    while (s.i < len && !r.fatal) {
        if (s.i - given >= DROP_STEP) {
            drop_pages(m, off + given, off + s.i);
            given = s.i;
        }
        if (s.i - told_at >= PROGRESS_STEP) {
            gy_progress_rows(path, r.t->nrows - told);
            told = r.t->nrows;
            told_at = s.i;
        }
        if (fast_step(&s))
            continue;
        if (!csv_step(&s))
            break;
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
    free_reader(&r);
    return finish_table(&r, out);
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
