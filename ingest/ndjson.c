/* ndjson.c — one NDJSON line (a JSON object) -> one shoal_event. First pipeline stage,
 * called by input.c for every line, so it is a single-pass, hand-written scanner: no
 * DOM, no recursion, one arena block for every string of the event. It accepts exactly
 * the JSON an event can hold (an object of scalars, one level of "props"/"properties")
 * and rejects anything else with a reason; why not a library is in docs/FORMATS.md.
 * The key order nearly every line has is matched by literals first (fast_fields),
 * which hands over to the general parse at the first field that is not so.
 * Invariants: strings in the event are unescaped valid UTF-8 copied into the arena;
 * numbers are canonical (integral values are SHOAL_VAL_INT); no key appears twice.
 */
#include "input.h"
#include "shoal_int.h"

#include <locale.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a property came from, for the collision message. */
enum { SRC_TOP = 0, SRC_PROPS = 1, SRC_PROPERTIES = 2 };

/* Top-level fields, as bits of parser.seen. */
enum { F_ID = 1, F_TS = 2, F_MEMBER = 4, F_TYPE = 8, F_GROUP = 16, F_PROPS = 32, F_PROPERTIES = 64 };

typedef struct parser {
    const unsigned char *p, *end, *base;
    char *o;  /* next free byte of the event's string block */
    shoal_err *err;
    unsigned seen;
    uint32_t n_props;
    shoal_prop props[SHOAL_MAX_PROPS];
    unsigned char src[SHOAL_MAX_PROPS];
} parser;

/* Bytes that end the fast scan of a string body: the quote, the backslash and the
 * control characters JSON forbids raw. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

#define IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')
#define SKIP_WS(ps)                                         \
    while ((ps)->p < (ps)->end && IS_WS(*(ps)->p)) (ps)->p++

/* Records an EFORMAT error about the bytes [at, at+len) of the line. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(parser *ps, const unsigned char *at, size_t len, const char *fmt, ...)
{
    char msg[sizeof ps->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return shoal_err_set(ps->err, SHOAL_EFORMAT, (int)(at - ps->base), (int)len, "%s", msg);
}

/* The extent of the "token" at p, for messages: up to the next structural character
 * or blank, at least one byte, at most 40. */
static size_t token_len(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;
    if (q < end) q++;
    while (q < end && q - p < 40 && !IS_WS(*q) && *q != ',' && *q != '}' && *q != ']' && *q != ':' &&
           *q != '{' && *q != '[' && *q != '"')
        q++;
    return (size_t)(q - p);
}

/* Describes what stands at p: "end of line" or the quoted token. */
static const char *found(char *buf, size_t n, const unsigned char *p, const unsigned char *end)
{
    char q[200];
    if (p >= end) return "end of line";
    snprintf(buf, n, "\"%s\"", shoal_err_quote(q, sizeof q, (const char *)p, token_len(p, end)));
    return buf;
}

static int expected(parser *ps, const char *what)
{
    char b[220];
    return fail(ps, ps->p, ps->p < ps->end ? token_len(ps->p, ps->end) : 0, "expected %s but found %s", what,
                found(b, sizeof b, ps->p, ps->end));
}

/* ---------------------------------------------------------------- strings */

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4) return 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
        else return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* The rest of read_str, out of line so that the common case stays small: the string
 * has escapes, non-ASCII bytes or is broken, and q is where the fast scan stopped. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
read_str_slow(parser *ps, const unsigned char *q, uint64_t hi, shoal_str *out, int *dec)
{
    const unsigned char *open = ps->p, *s = open + 1, *end = ps->end;
    if (q < end && *q == '"') {
        if (!shoal_utf8_valid((const char *)s, (size_t)(q - s)))
            return fail(ps, open, (size_t)(q + 1 - open), "invalid UTF-8 in string");
        out->ptr = (const char *)s;
        out->len = (uint32_t)(q - s);
        *dec = 0;
        ps->p = q + 1;
        return 0;
    }

    char *o = ps->o;
    memcpy(o, s, (size_t)(q - s));
    o += q - s;
    for (;;) {
        if (q >= end) return fail(ps, open, (size_t)(end - open), "unterminated string");
        unsigned c = *q;
        if (c == '"') break;
        if (c < 0x20) return fail(ps, q, 1, "control character 0x%02x must be escaped in a string", c);
        if (c != '\\') {
            while (q < end && !str_stop[*q]) {
                hi |= *q;
                *o++ = (char)*q++;
            }
            continue;
        }
        if (q + 1 >= end) return fail(ps, open, (size_t)(end - open), "unterminated string");
        switch (q[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            char qb[200];
            if (!hex4(q + 2, end, &cp))
                return fail(ps, q, (size_t)(end - q < 6 ? end - q : 6), "invalid escape \"%s\" in string",
                            shoal_err_quote(qb, sizeof qb, (const char *)q, (size_t)(end - q < 6 ? end - q : 6)));
            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* A high surrogate must be followed by an escaped low one: JSON text
                 * carries astral characters as UTF-16 pairs. */
                if (end - q >= 12 && q[6] == '\\' && q[7] == 'u' && hex4(q + 8, end, &lo) && lo >= 0xdc00 &&
                    lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    q += 6;
                } else {
                    return fail(ps, q, 6, "invalid escape \"%s\" in string: unpaired surrogate",
                                shoal_err_quote(qb, sizeof qb, (const char *)q, 6));
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return fail(ps, q, 6, "invalid escape \"%s\" in string: unpaired surrogate",
                            shoal_err_quote(qb, sizeof qb, (const char *)q, 6));
            } else if (cp == 0) {
                /* Names end up in C strings and terminals downstream; a NUL there
                 * would silently truncate them. */
                return fail(ps, q, 6, "invalid escape \"\\\\u0000\" in string: NUL is not allowed");
            }
            o = put_utf8(o, cp);
            q += 4;
            break;
        }
        default: {
            char qb[200];
            return fail(ps, q, 2, "invalid escape \"%s\" in string",
                        shoal_err_quote(qb, sizeof qb, (const char *)q, 2));
        }
        }
        q += 2;
    }
    if ((hi & 0x8080808080808080ull) && !shoal_utf8_valid((const char *)s, (size_t)(q - s)))
        return fail(ps, open, (size_t)(q + 1 - open), "invalid UTF-8 in string");
    out->ptr = ps->o;
    out->len = (uint32_t)(o - ps->o);
    *dec = 1;
    ps->p = q + 1;
    return 0;
}

/* Scans the body of the string that starts at s (after its opening quote) to the first
 * quote, backslash or control byte, or to end: returns where it stopped, and or's into
 * *hi the bytes before it (their high bits tell whether any is non-ASCII). */
static inline __attribute__((always_inline)) const unsigned char *scan_str(const unsigned char *s,
                                                                           const unsigned char *end, uint64_t *hi)
{
    const unsigned char *q = s;
    /* Eight bytes at a time while none is a quote, a backslash or a control byte (the
     * has-zero-byte and has-less-than tests on a 64-bit word). Their borrows can only
     * flag bytes above a true hit, so the lowest flagged byte is the exact stop.
     * "Lowest" is the first in memory on little-endian machines only. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#if defined(__SSE2__)
    /* Sixteen at a time with SSE2 (x86-64's baseline) while the line has them: the
     * stops by three compares (a control byte: at most 0x1F, unsigned, by max), the
     * non-ASCII bytes from the high bits (the whole parse, at 100k events of the
     * bench's: 198.8M instructions with the word loop alone, 184.3M with this). */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while (end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i st = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                  _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        unsigned m = (unsigned)_mm_movemask_epi8(st), h = (unsigned)_mm_movemask_epi8(v);
        if (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if (h & ((1u << k) - 1)) *hi |= 0x80;
            return q + k;
        }
        if (h) *hi |= 0x80;
        q += 16;
    }
#endif
    while (end - q >= 8) {
        uint64_t w, qt, bs, t;
        memcpy(&w, q, 8);
        qt = w ^ 0x2222222222222222ull;
        bs = w ^ 0x5c5c5c5c5c5c5c5cull;
        t = (((qt - 0x0101010101010101ull) & ~qt) | ((bs - 0x0101010101010101ull) & ~bs) |
             ((w - 0x2020202020202020ull) & ~w)) & 0x8080808080808080ull;
        if (t) {
            unsigned k = (unsigned)__builtin_ctzll(t) >> 3;
            *hi |= w & ((1ull << (8 * k)) - 1);
            return q + k;
        }
        *hi |= w;
        q += 8;
    }
#endif
    while (q < end && !str_stop[*q]) *hi |= *q++;
    return q;
}

/* Reads the string whose opening quote is at ps->p and leaves ps->p after the closing
 * one. *out is a slice of the line when the string has no escapes (*dec = 0), or the
 * unescaped text written at ps->o (*dec = 1) but not yet claimed: keep() claims it.
 * Unescaped output is never longer than the escaped input (\uXXXX is 6 bytes for at
 * most 3, a surrogate pair 12 for 4), which is what bounds the string block. */
static inline __attribute__((always_inline)) int read_str(parser *ps, shoal_str *out, int *dec)
{
    const unsigned char *s = ps->p + 1;
    uint64_t hi = 0;
    const unsigned char *q = scan_str(s, ps->end, &hi);
    if (q < ps->end && *q == '"' && !(hi & 0x8080808080808080ull)) {
        out->ptr = (const char *)s;
        out->len = (uint32_t)(q - s);
        *dec = 0;
        ps->p = q + 1;
        return 0;
    }
    return read_str_slow(ps, q, hi, out, dec);
}

/* Claims a string from read_str as part of the event: copies a slice of the line
 * into the block, or takes the already-unescaped text where it stands. */
static inline shoal_str keep(parser *ps, shoal_str s, int dec)
{
    if (!dec) {
        /* Most names and values are short: two overlapping fixed-size copies, which
         * never read outside the string, beat a call to memcpy. */
        char *o = ps->o;
        const char *p = s.ptr;
        uint32_t n = s.len;
        if (n >= 8 && n <= 16) {
            uint64_t x, y;
            memcpy(&x, p, 8);
            memcpy(&y, p + n - 8, 8);
            memcpy(o, &x, 8);
            memcpy(o + n - 8, &y, 8);
        } else if (n >= 4 && n < 8) {
            uint32_t x, y;
            memcpy(&x, p, 4);
            memcpy(&y, p + n - 4, 4);
            memcpy(o, &x, 4);
            memcpy(o + n - 4, &y, 4);
        } else if (n < 4) {
            for (uint32_t i = 0; i < n; i++) o[i] = p[i];
        } else {
            memcpy(o, p, n);
        }
        s.ptr = o;
    }
    ps->o += s.len;
    return s;
}

/* ---------------------------------------------------------------- numbers */

/* Exact powers of ten as doubles (10^22 is the largest a double holds exactly). */
static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scans a JSON number at p (which holds '-' or a digit). *q receives its end.
 * Returns: 1 and the value, 0 when the grammar is broken at *q, SHOAL_ERANGE. */
static int scan_number(const unsigned char *p, const unsigned char *end, const unsigned char **q, int *kind,
                       int64_t *iv, double *dv)
{
    const unsigned char *s = p;
    int neg = 0, nd = 0, exp10 = 0, is_int = 1;
    uint64_t m = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || (unsigned)(*p - '0') > 9) {
        *q = p;
        return 0;
    }
    if (*p == '0') {
        p++;
        if (p < end && (unsigned)(*p - '0') <= 9) {
            *q = p;  /* leading zeros are not JSON */
            return 0;
        }
    } else {
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (nd < 19) m = m * 10 + (*p - '0');
            else exp10++;
            nd++;
            p++;
        }
    }
    if (p < end && *p == '.') {
        is_int = 0;
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9) {
            *q = p;
            return 0;
        }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            /* Fraction digits count only while the mantissa has room; leading zeros
             * of "0.000123" take none. */
            if (nd < 19) {
                m = m * 10 + (*p - '0');
                exp10--;
                if (m) nd++;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0, e = 0;
        is_int = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= end || (unsigned)(*p - '0') > 9) {
            *q = p;
            return 0;
        }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
    }
    *q = p;

    if (is_int && nd <= 19 && exp10 == 0) {
        if (!neg && m <= (uint64_t)INT64_MAX) {
            *kind = SHOAL_VAL_INT;
            *iv = (int64_t)m;
            return 1;
        }
        if (neg && m <= (uint64_t)INT64_MAX + 1) {
            *kind = SHOAL_VAL_INT;
            *iv = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
            return 1;
        }
    }

    double d;
    if (m < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: mantissa and power of ten are both exact doubles, so
         * one multiplication or division rounds correctly, as strtod would. */
        d = (double)m;
        d = exp10 < 0 ? d / pow10_tab[-exp10] : d * pow10_tab[exp10];
        if (neg) d = -d;
    } else {
        /* strtod needs a NUL-terminated copy and honours LC_NUMERIC: swap in the
         * locale's decimal point, in case the program called setlocale. */
        char sbuf[128], *buf = sbuf;
        size_t n = (size_t)(p - s);
        if (n >= sizeof sbuf) {
            buf = shoal_malloc(n + 1);
            if (!buf) return SHOAL_ENOMEM;
        }
        memcpy(buf, s, n);
        buf[n] = 0;
        const char *dp = localeconv()->decimal_point;
        if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
            char *dot = memchr(buf, '.', n);
            if (dot) *dot = dp[0];
        }
        d = strtod(buf, NULL);
        if (buf != sbuf) shoal_free(buf);
    }
    if (isinf(d)) return SHOAL_ERANGE;
    if (shoal_num_is_int(d, iv)) {
        *kind = SHOAL_VAL_INT;
    } else {
        *kind = SHOAL_VAL_NUM;
        *dv = d;
    }
    return 1;
}

int shoal_ndjson_number(const char *p, size_t n, int *kind, int64_t *i, double *d)
{
    const unsigned char *s = (const unsigned char *)p, *q;
    if (n == 0 || (*s != '-' && (unsigned)(*s - '0') > 9)) return 0;
    int rc = scan_number(s, s + n, &q, kind, i, d);
    if (rc == 1 && q != s + n) return 0;
    return rc;
}

/* Reads the number at ps->p into kind, iv or dv, with the error for a bad one. */
static int read_number(parser *ps, int *kind, int64_t *iv, double *dv)
{
    const unsigned char *s = ps->p, *q;
    char qb[200];
    int rc = scan_number(s, ps->end, &q, kind, iv, dv);
    /* "12abc" or "1.5.2" is one bad number, not a number followed by junk. */
    if (rc == 1 && q < ps->end &&
        (((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') || (*q >= '0' && *q <= '9') || *q == '.' || *q == '+' ||
         *q == '-'))
        rc = 0;
    if (rc == 0) {
        size_t n = token_len(s, ps->end);
        if ((size_t)(q - s) > n) n = (size_t)(q - s);
        return fail(ps, s, n, "invalid number \"%s\"", shoal_err_quote(qb, sizeof qb, (const char *)s, n));
    }
    if (rc == SHOAL_ENOMEM) return shoal_err_set(ps->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    if (rc == SHOAL_ERANGE)
        return fail(ps, s, (size_t)(q - s), "number \"%s\" is out of range",
                    shoal_err_quote(qb, sizeof qb, (const char *)s, (size_t)(q - s)));
    ps->p = q;
    return 0;
}

/* ---------------------------------------------------------------- values */

/* Matches the literal true/false/null at ps->p. Returns 1, 0 or -1 (null), or -2 when
 * the bytes there are no literal. */
static int literal(parser *ps)
{
    const unsigned char *p = ps->p;
    size_t left = (size_t)(ps->end - p);
    int v;
    size_t n;
    if (left >= 4 && !memcmp(p, "true", 4)) v = 1, n = 4;
    else if (left >= 5 && !memcmp(p, "false", 5)) v = 0, n = 5;
    else if (left >= 4 && !memcmp(p, "null", 4)) v = -1, n = 4;
    else return -2;
    if (n < left && ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z')) return -2;
    ps->p += n;
    return v;
}

static const char *const src_name[] = {"at the top level", "in \"props\"", "in \"properties\""};

/* Adds property key (claimed) with the value at ps->p; src says where it stands. */
static int read_prop(parser *ps, shoal_str key, int src)
{
    /* The quoted key is built only for a message: quoting is not free. */
#define QK shoal_err_quote(qk, sizeof qk, key.ptr, key.len)
    char qk[200], qb[220];
    const unsigned char *at = ps->p;
    shoal_prop pr;

    if (key.len == 0) return fail(ps, at, 0, "empty property name");
    if (key.len > SHOAL_MAX_NAME)
        return fail(ps, at, 0, "property name \"%s\" is longer than %d bytes",
                    QK, SHOAL_MAX_NAME);
    if (at >= ps->end) return fail(ps, at, 0, "property \"%s\": expected a value but found end of line", QK);

    pr.key = key;
    switch (*at) {
    case '"': {
        int dec, rc = read_str(ps, &pr.v.s, &dec);
        if (rc) return rc;
        if (pr.v.s.len > SHOAL_MAX_STRVAL)
            return fail(ps, at, (size_t)(ps->p - at), "property \"%s\": string longer than %d bytes", QK,
                        SHOAL_MAX_STRVAL);
        pr.v.s = keep(ps, pr.v.s, dec);
        pr.kind = SHOAL_VAL_STR;
        break;
    }
    case '[':
        return fail(ps, at, 1, "property \"%s\": arrays are not supported", QK);
    case '{':
        return fail(ps, at, 1, "property \"%s\": nested objects are not supported", QK);
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
        int rc = read_number(ps, &pr.kind, &pr.v.i, &pr.v.d);
        if (rc) return rc;
        break;
    }
    default: {
        int v = literal(ps);
        if (v == -2)
            return fail(ps, at, token_len(at, ps->end), "property \"%s\": invalid value %s", QK,
                        found(qb, sizeof qb, at, ps->end));
        if (v == -1) return 0;  /* null: the property is absent */
        pr.kind = SHOAL_VAL_BOOL;
        pr.v.b = v;
        break;
    }
    }

    /* What shoal_event_check would refuse, refused here with the record's position. */
    if (shoal_prop_reserved(key.ptr, key.len)) return fail(ps, at, 0, "property \"%s\" is a reserved name", QK);
    /* At most 64 properties, so a linear scan beats hashing. */
    for (uint32_t k = 0; k < ps->n_props; k++) {
        if (ps->props[k].key.len == key.len && !memcmp(ps->props[k].key.ptr, key.ptr, key.len)) {
            if (ps->src[k] == src) return fail(ps, at, 0, "duplicate key \"%s\"", QK);
            return fail(ps, at, 0, "property \"%s\" appears both %s and %s", QK, src_name[ps->src[k]],
                        src_name[src]);
        }
    }
    if (ps->n_props == SHOAL_MAX_PROPS)
        return fail(ps, at, 0, "too many properties (more than %d)", SHOAL_MAX_PROPS);
    ps->src[ps->n_props] = (unsigned char)src;
    ps->props[ps->n_props++] = pr;
    return 0;
}
#undef QK

/* The field a top-level key names, or 0 for a property. */
static unsigned field_of(shoal_str k)
{
    switch (k.len) {
    case 2:
        if (!memcmp(k.ptr, "id", 2)) return F_ID;
        if (!memcmp(k.ptr, "ts", 2)) return F_TS;
        return 0;
    case 4: return memcmp(k.ptr, "type", 4) ? 0 : F_TYPE;
    case 5:
        if (!memcmp(k.ptr, "group", 5)) return F_GROUP;
        if (!memcmp(k.ptr, "props", 5)) return F_PROPS;
        return 0;
    case 6: return memcmp(k.ptr, "member", 6) ? 0 : F_MEMBER;
    case 10: return memcmp(k.ptr, "properties", 10) ? 0 : F_PROPERTIES;
    default: return 0;
    }
}

static const char *field_name(unsigned f)
{
    switch (f) {
    case F_ID: return "id";
    case F_TS: return "ts";
    case F_MEMBER: return "member";
    case F_TYPE: return "type";
    case F_GROUP: return "group";
    case F_PROPS: return "props";
    default: return "properties";
    }
}

/* Reads the object of a "props"/"properties" key: scalars only, flattened. */
static int read_nested(parser *ps, int src)
{
    ps->p++;
    SKIP_WS(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        shoal_str key;
        int dec, rc;
        const unsigned char *at = ps->p;
        if (ps->p >= ps->end || *ps->p != '"') return expected(ps, "a string key");
        if ((rc = read_str(ps, &key, &dec))) return rc;
        if (field_of(key)) {
            char qk[200];
            return fail(ps, at, (size_t)(ps->p - at), "reserved key \"%s\" %s",
                        shoal_err_quote(qk, sizeof qk, key.ptr, key.len), src_name[src]);
        }
        key = keep(ps, key, dec);
        SKIP_WS(ps);
        if (ps->p >= ps->end || *ps->p != ':') return expected(ps, "':'");
        ps->p++;
        SKIP_WS(ps);
        if ((rc = read_prop(ps, key, src))) return rc;
        SKIP_WS(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            SKIP_WS(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        return expected(ps, "',' or '}'");
    }
}

/* Reads the value of top-level field f into ev. */
static int read_field(parser *ps, unsigned f, shoal_event *ev)
{
    const unsigned char *at = ps->p;
    char c = at < ps->end ? (char)*at : 0;
    shoal_str s;
    int dec, rc;

    if (f == F_PROPS || f == F_PROPERTIES) {
        if (c == '{') return read_nested(ps, f == F_PROPS ? SRC_PROPS : SRC_PROPERTIES);
        if (literal(ps) == -1) return 0;
        return fail(ps, at, token_len(at, ps->end), "\"%s\" must be an object", field_name(f));
    }

    if (f == F_TS) {
        if (c == '"') {
            shoal_err e;
            shoal_err_clear(&e);
            if ((rc = read_str(ps, &s, &dec))) return rc;
            if (shoal_ts_parse(s.ptr, s.len, &ev->ts, &e))
                return fail(ps, at, (size_t)(ps->p - at), "%s", e.msg);
            return 0;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int kind;
            int64_t iv = 0;
            double dv;
            char qb[200];
            if ((rc = read_number(ps, &kind, &iv, &dv))) return rc;
            if (kind != SHOAL_VAL_INT)
                return fail(ps, at, (size_t)(ps->p - at), "\"ts\" must be whole epoch milliseconds, not \"%s\"",
                            shoal_err_quote(qb, sizeof qb, (const char *)at, (size_t)(ps->p - at)));
            if (iv < SHOAL_TS_MIN || iv >= SHOAL_TS_MAX)
                return fail(ps, at, (size_t)(ps->p - at), "timestamp out of range: \"%s\"",
                            shoal_err_quote(qb, sizeof qb, (const char *)at, (size_t)(ps->p - at)));
            ev->ts = iv;
            return 0;
        }
        return fail(ps, at, token_len(at, ps->end), "\"ts\" must be an ISO-8601 string or epoch milliseconds");
    }

    if (f == F_ID && (c == '-' || (c >= '0' && c <= '9'))) {
        int kind;
        int64_t iv = 0;
        double dv;
        if ((rc = read_number(ps, &kind, &iv, &dv))) return rc;
        if (kind != SHOAL_VAL_INT)
            return fail(ps, at, (size_t)(ps->p - at), "\"id\" must be a string, an integer or null");
        /* The block has 32 spare bytes for this: one id per event. */
        int n = snprintf(ps->o, 24, "%lld", (long long)iv);
        ev->has_id = 1;
        ev->id.ptr = ps->o;
        ev->id.len = (uint32_t)n;
        ps->o += n;
        return 0;
    }

    if (c != '"') {
        if ((f == F_ID || f == F_GROUP) && literal(ps) == -1) return 0;  /* null: none */
        if (f == F_ID) return fail(ps, at, token_len(at, ps->end), "\"id\" must be a string, an integer or null");
        if (f == F_GROUP) return fail(ps, at, token_len(at, ps->end), "\"group\" must be a string or null");
        return fail(ps, at, token_len(at, ps->end), "\"%s\" must be a string", field_name(f));
    }
    if ((rc = read_str(ps, &s, &dec))) return rc;
    unsigned max = f == F_ID ? SHOAL_MAX_ID : SHOAL_MAX_NAME;
    if (s.len > max)
        return fail(ps, at, (size_t)(ps->p - at), "\"%s\" is longer than %u bytes", field_name(f), max);
    if (s.len == 0) {
        /* An empty id or group means none, as an empty CSV field does; an empty
         * member or type is no event. */
        if (f == F_ID || f == F_GROUP) return 0;
        return fail(ps, at, 2, "\"%s\" must not be empty", field_name(f));
    }
    s = keep(ps, s, dec);
    switch (f) {
    case F_ID:
        ev->has_id = 1;
        ev->id = s;
        break;
    case F_MEMBER: ev->member = s; break;
    case F_TYPE: ev->type = s; break;
    default: ev->group = s; break;
    }
    return 0;
}

/* ---------------------------------------------------------------- the usual order */

/* Whether the n bytes at p (4 <= n <= 16) are lit's: two overlapping words, which for a
 * literal lit the compiler makes immediates (memcmp of 11 bytes was a call). */
static inline __attribute__((always_inline)) bool lit_eq(const unsigned char *p, const char *lit, size_t n)
{
    if (n >= 8) {
        uint64_t a, b, x, y;
        memcpy(&a, p, 8), memcpy(&b, p + n - 8, 8), memcpy(&x, lit, 8), memcpy(&y, lit + n - 8, 8);
        return ((a ^ x) | (b ^ y)) == 0;
    }
    uint32_t a, b, x, y;
    memcpy(&a, p, 4), memcpy(&b, p + n - 4, 4), memcpy(&x, lit, 4), memcpy(&y, lit + n - 4, 4);
    return ((a ^ x) | (b ^ y)) == 0;
}

/* Reads the field whose text, from its key's opening quote (with the comma before it)
 * to its value's opening quote, is lit[0..n): a plain string value of 1 to max bytes
 * (no escape, ASCII alone) whose end it returns, or NULL when the line is not so. */
static inline __attribute__((always_inline)) const unsigned char *
fast_str(const unsigned char *p, const unsigned char *end, const char *lit, size_t n, uint32_t max, shoal_str *s)
{
    uint64_t hi = 0;
    if (end - p < (ptrdiff_t)n || !lit_eq(p, lit, n)) return NULL;
    p += n;
    const unsigned char *q = scan_str(p, end, &hi);
    if (q >= end || *q != '"' || (hi & 0x8080808080808080ull) || q == p || (size_t)(q - p) > max) return NULL;
    s->ptr = (const char *)p;
    s->len = (uint32_t)(q - p);
    return q + 1;
}

/* The fast path for the key order nearly every line has, the one `shoal gen` and the
 * documented examples write: {"id":"…","ts":"…","member":"…","type":"…","group":"…"
 * with no blank between, each value a plain string read as read_field reads it (an
 * ISO-8601 "ts", an id and names of 1 to 255 bytes). ps->p is just after the '{'. It
 * takes those fields in that order as long as they come so, and stops before the first
 * one that does not (another key, a blank, an escape, a number, an empty or long
 * string, a timestamp the fast form does not take: whatever the general parse reads
 * otherwise or rejects), leaving ps->p just after the last value taken and ev, ps->o
 * and ps->seen as the general parse leaves them after that value. Returns how many
 * fields it took: with none the general parse starts at the first key, else it goes
 * on from after the last value. Only the key's matching and the dispatch are saved
 * (the general one: a key's string read, its name looked up, four blank skips and the
 * field's switch); the value is read and kept as read_field does. test_ndjson's
 * fast_as_general compares the two on mutated lines, and so does fuzz_ndjson. */
static unsigned fast_fields(parser *ps, shoal_event *ev)
{
    const unsigned char *p = ps->p, *end = ps->end;
    shoal_str s;
#define FIELD(lit, max) (p = fast_str(p, end, lit, sizeof lit - 1, max, &s))
    if (!FIELD("\"id\":\"", SHOAL_MAX_ID)) return 0;
    ev->has_id = 1;
    ev->id = keep(ps, s, 0);
    ps->p = p;
    ps->seen = F_ID;
    if (!FIELD(",\"ts\":\"", 64) || shoal_ts_parse(s.ptr, s.len, &ev->ts, NULL)) return 1;
    ps->p = p;
    ps->seen |= F_TS;
/* a name's field: its value kept into dst, the field seen; else the fields taken so far */
#define NAME(lit, dst, flag, taken)           \
    if (!FIELD(lit, SHOAL_MAX_NAME)) return taken; \
    dst = keep(ps, s, 0);                      \
    ps->p = p;                                 \
    ps->seen |= flag;
    NAME(",\"member\":\"", ev->member, F_MEMBER, 2)
    NAME(",\"type\":\"", ev->type, F_TYPE, 3)
    NAME(",\"group\":\"", ev->group, F_GROUP, 4)
    return 5;
#undef NAME
#undef FIELD
}

/* The parse, with or without the fast path (a constant at each call). */
static inline __attribute__((always_inline)) int parse_line(const char *p, size_t n, shoal_arena *a,
                                                            shoal_event *ev, shoal_err *err, bool fast)
{
    parser ps;
    int rc;

    ps.p = ps.base = (const unsigned char *)p;
    ps.end = ps.p + n;
    ps.err = err;
    ps.seen = 0;
    ps.n_props = 0;
    memset(ev, 0, sizeof *ev);

    SKIP_WS(&ps);
    if (ps.p >= ps.end || *ps.p != '{') return expected(&ps, "a JSON object");
    ps.p++;

    /* Every string of the event goes into one block as long as the line (plus room
     * for a numeric id's decimal text): see read_str for why that is enough. */
    ps.o = shoal_arena_alloc(a, n + 32);
    if (!ps.o) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");

    /* After the fields the fast path took, the general parse goes on from the last
     * one's value; with none it starts at the first key. */
    bool after_value = fast && fast_fields(&ps, ev);
    if (!after_value) SKIP_WS(&ps);
    if (!after_value && ps.p < ps.end && *ps.p == '}') {
        ps.p++;
    } else {
        for (;; after_value = false) {
            if (!after_value) {
                shoal_str key;
                int dec;
                const unsigned char *at = ps.p;
                if (ps.p >= ps.end || *ps.p != '"') return expected(&ps, "a string key");
                if ((rc = read_str(&ps, &key, &dec))) return rc;
                size_t klen = (size_t)(ps.p - at);
                unsigned f = field_of(key);
                SKIP_WS(&ps);
                if (ps.p >= ps.end || *ps.p != ':') return expected(&ps, "':'");
                ps.p++;
                SKIP_WS(&ps);
                if (f) {
                    if (ps.seen & f) return fail(&ps, at, klen, "duplicate key \"%s\"", field_name(f));
                    ps.seen |= f;
                    if ((rc = read_field(&ps, f, ev))) return rc;
                } else {
                    if ((rc = read_prop(&ps, keep(&ps, key, dec), SRC_TOP))) return rc;
                }
            }
            SKIP_WS(&ps);
            if (ps.p < ps.end && *ps.p == ',') {
                ps.p++;
                SKIP_WS(&ps);
                continue;
            }
            if (ps.p < ps.end && *ps.p == '}') {
                ps.p++;
                break;
            }
            return expected(&ps, "',' or '}'");
        }
    }
    SKIP_WS(&ps);
    if (ps.p < ps.end) {
        char qb[200];
        size_t k = (size_t)(ps.end - ps.p);
        return fail(&ps, ps.p, k, "trailing characters after the object: \"%s\"",
                    shoal_err_quote(qb, sizeof qb, (const char *)ps.p, k));
    }

    if (!(ps.seen & F_TS)) return fail(&ps, ps.base, n, "missing \"ts\"");
    if (!ev->member.ptr) return fail(&ps, ps.base, n, "missing \"member\"");
    if (!ev->type.ptr) return fail(&ps, ps.base, n, "missing \"type\"");

    if (ps.n_props) {
        shoal_prop *pr = shoal_arena_alloc(a, ps.n_props * sizeof *pr);
        if (!pr) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        memcpy(pr, ps.props, ps.n_props * sizeof *pr);
        ev->props = pr;
        ev->n_props = ps.n_props;
    }
    return SHOAL_OK;
}

int shoal_ndjson_parse(const char *p, size_t n, shoal_arena *a, shoal_event *ev, shoal_err *err)
{
    return parse_line(p, n, a, ev, err, true);
}

int shoal_ndjson_parse_general(const char *p, size_t n, shoal_arena *a, shoal_event *ev, shoal_err *err)
{
    return parse_line(p, n, a, ev, err, false);
}
