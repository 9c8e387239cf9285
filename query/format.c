/* format.c — output formats for query results: aligned table, CSV, JSON array, NDJSON
 * and markdown. Rows arrive one at a time as rendered cells; streaming formats write
 * them at once, the table and markdown keep them (copied) to size their columns.
 * Output goes through the caller's write callback in 64 kB blocks: the library never
 * touches stdout.
 */
#include <stdio.h>
#include <string.h>

#include "plan.h"

#define OUT_BLOCK 65536

struct shoal_fmt {
    int format;
    shoal_write_fn fn;
    void *ctx;
    char *buf;
    size_t n_buf;
    int failed;
    int n_cols;
    const char *const *names;
    uint64_t n_rows;
    /* table and markdown: every cell kept, the texts one after another in one buffer */
    char *text;            /* each cell's text, NUL-terminated */
    size_t n_text, cap_text;
    size_t *off;           /* n_rows * n_cols: where a cell's text starts */
    size_t *wid;           /* its width on screen */
    int *kinds;
    size_t cap_rows;
    shoal_fmt *tee;        /* a second formatter given the same rows (batch jobs), owned */
};

static void flush(shoal_fmt *f)
{
    if (f->n_buf && !f->failed && f->fn && f->fn(f->ctx, f->buf, f->n_buf)) f->failed = 1;
    f->n_buf = 0;
}

static void out_slow(shoal_fmt *f, const char *s, size_t n)
{
    while (n) {
        size_t k = OUT_BLOCK - f->n_buf;
        if (k > n) k = n;
        memcpy(f->buf + f->n_buf, s, k);
        f->n_buf += k;
        s += k;
        n -= k;
        if (f->n_buf == OUT_BLOCK) flush(f);
    }
}

/* Most pieces fit in the block: copied in line. */
static inline void out(shoal_fmt *f, const char *s, size_t n)
{
    if (f->n_buf + n < OUT_BLOCK) {
        memcpy(f->buf + f->n_buf, s, n);
        f->n_buf += n;
        return;
    }
    out_slow(f, s, n);
}

static void outs(shoal_fmt *f, const char *s) { out(f, s, strlen(s)); }

static void out_json_str(shoal_fmt *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    out(f, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out(f, s + run, i - run);
        run = i + 1;
        char esc[8] = {'\\', 0, 0, 0, 0, 0, 0, 0};
        size_t k = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        out(f, esc, k);
    }
    out(f, s + run, n - run);
    out(f, "\"", 1);
}

static void out_csv(shoal_fmt *f, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        out(f, s, n);
        return;
    }
    out(f, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            out(f, s + run, i + 1 - run);
            out(f, "\"", 1);
            run = i + 1;
        }
    out(f, s + run, n - run);
    out(f, "\"", 1);
}

int shoal_fmt_new(int format, shoal_write_fn fn, void *ctx, shoal_fmt **outp)
{
    shoal_fmt *f = shoal_malloc(sizeof *f);
    if (!f) return SHOAL_ENOMEM;
    memset(f, 0, sizeof *f);
    f->format = format;
    f->fn = fn;
    f->ctx = ctx;
    f->buf = shoal_malloc(OUT_BLOCK);
    if (!f->buf) {
        shoal_free(f);
        return SHOAL_ENOMEM;
    }
    *outp = f;
    return SHOAL_OK;
}

static void drop_cells(shoal_fmt *f)
{
    shoal_free(f->text);
    shoal_free(f->off);
    shoal_free(f->wid);
    shoal_free(f->kinds);
    f->text = NULL;
    f->off = f->wid = NULL;
    f->kinds = NULL;
    f->n_text = f->cap_text = f->cap_rows = 0;
}

void shoal_fmt_set_tee(shoal_fmt *f, shoal_fmt *tee) { f->tee = tee; }

void shoal_fmt_free(shoal_fmt *f)
{
    if (!f) return;
    shoal_fmt_free(f->tee);
    drop_cells(f);
    shoal_free(f->buf);
    shoal_free(f);
}

int shoal_fmt_begin(shoal_fmt *f, const char *const *names, int n)
{
    if (f->tee && shoal_fmt_begin(f->tee, names, n)) return SHOAL_EIO;
    drop_cells(f);
    f->names = names;
    f->n_cols = n;
    f->n_rows = 0;
    if (f->format == SHOAL_OUT_CSV) {
        for (int i = 0; i < n; i++) {
            if (i) out(f, ",", 1);
            out_csv(f, names[i], strlen(names[i]));
        }
        out(f, "\n", 1);
    } else if (f->format == SHOAL_OUT_JSON) {
        out(f, "[", 1);
    }
    return f->failed ? SHOAL_EIO : 0;
}

static void out_object(shoal_fmt *f, const cell *c)
{
    out(f, "{", 1);
    for (int i = 0; i < f->n_cols; i++) {
        if (i) out(f, ",", 1);
        out_json_str(f, f->names[i], strlen(f->names[i]));
        out(f, ":", 1);
        if (c[i].kind == CELL_NULL) outs(f, "null");
        else if (c[i].kind == CELL_STR) out_json_str(f, c[i].s, c[i].n);
        else if (c[i].kind == CELL_NUM && (c[i].n == 0 || strchr("NI-", c[i].s[0]) == NULL || (c[i].s[0] == '-' && c[i].n > 1 && c[i].s[1] != 'I')))
            out(f, c[i].s, c[i].n);
        else if (c[i].kind == CELL_NUM) outs(f, "null");   /* NaN and infinities are not JSON */
        else out(f, c[i].s, c[i].n);
    }
    out(f, "}", 1);
}

/* Display width: characters, not bytes (wide CJK glyphs count as two). */
static size_t width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = c;
        if (len == 3 && p[1] && p[2]) cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        w += (len == 3 && cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                                            (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60)))
                 ? 2
                 : 1;
        for (int i = 0; i < len && *p; i++) p++;
    }
    return w;
}

static size_t cell_width(const char *s, int md)
{
    /* plain ASCII without a newline or '|' (most cells): a character a byte */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p >= 0x80 || *p == '\n' || *p == '|') goto slow;
    return n;
slow:;
    size_t w = width(s);
    for (const char *p = s; *p; p++) {
        if (*p == '\n') w += md ? 3 : 1;
        if (*p == '|' && md) w += 1;
    }
    return w;
}

int shoal_fmt_row(shoal_fmt *f, const cell *c)
{
    int rc;
    if (f->tee && (rc = shoal_fmt_row(f->tee, c))) return rc;
    switch (f->format) {
    case SHOAL_OUT_CSV:
        for (int i = 0; i < f->n_cols; i++) {
            if (i) out(f, ",", 1);
            out_csv(f, c[i].s, c[i].n);
        }
        out(f, "\n", 1);
        break;
    case SHOAL_OUT_JSON:
        out(f, f->n_rows ? ",\n" : "\n", f->n_rows ? 2 : 1);
        out_object(f, c);
        break;
    case SHOAL_OUT_NDJSON:
        out_object(f, c);
        out(f, "\n", 1);
        break;
    default: {
        if (f->n_rows == f->cap_rows) {
            size_t nc = f->cap_rows ? f->cap_rows * 2 : 64, nk = nc * (size_t)f->n_cols;
            size_t *off = shoal_realloc(f->off, nk * sizeof *off);
            if (off) f->off = off;
            size_t *wid = shoal_realloc(f->wid, nk * sizeof *wid);
            if (wid) f->wid = wid;
            int *kinds = shoal_realloc(f->kinds, nk * sizeof *kinds);
            if (kinds) f->kinds = kinds;
            if (!off || !wid || !kinds) return SHOAL_ENOMEM;
            f->cap_rows = nc;
        }
        size_t need = 0;
        for (int i = 0; i < f->n_cols; i++) need += c[i].n + 1;
        if (f->n_text + need > f->cap_text) {
            size_t nc = f->cap_text ? f->cap_text : 65536;
            while (nc < f->n_text + need) nc *= 2;
            char *t = shoal_realloc(f->text, nc);
            if (!t) return SHOAL_ENOMEM;
            f->text = t;
            f->cap_text = nc;
        }
        size_t base = f->n_rows * (size_t)f->n_cols;
        for (int i = 0; i < f->n_cols; i++) {
            char *t = f->text + f->n_text;
            memcpy(t, c[i].s, c[i].n);
            t[c[i].n] = 0;
            f->off[base + (size_t)i] = f->n_text;
            /* a number is ASCII digits and signs: a character a byte */
            f->wid[base + (size_t)i] = c[i].kind == CELL_NUM ? c[i].n : cell_width(t, f->format == SHOAL_OUT_MARKDOWN);
            f->kinds[base + (size_t)i] = c[i].kind;
            f->n_text += c[i].n + 1;
        }
    }
    }
    f->n_rows++;
    return f->failed ? SHOAL_EIO : 0;
}

static void pad(shoal_fmt *f, size_t n)
{
    if (f->n_buf + n < OUT_BLOCK) {
        memset(f->buf + f->n_buf, ' ', n);
        f->n_buf += n;
        return;
    }
    static const char sp[] = "                                ";
    while (n) {
        size_t k = n < 32 ? n : 32;
        out(f, sp, k);
        n -= k;
    }
}

static void out_cell_text(shoal_fmt *f, const char *s, int md)
{
    /* A newline or a '|' would break the table's lines. */
    const char *run = s, *p = s;
    for (; *p; p++) {
        if (*p != '\n' && (*p != '|' || !md)) continue;
        out(f, run, (size_t)(p - run));
        outs(f, *p == '\n' ? (md ? "<br>" : "\\n") : "\\|");
        run = p + 1;
    }
    out(f, run, (size_t)(p - run));
}

int shoal_fmt_end(shoal_fmt *f, int timing, double ms)
{
    char line[96];
    int rc;
    if (f->tee && (rc = shoal_fmt_end(f->tee, timing, ms))) return rc;
    if (f->format == SHOAL_OUT_JSON) {
        outs(f, f->n_rows ? "\n]\n" : "]\n");
    } else if (f->format == SHOAL_OUT_TABLE || f->format == SHOAL_OUT_MARKDOWN) {
        int md = f->format == SHOAL_OUT_MARKDOWN;
        int nc = f->n_cols;
        size_t *w = shoal_malloc(sizeof(size_t) * (size_t)(nc ? nc : 1));
        int *right = shoal_malloc(sizeof(int) * (size_t)(nc ? nc : 1));
        if (!w || !right) {
            shoal_free(w);
            shoal_free(right);
            return SHOAL_ENOMEM;
        }
        for (int i = 0; i < nc; i++) {
            w[i] = cell_width(f->names[i], md);
            if (md && w[i] < 3) w[i] = 3;
            right[i] = 0;
        }
        for (uint64_t r = 0; r < f->n_rows; r++)
            for (int i = 0; i < nc; i++) {
                size_t k = r * (size_t)nc + (size_t)i;
                size_t cw = f->wid[k];
                if (cw > w[i]) w[i] = cw;
                if (f->kinds[k] == CELL_NUM && right[i] == 0) right[i] = 1;
                if (f->kinds[k] != CELL_NUM && f->kinds[k] != CELL_NULL) right[i] = -1;
            }
        for (int i = 0; i < nc; i++) right[i] = right[i] > 0;
        const char *sep = md ? " | " : " | ";
        if (md) outs(f, "| ");
        for (int i = 0; i < nc; i++) {
            if (i) outs(f, sep);
            out_cell_text(f, f->names[i], md);
            if (i < nc - 1 || md) pad(f, w[i] - cell_width(f->names[i], md));
        }
        outs(f, md ? " |\n" : "\n");
        if (md) outs(f, "|");
        for (int i = 0; i < nc; i++) {
            if (md) {
                outs(f, right[i] ? " " : " ");
                for (size_t k = 0; k < w[i] - (right[i] ? 1 : 0); k++) out(f, "-", 1);
                outs(f, right[i] ? ": |" : " |");
            } else {
                if (i) outs(f, "-+-");
                for (size_t k = 0; k < w[i]; k++) out(f, "-", 1);
            }
        }
        outs(f, "\n");
        for (uint64_t r = 0; r < f->n_rows; r++) {
            if (md) outs(f, "| ");
            for (int i = 0; i < nc; i++) {
                size_t k = r * (size_t)nc + (size_t)i;
                if (i) outs(f, sep);
                size_t cw = f->wid[k];
                if (right[i]) pad(f, w[i] - cw);
                if (f->kinds[k] == CELL_NUM) out(f, f->text + f->off[k], cw);
                else out_cell_text(f, f->text + f->off[k], md);
                if (!right[i] && (i < nc - 1 || md)) pad(f, w[i] - cw);
            }
            outs(f, md ? " |\n" : "\n");
        }
        shoal_free(w);
        shoal_free(right);
        if (!md) {
            snprintf(line, sizeof line, "(%llu row%s)\n", (unsigned long long)f->n_rows, f->n_rows == 1 ? "" : "s");
            outs(f, line);
        }
        drop_cells(f);
    }
    if (timing && f->format == SHOAL_OUT_TABLE) {
        snprintf(line, sizeof line, "Time: %.3f ms\n", ms);
        outs(f, line);
    }
    flush(f);
    return f->failed ? SHOAL_EIO : 0;
}

int shoal_fmt_text(shoal_fmt *f, const char *s, size_t n)
{
    out(f, s, n);
    flush(f);
    return f->failed ? SHOAL_EIO : 0;
}
