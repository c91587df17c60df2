/* xlsxzip.c - the workbook's zip: a zlib level, and blocks deflated on two threads
 *
 * Debian's libxlsxwriter calls libminizip (a shared library) for each
 * part of the workbook: zipOpenNewFileInZip4_64, zipWriteInFileInZip a
 * chunk at a time, zipCloseFileInZip. The dynamic linker resolves those
 * names to the program's own definitions first, so the three functions
 * below are the ones libxlsxwriter calls; each passes on to libminizip's
 * own (dlsym RTLD_NEXT). Unless gy_xlsxzip_set asked for something else
 * they change nothing. With a level, a part is opened at that level. With
 * `parallel`, a part is opened raw (libminizip stores the bytes it is
 * given), gy_pdeflate compresses what libxlsxwriter writes, and the close
 * gives libminizip the CRC-32 and length of the uncompressed part
 * (zipCloseFileInZipRaw64). If libxlsxwriter were built with minizip
 * inside it, none of this would be called and the workbook would be as
 * libxlsxwriter writes it. tests/xlsx reads the level back from the zip's
 * flags; test_xlsxzip inflates gy_pdeflate's streams.
 *
 * Prototypes are minizip's (zip.h, which Debian ships only in
 * libminizip-dev): zipFile is a pointer, uInt unsigned, uLong unsigned
 * long, ZPOS64_T uint64_t. */
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#include "gaiyo/xlsxzip.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- gy_pdeflate ------------------------------------------------------------ */

enum { DICT = 32768 };

typedef struct blk {
    unsigned char *in;
    size_t n;                 /* input bytes */
    unsigned char *out;
    size_t nout, capout;
    const unsigned char *dict;
    size_t ndict;
    uLong crc;                /* of the input */
    bool last;
    int err;
} blk;

struct gy_pdeflate {
    int level;
    size_t bsize;
    gy_pdeflate_write write;
    void *ctx;
    blk b[2];
    int cur;                  /* the block being filled (b[0] is full while cur is 1) */
    unsigned char dict[DICT]; /* the last input before b[0] */
    size_t ndict;
    uLong crc;
    uint64_t total;
    int err;
};

gy_pdeflate *gy_pdeflate_new(int level, size_t block, gy_pdeflate_write write, void *ctx)
{
    gy_pdeflate *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->level = level;
    z->bsize = block < DICT ? DICT : block;
    z->write = write;
    z->ctx = ctx;
    z->crc = crc32(0L, Z_NULL, 0);
    for (int i = 0; i < 2; i++)
        if (!(z->b[i].in = malloc(z->bsize))) {
            free(z->b[0].in);
            free(z);
            return NULL;
        }
    return z;
}

/* deflate one block on its own stream: its dictionary first, then a sync
 * flush (byte-aligned, not final) or, for the last, the stream's end */
static void blk_deflate(blk *b, int level)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    b->err = 0;
    b->nout = 0;
    b->crc = crc32(crc32(0L, Z_NULL, 0), b->in, (uInt)b->n);
    if (deflateInit2(&s, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        b->err = 1;
        return;
    }
    if (b->ndict && deflateSetDictionary(&s, b->dict, (uInt)b->ndict) != Z_OK)
        b->err = 1;
    size_t want = deflateBound(&s, (uLong)b->n) + 64;
    if (!b->err && b->capout < want) {
        unsigned char *o = realloc(b->out, want);
        if (o) {
            b->out = o;
            b->capout = want;
        } else {
            b->err = 1;
        }
    }
    s.next_in = b->in;
    s.avail_in = (uInt)b->n;
    int flush = b->last ? Z_FINISH : Z_SYNC_FLUSH;
    while (!b->err) {
        if (b->nout == b->capout) { /* never with deflateBound's room; kept for safety */
            unsigned char *o = realloc(b->out, b->capout * 2);
            if (!o) {
                b->err = 1;
                break;
            }
            b->out = o;
            b->capout *= 2;
        }
        s.next_out = b->out + b->nout;
        s.avail_out = (uInt)(b->capout - b->nout);
        int r = deflate(&s, flush);
        b->nout = b->capout - s.avail_out;
        if (r == Z_STREAM_END || (flush == Z_SYNC_FLUSH && r == Z_OK && s.avail_out > 0 && s.avail_in == 0))
            break;
        /* Z_BUF_ERROR is only "no room to go on": with room left it is an error */
        if ((r != Z_OK && r != Z_BUF_ERROR) || (r == Z_BUF_ERROR && s.avail_out > 0))
            b->err = 1;
    }
    deflateEnd(&s);
}

typedef struct pair_job {
    blk b;                    /* a copy of block 0's description */
    int level;
} pair_job;

static void *blk_thread(void *arg)
{
    pair_job *j = arg;
    blk_deflate(&j->b, j->level);
    return NULL;
}

/* keep the last 32 KiB of the input so far as the next block's dictionary */
static void keep_tail(gy_pdeflate *z, const blk *prev, const blk *last)
{
    unsigned char tmp[DICT];
    size_t need = DICT, have = 0;
    /* from the end: the last block, then the one before, then the old tail */
    const unsigned char *src[3] = {last ? last->in : NULL, prev ? prev->in : NULL, z->dict};
    size_t len[3] = {last ? last->n : 0, prev ? prev->n : 0, z->ndict};
    for (int i = 0; i < 3 && need; i++) {
        if (!len[i])
            continue;
        size_t take = len[i] < need ? len[i] : need;
        memcpy(tmp + (DICT - have - take), src[i] + len[i] - take, take);
        have += take;
        need -= take;
    }
    memcpy(z->dict, tmp + (DICT - have), have);
    z->ndict = have;
}

static int emit(gy_pdeflate *z, const blk *b)
{
    if (b->err)
        return 1;
    z->crc = crc32_combine(z->crc, b->crc, (z_off_t)b->n);
    z->total += b->n;
    return b->nout && z->write(z->ctx, b->out, b->nout);
}

/* deflate the full blocks: b[0] and, when cur is 1, b[1] beside it on a
 * second thread; `last`: the stream ends with them */
static int run(gy_pdeflate *z, bool last)
{
    blk *a = &z->b[0], *c = &z->b[1];
    a->dict = z->dict;
    a->ndict = z->ndict;
    if (z->cur == 0) {
        a->last = last;
        blk_deflate(a, z->level);
        keep_tail(z, NULL, a);
        int e = emit(z, a);
        a->n = 0;
        return e;
    }
    a->last = false;
    c->last = last;
    /* b[1]'s dictionary: the end of b[0] (and before it, if b[0] is short) */
    unsigned char cdict[DICT];
    size_t nc = 0;
    if (a->n >= DICT) {
        c->dict = a->in + a->n - DICT;
        c->ndict = DICT;
    } else {
        size_t from_old = z->ndict < DICT - a->n ? z->ndict : DICT - a->n;
        memcpy(cdict, z->dict + z->ndict - from_old, from_old);
        memcpy(cdict + from_old, a->in, a->n);
        nc = from_old + a->n;
        c->dict = cdict;
        c->ndict = nc;
    }
    pair_job job = {.level = z->level};
    pthread_t th;
    bool threaded = false;
    /* block 0 on a second thread (its own copy of the description) */
    job.b = *a;
    if (pthread_create(&th, NULL, blk_thread, &job) == 0)
        threaded = true;
    else
        blk_deflate(&job.b, z->level);
    blk_deflate(c, z->level);
    if (threaded)
        pthread_join(th, NULL);
    *a = job.b;
    keep_tail(z, a, c);
    int e = emit(z, a) || emit(z, c);
    a->n = c->n = 0;
    z->cur = 0;
    return e;
}

int gy_pdeflate_add(gy_pdeflate *z, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n && !z->err) {
        blk *b = &z->b[z->cur];
        size_t take = z->bsize - b->n < n ? z->bsize - b->n : n;
        memcpy(b->in + b->n, s, take);
        b->n += take;
        s += take;
        n -= take;
        if (b->n == z->bsize) {
            if (z->cur == 0)
                z->cur = 1;
            else
                z->err = run(z, false);
        }
    }
    return z->err;
}

int gy_pdeflate_finish(gy_pdeflate *z, uint32_t *crc, uint64_t *len)
{
    int e = z->err ? z->err : run(z, true);
    if (crc)
        *crc = (uint32_t)z->crc;
    if (len)
        *len = z->total;
    for (int i = 0; i < 2; i++) {
        free(z->b[i].in);
        free(z->b[i].out);
    }
    free(z);
    return e;
}

/* ---- the libminizip calls ------------------------------------------------------ */

static int zip_level = -1;
static bool zip_parallel;
static char zip_err[256]; /* the first failure since gy_xlsxzip_set */

static void zip_fail(const char *what, int e)
{
    if (zip_err[0])
        return;
    if (e)
        snprintf(zip_err, sizeof zip_err, "%s: %s", what, strerror(e));
    else
        snprintf(zip_err, sizeof zip_err, "%s", what);
}

const char *gy_xlsxzip_error(void)
{
    return zip_err[0] ? zip_err : NULL;
}
enum { BLOCK = 1 << 20 };

/* the part being written through gy_pdeflate */
static void *cur_file;
static gy_pdeflate *cur_pd;

void gy_xlsxzip_set(int level, bool parallel)
{
    /* a part libxlsxwriter opened and never closed (it gave up on a write
     * error): its stream is dropped, without writing to the zip */
    if (cur_pd) {
        cur_pd->err = 1;
        gy_pdeflate_finish(cur_pd, NULL, NULL);
        cur_pd = NULL;
        cur_file = NULL;
    }
    zip_level = level;
    zip_parallel = parallel;
    zip_err[0] = '\0';
}

typedef int (*open_fn)(void *, const char *, const void *, const void *, unsigned, const void *, unsigned,
                       const char *, int, int, int, int, int, int, const char *, unsigned long, unsigned long,
                       unsigned long, int);
typedef int (*write_fn)(void *, const void *, unsigned);
typedef int (*close_fn)(void *);
typedef int (*close_raw_fn)(void *, uint64_t, unsigned long);

/* libminizip's own functions, looked up once (NULL members: not found,
 * and the calls fail with ZIP_INTERNALERROR) */
static struct {
    bool done;
    open_fn open;
    write_fn write;
    close_fn close;
    close_raw_fn close_raw;
} mz;

static void mz_load(void)
{
    if (mz.done)
        return;
    const char *names[] = {"zipOpenNewFileInZip4_64", "zipWriteInFileInZip", "zipCloseFileInZip",
                           "zipCloseFileInZipRaw64"};
    void *to[] = {&mz.open, &mz.write, &mz.close, &mz.close_raw};
    for (int i = 0; i < 4; i++) {
        void *sym = dlsym(RTLD_NEXT, names[i]);
        memcpy(to[i], &sym, sizeof sym); /* a data pointer to a function pointer */
    }
    mz.done = true;
}

enum { ZIP_INTERNALERROR = -102, ZIP_ERRNO = -1 };

int zipOpenNewFileInZip4_64(void *file, const char *filename, const void *zipfi, const void *extrafield_local,
                            unsigned size_extrafield_local, const void *extrafield_global,
                            unsigned size_extrafield_global, const char *comment, int method, int level, int raw,
                            int windowBits, int memLevel, int strategy, const char *password,
                            unsigned long crcForCrypting, unsigned long versionMadeBy, unsigned long flagBase,
                            int zip64);
int zipWriteInFileInZip(void *file, const void *buf, unsigned len);
int zipCloseFileInZip(void *file);

static int pd_write(void *ctx, const void *p, size_t n)
{
    const char *s = p;
    while (n) { /* zipWriteInFileInZip takes an unsigned length */
        unsigned k = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        errno = 0;
        if (!mz.write || mz.write(ctx, s, k) != 0) {
            zip_fail(mz.write ? "zip に書けません" : "libminizip の zipWriteInFileInZip が見つかりません", errno);
            return 1;
        }
        s += k;
        n -= k;
    }
    return 0;
}

int zipOpenNewFileInZip4_64(void *file, const char *filename, const void *zipfi, const void *extrafield_local,
                            unsigned size_extrafield_local, const void *extrafield_global,
                            unsigned size_extrafield_global, const char *comment, int method, int level, int raw,
                            int windowBits, int memLevel, int strategy, const char *password,
                            unsigned long crcForCrypting, unsigned long versionMadeBy, unsigned long flagBase,
                            int zip64)
{
    mz_load();
    if (!mz.open) {
        zip_fail("libminizip の zipOpenNewFileInZip4_64 が見つかりません", 0);
        return ZIP_INTERNALERROR;
    }
    if (zip_level >= 0 && level == Z_DEFAULT_COMPRESSION)
        level = zip_level;
    gy_pdeflate *pd = NULL;
    if (zip_parallel && method == Z_DEFLATED && !raw && !password && !cur_pd && mz.write && mz.close_raw)
        pd = gy_pdeflate_new(level == Z_DEFAULT_COMPRESSION ? 6 : level, BLOCK, pd_write, file);
    int r = mz.open(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
                    size_extrafield_global, comment, method, level, pd ? 1 : raw, windowBits, memLevel, strategy,
                    password, crcForCrypting, versionMadeBy, flagBase, zip64);
    if (pd && r == 0) {
        cur_file = file;
        cur_pd = pd;
    } else if (pd) {
        pd->err = 1; /* nothing to write: the part is not open */
        gy_pdeflate_finish(pd, NULL, NULL);
    }
    return r;
}

int zipWriteInFileInZip(void *file, const void *buf, unsigned len)
{
    if (cur_pd && file == cur_file) {
        if (!gy_pdeflate_add(cur_pd, buf, len))
            return 0;
        zip_fail("ブックの部分を圧縮できません", 0); /* pd_write said why, if it was the write */
        return ZIP_ERRNO;
    }
    mz_load();
    if (!mz.write)
        zip_fail("libminizip の zipWriteInFileInZip が見つかりません", 0);
    return mz.write ? mz.write(file, buf, len) : ZIP_INTERNALERROR;
}

int zipCloseFileInZip(void *file)
{
    mz_load();
    if (cur_pd && file == cur_file) {
        uint32_t crc = 0;
        uint64_t n = 0;
        int e = gy_pdeflate_finish(cur_pd, &crc, &n);
        cur_pd = NULL;
        cur_file = NULL;
        int r = mz.close_raw ? mz.close_raw(file, n, crc) : ZIP_INTERNALERROR;
        if (e)
            zip_fail("ブックの部分を圧縮できません", 0);
        else if (r)
            zip_fail("zip の部分を閉じられません", errno);
        return e ? ZIP_ERRNO : r;
    }
    if (!mz.close)
        zip_fail("libminizip の zipCloseFileInZip が見つかりません", 0);
    return mz.close ? mz.close(file) : ZIP_INTERNALERROR;
}
