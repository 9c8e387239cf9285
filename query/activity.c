/* activity.c — CREATE ACTIVITY name ON TYPE, … [WHERE …] (what counts as being
 * active) and FROM activity(name) [PER DAY|WEEK|MONTH], a row source (rowsrc.h) with
 * one row per period: (period, active, dau, wau, mau, stickiness).
 *
 * A definition is kept like a retention's, as a view (engine/view_activity.c: per
 * member the local days active, kept at ingest; its calendar answers when it can,
 * choose) or as its statement text, and compiled at use: its event aggregate,
 * count(types WHERE …), is planned as the select item of a SELECT over members (plan.c
 * compiles the types and the filter) and read from that plan.
 *
 * The calendar (from the view, or from one pass over the log) is a bit per member and
 * local day, from the first day of the earliest event's period to now's day, set when
 * the member did an active event that day. Then, per member, a walk over their active
 * days gives each day's counts: active that day (DAU), in the 7 days ending that day
 * (WAU), in the 30 days ending that day (MAU), as differences; and per period, the
 * members active in it. A period's dau, wau and mau are the means over its days up to
 * now's, and its stickiness is dau / mau. Members are counted once per day whatever
 * their number of events, and the order in which events arrived does not matter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rowsrc.h"
#include "scan.h"

/* The calendar (members × days bits) is refused past this: a clear error beats an
 * allocation that swaps. */
#define MAX_BYTES ((size_t)1 << 30)

typedef struct act {
    const char *name;
    int name_off, name_len;
    int unit;
    const magg *active;    /* the definition's count(types WHERE …), compiled */
    int64_t d0, n_days;    /* the calendar's days: d0, d0 + 1, … (now's is the last) */
    int64_t p_lo, p_hi;    /* the periods shown (DURING) */
    int none;              /* no event by now */
    int lifecycle;         /* FROM lifecycle(name) (SRC_LIFECYCLE), stickiness(name) (SRC_STICKINESS), else 0 */
    int64_t churn;         /* FROM lifecycle(name, n): churned after n idle periods; 0 without */
    shoal_rowsrc_members members;   /* WHERE's conditions on members: only those members count */
    /* From the activity view (view_activity.c) instead of the log: why not when not;
     * with edge, now's day is read from the log over [edge_lo, edge_hi), since the
     * view's holds the events after now */
    int view, edge;
    /* From the view's day counts (view_retention.c, an activity's): no condition on
     * members, activity(name); with late, the log holds events after now in now's
     * period, and the counts of now's day and period are mended (late_mend) */
    int counts, late;
    int64_t late_hi;       /* the end of now's period: events in (now, late_hi) are late */
    /* with late_days, the view's kept days (its first active times and previous active
     * days of the latest active day dmax and the one before) hold now's day: the mend
     * reads them instead of the log and the late members' days */
    int late_days;
    int64_t late_dmax;
    char why[200];
    int64_t edge_lo, edge_hi;
    uint64_t view_bytes;
} act;

static const char *const cols[] = {"period", "active", "dau", "wau", "mau", "stickiness"};
static const char *const lc_cols[] = {"period", "active", "new", "returning", "resurrecting", "dormant", "churned"};
static const char *const st_cols[] = {"period", "days", "members"};
enum { SRC_ACTIVITY = 0, SRC_LIFECYCLE, SRC_STICKINESS };
static const char *const src_words[] = {"activity", "lifecycle", "stickiness"};

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* ---------------------------------------------------------------- the definition */

/* st's aggregate, planned as SELECT count(types WHERE …) FROM members (in x->a,
 * positions in x->src), into a->active. The executor's state is put back. */
static int compile_def(exec *x, const shoal_stmt *st, act *a)
{
    const shoal_retention *d = st->ret;
    if (!d->on_w.s || strcasecmp(d->on_w.s, "on"))
        return shoal_err_set(x->err, SHOAL_ESYNTAX, d->on_w.off, d->on_w.len, "expected ON but found \"%s\"",
                             d->on_w.s ? d->on_w.s : "");
    if (d->mode.s || d->at_w.s) {
        const shoal_word *w = d->mode.s ? &d->mode : &d->at_w;
        return shoal_err_set(x->err, SHOAL_ESYNTAX, w->off, w->len, "expected WHERE or end of input but found \"%s\"", w->s);
    }
    shoal_node *count = shoal_rowsrc_count_node(x, d->types, d->where);
    shoal_item *item = shoal_arena_alloc(x->a, sizeof *item);
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    if (!count || !item || !q) return nomem(x);
    memset(item, 0, sizeof *item);
    memset(q, 0, sizeof *q);
    item->expr = count;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = item;
    q->from = "members";
    q->from_off = st->off;
    plan *ip;
    x->lax_names++;   /* its definition may name types no event has yet (plan.h) */
    int rc = shoal_rowsrc_plan_inner(x, q, &ip);
    x->lax_names--;
    if (rc) return rc;
    /* the column's aggregate: the plan may hold more, as the count(*) up to now that
     * tells who the members were when now hides later events (p->exist) */
    if (ip->n_cols != 1 || ip->cols[0]->op != X_MAGG)
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: an activity plans 1 aggregate");
    a->active = &ip->maggs[ip->cols[0]->slot];
    return 0;
}

static int compile_cb(exec *x, const shoal_stmt *def, void *a) { return compile_def(x, def, a); }

int shoal_activity_create(exec *x, const shoal_stmt *st)
{
    act a;
    memset(&a, 0, sizeof a);
    int rc = shoal_reader_open(x->db, &x->r, x->err);
    if (rc) return rc;
    rc = compile_def(x, st, &a);
    shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}

int shoal_activity_viewdef(exec *x, const shoal_stmt *st, shoal_viewdef *def, char *why, size_t n_why)
{
    memset(def, 0, sizeof *def);
    const shoal_retention *d = st->ret;
    shoal_node *count = shoal_rowsrc_count_node(x, d->types, d->where);
    shoal_vseries *se = shoal_arena_alloc(x->a, sizeof *se);
    if (!count || !se) return nomem(x);
    char w[200];
    int rc = shoal_views_series(x, count, se, w, sizeof w);
    if (rc) {
        if (rc == 1) snprintf(why, n_why, "%s", w);
        return rc;
    }
    def->kind = SHOAL_VIEW_ACTIVITY;
    def->name = (shoal_str){st->vname, (uint32_t)strlen(st->vname)};
    def->text = (shoal_str){x->src + st->off, (uint32_t)st->len};
    const char *tz = shoal_tz_name(x->tz);
    def->tz = (shoal_str){tz, (uint32_t)strlen(tz)};
    def->n_series = 1;
    def->series = se;
    def->n_params = 2;
    def->params[0] = SHOAL_PER_DAY;   /* the calendar is by local day, whatever PER a query asks */
    def->params[1] = 1;
    return 0;
}

/* ---------------------------------------------------------------- plan */

/* Whether the activity view answers (a->view, a->edge; the reason in a->why when not):
 * every day before now's is whole in it; now's holds the events after now too, unless
 * the log has none between now and the day's end (the zone map tells), else that day is
 * read from the log up to now. */
static int choose(exec *x, const plan *p, act *a)
{
    int rc = shoal_rowsrc_view_usable(x, p, a->name, SHOAL_VIEW_ACTIVITY, "days", &a->view_bytes, a->why, sizeof a->why);
    if (rc <= 0) return rc;
    a->view = 1;
    if (a->none || p->cut_ts == INT64_MAX) return 0;
    int64_t last = a->d0 + a->n_days - 1, t = p->cut_ts;
    int64_t lo = shoal_plan_day_start(x, last), hi = shoal_plan_day_start(x, last + 1);
    if ((rc = shoal_zone_may_hold(x->r, t + 1, hi, x->err)) < 0) return rc;
    if (rc) {
        a->edge = 1;
        a->edge_lo = lo;
        a->edge_hi = t + 1;
    }
    return 0;
}

static int plan_source(exec *x, const shoal_stmt *st, plan *p, int lifecycle)
{
    if (!st->from_arg)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_off, st->from_len, "expected FROM %s(name), name being an activity",
                             src_words[lifecycle]);
    act *a = shoal_arena_alloc(x->a, sizeof *a);
    if (!a) return nomem(x);
    memset(a, 0, sizeof *a);
    a->lifecycle = lifecycle;
    if (st->from_n) {
        if (st->from_n->i < 1 || st->from_n->i > 100000)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->from_n->off, st->from_n->len,
                                 "expected the number of idle periods after which a member is churned, from 1");
        a->churn = st->from_n->i;
    }
    a->name = st->from_arg;
    a->name_off = st->from_arg_off;
    a->name_len = st->from_arg_len;
    a->unit = SHOAL_PER_DAY;
    if (st->per && !(a->unit = shoal_per_unit(st->per)))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, st->per_off, st->per_len,
                             "unknown period \"%s\" (expected DAY, WEEK or MONTH)", st->per);
    const shoal_stmt *def;
    const char *text;
    int rc = shoal_plan_def_find(x, a->name, "activity", a->name_off, a->name_len, &def, &text);
    if (rc) return rc;
    if ((rc = shoal_rowsrc_def_compile(x, def, text, def->ret != NULL, "activity", a->name, a->name_off, a->name_len,
                                       compile_cb, a)))
        return rc;

    /* WHERE's conditions on members restrict who counts; the rest filter the rows */
    const char *const *names = lifecycle == SRC_LIFECYCLE ? lc_cols : lifecycle == SRC_STICKINESS ? st_cols : cols;
    int n_names = lifecycle == SRC_STICKINESS ? 3 : a->churn ? 7 : 6;
    if ((rc = shoal_rowsrc_members_plan(x, st, p, names, n_names, &a->members))) return rc;
    /* Now hides the events after it, as everywhere (LANGUAGE.md, AS OF). */
    if (p->cut_ts > x->now) p->cut_ts = x->now;
    int64_t first;
    if ((rc = shoal_rowsrc_earliest(x, p, &first))) return rc;
    if (first == INT64_MAX || first > x->now) {
        a->none = 1;
    } else {
        a->d0 = shoal_per_first_day(a->unit, shoal_per_of(a->unit, shoal_plan_local_day(x, first)));
        a->n_days = shoal_plan_local_day(x, x->now) - a->d0 + 1;
        a->p_lo = shoal_per_of(a->unit, a->d0);
        a->p_hi = shoal_per_of(a->unit, a->d0 + a->n_days - 1);
        if (st->during) {
            int64_t lo, hi;
            if ((rc = shoal_plan_window(x, st->during, &lo, &hi))) return rc;
            if (lo > hi - 1) {
                a->p_lo = 1, a->p_hi = 0;
            } else {
                if (lo != INT64_MIN && shoal_per_of(a->unit, shoal_plan_local_day(x, lo)) > a->p_lo)
                    a->p_lo = shoal_per_of(a->unit, shoal_plan_local_day(x, lo));
                if (hi != INT64_MAX && shoal_per_of(a->unit, shoal_plan_local_day(x, hi - 1)) < a->p_hi)
                    a->p_hi = shoal_per_of(a->unit, shoal_plan_local_day(x, hi - 1));
            }
        }
        if ((double)(p->n_members + 1) * (double)((a->n_days + 63) / 64 * 8) > (double)MAX_BYTES)
            return shoal_err_set(x->err, SHOAL_ERANGE, a->name_off, a->name_len,
                                 "activity \"%s\" over %" PRIu32 " members and %" PRId64 " days needs more than %zu MiB: "
                                 "ask AS OF an earlier date",
                                 a->name, p->n_members, a->n_days, MAX_BYTES >> 20);
    }
    if ((rc = choose(x, p, a))) return rc;
    if (a->view && !a->none && !a->members.plan && !a->lifecycle) {
        /* the counts hold every event: none may come after now in now's period */
        int64_t last = shoal_per_of(a->unit, a->d0 + a->n_days - 1);
        int64_t end = shoal_plan_day_start(x, shoal_per_first_day(a->unit, shoal_per_next(a->unit, last)));
        if ((rc = shoal_zone_may_hold(x->r, x->now + 1, end, x->err)) < 0) return rc;
        int whole = !rc;
        /* a table made before the counts has none: the calendar answers */
        rc = shoal_view_activity_counts(x->r, a->name, SHOAL_AC_DAU, 0, 0, 0, NULL, x->err);
        if (rc && rc != SHOAL_ENOTFOUND) return rc;
        a->counts = rc == 0;
        a->late = a->counts && !whole;
        a->late_hi = end;
        if (a->late) {
            /* now's day among the kept days, or after the last active one */
            int64_t dm = INT64_MIN, L = a->d0 + a->n_days - 1;
            rc = shoal_view_activity_days(x->r, a->name, INT64_MAX, &dm, NULL, NULL, x->err);
            if (rc && rc != SHOAL_ENOTFOUND) return rc;
            a->late_days = rc == 0 && (dm == INT64_MIN || L > dm - SHOAL_ACT_DAYS);
            a->late_dmax = dm;
        }
    }
    static const int rt_day[] = {V_DATE, V_INT, V_NUM, V_NUM, V_NUM, V_NUM};
    static const int rt_month[] = {V_MONTH, V_INT, V_NUM, V_NUM, V_NUM, V_NUM};
    static const int lc_day[] = {V_DATE, V_INT, V_INT, V_INT, V_INT, V_INT, V_INT};
    static const int lc_month[] = {V_MONTH, V_INT, V_INT, V_INT, V_INT, V_INT, V_INT};
    static const uint8_t ns[] = {0, 0, 0, 0, 0, 0, 0};
    static const int st_day[] = {V_DATE, V_INT, V_INT};
    static const int st_month[] = {V_MONTH, V_INT, V_INT};
    int month = a->unit == SHOAL_PER_MONTH;
    p->n_src = n_names;
    p->src_names = names;
    p->src_rt = lifecycle == SRC_LIFECYCLE ? (month ? lc_month : lc_day)
                : lifecycle == SRC_STICKINESS ? (month ? st_month : st_day) : (month ? rt_month : rt_day);
    p->src_ns = ns;
    p->rs_state = a;
    return 0;
}

int shoal_activity_plan(exec *x, const shoal_stmt *st, plan *p) { return plan_source(x, st, p, 0); }

int shoal_lifecycle_plan(exec *x, const shoal_stmt *st, plan *p) { return plan_source(x, st, p, SRC_LIFECYCLE); }

int shoal_stickiness_plan(exec *x, const shoal_stmt *st, plan *p) { return plan_source(x, st, p, SRC_STICKINESS); }

/* ---------------------------------------------------------------- rows */

/* The active events in [lo, hi) (and at most seq max_seq; with cut, at most
 * p->cut_ts), the zone map skipping the rest of the log, into one of two forms: with
 * cal, the calendar (bit d of member m's words when they were active on day d0 + d);
 * with bits, the members (bit m), those of the events after now into after when it is
 * not NULL (one pass for both sides of now). */
static int scan(exec *x, const plan *p, const act *a, int64_t lo, int64_t hi, int cut, uint64_t *cal, size_t words,
                uint64_t *bits, uint64_t *after)
{
    int64_t zr[2] = {lo, hi};
    int n_zr = lo != INT64_MIN || hi != INT64_MAX;
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, n_zr, &x->n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    const magg *g = a->active;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        uint32_t m = rec.member, t = rec.type;
        if ((cut && rec.ts > p->cut_ts) || rec.ts < lo || rec.ts >= hi || m == 0 || m > p->n_members || t == 0 ||
            t > p->n_types)
            continue;
        if (g->types && !(g->types[t >> 3] >> (t & 7) & 1)) continue;
        if (!shoal_exec_holds(x, g->filter, &rec)) continue;
        if (bits) {
            (after && rec.ts > x->now ? after : bits)[m / 64] |= (uint64_t)1 << (m & 63);
            continue;
        }
        int64_t d = shoal_plan_local_day(x, rec.ts) - a->d0;
        if (d < 0 || d >= a->n_days) continue;   /* after now */
        cal[(size_t)m * words + (size_t)d / 64] |= (uint64_t)1 << (d & 63);
    }
    x->n_scanned += sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

/* A member's record of the view into the calendar: their days, shifted to the
 * calendar's (day d0 is bit 0), whole words at a time. */
typedef struct view_cal {
    exec *x;
    const plan *p;
    const act *a;
    uint64_t *cal;
    size_t words;
    uint64_t n;
} view_cal;

static int view_member(void *ctx, const shoal_retmember *r)
{
    view_cal *c = ctx;
    exec *x = c->x;
    if ((++c->n & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
        return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    if (r->member == 0 || r->member > c->p->n_members) return 0;
    int64_t nd = c->a->n_days;
    uint64_t *b = c->cal + (size_t)r->member * c->words;
    for (uint32_t i = 0; i < r->act_n; i++) {
        uint64_t v = r->act[i];
        int64_t q = ((int64_t)r->act_lo + i) * 64 - c->a->d0;
        if (!v || q + 64 <= 0 || q >= nd) continue;
        if (q < 0) v >>= -q, q = 0;
        int s = (int)(q & 63);
        int64_t k = q / 64;
        b[k] |= v << s;
        if (s && (k + 1) * 64 < nd) b[k + 1] |= v >> (64 - s);
    }
    if (nd % 64) b[(nd - 1) / 64] &= ~(uint64_t)0 >> (64 - nd % 64);
    return 0;
}

/* FROM lifecycle(name): per period, the members active in it, split by where they come
 * from: new (their first active period), returning (active in the period before too),
 * resurrecting (not in the period before, but some time earlier); and dormant, those
 * active in the period before and not in this one. */
enum { LC_NEW, LC_RETURNING, LC_RESURRECTING, LC_DORMANT, LC_CHURNED, LC_N };

static int lifecycle_rows(exec *x, const act *a, const uint64_t *cal, size_t words, const int64_t *per_of_day,
                          int64_t n_per, shoal_rowsink *sink)
{
    size_t nm = (size_t)x->p->n_members + 1, nd = (size_t)a->n_days;
    int64_t *n = shoal_malloc(sizeof *n * (size_t)(n_per + 1) * (LC_N + 1));
    uint8_t *on = shoal_malloc((size_t)n_per + 1);
    int rc = 0;
    if (!n || !on) {
        rc = nomem(x);
        goto fail;
    }
    memset(n, 0, sizeof *n * (size_t)(n_per + 1) * (LC_N + 1));
    for (size_t m = 1; m < nm; m++) {
        if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        const uint64_t *b = cal + m * words;
        int any = 0;
        for (size_t w = 0; w < words && !any; w++) any = b[w] != 0;
        if (!any) continue;
        memset(on, 0, (size_t)n_per + 1);
        for (size_t w = 0; w < words; w++)
            for (uint64_t bits = b[w]; bits; bits &= bits - 1) {
                size_t d = w * 64 + (size_t)__builtin_ctzll(bits);
                if (d < nd) on[per_of_day[d]] = 1;
            }
        int ever = 0;
        int64_t idle = 0;   /* periods since the last active one (lifecycle(name, n): churned at n) */
        for (int64_t i = 0; i < n_per; i++) {
            int prev = i > 0 && on[i - 1];
            int64_t *c = n + (size_t)i * (LC_N + 1);
            if (on[i]) {
                c[LC_N]++;
                c[!ever ? LC_NEW : prev ? LC_RETURNING : LC_RESURRECTING]++;
                ever = 1;
                idle = 0;
            } else if (ever) {
                if (prev) c[LC_DORMANT]++;
                if (++idle == a->churn) c[LC_CHURNED]++;
            }
        }
    }
    int64_t q = shoal_per_of(a->unit, a->d0);
    for (int64_t i = 0; i < n_per; i++, q = shoal_per_next(a->unit, q)) {
        if (q < a->p_lo || q > a->p_hi) continue;
        const int64_t *c = n + (size_t)i * (LC_N + 1);
        qval row[7];
        row[0] = (qval){.t = a->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE, .u.i = q};
        row[1] = (qval){.t = V_INT, .u.i = c[LC_N]};
        for (int k = 0; k < (a->churn ? LC_N : LC_CHURNED); k++) row[2 + k] = (qval){.t = V_INT, .u.i = c[k]};
        if ((rc = shoal_exec_sink_push(sink, row)) || shoal_exec_sink_full(sink)) break;
    }
fail:
    shoal_free(n);
    shoal_free(on);
    return rc;
}

/* FROM stickiness(name): per period, how many members were active on exactly d of its
 * days, for d from 1 to the period's days up to now's. */
static int stickiness_rows(exec *x, const act *a, const uint64_t *cal, size_t words, const int64_t *per_of_day,
                           int64_t n_per, shoal_rowsink *sink)
{
    size_t nm = (size_t)x->p->n_members + 1, nd = (size_t)a->n_days;
    /* the days of period i are [first[i], first[i + 1]) */
    size_t *first = shoal_malloc(sizeof *first * (size_t)(n_per + 1));
    int64_t *days = shoal_malloc(sizeof *days * (size_t)(n_per + 1));
    int64_t *n = NULL;
    int rc = 0;
    if (!first || !days) {
        rc = nomem(x);
        goto fail;
    }
    for (size_t d = nd; d-- > 0;) first[per_of_day[d]] = d;
    first[n_per] = nd;
    /* counts[i][k]: members active on k days of period i, at offset first[i] + i */
    if (!(n = shoal_malloc(sizeof *n * (nd + (size_t)n_per + 1)))) {
        rc = nomem(x);
        goto fail;
    }
    memset(n, 0, sizeof *n * (nd + (size_t)n_per + 1));
    for (size_t m = 1; m < nm; m++) {
        if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        const uint64_t *b = cal + m * words;
        memset(days, 0, sizeof *days * (size_t)(n_per + 1));
        int any = 0;
        for (size_t w = 0; w < words; w++)
            for (uint64_t bits = b[w]; bits; bits &= bits - 1) {
                size_t d = w * 64 + (size_t)__builtin_ctzll(bits);
                if (d < nd) days[per_of_day[d]]++, any = 1;
            }
        if (!any) continue;
        for (int64_t i = 0; i < n_per; i++)
            if (days[i]) n[first[i] + (size_t)i + (size_t)days[i]]++;
    }
    int64_t q = shoal_per_of(a->unit, a->d0);
    for (int64_t i = 0; i < n_per && !rc; i++, q = shoal_per_next(a->unit, q)) {
        if (q < a->p_lo || q > a->p_hi) continue;
        for (size_t k = 1; k <= first[i + 1] - first[i]; k++) {
            qval row[3];
            row[0] = (qval){.t = a->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE, .u.i = q};
            row[1] = (qval){.t = V_INT, .u.i = (int64_t)k};
            row[2] = (qval){.t = V_INT, .u.i = n[first[i] + (size_t)i + k]};
            if ((rc = shoal_exec_sink_push(sink, row)) || shoal_exec_sink_full(sink)) goto fail;
        }
    }
fail:
    shoal_free(first);
    shoal_free(days);
    shoal_free(n);
    return rc;
}

/* Whether r was active on a day of [lo, hi] (absolute local days) by the view. */
static int any_day(const shoal_retmember *r, int64_t lo, int64_t hi)
{
    for (uint32_t i = 0; i < r->act_n && lo <= hi; i++) {
        int64_t b = ((int64_t)r->act_lo + i) * 64;
        if (b + 63 < lo || b > hi) continue;
        uint64_t v = r->act[i];
        if (lo > b) v &= ~(uint64_t)0 << (lo - b);
        if (hi < b + 63) v &= ~(uint64_t)0 >> (63 - (hi - b));
        if (v) return 1;
    }
    return 0;
}

/* What the counts hold too many of at now's day L and in now's period [p0, p1]: the
 * late members (an event after now in the period, none on L by now) the view has
 * active on L, with no active day in L's 7 (30) days before it, or active in the
 * period with none of its days before L. */
typedef struct late_fix {
    exec *x;
    int64_t L, p0, p1;
    int64_t dau, wau, mau, per;
    uint64_t n;
} late_fix;

static int late_member(void *ctx, const shoal_retmember *r)
{
    late_fix *f = ctx;
    if ((++f->n & (CANCEL_EVERY - 1)) == 0 && f->x->cancel && *f->x->cancel)
        return shoal_err_set(f->x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    if (any_day(r, f->L, f->L)) {
        f->dau++;
        f->wau += !any_day(r, f->L - 6, f->L - 1);
        f->mau += !any_day(r, f->L - 29, f->L - 1);
    }
    f->per += any_day(r, f->p0, f->p1) && !any_day(r, f->p0, f->L - 1);
    return 0;
}

/* The same from the view's kept days: a member of now's day L whose first active time
 * that day is after now is late, and is taken off L's DAU, off its WAU (MAU) when their
 * previous active day is more than 6 (29) days back, and off now's period when it is
 * before the period; with the day after L in now's period (its last active day, so the
 * last day with late events), each of its members not active on L (previous day before
 * L) is late too, and taken off the period likewise. */
typedef struct day_fix {
    int64_t now, L, p0;
    int next;              /* reading the day after L */
    int64_t dau, wau, mau, per;
} day_fix;

static void late_day(void *ctx, uint32_t m, int64_t first, int64_t prev)
{
    (void)m;
    day_fix *f = ctx;
    if (f->next) {
        f->per += prev < f->p0;   /* prev < L: not active on L; L's own members were counted there */
        return;
    }
    if (first <= f->now) return;
    f->dau++;
    f->wau += prev < f->L - 6;
    f->mau += prev < f->L - 29;
    f->per += prev < f->p0;
}

static void late_day_next(void *ctx, uint32_t m, int64_t first, int64_t prev)
{
    day_fix *f = ctx;
    if (prev < f->L) late_day(ctx, m, first, prev);
}

static int late_mend_days(exec *x, const act *a, int64_t *dau, int64_t *wau, int64_t *mau, int64_t *per, int64_t n_per)
{
    size_t nd = (size_t)a->n_days;
    int64_t L = a->d0 + (int64_t)nd - 1, q = shoal_per_of(a->unit, L), dm;
    int64_t p1 = shoal_per_first_day(a->unit, shoal_per_next(a->unit, q)) - 1;
    day_fix f = {x->now, L, shoal_per_first_day(a->unit, q), 0, 0, 0, 0, 0};
    int rc = shoal_view_activity_days(x->r, a->name, L, &dm, late_day, &f, x->err);
    if (!rc && a->unit != SHOAL_PER_DAY && dm == L + 1 && L + 1 <= p1) {
        f.next = 1;
        rc = shoal_view_activity_days(x->r, a->name, L + 1, &dm, late_day_next, &f, x->err);
    }
    if (rc) return rc;   /* SHOAL_ENOTFOUND (not kept after all): the caller mends from the log */
    dau[nd - 1] -= f.dau;
    wau[nd - 1] -= f.wau;
    mau[nd - 1] -= f.mau;
    if (a->unit != SHOAL_PER_DAY) per[n_per - 1] -= f.per;
    return 0;
}

/* The counts of now's day (the last of dau, wau, mau) and of now's period (the last of
 * per, unless per is the days') as of now: every day before L is whole in the counts
 * (an event after now only adds to L and later days), L and its period hold the late
 * events too. The late members are those with an active event in (now, the period's
 * end) and none in [L's start, now], from the log (the zone map reads those hours
 * only); their days from the view say what to take off. */
static int late_mend(exec *x, const plan *p, const act *a, int64_t *dau, int64_t *wau, int64_t *mau, int64_t *per, int64_t n_per)
{
    size_t nw = (size_t)p->n_members / 64 + 1, nd = (size_t)a->n_days;
    uint64_t *e = shoal_malloc(nw * sizeof *e), *l = shoal_malloc(nw * sizeof *l);
    uint32_t *ms = NULL;
    int rc = 0;
    if (!e || !l) {
        rc = nomem(x);
        goto done;
    }
    memset(e, 0, nw * sizeof *e);
    memset(l, 0, nw * sizeof *l);
    int64_t L = a->d0 + (int64_t)nd - 1;
    if ((rc = scan(x, p, a, shoal_plan_day_start(x, L), a->late_hi, 0, NULL, 0, e, l))) goto done;
    size_t n = 0;
    for (size_t w = 0; w < nw; w++) n += (size_t)__builtin_popcountll(l[w] &= ~e[w]);
    if (!n) goto done;
    if (!(ms = shoal_malloc(n * sizeof *ms))) {
        rc = nomem(x);
        goto done;
    }
    n = 0;
    for (size_t w = 0; w < nw; w++)
        for (uint64_t b = l[w]; b; b &= b - 1) ms[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    int64_t q = shoal_per_of(a->unit, L);
    late_fix f = {x, L, shoal_per_first_day(a->unit, q), shoal_per_first_day(a->unit, shoal_per_next(a->unit, q)) - 1, 0, 0, 0, 0, 0};
    if ((rc = shoal_view_retention_each_of(x->r, a->name, ms, n, late_member, &f, x->err))) goto done;
    dau[nd - 1] -= f.dau;
    wau[nd - 1] -= f.wau;
    mau[nd - 1] -= f.mau;
    if (a->unit != SHOAL_PER_DAY) per[n_per - 1] -= f.per;
done:
    shoal_free(e);
    shoal_free(l);
    shoal_free(ms);
    return rc;
}

int shoal_activity_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    const act *a = p->rs_state;
    if (a->none || a->p_lo > a->p_hi) return 0;
    size_t nm = (size_t)p->n_members + 1, nd = (size_t)a->n_days, words = (nd + 63) / 64;
    /* the periods, as indexes from the first: per day, week or month */
    int64_t n_per = 0;
    for (int64_t q = shoal_per_of(a->unit, a->d0); q <= shoal_per_of(a->unit, a->d0 + a->n_days - 1);
         q = shoal_per_next(a->unit, q))
        n_per++;
    if (shoal_exec_hold_src(x, p, (a->counts ? 0 : sizeof(uint64_t) * nm * words) + sizeof(int64_t) * (5 * nd + 64 + (size_t)n_per)))
        return x->err->code;
    uint64_t *cal = a->counts ? NULL : shoal_malloc(sizeof *cal * nm * words);
    int64_t *dau = shoal_malloc(sizeof *dau * (nd + 1)), *wau = shoal_malloc(sizeof *wau * (nd + 31)),
            *mau = shoal_malloc(sizeof *mau * (nd + 31)), *per = shoal_malloc(sizeof *per * (size_t)(n_per + 1));
    int64_t *per_of_day = shoal_malloc(sizeof *per_of_day * (nd + 1));
    uint8_t *only = NULL;
    int rc = 0;
    if ((!cal && !a->counts) || !dau || !wau || !mau || !per || !per_of_day) {
        rc = nomem(x);
        goto fail;
    }
    if (cal) memset(cal, 0, sizeof *cal * nm * words);
    memset(dau, 0, sizeof *dau * (nd + 1));
    memset(wau, 0, sizeof *wau * (nd + 31));
    memset(mau, 0, sizeof *mau * (nd + 31));
    memset(per, 0, sizeof *per * (size_t)(n_per + 1));
    {
        int64_t i = 0, q = shoal_per_of(a->unit, a->d0);
        for (size_t d = 0; d < nd; d++) {
            int64_t qd = shoal_per_of(a->unit, a->d0 + (int64_t)d);
            if (qd != q) q = qd, i++;
            per_of_day[d] = i;
        }
    }
    if (a->counts) {
        /* the view's counts: per day, the 7- and 30-day windows' from their differences,
         * per week or month */
        int64_t p0 = shoal_per_of(a->unit, a->d0);
        int what = a->unit == SHOAL_PER_WEEK ? SHOAL_AC_WEEK : SHOAL_AC_MONTH;
        if ((rc = shoal_view_activity_counts(x->r, a->name, SHOAL_AC_DAU, a->d0, (int64_t)nd, 0, dau, x->err)) ||
            (rc = shoal_view_activity_counts(x->r, a->name, SHOAL_AC_WAU, a->d0, (int64_t)nd, 1, wau, x->err)) ||
            (rc = shoal_view_activity_counts(x->r, a->name, SHOAL_AC_MAU, a->d0, (int64_t)nd, 1, mau, x->err)))
            goto fail;
        if (a->unit != SHOAL_PER_DAY &&
            (rc = shoal_view_activity_counts(x->r, a->name, what, shoal_view_retention_period(a->unit, shoal_per_first_day(a->unit, p0)),
                                             n_per, 0, per, x->err)))
            goto fail;
        if (a->late) {
            rc = a->late_days ? late_mend_days(x, a, dau, wau, mau, per, n_per) : SHOAL_ENOTFOUND;
            if (rc == SHOAL_ENOTFOUND) rc = late_mend(x, p, a, dau, wau, mau, per, n_per);
            if (rc) goto fail;
        }
        if (a->unit == SHOAL_PER_DAY)
            for (int64_t i = 0; i < n_per; i++) per[i] = dau[i];
        goto rows;
    }
    if (a->view) {
        /* the calendar from the view, now's day from the log when it holds later events */
        view_cal vc = {x, p, a, cal, words, 0};
        if ((rc = shoal_view_retention_each(x->r, a->name, view_member, &vc, x->err))) goto fail;
        if (a->edge) {
            size_t L = nd - 1;
            for (size_t m = 1; m < nm; m++) cal[m * words + L / 64] &= ~((uint64_t)1 << (L & 63));
            if ((rc = scan(x, p, a, a->edge_lo, a->edge_hi, 1, cal, words, NULL, NULL))) goto fail;
        }
    } else if ((rc = scan(x, p, a, INT64_MIN, INT64_MAX, 1, cal, words, NULL, NULL))) {
        goto fail;
    }
    if (a->members.plan) {
        /* the members WHERE keeps: the others' calendars are emptied */
        if (!(only = shoal_malloc(nm / 8 + 1))) {
            rc = nomem(x);
            goto fail;
        }
        memset(only, 0, nm / 8 + 1);
        if ((rc = shoal_rowsrc_members_run(x, &a->members, only))) goto fail;
        for (size_t m = 1; m < nm; m++)
            if (!(only[m >> 3] >> (m & 7) & 1)) memset(cal + m * words, 0, sizeof *cal * words);
    }
    if (a->lifecycle) {
        rc = a->lifecycle == SRC_LIFECYCLE ? lifecycle_rows(x, a, cal, words, per_of_day, n_per, sink)
                                           : stickiness_rows(x, a, cal, words, per_of_day, n_per, sink);
        goto fail;
    }

    /* Per member, one walk over the days: the last active day so far says whether they
     * count in the day's 7- and 30-day windows. */
    for (size_t m = 1; m < nm; m++) {
        if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        const uint64_t *b = cal + m * words;
        int any = 0;
        for (size_t w = 0; w < words && !any; w++) any = b[w] != 0;
        if (!any) continue;
        /* the member counts in the WAU of days [d, min(next active day, d + 7)) and in
         * the MAU of [d, min(next, d + 30)): added as differences, so the walk is over
         * the active days only (a year of days per member was most of the time) */
        int64_t last_per = -1, prev = -1;
        for (size_t w = 0; w <= words; w++) {
            uint64_t bits = w < words ? b[w] : 1;   /* one past the end closes the last */
            while (bits) {
                int64_t d = w < words ? (int64_t)(w * 64) + __builtin_ctzll(bits) : (int64_t)nd;
                bits &= bits - 1;
                if (d > (int64_t)nd) d = (int64_t)nd;
                if (prev >= 0) {
                    wau[prev]++, wau[d < prev + 7 ? d : prev + 7]--;
                    mau[prev]++, mau[d < prev + 30 ? d : prev + 30]--;
                }
                if (d >= (int64_t)nd) break;
                dau[d]++;
                if (per_of_day[d] != last_per) per[last_per = per_of_day[d]]++;
                prev = d;
            }
        }
    }
    for (size_t d = 1; d < nd; d++) wau[d] += wau[d - 1], mau[d] += mau[d - 1];

rows:;
    int64_t i = 0, q = shoal_per_of(a->unit, a->d0);
    for (size_t d0 = 0; d0 < nd; i++, q = shoal_per_next(a->unit, q)) {
        size_t d1 = d0;
        double sd = 0, sw = 0, sm = 0;
        while (d1 < nd && per_of_day[d1] == i) sd += (double)dau[d1], sw += (double)wau[d1], sm += (double)mau[d1], d1++;
        double n = (double)(d1 - d0);
        d0 = d1;
        if (q < a->p_lo || q > a->p_hi) continue;
        if (x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        qval row[6];
        row[0] = (qval){.t = a->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE, .u.i = q};
        row[1] = (qval){.t = V_INT, .u.i = per[i]};
        row[2] = (qval){.t = V_NUM, .u.d = sd / n};
        row[3] = (qval){.t = V_NUM, .u.d = sw / n};
        row[4] = (qval){.t = V_NUM, .u.d = sm / n};
        row[5] = sm > 0 ? (qval){.t = V_NUM, .u.d = sd / sm} : (qval){.t = V_NULL};
        if ((rc = shoal_exec_sink_push(sink, row)) || shoal_exec_sink_full(sink)) goto fail;
    }
fail:
    shoal_free(cal);
    shoal_free(dau);
    shoal_free(wau);
    shoal_free(mau);
    shoal_free(per);
    shoal_free(per_of_day);
    shoal_free(only);
    return rc;
}

/* ---------------------------------------------------------------- EXPLAIN */

int shoal_activity_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const act *a = p->rs_state;
    static const char *const units[] = {NULL, "DAY", "WEEK", "MONTH"};
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * 6);
    if (!l) return nomem(x);
    int n = 0;
    char buf[600];
    if (a->none) {
        snprintf(buf, sizeof buf, "%s %s PER %s: no event by now, no row", src_words[a->lifecycle], a->name,
                 units[a->unit]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    } else {
        if (a->counts)
            snprintf(buf, sizeof buf, "%s %s PER %s: active on %s, %" PRId64 " local days of counts (members active per day, "
                     "their 7- and 30-day windows, per week and month) read from view %s (%" PRIu64 " bytes), kept at ingest",
                     src_words[a->lifecycle], a->name, units[a->unit], a->active->desc, a->n_days, a->name, a->view_bytes);
        else if (a->view)
            snprintf(buf, sizeof buf, "%s %s PER %s: active on %s, a calendar of %" PRId64 " local days (a bit per "
                     "member and day, %.1f MiB) read from view %s (%" PRIu64 " bytes), kept at ingest",
                     src_words[a->lifecycle], a->name, units[a->unit], a->active->desc, a->n_days,
                     (double)(p->n_members + 1) * (double)((a->n_days + 63) / 64 * 8) / 1048576.0, a->name, a->view_bytes);
        else
            snprintf(buf, sizeof buf, "%s %s PER %s: active on %s, a calendar of %" PRId64 " local days (a bit per "
                     "member and day, %.1f MiB) from one pass over the log, seq 1..%" PRIu64 "; not from a view: %s",
                     src_words[a->lifecycle], a->name, units[a->unit], a->active->desc, a->n_days,
                     (double)(p->n_members + 1) * (double)((a->n_days + 63) / 64 * 8) / 1048576.0, p->max_seq, a->why);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
        if (a->late) {
            char t0[40], t1[40];
            shoal_plan_fmt_ts(x, x->now + 1, t0, sizeof t0);
            shoal_plan_fmt_ts(x, a->late_hi - 1, t1, sizeof t1);
            if (a->late_days)
                snprintf(buf, sizeof buf, "  now's day and period mended: the members active from %s to %s (the log's later "
                         "events) and not earlier that day, from the view's kept days (first active time and previous "
                         "active day of each member active on its last two active days)", t0, t1);
            else
                snprintf(buf, sizeof buf, "  now's day and period mended: the members active from %s to %s (the log's later "
                         "events) and not earlier that day, their days read from the view", t0, t1);
            if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
        }
        if (a->edge && !a->counts) {
            char t0[40], t1[40];
            shoal_plan_fmt_ts(x, a->edge_lo, t0, sizeof t0);
            shoal_plan_fmt_ts(x, a->edge_hi - 1, t1, sizeof t1);
            snprintf(buf, sizeof buf, "  now's day from the log, %s to %s (the view's holds later events; the zone map skips the rest)", t0, t1);
            if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
        }
        static const char *const then[] = {"one per period, its dau, wau and mau the means over its days up to now's",
                                            ("one per period, its members by state (new, returning, resurrecting, "
                                             "dormant) from their active periods"),
                                            "one per period and number of active days, the members active on that many"};
        snprintf(buf, sizeof buf, "  then rows: %s", then[a->lifecycle]);
        if (!(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x);
    }
    *lines = l;
    *n_lines = n;
    return shoal_rowsrc_members_explain(x, &a->members, "counting", lines, n_lines);
}

/* ---------------------------------------------------------------- a member's state */

/* lifecycle_state(activity, DAY|WEEK|MONTH [, n]): each member's lifecycle state in
 * now's period (AS OF's), over an activity: 'new' (active now, for the first time),
 * 'returning' (active now and in the period before), 'resurrecting' (active now, not in
 * the period before, but earlier), 'dormant' (active before, not now), or, with n,
 * 'churned' once the member has been idle n periods or more (the periods since their
 * last active one, now's included); NULL for a member never active by now. It is read
 * by one pass over the log at the first member that asks (x->fn_ctx), which keeps per
 * member its first and last active periods and whether it was active in the period
 * before now's: the same events in any order give the same state. */
typedef struct lcstate {
    act a;                 /* the definition compiled, the unit */
    int64_t churn;         /* idle periods that make a member churned; 0: never */
    int done;
    uint8_t *state;        /* per member: LS_* */
    int from_view;         /* the states came from the activity view */
    char why[160];         /* … or why not */
} lcstate;

enum { LS_NONE = 0, LS_NEW, LS_RETURNING, LS_RESURRECTING, LS_DORMANT, LS_CHURNED };
static const char *const ls_words[] = {NULL, "new", "returning", "resurrecting", "dormant", "churned"};

/* The word or name of node n (an identifier or a quoted string), else NULL. */
static const char *word_of(const shoal_node *n)
{
    return n && (n->kind == SHOAL_AST_NAME || n->kind == SHOAL_AST_STR) ? n->s : NULL;
}

int shoal_lifecycle_state_compile(exec *x, const shoal_node *call, const void **ctx)
{
    static const char *const usage = "expected lifecycle_state(activity, DAY|WEEK|MONTH [, idle periods to churn])";
    if (call->win || call->anc || call->filter || (call->flags & (SHOAL_AST_F_STAR | SHOAL_AST_F_DISTINCT)) ||
        !call->list || call->list->n < 2 || call->list->n > 3)
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, call->off, call->len, "%s", usage);
    const shoal_node *nm = call->list->head, *un = nm->next, *ch = un->next;
    const char *name = word_of(nm), *unit = word_of(un);
    if (!name) return shoal_err_set(x->err, SHOAL_ESEMANTIC, nm->off, nm->len, "%s", usage);
    lcstate *s = shoal_arena_alloc(x->a, sizeof *s);
    if (!s) return nomem(x);
    memset(s, 0, sizeof *s);
    if (!unit || !(s->a.unit = shoal_per_unit(unit)))
        return shoal_err_set(x->err, SHOAL_ESEMANTIC, un->off, un->len, "unknown period \"%s\" (expected DAY, WEEK or MONTH)",
                             unit ? unit : "");
    if (ch) {
        if (ch->kind != SHOAL_AST_INT || ch->i < 1 || ch->i > 100000)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, ch->off, ch->len,
                                 "expected the number of idle periods after which a member is churned, from 1");
        s->churn = ch->i;
    }
    s->a.name = name;
    s->a.name_off = nm->off;
    s->a.name_len = nm->len;
    const shoal_stmt *def;
    const char *text;
    int rc = shoal_plan_def_find(x, name, "activity", nm->off, nm->len, &def, &text);
    if (rc) return rc;
    if ((rc = shoal_rowsrc_def_compile(x, def, text, def->ret != NULL, "activity", name, nm->off, nm->len, compile_cb,
                                       &s->a)))
        return rc;
    *ctx = s;
    return 0;
}

/* Periods between two periods' keys (a week's is its Monday's day number). */
static int64_t per_diff(int unit, int64_t from, int64_t to) { return unit == SHOAL_PER_WEEK ? (to - from) / 7 : to - from; }

/* A member's record of the activity view into first, last (periods) and prev: their
 * active days up to dmax (the days after are after now). */
typedef struct lc_view {
    exec *x;
    int unit;
    uint32_t n_members;
    int64_t dmax, pp_lo, pp_hi;   /* the last day the view answers; the period before now's, in days */
    int64_t *first, *last;
    uint8_t *prev;
    uint64_t n;
} lc_view;

/* the bits of word base·64 … base·64 + 63 for days lo … hi */
static uint64_t day_mask(int64_t base, int64_t lo, int64_t hi)
{
    if (hi < base || lo > base + 63 || lo > hi) return 0;
    int a = lo > base ? (int)(lo - base) : 0, b = hi < base + 63 ? (int)(hi - base) : 63;
    uint64_t up = b == 63 ? ~(uint64_t)0 : ((uint64_t)1 << (b + 1)) - 1;
    return up & ~(((uint64_t)1 << a) - 1);
}

static int lc_member(void *ctx, const shoal_retmember *r)
{
    lc_view *c = ctx;
    exec *x = c->x;
    if ((++c->n & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
        return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    uint32_t m = r->member;
    if (m == 0 || m > c->n_members) return 0;
    int64_t fd = INT64_MAX, ld = INT64_MIN;
    for (uint32_t i = 0; i < r->act_n; i++) {
        int64_t base = ((int64_t)r->act_lo + i) * 64;
        if (base > c->dmax) break;
        uint64_t v = r->act[i] & day_mask(base, INT64_MIN / 2, c->dmax);
        if (!v) continue;
        if (fd == INT64_MAX) fd = base + __builtin_ctzll(v);
        ld = base + 63 - __builtin_clzll(v);
        if (v & day_mask(base, c->pp_lo, c->pp_hi)) c->prev[m] = 1;
    }
    if (fd == INT64_MAX) return 0;
    int64_t qf = shoal_per_of(c->unit, fd), ql = shoal_per_of(c->unit, ld);
    if (qf < c->first[m]) c->first[m] = qf;
    if (ql > c->last[m]) c->last[m] = ql;
    return 0;
}

/* Whether the activity view answers lifecycle_state as of cut: 1 (with *edge set when
 * cut's day holds later events in the log, so that day is read from the log up to cut),
 * 0 (why says why not), or an error. */
static int lc_choose(exec *x, const plan *p, lcstate *s, int64_t cut, int *edge)
{
    uint64_t bytes;
    *edge = 0;
    int rc = shoal_rowsrc_view_usable(x, p, s->a.name, SHOAL_VIEW_ACTIVITY, "days", &bytes, s->why, sizeof s->why);
    if (rc <= 0) return rc;
    int64_t dcut = shoal_plan_local_day(x, cut), hi = shoal_plan_day_start(x, dcut + 1);
    if (cut != INT64_MAX) {
        if ((rc = shoal_zone_may_hold(x->r, cut + 1, hi, x->err)) < 0) return rc;
        *edge = rc;
    }
    return 1;
}

int shoal_lifecycle_state_explain(exec *x, const plan *p, const void *ctx, char *line, size_t n)
{
    lcstate *s = (lcstate *)ctx;
    int64_t cut = p->cut_ts < p->now ? p->cut_ts : p->now;
    int edge, rc = lc_choose(x, p, s, cut, &edge);
    if (rc < 0) return rc;
    static const char *const units[] = {"", "DAY", "WEEK", "MONTH"};
    const char *u = s->a.unit >= 1 && s->a.unit <= 3 ? units[s->a.unit] : "?";
    if (rc)
        snprintf(line, n, "lifecycle_state(%s, %s): activity view %s, each member's active days%s", s->a.name, u, s->a.name,
                 edge ? "; now's day from the log up to now (the log holds later events in it)" : "");
    else
        snprintf(line, n, "lifecycle_state(%s, %s): one pass over the log: %s", s->a.name, u, s->why);
    return 0;
}

/* The states of every member as of the running statement's now: from the activity view
 * when it answers (lc_choose; now's day from the log when the log holds later events
 * in it), else one pass over the log. */
static int lifecycle_states(exec *x, lcstate *s)
{
    const plan *p = x->p;
    const magg *g = s->a.active;
    int unit = s->a.unit;
    size_t nm = (size_t)p->n_members + 1;
    int64_t cut = p->cut_ts < p->now ? p->cut_ts : p->now;
    int64_t pnow = shoal_per_of(unit, shoal_plan_local_day(x, p->now));
    int64_t pprev = shoal_per_of(unit, shoal_per_first_day(unit, pnow) - 1);
    if (shoal_exec_hold_src(x, p, (2 * sizeof(int64_t) + 2) * nm)) return x->err->code;
    int64_t *first = shoal_malloc(sizeof *first * nm), *last = shoal_malloc(sizeof *last * nm);
    uint8_t *prev = shoal_malloc(nm);
    shoal_arena *tmp = shoal_arena_new(), *saved = x->scratch;
    scan_range sr = {0};   /* (closed at fail: whether opened or not) */
    int rc = 0;
    if (!first || !last || !prev || !tmp || !(s->state = shoal_arena_alloc(x->a, nm))) {
        rc = nomem(x);
        goto fail;
    }
    for (size_t m = 0; m < nm; m++) first[m] = INT64_MAX, last[m] = INT64_MIN;
    memset(prev, 0, nm);
    memset(s->state, LS_NONE, nm);
    /* the filter's temporaries in an arena of its own: the row that asked is being
     * evaluated in x->scratch */
    x->scratch = tmp;
    int edge = 0;
    int64_t zr[2] = {INT64_MIN, INT64_MAX};
    if ((rc = lc_choose(x, p, s, cut, &edge)) < 0) goto fail;
    s->from_view = rc;
    if (s->from_view) {
        int64_t dcut = shoal_plan_local_day(x, cut);
        lc_view c = {x, unit, p->n_members, edge ? dcut - 1 : dcut, shoal_per_first_day(unit, pprev),
                     shoal_per_first_day(unit, pnow) - 1, first, last, prev, 0};
        if ((rc = shoal_view_retention_each(x->r, s->a.name, lc_member, &c, x->err))) goto fail;
        if (!edge) goto states;
        zr[0] = shoal_plan_day_start(x, dcut);   /* now's day, up to now, from the log */
        zr[1] = cut + 1;
    }
    if ((rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, zr[0] != INT64_MIN, &x->n_skipped, x->cancel, x->err)))
        goto fail;
    shoal_rec rec;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        if (rec.ts < zr[0] || rec.ts >= zr[1]) continue;
        uint32_t m = rec.member, t = rec.type;
        if (rec.ts > cut || m == 0 || m > p->n_members || t == 0 || t > p->n_types) continue;
        if (g->types && !(g->types[t >> 3] >> (t & 7) & 1)) continue;
        if (!shoal_exec_holds(x, g->filter, &rec)) continue;
        int64_t q = shoal_per_of(unit, shoal_plan_local_day(x, rec.ts));
        if (q < first[m]) first[m] = q;
        if (q > last[m]) last[m] = q;
        if (q == pprev) prev[m] = 1;
    }
    x->n_scanned += sr.n;
    if (rc < 0) goto fail;
states:
    rc = 0;
    for (size_t m = 1; m < nm; m++) {
        if (first[m] == INT64_MAX) continue;
        if (last[m] == pnow)
            s->state[m] = first[m] == pnow ? LS_NEW : prev[m] ? LS_RETURNING : LS_RESURRECTING;
        else
            s->state[m] = s->churn && per_diff(unit, last[m], pnow) >= s->churn ? LS_CHURNED : LS_DORMANT;
    }
fail:
    x->scratch = saved;
    scan_range_close(&sr);
    shoal_arena_free(tmp);
    shoal_free(first);
    shoal_free(last);
    shoal_free(prev);
    return rc;
}

void shoal_lifecycle_state_eval(exec *x, qval *args, int n, qval *out)
{
    lcstate *s = (lcstate *)x->fn_ctx;
    out->t = V_NULL;
    if (!s->done) {
        s->done = 1;
        if (lifecycle_states(x, s)) {
            s->state = NULL;
            return;
        }
    }
    if (n < 1 || args[0].t != V_ID || !s->state || (uint64_t)args[0].u.i > x->p->n_members) return;
    const char *w = ls_words[s->state[args[0].u.i]];
    if (!w) return;
    out->t = V_STR;
    out->u.s = w;
    out->n = (uint32_t)strlen(w);
}
