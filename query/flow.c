/* flow.c — FROM flow(name) PER unit and FROM transitions(name) [PER unit]: how members
 * move between tiers from one period to the next, as a row source (SRC_ROWS) for the
 * SELECT around it. A member's tier at the end of a period is exactly what
 * `SELECT member, tier FROM tiers(name) AS OF <that instant>` says, so the tiers are
 * evaluated by the planner and executor as that query at the end of each period (and
 * of the period before the first), each member's tier kept in an array, and
 * consecutive arrays compared: N+1 evaluations for N periods, two arrays of members.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rowsrc.h"
#include "scan.h"

#define DAY_MS 86400000LL

/* More periods than this is a mistake (PER DAY over decades): each is an evaluation. */
#define MAX_PERIODS 20000

enum { FLOW_MATRIX = 1, FLOW_TRANSITIONS };
enum { PER_DAY = SHOAL_PER_DAY, PER_WEEK = SHOAL_PER_WEEK, PER_MONTH = SHOAL_PER_MONTH };

/* A member's tier code at an instant: NOT_YET before its first event, NO_TIER when no
 * condition holds and there is no OTHERWISE tier, else 1.. in the definition's order. */
#define NOT_YET (-1)
#define NO_TIER 0

typedef struct shoal_flow {
    int kind, unit;
    const char *name;            /* the tiers */
    int name_off, name_len;
    int n_tiers;
    qval *tier_val;              /* by code: [0] NULL, [1..n_tiers] the tier's name */
    int64_t first_ts;            /* the earliest event seen, INT64_MAX when none */
    int64_t p_first, p_last;     /* periods (period_of); none when p_first > p_last */
    int64_t n_periods;
    int64_t last;                /* the last instant evaluated: now */
    const shoal_node *asof_seq;
} shoal_flow;

static const char *const matrix_cols[] = {"period", "from_tier", "to_tier", "move", "members"};
static const char *const trans_cols[] = {"member", "period", "from_tier", "to_tier", "move"};
enum { MOVE_UP, MOVE_DOWN, MOVE_STAY, MOVE_NEW };
static const char *const move_names[] = {"up", "down", "stay", "new"};

/* ---------------------------------------------------------------- periods */

/* Periods are the row sources' (rowsrc.h): the local day, the Monday that starts the
 * week, year * 12 + month - 1. */
static int64_t period_of(const shoal_flow *fl, int64_t day) { return shoal_per_of(fl->unit, day); }

static int64_t period_next(const shoal_flow *fl, int64_t p) { return shoal_per_next(fl->unit, p); }

static int64_t period_prev(const shoal_flow *fl, int64_t p) { return fl->unit == PER_WEEK ? p - 7 : p - 1; }

static int64_t period_first_day(const shoal_flow *fl, int64_t p) { return shoal_per_first_day(fl->unit, p); }

/* The period's last instant (its last millisecond), or now when that is earlier: a
 * period not over yet is taken as it stands. */
static int64_t period_end(exec *x, const shoal_flow *fl, int64_t p)
{
    int64_t t = shoal_plan_day_start(x, period_first_day(fl, period_next(fl, p))) - 1;
    return t < fl->last ? t : fl->last;
}

static qval period_val(const shoal_flow *fl, int64_t p)
{
    qval v = {.t = fl->unit == PER_MONTH ? V_MONTH : V_DATE};
    v.u.i = p;
    return v;
}

static void render(exec *x, const qval *v, char *buf, size_t n)
{
    const char *s;
    size_t len;
    int kind;
    if (shoal_val_render(x, v, &s, &len, &kind)) snprintf(buf, n, "?");
    else snprintf(buf, n, "%.*s", (int)len, s);
}

/* ---------------------------------------------------------------- plan */

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* The earliest event time the statement can see: from the zone map when the whole log
 * is seen (each block's earliest time is exact), else by reading every header (late
 * events may come anywhere in the log). */
static int first_event(exec *x, uint64_t max_seq, int64_t cut, int64_t *out)
{
    scan_range sr;
    shoal_rec rec;
    int rc;
    if (max_seq == shoal_reader_last_seq(x->r)) {
        int64_t t;
        rc = shoal_zone_earliest(x->r, &t, x->err);
        if (rc == SHOAL_OK) {
            *out = t <= cut ? t : INT64_MAX;
            return 0;
        }
        if (rc != SHOAL_ENOTFOUND) return rc;
    }
    if ((rc = scan_range_open(&sr, x->r, 1, max_seq + 1, NULL, 0, NULL, x->cancel, x->err))) return rc;
    int64_t t = INT64_MAX;
    while ((rc = scan_range_next(&sr, &rec)) == 1)
        if (rec.ts < t && rec.ts <= cut) t = rec.ts;
    scan_range_close(&sr);
    if (rc < 0) return rc;
    *out = t;
    return 0;
}

/* The tiers of the definition, in order: their names become the values of from_tier
 * and to_tier. Unknown names, and names of layers or views, are errors at the name. */
static int load_tiers(exec *x, const shoal_stmt *st, shoal_flow *fl)
{
    const shoal_stmt *def;
    const char *text;
    int rc = shoal_plan_def_find(x, fl->name, "tiers", fl->name_off, fl->name_len, &def, &text);
    if (rc) return rc;
    (void)st;
    for (const shoal_item *it = def->cols; it; it = it->next) fl->n_tiers++;
    /* Codes are 16-bit per member; a definition has far fewer tiers than that. */
    if (fl->n_tiers > 1000)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, fl->name_off, fl->name_len, "tiers \"%s\" has too many tiers",
                             fl->name);
    fl->tier_val = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(fl->n_tiers + 1));
    if (!fl->tier_val) return nomem(x);
    memset(fl->tier_val, 0, sizeof(qval) * (size_t)(fl->n_tiers + 1));
    int i = 1;
    for (const shoal_item *it = def->cols; it; it = it->next, i++) {
        fl->tier_val[i].t = V_STR;
        fl->tier_val[i].u.s = it->alias;
        fl->tier_val[i].n = (uint32_t)strlen(it->alias);
    }
    return 0;
}

int shoal_flow_plan(exec *x, const shoal_stmt *st, plan *p)
{
    shoal_flow *fl = shoal_arena_alloc(x->a, sizeof *fl);
    if (!fl) return nomem(x);
    memset(fl, 0, sizeof *fl);
    fl->kind = !strcasecmp(st->from, "flow") ? FLOW_MATRIX : FLOW_TRANSITIONS;
    if (!st->from_arg)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len, "expected FROM %s(name), name being tiers",
                             fl->kind == FLOW_MATRIX ? "flow" : "transitions");
    fl->name = st->from_arg;
    fl->name_off = st->from_arg_off;
    fl->name_len = st->from_arg_len;
    if (!st->per) {
        /* transitions default to days: a change is dated to its day. */
        if (fl->kind == FLOW_MATRIX)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_arg_off + st->from_arg_len + 1 - st->from_off,
                                 "%s", "flow(name) needs PER DAY, PER WEEK or PER MONTH");
        fl->unit = PER_DAY;
    } else if (!strcasecmp(st->per, "day")) {
        fl->unit = PER_DAY;
    } else if (!strcasecmp(st->per, "week")) {
        fl->unit = PER_WEEK;
    } else if (!strcasecmp(st->per, "month")) {
        fl->unit = PER_MONTH;
    } else {
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len,
                             "unknown period \"%s\" (expected DAY, WEEK or MONTH)", st->per);
    }
    int rc = load_tiers(x, st, fl);
    if (rc) return rc;
    fl->asof_seq = st->asof_seq;
    fl->last = x->now;

    /* The periods: those the DURING window overlaps, from the first event's on, up
     * to now's. */
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (st->during && (rc = shoal_plan_window(x, st->during, &lo, &hi))) return rc;
    if ((rc = first_event(x, p->max_seq, p->cut_ts, &fl->first_ts))) return rc;
    if (lo < fl->first_ts) lo = fl->first_ts;
    if (hi > fl->last) hi = fl->last + 1;
    fl->p_first = 1;
    fl->p_last = 0;
    if (fl->first_ts != INT64_MAX && lo < hi) {
        fl->p_first = period_of(fl, shoal_plan_local_day(x, lo));
        fl->p_last = period_of(fl, shoal_plan_local_day(x, hi - 1));
        for (int64_t q = fl->p_first; q <= fl->p_last; q = period_next(fl, q))
            if (++fl->n_periods > MAX_PERIODS)
                return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per ? st->per_off : st->from_off,
                                     st->per ? st->per_len : st->from_len,
                                     "more than %d periods: choose a shorter DURING window or a longer period",
                                     MAX_PERIODS);
    }

    static const int matrix_rt[] = {0, V_STR, V_STR, V_STR, V_INT};
    static const int trans_rt[] = {V_ID, 0, V_STR, V_STR, V_STR};
    static const uint8_t matrix_ns[] = {0, 0, 0, 0, 0};
    static const uint8_t trans_ns[] = {SHOAL_NS_MEMBER, 0, 0, 0, 0};
    int *rt = shoal_arena_alloc(x->a, sizeof(int) * 5);
    if (!rt) return nomem(x);
    memcpy(rt, fl->kind == FLOW_MATRIX ? matrix_rt : trans_rt, sizeof(int) * 5);
    rt[fl->kind == FLOW_MATRIX ? 0 : 1] = fl->unit == PER_MONTH ? V_MONTH : V_DATE;
    p->n_src = 5;
    p->src_names = fl->kind == FLOW_MATRIX ? matrix_cols : trans_cols;
    p->src_rt = rt;
    p->src_ns = fl->kind == FLOW_MATRIX ? matrix_ns : trans_ns;
    p->rs_state = fl;
    return 0;
}

/* ---------------------------------------------------------------- one evaluation */

typedef struct collect {
    const shoal_flow *fl;
    int16_t *tier;
    uint32_t n_members;
} collect;

/* A row of the tiers query (member, tier): the member's tier code. */
static int collect_row(exec *x, const qval *cols, int n, void *ctx)
{
    (void)x;
    (void)n;
    collect *k = ctx;
    if (cols[0].t != V_ID || cols[0].u.i <= 0 || (uint64_t)cols[0].u.i > k->n_members) return 0;
    int16_t code = NO_TIER;
    if (cols[1].t == V_STR)
        for (int i = 1; i <= k->fl->n_tiers; i++)
            if (k->fl->tier_val[i].n == cols[1].n && !memcmp(k->fl->tier_val[i].u.s, cols[1].u.s, cols[1].n)) {
                code = (int16_t)i;
                break;
            }
    k->tier[cols[0].u.i] = code;
    return 0;
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

/* SELECT member, tier FROM tiers(name) AS OF 'T' [AS OF SEQ n], built in x->a. Its
 * nodes sit at the tiers' name in the statement, where an error in it is reported. */
static shoal_stmt *tiers_query(exec *x, const shoal_flow *fl, int64_t t)
{
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    shoal_item *items = shoal_arena_alloc(x->a, 2 * sizeof *items);
    shoal_node *nodes = shoal_arena_alloc(x->a, 3 * sizeof *nodes);
    char *when = shoal_arena_alloc(x->a, 40);
    if (!q || !items || !nodes || !when) return nomem(x), NULL;
    memset(q, 0, sizeof *q);
    memset(items, 0, 2 * sizeof *items);
    memset(nodes, 0, 3 * sizeof *nodes);
    iso_utc(t, when, 40);
    static const char *const cols[] = {"member", "tier"};
    for (int i = 0; i < 2; i++) {
        nodes[i].kind = SHOAL_AST_NAME;
        nodes[i].s = cols[i];
        nodes[i].n = (int)strlen(cols[i]);
        nodes[i].off = fl->name_off;
        nodes[i].len = fl->name_len;
        items[i].expr = &nodes[i];
        items[i].next = i ? NULL : &items[1];
    }
    nodes[2].kind = SHOAL_AST_STR;
    nodes[2].s = when;
    nodes[2].n = (int)strlen(when);
    nodes[2].off = fl->name_off;
    nodes[2].len = fl->name_len;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = items;
    q->from = "tiers";
    q->from_off = fl->name_off;
    q->from_len = fl->name_len;
    q->from_arg = fl->name;
    q->from_arg_off = fl->name_off;
    q->from_arg_len = fl->name_len;
    q->asof_date = &nodes[2];
    q->asof_seq = (shoal_node *)fl->asof_seq;
    return q;
}

/* The tier code of every member as of t, into tier[1..n_members]. The query is
 * planned and run in an arena of its own, freed after, and the executor's state the
 * outer SELECT relies on (its plan, now, row sink) is put back. With explain, only
 * planned, in x->a, and the plan returned. */
static int evaluate(exec *x, const shoal_flow *fl, int64_t t, int16_t *tier, uint32_t n_members, plan **explain)
{
    if (tier)
        for (uint32_t m = 0; m <= n_members; m++) tier[m] = NOT_YET;
    if (t < fl->first_ts && !explain) return 0;   /* no member yet */
    shoal_arena *outer = x->a, *a = explain ? outer : shoal_arena_new();
    if (!a) return nomem(x);
    collect k = {fl, tier, n_members};
    x->a = a;
    int rc = SHOAL_ENOMEM;
    shoal_stmt *q = tiers_query(x, fl, t);
    plan *ip;
    if (q) {
        rc = shoal_rowsrc_plan_inner(x, q, &ip);
        if (!rc && explain) *explain = ip;
        else if (!rc) rc = shoal_rowsrc_run_inner(x, ip, collect_row, &k);
    }
    x->a = outer;
    if (!explain) shoal_arena_free(a);
    return rc;
}

/* ---------------------------------------------------------------- rows */

/* Tiers listed earlier rank higher; no tier ranks below every tier. */
static int rank(const shoal_flow *fl, int code) { return code == NO_TIER ? fl->n_tiers + 1 : code; }

static int move_of(const shoal_flow *fl, int from, int to)
{
    if (from == NOT_YET) return MOVE_NEW;
    int a = rank(fl, from), b = rank(fl, to);
    return b < a ? MOVE_UP : b > a ? MOVE_DOWN : MOVE_STAY;
}

static qval str_val(const char *s)
{
    qval v = {.t = V_STR};
    v.u.s = s;
    v.n = (uint32_t)strlen(s);
    return v;
}

/* The from × to counts of one period as rows: from in the definition's order, then no
 * tier, then new members; to likewise. Pairs with no member have no row. */
static int push_matrix(exec *x, const shoal_flow *fl, int64_t per, const int16_t *prev, const int16_t *cur,
                       uint32_t n_members, int64_t *counts, shoal_rowsink *sink)
{
    int w = fl->n_tiers + 2;   /* codes -1 .. n_tiers, at index code + 1 */
    memset(counts, 0, sizeof(int64_t) * (size_t)(w * w));
    for (uint32_t m = 1; m <= n_members; m++)
        if (cur[m] != NOT_YET) counts[(prev[m] + 1) * w + cur[m] + 1]++;
    /* from: tiers 1..n, then NO_TIER, then NOT_YET; to: tiers 1..n, then NO_TIER */
    for (int i = 0; i < w; i++) {
        int from = i < fl->n_tiers ? i + 1 : i == fl->n_tiers ? NO_TIER : NOT_YET;
        for (int j = 0; j <= fl->n_tiers; j++) {
            int to = j < fl->n_tiers ? j + 1 : NO_TIER;
            int64_t c = counts[(from + 1) * w + to + 1];
            if (!c) continue;
            qval row[5];
            row[0] = period_val(fl, per);
            row[1] = from == NOT_YET ? (qval){.t = V_NULL} : fl->tier_val[from];
            row[2] = fl->tier_val[to];
            row[3] = str_val(move_names[move_of(fl, from, to)]);
            row[4] = (qval){.t = V_INT, .u.i = c};
            int rc = shoal_exec_sink_push(sink, row);
            if (rc || shoal_exec_sink_full(sink)) return rc;
        }
    }
    (void)x;
    return 0;
}

/* One row per member whose tier changed (or who arrived) in the period. */
static int push_changes(exec *x, const shoal_flow *fl, int64_t per, const int16_t *prev, const int16_t *cur,
                        uint32_t n_members, shoal_rowsink *sink)
{
    for (uint32_t m = 1; m <= n_members; m++) {
        if (cur[m] == prev[m] || cur[m] == NOT_YET) continue;
        if ((m & 65535) == 0 && x->cancel && *x->cancel) return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
        qval row[5];
        row[0] = (qval){.t = V_ID, .ns = SHOAL_NS_MEMBER, .u.i = m};
        row[1] = period_val(fl, per);
        row[2] = prev[m] == NOT_YET ? (qval){.t = V_NULL} : fl->tier_val[prev[m]];
        row[3] = fl->tier_val[cur[m]];
        row[4] = str_val(move_names[move_of(fl, prev[m], cur[m])]);
        int rc = shoal_exec_sink_push(sink, row);
        if (rc || shoal_exec_sink_full(sink)) return rc;
    }
    return 0;
}

int shoal_flow_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    const shoal_flow *fl = p->rs_state;
    if (fl->p_first > fl->p_last) return 0;
    uint32_t n = shoal_dict_count(x->r, SHOAL_NS_MEMBER);
    int w = fl->n_tiers + 2;
    if (shoal_exec_hold_src(x, p, sizeof(int16_t) * 2 * ((uint64_t)n + 1) + sizeof(int64_t) * (uint64_t)(w * w))) return x->err->code;
    int16_t *prev = shoal_malloc(sizeof(int16_t) * ((size_t)n + 1));
    int16_t *cur = shoal_malloc(sizeof(int16_t) * ((size_t)n + 1));
    int64_t *counts = shoal_malloc(sizeof(int64_t) * (size_t)(w * w));
    int rc = 0;
    if (!prev || !cur || !counts) {
        rc = nomem(x);
        goto fail;
    }
    /* Tiers as of the end of the period before the first, then of each period. */
    if ((rc = evaluate(x, fl, period_end(x, fl, period_prev(fl, fl->p_first)), prev, n, NULL))) goto fail;
    for (int64_t per = fl->p_first; per <= fl->p_last; per = period_next(fl, per)) {
        if (x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        if ((rc = evaluate(x, fl, period_end(x, fl, per), cur, n, NULL))) goto fail;
        rc = fl->kind == FLOW_MATRIX ? push_matrix(x, fl, per, prev, cur, n, counts, sink)
                                     : push_changes(x, fl, per, prev, cur, n, sink);
        if (rc || shoal_exec_sink_full(sink)) break;
        int16_t *t = prev;
        prev = cur;
        cur = t;
    }
fail:
    shoal_free(prev);
    shoal_free(cur);
    shoal_free(counts);
    return rc;
}

/* ---------------------------------------------------------------- EXPLAIN */

int shoal_flow_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const shoal_flow *fl = p->rs_state;
    static const char *const units[] = {NULL, "DAY", "WEEK", "MONTH"};
    char buf[600], a[40], b[40];
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * 64);
    if (!l) return nomem(x);
    int n = 0;
#define LINE(...) \
    do { \
        snprintf(buf, sizeof buf, __VA_ARGS__); \
        if (n < 64 && !(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x); \
    } while (0)
    if (fl->p_first > fl->p_last) {
        LINE("%s of tiers %s PER %s: no period (no event in the window), no evaluation",
             fl->kind == FLOW_MATRIX ? "flow" : "transitions", fl->name, units[fl->unit]);
        *lines = l;
        *n_lines = n;
        return 0;
    }
    qval v = period_val(fl, fl->p_first);
    render(x, &v, a, sizeof a);
    v = period_val(fl, fl->p_last);
    render(x, &v, b, sizeof b);
    LINE("%s of tiers %s PER %s: %" PRId64 " period%s, %s .. %s", fl->kind == FLOW_MATRIX ? "flow" : "transitions",
         fl->name, units[fl->unit], fl->n_periods, fl->n_periods == 1 ? "" : "s", a, b);
    /* Evaluations at instants before the first event need no scan: nobody has a tier. */
    int64_t evals = 0, t_last = 0;
    int64_t per = period_prev(fl, fl->p_first);
    for (int64_t i = 0; i <= fl->n_periods; i++, per = period_next(fl, per)) {
        t_last = period_end(x, fl, per);
        evals += t_last >= fl->first_ts;
    }
    v = period_val(fl, period_prev(fl, fl->p_first));
    render(x, &v, a, sizeof a);
    LINE("  %" PRId64 " evaluation%s of SELECT member, tier FROM tiers(%s) AS OF the end of each period "
         "and of the one before, %s (%" PRId64 " before the first event need none)",
         evals, evals == 1 ? "" : "s", fl->name, a, fl->n_periods + 1 - evals);
    LINE("  consecutive evaluations compared in two arrays of %" PRIu32 " members: %s", p->n_members,
         fl->kind == FLOW_MATRIX ? "one row per (period, from_tier, to_tier) with members"
                                 : "one row per member whose tier changed");
    qval tv = {.t = V_TS, .u.i = t_last};
    render(x, &tv, a, sizeof a);
    LINE("  each evaluation is planned like the last one, as of %s:", a);
    plan *ip = NULL;
    char **il;
    int n_il;
    int rc = evaluate(x, fl, t_last, NULL, 0, &ip);
    if (!rc) rc = shoal_plan_explain(x, NULL, ip, &il, &n_il);
    if (rc) return rc;
    for (int i = 0; i < n_il; i++) LINE("    %s", il[i]);
#undef LINE
    *lines = l;
    *n_lines = n;
    return 0;
}
