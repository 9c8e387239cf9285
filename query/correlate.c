/* correlate.c — a correlated subquery, one that reads the statement around it (outer.column)
 * through equalities in its WHERE (`inner = outer.column [AND inner2 = outer.column2 …]`,
 * AND-ed with conditions of its own), run once, not once per outer row:
 *
 * - as a value, `(SELECT agg(…) FROM … WHERE …)`: grouped by its correlations (`SELECT
 *   inner…, agg(…) FROM … WHERE … GROUP BY inner…`), the groups hashed by their key and
 *   each outer row's value looked up (count's is 0 where no row matches, the others'
 *   NULL, as SQL gives over no rows);
 * - `x [NOT] IN (SELECT col FROM … WHERE …)`: its rows (`SELECT inner…, col`) hashed by
 *   key and by key and value: x is IN when its row's key has that value, with SQL's NULLs
 *   (NULL when x is NULL or the key's values hold a NULL and none equals x; FALSE when
 *   the key has no row). An aggregate after IN is the value's case, compared;
 * - `[NOT] EXISTS (SELECT …)`: the keys that have a row (and with no correlation, any
 *   SELECT: whether it gives a row, the first row ending its run).
 *
 * Memory: the groups' keys and values (IN: the distinct (key, value) pairs). Other
 * correlated subqueries stay refused (plan.c's message at the outer name): a correlation
 * other than an equality, or in a select item, GROUP BY, LIMIT … of the subquery.
 */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "join.h"
#include "rowsrc.h"
#include "subquery.h"

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static void *zalloc(exec *x, size_t n)
{
    void *p = shoal_arena_alloc(x->a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    else nomem(x);
    return p;
}

/* Does n read a column of a statement around q (outer.column, outer not q's own name)? */
static int outer_refs(exec *x, const shoal_stmt *q, const shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_DOT) {
        const char *own = q->alias ? q->alias : q->from;   /* FROM p AS q: q, and p is the outer one */
        if (own && !strcasecmp(n->s, own)) return 0;
        return shoal_subq_outer_name(x, n->s, n->s2);
    }
    if (n->sub) return 0;   /* a subquery's own correlation is its planner's */
    if (outer_refs(x, q, n->a) || outer_refs(x, q, n->b) || outer_refs(x, q, n->c) || outer_refs(x, q, n->filter))
        return 1;
    if (n->list)
        for (const shoal_node *k = n->list->head; k; k = k->next)
            if (outer_refs(x, q, k)) return 1;
    return 0;
}

/* Is n made only of outer columns and constants (no bare name: that is the inner's)? */
static int only_outer(exec *x, const shoal_stmt *q, const shoal_node *n)
{
    if (!n) return 1;
    if (n->kind == SHOAL_AST_NAME || n->kind == SHOAL_AST_CALL || n->sub) return 0;
    if (n->kind == SHOAL_AST_DOT) return outer_refs(x, q, n);
    if (!only_outer(x, q, n->a) || !only_outer(x, q, n->b) || !only_outer(x, q, n->c)) return 0;
    if (n->list)
        for (const shoal_node *k = n->list->head; k; k = k->next)
            if (!only_outer(x, q, k)) return 0;
    return 1;
}

/* Two nodes written alike (the same text): the one inner value a range compares. */
static int same_text(exec *x, const shoal_node *a, const shoal_node *b)
{
    return a == b || (a->len == b->len && !memcmp(x->src + a->off, x->src + b->off, (size_t)a->len));
}

/* in op out, a range condition: every one compares the same inner value (one sort), at
 * most one is <> (one hole in the range); 1 when it cannot be added. */
static int add_range(exec *x, shoal_corr *k, const shoal_node *in, int op, const shoal_node *out)
{
    if (k->n_range == SHOAL_CORR_RANGE_MAX || (k->rin && !same_text(x, k->rin, in))) return 1;
    for (int i = 0; op == SHOAL_OP_NE && i < k->n_range; i++)
        if (k->rop[i] == SHOAL_OP_NE) return 1;
    k->rin = in;
    k->rop[k->n_range] = op;
    k->rout[k->n_range++] = out;
    return 0;
}

/* Splits w's AND-ed conditions into the correlations (k->in[i] = k->out[i]) and the
 * rest; -1 when a correlation is not an equality of that kind. */
static int split(exec *x, const shoal_stmt *q, shoal_node *w, shoal_node **rest, shoal_corr *k, const shoal_node **bad)
{
    if (!w) return 0;
    if (w->kind == SHOAL_AST_BINOP && w->op == SHOAL_OP_AND) {
        int rc = split(x, q, w->a, rest, k, bad);
        return rc ? rc : split(x, q, w->b, rest, k, bad);
    }
    *bad = w;
    if (!outer_refs(x, q, w)) {
        if (!(*rest = shoal_rowsrc_and(x, *rest, w))) return -2;
        return 0;
    }
    if (w->kind == SHOAL_AST_BETWEEN && !(w->flags & SHOAL_AST_F_NOT) && !outer_refs(x, q, w->a) &&
        only_outer(x, q, w->b) && only_outer(x, q, w->c))
        return add_range(x, k, w->a, SHOAL_OP_GE, w->b) ? -1 : add_range(x, k, w->a, SHOAL_OP_LE, w->c) ? -1 : 0;
    if (w->kind != SHOAL_AST_BINOP || w->op < SHOAL_OP_EQ || w->op > SHOAL_OP_GE) return -1;
    const shoal_node *in, *out;
    int op = w->op;
    if (only_outer(x, q, w->b) && !outer_refs(x, q, w->a)) in = w->a, out = w->b;
    else if (only_outer(x, q, w->a) && !outer_refs(x, q, w->b)) {
        in = w->b, out = w->a;
        op = op == SHOAL_OP_LT ? SHOAL_OP_GT : op == SHOAL_OP_LE ? SHOAL_OP_GE : op == SHOAL_OP_GT ? SHOAL_OP_LT
           : op == SHOAL_OP_GE ? SHOAL_OP_LE : op;   /* outer < inner is inner > outer */
    } else
        return -1;
    if (op != SHOAL_OP_EQ) return add_range(x, k, in, op, out) ? -1 : 0;
    if (k->n_keys == SHOAL_CORR_MAX) return -1;
    k->in[k->n_keys] = in, k->out[k->n_keys] = out;
    k->n_keys++;
    return 0;
}

static int is_agg_name(const char *fn)
{
    return !strcasecmp(fn, "count") || !strcasecmp(fn, "sum") || !strcasecmp(fn, "avg") || !strcasecmp(fn, "min") ||
           !strcasecmp(fn, "max");
}

/* SELECT in…, cols FROM … WHERE rest [GROUP BY in…], with the outer statement's AS OF,
 * planned with the outer statement in sight. */
static int plan_keyed(exec *x, const shoal_stmt *st, const shoal_outer *o, const shoal_stmt *q, const shoal_corr *k,
                      shoal_node *rest, const shoal_item *cols, int grouped, plan **ip)
{
    shoal_stmt *g = zalloc(x, sizeof *g);
    if (!g) return SHOAL_ENOMEM;
    *g = *q;
    shoal_item *head = NULL, **tail = &head, *gb = NULL, **gtail = &gb;
    for (int i = 0; i < k->n_keys; i++) {
        shoal_item *it = zalloc(x, sizeof *it);
        if (!it) return SHOAL_ENOMEM;
        it->expr = (shoal_node *)k->in[i];
        *tail = it;
        tail = &it->next;
        if (grouped) {
            shoal_item *b = zalloc(x, sizeof *b);
            if (!b) return SHOAL_ENOMEM;
            b->expr = (shoal_node *)k->in[i];
            *gtail = b;
            gtail = &b->next;
        }
    }
    for (const shoal_item *c = cols; c; c = c->next) {
        shoal_item *it = zalloc(x, sizeof *it);
        if (!it) return SHOAL_ENOMEM;
        *it = *c;
        it->next = NULL;
        *tail = it;
        tail = &it->next;
    }
    g->cols = head;
    g->where = rest;
    g->group = gb;
    if (!g->asof_date && !g->asof_seq) {
        g->asof_date = st->asof_date;
        g->asof_seq = st->asof_seq;
        g->asof_off = st->asof_off;
        g->asof_len = st->asof_len;
    }
    const shoal_outer *saved = x->outer;
    x->outer = o;
    int rc = shoal_rowsrc_plan_inner(x, g, ip);
    x->outer = saved;
    return rc;
}

/* TRUE, placed at q (EXISTS' select item, count(*)'s argument). */
static shoal_node *true_node(exec *x, const shoal_stmt *q)
{
    shoal_node *t = zalloc(x, sizeof *t);
    if (!t) return NULL;
    t->kind = SHOAL_AST_BOOL;
    t->i = 1;
    t->off = q->off;
    t->len = q->len;
    return t;
}

/* Select items of a, then b (when not NULL). */
static shoal_item *items(exec *x, shoal_node *a, shoal_node *b)
{
    shoal_item *i = a ? zalloc(x, sizeof *i) : NULL, *j = b ? zalloc(x, sizeof *j) : NULL;
    if (!i || (b && !j)) return NULL;
    i->expr = a;
    if (j) j->expr = b, i->next = j;
    return i;
}

/* A subquery correlated on a range: SELECT in…, rin[, value] FROM … WHERE rest, its rows
 * kept sorted by rin within each key (shoal_corr_init). A value is one aggregate over
 * rows, checked grouped as the equalities' case is, then read from its argument. */
static int plan_range(exec *x, const shoal_stmt *st, const shoal_outer *o, const shoal_stmt *q, shoal_corr *k,
                      shoal_node *rest, plan **ip)
{
    int last = k->n_keys, rc;
    const shoal_node *a = q->cols->expr;
    shoal_node *val = NULL;
    if (k->kind == SHOAL_CORR_VALUE || (k->kind == SHOAL_CORR_IN && a->kind == SHOAL_AST_CALL && is_agg_name(a->s))) {
        if (k->kind == SHOAL_CORR_IN)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->off, a->len, "%s",
                                 "a subquery correlated on a range gives rows after IN, not an aggregate: compare with "
                                 "the aggregate as a value, x = (SELECT …)");
        if ((rc = plan_keyed(x, st, o, q, k, rest, q->cols, 1, ip))) return rc;
        if ((*ip)->n_cols != last + 1 || (*ip)->cols[last]->op != X_AGG) return 0;   /* a per-member aggregate */
        if ((a->flags & SHOAL_AST_F_DISTINCT) || a->fwhere || a->filter || (!(a->flags & SHOAL_AST_F_STAR) &&
                                                                            (!a->list || a->list->n != 1)))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->off, a->len, "%s",
                                 "a subquery correlated on a range gives count, sum, avg, min or max of one value "
                                 "(no DISTINCT or FILTER)");
        k->vrt = (*ip)->cols[last]->rt;
        k->vrns = (*ip)->cols[last]->rns;
        const char *f = a->s;
        k->fn = !strcasecmp(f, "count") ? 'c' : !strcasecmp(f, "sum") ? 's' : !strcasecmp(f, "avg") ? 'a'
              : !strcasecmp(f, "min") ? 'm' : 'M';
        k->count = k->fn == 'c';
        k->star = !!(a->flags & SHOAL_AST_F_STAR);
        val = k->star ? true_node(x, q) : a->list->head;
    } else if (k->kind == SHOAL_CORR_IN) {
        val = (shoal_node *)a;
    }
    if (val == NULL && k->kind != SHOAL_CORR_EXISTS) return SHOAL_ENOMEM;
    shoal_item *cols = items(x, (shoal_node *)k->rin, val);
    if (!cols) return SHOAL_ENOMEM;
    if ((rc = plan_keyed(x, st, o, q, k, rest, cols, 0, ip))) return rc;
    k->vcol = last + 1;
    if (k->kind == SHOAL_CORR_IN) {
        k->vrt = (*ip)->cols[last + 1]->rt;
        k->vrns = (*ip)->cols[last + 1]->rns;
    }
    return 1;
}

int shoal_corr_plan(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip, shoal_corr *k)
{
    const shoal_stmt *q = n->sub;
    memset(k, 0, sizeof *k);
    k->kind = n->kind == SHOAL_AST_INSUB ? SHOAL_CORR_IN : n->flags & SHOAL_AST_F_EXISTS ? SHOAL_CORR_EXISTS : SHOAL_CORR_VALUE;
    int simple = q->where && !q->group && !q->having && !q->order && !q->limit && !q->per && !q->joins && !q->with && q->cols;
    if (k->kind != SHOAL_CORR_EXISTS && (!simple || q->cols->next || q->cols->expr->over)) return 0;
    if (k->kind == SHOAL_CORR_VALUE && (q->cols->expr->kind != SHOAL_AST_CALL || !is_agg_name(q->cols->expr->s))) return 0;
    shoal_outer o = {st, p, x->outer};
    const shoal_outer *saved = x->outer;
    x->outer = &o;
    shoal_node *rest = NULL;
    const shoal_node *bad = NULL;
    int rc = simple ? split(x, q, q->where, &rest, k, &bad) : 0;
    int in_cols = 0;
    for (const shoal_item *c = q->cols; c && rc == 0 && k->kind != SHOAL_CORR_EXISTS; c = c->next)
        in_cols |= outer_refs(x, q, c->expr);
    x->outer = saved;
    if (rc == -2) return SHOAL_ENOMEM;
    if (rc == -1 && bad)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, bad->off, bad->len,
                             k->n_keys == SHOAL_CORR_MAX
                                 ? "a correlated subquery reads the statement around it through at most %d equalities"
                                 : "this condition reads the statement around the subquery, which a correlated subquery "
                                   "does through equalities (inner = outer.column) and comparisons of one inner value (<, "
                                   "<=, >, >=, <>, BETWEEN): test it in the outer WHERE, or join",
                             SHOAL_CORR_MAX);
    if (rc < 0 || in_cols) return 0;
    if (!k->n_keys && !k->n_range) {
        if (k->kind != SHOAL_CORR_EXISTS) return 0;   /* uncorrelated: subquery.c's */
        /* EXISTS without a correlation: the SELECT as written, whether it gives a row */
        x->outer = &o;
        rc = shoal_rowsrc_plan_inner(x, q, ip);
        x->outer = saved;
        return rc ? rc : 1;
    }
    int last = k->n_keys;
    k->vcol = last;
    if (k->n_range) return plan_range(x, st, &o, q, k, rest, ip);
    if (k->kind == SHOAL_CORR_VALUE) {
        if ((rc = plan_keyed(x, st, &o, q, k, rest, q->cols, 1, ip))) return rc;
        if ((*ip)->n_cols != last + 1 || (*ip)->cols[last]->op != X_AGG) return 0;   /* a per-member aggregate: not one value */
        k->count = !strcasecmp(q->cols->expr->s, "count");
        k->vrt = (*ip)->cols[last]->rt;
        k->vrns = (*ip)->cols[last]->rns;
        return 1;
    }
    if (k->kind == SHOAL_CORR_EXISTS) {
        shoal_item *one = items(x, true_node(x, q), NULL);
        if (!one) return SHOAL_ENOMEM;
        if ((rc = plan_keyed(x, st, &o, q, k, rest, one, 0, ip))) return rc;
        return 1;
    }
    /* IN: the rows' values, or one aggregate's (then grouped, as a value) */
    rc = plan_keyed(x, st, &o, q, k, rest, q->cols, 0, ip);
    if (rc && rc != SHOAL_ENOMEM && q->cols->expr->kind == SHOAL_AST_CALL && is_agg_name(q->cols->expr->s)) {
        shoal_err_clear(x->err);
        int rc2 = plan_keyed(x, st, &o, q, k, rest, q->cols, 1, ip);
        if (!rc2 && (*ip)->n_cols == last + 1 && (*ip)->cols[last]->op == X_AGG) {
            k->agg = 1;
            k->count = !strcasecmp(q->cols->expr->s, "count");
            return 1;
        }
        shoal_err_clear(x->err);
        rc = plan_keyed(x, st, &o, q, k, rest, q->cols, 0, ip);   /* its error again */
    }
    return rc ? rc : 1;
}

/* ---------------------------------------------------------------- run */

/* A hash table of tuples of w values (keys as shoal_join_key makes them). */
typedef struct ktab {
    int w;
    qval *v;                      /* n tuples of w */
    qval *val;                    /* a value per tuple (a value's, an aggregate after IN) */
    uint8_t *has_null;            /* IN: a NULL among the key's values */
    uint32_t *next, *bucket;
    size_t n, cap, mask;
} ktab;

static uint64_t thash(const qval *t, int w)
{
    uint64_t h = 0x84222325cbf29ce4ULL;
    for (int i = 0; i < w; i++) h = (h ^ shoal_val_hash(&t[i])) * 0x100000001b3ULL;
    return h ^ (h >> 31);
}

static int tsame(const qval *a, const qval *b, int w)
{
    for (int i = 0; i < w; i++)
        if (!shoal_val_same(&a[i], &b[i])) return 0;
    return 1;
}

static long tfind(const ktab *t, const qval *k)
{
    if (!t->n) return -1;
    for (uint32_t i = t->bucket[thash(k, t->w) & t->mask]; i; i = t->next[i - 1])
        if (tsame(k, t->v + (size_t)(i - 1) * (size_t)t->w, t->w)) return (long)i - 1;
    return -1;
}

/* k's index, added (its values kept) when new; -1 on an error. */
static long tadd(exec *x, ktab *t, const qval *k, int *added)
{
    long f = tfind(t, k);
    *added = 0;
    if (f >= 0) return f;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64, w = t->w ? (size_t)t->w : 1;
        if (nc > UINT32_MAX / 2) {
            shoal_err_set(x->err, SHOAL_ERANGE, -1, -1, "%s", "a correlated subquery has too many groups");
            return -1;
        }
        qval *v = shoal_arena_alloc(x->a, nc * w * sizeof *v), *val = shoal_arena_alloc(x->a, nc * sizeof *val);
        uint8_t *hn = shoal_arena_alloc(x->a, nc);
        uint32_t *next = shoal_arena_alloc(x->a, nc * sizeof *next), *bucket = shoal_arena_alloc(x->a, 2 * nc * sizeof *bucket);
        if (!v || !val || !hn || !next || !bucket) return nomem(x), -1;
        if (t->n) {
            memcpy(v, t->v, t->n * (size_t)t->w * sizeof *v);
            memcpy(val, t->val, t->n * sizeof *val);
            memcpy(hn, t->has_null, t->n);
        }
        memset(bucket, 0, 2 * nc * sizeof *bucket);
        t->v = v, t->val = val, t->has_null = hn, t->next = next, t->bucket = bucket;
        t->cap = nc;
        t->mask = 2 * nc - 1;
        for (size_t i = 0; i < t->n; i++) {
            size_t b = thash(t->v + i * (size_t)t->w, t->w) & t->mask;
            t->next[i] = t->bucket[b];
            t->bucket[b] = (uint32_t)i + 1;
        }
    }
    qval *d = t->v + t->n * (size_t)t->w;
    for (int i = 0; i < t->w; i++) {
        d[i] = k[i];
        if (shoal_val_keep(x, &d[i])) return -1;
    }
    t->val[t->n] = (qval){.t = V_NULL};
    t->has_null[t->n] = 0;
    size_t b = thash(d, t->w) & t->mask;
    t->next[t->n] = t->bucket[b];
    t->bucket[b] = (uint32_t)t->n + 1;
    *added = 1;
    return (long)t->n++;
}

typedef struct corr {
    shoal_corr k;
    ktab keys;                    /* the correlations' values that have rows */
    ktab pairs;                   /* IN: (key…, value) */
    qval none;                    /* a value where no row matches */
} corr;

/* The first w values of cols as keys into out: 0 when one is NULL (equal to nothing). */
static int keys_of(exec *x, const qval *cols, int w, qval *out)
{
    for (int i = 0; i < w; i++) {
        int has = shoal_join_key(x, &cols[i], &out[i]);
        if (has <= 0) return has;
    }
    return 1;
}

static int take(exec *x, const qval *cols, int n, void *ctx)
{
    corr *c = ctx;
    int w = c->k.n_keys, added;
    qval k[SHOAL_CORR_MAX + 1];
    if (n < w + (c->k.kind != SHOAL_CORR_EXISTS))
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a correlated subquery's row has %d columns", n);
    int has = keys_of(x, cols, w, k);
    if (has < 0) return x->err->code;
    if (!has) return 0;   /* a NULL key equals no outer value */
    long i = tadd(x, &c->keys, k, &added);
    if (i < 0) return x->err->code;
    if (c->k.kind == SHOAL_CORR_EXISTS) return w ? 0 : 1;   /* without a correlation, one row says enough */
    if (c->k.kind == SHOAL_CORR_VALUE || c->k.agg) {
        c->keys.val[i] = cols[w];
        return shoal_val_keep(x, &c->keys.val[i]) ? x->err->code : 0;
    }
    has = shoal_join_key(x, &cols[w], &k[w]);
    if (has < 0) return x->err->code;
    if (!has) {
        c->keys.has_null[i] = 1;
        return 0;
    }
    return tadd(x, &c->pairs, k, &added) < 0 ? x->err->code : 0;
}

static const qval t_null = {.t = V_NULL};

static qval boolv(int b) { return (qval){.t = V_BOOL, .u.i = b}; }

/* args: the outer keys, then (IN) x. */
static void corr_eval(exec *x, qval *a, int n, qval *out)
{
    const corr *c = x->fn_ctx;
    int w = c->k.n_keys, neg = c->k.negated;
    qval k[SHOAL_CORR_MAX + 1];
    int has = n >= w ? keys_of(x, a, w, k) : 0;
    long i = has > 0 ? tfind(&c->keys, k) : -1;
    if (c->k.kind == SHOAL_CORR_VALUE) {
        *out = i >= 0 ? c->keys.val[i] : c->none;
        return;
    }
    if (c->k.kind == SHOAL_CORR_EXISTS) {
        *out = boolv(i >= 0);
        return;
    }
    /* x IN the key's values */
    if (c->k.agg) {
        /* one row, the aggregate's: x IN (v) is x = v */
        qval v = i >= 0 ? c->keys.val[i] : c->none, xv, vv;
        int hx = shoal_join_key(x, &a[w], &xv), hv = shoal_join_key(x, &v, &vv);
        if (hx <= 0 || hv <= 0) *out = t_null;
        else *out = boolv(shoal_val_same(&xv, &vv) != neg);
        return;
    }
    if (i < 0) {
        *out = boolv(neg);   /* no row: IN an empty set is FALSE */
        return;
    }
    has = shoal_join_key(x, &a[w], &k[w]);
    if (has <= 0) *out = t_null;
    else if (tfind(&c->pairs, k) >= 0) *out = boolv(!neg);
    else if (c->keys.has_null[i]) *out = t_null;
    else *out = boolv(neg);
}

/* ---------------------------------------------------------------- ranges
 *
 * A subquery correlated on a range (e.ts < t.ts) runs once too: its rows (key…, rin,
 * value) are kept, grouped by key and sorted by rin (shoal_val_cmp's order, the one
 * comparisons use; a NULL rin compares with nothing and is dropped). Each outer row
 * finds its key's rows, and each of its conditions narrows them by a binary search to
 * one run of positions (<> leaves a hole): a count or EXISTS is then the run's length
 * (a count of a value less its NULLs, from a running count), other aggregates and IN
 * examine the run's rows, at most SHOAL_CORR_EXAMINE_MAX in all. */
typedef struct rrow {
    uint32_t g;   /* the key's index in keys */
    qval r, v;
} rrow;

typedef struct rng {
    corr *c;
    rrow *rows;
    size_t n, cap;
    uint32_t *start;          /* per key: its first row; start[n_keys] = n */
    uint32_t *nonnull;        /* rows before i whose value is not NULL */
    int has_v;
    _Atomic unsigned long long examined;
    int off, len;             /* the subquery, for the error past the cap */
} rng;

static int take_range(exec *x, const qval *cols, int n, void *ctx)
{
    rng *g = ctx;
    corr *c = g->c;
    int w = c->k.n_keys, added;
    qval k[SHOAL_CORR_MAX + 1];
    if (n < w + 1 + g->has_v)
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a correlated subquery's row has %d columns", n);
    if (cols[w].t == V_NULL) return 0;   /* rin compares with nothing */
    int has = keys_of(x, cols, w, k);
    if (has < 0) return x->err->code;
    if (!has) return 0;
    long i = tadd(x, &c->keys, k, &added);
    if (i < 0) return x->err->code;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 256;
        if (nc > UINT32_MAX / 2)
            return shoal_err_set(x->err, SHOAL_ERANGE, g->off, g->len, "%s", "a correlated subquery has too many rows");
        rrow *r = shoal_realloc(g->rows, nc * sizeof *r);
        if (!r) return nomem(x);
        g->rows = r;
        g->cap = nc;
    }
    rrow *r = &g->rows[g->n++];
    r->g = (uint32_t)i;
    r->r = cols[w];
    r->v = g->has_v ? cols[w + 1] : (qval){.t = V_NULL};
    if (shoal_val_keep(x, &r->r) || shoal_val_keep(x, &r->v)) return x->err->code;
    return 0;
}

static int rcmp(exec *x, const rrow *a, const rrow *b)
{
    if (a->g != b->g) return a->g < b->g ? -1 : 1;
    int k = 0;
    shoal_val_cmp(x, &a->r, &b->r, &k);
    return k;
}

/* A stable merge sort of rows by (key, rin): qsort has no context for the comparison,
 * which needs x (text of dictionary ids, a time's zone). */
static int sort_rows(exec *x, rrow *v, size_t n)
{
    rrow *t = shoal_malloc((n ? n : 1) * sizeof *t);
    if (!t) return nomem(x);
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, o = lo;
            while (i < mid && j < hi) t[o++] = rcmp(x, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid) t[o++] = v[i++];
            while (j < hi) t[o++] = v[j++];
        }
        memcpy(v, t, n * sizeof *v);
    }
    shoal_free(t);
    return 0;
}

/* The first position in [lo, hi) whose rin is > o (upper) or >= o (!upper). */
static size_t bound(exec *x, const rrow *v, size_t lo, size_t hi, const qval *o, int upper)
{
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        int k = 0;
        shoal_val_cmp(x, &v[m].r, o, &k);
        if (upper ? k <= 0 : k < 0) lo = m + 1;
        else hi = m;
    }
    return lo;
}

static int is_number(const qval *v) { return v->t == V_INT || v->t == V_NUM || v->t == V_BOOL; }

/* args: the outer keys, the range's outer values, then (IN) x. */
static void range_eval(exec *x, qval *a, int n, qval *out)
{
    rng *g = (rng *)x->fn_ctx;
    const corr *c = g->c;
    int w = c->k.n_keys, neg = c->k.negated, nr = c->k.n_range;
    qval k[SHOAL_CORR_MAX + 1];
    int has = n >= w + nr ? keys_of(x, a, w, k) : 0;
    long gi = has > 0 ? tfind(&c->keys, k) : -1;
    size_t lo = 0, hi = 0, hl = 0, hh = 0;   /* the run [lo, hi), less the hole [hl, hh) */
    if (gi >= 0) {
        lo = g->start[gi], hi = g->start[gi + 1];
        for (int i = 0; i < nr && lo < hi; i++) {
            const qval *o = &a[w + i];
            if (o->t == V_NULL) { hi = lo; break; }   /* a comparison with NULL holds for no row */
            switch (c->k.rop[i]) {
            case SHOAL_OP_LT: hi = bound(x, g->rows, lo, hi, o, 0); break;
            case SHOAL_OP_LE: hi = bound(x, g->rows, lo, hi, o, 1); break;
            case SHOAL_OP_GT: lo = bound(x, g->rows, lo, hi, o, 1); break;
            case SHOAL_OP_GE: lo = bound(x, g->rows, lo, hi, o, 0); break;
            default:          /* <>: the equal ones, cut from the run at the end */
                hl = bound(x, g->rows, g->start[gi], g->start[gi + 1], o, 0);
                hh = bound(x, g->rows, hl, g->start[gi + 1], o, 1);
            }
        }
        if (hi < lo) hi = lo;
        if (hl < lo) hl = lo;
        if (hh > hi) hh = hi;
        if (hh < hl) hh = hl;
    }
    size_t len = (hi - lo) - (hh - hl);
    if (c->k.kind == SHOAL_CORR_EXISTS) {
        *out = boolv(len > 0);
        return;
    }
    if (c->k.kind == SHOAL_CORR_VALUE && c->k.fn == 'c') {
        size_t nn = c->k.star ? len : (g->nonnull[hi] - g->nonnull[lo]) - (g->nonnull[hh] - g->nonnull[hl]);
        *out = (qval){.t = V_INT, .u.i = (int64_t)nn};
        return;
    }
    /* the others examine the run's rows */
    unsigned long long seen = atomic_fetch_add(&g->examined, (unsigned long long)len) + len;
    if (seen > SHOAL_CORR_EXAMINE_MAX) {
        shoal_err_set(x->err, SHOAL_ERANGE, g->off, g->len,
                      "this correlated subquery on a range would examine more than %llu of its rows over the outer rows: "
                      "narrow it with an equality (inner = outer.column), or join",
                      (unsigned long long)SHOAL_CORR_EXAMINE_MAX);
        *out = t_null;
        return;
    }
    if (c->k.kind == SHOAL_CORR_IN) {
        qval xv, vv;
        if (!len) { *out = boolv(neg); return; }
        if (shoal_join_key(x, &a[w + nr], &xv) <= 0) { *out = t_null; return; }
        int null_seen = 0;
        for (size_t i = lo; i < hi; i++) {
            if (i >= hl && i < hh) { i = hh - 1; continue; }
            int hv = shoal_join_key(x, &g->rows[i].v, &vv);
            if (hv <= 0) null_seen = 1;
            else if (shoal_val_same(&xv, &vv)) { *out = boolv(!neg); return; }
        }
        *out = null_seen ? t_null : boolv(neg);
        return;
    }
    /* sum, avg, min, max over the values not NULL */
    int64_t isum = 0;
    double dsum = 0;
    int dbl = 0, over = 0;
    size_t cnt = 0;
    const qval *best = NULL;
    for (size_t i = lo; i < hi; i++) {
        if (i >= hl && i < hh) { i = hh - 1; continue; }
        const qval *v = &g->rows[i].v;
        if (v->t == V_NULL) continue;
        if (c->k.fn == 'm' || c->k.fn == 'M') {
            int kk = 0;
            if (!best || (shoal_val_cmp(x, v, best, &kk) == 0 && (c->k.fn == 'm' ? kk < 0 : kk > 0))) best = v;
            continue;
        }
        if (!is_number(v)) continue;
        cnt++;
        if (v->t == V_NUM) dbl = 1, dsum += v->u.d;
        else if (!over && __builtin_add_overflow(isum, v->u.i, &isum)) over = 1;
        if (v->t != V_NUM) dsum += (double)v->u.i;
    }
    if (c->k.fn == 'm' || c->k.fn == 'M') {
        *out = best ? *best : t_null;
        return;
    }
    if (!cnt) { *out = t_null; return; }
    if (c->k.fn == 'a') *out = (qval){.t = V_NUM, .u.d = dsum / (double)cnt};
    else if (dbl || over) *out = (qval){.t = V_NUM, .u.d = dsum};
    else *out = (qval){.t = V_INT, .u.i = isum};
}

static int range_init(exec *x, cx *e, plan *ip, corr *c)
{
    rng *g = zalloc(x, sizeof *g);
    if (!g) return SHOAL_ENOMEM;
    g->c = c;
    g->has_v = c->k.kind != SHOAL_CORR_EXISTS;
    g->off = e->off;
    g->len = e->len;
    atomic_init(&g->examined, 0);
    int rc = shoal_rowsrc_run_inner(x, ip, take_range, g);
    if (!rc) rc = sort_rows(x, g->rows, g->n);
    size_t nk = c->keys.n;
    if (!rc && (!(g->start = zalloc(x, (nk + 1) * sizeof *g->start)) ||
                !(g->nonnull = zalloc(x, (g->n + 1) * sizeof *g->nonnull))))
        rc = SHOAL_ENOMEM;
    if (!rc) {
        /* rows sorted by key: each key's first row, and the running count of values */
        size_t r = 0;
        for (size_t kk = 0; kk <= nk; kk++) {
            while (r < g->n && g->rows[r].g < kk) r++;
            g->start[kk] = (uint32_t)r;
        }
        for (size_t i = 0; i < g->n; i++) g->nonnull[i + 1] = g->nonnull[i] + (g->rows[i].v.t != V_NULL);
        /* the rows live as long as the statement: moved into its arena */
        rrow *kept = shoal_arena_alloc(x->a, (g->n ? g->n : 1) * sizeof *kept);
        if (!kept) rc = SHOAL_ENOMEM;
        else if (g->n) memcpy(kept, g->rows, g->n * sizeof *kept);
        shoal_free(g->rows);
        g->rows = kept;
    } else {
        shoal_free(g->rows);
        g->rows = NULL;
    }
    if (rc) return rc == SHOAL_ENOMEM && !x->err->code ? nomem(x) : rc;
    int w = c->k.n_keys, nr = c->k.n_range, n = w + nr + (c->k.kind == SHOAL_CORR_IN);
    cx **v = zalloc(x, sizeof(cx *) * (size_t)n);
    if (!v) return SHOAL_ENOMEM;
    for (int i = 0; i < w + nr; i++) v[i] = e->v[i];
    if (c->k.kind == SHOAL_CORR_IN) v[w + nr] = e->a;
    e->op = X_FUNC;
    e->v = v;
    e->n = n;
    e->fn = range_eval;
    e->ctx = g;
    e->a = NULL;
    return 0;
}

int shoal_corr_init(exec *x, cx *e, plan *ip, const shoal_corr *k)
{
    corr *c = zalloc(x, sizeof *c);
    if (!c) return SHOAL_ENOMEM;
    c->k = *k;
    if (k->n_range) {
        c->keys.w = k->n_keys;
        return range_init(x, e, ip, c);
    }
    c->keys.w = k->n_keys;
    c->pairs.w = k->n_keys + 1;
    int rc = shoal_rowsrc_run_inner(x, ip, take, c);
    if (rc == 1) rc = 0;
    if (rc) return rc;
    c->none.t = k->count ? V_INT : V_NULL;
    /* e->v: the outer keys, then IN's x (e->a) */
    int n = k->n_keys + (k->kind == SHOAL_CORR_IN);
    cx **v = zalloc(x, sizeof(cx *) * (size_t)n);
    if (!v) return SHOAL_ENOMEM;
    for (int i = 0; i < k->n_keys; i++) v[i] = e->v[i];
    if (k->kind == SHOAL_CORR_IN) v[k->n_keys] = e->a;
    e->op = X_FUNC;
    e->v = v;
    e->n = n;
    e->fn = corr_eval;
    e->ctx = c;
    e->a = NULL;
    return 0;
}
