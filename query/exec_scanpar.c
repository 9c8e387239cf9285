/* exec_scanpar.c — the log scan over events on several threads: a grouped SELECT over
 * events (GROUP BY, or aggregates alone) splits the log's sequences into as many
 * contiguous parts as threads, each read by a thread through a read transaction of its
 * own (shoal_reader_fork: the environment is MDB_NOTLS) into groups of its own (a run
 * and an exec of its own: arena, scratch, error, reader); then the parts are merged into
 * the statement's groups in sequence order, so that every answer is the one-thread
 * scan's, bit for bit:
 *
 * - groups are made in the order of their first row (the first part's groups, then
 *   the second's new ones…), as one pass makes them;
 * - count adds; sum and avg are exact (xsum.c), so partial sums merge to the same bits;
 *   min and max keep the earlier of equal values; first takes the earliest part's,
 *   last the latest's; median, quantile, stddev and variance concatenate their values
 *   in sequence order; count, sum and avg (DISTINCT) add each part's values into the
 *   statement's sets, a value counted once;
 * - an error (text in a sum, a function's) is the earliest part's: the first in log
 *   order, as one pass would stop at it.
 *
 * Only what a thread may evaluate alone runs here (par_ok): a function outside a short
 * list of pure ones leaves the statement to one thread; names (text compared, LIKE) are
 * read from the thread's own snapshot, not through the dictionary's cache. The
 * threads: SHOAL_THREADS in the environment (1: one thread, the one-thread path
 * exactly), else the processors online, at most SCAN_MAX_THREADS; a scan that reads
 * fewer than SCAN_PART_MIN records a thread stays on one (unless SHOAL_THREADS asks).
 * Each thread looks at the cancel flag as the one-thread scan does.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "exec_int.h"

#define SCAN_MAX_THREADS 16
#define SCAN_PART_MIN (16 * SHOAL_ZONE_BLOCK)

/* ------------------------------------------------------------ what a thread may run */

static int fn_ok(func_eval fn)
{
    static const char *const pure[] = {"day", "week", "month", "year", "hour", "abs", "round", "coalesce", "floor", "ceil", NULL};
    for (int i = 0; pure[i]; i++) {
        const func *f = shoal_func_find(pure[i]);
        if (f && f->eval == fn) return 1;
    }
    return 0;
}

/* e reads only the row and constants, and calls only pure functions: a thread of its
 * own can evaluate it (names come from the thread's reader, shoal_reader_fork) */
int shoal_exec_par_ok(const cx *e)
{
    if (!e) return 1;
    switch (e->op) {
    case X_CONST: case X_SEQ: case X_TS: case X_MEMBER: case X_TYPE: case X_GROUP: case X_PROP: case X_SRCCOL: return 1;
    case X_AND: case X_OR: case X_ARITH: case X_CMP: case X_LIKE: return shoal_exec_par_ok(e->a) && shoal_exec_par_ok(e->b);
    case X_NOT: case X_NEG: case X_ISNULL: case X_INSET: return shoal_exec_par_ok(e->a);
    case X_BETWEEN: return shoal_exec_par_ok(e->a) && shoal_exec_par_ok(e->b) && shoal_exec_par_ok(e->c);
    case X_IN: case X_CASE: case X_FUNC:
        if (!shoal_exec_par_ok(e->a) || !shoal_exec_par_ok(e->c) || (e->op == X_FUNC && !fn_ok(e->fn))) return 0;
        for (int i = 0; i < e->n; i++)
            if (!shoal_exec_par_ok(e->v[i])) return 0;
        return 1;
    default: return 0;
    }
}

/* Why the statement's groups cannot be made in parts and merged, or NULL when they
 * can: every expression a thread evaluates and every aggregate's merge as above. */
const char *shoal_exec_groups_why_not(const plan *p)
{
    const char *expr = "an expression calls a function not known to be pure";
    if (!shoal_exec_par_ok(p->where)) return expr;
    for (int i = 0; i < p->n_keys; i++)
        if (!shoal_exec_par_ok(p->keys[i])) return expr;
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        if (!shoal_exec_par_ok(ra->filter) || (!ra->star && !shoal_exec_par_ok(ra->arg))) return expr;
        switch (ra->fn) {
        case F_COUNT: case F_SUM: case F_AVG: break;
        case F_MIN: case F_MAX:
            /* a stored value, never NaN: a NaN ties with everything, and the earlier of
             * ties would then depend on where the parts are cut */
            if (ra->distinct || !(ra->arg->op >= X_SEQ && ra->arg->op <= X_PROP))
                return "min or max of a computed value";
            break;
        case F_FIRST: case F_LAST: case F_MEDIAN: case F_QUANTILE: case F_STDDEV: case F_VARIANCE:
            if (ra->distinct) return "DISTINCT in other than count, sum or avg";
            break;
        default: return "an aggregate whose parts do not merge";
        }
    }
    return NULL;
}

/* Why the statement's scan cannot be split, or NULL when it can: grouped over events,
 * and its groups made in parts (shoal_exec_groups_why_not). */
static const char *split_why_not(const plan *p)
{
    if (p->src != SRC_EVENTS || !p->grouped) return "rows are not grouped";
    return shoal_exec_groups_why_not(p);
}

/* SHOAL_THREADS, else the processors online; *asked: SHOAL_THREADS was given */
int shoal_exec_threads_wanted(int *asked)
{
    const char *s = getenv("SHOAL_THREADS");
    *asked = 0;
    if (s && *s) {
        char *end;
        long n = strtol(s, &end, 10);
        if (!*end && n >= 1) {
            *asked = 1;
            return n > SCAN_MAX_THREADS ? SCAN_MAX_THREADS : (int)n;
        }
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > SCAN_MAX_THREADS ? SCAN_MAX_THREADS : (int)n;
}

/* ------------------------------------------------------------ one part */

typedef struct part {
    exec x;               /* the statement's, with an arena, scratch, error and reader of its own */
    run g;                /* the part's groups */
    partres res;          /* its records read and skipped, return and error */
    shoal_reader *r;
    uint64_t lo, hi;      /* the sequences [lo, hi) */
} part;

/* The log's sequences [lo, hi) through g (its plan over events: filtered by its times
 * and types, each record then process()ed), on whatever thread calls it, with g's
 * exec's reader. 0 or the error; the records read and skipped into *n_scanned and
 * *n_skipped. */
int shoal_exec_scan_range(run *g, uint64_t lo_seq, uint64_t hi_seq, uint64_t *n_scanned, uint64_t *n_skipped)
{
    exec *x = g->x;
    plan *p = g->p;
    int64_t lo = p->has_range ? p->range.lo : INT64_MIN, hi = p->has_range ? p->range.hi : INT64_MAX;
    int64_t range[2] = {lo, hi};
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, lo_seq, hi_seq < p->max_seq + 1 ? hi_seq : p->max_seq + 1, range, p->has_range,
                             n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    rowctx row = {0};
    const uint8_t *tf = p->type_filter;
    uint32_t n_types = p->n_types;
    fold *fd = shoal_exec_fold_new(g);
    shoal_maprel mr;   /* under a budget (a part's share), the log read let go (exec_spill.c) */
    shoal_maprel_init(&mr, g->budget, 1);
    shoal_rec *rp = &rec;
    if (fd) {   /* folded a batch at a time, a page's records at a time (exec_scan.c) */
        if ((rc = shoal_exec_fold_scan(g, fd, &sr, &mr, lo, hi))) {
            shoal_free(fd);
            fd = NULL;   /* (over the budget, or an error: the part stops here) */
        }
    } else {
        while ((rc = scan_range_next(&sr, rp)) == 1) {
            shoal_maprel_note(&mr, rp->props, sr.n);
            int64_t ts = rp->ts;
            if (ts > p->cut_ts || ts < lo || ts >= hi) continue;
            if (tf && (rp->type > n_types || !(tf[rp->type >> 3] >> (rp->type & 7) & 1))) continue;
            row.rec = &rec;
            if ((rc = shoal_exec_process_row(g, &row, NULL, NULL, 1))) break;
            if (g->stop) break;
        }
    }
    shoal_maprel_end(&mr);
    /* the last batch, when the part's records ran out (not at an error) */
    if (fd && (rc == 0 || rc == 1)) rc = shoal_exec_fold_flush(g, fd);
    shoal_free(fd);
    *n_scanned = sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

static int scan_part(part *w) { return shoal_exec_scan_range(&w->g, w->lo, w->hi, &w->res.n_scanned, &w->res.n_skipped); }

static void *part_main(void *arg)
{
    part *w = arg;
    w->res.rc = scan_part(w);
    return NULL;
}

/* The parts' bounds: block-aligned, each with as many of the blocks the zone map does
 * not skip for the n_zr ranges zr (all of them without ranges) as the others. 0, or 1
 * when the scan is too small to split. */
int shoal_exec_split_bounds(exec *x, const plan *p, const int64_t *zr, int n_zr, int n, int asked, uint64_t *bound)
{
    uint64_t last = p->max_seq < shoal_reader_last_seq(x->r) ? p->max_seq : shoal_reader_last_seq(x->r);
    uint64_t n_blocks = (last + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK;
    uint8_t *keep = NULL;
    uint64_t n_keep = n_blocks;
    if (n_zr && n_blocks) {
        /* which blocks the scan will read (the zone map: a few reads a block) */
        if (!(keep = shoal_malloc(n_blocks))) return nomem(x);
        memset(keep, 0, n_blocks);
        n_keep = 0;
        for (uint64_t seq = 1; seq <= last;) {
            uint64_t next;
            int rc = shoal_zone_skip(x->r, seq, zr, n_zr, &next, x->err);
            if (rc) {
                shoal_free(keep);
                return rc;
            }
            if (next > last) break;
            uint64_t b = (next - 1) / SHOAL_ZONE_BLOCK;
            keep[b] = 1;
            n_keep++;
            seq = (b + 1) * SHOAL_ZONE_BLOCK + 1;
        }
    }
    if (n_keep * SHOAL_ZONE_BLOCK < (uint64_t)(asked ? 2 : n) * (asked ? SHOAL_ZONE_BLOCK : SCAN_PART_MIN) ||
        n_keep < (uint64_t)n) {
        shoal_free(keep);
        return 1;
    }
    /* part i starts at the block where the kept blocks before it reach i/n of them */
    bound[0] = 1;
    uint64_t seen = 0;
    int i = 1;
    for (uint64_t b = 0; b < n_blocks && i < n; b++) {
        if (keep && !keep[b]) continue;
        if (seen >= n_keep * (uint64_t)i / (uint64_t)n) bound[i++] = b * SHOAL_ZONE_BLOCK + 1;
        seen++;
    }
    for (; i < n; i++) bound[i] = last + 1;
    bound[n] = last + 1;
    shoal_free(keep);
    return 0;
}

/* ------------------------------------------------------------ merging */

/* accumulator b of part q (values in its arena) into a, the statement's, b after a */
static int merge_acc(exec *x, const ragg *ra, acc *a, const acc *b)
{
    if (!b->n) return 0;
    switch (ra->fn) {
    case F_COUNT: a->n += b->n; return 0;
    case F_SUM: case F_AVG: {
        int64_t s;
        if (!__builtin_add_overflow(a->isum, b->isum, &s)) a->isum = s;
        else shoal_xsum_add_int(&a->xs, b->isum);
        shoal_xsum_merge(&a->xs, &b->xs);
        a->num |= b->num;
        a->v.t = a->n == 0 || a->v.t == b->v.t ? b->v.t : V_NULL;
        a->n += b->n;
        return 0;
    }
    case F_MIN: case F_MAX: {
        int c;
        if (a->n == 0 || (shoal_val_cmp(x, &b->v, &a->v, &c) == 0 && (ra->fn == F_MIN ? c < 0 : c > 0))) {
            a->v = b->v;
            if (shoal_val_keep(x, &a->v)) return nomem(x);
        }
        a->n += b->n;
        return 0;
    }
    case F_FIRST: case F_LAST:
        if (a->n == 0 || ra->fn == F_LAST) {
            a->v = b->v;
            if (shoal_val_keep(x, &a->v)) return nomem(x);
        }
        a->n += b->n;
        return 0;
    default: {   /* median, quantile, stddev, variance: the values, in order */
        a->v.t = a->n == 0 || a->v.t == b->v.t ? b->v.t : V_NULL;
        uint32_t nv = a->n_vals + b->n_vals;
        if (nv > a->cap_vals) {
            double *v = shoal_arena_alloc(x->a, sizeof *v * nv);
            if (!v) return nomem(x);
            if (a->n_vals) memcpy(v, a->vals, sizeof *v * a->n_vals);
            a->vals = v;
            a->cap_vals = nv;
        }
        if (b->n_vals) memcpy(a->vals + a->n_vals, b->vals, sizeof *b->vals * b->n_vals);
        a->n_vals = nv;
        a->n += b->n;
        return 0;
    }
    }
}

/* part w's groups (a run over some of the sequences, after those of the groups in g)
 * into the statement's run g */
int shoal_exec_merge_run(run *g, run *wg)
{
    exec *x = g->x;
    plan *p = g->p;
    group **map = NULL;   /* the part's group id → the statement's group */
    if (shoal_exec_dset_drain(wg) || shoal_exec_dset_drain(g)) return nomem(x);
    if (wg->n_list && !(map = shoal_malloc(sizeof *map * wg->n_list))) return nomem(x);
    int rc = 0;
    for (size_t i = 0; i < wg->n_list && !rc; i++) {
        group *b = wg->list[i], *a = shoal_exec_find_group(g, b->keys);
        if (!a) {
            rc = nomem(x);
            break;
        }
        map[i] = a;
        for (int k = 0; k < p->n_raggs && !rc; k++)
            if (!p->raggs[k].distinct) rc = merge_acc(x, &p->raggs[k], &a->accs[k], &b->accs[k]);
    }
    /* DISTINCT: each of the part's (group, value) pairs into the statement's set, a
     * value new to the group added as one row would add it (an exact sum does not
     * depend on the order) */
    /* … but a count's packed set that comes into an empty one, its groups' ids the
     * statement's (the first part's, as a rule), is taken whole with its counts: half
     * of a 2-thread group speakers' pairs no longer re-added on one thread */
    int same_ids = 1;
    for (size_t i = 0; i < wg->n_list && same_ids; i++) same_ids = map[i]->id == wg->list[i]->id;
    for (int k = 0; k < p->n_raggs && !rc; k++) {
        if (!p->raggs[k].distinct) continue;
        dset *s = &wg->dsets[k], *d = &g->dsets[k];
        if (same_ids && p->raggs[k].fn == F_COUNT && s->pk && !d->n && !d->general && !d->cap) {
            shoal_exec_dset_free(d);
            *d = *s;
            memset(s, 0, sizeof *s);
            for (size_t i = 0; i < wg->n_list && !rc; i++)
                rc = merge_acc(x, &p->raggs[k], &map[i]->accs[k], &wg->list[i]->accs[k]);
            continue;
        }
        if (shoal_exec_dset_reserve(d, s->n)) {
            rc = nomem(x);
            break;
        }
        size_t it = 0;
        uint32_t gid;
        qval v;
        while (!rc && shoal_exec_dset_next(s, &it, &gid, &v)) {
            group *a = map[gid];
            if (p->raggs[k].fn == F_COUNT) {   /* queued and prefetched as a row's */
                int r = shoal_exec_dset_defer(g, k, a->id, &v);
                if (r < 0) rc = nomem(x);
                if (r <= 0) continue;
            }
            int r = shoal_exec_dset_add(x, &g->dsets[k], a->id, &v);
            if (r < 0) rc = nomem(x);
            else if (r > 0) rc = shoal_exec_acc_add(x, &p->raggs[k], &a->accs[k], &v, 1);
        }
    }
    if (!rc && shoal_exec_dset_drain(g)) rc = nomem(x);
    shoal_free(map);
    return rc;
}

/* what a run's groups hold (not its exec's arenas) */
void shoal_exec_run_free(run *g)
{
    for (int k = 0; k < g->p->n_raggs && g->dsets; k++) {
        shoal_exec_dset_free(&g->dsets[k]);
    }
    shoal_free(g->table);
    shoal_free(g->by_id);
    shoal_exec_gkey_free(g);
    shoal_free(g->list);
}

static void part_free(part *w)
{
    shoal_exec_run_free(&w->g);
    shoal_arena_free(w->x.a);
    shoal_arena_free(w->x.scratch);
    shoal_reader_close(w->r);
}

/* Parts 1..n-1 (each size bytes, from parts) run fn on threads of their own and part 0
 * on this one; returns when every part is done: 0, or the error of a thread that
 * could not be started (the parts that were are joined first; part 0 is not run). */
int shoal_exec_parts_settle(exec *x, const partres *res, size_t size, int n, int err0_is_x)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const partres *r = (const partres *)((const char *)res + (size_t)i * size);
        x->n_scanned += r->n_scanned;
        x->n_skipped += r->n_skipped;
        if (r->rc && !rc) {   /* the earliest part's error is the first in log order */
            if (i || !err0_is_x) *x->err = r->err;
            rc = r->rc;
        }
    }
    return rc;
}

int shoal_exec_run_parts(exec *x, int n, void *(*fn)(void *), void *parts, size_t size)
{
    pthread_t th[SCAN_MAX_THREADS];
    int started = 1, rc = 0;
    if (n > SCAN_MAX_THREADS) return shoal_err_set(x->err, SHOAL_EINVAL, -1, -1, "internal: %d parts", n);
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, fn, (char *)parts + (size_t)started * size)) {
            rc = shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "cannot start a thread");
            break;
        }
    if (!rc) fn(parts);
    for (int i = 1; i < started; i++) pthread_join(th[i], NULL);
    return rc;
}

/* ------------------------------------------------------------ the driver */

int shoal_exec_scan_split(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    int asked, n = shoal_exec_threads_wanted(&asked);
    if (n < 2 || split_why_not(p)) return 1;
    uint64_t bound[SCAN_MAX_THREADS + 1];
    int64_t range[2] = {p->range.lo, p->range.hi};
    int rc = shoal_exec_split_bounds(x, p, range, p->has_range, n, asked, bound);
    if (rc) return rc;
    part *parts = shoal_malloc(sizeof *parts * (size_t)n);
    if (!parts) return nomem(x);
    memset(parts, 0, sizeof *parts * (size_t)n);
    for (int i = 0; i < n && !rc; i++) {
        part *w = &parts[i];
        w->x = *x;
        w->x.err = &w->res.err;
        w->x.row = NULL;
        w->x.civ_ok = 0;
        w->x.a = shoal_arena_new();
        w->x.scratch = shoal_arena_new();
        w->g.x = &w->x;
        w->g.p = p;
        w->lo = bound[i];
        w->hi = bound[i + 1];
        /* the budget shared, the partition the statement's (exec_spill.c) */
        w->g.budget = g->budget / (uint64_t)n;
        w->g.part_bits = g->part_bits;
        w->g.part_val = g->part_val;
        /* a pass that writes partitions' files (exec_spill.c): a set of its own a part */
        /* (the first part counts them all: 1, too many files, the pass on one thread) */
        if (g->pw && (rc = shoal_exec_pw_fork(g, &w->g, i ? 1 : n))) break;
        w->g.seq_lo = w->lo;
        w->g.seq_hi = w->hi;
        if (!w->x.a || !w->x.scratch) {
            rc = nomem(x);
            break;
        }
        w->g.keybuf = shoal_arena_alloc(w->x.a, sizeof(qval) * (size_t)(p->n_keys + 1));
        w->g.dsets = shoal_arena_alloc(w->x.a, sizeof(dset) * (size_t)(p->n_raggs + 1));
        if (!w->g.keybuf || !w->g.dsets) {
            rc = nomem(x);
            break;
        }
        memset(w->g.dsets, 0, sizeof(dset) * (size_t)(p->n_raggs + 1));
        if (g->by_id) {
            w->g.n_by_id = g->n_by_id;
            w->g.by_ns = g->by_ns;
            if (!(w->g.by_id = shoal_malloc(sizeof(group *) * g->n_by_id))) {
                rc = nomem(x);
                break;
            }
            memset(w->g.by_id, 0, sizeof(group *) * g->n_by_id);
        }
        /* the first part reads through the statement's reader, on this thread */
        if (i && (rc = shoal_reader_fork(x->r, &w->r, x->err))) break;
        w->x.r = i ? w->r : x->r;
    }
    if (!rc) rc = shoal_exec_run_parts(x, n, part_main, parts, sizeof *parts);
    if (!rc) {
        rc = shoal_exec_parts_settle(x, &parts[0].res, sizeof *parts, n, 0);
        /* a part past its share of the budget: the pass is done again in partitions */
        for (int i = 0; i < n && !rc; i++)
            if (parts[i].g.over) {
                g->over = 1;
                g->over_at = parts[i].g.over_at;
                g->over_groups = parts[i].g.over_groups;
                g->over_bytes = parts[i].g.over_bytes * (size_t)n;   /* the other parts hold as much */
                rc = SHOAL_EXEC_OVER;
            }
        for (int i = 0; i < n && !rc; i++) rc = shoal_exec_merge_run(g, &parts[i].g);
        if (!rc && x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    }
    for (int i = 0; i < n; i++)
        if (parts[i].g.p) part_free(&parts[i]);
    shoal_free(parts);
    return rc;
}

/* EXPLAIN's line under the scan (over events, or the members' scan of the log,
 * exec_scanmem.c): 0 when the log is too small to split in any case */
int shoal_exec_split_explain(const plan *p, char *buf, size_t n)
{
    int asked, t = shoal_exec_threads_wanted(&asked);
    uint64_t least = asked ? 2 : (uint64_t)t * (SCAN_PART_MIN / SHOAL_ZONE_BLOCK);
    if (p->max_seq <= (least - 1) * SHOAL_ZONE_BLOCK) return 0;   /* too small to split in any case */
    const char *why = p->src == SRC_MEMBERS ? shoal_exec_members_why_not(p, NULL) : split_why_not(p);
    if (why) snprintf(buf, n, "on one thread: %s", why);
    else if (t < 2) snprintf(buf, n, "on one thread: %s", asked ? "SHOAL_THREADS=1" : "one processor online");
    else
        snprintf(buf, n, "on %d threads when it reads %d blocks or more (parts of the log, a read transaction each, "
                 "merged in sequence order)", t, (int)least);
    return 1;
}
