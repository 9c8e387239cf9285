/* scan.h — the executor's scan step (scan.c), inline so that the scan loop in exec.c
 * pays no call per record: an LMDB cursor step and the engine's inline record decoder
 * (shoal_codec_decode in shoal_int.h). tests/unit/test_scan.c checks it against
 * shoal_logcur_next. */
#ifndef SHOAL_SCAN_H
#define SHOAL_SCAN_H

#include <string.h>

#include "shoal_int.h"

/* Decodes the log entry k → v into rec. Returns 1, or SHOAL_ECORRUPT. */
static inline int scan_decode(const MDB_val *k, const MDB_val *v, shoal_rec *rec, shoal_err *err)
{
    if (k->mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log key has a bad size");
    rec->seq = shoal_be64_get(k->mv_data);
    if (shoal_codec_decode(v->mv_data, v->mv_size, rec))
        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu does not decode",
                             (unsigned long long)rec->seq);
    return 1;
}

/* The LMDB cursor of a shoal_scan (scan.c), for loops that decode inline. */
struct shoal_scan;
MDB_cursor *shoal_scan_cursor(struct shoal_scan *s);

/* The next record of cursor mc into rec (*op starts as MDB_FIRST). Returns 1, 0 at the
 * end, or a negative SHOAL_E*. */
static inline int scan_next(MDB_cursor *mc, MDB_cursor_op *op, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(mc, &k, &v, *op);
    *op = MDB_NEXT;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    return scan_decode(&k, &v, rec, err);
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
    return scan_decode(&k, &v, rec, err);
}

#endif
