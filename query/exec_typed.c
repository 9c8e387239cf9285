/* exec_typed.c — expressions over members as typed columns: a value array (an int64
 * or a double a member) and a byte a member for "not NULL", with the type known before
 * the first member. Rows over members (exec_members.c) take this path for the WHERE,
 * the GROUP BY keys and the row aggregates' arguments when every one of them types
 * here (shoal_exec_ttype); the others go through shoal_exec_veval's qvals. The subset
 * is the per-member times and counts, constants, comparisons of one integer-like type,
 * AND, OR, NOT, IS NULL, instants less instants, instants plus or less durations,
 * durations over durations, numbers with numbers, CASE WHEN … with branches of one
 * type, and month() and day() of an instant. None of them can fail (an overflow or a
 * division by zero is NULL, as shoal_exec_veval makes it), so every node is evaluated
 * over the whole block and the values are the same as a qval at a time gives.
 */
#include "exec_int.h"

static int int_like(int t) { return t == V_INT || t == V_TS || t == V_DUR || t == V_DATE || t == V_MONTH; }

/* a CASE's type so far (t, -1 before its first branch) with a branch of type u: one
 * type, T_MIXED for integers and numbers, else -1 */
static int mix(int t, int u)
{
    if (t == -1 || t == u) return u;
    int num = (t == V_INT || t == V_NUM || t == T_MIXED) && (u == V_INT || u == V_NUM || u == T_MIXED);
    return num ? T_MIXED : -1;
}

/* month() and day(): an instant's local period, a value held over [its first instant,
 * the next one's), which the evaluation keeps to skip the time zone for the members
 * after it in that range */
static int period_fn(const cx *e)
{
    static const func *m, *d;
    if (!m) m = shoal_func_find("month");
    if (!d) d = shoal_func_find("day");
    return e->n == 1 && ((m && e->fn == m->eval && e->rt == V_MONTH) || (d && e->fn == d->eval && e->rt == V_DATE));
}

int shoal_exec_ttype(const plan *p, const cx *e)
{
    if (!e) return -1;
    int ta, tb;
    switch (e->op) {
    case X_CONST:
        return e->k.t == V_BOOL || e->k.t == V_NUM || int_like(e->k.t) ? e->k.t : -1;
    case X_MAGG: {
        const magg *g = &p->maggs[e->slot];
        if (g->narrow || g->anchor_n || !g->n) return -1;
        return g->fn == F_FIRST || g->fn == F_LAST ? V_TS : g->fn == F_COUNT ? V_INT : -1;
    }
    case X_CMP:
        ta = shoal_exec_ttype(p, e->a), tb = shoal_exec_ttype(p, e->b);
        return ta == tb && int_like(ta) ? V_BOOL : -1;
    case X_AND:
    case X_OR:
        return shoal_exec_ttype(p, e->a) == V_BOOL && shoal_exec_ttype(p, e->b) == V_BOOL ? V_BOOL : -1;
    case X_NOT:
        return shoal_exec_ttype(p, e->a) == V_BOOL ? V_BOOL : -1;
    case X_ISNULL:
        return shoal_exec_ttype(p, e->a) >= 0 ? V_BOOL : -1;
    case X_ARITH:
        ta = shoal_exec_ttype(p, e->a), tb = shoal_exec_ttype(p, e->b);
        if (ta == V_TS && tb == V_TS && e->sub == SHOAL_OP_SUB) return V_DUR;
        if (ta == V_TS && tb == V_DUR && (e->sub == SHOAL_OP_ADD || e->sub == SHOAL_OP_SUB)) return V_TS;
        if (ta == V_DUR && tb == V_DUR && e->sub == SHOAL_OP_DIV) return V_NUM;
        if (ta == V_NUM && tb == V_NUM && e->sub != SHOAL_OP_MOD) return V_NUM;
        return -1;
    case X_CASE: {
        /* branches of one type, or integers and numbers (T_MIXED: each member's value
         * keeps its own type, in its not-NULL byte) */
        if (e->a) return -1;
        int t = -1;
        for (int i = 0; i + 1 < e->n; i += 2) {
            int tv = shoal_exec_ttype(p, e->v[i + 1]);
            if (shoal_exec_ttype(p, e->v[i]) != V_BOOL || tv < 0 || (t = mix(t, tv)) < 0) return -1;
        }
        if (e->c && !(e->c->op == X_CONST && e->c->k.t == V_NULL)) {
            int tv = shoal_exec_ttype(p, e->c);
            if (tv < 0 || (t = mix(t, tv)) < 0) return -1;
        }
        return t;
    }
    case X_FUNC:
        return period_fn(e) && shoal_exec_ttype(p, e->v[0]) == V_TS ? e->rt : -1;
    default: return -1;
    }
}

/* e (shoal_exec_ttype(e) ≥ 0) for members ms[0..n) into v and ok (0: NULL, else 1;
 * of a T_MIXED the value's type); temporaries from a */
int shoal_exec_teval(exec *x, shoal_arena *a, const cx *e, const uint32_t *ms, int n, tval *restrict v, uint8_t *restrict ok)
{
    /* (restrict: the byte arrays would otherwise alias every other, and no loop would
     * be vectorised) */
    tval *restrict va = NULL, *restrict vb = NULL;
    uint8_t *restrict oa = NULL, *restrict ob = NULL;
    int rc;
    if (e->op == X_CMP || e->op == X_AND || e->op == X_OR || e->op == X_NOT || e->op == X_ISNULL || e->op == X_ARITH ||
        e->op == X_FUNC) {
        const cx *l = e->op == X_FUNC ? e->v[0] : e->a;
        if (!(va = shoal_arena_alloc(a, sizeof *va * (size_t)n)) || !(oa = shoal_arena_alloc(a, (size_t)n))) return nomem(x);
        if ((rc = shoal_exec_teval(x, a, l, ms, n, va, oa))) return rc;
        if (e->op != X_FUNC && e->b && !(e->op == X_CMP && e->b->op == X_CONST)) {
            if (!(vb = shoal_arena_alloc(a, sizeof *vb * (size_t)n)) || !(ob = shoal_arena_alloc(a, (size_t)n))) return nomem(x);
            if ((rc = shoal_exec_teval(x, a, e->b, ms, n, vb, ob))) return rc;
        }
    }
    switch (e->op) {
    case X_CONST:
        for (int i = 0; i < n; i++) v[i].i = e->k.u.i, ok[i] = 1;   /* (the union: a double's bits too) */
        return 0;
    case X_MAGG: {
        const magg *g = &x->p->maggs[e->slot];
        const uint32_t *cnt = g->n;
        if (g->fn == F_COUNT) {
            for (int i = 0; i < n; i++) v[i].i = cnt[ms[i]], ok[i] = 1;
        } else {
            const int64_t *t = g->i;
            for (int i = 0; i < n; i++) v[i].i = t[ms[i]], ok[i] = cnt[ms[i]] != 0;
        }
        return 0;
    }
    case X_CMP:
        if (e->b->op == X_CONST) {   /* against a constant: no column of it */
            int64_t q = e->b->k.u.i;
            for (int i = 0; i < n; i++) {
                int64_t p = va[i].i;
                ok[i] = oa[i];
                v[i].i = cmp_op(e->sub, (p > q) - (p < q));
            }
            return 0;
        }
        for (int i = 0; i < n; i++) {
            int64_t p = va[i].i, q = vb[i].i;
            ok[i] = oa[i] & ob[i];
            v[i].i = cmp_op(e->sub, (p > q) - (p < q));
        }
        return 0;
    case X_AND:
    case X_OR: {
        /* three-valued: a known false (true) decides AND (OR) */
        int64_t d = e->op == X_OR;
        for (int i = 0; i < n; i++) {
            int da = oa[i] && (va[i].i != 0) == d, db = ob[i] && (vb[i].i != 0) == d;
            ok[i] = da || db || (oa[i] && ob[i]);
            v[i].i = da || db ? d : !d;
        }
        return 0;
    }
    case X_NOT:
        for (int i = 0; i < n; i++) ok[i] = oa[i], v[i].i = !va[i].i;
        return 0;
    case X_ISNULL:
        for (int i = 0; i < n; i++) ok[i] = 1, v[i].i = (!oa[i]) != e->sub;
        return 0;
    case X_ARITH: {
        int ta = shoal_exec_ttype(x->p, e->a), op = e->sub;
        /* over every member, NULL or not (no branch on the data); ok says which hold */
        if (ta == V_NUM) {
            for (int i = 0; i < n; i++) {
                double p = va[i].d, q = vb[i].d;
                v[i].d = op == SHOAL_OP_ADD ? p + q : op == SHOAL_OP_SUB ? p - q : op == SHOAL_OP_MUL ? p * q : q == 0 ? 0 : p / q;
                ok[i] = oa[i] & ob[i] & !(op == SHOAL_OP_DIV && q == 0);
            }
        } else if (ta == V_DUR) {   /* duration / duration */
            for (int i = 0; i < n; i++) {
                int64_t q = vb[i].i;
                v[i].d = (double)va[i].i / (double)(q ? q : 1);
                ok[i] = oa[i] & ob[i] & (q != 0);
            }
        } else {   /* instant − instant, instant ± duration: NULL on overflow */
            for (int i = 0; i < n; i++) {
                int ovf = op == SHOAL_OP_ADD ? __builtin_add_overflow(va[i].i, vb[i].i, &v[i].i)
                                             : __builtin_sub_overflow(va[i].i, vb[i].i, &v[i].i);
                ok[i] = oa[i] & ob[i] & !ovf;
            }
        }
        return 0;
    }
    case X_CASE: {
        /* every branch over the block, then each member's first that holds */
        tval *restrict c = shoal_arena_alloc(a, sizeof *c * (size_t)n), *restrict w = shoal_arena_alloc(a, sizeof *w * (size_t)n);
        uint8_t *restrict oc = shoal_arena_alloc(a, (size_t)n), *restrict ow = shoal_arena_alloc(a, (size_t)n),
                *restrict done = shoal_arena_alloc(a, (size_t)n);
        if (!c || !w || !oc || !ow || !done) return nomem(x);
        memset(done, 0, (size_t)n);
        memset(ok, 0, (size_t)n);
        int mixed = shoal_exec_ttype(x->p, e) == T_MIXED;
        for (int b = 0; b <= e->n; b += 2) {
            const cx *val = b < e->n ? e->v[b + 1] : e->c;
            if (b == e->n && (!e->c || (e->c->op == X_CONST && e->c->k.t == V_NULL))) break;
            if (b < e->n && (rc = shoal_exec_teval(x, a, e->v[b], ms, n, c, oc))) return rc;
            if ((rc = shoal_exec_teval(x, a, val, ms, n, w, ow))) return rc;
            int tb = shoal_exec_ttype(x->p, val), last = b == e->n;
            /* without branches: which members a condition picks is data, not a pattern */
            for (int i = 0; i < n; i++) {
                int take = (done[i] == 0) & (last | (oc[i] & (c[i].i != 0)));
                uint8_t o = !ow[i] ? 0 : !mixed ? 1 : tb == T_MIXED ? ow[i] : (uint8_t)tb;
                v[i].i = take ? w[i].i : v[i].i;
                ok[i] = take ? o : ok[i];
                done[i] |= (uint8_t)take;
            }
        }
        return 0;
    }
    case X_FUNC: {
        /* the function for an instant outside the last one's period, which the period's
         * first instants (the value promoted, as a day or month with a duration is)
         * bound */
        int64_t lo = 1, hi = 0, r = 0;
        for (int i = 0; i < n; i++) {
            ok[i] = 0;
            if (!oa[i]) continue;
            int64_t t = va[i].i;
            if (!(t >= lo && t < hi)) {
                qval arg = {.t = V_TS, .u.i = t}, out = {0};
                x->fn_ctx = e->ctx;
                e->fn(x, &arg, 1, &out);
                if (out.t != e->rt) continue;
                r = out.u.i;
                qval s = out, s2 = out, d = {.t = V_DUR}, d2 = {.t = V_DUR};
                s2.u.i = r + 1;
                shoal_val_promote(x, &s, &d);
                shoal_val_promote(x, &s2, &d2);
                lo = s.u.i, hi = s2.u.i;
                if (!(t >= lo && t < hi)) lo = 1, hi = 0;   /* not its period after all: no reuse */
            }
            v[i].i = r, ok[i] = 1;
        }
        return 0;
    }
    default:
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: node %d is not evaluated typed", e->op);
    }
}
