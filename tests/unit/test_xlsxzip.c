/* test_xlsxzip.c - gy_pdeflate: blocks deflated on two threads make one
 * ordinary deflate stream (inflated here with zlib), with the right CRC-32
 * and length. The workbook's use of it (the zip's flags, the parts read
 * back) is tested in tests/xlsx. */
#include "gaiyo/xlsxzip.h"
#include "t.h"

#include <stdint.h>
#include <zlib.h>

typedef struct sink {
    unsigned char *p;
    size_t n, cap;
    int fail_after; /* > 0: the write after that many fails */
    int writes;
} sink;

static int sink_write(void *ctx, const void *p, size_t n)
{
    sink *s = ctx;
    if (s->fail_after && ++s->writes > s->fail_after)
        return 1;
    if (s->n + n > s->cap) {
        size_t nc = (s->n + n) * 2;
        unsigned char *q = realloc(s->p, nc);
        if (!q)
            return 1;
        s->p = q;
        s->cap = nc;
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    return 0;
}

/* inflate a raw deflate stream; NULL if it is not one (or has bytes after its end) */
static unsigned char *inflate_raw(const unsigned char *p, size_t n, size_t want)
{
    unsigned char *out = malloc(want + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (!out || inflateInit2(&s, -MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    s.next_in = (unsigned char *)p;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)want + 1;
    int r = inflate(&s, Z_FINISH);
    bool ok = r == Z_STREAM_END && s.total_out == want && s.avail_in == 0;
    inflateEnd(&s);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* XML-like text with repeats (what a sheet looks like) and, every so
 * often, bytes that do not compress */
static unsigned char *sample(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n;) {
        x = x * 1103515245u + 12345u;
        if ((x >> 24) < 16) {
            p[i++] = (unsigned char)(x >> 8);
            continue;
        }
        char cell[64];
        int k = snprintf(cell, sizeof cell, "<c r=\"E%u\" s=\"3\"><v>%u</v></c>", (unsigned)(i / 40), (x >> 12) % 100000);
        for (int j = 0; j < k && i < n; j++)
            p[i++] = (unsigned char)cell[j];
    }
    return p;
}

/* compress n bytes fed in pieces of `piece`, with blocks of `block` bytes */
static void roundtrip(size_t n, size_t block, size_t piece, int level)
{
    unsigned char *in = sample(n, (unsigned)(n + block + piece));
    sink s = {0};
    gy_pdeflate *z = gy_pdeflate_new(level, block, sink_write, &s);
    T_CHECK(z != NULL);
    if (!z) {
        free(in);
        return;
    }
    int e = 0;
    for (size_t i = 0; i < n && !e; i += piece)
        e = gy_pdeflate_add(z, in + i, i + piece <= n ? piece : n - i);
    uint32_t crc = 0;
    uint64_t len = 0;
    e = gy_pdeflate_finish(z, &crc, &len) || e;
    T_EQ_INT(e, 0);
    T_EQ_INT(len, n);
    T_EQ_INT(crc, crc32(crc32(0L, Z_NULL, 0), in, (uInt)n));
    unsigned char *back = inflate_raw(s.p, s.n, n);
    T_CHECK(back != NULL);
    if (back && n)
        T_CHECK(memcmp(back, in, n) == 0);
    /* the dictionaries keep it close to zlib's own stream at that level */
    if (n > 4 * block) {
        uLong bound = compressBound((uLong)n);
        unsigned char *one = malloc(bound);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        zs.next_in = in;
        zs.avail_in = (uInt)n;
        zs.next_out = one;
        zs.avail_out = (uInt)bound;
        deflate(&zs, Z_FINISH);
        size_t single = zs.total_out;
        deflateEnd(&zs);
        free(one);
        T_CHECK(s.n < single + single / 50 + 64);
    }
    free(back);
    free(s.p);
    free(in);
}

static void empty_stream(void) { roundtrip(0, 32768, 1, 1); }
static void shorter_than_a_block(void) { roundtrip(1000, 32768, 7, 1); }
static void exactly_one_block(void) { roundtrip(32768, 32768, 4096, 1); }
static void one_block_and_a_byte(void) { roundtrip(32769, 32768, 4096, 1); }
static void exactly_two_blocks(void) { roundtrip(65536, 32768, 4096, 1); }
static void many_blocks_odd_pieces(void) { roundtrip(32768 * 9 + 123, 32768, 5000, 1); }
static void many_blocks_one_call(void) { roundtrip(32768 * 7, 32768, 32768 * 7, 6); }
static void megabyte_blocks(void) { roundtrip((1u << 20) * 5 + 17, 1u << 20, 16384, 1); }

/* a block smaller than the dictionary is raised to it (32 KiB) */
static void tiny_block_size(void) { roundtrip(100000, 10, 333, 1); }

/* a writer that fails stops the stream with an error */
static void write_error(void)
{
    unsigned char *in = sample(32768 * 6, 3);
    sink s = {.fail_after = 1};
    gy_pdeflate *z = gy_pdeflate_new(1, 32768, sink_write, &s);
    int e = gy_pdeflate_add(z, in, 32768 * 6);
    T_CHECK(e != 0);
    T_CHECK(gy_pdeflate_finish(z, NULL, NULL) != 0);
    free(s.p);
    free(in);
}

int main(void)
{
    TEST(empty_stream);
    TEST(shorter_than_a_block);
    TEST(exactly_one_block);
    TEST(one_block_and_a_byte);
    TEST(exactly_two_blocks);
    TEST(many_blocks_odd_pieces);
    TEST(many_blocks_one_call);
    TEST(megabyte_blocks);
    TEST(tiny_block_size);
    TEST(write_error);
    T_DONE();
}
