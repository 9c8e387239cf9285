/* zone.c — the log's zone map: for each block of SHOAL_ZONE_BLOCK records, the earliest
 * and latest event time in it, in the table "zones" (big-endian block number → two
 * int64), written in the same write transaction as the block's records.
 *
 * A scan restricted to time ranges asks shoal_zone_skip where the next block that can
 * hold a matching event starts, and jumps there. Events arrive mostly in time order, so
 * blocks span narrow, ordered stretches of time; a late event widens its block's span,
 * which only makes that block scanned more often, never wrongly skipped. A block with
 * no entry (a database written before zones existed, until its first write rebuilds
 * them) is never skipped. shoal_db_check recomputes the map from the log.
 */
#include "shoal_int.h"

#include <stdlib.h>

struct shoal_zacc {
    uint64_t first_block;
    size_t n;
    int64_t *min, *max;
    unsigned char *set;
};

int shoal_zacc_new(uint64_t first_seq, size_t n_records, shoal_zacc **out)
{
    shoal_zacc *z = shoal_malloc(sizeof *z);
    if (!z) return SHOAL_ENOMEM;
    z->first_block = (first_seq - 1) / SHOAL_ZONE_BLOCK;
    z->n = n_records / SHOAL_ZONE_BLOCK + 2;
    z->min = shoal_malloc(z->n * sizeof *z->min);
    z->max = shoal_malloc(z->n * sizeof *z->max);
    z->set = shoal_malloc(z->n);
    if (!z->min || !z->max || !z->set) {
        shoal_zacc_free(z);
        return SHOAL_ENOMEM;
    }
    memset(z->set, 0, z->n);
    *out = z;
    return SHOAL_OK;
}

void shoal_zacc_free(shoal_zacc *z)
{
    if (!z) return;
    shoal_free(z->min);
    shoal_free(z->max);
    shoal_free(z->set);
    shoal_free(z);
}

void shoal_zacc_note(shoal_zacc *z, uint64_t seq, int64_t ts)
{
    size_t i = (size_t)((seq - 1) / SHOAL_ZONE_BLOCK - z->first_block);
    if (i >= z->n) return;   /* cannot happen: sized for the batch */
    if (!z->set[i]) {
        z->set[i] = 1;
        z->min[i] = z->max[i] = ts;
    } else {
        if (ts < z->min[i]) z->min[i] = ts;
        if (ts > z->max[i]) z->max[i] = ts;
    }
}

static void zone_val(unsigned char v[16], int64_t min, int64_t max)
{
    shoal_be64_put(v, (uint64_t)min);
    shoal_be64_put(v + 8, (uint64_t)max);
}

int shoal_zacc_flush(shoal_db *db, MDB_txn *txn, shoal_zacc *z, shoal_err *err)
{
    for (size_t i = 0; i < z->n; i++) {
        if (!z->set[i]) continue;
        unsigned char kb[8], vb[16];
        shoal_be64_put(kb, z->first_block + i);
        MDB_val k = {8, kb}, v;
        int64_t min = z->min[i], max = z->max[i];
        int rc = mdb_get(txn, db->dbi_zones, &k, &v);
        if (rc == 0 && v.mv_size == 16) {
            int64_t m0 = (int64_t)shoal_be64_get(v.mv_data), m1 = (int64_t)shoal_be64_get((unsigned char *)v.mv_data + 8);
            if (m0 < min) min = m0;
            if (m1 > max) max = m1;
        } else if (rc && rc != MDB_NOTFOUND) {
            return shoal_store_err(err, rc, "cannot read the zone map");
        }
        zone_val(vb, min, max);
        v.mv_size = 16;
        v.mv_data = vb;
        if ((rc = mdb_put(txn, db->dbi_zones, &k, &v, 0))) return shoal_store_err(err, rc, "cannot write the zone map");
    }
    return SHOAL_OK;
}

int shoal_zone_compute(shoal_db *db, MDB_txn *txn, uint64_t *n_blocks, int64_t **min, int64_t **max,
                       shoal_err *err)
{
    uint64_t last;
    int rc = shoal_log_last_seq(db, txn, &last, err);
    if (rc) return rc;
    size_t n = (size_t)((last + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK);
    int64_t *lo = shoal_malloc((n ? n : 1) * sizeof *lo), *hi = shoal_malloc((n ? n : 1) * sizeof *hi);
    if (!lo || !hi) {
        shoal_free(lo);
        shoal_free(hi);
        return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) lo[i] = INT64_MAX, hi[i] = INT64_MIN;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->dbi_log, &cur))) {
        shoal_free(lo);
        shoal_free(hi);
        return shoal_store_err(err, rc, "cannot read the log");
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_rec rec;
        if (k.mv_size != 8 || shoal_codec_decode(v.mv_data, v.mv_size, &rec)) continue;   /* check reports it */
        uint64_t b = (shoal_be64_get(k.mv_data) - 1) / SHOAL_ZONE_BLOCK;
        if (b >= n) continue;
        if (rec.ts < lo[b]) lo[b] = rec.ts;
        if (rec.ts > hi[b]) hi[b] = rec.ts;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        shoal_free(lo);
        shoal_free(hi);
        return shoal_store_err(err, rc, "cannot read the log");
    }
    *n_blocks = n;
    *min = lo;
    *max = hi;
    return SHOAL_OK;
}

int shoal_zone_rebuild(shoal_db *db, MDB_txn *txn, shoal_err *err)
{
    uint64_t n;
    int64_t *lo, *hi;
    int rc = shoal_zone_compute(db, txn, &n, &lo, &hi, err);
    if (rc) return rc;
    if ((rc = mdb_drop(txn, db->dbi_zones, 0))) {
        rc = shoal_store_err(err, rc, "cannot clear the zone map");
        goto done;
    }
    for (uint64_t b = 0; b < n; b++) {
        if (lo[b] > hi[b]) continue;
        unsigned char kb[8], vb[16];
        shoal_be64_put(kb, b);
        zone_val(vb, lo[b], hi[b]);
        MDB_val k = {8, kb}, v = {16, vb};
        if ((rc = mdb_put(txn, db->dbi_zones, &k, &v, MDB_APPEND))) {
            rc = shoal_store_err(err, rc, "cannot write the zone map");
            goto done;
        }
    }
done:
    shoal_free(lo);
    shoal_free(hi);
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
        if (kbk != b || v.mv_size != 16) break;   /* a block without entry: scan it */
        int64_t m0 = (int64_t)shoal_be64_get(v.mv_data), m1 = (int64_t)shoal_be64_get((unsigned char *)v.mv_data + 8);
        int hit = 0;
        for (int i = 0; i < n && !hit; i++) hit = m1 >= ranges[2 * i] && m0 < ranges[2 * i + 1];
        if (hit) break;                          /* may hold a match */
        b++;
        uint64_t start = b * SHOAL_ZONE_BLOCK + 1;
        *next = start > r->last_seq ? r->last_seq + 1 : start;
        if (start > r->last_seq) break;
    }
    mdb_cursor_close(cur);
    return SHOAL_OK;
}

int shoal_zone_earliest(shoal_reader *r, int64_t *out, shoal_err *err)
{
    *out = INT64_MAX;
    if (!r->db->has_zones) return SHOAL_ENOTFOUND;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t n = 0, want = (r->last_seq + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size != 16 || shoal_be64_get(k.mv_data) >= want) continue;
        int64_t m0 = (int64_t)shoal_be64_get(v.mv_data);
        if (m0 < *out) *out = m0;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the zone map");
    /* Blocks without an entry (a map still being filled) leave the answer open. */
    return n == want ? SHOAL_OK : SHOAL_ENOTFOUND;
}
