/* merge.c — a SELECT over a derived table or a WITH query, written as one flat SELECT.
 *
 * `WITH t AS (SELECT member, tier FROM tiers(p)) SELECT tier, count(*) FROM t GROUP BY
 * tier` means `SELECT tier, count(*) FROM tiers(p) GROUP BY tier`. When the inner SELECT
 * only projects and filters its source (events, members, tiers(name), a row source:
 * no grouping, row aggregate, window, ORDER BY, LIMIT, PER or subquery), the outer
 * SELECT's clauses are rewritten over that source: each of its names of an inner
 * column becomes the column's expression, its WHERE is AND-ed to the inner's, and the
 * result is planned as any flat statement (plan.c), so views answer, members alike are
 * one row and the scan is split just as for the statement written flat. Otherwise (and
 * when the merged statement does not plan) the inner rows stream into the outer SELECT
 * as before (subquery.c).
 *
 * The rewrite must mean exactly what the two statements meant, so it refuses whatever
 * a name could resolve to differently in one statement than in two (plan.c resolves a
 * bare name against the select list's aliases too): an outer alias that is also an
 * inner column; an inner expression's name that an outer select item's name would now
 * capture, or that relied on an inner alias; two outer items of one name; a name read
 * outside that is both an outer alias and an inner column; a name the
 * outer SELECT reads that is not an inner column (but an alias after grouping); an
 * outer aggregate that over members would become a per-member one (count(tier));
 * subqueries anywhere, AS OF on both sides, DURING or PER outside, and a statement
 * that is itself a subquery of another (its names may be correlated references).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "merge.h"
#include "subquery.h"

typedef struct mctx {
    exec *x;
    const shoal_stmt *st;        /* the outer SELECT */
    const shoal_stmt *q;         /* the inner one */
    const char *qual, *qual2;    /* what the outer SELECT calls its source (t.column) */
    int n;                       /* the inner columns: names and expressions */
    const char **names;
    shoal_node **exprs;
    int post;                    /* rewriting an expression read after grouping */
    const char *why;             /* the first reason not to merge */
    int nomem;
    shoal_node **aggs;           /* the outer aggregates, rewritten: over rows they must stay */
    int n_aggs, cap_aggs;
    const shoal_stmt *r;         /* the merged statement */
    int types;                   /* walk: skip a per-member aggregate's event types */
} mctx;

static void *zalloc(mctx *m, size_t n)
{
    void *p = shoal_arena_alloc(m->x->a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    else m->nomem = 1;
    return p;
}

static shoal_node *refuse(mctx *m, const char *why)
{
    if (!m->why) m->why = why;
    return NULL;
}

static char *fmt_why(mctx *m, const char *fmt, const char *s)
{
    char *b = zalloc(m, 200);
    if (b) snprintf(b, 200, fmt, s);
    return b;
}

static int event_column(const char *s)
{
    return !strcasecmp(s, "seq") || !strcasecmp(s, "ts") || !strcasecmp(s, "member") || !strcasecmp(s, "type") ||
           !strcasecmp(s, "group");
}

/* A select item's name, as plan.c's item_name gives it. */
static const char *item_name(mctx *m, const shoal_item *it)
{
    if (it->alias) return it->alias;
    const shoal_node *n = it->expr;
    if (n->kind == SHOAL_AST_NAME) return n->s;
    if (n->kind == SHOAL_AST_DOT) return n->s2;
    char *s = shoal_arena_strndup(m->x->a, m->x->src + n->off, (size_t)n->len);
    if (!s) m->nomem = 1;
    return s ? s : "?";
}

/* The inner column called name: its index, -1 when none, -2 when two are. */
static int column(const mctx *m, const char *name)
{
    int k = -1;
    for (int i = 0; i < m->n; i++)
        if (!strcasecmp(m->names[i], name)) {
            if (k >= 0) return -2;
            k = i;
        }
    return k;
}

static const shoal_item *explicit_alias(const shoal_stmt *st, const char *name)
{
    for (const shoal_item *it = st->cols; it; it = it->next)
        if (it->alias && !strcasecmp(it->alias, name)) return it;
    return NULL;
}

static int is_agg(const shoal_node *n)
{
    if (n->kind != SHOAL_AST_CALL || n->s2) return 0;
    const func *f = shoal_func_find(n->s);
    return f && f->agg;
}

static shoal_node *subst(mctx *m, const shoal_node *n);

/* A copy of n, to hang in a list of its own (a list links its nodes through next). */
static shoal_node *own(mctx *m, const shoal_node *n)
{
    shoal_node *c = zalloc(m, sizeof *c);
    if (c) *c = *n;
    if (c) c->next = NULL;
    return c;
}

static shoal_nlist *subst_list(mctx *m, const shoal_nlist *l)
{
    if (!l) return NULL;
    shoal_nlist *r = zalloc(m, sizeof *r);
    if (!r) return NULL;
    for (const shoal_node *p = l->head; p; p = p->next) {
        shoal_node *e = subst(m, p);
        if (!e || !(e = own(m, e))) return NULL;
        if (r->tail) r->tail->next = e;
        else r->head = e;
        r->tail = e;
        r->n++;
    }
    return r;
}

static shoal_item *subst_items(mctx *m, const shoal_item *it)
{
    shoal_item *first = NULL, *last = NULL;
    for (; it; it = it->next) {
        shoal_item *c = zalloc(m, sizeof *c);
        if (!c) return NULL;
        *c = *it;
        c->next = NULL;
        if (!(c->expr = subst(m, it->expr))) return NULL;
        if (last) last->next = c;
        else first = c;
        last = c;
    }
    return first;
}

/* The outer name n (a column of the inner SELECT, or, after grouping, an alias of the
 * outer one): what it stands for in the merged statement. */
static shoal_node *subst_name(mctx *m, const shoal_node *n, const char *name)
{
    int k = column(m, name);
    const shoal_item *al = explicit_alias(m->st, name);
    /* a name that is an inner column and an outer alias (of another value) reads the
     * alias after grouping (plan.c), the column before */
    if (m->post && k != -1 && al && !(al->expr->kind == SHOAL_AST_NAME && !strcasecmp(al->expr->s, name)))
        return refuse(m, fmt_why(m, "\"%s\" is an outer alias and one of its columns", name));
    if (k >= 0) return m->exprs[k];
    if (k == -2) return refuse(m, fmt_why(m, "two of its columns are called \"%s\"", name));
    /* after grouping a name may be an alias of the select list, resolved alike in the
     * merged statement (its items keep their aliases) */
    if (m->post && n->kind == SHOAL_AST_NAME && !event_column(name) && al)
        return (shoal_node *)n;
    return refuse(m, fmt_why(m, "\"%s\" is not one of its columns", name));
}

static shoal_node *subst(mctx *m, const shoal_node *n)
{
    if (!n) return NULL;
    if (m->why || m->nomem) return NULL;
    switch (n->kind) {
    case SHOAL_AST_NAME: return subst_name(m, n, n->s);
    case SHOAL_AST_DOT:
        if ((m->qual && !strcasecmp(n->s, m->qual)) || (m->qual2 && !strcasecmp(n->s, m->qual2)))
            return subst_name(m, n, n->s2);
        return refuse(m, fmt_why(m, "\"%s\" is not its name", n->s));
    case SHOAL_AST_SUBQ:
    case SHOAL_AST_INSUB: return refuse(m, "the outer SELECT holds a subquery");
    case SHOAL_AST_INLAYER: return refuse(m, "the outer SELECT tests a layer");
    case SHOAL_AST_STAR: return refuse(m, "\"*\" inside an expression");
    case SHOAL_AST_INT: case SHOAL_AST_NUM: case SHOAL_AST_STR: case SHOAL_AST_TSLIT: case SHOAL_AST_BOOL:
    case SHOAL_AST_NULL: case SHOAL_AST_DURATION:
        return (shoal_node *)n;
    default: break;
    }
    shoal_node *c = zalloc(m, sizeof *c);
    if (!c) return NULL;
    *c = *n;
    c->next = NULL;
    if (n->kind == SHOAL_AST_CALL) {
        if (n->win || n->anc || n->filter) return refuse(m, "an aggregate outside has DURING, WITHIN or WHERE");
        int agg = is_agg(n) && !n->over, post = m->post;
        /* an aggregate's argument and FILTER are read per row, before grouping */
        if (agg) m->post = 0;
        c->list = subst_list(m, n->list);
        if (n->fwhere) c->fwhere = subst(m, n->fwhere);
        m->post = post;
        if ((n->list && !c->list) || (n->fwhere && !c->fwhere)) return NULL;
        if (n->over) {
            shoal_over *o = zalloc(m, sizeof *o);
            if (!o) return NULL;
            *o = *n->over;
            if ((n->over->part && !(o->part = subst_items(m, n->over->part))) ||
                (n->over->order && !(o->order = subst_items(m, n->over->order))))
                return NULL;
            c->over = o;
        }
        if (agg) {
            if (m->n_aggs == m->cap_aggs) {
                int nc = m->cap_aggs ? 2 * m->cap_aggs : 8;
                shoal_node **a = zalloc(m, sizeof *a * (size_t)nc);
                if (!a) return NULL;
                if (m->n_aggs) memcpy(a, m->aggs, sizeof *a * (size_t)m->n_aggs);
                m->aggs = a;
                m->cap_aggs = nc;
            }
            m->aggs[m->n_aggs++] = c;
        }
        return c;
    }
    if ((n->a && !(c->a = subst(m, n->a))) || (n->b && !(c->b = subst(m, n->b))) || (n->c && !(c->c = subst(m, n->c))))
        return NULL;
    if (n->list && !(c->list = subst_list(m, n->list))) return NULL;
    return c;
}

/* ---------------------------------------------------------------- the inner SELECT */

/* Calls fn on every node of n (names and qualified names included). */
static int walk(const shoal_node *n, int (*fn)(mctx *, const shoal_node *), mctx *m)
{
    if (!n) return 0;
    if (fn(m, n)) return 1;
    if (walk(n->a, fn, m) || walk(n->b, fn, m) || walk(n->c, fn, m) || walk(n->filter, fn, m) || walk(n->fwhere, fn, m))
        return 1;
    if (n->anc && walk(n->anc->call, fn, m)) return 1;
    /* a per-member aggregate's bare arguments are event types (count(essence)) and
     * TYPE.property, never read as columns or aliases */
    int types = m->types && is_agg(n) && !(n->flags & SHOAL_AST_F_DISTINCT) && shoal_plan_member_agg(m->x, m->q, n);
    if (n->list)
        for (const shoal_node *p = n->list->head; p; p = p->next)
            if (!(types && (p->kind == SHOAL_AST_NAME || p->kind == SHOAL_AST_DOT)) && walk(p, fn, m)) return 1;
    if (n->over) {
        for (const shoal_item *it = n->over->part; it; it = it->next)
            if (walk(it->expr, fn, m)) return 1;
        for (const shoal_item *it = n->over->order; it; it = it->next)
            if (walk(it->expr, fn, m)) return 1;
    }
    return 0;
}

/* Inner nodes that keep it from being merged: aggregates over its rows, windows,
 * subqueries, and names that were (or would become) aliases. */
static int inner_node(mctx *m, const shoal_node *n)
{
    if (n->kind == SHOAL_AST_SUBQ || n->kind == SHOAL_AST_INSUB) return refuse(m, "it holds a subquery"), 1;
    if (n->kind == SHOAL_AST_STAR) return refuse(m, "it selects \"*\""), 1;
    if (n->kind == SHOAL_AST_CALL && n->over) return refuse(m, "it has a window function"), 1;
    if (is_agg(n) && !shoal_plan_member_agg(m->x, m->q, n)) return refuse(m, "it aggregates its rows"), 1;
    const char *name = n->kind == SHOAL_AST_NAME ? n->s : n->kind == SHOAL_AST_DOT ? n->s2 : NULL;
    if (!name) return 0;
    /* an alias of its own, which the merged statement no longer has */
    for (const shoal_item *it = m->q->cols; it; it = it->next)
        if (it->alias && !strcasecmp(it->alias, name) &&
            !(it->expr->kind == SHOAL_AST_NAME && !strcasecmp(it->expr->s, name)))
            return refuse(m, fmt_why(m, "it reads its own alias \"%s\"", name)), 1;
    return 0;
}

/* ---------------------------------------------------------------- the merge */

static const shoal_stmt *inner_of(exec *x, const shoal_stmt *st, const char **what)
{
    if (st->from_sub) {
        *what = "subquery";
        return st->from_sub;
    }
    const shoal_cte *c = !st->from_arg && st->from ? shoal_subq_cte(x, st->from) : NULL;
    *what = "WITH query";
    return c ? c->q : NULL;
}

static int contains_subquery(mctx *m, const shoal_node *n)
{
    (void)m;
    return n->kind == SHOAL_AST_SUBQ || n->kind == SHOAL_AST_INSUB;
}

static int row_agg(mctx *m, const shoal_node *n)
{
    (void)m;
    return is_agg(n) && !n->over;
}

/* An inner expression's name that a merged select item's name would take. */
static int captured(mctx *m, const shoal_node *n)
{
    const char *name = n->kind == SHOAL_AST_NAME ? n->s : n->kind == SHOAL_AST_DOT ? n->s2 : NULL;
    if (!name) return 0;
    for (const shoal_item *it = m->r->cols; it; it = it->next)
        if (it->alias && !strcasecmp(it->alias, name) &&
            !(it->expr->kind == SHOAL_AST_NAME && !strcasecmp(it->expr->s, name))) {
            refuse(m, fmt_why(m, "the outer name \"%s\" would take a name of its columns' expressions", name));
            return 1;
        }
    return 0;
}

static const shoal_stmt *merge(mctx *m)
{
    exec *x = m->x;
    const shoal_stmt *st = m->st, *q = m->q;
    if (x->outer) return (void *)refuse(m, "the SELECT around it is itself a subquery");
    if (st->joins || st->per || st->during || st->from_n)
        return (void *)refuse(m, "the outer SELECT has JOIN, PER or DURING");
    if (q->with || q->joins || q->from_sub || q->per || !q->from)
        return (void *)refuse(m, "it reads WITH queries, a JOIN, a subquery or PER");
    if (q->group || q->having || q->order || q->limit || q->offset || q->windows)
        return (void *)refuse(m, "it has GROUP BY, HAVING, ORDER BY, LIMIT or WINDOW");
    if ((q->asof_date || q->asof_seq) && (st->asof_date || st->asof_seq))
        return (void *)refuse(m, "both SELECTs have AS OF");
    if (shoal_subq_cte(x, q->from) || shoal_subq_later(x, q->from))
        return (void *)refuse(m, "its source is a WITH query");
    for (const shoal_item *it = st->cols; it; it = it->next)
        if (walk(it->expr, contains_subquery, m)) return (void *)refuse(m, "the outer SELECT holds a subquery");
    if (walk(st->where, contains_subquery, m) || walk(st->having, contains_subquery, m))
        return (void *)refuse(m, "the outer SELECT holds a subquery");

    /* the inner columns */
    for (const shoal_item *it = q->cols; it; it = it->next) m->n++;
    m->names = zalloc(m, sizeof(char *) * (size_t)(m->n + 1));
    m->exprs = zalloc(m, sizeof(shoal_node *) * (size_t)(m->n + 1));
    if (!m->names || !m->exprs) return NULL;
    int i = 0;
    m->types = 1;
    for (const shoal_item *it = q->cols; it; it = it->next, i++) {
        if (walk(it->expr, inner_node, m)) return NULL;
        m->names[i] = item_name(m, it);
        m->exprs[i] = it->expr;
    }
    if (walk(q->where, inner_node, m)) return NULL;
    m->types = 0;

    /* over rows every aggregate (but a window function) groups them */
    int grouped = st->group || st->having;
    for (const shoal_item *it = st->cols; it && !grouped; it = it->next) grouped = walk(it->expr, row_agg, m);
    for (const shoal_item *it = st->order; it && !grouped; it = it->next) grouped = walk(it->expr, row_agg, m);

    shoal_stmt *r = zalloc(m, sizeof *r);
    if (!r) return NULL;
    *r = *st;
    r->with = NULL;
    r->from = q->from, r->from_off = q->from_off, r->from_len = q->from_len;
    r->from_arg = q->from_arg, r->from_arg_off = q->from_arg_off, r->from_arg_len = q->from_arg_len;
    r->from_n = q->from_n;
    r->from_sub = NULL;
    r->from_alias = 0;
    r->alias = q->alias, r->alias_off = q->alias_off, r->alias_len = q->alias_len;
    r->during = q->during;
    r->windows = NULL;   /* resolved into each OVER already (plan.c's named_windows) */
    if (q->asof_date || q->asof_seq) {
        r->asof_date = q->asof_date, r->asof_seq = q->asof_seq;
        r->asof_off = q->asof_off, r->asof_len = q->asof_len;
    }

    /* the select list: * is the inner columns; every item keeps its name */
    shoal_item *first = NULL, *last = NULL;
    int n_cols = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) {
        if (it->expr->kind == SHOAL_AST_STAR) {
            if (grouped) return (void *)refuse(m, "\"*\" with grouping");
            for (const shoal_item *jt = q->cols; jt; jt = jt->next) {
                shoal_item *c = zalloc(m, sizeof *c);
                if (!c) return NULL;
                *c = *jt;
                c->next = NULL;
                c->alias = item_name(m, jt);
                if (last) last->next = c;
                else first = c;
                last = c;
                n_cols++;
            }
            continue;
        }
        shoal_item *c = zalloc(m, sizeof *c);
        if (!c) return NULL;
        *c = *it;
        c->next = NULL;
        m->post = grouped;
        if (!(c->expr = subst(m, it->expr))) return NULL;
        if (!it->alias) {
            /* its name as written outside, kept as an alias: two items of one name
             * could then be told apart differently */
            c->alias = item_name(m, it);
            c->alias_off = it->expr->off;
            c->alias_len = it->expr->len;
            if (explicit_alias(st, c->alias))
                return (void *)refuse(m, fmt_why(m, "two outer items are called \"%s\"", c->alias));
        }
        if (last) last->next = c;
        else first = c;
        last = c;
        n_cols++;
    }
    r->cols = first;
    r->n_cols = n_cols;

    /* WHERE: the inner's, then the outer's */
    m->post = 0;
    shoal_node *w = st->where ? subst(m, st->where) : NULL;
    if (st->where && !w) return NULL;
    if (w && q->where) {
        shoal_node *and = zalloc(m, sizeof *and);
        if (!and) return NULL;
        and->kind = SHOAL_AST_BINOP;
        and->op = SHOAL_OP_AND;
        and->a = q->where;
        and->b = w;
        and->off = st->where->off;
        and->len = st->where->len;
        and->depth = (q->where->depth > w->depth ? q->where->depth : w->depth) + 1;
        r->where = and;
    } else {
        r->where = w ? w : q->where;
    }

    /* GROUP BY and ORDER BY: a bare alias or a position stays (plan.c reads it as the
     * select item, in the merged statement as here) */
    shoal_item *g_first = NULL, *g_last = NULL;
    for (int pass = 0; pass < 2; pass++) {
        g_first = g_last = NULL;
        for (const shoal_item *it = pass ? st->order : st->group; it; it = it->next) {
            shoal_item *c = zalloc(m, sizeof *c);
            if (!c) return NULL;
            *c = *it;
            c->next = NULL;
            const shoal_node *e = it->expr;
            m->post = pass ? grouped : 0;
            if (e->kind == SHOAL_AST_INT || (e->kind == SHOAL_AST_NAME && explicit_alias(st, e->s)))
                c->expr = (shoal_node *)e;
            else if (!(c->expr = subst(m, e)))
                return NULL;
            if (g_last) g_last->next = c;
            else g_first = c;
            g_last = c;
        }
        if (pass) r->order = g_first;
        else r->group = g_first;
    }
    m->post = 1;
    if (st->having && !(r->having = subst(m, st->having))) return NULL;

    /* Over members an aggregate of a name other than member (count(tier)) is a
     * per-member one: outside it counted rows. */
    for (int k = 0; k < m->n_aggs; k++)
        if (shoal_plan_member_agg(x, r, m->aggs[k])) return (void *)refuse(m, "an outer aggregate would read events");

    /* Names of the inner expressions must not be captured by the merged items' names
     * (plan.c reads a name as a select item's alias when no column has it). */
    m->r = r;
    m->types = 1;
    for (int k = 0; k < m->n; k++)
        if (walk(m->exprs[k], captured, m)) return NULL;
    if (walk(q->where, captured, m)) return NULL;
    return r;
}

int shoal_merge_select(exec *x, const shoal_stmt *st, const shoal_stmt **out, const char **what, const char **why)
{
    *out = NULL;
    *why = NULL;
    *what = NULL;
    const char *kind;
    const shoal_stmt *q = inner_of(x, st, &kind);
    if (!q) return 0;
    /* A chain: the inner SELECT reads a WITH query or a subquery of its own. It is merged
     * with that first (and that with its own, to any depth), under the WITH queries it
     * sees, and the outer SELECT is merged with the result; each level only picks and
     * filters, so the flat SELECT means what the chain did. */
    const char *inner_what = NULL, *inner_why = NULL;
    if (!q->with && !x->outer && (q->from_sub || (!q->from_arg && q->from && shoal_subq_cte(x, q->from)))) {
        /* q sees: a derived table, the statement's WITH queries; a WITH query, those before it */
        const shoal_scope *saved = x->scope, *sc = st->from_sub ? x->scope : shoal_subq_cte_scope(x, st->from);
        if (!sc && !st->from_sub) return SHOAL_ENOMEM;
        x->scope = sc;
        const shoal_stmt *q2;
        int rc = shoal_merge_select(x, q, &q2, &inner_what, &inner_why);
        x->scope = saved;
        if (rc) return rc;
        if (q2) q = q2;
    }
    mctx m;
    memset(&m, 0, sizeof m);
    m.x = x;
    m.st = st;
    m.q = q;
    /* FROM p AS q: q names the source and p is hidden (SQL's rule): p.column is not
     * merged, and the statement as written reports it */
    m.qual = st->alias ? NULL : st->from;
    m.qual2 = st->alias;
    char *w = shoal_arena_alloc(x->a, 200);
    if (!w) return SHOAL_ENOMEM;
    if (st->from_sub && st->from_alias != 1) snprintf(w, 200, "the subquery");
    else snprintf(w, 200, "%s \"%.100s\"", kind, st->from);
    if (inner_what) {
        /* the chain, outermost first: WITH query "b" over WITH query "a" */
        size_t k = strlen(w);
        snprintf(w + k, 200 - k, " over %s", inner_what);
    }
    *what = w;
    /* the checks read the views' names (a score is a member's column): an error there
     * is not the statement's, only a reason not to merge */
    shoal_err saved;
    int had = x->err && x->err->code;
    if (x->err) saved = *x->err;
    const shoal_stmt *r = merge(&m);
    if (x->err && !had && x->err->code) {
        *x->err = saved;
        r = NULL;
        if (!m.why) m.why = "a name could not be read";
    }
    if (m.nomem) return SHOAL_ENOMEM;
    *out = r;
    *why = r ? NULL : m.why ? m.why : "it cannot be";
    if (!r && inner_why && m.why &&
        (!strcmp(m.why, "its source is a WITH query") || !strcmp(m.why, "it reads WITH queries, a JOIN, a subquery or PER"))) {
        /* a chain whose inner link did not merge: say why that one did not */
        char *b = shoal_arena_alloc(x->a, 240);
        if (!b) return SHOAL_ENOMEM;
        snprintf(b, 240, "it reads a WITH query or subquery it was not merged with (%s)", inner_why);
        *why = b;
    }
    return 0;
}
