/* verify_rows.c - rows a definition names: 再掲 originals, rule selectors
 *
 * A 再掲 row must repeat the figures of the item row it names
 * (`memo_of`); a rule's row:LABEL and roles must select some row of the
 * table, else a warning says the rule checks nothing. Tested by
 * tests/unit/test_rows.c.
 */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- rows a definition names: 再掲 originals, rule selectors ------------- */

/* a finding about the table as a whole (a rule of its definition): it
 * names no cell, so it stands at the CSV's header line and marks no cell
 * of the workbook (row GY_FINDING_NOROW) */
static void add_table_finding(ctx *c, gy_sev sev, const char *rule, int col, const char *rowlabel,
                              const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_table_finding(ctx *c, gy_sev sev, const char *rule, int col, const char *rowlabel,
                              const char *fmt, ...)
{
    gy_finding g = {.sev = sev, .rule = rule, .table = c->t, .row = GY_FINDING_NOROW, .col = col,
                    .line = 1, .colno = 1};
    g.rowlabel = gy_strdup(rowlabel);
    g.collabel = gy_strdup(c->t->def->cols[col].label);
    g.stated = gy_strdup("");
    g.computed = gy_strdup("");
    va_list ap;
    va_start(ap, fmt);
    if (!gy_findings_addv(c->out, &g, fmt, ap))
        c->oom = true;
    va_end(ap);
}

/* Every rule applies to some row, and every row:LABEL of its `on` names
 * a row of the table: a selector that matches nothing would check
 * nothing, silently. Said as a warning naming the rule and its place in
 * the definition. A rule across fiscal years without last year's table is
 * documented not to apply, and an empty table has no rows to select. */
void gyv_check_selectors(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    if (!t->nrows)
        return;
    for (size_t ri = 0; ri < d->nrules; ri++) {
        const gy_rule *ru = &d->rules[ri];
        if (!c->prev && d->fy_col < 0 && has_prev(ru->expr))
            continue;
        bool any = false;
        bool *hit = calloc(ru->nrows ? ru->nrows : 1, sizeof *hit);
        if (!hit) {
            c->oom = true;
            return;
        }
        for (size_t i = 0; i < t->nrows; i++) {
            const gy_row *r = &t->rows[i];
            if (ru->roles & (1u << r->role))
                any = true;
            if (!ru->nrows)
                continue;
            const char *lab = gy_row_label(t, r);
            for (size_t k = 0; k < ru->nrows; k++)
                if (!strcmp(ru->rows[k], lab))
                    any = hit[k] = true;
        }
        for (size_t k = 0; k < ru->nrows; k++) {
            if (hit[k])
                continue;
            char *rl = gy_asprintf("row:%s", ru->rows[k]);
            if (!rl) {
                c->oom = true;
                break;
            }
            add_table_finding(c, GY_SEV_WARNING, "selector", ru->target, rl,
                              "規則 %s (%s:%u:%u) の row:%s に当たる行がこの表にありません: この選択はどの行も検算しません",
                              ru->text, d->path, ru->line, ru->rowcols ? ru->rowcols[k] : 1, ru->rows[k]);
            free(rl);
        }
        if (!any && !ru->nrows)
            add_table_finding(c, GY_SEV_WARNING, "selector", ru->target, "(該当行なし)",
                              "規則 %s (%s:%u) の当てはまる行 (役割) がこの表に 1 行もありません: この規則は何も検算しません",
                              ru->text, d->path, ru->line);
        free(hit);
    }
}

/* the label a 再掲 row names its original by: its own label without a
 * trailing (再掲) / （再掲） (memo_of label), or the text of the memo_of
 * column; in *buf when it is cut */
static const char *memo_key(const ctx *c, size_t i, char *buf, size_t n)
{
    const gy_table *t = c->t;
    if (t->def->memo_of >= 0)
        return gy_ttext(t, i, t->def->memo_of);
    const char *lab = gy_row_label(t, &t->rows[i]);
    static const char *suf[] = {"(再掲)", "（再掲）"};
    size_t l = strlen(lab);
    for (size_t k = 0; k < sizeof suf / sizeof suf[0]; k++) {
        size_t sl = strlen(suf[k]);
        if (l > sl && !strcmp(lab + l - sl, suf[k]) && l - sl < n) {
            memcpy(buf, lab, l - sl);
            buf[l - sl] = '\0';
            gy_trim(buf);
            return buf;
        }
    }
    return lab;
}

/* memo_of: each 再掲 row repeats an item row of the table (in any group),
 * found by label; each `sum` column must hold the original's figure */
void gyv_check_memos(ctx *c)
{
    const gy_table *t = c->t;
    const gy_tabledef *d = t->def;
    if (d->memo_of < -1 || !t->nrows)
        return;
    /* the item rows by label (the first of each label; a second one marks
     * the label as ambiguous) */
    rowidx x;
    unsigned char *dup = calloc(t->nrows, 1);
    if (!dup || !rowidx_init(&x, t->nrows)) {
        free(dup);
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        if (t->rows[i].role != GY_ROLE_ITEM)
            continue;
        const char *lab = gy_row_label(t, &t->rows[i]);
        uint64_t h = label_hash(0, lab);
        bool seen = false;
        for (size_t s = (size_t)h & (x.cap - 1); x.s[s].row && !seen; s = (s + 1) & (x.cap - 1)) {
            size_t q = x.s[s].row - 1;
            if (x.s[s].tag == tag_of(h) && !strcmp(gy_row_label(t, &t->rows[q]), lab)) {
                seen = true;
                if (!dup[q])
                    dup[q] = 1;
            }
        }
        if (!seen)
            rowidx_add(&x, h, i);
    }
    int lc = d->memo_of >= 0 ? d->memo_of : d->label_col;
    for (size_t i = 0; i < t->nrows && !c->oom; i++) {
        if (t->rows[i].role != GY_ROLE_MEMO)
            continue;
        char buf[1024];
        const char *key = memo_key(c, i, buf, sizeof buf);
        gy_cell kb;
        if (!*key) {
            gyv_add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                            "再掲の行に元の行 (%s の列) が書かれていないため検算できません", d->cols[lc].label);
            continue;
        }
        uint64_t h = label_hash(0, key);
        size_t o = SIZE_MAX;
        for (size_t s = (size_t)h & (x.cap - 1); x.s[s].row; s = (s + 1) & (x.cap - 1)) {
            size_t q = x.s[s].row - 1;
            if (x.s[s].tag == tag_of(h) && !strcmp(gy_row_label(t, &t->rows[q]), key)) {
                o = q;
                break;
            }
        }
        if (o == SIZE_MAX) {
            gyv_add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                            "再掲の元の行「%s」がこの表の項目にないため検算できません", key);
            continue;
        }
        if (dup[o]) {
            gyv_add_finding(c, GY_SEV_WARNING, "memo", i, lc, cell_text(t, i, lc, &kb), "", false, 0,
                            "再掲の元の行「%s」が 2 行以上あるため (%u 行目ほか) 検算できません", key, t->rows[o].line);
            continue;
        }
        for (size_t j = 0; j < d->ncols; j++) {
            if (!(d->cols[j].flags & GY_COL_SUM))
                continue;
            val m = cell_val(t, i, (int)j), v = cell_val(t, o, (int)j);
            if (m.st == V_UNKNOWN || v.st == V_UNKNOWN || (m.st == v.st && m.v == v.v))
                continue;
            gy_cell c1, c2;
            char sb[64], ob[64];
            snprintf(sb, sizeof sb, "%s", cell_text(t, i, (int)j, &c1));
            snprintf(ob, sizeof ob, "%s", cell_text(t, o, (int)j, &c2));
            if (m.st == V_OK)
                fmt_val(t, (int)j, m.v, sb, sizeof sb);
            if (v.st == V_OK)
                fmt_val(t, (int)j, v.v, ob, sizeof ob);
            gyv_add_finding(c, GY_SEV_ERROR, "memo", i, (int)j, sb, ob, v.st == V_OK, v.v,
                            "再掲の%s %s が元の行「%s」(%u 行目) の %s と違います", d->cols[j].label, sb, key,
                            t->rows[o].line, ob);
        }
    }
    rowidx_free(&x);
    free(dup);
}
