/* exec_sort.c — rows out: a finished row streams to the output format, or is kept for
 * ORDER BY (sorted, compacted to the best LIMIT + OFFSET as they pile up), then cut by
 * LIMIT/OFFSET; and the top-k of a count, score or rise that bounds the members worth
 * a row for ORDER BY it LIMIT k (read while a score's view is read).
 */
#define _GNU_SOURCE   /* qsort_r: the sort's context without a global */
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "exec_int.h"

int shoal_exec_write_row(run *g, const qval *cols)
{
    exec *x = g->x;
    if (x->on_row) {
        /* on_row says it wants no more rows (a subquery's reader is full) with 1: this
         * run stops as at a LIMIT */
        int rc = x->on_row(x, cols, g->p->n_cols, x->row_ctx);
        if (rc > 0) g->stop = 1;
        return rc > 0 ? 0 : rc;
    }
    for (int i = 0; i < g->p->n_cols; i++) {
        if (cols[i].t == V_INT) {   /* most numbers: digits in the row's own buffer */
            g->cells[i].s = shoal_val_int_text(cols[i].u.i, g->digits + 24 * i, &g->cells[i].n);
            g->cells[i].kind = CELL_NUM;
            continue;
        }
        if (cols[i].t == V_STR) {   /* (names, looked up already: shoal_val_render's) */
            g->cells[i].s = cols[i].u.s;
            g->cells[i].n = cols[i].n;
            g->cells[i].kind = CELL_STR;
            continue;
        }
        if (shoal_val_render(x, &cols[i], &g->cells[i].s, &g->cells[i].n, &g->cells[i].kind)) return x->err->code;
    }
    int frc = shoal_fmt_row(g->f, g->cells);
    if (frc == SHOAL_ENOMEM) return nomem(x);
    if (frc) return shoal_err_set(x->err, SHOAL_EIO, -1, -1, "cannot write the output");
    if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
    return 0;
}

static int keep_in(exec *x, shoal_arena *a, qval *v)
{
    if (v->t != V_STR || v->n == 0) return 0;
    char *p = shoal_arena_strndup(a, v->u.s, v->n);
    if (!p) return nomem(x);
    v->u.s = p;
    return 0;
}

static int row_cmp(const void *a, const void *b, void *ctx);

/* Sorts the kept rows by row_cmp. When the first sort key is a string in every row
 * (names, mostly), the rows are first ordered by its first 8 bytes, read as a
 * big-endian number (memcmp's order; inverted for DESC), with a radix sort, stable, so
 * that production order holds within equal prefixes; each run of equal prefixes is
 * then sorted by row_cmp. A comparison sort of 2.6k names spent most of its time
 * calling the comparison. */
#define SORT_DIGITS 2048   /* 11 bits a radix pass */
typedef struct krow {
    uint64_t k;
    size_t i;   /* the row's index: the passes move 16 bytes a row, the rows moved once */
} krow;

void shoal_exec_sort_rows(run *g)
{
    size_t n = g->n_rows;
    int ok = n >= 64 && n <= UINT32_MAX && g->p->n_order > 0;
    krow *a = ok ? shoal_malloc(n * sizeof *a) : NULL, *b = ok ? shoal_malloc(n * sizeof *b) : NULL;
    orow *rows = ok ? shoal_malloc(n * sizeof *rows) : NULL;
    if (!a || !b || !rows) {
        shoal_free(a);
        shoal_free(b);
        shoal_free(rows);
        if (n > 1) qsort_r(g->rows, n, sizeof *g->rows, row_cmp, g);
        return;
    }
    const uint64_t flip = g->p->desc[0] ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < n; i++) {
        const qval *v = &g->rows[i].keys[0];
        if (v->t != V_STR) {   /* not a string in every row: the comparison sort */
            shoal_free(a);
            shoal_free(b);
            shoal_free(rows);
            qsort_r(g->rows, n, sizeof *g->rows, row_cmp, g);
            return;
        }
        /* the first 8 bytes, zero past the end, without a call (a name is some 7) */
        unsigned char pre[8] = {0};
        const char *str = v->u.s;
        uint32_t len = v->n;
        if (len >= 8) {
            memcpy(pre, str, 8);
        } else if (len >= 4) {
            memcpy(pre, str, 4);
            memcpy(pre + len - 4, str + len - 4, 4);
        } else if (len) {
            pre[0] = (unsigned char)str[0];
            pre[len >> 1] = (unsigned char)str[len >> 1];
            pre[len - 1] = (unsigned char)str[len - 1];
        }
        a[i].k = shoal_be64_get(pre) ^ flip;
        a[i].i = i;
    }
    /* The digits are 11 bits, each starting at a bit where two keys differ, so that
     * the bits no key differs in are not counted (names' common prefix, "m-"): core
     * creator's 2589 names differ in some 44 bits, four passes where a byte a pass
     * took six. */
    uint64_t differ = 0;
    for (size_t i = 1; i < n; i++) differ |= a[i].k ^ a[0].k;
    int shifts[6], nd = 0;
    for (int shift = 0; shift < 64 && (differ >> shift); shift += 11) {
        shift += __builtin_ctzll(differ >> shift);
        shifts[nd++] = shift;
    }
    uint32_t cnt[SORT_DIGITS + 1];   /* (one digit's at a time: 8 KB, two pages where every digit's took eight) */
    for (int d0 = 0; d0 < nd; d0++) {
        int shift = shifts[d0];
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) cnt[(a[i].k >> shift & (SORT_DIGITS - 1)) + 1]++;
        for (int d = 0; d < SORT_DIGITS; d++) cnt[d + 1] += cnt[d];
        for (size_t i = 0; i < n; i++) b[cnt[a[i].k >> shift & (SORT_DIGITS - 1)]++] = a[i];
        krow *t = a;
        a = b, b = t;
    }
    /* the rows in their order into a new array, which becomes the rows' */
    for (size_t i = 0; i < n; i++) rows[i] = g->rows[a[i].i];
    shoal_free(g->rows);
    g->rows = rows;
    g->cap_rows = n;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && a[j].k == a[i].k; j++) continue;
        if (j - i > 1) qsort_r(g->rows + i, j - i, sizeof *g->rows, row_cmp, g);
    }
    shoal_free(a);
    shoal_free(b);
}

/* An id as its string, borrowed from the dictionary. */
static void name_of(exec *x, qval *v)
{
    const char *str;
    uint32_t len;
    shoal_val_str(x, v, &str, &len);
    v->t = V_STR;
    v->u.s = str;
    v->n = len;
}

/* How many rows ORDER BY … LIMIT keeps: LIMIT + OFFSET, saturated (LIMIT
 * 9223372036854775807 OFFSET 5 must not wrap to a small number, which made every row
 * re-sort the rows kept); SIZE_MAX without a LIMIT. */
static size_t rows_kept(const plan *p)
{
    if (p->limit < 0) return SIZE_MAX;
    uint64_t k = (uint64_t)p->limit + (uint64_t)(p->offset > 0 ? p->offset : 0);   /* < 2^64: both < 2^63 */
    return k > SIZE_MAX ? SIZE_MAX : (size_t)k;
}

/* When the rows kept for ORDER BY … LIMIT are compacted: at twice the rows kept, plus
 * some, and never when that passes what memory can hold anyway. */
static size_t compact_at(const plan *p)
{
    if (p->ties) return SIZE_MAX;   /* the rows tied with the last kept are not known until the end */
    size_t k = rows_kept(p);
    return k < (SIZE_MAX - 1024) / 2 ? 2 * k + 1024 : SIZE_MAX;
}

/* ORDER BY … LIMIT k keeps only the best k rows (plus OFFSET): when twice that many
 * have piled up, sort, keep the first k and move them to a fresh arena, so memory
 * stays proportional to k and not to the rows scanned. */
static int compact(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    size_t k = rows_kept(p);
    shoal_exec_sort_rows(g);
    shoal_arena *na = shoal_arena_new();
    if (!na) return nomem(x);
    for (size_t i = 0; i < k && i < g->n_rows; i++) {
        orow *o = &g->rows[i];
        qval *cols = shoal_arena_alloc(na, sizeof(qval) * (size_t)(p->n_cols + 1));
        qval *keys = shoal_arena_alloc(na, sizeof(qval) * (size_t)(p->n_order + 1));
        if (!cols || !keys) {
            shoal_arena_free(na);
            return nomem(x);
        }
        memcpy(cols, o->cols, sizeof(qval) * (size_t)p->n_cols);
        memcpy(keys, o->keys, sizeof(qval) * (size_t)p->n_order);
        for (int j = 0; j < p->n_cols; j++)
            if (keep_in(x, na, &cols[j])) return shoal_arena_free(na), x->err->code;
        for (int j = 0; j < p->n_order; j++)
            if (keep_in(x, na, &keys[j])) return shoal_arena_free(na), x->err->code;
        o->cols = cols;
        o->keys = keys;
    }
    if (g->n_rows > k) g->n_rows = k;
    g->cut = k > 0 && g->n_rows == k;
    shoal_arena_free(g->rows_a);
    g->rows_a = na;
    return 0;
}

/* Room in g->rows for n more rows, and the arena their values go to; -1 when memory
 * ran out. */
static int rows_room(run *g, size_t n)
{
    if (g->cap_rows - g->n_rows < n) {
        size_t nc = g->cap_rows ? g->cap_rows * 2 : 256;
        while (nc - g->n_rows < n) nc *= 2;
        orow *rows = shoal_realloc(g->rows, nc * sizeof *rows);
        if (!rows) return -1;
        g->rows = rows;
        g->cap_rows = nc;
    }
    if (!g->rows_a && !(g->rows_a = shoal_arena_new())) return -1;
    return 0;
}

/* The rows kept are past the memory budget (half of it beside a grouping's groups). */
static int over_budget(const run *g)
{
    uint64_t budget = shoal_exec_budget(g->x);
    return shoal_arena_used(g->rows_a) + g->cap_rows * sizeof(orow) > (g->p->grouped ? budget / 2 : budget);
}

/* A finished output row: stream it when nothing sorts, else keep it for the sort. */
int shoal_exec_emit(run *g, const rowctx *r)
{
    exec *x = g->x;
    plan *p = g->p;
    if (p->n_wins && !g->win_final) return shoal_exec_window_keep(g, r);
    qval *cols = g->colbuf;
    x->row = (rowctx *)r;
    for (int i = 0; i < p->n_cols; i++) shoal_exec_eval(x, p->cols[i], &cols[i]);
    if (x->err->code) return x->err->code;
    if (!p->n_order || g->sorted_in) {   /* (rows in ORDER BY's order already: exec_dense.c) */
        if (g->n_skipped < p->offset) {
            g->n_skipped++;
            return 0;
        }
        if (p->limit >= 0 && g->n_emitted >= p->limit) {
            g->stop = 1;
            return 0;
        }
        g->n_emitted++;
        int rc = shoal_exec_write_row(g, cols);
        if (p->limit >= 0 && g->n_emitted >= p->limit) g->stop = 1;
        return rc;
    }
    rowctx r2 = *r;
    r2.cols = cols;
    x->row = &r2;
    if (rows_room(g, 1)) return nomem(x);
    if (g->cut) {
        /* A row that does not beat the k-th best kept row can never be output: drop it
         * before it costs memory and sorting (ties lose: they were produced later). */
        if (!g->keytmp && !(g->keytmp = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)p->n_order))) return nomem(x);
        for (int i = 0; i < p->n_order; i++) shoal_exec_eval(x, p->order[i], &g->keytmp[i]);
        orow probe = {NULL, g->keytmp, g->n_made};
        if (row_cmp(&probe, &g->rows[rows_kept(p) - 1], g) >= 0) {
            x->row = (rowctx *)r;
            return 0;
        }
    }
    orow *o = &g->rows[g->n_rows];
    /* the row's columns and keys in one piece of the arena */
    o->cols = shoal_arena_alloc(g->rows_a, sizeof(qval) * (size_t)(p->n_cols + p->n_order));
    if (!o->cols) return nomem(x);
    o->keys = o->cols + p->n_cols;
    o->n = g->n_made++;
    /* A name sorts and prints as its string: looked up once here, not at every
     * comparison and again for the output (a name lives as long as the statement's
     * snapshot: in the dictionary's cache, or in the names table's chunk); a sort key that is an output column is that column. Rows
     * that go to on_row keep their ids. */
    for (int i = 0; i < p->n_cols; i++) {
        o->cols[i] = cols[i];
        if (keep_in(x, g->rows_a, &o->cols[i])) return x->err->code;
        if (o->cols[i].t == V_ID && !x->on_row) name_of(x, &o->cols[i]);
    }
    for (int i = 0; i < p->n_order; i++) {
        qval *k = &o->keys[i];
        if (p->order[i]->op == X_COL && !x->on_row) {
            *k = o->cols[p->order[i]->slot];
            continue;
        }
        shoal_exec_eval(x, p->order[i], k);
        if (keep_in(x, g->rows_a, k)) return x->err->code;
        if (k->t == V_ID) name_of(x, k);
    }
    if (x->err->code) return x->err->code;   /* a name that could not be read */
    g->n_rows++;
    x->row = (rowctx *)r;
    if (g->n_rows >= compact_at(p)) return compact(g);
    /* Past the memory budget (half of it beside a grouping's groups), the rows kept so
     * far go to disk as a sorted run (exec_spill.c); not once a LIMIT's compaction
     * keeps only the best, which bounds them already. */
    if (x->mem_limit && !g->cut && (g->n_rows & 1023) == 0 && over_budget(g))
        return shoal_exec_sort_spill(g);
    return 0;
}

/* A row whose columns and sort keys were made already (exec_rows.c: a block of members
 * at a time), kept for the sort as shoal_exec_emit keeps its rows: keys[i] is read for
 * the keys that are not an output column (with on_row, for every key: its column's
 * value); a string in a column (key) whose bit is set in named (knamed) is a name,
 * borrowed from the dictionary as name_of's, not copied. */
int shoal_exec_keep_row(run *g, const qval *cols, const qval *keys, uint64_t named, uint64_t knamed)
{
    exec *x = g->x;
    plan *p = g->p;
    if (rows_room(g, 1)) return nomem(x);
    if (g->cut) {
        if (!g->keytmp && !(g->keytmp = shoal_arena_alloc(x->a, sizeof(qval) * (size_t)p->n_order))) return nomem(x);
        for (int i = 0; i < p->n_order; i++)
            g->keytmp[i] = p->order[i]->op == X_COL && !x->on_row ? cols[p->order[i]->slot] : keys[i];
        orow probe = {NULL, g->keytmp, g->n_made};
        if (row_cmp(&probe, &g->rows[rows_kept(p) - 1], g) >= 0) return 0;
    }
    orow *o = &g->rows[g->n_rows];
    o->cols = shoal_arena_alloc(g->rows_a, sizeof(qval) * (size_t)(p->n_cols + p->n_order));
    if (!o->cols) return nomem(x);
    o->keys = o->cols + p->n_cols;
    o->n = g->n_made++;
    memcpy(o->cols, cols, sizeof(qval) * (size_t)p->n_cols);
    for (int i = 0; i < p->n_cols; i++) {
        /* (a number, the most, as it came) */
        if (o->cols[i].t != V_STR && o->cols[i].t != V_ID) continue;
        if (i < 64 && (named >> i & 1)) continue;
        if (keep_in(x, g->rows_a, &o->cols[i])) return x->err->code;
        if (o->cols[i].t == V_ID && !x->on_row) name_of(x, &o->cols[i]);
    }
    for (int i = 0; i < p->n_order; i++) {
        qval *k = &o->keys[i];
        if (p->order[i]->op == X_COL && !x->on_row) {
            *k = o->cols[p->order[i]->slot];
            continue;
        }
        *k = keys[i];
        if (i < 64 && (knamed >> i & 1)) continue;
        if (keep_in(x, g->rows_a, k)) return x->err->code;
        if (k->t == V_ID) name_of(x, k);
    }
    if (x->err->code) return x->err->code;
    g->n_rows++;
    if (g->n_rows >= compact_at(p)) return compact(g);
    if (x->mem_limit && !g->cut && (g->n_rows & 1023) == 0 && over_budget(g))
        return shoal_exec_sort_spill(g);
    return 0;
}

/* Rows r[0..n) (w values a row: the columns, then the keys, as keep_row takes them; the
 * bits of named[i] and knamed[i] the names among row i's) kept for the sort at once:
 * the rows' room grown once, their values one arena piece, and the budget looked at
 * once, after them (a run spilled at most a block of rows later than row by row would:
 * the same rows out, which the merge orders by their keys and production order).
 * A row at a time where LIMIT keeps the best only (its cut and compaction). */
int shoal_exec_keep_rows(run *g, const qval *r, size_t w, size_t n, const uint64_t *named, const uint64_t *knamed)
{
    exec *x = g->x;
    plan *p = g->p;
    int rc = 0;
    if (g->cut || compact_at(p) != SIZE_MAX) {
        for (size_t i = 0; i < n && !rc; i++) rc = shoal_exec_keep_row(g, r + i * w, r + i * w + p->n_cols, named[i], knamed[i]);
        return rc;
    }
    if (rows_room(g, n)) return nomem(x);
    const size_t nc = (size_t)p->n_cols, no = (size_t)p->n_order;
    if (no > 64 || w != nc + no) {
        for (size_t i = 0; i < n && !rc; i++) rc = shoal_exec_keep_row(g, r + i * w, r + i * w + nc, named[i], knamed[i]);
        return rc;
    }
    /* the block's values as they are (a row's columns then its keys: the rows' layout),
     * then what is not a number or a name made the row's own: a string copied, an id
     * made its name (a column's but with on_row, every key's), a key that is a column
     * that column's value (with on_row, none: its keys are names, its columns ids) */
    qval *dst = shoal_arena_alloc(g->rows_a, sizeof(qval) * w * n);
    if (!dst) return nomem(x);
    /* the names' bytes (borrowed from the names table, where they lie apart: a line and
     * often a page a name) copied after the rows' values, one piece: the sort and the
     * writer then read them from here, in the rows' order, where they read the table's
     * scattered lines twice, each a miss (issue 17: most of core creator's writer) */
    size_t nbytes = 0;
    for (size_t i = 0; i < n; i++)
        for (uint64_t m = named[i]; m; m &= m - 1) nbytes += r[i * w + (size_t)__builtin_ctzll(m)].n;
    char *nb = nbytes ? shoal_arena_alloc(g->rows_a, nbytes) : NULL;
    if (nbytes && !nb) return nomem(x);
    /* (a value at a time: a copy of the block in one memcpy is a rep movsb, which
     * callgrind counts a byte an instruction) */
    for (size_t i = 0; i < w * n; i++) dst[i] = r[i];
    int kcol[64];
    for (size_t k = 0; k < no; k++) kcol[k] = p->order[k]->op == X_COL && !x->on_row ? p->order[k]->slot : -1;
    const int ids_named = !x->on_row;
    size_t before = g->n_rows;
    orow *o = &g->rows[g->n_rows];
    for (size_t i = 0; i < n; i++, o++) {
        qval *c = dst + i * w, *q = c + nc;
        o->cols = c;
        o->keys = q;
        o->n = g->n_made + i;
        for (size_t j = 0; j < nc; j++) {
            if (c[j].t != V_STR && c[j].t != V_ID) continue;   /* (a number, the most, as it came) */
            if (j < 64 && (named[i] >> j & 1)) {
                shoal_copy_small(nb, c[j].u.s, c[j].n);
                c[j].u.s = nb;
                nb += c[j].n;
                continue;
            }
            if (keep_in(x, g->rows_a, &c[j])) return x->err->code;
            if (c[j].t == V_ID && ids_named) name_of(x, &c[j]);
        }
        for (size_t k = 0; k < no; k++) {
            if (kcol[k] >= 0) {
                q[k] = c[kcol[k]];
                continue;
            }
            if ((q[k].t != V_STR && q[k].t != V_ID) || (knamed[i] >> k & 1)) continue;
            if (keep_in(x, g->rows_a, &q[k])) return x->err->code;
            if (q[k].t == V_ID) name_of(x, &q[k]);
        }
    }
    if (x->err->code) return x->err->code;   /* (a name that could not be read) */
    g->n_made += n;
    g->n_rows += n;
    if (x->mem_limit && (g->n_rows >> 10) != (before >> 10) && over_budget(g))
        return shoal_exec_sort_spill(g);
    return 0;
}

/* One ORDER BY key of two rows: NULL is the least value (first ascending, last
 * descending) unless NULLS FIRST (nulls 1) or NULLS LAST (2) says where it goes. */
static inline int key_cmp(exec *x, const qval *va, const qval *vb, int desc, int nulls)
{
    int c;
    if (va->t == V_NULL || vb->t == V_NULL) {
        c = (va->t != V_NULL) - (vb->t != V_NULL);
        if (nulls) return nulls == 1 ? c : -c;
    }
    /* names (looked up once, in emit) are most sort keys: compared in line */
    else if (va->t == V_STR && vb->t == V_STR) c = shoal_bytes_cmp(va->u.s, va->n, vb->u.s, vb->n);
    else shoal_val_cmp(x, va, vb, &c);
    return desc ? -c : c;
}

int shoal_exec_keys_cmp(const plan *p, exec *x, const qval *ka, const qval *kb)
{
    for (int i = 0; i < p->n_order; i++) {
        int c = key_cmp(x, &ka[i], &kb[i], p->desc[i], p->nulls ? p->nulls[i] : 0);
        if (c) return c;
    }
    return 0;
}

static int row_cmp(const void *a, const void *b, void *ctx)
{
    const run *g = ctx;
    const plan *sort_p = g->p;
    exec *sort_x = g->x;
    const orow *ra = a, *rb = b;
    /* Cancelled: every row ties, so the sort runs out at once (its result is not used;
     * "equal" keeps the order consistent, which the sort's loops rely on). */
    if (sort_x->cancel && *sort_x->cancel) return 0;
    int c = shoal_exec_keys_cmp(sort_p, sort_x, ra->keys, rb->keys);
    if (c) return c;
    /* Ties keep the order rows were produced in. */
    return ra->n < rb->n ? -1 : ra->n > rb->n;
}

int shoal_exec_row_cmp(const orow *a, const orow *b, run *g) { return row_cmp(a, b, g); }

/* ORDER BY a count, score or rise LIMIT k, with no WHERE or grouping to drop rows: the
 * k-th best value of that aggregate, found with a heap of k, bounds the members worth
 * a row (ties included, so the output is the same). Each member's value is offered
 * once; a member not below the heap's least when offered is a candidate, so every
 * member at or above the final bound is one, and those candidates are the answer:
 * one pass over the values, which a score's view read can make itself
 * (shoal_exec_read_score_top, with each chunk still in cache). */
typedef struct tcand {
    uint32_t m;
    double v;
} tcand;

struct topk {
    double *h;     /* a min-heap of the k largest values offered */
    size_t n, k;
    double sg;     /* the value the heap orders is sg·value: −1 for ASC */
    int slot;      /* the aggregate's */
    tcand *cand;
    size_t n_cand, cap_cand;
    int oom;
};

static inline void topk_push(topk *t, double v)
{
    double *h = t->h;
    size_t k = t->k;
    if (t->n < k) {
        size_t i = t->n++;
        for (; i && h[(i - 1) / 2] > v; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
        h[i] = v;
    } else if (v > h[0]) {
        size_t i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= k) break;
            if (c + 1 < k && h[c + 1] < h[c]) c++;
            if (h[c] >= v) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = v;
    }
}

/* a candidate (the rarer case: apart, so that top_offer stays small) */
static void top_keep(topk *t, uint32_t m, double v)
{
    if (t->n_cand == t->cap_cand) {
        size_t nc = t->cap_cand ? t->cap_cand * 2 : 1024;
        tcand *c = shoal_realloc(t->cand, nc * sizeof *c);
        if (!c) {
            t->oom = 1;
            return;
        }
        t->cand = c, t->cap_cand = nc;
    }
    t->cand[t->n_cand++] = (tcand){m, v};
    if (t->n < t->k || v > t->h[0]) topk_push(t, v);
}

static inline void top_offer(topk *t, uint32_t m, double value)
{
    double v = t->sg * value;
    if (t->n == t->k && v < t->h[0]) return;
    top_keep(t, m, v);
}

/* top_offer for members first.. with the values d[0..n), the heap's least in a register;
 * eight values at a time first, passed over when none is at or above it (the most: the
 * bench's top 100 of 303k members keeps some 1.5k as candidates, and a member at a time
 * was a third of the statement at noon) */
static void top_offer_run(topk *t, uint32_t first, const double *d, size_t n)
{
    const double sg = t->sg;
    double least = t->n == t->k ? t->h[0] : -INFINITY;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 8 <= n; i += 8) {
        const __m128d vs = _mm_set1_pd(sg), vl = _mm_set1_pd(least);
        /* (not less than: a NaN is kept, as below) */
        __m128d k = _mm_or_pd(_mm_or_pd(_mm_cmpnlt_pd(_mm_mul_pd(_mm_loadu_pd(d + i), vs), vl),
                                        _mm_cmpnlt_pd(_mm_mul_pd(_mm_loadu_pd(d + i + 2), vs), vl)),
                              _mm_or_pd(_mm_cmpnlt_pd(_mm_mul_pd(_mm_loadu_pd(d + i + 4), vs), vl),
                                        _mm_cmpnlt_pd(_mm_mul_pd(_mm_loadu_pd(d + i + 6), vs), vl)));
        if (!_mm_movemask_pd(k)) continue;
        for (size_t j = i; j < i + 8; j++) {
            double v = sg * d[j];
            if (v < least) continue;
            top_keep(t, first + (uint32_t)j, v);
            least = t->n == t->k ? t->h[0] : -INFINITY;
        }
    }
#endif
    for (; i < n; i++) {
        double v = sg * d[i];
        if (v < least) continue;
        top_keep(t, first + (uint32_t)i, v);
        least = t->n == t->k ? t->h[0] : -INFINITY;
    }
}

/* The aggregate whose k best values bound the rows (its slot), or -1. */
int shoal_exec_top_target(const plan *p, size_t *k)
{
    if (!p->n_order || p->limit < 0 || p->where || p->grouped || p->n_wins || rows_kept(p) > 65536) return -1;
    const cx *e = p->order[0];
    if (e->op == X_COL) e = p->cols[e->slot];
    if (e->op != X_MAGG) return -1;
    const magg *a = &p->maggs[e->slot];
    if ((a->fn != F_COUNT && a->fn != F_SCORE && a->fn != F_RISE) || a->anchor) return -1;
    *k = rows_kept(p);
    return *k == 0 || *k >= p->n_members ? -1 : e->slot;
}

static int top_begin(run *g, topk *t)
{
    memset(t, 0, sizeof *t);
    if ((t->slot = shoal_exec_top_target(g->p, &t->k)) < 0) return 0;
    t->sg = g->p->desc[0] ? 1 : -1;
    return (t->h = shoal_malloc(t->k * sizeof *t->h)) ? 1 : nomem(g->x);
}

/* The bits of the members at or above the k-th best into *out (NULL when fewer than
 * k were offered); the heap and candidates freed. 0 or out of memory. */
static int top_end(run *g, topk *t, uint64_t **out)
{
    int rc = 0;
    *out = NULL;
    if (t->oom) rc = nomem(g->x);
    else if (t->n == t->k) {
        if (!(*out = shoal_bigcache_zalloc(g->x->cache, ((size_t)g->p->n_members / 64 + 1) * sizeof **out))) {
            rc = nomem(g->x);
        } else {
            double bound = t->h[0];
            for (size_t i = 0; i < t->n_cand; i++)
                if (t->cand[i].v >= bound) (*out)[t->cand[i].m >> 6] |= (uint64_t)1 << (t->cand[i].m & 63);
        }
    }
    shoal_free(t->h);
    shoal_free(t->cand);
    return rc;
}

/* A score's view read into its array, each run offered to the heap while in cache. */
typedef struct topread {
    double *d;
    topk *t;
} topread;

static void into_array_top(void *ctx, uint32_t first, const double *raw, size_t n, double f)
{
    topread *r = ctx;
    shoal_view_score_into(r->d, first, raw, n, f);
    size_t skip = first ? 0 : 1;   /* member 0 is none */
    top_offer_run(r->t, first + (uint32_t)skip, r->d + first + skip, n - skip);
}

/* into_array_top with the chunk's bounds: a run of SHOAL_SCORE_BOUND_W members whose
 * bound B times f is below the heap's least is neither read nor written (its values
 * are at most B·f in magnitude, f > 0 and the product's rounding monotone, so each is
 * below the k-th best in either order; ties, equal to it, are read). Once the heap is
 * full its least only rises, so a member passed over could never have been a
 * candidate (issue 17: the top 100 by engagement read and wrote all 303k members'
 * values, 2.4 MB each way, to keep some 1.5k). Runs read one after another are one
 * span; d is left as it was for the others, which no row reads: the rows are the top's
 * (g->top_out), and the heap, once full, stays full. */
static void into_array_top_bounded(void *ctx, uint32_t first, const double *raw, const void *bound, size_t n, double f)
{
    topread *r = ctx;
    if (!bound) {
        into_array_top(ctx, first, raw, n, f);
        return;
    }
    size_t lo = 0;   /* the span of runs to read: [lo, s) */
    for (size_t s = 0; s < n; s += SHOAL_SCORE_BOUND_W) {
        float b;
        memcpy(&b, (const char *)bound + s / SHOAL_SCORE_BOUND_W * sizeof b, sizeof b);
        if (!((double)b * f < shoal_exec_top_least(r->t))) continue;
        if (s > lo) into_array_top(ctx, first + (uint32_t)lo, raw + lo, s - lo, f);
        lo = s + SHOAL_SCORE_BOUND_W;
    }
    if (lo < n) into_array_top(ctx, first + (uint32_t)lo, raw + lo, n - lo, f);
}

int shoal_exec_read_score_top(run *g, magg *a)
{
    topk t;
    int rc = top_begin(g, &t);
    if (rc <= 0) return rc;
    topread r = {a->d, &t};
    int64_t t0;
    rc = shoal_view_score_bounded(g->x->r, a->vname, g->p->n_members, &t0, g->p->now, a->half_life,
                                  into_array_top_bounded, &r, g->x->err);
    int rc2 = top_end(g, &t, &g->top_out);
    return rc ? rc : rc2;
}

/* A score's values d (read less its tail) times f, each run offered to the heap while in
 * cache, as shoal_exec_read_score_top does with the view's chunks. */
int shoal_exec_scale_top(run *g, magg *a, double f)
{
    topk t;
    int rc = top_begin(g, &t);
    if (rc < 0) return rc;
    size_t nm = (size_t)g->p->n_members + 1;
    for (size_t first = 0; first < nm; first += 1024) {
        size_t n = nm - first < 1024 ? nm - first : 1024;
        double *d = a->d + first;
        for (size_t i = 0; i < n; i++) d[i] *= f;
        if (rc) top_offer_run(&t, (uint32_t)first + !first, d + !first, n - !first);
    }
    return rc ? top_end(g, &t, &g->top_out) : 0;
}

int shoal_exec_top_open(run *g, topk **t)
{
    *t = shoal_malloc(sizeof **t);
    if (!*t) return nomem(g->x);
    int rc = top_begin(g, *t);
    if (rc <= 0) {
        shoal_free(*t);
        *t = NULL;
    }
    return rc;
}

void shoal_exec_top_offer_run(topk *t, uint32_t first, const double *d, size_t n) { top_offer_run(t, first, d, n); }

void shoal_exec_top_offer(topk *t, uint32_t m, double v) { top_offer(t, m, v); }

double shoal_exec_top_least(const topk *t) { return t->n == t->k ? t->h[0] : -INFINITY; }

int shoal_exec_top_close(run *g, topk *t)
{
    int rc = top_end(g, t, &g->top_out);
    shoal_free(t);
    return rc;
}

/* Leaves the bits of the members worth a row in *res (within live, when given): 1, or
 * 0 when it does not apply (or fewer than k members are offered). */
int shoal_exec_top_bound(run *g, const uint64_t *live, uint64_t **res)
{
    plan *p = g->p;
    if (g->top_out && !live) {   /* found by the score's read */
        *res = g->top_out;
        g->top_out = NULL;
        return 1;
    }
    topk t;
    int rc = top_begin(g, &t);
    if (rc <= 0) return rc;
    const magg *a = &p->maggs[t.slot];
    if (!live && a->fn == F_SCORE) top_offer_run(&t, 1, a->d + 1, p->n_members);
    else
        for (uint32_t m = 1; m <= p->n_members; m++) {
            if (live && !(live[m >> 6] >> (m & 63) & 1)) continue;
            top_offer(&t, m, a->fn == F_COUNT ? (double)magg_count(a, m) : a->fn == F_RISE ? a->d[m] - a->d2[m] : a->d[m]);
        }
    if ((rc = top_end(g, &t, res))) return rc;
    return *res != NULL;
}
