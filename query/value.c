/* value.c — the values that flow through a query (plan.h's qval): truth, comparison,
 * the types of arithmetic, hashing for GROUP BY, LIKE, and rendering for output.
 * Interned strings (V_ID) compare by id when both sides are interned in the same
 * namespace and fall back to their text through the dictionary otherwise; the
 * dictionary is only touched off the hot path.
 *
 * Types come in families: numbers (booleans are 0 and 1 among them), text, times and
 * durations. Times are instants (TS), local days (DATE) and months (MONTH): a day
 * stands for its first instant and a month for its first day when they meet a finer
 * time, in the session's time zone. Values of one family compare by value; values of
 * different families are never equal, and sort NULL, numbers, durations, times, text.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "plan.h"

int shoal_val_truthy(const qval *v)
{
    switch (v->t) {
    case V_BOOL:
    case V_INT:
    case V_TS:
    case V_DATE:
    case V_MONTH:
    case V_DUR: return v->u.i != 0;
    case V_NUM: return v->u.d != 0;
    case V_STR: return v->n != 0;
    case V_ID: return 1;
    default: return 0;
    }
}

int shoal_val_str(exec *x, const qval *v, const char **s, uint32_t *n)
{
    if (v->t == V_STR) {
        *s = v->u.s;
        *n = v->n;
        return 0;
    }
    if (v->t == V_ID) {
        /* A name that cannot be read (a damaged names table) is x's error, which the
         * row's caller finds; an id without a name is "". */
        shoal_str out;
        int rc = shoal_dict_str(x->r, v->ns, (uint32_t)v->u.i, &out, NULL);
        if (rc && rc != SHOAL_ENOTFOUND && !x->err->code) shoal_dict_str(x->r, v->ns, (uint32_t)v->u.i, &out, x->err);
        if (rc != SHOAL_OK) {
            *s = "";
            *n = 0;
            return 0;
        }
        *s = out.ptr ? out.ptr : "";
        *n = out.len;
        return 0;
    }
    return -1;
}

static int is_num(int t) { return t == V_BOOL || t == V_INT || t == V_NUM; }
static int is_text(int t) { return t == V_STR || t == V_ID; }
static int is_time(int t) { return t == V_TS || t == V_DATE || t == V_MONTH; }

int shoal_val_family(int t)
{
    if (t == V_NULL) return 0;
    if (is_num(t)) return 1;
    if (t == V_DUR) return 2;
    if (is_time(t)) return 3;
    if (is_text(t)) return 4;
    return -1;
}

const char *shoal_val_type_name(int t)
{
    switch (t) {
    case V_BOOL: return "a boolean";
    case V_INT: case V_NUM: return "a number";
    case V_STR: case V_ID: return "text";
    case V_TS: return "a time";
    case V_DATE: return "a date";
    case V_MONTH: return "a month";
    case V_DUR: return "a duration";
    default: return "NULL";
    }
}

/* A time as an instant (a day's or a month's first, in the session's zone), or as a
 * day (a month's first): the finer of two times' kinds, to compare them in. */
static int64_t as_instant(exec *x, const qval *v)
{
    if (v->t == V_TS) return v->u.i;
    int64_t day = v->t == V_MONTH ? shoal_cal_month_start(v->u.i) : v->u.i;
    return shoal_view_day_start(x->tz, day);
}

void shoal_val_promote(exec *x, qval *a, qval *b)
{
    /* with a duration, a day or a month is its first instant */
    if (a->t == V_DUR || b->t == V_DUR) {
        qval *t = a->t == V_DUR ? b : a;
        if (t->t == V_DATE || t->t == V_MONTH) t->u.i = as_instant(x, t), t->t = V_TS;
        return;
    }
    if (a->t == b->t || !is_time(a->t) || !is_time(b->t)) return;
    if (a->t == V_TS || b->t == V_TS) {
        a->u.i = as_instant(x, a), a->t = V_TS;
        b->u.i = as_instant(x, b), b->t = V_TS;
        return;
    }
    /* a day and a month */
    qval *m = a->t == V_MONTH ? a : b;
    m->u.i = shoal_cal_month_start(m->u.i);
    m->t = V_DATE;
}

int shoal_val_arith_type(int op, int ta, int tb)
{
    /* a day or a month with an instant or a duration is its first instant */
    if ((ta == V_DATE || ta == V_MONTH) && (tb == V_TS || tb == V_DUR)) ta = V_TS;
    if ((tb == V_DATE || tb == V_MONTH) && (ta == V_TS || ta == V_DUR)) tb = V_TS;
    int add = op == SHOAL_OP_ADD, sub = op == SHOAL_OP_SUB;
    if (is_num(ta) && is_num(tb)) return op == SHOAL_OP_DIV || ta == V_NUM || tb == V_NUM ? V_NUM : V_INT;
    if (ta == V_DUR && tb == V_DUR) return add || sub || op == SHOAL_OP_MOD ? V_DUR : op == SHOAL_OP_DIV ? V_NUM : -1;
    if (ta == V_DUR && is_num(tb)) return op == SHOAL_OP_MUL || op == SHOAL_OP_DIV ? V_DUR : -1;
    if (is_num(ta) && tb == V_DUR) return op == SHOAL_OP_MUL ? V_DUR : -1;
    if (ta == V_TS && tb == V_DUR) return add || sub ? V_TS : -1;
    if (ta == V_DUR && tb == V_TS) return add ? V_TS : -1;
    if (ta == V_TS && tb == V_TS) return sub ? V_DUR : -1;
    /* days and months count whole days and months */
    if ((ta == V_DATE || ta == V_MONTH) && (tb == V_INT || tb == V_BOOL)) return add || sub ? ta : -1;
    if ((ta == V_INT || ta == V_BOOL) && (tb == V_DATE || tb == V_MONTH)) return add ? tb : -1;
    if ((ta == V_DATE || ta == V_MONTH) && ta == tb) return sub ? V_INT : -1;
    return -1;
}

int shoal_val_spell(const char *s, uint32_t n, qval *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (!strcasecmp(buf, "true") || !strcasecmp(buf, "false")) {
        out->t = V_BOOL;
        out->u.i = buf[0] == 't' || buf[0] == 'T';
        return 1;
    }
    /* decimal only: strtod would read hexadecimal, "inf" and "nan" too */
    for (uint32_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", buf[i])) return 0;
    char *end;
    errno = 0;
    long long i = strtoll(buf, &end, 10);
    if (*end == 0 && errno == 0) {
        out->t = V_INT;
        out->u.i = i;
        return 1;
    }
    double d = strtod(buf, &end);
    if (*end || !isfinite(d) || !(isdigit((unsigned char)buf[n - 1]) || buf[n - 1] == '.')) return 0;
    out->t = V_NUM;
    out->u.d = d;
    return 1;
}

int shoal_val_cmp(exec *x, const qval *a, const qval *b, int *out)
{
    if (a->t == V_NULL || b->t == V_NULL) return -1;
    if (is_num(a->t) && is_num(b->t)) {
        if (a->t != V_NUM && b->t != V_NUM) *out = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
        else {
            double da = a->t == V_NUM ? a->u.d : (double)a->u.i, db = b->t == V_NUM ? b->u.d : (double)b->u.i;
            *out = da < db ? -1 : da > db;
        }
        return 0;
    }
    if (is_text(a->t) && is_text(b->t)) {
        if (a->t == V_ID && b->t == V_ID && a->ns == b->ns && a->u.i == b->u.i) {
            *out = 0;
            return 0;
        }
        const char *sa, *sb;
        uint32_t na, nb;
        shoal_val_str(x, a, &sa, &na);
        shoal_val_str(x, b, &sb, &nb);
        *out = shoal_bytes_cmp(sa, na, sb, nb);
        return 0;
    }
    if (is_time(a->t) && is_time(b->t)) {
        qval pa = *a, pb = *b;
        shoal_val_promote(x, &pa, &pb);
        *out = pa.u.i < pb.u.i ? -1 : pa.u.i > pb.u.i;
        return 0;
    }
    if (a->t == V_DUR && b->t == V_DUR) {
        *out = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
        return 0;
    }
    int fa = shoal_val_family(a->t), fb = shoal_val_family(b->t);
    *out = fa < fb ? -1 : fa > fb;
    return 0;
}

int shoal_val_eq(exec *x, const qval *a, const qval *b)
{
    if (a->t == V_NULL || b->t == V_NULL) return -1;
    if (a->t == V_ID && b->t == V_ID && a->ns == b->ns) return a->u.i == b->u.i;
    /* A string interned in one namespace and given as text: only equal when the text
     * is equal, which the dictionary settles. */
    int c;
    if (shoal_val_cmp(x, a, b, &c)) return -1;
    if (shoal_val_family(a->t) != shoal_val_family(b->t)) return 0;
    return c == 0;
}

int shoal_val_keep(exec *x, qval *v)
{
    if (v->t != V_STR || v->n == 0) return 0;
    char *p = shoal_arena_strndup(x->a, v->u.s, v->n);
    if (!p) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    v->u.s = p;
    return 0;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* SQL LIKE: % any run, _ one byte; ASCII case-insensitive like SQLite's default. */
int shoal_val_like(const char *s, size_t n, const char *p, size_t pn)
{
    size_t i = 0, j = 0, star_j = (size_t)-1, star_i = 0;
    while (i < n) {
        if (j < pn && p[j] == '%') {
            star_j = j++;
            star_i = i;
        } else if (j < pn && (p[j] == '_' || lower((unsigned char)p[j]) == lower((unsigned char)s[i]))) {
            i++;
            j++;
        } else if (star_j != (size_t)-1) {
            j = star_j + 1;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (j < pn && p[j] == '%') j++;
    return j == pn;
}

static int put(exec *x, const char **out, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int put(exec *x, const char **out, size_t *n, const char *fmt, ...)
{
    char buf[96];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0) k = 0;
    if ((size_t)k >= sizeof buf) k = sizeof buf - 1;
    char *p = shoal_arena_strndup(x->scratch, buf, (size_t)k);
    if (!p) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *out = p;
    *n = (size_t)k;
    return 0;
}

static int put_int(exec *x, const char **out, size_t *n, int64_t i);

/* buf[0..k) into the statement's scratch arena as the cell's text */
static int put_text(exec *x, const char **out, size_t *n, const char *buf, size_t k)
{
    char *p = shoal_arena_strndup(x->scratch, buf, k);
    if (!p) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *out = p;
    *n = k;
    return 0;
}

/* Dates and times written digit by digit where printf's "%04d-%02u-%02u" was (DAU and
 * MAU per day: its 365 dates were a quarter of the statement's instructions), for the
 * years 0..9999, which %04 prints as four digits; printf for the others. */
static char *dig2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *ymd(char *p, int64_t y, unsigned m, unsigned d)
{
    p = dig2(p, (unsigned)(y / 100));
    p = dig2(p, (unsigned)(y % 100));
    *p++ = '-';
    p = dig2(p, m);
    if (d) {
        *p++ = '-';
        p = dig2(p, d);
    }
    return p;
}

static int render_num(exec *x, double d, const char **out, size_t *n)
{
    if (!isfinite(d)) return put(x, out, n, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    /* A whole number below 10^15 (not -0) is what %.15g prints, digits only: without
     * printf and strtod (DAU and MAU per day, two numbers a row of 365). */
    if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d && (d != 0 || !signbit(d))) return put_int(x, out, n, (int64_t)d);
    /* The shortest of %.15g..%.17g that reads back to the same double (numtext.c),
     * kept as is (no second printf through put) */
    char buf[40];
    size_t k = shoal_num_text(d, buf);
    char *p = shoal_arena_strndup(x->scratch, buf, k);
    if (!p) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *out = p;
    *n = k;
    return 0;
}

const char *shoal_val_int_text(int64_t i, char buf[24], size_t *n)
{
    /* two digits a step from a table (a count is mostly one to three digits: a digit a
     * step, a division each, was some 45 instructions a cell) */
    static const char d2[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char *e = buf + 24, *p = e;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    while (u >= 100) {
        uint64_t q = u / 100;
        p -= 2;
        memcpy(p, d2 + 2 * (u - q * 100), 2);
        u = q;
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, d2 + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    if (i < 0) *--p = '-';
    *n = (size_t)(e - p);
    return p;
}

/* An integer's digits without printf: results are mostly counts, a column of them a row. */
static int put_int(exec *x, const char **out, size_t *n, int64_t i)
{
    char buf[24];
    size_t k;
    const char *p = shoal_val_int_text(i, buf, &k);
    char *s = shoal_arena_strndup(x->scratch, p, k);
    if (!s) return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    *out = s;
    *n = k;
    return 0;
}

int shoal_val_render(exec *x, const qval *v, const char **out, size_t *n, int *kind)
{
    int64_t y;
    unsigned m, d;
    *kind = CELL_STR;
    switch (v->t) {
    case V_NULL: *kind = CELL_NULL; *out = ""; *n = 0; return 0;
    case V_BOOL: *kind = CELL_BOOL; *out = v->u.i ? "true" : "false"; *n = strlen(*out); return 0;
    case V_INT: *kind = CELL_NUM; return put_int(x, out, n, v->u.i);
    case V_NUM: *kind = CELL_NUM; return render_num(x, v->u.d, out, n);
    case V_STR: *out = v->u.s; *n = v->n; return 0;
    case V_ID: {
        /* a name the dictionary cannot give (a damaged names table) is the statement's
         * error, not an empty cell */
        shoal_str s;
        int rc = shoal_dict_str(x->r, v->ns, (uint32_t)v->u.i, &s, x->err);
        if (rc && rc != SHOAL_ENOTFOUND) return rc;
        *out = !rc && s.ptr ? s.ptr : "";
        *n = rc ? 0 : s.len;
        return 0;
    }
    case V_TS: {
        int32_t off = x->tz ? shoal_tz_offset(x->tz, v->u.i) : 0;
        int64_t local = v->u.i + (int64_t)off * 1000;
        int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
        int64_t ms = local - days * 86400000;
        shoal_cal_civil_from_days(days, &y, &m, &d);
        char zone[16];
        unsigned aoff = (unsigned)(off < 0 ? -(int64_t)off : off);
        if (off == 0 && (!x->tz || !strcmp(shoal_tz_name(x->tz), "UTC"))) {
            zone[0] = 'Z', zone[1] = 0;
        } else if (aoff < 100 * 3600) {   /* (printf's "%c%02d:%02d", by hand) */
            zone[0] = off < 0 ? '-' : '+';
            dig2(zone + 1, aoff / 3600);
            zone[3] = ':';
            dig2(zone + 4, aoff / 60 % 60);
            zone[6] = 0;
        } else {
            snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600,
                     ((off < 0 ? -off : off) / 60) % 60);
        }
        int hh = (int)(ms / 3600000), mi = (int)(ms / 60000 % 60), ss = (int)(ms / 1000 % 60), ff = (int)(ms % 1000);
        if (y >= 0 && y <= 9999 && (off < 0 ? -off : off) < 100 * 3600) {
            char b[40], *p = ymd(b, y, m, d);
            *p++ = 'T';
            p = dig2(p, (unsigned)hh);
            *p++ = ':';
            p = dig2(p, (unsigned)mi);
            *p++ = ':';
            p = dig2(p, (unsigned)ss);
            if (ff) {
                *p++ = '.';
                *p++ = (char)('0' + ff / 100);
                p = dig2(p, (unsigned)(ff % 100));
            }
            size_t zl = strlen(zone);
            memcpy(p, zone, zl);
            return put_text(x, out, n, b, (size_t)(p - b) + zl);
        }
        if (ff) return put(x, out, n, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03d%s", y, m, d, hh, mi, ss, ff, zone);
        return put(x, out, n, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%s", y, m, d, hh, mi, ss, zone);
    }
    case V_DATE: {
        shoal_cal_civil_from_days(v->u.i, &y, &m, &d);
        char b[16];
        if (y >= 0 && y <= 9999) return put_text(x, out, n, b, (size_t)(ymd(b, y, m, d) - b));
        return put(x, out, n, "%04" PRId64 "-%02u-%02u", y, m, d);
    }
    case V_MONTH: {
        shoal_cal_month_split(v->u.i, &y, &m);
        char b[16];
        if (y >= 0 && y <= 9999) return put_text(x, out, n, b, (size_t)(ymd(b, y, m, 0) - b));
        return put(x, out, n, "%04" PRId64 "-%02u", y, m);
    }
    case V_DUR: {
        int64_t ms = v->u.i < 0 ? -v->u.i : v->u.i;
        int64_t days = ms / 86400000;
        ms %= 86400000;
        return put(x, out, n, "%s%" PRId64 " day%s %02d:%02d:%02d", v->u.i < 0 ? "-" : "", days, days == 1 ? "" : "s",
                   (int)(ms / 3600000), (int)(ms / 60000 % 60), (int)(ms / 1000 % 60));
    }
    }
    *out = "";
    *n = 0;
    return 0;
}
