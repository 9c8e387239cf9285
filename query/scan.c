/* scan.c — the executor's cursor over the log: the same records as shoal_logcur_next
 * (log.c), read with one LMDB cursor and decoded by an inlined copy of the header
 * decoder in codec.c with fast paths for the 1- and 2-byte varints that ids and
 * most fields take. A query's whole cost is this loop, so it may not go through a
 * function call per field. If codec.c's layout changes, this must change with it
 * (flags, zigzag ts, member, type, [group], [id], properties).
 */
#include "shoal_int.h"
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

/* Reads a LEB128 varint. With 8 readable bytes (almost always: a record is followed by
 * more page) the terminator is found with one ctz and the 7-bit groups are gathered
 * without a branch per byte; timestamps take 6 bytes and member ids 3, so the byte
 * loop's mispredictions were most of the decode time. */
static inline int get(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    if (p < end && p[0] < 0x80) {
        *v = p[0];
        *pp = p + 1;
        return 1;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t stop = ~x & 0x8080808080808080ULL;
        if (stop) {
            int len = (__builtin_ctzll(stop) >> 3) + 1;
            if (len < 8) x &= (1ULL << (len * 8)) - 1;
            uint64_t r = (x & 0x7fULL) | ((x >> 1) & (0x7fULL << 7)) | ((x >> 2) & (0x7fULL << 14)) |
                         ((x >> 3) & (0x7fULL << 21)) | ((x >> 4) & (0x7fULL << 28)) |
                         ((x >> 5) & (0x7fULL << 35)) | ((x >> 6) & (0x7fULL << 42)) |
                         ((x >> 7) & (0x7fULL << 49));
            *v = r;
            *pp = p + len;
            return 1;
        }
    }
#endif
    size_t k = shoal_varint_get(p, end, v);
    *pp = p + k;
    return k != 0;
}

static inline uint64_t be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
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
    if (k.mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log key has a bad size");
    rec->seq = be64(k.mv_data);
    const unsigned char *p = v.mv_data, *end = p + v.mv_size;
    uint64_t x, m, t, g = 0;
    if (v.mv_size < 4) goto corrupt;
    unsigned flags = *p++;
    if (flags & ~(unsigned)(SHOAL_REC_HAS_ID | SHOAL_REC_HAS_GROUP)) goto corrupt;
    if (!get(&p, end, &x) || !get(&p, end, &m) || !get(&p, end, &t)) goto corrupt;
    if ((flags & SHOAL_REC_HAS_GROUP) && !get(&p, end, &g)) goto corrupt;
    if (m == 0 || t == 0 || m > UINT32_MAX || t > UINT32_MAX || g > UINT32_MAX) goto corrupt;
    rec->ts = shoal_unzigzag(x);
    rec->member = (uint32_t)m;
    rec->type = (uint32_t)t;
    rec->group = (uint32_t)g;
    rec->has_id = (flags & SHOAL_REC_HAS_ID) != 0;
    rec->id.ptr = NULL;
    rec->id.len = 0;
    if (rec->has_id) {
        if (!get(&p, end, &x) || x > (uint64_t)(end - p)) goto corrupt;
        rec->id.ptr = (const char *)p;
        rec->id.len = (uint32_t)x;
        p += x;
    }
    rec->props = p;
    rec->end = end;
    return 1;
corrupt:
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log record %llu does not decode", (unsigned long long)rec->seq);
}
