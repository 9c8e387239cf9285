/* test_numtext.c — a double's text (query/numtext.c): the integer way must give, byte
 * for byte, what printf and strtod give (the shortest of %.15g..%.17g that reads back),
 * over ratios, random doubles of every exponent in and around its range, exact ties at
 * the 15th and 16th digit, powers of two (the narrower gap below them) and values next
 * to powers of ten (a rounding that carries into a new digit). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shoal.h"
#include "shoal_int.h"
#include "plan.h"
#include "unit.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next64(void) { return unit_next64(&rng); }

static long n_diff;

static void same(double d)
{
    char a[40], b[40];
    size_t na = shoal_num_text(d, a), nb = shoal_num_text_printf(d, b);
    if (na != nb || strcmp(a, b)) {
        if (n_diff++ < 10) printf("  %.17g: %s, printf %s\n", d, a, b);
    }
}

static void both_signs(double d)
{
    same(d);
    same(-d);
}

TEST(num_text_ratios)
{
    /* what results hold: a count over a count (stickiness, a rate), an average */
    for (int b = 1; b <= 3000; b++)
        for (int a = 0; a <= b; a += 1 + b / 300) both_signs((double)a / b);
    for (int i = 0; i < 200000; i++) {
        double a = (double)(next64() % 100000000), b = (double)(1 + next64() % 1000000);
        both_signs(a / b);
    }
    CHECK(n_diff == 0);
}

TEST(num_text_random)
{
    n_diff = 0;
    /* random bits at exponents from 2^-14 to 2^50, across the range's edges */
    for (int i = 0; i < 400000; i++) {
        int e = -14 + (int)(next64() % 65);
        double f = 0.5 + (double)(next64() >> 11) * 0x1p-54;   /* [0.5, 1) */
        both_signs(ldexp(f, e));
    }
    /* exact ties: an integer of 14 to 16 digits and a fraction of a few bits, whose
     * exact value ends in a 5 at the 16th or 17th digit */
    for (int i = 0; i < 200000; i++) {
        uint64_t q = 10000000000000ULL + next64() % 90000000000000ULL;
        int j = 1 + (int)(next64() % 4);
        both_signs(ldexp((double)(2 * q + 1), -j) / (next64() & 1 ? 1 : 8));
        both_signs((double)q / 16 + 0.5 / 16);
    }
    /* powers of two and their neighbours; next to powers of ten */
    for (int e = -12; e <= 48; e++) {
        double p = ldexp(1, e);
        both_signs(p), both_signs(nextafter(p, 0)), both_signs(nextafter(p, INFINITY));
    }
    for (int e = -4; e <= 15; e++) {
        double p = pow(10, e), d = p;
        for (int k = 0; k < 40; k++, d = nextafter(d, 0)) both_signs(d);
        d = p;
        for (int k = 0; k < 40; k++, d = nextafter(d, INFINITY)) both_signs(d);
        both_signs(p * 0.9999999999999995), both_signs(p * 0.99999999999999995), both_signs(p * 1.0000000000000005);
    }
    /* the edges of the integer way's range, and outside it */
    both_signs(1e-3), both_signs(nextafter(1e-3, 0)), both_signs(1e14), both_signs(nextafter(1e14, 0));
    both_signs(1.5e-7), both_signs(123456789012345678.0), both_signs(5e-324), both_signs(0.1 + 0.2);
    CHECK(n_diff == 0);
}

int main(void)
{
    RUN(num_text_ratios);
    RUN(num_text_random);
    UNIT_EXIT();
}
