/* cohort.c — grouped statements over members per period of their first cohort event,
 * answered from a first/last view's cohort index (engine/view_firstlast.c) instead of a
 * row per member: per join month, the members, how many spoke, the median days from
 * join to first word. The shape: FROM members WHERE first(A) IS NOT NULL GROUP BY
 * month(first(A)), week(first(A)) or day(first(A)), whose row aggregates are count(*) and count, sum,
 * avg, median or quantile of a CASE whose conditions compare first(B) with first(A)
 * plus a constant duration (or ask first(B) IS NULL) and whose values are constants or
 * (first(B) − first(A)) / a duration, with A the view's series 0 and B another series
 * that keeps its first. Such an expression is a function of d = b − a alone (NULL b: d
 * "none"), so a condition is a set of intervals of d and a value is monotone in d:
 * counts are binary searches in each day's entries (sorted by d) and a median the k-th
 * d of the union of a period's days. Now and AS OF are exact: a member whose first A is
 * at or after the cut is not a row, and one whose first B is (a + d ≥ cut) has none,
 * which only the entries of a band of d a day wide need to be checked for. Anything
 * else is planned as before (shoal_cohort_match says no); EXPLAIN says which it is.
 */
#include "exec_int.h"

#define MAX_IV 8
#define MAX_BR 8
#define MAX_RA 16

/* a condition over d: true for d in the intervals [lo, hi) (finite d), and for d none
 * none (0 false, 1 true, 2 NULL) */
typedef struct dcond {
    int n;
    int64_t lo[MAX_IV], hi[MAX_IV];
    int none;
} dcond;

/* a value of a branch: NULL, a constant, or d / unit (a number) */
enum { BV_NULL = 0, BV_CONST, BV_D, BV_B };   /* BV_B: first(B) itself (for count) */
typedef struct branch {
    dcond when;          /* the members it is taken for (before it none was) */
    int kind;
    qval k;
    int64_t unit;
} branch;

typedef struct cagg {
    int fn;              /* F_COUNT (star: every row), F_SUM, F_AVG, F_MEDIAN, F_QUANTILE */
    int star;
    int n_br;
    branch br[MAX_BR];
} cagg;

struct shoal_cohort {
    const char *vname;
    uint32_t sb;                 /* B's series in the view */
    int ia, ib;                  /* the maggs of first(A) and first(B) */
    const cx *key;               /* month(first(A)), week(first(A)) or day(first(A)) */
    int step;                    /* keys from a period's first to the next's (week: 7) */
    int64_t cut_a, cut_b;        /* a first at or after it is none */
    cagg ag[MAX_RA];
};

/* ---------------------------------------------------------------- conditions */

static void all_d(dcond *c, int none)
{
    c->n = 1, c->lo[0] = INT64_MIN, c->hi[0] = INT64_MAX, c->none = none;
}

static void no_d(dcond *c, int none) { c->n = 0, c->none = none; }

/* the complement of c's intervals within [INT64_MIN, INT64_MAX) */
static void iv_not(const dcond *c, dcond *o)
{
    int64_t at = INT64_MIN;
    o->n = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->lo[i] > at) o->lo[o->n] = at, o->hi[o->n++] = c->lo[i];
        at = c->hi[i];
    }
    if (at < INT64_MAX) o->lo[o->n] = at, o->hi[o->n++] = INT64_MAX;
}

/* intersection of sorted disjoint interval lists; -1 when more than MAX_IV */
static int iv_and(const dcond *a, const dcond *b, dcond *o)
{
    dcond r = {0};
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            int64_t lo = a->lo[i] > b->lo[j] ? a->lo[i] : b->lo[j], hi = a->hi[i] < b->hi[j] ? a->hi[i] : b->hi[j];
            if (lo >= hi) continue;
            if (r.n == MAX_IV) return -1;
            r.lo[r.n] = lo, r.hi[r.n++] = hi;
        }
    o->n = r.n;
    memcpy(o->lo, r.lo, sizeof r.lo), memcpy(o->hi, r.hi, sizeof r.hi);
    return 0;
}

static int iv_or(const dcond *a, const dcond *b, dcond *o)
{
    dcond na, nb, r;
    iv_not(a, &na), iv_not(b, &nb);
    if (iv_and(&na, &nb, &r)) return -1;
    iv_not(&r, o);
    return o->n > MAX_IV ? -1 : 0;
}

static int tv_and(int a, int b) { return a == 0 || b == 0 ? 0 : a == 1 && b == 1 ? 1 : 2; }
static int tv_or(int a, int b) { return a == 1 || b == 1 ? 1 : a == 0 && b == 0 ? 0 : 2; }

/* cb·b + ca·a + off: an instant or a duration of the two firsts; -1 when e is not one */
typedef struct lin {
    int cb, ca;
    int64_t off;
} lin;

static int lin_of(const shoal_cohort *c, const cx *e, lin *l)
{
    lin x, y;
    switch (e->op) {
    case X_MAGG:
        if (e->slot != c->ia && e->slot != c->ib) return -1;
        *l = (lin){e->slot == c->ib, e->slot == c->ia, 0};
        return 0;
    case X_CONST:
        if (e->k.t != V_TS && e->k.t != V_DUR) return -1;
        /* a constant far out could overflow where the member's own sum would be NULL */
        if (e->k.u.i > ((int64_t)1 << 50) || e->k.u.i < -((int64_t)1 << 50)) return -1;
        *l = (lin){0, 0, e->k.u.i};
        return 0;
    case X_ARITH:
        if ((e->sub != SHOAL_OP_ADD && e->sub != SHOAL_OP_SUB) || lin_of(c, e->a, &x) || lin_of(c, e->b, &y)) return -1;
        if (e->sub == SHOAL_OP_SUB) y.cb = -y.cb, y.ca = -y.ca, y.off = -y.off;
        *l = (lin){x.cb + y.cb, x.ca + y.ca, x.off + y.off};
        return 0;
    default: return -1;
    }
}

static int flip(int op)
{
    switch (op) {
    case SHOAL_OP_LT: return SHOAL_OP_GT;
    case SHOAL_OP_LE: return SHOAL_OP_GE;
    case SHOAL_OP_GT: return SHOAL_OP_LT;
    case SHOAL_OP_GE: return SHOAL_OP_LE;
    default: return op;
    }
}

/* d op k as intervals */
static void d_cmp(int op, int64_t k, dcond *o)
{
    int64_t k1 = k == INT64_MAX ? k : k + 1;
    o->n = 1;
    switch (op) {
    case SHOAL_OP_LT: o->lo[0] = INT64_MIN, o->hi[0] = k; break;
    case SHOAL_OP_LE: o->lo[0] = INT64_MIN, o->hi[0] = k1; break;
    case SHOAL_OP_GT: o->lo[0] = k1, o->hi[0] = INT64_MAX; break;
    case SHOAL_OP_GE: o->lo[0] = k, o->hi[0] = INT64_MAX; break;
    case SHOAL_OP_EQ: o->lo[0] = k, o->hi[0] = k1; break;
    default:
        o->n = 0;
        if (k > INT64_MIN) o->lo[o->n] = INT64_MIN, o->hi[o->n++] = k;
        if (k1 < INT64_MAX) o->lo[o->n] = k1, o->hi[o->n++] = INT64_MAX;
    }
    if (o->n == 1 && o->lo[0] >= o->hi[0]) o->n = 0;
}

/* a condition over the two firsts as a dcond; -1 when it is not one */
static int cond_of(const shoal_cohort *c, const cx *e, dcond *o)
{
    dcond x, y;
    lin l, r;
    switch (e->op) {
    case X_CONST:
        if (e->k.t == V_NULL) return no_d(o, 2), o->n = 0, 0;   /* NULL: never taken */
        if (e->k.t != V_BOOL) return -1;
        if (e->k.u.i) all_d(o, 1);
        else no_d(o, 0);
        return 0;
    case X_CMP: {
        if (lin_of(c, e->a, &l) || lin_of(c, e->b, &r)) return -1;
        int cb = l.cb - r.cb, ca = l.ca - r.ca, op = e->sub;
        int64_t off = l.off - r.off;
        /* both sides of one kind (instants or durations): b − a + off op 0 */
        if (l.cb + l.ca != r.cb + r.ca || (l.cb | r.cb) == 0) return -1;
        if (cb == 1 && ca == -1) d_cmp(op, -off, o);
        else if (cb == -1 && ca == 1) d_cmp(flip(op), off, o);
        else return -1;
        o->none = 2;
        return 0;
    }
    case X_ISNULL:
        if (lin_of(c, e->a, &l) || (l.cb == 0 && l.ca == 0)) return -1;
        /* e->sub: IS NOT NULL. With b in it, NULL exactly when b is none */
        if (l.cb) {
            if (e->sub) all_d(o, 0);
            else no_d(o, 1);
        } else if (e->sub) all_d(o, 1);
        else no_d(o, 0);
        return 0;
    case X_NOT:
        if (cond_of(c, e->a, &x)) return -1;
        iv_not(&x, o);
        o->none = x.none == 2 ? 2 : !x.none;
        return 0;
    case X_AND:
    case X_OR:
        if (cond_of(c, e->a, &x) || cond_of(c, e->b, &y)) return -1;
        if (e->op == X_AND ? iv_and(&x, &y, o) : iv_or(&x, &y, o)) return -1;
        o->none = e->op == X_AND ? tv_and(x.none, y.none) : tv_or(x.none, y.none);
        return 0;
    default: return -1;
    }
}

/* a branch's value: a number constant, NULL, or (first(B) − first(A)) / a duration */
static int value_of(const shoal_cohort *c, const cx *e, branch *b)
{
    lin l;
    if (!e || (e->op == X_CONST && e->k.t == V_NULL)) return b->kind = BV_NULL, 0;
    if (e->op == X_CONST && (e->k.t == V_INT || e->k.t == V_NUM)) return b->kind = BV_CONST, b->k = e->k, 0;
    if (e->op == X_MAGG && e->slot == c->ib) return b->kind = BV_B, 0;
    if (e->op == X_ARITH && e->sub == SHOAL_OP_DIV && e->b->op == X_CONST && e->b->k.t == V_DUR && e->b->k.u.i > 0 &&
        !lin_of(c, e->a, &l) && l.cb == 1 && l.ca == -1 && l.off == 0) {
        b->kind = BV_D;
        b->unit = e->b->k.u.i;
        return 0;
    }
    return -1;
}

/* an aggregate's argument as branches, each with the members that take it */
static int branches_of(const shoal_cohort *c, const cx *e, cagg *g)
{
    dcond taken, now, t;   /* taken: the members an earlier branch took */
    no_d(&taken, 0);
    g->n_br = 0;
    if (e->op != X_CASE) {   /* a value alone: every member */
        branch *b = &g->br[g->n_br++];
        all_d(&b->when, 1);
        return value_of(c, e, b);
    }
    if (e->a || e->n / 2 + 1 > MAX_BR) return -1;   /* (a simple CASE x WHEN …: not here) */
    for (int i = 0; i <= e->n; i += 2) {
        branch *b = &g->br[g->n_br];
        if (i < e->n) {
            if (cond_of(c, e->v[i], &now) || value_of(c, e->v[i + 1], b)) return -1;
        } else {
            all_d(&now, 1);
            if (value_of(c, e->c, b)) return -1;
        }
        /* taken here: now holds and no earlier branch was */
        dcond nt;
        iv_not(&taken, &nt);
        if (iv_and(&now, &nt, &t)) return -1;
        t.none = taken.none == 1 ? 0 : now.none == 1;
        b->when = t;
        g->n_br++;
        if (iv_or(&taken, &now, &taken)) return -1;
        taken.none = taken.none == 1 || now.none == 1;
    }
    return 0;
}

static int first_of_view(const plan *p, const cx *e, int *slot)
{
    if (!e || e->op != X_MAGG) return 0;
    const magg *g = &p->maggs[e->slot];
    if (g->fn != F_FIRST || g->src != MG_VIEW || !g->vname || g->narrow || g->anchor || g->filter || g->tail) return 0;
    *slot = e->slot;
    return 1;
}

static int64_t cut_of(const magg *g) { return g->has_win ? g->win.hi : INT64_MAX; }

/* a period key: month(…), week(…) or day(…); its step, in keys, from one period's
 * first key to the next's (a week's key is its Monday's date); 0 when not one */
static int period_step(const cx *e)
{
    const func *m = shoal_func_find("month"), *d = shoal_func_find("day"), *wk = shoal_func_find("week");
    if (e->op != X_FUNC || e->n != 1) return 0;
    if (m && e->fn == m->eval && e->rt == V_MONTH) return 1;
    if (d && e->fn == d->eval && e->rt == V_DATE) return 1;
    if (wk && e->fn == wk->eval && e->rt == V_DATE) return 7;
    return 0;
}

int shoal_cohort_match(shoal_arena *a, const plan *p, shoal_cohort **out)
{
    *out = NULL;
    if (p->src != SRC_MEMBERS || !p->members_all || !p->from_views || p->exist || p->n_anchored || !p->grouped ||
        p->n_keys != 1 || p->n_raggs > MAX_RA || !p->where || !period_step(p->keys[0]))
        return 0;
    shoal_cohort c;
    memset(&c, 0, sizeof c);
    c.ib = -1;
    c.key = p->keys[0];
    c.step = period_step(c.key);
    if (!first_of_view(p, c.key->v[0], &c.ia) || p->maggs[c.ia].vseries != 0) return 0;
    const magg *ga = &p->maggs[c.ia];
    /* a window that starts after the view's first event would need its start too: the
     * view answers first(x) only over windows that start before it (views.c) */
    if (ga->has_win && ga->win.lo != INT64_MIN) return 0;
    /* WHERE first(A) IS NOT NULL */
    const cx *w = p->where;
    int s;
    if (w->op != X_ISNULL || !w->sub || !first_of_view(p, w->a, &s) || s != c.ia) return 0;
    /* every other per-member aggregate is one first(B) of the same view */
    for (int i = 0; i < p->n_maggs; i++) {
        if (i == c.ia) continue;
        const magg *g = &p->maggs[i];
        cx fake = {.op = X_MAGG, .slot = i};
        if (!first_of_view(p, &fake, &s) || strcmp(g->vname, ga->vname) || g->vseries == 0 || c.ib >= 0) return 0;
        if (g->has_win && g->win.lo != INT64_MIN) return 0;
        c.ib = i;
    }
    if (c.ib < 0) return 0;
    c.vname = ga->vname;
    c.sb = p->maggs[c.ib].vseries;
    c.cut_a = cut_of(ga);
    c.cut_b = cut_of(&p->maggs[c.ib]);
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        cagg *g = &c.ag[k];
        g->fn = ra->fn;
        if (ra->distinct || ra->filter) return 0;
        if (ra->star) {
            if (ra->fn != F_COUNT) return 0;
            g->star = 1;
            continue;
        }
        if (ra->fn != F_COUNT && ra->fn != F_SUM && ra->fn != F_AVG && ra->fn != F_MEDIAN && ra->fn != F_QUANTILE) return 0;
        if (ra->fn == F_QUANTILE && (!ra->arg2 || ra->arg2->op != X_CONST || ra->arg2->k.t != V_NUM)) return 0;
        if (branches_of(&c, ra->arg, g)) return 0;
        for (int i = 0; i < g->n_br; i++) {
            int kd = g->br[i].kind;
            /* sums of d are not kept; a median's values are d's only */
            if ((kd == BV_B && ra->fn != F_COUNT) || (kd == BV_D && (ra->fn == F_SUM || ra->fn == F_AVG)) ||
                (kd == BV_CONST && (ra->fn == F_MEDIAN || ra->fn == F_QUANTILE)))
                return 0;
        }
    }
    if (!(*out = shoal_arena_alloc(a, sizeof c))) return -1;
    **out = c;
    return 1;
}

const char *shoal_cohort_view(const shoal_cohort *c, uint32_t *sa, uint32_t *sb)
{
    *sa = 0;
    *sb = c->sb;
    return c->vname;
}

/* ---------------------------------------------------------------- rows */

static inline int64_t ld(const unsigned char *p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
#define ENT 16

/* entries e[0..n) (sorted by d): how many have d < v */
static uint32_t below(const unsigned char *e, uint32_t n, int64_t v)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if (ld(e + (size_t)m * ENT) < v) lo = m + 1;
        else hi = m;
    }
    return lo;
}

typedef struct crun {
    const unsigned char *e;   /* entries with finite d, all members of the cohort by the cut */
    uint32_t n;
} crun;

typedef struct cgroup {
    int64_t key;
    crun *runs;
    uint32_t n_runs, cap_runs;
    int64_t n_all, n_none;
} cgroup;

typedef struct cwalk {
    exec *x;
    const shoal_cohort *c;
    cgroup *gs;
    uint32_t n_gs, cap_gs;
    int64_t plo, phi, pkey;   /* the last period found */
    int have;
} cwalk;

/* the period (key, [lo, hi)) of instant t: the key function, its first instants */
static int period(cwalk *w, int64_t t)
{
    if (w->have && t >= w->plo && t < w->phi) return 0;
    exec *x = w->x;
    const cx *e = w->c->key;
    qval arg = {.t = V_TS, .u.i = t}, out = {0};
    x->fn_ctx = e->ctx;
    e->fn(x, &arg, 1, &out);
    if (out.t != e->rt) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a cohort's period has no key");
    qval s = out, s2 = out, d = {.t = V_DUR}, d2 = {.t = V_DUR};
    s2.u.i = out.u.i + w->c->step;
    shoal_val_promote(x, &s, &d);
    shoal_val_promote(x, &s2, &d2);
    w->pkey = out.u.i, w->plo = s.u.i, w->phi = s2.u.i, w->have = 1;
    if (!(t >= w->plo && t < w->phi)) w->plo = t, w->phi = t + 1;   /* (never: a period holds its instants) */
    return 0;
}

static cgroup *group_of(cwalk *w, int64_t key)
{
    for (uint32_t i = w->n_gs; i-- > 0;)
        if (w->gs[i].key == key) return &w->gs[i];
    if (w->n_gs == w->cap_gs) {
        uint32_t cap = w->cap_gs ? w->cap_gs * 2 : 16;
        cgroup *g = shoal_arena_alloc(w->x->a, cap * sizeof *g);
        if (!g) return NULL;
        if (w->n_gs) memcpy(g, w->gs, w->n_gs * sizeof *g);
        w->gs = g, w->cap_gs = cap;
    }
    cgroup *g = &w->gs[w->n_gs++];
    memset(g, 0, sizeof *g);
    g->key = key;
    return g;
}

static int add_run(cwalk *w, cgroup *g, const unsigned char *e, uint32_t n)
{
    if (!n) return 0;
    if (g->n_runs == g->cap_runs) {
        uint32_t cap = g->cap_runs ? g->cap_runs * 2 : 64;
        crun *r = shoal_arena_alloc(w->x->a, cap * sizeof *r);
        if (!r) return -1;
        if (g->n_runs) memcpy(r, g->runs, g->n_runs * sizeof *r);
        g->runs = r, g->cap_runs = cap;
    }
    g->runs[g->n_runs++] = (crun){e, n};
    return 0;
}

/* The entries e[0..n) of members of group g (all of them in its period, before the
 * cut): those whose b is by the cut as runs, the rest as none. Entries with d below
 * cut_b − (the latest a) are all by it and those from cut_b − (the earliest a) on
 * none; between them, each is looked at (a copy in the arena keeps their order). */
static int add_members(cwalk *w, cgroup *g, const unsigned char *e, uint32_t n, int64_t amin, int64_t amax)
{
    int64_t cut = w->c->cut_b;
    uint32_t fin = below(e, n, INT64_MAX);
    g->n_all += n;
    if (cut == INT64_MAX) {
        g->n_none += n - fin;
        return add_run(w, g, e, fin) ? nomem(w->x) : 0;
    }
    int64_t v1, v2;
    if (__builtin_sub_overflow(cut, amax, &v1)) v1 = cut < 0 ? INT64_MIN : INT64_MAX;
    if (__builtin_sub_overflow(cut, amin, &v2)) v2 = cut < 0 ? INT64_MIN : INT64_MAX;
    uint32_t i1 = below(e, fin, v1), i2 = below(e, fin, v2);
    if (i1 > i2) i1 = i2;
    uint32_t kept = i1;
    if (add_run(w, g, e, i1)) return nomem(w->x);
    if (i2 > i1) {
        unsigned char *band = shoal_arena_alloc(w->x->a, (size_t)(i2 - i1) * ENT);
        if (!band) return nomem(w->x);
        uint32_t nb = 0;
        for (uint32_t i = i1; i < i2; i++) {
            const unsigned char *p = e + (size_t)i * ENT;
            int64_t d = ld(p), a = ld(p + 8), b;
            if (!__builtin_add_overflow(a, d, &b) && b < cut) memcpy(band + (size_t)nb++ * ENT, p, ENT);
        }
        if (add_run(w, g, band, nb)) return nomem(w->x);
        kept += nb;
    }
    g->n_none += n - kept;
    return 0;
}

static int each_day(void *ctx, int64_t day, const unsigned char *e, uint32_t n)
{
    cwalk *w = ctx;
    const shoal_cohort *c = w->c;
    int64_t ds = day * 86400000LL, de = ds + 86400000LL - 1;
    int rc;
    if (!n || ds >= c->cut_a) return 0;
    if ((rc = period(w, ds))) return rc;
    if (de < w->phi && de < c->cut_a) {   /* the whole day: one period, every member by the cut */
        cgroup *g = group_of(w, w->pkey);
        return g ? add_members(w, g, e, n, ds, de) : nomem(w->x);
    }
    /* a day across periods or the cut: its members one by one into a copy per period
     * (the order by d kept) */
    unsigned char *tmp = shoal_arena_alloc(w->x->a, (size_t)n * ENT);
    uint8_t *done = shoal_arena_alloc(w->x->a, n);
    if (!tmp || !done) return nomem(w->x);
    memset(done, 0, n);
    for (uint32_t left = n;;) {
        int64_t key = 0, amin = INT64_MAX, amax = INT64_MIN;
        uint32_t nt = 0;
        int found = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (done[i]) continue;
            int64_t a = ld(e + (size_t)i * ENT + 8);
            if (a >= c->cut_a) {
                done[i] = 1, left--;
                continue;
            }
            if ((rc = period(w, a))) return rc;
            if (!found) key = w->pkey, found = 1;
            if (w->pkey != key) continue;
            done[i] = 1, left--;
            memcpy(tmp + (size_t)nt++ * ENT, e + (size_t)i * ENT, ENT);
            if (a < amin) amin = a;
            if (a > amax) amax = a;
        }
        if (!found) break;
        cgroup *g = group_of(w, key);
        if (!g || (rc = add_members(w, g, tmp, nt, amin, amax))) return g ? rc : nomem(w->x);
        if (!left) break;
        if (!(tmp = shoal_arena_alloc(w->x->a, (size_t)left * ENT))) return nomem(w->x);
    }
    return 0;
}

/* members of g whose d is in the condition's intervals */
static int64_t count_in(const cgroup *g, const dcond *c)
{
    int64_t n = 0;
    for (uint32_t r = 0; r < g->n_runs; r++)
        for (int i = 0; i < c->n; i++) n += below(g->runs[r].e, g->runs[r].n, c->hi[i]) - below(g->runs[r].e, g->runs[r].n, c->lo[i]);
    return n;
}

static int64_t kth_bisect(const cgroup *g, const dcond *c, int64_t k);

/* Puts the k-th smallest of v[0..n) at v[k] (quickselect, median-of-three pivots). */
static void select_kth(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t t;
        if (v[mid] < v[lo]) t = v[mid], v[mid] = v[lo], v[lo] = t;
        if (v[hi] < v[lo]) t = v[hi], v[hi] = v[lo], v[lo] = t;
        if (v[hi] < v[mid]) t = v[hi], v[hi] = v[mid], v[mid] = t;
        int64_t piv = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv) i++;
            while (piv < v[j]) j--;
            if (i <= j) {
                t = v[i], v[i] = v[j], v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* the k-th smallest d (0-based) of g's members in the condition's intervals; or, when
 * memory cannot be had, bisection of d's values (a binary search in every run per
 * step: some 35 steps) */
static int64_t kth_pair(const cgroup *g, const dcond *c, int64_t k, int64_t *next);
static int64_t kth_in(const cgroup *g, const dcond *c, int64_t k) { return kth_pair(g, c, k, NULL); }

/* A run's part in one of the condition's intervals: entries e[a..b), sorted by d */
typedef struct crange {
    const unsigned char *e;
    uint32_t a, b;
} crange;

#define KTH_BUCKETS 1024

/* how many of r's entries have d < v */
static uint32_t below_in(const crange *r, int64_t v) { return r->a + below(r->e + (size_t)r->a * ENT, r->b - r->a, v); }

/* the k-th, and in *next (when not NULL, and k + 1 is one of them) the (k+1)-th. A
 * histogram of the values' top bits over their span finds the bucket the k-th falls in,
 * and only that bucket's values, a slice of each run (they are sorted), are copied and
 * selected (quickselect): where every value was copied and selected (newcomers at the
 * day's end: 3.8M of the statement's 4.9M instructions, the medians of 12 months) */
static int64_t kth_pair(const cgroup *g, const dcond *c, int64_t k, int64_t *next)
{
    size_t nr = (size_t)g->n_runs * (size_t)c->n, tot = 0, m = 0;
    crange *rs = nr ? shoal_malloc(nr * sizeof *rs) : NULL;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t r = 0; rs && r < g->n_runs; r++)
        for (int i = 0; i < c->n; i++) {
            crange x = {g->runs[r].e, below(g->runs[r].e, g->runs[r].n, c->lo[i]), below(g->runs[r].e, g->runs[r].n, c->hi[i])};
            if (x.b <= x.a) continue;
            int64_t f = ld(x.e + (size_t)x.a * ENT), l = ld(x.e + (size_t)(x.b - 1) * ENT);
            if (f < lo) lo = f;
            if (l > hi) hi = l;
            tot += x.b - x.a;
            rs[m++] = x;
        }
    int64_t *v = NULL;
    if (rs && k >= 0 && (size_t)k < tot) {
        /* the buckets: d − lo shifted right so that the span fits KTH_BUCKETS */
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        int sh = 0;
        while ((span >> sh) >= KTH_BUCKETS) sh++;
        uint32_t hist[KTH_BUCKETS];
        size_t nb = (size_t)(span >> sh) + 1;
        memset(hist, 0, nb * sizeof *hist);
        for (size_t j = 0; j < m; j++)
            for (uint32_t t = rs[j].a; t < rs[j].b; t++) hist[((uint64_t)ld(rs[j].e + (size_t)t * ENT) - (uint64_t)lo) >> sh]++;
        size_t bk = 0, before = 0;
        while (before + hist[bk] <= (size_t)k) before += hist[bk++];
        /* the bucket's values: from its first instant to the next bucket's (the last
         * bucket to the span's end) */
        int64_t from = (int64_t)((uint64_t)lo + ((uint64_t)bk << sh));
        int64_t to = bk + 1 < nb ? (int64_t)((uint64_t)lo + ((uint64_t)(bk + 1) << sh)) : INT64_MAX;
        if ((v = shoal_malloc((size_t)hist[bk] * sizeof *v))) {
            size_t o = 0;
            for (size_t j = 0; j < m; j++) {
                uint32_t s = below_in(&rs[j], from), e = bk + 1 < nb ? below_in(&rs[j], to) : rs[j].b;
                for (uint32_t t = s; t < e; t++) v[o++] = ld(rs[j].e + (size_t)t * ENT);
            }
            size_t kk = (size_t)k - before;
            select_kth(v, o, kk);
            int64_t x = v[kk];
            if (next && (size_t)k + 1 < tot) {
                if (kk + 1 < o) {   /* the least of those after it in its bucket */
                    int64_t y = v[kk + 1];
                    for (size_t j = kk + 2; j < o; j++)
                        if (v[j] < y) y = v[j];
                    *next = y;
                } else {   /* the least of a later bucket: each run's first from `to` on */
                    int64_t y = INT64_MAX;
                    for (size_t j = 0; j < m; j++) {
                        uint32_t t = below_in(&rs[j], to);
                        if (t < rs[j].b && ld(rs[j].e + (size_t)t * ENT) < y) y = ld(rs[j].e + (size_t)t * ENT);
                    }
                    *next = y;
                }
            }
            shoal_free(v);
            shoal_free(rs);
            return x;
        }
    }
    shoal_free(rs);
    if (next) *next = kth_bisect(g, c, k + 1);
    return kth_bisect(g, c, k);
}

/* kth_in by bisection */
static int64_t kth_bisect(const cgroup *g, const dcond *c, int64_t k)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t r = 0; r < g->n_runs; r++) {
        int64_t f = ld(g->runs[r].e), l = ld(g->runs[r].e + (size_t)(g->runs[r].n - 1) * ENT);
        if (f < lo) lo = f;
        if (l > hi) hi = l;
    }
    /* the least v with more than k of them at or below it */
    while (lo < hi) {
        int64_t v = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2), n = 0;
        for (uint32_t r = 0; r < g->n_runs; r++)
            for (int i = 0; i < c->n; i++) {
                int64_t top = v < c->hi[i] - 1 ? v + 1 : c->hi[i];
                if (top > c->lo[i])
                    n += below(g->runs[r].e, g->runs[r].n, top) - below(g->runs[r].e, g->runs[r].n, c->lo[i]);
            }
        if (n > k) hi = v;
        else lo = v + 1;
    }
    return lo;
}

static double dval(int64_t d, int64_t unit) { return (double)d / (double)unit; }

static int fill(run *run, const shoal_cohort *c, const cgroup *cg)
{
    exec *x = run->x;
    plan *p = run->p;
    qval key = {.t = c->key->rt, .u.i = cg->key};
    group *q = shoal_exec_gkey_group(run, &key);
    if (!q) return nomem(x);
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        const cagg *g = &c->ag[k];
        acc *a = &q->accs[k];
        int rc;
        if (g->star) {
            a->n += cg->n_all;
            continue;
        }
        if (g->fn == F_MEDIAN || g->fn == F_QUANTILE) {
            const branch *b = NULL;
            for (int i = 0; i < g->n_br; i++)
                if (g->br[i].kind == BV_D) {
                    if (b) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a cohort median of two values");
                    b = &g->br[i];
                }
            int64_t n = b ? count_in(cg, &b->when) : 0;
            if (!n) continue;
            double v;
            if (g->fn == F_MEDIAN) {
                int64_t m = n / 2;
                int64_t d1 = 0, d0 = n % 2 ? kth_in(cg, &b->when, m) : kth_pair(cg, &b->when, m - 1, &d1);
                v = n % 2 ? dval(d0, b->unit) : (dval(d0, b->unit) + dval(d1, b->unit)) / 2;
            } else {   /* as shoal_exec_quantile over the values in order */
                double pos = ra->arg2->k.u.d * (double)(n - 1);
                uint32_t lo = (uint32_t)pos;
                if (lo >= n - 1) {
                    v = dval(kth_in(cg, &b->when, n - 1), b->unit);
                } else {
                    int64_t d1 = 0, d0 = kth_pair(cg, &b->when, lo, &d1);
                    double f = pos - (double)lo, vl = dval(d0, b->unit);
                    v = f == 0 ? vl : vl + (dval(d1, b->unit) - vl) * f;
                }
            }
            a->fixed = 1;
            a->n = n;
            a->v.t = V_NUM;
            a->v.u.d = v;
            continue;
        }
        for (int i = 0; i < g->n_br; i++) {
            const branch *b = &g->br[i];
            if (b->kind == BV_NULL) continue;
            int64_t n = count_in(cg, &b->when) + (b->when.none == 1 && b->kind == BV_CONST ? cg->n_none : 0);
            if (!n) continue;
            if (g->fn == F_COUNT) {
                a->n += n;
                continue;
            }
            if ((rc = shoal_exec_acc_add(x, ra, a, &b->k, n))) return rc;
        }
    }
    return 0;
}

int shoal_cohort_rows(run *g, const shoal_cohort *c)
{
    exec *x = g->x;
    cwalk w;
    memset(&w, 0, sizeof w);
    w.x = x;
    w.c = c;
    int rc = shoal_view_firstlast_cohort_each(x->r, c->vname, c->sb, each_day, &w, x->err);
    if (rc) return rc;
    for (uint32_t i = 0; i < w.n_gs; i++)
        if (w.gs[i].n_all && (rc = fill(g, c, &w.gs[i]))) return rc;
    return 0;
}
