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
 */
#include "shoal_int.h"

#include <stdio.h>

#define CHUNK SHOAL_FIRSTLAST_CHUNK
#define KEY_LEN 7

typedef struct fstate {
    uint32_t n_arr;                           /* 2 × series */
    int64_t *t[2 * SHOAL_VIEW_MAX_SERIES];    /* series s: [2s] first, [2s + 1] last; NULL when not kept */
    uint8_t *dirty[2 * SHOAL_VIEW_MAX_SERIES];
    uint32_t n_chunks;
    shoal_mrefs refs;                         /* the batch's events not applied yet: member, time, series */
} fstate;

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

static void reset(void *st)
{
    fstate *s = st;
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

/* The batch's refs into the arrays: a first lowered, a last raised. */
static int drain(shoal_view *v, fstate *s, shoal_err *err)
{
    if (!s->refs.n) return SHOAL_OK;
    if (grow(v, s, s->refs.max)) return nomem(err);
    const shoal_mref *r = shoal_mrefs_sort(&s->refs);
    if (!r) return nomem(err);
    for (size_t j = 0; j < s->refs.n; j++) {
        uint32_t m = r[j].member, c = m / CHUNK, i = r[j].aux;
        int64_t ts = r[j].val;
        int64_t *f = s->t[2 * i], *l = s->t[2 * i + 1];
        if (f && ts < f[m]) f[m] = ts, s->dirty[2 * i][c] = 1;
        if (l && ts > l[m]) l[m] = ts, s->dirty[2 * i + 1][c] = 1;
    }
    shoal_mrefs_clear(&s->refs);
    return SHOAL_OK;
}

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
    MDB_val key, val;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        uint32_t k, c;
        if (key.mv_size == 1 && ((unsigned char *)key.mv_data)[0] == SHOAL_VIEW_HDR) continue;
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
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
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

const shoal_view_kind shoal_view_firstlast = {"firstlast", new_state, free_state, reset, load, apply, flush, compare, NULL};

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
