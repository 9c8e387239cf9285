/* experiment.c — CREATE EXPERIMENT name ARMS (control 50, ritual 50) [SALT 's'] [UNIT
 * member|group] [CORRECTION holm|bh] METRICS (m = count(post) WITHIN 7 DAYS [> 0], r =
 * sum(a.x) / count(a) WITHIN 7 DAYS, …) [GUARDRAILS (…)] [COVARIATE agg WITHIN n DAYS]
 * EXPOSURE TYPE [WHERE …], and FROM experiment(name) (EVALUATE EXPERIMENT name [AS OF …]
 * is the same), a row source (rowsrc.h) with one row per metric and arm.
 *
 * A definition is kept like a retention's, as its statement text, and compiled at
 * use into one SELECT over members (planned by plan.c, so its types, filters and
 * errors are the language's): the anchor first(TYPE WHERE experiment = 'name' [AND
 * …]), the member's exposures per declared arm and with any arm, each metric's
 * aggregates WITHIN n DAYS AFTER that anchor and the covariate WITHIN n DAYS BEFORE it
 * (anchor.c). The executor answers it from one scan of the log and the anchored
 * windows' second pass; each exposed member then goes to an arm: the arm its exposures
 * name, or, when none names one, the arm the hash gives (of the member, or with UNIT
 * group of the group its exposures name, which a SELECT over the exposures finds). A
 * member whose exposures name two arms, or an arm the definition does not declare, is
 * counted and left out. Every unit's values reach the per-arm sums through one
 * function, unit_add (a view that keeps the units can feed it too); the sums go to
 * stats.c (shoal_stats_evaluate), with the sample-ratio check against the weights.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "expview.h"
#include "rowsrc.h"
#include "stats.h"

#define MAX_ARMS 16
#define MAX_METRICS 32

enum { MK_MEAN = 0, MK_CONV, MK_RATIO };   /* a metric's kind */

typedef struct expmetric {
    const char *name;
    int kind;                /* MK_* */
    int guardrail;           /* declared in GUARDRAILS */
    int lower_better;        /* LOWER IS BETTER */
    int64_t thr;             /* MK_CONV: value > thr */
    int col, col_den;        /* its columns in the inner SELECT (col_den: MK_RATIO) */
} expmetric;

typedef struct expdef {
    const char *name;
    int n_arms, n_metrics;
    const char *arm[MAX_ARMS];
    double weight[MAX_ARMS];
    const char *salt;
    int salt_len;
    expmetric m[MAX_METRICS];
    int unit_group;          /* UNIT group */
    int correction;          /* SHOAL_STATS_HOLM or SHOAL_STATS_BH */
    const shoal_node *covariate; /* COVARIATE's call, or NULL */
    double level;            /* CONFIDENCE: every interval's level and 1 - the verdict's α */
    int one_sided;           /* TEST one_sided: primary metrics tested in their better direction */
    shoal_stats_prior prior; /* PRIOR normal(mean, sd) of the relative lift; proper 0: flat */
    int col_cov;             /* its column in the inner SELECT */
    const shoal_node *salt_node; /* the clauses as written */
    const shoal_item *metrics, *guardrails;
    uint64_t def_hash;       /* XXH3 of the definition's text (0 at CREATE) */
} expdef;

/* UNIT group: a group's (cluster's) arm, members and metric totals (exact, each
 * rounded once, as the view's) */
typedef struct expcluster {
    int arm;                 /* -1: none yet, -2: two arms */
    double members;
    shoal_xsum cov;          /* its members' covariate total */
    shoal_xsum *num, *den;   /* n_metrics each, in expstate's buffers */
} expcluster;

typedef struct expstate {
    expdef d;
    plan *inner, *groups;    /* the SELECT over members; UNIT group: over the exposures */
    uint64_t seq;
    /* filled by unit_add */
    shoal_stats_moments mo[MAX_METRICS][MAX_ARMS];
    /* member units: Σx and Σx² exact (shoal_expview_add), rounded once into mo, so the
     * log's path and the view's give the same doubles to the last bit */
    shoal_xsum (*xs)[MAX_ARMS][SHOAL_EXPVIEW_XS];   /* per metric (allocated by the log's path) */
    double units[MAX_ARMS];
    double members[MAX_ARMS];
    int64_t two_arms, unknown_arm, by_hash, two_groups, no_group;
    /* UNIT group: (member, group) pairs of the exposures, sorted by member, and the
     * clusters by group id (owned: freed by shoal_experiment_rows) */
    uint64_t *pairs;
    size_t n_pairs, cap_pairs;
    const plan *outer;    /* the statement FROM experiment(…), whose budget the pairs take */
    uint32_t max_group;
    expcluster *cl;
    shoal_xsum *cl_sums;
    int err;
    shoal_expview_use view;  /* the experiment's view, when it answers (expview.c) */
} expstate;

/* One unit's values: the one way metric values reach the per-arm sums. arm is the
 * declared arm's index; cluster the group id of a UNIT group experiment (0 for member
 * units); num[j] the metric's value (a ratio's numerator), den[j] a ratio's
 * denominator, cov the covariate (0 when there is none). */
typedef struct expunit {
    int arm;
    uint32_t cluster;
    const double *num, *den;
    double cov;
} expunit;

static const char *const cols[] = {"metric", "role", "arm", "units", "members", "mean", "sd", "diff", "diff_lo", "diff_hi",
                                   "rel_diff", "rel_lo", "rel_hi", "p", "p_one_sided", "p_adjusted", "correction",
                                   "chance_to_win", "risk", "risk_control", "seq_lo", "seq_hi", "seq_p", "cuped_reduction",
                                   "harm", "verdict", "srm_p", "decision_ready", "two_arms", "method", "seq", "definition",
                                   "warning", "confidence", "test", "prior"};
enum {
    C_METRIC, C_ROLE, C_ARM, C_UNITS, C_MEMBERS, C_MEAN, C_SD, C_DIFF, C_DIFF_LO, C_DIFF_HI, C_REL, C_REL_LO, C_REL_HI,
    C_P, C_P1, C_PADJ, C_CORR, C_CTW, C_RISK, C_RISK_CTRL, C_SEQ_LO, C_SEQ_HI, C_SEQ_P, C_CUPED, C_HARM, C_VERDICT,
    C_SRM, C_READY, C_TWO, C_METHOD, C_SEQ, C_DEF, C_WARN, C_LEVEL, C_TEST, C_PRIOR, N_COLS
};

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int word_is(exec *x, const shoal_word *w, const char *want, const char *what)
{
    if (w->s && !strcasecmp(w->s, want)) return 0;
    return shoal_err_set(x->err, SHOAL_ESYNTAX, w->off, w->len, "expected %s but found \"%s\"", what, w->s ? w->s : "");
}

/* ---------------------------------------------------------------- assignment */

/* The arm (index) the hash of (salt, member) gives: engine/view_experiment.c's
 * shoal_exp_hash and shoal_exp_arm_of_hash, the one assignment both paths share. */
static int arm_of_hash(const expdef *d, uint64_t h)
{
    uint32_t w[MAX_ARMS];
    for (int i = 0; i < d->n_arms; i++) w[i] = (uint32_t)d->weight[i];
    return shoal_exp_arm_of_hash(w, (uint32_t)d->n_arms, h);
}

/* ---------------------------------------------------------------- the definition */

/* A metric's aggregate: count(…) or sum(TYPE.prop), no DURING, a window of at least 1. */
static int check_call(exec *x, const shoal_node *c, const char *what)
{
    if (c->kind != SHOAL_AST_CALL || (strcasecmp(c->s, "count") && strcasecmp(c->s, "sum")))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->off, c->kind == SHOAL_AST_CALL ? c->n : c->len,
                             "%s is count(…) or sum(TYPE.prop), not %s(…)", what, c->kind == SHOAL_AST_CALL ? c->s : "an expression");
    if (c->win)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->win->off, c->win->len, "%s's window is its WITHIN: no DURING", what);
    if (c->anc->n <= 0)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->anc->off, c->anc->len, "%s's window is at least 1 day", what);
    return 0;
}

static int check_metrics(exec *x, const shoal_item *list, int guardrail, expdef *d)
{
    for (const shoal_item *m = list; m; m = m->next) {
        if (d->n_metrics == MAX_METRICS)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->alias_off, m->alias_len,
                                 "an experiment has at most %d metrics and guardrails", MAX_METRICS);
        for (int i = 0; i < d->n_metrics; i++)
            if (!strcmp(d->m[i].name, m->alias))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->alias_off, m->alias_len, "metric \"%s\" is defined twice", m->alias);
        expmetric *em = &d->m[d->n_metrics];
        memset(em, 0, sizeof *em);
        em->name = m->alias;
        em->guardrail = guardrail;
        const shoal_node *c = m->expr;
        if (c->kind == SHOAL_AST_BINOP && c->op == SHOAL_OP_GT) {
            em->kind = MK_CONV;
            em->thr = c->b->i;
            c = c->a;
            if (c->kind == SHOAL_AST_BINOP)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->expr->b->off, m->expr->b->len, "%s",
                                     "a ratio metric cannot be a conversion: compare a count or a sum");
        }
        int rc;
        if (c->kind == SHOAL_AST_BINOP) {
            em->kind = MK_RATIO;
            if ((rc = check_call(x, c->a, "a ratio's numerator")) || (rc = check_call(x, c->b, "a ratio's denominator")))
                return rc;
        } else if ((rc = check_call(x, c, "a metric"))) {
            return rc;
        }
        if (m->dir) {
            int lower = !strcasecmp(m->dir->s, "lower");
            if ((!lower && strcasecmp(m->dir->s, "higher")) || strcasecmp(m->dir->s2, "better"))
                return shoal_err_set(x->err, SHOAL_ESYNTAX, m->dir->off, m->dir->len,
                                     "expected LOWER IS BETTER or HIGHER IS BETTER but found \"%.*s\"", m->dir->len, x->src + m->dir->off);
            em->lower_better = lower;
        }
        d->n_metrics++;
    }
    return 0;
}

/* A number written in the definition: 0.3, 2, -0.1 (or NAN). */
static double literal(const shoal_node *n)
{
    double sign = 1;
    if (n->kind == SHOAL_AST_NEG) sign = -1, n = n->a;
    return n->kind == SHOAL_AST_NUM ? sign * n->d : n->kind == SHOAL_AST_INT ? sign * (double)n->i : NAN;
}

/* PRIOR normal(mean, sd): a Gaussian prior on the relative lift (GrowthBook's), sd > 0. */
static int check_prior(exec *x, const shoal_node *f, shoal_stats_prior *pr)
{
    if (strcasecmp(f->s, "normal") || !f->list || f->list->n != 2 || f->filter || (f->flags & (SHOAL_AST_F_STAR | SHOAL_AST_F_DISTINCT)))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, f->off, f->len, "%s",
                             "a prior is normal(mean, sd), of the relative lift (as normal(0, 0.3))");
    const shoal_node *a = f->list->head, *b = a->next;
    double mean = literal(a), sd = literal(b);
    if (!isfinite(mean))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->off, a->len, "a prior's mean is a number, not \"%.*s\"", a->len, x->src + a->off);
    if (!(sd > 0 && isfinite(sd)))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, b->off, b->len, "a prior's standard deviation is a number above 0, not \"%.*s\"",
                             b->len, x->src + b->off);
    *pr = (shoal_stats_prior){.mean = mean, .var = sd * sd, .proper = 1, .scale = SHOAL_STATS_RELATIVE};
    return 0;
}

static int check_def(exec *x, const shoal_stmt *st, expdef *d)
{
    const shoal_experiment *e = st->exp;
    int rc;
    memset(d, 0, sizeof *d);
    d->name = st->vname;
    d->correction = SHOAL_STATS_HOLM;
    d->level = 0.95;
    if ((rc = word_is(x, &e->arms_w, "arms", "ARMS"))) return rc;
    if ((rc = word_is(x, &e->exposure_w, "exposure", "EXPOSURE TYPE [WHERE …], the last clause,"))) return rc;
    for (const shoal_item *a = e->arms; a; a = a->next) {
        if (d->n_arms == MAX_ARMS)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->alias_off, a->alias_len, "an experiment has at most %d arms", MAX_ARMS);
        for (int i = 0; i < d->n_arms; i++)
            if (!strcmp(d->arm[i], a->alias))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->alias_off, a->alias_len, "arm \"%s\" is declared twice", a->alias);
        if (a->expr->i <= 0 || a->expr->i > 1000000)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->expr->off, a->expr->len,
                                 "an arm's weight is an integer from 1 to 1000000, not \"%.*s\"", a->expr->len, x->src + a->expr->off);
        d->arm[d->n_arms] = a->alias;
        d->weight[d->n_arms++] = (double)a->expr->i;
    }
    if (d->n_arms < 2)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, e->arms->alias_off, e->arms->alias_len,
                             "an experiment needs at least two arms, the first the control");
    /* the clauses between ARMS and EXPOSURE, each once, in any order */
    static const char *const words[] = {"salt", "metrics", "guardrails", "unit", "correction", "covariate",
                                        "confidence", "test", "prior"};
    enum { N_WORDS = 9 };
    const shoal_exp_clause *seen[N_WORDS] = {0};
    for (const shoal_exp_clause *c = e->clauses; c; c = c->next) {
        int w = -1;
        for (int i = 0; i < N_WORDS; i++)
            if (!strcasecmp(c->w.s, words[i])) w = i;
        if (w < 0)
            return shoal_err_set(x->err, SHOAL_ESYNTAX, c->w.off, c->w.len,
                                 "expected SALT, METRICS, GUARDRAILS, UNIT, CORRECTION, COVARIATE, CONFIDENCE, TEST, PRIOR "
                                 "or EXPOSURE but found \"%s\"", c->w.s);
        if (seen[w])
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->w.off, c->w.len, "%s is given twice", c->w.s);
        seen[w] = c;
        static const char *const forms[] = {"SALT 'salt'", "METRICS (name = aggregate WITHIN n DAYS, …)",
                                            "GUARDRAILS (name = aggregate WITHIN n DAYS, …)", "UNIT member or UNIT group",
                                            "CORRECTION holm or CORRECTION bh", "COVARIATE aggregate WITHIN n DAYS",
                                            "CONFIDENCE level (a number, as 0.95)", "TEST one_sided or TEST two_sided",
                                            "PRIOR normal(mean, sd) (of the relative lift)"};
        int ok = w == 0 ? c->str != NULL : w == 1 || w == 2 ? c->items != NULL : w == 3 || w == 4 || w == 7 ? c->arg.s != NULL
               : w == 5 ? c->call != NULL : w == 6 ? c->num != NULL : c->fn != NULL;
        if (!ok) return shoal_err_set(x->err, SHOAL_ESYNTAX, c->off, c->len, "expected %s", forms[w]);
        if (w == 3) {
            if (!strcasecmp(c->arg.s, "group")) d->unit_group = 1;
            else if (strcasecmp(c->arg.s, "member"))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->arg.off, c->arg.len, "expected UNIT member or UNIT group but found \"%s\"", c->arg.s);
        } else if (w == 4) {
            if (!strcasecmp(c->arg.s, "bh")) d->correction = SHOAL_STATS_BH;
            else if (strcasecmp(c->arg.s, "holm"))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->arg.off, c->arg.len,
                                     "expected CORRECTION holm or CORRECTION bh but found \"%s\"", c->arg.s);
        } else if (w == 6) {
            /* 0.5 to 0.9999: below, an "interval" covers less than it misses */
            d->level = c->num->kind == SHOAL_AST_NUM ? c->num->d : NAN;
            if (!(d->level >= 0.5 && d->level <= 0.9999))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->num->off, c->num->len,
                                     "a confidence level is a number from 0.5 to 0.9999, as 0.95, not \"%.*s\"", c->num->len,
                                     x->src + c->num->off);
        } else if (w == 7) {
            if (!strcasecmp(c->arg.s, "one_sided")) d->one_sided = 1;
            else if (strcasecmp(c->arg.s, "two_sided"))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->arg.off, c->arg.len,
                                     "expected TEST one_sided or TEST two_sided but found \"%s\"", c->arg.s);
        } else if (w == 8 && (rc = check_prior(x, c->fn, &d->prior))) {
            return rc;
        }
    }
    if (!seen[1])
        return shoal_err_set(x->err, SHOAL_ESYNTAX, e->exposure_w.off, e->exposure_w.len, "%s",
                             "expected METRICS (name = aggregate WITHIN n DAYS, …) before EXPOSURE");
    if (seen[0]) d->salt = seen[0]->str->s, d->salt_len = seen[0]->str->n, d->salt_node = seen[0]->str;
    else d->salt = st->vname, d->salt_len = (int)strlen(st->vname);
    d->metrics = seen[1]->items;
    d->guardrails = seen[2] ? seen[2]->items : NULL;
    if ((rc = check_metrics(x, d->metrics, 0, d)) || (rc = check_metrics(x, d->guardrails, 1, d))) return rc;
    if (seen[5]) {
        d->covariate = seen[5]->call;
        if ((rc = check_call(x, d->covariate, "a covariate"))) return rc;
    }
    return 0;
}

static shoal_node *node(exec *x, int kind, int off, int len)
{
    shoal_node *n = shoal_arena_alloc(x->a, sizeof *n);
    if (!n) return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->off = off;
    n->len = len;
    return n;
}

static shoal_node *str_node(exec *x, int kind, const char *s, int off, int len)
{
    shoal_node *n = node(x, kind, off, len);
    if (n) n->s = s, n->n = (int)strlen(s);
    return n;
}

static shoal_node *binop(exec *x, int op, shoal_node *a, shoal_node *b, int off, int len)
{
    shoal_node *n = node(x, SHOAL_AST_BINOP, off, len);
    if (n) n->op = op, n->a = a, n->b = b;
    return n;
}

/* Whether some event has property name: 1, 0, or an error. */
static int prop_known(exec *x, const char *name)
{
    uint32_t id;
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_dict_id(x->r, SHOAL_NS_PROP, name, strlen(name), &id, &e);
    if (rc == SHOAL_ENOTFOUND) return 0;
    if (rc < 0) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
    return 1;
}

/* count(TYPE WHERE <filter>), positions at the EXPOSURE clause */
static shoal_node *exposures(exec *x, const shoal_experiment *e, const char *fn, shoal_node *filter)
{
    int off = e->type->off, len = e->type->len;
    shoal_node *c = str_node(x, SHOAL_AST_CALL, fn, off, len);
    shoal_node *t = node(x, SHOAL_AST_NAME, off, len);
    shoal_nlist *l = shoal_arena_alloc(x->a, sizeof *l);
    if (!c || !t || !l) return NULL;
    *t = *e->type;
    t->next = NULL;
    l->head = l->tail = t;
    l->n = 1;
    c->list = l;
    c->filter = filter;
    return c;
}

/* A copy of aggregate c0 with its WITHIN window anchored dir ("after", "before") the
 * anchor. */
static shoal_node *anchored(exec *x, const shoal_node *c0, shoal_node *anchor, const char *dir)
{
    shoal_node *c = shoal_arena_alloc(x->a, sizeof *c);
    shoal_anchor *an = shoal_arena_alloc(x->a, sizeof *an);
    if (!c || !an) return NULL;
    *c = *c0;
    *an = *c0->anc;
    an->dir = dir;
    an->dir_off = an->unit_off;
    an->dir_len = an->unit_len;
    an->call = anchor;
    c->anc = an;
    return c;
}

/* The definition's SELECT over members (in x->a, positions in st's text, x->src), with
 * st's AS OF when asof is not NULL: member, the anchor, per arm its exposures, the
 * exposures with any arm, the metrics' aggregates (a ratio's two), the covariate (the
 * columns into d). With UNIT group, *groups gets the SELECT of member and group over
 * the exposures. */
static int compile_def(exec *x, const shoal_stmt *st, expdef *d, const shoal_stmt *asof, plan **out, plan **groups)
{
    const shoal_experiment *e = st->exp;
    int off = e->type->off, len = e->type->len;
    /* experiment = 'name' [AND (where)]; FALSE while no event has an experiment, and no
     * arm counted while none has an arm (the names are not properties yet) */
    int has_exp = prop_known(x, "experiment"), has_arm = prop_known(x, "arm");
    if (has_exp < 0 || has_arm < 0) return has_exp < 0 ? has_exp : has_arm;
    shoal_node *f;
    if (has_exp) {
        f = binop(x, SHOAL_OP_EQ, str_node(x, SHOAL_AST_NAME, "experiment", off, len),
                  str_node(x, SHOAL_AST_STR, d->name, off, len), off, len);
    } else if ((f = node(x, SHOAL_AST_BOOL, off, len))) {
        f->i = 0;
    }
    if (!f) return nomem(x);
    if (e->where && !(f = binop(x, SHOAL_OP_AND, f, e->where, off, len))) return nomem(x);
    int n_items = 1 + 1 + d->n_arms + 1 + 2 * d->n_metrics + 1;
    shoal_item *items = shoal_arena_alloc(x->a, sizeof *items * (size_t)n_items);
    if (!items) return nomem(x);
    memset(items, 0, sizeof *items * (size_t)n_items);
    int k = 0;
    if (!(items[k++].expr = str_node(x, SHOAL_AST_NAME, "member", off, len))) return nomem(x);
    shoal_node *anchor = exposures(x, e, "first", f);
    if (!anchor) return nomem(x);
    items[k++].expr = anchor;
    for (int i = 0; i <= d->n_arms; i++) {
        /* arm = 'a' for each arm, then arm IS NOT NULL; or FALSE */
        shoal_node *eq = NULL;
        if (!has_arm) {
            if ((eq = node(x, SHOAL_AST_BOOL, off, len))) eq->i = 0;
        } else if (i < d->n_arms) {
            eq = binop(x, SHOAL_OP_EQ, str_node(x, SHOAL_AST_NAME, "arm", off, len),
                       str_node(x, SHOAL_AST_STR, d->arm[i], off, len), off, len);
        } else if ((eq = node(x, SHOAL_AST_ISNULL, off, len))) {
            eq->flags |= SHOAL_AST_F_NOT;
            if (!(eq->a = str_node(x, SHOAL_AST_NAME, "arm", off, len))) eq = NULL;
        }
        if (!eq || !(eq = binop(x, SHOAL_OP_AND, f, eq, off, len)) || !(items[k++].expr = exposures(x, e, "count", eq)))
            return nomem(x);
    }
    /* each metric's aggregates in the window after the anchor, the covariate's before */
    const shoal_item *lists[2] = {d->metrics, d->guardrails};
    int j = 0;
    for (int l = 0; l < 2; l++)
        for (const shoal_item *m = lists[l]; m; m = m->next, j++) {
            const shoal_node *c0 = m->expr->kind == SHOAL_AST_BINOP && m->expr->op == SHOAL_OP_GT ? m->expr->a : m->expr;
            const shoal_node *parts[2] = {c0, NULL};
            if (c0->kind == SHOAL_AST_BINOP) parts[0] = c0->a, parts[1] = c0->b;
            for (int h = 0; h < 2 && parts[h]; h++) {
                shoal_node *c = anchored(x, parts[h], anchor, "after");
                if (!c) return nomem(x);
                if (h) d->m[j].col_den = k;
                else d->m[j].col = k;
                items[k++].expr = c;
            }
        }
    if (d->covariate) {
        shoal_node *c = anchored(x, d->covariate, anchor, "before");
        if (!c) return nomem(x);
        d->col_cov = k;
        items[k++].expr = c;
    }
    for (int i = 0; i + 1 < k; i++) items[i].next = &items[i + 1];
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    shoal_node *where = node(x, SHOAL_AST_ISNULL, off, len);
    if (!q || !where) return nomem(x);
    memset(q, 0, sizeof *q);
    where->a = anchor;
    where->flags |= SHOAL_AST_F_NOT;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = items;
    q->from = "members";
    q->from_off = st->off;
    q->from_len = 0;
    q->where = where;
    if (asof) {
        q->asof_date = asof->asof_date;
        q->asof_seq = asof->asof_seq;
    }
    x->lax_names++;   /* its definition may name types no event has yet (plan.h) */
    int rc = shoal_rowsrc_plan_inner(x, q, out);
    x->lax_names--;
    if (rc || !d->unit_group) return rc;
    /* UNIT group: SELECT member, group FROM events WHERE type = 'TYPE' AND <f> */
    shoal_item *gi = shoal_arena_alloc(x->a, sizeof *gi * 2);
    shoal_stmt *g = shoal_arena_alloc(x->a, sizeof *g);
    shoal_node *ty = str_node(x, SHOAL_AST_STR, e->type->s, off, len);
    if (!gi || !g || !ty) return nomem(x);
    memset(gi, 0, sizeof *gi * 2);
    memset(g, 0, sizeof *g);
    if (!(gi[0].expr = str_node(x, SHOAL_AST_NAME, "member", off, len)) || !(gi[1].expr = str_node(x, SHOAL_AST_NAME, "group", off, len)))
        return nomem(x);
    gi[0].next = &gi[1];
    shoal_node *tw = binop(x, SHOAL_OP_EQ, str_node(x, SHOAL_AST_NAME, "type", off, len), ty, off, len);
    if (!tw || !(tw = binop(x, SHOAL_OP_AND, tw, f, off, len))) return nomem(x);
    g->kind = SHOAL_STMT_SELECT;
    g->cols = gi;
    g->from = "events";
    g->from_off = st->off;
    g->where = tw;
    g->asof_date = q->asof_date;
    g->asof_seq = q->asof_seq;
    x->lax_names++;
    rc = shoal_rowsrc_plan_inner(x, g, groups);
    x->lax_names--;
    return rc;
}

int shoal_experiment_create(exec *x, const shoal_stmt *st)
{
    expdef d;
    int rc = check_def(x, st, &d);
    if (rc) return rc;
    if ((rc = shoal_reader_open(x->db, &x->r, x->err))) return rc;
    plan *ip, *gp = NULL;
    rc = compile_def(x, st, &d, NULL, &ip, &gp);
    shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}

static int check_cb(exec *x, const shoal_stmt *def, void *d) { return check_def(x, def, d); }

/* The definition of experiment name, checked, into d (st's text: *text). */
static int experiment_find(exec *x, const char *name, int off, int len, const shoal_stmt **def, const char **text, expdef *d)
{
    int rc = shoal_plan_def_find(x, name, "experiment", off, len, def, text);
    if (rc) return rc;
    if ((rc = shoal_rowsrc_def_compile(x, *def, *text, (*def)->exp != NULL, "experiment", name, off, len, check_cb, d)))
        return rc;
    d->def_hash = XXH3_64bits(*text, strlen(*text));
    return 0;
}

/* ---------------------------------------------------------------- arm() */

int shoal_experiment_arm_compile(exec *x, const char *name, int off, int len, const void **ctx)
{
    expdef *d = shoal_arena_alloc(x->a, sizeof *d);
    if (!d) return nomem(x);
    const shoal_stmt *def;
    const char *text;
    int rc = experiment_find(x, name, off, len, &def, &text, d);
    if (rc) return rc;
    *ctx = d;
    return 0;
}

void shoal_experiment_arm_eval(exec *x, qval *a, int n, qval *out)
{
    const expdef *d = x->fn_ctx;
    (void)n;
    out->t = V_NULL;
    shoal_str s = {0};
    if (a[0].t == V_STR) {
        s.ptr = a[0].u.s;
        s.len = a[0].n;
    } else if (a[0].t == V_ID && a[0].ns == (d->unit_group ? SHOAL_NS_GROUP : SHOAL_NS_MEMBER)) {
        shoal_err e;
        shoal_err_clear(&e);
        if (shoal_dict_str(x->r, a[0].ns, (uint32_t)a[0].u.i, &s, &e)) return;
    } else {
        return;   /* NULL, or not a unit's name (a member; with UNIT group a group) */
    }
    const char *arm = d->arm[arm_of_hash(d, shoal_exp_hash(d->salt, (size_t)d->salt_len, s.ptr ? s.ptr : "", s.len))];
    out->t = V_STR;
    out->u.s = arm;
    out->n = (uint32_t)strlen(arm);
}

/* ---------------------------------------------------------------- plan */

/* The definition compiled for the statement st over it (shoal_rowsrc_def_compile). */
struct plan_ctx {
    const shoal_stmt *st;
    expstate *s;
};
static int plan_cb(exec *x, const shoal_stmt *def, void *ctx)
{
    struct plan_ctx *c = ctx;
    return compile_def(x, def, &c->s->d, c->st, &c->s->inner, &c->s->groups);
}

int shoal_experiment_plan(exec *x, const shoal_stmt *st, plan *p)
{
    if (st->w1 && strcasecmp(st->w2, "experiment"))
        return shoal_err_set(x->err, SHOAL_ESYNTAX, st->w2_off, st->w2_len, "expected EVALUATE EXPERIMENT name but found \"%s\"", st->w2);
    if (!st->from_arg)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len, "%s",
                             "expected FROM experiment(name), name being an experiment");
    if (st->per)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len, "%s", "experiment(name) takes no PER");
    expstate *s = shoal_arena_alloc(x->a, sizeof *s);
    if (!s) return nomem(x);
    memset(s, 0, sizeof *s);
    const shoal_stmt *def;
    const char *text;
    int rc = experiment_find(x, st->from_arg, st->from_arg_off, st->from_arg_len, &def, &text, &s->d);
    if (rc) return rc;
    struct plan_ctx c = {st, s};
    if ((rc = shoal_rowsrc_def_compile(x, def, text, 1, "experiment", st->from_arg, st->from_arg_off, st->from_arg_len,
                                       plan_cb, &c)))
        return rc;
    shoal_expview_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.n_metrics = s->d.n_metrics;
    sh.covariate = s->d.covariate != NULL;
    for (int j = 0; j < s->d.n_metrics; j++) sh.ratio[j] = s->d.m[j].kind == MK_RATIO, sh.conv[j] = s->d.m[j].kind == MK_CONV;
    sh.group = s->d.unit_group;
    if ((rc = shoal_expview_plan(x, st->from_arg, text, s->d.n_arms, &sh, s->inner, &s->view))) return rc;
    s->seq = p->max_seq;
    static const int rt[N_COLS] = {
        [C_METRIC] = V_STR, [C_ROLE] = V_STR, [C_ARM] = V_STR, [C_UNITS] = V_INT, [C_MEMBERS] = V_INT, [C_MEAN] = V_NUM,
        [C_SD] = V_NUM, [C_DIFF] = V_NUM, [C_DIFF_LO] = V_NUM, [C_DIFF_HI] = V_NUM, [C_REL] = V_NUM, [C_REL_LO] = V_NUM,
        [C_REL_HI] = V_NUM, [C_P] = V_NUM, [C_P1] = V_NUM, [C_PADJ] = V_NUM, [C_CORR] = V_STR, [C_CTW] = V_NUM,
        [C_RISK] = V_NUM, [C_RISK_CTRL] = V_NUM, [C_SEQ_LO] = V_NUM, [C_SEQ_HI] = V_NUM, [C_SEQ_P] = V_NUM,
        [C_CUPED] = V_NUM, [C_HARM] = V_BOOL, [C_VERDICT] = V_STR, [C_SRM] = V_NUM, [C_READY] = V_BOOL, [C_TWO] = V_INT,
        [C_METHOD] = V_STR, [C_SEQ] = V_INT, [C_DEF] = V_STR, [C_WARN] = V_STR, [C_LEVEL] = V_NUM, [C_TEST] = V_STR,
        [C_PRIOR] = V_STR};
    static const uint8_t ns[N_COLS] = {0};
    p->n_src = N_COLS;
    p->src_names = cols;
    p->src_rt = rt;
    p->src_ns = ns;
    p->rs_state = s;
    return 0;
}

/* ---------------------------------------------------------------- units */

static double num(const qval *v)
{
    if (v->t == V_INT || v->t == V_BOOL) return (double)v->u.i;
    if (v->t == V_NUM) return v->u.d;
    return NAN;
}

static void moments_add(shoal_stats_moments *m, double v, double y, double c)
{
    m->n += 1;
    m->sx += v;
    m->sxx += v * v;
    m->sy += y;
    m->syy += y * y;
    m->sxy += v * y;
    m->sc += c;
    m->scc += c * c;
    m->sxc += v * c;
    m->syc += y * c;
}

/* The one way a unit's metric values reach the per-arm sums (see expunit). A member
 * unit goes into its arm's moments at once (a conversion as 0/1); with UNIT group it
 * adds to its group's totals, which unit_clusters_done turns into one unit per group. */
static int unit_add(exec *x, expstate *s, const expunit *u)
{
    const expdef *d = &s->d;
    if (d->unit_group) {
        expcluster *c = &s->cl[u->cluster];
        if (c->arm == -1) c->arm = u->arm;
        else if (c->arm != u->arm) c->arm = -2;
        c->members += 1;
        shoal_xsum_add_double(&c->cov, u->cov);
        for (int j = 0; j < d->n_metrics; j++) {
            const expmetric *m = &d->m[j];
            shoal_xsum_add_double(&c->num[j], m->kind == MK_CONV ? (u->num[j] > (double)m->thr) : u->num[j]);
            shoal_xsum_add_double(&c->den[j], m->kind == MK_RATIO ? u->den[j] : 1);
        }
        return 0;
    }
    (void)x;
    s->units[u->arm] += 1;
    s->members[u->arm] += 1;
    for (int j = 0; j < d->n_metrics; j++) {
        const expmetric *m = &d->m[j];
        double v = m->kind == MK_CONV ? (u->num[j] > (double)m->thr) : u->num[j];
        moments_add(&s->mo[j][u->arm], v, m->kind == MK_RATIO ? u->den[j] : 0, u->cov);
        shoal_expview_add(s->xs[j][u->arm], v, m->kind == MK_RATIO ? u->den[j] : 0, u->cov);
    }
    return 0;
}

/* The arms' sums from their exact sums (see xs). */
static void unit_sums_done(expstate *s)
{
    for (int j = 0; j < s->d.n_metrics; j++)
        for (int i = 0; i < s->d.n_arms; i++) {
            shoal_expview_round(s->xs[j][i], &s->mo[j][i]);
        }
}

/* UNIT group: each group in one arm is a unit of the analysis, x its metric total (a
 * ratio's numerator total) and y its members (the denominator's total): the ratio
 * Σx/Σy over the arm's groups is the per-member mean with the cluster-robust variance
 * of the delta method (stats.c's shoal_stats_arm_cluster). A group whose members came
 * in two arms is counted and left out. */
static int unit_clusters_done(exec *x, expstate *s)
{
    const expdef *d = &s->d;
    for (uint32_t g = 1; g <= s->max_group; g++) {
        if ((g & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
            return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
        const expcluster *c = &s->cl[g];
        if (c->arm == -1) continue;
        if (c->arm == -2) {
            s->two_arms++;
            continue;
        }
        s->units[c->arm] += 1;
        s->members[c->arm] += c->members;
        double cov = shoal_xsum_value(&c->cov);
        for (int j = 0; j < d->n_metrics; j++) {
            /* the totals rounded once; their moments summed exactly (unit_sums_done) */
            double xv = shoal_xsum_value(&c->num[j]), yv = shoal_xsum_value(&c->den[j]);
            s->mo[j][c->arm].n += 1;
            shoal_expview_add(s->xs[j][c->arm], xv, yv, cov);
        }
    }
    return 0;
}

/* UNIT group: the exposures' (member, group) pairs, to sort (group 0: an exposure
 * without a group) */
static int group_row(exec *x, const qval *c, int n, void *ctx)
{
    expstate *s = ctx;
    (void)n;
    if (c[0].t != V_ID) return 0;
    uint32_t g = c[1].t == V_ID ? (uint32_t)c[1].u.i : 0;
    if (s->n_pairs == s->cap_pairs) {
        size_t cap = s->cap_pairs ? s->cap_pairs * 2 : 1024;
        if (shoal_exec_hold_src(x, s->outer, (cap - s->cap_pairs) * sizeof *s->pairs)) return x->err->code;
        uint64_t *p = shoal_realloc(s->pairs, cap * sizeof *p);
        if (!p) return nomem(x);
        s->pairs = p;
        s->cap_pairs = cap;
    }
    s->pairs[s->n_pairs++] = (uint64_t)c[0].u.i << 32 | g;
    if (g > s->max_group) s->max_group = g;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The group of member m's exposures: its id, 0 when an exposure has none, UINT32_MAX
 * when they name two groups. */
static uint32_t group_of(const expstate *s, uint32_t m)
{
    size_t lo = 0, hi = s->n_pairs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((s->pairs[mid] >> 32) < m) lo = mid + 1;
        else hi = mid;
    }
    if (lo == s->n_pairs || (s->pairs[lo] >> 32) != m) return 0;
    uint32_t g = (uint32_t)s->pairs[lo];
    for (size_t i = lo + 1; i < s->n_pairs && (s->pairs[i] >> 32) == m; i++)
        if ((uint32_t)s->pairs[i] != g) return g == 0 ? 0 : UINT32_MAX;
    return g;
}

/* One exposed member of the inner SELECT: its arm, and its values to unit_add. */
static int member_row(exec *x, const qval *c, int n, void *ctx)
{
    expstate *s = ctx;
    const expdef *d = &s->d;
    (void)n;
    int arm = -1, named = 0;
    for (int i = 0; i < d->n_arms; i++)
        if (c[2 + i].t == V_INT && c[2 + i].u.i > 0) {
            named++;
            arm = i;
        }
    int64_t with_arm = c[2 + d->n_arms].t == V_INT ? c[2 + d->n_arms].u.i : 0, declared = 0;
    for (int i = 0; i < d->n_arms; i++) declared += c[2 + i].t == V_INT ? c[2 + i].u.i : 0;
    if (named > 1) {
        s->two_arms++;
        return 0;
    }
    if (with_arm > declared) {
        s->unknown_arm++;
        return 0;
    }
    if (c[0].t != V_ID) return 0;
    uint32_t cluster = 0;
    if (d->unit_group) {
        cluster = group_of(s, (uint32_t)c[0].u.i);
        if (cluster == 0 || cluster == UINT32_MAX) {
            if (cluster) s->two_groups++;
            else s->no_group++;
            return 0;
        }
    }
    if (!named) {
        /* the hash of the unit's name: the member's, or with UNIT group the group's */
        shoal_str ms;
        int rc = d->unit_group ? shoal_dict_str(x->r, SHOAL_NS_GROUP, cluster, &ms, x->err)
                               : shoal_dict_str(x->r, SHOAL_NS_MEMBER, (uint32_t)c[0].u.i, &ms, x->err);
        if (rc) return rc;
        arm = arm_of_hash(d, shoal_exp_hash(d->salt, (size_t)d->salt_len, ms.ptr ? ms.ptr : "", ms.len));
        s->by_hash++;
    }
    double vnum[MAX_METRICS], vden[MAX_METRICS];
    for (int j = 0; j < d->n_metrics; j++) {
        double v = num(&c[d->m[j].col]);
        vnum[j] = isnan(v) ? 0 : v;
        if (d->m[j].kind == MK_RATIO) {
            v = num(&c[d->m[j].col_den]);
            vden[j] = isnan(v) ? 0 : v;
        } else {
            vden[j] = 0;
        }
    }
    double cov = 0;
    if (d->covariate) {
        cov = num(&c[d->col_cov]);
        if (isnan(cov)) cov = 0;
    }
    expunit u = {arm, cluster, vnum, vden, cov};
    return unit_add(x, s, &u);
}

/* ---------------------------------------------------------------- rows */

static qval vnum(double d)
{
    qval v = {0};
    if (isfinite(d)) v.t = V_NUM, v.u.d = d;
    return v;
}

static qval vstr(const char *s)
{
    qval v = {0};
    v.t = V_STR;
    v.u.s = s;
    v.n = (uint32_t)strlen(s);
    return v;
}

static qval vbool(int b)
{
    qval v = {0};
    v.t = V_BOOL;
    v.u.i = b != 0;
    return v;
}

/* One metric over every arm: the comparisons on both scales, the one-sided test in the
 * metric's better direction, and the stats kind and method named in the output. */
typedef struct expeval {
    shoal_stats_arm_eval abs[MAX_ARMS], rel[MAX_ARMS], one[MAX_ARMS];
    const char *method;
    int harm[MAX_ARMS];      /* a guardrail's significant harm */
} expeval;

static int evaluate_metric(const expstate *s, int j, expeval *ev)
{
    const expdef *d = &s->d;
    const expmetric *m = &d->m[j];
    shoal_stats_options o;
    memset(&o, 0, sizeof o);
    /* CUPED adjusts every metric when a covariate is declared: means and conversions
     * by x - θc, ratios and groups by gbstats' regression-adjusted ratio (stats.c) */
    o.cuped = d->covariate != NULL;
    if (d->unit_group) {
        o.kind = m->kind == MK_RATIO ? SHOAL_STATS_RATIO : SHOAL_STATS_CLUSTER;
        ev->method = m->kind == MK_RATIO ? (o.cuped ? "group units: ratio of group totals, cluster-robust delta method, cuped"
                                                    : "group units: ratio of group totals, cluster-robust delta method")
                                         : (o.cuped ? "group units: per-member mean over groups, cluster-robust delta method, cuped"
                                                    : "group units: per-member mean over groups, cluster-robust delta method");
    } else if (m->kind == MK_RATIO) {
        o.kind = SHOAL_STATS_RATIO;
        ev->method = o.cuped ? "ratio: delta method, cuped" : "ratio: delta method";
    } else {
        o.kind = m->kind == MK_CONV ? SHOAL_STATS_PROPORTION : SHOAL_STATS_MEAN;
        ev->method = m->kind == MK_CONV ? (o.cuped ? "proportion: welch t, cuped" : "proportion: welch t")
                                        : (o.cuped ? "mean: welch t, cuped" : "mean: welch t");
    }
    o.correction = d->correction;
    o.seq_tuning = SHOAL_STATS_SEQ_TUNING;
    o.level = d->level;
    o.prior = d->prior.proper ? &d->prior : NULL;
    /* TEST one_sided: a primary metric's CIs, p and verdict in its better direction; a
     * guardrail's harm is judged two-sided whatever */
    int better = m->lower_better ? SHOAL_STATS_LESS : SHOAL_STATS_GREATER;
    o.alt = d->one_sided && !m->guardrail ? better : SHOAL_STATS_TWO_SIDED;
    double srm;
    int rc = shoal_stats_evaluate((size_t)d->n_arms, s->mo[j], NULL, &o, ev->abs, &srm);
    o.scale = SHOAL_STATS_RELATIVE;
    o.seq_tuning = 0;
    if (!rc) rc = shoal_stats_evaluate((size_t)d->n_arms, s->mo[j], NULL, &o, ev->rel, &srm);
    o.scale = SHOAL_STATS_ABSOLUTE;
    o.alt = better;
    if (!rc) rc = shoal_stats_evaluate((size_t)d->n_arms, s->mo[j], NULL, &o, ev->one, &srm);
    for (int i = 0; i < d->n_arms; i++) {
        const shoal_stats_arm_eval *a = &ev->abs[i];
        /* harm: the CI (at the experiment's level) lies wholly on the worse side of 0
         * (no correction: a false alarm on a guardrail is the cheaper error) */
        ev->harm[i] = i > 0 && m->guardrail && !a->rc &&
                      (m->lower_better ? a->freq.ci_lo > 0 : a->freq.ci_hi < 0);
    }
    return rc;
}

static int add_warn(char *w, size_t cap, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_warn(char *w, size_t cap, size_t *at, const char *fmt, ...)
{
    if (*at >= cap) return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n > 0) *at += (size_t)n;
    if (*at < cap) *at += (size_t)snprintf(w + *at, cap - *at, "; ");
    return 0;
}

int shoal_experiment_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    expstate *s = p->rs_state;
    const expdef *d = &s->d;
    int rc = 0;
    s->outer = p;
    if (d->unit_group) {
        if ((rc = shoal_rowsrc_run_inner(x, s->groups, group_row, s))) goto fail;
        if (s->n_pairs) qsort(s->pairs, s->n_pairs, sizeof *s->pairs, cmp_u64);   /* qsort(NULL, 0) is UB */
        size_t nc = (size_t)s->max_group + 1;
        s->cl = shoal_malloc(nc * sizeof *s->cl);
        s->cl_sums = shoal_malloc(nc * 2 * (size_t)(d->n_metrics ? d->n_metrics : 1) * sizeof *s->cl_sums);
        if (!s->cl || !s->cl_sums) {
            rc = nomem(x);
            goto fail;
        }
        memset(s->cl_sums, 0, nc * 2 * (size_t)(d->n_metrics ? d->n_metrics : 1) * sizeof *s->cl_sums);
        for (size_t g = 0; g < nc; g++) {
            s->cl[g].arm = -1;
            s->cl[g].members = 0;
            memset(&s->cl[g].cov, 0, sizeof s->cl[g].cov);
            s->cl[g].num = s->cl_sums + g * 2 * (size_t)d->n_metrics;
            s->cl[g].den = s->cl[g].num + d->n_metrics;
        }
    }
    if (s->view.covers) {
        /* the view's sums (with UNIT group over groups, as unit_clusters_done's) */
        shoal_expview_moments(&s->view, &s->mo[0][0], MAX_ARMS, s->units, s->members, &s->two_arms, &s->unknown_arm,
                              &s->by_hash, &s->two_groups, &s->no_group);
    } else {
        size_t nx = sizeof *s->xs * (size_t)(d->n_metrics ? d->n_metrics : 1);
        if (!(s->xs = shoal_arena_alloc(x->a, nx))) {
            rc = nomem(x);
            goto fail;
        }
        if (s->xs) memset(s->xs, 0, nx);
        if ((rc = shoal_rowsrc_run_inner(x, s->inner, member_row, s))) goto fail;
    }
    if (!s->view.covers && d->unit_group && (rc = unit_clusters_done(x, s))) goto fail;
    if (!s->view.covers) unit_sums_done(s);

    double srm_chi2 = NAN, srm_p = NAN;
    double total = 0;
    for (int i = 0; i < d->n_arms; i++) total += s->units[i];
    if (total > 0) shoal_stats_srm((size_t)d->n_arms, s->units, d->weight, &srm_chi2, &srm_p);
    int ready = total > 0 && srm_p >= SHOAL_STATS_SRM_P;

    expeval *ev = shoal_arena_alloc(x->a, sizeof *ev * (size_t)(d->n_metrics ? d->n_metrics : 1));
    if (!ev) {
        rc = nomem(x);
        goto fail;
    }
    for (int j = 0; j < d->n_metrics; j++) evaluate_metric(s, j, &ev[j]);
    /* per arm: the guardrails it harms */
    char failed[MAX_ARMS][256];
    for (int i = 0; i < d->n_arms; i++) {
        size_t w = 0;
        failed[i][0] = 0;
        for (int j = 0; j < d->n_metrics; j++)
            if (ev[j].harm[i] && w < sizeof failed[i])
                w += (size_t)snprintf(failed[i] + w, sizeof failed[i] - w, "%s%s", w ? ", " : "", d->m[j].name);
    }
    char defhash[17];
    snprintf(defhash, sizeof defhash, "%016" PRIx64, d->def_hash);
    const char *corr = d->n_arms <= 2 ? "none (one comparison)" : d->correction == SHOAL_STATS_BH ? "bh" : "holm";
    char prior[96] = "flat (improper): the posterior is N(diff, se²)";
    if (d->prior.proper)
        snprintf(prior, sizeof prior, "normal(%.6g, %.6g) of the relative lift", d->prior.mean, sqrt(d->prior.var));
    const char *prior_s = shoal_arena_strndup(x->a, prior, strlen(prior));
    if (!prior_s) {
        rc = nomem(x);
        goto fail;
    }
    for (int j = 0; j < d->n_metrics; j++) {
        const expmetric *me = &d->m[j];
        for (int i = 0; i < d->n_arms; i++) {
            const shoal_stats_moments *m = &s->mo[j][i];
            const shoal_stats_arm_eval *a = &ev[j].abs[i], *r = &ev[j].rel[i], *o = &ev[j].one[i];
            double mean = NAN, sd = NAN;
            if (me->kind == MK_RATIO || d->unit_group) {
                /* the arm's estimate and sqrt(n)·se (the delta method) */
                if (!a->rc || i == 0) {
                    shoal_stats_arm arm;
                    if (!(me->kind == MK_RATIO ? shoal_stats_arm_ratio(m, &arm) : shoal_stats_arm_cluster(m, &arm)))
                        mean = arm.mean, sd = sqrt(arm.var);
                    else if (m->sy != 0)
                        mean = m->sx / m->sy;
                }
            } else {
                mean = m->n > 0 ? m->sx / m->n : NAN;
                sd = m->n > 1 ? sqrt(fmax(0, (m->sxx - m->sx * m->sx / m->n) / (m->n - 1))) : NAN;
            }
            char warn[600];
            size_t w = 0;
            warn[0] = 0;
            if (total == 0) add_warn(warn, sizeof warn, &w, "no unit exposed yet: not decision-ready");
            else if (!(srm_p >= SHOAL_STATS_SRM_P))
                add_warn(warn, sizeof warn, &w, "SAMPLE RATIO MISMATCH (p = %.3g): not decision-ready", srm_p);
            if (i > 0 && failed[i][0]) add_warn(warn, sizeof warn, &w, "GUARDRAIL FAILED: %s harmed", failed[i]);
            if (s->two_arms)
                add_warn(warn, sizeof warn, &w, "%" PRId64 " %s in two arms left out", s->two_arms, d->unit_group ? "groups" : "members");
            if (s->unknown_arm)
                add_warn(warn, sizeof warn, &w, "%" PRId64 " members in an undeclared arm left out", s->unknown_arm);
            if (s->two_groups) add_warn(warn, sizeof warn, &w, "%" PRId64 " members exposed in two groups left out", s->two_groups);
            if (s->no_group) add_warn(warn, sizeof warn, &w, "%" PRId64 " members exposed without a group left out", s->no_group);
            int sm = shoal_stats_small(m, me->kind == MK_CONV && !d->unit_group);
            if (sm)
                add_warn(warn, sizeof warn, &w, "%s",
                         sm & SHOAL_STATS_WARN_FEW_UNITS ? (d->unit_group ? "too few groups to say anything (under 30)"
                                                                          : "too few units to say anything (under 30)")
                         : sm & SHOAL_STATS_WARN_FEW_EVENTS ? "too few conversions for the normal approximation (under 5)"
                                                            : "no variance");
            if (w >= 2 && w <= sizeof warn) warn[w - 2] = 0;
            warn[sizeof warn - 1] = 0;
            qval row[N_COLS];
            memset(row, 0, sizeof row);
            row[C_METRIC] = vstr(me->name);
            row[C_ROLE] = vstr(me->guardrail ? "guardrail" : "primary");
            row[C_ARM] = vstr(d->arm[i]);
            row[C_UNITS].t = V_INT, row[C_UNITS].u.i = (int64_t)m->n;
            row[C_MEMBERS].t = V_INT, row[C_MEMBERS].u.i = (int64_t)s->members[i];
            row[C_MEAN] = vnum(mean);
            row[C_SD] = vnum(sd);
            if (i > 0 && a->rc == SHOAL_OK) {
                row[C_DIFF] = vnum(a->freq.estimate);
                row[C_DIFF_LO] = vnum(a->freq.ci_lo);
                row[C_DIFF_HI] = vnum(a->freq.ci_hi);
                row[C_P] = vnum(a->freq.p);
                row[C_PADJ] = vnum(a->p_adjusted);
                row[C_CORR] = vstr(corr);
                double ctw = a->bayes.chance_to_win;
                row[C_CTW] = vnum(me->lower_better ? 1 - ctw : ctw);
                row[C_RISK] = vnum(me->lower_better ? a->bayes.risk_control : a->bayes.risk_treatment);
                row[C_RISK_CTRL] = vnum(me->lower_better ? a->bayes.risk_treatment : a->bayes.risk_control);
                row[C_SEQ_LO] = vnum(a->seq.ci_lo);
                row[C_SEQ_HI] = vnum(a->seq.ci_hi);
                row[C_SEQ_P] = vnum(a->seq.p);
                row[C_CUPED] = vnum(a->cuped_reduction);
                if (me->guardrail) row[C_HARM] = vbool(ev[j].harm[i]);
            }
            if (i > 0 && o->rc == SHOAL_OK) row[C_P1] = vnum(o->freq.p);
            if (i > 0 && r->rc == SHOAL_OK) {
                row[C_REL] = vnum(r->freq.estimate);
                row[C_REL_LO] = vnum(r->freq.ci_lo);
                row[C_REL_HI] = vnum(r->freq.ci_hi);
            }
            if (i > 0) {
                const char *v;
                char vb[300];
                if (!ready) v = "not decision-ready";
                else if (failed[i][0]) {
                    snprintf(vb, sizeof vb, "FAILED: guardrail %.255s harmed", failed[i]);
                    v = vb;
                } else if (a->rc) v = "no comparison";
                else if (me->guardrail) v = "no harm";
                else if (a->p_adjusted < 1 - d->level) v = (a->freq.estimate > 0) != me->lower_better ? "better" : "worse";
                else v = "inconclusive";
                row[C_VERDICT] = vstr(v);
                if (v == vb && !(row[C_VERDICT].u.s = shoal_arena_strndup(x->a, vb, strlen(vb)))) {
                    rc = nomem(x);
                    goto fail;
                }
            }
            row[C_SRM] = vnum(srm_p);
            row[C_READY] = vbool(ready);
            row[C_TWO].t = V_INT, row[C_TWO].u.i = s->two_arms;
            row[C_METHOD] = vstr(ev[j].method);
            row[C_SEQ].t = V_INT, row[C_SEQ].u.i = (int64_t)s->seq;
            row[C_DEF] = vstr(defhash);
            row[C_LEVEL] = vnum(d->level);
            row[C_TEST] = vstr(d->one_sided && !me->guardrail ? "one-sided" : "two-sided");
            row[C_PRIOR] = vstr(prior_s);
            if (warn[0]) {
                row[C_WARN] = vstr(warn);
                if (!(row[C_WARN].u.s = shoal_arena_strndup(x->a, warn, strlen(warn)))) {
                    rc = nomem(x);
                    goto fail;
                }
            }
            if ((rc = shoal_exec_sink_push(sink, row))) goto fail;
            if (shoal_exec_sink_full(sink)) goto fail;
        }
    }
fail:
    shoal_free(s->pairs);
    shoal_free(s->cl);
    shoal_free(s->cl_sums);
    s->pairs = NULL;
    s->cl = NULL;
    s->cl_sums = NULL;
    return rc;
}

int shoal_experiment_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const expstate *s = p->rs_state;
    const expdef *d = &s->d;
    char **il = NULL, **gl = NULL;   /* shoal_plan_explain fills them */
    int n_il = 0, n_gl = 0, rc;
    if (s->view.covers) {
        char **l = shoal_arena_alloc(x->a, sizeof(char *));
        char buf[600];
        snprintf(buf, sizeof buf, "experiment %s: per arm and metric the sums kept by its view experiment:%s (sequence %" PRIu64
                 "%s; no log read), then against %s (stats.c: %s%s, %s over the arms)", d->name, d->name,
                 s->view.st.seq, s->view.at ? "; as of the statement's time: each unit's record read again, its windows cut there" : "",
                 d->arm[0], d->unit_group ? "group units, cluster-robust delta method" : "welch t, ratios by the delta method",
                 d->covariate ? ", cuped" : "", d->correction == SHOAL_STATS_BH ? "benjamini-hochberg" : "holm");
        if (!l || !(l[0] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
        *lines = l;
        *n_lines = 1;
        return 0;
    }
    if ((rc = shoal_plan_explain(x, NULL, s->inner, &il, &n_il))) return rc;
    if (s->groups && (rc = shoal_plan_explain(x, NULL, s->groups, &gl, &n_gl))) return rc;
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(*n_lines + n_il + n_gl + 2));
    if (!l) return nomem(x);
    if (*n_lines) memcpy(l, *lines, sizeof(char *) * (size_t)*n_lines);
    int n = *n_lines;
    char buf[600];
    snprintf(buf, sizeof buf, "experiment %s: not from its view (%.240s): each exposed member's arm and metrics from one SELECT "
             "over members, then per arm and metric against %s (stats.c: %s%s, %s over the arms):", d->name, s->view.why, d->arm[0],
             d->unit_group ? "group units, cluster-robust delta method" : "welch t, ratios by the delta method",
             d->covariate ? ", cuped" : "", d->correction == SHOAL_STATS_BH ? "benjamini-hochberg" : "holm");
    if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    for (int i = 0; i < n_il; i++) {
        snprintf(buf, sizeof buf, "  %s", il[i]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    if (n_gl) {
        snprintf(buf, sizeof buf, "%s", "  and first each exposed member's group, from the exposures:");
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    for (int i = 0; i < n_gl; i++) {
        snprintf(buf, sizeof buf, "    %s", gl[i]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    *lines = l;
    *n_lines = n;
    return 0;
}
