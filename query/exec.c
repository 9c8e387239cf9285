/* exec.c — runs a planned SELECT (plan.h): shoal_exec_select allocates the per-member
 * arrays, has the views read and the log scanned into them (exec_views.c, exec_scan.c),
 * makes the member rows (exec_members.c), then groups, sorts and writes the rows
 * (exec_group.c, exec_sort.c); a row source (SRC_ROWS) pushes its rows through the
 * sink here. Rows that need no sort stream straight out. exec_int.h holds what the
 * executor's files share.
 */
#include "caltime.h"
#include "exec_int.h"
#include "rowsrc.h"
#include "subquery.h"

#include <stdatomic.h>
#include <stdlib.h>

/* A row source (SRC_ROWS) pushes its rows here, one at a time. */
int shoal_exec_sink_push(shoal_rowsink *g, const qval *row)
{
    rowctx r = {0};
    r.src = row;
    return process(g, &r);
}

int shoal_exec_sink_full(const shoal_rowsink *g) { return g->stop; }

int shoal_exec_switch(_Atomic int *on, const char *name)
{
    int o = atomic_load_explicit(on, memory_order_relaxed);
    if (o >= 0) return o;
    const char *env = getenv(name);
    o = !(env && !strcmp(env, "0"));
    atomic_store_explicit(on, o, memory_order_relaxed);
    return o;
}

/* SHOAL_COUNT8=0 reads such counts into 4-byte arrays as before (tests compare the two) */
static int count8_on(void)
{
    static _Atomic int on = -1;
    return shoal_exec_switch(&on, "SHOAL_COUNT8");
}

/* Whether aggregate i, a count, is read as bytes with its big counts aside (n8, count8.c):
 * from a view alone (no scan nor anchor adds to it), over members, not who existed (its
 * reads fill 4-byte counts and bits), not a PER statement's (kept counts). Its consumers
 * read it through magg_count (exec_int.h) or, WHERE's comparisons, as bytes (exec_members.c). */
static int count8_ok(const exec *x, const plan *p, int i)
{
    const magg *g = &p->maggs[i];
    return g->fn == F_COUNT && g->src == MG_VIEW && !g->narrow && !g->anchor && p->from_views && !p->n_anchored &&
           p->src == SRC_MEMBERS && p->members_all && i != p->exist - 1 && i != p->exist_or - 1 && !x->cum &&
           count8_on();
}

/* Members past which a statement's per-member state tells the program's heap policy
 * (shoal_mem_heap_hint): the bench's view-backed questions over 303k members touch 100
 * to 160 fresh pages of heap after the open, worth a huge page (cli/main.c) */
#define HEAP_HINT_MEMBERS 65536

static int alloc_maggs(exec *x, plan *p)
{
    size_t n = (size_t)p->n_members + 1;
    /* Per-member counts are 32-bit: a member has at most as many events as the log. */
    uint64_t last = shoal_reader_last_seq(x->r);
    if (p->n_maggs && last > UINT32_MAX)
        return shoal_err_set(x->err, SHOAL_ERANGE, -1, -1, "the log holds %" PRIu64 " events; per-member aggregates "
                             "count in 32 bits, so they need fewer than 4294967296", last);
    /* many members: a statement whose heap grows by 100 pages and more (HEAP_HINT_MEMBERS) */
    if (p->n_maggs && n > HEAP_HINT_MEMBERS) shoal_mem_heap_hint();
    for (int i = 0; i < p->n_maggs; i++) {
        /* Only the arrays the function needs: a count costs 4 bytes per member, a score
         * from its view (its values only) 8, one read narrow 1. Zeroed by the
         * allocator, but for those that a view read writes whole. */
        magg *g = &p->maggs[i];
        if (g->narrow) {
            /* a score's cells are written whole; counts add up from 0; a PER period's
             * all-time count is the kept one's, or made when read (read_sat_cum): until
             * then member 0's byte alone, 0, which WHERE may be tried on first */
            if (shoal_exec_cum_reads(x, p, i) || (x->cum && g->pass_lo && g->fn == F_COUNT)) {
                /* (a period's own count with a list of the members that passed: the
                 * scratch bytes when its classes are counted from the lists, made
                 * when read: exec_views.c) */
                g->c8 = shoal_exec_c8_none;
                g->c8_kept = 1;
                continue;
            }
            if (!(g->c8 = shoal_exec_marray(x, n, g->fn != F_SCORE))) return nomem(x);
            continue;
        }
        if (count8_ok(x, p, i)) {
            if (!(g->n8 = shoal_exec_marray(x, n, 1))) return nomem(x);
            continue;
        }
        if ((g->fn == F_MIN || g->fn == F_MAX) && !(g->v = shoal_exec_marray(x, n * sizeof *g->v, 1))) return nomem(x);
        if (g->fn == F_DCOUNT && !(g->dset = shoal_malloc(sizeof(dset)))) return nomem(x);
        if (g->fn == F_DCOUNT) memset(g->dset, 0, sizeof(dset));
        if ((g->fn == F_MEDIAN || g->fn == F_QUANTILE || g->fn == F_STDDEV || g->fn == F_VARIANCE) &&
            (!(g->vals = shoal_exec_marray(x, n * sizeof *g->vals, 1)) ||
             !(g->vcap = shoal_exec_marray(x, n * sizeof *g->vcap, 1))))
            return nomem(x);
        int need_d = g->fn == F_SCORE || g->fn == F_RISE;
        int need_i = g->fn == F_FIRST || g->fn == F_LAST, need_x = g->fn == F_SUM || g->fn == F_AVG;
        int need_d2 = g->fn == F_RISE || g->tail;
        /* A score or rise from its view is written whole by the read (shoal_exec_read_views,
         * read_rise): no zeroing, and no count. */
        int whole = (g->fn == F_SCORE || g->fn == F_RISE) && g->src != MG_SCAN, need_n = !whole;
        /* Who existed, from the view alone, is read into bits (read_exist); its counts
         * are read by none but a view read of days taken from their month (1.2 MB zeroed
         * a statement at 300k members for the tiers at a noon now): not made when its
         * days are whole months (issue 17). */
        if (i == p->exist - 1 && g->src == MG_VIEW && !p->exist_lazy && !x->cum && g->fn == F_COUNT &&
            g->day_lo == INT32_MIN && (g->day_hi == (int64_t)INT32_MAX + 1 ||
                                       shoal_cal_month_start(shoal_cal_month_of_day(g->day_hi)) == g->day_hi))
            need_n = 0;
        /* Nor when its last days are its view's month so far, [month start, D), D the
         * latest day, read as one bucket (read_part, view_counters.c): a now inside the
         * latest day (the tiers and the top 100 at noon zeroed 1.2 MB for them) */
        /* A lazy one (shoal_exec_exist_lazy) makes them when it reads, if at all: the top
         * 100 by a score settles without (1.2 MB zeroed a statement at 300k members) */
        if (i == p->exist - 1 && p->exist_lazy) need_n = 0;
        int64_t so_far;
        if (need_n && i == p->exist - 1 && g->src == MG_VIEW && !p->exist_lazy && !x->cum && g->fn == F_COUNT &&
            g->day_lo == INT32_MIN && g->day_hi != INT64_MAX &&
            shoal_view_counters_so_far(x->r, g->vname, g->vseries, &so_far, NULL) == 1 && so_far == g->day_hi)
            need_n = 0;
        if ((need_n && !(g->n = shoal_exec_marray(x, n * sizeof *g->n, 1))) ||
            (need_d && !(g->d = shoal_exec_marray(x, n * sizeof *g->d, !whole))) ||
            (need_i && !(g->i = shoal_exec_marray(x, n * sizeof *g->i, 1))) ||
            (need_x && !(g->x = shoal_exec_marray(x, n * sizeof *g->x, 1))) ||
            (need_d2 && !(g->d2 = shoal_exec_marray(x, n * sizeof *g->d2, !whole))))
            return nomem(x);
    }
    return 0;
}

/* The groups from a cohort index when the statement has that shape (cohort.c):
 * SHOAL_ENOTFOUND when not, or when the view has no index (a table from before it). */
static int cohort_rows(run *g)
{
    exec *x = g->x;
    shoal_cohort *co;
    if (!g->p->from_views) return SHOAL_ENOTFOUND;
    int m = shoal_cohort_match(x->a, g->p, &co);
    if (m < 0) return nomem(x);
    if (m == 0) return SHOAL_ENOTFOUND;
    int rc = shoal_cohort_rows(g, co);
    return rc == SHOAL_ENOTFOUND && x->err->code ? SHOAL_ESTORE : rc;
}

int shoal_exec_select(exec *x, plan *p, shoal_fmt *f)
{
    run g;
    memset(&g, 0, sizeof g);
    g.x = x;
    g.p = p;
    g.f = f;
    int rc = 0;
    /* subqueries in expressions run first, and become constants and sets */
    if (p->n_subs && (rc = shoal_subq_init(x, p))) goto fail;
    g.cells = shoal_arena_alloc(x->a, sizeof(cell) * (size_t)(p->n_cols + 1));
    g.digits = shoal_arena_alloc(x->a, 24 * (size_t)(p->n_cols + 1));
    g.colbuf = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_cols + 1));
    g.keybuf = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(p->n_keys + 1));
    g.dsets = shoal_arena_alloc(x->a, sizeof(dset) * (size_t)(p->n_raggs + 1));
    if (!g.cells || !g.digits || !g.colbuf || !g.keybuf || !g.dsets) {
        rc = nomem(x);
        goto fail;
    }
    memset(g.dsets, 0, sizeof(dset) * (size_t)(p->n_raggs + 1));
    if (f && (rc = shoal_fmt_begin(f, p->names, p->n_cols))) {
        rc = rc == SHOAL_ENOMEM ? nomem(x) : shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
        goto fail;
    }
    /* over members, with classes: which aggregates can be read narrow */
    if (p->src == SRC_MEMBERS && (g.n_tests = shoal_plan_class_tests(p, g.tests)) && (rc = shoal_exec_narrow_maggs(&g))) goto fail;
    size_t top_k;
    g.top_slot = p->src == SRC_MEMBERS && (!p->exist || p->exist_lazy) ? shoal_exec_top_target(p, &top_k) : -1;
    /* over members, the groups from a cohort index need no per-member arrays (zeroing
     * them was 40% of the newcomers question) */
    int cohort = SHOAL_ENOTFOUND;
    if (p->src == SRC_MEMBERS && (cohort = cohort_rows(&g)) != SHOAL_ENOTFOUND) {
        rc = cohort;
        goto rows_done;
    }
    uint64_t held = x->mem_held;   /* (the arrays weighed against the budget: exec_spill.c) */
    rc = alloc_maggs(x, p);
    g.held = x->mem_held - held;
    if (rc) goto fail;
    shoal_anchor_bind(p);
    /* A joined row's column of ids (GROUP BY e.member over a join) too: its values are
     * ids of that namespace or NULL, the rest found by hash as without it. */
    if (p->grouped && p->n_keys == 1 &&
        (p->keys[0]->op == X_TYPE || p->keys[0]->op == X_GROUP || p->keys[0]->op == X_MEMBER ||
         (p->src == SRC_ROWS && p->keys[0]->op == X_SRCCOL && p->keys[0]->rt == V_ID && p->keys[0]->rns > 0 &&
          p->keys[0]->rns < SHOAL_NS_COUNT))) {
        g.by_ns = p->keys[0]->rns;
        g.n_by_id = shoal_dict_count(x->r, p->keys[0]->rns) + 1;
        g.by_id = shoal_malloc(sizeof(group *) * g.n_by_id);
        if (!g.by_id) {
            rc = nomem(x);
            goto fail;
        }
        memset(g.by_id, 0, sizeof(group *) * g.n_by_id);
    }
    if (p->src == SRC_NONE) {
        rowctx row = {0};
        rc = process(&g, &row);
    } else if (p->src == SRC_ROWS) {
        /* (what the source holds to make them, weighed against the budget until made) */
        uint64_t held = x->mem_held;
        rc = p->rsrc->rows(x, p, &g);
        x->mem_held = held;
    } else if (p->src == SRC_EVENTS) {
        /* grouped: within the memory budget, in partitions when it must (exec_spill.c) */
        rc = p->grouped && x->mem_limit ? shoal_exec_group_spill(&g) : shoal_exec_scan_log(&g, 0);
    } else {
        rc = 0;
        /* When WHERE reads only per-member aggregates and rejects a member whose every
         * aggregate is empty (member id 0 has no events: it stands for such a member),
         * only members with some value need a row (g.live); when such members' rows are
         * alike (shoal_plan_alike), the others are one row. A score or a rise sets a
         * member apart only beyond the thresholds it is compared with (shoal_exec_cell_of) in
         * what decides: WHERE when it rejects, else every per-member expression. */
        int rejects = 0;
        if (p->members_all && p->where && shoal_plan_maggs_only(p->where)) {
            rowctx empty = {0};
            if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
            x->row = &empty;
            rejects = !truthy(x, p->where);
        }
        /* (when WHERE rejects, their row adds nothing: not counted, then; 5% of core
         * creators per month, a pass over every member's bits a period) */
        g.alike = !rejects && shoal_plan_alike(p);
        g.rejects = rejects;
        g.passed_only = g.n_tests && shoal_exec_passed_only(&g);
        /* (the reads that would look at live, or fill it in their own way, keep it) */
        if (g.alike && p->from_views && !p->n_anchored && !p->exist_lazy && !x->cum && g.top_slot < 0 &&
            (g.codes_all = shoal_exec_codes_all(&g)) < 0) {
            rc = nomem(x);
            goto fail;
        }
        if (g.codes_all) g.alike = 0;
        if (rejects || g.alike || g.codes_all) {
            if (!g.codes_all && !(g.live = shoal_bigcache_zalloc(x->cache, ((size_t)p->n_members / 64 + 1) * sizeof *g.live))) {
                rc = nomem(x);
                goto fail;
            }
            for (int i = 0; i < p->n_maggs; i++) {
                magg *a = &p->maggs[i];
                if (a->fn != F_SCORE && a->fn != F_RISE) continue;
                a->live_lo = -INFINITY;
                a->live_hi = INFINITY;
                shoal_exec_cell_of(p->where, i, &a->live_lo, &a->live_hi);
                for (int k = 0; !rejects && k < p->n_keys; k++) shoal_exec_cell_of(p->keys[k], i, &a->live_lo, &a->live_hi);
                for (int k = 0; !rejects && k < p->n_raggs; k++) {
                    shoal_exec_cell_of(p->raggs[k].arg, i, &a->live_lo, &a->live_hi);
                    /* (a FILTER's thresholds too: count(*) FILTER (WHERE eng >= 1) once
                     * counted no member with views on, every one alike with member 0) */
                    shoal_exec_cell_of(p->raggs[k].filter, i, &a->live_lo, &a->live_hi);
                }
            }
        }
        if (!(rc = shoal_exec_read_views(&g)) && !p->from_views) rc = shoal_exec_scan_log(&g, 1);
        /* views answered the anchors too: the anchored windows' pass is the only one */
        else if (!rc && p->n_anchored) rc = shoal_anchor_scan(x, p, g.live);
        if (!rc && p->members_all) rc = shoal_exec_member_rows(&g);
    }
rows_done:
    if (rc) goto fail;
    if (p->grouped && !g.groups_out) {
        /* Without GROUP BY an aggregate query has exactly one group, even over nothing. */
        if (p->n_keys == 0 && g.n_list == 0 && !shoal_exec_find_group(&g, g.keybuf)) {
            rc = nomem(x);
            goto fail;
        }
        if ((rc = shoal_exec_emit_groups(&g))) goto fail;
    }
    /* window functions, once every row is in; the rows then go on to ORDER BY and LIMIT */
    if (p->n_wins && (rc = shoal_exec_windows(&g))) goto fail;
    if (p->n_order && g.sp && !(x->cancel && *x->cancel)) {
        /* past the budget, the sorted runs on disk and the rows in memory merged */
        if ((rc = shoal_exec_sort_merge(&g))) goto fail;
    } else if (p->n_order && !(x->cancel && *x->cancel)) {
        shoal_exec_sort_rows(&g);
        size_t start = (size_t)p->offset < g.n_rows ? (size_t)p->offset : g.n_rows;
        size_t end = g.n_rows;
        if (p->limit >= 0 && (uint64_t)p->limit < end - start) end = start + (size_t)p->limit;
        /* WITH TIES: the rows equal in the ORDER BY keys to the last one kept come too */
        while (p->ties && end > start && end < g.n_rows && !shoal_exec_keys_cmp(p, x, g.rows[end - 1].keys, g.rows[end].keys))
            end++;
        if (g.f && !x->on_row && end > start && shoal_fmt_reserve(g.f, end - start)) {
            rc = nomem(x);
            goto fail;
        }
        for (size_t i = start; i < end && !(x->cancel && *x->cancel); i++) {
            if ((rc = shoal_exec_write_row(&g, g.rows[i].cols))) goto fail;
            g.n_emitted++;
        }
    }
    if (x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
fail:
    for (int i = 0; i < p->n_maggs; i++) {
        shoal_bigcache_put(x->cache, p->maggs[i].n);
        shoal_bigcache_put(x->cache, p->maggs[i].n8);
        shoal_count8_reset(&p->maggs[i].big);
        p->maggs[i].n8 = NULL;
        shoal_bigcache_put(x->cache, p->maggs[i].d);
        shoal_bigcache_put(x->cache, p->maggs[i].i);
        shoal_bigcache_put(x->cache, p->maggs[i].x);
        shoal_bigcache_put(x->cache, p->maggs[i].d2);
        if (!p->maggs[i].c8_kept) shoal_bigcache_put(x->cache, p->maggs[i].c8);
        p->maggs[i].c8_kept = 0;
        shoal_bigcache_put(x->cache, p->maggs[i].v);
        shoal_bigcache_put(x->cache, p->maggs[i].vals);
        shoal_bigcache_put(x->cache, p->maggs[i].vcap);
        if (p->maggs[i].dset) {
            shoal_exec_dset_free(p->maggs[i].dset);
            shoal_free(p->maggs[i].dset);
        }
        p->maggs[i].dset = NULL;
        p->maggs[i].vals = NULL;
        p->maggs[i].vcap = NULL;
        p->maggs[i].v = NULL;
        p->maggs[i].c8 = NULL;
        p->maggs[i].narrow = 0;
        if (p->maggs[i].c8_scratch) {
            /* the scratch bytes zeroed again: those of the members that passed when
             * only theirs were written, else all */
            shoal_cumread *c = x->cum;
            const shoal_passed *ps = p->maggs[i].passed;
            uint8_t *z8 = c->z8;
            if (ps && !ps->wrote_all && !ps->oom)
                for (size_t k = 0, n = ps->n; k < n; k++) z8[ps->m[k]] = 0;
            else if (ps)
                memset(z8, 0, (size_t)c->z8_members + 1);
            z8[0] = 0;   /* (no read writes it: kept so whatever stops short) */
            c->z8_busy = 0;
            p->maggs[i].c8_scratch = 0;
        }
        if (p->maggs[i].passed && !p->maggs[i].pass_kept) shoal_free(p->maggs[i].passed->m);
        p->maggs[i].passed = NULL;
        p->maggs[i].pass_kept = 0;
        p->maggs[i].pass_lo = 0;
        p->maggs[i].d2 = NULL;
        p->maggs[i].n = NULL;
        p->maggs[i].d = NULL;
        p->maggs[i].i = NULL;
        p->maggs[i].anchor_n = NULL;
        p->maggs[i].x = NULL;
    }
    for (int i = 0; i < p->n_raggs && g.dsets; i++) {
        shoal_exec_dset_free(&g.dsets[i]);
    }
    shoal_bigcache_put(x->cache, g.live);
    shoal_bigcache_put(x->cache, g.top_out);
    x->mem_held -= g.held;
    shoal_free(g.table);
    shoal_free(g.by_id);
    shoal_exec_gkey_free(&g);
    shoal_free(g.list);
    shoal_free(g.rows);
    shoal_arena_free(g.rows_a);
    shoal_exec_spill_free(&g);
    shoal_exec_dense_free(&g);
    shoal_free(g.wrows);
    shoal_arena_free(g.wrows_a);
    return rc;
}
