/* dashboard.c — the page a batch job leaves beside its CSV and JSON files: one HTML
 * file with its CSS inline and its charts as inline SVG, nothing fetched (a CSP meta
 * forbids it), readable offline and printable. A result becomes a chart by its shape:
 * x then numbers, or x, series, number (bar, line, heatmap), one row (headline
 * numbers), label, estimate, low, high (forest); anything else is a table. Colours are
 * the Okabe–Ito palette, which readers with any common colour-vision deficiency tell
 * apart. Output depends only on the results: no clock, no locale.
 */
#include "dashboard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parsing results */

/* One CSV field starting at *p (RFC 4180, as format.c writes it), unquoted into out. */
static const char *csv_field(const char *p, const char *end, char **out)
{
    char *o = *out;
    if (p < end && *p == '"') {
        for (p++; p < end; p++) {
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') *o++ = *p++;
                else {
                    p++;
                    break;
                }
            } else {
                *o++ = *p;
            }
        }
    } else {
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') *o++ = *p++;
    }
    *o++ = 0;
    *out = o;
    return p;
}

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

static int hexv(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

/* A JSON string at p (after its opening quote) unescaped into out; NULL when bad. */
static const char *json_str(const char *p, const char *end, char **out)
{
    char *o = *out;
    while (p < end && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (++p >= end) return NULL;
        char c = *p++;
        switch (c) {
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            if (end - p < 4) return NULL;
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexv(p[i]);
                if (h < 0) return NULL;
                v = v * 16 + h;
            }
            p += 4;
            /* format.c escapes control characters this way (C0, and C1 as U+0080…):
             * UTF-8 again, never longer than the six bytes it came from */
            if (v < 0x80) {
                *o++ = (char)v;
            } else if (v < 0x800) {
                *o++ = (char)(0xC0 | (v >> 6));
                *o++ = (char)(0x80 | (v & 0x3F));
            } else {
                *o++ = (char)(0xE0 | (v >> 12));
                *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *o++ = (char)(0x80 | (v & 0x3F));
            }
            break;
        }
        default: *o++ = c;
        }
    }
    if (p >= end) return NULL;
    *o++ = 0;
    *out = o;
    return p + 1;
}

void shoal_dash_table_free(shoal_dash_table *t)
{
    free(t->names);
    free(t->cells);
    free(t->text);
    memset(t, 0, sizeof *t);
}

int shoal_dash_table_parse(const char *csv, size_t n_csv, const char *json, size_t n_json, shoal_dash_table *t)
{
    memset(t, 0, sizeof *t);
    /* Unescaped text is never longer than its source, and each value needs a NUL,
     * which its quotes, separators or brackets pay for: the buffer never grows, so
     * the pointers into it stay valid. */
    t->text = malloc(n_csv + 2 * n_json + 16);
    if (!t->text) return -1;
    char *o = t->text;
    const char *p = csv, *end = csv + n_csv;
    int cap_names = 8;
    t->names = malloc(sizeof(char *) * (size_t)cap_names);
    if (!t->names) goto bad;
    while (p < end && *p != '\n') {
        if (t->n_cols == cap_names) {
            char **nn = realloc(t->names, sizeof(char *) * (size_t)(cap_names *= 2));
            if (!nn) goto bad;
            t->names = nn;
        }
        t->names[t->n_cols++] = o;
        p = csv_field(p, end, &o);
        if (p < end && *p == ',') p++;
        else if (p < end && *p == '\r') p++;
    }
    p = ws(json, json + n_json);
    end = json + n_json;
    if (p >= end || *p++ != '[') goto bad;
    size_t cap = 0;
    for (;;) {
        p = ws(p, end);
        if (p < end && *p == ']') break;
        if (p < end && *p == ',') p = ws(p + 1, end);
        if (p >= end || *p++ != '{') goto bad;
        if ((t->n_rows + 1) * (size_t)t->n_cols > cap) {
            cap = cap ? cap * 2 : 64 * (size_t)(t->n_cols ? t->n_cols : 1);
            shoal_dash_cell *nc = realloc(t->cells, sizeof *nc * cap);
            if (!nc) goto bad;
            t->cells = nc;
        }
        shoal_dash_cell *row = t->cells + t->n_rows * (size_t)t->n_cols;
        int j = 0;
        for (;;) {
            p = ws(p, end);
            if (p < end && *p == '}') {
                p++;
                break;
            }
            if (p < end && *p == ',') p = ws(p + 1, end);
            if (p >= end || *p++ != '"') goto bad;
            char *skip = o;   /* the key: its text is not kept */
            if (!(p = json_str(p, end, &skip))) goto bad;
            p = ws(p, end);
            if (p >= end || *p++ != ':') goto bad;
            p = ws(p, end);
            if (j >= t->n_cols || p >= end) goto bad;
            shoal_dash_cell *c = &row[j++];
            c->s = o;
            c->v = 0;
            if (*p == '"') {
                c->kind = SHOAL_DASH_STR;
                if (!(p = json_str(p + 1, end, &o))) goto bad;
            } else if (!strncmp(p, "null", (size_t)(end - p) < 4 ? (size_t)(end - p) : 4) && end - p >= 4) {
                c->kind = SHOAL_DASH_NULL;
                *o++ = 0;
                p += 4;
            } else if (end - p >= 4 && !strncmp(p, "true", 4)) {
                c->kind = SHOAL_DASH_BOOL;
                c->v = 1;
                memcpy(o, "true", 5);
                o += 5;
                p += 4;
            } else if (end - p >= 5 && !strncmp(p, "false", 5)) {
                c->kind = SHOAL_DASH_BOOL;
                memcpy(o, "false", 6);
                o += 6;
                p += 5;
            } else {
                const char *q = p;
                while (q < end && strchr("+-0123456789.eE", *q)) q++;
                if (q == p) goto bad;
                c->kind = SHOAL_DASH_NUM;
                memcpy(o, p, (size_t)(q - p));
                o[q - p] = 0;
                c->v = strtod(o, NULL);
                o += q - p + 1;
                p = q;
            }
        }
        if (j != t->n_cols) goto bad;
        t->n_rows++;
    }
    return 0;
bad:
    shoal_dash_table_free(t);
    return -1;
}

/* ---------------------------------------------------------------- chart kinds */

static const char *const chart_names[] = {"auto", "number", "bar", "line", "table", "heatmap", "forest"};

int shoal_dash_chart_parse(const char *name, size_t n)
{
    for (int i = 0; i < (int)(sizeof chart_names / sizeof chart_names[0]); i++)
        if (strlen(chart_names[i]) == n && !strncmp(chart_names[i], name, n)) return i;
    return -1;
}

const char *shoal_dash_chart_name(int chart) { return chart >= 0 && chart <= SHOAL_DASH_FOREST ? chart_names[chart] : "?"; }

static const shoal_dash_cell *cell(const shoal_dash_table *t, size_t r, int j) { return &t->cells[r * (size_t)t->n_cols + (size_t)j]; }

/* The kind of a column: NUM when every value is a number (or NULL), STR when any is a
 * string, BOOL when every value is a boolean; NULL when it holds nothing. */
static int col_kind(const shoal_dash_table *t, int j)
{
    int k = SHOAL_DASH_NULL;
    for (size_t r = 0; r < t->n_rows; r++) {
        int c = cell(t, r, j)->kind;
        if (c == SHOAL_DASH_NULL) continue;
        if (k == SHOAL_DASH_NULL) k = c;
        else if (k != c) return SHOAL_DASH_STR;
    }
    return k;
}

static int col_index(const shoal_dash_table *t, const char *name)
{
    if (!name) return -1;
    for (int j = 0; j < t->n_cols; j++)
        if (!strcmp(t->names[j], name)) return j;
    return -1;
}

/* Whether a comma-separated list holds name. */
static int in_list(const char *list, const char *name)
{
    if (!list) return 0;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !strncmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* A date, month or time as shoal renders them: 2025-06, 2025-06-30, 2025-06-30T… */
static int is_when(const char *s)
{
    return strlen(s) >= 7 && isdig(s[0]) && isdig(s[1]) && isdig(s[2]) && isdig(s[3]) && s[4] == '-' && isdig(s[5]) &&
           isdig(s[6]) && (s[7] == 0 || (s[7] == '-' && isdig(s[8]) && isdig(s[9]) && (s[10] == 0 || s[10] == 'T')));
}

/* The long shape, x, series, value: three columns (besides the mark), the second not a number. */
static int long_shape(const shoal_dash_panel *p, int *cols)
{
    const shoal_dash_table *t = &p->t;
    int mk = col_index(t, p->mark), n = 0;
    for (int j = 0; j < t->n_cols; j++)
        if (j != mk) {
            if (n == 3) return 0;
            cols[n++] = j;
        }
    /* a heatmap asked for by name takes its columns' labels as they print, numbers too
     * (a retention's k) */
    return n == 3 && (col_kind(t, cols[1]) == SHOAL_DASH_STR || p->chart == SHOAL_DASH_HEATMAP) &&
           col_kind(t, cols[2]) == SHOAL_DASH_NUM;
}

int shoal_dash_choose(const shoal_dash_panel *p)
{
    const shoal_dash_table *t = &p->t;
    if (p->chart != SHOAL_DASH_AUTO) return p->chart;
    if (t->n_cols == 0) return SHOAL_DASH_TABLE;
    int nums = 0;
    for (int j = 0; j < t->n_cols; j++) nums += col_kind(t, j) == SHOAL_DASH_NUM;
    if (t->n_rows == 1 && nums == t->n_cols) return SHOAL_DASH_NUMBER;
    if (t->n_rows < 2 || t->n_rows > 400 || t->n_cols < 2) return SHOAL_DASH_TABLE;
    int cols[3], lng = long_shape(p, cols);
    int mk = col_index(t, p->mark), series = 0;
    for (int j = 1; j < t->n_cols; j++) series += j != mk && col_kind(t, j) == SHOAL_DASH_NUM;
    int kx = col_kind(t, 0);
    /* a wide shape needs only numbers after its x (and the mark) */
    if (!lng && series != t->n_cols - 1 - (mk > 0)) return SHOAL_DASH_TABLE;
    if (!lng && !series) return SHOAL_DASH_TABLE;
    if (kx == SHOAL_DASH_STR && is_when(cell(t, 0, 0)->s)) return SHOAL_DASH_LINE;
    return SHOAL_DASH_BAR;
}

/* ---------------------------------------------------------------- formatting for people */

static void out_esc(FILE *f, const char *s)
{
    for (; *s; s++) switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: putc(*s, f);
        }
}

/* Digits with a comma every three (1,234,567), then the decimals given. */
static void fmt_num(double v, int decimals, char *buf, size_t n)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "–" : v > 0 ? "∞" : "−∞");
        return;
    }
    if (decimals < 0) {
        double a = fabs(v);
        decimals = v == floor(v) && a < 1e15 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(v));
    if (decimals > 0 && strchr(raw, '.')) {
        /* 1.50 reads as 1.5, 2.00 as 2 */
        char *e = raw + strlen(raw) - 1;
        while (*e == '0') *e-- = 0;
        if (*e == '.') *e = 0;
    }
    const char *dot = strchr(raw, '.');
    size_t ni = dot ? (size_t)(dot - raw) : strlen(raw), k = 0;
    int neg = v < 0 && strspn(raw, "0.") != strlen(raw);
    if (neg && k + 4 < n) k += (size_t)snprintf(buf + k, n - k, "−");
    for (size_t i = 0; i < ni && k + 2 < n; i++) {
        if (i && (ni - i) % 3 == 0) buf[k++] = ',';
        buf[k++] = raw[i];
    }
    if (dot) k += (size_t)snprintf(buf + k, n - k, "%s", dot);
    buf[k < n ? k : n - 1] = 0;
}

static void fmt_pct(double v, char *buf, size_t n)
{
    char num[64];
    fmt_num(v * 100, fabs(v) >= 0.1 ? 1 : 2, num, sizeof num);
    if (snprintf(buf, n, "%s%%", num) >= (int)n) buf[n - 1] = 0;   /* cut short: still a string */
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* 2025-06 → Jun 2025, 2025-06-30 → 30 Jun 2025, a time → 30 Jun 2025 23:59 UTC. */
static int fmt_when(const char *s, char *buf, size_t n)
{
    if (!is_when(s)) return 0;
    int mo = (s[5] - '0') * 10 + (s[6] - '0');
    if (mo < 1 || mo > 12) return 0;
    if (!s[7]) {
        snprintf(buf, n, "%s %.4s", months[mo - 1], s);
    } else if (!s[10]) {
        snprintf(buf, n, "%d %s %.4s", (s[8] - '0') * 10 + (s[9] - '0'), months[mo - 1], s);
    } else {
        const char *z = s + 11 + strcspn(s + 11, "Z+-");
        char zone[16];
        snprintf(zone, sizeof zone, "%s", *z == 'Z' ? "UTC" : z);
        snprintf(buf, n, "%d %s %.4s %.5s %s", (s[8] - '0') * 10 + (s[9] - '0'), months[mo - 1], s, s + 11, zone);
    }
    return 1;
}

static void fmt_cell(const shoal_dash_cell *c, int pct, char *buf, size_t n)
{
    switch (c->kind) {
    case SHOAL_DASH_NULL: snprintf(buf, n, "–"); break;
    case SHOAL_DASH_NUM:
        if (pct) fmt_pct(c->v, buf, n);
        else fmt_num(c->v, -1, buf, n);
        break;
    case SHOAL_DASH_BOOL: snprintf(buf, n, "%s", c->v ? "yes" : "no"); break;
    default:
        if (!fmt_when(c->s, buf, n)) snprintf(buf, n, "%s", c->s);
    }
}

/* A column name for a label: words for underscores. */
static void fmt_name(const char *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s", s);
    for (char *p = buf; *p; p++)
        if (*p == '_') *p = ' ';
}

/* Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, reddish
 * purple, sky blue, vermillion, yellow, black. Vermillion is kept for marks. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
#define N_PALETTE 7
#define MARK "#D55E00"

/* ---------------------------------------------------------------- shapes */

typedef struct shape {
    int n_x, n_s;
    const shoal_dash_cell **x;   /* the x values, in order of first appearance */
    const char **s;              /* the series' names */
    double *v;                   /* n_s * n_x; NaN where the result has no value */
    int *marked;                 /* n_x */
    int *pct;                    /* n_s: the series holds fractions shown as percentages */
    const char *xname, *vname;
} shape;

static void shape_free(shape *sh)
{
    free(sh->x);
    free(sh->s);
    free(sh->v);
    free(sh->marked);
    free(sh->pct);
}

static int find_x(const shape *sh, const char *s)
{
    for (int i = 0; i < sh->n_x; i++)
        if (!strcmp(sh->x[i]->s, s)) return i;
    return -1;
}

/* A chart's matrix: x by series, from either shape. Returns -1 when out of memory. */
static int make_shape(const shoal_dash_panel *p, shape *sh)
{
    const shoal_dash_table *t = &p->t;
    memset(sh, 0, sizeof *sh);
    int cols[3], lng = long_shape(p, cols), mk = col_index(t, p->mark);
    size_t nr = t->n_rows;
    sh->x = calloc(nr + 1, sizeof *sh->x);
    sh->s = calloc((size_t)t->n_cols + nr + 1, sizeof *sh->s);
    sh->marked = calloc(nr + 1, sizeof *sh->marked);
    if (!sh->x || !sh->s || !sh->marked) return -1;
    int xc = lng ? cols[0] : 0;
    sh->xname = t->names[xc];
    for (size_t r = 0; r < nr; r++) {
        const shoal_dash_cell *c = cell(t, r, xc);
        int i = find_x(sh, c->s);
        if (i < 0) sh->x[i = sh->n_x++] = c;
        if (mk >= 0 && cell(t, r, mk)->kind == SHOAL_DASH_BOOL && cell(t, r, mk)->v) sh->marked[i] = 1;
    }
    int *scol = NULL;
    if (lng) {
        sh->vname = t->names[cols[2]];
        for (size_t r = 0; r < nr; r++) {
            const char *s = cell(t, r, cols[1])->s;
            int k;
            for (k = 0; k < sh->n_s && strcmp(sh->s[k], s); k++) {}
            if (k == sh->n_s) sh->s[sh->n_s++] = s;
        }
    } else {
        scol = calloc((size_t)t->n_cols, sizeof *scol);
        if (!scol) return -1;
        for (int j = 1; j < t->n_cols; j++)
            if (j != mk && col_kind(t, j) == SHOAL_DASH_NUM) {
                scol[sh->n_s] = j;
                sh->s[sh->n_s++] = t->names[j];
            }
        sh->vname = sh->n_s == 1 ? sh->s[0] : NULL;
    }
    sh->v = malloc(sizeof(double) * (size_t)(sh->n_s ? sh->n_s : 1) * (size_t)(sh->n_x ? sh->n_x : 1));
    sh->pct = calloc((size_t)(sh->n_s ? sh->n_s : 1), sizeof *sh->pct);
    if (!sh->v || !sh->pct) {
        free(scol);
        return -1;
    }
    for (int i = 0; i < sh->n_s * sh->n_x; i++) sh->v[i] = NAN;
    for (int k = 0; k < sh->n_s; k++) sh->pct[k] = in_list(p->percent, lng ? sh->vname : sh->s[k]);
    for (size_t r = 0; r < nr; r++) {
        int i = find_x(sh, cell(t, r, xc)->s);
        if (lng) {
            const char *s = cell(t, r, cols[1])->s;
            int k;
            for (k = 0; strcmp(sh->s[k], s); k++) {}
            const shoal_dash_cell *c = cell(t, r, cols[2]);
            if (c->kind == SHOAL_DASH_NUM) sh->v[k * sh->n_x + i] = c->v;
        } else {
            for (int k = 0; k < sh->n_s; k++) {
                const shoal_dash_cell *c = cell(t, r, scol[k]);
                if (c->kind == SHOAL_DASH_NUM) sh->v[k * sh->n_x + i] = c->v;
            }
        }
    }
    free(scol);
    return 0;
}

/* ---------------------------------------------------------------- scales */

typedef struct scale {
    double lo, hi, step;
} scale;

/* lo..hi widened to round ticks (1, 2 or 5 × 10^k), 0 always in. */
static scale nice_scale(double lo, double hi, int ticks)
{
    scale s;
    if (!(lo < 0)) lo = 0;
    if (!(hi > 0)) hi = 0;
    if (hi - lo <= 0) hi = lo + 1;
    double raw = (hi - lo) / ticks, p = pow(10, floor(log10(raw))), f = raw / p;
    s.step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    s.lo = floor(lo / s.step) * s.step;
    s.hi = ceil(hi / s.step) * s.step;
    return s;
}

static double range_of(const shape *sh, double *lo)
{
    double hi = NAN;
    *lo = NAN;
    for (int i = 0; i < sh->n_s * sh->n_x; i++) {
        double v = sh->v[i];
        if (isnan(v)) continue;
        if (isnan(hi) || v > hi) hi = v;
        if (isnan(*lo) || v < *lo) *lo = v;
    }
    return hi;
}

static void fmt_tick(double v, const scale *s, int pct, char *buf, size_t n)
{
    if (pct) {
        char num[48];
        int d = s->step * 100 >= 1 ? 0 : 1;
        fmt_num(v * 100, d, num, sizeof num);
        snprintf(buf, n, "%s%%", num);
        return;
    }
    int d = s->step >= 1 ? 0 : (int)ceil(-log10(s->step));
    fmt_num(fabs(v) < s->step / 1e6 ? 0 : v, d, buf, n);
}

/* A short label for an x value under a chart: months as "Jun" (with the year under the
 * first and January), dates as "30 Jun". */
static void out_xlabel(FILE *f, const shoal_dash_cell *c, int i, double x, double y, const char *anchor, int marked)
{
    const char *cls = marked ? " class=\"mk\"" : "";
    const char *s = c->s;
    char buf[96];
    if (c->kind == SHOAL_DASH_STR && is_when(s) && (s[7] == 0 || s[10] == 0)) {
        int mo = (s[5] - '0') * 10 + (s[6] - '0');
        if (mo >= 1 && mo <= 12) {
            if (s[7] == 0) snprintf(buf, sizeof buf, "%s", months[mo - 1]);
            else snprintf(buf, sizeof buf, "%d %s", (s[8] - '0') * 10 + (s[9] - '0'), months[mo - 1]);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>%s", x, y, anchor, cls, buf);
            if (i == 0 || mo == 1) fprintf(f, "<tspan x=\"%.1f\" dy=\"13\">%.4s</tspan>", x, s);
            fputs("</text>\n", f);
            return;
        }
    }
    fmt_cell(c, 0, buf, sizeof buf);
    if (strlen(buf) > 18) memcpy(buf + 16, "…", 4);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, cls);
    out_esc(f, buf);
    fputs("</text>\n", f);
}

static void out_legend(FILE *f, const shape *sh, const char *mark)
{
    if (sh->n_s < 2 && !mark) return;
    fputs("<ul class=\"legend\">", f);
    if (sh->n_s >= 2)
        for (int k = 0; k < sh->n_s; k++) {
            char name[128];
            fmt_name(sh->s[k], name, sizeof name);
            fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span>", palette[k % N_PALETTE]);
            out_esc(f, name);
            fputs("</li>", f);
        }
    if (mark) {
        char name[128];
        fmt_name(mark, name, sizeof name);
        fprintf(f, "<li><span class=\"sw mk\" style=\"background:%s\"></span>marked: ", MARK);
        out_esc(f, name);
        fputs("</li>", f);
    }
    fputs("</ul>\n", f);
}

/* A mark's hover text: "x · series: value unit". */
static void out_title(FILE *f, const shape *sh, int k, int i, const char *unit, const char *mark)
{
    char xb[128], vb[64], sn[128];
    fmt_cell(sh->x[i], 0, xb, sizeof xb);
    shoal_dash_cell c = {"", SHOAL_DASH_NUM, sh->v[k * sh->n_x + i]};
    if (isnan(c.v)) c.kind = SHOAL_DASH_NULL;
    fmt_cell(&c, sh->pct[k], vb, sizeof vb);
    fmt_name(sh->s[k], sn, sizeof sn);
    fputs("<title>", f);
    out_esc(f, xb);
    fputs(" · ", f);
    out_esc(f, sn);
    fputs(": ", f);
    out_esc(f, vb);
    if (unit && !sh->pct[k]) {
        fputs(" ", f);
        out_esc(f, unit);
    }
    if (mark && sh->marked[i]) {
        fmt_name(mark, sn, sizeof sn);
        fputs(" (", f);
        out_esc(f, sn);
        fputs(")", f);
    }
    fputs("</title>", f);
}

static void out_axis_title(FILE *f, const char *text, double x, double y, int vertical)
{
    char buf[160];
    fmt_name(text, buf, sizeof buf);
    if (vertical) fprintf(f, "<text class=\"at\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">", x, y);
    else fprintf(f, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
    out_esc(f, buf);
    fputs("</text>\n", f);
}

static const char *value_title(const shoal_dash_panel *p, const shape *sh)
{
    return p->unit ? p->unit : sh->vname ? sh->vname : "value";
}

/* ---------------------------------------------------------------- charts */

#define W 600.0

/* Bars: upright for a few short categories (a histogram, months), lying for many or
 * long ones (groups), each with its value at its end. */
static void chart_bar(FILE *f, const shoal_dash_panel *p, const shape *sh)
{
    double lo, hi = range_of(sh, &lo);
    size_t longest = 0;
    for (int i = 0; i < sh->n_x; i++) {
        char b[128];
        fmt_cell(sh->x[i], 0, b, sizeof b);
        if (strlen(b) > longest) longest = strlen(b);
    }
    /* upright when every label fits under its bar (6.2 px a character at 11 px) */
    int upright = sh->n_x <= 14 && (double)longest * 6.2 <= (W - 76) / sh->n_x && sh->n_x * sh->n_s <= 48;
    const char *mark = col_index(&p->t, p->mark) >= 0 ? p->mark : NULL;
    int pct0 = sh->n_s ? sh->pct[0] : 0;
    if (upright) {
        double L = 64, R = 12, T = 14, B = 50, H = 300, pw = W - L - R, ph = H - T - B;
        scale s = nice_scale(lo, hi, 5);
        fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"bar chart\">\n", W, H);
        for (double v = s.lo; v <= s.hi + s.step / 2; v += s.step) {
            double y = T + ph * (s.hi - v) / (s.hi - s.lo);
            char b[64];
            fmt_tick(v, &s, pct0, b, sizeof b);
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", L, L + pw, y, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6, y + 4, b);
        }
        double band = pw / sh->n_x, bw = band * 0.78 / sh->n_s, y0 = T + ph * s.hi / (s.hi - s.lo);
        for (int i = 0; i < sh->n_x; i++) {
            for (int k = 0; k < sh->n_s; k++) {
                double v = sh->v[k * sh->n_x + i];
                if (isnan(v)) continue;
                double y = T + ph * (s.hi - v) / (s.hi - s.lo), x = L + band * i + band * 0.11 + bw * k;
                const char *col = mark && sh->marked[i] ? MARK : palette[k % N_PALETTE];
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", x, v >= 0 ? y : y0,
                        bw, fabs(y - y0) < 0.5 ? 0.5 : fabs(y - y0), col);
                out_title(f, sh, k, i, p->unit, mark);
                fputs("</rect>\n", f);
                if (bw >= 22) {
                    /* the value over its bar: a small bar's height alone does not tell it */
                    char b[64];
                    shoal_dash_cell c = {"", SHOAL_DASH_NUM, v};
                    fmt_cell(&c, sh->pct[k], b, sizeof b);
                    fprintf(f, "<text class=\"vl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2,
                            (v >= 0 ? y : y0) - 4, b);
                }
            }
            out_xlabel(f, sh->x[i], i, L + band * (i + 0.5), T + ph + 16, "middle", mark && sh->marked[i]);
        }
        fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", L, L + pw, y0, y0);
        out_axis_title(f, sh->xname, L + pw / 2, H - 6, 0);
        out_axis_title(f, value_title(p, sh), 14, T + ph / 2, 1);
        fputs("</svg>\n", f);
    } else {
        double rowh = sh->n_s > 1 ? 10.0 * sh->n_s + 8 : 20, lw = 8 + 6.6 * (double)(longest > 24 ? 24 : longest);
        double L = lw < 60 ? 60 : lw, R = 96, T = 8, B = 44, ph = rowh * sh->n_x, H = T + ph + B, pw = W - L - R;
        scale s = nice_scale(lo, hi, 5);
        fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"bar chart\">\n", W, H);
        for (double v = s.lo; v <= s.hi + s.step / 2; v += s.step) {
            double x = L + pw * (v - s.lo) / (s.hi - s.lo);
            char b[64];
            fmt_tick(v, &s, pct0, b, sizeof b);
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, T, T + ph);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, T + ph + 16, b);
        }
        double x0 = L + pw * (0 - s.lo) / (s.hi - s.lo), bh = (rowh - 6) / sh->n_s;
        for (int i = 0; i < sh->n_x; i++) {
            double ytop = T + rowh * i + 3;
            for (int k = 0; k < sh->n_s; k++) {
                double v = sh->v[k * sh->n_x + i];
                if (isnan(v)) continue;
                double x = L + pw * (v - s.lo) / (s.hi - s.lo), y = ytop + bh * k;
                const char *col = mark && sh->marked[i] ? MARK : palette[k % N_PALETTE];
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", v >= 0 ? x0 : x, y,
                        fabs(x - x0) < 0.5 ? 0.5 : fabs(x - x0), bh - 1, col);
                out_title(f, sh, k, i, p->unit, mark);
                fputs("</rect>", f);
                char b[64];
                shoal_dash_cell c = {"", SHOAL_DASH_NUM, v};
                fmt_cell(&c, sh->pct[k], b, sizeof b);
                fprintf(f, "<text class=\"vl\" x=\"%.1f\" y=\"%.1f\">%s", (v >= 0 ? x : x0) + 4, y + bh / 2 + 3.5, b);
                if (mark && sh->marked[i] && k == sh->n_s - 1) {
                    char mn[96];
                    fmt_name(mark, mn, sizeof mn);
                    fprintf(f, " <tspan class=\"mk\">");
                    out_esc(f, mn);
                    fputs("</tspan>", f);
                }
                fputs("</text>\n", f);
            }
            char b[128];
            fmt_cell(sh->x[i], 0, b, sizeof b);
            if (strlen(b) > 26) memcpy(b + 24, "…", 4);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"%s>", L - 6, ytop + (rowh - 6) / 2 + 4,
                    mark && sh->marked[i] ? " class=\"mk\"" : "");
            out_esc(f, b);
            fputs("</text>\n", f);
        }
        fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", x0, x0, T, T + ph);
        out_axis_title(f, value_title(p, sh), L + pw / 2, H - 6, 0);
        fputs("</svg>\n", f);
    }
}

/* Lines over x in the result's order, evenly spaced (periods are), a dot a value. */
static void chart_line(FILE *f, const shoal_dash_panel *p, const shape *sh)
{
    double lo, hi = range_of(sh, &lo);
    double L = 64, R = 14, T = 14, B = 58, H = 300, pw = W - L - R, ph = H - T - B;
    scale s = nice_scale(lo, hi, 5);
    int pct0 = sh->n_s ? sh->pct[0] : 0;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"line chart\">\n", W, H);
    for (double v = s.lo; v <= s.hi + s.step / 2; v += s.step) {
        double y = T + ph * (s.hi - v) / (s.hi - s.lo);
        char b[64];
        fmt_tick(v, &s, pct0, b, sizeof b);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", L, L + pw, y, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6, y + 4, b);
    }
    double step = pw / sh->n_x;
    int every = (int)ceil(44.0 / step);
    for (int i = 0; i < sh->n_x; i += every) out_xlabel(f, sh->x[i], i, L + step * (i + 0.5), T + ph + 16, "middle", 0);
    for (int k = 0; k < sh->n_s; k++) {
        fprintf(f, "<path class=\"ln\" stroke=\"%s\" d=\"", palette[k % N_PALETTE]);
        int pen = 0;
        for (int i = 0; i < sh->n_x; i++) {
            double v = sh->v[k * sh->n_x + i];
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            fprintf(f, "%s%.1f %.1f", pen ? " L" : "M", L + step * (i + 0.5), T + ph * (s.hi - v) / (s.hi - s.lo));
            pen = 1;
        }
        fputs("\"/>\n", f);
        for (int i = 0; i < sh->n_x; i++) {
            double v = sh->v[k * sh->n_x + i];
            if (isnan(v)) continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\">", L + step * (i + 0.5),
                    T + ph * (s.hi - v) / (s.hi - s.lo), palette[k % N_PALETTE]);
            out_title(f, sh, k, i, p->unit, NULL);
            fputs("</circle>\n", f);
        }
    }
    double y0 = T + ph * s.hi / (s.hi - s.lo);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", L, L + pw, y0, y0);
    out_axis_title(f, sh->xname, L + pw / 2, H - 6, 0);
    out_axis_title(f, value_title(p, sh), 14, T + ph / 2, 1);
    fputs("</svg>\n", f);
}

/* Rows by columns of shaded cells (a cohort's retention by period): the x values are
 * the rows, the series the columns; darker is more, on one scale from 0 to the most. */
static void chart_heatmap(FILE *f, const shoal_dash_panel *p, const shape *sh)
{
    double lo, hi = range_of(sh, &lo);
    if (!(lo < 0)) lo = 0;
    if (!(hi > lo)) hi = lo + 1;
    double L = 96, T = 34, cw = (W - L - 8) / (sh->n_s ? sh->n_s : 1), chh = 24, H = T + chh * sh->n_x + 34;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"heatmap\">\n", W, H);
    for (int k = 0; k < sh->n_s; k++) {
        shoal_dash_cell c = {sh->s[k], SHOAL_DASH_STR, 0};
        out_xlabel(f, &c, 1, L + cw * (k + 0.5), T - 8, "middle", 0);
    }
    char xn[160];
    fmt_name(sh->xname, xn, sizeof xn);
    fprintf(f, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L - 6, T - 8);
    out_esc(f, xn);
    fputs(" ↓</text>\n", f);
    for (int i = 0; i < sh->n_x; i++) {
        char b[96];
        fmt_cell(sh->x[i], 0, b, sizeof b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L - 6, T + chh * i + chh / 2 + 4);
        out_esc(f, b);
        fputs("</text>\n", f);
        for (int k = 0; k < sh->n_s; k++) {
            double v = sh->v[k * sh->n_x + i];
            if (isnan(v)) continue;
            /* counts by the square root of their share of the largest, so that 30 beside
             * 4,652 still shows; fractions (retention) linearly */
            double a = (v - lo) / (hi - lo);
            if (!sh->pct[k] && a > 0) a = sqrt(a);
            /* from near white to Okabe–Ito blue (0, 114, 178), a single-hue ramp */
            int r = (int)lround(240 - a * 240), g = (int)lround(246 - a * (246 - 114)), bl = (int)lround(251 - a * (251 - 178));
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%02x%02x%02x\">", L + cw * k,
                    T + chh * i, cw - 1, chh - 1, r, g, bl);
            out_title(f, sh, k, i, p->unit, NULL);
            shoal_dash_cell c = {"", SHOAL_DASH_NUM, v};
            fmt_cell(&c, sh->pct[k], b, sizeof b);
            fprintf(f, "</rect><text class=\"hv\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                    L + cw * (k + 0.5), T + chh * i + chh / 2 + 4, a > 0.5 ? "#ffffff" : "#1d2433", cw >= 34 ? b : "");
        }
    }
    int cols[3];
    if (long_shape(p, cols)) out_axis_title(f, p->t.names[cols[1]], L + (W - L) / 2, H - 8, 0);
    fputs("</svg>\n", f);
}

/* Each row an estimate with its interval (an experiment arm's lift with its confidence
 * interval): label, estimate, low, high, then an optional note (a verdict). */
static void chart_forest(FILE *f, const shoal_dash_panel *p)
{
    const shoal_dash_table *t = &p->t;
    double lo = 0, hi = 0;
    for (size_t r = 0; r < t->n_rows; r++)
        for (int j = 1; j <= 3; j++) {
            const shoal_dash_cell *c = cell(t, r, j);
            if (c->kind != SHOAL_DASH_NUM) continue;
            if (c->v < lo) lo = c->v;
            if (c->v > hi) hi = c->v;
        }
    int pct = in_list(p->percent, t->names[1]), has_note = t->n_cols >= 5;
    double L = 130, R = has_note ? 150 : 20, T = 10, rowh = 26, ph = rowh * (double)t->n_rows, B = 44, H = T + ph + B,
           pw = W - L - R;
    scale s = nice_scale(lo, hi, 4);
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"forest plot\">\n", W, H);
    for (double v = s.lo; v <= s.hi + s.step / 2; v += s.step) {
        double x = L + pw * (v - s.lo) / (s.hi - s.lo);
        char b[64];
        fmt_tick(v, &s, pct, b, sizeof b);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, T, T + ph);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, T + ph + 16, b);
    }
    double x0 = L + pw * (0 - s.lo) / (s.hi - s.lo);
    fprintf(f, "<line class=\"zero\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", x0, x0, T, T + ph);
    for (size_t r = 0; r < t->n_rows; r++) {
        double y = T + rowh * ((double)r + 0.5);
        char b[128], e[64], l[64], h[64];
        fmt_cell(cell(t, r, 0), 0, b, sizeof b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L - 8, y + 4);
        out_esc(f, b);
        fputs("</text>\n", f);
        const shoal_dash_cell *ce = cell(t, r, 1), *cl = cell(t, r, 2), *ch = cell(t, r, 3);
        fmt_cell(ce, pct, e, sizeof e);
        fmt_cell(cl, pct, l, sizeof l);
        fmt_cell(ch, pct, h, sizeof h);
        if (cl->kind == SHOAL_DASH_NUM && ch->kind == SHOAL_DASH_NUM)
            fprintf(f, "<line class=\"ci\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", L + pw * (cl->v - s.lo) / (s.hi - s.lo),
                    L + pw * (ch->v - s.lo) / (s.hi - s.lo), y, y);
        if (ce->kind == SHOAL_DASH_NUM) {
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"11\" fill=\"%s\"><title>", L + pw * (ce->v - s.lo) / (s.hi - s.lo) - 5.5,
                    y - 5.5, palette[0]);
            out_esc(f, b);
            fprintf(f, ": %s (%s to %s)</title></rect>\n", e, l, h);
        }
        if (has_note) {
            fmt_cell(cell(t, r, 4), 0, b, sizeof b);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", L + pw + 10, y + 4);
            out_esc(f, b);
            fputs("</text>\n", f);
        }
    }
    out_axis_title(f, p->unit ? p->unit : t->names[1], L + pw / 2, H - 6, 0);
    fputs("</svg>\n", f);
}

/* Up to 50 rows; the files have them all. */
static void chart_table(FILE *f, const shoal_dash_panel *p)
{
    const shoal_dash_table *t = &p->t;
    int mk = col_index(t, p->mark);
    int *num = calloc((size_t)t->n_cols + 1, sizeof *num);
    for (int j = 0; j < t->n_cols && num; j++) num[j] = col_kind(t, j) == SHOAL_DASH_NUM;
    fputs("<div class=\"tw\"><table>\n<thead><tr>", f);
    for (int j = 0; j < t->n_cols; j++) {
        char b[160];
        fmt_name(t->names[j], b, sizeof b);
        fprintf(f, "<th%s>", num && num[j] ? " class=\"n\"" : "");
        out_esc(f, b);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    size_t shown = t->n_rows < 50 ? t->n_rows : 50;
    for (size_t r = 0; r < shown; r++) {
        int marked = mk >= 0 && cell(t, r, mk)->kind == SHOAL_DASH_BOOL && cell(t, r, mk)->v;
        fputs(marked ? "<tr class=\"mk\">" : "<tr>", f);
        for (int j = 0; j < t->n_cols; j++) {
            char b[512];
            fmt_cell(cell(t, r, j), in_list(p->percent, t->names[j]), b, sizeof b);
            fprintf(f, "<td%s>", num && num[j] ? " class=\"n\"" : "");
            out_esc(f, b);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    if (shown < t->n_rows) fprintf(f, "<p class=\"note\">The first %zu of %zu rows; the files have them all.</p>\n", shown, t->n_rows);
    free(num);
}

static void tiles(FILE *f, const shoal_dash_panel *p)
{
    const shoal_dash_table *t = &p->t;
    fputs("<div class=\"tiles\">\n", f);
    for (int j = 0; j < t->n_cols; j++) {
        char name[160], b[128];
        fmt_name(t->names[j], name, sizeof name);
        if (t->n_rows) fmt_cell(cell(t, 0, j), in_list(p->percent, t->names[j]), b, sizeof b);
        else snprintf(b, sizeof b, "–");
        fputs("<div class=\"tile\"><div class=\"big\">", f);
        out_esc(f, b);
        fputs("</div><div class=\"lbl\">", f);
        out_esc(f, name);
        fputs("</div></div>\n", f);
    }
    fputs("</div>\n", f);
}

/* ---------------------------------------------------------------- the page */

static const char css[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f4f5f7;color:#1d2433;font:14px/1.4 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif}\n"
    "header{padding:20px 28px 8px}\n"
    "h1{margin:0 0 4px;font-size:22px}\n"
    ".meta{margin:0;color:#555e6e;font-size:13px}\n"
    "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px;padding:12px 28px 28px}\n"
    ".card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px 10px;break-inside:avoid}\n"
    ".card.wide{grid-column:1/-1}\n"
    "h2{margin:0 0 2px;font-size:16px}\n"
    ".sub{margin:0 0 8px;color:#555e6e;font-size:12px}\n"
    "svg{display:block;width:100%;height:auto;font-size:11px;fill:#1d2433}\n"
    "svg .grid{stroke:#e6e8ec;stroke-width:1}\n"
    "svg .axis{stroke:#555e6e;stroke-width:1}\n"
    "svg .zero{stroke:#555e6e;stroke-dasharray:4 3}\n"
    "svg .ci{stroke:#0072B2;stroke-width:3}\n"
    "svg .ln{fill:none;stroke-width:2}\n"
    "svg .at{font-size:12px;fill:#555e6e}\n"
    "svg .vl{font-size:10.5px;fill:#333b4a}\n"
    "svg .mk{fill:#D55E00;font-weight:600}\n"
    "svg .hv{font-size:10px}\n"
    "svg rect:hover,svg circle:hover{opacity:.75}\n"
    ".legend{list-style:none;margin:0 0 6px;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}\n"
    ".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:12px}\n"
    ".tile{flex:1 1 150px;border-left:4px solid #0072B2;padding:4px 12px}\n"
    ".big{font-size:28px;font-weight:650;font-variant-numeric:tabular-nums}\n"
    ".lbl{color:#555e6e;font-size:12px}\n"
    ".tw{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:12.5px}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #eceef2;text-align:left;white-space:nowrap}\n"
    "th{color:#555e6e;font-weight:600}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.mk td{color:#D55E00;font-weight:600}\n"
    ".src,.note{margin:6px 0 0;color:#555e6e;font-size:11.5px}\n"
    "a{color:#0072B2}\n"
    "footer{padding:0 28px 24px;color:#555e6e;font-size:12px}\n"
    "@media print{@page{size:A4;margin:12mm}body{background:#fff;font-size:11px}"
    "main{display:block;padding:0}header,footer{padding-left:0;padding-right:0}"
    ".card{border:1px solid #ccc;margin:0 0 10px;page-break-inside:avoid}a{color:inherit;text-decoration:none}}\n";

static void panel_sub(FILE *f, const shoal_dash_panel *p, int chart)
{
    const shoal_dash_table *t = &p->t;
    fputs("<p class=\"sub\">", f);
    if (chart == SHOAL_DASH_NUMBER) fprintf(f, "as of the time above");
    else fprintf(f, "%zu row%s", t->n_rows, t->n_rows == 1 ? "" : "s");
    if (p->unit) {
        fputs(" · in ", f);
        out_esc(f, p->unit);
    }
    fputs("</p>\n", f);
}

static void panel(FILE *f, const shoal_dash_panel *p)
{
    int chart = shoal_dash_choose(p);
    shape sh;
    memset(&sh, 0, sizeof sh);
    int have = 0;
    if (chart == SHOAL_DASH_BAR || chart == SHOAL_DASH_LINE || chart == SHOAL_DASH_HEATMAP) {
        have = make_shape(p, &sh) == 0 && sh.n_x > 0 && sh.n_s > 0;
        if (!have) chart = SHOAL_DASH_TABLE;
    }
    if (chart == SHOAL_DASH_FOREST && (p->t.n_cols < 4 || col_kind(&p->t, 1) != SHOAL_DASH_NUM)) chart = SHOAL_DASH_TABLE;
    if (chart == SHOAL_DASH_NUMBER && p->t.n_rows != 1) chart = SHOAL_DASH_TABLE;
    int wide = chart == SHOAL_DASH_NUMBER || (chart == SHOAL_DASH_TABLE && p->t.n_cols > 5);
    fprintf(f, "<section class=\"card%s\" id=\"p-", wide ? " wide" : "");
    out_esc(f, p->name);
    fprintf(f, "\" data-chart=\"%s\">\n<h2>", shoal_dash_chart_name(chart));
    out_esc(f, p->title ? p->title : p->name);
    fputs("</h2>\n", f);
    panel_sub(f, p, chart);
    switch (chart) {
    case SHOAL_DASH_NUMBER: tiles(f, p); break;
    case SHOAL_DASH_BAR:
        out_legend(f, &sh, col_index(&p->t, p->mark) >= 0 ? p->mark : NULL);
        chart_bar(f, p, &sh);
        break;
    case SHOAL_DASH_LINE:
        out_legend(f, &sh, NULL);
        chart_line(f, p, &sh);
        break;
    case SHOAL_DASH_HEATMAP: chart_heatmap(f, p, &sh); break;
    case SHOAL_DASH_FOREST: chart_forest(f, p); break;
    default: chart_table(f, p);
    }
    shape_free(&sh);   /* also a shape made but not drawn (no x or no series) */
    fputs("<p class=\"src\">data: <a href=\"", f);
    out_esc(f, p->name);
    fputs(".csv\">", f);
    out_esc(f, p->name);
    fputs(".csv</a> · <a href=\"", f);
    out_esc(f, p->name);
    fputs(".json\">", f);
    out_esc(f, p->name);
    fputs(".json</a></p>\n</section>\n", f);
}

int shoal_dash_write(FILE *f, const shoal_dash_page *pg)
{
    char when[96], seq[48];
    if (!pg->as_of || !fmt_when(pg->as_of, when, sizeof when)) snprintf(when, sizeof when, "%s", pg->as_of ? pg->as_of : "now");
    fmt_num((double)pg->seq, 0, seq, sizeof seq);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    out_esc(f, pg->title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
    out_esc(f, pg->title);
    fputs("</h1>\n<p class=\"meta\">As of ", f);
    out_esc(f, when);
    if (pg->tz) {
        fputs(" (time zone ", f);
        out_esc(f, pg->tz);
        fputs(")", f);
    }
    fprintf(f, " · log sequence %s · ", seq);
    out_esc(f, pg->script);
    fputs(" · shoal ", f);
    out_esc(f, pg->version);
    fputs("</p>\n</header>\n<main>\n", f);
    for (int i = 0; i < pg->n_panels; i++) panel(f, &pg->panels[i]);
    fputs("</main>\n<footer>Hover a mark for its value. Each panel's rows are in its CSV and JSON files beside this page; "
          "manifest.json says what produced them. Colours: the Okabe–Ito palette.</footer>\n</body>\n</html>\n",
          f);
    return ferror(f) ? -1 : 0;
}
