/* xlsx_plan.c - a table's records in print order, and where each goes
 *
 * plan() turns a table and its layout into records (a row, a pivot key, a
 * block's caption, a subrow) with their sheet, row and column; rec_at,
 * rec_pos and cell_pos answer where a table cell is printed (formulas and
 * links need it). Pivot records are found through a hash of their keys.
 * Part of the workbook (xlsx_int.h); covered by tests/xlsx/ (test_layout.py).
 */
#include "xlsx_int.h"

/* the field printing column col of table row `row`, or -1 */
static int field_of(const tw *w, size_t row, int col)
{
    const gy_layout *l = w->l;
    for (size_t f = 0; f < l->nfields; f++) {
        if (l->fields[f].colidx != col)
            continue;
        if (l->fields[f].where && strcmp(gy_ttext(w->t, row, l->pivot_col_idx), l->fields[f].where))
            continue;
        return (int)f;
    }
    return -1;
}

void rec_pos(const tw *w, const rec *r, int field, int *sr, int *sc)
{
    if (w->l->across) {
        *sr = r->off + w->hr0 + field;
        *sc = r->line;
    } else {
        *sr = r->line;
        *sc = r->off + field;
    }
}

/* record k: from the list, or, for a layout of one record per table row
 * in row order (no list kept: a million rows need none), computed */
rec rec_at(const tw *w, size_t k)
{
    if (w->recs)
        return w->recs[k];
    return (rec){.kind = R_ROW,
                 .row = (uint32_t)k,
                 .sheet = (int32_t)((long long)k / w->maxbody),
                 .line = w->hr0 + w->H + (int32_t)((long long)k % w->maxbody)};
}

/* where table cell (row, col) is printed: part, row, column */
bool cell_pos(const tw *w, size_t row, int col, int *part, int *sr, int *sc)
{
    if (row >= w->t->nrows)
        return false;
    size_t k = w->rec_of_row ? w->rec_of_row[row] : row;
    if (k == NO_REC)
        return false;
    int f = field_of(w, row, col);
    if (f < 0)
        return false;
    rec r = rec_at(w, k);
    *part = r.sheet;
    rec_pos(w, &r, f, sr, sc);
    return true;
}

/* the layout file a sheet comes from, for messages */
const char *layout_name(const tw *w)
{
    return w->l->path ? w->l->path : w->t->path;
}

/* whether table rows a and b belong to the same pivot record */
static bool same_key(const tw *w, size_t a, size_t b)
{
    const gy_layout *l = w->l;
    if (l->pivot_key_idx < 0)
        return true;
    /* pivot K1,K2: every key column (A方式 小計 and B方式 小計 are two records) */
    for (size_t i = 0; i < l->npivot_keys; i++)
        if (strcmp(gy_ttext(w->t, a, l->pivot_keys[i]), gy_ttext(w->t, b, l->pivot_keys[i])))
            return false;
    return l->npivot_keys || !strcmp(gy_ttext(w->t, a, l->pivot_key_idx), gy_ttext(w->t, b, l->pivot_key_idx));
}

/* the row of pivot record `rowk`'s key whose pivot column says `where`;
 * a second such row would not be printed: an error at that row (the
 * key needs another column: pivot K1,K2 by COL) */
size_t pivot_row(tw *w, size_t rowk, const char *where)
{
    const gy_table *t = w->t;
    size_t found = SIZE_MAX;
    uint32_t k = w->rec_of_row[rowk];
    if (k == NO_REC || !w->prec0)
        return SIZE_MAX;
    for (size_t x = w->prec0[k]; x < w->prec0[k + 1]; x++) {
        size_t i = w->prows[x];
        if (!strcmp(gy_ttext(t, i, w->l->pivot_col_idx), where)) {
            if (found == SIZE_MAX) {
                found = i;
                continue;
            }
            if (!w->pivot_dup) {
                w->pivot_dup = true;
                w->b->failed = true;
                char *kq = gy_quote(w->l->pivot_key), *v = gy_quote(where);
                gy_cell c;
                gy_table_cell(t, i, (size_t)w->l->pivot_col_idx, &c);
                gy_diag_add(w->b->d, t->path, c.line, c.col,
                            "行 %u と同じ pivot の行 (%s) で %s が %s です: 様式 %s ではどちらかが印刷されません "
                            "(pivot に行を分ける列を足してください: pivot 列1,列2 by 列)",
                            t->rows[found].line, kq ? kq : "?", w->l->pivot_col, v ? v : "?", layout_name(w));
                free(kq);
                free(v);
            }
            break;
        }
    }
    return found;
}

/* the hash of a row's pivot key (every key column) */
static uint64_t pivot_hash(const tw *w, size_t row)
{
    const gy_layout *l = w->l;
    if (l->pivot_key_idx < 0)
        return 0; /* pivot *: one record for the whole table */
    if (!l->npivot_keys)
        return gy_hash_str(0, gy_ttext(w->t, row, l->pivot_key_idx));
    uint64_t h = 0;
    for (size_t i = 0; i < l->npivot_keys; i++)
        h = gy_hash_str(h * 31 + 1, gy_ttext(w->t, row, l->pivot_keys[i]));
    return h;
}

/* pivot records through a hash of their keys (linear in the rows) */
static bool pivot_records(tw *w)
{
    const gy_table *t = w->t;
    size_t cap = 16;
    while (cap < 2 * t->nrows + 2)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot); /* record index + 1 */
    if (!slot) {
        w->b->oom = true;
        return false;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        size_t h = (size_t)pivot_hash(w, i) & (cap - 1);
        while (slot[h] && !same_key(w, w->recs[slot[h] - 1].row, i))
            h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            w->recs[w->nrecs++] = (rec){.kind = R_PIVOT, .row = (uint32_t)i};
            slot[h] = (uint32_t)w->nrecs;
        }
        w->rec_of_row[i] = slot[h] - 1;
    }
    free(slot);
    return true;
}

/* the rows of each pivot record, in row order (after the records are
 * final); and a warning for rows whose pivot value no field prints: they
 * are checked, but the sheet has no column for them */
static bool pivot_rows(tw *w)
{
    const gy_table *t = w->t;
    const gy_layout *l = w->l;
    w->prec0 = calloc(w->nrecs + 2, sizeof *w->prec0);
    w->prows = malloc((t->nrows ? t->nrows : 1) * sizeof *w->prows);
    if (!w->prec0 || !w->prows) {
        w->b->oom = true;
        return false;
    }
    for (size_t i = 0; i < t->nrows; i++)
        if (w->rec_of_row[i] != NO_REC)
            w->prec0[w->rec_of_row[i] + 2]++;
    for (size_t k = 2; k < w->nrecs + 2; k++)
        w->prec0[k] += w->prec0[k - 1];
    for (size_t i = 0; i < t->nrows; i++)
        if (w->rec_of_row[i] != NO_REC)
            w->prows[w->prec0[w->rec_of_row[i] + 1]++] = (uint32_t)i;
    if (!w->b->warn || l->pivot_col_idx < 0)
        return true;
    /* a field whose value no row has: its column is empty (a warning at
     * the layout's line, once per value) */
    for (size_t f = 0; f < l->nfields; f++) {
        const char *wv = l->fields[f].where;
        if (!wv)
            continue;
        bool said = false;
        for (size_t g = 0; g < f && !said; g++)
            said = l->fields[g].where && !strcmp(l->fields[g].where, wv);
        bool any = false;
        for (size_t i = 0; i < t->nrows && !any && !said; i++)
            any = !strcmp(gy_ttext(t, i, l->pivot_col_idx), wv);
        if (!any && !said) {
            char *q = gy_quote(wv);
            gy_diag_warn(w->b->warn, layout_name(w), l->fields[f].line, l->fields[f].where_colno,
                         "表 %s には %s が %s の行がないため、この欄 (where %s) はブックで空です", t->path,
                         l->pivot_col, q ? q : "?", q ? q : "?");
            free(q);
        }
    }
    /* values no field names: one warning per value (the first 20), at its
     * first row, with how many rows hold it */
    enum { NSAID = 20 };
    size_t said[NSAID], cnt[NSAID], nsaid = 0, more = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *v = gy_ttext(t, i, l->pivot_col_idx);
        bool named = false;
        for (size_t f = 0; f < l->nfields && !named; f++)
            named = l->fields[f].where && !strcmp(l->fields[f].where, v);
        if (named)
            continue;
        size_t k = 0;
        while (k < nsaid && strcmp(gy_ttext(t, said[k], l->pivot_col_idx), v))
            k++;
        if (k < nsaid)
            cnt[k]++;
        else if (nsaid < NSAID) {
            said[nsaid] = i;
            cnt[nsaid++] = 1;
        } else
            more++;
    }
    for (size_t k = 0; k < nsaid; k++) {
        gy_cell c;
        gy_table_cell(t, said[k], (size_t)l->pivot_col_idx, &c);
        char *q = gy_quote(gy_ttext(t, said[k], l->pivot_col_idx));
        gy_diag_warn(
            w->b->warn, t->path, c.line, c.col,
            "様式 %s には %s が %s の欄がないため、この値の %zu 行はブックに印刷されません (検証はしています)%s",
            layout_name(w), l->pivot_col, q ? q : "?", cnt[k],
            k + 1 == nsaid && more ? " — ほかの値の行もあります" : "");
        free(q);
    }
    return true;
}

/* subrows that follow a row labelled `label` */
static size_t subrows_after(const gy_layout *l, const char *label)
{
    size_t n = 0;
    for (size_t s = 0; s < l->nsubrows; s++)
        n += !strcmp(label, l->subrows[s].after);
    return n;
}

/* records in print order, and where each goes; the list is sized from
 * the table and the layout (captions, subrows), nothing fixed. False with
 * a diagnostic, or with b->oom. */
bool plan(tw *w)
{
    const gy_table *t = w->t;
    const gy_layout *l = w->l;
    w->hr0 = 3;
    w->H = (int)l->nheader;
    long long sheet_rows = w->b->o->max_rows ? (long long)w->b->o->max_rows : (long long)GY_XLSX_MAX_ROWS;
    w->maxbody = sheet_rows - w->hr0 - w->H - (long long)l->nnotes - 4;
    if (w->maxbody < 1)
        w->maxbody = 1;
    if (l->nsubrows > UINT16_MAX) {
        wb_err_at(w->b, layout_name(w), "subrow が %zu 個あります (%u 個まで)", l->nsubrows, UINT16_MAX);
        return false;
    }
    if (l->pivot_key_idx == -1 && l->block_idx < 0 && !l->nsubrows && !l->across && !l->wrap) {
        /* a record per row, in row order, parts of maxbody rows: rec_at */
        w->nrecs = t->nrows;
        w->nparts = t->nrows ? (int)(((long long)t->nrows + w->maxbody - 1) / w->maxbody) : 1;
        return true;
    }
    /* how many records: a row each (a pivot: a key each), a caption per
     * change of the block column, the subrows after their rows */
    size_t need = 0;
    if (l->pivot_key_idx == -1) {
        const char *block = NULL;
        for (size_t i = 0; i < t->nrows; i++) {
            if (l->block_idx >= 0 && (!block || strcmp(block, gy_ttext(t, i, l->block_idx)))) {
                block = gy_ttext(t, i, l->block_idx);
                need += *block != '\0'; /* a blank value: no caption row */
            }
            need += 1 + (l->nsubrows ? subrows_after(l, gy_row_label(t, &t->rows[i])) : 0);
        }
    } else {
        need = t->nrows; /* at most; subrows are counted once the keys are known */
    }
    if (need >= NO_REC) {
        wb_err_at(w->b, t->path, "シートの行が %zu 行になり、数えられる %u 行を超えます", need, NO_REC - 1);
        return false;
    }
    w->rec_of_row = malloc((t->nrows ? t->nrows : 1) * sizeof *w->rec_of_row);
    w->recs = malloc((need ? need : 1) * sizeof *w->recs);
    if (!w->rec_of_row || !w->recs) {
        w->b->oom = true;
        return false;
    }
    memset(w->rec_of_row, 0xff, (t->nrows ? t->nrows : 1) * sizeof *w->rec_of_row);
    if (l->pivot_key_idx != -1 && !pivot_records(w))
        return false;
    const char *block = NULL;
    for (size_t i = 0; i < t->nrows && l->pivot_key_idx == -1; i++) {
        const gy_row *r = &t->rows[i];
        if (l->block_idx >= 0 && (!block || strcmp(block, gy_ttext(t, i, l->block_idx)))) {
            block = gy_ttext(t, i, l->block_idx);
            if (*block)
                w->recs[w->nrecs++] = (rec){.kind = R_CAPTION, .row = (uint32_t)i};
        }
        w->rec_of_row[i] = (uint32_t)w->nrecs;
        w->recs[w->nrecs++] = (rec){.kind = R_ROW, .row = (uint32_t)i};
        for (size_t s = 0; s < l->nsubrows; s++)
            if (!strcmp(gy_row_label(t, r), l->subrows[s].after))
                w->recs[w->nrecs++] = (rec){.kind = R_SUBROW, .row = (uint32_t)i, .sub = (uint16_t)s};
    }
    /* pivot: a subrow follows the record of the row it names */
    if (l->pivot_key_idx != -1 && l->nsubrows) {
        size_t n = 0;
        for (size_t k = 0; k < w->nrecs; k++)
            n += 1 + subrows_after(l, gy_row_label(t, &t->rows[w->recs[k].row]));
        if (n >= NO_REC) {
            wb_err_at(w->b, t->path, "シートの行が %zu 行になり、数えられる %u 行を超えます", n, NO_REC - 1);
            return false;
        }
        rec *nr = malloc((n ? n : 1) * sizeof *nr);
        size_t *map = malloc((w->nrecs ? w->nrecs : 1) * sizeof *map);
        if (!nr || !map) {
            free(nr);
            free(map);
            w->b->oom = true;
            return false;
        }
        n = 0;
        for (size_t k = 0; k < w->nrecs; k++) {
            map[k] = n;
            nr[n++] = w->recs[k];
            for (size_t s = 0; s < l->nsubrows; s++)
                if (!strcmp(gy_row_label(t, &t->rows[w->recs[k].row]), l->subrows[s].after))
                    nr[n++] = (rec){.kind = R_SUBROW, .row = w->recs[k].row, .sub = (uint16_t)s};
        }
        for (size_t i = 0; i < t->nrows; i++)
            if (w->rec_of_row[i] != NO_REC)
                w->rec_of_row[i] = (uint32_t)map[w->rec_of_row[i]];
        free(map);
        free(w->recs);
        w->recs = nr;
        w->nrecs = n;
    }
    if (l->pivot_key_idx != -1 && !pivot_rows(w))
        return false;
    /* a layout across, or wrapped into blocks, stays on one sheet: it
     * must fit Excel's 16,384 columns and 1,048,576 rows */
    if (l->across || l->wrap) {
        long long per = l->wrap ? l->wrap : (long long)w->nrecs, nf = (long long)l->nfields;
        long long nblk = w->nrecs ? ((long long)w->nrecs + per - 1) / per : 1;
        long long cols = l->across ? w->H + per + 1 : nf * nblk;
        long long rows = l->across ? w->hr0 + nblk * (nf + 1) : w->hr0 + w->H + per;
        rows += (long long)l->nnotes + 2;
        if (cols > LXW_COL_MAX) {
            wb_err_at(w->b, layout_name(w), "表 %s の %zu 件を並べると %lld 列になり、シートの %d 列を超えます (wrap を小さくしてください)",
                      t->path, w->nrecs, cols, LXW_COL_MAX);
            return false;
        }
        if (rows > GY_XLSX_MAX_ROWS) {
            wb_err_at(w->b, layout_name(w), "表 %s の %zu 件を並べると %lld 行になり、シートの %d 行を超えます (wrap を%sしてください)",
                      t->path, w->nrecs, rows, GY_XLSX_MAX_ROWS, l->across ? "大きく" : "小さく");
            return false;
        }
    }
    /* geometry */
    int perblock = l->wrap ? l->wrap : INT32_MAX;
    int part = 0;
    long long line = 0;
    for (size_t k = 0; k < w->nrecs; k++) {
        rec *r = &w->recs[k];
        if (l->across) {
            long long blk = (long long)k / perblock, pos = (long long)k % perblock;
            r->sheet = 0;
            r->off = (int)(blk * ((long long)l->nfields + 1));
            r->line = w->H + (int)pos;
        } else if (l->wrap) {
            long long blk = (long long)k / perblock, pos = (long long)k % perblock;
            r->sheet = 0;
            r->off = (int)(blk * (long long)l->nfields);
            r->line = w->hr0 + w->H + (int)pos;
        } else {
            if (line >= w->maxbody) {
                part++;
                line = 0;
            }
            r->sheet = part;
            r->off = 0;
            r->line = w->hr0 + w->H + (int)line++;
        }
    }
    w->nparts = part + 1;
    return true;
}
