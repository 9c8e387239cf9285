/* view_score.c — the score kind: per member, an exponentially decayed weighted count,
 * Σ w·2^((t−now)/h) over the member's events. It is kept as raw = Σ w·2^((t−t0)/h)
 * relative to a fixed epoch t0, so an event adds the same amount whenever it arrives
 * (late events count exactly as if on time) and the score at any time is
 * raw·2^((t0−now)/h). When an event would push an exponent past 2^512, t0 moves
 * forward by whole half-lives and every value is multiplied by the matching power of
 * two, which is exact in binary floating point.
 *
 * Table: key [0x00][chunk BE u32] → 1024 doubles (little-endian), members
 * chunk·1024 … chunk·1024+1023; a chunk that is all zero may be absent. Hot state is
 * the whole array in memory; a batch writes the chunks it dirtied, in key order.
 */
#include "shoal_int.h"
#include "caltime.h"

#include <math.h>
#include <stdio.h>

#define CHUNK 1024
#define MAX_EXP 512.0

typedef struct sstate {
    double *raw;
    uint8_t *dirty;   /* per chunk */
    uint32_t n_chunks;
    shoal_mrefs refs; /* the batch's terms not added yet: member, the term's bits */
} sstate;

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    (void)v;
    sstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    *out = s;
    return SHOAL_OK;
}

static void reset(void *st)
{
    sstate *s = st;
    shoal_free(s->raw);
    shoal_free(s->dirty);
    shoal_mrefs_free(&s->refs);
    memset(s, 0, sizeof *s);
}

static void free_state(void *st)
{
    if (!st) return;
    reset(st);
    shoal_free(st);
}

static int grow(sstate *s, uint32_t member)
{
    uint32_t want = member / CHUNK + 1;
    if (want <= s->n_chunks) return 0;
    uint32_t n = s->n_chunks ? s->n_chunks : 16;
    while (n < want) n *= 2;
    double *r = shoal_realloc(s->raw, (size_t)n * CHUNK * sizeof *r);
    if (!r) return -1;
    s->raw = r;
    uint8_t *d = shoal_realloc(s->dirty, n);
    if (!d) return -1;
    s->dirty = d;
    memset(r + (size_t)s->n_chunks * CHUNK, 0, (size_t)(n - s->n_chunks) * CHUNK * sizeof *r);
    memset(d + s->n_chunks, 0, n - s->n_chunks);
    s->n_chunks = n;
    return 0;
}

static int chunk_key(const MDB_val *k, uint32_t *chunk)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != 0) return -1;
    *chunk = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    return 0;
}

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    sstate *s = v->st;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c)) continue;
        if (val.mv_size != CHUNK * sizeof(double)) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a score chunk has a bad size");
        }
        if (grow(s, c * CHUNK + CHUNK - 1)) {
            mdb_cursor_close(cur);
            return nomem(err);
        }
        memcpy(s->raw + (size_t)c * CHUNK, val.mv_data, val.mv_size);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

/* The batch's terms into raw, by member (view_mrefs.c): the array is walked once in
 * order instead of a cache miss per event; a member's terms are added in log order,
 * so each sum is bit for bit the same. */
static int drain(sstate *s, shoal_err *err)
{
    if (!s->refs.n) return SHOAL_OK;
    if (grow(s, s->refs.max)) return nomem(err);
    const shoal_mref *r = shoal_mrefs_sort(&s->refs);
    if (!r) return nomem(err);
    for (size_t i = 0; i < s->refs.n; i++) {
        double t;
        memcpy(&t, &r[i].val, sizeof t);
        s->raw[r[i].member] += t;
        s->dirty[r[i].member / CHUNK] = 1;
    }
    shoal_mrefs_clear(&s->refs);
    return SHOAL_OK;
}

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    sstate *s = v->st;
    double w = 0;
    for (uint32_t i = 0; mask; i++, mask >>= 1)
        if (mask & 1) w += v->def.series[i].weight;
    double h = (double)v->def.half_life_ms;
    if (v->t0 == INT64_MIN) v->t0 = ev->ts - (ev->ts % SHOAL_MS_PER_DAY + SHOAL_MS_PER_DAY) % SHOAL_MS_PER_DAY;
    double e = (double)(ev->ts - v->t0) / h;
    if (e > MAX_EXP) {
        /* Move the epoch forward by whole half-lives: scaling by 2^-k is exact. The
         * terms kept so far are relative to the old epoch: added first. */
        int rc = drain(s, err);
        if (rc) return rc;
        int64_t k = (int64_t)floor(e);
        for (size_t i = 0; i < (size_t)s->n_chunks * CHUNK; i++) s->raw[i] = ldexp(s->raw[i], (int)-k);
        memset(s->dirty, 1, s->n_chunks);
        v->t0 += k * v->def.half_life_ms;
        e = (double)(ev->ts - v->t0) / h;
    }
    double t = w * exp2(e);
    int64_t bits;
    memcpy(&bits, &t, sizeof bits);
    if (shoal_mrefs_push(&s->refs, ev->member, bits, 0)) return nomem(err);
    if (ev->ts > v->max_ts) v->max_ts = ev->ts;
    return SHOAL_OK;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    sstate *s = v->st;
    int rc = drain(s, err);
    if (rc || !txn) return rc;
    for (uint32_t c = 0; c < s->n_chunks; c++) {
        const double *p = s->raw + (size_t)c * CHUNK;
        if (all) {
            int any = 0;
            for (int i = 0; i < CHUNK && !any; i++) any = p[i] != 0;
            if (!any) continue;
        } else if (!s->dirty[c]) {
            continue;
        }
        unsigned char kb[5] = {0, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                               (unsigned char)c};
        MDB_val k = {5, kb}, val = {CHUNK * sizeof(double), (void *)p};
        rc = mdb_put(txn, dbi, &k, &val, 0);
        if (rc) return shoal_store_err(err, rc, "cannot write a score chunk");
        s->dirty[c] = 0;
    }
    return SHOAL_OK;
}

static int same(double a, double b)
{
    if (a == b) return 1;
    double m = fabs(b) > 1e-300 ? fabs(b) : 1e-300;
    return fabs(a - b) <= 1e-12 * m;
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    sstate *s = v->st;
    char msg[256];
    const char *name = v->dbname + 2;
    MDB_cursor *cur;
    int rc = drain(s, err);
    if (rc) return rc;
    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    uint8_t *seen = shoal_malloc(s->n_chunks + 1);
    if (!seen) {
        mdb_cursor_close(cur);
        return nomem(err);
    }
    memset(seen, 0, s->n_chunks + 1);
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (k.mv_size == 1 && ((unsigned char *)k.mv_data)[0] == SHOAL_VIEW_HDR) continue;
        if (chunk_key(&k, &c) || val.mv_size != CHUNK * sizeof(double)) {
            snprintf(msg, sizeof msg, "view \"%s\" has an entry that is not a score chunk", name);
            problem(ctx, msg);
            continue;
        }
        for (uint32_t i = 0; i < CHUNK; i++) {
            double stored;
            memcpy(&stored, (const unsigned char *)val.mv_data + i * sizeof(double), sizeof stored);
            double built = c < s->n_chunks ? s->raw[(size_t)c * CHUNK + i] : 0;
            if (!same(stored, built)) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u has %.17g stored, a rebuild has %.17g", name,
                         c * CHUNK + i, stored, built);
                problem(ctx, msg);
                break;
            }
        }
        if (c < s->n_chunks) seen[c] = 1;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        shoal_free(seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (uint32_t c = 0; c < s->n_chunks; c++) {
        if (seen[c]) continue;
        for (uint32_t i = 0; i < CHUNK; i++)
            if (s->raw[(size_t)c * CHUNK + i] != 0) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u has no stored score, a rebuild has %.17g", name,
                         c * CHUNK + i, s->raw[(size_t)c * CHUNK + i]);
                problem(ctx, msg);
                break;
            }
    }
    shoal_free(seen);
    return SHOAL_OK;
}

const shoal_view_kind shoal_view_score = {"score", new_state, free_state, reset, load, apply, flush, compare, NULL};

/* Members [from, to) without a kept chunk: zeros, a chunk at a time. */
static void zero_runs(shoal_score_fn fn, void *ctx, uint64_t from, uint64_t to)
{
    static const double zeros[CHUNK];
    for (; from < to; from += CHUNK) fn(ctx, (uint32_t)from, zeros, (size_t)(to - from < CHUNK ? to - from : CHUNK), 1);
}

int shoal_view_score_each(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now,
                          int64_t half_life, shoal_score_fn fn, void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    /* The header first: the epoch, and so the factor to now. */
    unsigned char hk = SHOAL_VIEW_HDR;
    MDB_val k = {1, &hk}, val;
    *t0 = INT64_MIN;
    rc = mdb_get(r->txn, dbi, &k, &val);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (!rc && val.mv_size == SHOAL_VIEW_HDR_LEN)
        *t0 = (int64_t)(shoal_be64_get((const unsigned char *)val.mv_data + 9) ^ (1ULL << 63));
    double f = half_life <= 0 ? 1 : *t0 == INT64_MIN ? 0 : exp2((double)(*t0 - now) / (double)half_life);
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    /* Members 0..n_members in order, a chunk at a time. */
    uint64_t next = 0, end = (uint64_t)n_members + 1;   /* [0, next) is done */
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c) || val.mv_size != CHUNK * sizeof(double)) continue;
        uint64_t first = (uint64_t)c * CHUNK;
        if (first >= end) break;
        zero_runs(fn, ctx, next, first);
        size_t n = end - first < CHUNK ? (size_t)(end - first) : CHUNK;
        fn(ctx, (uint32_t)first, val.mv_data, n, f);
        next = first + n;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    zero_runs(fn, ctx, next, end);
    return SHOAL_OK;
}

void shoal_view_score_into(void *ctx, uint32_t first, const double *raw, size_t n, double f)
{
    double *d = (double *)ctx + first;
    memcpy(d, raw, n * sizeof *d);
    if (f != 1)
        for (size_t i = 0; i < n; i++) d[i] *= f;
}

int shoal_view_score_read(shoal_reader *r, const char *name, uint32_t n_members, double *raw, int64_t *t0,
                          int64_t now, int64_t half_life, shoal_err *err)
{
    return shoal_view_score_each(r, name, n_members, t0, now, half_life, shoal_view_score_into, raw, err);
}
