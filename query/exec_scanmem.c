/* exec_scanmem.c — the log scan over members on several threads (issue 17): the
 * per-member aggregates that the log feeds (those no view covers, or a view's edges)
 * are accumulated by each thread over a contiguous part of the log's sequences (the
 * same parts as the scan over events, exec_scanpar.c: whole blocks, as many of the
 * blocks the zone map keeps each), the first part on the calling thread into the
 * statement's arrays, the others into arrays of their own, with a read transaction each
 * (shoal_reader_fork). Then the parts are merged into the statement's arrays in
 * sequence order, member by member, which gives the one-thread scan's values exactly:
 *
 * - count adds; first keeps the earlier instant, last the later (instants are
 *   integers: the order of the parts does not matter);
 * - sum and avg are exact sums (xsum.c) that merge to the same bits, and whether a
 *   double was seen is or-ed;
 * - who was seen (the members when they are not known without the scan) and which
 *   members got a value (run.live) are or-ed bitmaps;
 * - an error (text in a sum) is the earliest part's: the first in log order.
 *
 * Aggregates whose parts would not merge to the same bits or values (a score's double
 * sum, min and max, DISTINCT and the kept values of median and the like) keep the
 * statement on one thread, and so does a filter a thread cannot evaluate alone
 * (shoal_exec_par_ok). Each thread looks at the cancel flag every CANCEL_EVERY records.
 */
#include "exec_int.h"

#define MAX_PARTS 16

typedef struct mpart {
    exec x;                /* the statement's, with a scratch, error and reader of its own */
    partres res;           /* its records read and skipped, return and error (the first: x's) */
    shoal_reader *r;
    const plan *p;
    magg *maggs;           /* the plan's, with arrays of the part's own (the first: the plan's) */
    uint8_t *seen;
    uint64_t *live;
    const int64_t *zr;
    int n_zr, only_zr;
    uint64_t lo, hi;       /* the sequences [lo, hi) */
} mpart;

/* the log's sequences [w->lo, w->hi) into w's arrays, as shoal_exec_scan_log's loop */
static int mpart_scan(mpart *w)
{
    exec *x = &w->x;
    const plan *p = w->p;
    const int64_t *zr = w->zr;
    int n_zr = w->n_zr;
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, w->lo, w->hi < p->max_seq + 1 ? w->hi : p->max_seq + 1, zr, n_zr,
                             &w->res.n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    mstage ms;
    ms.head = ms.count = 0;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        int64_t ts = rec.ts;
        if (ts > p->cut_ts) continue;
        if (w->only_zr) {
            int in = 0;
            for (int i = 0; i < n_zr && !in; i++) in = ts >= zr[2 * i] && ts < zr[2 * i + 1];
            if (!in) continue;
        }
        if ((rc = shoal_exec_member_stage(x, p, w->maggs, w->seen, w->live, &ms, &rec))) break;
    }
    if (rc >= 0) {   /* the log's or the part's end: the records still held */
        int frc = shoal_exec_member_flush(x, p, w->maggs, w->live, &ms);
        if (frc) rc = frc;
    }
    w->res.n_scanned = sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

static void *mpart_main(void *arg)
{
    mpart *w = arg;
    w->res.rc = mpart_scan(w);
    return NULL;
}

/* the aggregates the scan feeds, marked in fed (p->n_maggs; NULL: not marked), and why
 * they keep the scan on one thread (NULL: they do not) */
const char *shoal_exec_members_why_not(const plan *p, uint8_t *fed)
{
    if (!p->tl_start) return "no aggregate is read from the log";
    for (uint32_t j = 0; j < p->tl_start[p->n_types + 1]; j++) {
        const magg *a = &p->maggs[p->tl[j]];
        if (fed) fed[p->tl[j]] = 1;
        switch (a->fn) {
        case F_COUNT: case F_FIRST: case F_LAST: case F_SUM: case F_AVG: break;
        default: return "an aggregate whose parts do not merge";
        }
        if (a->narrow) return "an aggregate read narrow";
        if (!shoal_exec_par_ok(a->filter)) return "an expression calls a function not known to be pure";
    }
    return NULL;
}

/* part w's arrays of the fed aggregates into the plan's, w after what they hold */
static void mpart_merge(const plan *p, const uint8_t *fed, mpart *w, uint64_t *live, uint8_t *seen)
{
    uint32_t nm = p->n_members;
    for (int k = 0; k < p->n_maggs; k++) {
        if (!fed[k]) continue;
        magg *a = &p->maggs[k];
        const magg *b = &w->maggs[k];
        for (uint32_t m = 1; m <= nm; m++) {
            uint32_t bn = b->n[m];
            if (!bn) continue;
            switch (a->fn) {
            case F_FIRST:
                if (!a->n[m] || b->i[m] < a->i[m]) a->i[m] = b->i[m];
                break;
            case F_LAST:
                if (!a->n[m] || b->i[m] > a->i[m]) a->i[m] = b->i[m];
                break;
            case F_SUM: case F_AVG: shoal_xsum_merge(&a->x[m], &b->x[m]); break;
            default: break;
            }
            a->n[m] += bn;
        }
        a->num |= b->num;
    }
    if (live)
        for (size_t i = 0; i <= nm / 64; i++) live[i] |= w->live[i];
    if (seen)
        for (size_t i = 0; i <= nm / 8; i++) seen[i] |= w->seen[i];
}

static void mpart_free(const plan *p, const uint8_t *fed, mpart *w)
{
    if (w->maggs)
        for (int k = 0; k < p->n_maggs; k++) {
            if (!fed[k]) continue;
            shoal_free_big(w->maggs[k].n), shoal_free_big(w->maggs[k].i), shoal_free_big(w->maggs[k].x);
        }
    shoal_free(w->maggs);
    shoal_free_big(w->live);
    shoal_free_big(w->seen);
    shoal_arena_free(w->x.a);
    shoal_arena_free(w->x.scratch);
    shoal_reader_close(w->r);
}

/* the bytes of a later part's arrays (mpart_init), weighed against the budget */
static uint64_t mpart_bytes(const run *g, const uint8_t *fed, const uint8_t *seen)
{
    const plan *p = g->p;
    uint64_t nm = (uint64_t)p->n_members + 1, b = 0;
    for (int k = 0; k < p->n_maggs; k++) {
        const magg *a = &p->maggs[k];
        if (!fed[k]) continue;
        b += nm * sizeof *a->n;
        if (a->fn == F_FIRST || a->fn == F_LAST) b += nm * sizeof *a->i;
        if (a->fn == F_SUM || a->fn == F_AVG) b += nm * sizeof *a->x;
    }
    return b + (g->live ? (nm / 64 + 1) * 8 : 0) + (seen ? nm / 8 + 1 : 0);
}

/* part w (not the first) with arrays of its own for the fed aggregates */
static int mpart_init(run *g, const uint8_t *fed, mpart *w, uint8_t *seen)
{
    exec *x = g->x;
    const plan *p = g->p;
    size_t nm = (size_t)p->n_members + 1;
    w->x = *x;
    w->x.err = &w->res.err;
    w->x.row = NULL;
    w->x.civ_ok = 0;
    w->x.a = shoal_arena_new();
    w->x.scratch = shoal_arena_new();
    if (!w->x.a || !w->x.scratch || !(w->maggs = shoal_malloc(sizeof *w->maggs * (size_t)p->n_maggs))) return nomem(x);
    memcpy(w->maggs, p->maggs, sizeof *w->maggs * (size_t)p->n_maggs);
    for (int k = 0; k < p->n_maggs; k++)
        if (fed[k]) w->maggs[k].n = NULL, w->maggs[k].i = NULL, w->maggs[k].x = NULL, w->maggs[k].num = 0;
    for (int k = 0; k < p->n_maggs; k++) {
        magg *a = &w->maggs[k];
        if (!fed[k]) continue;
        if (!(a->n = shoal_zalloc_big(nm * sizeof *a->n))) return nomem(x);
        if ((a->fn == F_FIRST || a->fn == F_LAST) && !(a->i = shoal_zalloc_big(nm * sizeof *a->i))) return nomem(x);
        if ((a->fn == F_SUM || a->fn == F_AVG) && !(a->x = shoal_zalloc_big(nm * sizeof *a->x))) return nomem(x);
    }
    if (g->live && !(w->live = shoal_zalloc_big((nm / 64 + 1) * sizeof *w->live))) return nomem(x);
    if (seen && !(w->seen = shoal_zalloc_big(nm / 8 + 1))) return nomem(x);
    return shoal_reader_fork(x->r, &w->r, x->err) ? x->err->code : (w->x.r = w->r, 0);
}

int shoal_exec_scan_split_members(run *g, uint8_t *seen, const int64_t *zr, int n_zr, int only_zr)
{
    exec *x = g->x;
    plan *p = g->p;
    int asked, n = shoal_exec_threads_wanted(&asked);
    if (n < 2 || !p->n_maggs) return 1;
    if (n > MAX_PARTS) n = MAX_PARTS;
    uint8_t *fed = shoal_malloc((size_t)p->n_maggs);
    if (!fed) return nomem(x);
    memset(fed, 0, (size_t)p->n_maggs);
    uint64_t bound[MAX_PARTS + 1];
    int rc;
    if (shoal_exec_members_why_not(p, fed) || (rc = shoal_exec_split_bounds(x, p, zr, n_zr, n, asked, bound)) == 1) {
        shoal_free(fed);
        return 1;
    }
    if (rc) {
        shoal_free(fed);
        return rc;
    }
    /* the later parts' arrays within the memory budget (exec_spill.c), else one thread */
    uint64_t held = x->mem_held, more = mpart_bytes(g, fed, seen) * (uint64_t)(n - 1);
    mpart *parts = x->mem_limit && held + more > x->mem_limit ? NULL : shoal_malloc(sizeof *parts * (size_t)n);
    if (!parts) {
        shoal_free(fed);
        return x->mem_limit && held + more > x->mem_limit ? 1 : nomem(x);
    }
    x->mem_held += more;
    memset(parts, 0, sizeof *parts * (size_t)n);
    for (int i = 0; i < n; i++) {
        mpart *w = &parts[i];
        w->p = p;
        w->zr = zr, w->n_zr = n_zr, w->only_zr = only_zr;
        w->lo = bound[i];
        w->hi = bound[i + 1];
        if (!i) {   /* the first part: the statement's exec and arrays, on this thread */
            w->x = *x;
            w->maggs = p->maggs;
            w->seen = seen;
            w->live = g->live;
            continue;
        }
        if (!rc) rc = mpart_init(g, fed, w, seen);
    }
    if (!rc) rc = shoal_exec_run_parts(x, n, mpart_main, parts, sizeof *parts);
    if (!rc) {
        rc = shoal_exec_parts_settle(x, &parts[0].res, sizeof *parts, n, 1);
        for (int i = 1; i < n && !rc; i++) mpart_merge(p, fed, &parts[i], g->live, seen);
        if (!rc && x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    }
    for (int i = 1; i < n; i++) mpart_free(p, fed, &parts[i]);
    x->mem_held = held;
    shoal_free(parts);
    shoal_free(fed);
    return rc;
}
