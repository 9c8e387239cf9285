/* stats.c — the statistics of experiment evaluation: the normal, Student t and
 * chi-square distributions, and the tests EVALUATE runs over per-arm sufficient
 * statistics (stats.h). Pure functions of doubles; C11 and libm only, no allocation.
 * Formulas and their sources: docs/ARCHITECTURE.md, "Experiment statistics".
 */
#include <math.h>
#include <stddef.h>

#include "shoal.h"
#include "stats.h"

#define LN_SQRT_2PI 0.918938533204672741780329736406 /* log(sqrt(2π)) */
#define SQRT_2PI 2.50662827463100050241576528481     /* sqrt(2π) */

/* The continued fractions stop at a relative change below EPS; MAXIT only guards
 * against a fraction that never settles (it converges in O(sqrt(max(a, b))) terms). */
#define EPS 1e-15
#define TINY 1e-300
#define MAXIT 100000

/* ---------------------------------------------------------------- special functions */

/* log Γ(x) for x > 0 through lgamma_r, which unlike lgamma leaves the global signgam
 * alone, so that these functions keep no state and callers may run them at once. */
static double lgam(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

/* log Γ(x) - Stirling's approximation, for x >= 10: the first terms of the
 * asymptotic series, below 1e-15 there. Lets lbeta avoid subtracting large lgammas. */
static double lgamma_corr(double x)
{
    double r = 1.0 / x, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * (691.0 / 360360))))));
}

/* log B(a, b), accurate when a or b is large (Welch df of millions of units): the
 * large terms of lgamma(a) + lgamma(b) - lgamma(a + b) cancel analytically. */
static double lbeta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a;
    if (p >= 10) {
        double corr = lgamma_corr(p) + lgamma_corr(q) - lgamma_corr(p + q);
        return -0.5 * log(q) + LN_SQRT_2PI + corr + (p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q));
    }
    if (q >= 10) {
        double corr = lgamma_corr(q) - lgamma_corr(p + q);
        return lgam(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
    }
    return lgam(p) + lgam(q) - lgam(p + q);
}

/* The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1)/(a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < TINY) d = TINY;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= MAXIT; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < TINY) d = TINY;
        c = 1 + aa / c;
        if (fabs(c) < TINY) c = TINY;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < TINY) d = TINY;
        c = 1 + aa / c;
        if (fabs(c) < TINY) c = TINY;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < EPS) break;
    }
    return h;
}

/* I_x(a, b) given x, y = 1 - x and their logs, so that a caller who knows them more
 * precisely than 1 - x and log(x) keeps those digits: for the t tail x is within
 * t²/ν of 1, and a·log(x) with a = ν/2 would multiply x's rounding by ν. */
static double beta_inc_xy(double a, double b, double x, double y, double lx, double ly)
{
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    double lfront = a * lx + b * ly - lbeta(a, b);
    if (x < (a + 1) / (a + b + 2)) return exp(lfront) * beta_cf(a, b, x) / a;
    return 1 - exp(lfront) * beta_cf(b, a, y) / b;
}

double shoal_stats_beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1)) return NAN;
    return beta_inc_xy(a, b, x, 1 - x, log(x), log1p(-x));
}

/* P(a, x) by its series (x < a + 1) and Q(a, x) by its continued fraction (else);
 * upper says which one the caller wants, so each tail is computed directly. */
static double gamma_inc_tail(double a, double x, int upper)
{
    if (x <= 0) return upper ? 1 : 0;
    if (isinf(x)) return upper ? 0 : 1;
    double lfront = -x + a * log(x) - lgam(a);
    if (x < a + 1) {
        double ap = a, sum = 1 / a, del = sum;
        for (int n = 0; n < MAXIT; n++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * EPS) break;
        }
        double p = sum * exp(lfront);
        return upper ? 1 - p : p;
    }
    double b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
    for (int i = 1; i <= MAXIT; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < TINY) d = TINY;
        c = b + an / c;
        if (fabs(c) < TINY) c = TINY;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < EPS) break;
    }
    double q = exp(lfront) * h;
    return upper ? q : 1 - q;
}

double shoal_stats_gamma_inc(double a, double x)
{
    if (!(a > 0) || !(x >= 0)) return NAN;
    return gamma_inc_tail(a, x, 0);
}

/* ---------------------------------------------------------------- distributions */

double shoal_stats_norm_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

/* Upper tail P(Z > z), without the cancellation of 1 - Φ(z). */
static double norm_sf(double z)
{
    return 0.5 * erfc(z / M_SQRT2);
}

static double norm_pdf(double x)
{
    return exp(-0.5 * x * x) / SQRT_2PI;
}

/* Φ⁻¹: Abramowitz & Stegun 26.2.23 (error < 4.5e-4) as the start, then Halley's
 * method on erfc, which triples the correct digits each step: three steps reach
 * double precision. Solved in the lower tail, where Φ keeps its relative precision. */
double shoal_stats_norm_quantile(double p)
{
    if (isnan(p) || p < 0 || p > 1) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    if (p == 0.5) return 0;
    if (p > 0.5) return -shoal_stats_norm_quantile(1 - p);
    double t = sqrt(-2 * log(p));
    double x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
    for (int i = 0; i < 3; i++) {
        double f = norm_pdf(x);
        if (f == 0) break;
        double u = (shoal_stats_norm_cdf(x) - p) / f;
        x -= u / (1 + 0.5 * x * u);
    }
    return x;
}

/* P(T > t) for t >= 0: I_{ν/(ν+t²)}(ν/2, 1/2) / 2, computed directly so that tiny
 * p-values keep their digits. */
/* Past this df the t is the normal to double precision in the range that matters
 * (the tails differ by a factor exp(t⁴/4ν)), and the beta's arguments would lose
 * meaning. */
#define DF_NORMAL 1e15

static double t_sf_pos(double t, double df)
{
    if (df > DF_NORMAL) return norm_sf(t);
    double t2 = t * t;
    double x = df / (df + t2), y = t2 / (df + t2);
    double lx = -log1p(t2 / df), ly = log(t2) - log(df + t2);
    /* For large ν the continued fraction loses up to 1e-10 relative near its switch
     * point (|t| near 1.7) and past ν = 3e6 elsewhere too, its terms close to -1.
     * There Fisher's expansion
     * F(t) = Φ(t) - φ(t)[(t³ + t)/(4ν) + (3t⁷ - 7t⁵ - 5t³ - 3t)/(96ν²)] + O(ν⁻³)
     * is within 1e-10 (checked against 50-digit mpmath): its error is about
     * c(t)/ν³ with c(3) = 63, c(6) = 4e6, c(10) = 2e9. */
    if ((df >= 1e4 && t2 <= 9) || (df > 3e6 && t2 < 100)) {
        double g1 = (t2 + 1) * t / 4, g2 = (((3 * t2 - 7) * t2 - 5) * t2 - 3) * t / 96;
        return norm_sf(t) + norm_pdf(t) * (g1 / df + g2 / (df * df));
    }
    return 0.5 * beta_inc_xy(df / 2, 0.5, x, y, lx, ly);
}

/* P(T > t), any t. */
static double t_sf(double t, double df)
{
    return t >= 0 ? t_sf_pos(t, df) : 1 - t_sf_pos(-t, df);
}

double shoal_stats_t_cdf(double t, double df)
{
    if (isnan(t) || isnan(df) || !(df > 0)) return NAN;
    return t <= 0 ? t_sf_pos(-t, df) : 1 - t_sf_pos(t, df);
}

static double t_pdf(double t, double df)
{
    if (df > DF_NORMAL) return norm_pdf(t);
    return exp(-lbeta(0.5, df / 2) - 0.5 * log(df) - (df + 1) / 2 * log1p(t * t / df));
}

/* The t quantile: exact for df 1 and 2; otherwise Newton's method on the lower tail
 * from a Cornish–Fisher start, kept inside a bracket [lo, hi] that it tightens, and
 * bisected when a step would leave it (heavy tails at small df). */
double shoal_stats_t_quantile(double p, double df)
{
    if (isnan(p) || isnan(df) || !(df > 0) || p < 0 || p > 1) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    if (p == 0.5) return 0;
    if (df > DF_NORMAL) return shoal_stats_norm_quantile(p);
    if (p > 0.5) return -shoal_stats_t_quantile(1 - p, df);
    if (df == 1) return -1 / tan(M_PI * p); /* tan(π(p - 1/2)), exact near p = 0 too */
    if (df == 2) return (2 * p - 1) / sqrt(2 * p * (1 - p));
    double z = shoal_stats_norm_quantile(p), z2 = z * z;
    double t = z + z * (z2 + 1) / (4 * df) + z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df);
    double hi = 0, lo = t;
    while (t_sf_pos(-lo, df) > p) {
        hi = lo;
        lo *= 2;
        if (isinf(lo)) return lo;
    }
    if (!(t < hi && t > lo)) t = 0.5 * (lo + hi);
    for (int i = 0; i < 200; i++) {
        double f = t_sf_pos(-t, df) - p;
        if (f > 0) hi = t;
        else if (f < 0) lo = t;
        else break;
        double d = t_pdf(t, df);
        double next = d > 0 ? t - f / d : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (fabs(next - t) <= 1e-15 * fabs(t)) {
            t = next;
            break;
        }
        t = next;
    }
    return t;
}

double shoal_stats_chi2_cdf(double x, double df)
{
    if (isnan(x) || !(df > 0)) return NAN;
    return x <= 0 ? 0 : gamma_inc_tail(df / 2, x / 2, 0);
}

double shoal_stats_chi2_sf(double x, double df)
{
    if (isnan(x) || !(df > 0)) return NAN;
    return x <= 0 ? 1 : gamma_inc_tail(df / 2, x / 2, 1);
}

/* ---------------------------------------------------------------- arms */

static void arm_nan(shoal_stats_arm *out)
{
    *out = (shoal_stats_arm){ .n = NAN, .mean = NAN, .var = NAN, .base = NAN, .theta = 0,
                              .var_post = NAN, .var_pre = NAN, .cov_post_pre = NAN, .ratio_cuped = 0 };
}

/* Every constructor ends here: an arm whose sums overflow or are not numbers (a
 * corrupt or absurd input) is refused rather than carried into the tests as
 * infinities that would come out as NAN p-values under SHOAL_OK. */
static int arm_done(shoal_stats_arm *out)
{
    if (isfinite(out->n) && isfinite(out->mean) && isfinite(out->var) && isfinite(out->base) &&
        isfinite(out->theta) && (out->theta == 0 || (isfinite(out->var_post) && isfinite(out->var_pre) &&
                                                     isfinite(out->cov_post_pre))))
        return SHOAL_OK;
    arm_nan(out);
    return SHOAL_EINVAL;
}

/* Sample (co)variance from sums, n - 1 denominator; never below 0 for a variance
 * (rounding can make Σx² - (Σx)²/n slightly negative when all values are equal). */
static double co_var(double n, double su, double sv, double suv)
{
    return (suv - su * sv / n) / (n - 1);
}

static double var_of(double n, double s, double ss)
{
    double v = co_var(n, s, s, ss);
    return v > 0 ? v : 0;
}

int shoal_stats_arm_mean(const shoal_stats_moments *m, shoal_stats_arm *out)
{
    arm_nan(out);
    if (!(m->n >= 2)) return SHOAL_EINVAL;
    out->n = m->n;
    out->mean = out->base = m->sx / m->n;
    out->var = out->var_post = var_of(m->n, m->sx, m->sxx);
    return arm_done(out);
}

int shoal_stats_arm_proportion(const shoal_stats_moments *m, shoal_stats_arm *out)
{
    arm_nan(out);
    if (!(m->n >= 2) || !(m->sx >= 0 && m->sx <= m->n)) return SHOAL_EINVAL;
    double p = m->sx / m->n;
    out->n = m->n;
    out->mean = out->base = p;
    out->var = out->var_post = p * (1 - p);
    return arm_done(out);
}

int shoal_stats_arm_ratio(const shoal_stats_moments *m, shoal_stats_arm *out)
{
    arm_nan(out);
    if (!(m->n >= 2) || m->sy == 0) return SHOAL_EINVAL;
    double n = m->n, mx = m->sx / n, my = m->sy / n;
    /* The (co)variances go into the delta method as computed, like gbstats'
     * RatioStatistic; only the result is floored at 0 (then the test says ERANGE). */
    double vx = co_var(n, m->sx, m->sx, m->sxx), vy = co_var(n, m->sy, m->sy, m->syy);
    double cxy = co_var(n, m->sx, m->sy, m->sxy);
    double v = vx / (my * my) - 2 * cxy * mx / (my * my * my) + mx * mx * vy / (my * my * my * my);
    out->n = n;
    out->mean = out->base = mx / my;
    out->var = out->var_post = v > 0 ? v : 0;
    return arm_done(out);
}

int shoal_stats_arm_cluster(const shoal_stats_moments *m, shoal_stats_arm *out)
{
    return shoal_stats_arm_ratio(m, out);
}

int shoal_stats_arm_cuped(const shoal_stats_moments *m, double theta, shoal_stats_arm *out)
{
    arm_nan(out);
    if (!(m->n >= 2) || !isfinite(theta)) return SHOAL_EINVAL;
    double n = m->n;
    double vx = var_of(n, m->sx, m->sxx), vc = var_of(n, m->sc, m->scc);
    double cov = co_var(n, m->sx, m->sc, m->sxc);
    double v = vx + theta * theta * vc - 2 * theta * cov;
    out->n = n;
    out->base = m->sx / n;
    out->mean = m->sx / n - theta * (m->sc / n);
    out->var = v > 0 ? v : 0;
    out->theta = theta;
    out->var_post = vx;
    out->var_pre = vc;
    out->cov_post_pre = cov;
    return arm_done(out);
}

double shoal_stats_cuped_theta(const shoal_stats_moments *arms, size_t n_arms)
{
    double n = 0, sx = 0, sxx = 0, sc = 0, scc = 0, sxc = 0;
    for (size_t i = 0; i < n_arms; i++) {
        n += arms[i].n;
        sx += arms[i].sx;
        sxx += arms[i].sxx;
        sc += arms[i].sc;
        scc += arms[i].scc;
        sxc += arms[i].sxc;
    }
    if (!(n >= 2)) return 0;
    double vc = var_of(n, sc, scc), vx = var_of(n, sx, sxx);
    if (vc == 0 || vx == 0) return 0;
    double theta = co_var(n, sx, sc, sxc) / vc;
    return isfinite(theta) ? theta : 0;
}

double shoal_stats_cuped_reduction(const shoal_stats_arm *a, const shoal_stats_arm *b)
{
    double before = a->var_post / a->n + b->var_post / b->n;
    double after = a->var / a->n + b->var / b->n;
    if (!(before > 0) || isnan(after)) return NAN;
    return 1 - after / before;
}

/* The post ratio m/d and pre ratio m0/d0 of an arm: their per-unit variances and
 * covariance by the delta method, u = ∇(m/d), g = ∇(m0/d0) over the means
 * (m, d, m0, d0), and Λ their sample covariance matrix. */
static int ratio_parts(const shoal_stats_ratio_moments *r, double *post, double *pre,
                       double *v_post, double *v_pre, double *c)
{
    double n = r->n;
    if (!(n >= 2) || r->d == 0 || r->d0 == 0) return SHOAL_EINVAL;
    double mean[4] = { r->m / n, r->d / n, r->m0 / n, r->d0 / n };
    double s[4] = { r->m, r->d, r->m0, r->d0 };
    double sq[4][4] = {
        { r->mm, r->md, r->mm0, r->md0 },
        { r->md, r->dd, r->dm0, r->dd0 },
        { r->mm0, r->dm0, r->m0m0, r->m0d0 },
        { r->md0, r->dd0, r->m0d0, r->d0d0 },
    };
    double lam[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) lam[i][j] = co_var(n, s[i], s[j], sq[i][j]);
    double u[4] = { 1 / mean[1], -mean[0] / (mean[1] * mean[1]), 0, 0 };
    double g[4] = { 0, 0, 1 / mean[3], -mean[2] / (mean[3] * mean[3]) };
    double uu = 0, gg = 0, ug = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            uu += u[i] * lam[i][j] * u[j];
            gg += g[i] * lam[i][j] * g[j];
            ug += u[i] * lam[i][j] * g[j];
        }
    *post = r->m / r->d;
    *pre = r->m0 / r->d0;
    *v_post = uu;
    *v_pre = gg;
    *c = ug;
    return SHOAL_OK;
}

int shoal_stats_arm_ratio_cuped(const shoal_stats_ratio_moments *r, double theta,
                                shoal_stats_arm *out)
{
    arm_nan(out);
    double post, pre, vp, v0, c;
    if (!isfinite(theta) || ratio_parts(r, &post, &pre, &vp, &v0, &c)) return SHOAL_EINVAL;
    double v = vp + theta * theta * v0 - 2 * theta * c;
    out->n = r->n;
    out->base = post;
    out->mean = post - theta * pre;
    out->var = v > 0 ? v : 0;
    out->theta = theta;
    out->var_post = vp;
    out->var_pre = v0;
    out->cov_post_pre = c;
    out->ratio_cuped = 1;
    return arm_done(out);
}

double shoal_stats_ratio_cuped_theta(const shoal_stats_ratio_moments *a,
                                     const shoal_stats_ratio_moments *b)
{
    double pa, qa, vpa, v0a, ca, pb, qb, vpb, v0b, cb;
    if (ratio_parts(a, &pa, &qa, &vpa, &v0a, &ca) || ratio_parts(b, &pb, &qb, &vpb, &v0b, &cb))
        return 0;
    if (!(v0a + v0b > 0)) return 0;
    double theta = (ca + cb) / (v0a + v0b);
    return isfinite(theta) ? theta : 0;
}

void shoal_stats_ratio_cuped_moments(const shoal_stats_moments *m, int kind,
                                     shoal_stats_ratio_moments *out)
{
    *out = (shoal_stats_ratio_moments){ .n = m->n, .m = m->sx, .mm = m->sxx, .d = m->sy, .dd = m->syy,
                                        .md = m->sxy, .m0 = m->sc, .m0m0 = m->scc, .mm0 = m->sxc,
                                        .dm0 = m->syc };
    if (kind == SHOAL_STATS_CLUSTER) {
        /* d0 = y: the covariate per member */
        out->d0 = m->sy;
        out->d0d0 = m->syy;
        out->md0 = m->sxy;
        out->dd0 = m->syy;
        out->m0d0 = m->syc;
    } else {
        /* d0 = 1: the covariate per unit */
        out->d0 = m->n;
        out->d0d0 = m->n;
        out->md0 = m->sx;
        out->dd0 = m->sy;
        out->m0d0 = m->sc;
    }
}

/* ---------------------------------------------------------------- effects */

/* The effect of b against control a on a scale, its standard error, and the Welch–
 * Satterthwaite df of the arms' variances. The relative scale's variance is the delta
 * method for (b - a)/base_a: GrowthBook's variance_of_ratios with zero covariance
 * between arms, or for CUPED arms frequentist_variance_relative_cuped, which also
 * carries the control's covariance between its adjusted and unadjusted means. */
static int effect(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale, double *est,
                  double *se, double *df)
{
    *est = *se = *df = NAN;
    if (scale != SHOAL_STATS_ABSOLUTE && scale != SHOAL_STATS_RELATIVE) return SHOAL_EINVAL;
    if (!(a->n >= 2) || !(b->n >= 2) || isnan(a->mean) || isnan(b->mean)) return SHOAL_EINVAL;
    double va = a->var / a->n, vb = b->var / b->n, sv = va + vb;
    /* (va + vb)² / (va²/(na - 1) + vb²/(nb - 1)), scaled so that no square overflows */
    double den = (va / sv) * (va / sv) / (a->n - 1) + (vb / sv) * (vb / sv) / (b->n - 1);
    *df = sv > 0 && den > 0 ? 1 / den : NAN;
    double v;
    if (scale == SHOAL_STATS_ABSOLUTE) {
        *est = b->mean - a->mean;
        v = va + vb;
    } else {
        double ma = a->base;
        if (ma == 0) return SHOAL_ERANGE;
        *est = (b->mean - a->mean) / ma;
        if (a->theta != 0 || b->theta != 0) {
            /* The two gbstats formulas differ in one factor, the numerator the
             * control's terms are scaled by: the treatment's unadjusted mean for
             * means, the control's base plus the adjusted difference for ratios
             * (frequentist_variance_relative_cuped_ratio, with |base|). */
            double th = a->theta, mb = b->base;
            if (a->ratio_cuped) {
                ma = fabs(ma);
                mb = ma + (b->mean - a->mean);
            }
            double v_trt = b->var / (b->n * ma * ma);
            double v_ctrl = (a->var_post * mb * mb / (ma * ma) - 2 * th * a->cov_post_pre * mb / ma +
                             th * th * a->var_pre) / (a->n * ma * ma);
            v = v_trt + v_ctrl;
        } else {
            double mb = b->mean;
            v = vb / (ma * ma) + va * mb * mb / (ma * ma * ma * ma);
        }
    }
    if (!(v > 0) || !isfinite(v) || !isfinite(*est) || !(*df > 0)) {
        *est = *se = *df = NAN;
        return SHOAL_ERANGE;
    }
    *se = sqrt(v);
    return SHOAL_OK;
}

static void result_nan(shoal_stats_result *out)
{
    *out = (shoal_stats_result){ NAN, NAN, NAN, NAN, NAN, NAN, NAN };
}

static int check_level_alt(double level, int alt)
{
    if (!(level > 0 && level < 1)) return SHOAL_EINVAL;
    if (alt != SHOAL_STATS_TWO_SIDED && alt != SHOAL_STATS_GREATER && alt != SHOAL_STATS_LESS)
        return SHOAL_EINVAL;
    return SHOAL_OK;
}

int shoal_stats_welch(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale, int alt,
                      double level, shoal_stats_result *out)
{
    result_nan(out);
    int rc = check_level_alt(level, alt);
    if (rc) return rc;
    double est, se, df;
    rc = effect(a, b, scale, &est, &se, &df);
    if (rc) return rc;
    double t = est / se;
    out->estimate = est;
    out->se = se;
    out->df = df;
    out->stat = t;
    if (alt == SHOAL_STATS_TWO_SIDED) {
        double w = shoal_stats_t_quantile(1 - (1 - level) / 2, df) * se;
        out->ci_lo = est - w;
        out->ci_hi = est + w;
        out->p = 2 * t_sf_pos(fabs(t), df);
    } else {
        double w = shoal_stats_t_quantile(level, df) * se;
        out->ci_lo = alt == SHOAL_STATS_GREATER ? est - w : -INFINITY;
        out->ci_hi = alt == SHOAL_STATS_GREATER ? INFINITY : est + w;
        out->p = alt == SHOAL_STATS_GREATER ? t_sf(t, df) : t_sf(-t, df);
    }
    if (out->p > 1) out->p = 1;
    return SHOAL_OK;
}

int shoal_stats_prop_test(double xa, double na, double xb, double nb, int alt, double level,
                          shoal_stats_result *out)
{
    result_nan(out);
    int rc = check_level_alt(level, alt);
    if (rc) return rc;
    if (!(na > 0 && nb > 0 && xa >= 0 && xa <= na && xb >= 0 && xb <= nb)) return SHOAL_EINVAL;
    double pa = xa / na, pb = xb / nb, pp = (xa + xb) / (na + nb);
    double se0 = sqrt(pp * (1 - pp) * (1 / na + 1 / nb));
    if (!(se0 > 0)) return SHOAL_ERANGE;
    double est = pb - pa, z = est / se0;
    double se = sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb);
    out->estimate = est;
    out->se = se;
    out->df = INFINITY;
    out->stat = z;
    /* R clips the interval to [-1, 1], the range of a difference of proportions. */
    if (alt == SHOAL_STATS_TWO_SIDED) {
        double w = shoal_stats_norm_quantile(1 - (1 - level) / 2) * se;
        out->ci_lo = fmax(est - w, -1);
        out->ci_hi = fmin(est + w, 1);
        out->p = fmin(1, 2 * norm_sf(fabs(z)));
    } else {
        double w = shoal_stats_norm_quantile(level) * se;
        out->ci_lo = alt == SHOAL_STATS_GREATER ? fmax(est - w, -1) : -1;
        out->ci_hi = alt == SHOAL_STATS_GREATER ? 1 : fmin(est + w, 1);
        out->p = alt == SHOAL_STATS_GREATER ? norm_sf(z) : norm_sf(-z);
    }
    return SHOAL_OK;
}

int shoal_stats_prop_chi2(size_t k, const double *x, const double *n, double *chi2, double *p)
{
    *chi2 = *p = NAN;
    if (k < 2) return SHOAL_EINVAL;
    double sx = 0, sn = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(n[i] > 0 && x[i] >= 0 && x[i] <= n[i])) return SHOAL_EINVAL;
        sx += x[i];
        sn += n[i];
    }
    double pp = sx / sn;
    if (!(pp > 0 && pp < 1)) return SHOAL_ERANGE;
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        double d = x[i] - n[i] * pp;
        s += d * d / (n[i] * pp * (1 - pp));
    }
    *chi2 = s;
    *p = shoal_stats_chi2_sf(s, (double)(k - 1));
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- sample ratio mismatch */

int shoal_stats_srm(size_t k, const double *observed, const double *weights, double *chi2,
                    double *p)
{
    *chi2 = *p = NAN;
    if (k < 2) return SHOAL_EINVAL;
    double total = 0, wsum = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(observed[i] >= 0) || !isfinite(observed[i]) || !(weights[i] > 0) || !isfinite(weights[i]))
            return SHOAL_EINVAL;
        total += observed[i];
        wsum += weights[i];
    }
    if (!(total > 0) || !isfinite(total) || !isfinite(wsum)) return SHOAL_EINVAL;
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        double e = total * weights[i] / wsum, d = observed[i] - e;
        s += d * d / e;
    }
    if (!isfinite(s)) return SHOAL_ERANGE;
    *chi2 = s;
    *p = shoal_stats_chi2_sf(s, (double)(k - 1));
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- multiple comparisons */

/* 1-based rank of p[i] among the k, ties broken by index (R's order() is stable). */
static size_t rank_of(size_t k, const double *p, size_t i)
{
    size_t r = 1;
    for (size_t j = 0; j < k; j++)
        if (p[j] < p[i] || (p[j] == p[i] && j < i)) r++;
    return r;
}

int shoal_stats_adjust(int method, size_t k, const double *p, double *adj)
{
    if (method != SHOAL_STATS_HOLM && method != SHOAL_STATS_BH && method != SHOAL_STATS_BONFERRONI)
        return SHOAL_EINVAL;
    if (k > SHOAL_STATS_MAX_TESTS) return SHOAL_ERANGE;
    for (size_t i = 0; i < k; i++)
        if (!(p[i] >= 0 && p[i] <= 1)) return SHOAL_EINVAL;
    /* Into a buffer first, so that adj may be p. */
    double buf[SHOAL_STATS_MAX_TESTS];
    size_t rank[SHOAL_STATS_MAX_TESTS];
    double m = (double)k;
    for (size_t i = 0; i < k; i++) rank[i] = rank_of(k, p, i);
    for (size_t i = 0; i < k; i++) {
        double v;
        if (method == SHOAL_STATS_BONFERRONI) {
            v = m * p[i];
        } else if (method == SHOAL_STATS_HOLM) {
            /* step-down: the largest (m - r + 1) p over the tests ranked up to i */
            v = 0;
            for (size_t j = 0; j < k; j++) {
                double c = (m - (double)rank[j] + 1) * p[j];
                if (rank[j] <= rank[i] && c > v) v = c;
            }
        } else {
            /* step-up: the smallest m / r p over the tests ranked from i on */
            v = INFINITY;
            for (size_t j = 0; j < k; j++) {
                double c = m / (double)rank[j] * p[j];
                if (rank[j] >= rank[i] && c < v) v = c;
            }
        }
        buf[i] = v < 1 ? v : 1;
    }
    for (size_t i = 0; i < k; i++) adj[i] = buf[i];
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- Bayesian */

int shoal_stats_bayes_effect(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale,
                             const shoal_stats_prior *prior, double level,
                             shoal_stats_bayes *out)
{
    *out = (shoal_stats_bayes){ NAN, NAN, NAN, NAN, NAN, NAN, NAN };
    if (!(level > 0 && level < 1)) return SHOAL_EINVAL;
    if (prior && prior->proper && !(prior->var > 0)) return SHOAL_EINVAL;
    double est, se, df;
    int rc = effect(a, b, scale, &est, &se, &df);
    if (rc) return rc;
    double prec = 1 / (se * se), mean = est;
    if (prior && prior->proper) {
        double pm = prior->mean, pv = prior->var, m = a->base;
        if (prior->scale != scale) {
            if (m == 0 || !isfinite(m)) return SHOAL_ERANGE;
            double f = scale == SHOAL_STATS_ABSOLUTE ? fabs(m) : 1 / fabs(m);
            pm *= f;
            pv *= f * f;
        }
        mean = (est * prec + pm / pv) / (prec + 1 / pv);
        prec += 1 / pv;
    }
    double sd = 1 / sqrt(prec), z = mean / sd;
    double w = shoal_stats_norm_quantile(1 - (1 - level) / 2) * sd;
    out->mean = mean;
    out->sd = sd;
    out->ci_lo = mean - w;
    out->ci_hi = mean + w;
    out->chance_to_win = shoal_stats_norm_cdf(z);
    /* E[max(X, 0)] = μΦ(μ/σ) + σφ(μ/σ) and E[max(-X, 0)] = σφ(μ/σ) - μΦ(-μ/σ) for
     * X ~ N(μ, σ²): GrowthBook's get_risk, (1 - P(ctrl better))·E[X | X > 0] and
     * P(ctrl better)·-E[X | X < 0], in closed form. */
    out->risk_control = fmax(0, mean * shoal_stats_norm_cdf(z) + sd * norm_pdf(z));
    out->risk_treatment = fmax(0, sd * norm_pdf(z) - mean * norm_sf(z)); /* rounding aside */
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- sequential */

int shoal_stats_sequential(const shoal_stats_arm *a, const shoal_stats_arm *b, int scale,
                           int alt, double tuning, double level, shoal_stats_result *out)
{
    result_nan(out);
    if (check_level_alt(level, alt) || !(tuning > 0) || !isfinite(tuning)) return SHOAL_EINVAL;
    double est, se, df;
    int rc = effect(a, b, scale, &est, &se, &df);
    if (rc) return rc;
    double alpha = 1 - level, n = a->n + b->n, z = est / se;
    /* ρ² tunes the normal mixture so the sequence is tightest at n = tuning
     * (Howard et al. 2021, eq. 161; GrowthBook's sequentialRho, which takes 2α for
     * the one-sided boundary); nr2 = N ρ². */
    double a2 = alt == SHOAL_STATS_TWO_SIDED ? alpha : 2 * alpha;
    double nr2 = n * (-2 * log(a2) + log(-2 * log(a2) + 1)) / tuning;
    out->estimate = est;
    out->se = se;
    out->df = INFINITY;
    out->stat = z;
    double l = z * z * nr2 / (2 * (1 + nr2)); /* log of the mixture's likelihood ratio, less its
                                               * normalizer sqrt(1 + Nρ²) */
    if (alt == SHOAL_STATS_TWO_SIDED) {
        double w = se * sqrt(2 * (nr2 + 1) / nr2 * log(sqrt(nr2 + 1) / alpha));
        out->ci_lo = est - w;
        out->ci_hi = est + w;
        /* The reciprocal of the likelihood ratio exp(l) / sqrt(1 + Nρ²), capped at 1:
         * p < α exactly when the interval above excludes 0. */
        double lp = 0.5 * log1p(nr2) - l;
        out->p = lp >= 0 ? 1 : exp(lp);
    } else {
        /* GrowthBook's one-sided boundary: w² = se² · 2(Nρ²+1)/(Nρ²) ·
         * ln(1 + sqrt(Nρ²+1)/(2α)). Its p-value, which GrowthBook finds by bisection,
         * in closed form: the α at which the bound reaches 0, sqrt(Nρ²+1)/(2(e^l - 1)),
         * when the estimate points the way H1 does, else 1. */
        double w = se * sqrt(2 * (nr2 + 1) / nr2 * log1p(sqrt(nr2 + 1) / (2 * alpha)));
        int greater = alt == SHOAL_STATS_GREATER;
        out->ci_lo = greater ? est - w : -INFINITY;
        out->ci_hi = greater ? INFINITY : est + w;
        double p = (greater ? z > 0 : z < 0) ? sqrt(nr2 + 1) / (2 * expm1(l)) : 1;
        out->p = p < 1 ? p : 1;
    }
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- small samples */

int shoal_stats_small(const shoal_stats_moments *m, int proportion)
{
    int w = 0;
    if (!(m->n >= SHOAL_STATS_MIN_UNITS)) w |= SHOAL_STATS_WARN_FEW_UNITS;
    if (proportion && (!(m->sx >= SHOAL_STATS_MIN_EVENTS) || !(m->n - m->sx >= SHOAL_STATS_MIN_EVENTS)))
        w |= SHOAL_STATS_WARN_FEW_EVENTS;
    if (!(m->n >= 2) || var_of(m->n, m->sx, m->sxx) == 0) w |= SHOAL_STATS_WARN_NO_VARIANCE;
    return w;
}

/* ---------------------------------------------------------------- one metric, all arms */

static int arm_of(int kind, const shoal_stats_moments *m, shoal_stats_arm *out)
{
    switch (kind) {
    case SHOAL_STATS_PROPORTION: return shoal_stats_arm_proportion(m, out);
    case SHOAL_STATS_RATIO: return shoal_stats_arm_ratio(m, out);
    case SHOAL_STATS_CLUSTER: return shoal_stats_arm_cluster(m, out);
    default: return shoal_stats_arm_mean(m, out);
    }
}

int shoal_stats_evaluate(size_t k, const shoal_stats_moments *arms, const double *weights,
                         const shoal_stats_options *opt, shoal_stats_arm_eval *out,
                         double *srm_p)
{
    *srm_p = NAN;
    double level = opt->level == 0 ? 0.95 : opt->level;
    if (k < 2 || k > SHOAL_STATS_MAX_TESTS) return SHOAL_EINVAL;
    if (opt->kind < SHOAL_STATS_MEAN || opt->kind > SHOAL_STATS_CLUSTER) return SHOAL_EINVAL;
    if (opt->correction != 0 && opt->correction != SHOAL_STATS_HOLM && opt->correction != SHOAL_STATS_BH)
        return SHOAL_EINVAL;
    if (!(opt->seq_tuning >= 0) || check_level_alt(level, opt->alt) ||
        (opt->scale != SHOAL_STATS_ABSOLUTE && opt->scale != SHOAL_STATS_RELATIVE))
        return SHOAL_EINVAL;
    if (opt->prior && opt->prior->proper && !(opt->prior->var > 0)) return SHOAL_EINVAL;
    double p[SHOAL_STATS_MAX_TESTS];
    if (weights) {
        for (size_t i = 0; i < k; i++) {
            if (!(weights[i] > 0) || !isfinite(weights[i])) return SHOAL_EINVAL;
            p[i] = arms[i].n;
        }
        double chi2;
        if (shoal_stats_srm(k, p, weights, &chi2, srm_p)) *srm_p = NAN; /* no units yet */
    }
    for (size_t i = 0; i < k; i++) {
        shoal_stats_arm_eval *e = &out[i];
        result_nan(&e->freq);
        result_nan(&e->seq);
        e->bayes = (shoal_stats_bayes){ NAN, NAN, NAN, NAN, NAN, NAN, NAN };
        e->p_adjusted = NAN;
        e->theta = 0;
        e->cuped_reduction = NAN;
        e->warnings = shoal_stats_small(&arms[i], opt->kind == SHOAL_STATS_PROPORTION);
        e->rc = arm_of(opt->kind, &arms[i], &e->arm);
    }
    for (size_t i = 1; i < k; i++) {
        shoal_stats_arm_eval *e = &out[i];
        shoal_stats_arm a = out[0].arm;
        p[i - 1] = 1;
        if (out[0].rc) e->rc = out[0].rc;
        if (e->rc) continue;
        if (opt->cuped && (opt->kind == SHOAL_STATS_RATIO || opt->kind == SHOAL_STATS_CLUSTER)) {
            /* θ over the pair compared, as gbstats'
             * compute_theta_regression_adjusted_ratio */
            shoal_stats_ratio_moments ra, rb;
            shoal_stats_ratio_cuped_moments(&arms[0], opt->kind, &ra);
            shoal_stats_ratio_cuped_moments(&arms[i], opt->kind, &rb);
            e->theta = shoal_stats_ratio_cuped_theta(&ra, &rb);
            if ((e->rc = shoal_stats_arm_ratio_cuped(&ra, e->theta, &a)) ||
                (e->rc = shoal_stats_arm_ratio_cuped(&rb, e->theta, &e->arm)))
                continue;
            e->cuped_reduction = shoal_stats_cuped_reduction(&a, &e->arm);
        } else if (opt->cuped) {
            /* θ pooled over the pair compared, as gbstats' compute_theta */
            shoal_stats_moments pair[2] = { arms[0], arms[i] };
            e->theta = shoal_stats_cuped_theta(pair, 2);
            shoal_stats_arm_cuped(&arms[0], e->theta, &a);
            shoal_stats_arm_cuped(&arms[i], e->theta, &e->arm);
            e->cuped_reduction = shoal_stats_cuped_reduction(&a, &e->arm);
        }
        e->rc = shoal_stats_welch(&a, &e->arm, opt->scale, opt->alt, level, &e->freq);
        if (e->rc) continue;
        p[i - 1] = e->freq.p;
        shoal_stats_bayes_effect(&a, &e->arm, opt->scale, opt->prior, level, &e->bayes);
        if (opt->seq_tuning > 0)
            shoal_stats_sequential(&a, &e->arm, opt->scale, opt->alt, opt->seq_tuning, level, &e->seq);
    }
    if (opt->correction) shoal_stats_adjust(opt->correction, k - 1, p, p);
    for (size_t i = 1; i < k; i++)
        if (!out[i].rc) out[i].p_adjusted = p[i - 1];
    return SHOAL_OK;
}
