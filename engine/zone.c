/* zone.c — the log's zone map: for each block of SHOAL_ZONE_BLOCK records, the earliest
 * and latest event time in it and which stretches of that span hold events, in the
 * table "zones" (big-endian block number → 25 bytes), written in the same write
 * transaction as the block's records.
 *
 * A scan restricted to time ranges asks shoal_zone_skip where the next block that can
 * hold a matching event starts, and jumps there. Events arrive mostly in time order, so
 * blocks span narrow, ordered stretches of time; a late event widens its block's span,
 * which only makes that block scanned more often, never wrongly skipped. A block with
 * no entry (a database written before zones existed, until a writable open builds
 * them) is never skipped. shoal_db_check recomputes the map from the log.
 *
 * The occupancy bitmap. A span alone is a poor guide once late events come: on
 * `shoal gen` data a range 1 ms wide at a window's edge met 17 blocks, the one that
 * holds that millisecond and 16 later ones whose late events, days older, stretch their
 * spans across it. So each entry also cuts its span into 64 slots and keeps a bit per
 * slot that holds an event; a range that meets the span but only empty slots skips the
 * block too. The slots are placed canonically, from the block's set of times alone, so
 * that an entry kept up batch by batch is byte for byte the one recomputed from the log
 * (check compares them): with u the time as an unsigned in the same order (sign bit
 * flipped), slots are 2^k ms wide for the smallest k with (umax >> k) - (umin >> k) <
 * 64, and u sits in slot (u >> k) - (umin >> k). Being aligned to multiples of 2^k, not
 * to min, a slot at width 2^k is whole inside one at any wider width: a wider span re-maps
 * the bits exactly (remap), without the times.
 *
 * Value: BE i64 min, BE i64 max, BE u64 bits, u8 k. A 16-byte value (min and max) was
 * written before the bitmap: every slot counts as occupied, and a batch that continues
 * its block keeps it at 16 bytes, since nothing tells the slots of its older events; a
 * writable open that finds the map in that form rebuilds it (shoal_zone_legacy).
 *
 * The fine list (table "zfine", format 4). 64 slots over a span stretched by late
 * events are hours wide: on `shoal gen` data (2% of events up to days late, some 80 in
 * every block) a range of a few hours at a window's edge still met every block whose
 * late events fell near it, 14 blocks of 4096 records for a range that held none. So
 * each block also keeps the sorted, distinct granules of its times: g = u >> s for the
 * smallest s >= ZF_S0 (2^10 ms) at which there are at most ZF_CAP (256) of them. A
 * block's in-order events then take a granule every 2^s ms of its stretch and each
 * late event one of its own, so a range meets the block only when an event lies within
 * a granule of it (2^17 ms, about two minutes, on that data). Like the slots, the
 * granules depend only on the block's set of times (coarsening is monotone, so the s
 * of a union is found from the larger of the parts' and the merged list), so the
 * append keeps them up batch by batch and check compares them byte for byte. Value:
 * u8 s, varint n, varint first granule, then n - 1 varint deltas (each >= 1). A block
 * without a fine entry (a map from before them, until a writable open builds them; a
 * damaged one) is judged by its slots alone.
 */
#include "shoal_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct shoal_zacc {
    uint64_t first_block, first_seq;
    size_t n;
    shoal_zone *zones;
    /* the batch's times as granules at ZF_S0 and their blocks (index into zones), in
     * sequence order, so that a block's are together */
    uint64_t *g;
    uint32_t *gb;
    size_t ng, cap;
};

static const shoal_zone empty = {INT64_MAX, INT64_MIN, 0, 0, true};

#define ZF_S0 10    /* the finest granule: 2^10 ms */
#define ZF_CAP 256  /* at most this many granules a block */

static uint64_t flip(int64_t ts) { return (uint64_t)ts ^ (1ULL << 63); }

/* z's bits on slots of 2^k ms from absolute slot base, for k >= z->k and a span that
 * holds z's. */
static uint64_t remap(const shoal_zone *z, unsigned k, uint64_t base)
{
    uint64_t old = flip(z->min) >> z->k, out = 0;
    unsigned d = k - z->k;
    if (d == 0) return z->bits << (old - base);
    for (uint64_t b = z->bits; b; b &= b - 1) out |= 1ULL << (((old + (uint64_t)__builtin_ctzll(b)) >> d) - base);
    return out;
}

/* a becomes the entry of the events of a and b together (both exact, b not empty). */
static void merge(shoal_zone *a, const shoal_zone *b)
{
    if (a->min > a->max) {
        *a = *b;
        return;
    }
    int64_t min = a->min < b->min ? a->min : b->min, max = a->max > b->max ? a->max : b->max;
    uint64_t umin = flip(min), umax = flip(max);
    /* A span that holds another never has narrower slots, so the search starts there. */
    unsigned k = a->k > b->k ? a->k : b->k;
    while ((umax >> k) - (umin >> k) >= 64) k++;
    a->bits = remap(a, k, umin >> k) | remap(b, k, umin >> k);
    a->min = min;
    a->max = max;
    a->k = k;
}

/* Adds an event at ts to e (exact). Once a block's first few events have set its
 * width, almost every event lands at or after min within the 64 slots: one bit, at
 * ingest's pace. Only a late event or a span outgrowing its slots re-maps. */
static inline void note(shoal_zone *e, int64_t ts)
{
    uint64_t s = (flip(ts) >> e->k) - (flip(e->min) >> e->k);
    if (ts >= e->min && s < 64) {
        e->bits |= 1ULL << s;
        if (ts > e->max) e->max = ts;
        return;
    }
    shoal_zone one = {ts, ts, 1, 0, true};
    merge(e, &one);
}

/* Whether a stored entry can be believed: a span, and for an exact one slots that fit
 * it. A damaged entry is left as it is, its block scanned, for check to report. */
static bool sane(const shoal_zone *z)
{
    if (z->min > z->max) return false;
    if (!z->exact) return true;
    if (z->k > 63) return false;
    uint64_t w = (flip(z->max) >> z->k) - (flip(z->min) >> z->k);
    return w < 64 && !(z->bits >> w >> 1);
}

/* Whether z (sane) may hold an event in [lo, hi). */
static bool meets(const shoal_zone *z, int64_t lo, int64_t hi)
{
    if (z->max < lo || z->min >= hi) return false;
    if (!z->exact) return true;
    int64_t a = lo > z->min ? lo : z->min, b = hi - 1 < z->max ? hi - 1 : z->max;
    if (a > b) return false;   /* [lo, hi) is empty */
    uint64_t base = flip(z->min) >> z->k, sa = (flip(a) >> z->k) - base, sb = (flip(b) >> z->k) - base;
    return (z->bits >> sa) & (UINT64_MAX >> (63 - (sb - sa)));
}


/* ---------------------------------------------------------------- the fine list */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* g[0..n) sorted, duplicates dropped; the new n. */
static size_t uniq(uint64_t *g, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || g[m - 1] != g[i]) g[m++] = g[i];
    return m;
}

/* Sorted distinct granules at shift *s coarsened until at most ZF_CAP: the new n. */
static size_t zf_canon(uint64_t *g, size_t n, unsigned *s)
{
    while (n > ZF_CAP) {
        for (size_t i = 0; i < n; i++) g[i] >>= 1;
        n = uniq(g, n);
        (*s)++;
    }
    return n;
}

#define ZF_MAX (2 + 10 + 10 * ZF_CAP)

static size_t zf_encode(unsigned char *out, unsigned s, const uint64_t *g, size_t n)
{
    size_t o = 0;
    out[o++] = (unsigned char)s;
    o += shoal_varint_put(out + o, n);
    for (size_t i = 0; i < n; i++) o += shoal_varint_put(out + o, i ? g[i] - g[i - 1] : g[0]);
    return o;
}

/* A stored fine entry into s and g (room for ZF_CAP): its n, or -1 when it cannot be
 * believed (then the block is judged by its slots, and check reports it). */
static long zf_decode(const MDB_val *v, unsigned *s, uint64_t *g)
{
    const unsigned char *p = v->mv_data, *end = p + v->mv_size;
    uint64_t n, x, prev = 0;
    size_t k;
    if (v->mv_size < 2 || (*s = p[0]) > 63) return -1;
    p++;
    if (!(k = shoal_varint_get(p, end, &n)) || n == 0 || n > ZF_CAP) return -1;
    p += k;
    for (uint64_t i = 0; i < n; i++) {
        if (!(k = shoal_varint_get(p, end, &x)) || (i && (x == 0 || prev + x < prev))) return -1;
        p += k;
        g[i] = prev = i ? prev + x : x;
    }
    return p == end ? (long)n : -1;
}

/* Whether the fine entry v may hold an event in one of the n ranges: 1 when it may
 * (or cannot be believed), 0 when no granule meets one. */
static int zf_meets(const MDB_val *v, const int64_t *ranges, int n)
{
    unsigned s;
    uint64_t g[ZF_CAP];
    long m = zf_decode(v, &s, g);
    if (m < 0) return 1;
    for (int i = 0; i < n; i++) {
        int64_t lo = ranges[2 * i], hi = ranges[2 * i + 1];
        if (lo >= hi) continue;
        uint64_t a = flip(lo) >> s, b = flip(hi - 1) >> s;
        /* the first granule at or after a: a hit when it is at most b */
        long l = 0, r = m;
        while (l < r) {
            long mid = (l + r) / 2;
            if (g[mid] < a) l = mid + 1;
            else r = mid;
        }
        if (l < m && g[l] <= b) return 1;
    }
    return 0;
}

/* The fine entry of the sorted distinct granules g[0..n) at ZF_S0 (g is coarsened in
 * place) into out: its size. */
static size_t zf_make(unsigned char *out, uint64_t *g, size_t n)
{
    unsigned s = ZF_S0;
    n = zf_canon(g, n, &s);
    return zf_encode(out, s, g, n);
}

static size_t encode(unsigned char v[25], const shoal_zone *z)
{
    shoal_be64_put(v, (uint64_t)z->min);
    shoal_be64_put(v + 8, (uint64_t)z->max);
    if (!z->exact) return 16;
    shoal_be64_put(v + 16, z->bits);
    v[24] = (unsigned char)z->k;
    return 25;
}

int shoal_zone_legacy(shoal_db *db, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(txn, db->dbi_zones, &cur)) return 0;
    int old = mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 && v.mv_size == 16;
    mdb_cursor_close(cur);
    return old;
}

int shoal_zone_decode(const MDB_val *v, shoal_zone *z)
{
    if (v->mv_size != 16 && v->mv_size != 25) return -1;
    const unsigned char *p = v->mv_data;
    z->min = (int64_t)shoal_be64_get(p);
    z->max = (int64_t)shoal_be64_get(p + 8);
    z->exact = v->mv_size == 25;
    z->bits = z->exact ? shoal_be64_get(p + 16) : UINT64_MAX;
    z->k = z->exact ? p[24] : 0;
    return 0;
}

int shoal_zacc_new(uint64_t first_seq, size_t n_records, shoal_zacc **out)
{
    shoal_zacc *z = shoal_malloc(sizeof *z);
    if (!z) return SHOAL_ENOMEM;
    memset(z, 0, sizeof *z);
    z->first_block = (first_seq - 1) / SHOAL_ZONE_BLOCK;
    z->first_seq = first_seq;
    z->n = n_records / SHOAL_ZONE_BLOCK + 2;
    z->cap = n_records + 1;
    z->zones = shoal_malloc(z->n * sizeof *z->zones);
    z->g = shoal_malloc(z->cap * sizeof *z->g);
    z->gb = shoal_malloc(z->cap * sizeof *z->gb);
    if (!z->zones || !z->g || !z->gb) {
        shoal_zacc_free(z);
        return SHOAL_ENOMEM;
    }
    for (size_t i = 0; i < z->n; i++) z->zones[i] = empty;
    *out = z;
    return SHOAL_OK;
}

void shoal_zacc_free(shoal_zacc *z)
{
    if (!z) return;
    shoal_free(z->zones);
    shoal_free(z->g);
    shoal_free(z->gb);
    shoal_free(z);
}

void shoal_zacc_note(shoal_zacc *z, uint64_t seq, int64_t ts)
{
    size_t i = (size_t)((seq - 1) / SHOAL_ZONE_BLOCK - z->first_block);
    if (i >= z->n) return;   /* cannot happen: sized for the batch */
    note(&z->zones[i], ts);
    if (z->ng < z->cap) {
        z->g[z->ng] = flip(ts) >> ZF_S0;
        z->gb[z->ng++] = (uint32_t)i;
    }
}

/* The fine entry of block b (zacc index i) with the batch's granules g[0..n) at ZF_S0
 * (sorted in place): merged with the stored one when the block began before the batch.
 * A block begun before whose stored entry is missing or cannot be believed keeps what
 * it has (judged by its slots; check reports a damaged one). */
static int zf_flush_block(shoal_db *db, MDB_txn *txn, shoal_zacc *z, uint64_t b, uint64_t *g, size_t n, shoal_err *err)
{
    unsigned char kb[8], vb[ZF_MAX];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v;
    qsort(g, n, sizeof *g, cmp_u64);
    n = uniq(g, n);
    unsigned s = ZF_S0;
    uint64_t *all = NULL;
    if (b * SHOAL_ZONE_BLOCK + 1 < z->first_seq) {
        int rc = mdb_get(txn, db->dbi_zfine, &k, &v);
        if (rc == MDB_NOTFOUND) return SHOAL_OK;
        if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
        uint64_t old[ZF_CAP];
        unsigned so;
        long m = zf_decode(&v, &so, old);
        if (m < 0) return SHOAL_OK;
        s = so > ZF_S0 ? so : ZF_S0;
        for (size_t i = 0; i < n; i++) g[i] >>= s - ZF_S0;
        n = uniq(g, n);
        if (!(all = shoal_malloc((n + (size_t)m) * sizeof *all))) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        size_t i = 0, j = 0, o = 0;
        while (i < n || j < (size_t)m) {
            uint64_t x = j >= (size_t)m || (i < n && g[i] < old[j]) ? g[i++] : old[j++];
            if (!o || all[o - 1] != x) all[o++] = x;
        }
        g = all;
        n = o;
    }
    n = zf_canon(g, n, &s);
    v.mv_size = zf_encode(vb, s, g, n);
    v.mv_data = vb;
    shoal_free(all);
    int rc = mdb_put(txn, db->dbi_zfine, &k, &v, 0);
    return rc ? shoal_store_err(err, rc, "cannot write the zone map") : SHOAL_OK;
}

int shoal_zacc_flush(shoal_db *db, MDB_txn *txn, shoal_zacc *z, shoal_err *err)
{
    for (size_t i = 0; i < z->n; i++) {
        shoal_zone e = z->zones[i], old;
        if (e.min > e.max) continue;
        unsigned char kb[8], vb[25];
        shoal_be64_put(kb, z->first_block + i);
        MDB_val k = {8, kb}, v;
        int rc = mdb_get(txn, db->dbi_zones, &k, &v);
        if (rc == 0) {
            if (shoal_zone_decode(&v, &old) || !sane(&old)) continue;
            if (old.exact) {
                merge(&e, &old);
            } else {
                if (old.min < e.min) e.min = old.min;
                if (old.max > e.max) e.max = old.max;
                e.exact = false;
            }
        } else if (rc != MDB_NOTFOUND) {
            return shoal_store_err(err, rc, "cannot read the zone map");
        }
        v.mv_size = encode(vb, &e);
        v.mv_data = vb;
        if ((rc = mdb_put(txn, db->dbi_zones, &k, &v, 0))) return shoal_store_err(err, rc, "cannot write the zone map");
    }
    if (!db->has_zfine) return SHOAL_OK;
    for (size_t a = 0, e; a < z->ng; a = e) {
        for (e = a + 1; e < z->ng && z->gb[e] == z->gb[a];) e++;
        int rc = zf_flush_block(db, txn, z, z->first_block + z->gb[a], z->g + a, e - a, err);
        if (rc) return rc;
    }
    return SHOAL_OK;
}

/* Appends block b's fine entry, from the times of its records in t[0..n) (sorted and
 * coarsened in place), to f. */
static int fine_add(shoal_zfine *f, uint64_t b, uint64_t *t, size_t n)
{
    while (f->n <= b) f->off[++f->n] = f->len;   /* blocks without records: empty */
    if (f->len + ZF_MAX > f->cap) {
        size_t cap = f->cap * 2 + ZF_MAX;
        unsigned char *nb = shoal_realloc(f->buf, cap);
        if (!nb) return SHOAL_ENOMEM;
        f->buf = nb, f->cap = cap;
    }
    qsort(t, n, sizeof *t, cmp_u64);
    f->len += zf_make(f->buf + f->len, t, uniq(t, n));
    f->off[b + 1] = f->len;
    return SHOAL_OK;
}

void shoal_zfine_free(shoal_zfine *f)
{
    if (!f) return;
    shoal_free(f->buf);
    shoal_free(f->off);
    memset(f, 0, sizeof *f);
}

int shoal_zone_compute(shoal_db *db, MDB_txn *txn, uint64_t *n_blocks, shoal_zone **zones, shoal_zfine *fine,
                       shoal_err *err)
{
    uint64_t last;
    int rc = shoal_log_last_seq(db, txn, &last, err);
    if (rc) return rc;
    size_t n = (size_t)((last + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK);
    shoal_zone *zs = shoal_malloc((n ? n : 1) * sizeof *zs);
    uint64_t *t = fine ? shoal_malloc(SHOAL_ZONE_BLOCK * sizeof *t) : NULL;
    if (fine) {
        memset(fine, 0, sizeof *fine);
        fine->off = shoal_malloc((n + 1) * sizeof *fine->off);
    }
    if (!zs || (fine && (!t || !fine->off))) {
        shoal_free(zs);
        shoal_free(t);
        shoal_zfine_free(fine);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    if (fine) fine->off[0] = 0;
    for (size_t i = 0; i < n; i++) zs[i] = empty;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->dbi_log, &cur))) {
        rc = shoal_store_err(err, rc, "cannot read the log");
        goto fail;
    }
    MDB_val k, v;
    uint64_t tb = UINT64_MAX;   /* the block whose times t holds */
    size_t nt = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_rec rec;
        if (k.mv_size != 8 || shoal_codec_decode(v.mv_data, v.mv_size, &rec)) continue;   /* check reports it */
        uint64_t b = (shoal_be64_get(k.mv_data) - 1) / SHOAL_ZONE_BLOCK;
        if (b >= n) continue;
        note(&zs[b], rec.ts);
        if (!fine) continue;
        if (b != tb) {
            if (nt && fine_add(fine, tb, t, nt)) {
                rc = ENOMEM;
                break;
            }
            tb = b, nt = 0;
        }
        if (nt < SHOAL_ZONE_BLOCK) t[nt++] = flip(rec.ts) >> ZF_S0;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND && fine && nt && fine_add(fine, tb, t, nt)) rc = ENOMEM;
    if (rc == ENOMEM) {
        rc = shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
        goto fail;
    }
    if (rc != MDB_NOTFOUND) {
        rc = shoal_store_err(err, rc, "cannot read the log");
        goto fail;
    }
    if (fine)
        while (fine->n < n) fine->off[++fine->n] = fine->len;
    shoal_free(t);
    *n_blocks = n;
    *zones = zs;
    return SHOAL_OK;
fail:
    shoal_free(zs);
    shoal_free(t);
    shoal_zfine_free(fine);
    return rc;
}

int shoal_zone_rebuild(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint64_t n;
    shoal_zone *zs;
    shoal_zfine f;
    int rc = shoal_zone_compute(db, txn, &n, &zs, db->has_zfine ? &f : NULL, err);
    if (rc) return rc;
    if ((rc = mdb_drop(txn, db->dbi_zones, 0)) || (db->has_zfine && (rc = mdb_drop(txn, db->dbi_zfine, 0)))) {
        rc = shoal_store_err(err, rc, "cannot clear the zone map");
        goto done;
    }
    for (uint64_t b = 0; b < n; b++) {
        if (zs[b].min > zs[b].max) continue;
        unsigned char kb[8], vb[25];
        shoal_be64_put(kb, b);
        MDB_val k = {8, kb}, v = {encode(vb, &zs[b]), vb};
        if ((rc = mdb_put(txn, db->dbi_zones, &k, &v, MDB_APPEND))) {
            rc = shoal_store_err(err, rc, "cannot write the zone map");
            goto done;
        }
        if (!db->has_zfine || f.off[b + 1] == f.off[b]) continue;
        v.mv_size = f.off[b + 1] - f.off[b];
        v.mv_data = f.buf + f.off[b];
        if ((rc = mdb_put(txn, db->dbi_zfine, &k, &v, MDB_APPEND))) {
            rc = shoal_store_err(err, rc, "cannot write the zone map");
            goto done;
        }
    }
done:
    shoal_free(zs);
    if (db->has_zfine) shoal_zfine_free(&f);
    return rc;
}

int shoal_zone_skip(shoal_reader *r, uint64_t seq, const int64_t *ranges, int n, uint64_t *next, shoal_err *err)
{
    *next = seq;
    if (!r->db->has_zones || seq == 0 || seq > r->last_seq) return SHOAL_OK;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t b = (seq - 1) / SHOAL_ZONE_BLOCK;
    unsigned char kb[8];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (;; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (rc == MDB_NOTFOUND) {
            /* Past the last zone: the rest of the log (if any) has no entry, so only
             * the end of the snapshot can be skipped to when zones cover it all. */
            uint64_t end = b * SHOAL_ZONE_BLOCK + 1;
            if (end > r->last_seq) *next = r->last_seq + 1 > seq ? r->last_seq + 1 : seq;
            break;
        }
        if (rc) {
            mdb_cursor_close(cur);
            return shoal_store_err(err, rc, "cannot read the zone map");
        }
        uint64_t kbk = shoal_be64_get(k.mv_data);
        shoal_zone z;
        /* A block without entry, or with one that cannot be believed: scan it. */
        if (kbk != b || shoal_zone_decode(&v, &z) || !sane(&z)) break;
        bool hit = false;
        for (int i = 0; i < n && !hit; i++) hit = meets(&z, ranges[2 * i], ranges[2 * i + 1]);
        if (hit && r->db->has_zfine) {
            /* its slots say it may: its granules tell finely */
            MDB_val fv;
            int frc = mdb_get(r->txn, r->db->dbi_zfine, &k, &fv);
            if (frc && frc != MDB_NOTFOUND) {
                mdb_cursor_close(cur);
                return shoal_store_err(err, frc, "cannot read the zone map");
            }
            hit = frc || zf_meets(&fv, ranges, n);
        }
        if (hit) break;                          /* may hold a match */
        b++;
        uint64_t start = b * SHOAL_ZONE_BLOCK + 1;
        *next = start > r->last_seq ? r->last_seq + 1 : start;
        if (start > r->last_seq) break;
    }
    mdb_cursor_close(cur);
    return SHOAL_OK;
}

/* The earliest and latest event times of r's snapshot from the zone map (a read per
 * 4096 records); SHOAL_ENOTFOUND when the map does not cover every block. */
static int zone_span(shoal_reader *r, int64_t *lo, int64_t *hi, shoal_err *err)
{
    *lo = INT64_MAX, *hi = INT64_MIN;
    if (!r->db->has_zones) return SHOAL_ENOTFOUND;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t n = 0, want = (r->last_seq + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_zone z;
        if (k.mv_size != 8 || shoal_zone_decode(&v, &z) || shoal_be64_get(k.mv_data) >= want) continue;
        if (z.min < *lo) *lo = z.min;
        if (z.min <= z.max && z.max > *hi) *hi = z.max;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the zone map");
    /* Blocks without an entry (a map still being filled) leave the answer open. */
    return n == want ? SHOAL_OK : SHOAL_ENOTFOUND;
}

int shoal_zone_earliest(shoal_reader *r, int64_t *out, shoal_err *err)
{
    int64_t hi;
    return zone_span(r, out, &hi, err);
}

int shoal_zone_latest(shoal_reader *r, int64_t *out, shoal_err *err)
{
    int64_t lo;
    return zone_span(r, &lo, out, err);
}
