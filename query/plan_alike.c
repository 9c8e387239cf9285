/* plan_alike.c — the planner's decisions about rows over members (docs/ARCHITECTURE.md,
 * "Members alike"): whether the members without values are alike, how many
 * comparisons of counts and scores decide a member's row (its class), and which
 * aggregates those comparisons can read narrow. EXPLAIN says them; exec_members.c
 * runs them.
 */
#include <math.h>

#include "plan.h"

/* True when e depends on nothing but per-member aggregates and constants. */
int shoal_plan_maggs_only(const cx *e)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_MAGG: break;
    case X_ARITH: case X_CMP: case X_AND: case X_OR: case X_NOT: case X_NEG: case X_BETWEEN: case X_ISNULL: case X_IN:
    case X_CASE:   /* member IN layer */
        break;
    default: return 0;
    }
    if (!shoal_plan_maggs_only(e->a) || !shoal_plan_maggs_only(e->b) || !shoal_plan_maggs_only(e->c)) return 0;
    for (int i = 0; (e->op == X_IN || e->op == X_CASE) && i < e->n; i++)
        if (!shoal_plan_maggs_only(e->v[i])) return 0;
    return 1;
}

/* Over members, a grouped statement whose rows depend on nothing but per-member
 * aggregates (WHERE, the keys and the row aggregates' arguments: no member name) makes
 * the same row for every member none of whose aggregates has a value. When its row
 * aggregates can take w equal rows at once (count, sum, avg, min, max: not median,
 * whose values are kept, nor first and last, which depend on the order), those members
 * are one row, weighed by their number (shoal_exec_member_rows), and only the members with a
 * value get rows of their own: a tier count over 300k members evaluates the 50k
 * active ones. */
int shoal_plan_alike(const plan *p)
{
    if (p->src != SRC_MEMBERS || !p->members_all || !p->grouped || !shoal_plan_maggs_only(p->where)) return 0;
    for (int i = 0; i < p->n_keys; i++)
        if (!shoal_plan_maggs_only(p->keys[i])) return 0;
    for (int i = 0; i < p->n_raggs; i++) {
        const ragg *ra = &p->raggs[i];
        if (!shoal_plan_maggs_only(ra->filter)) return 0;
        if (ra->star) continue;
        if (ra->fn != F_COUNT && ra->fn != F_SUM && ra->fn != F_AVG && ra->fn != F_MIN && ra->fn != F_MAX) return 0;
        if (!shoal_plan_maggs_only(ra->arg)) return 0;
    }
    return 1;
}

/* The comparisons of counts and scores with numbers in e, into t[*n] (each once); 0
 * when e reads a per-member aggregate any other way, or there are more than 64. */
static int find_tests(const plan *p, const cx *e, mcmp *t, int *n)
{
    if (!e) return 1;
    mcmp c;
    if (mcmp_of(p, e, &c)) {
        for (int i = 0; i < *n; i++)
            if (t[i].g == c.g && t[i].sub == c.sub && t[i].ints == c.ints && t[i].ci == c.ci && t[i].cd == c.cd) return 1;
        if (*n == 64) return 0;
        t[(*n)++] = c;
        return 1;
    }
    if (e->op == X_MAGG) return 0;
    if (!find_tests(p, e->a, t, n) || !find_tests(p, e->b, t, n) || !find_tests(p, e->c, t, n)) return 0;
    for (int i = 0; e->v && i < e->n; i++)
        if (!find_tests(p, e->v[i], t, n)) return 0;
    return 1;
}

/* Members alike (shoal_plan_alike) whose every per-member value is only compared with
 * numbers (counts and scores, as layers and tiers do): how many comparisons decide a
 * member's row, into t (64 at most); 0 when that is not so. */
int shoal_plan_class_tests(const plan *p, mcmp *t)
{
    int n = 0, ok = shoal_plan_alike(p) && find_tests(p, p->where, t, &n);
    for (int k = 0; ok && k < p->n_keys; k++) ok = find_tests(p, p->keys[k], t, &n);
    for (int k = 0; ok && k < p->n_raggs; k++) ok = find_tests(p, p->raggs[k].arg, t, &n) && find_tests(p, p->raggs[k].filter, t, &n);
    return ok ? n : 0;
}

int shoal_plan_classes(const plan *p)
{
    mcmp t[64];
    return shoal_plan_class_tests(p, t);
}

/* Whether classes can read aggregate i narrow (plan.h), given the tests t[n]: one that
 * nothing but the tests reads (in classes, nothing else reads any; who existed AS OF a
 * date is read apart), and a view answers whole, or, for a count, but for its window's
 * edges (MG_EDGE: the scan adds them to the byte, stopping at cap as the view's read
 * does, exact since min(cap, min(cap, v) + e) = min(cap, v + e)), or, for a score, but
 * for its tail (exec_views.c read_score_cells; not with a lazy existence, which reads
 * the scores themselves): a count compared with numbers below 254 only (*cap: the
 * least integer above them all, at least 1), or a score (at most 63 thresholds: 127
 * cells, and bit 63 of a code free). */
int shoal_plan_can_narrow(const plan *p, const mcmp *t, int n, int i, unsigned *cap)
{
    const magg *a = &p->maggs[i];
    if (!n || n == 64 || (a->src != MG_VIEW && !(a->src == MG_EDGE && a->fn == F_COUNT)) || (a->tail && p->exist_lazy) ||
        i == p->exist - 1 ||
        (a->fn != F_COUNT && a->fn != F_SCORE))
        return 0;
    double top = -INFINITY;
    for (int j = 0; j < n; j++)
        if (t[j].g == a && t[j].cd > top) top = t[j].cd;
    if (a->fn == F_SCORE) return 1;
    if (top >= 254) return 0;
    *cap = top < 0 ? 1 : (unsigned)floor(top) + 1;
    return 1;
}

int shoal_plan_narrow(const plan *p)
{
    mcmp t[64];
    int n = shoal_plan_class_tests(p, t), k = 0;
    unsigned cap;
    for (int i = 0; n && i < p->n_maggs; i++) k += shoal_plan_can_narrow(p, t, n, i, &cap);
    return k;
}
