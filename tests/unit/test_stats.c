/* test_stats.c — the experiment statistics (query/stats.c) against published values:
 * R's documented examples and textbook outputs, distribution tables, and GrowthBook's
 * gbstats test suite (packages/stats/tests). Each case names its source; each
 * expected value is compared to the precision it was published with. */
#include <math.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

/* |got - want| <= tol, printing both when not (a CHECK alone would only say which
 * line). tol is half a unit of the last digit published, or a little more. */
static int near_(double got, double want, double tol, const char *what, int line)
{
    if (fabs(got - want) <= tol) return 1;
    printf("test_stats.c:%d: %s = %.12g, want %.12g (tol %g)\n", line, what, got, want, tol);
    return 0;
}
#define NEAR(got, want, tol) CHECK(near_((got), (want), (tol), #got, __LINE__))

static shoal_stats_moments of_values(const double *x, int n)
{
    shoal_stats_moments m = { 0 };
    for (int i = 0; i < n; i++) {
        m.n += 1;
        m.sx += x[i];
        m.sxx += x[i] * x[i];
    }
    return m;
}

static shoal_stats_moments of_sums(double n, double sx, double sxx)
{
    return (shoal_stats_moments){ .n = n, .sx = sx, .sxx = sxx };
}

/* ---------------------------------------------------------------- distributions */

TEST(distribution_tables)
{
    /* Student t critical values, two-sided 95% (any t table, e.g. NIST/SEMATECH
     * e-Handbook 1.3.6.7.2): 12.706 (df 1), 4.303 (2), 2.228 (10), 2.042 (30);
     * R: qt(0.975, 10) = 2.228139. */
    NEAR(shoal_stats_t_quantile(0.975, 1), 12.706, 5e-4);
    NEAR(shoal_stats_t_quantile(0.975, 2), 4.303, 5e-4);
    NEAR(shoal_stats_t_quantile(0.975, 10), 2.228139, 5e-7);
    NEAR(shoal_stats_t_quantile(0.975, 30), 2.042, 5e-4);
    NEAR(shoal_stats_t_quantile(0.025, 10), -2.228139, 5e-7);
    NEAR(shoal_stats_t_quantile(0.995, 5), 4.032, 5e-4);
    /* Normal: qnorm(0.975) = 1.959964, qnorm(0.995) = 2.575829 (R). */
    NEAR(shoal_stats_norm_quantile(0.975), 1.959964, 5e-7);
    NEAR(shoal_stats_norm_quantile(0.995), 2.575829, 5e-7);
    NEAR(shoal_stats_norm_cdf(1.959964), 0.975, 1e-7);
    /* Chi-square upper 5% points (NIST/SEMATECH 1.3.6.7.4): 3.841 (df 1), 5.991 (2),
     * 18.307 (10). */
    NEAR(shoal_stats_chi2_cdf(3.841459, 1), 0.95, 1e-7);
    NEAR(shoal_stats_chi2_sf(5.991465, 2), 0.05, 1e-7);
    NEAR(shoal_stats_chi2_cdf(18.30704, 10), 0.95, 1e-7);
}

/* Closed forms the general algorithms must reproduce to ~1e-12: Cauchy (t, df 1),
 * t with df 2, chi-square with df 2 (an exponential), I_x(1, b) and I_x(a, 1). */
TEST(distribution_closed_forms)
{
    double ts[] = { -30, -4, -1.5, -0.2, 0.7, 3, 12 };
    for (int i = 0; i < 7; i++) {
        double t = ts[i];
        NEAR(shoal_stats_t_cdf(t, 1), 0.5 + atan(t) / M_PI, 1e-13);
        NEAR(shoal_stats_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)), 1e-13);
    }
    double xs[] = { 0.01, 0.5, 2, 9, 40, 120 };
    for (int i = 0; i < 6; i++) {
        double sf = shoal_stats_chi2_sf(xs[i], 2), want = exp(-xs[i] / 2);
        CHECK(fabs(sf - want) <= 1e-12 * want);
    }
    NEAR(shoal_stats_beta_inc(1, 3.5, 0.3), 1 - pow(0.7, 3.5), 1e-14);
    NEAR(shoal_stats_beta_inc(2.5, 1, 0.3), pow(0.3, 2.5), 1e-14);
    NEAR(shoal_stats_gamma_inc(1, 2.5), 1 - exp(-2.5), 1e-14);
    /* Tails keep relative precision: P(T < -40) at df 1 is atan's tail. */
    double tail = shoal_stats_t_cdf(-40, 1), want = atan(1.0 / 40) / M_PI;
    CHECK(fabs(tail - want) <= 1e-12 * want);
    /* Quantiles invert the CDFs, also at non-integer and very large df. */
    double dfs[] = { 1, 1.5, 2.5, 17.776, 1000, 2.5e6, 4e6, INFINITY };
    double ps[] = { 1e-9, 0.001, 0.025, 0.3, 0.5, 0.9, 0.999 };
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 7; j++) {
            double q = shoal_stats_t_quantile(ps[j], dfs[i]);
            CHECK(fabs(shoal_stats_t_cdf(q, dfs[i]) - ps[j]) <= 1e-12 * ps[j]);
        }
    /* Large df switches between the continued fraction and Fisher's expansion (at
     * t² = 9 from df 1e4, and at df 3e6): both sides must agree to 1e-10 relative,
     * which the expansion's second term is needed for. */
    double edge[][2] = { { 3, 2e4 }, { 3, 1e5 }, { 3, 1e6 } };
    for (int i = 0; i < 3; i++) {
        double t = edge[i][0], df = edge[i][1];
        double in = shoal_stats_t_cdf(-t, df), out = shoal_stats_t_cdf(-t * (1 + 1e-15), df);
        CHECK(fabs(in - out) <= 1e-10 * in);
    }
    double in = shoal_stats_t_cdf(-5, 3e6), out = shoal_stats_t_cdf(-5, 3e6 * (1 - 1e-15));
    CHECK(fabs(in - out) <= 1e-10 * in);
    /* Large df tends to the normal. */
    NEAR(shoal_stats_t_cdf(-2.5, 1e12), shoal_stats_norm_cdf(-2.5), 1e-12);
    CHECK(isnan(shoal_stats_t_cdf(1, 0)) && isnan(shoal_stats_t_quantile(1.5, 3)));
    CHECK(shoal_stats_t_quantile(0, 3) == -INFINITY && shoal_stats_norm_quantile(1) == INFINITY);
}

/* ---------------------------------------------------------------- Welch */

TEST(welch_sleep)
{
    /* R: t.test(extra ~ group, data = sleep) (its documented example):
     * t = -1.8608, df = 17.776, p-value = 0.07939,
     * 95 percent confidence interval: -3.3654832 0.2054832; means 0.75, 2.33.
     * R reports group 1 - group 2, so group 2 is our control a. */
    double g1[] = { 0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0 };
    double g2[] = { 1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4 };
    shoal_stats_moments m1 = of_values(g1, 10), m2 = of_values(g2, 10);
    shoal_stats_arm a, b;
    CHECK_RC(shoal_stats_arm_mean(&m2, &a), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_mean(&m1, &b), SHOAL_OK);
    NEAR(b.mean, 0.75, 1e-12);
    NEAR(a.mean, 2.33, 1e-12);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.stat, -1.8608, 5e-5);
    NEAR(r.df, 17.776, 5e-4);
    NEAR(r.p, 0.07939, 5e-6);
    NEAR(r.ci_lo, -3.3654832, 5e-8);
    NEAR(r.ci_hi, 0.2054832, 5e-8);
    NEAR(r.estimate, -1.58, 1e-12);
}

/* gbstats tests/frequentist/test_tests.py, TestTwoSidedTTest: stat_a = (sum 1396.87,
 * sum_squares 52377.9767, n 3407), stat_b = (2422.7, 134698.29, 3461). */
TEST(welch_gbstats)
{
    shoal_stats_moments ma = of_sums(3407, 1396.87, 52377.9767), mb = of_sums(3461, 2422.7, 134698.29);
    shoal_stats_arm a, b;
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    shoal_stats_result r;
    /* test_two_sided_ttest_absolute: expected 0.29, ci (0.04538, 0.53462),
     * stddev 0.12478, pValue 0.02016 */
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.29, 5e-6);
    NEAR(r.ci_lo, 0.04538, 5e-6);
    NEAR(r.ci_hi, 0.53462, 5e-6);
    NEAR(r.se, 0.12478, 5e-6);
    NEAR(r.p, 0.02016, 5e-6);
    /* test_two_sided_ttest (relative, the delta method): expected 0.70732,
     * ci (-0.03526, 1.44989), stddev 0.37879, pValue 0.06191 */
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.70732, 5e-6);
    NEAR(r.ci_lo, -0.03526, 5e-6);
    NEAR(r.ci_hi, 1.44989, 5e-6);
    NEAR(r.se, 0.37879, 5e-6);
    NEAR(r.p, 0.06191, 5e-6);

    /* TestOneSidedGreaterTTest: stat_a with n 3000 instead. Relative: expected
     * 0.5033610858562358, ci lower -0.045136675850396046, stddev 0.3334122146400735,
     * pValue 0.06558262868467746; absolute: 0.23437666666666668, lower
     * 0.020791480063255735, stddev 0.12983081254184736, pValue 0.03554272489873023. */
    ma.n = 3000;
    shoal_stats_arm_mean(&ma, &a);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_GREATER, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.5033610858562358, 1e-10);
    NEAR(r.ci_lo, -0.045136675850396046, 1e-8);
    CHECK(r.ci_hi == INFINITY);
    NEAR(r.se, 0.3334122146400735, 1e-10);
    NEAR(r.p, 0.06558262868467746, 1e-8);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_GREATER, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.23437666666666668, 1e-10);
    NEAR(r.ci_lo, 0.020791480063255735, 1e-8);
    NEAR(r.se, 0.12983081254184736, 1e-10);
    NEAR(r.p, 0.03554272489873023, 1e-8);
    /* TestOneSidedLesserTTest, the same arms: relative ci upper 1.0518588475628676,
     * pValue 0.9344173713153225; absolute ci upper 0.44796185327007765, pValue
     * 0.9644572751012698. */
    shoal_stats_result l;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_LESS, 0.95, &l), SHOAL_OK);
    NEAR(l.p, 0.9644572751012698, 1e-8);
    CHECK(l.ci_lo == -INFINITY);
    NEAR(l.ci_hi, 0.44796185327007765, 1e-8);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_LESS, 0.95, &l), SHOAL_OK);
    NEAR(l.p, 0.9344173713153225, 1e-8);
    NEAR(l.ci_hi, 1.0518588475628676, 1e-8);
    /* A two-sided 90% CI is the two one-sided 95% bounds: the same published values at
     * another level (CREATE EXPERIMENT … CONFIDENCE 0.90). */
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.90, &l), SHOAL_OK);
    NEAR(l.ci_lo, 0.020791480063255735, 1e-8);
    NEAR(l.ci_hi, 0.44796185327007765, 1e-8);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.90, &l), SHOAL_OK);
    NEAR(l.ci_lo, -0.045136675850396046, 1e-8);
    NEAR(l.ci_hi, 1.0518588475628676, 1e-8);
}

/* tests/test_gbstats.py, TestAnalyzeMetricDfFrequentist.test_get_metric_dfs_frequentist:
 * dimension "one", control zero (sum 270, sum_squares 848.79, n 100), one (300, 869,
 * 120): relative expected -0.074074074, pValue 0.145219005. */
TEST(welch_gbstats_count_metric)
{
    shoal_stats_moments ma = of_sums(100, 270, 848.79), mb = of_sums(120, 300, 869);
    shoal_stats_arm a, b;
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, -0.074074074, 5e-10);
    NEAR(r.p, 0.145219005, 5e-9);
}

TEST(welch_errors)
{
    shoal_stats_moments one = of_sums(1, 3, 9), flat = of_sums(10, 20, 40), zero = of_sums(10, 0, 4);
    shoal_stats_moments ok = of_sums(10, 20, 50);
    shoal_stats_arm a, b;
    shoal_stats_result r;
    CHECK_RC(shoal_stats_arm_mean(&one, &a), SHOAL_EINVAL);
    CHECK(isnan(a.mean));
    shoal_stats_arm_mean(&flat, &a);
    shoal_stats_arm_mean(&flat, &b);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_ERANGE);
    CHECK(isnan(r.p));
    shoal_stats_arm_mean(&zero, &a);
    shoal_stats_arm_mean(&ok, &b);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_ERANGE);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 1.0, &r), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, 7, 0.95, &r), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_welch(&a, &b, 5, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_EINVAL);
}

/* ---------------------------------------------------------------- proportions */

TEST(proportions_prop_test)
{
    shoal_stats_result r;
    /* prop.test(x = c(179, 203), n = c(300, 400), correct = FALSE) (Gustavus Adolphus
     * College, MCS 142 R notes): X-squared = 5.4979, p-value = 0.01904, 95 percent
     * CI 0.01512659 0.16320674, props 0.5966667 0.5075000. R's prop 1 is our b. */
    CHECK_RC(shoal_stats_prop_test(203, 400, 179, 300, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.stat * r.stat, 5.4979, 5e-5);
    NEAR(r.p, 0.01904, 5e-6);
    NEAR(r.ci_lo, 0.01512659, 5e-9);
    NEAR(r.ci_hi, 0.16320674, 5e-9);
    NEAR(r.estimate, 0.5966667 - 0.5075, 1e-7);
    /* influentialpoints.com, "Two-sample test for independent proportions - using R":
     * prop 1 0.4392523, prop 2 0.3046875, X-squared = 6.1026, p-value = 0.01350, CI
     * 0.03074072 0.23838896. The page prints proportions only; 94/214 and 39/128 are
     * the counts that reproduce all of its numbers (47/107 gives X² 4.548). */
    CHECK_RC(shoal_stats_prop_test(39, 128, 94, 214, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.stat * r.stat, 6.1026, 5e-5);
    NEAR(r.p, 0.01350, 5e-6);
    NEAR(r.ci_lo, 0.03074072, 5e-9);
    NEAR(r.ci_hi, 0.23838896, 5e-9);
    /* One-sided halves the two-sided p when the effect is in the direction asked. */
    shoal_stats_result g;
    CHECK_RC(shoal_stats_prop_test(39, 128, 94, 214, SHOAL_STATS_GREATER, 0.95, &g), SHOAL_OK);
    NEAR(g.p, r.p / 2, 1e-12);
    CHECK(g.ci_hi == 1 && g.ci_lo > r.ci_lo);
    CHECK_RC(shoal_stats_prop_test(0, 10, 0, 10, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_ERANGE);
    CHECK_RC(shoal_stats_prop_test(11, 10, 0, 10, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_EINVAL);
}

TEST(proportions_k_groups)
{
    /* R ?prop.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82);
     * prop.test(smokers, patients): X-squared = 12.6, df = 3, p-value = 0.005585. */
    double x[] = { 83, 90, 129, 70 }, n[] = { 86, 93, 136, 82 }, chi2, p;
    CHECK_RC(shoal_stats_prop_chi2(4, x, n, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 12.6, 0.05);
    NEAR(p, 0.005585, 5e-7);
    /* With two groups it is the square of the two-proportion z (Gustavus case). */
    double x2[] = { 179, 203 }, n2[] = { 300, 400 };
    CHECK_RC(shoal_stats_prop_chi2(2, x2, n2, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 5.4979, 5e-5);
    NEAR(p, 0.01904, 5e-6);
}

/* gbstats test_tests.py, test_two_sided_ttest_binom: ProportionStatistic(sum 14,
 * n 28) against (16, 30), relative: expected 0.06667, ci (-0.47767, 0.61101),
 * stddev 0.2717, pValue 0.80707 (Welch on p(1 - p) variances). */
TEST(proportions_gbstats_relative)
{
    shoal_stats_moments ma = { .n = 28, .sx = 14, .sxx = 14 }, mb = { .n = 30, .sx = 16, .sxx = 16 };
    shoal_stats_arm a, b;
    CHECK_RC(shoal_stats_arm_proportion(&ma, &a), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_proportion(&mb, &b), SHOAL_OK);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.06667, 5e-6);
    NEAR(r.ci_lo, -0.47767, 5e-6);
    NEAR(r.ci_hi, 0.61101, 5e-6);
    NEAR(r.se, 0.2717, 5e-5);
    NEAR(r.p, 0.80707, 5e-6);
}

/* ---------------------------------------------------------------- ratio, cluster */

/* tests/test_gbstats.py RATIO_STATISTICS_DF, dimension "one": control zero (n 100,
 * main 270 / 848.79, denominator 510 / 810, product -900), one (n 120, 300 / 869,
 * 500 / 800, -905). Frequentist relative: cr 0.529411765 and 0.6, expected
 * 0.133333333, pValue 0.610663339. Bayesian (flat prior): risk[1] 0.050934045,
 * chanceToWin 0.694926359. */
TEST(ratio_gbstats)
{
    shoal_stats_moments ma = { .n = 100, .sx = 270, .sxx = 848.79, .sy = 510, .syy = 810, .sxy = -900 };
    shoal_stats_moments mb = { .n = 120, .sx = 300, .sxx = 869, .sy = 500, .syy = 800, .sxy = -905 };
    shoal_stats_arm a, b;
    CHECK_RC(shoal_stats_arm_ratio(&ma, &a), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_ratio(&mb, &b), SHOAL_OK);
    NEAR(a.mean, 0.529411765, 5e-10);
    NEAR(b.mean, 0.6, 1e-12);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.133333333, 5e-10);
    NEAR(r.p, 0.610663339, 5e-9);
    shoal_stats_bayes z;
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, NULL, 0.95, &z), SHOAL_OK);
    NEAR(z.mean, 0.133333333, 5e-10);
    NEAR(z.chance_to_win, 0.694926359, 5e-9);
    NEAR(z.risk_treatment, 0.050934045, 5e-9);
    ma.sy = 0;
    CHECK_RC(shoal_stats_arm_ratio(&ma, &a), SHOAL_EINVAL);
}

/* Clusters of one unit each are the units themselves: the cluster-level variance
 * (a ratio over cluster totals with y = 1) equals the unit-level one. With real
 * clusters whose members are alike, the variance per unit grows with the cluster
 * size (the design effect), which the unit-level analysis would miss. */
TEST(cluster)
{
    double x[] = { 3, 0, 5, 2, 2, 7, 1, 0, 4, 6 };
    shoal_stats_moments units = of_values(x, 10), clusters = units;
    clusters.sy = 10;
    clusters.syy = 10;
    clusters.sxy = units.sx;
    shoal_stats_arm u, c;
    CHECK_RC(shoal_stats_arm_mean(&units, &u), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_cluster(&clusters, &c), SHOAL_OK);
    NEAR(c.mean, u.mean, 1e-12);
    NEAR(c.var, u.var, 1e-12);
    /* Each of the 10 values now is a cluster of 4 identical members: the mean per
     * member is unchanged, its variance per cluster (n = 10) is the same per-cluster
     * spread, while 40 independent members would claim a quarter of it. */
    shoal_stats_moments big = { .n = 10, .sx = 4 * units.sx, .sxx = 16 * units.sxx, .sy = 40, .syy = 160, .sxy = 16 * units.sx };
    shoal_stats_moments naive = { .n = 40, .sx = 4 * units.sx, .sxx = 4 * units.sxx };
    shoal_stats_arm bc, bn;
    CHECK_RC(shoal_stats_arm_cluster(&big, &bc), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_mean(&naive, &bn), SHOAL_OK);
    NEAR(bc.mean, u.mean, 1e-12);
    NEAR(bc.var / bc.n, u.var / 10, 1e-12);
    CHECK(bc.var / bc.n > 3.5 * bn.var / bn.n);
}

/* ---------------------------------------------------------------- CUPED */

/* tests/test_gbstats.py RA_STATISTICS_DF with RA_METRIC, frequentist relative:
 * control zero (main 300 / 600, covariate 210 / 415, product -20, n 3001), one (222 /
 * 555, 120 / 405, -10, n 3000): cr 0.099966678 and 0.074 (unadjusted), expected
 * -0.281707154, pValue 0.003732549. */
TEST(cuped_gbstats)
{
    shoal_stats_moments m[2] = {
        { .n = 3001, .sx = 300, .sxx = 600, .sc = 210, .scc = 415, .sxc = -20 },
        { .n = 3000, .sx = 222, .sxx = 555, .sc = 120, .scc = 405, .sxc = -10 },
    };
    double theta = shoal_stats_cuped_theta(m, 2);
    CHECK(theta != 0);
    shoal_stats_arm a, b;
    CHECK_RC(shoal_stats_arm_cuped(&m[0], theta, &a), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_cuped(&m[1], theta, &b), SHOAL_OK);
    NEAR(a.base, 0.099966678, 5e-10);
    NEAR(b.base, 0.074, 1e-12);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, -0.281707154, 5e-10);
    NEAR(r.p, 0.003732549, 5e-9);
    /* The covariate explains part of the variance: the adjusted comparison is tighter
     * than the plain one, by the reduction reported. */
    shoal_stats_arm pa, pb;
    shoal_stats_result plain;
    shoal_stats_arm_mean(&m[0], &pa);
    shoal_stats_arm_mean(&m[1], &pb);
    CHECK_RC(shoal_stats_welch(&pa, &pb, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &plain), SHOAL_OK);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    double red = shoal_stats_cuped_reduction(&a, &b);
    CHECK(red > 0 && red < 1);
    NEAR(r.se * r.se, plain.se * plain.se * (1 - red), 1e-15);
    /* θ is the least-squares slope, so it is the θ of greatest reduction. */
    for (double f = 0.9; f < 1.2; f += 0.2) {
        shoal_stats_arm fa, fb;
        shoal_stats_arm_cuped(&m[0], theta * f, &fa);
        shoal_stats_arm_cuped(&m[1], theta * f, &fb);
        CHECK(shoal_stats_cuped_reduction(&fa, &fb) < red);
    }
    /* θ = 0 is no adjustment: the plain analysis exactly. */
    CHECK_RC(shoal_stats_arm_cuped(&m[0], 0, &a), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_cuped(&m[1], 0, &b), SHOAL_OK);
    CHECK_RC(shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    CHECK_RC(shoal_stats_welch(&pa, &pb, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &plain), SHOAL_OK);
    NEAR(r.p, plain.p, 1e-15);
    /* A covariate without variance gives θ = 0. */
    shoal_stats_moments flat[2] = { m[0], m[1] };
    flat[0].sc = flat[0].scc = flat[1].sc = flat[1].scc = 0;
    CHECK(shoal_stats_cuped_theta(flat, 2) == 0);
}

/* gbstats tests/frequentist/test_tests.py, test_two_sided_ttest_test_runs_ratio_ra
 * (RegressionAdjustedRatioStatistic, θ computed): relative expected -0.0007,
 * ci (-0.00841, 0.00700), stddev 0.00391, pValue 0.85771; and
 * test_sequential_test_runs_ratio_ra (default tuning): ci (-0.02063, 0.01923). */
TEST(ratio_cuped_gbstats)
{
    shoal_stats_ratio_moments a = {
        .n = 100, .m = 485.112236689623, .mm = 2715.484666118136,
        .d = 679.9093275844917, .dd = 4939.424001640236,
        .m0 = 192.59138069991536, .m0m0 = 460.076026390857,
        .d0 = 290.1398399750233, .d0d0 = 920.9461385038898,
        .mm0 = 1113.6215759318352, .dd0 = 2130.9404074446747, .m0d0 = 634.239482353647,
        .md = 3602.146836776702, .md0 = 1559.2878434944676, .dm0 = 1460.3181079276983,
    };
    shoal_stats_ratio_moments b = {
        .n = 100, .m = 514.7757826608777, .mm = 2994.897482705013,
        .d = 705.4090874383759, .dd = 5291.36604146392,
        .m0 = 206.94157227402536, .m0m0 = 514.2903702246757,
        .d0 = 302.54389139107326, .d0d0 = 994.4506208125663,
        .mm0 = 1237.0953021125997, .dd0 = 2292.081739775257, .m0d0 = 698.4173425817908,
        .md = 3918.1561431600717, .md0 = 1701.0287270040265, .dm0 = 1604.0759503266522,
    };
    double theta = shoal_stats_ratio_cuped_theta(&a, &b);
    CHECK(theta > 0);
    shoal_stats_arm aa, ab;
    CHECK_RC(shoal_stats_arm_ratio_cuped(&a, theta, &aa), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_ratio_cuped(&b, theta, &ab), SHOAL_OK);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_welch(&aa, &ab, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, -0.0007, 5e-6);
    NEAR(r.ci_lo, -0.00841, 5e-6);
    NEAR(r.ci_hi, 0.00700, 5e-6);
    NEAR(r.se, 0.00391, 5e-6);
    NEAR(r.p, 0.85771, 5e-6);
    CHECK_RC(shoal_stats_sequential(&aa, &ab, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.ci_lo, -0.02063, 5e-6);
    NEAR(r.ci_hi, 0.01923, 5e-6);
    /* θ = 0 is the plain ratio metric. */
    shoal_stats_moments pa = { .n = a.n, .sx = a.m, .sxx = a.mm, .sy = a.d, .syy = a.dd, .sxy = a.md };
    shoal_stats_arm ra, r0;
    CHECK_RC(shoal_stats_arm_ratio(&pa, &ra), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_ratio_cuped(&a, 0, &r0), SHOAL_OK);
    NEAR(r0.mean, ra.mean, 1e-15);
    NEAR(r0.var, ra.var, 1e-12 * ra.var);
    /* The covariate earns its keep: a reduction between 0 and 1. */
    double red = shoal_stats_cuped_reduction(&aa, &ab);
    CHECK(red > 0 && red < 1);
    a.d0 = 0;
    CHECK_RC(shoal_stats_arm_ratio_cuped(&a, theta, &aa), SHOAL_EINVAL);
    CHECK(shoal_stats_ratio_cuped_theta(&a, &b) == 0);
}

/* CUPED of a ratio metric (d0 = 1: the covariate per unit) and over clusters (d0 = y:
 * the covariate per member), through shoal_stats_evaluate. The pieces are gbstats'
 * regression-adjusted ratio, checked against its published case above; here: with
 * every denominator 1 the ratio's CUPED is the mean's for the same θ; evaluate is the
 * pieces put together; clusters of one member are units; the adjustment is unbiased
 * (a planted difference is found whatever the covariate) and narrows the CI. */
static double rng_uniform(void);
static double rng_normal(void);

TEST(ratio_cuped_evaluate)
{
    /* per unit: m = 2 + c + noise, d = 1 + (unit % 3), c the pre-period value */
    shoal_stats_moments arms[2], ones[2], clusters[2];
    memset(arms, 0, sizeof arms);
    memset(ones, 0, sizeof ones);
    memset(clusters, 0, sizeof clusters);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 400; i++) {
            double c = 3 * rng_uniform(), d = 1 + i % 3, m = d * (2 + c + 0.5 * rng_normal()) + (k ? 0.6 * d : 0);
            shoal_stats_moments *a = &arms[k], *o = &ones[k], *g = &clusters[k];
            a->n++, a->sx += m, a->sxx += m * m, a->sy += d, a->syy += d * d, a->sxy += m * d;
            a->sc += c, a->scc += c * c, a->sxc += m * c, a->syc += d * c;
            /* as a cluster of d members, each with covariate c: its total is d·c */
            double t = d * c;
            g->n++, g->sx += m, g->sxx += m * m, g->sy += d, g->syy += d * d, g->sxy += m * d;
            g->sc += t, g->scc += t * t, g->sxc += m * t, g->syc += d * t;
            double x = m / d;
            o->n++, o->sx += x, o->sxx += x * x, o->sy += 1, o->syy += 1, o->sxy += x;
            o->sc += c, o->scc += c * c, o->sxc += x * c, o->syc += c;
        }
    /* d = 1: the ratio's CUPED arm is the mean's */
    shoal_stats_ratio_moments r1;
    shoal_stats_arm ar, am;
    shoal_stats_ratio_cuped_moments(&ones[1], SHOAL_STATS_RATIO, &r1);
    CHECK_RC(shoal_stats_arm_ratio_cuped(&r1, 0.8, &ar), SHOAL_OK);
    CHECK_RC(shoal_stats_arm_cuped(&ones[1], 0.8, &am), SHOAL_OK);
    NEAR(ar.mean, am.mean, 1e-12);
    NEAR(ar.var, am.var, 1e-9 * am.var);
    NEAR(ar.cov_post_pre, am.cov_post_pre, 1e-9 * fabs(am.cov_post_pre));
    /* and so is the cluster's with clusters of one member */
    shoal_stats_ratio_moments c1;
    shoal_stats_arm ac;
    shoal_stats_ratio_cuped_moments(&ones[1], SHOAL_STATS_CLUSTER, &c1);
    CHECK_RC(shoal_stats_arm_ratio_cuped(&c1, 0.8, &ac), SHOAL_OK);
    NEAR(ac.mean, am.mean, 1e-12);
    NEAR(ac.var, am.var, 1e-9 * am.var);
    /* evaluate = the pieces */
    for (int kind = SHOAL_STATS_RATIO; kind <= SHOAL_STATS_CLUSTER; kind++) {
        shoal_stats_options opt = { .kind = kind, .cuped = 1 }, plain = { .kind = kind };
        shoal_stats_arm_eval e[2], p[2];
        double srm;
        const shoal_stats_moments *in = kind == SHOAL_STATS_RATIO ? arms : clusters;
        CHECK_RC(shoal_stats_evaluate(2, in, NULL, &opt, e, &srm), SHOAL_OK);
        CHECK_RC(shoal_stats_evaluate(2, in, NULL, &plain, p, &srm), SHOAL_OK);
        shoal_stats_ratio_moments ra, rb;
        shoal_stats_ratio_cuped_moments(&in[0], kind, &ra);
        shoal_stats_ratio_cuped_moments(&in[1], kind, &rb);
        double theta = shoal_stats_ratio_cuped_theta(&ra, &rb);
        shoal_stats_arm a, b;
        shoal_stats_result r;
        shoal_stats_arm_ratio_cuped(&ra, theta, &a);
        shoal_stats_arm_ratio_cuped(&rb, theta, &b);
        shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r);
        CHECK_RC(e[1].rc, SHOAL_OK);
        NEAR(e[1].theta, theta, 0);
        NEAR(e[1].freq.estimate, r.estimate, 0);
        NEAR(e[1].freq.se, r.se, 0);
        NEAR(e[1].cuped_reduction, shoal_stats_cuped_reduction(&a, &b), 0);
        /* θ near the slope planted per unit of denominator (1), the variance mostly
         * explained, the planted difference of 0.6 per unit of d inside both CIs */
        CHECK(theta > 0.8 && theta < 1.2);
        CHECK(e[1].cuped_reduction > 0.5 && e[1].cuped_reduction < 1);
        CHECK(e[1].freq.ci_hi - e[1].freq.ci_lo < p[1].freq.ci_hi - p[1].freq.ci_lo);
        CHECK(e[1].freq.ci_lo < 0.6 && 0.6 < e[1].freq.ci_hi);
        CHECK(p[1].freq.ci_lo < 0.6 && 0.6 < p[1].freq.ci_hi);
    }
}

/* ---------------------------------------------------------------- SRM */

TEST(srm)
{
    double chi2, p;
    /* R ?chisq.test: x <- c(A = 20, B = 15, C = 25); chisq.test(x):
     * X-squared = 2.5, df = 2, p-value = 0.2865. */
    double x1[] = { 20, 15, 25 }, w1[] = { 1, 1, 1 };
    CHECK_RC(shoal_stats_srm(3, x1, w1, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 2.5, 1e-12);
    NEAR(p, 0.2865, 5e-5);
    /* Crawley, The R Book, "A four-class table of counts": Mendel's peas
     * c(315, 101, 108, 32) against 9:3:3:1 (rescale.p = TRUE): X-squared = 0.470024,
     * df = 3, p-value = 0.9254. Weights need not sum to 1. */
    double x2[] = { 315, 101, 108, 32 }, w2[] = { 9, 3, 3, 1 };
    CHECK_RC(shoal_stats_srm(4, x2, w2, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 0.470024, 5e-7);
    NEAR(p, 0.9254, 5e-5);
    CHECK(p >= SHOAL_STATS_SRM_P);
    /* chisq.test(c(25, 32, 18, 20)) (a textbook problem set: equal classes):
     * X-squared = 4.9158, df = 3, p-value = 0.1781. */
    double x3[] = { 25, 32, 18, 20 }, w3[] = { 25, 25, 25, 25 };
    CHECK_RC(shoal_stats_srm(4, x3, w3, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 4.9158, 5e-5);
    NEAR(p, 0.1781, 5e-5);
    /* A 50/50 experiment that got 10000 against 10500 units is not decision-ready:
     * X² = 250²/10250 · 2 = 12.195, p = 0.00048 < 0.001. */
    double x4[] = { 10000, 10500 }, w4[] = { 50, 50 };
    CHECK_RC(shoal_stats_srm(2, x4, w4, &chi2, &p), SHOAL_OK);
    NEAR(chi2, 2 * 250.0 * 250.0 / 10250, 1e-9);
    CHECK(p < SHOAL_STATS_SRM_P);
    double w5[] = { 50, 0 };
    CHECK_RC(shoal_stats_srm(2, x4, w5, &chi2, &p), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_srm(1, x4, w4, &chi2, &p), SHOAL_EINVAL);
}

/* ---------------------------------------------------------------- multiple comparisons */

TEST(adjust)
{
    /* stdlib.io @stdlib/stats/padjust documentation (it follows R's p.adjust):
     * holm([0.319, 0.201, 0.4, 0.374, 0.113]) = [~0.957, 0.804, ~0.957, ~0.957, ~0.565],
     * bh(the same) = all 0.4, bh([0.008, 0.03, 0.123, 0.6, 0.2]) =
     * [0.04, 0.075, ~0.205, 0.6, 0.25]. */
    double p1[] = { 0.319, 0.201, 0.4, 0.374, 0.113 }, adj[5];
    double holm[] = { 0.957, 0.804, 0.957, 0.957, 0.565 };
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_HOLM, 5, p1, adj), SHOAL_OK);
    for (int i = 0; i < 5; i++) NEAR(adj[i], holm[i], 1e-12);
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, 5, p1, adj), SHOAL_OK);
    for (int i = 0; i < 5; i++) NEAR(adj[i], 0.4, 1e-12);
    double p2[] = { 0.008, 0.03, 0.123, 0.6, 0.2 }, bh[] = { 0.04, 0.075, 0.205, 0.6, 0.25 };
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, 5, p2, p2), SHOAL_OK); /* in place */
    for (int i = 0; i < 5; i++) NEAR(p2[i], bh[i], 1e-12);
    /* Benjamini & Hochberg (1995), section 4: of their 15 p-values, the procedure at
     * q = 0.05 rejects the four smallest: exactly four adjusted p-values are <= 0.05. */
    double p3[] = { 0.0201, 0.0001, 0.0004, 0.0019, 0.0095, 0.0278, 0.0298, 0.0344,
                    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000 };
    double a3[15];
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, 15, p3, a3), SHOAL_OK);
    int rejected = 0;
    for (int i = 0; i < 15; i++) rejected += a3[i] <= 0.05;
    CHECK(rejected == 4);
    CHECK(a3[1] <= 0.05 && a3[2] <= 0.05 && a3[3] <= 0.05 && a3[4] <= 0.05);
    /* Ties get one adjusted value; Bonferroni is m·p capped at 1. */
    double p4[] = { 0.01, 0.01, 0.5 }, a4[3];
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_HOLM, 3, p4, a4), SHOAL_OK);
    NEAR(a4[0], 0.03, 1e-15);
    NEAR(a4[1], 0.03, 1e-15);
    NEAR(a4[2], 0.5, 1e-15);
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BONFERRONI, 3, p4, a4), SHOAL_OK);
    NEAR(a4[2], 1, 0);
    p4[0] = NAN;
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_HOLM, 3, p4, a4), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_adjust(9, 2, p1, a4), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, SHOAL_STATS_MAX_TESTS + 1, p1, a4), SHOAL_ERANGE);
}

/* statsmodels stats/tests/test_multi.py: res_multtest1 and res_multtest3, R's multtest
 * mt.rawp2adjp (which agrees with p.adjust) on sorted raw p-values, columns rawp, Holm
 * (2) and BH (6), published to 15 digits. pval0 is given here unsorted as in the file's
 * pval0, so the ranks are found, not assumed. */
TEST(adjust_statsmodels)
{
    double p0[] = { 0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309, 0.71626938238,
                    0.177096952723, 5.23656777208e-005, 0.0202732688798, 0.00028140506198, 0.0149877310796 };
    /* each raw p's Holm and BH value, from its row of res_multtest1 */
    double holm0[] = { 1, 1, 1, 1, 1, 1, 5.2365677720800005e-04, 1.4191288215860001e-01, 2.5326455578199999e-03,
                       1.1990184863680001e-01 };
    double bh0[] = { 9.3171263061444454e-01, 8.9533672797500008e-01, 8.9533672797500008e-01, 9.6783382430900000e-01,
                     8.9533672797500008e-01, 3.5419390544599999e-01, 5.2365677720800005e-04, 5.0683172199499998e-02,
                     1.4070253098999999e-03, 4.9959103598666670e-02 };
    double adj[10];
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_HOLM, 10, p0, adj), SHOAL_OK);
    for (int i = 0; i < 10; i++) NEAR(adj[i], holm0[i], 1e-14);
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, 10, p0, adj), SHOAL_OK);
    for (int i = 0; i < 10; i++) NEAR(adj[i], bh0[i], 1e-14);
    /* res_multtest3: 0.001 … 0.005, 0.05 … 0.09 */
    double p3[] = { 0.001, 0.002, 0.003, 0.004, 0.005, 0.05, 0.06, 0.07, 0.08, 0.09 };
    double holm3[] = { 0.01, 0.018, 0.024, 0.028, 0.03, 0.25, 0.25, 0.25, 0.25, 0.25 };
    double bh3[] = { 0.01, 0.01, 0.01, 0.01, 0.01, 0.08333333333333334, 0.0857142857142857, 0.0875,
                     0.0888888888888889, 0.09 };
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_HOLM, 10, p3, adj), SHOAL_OK);
    for (int i = 0; i < 10; i++) NEAR(adj[i], holm3[i], 1e-14);
    CHECK_RC(shoal_stats_adjust(SHOAL_STATS_BH, 10, p3, adj), SHOAL_OK);
    for (int i = 0; i < 10; i++) NEAR(adj[i], bh3[i], 1e-14);
}

/* ---------------------------------------------------------------- Bayesian */

/* gbstats tests/bayesian/test_tests.py (GaussianEffectABTest, flat prior, relative). */
TEST(bayes_gbstats)
{
    shoal_stats_arm a, b;
    shoal_stats_bayes z;
    /* TestNorm: SampleMeanStatistic(sum 100, sum_squares 1002.25, n 10) against
     * (105, 1111.5, 10): expected 0.05, ci [-0.02, 0.12], stddev 0.03572,
     * chance_to_win 0.91923, risk [0.05131, 0.00131]. */
    shoal_stats_moments ma = of_sums(10, 100, 1002.25), mb = of_sums(10, 105, 1111.5);
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, NULL, 0.95, &z), SHOAL_OK);
    NEAR(z.mean, 0.05, 5e-6);
    NEAR(z.ci_lo, -0.02, 5e-6);
    NEAR(z.ci_hi, 0.12, 5e-6);
    NEAR(z.sd, 0.03572, 5e-6);
    NEAR(z.chance_to_win, 0.91923, 5e-6);
    NEAR(z.risk_control, 0.05131, 5e-6);
    NEAR(z.risk_treatment, 0.00131, 5e-6);
    /* TestBinom: ProportionStatistic(49, 100) against (51, 100): expected 0.04082,
     * ci [-0.24779, 0.32943], stddev 0.14725, chance_to_win 0.60918,
     * risk [0.0814, 0.04058]. */
    shoal_stats_moments pa = { .n = 100, .sx = 49 }, pb = { .n = 100, .sx = 51 };
    shoal_stats_arm_proportion(&pa, &a);
    shoal_stats_arm_proportion(&pb, &b);
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, NULL, 0.95, &z), SHOAL_OK);
    NEAR(z.mean, 0.04082, 5e-6);
    NEAR(z.ci_lo, -0.24779, 5e-6);
    NEAR(z.ci_hi, 0.32943, 5e-6);
    NEAR(z.sd, 0.14725, 5e-6);
    NEAR(z.chance_to_win, 0.60918, 5e-6);
    NEAR(z.risk_control, 0.0814, 5e-6);
    NEAR(z.risk_treatment, 0.04058, 5e-6);
    /* tests/test_gbstats.py test_get_metric_dfs_new (dimension "one", Bayesian):
     * risk[1] 0.075691131, expected -0.074074074, chanceToWin 0.071834168. */
    shoal_stats_moments ca = of_sums(100, 270, 848.79), cb = of_sums(120, 300, 869);
    shoal_stats_arm_mean(&ca, &a);
    shoal_stats_arm_mean(&cb, &b);
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, NULL, 0.95, &z), SHOAL_OK);
    NEAR(z.mean, -0.074074074, 5e-10);
    NEAR(z.chance_to_win, 0.071834168, 5e-9);
    NEAR(z.risk_treatment, 0.075691131, 5e-9);
    /* A proper prior shrinks toward its mean by precision weights; a very wide one
     * is the flat prior. */
    shoal_stats_bayes flat = z, tight, wide;
    shoal_stats_prior p0 = { .mean = 0, .var = flat.sd * flat.sd, .proper = 1, .scale = SHOAL_STATS_RELATIVE };
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, &p0, 0.95, &tight), SHOAL_OK);
    NEAR(tight.mean, flat.mean / 2, 1e-12);
    NEAR(tight.sd, flat.sd / sqrt(2), 1e-12);
    shoal_stats_prior p1 = { .mean = 0, .var = 1e12, .proper = 1, .scale = SHOAL_STATS_RELATIVE };
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, &p1, 0.95, &wide), SHOAL_OK);
    NEAR(wide.chance_to_win, flat.chance_to_win, 1e-9);
    /* tests/bayesian/test_tests.py, TestGaussianEffectRelativeAbsolutePriors:
     * control (n 100, sum 1000, sum_squares 200000), treatment (100, 1100, 200005), a
     * relative prior N(1, 1): on the absolute scale, rescaled by the control mean, the
     * chance to win agrees with the relative scale's to 2 places. */
    shoal_stats_moments rc = of_sums(100, 1000, 200000), rt = of_sums(100, 1100, 200005);
    shoal_stats_prior rel = { .mean = 1, .var = 1, .proper = 1, .scale = SHOAL_STATS_RELATIVE };
    shoal_stats_bayes zr, za;
    shoal_stats_arm_mean(&rc, &a);
    shoal_stats_arm_mean(&rt, &b);
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, &rel, 0.95, &zr), SHOAL_OK);
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_ABSOLUTE, &rel, 0.95, &za), SHOAL_OK);
    NEAR(za.chance_to_win, zr.chance_to_win, 5e-3);
    /* Stated on the absolute scale, the same prior is 10 times wider on the relative
     * one: rescaling goes both ways and they meet. */
    shoal_stats_prior abs10 = { .mean = 10, .var = 100, .proper = 1, .scale = SHOAL_STATS_ABSOLUTE };
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, &abs10, 0.95, &za), SHOAL_OK);
    NEAR(za.mean, zr.mean, 1e-12);
    NEAR(za.sd, zr.sd, 1e-12);
    shoal_stats_bayes unscaled;
    shoal_stats_prior same = rel;
    same.scale = SHOAL_STATS_ABSOLUTE; /* taken as absolute: a very different prior */
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_ABSOLUTE, &same, 0.95, &unscaled), SHOAL_OK);
    CHECK(fabs(unscaled.mean - zr.mean * 10) > 1e-3);
    shoal_stats_prior bad = { .mean = 0, .var = 0, .proper = 1 };
    CHECK_RC(shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, &bad, 0.95, &z), SHOAL_EINVAL);
}

/* ---------------------------------------------------------------- sequential */

/* gbstats tests/frequentist/test_tests.py, TestSequentialTTest. */
TEST(sequential_gbstats)
{
    shoal_stats_moments ma = of_sums(3000, 1396.87, 52377.9767), mb = of_sums(3461, 2422.7, 134698.29);
    shoal_stats_arm a, b;
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    shoal_stats_result r;
    /* test_sequential_test_runs, tuning 1000: expected 0.50336, ci (-0.55844, 1.56516),
     * stddev 0.33341, pValue 1 (not significant) */
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 1000, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.50336, 5e-6);
    NEAR(r.ci_lo, -0.55844, 5e-6);
    NEAR(r.ci_hi, 1.56516, 5e-6);
    NEAR(r.se, 0.33341, 5e-6);
    CHECK(r.p >= 0.05);
    /* test_sequential_test_runs_prop, default tuning 5000: ProportionStatistic(1396,
     * 3000) against (2422, 3461): expected 0.50386, ci (0.40098, 0.60675), stddev
     * 0.03386, pValue 0.0 */
    shoal_stats_moments pa = { .n = 3000, .sx = 1396 }, pb = { .n = 3461, .sx = 2422 };
    shoal_stats_arm_proportion(&pa, &a);
    shoal_stats_arm_proportion(&pb, &b);
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.50386, 5e-6);
    NEAR(r.ci_lo, 0.40098, 5e-6);
    NEAR(r.ci_hi, 0.60675, 5e-6);
    NEAR(r.se, 0.03386, 5e-6);
    CHECK(r.p < 1e-5);
    /* test_sequential_test_runs_ra: pre (16.87, 527.9767, 3000) and (22.7, 1348.29,
     * 3461), post as above, post_pre_sum_of_products 1 each, θ pooled: expected
     * 0.50338, ci (-0.50969, 1.51646). */
    shoal_stats_moments c[2] = {
        { .n = 3000, .sx = 1396.87, .sxx = 52377.9767, .sc = 16.87, .scc = 527.9767, .sxc = 1 },
        { .n = 3461, .sx = 2422.7, .sxx = 134698.29, .sc = 22.7, .scc = 1348.29, .sxc = 1 },
    };
    double theta = shoal_stats_cuped_theta(c, 2);
    shoal_stats_arm_cuped(&c[0], theta, &a);
    shoal_stats_arm_cuped(&c[1], theta, &b);
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.estimate, 0.50338, 5e-6);
    NEAR(r.ci_lo, -0.50969, 5e-6);
    NEAR(r.ci_hi, 1.51646, 5e-6);
}

/* The always-valid p-value and the confidence sequence agree (p < α exactly when the
 * CI excludes 0); the sequence is wider than the fixed-n CI; a tuning near the
 * actual n gives the narrowest interval (gbstats test_sequential_test_tuning_as_expected). */
TEST(sequential_properties)
{
    shoal_stats_moments ma = of_sums(3000, 1396.87, 52377.9767), mb = of_sums(3461, 2422.7, 134698.29);
    shoal_stats_arm a, b;
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    shoal_stats_result fixed, below, near, above;
    shoal_stats_welch(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &fixed);
    shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 10, 0.95, &below);
    shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 6461, 0.95, &near);
    shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 10000, 0.95, &above);
    CHECK(below.ci_lo < above.ci_lo && below.ci_hi > above.ci_hi);
    CHECK(below.ci_lo < near.ci_lo && below.ci_hi > near.ci_hi);
    CHECK(above.ci_lo < near.ci_lo && above.ci_hi > near.ci_hi);
    CHECK(near.ci_lo < fixed.ci_lo && near.ci_hi > fixed.ci_hi);
    for (double level = 0.5; level < 0.999; level += 0.01) {
        shoal_stats_result r;
        CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 5000, level, &r), SHOAL_OK);
        CHECK((r.p < 1 - level) == (r.ci_lo > 0 || r.ci_hi < 0));
    }
    shoal_stats_result r;
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0, 0.95, &r), SHOAL_EINVAL);
    /* One-sided, the same agreement between p and the bound. */
    for (double level = 0.5; level < 0.999; level += 0.01) {
        CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_GREATER, 5000, level, &r), SHOAL_OK);
        CHECK((r.p < 1 - level) == (r.ci_lo > 0));
    }
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_LESS, 5000, 0.95, &r), SHOAL_OK);
    CHECK(r.p == 1); /* the estimate points the other way */
}

/* gbstats tests/frequentist/test_tests.py, TestSequentialOneSidedGreaterTTest and
 * ...LesserTTest (default tuning 5000), the arms of TestOneSidedGreaterTTest:
 * greater relative ci (-0.42356454602790883, inf), pValue 0.4999 (their bisection's
 * cap: not significant at any α it tries); absolute ci (-0.12656844172804982, inf),
 * pValue 0.46316491943359384; lesser relative ci (-inf, 1.4302867177403806), absolute
 * (-inf, 0.5953217750613832). gbstats bisects α until the bound is within 1e-6 of 0;
 * the closed form here is exact, so the p-value agrees to that bisection's 2e-4. */
TEST(sequential_one_sided_gbstats)
{
    shoal_stats_moments ma = of_sums(3000, 1396.87, 52377.9767), mb = of_sums(3461, 2422.7, 134698.29);
    shoal_stats_arm a, b;
    shoal_stats_arm_mean(&ma, &a);
    shoal_stats_arm_mean(&mb, &b);
    shoal_stats_result r;
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_GREATER, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.ci_lo, -0.42356454602790883, 1e-9);
    CHECK(r.ci_hi == INFINITY);
    CHECK(r.p > 0.4999);
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_GREATER, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.ci_lo, -0.12656844172804982, 1e-9);
    NEAR(r.p, 0.46316491943359384, 2e-4);
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_LESS, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.ci_hi, 1.4302867177403806, 1e-9);
    CHECK(r.ci_lo == -INFINITY);
    CHECK_RC(shoal_stats_sequential(&a, &b, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_LESS, SHOAL_STATS_SEQ_TUNING, 0.95, &r), SHOAL_OK);
    NEAR(r.ci_hi, 0.5953217750613832, 1e-9);
}

/* ---------------------------------------------------------------- small samples */

TEST(small)
{
    shoal_stats_moments m = of_sums(29, 40, 100);
    CHECK(shoal_stats_small(&m, 0) == SHOAL_STATS_WARN_FEW_UNITS);
    m.n = 30;
    CHECK(shoal_stats_small(&m, 0) == 0);
    shoal_stats_moments p = { .n = 1000, .sx = 4, .sxx = 4 };
    CHECK(shoal_stats_small(&p, 1) == SHOAL_STATS_WARN_FEW_EVENTS);
    p.sx = p.sxx = 996;
    CHECK(shoal_stats_small(&p, 1) == SHOAL_STATS_WARN_FEW_EVENTS);
    p.sx = p.sxx = 5;
    CHECK(shoal_stats_small(&p, 1) == 0);
    shoal_stats_moments flat = of_sums(50, 100, 200);
    CHECK(shoal_stats_small(&flat, 0) == SHOAL_STATS_WARN_NO_VARIANCE);
    shoal_stats_moments none = { 0 };
    CHECK(shoal_stats_small(&none, 0) == (SHOAL_STATS_WARN_FEW_UNITS | SHOAL_STATS_WARN_NO_VARIANCE));
}

/* ---------------------------------------------------------------- calibration */

/* A fixed-seed generator (xorshift64*, Box–Muller), so these simulations give the
 * same numbers on every run: they check calibration, not luck. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rng_uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0) + 0x1p-54;
}
static double rng_normal(void)
{
    return sqrt(-2 * log(rng_uniform())) * cos(2 * M_PI * rng_uniform());
}

/* Under no effect the tests reject about 5% of the time; with a planted effect the
 * CIs cover it about 95% of the time. 4000 experiments: the rate's standard error is
 * 0.0034, so the bounds are about ±3 of them. */
TEST(calibration_fixed)
{
    int n_sim = 4000, fp_welch = 0, fp_prop = 0, cover_rel = 0;
    for (int s = 0; s < n_sim; s++) {
        shoal_stats_moments a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, f = { 0 };
        /* Same means, unequal sizes and variances, the small arm the noisy one:
         * where a pooled-variance t rejects far too often and Welch's does not. */
        for (int i = 0; i < 120; i++) {
            double x = 1 + rng_normal();
            a.n++, a.sx += x, a.sxx += x * x;
        }
        for (int i = 0; i < 20; i++) {
            double y = 1 + 4 * rng_normal();
            b.n++, b.sx += y, b.sxx += y * y;
        }
        for (int i = 0; i < 400; i++) {
            double u = rng_uniform() < 0.3, v = rng_uniform() < 0.3;
            c.n++, c.sx += u;
            d.n++, d.sx += v;
            /* a 10% lift on a mean of 10 */
            double p = 10 + 3 * rng_normal(), q = 11 + 3 * rng_normal();
            e.n++, e.sx += p, e.sxx += p * p;
            f.n++, f.sx += q, f.sxx += q * q;
        }
        shoal_stats_arm aa, ab, ae, af;
        shoal_stats_result r;
        shoal_stats_arm_mean(&a, &aa);
        shoal_stats_arm_mean(&b, &ab);
        if (shoal_stats_welch(&aa, &ab, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r) == SHOAL_OK && r.p < 0.05)
            fp_welch++;
        if (shoal_stats_prop_test(c.sx, c.n, d.sx, d.n, SHOAL_STATS_TWO_SIDED, 0.95, &r) == SHOAL_OK && r.p < 0.05)
            fp_prop++;
        shoal_stats_arm_mean(&e, &ae);
        shoal_stats_arm_mean(&f, &af);
        if (shoal_stats_welch(&ae, &af, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r) == SHOAL_OK &&
            r.ci_lo <= 0.1 && r.ci_hi >= 0.1)
            cover_rel++;
    }
    double fw = (double)fp_welch / n_sim, fp = (double)fp_prop / n_sim, cr = (double)cover_rel / n_sim;
    printf("# calibration: welch fp %.4f, prop fp %.4f, relative coverage %.4f\n", fw, fp, cr);
    CHECK(fw > 0.035 && fw < 0.065);
    CHECK(fp > 0.035 && fp < 0.065);
    CHECK(cr > 0.935 && cr < 0.965);
}

/* Looked at after every 100 units per arm up to 2000, a fixed-n test declares a
 * difference that is not there far more often than 5%; the sequential CI, valid
 * however often it is looked at, stays under 5%. */
TEST(calibration_peeking)
{
    int n_sim = 1000, fp_fixed = 0, fp_seq = 0;
    for (int s = 0; s < n_sim; s++) {
        shoal_stats_moments a = { 0 }, b = { 0 };
        int hit_fixed = 0, hit_seq = 0;
        for (int i = 1; i <= 2000; i++) {
            double x = rng_normal(), y = rng_normal();
            a.n++, a.sx += x, a.sxx += x * x;
            b.n++, b.sx += y, b.sxx += y * y;
            if (i % 100) continue;
            shoal_stats_arm aa, ab;
            shoal_stats_result r;
            shoal_stats_arm_mean(&a, &aa);
            shoal_stats_arm_mean(&b, &ab);
            shoal_stats_welch(&aa, &ab, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, 0.95, &r);
            hit_fixed |= r.p < 0.05;
            shoal_stats_sequential(&aa, &ab, SHOAL_STATS_ABSOLUTE, SHOAL_STATS_TWO_SIDED, SHOAL_STATS_SEQ_TUNING, 0.95, &r);
            hit_seq |= r.ci_lo > 0 || r.ci_hi < 0;
        }
        fp_fixed += hit_fixed;
        fp_seq += hit_seq;
    }
    double ff = (double)fp_fixed / n_sim, fs = (double)fp_seq / n_sim;
    printf("# peeking 20 times: fixed-n fp %.3f, sequential fp %.3f\n", ff, fs);
    CHECK(ff > 0.15);
    CHECK(fs < 0.05);
}

/* Whatever the sums (empty arms, one unit, no variance, negative or huge values, NAN,
 * infinities), every call either answers with finite, ordered results (0 <= p <= 1,
 * ci_lo <= estimate <= ci_hi, 0 <= chance to win <= 1, risks >= 0) or says why not
 * with NAN in the results: never a silent 0. */
static double odd_value(void)
{
    static const double odd[] = { 0, 1, -1, 2, 1e-300, 1e300, -1e300, 0.5, 3, 1e9 };
    double u = rng_uniform();
    if (u < 0.02) return NAN;
    if (u < 0.04) return INFINITY;
    if (u < 0.3) return odd[(int)(rng_uniform() * 10)];
    return (rng_uniform() - 0.3) * pow(10, (int)(rng_uniform() * 8) - 2);
}

static int result_sane(int rc, const shoal_stats_result *r)
{
    if (rc != SHOAL_OK) return isnan(r->p) && isnan(r->estimate);
    return r->p >= 0 && r->p <= 1 && isfinite(r->estimate) && r->se >= 0 && r->ci_lo <= r->estimate &&
           r->estimate <= r->ci_hi;
}

TEST(robustness)
{
    for (int it = 0; it < 20000; it++) {
        shoal_stats_moments m[2];
        for (int k = 0; k < 2; k++) {
            double n = rng_uniform() < 0.2 ? odd_value() : (double)(int)(rng_uniform() * 50);
            m[k] = (shoal_stats_moments){ n, odd_value(), odd_value(), odd_value(), odd_value(),
                                          odd_value(), odd_value(), odd_value(), odd_value(), odd_value() };
            if (rng_uniform() < 0.5) { /* a consistent arm now and then */
                m[k].n = 2 + (int)(rng_uniform() * 40);
                m[k].sx = m[k].n * rng_uniform();
                m[k].sxx = m[k].sx * m[k].sx / m[k].n + rng_uniform() * 10;
            }
        }
        shoal_stats_arm a, b;
        int ra, rb;
        int kind = (int)(rng_uniform() * 4);
        if (kind == 0) ra = shoal_stats_arm_mean(&m[0], &a), rb = shoal_stats_arm_mean(&m[1], &b);
        else if (kind == 1) ra = shoal_stats_arm_proportion(&m[0], &a), rb = shoal_stats_arm_proportion(&m[1], &b);
        else if (kind == 2) ra = shoal_stats_arm_ratio(&m[0], &a), rb = shoal_stats_arm_ratio(&m[1], &b);
        else {
            double th = shoal_stats_cuped_theta(m, 2);
            CHECK(isfinite(th));
            ra = shoal_stats_arm_cuped(&m[0], th, &a), rb = shoal_stats_arm_cuped(&m[1], th, &b);
        }
        CHECK(ra == SHOAL_OK || isnan(a.mean));
        CHECK(rb == SHOAL_OK || isnan(b.mean));
        int scale = rng_uniform() < 0.5 ? SHOAL_STATS_ABSOLUTE : SHOAL_STATS_RELATIVE;
        int alt = (int)(rng_uniform() * 3);
        shoal_stats_result r;
        int rc = shoal_stats_welch(&a, &b, scale, alt, 0.95, &r);
        CHECK(result_sane(rc, &r) && (rc || r.se > 0));
        rc = shoal_stats_sequential(&a, &b, scale, alt, 5000, 0.9, &r);
        CHECK(result_sane(rc, &r) && (rc || r.se > 0));
        shoal_stats_bayes z;
        rc = shoal_stats_bayes_effect(&a, &b, scale, NULL, 0.95, &z);
        CHECK(rc != SHOAL_OK ? isnan(z.chance_to_win)
                             : z.chance_to_win >= 0 && z.chance_to_win <= 1 && z.risk_control >= 0 &&
                                   z.risk_treatment >= 0 && z.ci_lo <= z.ci_hi);
        /* (its Wald se is 0 when both arms are all 0s or all 1s: a point CI, as R's) */
        rc = shoal_stats_prop_test(m[0].sx, m[0].n, m[1].sx, m[1].n, alt, 0.95, &r);
        CHECK(result_sane(rc, &r));
        double obs[2] = { m[0].n, m[1].n }, w[2] = { odd_value(), 1 }, chi2, p;
        rc = shoal_stats_srm(2, obs, w, &chi2, &p);
        CHECK(rc != SHOAL_OK ? isnan(p) : p >= 0 && p <= 1 && chi2 >= 0);
        shoal_stats_arm_eval e[2];
        int ekind = kind < 3 ? kind : rng_uniform() < 0.5 ? SHOAL_STATS_MEAN : SHOAL_STATS_CLUSTER;
        shoal_stats_options opt = { .kind = ekind, .scale = scale, .alt = alt,
                                    .cuped = kind == 3 || (kind == 2 && rng_uniform() < 0.5),
                                    .correction = SHOAL_STATS_BH, .seq_tuning = 100 };
        rc = shoal_stats_evaluate(2, m, NULL, &opt, e, &p);
        CHECK_RC(rc, SHOAL_OK);
        CHECK(e[1].rc != SHOAL_OK ? isnan(e[1].p_adjusted)
                                  : result_sane(SHOAL_OK, &e[1].freq) && e[1].p_adjusted == e[1].freq.p);
    }
}

/* ---------------------------------------------------------------- one metric, all arms */

/* shoal_stats_evaluate is the pieces above put together: each arm's comparison is the
 * same as calling them one by one, the correction runs over the k - 1 comparisons,
 * CUPED's θ is pooled per pair, and one arm that cannot be compared leaves the others
 * alone. */
TEST(evaluate)
{
    shoal_stats_moments m[4] = {
        { .n = 100, .sx = 270, .sxx = 848.79, .sc = 250, .scc = 800, .sxc = 780 },
        { .n = 120, .sx = 300, .sxx = 869, .sc = 290, .scc = 850, .sxc = 820 },
        { .n = 110, .sx = 340, .sxx = 1300, .sc = 280, .scc = 900, .sxc = 950 },
        { .n = 1, .sx = 3, .sxx = 9, .sc = 2, .scc = 4, .sxc = 6 },
    };
    double weights[] = { 1, 1, 1, 1 };
    shoal_stats_options opt = { .scale = SHOAL_STATS_RELATIVE, .correction = SHOAL_STATS_HOLM, .seq_tuning = 5000 };
    shoal_stats_arm_eval e[4];
    double srm_p;
    CHECK_RC(shoal_stats_evaluate(4, m, weights, &opt, e, &srm_p), SHOAL_OK);
    double obs[] = { 100, 120, 110, 1 }, chi2, want_srm;
    shoal_stats_srm(4, obs, weights, &chi2, &want_srm);
    NEAR(srm_p, want_srm, 0);
    CHECK(srm_p < SHOAL_STATS_SRM_P); /* the one-unit arm */
    CHECK_RC(e[3].rc, SHOAL_EINVAL);
    CHECK(isnan(e[3].freq.p) && isnan(e[3].p_adjusted));
    CHECK(e[3].warnings & SHOAL_STATS_WARN_FEW_UNITS);
    double ps[3];
    for (int i = 1; i <= 2; i++) {
        shoal_stats_arm a, b;
        shoal_stats_result r, s;
        shoal_stats_bayes z;
        shoal_stats_arm_mean(&m[0], &a);
        shoal_stats_arm_mean(&m[i], &b);
        shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r);
        shoal_stats_sequential(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 5000, 0.95, &s);
        shoal_stats_bayes_effect(&a, &b, SHOAL_STATS_RELATIVE, NULL, 0.95, &z);
        CHECK_RC(e[i].rc, SHOAL_OK);
        NEAR(e[i].freq.p, r.p, 0);
        NEAR(e[i].freq.ci_lo, r.ci_lo, 0);
        NEAR(e[i].seq.ci_hi, s.ci_hi, 0);
        NEAR(e[i].bayes.chance_to_win, z.chance_to_win, 0);
        CHECK(isnan(e[i].cuped_reduction));
        ps[i - 1] = r.p;
    }
    ps[2] = 1; /* the arm without a comparison */
    shoal_stats_adjust(SHOAL_STATS_HOLM, 3, ps, ps);
    NEAR(e[1].p_adjusted, ps[0], 0);
    NEAR(e[2].p_adjusted, ps[1], 0);
    CHECK(e[1].p_adjusted >= e[1].freq.p);
    CHECK(isnan(e[0].freq.p));
    NEAR(e[0].arm.mean, 2.7, 1e-12);

    /* CUPED: θ pooled over control and each arm, the reduction reported. */
    opt.cuped = 1;
    CHECK_RC(shoal_stats_evaluate(3, m, NULL, &opt, e, &srm_p), SHOAL_OK);
    CHECK(isnan(srm_p));
    for (int i = 1; i <= 2; i++) {
        shoal_stats_moments pair[2] = { m[0], m[i] };
        double theta = shoal_stats_cuped_theta(pair, 2);
        NEAR(e[i].theta, theta, 0);
        shoal_stats_arm a, b;
        shoal_stats_result r;
        shoal_stats_arm_cuped(&m[0], theta, &a);
        shoal_stats_arm_cuped(&m[i], theta, &b);
        NEAR(e[i].cuped_reduction, shoal_stats_cuped_reduction(&a, &b), 0);
        shoal_stats_welch(&a, &b, SHOAL_STATS_RELATIVE, SHOAL_STATS_TWO_SIDED, 0.95, &r);
        NEAR(e[i].freq.estimate, r.estimate, 0);
        NEAR(e[i].freq.se, r.se, 0);
    }
    opt.kind = SHOAL_STATS_MEAN;
    weights[1] = 0;
    CHECK_RC(shoal_stats_evaluate(3, m, weights, &opt, e, &srm_p), SHOAL_EINVAL);
    CHECK_RC(shoal_stats_evaluate(1, m, NULL, &opt, e, &srm_p), SHOAL_EINVAL);
}

int main(void)
{
    RUN(distribution_tables);
    RUN(distribution_closed_forms);
    RUN(welch_sleep);
    RUN(welch_gbstats);
    RUN(welch_gbstats_count_metric);
    RUN(welch_errors);
    RUN(proportions_prop_test);
    RUN(proportions_k_groups);
    RUN(proportions_gbstats_relative);
    RUN(ratio_gbstats);
    RUN(cluster);
    RUN(cuped_gbstats);
    RUN(ratio_cuped_gbstats);
    RUN(ratio_cuped_evaluate);
    RUN(srm);
    RUN(adjust);
    RUN(adjust_statsmodels);
    RUN(bayes_gbstats);
    RUN(sequential_gbstats);
    RUN(sequential_properties);
    RUN(sequential_one_sided_gbstats);
    RUN(small);
    RUN(evaluate);
    RUN(calibration_fixed);
    RUN(calibration_peeking);
    RUN(robustness);
    UNIT_EXIT();
}
