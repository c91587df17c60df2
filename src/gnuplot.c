/* gnuplot.c - the charts drawn: out/charts/charts.gp and one gnuplot
 *
 * Escaping for gnuplot (gy_gp_escape), the script section of each chart
 * (script_*: axes, bars, hbar, pie; it refers to the columns of the .dat
 * files only, never to text of the input), and the process: the .dat
 * files and charts.gp written, the charts whose data and section are
 * unchanged taken over from the previous report, one gnuplot started
 * (fork/exec, no shell, spawn_gnuplot) for the others and reaped
 * (reap_gnuplot, killed after GP_TIMEOUT_S): gy_charts_start,
 * gy_charts_finish, gy_charts_render. Tested by tests/unit/test_chart.c
 * (scripts, escaping, gnuplot runs and reuse). */
#include "chart_int.h"
#include "gaiyo/util.h"
#include "gaiyo/value.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- escaping ------------------------------------------------------------ */

bool gy_gp_escape(gy_buf *b, const char *s)
{
    bool ok = true;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            (ch && strchr(".,()/:_+", ch))) {
            ok = ok && gy_buf_add(b, &u[i], 1);
            i++;
        } else if (ch < 0x80) {
            char e[8];
            snprintf(e, sizeof e, "\\0%03o", ch);
            ok = ok && gy_buf_puts(b, e);
            i++;
        } else {
            uint32_t cp;
            int l = gy_utf8_decode(u + i, n - i, &cp);
            if (l <= 0) {
                ok = ok && gy_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                ok = ok && gy_buf_add(b, u + i, (size_t)l);
                i += (size_t)l;
            }
        }
    }
    return ok;
}

char *gy_gp_unescape(const char *s)
{
    gy_buf b = {0};
    bool ok = true;
    for (const char *p = s; *p;) {
        if (p[0] == '\\' && p[1] == '0' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
            p[3] <= '7' && p[4] >= '0' && p[4] <= '7') {
            char ch = (char)((p[2] - '0') * 64 + (p[3] - '0') * 8 + (p[4] - '0'));
            ok = ok && gy_buf_add(&b, &ch, 1);
            p += 5;
        } else {
            ok = ok && gy_buf_add(&b, p, 1);
            p++;
        }
    }
    if (!ok) {
        gy_buf_free(&b);
        return NULL;
    }
    return b.p ? b.p : gy_strdup("");
}

/* "…" with gy_gp_escape inside: a script string gnuplot reads as text */
static void q(gy_buf *b, const char *s)
{
    gy_buf_puts(b, "\"");
    gy_gp_escape(b, s ? s : "");
    gy_buf_puts(b, "\"");
}

/* ---- script --------------------------------------------------------------- */

/* what gnuplot is told for each place of the key, in the order of KEYS
 * (chart_tmpl.c) */
static const char *const KEYPOS[] = {"top left", "top right", "top center", "bottom left", "bottom right",
                                     "below center horizontal", "off"};

static void script_common(const chart *c, gy_buf *b)
{
    gy_buf_puts(b, "set title ");
    q(b, c->title ? c->title : c->def->title);
    gy_buf_puts(b, "\n");
    if (c->xlabel) {
        gy_buf_puts(b, "set xlabel ");
        q(b, c->xlabel);
        gy_buf_puts(b, "\n");
    }
    if (c->ylabel) {
        gy_buf_puts(b, "set ylabel ");
        q(b, c->ylabel);
        gy_buf_puts(b, "\n");
    }
    if (c->y2label) {
        gy_buf_puts(b, "set y2label ");
        q(b, c->y2label);
        gy_buf_puts(b, "\n");
    }
}

static void script_xtics(const chart *c, gy_buf *b)
{
    if (c->xrotate)
        gy_buf_printf(b, "set xtics nomirror rotate by %d %s\n", c->xrotate,
                      c->xrotate > 0 ? "right" : "left");
    else
        gy_buf_puts(b, "set xtics nomirror\n");
}

/* y axis: a round top and ticks written with thousands separators (the
 * labels are formatted here from numbers, never from input text) */
/* the round step and top of the y axis (above ymax > 0), in 128 bits:
 * false when the top does not fit in int64 (then gnuplot's own axis) */
static bool y_axis(int64_t ymax, int64_t *step, int64_t *top)
{
    gy_i128 raw = (gy_i128)ymax / 5 + 1, m = 1;
    while (m * 10 <= raw)
        m *= 10;
    gy_i128 st = raw <= m ? m : raw <= 2 * m ? 2 * m : raw <= 5 * m ? 5 * m : 10 * m;
    gy_i128 tp = ((gy_i128)ymax / st + 1) * st;
    if (tp > INT64_MAX)
        return false;
    *step = (int64_t)st;
    *top = (int64_t)tp;
    return true;
}

/* the top of the second axis: a round number above the highest point and
 * the reference line, room for the labels; false when it does not fit */
static bool y2_top(const chart *c, const ext *e, int64_t *top)
{
    gy_i128 top2 = e->y2max > c->ref2 ? e->y2max : c->ref2;
    gy_i128 unit = 10 * (gy_i128)gy_pow10(e->y2dec);
    gy_i128 t = ((top2 + top2 / 8) / unit + 1) * unit;
    if (t > INT64_MAX)
        return false;
    *top = (int64_t)t;
    return true;
}

/* the y axis; returns its top (0: gnuplot's own) */
static int64_t script_yaxis(gy_buf *b, const ext *e)
{
    int64_t step, top;
    if (e->ydec != 0 || e->ymax <= 0 || !y_axis(e->ymax, &step, &top)) {
        gy_buf_puts(b, "set yrange [0:*]\nset format y \"%.1f\"\n");
        return 0;
    }
    gy_buf_printf(b, "set yrange [0:%lld]\nset ytics (", (long long)top);
    for (int64_t k = 0; k <= top / step; k++) { /* k * step <= top: no overflow */
        char txt[48];
        int64_t v = k * step;
        gy_format_int(v, "-", txt, sizeof txt);
        gy_buf_printf(b, "%s\"%s\" %lld", v ? ", " : "", txt, (long long)v);
    }
    gy_buf_puts(b, ")\n");
    return top;
}

static void script_bars(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t nser,
                        size_t nrows, const ext *e)
{
    (void)t;
    script_common(c, b);
    gy_buf_puts(b, "set style data histograms\n");
    if (c->type == CT_STACKED)
        gy_buf_puts(b, "set style histogram rowstacked\nset boxwidth 0.75 relative\n");
    else
        gy_buf_puts(b, "set style histogram clustered gap 1\n");
    gy_buf_puts(b, "set style fill solid 0.9 border rgb \"#ffffff\"\n"
                   "set grid ytics lc rgb \"#dddddd\"\n"
                   "set ytics nomirror\nset key autotitle columnheader\n");
    gy_buf_printf(b, "set key %s\n", KEYPOS[c->key]);
    if (e->xlines > 1) /* room for the wrapped labels: gnuplot does not make it */
        gy_buf_printf(b, "set bmargin %d\n", e->xlines + 2);
    if (c->l2labels)
        gy_buf_puts(b, "set style textbox opaque noborder\n");
    gy_buf_printf(b, "set xrange [-0.6:%zu.4]\n", nrows ? nrows - 1 : 0);
    ext e1 = *e; /* room above the bars for the line's figures lifted over them */
    if (c->l2labels && e1.ymax > 0 && e1.ymax <= INT64_MAX - e1.ymax / 8)
        e1.ymax += e1.ymax / 8;
    int64_t top1 = script_yaxis(b, &e1), top2 = 0;
    bool have_top2 = false;
    script_xtics(c, b);
    size_t l2col = 3 + nser;
    if (c->l2 != L2_NONE) {
        gy_buf_printf(b, "set y2tics nomirror\nset format y2 \"%%.0f\"\nset y2range [0:");
        if ((have_top2 = y2_top(c, e, &top2))) {
            fig f2 = {true, top2, e->y2dec};
            put_fig(b, f2);
        } else { /* no round top in int64: gnuplot's own */
            gy_buf_puts(b, "*");
        }
        gy_buf_puts(b, "]\n");
        if (c->has_ref2) {
            fig f = {true, c->ref2, c->l2dec};
            gy_buf_puts(b, "set arrow from graph 0, second ");
            put_fig(b, f);
            gy_buf_puts(b, " to graph 1, second ");
            put_fig(b, f);
            gy_buf_puts(b, " nohead dt 2 lw 1.5 lc rgb \"#c00000\" front\n");
        }
    }
    gy_buf_printf(b, "plot \"%s\"", dat);
    for (size_t k = 0; k < nser; k++) {
        const char *col = color_at(c, k, k < c->nseries ? c->series[k].color : NULL);
        if (k == 0) {
            if (c->xtic_every > 1)
                gy_buf_printf(b, " using 3:xticlabels(int($1)%%%d==0 ? strcol(2) : \"\")",
                              c->xtic_every);
            else
                gy_buf_puts(b, " using 3:xticlabels(2)");
        } else {
            gy_buf_printf(b, ", \\\n  \"\" using %zu", 3 + k);
        }
        gy_buf_printf(b, " title columnheader(%zu) lc rgb \"%s\"", 3 + k, col);
    }
    /* each bar's figure above it (clustered, gap 1: bar k of N at x + (k + 0.5 − N/2) / (N + 1)) */
    size_t vcol = c->l2 != L2_NONE ? l2col + 3 : 3 + nser;
    for (size_t k = 0; c->values && k < nser; k++)
        gy_buf_printf(b,
                      ", \\\n  \"\" using ($1+(%zu.5-%zu/2.0)/%zu.0):%zu:%zu with labels offset 0,0.6 font \",9\" "
                      "tc rgb \"#404040\" notitle",
                      k, nser, nser + 1, 3 + k, vcol + k);
    if (c->l2 != L2_NONE) {
        const char *col = c->l2color[0] ? c->l2color : "#333333";
        static const char *const WITH[] = {"linespoints lw 2 pt 7 ps 0.6", "points pt 7 ps 1.2", "lines lw 2"};
        gy_buf_printf(b, ", \\\n  \"\" using 1:%zu axes x1y2 with %s lc rgb \"%s\" title columnheader(%zu)", l2col,
                      WITH[c->l2style], col, l2col);
        if (c->l2labels) {
            /* the figure above its point, or above the bars (and their
             * figures) where the point is lower: never on a bar; on a
             * white box where it crosses the line */
            gy_buf lift = {0}; /* the bars' top on the second axis (+ room for their figures) */
            if (top1 > 0 && have_top2) {
                fig f2 = {true, top2, e->y2dec};
                gy_buf_printf(&lift, "column(%zu)*", l2col + 2);
                put_fig(&lift, f2);
                gy_buf_printf(&lift, "/%lld.0", (long long)top1);
                if (c->values) {
                    gy_buf_puts(&lift, "+0.05*");
                    put_fig(&lift, f2);
                }
                gy_buf_add(&lift, "", 1);
            }
            if (lift.p)
                gy_buf_printf(b, ", \\\n  \"\" using 1:(column(%zu)>%s ? column(%zu) : %s):%zu", l2col, lift.p, l2col,
                              lift.p, l2col + 1);
            else
                gy_buf_printf(b, ", \\\n  \"\" using 1:%zu:%zu", l2col, l2col + 1);
            gy_buf_printf(b, " axes x1y2 with labels boxed offset 0,0.9 tc rgb \"%s\" notitle", col);
            gy_buf_free(&lift);
        }
    }
    gy_buf_puts(b, "\n");
}

static void script_hbar(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t n)
{
    (void)t;
    script_common(c, b);
    gy_buf_printf(b,
                  "set style fill solid 0.9 border rgb \"#ffffff\"\n"
                  "set yrange [-%zu.6:0.6]\nset xrange [0:*]\nset offsets 0, graph 0.18, 0, 0\n"
                  "set grid xtics lc rgb \"#dddddd\"\nset ytics nomirror scale 0\n"
                  "set xtics nomirror\nset key %s\n",
                  n ? n - 1 : 0, c->seen & (1u << D_KEY) ? KEYPOS[c->key] : "bottom right");
    gy_buf_printf(b,
                  "plot \"%s\" using 4:(-$1):(0):4:(-$1-0.4):(-$1+0.4):6:yticlabels(2) "
                  "with boxxyerror lc rgb variable notitle, \\\n"
                  "  \"\" using 4:(-$1):5 with labels left offset 0.5,0 notitle",
                  dat);
    for (size_t i = 0; i < c->ngroups; i++) {
        gy_buf_printf(b, ", \\\n  keyentry with boxes fc rgb \"%s\" title ",
                      color_at(c, 0, c->groups[i].color));
        q(b, c->groups[i].title);
    }
    gy_buf_puts(b, "\n");
}

static void script_pie(const chart *c, const gy_table *t, gy_buf *b, const char *dat, size_t n)
{
    (void)t;
    script_common(c, b);
    /* no floating point in the script text: thousandths as integers */
    unsigned step = n > 9 ? (unsigned)(2000 / n) : 220;
    unsigned rlab = c->hole > 0 ? (unsigned)(1000 + c->hole * 10) / 2 : 650;
    gy_buf_printf(b,
                  "set angles degrees\nset size ratio -1\nunset border\nunset tics\nunset key\n"
                  "set xrange [-1.3:3.2]\nset yrange [-1.25:1.25]\n"
                  "set style fill solid 1.0 border rgb \"#ffffff\"\n"
                  "plot \"%s\" using (0):(0):(1):(90-$6*3.6):(90-$5*3.6):7 with circles "
                  "lc rgb variable notitle",
                  dat);
    if (c->hole > 0)
        gy_buf_printf(b,
                      ", \\\n  \"\" every ::0::0 using (0):(0):(%d/100.0) with circles "
                      "fc rgb \"#ffffff\" fs solid noborder notitle, \\\n"
                      "  \"\" every ::0::0 using (0):(0):9 with labels notitle",
                      c->hole);
    if (c->labels)
        gy_buf_printf(b,
                      ", \\\n  \"\" using (0.%03u*cos(90-($5+$6)*1.8)):($4 >= 4 ? 0.%03u*sin(90-($5+$6)*1.8) : "
                      "1/0):8 with labels tc rgb \"#ffffff\" notitle",
                      rlab, rlab);
    gy_buf_printf(b,
                  ", \\\n  \"\" using (1.3):(0.95-$1*0.%03u):(0.05):(0.05):7 with boxxyerror "
                  "lc rgb variable notitle, \\\n"
                  "  \"\" using (1.42):(0.95-$1*0.%03u):10 with labels left "
                  "notitle\n",
                  step, step);
}

/* ---- running gnuplot -------------------------------------------------------- */

static gy_status write_file(const char *path, const gy_buf *b, gy_diags *d)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        gy_diag_warn(d, path, 0, 0, "書けません: %s", strerror(errno));
        return GY_EIO;
    }
    if (b->n)
        fwrite(b->p, 1, b->n, fp);
    int e1 = ferror(fp);
    int e2 = fclose(fp);
    if (e1 || e2) {
        gy_diag_warn(d, path, 0, 0, "書き込みに失敗しました: %s", strerror(errno));
        return GY_EIO;
    }
    return GY_OK;
}

static bool add_file(gy_chart_outs *o, const char *name)
{
    char **nv = realloc(o->files, (o->nfiles + 1) * sizeof *nv);
    if (!nv)
        return false;
    o->files = nv;
    nv[o->nfiles] = gy_strdup(name);
    if (!nv[o->nfiles])
        return false;
    o->nfiles++;
    return true;
}

#define GP_TIMEOUT_S 300

/* gnuplot started by spawn_gnuplot, reaped by reap_gnuplot */
typedef struct gp_proc {
    pid_t pid;
    int out;         /* its stdout+stderr */
    int exec_errno;  /* exec failed with this (0: it runs) */
    bool started;
} gp_proc;

/* gaiyo-pngfast.so (src/pngfast.c: gnuplot's PNGs quick to encode, the
 * same pixels): beside the running program (the build folder), else in
 * the installed libdir/gaiyo. NULL — gnuplot encodes as it always does —
 * when neither is there, when GAIYO_PNG_FAST=0, or when the path is not
 * one LD_PRELOAD can name (relative, or holding a space or a colon, which
 * it splits on). */
static char *pngfast_module(void)
{
    const char *env = getenv("GAIYO_PNG_FAST");
    if (env && !strcmp(env, "0"))
        return NULL;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *m = NULL;
    if (n > 0 && (size_t)n < sizeof exe - 1) { /* a path cut short names another folder */
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            m = gy_asprintf("%s/gaiyo-pngfast.so", exe);
        }
    }
    if (!m || access(m, R_OK) != 0) {
        free(m);
        m = gy_strdup(GAIYO_PKGLIBDIR "/gaiyo-pngfast.so");
        if (m && access(m, R_OK) != 0) {
            free(m);
            m = NULL;
        }
    }
    if (m && (m[0] != '/' || strpbrk(m, " :\t\n"))) {
        free(m);
        m = NULL;
    }
    return m;
}

extern char **environ;

/* gnuplot's environment: gaiyo's, with module appended to LD_PRELOAD
 * (what is preloaded already stays). One allocation plus the new entry
 * (*entry), both freed by the caller; NULL when out of memory. */
static char **gnuplot_env(const char *module, char **entry)
{
    size_t n = 0;
    const char *old = NULL;
    for (char **e = environ; e && *e; e++, n++)
        if (!strncmp(*e, "LD_PRELOAD=", 11))
            old = *e + 11;
    char **env = calloc(n + 2, sizeof *env);
    *entry = old && *old ? gy_asprintf("LD_PRELOAD=%s:%s", old, module) : gy_asprintf("LD_PRELOAD=%s", module);
    if (!env || !*entry) {
        free(env);
        free(*entry);
        *entry = NULL;
        return NULL;
    }
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11))
            env[k++] = *e;
    env[k] = *entry;
    return env;
}

/* Start gnuplot: argv only, no shell; cwd = wd; stdin /dev/null; stdout
 * and stderr to a pipe that reap_gnuplot reads; gaiyo-pngfast.so
 * preloaded when there is one (pngfast_module). GY_OK when it is running
 * (or when exec failed: reap_gnuplot says so). */
static gy_status spawn_gnuplot(const char *gnuplot, const char *wd, const char *script, gp_proc *g,
                               gy_diags *d)
{
    memset(g, 0, sizeof *g);
    g->out = -1;
    int out[2], ex[2];
    if (pipe(out) != 0) {
        gy_diag_warn(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        return GY_EIO;
    }
    if (pipe(ex) != 0) {
        gy_diag_warn(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return GY_EIO;
    }
    fcntl(ex[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    fcntl(ex[0], F_SETFD, FD_CLOEXEC);
    char *const argv[] = {(char *)gnuplot, (char *)"--default-settings", (char *)script, NULL};
    char *module = pngfast_module(), *entry = NULL;
    char **env = module ? gnuplot_env(module, &entry) : NULL;
    free(module);
    pid_t pid = fork();
    if (pid != 0) {
        free(env);
        free(entry);
    }
    if (pid < 0) {
        gy_diag_warn(d, gnuplot, 0, 0, "gnuplot を起動できません: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        close(ex[0]);
        close(ex[1]);
        return GY_EIO;
    }
    if (pid == 0) {
        int e = 0;
        int nul = open("/dev/null", O_RDONLY);
        if (chdir(wd) != 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(out[1], 1) < 0 ||
            dup2(out[1], 2) < 0) {
            e = errno;
        } else {
            if (env)
                environ = env;
            execvp(gnuplot, argv);
            e = errno;
        }
        ssize_t w = write(ex[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(out[1]);
    close(ex[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(ex[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(ex[0]);
    g->pid = pid;
    g->out = out[0];
    g->exec_errno = r == (ssize_t)sizeof e ? (e ? e : ENOEXEC) : 0;
    g->started = true;
    return GY_OK;
}

/* Wait for gnuplot (at most GP_TIMEOUT_S from now), keeping the start of
 * what it printed. GY_OK when it exited with 0. */
static gy_status reap_gnuplot(const char *gnuplot, gp_proc *g, gy_buf *outbuf, gy_diags *d)
{
    if (!g->started)
        return GY_EIO;
    g->started = false;
    time_t deadline = time(NULL) + GP_TIMEOUT_S;
    bool timed_out = false;
    for (;;) {
        struct pollfd pf = {.fd = g->out, .events = POLLIN};
        int left = (int)(deadline - time(NULL));
        if (left <= 0) {
            timed_out = true;
            kill(g->pid, SIGKILL);
            break;
        }
        int pr = poll(&pf, 1, left * 1000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(g->out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (outbuf->n < 16384)
            gy_buf_add(outbuf, buf, (size_t)n);
    }
    close(g->out);
    g->out = -1;
    int status = 0;
    while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (g->exec_errno) {
        gy_diag_warn(d, gnuplot, 0, 0,
                     "gnuplot を実行できません: %s — グラフは描かれません (Debian: apt-get install "
                     "gnuplot-nox)",
                     strerror(g->exec_errno));
        return GY_EIO;
    }
    if (timed_out) {
        gy_diag_warn(d, gnuplot, 0, 0, "gnuplot が %d 秒で終わらないので止めました", GP_TIMEOUT_S);
        return GY_EIO;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        gy_buf_add(outbuf, "", 1);
        gy_trim(outbuf->p);
        if (WIFSIGNALED(status))
            gy_diag_warn(d, gnuplot, 0, 0, "gnuplot がシグナル %d で終了しました: %s", WTERMSIG(status), outbuf->p);
        else
            gy_diag_warn(d, gnuplot, 0, 0, "gnuplot が失敗しました (終了コード %d): %s", WEXITSTATUS(status),
                         outbuf->p);
        return GY_EIO;
    }
    return GY_OK;
}

void gy_chart_outs_free(gy_chart_outs *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].name);
        free(o->v[i].table);
        free(o->v[i].png);
        free(o->v[i].print);
        free(o->v[i].title);
    }
    free(o->v);
    for (size_t i = 0; i < o->nfiles; i++)
        free(o->files[i]);
    free(o->files);
    memset(o, 0, sizeof *o);
}

static size_t count_lines(const gy_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->p[i] == '\n';
    return n ? n - 1 : 0; /* without the header */
}

gy_status gy_charts_render(const gy_chartset *cs, const gy_dataset *ds, const char *dir,
                           const char *gnuplot, gy_chart_outs *outs, gy_diags *d)
{
    return gy_charts_render_since(cs, ds, dir, NULL, gnuplot, outs, d);
}

/* whether fontconfig knows a font family: `fc-list -q FAMILY` (exit 0 when
 * it matches, 1 when not). true when fc-list itself cannot be run: then
 * nothing is known and nothing is said. The name is an argument, never
 * shell text. */
static bool font_present(const char *family)
{
    pid_t pid = fork();
    if (pid < 0)
        return true;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        char *argv[] = {"fc-list", "-q", (char *)family, NULL};
        execvp("fc-list", argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* the section of a chart in a charts.gp ("# ---- NAME\n" up to the next) */
static bool section_of(const char *gp, const char *name, const char **s, size_t *n)
{
    if (!gp)
        return false;
    char *mark = gy_asprintf("\n# ---- %s\n", name);
    const char *a = mark ? strstr(gp, mark) : NULL;
    free(mark);
    if (!a)
        return false;
    const char *b = strstr(a + 1, "\n# ---- ");
    *s = a;
    *n = b ? (size_t)(b - a) : strlen(a);
    return true;
}

/* copy a file (a previous chart) */
static bool copy_file(const char *from, const char *to)
{
    char *buf = NULL;
    size_t len = 0;
    if (gy_read_file(from, &buf, &len) != 0)
        return false;
    FILE *fp = fopen(to, "wb");
    bool ok = fp && fwrite(buf, 1, len, fp) == len;
    if (fp && fclose(fp) != 0)
        ok = false;
    free(buf);
    return ok;
}

/* whether the previous report's state (prev/.gaiyo-state: a fingerprint
 * line, then a line per file) vouches for charts/NAME.EXT: only the images
 * of a chart that was drawn, with its font, are listed */
static bool state_lists(const char *state, const char *name, const char *ext)
{
    char *line = gy_asprintf("\ncharts/%s.%s\n", name, ext);
    bool r = state && line && strstr(state, line);
    free(line);
    return r;
}

/* whether chart `name` can be taken from prev/charts: same data, same
 * script section, both images there and listed in the previous state (a
 * chart the previous run could not draw, or drew without its font, is
 * drawn again); if so copies them into cdir */
static bool reuse_chart(const char *prev, const char *prevgp, const char *prevstate, const char *cdir,
                        const char *name, const char *ext, const gy_buf *db, const gy_buf *sec)
{
    const char *ps;
    size_t pn;
    if (!prev || !section_of(prevgp, name, &ps, &pn) || pn != sec->n || memcmp(ps, sec->p, pn) ||
        !state_lists(prevstate, name, "png") || !state_lists(prevstate, name, ext))
        return false;
    char *pd = gy_asprintf("%s/charts/%s.dat", prev, name), *old = NULL;
    size_t ol = 0;
    bool same = pd && gy_read_file(pd, &old, &ol) == 0 && ol == db->n && !memcmp(old, db->p, ol);
    free(pd);
    free(old);
    for (int k = 0; k < 2 && same; k++) {
        char *f = gy_asprintf("%s/charts/%s.%s", prev, name, k ? ext : "png");
        char *t = gy_asprintf("%s/%s.%s", cdir, name, k ? ext : "png");
        same = f && t && copy_file(f, t);
        free(f);
        free(t);
    }
    return same;
}

/* a render between gy_charts_start and gy_charts_finish */
struct gy_chart_job {
    const gy_chartset *cs;
    const char *gnuplot;
    char *cdir, *rp;         /* charts/, the script gnuplot runs (removed after) */
    bool *drawn, *fresh, *nofont;
    size_t ndrawn;
    gy_status st, s2;        /* of the data and script; of the run */
    gp_proc gp;
    gy_chart_outs outs;
    gy_chart_out *plan;      /* the charts it draws or takes over (gy_chart_job_plan) */
    size_t nplan;
};

const gy_chart_out *gy_chart_job_plan(const gy_chart_job *job, size_t *n)
{
    *n = job ? job->nplan : 0;
    return job ? job->plan : NULL;
}

/* the previous report's charts.gp and .gaiyo-state (NULL: none or unreadable) */
static void read_prev(const char *prev, char **prevgpp, char **prevstatep)
{
    char *prevgp = NULL, *prevstate = NULL;
    if (prev) {
        char *pg = gy_asprintf("%s/charts/charts.gp", prev), *ps = gy_asprintf("%s/.gaiyo-state", prev);
        size_t pl = 0;
        if (!pg || gy_read_file(pg, &prevgp, &pl) != 0)
            prevgp = NULL;
        if (!ps || gy_read_file(ps, &prevstate, &pl) != 0)
            prevstate = NULL;
        free(pg);
        free(ps);
    }
    *prevgpp = prevgp;
    *prevstatep = prevstate;
}

/* the section of charts.gp that draws chart c from its .dat (db, named dat):
 * the PNG, then the print file */
static void script_section(const chart *c, const gy_table *t, const gy_buf *db, const ext *e, const char *dat,
                           gy_buf *sec)
{
    size_t nrows = count_lines(db);
    const char *font = c->font ? c->font : "Noto Sans CJK JP";
    char *fs = gy_asprintf("%s,%d", font, c->fontsize);
    gy_buf_printf(sec, "\n# ---- %s\nreset\nset encoding utf8\n"
                       "set datafile separator \"\\t\"\nset datafile missing \"-\"\n"
                       "set datafile commentschars \"#\"\n",
                  c->name);
    gy_buf_printf(sec, "set terminal pngcairo noenhanced size %d,%d font ", c->width, c->height);
    q(sec, fs);
    gy_buf_printf(sec, "\nset output \"%s.png\"\n", c->name);
    free(fs);
    size_t nser = c->pivot_col >= 0 ? 0 : c->nseries;
    if (c->pivot_col >= 0) { /* series = header fields after idx, label */
        const char *nl = db->p ? memchr(db->p, '\n', db->n) : NULL;
        for (const char *p = db->p; nl && p < nl; p++)
            nser += *p == '\t';
        nser = nser >= 1 ? nser - 1 : 0;
    }
    switch (c->type) {
    case CT_STACKED:
    case CT_BARS: script_bars(c, t, sec, dat, nser, nrows, e); break;
    case CT_HBAR: script_hbar(c, t, sec, dat, nrows); break;
    case CT_PIE: script_pie(c, t, sec, dat, nrows); break;
    case CT_NONE: break;
    }
    /* the print file: SVG (text stays text; gnuplot escapes it as
     * XML; fast) or PDF (fonts embedded; slower): the PNG's layout,
     * PDF at 72 dpi (integer arithmetic: no locale) */
    if (c->print_pdf)
        gy_buf_printf(sec, "set terminal pdfcairo noenhanced size %d.%02din,%d.%02din font ",
                      c->width / 72, c->width % 72 * 100 / 72, c->height / 72, c->height % 72 * 100 / 72);
    else
        gy_buf_printf(sec, "set terminal svg noenhanced size %d,%d background \"#ffffff\" font ", c->width,
                      c->height);
    fs = gy_asprintf("%s,%d", font, c->fontsize);
    q(sec, fs);
    free(fs);
    gy_buf_printf(sec, "\nset output \"%s.%s\"\nreplot\nset output\n", c->name, c->print_pdf ? "pdf" : "svg");
}

/* a missing font gives boxes instead of Japanese: say so (a warning;
 * the charts are still drawn) */
static void check_fonts(const gy_chartset *cs, const bool *fresh, bool *nofont, gy_diags *d)
{
    for (size_t i = 0; i < cs->n; i++) {
        if (!fresh[i])
            continue;
        const char *font = cs->v[i]->font ? cs->v[i]->font : "Noto Sans CJK JP";
        size_t k = 0; /* an earlier chart drawn now with that font: asked once */
        while (k < i && !(fresh[k] && !strcmp(cs->v[k]->font ? cs->v[k]->font : "Noto Sans CJK JP", font)))
            k++;
        if (k < i)
            nofont[i] = nofont[k];
        else if ((nofont[i] = !font_present(font)))
            gy_diag_warn(d, cs->v[i]->path, 0, 0,
                         "フォント '%s' がありません — 日本語が正しく表示されないおそれがあります (Debian: apt-get "
                         "install fonts-noto-cjk)",
                         font);
    }
}

/* the plan: what the workbook lays out before gnuplot is done. st is the
 * status so far; returned as it is, or GY_ENOMEM when the plan could not
 * be made and nothing went wrong before */
static gy_status make_plan(gy_chart_job *job, const bool *drawn, size_t ndrawn, gy_status st)
{
    const gy_chartset *cs = job->cs;
    job->plan = calloc(ndrawn ? ndrawn : 1, sizeof *job->plan);
    if (!job->plan && st == GY_OK)
        st = GY_ENOMEM;
    for (size_t i = 0; job->plan && i < cs->n; i++) {
        if (!drawn[i])
            continue;
        gy_chart_out *o = &job->plan[job->nplan++];
        o->name = cs->v[i]->name;
        o->table = (char *)cs->v[i]->def->id;
        o->width = cs->v[i]->width;
        o->height = cs->v[i]->height;
        if (!(o->png = gy_asprintf("charts/%s.png", cs->v[i]->name)) && st == GY_OK)
            st = GY_ENOMEM;
    }
    return st;
}

gy_status gy_charts_start(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                          const char *gnuplot, gy_chart_job **jobp, gy_diags *d)
{
    *jobp = NULL;
    if (!gnuplot)
        gnuplot = "gnuplot";
    gy_chart_job *job = calloc(1, sizeof *job);
    if (!job)
        return GY_ENOMEM;
    job->cs = cs;
    job->gnuplot = gnuplot;
    job->gp.out = -1;
    *jobp = job;
    if (!cs || cs->n == 0)
        return GY_OK;
    gy_chart_outs *outs = &job->outs;
    char *cdir = gy_asprintf("%s/charts", dir);
    if (!cdir)
        return job->st = GY_ENOMEM;
    if (mkdir(cdir, 0777) != 0 && errno != EEXIST) {
        gy_diag_warn(d, cdir, 0, 0, "フォルダを作れません: %s", strerror(errno));
        free(cdir);
        return job->st = GY_EIO;
    }
    gy_status st = GY_OK;
    gy_buf sc = {0};
    gy_buf_puts(&sc, "# charts.gp - written by gaiyo; every text of the input is in the .dat "
                     "files\n# run: cd charts && gnuplot --default-settings charts.gp\n");
    bool *drawn = calloc(cs->n, sizeof *drawn);
    bool *fresh = calloc(cs->n, sizeof *fresh);   /* drawn by this run (not taken over) */
    bool *nofont = calloc(cs->n, sizeof *nofont); /* … without its font */
    size_t ndrawn = 0, nrun = 0;
    gy_buf run = {0}; /* the sections gnuplot must draw this time */
    char *prevgp = NULL, *prevstate = NULL;
    read_prev(prev, &prevgp, &prevstate);
    if (!drawn || !fresh || !nofont) {
        free(drawn);
        free(fresh);
        free(nofont);
        free(cdir);
        free(prevgp);
        free(prevstate);
        return job->st = GY_ENOMEM;
    }
    for (size_t i = 0; i < cs->n; i++) {
        const chart *c = cs->v[i];
        const gy_table *t = gy_dataset_find(ds, c->def->id, 0);
        if (!t) {
            gy_diag_warn(d, c->path, 0, 0, "グラフ '%s' の表 '%s' が入力にありません", c->name, c->def->id);
            if (st == GY_OK)
                st = GY_EDATA;
            continue;
        }
        gy_buf db = {0};
        ext e = {0};
        chart_data(c, t, &db, &e);
        if (e.ovf) {
            /* a figure too large to add up or to draw: this chart is
             * skipped, never drawn with a wrong value */
            gy_diag_warn(d, c->path, 0, 0,
                         "グラフ '%s' の%sが int64 の範囲 (±9,223,372,036,854,775,807) を超えます (表 '%s') — "
                         "描きません",
                         c->name, e.ovf, c->def->id);
            if (st == GY_OK)
                st = GY_EDATA;
            gy_buf_free(&db);
            continue;
        }
        char *dat = gy_asprintf("%s.dat", c->name);
        char *datpath = gy_asprintf("%s/%s", cdir, dat ? dat : "");
        char *rel = gy_asprintf("charts/%s", dat ? dat : "");
        gy_status s1 = dat && datpath && rel && db.p ? write_file(datpath, &db, d) : GY_ENOMEM;
        if (s1 == GY_OK && !add_file(outs, rel))
            s1 = GY_ENOMEM;
        if (s1 == GY_OK && !e.any) {
            /* gnuplot would stop the whole script at a plot without points */
            gy_diag_warn(d, c->path, 0, 0,
                         "グラフ '%s' には描く数値がありません (表 '%s' の選ばれた行: %s) — 描きません", c->name,
                         c->def->id, rel);
            if (st == GY_OK)
                st = GY_EDATA;
        } else if (s1 == GY_OK) {
            gy_buf sec = {0};
            script_section(c, t, &db, &e, dat, &sec);
            gy_buf_add(&sc, sec.p, sec.n);
            if (reuse_chart(prev, prevgp, prevstate, cdir, c->name, c->print_pdf ? "pdf" : "svg", &db, &sec)) {
                outs->nreused++;
            } else {
                gy_buf_add(&run, sec.p, sec.n);
                nrun++;
                fresh[i] = true;
            }
            gy_buf_free(&sec);
            drawn[i] = true;
            ndrawn++;
        } else if (st == GY_OK) {
            st = s1;
        }
        gy_buf_free(&db);
        free(dat);
        free(datpath);
        free(rel);
    }
    char *gp = gy_asprintf("%s/charts.gp", cdir);
    gy_status s2 = gp && sc.p ? write_file(gp, &sc, d) : GY_ENOMEM;
    if (s2 == GY_OK && !add_file(outs, "charts/charts.gp"))
        s2 = GY_ENOMEM;
    free(gp);
    gy_buf_free(&sc);
    if (s2 == GY_OK)
        check_fonts(cs, fresh, nofont, d);
    if (s2 == GY_OK && nrun) {
        /* only the changed charts: run.gp (not an output; it stays in the
         * staging folder until gnuplot is done) */
        job->rp = gy_asprintf("%s/run.gp", cdir);
        s2 = job->rp && run.p ? write_file(job->rp, &run, d) : GY_ENOMEM;
        if (s2 == GY_OK)
            s2 = spawn_gnuplot(gnuplot, cdir, "run.gp", &job->gp, d);
    }
    gy_buf_free(&run);
    free(prevgp);
    free(prevstate);
    st = make_plan(job, drawn, ndrawn, st);
    job->cdir = cdir;
    job->drawn = drawn;
    job->fresh = fresh;
    job->nofont = nofont;
    job->ndrawn = ndrawn;
    job->st = st;
    job->s2 = s2;
    return st != GY_OK ? st : s2;
}

gy_status gy_charts_finish(gy_chart_job *job, gy_chart_outs *outs, gy_diags *d)
{
    memset(outs, 0, sizeof *outs);
    if (!job)
        return GY_OK;
    gy_status st = job->st, s2 = job->s2;
    if (job->gp.started) {
        gy_buf ob = {0};
        s2 = reap_gnuplot(job->gnuplot, &job->gp, &ob, d);
        gy_buf_free(&ob);
    }
    if (job->rp)
        unlink(job->rp);
    *outs = job->outs;
    const gy_chartset *cs = job->cs;
    const char *cdir = job->cdir;
    bool *drawn = job->drawn, *nofont = job->nofont;
    size_t ndrawn = job->ndrawn;
    if (s2 == GY_OK && ndrawn) {
        /* files gnuplot wrote (even on failure, so that the caller can
         * register or remove them) */
        for (size_t i = 0; i < cs->n; i++) {
            if (!drawn[i])
                continue;
            const chart *c = cs->v[i];
            for (int k = 0; k < 2; k++) {
                const char *ext = k ? (c->print_pdf ? "pdf" : "svg") : "png";
                char *f = gy_asprintf("%s/%s.%s", cdir, c->name, ext);
                struct stat sb;
                bool there = f && stat(f, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
                free(f);
                if (there) {
                    char *r = gy_asprintf("charts/%s.%s", c->name, ext);
                    if (!r || !add_file(outs, r))
                        s2 = GY_ENOMEM;
                    free(r);
                } else if (s2 == GY_OK) {
                    gy_diag_warn(d, c->path, 0, 0, "gnuplot が charts/%s.%s を書きませんでした", c->name, ext);
                    s2 = GY_EIO;
                }
            }
        }
        if (s2 == GY_OK) {
            outs->v = calloc(ndrawn, sizeof *outs->v);
            if (!outs->v)
                s2 = GY_ENOMEM;
            for (size_t i = 0; outs->v && i < cs->n; i++) {
                if (!drawn[i])
                    continue;
                const chart *c = cs->v[i];
                gy_chart_out *o = &outs->v[outs->n++];
                o->name = gy_strdup(c->name);
                o->table = gy_strdup(c->def->id);
                o->png = gy_asprintf("charts/%s.png", c->name);
                o->print = gy_asprintf("charts/%s.%s", c->name, c->print_pdf ? "pdf" : "svg");
                o->title = gy_strdup(c->title ? c->title : c->def->title);
                o->width = c->width;
                o->height = c->height;
                o->redraw = nofont[i];
                if (!o->name || !o->table || !o->png || !o->print || !o->title)
                    s2 = GY_ENOMEM;
            }
        }
    }
    if (s2 != GY_OK && (st == GY_OK || s2 == GY_ENOMEM))
        st = s2;
    for (size_t i = 0; i < job->nplan; i++)
        free(job->plan[i].png);
    free(job->plan);
    free(job->rp);
    free(job->fresh);
    free(job->nofont);
    free(job->drawn);
    free(job->cdir);
    free(job);
    return st;
}

gy_status gy_charts_render_since(const gy_chartset *cs, const gy_dataset *ds, const char *dir, const char *prev,
                                 const char *gnuplot, gy_chart_outs *outs, gy_diags *d)
{
    gy_chart_job *job = NULL;
    gy_status st = gy_charts_start(cs, ds, dir, prev, gnuplot, &job, d);
    if (!job) {
        memset(outs, 0, sizeof *outs);
        return st;
    }
    return gy_charts_finish(job, outs, d);
}

