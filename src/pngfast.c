/* pngfast.c - gaiyo-pngfast.so, preloaded into the gnuplot that draws the
 * charts (LD_PRELOAD, set by spawn_gnuplot in gnuplot.c for that child
 * only): every PNG that gnuplot's pngcairo terminal writes is deflated at
 * zlib level 1 with the PNG filter "Up" on every row, instead of libpng's
 * defaults (level 6, a filter chosen per row by trying all five).
 *
 * Why: drawing the report's 15 charts took gnuplot 0.45 s, 70 % of it in
 * that encoding inside cairo, which offers no setting for it; with this
 * module 0.21 s (bench/README.md, 2026-12-02). The pixels are the same
 * (tests/cli/png_test.py decodes both); the PNGs are about 13 % larger.
 *
 * How: cairo's PNG writer (cairo-png.c) calls png_write_info once per
 * image, after png_set_IHDR and before any row; this module defines
 * png_write_info, sets the level and filter on the png_struct, and calls
 * libpng's own (dlsym RTLD_NEXT). It is not linked against libpng — a
 * process that never loads libpng (a shell script standing in for
 * gnuplot) never calls it — so it declares the three libpng 1.6 entry
 * points it uses itself (their ABI has not changed since libpng 1.0).
 * Built without sanitizers: it is loaded into gnuplot, not into gaiyo. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

typedef struct png_struct_def png_struct;
typedef struct png_info_def png_info;

/* png.h: PNG_FILTER_UP; the filter method of PNG 1.2 is 0 */
#define GY_PNG_FILTER_UP 0x20
#define GY_ZLIB_LEVEL 1

void png_write_info(png_struct *png, const png_info *info);

/* libpng's own fn (NULL when it is not loaded): ISO C has no cast from
 * an object pointer to a function pointer, hence the copy */
static void *next(const char *fn)
{
    return dlsym(RTLD_NEXT, fn);
}

void png_write_info(png_struct *png, const png_info *info)
{
    void (*real)(png_struct *, const png_info *) = NULL;
    void (*level)(png_struct *, int) = NULL;
    void (*filter)(png_struct *, int, int) = NULL;
    void *p;
    if ((p = next("png_write_info")))
        memcpy(&real, &p, sizeof real);
    if ((p = next("png_set_compression_level")))
        memcpy(&level, &p, sizeof level);
    if ((p = next("png_set_filter")))
        memcpy(&filter, &p, sizeof filter);
    if (level && filter) {
        level(png, GY_ZLIB_LEVEL);
        filter(png, 0, GY_PNG_FILTER_UP);
    }
    if (real)
        real(png, info);
}
