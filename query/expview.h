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

/* What experiment(name) reads from the view. */
typedef struct shoal_expview_use {
    int covers;                 /* 1: the view answers; 0: why says why not */
    int at;                     /* it answers as of a time before its latest event */
    char why[240];
    shoal_expview_stats st;
} shoal_expview_use;

/* Whether experiment name's view (definition text, n_arms, n_metrics) answers a
 * statement whose nested SELECT over members is p (its AS OF, and the cut at a now
 * before the latest event), exactly (x->r open). 0, or an error. */
int shoal_expview_plan(exec *x, const char *name, const char *text, int n_arms, int n_metrics, const plan *p,
                       shoal_expview_use *u);
/* Metric j, arm i's moments into mo[j·stride + i] (as the log's rows would make them),
 * the units per arm, and the units left out. */
void shoal_expview_moments(const shoal_expview_use *u, shoal_stats_moments *mo, int stride, double *units,
                           int64_t *two_arms, int64_t *unknown_arm, int64_t *by_hash);
/* The moments of one unit's value x into an arm's exact sums (the log's path, so that
 * both paths round the same sums once): s[0] Σx, s[1] Σx². */
static inline void shoal_expview_add(shoal_xsum *s, double x)
{
    shoal_xsum_add_double(&s[0], x);
    shoal_xsum_add_double(&s[1], x * x);
}

#endif /* SHOAL_EXPVIEW_H */
