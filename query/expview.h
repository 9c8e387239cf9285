/* expview.h — an experiment's view (engine/view_experiment.c) from the query layer's
 * side (expview.c): kept beside every CREATE EXPERIMENT, dropped with it, and read by
 * experiment(name) when it answers the statement exactly. Internal to query/.
 */
#ifndef SHOAL_EXPVIEW_H
#define SHOAL_EXPVIEW_H

#include "plan.h"
#include "stats.h"

/* Creates (or replaces) the view of experiment st (a checked CREATE EXPERIMENT, text
 * x->src): the tag says what was back-filled, or why no view is kept (a metric or
 * filter a view cannot keep: the experiment is then evaluated from the log). */
int shoal_expview_install(exec *x, const shoal_stmt *st);
/* The same when the experiment has no view (one kept by an older shoal); else nothing. */
int shoal_expview_ensure(exec *x, const shoal_stmt *st);
/* Drops experiment name's view, when there is one. */
int shoal_expview_drop(exec *x, const char *name);

/* What a view keeps of an experiment's metrics: per metric (metrics then guardrails)
 * a ratio's two aggregates or one, a conversion's threshold; and a covariate. */
#define SHOAL_EXPVIEW_MAX_METRICS 32
typedef struct shoal_expview_shape {
    int n_metrics;
    uint8_t ratio[SHOAL_EXPVIEW_MAX_METRICS], conv[SHOAL_EXPVIEW_MAX_METRICS];
    int64_t thr[SHOAL_EXPVIEW_MAX_METRICS];
    int covariate;
    int group;             /* UNIT group */
} shoal_expview_shape;
/* Where each lands in the view: per metric its accumulator x (the value, a ratio's
 * numerator) and y (a ratio's denominator, else -1), the covariate's c (-1), and the
 * pairs: x·y per ratio, then per metric x·c and for a ratio y·c (-1: none). With UNIT
 * group (the sums are over groups, each its members' totals) last the members' m, the
 * y of every metric that is not a ratio, so every metric has its x·y and y·c. */
typedef struct shoal_expview_layout {
    int n_metrics, x[SHOAL_EXPVIEW_MAX_METRICS], y[SHOAL_EXPVIEW_MAX_METRICS], c, m, n_acc;
    int xy[SHOAL_EXPVIEW_MAX_METRICS], xc[SHOAL_EXPVIEW_MAX_METRICS], yc[SHOAL_EXPVIEW_MAX_METRICS];
    uint8_t pair[SHOAL_EXP_MAX_PAIRS][2];
    int n_pairs;
} shoal_expview_layout;
/* The layout of shape sh; -1 when a view cannot keep that many accumulators or pairs. */
int shoal_expview_lay(const shoal_expview_shape *sh, shoal_expview_layout *l);

/* What experiment(name) reads from the view. */
typedef struct shoal_expview_use {
    int covers;                 /* 1: the view answers; 0: why says why not */
    int at;                     /* it answers as of a time before its latest event */
    char why[240];
    shoal_expview_stats st;
    shoal_expview_layout lay;
} shoal_expview_use;

/* Whether experiment name's view (definition text, n_arms, its metrics' shape) answers
 * a statement whose nested SELECT over members is p (its AS OF, and the cut at a now
 * before the latest event), exactly (x->r open). 0, or an error. */
int shoal_expview_plan(exec *x, const char *name, const char *text, int n_arms, const shoal_expview_shape *sh,
                       const plan *p, shoal_expview_use *u);
/* Metric j, arm i's moments into mo[j·stride + i] (as the log's rows would make them),
 * the units (members, or with UNIT group groups) and members per arm, and those left
 * out (two_arms: members, and with UNIT group groups too, as the log's path counts). */
void shoal_expview_moments(const shoal_expview_use *u, shoal_stats_moments *mo, int stride, double *units,
                           double *members, int64_t *two_arms, int64_t *unknown_arm, int64_t *by_hash,
                           int64_t *two_groups, int64_t *no_group);
/* The moments of one unit's value x (y a ratio's denominator, c the covariate: 0 when
 * none) into an arm's exact sums (the log's path, so that both paths round the same
 * sums once): Σx, Σx², Σy, Σy², Σxy, Σc, Σc², Σxc, Σyc. */
#define SHOAL_EXPVIEW_XS 9
static inline void shoal_expview_add(shoal_xsum *s, double x, double y, double c)
{
    shoal_xsum_add_double(&s[0], x);
    shoal_xsum_add_double(&s[1], x * x);
    shoal_xsum_add_double(&s[2], y);
    shoal_xsum_add_double(&s[3], y * y);
    shoal_xsum_add_double(&s[4], x * y);
    shoal_xsum_add_double(&s[5], c);
    shoal_xsum_add_double(&s[6], c * c);
    shoal_xsum_add_double(&s[7], x * c);
    shoal_xsum_add_double(&s[8], y * c);
}
/* Those sums, each rounded once, into m's sums (n left alone). */
static inline void shoal_expview_round(const shoal_xsum *s, shoal_stats_moments *m)
{
    double *d[SHOAL_EXPVIEW_XS] = {&m->sx, &m->sxx, &m->sy, &m->syy, &m->sxy, &m->sc, &m->scc, &m->sxc, &m->syc};
    for (int i = 0; i < SHOAL_EXPVIEW_XS; i++) *d[i] = shoal_xsum_value(&s[i]);
}

#endif /* SHOAL_EXPVIEW_H */
