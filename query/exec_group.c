/* exec_group.c — grouping and row aggregates: the hash table of groups (GROUP BY),
 * each group's accumulators (count, sum, avg, min, max, median, first, last, DISTINCT)
 * and their final values. A row from any source comes in at process_row: WHERE, then
 * its group, or straight to emit (exec_sort.c) when nothing groups; the finished
 * groups become rows in exec.c.
 */
#define _GNU_SOURCE   /* qsort_r: the sort's context without a global */
#include "exec_int.h"

/* the general table: any value, its hash and the group's id */
static int dset_add_any(exec *x, dset *s, uint32_t gid, qval *v)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        dset ns = *s;
        ns.hash = shoal_malloc(nc * 8), ns.gid = shoal_malloc(nc * 4);
        ns.val = shoal_malloc(nc * sizeof(qval)), ns.used = shoal_malloc(nc);
        ns.cap = nc;
        if (!ns.hash || !ns.gid || !ns.val || !ns.used) {
            shoal_free(ns.hash), shoal_free(ns.gid), shoal_free(ns.val), shoal_free(ns.used);
            return -1;
        }
        memset(ns.used, 0, nc);
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) {
                size_t j = s->hash[i] & (nc - 1);
                while (ns.used[j]) j = (j + 1) & (nc - 1);
                ns.used[j] = 1;
                ns.hash[j] = s->hash[i];
                ns.gid[j] = s->gid[i];
                ns.val[j] = s->val[i];
            }
        shoal_free(s->hash), shoal_free(s->gid), shoal_free(s->val), shoal_free(s->used);
        *s = ns;
    }
    uint64_t h = shoal_val_hash(v) ^ ((uint64_t)gid * 0x9E3779B97F4A7C15ULL);
    size_t j = h & (s->cap - 1);
    while (s->used[j]) {
        if (s->hash[j] == h && s->gid[j] == gid && shoal_val_same(&s->val[j], v)) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    if (shoal_val_keep(x, v)) return -1;
    s->used[j] = 1;
    s->hash[j] = h;
    s->gid[j] = gid;
    s->val[j] = *v;
    s->n++;
    return 1;
}

#define PK_EMPTY UINT64_MAX
/* a packed table's first slots (8KB). 16k slots cut group speakers' growing from 1024
 * to 256k slots, 4% of its CPU, but two such sets a part took a 256KB memory limit
 * (tests/e2e/spill.sh) */
#define PK_FIRST 1024

/* a packed pair's slot: the low bits of a mixed product. Not the product's high bits
 * (Fibonacci hashing): merge_run adds a part's pairs in slot order, and with high bits
 * a smaller table takes them as runs of neighbours, each probe longer than the last
 * (it made group speakers 1.7x slower); low bits spread them as the general table's
 * do. */
static inline size_t pk_slot(uint64_t k, size_t cap)
{
    uint64_t h = k * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h ^ h >> 32) & (cap - 1);
}

/* v packs into the set: of its type and namespace, a value of 32 bits (never all ones:
 * with the group's all ones that would be PK_EMPTY) */
static inline int packs(const dset *s, const qval *v)
{
    if (v->t == V_STR || v->t == V_NUM || v->t == V_NULL) return 0;
    if (v->u.i < 0 || v->u.i >= (int64_t)UINT32_MAX) return 0;
    if (!s->pt) return 1;
    return s->pt == v->t && (v->t != V_ID || s->pns == v->ns);
}

static void unpack(const dset *s, uint64_t k, uint32_t *gid, qval *v)
{
    memset(v, 0, sizeof *v);
    v->t = s->pt;
    v->ns = s->pt == V_ID ? s->pns : 0;
    v->u.i = (int64_t)(k & 0xFFFFFFFFu);
    *gid = (uint32_t)(k >> 32);
}

/* the packed table at nc slots (a power of two) */
static int pk_grow(dset *s, size_t nc)
{
    uint64_t *t = shoal_malloc(nc * 8);
    if (!t) return -1;
    memset(t, 0xFF, nc * 8);
    for (size_t i = 0; i < s->pcap; i++)
        if (s->pk[i] != PK_EMPTY) {
            size_t j = pk_slot(s->pk[i], nc);
            while (t[j] != PK_EMPTY) j = (j + 1) & (nc - 1);
            t[j] = s->pk[i];
        }
    shoal_free(s->pk);
    s->pk = t;
    s->pcap = nc;
    return 0;
}

/* Room in the packed table for more pairs beyond its n, at half full at most: 0, or
 * -1 when memory ran out */
static inline int pk_room(dset *s, size_t more)
{
    return (s->n + more + 1) * 2 > s->pcap && pk_grow(s, s->pcap ? s->pcap * 2 : PK_FIRST) ? -1 : 0;
}

/* the packed values' type, v's (packs said it may be) */
static inline void pk_type(dset *s, const qval *v)
{
    s->pt = v->t;
    s->pns = v->t == V_ID ? v->ns : 0;
}

int shoal_exec_dset_reserve(dset *s, size_t n)
{
    if (s->general || (s->n && !s->pk)) return 0;
    size_t nc = s->pcap ? s->pcap : PK_FIRST;
    while ((s->n + n + 1) * 2 > nc) nc *= 2;
    return nc > s->pcap ? pk_grow(s, nc) : 0;
}

/* k into the packed table, which has room: 1 when new, 0 when there */
static inline int pk_insert(dset *s, uint64_t k)
{
    size_t j = pk_slot(k, s->pcap);
    for (;;) {
        uint64_t e = s->pk[j];
        if (e == k) return 0;
        if (e == PK_EMPTY) break;
        j = (j + 1) & (s->pcap - 1);
    }
    s->pk[j] = k;
    s->n++;
    return 1;
}

/* the oldest queued pair looked up, counted in its group's aggregate k when new */
static int pend_pop(run *g, int k)
{
    dset *s = &g->dsets[k];
    if (pk_room(s, 0)) return -1;
    uint64_t o = s->pend[s->h_pend];
    s->h_pend = (uint8_t)((s->h_pend + 1) % DSET_PEND);
    s->n_pend--;
    if (pk_insert(s, o)) g->list[o >> 32]->accs[k].n++;
    return 0;
}

int shoal_exec_dset_defer(run *g, int k, uint32_t gid, const qval *v)
{
    dset *s = &g->dsets[k];
    if (s->general || !packs(s, v)) {
        while (s->n_pend)
            if (pend_pop(g, k)) return -1;
        return 1;
    }
    pk_type(s, v);
    if (s->n_pend == DSET_PEND && pend_pop(g, k)) return -1;
    if (pk_room(s, s->n_pend)) return -1;
    uint64_t key = (uint64_t)gid << 32 | (uint64_t)v->u.i;
    __builtin_prefetch(&s->pk[pk_slot(key, s->pcap)], 1);
    s->pend[(s->h_pend + s->n_pend) % DSET_PEND] = key;
    s->n_pend++;
    return 0;
}

int shoal_exec_dset_drain(run *g)
{
    for (int k = 0; g->dsets && k < g->p->n_raggs; k++)
        while (g->dsets[k].n_pend)
            if (pend_pop(g, k)) return -1;
    return 0;
}

/* the packed pairs into the general table, for a value that does not pack */
static int dset_unpack(exec *x, dset *s)
{
    uint64_t *pk = s->pk;
    size_t pcap = s->pcap;
    s->pk = NULL;
    s->pcap = 0;
    s->n = 0;
    s->general = 1;
    int rc = 0;
    for (size_t i = 0; i < pcap && !rc; i++) {
        if (pk[i] == PK_EMPTY) continue;
        uint32_t gid;
        qval v;
        unpack(s, pk[i], &gid, &v);
        if (dset_add_any(x, s, gid, &v) < 0) rc = -1;
    }
    shoal_free(pk);
    return rc;
}

/* 1 when (gid, v) is new to the set (v's text kept in x's arena), 0 when seen, -1 out
 * of memory */
int shoal_exec_dset_add(exec *x, dset *s, uint32_t gid, qval *v)
{
    if (!s->general) {
        if (packs(s, v)) {
            if (pk_room(s, 0)) return -1;
            pk_type(s, v);
            return pk_insert(s, (uint64_t)gid << 32 | (uint64_t)v->u.i);
        }
        if (dset_unpack(x, s)) return -1;   /* (a table reserved for a merge, even empty) */
    }
    return dset_add_any(x, s, gid, v);
}

void shoal_exec_dset_free(dset *s)
{
    shoal_free(s->hash), shoal_free(s->gid), shoal_free(s->val), shoal_free(s->used);
    shoal_free(s->pk);
    memset(s, 0, sizeof *s);
}

size_t shoal_exec_dset_bytes(const dset *s)
{
    return s->cap * (sizeof(uint64_t) + sizeof(uint32_t) + sizeof(qval) + 1) + s->pcap * sizeof(uint64_t);
}

int shoal_exec_dset_next(const dset *s, size_t *it, uint32_t *gid, qval *v)
{
    if (!s->general) {
        for (; *it < s->pcap; (*it)++)
            if (s->pk[*it] != PK_EMPTY) {
                unpack(s, s->pk[(*it)++], gid, v);
                return 1;
            }
        return 0;
    }
    for (; *it < s->cap; (*it)++)
        if (s->used[*it]) {
            *gid = s->gid[*it];
            *v = s->val[(*it)++];
            return 1;
        }
    return 0;
}

uint64_t shoal_exec_keys_hash(const qval *keys, int nk)
{
    uint64_t h = 0x12345;
    for (int i = 0; i < nk; i++) h = (h ^ shoal_val_hash(&keys[i])) * 0x100000001B3ULL;
    return h;
}

group *shoal_exec_find_group(run *g, const qval *keys)
{
    exec *x = g->x;
    int nk = g->p->n_keys;
    /* Rows in a run often share their keys (a tier over members, a month over the log):
     * the last group found is tried first. */
    if (g->last) {
        int same = 1;
        for (int i = 0; i < nk && same; i++) same = shoal_val_same(&g->last->keys[i], &keys[i]);
        if (same) return g->last;
    }
    uint64_t h = shoal_exec_keys_hash(keys, nk);
    if ((g->n_groups + 1) * 2 > g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        group **t = shoal_malloc(nc * sizeof *t);
        if (!t) return NULL;
        memset(t, 0, nc * sizeof *t);
        for (size_t i = 0; i < g->cap; i++)
            if (g->table[i]) {
                size_t j = g->table[i]->hash & (nc - 1);
                while (t[j]) j = (j + 1) & (nc - 1);
                t[j] = g->table[i];
            }
        shoal_free(g->table);
        g->table = t;
        g->cap = nc;
    }
    size_t j = h & (g->cap - 1);
    for (; g->table[j]; j = (j + 1) & (g->cap - 1)) {
        group *q = g->table[j];
        if (q->hash != h) continue;
        int same = 1;
        for (int i = 0; i < nk && same; i++) same = shoal_val_same(&q->keys[i], &keys[i]);
        if (same) return g->last = q;
    }
    group *q = shoal_arena_alloc(x->a, sizeof *q);
    if (!q) return NULL;
    q->hash = h;
    q->keys = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)(nk ? nk : 1));
    q->accs = shoal_arena_alloc(x->a, sizeof(acc) * (size_t)(g->p->n_raggs ? g->p->n_raggs : 1));
    if (!q->keys || !q->accs) return NULL;
    for (int i = 0; i < nk; i++) {
        q->keys[i] = keys[i];
        if (shoal_val_keep(x, &q->keys[i])) return NULL;
    }
    memset(q->accs, 0, sizeof(acc) * (size_t)g->p->n_raggs);
    q->id = (uint32_t)g->n_list;
    g->table[j] = q;
    g->last = q;
    g->n_groups++;
    if (g->n_list == g->cap_list) {
        size_t nc = g->cap_list ? g->cap_list * 2 : 64;
        group **l = shoal_realloc(g->list, nc * sizeof *l);
        if (!l) return NULL;
        g->list = l;
        g->cap_list = nc;
    }
    g->list[g->n_list++] = q;
    return q;
}

/* sum, avg or median (node) of text: an error at it, as per member (text_in_sum) */
static int text_in_agg(exec *x, const shoal_node *node, const qval *v)
{
    const char *s;
    uint32_t n;
    if (shoal_val_str(x, v, &s, &n)) s = "", n = 0;
    int k = node->len > 60 ? 60 : node->len;
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, node->off, node->len,
                         "%.*s%s takes numbers, but its argument is text here (\"%.*s%s\")", k, x->src + node->off,
                         k < node->len ? "…" : "", n > 40 ? 40 : (int)n, s, n > 40 ? "…" : "");
}

/* One value v (not NULL) into accumulator a of row aggregate ra, w times over (w > 1
 * only for the alike members' row, whose aggregates shoal_plan_alike allows: count, sum,
 * avg, min and max, where w equal rows are one row weighed). Also the running
 * aggregates of window functions (exec_window.c). 0 or the error. */
int shoal_exec_acc_add(exec *x, const ragg *ra, acc *a, const qval *v, int64_t w)
{
    double d;
    int64_t i, wi, is;
    int kind;
    switch (ra->fn) {
    case F_COUNT: a->n += w; break;
    case F_SUM:
    case F_AVG:
        kind = num_of(v, &d, &i);
        if (!kind) return text_in_agg(x, ra->node, v);
        /* the values' one type (a sum or a mean of durations is a duration), or NULL */
        a->v.t = a->n == 0 || a->v.t == v->t ? v->t : V_NULL;
        a->n += w;
        /* Exact (xsum.c), so that any order or split of the additions gives the same
         * bits (a scan on several threads merges partial sums): integers in isum, what
         * overflows it and the doubles in xs. */
        if (kind == 1 && !__builtin_mul_overflow(i, w, &wi)) {
            if (!__builtin_add_overflow(a->isum, wi, &is)) a->isum = is;
            else shoal_xsum_add_int(&a->xs, wi);
            break;
        }
        shoal_xsum_add_double(&a->xs, d * (double)w);
        a->num = 1;
        break;
    case F_MIN:
    case F_MAX: {
        int c;
        if (a->n == 0 || (shoal_val_cmp(x, v, &a->v, &c) == 0 && (ra->fn == F_MIN ? c < 0 : c > 0))) {
            a->v = *v;
            if (shoal_val_keep(x, &a->v)) return nomem(x);
        }
        a->n += w;
        break;
    }
    case F_MEDIAN:
    case F_QUANTILE:
    case F_STDDEV:
    case F_VARIANCE:
        if (!num_of(v, &d, &i)) return text_in_agg(x, ra->node, v);
        a->v.t = a->n == 0 || a->v.t == v->t ? v->t : V_NULL;
        if (a->n_vals == a->cap_vals) {
            /* Grows by doubling inside the arena: at most twice the values' size. */
            uint32_t cap = a->cap_vals ? a->cap_vals * 2 : 16;
            double *nv = shoal_arena_alloc(x->a, sizeof *nv * cap);
            if (!nv) return nomem(x);
            if (a->n_vals) memcpy(nv, a->vals, sizeof *nv * a->n_vals);
            a->vals = nv;
            a->cap_vals = cap;
        }
        a->vals[a->n_vals++] = d;
        a->n++;
        break;
    case F_FIRST:
    case F_LAST:
        if (a->n == 0 || ra->fn == F_LAST) {
            a->v = *v;
            if (shoal_val_keep(x, &a->v)) return nomem(x);
        }
        a->n++;
        break;
    }
    return 0;
}

/* The row in x->row into group q, w times over (a DISTINCT aggregate sees the value
 * once, as it would; FILTER (WHERE …) leaves out the rows it does not hold for). */
static int accumulate(run *g, group *q, int64_t w)
{
    exec *x = g->x;
    plan *p = g->p;
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        acc *a = &q->accs[k];
        qval v;
        if (g->vargs) {   /* evaluated with its block: the FILTER in it (member_block) */
            v = g->vargs[k];
            if (ra->star) {
                if (v.u.i) a->n += w;
                continue;
            }
        } else {
            if (ra->filter && !truthy(x, ra->filter)) continue;
            if (ra->star) {
                a->n += w;
                continue;
            }
            shoal_exec_eval(x, ra->arg, &v);
        }
        if (v.t == V_NULL) continue;
        int64_t wk = w;
        if (ra->distinct && ra->fn == F_COUNT) {
            int r = shoal_exec_dset_defer(g, k, q->id, &v);
            if (r < 0) return nomem(x);
            if (r == 0) continue;
        }
        if (ra->distinct) {
            int r = shoal_exec_dset_add(x, &g->dsets[k], q->id, &v);
            if (r < 0) return nomem(x);
            if (r == 0) continue;
            wk = 1;
        }
        int rc = shoal_exec_acc_add(x, ra, a, &v, wk);
        if (rc) return rc;
    }
    return 0;
}

/* The value at p of n sorted values, interpolated (p·(n − 1) from the first). */
double shoal_exec_quantile(const double *v, uint32_t n, double p)
{
    double pos = p * (double)(n - 1);
    uint32_t lo = (uint32_t)pos;
    if (lo >= n - 1) return v[n - 1];
    double f = pos - (double)lo;
    return f == 0 ? v[lo] : v[lo] + (v[lo + 1] - v[lo]) * f;
}

/* The sample variance of n values (two passes: the mean, then the squares about it). */
double shoal_exec_variance(const double *v, uint32_t n)
{
    double s = 0, q = 0;
    for (uint32_t i = 0; i < n; i++) s += v[i];
    double m = s / (double)n;
    for (uint32_t i = 0; i < n; i++) q += (v[i] - m) * (v[i] - m);
    return q / (double)(n - 1);
}

/* a median's values in order; cancelled, all tie, so the sort runs out (row_cmp) */
static int cmp_double(const void *a, const void *b, void *ctx)
{
    const exec *e = ctx;
    if (e->cancel && *e->cancel) return 0;
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Puts the k-th smallest of v[0..n) at v[k], the smaller ones before it and the others
 * after (quickselect, median-of-three pivots): a median in linear time, where sorting
 * the values was most of a grouped median's cost. No NaN among them (the caller sorts
 * those, as before). */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) { double t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { double t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[hi] < v[mid]) { double t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        double piv = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv) i++;
            while (piv < v[j]) j--;
            if (i <= j) {
                double t = v[i]; v[i] = v[j]; v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        /* [lo, j] ≤ piv ≤ [i, hi], and j < i */
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* A sum, mean or median d of values that were all durations (or, but for a sum, all
 * instants) is one too, in whole milliseconds. */
static void as_kind(const acc *a, int fn, qval *out)
{
    if (out->t == V_NULL || !(a->v.t == V_DUR || (a->v.t == V_TS && fn != F_SUM))) return;
    double d = out->t == V_NUM ? out->u.d : (double)out->u.i;
    out->t = V_NULL;
    if (!(d > -9.2e18 && d < 9.2e18)) return;
    out->t = a->v.t;
    out->u.i = llround(d);
}

void shoal_exec_acc_val(exec *x, const ragg *ra, const acc *a, qval *out)
{
    out->t = V_NULL;
    switch (ra->fn) {
    case F_COUNT: out->t = V_INT; out->u.i = a->n; break;
    case F_SUM: {
        if (!a->n) break;
        /* an integer while every value was one and the total fits 64 bits, else the
         * exact total rounded once */
        shoal_xsum t = a->xs;
        shoal_xsum_add_int(&t, a->isum);
        if (a->num || !shoal_xsum_int(&t, &out->u.i)) { out->t = V_NUM; out->u.d = shoal_xsum_value(&t); }
        else out->t = V_INT;
        as_kind(a, ra->fn, out);
        break;
    }
    case F_AVG:
        if (a->n) {
            shoal_xsum t = a->xs;
            shoal_xsum_add_int(&t, a->isum);
            out->t = V_NUM;
            out->u.d = shoal_xsum_value(&t) / (double)a->n;
        }
        as_kind(a, ra->fn, out);
        break;
    case F_MEDIAN:
        /* The middle value, or the mean of the two middle ones (SQL's median). */
        if (a->fixed) {
            *out = a->v;
            break;
        }
        if (!a->n_vals) break;
        {
            size_t n = a->n_vals, k = n / 2, nan = 0;
            double *v = a->vals;
            for (size_t i = 0; i < n; i++) nan += v[i] != v[i];
            if (nan) {
                qsort_r(v, n, sizeof *v, cmp_double, x);
            } else {
                select_kth(v, n, k);
                if (n % 2 == 0) {   /* the largest of those before v[k] */
                    size_t m = 0;
                    for (size_t i = 1; i < k; i++)
                        if (v[i] > v[m]) m = i;
                    double t = v[m]; v[m] = v[k - 1]; v[k - 1] = t;
                }
            }
            out->t = V_NUM;
            out->u.d = n % 2 ? v[k] : (v[k - 1] + v[k]) / 2;
        }
        as_kind(a, ra->fn, out);
        break;
    case F_QUANTILE:
        /* The value at p of the values in order, interpolated between the two around it
         * (PostgreSQL's percentile_cont; quantile(x, 0.5) is the median). */
        if (a->fixed) {
            *out = a->v;
            break;
        }
        if (!a->n_vals) break;
        qsort_r(a->vals, a->n_vals, sizeof *a->vals, cmp_double, x);
        out->t = V_NUM;
        out->u.d = shoal_exec_quantile(a->vals, a->n_vals, ra->arg2->k.u.d);
        as_kind(a, ra->fn, out);
        break;
    case F_STDDEV:
    case F_VARIANCE:
        /* the sample's (n − 1), NULL for fewer than two values; a standard deviation of
         * durations is one */
        if (a->n_vals < 2) break;
        out->t = V_NUM;
        out->u.d = shoal_exec_variance(a->vals, a->n_vals);
        if (ra->fn == F_STDDEV) out->u.d = sqrt(out->u.d);
        if (ra->fn == F_STDDEV && a->v.t == V_DUR) as_kind(a, F_SUM, out);
        break;
    default:
        if (a->n) *out = a->v;
    }
}

/* A row from the source: filter, then group or emit. WHERE's value and the GROUP BY
 * keys come evaluated already when where and keys are given (a block of members),
 * else they are evaluated here. w: how many equal rows this one stands for (1 but for
 * the alike members' row, which is grouped). */
int shoal_exec_process_row(run *g, const rowctx *r, const qval *where, const qval *keys, int64_t w)
{
    exec *x = g->x;
    plan *p = g->p;
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    x->row = (rowctx *)r;
    if (where ? where->t == V_NULL || !truth(where) : p->where && !truthy(x, p->where)) return x->err->code;
    if (!p->grouped) return shoal_exec_emit(g, r);
    if (!keys) {
        qval *k = g->keybuf;
        shoal_exec_eval_keys(g, k);
        keys = k;
    }
    /* A pass over one hash partition of the groups (exec_spill.c): the high bits, since
     * the table's slots are the low ones. */
    if (g->part_bits &&
        ((shoal_exec_keys_hash(keys, p->n_keys) >> 48) & ((1u << g->part_bits) - 1)) != g->part_val)
        return x->err->code;
    if (g->pw) return shoal_exec_part_put(g, keys, w);
    /* Without GROUP BY there is one group, and GROUP BY type, group or member indexes
     * groups by the dictionary id: no hashing per row in either case. */
    group *q;
    if (p->n_keys == 0 && g->n_list) {
        q = g->list[0];
    } else if (g->by_id) {
        if (keys[0].t == V_ID && keys[0].ns == g->by_ns && keys[0].u.i > 0 && keys[0].u.i < g->n_by_id) {
            uint32_t id = (uint32_t)keys[0].u.i;
            if (!(q = g->by_id[id]) && (q = shoal_exec_find_group(g, keys))) g->by_id[id] = q;
        } else {
            q = shoal_exec_find_group(g, keys);
        }
    } else {
        q = shoal_exec_gkey_group(g, keys);
    }
    if (!q) return nomem(x);
    int rc = accumulate(g, q, w);
    if (rc || x->err->code) return rc ? rc : x->err->code;
    /* past the budget: the pass stops, to be done again in partitions (exec_spill.c) */
    if (g->budget && (++g->n_checked & 1023) == 0 && shoal_exec_group_bytes(g) > g->budget) {
        g->over = 1;
        g->over_groups = g->n_list;
        g->over_bytes = shoal_exec_group_bytes(g);
        uint64_t seq = r->rec ? r->rec->seq : g->seq_hi;
        g->over_at = g->seq_hi > g->seq_lo ? (double)(seq + 1 - g->seq_lo) / (double)(g->seq_hi - g->seq_lo) : 1;
        return SHOAL_EXEC_OVER;
    }
    return 0;
}
