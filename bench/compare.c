/* bench/compare.c — do two engines' answers to one question agree?
 *
 *   compare GOT.csv WANT.csv [--rel 1e-6] [--abs 1e-9]
 *
 * Both files are CSV with a header row. Rows are compared as multisets: each file's
 * rows are sorted first, so engines need not agree on the order of ties. Cells compare
 * as numbers when both parse as numbers (within the relative or absolute tolerance,
 * since engines sum floating point in different orders), as booleans when both are
 * true/false/t/f spellings or a boolean and 0/1, and as exact strings otherwise; an
 * empty cell equals an empty cell or NULL. Header names are compared case-insensitively
 * but only warned about. Exit status 0 when the answers agree, 1 when they differ (the
 * first differences are printed), 2 on a usage or read error.
 *
 * Answers of any size in bounded memory (at 100M events one answer holds ~20M rows):
 * each file's rows go, one a line as "KEY<TAB>CELLS", to a file in a scratch directory
 * beside GOT; GNU sort orders the two files on disk (LC_ALL=C, a 512 MB buffer, both at
 * once); the sorted files are then read side by side. The key rounds numbers to 6
 * significant digits, so that two engines' sums that differ in the last bits sort to
 * the same place; the cells themselves are compared within the tolerance. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind { EMPTY, BOOL, NUM, STR };

struct cell {
    enum kind kind;
    double num;         /* NUM, and BOOL as 0 or 1 */
    const char *text;   /* trimmed, not terminated */
    size_t len;
};

/* a growable byte buffer */
struct buf {
    char *p;
    size_t len, cap;
};

static void grow(struct buf *b, size_t n)
{
    {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "compare: out of memory\n");
            exit(2);
        }
        b->p = p;
        b->cap = cap;
    }
}

static inline void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static inline void putc1(struct buf *b, char c)
{
    if (b->len + 2 > b->cap)
        grow(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}

static int word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* what a cell is: the same rules for both files */
static struct cell classify(const char *s, size_t n)
{
    struct cell c = { STR, 0, s, n };
    while (c.len && isspace((unsigned char)c.text[0]))
        c.text++, c.len--;
    while (c.len && isspace((unsigned char)c.text[c.len - 1]))
        c.len--;
    if (c.len == 0 || word_is(c.text, c.len, "null")) {
        c.kind = EMPTY;
        return c;
    }
    if (word_is(c.text, c.len, "true") || word_is(c.text, c.len, "t")) {
        c.kind = BOOL, c.num = 1;
        return c;
    }
    if (word_is(c.text, c.len, "false") || word_is(c.text, c.len, "f")) {
        c.kind = BOOL, c.num = 0;
        return c;
    }
    /* a decimal number, nothing else: strtod would also take hex, inf and nan */
    if (c.len < 64 && memchr("+-.0123456789", c.text[0], 13)) {
        char tmp[64], *end;
        size_t i;
        for (i = 0; i < c.len; i++) {
            if (!memchr("+-.0123456789eE", c.text[i], 15))
                break;
        }
        if (i == c.len) {
            memcpy(tmp, c.text, c.len);
            tmp[c.len] = 0;
            errno = 0;
            double v = strtod(tmp, &end);
            if (end == tmp + c.len && isfinite(v)) {
                c.kind = NUM, c.num = v;
                return c;
            }
        }
    }
    return c;
}

static int cell_eq(const struct cell *a, const struct cell *b, double rel, double abs_)
{
    if ((a->kind == BOOL && b->kind == NUM) || (a->kind == NUM && b->kind == BOOL))
        return a->num == b->num;
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case EMPTY:
        return 1;
    case BOOL:
        return a->num == b->num;
    case NUM: {
        double d = fabs(a->num - b->num), m = fmax(fabs(a->num), fabs(b->num));
        return d <= fmax(abs_, rel * m);
    }
    case STR:
        return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
    }
    return 0;
}

/* One CSV record (RFC 4180: quoted cells may hold commas, quotes doubled, newlines)
 * into cells: their unquoted text one after another in TEXT, cell i from start[i] to
 * end[i]. read_record returns 1 for a record, 0 at the end of the file, -1 on a
 * malformed record. */
struct record {
    struct buf text;
    size_t *start, *end;
    size_t n, cap;
};

static void record_cell(struct record *r, size_t from)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->start = realloc(r->start, r->cap * sizeof *r->start);
        r->end = realloc(r->end, r->cap * sizeof *r->end);
        if (!r->start || !r->end) {
            fprintf(stderr, "compare: out of memory\n");
            exit(2);
        }
    }
    r->start[r->n] = from;
    r->end[r->n] = r->text.len;
    r->n++;
}

static int read_record(FILE *f, struct record *r)
{
    int c = getc_unlocked(f);
    if (c == EOF)
        return 0;
    r->text.len = 0;
    r->n = 0;
    size_t from = 0;
    for (;;) {
        if (c == '"') {   /* a quoted cell */
            for (;;) {
                c = getc_unlocked(f);
                if (c == EOF)
                    return -1;
                if (c == '"') {
                    c = getc_unlocked(f);
                    if (c != '"')
                        break;
                }
                putc1(&r->text, (char)c);
            }
        } else {
            while (c != ',' && c != '\n' && c != EOF) {
                if (c != '\r')
                    putc1(&r->text, (char)c);
                c = getc_unlocked(f);
            }
        }
        if (c == '\r')
            c = getc_unlocked(f);
        record_cell(r, from);
        if (c == ',') {
            putc1(&r->text, 0);
            from = r->text.len;
            c = getc_unlocked(f);
            continue;
        }
        if (c == '\n' || c == EOF)
            return 1;
        return -1;   /* text after a closing quote */
    }
}

/* a cell's text in a line of the keyed file: tab, newline, 0x1f and backslash escaped */
static void put_escaped(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\\': put(b, "\\\\", 2); break;
        case '\t': put(b, "\\t", 2); break;
        case '\n': put(b, "\\n", 2); break;
        case '\r': put(b, "\\r", 2); break;
        case 0x1f: put(b, "\\u", 2); break;
        default: putc1(b, s[i]);
        }
    }
}

static void unescape(char *s, size_t *n)
{
    size_t o = 0;
    for (size_t i = 0; i < *n; i++) {
        if (s[i] == '\\' && i + 1 < *n) {
            char e = s[++i];
            s[o++] = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'u' ? 0x1f : e;
        } else {
            s[o++] = s[i];
        }
    }
    *n = o;
}

/* a number's part of the sort key: the number rounded to 6 significant digits, as
 * "n" and its exponent and digits (any text that nearly equal numbers share will do:
 * both files get the same for the same value) */
static void put_number_key(struct buf *b, double v)
{
    char num[48];
    int n;
    if (v == 0) {
        n = snprintf(num, sizeof num, "n0");
    } else {
        int e = (int)floor(log10(fabs(v)));
        double m = nearbyint(v * pow(10, 5 - e));
        if (fabs(m) >= 1e6)
            m = nearbyint(m / 10), e++;
        n = snprintf(num, sizeof num, "n%d:%lld", e, (long long)m);
    }
    put(b, num, (size_t)n);
}

/* PATH's rows to OUT as "KEY<TAB>CELLS" lines; its header's cells into HEADER (one
 * string, cells separated by commas, for the messages); returns the number of rows,
 * or -1 with a message. */
static long keyed(const char *path, const char *out_path, struct buf *header, size_t *columns)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "compare: %s: %s\n", path, strerror(errno));
        return -1;
    }
    FILE *out = fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "compare: %s: %s\n", out_path, strerror(errno));
        fclose(f);
        return -1;
    }
    struct record r = { 0 };
    struct buf line = { 0 };
    long rows = -1, lineno = 1;
    int got = read_record(f, &r);
    if (got == 0) {
        fprintf(stderr, "compare: %s: empty file (no header)\n", path);
        goto done;
    }
    if (got < 0) {
        fprintf(stderr, "compare: %s:1: malformed CSV\n", path);
        goto done;
    }
    *columns = r.n;
    header->len = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (i)
            putc1(header, ',');
        put(header, r.text.p + r.start[i], r.end[i] - r.start[i]);
    }
    rows = 0;
    while ((got = read_record(f, &r)) > 0) {
        lineno++;
        line.len = 0;
        for (size_t i = 0; i < r.n; i++) {
            struct cell c = classify(r.text.p + r.start[i], r.end[i] - r.start[i]);
            if (i)
                putc1(&line, 0x1f);
            if (c.kind == NUM || c.kind == BOOL) {
                put_number_key(&line, c.num);
            } else {
                putc1(&line, 's');
                if (c.kind == STR)
                    put_escaped(&line, c.text, c.len);
            }
        }
        putc1(&line, '\t');
        for (size_t i = 0; i < r.n; i++) {
            if (i)
                putc1(&line, 0x1f);
            put_escaped(&line, r.text.p + r.start[i], r.end[i] - r.start[i]);
        }
        putc1(&line, '\n');
        fwrite(line.p, 1, line.len, out);
        rows++;
    }
    if (got < 0) {
        fprintf(stderr, "compare: %s:%ld: malformed CSV\n", path, lineno + 1);
        rows = -1;
    }
done:
    if (fclose(out) != 0 && rows >= 0) {
        fprintf(stderr, "compare: %s: %s\n", out_path, strerror(errno));
        rows = -1;
    }
    fclose(f);
    free(r.text.p);
    free(r.start);
    free(r.end);
    free(line.p);
    return rows;
}

static pid_t sort_start(const char *src, const char *dst, const char *tmp)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LC_ALL", "C", 1);
        execlp("sort", "sort", "-S", "512M", "-T", tmp, "-o", dst, src, (char *)NULL);
        fprintf(stderr, "compare: sort: %s\n", strerror(errno));
        _exit(127);
    }
    return pid;
}

static int sort_wait(pid_t pid)
{
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* a sorted line's cells (after its tab), unescaped in place */
static size_t split_cells(char *line, size_t len, struct cell *cells, size_t max)
{
    char *tab = memchr(line, '\t', len);
    char *p = tab ? tab + 1 : line, *end = line + len;
    if (end > p && end[-1] == '\n')
        end--;
    size_t n = 0;
    while (n < max) {
        char *sep = memchr(p, 0x1f, (size_t)(end - p));
        char *stop = sep ? sep : end;
        size_t l = (size_t)(stop - p);
        unescape(p, &l);
        cells[n++] = classify(p, l);
        if (!sep)
            break;
        p = sep + 1;
    }
    return n;
}

static void show(const struct cell *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%.*s", i ? "," : "", (int)c[i].len, c[i].text);
}

int main(int argc, char **argv)
{
    const char *args[2];
    int nargs = 0;
    double rel = 1e-6, abs_ = 1e-9;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--rel") || !strcmp(argv[i], "--abs")) && i + 1 < argc) {
            *(argv[i][2] == 'r' ? &rel : &abs_) = strtod(argv[i + 1], NULL);
            i++;
        } else if (nargs < 2) {
            args[nargs++] = argv[i];
        } else {
            nargs = 3;
        }
    }
    if (nargs != 2) {
        fprintf(stderr, "usage: compare GOT.csv WANT.csv [--rel 1e-6] [--abs 1e-9]\n");
        return 2;
    }

    /* the scratch directory, beside GOT (a large answer's keys are as large) */
    char tmp[4096];
    const char *slash = strrchr(args[0], '/');
    snprintf(tmp, sizeof tmp, "%.*s.compare.XXXXXX", slash ? (int)(slash - args[0] + 1) : 0, args[0]);
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "compare: %s: %s\n", tmp, strerror(errno));
        return 2;
    }
    char kg[4200], kw[4200], sg[4200], sw[4200];
    snprintf(kg, sizeof kg, "%s/got", tmp);
    snprintf(kw, sizeof kw, "%s/want", tmp);
    snprintf(sg, sizeof sg, "%s/got.sorted", tmp);
    snprintf(sw, sizeof sw, "%s/want.sorted", tmp);

    int status = 2, problems = 0;
    struct buf hg = { 0 }, hw = { 0 };
    size_t cg = 0, cw = 0;
    long ng = keyed(args[0], kg, &hg, &cg);
    long nw = ng < 0 ? -1 : keyed(args[1], kw, &hw, &cw);
    if (ng < 0 || nw < 0)
        goto out;
    if (hg.len != hw.len || (hg.len && strncasecmp(hg.p, hw.p, hg.len) != 0))
        printf("compare: warning: headers differ: %s vs %s\n", hg.p ? hg.p : "", hw.p ? hw.p : "");
    if (cg != cw)
        printf("compare: %zu columns, want %zu\n", cg, cw), problems++;
    if (ng != nw)
        printf("compare: %ld rows, want %ld\n", ng, nw), problems++;
    if (!problems) {
        pid_t a = sort_start(kg, sg, tmp), b = sort_start(kw, sw, tmp);
        int ra = sort_wait(a), rb = sort_wait(b);
        if (ra || rb) {
            fprintf(stderr, "compare: sort failed\n");
            goto out;
        }
        unlink(kg);
        unlink(kw);
        FILE *fg = fopen(sg, "r"), *fw = fopen(sw, "r");
        if (!fg || !fw) {
            fprintf(stderr, "compare: %s: %s\n", !fg ? sg : sw, strerror(errno));
            if (fg)
                fclose(fg);
            if (fw)
                fclose(fw);
            goto out;
        }
        char *lg = NULL, *lw = NULL;
        size_t capg = 0, capw = 0, ncells = cg ? cg : 1;
        struct cell *g = malloc(ncells * sizeof *g), *w = malloc(ncells * sizeof *w);
        ssize_t len_g, len_w;
        long row = 0;
        while ((len_g = getline(&lg, &capg, fg)) > 0 && (len_w = getline(&lw, &capw, fw)) > 0) {
            row++;
            char *tg = memchr(lg, '\t', (size_t)len_g), *tw = memchr(lw, '\t', (size_t)len_w);
            /* the same cells' text: equal without a look at each */
            if (tg && tw && len_g - (tg - lg) == len_w - (tw - lw) &&
                memcmp(tg, tw, (size_t)(len_g - (tg - lg))) == 0)
                continue;
            size_t a_n = split_cells(lg, (size_t)len_g, g, ncells);
            size_t b_n = split_cells(lw, (size_t)len_w, w, ncells);
            int same = a_n == b_n;
            for (size_t i = 0; same && i < a_n; i++)
                same = cell_eq(&g[i], &w[i], rel, abs_);
            if (!same) {
                printf("compare: sorted row %ld: got ", row);
                show(g, a_n);
                printf(", want ");
                show(w, b_n);
                printf("\n");
                if (++problems >= 5)
                    break;
            }
        }
        free(lg);
        free(lw);
        free(g);
        free(w);
        fclose(fg);
        fclose(fw);
    }
    status = problems ? 1 : 0;
out:
    unlink(kg);
    unlink(kw);
    unlink(sg);
    unlink(sw);
    rmdir(tmp);
    free(hg.p);
    free(hw.p);
    return status;
}
