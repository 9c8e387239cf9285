/* exec_views.c — the view reads: the per-member aggregates that views answer (views.c
 * chose them) read into the same arrays a scan fills, a rise from its view and the
 * log's tail, a narrow score's cells; and the live bits of the members with a value.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define SHARES_POPCNT 1
#endif
#endif
#include <stdio.h>

#include "exec_int.h"

/* The values of score or rise slot that e treats as it treats 0, an empty member's:
 * narrows the open interval (*lo, *hi) around 0 to the thresholds it is compared with
 * (a value between the same thresholds as 0 compares as 0 does with each); any other
 * use leaves 0 alone (*lo = *hi = 0). */
void shoal_exec_cell_of(const cx *e, int slot, double *lo, double *hi)
{
    if (!e) return;
    if (e->op == X_MAGG && e->slot == slot) {
        *lo = *hi = 0;
        return;
    }
    if (e->op == X_CMP) {
        const cx *m = e->a, *c = e->b;
        if (c->op == X_MAGG) m = e->b, c = e->a;
        if (m->op == X_MAGG && m->slot == slot && c->op == X_CONST && (c->k.t == V_INT || c->k.t == V_NUM)) {
            double t = c->k.t == V_NUM ? c->k.u.d : (double)c->k.u.i;
            if (t > 0) *hi = t < *hi ? t : *hi;
            else if (t < 0) *lo = t > *lo ? t : *lo;
            else *lo = *hi = 0;   /* 0 itself, or NaN */
            return;
        }
    }
    shoal_exec_cell_of(e->a, slot, lo, hi);
    shoal_exec_cell_of(e->b, slot, lo, hi);
    shoal_exec_cell_of(e->c, slot, lo, hi);
    for (int i = 0; e->v && i < e->n; i++) shoal_exec_cell_of(e->v[i], slot, lo, hi);
}

/* bits |= the members whose score (d) or rise (d − d2) is not 0 and lies outside
 * (lo, hi): those it can set apart from an empty member (a NaN included). */
static inline int outside(double v, double lo, double hi) { return (v != 0) & !((lo < v) & (v < hi)); }

static void or_outside(uint64_t *bits, const double *d, const double *d2, size_t n, double lo, double hi)
{
    size_t m = 0;
#ifdef __SSE2__
    /* A score over every member: two at a time, a word of bits per 64 members, without
     * branches (a bit is as likely set as not). The same test as outside(): a NaN is
     * unequal to 0 and not between anything. */
    if (!d2) {
        const __m128d zero = _mm_setzero_pd(), vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi);
        for (; m + 64 <= n; m += 64) {
            uint64_t x = 0;
            for (size_t j = 0; j < 64; j += 2) {
                __m128d v = _mm_loadu_pd(&d[m + j]);
                __m128d in = _mm_and_pd(_mm_cmplt_pd(vlo, v), _mm_cmplt_pd(v, vhi));
                x |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, _mm_cmpneq_pd(v, zero))) << j;
            }
            bits[m >> 6] |= x;
        }
    }
#endif
    for (; m < n; m++)
        if (outside(d2 ? d[m] - d2[m] : d[m], lo, hi)) bits[m >> 6] |= (uint64_t)1 << (m & 63);
}

/* A score's tail subtracted: the members it touches, each with its raw sum before. */
typedef struct twas {
    uint32_t m;
    double raw;
} twas;
typedef struct tailsub {
    double *d;
    uint64_t *touched;
    twas *was;
    size_t n_was, cap_was;
    uint32_t n_members;
    int64_t t0;
    double h;
    int oom;
    /* Instead of d: each touched member's shares. A narrow score's cells need them only
     * for the members the tail touches (some 6k of 300k at a noon now): an array of
     * every member's (2.4 MB, in huge pages) cost a whole `shoal query` process 4 MB of
     * pages zeroed by the kernel for them. The shares are appended as they come (tab,
     * n_tab of them); tail_group then numbers the touched members in member order (rank:
     * per word of touched, the touched members before it) and groups each one's shares
     * in the order they came, which to_cells and tail_top_run add to the member's raw
     * sum one at a time, the double d[m] += gives. (A table hashed by member, probed per
     * share and per cell, grown and zeroed to 512 KB in each statement, cost the tiers
     * at a noon now some 0.1 ms of 1.16. Summed from 0 and then added to the raw sum,
     * session 15's way, the cells' doubles were not the rows': a cut equal to a tail
     * member's score, as printed, put it in the other class.) */
    int zero;
    int put_back;   /* with zero: a share in tab that is not <= 0 (one added, or a NaN) */
    struct tslot {
        uint32_t m;
        double v;
    } *tab;
    size_t n_tab, cap_tab;
    uint32_t *rank;
} tailsub;

/* Room in tab for n more */
static int tail_room(tailsub *s, size_t n)
{
    if (s->cap_tab - s->n_tab >= n) return 0;
    size_t c = s->cap_tab ? 2 * s->cap_tab : 4096;
    while (c - s->n_tab < n) c *= 2;
    struct tslot *t = shoal_realloc(s->tab, c * sizeof *t);
    if (!t) return -1;
    s->tab = t, s->cap_tab = c;
    return 0;
}

/* v into member m's (d[m] += v, or appended to tab, added by tail_group in the same
 * order of additions, so the same double) */
static inline int tail_add(tailsub *s, uint32_t m, double v)
{
    if (!s->zero) {
        s->d[m] += v;
        return 0;
    }
    if (s->n_tab == s->cap_tab && tail_room(s, 1)) return -1;
    s->tab[s->n_tab].m = m;
    s->tab[s->n_tab++].v = v;
    s->put_back |= !(v <= 0);
    return 0;
}

/* Member m's number among the touched ones (it is touched) */
static inline size_t tail_num(const tailsub *s, uint32_t m)
{
    return s->rank[m >> 6] + (size_t)popcount64(s->touched[m >> 6] & (((uint64_t)1 << (m & 63)) - 1));
}


static int tail_touch(tailsub *s, uint32_t m)
{
    if (s->touched[m >> 6] >> (m & 63) & 1) return 0;
    s->touched[m >> 6] |= (uint64_t)1 << (m & 63);
    if (s->zero) return 0;   /* (its slot is made by its first tail_add) */
    if (s->n_was == s->cap_was) {
        size_t c = s->cap_was ? s->cap_was * 2 : 1024;
        twas *nw = shoal_realloc(s->was, c * sizeof *nw);
        if (!nw) return -1;
        s->was = nw, s->cap_was = c;
    }
    s->was[s->n_was].m = m;
    s->was[s->n_was++].raw = s->d[m];
    return 0;
}

/* An hour's sums (shoal_view_score_hours) out of raw: relative to t0, a sum relative to
 * the hour's start is times 2^((start − t0)/h). */
static void hour_sub(void *ctx, int64_t start, const unsigned char *e, size_t n)
{
    tailsub *s = ctx;
    double f = exp2((double)(start - s->t0) / s->h);
    if (s->zero) {   /* each appended (tail_add's), marked (tail_touch's), in line */
        if (!n) return;
        if (s->oom || tail_room(s, n)) {
            s->oom = 1;
            return;
        }
        struct tslot *t = s->tab + s->n_tab;
        uint64_t *touched = s->touched;
        const uint32_t nm = s->n_members;
        size_t k = 0;
        int back = 0;
        for (size_t i = 0; i < n; i++, e += 12) {
            uint32_t m = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
            double v;
            memcpy(&v, e + 4, 8);
            if (m == 0 || m > nm) continue;
            touched[m >> 6] |= (uint64_t)1 << (m & 63);
            t[k].m = m, t[k++].v = -(v * f);
            back |= !(-(v * f) <= 0);
        }
        s->n_tab += k;
        s->put_back |= back;
        return;
    }
    for (size_t i = 0; i < n && !s->oom; i++, e += 12) {
        uint32_t m = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
        double v;
        memcpy(&v, e + 4, 8);
        if (m == 0 || m > s->n_members) continue;
        if (tail_touch(s, m) || tail_add(s, m, -(v * f))) {
            s->oom = 1;
            break;
        }
    }
}

/* The tail of a score or rise from the view (a->tail) into s, whose d, touched, t0
 * and h are set: each member it touches marked, and d[m] less the shares of their
 * events from the earlier bound on (with two, d2[m] less those from b_lo on). A score's:
 * the whole hours from the view's hour sums, the rest (at most half an hour from the
 * bound) from the log; a rise's from the log, the zone map jumping to it. */
static int tail_read(exec *x, const plan *p, magg *a, tailsub *s, int two)
{
    int64_t from = a->t_lo == INT64_MIN ? a->b_hi : a->b_lo;
    int64_t log_lo = from, log_hi = INT64_MAX, t0 = s->t0;
    double h = s->h;
    int add = 0, rc;
    if (a->fn == F_SCORE && (rc = shoal_view_score_hours(x->r, a->vname, from, &log_lo, &log_hi, &add, hour_sub, s, x->err)))
        return rc;
    if (s->oom) return nomem(x);
    if (log_lo >= log_hi) return 0;
    int64_t after[2] = {log_lo, log_hi};
    scan_range sr;
    if ((rc = scan_range_open(&sr, x->r, 1, UINT64_MAX, after, 1, &x->n_skipped, x->cancel, x->err))) return rc;
    shoal_rec rec;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        uint32_t m = rec.member, t = rec.type;
        if (rec.ts < log_lo || rec.ts >= log_hi || m == 0 || m > p->n_members || t > p->n_types || a->w[t] == 0)
            continue;
        if (tail_touch(s, m)) {
            rc = nomem(x);
            goto out;
        }
        double share = a->w[t] * exp2((double)(rec.ts - t0) / h);
        if (add) {   /* in the hour the view took out, but before from */
            if (tail_add(s, m, share)) {
                rc = nomem(x);
                goto out;
            }
            continue;
        }
        if (two && rec.ts >= a->b_lo) a->d2[m] -= share;
        if (rec.ts >= a->b_hi && tail_add(s, m, -share)) {
            rc = nomem(x);
            goto out;
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    x->n_scanned += sr.n;
out:
    scan_range_close(&sr);
    return rc;
}

/* The members whose score a view's remainder cannot give. The view's raw sum less the
 * shares of the events after a cut rounds (some 2^-53 of raw an event): a remainder
 * within 2^-20 of raw (or not finite) may be a share that later ones dwarf (a weight
 * of 1e20 after one of 1, or a half-life of a day and an event 50 days before the
 * others) or none at all, and rounding cannot tell them apart. Above 2^-20 of raw the
 * remainder is some earlier event's, good to n·2^-33 of itself for a member of n
 * events. */
static inline int score_unsure(double rem, double raw) { return !(rem > raw * 0x1p-20); }   /* (inf, NaN: 1) */

typedef struct mlist {
    uint32_t *m;
    size_t n, cap;
} mlist;

static int mlist_push(mlist *l, uint32_t m)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 256;
        uint32_t *nm = shoal_realloc(l->m, c * sizeof *nm);
        if (!nm) return -1;
        l->m = nm, l->cap = c;
    }
    l->m[l->n++] = m;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The exact scores at instant at of the events before b of the members l->m (sorted
 * here), into out[i] for l->m[i]: 0 when the member's first hour (view_score.c) starts
 * at or after b, else the scan's own sum, Σ w·2^((t − at)/h) over its events before b
 * in log order (exec_scan.c), read from the log from the earliest of those first
 * hours (all of it before b when the view keeps none). */
static int score_exact(exec *x, const plan *p, const magg *a, mlist *l, int64_t b, int64_t at, double *out)
{
    size_t n = l->n;
    if (!n) return 0;
    qsort(l->m, n, sizeof *l->m, cmp_u32);
    int64_t *from = shoal_malloc(n * sizeof *from);
    size_t nw = (size_t)p->n_members / 64 + 1;
    uint64_t *want = shoal_malloc(nw * sizeof *want);
    int rc = 0;
    if (!from || !want) {
        rc = nomem(x);
        goto out;
    }
    if ((rc = shoal_view_score_firsts(x->r, a->vname, l->m, n, from, x->err))) goto out;
    memset(want, 0, nw * sizeof *want);
    int64_t lo = INT64_MAX;
    size_t n_want = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
        if (from[i] >= b) continue;
        want[l->m[i] >> 6] |= (uint64_t)1 << (l->m[i] & 63);
        if (from[i] < lo) lo = from[i];
        n_want++;
    }
    if (!n_want) goto out;
    int64_t zr[2] = {lo, b};
    double h = (double)a->half_life;
    scan_range sr;
    if ((rc = scan_range_open(&sr, x->r, 1, UINT64_MAX, zr, 1, &x->n_skipped, x->cancel, x->err))) goto out;
    shoal_rec rec;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        uint32_t m = rec.member, t = rec.type;
        if (rec.ts >= b || m == 0 || m > p->n_members || !(want[m >> 6] >> (m & 63) & 1) || t > p->n_types) continue;
        size_t i = 0, j = n;   /* m's index in l->m */
        while (i < j) {
            size_t k = (i + j) / 2;
            if (l->m[k] < m) i = k + 1;
            else j = k;
        }
        out[i] += a->w[t] * exp2((double)(rec.ts - at) / h);
    }
    if (rc >= 0) x->n_scanned += sr.n, rc = 0;
    scan_range_close(&sr);
out:
    shoal_free(from);
    shoal_free(want);
    return rc;
}

/* rise from a score view. The view keeps per member raw = Σ w·2^((t−t0)/h) over all its
 * events, so the score at T of the events before B is (raw − the share of the events
 * from B on)·2^((t0−T)/h): only the events from the earlier bound on are read, from
 * the log, where the zone map jumps over the blocks that hold none (events arrive
 * mostly in time order, so that is the log's tail). A score's (one bound) comes from
 * the view's hour sums when it keeps them back to B's nearest hour boundary, with the
 * log's part less than half an hour (view_score.c). The subtraction loses about
 * (events)·2^-53 of raw, which the factor 2^((t0−T)/h) magnifies by up to
 * 2^((latest−T)/h): views.c serves rise only when that is at most RISE_MAX_HALF_LIVES
 * half-lives. A remainder that cannot tell a dwarfed share from rounding
 * (score_unsure) is taken from score_exact, so that a member with no event before B
 * scores 0 there and one with a dwarfed event scores its share, as the scan says. */
/* A score less its tail for ORDER BY it LIMIT k (read_rise's top): one pass over the
 * view's chunks writes d and offers each run to the heap while in cache, as at a now
 * after the latest event (shoal_exec_read_score_top), where read_rise copied every
 * member's raw sum into d, took the tail off there and passed over d again to scale it
 * (issue 17: the top 100 by engagement at noon, 2.4 MB copied and read twice more a
 * statement). The tail's shares are gathered first (tail_read's zero), grouped by
 * member in the order they came (tail_group), and a member's are added to its raw sum
 * one at a time in that order, as d[m] += did: the same doubles. A remainder that
 * score_unsure refuses is settled by score_exact after the pass and offered then. */
typedef struct tailtop {
    double *d;
    const uint64_t *touched;
    const uint32_t *rank;
    const size_t *off;   /* a touched member's (number k) shares: val[off[k]..off[k + 1]) */
    const double *val;
    double f;
    topk *t;
    mlist unsure;
    int oom;
    int skip_ok;   /* tail_skip_ok: runs whose bounds are below the heap's least passed over */
} tailtop;

static int tail_skip_ok(exec *x, const magg *a, const tailsub *s);

/* ts's shares (tab) grouped by member number (tail_num) into *off and *val, a stable
 * counting sort; ts->rank made too */
static int tail_group(tailsub *s, size_t **off, double **val)
{
    size_t nw = (size_t)s->n_members / 64 + 1, k = 0;
    if (!(s->rank = shoal_malloc(nw * sizeof *s->rank))) return -1;
    for (size_t w = 0; w < nw; w++) {
        s->rank[w] = (uint32_t)k;
        k += (size_t)popcount64(s->touched[w]);
    }
    size_t *o = shoal_malloc((k + 1) * sizeof *o);
    double *v = shoal_malloc((s->n_tab ? s->n_tab : 1) * sizeof *v);
    if (!o || !v) {
        shoal_free(o);
        shoal_free(v);
        return -1;
    }
    memset(o, 0, (k + 1) * sizeof *o);
    /* (each share's member number once, kept in its slot's m: tab is not read after) */
    for (size_t i = 0; i < s->n_tab; i++) o[(s->tab[i].m = (uint32_t)tail_num(s, s->tab[i].m)) + 1]++;
    for (size_t j = 1; j <= k; j++) o[j] += o[j - 1];   /* o[j]: where member j's start */
    for (size_t i = 0; i < s->n_tab; i++) v[o[s->tab[i].m]++] = s->tab[i].v;
    for (size_t j = k; j > 0; j--) o[j] = o[j - 1];   /* (each moved to its end: back) */
    o[0] = 0;
    *off = o, *val = v;
    return 0;
}

/* The members first + lo .. first + hi − 1 of a chunk (raw: its values): d written,
 * the tail's members less their shares, offered */
static void tail_top_span(tailtop *c, uint32_t first, const double *raw, size_t lo, size_t hi)
{
    double *d = c->d + first;
    const double f = c->f;
    shoal_view_score_into(c->d, first + (uint32_t)lo, raw + lo, hi - lo, f);
    size_t from = first + lo ? lo : 1;   /* member 0 is none */
    size_t a = first + lo, b = first + hi;   /* the members [a, b) */
    for (size_t w = a >> 6; hi > lo && w <= (b - 1) >> 6; w++)
        for (uint64_t bits = c->touched[w], k = c->rank[w]; bits; bits &= bits - 1, k++) {   /* (k: m's tail_num) */
            size_t m = w * 64 + (size_t)__builtin_ctzll(bits);
            if (m < a || m >= b) continue;
            double r = raw[m - first], v = r;
            for (size_t j = c->off[k]; j < c->off[k + 1]; j++) v += c->val[j];
            if (score_unsure(v, r)) {   /* left out of the offers until settled */
                if (mlist_push(&c->unsure, (uint32_t)m)) c->oom = 1;
                if (!c->oom) shoal_exec_top_offer_run(c->t, first + (uint32_t)from, d + from, m - first - from);
                from = m - first + 1;
                continue;
            }
            c->d[m] = v * f;
        }
    if (!c->oom && from < hi) shoal_exec_top_offer_run(c->t, first + (uint32_t)from, d + from, hi - from);
}

/* A chunk's members, those of a run of SHOAL_SCORE_BOUND_W whose bound B times f is
 * below the heap's least passed over (not read, d not written), as
 * into_array_top_bounded (exec_sort.c) at a now after the latest event: |raw·f| <= B·f
 * for each, and a tail member's value, raw less its shares when tail_skip_ok holds, is
 * at most raw and (one score_unsure refuses, the log's sum of its events of weights
 * >= 0) between 0 and some 2^-19·raw·f: none is worth offering, in either order. The
 * runs read one after another are one span. */
static void tail_top_run(void *ctx, uint32_t first, const double *raw, const void *bound, size_t n, double f1)
{
    (void)f1;   /* (1: the raw sums as kept) */
    tailtop *c = ctx;
    if (!bound || !c->skip_ok) {
        tail_top_span(c, first, raw, 0, n);
        return;
    }
    size_t lo = 0;   /* the span of runs to read: [lo, s) */
    for (size_t s = 0; s < n; s += SHOAL_SCORE_BOUND_W) {
        float b;
        memcpy(&b, (const char *)bound + s / SHOAL_SCORE_BOUND_W * sizeof b, sizeof b);
        if (!((double)b * c->f < shoal_exec_top_least(c->t))) continue;
        if (s > lo) tail_top_span(c, first, raw, lo, s);
        lo = s + SHOAL_SCORE_BOUND_W;
    }
    if (lo < n) tail_top_span(c, first, raw, lo, n);
}

/* 1 when done (the top found, d written), 0 when not such a top, or an error */
static int read_tail_top(run *g, exec *x, plan *p, magg *a)
{
    int64_t t0;
    int rc = shoal_view_score_t0(x->r, a->vname, &t0, x->err);
    if (rc || t0 == INT64_MIN) return rc;   /* (an empty view: read_rise) */
    topk *t = NULL;
    if ((rc = shoal_exec_top_open(g, &t)) <= 0) return rc;
    size_t nm = (size_t)p->n_members + 1, *off = NULL;
    double *val = NULL, *e = NULL;
    uint64_t *touched = shoal_malloc((nm / 64 + 1) * sizeof *touched);
    tailsub ts;
    memset(&ts, 0, sizeof ts);
    tailtop c = {0};
    if (!touched) goto oom;
    memset(touched, 0, (nm / 64 + 1) * sizeof *touched);
    double h = (double)a->half_life;
    ts.touched = touched, ts.n_members = p->n_members, ts.t0 = t0, ts.h = h, ts.zero = 1;
    if ((rc = tail_read(x, p, a, &ts, 0))) goto out;
    if (tail_group(&ts, &off, &val)) goto oom;
    c = (tailtop){a->d, touched, ts.rank, off, val, exp2((double)(t0 - a->t_hi) / h), t, {NULL, 0, 0}, 0,
                  tail_skip_ok(x, a, &ts)};
    int64_t t0b;
    if ((rc = shoal_view_score_bounded(x->r, a->vname, p->n_members, &t0b, 0, 0, tail_top_run, &c, x->err))) goto out;
    if (c.oom) goto oom;
    if (c.unsure.n) {
        if (!(e = shoal_malloc(c.unsure.n * sizeof *e))) goto oom;
        if ((rc = score_exact(x, p, a, &c.unsure, a->b_hi, a->t_hi, e))) goto out;
        for (size_t i = 0; i < c.unsure.n; i++) {
            uint32_t m = c.unsure.m[i];
            a->d[m] = e[i] / c.f;   /* (as read_rise: relative to t0, then times f) */
            a->d[m] *= c.f;
            shoal_exec_top_offer(t, m, a->d[m]);
        }
    }
    rc = shoal_exec_top_close(g, t);
    t = NULL;
    rc = rc ? rc : 1;
    goto out;
oom:
    rc = nomem(x);
out:
    if (t) shoal_exec_top_close(g, t);
    shoal_free(touched);
    shoal_free(ts.tab);
    shoal_free(ts.rank);
    shoal_free(off);
    shoal_free(val);
    shoal_free(e);
    shoal_free(c.unsure.m);
    return rc;
}

static int read_rise(run *g, exec *x, plan *p, magg *a, int top)
{
    if (top && a->fn == F_SCORE && a->tail) {
        int rc = read_tail_top(g, x, p, a);
        if (rc) return rc < 0 ? rc : 0;
    }
    size_t nm = (size_t)p->n_members + 1;
    int64_t t0;
    int rc = shoal_view_score_read(x->r, a->vname, p->n_members, a->d, &t0, 0, 0, x->err);
    if (rc) return rc;
    /* the score at t_lo (d2) is 0 without a start (and a score has none) */
    int two = a->fn == F_RISE && a->t_lo != INT64_MIN;
    if (t0 == INT64_MIN) {   /* an empty view */
        memset(a->d, 0, nm * sizeof *a->d);
        if (a->d2) memset(a->d2, 0, nm * sizeof *a->d2);
        return 0;
    }
    double h = (double)a->half_life;
    /* The raw sums of the members the tail touches, as they were before it: a member's
     * remainder is compared with its own raw sum (below). Only those members, not a
     * copy of the whole array (2.4 MB at 300k members, every statement). */
    uint64_t *touched = NULL;
    tailsub ts;
    memset(&ts, 0, sizeof ts);
    mlist uhi = {0}, ulo = {0};
    double *ehi = NULL, *elo = NULL;
    double f_hi = exp2((double)(t0 - a->t_hi) / h), f_lo = two ? exp2((double)(t0 - a->t_lo) / h) : 0;
    if (two) memcpy(a->d2, a->d, nm * sizeof *a->d2);
    if (a->tail) {
        if (!(touched = shoal_malloc((nm / 64 + 1) * sizeof *touched))) return nomem(x);
        memset(touched, 0, (nm / 64 + 1) * sizeof *touched);
        ts.d = a->d, ts.touched = touched, ts.n_members = p->n_members, ts.t0 = t0, ts.h = h;
        if ((rc = tail_read(x, p, a, &ts, two))) goto out;
        const twas *was = ts.was;
        for (size_t i = 0; i < ts.n_was; i++) {
            uint32_t m = was[i].m;
            if (score_unsure(a->d[m], was[i].raw) && mlist_push(&uhi, m)) goto oom;
            if (two && score_unsure(a->d2[m], was[i].raw) && mlist_push(&ulo, m)) goto oom;
        }
        /* those from the log (or 0), relative to t0 as the rest: / f, then · f below */
        if ((uhi.n && !(ehi = shoal_malloc(uhi.n * sizeof *ehi))) || (ulo.n && !(elo = shoal_malloc(ulo.n * sizeof *elo))))
            goto oom;
        if ((rc = score_exact(x, p, a, &uhi, a->b_hi, a->t_hi, ehi))) goto out;
        if ((rc = score_exact(x, p, a, &ulo, a->b_lo, a->t_lo, elo))) goto out;
        for (size_t i = 0; i < uhi.n; i++) a->d[uhi.m[i]] = ehi[i] / f_hi;
        for (size_t i = 0; i < ulo.n; i++) a->d2[ulo.m[i]] = elo[i] / f_lo;
    }
    if (top && !two && a->fn == F_SCORE) rc = shoal_exec_scale_top(g, a, f_hi);   /* the top found in the same pass */
    else
        for (size_t m = 0; m < nm; m++) a->d[m] *= f_hi;
    if (two)
        for (size_t m = 0; m < nm; m++) a->d2[m] *= f_lo;
    else if (a->d2 && a->fn == F_RISE)
        memset(a->d2, 0, nm * sizeof *a->d2);
    goto out;
oom:
    rc = nomem(x);
out:
    shoal_free(touched);
    shoal_free(ts.was);
    shoal_free(uhi.m);
    shoal_free(ulo.m);
    shoal_free(ehi);
    shoal_free(elo);
    return rc;
}

/* A narrow score (plan.h): each value's cell among the cuts, and with live, the bit of
 * each member whose value lies outside (lo, hi) (or_outside's rule). c8 is filled
 * with the cell of 0 beforehand: only the values outside it, (lo0, hi0) (a point
 * when 0 is a cut), are written. */
typedef struct cellctx {
    uint8_t *c8;
    uint64_t *live;
    const double *cuts;
    int n;
    double lo, hi, lo0, hi0;
    /* a tail (the events after now, which the view's sums hold) taken off: the members
     * it touches, and for each minus their shares relative to t0 (tail_read's zero) */
    const uint64_t *touched;
    const uint32_t *rank;   /* (tail_group's) */
    const size_t *off;
    const double *val;
    mlist unsure;   /* the tail's members whose remainder score_unsure refuses: later */
    int oom;
    /* raw_bounds of both intervals for the factor rf (every kept chunk has the same
     * one): rok 1 when they settled, 0 when not, -1 not asked yet */
    int rok;
    double rf, rlo, rhi, rlo0, rhi0;
    /* 1 when a tail member in a run the bounds place inside both intervals keeps the
     * cell of 0 (every weight >= 0 and every share of the tail taken off, none put
     * back): see to_cells */
    int tail_skip;
    /* with tail_skip, the tail's shares not grouped before the pass (no rank, off, val):
     * a tail member whose own raw sum lies inside both raw intervals keeps the cell of
     * 0 as one in such a run does, and the others are listed here with their raw sums
     * and factors, their shares added after the pass (defer_cells) */
    int defer;
    struct dmem {
        uint32_t m;
        double r, f;
    } *dl;
    size_t n_dl, cap_dl;
} cellctx;

/* The members of the runs of 16 whose bit is set in a word's four (to_cells) */
static const uint64_t run_mask[16] = {
    0, 0xFFFF, 0xFFFF0000, 0xFFFFFFFF, 0xFFFF00000000, 0xFFFF0000FFFF, 0xFFFFFFFF0000, 0xFFFFFFFFFFFF,
    0xFFFF000000000000, 0xFFFF00000000FFFF, 0xFFFF0000FFFF0000, 0xFFFF0000FFFFFFFF, 0xFFFFFFFF00000000,
    0xFFFFFFFF0000FFFF, 0xFFFFFFFFFFFF0000, 0xFFFFFFFFFFFFFFFF};

static inline uint8_t cell_at(const double *cuts, int n, double d)
{
    unsigned k = 0;
    for (int j = 0; j < n; j++) k += 2u * (d > cuts[j]) + (d == cuts[j]);
    return d != d ? 255 : (uint8_t)k;
}

/* A word of 64 members from raw[i] (member first + i on): x, those outside the live
 * interval, x0 (or x when same), those whose cell is not 0's; the tail's members are
 * left to the caller. Marks live and sets the cells. */
static void defer_push(cellctx *c, size_t first, size_t i, uint64_t b, const double *raw, double f);

static inline void word_cells(cellctx *c, size_t first, size_t i, uint64_t x, uint64_t x0, int same, const double *raw,
                              double f, int rawx)
{
    if (c->touched) {   /* the tail's members: below */
        uint64_t t = c->touched[(first + i) >> 6];
        /* With defer, listed here: with rawx (x and x0 from the raw intervals, 0 in
         * the runs not read) only those outside one of them, the others keeping the
         * cell of 0 (to_cells' essay); else all */
        if (c->defer && t) defer_push(c, first, i, rawx ? t & (x | x0) : t, raw, f);
        x &= ~t, x0 &= ~t;
    }
    if (c->live) c->live[(first + i) >> 6] |= x;
    for (uint64_t b = same ? x : x0; b; b &= b - 1) {
        size_t k = i + (size_t)__builtin_ctzll(b);
        c->c8[first + k] = cell_at(c->cuts, c->n, raw[k] * f);
    }
}

/* The raw sums r whose value fl(r·f) lies in (lo, hi), lo < 0 < hi, as the open
 * interval (*rlo, *rhi) of r: fl(r·f) is nondecreasing in r for f > 0, so *rhi is the
 * least r with fl(r·f) >= hi and *rlo the greatest with fl(r·f) <= lo, each found
 * from hi / f and lo / f a few steps of one ulp away (an infinite bound too: the r
 * past which r·f overflows). 0 when there is none to use: f not a positive finite
 * number, 0 not inside, or the steps do not settle. */
static int raw_bounds(double lo, double hi, double f, double *rlo, double *rhi)
{
    if (!(f > 0 && f < INFINITY && lo < 0 && hi > 0)) return 0;
    double r = hi / f;
    int k = 0;
    for (; k < 8 && r * f >= hi; k++) r = nextafter(r, -INFINITY);
    for (; k < 16 && r * f < hi; k++) r = nextafter(r, INFINITY);
    if (!(r * f >= hi) || !(nextafter(r, -INFINITY) * f < hi)) return 0;
    *rhi = r;
    r = lo / f, k = 0;
    for (; k < 8 && r * f <= lo; k++) r = nextafter(r, INFINITY);
    for (; k < 16 && r * f > lo; k++) r = nextafter(r, -INFINITY);
    if (!(r * f <= lo) || !(nextafter(r, INFINITY) * f > lo)) return 0;
    *rlo = r;
    return 1;
}

/* (aligned: with its start at 32 bytes past a multiple of 64, in two links of session
 * 15, the tiers at the day's end ran 0.80-0.84 ms in-process where at 0 or 16 past one,
 * in five others, they ran 0.75-0.77, the instructions the same) */
__attribute__((aligned(64))) static void to_cells(void *ctx, uint32_t first, const double *raw, const void *bound,
                                                  size_t n, double f)
{
    cellctx *c = ctx;
    const double lo = c->lo, hi = c->hi, lo0 = c->lo0, hi0 = c->hi0;
    const int same = lo == lo0 && hi == hi0;
    size_t i = 0;
    unsigned char needs[1024 / 64];   /* per word, its runs to read (the bounds') */
    size_t nw = 0;                    /* (words with needs) */
#ifdef __SSE2__
    /* With 0 inside both intervals (a score compared with thresholds above or below 0:
     * the tiers' engagement >= 200), a value is outside one when its raw sum is outside
     * that interval's raw bounds (raw_bounds): a compare or two per value, without the
     * product, where the loop below makes six (issue 17: to_cells was a quarter of the
     * tiers at noon; a NaN is outside either way). Found once a statement (the
     * nextafter steps were 2% of the tiers at noon, a chunk at a time). */
    if (c->rok < 0 || c->rf != f) {
        c->rf = f;
        c->rok = raw_bounds(lo, hi, f, &c->rlo, &c->rhi) && raw_bounds(lo0, hi0, f, &c->rlo0, &c->rhi0);
    }
    if ((first & 63) == 0 && c->rok) {
        const double rlo = c->rlo, rhi = c->rhi, rlo0 = c->rlo0, rhi0 = c->rhi0;
        const __m128d vrlo = _mm_set1_pd(rlo), vrhi = _mm_set1_pd(rhi), vrlo0 = _mm_set1_pd(rlo0),
                      vrhi0 = _mm_set1_pd(rhi0);
        /* The view's bounds (issue 17, session 17): a run of W members whose bound B
         * (every |raw| <= B, view_score.c) lies inside both raw intervals has every
         * value inside both, cell of 0 and no live bit, and is not read; at noon of
         * the bench's 10M events most runs are (the tiers' cut is 200, some 2.6k
         * members of 303k above it). A NaN bound is read. */
        enum { W = SHOAL_SCORE_BOUND_W, G = 64 / W };
        _Static_assert(G == 4, "a word's bounds are read as four floats");
        const double blo = rlo > rlo0 ? rlo : rlo0, bhi = rhi < rhi0 ? rhi : rhi0;
        if (bound) {
            nw = n / 64 < sizeof needs ? n / 64 : sizeof needs;
            /* A run is inside both when its bound is below bb (b < bhi and -b > blo; a
             * NaN is not). Its runs to read, and the lines of the tail's members (read
             * below), asked for at once with no branch (an address the run does not
             * need is the stack's): the runs left are far apart, so the hardware's
             * stream prefetch no longer brings them, and each one read waited for
             * memory (the tests, with a branch each, cost more mispredictions than the
             * skipped reads saved) */
            const double bb = bhi < -blo ? bhi : -blo;
            const __m128d vbb = _mm_set1_pd(bb);
            const char *dummy = (const char *)needs;
            for (size_t w = 0; w < nw; w++) {
                __m128 b4 = _mm_loadu_ps((const float *)((const unsigned char *)bound + w * G * sizeof(float)));
                unsigned need = (unsigned)_mm_movemask_pd(_mm_cmpnlt_pd(_mm_cvtps_pd(b4), vbb)) |
                                (unsigned)_mm_movemask_pd(_mm_cmpnlt_pd(_mm_cvtps_pd(_mm_movehl_ps(b4, b4)), vbb)) << 2;
                needs[w] = (unsigned char)need;
                const char *q = (const char *)(raw + w * 64);
#pragma GCC unroll 4
                for (int g = 0; g < G; g++) {   /* (unrolled: its loop's count and test were a tenth of to_cells) */
                    uintptr_t mk = (uintptr_t)0 - (need >> g & 1);
                    /* (the select made on integers: a pointer moved by a wrapped offset is undefined) */
                    const char *p0 =
                        (const char *)((uintptr_t)dummy + (((uintptr_t)(q + g * W * 8) - (uintptr_t)dummy) & mk));
                    __builtin_prefetch(p0);   /* (a run's 128 bytes span three lines: the map's values start 16 bytes into a page) */
                    __builtin_prefetch(p0 + 64);
                    __builtin_prefetch(p0 + (W * 8 - 1));
                }
                if (c->touched && !c->defer) {
                    /* (with tail_skip, few: a branch each is cheaper than a select per line;
                     * with defer, none: the members listed are in runs read, whose lines
                     * are asked for above) */
                    uint64_t t = c->touched[(first >> 6) + w] & (c->tail_skip ? run_mask[need] : ~(uint64_t)0);
                    for (; t; t &= t - 1) __builtin_prefetch(raw + w * 64 + (size_t)__builtin_ctzll(t));
                }
            }
        }
        for (; i + 64 <= n; i += 64) {
            unsigned need = i / 64 < nw ? needs[i / 64] : (1u << G) - 1;
            if (!need) continue;
            uint64_t x = 0, x0 = 0;
            for (unsigned gm = need; gm; gm &= gm - 1)
#pragma GCC unroll 8
                for (size_t j = (size_t)__builtin_ctz(gm) * W, e = j + W; j < e; j += 2) {
                    __m128d r = _mm_loadu_pd(&raw[i + j]);
                    x |= (uint64_t)_mm_movemask_pd(_mm_or_pd(_mm_cmpnlt_pd(r, vrhi), _mm_cmpngt_pd(r, vrlo))) << j;
                    if (!same)
                        x0 |= (uint64_t)_mm_movemask_pd(_mm_or_pd(_mm_cmpnlt_pd(r, vrhi0), _mm_cmpngt_pd(r, vrlo0))) << j;
                }
            word_cells(c, first, i, x, x0, same, raw, f, 1);
        }
    }
    /* Two at a time, a word of bits per 64 members (runs start at multiples of 1024),
     * as or_outside does */
    if ((first & 63) == 0) {
        const __m128d zero = _mm_setzero_pd(), vf = _mm_set1_pd(f), vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi),
                      vlo0 = _mm_set1_pd(lo0), vhi0 = _mm_set1_pd(hi0);
        for (; i + 64 <= n; i += 64) {
            uint64_t x = 0, x0 = 0;
            for (size_t j = 0; j < 64; j += 2) {
                __m128d d = _mm_mul_pd(_mm_loadu_pd(&raw[i + j]), vf), nz = _mm_cmpneq_pd(d, zero);
                __m128d in = _mm_and_pd(_mm_cmplt_pd(vlo, d), _mm_cmplt_pd(d, vhi));
                x |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, nz)) << j;
                if (!same) {
                    in = _mm_and_pd(_mm_cmplt_pd(vlo0, d), _mm_cmplt_pd(d, vhi0));
                    x0 |= (uint64_t)_mm_movemask_pd(_mm_andnot_pd(in, nz)) << j;
                }
            }
            word_cells(c, first, i, x, x0, same, raw, f, 0);
        }
    }
#endif
    const size_t words_done = i;   /* (with defer, the tail's members before it are listed) */
    for (; i < n; i++) {
        size_t m = first + i;
        if (c->touched && (c->touched[m >> 6] >> (m & 63) & 1)) continue;
        double d = raw[i] * f;
        if (c->live && outside(d, lo, hi)) c->live[m >> 6] |= (uint64_t)1 << (m & 63);
        if (outside(d, lo0, hi0)) c->c8[m] = cell_at(c->cuts, c->n, d);
    }
    if (!c->touched || (c->defer && words_done == n)) return;
    /* The tail's members: raw less their shares after now; those whose remainder
     * cannot be told from rounding (score_unsure) are settled after, as read_rise's.
     * With tail_skip, one in a run the bounds place inside both intervals (raw <= B <
     * bb) keeps the cell of 0 and no live bit, and is not read: its shares all taken
     * off, each a subtraction that rounds to at most what it subtracts from, its v is
     * at most raw, so below hi; a v above raw·2^-20 is above 0, so above lo; and a v
     * score_unsure refuses is the log's sum of events whose weights are >= 0, at least
     * 0 and at most about 2^-19·raw·f (rounding is some 2^-53 of raw an event), so
     * below hi too. */
    for (size_t w = first >> 6; w <= (first + n - 1) >> 6 && n; w++) {
        size_t wi = w - (first >> 6);
        uint64_t all = c->touched[w], b = all;
        if (c->tail_skip && wi < nw) b &= run_mask[needs[wi]];
        if (c->defer) {   /* (the words' members listed by word_cells: those after them) */
            for (b = all; b; b &= b - 1) {
                size_t m = w * 64 + (size_t)__builtin_ctzll(b);
                if (m >= first + words_done && m < first + n) defer_push(c, first, m - first, 1, raw, f);
            }
            continue;
        }
        for (; b; b &= b - 1) {
            size_t m = w * 64 + (size_t)__builtin_ctzll(b);
            if (m < first || m >= first + n) continue;
            size_t k = c->rank[w] + (size_t)popcount64(all & (((uint64_t)1 << (m & 63)) - 1));   /* (m's tail_num) */
            double r = raw[m - first], v = r;
            for (size_t j = c->off[k]; j < c->off[k + 1]; j++) v += c->val[j];
            if (score_unsure(v, r)) {
                if (mlist_push(&c->unsure, (uint32_t)m)) c->oom = 1;
                continue;
            }
            double d = v * f;
            if (c->live && outside(d, lo, hi)) c->live[m >> 6] |= (uint64_t)1 << (m & 63);
            c->c8[m] = cell_at(c->cuts, c->n, d);
        }
    }
}

/* 1 when every weight of a's score is >= 0 and every one of the tail's n shares (val)
 * is taken off (<= 0: none put back), so that to_cells may pass over a tail member whose
 * raw sum its bounds place inside the intervals */
static int tail_skip_ok(exec *x, const magg *a, const tailsub *s)
{
    uint32_t n_types = shoal_dict_count(x->r, SHOAL_NS_TYPE);
    for (uint32_t id = 0; id <= n_types; id++)
        if ((a->types[id >> 3] >> (id & 7) & 1) && !(a->w[id] >= 0)) return 0;
    return !s->put_back;   /* (noted as the shares came: a pass over them here was a tenth of the tail's time) */
}

/* The members of b (bits from member first + i on) onto c->dl, each with its raw sum
 * and f */
static void defer_push(cellctx *c, size_t first, size_t i, uint64_t b, const double *raw, double f)
{
    if (c->cap_dl - c->n_dl < 64) {
        size_t nc = c->cap_dl ? 2 * c->cap_dl : 1024;
        struct dmem *nd = shoal_realloc(c->dl, nc * sizeof *nd);
        if (!nd) {
            c->oom = 1;
            return;
        }
        c->dl = nd, c->cap_dl = nc;
    }
    struct dmem *d = c->dl + c->n_dl;
    for (; b; b &= b - 1, d++) {
        size_t k = i + (size_t)__builtin_ctzll(b);
        d->m = (uint32_t)(first + k), d->r = raw[k], d->f = f;
    }
    c->n_dl = (size_t)(d - c->dl);
}

static int cmp_dmem(const void *a, const void *b)
{
    uint32_t x = ((const struct dmem *)a)->m, y = ((const struct dmem *)b)->m;
    return (x > y) - (x < y);
}

/* Every share of s added, a listed member's (a bit in touched, its number rank[word] +
 * the bits below it there) to v[its number] and the others' to v[n + i % 8], without a
 * branch on which (listed or not is a coin toss: a branch on it was a third of
 * defer_cells' time, mispredicted; and one slot for the others made their adds wait
 * each on the one before). Made twice: with the processor's POPCNT (HW) and without. */
static inline __attribute__((always_inline)) void shares_into(const tailsub *s, const uint64_t *touched,
                                                              const uint32_t *rank, double *v, size_t n, const int HW)
{
    for (size_t i = 0; i < s->n_tab; i++) {
        uint32_t m = s->tab[i].m;
        uint64_t t = touched[m >> 6], below = t & (((uint64_t)1 << (m & 63)) - 1);
        size_t k = rank[m >> 6] + (size_t)(HW ? __builtin_popcountll(below) : popcount64(below)), in = t >> (m & 63) & 1;
        k = (k & (0 - in)) | ((n + (i & 7)) & (in - 1));
        v[k] += s->tab[i].v;
    }
}

#ifdef SHARES_POPCNT
static __attribute__((target("popcnt"), noinline)) void shares_hw(const tailsub *s, const uint64_t *touched,
                                                                  const uint32_t *rank, double *v, size_t n)
{
    shares_into(s, touched, rank, v, n, 1);
}
#endif

static __attribute__((noinline)) void shares_sw(const tailsub *s, const uint64_t *touched, const uint32_t *rank,
                                                double *v, size_t n)
{
    shares_into(s, touched, rank, v, n, 0);
}

/* The cells of the tail members to_cells listed (c->dl): each one's raw sum plus its
 * shares in the order they came (tab, as tail_group's groups and d[m] += gave: the
 * same doubles), then as to_cells' loop of the tail's members. touched is reused for
 * the listed members' bits. */
static int defer_cells(cellctx *c, const tailsub *s, uint64_t *touched, uint8_t *c8)
{
    size_t nw = (size_t)s->n_members / 64 + 1, n = c->n_dl;
    struct dmem *dl = c->dl;
    for (size_t k = 1; k < n; k++)
        if (dl[k].m <= dl[k - 1].m) {   /* (the chunks come in member order: not expected) */
            qsort(dl, n, sizeof *dl, cmp_dmem);
            break;
        }
    uint32_t *rank = shoal_malloc(nw * sizeof *rank);
    double *v = shoal_malloc((n + 8) * sizeof *v);   /* (v[n..n + 8): the other members' shares, not read) */
    if (!rank || !v) {
        shoal_free(rank);
        shoal_free(v);
        return -1;
    }
    memset(touched, 0, nw * sizeof *touched);
    memset(rank, 0, nw * sizeof *rank);   /* (a word without listed members: its rank is not used) */
    for (size_t k = n; k-- > 0;) {   /* (down: a word's rank is its first listed member's number) */
        touched[dl[k].m >> 6] |= (uint64_t)1 << (dl[k].m & 63);
        rank[dl[k].m >> 6] = (uint32_t)k;
        v[k] = dl[k].r;
    }
    for (size_t i = 0; i < 8; i++) v[n + i] = 0;
#ifdef SHARES_POPCNT
    if (CPU_FEATURE_ACTIVE(POPCNT)) shares_hw(s, touched, rank, v, n);
    else
#endif
        shares_sw(s, touched, rank, v, n);
    int oom = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t m = dl[k].m;
        if (score_unsure(v[k], dl[k].r)) {
            if (mlist_push(&c->unsure, m)) oom = 1;
            continue;
        }
        double d = v[k] * dl[k].f;
        if (c->live && outside(d, c->lo, c->hi)) c->live[m >> 6] |= (uint64_t)1 << (m & 63);
        c8[m] = cell_at(c->cuts, c->n, d);
    }
    shoal_free(rank);
    shoal_free(v);
    return oom ? -1 : 0;
}

/* A narrow score's cells from its view: the cell of 0 everywhere, then the others.
 * With a tail (now before the latest event), the tail's shares are gathered first for
 * the members it touches only (tail_read), and those members' cells are made from raw
 * less them: no array of every member's score (issue 17: the tiers at noon). */
static int read_score_cells(run *g, magg *a)
{
    exec *x = g->x;
    size_t nm = (size_t)g->p->n_members + 1, nw = nm / 64 + 1;
    cellctx c = {a->c8, g->live, a->cuts, a->n_cuts, a->live_lo, a->live_hi, -INFINITY, INFINITY, NULL, NULL, NULL, NULL, {NULL, 0, 0}, 0, -1, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    for (int j = 0; j < a->n_cuts; j++) {   /* the cell of 0: between the cuts around it, or 0 itself */
        if (a->cuts[j] < 0) c.lo0 = a->cuts[j];
        else if (a->cuts[j] > 0 && c.hi0 == INFINITY) c.hi0 = a->cuts[j];
        else if (a->cuts[j] == 0) c.lo0 = c.hi0 = 0;
    }
    if (!c.live) c.lo = c.lo0, c.hi = c.hi0;   /* (no bits of who has a value: the cells alone) */
    int64_t t0, now = a->tail ? a->t_hi : g->p->now;
    uint64_t *touched = NULL;
    tailsub ts;
    memset(&ts, 0, sizeof ts);
    size_t *off = NULL;
    double *val = NULL;
    int rc = 0;
    if (a->tail) {
        if ((rc = shoal_view_score_t0(x->r, a->vname, &t0, x->err))) return rc;
        if (t0 != INT64_MIN) {   /* (an empty view: every score 0) */
            if (!(touched = shoal_malloc(nw * sizeof *touched))) {
                rc = nomem(x);
                goto out;
            }
            memset(touched, 0, nw * sizeof *touched);
            ts.touched = touched, ts.n_members = g->p->n_members, ts.t0 = t0, ts.h = (double)a->half_life, ts.zero = 1;
            if ((rc = tail_read(x, g->p, a, &ts, 0))) goto out;
            c.touched = touched;
            c.tail_skip = tail_skip_ok(x, a, &ts);
            /* (SHOAL_TAIL_DEFER=0: grouped first, as before session 20) */
            static _Atomic int defer_on = -1;
            c.defer = c.tail_skip && shoal_exec_switch(&defer_on, "SHOAL_TAIL_DEFER");
            if (!c.defer) {
                if (tail_group(&ts, &off, &val)) {
                    rc = nomem(x);
                    goto out;
                }
                c.rank = ts.rank, c.off = off, c.val = val;
            }
        }
    }
    memset(a->c8, cell_at(a->cuts, a->n_cuts, 0), nm);
    rc = shoal_view_score_bounded(x->r, a->vname, g->p->n_members, &t0, now, a->half_life, to_cells, &c, x->err);
    if (!rc && c.oom) rc = nomem(x);
    if (!rc && c.n_dl && defer_cells(&c, &ts, touched, a->c8)) rc = nomem(x);
    if (!rc && c.unsure.n) {   /* the scores score_unsure refused, from score_exact */
        double *e = shoal_malloc(c.unsure.n * sizeof *e);
        if (!e) {
            rc = nomem(x);
            goto out;
        }
        if (!(rc = score_exact(x, g->p, a, &c.unsure, a->b_hi, a->t_hi, e)))
            for (size_t i = 0; i < c.unsure.n; i++) {
                uint32_t m = c.unsure.m[i];
                if (c.live && outside(e[i], c.lo, c.hi)) c.live[m >> 6] |= (uint64_t)1 << (m & 63);
                a->c8[m] = cell_at(a->cuts, a->n_cuts, e[i]);
            }
        shoal_free(e);
    }
out:
    shoal_free(touched);
    shoal_free(ts.tab);
    shoal_free(ts.rank);
    shoal_free(off);
    shoal_free(val);
    shoal_free(c.unsure.m);
    shoal_free(c.dl);
    return rc;
}

/* bits (zeroed, n / 64 + 1 words) = the members whose byte of b[0..n) is not 0 */
static void nonzero_bits(const uint8_t *b, size_t n, uint64_t *bits)
{
    size_t m = 0;
#ifdef __SSE2__
    /* (64 bytes a word: four compares with 0, their masks joined) */
    const __m128i z = _mm_setzero_si128();
    for (; m + 64 <= n; m += 64) {
        uint64_t eq = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(b + m)), z)) |
                      (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(b + m + 16)), z)) << 16 |
                      (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(b + m + 32)), z)) << 32 |
                      (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(b + m + 48)), z)) << 48;
        bits[m >> 6] = ~eq;
    }
#endif
    for (; m < n; m++) bits[m >> 6] |= (uint64_t)(b[m] != 0) << (m & 63);
}

/* Keeps a's counts for the next period's read (read_exist_cum). */
static int keep_cum(shoal_cumread *c, const plan *p, const magg *a)
{
    size_t nm = (size_t)p->n_members + 1;
    if (!c->counts || c->n_members != p->n_members) {
        shoal_free(c->counts);
        if (!(c->counts = shoal_malloc(nm * sizeof *c->counts))) return 0;   /* nothing kept: the next reads all */
    }
    memcpy(c->counts, a->n, nm * sizeof *c->counts);
    snprintf(c->vname, sizeof c->vname, "%s", a->vname);
    c->series = a->vseries;
    c->n_members = p->n_members;
    c->day_lo = a->day_lo;
    c->day_hi = a->day_hi;
    return 0;
}

/* Who the members were as of a PER period's end (the existence aggregate, a count of
 * every event from the first day on): the previous period's counts (x->cum) and the
 * days since, instead of every day again; the counts are kept for the next period.
 * (Twelve months of PER MONTH read the month buckets 78 times without.) */
static int read_exist_cum(exec *x, const plan *p, magg *a)
{
    shoal_cumread *c = x->cum;
    size_t nm = (size_t)p->n_members + 1;
    int64_t from = a->day_lo;
    if (c->counts && c->series == a->vseries && c->n_members == p->n_members && c->day_lo == a->day_lo &&
        c->day_hi <= a->day_hi && !strcmp(c->vname, a->vname)) {
        memcpy(a->n, c->counts, nm * sizeof *a->n);
        from = c->day_hi;
    }
    int rc = shoal_view_counters_read(x->r, a->vname, a->vseries, from, a->day_hi, NULL, p->n_members, a->n, NULL, NULL,
                                      NULL, NULL, x->err);
    /* the hours around the days are not kept with them: added after */
    if (!rc && strlen(a->vname) < sizeof c->vname) rc = keep_cum(c, p, a);
    if (!rc && (a->hours[0] < a->hours[1] || a->hours[2] < a->hours[3]))
        rc = shoal_view_counters_read(x->r, a->vname, a->vseries, a->day_hi, a->day_hi, a->hours, p->n_members, a->n, NULL,
                                      NULL, NULL, NULL, x->err);
    return rc;
}

/* A narrow count DURING all_time in a PER period (core creators per month's
 * `count(essence) DURING all_time >= 100`): its days up to the period's end are the
 * previous period's, kept in x->cum, and the days since, instead of every month from
 * the first again (12 periods read 78 month buckets; now 12). Counts that stop at the
 * cap add up exactly so: min(cap, min(cap, A) + B) = min(cap, A + B). The members with
 * a count above 0 are the ones a read from the first day would have marked live (a
 * bucket's entry counts at least one event), kept as bits beside the counts
 * (c8_live: the reads mark the members they add to), so that a period ORs 38 KB of
 * bits into g->live where it tested 303 KB of bytes (13% of the statement). The hours around the days are added to
 * the period's own bytes, not kept. 1 when read so, 0 when a plain read is needed
 * (another aggregate keeps the slot, or no memory), else the error. */
uint8_t shoal_exec_c8_none[1];

int shoal_exec_cum_reads(const exec *x, const plan *p, int i)
{
    const magg *a = &p->maggs[i];
    return x->cum && a->narrow && a->fn == F_COUNT && a->src != MG_SCAN && !(p->exist_lazy && i == p->exist - 1) &&
           a->day_lo <= INT32_MIN && strlen(a->vname) < sizeof x->cum->c8_vname;
}

static int read_sat_cum(run *g, magg *a, int slot)
{
    exec *x = g->x;
    plan *p = g->p;
    shoal_cumread *c = x->cum;
    size_t nm = (size_t)p->n_members + 1;
    if (!shoal_exec_cum_reads(x, p, slot)) return 0;
    int kept = c->c8 && c->c8_slot == slot && c->c8_series == a->vseries && c->c8_cap == a->cap &&
               c->c8_pass_lo == a->pass_lo && c->c8_members == p->n_members && c->c8_hi <= a->day_hi &&
               !strcmp(c->c8_vname, a->vname);
    if (!kept) {
        if (c->c8 && c->c8_slot != slot) return 0;   /* the first such aggregate keeps it */
        if (c->c8 && c->c8_members != p->n_members) {
            shoal_free(c->c8);
            c->c8 = NULL;
        }
        /* the bytes, then their members' bits, then those at pass_lo or above (at a
         * multiple of 8 bytes) */
        size_t nb = (nm + 7) & ~(size_t)7, nw = (size_t)p->n_members / 64 + 1;
        if (!c->c8 && !(c->c8 = shoal_malloc(nb + 2 * nw * sizeof *c->c8_live))) return 0;
        memset(c->c8, 0, nb + 2 * nw * sizeof *c->c8_live);
        c->c8_live = (uint64_t *)(void *)(c->c8 + nb);
        c->c8_pass_lo = a->pass_lo;
        c->c8_passed.bits = c->c8_live + nw;
        c->c8_passed.n = 0;
        c->c8_passed.oom = 0;
        snprintf(c->c8_vname, sizeof c->c8_vname, "%s", a->vname);
        c->c8_series = a->vseries;
        c->c8_cap = a->cap;
        c->c8_slot = slot;
        c->c8_hi = a->day_lo;
        c->c8_members = p->n_members;
    }
    /* (kept with their lists, c8_pass_lo > 0, the periods count classes from the lists
     * and read no bits of who has a value: none are kept, and a period that would is
     * not kept (its pass_lo is 0: exec_members.c) and reads from the first day) */
    int rc = shoal_view_counters_read_sat(x->r, a->vname, a->vseries, c->c8_hi, a->day_hi, NULL, p->n_members, c->c8,
                                          a->cap, c->c8_pass_lo ? NULL : c->c8_live, &c->c8_passed, a->pass_lo, x->err);
    if (rc) {
        shoal_free(c->c8);   /* part read: nothing kept */
        c->c8 = NULL;
        return rc;
    }
    c->c8_hi = a->day_hi;
    if (g->live && !c->c8_pass_lo)
        for (size_t w = 0, nw = (size_t)p->n_members / 64 + 1; w < nw; w++) g->live[w] |= c->c8_live[w];
    int hours = a->hours[0] < a->hours[1] || a->hours[2] < a->hours[3];
    if (!hours && a->src == MG_VIEW) {
        /* nothing adds to the period's bytes: they are the kept ones, read in place
         * (a copy, and the array's zeroing, were a tenth of the statement) */
        a->c8 = c->c8;
        a->c8_kept = 1;
        if (a->pass_lo) a->passed = &c->c8_passed, a->pass_kept = 1;
        return 1;
    }
    a->c8_kept = 0;
    if (!(a->c8 = shoal_exec_marray(x, nm, 0))) return nomem(x);
    g->held += nm;
    memcpy(a->c8, c->c8, nm);
    if (a->pass_lo) {
        /* the kept members that passed, and those the hours add */
        size_t nw = (size_t)p->n_members / 64 + 1, n = c->c8_passed.n;
        shoal_passed *ps = shoal_arena_alloc(x->a, sizeof *ps);
        if (!ps || !(ps->bits = shoal_arena_alloc(x->a, nw * sizeof *ps->bits))) return nomem(x);
        ps->n = ps->cap = 0, ps->oom = 0, ps->m = NULL;
        ps->once_ok = ps->wrote_all = 0;
        a->passed = ps, a->pass_kept = 0;
        if (n && !(ps->m = shoal_malloc(n * sizeof *ps->m))) return nomem(x);
        if (n) memcpy(ps->m, c->c8_passed.m, n * sizeof *ps->m);
        ps->n = ps->cap = n;
        memcpy(ps->bits, c->c8_passed.bits, nw * sizeof *ps->bits);
    }
    if (hours)
        rc = shoal_view_counters_read_sat(x->r, a->vname, a->vseries, a->day_hi, a->day_hi, a->hours, p->n_members, a->c8,
                                          a->cap, g->passed_only ? NULL : g->live, a->passed, a->pass_lo, x->err);
    return rc ? rc : 1;
}

/* Who existed by the cut from the view: the presence bitmaps of whole months into
 * a->ebits (a word per 64 members), the days and hours into a->n and their members'
 * bits into a->ebits as well; exec_members.c reads the bits, and a->n only for the log's
 * edge (exist_edge, the scan). (Spread into a count per member and gathered back into
 * bits, the months were a tenth of the tiers at a noon now.) */
static int read_exist(exec *x, const plan *p, magg *a)
{
    /* (a->n is NULL when the days are whole months: alloc_maggs, exec.c) */
    size_t nw = (size_t)p->n_members / 64 + 1;
    if (!(a->ebits = shoal_arena_alloc(x->a, nw * sizeof *a->ebits))) return nomem(x);
    memset(a->ebits, 0, nw * sizeof *a->ebits);
    return shoal_view_counters_exist(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, a->hours, p->n_members, a->n, a->ebits,
                                     x->err);
}

/* The per-member aggregates that views answer (views.c chose them), into the same
 * arrays a scan fills; an MG_EDGE aggregate then gets the rest of its window from the
 * scan. */
int shoal_exec_read_views(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    size_t nm = (size_t)p->n_members + 1;
    uint32_t *tmp = NULL;
    int rc = 0;
    /* the lists of the members that passed are made only for the classes that read
     * them (the tiers' four counts, listed for nothing, were 4% of layers at noon) */
    for (int i = 0; i < p->n_maggs && !g->passed_only; i++) p->maggs[i].pass_lo = 0;
    for (int i = 0; i < p->n_maggs && !rc; i++) {
        magg *a = &p->maggs[i];
        if (a->src == MG_SCAN || (p->exist_lazy && i == p->exist - 1)) continue;
        if (a->narrow && a->fn == F_SCORE) {
            rc = read_score_cells(g, a);
            continue;
        }
        if (a->fn == F_RISE || a->tail) {
            rc = read_rise(g, x, p, a, i == g->top_slot && !g->live);
            if (!rc && g->live) or_outside(g->live, a->d, a->fn == F_RISE ? a->d2 : NULL, nm, a->live_lo, a->live_hi);
            continue;
        }
        if (a->narrow && a->fn == F_SCORE) {
            rc = read_score_cells(g, a);
            continue;
        }
        if (a->narrow && x->cum && (rc = read_sat_cum(g, a, i)) != 0) {
            if (rc == 1) rc = 0;
            continue;
        }
        if (a->narrow && a->c8 == shoal_exec_c8_none && g->passed_only && a->pass_lo && x->cum && !x->cum->z8_busy) {
            /* a period's own count whose classes come from the lists: the scratch
             * bytes, all 0, zeroed again after the period (exec.c) */
            shoal_cumread *c = x->cum;
            if (c->z8 && c->z8_members != p->n_members) {
                shoal_bigcache_put(x->cache, c->z8);
                c->z8 = NULL;
            }
            if (!c->z8 && (c->z8 = shoal_bigcache_zalloc(x->cache, nm))) c->z8_members = p->n_members;
            if (c->z8) {
                a->c8 = c->z8;
                a->c8_kept = 1;
                a->c8_scratch = 1;
                c->z8_busy = 1;
            }
        }
        if (a->narrow && a->c8 == shoal_exec_c8_none) {   /* not read from the kept counts after all */
            a->c8_kept = 0;
            if (!(a->c8 = shoal_exec_marray(x, nm, 1))) {
                rc = nomem(x);
                break;
            }
            g->held += nm;
        }
        if (a->narrow) {
            /* who existed is this count above 0 or the existence aggregate's: its read marks
             * its own members' bits, which exec_members.c ORs in place of a pass over its
             * bytes (a tiers' count(*) DURING last 30 days at a noon now: 0.29M instructions) */
            uint64_t *own = NULL;
            size_t nw = (size_t)p->n_members / 64 + 1;
            if (p->exist && i == p->exist_or - 1 && a->src == MG_VIEW && (g->live || g->codes_all)) {
                if (!(own = shoal_arena_alloc(x->a, nw * sizeof *own))) {
                    rc = nomem(x);
                    break;
                }
                memset(own, 0, nw * sizeof *own);
            }
            if (a->pass_lo) {
                shoal_passed *ps = shoal_arena_alloc(x->a, sizeof *ps);
                if (!ps || !(ps->bits = shoal_arena_alloc(x->a, nw * sizeof *ps->bits))) {
                    rc = nomem(x);
                    break;
                }
                memset(ps->bits, 0, nw * sizeof *ps->bits);
                ps->m = NULL, ps->n = ps->cap = 0, ps->oom = 0;
                ps->once_ok = a->c8_scratch, ps->wrote_all = 0;
                a->passed = ps, a->pass_kept = 0;
            }
            /* (the members that passed are what classes read then, not who has a value)
             * Its own members are those whose byte is then above 0 (the bytes were 0,
             * and its reads add): found after the read, 64 bytes at a step, where the
             * reads marked a bit at each entry (a load and a store into a word that the
             * next entries' waited on: some 0.37M instructions of the tiers at a noon
             * now, and more of its time). Not so when a bucket's members that pass are
             * only listed (shoal_passed's once_ok: their bytes written later). */
            const int own_after = own && !(a->passed && a->passed->once_ok);
            rc = shoal_view_counters_read_sat(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, a->hours, p->n_members, a->c8,
                                              a->cap, own_after ? NULL : own ? own : g->passed_only && a->passed ? NULL : g->live,
                                              a->passed, a->pass_lo, x->err);
            if (!rc && own_after) nonzero_bits(a->c8, nm, own);
            if (!rc && own) {
                for (size_t w = 0; g->live && w < nw; w++) g->live[w] |= own[w];
                a->ebits = own;
            }
            continue;
        }
        if (a->fn == F_SCORE && i == g->top_slot && !g->live) {
            if ((rc = shoal_exec_read_score_top(g, a))) break;
            continue;
        }
        if (a->fn == F_SCORE) {
            int64_t t0;
            if ((rc = shoal_view_score_read(x->r, a->vname, p->n_members, a->d, &t0, p->now, a->half_life, x->err))) break;
            if (g->live) or_outside(g->live, a->d, NULL, nm, a->live_lo, a->live_hi);
            continue;
        }
        if (a->fn == F_FIRST || a->fn == F_LAST) {
            int64_t lo = a->has_win ? a->win.lo : INT64_MIN, hi = a->has_win ? a->win.hi : INT64_MAX;
            rc = shoal_view_firstlast_read(x->r, a->vname, a->vseries, a->fn == F_LAST, lo, hi, p->n_members, a->n, a->i,
                                           g->live, x->err);
            continue;
        }
        if (a->fn == F_COUNT && i == p->exist - 1 && x->cum) {
            rc = read_exist_cum(x, p, a);
            continue;
        }
        if (a->fn == F_COUNT && i == p->exist - 1) {
            /* who existed AS OF a date is not a value rows show (shoal_exec_member_rows
             * reads whether it is above 0): whole months from presence bitmaps */
            rc = read_exist(x, p, a);
            continue;
        }
        if (a->n8) {   /* (exec.c's count8_ok) */
            rc = shoal_view_counters_read8(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, a->hours, p->n_members, a->n8,
                                           &a->big, g->live, x->err);
            continue;
        }
        if (a->fn == F_COUNT) {
            uint64_t *live = g->live;
            rc = shoal_view_counters_read(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, a->hours, p->n_members, a->n, NULL,
                                          NULL, NULL, live, x->err);
            continue;
        }
        if (!tmp && !(tmp = shoal_malloc(nm * sizeof *tmp))) {
            rc = nomem(x);
            break;
        }
        memset(tmp, 0, nm * sizeof *tmp);
        rc = shoal_view_counters_read(x->r, a->vname, a->vseries, a->day_lo, a->day_hi, a->hours, p->n_members, tmp, a->n, a->x,
                                      &a->num, g->live, x->err);
    }
    shoal_free(tmp);
    return rc;
}

/* The existence aggregate's edge outside its whole days, [win.lo, hole.lo) and
 * [hole.hi, win.hi), counted from the log (every type: it is count(*)), the zone map
 * jumping to those ranges and to their late events. */
static int exist_edge(exec *x, const plan *p, magg *a)
{
    int64_t zr[4];
    int n = 0;
    if (a->win.lo < a->hole.lo) zr[2 * n] = a->win.lo, zr[2 * n + 1] = a->hole.lo, n++;
    if (a->hole.hi < a->win.hi) zr[2 * n] = a->hole.hi, zr[2 * n + 1] = a->win.hi, n++;
    if (!n) return 0;
    scan_range sr;
    int rc = scan_range_open(&sr, x->r, 1, p->max_seq + 1, zr, n, &x->n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        if (rec.member == 0 || rec.member > p->n_members) continue;
        for (int j = 0; j < n; j++)
            if (rec.ts >= zr[2 * j] && rec.ts < zr[2 * j + 1]) {
                a->n[rec.member]++;
                break;
            }
    }
    if (rc < 0) goto out;
    rc = 0;
    x->n_scanned += sr.n;
out:
    scan_range_close(&sr);
    return rc;
}

int shoal_exec_exist_lazy(run *g, int *proven)
{
    exec *x = g->x;
    plan *p = g->p;
    magg *e = &p->maggs[p->exist - 1];
    *proven = 0;
    if (g->top_slot >= 0 && p->maggs[g->top_slot].fn == F_SCORE && p->maggs[g->top_slot].d) {
        const magg *s = &p->maggs[g->top_slot];
        uint64_t *top = NULL;
        int rc = shoal_exec_top_bound(g, NULL, &top);
        if (rc < 0) return rc;
        if (rc == 1) {
            /* every member at or above the k-th best has a score above 0 that is an
             * event by then */
            int ok = 1;
            size_t nw = (size_t)p->n_members / 64 + 1;
            for (size_t w = 0; w < nw && ok; w++)
                for (uint64_t b = top[w]; b && ok; b &= b - 1) {
                    size_t m = w * 64 + (size_t)__builtin_ctzll(b);
                    ok = s->d[m] > 0;
                }
            if (ok) {
                shoal_bigcache_put(x->cache, g->live);
                g->live = top;
                *proven = 1;
                return 0;
            }
            shoal_bigcache_put(x->cache, top);
        }
    }
    /* not settled: who the members were, as shoal_exec_read_views and the scan would
     * have read it, into counts made now (alloc_maggs left them out) */
    if (!e->n) {
        size_t bytes = ((size_t)p->n_members + 1) * sizeof *e->n;
        if (!(e->n = shoal_exec_marray(x, bytes, 1))) return nomem(x);
        g->held += bytes;
    }
    int rc = read_exist(x, p, e);
    if (!rc && p->exist_lazy == MG_EDGE) rc = exist_edge(x, p, e);
    return rc;
}
