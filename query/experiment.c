/* experiment.c — CREATE EXPERIMENT name ARMS (control 50, ritual 50) [SALT 's'] METRICS
 * (m = count(post) WITHIN 7 DAYS [> 0], …) EXPOSURE TYPE [WHERE …], and FROM
 * experiment(name) (EVALUATE EXPERIMENT name [AS OF …] is the same), a row source
 * (rowsrc.h) with one row per metric and arm.
 *
 * A definition is kept like a retention's, as its statement text, and compiled at
 * use into one SELECT over members (planned by plan.c, so its types, filters and
 * errors are the language's): the anchor first(TYPE WHERE experiment = 'name' [AND
 * …]), the member's exposures per declared arm and with any arm, and each metric as
 * the aggregate WITHIN n DAYS AFTER that anchor (anchor.c). The executor answers it
 * from one scan of the log and the anchored windows' second pass; each exposed member
 * then goes to an arm: the arm its exposures name, or, when none names one, the arm
 * the hash gives (shoal_experiment_arm). A member whose exposures name two arms, or an
 * arm the definition does not declare, is counted and left out. Per arm and metric the
 * sums (n, Σx, Σx²) go to stats.c (shoal_stats_evaluate), with the sample-ratio check
 * against the declared weights.
 */
#include <inttypes.h>
#include <math.h>
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

typedef struct expdef {
    const char *name;
    int n_arms, n_metrics;
    const char *arm[MAX_ARMS];
    double weight[MAX_ARMS];
    const char *salt;
    int salt_len;
    const char *metric[MAX_METRICS];
    int conv[MAX_METRICS];        /* a 0/1 conversion: value > thr */
    int64_t thr[MAX_METRICS];
} expdef;

typedef struct expstate {
    expdef d;
    plan *inner;
    uint64_t seq;
    /* filled by the rows */
    shoal_stats_moments mo[MAX_METRICS][MAX_ARMS];
    double units[MAX_ARMS];
    int64_t two_arms, unknown_arm, by_hash;
    int err;
    shoal_xsum xs[MAX_METRICS][MAX_ARMS][2];   /* the log's Σx, Σx², exact (expview.h) */
    shoal_expview_use view;                    /* the view, when it answers (expview.c) */
} expstate;

static const char *const cols[] = {"metric", "arm", "units", "mean", "sd", "diff", "diff_lo", "diff_hi", "rel_diff",
                                   "rel_lo", "rel_hi", "p", "p_holm", "chance_to_win", "srm_p", "decision_ready",
                                   "two_arms", "seq", "warning"};
enum { N_COLS = 19 };

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int word_is(exec *x, const shoal_word *w, const char *want, const char *what)
{
    if (w->s && !strcasecmp(w->s, want)) return 0;
    return shoal_err_set(x->err, SHOAL_ESYNTAX, w->off, w->len, "expected %s but found \"%s\"", what, w->s ? w->s : "");
}

/* ---------------------------------------------------------------- assignment */

uint64_t shoal_experiment_hash(const char *salt, size_t salt_len, const char *member, size_t member_len)
{
    /* the bytes hashed: the salt (the experiment's name when it has none), one 0 byte,
     * the member's name; XXH3_64bits with its default secret and seed 0 */
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, salt, salt_len);
    XXH3_64bits_update(&st, "", 1);
    XXH3_64bits_update(&st, member, member_len);
    return XXH3_64bits_digest(&st);
}

/* The arm (index) the hash gives: h mod the sum of the weights, into the arms'
 * cumulative weights in their declared order. */
static int arm_of_hash(const expdef *d, uint64_t h)
{
    uint64_t total = 0;
    for (int i = 0; i < d->n_arms; i++) total += (uint64_t)d->weight[i];
    uint64_t r = h % total, acc = 0;
    for (int i = 0; i < d->n_arms; i++) {
        acc += (uint64_t)d->weight[i];
        if (r < acc) return i;
    }
    return d->n_arms - 1;
}

/* ---------------------------------------------------------------- the definition */

static int check_def(exec *x, const shoal_stmt *st, expdef *d)
{
    const shoal_experiment *e = st->exp;
    int rc;
    memset(d, 0, sizeof *d);
    d->name = st->vname;
    if ((rc = word_is(x, &e->arms_w, "arms", "ARMS"))) return rc;
    if (e->salt && (rc = word_is(x, &e->salt_w, "salt", "SALT or METRICS"))) return rc;
    if ((rc = word_is(x, &e->metrics_w, "metrics", "METRICS"))) return rc;
    if ((rc = word_is(x, &e->exposure_w, "exposure", "EXPOSURE"))) return rc;
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
    if (e->salt) d->salt = e->salt->s, d->salt_len = e->salt->n;
    else d->salt = st->vname, d->salt_len = (int)strlen(st->vname);
    for (const shoal_item *m = e->metrics; m; m = m->next) {
        if (d->n_metrics == MAX_METRICS)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->alias_off, m->alias_len, "an experiment has at most %d metrics", MAX_METRICS);
        for (int i = 0; i < d->n_metrics; i++)
            if (!strcmp(d->metric[i], m->alias))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->alias_off, m->alias_len, "metric \"%s\" is defined twice", m->alias);
        const shoal_node *c = m->expr;
        if (c->kind == SHOAL_AST_BINOP) {
            d->conv[d->n_metrics] = 1;
            d->thr[d->n_metrics] = c->b->i;
            c = c->a;
        }
        if (strcasecmp(c->s, "count") && strcasecmp(c->s, "sum"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->off, c->n, "a metric is count(…) or sum(TYPE.prop), not %s(…)", c->s);
        if (c->win)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->win->off, c->win->len, "%s", "a metric's window is its WITHIN: no DURING");
        if (c->anc->n <= 0)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->anc->off, c->anc->len, "%s", "a metric's window is at least 1 day");
        d->metric[d->n_metrics++] = m->alias;
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

/* The definition's SELECT over members (in x->a, positions in st's text, x->src), with
 * st's AS OF when asof is not NULL: member, the anchor, per arm its exposures, the
 * exposures with any arm, the metrics. */
static int compile_def(exec *x, const shoal_stmt *st, const expdef *d, const shoal_stmt *asof, plan **out)
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
    int n_items = 1 + 1 + d->n_arms + 1 + d->n_metrics;
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
    for (const shoal_item *m = e->metrics; m; m = m->next) {
        const shoal_node *c0 = m->expr->kind == SHOAL_AST_BINOP ? m->expr->a : m->expr;
        shoal_node *c = shoal_arena_alloc(x->a, sizeof *c);
        shoal_anchor *an = shoal_arena_alloc(x->a, sizeof *an);
        if (!c || !an) return nomem(x);
        *c = *c0;
        *an = *c0->anc;
        an->dir = "after";
        an->dir_off = an->unit_off;
        an->dir_len = an->unit_len;
        an->call = anchor;
        c->anc = an;
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
    return shoal_rowsrc_plan_inner(x, q, out);
}

int shoal_experiment_create(exec *x, const shoal_stmt *st)
{
    expdef d;
    int rc = check_def(x, st, &d);
    if (rc) return rc;
    if ((rc = shoal_reader_open(x->db, &x->r, x->err))) return rc;
    plan *ip;
    rc = compile_def(x, st, &d, NULL, &ip);
    shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}

/* The definition of experiment name, checked, into d (st's text: *text). */
static int experiment_find(exec *x, const char *name, int off, int len, const shoal_stmt **def, const char **text, expdef *d)
{
    int rc = shoal_plan_def_find(x, name, "experiment", off, len, def, text);
    if (rc) return rc;
    const char *saved_src = x->src;
    shoal_err quiet, *saved_err = x->err;
    shoal_err_clear(&quiet);
    x->src = *text;
    x->err = &quiet;
    rc = (*def)->exp ? check_def(x, *def, d) : SHOAL_ECORRUPT;
    x->src = saved_src;
    x->err = saved_err;
    if (rc)
        return shoal_err_set(x->err, rc, off, len, "experiment \"%s\": %s", name,
                             (*def)->exp ? quiet.msg : "its definition is not a CREATE EXPERIMENT");
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
    } else if (a[0].t == V_ID && a[0].ns == SHOAL_NS_MEMBER) {
        shoal_err e;
        shoal_err_clear(&e);
        if (shoal_dict_str(x->r, SHOAL_NS_MEMBER, (uint32_t)a[0].u.i, &s, &e)) return;
    } else {
        return;   /* NULL, or not a member's name */
    }
    const char *arm = d->arm[arm_of_hash(d, shoal_experiment_hash(d->salt, (size_t)d->salt_len, s.ptr ? s.ptr : "", s.len))];
    out->t = V_STR;
    out->u.s = arm;
    out->n = (uint32_t)strlen(arm);
}

/* ---------------------------------------------------------------- plan */

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
    const char *saved_src = x->src;
    shoal_err quiet, *saved_err = x->err;
    shoal_err_clear(&quiet);
    x->src = text;
    x->err = &quiet;
    rc = compile_def(x, def, &s->d, st, &s->inner);
    x->src = saved_src;
    x->err = saved_err;
    if (rc) return shoal_err_set(x->err, rc, st->from_arg_off, st->from_arg_len, "experiment \"%s\": %s", st->from_arg, quiet.msg);
    if ((rc = shoal_expview_plan(x, st->from_arg, text, s->d.n_arms, s->d.n_metrics, s->inner, &s->view))) return rc;
    s->seq = p->max_seq;
    static const int rt[N_COLS] = {V_STR, V_STR, V_INT, V_NUM, V_NUM, V_NUM, V_NUM, V_NUM, V_NUM,
                                   V_NUM, V_NUM, V_NUM, V_NUM, V_NUM, V_NUM, V_BOOL, V_INT, V_INT, V_STR};
    static const uint8_t ns[N_COLS] = {0};
    p->n_src = N_COLS;
    p->src_names = cols;
    p->src_rt = rt;
    p->src_ns = ns;
    p->rs_state = s;
    return 0;
}

/* ---------------------------------------------------------------- rows */

static double num(const qval *v)
{
    if (v->t == V_INT || v->t == V_BOOL) return (double)v->u.i;
    if (v->t == V_NUM) return v->u.d;
    return NAN;
}

/* One exposed member of the inner SELECT: its arm, its metrics into the arm's sums. */
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
    if (!named) {
        if (c[0].t != V_ID) return 0;
        shoal_str ms;
        int rc = shoal_dict_str(x->r, SHOAL_NS_MEMBER, (uint32_t)c[0].u.i, &ms, x->err);
        if (rc) return rc;
        arm = arm_of_hash(d, shoal_experiment_hash(d->salt, (size_t)d->salt_len, ms.ptr ? ms.ptr : "", ms.len));
        s->by_hash++;
    }
    s->units[arm] += 1;
    for (int j = 0; j < d->n_metrics; j++) {
        double v = num(&c[3 + d->n_arms + j]);
        if (isnan(v)) v = 0;
        if (d->conv[j]) v = v > (double)d->thr[j] ? 1 : 0;
        s->mo[j][arm].n += 1;
        shoal_expview_add(s->xs[j][arm], v);
    }
    return 0;
}

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

int shoal_experiment_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    expstate *s = p->rs_state;
    const expdef *d = &s->d;
    int rc = 0;
    if (s->view.covers) {
        shoal_expview_moments(&s->view, &s->mo[0][0], MAX_ARMS, s->units, &s->two_arms, &s->unknown_arm, &s->by_hash);
    } else {
        if ((rc = shoal_rowsrc_run_inner(x, s->inner, member_row, s))) return rc;
        for (int j = 0; j < d->n_metrics; j++)
            for (int i = 0; i < d->n_arms; i++) {
                s->mo[j][i].sx = shoal_xsum_value(&s->xs[j][i][0]);
                s->mo[j][i].sxx = shoal_xsum_value(&s->xs[j][i][1]);
            }
    }

    double srm_chi2 = NAN, srm_p = NAN;
    double total = 0;
    for (int i = 0; i < d->n_arms; i++) total += s->units[i];
    if (total > 0) shoal_stats_srm((size_t)d->n_arms, s->units, d->weight, &srm_chi2, &srm_p);
    int ready = total > 0 && srm_p >= SHOAL_STATS_SRM_P;
    for (int j = 0; j < d->n_metrics; j++) {
        shoal_stats_arm_eval abs[MAX_ARMS], rel[MAX_ARMS];
        shoal_stats_options o;
        memset(&o, 0, sizeof o);
        o.kind = d->conv[j] ? SHOAL_STATS_PROPORTION : SHOAL_STATS_MEAN;
        o.correction = SHOAL_STATS_HOLM;
        double dummy;
        shoal_stats_evaluate((size_t)d->n_arms, s->mo[j], NULL, &o, abs, &dummy);
        o.scale = SHOAL_STATS_RELATIVE;
        shoal_stats_evaluate((size_t)d->n_arms, s->mo[j], NULL, &o, rel, &dummy);
        for (int i = 0; i < d->n_arms; i++) {
            const shoal_stats_moments *m = &s->mo[j][i];
            double mean = m->n > 0 ? m->sx / m->n : NAN;
            double sd = m->n > 1 ? sqrt(fmax(0, (m->sxx - m->sx * m->sx / m->n) / (m->n - 1))) : NAN;
            char warn[400];
            size_t w = 0;
            warn[0] = 0;
            if (total == 0)
                w += (size_t)snprintf(warn + w, sizeof warn - w, "no member exposed yet: not decision-ready; ");
            else if (!(srm_p >= SHOAL_STATS_SRM_P))
                w += (size_t)snprintf(warn + w, sizeof warn - w, "SAMPLE RATIO MISMATCH (p = %.3g): not decision-ready; ", srm_p);
            if (s->two_arms && w < sizeof warn)
                w += (size_t)snprintf(warn + w, sizeof warn - w, "%" PRId64 " units in two arms left out; ", s->two_arms);
            if (s->unknown_arm && w < sizeof warn)
                w += (size_t)snprintf(warn + w, sizeof warn - w, "%" PRId64 " units in an undeclared arm left out; ", s->unknown_arm);
            int sm = shoal_stats_small(m, d->conv[j]);
            if (sm && w < sizeof warn)
                w += (size_t)snprintf(warn + w, sizeof warn - w, "%s; ",
                                      sm & SHOAL_STATS_WARN_FEW_UNITS ? "too few units to say anything"
                                      : sm & SHOAL_STATS_WARN_FEW_EVENTS ? "too few conversions for the normal approximation"
                                                                         : "no variance");
            if (w >= 2 && w < sizeof warn) warn[w - 2] = 0;
            qval row[N_COLS];
            memset(row, 0, sizeof row);
            row[0] = vstr(d->metric[j]);
            row[1] = vstr(d->arm[i]);
            row[2].t = V_INT, row[2].u.i = (int64_t)m->n;
            row[3] = vnum(mean);
            row[4] = vnum(sd);
            if (i > 0 && abs[i].rc == SHOAL_OK) {
                row[5] = vnum(abs[i].freq.estimate);
                row[6] = vnum(abs[i].freq.ci_lo);
                row[7] = vnum(abs[i].freq.ci_hi);
                row[11] = vnum(abs[i].freq.p);
                row[12] = vnum(abs[i].p_adjusted);
                row[13] = vnum(abs[i].bayes.chance_to_win);
            }
            if (i > 0 && rel[i].rc == SHOAL_OK) {
                row[8] = vnum(rel[i].freq.estimate);
                row[9] = vnum(rel[i].freq.ci_lo);
                row[10] = vnum(rel[i].freq.ci_hi);
            }
            row[14] = vnum(srm_p);
            row[15].t = V_BOOL, row[15].u.i = ready;
            row[16].t = V_INT, row[16].u.i = s->two_arms;
            row[17].t = V_INT, row[17].u.i = (int64_t)s->seq;
            row[18] = warn[0] ? vstr(warn) : (qval){0};
            if (row[18].t == V_STR && !(row[18].u.s = shoal_arena_strndup(x->a, warn, strlen(warn)))) return nomem(x);
            if ((rc = shoal_exec_sink_push(sink, row))) return rc;
            if (shoal_exec_sink_full(sink)) return 0;
        }
    }
    return 0;
}

int shoal_experiment_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const expstate *s = p->rs_state;
    char **il = NULL;
    int n_il = 0, rc;
    if (!s->view.covers && (rc = shoal_plan_explain(x, NULL, s->inner, &il, &n_il))) return rc;
    /* *lines and *n_lines are outputs only (rowsrc.h): the caller's are not set */
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(n_il + 1));
    if (!l) return nomem(x);
    int n = 0;
    char buf[600];
    if (s->view.covers)
        snprintf(buf, sizeof buf, "experiment %s: per arm and metric the sums kept by its view experiment:%s (sequence %" PRIu64
                 "; no log read), then Welch's t against %s (stats.c)", s->d.name, s->d.name, s->view.st.seq, s->d.arm[0]);
    else
        snprintf(buf, sizeof buf, "experiment %s: not from its view (%s): each exposed member's arm and metrics from one SELECT "
                 "over members, then per arm and metric Welch's t against %s (stats.c):", s->d.name, s->view.why, s->d.arm[0]);
    if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    for (int i = 0; i < n_il; i++) {
        snprintf(buf, sizeof buf, "  %s", il[i]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    *lines = l;
    *n_lines = n;
    return 0;
}
