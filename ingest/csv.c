/* csv.c — RFC 4180 CSV records -> shoal_event, first pipeline stage beside ndjson.c.
 *
 * The header row names the columns: id, ts, member, type and group are the event's
 * fields, every other column is a property. input.c frames records with
 * shoal_csv_frame (a quote opens only at the start of a field, so a record may span
 * lines inside quotes) and hands each one here. Values are typed by their text:
 * empty = absent, true/false = bool, the JSON number grammar = number, else string.
 */
#include "input.h"
#include "shoal_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Column roles. */
enum { COL_PROP = 0, COL_ID, COL_TS, COL_MEMBER, COL_TYPE, COL_GROUP };

/* More columns than any event can use (5 fields + 64 properties), with room for
 * sparse exports whose rows fill few of them; bounds the scratch arrays. */
#define MAX_COLS 4096

struct shoal_csv {
    uint32_t n_cols;
    unsigned char *role;  /* COL_* per column */
    shoal_str *name;      /* column names, in names */
    char *names;
    shoal_str *f;         /* scratch: one record's fields */
};

/* Framing states. */
enum { ST_START = 0, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_IN_QUOTED };

size_t shoal_csv_frame(const char *p, size_t n, int *st, uint64_t *n_nl)
{
    size_t i = 0;
    int s = *st;

    if (s != ST_QUOTED) {
        /* Most records hold no quote at all: then the record ends at the newline. */
        const char *nl = memchr(p, '\n', n);
        size_t lim = nl ? (size_t)(nl - p) : n;
        if (nl && !memchr(p, '"', lim)) {
            *st = ST_START;
            return lim;
        }
    }
    while (i < n) {
        if (s == ST_QUOTED) {
            const char *q = memchr(p + i, '"', n - i);
            size_t stop = q ? (size_t)(q - p) : n;
            for (const char *c = p + i; (c = memchr(c, '\n', (size_t)(p + stop - c))) != NULL; c++) (*n_nl)++;
            if (!q) {
                i = n;
                break;
            }
            i = stop + 1;
            s = ST_QUOTE_IN_QUOTED;
            continue;
        }
        char c = p[i];
        if (c == '\n') {
            *st = ST_START;
            return i;
        }
        if (c == ',') s = ST_START;
        else if (c == '"') s = s == ST_UNQUOTED ? ST_UNQUOTED : ST_QUOTED;
        else s = ST_UNQUOTED;
        i++;
    }
    *st = s;
    return n;
}

int shoal_csv_frame_quoted(int st) { return st == ST_QUOTED; }

int shoal_csv_quoting_ok(const char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        if (i < n && p[i] == '"') {
            for (i++;;) {
                const char *q = memchr(p + i, '"', n - i);
                if (!q) return 0;
                i = (size_t)(q - p) + 1;
                if (i < n && p[i] == '"') {
                    i++;
                    continue;
                }
                break;
            }
            if (i < n && p[i] != ',') return 0;
        } else {
            const char *c = memchr(p + i, ',', n - i);
            size_t j = c ? (size_t)(c - p) : n;
            if (memchr(p + i, '"', j - i)) return 0;
            i = j;
        }
        if (i >= n) return 1;
        i++;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
fail(shoal_err *err, const char *base, const char *at, size_t len, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return shoal_err_set(err, SHOAL_EFORMAT, at ? (int)(at - base) : -1, at ? (int)len : -1, "%s", msg);
}

/* Splits record p[0..n) into fields, unescaped into o (n bytes suffice: "" shrinks to
 * one quote). Stores the first max fields in f and counts all of them in *n_f. */
static int split(const char *p, size_t n, int at_eof, char *o, shoal_str *f, uint32_t max, uint32_t *n_f,
                 shoal_err *err)
{
    size_t i = 0;
    uint32_t k = 0;
    char qb[200];

    for (;;) {
        shoal_str v;
        v.ptr = o;
        if (i < n && p[i] == '"') {
            size_t open = i++;
            for (;;) {
                const char *q = memchr(p + i, '"', n - i);
                if (!q)
                    return fail(err, p, p + open, n - open, "unterminated quoted field%s",
                                at_eof == SHOAL_CSV_CUT ? ": this line alone is rejected, and reading resumes at "
                                                          "the next line"
                                : at_eof ? " at end of file"
                                         : "");
                size_t j = (size_t)(q - p);
                memcpy(o, p + i, j - i);
                o += j - i;
                i = j + 1;
                if (i < n && p[i] == '"') {
                    *o++ = '"';
                    i++;
                    continue;
                }
                break;
            }
            if (i < n && p[i] != ',') {
                size_t m = n - i < 16 ? n - i : 16;
                return fail(err, p, p + i, 1, "field %u: unexpected \"%s\" after the closing quote", k + 1,
                            shoal_err_quote(qb, sizeof qb, p + i, m));
            }
        } else {
            const char *c = memchr(p + i, ',', n - i);
            size_t j = c ? (size_t)(c - p) : n;
            const char *q = memchr(p + i, '"', j - i);
            if (q) return fail(err, p, q, 1, "field %u: quote inside an unquoted field", k + 1);
            memcpy(o, p + i, j - i);
            o += j - i;
            i = j;
        }
        v.len = (uint32_t)(o - v.ptr);
        if (k < max) f[k] = v;
        k++;
        if (i >= n) break;
        i++;  /* the comma */
    }
    *n_f = k;
    return 0;
}

int shoal_csv_fields(const char *p, size_t n, int at_eof, shoal_arena *a, shoal_str *f, uint32_t max,
                     uint32_t *n_f, shoal_err *err)
{
    char *o = shoal_arena_alloc(a, n + 1);
    *n_f = 0;
    if (!o) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return split(p, n, at_eof, o, f, max, n_f, err);
}

void shoal_csv_free(shoal_csv *c)
{
    if (!c) return;
    shoal_free(c->role);
    shoal_free(c->name);
    shoal_free(c->names);
    shoal_free(c->f);
    shoal_free(c);
}

int shoal_csv_new(const char *p, size_t n, shoal_csv **out, shoal_err *err)
{
    static const struct {
        const char *name;
        int role;
    } fields[] = {{"id", COL_ID}, {"ts", COL_TS}, {"member", COL_MEMBER}, {"type", COL_TYPE}, {"group", COL_GROUP}};
    char qb[200];
    int rc = SHOAL_ENOMEM;
    uint32_t n_f = 0;
    shoal_csv *c = shoal_malloc(sizeof *c);

    *out = NULL;
    if (!c) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    memset(c, 0, sizeof *c);
    c->names = shoal_malloc(n + 1);
    c->f = shoal_malloc(MAX_COLS * sizeof *c->f);
    if (!c->names || !c->f) goto nomem;
    if ((rc = split(p, n, 0, c->names, c->f, MAX_COLS, &n_f, err))) goto fail;
    if (n_f > MAX_COLS) {
        rc = fail(err, p, NULL, 0, "header has %u columns (at most %d)", n_f, MAX_COLS);
        goto fail;
    }
    c->n_cols = n_f;
    c->role = shoal_malloc(n_f);
    c->name = shoal_malloc(n_f * sizeof *c->name);
    if (!c->role || !c->name) goto nomem;
    memcpy(c->name, c->f, n_f * sizeof *c->name);

    unsigned have = 0;
    for (uint32_t k = 0; k < n_f; k++) {
        shoal_str s = c->name[k];
        c->role[k] = COL_PROP;
        if (s.len == 0) {
            rc = fail(err, p, NULL, 0, "empty column name in header (column %u)", k + 1);
            goto fail;
        }
        if (!shoal_utf8_valid(s.ptr, s.len)) {
            rc = fail(err, p, NULL, 0, "invalid UTF-8 in header (column %u)", k + 1);
            goto fail;
        }
        if (s.len > SHOAL_MAX_NAME) {
            rc = fail(err, p, NULL, 0, "column name \"%s\" is longer than %d bytes",
                      shoal_err_quote(qb, sizeof qb, s.ptr, s.len), SHOAL_MAX_NAME);
            goto fail;
        }
        for (uint32_t j = 0; j < k; j++) {
            if (c->name[j].len == s.len && !memcmp(c->name[j].ptr, s.ptr, s.len)) {
                rc = fail(err, p, NULL, 0, "duplicate column \"%s\" in header",
                          shoal_err_quote(qb, sizeof qb, s.ptr, s.len));
                goto fail;
            }
        }
        for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++) {
            if (strlen(fields[j].name) == s.len && !memcmp(fields[j].name, s.ptr, s.len)) {
                c->role[k] = (unsigned char)fields[j].role;
                have |= 1u << fields[j].role;
            }
        }
        if (c->role[k] == COL_PROP && shoal_prop_reserved(s.ptr, s.len)) {
            /* A reserved property name: every row would be rejected for it. */
            rc = fail(err, p, NULL, 0, "column name \"%s\" is reserved",
                      shoal_err_quote(qb, sizeof qb, s.ptr, s.len));
            goto fail;
        }
    }
    if (!(have & 1u << COL_TS)) {
        rc = fail(err, p, NULL, 0, "header has no \"ts\" column");
        goto fail;
    }
    if (!(have & 1u << COL_MEMBER)) {
        rc = fail(err, p, NULL, 0, "header has no \"member\" column");
        goto fail;
    }
    if (!(have & 1u << COL_TYPE)) {
        rc = fail(err, p, NULL, 0, "header has no \"type\" column");
        goto fail;
    }
    *out = c;
    return SHOAL_OK;

nomem:
    rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
fail:
    shoal_csv_free(c);
    return rc;
}

/* True when s is an integer: an optional minus and digits only. */
static int is_integer(shoal_str s)
{
    uint32_t i = s.len && s.ptr[0] == '-';
    if (i == s.len) return 0;
    for (; i < s.len; i++)
        if ((unsigned)(s.ptr[i] - '0') > 9) return 0;
    return 1;
}

static int parse_ts(shoal_str s, int64_t *out, shoal_err *err)
{
    char qb[200];
    if (is_integer(s)) {
        int kind;
        int64_t i = 0;
        double d;
        /* Digits past int64 are out of range like any other huge epoch value. */
        int rc = shoal_ndjson_number(s.ptr, s.len, &kind, &i, &d);
        if (rc == 1 && kind == SHOAL_VAL_INT && i >= SHOAL_TS_MIN && i < SHOAL_TS_MAX) {
            *out = i;
            return 0;
        }
        if (rc == 1 || rc == SHOAL_ERANGE)
            return fail(err, NULL, NULL, 0, "timestamp out of range: \"%s\"",
                        shoal_err_quote(qb, sizeof qb, s.ptr, s.len));
        /* "-0123" and other non-JSON integers: let the ISO parser explain. */
    }
    shoal_err e;
    shoal_err_clear(&e);
    if (shoal_ts_parse(s.ptr, s.len, out, &e)) return fail(err, NULL, NULL, 0, "%s", e.msg);
    return 0;
}

int shoal_csv_parse(shoal_csv *c, const char *p, size_t n, int at_eof, shoal_arena *a, shoal_event *ev,
                    shoal_err *err)
{
    char qb[200], qv[200];
    uint32_t n_f = 0, n_props = 0;
    shoal_prop props[SHOAL_MAX_PROPS];
    int rc;

    memset(ev, 0, sizeof *ev);
    char *o = shoal_arena_alloc(a, n + 1);
    if (!o) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    if ((rc = split(p, n, at_eof, o, c->f, c->n_cols, &n_f, err))) return rc;
    if (n_f != c->n_cols) return fail(err, p, NULL, 0, "expected %u fields but found %u", c->n_cols, n_f);

    /* The quoted name of column k, built only for a message. */
#define COL_NAME shoal_err_quote(qb, sizeof qb, c->name[k].ptr, c->name[k].len)
    int have_ts = 0;
    for (uint32_t k = 0; k < n_f; k++) {
        shoal_str v = c->f[k];
        if (v.len == 0) continue;  /* empty = absent */
        /* Field errors carry no offset: v is the unescaped copy, not the record. */
        if (!shoal_utf8_valid(v.ptr, v.len))
            return fail(err, NULL, NULL, 0, "invalid UTF-8 in column \"%s\"", COL_NAME);
        switch (c->role[k]) {
        case COL_TS:
            if ((rc = parse_ts(v, &ev->ts, err))) return rc;
            have_ts = 1;
            break;
        case COL_ID:
            if (v.len > SHOAL_MAX_ID) return fail(err, p, NULL, 0, "\"id\" is longer than %d bytes", SHOAL_MAX_ID);
            ev->has_id = 1;
            ev->id = v;
            break;
        case COL_MEMBER:
        case COL_TYPE:
        case COL_GROUP:
            if (v.len > SHOAL_MAX_NAME)
                return fail(err, p, NULL, 0, "\"%s\" is longer than %d bytes", COL_NAME, SHOAL_MAX_NAME);
            if (c->role[k] == COL_MEMBER) ev->member = v;
            else if (c->role[k] == COL_TYPE) ev->type = v;
            else ev->group = v;
            break;
        default: {
            shoal_prop *pr = &props[n_props];
            if (n_props == SHOAL_MAX_PROPS)
                return fail(err, p, NULL, 0, "too many properties (more than %d)", SHOAL_MAX_PROPS);
            pr->key = c->name[k];
            if (v.len == 4 && !memcmp(v.ptr, "true", 4)) {
                pr->kind = SHOAL_VAL_BOOL;
                pr->v.b = 1;
            } else if (v.len == 5 && !memcmp(v.ptr, "false", 5)) {
                pr->kind = SHOAL_VAL_BOOL;
                pr->v.b = 0;
            } else {
                rc = shoal_ndjson_number(v.ptr, v.len, &pr->kind, &pr->v.i, &pr->v.d);
                if (rc == SHOAL_ERANGE)
                    return fail(err, p, NULL, 0, "column \"%s\": number \"%s\" is out of range", COL_NAME,
                                shoal_err_quote(qv, sizeof qv, v.ptr, v.len));
                if (rc == SHOAL_ENOMEM) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
                if (rc == 0) {
                    if (v.len > SHOAL_MAX_STRVAL)
                        return fail(err, p, NULL, 0, "column \"%s\": string longer than %d bytes", COL_NAME,
                                    SHOAL_MAX_STRVAL);
                    pr->kind = SHOAL_VAL_STR;
                    pr->v.s = v;
                }
            }
            n_props++;
            break;
        }
        }
    }
#undef COL_NAME
    if (!have_ts) return fail(err, p, NULL, 0, "missing \"ts\"");
    if (!ev->member.ptr) return fail(err, p, NULL, 0, "missing \"member\"");
    if (!ev->type.ptr) return fail(err, p, NULL, 0, "missing \"type\"");

    /* Column names live in the header, which the input keeps until close; the
     * event's strings must live in the arena like every other reader's. */
    if (n_props) {
        size_t klen = 0;
        for (uint32_t k = 0; k < n_props; k++) klen += props[k].key.len;
        shoal_prop *pr = shoal_arena_alloc(a, n_props * sizeof *pr + klen);
        if (!pr) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        char *kb = (char *)(pr + n_props);
        for (uint32_t k = 0; k < n_props; k++) {
            memcpy(kb, props[k].key.ptr, props[k].key.len);
            props[k].key.ptr = kb;
            kb += props[k].key.len;
        }
        memcpy(pr, props, n_props * sizeof *pr);
        ev->props = pr;
        ev->n_props = n_props;
    }
    return SHOAL_OK;
}
