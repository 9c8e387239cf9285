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

void shoal_exec_gkey_free(run *g)
{
    gkeys *k = g->gk;
    if (!k) return;
    for (int i = 0; i < k->n; i++) shoal_free(k->col[i].tab), shoal_free(k->col[i].ix);
    shoal_free(k->cell);
    shoal_free(k);
    g->gk = NULL;
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
    shoal_exec_gkey_free(g);
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
                shoal_exec_gkey_free(g);
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
