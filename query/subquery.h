/* subquery.h — composition (subquery.c): WITH queries, derived tables (FROM (SELECT …)
 * t), the per-period statement (FROM members PER MONTH) and subqueries in expressions
 * ((SELECT …) as a value, x IN (SELECT …)). Internal to query/.
 */
#ifndef SHOAL_SUBQUERY_H
#define SHOAL_SUBQUERY_H

#include "plan.h"

/* The WITH queries a statement sees: those of list ctes before upto (a WITH query sees
 * the ones written before it), then those of up. In x->a: a PER statement plans its
 * inner SELECT again for each period, after the planner has returned. */
typedef struct shoal_scope {
    const shoal_cte *ctes, *upto;
    const struct shoal_scope *up;
} shoal_scope;

/* The statements a subquery in an expression is nested in (innermost first), so that a
 * name of theirs is refused as a correlated reference instead of an unknown one. */
typedef struct shoal_outer {
    const shoal_stmt *st;
    const plan *p;
    const struct shoal_outer *up;
} shoal_outer;

/* The statement a subquery of a layer's or tiers' condition is planned in: over
 * members, FROM members (so that members.member is known, as a correlation, which a
 * layer refuses: its subqueries run once per statement), with AS OF taken from st. */
void shoal_subq_layer_stmt(const shoal_stmt *st, shoal_stmt *out);

/* A subquery in an expression: e (X_SUBQ, in the outer plan) becomes, before the outer
 * plan runs, a constant (SUBQ_VALUE: the one row's one value, NULL when no row) or a
 * set (SUBQ_IN: an X_INSET over dictionary ids, or an X_IN of constants). */
enum { SUBQ_VALUE = 1, SUBQ_IN, SUBQ_CORR };
typedef struct shoal_subq {
    int kind;
    const struct shoal_corr *corr;   /* SUBQ_CORR: its kind and correlations (correlate.c) */
    cx *e;
    plan *ip;
    const shoal_node *node;
    const char *text;                /* the text node's offsets refer to (x->src when added) */
    /* a subquery of a layer's or tiers' definition (plan.c's compile_foreign): what it is
     * in ("layer \"x\""), and where the statement names it, for an error while it runs */
    const char *what;
    int at_off, at_len;
} shoal_subq;

/* The row source of a derived table, a WITH query read FROM, and a PER statement. */
extern const struct shoal_rowsrc shoal_subq_source;

/* st's WITH queries into sight (x->scope) for planning st; *saved is put back by the
 * caller. Two WITH queries of one name are an error at the second. */
int shoal_subq_with(exec *x, const shoal_stmt *st, const shoal_scope **saved);
/* The WITH query called name in sight, or NULL. */
const shoal_cte *shoal_subq_cte(exec *x, const char *name);
/* The WITH queries the WITH query called name sees (those written before it, and those
 * around its WITH), in x->a; NULL when there is no such query (or no memory). */
const shoal_scope *shoal_subq_cte_scope(exec *x, const char *name);
/* 1 when name is a WITH query being planned, or one written after it (recursive WITH). */
int shoal_subq_later(exec *x, const char *name);
/* SELECT … FROM members|tiers(name) PER unit …: the statement evaluated for each
 * period (planned as a SELECT over the per-period rows of its inner SELECT). */
int shoal_subq_per_select(exec *x, const shoal_stmt *st, plan **out);
/* p, a SELECT over a subquery that only passes its rows on (the same columns in the
 * same order, nothing filtered, grouped, sorted or cut): 1 with *out the subquery's
 * own plan, its columns named as p's, so that it runs as if written alone; else 0. */
int shoal_subq_flatten(exec *x, plan *p, plan **out);
/* Plans n's SELECT (a SUBQ or INSUB node of statement st, planned as p) for the outer
 * plan p: the inner plan, with p and st in sight as the outer statement. */
int shoal_subq_plan_expr(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip);
/* Keeps e (X_SUBQ) and its inner plan in p, to run before p does. */
int shoal_subq_add(exec *x, plan *p, int kind, cx *e, plan *ip, const shoal_node *n);
/* Runs p's subqueries and turns each X_SUBQ into what it stands for. 0 or an error. */
int shoal_subq_init(exec *x, plan *p);
/* EXPLAIN's lines for p's subqueries, appended to lines. */
int shoal_subq_explain_exprs(exec *x, const plan *p, char ***lines, int *n_lines);
/* A column a correlated subquery would read: 1 when name (or alias.name, alias not
 * NULL) is one of an enclosing statement's. */
int shoal_subq_outer_name(exec *x, const char *alias, const char *name);

/* correlate.c: a subquery that reads the statement around it through equalities in its
 * WHERE (inner = outer.column, at most SHOAL_CORR_MAX of them), run once: as a value
 * (one aggregate), after [NOT] IN or in EXISTS. */
#define SHOAL_CORR_MAX 8
#define SHOAL_CORR_RANGE_MAX 4
/* A range correlation examines at most this many inner rows over all outer rows (a
 * count's are counted by two binary searches, not examined): beyond, the statement is
 * refused, not answered slowly for hours. 1e8 rows is about a second of comparisons. */
#define SHOAL_CORR_EXAMINE_MAX 100000000ULL
enum { SHOAL_CORR_VALUE = 1, SHOAL_CORR_IN, SHOAL_CORR_EXISTS };
typedef struct shoal_corr {
    int kind;
    int n_keys;                            /* 0: an EXISTS without a correlation */
    const shoal_node *in[SHOAL_CORR_MAX];  /* the subquery's side of each equality */
    const shoal_node *out[SHOAL_CORR_MAX]; /* the outer side (compiled by the caller) */
    int count;                             /* count: 0 where no row matches, else NULL */
    int agg;                               /* IN: one aggregate's value, not rows */
    int negated;                           /* NOT IN */
    /* a range: conditions of one inner value rin against outer ones (rin < outer.ts,
     * rin BETWEEN outer.a AND outer.b, rin <> outer.x), as rin rop[i] rout[i] */
    int n_range;
    const shoal_node *rin;
    const shoal_node *rout[SHOAL_CORR_RANGE_MAX];
    int rop[SHOAL_CORR_RANGE_MAX];
    int fn;                                /* a value on a range: 'c' count, 's' sum, 'a' avg, 'm' min, 'M' max */
    int star;                              /* … count(*) */
    int vcol;                              /* ip's column of IN's value or the value (range: the aggregate's argument) */
    int vrt, vrns;                         /* the value's type */
} shoal_corr;
/* n (SUBQ, INSUB) in statement st planned as p: 1 with *ip the plan to run (SELECT
 * inner…, value … [GROUP BY inner…]) and *k filled; 0 when n is not of that form (or
 * not correlated: subquery.c's); or an error. */
int shoal_corr_plan(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip, shoal_corr *k);
/* Runs ip and makes e (X_SUBQ: e->v the compiled outer keys, e->a IN's value) a lookup
 * of each row's keys. */
int shoal_corr_init(exec *x, cx *e, plan *ip, const shoal_corr *k);

#endif
