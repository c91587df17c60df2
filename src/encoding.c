/* encoding.c - input encodings: UTF-8 (with or without BOM) and CP932
 *
 * Parses encoding names (encoding.conf), converts a file's raw bytes to
 * UTF-8 (CP932 through iconv) and names the first undecodable byte by the
 * line and CSV column where its field starts, the convention of every
 * data-file diagnostic (gy_cr_file, shared with the CSV reader, says which
 * bytes end a line). Declared in gaiyo/import.h; tested by
 * tests/unit/test_import.c. Moved out of import.c (issue 17). */
#include "gaiyo/import.h"
#include "gaiyo/util.h"
#include "import_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

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
 * file: gy_cr_file), where CR, LF and CRLF all end lines. Bytes '"', ',', CR
 * and LF are never part of a UTF-8 or CP932 multi-byte character, so a
 * byte scan is enough. */
bool gy_cr_file(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] != '\r' && s[i] != '\n')
        i++;
    return i < len && s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n');
}

static void locate(const char *s, size_t len, size_t off, bool sjis, unsigned *line, unsigned *col)
{
    bool crf = gy_cr_file(s, len);
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
