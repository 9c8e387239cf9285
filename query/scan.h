/* scan.h — the executor's scan step, inline so that the scan loop in exec_scan.c pays no
 * call per record: a step of the LMDB cursor under a shoal_logcur (shoal_logcur_mdb)
 * and the engine's inline decoder (shoal_log_decode). tests/unit/test_scan.c checks it
 * against shoal_logcur_next. */
#ifndef SHOAL_SCAN_H
#define SHOAL_SCAN_H

#include <string.h>

#include "shoal_int.h"

/* The next record of cursor mc into rec (*op starts as MDB_FIRST). Returns 1, 0 at the
 * end, or a negative SHOAL_E*. */
static inline int scan_next(MDB_cursor *mc, MDB_cursor_op *op, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(mc, &k, &v, *op);
    *op = MDB_NEXT;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    rc = shoal_log_decode(&k, &v, rec, err);
    return rc ? rc : 1;
}

/* Positions mc at the first record with sequence >= seq and decodes it into rec.
 * Returns 1, 0 when there is none, or a negative SHOAL_E*. */
static inline int scan_seek(MDB_cursor *mc, uint64_t seq, shoal_rec *rec, shoal_err *err)
{
    unsigned char kb[8];
    shoal_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    rc = shoal_log_decode(&k, &v, rec, err);
    return rc ? rc : 1;
}

/* The zone map's part of a time-restricted scan: at the first record of a block
 * (rec->seq past *zone_end), jumps to the next block whose span of times can meet one
 * of the n ranges (pairs [lo, hi) in zr), counting the records jumped over in
 * *skipped. Returns 1 with rec on a record to look at, 0 at the end, or a negative
 * SHOAL_E*. With n 0, nothing is skipped. */
static inline int scan_zone(shoal_reader *r, MDB_cursor *mc, shoal_rec *rec, const int64_t *zr, int n,
                            uint64_t *zone_end, uint64_t *skipped, shoal_err *err)
{
    if (!n || rec->seq <= *zone_end) return 1;
    uint64_t next;
    int rc = shoal_zone_skip(r, rec->seq, zr, n, &next, err);
    if (rc) return rc;
    if (next > rec->seq) {
        *skipped += next - rec->seq;
        if ((rc = scan_seek(mc, next, rec, err)) != 1) return rc;
    }
    *zone_end = ((rec->seq - 1) / SHOAL_ZONE_BLOCK + 1) * SHOAL_ZONE_BLOCK;
    return 1;
}

/* scan_zone that also reads single records: a block whose in-order events miss every
 * range is skipped but for its late events that may meet one (shoal_zone_skip_picks),
 * which are read one by one, in sequence order. The state starts zeroed. */
typedef struct zpicks {
    uint64_t zone_end, base;   /* records up to zone_end need no look; base: the picked block's first */
    int n, i;                  /* picks, and the next to read */
    uint16_t picks[SHOAL_ZONE_PICKS];
} zpicks;

static inline int scan_zone_picks(shoal_reader *r, MDB_cursor *mc, shoal_rec *rec, const int64_t *zr, int n,
                                  zpicks *z, uint64_t *skipped, shoal_err *err)
{
    if (!n || rec->seq <= z->zone_end) return 1;
    for (;;) {
        int rc;
        if (z->i < z->n) {   /* the next late event of the picked block */
            uint64_t s = z->base + z->picks[z->i++];
            if (s < rec->seq) continue;
            if (s > shoal_reader_last_seq(r)) {   /* (only from a damaged entry) */
                z->i = z->n;
                continue;
            }
            if (s > rec->seq) {
                *skipped += s - rec->seq;
                if ((rc = scan_seek(mc, s, rec, err)) != 1) return rc;
            }
            z->zone_end = rec->seq;   /* the next record looks again */
            return 1;
        }
        if (z->n) {   /* past the picked block */
            uint64_t end = z->base + SHOAL_ZONE_BLOCK;
            z->n = z->i = 0;
            if (rec->seq < end) {
                *skipped += end - rec->seq;
                if ((rc = scan_seek(mc, end, rec, err)) != 1) return rc;
            }
        }
        uint64_t next;
        int np;
        if ((rc = shoal_zone_skip_picks(r, rec->seq, zr, n, &next, z->picks, &np, err))) return rc;
        if (next > rec->seq) {
            *skipped += next - rec->seq;
            if ((rc = scan_seek(mc, next, rec, err)) != 1) return rc;
        }
        if (np) {
            z->n = np, z->i = 0, z->base = next;
            continue;
        }
        z->zone_end = ((rec->seq - 1) / SHOAL_ZONE_BLOCK + 1) * SHOAL_ZONE_BLOCK;
        return 1;
    }
}

#endif
