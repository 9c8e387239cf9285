/* plan.c — resolve and plan a SELECT: names become column readers, property ids and
 * event type ids (looked up once, here, never per record); aggregates are split into
 * per-member event aggregates (dense arrays over member ids, filled by one log scan)
 * and row aggregates (per GROUP BY group); windows become [lo, hi) instants in the
 * database's time zone relative to "now"; a layer (member IN name) or tiers (FROM
 * tiers(name)) are compiled in from their stored text. Every semantic error points at
 * the node it is about. The plan (plan.h) is general on purpose: views will plug in as other
 * sources of the same rows. EXPLAIN's lines are plan_explain.c's.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "caltime.h"
#include "rowsrc.h"
#include "subquery.h"
#include "join.h"
#include "merge.h"

#define DAY_MS 86400000LL

/* Expression contexts. */
enum {
    M_EVENT = 1,  /* over one event record */
    M_MEMBER,     /* over one member row (per-member aggregates are columns) */
    M_POST        /* after grouping: GROUP BY keys and row aggregates only */
};

typedef struct cctx {
    exec *x;
    plan *p;
    const shoal_stmt *st;
    const char *clause;   /* for "… not allowed in WHERE" */
    int depth;            /* aliases expanded inside aliases */
    int layers;           /* layers compiled inside layers */
    int anchoring;        /* compiling an anchor: the statement's DURING does not apply */
    int nest;             /* compile() calls open: the depth of the expression being made */
    int win_ok;           /* window functions may appear here (the select list, ORDER BY) */
    int in_win;           /* compiling a window function's inputs */
} cctx;

/* A layer nested deeper than this is taken for a cycle (a layer dropped and created
 * again can name one that names it). */
#define MAX_LAYER_DEPTH 16

/* A text's expressions are at most SHOAL_AST_MAX_DEPTH deep (the parser sees to it), but
 * aliases and layers are compiled in place, so the compiled expression can be deeper:
 * evaluation recurses over it, so past this it is refused as the parser refuses. */
#define MAX_COMPILE_DEPTH (2 * SHOAL_AST_MAX_DEPTH)

static cx *compile(cctx *c, const shoal_node *n, int mode);
static cx *compile_layer(cctx *c, const shoal_node *n, int mode);
static cx *compile_foreign(cctx *c, const shoal_node *pred, const char *text, const char *what, int off, int len);

static void *zalloc(exec *x, size_t n)
{
    void *p = shoal_arena_alloc(x->a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    else shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory");
    return p;
}

static cx *newx(cctx *c, int op, const shoal_node *n)
{
    cx *e = zalloc(c->x, sizeof *e);
    if (!e) return NULL;
    e->op = op;
    e->rt = -1;
    if (n) {
        e->off = n->off;
        e->len = n->len;
    }
    return e;
}

static cx *fail(cctx *c, int off, int len, const char *fmt, const char *a)
{
    shoal_err_set(c->x->err, SHOAL_ESEMANTIC, off, len, fmt, a);
    return NULL;
}

/* ---------------------------------------------------------------- time */

static int64_t local_day(exec *x, int64_t ts) { return shoal_view_day(x->tz, ts); }

static int64_t day_start(exec *x, int64_t day) { return shoal_view_day_start(x->tz, day); }

/* Parses a date or time given in a query: "2025-03-04" is that local day's midnight
 * (or its last millisecond with end_of_day), "2025-03-04T09:00[:12[.345]]" (T or space)
 * is a local time, and one with "Z" or an offset is that instant. */
int shoal_plan_time(exec *x, const char *s, size_t n, int end_of_day, int64_t *out)
{
    int64_t t;
    int zoned;
    if (shoal_ts_parse_ex(s, n, SHOAL_TS_NAIVE | SHOAL_TS_HHMM, &t, &zoned, NULL)) return -1;
    if (zoned) {
        *out = t;
        return 0;
    }
    /* A date or a date-time without zone is local: t is its wall-clock time as if UTC. */
    if (n == 10) {
        int64_t day = t / DAY_MS;
        *out = end_of_day ? day_start(x, day + 1) - 1 : day_start(x, day);
        return 0;
    }
    *out = shoal_tz_to_utc(x->tz, t);
    return 0;
}

static int window_range(cctx *c, const shoal_window *w, trange *out)
{
    exec *x = c->x;
    int64_t now = x->now, today = local_day(x, now);
    const char *word = w->word;
    int64_t y;
    unsigned m, d;
    shoal_cal_civil_from_days(today, &y, &m, &d);
    int64_t monday = shoal_cal_week_start(today);
    if (w->d1) {
        int64_t lo, hi;
        if (shoal_plan_time(x, w->d1, strlen(w->d1), 0, &lo))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->d1_off, w->d1_len, "invalid date \"%s\"", w->d1);
        if (shoal_plan_time(x, w->d2, strlen(w->d2), 1, &hi))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->d2_off, w->d2_len, "invalid date \"%s\"", w->d2);
        out->lo = lo;
        out->hi = hi + 1;
        return 0;
    }
    if (w->unit) {
        if (strcasecmp(word, "last"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->word_off, w->word_len,
                                 "expected \"last\" before a count but found \"%s\"", word);
        int64_t unit = 0;
        const char *u = w->unit;
        if (!strcasecmp(u, "day") || !strcasecmp(u, "days")) unit = DAY_MS;
        else if (!strcasecmp(u, "week") || !strcasecmp(u, "weeks")) unit = 7 * DAY_MS;
        else if (!strcasecmp(u, "hour") || !strcasecmp(u, "hours")) unit = 3600000;
        else if (!strcasecmp(u, "minute") || !strcasecmp(u, "minutes")) unit = 60000;
        else
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->unit_off, w->unit_len,
                                 "unknown time unit \"%s\" (expected DAYS, WEEKS, HOURS or MINUTES)", u);
        /* at most 100000 days (in ms, then in units: DAY_MS / unit is 0 for weeks) */
        if (w->n > 100000 * DAY_MS / unit)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->off, w->len, "window \"last %" PRId64 " %s\" is too long", w->n, u);
        /* exactly N units long, ending with now: (now − N units, now] */
        out->lo = now - w->n * unit + 1;
        out->hi = now + 1;
        return 0;
    }
    if (!strcasecmp(word, "all_time")) {
        out->lo = INT64_MIN;
        out->hi = INT64_MAX;
    } else if (!strcasecmp(word, "today")) {
        out->lo = day_start(x, today);
        out->hi = day_start(x, today + 1);
    } else if (!strcasecmp(word, "yesterday")) {
        out->lo = day_start(x, today - 1);
        out->hi = day_start(x, today);
    } else if (!strcasecmp(word, "this_week")) {
        out->lo = day_start(x, monday);
        out->hi = day_start(x, monday + 7);
    } else if (!strcasecmp(word, "last_week")) {
        out->lo = day_start(x, monday - 7);
        out->hi = day_start(x, monday);
    } else if (!strcasecmp(word, "this_month")) {
        out->lo = day_start(x, shoal_cal_days_from_civil(y, m, 1));
        out->hi = day_start(x, shoal_cal_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1));
    } else if (!strcasecmp(word, "last_month")) {
        out->lo = day_start(x, shoal_cal_days_from_civil(m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1, 1));
        out->hi = day_start(x, shoal_cal_days_from_civil(y, m, 1));
    } else if (!strcasecmp(word, "this_year")) {
        out->lo = day_start(x, shoal_cal_days_from_civil(y, 1, 1));
        out->hi = day_start(x, shoal_cal_days_from_civil(y + 1, 1, 1));
    } else if (!strcasecmp(word, "last_year")) {
        out->lo = day_start(x, shoal_cal_days_from_civil(y - 1, 1, 1));
        out->hi = day_start(x, shoal_cal_days_from_civil(y, 1, 1));
    } else if (!strcasecmp(word, "period")) {
        /* one period of a statement PER DAY|WEEK|MONTH (subquery.c) */
        if (!x->per_value)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->word_off, w->word_len, "%s",
                                 "the window period is a period of a statement PER DAY, WEEK or MONTH");
        *out = x->per_range;
    } else {
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, w->word_off, w->word_len,
                             "unknown window \"%s\" (expected today, yesterday, this_week, last_week, "
                             "this_month, last_month, this_year, last_year, all_time, last N DAYS or BETWEEN)",
                             word);
    }
    return 0;
}

/* The instant window w (its range r) starts at: the first instant of [lo, hi), but for
 * the last N units, (now − N, now], the instant now − N just before it. A score at a
 * window's start (rise) is read there. */
static int64_t window_start(const shoal_window *w, const trange *r)
{
    return r->lo != INT64_MIN && w->unit ? r->lo - 1 : r->lo;
}

/* For flow.c: the same windows and days the planner uses. */
int shoal_plan_window(exec *x, const shoal_window *w, int64_t *lo, int64_t *hi)
{
    cctx c = {x, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0};
    trange r;
    if (window_range(&c, w, &r)) return x->err->code;
    *lo = r.lo;
    *hi = r.hi;
    return 0;
}

int64_t shoal_plan_local_day(exec *x, int64_t ts) { return local_day(x, ts); }

int64_t shoal_plan_day_start(exec *x, int64_t day) { return day_start(x, day); }

/* ---------------------------------------------------------------- names */

static int lookup(exec *x, int ns, const char *s, uint32_t *id)
{
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_dict_id(x->r, ns, s, strlen(s), id, &e);
    if (rc == SHOAL_OK && *id <= shoal_dict_count(x->r, ns)) return 1;
    if (rc != SHOAL_OK && rc != SHOAL_ENOTFOUND) {
        shoal_err_set(x->err, rc, -1, -1, "%s", e.msg);
        return -1;
    }
    return 0;
}

static int is_type(cctx *c, const char *s, uint32_t *id) { return lookup(c->x, SHOAL_NS_TYPE, s, id) == 1; }

/* A name the dictionary does not hold, met while a definition is compiled (x->lax_names):
 * 1 (it is noted in x->unseen, once, for the CREATE's status line), else 0. */
int shoal_plan_unseen(exec *x, const char *s)
{
    if (!x->lax_names || (x->err && x->err->code)) return 0;
    if (!x->note_unseen) return 1;
    size_t n = strlen(s), k = strlen(x->unseen);
    for (const char *p = x->unseen; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !memcmp(p, s, n)) return 1;
        p = e ? e + 2 : p + l;
    }
    if (k + n + 8 < sizeof x->unseen) snprintf(x->unseen + k, sizeof x->unseen - k, "%s%s", k ? ", " : "", s);
    else if (k + 4 < sizeof x->unseen && !strstr(x->unseen, "…")) snprintf(x->unseen + k, sizeof x->unseen - k, "%s", ", …");
    return 1;
}

static int unseen(cctx *c, const char *s) { return shoal_plan_unseen(c->x, s); }

/* The reserved event columns. */
static int event_column(const char *s)
{
    if (!strcasecmp(s, "seq")) return X_SEQ;
    if (!strcasecmp(s, "ts")) return X_TS;
    if (!strcasecmp(s, "member")) return X_MEMBER;
    if (!strcasecmp(s, "type")) return X_TYPE;
    if (!strcasecmp(s, "group")) return X_GROUP;
    return 0;
}

static void set_rt(cx *e)
{
    switch (e->op) {
    case X_SEQ: e->rt = V_INT; break;
    case X_TS: e->rt = V_TS; break;
    case X_MEMBER: e->rt = V_ID; e->rns = SHOAL_NS_MEMBER; break;
    case X_TYPE: e->rt = V_ID; e->rns = SHOAL_NS_TYPE; break;
    case X_GROUP: e->rt = V_ID; e->rns = SHOAL_NS_GROUP; break;
    default: break;
    }
}

/* ---------------------------------------------------------------- AST equality */

static int streq_ci(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return !strcasecmp(a, b);
}

static int win_equal(const shoal_window *a, const shoal_window *b)
{
    if (!a || !b) return a == b;
    return streq_ci(a->word, b->word) && a->n == b->n && streq_ci(a->unit, b->unit) && streq_ci(a->d1, b->d1) &&
           streq_ci(a->d2, b->d2);
}

static int ast_equal(const shoal_node *a, const shoal_node *b);

static int items_equal(const shoal_item *a, const shoal_item *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (a->desc != b->desc || a->nulls != b->nulls || !ast_equal(a->expr, b->expr)) return 0;
    return a == b;
}

static int ast_equal(const shoal_node *a, const shoal_node *b)
{
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->op != b->op || a->flags != b->flags || a->i != b->i || a->d != b->d) return 0;
    if (a->kind == SHOAL_AST_STR) {
        if (a->n != b->n || memcmp(a->s, b->s, (size_t)a->n)) return 0;
    } else if (!streq_ci(a->s, b->s)) {
        return 0;
    }
    if (!streq_ci(a->s2, b->s2)) return 0;
    if (!ast_equal(a->a, b->a) || !ast_equal(a->b, b->b) || !ast_equal(a->c, b->c)) return 0;
    if (!ast_equal(a->filter, b->filter) || !win_equal(a->win, b->win)) return 0;
    if (a->sub != b->sub) return 0;   /* two subqueries are the same one only */
    if (!ast_equal(a->fwhere, b->fwhere) || !a->over != !b->over || !streq_ci(a->s2, b->s2)) return 0;
    if (a->over && (!items_equal(a->over->part, b->over->part) || !items_equal(a->over->order, b->over->order) ||
                    a->over->frame != b->over->frame || a->over->lo != b->over->lo || a->over->hi != b->over->hi ||
                    a->over->lo_unb != b->over->lo_unb || a->over->hi_unb != b->over->hi_unb ||
                    a->over->range != b->over->range || a->over->groups != b->over->groups ||
                    a->over->lo_d != b->over->lo_d || a->over->hi_d != b->over->hi_d ||
                    !streq_ci(a->over->lo_unit, b->over->lo_unit) ||
                    !streq_ci(a->over->hi_unit, b->over->hi_unit) || !a->over->ref != !b->over->ref ||
                    !streq_ci(a->over->name, b->over->name)))
        return 0;
    if (!a->anc != !b->anc) return 0;
    if (a->anc && (a->anc->n != b->anc->n || !streq_ci(a->anc->unit, b->anc->unit) ||
                   !streq_ci(a->anc->dir, b->anc->dir) || !ast_equal(a->anc->call, b->anc->call) ||
                   !streq_ci(a->anc->of, b->anc->of)))
        return 0;
    int na = a->list ? a->list->n : 0, nb = b->list ? b->list->n : 0;
    if (na != nb) return 0;
    if (na) {
        for (shoal_node *p = a->list->head, *q = b->list->head; p; p = p->next, q = q->next)
            if (!ast_equal(p, q)) return 0;
    }
    return 1;
}

int shoal_plan_ast_equal(const shoal_node *a, const shoal_node *b) { return ast_equal(a, b); }

/* ---------------------------------------------------------------- aggregates */

static int agg_kind(const shoal_node *n)
{
    if (n->kind != SHOAL_AST_CALL) return 0;
    const func *f = shoal_func_find(n->s);
    return f ? f->agg : 0;
}

/* Over members, an aggregate whose argument names an event type (count(post),
 * sum(post.words), first(join)) or that carries a window or an event filter is a
 * per-member event aggregate; count(*), avg(count(post)) and the like aggregate rows. */
static int is_member_agg(const cctx *c, const shoal_node *n)
{
    if (c->p->src != SRC_MEMBERS || !agg_kind(n)) return 0;
    if (agg_kind(n) == F_RISE) return 1;     /* only per member: a score is a member's */
    if (n->over) return 0;                   /* a window function: over the rows */
    if (n->win || n->filter || n->anc) return 1;
    int k = agg_kind(n);
    if (k == F_MEDIAN || k == F_QUANTILE || k == F_STDDEV || k == F_VARIANCE)
        return n->list && n->list->head->kind == SHOAL_AST_DOT;   /* else over the rows' values */
    if (!n->list) return 0;
    const shoal_node *a = n->list->head;
    if (n->flags & SHOAL_AST_F_DISTINCT) {
        /* count(DISTINCT to), count(DISTINCT comment.to): a member's distinct values of an
         * event's column; count(DISTINCT member), of a member's own value, count rows */
        if (a->kind == SHOAL_AST_DOT) return 1;
        if (a->kind != SHOAL_AST_NAME || !strcasecmp(a->s, "member") || (c->p->tiers && !strcasecmp(a->s, "tier"))) return 0;
        for (const shoal_item *it = c->st ? c->st->cols : NULL; it; it = it->next)
            if (it->alias && !strcasecmp(it->alias, a->s)) return 0;   /* a select item's values, over the rows */
        shoal_viewinfo vi;
        return shoal_views_score(c->x, a->s, &vi) != 1;
    }
    if (a->kind == SHOAL_AST_DOT) return 1;
    /* A bare name that is not a member column is meant as an event type (and is reported
     * as an unknown one if it is not). */
    if (a->kind == SHOAL_AST_NAME && strcasecmp(a->s, "member")) {
        /* sum(engagement): a score is a member's column, aggregated over rows. */
        shoal_viewinfo vi;
        return shoal_views_score(c->x, a->s, &vi) != 1;
    }
    return 0;
}

int shoal_plan_member_agg(exec *x, const shoal_stmt *st, const shoal_node *n)
{
    plan p;
    memset(&p, 0, sizeof p);
    const char *f = st->from;
    p.src = !f || st->joins || st->from_sub ? SRC_ROWS
            : !strcasecmp(f, "members") || !strcasecmp(f, "tiers") ? SRC_MEMBERS
            : !strcasecmp(f, "events") ? SRC_EVENTS : SRC_ROWS;
    if (f && !strcasecmp(f, "tiers")) p.tiers = st->from_arg;
    cctx cc = {x, &p, st, NULL, 0, 0, 0, 0, 0, 0};
    return is_member_agg(&cc, n);
}

static int has_row_agg(cctx *c, const shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_CALL && agg_kind(n) && !n->over && !is_member_agg(c, n)) return 1;
    if (n->kind == SHOAL_AST_CALL && n->over) {
        for (const shoal_item *it = n->over->part; it; it = it->next)
            if (has_row_agg(c, it->expr)) return 1;
        for (const shoal_item *it = n->over->order; it; it = it->next)
            if (has_row_agg(c, it->expr)) return 1;
        if (has_row_agg(c, n->fwhere)) return 1;
    }
    if (has_row_agg(c, n->a) || has_row_agg(c, n->b) || has_row_agg(c, n->c)) return 1;
    if (n->list)
        for (shoal_node *p = n->list->head; p; p = p->next)
            if (has_row_agg(c, p)) return 1;
    return 0;
}

static int type_bitmap(cctx *c, const shoal_node *arg, uint8_t *bits)
{
    uint32_t id;
    if (arg->kind != SHOAL_AST_NAME)
        return fail(c, arg->off, arg->len, "expected an event type but found \"%s\"", "an expression"), -1;
    if (!is_type(c, arg->s, &id)) {
        if (c->x->err && c->x->err->code) return -1;
        if (unseen(c, arg->s)) return 0;   /* no event of it yet: no bit */
        fail(c, arg->off, arg->len, "unknown event type \"%s\"", arg->s);
        return -1;
    }
    bits[id >> 3] |= (uint8_t)(1u << (id & 7));
    return 0;
}

/* The static type of an aggregate's value, given its argument's (-1 when unknown):
 * counts are integers, means and scores numbers, the rest keep their argument's type
 * (a per-member first/last passes V_TS: its value is an instant). */
static int agg_rt(int fn, int arg_rt)
{
    switch (fn) {
    case F_COUNT: return V_INT;
    /* a mean or median of durations is a duration, of instants an instant */
    case F_AVG: case F_MEDIAN: case F_QUANTILE: return arg_rt == V_DUR || arg_rt == V_TS ? arg_rt : V_NUM;
    case F_STDDEV: return arg_rt == V_DUR ? V_DUR : V_NUM;
    case F_VARIANCE: case F_DCOUNT: return F_DCOUNT == fn ? V_INT : V_NUM;
    case F_SCORE: case F_RISE: return V_NUM;
    case F_SUM: return arg_rt == V_DUR ? V_DUR : arg_rt == V_INT || arg_rt == V_BOOL ? V_INT : arg_rt == V_NUM ? V_NUM : -1;
    default: return arg_rt;
    }
}

/* Adds per-member aggregate g to the plan and returns the expression that reads it. */
static cx *add_magg(cctx *c, const shoal_node *n, const magg *g, int rt)
{
    plan *p = c->p;
    magg *m = shoal_arena_alloc(c->x->a, (size_t)(p->n_maggs + 1) * sizeof *m);
    if (!m) return fail(c, -1, -1, "%s", "out of memory");
    if (p->n_maggs) memcpy(m, p->maggs, (size_t)p->n_maggs * sizeof *m);
    m[p->n_maggs] = *g;
    p->maggs = m;
    cx *e = newx(c, X_MAGG, n);
    if (!e) return NULL;
    e->slot = p->n_maggs++;
    e->rt = rt;
    return e;
}
static cx *compile_rise(cctx *c, const shoal_node *n, const shoal_window *w);
static const char *snippet(cctx *c, const cx *e, char *buf, size_t n);

static cx *compile_anchor(cctx *c, const shoal_node *n, magg *g);
static cx *quantile_p(cctx *c, const shoal_node *pn);

static cx *compile_magg(cctx *c, const shoal_node *n)
{
    plan *p = c->p;
    const func *f = shoal_func_find(n->s);
    /* An anchored window is the aggregate's own, and an anchor has none. */
    const shoal_window *w = n->win ? n->win : n->anc || c->anchoring ? NULL : c->st->during;
    if (f->agg == F_RISE && n->anc)
        return fail(c, n->anc->off, n->anc->len, "%s", "rise() takes a DURING window, not WITHIN");
    if (f->agg == F_RISE) return compile_rise(c, n, w);
    for (int i = 0; i < p->n_maggs; i++)
        if (ast_equal(p->maggs[i].node, n) && win_equal(w, p->maggs[i].wnode)) {
            cx *e = newx(c, X_MAGG, n);
            if (!e) return NULL;
            e->slot = i;
            e->rt = p->maggs[i].fn == F_FIRST || p->maggs[i].fn == F_LAST ? V_TS
                    : p->maggs[i].fn == F_COUNT || p->maggs[i].fn == F_DCOUNT ? V_INT : -1;
            if (f->agg == F_AVG || f->agg == F_MEDIAN || f->agg == F_QUANTILE || f->agg == F_STDDEV || f->agg == F_VARIANCE)
                e->rt = V_NUM;
            return e;
        }
    if ((n->flags & SHOAL_AST_F_DISTINCT) && f->agg != F_COUNT)
        return fail(c, n->off, n->len, "%s(DISTINCT …) is not available per member (count(DISTINCT …) is)", n->s);
    magg g;
    memset(&g, 0, sizeof g);
    g.fn = f->agg;
    g.node = n;
    uint32_t n_types = shoal_dict_count(c->x->r, SHOAL_NS_TYPE);
    if (!(n->flags & SHOAL_AST_F_STAR)) {
        g.types = zalloc(c->x, n_types / 8 + 1);
        if (!g.types) return NULL;
    }
    if (n->flags & SHOAL_AST_F_DISTINCT) {
        /* count(DISTINCT x): x read from each of the member's events (of TYPE for TYPE.x) */
        g.fn = F_DCOUNT;
        const shoal_node *a = n->list->head;
        if (a->kind == SHOAL_AST_DOT) {
            uint32_t tid, pid;
            if (is_type(c, a->s, &tid)) g.types[tid >> 3] |= (uint8_t)(1u << (tid & 7));
            else if (!unseen(c, a->s)) return fail(c, a->off, a->n, "unknown event type \"%s\"", a->s);
            int col = event_column(a->s2);
            if (col) {
                if (!(g.arg = newx(c, col, a))) return NULL;
                set_rt(g.arg);
            } else {
                if (lookup(c->x, SHOAL_NS_PROP, a->s2, &pid) != 1 && !(unseen(c, a->s2) && !(pid = 0)))
                    return fail(c, a->s2_off, a->s2_len, "unknown property \"%s\"", a->s2);
                if (!(g.arg = newx(c, X_PROP, a))) return NULL;
                g.arg->key = pid;
            }
        } else {
            g.types = NULL;   /* every type's events */
            uint32_t id, pid;
            if (a->kind == SHOAL_AST_NAME && !event_column(a->s) && lookup(c->x, SHOAL_NS_PROP, a->s, &pid) != 1 &&
                is_type(c, a->s, &id))
                return fail(c, a->off, a->len, "\"%s\" is an event type: count(DISTINCT …) counts the values of an event's "
                            "column or property, e.g. count(DISTINCT to) or count(DISTINCT comment.to)", a->s);
            const char *saved = c->clause;
            c->clause = "count(DISTINCT …)";
            g.arg = compile(c, a, M_EVENT);
            c->clause = saved;
            if (!g.arg) return NULL;
        }
    } else if (g.fn == F_COUNT || g.fn == F_FIRST || g.fn == F_LAST) {
        if (n->list)
            for (shoal_node *a = n->list->head; a; a = a->next)
                if (type_bitmap(c, a, g.types)) return NULL;
        if (!n->list && !(n->flags & SHOAL_AST_F_STAR))
            return fail(c, n->off, n->len, "%s() needs an event type or *", n->s);
    } else {
        const shoal_node *a = n->list ? n->list->head : NULL;
        if (!a || n->list->n != (g.fn == F_QUANTILE ? 2 : 1) || a->kind != SHOAL_AST_DOT)
            return fail(c, a ? a->off : n->off, a ? a->len : n->len,
                        g.fn == F_QUANTILE ? "%s() over members takes TYPE.property and p, e.g. quantile(purchase.amount, 0.9)"
                                           : "%s() over members takes TYPE.property, e.g. sum(purchase.amount)", n->s);
        if (g.fn == F_QUANTILE) {
            cx *q = quantile_p(c, a->next);
            if (!q) return NULL;
            g.q = q->k.u.d;
        }
        uint32_t tid, pid;
        if (is_type(c, a->s, &tid)) g.types[tid >> 3] |= (uint8_t)(1u << (tid & 7));
        else if (!unseen(c, a->s)) return fail(c, a->off, a->n, "unknown event type \"%s\"", a->s);
        if (lookup(c->x, SHOAL_NS_PROP, a->s2, &pid) != 1 && !(unseen(c, a->s2) && !(pid = 0)))
            return fail(c, a->s2_off, a->s2_len, "unknown property \"%s\"", a->s2);
        g.arg = newx(c, X_PROP, a);
        if (!g.arg) return NULL;
        g.arg->key = pid;
    }
    if (n->filter) {
        const char *saved = c->clause;
        c->clause = "an event filter";
        g.filter = compile(c, n->filter, M_EVENT);
        c->clause = saved;
        if (!g.filter) return NULL;
    }
    g.wnode = w;
    if (w) {
        g.has_win = 1;
        if (window_range(c, w, &g.win)) return NULL;
    }
    if (n->anc && !compile_anchor(c, n, &g)) return NULL;
    snprintf(g.desc, sizeof g.desc, "%.*s", n->len, c->x->src + n->off);
    cx *e = add_magg(c, n, &g, agg_rt(g.fn, g.fn == F_FIRST || g.fn == F_LAST ? V_TS : -1));
    if (e && n->anc) p->n_anchored++;
    return e;
}

/* … WITHIN N UNIT AFTER|OF|BEFORE anchor: the anchor, first(TYPE [WHERE …]) or last(…)
 * over the member's events with no window, is a per-member aggregate of its own; g's
 * window is [its instant, + N units) after it, [− N units, its instant) before it. A
 * unit is a fixed span (a day is 24 hours), counted from the anchor's instant. Returns
 * the anchor's expression, or NULL with the error set. */
static cx *compile_anchor(cctx *c, const shoal_node *n, magg *g)
{
    const shoal_anchor *an = n->anc;
    const shoal_node *a = an->call;
    if (n->win)
        return fail(c, n->win->off, n->win->len, "%s", "an aggregate takes DURING or WITHIN, not both");
    if (agg_kind(a) != F_FIRST && agg_kind(a) != F_LAST)
        return fail(c, a->off, a->len, "%s", "WITHIN's anchor is first(TYPE [WHERE …]) or last(TYPE [WHERE …]), e.g. first(join)");
    if (a->anc || a->win)
        return fail(c, a->off, a->len, "%s", "an anchor takes no window of its own");
    int64_t unit = 0;
    const char *u = an->unit;
    if (!strcasecmp(u, "day") || !strcasecmp(u, "days")) unit = DAY_MS;
    else if (!strcasecmp(u, "week") || !strcasecmp(u, "weeks")) unit = 7 * DAY_MS;
    else if (!strcasecmp(u, "hour") || !strcasecmp(u, "hours")) unit = 3600000;
    else if (!strcasecmp(u, "minute") || !strcasecmp(u, "minutes")) unit = 60000;
    else
        return fail(c, an->unit_off, an->unit_len, "unknown time unit \"%s\" (expected DAYS, WEEKS, HOURS or MINUTES)", u);
    if (an->n < 0 || an->n > 100000 * DAY_MS / unit)
        return fail(c, an->off, an->len, "%s", "the window after WITHIN is too long");
    int before = !strcasecmp(an->dir, "before");
    if (!before && strcasecmp(an->dir, "after") && strcasecmp(an->dir, "of"))
        return fail(c, an->dir_off, an->dir_len, "expected AFTER, BEFORE or OF but found \"%s\"", an->dir);
    int saved = c->anchoring;
    c->anchoring = 1;
    cx *e = compile_magg(c, a);
    c->anchoring = saved;
    if (!e) return NULL;
    g->anchor = e->slot + 1;
    if (an->of) {
        uint32_t pid;
        int r = lookup(c->x, SHOAL_NS_PROP, an->of, &pid);
        if (r < 0) return NULL;
        if (r == 0) return fail(c, an->of_off, an->of_len, "unknown property \"%s\"", an->of);
        g->of_key = pid;
    }
    g->alo = before ? -an->n * unit : 0;
    g->ahi = before ? 0 : an->n * unit;
    return e;
}

/* Score name's weights into g: per type id, and the types with one. */
static int score_weights(cctx *c, const char *name, const shoal_viewinfo *vi, magg *g)
{
    g->half_life = vi->def.half_life_ms;
    g->vname = shoal_arena_strndup(c->x->a, name, strlen(name));
    uint32_t n_types = shoal_dict_count(c->x->r, SHOAL_NS_TYPE);
    g->types = zalloc(c->x, n_types / 8 + 1);
    g->w = zalloc(c->x, sizeof(double) * (n_types + 1));
    if (!g->types || !g->w || !g->vname) return -1;
    for (uint32_t s = 0; s < vi->def.n_series; s++) {
        const shoal_vseries *se = &vi->def.series[s];
        for (uint32_t j = 0; j < se->n_types; j++) {
            char tname[SHOAL_MAX_NAME + 1];
            snprintf(tname, sizeof tname, "%.*s", (int)se->types[j].len, se->types[j].ptr);
            uint32_t id;
            int r = lookup(c->x, SHOAL_NS_TYPE, tname, &id);
            if (r < 0) return -1;
            if (r == 0) continue;   /* no such events yet */
            g->types[id >> 3] |= (uint8_t)(1u << (id & 7));
            g->w[id] += se->weight;
            if (!(g->w[id] <= g->w_max)) g->w_max = g->w[id];
        }
    }
    return 0;
}

/* A score view used as a column: a per-member aggregate that either reads the view or
 * computes the same decayed sum from the log. */
static cx *score_magg(cctx *c, const shoal_node *n, const shoal_viewinfo *vi)
{
    plan *p = c->p;
    for (int i = 0; i < p->n_maggs; i++)
        if (p->maggs[i].fn == F_SCORE && !strcmp(p->maggs[i].vname, n->s)) {
            cx *e = newx(c, X_MAGG, n);
            if (!e) return NULL;
            e->slot = i;
            e->rt = V_NUM;
            return e;
        }
    magg g;
    memset(&g, 0, sizeof g);
    g.fn = F_SCORE;
    g.node = n;
    if (score_weights(c, n->s, vi, &g)) return NULL;
    snprintf(g.desc, sizeof g.desc, "%s", n->s);
    return add_magg(c, n, &g, V_NUM);
}

/* rise(SCORE) DURING window [lo, hi): the score at the window's end minus the score at
 * its start, where the score at an instant T counts the events before T, decayed to T.
 * A window not over yet (hi > now) ends now, with the events up to now: the score
 * column. So the difference adds exactly the window's events that have happened, and
 * a window without a start (all_time) starts from 0. */
static cx *compile_rise(cctx *c, const shoal_node *n, const shoal_window *w)
{
    plan *p = c->p;
    for (int i = 0; i < p->n_maggs; i++)
        if (p->maggs[i].fn == F_RISE && ast_equal(p->maggs[i].node, n) && win_equal(w, p->maggs[i].wnode)) {
            cx *e = newx(c, X_MAGG, n);
            if (!e) return NULL;
            e->slot = i;
            e->rt = V_NUM;
            return e;
        }
    const shoal_node *a = n->list && n->list->n == 1 ? n->list->head : NULL;
    if (!a || a->kind != SHOAL_AST_NAME || (n->flags & (SHOAL_AST_F_STAR | SHOAL_AST_F_DISTINCT)))
        return fail(c, a ? a->off : n->off, a ? a->len : n->len, "%s() takes the name of a score view, e.g. rise(engagement)",
                    n->s);
    if (n->filter)
        return fail(c, n->filter->off, n->filter->len, "%s() takes no WHERE: the score's weights choose its events", n->s);
    shoal_viewinfo vi;
    memset(&vi, 0, sizeof vi);
    int k = shoal_views_score(c->x, a->s, &vi);
    if (k < 0) return NULL;
    if (k == 0 && vi.def.kind == SHOAL_VIEW_COUNTERS)
        return fail(c, a->off, a->len, "\"%s\" is a counters view, not a score", a->s);
    if (k == 0) {
        shoal_closest cl;
        const char *near = shoal_views_closest(c->x, a->s, "score", &cl);
        if (near) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, a->off, a->len, "unknown score \"%s\" (did you mean \"%s\"?)", a->s, near);
            return NULL;
        }
        return fail(c, a->off, a->len, "unknown score \"%s\" (rise() takes a score made by CREATE SCORE)", a->s);
    }
    if (!w) {
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "rise needs a window: rise(%s) DURING this_week", a->s);
        return NULL;
    }
    magg g;
    memset(&g, 0, sizeof g);
    g.fn = F_RISE;
    g.node = n;
    g.wnode = w;
    trange r;
    if (window_range(c, w, &r)) return NULL;
    /* g.win is kept for EXPLAIN, but has_win stays 0: every event before the window
     * counts too (decayed), so the scan must not leave them out. */
    g.win = r;
    int64_t now = c->x->now;
    if (r.lo > r.hi) r.lo = r.hi;   /* BETWEEN backwards: an empty window */
    g.t_hi = r.hi > now ? now : r.hi;
    g.b_hi = r.hi > now ? now + 1 : r.hi;
    /* The score at the window's start: of the events before its first instant, read
     * at the instant it starts (for last N DAYS, now − N: an event there counts in the
     * score, not in the window). */
    int64_t start = window_start(w, &r);
    g.t_lo = r.lo == INT64_MIN ? INT64_MIN : start > now ? now : start;
    g.b_lo = r.lo == INT64_MIN ? INT64_MIN : r.lo > now ? now + 1 : r.lo;
    if (score_weights(c, a->s, &vi, &g)) return NULL;
    snprintf(g.desc, sizeof g.desc, "%.*s", n->len, c->x->src + n->off);
    return add_magg(c, n, &g, V_NUM);
}

/* quantile(x, p)'s p: a constant number from 0 to 1 */
static cx *quantile_p(cctx *c, const shoal_node *pn)
{
    cx *e = compile(c, pn, M_EVENT);
    if (!e) return NULL;
    double d = e->op != X_CONST ? -1 : e->k.t == V_INT ? (double)e->k.u.i : e->k.t == V_NUM ? e->k.u.d : -1;
    if (!(d >= 0 && d <= 1)) return fail(c, pn->off, pn->len, "%s", "quantile()'s p is a number from 0 to 1, e.g. quantile(x, 0.9)");
    e->k.t = V_NUM;
    e->k.u.d = d;
    return e;
}

/* sums of numbers and durations; means, medians, quantiles and deviations of those and
 * (but for sums and deviations) of instants: an error at the argument otherwise */
static int agg_arg_check(cctx *c, const shoal_node *n, int fn, const cx *arg)
{
    int t = arg->rt, fam = t >= 0 ? shoal_val_family(t) : -1;
    int numeric = fn == F_SUM || fn == F_AVG || fn == F_MEDIAN || fn == F_QUANTILE || fn == F_STDDEV || fn == F_VARIANCE;
    int times = fn != F_SUM && fn != F_STDDEV && fn != F_VARIANCE;
    if (!numeric || fam <= 0 || fam == 1 || t == V_DUR || (t == V_TS && times)) return 0;
    char b1[64];
    shoal_err_set(c->x->err, SHOAL_ESEMANTIC, arg->off, arg->len, "%s() of %s (%s) is not defined: it takes "
                  "numbers or durations%s", n->s, snippet(c, arg, b1, sizeof b1), shoal_val_type_name(t),
                  times ? ", or times" : "");
    return -1;
}

static cx *compile_ragg(cctx *c, const shoal_node *n)
{
    plan *p = c->p;
    const func *f = shoal_func_find(n->s);
    for (int i = 0; i < p->n_raggs; i++)
        if (ast_equal(p->raggs[i].node, n)) {
            cx *e = newx(c, X_AGG, n);
            if (!e) return NULL;
            e->slot = i;
            e->rt = agg_rt(p->raggs[i].fn, p->raggs[i].arg ? p->raggs[i].arg->rt : -1);
            e->rns = p->raggs[i].arg ? p->raggs[i].arg->rns : 0;
            return e;
        }
    if (n->anc)
        return fail(c, n->anc->off, n->anc->len, "%s", "WITHIN applies to per-member aggregates (FROM members)");
    if (n->win || n->filter)
        return fail(c, n->off, n->len, "%s", "DURING and WHERE inside an aggregate apply to per-member aggregates (FROM members)");
    ragg g;
    memset(&g, 0, sizeof g);
    g.fn = f->agg;
    g.node = n;
    g.star = !!(n->flags & SHOAL_AST_F_STAR);
    g.distinct = !!(n->flags & SHOAL_AST_F_DISTINCT);
    if (g.star && g.fn != F_COUNT) return fail(c, n->off, n->len, "%s(*) is not defined: only count(*)", n->s);
    int row_mode = p->src == SRC_MEMBERS ? M_MEMBER : M_EVENT;
    if (!g.star) {
        int want = g.fn == F_QUANTILE ? 2 : 1;
        if (!n->list || n->list->n != want)
            return fail(c, n->off, n->len, g.fn == F_QUANTILE ? "%s() takes two arguments: quantile(x, p), p from 0 to 1"
                                                              : "%s() takes one argument here", n->s);
        const char *saved = c->clause;
        c->clause = "an aggregate's argument";
        g.arg = compile(c, n->list->head, row_mode);
        c->clause = saved;
        if (!g.arg) return NULL;
        if (g.fn == F_QUANTILE && !(g.arg2 = quantile_p(c, n->list->head->next))) return NULL;
        if (agg_arg_check(c, n, g.fn, g.arg)) return NULL;
    }
    if (n->fwhere) {
        const char *saved = c->clause;
        c->clause = "FILTER";
        g.filter = compile(c, n->fwhere, row_mode);
        c->clause = saved;
        if (!g.filter) return NULL;
    }
    ragg *r = shoal_arena_alloc(c->x->a, (size_t)(p->n_raggs + 1) * sizeof *r);
    if (!r) return fail(c, -1, -1, "%s", "out of memory");
    if (p->n_raggs) memcpy(r, p->raggs, (size_t)p->n_raggs * sizeof *r);
    r[p->n_raggs] = g;
    p->raggs = r;
    cx *e = newx(c, X_AGG, n);
    if (!e) return NULL;
    e->slot = p->n_raggs++;
    e->rt = agg_rt(g.fn, g.arg ? g.arg->rt : -1);
    e->rns = g.arg ? g.arg->rns : 0;
    return e;
}

/* ---------------------------------------------------------------- expressions */

static int is_const(const cx *e) { return e && e->op == X_CONST; }

/* The operator of binary node n: what follows its left operand (past spaces and the
 * ')' that close it), one or two characters, or a word (AND, OR). For errors about
 * the operation; other nodes are their whole span. */
static void op_span(const cctx *c, const shoal_node *n, int *off, int *len)
{
    *off = n->off;
    *len = n->len;
    if (n->kind != SHOAL_AST_BINOP || !n->a || !n->b) return;
    const char *src = c->x->src;
    int o = n->a->off + n->a->len, end = n->b->off;
    while (o < end && (src[o] == ' ' || src[o] == '\t' || src[o] == '\n' || src[o] == '\r' || src[o] == ')')) o++;
    int k = 0;
    while (o + k < end && src[o + k] != ' ' && src[o + k] != '\t' && src[o + k] != '\n' && src[o + k] != '(' &&
           src[o + k] != '\'' && k < 3)
        k++;
    if (o >= end || k == 0) return;
    *off = o;
    *len = k;
}

/* e's text, for a message: at most 40 bytes of it. */
static const char *snippet(cctx *c, const cx *e, char *buf, size_t n)
{
    int k = e->len > 40 ? 40 : e->len;
    if (e->off < 0 || k <= 0) snprintf(buf, n, "?");
    else snprintf(buf, n, "%.*s%s", k, c->x->src + e->off, k < e->len ? "…" : "");
    return buf;
}

/* A date or a time given as text or as a bare literal, read in the terms of a time of
 * type t: an instant, its local day, or its month; "2011-10" is a month. 0, or -1 when
 * it is not a date. */
static int time_in(cctx *c, const char *s, size_t n, int t, qval *out)
{
    int64_t day;
    int digits = n == 7 && s[4] == '-';
    for (int i = 0; digits && i < 7; i++) digits = i == 4 || (s[i] >= '0' && s[i] <= '9');
    if (digits) {
        int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        int m = (s[5] - '0') * 10 + (s[6] - '0');
        if (m < 1 || m > 12) return -1;
        out->t = V_MONTH;
        out->u.i = y * 12 + m - 1;
        return 0;
    }
    int64_t ts;
    if (shoal_plan_time(c->x, s, n, 0, &ts)) return -1;
    out->t = V_TS;
    out->u.i = ts;
    if (t == V_DATE || t == V_MONTH) {
        day = local_day(c->x, ts);
        out->t = t;
        out->u.i = t == V_DATE ? day : shoal_cal_month_of_day(day);
    }
    return 0;
}

/* Converts a constant compared with a column of known type: text to an interned id, to
 * an instant, a day or a month, to a number or a boolean (when it spells one: a number
 * compared with '2011' is compared with 2011); a date literal to a day or a month. A
 * text that does not read as the column's type is an error at it. */
static int coerce(cctx *c, const cx *col, cx *k)
{
    if (!is_const(k) || col->rt < 0) return 0;
    int t = col->rt;
    if (col->rt == V_ID && k->k.t == V_STR) {
        uint32_t id;
        int r = lookup(c->x, col->rns, k->k.u.s, &id);
        if (r < 0) return -1;
        if (r == 1) {
            k->k.t = V_ID;
            k->k.ns = col->rns;
            k->k.u.i = id;
        } else if (col->rns == SHOAL_NS_TYPE && !unseen(c, k->k.u.s)) {
            fail(c, k->off, k->len, "unknown event type \"%s\"", k->k.u.s);
            return -1;
        }
        return 0;
    }
    if ((t == V_TS || t == V_DATE || t == V_MONTH) && k->k.t == V_STR) {
        if (time_in(c, k->k.u.s, k->k.n, t, &k->k)) {
            fail(c, k->off, k->len, "invalid date \"%s\"", k->k.u.s);
            return -1;
        }
        k->rt = k->k.t;
        return 0;
    }
    if ((t == V_DATE || t == V_MONTH) && k->k.t == V_TS && k->op == X_CONST && k->sub) {
        /* a date literal (sub: it came from one) in the terms of a day or a month */
        int64_t day = local_day(c->x, k->k.u.i);
        k->k.t = (uint8_t)t;
        k->k.u.i = t == V_DATE ? day : shoal_cal_month_of_day(day);
        k->rt = t;
        return 0;
    }
    if ((t == V_BOOL || t == V_INT || t == V_NUM) && k->k.t == V_STR) {
        qval v;
        char b1[64];
        if (!shoal_val_spell(k->k.u.s, k->k.n, &v) || (t == V_BOOL) != (v.t == V_BOOL)) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, k->off, k->len, "cannot compare %s (%s) with '%s': it is not %s",
                          snippet(c, col, b1, sizeof b1), shoal_val_type_name(t), k->k.u.s, shoal_val_type_name(t));
            return -1;
        }
        k->k = v;
        k->rt = v.t;
    }
    return 0;
}

/* A comparison of a and b (node n, the comparison) where both types are known and of
 * different families (a number with text, a time with a number…): an error at the
 * comparison, as it would match nothing. */
static int check_cmp(cctx *c, const shoal_node *n, const cx *a, const cx *b)
{
    int fa = a->rt >= 0 ? shoal_val_family(a->rt) : -1, fb = b->rt >= 0 ? shoal_val_family(b->rt) : -1;
    if (fa <= 0 || fb <= 0 || fa == fb) return 0;
    int off, len;
    char b1[64], b2[64];
    op_span(c, n, &off, &len);
    shoal_err_set(c->x->err, SHOAL_ESEMANTIC, off, len, "cannot compare %s (%s) with %s (%s)", snippet(c, a, b1, sizeof b1),
                  shoal_val_type_name(a->rt), snippet(c, b, b2, sizeof b2), shoal_val_type_name(b->rt));
    return -1;
}

/* A property's value has no type before it is read: text compared with it for
 * equality (=, !=, IN) matches its text, and the boolean or the number the text spells
 * too (newcomer = 'true' is newcomer IN ('true', TRUE)); in an order (<, BETWEEN) it is
 * that boolean or number. The alternative for constant k, when it has one, or NULL. */
static cx *spelled(cctx *c, const cx *col, const cx *k)
{
    qval v;
    if (col->rt >= 0 || !is_const(k) || k->k.t != V_STR || !shoal_val_spell(k->k.u.s, k->k.n, &v)) return NULL;
    cx *e = newx(c, X_CONST, NULL);
    if (!e) return NULL;
    e->off = k->off;
    e->len = k->len;
    e->k = v;
    e->rt = v.t;
    return e;
}

/* Compiles n where it is compared with col: a bare name that is not a column but an
 * event type stands for that type when col is the type column. */
static cx *compile_against(cctx *c, const cx *col, const shoal_node *n, int mode)
{
    if (col && col->rt == V_ID && col->rns == SHOAL_NS_TYPE && n->kind == SHOAL_AST_NAME && !event_column(n->s)) {
        uint32_t id;
        if (is_type(c, n->s, &id)) {
            cx *e = newx(c, X_CONST, n);
            if (!e) return NULL;
            e->k.t = V_ID;
            e->k.ns = SHOAL_NS_TYPE;
            e->k.u.i = id;
            e->rt = V_ID;
            e->rns = SHOAL_NS_TYPE;
            return e;
        }
        uint32_t pid;
        if (mode == M_EVENT && lookup(c->x, SHOAL_NS_PROP, n->s, &pid) == 1) return compile(c, n, mode);
        if (unseen(c, n->s)) {   /* a type no event has yet: its name, equal to no type there is */
            cx *e = newx(c, X_CONST, n);
            if (!e) return NULL;
            e->k.t = V_STR;
            e->k.u.s = n->s;
            e->k.n = (uint32_t)strlen(n->s);
            return e;
        }
        return fail(c, n->off, n->len, "unknown event type \"%s\"", n->s);
    }
    cx *e = compile(c, n, mode);
    if (e && col && coerce(c, col, e)) return NULL;
    return e;
}

/* The column tier of FROM tiers(name): CASE WHEN cond1 THEN 'tier1' … [ELSE 'last']
 * END over the definition's conditions, first match wins. */
static cx *compile_tier(cctx *c, const shoal_node *n)
{
    plan *p = c->p;
    int k = 0;
    for (const shoal_item *it = p->tiers_def->cols; it; it = it->next) k += !it->word;
    cx *e = newx(c, X_CASE, n);
    if (!e || !(e->v = zalloc(c->x, sizeof(cx *) * (size_t)(2 * k + 1)))) return NULL;
    char what[96];
    snprintf(what, sizeof what, "tiers \"%.64s\"", p->tiers);
    for (const shoal_item *it = p->tiers_def->cols; it; it = it->next) {
        cx *t = newx(c, X_CONST, n);
        if (!t) return NULL;
        t->k.t = V_STR;
        t->k.u.s = it->alias;
        t->k.n = (uint32_t)strlen(it->alias);
        t->rt = V_STR;
        if (it->word) {
            e->c = t;
            continue;
        }
        if (!(e->v[e->n++] = compile_foreign(c, it->expr, p->tiers_text, what, n->off, n->len))) return NULL;
        e->v[e->n++] = t;
    }
    e->rt = V_STR;
    return e;
}

/* Is name a column of a row source (FROM flow(…), transitions(…))? */
static int src_column(const cctx *c, const char *name)
{
    if (c->p->src != SRC_ROWS) return 0;
    for (int i = 0; i < c->p->n_src; i++)
        if (!strcasecmp(name, c->p->src_names[i])) return 1;
    return 0;
}

/* A name of a statement this one is nested in (a subquery's outer statement): refused,
 * since a subquery runs once, before the statement around it. 1 with the error set. */
static int outer_ref(cctx *c, const shoal_node *n)
{
    if (!shoal_subq_outer_name(c->x, NULL, n->s)) return 0;
    shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len,
                  "\"%s\" is a column of the statement around this subquery: a subquery reads the statement around it "
                  "only through comparisons in its WHERE (inner = outer.column, inner < outer.column)", n->s);
    return 1;
}

/* A column of a JOIN's rows: name n (qualified by qual when not NULL, n then the DOT
 * node): one column of that name, of the source called qual when given. */
static cx *join_column(cctx *c, const shoal_node *n, const char *qual)
{
    const plan *p = c->p;
    const char *name = qual ? n->s2 : n->s;
    int found = -1, twice = -1, known = !qual;
    for (int i = 0; i < p->n_src; i++) {
        if (qual && strcasecmp(qual, p->src_qual[i])) continue;
        known = 1;
        if (strcasecmp(name, p->src_names[i])) continue;
        if (found < 0) found = i;
        else if (twice < 0) twice = i;
    }
    if (found >= 0 && twice < 0) {
        cx *e = newx(c, X_SRCCOL, n);
        if (!e) return NULL;
        e->slot = found;
        e->rt = p->src_rt[found];
        e->rns = p->src_ns[found];
        return e;
    }
    if (found >= 0) {
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "column \"%s\" is ambiguous (%s.%s, %s.%s): name its source",
                      name, p->src_qual[found], name, p->src_qual[twice], name);
        return NULL;
    }
    if (!qual && outer_ref(c, n)) return NULL;
    char cols[168];
    size_t off = 0;
    cols[0] = 0;
    for (int i = 0; i < p->n_src; i++) {
        if (qual && strcasecmp(qual, p->src_qual[i])) continue;
        size_t w = strlen(p->src_qual[i]) + strlen(p->src_names[i]) + 3;
        if (off + w + 5 >= sizeof cols) {
            snprintf(cols + off, sizeof cols - off, "%s…", off ? ", " : "");
            break;
        }
        off += (size_t)snprintf(cols + off, sizeof cols - off, "%s%s.%s", off ? ", " : "", p->src_qual[i], p->src_names[i]);
    }
    if (!known) {
        off = 0;
        cols[0] = 0;
        for (int i = 0; i < p->n_src; i++)
            if (!i || strcasecmp(p->src_qual[i], p->src_qual[i - 1]))
                off += (size_t)snprintf(cols + off, off < sizeof cols ? sizeof cols - off : 0, "%s%s", off ? ", " : "",
                                        p->src_qual[i]);
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "no source \"%s\" in this statement (its sources: %s)",
                      qual, cols);
        return NULL;
    }
    if (qual)
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "unknown column \"%s.%s\" (%s has: %s)", qual, name,
                      qual, cols);
    else
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "unknown column \"%s\" (the sources have: %s)", name,
                      cols);
    return NULL;
}

static cx *compile_name(cctx *c, const shoal_node *n, int mode)
{
    /* A select item's alias may be used in WHERE, GROUP BY, HAVING and ORDER BY when no
     * column has that name (a common extension of SQL). */
    if ((!event_column(n->s) || mode == M_MEMBER) && (mode == M_POST || !src_column(c, n->s)))
        for (const shoal_item *it = c->st->cols; it && c->depth < 8; it = it->next)
            if (it->alias && !strcasecmp(it->alias, n->s) && it->expr->kind != SHOAL_AST_STAR &&
                !(it->expr->kind == SHOAL_AST_NAME && !strcasecmp(it->expr->s, n->s))) {
                uint32_t pid;
                if (mode == M_EVENT && lookup(c->x, SHOAL_NS_PROP, n->s, &pid) == 1) break;
                c->depth++;
                cx *e = compile(c, it->expr, mode);
                c->depth--;
                return e;
            }
    /* one period of a statement PER DAY|WEEK|MONTH: its value (subquery.c) */
    if (c->x->per_value && !strcasecmp(n->s, "period") && !src_column(c, n->s)) {
        cx *e = newx(c, X_CONST, n);
        if (!e) return NULL;
        e->k = *c->x->per_value;
        e->rt = e->k.t;
        return e;
    }
    if (mode == M_POST) {
        if (c->p->src == SRC_MEMBERS && !c->st->group)
            return fail(c, n->off, n->len,
                        "column \"%s\" must appear in GROUP BY or inside an aggregate (over members, count(*) "
                        "counts members: count a member's events with count(*) DURING all_time or count(TYPE))",
                        n->s);
        return fail(c, n->off, n->len, "column \"%s\" must appear in GROUP BY or inside an aggregate", n->s);
    }
    if (c->p->src == SRC_ROWS && c->p->src_qual) return join_column(c, n, NULL);
    if (c->p->src == SRC_ROWS) {
        for (int i = 0; i < c->p->n_src; i++)
            if (!strcasecmp(n->s, c->p->src_names[i])) {
                cx *e = newx(c, X_SRCCOL, n);
                if (!e) return NULL;
                e->slot = i;
                e->rt = c->p->src_rt[i];
                e->rns = c->p->src_ns[i];
                return e;
            }
        if (outer_ref(c, n)) return NULL;
        /* the columns, whole names only: "…" for those that do not fit the message */
        char cols[168];
        size_t off = 0;
        cols[0] = 0;
        for (int i = 0; i < c->p->n_src; i++) {
            size_t w = strlen(c->p->src_names[i]) + (i ? 2 : 0);
            if (off + w + 5 >= sizeof cols) {
                snprintf(cols + off, sizeof cols - off, "%s…", i ? ", " : "");
                break;
            }
            off += (size_t)snprintf(cols + off, sizeof cols - off, "%s%s", i ? ", " : "", c->p->src_names[i]);
        }
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "unknown column \"%s\" (%s has: %s)", n->s,
                      c->st->from, cols);
        return NULL;
    }
    int col = event_column(n->s);
    if (mode == M_MEMBER) {
        if (c->p->tiers && !strcasecmp(n->s, "tier")) return compile_tier(c, n);
        if (col == X_MEMBER) {
            cx *e = newx(c, X_MEMBER, n);
            if (e) set_rt(e);
            return e;
        }
        uint32_t id;
        shoal_viewinfo vi;
        int k = shoal_views_score(c->x, n->s, &vi);
        if (k < 0) return NULL;
        if (k == 1) return score_magg(c, n, &vi);
        if (is_type(c, n->s, &id))
            return fail(c, n->off, n->len, "\"%s\" is an event type: count it with count(...) over members", n->s);
        if (outer_ref(c, n)) return NULL;
        /* did you mean: a score (a column here), member, or tier */
        shoal_closest cl;
        shoal_views_closest(c->x, n->s, "score", &cl);
        shoal_closest_offer(&cl, "member", 6);
        if (c->p->tiers) shoal_closest_offer(&cl, "tier", 4);
        const char *near = shoal_closest_get(&cl);
        if (near) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "unknown column \"%s\" (did you mean \"%s\"?)", n->s,
                          near);
            return NULL;
        }
        return fail(c, n->off, n->len, "unknown column \"%s\" (members have: member and per-member aggregates)", n->s);
    }
    if (col) {
        cx *e = newx(c, col, n);
        if (e) set_rt(e);
        return e;
    }
    uint32_t pid;
    int r = lookup(c->x, SHOAL_NS_PROP, n->s, &pid);
    if (r < 0) return NULL;
    if (r == 0 && outer_ref(c, n)) return NULL;
    if (r == 0 && unseen(c, n->s)) pid = 0;   /* a property no event has yet: NULL (key 0 is none) */
    else if (r == 0) return fail(c, n->off, n->len, "unknown column \"%s\"", n->s);
    cx *e = newx(c, X_PROP, n);
    if (e) e->key = pid;
    return e;
}

/* arm('experiment', member): the arm the experiment's hash gives the member (its
 * definition read here, once). */
static cx *compile_arm(cctx *c, const shoal_node *n, int mode)
{
    if (n->win || n->anc || n->filter || (n->flags & (SHOAL_AST_F_STAR | SHOAL_AST_F_DISTINCT)) || !n->list || n->list->n != 2)
        return fail(c, n->off, n->len, "%s", "expected arm('experiment', member)");
    const shoal_node *name = n->list->head;
    if (name->kind != SHOAL_AST_STR) return fail(c, name->off, name->len, "%s", "arm()'s first argument is an experiment's name in quotes");
    cx *e = newx(c, X_FUNC, n);
    if (!e) return NULL;
    e->n = 1;
    if (!(e->v = zalloc(c->x, sizeof(cx *))) || !(e->v[0] = compile(c, name->next, mode))) return NULL;
    if (shoal_experiment_arm_compile(c->x, name->s, name->off, name->len, &e->ctx)) return NULL;
    e->fn = shoal_experiment_arm_eval;
    e->rt = V_STR;
    return e;
}

/* A value the rows keep until their window functions are computed: its slot. */
static int base_slot(cctx *c, cx *e)
{
    plan *p = c->p;
    cx **b = shoal_arena_alloc(c->x->a, sizeof(cx *) * (size_t)(p->n_wbase + 1));
    if (!b) return fail(c, -1, -1, "%s", "out of memory"), -1;
    if (p->n_wbase) memcpy(b, p->wbase, sizeof(cx *) * (size_t)p->n_wbase);
    b[p->n_wbase] = e;
    p->wbase = b;
    return p->n_wbase++;
}

static int base_items(cctx *c, const shoal_item *it, int mode, int **slots, int **desc, int **nulls)
{
    int k = 0;
    for (const shoal_item *i = it; i; i = i->next) k++;
    if (!(*slots = zalloc(c->x, sizeof(int) * (size_t)(k + 1)))) return -1;
    if (desc && (!(*desc = zalloc(c->x, sizeof(int) * (size_t)(k + 1))) || !(*nulls = zalloc(c->x, sizeof(int) * (size_t)(k + 1)))))
        return -1;
    k = 0;
    for (; it; it = it->next, k++) {
        cx *e = compile(c, it->expr, mode);
        if (!e || ((*slots)[k] = base_slot(c, e)) < 0) return -1;
        if (desc) (*desc)[k] = it->desc, (*nulls)[k] = it->nulls;
    }
    return k;
}

/* A fixed duration's unit in milliseconds (DAYS … SECONDS), else 0. */
static int64_t unit_ms(const char *u)
{
    if (!strcasecmp(u, "day") || !strcasecmp(u, "days")) return DAY_MS;
    if (!strcasecmp(u, "week") || !strcasecmp(u, "weeks")) return 7 * DAY_MS;
    if (!strcasecmp(u, "hour") || !strcasecmp(u, "hours")) return 3600000;
    if (!strcasecmp(u, "minute") || !strcasecmp(u, "minutes")) return 60000;
    if (!strcasecmp(u, "second") || !strcasecmp(u, "seconds")) return 1000;
    return 0;
}

/* RANGE BETWEEN … with an offset (n PRECEDING|FOLLOWING): one ORDER BY key, a number or
 * a day or a month with a plain n, a time with a duration (7 DAYS); w's lo and hi then
 * in the key's units (milliseconds for a time). 1, or 0 after the error. */
static int range_frame(cctx *c, const shoal_over *o, wfunc *w)
{
    int lo_off = !o->lo_unb && (o->lo_d != 0 || o->lo_unit), hi_off = !o->hi_unb && (o->hi_d != 0 || o->hi_unit);
    if (!lo_off && !hi_off) return 1;   /* UNBOUNDED and CURRENT ROW: the peers, as without a frame */
    if (w->n_order != 1) {
        fail(c, o->frame_off, o->frame_len, "%s",
             "a RANGE frame with an offset (n PRECEDING or FOLLOWING) measures the value of one ORDER BY key: order by exactly one");
        return 0;
    }
    const cx *k = c->p->wbase[w->order[0]];
    int rt = k->rt;
    char b1[64];
    for (int side = 0; side < 2; side++) {
        const char *unit = side ? o->hi_unit : o->lo_unit;
        double *v = side ? &w->hif : &w->lof;
        if (!(side ? hi_off : lo_off)) continue;
        if (unit) {
            int64_t ms = unit_ms(unit);
            if (!ms) {
                shoal_err_set(c->x->err, SHOAL_ESEMANTIC, o->frame_off, o->frame_len, "unknown unit \"%s\" in a RANGE offset "
                              "(expected DAYS, WEEKS, HOURS, MINUTES or SECONDS)", unit);
                return 0;
            }
            if (rt != V_TS && rt != V_DUR) {
                shoal_err_set(c->x->err, SHOAL_ESEMANTIC, o->frame_off, o->frame_len, "a RANGE offset in %s measures a time "
                              "or a duration, and the ORDER BY key %s is %s", unit, snippet(c, k, b1, sizeof b1),
                              rt < 0 ? "a number or text" : shoal_val_type_name(rt));
                return 0;
            }
            if (*v > (double)(INT64_MAX / ms / 4) || *v < -(double)(INT64_MAX / ms / 4)) {
                fail(c, o->frame_off, o->frame_len, "%s", "a RANGE offset is too long");
                return 0;
            }
            *v *= (double)ms;
        } else if (rt == V_TS || rt == V_DUR || rt == V_STR || rt == V_ID) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, o->frame_off, o->frame_len, "a RANGE offset over %s (%s) is %s",
                          snippet(c, k, b1, sizeof b1), shoal_val_type_name(rt),
                          rt == V_TS || rt == V_DUR ? "a duration (1 DAYS PRECEDING)" : "not defined: order by a number, a date or a time");
            return 0;
        }
    }
    if (lo_off && hi_off && w->lof > w->hif) {
        fail(c, o->frame_off, o->frame_len, "%s", "a frame runs from its start to its end: its start is after its end");
        return 0;
    }
    return 1;
}

/* WINDOW w AS (…): every OVER w of st's select list and ORDER BY takes w's definition
 * (the clause's windows are looked up here, once, before the statement is planned). */
static int resolve_over(exec *x, const shoal_stmt *st, shoal_node *n)
{
    if (!n) return 0;
    if (n->kind == SHOAL_AST_CALL && n->over && n->over->ref == 1) {
        const shoal_over *d = st->windows;
        while (d && strcasecmp(d->name, n->over->name)) d = d->next;
        if (!d)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, n->over->name_off, n->over->name_len,
                                 "unknown window \"%s\" (name one with WINDOW %s AS (PARTITION BY … ORDER BY …))",
                                 n->over->name, n->over->name);
        shoal_over *o = n->over;
        const char *name = o->name;
        int off = o->name_off, len = o->name_len, ooff = o->off, olen = o->len;
        *o = *d;
        o->next = NULL;
        o->name = name, o->name_off = off, o->name_len = len, o->off = ooff, o->len = olen;
        o->ref = 2;
    }
    int rc;
    if ((rc = resolve_over(x, st, n->a)) || (rc = resolve_over(x, st, n->b)) || (rc = resolve_over(x, st, n->c))) return rc;
    if (n->list)
        for (shoal_node *q = n->list->head; q; q = q->next)
            if ((rc = resolve_over(x, st, q))) return rc;
    return 0;
}

static int named_windows(exec *x, const shoal_stmt *st)
{
    for (const shoal_over *a = st->windows; a; a = a->next)
        for (const shoal_over *b = st->windows; b != a; b = b->next)
            if (!strcasecmp(a->name, b->name))
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, a->name_off, a->name_len, "window \"%s\" is defined twice", a->name);
    int rc;
    for (const shoal_item *it = st->cols; it; it = it->next)
        if ((rc = resolve_over(x, st, it->expr))) return rc;
    for (const shoal_item *it = st->order; it; it = it->next)
        if ((rc = resolve_over(x, st, it->expr))) return rc;
    return 0;
}

/* f(args) [FILTER (WHERE …)] OVER (PARTITION BY … ORDER BY …): a window function over
 * the rows after grouping and HAVING (exec_window.c). Its inputs are compiled as the
 * select list is (after grouping: of the keys and aggregates) and kept per row. */
static cx *compile_window(cctx *c, const shoal_node *n, int mode)
{
    plan *p = c->p;
    wfunc w;
    memset(&w, 0, sizeof w);
    w.kind = shoal_window_kind(n->s);
    w.node = n;
    w.filter = -1;
    int nargs = n->list ? n->list->n : 0, lo = 0, hi = 0;
    if (!w.kind) {
        const func *f = shoal_func_find(n->s);
        if (!f) return fail(c, n->off, (int)strlen(n->s), "unknown function \"%s\"", n->s);
        if (f->agg != F_COUNT && f->agg != F_SUM && f->agg != F_AVG && f->agg != F_MIN && f->agg != F_MAX)
            return fail(c, n->off, n->len, "%s() cannot be used with OVER (window functions: row_number, rank, dense_rank, "
                        "percent_rank, cume_dist, ntile, lag, lead, first_value, last_value, and count, sum, avg, min, max)", n->s);
        w.kind = W_AGG;
        w.ra.fn = f->agg;
        w.ra.node = n;
        w.ra.star = !!(n->flags & SHOAL_AST_F_STAR);
        lo = hi = w.ra.star ? 0 : 1;
    } else if (w.kind == W_NTILE || w.kind == W_FIRST_VALUE || w.kind == W_LAST_VALUE) {
        lo = hi = 1;
    } else if (w.kind == W_LAG || w.kind == W_LEAD) {
        lo = 1, hi = 3;
    }
    if (!c->win_ok) {
        int k = n->len > 60 ? 60 : n->len;
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "window function \"%.*s%s\" is not allowed in %s: it "
                      "is computed after WHERE, GROUP BY and HAVING (only the select list and ORDER BY can use it)",
                      k, c->x->src + n->off, k < n->len ? "…" : "", c->clause ? c->clause : "this clause");
        return NULL;
    }
    if (c->in_win) return fail(c, n->off, n->len, "%s", "a window function cannot be inside another's OVER or arguments");
    if (n->win || n->anc) return fail(c, n->off, n->len, "%s", "a window function takes no DURING or WITHIN");
    if (n->filter) return fail(c, n->filter->off, n->filter->len, "%s", "a window function's rows are filtered by FILTER (WHERE …), not WHERE");
    if (n->flags & SHOAL_AST_F_DISTINCT) return fail(c, n->off, n->len, "%s(DISTINCT …) OVER is not available", n->s);
    if ((n->flags & SHOAL_AST_F_STAR) && !w.ra.star) return fail(c, n->off, n->len, "%s(*) is not defined: only count(*)", n->s);
    if (n->fwhere && w.kind != W_AGG)
        return fail(c, n->fwhere->off, n->fwhere->len, "FILTER applies to aggregates, not to %s()", n->s);
    if (nargs < lo || nargs > hi) {
        char want[64];
        if (lo == hi) snprintf(want, sizeof want, "%d argument%s", lo, lo == 1 ? "" : "s");
        else snprintf(want, sizeof want, "%d to %d arguments", lo, hi);
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "%s() takes %s, not %d", n->s, want, nargs);
        return NULL;
    }
    c->in_win = 1;
    int i = 0, arg_rt = -1;
    uint8_t arg_ns = 0;
    for (const shoal_node *a = n->list ? n->list->head : NULL; a; a = a->next, i++) {
        cx *e = compile(c, a, mode);
        if (!e || (w.args[i] = base_slot(c, e)) < 0) return NULL;
        if (i == 0) arg_rt = e->rt, arg_ns = e->rns;
        if (i == 0 && w.kind == W_AGG && agg_arg_check(c, n, w.ra.fn, e)) return NULL;
    }
    w.n_args = nargs;
    if (n->fwhere) {
        const char *saved = c->clause;
        c->clause = "FILTER";
        cx *e = compile(c, n->fwhere, mode);
        c->clause = saved;
        if (!e || (w.filter = base_slot(c, e)) < 0) return NULL;
    }
    if ((w.n_part = base_items(c, n->over->part, mode, &w.part, NULL, NULL)) < 0 ||
        (w.n_order = base_items(c, n->over->order, mode, &w.order, &w.desc, &w.nulls)) < 0)
        return NULL;
    c->in_win = 0;
    const shoal_over *o = n->over;
    if (o->ref == 1)
        return fail(c, o->name_off, o->name_len, "unknown window \"%s\" (WINDOW … AS (…) names windows for the select "
                    "list and ORDER BY)", o->name);
    if (o->frame && w.kind != W_AGG && w.kind != W_FIRST_VALUE && w.kind != W_LAST_VALUE)
        return fail(c, o->frame_off, o->frame_len, "%s() takes no frame (ROWS or RANGE …): only the aggregates, first_value and last_value do", n->s);
    w.frame = o->frame, w.lo_unb = o->lo_unb, w.hi_unb = o->hi_unb, w.lo = o->lo, w.hi = o->hi;
    w.range = o->range;
    w.groups = o->groups;
    w.lof = o->lo_d, w.hif = o->hi_d;
    if (w.range && !range_frame(c, o, &w)) return NULL;
    wfunc *ws = shoal_arena_alloc(c->x->a, sizeof *ws * (size_t)(p->n_wins + 1));
    if (!ws) return fail(c, -1, -1, "%s", "out of memory");
    if (p->n_wins) memcpy(ws, p->wins, sizeof *ws * (size_t)p->n_wins);
    ws[p->n_wins] = w;
    p->wins = ws;
    cx *e = newx(c, X_WIN, n);
    if (!e) return NULL;
    e->slot = p->n_wins++;
    switch (w.kind) {
    case W_PERCENT_RANK: case W_CUME_DIST: e->rt = V_NUM; break;
    case W_LAG: case W_LEAD: case W_FIRST_VALUE: case W_LAST_VALUE: e->rt = arg_rt; e->rns = arg_ns; break;
    case W_AGG: e->rt = agg_rt(w.ra.fn, arg_rt); e->rns = arg_ns; break;
    default: e->rt = V_INT;
    }
    return e;
}

/* With window functions, the output columns and ORDER BY keys are computed once the
 * windows are: every part of them that holds no window function (a column, a key, an
 * aggregate, a whole expression) becomes a value the row keeps (a base slot), and what
 * is left combines those with the windows' values. */
static int has_win(const cx *e)
{
    if (!e) return 0;
    if (e->op == X_WIN) return 1;
    if (has_win(e->a) || has_win(e->b) || has_win(e->c)) return 1;
    for (int i = 0; i < e->n && e->v; i++)
        if (has_win(e->v[i])) return 1;
    return 0;
}

static cx *lift(cctx *c, cx *e)
{
    if (!e || e->op == X_WIN || e->op == X_COL || e->op == X_CONST) return e;
    if (!has_win(e)) {
        cx *b = newx(c, X_WBASE, NULL);
        if (!b) return NULL;
        b->off = e->off, b->len = e->len, b->rt = e->rt, b->rns = e->rns;
        if ((b->slot = base_slot(c, e)) < 0) return NULL;
        return b;
    }
    if ((e->a && !(e->a = lift(c, e->a))) || (e->b && !(e->b = lift(c, e->b))) || (e->c && !(e->c = lift(c, e->c))))
        return NULL;
    for (int i = 0; i < e->n && e->v; i++)
        if (!(e->v[i] = lift(c, e->v[i]))) return NULL;
    return e;
}

/* CAST(x AS type) */
static cx *compile_cast(cctx *c, const shoal_node *n, int mode)
{
    static const struct { const char *name; int t; } types[] = {
        {"integer", V_INT}, {"int", V_INT}, {"bigint", V_INT}, {"real", V_NUM}, {"double", V_NUM}, {"float", V_NUM},
        {"numeric", V_NUM}, {"number", V_NUM}, {"text", V_STR}, {"varchar", V_STR}, {"string", V_STR},
        {"boolean", V_BOOL}, {"bool", V_BOOL}, {"date", V_DATE}, {"timestamp", V_TS}, {"time", V_TS},
        {"month", V_MONTH}};
    if (strcasecmp(n->s, "cast")) return fail(c, n->off, n->len, "%s", "only CAST(x AS type) takes AS inside its parentheses");
    int t = -1;
    for (size_t i = 0; i < sizeof types / sizeof types[0] && t < 0; i++)
        if (!strcasecmp(n->s2, types[i].name)) t = types[i].t;
    if (t < 0)
        return fail(c, n->s2_off, n->s2_len, "unknown type \"%s\" (expected INTEGER, REAL, TEXT, BOOLEAN, DATE, TIMESTAMP or MONTH)", n->s2);
    cx *e = newx(c, X_FUNC, n);
    if (!e || !(e->v = zalloc(c->x, sizeof(cx *))) || !(e->v[0] = compile(c, n->list->head, mode))) return NULL;
    e->n = 1;
    e->fn = shoal_func_cast;
    e->sub = t;
    e->ctx = e;   /* the evaluator reads its target type (sub) and its span from its own node */
    e->rt = t;
    int from = e->v[0]->rt, ff = from >= 0 ? shoal_val_family(from) : -1;
    /* what cannot convert, whatever the value: a time to a number or a boolean, a duration to a time */
    int bad = (ff == 3 && (t == V_INT || t == V_NUM || t == V_BOOL)) || (ff == 2 && t != V_STR && t != V_INT && t != V_NUM) ||
              (ff == 1 && (t == V_DATE || t == V_TS || t == V_MONTH));
    if (bad) {
        char b1[64];
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "cannot cast %s (%s) to %s", snippet(c, e->v[0], b1, sizeof b1),
                      shoal_val_type_name(from), shoal_val_type_name(t));
        return NULL;
    }
    return e;
}

/* lifecycle_state(activity, WEEK [, n]): the member's state, from the activity's
 * definition (activity.c); its one argument at run time is the member. */
static cx *compile_lifecycle_state(cctx *c, const shoal_node *n, int mode)
{
    if (c->p->src != SRC_MEMBERS || mode == M_EVENT || mode == M_POST)
        return fail(c, n->off, n->len, "%s", "lifecycle_state() is a member's: use it over members (FROM members, layers, tiers)");
    cx *e = newx(c, X_FUNC, n);
    if (!e) return NULL;
    if (shoal_lifecycle_state_compile(c->x, n, &e->ctx)) return NULL;
    if (c->p->n_lcs < 8) c->p->lcs[c->p->n_lcs++] = e->ctx;
    e->n = 1;
    if (!(e->v = zalloc(c->x, sizeof(cx *))) || !(e->v[0] = newx(c, X_MEMBER, n))) return NULL;
    e->v[0]->rt = V_ID;
    e->v[0]->rns = SHOAL_NS_MEMBER;
    e->fn = shoal_lifecycle_state_eval;
    e->rt = V_STR;
    return e;
}

static cx *compile_call(cctx *c, const shoal_node *n, int mode)
{
    if (n->over) return compile_window(c, n, mode);
    if (n->s2) return compile_cast(c, n, mode);
    if (shoal_window_kind(n->s))
        return fail(c, n->off, n->len, "%s() is a window function: it needs OVER (…), e.g. row_number() OVER (ORDER BY ts)", n->s);
    if (!strcasecmp(n->s, "arm")) return compile_arm(c, n, mode);
    if (!strcasecmp(n->s, "lifecycle_state")) return compile_lifecycle_state(c, n, mode);
    const func *f = shoal_func_find(n->s);
    if (!f) return fail(c, n->off, (int)strlen(n->s), "unknown function \"%s\"", n->s);
    int nargs = n->list ? n->list->n : 0;
    if (n->fwhere && (!f->agg || is_member_agg(c, n)))
        return fail(c, n->fwhere->off, n->fwhere->len, f->agg ? "FILTER applies to aggregates over rows; a per-member "
                    "aggregate takes WHERE inside: %s(TYPE WHERE …)" : "FILTER applies to aggregates, not to \"%s\"", n->s);
    if (f->agg) {
        if (f->agg == F_RISE && c->p->src != SRC_MEMBERS)
            return fail(c, n->off, n->len, "%s() is a per-member aggregate: use it over members (FROM members)", n->s);
        if (is_member_agg(c, n)) {
            /* Over members an event filter is the only thing compiled per event: there
             * the member's aggregates have no value yet (they are being accumulated). */
            if (mode == M_EVENT) {
                int k = n->len > 60 ? 60 : n->len;
                shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len,
                              "per-member aggregate \"%.*s%s\" cannot be used inside an event filter: the filter is "
                              "tested event by event, before a member's aggregates are known",
                              k, c->x->src + n->off, k < n->len ? "…" : "");
                return NULL;
            }
            if (mode == M_POST)
                return fail(c, n->off, n->len, "per-member aggregate \"%s\" must appear in GROUP BY or inside an aggregate", n->s);
            return compile_magg(c, n);
        }
        if (mode != M_POST) {
            if (c->p->src == SRC_MEMBERS && n->list && n->list->head->kind == SHOAL_AST_NAME && agg_kind(n) &&
                !(n->flags & SHOAL_AST_F_DISTINCT)) {
                const shoal_node *a = n->list->head;
                if (!event_column(a->s)) return fail(c, a->off, a->len, "unknown event type \"%s\"", a->s);
            }
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, n->len, "aggregate \"%s\" is not allowed in %s", n->s,
                          c->clause ? c->clause : "this clause");
            return NULL;
        }
        return compile_ragg(c, n);
    }
    if (n->win) return fail(c, n->win->off, n->win->len, "DURING applies to aggregates, not to \"%s\"", n->s);
    if (n->anc) return fail(c, n->anc->off, n->anc->len, "WITHIN applies to aggregates, not to \"%s\"", n->s);
    if (n->filter || (n->flags & (SHOAL_AST_F_STAR | SHOAL_AST_F_DISTINCT)))
        return fail(c, n->off, n->len, "\"%s\" is not an aggregate", n->s);
    if (nargs < f->min_args || nargs > f->max_args)
        return fail(c, n->off, n->len, "wrong number of arguments to \"%s\"", n->s);
    cx *e = newx(c, X_FUNC, n);
    if (!e) return NULL;
    e->fn = f->eval;
    e->rt = f->rt;
    e->n = nargs;
    e->v = zalloc(c->x, sizeof(cx *) * (size_t)(nargs ? nargs : 1));
    if (!e->v) return NULL;
    int i = 0;
    for (shoal_node *a = n->list ? n->list->head : NULL; a; a = a->next) {
        if (!(e->v[i++] = compile(c, a, mode))) return NULL;
    }
    e->ctx = e;   /* an error at run time is at the call */
    if (e->rt < 0 && nargs) e->rt = e->v[0]->rt;
    const char *fn = f->name;
    if (!strcasecmp(fn, "day") || !strcasecmp(fn, "week") || !strcasecmp(fn, "month") || !strcasecmp(fn, "year") ||
        !strcasecmp(fn, "hour") || !strcasecmp(fn, "weekday")) {
        if (e->v[0]->rt >= 0 && e->v[0]->rt != V_TS && e->v[0]->rt != V_DATE)
            return fail(c, n->list->head->off, n->list->head->len, "%s() takes a timestamp such as ts", f->name);
    }
    if (!strcasecmp(fn, "date_trunc") || !strcasecmp(fn, "strftime")) {
        const shoal_node *w = n->list->head;
        cx *u = e->v[0];
        int trunc = !strcasecmp(fn, "date_trunc");
        if (u->op != X_CONST || u->k.t != V_STR)
            return fail(c, w->off, w->len, trunc ? "%s()'s first argument is a unit in quotes, e.g. date_trunc('month', ts)"
                                                 : "%s()'s first argument is a format in quotes, e.g. strftime('%%Y-%%m', ts)", fn);
        if (trunc && shoal_func_trunc_unit(u->k.u.s, u->k.n) < 0)
            return fail(c, w->off, w->len, "unknown unit \"%s\" (expected year, quarter, month, week, day, hour, minute or second)", u->k.u.s);
        int bad = trunc ? -1 : shoal_func_strftime_bad(u->k.u.s, u->k.n);
        if (bad >= 0)
            return fail(c, w->off, w->len, "strftime()'s format \"%s\" has an unknown %% code (expected %%Y %%m %%d %%H %%M %%S %%f %%j %%w %%u %%s %%F %%T %%a %%b or %%%%)", u->k.u.s);
        int t = e->v[1]->rt;
        if (t >= 0 && t != V_TS && t != V_DATE && t != V_MONTH)
            return fail(c, w->next->off, w->next->len, "%s() takes a time such as ts", fn);
    }
    static const char *const math[] = {"pow", "power", "exp", "ln", "sqrt", "floor", "ceil", "abs", "round"};
    for (size_t k = 0; k < sizeof math / sizeof math[0]; k++) {
        if (strcasecmp(fn, math[k])) continue;
        int i = 0;
        for (const shoal_node *a = n->list->head; a; a = a->next, i++) {
            int t = e->v[i]->rt;
            if (t >= 0 && shoal_val_family(t) > 1) {
                char b1[64];
                shoal_err_set(c->x->err, SHOAL_ESEMANTIC, a->off, a->len, "%s() takes numbers, not %s (%s)", fn,
                              snippet(c, e->v[i], b1, sizeof b1), shoal_val_type_name(t));
                return NULL;
            }
        }
    }
    return e;
}

/* ---------------------------------------------------------------- layers */

/* The definition name of kind, parsed: 0, SHOAL_ENOTFOUND (none of that kind) or an
 * error (in err). */
static int def_parse(exec *x, const char *name, const char *kind, const shoal_stmt **def, const char **text,
                     shoal_err *err)
{
    shoal_namedef d;
    int rc = shoal_view_def(x->r, x->a, name, &d, err);
    int vk = !strcmp(kind, "retention") ? SHOAL_VIEW_RETENTION : !strcmp(kind, "activity") ? SHOAL_VIEW_ACTIVITY : 0;
    if (rc == SHOAL_ENOTFOUND && vk) {
        /* a retention or an activity is kept as a view of its own kind, its statement in
         * the view's text */
        shoal_viewinfo vi;
        shoal_err quiet;
        shoal_err_clear(&quiet);
        if (shoal_view_info(x->r, x->a, name, &vi, &quiet) == 0 && vi.def.kind == vk) {
            d.kind = (shoal_str){kind, (uint32_t)strlen(kind)};
            d.text = vi.def.text;
            rc = 0;
        }
    }
    if (rc) return rc;
    if (d.kind.len != strlen(kind) || memcmp(d.kind.ptr, kind, d.kind.len)) return SHOAL_ENOTFOUND;
    shoal_parse_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.arena = x->a;
    pc.err = err;
    pc.src = d.text.ptr;
    pc.n_src = d.text.len;
    if ((rc = shoal_ast_parse(&pc))) return rc;
    if (!pc.head || pc.head->kind != SHOAL_STMT_CREATE || !pc.head->cols)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "the definition of \"%s\" is not a CREATE statement", name);
    *def = pc.head;
    *text = d.text.ptr;
    return 0;
}

int shoal_plan_def_find(exec *x, const char *name, const char *kind, int off, int len, const shoal_stmt **def,
                        const char **text)
{
    /* the kinds of named definitions, and how a message names one */
    static const char *const kinds[] = {"layer", "tiers", "retention", "activity", "experiment"};
    static const char *const whats[] = {"a layer", "tiers", "a retention", "an activity", "an experiment"};
    int k = 0;
    while (k < 4 && strcmp(kind, kinds[k])) k++;
    const char *what = whats[k];
    shoal_err quiet;
    shoal_err_clear(&quiet);
    int rc = def_parse(x, name, kind, def, text, &quiet);
    if (rc == SHOAL_ENOTFOUND) {
        const shoal_stmt *other;
        const char *other_text;
        shoal_viewinfo vi;
        for (int o = 0; o < 5; o++) {
            shoal_err_clear(&quiet);
            if (o != k && def_parse(x, name, kinds[o], &other, &other_text, &quiet) == 0)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, off, len, "\"%s\" is %s, not %s", name, whats[o], what);
        }
        shoal_err_clear(&quiet);
        if (shoal_view_info(x->r, x->a, name, &vi, &quiet) == 0)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, off, len, "\"%s\" is a view, not %s", name, what);
        shoal_closest cl;
        const char *near = shoal_views_closest(x, name, kind, &cl);
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, off, len, "unknown %s \"%s\"%s%s%s", kind, name,
                             near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
    }
    if (rc) return shoal_err_set(x->err, rc, off, len, "%s \"%s\": %s", kind, name, quiet.msg);
    return 0;
}

/* Compiles pred, a node of another text (a layer's or tiers' definition), over
 * members: the source is swapped while it compiles, and an error in it is reported
 * at [off, len) of the statement, prefixed with what it is in. */
static cx *compile_foreign(cctx *c, const shoal_node *pred, const char *text, const char *what, int off, int len)
{
    exec *x = c->x;
    cctx sub = *c;
    shoal_stmt st;
    memset(&st, 0, sizeof st);
    /* the statement's AS OF holds for the definition's subqueries too */
    st.asof_date = c->st->asof_date;
    st.asof_seq = c->st->asof_seq;
    st.asof_off = c->st->asof_off;
    st.asof_len = c->st->asof_len;
    sub.st = &st;
    sub.depth = 0;
    sub.layers = c->layers + 1;
    shoal_err quiet, *saved = x->err;
    shoal_err_clear(&quiet);
    const char *src = x->src;
    const shoal_scope *scope = x->scope;
    int n_subs = c->p->n_subs;
    x->src = text;
    x->err = &quiet;
    x->scope = NULL;  /* the statement's WITH queries are not the definition's */
    x->lax_names++;   /* a stored definition may name types that have no event yet */
    cx *e = compile(&sub, pred, M_MEMBER);
    x->lax_names--;
    x->src = src;
    x->err = saved;
    x->scope = scope;
    if (!e) shoal_err_set(x->err, quiet.code ? quiet.code : SHOAL_ESEMANTIC, off, len, "%s: %s", what, quiet.msg);
    /* its subqueries run once before the statement: an error of theirs then is
     * reported here too (the outermost definition's name, where the statement has it) */
    char *w = e && n_subs < c->p->n_subs ? zalloc(x, strlen(what) + 1) : NULL;
    if (w) memcpy(w, what, strlen(what));
    for (int i = n_subs; e && i < c->p->n_subs; i++) {
        if (!w) return NULL;
        c->p->subs[i].what = w;
        c->p->subs[i].at_off = off;
        c->p->subs[i].at_len = len;
    }
    return e;
}

/* member IN layer: the layer's predicate, compiled here as if written in place, so its
 * per-member aggregates join the plan's (and are read from views or the log like any
 * other). Its nodes' offsets refer to the layer's text, so the source is swapped while
 * it compiles, and an error in it is reported at the IN. A member is in the layer when
 * the predicate is TRUE (NULL is not in), so the result is never NULL. */
static cx *compile_layer(cctx *c, const shoal_node *n, int mode)
{
    exec *x = c->x;
    if (mode != M_MEMBER && !c->layers) {
        /* over rows that name members (events, a subquery's member column): the members
         * the layer holds, as member IN (SELECT member FROM members WHERE member IN layer),
         * a set made once before the statement runs (subquery.c) */
        cx *m = compile(c, n->a, mode);
        if (!m) return NULL;
        if (m->rt != V_ID || m->rns != SHOAL_NS_MEMBER)
            return fail(c, n->a->off, n->a->len, "%s", "only member can be IN a layer");
        shoal_stmt *q = zalloc(x, sizeof *q);
        shoal_item *it = zalloc(x, sizeof *it);
        shoal_node *col = zalloc(x, sizeof *col), *in = zalloc(x, sizeof *in), *sub = zalloc(x, sizeof *sub);
        if (!q || !it || !col || !in || !sub) return NULL;
        col->kind = SHOAL_AST_NAME;
        col->s = "member";
        col->n = 6;
        col->off = n->a->off;
        col->len = n->a->len;
        *in = *n;
        in->a = col;
        in->flags &= ~(unsigned)SHOAL_AST_F_NOT;
        it->expr = col;
        q->kind = SHOAL_STMT_SELECT;
        q->off = n->off;
        q->len = n->len;
        q->cols = it;
        q->from = "members";
        q->from_off = n->off;
        q->from_len = n->len;
        q->where = in;
        *sub = *n;
        sub->kind = SHOAL_AST_INSUB;
        sub->sub = q;
        return compile(c, sub, mode);
    }
    if (n->a->kind != SHOAL_AST_NAME || strcasecmp(n->a->s, "member"))
        return fail(c, n->a->off, n->a->len, "%s", "only member can be IN a layer");
    if (c->layers >= MAX_LAYER_DEPTH)
        return fail(c, n->s2_off, n->s2_len, "layers nest more than 16 deep at \"%s\" (a cycle?)", n->s);
    const shoal_stmt *def;
    const char *text;
    if (shoal_plan_def_find(x, n->s, "layer", n->s2_off, n->s2_len, &def, &text)) return NULL;
    char what[96];
    snprintf(what, sizeof what, "layer \"%.64s\"", n->s);
    cx *pc = compile_foreign(c, def->cols->expr, text, what, n->s2_off, n->s2_len);
    if (!pc) return NULL;
    /* For EXPLAIN: each layer once, in the order met. */
    char *l = c->p->layers;
    size_t used = strlen(l), k = strlen(n->s);
    int seen = 0;
    for (const char *q = l; *q && !seen; q += strcspn(q, ",") + (q[strcspn(q, ",")] ? 2 : 0))
        seen = strncmp(q, n->s, k) == 0 && (q[k] == ',' || q[k] == 0);
    if (!seen && used + k + 3 < sizeof c->p->layers)
        snprintf(l + used, sizeof c->p->layers - used, "%s%s", used ? ", " : "", n->s);
    cx *e = newx(c, X_CASE, n);
    cx *t = newx(c, X_CONST, n), *f = newx(c, X_CONST, n);
    if (!e || !t || !f || !(e->v = zalloc(x, 2 * sizeof(cx *)))) return NULL;
    int neg = !!(n->flags & SHOAL_AST_F_NOT);
    t->k.t = f->k.t = V_BOOL;
    t->rt = f->rt = V_BOOL;
    t->k.u.i = !neg;
    f->k.u.i = neg;
    e->n = 2;
    e->v[0] = pc;
    e->v[1] = t;
    e->c = f;
    e->rt = V_BOOL;
    return e;
}

int shoal_plan_layer_check(exec *x, const shoal_stmt *st, const shoal_node *pred)
{
    plan *p = zalloc(x, sizeof *p);
    if (!p) return SHOAL_ENOMEM;
    shoal_stmt q;
    memset(&q, 0, sizeof q);
    q.kind = SHOAL_STMT_SELECT;
    (void)st;
    cctx cc = {x, p, &q, st->cols->alias ? "a tier's condition" : "a layer", 0, 0, 0, 0, 0, 0};
    x->p = p;
    p->src = SRC_MEMBERS;
    p->cut_ts = INT64_MAX;
    p->max_seq = shoal_reader_last_seq(x->r);
    p->n_types = shoal_dict_count(x->r, SHOAL_NS_TYPE);
    p->n_members = shoal_dict_count(x->r, SHOAL_NS_MEMBER);
    p->now = x->now;
    cx *e = compile(&cc, pred, M_MEMBER);
    if (!e) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
    if (e->rt >= 0 && e->rt != V_BOOL)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, pred->off, pred->len, "%s",
                             "a layer is a condition, e.g. count(post) DURING this_month >= 3");
    return 0;
}

static cx *compile_node(cctx *c, const shoal_node *n, int mode);

/* The type of arithmetic node e (n its source), as shoal_val_arith_type gives it; an
 * error at the operator when it is not defined for the operands' types (a duration
 * plus a number, text, a time times anything). An operand of unknown type (a property's
 * value: a number, a boolean or text) is taken for a number, whose arithmetic is the
 * only one it can have; the result is then unknown too unless it is a time or a
 * duration. 1, or 0 after the error. */
static int arith_rt(cctx *c, const shoal_node *n, cx *e)
{
    int ta = e->a->rt, tb = e->b->rt;
    e->rt = -1;
    if ((is_const(e->a) && e->a->k.t == V_NULL) || (is_const(e->b) && e->b->k.t == V_NULL)) return 1;
    if (ta < 0 && tb < 0) return 1;
    int rt = shoal_val_arith_type(n->op, ta < 0 ? V_NUM : ta, tb < 0 ? V_NUM : tb);
    if (rt < 0) {
        static const char *const ops[] = {"", "+", "-", "*", "/", "%"};
        char b1[64], b2[64];
        int off, len;
        op_span(c, n, &off, &len);
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, off, len, "cannot apply \"%s\" to %s (%s) and %s (%s)", ops[n->op],
                      snippet(c, e->a, b1, sizeof b1), ta < 0 ? "a number or text" : shoal_val_type_name(ta),
                      snippet(c, e->b, b2, sizeof b2), tb < 0 ? "a number or text" : shoal_val_type_name(tb));
        return 0;
    }
    if (ta >= 0 && tb >= 0) e->rt = rt;
    else if (shoal_val_family(rt) > 1) e->rt = rt;
    return 1;
}

/* n MONTHS or n YEARS: its months, else 0 */
static int64_t months_of(const shoal_node *n)
{
    return n->kind == SHOAL_AST_DURATION ? n->i * shoal_func_months_unit(n->s) : 0;
}

/* x ± n MONTHS|YEARS, n MONTHS + x: calendar months added in the session's zone
 * (shoal_func_add_months); x a time, a date (a date literal too) or a month. */
static cx *compile_add_months(cctx *c, const shoal_node *n, int mode)
{
    int right = months_of(n->b) != 0;
    const shoal_node *xn = right ? n->a : n->b, *dn = right ? n->b : n->a;
    cx *e = newx(c, X_FUNC, n), *k = newx(c, X_CONST, dn);
    if (!e || !k || !(e->v = zalloc(c->x, 2 * sizeof(cx *)))) return NULL;
    if (!(e->v[0] = compile(c, xn, mode))) return NULL;
    cx *t = e->v[0];
    if (t->op == X_CONST && t->k.t == V_TS && t->sub) {
        /* a date literal: a date, as beside a day */
        t->k.t = V_DATE;
        t->k.u.i = local_day(c->x, t->k.u.i);
        t->rt = V_DATE;
    }
    if (!(t->rt == V_TS || t->rt == V_DATE || t->rt == V_MONTH || (is_const(t) && t->k.t == V_NULL))) {
        static const char *const ops[] = {"", "+", "-"};
        char b1[64];
        int off, len;
        op_span(c, n, &off, &len);
        shoal_err_set(c->x->err, SHOAL_ESEMANTIC, off, len, "cannot apply \"%s\" to %s (%s) and a duration in months: "
                      "it moves a time, a date or a month", ops[n->op], snippet(c, t, b1, sizeof b1),
                      t->rt < 0 ? "a number or text" : shoal_val_type_name(t->rt));
        return NULL;
    }
    if (n->i > INT32_MAX) return fail(c, dn->off, dn->len, "%s", "duration is too long");
    k->k.t = V_INT;
    k->k.u.i = (n->op == SHOAL_OP_SUB ? -1 : 1) * months_of(dn);
    k->rt = V_INT;
    e->v[1] = k;
    e->n = 2;
    e->fn = shoal_func_add_months;
    e->rt = is_const(t) && t->k.t == V_NULL ? -1 : t->rt;
    return e;
}

static cx *compile(cctx *c, const shoal_node *n, int mode)
{
    if (c->nest >= MAX_COMPILE_DEPTH) return fail(c, n->off, n->len, "%s", "the statement is nested too deeply");
    c->nest++;
    cx *e = compile_node(c, n, mode);
    c->nest--;
    return e;
}

static cx *compile_node(cctx *c, const shoal_node *n, int mode)
{
    if (c->x->err && c->x->err->code) return NULL;
    /* After grouping, an expression that is a GROUP BY key reads the key. */
    if (mode == M_POST && c->p->keys) {
        int i = 0;
        for (const shoal_item *g = c->st->group; g; g = g->next, i++) {
            const shoal_node *kn = g->expr;
            /* GROUP BY an alias or a position means that select item. */
            if (kn->kind == SHOAL_AST_NAME || kn->kind == SHOAL_AST_INT) {
                int j = 1;
                for (const shoal_item *s = c->st->cols; s; s = s->next, j++)
                    if ((kn->kind == SHOAL_AST_NAME && s->alias && !strcasecmp(s->alias, kn->s)) ||
                        (kn->kind == SHOAL_AST_INT && kn->i == j)) {
                        kn = s->expr;
                        break;
                    }
            }
            if (ast_equal(kn, n)) {
                cx *e = newx(c, X_KEY, n);
                if (!e) return NULL;
                e->slot = i;
                e->rt = c->p->keys[i]->rt;
                e->rns = c->p->keys[i]->rns;
                return e;
            }
        }
    }
    cx *e = NULL;
    switch (n->kind) {
    case SHOAL_AST_INT:
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_INT; e->k.u.i = n->i; e->rt = V_INT; }
        return e;
    case SHOAL_AST_NUM:
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_NUM; e->k.u.d = n->d; e->rt = V_NUM; }
        return e;
    case SHOAL_AST_BOOL:
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_BOOL; e->k.u.i = n->i; e->rt = V_BOOL; }
        return e;
    case SHOAL_AST_NULL:
        if ((e = newx(c, X_CONST, n))) e->k.t = V_NULL;
        return e;
    case SHOAL_AST_STR:
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_STR; e->k.u.s = n->s; e->k.n = (uint32_t)n->n; e->rt = V_STR; }
        return e;
    case SHOAL_AST_TSLIT: {
        int64_t t;
        if (shoal_plan_time(c->x, n->s, (size_t)n->n, 0, &t)) return fail(c, n->off, n->len, "invalid date \"%s\"", n->s);
        /* sub: a date literal (a bare date), which a day or a month reads as itself */
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_TS; e->k.u.i = t; e->rt = V_TS; e->sub = n->n == 10; }
        return e;
    }
    case SHOAL_AST_DURATION: {
        const char *u = n->s;
        int64_t unit = unit_ms(u);
        if (!unit && shoal_func_months_unit(u))
            return fail(c, n->off, n->len, "%s", "a duration in months or years has no fixed length: add it to or "
                        "subtract it from a time, a date or a month (ts + 1 MONTHS)");
        if (!unit)
            return fail(c, n->s2_off, n->s2_len, "unknown time unit \"%s\" (expected DAYS, WEEKS, HOURS, MINUTES, "
                        "SECONDS, or MONTHS and YEARS added to a time)", u);
        if (n->i > INT64_MAX / unit / 4) return fail(c, n->off, n->len, "duration \"%s\" is too long", u);
        if ((e = newx(c, X_CONST, n))) { e->k.t = V_DUR; e->k.u.i = n->i * unit; e->rt = V_DUR; }
        return e;
    }
    case SHOAL_AST_NAME: return compile_name(c, n, mode);
    case SHOAL_AST_DOT:
        /* FROM a JOIN b: a.column, b.column */
        if (c->p->src == SRC_ROWS && c->p->src_qual) {
            int known = 0;
            for (int i = 0; i < c->p->n_src && !known; i++) known = !strcasecmp(n->s, c->p->src_qual[i]);
            if (known || !shoal_subq_outer_name(c->x, n->s, n->s2)) return join_column(c, n, n->s);
        }
        /* t.column: a column of this statement's source named t (FROM (SELECT …) t, a
         * WITH query, events, members) */
        /* FROM p AS q: q names the source, and p is hidden (SQL's rule) */
        if (c->st->from && c->st->alias && !strcasecmp(n->s, c->st->from) && strcasecmp(n->s, c->st->alias) &&
            !shoal_subq_outer_name(c->x, n->s, n->s2)) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, (int)strlen(n->s),
                          "\"%s\" is called \"%s\" in this statement (FROM %s AS %s): write %s.%s", n->s, c->st->alias,
                          c->st->from, c->st->alias, c->st->alias, n->s2);
            return NULL;
        }
        if (c->st->from && (c->st->alias ? !strcasecmp(n->s, c->st->alias) : !strcasecmp(n->s, c->st->from)) &&
            (c->p->src == SRC_ROWS || !c->st->from_arg)) {
            shoal_node *t = zalloc(c->x, sizeof *t);
            if (!t) return NULL;
            t->kind = SHOAL_AST_NAME;
            t->s = n->s2;
            t->n = (int)strlen(n->s2);
            t->off = n->s2_off;
            t->len = n->s2_len;
            return compile_name(c, t, mode);
        }
        if (shoal_subq_outer_name(c->x, n->s, n->s2))
            return fail(c, n->off, n->len, "\"%s\" is a source of the statement around this subquery: a subquery reads "
                        "the statement around it only through comparisons in its WHERE (inner = outer.column, inner < outer.column)", n->s);
        return fail(c, n->off, n->len, "TYPE.property (\"%s\") is only meaningful inside sum, avg, min or max over members", n->s);
    case SHOAL_AST_STAR: return fail(c, n->off, n->len, "%s", "\"*\" is only allowed as a select item or in count(*)");
    case SHOAL_AST_CALL: return compile_call(c, n, mode);
    case SHOAL_AST_NOT:
    case SHOAL_AST_NEG:
        if (!(e = newx(c, n->kind == SHOAL_AST_NOT ? X_NOT : X_NEG, n))) return NULL;
        if (!(e->a = compile(c, n->a, mode))) return NULL;
        e->rt = n->kind == SHOAL_AST_NOT ? V_BOOL : e->a->rt;
        if (e->op == X_NEG && e->a->rt >= 0 && shoal_val_family(e->a->rt) != 1 && e->a->rt != V_DUR) {
            char b1[64];
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->off, 1, "cannot negate %s (%s)", snippet(c, e->a, b1, sizeof b1),
                          shoal_val_type_name(e->a->rt));
            return NULL;
        }
        if (e->rt == V_BOOL && e->op == X_NEG) e->rt = V_INT;
        return e;
    case SHOAL_AST_BINOP: {
        int op = n->op;
        if (op == SHOAL_OP_CONCAT) {
            /* a || b: text, NULL when either is NULL */
            if (!(e = newx(c, X_FUNC, n)) || !(e->v = zalloc(c->x, 2 * sizeof(cx *)))) return NULL;
            if (!(e->v[0] = compile(c, n->a, mode)) || !(e->v[1] = compile(c, n->b, mode))) return NULL;
            e->n = 2;
            e->fn = shoal_func_concat;
            e->rt = V_STR;
            return e;
        }
        if (op == SHOAL_OP_AND || op == SHOAL_OP_OR) {
            if (!(e = newx(c, op == SHOAL_OP_AND ? X_AND : X_OR, n))) return NULL;
            if (!(e->a = compile(c, n->a, mode)) || !(e->b = compile(c, n->b, mode))) return NULL;
            e->rt = V_BOOL;
            return e;
        }
        if ((op == SHOAL_OP_ADD || op == SHOAL_OP_SUB) && (months_of(n->b) || (op == SHOAL_OP_ADD && months_of(n->a))))
            return compile_add_months(c, n, mode);
        if (!(e = newx(c, op >= SHOAL_OP_EQ ? X_CMP : X_ARITH, n))) return NULL;
        e->sub = op;
        if (op >= SHOAL_OP_EQ) {
            /* Compile the column side first so the other side can be read in its terms. */
            if (n->b->kind == SHOAL_AST_NAME && n->a->kind != SHOAL_AST_NAME && n->a->kind != SHOAL_AST_DOT) {
                if (!(e->b = compile(c, n->b, mode)) || !(e->a = compile_against(c, e->b, n->a, mode))) return NULL;
            } else {
                if (!(e->a = compile(c, n->a, mode)) || !(e->b = compile_against(c, e->a, n->b, mode))) return NULL;
                if (coerce(c, e->b, e->a)) return NULL;
            }
            if (check_cmp(c, n, e->a, e->b)) return NULL;
            e->rt = V_BOOL;
            /* a property = 'true': IN ('true', TRUE) (spelled) */
            cx *alt = NULL, *col = NULL, *k = NULL;
            if (op == SHOAL_OP_EQ || op == SHOAL_OP_NE) {
                if ((alt = spelled(c, e->a, e->b))) col = e->a, k = e->b;
                else if ((alt = spelled(c, e->b, e->a))) col = e->b, k = e->a;
            }
            if (!alt && op != SHOAL_OP_EQ && op != SHOAL_OP_NE) {
                /* words > '100': ordered as the number it spells (as text it would sort
                 * after every number) */
                cx *k1 = spelled(c, e->a, e->b), *k2 = k1 ? NULL : spelled(c, e->b, e->a);
                if (k1) e->b = k1;
                if (k2) e->a = k2;
            }
            if (alt) {
                e->op = X_IN;
                e->sub = op == SHOAL_OP_NE;
                e->a = col;
                e->n = 2;
                if (!(e->v = zalloc(c->x, 2 * sizeof(cx *)))) return NULL;
                e->v[0] = k;
                e->v[1] = alt;
            }
            return e;
        }
        if (!(e->a = compile(c, n->a, mode)) || !(e->b = compile(c, n->b, mode))) return NULL;
        /* a date literal beside a day or a month is one (day(ts) - 2025-06-01 counts days) */
        if (e->b->rt == V_DATE || e->b->rt == V_MONTH) coerce(c, e->b, e->a);
        if (e->a->rt == V_DATE || e->a->rt == V_MONTH) coerce(c, e->a, e->b);
        if (!arith_rt(c, n, e)) return NULL;
        return e;
    }
    case SHOAL_AST_IN: {
        if (!(e = newx(c, X_IN, n))) return NULL;
        e->sub = !!(n->flags & SHOAL_AST_F_NOT);
        if (!(e->a = compile(c, n->a, mode))) return NULL;
        e->n = n->list->n;
        if (!(e->v = zalloc(c->x, sizeof(cx *) * (size_t)e->n))) return NULL;
        int i = 0, all_ids = e->a->rt == V_ID;
        for (shoal_node *p = n->list->head; p; p = p->next, i++) {
            if (!(e->v[i] = compile_against(c, e->a, p, mode))) return NULL;
            if (check_cmp(c, p, e->a, e->v[i])) return NULL;
            if (!(is_const(e->v[i]) && e->v[i]->k.t == V_ID && e->v[i]->k.ns == e->a->rns)) all_ids = 0;
        }
        /* a property IN ('true', '3'): the spelled values too (spelled) */
        int n_alt = 0;
        for (i = 0; i < e->n; i++) {
            qval v;
            n_alt += e->a->rt < 0 && is_const(e->v[i]) && e->v[i]->k.t == V_STR &&
                     shoal_val_spell(e->v[i]->k.u.s, e->v[i]->k.n, &v);
        }
        if (n_alt) {
            cx **v = zalloc(c->x, sizeof(cx *) * (size_t)(e->n + n_alt));
            if (!v) return NULL;
            memcpy(v, e->v, sizeof(cx *) * (size_t)e->n);
            int k = e->n;
            for (i = 0; i < e->n; i++) {
                cx *alt = spelled(c, e->a, e->v[i]);
                if (alt) v[k++] = alt;
                else if (c->x->err->code) return NULL;
            }
            e->v = v;
            e->n = k;
        }
        e->rt = V_BOOL;
        if (all_ids && (e->a->op == X_TYPE || e->a->op == X_MEMBER || e->a->op == X_GROUP)) {
            /* A set of interned ids: one bit per id, tested without the dictionary. */
            e->n_bits = shoal_dict_count(c->x->r, e->a->rns) + 1;
            if (!(e->bits = zalloc(c->x, e->n_bits / 8 + 1))) return NULL;
            for (i = 0; i < e->n; i++) {
                uint32_t id = (uint32_t)e->v[i]->k.u.i;
                if (id < e->n_bits) e->bits[id >> 3] |= (uint8_t)(1u << (id & 7));
            }
            e->op = X_INSET;
        }
        return e;
    }
    case SHOAL_AST_INLAYER: return compile_layer(c, n, mode);
    case SHOAL_AST_SUBQ:
    case SHOAL_AST_INSUB: {
        /* run before the statement, then a constant or a set (subquery.c) */
        /* a layer's or tiers' condition, compiled in place (c->layers) or checked at
         * CREATE (shoal_plan_layer_check, over members without FROM): its subqueries run
         * once for the statement, uncorrelated (planned as in SELECT … FROM members, so
         * that members.member is known, and refused, as a correlation) */
        const shoal_stmt *st = c->st;
        shoal_stmt lst;
        int in_layer = c->layers || (!c->st->from && c->p->src == SRC_MEMBERS);
        if (in_layer) {
            shoal_subq_layer_stmt(c->st, &lst);
            st = &lst;
        }
        plan *ip;
        /* correlated through equalities: run once, each row's keys looked up (correlate.c) */
        shoal_corr *k = zalloc(c->x, sizeof *k);
        if (!k) return NULL;
        int corr = shoal_corr_plan(c->x, st, c->p, n, &ip, k);
        if (corr < 0) return NULL;
        if (corr && in_layer && (k->n_keys || k->n_range)) {
            const shoal_node *o = k->n_keys ? k->out[0] : k->rout[0];
            return fail(c, o->off, o->len, "%s",
                        "a subquery in a layer's or tiers' condition runs once for the whole statement, so it cannot "
                        "read the member being tested (a correlated subquery): select the members instead, "
                        "member IN (SELECT member FROM …)");
        }
        if (corr) {
            if (!(e = newx(c, X_SUBQ, n))) return NULL;
            k->negated = !!(n->flags & SHOAL_AST_F_NOT);
            if (k->kind == SHOAL_CORR_VALUE) {
                e->rt = k->vrt;
                e->rns = k->vrns;
            } else {
                e->rt = V_BOOL;
            }
            /* the outer sides: the equalities', then the range's (compared with rin, ip's
             * column n_keys) */
            int nk = k->n_keys + k->n_range;
            if (nk && !(e->v = zalloc(c->x, sizeof(cx *) * (size_t)nk))) return NULL;
            for (int i = 0; i < nk; i++) {
                const shoal_node *o = i < k->n_keys ? k->out[i] : k->rout[i - k->n_keys];
                if (!(e->v[i] = compile(c, o, mode))) return NULL;
                if (check_cmp(c, o, e->v[i], ip->cols[i < k->n_keys ? i : k->n_keys])) return NULL;
            }
            e->n = nk;
            if (k->kind == SHOAL_CORR_IN) {
                if (!(e->a = compile(c, n->a, mode))) return NULL;
                if (check_cmp(c, n, e->a, ip->cols[k->vcol])) return NULL;
            }
            if (shoal_subq_add(c->x, c->p, SUBQ_CORR, e, ip, n)) return NULL;
            c->p->subs[c->p->n_subs - 1].corr = k;
            return e;
        }
        if (n->flags & SHOAL_AST_F_EXISTS)
            return fail(c, n->off, n->len, "%s", "internal: EXISTS was not planned");
        if (shoal_subq_plan_expr(c->x, st, c->p, n, &ip)) return NULL;
        if (ip->n_cols != 1) {
            shoal_err_set(c->x->err, SHOAL_ESEMANTIC, n->sub->off, n->sub->len,
                          "a subquery %s selects one column, not %d", n->kind == SHOAL_AST_SUBQ ? "used as a value" : "after IN",
                          ip->n_cols);
            return NULL;
        }
        if (!(e = newx(c, X_SUBQ, n))) return NULL;
        if (n->kind == SHOAL_AST_SUBQ) {
            e->rt = ip->cols[0]->rt;
            e->rns = ip->cols[0]->rns;
        } else {
            e->sub = !!(n->flags & SHOAL_AST_F_NOT);
            if (!(e->a = compile(c, n->a, mode))) return NULL;
            if (check_cmp(c, n, e->a, ip->cols[0])) return NULL;
            e->rt = V_BOOL;
        }
        if (shoal_subq_add(c->x, c->p, n->kind == SHOAL_AST_SUBQ ? SUBQ_VALUE : SUBQ_IN, e, ip, n)) return NULL;
        return e;
    }
    case SHOAL_AST_BETWEEN:
        if (!(e = newx(c, X_BETWEEN, n))) return NULL;
        e->sub = !!(n->flags & SHOAL_AST_F_NOT);
        if (!(e->a = compile(c, n->a, mode))) return NULL;
        if (!(e->b = compile_against(c, e->a, n->b, mode)) || !(e->c = compile_against(c, e->a, n->c, mode))) return NULL;
        if (check_cmp(c, n, e->a, e->b) || check_cmp(c, n, e->a, e->c)) return NULL;
        {
            cx *k;
            if ((k = spelled(c, e->a, e->b))) e->b = k;   /* as for words > '100' */
            if ((k = spelled(c, e->a, e->c))) e->c = k;
        }
        e->rt = V_BOOL;
        return e;
    case SHOAL_AST_LIKE:
        if (!(e = newx(c, X_LIKE, n))) return NULL;
        e->sub = !!(n->flags & SHOAL_AST_F_NOT);
        if (!(e->a = compile(c, n->a, mode)) || !(e->b = compile(c, n->b, mode))) return NULL;
        e->rt = V_BOOL;
        return e;
    case SHOAL_AST_ISNULL:
        if (!(e = newx(c, X_ISNULL, n))) return NULL;
        e->sub = !!(n->flags & SHOAL_AST_F_NOT);
        if (!(e->a = compile(c, n->a, mode))) return NULL;
        e->rt = V_BOOL;
        return e;
    case SHOAL_AST_CASE: {
        if (!(e = newx(c, X_CASE, n))) return NULL;
        if (n->a && !(e->a = compile(c, n->a, mode))) return NULL;
        if (n->c && !(e->c = compile(c, n->c, mode))) return NULL;
        e->n = n->list->n * 2;
        if (!(e->v = zalloc(c->x, sizeof(cx *) * (size_t)e->n))) return NULL;
        int i = 0;
        for (shoal_node *w = n->list->head; w; w = w->next) {
            if (!(e->v[i++] = e->a ? compile_against(c, e->a, w->a, mode) : compile(c, w->a, mode))) return NULL;
            if (e->a && check_cmp(c, w->a, e->a, e->v[i - 1])) return NULL;
            if (!(e->v[i++] = compile(c, w->b, mode))) return NULL;
        }
        e->rt = e->v[1]->rt;
        return e;
    }
    default:
        return fail(c, n->off, n->len, "%s", "unsupported expression");
    }
}

/* ---------------------------------------------------------------- SELECT */

/* Types that WHERE can accept, from its top-level AND conjuncts of the form
 * type = X or type IN (…): records of other types are skipped before their
 * properties are decoded. */
static cx *type_filter(plan *p, cx *w, uint8_t *bits, int *any)
{
    if (!w) return NULL;
    if (w->op == X_AND) {
        /* Conjuncts the bitmap decides are dropped from WHERE: it is not tested twice. */
        cx *a = type_filter(p, w->a, bits, any), *b = type_filter(p, w->b, bits, any);
        if (!a) return b;
        if (!b) return a;
        w->a = a;
        w->b = b;
        return w;
    }
    if (w->op == X_INSET && w->a->op == X_TYPE && !w->sub) {
        for (uint32_t i = 0; i <= p->n_types; i++)
            if (!(i < w->n_bits && (w->bits[i >> 3] >> (i & 7) & 1))) bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
        *any = 1;
        return NULL;
    }
    if (w->op == X_CMP && w->sub == SHOAL_OP_EQ && w->a->op == X_TYPE && is_const(w->b) && w->b->k.t == V_ID) {
        for (uint32_t i = 0; i <= p->n_types; i++)
            if (i != w->b->k.u.i) bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
        *any = 1;
        return NULL;
    }
    return w;
}

static const char *item_name(cctx *c, const shoal_item *it)
{
    if (it->alias) return it->alias;
    const shoal_node *n = it->expr;
    if (n->kind == SHOAL_AST_NAME) return n->s;
    if (n->kind == SHOAL_AST_DOT) return n->s2;   /* t.column: column */
    char *s = shoal_arena_strndup(c->x->a, c->x->src + n->off, (size_t)n->len);
    return s ? s : "?";
}

static int plan_select(exec *x, const shoal_stmt *st, plan **out);
static int plan_merged(exec *x, const shoal_stmt *st, const shoal_stmt *m, const char *what, plan **out);

cx *shoal_plan_row_expr(exec *x, const shoal_stmt *st, plan *p, const shoal_node *n, const char *clause)
{
    cctx cc = {x, p, st, clause, 0, 0, 0, 0, 0, 0};
    return compile(&cc, n, M_EVENT);
}

int shoal_plan_select(exec *x, const shoal_stmt *st, plan **out)
{
    /* WITH queries come into sight; SELECT … FROM members PER MONTH is its SELECT per
     * period (subquery.c) */
    const shoal_scope *saved;
    int rc = named_windows(x, st);
    if (rc) return rc;
    rc = shoal_subq_with(x, st, &saved);
    if (!rc) {
        const shoal_stmt *m = NULL;
        const char *what, *why;
        if (st->per && !st->from_sub && st->from && !shoal_subq_cte(x, st->from) &&
            (!strcasecmp(st->from, "members") || !strcasecmp(st->from, "tiers")))
            rc = shoal_subq_per_select(x, st, out);
        else if (!(rc = shoal_merge_select(x, st, &m, &what, &why)) && m)
            rc = plan_merged(x, st, m, what, out);
        else if (!rc)
            rc = plan_select(x, st, out);
    }
    x->scope = saved;
    return rc;
}

/* m, st merged with the SELECT it reads (merge.c): planned as a flat statement, so that
 * views answer, members alike are one row and the scan is split as for the statement
 * written flat. Should m not plan, st is planned as written (its rows streamed from the
 * inner SELECT), which reports its own errors. */
static int plan_merged(exec *x, const shoal_stmt *st, const shoal_stmt *m, const char *what, plan **out)
{
    shoal_err saved;
    if (x->err) saved = *x->err;
    int64_t now = x->now;
    int rc = plan_select(x, m, out);
    if (!rc) {
        (*out)->merged = what;
        return 0;
    }
    if (rc == SHOAL_ECANCEL) return rc;
    if (x->err) *x->err = saved;
    x->now = now;
    x->merge_failed = 1;
    rc = plan_select(x, st, out);
    x->merge_failed = 0;
    return rc;
}

static int plan_select(exec *x, const shoal_stmt *st, plan **out)
{
    plan *p = zalloc(x, sizeof *p);
    if (!p) return SHOAL_ENOMEM;
    cctx cc = {x, p, st, NULL, 0, 0, 0, 0, 0, 0};
    cctx *c = &cc;
    x->p = p;
    p->limit = -1;
    p->cut_ts = INT64_MAX;
    p->max_seq = shoal_reader_last_seq(x->r);
    p->n_types = shoal_dict_count(x->r, SHOAL_NS_TYPE);
    p->n_members = shoal_dict_count(x->r, SHOAL_NS_MEMBER);
    if (!st->from) p->src = SRC_NONE;
    else if (st->joins) {
        p->rsrc = &shoal_join_source;   /* FROM a JOIN b ON …: join.c */
        p->src = SRC_ROWS;
    } else if (st->from_sub || (!st->from_arg && shoal_subq_cte(x, st->from))) {
        p->rsrc = &shoal_subq_source;   /* FROM (SELECT …) t, FROM a WITH query */
        p->src = SRC_ROWS;
    } else if (!st->from_arg && shoal_subq_later(x, st->from))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len,
                             "a WITH query reads only the WITH queries written before it, not \"%s\" (recursive WITH "
                             "is not supported yet)", st->from);
    else if (!strcasecmp(st->from, "events")) p->src = SRC_EVENTS;
    else if (!strcasecmp(st->from, "members")) p->src = SRC_MEMBERS;
    else if (!strcasecmp(st->from, "tiers")) p->src = SRC_MEMBERS;
    else if ((p->rsrc = shoal_rowsrc_find(st->from))) p->src = SRC_ROWS;
    else
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len,
                             "unknown source \"%s\" (expected events or members)", st->from);
    if (st->from) {
        p->rs_off = st->from_off;
        p->rs_len = st->from_arg ? st->from_arg_off + st->from_arg_len + 1 - st->from_off : st->from_len;
    }
    if (st->from_n && strcasecmp(st->from, "lifecycle"))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_n->off, st->from_n->len,
                             "only lifecycle(name, n) takes a number (churned after n idle periods)");
    if (st->per && p->src != SRC_ROWS)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len, "%s",
                             "PER applies to members, tiers(name), a subquery, flow(name) and transitions(name)");

    /* FROM tiers(name): members, with the column tier. */
    if (st->from && !st->from_sub && !st->joins && !strcasecmp(st->from, "tiers")) {
        if (!st->from_arg)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len, "%s", "expected FROM tiers(name)");
        int rc = shoal_plan_def_find(x, st->from_arg, "tiers", st->from_arg_off, st->from_arg_len, &p->tiers_def,
                                     &p->tiers_text);
        if (rc) return rc;
        p->tiers = st->from_arg;
    } else if (st->from_arg && p->src != SRC_ROWS) {
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_arg_off, st->from_arg_len,
                             "only tiers(name) takes a name, not %s", st->from);
    }

    /* AS OF first: it fixes "now" for every window below. */
    if (st->asof_seq) {
        if (!st->asof_seq->s || strcasecmp(st->asof_seq->s, "seq"))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->asof_seq->s2_off, st->asof_seq->s2_len,
                                 "expected SEQ or a date after AS OF but found \"%s\"", st->asof_seq->s ? st->asof_seq->s : "");
        if ((uint64_t)st->asof_seq->i < p->max_seq) p->max_seq = (uint64_t)st->asof_seq->i;
    }
    if (st->asof_date) {
        int64_t t;
        const shoal_node *d = st->asof_date;
        if (shoal_plan_time(x, d->s, (size_t)d->n, 1, &t))
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, d->off, d->len, "invalid date \"%s\"", d->s);
        p->cut_ts = t;
        x->now = t;
    } else if (p->src != SRC_ROWS && p->src != SRC_NONE) {
        /* "Now" hides the events after it, whether it is the clock or SET NOW: the
         * statement is as of now, as AS OF now would be (LANGUAGE.md, AS OF), so that a
         * count, a sum, first/last, a score and who the members are all see the same
         * events. When no event is later than now (the clock, usually), nothing is cut
         * and the plan stays that of the whole log. A flow cuts each period itself; a
         * SELECT without FROM reads no event. */
        int64_t latest;
        int rc = shoal_zone_latest(x->r, &latest, x->err);
        if (rc == SHOAL_ENOTFOUND) latest = INT64_MAX;   /* a map still being filled: assume some are */
        else if (rc) return rc;
        if (latest > x->now) p->cut_ts = x->now;
    }
    p->now = x->now;
    /* flow(name), retention(name) …: the source plans its rows (rowsrc.h), and may take
     * the part of WHERE that is about members for itself (p->where_ast). */
    p->where_ast = st->where;
    if (p->src == SRC_ROWS) {
        int rc = p->rsrc->plan(x, st, p);
        if (rc) return rc;
    }

    if (p->src == SRC_EVENTS && st->during) {
        p->has_range = 1;
        if (window_range(c, st->during, &p->range)) return x->err->code;
    }
    int row_mode = p->src == SRC_MEMBERS ? M_MEMBER : M_EVENT;
    if (p->src == SRC_NONE) row_mode = M_EVENT;

    /* Is this an aggregate query? */
    p->grouped = st->group != NULL || st->having != NULL;
    for (const shoal_item *it = st->cols; it; it = it->next) p->grouped |= has_row_agg(c, it->expr);
    for (const shoal_item *it = st->order; it; it = it->next) p->grouped |= has_row_agg(c, it->expr);

    if (p->where_ast) {
        c->clause = "WHERE";
        if (!(p->where = compile(c, p->where_ast, row_mode))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
        c->clause = NULL;
    }
    if (p->src == SRC_EVENTS && p->where) {
        uint8_t *bits = zalloc(x, p->n_types / 8 + 1);
        if (!bits) return SHOAL_ENOMEM;
        memset(bits, 0xff, p->n_types / 8 + 1);
        int any = 0;
        cx *rest = type_filter(p, p->where, bits, &any);
        if (any) {
            p->type_filter = bits;
            p->where = rest;
        }
    }

    int n_group = 0;
    for (const shoal_item *g = st->group; g; g = g->next) n_group++;
    if (n_group) {
        p->keys = zalloc(x, sizeof(cx *) * (size_t)n_group);
        if (!p->keys) return SHOAL_ENOMEM;
        c->clause = "GROUP BY";
        for (const shoal_item *g = st->group; g; g = g->next) {
            const shoal_node *kn = g->expr;
            int j = 1;
            if (kn->kind == SHOAL_AST_INT) {
                const shoal_item *s = st->cols;
                for (; s && j < kn->i; s = s->next) j++;
                if (!s || kn->i < 1)
                    return shoal_err_set(x->err, SHOAL_ESEMANTIC, kn->off, kn->len, "GROUP BY position %" PRId64 " is not a select item", kn->i);
                kn = s->expr;
            } else if (kn->kind == SHOAL_AST_NAME) {
                for (const shoal_item *s = st->cols; s; s = s->next)
                    if (s->alias && !strcasecmp(s->alias, kn->s)) {
                        kn = s->expr;
                        break;
                    }
            }
            if (!(p->keys[p->n_keys] = compile(c, kn, row_mode))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
            p->n_keys++;
        }
        c->clause = NULL;
    }
    int out_mode = p->grouped ? M_POST : row_mode;

    /* Select items; * expands to the source's columns. */
    int cap = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) cap += it->expr->kind == SHOAL_AST_STAR ? 5 + p->n_src : 1;
    uint32_t n_props = shoal_dict_count(x->r, SHOAL_NS_PROP);
    int has_star = 0;
    for (const shoal_item *it = st->cols; it; it = it->next) has_star |= it->expr->kind == SHOAL_AST_STAR;
    if (has_star && p->src == SRC_EVENTS) cap += (int)n_props;
    p->cols = zalloc(x, sizeof(cx *) * (size_t)(cap + 1));
    p->names = zalloc(x, sizeof(char *) * (size_t)(cap + 1));
    if (!p->cols || !p->names) return SHOAL_ENOMEM;
    c->clause = "the select list";
    c->win_ok = 1;
    for (const shoal_item *it = st->cols; it; it = it->next) {
        if (it->expr->kind == SHOAL_AST_STAR) {
            if (p->grouped)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, it->expr->off, it->expr->len, "\"*\" cannot be used with aggregates or GROUP BY");
            if (p->src == SRC_NONE)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, it->expr->off, it->expr->len, "\"*\" needs FROM events or FROM members");
            if (p->src == SRC_ROWS) {
                for (int i = 0; i < p->n_src; i++) {
                    cx *e = newx(c, X_SRCCOL, it->expr);
                    if (!e) return SHOAL_ENOMEM;
                    e->slot = i;
                    e->rt = p->src_rt[i];
                    e->rns = p->src_ns[i];
                    p->names[p->n_cols] = p->src_names[i];
                    p->cols[p->n_cols++] = e;
                }
                continue;
            }
            static const char *const ev_cols[] = {"seq", "ts", "member", "type", "group"};
            static const int ev_ops[] = {X_SEQ, X_TS, X_MEMBER, X_TYPE, X_GROUP};
            int k = p->src == SRC_EVENTS ? 5 : 1;
            for (int i = 0; i < k; i++) {
                cx *e = newx(c, p->src == SRC_EVENTS ? ev_ops[i] : X_MEMBER, it->expr);
                if (!e) return SHOAL_ENOMEM;
                set_rt(e);
                p->names[p->n_cols] = p->src == SRC_EVENTS ? ev_cols[i] : "member";
                p->cols[p->n_cols++] = e;
            }
            if (p->src == SRC_EVENTS)
                for (uint32_t id = 1; id <= n_props; id++) {
                    shoal_str s;
                    if (shoal_dict_str(x->r, SHOAL_NS_PROP, id, &s, x->err)) return x->err->code;
                    cx *e = newx(c, X_PROP, it->expr);
                    if (!e) return SHOAL_ENOMEM;
                    e->key = id;
                    p->names[p->n_cols] = shoal_arena_strndup(x->a, s.ptr ? s.ptr : "", s.len);
                    p->cols[p->n_cols++] = e;
                }
            continue;
        }
        if (!(p->cols[p->n_cols] = compile(c, it->expr, out_mode))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
        p->names[p->n_cols++] = item_name(c, it);
    }
    c->win_ok = 0;
    if (p->src == SRC_NONE && (p->n_maggs || st->where))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->off, 6, "%s", "this SELECT needs FROM events or FROM members");
    if (st->having) {
        c->clause = "HAVING";
        if (!(p->having = compile(c, st->having, M_POST))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
    }
    int n_order = 0;
    for (const shoal_item *o = st->order; o; o = o->next) n_order++;
    if (n_order) {
        p->order = zalloc(x, sizeof(cx *) * (size_t)n_order);
        p->desc = zalloc(x, sizeof(int) * (size_t)n_order);
        p->nulls = zalloc(x, sizeof(int) * (size_t)n_order);
        if (!p->order || !p->desc || !p->nulls) return SHOAL_ENOMEM;
        c->clause = "ORDER BY";
        c->win_ok = 1;
        for (const shoal_item *o = st->order; o; o = o->next) {
            const shoal_node *on = o->expr;
            cx *e = NULL;
            if (on->kind == SHOAL_AST_INT) {
                if (on->i < 1 || on->i > p->n_cols)
                    return shoal_err_set(x->err, SHOAL_ESEMANTIC, on->off, on->len, "ORDER BY position %" PRId64 " is not a select item", on->i);
                if (!(e = newx(c, X_COL, on))) return SHOAL_ENOMEM;
                e->slot = (int)on->i - 1;
            } else if (on->kind == SHOAL_AST_NAME) {
                int j = 0;
                for (const shoal_item *s = st->cols; s; s = s->next, j++)
                    if (s->alias && !strcasecmp(s->alias, on->s)) {
                        if (!(e = newx(c, X_COL, on))) return SHOAL_ENOMEM;
                        e->slot = j;
                        break;
                    }
                if (has_star) e = NULL;
            }
            if (!e) {
                /* An expression equal to a select item sorts by that column. */
                int j = 0;
                for (const shoal_item *s = st->cols; s && !has_star; s = s->next, j++)
                    if (ast_equal(s->expr, on)) {
                        if (!(e = newx(c, X_COL, on))) return SHOAL_ENOMEM;
                        e->slot = j;
                        break;
                    }
            }
            if (!e && !(e = compile(c, on, out_mode))) return x->err->code ? x->err->code : SHOAL_ESEMANTIC;
            p->order[p->n_order] = e;
            p->nulls[p->n_order] = o->nulls;
            p->desc[p->n_order++] = o->desc;
        }
        c->win_ok = 0;
    }
    if (p->n_wins) {
        for (int i = 0; i < p->n_cols; i++)
            if (!(p->cols[i] = lift(c, p->cols[i]))) return x->err->code ? x->err->code : SHOAL_ENOMEM;
        for (int i = 0; i < p->n_order; i++)
            if (!(p->order[i] = lift(c, p->order[i]))) return x->err->code ? x->err->code : SHOAL_ENOMEM;
    }
    if (st->limit && (st->limit->flags & SHOAL_AST_F_TIES)) {
        if (!p->n_order)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->limit->off, st->limit->len, "%s",
                                 "LIMIT … WITH TIES needs ORDER BY: ties are rows equal in its keys");
        p->ties = 1;
    }
    if (st->limit) p->limit = st->limit->i;
    if (st->offset) p->offset = st->offset->i;

    /* Views answer the per-member aggregates they cover (views.c). */
    if (shoal_views_plan(x, p)) return x->err->code ? x->err->code : SHOAL_ESTORE;

    /* Which aggregates each event type feeds (CSR over type ids), so the scan touches
     * only what a record's type needs; those that views answer whole are left out. */
    if (p->n_maggs && !p->from_views) {
        uint32_t nt = p->n_types + 1;
        p->tl_start = zalloc(x, sizeof(uint32_t) * (nt + 1));
        if (!p->tl_start) return SHOAL_ENOMEM;
        uint32_t total = 0;
        for (uint32_t t = 0; t < nt; t++) {
            p->tl_start[t] = total;
            for (int i = 0; i < p->n_maggs; i++) {
                const uint8_t *b = p->maggs[i].types;
                if (t > 0 && p->maggs[i].src != MG_VIEW && !p->maggs[i].anchor && (!b || (b[t >> 3] >> (t & 7) & 1)))
                    total++;
            }
        }
        p->tl_start[nt] = total;
        p->tl = zalloc(x, sizeof(uint32_t) * (total + 1));
        if (!p->tl) return SHOAL_ENOMEM;
        uint32_t k = 0;
        for (uint32_t t = 1; t < nt; t++)
            for (int i = 0; i < p->n_maggs; i++) {
                const uint8_t *b = p->maggs[i].types;
                if (p->maggs[i].src != MG_VIEW && !p->maggs[i].anchor && (!b || (b[t >> 3] >> (t & 7) & 1)))
                    p->tl[k++] = (uint32_t)i;
            }
    }
    /* SELECT a, b FROM (SELECT …): the subquery's plan, its columns named as here */
    if (p->rsrc == &shoal_subq_source && shoal_subq_flatten(x, p, out)) return SHOAL_OK;
    *out = p;
    return SHOAL_OK;
}
