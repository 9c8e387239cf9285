/* join_idc.c — a joined source's id cache (side.idc): for a probing key that is an
 * interned id (e.to), by id, the first matching row + 1 or NO_MATCH, so an id's text is
 * read and hashed once, not per row.
 *
 * When the probing namespace is not much bigger than the joined rows
 * (shoal_join_read_whole) it is read whole, in id order, and every id's match found
 * then: a batch of FILL_BATCH texts at a time, each stage of their look-ups (the hash
 * bucket, the row's key, the key's text) prefetched for the whole batch before the next
 * stage reads it, so the cache misses of the 300k look-ups at 10M events overlap
 * rather than follow one another. A join split over threads (join.c's join_split)
 * shares one cache: allocated before the parts start, each part fills a range of the
 * ids, and only then do the parts scan (and read it, never write it: it has no empty
 * slot left).
 */
#include <stdio.h>
#include <string.h>

#include "exec_int.h"
#include "join.h"
#include "join_int.h"

int shoal_join_key_once(exec *x, const qval *v, qval *out)
{
    if (v->t != V_ID) return shoal_join_key(x, v, out);
    shoal_str str;
    if (shoal_dict_str_once(x->r, v->ns, (uint32_t)v->u.i, &str, NULL) != SHOAL_OK || !str.ptr) {
        str.ptr = "";   /* as shoal_val_str: an id not in the dictionary is the empty text */
        str.len = 0;
    }
    *out = *v;
    out->t = V_STR;
    out->ns = 0;
    out->u.s = str.ptr;
    out->n = str.len;
    return 1;
}

#define FILL_BATCH 64
#define FILL_END 1   /* fill_text: past the range, the walk stops (errors are below 0) */

/* The texts of a range [lo, hi) of the namespace's ids, a batch at a time. */
typedef struct idfill {
    exec *x;
    side *s;
    uint32_t lo, hi;
    int n;
    uint32_t id[FILL_BATCH], at[FILL_BATCH];
    uint64_t h[FILL_BATCH];
    qval key[FILL_BATCH];
} idfill;

static void fill_flush(idfill *f)
{
    side *s = f->s;
    int n = f->n;
    f->n = 0;
    for (int i = 0; i < n; i++) {
        f->h[i] = shoal_val_hash(&f->key[i]);
        __builtin_prefetch(&s->bucket[f->h[i] & s->mask]);
    }
    for (int i = 0; i < n; i++) {
        uint32_t j = f->at[i] = s->bucket[f->h[i] & s->mask];
        if (j) {
            __builtin_prefetch(&s->keys[j - 1]);
            __builtin_prefetch(&s->next[j - 1]);
        }
    }
    for (int i = 0; i < n; i++)
        if (f->at[i] && s->keys[f->at[i] - 1].t == V_STR) __builtin_prefetch(s->keys[f->at[i] - 1].u.s);
    for (int i = 0; i < n; i++) {
        uint32_t first = 0;
        for (uint32_t j = f->at[i]; j && !first; j = s->next[j - 1])
            if (shoal_val_same(&f->key[i], &s->keys[j - 1])) first = j;
        s->idc[f->id[i]] = first ? first : NO_MATCH;
    }
}

static int fill_text(void *ctx, uint32_t id, const char *str, uint32_t len)
{
    idfill *f = ctx;
    if (id >= f->hi) return FILL_END;
    if (id < f->lo) return 0;
    qval *k = &f->key[f->n];
    *k = (qval){.t = V_STR};
    k->u.s = str;
    k->n = len;
    f->id[f->n] = id;
    if (++f->n == FILL_BATCH) {
        fill_flush(f);
        if (f->x->cancel && *f->x->cancel) return shoal_err_set(f->x->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    }
    return 0;
}

/* s's id cache filled for the ids [lo, hi): the namespace read whole (through x's
 * reader), and any id it did not give looked up alone; no slot of the range is left
 * empty. 0 or the error. */
static int idc_fill(exec *x, side *s, uint32_t lo, uint32_t hi)
{
    idfill *f = shoal_malloc(sizeof *f);
    if (!f) return nomem(x);
    f->x = x;
    f->s = s;
    f->lo = lo;
    f->hi = hi;
    f->n = 0;
    /* the part's own ids only: the walk starts at lo and ends past hi */
    int rc = shoal_dict_each_from(x->r, s->idc_ns, lo, fill_text, f, x->err);
    if (rc == FILL_END) rc = 0;
    if (!rc && f->n) fill_flush(f);
    shoal_free(f);
    if (rc) return rc;
    for (uint32_t id = lo; id < hi; id++) {
        if (s->idc[id]) continue;
        qval v = {.t = V_ID}, key;
        v.ns = (uint8_t)s->idc_ns;
        v.u.i = id;
        int has = shoal_join_key_once(x, &v, &key);
        if (has < 0) return x->err->code;
        uint32_t first = has ? shoal_join_first_match(s, &key) : 0;
        s->idc[id] = first ? first : NO_MATCH;
    }
    return 0;
}

/* An array over the namespace ns's ids, as the dictionary counts them now, all empty:
 * 1, or 0 when it would be too big (the cache then off for good), or the error when it
 * does not fit in the memory budget (exec_spill.c; given back with the join's rows). */
static int idc_alloc(exec *x, side *s, int ns)
{
    uint64_t n = (uint64_t)shoal_dict_count(x->r, ns) + 1;
    if (n <= MAX_IDC) {
        char what[200];
        snprintf(what, sizeof what, "the ids cached for the join with \"%s\"", s->qual);
        if (shoal_exec_hold(x, n * sizeof *s->idc, what, s->j->off, s->j->len)) return x->err->code;
    }
    if (n > MAX_IDC || !(s->idc = shoal_malloc(n * sizeof *s->idc))) {
        s->idc_ns = -1;
        return 0;
    }
    memset(s->idc, 0, n * sizeof *s->idc);
    s->n_idc = (uint32_t)n;
    s->idc_ns = ns;
    return 1;
}

int shoal_join_idc_open(exec *x, side *s, const qval *v)
{
    int rc = idc_alloc(x, s, v->ns);
    if (rc <= 0) return rc;
    /* the namespace read whole: every id's first match found now, in one pass */
    if (shoal_join_read_whole(s->n_idc - 1, s->n_rows)) {
        rc = idc_fill(x, s, 1, s->n_idc);
        if (rc) return rc < 0 ? rc : 0;
    }
    return 1;
}

/* Whether source k is probed by a column of ids of the first source (e.to) whose
 * namespace p knows: that namespace, else -1. */
static int probe_ns(const join_src *js, const plan *p, int k)
{
    const side *s = &js->s[k];
    if (!s->rkey || !s->lkey || s->lkey->op != X_SRCCOL || s->lkey->slot >= js->s[0].n) return -1;
    int c = s->lkey->slot;
    if (p->src_rt[c] == V_ID && p->src_ns[c]) return p->src_ns[c];
    /* a property's interned values (another kind of value met is looked up alone) */
    if (js->s[0].ip->cols[c]->op == X_PROP) return SHOAL_NS_STR;
    return -1;
}

int shoal_join_idc_share(exec *x, join_src *js, const plan *p)
{
    for (int k = 1; k < js->n_sides; k++) {
        side *s = &js->s[k];
        int ns = probe_ns(js, p, k);
        if (ns < 0 || s->idc || s->idc_ns < 0) continue;
        if (!shoal_join_read_whole(shoal_dict_count(x->r, ns), s->n_rows)) continue;
        int rc = idc_alloc(x, s, ns);
        if (rc < 0) return rc;
        if (!rc) continue;
        s->idc_shared = 1;
    }
    return 0;
}

int shoal_join_idc_fill_part(exec *x, join_src *js, int i, int n)
{
    for (int k = 1; k < js->n_sides; k++) {
        side *s = &js->s[k];
        if (!s->idc_shared) continue;
        uint64_t ids = s->n_idc - 1;
        /* (the first part takes id 0 too, which no text has: the parts never write) */
        uint32_t lo = i ? (uint32_t)(1 + ids * (uint64_t)i / (uint64_t)n) : 0, hi = (uint32_t)(1 + ids * (uint64_t)(i + 1) / (uint64_t)n);
        int rc = idc_fill(x, s, lo, hi);
        if (rc) return rc;
    }
    return 0;
}
