/* plan_explain.c — EXPLAIN: a plan (plan.h) as the lines that say what will run and
 * why: the scan and its ranges, the zone map's jumps, the per-member aggregates and
 * where each is read from (a view, the log, both), the classes, grouping, sort and
 * output. Reads the plan only; plan.c makes it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "caltime.h"
#include "rowsrc.h"
#include "subquery.h"
#include "join.h"
#include "merge.h"

static int add_line(exec *x, char ***lines, int *n, int *cap, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_line(exec *x, char ***lines, int *n, int *cap, const char *fmt, ...)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **l = shoal_arena_alloc(x->a, sizeof(char *) * (size_t)nc);
        if (!l) return SHOAL_ENOMEM;
        if (*n) memcpy(l, *lines, sizeof(char *) * (size_t)*n);
        *lines = l;
        *cap = nc;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (*lines)[(*n)++] = shoal_arena_strndup(x->a, buf, strlen(buf));
    return (*lines)[*n - 1] ? 0 : SHOAL_ENOMEM;
}

void shoal_plan_fmt_ts(exec *x, int64_t t, char *buf, size_t n)
{
    qval v = {.t = V_TS, .u.i = t};
    const char *s;
    size_t len;
    int kind;
    if (t == INT64_MAX || t == INT64_MIN || shoal_val_render(x, &v, &s, &len, &kind)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.*s", (int)len, s);
}

static void type_names(exec *x, const uint8_t *bits, uint32_t n_types, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (uint32_t t = 1; t <= n_types && off < n; t++)
        if (bits[t >> 3] >> (t & 7) & 1) {
            shoal_str s;
            if (shoal_dict_str(x->r, SHOAL_NS_TYPE, t, &s, NULL)) continue;
            off += (size_t)snprintf(buf + off, n - off, "%s%.*s", off ? ", " : "", (int)s.len, s.ptr);
        }
}

int shoal_plan_explain(exec *x, const shoal_stmt *st, const plan *p, char ***lines, int *n_lines)
{
    (void)st;
    int n = 0, cap = 0, rc = 0;
    char a[64], b[64], tl[300];
    if (p->n_subs) {
        if ((rc = shoal_subq_explain_exprs(x, p, lines, &n))) return rc;
        cap = n;
    }
    if (p->merged)
        rc |= add_line(x, lines, &n, &cap, "%s merged into this SELECT: its source, WHERE and columns planned in "
                       "place, no rows streamed", p->merged);
    if (p->src == SRC_NONE) {
        rc |= add_line(x, lines, &n, &cap, "no source: one row");
    } else if (p->src == SRC_ROWS) {
        char **fl = NULL;   /* an explain may append to what it is given */
        int n_fl = 0;
        if ((rc = p->rsrc->explain(x, p, &fl, &n_fl))) return rc;
        for (int i = 0; i < n_fl; i++) rc |= add_line(x, lines, &n, &cap, "%s", fl[i]);
    } else {
        int64_t tail = INT64_MAX;   /* rise from a view: the log is read from this on */
        for (int i = 0; p->from_views && i < p->n_maggs; i++) {
            const magg *g = &p->maggs[i];
            int64_t t = g->t_lo == INT64_MIN ? g->b_hi : g->b_lo;
            if (g->fn == F_RISE && g->tail && t < tail) tail = t;
        }
        if (p->from_views && !p->n_maggs)
            rc |= add_line(x, lines, &n, &cap, "no log scan: no per-member aggregate, the members are the dictionary's");
        else if (tail != INT64_MAX) {
            shoal_plan_fmt_ts(x, tail, a, sizeof a);
            rc |= add_line(x, lines, &n, &cap,
                           "views: every per-member aggregate is read from a view; rise takes out the log's events "
                           "from %s on (zone map)", a);
        } else if (p->from_views && p->n_anchored)
            rc |= add_line(x, lines, &n, &cap, "views: every per-member aggregate is read from a view but the %d over "
                           "anchored windows, read by one pass over the log once the anchors are known", p->n_anchored);
        else if (p->from_views)
            rc |= add_line(x, lines, &n, &cap, "views: every per-member aggregate is read from a view, no log scan");
        else
            rc |= add_line(x, lines, &n, &cap, "scan log: seq 1..%" PRIu64 " (%" PRIu64 " records), one pass, %s",
                           p->max_seq, p->max_seq, p->why);
        shoal_cohort *co;
        if (p->from_views && shoal_cohort_match(x->a, p, &co) == 1) {
            uint32_t sa, sb;
            const char *vn = shoal_cohort_view(co, &sa, &sb);
            rc |= add_line(x, lines, &n, &cap, "cohorts: read from the cohort index of firstlast %s (series %u to series "
                           "%u, by UTC day): counts and medians per period, not a row per member (when the view "
                           "has no index, a row per member)", vn, sa + 1, sb + 1);
        }
        if ((p->src == SRC_EVENTS || (p->src == SRC_MEMBERS && !p->from_views)) && shoal_exec_split_explain(p, tl, sizeof tl)) rc |= add_line(x, lines, &n, &cap, "  %s", tl);
        if (p->cut_ts != INT64_MAX) {
            shoal_plan_fmt_ts(x, p->cut_ts, a, sizeof a);
            rc |= add_line(x, lines, &n, &cap, "  as of %s: later events are not seen", a);
        }
        if (p->has_range) {
            shoal_plan_fmt_ts(x, p->range.lo, a, sizeof a);
            shoal_plan_fmt_ts(x, p->range.hi, b, sizeof b);
            rc |= add_line(x, lines, &n, &cap, "  events in [%s, %s)", a, b);
            if (p->src == SRC_EVENTS)
                rc |= add_line(x, lines, &n, &cap,
                               "  zone map: blocks of %d records whose times miss the range are jumped over",
                               SHOAL_ZONE_BLOCK);
        }
        if (p->src == SRC_MEMBERS && !p->from_views && p->n_zr)
            rc |= add_line(x, lines, &n, &cap,
                           "  zone map: blocks of %d records whose times miss the %d time range%s the scan feeds are jumped over",
                           SHOAL_ZONE_BLOCK, p->n_zr, p->n_zr == 1 ? "" : "s");
        if (p->type_filter) {
            type_names(x, p->type_filter, p->n_types, tl, sizeof tl);
            rc |= add_line(x, lines, &n, &cap, "  only types {%s}: others skipped before decoding properties", tl);
        }
    }
    if (p->src == SRC_MEMBERS) {
        rc |= add_line(x, lines, &n, &cap, "per-member aggregates: %d, dense arrays over %" PRIu32 " members", p->n_maggs, p->n_members);
        for (int i = 0; i < p->n_maggs; i++) {
            const magg *g = &p->maggs[i];
            char w[220] = "";
            if (g->has_win) {
                shoal_plan_fmt_ts(x, g->win.lo, a, sizeof a);
                shoal_plan_fmt_ts(x, g->win.hi, b, sizeof b);
                snprintf(w, sizeof w, " in [%s, %s)", a, b);
            }
            if (g->fn == F_RISE) {
                shoal_plan_fmt_ts(x, g->t_hi, a, sizeof a);
                shoal_plan_fmt_ts(x, g->t_lo, b, sizeof b);
                if (g->t_lo == INT64_MIN) snprintf(w, sizeof w, ", score %s at %s", g->vname, a);
                else snprintf(w, sizeof w, ", score %s at %s minus at %s", g->vname, a, b);
            }
            if (g->anchor && p->from_views)
                snprintf(w, sizeof w, " in its window from #%d, read from the log once #%d is read from its view",
                         g->anchor, g->anchor);
            else if (g->anchor)
                snprintf(w, sizeof w, " in its window from #%d, read by a second pass over the log once #%d is known",
                         g->anchor, g->anchor);
            if (g->types) type_names(x, g->types, p->n_types, tl, sizeof tl);
            else snprintf(tl, sizeof tl, "all");
            if (g->src == MG_VIEW && g->fn == F_RISE) {
                rc |= add_line(x, lines, &n, &cap, "  #%d %s: %s, %s", i + 1, g->desc, w + 2, g->vdesc);
                continue;
            }
            if (g->src != MG_SCAN) {
                /* a counters series whose days end at the latest day within its month:
                 * the month so far, one bucket (view_counters.c) */
                int64_t d;
                char sf[112] = "";
                if (!strncmp(g->vdesc, "counters ", 9) && g->day_hi > g->day_lo && g->day_hi != INT64_MAX &&
                    shoal_view_counters_so_far(x->r, g->vname, g->vseries, &d, NULL) == 1 && d == g->day_hi &&
                    shoal_cal_month_start(shoal_cal_month_of_day(d)) < d &&
                    g->day_lo <= shoal_cal_month_start(shoal_cal_month_of_day(d))) {
                    int64_t y;
                    unsigned mo, d0, d1;
                    shoal_cal_civil_from_days(d - 1, &y, &mo, &d1);
                    shoal_cal_civil_from_days(shoal_cal_month_start(shoal_cal_month_of_day(d)), &y, &mo, &d0);
                    snprintf(sf, sizeof sf, " (%04lld-%02u-%02u..%02u the month so far)", (long long)y, mo, d0, d1);
                }
                /* a counters series read from its first day: the months before the
                 * latest day's month, one bucket (view_counters.c) */
                if (!strncmp(g->vdesc, "counters ", 9) && g->day_lo <= INT32_MIN && g->day_hi > g->day_lo &&
                    i != p->exist - 1 && shoal_view_counters_before(x->r, g->vname, g->vseries, &d, NULL) == 1 &&
                    g->day_hi >= shoal_cal_month_start(shoal_cal_month_of_day(d))) {
                    int64_t y;
                    unsigned mo, dd;
                    shoal_cal_civil_from_days(shoal_cal_month_start(shoal_cal_month_of_day(d)) - 1, &y, &mo, &dd);
                    size_t l = strlen(sf);
                    snprintf(sf + l, sizeof sf - l, " (the months to %04lld-%02u as one)", (long long)y, mo);
                }
                rc |= add_line(x, lines, &n, &cap, "  #%d %s: %s%s", i + 1, g->desc, g->vdesc, sf);
                continue;
            }
            rc |= add_line(x, lines, &n, &cap, "  #%d %s: types {%s}%s%s", i + 1, g->desc, tl, w, g->filter ? ", with an event filter" : "");
        }
        for (int i = 0; i < p->n_lcs; i++) {
            char ln[400];
            if (shoal_lifecycle_state_explain(x, p, p->lcs[i], ln, sizeof ln)) return -1;
            rc |= add_line(x, lines, &n, &cap, "  %s", ln);
        }
        int alike = shoal_plan_alike(p), classes = alike ? shoal_plan_classes(p) : 0;
        if (alike && p->n_maggs == (p->exist ? 1 : 0))
            rc |= add_line(x, lines, &n, &cap, "then rows: one, weighed, for all the members%s (%" PRIu32 "%s): without "
                           "per-member values their rows are alike", p->exist ? " with an event by then" : "",
                           p->n_members, p->exist ? " at most" : "");
        else if (classes) {
            int narrow = shoal_plan_narrow(p);
            rc |= add_line(x, lines, &n, &cap, "then rows: one, weighed, per class of members%s whose %d comparisons of "
                           "counts and scores come out the same: their rows are alike (%" PRIu32 " members%s)",
                           p->exist ? " with an event by then" : "", classes, p->n_members,
                           p->exist ? " at most" : "");
            if (narrow)
                rc |= add_line(x, lines, &n, &cap, "  %d of the aggregates read as a byte per member that decides their "
                               "comparisons (a count that stops above its thresholds, a score's cell among them)", narrow);
        }
        else if (alike)
            rc |= add_line(x, lines, &n, &cap, "then rows: one per member with %sa value (%" PRIu32 " at most), and one, "
                           "weighed, for those without: their rows are alike", p->exist ? "an event by then and " : "",
                           p->n_members);
        else if (p->exist)
            rc |= add_line(x, lines, &n, &cap, "then rows: one per member with an event by then (#%d; %" PRIu32 " at most)",
                           p->exist, p->n_members);
        else if (p->members_all)
            rc |= add_line(x, lines, &n, &cap, "then rows: one per member (%" PRIu32 ")", p->n_members);
        else
            rc |= add_line(x, lines, &n, &cap, "then rows: one per member seen (%" PRIu32 " at most)", p->n_members);
    }
    if (p->where) rc |= add_line(x, lines, &n, &cap, "filter: WHERE, compiled, per %s",
                                  p->src == SRC_MEMBERS ? "member" : p->src == SRC_ROWS ? "row" : "event");
    if (p->tiers) rc |= add_line(x, lines, &n, &cap, "tiers: %s (first match wins; each condition compiled into the per-member aggregates)", p->tiers);
    if (p->layers[0]) rc |= add_line(x, lines, &n, &cap, "layers: %s (each predicate compiled into the per-member aggregates)", p->layers);
    if (p->grouped) {
        int dense = p->n_keys == 1 && (p->keys[0]->op == X_TYPE || p->keys[0]->op == X_GROUP || p->keys[0]->op == X_MEMBER);
        char cells[200];
        rc |= add_line(x, lines, &n, &cap, "aggregate: %d key%s, %d aggregate%s, %s", p->n_keys, p->n_keys == 1 ? "" : "s",
                       p->n_raggs, p->n_raggs == 1 ? "" : "s",
                       p->n_keys == 0                                    ? "one group"
                       : shoal_exec_dense_explain(x, p, cells, sizeof cells) ? cells
                       : dense ? "groups in an array indexed by dictionary id" : "hash table of groups");
    }
    if (p->having) rc |= add_line(x, lines, &n, &cap, "filter: HAVING, per group");
    if (p->n_wins)
        rc |= add_line(x, lines, &n, &cap, "window functions: %d, over the rows kept until all are in (%d values each), each "
                       "sorted by its partition and order", p->n_wins, p->n_wbase);
    if (p->n_order) rc |= add_line(x, lines, &n, &cap, "sort: %d key%s", p->n_order, p->n_order == 1 ? "" : "s");
    if (p->limit >= 0) rc |= add_line(x, lines, &n, &cap, "limit %" PRId64 " offset %" PRId64, p->limit, p->offset);
    rc |= add_line(x, lines, &n, &cap, "output: %d column%s", p->n_cols, p->n_cols == 1 ? "" : "s");
    *n_lines = n;
    return rc ? shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory") : 0;
}
