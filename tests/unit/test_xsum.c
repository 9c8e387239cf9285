/* test_xsum.c — exact sums (engine/xsum.c): the same bits whatever the order and the
 * grouping of the additions, the correctly rounded total, and the encoding a counters
 * bucket keeps them in. */
#include "shoal_int.h"
#include "unit.h"

#include <math.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* A value like those in events: amounts with cents, fractions, large and tiny values,
 * integers, negatives. */
static double value(void)
{
    switch (next() % 6) {
    case 0: return (double)(next() % 1000000) / 100;         /* 44.25, 1234.56 */
    case 1: return (double)(next() % 1000) / 1000 - 0.5;     /* small, both signs */
    case 2: return ldexp((double)(next() >> 11), -(int)(next() % 60));
    case 3: return -(double)(next() % 100000) * 0.001;
    case 4: return (double)(int64_t)(next() % 2000001) - 1000000;
    default: return ldexp((double)(next() >> 11), (int)(next() % 40)) * 1e-9;
    }
}

static double sum_of(const double *v, int n)
{
    shoal_xsum s = {0};
    for (int i = 0; i < n; i++) shoal_xsum_add_double(&s, v[i]);
    return shoal_xsum_value(&s);
}

TEST(order_and_grouping)
{
    enum { N = 2000 };
    static double v[N];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) v[i] = value();
        double a = sum_of(v, N);
        /* shuffled */
        for (int i = N - 1; i > 0; i--) {
            int j = (int)(next() % (uint64_t)(i + 1));
            double t = v[i];
            v[i] = v[j], v[j] = t;
        }
        double b = sum_of(v, N);
        /* in random groups, merged in reverse (as days into months, months into a window) */
        shoal_xsum parts[37] = {{0}}, total = {0};
        for (int i = 0; i < N; i++) shoal_xsum_add_double(&parts[next() % 37], v[i]);
        for (int k = 36; k >= 0; k--) shoal_xsum_merge(&total, &parts[k]);
        double c = shoal_xsum_value(&total);
        CHECK(memcmp(&a, &b, 8) == 0 && memcmp(&a, &c, 8) == 0);
        shoal_xsum one = {0};
        for (int i = 0; i < N; i++) shoal_xsum_add_double(&one, v[i]);
        CHECK(shoal_xsum_eq(&one, &total));
    }
}

TEST(correctly_rounded)
{
    /* what math.fsum gives: the exact total, rounded once */
    double tenth[10] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    CHECK(sum_of(tenth, 10) == 1.0);
    double three[3] = {0.1, 0.2, 0.3};
    CHECK(sum_of(three, 3) == 0.6);
    double cancel[3] = {1e16, 1.0, -1e16};
    CHECK(sum_of(cancel, 3) == 1.0);
    double neg[2] = {-0.5, 0.25};
    CHECK(sum_of(neg, 2) == -0.25);
    double zero[2] = {-2.75, 2.75};
    CHECK(sum_of(zero, 2) == 0.0);
    /* ties to even: 2^53 + 1 is halfway, 2^53 + 3 rounds up */
    shoal_xsum s = {0};
    shoal_xsum_add_int(&s, 9007199254740993LL);
    CHECK(shoal_xsum_value(&s) == 9007199254740992.0);
    shoal_xsum_add_int(&s, 2);
    CHECK(shoal_xsum_value(&s) == 9007199254740996.0);
    /* a half and a tiny bit more rounds up: the bits far below count */
    shoal_xsum t = {0};
    shoal_xsum_add_int(&t, 9007199254740993LL);
    shoal_xsum_add_double(&t, 0x1p-60);
    CHECK(shoal_xsum_value(&t) == 9007199254740994.0);
    shoal_xsum u = {0};
    shoal_xsum_add_int(&u, -9007199254740993LL);
    shoal_xsum_add_double(&u, -0x1p-60);
    CHECK(shoal_xsum_value(&u) == -9007199254740994.0);
    /* integers beyond 64 bits stay exact */
    shoal_xsum w = {0};
    int64_t iv;
    for (int i = 0; i < 4; i++) shoal_xsum_add_int(&w, INT64_MAX);
    for (int i = 0; i < 3; i++) shoal_xsum_add_int(&w, -INT64_MAX);
    CHECK(shoal_xsum_int(&w, &iv) && iv == INT64_MAX);
    shoal_xsum_add_double(&w, 0.5);
    CHECK(!shoal_xsum_int(&w, &iv));
    /* sums whose values fit a double exactly add up to the plain sum */
    for (int k = 0; k < 1000; k++) {
        double a = (double)(int64_t)(next() % 100000) / 64, b = -(double)(int64_t)(next() % 100000) / 1024;
        double ab[2] = {a, b};
        CHECK(sum_of(ab, 2) == a + b);
    }
    /* beyond 2^94, a plain double */
    double huge[2] = {1e30, 1.5};
    CHECK(sum_of(huge, 2) == 1e30 + 1.5);
    double inf[2] = {INFINITY, 1.5};
    CHECK(isinf(sum_of(inf, 2)));
}

TEST(encoding_roundtrip)
{
    unsigned char buf[SHOAL_XSUM_BYTES];
    for (int k = 0; k < 2000; k++) {
        shoal_xsum s = {0}, t;
        int n = (int)(next() % 5);
        for (int i = 0; i < n; i++) shoal_xsum_add_double(&s, value());
        if (k % 7 == 0) shoal_xsum_add_int(&s, (int64_t)next());
        if (k % 97 == 0) shoal_xsum_add_double(&s, -3e29);
        size_t len = shoal_xsum_put(buf, &s);
        CHECK(len <= SHOAL_XSUM_BYTES);
        CHECK(shoal_xsum_get(buf, buf + len, &t) == len);
        CHECK(shoal_xsum_eq(&s, &t));
        CHECK(len < 2 || shoal_xsum_get(buf, buf + len - 1, &t) == 0);   /* cut short */
    }
    unsigned char bad[2] = {9, 0};
    shoal_xsum t;
    CHECK(shoal_xsum_get(bad, bad + 2, &t) == 0);
}

int main(void)
{
    RUN(order_and_grouping);
    RUN(correctly_rounded);
    RUN(encoding_roundtrip);
    UNIT_EXIT();
}
