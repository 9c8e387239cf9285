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
 *
 * Hour sums (issue 17): for the last KEEP_HOURS UTC hours up to the latest event's,
 * key [0x01][hour + 2^31 BE u32] → per member with an event that hour, in ascending
 * id, u32 member and f64 Σ w·2^((t − the hour's start)/h) (little-endian; an hour
 * without events has no key). Hour H holds the events in (H, H + 1 h] and starts at
 * H + 1 ms (bucket_of), since a now is inclusive. A score as of an earlier now is raw less the shares of
 * the events from now on: whole hours from here, less than an hour from the log
 * (shoal_view_score_hours). The kept hours are those from hour(latest) − KEEP_HOURS +
 * 1 on, a function of the set of events; a late event of an older hour is in no hour.
 * Key [0x02] marks a table that keeps them: HLAYOUT (u32 LE) and the header's
 * sequence when last written (BE u64), rewritten by every batch; a table without it
 * (made before them) keeps and reads none until `shoal rebuild`, and one whose stamp
 * is not the header's (a shoal that keeps none appended since) has stale hours, which
 * are neither read nor kept nor checked until then.
 *
 * First hours (the score-tail defect, session 15): key [0x03][chunk BE u32] → 1024 u32
 * (little-endian), per member the hour code (hour_code) of the bucket of its earliest
 * event with a share above 0, 0 for none: the earliest instant it can have such an
 * event is that hour's start. A score as of an earlier now is raw less the later
 * events' shares, which rounds: a remainder within 2^-20 of raw cannot tell a share
 * dwarfed by later ones from none, and the reader (exec_views.c) then takes 0 when the
 * member's first hour starts after the cut, and the log's sum otherwise. Key [0x04]
 * marks a table that keeps them, as [0x02] does the hours: FLAYOUT and the header's
 * sequence when last written; without a current mark none are read
 * (shoal_view_score_firsts then says unknown) until `shoal rebuild`.
 *
 * Bounds (issue 17, session 17): key [0x05][chunk BE u32] → CHUNK / BOUND_W f32
 * (little-endian), per BOUND_W members of the chunk the greatest |raw| of its kept
 * chunk rounded up to a float (NaN when one is NaN), so that a reader of cells can
 * tell a run of members all inside a cut's interval without reading their raw sums
 * (exec_views.c to_cells: the tiers at noon read 2.4 MB at 10M events for some 2.6k
 * members above a cut). Written with their chunk from the same raw, so a bound is
 * never below a value of the chunk it sits beside; key [0x06] marks a table that
 * keeps them (BLAYOUT and the header's sequence, rewritten by every batch, as the
 * first hours' [0x04]); without a current mark none are read until `shoal rebuild`.
 * A bound holds for the chunk as stored, whatever the now: the members whose score
 * at now is not raw·f (a tail's) are read on their own.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "shoal_int.h"
#include "caltime.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#define CHUNK 1024
#define MAX_EXP 512.0
#define HOURS 0x01
#define HMARK 0x02
#define KEEP_HOURS 48
#define HLAYOUT (KEEP_HOURS | 1u << 16)   /* the mark's first word: hours of (H, H + 1 h] */
#define MS_HOUR 3600000LL
#define FIRSTS 0x03
#define FMARK 0x04
#define FLAYOUT 1u   /* the first mark's word: u32 hour codes of (H, H + 1 h] buckets */
#define BOUNDS 0x05
#define BMARK 0x06
#define BOUND_W SHOAL_SCORE_BOUND_W
#define BLAYOUT (BOUND_W | 1u << 16)   /* the bound mark's word: f32 rounded up, BOUND_W members each */
#define NB (CHUNK / BOUND_W)

typedef struct hslot {
    int64_t hour;          /* INT64_MIN: empty */
    uint32_t *m;           /* members, ascending */
    double *v;             /* their sums, relative to the hour's start */
    size_t n, cap;
    uint32_t *bm;          /* the batch's, ascending (a member's terms summed) */
    double *bv;
    size_t bn, bcap;
    int dirty, stored;     /* stored: its key is in the table */
} hslot;

typedef struct sstate {
    double *raw;
    uint8_t *dirty;   /* per chunk */
    uint32_t n_chunks;
    shoal_mrefs refs; /* the batch's terms not added yet: member, the term's bits, aux: hour + 1 − 2^31 or 0 */
    int hours;        /* hour sums are kept (HMARK: built, or the table's mark current) */
    hslot hs[KEEP_HOURS];
    int64_t *del;     /* stored hours that fell out of the kept ones: their keys go */
    size_t n_del, cap_del;
    uint32_t *first;  /* per member: the hour code of its earliest event's bucket, 0 none */
    uint8_t *fdirty;  /* per chunk of first */
    int firsts;       /* first hours are kept (FMARK: built, or the table's mark current) */
    int bounds;       /* bounds are kept (BMARK: built, or the table's mark current) */
} sstate;

static int64_t hour_of(int64_t ts) { return ts >= 0 ? ts / MS_HOUR : -((-ts + MS_HOUR - 1) / MS_HOUR); }
/* An hour's sums hold its events after its first instant up to the next hour's,
 * (H, H + 1 h]: a now is inclusive, so the events after a now on the hour (noon) are
 * whole hours. Hour H starts (holds events from) H·1 h + 1 ms. */
static int64_t bucket_of(int64_t ts) { return hour_of(ts - 1); }
static int64_t bucket_start(int64_t hr) { return hr * MS_HOUR + 1; }
static uint32_t hour_code(int64_t hour) { return (uint32_t)(hour + 1 + 2147483648LL); }
static int64_t hour_decode(uint32_t c) { return (int64_t)c - 1 - 2147483648LL; }

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    (void)v;
    sstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    for (int i = 0; i < KEEP_HOURS; i++) s->hs[i].hour = INT64_MIN;
    s->hours = 1;
    s->firsts = 1;
    s->bounds = 1;
    *out = s;
    return SHOAL_OK;
}

static void slot_clear(hslot *h)
{
    shoal_free(h->m);
    shoal_free(h->v);
    shoal_free(h->bm);
    shoal_free(h->bv);
    memset(h, 0, sizeof *h);
    h->hour = INT64_MIN;
}

static void reset(void *st)
{
    sstate *s = st;
    shoal_free(s->raw);
    shoal_free(s->dirty);
    shoal_mrefs_free(&s->refs);
    for (int i = 0; i < KEEP_HOURS; i++) slot_clear(&s->hs[i]);
    shoal_free(s->del);
    shoal_free(s->first);
    shoal_free(s->fdirty);
    memset(s, 0, sizeof *s);
    for (int i = 0; i < KEEP_HOURS; i++) s->hs[i].hour = INT64_MIN;
    s->hours = 1;   /* a state being built keeps them; load reads the table's marks */
    s->firsts = 1;
    s->bounds = 1;
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
    uint32_t *f = shoal_realloc(s->first, (size_t)n * CHUNK * sizeof *f);
    if (!f) return -1;
    s->first = f;
    uint8_t *fd = shoal_realloc(s->fdirty, n);
    if (!fd) return -1;
    s->fdirty = fd;
    memset(r + (size_t)s->n_chunks * CHUNK, 0, (size_t)(n - s->n_chunks) * CHUNK * sizeof *r);
    memset(d + s->n_chunks, 0, n - s->n_chunks);
    memset(f + (size_t)s->n_chunks * CHUNK, 0, (size_t)(n - s->n_chunks) * CHUNK * sizeof *f);
    memset(fd + s->n_chunks, 0, n - s->n_chunks);
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

/* A first-hours chunk's key: 0 with *chunk, or -1 when k is not one. */
static int fchunk_key(const MDB_val *k, uint32_t *chunk)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != FIRSTS) return -1;
    *chunk = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    return 0;
}

static uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* A mark (HMARK: the hour sums, FMARK: the first hours): 1 when the table keeps what
 * it marks and that is current (the mark's stamp is the header's sequence), 0 when
 * not, or an error. */
static int mark_ok(MDB_txn *txn, MDB_dbi dbi, unsigned char k, uint32_t layout, shoal_err *err)
{
    const unsigned char *p;
    int rc = shoal_view_mark_get(txn, dbi, k, 4, &p, err);
    return rc <= 0 ? rc : le32(p) == layout;
}

static int hmark_ok(MDB_txn *txn, MDB_dbi dbi, shoal_err *err) { return mark_ok(txn, dbi, HMARK, HLAYOUT, err); }
static int fmark_ok(MDB_txn *txn, MDB_dbi dbi, shoal_err *err) { return mark_ok(txn, dbi, FMARK, FLAYOUT, err); }
static int bmark_ok(MDB_txn *txn, MDB_dbi dbi, shoal_err *err) { return mark_ok(txn, dbi, BMARK, BLAYOUT, err); }

/* The bounds of a chunk's raw sums (raw: CHUNK values) into b: per BOUND_W members the
 * greatest |raw| rounded up to a float, +inf past the floats, NaN when one is NaN. */
static void chunk_bounds(const double *raw, float b[NB])
{
    for (int g = 0; g < NB; g++) {
        double m = 0;
        int nan = 0;
        for (int i = 0; i < BOUND_W; i++) {
            double a = fabs(raw[g * BOUND_W + i]);
            nan |= a != a;
            if (a > m) m = a;
        }
        float f = m > FLT_MAX ? INFINITY : (float)m;
        if ((double)f < m) f = nextafterf(f, INFINITY);
        b[g] = nan ? NAN : f;
    }
}

static void bound_key(uint32_t c, unsigned char kb[5])
{
    kb[0] = BOUNDS, kb[1] = (unsigned char)(c >> 24), kb[2] = (unsigned char)(c >> 16), kb[3] = (unsigned char)(c >> 8);
    kb[4] = (unsigned char)c;
}

static int mark_put(MDB_txn *txn, MDB_dbi dbi, unsigned char k, uint32_t layout, uint64_t seq, shoal_err *err)
{
    unsigned char b[4] = {layout & 0xFF, (layout >> 8) & 0xFF, (layout >> 16) & 0xFF, layout >> 24};
    return shoal_view_mark_put(txn, dbi, k, b, sizeof b, seq, err);
}

/* The key of an hour's sums; its hour, or INT64_MIN when k is not one. */
static void hour_key(int64_t hour, unsigned char kb[5])
{
    uint32_t c = (uint32_t)(hour + 2147483648LL);
    kb[0] = HOURS, kb[1] = (unsigned char)(c >> 24), kb[2] = (unsigned char)(c >> 16), kb[3] = (unsigned char)(c >> 8);
    kb[4] = (unsigned char)c;
}

static int64_t key_hour(const MDB_val *k)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != HOURS) return INT64_MIN;
    return (int64_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]) - 2147483648LL;
}

/* The first kept hour when the latest event is at max_ts. */
static int64_t hours_low(int64_t max_ts) { return max_ts == INT64_MIN ? INT64_MIN : bucket_of(max_ts) - KEEP_HOURS + 1; }

static int slot_reserve(hslot *h, size_t n)
{
    if (n <= h->cap) return 0;
    size_t c = h->cap ? h->cap : 256;
    while (c < n) c *= 2;
    uint32_t *m = shoal_realloc(h->m, c * sizeof *m);
    if (!m) return -1;
    h->m = m;
    double *v = shoal_realloc(h->v, c * sizeof *v);
    if (!v) return -1;
    h->v = v;
    h->cap = c;
    return 0;
}

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    sstate *s = v->st;
    int hk = hmark_ok(txn, dbi, err);
    if (hk < 0) return hk;
    s->hours = hk;
    int fk = fmark_ok(txn, dbi, err);
    if (fk < 0) return fk;
    s->firsts = fk;
    int bk = bmark_ok(txn, dbi, err);
    if (bk < 0) return bk;
    s->bounds = bk;
    int64_t low = hours_low(v->max_ts);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        int64_t hr = key_hour(&k);
        if (hr != INT64_MIN && s->hours && hr >= low) {
            hslot *h = &s->hs[(uint64_t)hr % KEEP_HOURS];
            size_t n = val.mv_size / 12;
            if (val.mv_size % 12 || h->hour != INT64_MIN) {
                mdb_cursor_close(cur);
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a score's hour sums are damaged (shoal rebuild)");
            }
            if (slot_reserve(h, n)) {
                mdb_cursor_close(cur);
                return nomem(err);
            }
            const unsigned char *p = val.mv_data;
            for (size_t i = 0; i < n; i++, p += 12) {
                h->m[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
                memcpy(&h->v[i], p + 4, 8);
            }
            h->n = n;
            h->hour = hr;
            h->stored = 1;
            continue;
        }
        if (!fchunk_key(&k, &c)) {
            if (!s->firsts) continue;
            if (val.mv_size != CHUNK * sizeof(uint32_t)) {
                mdb_cursor_close(cur);
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a score's first hours are damaged (shoal rebuild)");
            }
            if (grow(s, c * CHUNK + CHUNK - 1)) {
                mdb_cursor_close(cur);
                return nomem(err);
            }
            const unsigned char *p = val.mv_data;
            for (size_t i = 0; i < CHUNK; i++) s->first[(size_t)c * CHUNK + i] = le32(p + 4 * i);
            continue;
        }
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

/* The hours before the kept ones out (their keys to delete when stored). */
static int hours_expire(sstate *s, int64_t low, shoal_err *err)
{
    for (int i = 0; i < KEEP_HOURS; i++) {
        hslot *h = &s->hs[i];
        if (h->hour == INT64_MIN || h->hour >= low) continue;
        if (h->stored) {
            if (s->n_del == s->cap_del) {
                size_t c = s->cap_del ? s->cap_del * 2 : 16;
                int64_t *d = shoal_realloc(s->del, c * sizeof *d);
                if (!d) return nomem(err);
                s->del = d, s->cap_del = c;
            }
            s->del[s->n_del++] = h->hour;
        }
        slot_clear(h);
    }
    return SHOAL_OK;
}

/* Merges a slot's batch list into its sums (both ascending by member). */
static int slot_merge(hslot *h)
{
    if (!h->bn) return 0;
    size_t n = h->n + h->bn;
    uint32_t *m = shoal_malloc((n + 1) * sizeof *m);
    double *v = shoal_malloc((n + 1) * sizeof *v);
    if (!m || !v) {
        shoal_free(m);
        shoal_free(v);
        return -1;
    }
    size_t i = 0, j = 0, o = 0;
    while (i < h->n || j < h->bn) {
        if (j == h->bn || (i < h->n && h->m[i] < h->bm[j])) m[o] = h->m[i], v[o++] = h->v[i++];
        else if (i == h->n || h->bm[j] < h->m[i]) m[o] = h->bm[j], v[o++] = h->bv[j++];
        else m[o] = h->m[i], v[o++] = h->v[i++] + h->bv[j++];
    }
    shoal_free(h->m);
    shoal_free(h->v);
    h->m = m, h->v = v, h->n = o, h->cap = n + 1;
    h->bn = 0;
    h->dirty = 1;
    return 0;
}

/* The batch's terms (sorted by member) into their hours' sums: a term relative to t0
 * times 2^((t0 − the hour's start)/h) is its share relative to the hour. */
static int hours_add(shoal_view *v, const shoal_mref *r, size_t n, shoal_err *err)
{
    sstate *s = v->st;
    int64_t low = hours_low(v->max_ts);
    int rc = hours_expire(s, low, err);
    if (rc) return rc;
    double h = (double)v->def.half_life_ms;
    int64_t fh = INT64_MIN;
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].aux) continue;
        int64_t hr = hour_decode(r[i].aux);
        if (hr < low) continue;
        hslot *sl = &s->hs[(uint64_t)hr % KEEP_HOURS];
        if (sl->hour != hr) {   /* a new hour (the slot's older one expired above) */
            slot_clear(sl);
            sl->hour = hr;
        }
        if (hr != fh) fh = hr, f = exp2((double)(v->t0 - bucket_start(hr)) / h);
        double t;
        memcpy(&t, &r[i].val, sizeof t);
        t *= f;
        uint32_t m = r[i].member;
        if (sl->bn && sl->bm[sl->bn - 1] == m) {
            sl->bv[sl->bn - 1] += t;
            continue;
        }
        if (sl->bn == sl->bcap) {
            size_t c = sl->bcap ? sl->bcap * 2 : 256;
            uint32_t *bm = shoal_realloc(sl->bm, c * sizeof *bm);
            if (!bm) return nomem(err);
            sl->bm = bm;
            double *bv = shoal_realloc(sl->bv, c * sizeof *bv);
            if (!bv) return nomem(err);
            sl->bv = bv, sl->bcap = c;
        }
        sl->bm[sl->bn] = m, sl->bv[sl->bn++] = t;
    }
    for (int i = 0; i < KEEP_HOURS; i++)
        if (s->hs[i].hour != INT64_MIN && slot_merge(&s->hs[i])) return nomem(err);
    return SHOAL_OK;
}

/* The batch's terms into raw, by member (view_mrefs.c): the array is walked once in
 * order instead of a cache miss per event; a member's terms are added in log order,
 * so each sum is bit for bit the same. */
static int drain(shoal_view *v, shoal_err *err)
{
    sstate *s = v->st;
    if (!s->refs.n) return SHOAL_OK;
    if (grow(s, s->refs.max)) return nomem(err);
    const shoal_mref *r = shoal_mrefs_sort(&s->refs);
    if (!r) return nomem(err);
    for (size_t i = 0; i < s->refs.n; i++) {
        double t;
        memcpy(&t, &r[i].val, sizeof t);
        uint32_t m = r[i].member, code = r[i].aux;
        s->raw[m] += t;
        s->dirty[m / CHUNK] = 1;
        /* its earliest hour with a share above 0 (an event's aux is its hour's code) */
        if (s->firsts && t != 0 && code && (!s->first[m] || code < s->first[m])) {
            s->first[m] = code;
            s->fdirty[m / CHUNK] = 1;
        }
    }
    int rc = s->hours ? hours_add(v, r, s->refs.n, err) : SHOAL_OK;
    shoal_mrefs_clear(&s->refs);
    return rc;
}

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    sstate *s = v->st;
    double w = 0;
    for (uint64_t m = mask; m; m &= m - 1) w += v->def.series[__builtin_ctzll(m)].weight;   /* in series order */
    double h = (double)v->def.half_life_ms;
    if (v->t0 == INT64_MIN) v->t0 = ev->ts - (ev->ts % SHOAL_MS_PER_DAY + SHOAL_MS_PER_DAY) % SHOAL_MS_PER_DAY;
    double e = (double)(ev->ts - v->t0) / h;
    if (e > MAX_EXP) {
        /* Move the epoch forward by whole half-lives: scaling by 2^-k is exact. The
         * terms kept so far are relative to the old epoch: added first. */
        int rc = drain(v, err);
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
    if (ev->ts > v->max_ts) v->max_ts = ev->ts;
    /* the event's hour, for the hour sums (which take those of the kept hours) and the
     * first hours */
    uint32_t aux = hour_code(bucket_of(ev->ts));
    if (shoal_mrefs_push(&s->refs, ev->member, bits, aux)) return nomem(err);
    return SHOAL_OK;
}

static int prepare(shoal_view *v, shoal_err *err) { return drain(v, err); }

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    sstate *s = v->st;
    int rc = drain(v, err);
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
        if (s->bounds) {   /* from the same values: a bound is never below its chunk's */
            float b[NB];
            chunk_bounds(p, b);
            bound_key(c, kb);
            MDB_val bv = {sizeof b, b};
            if ((rc = mdb_put(txn, dbi, &k, &bv, 0))) return shoal_store_err(err, rc, "cannot write a score view");
        }
        s->dirty[c] = 0;
    }
    if (s->bounds && (rc = mark_put(txn, dbi, BMARK, BLAYOUT, v->flush_seq, err))) return rc;
    if (s->firsts) {
        unsigned char b[CHUNK * 4];
        for (uint32_t c = 0; c < s->n_chunks; c++) {
            const uint32_t *f = s->first + (size_t)c * CHUNK;
            if (all) {
                int any = 0;
                for (int i = 0; i < CHUNK && !any; i++) any = f[i] != 0;
                if (!any) continue;
            } else if (!s->fdirty[c]) {
                continue;
            }
            for (int i = 0; i < CHUNK; i++)
                b[4 * i] = (unsigned char)f[i], b[4 * i + 1] = (unsigned char)(f[i] >> 8),
                b[4 * i + 2] = (unsigned char)(f[i] >> 16), b[4 * i + 3] = (unsigned char)(f[i] >> 24);
            unsigned char kb[5] = {FIRSTS, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                                   (unsigned char)c};
            MDB_val k = {5, kb}, val = {sizeof b, b};
            if ((rc = mdb_put(txn, dbi, &k, &val, 0))) return shoal_store_err(err, rc, "cannot write a score view");
            s->fdirty[c] = 0;
        }
        if ((rc = mark_put(txn, dbi, FMARK, FLAYOUT, v->flush_seq, err))) return rc;
    }
    if (!s->hours) return SHOAL_OK;
    if ((rc = hours_expire(s, hours_low(v->max_ts), err))) return rc;
    for (size_t i = 0; i < s->n_del; i++) {
        unsigned char kb[5];
        hour_key(s->del[i], kb);
        MDB_val k = {5, kb};
        if ((rc = mdb_del(txn, dbi, &k, NULL)) && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot write a score view");
    }
    s->n_del = 0;
    /* in key order: the kept hours ascending */
    int64_t low = hours_low(v->max_ts);
    for (int64_t hr = low; low != INT64_MIN && hr < low + KEEP_HOURS; hr++) {
        hslot *h = &s->hs[(uint64_t)hr % KEEP_HOURS];
        if (h->hour != hr || !h->n || (!all && !h->dirty)) continue;
        unsigned char *b = shoal_malloc(h->n * 12), kb[5];
        if (!b) return nomem(err);
        for (size_t i = 0; i < h->n; i++) {
            unsigned char *p = b + i * 12;
            p[0] = (unsigned char)h->m[i], p[1] = (unsigned char)(h->m[i] >> 8), p[2] = (unsigned char)(h->m[i] >> 16);
            p[3] = (unsigned char)(h->m[i] >> 24);
            memcpy(p + 4, &h->v[i], 8);
        }
        hour_key(hr, kb);
        MDB_val k = {5, kb}, val = {h->n * 12, b};
        rc = mdb_put(txn, dbi, &k, &val, 0);
        shoal_free(b);
        if (rc) return shoal_store_err(err, rc, "cannot write a score view");
        h->dirty = 0;
        h->stored = 1;
    }
    /* stamped with this batch's sequence: every batch, since a batch appended by a
     * shoal that keeps no hours leaves the stamp behind */
    return mark_put(txn, dbi, HMARK, HLAYOUT, v->flush_seq, err);
}

static int same(double a, double b)
{
    if (a == b) return 1;
    double m = fabs(b) > 1e-300 ? fabs(b) : 1e-300;
    return fabs(a - b) <= 1e-12 * m;
}

static int check_bounds(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                        shoal_err *err);

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    sstate *s = v->st;
    char msg[256];
    const char *name = v->dbname + 2;
    MDB_cursor *cur;
    int rc = drain(v, err);
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
    int hk = hmark_ok(txn, dbi, err);
    if (hk < 0) {
        mdb_cursor_close(cur);
        shoal_free(seen);
        return hk;
    }
    int fk = fmark_ok(txn, dbi, err);
    if (fk < 0) {
        mdb_cursor_close(cur);
        shoal_free(seen);
        return fk;
    }
    uint8_t *fseen = shoal_malloc(s->n_chunks + 1);
    if (!fseen) {
        mdb_cursor_close(cur);
        shoal_free(seen);
        return nomem(err);
    }
    memset(fseen, 0, s->n_chunks + 1);
    int64_t low = hours_low(v->max_ts);
    uint8_t hseen[KEEP_HOURS] = {0};
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (k.mv_size == 1 && ((unsigned char *)k.mv_data)[0] == SHOAL_VIEW_HDR) continue;
        if (k.mv_size == 1 && (((unsigned char *)k.mv_data)[0] == HMARK || ((unsigned char *)k.mv_data)[0] == FMARK ||
                               ((unsigned char *)k.mv_data)[0] == BMARK))
            continue;
        if (k.mv_size == 5 && ((unsigned char *)k.mv_data)[0] == BOUNDS) continue;   /* (check_bounds) */
        if (!fchunk_key(&k, &c)) {
            if (!fk) continue;   /* stale or not kept: neither read nor checked */
            int ok = val.mv_size == CHUNK * sizeof(uint32_t);
            for (uint32_t i = 0; ok && i < CHUNK; i++) {
                uint32_t stored = le32((const unsigned char *)val.mv_data + 4 * i),
                         built = c < s->n_chunks ? s->first[(size_t)c * CHUNK + i] : 0;
                if (stored != built) {
                    snprintf(msg, sizeof msg, "view \"%s\": member id %u has first hour %lld stored, a rebuild has %lld",
                             name, c * CHUNK + i, stored ? (long long)hour_decode(stored) : -1LL,
                             built ? (long long)hour_decode(built) : -1LL);
                    problem(ctx, msg);
                    ok = 1;
                    break;
                }
            }
            if (!ok) {
                snprintf(msg, sizeof msg, "view \"%s\": a first-hours chunk has a bad size", name);
                problem(ctx, msg);
            }
            if (c < s->n_chunks) fseen[c] = 1;
            continue;
        }
        int64_t hr = key_hour(&k);
        if (hr != INT64_MIN) {
            if (!hk) continue;   /* stale or not kept: neither read nor checked */
            const hslot *h = &s->hs[(uint64_t)hr % KEEP_HOURS];
            int ok = hr >= low && hr < low + KEEP_HOURS && h->hour == hr && val.mv_size == h->n * 12;
            for (size_t i = 0; ok && i < h->n; i++) {
                const unsigned char *q = (const unsigned char *)val.mv_data + i * 12;
                uint32_t m = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
                double d;
                memcpy(&d, q + 4, 8);
                ok = m == h->m[i] && same(d, h->v[i]);
            }
            if (!ok) {
                snprintf(msg, sizeof msg, "view \"%s\": the hour sums of hour %lld differ from a rebuild's", name,
                         (long long)hr);
                problem(ctx, msg);
            }
            if (hr >= low && hr < low + KEEP_HOURS) hseen[hr - low] = 1;
            continue;
        }
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
        shoal_free(fseen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (uint32_t c = 0; fk && c < s->n_chunks; c++) {
        if (fseen[c]) continue;
        for (uint32_t i = 0; i < CHUNK; i++)
            if (s->first[(size_t)c * CHUNK + i] != 0) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u has no stored first hour, a rebuild has %lld", name,
                         c * CHUNK + i, (long long)hour_decode(s->first[(size_t)c * CHUNK + i]));
                problem(ctx, msg);
                break;
            }
    }
    shoal_free(fseen);
    for (int64_t hr = low; hk && low != INT64_MIN && hr < low + KEEP_HOURS; hr++) {
        const hslot *h = &s->hs[(uint64_t)hr % KEEP_HOURS];
        if (h->hour == hr && h->n && !hseen[hr - low]) {
            snprintf(msg, sizeof msg, "view \"%s\": hour %lld has no stored sums, a rebuild has %zu", name,
                     (long long)hr, h->n);
            problem(ctx, msg);
        }
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
    int bk = bmark_ok(txn, dbi, err);   /* stale or not kept: neither read nor checked */
    if (bk <= 0) return bk;
    return check_bounds(v, txn, dbi, problem, ctx, err);
}

/* The bounds against the chunks they sit beside, as stored (a reader skips the
 * members a bound says are inside a cut's interval: one below a value of its chunk
 * is a wrong answer, so each must be exactly what chunk_bounds makes of the stored
 * chunk), every stored chunk with its bounds and none without a chunk. */
static int check_bounds(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                        shoal_err *err)
{
    char msg[256];
    const char *name = v->dbname + 2;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val k, val;
    unsigned char kb[5];
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *p = k.mv_data;
        uint32_t c;
        int bound = k.mv_size == 5 && p[0] == BOUNDS;
        if (!bound && (chunk_key(&k, &c) || val.mv_size != CHUNK * sizeof(double))) continue;
        if (bound) c = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        MDB_val ok = {5, kb}, ov;   /* the other one: the chunk's bounds, or the bounds' chunk */
        if (bound) kb[0] = 0, kb[1] = p[1], kb[2] = p[2], kb[3] = p[3], kb[4] = p[4];
        else bound_key(c, kb);
        int orc = mdb_get(txn, dbi, &ok, &ov);
        if (orc && orc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return shoal_store_err(err, orc, "cannot read a view's table");
        }
        if (orc) {
            snprintf(msg, sizeof msg, bound ? "view \"%s\": chunk %u has bounds and no raw sums stored"
                                            : "view \"%s\": chunk %u has no stored bounds",
                     name, c);
            problem(ctx, msg);
            continue;
        }
        if (!bound) continue;   /* (the pair is compared from the bounds' side) */
        if (val.mv_size != NB * sizeof(float) || ov.mv_size != CHUNK * sizeof(double)) {
            snprintf(msg, sizeof msg, "view \"%s\": the bounds of chunk %u have a bad size", name, c);
            problem(ctx, msg);
            continue;
        }
        double raw[CHUNK];
        float want[NB], have[NB];
        memcpy(raw, ov.mv_data, sizeof raw);
        memcpy(have, val.mv_data, sizeof have);
        chunk_bounds(raw, want);
        for (int g = 0; g < NB; g++)
            if (memcmp(&want[g], &have[g], sizeof(float)) && !(want[g] != want[g] && have[g] != have[g])) {
                snprintf(msg, sizeof msg, "view \"%s\": members %u..%u have bound %.9g stored, their raw sums make %.9g",
                         name, c * CHUNK + g * BOUND_W, c * CHUNK + g * BOUND_W + BOUND_W - 1, (double)have[g],
                         (double)want[g]);
                problem(ctx, msg);
                break;
            }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

/* The parts a table made before them, or appended to by a shoal that does not keep
 * them, has no current mark for: each is kept only while its mark is current. */
static int lacks(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, char *what, size_t n, shoal_err *err)
{
    (void)v;
    static const char *const part[3] = {"the last 48 hours' sums (a now in them reads the log's tail instead)",
                                        "its members' first hours",
                                        "its members' bounds (a cut on the score reads every member's)"};
    int (*const ok[3])(MDB_txn *, MDB_dbi, shoal_err *) = {hmark_ok, fmark_ok, bmark_ok};
    size_t at = 0;
    what[0] = 0;
    for (int i = 0; i < 3; i++) {
        int k = ok[i](txn, dbi, err);
        if (k < 0) return k;
        if (!k && at < n)
            at += (size_t)snprintf(what + at, n - at, "%s%s", at ? "; " : "", part[i]);
    }
    return at > 0;
}

const shoal_view_kind shoal_view_score = {"score", new_state, free_state, reset, load, apply, flush, compare, NULL, prepare, NULL,
                                          lacks};

/* Members [from, to) without a kept chunk: zeros, a chunk at a time. */
static void zero_runs(shoal_score_fn fn, shoal_score_bound_fn bfn, void *ctx, uint64_t from, uint64_t to)
{
    static const double zeros[CHUNK];
    for (; from < to; from += CHUNK) {
        size_t n = (size_t)(to - from < CHUNK ? to - from : CHUNK);
        if (bfn) bfn(ctx, (uint32_t)from, zeros, NULL, n, 1);
        else fn(ctx, (uint32_t)from, zeros, n, 1);
    }
}

/* The epoch t0 from the header (INT64_MIN: an empty view). */
static int read_t0(MDB_txn *txn, MDB_dbi dbi, int64_t *t0, shoal_err *err)
{
    unsigned char hk = SHOAL_VIEW_HDR;
    MDB_val k = {1, &hk}, val;
    *t0 = INT64_MIN;
    int rc = mdb_get(txn, dbi, &k, &val);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (!rc && val.mv_size == SHOAL_VIEW_HDR_LEN)
        *t0 = (int64_t)(shoal_be64_get((const unsigned char *)val.mv_data + 9) ^ (1ULL << 63));
    return SHOAL_OK;
}

int shoal_view_score_t0(shoal_reader *r, const char *name, int64_t *t0, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    return rc ? rc : read_t0(r->txn, dbi, t0, err);
}

/* shoal_view_score_each and _bounded: with bfn, each kept chunk's bounds beside it,
 * walked by a second cursor in step with the chunks' (both in chunk order). */
static int each(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now, int64_t half_life,
                shoal_score_fn fn, shoal_score_bound_fn bfn, void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    /* The header first: the epoch, and so the factor to now. */
    MDB_val k, val, bk, bv;
    if ((rc = read_t0(r->txn, dbi, t0, err))) return rc;
    double f = half_life <= 0 ? 1 : *t0 == INT64_MIN ? 0 : exp2((double)(*t0 - now) / (double)half_life);
    MDB_cursor *cur, *bcur = NULL;
    int brc = MDB_NOTFOUND;   /* the bound cursor's state: 0 on a key */
    if (bfn) {
        int ok = bmark_ok(r->txn, dbi, err);
        if (ok < 0) return ok;
        if (ok) {
            if ((rc = mdb_cursor_open(r->txn, dbi, &bcur))) return shoal_store_err(err, rc, "cannot read a view's table");
            unsigned char kb[5];
            bound_key(0, kb);
            bk.mv_size = 5, bk.mv_data = kb;
            brc = mdb_cursor_get(bcur, &bk, &bv, MDB_SET_RANGE);
        }
    }
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) {
        if (bcur) mdb_cursor_close(bcur);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    /* Members 0..n_members in order, a chunk at a time. */
    uint64_t next = 0, end = (uint64_t)n_members + 1;   /* [0, next) is done */
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (((const unsigned char *)k.mv_data)[0] != 0) {   /* (the chunks' keys sort first) */
            rc = MDB_NOTFOUND;
            break;
        }
        if (chunk_key(&k, &c) || val.mv_size != CHUNK * sizeof(double)) continue;
        uint64_t first = (uint64_t)c * CHUNK;
        if (first >= end) break;
        zero_runs(fn, bfn, ctx, next, first);
        size_t n = end - first < CHUNK ? (size_t)(end - first) : CHUNK;
        if (bfn) {
            const void *b = NULL;
            for (; brc == 0; brc = mdb_cursor_get(bcur, &bk, &bv, MDB_NEXT)) {
                const unsigned char *p = bk.mv_data;
                if (bk.mv_size != 5 || p[0] != BOUNDS) {
                    brc = MDB_NOTFOUND;
                    break;
                }
                uint32_t bc = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
                if (bc < c) continue;
                if (bc == c && bv.mv_size == NB * sizeof(float)) b = bv.mv_data;
                break;
            }
            if (brc && brc != MDB_NOTFOUND) {
                rc = brc;
                break;
            }
            bfn(ctx, (uint32_t)first, val.mv_data, b, n, f);
        } else {
            fn(ctx, (uint32_t)first, val.mv_data, n, f);
        }
        next = first + n;
    }
    mdb_cursor_close(cur);
    if (bcur) mdb_cursor_close(bcur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    zero_runs(fn, bfn, ctx, next, end);
    return SHOAL_OK;
}

int shoal_view_score_each(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now,
                          int64_t half_life, shoal_score_fn fn, void *ctx, shoal_err *err)
{
    return each(r, name, n_members, t0, now, half_life, fn, NULL, ctx, err);
}

int shoal_view_score_bounded(shoal_reader *r, const char *name, uint32_t n_members, int64_t *t0, int64_t now,
                             int64_t half_life, shoal_score_bound_fn fn, void *ctx, shoal_err *err)
{
    return each(r, name, n_members, t0, now, half_life, NULL, fn, ctx, err);
}

void shoal_view_score_into(void *ctx, uint32_t first, const double *raw, size_t n, double f)
{
    double *d = (double *)ctx + first;
    /* one pass (a copy, then a pass over the copy, was 15-25% of the top 100 by
     * engagement at 10M events, its share by the link's layout) */
    if (f == 1) {
        memcpy(d, raw, n * sizeof *d);
        return;
    }
    size_t i = 0;
#ifdef __SSE2__
    /* eight at a time (the compiler's loop was a member at a time: 1.8M instructions a
     * statement of the top 100 by engagement) */
    const __m128d vf = _mm_set1_pd(f);
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_pd(d + i, _mm_mul_pd(_mm_loadu_pd(raw + i), vf));
        _mm_storeu_pd(d + i + 2, _mm_mul_pd(_mm_loadu_pd(raw + i + 2), vf));
        _mm_storeu_pd(d + i + 4, _mm_mul_pd(_mm_loadu_pd(raw + i + 4), vf));
        _mm_storeu_pd(d + i + 6, _mm_mul_pd(_mm_loadu_pd(raw + i + 6), vf));
    }
#endif
    for (; i < n; i++) d[i] = raw[i] * f;
}

int shoal_view_score_read(shoal_reader *r, const char *name, uint32_t n_members, double *raw, int64_t *t0,
                          int64_t now, int64_t half_life, shoal_err *err)
{
    return shoal_view_score_each(r, name, n_members, t0, now, half_life, shoal_view_score_into, raw, err);
}

int shoal_view_score_hours(shoal_reader *r, const char *name, int64_t from, int64_t *log_lo, int64_t *log_hi,
                           int *add, shoal_score_hour_fn fn, void *ctx, shoal_err *err)
{
    *log_lo = from, *log_hi = INT64_MAX, *add = 0;
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    unsigned char hk = SHOAL_VIEW_HDR;
    MDB_val k = {1, &hk}, val;
    rc = mdb_get(r->txn, dbi, &k, &val);
    if (rc == MDB_NOTFOUND) return SHOAL_OK;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    if (val.mv_size != SHOAL_VIEW_HDR_LEN) return SHOAL_OK;
    int64_t max_ts = (int64_t)(shoal_be64_get((const unsigned char *)val.mv_data + 17) ^ (1ULL << 63));
    if ((rc = hmark_ok(r->txn, dbi, err)) <= 0) return rc;
    /* the hour boundary nearest from: the log then reads less than half an hour */
    int64_t low = hours_low(max_ts), hr = bucket_of(from);
    if (from - bucket_start(hr) > MS_HOUR / 2 || hr < low) hr++;
    if (low == INT64_MIN || hr < low) return SHOAL_OK;   /* older than the kept hours: the log */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[5];
    hour_key(hr, kb);
    k.mv_size = 5, k.mv_data = kb;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        int64_t h = key_hour(&k);
        if (h == INT64_MIN) break;
        if (val.mv_size % 12) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": an hour's sums are damaged (shoal rebuild)",
                                 name);
        }
        fn(ctx, bucket_start(h), val.mv_data, val.mv_size / 12);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if (bucket_start(hr) <= from) *log_lo = bucket_start(hr), *log_hi = from, *add = 1;
    else *log_lo = from, *log_hi = bucket_start(hr);
    return SHOAL_OK;
}

int shoal_view_score_firsts(shoal_reader *r, const char *name, const uint32_t *m, size_t n, int64_t *from, shoal_err *err)
{
    for (size_t i = 0; i < n; i++) from[i] = INT64_MIN;
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    if ((rc = fmark_ok(r->txn, dbi, err)) <= 0) return rc;   /* not kept: unknown */
    int64_t have = -1;   /* the chunk in val */
    MDB_val val = {0, NULL};
    for (size_t i = 0; i < n; i++) {
        int64_t c = m[i] / CHUNK;
        if (c != have) {
            unsigned char kb[5] = {FIRSTS, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                                   (unsigned char)c};
            MDB_val k = {5, kb};
            rc = mdb_get(r->txn, dbi, &k, &val);
            if (rc == MDB_NOTFOUND) val.mv_size = 0;
            else if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
            else if (val.mv_size != CHUNK * sizeof(uint32_t))
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": a first-hours chunk is damaged (shoal rebuild)",
                                     name);
            have = c;
        }
        uint32_t code = val.mv_size ? le32((const unsigned char *)val.mv_data + 4 * (m[i] % CHUNK)) : 0;
        from[i] = code ? bucket_start(hour_decode(code)) : INT64_MAX;
    }
    return SHOAL_OK;
}
