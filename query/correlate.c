/* correlate.c — a correlated subquery as a value, `(SELECT agg(…) FROM … WHERE inner =
 * outer.column [AND …])`, run once: grouped by its correlation (`SELECT inner, agg(…)
 * FROM … WHERE … GROUP BY inner`), its rows hashed by that key, and the subquery's
 * value for each outer row looked up by the outer column's value (count's is 0 where no
 * row matches, the others' NULL, as SQL gives over no rows). Other correlated subqueries
 * stay refused (plan.c's message) — an IN (SELECT …), a correlation other than one
 * equality, a subquery that is not one aggregate.
 */
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

/* Splits w's AND-ed conditions into the one correlation (*key_in = *key_out) and the
 * rest; -1 when the correlation is not one equality of that kind. */
static int split(exec *x, const shoal_stmt *q, shoal_node *w, shoal_node **rest, const shoal_node **in,
                 const shoal_node **out)
{
    if (!w) return 0;
    if (w->kind == SHOAL_AST_BINOP && w->op == SHOAL_OP_AND)
        return split(x, q, w->a, rest, in, out) < 0 || split(x, q, w->b, rest, in, out) < 0 ? -1 : 0;
    if (!outer_refs(x, q, w)) {
        if (!(*rest = shoal_rowsrc_and(x, *rest, w))) return -2;
        return 0;
    }
    if (*in || w->kind != SHOAL_AST_BINOP || w->op != SHOAL_OP_EQ) return -1;
    if (only_outer(x, q, w->b) && !outer_refs(x, q, w->a)) *in = w->a, *out = w->b;
    else if (only_outer(x, q, w->a) && !outer_refs(x, q, w->b)) *in = w->b, *out = w->a;
    else return -1;
    return 0;
}

int shoal_corr_plan(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip, const shoal_node **outer_key,
                    int *count)
{
    const shoal_stmt *q = n->sub;
    if (n->kind != SHOAL_AST_SUBQ || !q->where || q->group || q->having || q->order || q->limit || q->per || q->joins ||
        q->with || !q->cols || q->cols->next || q->cols->expr->kind != SHOAL_AST_CALL || q->cols->expr->over)
        return 0;
    const char *fn = q->cols->expr->s;
    if (strcasecmp(fn, "count") && strcasecmp(fn, "sum") && strcasecmp(fn, "avg") && strcasecmp(fn, "min") &&
        strcasecmp(fn, "max"))
        return 0;
    shoal_outer o = {st, p, x->outer};
    const shoal_outer *saved = x->outer;
    x->outer = &o;
    shoal_node *rest = NULL;
    const shoal_node *in = NULL, *out = NULL;
    int rc = split(x, q, q->where, &rest, &in, &out);
    x->outer = saved;
    if (rc == -2) return SHOAL_ENOMEM;
    if (rc < 0 || !in || outer_refs(x, q, q->cols->expr)) return 0;
    /* SELECT in, agg FROM … WHERE rest GROUP BY in, with the outer statement's AS OF */
    shoal_stmt *g = zalloc(x, sizeof *g);
    shoal_item *k = zalloc(x, sizeof *k), *v = zalloc(x, sizeof *v), *gb = zalloc(x, sizeof *gb);
    if (!g || !k || !v || !gb) return SHOAL_ENOMEM;
    *g = *q;
    k->expr = (shoal_node *)in;
    *v = *q->cols;
    v->next = NULL;
    k->next = v;
    gb->expr = (shoal_node *)in;
    g->cols = k;
    g->where = rest;
    g->group = gb;
    if (!g->asof_date && !g->asof_seq) {
        g->asof_date = st->asof_date;
        g->asof_seq = st->asof_seq;
        g->asof_off = st->asof_off;
        g->asof_len = st->asof_len;
    }
    x->outer = &o;
    rc = shoal_rowsrc_plan_inner(x, g, ip);
    x->outer = saved;
    if (rc) return rc;
    if ((*ip)->n_cols != 2 || (*ip)->cols[1]->op != X_AGG) return 0;   /* a per-member aggregate: not one value */
    *outer_key = out;
    *count = !strcasecmp(fn, "count");
    return 1;
}

/* The grouped rows, hashed by their key. */
typedef struct corr {
    qval *keys, *vals;
    uint32_t *next, *bucket;
    size_t n, cap, mask;
    qval none;                    /* the value where no row matches */
} corr;

static int take(exec *x, const qval *cols, int n, void *ctx)
{
    corr *c = ctx;
    if (n != 2) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a correlated subquery's row has %d columns", n);
    qval k;
    int has = shoal_join_key(x, &cols[0], &k);
    if (has < 0) return x->err->code;
    if (!has) return 0;   /* a NULL key equals no outer value */
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        qval *a = shoal_arena_alloc(x->a, nc * sizeof *a), *b = shoal_arena_alloc(x->a, nc * sizeof *b);
        if (!a || !b) return nomem(x);
        if (c->n) memcpy(a, c->keys, c->n * sizeof *a), memcpy(b, c->vals, c->n * sizeof *b);
        c->keys = a;
        c->vals = b;
        c->cap = nc;
    }
    c->keys[c->n] = k;
    c->vals[c->n] = cols[1];
    if (shoal_val_keep(x, &c->keys[c->n]) || shoal_val_keep(x, &c->vals[c->n])) return x->err->code;
    c->n++;
    return 0;
}

static void corr_eval(exec *x, qval *a, int n, qval *out)
{
    const corr *c = x->fn_ctx;
    qval k;
    *out = c->none;
    if (n < 1 || shoal_join_key(x, &a[0], &k) <= 0 || !c->n) return;
    for (uint32_t i = c->bucket[shoal_val_hash(&k) & c->mask]; i; i = c->next[i - 1])
        if (shoal_val_same(&k, &c->keys[i - 1])) {
            *out = c->vals[i - 1];
            return;
        }
}

int shoal_corr_init(exec *x, cx *e, plan *ip, int count)
{
    corr *c = zalloc(x, sizeof *c);
    if (!c) return SHOAL_ENOMEM;
    int rc = shoal_rowsrc_run_inner(x, ip, take, c);
    if (rc) return rc;
    size_t size = 16;
    while (size < c->n * 2) size *= 2;
    c->mask = size - 1;
    if (!(c->bucket = zalloc(x, size * sizeof *c->bucket)) || !(c->next = zalloc(x, (c->n + 1) * sizeof *c->next)))
        return SHOAL_ENOMEM;
    for (size_t i = c->n; i-- > 0;) {
        size_t b = shoal_val_hash(&c->keys[i]) & c->mask;
        c->next[i] = c->bucket[b];
        c->bucket[b] = (uint32_t)i + 1;
    }
    c->none.t = count ? V_INT : V_NULL;
    cx **v = zalloc(x, sizeof(cx *));
    if (!v) return SHOAL_ENOMEM;
    v[0] = e->a;
    e->op = X_FUNC;
    e->v = v;
    e->n = 1;
    e->fn = corr_eval;
    e->ctx = c;
    e->a = NULL;
    return 0;
}
