/* exec_int.h — what the executor's files (exec*.c) share: the run's state (run: its
 * groups, kept rows, live bits and member classes), and the small functions the hot
 * loops inline (a comparison's truth, a per-member comparison read from its array, a
 * property's value), and the functions that cross files, named shoal_exec_*.
 * Not for the planner: plan.h is what it hands the executor.
 */
#ifndef SHOAL_EXEC_INT_H
#define SHOAL_EXEC_INT_H

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "scan.h"

static inline void prop_val(const shoal_rprop *rp, qval *out)
{
    switch (rp->kind) {
    case SHOAL_VAL_BOOL: out->t = V_BOOL; out->u.i = rp->v.b; break;
    case SHOAL_VAL_INT: out->t = V_INT; out->u.i = rp->v.i; break;
    case SHOAL_VAL_NUM: out->t = V_NUM; out->u.d = rp->v.d; break;
    case SHOAL_VAL_STR:
        if (rp->v.s.id) {
            out->t = V_ID;
            out->ns = SHOAL_NS_STR;
            out->u.i = rp->v.s.id;
        } else {
            out->t = V_STR;
            out->u.s = rp->v.s.inl.ptr ? rp->v.s.inl.ptr : "";
            out->n = rp->v.s.inl.len;
        }
        break;
    default: out->t = V_NULL;
    }
}

static inline int num_of(const qval *v, double *d, int64_t *i)
{
    switch (v->t) {
    case V_BOOL: case V_INT: case V_TS: case V_DATE: case V_MONTH: case V_DUR:
        *i = v->u.i; *d = (double)v->u.i; return 1;
    case V_NUM: *d = v->u.d; return 2;
    default: return 0;
    }
}

static inline int cmp_op(int op, int c)
{
    switch (op) {
    case SHOAL_OP_EQ: return c == 0;
    case SHOAL_OP_NE: return c != 0;
    case SHOAL_OP_LT: return c < 0;
    case SHOAL_OP_LE: return c <= 0;
    case SHOAL_OP_GT: return c > 0;
    default: return c >= 0;
    }
}

static inline void set_bool(qval *out, int b)
{
    out->t = V_BOOL;
    out->u.i = b;
}

/* shoal_val_truthy, with the boolean case in line (conditions are mostly booleans) */
static inline int truth(const qval *v) { return v->t == V_BOOL ? v->u.i != 0 : shoal_val_truthy(v); }

/* Bits set in x, in line (without -mpopcnt the builtin is a library call per word) */
static inline int popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* A comparison of a narrow aggregate (plan.h) whose byte is v: 1 or 0, or -1 for
 * neither (a NaN score). */
static inline int mcmp_byte(const mcmp *c, int64_t v)
{
    if (v == 255 && c->g->fn == F_SCORE) return -1;
    if (c->ints) return cmp_op(c->sub, (v > c->ci) - (v < c->ci));
    return cmp_op(c->sub, ((double)v > c->cd) - ((double)v < c->cd));
}

/* Member m's count (or values seen) from its 4-byte array, or its bytes (n8) */
static inline __attribute__((always_inline)) uint32_t magg_count(const magg *g, uint32_t m)
{
    if (g->n) return g->n[m];
    if (!g->n8) return 0;
    return g->n8[m] < 255 ? g->n8[m] : shoal_count8_get(&g->big, m);
}

static inline __attribute__((always_inline)) int mcmp_at(const mcmp *c, uint32_t m, qval *out)
{
    if (c->g->narrow) {
        int r = mcmp_byte(c, c->g->c8[m]);
        if (r < 0) return 0;
        set_bool(out, r);
        return 1;
    }
    if (c->ints) {
        int64_t v = (int64_t)magg_count(c->g, m);
        set_bool(out, cmp_op(c->sub, (v > c->ci) - (v < c->ci)));
        return 1;
    }
    double v = c->g->fn == F_SCORE ? c->g->d[m] : (double)magg_count(c->g, m);
    if (v != v) return 0;
    set_bool(out, cmp_op(c->sub, (v > c->cd) - (v < c->cd)));
    return 1;
}

static inline int truthy(exec *x, const cx *e)
{
    qval v;
    shoal_exec_eval(x, e, &v);
    return v.t != V_NULL && truth(&v);
}

typedef struct group {
    uint64_t hash;
    qval *keys;
    acc *accs;
    uint32_t id;
} group;

#define DSET_PEND 16   /* a dset's queue of pairs (exec_group.c) */
typedef struct dset {     /* (group, value) pairs seen by one count(DISTINCT …) */
    uint64_t *hash;
    uint32_t *gid;
    qval *val;
    uint8_t *used;
    size_t cap, n;
    /* Packed (exec_group.c): while every value is of one type (and namespace) and a
     * 32-bit unsigned integer — an interned member, group or type, a small count — a
     * pair is one uint64 (group << 32 | value) in pk, UINT64_MAX for an empty slot:
     * one cache line a probe where the four arrays above are four. The first value
     * that does not pack moves them all there (general). */
    uint64_t *pk;
    size_t pcap;
    uint8_t pt, pns;      /* the packed values' type (0: none yet) and V_ID namespace */
    uint8_t general;
    /* count(DISTINCT …) in a group's rows: pairs queued with their slot prefetched,
     * looked up DSET_PEND rows later (shoal_exec_dset_defer), so that a row's miss in a
     * table of MBs overlaps the next rows' decoding; what reads the counts drains them
     * first (shoal_exec_dset_drain: the groups' emit, a part's merge) */
    uint8_t n_pend, h_pend;
    uint64_t pend[DSET_PEND];
} dset;

typedef struct wrow {     /* a row kept for its window functions (exec_window.c) */
    qval *base;        /* plan.wbase's values */
    qval *wv;          /* the windows' values, once computed */
} wrow;

typedef struct orow {
    qval *cols;
    qval *keys;
    uint64_t n;        /* production order: ties keep it */
} orow;

typedef struct run {
    exec *x;
    plan *p;
    shoal_fmt *f;
    /* groups */
    group **table;
    size_t cap, n_groups;
    group **list;
    size_t n_list, cap_list;
    dset *dsets;
    group **by_id;        /* GROUP BY one interned column: groups indexed by its id */
    uint32_t n_by_id;
    int by_ns;            /* by_id's namespace: a key of another kind or namespace is found by hash */
    struct gkeys *gk;     /* GROUP BY two to four small keys: their groups in dense cells (exec_gkey.c) */
    int gk_state;         /* 0 not yet tried, 1 on, -1 off */
    struct kmemo *km;     /* GROUP BY month(ts) and the like: the span of instants of each key's last value (exec_gkey.c) */
    int km_state;
    int64_t km_off;       /* … their zone's fixed offset, ms */
    /* rows */
    orow *rows;
    size_t n_rows, cap_rows;
    uint64_t n_made;
    shoal_arena *rows_a;   /* the kept rows' values; replaced when a top-K compacts */
    int64_t n_emitted, n_skipped;
    int stop;
    int cut;           /* ORDER BY … LIMIT k: rows[k-1] is the worst row kept (after a compaction) */
    qval *keytmp;      /* a new row's sort keys, before it is kept */
    cell *cells;
    char *digits;      /* 24 bytes a column: an integer cell's text */
    qval *colbuf, *keybuf;
    /* over members, when WHERE rejects a member without values or such members are
     * alike: a bit for every member some aggregate got a value for (a superset of those
     * with a value), set by the view reads and the scan, so that rows are made for
     * those only */
    uint64_t *live;
    int alike;             /* the members without values are one weighed row (shoal_plan_alike) */
    int rejects;           /* WHERE rejects a member without values (member 0) */
    int passed_only;       /* shoal_exec_passed_only: the reads leave live alone */
    int codes_all;         /* shoal_exec_codes_all: every member's code counted from its bytes, no live */
    /* … and when every per-member value is only compared with numbers, each member's
     * row is decided by which comparisons hold: its code, a bit each (tests) */
    int n_tests;
    mcmp tests[64];
    /* … of which those on narrow aggregates are decided by their bytes: a table per
     * such aggregate gives the bits of a byte value's code (bit 63: no code, a NaN) */
    int n_nar;
    const uint8_t *nar_c8[64];
    uint64_t *nar_tab[64];
    uint64_t wide;         /* the tests that read the value itself */
    group *last;           /* the group the last row went to */
    int rows_blk;          /* the rows that list members made a block at a time (exec_rows.c) */
    const qval *vargs;     /* the row's aggregates' values, evaluated for its block of members (exec_members.c) */
    /* ORDER BY a score LIMIT k (shoal_exec_top_bound): the members that can make the cut, found
     * while the score's view is read (shoal_exec_top_target, shoal_exec_read_views) */
    int top_slot;
    uint64_t *top_out;
    /* window functions: every row kept (its base values) until they are computed */
    wrow *wrows;
    size_t n_wrows, cap_wrows;
    shoal_arena *wrows_a;
    int win_final;         /* the rows now go out, their windows computed */
    /* the memory budget (exec_spill.c): the groups' bytes past which a pass over the
     * source stops (over, at the fraction over_at of its rows), and the hash partition
     * a pass keeps: a row whose keys' hash has (h >> 48) & (2^part_bits − 1) other than
     * part_val is left out */
    uint64_t budget;
    int over;
    double over_at;
    size_t over_groups;        /* … and the groups it had then, and their bytes */
    size_t over_bytes;
    uint64_t seq_lo, seq_hi;   /* the sequences the pass reads, for over_at */
    int part_bits;
    uint32_t part_val;
    /* while set, a row's keys and aggregates' values go to its partition's file, not to
     * a group (exec_spill.c: the groups past the budget, their rows written once) */
    struct pwriter *pw;
    uint32_t n_checked;
    int groups_out;            /* the groups went out already, partition by partition */
    /* ORDER BY past the budget: the sorted runs written so far (exec_spill.c) */
    struct spill *sp;
    /* GROUP BY of interned columns: the groups in dense cells, until emitted (exec_dense.c) */
    struct dense *dn;
    int sorted_in;             /* the rows come in ORDER BY's order already: streamed (exec_dense.c) */
    uint64_t held;             /* the per-member arrays' bytes, of the budget (exec_spill.c) */
} run;

/* exec_spill.c: a pass stopped by the budget (a positive rc, not an error) */
#define SHOAL_EXEC_OVER 2

/* bits |= (a[m] != 0) for the bytes a[0..n), 64 members a word (exec_members.c). */
void shoal_exec_or_nonzero8(uint64_t *bits, const uint8_t *a, size_t n);
/* (an error set already, the budget's from shoal_exec_hold, is the one returned) */
static inline int nomem(exec *x) { return x->err->code ? x->err->code : shoal_err_set(x->err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* What crosses the executor's files (each defined in the file named). */
/* exec_eval.c: e over a block of members (VBLOCK at most), and whether it can be. */
int shoal_exec_vec_ok(const cx *e);
int shoal_exec_veval(exec *x, shoal_arena *a, const cx *e, const uint32_t *ms, int n, qval *out);
/* exec_typed.c: e over a block of members as a typed column (its type, or -1 when it
 * has none there), a value and a not-NULL byte a member */
typedef union tval { int64_t i; double d; } tval;
enum { T_MIXED = 100 };   /* integers and numbers, each value's type in its not-NULL byte */
int shoal_exec_ttype(const plan *p, const cx *e);
int shoal_exec_teval(exec *x, shoal_arena *a, const cx *e, const uint32_t *ms, int n, tval *restrict v, uint8_t *restrict ok);
/* exec_group.c: a row from any source, filtered, then grouped or emitted */
int shoal_exec_process_row(run *g, const rowctx *r, const qval *where, const qval *keys, int64_t w);
group *shoal_exec_find_group(run *g, const qval *keys);
/* exec_gkey.c: the group of keys through the dense cells of small keys when they fit,
 * else shoal_exec_find_group; and the cells' memory */
typedef struct gkeys gkeys;
group *shoal_exec_gkey_group(run *g, const qval *keys);
void shoal_exec_gkey_free(run *g);
/* exec_gkey.c: the GROUP BY keys of the row in x->row into k */
void shoal_exec_eval_keys(run *g, qval *k);
void shoal_exec_acc_val(exec *x, const ragg *ra, const acc *a, qval *out);
/* exec_sort.c */
int shoal_exec_write_row(run *g, const qval *cols);
void shoal_exec_sort_rows(run *g);
int shoal_exec_emit(run *g, const rowctx *r);
int shoal_exec_keep_row(run *g, const qval *cols, const qval *keys, uint64_t named, uint64_t knamed);
int shoal_exec_keep_rows(run *g, const qval *r, size_t w, size_t n, const uint64_t *named, const uint64_t *knamed);
/* exec_rows.c: whether a statement's rows that list members can be made a block of
 * members at a time; a block's rows (WHERE held for each): 0, an error, or 1 when a
 * value met an error there (cleared: the block is to be made a row at a time) */
int shoal_exec_rows_ok(const plan *p);
int shoal_exec_rows_block(run *g, shoal_arena *a, const uint32_t *ms, int n);
int shoal_exec_read_score_top(run *g, magg *a);
int shoal_exec_scale_top(run *g, magg *a, double f);
int shoal_exec_top_bound(run *g, const uint64_t *live, uint64_t **res);
/* The heap of ORDER BY a score LIMIT k for a caller that makes the values itself (a score
 * less its tail in one pass over the view: exec_views.c): opened (1; 0 when the rows are
 * not such a top; or an error), offered each member's final value once, in any order,
 * and closed into g->top_out (the members worth a row) */
typedef struct topk topk;
int shoal_exec_top_open(run *g, topk **t);
void shoal_exec_top_offer_run(topk *t, uint32_t first, const double *d, size_t n);
void shoal_exec_top_offer(topk *t, uint32_t m, double v);
/* The heap's least (in its order: for ASC, minus the value) once k are offered, else
 * -inf: a run of members whose |value| is below it has none worth offering (a score's
 * bounds, shoal_view_score_bounded) */
double shoal_exec_top_least(const topk *t);
int shoal_exec_top_close(run *g, topk *t);
/* exec_window.c: a row into the window functions' buffer; then their values, and every
 * row out through shoal_exec_emit */
int shoal_exec_window_keep(run *g, const rowctx *r);
int shoal_exec_windows(run *g);
/* exec_group.c: the hash of a row's GROUP BY keys (the groups' table's) */
uint64_t shoal_exec_keys_hash(const qval *keys, int nk);
/* exec_spill.c: the bytes g's groups take; a grouped scan over events within the budget
 * (in hash partitions, each a pass, when it does not fit), its groups out through
 * shoal_exec_emit_groups; the finished groups out (HAVING, then emit) */
size_t shoal_exec_group_bytes(const run *g);
/* exec_spill.c: what a statement holds besides its groups and sorted rows, weighed
 * against the budget: bytes taken (0, or the error naming SET MEMORY_LIMIT: what, at
 * where/len in the statement), a per-member array taken through the session's cache
 * (NULL: out of the budget or of memory), and the budget left for groups and rows */
int shoal_exec_hold(exec *x, uint64_t bytes, const char *what, int where, int len);
void *shoal_exec_marray(exec *x, size_t bytes, int zero);
uint64_t shoal_exec_budget(const exec *x);
int shoal_exec_group_spill(run *g);
/* exec_spill.c: under a budget, the log's pages a scan has read leave the resident set
 * once what it has read is a share of the budget (the records' bytes noted as read, n
 * the records so far; let go at the end too, if it was let go before) */
typedef struct shoal_maprel {
    uint64_t every, next;
    uintptr_t lo, hi, map_lo, map_hi;
    int mapped, track;
} shoal_maprel;
void shoal_maprel_init(shoal_maprel *m, uint64_t budget, int n_parts);
void shoal_maprel_slow(shoal_maprel *m, const void *p, uint64_t n);
static inline void shoal_maprel_note(shoal_maprel *m, const void *p, uint64_t n)
{
    if (m->every != UINT64_MAX && p && (m->track || n >= m->next)) shoal_maprel_slow(m, p, n);
}
void shoal_maprel_end(shoal_maprel *m);
/* exec_spill.c: a row (its keys, w) written to its partition's file (g->pw): 0 or the error */
int shoal_exec_part_put(run *g, const qval *keys, int64_t w);
/* exec_spill.c: a part of a split pass (exec_scanpar.c) writing g's partitions: files of
 * its own (part->pw), read after those of the parts before it. 0, 1 when too many files
 * would be open (the pass then stays on one thread), or the error */
int shoal_exec_pw_fork(run *g, run *part, int n_parts);
int shoal_exec_emit_groups(run *g);
/* exec_spill.c: ORDER BY's kept rows past the budget: sorted, written as a run; and at
 * the end, the runs and the rows in memory merged out (offset, limit, ties) */
int shoal_exec_sort_spill(run *g);
int shoal_exec_sort_merge(run *g);
void shoal_exec_spill_free(run *g);
/* exec_sort.c: the kept rows' order (with their production order), for the runs */
int shoal_exec_row_cmp(const orow *a, const orow *b, run *g);
/* exec_group.c: one value into an accumulator, w times */
int shoal_exec_acc_add(exec *x, const ragg *ra, acc *a, const qval *v, int64_t w);
double shoal_exec_quantile(const double *v, uint32_t n, double p);   /* of n sorted values, interpolated */
double shoal_exec_variance(const double *v, uint32_t n);             /* the sample's (n − 1) */
/* exec_sort.c: rows a and b (their ORDER BY keys) in the statement's order: < 0, 0, > 0;
 * keys: compare the keys only (ties of WITH TIES) */
int shoal_exec_keys_cmp(const plan *p, exec *x, const qval *ka, const qval *kb);
/* exec.c: a switch the tests turn off with NAME=0 in the environment (they compare a
 * path with the one before it): 1 unless it is "0", read once into *on (-1: not yet) */
int shoal_exec_switch(_Atomic int *on, const char *name);
/* exec_group.c: v into set s for group (or member) gid: 1 when new, 0 when seen, -1 out of memory */
int shoal_exec_dset_add(exec *x, dset *s, uint32_t gid, qval *v);
/* exec_group.c: the pairs' memory (the struct is its holder's); its bytes; its pairs one
 * by one (*it from 0; 0 at the end) */
void shoal_exec_dset_free(dset *s);
size_t shoal_exec_dset_bytes(const dset *s);
int shoal_exec_dset_next(const dset *s, size_t *it, uint32_t *gid, qval *v);
/* exec_group.c: (gid, v) queued for a count(DISTINCT …) of g's aggregate k, the
 * oldest queued pair looked up instead and counted in its group when new; 0, -1 out of
 * memory, or 1 when v does not pack (the queue drained, the caller adds it) */
int shoal_exec_dset_defer(run *g, int k, uint32_t gid, const qval *v);
/* exec_group.c: every queued pair of g's sets looked up and counted; 0 or -1 */
int shoal_exec_dset_drain(run *g);
/* exec_group.c: room for n more packed pairs without growing (a merge's); 0 or -1 */
int shoal_exec_dset_reserve(dset *s, size_t n);
/* exec_scan.c: one event into a per-member distinct count or list of values (F_DCOUNT,
 * F_MEDIAN, F_QUANTILE, F_STDDEV, F_VARIANCE) for member m; 0 or the error */
int shoal_exec_magg_keep(exec *x, magg *a, uint32_t m, const shoal_rec *rec);
/* exec_scan.c */
int shoal_exec_scan_log(run *g, int members);
/* exec_scanpar.c: the scan over events on several threads; 1 when the statement stays
 * on one (what it evaluates, its size, SHOAL_THREADS), else 0 or the error */
int shoal_exec_scan_split(run *g);
/* exec_dense.c: a GROUP BY over events of interned columns with count, sum and avg of
 * properties, in dense cells (g->dn), on several threads; 1 when
 * the statement is not one (or gave up before any row went out), else 0 or the error */
int shoal_exec_scan_dense(run *g);
/* … its groups out (HAVING, then emit), in the order of their first rows; their memory */
int shoal_exec_dense_emit(run *g);
void shoal_exec_dense_free(run *g);
/* exec_scanpar.c: what a thread may evaluate; the threads a scan may use (*asked:
 * SHOAL_THREADS said); the parts' first sequences (bound[0..n], block-aligned, as many
 * blocks the zone map keeps for the ranges zr each): 0, or 1 when too small to split */
int shoal_exec_par_ok(const cx *e);
int shoal_exec_threads_wanted(int *asked);
int shoal_exec_split_bounds(exec *x, const plan *p, const int64_t *zr, int n_zr, int n, int asked, uint64_t *bound);
/* exec_scanpar.c: why a statement's groups cannot be made in parts and merged (NULL:
 * they can); the log's sequences [lo, hi) through g on the calling thread; part wg's
 * groups (of later sequences) merged into g; what a run's groups hold, freed */
const char *shoal_exec_groups_why_not(const plan *p);
int shoal_exec_scan_range(run *g, uint64_t lo, uint64_t hi, uint64_t *n_scanned, uint64_t *n_skipped);
int shoal_exec_merge_run(run *g, run *wg);
void shoal_exec_run_free(run *g);
/* exec_scanpar.c: parts 1..n-1 of parts (size bytes each) run fn on threads, part 0 on
 * this one; 0 when all ran, or the error of a thread not started */
int shoal_exec_run_parts(exec *x, int n, void *(*fn)(void *), void *parts, size_t size);
/* What a part of a split scan leaves (exec_scanpar.c, join.c, exec_scanmem.c): its
 * records read and skipped, its return and its error. */
typedef struct partres {
    uint64_t n_scanned, n_skipped;
    int rc;
    shoal_err err;
} partres;
/* The n parts' results after shoal_exec_run_parts, the first at res and each size bytes
 * after the one before: their records read and skipped added to x's, and the earliest
 * part's error (in log order) as the statement's (the first part's is in x->err already
 * when err0_is_x: its exec reported there). 0 or that error. */
int shoal_exec_parts_settle(exec *x, const partres *res, size_t size, int n, int err0_is_x);
/* exec_scan.c: one record into the per-member aggregates maggs (the plan's or a thread's) */
int shoal_exec_member_event(exec *x, const plan *p, magg *maggs, uint8_t *seen, uint64_t *live, const shoal_rec *rec);
/* The records of a scan over members that feed an aggregate, held a few records
 * (MSTAGE) between their member's arrays asked for (prefetched) and their values added
 * (shoal_exec_member_event), in log order: so that the arrays' cache misses, a random
 * member each, overlap the decoding of the records after. shoal_exec_member_stage
 * takes a record (seen's bit set at once; a record that feeds nothing goes no
 * further), shoal_exec_member_flush adds those still held; 0 or the first error. */
#define MSTAGE 8
typedef struct mstage {
    shoal_rec r[MSTAGE];
    unsigned head, count;
} mstage;
int shoal_exec_member_hold(exec *x, const plan *p, magg *maggs, uint64_t *live, mstage *st, const shoal_rec *rec);
static inline int shoal_exec_member_stage(exec *x, const plan *p, magg *maggs, uint8_t *seen, uint64_t *live,
                                          mstage *st, const shoal_rec *rec)
{
    uint32_t m = rec->member, t = rec->type;
    if (m == 0 || m > p->n_members || t > p->n_types) return 0;
    if (seen) seen[m >> 3] |= (uint8_t)(1u << (m & 7));
    if (!p->tl_start || p->tl_start[t] == p->tl_start[t + 1]) return 0;
    return shoal_exec_member_hold(x, p, maggs, live, st, rec);
}
int shoal_exec_member_flush(exec *x, const plan *p, magg *maggs, uint64_t *live, mstage *st);
/* exec_scanmem.c: the scan over members on several threads: 1 when it stays on one */
int shoal_exec_scan_split_members(run *g, uint8_t *seen, const int64_t *zr, int n_zr, int only_zr);
const char *shoal_exec_members_why_not(const plan *p, uint8_t *fed);
/* exec_views.c */
void shoal_exec_cell_of(const cx *e, int slot, double *lo, double *hi);
/* Whether a narrow aggregate i is read from a PER statement's kept counts
 * (read_sat_cum), its array then made by the read (alloc_maggs makes none). */
int shoal_exec_cum_reads(const exec *x, const plan *p, int i);
extern uint8_t shoal_exec_c8_none[1];   /* such an aggregate's bytes until read: member 0's (0) */
int shoal_exec_read_views(run *g);
/* exec_views.c: with a lazy existence (plan.exist_lazy), the top rows when their scores
 * are all above 0 (*proven, their bits in g->live), else the existence aggregate read
 * (its view and its edge from the log), as shoal_exec_read_views would have */
int shoal_exec_exist_lazy(run *g, int *proven);
/* exec_members.c */
int shoal_exec_narrow_maggs(run *g);
/* 1 when the classes of g's members are counted from the lists of the members that
 * passed each test (exec_members.c's passed_classes: WHERE rejects a member without
 * values, no existence aggregate, each test "at least" on a narrow count of its own
 * read from a view): the reads then need not mark who has a value (g->live). */
int shoal_exec_passed_only(const run *g);
/* 1 when the classes of g's members (no WHERE that rejects, its members alike) are
 * counted a word of members at a time from every member's bytes (fast_classes' ranges),
 * where a member without a value has member 0's bytes, so its code: the reads then
 * need not mark who has a value (g->live), nor the members without one be counted
 * apart; -1 when out of memory. */
int shoal_exec_codes_all(run *g);
int shoal_exec_member_rows(run *g);
/* cohort.c: the groups of a statement shoal_cohort_match took, from the view's index;
 * SHOAL_ENOTFOUND when the view has none (a table from before it) */
int shoal_cohort_rows(run *g, const shoal_cohort *c);

static inline int process(run *g, const rowctx *r) { return shoal_exec_process_row(g, r, NULL, NULL, 1); }

/* A grouped scan's rows folded a batch at a time (exec_scan.c): NULL when the statement
 * reads more of a row than its type, group and periods of its time, or counts more
 * than counts, min and max. Add a record with fold_slot and fold_take, and flush
 * once the scan is over. */
enum { FOLD_MAX = 1024, FOLD_SLOTS = 2048, FOLD_PER = 8 };

struct fold {
    int n, n_per, use_group, tz_fixed;
    int nd;                    /* the slots met in this batch */
    uint32_t gm;               /* ~0 when the group counts, else 0 */
    int64_t lo, hi;            /* the batch's earliest and latest instants */
    const cx *per[FOLD_PER];   /* the period functions of the time */
    uint64_t key[FOLD_SLOTS];   /* type | group << 32 (never 0: a type id is not), 0: empty */
    uint32_t first[FOLD_SLOTS], w[FOLD_SLOTS];
    uint16_t order[FOLD_MAX];   /* the slots met, in the order of their first rows */
    shoal_rec recs[FOLD_MAX];
};
typedef struct fold fold;
fold *shoal_exec_fold_new(run *g);
int shoal_exec_fold_flush(run *g, fold *f);
int shoal_exec_fold_scan(run *g, fold *f, scan_range *sr, shoal_maprel *mr, int64_t lo, int64_t hi);

/* The scan decodes a record straight into the batch's next slot (fold_slot) and keeps
 * it there (fold_take), or leaves it to be written over: a copy of the record from the
 * scan's own (the decoder's stores of 4 and 8 bytes read back as 16: a store forward
 * that fails) cost some 7 instructions a record and the stall. fold_take weighs the
 * record at once: its (type, group)'s slot (a type alone is its own slot, groups are
 * mixed in by a multiply) gets one more row, the first of a slot is kept as the row
 * that stands for the others, and the batch's span of instants grows; the flush then
 * only emits the slots (issue 17: the bench's full scan on an AMD EPYC). */
static inline shoal_rec *fold_slot(fold *f) { return &f->recs[f->n]; }

/* the slot of record i of the batch (its type and group r) */
static inline uint32_t fold_weigh(fold *f, const shoal_rec *r, uint32_t i)
{
    uint32_t gr = r->group & f->gm, t = r->type;
    uint64_t key = (uint64_t)gr << 32 | t;
    uint32_t h = (t + (gr * 0x9E3779B1u >> 12)) & (FOLD_SLOTS - 1);
    while (f->key[h] != key) {
        if (!f->key[h]) {
            f->key[h] = key;
            f->first[h] = i;
            f->w[h] = 0;
            f->order[f->nd++] = (uint16_t)h;
            break;
        }
        h = (h + 1) & (FOLD_SLOTS - 1);
    }
    return h;
}

static inline int fold_take(run *g, fold *f)
{
    const shoal_rec *r = &f->recs[f->n];
    int64_t ts = r->ts;
    f->lo = ts < f->lo ? ts : f->lo;
    f->hi = ts > f->hi ? ts : f->hi;
    f->w[fold_weigh(f, r, (uint32_t)f->n)]++;
    return ++f->n == FOLD_MAX ? shoal_exec_fold_flush(g, f) : 0;
}

/* fold_take of the k records from fold_slot on, all kept: the batch's span of instants
 * kept in registers meanwhile */
static inline int fold_take_all(run *g, fold *f, int k)
{
    int64_t lo = f->lo, hi = f->hi;
    uint32_t n = (uint32_t)f->n;
    for (uint32_t i = n, e = n + (uint32_t)k; i < e; i++) {
        const shoal_rec *r = &f->recs[i];
        lo = r->ts < lo ? r->ts : lo;
        hi = r->ts > hi ? r->ts : hi;
        f->w[fold_weigh(f, r, i)]++;
    }
    f->lo = lo, f->hi = hi;
    f->n = (int)n + k;
    return f->n == FOLD_MAX ? shoal_exec_fold_flush(g, f) : 0;
}

#endif
