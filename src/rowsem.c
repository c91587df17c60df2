/* rowsem.c - what the aggregate rows of a table sum: the directives
 * counts, total across and memo_of of a definition */
#include "gaiyo/rowsem.h"

#include <stdlib.h>
#include <string.h>

static bool is_agg(gy_role r)
{
    return GY_ROLE_IS_AGGREGATE(r);
}

static int set_name(char **dst, unsigned *dline, unsigned *dcol, const char *path, unsigned ln,
                    const gy_word *w, const char *kw, gy_diags *d)
{
    if (*dst) {
        gy_diag_add(d, path, ln, w->col, "'%s' が 2 回あります", kw);
        return 1;
    }
    *dst = gy_strdup(w->s);
    if (!*dst)
        return -1;
    *dline = ln;
    *dcol = w->col;
    return 1;
}

int gy_rowsem_directive(gy_rowsem *s, const char *path, unsigned ln, const gy_word *v, int n, gy_diags *d)
{
    const char *kw = v[0].s;
    if (strcmp(kw, "counts") == 0) {
        /* counts AGGREGATE-ROLE ROLE… */
        gy_role agg, r;
        if (n < 3) {
            gy_diag_add(d, path, ln, v[0].col, "counts には「counts 集計の役割 数える役割…」の形で役割が要ります");
            return 1;
        }
        if (!gy_role_parse(v[1].s, &agg) || !is_agg(agg) || !v[1].s[0]) {
            gy_diag_add(d, path, ln, v[1].col,
                        "counts の最初は集計の役割 (小計, 計, 小計(再掲含む)) です: '%s'", v[1].s);
            return 1;
        }
        if (s->counts_line[agg]) {
            gy_diag_add(d, path, ln, v[1].col, "counts %s が 2 回あります (%u 行目にも)", gy_role_name(agg),
                        s->counts_line[agg]);
            return 1;
        }
        unsigned mask = 0;
        for (int i = 2; i < n; i++) {
            /* "項目,再掲" as well as "項目 再掲" */
            char *w = gy_strdup(v[i].s), *save = NULL;
            if (!w)
                return -1;
            for (char *p = strtok_r(w, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                if (!gy_role_parse(p, &r) || !*p || r == GY_ROLE_NOTE) {
                    gy_diag_add(d, path, ln, v[i].col,
                                "counts で数える役割は 項目, 再掲, 小計, 計, 小計(再掲含む) です: '%s'", p);
                    mask = 0;
                    break;
                }
                mask |= 1u << r;
            }
            free(w);
            if (!mask)
                return 1;
        }
        s->counts[agg] = mask;
        s->counts_line[agg] = ln;
        return 1;
    }
    if (strcmp(kw, "total") == 0) {
        /* total across COL [match COL2] */
        if (!((n == 3 && !strcmp(v[1].s, "across")) ||
              (n == 5 && !strcmp(v[1].s, "across") && !strcmp(v[3].s, "match")))) {
            gy_diag_add(d, path, ln, v[0].col, "「total across グループ列 [match 列]」の形です");
            return 1;
        }
        int r = set_name(&s->across, &s->across_line, &s->across_col, path, ln, &v[2], "total across", d);
        if (r < 0 || n == 3 || !s->across || s->across_line != ln)
            return r;
        unsigned dummy;
        return set_name(&s->match, &dummy, &s->match_col, path, ln, &v[4], "total across … match", d);
    }
    if (strcmp(kw, "memo_of") == 0) {
        if (n != 2) {
            gy_diag_add(d, path, ln, v[0].col, "memo_of には label か列名が 1 つ要ります");
            return 1;
        }
        return set_name(&s->memo, &s->memo_line, &s->memo_col, path, ln, &v[1], "memo_of", d);
    }
    return 0;
}

void gy_rowsem_finish(gy_rowsem *s, gy_tabledef *t, const char *path, gy_diags *d)
{
    unsigned items = 1u << GY_ROLE_ITEM, memo = 1u << GY_ROLE_MEMO;
    for (int r = 0; r < GY_NROLES; r++)
        t->counts[r] = 0;
    t->counts[GY_ROLE_SUBTOTAL] = t->counts[GY_ROLE_TOTAL] = items | (t->memo_in_totals ? memo : 0);
    t->counts[GY_ROLE_SUBTOTAL_MEMO] = items | memo;
    for (int r = 0; r < GY_NROLES; r++)
        if (s->counts_line[r])
            t->counts[r] = s->counts[r];
    t->across_col = t->across_match = -1;
    t->memo_of = -2;
    if (s->across) {
        int c = gy_tabledef_col(t, s->across);
        if (c < 0)
            gy_diag_add(d, path, s->across_line, s->across_col, "total across が存在しない列を指しています: '%s'",
                        s->across);
        else if (!(t->cols[c].flags & GY_COL_GROUP))
            gy_diag_add(d, path, s->across_line, s->across_col,
                        "total across の列は group の列です: '%s' (group %s と書いてください)", s->across, s->across);
        else
            t->across_col = c;
    }
    if (s->match) {
        int c = gy_tabledef_col(t, s->match);
        if (c < 0)
            gy_diag_add(d, path, s->across_line, s->match_col, "match が存在しない列を指しています: '%s'", s->match);
        else if (c == t->across_col)
            gy_diag_add(d, path, s->across_line, s->match_col, "match の列は across の列とは別の列です: '%s'",
                        s->match);
        else
            t->across_match = c;
    }
    if (s->memo) {
        t->memo_of_line = s->memo_line;
        if (strcmp(s->memo, "label") == 0) {
            t->memo_of = -1;
        } else {
            int c = gy_tabledef_col(t, s->memo);
            if (c < 0)
                gy_diag_add(d, path, s->memo_line, s->memo_col, "memo_of が存在しない列を指しています: '%s'",
                            s->memo);
            else if (t->cols[c].type != GY_T_TEXT)
                gy_diag_add(d, path, s->memo_line, s->memo_col, "memo_of の列は text 型の列です: '%s'", s->memo);
            else
                t->memo_of = c;
        }
        if (t->role_col < 0)
            gy_diag_add(d, path, s->memo_line, s->memo_col,
                        "memo_of には 再掲 の行を示す role 型の列 (行区分) が要ります");
    }
}

void gy_rowsem_free(gy_rowsem *s)
{
    free(s->across);
    free(s->match);
    free(s->memo);
    memset(s, 0, sizeof *s);
}
