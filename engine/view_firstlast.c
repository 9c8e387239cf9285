/* view_firstlast.c — the first/last kind: per member and series (types + filter), the
 * time of the member's earliest and of their latest event. An event lowers the first or
 * raises the last only when it is earlier or later than what is kept, so the state is
 * the same whatever order events arrive in (a late join moves the member's first join
 * back to where it belongs; a second join changes nothing).
 *
 * A series keeps its first, its last or both: the series' weight says which (bit 0
 * first, bit 1 last; the definition format has no other field for it), so a view of
 * first(join) and first(post) keeps no latest times, which log-ordered ingest would
 * rewrite with nearly every batch.
 *
 * Table: key [0x01][series u8][end u8: 0 first, 1 last][chunk BE u32] → CHUNK times,
 * little-endian i64 epoch ms, members chunk·CHUNK … chunk·CHUNK + CHUNK − 1; a member
 * without such an event holds INT64_MAX (first) or INT64_MIN (last); a chunk with none
 * may be absent. CHUNK is 1020 so that a value (8160 bytes) fits in two 4 KiB overflow
 * pages with their header (1024 would take three). The header's t0 is the earliest
 * event time of any series, its max_ts the latest: the planner reads them to know
 * which windows the view answers (query/views.c). Hot state is every kept array in
 * memory; a batch writes the chunks it dirtied, in key order.
 *
 * The cohort index: when series 0 keeps its first (the cohort event, first(join)), each
 * other series s that keeps its first has, per UTC day of a member's first series-0
 * event a, the entries (d, a) of that day's members sorted by (d, a), d = b − a for
 * the member's first series-s event b (INT64_MAX when none): key [0x02][s u8][day + 2^31
 * BE u32] → 16 bytes an entry, d then a, little-endian i64. Equal entries are
 * interchangeable, so a change of a member's a or b removes one entry equal to the old
 * and inserts the new, with no member id kept. A question per join period of the time
 * from a to b (its median, quantile, counts within N days) reads a few days' sorted
 * runs instead of every member (query/cohort.c). Key [0x03] marks a table whose index
 * is complete (written by every flush): a table from before the index has none, and a
 * writer that opens it builds the index from the arrays.
 */
#include "shoal_int.h"

#include <stdio.h>
#include <stdlib.h>

#define CHUNK SHOAL_FIRSTLAST_CHUNK
#define KEY_LEN 7

typedef struct cent { int64_t d, a; } cent;
typedef struct cday {
    cent *e;
    uint32_t n, cap;
    uint8_t dirty;
} cday;

typedef struct fstate {
    uint32_t n_arr;                           /* 2 × series */
    int64_t *t[2 * SHOAL_VIEW_MAX_SERIES];    /* series s: [2s] first, [2s + 1] last; NULL when not kept */
    uint8_t *dirty[2 * SHOAL_VIEW_MAX_SERIES];
    uint32_t n_chunks;
    shoal_mrefs refs;                         /* the batch's events not applied yet: member, time, series */
    /* the cohort index of series s (1..): days day0 … day0 + n_days − 1 */
    int64_t day0;
    uint32_t n_days;
    cday *days[SHOAL_VIEW_MAX_SERIES];
    int marked;                               /* key 0x03 is in the table */
} fstate;

#define DAY_MS 86400000LL
#define IX_KEY 2
#define IX_MARK 3

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int64_t none_of(uint32_t k) { return k & 1 ? INT64_MIN : INT64_MAX; }

static int keeps(const shoal_view *v, uint32_t k)
{
    unsigned w = (unsigned)v->def.series[k / 2].weight;
    return (w >> (k & 1)) & 1;
}

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    fstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    s->n_arr = 2 * v->def.n_series;
    *out = s;
    return SHOAL_OK;
}

/* Series k (1..) has a cohort index: series 0 and k keep their firsts. */
static int indexed(const shoal_view *v, uint32_t k)
{
    return k > 0 && k < v->def.n_series && keeps(v, 0) && keeps(v, 2 * k);
}

static int64_t floor_day(int64_t t) { return t / DAY_MS - (t % DAY_MS < 0); }

static void ix_free(fstate *s)
{
    for (uint32_t k = 0; k < SHOAL_VIEW_MAX_SERIES; k++) {
        if (!s->days[k]) continue;
        for (uint32_t i = 0; i < s->n_days; i++) shoal_free(s->days[k][i].e);
        shoal_free(s->days[k]);
        s->days[k] = NULL;
    }
    s->n_days = 0;
    s->day0 = 0;
    s->marked = 0;
}

/* Room for day in every index; 0 or -1 (no memory). */
static int ix_room(const shoal_view *v, fstate *s, int64_t day)
{
    if (s->n_days && day >= s->day0 && day < s->day0 + (int64_t)s->n_days) return 0;
    int64_t lo = s->n_days ? (day < s->day0 ? day : s->day0) : day;
    int64_t hi = s->n_days ? (day >= s->day0 + (int64_t)s->n_days ? day + 1 : s->day0 + s->n_days) : day + 1;
    /* grow by half again on the side that grew, so that days arriving one by one
     * (log order) move the arrays a logarithmic number of times */
    int64_t extra = (hi - lo) / 2 + 16;
    if (s->n_days && day < s->day0) lo -= extra;
    else hi += extra;
    if (hi - lo > (int64_t)1 << 24) return -1;
    uint32_t n = (uint32_t)(hi - lo);
    for (uint32_t k = 1; k < v->def.n_series; k++) {
        if (!indexed(v, k)) continue;
        cday *d = shoal_malloc((size_t)n * sizeof *d);
        if (!d) return -1;
        memset(d, 0, (size_t)n * sizeof *d);
        if (s->days[k]) memcpy(d + (s->day0 - lo), s->days[k], (size_t)s->n_days * sizeof *d);
        shoal_free(s->days[k]);
        s->days[k] = d;
    }
    s->day0 = lo;
    s->n_days = n;
    return 0;
}

static int cent_cmp(const cent *x, const cent *y)
{
    return x->d != y->d ? (x->d < y->d ? -1 : 1) : (x->a > y->a) - (x->a < y->a);
}

static uint32_t cent_find(const cday *c, const cent *x)
{
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if (cent_cmp(&c->e[m], x) < 0) lo = m + 1;
        else hi = m;
    }
    return lo;
}

static cent cent_of(int64_t a, int64_t b) { return (cent){b == INT64_MAX ? INT64_MAX : b - a, a}; }

/* Index k's day of a (a time), with room for one more entry; NULL on no memory. */
static cday *ix_cell(const shoal_view *v, fstate *s, uint32_t k, int64_t a)
{
    int64_t day = floor_day(a);
    if (ix_room(v, s, day)) return NULL;
    cday *c = &s->days[k][day - s->day0];
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 8;
        cent *e = shoal_realloc(c->e, (size_t)cap * sizeof *e);
        if (!e) return NULL;
        c->e = e;
        c->cap = cap;
    }
    return c;
}

/* Member's (a, b) into index k (a: none leaves it out); -1 on no memory. */
static int ix_add(const shoal_view *v, fstate *s, uint32_t k, int64_t a, int64_t b)
{
    if (a == INT64_MAX) return 0;
    cday *c = ix_cell(v, s, k, a);
    if (!c) return -1;
    cent x = cent_of(a, b);
    uint32_t i = cent_find(c, &x);
    memmove(c->e + i + 1, c->e + i, (size_t)(c->n - i) * sizeof *c->e);
    c->e[i] = x;
    c->n++;
    c->dirty = 1;
    return 0;
}

/* Member's (a, b) out of index k; -1 when it is not there (an index that does not
 * agree with the arrays: a damaged table, refused rather than aborting the ingest). */
static int ix_del(fstate *s, uint32_t k, int64_t a, int64_t b)
{
    if (a == INT64_MAX) return 0;
    int64_t day = floor_day(a);
    if (!s->n_days || day < s->day0 || day >= s->day0 + (int64_t)s->n_days) return -1;
    cday *c = &s->days[k][day - s->day0];
    cent x = cent_of(a, b);
    uint32_t i = cent_find(c, &x);
    if (i >= c->n || cent_cmp(&c->e[i], &x)) return -1;
    memmove(c->e + i, c->e + i + 1, (size_t)(c->n - i - 1) * sizeof *c->e);
    c->n--;
    c->dirty = 1;
    return 0;
}

static int cent_qcmp(const void *x, const void *y) { return cent_cmp(x, y); }

/* Every index from the arrays (a table from before the index, or a reset state). */
static int ix_build(const shoal_view *v, fstate *s)
{
    const int64_t *a = s->t[0];
    if (!a) return 0;
    size_t n = (size_t)s->n_chunks * CHUNK;
    for (uint32_t k = 1; k < v->def.n_series; k++) {
        if (!indexed(v, k)) continue;
        const int64_t *b = s->t[2 * k];
        for (size_t m = 0; m < n; m++) {
            if (a[m] == INT64_MAX) continue;
            cday *c = ix_cell(v, s, k, a[m]);
            if (!c) return -1;
            c->e[c->n++] = cent_of(a[m], b[m]);
            c->dirty = 1;
        }
        for (uint32_t i = 0; i < s->n_days; i++)
            if (s->days[k][i].n > 1) qsort(s->days[k][i].e, s->days[k][i].n, sizeof(cent), cent_qcmp);
    }
    return 0;
}

static void ix_key(unsigned char *kb, uint32_t k, int64_t day)
{
    uint32_t u = (uint32_t)(day + ((int64_t)1 << 31));
    kb[0] = IX_KEY;
    kb[1] = (unsigned char)k;
    kb[2] = (unsigned char)(u >> 24), kb[3] = (unsigned char)(u >> 16), kb[4] = (unsigned char)(u >> 8);
    kb[5] = (unsigned char)u;
}

static void reset(void *st)
{
    fstate *s = st;
    ix_free(s);
    for (uint32_t k = 0; k < s->n_arr; k++) {
        shoal_free(s->t[k]);
        shoal_free(s->dirty[k]);
        s->t[k] = NULL;
        s->dirty[k] = NULL;
    }
    s->n_chunks = 0;
    shoal_mrefs_free(&s->refs);
}

static void free_state(void *st)
{
    if (!st) return;
    reset(st);
    shoal_free(st);
}

/* Room for member (every kept array), the new entries holding "none". */
static int grow(shoal_view *v, fstate *s, uint32_t member)
{
    uint32_t want = member / CHUNK + 1;
    if (want <= s->n_chunks) return 0;
    uint32_t n = s->n_chunks ? s->n_chunks : 16;
    while (n < want) n *= 2;
    for (uint32_t k = 0; k < s->n_arr; k++) {
        if (!keeps(v, k)) continue;
        int64_t *t = shoal_realloc(s->t[k], (size_t)n * CHUNK * sizeof *t);
        if (!t) return -1;
        s->t[k] = t;
        uint8_t *d = shoal_realloc(s->dirty[k], n);
        if (!d) return -1;
        s->dirty[k] = d;
        int64_t none = none_of(k);
        for (size_t i = (size_t)s->n_chunks * CHUNK; i < (size_t)n * CHUNK; i++) t[i] = none;
        memset(d + s->n_chunks, 0, n - s->n_chunks);
    }
    s->n_chunks = n;
    return 0;
}

static void key_put(unsigned char *kb, uint32_t k, uint32_t c)
{
    kb[0] = 1;
    kb[1] = (unsigned char)(k / 2);
    kb[2] = (unsigned char)(k & 1);
    kb[3] = (unsigned char)(c >> 24), kb[4] = (unsigned char)(c >> 16), kb[5] = (unsigned char)(c >> 8);
    kb[6] = (unsigned char)c;
}

/* The array index and chunk of a key; -1 when it is not a chunk's key. */
static int key_get(const MDB_val *key, uint32_t *k, uint32_t *c)
{
    const unsigned char *p = key->mv_data;
    if (key->mv_size != KEY_LEN || p[0] != 1 || p[2] > 1) return -1;
    *k = 2u * p[1] + p[2];
    *c = (uint32_t)p[3] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
    return 0;
}

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    fstate *s = v->st;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val key, val;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        uint32_t k, c;
        const unsigned char *kp = key.mv_data;
        if (key.mv_size == 1 && kp[0] == IX_MARK) {
            s->marked = 1;
            continue;
        }
        if (key.mv_size == 6 && kp[0] == IX_KEY) {
            int64_t day = (int64_t)((uint32_t)kp[2] << 24 | (uint32_t)kp[3] << 16 | (uint32_t)kp[4] << 8 | kp[5]) -
                          ((int64_t)1 << 31);
            k = kp[1];
            if (!indexed(v, k) || val.mv_size % sizeof(cent)) {
                mdb_cursor_close(cur);
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a cohort index day of view \"%s\" is damaged", v->dbname + 2);
            }
            if (ix_room(v, s, day)) {
                mdb_cursor_close(cur);
                return nomem(err);
            }
            cday *cd = &s->days[k][day - s->day0];
            uint32_t n = (uint32_t)(val.mv_size / sizeof(cent));
            if (!(cd->e = shoal_malloc((size_t)(n ? n : 1) * sizeof(cent)))) {
                mdb_cursor_close(cur);
                return nomem(err);
            }
            memcpy(cd->e, val.mv_data, val.mv_size);
            cd->n = cd->cap = n;
            continue;
        }
        if (key_get(&key, &k, &c)) continue;
        if (k >= s->n_arr || !keeps(v, k) || val.mv_size != CHUNK * sizeof(int64_t)) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a first/last chunk of view \"%s\" is damaged", v->dbname + 2);
        }
        if (grow(v, s, c * CHUNK + CHUNK - 1)) {
            mdb_cursor_close(cur);
            return nomem(err);
        }
        memcpy(s->t[k] + (size_t)c * CHUNK, val.mv_data, val.mv_size);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (!s->marked) {   /* a table from before the index: built here, written by the next flush */
        ix_free(s);
        if (ix_build(v, s)) return nomem(err);
    }
    return SHOAL_OK;
}

/* An event's series are kept as refs until the flush applies the batch's by member
 * (view_mrefs.c): each member's times are touched once a batch, in address order. */
static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    fstate *s = v->st;
    int64_t ts = ev->ts;
    for (uint32_t i = 0; mask; i++, mask >>= 1)
        if ((mask & 1) && shoal_mrefs_push(&s->refs, ev->member, ts, i)) return nomem(err);
    if (v->t0 == INT64_MIN || ts < v->t0) v->t0 = ts;
    if (ts > v->max_ts) v->max_ts = ts;
    return SHOAL_OK;
}

/* The batch's refs into the arrays, a member's at a time (the refs are sorted by member,
 * stably): a first lowered, a last raised; then the member's cohort index entries move
 * once, from its firsts before the batch to those after (an event of several series, a
 * join that is also a post, may move a and b at once). */
static int drain(shoal_view *v, fstate *s, shoal_err *err)
{
    if (!s->refs.n) return SHOAL_OK;
    if (grow(v, s, s->refs.max)) return nomem(err);
    const shoal_mref *r = shoal_mrefs_sort(&s->refs);
    if (!r) return nomem(err);
    int64_t *f0 = s->t[0];
    int ix = f0 && s->n_arr > 2;
    for (size_t j = 0; j < s->refs.n;) {
        uint32_t m = r[j].member, c = m / CHUNK;
        int64_t a0 = ix ? f0[m] : INT64_MAX;
        uint64_t moved = 0;
        int64_t b0[SHOAL_VIEW_MAX_SERIES];
        for (; j < s->refs.n && r[j].member == m; j++) {
            uint32_t i = r[j].aux;
            int64_t ts = r[j].val;
            int64_t *f = s->t[2 * i], *l = s->t[2 * i + 1];
            if (f && ts < f[m]) {
                if (!((moved >> i) & 1)) b0[i] = f[m];
                moved |= (uint64_t)1 << i;
                f[m] = ts, s->dirty[2 * i][c] = 1;
            }
            if (l && ts > l[m]) l[m] = ts, s->dirty[2 * i + 1][c] = 1;
        }
        if (ix && moved) {
            for (uint32_t k = 1; k < v->def.n_series; k++) {
                if (!indexed(v, k) || !((moved & 1) || ((moved >> k) & 1))) continue;
                int64_t bk = s->t[2 * k][m], bold = (moved >> k) & 1 ? b0[k] : bk;
                if (ix_del(s, k, a0, bold)) {
                    shoal_mrefs_clear(&s->refs);
                    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1,
                                         "a cohort index day of view \"%s\" is damaged (shoal rebuild %s remakes it)",
                                         v->dbname + 2, v->dbname + 2);
                }
                if (ix_add(v, s, k, f0[m], bk)) {
                    shoal_mrefs_clear(&s->refs);
                    return nomem(err);
                }
            }
        }
    }
    shoal_mrefs_clear(&s->refs);
    return SHOAL_OK;
}

static int prepare(shoal_view *v, shoal_err *err) { return drain(v, v->st, err); }

static int all_none(const int64_t *p, int64_t none)
{
    for (int i = 0; i < CHUNK; i++)
        if (p[i] != none) return 0;
    return 1;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    fstate *s = v->st;
    int rc = drain(v, s, err);
    if (rc || !txn) return rc;
    for (uint32_t k = 0; k < s->n_arr; k++) {
        if (!s->t[k]) continue;
        for (uint32_t c = 0; c < s->n_chunks; c++) {
            const int64_t *p = s->t[k] + (size_t)c * CHUNK;
            if (all ? all_none(p, none_of(k)) : !s->dirty[k][c]) continue;
            unsigned char kb[KEY_LEN];
            key_put(kb, k, c);
            MDB_val key = {KEY_LEN, kb}, val = {CHUNK * sizeof(int64_t), (void *)p};
            rc = mdb_put(txn, dbi, &key, &val, 0);
            if (rc) return shoal_store_err(err, rc, "cannot write a first/last chunk");
            s->dirty[k][c] = 0;
        }
    }
    for (uint32_t k = 1; k < v->def.n_series; k++) {
        if (!indexed(v, k) || !s->days[k]) continue;
        for (uint32_t i = 0; i < s->n_days; i++) {
            cday *cd = &s->days[k][i];
            if (all ? !cd->n : !cd->dirty) continue;
            unsigned char kb[6];
            ix_key(kb, k, s->day0 + i);
            MDB_val key = {6, kb}, val = {(size_t)cd->n * sizeof(cent), cd->e};
            int rc = cd->n ? mdb_put(txn, dbi, &key, &val, 0) : mdb_del(txn, dbi, &key, NULL);
            if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot write a cohort index day");
            cd->dirty = 0;
        }
    }
    if (all || !s->marked) {
        unsigned char kb[1] = {IX_MARK};
        MDB_val key = {1, kb}, val = {0, kb};
        int rc = mdb_put(txn, dbi, &key, &val, 0);
        if (rc) return shoal_store_err(err, rc, "cannot write a cohort index day");
        s->marked = 1;
    }
    return SHOAL_OK;
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    fstate *s = v->st;
    char msg[256];
    const char *name = v->dbname + 2;
    MDB_cursor *cur;
    int drc = drain(v, s, err);
    if (drc) return drc;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    size_t n_seen = (size_t)s->n_arr * s->n_chunks + 1;
    uint8_t *seen = shoal_malloc(n_seen);
    if (!seen) {
        mdb_cursor_close(cur);
        return nomem(err);
    }
    memset(seen, 0, n_seen);
    int marked = 0;
    uint8_t *ix_seen = shoal_malloc((size_t)v->def.n_series * s->n_days + 1);
    if (!ix_seen) {
        shoal_free(seen);
        mdb_cursor_close(cur);
        return nomem(err);
    }
    memset(ix_seen, 0, (size_t)v->def.n_series * s->n_days + 1);
    MDB_val key, val;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        uint32_t k, c;
        const unsigned char *kp = key.mv_data;
        if (key.mv_size == 1 && (kp[0] == SHOAL_VIEW_HDR || kp[0] == IX_MARK)) {
            marked |= kp[0] == IX_MARK;
            continue;
        }
        if (key.mv_size == 6 && kp[0] == IX_KEY) {
            int64_t day = (int64_t)((uint32_t)kp[2] << 24 | (uint32_t)kp[3] << 16 | (uint32_t)kp[4] << 8 | kp[5]) -
                          ((int64_t)1 << 31);
            uint32_t ks = kp[1];
            const cday *cd = indexed(v, ks) && s->days[ks] && day >= s->day0 && day < s->day0 + (int64_t)s->n_days
                                 ? &s->days[ks][day - s->day0] : NULL;
            if (!cd || val.mv_size != (size_t)cd->n * sizeof(cent) || memcmp(val.mv_data, cd->e, val.mv_size)) {
                snprintf(msg, sizeof msg, "view \"%s\": the cohort index of series %u on day %lld has %zu entries that differ from a rebuild's %u",
                         name, ks + 1, (long long)day, val.mv_size / sizeof(cent), cd ? cd->n : 0);
                problem(ctx, msg);
            }
            if (cd) ix_seen[(size_t)ks * s->n_days + (size_t)(day - s->day0)] = 1;
            continue;
        }
        if (key_get(&key, &k, &c) || k >= s->n_arr || !keeps(v, k) || val.mv_size != CHUNK * sizeof(int64_t)) {
            snprintf(msg, sizeof msg, "view \"%s\" has an entry that is not a first/last chunk", name);
            problem(ctx, msg);
            continue;
        }
        for (uint32_t i = 0; i < CHUNK; i++) {
            int64_t stored, built = c < s->n_chunks && s->t[k] ? s->t[k][(size_t)c * CHUNK + i] : none_of(k);
            memcpy(&stored, (const unsigned char *)val.mv_data + i * sizeof stored, sizeof stored);
            if (stored != built) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u has %s time %lld in series %u, a rebuild has %lld",
                         name, c * CHUNK + i, k & 1 ? "last" : "first", (long long)stored, k / 2 + 1, (long long)built);
                problem(ctx, msg);
                break;
            }
        }
        if (c < s->n_chunks) seen[(size_t)k * s->n_chunks + c] = 1;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        shoal_free(seen);
        shoal_free(ix_seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (uint32_t k = 1; marked && k < v->def.n_series; k++) {
        if (!indexed(v, k) || !s->days[k]) continue;
        for (uint32_t i = 0; i < s->n_days; i++) {
            if (ix_seen[(size_t)k * s->n_days + i] || !s->days[k][i].n) continue;
            snprintf(msg, sizeof msg, "view \"%s\": the cohort index of series %u has no day %lld, a rebuild has %u entries",
                     name, k + 1, (long long)(s->day0 + i), s->days[k][i].n);
            problem(ctx, msg);
            break;
        }
    }
    shoal_free(ix_seen);
    for (uint32_t k = 0; k < s->n_arr; k++) {
        if (!s->t[k]) continue;
        for (uint32_t c = 0; c < s->n_chunks; c++) {
            const int64_t *p = s->t[k] + (size_t)c * CHUNK;
            if (seen[(size_t)k * s->n_chunks + c] || all_none(p, none_of(k))) continue;
            snprintf(msg, sizeof msg, "view \"%s\": members %u..%u have no stored %s times in series %u, a rebuild has some",
                     name, c * CHUNK, c * CHUNK + CHUNK - 1, k & 1 ? "last" : "first", k / 2 + 1);
            problem(ctx, msg);
        }
    }
    shoal_free(seen);
    return SHOAL_OK;
}

const shoal_view_kind shoal_view_firstlast = {"firstlast", new_state, free_state, reset, load, apply, flush, compare, NULL, prepare, NULL, NULL};

int shoal_view_firstlast_read(shoal_reader *r, const char *name, uint32_t s, int last, int64_t lo, int64_t hi,
                              uint32_t n_members, uint32_t *n, int64_t *t, uint64_t *touched, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    uint32_t want = 2 * s + (last != 0);
    int64_t none = none_of(want);
    unsigned char kb[KEY_LEN];
    key_put(kb, want, 0);
    MDB_val key = {KEY_LEN, kb}, val;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        uint32_t k, c;
        if (key_get(&key, &k, &c) || k != want) break;
        if (val.mv_size != CHUNK * sizeof(int64_t)) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a first/last chunk of view \"%s\" is damaged", name);
        }
        uint64_t first = (uint64_t)c * CHUNK;
        if (first > n_members) break;
        size_t cnt = (uint64_t)n_members + 1 - first < CHUNK ? (size_t)(n_members + 1 - first) : CHUNK;
        /* the chunk as it is, then which of its times count: without branches, so that
         * the loop runs a few members a step */
        int64_t *tt = t + first;
        uint32_t *nn = n + first;
        memcpy(tt, val.mv_data, cnt * sizeof *tt);
        for (size_t i = 0; i < cnt; i++) nn[i] = (uint32_t)((tt[i] != none) & (tt[i] >= lo) & (tt[i] < hi));
        if (touched)
            for (size_t i = 0; i < cnt; i++) touched[(first + i) >> 6] |= (uint64_t)nn[i] << ((first + i) & 63);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

int shoal_view_firstlast_cohort_each(shoal_reader *r, const char *name, uint32_t s,
                                     int (*fn)(void *ctx, int64_t day, const unsigned char *ents, uint32_t n), void *ctx,
                                     shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    unsigned char mk[1] = {IX_MARK};
    MDB_val key = {1, mk}, val;
    if ((rc = mdb_get(r->txn, dbi, &key, &val))) {
        if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[6] = {IX_KEY, (unsigned char)s, 0, 0, 0, 0};
    key.mv_size = 6, key.mv_data = kb;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        const unsigned char *kp = key.mv_data;
        if (key.mv_size != 6 || kp[0] != IX_KEY || kp[1] != s) break;
        if (val.mv_size % sizeof(cent)) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a cohort index day of view \"%s\" is damaged", name);
        }
        int64_t day = (int64_t)((uint32_t)kp[2] << 24 | (uint32_t)kp[3] << 16 | (uint32_t)kp[4] << 8 | kp[5]) -
                      ((int64_t)1 << 31);
        int frc = fn(ctx, day, val.mv_data, (uint32_t)(val.mv_size / sizeof(cent)));
        if (frc) {
            mdb_cursor_close(cur);
            return frc;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}
