/* subquery.c — composition: a SELECT's rows read by another SELECT.
 *
 * - WITH name AS (SELECT …) and FROM (SELECT …) t: a row source (rowsrc.h) whose rows
 *   are those of the inner SELECT, planned with the outer one (so views answer what they
 *   cover there, as anywhere) and run when the outer one runs, each row streamed through
 *   exec->on_row into the outer WHERE, grouping, ordering and output. A WITH query is
 *   planned and run where it is read (each reading its own run), as PostgreSQL inlines a
 *   WITH query read once.
 * - PER DAY|WEEK|MONTH: the same source, with the inner SELECT planned and run once per
 *   period as of the period's end (AS OF), its statement window the period, a column
 *   period its value: flow()'s evaluation per period, for any SELECT. `SELECT … FROM
 *   members PER MONTH …` is that over the SELECT itself (shoal_subq_per_select).
 * - (SELECT …) as a value and x IN (SELECT …): the inner plan is kept in the outer plan
 *   (plan.subs) and run before it; its X_SUBQ node then becomes a constant or a set, so
 *   the outer plan runs as if they had been written in (a count compared with a
 *   subquery's number is still worked out as bits over the view's counts).
 * Correlated subqueries (an inner SELECT reading the outer one's row) are refused.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "merge.h"
#include "rowsrc.h"
#include "subquery.h"

#define DAY_MS 86400000LL

/* More periods than this is a mistake (PER DAY over decades): each is an evaluation. */
#define MAX_PERIODS 20000

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static void *zalloc(exec *x, size_t n)
{
    void *p = shoal_arena_alloc(x->a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    else nomem(x);
    return p;
}

/* ---------------------------------------------------------------- WITH */

int shoal_subq_with(exec *x, const shoal_stmt *st, const shoal_scope **saved)
{
    *saved = x->scope;
    if (!st->with) return 0;
    for (const shoal_cte *c = st->with; c; c = c->next)
        for (const shoal_cte *d = st->with; d != c; d = d->next)
            if (!strcasecmp(c->name, d->name))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, c->name_off, c->name_len,
                                     "WITH query \"%s\" is defined twice", c->name);
    shoal_scope *s = zalloc(x, sizeof *s);
    if (!s) return SHOAL_ENOMEM;
    s->ctes = st->with;
    s->up = x->scope;
    x->scope = s;
    return 0;
}

static const shoal_cte *find_cte(exec *x, const char *name, const shoal_scope **where)
{
    for (const shoal_scope *s = x->scope; s; s = s->up)
        for (const shoal_cte *c = s->ctes; c && c != s->upto; c = c->next)
            if (!strcasecmp(c->name, name)) {
                if (where) *where = s;
                return c;
            }
    return NULL;
}

const shoal_cte *shoal_subq_cte(exec *x, const char *name) { return find_cte(x, name, NULL); }

const shoal_scope *shoal_subq_cte_scope(exec *x, const char *name)
{
    const shoal_scope *where = NULL;
    const shoal_cte *c = find_cte(x, name, &where);
    if (!c) return NULL;
    shoal_scope *sc = zalloc(x, sizeof *sc);
    if (!sc) return NULL;
    sc->ctes = where->ctes;
    sc->upto = c;
    sc->up = where->up;
    return sc;
}

int shoal_subq_later(exec *x, const char *name)
{
    for (const shoal_scope *s = x->scope; s; s = s->up)
        for (const shoal_cte *c = s->upto; c; c = c->next)
            if (!strcasecmp(c->name, name)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- the row source */

typedef struct subq_src {
    const shoal_stmt *q;         /* the inner SELECT */
    const shoal_scope *scope;    /* the WITH queries it sees */
    plan *ip;                    /* planned (PER: for the last period) */
    const char *what;            /* for EXPLAIN: WITH query "w", subquery "t", subquery */
    const char *why;             /* for EXPLAIN: why the outer SELECT is not merged with it (merge.c) */
    /* PER unit: the inner SELECT once per period */
    int unit;
    int64_t p_first, p_last, n_periods;
    int64_t last;                /* now: the last instant evaluated */
    const shoal_node *asof_seq;
    int add_period;              /* the rows start with the column period */
    int internal;                /* shoal_subq_per_select's own: the columns are #1, #2, … */
} subq_src;

/* q with the AS OF of the statement around it (st), unless it has its own: a
 * statement's AS OF holds for all it reads. */
static const shoal_stmt *with_asof(exec *x, const shoal_stmt *q, const shoal_stmt *st)
{
    if (q->asof_date || q->asof_seq || (!st->asof_date && !st->asof_seq)) return q;
    shoal_stmt *c = zalloc(x, sizeof *c);
    if (!c) return NULL;
    *c = *q;
    c->asof_date = st->asof_date;
    c->asof_seq = st->asof_seq;
    c->asof_off = st->asof_off;
    c->asof_len = st->asof_len;
    return c;
}

/* Plans q with the WITH queries of scope in sight and no outer statement. */
static int plan_in_scope(exec *x, const shoal_stmt *q, const shoal_scope *scope, plan **out)
{
    const shoal_scope *saved = x->scope;
    const shoal_outer *so = x->outer;
    x->scope = scope;
    x->outer = NULL;
    int rc = shoal_rowsrc_plan_inner(x, q, out);
    x->scope = saved;
    x->outer = so;
    return rc;
}

/* ---------------------------------------------------------------- periods */

static qval period_val(const subq_src *s, int64_t p)
{
    qval v = {.t = s->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE};
    v.u.i = p;
    return v;
}

static int64_t period_start(exec *x, const subq_src *s, int64_t p)
{
    return shoal_plan_day_start(x, shoal_per_first_day(s->unit, p));
}

/* The period's last instant, or now when that is earlier (a period not over yet is
 * taken as it stands). */
static int64_t period_end(exec *x, const subq_src *s, int64_t p)
{
    int64_t t = period_start(x, s, shoal_per_next(s->unit, p)) - 1;
    return t < s->last ? t : s->last;
}

/* Epoch ms as an ISO-8601 UTC time with milliseconds, which AS OF reads exactly. */
static void iso_utc(int64_t t, char *buf, size_t n)
{
    int64_t day = t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS), ms = t - day * DAY_MS, y;
    unsigned m, d;
    shoal_cal_civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, (int)(ms / 3600000),
             (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), (int)(ms % 1000));
}

/* Plans the inner SELECT for period per, in x->a: as of the period's end, with the
 * period as its statement window (unless it has one), the column period its value. */
static int plan_period(exec *x, const subq_src *s, int64_t per, plan **out)
{
    shoal_stmt *q = zalloc(x, sizeof *q);
    shoal_window *w = zalloc(x, sizeof *w);
    shoal_node *asof = zalloc(x, sizeof *asof);
    char *when = zalloc(x, 40);
    if (!q || !w || !asof || !when) return SHOAL_ENOMEM;
    *q = *s->q;
    w->word = "period";
    w->off = w->word_off = q->off;
    w->len = w->word_len = 0;
    if (!q->during) q->during = w;
    iso_utc(period_end(x, s, per), when, 40);
    asof->kind = SHOAL_AST_STR;
    asof->s = when;
    asof->n = (int)strlen(when);
    asof->off = q->off;
    q->asof_date = asof;
    q->asof_seq = (shoal_node *)s->asof_seq;
    qval pv = period_val(s, per);
    const qval *saved_v = x->per_value;
    trange saved_r = x->per_range;
    x->per_value = &pv;
    x->per_range.lo = period_start(x, s, per);
    x->per_range.hi = period_start(x, s, shoal_per_next(s->unit, per));
    int rc = plan_in_scope(x, q, s->scope, out);
    x->per_value = saved_v;
    x->per_range = saved_r;
    return rc;
}

/* The periods of PER: those the statement's DURING window overlaps (from the first
 * event's when it has no start), up to now's. */
static int plan_periods(exec *x, const shoal_stmt *st, plan *p, subq_src *s)
{
    s->unit = shoal_per_unit(st->per);
    if (!s->unit)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len,
                             "unknown period \"%s\" (expected DAY, WEEK or MONTH)", st->per);
    if (s->q->asof_date || s->q->asof_seq)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, s->q->asof_off, s->q->asof_len, "%s",
                             "a SELECT evaluated PER period is as of each period's end: AS OF goes after the PER statement");
    s->last = x->now;
    s->asof_seq = st->asof_seq;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    int rc;
    if (st->during && (rc = shoal_plan_window(x, st->during, &lo, &hi))) return rc;
    if (lo == INT64_MIN) {
        int64_t first;
        if ((rc = shoal_rowsrc_earliest(x, p, &first))) return rc;
        lo = first;
    }
    if (hi > s->last) hi = s->last == INT64_MAX ? INT64_MAX : s->last + 1;
    s->p_first = 1;
    s->p_last = 0;
    if (lo != INT64_MAX && lo < hi) {
        s->p_first = shoal_per_of(s->unit, shoal_plan_local_day(x, lo));
        s->p_last = shoal_per_of(s->unit, shoal_plan_local_day(x, hi - 1));
        for (int64_t q = s->p_first; q <= s->p_last; q = shoal_per_next(s->unit, q))
            if (++s->n_periods > MAX_PERIODS)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len,
                                     "more than %d periods: choose a shorter DURING window or a longer period",
                                     MAX_PERIODS);
    }
    return 0;
}

/* ---------------------------------------------------------------- plan */

static const char *item_name(exec *x, const shoal_item *it);

/* SELECT a, b FROM q ORDER BY a … LIMIT n: q's rows cut as the outer SELECT cuts them.
 * When the outer SELECT only picks q's columns by name and orders by them (no WHERE,
 * grouping, window), q itself can be ordered by those columns and cut at LIMIT + OFFSET
 * rows (WITH TIES too): its plan then keeps the top rows only (over members, the top-k
 * bound), and the outer SELECT orders and cuts the few rows that come, to the same
 * rows. Returns q, or a copy of q with that ORDER BY (by position) and LIMIT. */
static const shoal_stmt *push_order(exec *x, const shoal_stmt *st, const shoal_stmt *q)
{
    if (!st->order || !st->limit || st->where || st->group || st->having || st->per || st->windows || st->during ||
        q->order || q->limit || q->offset || q->per || q->from_alias == 2)
        return q;
    for (const shoal_item *it = st->cols; it; it = it->next) {
        const shoal_node *e = it->expr;
        if (e->kind == SHOAL_AST_STAR) continue;
        const char *nm = e->kind == SHOAL_AST_NAME ? e->s : e->kind == SHOAL_AST_DOT ? e->s2 : NULL;
        if (!nm || (it->alias && strcasecmp(it->alias, nm))) return q;
    }
    int n_in = 0;
    for (const shoal_item *it = q->cols; it; it = it->next, n_in++)
        if (it->expr->kind == SHOAL_AST_STAR) return q;
    shoal_item *first = NULL, *last = NULL;
    for (const shoal_item *o = st->order; o; o = o->next) {
        const shoal_node *e = o->expr;
        const char *nm = e->kind == SHOAL_AST_NAME ? e->s : e->kind == SHOAL_AST_DOT ? e->s2 : NULL;
        if (!nm) return q;
        int pos = 0, k = 1;
        for (const shoal_item *it = q->cols; it; it = it->next, k++)
            if (!strcasecmp(item_name(x, it), nm)) {
                if (pos) return q;   /* two columns of that name */
                pos = k;
            }
        if (!pos) return q;
        shoal_item *ni = zalloc(x, sizeof *ni);
        shoal_node *at = zalloc(x, sizeof *at);
        if (!ni || !at) return q;
        *ni = *o;
        ni->next = NULL;
        at->kind = SHOAL_AST_INT;
        at->i = pos;
        at->off = e->off;
        at->len = e->len;
        ni->expr = at;
        if (last) last->next = ni;
        else first = ni;
        last = ni;
    }
    shoal_stmt *c = zalloc(x, sizeof *c);
    shoal_node *lim = zalloc(x, sizeof *lim);
    if (!c || !lim) return q;
    *c = *q;
    *lim = *st->limit;
    lim->next = NULL;
    int64_t off = st->offset ? st->offset->i : 0;
    lim->i = st->limit->i > INT64_MAX - off ? INT64_MAX : st->limit->i + off;
    c->order = first;
    c->limit = lim;
    c->offset = NULL;
    return c;
}

static int subq_plan(exec *x, const shoal_stmt *st, plan *p)
{
    subq_src *s = zalloc(x, sizeof *s);
    char *what = zalloc(x, 200);
    if (!s || !what) return SHOAL_ENOMEM;
    int rc;
    if (st->from_sub) {
        s->q = st->from_sub;
        s->scope = x->scope;
        s->internal = st->from_alias == 2;
        if (st->from_alias == 1) snprintf(what, 200, "subquery \"%.100s\"", st->from);
        else snprintf(what, 200, "subquery");
    } else {
        const shoal_scope *where = NULL;
        const shoal_cte *c = find_cte(x, st->from, &where);
        if (!c) return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len, "unknown source \"%s\"", st->from);
        /* it sees the WITH queries written before it, and those around its WITH */
        shoal_scope *sc = zalloc(x, sizeof *sc);
        if (!sc) return SHOAL_ENOMEM;
        sc->ctes = where->ctes;
        sc->upto = c;
        sc->up = where->up;
        s->q = c->q;
        s->scope = sc;
        snprintf(what, 200, "WITH query \"%.100s\"", c->name);
    }
    s->what = what;
    if (!st->per) {
        const shoal_stmt *m;
        const char *mw;
        if ((rc = shoal_merge_select(x, st, &m, &mw, &s->why))) return rc;
        if (m || x->merge_failed) s->why = "its merged form did not plan";
    }
    if (st->per) {
        if ((rc = plan_periods(x, st, p, s))) return rc;
        /* planned once now, for its columns and errors: for the last period (or now's) */
        int64_t per = s->p_first <= s->p_last ? s->p_last : shoal_per_of(s->unit, shoal_plan_local_day(x, x->now));
        rc = plan_period(x, s, per, &s->ip);
    } else {
        const shoal_stmt *q = with_asof(x, s->q, st);
        if (q) q = push_order(x, st, q);
        rc = q ? plan_in_scope(x, q, s->scope, &s->ip) : SHOAL_ENOMEM;
    }
    if (rc) return rc;
    const plan *ip = s->ip;
    if (s->unit) {
        s->add_period = 1;
        for (int i = 0; i < ip->n_cols && !s->internal; i++)
            if (!strcasecmp(ip->names[i], "period")) s->add_period = 0;
    }
    int n = ip->n_cols + s->add_period;
    const char **names = zalloc(x, sizeof(char *) * (size_t)n);
    int *rt = zalloc(x, sizeof(int) * (size_t)n);
    uint8_t *ns = zalloc(x, (size_t)n);
    if (!names || !rt || !ns) return SHOAL_ENOMEM;
    if (s->add_period) {
        names[0] = "period";
        rt[0] = s->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE;
    }
    for (int i = 0; i < ip->n_cols; i++) {
        int k = i + s->add_period;
        if (s->internal) {
            char *nm = zalloc(x, 16);
            if (!nm) return SHOAL_ENOMEM;
            snprintf(nm, 16, "#%d", i + 1);
            names[k] = nm;
        } else {
            names[k] = ip->names[i];
        }
        rt[k] = ip->cols[i]->rt;
        ns[k] = ip->cols[i]->rns;
    }
    p->n_src = n;
    p->src_names = names;
    p->src_rt = rt;
    p->src_ns = ns;
    p->rs_state = s;
    return 0;
}

/* ---------------------------------------------------------------- rows */

/* An inner row to the outer SELECT: its values (text copied, since the outer row's
 * evaluation reuses the scratch arena they may be in), pushed with the executor's state
 * the outer SELECT runs with, then the inner's put back. */
typedef struct pusher {
    plan *outer;
    shoal_rowsink *sink;
    shoal_arena *a;                /* the outer statement's arena */
    int64_t now;
    int (*on_row)(exec *, const qval *, int, void *);
    void *row_ctx;
    const void *fn_ctx;
    qval *vals;
    int n, off;                    /* values; off: 1 when period comes first */
    qval period;
    shoal_arena *ra;               /* the row's text */
    int full;
} pusher;

static int push_row(exec *x, const qval *cols, int n, void *ctx)
{
    pusher *k = ctx;
    if (k->full) return 1;   /* no more: the inner SELECT stops as at a LIMIT */
    if (n + k->off != k->n)
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a subquery's row has %d columns, not %d", n,
                             k->n - k->off);
    if (shoal_arena_used(k->ra)) shoal_arena_reset(k->ra);
    if (k->off) k->vals[0] = k->period;
    for (int i = 0; i < n; i++) {
        qval v = cols[i];
        if (v.t == V_STR && v.n) {
            char *s = shoal_arena_strndup(k->ra, v.u.s, v.n);
            if (!s) return nomem(x);
            v.u.s = s;
        }
        k->vals[k->off + i] = v;
    }
    plan *ip = x->p;
    int64_t inow = x->now;
    rowctx *irow = x->row;
    int (*ion)(exec *, const qval *, int, void *) = x->on_row;
    void *ictx = x->row_ctx;
    const void *ifn = x->fn_ctx;
    shoal_arena *ia = x->a;
    x->p = k->outer;
    x->now = k->now;
    x->on_row = k->on_row;
    x->row_ctx = k->row_ctx;
    x->fn_ctx = k->fn_ctx;
    x->a = k->a;
    int rc = shoal_exec_sink_push(k->sink, k->vals);
    k->full = shoal_exec_sink_full(k->sink);
    if (!rc && k->full) rc = 1;
    x->p = ip;
    x->now = inow;
    x->row = irow;
    x->on_row = ion;
    x->row_ctx = ictx;
    x->fn_ctx = ifn;
    x->a = ia;
    return rc;
}

static int subq_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    subq_src *s = p->rs_state;
    pusher k;
    memset(&k, 0, sizeof k);
    k.outer = p;
    k.sink = sink;
    k.a = x->a;
    k.now = x->now;
    k.on_row = x->on_row;
    k.row_ctx = x->row_ctx;
    k.fn_ctx = x->fn_ctx;
    k.n = p->n_src;
    k.off = s->add_period;
    if (!(k.vals = zalloc(x, sizeof(qval) * (size_t)(k.n + 1)))) return SHOAL_ENOMEM;
    if (!(k.ra = shoal_arena_new())) return nomem(x);
    int rc = 0;
    if (!s->unit) {
        rc = shoal_rowsrc_run_inner(x, s->ip, push_row, &k);
    } else {
        /* who the members were, kept from one period's end to the next (exec_views.c) */
        shoal_cumread cum, *saved_cum = x->cum;
        memset(&cum, 0, sizeof cum);
        x->cum = &cum;
        for (int64_t per = s->p_first; per <= s->p_last && !k.full; per = shoal_per_next(s->unit, per)) {
            if (x->cancel && *x->cancel) {
                rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
                break;
            }
            /* each period is planned and run in an arena of its own */
            shoal_arena *outer = x->a, *a = shoal_arena_new();
            if (!a) {
                rc = nomem(x);
                break;
            }
            x->a = a;
            plan *ip;
            k.period = period_val(s, per);
            rc = plan_period(x, s, per, &ip);
            if (!rc) rc = shoal_rowsrc_run_inner(x, ip, push_row, &k);
            x->a = outer;
            shoal_arena_free(a);
            if (rc) break;
        }
        x->cum = saved_cum;
        shoal_free(cum.counts);
        shoal_free(cum.c8);
        shoal_free(cum.c8_passed.m);
        shoal_bigcache_put(x->cache, cum.z8);
        shoal_arena_free(cum.views_a);
    }
    shoal_arena_free(k.ra);
    return rc;
}

/* ---------------------------------------------------------------- EXPLAIN */

/* Appends "indent" + each of p's plan lines to lines. */
static int add_plan(exec *x, const plan *ip, const char *indent, char ***lines, int *n_lines)
{
    char **il;
    int n_il, rc;
    if ((rc = shoal_plan_explain(x, NULL, ip, &il, &n_il))) return rc;
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(*n_lines + n_il + 1));
    if (!l) return nomem(x);
    if (*n_lines) memcpy(l, *lines, sizeof(char *) * (size_t)*n_lines);
    int n = *n_lines;
    for (int i = 0; i < n_il; i++) {
        size_t k = strlen(indent) + strlen(il[i]) + 1;
        char *t = shoal_arena_alloc(x->a, k);
        if (!t) return nomem(x);
        snprintf(t, k, "%s%s", indent, il[i]);
        l[n++] = t;
    }
    *lines = l;
    *n_lines = n;
    return 0;
}

static int add_text(exec *x, const char *text, char ***lines, int *n_lines)
{
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)(*n_lines + 1));
    char *t = shoal_arena_strndup(x->a, text, strlen(text));
    if (!l || !t) return nomem(x);
    if (*n_lines) memcpy(l, *lines, sizeof(char *) * (size_t)*n_lines);
    l[(*n_lines)++] = t;
    *lines = l;
    return 0;
}

static void render(exec *x, const qval *v, char *buf, size_t n)
{
    const char *s;
    size_t len;
    int kind;
    if (shoal_val_render(x, v, &s, &len, &kind)) snprintf(buf, n, "?");
    else snprintf(buf, n, "%.*s", (int)len, s);
}

static int subq_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const subq_src *s = p->rs_state;
    static const char *const units[] = {NULL, "DAY", "WEEK", "MONTH"};
    char buf[600], a[64], b[64];
    *lines = NULL;
    *n_lines = 0;
    int rc;
    if (!s->unit) {
        snprintf(buf, sizeof buf, "rows of %s, run once and streamed into this SELECT (not merged: %s):", s->what,
                 s->why ? s->why : "?");
        if ((rc = add_text(x, buf, lines, n_lines))) return rc;
        return add_plan(x, s->ip, "  ", lines, n_lines);
    }
    if (s->p_first > s->p_last) {
        snprintf(buf, sizeof buf, "PER %s: no period (no event in the window), no evaluation; it would be planned as:",
                 units[s->unit]);
    } else {
        qval v = period_val(s, s->p_first);
        render(x, &v, a, sizeof a);
        v = period_val(s, s->p_last);
        render(x, &v, b, sizeof b);
        snprintf(buf, sizeof buf, "PER %s: %" PRId64 " period%s, %s .. %s, each one evaluation of %s as of its end, "
                 "its window the period", units[s->unit], s->n_periods, s->n_periods == 1 ? "" : "s", a, b,
                 s->internal ? "the SELECT over members" : s->what);
    }
    if ((rc = add_text(x, buf, lines, n_lines))) return rc;
    if (s->p_first <= s->p_last) {
        qval tv = {.t = V_TS, .u.i = period_end(x, s, s->p_last)};
        render(x, &tv, a, sizeof a);
        snprintf(buf, sizeof buf, "  each planned like the last one, as of %s:", a);
        if ((rc = add_text(x, buf, lines, n_lines))) return rc;
    }
    return add_plan(x, s->ip, "    ", lines, n_lines);
}

const shoal_rowsrc shoal_subq_source = {"subquery", subq_plan, subq_rows, subq_explain};

int shoal_subq_flatten(exec *x, plan *p, plan **out)
{
    const subq_src *s = p->rs_state;
    plan *ip = s->ip;
    if (s->unit || p->where || p->grouped || p->having || p->n_order || p->limit >= 0 || p->offset || p->n_subs ||
        p->n_cols != ip->n_cols)
        return 0;
    for (int i = 0; i < p->n_cols; i++)
        if (p->cols[i]->op != X_SRCCOL || p->cols[i]->slot != i) return 0;
    ip->names = p->names;
    *out = ip;
    x->p = ip;   /* the executor evaluates against the plan last made */
    x->now = ip->now;
    return 1;
}

/* ---------------------------------------------------------------- PER over members */

/* A select item's name, as the planner gives it (plan.c's item_name). */
static const char *item_name(exec *x, const shoal_item *it)
{
    if (it->alias) return it->alias;
    const shoal_node *n = it->expr;
    if (n->kind == SHOAL_AST_STAR) return "member";
    if (n->kind == SHOAL_AST_NAME) return n->s;
    if (n->kind == SHOAL_AST_DOT) return n->s2;
    char *s = shoal_arena_strndup(x->a, x->src + n->off, (size_t)n->len);
    return s ? s : "?";
}

int shoal_subq_per_select(exec *x, const shoal_stmt *st, plan **out)
{
    /* inner: the statement without PER, its window, its order, its limit, its AS OF */
    shoal_stmt *in = zalloc(x, sizeof *in), *o = zalloc(x, sizeof *o);
    if (!in || !o) return SHOAL_ENOMEM;
    *in = *st;
    in->per = NULL;
    in->per_off = in->per_len = 0;
    in->during = NULL;
    in->order = NULL;
    in->limit = in->offset = NULL;
    in->asof_date = in->asof_seq = NULL;
    in->asof_off = in->asof_len = 0;
    in->with = NULL;
    in->next = NULL;
    /* outer: SELECT #1 AS name1, … FROM (inner) PER unit DURING … ORDER BY … LIMIT … AS OF … */
    o->kind = SHOAL_STMT_SELECT;
    o->off = st->off;
    o->len = st->len;
    o->from = st->from;
    o->from_off = st->from_off;
    o->from_len = st->from_len;
    o->from_sub = in;
    o->from_alias = 2;
    o->per = st->per;
    o->per_off = st->per_off;
    o->per_len = st->per_len;
    o->during = st->during;
    o->limit = st->limit;
    o->offset = st->offset;
    o->asof_date = st->asof_date;
    o->asof_seq = st->asof_seq;
    o->asof_off = st->asof_off;
    o->asof_len = st->asof_len;
    shoal_item *last = NULL;
    int i = 0, star = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) {
        shoal_node *nm = zalloc(x, sizeof *nm);
        shoal_item *ni = zalloc(x, sizeof *ni);
        char *s = zalloc(x, 16);
        if (!nm || !ni || !s) return SHOAL_ENOMEM;
        star |= it->expr->kind == SHOAL_AST_STAR;
        snprintf(s, 16, "#%d", ++i);
        nm->kind = SHOAL_AST_NAME;
        nm->s = s;
        nm->n = (int)strlen(s);
        nm->off = it->expr->off;
        nm->len = it->expr->len;
        ni->expr = nm;
        ni->alias = item_name(x, it);
        ni->alias_off = it->alias ? it->alias_off : it->expr->off;
        ni->alias_len = it->alias ? it->alias_len : it->expr->len;
        if (last) last->next = ni;
        else o->cols = ni;
        last = ni;
    }
    /* ORDER BY names a select item: its alias or position, or the item itself */
    last = NULL;
    for (const shoal_item *it = st->order; it; it = it->next) {
        shoal_item *ni = zalloc(x, sizeof *ni);
        if (!ni) return SHOAL_ENOMEM;
        *ni = *it;
        ni->next = NULL;
        const shoal_node *e = it->expr;
        if (e->kind != SHOAL_AST_INT && e->kind != SHOAL_AST_NAME) {
            int j = 1;
            const shoal_item *c = st->cols;
            for (; c && !star; c = c->next, j++)
                if (shoal_plan_ast_equal(c->expr, e)) break;
            if (!c || star)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, e->off, e->len, "%s",
                                     "ORDER BY of a statement PER period sorts by a select item: name its alias or "
                                     "position, or write the item itself");
            shoal_node *pos = zalloc(x, sizeof *pos);
            if (!pos) return SHOAL_ENOMEM;
            pos->kind = SHOAL_AST_INT;
            pos->i = j;
            pos->off = e->off;
            pos->len = e->len;
            ni->expr = pos;
        }
        if (last) last->next = ni;
        else o->order = ni;
        last = ni;
    }
    return shoal_plan_select(x, o, out);
}

/* ---------------------------------------------------------------- subqueries in expressions */

int shoal_subq_plan_expr(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, plan **ip)
{
    shoal_outer o = {st, p, x->outer};
    const shoal_outer *saved = x->outer;
    x->outer = &o;
    const shoal_stmt *q = with_asof(x, n->sub, st);
    int rc = q ? shoal_rowsrc_plan_inner(x, q, ip) : SHOAL_ENOMEM;
    x->outer = saved;
    return rc;
}

int shoal_subq_add(exec *x, plan *p, int kind, cx *e, plan *ip, const shoal_node *n)
{
    shoal_subq *s = shoal_arena_alloc(x->a, sizeof *s * (size_t)(p->n_subs + 1));
    if (!s) return nomem(x);
    if (p->n_subs) memcpy(s, p->subs, sizeof *s * (size_t)p->n_subs);
    s[p->n_subs].kind = kind;
    s[p->n_subs].e = e;
    s[p->n_subs].ip = ip;
    s[p->n_subs].node = n;
    s[p->n_subs].text = x->src;
    s[p->n_subs].what = NULL;
    s[p->n_subs].at_off = s[p->n_subs].at_len = -1;
    p->subs = s;
    p->n_subs++;
    return 0;
}

int shoal_subq_outer_name(exec *x, const char *alias, const char *name)
{
    for (const shoal_outer *o = x->outer; o; o = o->up) {
        if (alias) {
            if (o->st->alias ? !strcasecmp(alias, o->st->alias) : o->st->from && !strcasecmp(alias, o->st->from))
                return 1;   /* FROM p AS q: q, p hidden */
            if (o->p->src == SRC_ROWS && o->p->src_qual)   /* a join's sources */
                for (int i = 0; i < o->p->n_src; i++)
                    if (!strcasecmp(alias, o->p->src_qual[i])) return 1;
            continue;
        }
        if (o->p->src == SRC_ROWS)
            for (int i = 0; i < o->p->n_src; i++)
                if (!strcasecmp(name, o->p->src_names[i])) return 1;
        for (const shoal_item *it = o->st->cols; it; it = it->next)
            if (it->alias && !strcasecmp(it->alias, name)) return 1;
    }
    return 0;
}

/* The values of an inner SELECT's one column. */
typedef struct values {
    qval *v;
    size_t n, cap;
    int keep_all;
} values;

static int take_value(exec *x, const qval *cols, int n, void *ctx)
{
    (void)n;
    values *k = ctx;
    if (!k->keep_all && k->n >= 2) return 1;   /* a value has one row: two say enough */
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 16;
        qval *v = shoal_realloc(k->v, nc * sizeof *v);
        if (!v) return nomem(x);
        k->v = v;
        k->cap = nc;
    }
    qval v = cols[0];
    if (shoal_val_keep(x, &v)) return x->err->code;
    k->v[k->n++] = v;
    return 0;
}

static cx *const_cx(exec *x, const cx *at, qval v)
{
    cx *c = zalloc(x, sizeof *c);
    if (!c) return NULL;
    c->op = X_CONST;
    c->off = at->off;
    c->len = at->len;
    c->k = v;
    c->rt = v.t == V_NULL ? -1 : v.t;
    c->rns = v.ns;
    return c;
}

/* x IN (values): a bitmap over dictionary ids when x is an interned column and every
 * value an id of its namespace, else a list of constants; a NULL among the values makes
 * "not found" NULL, as in SQL. */
static int make_set(exec *x, cx *e, const values *k)
{
    int has_null = 0, ids = e->a->rt == V_ID;   /* x's ids are of namespace rns */
    for (size_t i = 0; i < k->n; i++) {
        if (k->v[i].t == V_NULL) has_null = 1;
        else if (k->v[i].t != V_ID || k->v[i].ns != e->a->rns) ids = 0;
    }
    int neg = e->sub;
    if (!k->n) {
        /* x IN (no row) is FALSE and x NOT IN (no row) TRUE, whatever x, NULL too (SQL) */
        e->op = X_CONST;
        e->k = (qval){.t = V_BOOL, .u.i = neg};
        e->rt = V_BOOL;
        e->a = NULL;
        return 0;
    }
    if (!ids) {
        cx **v = zalloc(x, sizeof(cx *) * (k->n + 1));
        if (!v) return SHOAL_ENOMEM;
        for (size_t i = 0; i < k->n; i++)
            if (!(v[i] = const_cx(x, e, k->v[i]))) return SHOAL_ENOMEM;
        e->op = X_IN;
        e->v = v;
        e->n = (int)k->n;
        e->sub = neg;
        return 0;
    }
    cx *in = has_null ? zalloc(x, sizeof *in) : e;
    if (!in) return SHOAL_ENOMEM;
    if (has_null) *in = *e;
    in->op = X_INSET;
    in->sub = has_null ? 0 : neg;
    in->rt = V_BOOL;
    in->n_bits = shoal_dict_count(x->r, e->a->rns) + 1;
    if (!(in->bits = zalloc(x, in->n_bits / 8 + 1))) return SHOAL_ENOMEM;
    for (size_t i = 0; i < k->n; i++) {
        if (k->v[i].t != V_ID) continue;
        uint64_t id = (uint64_t)k->v[i].u.i;
        if (id < in->n_bits) in->bits[id >> 3] |= (uint8_t)(1u << (id & 7));
    }
    if (!has_null) return 0;
    /* CASE WHEN x IN set THEN NOT neg ELSE NULL END */
    qval t = {.t = V_BOOL, .u.i = !neg}, nul = {.t = V_NULL};
    cx **v = zalloc(x, 2 * sizeof(cx *));
    if (!v || !(v[1] = const_cx(x, e, t)) || !(e->c = const_cx(x, e, nul))) return SHOAL_ENOMEM;
    v[0] = in;
    e->op = X_CASE;
    e->a = NULL;
    e->v = v;
    e->n = 2;
    return 0;
}

void shoal_subq_layer_stmt(const shoal_stmt *st, shoal_stmt *out)
{
    memset(out, 0, sizeof *out);
    out->kind = SHOAL_STMT_SELECT;
    out->from = "members";
    out->asof_date = st->asof_date;
    out->asof_seq = st->asof_seq;
    out->asof_off = st->asof_off;
    out->asof_len = st->asof_len;
}

static int subq_run(exec *x, shoal_subq *s);

int shoal_subq_init(exec *x, plan *p)
{
    for (int i = 0; i < p->n_subs; i++) {
        shoal_subq *s = &p->subs[i];
        if (!s->what) {
            int rc = subq_run(x, s);
            if (rc) return rc;
            continue;
        }
        /* a layer's subquery: its nodes are of the layer's text, so an error while it runs
         * is reported where the statement names the layer */
        shoal_err quiet, *saved = x->err;
        shoal_err_clear(&quiet);
        x->err = &quiet;
        int rc = subq_run(x, s);
        x->err = saved;
        if (rc)
            return shoal_err_set(x->err, quiet.code ? quiet.code : rc, s->at_off, s->at_len, "%s: %s", s->what,
                                 quiet.msg);
    }
    return 0;
}

static int subq_run(exec *x, shoal_subq *s)
{
    if (s->kind == SUBQ_CORR) return shoal_corr_init(x, s->e, s->ip, s->corr);
    values k = {NULL, 0, 0, s->kind == SUBQ_IN};
    int rc = shoal_rowsrc_run_inner(x, s->ip, take_value, &k);
    if (!rc && s->kind == SUBQ_VALUE) {
        if (k.n > 1)
            rc = shoal_err_set(x->err, SHOAL_ESEMANTIC, s->node->off, s->node->len,
                               "the subquery gives more than one row, and a value is one: add an aggregate, "
                               "a WHERE or LIMIT 1");
        else {
            qval v = {.t = V_NULL};
            if (k.n == 1) v = k.v[0];
            s->e->op = X_CONST;
            s->e->k = v;
        }
    } else if (!rc) {
        rc = make_set(x, s->e, &k);
    }
    shoal_free(k.v);
    return rc;
}

int shoal_subq_explain_exprs(exec *x, const plan *p, char ***lines, int *n_lines)
{
    for (int i = 0; i < p->n_subs; i++) {
        const shoal_subq *s = &p->subs[i];
        char buf[600];
        int k = s->node->len > 80 ? 80 : s->node->len;
        snprintf(buf, sizeof buf, "subquery %d (%s), run first%s%s: %.*s%s", i + 1,
                 s->kind == SUBQ_VALUE ? "a value: one row of one column, NULL when none"
                 : s->kind == SUBQ_CORR ? "correlated: run once grouped by its correlation, each row's value looked up"
                                        : "a set: IN its rows' values",
                 s->what ? ", once for the statement, of " : "", s->what ? s->what : "", k, s->text + s->node->off,
                 k < s->node->len ? "…" : "");
        int rc = add_text(x, buf, lines, n_lines);
        if (!rc) rc = add_plan(x, s->ip, "  ", lines, n_lines);
        if (rc) return rc;
    }
    return 0;
}
