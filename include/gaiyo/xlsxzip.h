/**
 * @file xlsxzip.h
 * @brief How the workbook's zip is compressed (part of the xlsx stage).
 *
 * libxlsxwriter compresses every part of a workbook with libminizip at
 * zlib's default level, on one thread, and has no setting for either.
 * For a big workbook that takes as long as writing its cells, so gaiyo
 * wraps the three libminizip calls libxlsxwriter makes for each part
 * (open, write, close; see xlsxzip.c) and, when asked, compresses at
 * another level, in blocks on two threads (gy_pdeflate). The parts are
 * still one deflate stream each: any zip reader reads them.
 */
#ifndef GAIYO_XLSXZIP_H
#define GAIYO_XLSXZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How the parts of the next workbooks are compressed: a zlib level (-1:
 *  libxlsxwriter's, i.e. zlib's default) and whether in blocks on two
 *  threads. Set it around workbook_close; one workbook at a time. */
void gy_xlsxzip_set(int level, bool parallel);

/** Why a zip call of the last workbook failed here (libminizip missing,
 *  a part that could not be deflated or written), or NULL; cleared by
 *  gy_xlsxzip_set. */
const char *gy_xlsxzip_error(void);

/** Where a gy_pdeflate writes its compressed bytes; non-zero stops it. */
typedef int (*gy_pdeflate_write)(void *ctx, const void *p, size_t n);

/** A raw deflate stream (no zlib or gzip header) made in blocks of
 *  `block` bytes, two at a time on two threads. Each block starts with
 *  the previous 32 KiB of input as its dictionary and ends with a sync
 *  flush, the last one with the stream's end, so the output is one
 *  ordinary deflate stream, nearly as small as zlib's own at that level. */
typedef struct gy_pdeflate gy_pdeflate;

/** A new stream, or NULL (out of memory). */
gy_pdeflate *gy_pdeflate_new(int level, size_t block, gy_pdeflate_write write, void *ctx);

/** Add input; 0 on success. */
int gy_pdeflate_add(gy_pdeflate *z, const void *p, size_t n);

/** End the stream, give the CRC-32 and length of all the input, and free
 *  z; 0 on success (z is freed either way). */
int gy_pdeflate_finish(gy_pdeflate *z, uint32_t *crc, uint64_t *len);

#endif
