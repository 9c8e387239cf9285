/* scan.h — the log record decoder of the executor's scan (scan.c), inline so that the
 * scan loop in exec.c pays no call per record. It mirrors shoal_codec_decode (codec.c):
 * flags, zigzag ts, member, type, [group], [id], then the properties. If codec.c's
 * layout changes, this must change with it; tests/unit/test_scan.c compares the two.
 */
#ifndef SHOAL_SCAN_H
#define SHOAL_SCAN_H

#include <string.h>

#include "shoal_int.h"

/* Reads a LEB128 varint. With 8 readable bytes (almost always: a record is followed by
 * more page) the terminator is found with one ctz and the 7-bit groups are gathered
 * without a branch per byte; timestamps take 6 bytes and member ids 3, so the byte
 * loop's mispredictions were most of the decode time. */
static inline int scan_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
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

static inline uint64_t scan_be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Decodes the log entry k → v into rec. Returns 1, or SHOAL_ECORRUPT. */
static inline int scan_decode(const MDB_val *k, const MDB_val *v, shoal_rec *rec, shoal_err *err)
{
    if (k->mv_size != 8) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "log key has a bad size");
    rec->seq = scan_be64(k->mv_data);
    const unsigned char *p = v->mv_data, *end = p + v->mv_size;
    uint64_t x, m, t, g = 0;
    if (v->mv_size < 4) goto corrupt;
    unsigned flags = *p++;
    if (flags & ~(unsigned)(SHOAL_REC_HAS_ID | SHOAL_REC_HAS_GROUP)) goto corrupt;
    if (!scan_varint(&p, end, &x) || !scan_varint(&p, end, &m) || !scan_varint(&p, end, &t)) goto corrupt;
    if ((flags & SHOAL_REC_HAS_GROUP) && !scan_varint(&p, end, &g)) goto corrupt;
    if (m == 0 || t == 0 || m > UINT32_MAX || t > UINT32_MAX || g > UINT32_MAX) goto corrupt;
    rec->ts = shoal_unzigzag(x);
    rec->member = (uint32_t)m;
    rec->type = (uint32_t)t;
    rec->group = (uint32_t)g;
    rec->has_id = (flags & SHOAL_REC_HAS_ID) != 0;
    rec->id.ptr = NULL;
    rec->id.len = 0;
    if (rec->has_id) {
        if (!scan_varint(&p, end, &x) || x > (uint64_t)(end - p)) goto corrupt;
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

#endif
