/* exec_dense.c — a GROUP BY over events of interned columns only (member, type, group:
 * dictionary ids, dense from 1) with count, sum and avg of properties (issue 17): the
 * groups are the cells of one array indexed by the keys' ids (id₁ + dom₁·(id₂ + dom₂·…),
 * 0 standing for NULL), each cell a few typed counters side by side, so that a row costs
 * one index and one cache line instead of hashing its keys, finding a group in a table
 * and following its pointers (shoal_exec_find_group was 64% of GROUP BY member, type
 * over 10M events, its groups 300 bytes each).
 *
 * A cell: the rows (uint32), per count(x) the values counted (uint32), per sum(x) or
 * avg(x) the integers added (uint32) and their sum (int64); a cell's first row appends
 * it to the list of cells, which is the groups' order (that of their first rows, as the
 * hash table makes them). What the integers cannot hold exactly goes to the cell's side
 * accumulator (exec_group.c's acc, found through a per-aggregate index made when first
 * needed): a double, a boolean, an integer past int64. Text in a sum, an id past the
 * dictionary's count or a counter at 2^32 makes the scan give up before any row went
 * out (1: the hash table's path does the statement, with its error where it has one).
 *
 * On several threads as exec_scanpar.c: contiguous parts of the log, a read transaction
 * and a cell array each, merged into the first in part order (a cell new to it appended
 * to its list in the later part's order). The arrays' bytes are known before the scan:
 * within the memory budget (exec_spill.c's g->budget) with a part a thread, else one,
 * else the statement goes to the hash table's path, which spills. The groups go out
 * from the cells (HAVING, then shoal_exec_emit), never made as group structs.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "exec_int.h"

#define DN_KEYS 3
#define DN_AGGS 16
#define DN_MAX_CELLS ((uint64_t)1 << 28)
#define DN_THREADS 16

enum { DA_STAR = 0, DA_COUNT, DA_SUM };

typedef struct dspec {
    int n_keys, n_aggs;
    uint32_t dom[DN_KEYS];
    uint64_t stride[DN_KEYS];
    uint64_t cells;
    int kind[DN_AGGS];
    uint32_t prop[DN_AGGS];
    uint32_t off32[DN_AGGS];   /* DA_COUNT, DA_SUM: the values' count, in uint32 from the cell's start */
    uint32_t off64[DN_AGGS];   /* DA_SUM: the sum, in int64 from the cell's start */
    size_t bpc;                /* bytes a cell */
} dspec;

typedef struct dside {         /* an aggregate's side accumulators */
    uint32_t *ix;              /* a cell's: its acc + 1, or 0 */
    acc *a;
    uint32_t n, cap;
} dside;

typedef struct dense dense;

typedef struct dpart {
    exec x;
    shoal_err err;
    shoal_reader *r;
    const dspec *s;
    run *g;
    uint64_t lo, hi;
    unsigned char *cell;
    uint32_t *list;
    uint64_t n_list;
    dside side[DN_AGGS];
    uint64_t n_scanned, n_skipped;
    int rc;
    int give_up;
    int n_parts;
} dpart;

static inline uint32_t *c32(const dspec *s, unsigned char *cell, uint64_t c) { return (uint32_t *)(cell + c * s->bpc); }
static inline int64_t *c64(const dspec *s, unsigned char *cell, uint64_t c) { return (int64_t *)(cell + c * s->bpc); }

/* the plan's shape, or 0 when the dense cells cannot take it */
static int dense_spec(exec *x, const plan *p, dspec *s)
{
    memset(s, 0, sizeof *s);
    if (p->src != SRC_EVENTS || !p->grouped || p->n_keys < 1 || p->n_keys > DN_KEYS || p->n_raggs > DN_AGGS) return 0;
    s->n_keys = p->n_keys;
    s->cells = 1;
    /* the last key's cells side by side: ORDER BY the keys reads them in that order */
    for (int i = p->n_keys - 1; i >= 0; i--) {
        int op = p->keys[i]->op;
        int ns = op == X_MEMBER ? SHOAL_NS_MEMBER : op == X_TYPE ? SHOAL_NS_TYPE : op == X_GROUP ? SHOAL_NS_GROUP : 0;
        if (!ns) return 0;
        s->dom[i] = shoal_dict_count(x->r, ns) + 1;
        s->stride[i] = s->cells;
        if (s->dom[i] > DN_MAX_CELLS / s->cells) return 0;
        s->cells *= s->dom[i];
    }
    /* a grid much larger than the rows is mostly empty: the hash table's */
    uint64_t rows = p->max_seq < shoal_reader_last_seq(x->r) ? p->max_seq : shoal_reader_last_seq(x->r);
    if (s->cells > ((uint64_t)1 << 20) && s->cells / 4 > rows) return 0;
    s->n_aggs = p->n_raggs;
    uint32_t n32 = 1, n64 = 0;
    for (int k = 0; k < p->n_raggs; k++) {
        const ragg *ra = &p->raggs[k];
        if (ra->distinct || ra->filter) return 0;
        if (ra->fn == F_COUNT && ra->star) {
            s->kind[k] = DA_STAR;
            continue;
        }
        if ((ra->fn != F_COUNT && ra->fn != F_SUM && ra->fn != F_AVG) || !ra->arg || ra->arg->op != X_PROP) return 0;
        s->kind[k] = ra->fn == F_COUNT ? DA_COUNT : DA_SUM;
        s->prop[k] = ra->arg->key;
        s->off32[k] = n32++;
        if (s->kind[k] == DA_SUM) s->off64[k] = n64++;
    }
    uint32_t base64 = (n32 + 1) / 2;
    for (int k = 0; k < p->n_raggs; k++)
        if (s->kind[k] == DA_SUM) s->off64[k] += base64;
    s->bpc = (size_t)(base64 + n64) * 8;
    return 1;
}

/* the bytes of a part over n rows */
static uint64_t part_bytes(const dspec *s, uint64_t n) { return s->cells * s->bpc + (n < s->cells ? n : s->cells) * 4; }

/* cell c's side accumulator of aggregate k, made when first asked for; NULL: no memory */
static acc *side_of(dpart *w, int k, uint64_t c)
{
    dside *d = &w->side[k];
    if (!d->ix) {
        if (!(d->ix = shoal_malloc(sizeof *d->ix * w->s->cells))) return NULL;
        memset(d->ix, 0, sizeof *d->ix * w->s->cells);
    }
    if (d->ix[c]) return &d->a[d->ix[c] - 1];
    if (d->n == d->cap) {
        uint32_t nc = d->cap ? d->cap * 2 : 64;
        acc *a = shoal_realloc(d->a, sizeof *a * nc);
        if (!a) return NULL;
        d->a = a;
        d->cap = nc;
    }
    memset(&d->a[d->n], 0, sizeof *d->a);
    d->ix[c] = ++d->n;
    return &d->a[d->n - 1];
}

/* A record staged: its cell and its aggregates' values (kind: SHOAL_VAL_*, 0 for none),
 * read while the cell's line is fetched (DN_BATCH records ahead). */
#define DN_BATCH 16
typedef struct dstage {
    uint64_t c;
    uint8_t kind[DN_AGGS];
    union { int64_t i; double d; } v[DN_AGGS];
} dstage;

/* record rec's cell and values into st, its cell's line asked for: 0, or 1 to give up */
static inline int dense_stage(dpart *w, const shoal_rec *rec, dstage *st)
{
    const dspec *s = w->s;
    uint64_t c = 0;
    for (int i = 0; i < s->n_keys; i++) {
        int op = w->g->p->keys[i]->op;
        uint32_t id = op == X_MEMBER ? rec->member : op == X_TYPE ? rec->type : rec->group;
        /* (past the snapshot's dictionary, or a type 0, which is no NULL: not met) */
        if (id >= s->dom[i] || (op == X_TYPE && !id)) return 1;
        c += id * s->stride[i];
    }
    st->c = c;
    __builtin_prefetch(w->cell + c * s->bpc, 1);
    for (int k = 0; k < s->n_aggs; k++) {
        st->kind[k] = 0;
        if (s->kind[k] == DA_STAR) continue;
        shoal_rprop rp;
        if (shoal_rec_prop(rec, s->prop[k], &rp) != 1) continue;
        if (rp.kind < SHOAL_VAL_BOOL || rp.kind > SHOAL_VAL_STR) continue;   /* NULL */
        if (rp.kind == SHOAL_VAL_STR && s->kind[k] == DA_SUM) return 1;   /* text in a sum: the error is the hash path's */
        st->kind[k] = (uint8_t)rp.kind;
        if (rp.kind == SHOAL_VAL_INT) st->v[k].i = rp.v.i;
        else if (rp.kind == SHOAL_VAL_BOOL) st->v[k].i = rp.v.b;
        else if (rp.kind == SHOAL_VAL_NUM) st->v[k].d = rp.v.d;
    }
    return 0;
}

/* a staged record into part w's cells: 0, 1 to give up, or the error */
static inline int dense_add(dpart *w, const dstage *st)
{
    const dspec *s = w->s;
    uint64_t c = st->c;
    uint32_t *u = c32(s, w->cell, c);
    if (u[0] == UINT32_MAX) return 1;
    if (!u[0]++) w->list[w->n_list++] = (uint32_t)c;
    for (int k = 0; k < s->n_aggs; k++) {
        if (!st->kind[k]) continue;
        uint32_t *n = &u[s->off32[k]];
        if (s->kind[k] == DA_COUNT) {
            if (*n == UINT32_MAX) return 1;
            ++*n;
            continue;
        }
        int64_t *sum = &c64(s, w->cell, c)[s->off64[k]], t;
        if (st->kind[k] == SHOAL_VAL_INT && !__builtin_add_overflow(*sum, st->v[k].i, &t)) {
            if (*n == UINT32_MAX) return 1;
            *sum = t;
            ++*n;
            continue;
        }
        /* a double, a boolean, or past int64: exactly, as exec_group.c adds it */
        acc *a = side_of(w, k, c);
        if (!a) return nomem(&w->x);
        qval v = {0};
        if (st->kind[k] == SHOAL_VAL_NUM) v.t = V_NUM, v.u.d = st->v[k].d;
        else v.t = st->kind[k] == SHOAL_VAL_BOOL ? V_BOOL : V_INT, v.u.i = st->v[k].i;
        int rc = shoal_exec_acc_add(&w->x, &w->g->p->raggs[k], a, &v, 1);
        if (rc) return rc;
    }
    return 0;
}

/* the staged records into the cells, in order: 0, 1 to give up, or the error */
static int dense_flush(dpart *w, const dstage *st, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = dense_add(w, &st[i]);
        if (rc) return rc;
    }
    return 0;
}

static int dense_scan(dpart *w)
{
    exec *x = &w->x;
    plan *p = x->p;
    int64_t lo = p->has_range ? p->range.lo : INT64_MIN, hi = p->has_range ? p->range.hi : INT64_MAX;
    int64_t range[2] = {lo, hi};
    scan_range sr;   /* the log a leaf page at a time (scan.h) */
    int rc = scan_range_open(&sr, x->r, w->lo, w->hi < p->max_seq + 1 ? w->hi : p->max_seq + 1, range, p->has_range,
                             &w->n_skipped, x->cancel, x->err);
    if (rc) return rc;
    shoal_rec rec;
    rowctx row = {0};
    const uint8_t *tf = p->type_filter;
    uint32_t n_types = p->n_types;
    dstage st[DN_BATCH];
    int n_st = 0;
    shoal_maprel mr;
    shoal_maprel_init(&mr, w->g->budget, w->n_parts);
    while ((rc = scan_range_next(&sr, &rec)) == 1) {
        shoal_maprel_note(&mr, rec.props, sr.n);
        int64_t ts = rec.ts;
        if (ts > p->cut_ts || ts < lo || ts >= hi) continue;
        if (tf && (rec.type > n_types || !(tf[rec.type >> 3] >> (rec.type & 7) & 1))) continue;
        if (p->where) {
            if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
            row.rec = &rec;
            x->row = &row;
            if (!truthy(x, p->where)) {
                if ((rc = x->err->code)) break;
                continue;
            }
        }
        if ((rc = dense_stage(w, &rec, &st[n_st])) || (++n_st == DN_BATCH && (rc = dense_flush(w, st, n_st)))) {
            if (rc == 1) w->give_up = 1, rc = 0;
            break;
        }
        if (n_st == DN_BATCH) n_st = 0;
    }
    shoal_maprel_end(&mr);
    if (rc >= 0 && !w->give_up) {   /* (the end, not an error: the last staged records) */
        int f = dense_flush(w, st, n_st);
        if (f == 1) w->give_up = 1;
        else if (f) rc = f;
    }
    w->n_scanned = sr.n;
    scan_range_close(&sr);
    return rc < 0 ? rc : 0;
}

static void *dense_main(void *arg)
{
    dpart *w = arg;
    w->rc = dense_scan(w);
    return NULL;
}

/* b (a later part's) into a, both side accumulators of a sum or an average */
static void side_merge(acc *a, const acc *b)
{
    if (!b->n && !b->isum) {
        shoal_xsum_merge(&a->xs, &b->xs);
        return;
    }
    int64_t s;
    if (!__builtin_add_overflow(a->isum, b->isum, &s)) a->isum = s;
    else shoal_xsum_add_int(&a->xs, b->isum);
    shoal_xsum_merge(&a->xs, &b->xs);
    a->num |= b->num;
    a->v.t = a->n == 0 || a->v.t == b->v.t ? b->v.t : V_NULL;
    a->n += b->n;
}

/* part b's cells into part a's (a the earlier): 0, 1 to give up, or the error */
static int dense_merge(dpart *a, dpart *b)
{
    const dspec *s = a->s;
    for (uint64_t i = 0; i < b->n_list; i++) {
        uint64_t c = b->list[i];
        uint32_t *ua = c32(s, a->cell, c), *ub = c32(s, b->cell, c);
        if (!ua[0]) a->list[a->n_list++] = (uint32_t)c;
        if (ua[0] > UINT32_MAX - ub[0]) return 1;
        ua[0] += ub[0];
        for (int k = 0; k < s->n_aggs; k++) {
            if (s->kind[k] == DA_STAR) continue;
            uint32_t o = s->off32[k];
            if (ua[o] > UINT32_MAX - ub[o]) return 1;
            ua[o] += ub[o];
            if (s->kind[k] != DA_SUM) continue;
            int64_t *sa = &c64(s, a->cell, c)[s->off64[k]], sb = c64(s, b->cell, c)[s->off64[k]], t;
            acc *xa = NULL;
            if (!__builtin_add_overflow(*sa, sb, &t)) {
                *sa = t;
            } else {
                if (!(xa = side_of(a, k, c))) return nomem(a->g->x);
                shoal_xsum_add_int(&xa->xs, sb);
            }
            if (b->side[k].ix && b->side[k].ix[c]) {
                if (!xa && !(xa = side_of(a, k, c))) return nomem(a->g->x);
                side_merge(xa, &b->side[k].a[b->side[k].ix[c] - 1]);
            }
        }
    }
    return 0;
}

/* the group of cell c out (HAVING, then emit): 0 or the error */
static int emit_cell(run *g, dpart *w, uint64_t c, qval *keys, qval *aggs)
{
    exec *x = g->x;
    plan *p = g->p;
    const dspec *s = w->s;
    uint32_t *u = c32(s, w->cell, c);
    shoal_rec rec;
    memset(&rec, 0, sizeof rec);
    rowctx kr = {0};
    kr.rec = &rec;
    for (int k = 0; k < s->n_keys; k++) {
        uint32_t id = (uint32_t)(c / s->stride[k] % s->dom[k]);
        int op = p->keys[k]->op;
        if (op == X_MEMBER) rec.member = id;
        else if (op == X_TYPE) rec.type = id;
        else rec.group = id;
    }
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    x->row = &kr;
    for (int k = 0; k < s->n_keys; k++) shoal_exec_eval(x, p->keys[k], &keys[k]);
    for (int k = 0; k < s->n_aggs; k++) {
        const ragg *ra = &p->raggs[k];
        acc a;
        memset(&a, 0, sizeof a);
        if (s->kind[k] == DA_STAR) {
            a.n = u[0];
        } else {
            a.n = u[s->off32[k]];
            if (s->kind[k] == DA_SUM) {
                a.isum = c64(s, w->cell, c)[s->off64[k]];
                a.v.t = a.n ? V_INT : V_NULL;
                if (w->side[k].ix && w->side[k].ix[c]) side_merge(&a, &w->side[k].a[w->side[k].ix[c] - 1]);
            }
        }
        shoal_exec_acc_val(x, ra, &a, &aggs[k]);
    }
    rowctx row = {0};
    row.keys = keys;
    row.aggs = aggs;
    x->row = &row;
    if (p->having && !truthy(x, p->having)) return x->err->code;
    return shoal_exec_emit(g, &row);
}

/* ORDER BY the GROUP BY keys, each once, before any other term (which then never
 * decides: the groups' keys differ): the cells can go out in that order and the rows
 * need no sort. 1 with ord (the keys in ORDER BY's precedence), desc and nulls. Not
 * for window functions, nor rows that go to on_row (whose keys sort as ids). */
static int key_order(const plan *p, int on_row, int *ord, int *desc, int *nulls)
{
    if (!p->n_order || p->n_wins || on_row) return 0;
    unsigned seen = 0;
    int n = 0;
    for (int i = 0; i < p->n_order && n < p->n_keys; i++) {
        const cx *e = p->order[i];
        if (e->op == X_COL) e = p->cols[e->slot];
        if (e->op != X_KEY || e->slot < 0 || e->slot >= p->n_keys || (seen >> e->slot & 1)) return 0;
        seen |= 1u << e->slot;
        ord[n] = e->slot;
        desc[n] = p->desc[i];
        nulls[n++] = p->nulls ? p->nulls[i] : 0;
    }
    return n == p->n_keys;
}

typedef struct iname {
    const char *s;
    uint32_t n, id;
} iname;

static int iname_cmp(const void *a, const void *b)
{
    const iname *x = a, *y = b;
    int c = shoal_bytes_cmp(x->s, x->n, y->s, y->n);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* key k's ids (0..dom-1) in ORDER BY's order (exec_sort.c's key_cmp: names in byte
 * order, NULL the least unless NULLS FIRST or LAST says); a type has no id 0. NULL:
 * no memory. */
static uint32_t *ids_in_order(exec *x, const plan *p, const dspec *s, int k, int desc, int nulls, uint32_t *n_out)
{
    uint32_t dom = s->dom[k];
    int op = p->keys[k]->op;
    int ns = op == X_MEMBER ? SHOAL_NS_MEMBER : op == X_TYPE ? SHOAL_NS_TYPE : SHOAL_NS_GROUP;
    iname *v = shoal_malloc(sizeof *v * dom);
    uint32_t *ids = shoal_malloc(sizeof *ids * dom);
    if (!v || !ids) {
        shoal_free(v), shoal_free(ids);
        return NULL;
    }
    uint32_t n = 0;
    for (uint32_t id = 1; id < dom; id++) {
        qval q = {.t = V_ID, .ns = (uint8_t)ns, .u.i = id};
        const char *str;
        uint32_t len;
        if (shoal_val_str(x, &q, &str, &len)) str = "", len = 0;
        v[n++] = (iname){str, len, id};
    }
    qsort(v, n, sizeof *v, iname_cmp);
    /* NULL (id 0) first: ascending without NULLS LAST, or NULLS FIRST */
    int null_first = nulls ? nulls == 1 : !desc;
    uint32_t m = 0;
    if (op != X_TYPE && null_first) ids[m++] = 0;
    for (uint32_t i = 0; i < n; i++) ids[m++] = v[desc ? n - 1 - i : i].id;
    if (op != X_TYPE && !null_first) ids[m++] = 0;
    shoal_free(v);
    *n_out = m;
    return ids;
}

/* the groups out of part w's cells: in ORDER BY's order when it is the keys' (the rows
 * then stream, g->sorted_in), else in its list's order (their first rows') */
static int dense_emit(run *g, dpart *w)
{
    exec *x = g->x;
    plan *p = g->p;
    const dspec *s = w->s;
    qval keys[DN_KEYS], aggs[DN_AGGS + 1];
    int ord[DN_KEYS], desc[DN_KEYS], nulls[DN_KEYS];
    if (key_order(p, x->on_row != NULL, ord, desc, nulls)) {
        uint32_t *ids[DN_KEYS] = {0}, n_ids[DN_KEYS], at[DN_KEYS] = {0};
        int rc = 0;
        for (int i = 0; i < s->n_keys && !rc; i++)
            if (!(ids[ord[i]] = ids_in_order(x, p, s, ord[i], desc[i], nulls[i], &n_ids[ord[i]]))) rc = nomem(x);
        for (int i = 0; i < s->n_keys && !rc; i++)
            if (!n_ids[i]) goto done;
        g->sorted_in = 1;
        /* an odometer over the keys in ORDER BY's precedence, the last fastest */
        for (uint64_t i = 0; !rc && !g->stop; i++) {
            if ((i & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) break;
            uint64_t c = 0;
            for (int k = 0; k < s->n_keys; k++) c += ids[k][at[k]] * s->stride[k];
            if (c32(s, w->cell, c)[0]) rc = emit_cell(g, w, c, keys, aggs);
            int d = s->n_keys - 1;
            for (; d >= 0 && ++at[ord[d]] == n_ids[ord[d]]; d--) at[ord[d]] = 0;
            if (d < 0) break;
        }
    done:
        for (int i = 0; i < s->n_keys; i++) shoal_free(ids[i]);
        return rc;
    }
    for (uint64_t i = 0; i < w->n_list && !g->stop; i++) {
        if ((i & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) break;
        int rc = emit_cell(g, w, w->list[i], keys, aggs);
        if (rc) return rc;
    }
    return 0;
}

/* n bytes of zeroed cells, in huge pages (a row's cell is a random line of tens of MB:
 * with 4KB pages, a TLB miss each), from the session's cache of big arrays (engine/mem.c):
 * a fresh mapping's pages are zeroed by the kernel as each part's thread first touches
 * them, where a memset here zeroed both parts' on this thread, 22% of the 256MB bench
 * question's CPU (perf: huge page faults' clear_page; on this VM a fresh page costs
 * some 2 ms a 2MB page); a statement after the first finds them mapped already. */
static unsigned char *cells_alloc(exec *x, size_t n) { return shoal_bigcache_zalloc(x->cache, n); }

static void part_free(dpart *w, int own)
{
    for (int k = 0; k < DN_AGGS; k++) shoal_free(w->side[k].ix), shoal_free(w->side[k].a);
    if (w->cell) shoal_bigcache_put(w->g->x->cache, w->cell);
    shoal_free(w->list);
    if (own) {
        shoal_arena_free(w->x.a);
        shoal_arena_free(w->x.scratch);
        shoal_reader_close(w->r);
    }
}

/* The cells' budget: the statement's (x->mem_limit), but half of it when ORDER BY keeps
 * the rows too (exec_spill.c's g->budget); rows that go out in the keys' order
 * (key_order) are not kept, so the cells then have all of it (at 256MB, two parts of
 * the bench's 73 MB cells: both cores). 0: none. */
static uint64_t cells_budget(const exec *x, const plan *p)
{
    int ord[DN_KEYS], desc[DN_KEYS], nulls[DN_KEYS];
    uint64_t b = shoal_exec_budget(x);
    return p->n_order && !key_order(p, x->on_row != NULL, ord, desc, nulls) ? b / 2 : b;
}

int shoal_exec_dense_explain(exec *x, const plan *p, char *buf, size_t n)
{
    dspec s;
    if (!dense_spec(x, p, &s)) return 0;
    /* cells past the budget leave the statement to the hash table (shoal_exec_scan_dense) */
    uint64_t budget = cells_budget(x, p);
    uint64_t last = x->r && shoal_reader_last_seq(x->r) < p->max_seq ? shoal_reader_last_seq(x->r) : p->max_seq;
    if (budget && part_bytes(&s, last) > budget) return 0;
    snprintf(buf, n, "groups in dense cells by dictionary id (%" PRIu64 " cells of %zu bytes)", s.cells, s.bpc);
    return 1;
}

/* the scan's cells, kept for shoal_exec_dense_emit */
struct dense {
    dspec s;
    dpart *parts;
    int n;
};

void shoal_exec_dense_free(run *g)
{
    dense *d = g->dn;
    if (!d) return;
    for (int i = 0; i < d->n; i++) part_free(&d->parts[i], i > 0);
    shoal_free(d->parts);
    shoal_free(d);
    g->dn = NULL;
}

int shoal_exec_dense_emit(run *g)
{
    int rc = dense_emit(g, &g->dn->parts[0]);
    shoal_exec_dense_free(g);
    return rc;
}

int shoal_exec_scan_dense(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    dspec spec;
    if (g->part_bits || g->pw || !dense_spec(x, p, &spec)) return 1;
    uint64_t last = p->max_seq < shoal_reader_last_seq(x->r) ? p->max_seq : shoal_reader_last_seq(x->r);
    int asked, n = shoal_exec_threads_wanted(&asked);
    if (n > DN_THREADS) n = DN_THREADS;
    if (!shoal_exec_par_ok(p->where)) n = 1;
    /* the budget: a part a thread, or one, or none */
    uint64_t budget = g->budget ? cells_budget(x, p) : 0;
    if (budget && (uint64_t)n * part_bytes(&spec, last / (uint64_t)n + 1) > budget) n = 1;
    if (budget && part_bytes(&spec, last) > budget) return 1;
    uint64_t bound[DN_THREADS + 1];
    int64_t range[2] = {p->range.lo, p->range.hi};
    int rc = 0;
    if (n > 1 && (rc = shoal_exec_split_bounds(x, p, range, p->has_range, n, asked, bound))) {
        if (rc != 1) return rc;
        n = 1, rc = 0;   /* (one part: it was left to the hash table) */
    }
    if (n == 1) bound[0] = 1, bound[1] = last + 1;
    dense *d = shoal_malloc(sizeof *d);
    if (!d) return nomem(x);
    memset(d, 0, sizeof *d);
    d->s = spec;
    g->dn = d;
    dpart *parts = d->parts = shoal_malloc(sizeof *parts * (size_t)n);
    if (!parts) {
        shoal_exec_dense_free(g);
        return nomem(x);
    }
    memset(parts, 0, sizeof *parts * (size_t)n);
    d->n = n;
    const dspec *s = &d->s;
    for (int i = 0; i < n && !rc; i++) {
        dpart *w = &parts[i];
        w->s = s;
        w->g = g;
        w->lo = bound[i];
        w->hi = bound[i + 1];
        w->n_parts = n;
        w->x = *x;
        w->x.row = NULL;
        if (i) {
            w->x.err = &w->err;
            w->x.civ_ok = 0;
            w->x.a = shoal_arena_new();
            w->x.scratch = shoal_arena_new();
            if (!w->x.a || !w->x.scratch) {
                rc = nomem(x);
                break;
            }
            if ((rc = shoal_reader_fork(x->r, &w->r, x->err))) break;
            w->x.r = w->r;
        }
        uint64_t rows = w->hi > w->lo ? w->hi - w->lo : 0;
        /* the first part's list takes the others' new cells too */
        uint64_t n_list = i ? (rows < s->cells ? rows : s->cells) : (last < s->cells ? last : s->cells);
        w->cell = cells_alloc(x, s->cells * s->bpc);
        w->list = shoal_malloc(sizeof *w->list * (n_list + 1));
        if (!w->cell || !w->list) {
            rc = nomem(x);
            break;
        }
    }
    if (!rc) rc = shoal_exec_run_parts(x, n, dense_main, parts, sizeof *parts);
    int give_up = 0;
    if (!rc) {
        for (int i = 0; i < n; i++) give_up |= parts[i].give_up;
        for (int i = 0; i < n && !rc && !give_up; i++)
            if (parts[i].rc) {
                if (i) *x->err = parts[i].err;
                rc = parts[i].rc;
            }
        for (int i = 1; i < n && !rc && !give_up; i++) {
            int m = dense_merge(&parts[0], &parts[i]);
            if (m == 1) give_up = 1;
            else rc = m;
        }
        if (!rc && !give_up) {
            for (int i = 0; i < n; i++) {
                x->n_scanned += parts[i].n_scanned;
                x->n_skipped += parts[i].n_skipped;
            }
            if (x->cancel && *x->cancel) rc = shoal_err_set(x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
        }
    }
    /* the later parts' cells are in the first's now */
    for (int i = 1; i < n; i++) part_free(&parts[i], 1);
    d->n = 1;
    if (rc || give_up) shoal_exec_dense_free(g);
    if (give_up && !rc) {
        shoal_err_clear(x->err);
        return 1;
    }
    return rc;
}
