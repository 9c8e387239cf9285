/* stats.h — the statistics of experiment evaluation (stats.c): distributions, and tests
 * over per-arm sufficient statistics (n, Σx, Σx², and for ratio metrics and CUPED the
 * sums and cross products they need), so that evaluation never revisits units. Pure
 * functions over doubles: no allocation, no I/O, no state; safe from any thread.
 * docs/ARCHITECTURE.md ("Experiment statistics") gives every formula and its source.
 */
#ifndef SHOAL_STATS_H
#define SHOAL_STATS_H

#include <stddef.h>

/* ---------------------------------------------------------------- distributions
 * Each returns NAN for arguments outside its domain (df <= 0, p outside [0, 1]).
 * Accuracy (relative, checked against 50-digit mpmath): normal and chi-square about
 * 1e-14; Student t below 1e-12 for df <= 1e4 and below 1e-10 for any df >= 1,
 * non-integer df included; quantiles invert their CDF to 1e-12. */

/* Standard normal CDF Φ(x). */
double shoal_stats_norm_cdf(double x);
/* Standard normal quantile Φ⁻¹(p); -INFINITY at 0, INFINITY at 1. */
double shoal_stats_norm_quantile(double p);
/* Student t CDF with df > 0 degrees of freedom (df need not be an integer; INFINITY
 * gives the normal). */
double shoal_stats_t_cdf(double t, double df);
/* Student t quantile: the t with shoal_stats_t_cdf(t, df) == p. */
double shoal_stats_t_quantile(double p, double df);
/* Chi-square CDF P(X <= x) with df > 0, and its complement P(X > x), computed
 * directly so that small p-values keep their digits. */
double shoal_stats_chi2_cdf(double x, double df);
double shoal_stats_chi2_sf(double x, double df);
/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1. */
double shoal_stats_beta_inc(double a, double b, double x);
/* Regularized lower incomplete gamma P(a, x), a > 0, x >= 0. */
double shoal_stats_gamma_inc(double a, double x);

/* ---------------------------------------------------------------- sufficient statistics */

/* One arm's sufficient statistics for one metric, as the experiment view keeps them.
 * x is the metric's value per unit (the numerator of a ratio metric); y the ratio's
 * denominator per unit; c the CUPED covariate per unit (the metric before exposure).
 * Fields a metric does not use stay 0. All are sums over the arm's units, so arms
 * add and retract exactly (up to floating point) as units come and go. */
typedef struct shoal_stats_moments {
    double n;            /* units */
    double sx, sxx;      /* Σx, Σx² */
    double sy, syy, sxy; /* Σy, Σy², Σxy (ratio metrics) */
    double sc, scc, sxc; /* Σc, Σc², Σxc (CUPED) */
    double syc;          /* Σyc (CUPED of a ratio metric or over clusters) */
} shoal_stats_moments;

/* An arm reduced to what the tests need: the estimate of its mean and the per-unit
 * variance of that estimate (Var(mean) = var / n). Filled by one of the
 * shoal_stats_arm_* constructors below; callers do not fill it by hand. */
typedef struct shoal_stats_arm {
    double n;     /* units */
    double mean;  /* the arm's estimate: sample mean, ratio, or CUPED-adjusted mean */
    double var;   /* per-unit variance: Var(mean) = var / n */
    double base;  /* the unadjusted mean: the denominator of relative lift */
    /* CUPED only (theta != 0): the pieces the relative lift's delta method needs,
     * per unit: the variance of the unadjusted estimate, of the covariate's, and
     * their covariance (so var = var_post + θ² var_pre - 2θ cov_post_pre) */
    double theta, var_post, var_pre, cov_post_pre;
    int ratio_cuped; /* made by shoal_stats_arm_ratio_cuped */
} shoal_stats_arm;

/* Constructors. Each fills *out and returns SHOAL_OK, or SHOAL_EINVAL when the arm
 * cannot be estimated (n < 2; a proportion outside [0, n]; a ratio whose denominator
 * sums to 0), leaving *out with NAN estimates.
 *
 * shoal_stats_arm_mean: a plain mean of x; var = (Σx² - (Σx)²/n) / (n - 1).
 * shoal_stats_arm_proportion: a 0/1 metric with sx successes; var = p(1 - p) (the
 *   binomial variance, as GrowthBook's ProportionStatistic).
 * shoal_stats_arm_ratio: Σx/Σy per arm with the delta-method variance
 *   var = s²x/ȳ² - 2 sxy x̄/ȳ³ + x̄² s²y/ȳ⁴ (sample (co)variances).
 * shoal_stats_arm_cluster: the same as _ratio, for group-randomized experiments:
 *   m's sums run over clusters (x = a cluster's metric total, y = its units, n the
 *   clusters), so the per-unit mean Σx/Σy gets the delta-method cluster-robust
 *   variance; treating a cluster's members as independent units would understate it
 *   by the design effect.
 * shoal_stats_arm_cuped: x̄ - θ c̄ with var = s²x + θ² s²c - 2θ sxc; θ from
 *   shoal_stats_cuped_theta over the arms compared. */
int shoal_stats_arm_mean(const shoal_stats_moments *m, shoal_stats_arm *out);
int shoal_stats_arm_proportion(const shoal_stats_moments *m, shoal_stats_arm *out);
int shoal_stats_arm_ratio(const shoal_stats_moments *m, shoal_stats_arm *out);
int shoal_stats_arm_cluster(const shoal_stats_moments *m, shoal_stats_arm *out);
int shoal_stats_arm_cuped(const shoal_stats_moments *m, double theta, shoal_stats_arm *out);

/* CUPED's θ = Cov(x, c) / Var(c) over the pooled units of the n_arms arms (pooled, so
 * that the same θ adjusts every arm and the adjusted difference stays unbiased).
 * Returns 0 when the pooled covariate or metric has no variance (no adjustment), or
 * when θ cannot be computed (sums that overflow; the constructors refuse those). */
double shoal_stats_cuped_theta(const shoal_stats_moments *arms, size_t n_arms);

/* The variance reduction CUPED achieved for the comparison of arms a and b (made by
 * shoal_stats_arm_cuped or _ratio_cuped with the same θ): 1 - Var(adjusted
 * difference) / Var(unadjusted difference), at most 1 (negative when θ hurts); NAN
 * when the unadjusted variance is 0 or an arm is not estimated. */
double shoal_stats_cuped_reduction(const shoal_stats_arm *a, const shoal_stats_arm *b);

/* A ratio metric with CUPED needs the sums of both ratios' parts after (m, d) and
 * before (m0, d0) exposure and all their cross products. Every field is a sum over
 * the arm's units: m is Σm, mm is Σm², md is Σm·d, m0d0 is Σm0·d0, and so on. */
typedef struct shoal_stats_ratio_moments {
    double n;
    double m, mm, d, dd;         /* the metric's numerator and denominator */
    double m0, m0m0, d0, d0d0;   /* the same over the covariate's window */
    double md, mm0, md0, dm0, dd0, m0d0;
} shoal_stats_ratio_moments;

/* gbstats' RegressionAdjustedRatioStatistic: the estimate Σm/Σd - θ Σm0/Σd0 with the
 * delta-method variance ∇ᵀΛ∇ over the four means (Λ their sample covariance, ∇ the
 * gradient of the estimate). Returns SHOAL_OK or SHOAL_EINVAL (n < 2, Σd or Σd0 0). */
int shoal_stats_arm_ratio_cuped(const shoal_stats_ratio_moments *r, double theta,
                                shoal_stats_arm *out);

/* θ for a ratio metric over control a and treatment b, as gbstats'
 * compute_theta_regression_adjusted_ratio: the sum over the two arms of the per-unit
 * covariance of the post and pre ratios over the sum of the pre ratio's variances.
 * Returns 0 when the pre ratios have no variance or an arm cannot be estimated. */
double shoal_stats_ratio_cuped_theta(const shoal_stats_ratio_moments *a,
                                     const shoal_stats_ratio_moments *b);

/* The ratio moments of a ratio or cluster arm with a covariate c, for CUPED through
 * shoal_stats_arm_ratio_cuped: the post ratio is Σx/Σy and the pre "ratio" Σc/Σd0 with
 * d0 = 1 per unit for SHOAL_STATS_RATIO (the covariate's mean per unit) and d0 = y for
 * SHOAL_STATS_CLUSTER (the covariate per member of the clusters). Every sum it needs
 * is one of m's (Σyc included). kind is SHOAL_STATS_RATIO or SHOAL_STATS_CLUSTER. */
void shoal_stats_ratio_cuped_moments(const shoal_stats_moments *m, int kind,
                                     shoal_stats_ratio_moments *out);

/* ---------------------------------------------------------------- frequentist tests */

enum { SHOAL_STATS_ABSOLUTE = 0, SHOAL_STATS_RELATIVE = 1 };              /* effect scale */
enum { SHOAL_STATS_TWO_SIDED = 0, SHOAL_STATS_GREATER = 1, SHOAL_STATS_LESS = 2 }; /* H1 */

/* A comparison of treatment b against control a. */
typedef struct shoal_stats_result {
    double estimate;     /* b - a (ABSOLUTE) or (b - a) / base_a (RELATIVE) */
    double se;           /* its standard error */
    double df;           /* degrees of freedom of the reference t (INFINITY: normal) */
    double stat;         /* estimate / se: the t or z statistic */
    double ci_lo, ci_hi; /* the CI at the level asked (one-sided: one end infinite) */
    double p;            /* the p-value for the alternative asked */
} shoal_stats_result;

/* Welch's t test of b against control a, as R's t.test(var.equal = FALSE) for
 * ABSOLUTE and as GrowthBook's TwoSidedTTest for both scales: se² = va/na + vb/nb,
 * df by Welch–Satterthwaite; RELATIVE uses the delta method for (b - a)/a (for CUPED
 * arms GrowthBook's frequentist_variance_relative_cuped, or _cuped_ratio) with the
 * same df.
 * level is the CI's confidence level, e.g. 0.95; alt a SHOAL_STATS_TWO_SIDED/GREATER/
 * LESS (GREATER: H1 is b > a).
 * Returns SHOAL_OK; SHOAL_EINVAL for a bad level or alt, or an arm with n < 2;
 * SHOAL_ERANGE when se is 0 or the control's base is 0 on the RELATIVE scale. On
 * error *out holds NAN. */
int shoal_stats_welch(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale, int alt,
                      double level, shoal_stats_result *out);

/* Two proportions xa/na (control) and xb/nb, as R's prop.test(c(xb, xa), c(nb, na),
 * correct = FALSE): estimate pb - pa, stat the pooled z (its square is prop.test's
 * X-squared), p from the normal, and the unpooled Wald CI. df is INFINITY. When each
 * arm is all 0s or all 1s but they differ, se is 0 and the CI a point, as R's.
 * Returns SHOAL_OK, SHOAL_EINVAL (counts outside 0 <= x <= n, n = 0, bad level/alt) or
 * SHOAL_ERANGE (pooled proportion 0 or 1: no variance). */
int shoal_stats_prop_test(double xa, double na, double xb, double nb, int alt, double level,
                          shoal_stats_result *out);

/* Equality of k >= 2 proportions x[i]/n[i], as R's prop.test(x, n) for k > 2 (for
 * k = 2 with correct = FALSE): Pearson's X² over the 2×k table, df = k - 1.
 * Returns SHOAL_OK, SHOAL_EINVAL or SHOAL_ERANGE as shoal_stats_prop_test. */
int shoal_stats_prop_chi2(size_t k, const double *x, const double *n, double *chi2,
                          double *p);

/* ---------------------------------------------------------------- sample ratio mismatch */

/* GrowthBook's threshold: below it the split is not what was declared. */
#define SHOAL_STATS_SRM_P 0.001

/* Pearson's chi-square goodness of fit of the observed units per arm against the
 * declared weights (any positive scale; they are normalized), as R's
 * chisq.test(observed, p = weights, rescale.p = TRUE): df = k - 1.
 * *chi2 and *p get the statistic and its p-value; the result is decision-ready only
 * when *p >= SHOAL_STATS_SRM_P. Returns SHOAL_OK, SHOAL_EINVAL (k < 2, a negative or
 * infinite count, a weight <= 0, no units at all) or SHOAL_ERANGE (X² overflows). */
int shoal_stats_srm(size_t k, const double *observed, const double *weights, double *chi2,
                    double *p);

/* ---------------------------------------------------------------- multiple comparisons */

enum { SHOAL_STATS_HOLM = 1, SHOAL_STATS_BH = 2, SHOAL_STATS_BONFERRONI = 3 };

/* The most tests shoal_stats_adjust takes at once (arms × metrics of one experiment). */
#define SHOAL_STATS_MAX_TESTS 256

/* Adjusted p-values for k simultaneous tests, as R's p.adjust(p, method): Holm's
 * step-down (family-wise error), Benjamini–Hochberg's step-up (false discovery rate)
 * or Bonferroni. adj may be p. O(k²) on the stack, no allocation.
 * Returns SHOAL_OK, SHOAL_EINVAL (unknown method, a p outside [0, 1] or NAN) or
 * SHOAL_ERANGE (k > SHOAL_STATS_MAX_TESTS). */
int shoal_stats_adjust(int method, size_t k, const double *p, double *adj);

/* ---------------------------------------------------------------- Bayesian */

/* A Gaussian prior on the effect. proper = 0 is the flat, improper prior: the
 * posterior is then N(estimate, se²). scale is the scale mean and var are stated on;
 * on the other scale than the comparison's they are rescaled by the control's
 * unadjusted mean m (relative to absolute: mean·|m|, var·m²), as gbstats does for
 * its prior_type. */
typedef struct shoal_stats_prior {
    double mean, var;
    int proper;
    int scale; /* SHOAL_STATS_ABSOLUTE or SHOAL_STATS_RELATIVE */
} shoal_stats_prior;

typedef struct shoal_stats_bayes {
    double mean, sd;       /* the posterior of the effect */
    double ci_lo, ci_hi;   /* the equal-tailed credible interval at the level asked */
    double chance_to_win;  /* P(effect > 0) */
    double risk_control;   /* expected loss of keeping control: E[max(effect, 0)] */
    double risk_treatment; /* expected loss of shipping b: E[max(-effect, 0)] */
} shoal_stats_bayes;

/* GrowthBook's EffectBayesianABTest: the effect's likelihood N(estimate, se²) from the
 * frequentist delta method (ABSOLUTE or RELATIVE), times the prior (NULL: flat),
 * gives a Gaussian posterior; chance to win and both risks are closed forms of it
 * (no simulation). Returns SHOAL_OK, SHOAL_EINVAL or SHOAL_ERANGE as shoal_stats_welch
 * (also ERANGE for a proper prior to rescale over a control mean of 0). */
int shoal_stats_bayes_effect(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale,
                             const shoal_stats_prior *prior, double level,
                             shoal_stats_bayes *out);

/* ---------------------------------------------------------------- sequential */

/* GrowthBook's default tuning parameter: the total sample size at which the
 * confidence sequence is tightest. */
#define SHOAL_STATS_SEQ_TUNING 5000.0

/* An anytime-valid CI (the asymptotic confidence sequence of Howard et al., as
 * GrowthBook's SequentialTwoSidedTTest, or its one-sided SequentialOneSidedTreatment-
 * Greater/LesserTTest for alt GREATER/LESS) and the always-valid p-value of the same
 * boundary, so p < 1 - level exactly when the CI excludes 0. Valid however often it is
 * looked at. tuning > 0 is GrowthBook's sequential tuning parameter
 * (SHOAL_STATS_SEQ_TUNING by default). df is INFINITY.
 * Returns SHOAL_OK, SHOAL_EINVAL or SHOAL_ERANGE as shoal_stats_welch. */
int shoal_stats_sequential(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale,
                           int alt, double tuning, double level, shoal_stats_result *out);

/* ---------------------------------------------------------------- small samples */

enum {
    SHOAL_STATS_WARN_FEW_UNITS = 1,    /* n < SHOAL_STATS_MIN_UNITS */
    SHOAL_STATS_WARN_FEW_EVENTS = 2,   /* a 0/1 metric with < 5 successes or < 5 failures */
    SHOAL_STATS_WARN_NO_VARIANCE = 4,  /* every unit has the same value */
};
/* 30 units: the usual rule of thumb for the t/normal approximation of a mean. */
#define SHOAL_STATS_MIN_UNITS 30
/* 5 successes and 5 failures: the textbook condition for the normal approximation
 * of a proportion (n·p >= 5 and n·(1 - p) >= 5). */
#define SHOAL_STATS_MIN_EVENTS 5

/* The warnings an arm's statistics deserve, as SHOAL_STATS_WARN_* bits (0: none).
 * proportion says the metric is 0/1 (sx counts successes). */
int shoal_stats_small(const shoal_stats_moments *m, int proportion);

/* ---------------------------------------------------------------- one metric, all arms */

/* What a metric's per-unit value is, which picks the arm constructor. */
enum {
    SHOAL_STATS_MEAN = 0,       /* shoal_stats_arm_mean (counts, sums) */
    SHOAL_STATS_PROPORTION = 1, /* shoal_stats_arm_proportion (0/1 conversions) */
    SHOAL_STATS_RATIO = 2,      /* shoal_stats_arm_ratio (a sum over a sum) */
    SHOAL_STATS_CLUSTER = 3,    /* shoal_stats_arm_cluster (group-randomized units) */
};

/* How to evaluate. Zero-initialized it is: MEAN, ABSOLUTE, two-sided, no CUPED, no
 * correction, no sequential CI, flat prior; level 0 means 0.95. CUPED works with every
 * kind: MEAN and PROPORTION by shoal_stats_arm_cuped, RATIO and CLUSTER by
 * shoal_stats_arm_ratio_cuped over shoal_stats_ratio_cuped_moments (θ as gbstats'
 * regression-adjusted ratio, per pair). */
typedef struct shoal_stats_options {
    int kind;                       /* SHOAL_STATS_MEAN/PROPORTION/RATIO/CLUSTER */
    int scale;                      /* SHOAL_STATS_ABSOLUTE or RELATIVE */
    int alt;                        /* SHOAL_STATS_TWO_SIDED/GREATER/LESS */
    double level;                   /* confidence level of every interval (0: 0.95) */
    int cuped;                      /* adjust by the covariate (sc, scc, sxc, syc) */
    int correction;                 /* 0, SHOAL_STATS_HOLM or SHOAL_STATS_BH */
    double seq_tuning;              /* > 0: also the sequential CI with this tuning */
    const shoal_stats_prior *prior; /* NULL: flat; borrowed for the call */
} shoal_stats_options;

/* One arm's evaluation against control (arm 0). For arm 0 itself only arm (never
 * CUPED-adjusted: θ belongs to each pair), warnings and rc are meaningful; its
 * comparisons hold NAN. */
typedef struct shoal_stats_arm_eval {
    shoal_stats_arm arm;       /* its estimate (for CUPED, adjusted with this pair's θ) */
    int rc;                    /* SHOAL_OK, or why it has no comparison (as _welch) */
    int warnings;              /* shoal_stats_small's bits */
    double theta;              /* CUPED's θ, pooled over control and this arm (0: none) */
    double cuped_reduction;    /* the variance reduction achieved (NAN without CUPED) */
    shoal_stats_result freq;   /* Welch (proportions: also Welch, as gbstats) */
    double p_adjusted;         /* freq.p after the correction (= freq.p without one) */
    shoal_stats_result seq;    /* the sequential CI and p (NAN unless seq_tuning > 0) */
    shoal_stats_bayes bayes;   /* chance to beat control, risks */
} shoal_stats_arm_eval;

/* Evaluates one metric over k >= 2 arms, arm 0 the control: every arm against
 * control on the options' scale, the correction across those k - 1 comparisons (a
 * family across metrics is the caller's: collect freq.p, call shoal_stats_adjust),
 * and, when weights is not NULL, the sample-ratio-mismatch check of the arms' n
 * against them into *srm_p (NAN otherwise; decision-ready when >= SHOAL_STATS_SRM_P).
 * out has k entries. An arm that cannot be compared gets its rc and NAN results; the
 * others are still evaluated, and its p counts as 1 in the correction.
 * Returns SHOAL_OK; SHOAL_EINVAL for k < 2 or k > SHOAL_STATS_MAX_TESTS, bad options
 * (an improper level, a proper prior without variance), or a weight that is not
 * positive. */
int shoal_stats_evaluate(size_t k, const shoal_stats_moments *arms, const double *weights,
                         const shoal_stats_options *opt, shoal_stats_arm_eval *out,
                         double *srm_p);

#endif
