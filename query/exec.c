/* exec.c — runs a planned SELECT: one pass over the log in sequence order, decoding a
 * record's properties only when an expression asks for one; per-member aggregates
 * accumulate in dense arrays indexed by member id (memory is members × aggregates,
 * never events); row aggregates accumulate per group in a hash table; rows are then
 * filtered, sorted, cut by LIMIT/OFFSET and sent to the output format. Rows that need no
 * sort stream straight out, and a LIMIT without ORDER BY stops the scan early.
 */
#define _GNU_SOURCE   /* qsort_r: the sort's context without a global */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "plan.h"
#include "rowsrc.h"
#include "scan.h"

/* How often long loops look at the cancel flag: a power of two. A record costs some
 * 15 ns, but one with a heavy WHERE (an IN list of thousands) costs microseconds, and
 * every 65536 records was then seconds between looks; a look is one load. */
#define CANCEL_EVERY 1024

/* ---------------------------------------------------------------- eval */

static void prop_val(const shoal_rprop *rp, qval *out)
{
    switch (rp->kind) {
    case SHOAL_VAL_BOOL: out->t = V_BOOL; out->u.i = rp->v.b; break;
    case SHOAL_VAL_INT: out->t = V_INT; out->u.i = rp->v.i; break;
    case SHOAL_VAL_NUM: out->t = V_NUM; out->u.d = rp->v.d; break;
    case SHOAL_VAL_STR:
        if (rp->v.s.id) {
            out->t = V_ID;
            out->ns = SHOAL_NS_STR;
            out->u.i = rp->v.s.id;
        } else {
            out->t = V_STR;
            out->u.s = rp->v.s.inl.ptr ? rp->v.s.inl.ptr : "";
            out->n = rp->v.s.inl.len;
        }
        break;
    default: out->t = V_NULL;
    }
}

/* A value in narrow cell k of g (plan.h): one that compares as the member's own does. */
static double cell_value(const magg *g, unsigned k)
{
    int j = (int)(k / 2);
    if (k == 255) return NAN;
    if (k & 1) return g->cuts[j];
    if (j == 0) return nextafter(g->cuts[0], -INFINITY);
    return nextafter(g->cuts[j - 1], INFINITY);   /* below cuts[j] when the cell holds anything */
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
    uint64_t n = g->n ? g->n[m] : 0;
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
    case F_SCORE: out->t = V_NUM; out->u.d = g->d[m]; break;
    case F_RISE: out->t = V_NUM; out->u.d = g->d[m] - g->d2[m]; break;
    }
}

static int num_of(const qval *v, double *d, int64_t *i)
{
    switch (v->t) {
    case V_BOOL: case V_INT: case V_TS: case V_DATE: case V_MONTH: case V_DUR:
        *i = v->u.i; *d = (double)v->u.i; return 1;
    case V_NUM: *d = v->u.d; return 2;
    default: return 0;
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

static inline int cmp_op(int op, int c)
{
    switch (op) {
    case SHOAL_OP_EQ: return c == 0;
    case SHOAL_OP_NE: return c != 0;
    case SHOAL_OP_LT: return c < 0;
    case SHOAL_OP_LE: return c <= 0;
    case SHOAL_OP_GT: return c > 0;
    default: return c >= 0;
    }
}

static inline void set_bool(qval *out, int b)
{
    out->t = V_BOOL;
    out->u.i = b;
}

/* shoal_val_truthy, with the boolean case in line (conditions are mostly booleans) */
static inline int truth(const qval *v) { return v->t == V_BOOL ? v->u.i != 0 : shoal_val_truthy(v); }

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

/* A comparison of a count or a score with a number (the stuff of layers and tiers),
 * read straight from the aggregate's array: mcmp_of says whether e is one (and takes
 * what it needs out of e, so that a loop over members keeps it in registers);
 * mcmp_at compares for member m, 1 with out set, 0 for a NaN (the general way then
 * decides). */
typedef struct mcmp {
    const magg *g;
    int sub, ints;        /* ints: a count against an integer, compared as integers */
    int64_t ci;
    double cd;
} mcmp;

static inline int mcmp_of(const plan *p, const cx *e, mcmp *c)
{
    if (e->op != X_CMP || e->a->op != X_MAGG || e->b->op != X_CONST || (e->b->k.t != V_INT && e->b->k.t != V_NUM))
        return 0;
    c->g = &p->maggs[e->a->slot];
    if ((c->g->fn != F_COUNT && c->g->fn != F_SCORE) || c->g->anchor) return 0;   /* anchored: may be NULL */
    c->sub = e->sub;
    c->ints = c->g->fn == F_COUNT && e->b->k.t == V_INT;
    c->ci = e->b->k.u.i;
    c->cd = e->b->k.t == V_NUM ? e->b->k.u.d : (double)e->b->k.u.i;
    if (c->g->narrow && c->g->fn == F_SCORE) {
        /* the threshold's own cell, which the member's is compared with */
        int j = 0;
        while (j < c->g->n_cuts && c->g->cuts[j] != c->cd) j++;
        if (j == c->g->n_cuts) return 0;
        c->ints = 1;
        c->ci = 2 * j + 1;
    }
    return c->cd == c->cd;
}

/* A comparison of a narrow aggregate (plan.h) whose byte is v: 1 or 0, or -1 for
 * neither (a NaN score). */
static inline int mcmp_byte(const mcmp *c, int64_t v)
{
    if (v == 255 && c->g->fn == F_SCORE) return -1;
    if (c->ints) return cmp_op(c->sub, (v > c->ci) - (v < c->ci));
    return cmp_op(c->sub, ((double)v > c->cd) - ((double)v < c->cd));
}

static inline __attribute__((always_inline)) int mcmp_at(const mcmp *c, uint32_t m, qval *out)
{
    if (c->g->narrow) {
        int r = mcmp_byte(c, c->g->c8[m]);
        if (r < 0) return 0;
        set_bool(out, r);
        return 1;
    }
    if (c->ints) {
        int64_t v = (int64_t)c->g->n[m];
        set_bool(out, cmp_op(c->sub, (v > c->ci) - (v < c->ci)));
        return 1;
    }
    double v = c->g->fn == F_SCORE ? c->g->d[m] : (double)c->g->n[m];
    if (v != v) return 0;
    set_bool(out, cmp_op(c->sub, (v > c->cd) - (v < c->cd)));
    return 1;
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

static int truthy(exec *x, const cx *e)
{
    qval v;
    shoal_exec_eval(x, e, &v);
    return v.t != V_NULL && truth(&v);
}

/* ---------------------------------------------------------------- groups */

typedef struct group {
    uint64_t hash;
    qval *keys;
    acc *accs;
    uint32_t id;
} group;

typedef struct dset {     /* (group, value) pairs seen by one count(DISTINCT …) */
    uint64_t *hash;
    uint32_t *gid;
    qval *val;
    uint8_t *used;
    size_t cap, n;
} dset;

typedef struct orow {
    qval *cols;
    qval *keys;
    uint64_t n;        /* production order: ties keep it */
} orow;

typedef struct run {
    exec *x;
    plan *p;
    shoal_fmt *f;
    /* groups */
    group **table;
    size_t cap, n_groups;
    group **list;
    size_t n_list, cap_list;
    dset *dsets;
    group **by_id;        /* GROUP BY one interned column: groups indexed by its id */
    uint32_t n_by_id;
    /* rows */
    orow *rows;
    size_t n_rows, cap_rows;
    uint64_t n_made;
    shoal_arena *rows_a;   /* the kept rows' values; replaced when a top-K compacts */
    int64_t n_emitted, n_skipped;
    int stop;
    int cut;           /* ORDER BY … LIMIT k: rows[k-1] is the worst row kept (after a compaction) */
    qval *keytmp;      /* a new row's sort keys, before it is kept */
    cell *cells;
    char *digits;      /* 24 bytes a column: an integer cell's text */
    qval *colbuf, *keybuf;
    /* over members, when WHERE rejects a member without values or such members are
     * alike: a bit for every member some aggregate got a value for (a superset of those
     * with a value), set by the view reads and the scan, so that rows are made for
     * those only */
    uint64_t *live;
    int alike;             /* the members without values are one weighed row (shoal_exec_alike) */
    /* … and when every per-member value is only compared with numbers, each member's
     * row is decided by which comparisons hold: its code, a bit each (tests) */
    int n_tests;
    mcmp tests[64];
    /* … of which those on narrow aggregates are decided by their bytes: a table per
     * such aggregate gives the bits of a byte value's code (bit 63: no code, a NaN) */
    int n_nar;
    const uint8_t *nar_c8[64];
    uint64_t *nar_tab[64];
    uint64_t wide;         /* the tests that read the value itself */
    group *last;           /* the group the last row went to */
    /* ORDER BY a score LIMIT k (top_bound): the members that can make the cut, found
     * while the score's view is read (top_target, read_views) */
    int top_slot;
    uint64_t *top_out;
} run;

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int dset_add(exec *x, dset *s, uint32_t gid, qval *v)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        dset ns = {shoal_malloc(nc * 8), shoal_malloc(nc * 4), shoal_malloc(nc * sizeof(qval)), shoal_malloc(nc), nc, s->n};
        if (!ns.hash || !ns.gid || !ns.val || !ns.used) {
            shoal_free(ns.hash), shoal_free(ns.gid), shoal_free(ns.val), shoal_free(ns.used);
            return -1;
        }
        memset(ns.used, 0, nc);
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) {
                size_t j = s->hash[i] & (nc - 1);
                while (ns.used[j]) j = (j + 1) & (nc - 1);
                ns.used[j] = 1;
                ns.hash[j] = s->hash[i];
                ns.gid[j] = s->gid[i];
                ns.val[j] = s->val[i];
            }
        shoal_free(s->hash), shoal_free(s->gid), shoal_free(s->val), shoal_free(s->used);
        *s = ns;
    }
    uint64_t h = shoal_val_hash(v) ^ ((uint64_t)gid * 0x9E3779B97F4A7C15ULL);
    size_t j = h & (s->cap - 1);
    while (s->used[j]) {
        if (s->hash[j] == h && s->gid[j] == gid && shoal_val_same(&s->val[j], v)) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    if (shoal_val_keep(x, v)) return -1;
    s->used[j] = 1;
    s->hash[j] = h;
    s->gid[j] = gid;
    s->val[j] = *v;
    s->n++;
    return 1;
}

static group *find_group(run *g, const qval *keys)
{
    exec *x = g->x;
    int nk = g->p->n_keys;
    /* Rows in a run often share their keys (a tier over members, a month over the log):
     * the last group found is tried first. */
    if (g->last) {
        int same = 1;
        for (int i = 0; i < nk && same; i++) same = shoal_val_same(&g->last->keys[i], &keys[i]);
        if (same) return g->last;
    }
    uint64_t h = 0x12345;
    for (int i = 0; i < nk; i++) h = (h ^ shoal_val_hash(&keys[i])) * 0x100000001B3ULL;
    if ((g->n_groups + 1) * 2 > g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        group **t = shoal_malloc(nc * sizeof *t);
        if (!t) return NULL;
        memset(t, 0, nc * sizeof *t);
        for (size_t i = 0; i < g->cap; i++)
            if (g->table[i]) {
                size_t j = g->table[i]->hash & (nc - 1);
                while (t[j]) j = (j + 1) & (nc - 1);
                t[j] = g->table[i];
            }
        shoal_free(g->table);
        g->table = t;
        g->cap = nc;
    }
    size_t j = h & (g->cap - 1);
    for (; g->table[j]; j = (j + 1) & (g->cap - 1)) {
        group *q = g->table[j];
        if (q->hash != h) continue;
        int same = 1;
        for (int i = 0; i < nk && same; i++) same = shoal_val_same(&q->keys[i], &keys[i]);
        if (same) return g->last = q;
    }
    group *q = shoal_arena_alloc(x->a, sizeof *q);
    if (!q) return NULL;
    q->hash = h;
    q->keys = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(nk ? nk : 1));
    q->accs = shoal_arena_alloc(x->a, sizeof(acc) * (size_t)(g->p->n_raggs ? g->p->n_raggs : 1));
    if (!q->keys || !q->accs) return NULL;
    for (int i = 0; i < nk; i++) {
        q->keys[i] = keys[i];
        if (shoal_val_keep(x, &q->keys[i])) return NULL;
    }
    memset(q->accs, 0, sizeof(acc) * (size_t)g->p->n_raggs);
    q->id = (uint32_t)g->n_list;
    g->table[j] = q;
    g->last = q;
    g->n_groups++;
    if (g->n_list == g->cap_list) {
        size_t nc = g->cap_list ? g->cap_list * 2 : 64;
        group **l = shoal_realloc(g->list, nc * sizeof *l);
        if (!l) return NULL;
        g->list = l;
        g->cap_list = nc;
    }
    g->list[g->n_list++] = q;
    return q;
}

/* sum, avg or median (node) of text: an error at it, as per member (text_in_sum) */
static int text_in_agg(exec *x, const shoal_node *node, const qval *v)
{
    const char *s;
    uint32_t n;
    if (shoal_val_str(x, v, &s, &n)) s = "", n = 0;
    int k = node->len > 60 ? 60 : node->len;
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, node->off, node->len,
                         "%.*s%s takes numbers, but its argument is text here (\"%.*s%s\")", k, x->src + node->off,
                         k < node->len ? "…" : "", n > 40 ? 40 : (int)n, s, n > 40 ? "…" : "");
}

/* The row in x->row into group q, w times over (w > 1 only for the alike members'
 * row, whose aggregates shoal_exec_alike allows: count, sum, avg, min and max, where w equal
 * rows are one row weighed; a DISTINCT one sees the value once, as it would). */
static int accumulate(run *g, group *q, int64_t w)
{
    exec *x = g->x;
    plan *p = g->p;
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        acc *a = &q->accs[k];
        if (ra->star) {
            a->n += w;
            continue;
        }
        qval v;
        shoal_exec_eval(x, ra->arg, &v);
        if (v.t == V_NULL) continue;
        int64_t wk = w;
        if (ra->distinct) {
            int r = dset_add(x, &g->dsets[k], q->id, &v);
            if (r < 0) return nomem(x);
            if (r == 0) continue;
            wk = 1;
        }
        double d;
        int64_t i, wi, is;
        int kind;
        switch (ra->fn) {
        case F_COUNT: a->n += wk; break;
        case F_SUM:
        case F_AVG:
            kind = num_of(&v, &d, &i);
            if (!kind) return text_in_agg(x, ra->node, &v);
            /* the values' one type (a sum or a mean of durations is a duration), or NULL */
            a->v.t = a->n == 0 || a->v.t == v.t ? v.t : V_NULL;
            a->n += wk;
            /* an integer sum stays exact until it would overflow; then the rest is a double */
            if (kind == 1 && !__builtin_mul_overflow(i, wk, &wi) && !__builtin_add_overflow(a->isum, wi, &is)) {
                a->isum = is;
                break;
            }
            a->dsum += d * (double)wk;
            a->num = 1;
            break;
        case F_MIN:
        case F_MAX: {
            int c;
            if (a->n == 0 || (shoal_val_cmp(x, &v, &a->v, &c) == 0 && (ra->fn == F_MIN ? c < 0 : c > 0))) {
                if (shoal_val_keep(x, &v)) return nomem(x);
                a->v = v;
            }
            a->n += wk;
            break;
        }
        case F_MEDIAN:
            if (!num_of(&v, &d, &i)) return text_in_agg(x, ra->node, &v);
            a->v.t = a->n == 0 || a->v.t == v.t ? v.t : V_NULL;
            if (a->n_vals == a->cap_vals) {
                /* Grows by doubling inside the arena: at most twice the values' size. */
                uint32_t cap = a->cap_vals ? a->cap_vals * 2 : 16;
                double *nv = shoal_arena_alloc(x->a, sizeof *nv * cap);
                if (!nv) return nomem(x);
                if (a->n_vals) memcpy(nv, a->vals, sizeof *nv * a->n_vals);
                a->vals = nv;
                a->cap_vals = cap;
            }
            a->vals[a->n_vals++] = d;
            a->n++;
            break;
        case F_FIRST:
        case F_LAST:
            if (a->n == 0 || ra->fn == F_LAST) {
                if (shoal_val_keep(x, &v)) return nomem(x);
                a->v = v;
            }
            a->n++;
            break;
        }
    }
    return 0;
}

/* a median's values in order; cancelled, all tie, so the sort runs out (row_cmp) */
static int cmp_double(const void *a, const void *b, void *ctx)
{
    const exec *e = ctx;
    if (e->cancel && *e->cancel) return 0;
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A sum, mean or median d of values that were all durations (or, but for a sum, all
 * instants) is one too, in whole milliseconds. */
static void as_kind(const acc *a, int fn, qval *out)
{
    if (out->t == V_NULL || !(a->v.t == V_DUR || (a->v.t == V_TS && fn != F_SUM))) return;
    double d = out->t == V_NUM ? out->u.d : (double)out->u.i;
    out->t = V_NULL;
    if (!(d > -9.2e18 && d < 9.2e18)) return;
    out->t = a->v.t;
    out->u.i = llround(d);
}

static void acc_val(exec *x, const ragg *ra, const acc *a, qval *out)
{
    out->t = V_NULL;
    switch (ra->fn) {
    case F_COUNT: out->t = V_INT; out->u.i = a->n; break;
    case F_SUM:
        if (!a->n) break;
        if (a->num) { out->t = V_NUM; out->u.d = a->dsum + (double)a->isum; }
        else { out->t = V_INT; out->u.i = a->isum; }
        as_kind(a, ra->fn, out);
        break;
    case F_AVG:
        if (a->n) { out->t = V_NUM; out->u.d = (a->dsum + (double)a->isum) / (double)a->n; }
        as_kind(a, ra->fn, out);
        break;
    case F_MEDIAN:
        /* The middle value, or the mean of the two middle ones (SQL's median). */
        if (!a->n_vals) break;
        qsort_r(a->vals, a->n_vals, sizeof *a->vals, cmp_double, x);
        out->t = V_NUM;
        out->u.d = a->n_vals % 2 ? a->vals[a->n_vals / 2]
                                 : (a->vals[a->n_vals / 2 - 1] + a->vals[a->n_vals / 2]) / 2;
        as_kind(a, ra->fn, out);
        break;
    default:
        if (a->n) *out = a->v;
    }
}

/* ---------------------------------------------------------------- rows out */

static int write_row(run *g, const qval *cols)
{
    exec *x = g->x;
    if (x->on_row) return x->on_row(x, cols, g->p->n_cols, x->row_ctx);
    for (int i = 0; i < g->p->n_cols; i++) {
        if (cols[i].t == V_INT) {   /* most numbers: digits in the row's own buffer */
            g->cells[i].s = shoal_val_int_text(cols[i].u.i, g->digits + 24 * i, &g->cells[i].n);
            g->cells[i].kind = CELL_NUM;
            continue;
        }
        if (shoal_val_render(x, &cols[i], &g->cells[i].s, &g->cells[i].n, &g->cells[i].kind)) return x->err->code;
    }
    int frc = shoal_fmt_row(g->f, g->cells);
    if (frc == SHOAL_ENOMEM) return nomem(x);
    if (frc) return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    return 0;
}

static int keep_in(exec *x, shoal_arena *a, qval *v)
{
    if (v->t != V_STR || v->n == 0) return 0;
    char *p = shoal_arena_strndup(a, v->u.s, v->n);
    if (!p) return nomem(x);
    v->u.s = p;
    return 0;
}

static int row_cmp(const void *a, const void *b, void *ctx);

/* Sorts the kept rows by row_cmp. When the first sort key is a string in every row
 * (names, mostly), the rows are first ordered by its first 8 bytes, read as a
 * big-endian number (memcmp's order; inverted for DESC), with a radix sort, stable, so
 * that production order holds within equal prefixes; each run of equal prefixes is
 * then sorted by row_cmp. A comparison sort of 2.6k names spent most of its time
 * calling the comparison. */
typedef struct krow {
    uint64_t k;
    orow r;
} krow;

static void sort_rows(run *g)
{
    size_t n = g->n_rows;
    int ok = n >= 64 && g->p->n_order > 0;
    for (size_t i = 0; ok && i < n; i++) ok = g->rows[i].keys[0].t == V_STR;
    krow *a = ok ? shoal_malloc(n * sizeof *a) : NULL, *b = ok ? shoal_malloc(n * sizeof *b) : NULL;
    if (!a || !b) {
        shoal_free(a);
        shoal_free(b);
        if (n > 1) qsort_r(g->rows, n, sizeof *g->rows, row_cmp, g);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const qval *v = &g->rows[i].keys[0];
        unsigned char pre[8] = {0};
        memcpy(pre, v->u.s, v->n < 8 ? v->n : 8);
        a[i].k = shoal_be64_get(pre) ^ (g->p->desc[0] ? ~(uint64_t)0 : 0);
        a[i].r = g->rows[i];
    }
    for (int shift = 0; shift < 64; shift += 8) {
        size_t cnt[257] = {0};
        for (size_t i = 0; i < n; i++) cnt[(a[i].k >> shift & 0xFF) + 1]++;
        if (cnt[(a[0].k >> shift & 0xFF) + 1] == n) continue;   /* one value of this byte */
        for (int d = 0; d < 256; d++) cnt[d + 1] += cnt[d];
        for (size_t i = 0; i < n; i++) b[cnt[a[i].k >> shift & 0xFF]++] = a[i];
        krow *t = a;
        a = b, b = t;
    }
    for (size_t i = 0; i < n; i++) g->rows[i] = a[i].r;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && a[j].k == a[i].k; j++) continue;
        if (j - i > 1) qsort_r(g->rows + i, j - i, sizeof *g->rows, row_cmp, g);
    }
    shoal_free(a);
    shoal_free(b);
}

/* An id as its string, borrowed from the dictionary. */
static void name_of(exec *x, qval *v)
{
    const char *str;
    uint32_t len;
    shoal_val_str(x, v, &str, &len);
    v->t = V_STR;
    v->u.s = str;
    v->n = len;
}

/* How many rows ORDER BY … LIMIT keeps: LIMIT + OFFSET, saturated (LIMIT
 * 9223372036854775807 OFFSET 5 must not wrap to a small number, which made every row
 * re-sort the rows kept); SIZE_MAX without a LIMIT. */
static size_t rows_kept(const plan *p)
{
    if (p->limit < 0) return SIZE_MAX;
    uint64_t k = (uint64_t)p->limit + (uint64_t)(p->offset > 0 ? p->offset : 0);   /* < 2^64: both < 2^63 */
    return k > SIZE_MAX ? SIZE_MAX : (size_t)k;
}

/* When the rows kept for ORDER BY … LIMIT are compacted: at twice the rows kept, plus
 * some, and never when that passes what memory can hold anyway. */
static size_t compact_at(const plan *p)
{
    size_t k = rows_kept(p);
    return k < (SIZE_MAX - 1024) / 2 ? 2 * k + 1024 : SIZE_MAX;
}

/* ORDER BY … LIMIT k keeps only the best k rows (plus OFFSET): when twice that many
 * have piled up, sort, keep the first k and move them to a fresh arena, so memory
 * stays proportional to k and not to the rows scanned. */
static int compact(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    size_t k = rows_kept(p);
    sort_rows(g);
    shoal_arena *na = shoal_arena_new();
    if (!na) return nomem(x);
    for (size_t i = 0; i < k && i < g->n_rows; i++) {
        orow *o = &g->rows[i];
        qval *cols = shoal_arena_alloc(na, sizeof(qval) * (size_t)(p->n_cols + 1));
        qval *keys = shoal_arena_alloc(na, sizeof(qval) * (size_t)(p->n_order + 1));
        if (!cols || !keys) {
            shoal_arena_free(na);
            return nomem(x);
        }
        memcpy(cols, o->cols, sizeof(qval) * (size_t)p->n_cols);
        memcpy(keys, o->keys, sizeof(qval) * (size_t)p->n_order);
        for (int j = 0; j < p->n_cols; j++)
            if (keep_in(x, na, &cols[j])) return shoal_arena_free(na), x->err->code;
        for (int j = 0; j < p->n_order; j++)
            if (keep_in(x, na, &keys[j])) return shoal_arena_free(na), x->err->code;
        o->cols = cols;
        o->keys = keys;
    }
    if (g->n_rows > k) g->n_rows = k;
    g->cut = k > 0 && g->n_rows == k;
    shoal_arena_free(g->rows_a);
    g->rows_a = na;
    return 0;
}

/* A finished output row: stream it when nothing sorts, else keep it for the sort. */
static int emit(run *g, const rowctx *r)
{
    exec *x = g->x;
    plan *p = g->p;
    qval *cols = g->colbuf;
    x->row = (rowctx *)r;
    for (int i = 0; i < p->n_cols; i++) shoal_exec_eval(x, p->cols[i], &cols[i]);
    if (x->err->code) return x->err->code;
    if (!p->n_order) {
        if (g->n_skipped < p->offset) {
            g->n_skipped++;
            return 0;
        }
        if (p->limit >= 0 && g->n_emitted >= p->limit) {
            g->stop = 1;
            return 0;
        }
        g->n_emitted++;
        int rc = write_row(g, cols);
        if (p->limit >= 0 && g->n_emitted >= p->limit) g->stop = 1;
        return rc;
    }
    rowctx r2 = *r;
    r2.cols = cols;
    x->row = &r2;
    if (g->n_rows == g->cap_rows) {
        size_t nc = g->cap_rows ? g->cap_rows * 2 : 256;
        orow *rows = shoal_realloc(g->rows, nc * sizeof *rows);
        if (!rows) return nomem(x);
        g->rows = rows;
        g->cap_rows = nc;
    }
    if (!g->rows_a && !(g->rows_a = shoal_arena_new())) return nomem(x);
    if (g->cut) {
        /* A row that does not beat the k-th best kept row can never be output: drop it
         * before it costs memory and sorting (ties lose: they were produced later). */
        if (!g->keytmp && !(g->keytmp = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)p->n_order))) return nomem(x);
        for (int i = 0; i < p->n_order; i++) shoal_exec_eval(x, p->order[i], &g->keytmp[i]);
        orow probe = {NULL, g->keytmp, g->n_made};
        if (row_cmp(&probe, &g->rows[rows_kept(p) - 1], g) >= 0) {
            x->row = (rowctx *)r;
            return 0;
        }
    }
    orow *o = &g->rows[g->n_rows];
    o->cols = shoal_arena_alloc(g->rows_a, sizeof(qval) * (size_t)p->n_cols);
    o->keys = shoal_arena_alloc(g->rows_a, sizeof(qval) * (size_t)p->n_order);
    if (!o->cols || !o->keys) return nomem(x);
    o->n = g->n_made++;
    /* A name sorts and prints as its string: looked up once here, not at every
     * comparison and again for the output (dictionary strings live as long as the
     * database is open); a sort key that is an output column is that column. Rows
     * that go to on_row keep their ids. */
    for (int i = 0; i < p->n_cols; i++) {
        o->cols[i] = cols[i];
        if (keep_in(x, g->rows_a, &o->cols[i])) return x->err->code;
        if (o->cols[i].t == V_ID && !x->on_row) name_of(x, &o->cols[i]);
    }
    for (int i = 0; i < p->n_order; i++) {
        qval *k = &o->keys[i];
        if (p->order[i]->op == X_COL && !x->on_row) {
            *k = o->cols[p->order[i]->slot];
            continue;
        }
        shoal_exec_eval(x, p->order[i], k);
        if (keep_in(x, g->rows_a, k)) return x->err->code;
        if (k->t == V_ID) name_of(x, k);
    }
    g->n_rows++;
    x->row = (rowctx *)r;
    if (g->n_rows >= compact_at(p)) return compact(g);
    return 0;
}

/* A row from the source: filter, then group or emit. WHERE's value and the GROUP BY
 * keys come evaluated already when where and keys are given (a block of members),
 * else they are evaluated here. w: how many equal rows this one stands for (1 but for
 * the alike members' row, which is grouped). */
static inline int process_row(run *g, const rowctx *r, const qval *where, const qval *keys, int64_t w)
{
    exec *x = g->x;
    plan *p = g->p;
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    x->row = (rowctx *)r;
    if (where ? where->t == V_NULL || !truth(where) : p->where && !truthy(x, p->where)) return x->err->code;
    if (!p->grouped) return emit(g, r);
    if (!keys) {
        qval *k = g->keybuf;
        for (int i = 0; i < p->n_keys; i++) shoal_exec_eval(x, p->keys[i], &k[i]);
        keys = k;
    }
    /* Without GROUP BY there is one group, and GROUP BY type, group or member indexes
     * groups by the dictionary id: no hashing per row in either case. */
    group *q;
    if (p->n_keys == 0 && g->n_list) {
        q = g->list[0];
    } else if (g->by_id) {
        uint32_t id = keys[0].t == V_ID && keys[0].u.i < g->n_by_id ? (uint32_t)keys[0].u.i : 0;
        if (!(q = g->by_id[id]) && (q = find_group(g, keys))) g->by_id[id] = q;
    } else {
        q = find_group(g, keys);
    }
    if (!q) return nomem(x);
    int rc = accumulate(g, q, w);
    return rc ? rc : x->err->code;
}

static int process(run *g, const rowctx *r) { return process_row(g, r, NULL, NULL, 1); }

static int row_cmp(const void *a, const void *b, void *ctx)
{
    const run *g = ctx;
    const plan *sort_p = g->p;
    exec *sort_x = g->x;
    const orow *ra = a, *rb = b;
    /* Cancelled: every row ties, so the sort runs out at once (its result is not used;
     * "equal" keeps the order consistent, which the sort's loops rely on). */
    if (sort_x->cancel && *sort_x->cancel) return 0;
    for (int i = 0; i < sort_p->n_order; i++) {
        const qval *va = &ra->keys[i], *vb = &rb->keys[i];
        int c;
        if (va->t == V_NULL || vb->t == V_NULL) c = (va->t != V_NULL) - (vb->t != V_NULL);
        /* names (looked up once, in emit) are most sort keys: compared in line */
        else if (va->t == V_STR && vb->t == V_STR) c = shoal_bytes_cmp(va->u.s, va->n, vb->u.s, vb->n);
        else shoal_val_cmp(sort_x, va, vb, &c);
        if (c) return sort_p->desc[i] ? -c : c;
    }
    /* Ties keep the order rows were produced in. */
    return ra->n < rb->n ? -1 : ra->n > rb->n;
}

/* ---------------------------------------------------------------- sources */

/* A per-member min or max of a property (plan.h's magg.v): its values as they are
 * (numbers, booleans, text), ordered as over events (shoal_val_cmp: numbers before
 * text). Text inline in the record is copied, since the record goes with the step. */
static int magg_minmax(exec *x, magg *a, uint32_t m, const shoal_rprop *rp)
{
    qval v;
    prop_val(rp, &v);
    qval *cur = &a->v[m];
    if (a->n[m]++) {
        int c;
        if ((v.t == V_INT || v.t == V_NUM) && (cur->t == V_INT || cur->t == V_NUM)) {
            double dv = v.t == V_NUM ? v.u.d : (double)v.u.i, dc = cur->t == V_NUM ? cur->u.d : (double)cur->u.i;
            c = v.t == V_INT && cur->t == V_INT ? (v.u.i > cur->u.i) - (v.u.i < cur->u.i) : (dv > dc) - (dv < dc);
        } else if (shoal_val_cmp(x, &v, cur, &c)) {
            return 0;
        }
        if (a->fn == F_MIN ? c >= 0 : c <= 0) return 0;
    }
    if (shoal_val_keep(x, &v)) return x->err->code;
    *cur = v;
    return 0;
}

/* sum or avg (aggregate node, its text desc) met text: an error at the aggregate (when
 * its node is in the statement's text: a layer's is in the layer's) rather than a sum
 * that leaves the text out unseen. */
static int text_in_sum(exec *x, const shoal_node *node, const char *desc, const shoal_rprop *rp)
{
    qval v;
    const char *s;
    uint32_t n;
    prop_val(rp, &v);
    if (shoal_val_str(x, &v, &s, &n)) s = "", n = 0;
    size_t k = strlen(desc);
    int here = node && node->off >= 0 && (size_t)node->len == k && !strncmp(x->src + node->off, desc, k);
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, here ? node->off : -1, here ? node->len : -1,
                         "%s takes numbers, but its property holds text here (\"%.*s%s\")", desc, n > 40 ? 40 : (int)n, s,
                         n > 40 ? "…" : "");
}

/* One event's value into per-member aggregate a (count, first, last, sum, avg, min,
 * max) for member m, as scan_log adds it: for the second pass of anchored windows
 * (anchor.c), which cannot share scan_log's loop. 0 or an error (text in a sum). */
int shoal_exec_magg_add(exec *x, magg *a, uint32_t m, const shoal_rec *rec)
{
    int64_t ts = rec->ts;
    switch (a->fn) {
    case F_COUNT: a->n[m]++; return 0;
    case F_FIRST:
        if (!a->n[m]++ || ts < a->i[m]) a->i[m] = ts;
        return 0;
    case F_LAST:
        if (!a->n[m]++ || ts > a->i[m]) a->i[m] = ts;
        return 0;
    default: break;
    }
    shoal_rprop rp;
    if (shoal_rec_prop(rec, a->arg->key, &rp) != 1) return 0;
    if (a->fn == F_MIN || a->fn == F_MAX) return magg_minmax(x, a, m, &rp);
    if (rp.kind == SHOAL_VAL_INT) shoal_xsum_add_int(&a->x[m], rp.v.i);
    else if (rp.kind == SHOAL_VAL_BOOL) shoal_xsum_add_int(&a->x[m], rp.v.b);
    else if (rp.kind == SHOAL_VAL_NUM) shoal_xsum_add_double(&a->x[m], rp.v.d), a->num = 1;
    else return text_in_sum(x, a->node, a->desc, &rp);
    a->n[m]++;
    return 0;
}

static int scan_log(run *g, int members)
{
    exec *x = g->x;
    plan *p = g->p;
    shoal_logcur *cur = NULL;
    int rc = shoal_logcur_open(x->r, 1, &cur, x->err);
    if (rc) return rc;
    shoal_rec rec;
    rowctx row = {0};
    uint32_t n_members = p->n_members, n_types = p->n_types;
    uint8_t *seen = NULL;
    if (members && !p->members_all) {
        seen = shoal_arena_alloc(x->a, n_members / 8 + 1);
        if (!seen) {
            rc = nomem(x);
            goto fail;
        }
        memset(seen, 0, n_members / 8 + 1);
    }
    int64_t lo = p->has_range ? p->range.lo : INT64_MIN, hi = p->has_range ? p->range.hi : INT64_MAX;
    const uint8_t *tf = p->type_filter;
    uint64_t n = 0;
    MDB_cursor *mc = shoal_logcur_mdb(cur);
    MDB_cursor_op op = MDB_FIRST;
    /* A time-restricted scan consults the zone map at each block and jumps over the
     * blocks whose span of times cannot meet the range (engine/zone.c): over events, the
     * statement's DURING; over members, the windows of the aggregates the scan feeds,
     * when the members are known without it (p->members_all: otherwise every member's
     * events decide who the members are). AS OF a date, events after it are not seen,
     * and neither are the members that have only such events, so the blocks wholly
     * after it can go in any case (flow.c's evaluations as of each period's end read
     * only the log up to it). */
    int64_t range[2] = {lo, hi}, upto[2] = {INT64_MIN, p->cut_ts == INT64_MAX ? INT64_MAX : p->cut_ts + 1};
    const int64_t *zr = range;
    int n_zr = !members && p->has_range;
    if (members && p->members_all && p->n_zr) zr = p->zr, n_zr = p->n_zr;
    else if (members && p->cut_ts != INT64_MAX) zr = upto, n_zr = 1;
    uint64_t zone_end = 0;
    while ((rc = scan_next(mc, &op, &rec, x->err)) == 1) {
        if ((rc = scan_zone(x->r, mc, &rec, zr, n_zr, &zone_end, &x->n_skipped, x->err)) != 1) break;
        if (rec.seq > p->max_seq) break;
        if ((++n & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        int64_t ts = rec.ts;
        if (ts > p->cut_ts) continue;
        if (members) {
            uint32_t m = rec.member, t = rec.type;
            if (m == 0 || m > n_members || t > n_types) continue;
            if (seen) seen[m >> 3] |= (uint8_t)(1u << (m & 7));
            if (!p->tl_start) continue;
            for (uint32_t j = p->tl_start[t], e = p->tl_start[t + 1]; j < e; j++) {
                magg *a = &p->maggs[p->tl[j]];
                /* MG_EDGE: the hole is the whole days a view answered */
                if (a->has_win && (ts < a->win.lo || ts >= a->win.hi || (ts >= a->hole.lo && ts < a->hole.hi))) continue;
                if (a->filter) {
                    row.rec = &rec;
                    x->row = &row;
                    int keep = truthy(x, a->filter);
                    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
                    if (!keep) continue;
                }
                if (g->live && p->tl[j] != (uint32_t)(p->exist - 1)) g->live[m >> 6] |= (uint64_t)1 << (m & 63);
                switch (a->fn) {
                case F_COUNT: a->n[m]++; break;
                case F_FIRST:
                    if (!a->n[m]++ || ts < a->i[m]) a->i[m] = ts;
                    break;
                case F_LAST:
                    if (!a->n[m]++ || ts > a->i[m]) a->i[m] = ts;
                    break;
                case F_SCORE:
                    /* The score as of now: events after it are not seen. */
                    if (ts <= p->now) {
                        a->d[m] += a->w[t] * exp2((double)(ts - p->now) / (double)a->half_life);
                        a->n[m]++;
                    }
                    break;
                case F_RISE: {
                    /* Each event's share of the score at both instants, each taken
                     * from the event's own time: the same whatever order events
                     * arrive in. */
                    double h = (double)a->half_life;
                    if (ts < a->b_hi) a->d[m] += a->w[t] * exp2((double)(ts - a->t_hi) / h);
                    if (ts < a->b_lo) a->d2[m] += a->w[t] * exp2((double)(ts - a->t_lo) / h);
                    a->n[m]++;
                    break;
                }
                default: {
                    shoal_rprop rp;
                    if (shoal_rec_prop(&rec, a->arg->key, &rp) != 1) break;
                    if (a->fn == F_MIN || a->fn == F_MAX) {
                        if ((rc = magg_minmax(x, a, m, &rp))) goto fail;
                        break;
                    }
                    double d;
                    int64_t iv = 0;
                    if (rp.kind == SHOAL_VAL_INT) d = (double)(iv = rp.v.i);
                    else if (rp.kind == SHOAL_VAL_BOOL) d = (double)(iv = rp.v.b);
                    else if (rp.kind == SHOAL_VAL_NUM) d = rp.v.d, a->num = 1;
                    else {
                        rc = text_in_sum(x, a->node, a->desc, &rp);
                        goto fail;
                    }
                    /* sum, avg: exact, so that any order of addition gives these bits (xsum.c) */
                    if (rp.kind == SHOAL_VAL_NUM) shoal_xsum_add_double(&a->x[m], d);
                    else shoal_xsum_add_int(&a->x[m], iv);
                    a->n[m]++;
                }
                }
            }
            continue;
        }
        if (ts < lo || ts >= hi) continue;
        if (tf && (rec.type > n_types || !(tf[rec.type >> 3] >> (rec.type & 7) & 1))) continue;
        row.rec = &rec;
        if ((rc = process(g, &row))) goto fail;
        if (g->stop) break;
    }
    if (rc < 0) goto fail;
    rc = 0;
    x->n_scanned = n;
    /* windows anchored on each member's event, now that the anchors are known */
    if (members && p->n_anchored && (rc = shoal_anchor_scan(x, p, g->live))) goto fail;
    if (seen) {
        shoal_logcur_close(cur);
        cur = NULL;
        row.rec = NULL;
        for (uint32_t m = 1; m <= n_members && !g->stop; m++) {
            if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
                rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
                goto fail;
            }
            if (!(seen[m >> 3] >> (m & 7) & 1)) continue;
            row.member = m;
            if ((rc = process(g, &row))) goto fail;
        }
    }
fail:
    shoal_logcur_close(cur);
    return rc;
}

/* A row source (SRC_ROWS) pushes its rows here, one at a time. */
int shoal_exec_sink_push(shoal_rowsink *g, const qval *row)
{
    rowctx r = {0};
    r.src = row;
    return process(g, &r);
}

int shoal_exec_sink_full(const shoal_rowsink *g) { return g->stop; }

/* True when e depends on nothing but per-member aggregates and constants. */
static int maggs_only(const cx *e)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_MAGG: break;
    case X_ARITH: case X_CMP: case X_AND: case X_OR: case X_NOT: case X_NEG: case X_BETWEEN: case X_ISNULL: case X_IN:
    case X_CASE:   /* member IN layer */
        break;
    default: return 0;
    }
    if (!maggs_only(e->a) || !maggs_only(e->b) || !maggs_only(e->c)) return 0;
    for (int i = 0; (e->op == X_IN || e->op == X_CASE) && i < e->n; i++)
        if (!maggs_only(e->v[i])) return 0;
    return 1;
}

/* Over members, a grouped statement whose rows depend on nothing but per-member
 * aggregates (WHERE, the keys and the row aggregates' arguments: no member name) makes
 * the same row for every member none of whose aggregates has a value. When its row
 * aggregates can take w equal rows at once (count, sum, avg, min, max: not median,
 * whose values are kept, nor first and last, which depend on the order), those members
 * are one row, weighed by their number (member_rows), and only the members with a
 * value get rows of their own: a tier count over 300k members evaluates the 50k
 * active ones. */
int shoal_exec_alike(const plan *p)
{
    if (p->src != SRC_MEMBERS || !p->members_all || !p->grouped || !maggs_only(p->where)) return 0;
    for (int i = 0; i < p->n_keys; i++)
        if (!maggs_only(p->keys[i])) return 0;
    for (int i = 0; i < p->n_raggs; i++) {
        const ragg *ra = &p->raggs[i];
        if (ra->star) continue;
        if (ra->fn != F_COUNT && ra->fn != F_SUM && ra->fn != F_AVG && ra->fn != F_MIN && ra->fn != F_MAX) return 0;
        if (!maggs_only(ra->arg)) return 0;
    }
    return 1;
}

/* bits |= (a[m] != 0) for the counts a[0..n), 64 members a word, so that the member
 * loop visits only the members with a value. */
static void or_nonzero(uint64_t *bits, const uint32_t *a, size_t n)
{
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t x = 0;
        size_t e = n - w * 64 < 64 ? n - w * 64 : 64;
        for (size_t j = 0; j < e; j++) x |= (uint64_t)(a[w * 64 + j] != 0) << j;
        bits[w] |= x;
    }
}

/* The values of score or rise slot that e treats as it treats 0, an empty member's:
 * narrows the open interval (*lo, *hi) around 0 to the thresholds it is compared with
 * (a value between the same thresholds as 0 compares as 0 does with each); any other
 * use leaves 0 alone (*lo = *hi = 0). */
static void cell_of(const cx *e, int slot, double *lo, double *hi)
{
    if (!e) return;
    if (e->op == X_MAGG && e->slot == slot) {
        *lo = *hi = 0;
        return;
    }
    if (e->op == X_CMP) {
        const cx *m = e->a, *c = e->b;
        if (c->op == X_MAGG) m = e->b, c = e->a;
        if (m->op == X_MAGG && m->slot == slot && c->op == X_CONST && (c->k.t == V_INT || c->k.t == V_NUM)) {
            double t = c->k.t == V_NUM ? c->k.u.d : (double)c->k.u.i;
            if (t > 0) *hi = t < *hi ? t : *hi;
            else if (t < 0) *lo = t > *lo ? t : *lo;
            else *lo = *hi = 0;   /* 0 itself, or NaN */
            return;
        }
    }
    cell_of(e->a, slot, lo, hi);
    cell_of(e->b, slot, lo, hi);
    cell_of(e->c, slot, lo, hi);
    for (int i = 0; e->v && i < e->n; i++) cell_of(e->v[i], slot, lo, hi);
}

/* bits |= the members whose score (d) or rise (d − d2) is not 0 and lies outside
 * (lo, hi): those it can set apart from an empty member (a NaN included). */
static inline int outside(double v, double lo, double hi) { return (v != 0) & !((lo < v) & (v < hi)); }

static void or_outside(uint64_t *bits, const double *d, const double *d2, size_t n, double lo, double hi)
{
    size_t m = 0;
#ifdef __SSE2__
    /* A score over every member: two at a time, a word of bits per 64 members, without
     * branches (a bit is as likely set as not). The same test as outside(): a NaN is
     * unequal to 0 and not between anything. */
    if (!d2) {
        const __m128d zero = _mm_setzero_pd(), vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi);
        for (; m + 64 <= n; m += 64) {
            uint64_t x = 0;
            for (size_t j = 0; j < 64; j += 2) {
                __m128d v = _mm_loadu_pd(&d[m + j]);
                __m128d in = _mm_and_pd(_mm_cmplt_pd(vlo, v), _mm_cmplt_pd(v, vhi));
                x |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, _mm_cmpneq_pd(v, zero))) << j;
            }
            bits[m >> 6] |= x;
        }
    }
#endif
    for (; m < n; m++)
        if (outside(d2 ? d[m] - d2[m] : d[m], lo, hi)) bits[m >> 6] |= (uint64_t)1 << (m & 63);
}

/* rise from a score view. The view keeps per member raw = Σ w·2^((t−t0)/h) over all its
 * events, so the score at T of the events before B is (raw − the share of the events
 * from B on)·2^((t0−T)/h): only the events from the earlier bound on are read, from
 * the log, where the zone map jumps over the blocks that hold none (events arrive
 * mostly in time order, so that is the log's tail). The subtraction loses about
 * (events)·2^-53 of raw, which the factor 2^((t0−T)/h) magnifies by up to
 * 2^((latest−T)/h): views.c serves rise only when that is at most RISE_MAX_HALF_LIVES
 * half-lives. A remainder within 2^-44 of raw is rounding, not events (weights are
 * not negative), and is taken as 0, so a member with no event before B scores 0 there
 * as the scan says. */
static int read_rise(exec *x, plan *p, magg *a)
{
    size_t nm = (size_t)p->n_members + 1;
    int64_t t0;
    int rc = shoal_view_score_read(x->r, a->vname, p->n_members, a->d, &t0, 0, 0, x->err);
    if (rc) return rc;
    if (t0 == INT64_MIN) {   /* an empty view */
        memset(a->d, 0, nm * sizeof *a->d);
        if (a->d2) memset(a->d2, 0, nm * sizeof *a->d2);
        return 0;
    }
    double *raw = NULL, h = (double)a->half_life;
    shoal_logcur *cur = NULL;
    if (a->tail) {
        int64_t from = a->t_lo == INT64_MIN ? a->b_hi : a->b_lo;
        if (!(raw = shoal_malloc(nm * sizeof *raw))) return nomem(x);
        memcpy(raw, a->d, nm * sizeof *raw);
        memcpy(a->d2, a->d, nm * sizeof *a->d2);
        if ((rc = shoal_logcur_open(x->r, 1, &cur, x->err))) goto fail;
        MDB_cursor *mc = shoal_logcur_mdb(cur);
        MDB_cursor_op op = MDB_FIRST;
        shoal_rec rec;
        uint64_t zone_end = 0, n = 0;
        int64_t after[2] = {from, INT64_MAX};
        while ((rc = scan_next(mc, &op, &rec, x->err)) == 1) {
            if ((rc = scan_zone(x->r, mc, &rec, after, 1, &zone_end, &x->n_skipped, x->err)) != 1) break;
            if ((++n & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
                rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
                goto fail;
            }
            uint32_t m = rec.member, t = rec.type;
            if (rec.ts < from || m == 0 || m > p->n_members || t > p->n_types || a->w[t] == 0) continue;
            double share = a->w[t] * exp2((double)(rec.ts - t0) / h);
            if (rec.ts >= a->b_lo) a->d2[m] -= share;
            if (rec.ts >= a->b_hi) a->d[m] -= share;
        }
        if (rc < 0) goto fail;
        rc = 0;
        x->n_scanned += n;
        for (size_t m = 0; m < nm; m++) {
            if (a->d[m] <= raw[m] * 0x1p-44) a->d[m] = 0;
            if (a->d2[m] <= raw[m] * 0x1p-44) a->d2[m] = 0;
        }
    } else {
        memcpy(a->d2, a->d, nm * sizeof *a->d2);
    }
    double f_hi = exp2((double)(t0 - a->t_hi) / h), f_lo = a->t_lo == INT64_MIN ? 0 : exp2((double)(t0 - a->t_lo) / h);
    for (size_t m = 0; m < nm; m++) {
        a->d[m] *= f_hi;
        a->d2[m] = f_lo ? a->d2[m] * f_lo : 0;
    }
fail:
    shoal_logcur_close(cur);
    shoal_free(raw);
    return rc;
}

/* ORDER BY a count, score or rise LIMIT k, with no WHERE or grouping to drop rows: the
 * k-th best value of that aggregate, found with a heap of k, bounds the members worth
 * a row (ties included, so the output is the same). Each member's value is offered
 * once; a member not below the heap's least when offered is a candidate, so every
 * member at or above the final bound is one, and those candidates are the answer:
 * one pass over the values, which a score's view read can make itself
 * (read_score_top, with each chunk still in cache). */
typedef struct tcand {
    uint32_t m;
    double v;
} tcand;

typedef struct topk {
    double *h;     /* a min-heap of the k largest values offered */
    size_t n, k;
    double sg;     /* the value the heap orders is sg·value: −1 for ASC */
    int slot;      /* the aggregate's */
    tcand *cand;
    size_t n_cand, cap_cand;
    int oom;
} topk;

static inline void topk_push(topk *t, double v)
{
    double *h = t->h;
    size_t k = t->k;
    if (t->n < k) {
        size_t i = t->n++;
        for (; i && h[(i - 1) / 2] > v; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
        h[i] = v;
    } else if (v > h[0]) {
        size_t i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= k) break;
            if (c + 1 < k && h[c + 1] < h[c]) c++;
            if (h[c] >= v) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = v;
    }
}

/* a candidate (the rarer case: apart, so that top_offer stays small) */
static void top_keep(topk *t, uint32_t m, double v)
{
    if (t->n_cand == t->cap_cand) {
        size_t nc = t->cap_cand ? t->cap_cand * 2 : 1024;
        tcand *c = shoal_realloc(t->cand, nc * sizeof *c);
        if (!c) {
            t->oom = 1;
            return;
        }
        t->cand = c, t->cap_cand = nc;
    }
    t->cand[t->n_cand++] = (tcand){m, v};
    if (t->n < t->k || v > t->h[0]) topk_push(t, v);
}

static inline void top_offer(topk *t, uint32_t m, double value)
{
    double v = t->sg * value;
    if (t->n == t->k && v < t->h[0]) return;
    top_keep(t, m, v);
}

/* top_offer for members first.. with the values d[0..n), the heap's least in a register */
static void top_offer_run(topk *t, uint32_t first, const double *d, size_t n)
{
    const double sg = t->sg;
    double least = t->n == t->k ? t->h[0] : -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = sg * d[i];
        if (v < least) continue;
        top_keep(t, first + (uint32_t)i, v);
        least = t->n == t->k ? t->h[0] : -INFINITY;
    }
}

/* The aggregate whose k best values bound the rows (its slot), or -1. */
static int top_target(const plan *p, size_t *k)
{
    if (!p->n_order || p->limit < 0 || p->where || p->grouped || rows_kept(p) > 65536) return -1;
    const cx *e = p->order[0];
    if (e->op == X_COL) e = p->cols[e->slot];
    if (e->op != X_MAGG) return -1;
    const magg *a = &p->maggs[e->slot];
    if ((a->fn != F_COUNT && a->fn != F_SCORE && a->fn != F_RISE) || a->anchor) return -1;
    *k = rows_kept(p);
    return *k == 0 || *k >= p->n_members ? -1 : e->slot;
}

static int top_begin(run *g, topk *t)
{
    memset(t, 0, sizeof *t);
    if ((t->slot = top_target(g->p, &t->k)) < 0) return 0;
    t->sg = g->p->desc[0] ? 1 : -1;
    return (t->h = shoal_malloc(t->k * sizeof *t->h)) ? 1 : nomem(g->x);
}

/* The bits of the members at or above the k-th best into *out (NULL when fewer than
 * k were offered); the heap and candidates freed. 0 or out of memory. */
static int top_end(run *g, topk *t, uint64_t **out)
{
    int rc = 0;
    *out = NULL;
    if (t->oom) rc = nomem(g->x);
    else if (t->n == t->k) {
        if (!(*out = shoal_bigcache_zalloc(g->x->cache, ((size_t)g->p->n_members / 64 + 1) * sizeof **out))) {
            rc = nomem(g->x);
        } else {
            double bound = t->h[0];
            for (size_t i = 0; i < t->n_cand; i++)
                if (t->cand[i].v >= bound) (*out)[t->cand[i].m >> 6] |= (uint64_t)1 << (t->cand[i].m & 63);
        }
    }
    shoal_free(t->h);
    shoal_free(t->cand);
    return rc;
}

/* A score's view read into its array, each run offered to the heap while in cache. */
typedef struct topread {
    double *d;
    topk *t;
} topread;

static void into_array_top(void *ctx, uint32_t first, const double *raw, size_t n, double f)
{
    topread *r = ctx;
    shoal_view_score_into(r->d, first, raw, n, f);
    size_t skip = first ? 0 : 1;   /* member 0 is none */
    top_offer_run(r->t, first + (uint32_t)skip, r->d + first + skip, n - skip);
}

static int read_score_top(run *g, magg *a)
{
    topk t;
    int rc = top_begin(g, &t);
    if (rc <= 0) return rc;
    topread r = {a->d, &t};
    int64_t t0;
    rc = shoal_view_score_each(g->x->r, a->vname, g->p->n_members, &t0, g->p->now, a->half_life, into_array_top, &r,
                               g->x->err);
    int rc2 = top_end(g, &t, &g->top_out);
    return rc ? rc : rc2;
}

/* Leaves the bits of the members worth a row in *res (within live, when given): 1, or
 * 0 when it does not apply (or fewer than k members are offered). */
static int top_bound(run *g, const uint64_t *live, uint64_t **res)
{
    plan *p = g->p;
    if (g->top_out && !live) {   /* found by the score's read */
        *res = g->top_out;
        g->top_out = NULL;
        return 1;
    }
    topk t;
    int rc = top_begin(g, &t);
    if (rc <= 0) return rc;
    const magg *a = &p->maggs[t.slot];
    if (!live && a->fn == F_SCORE) top_offer_run(&t, 1, a->d + 1, p->n_members);
    else
        for (uint32_t m = 1; m <= p->n_members; m++) {
            if (live && !(live[m >> 6] >> (m & 63) & 1)) continue;
            top_offer(&t, m, a->fn == F_COUNT ? (double)a->n[m] : a->fn == F_RISE ? a->d[m] - a->d2[m] : a->d[m]);
        }
    if ((rc = top_end(g, &t, res))) return rc;
    return *res != NULL;
}

/* A narrow score (plan.h): each value's cell among the cuts, and with live, the bit of
 * each member whose value lies outside (lo, hi) (or_outside's rule). c8 is filled
 * with the cell of 0 beforehand: only the values outside it, (lo0, hi0) (a point
 * when 0 is a cut), are written. */
typedef struct cellctx {
    uint8_t *c8;
    uint64_t *live;
    const double *cuts;
    int n;
    double lo, hi, lo0, hi0;
} cellctx;

static inline uint8_t cell_at(const double *cuts, int n, double d)
{
    unsigned k = 0;
    for (int j = 0; j < n; j++) k += 2u * (d > cuts[j]) + (d == cuts[j]);
    return d != d ? 255 : (uint8_t)k;
}

static void to_cells(void *ctx, uint32_t first, const double *raw, size_t n, double f)
{
    const cellctx *c = ctx;
    const double lo = c->lo, hi = c->hi, lo0 = c->lo0, hi0 = c->hi0;
    const int same = lo == lo0 && hi == hi0;
    size_t i = 0;
#ifdef __SSE2__
    /* Two at a time, a word of bits per 64 members (runs start at multiples of 1024),
     * as or_outside does */
    if ((first & 63) == 0) {
        const __m128d zero = _mm_setzero_pd(), vf = _mm_set1_pd(f), vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi),
                      vlo0 = _mm_set1_pd(lo0), vhi0 = _mm_set1_pd(hi0);
        for (; i + 64 <= n; i += 64) {
            uint64_t x = 0, x0 = 0;
            for (size_t j = 0; j < 64; j += 2) {
                __m128d d = _mm_mul_pd(_mm_loadu_pd(&raw[i + j]), vf), nz = _mm_cmpneq_pd(d, zero);
                __m128d in = _mm_and_pd(_mm_cmplt_pd(vlo, d), _mm_cmplt_pd(d, vhi));
                x |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, nz)) << j;
                if (!same) {
                    in = _mm_and_pd(_mm_cmplt_pd(vlo0, d), _mm_cmplt_pd(d, vhi0));
                    x0 |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, nz)) << j;
                }
            }
            if (c->live) c->live[(first + i) >> 6] |= x;
            for (uint64_t b = same ? x : x0; b; b &= b - 1) {
                size_t k = i + (size_t)__builtin_ctzll(b);
                c->c8[first + k] = cell_at(c->cuts, c->n, raw[k] * f);
            }
        }
    }
#endif
    for (; i < n; i++) {
        double d = raw[i] * f;
        if (c->live && outside(d, lo, hi)) c->live[(first + i) >> 6] |= (uint64_t)1 << ((first + i) & 63);
        if (outside(d, lo0, hi0)) c->c8[first + i] = cell_at(c->cuts, c->n, d);
    }
}

/* A narrow score's cells from its view: the cell of 0 everywhere, then the others. */
static int read_score_cells(run *g, magg *a)
{
    cellctx c = {a->c8, g->live, a->cuts, a->n_cuts, a->live_lo, a->live_hi, -INFINITY, INFINITY};
    for (int j = 0; j < a->n_cuts; j++) {   /* the cell of 0: between the cuts around it, or 0 itself */
        if (a->cuts[j] < 0) c.lo0 = a->cuts[j];
        else if (a->cuts[j] > 0 && c.hi0 == INFINITY) c.hi0 = a->cuts[j];
        else if (a->cuts[j] == 0) c.lo0 = c.hi0 = 0;
    }
    memset(a->c8, cell_at(a->cuts, a->n_cuts, 0), (size_t)g->p->n_members + 1);
    int64_t t0;
    return shoal_view_score_each(g->x->r, a->vname, g->p->n_members, &t0, g->p->now, a->half_life, to_cells, &c, g->x->err);
}

/* The per-member aggregates that views answer (views.c chose them), into the same
 * arrays a scan fills; an MG_EDGE aggregate then gets the rest of its window from the
 * scan. */
static int read_views(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    size_t nm = (size_t)p->n_members + 1;
    uint32_t *tmp = NULL;
    int rc = 0;
    for (int i = 0; i < p->n_maggs && !rc; i++) {
        magg *a = &p->maggs[i];
        if (a->src == MG_SCAN) continue;
        if (a->fn == F_RISE || a->tail) {
            rc = read_rise(x, p, a);
            if (!rc && g->live) or_outside(g->live, a->d, a->fn == F_RISE ? a->d2 : NULL, nm, a->live_lo, a->live_hi);
            continue;
        }
        if (a->narrow && a->fn == F_SCORE) {
            rc = read_score_cells(g, a);
            continue;
        }
        if (a->narrow) {
            rc = shoal_view_counters_read_sat(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, p->n_members, a->c8,
                                              a->cap, g->live, x->err);
            continue;
        }
        if (a->fn == F_SCORE && i == g->top_slot && !g->live) {
            if ((rc = read_score_top(g, a))) break;
            continue;
        }
        if (a->fn == F_SCORE) {
            int64_t t0;
            if ((rc = shoal_view_score_read(x->r, a->vname, p->n_members, a->d, &t0, p->now, a->half_life, x->err))) break;
            if (g->live) or_outside(g->live, a->d, NULL, nm, a->live_lo, a->live_hi);
            continue;
        }
        if (a->fn == F_COUNT) {
            /* who existed AS OF a date is not a value rows show: member_rows reads it */
            uint64_t *live = i == p->exist - 1 ? NULL : g->live;
            rc = shoal_view_counters_read(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, p->n_members, a->n, NULL,
                                          NULL, NULL, live, x->err);
            continue;
        }
        if (!tmp && !(tmp = shoal_malloc(nm * sizeof *tmp))) {
            rc = nomem(x);
            break;
        }
        memset(tmp, 0, nm * sizeof *tmp);
        rc = shoal_view_counters_read(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, p->n_members, tmp, a->n, a->x,
                                      &a->num, g->live, x->err);
    }
    shoal_free(tmp);
    return rc;
}

/* ---------------------------------------------------------------- members in blocks */

/* Over members, WHERE and the GROUP BY keys are usually conditions over per-member
 * aggregates (layers, tiers). They are evaluated a block of members at a time, node by
 * node, so that the interpreter's dispatch is paid once a block instead of once a
 * member: the same values as shoal_exec_eval, from the same helpers. Only nodes
 * without side effects qualify (vec_ok): a block evaluates both sides of AND and OR,
 * where a member at a time stops early. */
#define VBLOCK 256

static int vec_ok(const cx *e)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_MAGG: case X_MEMBER: return 1;
    case X_CMP: case X_AND: case X_OR: return vec_ok(e->a) && vec_ok(e->b);
    case X_NOT: case X_ISNULL: return vec_ok(e->a);
    case X_CASE:
        if (e->a || !vec_ok(e->c)) return 0;
        for (int i = 0; i < e->n; i++)
            if (!vec_ok(e->v[i])) return 0;
        return 1;
    default: return 0;
    }
}

/* e for members ms[0..n), into out[0..n); temporaries from a (reset by the caller). */
static int veval(exec *x, shoal_arena *a, const cx *e, const uint32_t *ms, int n, qval *out)
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
    if (e->op == X_CMP || e->op == X_AND || e->op == X_OR || e->op == X_NOT || e->op == X_ISNULL) {
        if (!(va = shoal_arena_alloc(a, sizeof *va * (size_t)n))) return nomem(x);
        if (e->b && !(vb = shoal_arena_alloc(a, sizeof *vb * (size_t)n))) return nomem(x);
        int rc = veval(x, a, e->a, ms, n, va);
        if (!rc && e->b) rc = veval(x, a, e->b, ms, n, vb);
        if (rc) return rc;
    }
    switch (e->op) {
    case X_CONST:
        for (int i = 0; i < n; i++) out[i] = e->k;
        return 0;
    case X_MAGG: {
        const magg *g = &x->p->maggs[e->slot];
        for (int i = 0; i < n; i++) magg_val(g, ms[i], &out[i]);
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
        for (int i = 0; i < n; i++) compare(x, e->sub, &va[i], &vb[i], &out[i]);
        return 0;
    case X_AND:
    case X_OR:
        for (int i = 0; i < n; i++) and_or(e->op == X_AND, &va[i], &vb[i], &out[i]);
        return 0;
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
            if ((rc = veval(x, a, e->v[b], left, nl, c))) return rc;
            int np = 0, keep = 0;
            for (int i = 0; i < nl; i++) {
                if (truth(&c[i]) && c[i].t != V_NULL) pick[np] = left[i], ppos[np++] = lpos[i];
                else left[keep] = left[i], lpos[keep++] = lpos[i];
            }
            nl = keep;
            if (!np) continue;
            if ((rc = veval(x, a, e->v[b + 1], pick, np, v))) return rc;
            for (int i = 0; i < np; i++) out[ppos[i]] = v[i];
        }
        if (nl && e->c) {
            if ((rc = veval(x, a, e->c, left, nl, v))) return rc;
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

/* A block of members ms[0..n): WHERE and the keys evaluated in blocks where they
 * qualify, then each member's row as process() would make it. */
/* How member_block has WHERE: per member by process_row, for the block by veval, or
 * known to hold (where_bits kept only such members). */
enum { WHERE_EACH = 0, WHERE_BLOCK, WHERE_HOLDS };

static int member_block(run *g, shoal_arena *a, const uint32_t *ms, int n, int vwhere, int vkeys)
{
    exec *x = g->x;
    plan *p = g->p;
    int rc, nk = p->n_keys;
    shoal_arena_reset(a);
    qval *w = NULL, *k = NULL;
    if (vwhere) {
        if (!(w = shoal_arena_alloc(a, sizeof *w * (size_t)n))) return nomem(x);
        if (vwhere == WHERE_HOLDS)
            for (int i = 0; i < n; i++) set_bool(&w[i], 1);
        else if ((rc = veval(x, a, p->where, ms, n, w)))
            return rc;
    }
    if (vkeys) {
        qval *col = shoal_arena_alloc(a, sizeof *col * (size_t)n);
        if (!col || !(k = shoal_arena_alloc(a, sizeof *k * (size_t)n * (size_t)nk))) return nomem(x);
        for (int j = 0; j < nk; j++) {
            if ((rc = veval(x, a, p->keys[j], ms, n, col))) return rc;
            for (int i = 0; i < n; i++) k[(size_t)i * (size_t)nk + (size_t)j] = col[i];
        }
    }
    /* Rows that list members look their names up: the block's are asked for at once,
     * so that the lookups' waits for memory overlap. */
    if (w && !p->grouped)
        for (int text = 0; text < 2; text++)
            for (int i = 0; i < n; i++)
                if (w[i].t == V_BOOL && w[i].u.i) shoal_dict_prefetch_str(x->r, SHOAL_NS_MEMBER, ms[i], text);
    rowctx row = {0};
    for (int i = 0; i < n && !g->stop; i++) {
        row.member = ms[i];
        if ((rc = process_row(g, &row, w ? &w[i] : NULL, k ? &k[(size_t)i * (size_t)nk] : NULL, 1))) return rc;
    }
    return 0;
}

/* Bits set in x, in line (without -mpopcnt the builtin is a library call per word). */
/* Word w of bits (every member when NULL), less member 0, which is none, and the bits
 * past member last. */
static inline uint64_t word_members(const uint64_t *bits, size_t w, uint32_t last)
{
    uint64_t b = bits ? bits[w] : ~(uint64_t)0;
    if (w == 0) b &= ~(uint64_t)1;
    if (w == last / 64 && last % 64 != 63) b &= ((uint64_t)1 << (last % 64 + 1)) - 1;
    return b;
}

static inline int popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* Members 1..n in have (every one when NULL) and not in t: how many, and the first. */
static int64_t alike_count(const uint64_t *have, const uint64_t *t, uint32_t n, uint32_t *first)
{
    int64_t c = 0;
    *first = 0;
    for (size_t w = 0; w <= n / 64; w++) {
        uint64_t b = word_members(have, w, n) & ~t[w];
        if (b && !*first) *first = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(b));
        c += popcount64(b);
    }
    return c;
}

/* The alike members' row, after the members before them (the block so far): member
 * 0's, which has no events, counted n times. */
static int alike_row(run *g, shoal_arena *a, const uint32_t *ms, int *nb, int vwhere, int vkeys, int64_t n)
{
    int rc;
    if (*nb && (rc = member_block(g, a, ms, *nb, vwhere, vkeys))) return rc;
    *nb = 0;
    rowctx row = {0};
    return process_row(g, &row, NULL, NULL, n);
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

/* Members alike (shoal_exec_alike) whose every per-member value is only compared with
 * numbers (counts and scores, as layers and tiers do): how many comparisons decide a
 * member's row, into t (64 at most); 0 when that is not so. */
static int class_tests(const plan *p, mcmp *t)
{
    int n = 0, ok = shoal_exec_alike(p) && find_tests(p, p->where, t, &n);
    for (int k = 0; ok && k < p->n_keys; k++) ok = find_tests(p, p->keys[k], t, &n);
    for (int k = 0; ok && k < p->n_raggs; k++) ok = find_tests(p, p->raggs[k].arg, t, &n);
    return ok ? n : 0;
}

int shoal_exec_classes(const plan *p)
{
    mcmp t[64];
    return class_tests(p, t);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether classes can read aggregate i narrow (plan.h), given the tests t[n]: one a
 * view answers whole, that nothing but the tests reads (in classes, nothing else
 * reads any; who existed AS OF a date is read apart): a count compared with numbers
 * below 254 only (*cap: the least integer above them all, at least 1), or a score
 * (at most 63 thresholds: 127 cells, and bit 63 of a code free). */
static int can_narrow(const plan *p, const mcmp *t, int n, int i, unsigned *cap)
{
    const magg *a = &p->maggs[i];
    if (!n || n == 64 || a->src != MG_VIEW || a->tail || i == p->exist - 1 || (a->fn != F_COUNT && a->fn != F_SCORE))
        return 0;
    double top = -INFINITY;
    for (int j = 0; j < n; j++)
        if (t[j].g == a && t[j].cd > top) top = t[j].cd;
    if (a->fn == F_SCORE) return 1;
    if (top >= 254) return 0;
    *cap = top < 0 ? 1 : (unsigned)floor(top) + 1;
    return 1;
}

int shoal_exec_narrow(const plan *p)
{
    mcmp t[64];
    int n = class_tests(p, t), k = 0;
    unsigned cap;
    for (int i = 0; n && i < p->n_maggs; i++) k += can_narrow(p, t, n, i, &cap);
    return k;
}

/* The aggregates classes read narrow, with their caps and cuts; then the tests
 * again, which compare a score's cell. */
static int narrow_maggs(run *g)
{
    plan *p = g->p;
    for (int i = 0; i < p->n_maggs; i++) {
        magg *a = &p->maggs[i];
        a->narrow = can_narrow(p, g->tests, g->n_tests, i, &a->cap);
        if (!a->narrow || a->fn != F_SCORE) continue;
        if (!(a->cuts = shoal_arena_alloc(g->x->a, sizeof(double) * (size_t)g->n_tests))) return nomem(g->x);
        int k = 0;
        for (int j = 0; j < g->n_tests; j++)
            if (g->tests[j].g == a) a->cuts[k++] = g->tests[j].cd;
        qsort(a->cuts, (size_t)k, sizeof *a->cuts, cmp_dbl);
        int u = 0;
        for (int j = 0; j < k; j++)
            if (!u || a->cuts[j] != a->cuts[u - 1]) a->cuts[u++] = a->cuts[j];
        a->n_cuts = u;
    }
    g->n_tests = class_tests(p, g->tests);
    return 0;
}

/* A class of members whose comparisons all come out the same: their rows are alike. */
typedef struct mclass {
    uint64_t code;
    uint32_t rep, first;   /* a member of it, and the first (rows go in this order) */
    int64_t n;
} mclass;

static int class_first(const void *a, const void *b)
{
    uint32_t x = ((const mclass *)a)->first, y = ((const mclass *)b)->first;
    return (x > y) - (x < y);
}

/* The narrow aggregates' tables (run: nar_*), and which tests are left. */
static int code_tables(run *g)
{
    plan *p = g->p;
    g->n_nar = 0;
    g->wide = 0;
    for (int j = 0; j < g->n_tests; j++)
        if (!g->tests[j].g->narrow) g->wide |= (uint64_t)1 << j;
    for (int i = 0; i < p->n_maggs; i++) {
        const magg *a = &p->maggs[i];
        if (!a->narrow) continue;
        uint64_t *t = shoal_arena_alloc(g->x->a, 256 * sizeof *t);
        if (!t) return nomem(g->x);
        for (int v = 0; v < 256; v++) {
            t[v] = 0;
            for (int j = 0; j < g->n_tests; j++) {
                if (g->tests[j].g != a) continue;
                int r = mcmp_byte(&g->tests[j], v);
                t[v] |= r < 0 ? (uint64_t)1 << 63 : (uint64_t)r << j;
            }
        }
        g->nar_c8[g->n_nar] = a->c8;
        g->nar_tab[g->n_nar++] = t;
    }
    return 0;
}

/* m's code into *code; 0 when a comparison is no plain true or false (a NaN score). */
static inline __attribute__((always_inline)) int member_code(const run *g, uint32_t m, uint64_t *code)
{
    uint64_t c = 0;
    for (int k = 0; k < g->n_nar; k++) c |= g->nar_tab[k][g->nar_c8[k][m]];
    if (g->n_nar && c >> 63) return 0;   /* (with narrow tests there are 63 at most) */
    qval v;
    for (uint64_t w = g->wide; w; w &= w - 1) {
        int j = __builtin_ctzll(w);
        if (!mcmp_at(&g->tests[j], m, &v)) return 0;
        c |= (uint64_t)(v.u.i != 0) << j;
    }
    *code = c;
    return 1;
}

/* Classes by code, in an open-addressing table that stays at most half full; or,
 * with few tests (direct), in t[0..n) found by direct[code] − 1. */
typedef struct ctable {
    mclass *t;
    uint8_t *used;
    size_t cap, n;
    uint32_t *direct;
} ctable;

#define DIRECT_TESTS 12

/* class_add's rest: a class new to the direct table, or any with the hash table */
static int class_find(ctable *c, uint64_t code, uint32_t m, uint32_t first, int64_t w)
{
    if (c->direct) {
        if (c->n == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 64;
            mclass *nt = shoal_realloc(c->t, nc * sizeof *nt);
            if (!nt) return -1;
            c->t = nt, c->cap = nc;
        }
        c->t[c->n] = (mclass){code, m, first, w};
        c->direct[code] = (uint32_t)++c->n;
        return 0;
    }
    if ((c->n + 1) * 2 > c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        mclass *nt = shoal_malloc(nc * sizeof *nt);
        uint8_t *nu = shoal_malloc(nc);
        if (!nt || !nu) {
            shoal_free(nt);
            shoal_free(nu);
            return -1;
        }
        memset(nu, 0, nc);
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->used[i]) continue;
            size_t j = (c->t[i].code * 0x9E3779B97F4A7C15ULL) >> 7 & (nc - 1);
            while (nu[j]) j = (j + 1) & (nc - 1);
            nu[j] = 1;
            nt[j] = c->t[i];
        }
        shoal_free(c->t);
        shoal_free(c->used);
        c->t = nt, c->used = nu, c->cap = nc;
    }
    size_t j = (code * 0x9E3779B97F4A7C15ULL) >> 7 & (c->cap - 1);
    while (c->used[j] && c->t[j].code != code) j = (j + 1) & (c->cap - 1);
    if (!c->used[j]) {
        c->used[j] = 1;
        c->t[j] = (mclass){code, m, first, 0};
        c->n++;
    }
    c->t[j].n += w;
    if (first < c->t[j].first) c->t[j].first = first;
    return 0;
}

/* Member m (weight w, first member first) into its class; 0 or -1 when out of memory. */
static inline int class_add(ctable *c, uint64_t code, uint32_t m, uint32_t first, int64_t w)
{
    uint32_t j;
    if (c->direct && (j = c->direct[code])) {
        mclass *k = &c->t[j - 1];
        k->n += w;
        if (first < k->first) k->first = first;
        return 0;
    }
    return class_find(c, code, m, first, w);
}

/* The rows of members by classes (g->n_tests): the members with a value (live) get
 * their code, those without (n_alike of them, the first at alike_at) have member 0's;
 * each class is one row, its representative's, weighed by its size, in the order of
 * its first member, so that groups come in the order one row per member gives them.
 * A member with a comparison that is neither true nor false is a class of its own. */
static int odd_add(mclass **odd, size_t *n, size_t *cap, uint32_t m, uint32_t first, int64_t w)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        mclass *o = shoal_realloc(*odd, nc * sizeof *o);
        if (!o) return -1;
        *odd = o, *cap = nc;
    }
    (*odd)[(*n)++] = (mclass){0, m, first, w};
    return 0;
}

static int member_classes(run *g, const uint64_t *live, int64_t n_alike, uint32_t alike_at)
{
    plan *p = g->p;
    ctable c = {0};
    mclass *odd = NULL;
    size_t n_odd = 0, cap_odd = 0;
    int rc = code_tables(g);
    if (rc) return rc;
    if (g->n_tests <= DIRECT_TESTS) {
        if (!(c.direct = shoal_malloc(sizeof *c.direct << g->n_tests))) return nomem(g->x);
        memset(c.direct, 0, sizeof *c.direct << g->n_tests);
    }
    /* The members with a value, in order (so a class's first member is the one that
     * makes it), then member 0 for those without. */
    uint32_t last = p->n_members;
    for (size_t w = 0; w <= last / 64; w++)
        for (uint64_t bits = word_members(live, w, last); bits; bits &= bits - 1) {
            uint32_t m = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            uint64_t code;
            if (member_code(g, m, &code) ? class_add(&c, code, m, m, 1) : odd_add(&odd, &n_odd, &cap_odd, m, m, 1))
                goto oom;
        }
    if (n_alike > 0) {
        uint64_t code;
        if (member_code(g, 0, &code) ? class_add(&c, code, 0, alike_at, n_alike)
                                     : odd_add(&odd, &n_odd, &cap_odd, 0, alike_at, n_alike))
            goto oom;
    }
    /* the classes, then the odd members, in the order of their first members */
    size_t k = c.direct ? c.n : 0;
    for (size_t i = 0; !c.direct && i < c.cap; i++)
        if (c.used[i]) c.t[k++] = c.t[i];
    if (n_odd) {
        mclass *all = shoal_realloc(c.t, (k + n_odd) * sizeof *all);
        if (!all) goto oom;
        c.t = all;
        memcpy(c.t + k, odd, n_odd * sizeof *odd);
        k += n_odd;
    }
    if (k) qsort(c.t, k, sizeof *c.t, class_first);
    rowctx row = {0};
    for (size_t i = 0; i < k && !rc; i++) {
        row.member = c.t[i].rep;
        rc = process_row(g, &row, NULL, NULL, c.t[i].n);
    }
    goto done;
oom:
    rc = nomem(g->x);
done:
    shoal_free(c.t);
    shoal_free(c.used);
    shoal_free(c.direct);
    shoal_free(odd);
    return rc;
}

/* WHERE as bits (where_bits): when it is AND, OR and NOT of counts compared with
 * integers, which come out plain true or false for every member (no NULL, no NaN),
 * it is worked out a word of 64 members at a time, each comparison over the word's
 * members with a value, as a small program in postfix order. (Over every member of
 * a word, four at an SSE2 step, it cost more: most words have few members with a
 * value.) */
typedef struct wnode {
    int op;        /* X_AND, X_OR, X_NOT, or X_CMP with c */
    mcmp c;
} wnode;

static int where_prog(const plan *p, const cx *e, wnode *prog, int *n)
{
    if (*n == 32) return 0;
    if (e->op == X_AND || e->op == X_OR) {
        if (!where_prog(p, e->a, prog, n) || !where_prog(p, e->b, prog, n) || *n == 32) return 0;
        prog[(*n)++].op = e->op;
        return 1;
    }
    if (e->op == X_NOT) {
        if (!where_prog(p, e->a, prog, n) || *n == 32) return 0;
        prog[(*n)++].op = X_NOT;
        return 1;
    }
    mcmp c;
    if (!mcmp_of(p, e, &c) || !c.ints || c.g->fn != F_COUNT || c.g->narrow || !c.g->n) return 0;
    prog[*n].op = X_CMP;
    prog[(*n)++].c = c;
    return 1;
}

/* live &= the members for which WHERE e holds, when it can be had as bits: 1 then. */
static int where_bits(const plan *p, const cx *e, uint64_t *live)
{
    wnode prog[32];
    int n = 0;
    if (!where_prog(p, e, prog, &n)) return 0;
    size_t nw = (size_t)p->n_members / 64 + 1;
    for (size_t w = 0; w < nw; w++) {
        if (!live[w]) continue;
        uint64_t st[32];
        int sp = 0;
        for (int i = 0; i < n; i++) {
            const wnode *q = &prog[i];
            if (q->op == X_CMP) {
                /* the members of this word with a value, a comparison at a time */
                const uint32_t *a = q->c.g->n + w * 64;
                const int64_t k = q->c.ci;
                const int lt = cmp_op(q->c.sub, -1), eq = cmp_op(q->c.sub, 0), gt = cmp_op(q->c.sub, 1);
                uint64_t r = 0;
                for (uint64_t bits = live[w]; bits; bits &= bits - 1) {
                    int j = __builtin_ctzll(bits);
                    int64_t v = a[j];
                    r |= (uint64_t)(((v < k) & lt) | ((v == k) & eq) | ((v > k) & gt)) << j;
                }
                st[sp++] = r;
            } else if (q->op == X_NOT) {
                st[sp - 1] = ~st[sp - 1];
            } else {
                sp--;
                st[sp - 1] = q->op == X_AND ? st[sp - 1] & st[sp] : st[sp - 1] | st[sp];
            }
        }
        live[w] &= st[0];
    }
    return 1;
}

/* One row per member, 1..n: every interned member has at least one event (the
 * dictionary and the log commit together), so as of the whole log these are the
 * members. */
static int member_rows(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    int rc = 0;
    rowctx row = {0};
    /* The members worth a row, as bits: those some aggregate got a value for, when
     * WHERE rejects the others (g->live, filled by the sources); of those (or of all)
     * the ones with an event by then (AS OF a date); of those the ones that can make an
     * ORDER BY … LIMIT (top_bound); else every member. */
    size_t nm = (size_t)p->n_members + 1, nw = nm / 64 + 1;
    uint64_t *live = g->live;
    /* The alike members (g->alike): those without a value (not in live) that exist,
     * one row weighed by their number, made where the first of them would have made
     * its own, so that groups come in the same order. */
    int64_t n_alike = 0;
    uint32_t alike_at = 0;
    if (p->exist) {
        uint64_t *e = shoal_bigcache_zalloc(x->cache, nw * sizeof *e);
        if (!e) return nomem(x);
        or_nonzero(e, p->maggs[p->exist - 1].n, nm);
        if (g->alike) n_alike = alike_count(e, live, p->n_members, &alike_at);
        if (live)
            for (size_t w = 0; w < nw; w++) e[w] &= live[w];
        shoal_bigcache_put(x->cache, g->live);
        g->live = live = e;
    } else if (g->alike) {
        n_alike = alike_count(NULL, live, p->n_members, &alike_at);
    }
    if (g->n_tests) return member_classes(g, live, n_alike, alike_at);
    /* WHERE, when it can be, as bits over the members with a value: only those it
     * keeps are visited, and it holds for each of them. */
    int where_held = live && p->where && where_bits(p, p->where, live);
    uint64_t *top = NULL;
    if ((rc = top_bound(g, live, &top)) < 0) return rc;
    if (rc) {
        shoal_bigcache_put(x->cache, g->live);
        g->live = live = top;
    }
    rc = 0;
    int vwhere = !p->where ? WHERE_EACH : where_held ? WHERE_HOLDS : vec_ok(p->where) ? WHERE_BLOCK : WHERE_EACH;
    int vkeys = p->grouped && p->n_keys > 0;
    for (int j = 0; j < p->n_keys && vkeys; j++) vkeys = vec_ok(p->keys[j]);
    uint32_t ms[VBLOCK];
    int nb = 0;
    shoal_arena *a = NULL;
    if ((vwhere || vkeys) && !(a = shoal_arena_new())) return nomem(x);
    /* the members, a word of bits at a time (every member when there is no live) */
    uint32_t last = p->n_members;
    for (size_t wd = 0; wd <= last / 64 && !rc && !g->stop; wd++) {
        if ((wd & 1023) == 1023 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            break;
        }
        uint64_t bits = word_members(live, wd, last);
        for (; bits && !g->stop; bits &= bits - 1) {
            uint32_t m = (uint32_t)(wd * 64 + (size_t)__builtin_ctzll(bits));
            if (alike_at && m > alike_at) {
                if ((rc = alike_row(g, a, ms, &nb, vwhere, vkeys, n_alike))) break;
                alike_at = 0;
            }
            if (!a) {
                row.member = m;
                if ((rc = process(g, &row))) break;
                continue;
            }
            ms[nb++] = m;
            if (nb == VBLOCK) {
                if ((rc = member_block(g, a, ms, nb, vwhere, vkeys))) break;
                nb = 0;
            }
        }
    }
    if (!rc && alike_at) rc = alike_row(g, a, ms, &nb, vwhere, vkeys, n_alike);
    if (!rc && nb && !g->stop) rc = member_block(g, a, ms, nb, vwhere, vkeys);
    shoal_arena_free(a);
    return rc;
}

static int alloc_maggs(exec *x, plan *p)
{
    size_t n = (size_t)p->n_members + 1;
    /* Per-member counts are 32-bit: a member has at most as many events as the log. */
    uint64_t last = shoal_reader_last_seq(x->r);
    if (p->n_maggs && last > UINT32_MAX)
        return shoal_err_set(x->err, SHOAL_ERANGE, -1, -1, "the log holds %" PRIu64 " events; per-member aggregates "
                             "count in 32 bits, so they need fewer than 4294967296", last);
    for (int i = 0; i < p->n_maggs; i++) {
        /* Only the arrays the function needs: a count costs 4 bytes per member, a score
         * from its view (its values only) 8, one read narrow 1. Zeroed by the
         * allocator, but for those that a view read writes whole. */
        magg *g = &p->maggs[i];
        if (g->narrow) {
            /* a score's cells are written whole; counts add up from 0 */
            if (!(g->c8 = g->fn == F_SCORE ? shoal_bigcache_alloc(x->cache, n) : shoal_bigcache_zalloc(x->cache, n)))
                return nomem(x);
            continue;
        }
        if ((g->fn == F_MIN || g->fn == F_MAX) && !(g->v = shoal_bigcache_zalloc(x->cache, n * sizeof *g->v)))
            return nomem(x);
        int need_d = g->fn == F_SCORE || g->fn == F_RISE;
        int need_i = g->fn == F_FIRST || g->fn == F_LAST, need_x = g->fn == F_SUM || g->fn == F_AVG;
        int need_d2 = g->fn == F_RISE || g->tail;
        /* A score or rise from its view is written whole by the read (read_views,
         * read_rise): no zeroing, and no count. */
        int whole = (g->fn == F_SCORE || g->fn == F_RISE) && g->src != MG_SCAN, need_n = !whole;
        if ((need_n && !(g->n = shoal_bigcache_zalloc(x->cache, n * sizeof *g->n))) ||
            (need_d && !(g->d = whole ? shoal_bigcache_alloc(x->cache, n * sizeof *g->d)
                                      : shoal_bigcache_zalloc(x->cache, n * sizeof *g->d))) ||
            (need_i && !(g->i = shoal_bigcache_zalloc(x->cache, n * sizeof *g->i))) ||
            (need_x && !(g->x = shoal_bigcache_zalloc(x->cache, n * sizeof *g->x))) ||
            (need_d2 && !(g->d2 = whole ? shoal_bigcache_alloc(x->cache, n * sizeof *g->d2)
                                        : shoal_bigcache_zalloc(x->cache, n * sizeof *g->d2))))
            return nomem(x);
    }
    return 0;
}

int shoal_exec_select(exec *x, plan *p, shoal_fmt *f)
{
    run g;
    memset(&g, 0, sizeof g);
    g.x = x;
    g.p = p;
    g.f = f;
    int rc = 0;
    g.cells = shoal_arena_alloc(x->a, sizeof(cell) * (size_t)(p->n_cols + 1));
    g.digits = shoal_arena_alloc(x->a, 24 * (size_t)(p->n_cols + 1));
    g.colbuf = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_cols + 1));
    g.keybuf = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_keys + 1));
    g.dsets = shoal_arena_alloc(x->a, sizeof(dset) * (size_t)(p->n_raggs + 1));
    if (!g.cells || !g.digits || !g.colbuf || !g.keybuf || !g.dsets) {
        rc = nomem(x);
        goto fail;
    }
    memset(g.dsets, 0, sizeof(dset) * (size_t)(p->n_raggs + 1));
    if (f && (rc = shoal_fmt_begin(f, p->names, p->n_cols))) {
        rc = rc == SHOAL_ENOMEM ? nomem(x) : shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
        goto fail;
    }
    /* over members, with classes: which aggregates can be read narrow */
    if (p->src == SRC_MEMBERS && (g.n_tests = class_tests(p, g.tests)) && (rc = narrow_maggs(&g))) goto fail;
    size_t top_k;
    g.top_slot = p->src == SRC_MEMBERS && !p->exist ? top_target(p, &top_k) : -1;
    if ((rc = alloc_maggs(x, p))) goto fail;
    shoal_anchor_bind(p);
    if (p->grouped && p->n_keys == 1 && (p->keys[0]->op == X_TYPE || p->keys[0]->op == X_GROUP || p->keys[0]->op == X_MEMBER)) {
        g.n_by_id = shoal_dict_count(x->r, p->keys[0]->rns) + 1;
        g.by_id = shoal_malloc(sizeof(group *) * g.n_by_id);
        if (!g.by_id) {
            rc = nomem(x);
            goto fail;
        }
        memset(g.by_id, 0, sizeof(group *) * g.n_by_id);
    }
    if (p->src == SRC_NONE) {
        rowctx row = {0};
        rc = process(&g, &row);
    } else if (p->src == SRC_ROWS) {
        rc = p->rsrc->rows(x, p, &g);
    } else if (p->src == SRC_EVENTS) {
        rc = scan_log(&g, 0);
    } else {
        /* When WHERE reads only per-member aggregates and rejects a member whose every
         * aggregate is empty (member id 0 has no events: it stands for such a member),
         * only members with some value need a row (g.live); when such members' rows are
         * alike (shoal_exec_alike), the others are one row. A score or a rise sets a
         * member apart only beyond the thresholds it is compared with (cell_of) in
         * what decides: WHERE when it rejects, else every per-member expression. */
        int rejects = 0;
        if (p->members_all && p->where && maggs_only(p->where)) {
            rowctx empty = {0};
            if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
            x->row = &empty;
            rejects = !truthy(x, p->where);
        }
        g.alike = shoal_exec_alike(p);   /* (when WHERE rejects, their row adds nothing) */
        if (rejects || g.alike) {
            if (!(g.live = shoal_bigcache_zalloc(x->cache, ((size_t)p->n_members / 64 + 1) * sizeof *g.live))) {
                rc = nomem(x);
                goto fail;
            }
            for (int i = 0; i < p->n_maggs; i++) {
                magg *a = &p->maggs[i];
                if (a->fn != F_SCORE && a->fn != F_RISE) continue;
                a->live_lo = -INFINITY;
                a->live_hi = INFINITY;
                cell_of(p->where, i, &a->live_lo, &a->live_hi);
                for (int k = 0; !rejects && k < p->n_keys; k++) cell_of(p->keys[k], i, &a->live_lo, &a->live_hi);
                for (int k = 0; !rejects && k < p->n_raggs; k++) cell_of(p->raggs[k].arg, i, &a->live_lo, &a->live_hi);
            }
        }
        if (!(rc = read_views(&g)) && !p->from_views) rc = scan_log(&g, 1);
        if (!rc && p->members_all) rc = member_rows(&g);
    }
    if (rc) goto fail;
    if (p->grouped) {
        /* Without GROUP BY an aggregate query has exactly one group, even over nothing. */
        if (p->n_keys == 0 && g.n_list == 0 && !find_group(&g, g.keybuf)) {
            rc = nomem(x);
            goto fail;
        }
        qval *aggs = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_raggs + 1));
        if (!aggs) {
            rc = nomem(x);
            goto fail;
        }
        for (size_t i = 0; i < g.n_list && !g.stop; i++) {
            if ((i & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) break;
            group *q = g.list[i];
            for (int k = 0; k < p->n_raggs; k++) acc_val(x, &p->raggs[k], &q->accs[k], &aggs[k]);
            rowctx row = {0};
            row.keys = q->keys;
            row.aggs = aggs;
            x->row = &row;
            if (p->having && !truthy(x, p->having)) continue;
            if ((rc = emit(&g, &row))) goto fail;
        }
    }
    if (p->n_order && !(x->cancel && *x->cancel)) {
        sort_rows(&g);
        size_t start = (size_t)p->offset < g.n_rows ? (size_t)p->offset : g.n_rows;
        size_t end = g.n_rows;
        if (p->limit >= 0 && (uint64_t)p->limit < end - start) end = start + (size_t)p->limit;
        for (size_t i = start; i < end && !(x->cancel && *x->cancel); i++) {
            if ((rc = write_row(&g, g.rows[i].cols))) goto fail;
            g.n_emitted++;
        }
    }
    if (x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
fail:
    for (int i = 0; i < p->n_maggs; i++) {
        shoal_bigcache_put(x->cache, p->maggs[i].n);
        shoal_bigcache_put(x->cache, p->maggs[i].d);
        shoal_bigcache_put(x->cache, p->maggs[i].i);
        shoal_bigcache_put(x->cache, p->maggs[i].x);
        shoal_bigcache_put(x->cache, p->maggs[i].d2);
        shoal_bigcache_put(x->cache, p->maggs[i].c8);
        shoal_bigcache_put(x->cache, p->maggs[i].v);
        p->maggs[i].v = NULL;
        p->maggs[i].c8 = NULL;
        p->maggs[i].narrow = 0;
        p->maggs[i].d2 = NULL;
        p->maggs[i].n = NULL;
        p->maggs[i].d = NULL;
        p->maggs[i].i = NULL;
        p->maggs[i].anchor_n = NULL;
        p->maggs[i].x = NULL;
    }
    for (int i = 0; i < p->n_raggs && g.dsets; i++) {
        dset *s = &g.dsets[i];
        shoal_free(s->hash), shoal_free(s->gid), shoal_free(s->val), shoal_free(s->used);
    }
    shoal_bigcache_put(x->cache, g.live);
    shoal_bigcache_put(x->cache, g.top_out);
    shoal_free(g.table);
    shoal_free(g.by_id);
    shoal_free(g.list);
    shoal_free(g.rows);
    shoal_arena_free(g.rows_a);
    return rc;
}
