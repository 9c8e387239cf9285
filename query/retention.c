/* retention.c — CREATE RETENTION name COHORT BY first(TYPE [WHERE …]) PER DAY|WEEK|MONTH
 * ACTIVE ON TYPE, … [UNBOUNDED] [AT LEAST n] [WHERE …], and FROM retention(name), a row
 * source (rowsrc.h) with one row per cohort and period since: (cohort, cohort_size, k,
 * active, rate).
 *
 * A definition is kept as a retention view (engine/view_retention.c: per member the
 * earliest cohort event, or each(…)'s start periods, and the active periods, kept at
 * ingest; shoal_retention_viewdef), or, when a filter reads what no view keeps, as its
 * statement text (shoal_view_define, kind "retention"). Either way its text is
 * compiled at use: its two event aggregates, the cohort's first(…) and the activity's
 * count(…), are planned as the select items of a SELECT over members (plan.c compiles
 * their types and filters, with its errors and positions), and this file reads what
 * the plan made of them. The rows come from the view when it answers (choose, rows_view:
 * now's period from the log when it holds later events), else from the log.
 *
 * From the log, the rows come from one pass: each member's first cohort event (the
 * earliest, whatever the order of arrival: a join that comes late in the log moves
 * the member to the right cohort) and, per member, which local periods they were
 * active in, from the earliest event's period to now's — a bit per period, or a byte
 * that counts up to n with AT LEAST n. Once the log is read, each member with a
 * cohort event adds to their cohort's size and, for every k, to the active members of
 * period k: bounded, active in the cohort's period + k; UNBOUNDED, in that period or a
 * later one. A member with activity but no cohort event is in no cohort.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "rowsrc.h"
#include "scan.h"

/* The per-member activity cells, members × periods, and the cohort × k matrix are
 * refused past this (PER DAY over decades of a big community): a clear error beats an
 * allocation that swaps. */
#define MAX_CELLS_BYTES ((size_t)1 << 30)
/* AT LEAST n counts in a byte per member and period. */
#define MAX_LEAST 255

typedef struct ret {
    const char *name;
    int name_off, name_len;
    int unit, unbounded;
    int recurring;                 /* COHORT BY each(…): a cohort for every period with a start event */
    unsigned least;
    const magg *cohort, *active;   /* the definition's aggregates, compiled (types, filter) */
    int64_t p0, n_periods;         /* periods p0, p0 + 1 step, …: the earliest event's to now's */
    int64_t c_lo, c_hi;            /* the cohorts shown, as period indexes [c_lo, c_hi] (DURING) */
    int none;                      /* no event: no period */
    /* From the retention view (view_retention.c) instead of the log: why not when not;
     * with edge, the last period (now's) is read from the log over [edge_lo, edge_hi),
     * since the view's holds events after now */
    int view, edge;
    /* From the view's per-cohort counts (view_retention.c) instead of its members: no
     * condition on members, and now after the latest event or the counts bounded by
     * first(…) (now's period then from the edge, each member's cohort from the view) */
    int counts;
    char why[200];
    int64_t a0;                    /* the absolute period (shoal_view_retention_period) of index 0 */
    int64_t edge_lo, edge_hi;
    uint64_t view_bytes;
    /* WHERE's conditions on members (member IN layer, count(post) > 5 …): the cohorts
     * keep only the members for whom they hold, found by `SELECT member FROM members
     * WHERE <them>` (its plan), as of the statement's AS OF */
    shoal_rowsrc_members members;
} ret;

static const char *const cols[] = {"cohort", "cohort_size", "k", "active", "rate"};

static int nomem(exec *x) { return shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int sem(exec *x, int off, int len, const char *fmt, const char *a)
{
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, off, len, fmt, a);
}

/* ---------------------------------------------------------------- periods */

static int64_t period_at(const ret *r, int64_t i) { return r->p0 + (r->unit == SHOAL_PER_WEEK ? 7 * i : i); }

static int64_t period_index(const ret *r, int64_t p) { return r->unit == SHOAL_PER_WEEK ? (p - r->p0) / 7 : p - r->p0; }

/* ---------------------------------------------------------------- the definition */

static int word_is(exec *x, const shoal_word *w, const char *want, const char *what)
{
    if (w->s && !strcasecmp(w->s, want)) return 0;
    return shoal_err_set(x->err, SHOAL_ESYNTAX, w->off, w->len, "expected %s but found \"%s\"", what, w->s ? w->s : "");
}

/* The words and options of st (a CREATE RETENTION), into r. */
static int check_words(exec *x, const shoal_stmt *st, ret *r)
{
    const shoal_retention *d = st->ret;
    int rc;
    if ((rc = word_is(x, &d->cohort_w, "cohort", "COHORT"))) return rc;
    if ((rc = word_is(x, &d->active_w, "active", "ACTIVE"))) return rc;
    if ((rc = word_is(x, &d->on_w, "on", "ON"))) return rc;
    if (!(r->unit = shoal_per_unit(st->per)))
        return sem(x, st->per_off, st->per_len, "unknown period \"%s\" (expected DAY, WEEK or MONTH)", st->per);
    const shoal_node *c = d->cohort;
    r->recurring = !strcasecmp(c->s, "each");
    if (strcasecmp(c->s, "first") && !r->recurring)
        return sem(x, c->off, c->len, "%s",
                   "a cohort is made by first(TYPE [WHERE …]) or each(TYPE [WHERE …]), e.g. COHORT BY first(join)");
    if (c->win || c->anc || (c->flags & SHOAL_AST_F_DISTINCT) || (!c->list && !(c->flags & SHOAL_AST_F_STAR)))
        return sem(x, c->off, c->len, "%s", "a cohort's first(…) takes event types, an optional WHERE and no window");
    if (d->mode.s) {
        if (!strcasecmp(d->mode.s, "unbounded")) r->unbounded = 1;
        else if (strcasecmp(d->mode.s, "bounded"))
            return shoal_err_set(x->err, SHOAL_ESYNTAX, d->mode.off, d->mode.len,
                                 "expected BOUNDED, UNBOUNDED or AT LEAST n but found \"%s\"", d->mode.s);
    }
    r->least = 1;
    if (d->at_w.s) {
        if ((rc = word_is(x, &d->at_w, "at", "AT LEAST"))) return rc;
        if ((rc = word_is(x, &d->least_w, "least", "LEAST"))) return rc;
        if (d->least < 1 || d->least > MAX_LEAST)
            return shoal_err_set(x->err, SHOAL_ESEMANTIC, d->least_off, d->least_len,
                                 "AT LEAST takes 1 to %d actions", MAX_LEAST);
        r->least = (unsigned)d->least;
    }
    return 0;
}

/* The definition's aggregates, planned as SELECT first(…), count(types WHERE …) FROM
 * members (in x->a, positions in st's text, x->src): into r->cohort and r->active.
 * The executor's state the caller relies on is put back. */
static int compile_def(exec *x, const shoal_stmt *st, ret *r)
{
    const shoal_retention *d = st->ret;
    shoal_node *count = shoal_rowsrc_count_node(x, d->types, d->where);
    shoal_item *items = shoal_arena_alloc(x->a, 2 * sizeof *items);
    shoal_stmt *q = shoal_arena_alloc(x->a, sizeof *q);
    if (!count || !items || !q) return nomem(x);
    memset(items, 0, 2 * sizeof *items);
    memset(q, 0, sizeof *q);
    items[0].expr = d->cohort;
    if (!strcasecmp(d->cohort->s, "each")) {
        /* each(join WHERE …): its types and filter, compiled as a count's */
        shoal_node *e = shoal_arena_alloc(x->a, sizeof *e);
        if (!e) return nomem(x);
        *e = *d->cohort;
        e->s = "count";
        e->n = 5;
        items[0].expr = e;
    }
    items[0].next = &items[1];
    items[1].expr = count;
    q->kind = SHOAL_STMT_SELECT;
    q->cols = items;
    q->from = "members";
    q->from_off = st->off;
    q->from_len = 0;
    plan *ip;
    x->lax_names++;   /* its definition may name types no event has yet (plan.h) */
    int rc = shoal_rowsrc_plan_inner(x, q, &ip);
    x->lax_names--;
    if (rc) return rc;
    /* The two columns' aggregates (one when each(…) names the same events as ACTIVE
     * ON), found through the columns: the plan may hold more, as the count(*) up to
     * now that tells who the members were when now hides later events (p->exist). */
    if (ip->n_cols != 2 || ip->cols[0]->op != X_MAGG || ip->cols[1]->op != X_MAGG)
        return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: a retention plans 2 aggregates");
    r->cohort = &ip->maggs[ip->cols[0]->slot];
    r->active = &ip->maggs[ip->cols[1]->slot];
    /* for EXPLAIN: "post, comment WHERE …" without the options between them */
    if (r->active != r->cohort) {
        const shoal_node *h = d->types->head, *t = d->types->tail;
        magg *g = &ip->maggs[ip->cols[1]->slot];
        int n = snprintf(g->desc, sizeof g->desc, "%.*s", t->off + t->len - h->off, x->src + h->off);
        if (d->where && n > 0 && (size_t)n < sizeof g->desc)
            snprintf(g->desc + n, sizeof g->desc - (size_t)n, " WHERE %.*s", d->where->len, x->src + d->where->off);
    }
    return 0;
}

/* The definition checked and compiled over its own text (shoal_rowsrc_def_compile). */
static int compile_cb(exec *x, const shoal_stmt *def, void *r)
{
    int rc = check_words(x, def, r);
    return rc ? rc : compile_def(x, def, r);
}

int shoal_retention_create(exec *x, const shoal_stmt *st)
{
    ret r;
    memset(&r, 0, sizeof r);
    int rc = check_words(x, st, &r);
    if (rc) return rc;
    if ((rc = shoal_reader_open(x->db, &x->r, x->err))) return rc;
    rc = compile_def(x, st, &r);
    shoal_reader_close(x->r);
    x->r = NULL;
    return rc;
}

int shoal_retention_viewdef(exec *x, const shoal_stmt *st, shoal_viewdef *def, char *why, size_t n_why)
{
    ret r;
    memset(&r, 0, sizeof r);
    memset(def, 0, sizeof *def);
    int rc = check_words(x, st, &r);
    if (rc) return rc;
    const shoal_retention *d = st->ret;
    shoal_node *count = shoal_rowsrc_count_node(x, d->types, d->where);
    shoal_vseries *se = shoal_arena_alloc(x->a, 2 * sizeof *se);
    if (!count || !se) return nomem(x);
    char w[200];
    if ((rc = shoal_views_series(x, d->cohort, &se[0], w, sizeof w)) ||
        (rc = shoal_views_series(x, count, &se[1], w, sizeof w))) {
        if (rc == 1) snprintf(why, n_why, "%s", w);
        return rc;
    }
    def->kind = SHOAL_VIEW_RETENTION;
    def->name = (shoal_str){st->vname, (uint32_t)strlen(st->vname)};
    def->text = (shoal_str){x->src + st->off, (uint32_t)st->len};
    const char *tz = shoal_tz_name(x->tz);
    def->tz = (shoal_str){tz, (uint32_t)strlen(tz)};
    def->n_series = 2;
    def->series = se;
    def->n_params = 3;
    def->params[0] = r.unit;
    def->params[1] = r.least;
    def->params[2] = r.recurring;
    return 0;
}

/* ---------------------------------------------------------------- plan */

/* The absolute period of period value p (shoal_per_of's): weeks are numbered from the
 * Monday of 1969-12-29, as the view numbers them. */
static int64_t abs_period(int unit, int64_t p) { return shoal_view_retention_period(unit, shoal_per_first_day(unit, p)); }

/* Whether the retention view answers the statement, and how (r->view, r->edge; the
 * reason in r->why when it does not). The view keeps every event; the statement sees
 * those up to now (p->cut_ts, when some event is later): every period before now's is
 * whole in the view, and so is the cohort (the earliest start event, compared with
 * now), but now's period holds the events after now too, unless the log has none
 * between now and the period's end (the zone map tells); else that one period is read
 * from the log, its hours up to now (the zone map skips the rest). */
static int choose(exec *x, const plan *p, ret *r)
{
    int rc = shoal_rowsrc_view_usable(x, p, r->name, SHOAL_VIEW_RETENTION, "periods", &r->view_bytes, r->why, sizeof r->why);
    if (rc <= 0) return rc;
    r->view = 1;
    if (r->none || p->cut_ts == INT64_MAX) return 0;
    int64_t last = period_at(r, r->n_periods - 1), t = p->cut_ts;
    int64_t lo = shoal_plan_day_start(x, shoal_per_first_day(r->unit, last));
    int64_t hi = shoal_plan_day_start(x, shoal_per_first_day(r->unit, shoal_per_next(r->unit, last)));
    if ((rc = shoal_zone_may_hold(x->r, t + 1, hi, x->err)) < 0) return rc;
    if (rc) {
        r->edge = 1;
        r->edge_lo = lo;
        r->edge_hi = t + 1;
    }
    return 0;
}

int shoal_retention_plan(exec *x, const shoal_stmt *st, plan *p)
{
    if (!st->from_arg)
        return sem(x, st->from_off, st->from_len, "%s", "expected FROM retention(name), name being a retention");
    if (st->per)
        return sem(x, st->per_off, st->per_len, "%s", "retention(name) has its period in its definition: no PER here");
    ret *r = shoal_arena_alloc(x->a, sizeof *r);
    if (!r) return nomem(x);
    memset(r, 0, sizeof *r);
    r->name = st->from_arg;
    r->name_off = st->from_arg_off;
    r->name_len = st->from_arg_len;
    const shoal_stmt *def;
    const char *text;
    int rc = shoal_plan_def_find(x, r->name, "retention", r->name_off, r->name_len, &def, &text);
    if (rc) return rc;
    if ((rc = shoal_rowsrc_def_compile(x, def, text, def->ret != NULL, "retention", r->name, r->name_off, r->name_len,
                                       compile_cb, r)))
        return rc;

    /* Now hides the events after it, as everywhere (LANGUAGE.md, AS OF). */
    if (p->cut_ts > x->now) p->cut_ts = x->now;
    /* The periods: from the earliest event's to now's. */
    int64_t first;
    if ((rc = shoal_rowsrc_earliest(x, p, &first))) return rc;
    if (first == INT64_MAX || first > x->now) {
        r->none = 1;
    } else {
        r->p0 = shoal_per_of(r->unit, shoal_plan_local_day(x, first));
        r->n_periods = period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, x->now))) + 1;
        r->c_lo = 0;
        r->c_hi = r->n_periods - 1;
        /* DURING: the cohorts whose period meets the window */
        if (st->during) {
            int64_t lo, hi;
            if ((rc = shoal_plan_window(x, st->during, &lo, &hi))) return rc;
            if (lo > hi - 1) {
                r->c_lo = 1, r->c_hi = 0;
            } else {
                int64_t a = lo == INT64_MIN ? INT64_MIN : period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, lo)));
                int64_t b = hi == INT64_MAX ? INT64_MAX : period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, hi - 1)));
                if (a > r->c_lo) r->c_lo = a;
                if (b < r->c_hi) r->c_hi = b;
            }
        }
        size_t cells = (size_t)p->n_members + 1, per = r->least > 1 ? (size_t)r->n_periods : ((size_t)r->n_periods + 63) / 64 * 8;
        if (r->recurring) per += ((size_t)r->n_periods + 63) / 64 * 8;
        if ((double)cells * (double)per > (double)MAX_CELLS_BYTES ||
            (double)r->n_periods * (double)r->n_periods * 4 > (double)MAX_CELLS_BYTES)
            return shoal_err_set(x->err, SHOAL_ERANGE, r->name_off, r->name_len,
                                 "retention \"%s\" over %" PRIu32 " members and %" PRId64 " periods needs more than %zu MiB: "
                                 "define it PER WEEK or PER MONTH, or ask AS OF an earlier date",
                                 r->name, p->n_members, r->n_periods, MAX_CELLS_BYTES >> 20);
    }

    if (!r->none) r->a0 = abs_period(r->unit, r->p0);
    if ((rc = choose(x, p, r))) return rc;

    /* WHERE's conditions on members restrict the cohorts; the rest filter the rows */
    if ((rc = shoal_rowsrc_members_plan(x, st, p, cols, 5, &r->members))) return rc;
    if (r->view && !r->members.plan) {
        /* Bounded first(…) cohorts: the counts, now's period from the log (the edge).
         * Unbounded or recurring ones need each member's periods before now's when the
         * view holds later events: the counts only when the log has none after now. */
        int whole = !r->unbounded && !r->recurring;
        if (!whole) {
            if (x->now == INT64_MAX) whole = 1;
            else if ((rc = shoal_zone_may_hold(x->r, x->now + 1, INT64_MAX, x->err)) < 0) return rc;
            else whole = !rc;
        }
        if (whole) {
            /* a table made before the counts has none: the members answer */
            rc = shoal_view_retention_cohorts(x->r, r->name, 1, 0, NULL, NULL, x->err);
            if (rc && rc != SHOAL_ENOTFOUND) return rc;
            r->counts = rc == 0;
        }
    }

    static const int rt_day[] = {V_DATE, V_INT, V_INT, V_INT, V_NUM};
    static const int rt_month[] = {V_MONTH, V_INT, V_INT, V_INT, V_NUM};
    static const uint8_t ns[] = {0, 0, 0, 0, 0};
    p->n_src = 5;
    p->src_names = cols;
    p->src_rt = r->unit == SHOAL_PER_MONTH ? rt_month : rt_day;
    p->src_ns = ns;
    p->rs_state = r;
    return 0;
}

/* ---------------------------------------------------------------- rows */

static int has_type(const magg *g, uint32_t t) { return !g->types || (g->types[t >> 3] >> (t & 7) & 1); }

/* One pass over the log: each member's first cohort event into first[] (have[] says
 * there is one), with each(…) every period they had one in starts (a bit per period),
 * and their activity per period into cells (a bit per period, or with AT LEAST n a
 * byte per period that stops at n). */
static int scan(exec *x, const plan *p, const ret *r, int64_t *first, uint8_t *have, uint64_t *starts, uint64_t *bits,
                uint8_t *bytes, size_t words)
{
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, NULL, 0, NULL, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    uint32_t n_members = p->n_members, n_types = p->n_types;
    rowctx *saved_row = x->row;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        uint32_t m = rec.member, t = rec.type;
        if (rec.ts > p->cut_ts || m == 0 || m > n_members || t == 0 || t > n_types) continue;
        if (starts) {
            if (has_type(r->cohort, t) && shoal_exec_holds(x, r->cohort->filter, &rec)) {
                int64_t q = period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, rec.ts)));
                if (q >= 0 && q < r->n_periods) starts[(size_t)m * words + (size_t)q / 64] |= (uint64_t)1 << (q & 63);
                have[m] = 1;
            }
        } else if (has_type(r->cohort, t) && (!have[m] || rec.ts < first[m]) && shoal_exec_holds(x, r->cohort->filter, &rec)) {
            first[m] = rec.ts;
            have[m] = 1;
        }
        if (has_type(r->active, t) && shoal_exec_holds(x, r->active->filter, &rec)) {
            int64_t q = period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, rec.ts)));
            if (q < 0 || q >= r->n_periods) continue;   /* after now */
            if (bytes) {
                uint8_t *c = &bytes[(size_t)m * (size_t)r->n_periods + (size_t)q];
                if (*c < r->least) (*c)++;
            } else {
                bits[(size_t)m * words + (size_t)q / 64] |= (uint64_t)1 << (q & 63);
            }
        }
    }
    x->row = saved_row;
    x->n_scanned += sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

/* A member of cohort c (a period index) into the cohort's active counts a[k], from
 * their activity: bits b (a bit per period) or bytes y (a count per period). */
static void tally(const ret *r, int64_t c, int64_t np, const uint64_t *b, const uint8_t *y, int64_t *a)
{
#define ACTIVE(q) (b ? (b[(q) / 64] >> ((q) & 63) & 1) : y[q] >= r->least)
    if (b && !r->unbounded) {
        /* the set bits only: a member is active in few of the periods */
        for (int64_t w = c / 64; w * 64 < np; w++) {
            uint64_t v = b[w];
            if (w == c / 64) v &= ~(uint64_t)0 << (c & 63);
            while (v) {
                a[w * 64 + __builtin_ctzll(v) - c]++;
                v &= v - 1;
            }
        }
        return;
    }
    if (r->unbounded) {
        /* active in period c + k or a later one: every k up to the last active period */
        int64_t last = -1;
        for (int64_t q = np - 1; q >= c; q--)
            if (ACTIVE(q)) {
                last = q;
                break;
            }
        for (int64_t q = c; q <= last; q++) a[q - c]++;
    } else {
        for (int64_t q = c; q < np; q++) a[q - c] += ACTIVE(q);
    }
#undef ACTIVE
}

/* ---------------------------------------------------------------- rows from the view */

static int push_rows(exec *x, const ret *r, const int64_t *size, const int64_t *act, const size_t *tri, shoal_rowsink *sink);

/* The view's records, tallied: each member's sets, moved into the statement's period
 * indexes (0 … np − 1), with now's period from the edge's arrays when there is one. */
typedef struct vtally {
    exec *x;
    const plan *p;
    const ret *r;
    const uint8_t *only;            /* the members WHERE keeps, or NULL */
    const uint8_t *e_act, *e_st;    /* the edge: now's period per member (a count, a bit) */
    uint64_t *b, *sb;               /* scratch: active and start bits, by index */
    uint8_t *y;                     /* scratch: AT LEAST counts, by index */
    int64_t *size, *act;
    const size_t *tri;
    int64_t *bounds;                /* where each period starts (n_periods + 1 instants) */
    uint64_t n;
} vtally;

/* Set (lo, n) of the view into bits (one a period index) or bytes y. */
static void to_index(const vtally *t, const uint64_t *w, int32_t lo, uint32_t n, uint64_t *bits, uint8_t *y)
{
    int64_t np = t->r->n_periods, a0 = t->r->a0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = w[i];
        if (y) {
            for (int j = 0; j < 8; j++, v >>= 8) {
                int64_t q = ((int64_t)lo + i) * 8 + j - a0;
                if ((v & 0xFF) && q >= 0 && q < np) y[q] = (uint8_t)(v & 0xFF);
            }
            continue;
        }
        /* the word's 64 periods start at index q: a shifted copy, cut to 0 … np − 1 */
        int64_t q = ((int64_t)lo + i) * 64 - a0;
        if (!v || q + 64 <= 0 || q >= np) continue;
        if (q < 0) v >>= -q, q = 0;
        int s = (int)(q & 63);
        int64_t k = q / 64;
        bits[k] |= v << s;
        if (s && (k + 1) * 64 < np) bits[k + 1] |= v >> (64 - s);
    }
    if (!y && np % 64) bits[(np - 1) / 64] &= ~(uint64_t)0 >> (64 - np % 64);
}

static int view_member(void *ctx, const shoal_retmember *m)
{
    vtally *t = ctx;
    exec *x = t->x;
    const ret *r = t->r;
    uint32_t id = m->member;
    if ((++t->n & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel)
        return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    if (id == 0 || id > t->p->n_members) return 0;
    if (t->only && !(t->only[id >> 3] >> (id & 7) & 1)) return 0;
    int64_t c = -1;
    if (!r->recurring) {
        if (m->first == INT64_MAX || m->first > t->p->cut_ts) return 0;   /* no start event by now */
        /* the period whose start is the last at or before it: a guess by the mean
         * length of a period, then the starts around it (a search's dependent loads
         * were a third of the time) */
        static const double inv_mean[] = {0, 1 / 86400000.0, 1 / (7 * 86400000.0), 1 / 2629746000.0};
        int64_t np = r->n_periods;
        c = (int64_t)((double)(m->first - t->bounds[0]) * inv_mean[r->unit]);   /* a multiply, not a divide */
        if (c < 0) c = 0;
        if (c > np - 1) c = np - 1;
        while (c > 0 && t->bounds[c] > m->first) c--;
        while (c + 1 < np && t->bounds[c + 1] <= m->first) c++;
        if (c < r->c_lo || c > r->c_hi) return 0;
    } else if (!m->st_n && !(t->e_st && t->e_st[id])) {
        return 0;
    }
    int64_t np = r->n_periods, L = np - 1;
    size_t words = ((size_t)np + 63) / 64;
    if (t->y) memset(t->y, 0, (size_t)np);
    else memset(t->b, 0, words * sizeof *t->b);
    to_index(t, m->act, m->act_lo, m->act_n, t->b, t->y);
    if (t->e_act) {
        /* now's period: the log's, up to now */
        if (t->y) t->y[L] = t->e_act[id];
        else t->b[L / 64] = (t->b[L / 64] & ~((uint64_t)1 << (L & 63))) | (uint64_t)(t->e_act[id] != 0) << (L & 63);
    }
    if (!r->recurring) {
        t->size[c]++;
        tally(r, c, np, t->y ? NULL : t->b, t->y, t->act + t->tri[c]);
        return 0;
    }
    memset(t->sb, 0, words * sizeof *t->sb);
    to_index(t, m->st, m->st_lo, m->st_n, t->sb, NULL);
    if (t->e_st) t->sb[L / 64] = (t->sb[L / 64] & ~((uint64_t)1 << (L & 63))) | (uint64_t)(t->e_st[id] != 0) << (L & 63);
    for (c = r->c_lo; c <= r->c_hi; c++)
        if (t->sb[c / 64] >> (c & 63) & 1) {
            t->size[c]++;
            tally(r, c, np, t->y ? NULL : t->b, t->y, t->act + t->tri[c]);
        }
    return 0;
}

/* The edge: now's period from the log, its events in [edge_lo, edge_hi) (the zone map
 * skips the blocks outside), into e_act (activity, a count that stops at n) and e_st
 * (each(…): a start event). */
static int edge_scan(exec *x, const plan *p, const ret *r, uint8_t *e_act, uint8_t *e_st, uint64_t *seen)
{
    int64_t zr[2] = {r->edge_lo, r->edge_hi};
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, 1, &x->n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    rowctx *saved_row = x->row;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        uint32_t m = rec.member, t = rec.type;
        if (rec.ts < r->edge_lo || rec.ts >= r->edge_hi || m == 0 || m > p->n_members || t == 0 || t > p->n_types)
            continue;
        if (e_st && !e_st[m] && has_type(r->cohort, t) && shoal_exec_holds(x, r->cohort->filter, &rec)) {
            e_st[m] = 1;
            if (seen) seen[m >> 6] |= (uint64_t)1 << (m & 63);
        }
        if (e_act[m] < r->least && has_type(r->active, t) && shoal_exec_holds(x, r->active->filter, &rec)) {
            e_act[m]++;
            if (seen) seen[m >> 6] |= (uint64_t)1 << (m & 63);
        }
    }
    x->row = saved_row;
    x->n_scanned += sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

static int rows_view(exec *x, plan *p, const ret *r, shoal_rowsink *sink)
{
    size_t nm = (size_t)p->n_members + 1, np = (size_t)r->n_periods, words = (np + 63) / 64;
    vtally t;
    memset(&t, 0, sizeof t);
    t.x = x;
    t.p = p;
    t.r = r;
    size_t *tri = shoal_malloc(sizeof *tri * (np + 1));
    t.size = shoal_malloc(sizeof *t.size * np);
    t.b = shoal_malloc(sizeof *t.b * words);
    t.sb = shoal_malloc(sizeof *t.sb * words);
    t.y = r->least > 1 ? shoal_malloc(np) : NULL;
    t.bounds = shoal_malloc(sizeof *t.bounds * (np + 1));
    uint8_t *only = NULL, *e_act = NULL, *e_st = NULL;
    int rc = 0;
    if (!tri || !t.size || !t.b || !t.sb || (r->least > 1 && !t.y) || !t.bounds) {
        rc = nomem(x);
        goto fail;
    }
    for (size_t c = 0; c <= np; c++)
        t.bounds[c] = shoal_plan_day_start(x, shoal_per_first_day(r->unit, period_at(r, (int64_t)c)));
    memset(t.size, 0, sizeof *t.size * np);
    tri[0] = 0;
    for (size_t c = 0; c < np; c++) tri[c + 1] = tri[c] + (np - c);
    t.tri = tri;
    if ((rc = shoal_exec_hold_src(x, p, sizeof *t.act * (tri[np] + 1)))) goto fail;
    if (!(t.act = shoal_malloc(sizeof *t.act * (tri[np] + 1)))) {
        rc = nomem(x);
        goto fail;
    }
    memset(t.act, 0, sizeof *t.act * (tri[np] + 1));
    if (r->edge) {
        if ((rc = shoal_exec_hold_src(x, p, 2 * nm))) goto fail;
        e_act = shoal_bigcache_zalloc(x->cache, nm);   /* (counts_edge's) */
        e_st = r->recurring ? shoal_bigcache_zalloc(x->cache, nm) : NULL;
        if (!e_act || (r->recurring && !e_st)) {
            rc = nomem(x);
            goto fail;
        }
        if ((rc = edge_scan(x, p, r, e_act, e_st, NULL))) goto fail;
        t.e_act = e_act;
        t.e_st = e_st;
    }
    if (r->members.plan) {
        if (!(only = shoal_malloc(nm / 8 + 1))) {
            rc = nomem(x);
            goto fail;
        }
        memset(only, 0, nm / 8 + 1);
        if ((rc = shoal_rowsrc_members_run(x, &r->members, only))) goto fail;
        t.only = only;
    }
    if ((rc = shoal_view_retention_each(x->r, r->name, view_member, &t, x->err))) goto fail;
    rc = push_rows(x, r, t.size, t.act, tri, sink);
fail:
    shoal_free(tri);
    shoal_free(t.size);
    shoal_free(t.b);
    shoal_free(t.sb);
    shoal_free(t.y);
    shoal_free(t.act);
    shoal_free(only);
    shoal_bigcache_put(x->cache, e_act);
    shoal_bigcache_put(x->cache, e_st);
    shoal_free(t.bounds);
    return rc;
}

/* ---------------------------------------------------------------- rows from the counts */

typedef struct ctally {
    const ret *r;
    int64_t *size, *act;
    const size_t *tri;
} ctally;

static int count_cohort(void *ctx, const shoal_retcohort *c)
{
    ctally *t = ctx;
    const ret *r = t->r;
    int64_t i = c->period - r->a0, np = r->n_periods;
    if (i < r->c_lo || i > r->c_hi) return 0;
    t->size[i] = c->size;
    uint32_t n = r->unbounded ? c->n_unb : c->n_bnd;
    const int64_t *a = r->unbounded ? c->unb : c->bnd;
    for (int64_t k = 0; k < n && k < np - i; k++) t->act[t->tri[i] + (size_t)k] = a[k];
    return 0;
}

/* A member of the edge from the view's hours (AT LEAST 1: active is a count of 1). */
typedef struct ehours {
    uint8_t *e_act, *e_st;
    uint64_t *seen;
    uint32_t n_members;
} ehours;

static void edge_hour(void *ctx, uint32_t m, int act, int st)
{
    ehours *h = ctx;
    if (m == 0 || m > h->n_members) return;
    if (act) h->e_act[m] = 1;
    if (st) h->e_st[m] = 1;
    h->seen[m >> 6] |= (uint64_t)1 << (m & 63);
}

/* Now's period (L) from the edge when the view's holds later events (bounded, first(…)
 * only): its cohort's size is the members with a start event by now whose earliest is
 * in L, and every cohort's count at L the members of it active by now. */
static int counts_edge(exec *x, const plan *p, const ret *r, int64_t *size, int64_t *act, const size_t *tri)
{
    size_t nm = (size_t)p->n_members + 1;
    int64_t L = r->n_periods - 1;
    size_t words = nm / 64 + 1;
    if (shoal_exec_hold_src(x, p, 2 * nm + words * 8 + 8 * nm)) return x->err->code;
    /* the two bytes a member from the session's big arrays, side by side in a huge
     * page at first (from the heap, 606 KB zeroed at 303k members were 148 page faults
     * of a process at noon, some 0.35 ms; a huge page costs about half) */
    uint8_t *e_act = shoal_bigcache_zalloc(x->cache, nm), *e_st = shoal_bigcache_zalloc(x->cache, nm);
    uint64_t *seen = shoal_malloc(words * sizeof *seen);   /* the members the edge met, in id order */
    uint32_t *ms = NULL;
    int32_t *co = NULL;
    int rc = 0;
    if (!e_act || !e_st || !seen) {
        rc = nomem(x);
        goto out;
    }
    memset(seen, 0, words * sizeof *seen);
    /* the edge from the view's hours when it keeps them back to its start (a snapshot
     * cut by time: AS OF SEQ reads the log), else from the log */
    ehours eh = {e_act, e_st, seen, (uint32_t)p->n_members};
    rc = p->max_seq >= shoal_reader_last_seq(x->r)
             ? shoal_view_retention_hours(x->r, r->name, r->edge_lo, r->edge_hi, edge_hour, &eh, x->err)
             : SHOAL_ENOTFOUND;
    if (rc == SHOAL_ENOTFOUND) rc = edge_scan(x, p, r, e_act, e_st, seen);
    if (rc) goto out;
    size_t n = 0;
    for (size_t w = 0; w < words; w++) n += (size_t)__builtin_popcountll(seen[w]);
    ms = shoal_malloc(sizeof *ms * (n + 1));
    co = shoal_malloc(sizeof *co * (n + 1));
    if (!ms || !co) {
        rc = nomem(x);
        goto out;
    }
    n = 0;
    for (size_t w = 0; w < words; w++)
        for (uint64_t v = seen[w]; v; v &= v - 1) ms[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(v));
    if ((rc = shoal_view_retention_cohort_of(x->r, r->name, ms, n, co, x->err))) goto out;
    size[L] = 0;
    for (int64_t c = 0; c <= L; c++) act[tri[c] + (size_t)(L - c)] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t m = ms[i];
        if (co[i] == INT32_MIN) continue;
        int64_t c = (int64_t)co[i] - r->a0;
        if (c < 0 || c > L || (c == L && !e_st[m])) continue;   /* a later cohort, or its start after now */
        if (c == L) size[L]++;
        if (e_act[m] >= r->least) act[tri[c] + (size_t)(L - c)]++;
    }
out:
    shoal_bigcache_put(x->cache, e_act);
    shoal_bigcache_put(x->cache, e_st);
    shoal_free(seen);
    shoal_free(ms);
    shoal_free(co);
    return rc;
}

static int rows_counts(exec *x, plan *p, const ret *r, shoal_rowsink *sink)
{
    size_t np = (size_t)r->n_periods;
    size_t *tri = shoal_malloc(sizeof *tri * (np + 1));
    int64_t *size = shoal_malloc(sizeof *size * np), *act = NULL;
    int rc = 0;
    if (!tri || !size) {
        rc = nomem(x);
        goto out;
    }
    memset(size, 0, sizeof *size * np);
    tri[0] = 0;
    for (size_t c = 0; c < np; c++) tri[c + 1] = tri[c] + (np - c);
    if (!(act = shoal_malloc(sizeof *act * (tri[np] + 1)))) {
        rc = nomem(x);
        goto out;
    }
    memset(act, 0, sizeof *act * (tri[np] + 1));
    ctally t = {r, size, act, tri};
    if ((rc = shoal_view_retention_cohorts(x->r, r->name, r->a0 + r->c_lo, r->a0 + r->c_hi, count_cohort, &t, x->err)))
        goto out;
    if (r->edge && (rc = counts_edge(x, p, r, size, act, tri))) goto out;
    rc = push_rows(x, r, size, act, tri, sink);
out:
    shoal_free(tri);
    shoal_free(size);
    shoal_free(act);
    return rc;
}

/* The rows: per cohort with members, per k from 0 to now's period. */
static int push_rows(exec *x, const ret *r, const int64_t *size, const int64_t *act, const size_t *tri, shoal_rowsink *sink)
{
    int64_t np = r->n_periods;
    for (int64_t c = r->c_lo; c <= r->c_hi; c++) {
        if (!size[c]) continue;
        for (int64_t k = 0; k < np - c; k++) {
            if (x->cancel && *x->cancel) return shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            int64_t n_act = act[tri[c] + (size_t)k];
            qval row[5];
            row[0] = (qval){.t = r->unit == SHOAL_PER_MONTH ? V_MONTH : V_DATE, .u.i = period_at(r, c)};
            row[1] = (qval){.t = V_INT, .u.i = size[c]};
            row[2] = (qval){.t = V_INT, .u.i = k};
            row[3] = (qval){.t = V_INT, .u.i = n_act};
            row[4] = (qval){.t = V_NUM, .u.d = (double)n_act / (double)size[c]};
            int rc = shoal_exec_sink_push(sink, row);
            if (rc || shoal_exec_sink_full(sink)) return rc;
        }
    }
    return 0;
}

int shoal_retention_rows(exec *x, plan *p, shoal_rowsink *sink)
{
    const ret *r = p->rs_state;
    if (r->none || r->c_lo > r->c_hi) return 0;
    if (r->counts) return rows_counts(x, p, r, sink);
    if (r->view) return rows_view(x, p, r, sink);
    size_t nm = (size_t)p->n_members + 1, np = (size_t)r->n_periods, words = (np + 63) / 64;
    if (shoal_exec_hold_src(x, p, (sizeof(int64_t) + 1) * nm + nm / 8 + 1 + (r->least > 1 ? nm * np : 8 * nm * words) +
                                      (r->recurring ? 8 * nm * words : 0) + 8 * (np + 1) * (np + 2)))
        return x->err->code;
    int64_t *first = shoal_malloc(sizeof *first * nm);
    uint8_t *have = shoal_malloc(nm);
    uint64_t *bits = r->least > 1 ? NULL : shoal_malloc(sizeof *bits * nm * words);
    uint8_t *bytes = r->least > 1 ? shoal_malloc(nm * np) : NULL;
    uint64_t *starts = r->recurring ? shoal_malloc(sizeof *starts * nm * words) : NULL;
    /* the matrix: cohort c's counts for k = 0 .. np - 1 - c start at tri[c] */
    size_t *tri = shoal_malloc(sizeof *tri * (np + 1));
    int64_t *size = shoal_malloc(sizeof *size * np);
    int64_t *act = NULL;
    uint8_t *only = NULL;
    int rc = 0;
    if (!first || !have || (!bits && !bytes) || (r->recurring && !starts) || !tri || !size) {
        rc = nomem(x);
        goto fail;
    }
    memset(have, 0, nm);
    memset(size, 0, sizeof *size * np);
    if (bits) memset(bits, 0, sizeof *bits * nm * words);
    if (bytes) memset(bytes, 0, nm * np);
    if (starts) memset(starts, 0, sizeof *starts * nm * words);
    tri[0] = 0;
    for (size_t c = 0; c < np; c++) tri[c + 1] = tri[c] + (np - c);
    if (!(act = shoal_malloc(sizeof *act * (tri[np] + 1)))) {
        rc = nomem(x);
        goto fail;
    }
    memset(act, 0, sizeof *act * (tri[np] + 1));
    if ((rc = scan(x, p, r, first, have, starts, bits, bytes, words))) goto fail;
    if (r->members.plan) {
        /* the members WHERE keeps: the others leave every cohort */
        if (!(only = shoal_malloc(nm / 8 + 1))) {
            rc = nomem(x);
            goto fail;
        }
        memset(only, 0, nm / 8 + 1);
        if ((rc = shoal_rowsrc_members_run(x, &r->members, only))) goto fail;
        for (size_t m = 1; m < nm; m++) have[m] &= only[m >> 3] >> (m & 7) & 1;
    }

    for (size_t m = 1; m < nm; m++) {
        if (!have[m]) continue;   /* active or not, no cohort event: in no cohort */
        if ((m & (CANCEL_EVERY - 1)) == 0 && x->cancel && *x->cancel) {
            rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto fail;
        }
        const uint64_t *b = bits ? bits + m * words : NULL;
        const uint8_t *y = bytes ? bytes + m * np : NULL;
        if (starts) {
            /* each(…): in the cohort of every period with a start event */
            const uint64_t *st = starts + m * words;
            for (int64_t c = r->c_lo; c <= r->c_hi; c++)
                if (st[c / 64] >> (c & 63) & 1) {
                    size[c]++;
                    tally(r, c, (int64_t)np, b, y, act + tri[c]);
                }
            continue;
        }
        int64_t c = period_index(r, shoal_per_of(r->unit, shoal_plan_local_day(x, first[m])));
        if (c < r->c_lo || c > r->c_hi) continue;
        size[c]++;
        tally(r, c, (int64_t)np, b, y, act + tri[c]);
    }

    rc = push_rows(x, r, size, act, tri, sink);
fail:
    shoal_free(first);
    shoal_free(have);
    shoal_free(bits);
    shoal_free(bytes);
    shoal_free(starts);
    shoal_free(tri);
    shoal_free(size);
    shoal_free(act);
    shoal_free(only);
    return rc;
}

/* ---------------------------------------------------------------- EXPLAIN */

int shoal_retention_explain(exec *x, const plan *p, char ***lines, int *n_lines)
{
    const ret *r = p->rs_state;
    static const char *const units[] = {NULL, "DAY", "WEEK", "MONTH"};
    char **l = shoal_arena_alloc(x->a, sizeof(char *) * 8);
    if (!l) return nomem(x);
    int n = 0;
    char buf[600];
#define LINE(...) \
    do { \
        snprintf(buf, sizeof buf, __VA_ARGS__); \
        if (n < 8 && !(l[n++] = shoal_arena_strndup(x->a, buf, strlen(buf)))) return nomem(x); \
    } while (0)
    if (r->none) {
        LINE("retention %s PER %s: no event by now, no row", r->name, units[r->unit]);
    } else {
        LINE("retention %s PER %s: %" PRId64 " period%s from the earliest event's to now's, cohorts by %s%s, "
             "active on %s%s%s", r->name, units[r->unit], r->n_periods, r->n_periods == 1 ? "" : "s",
             "", r->cohort->desc, r->active->desc, r->unbounded ? ", unbounded (in period k or later)" : "",
             r->least > 1 ? ", at least n actions a period" : "");
        if (r->view) {
            if (r->counts)
                LINE("  read view %s (%" PRIu64 " bytes): its per-cohort counts (cohort sizes, %s active members per "
                     "period since), kept at ingest", r->name, r->view_bytes, r->unbounded ? "unbounded" : "bounded");
            else
                LINE("  read view %s (%" PRIu64 " bytes): each member's %s and active periods, kept at ingest", r->name,
                     r->view_bytes, r->recurring ? "cohort periods" : "earliest cohort event");
            if (r->edge && r->counts) {
                char a[40], b[40];
                shoal_plan_fmt_ts(x, r->edge_lo, a, sizeof a);
                shoal_plan_fmt_ts(x, r->edge_hi - 1, b, sizeof b);
                LINE("  now's period from the log, %s to %s (the view's holds later events; the zone map skips the rest), "
                     "its members' cohorts from the view", a, b);
            } else if (r->edge) {
                char a[40], b[40];
                shoal_plan_fmt_ts(x, r->edge_lo, a, sizeof a);
                shoal_plan_fmt_ts(x, r->edge_hi - 1, b, sizeof b);
                LINE("  now's period from the log, %s to %s (the view's holds later events; the zone map skips the rest)", a, b);
            }
        } else {
            LINE("  scan log: seq 1..%" PRIu64 ", one pass: each member's first cohort event and their active periods "
                 "(%s per member and period, %.1f MiB); not from a view: %s", p->max_seq, r->least > 1 ? "a byte" : "a bit",
                 (double)(p->n_members + 1) * (double)(r->least > 1 ? r->n_periods : (r->n_periods + 63) / 64 * 8) / 1048576.0,
                 r->why);
        }
        LINE("  then rows: one per cohort with members and period since it, k = 0 up to now's period");
    }
#undef LINE
    *lines = l;
    *n_lines = n;
    return shoal_rowsrc_members_explain(x, &r->members, "cohorts", lines, n_lines);
}
