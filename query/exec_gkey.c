/* exec_gkey.c — the groups of small keys in a dense array (issue 17): a GROUP BY of
 * two to four keys, each an interned column (type, group, member: its dictionary id) or
 * a value of few distinct integers (month(ts), day(ts), hour(ts), a boolean…), finds a
 * row's group by one index into an array of group pointers instead of hashing its keys.
 *
 * An interned key's id is its own index (0 for NULL); another key's value gets the next
 * small index the first time it is seen (a table of at most GK_VALS values a key, the
 * last value tried first: a month changes every few hundred thousand records of a log
 * in time order). The array is only a cache of shoal_exec_find_group's answers: a cell
 * is filled from it, so groups are made, ordered and merged exactly as without it, and
 * a row whose key is not such a value (text, a double, a NaN that is no group's equal)
 * goes to the hash table as before. When a key takes more values than GK_VALS, or the
 * cells would be more than GK_CELLS, the cache is dropped for the rest of the run.
 * (A single interned key is exec.c's by_id array.)
 */
#include "exec_int.h"

#define GK_KEYS 4
#define GK_VALS 1024
#define GK_CELLS ((size_t)1 << 20)

typedef struct gkval {    /* a value in a key's table */
    uint8_t t, ns, used;
    int64_t i;
} gkval;

typedef struct gkcol {
    uint32_t dom;           /* indexes: an interned key's dictionary ids + 1, else GK_VALS */
    int id;                 /* an interned column */
    /* else: the values seen, open addressing over 2·GK_VALS slots; their index */
    uint32_t nv;
    gkval last;
    uint32_t last_ix;
    gkval *tab;
    uint16_t *ix;
} gkcol;

struct gkeys {
    int n;
    gkcol col[GK_KEYS];
    size_t stride[GK_KEYS];
    group **cell;
    size_t n_cells;
};

static void gk_drop(run *g)
{
    gkeys *k = g->gk;
    if (!k) return;
    for (int i = 0; i < k->n; i++) shoal_free(k->col[i].tab), shoal_free(k->col[i].ix);
    shoal_free(k->cell);
    shoal_free(k);
    g->gk = NULL;
}

void shoal_exec_gkey_free(run *g)
{
    gk_drop(g);
    shoal_free(g->km);
    g->km = NULL;
}

/* the dense cells for g's keys, or 0 when they do not fit (g->gk_state then -1) */
static int gk_init(run *g)
{
    plan *p = g->p;
    g->gk_state = -1;
    if (p->n_keys < 2 || p->n_keys > GK_KEYS) return 0;
    gkeys *k = shoal_malloc(sizeof *k);
    if (!k) return 0;
    memset(k, 0, sizeof *k);
    g->gk = k;
    k->n = p->n_keys;
    size_t cells = 1;
    for (int i = 0; i < k->n; i++) {
        gkcol *c = &k->col[i];
        const cx *e = p->keys[i];
        if (e->op == X_TYPE || e->op == X_GROUP || e->op == X_MEMBER) {
            c->id = 1;
            c->dom = shoal_dict_count(g->x->r, e->rns) + 1;
        } else {
            c->dom = GK_VALS;
            c->tab = shoal_malloc(sizeof *c->tab * 2 * GK_VALS);
            c->ix = shoal_malloc(sizeof *c->ix * 2 * GK_VALS);
            if (!c->tab || !c->ix) goto off;
            memset(c->tab, 0, sizeof *c->tab * 2 * GK_VALS);
        }
        k->stride[i] = cells;
        if (c->dom > GK_CELLS / cells) goto off;
        cells *= c->dom;
    }
    k->n_cells = cells;
    if (!(k->cell = shoal_malloc(sizeof *k->cell * cells))) goto off;
    memset(k->cell, 0, sizeof *k->cell * cells);
    g->gk_state = 1;
    return 1;
off:
    gk_drop(g);
    return 0;
}

/* v's index in key c: 1 with *ix, or 0 when v is not one to index (or c is full) */
static inline int gk_index(gkcol *c, const qval *v, size_t *ix)
{
    if (c->id) {
        if (v->t == V_ID && (uint64_t)v->u.i < c->dom && v->u.i > 0) *ix = (size_t)v->u.i;
        else if (v->t == V_NULL) *ix = 0;
        else return 0;
        return 1;
    }
    switch (v->t) {
    case V_NULL: case V_BOOL: case V_INT: case V_ID: case V_TS: case V_DATE: case V_MONTH: case V_DUR: break;
    default: return 0;   /* text, doubles: the hash */
    }
    int64_t i = v->t == V_NULL ? 0 : v->u.i;
    uint8_t ns = v->t == V_ID ? v->ns : 0;
    if (c->last.used && c->last.t == v->t && c->last.i == i && c->last.ns == ns) {
        *ix = c->last_ix;
        return 1;
    }
    uint64_t h = ((uint64_t)i * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)v->t << 8 | ns);
    h ^= h >> 31;
    size_t j = h & (2 * GK_VALS - 1);
    for (; c->tab[j].used; j = (j + 1) & (2 * GK_VALS - 1))
        if (c->tab[j].t == v->t && c->tab[j].i == i && c->tab[j].ns == ns) goto found;
    if (c->nv == GK_VALS) return 0;
    c->tab[j] = (gkval){v->t, ns, 1, i};
    c->ix[j] = (uint16_t)c->nv++;
found:
    c->last = c->tab[j];
    c->last_ix = c->ix[j];
    *ix = c->last_ix;
    return 1;
}

group *shoal_exec_gkey_group(run *g, const qval *keys)
{
    if (g->gk_state < 0 || (!g->gk_state && !gk_init(g))) return shoal_exec_find_group(g, keys);
    gkeys *k = g->gk;
    size_t at = 0;
    for (int i = 0; i < k->n; i++) {
        size_t ix;
        if (!gk_index(&k->col[i], &keys[i], &ix)) {
            if (!k->col[i].id && k->col[i].nv == GK_VALS) {   /* a key of many values: no cells */
                gk_drop(g);
                g->gk_state = -1;
            }
            return shoal_exec_find_group(g, keys);
        }
        at += ix * k->stride[i];
    }
    group *q = k->cell[at];
    if (q) return g->last = q;
    return k->cell[at] = shoal_exec_find_group(g, keys);
}

/* ------------------------------------------------------------ keys of the time */

/* A GROUP BY key day(ts), week(ts), month(ts) or year(ts) over events, in UTC or a zone
 * of one fixed offset (shoal_tz_fixed): the instants that give its last value are one
 * span, [lo, hi), worked out from the value (the period's first local day and the
 * next's, less the offset), and a row inside it takes the value without evaluating (a
 * log in time order meets the same month for hundreds of thousands of records); a row
 * outside evaluates, and the span becomes its value's. In a zone whose offset changes
 * a period's instants need not be one span, so keys are evaluated as before. */
enum { KM_DAY = 1, KM_WEEK, KM_MONTH, KM_YEAR };

typedef struct kmemo {
    int kind, ok;
    int64_t lo, hi;
    qval v;
} kmemo;

static int period_kind(const cx *e)
{
    static const char *const names[] = {"day", "week", "month", "year", NULL};
    if (e->op != X_FUNC || e->n != 1 || e->v[0]->op != X_TS) return 0;
    for (int i = 0; names[i]; i++) {
        const func *f = shoal_func_find(names[i]);
        if (f && f->eval == e->fn) return KM_DAY + i;
    }
    return 0;
}

static void km_init(run *g)
{
    plan *p = g->p;
    exec *x = g->x;
    g->km_state = -1;
    if (p->src != SRC_EVENTS || !p->n_keys || (x->tz && !shoal_tz_fixed(x->tz))) return;
    int any = 0;
    for (int i = 0; i < p->n_keys; i++) any |= period_kind(p->keys[i]);
    if (!any || !(g->km = shoal_malloc(sizeof *g->km * (size_t)p->n_keys))) return;
    memset(g->km, 0, sizeof *g->km * (size_t)p->n_keys);
    for (int i = 0; i < p->n_keys; i++) g->km[i].kind = period_kind(p->keys[i]);
    g->km_off = x->tz ? (int64_t)shoal_tz_offset(x->tz, 0) * 1000 : 0;
    g->km_state = 1;
}

/* the local days [*d0, *d1) of period value v of kind k: 0 when v is not one */
static int period_days(int k, const qval *v, int64_t *d0, int64_t *d1)
{
    int64_t y;
    unsigned m;
    switch (k) {
    case KM_DAY:
        if (v->t != V_DATE) return 0;
        *d0 = v->u.i, *d1 = v->u.i + 1;
        return 1;
    case KM_WEEK:
        if (v->t != V_DATE) return 0;
        *d0 = v->u.i, *d1 = v->u.i + 7;
        return 1;
    case KM_MONTH:
        if (v->t != V_MONTH || v->u.i < -1000000 || v->u.i > 1000000) return 0;
        *d0 = shoal_cal_month_start(v->u.i), *d1 = shoal_cal_month_start(v->u.i + 1);
        return 1;
    case KM_YEAR:
        if (v->t != V_INT || v->u.i < -100000 || v->u.i > 100000) return 0;
        y = v->u.i, m = 1;
        *d0 = shoal_cal_days_from_civil(y, m, 1), *d1 = shoal_cal_days_from_civil(y + 1, m, 1);
        return 1;
    }
    return 0;
}

void shoal_exec_eval_keys(run *g, qval *k)
{
    exec *x = g->x;
    plan *p = g->p;
    if (!g->km_state) km_init(g);
    const shoal_rec *rec = x->row ? x->row->rec : NULL;
    for (int i = 0; i < p->n_keys; i++) {
        kmemo *m = g->km && rec ? &g->km[i] : NULL;
        if (!m || !m->kind) {
            shoal_exec_eval(x, p->keys[i], &k[i]);
            continue;
        }
        int64_t ts = rec->ts;
        if (m->ok && ts >= m->lo && ts < m->hi) {
            k[i] = m->v;
            continue;
        }
        shoal_exec_eval(x, p->keys[i], &k[i]);
        int64_t d0, d1;
        /* (days within ±10^8 of 1970: the instants cannot overflow) */
        m->ok = period_days(m->kind, &k[i], &d0, &d1) && d0 > -100000000 && d1 < 100000000;
        if (m->ok) {
            m->v = k[i];
            m->lo = d0 * 86400000 - g->km_off;
            m->hi = d1 * 86400000 - g->km_off;
            m->ok = ts >= m->lo && ts < m->hi;   /* (it is: the value is ts's) */
        }
    }
}
