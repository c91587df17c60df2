/* xlsx_fmt.c - the workbook's formats: one per distinct look, cached
 *
 * fmt/fmtx/fmtxp find or make a cell format (kind, decimals, indent, mark,
 * wrap, bold, suffix, prefix) and its number format (negative numbers as
 * workbook.conf says, a prefix column as a quoted literal); cell_prefix
 * interns a number's prefix text. Part of the workbook (xlsx_int.h);
 * covered by tests/xlsx/.
 */
#include "xlsx_int.h"

/* a literal of a number format: "text", a '"' in it as "\"" (closed,
 * escaped, reopened); everything else inside quotes is shown as it is.
 * NULL when out of memory. */
static char *nf_literal(const char *s1, const char *s2)
{
    size_t n = 3;
    for (const char *s = s1; *s; s++)
        n += *s == '"' ? 4 : 1;
    for (const char *s = s2; *s; s++)
        n += *s == '"' ? 4 : 1;
    char *o = malloc(n), *p = o;
    if (!o)
        return NULL;
    *p++ = '"';
    for (int i = 0; i < 2; i++)
        for (const char *s = i ? s2 : s1; *s; s++) {
            if (*s == '"') {
                memcpy(p, "\"\\\"\"", 4);
                p += 4;
            } else {
                *p++ = *s;
            }
        }
    *p++ = '"';
    *p = '\0';
    return o;
}

lxw_format *fmtxp(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx,
                  const char *pfx)
{
    for (size_t i = 0; i < b->nfk; i++) {
        fmtkey *k = &b->fk[i];
        if (k->kind == kind && k->decimals == decimals && k->indent == indent && k->mark == mark &&
            k->wrap == wrap && k->bold == bold && !strcmp(k->suffix ? k->suffix : "", sfx ? sfx : "") &&
            k->prefix == pfx)
            return k->f;
    }
    if (b->nfk == b->capfk) {
        size_t nc = b->capfk ? b->capfk * 2 : 32;
        fmtkey *nv = realloc(b->fk, nc * sizeof *nv);
        if (!nv) {
            b->oom = true;
            return NULL;
        }
        b->fk = nv;
        b->capfk = nc;
    }
    /* a new format is linked after the last one, which the writer thread
     * may be reading (libxlsxwriter copies a format whole when a cell first
     * uses it): it waits until that thread has written what it was given */
    if (b->q)
        wq_idle(b->q);
    lxw_format *f = workbook_add_format(b->w);
    if (!f) {
        b->oom = true;
        return NULL;
    }
    format_set_font_name(f, b->ls->font);
    format_set_font_size(f, kind == F_TITLE ? b->ls->font_size + 2 : b->ls->font_size);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    bool grid = kind != F_TITLE && kind != F_NOTE && kind != F_UNIT;
    if (grid)
        format_set_border(f, LXW_BORDER_THIN);
    const char *neg = b->neg;
    switch (kind) {
    case F_HEAD:
        format_set_align(f, LXW_ALIGN_CENTER);
        format_set_text_wrap(f);
        format_set_bg_color(f, 0xF2F2F2);
        break;
    case F_TITLE:
        format_set_bold(f);
        break;
    case F_UNIT:
        format_set_align(f, LXW_ALIGN_RIGHT);
        break;
    case F_AMOUNT:
    case F_QUOT:
    case F_RATIO: {
        char dec[16] = "";
        if (decimals > 0) {
            dec[0] = '.';
            memset(dec + 1, '0', (size_t)(decimals < 10 ? decimals : 10));
            dec[1 + (decimals < 10 ? decimals : 10)] = '\0';
        }
        const char *base = kind == F_RATIO ? "0" : "#,##0";
        /* the suffix in quotes (layout.c: at most 8 bytes, no '"') */
        const char *q = sfx && *sfx ? "\"" : "", *sv = sfx ? sfx : "";
        char *nf = NULL;
        if (pfx) {
            /* the prefix, quoted, before both sections: "(1/8) "#,##0;"(1/8) △ "#,##0 */
            bool minus = !strcmp(neg, "-");
            char *ns = minus ? NULL : gy_asprintf(" %s ", neg);
            char *p1 = nf_literal(pfx, " "), *p2 = minus ? nf_literal(pfx, " ") : ns ? nf_literal(pfx, ns) : NULL;
            if (p1 && p2)
                nf = gy_asprintf("%s%s%s%s%s%s;%s%s%s%s%s%s%s", p1, base, dec, q, sv, q, p2, minus ? "-" : "", base,
                                 dec, q, sv, q);
            free(ns);
            free(p1);
            free(p2);
        } else {
            nf = !strcmp(neg, "-")
                     ? gy_asprintf("%s%s%s%s%s;-%s%s%s%s%s", base, dec, q, sv, q, base, dec, q, sv, q)
                     : gy_asprintf("%s%s%s%s%s;\"%s \"%s%s%s%s%s", base, dec, q, sv, q, neg, base, dec, q, sv, q);
        }
        /* libxlsxwriter keeps a number format in a field of
         * LXW_FORMAT_FIELD_LEN bytes and would cut a longer one */
        if (!nf || strlen(nf) >= LXW_FORMAT_FIELD_LEN) {
            if (nf)
                wb_err(b, "数値の書式 '%s' が %d バイトを超えます", nf, LXW_FORMAT_FIELD_LEN - 1);
            else
                b->oom = true;
            free(nf);
            return NULL;
        }
        format_set_num_format(f, nf);
        free(nf);
        break;
    }
    case F_NIL:
        format_set_align(f, LXW_ALIGN_RIGHT);
        break;
    case F_LINK:
        format_set_underline(f, LXW_UNDERLINE_SINGLE);
        format_set_font_color(f, LXW_COLOR_BLUE);
        break;
    default:
        break;
    }
    if (indent > 0)
        format_set_indent(f, (uint8_t)(indent > 15 ? 15 : indent));
    if (wrap)
        format_set_text_wrap(f);
    if (bold)
        format_set_bold(f);
    if (mark == MARK_ERROR)
        format_set_bg_color(f, 0xFFC7CE);
    else if (mark == MARK_WARN)
        format_set_bg_color(f, 0xFFEB9C);
    b->fk[b->nfk++] = (fmtkey){kind, decimals, indent, mark, wrap, bold, sfx, pfx, f};
    return f;
}

lxw_format *fmtx(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold, const char *sfx)
{
    return fmtxp(b, kind, decimals, indent, mark, wrap, bold, sfx, NULL);
}

lxw_format *fmt(wb *b, int kind, int decimals, int indent, int mark, int wrap, int bold)
{
    return fmtx(b, kind, decimals, indent, mark, wrap, bold, NULL);
}

int ftype_kind(const gy_coldef *cd)
{
    switch (cd->type) {
    case GY_T_AMOUNT:
    case GY_T_COUNT:
        return F_AMOUNT;
    case GY_T_RATIO:
        return cd->scale == 1 ? F_QUOT : F_RATIO;
    default:
        return F_TEXT;
    }
}

/* Excel keeps at most some 200 number formats per workbook: the distinct
 * prefixes of numbers (field … prefix COL) are at most this many */
enum { PREFIX_MAX = 64, PREFIX_BYTES = 32 };

/* the prefix of a number cell: the text of the field's prefix column on
 * that row, interned in b->pfx (its formats are compared by pointer), or
 * NULL (no prefix, a blank one, or an error said) */
const char *cell_prefix(tw *w, size_t row, const gy_lfield *lf)
{
    wb *b = w->b;
    if (!lf->prefix || lf->prefix_idx < 0)
        return NULL;
    const char *s = gy_ttext(w->t, row, lf->prefix_idx);
    if (!*s)
        return NULL;
    for (size_t i = 0; i < b->npfx; i++)
        if (!strcmp(b->pfx[i], s))
            return b->pfx[i];
    /* a prefix becomes a literal of the number format: never a control
     * character, and short enough for the format's field */
    size_t n = 0;
    bool ctl = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += *p == '"' ? 4 : 1;
        ctl |= *p < 0x20 || *p == 0x7f;
    }
    if (ctl || n > PREFIX_BYTES || b->npfx >= PREFIX_MAX) {
        gy_cell c;
        gy_table_cell(w->t, row, (size_t)lf->prefix_idx, &c);
        char *q = gy_quote(s);
        const char *lp = w->l->path ? w->l->path : "";
        if (ctl)
            gy_diag_add(b->d, w->t->path, c.line, c.col, "数の前に付ける文字 %s に制御文字があります (様式 %s の prefix %s)",
                        q ? q : "?", lp, lf->prefix);
        else if (n > PREFIX_BYTES)
            gy_diag_add(b->d, w->t->path, c.line, c.col,
                        "数の前に付ける文字 %s が長すぎます (%d バイトまで、'\"' は 4 バイト; 様式 %s の prefix %s)",
                        q ? q : "?", PREFIX_BYTES, lp, lf->prefix);
        else
            gy_diag_add(b->d, w->t->path, c.line, c.col,
                        "数の前に付ける文字 %s で %d 種類を超えます (Excel の表示形式の数に限りがあります; 様式 %s の prefix %s)",
                        q ? q : "?", PREFIX_MAX, lp, lf->prefix);
        free(q);
        b->failed = true;
        return NULL;
    }
    char **nv = realloc(b->pfx, (b->npfx + 1) * sizeof *nv);
    if (!nv || !(s = gy_strdup(s))) {
        if (nv)
            b->pfx = nv;
        b->oom = true;
        return NULL;
    }
    b->pfx = nv;
    b->pfx[b->npfx] = (char *)s;
    return b->pfx[b->npfx++];
}
