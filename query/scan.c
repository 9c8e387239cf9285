/* scan.c — the executor's cursor over the log: the same records as shoal_logcur_next
 * (log.c), read with one LMDB cursor and decoded by the inline decoder of scan.h.
 * exec.c's scan loop uses the decoder directly; this cursor is for everything else
 * (and for the test that holds the decoder to codec.c's).
 */
#include "scan.h"
#include "plan.h"

struct shoal_scan {
    MDB_cursor *cur;
    uint64_t from;
    int started;
};
int shoal_scan_open(shoal_reader *r, uint64_t from_seq, shoal_scan **out, shoal_err *err)
{
    shoal_scan *s = shoal_malloc(sizeof *s);
    if (!s) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    int rc = mdb_cursor_open(r->txn, r->db->dbi_log, &s->cur);
    if (rc) {
        shoal_free(s);
        return shoal_store_err(err, rc, "cannot read the log");
    }
    s->from = from_seq;
    s->started = 0;
    *out = s;
    return SHOAL_OK;
}

void shoal_scan_close(shoal_scan *s)
{
    if (!s) return;
    mdb_cursor_close(s->cur);
    shoal_free(s);
}

int shoal_scan_next(shoal_scan *s, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc;
    if (!s->started) {
        unsigned char kb[8];
        shoal_be64_put(kb, s->from);
        k.mv_size = 8;
        k.mv_data = kb;
        rc = mdb_cursor_get(s->cur, &k, &v, MDB_SET_RANGE);
        s->started = 1;
    } else {
        rc = mdb_cursor_get(s->cur, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    return scan_decode(&k, &v, rec, err);
}

MDB_cursor *shoal_scan_cursor(shoal_scan *s) { return s->cur; }
