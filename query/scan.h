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

#endif
