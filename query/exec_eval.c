/* exec_eval.c — the executor's expression evaluator: a compiled expression (cx) over
 * the row in x->row (a record, a member, a group's keys and aggregates, a source row),
 * SQL's three-valued logic and typed arithmetic; a per-member aggregate's value
 * (magg_val). Every other step of the executor evaluates through shoal_exec_eval.
 */
#include "exec_int.h"

/* A value in narrow cell k of g (plan.h): one that compares as the member's own does. */
static double cell_value(const magg *g, unsigned k)
{
    int j = (int)(k / 2);
    if (k == 255) return NAN;
    if (k & 1) return g->cuts[j];
    if (j == 0) return nextafter(g->cuts[0], -INFINITY);
    return nextafter(g->cuts[j - 1], INFINITY);   /* below cuts[j] when the cell holds anything */
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void magg_val(const magg *g, uint32_t m, qval *out)
{
    out->t = V_NULL;
    if (g->anchor_n && !g->anchor_n[m]) return;   /* no anchor, no window: NULL */
    if (g->narrow) {
        if (g->fn == F_COUNT) out->t = V_INT, out->u.i = g->c8[m];
        else out->t = V_NUM, out->u.d = cell_value(g, g->c8[m]);
        return;
    }
    uint64_t n = magg_count(g, m);
    switch (g->fn) {
    case F_COUNT: out->t = V_INT; out->u.i = (int64_t)n; break;
    case F_SUM:
        /* an integer sum beyond 64 bits is a double, as a non-integral one is */
        if (g->num || !shoal_xsum_int(&g->x[m], &out->u.i)) { out->t = V_NUM; out->u.d = shoal_xsum_value(&g->x[m]); }
        else out->t = V_INT;
        break;
    case F_AVG:
        if (n) { out->t = V_NUM; out->u.d = shoal_xsum_value(&g->x[m]) / (double)n; }
        break;
    case F_MIN:
    case F_MAX:
        if (n) *out = g->v[m];
        break;
    case F_FIRST:
    case F_LAST:
        if (n) { out->t = V_TS; out->u.i = g->i[m]; }
        break;
    case F_DCOUNT: out->t = V_INT; out->u.i = (int64_t)n; break;
    case F_MEDIAN:
    case F_QUANTILE:
        if (!n) break;
        qsort(g->vals[m], n, sizeof(double), cmp_dbl);   /* in place: sorted once, then already */
        out->t = V_NUM;
        out->u.d = shoal_exec_quantile(g->vals[m], (uint32_t)n, g->fn == F_MEDIAN ? 0.5 : g->q);
        break;
    case F_STDDEV:
    case F_VARIANCE:
        if (n < 2) break;
        out->t = V_NUM;
        out->u.d = shoal_exec_variance(g->vals[m], (uint32_t)n);
        if (g->fn == F_STDDEV) out->u.d = sqrt(out->u.d);
        break;
    case F_SCORE: out->t = V_NUM; out->u.d = g->d[m]; break;
    case F_RISE: out->t = V_NUM; out->u.d = g->d[m] - g->d2[m]; break;
    }
}

/* A duration of ms milliseconds (a double: a duration times or over a number), or NULL
 * when it does not fit. */
static void dur_of(double ms, qval *out)
{
    if (!(ms > -9.2e18 && ms < 9.2e18)) return;
    out->t = V_DUR;
    out->u.i = llround(ms);
}

/* a <op> b, typed as shoal_val_arith_type says (the planner refuses what it does not
 * define when it knows the types; a property's value that is not a number is NULL) */
static void arith(exec *x, int op, const qval *a, const qval *b, qval *out)
{
    out->t = V_NULL;
    if (a->t == V_NULL || b->t == V_NULL) return;
    int rt = shoal_val_arith_type(op, a->t, b->t);
    if (rt < 0) return;
    double da = 0, db = 0;
    int64_t ia = 0, ib = 0;
    int ka = num_of(a, &da, &ia), kb = num_of(b, &db, &ib);
    if (rt == V_NUM || rt == V_INT) {
        if (a->t == V_DUR) {   /* duration / duration */
            if (ib == 0) return;
            out->t = V_NUM;
            out->u.d = (double)ia / (double)ib;
            return;
        }
    } else if (rt == V_DUR && (op == SHOAL_OP_MUL || op == SHOAL_OP_DIV)) {
        /* a duration times or over a number: whole milliseconds */
        const qval *dur = a->t == V_DUR ? a : b;
        int kn = a->t == V_DUR ? kb : ka;
        int64_t in = a->t == V_DUR ? ib : ia, r;
        double dn = a->t == V_DUR ? db : da;
        if (op == SHOAL_OP_DIV) {
            if (dn == 0) return;
            if (kn == 1 && dur->u.i % in == 0) {
                out->t = V_DUR;
                out->u.i = in == -1 ? -dur->u.i : dur->u.i / in;   /* INT64_MIN / -1 is out of range */
                if (in == -1 && dur->u.i == INT64_MIN) out->t = V_NULL;
                return;
            }
            dur_of((double)dur->u.i / dn, out);
            return;
        }
        if (kn == 1) {
            if (!__builtin_mul_overflow(dur->u.i, in, &r)) out->t = V_DUR, out->u.i = r;
            return;
        }
        dur_of((double)dur->u.i * dn, out);
        return;
    } else {
        /* times and durations: whole milliseconds, days or months; a day or a month with
         * an instant or a duration is its first instant */
        qval pa = *a, pb = *b;
        shoal_val_promote(x, &pa, &pb);
        int64_t r;
        int ovf;
        switch (op) {
        case SHOAL_OP_ADD: ovf = __builtin_add_overflow(pa.u.i, pb.u.i, &r); break;
        case SHOAL_OP_SUB: ovf = __builtin_sub_overflow(pa.u.i, pb.u.i, &r); break;
        default:
            if (pb.u.i == 0 || (pa.u.i == INT64_MIN && pb.u.i == -1)) return;
            r = pa.u.i % pb.u.i;
            ovf = 0;
        }
        if (ovf) return;
        out->t = (uint8_t)rt;
        out->u.i = r;
        return;
    }
    if (op == SHOAL_OP_DIV) {
        if (db == 0) return;
        out->t = V_NUM;
        out->u.d = da / db;
        return;
    }
    if (ka == 1 && kb == 1) {
        int64_t r;
        int ovf = 0;
        switch (op) {
        case SHOAL_OP_ADD: ovf = __builtin_add_overflow(ia, ib, &r); break;
        case SHOAL_OP_SUB: ovf = __builtin_sub_overflow(ia, ib, &r); break;
        case SHOAL_OP_MUL: ovf = __builtin_mul_overflow(ia, ib, &r); break;
        default:
            if (ib == 0 || (ia == INT64_MIN && ib == -1)) return;
            r = ia % ib;
        }
        if (!ovf) {
            out->t = V_INT;
            out->u.i = r;
            return;
        }
    }
    double r;
    switch (op) {
    case SHOAL_OP_ADD: r = da + db; break;
    case SHOAL_OP_SUB: r = da - db; break;
    case SHOAL_OP_MUL: r = da * db; break;
    default:
        if (db == 0) return;
        r = fmod(da, db);
    }
    out->t = V_NUM;
    out->u.d = r;
}

/* arith()'s common cases in line (a block of members: exec_members.c): two integers
 * that do not overflow, two numbers, instants less instants, durations over durations,
 * an instant plus or less a duration; the rest by arith() */
static inline void vec_arith(exec *x, int op, const qval *a, const qval *b, qval *out)
{
    int64_t r;
    if (a->t == V_INT && b->t == V_INT && op != SHOAL_OP_DIV && op != SHOAL_OP_MOD) {
        int ovf = op == SHOAL_OP_ADD ? __builtin_add_overflow(a->u.i, b->u.i, &r)
                : op == SHOAL_OP_SUB ? __builtin_sub_overflow(a->u.i, b->u.i, &r)
                                     : __builtin_mul_overflow(a->u.i, b->u.i, &r);
        if (!ovf) { out->t = V_INT; out->u.i = r; return; }
    } else if (a->t == V_NUM && b->t == V_NUM && op != SHOAL_OP_MOD) {
        double da = a->u.d, db = b->u.d;
        out->t = V_NUM;
        switch (op) {
        case SHOAL_OP_ADD: out->u.d = da + db; return;
        case SHOAL_OP_SUB: out->u.d = da - db; return;
        case SHOAL_OP_MUL: out->u.d = da * db; return;
        default:
            if (db == 0) out->t = V_NULL;
            else out->u.d = da / db;
            return;
        }
    } else if (a->t == V_TS && b->t == V_TS && op == SHOAL_OP_SUB) {
        out->t = V_NULL;
        if (!__builtin_sub_overflow(a->u.i, b->u.i, &r)) { out->t = V_DUR; out->u.i = r; }
        return;
    } else if (a->t == V_DUR && b->t == V_DUR && op == SHOAL_OP_DIV) {
        out->t = V_NULL;
        if (b->u.i != 0) { out->t = V_NUM; out->u.d = (double)a->u.i / (double)b->u.i; }
        return;
    } else if (a->t == V_TS && b->t == V_DUR && (op == SHOAL_OP_ADD || op == SHOAL_OP_SUB)) {
        out->t = V_NULL;
        if (!(op == SHOAL_OP_ADD ? __builtin_add_overflow(a->u.i, b->u.i, &r) : __builtin_sub_overflow(a->u.i, b->u.i, &r))) {
            out->t = V_TS;
            out->u.i = r;
        }
        return;
    }
    arith(x, op, a, b, out);
}

/* a <op> b for comparison operator op (three-valued: NULL when either is NULL) */
static inline void compare(exec *x, int op, const qval *a, const qval *b, qval *out)
{
    out->t = V_NULL;
    /* the common case first: two integers, or two numbers (a count against a
     * threshold, a score against one) */
    if ((a->t == V_INT || a->t == V_NUM) && (b->t == V_INT || b->t == V_NUM)) {
        if (a->t == V_INT && b->t == V_INT) {
            set_bool(out, cmp_op(op, (a->u.i > b->u.i) - (a->u.i < b->u.i)));
            return;
        }
        double da = a->t == V_NUM ? a->u.d : (double)a->u.i, db = b->t == V_NUM ? b->u.d : (double)b->u.i;
        if (da == da && db == db) {   /* NaN goes the general way */
            set_bool(out, cmp_op(op, (da > db) - (da < db)));
            return;
        }
    }
    int k;
    if (op == SHOAL_OP_EQ || op == SHOAL_OP_NE) {
        int eq = shoal_val_eq(x, a, b);
        if (eq >= 0) set_bool(out, op == SHOAL_OP_EQ ? eq : !eq);
        return;
    }
    if (shoal_val_cmp(x, a, b, &k) == 0) set_bool(out, cmp_op(op, k));
}

/* SQL's three-valued AND and OR of a and b, once both are known */
static void and_or(int is_and, const qval *a, const qval *b, qval *out)
{
    out->t = V_NULL;
    int ka = a->t == V_NULL ? -1 : truth(a), kb = b->t == V_NULL ? -1 : truth(b);
    if (is_and) {
        if (ka == 0 || kb == 0) set_bool(out, 0);
        else if (ka == 1 && kb == 1) set_bool(out, 1);
    } else {
        if (ka == 1 || kb == 1) set_bool(out, 1);
        else if (ka == 0 && kb == 0) set_bool(out, 0);
    }
}

void shoal_exec_eval(exec *x, const cx *e, qval *out)
{
    const rowctx *r = x->row;
    qval a, b, c;
    out->t = V_NULL;
    switch (e->op) {
    case X_CONST: *out = e->k; return;
    case X_SEQ: if (r->rec) { out->t = V_INT; out->u.i = (int64_t)r->rec->seq; } return;
    case X_TS: if (r->rec) { out->t = V_TS; out->u.i = r->rec->ts; } return;
    case X_MEMBER:
        out->t = V_ID;
        out->ns = SHOAL_NS_MEMBER;
        out->u.i = r->rec ? r->rec->member : r->member;
        if (!out->u.i) out->t = V_NULL;
        return;
    case X_TYPE: if (r->rec) { out->t = V_ID; out->ns = SHOAL_NS_TYPE; out->u.i = r->rec->type; } return;
    case X_GROUP:
        if (r->rec && r->rec->group) { out->t = V_ID; out->ns = SHOAL_NS_GROUP; out->u.i = r->rec->group; }
        return;
    case X_PROP: {
        if (!r->rec) return;
        shoal_rprop rp;
        if (shoal_rec_prop(r->rec, e->key, &rp) == 1) prop_val(&rp, out);
        return;
    }
    case X_MAGG: magg_val(&x->p->maggs[e->slot], r->member, out); return;
    case X_KEY: *out = r->keys[e->slot]; return;
    case X_AGG: *out = r->aggs[e->slot]; return;
    case X_COL: *out = r->cols[e->slot]; return;
    case X_SRCCOL: if (r->src) *out = r->src[e->slot]; return;
    case X_WBASE: if (r->wbase) *out = r->wbase[e->slot]; return;
    case X_WIN: if (r->wvals) *out = r->wvals[e->slot]; return;
    case X_ARITH:
        shoal_exec_eval(x, e->a, &a);
        shoal_exec_eval(x, e->b, &b);
        arith(x, e->sub, &a, &b, out);
        return;
    case X_CMP: {
        mcmp mc;
        if (mcmp_of(x->p, e, &mc) && mcmp_at(&mc, r->member, out)) return;
        shoal_exec_eval(x, e->a, &a);
        shoal_exec_eval(x, e->b, &b);
        compare(x, e->sub, &a, &b, out);
        return;
    }
    case X_AND:
        shoal_exec_eval(x, e->a, &a);
        if (a.t != V_NULL && !truth(&a)) { set_bool(out, 0); return; }
        shoal_exec_eval(x, e->b, &b);
        if (b.t != V_NULL && !truth(&b)) { set_bool(out, 0); return; }
        if (a.t == V_NULL || b.t == V_NULL) return;
        set_bool(out, 1);
        return;
    case X_OR:
        shoal_exec_eval(x, e->a, &a);
        if (a.t != V_NULL && truth(&a)) { set_bool(out, 1); return; }
        shoal_exec_eval(x, e->b, &b);
        if (b.t != V_NULL && truth(&b)) { set_bool(out, 1); return; }
        if (a.t == V_NULL || b.t == V_NULL) return;
        set_bool(out, 0);
        return;
    case X_NOT:
        shoal_exec_eval(x, e->a, &a);
        if (a.t != V_NULL) set_bool(out, !truth(&a));
        return;
    case X_NEG:
        shoal_exec_eval(x, e->a, &a);
        if (a.t == V_NUM) { out->t = V_NUM; out->u.d = -a.u.d; }
        else if ((a.t == V_INT || a.t == V_DUR) && a.u.i != INT64_MIN) { out->t = a.t; out->u.i = -a.u.i; }
        return;
    case X_INSET:
        shoal_exec_eval(x, e->a, &a);
        if (a.t != V_ID) return;
        set_bool(out, ((uint64_t)a.u.i < e->n_bits && (e->bits[a.u.i >> 3] >> (a.u.i & 7) & 1)) != e->sub);
        return;
    case X_IN: {
        shoal_exec_eval(x, e->a, &a);
        if (a.t == V_NULL) return;
        int saw_null = 0;
        for (int i = 0; i < e->n; i++) {
            shoal_exec_eval(x, e->v[i], &b);
            int eq = shoal_val_eq(x, &a, &b);
            if (eq > 0) { set_bool(out, !e->sub); return; }
            if (eq < 0) saw_null = 1;
        }
        if (!saw_null) set_bool(out, e->sub);
        return;
    }
    case X_BETWEEN: {
        shoal_exec_eval(x, e->a, &a);
        shoal_exec_eval(x, e->b, &b);
        shoal_exec_eval(x, e->c, &c);
        int k1, k2;
        if (shoal_val_cmp(x, &a, &b, &k1) || shoal_val_cmp(x, &a, &c, &k2)) return;
        set_bool(out, (k1 >= 0 && k2 <= 0) != e->sub);
        return;
    }
    case X_LIKE: {
        shoal_exec_eval(x, e->a, &a);
        shoal_exec_eval(x, e->b, &b);
        const char *s, *p;
        uint32_t sn, pn;
        if (shoal_val_str(x, &a, &s, &sn) || shoal_val_str(x, &b, &p, &pn)) return;
        set_bool(out, shoal_val_like(s, sn, p, pn) != e->sub);
        return;
    }
    case X_ISNULL:
        shoal_exec_eval(x, e->a, &a);
        set_bool(out, (a.t == V_NULL) != e->sub);
        return;
    case X_CASE:
        if (e->a) shoal_exec_eval(x, e->a, &a);
        for (int i = 0; i < e->n; i += 2) {
            shoal_exec_eval(x, e->v[i], &b);
            int hit = e->a ? shoal_val_eq(x, &a, &b) > 0 : truth(&b);
            if (hit) {
                shoal_exec_eval(x, e->v[i + 1], out);
                return;
            }
        }
        if (e->c) shoal_exec_eval(x, e->c, out);
        return;
    case X_FUNC: {
        qval args[16];
        int n = e->n < 16 ? e->n : 16;
        for (int i = 0; i < n; i++) shoal_exec_eval(x, e->v[i], &args[i]);
        x->fn_ctx = e->ctx;
        e->fn(x, args, n, out);
        return;
    }
    }
}

int shoal_exec_vec_ok(const cx *e)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_MAGG: case X_MEMBER: return 1;
    case X_CMP: case X_AND: case X_OR: case X_ARITH: return shoal_exec_vec_ok(e->a) && shoal_exec_vec_ok(e->b);
    case X_NOT: case X_ISNULL: case X_NEG: case X_INSET: return shoal_exec_vec_ok(e->a);
    case X_BETWEEN: return shoal_exec_vec_ok(e->a) && shoal_exec_vec_ok(e->b) && shoal_exec_vec_ok(e->c);
    case X_IN:
        for (int i = 0; i < e->n; i++)
            if (!shoal_exec_vec_ok(e->v[i])) return 0;
        return shoal_exec_vec_ok(e->a);
    case X_FUNC:
        if (e->n > 16) return 0;
        for (int i = 0; i < e->n; i++)
            if (!shoal_exec_vec_ok(e->v[i])) return 0;
        return 1;
    case X_CASE:
        if (e->a || !shoal_exec_vec_ok(e->c)) return 0;
        for (int i = 0; i < e->n; i++)
            if (!shoal_exec_vec_ok(e->v[i])) return 0;
        return 1;
    default: return 0;
    }
}

/* e for members ms[0..n), into out[0..n); temporaries from a (reset by the caller). */
int shoal_exec_veval(exec *x, shoal_arena *a, const cx *e, const uint32_t *ms, int n, qval *out)
{
    qval *va = NULL, *vb = NULL;
    /* A count or a score against a number: member by member from the array, any the
     * shortcut declines (a NaN) the general way. */
    mcmp mc;
    if (mcmp_of(x->p, e, &mc)) {
        const mcmp c = mc;
        for (int i = 0; i < n; i++) {
            if (mcmp_at(&c, ms[i], &out[i])) continue;
            qval qa;
            magg_val(c.g, ms[i], &qa);
            compare(x, e->sub, &qa, &e->b->k, &out[i]);
        }
        return 0;
    }
    /* … and two of those joined by AND or OR (a layer's condition), in one pass. */
    mcmp mb;
    if ((e->op == X_AND || e->op == X_OR) && mcmp_of(x->p, e->a, &mc) && mcmp_of(x->p, e->b, &mb)) {
        const mcmp c1 = mc, c2 = mb;
        int is_and = e->op == X_AND;
        for (int i = 0; i < n; i++) {
            qval q1, q2;
            if (mcmp_at(&c1, ms[i], &q1) && mcmp_at(&c2, ms[i], &q2)) {
                set_bool(&out[i], is_and ? q1.u.i && q2.u.i : q1.u.i || q2.u.i);
                continue;
            }
            rowctx row = {0}, *was = x->row;   /* a NaN: this member the general way */
            row.member = ms[i];
            x->row = &row;
            shoal_exec_eval(x, e, &out[i]);
            x->row = was;
        }
        return 0;
    }
    if (e->op == X_BETWEEN) {
        /* its three sides as columns, two integers' comparisons in line (counts between
         * bounds), the rest by shoal_val_cmp as a member at a time */
        qval *vc = shoal_arena_alloc(a, sizeof *vc * (size_t)n);
        int rc;
        if (!(va = shoal_arena_alloc(a, sizeof *va * (size_t)n)) || !(vb = shoal_arena_alloc(a, sizeof *vb * (size_t)n)) || !vc)
            return nomem(x);
        if ((rc = shoal_exec_veval(x, a, e->a, ms, n, va)) || (rc = shoal_exec_veval(x, a, e->b, ms, n, vb)) ||
            (rc = shoal_exec_veval(x, a, e->c, ms, n, vc)))
            return rc;
        for (int i = 0; i < n; i++) {
            int k1, k2;
            out[i].t = V_NULL;
            if (va[i].t == V_INT && vb[i].t == V_INT && vc[i].t == V_INT) {
                k1 = (va[i].u.i > vb[i].u.i) - (va[i].u.i < vb[i].u.i);
                k2 = (va[i].u.i > vc[i].u.i) - (va[i].u.i < vc[i].u.i);
            } else if (shoal_val_cmp(x, &va[i], &vb[i], &k1) || shoal_val_cmp(x, &va[i], &vc[i], &k2)) {
                continue;
            }
            set_bool(&out[i], (k1 >= 0 && k2 <= 0) != e->sub);
        }
        return 0;
    }
    if (e->op == X_IN || e->op == X_INSET) {
        /* a member at a time (a boolean: nothing kept), so that the nodes around them,
         * and the rows, can be evaluated in blocks */
        rowctx row = {0}, *was = x->row;
        x->row = &row;
        for (int i = 0; i < n; i++) {
            row.member = ms[i];
            shoal_exec_eval(x, e, &out[i]);
        }
        x->row = was;
        return 0;
    }
    if (e->op == X_AND || e->op == X_OR) {
        /* the right side over the members the left leaves undecided only, as a member at
         * a time stops early: `count(post) > 5 AND ln(count(post) - 5) > 0` failed in
         * blocks for a member of 5 posts, which a member at a time never asks ln() of */
        const int is_and = e->op == X_AND;
        uint32_t *pick = shoal_arena_alloc(a, sizeof *pick * (size_t)n);
        int *pos = shoal_arena_alloc(a, sizeof *pos * (size_t)n), np = 0, rc;
        if (!(va = shoal_arena_alloc(a, sizeof *va * (size_t)n)) || !pick || !pos) return nomem(x);
        if ((rc = shoal_exec_veval(x, a, e->a, ms, n, va))) return rc;
        for (int i = 0; i < n; i++) {
            if (va[i].t != V_NULL && truth(&va[i]) != is_and) set_bool(&out[i], !is_and);
            else pick[np] = ms[i], pos[np++] = i;
        }
        if (!np) return 0;
        if (!(vb = shoal_arena_alloc(a, sizeof *vb * (size_t)np))) return nomem(x);
        if ((rc = shoal_exec_veval(x, a, e->b, pick, np, vb))) return rc;
        for (int j = 0; j < np; j++) and_or(is_and, &va[pos[j]], &vb[j], &out[pos[j]]);
        return 0;
    }
    if (e->op == X_CMP || e->op == X_NOT || e->op == X_ISNULL || e->op == X_ARITH || e->op == X_NEG) {
        if (!(va = shoal_arena_alloc(a, sizeof *va * (size_t)n))) return nomem(x);
        if (e->b && !(vb = shoal_arena_alloc(a, sizeof *vb * (size_t)n))) return nomem(x);
        int rc = shoal_exec_veval(x, a, e->a, ms, n, va);
        if (!rc && e->b) rc = shoal_exec_veval(x, a, e->b, ms, n, vb);
        if (rc) return rc;
    }
    switch (e->op) {
    case X_CONST:
        for (int i = 0; i < n; i++) out[i] = e->k;
        return 0;
    case X_MAGG: {
        const magg *g = &x->p->maggs[e->slot];
        /* counts and times straight from their arrays; the rest by magg_val */
        if (!g->narrow && !g->anchor_n && g->n && (g->fn == F_FIRST || g->fn == F_LAST)) {
            const uint32_t *cnt = g->n;
            const int64_t *t = g->i;
            for (int i = 0; i < n; i++) {
                out[i].t = cnt[ms[i]] ? V_TS : V_NULL;
                out[i].u.i = t[ms[i]];
            }
        } else if (!g->narrow && !g->anchor_n && g->n && g->fn == F_COUNT) {
            const uint32_t *cnt = g->n;
            for (int i = 0; i < n; i++) {
                out[i].t = V_INT;
                out[i].u.i = cnt[ms[i]];
            }
        } else if (!g->narrow && !g->anchor_n && g->n8 && g->fn == F_COUNT) {
            for (int i = 0; i < n; i++) {
                out[i].t = V_INT;
                out[i].u.i = magg_count(g, ms[i]);
            }
        } else {
            for (int i = 0; i < n; i++) magg_val(g, ms[i], &out[i]);
        }
        return 0;
    }
    case X_MEMBER:
        for (int i = 0; i < n; i++) {
            out[i].t = V_ID;
            out[i].ns = SHOAL_NS_MEMBER;
            out[i].u.i = ms[i];
        }
        return 0;
    case X_CMP:
        /* two values of one type that compare as integers (instants, durations, days,
         * months) or as numbers in line; the rest as a member at a time */
        for (int i = 0; i < n; i++) {
            const qval *qa = &va[i], *qb = &vb[i];
            if (qa->t == V_NULL || qb->t == V_NULL) {
                out[i].t = V_NULL;
                continue;
            }
            if (qa->t == qb->t && (qa->t == V_TS || qa->t == V_DUR || qa->t == V_DATE || qa->t == V_MONTH)) {
                set_bool(&out[i], cmp_op(e->sub, (qa->u.i > qb->u.i) - (qa->u.i < qb->u.i)));
                continue;
            }
            compare(x, e->sub, qa, qb, &out[i]);
        }
        return 0;
    case X_ARITH:
        for (int i = 0; i < n; i++) vec_arith(x, e->sub, &va[i], &vb[i], &out[i]);
        return 0;
    case X_NEG:
        for (int i = 0; i < n; i++) {
            const qval *q = &va[i];
            out[i].t = V_NULL;
            if (q->t == V_NUM) { out[i].t = V_NUM; out[i].u.d = -q->u.d; }
            else if ((q->t == V_INT || q->t == V_DUR) && q->u.i != INT64_MIN) { out[i].t = q->t; out[i].u.i = -q->u.i; }
        }
        return 0;
    case X_FUNC: {
        /* the arguments a column each, then the function a member at a time; text it
         * returns is copied into the block's arena (a row's scratch is reset by the
         * rows that take these values) */
        qval *col[16];
        for (int j = 0; j < e->n; j++) {
            int rc;
            if (!(col[j] = shoal_arena_alloc(a, sizeof **col * (size_t)n))) return nomem(x);
            if ((rc = shoal_exec_veval(x, a, e->v[j], ms, n, col[j]))) return rc;
        }
        for (int i = 0; i < n; i++) {
            qval args[16];
            for (int j = 0; j < e->n; j++) args[j] = col[j][i];
            x->fn_ctx = e->ctx;
            e->fn(x, args, e->n, &out[i]);
            if (out[i].t == V_STR && out[i].n) {
                char *c = shoal_arena_strndup(a, out[i].u.s, out[i].n);
                if (!c) return nomem(x);
                out[i].u.s = c;
            }
        }
        return 0;
    }
    case X_NOT:
        for (int i = 0; i < n; i++) {
            out[i].t = V_NULL;
            if (va[i].t != V_NULL) set_bool(&out[i], !truth(&va[i]));
        }
        return 0;
    case X_ISNULL:
        for (int i = 0; i < n; i++) set_bool(&out[i], (va[i].t == V_NULL) != e->sub);
        return 0;
    case X_CASE: {
        /* CASE WHEN c1 THEN v1 … ELSE d END: each condition over the members still
         * undecided, each value over those it picked */
        uint32_t *left = shoal_arena_alloc(a, sizeof *left * (size_t)n), *pick = shoal_arena_alloc(a, sizeof *pick * (size_t)n);
        int *lpos = shoal_arena_alloc(a, sizeof *lpos * (size_t)n), *ppos = shoal_arena_alloc(a, sizeof *ppos * (size_t)n);
        qval *c = shoal_arena_alloc(a, sizeof *c * (size_t)n), *v = shoal_arena_alloc(a, sizeof *v * (size_t)n);
        if (!left || !pick || !lpos || !ppos || !c || !v) return nomem(x);
        int nl = n, rc;
        for (int i = 0; i < n; i++) left[i] = ms[i], lpos[i] = i;
        for (int b = 0; b < e->n && nl; b += 2) {
            if ((rc = shoal_exec_veval(x, a, e->v[b], left, nl, c))) return rc;
            int np = 0, keep = 0;
            for (int i = 0; i < nl; i++) {
                if (c[i].t != V_NULL && truth(&c[i])) pick[np] = left[i], ppos[np++] = lpos[i];
                else left[keep] = left[i], lpos[keep++] = lpos[i];
            }
            nl = keep;
            if (!np) continue;
            if ((rc = shoal_exec_veval(x, a, e->v[b + 1], pick, np, v))) return rc;
            for (int i = 0; i < np; i++) out[ppos[i]] = v[i];
        }
        if (nl && e->c) {
            if ((rc = shoal_exec_veval(x, a, e->c, left, nl, v))) return rc;
            for (int i = 0; i < nl; i++) out[lpos[i]] = v[i];
        } else {
            for (int i = 0; i < nl; i++) out[lpos[i]].t = V_NULL;
        }
        return 0;
    }
    default:
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: node %d is not evaluated in blocks", e->op);
    }
}

int shoal_exec_holds(exec *x, const cx *filter, const shoal_rec *rec)
{
    if (!filter) return 1;
    rowctx row = {0}, *saved = x->row;
    row.rec = rec;
    x->row = &row;
    qval v;
    shoal_exec_eval(x, filter, &v);
    x->row = saved;
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    return v.t != V_NULL && shoal_val_truthy(&v);
}
