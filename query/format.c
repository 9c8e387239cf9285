/* format.c — output formats for query results: aligned table, CSV, JSON array, NDJSON
 * and markdown. Rows arrive one at a time as rendered cells; streaming formats write
 * them at once, the table and markdown keep them (copied) to size their columns (with
 * a row cap, only the rows shown: the rest are counted). Output goes through the
 * caller's write callback in 64 kB blocks: the library never touches stdout.
 *
 * CSV and JSON keep the data exactly (JSON escapes as RFC 8259 says; in CSV a NULL is
 * an empty field and an empty string is ""). The table and markdown are for a
 * terminal: a control character in the data (ESC, BEL, CR, …) is shown escaped
 * (\x1b, \r) so that it cannot move the cursor or recolour the screen, a NULL reads
 * NULL, and columns are sized by display width (East Asian wide characters and emoji
 * take two columns, combining marks none).
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
    uint64_t max_rows;     /* table: rows shown (0: all); the rest are only counted */
    const char *hint;      /* after "… N more rows": how to see them (borrowed) */
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
        shoal_copy_small(f->buf + f->n_buf, s, n);
        f->n_buf += n;
        return;
    }
    out_slow(f, s, n);
}

static void outs(shoal_fmt *f, const char *s) { out(f, s, strlen(s)); }

/* Eight bytes at a time: a word's bytes tested whole (exact, not a filter: a borrow or
 * carry can only start at a byte that is itself flagged). A cell of names and numbers
 * is some 8 bytes, and a byte at a time with a branch each was most of its test. */
#define ONES ((uint64_t)0x0101010101010101)
#define HIGHS ((uint64_t)0x8080808080808080)
static inline uint64_t has_zero(uint64_t x) { return (x - ONES) & ~x & HIGHS; }
static inline uint64_t has_byte(uint64_t x, unsigned char c) { return has_zero(x ^ (ONES * c)); }
static inline uint64_t has_below(uint64_t x, unsigned char c) { return (x - ONES * c) & ~x & HIGHS; }   /* c <= 128 */
static inline uint64_t has_above(uint64_t x, unsigned char c) { return ((x + ONES * (127 - c)) | x) & HIGHS; }   /* c <= 127 */

/* s[i..i+8) as a word, the bytes past n (at most 7 of them) read as fill: nothing is
 * read past s + n. */
static inline uint64_t word_at(const char *s, size_t i, size_t n, unsigned char fill)
{
    uint64_t x;
    if (n - i >= 8) {
        memcpy(&x, s + i, 8);
        return x;
    }
    char b[8];
    memset(b, fill, 8);
    shoal_copy_small(b, s + i, n - i);
    memcpy(&x, b, 8);
    return x;
}

/* Whether s[0..n) holds a byte CSV must quote: , " \n \r. */
static inline __attribute__((always_inline)) int csv_needs_quote(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = word_at(s, i, n, 'a');
        if (has_byte(x, ',') | has_byte(x, '"') | has_byte(x, '\n') | has_byte(x, '\r')) return 1;
    }
    return 0;
}

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
    if (n == 0) return;
    if (!csv_needs_quote(s, n)) {
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

void shoal_fmt_set_max_rows(shoal_fmt *f, uint64_t n, const char *hint)
{
    if (f->format != SHOAL_OUT_TABLE) return;
    f->max_rows = n;
    f->hint = hint;
}

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

/* ---------------------------------------------------------------- display width */

/* Code points that take two columns on a terminal: East Asian Wide and Fullwidth
 * (Unicode 15 EastAsianWidth.txt, W and F, merged into ranges) and the emoji that
 * terminals draw wide (Emoji_Presentation). Sorted, for a binary search. */
static const uint32_t wide[][2] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0x303E}, {0x3041, 0x3247}, {0x3250, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
    {0xA000, 0xA4CF}, {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4}, {0x16FF0, 0x16FF1},
    {0x17000, 0x18D08}, {0x1AFF0, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
    {0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248}, {0x1F250, 0x1F251},
    {0x1F260, 0x1F265}, {0x1F300, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393},
    {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
    {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567},
    {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5},
    {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC},
    {0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Code points that take no column: combining marks, zero-width characters and joiners,
 * variation selectors (a base and its marks are one glyph). */
static const uint32_t zero[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302D},
    {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF},
    {0xE0000, 0xE0FFF},
};

static int in_ranges(uint32_t cp, const uint32_t (*r)[2], int n)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < r[mid][0]) hi = mid - 1;
        else if (cp > r[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

/* The code point at p (len bytes of it in *len), or -1 and *len 1 for a byte that
 * does not start a well-formed UTF-8 sequence. */
static int32_t utf8_next(const unsigned char *p, int *len)
{
    unsigned c = p[0];
    int n = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    *len = 1;
    if (!n) return -1;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return -1;   /* also stops at the NUL */
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return -1;
    *len = n;
    return (int32_t)cp;
}

/* How a character of a table or markdown cell is shown: NULL when as it is, else the
 * escape that replaces it (into buf). A C0 control, DEL, a C1 control and a malformed
 * byte would act on the terminal or garble it; a newline or '|' would break the
 * table's lines. */
static const char *cell_escape(int32_t cp, unsigned byte, int md, char buf[8])
{
    static const char hex[] = "0123456789abcdef";
    if (cp == '\n') return md ? "<br>" : "\\n";
    if (cp == '|') return md ? "\\|" : NULL;
    if (cp == '\r') return "\\r";
    if (cp == '\t') return "\\t";
    if (cp >= 0 && cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)) return NULL;
    unsigned v = cp >= 0 ? (unsigned)cp : byte;
    if (cp >= 0x80) {
        memcpy(buf, "\\u00", 4);
        buf[4] = hex[v >> 4];
        buf[5] = hex[v & 15];
        buf[6] = 0;
    } else {
        memcpy(buf, "\\x", 2);
        buf[2] = hex[v >> 4];
        buf[3] = hex[v & 15];
        buf[4] = 0;
    }
    return buf;
}

/* The columns s takes as cell_text writes it. */
static size_t width(const char *s, int md)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len;
        int32_t cp = utf8_next(p, &len);
        char buf[8];
        const char *esc = cell_escape(cp, *p, md, buf);
        if (esc) w += strlen(esc);
        else if (cp < 0x300) w += 1;
        else if (in_ranges((uint32_t)cp, zero, (int)(sizeof zero / sizeof zero[0]))) w += 0;
        else w += in_ranges((uint32_t)cp, wide, (int)(sizeof wide / sizeof wide[0])) ? 2 : 1;
        p += len;
    }
    return w;
}

static size_t cell_width(const char *s, int md)
{
    /* printable ASCII without '|' (most cells): a column a byte */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p >= 0x7F || *p < 0x20 || *p == '|') return width(s, md);
    return n;
}

/* Whether s[0..n) is printable ASCII without '|' (and no NUL: a cell's text ends at
 * its first), which a table shows as it is, a column a byte. */
static int plain_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = word_at(s, i, n, 'a');
        if (has_below(x, 0x20) | has_above(x, 0x7E) | has_byte(x, '|')) return 0;
    }
    return 1;
}

/* A table cell's kind with this bit: its text is plain_ascii. */
#define CELL_PLAIN 0x100

/* The text NULL takes in a table: unlike an empty string, as psql's \pset null and
 * DuckDB's shell show it. */
#define NULL_TEXT "NULL"

/* Room for n more rows' cells (table and markdown: the arrays of offsets, widths and
 * kinds), so that they grow once and not by doubling, each copying what it held. */
static int grow_rows(shoal_fmt *f, uint64_t n)
{
    size_t nk = (size_t)n * (size_t)f->n_cols;
    size_t *off = shoal_realloc(f->off, nk * sizeof *off);
    if (off) f->off = off;
    size_t *wid = shoal_realloc(f->wid, nk * sizeof *wid);
    if (wid) f->wid = wid;
    int *kinds = shoal_realloc(f->kinds, nk * sizeof *kinds);
    if (kinds) f->kinds = kinds;
    if (!off || !wid || !kinds) return SHOAL_ENOMEM;
    f->cap_rows = (size_t)n;
    return 0;
}

int shoal_fmt_reserve(shoal_fmt *f, uint64_t n)
{
    int rc;
    if (f->tee && (rc = shoal_fmt_reserve(f->tee, n))) return rc;
    if (f->format != SHOAL_OUT_TABLE && f->format != SHOAL_OUT_MARKDOWN) return 0;
    uint64_t want = f->n_rows + n;
    if (f->max_rows && want > f->max_rows) want = f->max_rows < f->n_rows ? f->n_rows : f->max_rows;
    if (want <= f->cap_rows || want > SIZE_MAX / 16 / (size_t)(f->n_cols ? f->n_cols : 1)) return 0;
    return grow_rows(f, want);
}

int shoal_fmt_row(shoal_fmt *f, const cell *c)
{
    int rc;
    if (f->tee && (rc = shoal_fmt_row(f->tee, c))) return rc;
    switch (f->format) {
    case SHOAL_OUT_CSV: {
        /* A row that fits the block's room at its longest (each byte doubled, quotes and
         * commas), the most: written through a pointer of its own, a cell's bytes and
         * its test in line (through out(), every byte stored made the compiler read
         * the block's fill and the cells again: some 250 instructions a row of a name
         * and two counts) */
        size_t need = 1;
        for (int i = 0; i < f->n_cols; i++) need += 2 * c[i].n + 3;
        if (need < OUT_BLOCK - f->n_buf) {
            char *b = f->buf + f->n_buf, *const b0 = b;
            for (int i = 0; i < f->n_cols; i++) {
                const char *s = c[i].s;
                size_t n = c[i].n;
                if (i) *b++ = ',';
                if (n == 0) {   /* (NULL: nothing; an empty string: "") */
                    if (c[i].kind != CELL_NULL) b[0] = b[1] = '"', b += 2;
                    continue;
                }
                if (c[i].kind == CELL_NUM || !csv_needs_quote(s, n)) {
                    shoal_copy_small(b, s, n);
                    b += n;
                    continue;
                }
                *b++ = '"';
                for (size_t j = 0; j < n; j++) {
                    if (s[j] == '"') *b++ = '"';
                    *b++ = s[j];
                }
                *b++ = '"';
            }
            *b++ = '\n';
            f->n_buf += (size_t)(b - b0);
            break;
        }
        for (int i = 0; i < f->n_cols; i++) {
            if (i) out(f, ",", 1);
            /* NULL is an empty field; an empty string is "" (as sqlite3 and PostgreSQL's
             * COPY … CSV write them), so the two read back apart. */
            if (c[i].n == 0 && c[i].kind != CELL_NULL) out(f, "\"\"", 2);
            else if (c[i].kind == CELL_NUM) out(f, c[i].s, c[i].n);   /* digits, signs, '.', 'e', NaN, Infinity: nothing to quote */
            else out_csv(f, c[i].s, c[i].n);
        }
        out(f, "\n", 1);
        break;
    }
    case SHOAL_OUT_JSON:
        out(f, f->n_rows ? ",\n" : "\n", f->n_rows ? 2 : 1);
        out_object(f, c);
        break;
    case SHOAL_OUT_NDJSON:
        out_object(f, c);
        out(f, "\n", 1);
        break;
    default: {
        if (f->max_rows && f->n_rows >= f->max_rows) break;   /* only counted */
        if (f->n_rows == f->cap_rows && (rc = grow_rows(f, f->cap_rows ? f->cap_rows * 2 : 64))) return rc;
        size_t base = f->n_rows * (size_t)f->n_cols;
        for (int i = 0; i < f->n_cols; i++) {
            const char *src = c[i].kind == CELL_NULL ? NULL_TEXT : c[i].s;
            size_t n = c[i].kind == CELL_NULL ? sizeof NULL_TEXT - 1 : c[i].n;
            if (f->n_text + n + 1 > f->cap_text) {   /* (a cell at a time: no pass over the row first) */
                size_t nc = f->cap_text ? f->cap_text : 65536;
                while (nc < f->n_text + n + 1) nc *= 2;
                char *t = shoal_realloc(f->text, nc);
                if (!t) return SHOAL_ENOMEM;
                f->text = t;
                f->cap_text = nc;
            }
            char *t = f->text + f->n_text;
            shoal_copy_small(t, src, n);
            t[n] = 0;
            f->off[base + (size_t)i] = f->n_text;
            /* a number is ASCII digits and signs: a character a byte; so is a plain
             * text (printable ASCII without '|': nothing to escape), which fmt_end then
             * copies whole as it does a number, without looking at it again */
            int plain = c[i].kind == CELL_NUM || plain_ascii(t, n);
            f->wid[base + (size_t)i] = plain ? n : cell_width(t, f->format == SHOAL_OUT_MARKDOWN);
            f->kinds[base + (size_t)i] = c[i].kind | (plain ? CELL_PLAIN : 0);
            f->n_text += n + 1;
        }
    }
    }
    f->n_rows++;
    return f->failed ? SHOAL_EIO : 0;
}

static void pad(shoal_fmt *f, size_t n)
{
    static const char sp[] = "                                ";
    if (n <= 32 && f->n_buf + 32 < OUT_BLOCK) {
        /* (most pads: 32 spaces copied, n of them kept, no call) */
        memcpy(f->buf + f->n_buf, sp, 32);
        f->n_buf += n;
        return;
    }
    if (f->n_buf + n < OUT_BLOCK) {
        memset(f->buf + f->n_buf, ' ', n);
        f->n_buf += n;
        return;
    }
    while (n) {
        size_t k = n < 32 ? n : 32;
        out(f, sp, k);
        n -= k;
    }
}

/* A cell's text, its control characters (and in markdown its '|') escaped. */
static void out_cell_text(shoal_fmt *f, const char *s, int md)
{
    const char *run = s, *p = s;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c < 0x7F && c != '|') {
            p++;
            continue;
        }
        int len;
        int32_t cp = utf8_next((const unsigned char *)p, &len);
        char buf[8];
        const char *esc = cell_escape(cp, c, md, buf);
        if (esc) {
            out(f, run, (size_t)(p - run));
            outs(f, esc);
            run = p + len;
        }
        p += len;
    }
    out(f, run, (size_t)(p - run));
}

int shoal_fmt_end(shoal_fmt *f)
{
    char line[96];
    int rc;
    if (f->tee && (rc = shoal_fmt_end(f->tee))) return rc;
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
        uint64_t shown = f->max_rows && f->n_rows > f->max_rows ? f->max_rows : f->n_rows;
        for (uint64_t r = 0; r < shown; r++)
            for (int i = 0; i < nc; i++) {
                size_t k = r * (size_t)nc + (size_t)i;
                size_t cw = f->wid[k];
                if (cw > w[i]) w[i] = cw;
                int kind = f->kinds[k] & ~CELL_PLAIN;
                if (kind == CELL_NUM && right[i] == 0) right[i] = 1;
                if (kind != CELL_NUM && kind != CELL_NULL) right[i] = -1;
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
        /* The table's rows (not markdown's) of plain cells: every line has the same
         * layout, so a line is a copy of a template of spaces and separators, each
         * cell's text then copied to its place (left: at its column's start; right:
         * ending at its end), the last column left-aligned ending the line at its text;
         * written through a pointer of its own where the general path called pad and
         * out a piece at a time (issue 17: core creator's 2585 rows). A row with a cell
         * to escape, or a line the block cannot hold, goes the general way. */
        size_t *start = md || nc == 0 ? NULL : shoal_malloc(sizeof(size_t) * (size_t)nc);
        char *tpl = NULL;
        size_t linew = 0;
        if (start) {
            for (int i = 0; i < nc; i++) start[i] = i ? start[i - 1] + w[i - 1] + 3 : 0;
            linew = start[nc - 1] + w[nc - 1];
            if (linew + 1 < OUT_BLOCK && (tpl = shoal_malloc(linew + 1))) {
                memset(tpl, ' ', linew);
                for (int i = 1; i < nc; i++) tpl[start[i] - 2] = '|';
            }
        }
        for (uint64_t r = 0; r < shown; r++) {
            if (tpl) {
                size_t k0 = r * (size_t)nc;
                int plain = 1;
                for (int i = 0; i < nc; i++) plain &= (f->kinds[k0 + (size_t)i] & CELL_PLAIN) != 0;
                size_t len = right[nc - 1] ? linew : start[nc - 1] + f->wid[k0 + (size_t)nc - 1];
                if (plain) {
                    if (f->n_buf + len + 1 >= OUT_BLOCK) flush(f);
                    char *b = f->buf + f->n_buf;
                    memcpy(b, tpl, len);
                    for (int i = 0; i < nc; i++) {
                        size_t k = k0 + (size_t)i, cw = f->wid[k];
                        shoal_copy_small(b + start[i] + (right[i] ? w[i] - cw : 0), f->text + f->off[k], cw);
                    }
                    b[len] = '\n';
                    f->n_buf += len + 1;
                    continue;
                }
            }
            if (md) outs(f, "| ");
            for (int i = 0; i < nc; i++) {
                size_t k = r * (size_t)nc + (size_t)i;
                if (i) out(f, sep, 3);
                size_t cw = f->wid[k];
                if (right[i]) pad(f, w[i] - cw);
                if (f->kinds[k] & CELL_PLAIN) out(f, f->text + f->off[k], cw);
                else out_cell_text(f, f->text + f->off[k], md);
                if (!right[i] && (i < nc - 1 || md)) pad(f, w[i] - cw);
            }
            if (md) out(f, " |\n", 3);
            else out(f, "\n", 1);
        }
        shoal_free(w);
        shoal_free(right);
        shoal_free(start);
        shoal_free(tpl);
        if (shown < f->n_rows) {
            snprintf(line, sizeof line, "… %llu more row%s", (unsigned long long)(f->n_rows - shown),
                     f->n_rows - shown == 1 ? "" : "s");
            outs(f, line);
            if (f->hint) {
                outs(f, " (");
                outs(f, f->hint);
                outs(f, ")");
            }
            outs(f, "\n");
        }
        if (!md) {
            snprintf(line, sizeof line, "(%llu row%s)\n", (unsigned long long)f->n_rows, f->n_rows == 1 ? "" : "s");
            outs(f, line);
        }
        drop_cells(f);
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
