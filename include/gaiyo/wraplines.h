/**
 * @file wraplines.h
 * @brief How many lines a wrapped cell's text takes, for the row heights
 *        of the workbook (templates/README.md, "Workbook layouts").
 */
#ifndef GAIYO_WRAPLINES_H
#define GAIYO_WRAPLINES_H

#include <stddef.h>

/** Lines of text s wrapped in a column `width` half-width characters wide
 *  (wide characters count two): a line holds width - 1 (the cell's
 *  padding); a run of ASCII letters, digits and marks without spaces moves
 *  whole to the next line when it fits there, longer ones are cut; other
 *  characters break anywhere; a line break starts a line. At least 1. */
size_t gy_wrap_lines(const char *s, int width);

#endif
