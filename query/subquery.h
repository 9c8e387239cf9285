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

/* A subquery in an expression: e (X_SUBQ, in the outer plan) becomes, before the outer
 * plan runs, a constant (SUBQ_VALUE: the one row's one value, NULL when no row) or a
 * set (SUBQ_IN: an X_INSET over dictionary ids, or an X_IN of constants). */
enum { SUBQ_VALUE = 1, SUBQ_IN, SUBQ_CORR };
typedef struct shoal_subq {
    int kind;
    int count;             /* SUBQ_CORR: count's value where no group matches is 0 */
    cx *e;
    plan *ip;
    const shoal_node *node;
} shoal_subq;

/* The row source of a derived table, a WITH query read FROM, and a PER statement. */
extern const struct shoal_rowsrc shoal_subq_source;

/* st's WITH queries into sight (x->scope) for planning st; *saved is put back by the
 * caller. Two WITH queries of one name are an error at the second. */
int shoal_subq_with(exec *x, const shoal_stmt *st, const shoal_scope **saved);
/* The WITH query called name in sight, or NULL. */
const shoal_cte *shoal_subq_cte(exec *x, const char *name);
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

/* correlate.c: n, a subquery as a value in statement st (planned as p) that reads the
 * outer row through one equality (`WHERE inner = outer.column`) and selects one
 * aggregate: 1 with *ip the plan of `SELECT inner, agg … GROUP BY inner`, *outer_key
 * the outer side (compiled by the caller in the outer statement) and *count 1 for
 * count (0 where no group matches, else NULL); 0 when n is not of that form; or an
 * error. */
int shoal_corr_plan(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip, const shoal_node **outer_key,
                    int *count);
/* Runs ip and makes e (X_SUBQ, its outer key in e->a) a lookup of each row's key among
 * the groups' values. */
int shoal_corr_init(exec *x, cx *e, plan *ip, int count);

#endif
