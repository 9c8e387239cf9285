/* numtext.c — a double's text in the output: the shortest of %.15g, %.16g and %.17g
 * that reads back (strtod) to the same double, byte for byte what printf and strtod
 * give, but for the numbers most results hold (a ratio, an average: 1e-3 <= |d| <
 * 1e14) worked out in integers, without printf and strtod. Called by value.c's
 * render_num for every non-whole number a row prints.
 *
 * Why integers: printf's exact conversion (multi-precision, __printf_fp) and strtod
 * cost some 9k instructions a number; DAU, MAU and stickiness per day (365 rows, a
 * ratio each) spent 60% of its instructions there (issue 17). A double is m · 2^-K
 * (m < 2^53); in the range above, m · 10^S for S <= 19 fits in 128 bits, so the
 * digits at any precision, rounded as printf rounds (to nearest, an exact tie to
 * even), are a multiplication, a shift and a compare, and whether a decimal reads
 * back is whether it lies inside the double's rounding interval (ties to even, as
 * strtod), a compare of two 128-bit products.
 */
#include "exec_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
    10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
    1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL,
    10000000000000000000ULL};

/* m · 10^s / 2^k rounded to nearest, an exact tie to even (s <= 19, k <= 64, m < 2^53) */
static uint64_t scaled_round(uint64_t m, int s, int k)
{
    u128 num = (u128)m * pow10_u64[s];
    u128 q = num >> k, r = num & (((u128)1 << k) - 1), half = (u128)1 << (k - 1);
    if (r > half || (r == half && (q & 1))) q++;
    return (uint64_t)q;
}

/* Whether q · 10^-s reads back as m · 2^-k: inside the rounding interval, in units
 * of 2^-(k+2) [4m - lo, 4m + 2], its ends taken when m is even (strtod's tie to even) */
static int reads_back(uint64_t q, int s, uint64_t m, int k)
{
    /* the gap below a power of two (m = 2^52) is half the gap above it */
    uint64_t lo = m == ((uint64_t)1 << 52) ? 1 : 2;
    u128 v = (u128)q << (k + 2), p = pow10_u64[s];
    u128 below = (u128)(4 * m - lo) * p, above = (u128)(4 * m + 2) * p;
    if (m & 1) return v > below && v < above;
    return v >= below && v <= above;
}

/* q's P digits (q < 10^P, at least 10^(P-1)) with s of them after the point, as %g
 * prints them in fixed notation: trailing zeros and a bare point dropped */
static size_t put_fixed(char *buf, int neg, uint64_t q, int P, int s)
{
    char dig[24];
    for (int i = P - 1; i >= 0; i--) dig[i] = (char)('0' + q % 10), q /= 10;
    char *o = buf;
    if (neg) *o++ = '-';
    int ip = P - s;   /* digits before the point (<= 0: "0." and zeros first) */
    if (ip <= 0) {
        *o++ = '0';
    } else {
        memcpy(o, dig, (size_t)ip);
        o += ip;
    }
    int last = P;   /* the fraction's digits up to the last nonzero one */
    while (last > (ip > 0 ? ip : 0) && dig[last - 1] == '0') last--;
    if (last > (ip > 0 ? ip : 0)) {
        *o++ = '.';
        for (int z = ip; z < 0; z++) *o++ = '0';
        int from = ip > 0 ? ip : 0;
        memcpy(o, dig + from, (size_t)(last - from));
        o += last - from;
    }
    *o = 0;
    return (size_t)(o - buf);
}

/* The fast way, or 0 when d is outside its range */
static size_t num_text_int(double d, char *buf)
{
    double a = fabs(d);
    if (!(a >= 1e-3 && a < 1e14)) return 0;
    int e2;
    double f = frexp(a, &e2);                 /* a = f · 2^e2, f in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(f, 53);      /* exact: 53 bits */
    int k = 53 - e2;                          /* a = m · 2^-k; 1e-3 .. 1e14: k in [7, 62] */
    if (k < 1 || k > 62) return 0;
    /* X = floor(log10(a)), made exact: the 17 digits' floor lies in [10^16, 10^17) */
    int X = (int)floor(log10(a));
    for (int tries = 0;; tries++) {
        if (tries > 2 || X < -3 || X > 13) return 0;
        u128 fl = ((u128)m * pow10_u64[16 - X]) >> k;
        if (fl >= (u128)pow10_u64[17]) X++;
        else if (fl < (u128)pow10_u64[16]) X--;
        else break;
    }
    for (int P = 15; P <= 17; P++) {
        int s = P - 1 - X;   /* digits after the point: 1 .. 19 */
        uint64_t q = scaled_round(m, s, k);
        if (P < 17 && !reads_back(q, s, m, k)) continue;
        if (q == pow10_u64[P]) {
            /* rounded up to the next power of ten: one digit fewer after the point */
            q = pow10_u64[P - 1];
            s--;
        }
        return put_fixed(buf, d < 0, q, P, s);
    }
    return 0;   /* (not reached: 17 digits are taken unchecked) */
}

/* The printf way: the reference the integers must equal */
size_t shoal_num_text_printf(double d, char buf[40])
{
    int k = 0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(buf, 40, "%.*g", prec, d);
        if (prec == 17 || strtod(buf, NULL) == d) break;
    }
    if (k < 0) k = 0;
    if (k >= 40) k = 39;
    buf[k] = 0;
    return (size_t)k;
}

size_t shoal_num_text(double d, char buf[40])
{
    size_t n = num_text_int(d, buf);
    return n ? n : shoal_num_text_printf(d, buf);
}
