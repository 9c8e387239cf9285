/* expview.c — the query layer's side of an experiment's view (engine/view_experiment.c):
 * the view definition compiled from a CREATE EXPERIMENT (its series: the exposures,
 * per declared arm those naming it, those naming any arm, the metrics' events; its
 * params: salt, weights, per metric its window after the first exposure and its
 * conversion), kept under "experiment:<name>" beside the experiment's definition,
 * and the choice experiment(name) makes: the view when it answers the statement
 * exactly, else the log (EXPLAIN says why).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "expview.h"

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static void view_name(const char *name, char *buf, size_t n) { snprintf(buf, n, "experiment:%s", name); }

static shoal_node *mk(exec *x, int kind, const shoal_node *at)
{
    shoal_node *n = shoal_arena_alloc(x->a, sizeof *n);
    if (!n) return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->off = at->off;
    n->len = at->len;
    return n;
}

static shoal_node *mk_str(exec *x, int kind, const char *s, const shoal_node *at)
{
    shoal_node *n = mk(x, kind, at);
    if (n) n->s = s, n->n = (int)strlen(s);
    return n;
}

static shoal_node *mk_bin(exec *x, int op, shoal_node *a, shoal_node *b, const shoal_node *at)
{
    if (!a || !b) return NULL;
    shoal_node *n = mk(x, SHOAL_AST_BINOP, at);
    if (n) n->op = op, n->a = a, n->b = b;
    return n;
}

/* count(TYPE WHERE f) at the EXPOSURE clause */
static shoal_node *exposures(exec *x, const shoal_experiment *e, shoal_node *f)
{
    shoal_node *c = mk_str(x, SHOAL_AST_CALL, "count", e->type), *t = mk(x, SHOAL_AST_NAME, e->type);
    shoal_nlist *l = shoal_arena_alloc(x->a, sizeof *l);
    if (!c || !t || !l || !f) return NULL;
    *t = *e->type;
    t->next = NULL;
    l->head = l->tail = t;
    l->n = 1;
    c->list = l;
    c->filter = f;
    return c;
}

static int same_str(shoal_str a, shoal_str b) { return a.len == b.len && (!a.len || !memcmp(a.ptr, b.ptr, a.len)); }

static int same_series(const shoal_vseries *a, const shoal_vseries *b)
{
    if (a->n_types != b->n_types || !same_str(a->filter, b->filter) || !same_str(a->sum_prop, b->sum_prop)) return 0;
    for (uint32_t i = 0; i < a->n_types; i++)
        if (!same_str(a->types[i], b->types[i])) return 0;
    return 1;
}

int shoal_expview_lay(const shoal_expview_shape *sh, shoal_expview_layout *l)
{
    memset(l, 0, sizeof *l);
    l->n_metrics = sh->n_metrics;
    int k = 0;
    for (int j = 0; j < sh->n_metrics; j++) {
        l->x[j] = k++;
        l->y[j] = sh->ratio[j] ? k++ : -1;
    }
    l->c = sh->covariate ? k++ : -1;
    l->m = sh->group ? k++ : -1;
    for (int j = 0; j < sh->n_metrics && sh->group; j++)
        if (l->y[j] < 0) l->y[j] = l->m;
    l->n_acc = k;
    for (int j = 0; j < sh->n_metrics; j++) l->xy[j] = l->xc[j] = l->yc[j] = -1;
    int n = 0;
    for (int j = 0; j < sh->n_metrics && n < SHOAL_EXP_MAX_PAIRS; j++)
        if (l->y[j] >= 0) l->pair[n][0] = (uint8_t)l->x[j], l->pair[n][1] = (uint8_t)l->y[j], l->xy[j] = n++;
    for (int j = 0; j < sh->n_metrics && sh->covariate; j++) {
        if (n < SHOAL_EXP_MAX_PAIRS) l->pair[n][0] = (uint8_t)l->x[j], l->pair[n][1] = (uint8_t)l->c, l->xc[j] = n;
        n++;
        if (l->y[j] < 0) continue;
        if (n < SHOAL_EXP_MAX_PAIRS) l->pair[n][0] = (uint8_t)l->y[j], l->pair[n][1] = (uint8_t)l->c, l->yc[j] = n;
        n++;
    }
    l->n_pairs = n;
    return k > SHOAL_EXP_MAX_ACC || n > SHOAL_EXP_MAX_PAIRS ? -1 : 0;
}

/* The view definition of experiment st (checked), in x->a; SHOAL_ESEMANTIC with the
 * reason in x->err when a view cannot keep it. */
static int build_def(exec *x, const shoal_stmt *st, shoal_viewdef *def, char *vname, size_t n_vname)
{
    const shoal_experiment *e = st->exp;
    memset(def, 0, sizeof *def);
    view_name(st->vname, vname, n_vname);
    def->kind = SHOAL_VIEW_EXPERIMENT;
    def->name = (shoal_str){vname, (uint32_t)strlen(vname)};
    def->text = (shoal_str){x->src + st->off, (uint32_t)st->len};
    def->tz = (shoal_str){"UTC", 3};
    shoal_expparams *pa = shoal_arena_alloc(x->a, sizeof *pa);
    def->series = shoal_arena_alloc(x->a, sizeof(shoal_vseries) * SHOAL_VIEW_MAX_SERIES);
    if (!pa || !def->series) return nomem(x);
    memset(pa, 0, sizeof *pa);
    pa->late_ms = SHOAL_EXP_LATE_MS;
    /* the clauses (checked by experiment.c): SALT, METRICS then GUARDRAILS (the order of
     * its metrics), COVARIATE, UNIT group */
    const shoal_item *lists[2] = {NULL, NULL};
    const shoal_exp_clause *cov = NULL;
    pa->salt = (shoal_str){st->vname, (uint32_t)strlen(st->vname)};
    for (const shoal_exp_clause *c = e->clauses; c; c = c->next) {
        if (!strcasecmp(c->w.s, "salt") && c->str) pa->salt = (shoal_str){c->str->s, (uint32_t)c->str->n};
        else if (!strcasecmp(c->w.s, "metrics")) lists[0] = c->items;
        else if (!strcasecmp(c->w.s, "guardrails")) lists[1] = c->items;
        else if (!strcasecmp(c->w.s, "covariate")) cov = c;
        else if (!strcasecmp(c->w.s, "unit") && c->arg.s && !strcasecmp(c->arg.s, "group")) pa->group = 1;
    }
    const shoal_node *at = e->type;
    /* the exposures: experiment = 'name' [AND (where)] */
    shoal_node *f = mk_bin(x, SHOAL_OP_EQ, mk_str(x, SHOAL_AST_NAME, "experiment", at), mk_str(x, SHOAL_AST_STR, st->vname, at), at);
    if (f && e->where) f = mk_bin(x, SHOAL_OP_AND, f, e->where, at);
    if (!f) return nomem(x);
    /* series 0 the exposures, 1.. those naming each declared arm, then those naming any */
    shoal_node *g[SHOAL_EXP_MAX_ARMS + 2];
    int n_g = 0;
    g[n_g++] = f;
    for (const shoal_item *a = e->arms; a && pa->n_arms < SHOAL_EXP_MAX_ARMS; a = a->next) {
        pa->weight[pa->n_arms++] = (uint32_t)a->expr->i;
        g[n_g++] = mk_bin(x, SHOAL_OP_AND, f, mk_bin(x, SHOAL_OP_EQ, mk_str(x, SHOAL_AST_NAME, "arm", at),
                                                     mk_str(x, SHOAL_AST_STR, a->alias, at), at), at);
    }
    shoal_node *nn = mk(x, SHOAL_AST_ISNULL, at);
    if (!nn || !(nn->a = mk_str(x, SHOAL_AST_NAME, "arm", at))) return nomem(x);
    nn->flags |= SHOAL_AST_F_NOT;
    g[n_g++] = mk_bin(x, SHOAL_OP_AND, f, nn, at);
    for (int i = 0; i < n_g; i++) {
        shoal_node *c = g[i] ? exposures(x, e, g[i]) : NULL;
        if (!c) return nomem(x);
        if (shoal_views_series_of(x, c, &def->series[def->n_series++])) return x->err->code;
    }
    /* the metrics' accumulators (a ratio's two), then the covariate's, and the pairs
     * whose cross products the arms keep, in the order shoal_expview_layout gives */
    shoal_expview_shape sh;
    memset(&sh, 0, sizeof sh);
    const shoal_node *calls[2 * SHOAL_EXPVIEW_MAX_METRICS + 1];
    int n_calls = 0;
    for (int li = 0; li < 2; li++)
    for (const shoal_item *m = lists[li]; m; m = m->next) {
        const shoal_node *c0 = m->expr;
        if (sh.n_metrics == SHOAL_EXPVIEW_MAX_METRICS) return shoal_err_set(x->err, SHOAL_ESEMANTIC, m->alias_off, m->alias_len, "%s", "too many metrics");
        if (c0->kind == SHOAL_AST_BINOP && c0->op == SHOAL_OP_GT) {
            sh.thr[sh.n_metrics] = c0->b->i;
            sh.conv[sh.n_metrics] = 1;
            c0 = c0->a;
        }
        if (c0->kind == SHOAL_AST_BINOP) {
            sh.ratio[sh.n_metrics] = 1;
            calls[n_calls++] = c0->a;
            calls[n_calls++] = c0->b;
        } else {
            calls[n_calls++] = c0;
        }
        sh.n_metrics++;
    }
    if (cov) {
        sh.covariate = 1;
        calls[n_calls++] = cov->call;
    }
    sh.group = pa->group;
    shoal_expview_layout lay;
    if (shoal_expview_lay(&sh, &lay))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, -1, -1, "a view keeps at most %d accumulators and %d cross products",
                             SHOAL_EXP_MAX_ACC, SHOAL_EXP_MAX_PAIRS);
    for (int i = 0; i < n_calls; i++) {
        const shoal_node *c0 = calls[i];
        shoal_expacc *ac = &pa->acc[pa->n_acc];
        if (c0->kind != SHOAL_AST_CALL || !c0->anc)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, c0->off, c0->len, "%s", "a view keeps count and sum aggregates");
        const char *u = c0->anc->unit;
        int64_t unit = !strcasecmp(u, "day") || !strcasecmp(u, "days") ? SHOAL_MS_PER_DAY
                       : !strcasecmp(u, "week") || !strcasecmp(u, "weeks") ? 7 * SHOAL_MS_PER_DAY
                       : !strcasecmp(u, "hour") || !strcasecmp(u, "hours") ? 3600000
                       : !strcasecmp(u, "minute") || !strcasecmp(u, "minutes") ? 60000 : 0;
        if (!unit) return shoal_err_set(x->err, SHOAL_ESEMANTIC, c0->anc->unit_off, c0->anc->unit_len, "unknown time unit \"%s\"", u);
        if (sh.covariate && i == n_calls - 1) ac->lo = -c0->anc->n * unit, ac->hi = 0;   /* BEFORE the anchor */
        else ac->lo = 0, ac->hi = c0->anc->n * unit;
        shoal_node *c = shoal_arena_alloc(x->a, sizeof *c);
        if (!c) return nomem(x);
        *c = *c0;
        c->anc = NULL;
        c->win = NULL;
        shoal_vseries sv;
        if (shoal_views_series_of(x, c, &sv)) return x->err->code;
        uint32_t k = (uint32_t)pa->n_arms + 2;
        while (k < def->n_series && !same_series(&def->series[k], &sv)) k++;
        if (k == def->n_series) {
            if (def->n_series == SHOAL_VIEW_MAX_SERIES)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c0->off, c0->len, "%s", "a view keeps at most 64 series");
            def->series[def->n_series++] = sv;
        }
        ac->series = k;
        pa->n_acc++;
    }
    for (int j = 0; j < sh.n_metrics; j++) {
        if (sh.conv[j]) pa->acc[lay.x[j]].conv = 1, pa->acc[lay.x[j]].thr = sh.thr[j];
    }
    if (lay.m >= 0) pa->acc[pa->n_acc++] = (shoal_expacc){0, 0, 0, 2, 0};   /* the members: 1 each */
    pa->n_pairs = (uint32_t)lay.n_pairs;
    memcpy(pa->pair, lay.pair, sizeof lay.pair);
    return shoal_expview_params_encode(pa, x->a, &def->blob, x->err);
}

int shoal_expview_drop(exec *x, const char *name)
{
    char vname[96];
    view_name(name, vname, sizeof vname);
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_view_drop(x->db, vname, &e);
    if (rc == SHOAL_ENOTFOUND) return 0;
    return rc ? shoal_err_set(x->err, rc, -1, -1, "%s", e.msg) : 0;
}

int shoal_expview_install(exec *x, const shoal_stmt *st)
{
    shoal_viewdef def;
    char vname[96];
    shoal_err quiet, *saved = x->err;
    shoal_err_clear(&quiet);
    x->err = &quiet;
    int rc = build_def(x, st, &def, vname, sizeof vname);
    x->err = saved;
    if (rc == SHOAL_ENOMEM) return nomem(x);
    if (!rc && quiet.code) rc = quiet.code;
    int drc = shoal_expview_drop(x, st->vname);
    if (drc) return drc;
    if (rc) {
        size_t k = strlen(x->tag);
        snprintf(x->tag + k, sizeof x->tag - k, " (kept without a view, evaluated from the log: %.120s)", quiet.msg);
        return 0;
    }
    shoal_err e;
    shoal_err_clear(&e);
    rc = shoal_view_create(x->db, &def, &e);
    if (rc && e.sys == MDB_DBS_FULL) {
        /* the environment's tables are all taken (mdb_env_set_maxdbs): no view, the log */
        size_t k = strlen(x->tag);
        snprintf(x->tag + k, sizeof x->tag - k, "%s", " (kept without a view, evaluated from the log: the database holds as many views as it can)");
        return 0;
    }
    if (rc) return shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
    shoal_reader *r;
    shoal_viewinfo vi;
    uint64_t n = 0;
    if (shoal_reader_open(x->db, &r, NULL) == SHOAL_OK) {
        if (shoal_view_info(r, x->a, vname, &vi, NULL) == SHOAL_OK) n = vi.seq;
        shoal_reader_close(r);
    }
    size_t k = strlen(x->tag);
    snprintf(x->tag + k, sizeof x->tag - k, " (view back-filled %" PRIu64 " event%s)", n, n == 1 ? "" : "s");
    return 0;
}

int shoal_expview_ensure(exec *x, const shoal_stmt *st)
{
    char vname[96];
    view_name(st->vname, vname, sizeof vname);
    shoal_reader *r;
    int rc = shoal_reader_open(x->db, &r, x->err);
    if (rc) return rc;
    shoal_viewinfo vi;
    shoal_err quiet;
    shoal_err_clear(&quiet);
    rc = shoal_view_info(r, x->a, vname, &vi, &quiet);
    shoal_reader_close(r);
    if (rc == SHOAL_ENOTFOUND) return shoal_expview_install(x, st);
    return rc ? shoal_err_set(x->err, rc, -1, -1, "%s", quiet.msg) : 0;
}

/* ---------------------------------------------------------------- reading */

static int no(shoal_expview_use *u, const char *fmt, const char *a, uint64_t b)
{
    u->covers = 0;
    snprintf(u->why, sizeof u->why, fmt, a, b);
    return 0;
}

int shoal_expview_plan(exec *x, const char *name, const char *text, int n_arms, const shoal_expview_shape *sh,
                       const plan *p, shoal_expview_use *u)
{
    memset(u, 0, sizeof *u);
    if (shoal_expview_lay(sh, &u->lay)) return no(u, "%sa view keeps at most %" PRIu64 " accumulators", "", SHOAL_EXP_MAX_ACC);
    char vname[96];
    view_name(name, vname, sizeof vname);
    if (x->no_views) return no(u, "%sSET VIEWS = off", "", 0);
    shoal_viewinfo vi;
    shoal_err quiet;
    shoal_err_clear(&quiet);
    int rc = shoal_view_info(x->r, x->a, vname, &vi, &quiet);
    if (rc == SHOAL_ENOTFOUND || (!rc && vi.def.kind != SHOAL_VIEW_EXPERIMENT))
        return no(u, "it has no view (%s; CREATE OR REPLACE EXPERIMENT makes one when a view can keep its metrics and filters)", vname, 0);
    if (rc) return shoal_err_set(x->err, rc, -1, -1, "%s", quiet.msg);
    /* the view must be of this definition (the same text, as views.c's same_text) */
    if (vi.def.text.len != strlen(text) || memcmp(vi.def.text.ptr, text, vi.def.text.len))
        return no(u, "its view %s is of another definition (shoal rebuild, or CREATE OR REPLACE, makes it again)", vname, 0);
    /* a time before the latest event the view holds (AS OF, or a now before it): the
     * units exposed by then, their windows cut there, from each unit's record */
    int cut = p->cut_ts != INT64_MAX;
    shoal_err_clear(&quiet);
    rc = shoal_view_experiment_read(x->r, vname, x->a, &u->st, &quiet);
    if (!rc && u->st.outdated)
        return no(u, "its view %s was made by an earlier build of shoal (the next ingest, or shoal rebuild, remakes it)", vname, 0);
    if (rc == SHOAL_EVERSION) return no(u, "its view %s is of a later shoal's layout (upgrade shoal)", vname, 0);
    if (!rc && cut && p->cut_ts < u->st.max_ts) {
        if (u->st.seq == shoal_reader_last_seq(x->r) && p->max_seq >= u->st.seq)
            rc = shoal_view_experiment_read_at(x->r, vname, &vi.def, p->cut_ts, x->cancel, &u->st, &quiet);
    } else {
        cut = 0;
    }
    if (rc == SHOAL_ENOTFOUND || rc == SHOAL_ECORRUPT) return no(u, "its view %s has no readable statistics", vname, 0);
    if (rc) return shoal_err_set(x->err, rc, -1, -1, "%s", quiet.msg);
    if (u->st.n_arms != (uint32_t)n_arms || u->st.n_acc != (uint32_t)u->lay.n_acc || u->st.n_pairs != (uint32_t)u->lay.n_pairs ||
        u->st.group != sh->group)
        return no(u, "its view %s does not match the definition's arms and metrics", vname, 0);
    if (u->st.seq != shoal_reader_last_seq(x->r))
        return no(u, "its view %s reflects sequence %" PRIu64 ", not the log's last", vname, u->st.seq);
    if (p->max_seq < u->st.seq)
        return no(u, "%sAS OF SEQ %" PRIu64 " is before the view's sequence (the view keeps no sequence per event)", "", p->max_seq);
    if (u->st.inexact)
        return no(u, "%s%" PRIu64 " units were first exposed more than 30 days behind the latest event: the view cannot place their windows",
                  "", (uint64_t)u->st.inexact);
    if (u->st.text)
        return no(u, "%s%" PRIu64 " units have text in a summed property inside their windows (the log's answer is its error)", "",
                  (uint64_t)u->st.text);
    u->at = cut;
    u->covers = 1;
    return 0;
}

void shoal_expview_moments(const shoal_expview_use *u, shoal_stats_moments *mo, int stride, double *units,
                           double *members, int64_t *two_arms, int64_t *unknown_arm, int64_t *by_hash,
                           int64_t *two_groups, int64_t *no_group)
{
    const shoal_expview_stats *s = &u->st;
    const shoal_expview_layout *l = &u->lay;
    uint32_t na = s->n_acc, np = s->n_pairs;
    for (uint32_t i = 0; i < s->n_arms; i++) {
        units[i] = (double)s->n[i];
        const shoal_xsum *sx = &s->sx[i * na], *sxx = &s->sxx[i * na], *sxy = &s->sxy[i * np];
        members[i] = l->m >= 0 ? shoal_xsum_value(&sx[l->m]) : units[i];
        for (int j = 0; j < l->n_metrics; j++) {
            shoal_stats_moments *m = &mo[(size_t)j * (size_t)stride + i];
            memset(m, 0, sizeof *m);
            m->n = (double)s->n[i];
            m->sx = shoal_xsum_value(&sx[l->x[j]]);
            m->sxx = shoal_xsum_value(&sxx[l->x[j]]);
            if (l->y[j] >= 0) {
                m->sy = shoal_xsum_value(&sx[l->y[j]]);
                m->syy = shoal_xsum_value(&sxx[l->y[j]]);
                m->sxy = shoal_xsum_value(&sxy[l->xy[j]]);
            }
            if (l->c >= 0) {
                m->sc = shoal_xsum_value(&sx[l->c]);
                m->scc = shoal_xsum_value(&sxx[l->c]);
                m->sxc = shoal_xsum_value(&sxy[l->xc[j]]);
                if (l->yc[j] >= 0) m->syc = shoal_xsum_value(&sxy[l->yc[j]]);
            }
        }
    }
    *two_arms = s->two_arms + s->groups_two_arms;
    *unknown_arm = s->unknown_arm;
    *by_hash = s->by_hash;
    *two_groups = s->two_groups;
    *no_group = s->no_group;
}
