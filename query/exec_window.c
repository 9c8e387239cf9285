/* exec_window.c — window functions (row_number() OVER (PARTITION BY … ORDER BY …), lag,
 * running sums …): computed, as SQL says, over the rows that WHERE, GROUP BY and HAVING
 * leave, before the statement's ORDER BY and LIMIT. Each row reaching the output is
 * kept here as the values its windows and columns need (plan.wbase, plan.c's lift);
 * once every row is in, each window sorts the rows by its partition and order and
 * walks each partition, and the rows go on to shoal_exec_emit in the order they came.
 * A window's frame is SQL's default: with ORDER BY, from the partition's first row to
 * the current row and its peers (the rows equal to it in ORDER BY); without, the whole
 * partition. ROWS BETWEEN counts rows from the current one; RANGE BETWEEN measures the
 * one ORDER BY key's value from the current row's.
 */
#define _GNU_SOURCE   /* qsort_r: the sort's context without a global */
#include "exec_int.h"

static const struct {
    const char *name;
    int kind;
} kinds[] = {
    {"row_number", W_ROW_NUMBER}, {"rank", W_RANK}, {"dense_rank", W_DENSE_RANK}, {"percent_rank", W_PERCENT_RANK},
    {"cume_dist", W_CUME_DIST}, {"ntile", W_NTILE}, {"lag", W_LAG}, {"lead", W_LEAD},
    {"first_value", W_FIRST_VALUE}, {"last_value", W_LAST_VALUE},
};

int shoal_window_kind(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcasecmp(kinds[i].name, name)) return kinds[i].kind;
    return 0;
}

int shoal_exec_window_keep(run *g, const rowctx *r)
{
    exec *x = g->x;
    plan *p = g->p;
    x->row = (rowctx *)r;
    if (g->n_wrows == g->cap_wrows) {
        size_t nc = g->cap_wrows ? g->cap_wrows * 2 : 256;
        wrow *rows = shoal_realloc(g->wrows, nc * sizeof *rows);
        if (!rows) return nomem(x);
        g->wrows = rows;
        g->cap_wrows = nc;
    }
    if (!g->wrows_a && !(g->wrows_a = shoal_arena_new())) return nomem(x);
    qval *b = shoal_arena_alloc(g->wrows_a, sizeof(qval) * (size_t)(p->n_wbase + 1));
    if (!b) return nomem(x);
    for (int i = 0; i < p->n_wbase; i++) {
        shoal_exec_eval(x, p->wbase[i], &b[i]);
        if (b[i].t == V_STR && b[i].n) {   /* text lives in the row's scratch or the record: kept */
            char *s = shoal_arena_strndup(g->wrows_a, b[i].u.s, b[i].n);
            if (!s) return nomem(x);
            b[i].u.s = s;
        }
    }
    if (x->err->code) return x->err->code;
    g->wrows[g->n_wrows].base = b;
    g->wrows[g->n_wrows++].wv = NULL;
    /* Window functions need every row at once: past the memory budget they are refused
     * rather than spilled (a partition's rows would have to come back together). */
    if (x->mem_limit &&
        shoal_arena_used(g->wrows_a) + g->cap_wrows * sizeof(wrow) > shoal_exec_budget(x)) {
        double kb = (double)x->mem_limit / 1024.0;
        return shoal_err_set(x->err, SHOAL_ERANGE, p->wins[0].node->off, p->wins[0].node->len,
                             "the rows of this window function take more than the memory limit (%.0f%s): "
                             "narrow them (WHERE, DURING, GROUP BY first) or raise it with SET MEMORY_LIMIT",
                             kb < 1024 ? kb : kb / 1024, kb < 1024 ? "KB" : "MB");
    }
    return 0;
}

/* NULL first, then shoal_val_cmp's order */
static int val_cmp(exec *x, const qval *a, const qval *b)
{
    if (a->t == V_NULL || b->t == V_NULL) return (a->t != V_NULL) - (b->t != V_NULL);
    if (a->t == V_STR && b->t == V_STR) return shoal_bytes_cmp(a->u.s, a->n, b->u.s, b->n);
    int c = 0;
    shoal_val_cmp(x, a, b, &c);
    return c;
}

typedef struct wsort {
    run *g;
    const wfunc *w;
} wsort;

static int part_cmp(const wsort *s, uint32_t i, uint32_t j)
{
    const qval *a = s->g->wrows[i].base, *b = s->g->wrows[j].base;
    for (int k = 0; k < s->w->n_part; k++) {
        int c = val_cmp(s->g->x, &a[s->w->part[k]], &b[s->w->part[k]]);
        if (c) return c;
    }
    return 0;
}

static int order_cmp(const wsort *s, uint32_t i, uint32_t j)
{
    const qval *a = s->g->wrows[i].base, *b = s->g->wrows[j].base;
    const wfunc *w = s->w;
    for (int k = 0; k < w->n_order; k++) {
        const qval *va = &a[w->order[k]], *vb = &b[w->order[k]];
        int c = val_cmp(s->g->x, va, vb);
        if (!c) continue;
        if ((va->t == V_NULL || vb->t == V_NULL) && w->nulls[k]) return w->nulls[k] == 1 ? c : -c;
        return w->desc[k] ? -c : c;
    }
    return 0;
}

/* partition, then order, then the order rows came in (ties keep it, as the output does);
 * cancelled, every row ties, so the sort runs out */
static int row_cmp(const void *pa, const void *pb, void *ctx)
{
    const wsort *s = ctx;
    if (s->g->x->cancel && *s->g->x->cancel) return 0;
    uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;
    int c = part_cmp(s, i, j);
    if (!c) c = order_cmp(s, i, j);
    return c ? c : (i > j) - (i < j);
}

static int arg_error(exec *x, const wfunc *w, const char *what)
{
    const shoal_node *n = w->node;
    return shoal_err_set(x->err, SHOAL_ESEMANTIC, n->off, n->len, "%s()'s %s", n->s, what);
}

/* An integer argument of a row (ntile's buckets, lag's offset): 1 with *out, 0 for NULL,
 * -1 after the error (not an integer, or below min). */
static int int_arg(exec *x, const wfunc *w, const qval *v, int64_t min, int64_t *out, const char *what)
{
    if (v->t == V_NULL) return 0;
    if (v->t == V_INT) *out = v->u.i;
    else if (v->t == V_NUM && v->u.d == floor(v->u.d) && fabs(v->u.d) < 9e15) *out = (int64_t)v->u.d;
    else return arg_error(x, w, what), -1;
    if (*out < min) return arg_error(x, w, what), -1;
    return 1;
}

/* A row into a window aggregate's accumulator (FILTER, count(*), NULL left out). */
static int add_row(exec *x, const wfunc *w, acc *a, const qval *b)
{
    if (w->filter >= 0 && !(b[w->filter].t != V_NULL && truth(&b[w->filter]))) return 0;
    if (w->ra.star) {
        a->n++;
        return 0;
    }
    if (b[w->args[0]].t == V_NULL) return 0;
    return shoal_exec_acc_add(x, &w->ra, a, &b[w->args[0]], 1);
}

/* ROWS BETWEEN lo AND hi: the frame of row i is [i + lo, i + hi] of the partition (from
 * its start or to its end when unbounded). A frame unbounded on one side is a running
 * accumulation from that side, each row added once; a bounded one is accumulated
 * afresh for each row (its rows, hi − lo + 1 at most). */
static int framed(run *g, int k, const wfunc *w, const uint32_t *r, size_t m)
{
    exec *x = g->x;
    wrow *rows = g->wrows;
    int64_t last = (int64_t)m - 1;
    int rc = 0;
    acc a;
    memset(&a, 0, sizeof a);
    if (w->kind != W_AGG || !(w->lo_unb || w->hi_unb)) {
        for (int64_t i = 0; i <= last && !rc; i++) {
            int64_t s = w->lo_unb ? 0 : i + w->lo, e = w->hi_unb ? last : i + w->hi;
            if (s < 0) s = 0;
            if (e > last) e = last;
            qval *out = &rows[r[i]].wv[k];
            out->t = V_NULL;
            if (w->kind == W_FIRST_VALUE || w->kind == W_LAST_VALUE) {
                if (s <= e) *out = rows[r[w->kind == W_FIRST_VALUE ? s : e]].base[w->args[0]];
                continue;
            }
            /* every row: a bounded frame may hold millions of rows (exec.c says cancelled) */
            if (x->cancel && *x->cancel) return 0;
            memset(&a, 0, sizeof a);
            for (int64_t j = s; j <= e && !rc; j++) rc = add_row(x, w, &a, rows[r[j]].base);
            shoal_exec_acc_val(x, &w->ra, &a, out);
        }
        return rc;
    }
    if (w->lo_unb) {   /* from the partition's start: the end only moves on */
        int64_t next = 0;
        for (int64_t i = 0; i <= last && !rc; i++) {
            int64_t e = w->hi_unb ? last : i + w->hi;
            if (e > last) e = last;
            while (next <= e && !rc) rc = add_row(x, w, &a, rows[r[next++]].base);
            shoal_exec_acc_val(x, &w->ra, &a, &rows[r[i]].wv[k]);
        }
        return rc;
    }
    int64_t next = last;   /* to the partition's end: the start only moves back */
    for (int64_t i = last; i >= 0 && !rc; i--) {
        int64_t s = i + w->lo;
        if (s < 0) s = 0;
        while (next >= s && !rc) rc = add_row(x, w, &a, rows[r[next--]].base);
        shoal_exec_acc_val(x, &w->ra, &a, &rows[r[i]].wv[k]);
    }
    return rc;
}

/* The ORDER BY key of a RANGE frame with an offset as a number on the axis the rows are
 * sorted along (negated for DESC): 1, 0 for NULL, or -1 after the error (text). A long
 * double holds every int64 exactly. */
static int range_key(exec *x, const wfunc *w, const qval *v, long double *out)
{
    switch (v->t) {
    case V_NULL: return 0;
    case V_NUM: *out = v->u.d; break;
    case V_BOOL: case V_INT: case V_TS: case V_DATE: case V_MONTH: case V_DUR: *out = (long double)v->u.i; break;
    default:
        shoal_err_set(x->err, SHOAL_ESEMANTIC, w->node->off, w->node->len, "%s",
                      "a RANGE frame with an offset measures numbers, dates and times: its ORDER BY key holds text");
        return -1;
    }
    if (w->desc[0]) *out = -*out;
    return 1;
}

/* RANGE BETWEEN lo AND hi: the frame of row i is the rows whose key lies within [key +
 * lo, key + hi] (along the order: for DESC, lo PRECEDING is the keys up to lo above), a
 * NULL key's the NULL rows (its peers); an UNBOUNDED side goes to the partition's end,
 * NULLs too; CURRENT ROW without an offset is the row's first or last peer in the whole
 * ORDER BY. Each row's bounds by binary search among the keys; a frame unbounded on one
 * side accumulates as its other bound moves on, a bounded one afresh, unless it is the
 * previous row's. */
static int range_framed(run *g, int k, const wsort *sw, const uint32_t *r, size_t m)
{
    exec *x = g->x;
    const wfunc *w = sw->w;
    wrow *rows = g->wrows;
    int lo_off = !w->lo_unb && w->lof != 0, hi_off = !w->hi_unb && w->hif != 0;
    int offsets = !w->groups && w->n_order == 1 && (lo_off || hi_off);
    long double *v = offsets ? shoal_malloc((m + 1) * sizeof *v) : NULL;
    size_t *fs = shoal_malloc((m + 1) * sizeof *fs), *fe = shoal_malloc((m + 1) * sizeof *fe);
    size_t *gs = NULL, ng = 0;   /* GROUPS: each group of peers' first row, then m */
    int rc = 0;
    if ((offsets && !v) || !fs || !fe) {
        rc = nomem(x);
        goto done;
    }
    size_t nn_lo = 0, nn_hi = m;   /* the rows with a key: [nn_lo, nn_hi) */
    if (offsets) {
        int seen = 0;
        for (size_t i = 0; i < m; i++) {
            int kr = range_key(x, w, &rows[r[i]].base[w->order[0]], &v[i]);
            if (kr < 0) {
                rc = x->err->code;
                goto done;
            }
            if (kr && !seen) nn_lo = i, seen = 1;
            if (kr) nn_hi = i + 1;
        }
        if (!seen) nn_lo = nn_hi = 0;
    }
    if (w->groups) {
        if (!(gs = shoal_malloc((m + 2) * sizeof *gs))) {
            rc = nomem(x);
            goto done;
        }
        for (size_t i = 0, pe; i < m; i = pe) {
            for (pe = i + 1; pe < m && w->n_order && !order_cmp(sw, r[i], r[pe]); pe++) continue;
            if (!w->n_order) pe = m;
            gs[ng++] = i;
        }
        gs[ng] = m;
    }
    for (size_t i = 0, pe, g = 0; i < m; i = pe, g++) {
        /* the peers of row i: [i, pe) */
        for (pe = i + 1; pe < m && w->n_order && !order_cmp(sw, r[i], r[pe]); pe++) continue;
        if (!w->n_order) pe = m;
        if (w->groups) {
            /* groups g + lo … g + hi, clipped to the partition's: empty when they miss it */
            int64_t a = w->lo_unb ? 0 : (int64_t)g + w->lo, b = w->hi_unb ? (int64_t)ng - 1 : (int64_t)g + w->hi;
            if (a < 0) a = 0;
            if (b > (int64_t)ng - 1) b = (int64_t)ng - 1;
            for (size_t j = i; j < pe; j++) {
                fs[j] = a <= b ? gs[a] : 0;
                fe[j] = a <= b ? gs[b + 1] : 0;
            }
            continue;
        }
        for (size_t j = i; j < pe; j++) {
            size_t s0 = w->lo_unb ? 0 : i, e0 = w->hi_unb ? m : pe;   /* e: one past the end */
            if (offsets && j >= nn_lo && j < nn_hi) {
                if (lo_off || (!w->lo_unb && w->lof == 0)) {
                    long double t = v[j] + (long double)w->lof;
                    size_t a = nn_lo, b = nn_hi;   /* the first key >= t */
                    while (a < b) {
                        size_t c = a + (b - a) / 2;
                        if (v[c] < t) a = c + 1;
                        else b = c;
                    }
                    s0 = a;
                }
                if (hi_off || (!w->hi_unb && w->hif == 0)) {
                    long double t = v[j] + (long double)w->hif;
                    size_t a = nn_lo, b = nn_hi;   /* one past the last key <= t */
                    while (a < b) {
                        size_t c = a + (b - a) / 2;
                        if (v[c] <= t) a = c + 1;
                        else b = c;
                    }
                    e0 = a;
                }
            }
            fs[j] = s0;
            fe[j] = e0;
        }
    }
    acc a;
    memset(&a, 0, sizeof a);
    size_t next = 0;
    for (size_t i = 0; i < m && !rc; i++) {
        qval *out = &rows[r[i]].wv[k];
        out->t = V_NULL;
        size_t s0 = fs[i], e0 = fe[i];
        if (w->kind == W_FIRST_VALUE || w->kind == W_LAST_VALUE) {
            if (s0 < e0) *out = rows[r[w->kind == W_FIRST_VALUE ? s0 : e0 - 1]].base[w->args[0]];
            continue;
        }
        if (x->cancel && *x->cancel) break;
        if (w->lo_unb) {   /* from the partition's start: the end only moves on */
            while (next < e0 && !rc) rc = add_row(x, w, &a, rows[r[next++]].base);
        } else if (i > 0 && s0 == fs[i - 1] && e0 == fe[i - 1]) {
            *out = rows[r[i - 1]].wv[k];
            continue;
        } else {
            memset(&a, 0, sizeof a);
            for (size_t j = s0; j < e0 && !rc; j++) rc = add_row(x, w, &a, rows[r[j]].base);
        }
        shoal_exec_acc_val(x, &w->ra, &a, out);
    }
done:
    shoal_free(gs);
    shoal_free(v);
    shoal_free(fs);
    shoal_free(fe);
    return rc;
}

/* Window k over the partition's rows r[0..m), in its order. */
static int partition(run *g, int k, const wsort *s, const uint32_t *r, size_t m)
{
    exec *x = g->x;
    const wfunc *w = s->w;
    wrow *rows = g->wrows;
    if (w->frame && (w->range || w->groups)) return range_framed(g, k, s, r, m);
    if (w->frame) return framed(g, k, w, r, m);
    acc a;
    memset(&a, 0, sizeof a);
    int64_t dense = 0;
    for (size_t j = 0, pe; j < m; j = pe) {
        /* the peers of row j: those equal to it in the window's ORDER BY */
        for (pe = j + 1; pe < m && w->n_order && !order_cmp(s, r[j], r[pe]); pe++) continue;
        if (!w->n_order) pe = m;
        dense++;
        if (w->kind == W_AGG) {
            for (size_t i = j; i < pe; i++) {
                int rc = add_row(x, w, &a, rows[r[i]].base);
                if (rc) return rc;
            }
        }
        for (size_t i = j; i < pe; i++) {
            const qval *b = rows[r[i]].base;
            qval *out = &rows[r[i]].wv[k];
            out->t = V_NULL;
            int64_t nb, off;
            switch (w->kind) {
            case W_ROW_NUMBER: out->t = V_INT, out->u.i = (int64_t)i + 1; break;
            case W_RANK: out->t = V_INT, out->u.i = (int64_t)j + 1; break;
            case W_DENSE_RANK: out->t = V_INT, out->u.i = dense; break;
            case W_PERCENT_RANK: out->t = V_NUM, out->u.d = m > 1 ? (double)j / (double)(m - 1) : 0; break;
            case W_CUME_DIST: out->t = V_NUM, out->u.d = (double)pe / (double)m; break;
            case W_NTILE: {
                int r1 = int_arg(x, w, &b[w->args[0]], 1, &nb, "number of buckets is a positive integer");
                if (r1 < 0) return x->err->code;
                if (r1 == 0) break;
                /* m rows in nb buckets: the first m % nb buckets one row larger */
                uint64_t q = m / (uint64_t)nb, rem = m % (uint64_t)nb, big = rem * (q + 1);
                out->t = V_INT;
                out->u.i = q == 0 ? (int64_t)i + 1
                           : (int64_t)(i < big ? i / (q + 1) + 1 : (i - big) / q + rem + 1);
                break;
            }
            case W_LAG:
            case W_LEAD: {
                off = 1;
                if (w->n_args > 1) {
                    int r1 = int_arg(x, w, &b[w->args[1]], 0, &off, "offset is a non-negative integer");
                    if (r1 < 0) return x->err->code;
                    if (r1 == 0) break;
                }
                int64_t at = w->kind == W_LAG ? (int64_t)i - off : (int64_t)i + off;
                if (at >= 0 && (uint64_t)at < m) *out = rows[r[at]].base[w->args[0]];
                else if (w->n_args > 2) *out = b[w->args[2]];
                break;
            }
            case W_FIRST_VALUE: *out = rows[r[0]].base[w->args[0]]; break;
            case W_LAST_VALUE: *out = rows[r[pe - 1]].base[w->args[0]]; break;
            case W_AGG: shoal_exec_acc_val(x, &w->ra, &a, out); break;
            }
        }
    }
    return 0;
}

int shoal_exec_windows(run *g)
{
    exec *x = g->x;
    plan *p = g->p;
    size_t n = g->n_wrows;
    int rc = 0;
    uint32_t *idx = shoal_malloc((n + 1) * sizeof *idx);
    qval *wv = shoal_malloc((n * (size_t)p->n_wins + 1) * sizeof *wv);
    if (!idx || !wv) {
        rc = nomem(x);
        goto fail;
    }
    if (n > UINT32_MAX) {
        rc = shoal_err_set(x->err, SHOAL_ERANGE, -1, -1, "window functions take at most 4294967295 rows");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) g->wrows[i].wv = wv + i * (size_t)p->n_wins;
    for (int k = 0; k < p->n_wins && !rc; k++) {
        wsort s = {g, &p->wins[k]};
        for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
        qsort_r(idx, n, sizeof *idx, row_cmp, &s);
        for (size_t lo = 0, hi; lo < n && !rc; lo = hi) {
            if (x->cancel && *x->cancel) goto fail;   /* exec.c says cancelled */
            for (hi = lo + 1; hi < n && !part_cmp(&s, idx[lo], idx[hi]); hi++) continue;
            rc = partition(g, k, &s, idx + lo, hi - lo);
        }
    }
    /* the rows go on, in the order they came, with their windows' values */
    g->win_final = 1;
    for (size_t i = 0; i < n && !rc && !g->stop; i++) {
        if ((i & (CANCEL_EVERY - 1)) == CANCEL_EVERY - 1 && x->cancel && *x->cancel) break;
        if (shoal_arena_used(x->scratch)) shoal_arena_reset(x->scratch);
        rowctx r;
        memset(&r, 0, sizeof r);
        r.wbase = g->wrows[i].base;
        r.wvals = g->wrows[i].wv;
        rc = shoal_exec_emit(g, &r);
    }
fail:
    shoal_free(idx);
    shoal_free(wv);
    return rc;
}
