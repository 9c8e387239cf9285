/* xsum.c — exact sums of property values, so that a sum does not depend on the order
 * or grouping of its additions: a counters view adds per day, then across days and
 * months; a scan adds in log order; both must give the same double, to the last bit.
 *
 * A sum is kept as a fixed-point number: an integer part (128 bits) and a fraction in
 * units of 2^-120. An integer is added to the integer part, exactly. A double x is split
 * into trunc(x) and x − trunc(x), both exact in binary floating point; the fraction
 * times 2^120 is an integer whenever x's lowest bit is at least 2^-120, which holds for
 * every double of magnitude 2^-67 (6.8e-21) or more, and is rounded to the nearest
 * integer (ties to even) otherwise: a rounding of the value alone, the same whatever
 * the order. The value is the fixed-point total correctly rounded to a double, once.
 * Additions and merges are exact integer arithmetic, hence associative and
 * commutative: every grouping gives the same bits.
 *
 * Bound: fewer than 2^32 addends (a log holds fewer events) of magnitude below 2^94
 * keep the integer part within 2^126. A double of magnitude 2^94 (2e28) or more, an
 * infinity or a NaN is added to `big`, a plain double, whose order of addition may
 * show in its last bit: the one case in which two paths may differ.
 */
#include "shoal_int.h"

#include <math.h>

#define FRAC_BITS 120
#define ONE ((shoal_u128)1 << FRAC_BITS)

void shoal_xsum_add_double(shoal_xsum *s, double x)
{
    if (!(fabs(x) < 0x1p94)) {   /* also an infinity or a NaN */
        s->big += x;
        return;
    }
    double t = trunc(x), f = x - t;   /* both exact */
    shoal_i128 fr = (shoal_i128)nearbyint(ldexp(f, FRAC_BITS));   /* |fr| <= 2^120 */
    shoal_i128 sum = (shoal_i128)s->fp + fr;   /* in [-2^120, 2^121) */
    shoal_i128 carry = sum < 0 ? -1 : sum >= (shoal_i128)ONE ? 1 : 0;
    s->fp = (shoal_u128)(sum - carry * (shoal_i128)ONE);
    s->ip += (shoal_i128)t + carry;
}

void shoal_xsum_merge(shoal_xsum *s, const shoal_xsum *o)
{
    s->ip += o->ip;
    s->fp += o->fp;
    if (s->fp >= ONE) {
        s->fp -= ONE;
        s->ip += 1;
    }
    s->big += o->big;
}

/* a · 2^e as a double, a < 2^128 and any bits below the 64 kept sticky: rounded once. */
static double round_u128(shoal_u128 hi_bits, int sticky, int e)
{
    int k = 0;
    for (shoal_u128 t = hi_bits; t; t >>= 1) k++;
    if (k > 64) {
        shoal_u128 lost = hi_bits & (((shoal_u128)1 << (k - 64)) - 1);
        sticky |= lost != 0;
        hi_bits >>= k - 64;
        e += k - 64;
    }
    uint64_t u = (uint64_t)hi_bits;
    /* With 64 bits (or fewer, then exact) and the sticky bit at the bottom, 11 or more
     * below the double's last bit, the conversion rounds to nearest even correctly. */
    if (sticky) u |= 1;
    return ldexp((double)u, e);
}

double shoal_xsum_value(const shoal_xsum *s)
{
    /* The magnitude as an integer part a and a fraction b in [0, 2^120). */
    int neg = s->ip < 0;
    shoal_u128 a, b = s->fp;
    if (!neg) {
        a = (shoal_u128)s->ip;
    } else {
        a = (shoal_u128)(-(s->ip + 1));   /* −ip − 1, no overflow */
        if (b) b = ONE - b;
        else a += 1;
    }
    double v;
    if (!a) {
        v = round_u128(b, 0, -FRAC_BITS);
    } else {
        int k = 0;
        for (shoal_u128 t = a; t; t >>= 1) k++;
        if (k >= 64) {
            v = round_u128(a, b != 0, 0);
        } else {
            /* the 64 top bits: all of a, then 64 − k of b */
            int from_b = 64 - k;
            shoal_u128 top = a << from_b | b >> (FRAC_BITS - from_b);
            int sticky = (b & (((shoal_u128)1 << (FRAC_BITS - from_b)) - 1)) != 0;
            v = round_u128(top, sticky, -from_b);
        }
    }
    if (neg) v = -v;
    return s->big != 0 || isnan(s->big) ? v + s->big : v;
}

int shoal_xsum_int(const shoal_xsum *s, int64_t *out)
{
    if (s->fp || s->big != 0 || isnan(s->big) || s->ip < INT64_MIN || s->ip > INT64_MAX) return 0;
    *out = (int64_t)s->ip;
    return 1;
}

int shoal_xsum_eq(const shoal_xsum *a, const shoal_xsum *b)
{
    return a->ip == b->ip && a->fp == b->fp && memcmp(&a->big, &b->big, sizeof a->big) == 0;
}

/* ---------------------------------------------------------------- encoding */

static size_t put128(unsigned char *p, shoal_u128 v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static size_t get128(const unsigned char *p, const unsigned char *end, shoal_u128 *v)
{
    shoal_u128 r = 0;
    unsigned shift = 0;
    const unsigned char *s = p;
    while (p < end && shift < 128) {
        unsigned char c = *p++;
        r |= (shoal_u128)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return (size_t)(p - s);
        }
        shift += 7;
    }
    return 0;
}

size_t shoal_xsum_put(unsigned char *p, const shoal_xsum *s)
{
    unsigned char f = (unsigned char)((s->ip != 0) | (s->fp != 0) << 1 | (s->big != 0 || isnan(s->big)) << 2);
    size_t n = 0;
    p[n++] = f;
    if (f & 1) n += put128(p + n, (shoal_u128)s->ip << 1 ^ (shoal_u128)(s->ip >> 127));
    if (f & 2) {
        /* the fraction's trailing zeros, then the rest: 0.25 is two bytes, not 18 */
        unsigned tz = 0;
        while (!(s->fp >> tz & 1)) tz++;
        p[n++] = (unsigned char)tz;
        n += put128(p + n, s->fp >> tz);
    }
    if (f & 4) {
        memcpy(p + n, &s->big, 8);
        n += 8;
    }
    return n;
}

size_t shoal_xsum_get(const unsigned char *p, const unsigned char *end, shoal_xsum *s)
{
    const unsigned char *s0 = p;
    memset(s, 0, sizeof *s);
    if (p >= end || *p > 7) return 0;
    unsigned f = *p++;
    size_t k;
    shoal_u128 v;
    if (f & 1) {
        if (!(k = get128(p, end, &v))) return 0;
        p += k;
        s->ip = (shoal_i128)(v >> 1) ^ -(shoal_i128)(v & 1);
    }
    if (f & 2) {
        if (p >= end || *p >= FRAC_BITS) return 0;
        unsigned tz = *p++;
        if (!(k = get128(p, end, &v)) || v >> (FRAC_BITS - tz)) return 0;
        p += k;
        s->fp = v << tz;
    }
    if (f & 4) {
        if (end - p < 8) return 0;
        memcpy(&s->big, p, 8);
        p += 8;
    }
    return (size_t)(p - s0);
}
