/* view_retention.c — the retention kind (CREATE RETENTION, query/retention.c): per
 * member, the earliest cohort event's time (series 0; with each(…) cohorts, the set of
 * local periods holding one) and the set of local periods the member was active in
 * (series 1; a bit per period, or with AT LEAST n a byte per period that stops at n).
 * A join that arrives late only lowers the member's cohort time, a late activity sets
 * one bit: the state is a function of the set of events, whatever their order.
 *
 * Parameters (shoal_viewdef.params): [0] the period unit (1 day, 2 week, 3 month, as
 * query/rowsrc.h's SHOAL_PER_*), [1] n of AT LEAST n (1: bits), [2] 1 for each(…).
 * Periods are absolute numbers in the view's zone: the local day, the Monday week
 * floor((day + 3) / 7) (day 0 was a Thursday), the month year·12 + month − 1.
 *
 * Table: key [0x00][chunk BE u32] → the members chunk·64 … chunk·64 + 63 that have
 * state, in ascending id: varint id delta (the first from chunk·64), a flag byte (bit
 * 0: cohort time follows, zigzag varint ms; bit 1: active set; bit 2: start set), then
 * each set as zigzag varint lo, varint n and n little-endian u64 words: the words lo …
 * lo + n − 1 of the set, the first and last not zero (a word is 64 periods of bits, or
 * 8 periods of byte counters). A chunk without state has no key. Hot state is every
 * member's record in memory; a batch rewrites the chunks whose state it changed.
 */
#include "shoal_int.h"
#include "caltime.h"

#include <stdio.h>

/* Members per table entry. At 128 (about 2.3 KB a chunk at 1M events) every value
 * took an overflow page of its own, 30.8 bytes a member; at 64 they share leaf pages,
 * 25.1 bytes a member, and a batch rewrites half as much per member it changes. */
#define CHUNK 64
#define F_FIRST 1
#define F_ACT 2
#define F_START 4
/* problems reported per view by check before it stops listing them */
#define MAX_PROBLEMS 10

/* A set of periods: words [lo, lo + n) kept at pool[off …], room for cap words. */
typedef struct rset {
    int32_t lo;
    uint32_t off;
    uint16_t n, cap;
} rset;

typedef struct rstate {
    int unit, least, each;
    uint64_t cohort_bit, act_bit;   /* the series' mask bits (an activity has no cohort) */
    int64_t *first;        /* per member: earliest cohort event, INT64_MAX none */
    rset *act, *st;        /* per member: active periods, start periods (each) */
    uint32_t n_members;    /* arrays' length */
    uint8_t *dirty;        /* per chunk */
    uint64_t *pool;
    size_t n_pool, cap_pool, garbage;
} rstate;

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

int64_t shoal_view_retention_period(int unit, int64_t day)
{
    return unit == 1 ? day : unit == 2 ? floor_div(day + 3, 7) : shoal_cal_month_of_day(day);
}

static int new_state(shoal_view *v, void **out)
{
    rstate *s = shoal_malloc(sizeof *s);
    if (!s) return SHOAL_ENOMEM;
    memset(s, 0, sizeof *s);
    const shoal_viewdef *d = &v->def;
    s->unit = d->n_params > 0 ? (int)d->params[0] : 0;
    s->least = d->n_params > 1 ? (int)d->params[1] : 1;
    s->each = d->n_params > 2 && d->params[2] != 0;
    s->cohort_bit = 1;
    s->act_bit = 2;
    if (d->kind == SHOAL_VIEW_ACTIVITY) s->cohort_bit = 0, s->act_bit = 1;
    if (s->unit < 1 || s->unit > 3 || s->least < 1 || s->least > 255 || d->n_series != (s->cohort_bit ? 2u : 1u)) {
        shoal_free(s);
        return SHOAL_ECORRUPT;
    }
    *out = s;
    return SHOAL_OK;
}

static void reset(void *st)
{
    rstate *s = st;
    shoal_free(s->first);
    shoal_free(s->act);
    shoal_free(s->st);
    shoal_free(s->dirty);
    shoal_free(s->pool);
    int unit = s->unit, least = s->least, each = s->each;
    uint64_t cb = s->cohort_bit, ab = s->act_bit;
    memset(s, 0, sizeof *s);
    s->unit = unit, s->least = least, s->each = each, s->cohort_bit = cb, s->act_bit = ab;
}

static void free_state(void *st)
{
    if (!st) return;
    reset(st);
    shoal_free(st);
}

static int grow(rstate *s, uint32_t member)
{
    if (member < s->n_members) return 0;
    uint32_t n = s->n_members ? s->n_members : CHUNK * 8;
    while (n <= member) n *= 2;
    int64_t *f = shoal_realloc(s->first, (size_t)n * sizeof *f);
    if (!f) return -1;
    s->first = f;
    rset *a = shoal_realloc(s->act, (size_t)n * sizeof *a);
    if (!a) return -1;
    s->act = a;
    rset *t = shoal_realloc(s->st, (size_t)n * sizeof *t);
    if (!t) return -1;
    s->st = t;
    uint8_t *d = shoal_realloc(s->dirty, n / CHUNK);
    if (!d) return -1;
    s->dirty = d;
    for (uint32_t i = s->n_members; i < n; i++) f[i] = INT64_MAX;
    memset(a + s->n_members, 0, (size_t)(n - s->n_members) * sizeof *a);
    memset(t + s->n_members, 0, (size_t)(n - s->n_members) * sizeof *t);
    memset(d + s->n_members / CHUNK, 0, (n - s->n_members) / CHUNK);
    s->n_members = n;
    return 0;
}

/* cap zeroed words at the pool's end; their offset, or SIZE_MAX. */
static size_t pool_take(rstate *s, size_t cap)
{
    if (s->n_pool + cap > s->cap_pool) {
        size_t c = s->cap_pool ? s->cap_pool * 2 : 4096;
        while (c < s->n_pool + cap) c *= 2;
        if (c > UINT32_MAX) return SIZE_MAX;
        uint64_t *p = shoal_realloc(s->pool, c * sizeof *p);
        if (!p) return SIZE_MAX;
        s->pool = p;
        s->cap_pool = c;
    }
    size_t off = s->n_pool;
    memset(s->pool + off, 0, cap * sizeof *s->pool);
    s->n_pool += cap;
    return off;
}

/* The word w of set z, made (zero) when absent; NULL when out of memory. */
static uint64_t *set_word(rstate *s, rset *z, int64_t w)
{
    if (w < INT32_MIN / 2 || w > INT32_MAX / 2) return NULL;
    if (z->n && w >= z->lo && w < (int64_t)z->lo + z->n) return &s->pool[z->off + (w - z->lo)];
    if (z->n && w >= z->lo && w < (int64_t)z->lo + z->cap) {
        z->n = (uint16_t)(w - z->lo + 1);   /* the room is zeroed already */
        return &s->pool[z->off + (w - z->lo)];
    }
    int64_t lo = z->n ? (w < z->lo ? w : z->lo) : w;
    int64_t hi = z->n ? (w >= (int64_t)z->lo + z->n ? w + 1 : (int64_t)z->lo + z->n) : w + 1;
    size_t n = (size_t)(hi - lo), cap = n < 2 ? 2 : n + n / 2;
    if (cap > UINT16_MAX) {
        if (n > UINT16_MAX) return NULL;
        cap = n;
    }
    size_t off = pool_take(s, cap);
    if (off == SIZE_MAX) return NULL;
    if (z->n) {
        memcpy(s->pool + off + (z->lo - lo), s->pool + z->off, (size_t)z->n * sizeof *s->pool);
        s->garbage += z->cap;
    }
    z->lo = (int32_t)lo;
    z->off = (uint32_t)off;
    z->n = (uint16_t)n;
    z->cap = (uint16_t)cap;
    return &s->pool[off + (w - lo)];
}

/* Moves every set to a fresh pool, leaving out what moved sets left behind. */
static int compact(rstate *s)
{
    if (s->garbage < 65536 || s->garbage < s->n_pool / 2) return 0;
    size_t live = s->n_pool - s->garbage;
    uint64_t *p = shoal_malloc((live ? live : 1) * sizeof *p);
    if (!p) return -1;
    size_t n = 0;
    for (uint32_t m = 0; m < s->n_members; m++)
        for (int k = 0; k < 2; k++) {
            rset *z = k ? &s->st[m] : &s->act[m];
            if (!z->n) continue;
            memcpy(p + n, s->pool + z->off, (size_t)z->cap * sizeof *p);
            z->off = (uint32_t)n;
            n += z->cap;
        }
    shoal_free(s->pool);
    s->pool = p;
    s->n_pool = s->cap_pool = n;
    s->garbage = 0;
    return 0;
}

/* Period P into set z: a bit (bits mode) or a byte that stops at least. 1 when the set
 * changed, 0 when not, -1 out of memory. */
static int set_add(rstate *s, rset *z, int64_t P, int bytes)
{
    int64_t w = floor_div(P, bytes ? 8 : 64);
    int b = (int)(P - w * (bytes ? 8 : 64));
    uint64_t *word = set_word(s, z, w);
    if (!word) return -1;
    if (!bytes) {
        uint64_t bit = (uint64_t)1 << b;
        if (*word & bit) return 0;
        *word |= bit;
        return 1;
    }
    unsigned c = (unsigned)(*word >> (8 * b) & 0xFF);
    if (c >= (unsigned)s->least) return 0;
    *word += (uint64_t)1 << (8 * b);
    return 1;
}

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    rstate *s = v->st;
    uint32_t m = ev->member;
    if (grow(s, m)) return nomem(err);
    int64_t P = shoal_view_retention_period(s->unit, shoal_view_day(v->tz, ev->ts));
    int changed = 0, rc;
    if (mask & s->cohort_bit) {
        if (s->each) {
            if ((rc = set_add(s, &s->st[m], P, 0)) < 0) return nomem(err);
            changed |= rc;
        } else if (ev->ts < s->first[m]) {
            s->first[m] = ev->ts;
            changed = 1;
        }
    }
    if (mask & s->act_bit) {
        if ((rc = set_add(s, &s->act[m], P, s->least > 1)) < 0) return nomem(err);
        changed |= rc;
    }
    if (changed) s->dirty[m / CHUNK] = 1;
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- encoding */

typedef struct ebuf {
    unsigned char *p;
    size_t n, cap;
} ebuf;

static int e_room(ebuf *b, size_t n)
{
    if (b->n + n <= b->cap) return 0;
    size_t c = b->cap ? b->cap * 2 : 1024;
    while (c < b->n + n) c *= 2;
    unsigned char *p = shoal_realloc(b->p, c);
    if (!p) return -1;
    b->p = p;
    b->cap = c;
    return 0;
}

static void e_varint(ebuf *b, uint64_t v) { b->n += shoal_varint_put(b->p + b->n, v); }

/* The set's words without zero words at either end. */
static void trim(const uint64_t *w, int32_t lo, uint32_t n, int32_t *tlo, uint32_t *tn, const uint64_t **tw)
{
    uint32_t a = 0, e = n;
    while (a < e && !w[a]) a++;
    while (e > a && !w[e - 1]) e--;
    *tlo = lo + (int32_t)a;
    *tn = e - a;
    *tw = w + a;
}

static int e_set(ebuf *b, const uint64_t *w, int32_t lo, uint32_t n)
{
    if (e_room(b, 20 + (size_t)n * 8)) return -1;
    e_varint(b, shoal_zigzag(lo));
    e_varint(b, n);
    memcpy(b->p + b->n, w, (size_t)n * 8);   /* little-endian hosts only, as the record codec */
    b->n += (size_t)n * 8;
    return 0;
}

/* Chunk c of s into b (empty when no member of it has state). */
static int encode_chunk(const rstate *s, uint32_t c, ebuf *b)
{
    b->n = 0;
    uint32_t prev = c * CHUNK;
    for (uint32_t m = c * CHUNK; m < (c + 1) * CHUNK && m < s->n_members; m++) {
        int32_t alo, slo;
        uint32_t an, sn;
        const uint64_t *aw, *sw;
        trim(s->pool + s->act[m].off, s->act[m].lo, s->act[m].n, &alo, &an, &aw);
        trim(s->pool + s->st[m].off, s->st[m].lo, s->st[m].n, &slo, &sn, &sw);
        int flags = (s->first[m] != INT64_MAX ? F_FIRST : 0) | (an ? F_ACT : 0) | (sn ? F_START : 0);
        if (!flags) continue;
        if (e_room(b, 32)) return -1;
        e_varint(b, m - prev);
        prev = m;
        b->p[b->n++] = (unsigned char)flags;
        if (flags & F_FIRST) e_varint(b, shoal_zigzag(s->first[m]));
        if ((flags & F_ACT) && e_set(b, aw, alo, an)) return -1;
        if ((flags & F_START) && e_set(b, sw, slo, sn)) return -1;
    }
    return 0;
}

/* One member's record as decoded: words copied out of the value (aligned). */
typedef struct drec {
    shoal_retmember m;
    uint64_t *buf;
    size_t cap;
} drec;

static int d_set(const unsigned char **p, const unsigned char *end, drec *d, size_t at, int32_t *lo, uint32_t *n)
{
    uint64_t v;
    size_t k = shoal_varint_get(*p, end, &v);
    if (!k) return SHOAL_ECORRUPT;
    *p += k;
    int64_t l = shoal_unzigzag(v);
    if (!(k = shoal_varint_get(*p, end, &v))) return SHOAL_ECORRUPT;
    *p += k;
    if (l < INT32_MIN / 2 || l > INT32_MAX / 2 || v == 0 || v > UINT16_MAX || v * 8 > (uint64_t)(end - *p))
        return SHOAL_ECORRUPT;
    if (at + v > d->cap) {
        size_t c = d->cap ? d->cap : 64;
        while (c < at + v) c *= 2;
        uint64_t *b = shoal_realloc(d->buf, c * sizeof *b);
        if (!b) return SHOAL_ENOMEM;
        d->buf = b;
        d->cap = c;
    }
    memcpy(d->buf + at, *p, v * 8);   /* little-endian hosts only, as the record codec */
    *p += v * 8;
    *lo = (int32_t)l;
    *n = (uint32_t)v;
    return 0;
}

static int chunk_key(const MDB_val *k, uint32_t *chunk)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != 0) return -1;
    *chunk = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    return 0;
}

/* Calls fn for every member record of chunk c's value. Returns 0, what fn returned
 * (non-zero stops), SHOAL_ECORRUPT when it does not decode, SHOAL_ENOMEM. */
static int each_in_chunk(uint32_t c, const MDB_val *val, drec *d, int (*fn)(void *, const shoal_retmember *), void *ctx)
{
    const unsigned char *p = val->mv_data, *end = p + val->mv_size;
    uint64_t m = (uint64_t)c * CHUNK;
    int first = 1;
    while (p < end) {
        uint64_t delta;
        size_t k = shoal_varint_get(p, end, &delta);
        if (!k || (!first && !delta) || m + delta >= (uint64_t)(c + 1) * CHUNK || p + k >= end) return SHOAL_ECORRUPT;
        p += k;
        m += delta;
        first = 0;
        int flags = *p++;
        if (!flags || (flags & ~(F_FIRST | F_ACT | F_START))) return SHOAL_ECORRUPT;
        memset(&d->m, 0, sizeof d->m);
        d->m.member = (uint32_t)m;
        d->m.first = INT64_MAX;
        if (flags & F_FIRST) {
            uint64_t t;
            if (!(k = shoal_varint_get(p, end, &t))) return SHOAL_ECORRUPT;
            p += k;
            d->m.first = shoal_unzigzag(t);
            if (d->m.first == INT64_MAX) return SHOAL_ECORRUPT;
        }
        int rc;
        size_t at = 0;
        if ((flags & F_ACT)) {
            if ((rc = d_set(&p, end, d, 0, &d->m.act_lo, &d->m.act_n))) return rc;
            at = d->m.act_n;
        }
        if ((flags & F_START) && (rc = d_set(&p, end, d, at, &d->m.st_lo, &d->m.st_n))) return rc;
        d->m.act = d->m.act_n ? d->buf : NULL;
        d->m.st = d->m.st_n ? d->buf + at : NULL;
        if ((rc = fn(ctx, &d->m))) return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- load, flush */

/* A decoded record into the hot state. */
static int put_rec(rstate *s, const shoal_retmember *r)
{
    if (grow(s, r->member)) return SHOAL_ENOMEM;
    s->first[r->member] = r->first;
    for (int k = 0; k < 2; k++) {
        const uint64_t *w = k ? r->st : r->act;
        uint32_t n = k ? r->st_n : r->act_n;
        int32_t lo = k ? r->st_lo : r->act_lo;
        rset *z = k ? &s->st[r->member] : &s->act[r->member];
        for (uint32_t i = 0; i < n; i++) {
            uint64_t *word = set_word(s, z, (int64_t)lo + i);
            if (!word) return SHOAL_ENOMEM;
            *word = w[i];
        }
    }
    return 0;
}

static int load_one(void *ctx, const shoal_retmember *r) { return put_rec(ctx, r); }

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    rstate *s = v->st;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c)) continue;
        int r = each_in_chunk(c, &val, &d, load_one, s);
        if (r) {
            mdb_cursor_close(cur);
            shoal_free(d.buf);
            return r == SHOAL_ENOMEM ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a retention chunk does not decode");
        }
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (s->dirty) memset(s->dirty, 0, s->n_members / CHUNK);
    return SHOAL_OK;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    rstate *s = v->st;
    if (!txn) return compact(s) ? nomem(err) : SHOAL_OK;
    ebuf b = {NULL, 0, 0};
    int rc = 0;
    for (uint32_t c = 0; c < s->n_members / CHUNK; c++) {
        if (!all && !s->dirty[c]) continue;
        if (encode_chunk(s, c, &b)) {
            rc = nomem(err);
            break;
        }
        unsigned char kb[5] = {0, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                               (unsigned char)c};
        MDB_val k = {5, kb}, val = {b.n, b.p};
        int r = b.n ? mdb_put(txn, dbi, &k, &val, 0) : all ? 0 : mdb_del(txn, dbi, &k, NULL);
        if (r && r != MDB_NOTFOUND) {
            rc = shoal_store_err(err, r, "cannot write a retention chunk");
            break;
        }
        s->dirty[c] = 0;
    }
    shoal_free(b.p);
    if (!rc && compact(s)) rc = nomem(err);
    return rc;
}

/* ---------------------------------------------------------------- check */

typedef struct cmp_ctx {
    rstate *s;
    const char *name;
    void (*problem)(void *, const char *);
    void *pctx;
    int n_problems;
    uint8_t *seen;   /* per member */
} cmp_ctx;

static void say(cmp_ctx *c, const char *fmt, uint32_t m)
{
    char msg[256];
    if (++c->n_problems > MAX_PROBLEMS) return;
    snprintf(msg, sizeof msg, fmt, c->name, m);
    c->problem(c->pctx, msg);
}

/* Are words (lo, n) of a record the same set as the state's z? */
static int same_set(const rstate *s, const rset *z, const uint64_t *w, int32_t lo, uint32_t n)
{
    int32_t blo;
    uint32_t bn;
    const uint64_t *bw;
    trim(s->pool + z->off, z->lo, z->n, &blo, &bn, &bw);
    if (!n && !bn) return 1;
    return n == bn && lo == blo && !memcmp(w, bw, (size_t)n * sizeof *w);
}

static int cmp_one(void *ctx, const shoal_retmember *r)
{
    cmp_ctx *c = ctx;
    const rstate *s = c->s;
    uint32_t m = r->member;
    if (m >= s->n_members) {
        say(c, "view \"%s\": member id %u has state stored, a rebuild has none", m);
        return 0;
    }
    if (c->seen[m]) say(c, "view \"%s\": member id %u is stored twice", m);
    c->seen[m] = 1;
    if (r->first != s->first[m]) say(c, "view \"%s\": member id %u has another cohort time stored than a rebuild", m);
    if (!same_set(s, &s->act[m], r->act, r->act_lo, r->act_n))
        say(c, "view \"%s\": member id %u has other active periods stored than a rebuild", m);
    if (!same_set(s, &s->st[m], r->st, r->st_lo, r->st_n))
        say(c, "view \"%s\": member id %u has other cohort periods stored than a rebuild", m);
    return 0;
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    rstate *s = v->st;
    cmp_ctx c = {s, v->dbname + 2, problem, ctx, 0, NULL};
    if (!(c.seen = shoal_malloc(s->n_members + 1))) return nomem(err);
    memset(c.seen, 0, s->n_members + 1);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) {
        shoal_free(c.seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t ch;
        if (k.mv_size == 1 && ((unsigned char *)k.mv_data)[0] == SHOAL_VIEW_HDR) continue;
        if (chunk_key(&k, &ch)) {
            say(&c, "view \"%s\" has an entry that is not a retention chunk%.0u", 0);
            continue;
        }
        int r = each_in_chunk(ch, &val, &d, cmp_one, &c);
        if (r == SHOAL_ENOMEM) {
            rc = SHOAL_ENOMEM;
            break;
        }
        if (r) say(&c, "view \"%s\": the chunk of member ids from %u does not decode", ch * CHUNK);
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    if (rc == SHOAL_ENOMEM) {
        shoal_free(c.seen);
        return nomem(err);
    }
    if (rc != MDB_NOTFOUND) {
        shoal_free(c.seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (uint32_t m = 0; m < s->n_members; m++) {
        if (c.seen[m]) continue;
        int32_t lo;
        uint32_t n1, n2;
        const uint64_t *w;
        trim(s->pool + s->act[m].off, s->act[m].lo, s->act[m].n, &lo, &n1, &w);
        trim(s->pool + s->st[m].off, s->st[m].lo, s->st[m].n, &lo, &n2, &w);
        if (s->first[m] != INT64_MAX || n1 || n2) say(&c, "view \"%s\": member id %u has no stored state, a rebuild has some", m);
    }
    if (c.n_problems > MAX_PROBLEMS) {
        char msg[256];
        snprintf(msg, sizeof msg, "view \"%s\": %d more differences", c.name, c.n_problems - MAX_PROBLEMS);
        problem(ctx, msg);
    }
    shoal_free(c.seen);
    return SHOAL_OK;
}

const shoal_view_kind shoal_view_retention = {"retention", new_state, free_state, reset, load, apply, flush, compare};

/* ---------------------------------------------------------------- reads */

int shoal_view_retention_each(shoal_reader *r, const char *name, int (*fn)(void *ctx, const shoal_retmember *m),
                              void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c)) continue;
        if ((rc = each_in_chunk(c, &val, &d, fn, ctx))) break;
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    /* fn's error is in err already; the decoder's are said here */
    if (rc == SHOAL_ECORRUPT) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a chunk of view \"%s\" does not decode", name);
    if (rc == SHOAL_ENOMEM) return nomem(err);
    if (rc) return rc;
    if (mrc != MDB_NOTFOUND) return shoal_store_err(err, mrc, "cannot read a view's table");
    return SHOAL_OK;
}
