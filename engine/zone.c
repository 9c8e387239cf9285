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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct shoal_zacc {
    uint64_t first_block, first_seq;
    uint64_t last_seq;   /* the latest sequence noted (0: none) */
    size_t n;
    shoal_zone *zones;
    /* the batch's times and sequences, in sequence order (so that a block's are
     * together), and per block the latest time of its stored records (INT64_MIN: none,
     * or an entry that cannot be believed, ok 0) */
    int64_t *t, *omax;
    uint64_t *ts_seq;
    unsigned char *ok;
    size_t ng, cap;
};

static const shoal_zone empty = {INT64_MAX, INT64_MIN, 0, 0, true};

static void zpm_reset(shoal_db *db);

#define ZF_S0 10          /* the finest granule: 2^10 ms */
#define ZF_CAP 256        /* at most this many granules a block */
#define ZF_L SHOAL_ZONE_LATE_BITS   /* late: more than 2^16 ms before the block's latest earlier event */
#define ZF_LATE_CAP SHOAL_ZONE_PICKS   /* at most this many late events a block, else none */

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
        /* halved and made distinct in one pass (still sorted) */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = g[i] >> 1;
            if (!m || g[m - 1] != v) g[m++] = v;
        }
        n = m;
        (*s)++;
    }
    return n;
}

/* A block's fine entry in memory: its in-order events' granules (g, at 2^s ms) and
 * its late events (offset in the block, granule at 2^ZF_S0 ms), or with over, every
 * event among the granules. Room for a batch's merge. */
typedef struct zfe {
    unsigned s;
    int over;
    size_t n, nl;
    uint64_t g[ZF_CAP + 2 * SHOAL_ZONE_BLOCK];
    uint16_t lo[SHOAL_ZONE_BLOCK + ZF_LATE_CAP];   /* (a damaged stored entry may claim more late */
    uint64_t lg[SHOAL_ZONE_BLOCK + ZF_LATE_CAP];   /* events than its block has records) */
} zfe;

static void zf_empty(zfe *e)
{
    e->s = ZF_S0;
    e->over = 0;
    e->n = e->nl = 0;
}

/* Appends granule v to e->g unless it is the last one there: only the set of granules
 * counts (they are sorted and made distinct next), and in-order events come some ten
 * to a hundred a granule, so this leaves the sort a few hundred where it had the
 * block's thousands (the writer's qsort was 6% of its instructions, log only). */
static void zf_push(zfe *e, uint64_t v)
{
    if (!e->n || e->g[e->n - 1] != v) e->g[e->n++] = v;
}

/* Sorts g[0..n): mostly in order already (the stored granules, then the batch's in
 * time order, up to 2^ZF_L ms apart), so by insertion while that moves few, else by
 * qsort; the same array either way. */
static void zf_sort(uint64_t *g, size_t n)
{
    size_t budget = 8 * n + 64;
    for (size_t i = 1; i < n; i++) {
        uint64_t v = g[i];
        size_t j = i;
        while (j > 0 && g[j - 1] > v) {
            if (!budget--) {
                g[j] = v;   /* g a permutation again */
                qsort(g, n, sizeof *g, cmp_u64);
                return;
            }
            g[j] = g[j - 1];
            j--;
        }
        g[j] = v;
    }
}

/* Adds the block's records at offsets off[0..n) with times ts (in sequence order) to
 * e, runmax being the latest time of the block's records before them (INT64_MIN for
 * none): a record more than 2^ZF_L ms before runmax is late. */
static void zf_add(zfe *e, int64_t runmax, const int64_t *ts, const uint16_t *off, size_t n)
{
    size_t n0 = e->n;
    for (size_t i = 0; i < n; i++) {
        int late = !e->over && runmax != INT64_MIN && ts[i] < runmax - ((int64_t)1 << ZF_L);
        if (late) {
            e->lo[e->nl] = off[i];
            e->lg[e->nl++] = flip(ts[i]) >> ZF_S0;
        } else {
            zf_push(e, (flip(ts[i]) >> ZF_S0) >> (e->s - ZF_S0));
            if (ts[i] > runmax) runmax = ts[i];
        }
    }
    if (!e->over && e->nl > ZF_LATE_CAP) {   /* too many: they join the granules */
        for (size_t i = 0; i < e->nl; i++) zf_push(e, e->lg[i] >> (e->s - ZF_S0));
        e->nl = 0;
        e->over = 1;
    }
    if (e->n == n0) return;
    zf_sort(e->g, e->n);
    e->n = zf_canon(e->g, uniq(e->g, e->n), &e->s);
}

#define ZF_MAX (2 + 10 + 10 * ZF_CAP + 10 + 13 * ZF_LATE_CAP)

static size_t zf_encode(unsigned char *out, const zfe *e)
{
    size_t o = 0;
    out[o++] = (unsigned char)(e->s | (e->over ? 0x80 : 0));
    o += shoal_varint_put(out + o, e->n);
    for (size_t i = 0; i < e->n; i++) o += shoal_varint_put(out + o, i ? e->g[i] - e->g[i - 1] : e->g[0]);
    o += shoal_varint_put(out + o, e->nl);
    for (size_t i = 0; i < e->nl; i++) {
        o += shoal_varint_put(out + o, i ? (uint64_t)(e->lo[i] - e->lo[i - 1]) : e->lo[0]);
        o += shoal_varint_put(out + o, i ? shoal_zigzag((int64_t)(e->lg[i] - e->lg[i - 1])) : e->lg[0]);
    }
    return o;
}

/* A stored fine entry into e: 0, or -1 when it cannot be believed (then the block is
 * judged by its slots, and check reports it). */
static int zf_decode(const MDB_val *v, zfe *e)
{
    const unsigned char *p = v->mv_data, *end = p + v->mv_size;
    uint64_t n, x, prev = 0;
    size_t k;
    if (v->mv_size < 3 || (e->s = p[0] & 0x7f) > 63 || e->s < ZF_S0) return -1;
    e->over = p[0] >> 7;
    p++;
    if (!(k = shoal_varint_get(p, end, &n)) || n == 0 || n > ZF_CAP) return -1;
    p += k;
    for (uint64_t i = 0; i < n; i++) {
        if (!(k = shoal_varint_get(p, end, &x)) || (i && (x == 0 || prev + x < prev))) return -1;
        p += k;
        e->g[i] = prev = i ? prev + x : x;
    }
    e->n = (size_t)n;
    if (!(k = shoal_varint_get(p, end, &n)) || n > ZF_LATE_CAP || (e->over && n)) return -1;
    p += k;
    uint64_t po = 0, pg = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!(k = shoal_varint_get(p, end, &x)) || (i && x == 0) || po + x >= SHOAL_ZONE_BLOCK) return -1;
        p += k;
        e->lo[i] = (uint16_t)(po = i ? po + x : x);
        if (!(k = shoal_varint_get(p, end, &x))) return -1;
        p += k;
        e->lg[i] = pg = i ? pg + (uint64_t)shoal_unzigzag(x) : x;
    }
    e->nl = (size_t)n;
    return p == end ? 0 : -1;
}

/* Whether a granule g of 2^s ms meets one of the n ranges. */
static int zf_in(uint64_t g, unsigned s, const int64_t *ranges, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t lo = ranges[2 * i], hi = ranges[2 * i + 1];
        if (lo < hi && g >= flip(lo) >> s && g <= flip(hi - 1) >> s) return 1;
    }
    return 0;
}

/* Judges a block by its fine entry v: 1 when its in-order events may meet one of the
 * n ranges (or the entry cannot be believed), 0 when none does. Then its late events
 * that may: with picks, their offsets go there (*n_picks); without, any is a 1. Read
 * as it is stored, without a copy: this runs at every block a scan weighs. With cut
 * (and picks), a 1 for the in-order events still lists the late events that may meet
 * a range in picks, and *cut is 1 when the entry lists every late event of its block
 * (not over, believable): the reader may then stop reading the block in order once its
 * times pass the ranges' end by 2^ZF_L ms (shoal_zone_skip_picks). */
static int zf_judge(const MDB_val *v, const int64_t *ranges, int n, uint16_t *picks, int *n_picks, int *cut,
                    uint64_t *late)
{
    const unsigned char *p = v->mv_data, *end = p + v->mv_size;
    uint64_t cnt, x, g = 0;
    size_t k;
    int hit = 0;
    if (n_picks) *n_picks = 0;
    if (cut) *cut = 0;
    if (v->mv_size < 3 || (p[0] & 0x7f) > 63 || (p[0] & 0x7f) < ZF_S0) return 1;
    unsigned s = p[0] & 0x7f, over = p[0] >> 7;
    p++;
    if (!(k = shoal_varint_get(p, end, &cnt)) || cnt == 0 || cnt > ZF_CAP) return 1;
    p += k;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!(k = shoal_varint_get(p, end, &x))) return 1;
        p += k;
        g = i ? g + x : x;
        if (!hit && zf_in(g, s, ranges, n)) {
            if (!cut || !picks || over) return 1;
            hit = 1;   /* on to the late events */
        }
    }
    if (!(k = shoal_varint_get(p, end, &cnt)) || cnt > ZF_LATE_CAP) return 1;
    p += k;
    uint64_t off = 0;
    g = 0;
    int m = 0;
    if (hit && late) memset(late, 0, SHOAL_ZONE_BLOCK / 8);
    for (uint64_t i = 0; i < cnt; i++) {
        if (!(k = shoal_varint_get(p, end, &x))) return 1;
        p += k;
        off = i ? off + x : x;
        if (!(k = shoal_varint_get(p, end, &x)) || off >= SHOAL_ZONE_BLOCK) return 1;
        p += k;
        g = i ? g + (uint64_t)shoal_unzigzag(x) : x;
        if (hit && late) late[off >> 6] |= (uint64_t)1 << (off & 63);
        if (!zf_in(g, ZF_S0, ranges, n)) continue;
        if (!picks) return 1;
        picks[m++] = (uint16_t)off;
    }
    if (hit && p != end) return 1;   /* (a cut trusts the whole entry) */
    if (n_picks) *n_picks = m;
    if (hit) *cut = 1;
    return hit;
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
    z->omax = shoal_malloc(z->n * sizeof *z->omax);
    z->ok = shoal_malloc(z->n);
    z->t = shoal_malloc(z->cap * sizeof *z->t);
    z->ts_seq = shoal_malloc(z->cap * sizeof *z->ts_seq);
    if (!z->zones || !z->omax || !z->ok || !z->t || !z->ts_seq) {
        shoal_zacc_free(z);
        return SHOAL_ENOMEM;
    }
    for (size_t i = 0; i < z->n; i++) z->zones[i] = empty, z->omax[i] = INT64_MIN, z->ok[i] = 1;
    *out = z;
    return SHOAL_OK;
}

void shoal_zacc_free(shoal_zacc *z)
{
    if (!z) return;
    shoal_free(z->zones);
    shoal_free(z->omax);
    shoal_free(z->ok);
    shoal_free(z->t);
    shoal_free(z->ts_seq);
    shoal_free(z);
}

void shoal_zacc_note(shoal_zacc *z, uint64_t seq, int64_t ts)
{
    size_t i = (size_t)((seq - 1) / SHOAL_ZONE_BLOCK - z->first_block);
    if (i >= z->n) return;   /* cannot happen: sized for the batch */
    note(&z->zones[i], ts);
    if (seq > z->last_seq) z->last_seq = seq;
    if (z->ng < z->cap) {
        z->t[z->ng] = ts;
        z->ts_seq[z->ng++] = seq;
    }
}

/* The fine entry of block b with the batch's records t/seq[0..n): merged with the
 * stored one when the block began before the batch (runmax its stored records' latest
 * time). A block begun before whose stored entry is missing or cannot be believed
 * keeps what it has (judged by its slots; check reports a damaged one). */
static int zf_flush_block(shoal_db *db, MDB_txn *txn, shoal_zacc *z, zfe *e, uint64_t b, const int64_t *t,
                          const uint64_t *seq, size_t n, shoal_err *err)
{
    unsigned char vb[ZF_MAX], kb[8];
    uint16_t off[SHOAL_ZONE_BLOCK];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v;
    size_t i0 = b - z->first_block;
    int64_t runmax = INT64_MIN;
    zf_empty(e);
    if (b * SHOAL_ZONE_BLOCK + 1 < z->first_seq) {
        if (!z->ok[i0]) return SHOAL_OK;
        int rc = mdb_get(txn, db->dbi_zfine, &k, &v);
        if (rc == MDB_NOTFOUND) return SHOAL_OK;
        if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
        if (zf_decode(&v, e)) return SHOAL_OK;
        runmax = z->omax[i0];
    }
    if (n > SHOAL_ZONE_BLOCK) n = SHOAL_ZONE_BLOCK;
    for (size_t i = 0; i < n; i++) off[i] = (uint16_t)((seq[i] - 1) % SHOAL_ZONE_BLOCK);
    zf_add(e, runmax, t, off, n);
    v.mv_size = zf_encode(vb, e);
    v.mv_data = vb;
    int rc = mdb_put(txn, db->dbi_zfine, &k, &v, 0);
    return rc ? shoal_store_err(err, rc, "cannot write the zone map") : SHOAL_OK;
}

/* The log's span of event times, kept in meta under SPAN_KEY: the earliest and latest
 * times of the records up to a sequence, and that sequence (24 bytes: three 8-byte
 * integers in host order, read by this file only). Every query's plan
 * asks for the latest time (is any event later than now?), which from the zone map
 * alone was a walk of every block's entry (2442 at 10M events, some 0.1 ms and 30 page
 * faults of a `shoal query` process). An append batch updates it from the entries of
 * the blocks after its sequence; a reader merges the same for blocks a writer that
 * does not keep it (an older shoal) appended since, so it is never stale, only longer
 * to finish. */
#define SPAN_KEY "zone_span"

static int span_get(shoal_db *db, MDB_txn *txn, int64_t *lo, int64_t *hi, uint64_t *seq)
{
    MDB_val v;
    if (shoal_meta_get(db, txn, SPAN_KEY, &v) || v.mv_size != 24) return 0;
    memcpy(lo, v.mv_data, 8);
    memcpy(hi, (const char *)v.mv_data + 8, 8);
    memcpy(seq, (const char *)v.mv_data + 16, 8);
    return *seq > 0;
}

int shoal_zone_span_kept(shoal_db *db, MDB_txn *txn, int64_t *lo, int64_t *hi, uint64_t *seq)
{
    return span_get(db, txn, lo, hi, seq);
}

/* Merges into *lo and *hi the entries of blocks [from, want); SHOAL_ENOTFOUND when
 * one of them has no entry (a map still being filled) or one that does not decode. */
static int span_walk(shoal_db *db, MDB_txn *txn, uint64_t from, uint64_t want, int64_t *lo, int64_t *hi,
                     shoal_err *err)
{
    if (from >= want) return SHOAL_OK;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t n = 0;
    unsigned char kb[8];
    shoal_be64_put(kb, from);
    MDB_val k = {8, kb}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_zone z;
        if (k.mv_size != 8) continue;
        uint64_t b = shoal_be64_get(k.mv_data);
        if (b >= want) break;
        if (b < from || shoal_zone_decode(&v, &z)) continue;
        if (z.min < *lo) *lo = z.min;
        if (z.min <= z.max && z.max > *hi) *hi = z.max;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the zone map");
    return n == want - from ? SHOAL_OK : SHOAL_ENOTFOUND;
}

/* The span of the records up to last (the log's last sequence in txn): from the kept
 * span and the blocks after it, or from every block when none is kept or the kept one
 * is not of this log's past. */
static int span_of(shoal_db *db, MDB_txn *txn, uint64_t last, int64_t *lo, int64_t *hi, shoal_err *err)
{
    uint64_t seq, from = 0;
    if (span_get(db, txn, lo, hi, &seq) && seq <= last) {
        from = seq / SHOAL_ZONE_BLOCK;   /* the block of seq + 1 */
    } else {
        *lo = INT64_MAX, *hi = INT64_MIN;
    }
    return span_walk(db, txn, from, (last + SHOAL_ZONE_BLOCK - 1) / SHOAL_ZONE_BLOCK, lo, hi, err);
}

/* Keeps (lo, hi) as the span of the records up to last, inside write transaction txn,
 * when made is SHOAL_OK; when it is SHOAL_ENOTFOUND (a block without an entry) removes
 * the kept one, and readers walk the map. */
static int span_put(shoal_db *db, MDB_txn *txn, int made, int64_t lo, int64_t hi, uint64_t last, shoal_err *err)
{
    if (made == SHOAL_ENOTFOUND) {
        MDB_val k = {strlen(SPAN_KEY), (void *)SPAN_KEY};
        int rc = mdb_del(txn, db->dbi_meta, &k, NULL);
        return rc && rc != MDB_NOTFOUND ? shoal_store_err(err, rc, "cannot write meta") : SHOAL_OK;
    }
    if (made) return made;
    unsigned char vb[24];
    memcpy(vb, &lo, 8);
    memcpy(vb + 8, &hi, 8);
    memcpy(vb + 16, &last, 8);
    return shoal_meta_put(db, txn, SPAN_KEY, vb, sizeof vb, err);
}

/* The span after batch z: that of the records before it, merged with the batch's own
 * times (not its blocks' stored entries, which a damaged entry would leave short). */
static int span_keep(shoal_db *db, MDB_txn *txn, const shoal_zacc *z, shoal_err *err)
{
    int64_t lo, hi;
    int rc = span_of(db, txn, z->first_seq - 1, &lo, &hi, err);
    for (size_t i = 0; i < z->n && !rc; i++) {
        const shoal_zone *e = &z->zones[i];
        if (e->min > e->max) continue;
        if (e->min < lo) lo = e->min;
        if (e->max > hi) hi = e->max;
    }
    return span_put(db, txn, rc, lo, hi, z->last_seq, err);
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
            if (shoal_zone_decode(&v, &old) || !sane(&old)) {
                z->ok[i] = 0;
                continue;
            }
            z->omax[i] = old.max;
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
    if (z->last_seq) {
        int rc = span_keep(db, txn, z, err);
        if (rc) return rc;
    }
    if (!db->has_zfine) return SHOAL_OK;
    zfe *fe = shoal_malloc(sizeof *fe);
    if (!fe) return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory");
    int rc = SHOAL_OK;
    for (size_t a = 0, e; a < z->ng && !rc; a = e) {
        uint64_t b = (z->ts_seq[a] - 1) / SHOAL_ZONE_BLOCK;
        for (e = a + 1; e < z->ng && (z->ts_seq[e] - 1) / SHOAL_ZONE_BLOCK == b;) e++;
        rc = zf_flush_block(db, txn, z, fe, b, z->t + a, z->ts_seq + a, e - a, err);
    }
    shoal_free(fe);
    return rc;
}

/* Appends block b's fine entry, from its records' times t and offsets off [0..n) in
 * sequence order, to f (e is room). */
static int fine_add(shoal_zfine *f, zfe *e, uint64_t b, const int64_t *t, const uint16_t *off, size_t n)
{
    while (f->n <= b) f->off[++f->n] = f->len;   /* blocks without records: empty */
    if (f->len + ZF_MAX > f->cap) {
        size_t cap = f->cap * 2 + ZF_MAX;
        unsigned char *nb = shoal_realloc(f->buf, cap);
        if (!nb) return SHOAL_ENOMEM;
        f->buf = nb, f->cap = cap;
    }
    zf_empty(e);
    zf_add(e, INT64_MIN, t, off, n);
    f->len += zf_encode(f->buf + f->len, e);
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
    int64_t *t = fine ? shoal_malloc(SHOAL_ZONE_BLOCK * sizeof *t) : NULL;
    uint16_t *to = fine ? shoal_malloc(SHOAL_ZONE_BLOCK * sizeof *to) : NULL;
    zfe *fe = fine ? shoal_malloc(sizeof *fe) : NULL;
    if (fine) {
        memset(fine, 0, sizeof *fine);
        fine->off = shoal_malloc((n + 1) * sizeof *fine->off);
    }
    if (!zs || (fine && (!t || !to || !fe || !fine->off))) {
        shoal_free(zs);
        shoal_free(t);
        shoal_free(to);
        shoal_free(fe);
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
            if (nt && fine_add(fine, fe, tb, t, to, nt)) {
                rc = ENOMEM;
                break;
            }
            tb = b, nt = 0;
        }
        if (nt < SHOAL_ZONE_BLOCK) {
            t[nt] = rec.ts;
            to[nt++] = (uint16_t)((shoal_be64_get(k.mv_data) - 1) % SHOAL_ZONE_BLOCK);
        }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND && fine && nt && fine_add(fine, fe, tb, t, to, nt)) rc = ENOMEM;
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
    shoal_free(to);
    shoal_free(fe);
    *n_blocks = n;
    *zones = zs;
    return SHOAL_OK;
fail:
    shoal_free(zs);
    shoal_free(t);
    shoal_free(to);
    shoal_free(fe);
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
    zpm_reset(db);
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
    /* the span, made again from the new entries */
    MDB_val sk = {strlen(SPAN_KEY), (void *)SPAN_KEY};
    if ((rc = mdb_del(txn, db->dbi_meta, &sk, NULL)) && rc != MDB_NOTFOUND) {
        rc = shoal_store_err(err, rc, "cannot write meta");
        goto done;
    }
    uint64_t last;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    if (!(rc = shoal_log_last_seq(db, txn, &last, err)) && last) {
        int made = span_of(db, txn, last, &lo, &hi, err);
        rc = span_put(db, txn, made, lo, hi, last, err);
    }
done:
    shoal_free(zs);
    if (db->has_zfine) shoal_zfine_free(&f);
    return rc;
}

/* The prefix maxima (issue 17). A range at a window's edge near the log's end (noon of
 * its last day) was found by walking every block's entry from the first: 2441 entries
 * at 10M events, some 60 µs a walk, paid by each edge, by log_quiet and by the split of
 * a scan for two threads, for a range that holds a few events. Events come mostly in
 * time order, but a block's latest time is not monotone in the block number (a batch
 * of old events appended late), so the walk cannot be a binary search over the
 * entries. Their prefix maximum is: pm[j] = the latest time of blocks 0..j. A block j
 * with pm[j] < lo holds no event at or after lo, nor does any block before it, so a
 * walk for ranges that all start at or after lo begins at the first j with pm[j] >= lo
 * (that block's own latest time reaches lo). The array covers blocks complete in the
 * snapshot that asked (a complete block's entry never changes: its records are
 * written, and a rebuild computes the same entry from them), and stops at the first
 * block without a believable entry; it is made as walks ask, never further than the
 * walk it replaces would have read, and kept per shoal_db for every reader after
 * (an older snapshot's partial block, complete in the array, can only have a lower
 * latest time, so the array errs toward reading). Readers on other threads share it
 * under one mutex. */

struct shoal_zpm {
    int64_t *pm;
    uint64_t n, cap;   /* pm[0..n): blocks 0..n-1 */
};

static pthread_mutex_t zpm_mu = PTHREAD_MUTEX_INITIALIZER;

void shoal_zone_zpm_free(shoal_db *db)
{
    if (!db || !db->zpm) return;
    shoal_free(db->zpm->pm);
    shoal_free(db->zpm);
    db->zpm = NULL;
}

/* Forgets the prefix maxima (the zone map is rewritten). */
static void zpm_reset(shoal_db *db)
{
    pthread_mutex_lock(&zpm_mu);
    if (db->zpm) db->zpm->n = 0;
    pthread_mutex_unlock(&zpm_mu);
}

/* The first block at or after b that may hold an event at or after lo, by the prefix
 * maxima (extended with cur, on the zone map, while they fall short of lo); b when
 * they cannot tell (b past the blocks they cover, or out of memory: the walk then
 * starts at b, as before them). */
static uint64_t zpm_first(shoal_reader *r, MDB_cursor *cur, uint64_t b, int64_t lo)
{
    uint64_t full = r->last_seq / SHOAL_ZONE_BLOCK, out = b;
    pthread_mutex_lock(&zpm_mu);
    struct shoal_zpm *c = r->db->zpm;
    if (!c && (c = shoal_malloc(sizeof *c))) {
        memset(c, 0, sizeof *c);
        r->db->zpm = c;
    }
    if (!c || b > c->n) goto done;
    /* in the blocks it covers: a binary search (pm is nondecreasing) */
    uint64_t a = b, z = c->n;
    while (a < z) {
        uint64_t m = a + (z - a) / 2;
        if (c->pm[m] >= lo) z = m;
        else a = m + 1;
    }
    out = a;
    if (a < c->n) goto done;
    /* past them: extended a block at a time, as the walk would have read them */
    unsigned char kb[8];
    shoal_be64_put(kb, c->n);
    MDB_val k = {8, kb}, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && c->n < full;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        shoal_zone e;
        if (shoal_be64_get(k.mv_data) != c->n || shoal_zone_decode(&v, &e) || !sane(&e)) break;
        if (c->n == c->cap) {
            uint64_t cap = c->cap ? 2 * c->cap : 1024;
            int64_t *pm = shoal_realloc(c->pm, cap * sizeof *pm);
            if (!pm) break;
            c->pm = pm, c->cap = cap;
        }
        int64_t before = c->n ? c->pm[c->n - 1] : INT64_MIN;
        c->pm[c->n] = e.max > before ? e.max : before;
        if (c->pm[c->n++] >= lo) break;
    }
    out = c->n && c->pm[c->n - 1] >= lo ? c->n - 1 : c->n;
    if (out < b) out = b;
done:
    pthread_mutex_unlock(&zpm_mu);
    return out;
}

int shoal_zone_skip(shoal_reader *r, uint64_t seq, const int64_t *ranges, int n, uint64_t *next, shoal_err *err)
{
    return shoal_zone_skip_picks(r, seq, ranges, n, next, NULL, NULL, NULL, NULL, err);
}

int shoal_zone_skip_picks(shoal_reader *r, uint64_t seq, const int64_t *ranges, int n, uint64_t *next,
                          uint16_t *picks, int *n_picks, int *cut, uint64_t *late, shoal_err *err)
{
    *next = seq;
    if (n_picks) *n_picks = 0;
    if (cut) *cut = 0;
    if (!r->db->has_zones || seq == 0 || seq > r->last_seq) return SHOAL_OK;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    uint64_t b = (seq - 1) / SHOAL_ZONE_BLOCK;
    if (n > 0) {
        /* the blocks whose times all come before every range: jumped at once */
        int64_t lo = ranges[0];
        for (int i = 1; i < n; i++) lo = ranges[2 * i] < lo ? ranges[2 * i] : lo;
        uint64_t f = zpm_first(r, cur, b, lo);
        if (f > b) {
            b = f;
            uint64_t start = b * SHOAL_ZONE_BLOCK + 1;
            *next = start > r->last_seq ? r->last_seq + 1 : start;
            if (start > r->last_seq) {
                mdb_cursor_close(cur);
                return SHOAL_OK;
            }
        }
    }
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
            hit = frc || zf_judge(&fv, ranges, n, picks, n_picks, cut, late);
            if (!hit && n_picks && *n_picks) {
                /* only some of its late events: the caller reads those */
                *next = b * SHOAL_ZONE_BLOCK + 1;
                break;
            }
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

/* The earliest and latest event times of r's snapshot: the kept span (SPAN_KEY) and
 * the zone map's entries of the blocks after it, or every entry (a read per 4096
 * records); SHOAL_ENOTFOUND when the map does not cover every block. */
static int zone_span(shoal_reader *r, int64_t *lo, int64_t *hi, shoal_err *err)
{
    *lo = INT64_MAX, *hi = INT64_MIN;
    if (!r->db->has_zones) return SHOAL_ENOTFOUND;
    return span_of(r->db, r->txn, r->last_seq, lo, hi, err);
}

int shoal_zone_earliest(shoal_reader *r, int64_t *out, shoal_err *err)
{
    int64_t hi;
    return zone_span(r, out, &hi, err);
}

int shoal_zone_earliest_blocks(shoal_reader *r, uint64_t seq, int64_t *out, shoal_err *err)
{
    int64_t hi;
    *out = INT64_MAX;
    if (!r->db->has_zones) return SHOAL_ENOTFOUND;
    uint64_t whole = (seq < r->last_seq ? seq : r->last_seq) / SHOAL_ZONE_BLOCK * SHOAL_ZONE_BLOCK;
    return whole ? span_of(r->db, r->txn, whole, out, &hi, err) : SHOAL_OK;
}

int shoal_zone_latest(shoal_reader *r, int64_t *out, shoal_err *err)
{
    int64_t lo;
    return zone_span(r, &lo, out, err);
}

int shoal_zone_last_holds(shoal_reader *r, int64_t lo, int64_t hi, shoal_err *err)
{
    if (!r->db->has_zones || r->last_seq == 0) return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(r->txn, r->db->dbi_zones, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read the zone map");
    unsigned char kb[8];
    shoal_be64_put(kb, (r->last_seq - 1) / SHOAL_ZONE_BLOCK);
    MDB_val k = {8, kb}, v;
    shoal_zone z;
    int holds = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    if (rc == 0 && shoal_zone_decode(&v, &z) == 0 && z.min <= z.max)
        holds = (z.min >= lo && z.min < hi) || (z.max >= lo && z.max < hi);
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read the zone map");
    return holds;
}

/* Whether the log may hold an event in [lo, hi), from the cheapest evidence first: the
 * log's span (none when the range lies wholly outside it: a range after now at the end
 * of a day), the last block's earliest and latest events (surely one: a range after a
 * noon now, the events of the afternoon), and only then the walk of the blocks' entries
 * (shoal_zone_skip: 2442 at 10M events, some 0.55M instructions, which every row
 * source's edge and every window's quiet probe paid). */
int shoal_zone_may_hold(shoal_reader *r, int64_t lo, int64_t hi, shoal_err *err)
{
    if (lo >= hi || r->last_seq == 0) return 0;
    if (!r->db->has_zones) return 1;
    int64_t a, b;
    int rc = zone_span(r, &a, &b, err);
    if (rc == SHOAL_OK && (lo > b || hi <= a)) return 0;
    if (rc && rc != SHOAL_ENOTFOUND) return rc;
    if ((rc = shoal_zone_last_holds(r, lo, hi, err))) return rc;
    int64_t rg[2] = {lo, hi};
    uint64_t next;
    if ((rc = shoal_zone_skip(r, 1, rg, 1, &next, err))) return rc;
    return next <= r->last_seq;
}
