/* table.c - typed tables: freeing, cell access, formatting
 *
 * The functions gaiyo/table.h declares: freeing a table or its cells,
 * keeping some of its rows, reading a cell with its position (wide values,
 * nil marks, the line a cell starts on), a row's label, whether a rule
 * applies to a row, stated derived cells, and a cell formatted for people.
 * Tables are built by the importer (import.c, csvread.c). Tested through
 * tests/unit/test_import.c and the suites that read tables. Moved out of
 * import.c (issue 17). */
#include "gaiyo/table.h"
#include "gaiyo/util.h"

#include <stdlib.h>
#include <string.h>

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
