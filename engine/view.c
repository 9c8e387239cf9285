/* view.c — the view registry: definitions in meta, one LMDB table per view, and the
 * hooks that keep every view in the append transaction (log.c calls begin, apply per
 * appended event, end before commit, abort on failure), plus create (back-fill),
 * drop, rebuild, list and check. Each kind (view_<kind>.c) implements shoal_view_kind;
 * this file classifies events (which series of a view an event feeds) and owns the
 * table header (the log sequence the view reflects).
 *
 * Invariant: after every commit, each view's header sequence equals the log's last
 * sequence and its state equals a replay of the log (shoal check proves both).
 */
#include "shoal_int.h"
#include "caltime.h"
#include "tz.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>

/* Meta keys: "view.<name>" holds a definition, "views.gen" a counter bumped by every
 * create and drop, which each append compares with the registry it holds. */
#define META_PREFIX "view."
#define META_GEN "views.gen"

typedef struct shoal_views {
    uint64_t gen;
    int n;
    shoal_view **v;
    /* the batch's prepares under way on a second thread (shoal_view_prepare): the views
     * before prep_done are prepared (under prep_mu), prep_rc the first error; on a
     * thread of their own (prep_on 1, prep_th) or posted to the helper (prep_on 2,
     * db->prep_posted), done when prep_ended */
    int prep_on, prep_done, prep_rc, prep_ended;
    shoal_err prep_err;
    pthread_t prep_th;
    pthread_mutex_t prep_mu;
    pthread_cond_t prep_cv;
} shoal_views;

static const shoal_view_kind *const kinds[SHOAL_VIEW_NKINDS] = {NULL, &shoal_view_counters, &shoal_view_score,
                                                                &shoal_view_firstlast, &shoal_view_retention,
                                                                &shoal_view_activity, &shoal_view_experiment};

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* ---------------------------------------------------------------- definitions */

typedef struct wbuf {
    shoal_arena *a;
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void w_bytes(wbuf *w, const void *s, size_t n)
{
    if (w->oom) return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        while (cap < w->n + n) cap *= 2;
        unsigned char *q = shoal_arena_alloc(w->a, cap);
        if (!q) {
            w->oom = 1;
            return;
        }
        if (w->n) memcpy(q, w->p, w->n);
        w->p = q;
        w->cap = cap;
    }
    if (n) memcpy(w->p + w->n, s, n);
    w->n += n;
}

static void w_varint(wbuf *w, uint64_t v)
{
    unsigned char b[10];
    w_bytes(w, b, shoal_varint_put(b, v));
}

static void w_str(wbuf *w, shoal_str s)
{
    w_varint(w, s.len);
    w_bytes(w, s.ptr, s.len);
}

static void w_f64(wbuf *w, double d)
{
    unsigned char b[8];
    memcpy(b, &d, 8);   /* little-endian hosts only, as the record codec */
    w_bytes(w, b, 8);
}

/* Definition format 1: version, kind, name, text, tz, half_life (zigzag), n_series,
 * then per series: n_types, type names, filter, sum_prop, weight (8 bytes); then, only
 * when the kind has parameters, n_params and each (zigzag). Format 2 (a kind with a
 * blob: experiments) always has n_params and the params, then the blob. */
int shoal_viewdef_encode(const shoal_viewdef *def, shoal_arena *a, shoal_str *out, shoal_err *err)
{
    wbuf w = {a, NULL, 0, 0, 0};
    unsigned char hdr[2] = {def->blob.len ? 2 : 1, (unsigned char)def->kind};
    w_bytes(&w, hdr, 2);
    w_str(&w, def->name);
    w_str(&w, def->text);
    w_str(&w, def->tz);
    w_varint(&w, shoal_zigzag(def->half_life_ms));
    w_varint(&w, def->n_series);
    for (uint32_t i = 0; i < def->n_series; i++) {
        const shoal_vseries *s = &def->series[i];
        w_varint(&w, s->n_types);
        for (uint32_t j = 0; j < s->n_types; j++) w_str(&w, s->types[j]);
        w_str(&w, s->filter);
        w_str(&w, s->sum_prop);
        w_f64(&w, s->weight);
    }
    if (def->n_params || def->blob.len) {
        w_varint(&w, def->n_params);
        for (uint32_t i = 0; i < def->n_params && i < SHOAL_VIEW_MAX_PARAMS; i++) w_varint(&w, shoal_zigzag(def->params[i]));
    }
    if (def->blob.len) w_str(&w, def->blob);
    if (w.oom) return nomem(err);
    out->ptr = (const char *)w.p;
    out->len = (uint32_t)w.n;
    return SHOAL_OK;
}

typedef struct rbuf {
    const unsigned char *p, *end;
    int bad;
} rbuf;

static uint64_t r_varint(rbuf *r)
{
    uint64_t v = 0;
    size_t k = r->bad ? 0 : shoal_varint_get(r->p, r->end, &v);
    if (!k) r->bad = 1;
    else r->p += k;
    return v;
}

static shoal_str r_str(rbuf *r)
{
    shoal_str s = {NULL, 0};
    uint64_t n = r_varint(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        return s;
    }
    s.ptr = (const char *)r->p;
    s.len = (uint32_t)n;
    r->p += n;
    return s;
}

int shoal_viewdef_decode(const void *buf, size_t n, shoal_arena *a, shoal_viewdef *out, shoal_err *err)
{
    rbuf r = {buf, (const unsigned char *)buf + n, 0};
    memset(out, 0, sizeof *out);
    if (n < 2 || (r.p[0] != 1 && r.p[0] != 2) || r.p[1] == 0 || r.p[1] >= SHOAL_VIEW_NKINDS) goto bad;
    int version = r.p[0];
    out->kind = r.p[1];
    r.p += 2;
    out->name = r_str(&r);
    out->text = r_str(&r);
    out->tz = r_str(&r);
    out->half_life_ms = shoal_unzigzag(r_varint(&r));
    uint64_t ns = r_varint(&r);
    if (r.bad || ns > SHOAL_VIEW_MAX_SERIES) goto bad;
    out->n_series = (uint32_t)ns;
    out->series = shoal_arena_alloc(a, sizeof *out->series * (ns ? ns : 1));
    if (!out->series) return nomem(err);
    for (uint32_t i = 0; i < out->n_series; i++) {
        shoal_vseries *s = &out->series[i];
        uint64_t nt = r_varint(&r);
        if (r.bad || nt > 4096) goto bad;
        s->n_types = (uint32_t)nt;
        s->types = shoal_arena_alloc(a, sizeof *s->types * (nt ? nt : 1));
        if (!s->types) return nomem(err);
        for (uint32_t j = 0; j < s->n_types; j++) s->types[j] = r_str(&r);
        s->filter = r_str(&r);
        s->sum_prop = r_str(&r);
        if (r.bad || r.end - r.p < 8) goto bad;
        memcpy(&s->weight, r.p, 8);
        r.p += 8;
    }
    if (!r.bad && r.p < r.end) {
        uint64_t np = r_varint(&r);
        if (r.bad || np > SHOAL_VIEW_MAX_PARAMS) goto bad;
        out->n_params = (uint32_t)np;
        for (uint32_t i = 0; i < out->n_params; i++) out->params[i] = shoal_unzigzag(r_varint(&r));
    }
    if (version == 2) out->blob = r_str(&r);
    if (r.bad) goto bad;
    return SHOAL_OK;
bad:
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a view definition does not decode");
}

/* ---------------------------------------------------------------- time */

int64_t shoal_view_day(const shoal_tz *tz, int64_t ts)
{
    int64_t l = ts + (int64_t)shoal_tz_offset(tz, ts) * 1000;
    return l / SHOAL_MS_PER_DAY - (l % SHOAL_MS_PER_DAY < 0);
}

int64_t shoal_view_day_start(const shoal_tz *tz, int64_t day) { return shoal_tz_to_utc(tz, day * SHOAL_MS_PER_DAY); }

/* ---------------------------------------------------------------- filters */

/* A filter program, compiled once per view: ops with their property slots. */
typedef struct vop {
    uint8_t op, sub;
    int32_t slot;       /* PROP: index into the view's prop_names */
    int64_t i;
    double d;
    shoal_str s;
} vop;

typedef struct vprog {
    vop *ops;
    uint32_t n;
} vprog;

/* A value on the evaluation stack: query/value.c's rules on a smaller set of types. */
enum { PV_NULL = 0, PV_BOOL, PV_INT, PV_NUM, PV_STR };
typedef struct pv {
    int t;
    int interned;       /* a string from the dictionary: true whatever its length */
    int64_t i;
    double d;
    const char *s;
    uint32_t n;
} pv;

static int pv_truthy(const pv *v)
{
    switch (v->t) {
    case PV_BOOL:
    case PV_INT: return v->i != 0;
    case PV_NUM: return v->d != 0;
    case PV_STR: return v->interned || v->n != 0;
    default: return 0;
    }
}

static int pv_cmp(const pv *a, const pv *b)
{
    int na = a->t != PV_STR, nb = b->t != PV_STR;
    if (na && nb) {
        if (a->t != PV_NUM && b->t != PV_NUM) return a->i < b->i ? -1 : a->i > b->i;
        double x = a->t == PV_NUM ? a->d : (double)a->i, y = b->t == PV_NUM ? b->d : (double)b->i;
        return x < y ? -1 : x > y;
    }
    if (!na && !nb) {
        uint32_t n = a->n < b->n ? a->n : b->n;
        int c = n ? memcmp(a->s, b->s, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    return na ? -1 : 1;   /* numbers sort before text */
}

static int compile_prog(shoal_view *v, shoal_str src, vprog *out, shoal_err *err)
{
    rbuf r = {(const unsigned char *)src.ptr, (const unsigned char *)src.ptr + src.len, 0};
    out->ops = shoal_arena_alloc(v->a, sizeof(vop) * (src.len + 1));
    out->n = 0;
    if (!out->ops) return nomem(err);
    int depth = 0;
    while (r.p < r.end && !r.bad) {
        vop *o = &out->ops[out->n++];
        memset(o, 0, sizeof *o);
        o->op = *r.p++;
        switch (o->op) {
        case SHOAL_VP_PROP: {
            shoal_str name = r_str(&r);
            uint32_t k = 0;
            while (k < v->n_prop_names && !(v->prop_names[k].len == name.len &&
                                            memcmp(v->prop_names[k].ptr, name.ptr, name.len) == 0))
                k++;
            if (k == v->n_prop_names) v->prop_names[v->n_prop_names++] = name;
            o->slot = (int32_t)k;
            depth++;
            break;
        }
        case SHOAL_VP_NULL: depth++; break;
        case SHOAL_VP_BOOL:
            if (r.p >= r.end) r.bad = 1;
            else o->i = *r.p++ != 0;
            depth++;
            break;
        case SHOAL_VP_INT: o->i = shoal_unzigzag(r_varint(&r)); depth++; break;
        case SHOAL_VP_NUM:
            if (r.end - r.p < 8) r.bad = 1;
            else memcpy(&o->d, r.p, 8), r.p += 8;
            depth++;
            break;
        case SHOAL_VP_STR: o->s = r_str(&r); depth++; break;
        case SHOAL_VP_COL:
            if (r.p >= r.end) r.bad = 1;
            else o->sub = *r.p++;
            if (o->sub != 'm' && o->sub != 't' && o->sub != 'g') r.bad = 1;
            depth++;
            break;
        case SHOAL_VP_CMP:
        case SHOAL_VP_ISNULL:
            if (r.p >= r.end) r.bad = 1;
            else o->sub = *r.p++;
            if (o->op == SHOAL_VP_CMP) depth--;
            if (o->op == SHOAL_VP_CMP && (o->sub < SHOAL_VP_EQ || o->sub > SHOAL_VP_GE)) r.bad = 1;
            break;
        case SHOAL_VP_AND:
        case SHOAL_VP_OR: depth--; break;
        case SHOAL_VP_NOT: break;
        default: r.bad = 1;
        }
        if (depth < 1 || depth > 32) r.bad = 1;
    }
    if (r.bad || depth != 1) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a view filter does not decode");
    return SHOAL_OK;
}

/* The property slot of id key (lazily classified by name). */
static int prop_slot(shoal_view *v, uint32_t key, shoal_err *err)
{
    if (key >= v->n_prop_cache) {
        uint32_t n = key * 2 + 16;
        int16_t *p = shoal_realloc(v->prop_slot, n * sizeof *p);
        if (!p) return nomem(err);
        for (uint32_t i = v->n_prop_cache; i < n; i++) p[i] = -2;
        v->prop_slot = p;
        v->n_prop_cache = n;
    }
    if (v->prop_slot[key] == -2) {
        shoal_str s;
        int rc = shoal_dict_lookup_str(v->db, v->txn, SHOAL_NS_PROP, key, &s, err);
        if (rc) return rc;
        v->prop_slot[key] = -1;
        for (uint32_t k = 0; k < v->n_prop_names; k++)
            if (v->prop_names[k].len == s.len && memcmp(v->prop_names[k].ptr, s.ptr, s.len) == 0)
                v->prop_slot[key] = (int16_t)k;
    }
    return v->prop_slot[key];
}

static int prop_value(shoal_view *v, const shoal_rprop *p, pv *out, shoal_err *err)
{
    memset(out, 0, sizeof *out);
    switch (p->kind) {
    case SHOAL_VAL_BOOL: out->t = PV_BOOL; out->i = p->v.b; break;
    case SHOAL_VAL_INT: out->t = PV_INT; out->i = p->v.i; break;
    case SHOAL_VAL_NUM: out->t = PV_NUM; out->d = p->v.d; break;
    default:
        out->t = PV_STR;
        if (p->v.s.id) {
            out->interned = 1;
            shoal_str s = p->v.s.inl;
            if (!s.ptr && s.len == 0) {
                int rc = shoal_dict_lookup_str(v->db, v->txn, SHOAL_NS_STR, p->v.s.id, &s, err);
                if (rc) return rc;
            }
            out->s = s.ptr ? s.ptr : "";
            out->n = s.len;
        } else {
            out->s = p->v.s.inl.ptr ? p->v.s.inl.ptr : "";
            out->n = p->v.s.inl.len;
        }
    }
    return 0;
}

/* Evaluates prog over ev. Returns 1 (passes), 0, or an error. */
static int eval_prog(shoal_view *v, const vprog *pg, const shoal_ievent *ev, shoal_err *err)
{
    pv st[34];
    int sp = 0, rc;
    for (uint32_t k = 0; k < pg->n; k++) {
        const vop *o = &pg->ops[k];
        pv *a, *b;
        switch (o->op) {
        case SHOAL_VP_PROP:
            memset(&st[sp], 0, sizeof st[sp]);
            for (uint32_t j = 0; j < ev->n_props; j++) {
                if ((rc = prop_slot(v, ev->props[j].key, err)) < -1) return rc;
                if (rc == o->slot) {
                    if ((rc = prop_value(v, &ev->props[j], &st[sp], err))) return rc;
                    break;
                }
            }
            sp++;
            break;
        case SHOAL_VP_NULL: memset(&st[sp++], 0, sizeof(pv)); break;
        case SHOAL_VP_COL: {
            /* the event's member, type or group: text (interned, so true as the query's
             * V_ID is), compared by its name as query/value.c compares them */
            uint32_t id = o->sub == 'm' ? ev->member : o->sub == 't' ? ev->type : ev->group;
            int ns = o->sub == 'm' ? SHOAL_NS_MEMBER : o->sub == 't' ? SHOAL_NS_TYPE : SHOAL_NS_GROUP;
            memset(&st[sp], 0, sizeof st[sp]);
            if (id) {
                shoal_str s;
                if ((rc = shoal_dict_lookup_str(v->db, v->txn, ns, id, &s, err))) return rc;
                st[sp] = (pv){.t = PV_STR, .interned = 1, .s = s.ptr ? s.ptr : "", .n = s.len};
            }
            sp++;
            break;
        }
        case SHOAL_VP_BOOL: st[sp] = (pv){.t = PV_BOOL, .i = o->i}; sp++; break;
        case SHOAL_VP_INT: st[sp] = (pv){.t = PV_INT, .i = o->i}; sp++; break;
        case SHOAL_VP_NUM: st[sp] = (pv){.t = PV_NUM, .d = o->d}; sp++; break;
        case SHOAL_VP_STR: st[sp] = (pv){.t = PV_STR, .s = o->s.ptr ? o->s.ptr : "", .n = o->s.len}; sp++; break;
        case SHOAL_VP_CMP: {
            b = &st[--sp];
            a = &st[sp - 1];
            if (a->t == PV_NULL || b->t == PV_NULL) {
                a->t = PV_NULL;
                break;
            }
            int r;
            if (o->sub == SHOAL_VP_EQ || o->sub == SHOAL_VP_NE) {
                int eq = ((a->t == PV_STR) == (b->t == PV_STR)) && pv_cmp(a, b) == 0;
                r = o->sub == SHOAL_VP_EQ ? eq : !eq;
            } else {
                int c = pv_cmp(a, b);
                r = o->sub == SHOAL_VP_LT ? c < 0 : o->sub == SHOAL_VP_LE ? c <= 0 : o->sub == SHOAL_VP_GT ? c > 0 : c >= 0;
            }
            *a = (pv){.t = PV_BOOL, .i = r};
            break;
        }
        case SHOAL_VP_AND:
        case SHOAL_VP_OR: {
            b = &st[--sp];
            a = &st[sp - 1];
            int want = o->op == SHOAL_VP_OR;   /* the value that decides */
            int an = a->t == PV_NULL, bn = b->t == PV_NULL;
            if ((!an && pv_truthy(a) == want) || (!bn && pv_truthy(b) == want)) *a = (pv){.t = PV_BOOL, .i = want};
            else if (an || bn) a->t = PV_NULL;
            else *a = (pv){.t = PV_BOOL, .i = !want};
            break;
        }
        case SHOAL_VP_NOT:
            a = &st[sp - 1];
            if (a->t != PV_NULL) *a = (pv){.t = PV_BOOL, .i = !pv_truthy(a)};
            break;
        case SHOAL_VP_ISNULL:
            a = &st[sp - 1];
            *a = (pv){.t = PV_BOOL, .i = (a->t == PV_NULL) != (o->sub != 0)};
            break;
        }
    }
    return st[0].t != PV_NULL && pv_truthy(&st[0]);
}

int shoal_view_sum_value(shoal_view *v, uint32_t s, const shoal_ievent *ev, int64_t *i, double *d, int *is_num)
{
    int32_t want = v->sum_slot[s];
    if (want < 0) return 0;
    for (uint32_t j = 0; j < ev->n_props; j++) {
        const shoal_rprop *p = &ev->props[j];
        /* classified already by classify(), which runs first for every event */
        if (p->key >= v->n_prop_cache || v->prop_slot[p->key] != want) continue;
        switch (p->kind) {
        case SHOAL_VAL_BOOL: *i = p->v.b; *d = (double)p->v.b; *is_num = 0; return 1;
        case SHOAL_VAL_INT: *i = p->v.i; *d = (double)p->v.i; *is_num = 0; return 1;
        case SHOAL_VAL_NUM: *i = 0; *d = p->v.d; *is_num = 1; return 1;
        default: return 2;   /* text: the scan refuses to sum it, the counters mark its bucket */
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- view objects */

typedef struct vextra {
    vprog *progs;   /* per series; n == 0: no filter */
    uint64_t fmask; /* the series with a filter */
    uint64_t smask; /* the series with a sum (their apply reads prop_slot: shoal_view_sum_value) */
    uint64_t fsmask; /* fmask | smask: the series for which shoal_view_apply calls classify */
} vextra;

static void view_free(shoal_view *v)
{
    if (!v) return;
    if (v->st) v->kind->free_state(v->st);
    shoal_tz_free(v->tz);
    shoal_free(v->type_mask);
    shoal_free(v->type_known);
    shoal_free(v->prop_slot);
    shoal_arena_free(v->a);
    shoal_free(v);
}

/* A view object from def (copied into its own arena), in hot or built mode. */
static int view_new(shoal_db *db, const shoal_viewdef *def, int built, shoal_view **out, shoal_err *err)
{
    *out = NULL;
    if (def->kind <= 0 || def->kind >= SHOAL_VIEW_NKINDS || def->n_series > SHOAL_VIEW_MAX_SERIES)
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid view definition");
    shoal_view *v = shoal_malloc(sizeof *v);
    if (!v) return nomem(err);
    memset(v, 0, sizeof *v);
    v->db = db;
    v->built = built;
    v->kind = kinds[def->kind];
    v->t0 = INT64_MIN;
    v->max_ts = INT64_MIN;
    int rc;
    shoal_str enc;
    if (!(v->a = shoal_arena_new())) {
        rc = nomem(err);
        goto fail;
    }
    /* Copy through the encoding: one place knows every field. */
    if ((rc = shoal_viewdef_encode(def, v->a, &enc, err)) || (rc = shoal_viewdef_decode(enc.ptr, enc.len, v->a, &v->def, err)))
        goto fail;
    snprintf(v->dbname, sizeof v->dbname, "v.%.*s", (int)v->def.name.len, v->def.name.ptr);
    char tzname[128];
    snprintf(tzname, sizeof tzname, "%.*s", (int)v->def.tz.len, v->def.tz.ptr ? v->def.tz.ptr : "UTC");
    if ((rc = shoal_tz_new(tzname, NULL, &v->tz, err))) goto fail;
    uint32_t max_names = 1;
    for (uint32_t s = 0; s < v->def.n_series; s++) max_names += v->def.series[s].filter.len + 1;
    v->prop_names = shoal_arena_alloc(v->a, sizeof(shoal_str) * max_names);
    v->sum_slot = shoal_arena_alloc(v->a, sizeof(int32_t) * (v->def.n_series + 1));
    vextra *x = shoal_arena_alloc(v->a, sizeof *x);
    if (!v->prop_names || !v->sum_slot || !x || !(x->progs = shoal_arena_alloc(v->a, sizeof(vprog) * (v->def.n_series + 1)))) {
        rc = nomem(err);
        goto fail;
    }
    x->fmask = 0;
    x->smask = 0;
    x->fsmask = 0;
    for (uint32_t s = 0; s < v->def.n_series; s++) {
        const shoal_vseries *se = &v->def.series[s];
        x->progs[s].n = 0;
        if (se->filter.len && (rc = compile_prog(v, se->filter, &x->progs[s], err))) goto fail;
        if (x->progs[s].n) x->fmask |= 1ULL << s, x->fsmask |= 1ULL << s;
        v->sum_slot[s] = -1;
        if (se->sum_prop.len) {
            x->smask |= 1ULL << s;
            x->fsmask |= 1ULL << s;
            uint32_t k = 0;
            while (k < v->n_prop_names && !(v->prop_names[k].len == se->sum_prop.len &&
                                            memcmp(v->prop_names[k].ptr, se->sum_prop.ptr, se->sum_prop.len) == 0))
                k++;
            if (k == v->n_prop_names) v->prop_names[v->n_prop_names++] = se->sum_prop;
            v->sum_slot[s] = (int32_t)k;
        }
    }
    v->st = NULL;
    if ((rc = v->kind->new_state(v, &v->st, err))) {
        char q[200];
        shoal_err_quote(q, sizeof q, v->def.name.ptr, v->def.name.len);
        shoal_err_set(err, rc, -1, -1, "the parameters of view \"%s\" do not decode", q);   /* unless the kind said */
        goto fail;
    }
    v->extra = x;
    *out = v;
    return SHOAL_OK;
fail:
    view_free(v);
    return rc;
}

/* Forgets the per-batch classification: ids interned by an aborted transaction may be
 * reused for other strings. */
static void classify_reset(shoal_view *v)
{
    if (v->type_known) memset(v->type_known, 0, v->n_type_cache);
    for (uint32_t i = 0; i < v->n_prop_cache; i++) v->prop_slot[i] = -2;
}

/* The series of v that ev feeds, as a mask. Returns 0 or an error (negative). */
static int classify(shoal_view *v, const shoal_ievent *ev, uint64_t *mask, shoal_err *err)
{
    uint32_t t = ev->type;
    int rc;
    *mask = 0;
    if (t >= v->n_type_cache) {
        uint32_t n = t * 2 + 16;
        uint64_t *m = shoal_realloc(v->type_mask, n * sizeof *m);
        if (!m) return nomem(err);
        v->type_mask = m;
        uint8_t *k = shoal_realloc(v->type_known, n);
        if (!k) return nomem(err);
        v->type_known = k;
        memset(k + v->n_type_cache, 0, n - v->n_type_cache);
        v->n_type_cache = n;
    }
    if (!v->type_known[t]) {
        shoal_str s;
        if ((rc = shoal_dict_lookup_str(v->db, v->txn, SHOAL_NS_TYPE, t, &s, err))) return rc;
        uint64_t m = 0;
        for (uint32_t i = 0; i < v->def.n_series; i++) {
            const shoal_vseries *se = &v->def.series[i];
            int hit = se->n_types == 0;
            for (uint32_t j = 0; j < se->n_types && !hit; j++)
                hit = se->types[j].len == s.len && memcmp(se->types[j].ptr, s.ptr, s.len) == 0;
            if (hit) m |= 1ULL << i;
        }
        v->type_mask[t] = m;
        v->type_known[t] = 1;
    }
    uint64_t m = v->type_mask[t];
    if (!m) return 0;
    /* Classify every property id once, so sums can read slots directly (a filter's
     * program classifies what it reads itself): only for an event a sum reads. */
    const vextra *x = v->extra;
    if (v->n_prop_names && (m & x->smask))
        for (uint32_t j = 0; j < ev->n_props; j++)
            if ((rc = prop_slot(v, ev->props[j].key, err)) < -1) return rc;
    /* only the series of the type with a filter (a loop over every series was a fifth
     * of classify's instructions with the demo views) */
    for (uint64_t f = m & x->fmask; f; f &= f - 1) {
        int i = __builtin_ctzll(f);
        if ((rc = eval_prog(v, &x->progs[i], ev, err)) < 0) return rc;
        if (!rc) m &= ~(1ULL << i);
    }
    *mask = m;
    return 0;
}

/* ---------------------------------------------------------------- tables */

static int open_table(MDB_txn *txn, const char *name, int create, MDB_dbi *out, shoal_err *err)
{
    int rc = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, out);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot open a view's table");
    return SHOAL_OK;
}

static uint64_t flip(int64_t v) { return (uint64_t)v ^ (1ULL << 63); }
static int64_t unflip(uint64_t v) { return (int64_t)(v ^ (1ULL << 63)); }

int shoal_view_mark_get(MDB_txn *txn, MDB_dbi dbi, unsigned char key, size_t n, const unsigned char **payload,
                        shoal_err *err)
{
    unsigned char h = SHOAL_VIEW_HDR;
    MDB_val kv = {1, &key}, vv, hk = {1, &h}, hv;
    int rc = mdb_get(txn, dbi, &kv, &vv);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    if (vv.mv_size != n + 8) return 0;
    if ((rc = mdb_get(txn, dbi, &hk, &hv)) && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (rc || hv.mv_size < 9 || memcmp((const unsigned char *)hv.mv_data + 1, (const unsigned char *)vv.mv_data + n, 8))
        return 0;
    *payload = vv.mv_data;
    return 1;
}

int shoal_view_mark_put(MDB_txn *txn, MDB_dbi dbi, unsigned char key, const unsigned char *payload, size_t n,
                        uint64_t seq, shoal_err *err)
{
    unsigned char b[64];
    if (n + 8 > sizeof b) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "a view's mark is too long");
    memcpy(b, payload, n);
    shoal_be64_put(b + n, seq);
    MDB_val kv = {1, &key}, vv = {n + 8, b};
    int rc = mdb_put(txn, dbi, &kv, &vv, 0);
    return rc ? shoal_store_err(err, rc, "cannot write a view's table") : SHOAL_OK;
}

static int hdr_read(MDB_txn *txn, MDB_dbi dbi, uint64_t *seq, int64_t *t0, int64_t *max_ts, shoal_err *err)
{
    unsigned char k = SHOAL_VIEW_HDR;
    MDB_val kv = {1, &k}, vv;
    int rc = mdb_get(txn, dbi, &kv, &vv);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's header");
    if (vv.mv_size != SHOAL_VIEW_HDR_LEN || ((unsigned char *)vv.mv_data)[0] != 1)
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a view's header has a bad size");
    const unsigned char *p = vv.mv_data;
    *seq = shoal_be64_get(p + 1);
    *t0 = unflip(shoal_be64_get(p + 9));
    *max_ts = unflip(shoal_be64_get(p + 17));
    return SHOAL_OK;
}

static int hdr_write(MDB_txn *txn, MDB_dbi dbi, const shoal_view *v, uint64_t seq, shoal_err *err)
{
    unsigned char k = SHOAL_VIEW_HDR, b[SHOAL_VIEW_HDR_LEN];
    b[0] = 1;
    shoal_be64_put(b + 1, seq);
    shoal_be64_put(b + 9, flip(v->t0));
    shoal_be64_put(b + 17, flip(v->max_ts));
    MDB_val kv = {1, &k}, vv = {sizeof b, b};
    int rc = mdb_put(txn, dbi, &kv, &vv, 0);
    if (rc) return shoal_store_err(err, rc, "cannot write a view's header");
    return SHOAL_OK;
}

static int meta_key(const char *name, size_t n, char *buf, size_t cap)
{
    return snprintf(buf, cap, META_PREFIX "%.*s", (int)n, name) < (int)cap ? 0 : -1;
}

static int gen_read(shoal_db *db, MDB_txn *txn, uint64_t *gen, shoal_err *err)
{
    MDB_val v;
    int rc = shoal_meta_get(db, txn, META_GEN, &v);
    if (rc == MDB_NOTFOUND) {
        *gen = 0;
        return SHOAL_OK;
    }
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    if (v.mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "views.gen has a bad size");
    *gen = shoal_be64_get(v.mv_data);
    return SHOAL_OK;
}

static int gen_bump(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint64_t g;
    int rc = gen_read(db, txn, &g, err);
    if (rc) return rc;
    unsigned char b[8];
    shoal_be64_put(b, g + 1);
    return shoal_meta_put(db, txn, META_GEN, b, 8, err);
}

/* The format a database holding a view of kind `kind` needs at least: views
 * (SHOAL_FORMAT_VIEWS), an experiment's view its layout (SHOAL_FORMAT_EXPVIEW). */
static int format_of_kind(int kind) { return kind == SHOAL_VIEW_EXPERIMENT ? SHOAL_FORMAT_EXPVIEW : SHOAL_FORMAT_VIEWS; }

/* The error for view name's definition (meta key "view.<name>") that does not decode. */
static int broken_err(shoal_err *err, const char *name, size_t n)
{
    char q[200];
    shoal_err_quote(q, sizeof q, name, n);
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                         "the definition of view \"%s\" does not decode (damaged); DROP VIEW %s removes it", q, q);
}

/* Decodes the definition stored under key (borrowing from a copy in a); a definition
 * is also damaged when the name inside it is not its key's. On damage, fills def as a
 * broken view (kind 0, no series, the name from the key) and returns SHOAL_ECORRUPT. */
static int def_read(const MDB_val *k, const MDB_val *v, shoal_arena *a, shoal_viewdef *def, shoal_err *err)
{
    size_t plen = strlen(META_PREFIX);
    char *copy = shoal_arena_alloc(a, v->mv_size + k->mv_size + 1);
    if (!copy) return nomem(err);
    memcpy(copy, v->mv_data, v->mv_size);
    char *name = copy + v->mv_size;
    size_t nn = k->mv_size - plen;
    memcpy(name, (const char *)k->mv_data + plen, nn);
    name[nn] = 0;
    shoal_err tmp;
    shoal_err_clear(&tmp);
    int rc = shoal_viewdef_decode(copy, v->mv_size, a, def, &tmp);
    if (rc == SHOAL_ENOMEM) return nomem(err);
    if (rc || def->name.len != nn || memcmp(def->name.ptr, name, nn) != 0) {
        memset(def, 0, sizeof *def);
        def->name = (shoal_str){name, (uint32_t)nn};
        def->text = (shoal_str){"(damaged: its definition does not decode)", 41};
        return broken_err(err, name, nn);
    }
    return SHOAL_OK;
}

/* Calls fn for every definition in meta, decoded into a (strings borrowed from a). A
 * definition that does not decode is an error naming the view, or, with tolerant, is
 * handed to fn as a broken view (kind 0; see def_read). */
static int each_def(shoal_db *db, MDB_txn *txn, shoal_arena *a, int (*fn)(void *ctx, const shoal_viewdef *def),
                    void *ctx, int tolerant, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->dbi_meta, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    size_t plen = strlen(META_PREFIX);
    MDB_val k = {plen, (void *)META_PREFIX}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, META_PREFIX, plen) != 0) break;
        shoal_viewdef def;
        shoal_err tmp;
        shoal_err_clear(&tmp);
        rc = def_read(&k, &v, a, &def, &tmp);
        if (rc == SHOAL_ECORRUPT && tolerant) rc = SHOAL_OK;
        if (rc) shoal_err_set(err, rc, -1, -1, "%s", tmp.msg);
        if (rc || (rc = fn(ctx, &def))) {
            mdb_cursor_close(cur);
            return rc;
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND && rc < 0) return rc;
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read meta");
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- the append hooks */

typedef struct load_ctx {
    shoal_db *db;
    shoal_views *reg;
    shoal_err *err;
} load_ctx;

static int load_one(void *ctx, const shoal_viewdef *def)
{
    load_ctx *c = ctx;
    shoal_view *v;
    shoal_err tmp;
    shoal_err_clear(&tmp);
    int rc = view_new(c->db, def, 0, &v, &tmp);
    if (rc == SHOAL_ECORRUPT) return broken_err(c->err, def->name.ptr, def->name.len);
    if (rc) return shoal_err_set(c->err, rc, -1, -1, "%s", tmp.msg);
    shoal_view **l = shoal_realloc(c->reg->v, sizeof *l * (size_t)(c->reg->n + 1));
    if (!l) {
        view_free(v);
        return nomem(c->err);
    }
    c->reg->v = l;
    l[c->reg->n++] = v;
    return 0;
}

static void prep_join(shoal_db *db, shoal_views *vs);

void shoal_view_registry_free(shoal_db *db)
{
    shoal_views *reg = db->views;
    if (!reg) return;
    prep_join(db, reg);
    for (int i = 0; i < reg->n; i++) view_free(reg->v[i]);
    shoal_free(reg->v);
    shoal_free(reg);
    db->views = NULL;
}

static int replay(shoal_view *v, shoal_reader *r, uint64_t from, uint64_t to, shoal_err *err);

/* A table an earlier build made in a layout this shoal does not keep (the kind's
 * outdated): made again from the log, records 1..seq, in the append's write
 * transaction, before the batch's events are applied, as a rebuild would make it (the
 * kind writes its layout's mark with the whole table). Once: the table is then
 * current. Reads do not use such a table (they answer from the log), so until this
 * append nothing read it, and from its commit on it is exact; an aborted append
 * aborts the remake with it, and the next attempt makes it again. */
static int remake(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, uint64_t seq, shoal_err *err)
{
    shoal_reader fake;
    memset(&fake, 0, sizeof fake);
    fake.db = v->db;
    fake.txn = txn;
    fake.last_seq = seq;
    v->kind->reset(v->st);
    v->t0 = v->max_ts = INT64_MIN;
    v->built = 1;
    int rc = replay(v, &fake, 1, seq, err);
    if (!rc && (rc = mdb_drop(txn, dbi, 0))) rc = shoal_store_err(err, rc, "cannot empty a view's table");
    v->flush_seq = seq;   /* the header's: a kind's stamps (hours, presence bitmaps) are current */
    if (!rc) rc = v->kind->flush(v, txn, dbi, 1, err);
    if (!rc) rc = hdr_write(txn, dbi, v, seq, err);
    v->built = 0;
    v->kind->reset(v->st);
    return rc;
}

int shoal_view_begin(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint64_t gen;
    int rc = gen_read(db, txn, &gen, err);
    if (rc) return rc;
    if (db->views && db->views->gen != gen) shoal_view_registry_free(db);
    if (!db->views) {
        if (gen == 0) return SHOAL_OK;   /* no view was ever created: nothing to keep */
        shoal_views *reg = shoal_malloc(sizeof *reg);
        if (!reg) return nomem(err);
        memset(reg, 0, sizeof *reg);
        reg->gen = gen;
        db->views = reg;
        shoal_arena *a = shoal_arena_new();
        if (!a) return nomem(err);
        load_ctx c = {db, reg, err};
        rc = each_def(db, txn, a, load_one, &c, 0, err);
        shoal_arena_free(a);
        if (rc) {
            shoal_view_registry_free(db);
            return rc;
        }
    }
    for (int i = 0; i < db->views->n; i++) {
        shoal_view *v = db->views->v[i];
        MDB_dbi dbi;
        uint64_t seq;
        int64_t t0, max_ts;
        v->txn = txn;
        classify_reset(v);
        if ((rc = open_table(txn, v->dbname, 0, &dbi, err)) ||
            (rc = hdr_read(txn, dbi, &seq, &t0, &max_ts, err))) {
            if (rc == SHOAL_ENOTFOUND)
                rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\" has no table", v->dbname + 2);
            return rc;
        }
        v->dbi = dbi;
        v->no_premerge = 0;
        if (!v->loaded || seq != v->seq) {
            /* A table an earlier build made in another layout is made again first. */
            int old = v->kind->outdated ? v->kind->outdated(v, txn, dbi, err) : 0;
            if (old < 0) return old;
            v->no_premerge = old;
            if (old && ((rc = remake(v, txn, dbi, seq, err)) || (rc = hdr_read(txn, dbi, &seq, &t0, &max_ts, err))))
                return rc;
            /* Another process appended since, or our last attempt aborted. */
            v->kind->reset(v->st);
            v->seq = seq;
            v->t0 = t0;
            v->max_ts = max_ts;
            if ((rc = v->kind->load(v, txn, dbi, err))) return rc;
            v->loaded = 1;
        }
    }
    return SHOAL_OK;
}

int shoal_view_apply(shoal_db *db, MDB_txn *txn, const shoal_ievent *ev, shoal_err *err)
{
    (void)txn;
    if (!db->views) return SHOAL_OK;
    for (int i = 0; i < db->views->n; i++) {
        shoal_view *v = db->views->v[i];
        const vextra *x = v->extra;
        uint32_t t = ev->type;
        uint64_t mask;
        int rc;
        /* a type classified, whose series have no filter or sum, is its mask (classify's
         * call was a third of the views' apply, in good part its prologue) */
        if (!(t < v->n_type_cache && v->type_known[t] && !((mask = v->type_mask[t]) & x->fsmask)) &&
            (rc = classify(v, ev, &mask, err)))
            return rc;
        if (mask && (rc = v->kind->apply(v, ev, mask, err))) return rc;
    }
    return SHOAL_OK;
}

/* The views' prepares (shoal_view_kind.prepare), in registry order, on a second thread;
 * each view's done is told as it is (prep_done), an error stops them. */
static void prep_run(shoal_views *vs, int reads)
{
    /* premerge's reads: a read transaction of the snapshot the append started from (no
     * other transaction can commit before it does) */
    MDB_txn *rtxn = NULL;
    shoal_db *db = vs->n ? vs->v[0]->db : NULL;
    if (reads && db && !db->nolock && mdb_txn_begin(db->env, NULL, MDB_RDONLY, &rtxn)) rtxn = NULL;
    for (int i = 0; i < vs->n; i++) {
        shoal_view *v = vs->v[i];
        int rc = v->kind->prepare ? v->kind->prepare(v, &vs->prep_err) : SHOAL_OK;
        if (!rc && rtxn && v->kind->premerge && !v->no_premerge) {
            int r = v->kind->premerge(v, rtxn, v->dbi, &vs->prep_err);
            if (r < 0) rc = r;
        }
        pthread_mutex_lock(&vs->prep_mu);
        vs->prep_rc = rc;
        vs->prep_done = rc ? vs->n : i + 1;
        pthread_cond_signal(&vs->prep_cv);
        pthread_mutex_unlock(&vs->prep_mu);
        if (rc) break;
    }
    if (rtxn) mdb_txn_abort(rtxn);
    pthread_mutex_lock(&vs->prep_mu);
    vs->prep_ended = 1;
    pthread_cond_signal(&vs->prep_cv);
    pthread_mutex_unlock(&vs->prep_mu);
}

/* A thread's, or the helper's: not the thread appending, so with premerge's reads. */
static void *prep_main(void *arg)
{
    prep_run(arg, 1);
    return NULL;
}

/* Takes the prepares posted for the helper, when no thread has yet: 1 if taken. */
static int prep_take(shoal_db *db, shoal_views *vs)
{
    shoal_views *want = vs;
    return atomic_compare_exchange_strong(&db->prep_posted, &want, NULL);
}

int shoal_view_help_run(shoal_db *db)
{
    shoal_views *vs = atomic_exchange(&db->prep_posted, NULL);
    if (!vs) return 0;
    prep_main(vs);
    return 1;
}

void shoal_db_set_helper(shoal_db *db, void (*wake)(void *ctx), void *ctx)
{
    db->helper_wake = wake;
    db->helper_ctx = wake ? ctx : NULL;
}

/* Waits until view i is prepared; the prepares' error (its message in err), or 0. */
static int prep_wait(shoal_db *db, shoal_views *vs, int i, shoal_err *err)
{
    if (!vs->prep_on) return SHOAL_OK;
    /* posted to a helper that has not taken them yet: this thread runs them */
    if (vs->prep_on == 2 && prep_take(db, vs)) prep_run(vs, 0);
    pthread_mutex_lock(&vs->prep_mu);
    while (vs->prep_done <= i) pthread_cond_wait(&vs->prep_cv, &vs->prep_mu);
    int rc = vs->prep_rc;
    pthread_mutex_unlock(&vs->prep_mu);
    if (rc) *err = vs->prep_err;
    return rc;
}

/* Waits for the prepares' thread to end. */
static void prep_join(shoal_db *db, shoal_views *vs)
{
    if (!vs || !vs->prep_on) return;
    if (vs->prep_on == 1) {
        pthread_join(vs->prep_th, NULL);
    } else {
        /* not taken yet (an abort before the flushes): not run at all */
        if (prep_take(db, vs)) vs->prep_ended = 1;
        pthread_mutex_lock(&vs->prep_mu);
        while (!vs->prep_ended) pthread_cond_wait(&vs->prep_cv, &vs->prep_mu);
        pthread_mutex_unlock(&vs->prep_mu);
    }
    pthread_mutex_destroy(&vs->prep_mu);
    pthread_cond_destroy(&vs->prep_cv);
    vs->prep_on = 0;
}

/* Once the batch's events are applied (log.c): the in-memory part of the views' flushes
 * (shoal_view_kind.prepare: the counters' sort of their refs, the refs of retention,
 * activity, score and first/last applied by member) runs on a second thread, while
 * this one writes the id index and flushes the views in order, each once its prepare
 * is done: the counters' merges, which read and write the table, run beside the other
 * views' prepares. The flushes write in the same order as ever and each view's state
 * is its own, so the tables are what one thread writes (issue 13: with every demo view
 * that work was a quarter of the writing thread). No thread: each flush does its own.
 * With a helper (shoal_db_set_helper: the ingest pipeline's reading thread, which runs
 * on the other core) they are posted to it instead: a thread of their own, made while
 * both cores were busy, was put on the writing thread's core half the time (39 of 77
 * batches at 10M events), where the writer, the pipeline's bound, lost what it ran.
 * Whichever thread takes them first runs them: the helper, or this one when it needs
 * them before the helper got to them (prep_wait). */
bool shoal_view_has_prepares(const shoal_db *db)
{
    const shoal_views *vs = db->views;
    for (int i = 0; vs && i < vs->n; i++)
        if (vs->v[i]->kind->prepare) return true;
    return false;
}

void shoal_view_prepare(shoal_db *db)
{
    shoal_views *vs = db->views;
    if (!vs || vs->prep_on || !shoal_view_has_prepares(db)) return;
    memset(&vs->prep_err, 0, sizeof vs->prep_err);
    vs->prep_done = 0;
    vs->prep_ended = 0;
    vs->prep_rc = SHOAL_OK;
    if (pthread_mutex_init(&vs->prep_mu, NULL)) return;
    if (pthread_cond_init(&vs->prep_cv, NULL)) {
        pthread_mutex_destroy(&vs->prep_mu);
        return;
    }
    if (db->helper_wake) {
        vs->prep_on = 2;
        atomic_store(&db->prep_posted, vs);
        db->helper_wake(db->helper_ctx);
        return;
    }
    vs->prep_on = pthread_create(&vs->prep_th, NULL, prep_main, vs) == 0;
    if (!vs->prep_on) {
        pthread_mutex_destroy(&vs->prep_mu);
        pthread_cond_destroy(&vs->prep_cv);
    }
}

int shoal_view_end(shoal_db *db, MDB_txn *txn, uint64_t last_seq, shoal_err *err)
{
    if (!db->views) return SHOAL_OK;
    /* A database of format 2 with views gets buckets of exact sums from now on, one
     * with an experiment's view format 6 (an older one's, remade by begin). */
    int rc, need = 0;
    for (int i = 0; i < db->views->n; i++)
        if (format_of_kind(db->views->v[i]->def.kind) > need) need = format_of_kind(db->views->v[i]->def.kind);
    rc = need ? shoal_db_format_raise(db, txn, need, err) : SHOAL_OK;
    for (int i = 0; i < db->views->n && !rc; i++) {
        shoal_view *v = db->views->v[i];
        MDB_dbi dbi;
        if ((rc = prep_wait(db, db->views, i, err))) break;
        v->flush_seq = last_seq;
        if ((rc = open_table(txn, v->dbname, 0, &dbi, err)) || (rc = v->kind->flush(v, txn, dbi, 0, err)) ||
            (rc = hdr_write(txn, dbi, v, last_seq, err)))
            break;
        v->seq = last_seq;
    }
    prep_join(db, db->views);   /* after an error too: the abort then resets the states */
    return rc;
}

void shoal_view_abort(shoal_db *db)
{
    if (!db->views) return;
    prep_join(db, db->views);
    for (int i = 0; i < db->views->n; i++) {
        shoal_view *v = db->views->v[i];
        v->kind->reset(v->st);
        v->loaded = 0;
    }
}

/* ---------------------------------------------------------------- replay */

/* Feeds records from..to of r's snapshot into v (built mode). */
static int replay(shoal_view *v, shoal_reader *r, uint64_t from, uint64_t to, shoal_err *err)
{
    if (from > to) return SHOAL_OK;
    shoal_logcur *c;
    int rc = shoal_logcur_open(r, from, &c, err);
    if (rc) return rc;
    v->txn = r->txn;
    classify_reset(v);
    shoal_rec rec;
    shoal_rprop props[SHOAL_MAX_PROPS];
    uint64_t n = 0;
    while ((rc = shoal_logcur_next(c, &rec, err)) == 1) {
        if (rec.seq > to) break;
        shoal_ievent ev;
        memset(&ev, 0, sizeof ev);
        ev.ts = rec.ts;
        ev.member = rec.member;
        ev.type = rec.type;
        ev.group = rec.group;
        int np = shoal_rec_props(&rec, props, SHOAL_MAX_PROPS);
        if (np < 0 || np > SHOAL_MAX_PROPS) {
            rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu does not decode", (unsigned long long)rec.seq);
            break;
        }
        ev.n_props = (uint32_t)np;
        ev.props = props;
        uint64_t mask;
        if ((rc = classify(v, &ev, &mask, err))) break;
        if (mask && (rc = v->kind->apply(v, &ev, mask, err))) break;
        /* (every 1024 records, as the query layer's CANCEL_EVERY: some microseconds) */
        if ((n & 1023) == 1023 && v->db->cancel && *v->db->cancel) {
            rc = shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "cancelled");
            break;
        }
        /* Fold what accumulated into the kind's compact form now and then, so memory
         * follows the view's size and not the log's; say how far it got. */
        if ((++n & 65535) == 0) {
            if ((rc = v->kind->flush(v, NULL, 0, 0, err))) break;
            if (v->db->progress) v->db->progress(v->db->progress_ctx, v->dbname + 2, n, to - from + 1);
        }
    }
    shoal_logcur_close(c);
    if (rc < 0) return rc;
    if (v->db->progress && n >= 65536) v->db->progress(v->db->progress_ctx, v->dbname + 2, n, n);
    return v->kind->flush(v, NULL, 0, 0, err);
}

/* ---------------------------------------------------------------- create, rebuild, drop */

static int name_ok(shoal_str n)
{
    if (n.len == 0 || n.len > 64) return 0;
    for (uint32_t i = 0; i < n.len; i++) {
        char c = n.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return 1;
}

/* Back-fill and swap-in, shared by create and rebuild.
 *
 * The replay runs over a read snapshot (seq 1..S) without holding the writer lock, so
 * ingest goes on meanwhile. Then one write transaction replays S+1..L, the events that
 * were committed since (LMDB has one writer, so nothing can be appended between the
 * moment this transaction reads L and its commit), writes the whole state, the header
 * (L) and the definition, and commits: the view enters the registry at exactly the
 * sequence it reflects, so no event is missed or counted twice. A full map aborts the
 * transaction; the in-memory state already holds S+1..L, so the whole thing starts
 * over after growing the map. */
static int install_once(shoal_db *db, const shoal_viewdef *def, int replace, shoal_err *err);
static int named_free(shoal_db *db, MDB_txn *txn, shoal_str name, shoal_err *err);

/* The views' tables (v.<name>) the environment holds, into *held: a new one is refused
 * at SHOAL_MAX_VIEWS with sys MDB_DBS_FULL (an experiment then keeps no view). */
static int views_room(MDB_txn *txn, int *held, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, 1, &cur), n = 0;   /* 1: the table of tables */
    if (rc) return shoal_store_err(err, rc, "cannot read the environment's tables");
    MDB_val k = {2, (void *)"v."}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 2 || memcmp(k.mv_data, "v.", 2)) break;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the environment's tables");
    *held = n;
    if (n < SHOAL_MAX_VIEWS) return SHOAL_OK;
    rc = shoal_err_set(err, SHOAL_ESEMANTIC, -1, -1,
                       "a database holds at most %d views (counters, scores, first/last, retentions, activities and "
                       "experiments' views): drop one first", SHOAL_MAX_VIEWS);
    err->sys = MDB_DBS_FULL;
    return rc;
}

static int install(shoal_db *db, const shoal_viewdef *def, int replace, shoal_err *err)
{
    for (;;) {
        shoal_err tmp;
        shoal_err_clear(&tmp);
        int rc = install_once(db, def, replace, &tmp);
        if (rc == SHOAL_ESTORE && tmp.sys == MDB_MAP_FULL) {
            if ((rc = shoal_db_grow(db, err))) return rc;
            continue;
        }
        if (rc && err) {
            shoal_err_set(err, tmp.code, tmp.off, tmp.len, "%s", tmp.msg);
            err->sys = tmp.sys;
        }
        return rc;
    }
}

static int install_once(shoal_db *db, const shoal_viewdef *def, int replace, shoal_err *err)
{
    {
        shoal_view *v = NULL;
        shoal_reader *r = NULL;
        MDB_txn *txn = NULL;
        shoal_arena *a = NULL;
        char mk[128];
        MDB_val mv;
        int rc;
        if (meta_key(def->name.ptr, def->name.len, mk, sizeof mk))
            return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "view name too long");
        if ((rc = view_new(db, def, 1, &v, err))) return rc;
        if ((rc = shoal_reader_open(db, &r, err))) goto fail;
        rc = shoal_meta_get(db, r->txn, mk, &mv);
        if (rc == 0 && !replace) {
            rc = shoal_err_set(err, SHOAL_ESEMANTIC, -1, -1, "view \"%.*s\" already exists", (int)def->name.len, def->name.ptr);
            goto fail;
        }
        uint64_t s = r->last_seq;
        if ((rc = replay(v, r, 1, s, err))) goto fail;
        shoal_reader_close(r);
        r = NULL;

        if ((rc = shoal_db_txn_begin(db, 0, &txn, err))) goto fail;
        rc = shoal_meta_get(db, txn, mk, &mv);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            rc = shoal_store_err(err, rc, "cannot read meta");
            goto fail;
        }
        if ((rc == 0) != (replace != 0)) {
            rc = shoal_err_set(err, replace ? SHOAL_ENOTFOUND : SHOAL_ESEMANTIC, -1, -1, "view \"%.*s\" %s",
                               (int)def->name.len, def->name.ptr, replace ? "was dropped meanwhile" : "already exists");
            goto fail;
        }
        int held = 0;
        if (!replace && ((rc = named_free(db, txn, def->name, err)) || (rc = views_room(txn, &held, err)))) goto fail;
        shoal_reader fake;
        memset(&fake, 0, sizeof fake);
        fake.db = db;
        fake.txn = txn;
        if ((rc = shoal_log_last_seq(db, txn, &fake.last_seq, err))) goto fail;
        if ((rc = replay(v, &fake, s + 1, fake.last_seq, err))) goto fail;
        MDB_dbi dbi;
        if ((rc = open_table(txn, v->dbname, 1, &dbi, err))) goto fail;
        if ((rc = mdb_drop(txn, dbi, 0))) {
            rc = shoal_store_err(err, rc, "cannot empty a view's table");
            goto fail;
        }
        v->flush_seq = fake.last_seq;
        if ((rc = v->kind->flush(v, txn, dbi, 1, err)) || (rc = hdr_write(txn, dbi, v, fake.last_seq, err))) goto fail;
        shoal_str enc;
        if (!(a = shoal_arena_new())) {
            rc = nomem(err);
            goto fail;
        }
        if ((rc = shoal_viewdef_encode(&v->def, a, &enc, err)) ||
            (rc = shoal_meta_put(db, txn, mk, enc.ptr, enc.len, err)) || (rc = gen_bump(db, txn, err)) ||
            (rc = shoal_db_format_raise(db, txn, format_of_kind(def->kind), err)) ||
            (held + 1 > SHOAL_OLD_MAX_VIEWS && (rc = shoal_db_format_raise(db, txn, SHOAL_FORMAT_MANY_VIEWS, err))))
            goto fail;
        rc = mdb_txn_commit(txn);
        txn = NULL;
        if (rc) {
            rc = shoal_store_err(err, rc, "cannot commit the view");
            goto fail;
        }
        shoal_view_registry_free(db);
        view_free(v);
        shoal_arena_free(a);
        return SHOAL_OK;
    fail:
        if (txn) mdb_txn_abort(txn);
        shoal_reader_close(r);
        view_free(v);
        shoal_arena_free(a);
        shoal_dict_cache_clear(db->dict);
        shoal_view_registry_free(db);
        return rc;
    }
}

int shoal_view_create(shoal_db *db, const shoal_viewdef *def, shoal_err *err)
{
    if (db->flags & SHOAL_OPEN_RDONLY) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    /* an experiment's view is "experiment:<its name>": a name no statement can give, so
     * it stays beside the experiment's definition, which holds the name */
    shoal_str nm = def->name;
    if (def->kind == SHOAL_VIEW_EXPERIMENT && nm.len > 11 && !memcmp(nm.ptr, "experiment:", 11))
        nm.ptr += 11, nm.len -= 11;
    if (!name_ok(nm))
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid view name (letters, digits and _, at most 64)");
    return install(db, def, 0, err);
}

typedef struct defs {
    shoal_viewdef *d;
    int n, cap;
    shoal_arena *a;
    shoal_err *err;
} defs;

static int collect(void *ctx, const shoal_viewdef *def)
{
    defs *c = ctx;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        shoal_viewdef *d = shoal_arena_alloc(c->a, sizeof *d * (size_t)cap);
        if (!d) return nomem(c->err);
        if (c->n) memcpy(d, c->d, sizeof *d * (size_t)c->n);
        c->d = d;
        c->cap = cap;
    }
    c->d[c->n++] = *def;
    return 0;
}

int shoal_view_rebuild(shoal_db *db, const char *name, uint64_t *n_views, shoal_err *err)
{
    *n_views = 0;
    if (db->flags & SHOAL_OPEN_RDONLY) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    defs c = {NULL, 0, 0, shoal_arena_new(), err};
    if (!c.a) return nomem(err);
    shoal_reader *r;
    int rc = shoal_reader_open(db, &r, err);
    if (!rc) {
        rc = each_def(db, r->txn, c.a, collect, &c, 0, err);
        shoal_reader_close(r);
    }
    int found = 0;
    for (int i = 0; !rc && i < c.n; i++) {
        /* an experiment's view answers to the experiment's name too */
        shoal_str vn = c.d[i].name;
        if (name && c.d[i].kind == SHOAL_VIEW_EXPERIMENT && strlen(name) + 11 == vn.len && !memcmp(vn.ptr, "experiment:", 11))
            vn.ptr += 11, vn.len -= 11;
        if (name && (strlen(name) != vn.len || memcmp(name, vn.ptr, vn.len)) &&
            (strlen(name) != c.d[i].name.len || memcmp(name, c.d[i].name.ptr, c.d[i].name.len)))
            continue;
        found = 1;
        if (!(rc = install(db, &c.d[i], 1, err))) (*n_views)++;
    }
    if (!rc && name && !found) rc = shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no view named \"%s\"", name);
    shoal_arena_free(c.a);
    return rc;
}

int shoal_view_drop(shoal_db *db, const char *name, shoal_err *err)
{
    if (db->flags & SHOAL_OPEN_RDONLY) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    char mk[128], dbname[80];
    size_t n = strlen(name);
    if (meta_key(name, n, mk, sizeof mk) || n > 64 + 11) return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no view named \"%s\"", name);
    snprintf(dbname, sizeof dbname, "v.%s", name);
    for (;;) {
        MDB_txn *txn;
        int rc = shoal_db_txn_begin(db, 0, &txn, err);
        if (rc) return rc;
        MDB_val k = {strlen(mk), mk}, v;
        rc = mdb_get(txn, db->dbi_meta, &k, &v);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "no view named \"%s\"", name);
        }
        MDB_dbi dbi;
        if (!rc) rc = mdb_del(txn, db->dbi_meta, &k, NULL);
        if (!rc) {
            rc = mdb_dbi_open(txn, dbname, 0, &dbi);
            if (!rc) rc = mdb_drop(txn, dbi, 1);
            else if (rc == MDB_NOTFOUND) rc = 0;
        }
        if (rc) {
            mdb_txn_abort(txn);
            return shoal_store_err(err, rc, "cannot drop the view");
        }
        shoal_err tmp;
        shoal_err_clear(&tmp);
        if ((rc = gen_bump(db, txn, &tmp))) {
            mdb_txn_abort(txn);
            if (tmp.sys == MDB_MAP_FULL) {
                if ((rc = shoal_db_grow(db, err))) return rc;
                continue;
            }
            return shoal_err_set(err, rc, -1, -1, "%s", tmp.msg);
        }
        rc = mdb_txn_commit(txn);
        shoal_view_registry_free(db);
        if (rc) return shoal_store_err(err, rc, "cannot commit the drop");
        return SHOAL_OK;
    }
}

/* ---------------------------------------------------------------- list, check */

static int fill_info(shoal_reader *r, const shoal_viewdef *def, shoal_viewinfo *out, shoal_err *err)
{
    memset(out, 0, sizeof *out);
    out->def = *def;
    out->t0 = out->max_ts = INT64_MIN;
    char dbname[80];
    snprintf(dbname, sizeof dbname, "v.%.*s", (int)def->name.len, def->name.ptr);
    MDB_dbi dbi;
    int rc = open_table(r->txn, dbname, 0, &dbi, err);
    if (rc == SHOAL_ENOTFOUND) return SHOAL_OK;
    if (rc) return rc;
    rc = hdr_read(r->txn, dbi, &out->seq, &out->t0, &out->max_ts, err);
    if (rc && rc != SHOAL_ENOTFOUND) return rc;
    MDB_stat st;
    if ((rc = mdb_stat(r->txn, dbi, &st))) return shoal_store_err(err, rc, "cannot read a view's table");
    out->bytes = (uint64_t)st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    out->entries = st.ms_entries;
    return SHOAL_OK;
}

typedef struct list_ctx {
    shoal_reader *r;
    shoal_arena *a;
    shoal_viewinfo *v;
    int n, cap;
    shoal_err *err;
} list_ctx;

static int list_one(void *ctx, const shoal_viewdef *def)
{
    list_ctx *c = ctx;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        shoal_viewinfo *v = shoal_arena_alloc(c->a, sizeof *v * (size_t)cap);
        if (!v) return nomem(c->err);
        if (c->n) memcpy(v, c->v, sizeof *v * (size_t)c->n);
        c->v = v;
        c->cap = cap;
    }
    if (!def->kind) {
        shoal_viewinfo *vi = &c->v[c->n++];
        memset(vi, 0, sizeof *vi);
        vi->def = *def;
        vi->t0 = vi->max_ts = INT64_MIN;
        vi->seq = shoal_reader_last_seq(c->r);
        return 0;
    }
    return fill_info(c->r, def, &c->v[c->n++], c->err);
}

int shoal_view_list(shoal_reader *r, shoal_arena *a, shoal_viewinfo **out, int *n, shoal_err *err)
{
    list_ctx c = {r, a, NULL, 0, 0, err};
    int rc = each_def(r->db, r->txn, a, list_one, &c, 1, err);
    *out = c.v;
    *n = c.n;
    return rc;
}

int shoal_view_info(shoal_reader *r, shoal_arena *a, const char *name, shoal_viewinfo *out, shoal_err *err)
{
    char mk[128];
    size_t n = strlen(name);
    if (n > 64 + 11 || meta_key(name, n, mk, sizeof mk)) return SHOAL_ENOTFOUND;
    MDB_val v;
    int rc = shoal_meta_get(r->db, r->txn, mk, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    shoal_viewdef def;
    MDB_val k = {strlen(mk), mk};
    shoal_err tmp;
    shoal_err_clear(&tmp);
    /* A broken definition is a view of kind 0 without series: no read uses it, and
     * DROP VIEW can remove it. */
    rc = def_read(&k, &v, a, &def, &tmp);
    if (rc == SHOAL_ECORRUPT) {
        memset(out, 0, sizeof *out);
        out->def = def;
        out->t0 = out->max_ts = INT64_MIN;
        out->seq = shoal_reader_last_seq(r);
        return SHOAL_OK;
    }
    if (rc) return shoal_err_set(err, rc, -1, -1, "%s", tmp.msg);
    return fill_info(r, &def, out, err);
}

typedef struct check_ctx {
    shoal_reader *r;
    void (*problem)(void *, const char *);
    void (*note)(void *, const char *);
    void *pctx;
    uint64_t n;
    shoal_err *err;
} check_ctx;

static int check_one(void *ctx, const shoal_viewdef *def)
{
    check_ctx *c = ctx;
    shoal_view *v;
    char msg[768];
    shoal_err tmp;
    shoal_err_clear(&tmp);
    int rc = def->kind ? view_new(c->r->db, def, 1, &v, &tmp) : SHOAL_ECORRUPT;
    if (rc == SHOAL_ECORRUPT) {
        c->n++;
        shoal_err_clear(&tmp);
        broken_err(&tmp, def->name.ptr, def->name.len);
        c->problem(c->pctx, tmp.msg);
        return 0;
    }
    if (rc) return shoal_err_set(c->err, rc, -1, -1, "%s", tmp.msg);
    c->n++;
    MDB_dbi dbi;
    uint64_t seq;
    int64_t t0, max_ts;
    rc = open_table(c->r->txn, v->dbname, 0, &dbi, c->err);
    if (rc == SHOAL_ENOTFOUND) {
        snprintf(msg, sizeof msg, "view \"%s\" has no table", v->dbname + 2);
        c->problem(c->pctx, msg);
        view_free(v);
        return 0;
    }
    if (!rc) rc = hdr_read(c->r->txn, dbi, &seq, &t0, &max_ts, c->err);
    if (rc == SHOAL_ENOTFOUND || rc == SHOAL_ECORRUPT) {
        snprintf(msg, sizeof msg, "view \"%s\" has no readable header", v->dbname + 2);
        c->problem(c->pctx, msg);
        view_free(v);
        return 0;
    }
    if (!rc && v->kind->outdated) {
        int old = v->kind->outdated(v, c->r->txn, dbi, c->err);
        if (old < 0) rc = old;
        if (old == 1) {
            /* sound (nothing reads it), but kept in a layout this shoal does not keep:
             * not compared, and said what to run */
            const char *nm = v->dbname + 2;
            int exp = v->def.kind == SHOAL_VIEW_EXPERIMENT && !strncmp(nm, "experiment:", 11);
            snprintf(msg, sizeof msg,
                     "view \"%s\" was made by an earlier build of shoal and is not read (its questions are answered "
                     "from the log): `shoal rebuild %s` remakes it, as will the next ingest",
                     nm, exp ? nm + 11 : nm);
            c->note(c->pctx, msg);
            view_free(v);
            return 0;
        }
    }
    if (!rc && seq != c->r->last_seq) {
        snprintf(msg, sizeof msg, "view \"%s\" reflects sequence %llu but the log ends at %llu", v->dbname + 2,
                 (unsigned long long)seq, (unsigned long long)c->r->last_seq);
        c->problem(c->pctx, msg);
    }
    if (!rc) rc = replay(v, c->r, 1, c->r->last_seq, c->err);
    if (!rc && (t0 != v->t0 || max_ts != v->max_ts)) {
        snprintf(msg, sizeof msg, "view \"%s\": header (epoch, latest event) differs from a rebuild", v->dbname + 2);
        c->problem(c->pctx, msg);
    }
    if (!rc) rc = v->kind->compare(v, c->r->txn, dbi, c->problem, c->pctx, c->err);
    if (!rc && v->kind->lacks) {
        char what[400];
        int k = v->kind->lacks(v, c->r->txn, dbi, what, sizeof what, c->err);
        if (k < 0) rc = k;
        if (k > 0) {
            snprintf(msg, sizeof msg,
                     "view \"%s\" does not keep %s, as an earlier build of shoal made it or appended to it: its "
                     "answers are right but slower, and `shoal rebuild %s` makes them (an ingest does not)",
                     v->dbname + 2, what, v->dbname + 2);
            c->note(c->pctx, msg);
        }
    }
    view_free(v);
    return rc;
}

int shoal_view_check(shoal_reader *r, void (*problem)(void *ctx, const char *msg),
                     void (*note)(void *ctx, const char *msg), void *ctx, uint64_t *n_views, shoal_err *err)
{
    check_ctx c = {r, problem, note, ctx, 0, err};
    shoal_arena *a = shoal_arena_new();
    if (!a) return nomem(err);
    int rc = each_def(r->db, r->txn, a, check_one, &c, 1, err);
    shoal_arena_free(a);
    *n_views = c.n;
    return rc;
}

/* ---------------------------------------------------------------- named definitions */

/* Layers are predicates, not state: meta "def.<name>" holds kind NUL text, and no
 * table, header or registry entry exists for them, so appends never see them. Views
 * and definitions share one namespace (a query names either). */
#define DEF_PREFIX "def."

static int def_key(shoal_str name, char *buf, size_t cap)
{
    return snprintf(buf, cap, DEF_PREFIX "%.*s", (int)name.len, name.ptr) < (int)cap ? 0 : -1;
}

/* SHOAL_OK when no view and no definition is called name (in txn). */
static int named_free(shoal_db *db, MDB_txn *txn, shoal_str name, shoal_err *err)
{
    char vk[128], dk[128];
    if (meta_key(name.ptr, name.len, vk, sizeof vk) || def_key(name, dk, sizeof dk))
        return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "name too long");
    const char *keys[2] = {vk, dk};
    for (int i = 0; i < 2; i++) {
        MDB_val v;
        int rc = shoal_meta_get(db, txn, keys[i], &v);
        if (rc == 0) {
            /* a definition's value starts with its kind word */
            const char *what = !i ? "a view" : v.mv_size > 5 && !memcmp(v.mv_data, "tiers", 6) ? "tiers" : "a layer";
            return shoal_err_set(err, SHOAL_ESEMANTIC, -1, -1, "%s \"%.*s\" already exists", what, (int)name.len, name.ptr);
        }
        if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read meta");
    }
    return SHOAL_OK;
}

int shoal_view_define(shoal_db *db, const shoal_namedef *def, shoal_err *err)
{
    if (db->flags & SHOAL_OPEN_RDONLY) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    if (!name_ok(def->name)) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "invalid name (letters, digits and _, at most 64)");
    char dk[128];
    def_key(def->name, dk, sizeof dk);
    size_t n = def->kind.len + 1 + def->text.len;
    char *buf = shoal_malloc(n);
    if (!buf) return nomem(err);
    memcpy(buf, def->kind.ptr, def->kind.len);
    buf[def->kind.len] = 0;
    memcpy(buf + def->kind.len + 1, def->text.ptr, def->text.len);
    int rc;
    for (;;) {
        MDB_txn *txn;
        shoal_err tmp;
        shoal_err_clear(&tmp);
        if ((rc = shoal_db_txn_begin(db, 0, &txn, err))) break;
        if (!(rc = named_free(db, txn, def->name, &tmp)) && !(rc = shoal_meta_put(db, txn, dk, buf, n, &tmp))) {
            if ((rc = mdb_txn_commit(txn))) rc = shoal_store_err(&tmp, rc, "cannot commit the definition");
        } else {
            mdb_txn_abort(txn);
        }
        /* A full map: grow it and write again (the definition is small, but the map may
         * be full to the page). */
        if (rc == SHOAL_ESTORE && tmp.sys == MDB_MAP_FULL) {
            if ((rc = shoal_db_grow(db, err))) break;
            continue;
        }
        if (rc) {
            shoal_err_set(err, tmp.code, tmp.off, tmp.len, "%s", tmp.msg);
            if (err) err->sys = tmp.sys;
        }
        break;
    }
    shoal_free(buf);
    return rc;
}

int shoal_view_undefine(shoal_db *db, const char *name, shoal_err *err)
{
    if (db->flags & SHOAL_OPEN_RDONLY) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "the database is open read-only");
    char dk[128];
    if (def_key((shoal_str){name, (uint32_t)strlen(name)}, dk, sizeof dk))
        return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "nothing named \"%s\"", name);
    MDB_txn *txn;
    int rc = shoal_db_txn_begin(db, 0, &txn, err);
    if (rc) return rc;
    MDB_val k = {strlen(dk), dk};
    rc = mdb_del(txn, db->dbi_meta, &k, NULL);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return shoal_err_set(err, SHOAL_ENOTFOUND, -1, -1, "nothing named \"%s\"", name);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return shoal_store_err(err, rc, "cannot drop the definition");
    }
    if ((rc = mdb_txn_commit(txn))) return shoal_store_err(err, rc, "cannot commit the drop");
    return SHOAL_OK;
}

static int def_decode(const MDB_val *k, const MDB_val *v, shoal_arena *a, shoal_namedef *out, shoal_err *err)
{
    size_t plen = strlen(DEF_PREFIX);
    char *kc = shoal_arena_alloc(a, k->mv_size + v->mv_size + 2);
    if (!kc) return nomem(err);
    memcpy(kc, (const char *)k->mv_data + plen, k->mv_size - plen);
    kc[k->mv_size - plen] = 0;
    char *vc = kc + k->mv_size - plen + 1;
    memcpy(vc, v->mv_data, v->mv_size);
    vc[v->mv_size] = 0;
    size_t kl = strlen(vc);
    out->name = (shoal_str){kc, (uint32_t)(k->mv_size - plen)};
    if (kl >= v->mv_size) {
        /* Damaged (no kind word and text): listed as broken, used by no query (no
         * layer or tiers has that kind), and DROP removes it. */
        (void)err;
        out->kind = (shoal_str){"broken", 6};
        out->text = (shoal_str){"(damaged: its definition does not decode)", 41};
        return SHOAL_OK;
    }
    out->kind = (shoal_str){vc, (uint32_t)kl};
    out->text = (shoal_str){vc + kl + 1, (uint32_t)(v->mv_size - kl - 1)};
    return SHOAL_OK;
}

int shoal_view_defs(shoal_reader *r, shoal_arena *a, shoal_namedef **out, int *n, shoal_err *err)
{
    *out = NULL;
    *n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_meta, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    size_t plen = strlen(DEF_PREFIX);
    int cap = 0;
    MDB_val k = {plen, (void *)DEF_PREFIX}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= plen || memcmp(k.mv_data, DEF_PREFIX, plen) != 0) break;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            shoal_namedef *d = shoal_arena_alloc(a, sizeof *d * (size_t)cap);
            if (!d) {
                rc = nomem(err);
                break;
            }
            if (*n) memcpy(d, *out, sizeof *d * (size_t)*n);
            *out = d;
        }
        if ((rc = def_decode(&k, &v, a, &(*out)[*n], err))) break;
        (*n)++;
    }
    mdb_cursor_close(cur);
    if (rc < 0) return rc;
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read meta");
    return SHOAL_OK;
}

int shoal_view_def(shoal_reader *r, shoal_arena *a, const char *name, shoal_namedef *out, shoal_err *err)
{
    char dk[128];
    if (def_key((shoal_str){name, (uint32_t)strlen(name)}, dk, sizeof dk)) return SHOAL_ENOTFOUND;
    MDB_val k = {strlen(dk), dk}, v;
    int rc = mdb_get(r->txn, r->db->dbi_meta, &k, &v);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    return def_decode(&k, &v, a, out, err);
}

/* Both kinds of definitions live in meta under a prefix each, so one cursor walk per
 * prefix lists them. */
int shoal_view_names(shoal_reader *r, void (*fn)(void *ctx, const char *name, size_t n), void *ctx,
                     shoal_err *err)
{
    static const char *const prefixes[] = {META_PREFIX, DEF_PREFIX};
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_meta, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read meta");
    for (size_t i = 0; i < 2; i++) {
        size_t plen = strlen(prefixes[i]);
        MDB_val k = {plen, (void *)prefixes[i]}, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size <= plen || memcmp(k.mv_data, prefixes[i], plen) != 0) break;
            fn(ctx, (const char *)k.mv_data + plen, k.mv_size - plen);
        }
        if (rc && rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return shoal_store_err(err, rc, "cannot read meta");
        }
    }
    mdb_cursor_close(cur);
    return SHOAL_OK;
}

/* LMDB gives a table's handle to every transaction of the process only once the
 * transaction that opened it commits; one that a reader opens is its own, and is
 * closed when it ends. Two live transactions that open the same table that way take
 * the same slot of the environment: the second's copy of the name replaces the first's
 * (which leaks), and the first's end closes the slot under the second (LMDB forbids
 * it). A statement holds its reader while a message's "did you mean" or another
 * session's statement opens one. So every view's table is opened here, in a read
 * transaction that commits, before a reader begins on a generation of the views not yet
 * so opened: a reader's mdb_dbi_open then finds the handle and allocates nothing. *txn
 * is the reader's transaction, begun again after the tables are opened. */
int shoal_view_tables_sync(shoal_db *db, MDB_txn **txn, shoal_err *err)
{
    shoal_err tmp;   /* a generation that does not read is check's to report: the reader opens what it reads */
    for (int tries = 0; tries < 4; tries++) {
        uint64_t gen;
        int rc = gen_read(db, *txn, &gen, &tmp);
        if (rc || gen == db->tables_gen) return SHOAL_OK;
        mdb_txn_abort(*txn);
        *txn = NULL;
        MDB_txn *t;
        MDB_cursor *cur = NULL;
        if ((rc = shoal_db_txn_begin(db, MDB_RDONLY, &t, err))) return rc;
        if (gen_read(db, t, &gen, &tmp)) gen = db->tables_gen;
        MDB_dbi main_dbi, d;
        MDB_val k = {2, "v."}, v;
        int mrc = mdb_dbi_open(t, NULL, 0, &main_dbi);
        if (!mrc) mrc = mdb_cursor_open(t, main_dbi, &cur);
        for (int c = mrc ? mrc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !mrc && !c;
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            char name[96];
            if (k.mv_size < 2 || memcmp(k.mv_data, "v.", 2)) break;
            if (k.mv_size >= sizeof name) continue;   /* not a view's: theirs are at most 77 bytes */
            memcpy(name, k.mv_data, k.mv_size);
            name[k.mv_size] = 0;
            int orc = mdb_dbi_open(t, name, 0, &d);
            if (orc && orc != MDB_INCOMPATIBLE) mrc = orc;
        }
        if (cur) mdb_cursor_close(cur);
        /* a table that does not open (damage, LMDB's 256 tables) is the read's to report */
        if (mrc) mdb_txn_abort(t);
        else if ((rc = mdb_txn_commit(t))) return shoal_store_err(err, rc, "cannot open the views' tables");
        else db->tables_gen = gen;
        if ((rc = shoal_db_txn_begin(db, MDB_RDONLY, txn, err))) return rc;
        if (mrc) return SHOAL_OK;
    }
    return SHOAL_OK;   /* the views change faster than this: the reader opens what it reads */
}

int shoal_view_table(shoal_reader *r, const char *name, MDB_dbi *dbi, shoal_err *err)
{
    char dbname[80];
    snprintf(dbname, sizeof dbname, "v.%s", name);
    int rc = mdb_dbi_open(r->txn, dbname, 0, dbi);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot open a view's table");
    return SHOAL_OK;
}
