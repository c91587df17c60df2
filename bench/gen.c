/* gen.c - gaiyo-benchgen: synthetic departmental data for `make bench`.
 *
 *   gaiyo-benchgen [--seed S] N OUTDIR
 *
 * writes OUTDIR/R5/jigyo.csv and OUTDIR/R6/jigyo.csv (table definition:
 * bench/templates/tables/jigyo.def) and OUTDIR/R6/組替.csv: about N 事業
 * rows per fiscal year, spread over 36 課, each 課 closed by its 計 row.
 * Amounts in 千円 with their 財源内訳 (国庫支出金 + その他 + 一般財源 =
 * 当初), 構成比 within the 課, 対前年比 and 増減額 against 前年度当初; R6's
 * 前年度当初 is R5's 当初 of the same 事業 (a few 事業 are new in R6, a few
 * of R5 are discontinued with 当初 0, one 課 is renamed through 組替.csv). 事業名 are
 * Japanese, of varied length; some carry a comma or double quotes, so the
 * CSV quoting is exercised. A few figures are deliberately wrong (about
 * one in 200,000, at least three per file) so that verify has findings.
 * The output is a function of N and the seed only. Any N ≥ 1 is
 * accepted (also more than a worksheet's 1,048,576 rows).
 *
 * --kind chooses the table kind (default grouped, the above):
 *   nested    OUTDIR/R5/jigyohi.csv and R6/jigyohi.csv (bench/templates/
 *             tables/jigyohi.def): about N rows per year of 事業費 nested
 *             1 → (1) → ① → ア, in many 課 (about 400 rows each); each
 *             parent states the sum of its children; the first 課's first
 *             施策 has N/20 (1) 事業 in one flat list
 *   subtotal  OUTDIR/R5/shokei.csv and R6/shokei.csv (shokei.def): about
 *             N rows per year over 36 課, 事業 in runs of 1–20 each closed
 *             by a 小計 row, each 課 closed by its 計
 * with a few wrong figures too (one in 200,000 rows, at least three per
 * file).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 128-bit intermediates (a GCC/clang extension; quiet under -Wpedantic) */
__extension__ typedef __int128 gy_i128;

/* ---- deterministic random numbers (splitmix64) -------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [0, n) */
static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---- names ---------------------------------------------------------------- */

static const char *const ka[] = {
    "経済産業政策課", "地域企業支援課", "企業立地・創出課", "産業イノベーション推進課",
    "商工政策課", "地域産業課", "新産業創造課", "エネルギー開発振興課",
    "労政・能力開発課", "雇用・人材確保対策課", "観光企画課", "観光国際戦略推進課",
    "誘客交流課", "県産品販路拡大課", "総合販売戦略課", "食産業振興課",
    "農商工連携推進課", "中小企業金融課", "商業振興課", "ものづくり産業課",
    "情報政策課", "デジタル推進課", "交通政策課", "港湾空港課",
    "産業技術センター企画課", "工業技術研究課", "食品技術研究課", "弘前地域技術研究課",
    "八戸地域技術研究課", "職業能力開発課", "技能振興課", "国際経済課",
    "原子力立地対策課", "環境エネルギー産業課", "創業支援課", "伝統工芸振興課",
};
enum { NKA = sizeof ka / sizeof ka[0] };
/* 課 index renamed between R5 and R6 (組替.csv): R5 calls it RENAMED_OLD */
#define RENAMED_KA 4
#define RENAMED_OLD "旧商工政策課"

static const char *const place[] = {
    "", "青森市", "弘前市", "八戸市", "黒石市", "五所川原市", "十和田市",
    "三沢市", "むつ市", "つがる市", "平川市", "津軽地域", "県南地域", "下北地域",
    "西北地域", "上北地域", "三八地域", "中南地域", "東青地域", "全県",
};
static const char *const topic[] = {
    "中小企業", "小規模事業者", "県産品", "地域産業", "ものづくり", "食品産業",
    "観光", "伝統工芸品", "再生可能エネルギー", "水素エネルギー", "医療・健康福祉関連産業",
    "ライフサイエンス", "情報サービス産業", "創業・起業", "事業承継", "商店街",
    "農商工連携", "6次産業化", "輸出", "インバウンド", "若者の県内定着", "女性の活躍",
    "技能人材", "デジタル人材", "産業立地", "企業誘致", "物流", "港湾利用",
    "航空路線", "雇用",
};
static const char *const action[] = {
    "振興", "販路拡大", "経営基盤強化", "人材育成", "生産性向上", "DX推進",
    "魅力発信", "競争力強化", "資金調達円滑化", "技術開発", "ブランド化",
    "海外展開", "受入環境整備", "誘致促進", "定着支援", "需要喚起",
    "脱炭素化", "連携強化", "調査", "普及啓発",
};
static const char *const kind[] = {
    "事業", "支援事業", "推進事業", "促進事業", "事業費補助",
    "補助金", "対策事業", "強化事業", "プロジェクト", "モデル事業", "等委託事業",
    "交付金事業", "貸付金",
};
/* occasional extras that need CSV quoting: a comma, double quotes */
static const char *const extra[] = {
    "(AI,IoT活用)", "(国庫,県単)", "\"あおもり\"ブランド", "(\"攻め\"の農林水産業連携)",
    "(第2期,拡充)",
};
#define N_(a) (sizeof a / sizeof a[0])

/* the name of 事業 number i of a 課: unique within the 課 by construction
 * (mixed radix over the parts), varied in length */
static void jigyo_name(uint64_t i, char *buf, size_t n)
{
    uint64_t x = i;
    const char *tp = topic[x % N_(topic)];
    x /= N_(topic);
    const char *ac = action[x % N_(action)];
    x /= N_(action);
    const char *kd = kind[x % N_(kind)];
    x /= N_(kind);
    const char *pl = place[x % N_(place)];
    x /= N_(place);
    /* a fixed pseudo-random choice per i for the quoted extras */
    uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 40;
    const char *ex = (h % 97 == 0) ? extra[(h / 97) % N_(extra)] : "";
    if (x == 0)
        snprintf(buf, n, "%s%s%s%s%s", pl, tp, ac, ex, kd);
    else
        snprintf(buf, n, "%s%s%s%s%s（その%" PRIu64 "）", pl, tp, ac, ex, kd, x + 1);
}

/* ---- CSV output -------------------------------------------------------------- */

static void put_text(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* an amount as departments type it: "1,234,567" (quoted: it has commas),
 * negatives as "△ 1,234" */
static void put_amount(FILE *fp, int64_t v)
{
    char d[32], o[48];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = snprintf(d, sizeof d, "%" PRIu64, u);
    size_t k = 0;
    if (v < 0) {
        memcpy(o, "△ ", 4);
        k = 4;
    }
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            o[k++] = ',';
        o[k++] = d[i];
    }
    o[k] = '\0';
    if (strchr(o, ','))
        fprintf(fp, "\"%s\"", o);
    else
        fputs(o, fp);
}

/* a ratio with one decimal, rounded half away from zero (四捨五入) */
static int64_t pct1(int64_t num, int64_t den)
{
    if (den == 0)
        return 0;
    gy_i128 a = (gy_i128)num * 1000;
    gy_i128 q = a / den, r = a % den;
    if (r < 0)
        r = -r;
    if (2 * r >= (den < 0 ? -den : den))
        q += ((a < 0) != (den < 0)) ? -1 : 1;
    return (int64_t)q;
}

static void put_ratio(FILE *fp, int64_t v)
{
    if (v < 0)
        fprintf(fp, "△ %" PRId64 ".%" PRId64, -v / 10, -v % 10);
    else
        fprintf(fp, "%" PRId64 ".%" PRId64, v / 10, v % 10);
}

/* ---- the data ------------------------------------------------------------------ */

typedef struct jigyo {
    int64_t prev;       /* 前年度当初 (-1: new this year) */
    int64_t cur;        /* 当初 */
    int64_t kokko, sonota, ippan;
    int64_t ratio;      /* 構成比 (stated) */
    uint32_t name;      /* name number within the 課 */
} jigyo;

typedef struct year {
    jigyo *v;
    size_t *start;      /* first 事業 of each 課; start[NKA] = n */
    size_t n;
} year;

static int64_t amount(void)
{
    /* 千円: most 事業 small, some large (log-uniform 100 .. 10,000,000) */
    int digits = 2 + (int)rnd_below(5);
    int64_t base = 1;
    for (int i = 0; i < digits; i++)
        base *= 10;
    return base + (int64_t)rnd_below((uint64_t)base * 9);
}

static void split(jigyo *j)
{
    /* 財源: 国庫 0–50 %, その他 0–30 %, the rest 一般財源 */
    j->kokko = rnd_below(3) ? j->cur * (int64_t)rnd_below(51) / 100 : 0;
    j->sonota = rnd_below(2) ? j->cur * (int64_t)rnd_below(31) / 100 : 0;
    j->ippan = j->cur - j->kokko - j->sonota;
}

static int write_year(const char *path, const year *y, bool r6, uint64_t nerr_every, long *nerrs)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "gaiyo-benchgen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char buf[1 << 16];
    setvbuf(fp, buf, _IOFBF, sizeof buf);
    fputs("課名,事業名,行区分,前年度当初,当初,構成比,国庫支出金,その他,一般財源,対前年比,増減額\n", fp);
    uint64_t serial = 0;
    for (size_t k = 0; k < NKA; k++) {
        const char *kname = (!r6 && k == RENAMED_KA) ? RENAMED_OLD : ka[k];
        int64_t s_prev = 0, s_cur = 0, s_kokko = 0, s_sonota = 0, s_ippan = 0, s_diff = 0, s_ratio = 0;
        bool any_prev = false;
        for (size_t i = y->start[k]; i < y->start[k + 1]; i++) {
            const jigyo *j = &y->v[i];
            char name[256];
            jigyo_name(j->name, name, sizeof name);
            int64_t kokko = j->kokko, cur = j->cur, ratio = j->ratio;
            int64_t yoy = j->prev > 0 ? pct1(j->cur, j->prev) : 0;
            int64_t diff = j->cur - (j->prev >= 0 ? j->prev : 0);
            /* deliberately wrong figures, at fixed places */
            serial++;
            int wrong = serial % nerr_every == nerr_every / 2 ? (int)((serial / nerr_every) % 3) + 1 : 0;
            if (wrong == 2 && j->prev <= 0)
                wrong = 1;
            if (wrong == 1)
                kokko += 10; /* 財源 do not add up */
            else if (wrong == 2)
                yoy += 7;    /* 対前年比 off */
            else if (wrong == 3)
                diff -= 100; /* 増減額 off */
            if (wrong)
                (*nerrs)++;
            put_text(fp, kname);
            fputc(',', fp);
            put_text(fp, name);
            fputs(",,", fp);
            if (j->prev >= 0)
                put_amount(fp, j->prev);
            else
                fputc('-', fp);
            fputc(',', fp);
            put_amount(fp, cur);
            fputc(',', fp);
            put_ratio(fp, ratio);
            fputc(',', fp);
            put_amount(fp, kokko);
            fputc(',', fp);
            put_amount(fp, j->sonota);
            fputc(',', fp);
            put_amount(fp, j->ippan);
            fputc(',', fp);
            if (j->prev > 0)
                put_ratio(fp, yoy);
            else
                fputc('-', fp);
            fputc(',', fp);
            put_amount(fp, diff);
            fputc('\n', fp);
            if (j->prev >= 0) {
                s_prev += j->prev;
                any_prev = true;
            }
            s_cur += j->cur;
            s_kokko += j->kokko;
            s_sonota += j->sonota;
            s_ippan += j->ippan;
            s_diff += j->cur - (j->prev >= 0 ? j->prev : 0);
            s_ratio += j->ratio;
        }
        (void)s_ratio;
        /* the 課's 計 row: sums; 構成比 100.0; its own 対前年比 */
        put_text(fp, kname);
        fputs(",,計,", fp);
        if (any_prev)
            put_amount(fp, s_prev);
        else
            fputc('-', fp);
        fputc(',', fp);
        put_amount(fp, s_cur);
        fputs(",100.0,", fp);
        put_amount(fp, s_kokko);
        fputc(',', fp);
        put_amount(fp, s_sonota);
        fputc(',', fp);
        put_amount(fp, s_ippan);
        fputc(',', fp);
        if (any_prev && s_prev > 0)
            put_ratio(fp, pct1(s_cur, s_prev));
        else
            fputc('-', fp);
        fputc(',', fp);
        put_amount(fp, s_diff);
        fputc('\n', fp);
    }
    if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0) {
        fprintf(stderr, "gaiyo-benchgen: %s: 書き込みに失敗しました\n", path);
        return 1;
    }
    return 0;
}

/* 構成比 within each 課, rounded (the stated figures) */
static void shares(year *y)
{
    for (size_t k = 0; k < NKA; k++) {
        int64_t tot = 0;
        for (size_t i = y->start[k]; i < y->start[k + 1]; i++)
            tot += y->v[i].cur;
        for (size_t i = y->start[k]; i < y->start[k + 1]; i++)
            y->v[i].ratio = pct1(y->v[i].cur, tot);
    }
}

static int mkdir_p(const char *p)
{
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gaiyo-benchgen: %s: %s\n", p, strerror(errno));
        return 1;
    }
    return 0;
}

static void usage(void)
{
    fputs("使い方: gaiyo-benchgen [--seed S] [--kind grouped|nested|subtotal] 事業数 出力フォルダ\n"
          "  grouped (既定): 出力フォルダ/R5/jigyo.csv, R6/jigyo.csv, R6/組替.csv を書きます\n"
          "  (定義: bench/templates/tables/jigyo.def)\n"
          "  nested: R5/jigyohi.csv, R6/jigyohi.csv (jigyohi.def); subtotal: R5/shokei.csv,\n"
          "  R6/shokei.csv (shokei.def)\n",
          stderr);
}

/* ---- the nested kind: 事業費 1 → (1) → ① → ア ------------------------------- */

typedef struct nrow {
    int level;          /* 0: 施策, 1: (1), 2: ①, 3: ア */
    int num;            /* the marker's number (1-based) */
    int64_t amt, saimu; /* 金額, 債務負担行為 (-1: blank) */
    uint32_t name;
} nrow;

typedef struct nbuf {
    nrow *v;
    size_t n, cap;
} nbuf;

static nrow *nb_push(nbuf *b)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        nrow *nv = realloc(b->v, nc * sizeof *nv);
        if (!nv) {
            fputs("gaiyo-benchgen: メモリ不足\n", stderr);
            exit(1);
        }
        b->v = nv;
        b->cap = nc;
    }
    nrow *r = &b->v[b->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* a subtree at `level` numbered num: a leaf, or a parent of 2–5
 * children one level deeper (deeper is rarer); returns its index */
static size_t n_tree(nbuf *b, int level, int num, uint32_t *name)
{
    size_t me = b->n;
    nrow *r = nb_push(b);
    r->level = level;
    r->num = num;
    r->name = (*name)++;
    bool parent = level < 3 && rnd_below(level == 1 ? 2 : 4) == 0;
    if (!parent) {
        r->amt = amount();
        r->saimu = rnd_below(10) == 0 ? amount() : -1;
        return me;
    }
    int k = 2 + (int)rnd_below(4);
    int64_t s = 0, sd = 0;
    bool anyd = false;
    for (int i = 0; i < k; i++) {
        size_t c = n_tree(b, level + 1, i + 1, name); /* b->v may move */
        s += b->v[c].amt;
        if (b->v[c].saimu >= 0) {
            sd += b->v[c].saimu;
            anyd = true;
        }
    }
    b->v[me].amt = s;
    b->v[me].saimu = anyd ? sd : -1;
    return me;
}

/* the marker of a level and number: 1, (1), ①, ア */
static void n_marker(int level, int num, char *buf, size_t n)
{
    static const char *const circ[] = {"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩",
                                       "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱", "⑲", "⑳"};
    static const char *const kana[] = {"ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ"};
    if (level == 0)
        snprintf(buf, n, "%d", num);
    else if (level == 1)
        snprintf(buf, n, "(%d)", num);
    else if (level == 2)
        snprintf(buf, n, "%s", circ[(num - 1) % 20]);
    else
        snprintf(buf, n, "%s", kana[(num - 1) % 10]);
}

static void put_opt_amount(FILE *fp, int64_t v)
{
    if (v >= 0)
        put_amount(fp, v);
}

/* one year of the nested kind: about n rows */
static int write_nested(const char *path, uint64_t n, uint64_t nerr_every, long *nerrs)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "gaiyo-benchgen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char buf[1 << 16];
    setvbuf(fp, buf, _IOFBF, sizeof buf);
    fputs("課名,番号,事業名,金額,債務負担行為\n", fp);
    nbuf b = {0};
    uint64_t rows = 0, serial = 0;
    for (size_t k = 0; rows < n; k++) {
        char kname[160];
        if (k < NKA)
            snprintf(kname, sizeof kname, "%s", ka[k]);
        else
            snprintf(kname, sizeof kname, "%s（第%zu）", ka[k % NKA], k / NKA + 1);
        /* the 課's rows: 施策 with their 事業 */
        b.n = 0;
        uint32_t name = 0;
        uint64_t want = 100 + rnd_below(600);
        for (int s = 1; b.n < want; s++) {
            size_t top = b.n;
            nrow *r = nb_push(&b);
            r->level = 0;
            r->num = s;
            r->name = name++;
            /* the first 課's first 施策: one long flat list of (1) 事業 */
            size_t m = (k == 0 && s == 1) ? (size_t)(n / 20) + 1 : 2 + rnd_below(12);
            int64_t sum = 0;
            for (size_t i = 0; i < m; i++) {
                size_t c = n_tree(&b, 1, (int)i + 1, &name); /* b.v may move */
                sum += b.v[c].amt;
            }
            /* 施策 state their sum one time in two (blank otherwise, as in input/) */
            b.v[top].amt = rnd_below(2) ? sum : -1;
            b.v[top].saimu = -1;
        }
        for (size_t i = 0; i < b.n; i++) {
            const nrow *r = &b.v[i];
            char mk[32], nm[256];
            n_marker(r->level, r->num, mk, sizeof mk);
            jigyo_name(r->name, nm, sizeof nm);
            int64_t amt = r->amt;
            /* deliberately wrong leaves, at fixed places */
            serial++;
            if (serial % nerr_every == nerr_every / 2 && r->level > 0 && amt >= 0) {
                amt += 10;
                (*nerrs)++;
            }
            put_text(fp, kname);
            fputc(',', fp);
            fputs(mk, fp);
            fputc(',', fp);
            put_text(fp, nm);
            fputc(',', fp);
            put_opt_amount(fp, amt);
            fputc(',', fp);
            put_opt_amount(fp, r->saimu);
            fputc('\n', fp);
        }
        rows += b.n;
    }
    free(b.v);
    if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0) {
        fprintf(stderr, "gaiyo-benchgen: %s: 書き込みに失敗しました\n", path);
        return 1;
    }
    return 0;
}

/* ---- the subtotal kind: a flat list of 事業 and 小計 ------------------------- */

static int write_subtotal(const char *path, uint64_t n, uint64_t nerr_every, long *nerrs)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "gaiyo-benchgen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static char buf[1 << 16];
    setvbuf(fp, buf, _IOFBF, sizeof buf);
    fputs("課名,事業名,行区分,前年度当初,当初,増減額\n", fp);
    uint64_t serial = 0;
    for (size_t k = 0; k < NKA; k++) {
        uint64_t m = n / NKA + (k < n % NKA ? 1 : 0), done = 0;
        uint32_t name = 0, nsub = 0;
        int64_t kp = 0, kc = 0;
        while (done < m) {
            uint64_t run = 1 + rnd_below(20);
            int64_t sp = 0, sc = 0;
            for (uint64_t i = 0; i < run; i++) {
                char nm[256];
                jigyo_name(name++, nm, sizeof nm);
                int64_t cur = amount(), prev = cur * (int64_t)(70 + rnd_below(61)) / 100, st = cur;
                serial++;
                if (serial % nerr_every == nerr_every / 2) {
                    st += 10; /* a wrong 当初: its 小計, its 増減額 disagree */
                    (*nerrs)++;
                }
                put_text(fp, ka[k]);
                fputc(',', fp);
                put_text(fp, nm);
                fputs(",,", fp);
                put_amount(fp, prev);
                fputc(',', fp);
                put_amount(fp, st);
                fputc(',', fp);
                put_amount(fp, cur - prev);
                fputc('\n', fp);
                sp += prev;
                sc += cur;
            }
            fprintf(fp, "%s,小計 (%" PRIu32 "),小計,", ka[k], ++nsub);
            put_amount(fp, sp);
            fputc(',', fp);
            put_amount(fp, sc);
            fputc(',', fp);
            put_amount(fp, sc - sp);
            fputc('\n', fp);
            kp += sp;
            kc += sc;
            done += run + 1;
        }
        fprintf(fp, "%s,計,計,", ka[k]);
        put_amount(fp, kp);
        fputc(',', fp);
        put_amount(fp, kc);
        fputc(',', fp);
        put_amount(fp, kc - kp);
        fputc('\n', fp);
    }
    if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0) {
        fprintf(stderr, "gaiyo-benchgen: %s: 書き込みに失敗しました\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 20240701;
    const char *kindname = "grouped";
    int a = 1;
    for (;;) {
        if (a + 1 < argc && !strcmp(argv[a], "--seed")) {
            seed = strtoull(argv[a + 1], NULL, 10);
            a += 2;
        } else if (a + 1 < argc && !strcmp(argv[a], "--kind")) {
            kindname = argv[a + 1];
            a += 2;
        } else {
            break;
        }
    }
    if (strcmp(kindname, "grouped") && strcmp(kindname, "nested") && strcmp(kindname, "subtotal")) {
        usage();
        return 2;
    }
    if (argc - a != 2) {
        usage();
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(argv[a], &end, 10);
    if (*end || n < 1 || errno || n > 100000000ull) {
        fprintf(stderr, "gaiyo-benchgen: 事業数 '%s' は 1〜100000000 の整数です\n", argv[a]);
        return 2;
    }
    const char *out = argv[a + 1];
    rng_state = seed;
    if (strcmp(kindname, "grouped")) {
        /* the nested and subtotal kinds: both years alike, each about n rows */
        bool nested = !strcmp(kindname, "nested");
        uint64_t every = 200000;
        if (n / every < 3)
            every = n / 3 ? n / 3 : 1;
        char path[4096];
        long nerr[2] = {0, 0};
        int rc = 0;
        snprintf(path, sizeof path, "%s", out);
        rc |= mkdir_p(path);
        for (int y = 0; y < 2 && !rc; y++) {
            snprintf(path, sizeof path, "%s/R%d", out, 5 + y);
            rc |= mkdir_p(path);
            snprintf(path, sizeof path, "%s/R%d/%s", out, 5 + y, nested ? "jigyohi.csv" : "shokei.csv");
            if (!rc)
                rc |= nested ? write_nested(path, n, every, &nerr[y]) : write_subtotal(path, n, every, &nerr[y]);
        }
        if (rc)
            return 1;
        printf("%s: R5, R6 各 約 %llu 行, 誤りを入れた数字 R5 %ld, R6 %ld\n", kindname, n, nerr[0], nerr[1]);
        return 0;
    }

    /* R5: n 事業 over the 課 (uneven: some 課 three times as big) */
    size_t weight[NKA], wsum = 0;
    for (size_t k = 0; k < NKA; k++)
        wsum += weight[k] = 1 + rnd_below(3);
    year y5 = {0}, y6 = {0};
    size_t cap = (size_t)n + n / 20 + NKA + 16;
    y5.v = calloc(cap, sizeof *y5.v);
    y6.v = calloc(cap, sizeof *y6.v);
    y5.start = calloc(NKA + 1, sizeof *y5.start);
    y6.start = calloc(NKA + 1, sizeof *y6.start);
    if (!y5.v || !y6.v || !y5.start || !y6.start) {
        fputs("gaiyo-benchgen: メモリ不足\n", stderr);
        return 1;
    }
    size_t done = 0;
    for (size_t k = 0; k < NKA; k++) {
        size_t m = (size_t)(n * weight[k] / wsum);
        if (k == NKA - 1)
            m = (size_t)n - done;
        y5.start[k] = y5.n;
        for (size_t i = 0; i < m; i++) {
            jigyo *j = &y5.v[y5.n++];
            j->name = (uint32_t)i;
            j->cur = amount();
            j->prev = rnd_below(50) ? j->cur * (int64_t)(70 + rnd_below(61)) / 100 : -1;
            split(j);
        }
        done += m;
    }
    y5.start[NKA] = y5.n;
    /* R6: the same 事業 (one in 40 discontinued: 当初 0, so that the 課's
     * 前年度当初 is still last year's 当初), new ones appended (2 %) */
    for (size_t k = 0; k < NKA; k++) {
        y6.start[k] = y6.n;
        size_t m5 = y5.start[k + 1] - y5.start[k];
        for (size_t i = y5.start[k]; i < y5.start[k + 1]; i++) {
            jigyo *j = &y6.v[y6.n++];
            j->name = y5.v[i].name;
            j->prev = y5.v[i].cur;
            j->cur = j->prev * (int64_t)(80 + rnd_below(41)) / 100;
            if (rnd_below(40) == 0)
                j->cur = 0; /* 廃止・休止 */
            split(j);
        }
        size_t add = m5 / 50 + (rnd_below(2) ? 1 : 0);
        for (size_t i = 0; i < add; i++) {
            jigyo *j = &y6.v[y6.n++];
            j->name = (uint32_t)(m5 + i);
            j->prev = -1;
            j->cur = amount();
            split(j);
        }
    }
    y6.start[NKA] = y6.n;
    shares(&y5);
    shares(&y6);

    uint64_t every = 200000;
    if (n / every < 3)
        every = n / 3 ? n / 3 : 1;
    char path[4096];
    long nerr5 = 0, nerr6 = 0;
    int rc = 0;
    snprintf(path, sizeof path, "%s", out);
    rc |= mkdir_p(path);
    snprintf(path, sizeof path, "%s/R5", out);
    rc |= mkdir_p(path);
    snprintf(path, sizeof path, "%s/R6", out);
    rc |= mkdir_p(path);
    if (rc)
        return 1;
    snprintf(path, sizeof path, "%s/R5/jigyo.csv", out);
    rc |= write_year(path, &y5, false, every, &nerr5);
    snprintf(path, sizeof path, "%s/R6/jigyo.csv", out);
    rc |= write_year(path, &y6, true, every, &nerr6);
    snprintf(path, sizeof path, "%s/R6/組替.csv", out);
    FILE *fp = fopen(path, "w");
    if (!fp || fprintf(fp, "表,列,旧,新,対象,備考\njigyo,課名,%s,%s,,課の改称\n", RENAMED_OLD,
                       ka[RENAMED_KA]) < 0 || fclose(fp) != 0) {
        fprintf(stderr, "gaiyo-benchgen: %s: 書けません\n", path);
        return 1;
    }
    if (rc)
        return 1;
    printf("R5 %zu 事業, R6 %zu 事業, %zu 課, 誤りを入れた数字 R5 %ld, R6 %ld\n", y5.n, y6.n,
           (size_t)NKA, nerr5, nerr6);
    free(y5.v);
    free(y6.v);
    free(y5.start);
    free(y6.start);
    return 0;
}
