/* scan.h — the executor's read of the log, inline so that a scan loop pays no call per
 * record: the engine's inline decoder (shoal_log_decode), a leaf page's records read
 * from the page under the LMDB cursor of a shoal_logcur (scan_pages), the zone map's
 * jumps (scan_zone_picks), and over them the range reader every pass over the log
 * opens (scan_range). tests/unit/test_scan.c checks each against shoal_logcur_next. */
#ifndef SHOAL_SCAN_H
#define SHOAL_SCAN_H

#include <stdatomic.h>
#include <string.h>

#include "plan.h"   /* CANCEL_EVERY */
#include "shoal_int.h"

/* The header of a log record, as shoal_codec_decode reads it (engine/shoal_int.h) but
 * without a branch per field: one look at 32 bytes finds where every varint ends (the
 * bytes whose top bit is clear: SSE2's movemask), so the five fields' positions are
 * known at once rather than each after the one before, and each field's value is its
 * bytes' 7-bit groups gathered. What is not the common case (a varint longer than 8
 * bytes for the time or 5 for an id, fields past the 32 bytes, unknown flags, a zero
 * or too large id, a record shorter than its fields) is left to shoal_codec_decode,
 * which reads it, or refuses it with its own error: so the two agree on every record,
 * the damaged ones included (tests/unit/test_scan.c). The 32 bytes are read in place
 * when they lie in the record's 4096-byte page of the map (LMDB's pages are aligned
 * to it, and a mapped page is mapped whole: the bytes past the record are another
 * record's or free space, never looked at but through the checks); a record near the
 * end of such a page is copied first. Returns 1 when rec is filled, 0 for
 * shoal_codec_decode. */
#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <emmintrin.h>
#define SCAN_FAST_DECODE 1

static inline uint64_t scan_ld8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* the 7-bit groups of a varint's bytes x (those past its end zeroed), gathered */
static inline uint64_t scan_gather8(uint64_t x)
{
    return (x & 0x7fULL) | ((x >> 1) & (0x7fULL << 7)) | ((x >> 2) & (0x7fULL << 14)) | ((x >> 3) & (0x7fULL << 21)) |
           ((x >> 4) & (0x7fULL << 28)) | ((x >> 5) & (0x7fULL << 35)) | ((x >> 6) & (0x7fULL << 42)) |
           ((x >> 7) & (0x7fULL << 49));
}

static inline uint64_t scan_gather5(uint64_t x)
{
    return (x & 0x7fULL) | ((x >> 1) & (0x7fULL << 7)) | ((x >> 2) & (0x7fULL << 14)) | ((x >> 3) & (0x7fULL << 21)) |
           ((x >> 4) & (0x7fULL << 28));
}

/* the varint of len bytes (1..8) at p */
#define SCAN_VAR(p, len, gather) gather(scan_ld8(p) & (~0ULL >> (64 - 8 * (len))))

#define SCAN_DECODE_BODY(G8, G5) \
{ \
    unsigned char buf[32]; \
    const unsigned char *p = v; \
    if (n < 4) return 0; \
    if (((uintptr_t)v & 4095) > 4096 - 32) { \
        memset(buf, 0, sizeof buf); \
        memcpy(buf, v, n < 32 ? n : 32); \
        p = buf; \
    } \
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p), hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 16)); \
    /* bit i: byte 1 + i ends a varint */ \
    uint64_t term = (uint64_t)(~((uint32_t)_mm_movemask_epi8(lo) | (uint32_t)_mm_movemask_epi8(hi) << 16) >> 1); \
    uint64_t t1 = term & (term - 1), t2 = t1 & (t1 - 1), t3 = t2 & (t2 - 1), t4 = t3 & (t3 - 1); \
    /* the ends (32: none) of the time, member, type, group (or id length), id length */ \
    unsigned e0 = (unsigned)__builtin_ctzll(term | 1ULL << 32), e1 = (unsigned)__builtin_ctzll(t1 | 1ULL << 32), \
             e2 = (unsigned)__builtin_ctzll(t2 | 1ULL << 32), e3 = (unsigned)__builtin_ctzll(t3 | 1ULL << 32), \
             e4 = (unsigned)__builtin_ctzll(t4 | 1ULL << 32); \
    unsigned flags = p[0], hg = flags >> 1 & 1, hid = flags & 1; \
    unsigned eh = hg ? e3 : e2, ei = hg ? e4 : e3;   /* the header's last field, the id length's end */ \
    if ((flags & ~7u) || ((flags & 4) && !hid) || e0 > 7 || e1 - e0 > 5 || e2 - e1 > 5 || eh - e2 > 5 || \
        (hid && (ei - eh > 5 || eh > 22))) \
        return 0; \
    uint64_t x = SCAN_VAR(p + 1, e0 + 1, G8), m = SCAN_VAR(p + 2 + e0, e1 - e0, G5), \
             t = SCAN_VAR(p + 2 + e1, e2 - e1, G5), g = hg ? SCAN_VAR(p + 2 + e2, e3 - e2, G5) : 0; \
    size_t end = 2 + eh;   /* the header's */ \
    uint64_t il = 0; \
    if (hid) { \
        il = SCAN_VAR(p + 2 + eh, ei - eh, G5); \
        end = 2 + ei + il; \
    } \
    if (m == 0 || t == 0 || m > UINT32_MAX || t > UINT32_MAX || g > UINT32_MAX || (hg && g == 0) || end > n) return 0; \
    rec->ts = shoal_unzigzag(x); \
    rec->member = (uint32_t)m; \
    rec->type = (uint32_t)t; \
    rec->group = (uint32_t)g; \
    rec->has_id = (int)hid; \
    rec->id_num = (flags & SHOAL_REC_ID_NUM) != 0; \
    rec->id.ptr = hid ? (const char *)v + 2 + ei : NULL; \
    rec->id.len = (uint32_t)il; \
    rec->props = v + end; \
    rec->end = v + n; \
    return 1; \
}

static inline int scan_decode_sw(const unsigned char *v, size_t n, shoal_rec *rec)
SCAN_DECODE_BODY(scan_gather8, scan_gather5)

/* the same with AVX2, BMI1 and BMI2 (scan_decode.c), when the processor has them */
int shoal_scan_decode_bmi2(const unsigned char *v, size_t n, shoal_rec *rec);

/* 1 when the processor has what shoal_scan_decode_bmi2 uses: asked of the processor
 * at the first record decoded (shoal_scan_hw_probe, scan_decode.c), then kept.
 * (__builtin_cpu_supports linked libgcc's __cpu_indicator_init, a constructor run at
 * every start whose dozen cpuid instructions each leave the virtual machine: a fifth
 * of the CPU of a `shoal query` process asking `SELECT 1`, scan or not.) */
extern _Atomic int shoal_scan_hw;   /* -1 until probed */
int shoal_scan_hw_probe(void);
static inline int scan_decode_hw(void)
{
    int h = atomic_load_explicit(&shoal_scan_hw, memory_order_relaxed);
    return h >= 0 ? h : shoal_scan_hw_probe();
}

static inline int scan_decode_fast(const unsigned char *v, size_t n, shoal_rec *rec)
{
    return scan_decode_hw() ? shoal_scan_decode_bmi2(v, n, rec) : scan_decode_sw(v, n, rec);
}
#else
#define SCAN_FAST_DECODE 0
static inline int scan_decode_sw(const unsigned char *v, size_t n, shoal_rec *rec) { return 0; }
static inline int scan_decode_hw(void) { return 0; }
static inline int scan_decode_fast(const unsigned char *v, size_t n, shoal_rec *rec) { return 0; }
#endif

/* shoal_log_decode through scan_decode_fast */
static inline int scan_decode(const MDB_val *k, const MDB_val *v, shoal_rec *rec, shoal_err *err)
{
    if (k->mv_size == 8 && scan_decode_fast(v->mv_data, v->mv_size, rec)) {
        rec->seq = shoal_be64_get(k->mv_data);
        return SHOAL_OK;
    }
    return shoal_log_decode(k, v, rec, err);
}

/* The next record of cursor mc into rec (*op starts as MDB_FIRST). Returns 1, 0 at the
 * end, or a negative SHOAL_E*. */
static inline int scan_next(MDB_cursor *mc, MDB_cursor_op *op, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(mc, &k, &v, *op);
    *op = MDB_NEXT;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    rc = scan_decode(&k, &v, rec, err);
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
    rc = scan_decode(&k, &v, rec, err);
    return rc ? rc : 1;
}

/* A scan that reads a leaf page's records itself (issue 17). The cursor's step
 * (mdb_cursor_next, mdb_node_read, mdb_cursor_get) was a third of a members scan's CPU
 * at 10M events, some 15 ns a record, while a leaf page of the log holds some 60 of
 * them side by side: so once the cursor has landed on a record, the rest of its page
 * is read from the page (LMDB 0.9's layout, as engine/pages.c reads it: the page's
 * lower bound at byte 12 gives its node count, 2-byte node offsets from byte 16; a
 * node is data size low and high, flags, key size, the key, then the value), and at
 * the page's end the cursor is put on the page's last record (MDB_SET: LMDB finds a
 * key on the cursor's own page without descending the tree, two comparisons) and steps
 * to the next page's first (MDB_NEXT: the parent's next child). A node that is not
 * plain (a value on overflow pages, F_BIGDATA, any flag; a key not of 8 bytes; offsets
 * outside the page) goes back to the cursor: MDB_SET on the record before it, MDB_NEXT
 * onto it, and LMDB reads it as it would have. The records and their order are the
 * cursor's own (tests/unit/test_scan.c), and each is decoded by scan_decode as
 * before. Only for a read-only transaction (a shoal_reader's): its pages are the map's
 * and do not change while it lives, where a write transaction's dirty pages are copies
 * in the heap. Whoever moves the cursor (the zone map's seeks: scan_range_next) calls
 * scan_pages_moved, and the walk goes on from the cursor. */
#ifndef SCAN_PAGES_AHEAD
#define SCAN_PAGES_AHEAD 8
#endif
typedef struct scan_pages {
    MDB_cursor *mc;
    const unsigned char *pg;   /* the leaf page read without the cursor (NULL: the cursor steps) */
    unsigned i, n;             /* its next node, its node count */
    const void *key;           /* the key of the record last given (in the page) */
    unsigned psize;            /* the database's page size (0: no page is read) */
    MDB_cursor_op op;
} scan_pages;

static inline uint16_t scan_g16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* s over cursor mc, whose next step is op (MDB_FIRST, or MDB_NEXT after a seek) */
static inline void scan_pages_init(scan_pages *s, MDB_cursor *mc, MDB_cursor_op op)
{
    MDB_stat st;
    s->mc = mc;
    s->pg = NULL;
    s->i = s->n = 0;
    s->key = NULL;
    s->op = op;
    /* a power of two the size of a node's header or more, as LMDB's are */
    s->psize = !mdb_env_stat(mdb_txn_env(mdb_cursor_txn(mc)), &st) && st.ms_psize >= 512 &&
                       !(st.ms_psize & (st.ms_psize - 1))
                   ? st.ms_psize
                   : 0;
}

/* The cursor was moved (a seek): the next record is the one after the cursor's. */
static inline void scan_pages_moved(scan_pages *s)
{
    s->pg = NULL;
    s->op = MDB_NEXT;
}

/* node j of page pg (n nodes, page size ps) when it is plain: its key (8 bytes) and
 * value, else 0 */
static inline int scan_pages_node(const unsigned char *pg, unsigned n, unsigned ps, unsigned j, MDB_val *k, MDB_val *v)
{
    unsigned off = scan_g16(pg + 16 + 2 * j);
    if (off < 16 + 2 * n || off > ps - 16) return 0;
    const unsigned char *nd = pg + off;
    size_t dsize = (size_t)scan_g16(nd) | (size_t)scan_g16(nd + 2) << 16;
    if (scan_g16(nd + 4) || scan_g16(nd + 6) != 8 || dsize > ps - 16 - off) return 0;
    k->mv_size = 8, k->mv_data = (void *)(nd + 8);
    v->mv_size = dsize, v->mv_data = (void *)(nd + 16);
    return 1;
}

/* A page's records at a time (scan_range_batch): from node i of leaf page pg (n nodes,
 * page size ps), the plain nodes' records decoded into recs, at most max of them and
 * while their sequences are below `to`; it stops before a node that is not plain, a
 * record the fast decoder leaves to shoal_codec_decode, or a sequence of `to` or past,
 * which the record-at-a-time path (scan_pages_next) then reads as before. Returns the
 * records decoded. With the decoder inlined in the loop (scan_decode.c's
 * shoal_scan_page_bmi2, compiled for AVX2 and BMI), the page's position stays in
 * registers, and a record costs no call. */
#define SCAN_PAGE_BODY(DECODE) \
{ \
    unsigned k = 0; \
    for (; k < max && i < n; i++, k++) { \
        MDB_val kv, vv; \
        if (!scan_pages_node(pg, n, ps, i, &kv, &vv)) break; \
        if (i + SCAN_PAGES_AHEAD < n) __builtin_prefetch(pg + scan_g16(pg + 16 + 2 * (i + SCAN_PAGES_AHEAD))); \
        uint64_t seq = shoal_be64_get(kv.mv_data); \
        if (seq >= to || !DECODE(vv.mv_data, vv.mv_size, &recs[k])) break; \
        recs[k].seq = seq; \
    } \
    return k; \
}

static inline unsigned scan_page_sw(const unsigned char *pg, unsigned i, unsigned n, unsigned ps, shoal_rec *recs,
                                    unsigned max, uint64_t to)
SCAN_PAGE_BODY(scan_decode_sw)

/* the same with shoal_scan_decode_bmi2's decoder inlined (scan_decode.c) */
unsigned shoal_scan_page_bmi2(const unsigned char *pg, unsigned i, unsigned n, unsigned ps, shoal_rec *recs,
                              unsigned max, uint64_t to);

static inline unsigned scan_page_decode(const unsigned char *pg, unsigned i, unsigned n, unsigned ps, shoal_rec *recs,
                                        unsigned max, uint64_t to)
{
    return scan_decode_hw() ? shoal_scan_page_bmi2(pg, i, n, ps, recs, max, to) : scan_page_sw(pg, i, n, ps, recs, max, to);
}

/* After the cursor gave k: its page read from the node after it on, when the page is
 * a plain leaf page in which k's node is found; else the cursor steps on. */
static inline void scan_pages_enter(scan_pages *s, const MDB_val *k)
{
    unsigned ps = s->psize;
    s->pg = NULL;
    if (!ps || k->mv_size != 8) return;
    const unsigned char *nd = (const unsigned char *)k->mv_data - 8;
    const unsigned char *pg = (const unsigned char *)((uintptr_t)nd & ~(uintptr_t)(ps - 1));
    unsigned off = (unsigned)(nd - pg);
    /* flags: P_LEAF (2) alone; lower: past the header, the offsets within the page */
    unsigned lower = scan_g16(pg + 12), upper = scan_g16(pg + 14);
    if (scan_g16(pg + 10) != 2 || lower < 16 + 2 || (lower & 1) || lower > upper || upper > ps || off < 16) return;
    unsigned n = (lower - 16) / 2, e = 0;
    while (e < n && scan_g16(pg + 16 + 2 * e) != off) e++;
    if (e == n) return;
    s->pg = pg, s->i = e + 1, s->n = n, s->key = k->mv_data;
    /* The next leaf page is most often one of the three after this one in the file (an
     * append writes the log's pages in order, with the id index's and the dictionary's
     * between them: 63% of the 10M log's page steps go 1 to 4 pages on): their
     * headers and first nodes (at their ends) are asked for now, where the cursor's step
     * onto the next page waited for its first line (96% of mdb_cursor_next). Only
     * within the map as far as this page's address says nothing: a prefetch of an
     * address not mapped does not fault. */
    for (unsigned j = 1; j <= 3; j++) {
        __builtin_prefetch(pg + j * ps);
        __builtin_prefetch(pg + j * ps + ps - 64);
    }
    for (unsigned j = s->i; j < s->i + SCAN_PAGES_AHEAD && j < n; j++) __builtin_prefetch(pg + scan_g16(pg + 16 + 2 * j));
}

/* The next record into rec, as scan_next. Returns 1, 0 at the end, or a negative SHOAL_E*. */
static inline int scan_pages_next(scan_pages *s, shoal_rec *rec, shoal_err *err)
{
    MDB_val k, v;
    int rc;
    if (s->pg) {
        if (s->i < s->n && scan_pages_node(s->pg, s->n, s->psize, s->i, &k, &v)) {
            /* a page's nodes lie from its end down, an append's records in descending
             * addresses: the node SCAN_PAGES_AHEAD on is asked for now */
            if (s->i + SCAN_PAGES_AHEAD < s->n) __builtin_prefetch(s->pg + scan_g16(s->pg + 16 + 2 * (s->i + SCAN_PAGES_AHEAD)));
            s->i++;
            s->key = k.mv_data;
            rc = scan_decode(&k, &v, rec, err);
            return rc ? rc : 1;
        }
        /* the page's end, or a node the cursor reads: the cursor onto the record last
         * given, then on */
        k.mv_size = 8, k.mv_data = (void *)s->key;
        if ((rc = mdb_cursor_get(s->mc, &k, &v, MDB_SET))) return shoal_store_err(err, rc, "cannot read the log");
        s->pg = NULL;
        s->op = MDB_NEXT;
    }
    rc = mdb_cursor_get(s->mc, &k, &v, s->op);
    s->op = MDB_NEXT;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    if ((rc = scan_decode(&k, &v, rec, err))) return rc;
    scan_pages_enter(s, &k);
    return 1;
}

/* scan_seek through s */
static inline int scan_pages_seek(scan_pages *s, uint64_t seq, shoal_rec *rec, shoal_err *err)
{
    unsigned char kb[8];
    shoal_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    s->op = MDB_NEXT;
    s->pg = NULL;
    int rc = mdb_cursor_get(s->mc, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read the log");
    if ((rc = scan_decode(&k, &v, rec, err))) return rc;
    scan_pages_enter(s, &k);
    return 1;
}

/* The zone map's part of a time-restricted scan: at the first record of a block
 * (rec->seq past the block looked at last), jumps to the next block whose span of
 * times can meet one of the n ranges (pairs [lo, hi) in zr), counting the records
 * jumped over in *skipped; a block whose in-order events miss every range is skipped
 * but for its late events that may meet one (shoal_zone_skip_picks), which are read
 * one by one, in sequence order. Returns 1 with rec on a record to look at, 0 at the
 * end, or a negative SHOAL_E*. With n 0, nothing is skipped. The state starts zeroed. */
typedef struct zpicks {
    uint64_t zone_end, base;   /* records up to zone_end need no look; base: the picked block's first */
    int n, i;                  /* picks, and the next to read */
    int picked;                /* reading picks: then on from the block's end */
    /* A block read in order whose late events are known (shoal_zone_skip_picks' cut):
     * ncut of them may match, in picks; once a time read in it reaches stop, no
     * in-order record further on can, and only the picks past it are read (the last
     * millisecond before a noon now read 4096 records for the few in it). */
    int cutting, ncut;
    int64_t stop;
    uint16_t picks[SHOAL_ZONE_PICKS];
    uint64_t late[SHOAL_ZONE_BLOCK / 64];   /* the cut block's late events */
} zpicks;

/* In a block being cut, from rec (read in order): the furthest record a binary search
 * over its offsets finds not late and 2^SHOAL_ZONE_LATE_BITS ms or more before lo;
 * every record before it is earlier than lo (it is within that of the latest of them),
 * so the scan goes on from there. rec is left at a record of the block. */
static inline int scan_zone_enter(shoal_reader *r, MDB_cursor *mc, shoal_rec *rec, zpicks *z, int64_t lo,
                                  uint64_t *skipped, shoal_err *err)
{
    uint64_t base = (rec->seq - 1) / SHOAL_ZONE_BLOCK * SHOAL_ZONE_BLOCK + 1;
    uint64_t a = rec->seq, b = z->zone_end + 1, last = shoal_reader_last_seq(r);
    if (b > last + 1) b = last + 1;
    /* a: a record every one before which is earlier than lo; b: none known at or past */
    while (b - a > 32) {
        uint64_t m = a + (b - a) / 2, o = m - base;
        while (m < b && (z->late[o >> 6] >> (o & 63) & 1)) m++, o++;
        if (m >= b) {
            b = a + (b - a) / 2;
            continue;
        }
        shoal_rec t;
        int rc = scan_seek(mc, m, &t, err);
        if (rc != 1) return rc;
        if (t.seq == m && t.ts < lo - ((int64_t)1 << SHOAL_ZONE_LATE_BITS)) a = m;
        else b = a + (b - a) / 2;
    }
    if (a > rec->seq) *skipped += a - rec->seq;
    return scan_seek(mc, a, rec, err);
}

/* Whether rec, read in order in a block being cut, passes its stop: it is read, and
 * then only the picks past it. */
static inline void scan_zone_cut(zpicks *z, const shoal_rec *rec)
{
    if (!z->cutting || rec->ts < z->stop) return;
    z->cutting = 0;
    z->n = z->ncut, z->i = 0, z->picked = 1;
    z->base = (rec->seq - 1) / SHOAL_ZONE_BLOCK * SHOAL_ZONE_BLOCK + 1;
    z->zone_end = rec->seq;   /* the next record looks again */
}

static inline int scan_zone_picks(shoal_reader *r, MDB_cursor *mc, shoal_rec *rec, const int64_t *zr, int n,
                                  zpicks *z, uint64_t *skipped, shoal_err *err)
{
    if (!n) return 1;
    if (rec->seq <= z->zone_end) {
        scan_zone_cut(z, rec);
        return 1;
    }
    z->cutting = 0;
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
        if (z->picked) {   /* past the picked block */
            uint64_t end = z->base + SHOAL_ZONE_BLOCK;
            z->n = z->i = z->picked = 0;
            if (rec->seq < end) {
                *skipped += end - rec->seq;
                if ((rc = scan_seek(mc, end, rec, err)) != 1) return rc;
            }
        }
        uint64_t next;
        int np, cut;
        if ((rc = shoal_zone_skip_picks(r, rec->seq, zr, n, &next, z->picks, &np, &cut, z->late, err))) return rc;
        if (next > rec->seq) {
            *skipped += next - rec->seq;
            if ((rc = scan_seek(mc, next, rec, err)) != 1) return rc;
        }
        if (np && !cut) {
            z->n = np, z->i = 0, z->base = next, z->picked = 1;
            continue;
        }
        z->zone_end = ((rec->seq - 1) / SHOAL_ZONE_BLOCK + 1) * SHOAL_ZONE_BLOCK;
        if (cut && rec->seq <= z->zone_end) {
            int64_t hi = INT64_MIN, lo = INT64_MAX;
            for (int i = 0; i < n; i++) {
                hi = zr[2 * i + 1] > hi ? zr[2 * i + 1] : hi;
                lo = zr[2 * i] < lo ? zr[2 * i] : lo;
            }
            if (hi <= INT64_MAX - ((int64_t)1 << SHOAL_ZONE_LATE_BITS)) {
                z->cutting = 1, z->ncut = np;
                z->stop = hi + ((int64_t)1 << SHOAL_ZONE_LATE_BITS);
                if (lo >= INT64_MIN + ((int64_t)2 << SHOAL_ZONE_LATE_BITS) &&
                    (rc = scan_zone_enter(r, mc, rec, z, lo, skipped, err)) != 1)
                    return rc;
                scan_zone_cut(z, rec);
            }
        }
        return 1;
    }
}

/* A range of the log, read a leaf page at a time: the one opening of every pass over
 * the log that is not a scan's part (retention's, activity's, the anchored windows',
 * the views' edges, the earliest event's …), where each opened its cursor and stepped
 * it record by record. Gives the records with sequences in [from, to) in sequence
 * order, the records and order of shoal_logcur_next from `from` (tests/unit/test_scan.c),
 * but for the zone map's part: given n_zr time ranges (pairs [lo, hi) in zr, which
 * must live as long as the reader), the blocks that cannot hold an event in one of them
 * are jumped over, and their late events picked (scan_zone_picks), the records jumped
 * over counted in *skipped (may be NULL). A record given may still lie outside the ranges: the
 * caller tests its time. The cancel flag (may be NULL) is looked at every CANCEL_EVERY
 * records. For a read-only transaction only, as scan_pages. */
typedef struct scan_range {
    shoal_logcur *cur;
    shoal_reader *r;
    scan_pages sp;
    uint64_t from, to;
    const int64_t *zr;
    int n_zr, started;
    uint64_t *skipped;
    volatile int *cancel;
    shoal_err *err;
    uint64_t n;   /* the records given: what the caller adds to its n_scanned */
    uint64_t n_skip;   /* where the records jumped over go when skipped is NULL */
    zpicks zp;
} scan_range;

/* s over [from, to) of r's log (to UINT64_MAX: to its end), the zone map keeping to
 * the n_zr ranges zr (n_zr 0: every block). Returns 0, or a negative SHOAL_E* with
 * nothing held; close with scan_range_close (harmless after an error). */
static inline int scan_range_open(scan_range *s, shoal_reader *r, uint64_t from, uint64_t to, const int64_t *zr,
                                  int n_zr, uint64_t *skipped, volatile int *cancel, shoal_err *err)
{
    s->cur = NULL;
    s->r = r;
    s->from = from ? from : 1, s->to = to;
    s->zr = zr, s->n_zr = n_zr, s->started = 0;
    s->skipped = skipped ? skipped : &s->n_skip, s->cancel = cancel, s->err = err;
    s->n = s->n_skip = 0;
    memset(&s->zp, 0, sizeof s->zp);
    int rc = shoal_logcur_open(r, s->from, &s->cur, err);
    if (rc) return rc;
    scan_pages_init(&s->sp, shoal_logcur_mdb(s->cur), MDB_NEXT);
    return 0;
}

/* The range's next record into rec. Returns 1, 0 at the range's end, SHOAL_ECANCEL
 * when the flag is up, or another negative SHOAL_E*. rec's pointers (id, props) stay
 * valid while the reader's transaction lives. */
static inline int scan_range_next(scan_range *s, shoal_rec *rec)
{
    int rc;
    if (s->started) rc = scan_pages_next(&s->sp, rec, s->err);
    else {
        s->started = 1;
        rc = scan_pages_seek(&s->sp, s->from, rec, s->err);
    }
    if (rc != 1) return rc;
    if (s->n_zr) {
        uint64_t at = rec->seq;
        if ((rc = scan_zone_picks(s->r, s->sp.mc, rec, s->zr, s->n_zr, &s->zp, s->skipped, s->err)) != 1) return rc;
        if (rec->seq != at) scan_pages_moved(&s->sp);
    }
    if (rec->seq >= s->to) return 0;
    if ((++s->n & (CANCEL_EVERY - 1)) == 0 && s->cancel && *s->cancel)
        return shoal_err_set(s->err, SHOAL_ECANCEL, -1, -1, "cancelled");
    return 1;
}

/* Up to max records of the range into recs[0], recs[1] …: the rest of the cursor's
 * leaf page at once (scan_page_decode) when the walk is in a page and the zone map
 * keeps to no ranges, else one record as scan_range_next gives it. The same records in
 * the same order as scan_range_next (tests/unit/test_scan.c). Returns how many (1 or
 * more), 0 at the range's end, SHOAL_ECANCEL when the flag is up (looked at whenever the
 * records given pass a multiple of CANCEL_EVERY), or another negative SHOAL_E*. */
static inline int scan_range_batch(scan_range *s, shoal_rec *recs, unsigned max)
{
    scan_pages *sp = &s->sp;
    if (s->started && !s->n_zr && sp->pg && sp->i < sp->n && max > 1) {
        unsigned k = scan_page_decode(sp->pg, sp->i, sp->n, sp->psize, recs, max, s->to);
        if (k) {
            sp->i += k;
            sp->key = sp->pg + scan_g16(sp->pg + 16 + 2 * (sp->i - 1)) + 8;
            uint64_t was = s->n;
            s->n += k;
            if (was / CANCEL_EVERY != s->n / CANCEL_EVERY && s->cancel && *s->cancel)
                return shoal_err_set(s->err, SHOAL_ECANCEL, -1, -1, "cancelled");
            return (int)k;
        }
    }
    return scan_range_next(s, recs);
}

static inline void scan_range_close(scan_range *s)
{
    shoal_logcur_close(s->cur);
    s->cur = NULL;
}

#endif
