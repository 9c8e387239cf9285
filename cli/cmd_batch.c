/* cmd_batch.c — `shoal batch FILE.shoal --out DIR`: runs a script's statements against
 * one snapshot of the database and materializes its named results as NAME.csv and
 * NAME.json, a dashboard (index.html, dashboard.c) and manifest.json, into a directory
 * that appears whole or not at all. A result is named by a directive comment before
 * its statement (docs/DASHBOARDS.md):
 *
 *     -- @panel tiers: Members per tier [chart=bar unit=members]
 *
 * The files depend only on the script, the snapshot (its log sequence) and the as-of
 * time: a rerun at the same sequence and as-of gives the same bytes.
 */
#define _GNU_SOURCE   /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dashboard.h"

const char shoal_cmd_batch_usage[] =
    "usage: shoal batch FILE.shoal --out DIR [--as-of DATE] [--quiet] [--timing]\n"
    "\n"
    "Runs every statement of FILE.shoal against one snapshot of the database and\n"
    "writes each named result as DIR/NAME.csv and DIR/NAME.json, a dashboard\n"
    "DIR/index.html (one self-contained page: inline CSS and SVG, nothing fetched)\n"
    "and DIR/manifest.json (as-of time, log sequence, hashes of the script and of the\n"
    "definitions it names, shoal's version). A statement's result is named by a\n"
    "directive comment line before it:\n"
    "\n"
    "  -- @title Community health            (the page's title, once)\n"
    "  -- @panel NAME[: TITLE] [chart=KIND unit=TEXT percent=COL,… mark=COL]\n"
    "\n"
    "KIND is number, bar, line, table, heatmap or forest (default: chosen by the\n"
    "result's shape). Other statements (SET, CREATE …) just run; CREATE, DROP and\n"
    "SET DATABASE TIMEZONE must come before the first query. DIR is replaced\n"
    "atomically: it is written beside DIR and renamed into place, and a failing\n"
    "statement leaves the previous DIR as it was. See docs/DASHBOARDS.md.\n"
    "\n"
    "  --out DIR      the output directory (created, or replaced when it holds a\n"
    "                 previous batch's output)\n"
    "  --as-of DATE   now for every statement, as SET NOW = 'DATE' (default: the\n"
    "                 wall clock at the start); the manifest records it\n"
    "  --quiet        no progress line on a terminal (for cron)\n"
    "  --timing       each statement's time on stderr (never in the files)\n"
    "\n"
    "Exit status: 0 done, 1 a statement or directive failed (printed as\n"
    "FILE:LINE:COL), 2 usage or a file that cannot be read or written, 130 Ctrl-C.\n";

/* ---------------------------------------------------------------- buffers */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int buf_write(void *ctx, const char *s, size_t n) { return buf_add(ctx, s, n); }

/* ---------------------------------------------------------------- directives */

enum { DIR_TITLE = 1, DIR_PANEL };

typedef struct directive {
    int kind;
    size_t off, len;      /* the directive's text after "-- " in the script */
    shoal_dash_panel p;   /* DIR_PANEL: name, title and options (strings owned) */
    char *title;          /* DIR_TITLE */
    int used;
} directive;

typedef struct job {
    const char *file;      /* the script's name, for messages */
    const char *src;
    size_t n_src;
    directive *d;
    int n_d;
    int quiet, timing, tty;
    /* while the script runs */
    shoal_session *s;
    buf csv, json;
    int cur;               /* the directive of the running statement, -1 when unnamed */
    size_t cur_off;
    size_t prev_end;       /* where the statement before ended */
    double t0;
    shoal_err err;         /* a directive's error found while running */
    shoal_dash_panel *panels;
    buf *raw;              /* each panel's CSV and JSON, as written */
    int n_panels;
} job;

static int line_of(const job *j, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && i < j->n_src; i++) line += j->src[i] == '\n';
    return line;
}

static int directive_error(job *j, size_t off, size_t len, const char *msg, const char *what, size_t n_what)
{
    char q[160];
    shoal_err_set(&j->err, SHOAL_ESYNTAX, (int)off, (int)len, msg, shoal_err_quote(q, sizeof q, what, n_what));
    return -1;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static int name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

/* "@panel NAME[: TITLE] [k=v …]" from p to e (the end of its line). */
static int parse_panel(job *j, directive *d, const char *p, const char *e)
{
    const char *s = j->src;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    const char *nm = p;
    while (p < e && name_char(*p)) p++;
    if (p == nm || (p < e && *p != ':' && *p != ' ' && *p != '\t'))
        return directive_error(j, (size_t)(nm - s), (size_t)(p < e ? p - nm + 1 : p - nm),
                               "expected a panel name of letters, digits, '_' and '-' but found \"%s\"", nm,
                               (size_t)(p < e ? p - nm + 1 : p - nm));
    size_t nn = (size_t)(p - nm);
    if ((nn == 5 && !strncasecmp(nm, "index", 5)) || (nn == 8 && !strncasecmp(nm, "manifest", 8)))
        return directive_error(j, (size_t)(nm - s), nn, "\"%s\" is a reserved panel name", nm, nn);
    for (int i = 0; i < j->n_d; i++)
        if (&j->d[i] != d && j->d[i].kind == DIR_PANEL && j->d[i].p.name && strlen(j->d[i].p.name) == nn &&
            !strncasecmp(j->d[i].p.name, nm, nn))
            return directive_error(j, (size_t)(nm - s), nn, "panel \"%s\" is named twice", nm, nn);
    d->p.name = dup_n(nm, nn);
    /* The options: a [...] group that ends the line. */
    const char *end = e;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    const char *opt = NULL;
    if (end > p && end[-1] == ']') {
        for (const char *q = end - 1; q > p; q--)
            if (q[-1] == '[') {
                opt = q;
                break;
            }
        if (!opt) return directive_error(j, (size_t)(end - 1 - s), 1, "\"%s\" closes no options group", "]", 1);
    }
    const char *te = opt ? opt - 1 : end;
    while (p < te && (*p == ' ' || *p == '\t')) p++;
    if (p < te && *p == ':') {
        p++;
        while (p < te && (*p == ' ' || *p == '\t')) p++;
        const char *t1 = te;
        while (t1 > p && (t1[-1] == ' ' || t1[-1] == '\t')) t1--;
        if (t1 > p) d->p.title = dup_n(p, (size_t)(t1 - p));
    } else if (p < te) {
        return directive_error(j, (size_t)(p - s), (size_t)(te - p), "expected ':' and a title or [options] but found \"%s\"", p,
                               (size_t)(te - p));
    }
    if (!opt) return 0;
    for (p = opt; p < end - 1;) {
        while (p < end - 1 && (*p == ' ' || *p == '\t' || *p == ',')) p++;
        if (p >= end - 1) break;
        const char *k = p;
        while (p < end - 1 && *p != '=' && *p != ' ') p++;
        if (p >= end - 1 || *p != '=')
            return directive_error(j, (size_t)(k - s), (size_t)(p - k), "expected KEY=VALUE but found \"%s\"", k, (size_t)(p - k));
        size_t kn = (size_t)(p - k);
        const char *v = ++p, *ve;
        if (p < end - 1 && *p == '"') {
            v = ++p;
            while (p < end - 1 && *p != '"') p++;
            ve = p;
            if (p < end - 1) p++;
        } else {
            while (p < end - 1 && *p != ' ' && *p != '\t') p++;
            ve = p;
        }
        size_t vn = (size_t)(ve - v);
        if (kn == 5 && !strncmp(k, "chart", 5)) {
            int c = shoal_dash_chart_parse(v, vn);
            if (c < 0)
                return directive_error(j, (size_t)(v - s), vn,
                                       "unknown chart \"%s\" (expected number, bar, line, table, heatmap, forest or auto)", v, vn);
            d->p.chart = c;
        } else if (kn == 4 && !strncmp(k, "unit", 4)) {
            d->p.unit = dup_n(v, vn);
        } else if (kn == 7 && !strncmp(k, "percent", 7)) {
            d->p.percent = dup_n(v, vn);
        } else if (kn == 4 && !strncmp(k, "mark", 4)) {
            d->p.mark = dup_n(v, vn);
        } else {
            return directive_error(j, (size_t)(k - s), kn, "unknown option \"%s\" (expected chart, unit, percent or mark)", k, kn);
        }
    }
    return 0;
}

/* Every line whose first text is "-- @": a directive. */
static int parse_directives(job *j)
{
    const char *s = j->src, *end = s + j->n_src;
    for (const char *line = s; line < end;) {
        const char *e = memchr(line, '\n', (size_t)(end - line));
        if (!e) e = end;
        const char *p = line;
        while (p < e && (*p == ' ' || *p == '\t')) p++;
        if (e - p > 3 && p[0] == '-' && p[1] == '-') {
            p += 2;
            while (p < e && (*p == ' ' || *p == '\t')) p++;
            if (p < e && *p == '@') {
                directive *nd = realloc(j->d, sizeof *nd * (size_t)(j->n_d + 1));
                if (!nd) return -1;
                j->d = nd;
                directive *d = &j->d[j->n_d++];
                memset(d, 0, sizeof *d);
                d->off = (size_t)(p - s);
                d->len = (size_t)(e - p);
                const char *w = ++p;
                while (p < e && name_char(*p)) p++;
                if (p - w == 5 && !strncmp(w, "panel", 5)) {
                    d->kind = DIR_PANEL;
                    if (parse_panel(j, d, p, e)) return -1;
                } else if (p - w == 5 && !strncmp(w, "title", 5)) {
                    d->kind = DIR_TITLE;
                    while (p < e && (*p == ' ' || *p == '\t')) p++;
                    const char *t1 = e;
                    while (t1 > p && (t1[-1] == ' ' || t1[-1] == '\t' || t1[-1] == '\r')) t1--;
                    d->title = dup_n(p, (size_t)(t1 - p));
                } else {
                    return directive_error(j, (size_t)(w - 1 - s), (size_t)(p - w + 1),
                                           "unknown directive \"%s\" (expected @panel or @title)", w - 1, (size_t)(p - w + 1));
                }
            }
        }
        line = e + 1;
    }
    return 0;
}

static void directives_free(job *j)
{
    for (int i = 0; i < j->n_d; i++) {
        directive *d = &j->d[i];
        free(d->title);
        if (!d->used) {
            free(d->p.name);
            free(d->p.title);
            free(d->p.unit);
            free(d->p.percent);
            free(d->p.mark);
        }
    }
    free(j->d);
}

/* ---------------------------------------------------------------- running */

static volatile int *cancel_flag;

static void on_sigint(int sig)
{
    (void)sig;
    if (cancel_flag) *cancel_flag = 1;
}

/* The statement that ran last is done: its result goes to its panel. */
static int finish_statement(job *j)
{
    if (j->timing && j->cur_off != (size_t)-1)
        fprintf(stderr, "batch: %s:%d%s%s: %.3f ms\n", j->file, line_of(j, j->cur_off), j->cur >= 0 ? " " : "",
                j->cur >= 0 ? j->d[j->cur].p.name : "", (shoal_cli_now() - j->t0) * 1000);
    if (j->cur >= 0) {
        directive *d = &j->d[j->cur];
        if (!j->csv.n) {
            char q[160];
            shoal_err_set(&j->err, SHOAL_ESEMANTIC, (int)d->off, (int)d->len,
                          "panel \"%s\" names a statement without a result (a SELECT, SHOW or EXPLAIN)",
                          shoal_err_quote(q, sizeof q, d->p.name, strlen(d->p.name)));
            return -1;
        }
        /* room first, so that a failure leaves every panel with its files */
        shoal_dash_panel *np = realloc(j->panels, sizeof *np * (size_t)(j->n_panels + 1));
        if (!np) return -1;
        j->panels = np;
        buf *raw = realloc(j->raw, sizeof *raw * 2 * (size_t)(j->n_panels + 1));
        if (!raw) return -1;
        j->raw = raw;
        shoal_dash_table t;
        if (shoal_dash_table_parse(j->csv.p, j->csv.n, j->json.p ? j->json.p : "", j->json.n, &t)) {
            shoal_err_set(&j->err, SHOAL_EFORMAT, (int)j->cur_off, 1, "cannot read the result back for the dashboard");
            return -1;
        }
        shoal_dash_panel *p = &j->panels[j->n_panels];
        *p = d->p;
        p->t = t;
        p->line = line_of(j, j->cur_off);
        d->used = 1;
        /* The files keep the bytes as the query wrote them; the table only reads them. */
        raw[2 * j->n_panels] = j->csv;
        raw[2 * j->n_panels + 1] = j->json;
        j->n_panels++;
        memset(&j->csv, 0, sizeof j->csv);
        memset(&j->json, 0, sizeof j->json);
    }
    j->csv.n = j->json.n = 0;
    return 0;
}

static int on_statement(void *ctx, size_t off, size_t len)
{
    job *j = ctx;
    if (finish_statement(j)) return -1;
    /* The panel directive between the statement before and this one names it. */
    j->cur = -1;
    for (int i = 0; i < j->n_d; i++) {
        directive *d = &j->d[i];
        if (d->kind != DIR_PANEL || d->off < j->prev_end || d->off >= off) continue;
        if (j->cur >= 0) {
            char q[160];
            directive *o = &j->d[j->cur];
            shoal_err_set(&j->err, SHOAL_ESEMANTIC, (int)o->off, (int)o->len, "panel \"%s\" is followed by no statement",
                          shoal_err_quote(q, sizeof q, o->p.name, strlen(o->p.name)));
            return -1;
        }
        j->cur = i;
    }
    j->prev_end = off + len;
    j->cur_off = off;
    /* A script's SET FORMAT or SET TIMING must not change the files. */
    shoal_session_set_format(j->s, SHOAL_OUT_CSV);
    shoal_session_set_timing(j->s, 0);
    if (j->tty && !j->quiet)
        fprintf(stderr, "\rbatch: line %d of %d%s%-24s\033[K", line_of(j, off), line_of(j, j->n_src), j->cur >= 0 ? ", " : "",
                j->cur >= 0 ? j->d[j->cur].p.name : "");
    j->t0 = shoal_cli_now();
    return 0;
}

/* ---------------------------------------------------------------- the directory */

/* Removes dir and the files in it (a batch's output holds no subdirectory). */
static int rm_flat(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(dh))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dh);
    return rmdir(dir);
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes data as dir/name, on disk before it returns. */
static int put_file(const char *dir, const char *name, const char *ext, const char *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(data, 1, n, f) != n;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* A previous batch's leftovers beside the output (a job killed before its rename):
 * ".NAME.tmp-PID" whose process is gone. */
static void clean_stale(const char *parent, const char *base)
{
    DIR *dh = opendir(parent);
    if (!dh) return;
    char pre[512], path[4096];
    int np = snprintf(pre, sizeof pre, ".%s.tmp-", base);
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (strncmp(e->d_name, pre, (size_t)np)) continue;
        long pid = strtol(e->d_name + np, NULL, 10);
        if (pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM)) continue;
        if (snprintf(path, sizeof path, "%s/%s", parent, e->d_name) < (int)sizeof path) rm_flat(path);
    }
    closedir(dh);
}

/* ---------------------------------------------------------------- the manifest */

typedef struct defn {
    const char *name, *kind, *text;
    int used;
} defn;

static int word_in(const char *text, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = text; (p = strcasestr(p, w)); p++) {
        int before = p > text && name_char(p[-1]) && p[-1] != '-';
        int after = name_char(p[n]) && p[n] != '-';
        if (!before && !after) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the command */

static int run_text(job *j, const char *name, const char *text, shoal_err *err)
{
    shoal_err_clear(err);
    int rc = shoal_query_run(j->s, text, strlen(text), err);
    if (rc && rc != SHOAL_ECANCEL) {
        char m[2048];
        shoal_err_render(err, name, text, strlen(text), m, sizeof m);
        fputs(m, stderr);
    }
    return rc;
}

/* The meta statements' results, one buffer pair each. */
typedef struct meta {
    job *j;
    int k;
    buf csv[4], json[4];
} meta;

static int meta_statement(void *ctx, size_t off, size_t len)
{
    (void)off, (void)len;
    meta *m = ctx;
    if (m->k >= 4) return -1;
    shoal_session_set_output(m->j->s, buf_write, &m->csv[m->k]);
    shoal_session_set_tee(m->j->s, SHOAL_OUT_JSON, buf_write, &m->json[m->k]);
    shoal_session_set_format(m->j->s, SHOAL_OUT_CSV);
    m->k++;
    return 0;
}

static void manifest_str(buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_add(b, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 6);
        } else {
            buf_add(b, s, 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void manifest_kv(buf *b, const char *indent, const char *k, const char *v, int comma)
{
    buf_add(b, indent, strlen(indent));
    manifest_str(b, k);
    buf_add(b, ": ", 2);
    manifest_str(b, v);
    if (comma) buf_add(b, ",", 1);
    buf_add(b, "\n", 1);
}

int shoal_cmd_batch(const char *db_path, int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *as_of = NULL;
    int quiet = 0, timing = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--out") || !strcmp(a, "-o")) {
            if (i + 1 >= argc) goto usage;
            out = argv[++i];
        } else if (!strncmp(a, "--out=", 6)) {
            out = a + 6;
        } else if (!strcmp(a, "--as-of")) {
            if (i + 1 >= argc) goto usage;
            as_of = argv[++i];
        } else if (!strncmp(a, "--as-of=", 8)) {
            as_of = a + 8;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
        } else if (!strcmp(a, "--timing")) {
            timing = 1;
        } else if (a[0] == '-' && a[1]) {
            shoal_cli_fail("unknown option \"%s\"", a);
            goto usage;
        } else if (!file) {
            file = a;
        } else {
            shoal_cli_fail("one script at a time");
            goto usage;
        }
    }
    if (!file || !out || !*out) goto usage;

    /* The output's place: DIR beside its temporary, which must not be another's. */
    char outdir[4096], parent[4096], base[4096], tmp[8300];
    if (strlen(out) >= sizeof outdir) {
        shoal_cli_fail("--out is too long");
        return 2;
    }
    memcpy(outdir, out, strlen(out) + 1);
    for (size_t k = strlen(outdir); k > 1 && outdir[k - 1] == '/'; k--) outdir[k - 1] = 0;
    const char *slash = strrchr(outdir, '/');
    size_t np = slash ? (slash == outdir ? 1 : (size_t)(slash - outdir)) : 1;
    memcpy(parent, slash ? outdir : ".", np);
    parent[np] = 0;
    memcpy(base, slash ? slash + 1 : outdir, strlen(slash ? slash + 1 : outdir) + 1);
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        shoal_cli_fail("--out needs a directory name, not \"%s\"", out);
        return 2;
    }
    struct stat st;
    int exists = stat(outdir, &st) == 0;
    if (exists) {
        char mf[4200];
        snprintf(mf, sizeof mf, "%s/manifest.json", outdir);
        DIR *dh = S_ISDIR(st.st_mode) ? opendir(outdir) : NULL;
        int empty = 1;
        struct dirent *e;
        while (dh && (e = readdir(dh)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
        if (dh) closedir(dh);
        if (!S_ISDIR(st.st_mode) || (!empty && access(mf, F_OK) != 0)) {
            shoal_cli_fail("\"%s\" exists and is not a batch's output (no manifest.json): choose another --out",
                    outdir);
            return 2;
        }
    }
    if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", parent, base, (long)getpid()) >= (int)sizeof tmp) {
        shoal_cli_fail("--out is too long");
        return 2;
    }

    /* The script. */
    FILE *sf = strcmp(file, "-") ? fopen(file, "rb") : stdin;
    if (!sf) {
        shoal_cli_fail("cannot open \"%s\": %s", file, strerror(errno));
        return 2;
    }
    buf script = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, sf)) > 0)
        if (buf_add(&script, chunk, k)) break;
    int bad = ferror(sf);
    if (sf != stdin) fclose(sf);
    if (!bad && !script.p) bad = buf_add(&script, "", 0);
    if (bad || !script.p) {
        free(script.p);
        shoal_cli_fail("cannot read \"%s\"", file);
        return 2;
    }
    const char *name = strcmp(file, "-") ? file : "<stdin>";

    job j;
    memset(&j, 0, sizeof j);
    j.file = name;
    j.src = script.p;
    j.n_src = script.n;
    j.quiet = quiet;
    j.timing = timing;
    j.tty = isatty(2);
    j.cur = -1;
    j.cur_off = (size_t)-1;
    shoal_err_clear(&j.err);
    int status = 0;
    shoal_cli_query q;
    int opened = 0;
    meta m;
    memset(&m, 0, sizeof m);
    buf man = {0};
    shoal_dash_table tnow, tset, tviews;
    memset(&tnow, 0, sizeof tnow);
    memset(&tset, 0, sizeof tset);
    memset(&tviews, 0, sizeof tviews);
    defn *defs = NULL;
    char *page = NULL;
    size_t n_page = 0;
    FILE *pf = NULL;

    if (parse_directives(&j)) {
        status = 1;
        goto script_error;
    }
    if ((status = shoal_cli_query_open(db_path, SHOAL_OUT_CSV, 0, &q))) goto done;
    opened = 1;
    j.s = q.s;
    cancel_flag = &shoal_cli_cancel;
    shoal_cli_cancel = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);

    /* Now, fixed for the whole job: --as-of, else the wall clock at the start. */
    char nowlit[128];
    if (as_of) {
        if (strchr(as_of, '\'') || strlen(as_of) > 64) {
            shoal_cli_fail("--as-of needs a date or time such as 2025-06-30 or 2025-06-30T12:00:00Z");
            status = 2;
            goto done;
        }
        snprintf(nowlit, sizeof nowlit, "%s", as_of);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(nowlit, sizeof nowlit, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    }
    char setnow[200];
    snprintf(setnow, sizeof setnow, "SET NOW = '%s'", nowlit);
    shoal_err err;
    if (run_text(&j, "--as-of", setnow, &err)) {
        status = 2;
        goto done;
    }

    /* The script, on one snapshot, each statement's result caught as CSV and JSON. */
    shoal_session_pin(q.s, 1);
    shoal_session_set_output(q.s, buf_write, &j.csv);
    shoal_session_set_tee(q.s, SHOAL_OUT_JSON, buf_write, &j.json);
    shoal_session_set_on_statement(q.s, on_statement, &j);
    double t_start = shoal_cli_now();
    shoal_err_clear(&err);
    int rc = shoal_query_run(q.s, script.p, script.n, &err);
    if (!rc && finish_statement(&j)) rc = -1;
    if (!rc) {
        /* a directive after the last statement names nothing */
        for (int i = 0; i < j.n_d; i++)
            if (j.d[i].kind == DIR_PANEL && !j.d[i].used && j.d[i].off >= j.prev_end) {
                char qb[160];
                shoal_err_set(&j.err, SHOAL_ESEMANTIC, (int)j.d[i].off, (int)j.d[i].len, "panel \"%s\" is followed by no statement",
                              shoal_err_quote(qb, sizeof qb, j.d[i].p.name, strlen(j.d[i].p.name)));
                rc = -1;
                break;
            }
    }
    if (j.tty && !quiet) fputs("\r\033[K", stderr);
    if (rc == SHOAL_ECANCEL) {
        fprintf(stderr, "cancelled\n");
        status = 130;
        goto done;
    }
    if (rc) {
        status = 1;
        if (j.err.code) goto script_error;
        char msg[2048];
        shoal_err_render(&err, name, script.p, script.n, msg, sizeof msg);
        fputs(msg, stderr);
        goto done;
    }

    /* What the manifest and the page say about the snapshot: now, the zone, the
     * definitions (read through the same snapshot). */
    shoal_session_set_on_statement(q.s, meta_statement, &m);
    m.j = &j;
    char metaq[300];
    snprintf(metaq, sizeof metaq, "%s; SELECT now() AS now; SHOW SETTINGS; SHOW VIEWS", setnow);
    if (run_text(&j, "batch", metaq, &err)) {
        status = 2;
        goto done;
    }
    shoal_session_set_on_statement(q.s, NULL, NULL);
    shoal_session_set_tee(q.s, 0, NULL, NULL);
    shoal_reader *snap;
    if (shoal_session_snapshot(q.s, &snap, &err)) {
        shoal_cli_error(&err, err.code);
        status = 2;
        goto done;
    }
    uint64_t seq = shoal_reader_last_seq(snap);
    if (shoal_dash_table_parse(m.csv[1].p, m.csv[1].n, m.json[1].p, m.json[1].n, &tnow) ||
        shoal_dash_table_parse(m.csv[2].p, m.csv[2].n, m.json[2].p, m.json[2].n, &tset) ||
        shoal_dash_table_parse(m.csv[3].p, m.csv[3].n, m.json[3].p, m.json[3].n, &tviews)) {
        shoal_cli_fail("cannot read the snapshot's settings back");
        status = 2;
        goto done;
    }
    const char *now_s = tnow.n_rows ? tnow.cells[0].s : nowlit, *tz = "UTC";
    for (size_t r = 0; r < tset.n_rows; r++)
        if (!strcmp(tset.cells[r * (size_t)tset.n_cols].s, "timezone")) tz = tset.cells[r * (size_t)tset.n_cols + 1].s;
    /* The definitions the script names, and those they name, to any depth. */
    size_t nv = tviews.n_rows;
    defs = calloc(nv + 1, sizeof *defs);
    if (!defs) {
        status = 2;
        goto done;
    }
    for (size_t r = 0; r < nv; r++) {
        defs[r].name = tviews.cells[r * (size_t)tviews.n_cols].s;
        defs[r].kind = tviews.cells[r * (size_t)tviews.n_cols + 1].s;
        defs[r].text = tviews.cells[r * (size_t)tviews.n_cols + 2].s;
        defs[r].used = word_in(script.p, defs[r].name);
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t r = 0; r < nv; r++)
            for (size_t u = 0; u < nv; u++)
                if (defs[u].used && !defs[r].used && word_in(defs[u].text, defs[r].name)) defs[r].used = changed = 1;
    }

    /* The page. */
    const char *title = NULL;
    for (int i = 0; i < j.n_d; i++)
        if (j.d[i].kind == DIR_TITLE) title = j.d[i].title;
    const char *sbase = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    shoal_dash_page pg = {title ? title : sbase, now_s, tz, seq, sbase, SHOAL_VERSION, j.panels, j.n_panels};
    if (!(pf = open_memstream(&page, &n_page)) || shoal_dash_write(pf, &pg) || fclose(pf)) {
        pf = NULL;
        shoal_cli_fail("cannot make the page");
        status = 2;
        goto done;
    }
    pf = NULL;

    /* The manifest. */
    char hex[65];
    buf_add(&man, "{\n", 2);
    manifest_kv(&man, "  ", "shoal", SHOAL_VERSION, 1);
    manifest_kv(&man, "  ", "script", name, 1);
    shoal_cli_sha256(script.p, script.n, hex);
    manifest_kv(&man, "  ", "script_sha256", hex, 1);
    manifest_kv(&man, "  ", "as_of", now_s, 1);
    manifest_kv(&man, "  ", "timezone", tz, 1);
    char num[64];
    snprintf(num, sizeof num, "  \"log_seq\": %llu,\n", (unsigned long long)seq);
    buf_add(&man, num, strlen(num));
    buf_add(&man, "  \"definitions\": [", 18);
    int first = 1;
    for (size_t r = 0; r < nv; r++) {
        if (!defs[r].used) continue;
        buf_add(&man, first ? "\n" : ",\n", first ? 1 : 2);
        first = 0;
        buf_add(&man, "    {", 5);
        manifest_str(&man, "name");
        buf_add(&man, ": ", 2);
        manifest_str(&man, defs[r].name);
        buf_add(&man, ", ", 2);
        manifest_str(&man, "kind");
        buf_add(&man, ": ", 2);
        manifest_str(&man, defs[r].kind);
        buf_add(&man, ", ", 2);
        manifest_str(&man, "sha256");
        buf_add(&man, ": ", 2);
        shoal_cli_sha256(defs[r].text, strlen(defs[r].text), hex);
        manifest_str(&man, hex);
        buf_add(&man, "}", 1);
    }
    buf_add(&man, first ? "],\n" : "\n  ],\n", first ? 3 : 6);
    buf_add(&man, "  \"panels\": [", 13);
    for (int i = 0; i < j.n_panels; i++) {
        shoal_dash_panel *p = &j.panels[i];
        buf_add(&man, i ? ",\n    {" : "\n    {", i ? 7 : 6);
        manifest_str(&man, "name");
        buf_add(&man, ": ", 2);
        manifest_str(&man, p->name);
        buf_add(&man, ", ", 2);
        manifest_str(&man, "title");
        buf_add(&man, ": ", 2);
        manifest_str(&man, p->title ? p->title : p->name);
        buf_add(&man, ", ", 2);
        manifest_str(&man, "chart");
        buf_add(&man, ": ", 2);
        manifest_str(&man, shoal_dash_chart_name(shoal_dash_choose(p)));
        snprintf(num, sizeof num, ", \"line\": %d, \"rows\": %zu}", p->line, p->t.n_rows);
        buf_add(&man, num, strlen(num));
    }
    buf_add(&man, j.n_panels ? "\n  ]\n}\n" : "]\n}\n", j.n_panels ? 7 : 4);

    /* The files, into the temporary directory, then renamed into place. */
    clean_stale(parent, base);
    rm_flat(tmp);
    if (mkdir(tmp, 0777) != 0) {
        shoal_cli_fail("cannot create \"%s\": %s", tmp, strerror(errno));
        status = 2;
        goto done;
    }
    int io = 0;
    for (int i = 0; i < j.n_panels && !io; i++) {
        shoal_dash_panel *p = &j.panels[i];
        io |= put_file(tmp, p->name, ".csv", j.raw[2 * i].p ? j.raw[2 * i].p : "", j.raw[2 * i].n);
        io |= put_file(tmp, p->name, ".json", j.raw[2 * i + 1].p ? j.raw[2 * i + 1].p : "", j.raw[2 * i + 1].n);
    }
    io = io || put_file(tmp, "index", ".html", page, n_page) || put_file(tmp, "manifest", ".json", man.p, man.n) ||
         fsync_path(tmp);
    if (io) {
        shoal_cli_fail("cannot write into \"%s\": %s", tmp, strerror(errno));
        rm_flat(tmp);
        status = 2;
        goto done;
    }
    if (!exists) {
        io = rename(tmp, outdir);
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, outdir, RENAME_EXCHANGE) == 0) {
        /* the previous output is now at tmp */
        rm_flat(tmp);
    } else {
        /* a file system without the exchange: the old moves away, then the new in */
        char old[4300];
        io = snprintf(old, sizeof old, "%s/.%s.old-%ld", parent, base, (long)getpid()) >= (int)sizeof old ||
             rename(outdir, old) || rename(tmp, outdir);
        if (!io) rm_flat(old);
    }
    if (io) {
        shoal_cli_fail("cannot rename \"%s\" to \"%s\": %s", tmp, outdir, strerror(errno));
        rm_flat(tmp);
        status = 2;
        goto done;
    }
    fsync_path(parent);
    if (timing) fprintf(stderr, "batch: total %.3f ms\n", (shoal_cli_now() - t_start) * 1000);
    if (!quiet) fprintf(stderr, "wrote %s/index.html (%d panel%s)\n", outdir, j.n_panels, j.n_panels == 1 ? "" : "s");
    goto done;

script_error: {
    char msg[2048];
    shoal_err_render(&j.err, name, script.p, script.n, msg, sizeof msg);
    fputs(msg, stderr);
}
done:
    free(defs);
    shoal_dash_table_free(&tnow);
    shoal_dash_table_free(&tset);
    shoal_dash_table_free(&tviews);
    if (opened) shoal_cli_query_close(&q);
    cancel_flag = NULL;
    for (int i = 0; i < 4; i++) free(m.csv[i].p), free(m.json[i].p);
    for (int i = 0; i < j.n_panels; i++) {
        shoal_dash_panel *p = &j.panels[i];
        shoal_dash_table_free(&p->t);
        free(p->name), free(p->title), free(p->unit), free(p->percent), free(p->mark);
        free(j.raw[2 * i].p), free(j.raw[2 * i + 1].p);
    }
    free(j.panels);
    free(j.raw);
    directives_free(&j);
    free(j.csv.p);
    free(j.json.p);
    free(man.p);
    free(page);
    free(script.p);
    return status;
usage:
    fputs(shoal_cmd_batch_usage, stderr);
    return 2;
}
