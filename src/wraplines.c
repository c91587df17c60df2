/* wraplines.c - lines of a wrapped cell, for row heights (wraplines.h) */
#include "gaiyo/wraplines.h"
#include "gaiyo/util.h"
#include <string.h>

/* display width of the character at s (k bytes): 1 or 2 */
static size_t char_width(const char *s, int k)
{
    char one[8];
    memcpy(one, s, (size_t)k);
    one[k] = '\0';
    size_t w = gy_utf8_width(one);
    return w ? w : 1;
}

size_t gy_wrap_lines(const char *s, int width)
{
    size_t cap = width > 2 ? (size_t)width - 1 : 1;
    size_t lines = 1, pos = 0, n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            lines++;
            pos = 0;
            i++;
        } else if (c == ' ') {
            /* a space at the end of a line hangs: it starts no line */
            if (pos < cap)
                pos++;
            i++;
        } else if (c < 0x80) {
            size_t j = i;
            while (j < n && (unsigned char)s[j] < 0x80 && s[j] != ' ' && s[j] != '\n')
                j++;
            size_t wl = j - i;
            if (pos + wl <= cap) {
                pos += wl;
            } else if (wl <= cap) {
                lines++;
                pos = wl;
            } else {
                /* longer than a line: cut where the line is full */
                if (pos) {
                    lines++;
                    pos = 0;
                }
                lines += (wl - 1) / cap;
                pos = wl - (wl - 1) / cap * cap;
            }
            i = j;
        } else {
            uint32_t cp;
            int k = gy_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (k <= 0)
                k = 1;
            size_t cw = char_width(s + i, k);
            if (pos + cw > cap && pos) {
                lines++;
                pos = 0;
            }
            pos += cw;
            i += (size_t)k;
        }
    }
    return lines;
}
