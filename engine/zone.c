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
 */
#include "shoal_int.h"

#include <stdlib.h>

struct shoal_zacc {
    uint64_t first_block;
    size_t n;
    shoal_zone *zones;
};

static const shoal_zone empty = {INT64_MAX, INT64_MIN, 0, 0, true};

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
    z->first_block = (first_seq - 1) / SHOAL_ZONE_BLOCK;
    z->n = n_records / SHOAL_ZONE_BLOCK + 2;
    z->zones = shoal_malloc(z->n * sizeof *z->zones);
    if (!z->zones) {
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
    shoal_free(z);
}

void shoal_zacc_note(shoal_zacc *z, uint64_t seq, int64_t ts)
{
    size_t i = (size_t)((seq - 1) / SHOAL_ZONE_BLOCK - z->first_block);
    if (i >= z->n) return;   /* cannot happen: sized for the batch */
    note(&z->zones[i], ts);
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
    return SHOAL_OK;
}

int shoal_zone_compute(shoal_db *db, MDB_txn *txn, uint64_t *n_blocks, shoal_zone **zones, shoal_err *err)
{
    uint64_t last;
    int rc = shoal_log_last_seq(db, txn, &last, err);
    if (rc) return rc;
    size_t n = (size_t)((last + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK);
    shoal_zone *zs = shoal_malloc((n ? n : 1) * sizeof *zs);
    if (!zs) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    for (size_t i = 0; i < n; i++) zs[i] = empty;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->dbi_log, &cur))) {
        shoal_free(zs);
        return shoal_store_err(err, rc, "cannot read the log");
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_rec rec;
        if (k.mv_size != 8 || shoal_codec_decode(v.mv_data, v.mv_size, &rec)) continue;   /* check reports it */
        uint64_t b = (shoal_be64_get(k.mv_data) - 1) / SHOAL_ZONE_BLOCK;
        if (b >= n) continue;
        note(&zs[b], rec.ts);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        shoal_free(zs);
        return shoal_store_err(err, rc, "cannot read the log");
    }
    *n_blocks = n;
    *zones = zs;
    return SHOAL_OK;
}

int shoal_zone_rebuild(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint64_t n;
    shoal_zone *zs;
    int rc = shoal_zone_compute(db, txn, &n, &zs, err);
    if (rc) return rc;
    if ((rc = mdb_drop(txn, db->dbi_zones, 0))) {
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
    }
done:
    shoal_free(zs);
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
