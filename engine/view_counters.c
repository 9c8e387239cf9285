/* view_counters.c — the counters kind: per member, per series (types + filter), per
 * local day, the number of events and, for a series that sums a property, the values
 * seen and their sum. Any window made of whole days is then a few buckets per series.
 *
 * Table: key [series u8][day BE u32, sign flipped] → a bucket: flag byte (bit 0: sums
 * follow; bit 1, F_TEXT: an event held text in the summed property, which the sums
 * leave out and a sum or avg over the bucket then reads from the log), then per member in ascending id: varint member delta, varint count, and with
 * sums varint values, zigzag varint integer sum, u8 has-more, then with has-more 2 the
 * exact sum of what the integer sum does not hold (shoal_xsum_put: the non-integral
 * values and any integer overflow), or with has-more 1 (written before exact sums) an
 * f64 double sum, read as that double. Exact sums make a view's sums equal to a scan's
 * to the last bit (xsum.c).
 * Late events land in their own day's bucket. Hot state is only the batch's deltas:
 * end of batch folds them into the buckets they dirtied (one get and one put per
 * bucket, in key order); a log-ordered batch touches one or two days per series.
 *
 * Month rollups: key [series | 0x80][month BE u32, sign flipped] (month = year·12 +
 * month − 1 of the local day) holds the same entries summed over the month, so a
 * window's whole months are one bucket each (all_time over a year: 12 reads instead of
 * 365, and a member active on many days is one entry, not many). A batch folds its
 * day deltas into month deltas as well: one more bucket per series per batch. The key
 * [0xFE] marks a table built with rollups; a table without it (made before them) is
 * read, kept and checked by days only until `shoal rebuild`.
 *
 * Hour buckets for the recent days: key [series | 0xC0][UTC hour BE u32, sign flipped]
 * (hour = floor(ts / 3600000)) holds the same entries over one UTC hour, for the hours
 * from the first kept one on: KEEP_DAYS whole UTC days before the latest event's day
 * (of the events the view has seen), and that day. Every hour at or after it is
 * complete (an event is added when its hour is kept, and the first kept hour only moves
 * forward; a batch deletes the buckets it leaves behind), so the partial days at a
 * window's edges (now mid-day) are whole hours from here and less than an hour from
 * the log. The key [0xFC] says they are kept: the first kept hour (as in the keys) and
 * the header's sequence when last written, so that a table made before them, or one a
 * shoal that keeps none appended to since (its stamp is then not the header's), reads,
 * keeps and checks none until `shoal rebuild`.
 *
 * The month so far: per series that sums nothing, key [series][0x00] (two bytes: it
 * sorts after no key of a walk, since a walk of the series' days starts at a five-byte
 * key [series][position] and a 2-byte key sorts before every 5-byte key it begins)
 * holds the entries of the local days [start of D's month, D), where D is the latest
 * local day of an event of any series the view has seen: what a window that ends
 * inside the latest day reads of that month (a now mid-day), read plainly where it
 * was the month bucket less D's day bucket (read_part). Kept by each batch: its refs
 * of those days added, and when D moves on in its month, D's old day bucket too; a
 * new month starts it empty. The key [0xFB] says they are kept: D (flipped BE u32)
 * and the header's sequence when last written (BE u64), as the hour mark.
 *
 * The instants on the hour: key [0xFA] holds the header's sequence when last written
 * (BE u64), then the kept hours (from the first kept one on: as the hour buckets) whose
 * first instant, ts = hour · 3600000, holds an event of a series, ascending (flipped BE
 * u32 each). A window that starts or ends on an hour (a now at noon: (12:00, 12:00])
 * reads the hour around that instant whole, or leaves it out, when no event of the
 * series lies on it: that was a probe of the log for a millisecond (the zone map's walk
 * over the blocks whose late events may meet it), and is now this key.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "shoal_int.h"
#include "caltime.h"
#include "tz.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* What a batch adds is kept as one ref per (event, series), appended as the events
 * come: the bucket, the member and, for a series that sums a property, the value. No
 * lookup per event (a hash of (bucket, member) cost a cache miss or two per event and
 * series, the largest part of the kind's upkeep): the end of the batch sorts the refs
 * (a radix sort) and merges the runs of one member into the bucket's entry. */
typedef struct dref {
    uint64_t sd;        /* series << 32 | flipped day (a month ref: its month's): the bucket's key order */
    uint32_t m;
    uint32_t i;         /* low VBITS: the value in cstate.val, or NOVAL; above them the event's UTC
                         * hour less the first UTC hour of its local day (0..30: HOFF) */
} dref;

#define VBITS 27
#define NOVAL ((1u << VBITS) - 1)
#define VIX(x) ((x) & NOVAL)
#define HOFF(x) ((x) >> VBITS)

typedef struct cval {
    int64_t i;
    double d;
    int kind;           /* 1 integer, 2 double, 3 text */
} cval;

typedef struct cbucket {
    uint64_t sd;
    unsigned char *p;
    size_t n;
    int used, dirty;
} cbucket;

#define MONTHS 0x80         /* series byte flag of a month bucket */
#define MARK 0xFE           /* the key that says month buckets are kept */
#define PRES 0x40           /* series byte flag of a month's presence bitmap */
#define PMARK 0xFD          /* the key that says presence bitmaps are kept: the series (u64 LE mask)
                             * and the header's sequence when they were last written (BE u64) */
#define HOURS 0xC0          /* series byte flags of an hour bucket (both MONTHS and PRES) */
#define HMARK 0xFC          /* the key that says hour buckets are kept: the first kept hour (flipped
                             * BE u32, as in the keys) and the header's sequence when last written (BE u64) */
#define IMARK 0xFA          /* the key of the instants on the hour that hold an event (kept hours) */
#define FMARK 0xFB          /* the key that says the months so far are kept: D (flipped BE u32, INT32_MIN:
                             * none yet) and the header's sequence when last written (BE u64) */
#define BMARK 0xF9          /* the key that says the months before are kept: D (as FMARK's, flipped BE u32) and
                             * the header's sequence when last written (BE u64) */
#define KEEP_DAYS 35        /* UTC days of hour buckets kept before the latest event's */
#define HOUR_MS 3600000LL
#define F_SUMS 1            /* flag byte: sums follow */
#define F_TEXT 2            /* flag byte: an event of the bucket held text in the summed property */

#define NB_MAX 4096         /* distinct buckets a batch's sort ranks (more: a byte-wise sort) */
#define HSLOTS 8192

typedef struct cstate {
    shoal_view *v;
    int months;             /* month buckets are kept (MARK is in the table) */
    uint64_t pres;          /* the series whose months' presence bitmaps are kept (PMARK) */
    int hours;              /* hour buckets are kept (HMARK, with a current stamp) */
    int64_t h0;             /* the first kept hour */
    int fso;                /* the months so far are kept (FMARK, with a current stamp) */
    int64_t fday;           /* their D: the latest local day of an event seen (INT32_MIN: none) */
    unsigned char *fp[SHOAL_VIEW_MAX_SERIES];   /* each series' month so far: a view being built keeps
                                                 * them across flushes; else this batch's new ones */
    size_t fn[SHOAL_VIEW_MAX_SERIES];
    uint64_t fdirty;        /* the series whose fp is to be written */
    int fbk;                /* the months before are kept (BMARK, current, with FMARK's D) */
    unsigned char *bp[SHOAL_VIEW_MAX_SERIES];   /* each series' months before D's month: as fp */
    size_t bn2[SHOAL_VIEW_MAX_SERIES];
    uint64_t bdirty;        /* the series whose bp is to be written */
    struct bref {           /* merge_all's: a series' refs of a month before dn's, in member order */
        uint32_t se;
        const dref *r;
        size_t n;
        uint32_t fm;        /* the month (flipped, as in month_of_sd) */
    } *br;
    size_t brn, brcap;
    int inst;               /* the instants on the hour are kept (IMARK, with a current stamp) */
    int64_t *ih;            /* the kept hours whose instant holds an event, ascending: a view being
                             * built keeps them across flushes; else this batch's, then the table's */
    size_t ihn, ihcap;
    int64_t ohour;          /* apply's: the start (ms) of the hour of its fixed zone's cache */
    int64_t h_old;          /* h0 before the batch's merges (merge_all) */
    int merged;             /* the batch's merges are done (premerge): flush writes */
    int64_t bmax;           /* the batch's latest event time (INT64_MIN: none) */
    int64_t lday, lbase;    /* apply's last local day and its first UTC hour */
    /* apply's cache in a zone of one offset (fixed): the UTC instants [clo, chi) share a
     * local day (cday) and an hour of it (coff, as apply puts it in a ref); a ts outside
     * it computes them again. Other zones compute both for each event. */
    int fixed;
    int64_t foff;           /* the fixed zone's offset (ms) */
    int64_t clo, chi, cday;
    uint32_t coff;
    dref *hb;               /* a day's refs by hour; kept across batches */
    size_t hbcap;
    dref *r;                /* the batch's refs; memory kept across batches */
    size_t rcap, rn;
    cval *val;
    size_t vcap, vn;
    cbucket *b;
    size_t bcap, bn;
    dref *t;                /* the sort's other array; kept across batches */
    size_t tcap;
    const dref *sorted;     /* the batch's refs sorted (r or t) by prepare, or NULL */
    dref *u;                /* the months' merges' second array */
    size_t ucap;
    /* the sort's buckets: a hash of the batch's distinct keys (sd) to their index in
     * dsd, and each index's rank in key order */
    uint64_t hkey[HSLOTS];
    uint16_t hval[HSLOTS];
    uint64_t dsd[NB_MAX];
    uint32_t rank[NB_MAX];
} cstate;

typedef struct centry {
    uint32_t member;
    uint64_t count, nv;
    int64_t isum;
    int hasd;           /* xs is not empty */
    int legacy;         /* xs was read from an f64 (a bucket written before exact sums) */
    shoal_xsum xs;
} centry;

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static uint64_t hash2(uint64_t a, uint32_t b)
{
    uint64_t h = (a ^ ((uint64_t)b << 21) ^ b) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}

/* The series that keep presence bitmaps: those of every event (no type, no filter, no
 * sum: count(*)), which tell who existed by a month's end. */
static uint64_t pres_series(const shoal_view *v)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < v->def.n_series && i < 63; i++) {   /* (bit 63 of the mark is not a series) */
        const shoal_vseries *se = &v->def.series[i];
        if (!se->n_types && !se->filter.len && !se->sum_prop.len) m |= (uint64_t)1 << i;
    }
    return m;
}

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    cstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    s->v = v;
    s->months = 1;   /* a view being built writes them (and MARK); load reads MARK */
    s->pres = pres_series(v);
    s->hours = 1;    /* likewise (HMARK) */
    s->h0 = INT32_MIN;
    s->fso = 1;      /* likewise (FMARK) */
    s->fbk = 1;      /* likewise (BMARK) */
    s->inst = 1;     /* likewise (IMARK) */
    s->fday = INT32_MIN;
    s->bmax = INT64_MIN;
    s->lday = INT64_MIN;
    s->fixed = shoal_tz_fixed(v->tz);
    s->foff = (int64_t)shoal_tz_offset(v->tz, 0) * 1000;
    s->clo = INT64_MAX, s->chi = INT64_MIN;
    *out = s;
    return SHOAL_OK;
}

/* The presence mark's mask of series: 0 when the table has none, or when its sequence
 * is not the header's (a shoal that keeps no bitmaps appended since: they are stale,
 * and neither read nor kept until a rebuild), or an error (< 0). */
static int64_t pres_mark(MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    const unsigned char *p;
    int rc = shoal_view_mark_get(txn, dbi, PMARK, 8, &p, err);
    if (rc <= 0) return rc;
    uint64_t m = 0;
    for (int i = 7; i >= 0; i--) m = m << 8 | p[i];
    return (int64_t)(m & 0x7FFFFFFFFFFFFFFFULL);
}

/* Writes the presence mark: the series kept, stamped with the sequence the header is
 * about to hold. */
static int pres_mark_put(MDB_txn *txn, MDB_dbi dbi, uint64_t mask, uint64_t seq, shoal_err *err)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(mask >> (8 * i));
    return shoal_view_mark_put(txn, dbi, PMARK, b, sizeof b, seq, err);
}

/* Is the month-rollup mark in the table? 1, 0, or an error. */
static int has_mark(MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    unsigned char k = MARK;
    MDB_val kv = {1, &k}, vv;
    int rc = mdb_get(txn, dbi, &kv, &vv);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    return 1;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

/* The day, month or hour of a bucket's key (sd_key's bytes 1..4, the sign bit flipped). */
static int64_t key_pos(const unsigned char *kp)
{
    return (int32_t)(((uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4]) ^ (1u << 31));
}

/* A mark holding one signed 32-bit number (flipped BE u32, as in the keys): the hour
 * mark's first kept hour (HMARK), the month-so-far mark's D (FMARK). 1 with *x when
 * it is kept and current (its stamp is the header's sequence), 0 when not, or an
 * error (< 0). */
static int num_mark(MDB_txn *txn, MDB_dbi dbi, unsigned char key, int64_t *x, shoal_err *err)
{
    const unsigned char *p;
    int rc = shoal_view_mark_get(txn, dbi, key, 4, &p, err);
    if (rc <= 0) return rc;
    *x = (int32_t)(((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) ^ (1u << 31));
    return 1;
}

static int num_mark_put(MDB_txn *txn, MDB_dbi dbi, unsigned char key, int64_t x, uint64_t seq, shoal_err *err)
{
    uint32_t f = (uint32_t)((uint64_t)x ^ (1ULL << 31));
    unsigned char b[4] = {(unsigned char)(f >> 24), (unsigned char)(f >> 16), (unsigned char)(f >> 8), (unsigned char)f};
    return shoal_view_mark_put(txn, dbi, key, b, sizeof b, seq, err);
}

static int hours_mark(MDB_txn *txn, MDB_dbi dbi, int64_t *h0, shoal_err *err) { return num_mark(txn, dbi, HMARK, h0, err); }
static int fso_mark(MDB_txn *txn, MDB_dbi dbi, int64_t *d, shoal_err *err) { return num_mark(txn, dbi, FMARK, d, err); }

/* Room for n more hours in s->ih: 0, or -1 when out of memory. */
static int inst_room(cstate *s, size_t n)
{
    if (s->ihn + n <= s->ihcap) return 0;
    size_t c = s->ihcap ? s->ihcap : 16;
    while (c < s->ihn + n) c *= 2;
    int64_t *t = shoal_realloc(s->ih, c * sizeof *t);
    if (!t) return -1;
    s->ih = t, s->ihcap = c;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* s->ih sorted, each hour once, those before h0 left out. */
static void inst_compact(cstate *s, int64_t h0)
{
    if (s->ihn > 1) qsort(s->ih, s->ihn, sizeof *s->ih, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < s->ihn; i++)
        if (s->ih[i] >= h0 && (!k || s->ih[k - 1] != s->ih[i])) s->ih[k++] = s->ih[i];
    s->ihn = k;
}

static int inst_put(MDB_txn *txn, MDB_dbi dbi, const cstate *s, uint64_t seq, shoal_err *err)
{
    unsigned char k = IMARK, *b = shoal_malloc(8 + 4 * s->ihn);
    if (!b) return nomem(err);
    shoal_be64_put(b, seq);
    for (size_t i = 0; i < s->ihn; i++) {
        uint32_t f = (uint32_t)((uint64_t)s->ih[i] ^ (1ULL << 31));
        unsigned char *q = b + 8 + 4 * i;
        q[0] = (unsigned char)(f >> 24), q[1] = (unsigned char)(f >> 16), q[2] = (unsigned char)(f >> 8), q[3] = (unsigned char)f;
    }
    MDB_val kv = {1, &k}, vv = {8 + 4 * s->ihn, b};
    int rc = mdb_put(txn, dbi, &kv, &vv, 0);
    shoal_free(b);
    return rc ? shoal_store_err(err, rc, "cannot write a counters view") : SHOAL_OK;
}

/* The instants on the hour: 1 when kept and current (its stamp is the header's
 * sequence), with *p their n hours' bytes (4 each; valid until the transaction writes);
 * 0 when not; or an error (< 0). */
static int inst_get(MDB_txn *txn, MDB_dbi dbi, const unsigned char **p, size_t *n, shoal_err *err)
{
    unsigned char k = IMARK, h = SHOAL_VIEW_HDR;
    MDB_val kv = {1, &k}, vv, hk = {1, &h}, hv;
    int rc = mdb_get(txn, dbi, &kv, &vv);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    if (vv.mv_size < 8 || (vv.mv_size - 8) % 4) return 0;
    if ((rc = mdb_get(txn, dbi, &hk, &hv)) && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    const unsigned char *v = vv.mv_data;
    if (rc || hv.mv_size < 9 || memcmp((const unsigned char *)hv.mv_data + 1, v, 8)) return 0;
    *p = v + 8;
    *n = (vv.mv_size - 8) / 4;
    return 1;
}

static int64_t inst_at(const unsigned char *q)
{
    return (int32_t)(((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]) ^ (1u << 31));
}

/* inst_get, with, when s is not NULL, the hours appended to s->ih. */
static int inst_read(MDB_txn *txn, MDB_dbi dbi, cstate *s, shoal_err *err)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    int rc = inst_get(txn, dbi, &p, &n, err);
    if (rc <= 0 || !s) return rc;
    if (inst_room(s, n)) return nomem(err);
    for (size_t i = 0; i < n; i++) s->ih[s->ihn++] = inst_at(p + 4 * i);
    return 1;
}

/* The first hour kept once the latest event is at t: KEEP_DAYS whole UTC days before
 * its day. */
static int64_t first_hour(int64_t t)
{
    int64_t h = (floor_div(t, 86400000LL) - KEEP_DAYS) * 24;
    return h < INT32_MIN ? INT32_MIN : h > INT32_MAX ? INT32_MAX : h;
}

static int is_hour_sd(uint64_t sd) { return (sd >> 32 & HOURS) == HOURS; }
static int64_t hour_of_sd(uint64_t sd) { return (int32_t)((uint32_t)sd ^ (1u << 31)); }

static void clear_buckets(cstate *s)
{
    for (size_t i = 0; i < s->bcap; i++)
        if (s->b[i].used) shoal_free(s->b[i].p);
    shoal_free(s->b);
    s->b = NULL;
    s->bcap = s->bn = 0;
}

static void reset(void *st)
{
    cstate *s = st;
    shoal_free(s->r);
    shoal_free(s->t);
    shoal_free(s->u);
    shoal_free(s->val);
    shoal_free(s->hb);
    s->hb = NULL;
    s->hbcap = 0;
    s->bmax = INT64_MIN;
    s->lday = INT64_MIN;
    s->merged = 0;
    s->r = s->t = s->u = NULL;
    s->sorted = NULL;
    s->val = NULL;
    s->rcap = s->rn = s->vcap = s->vn = s->tcap = s->ucap = 0;
    for (int i = 0; i < SHOAL_VIEW_MAX_SERIES; i++) {
        shoal_free(s->fp[i]);
        s->fp[i] = NULL;
        s->fn[i] = 0;
    }
    s->fdirty = 0;
    for (int i = 0; i < SHOAL_VIEW_MAX_SERIES; i++) {
        shoal_free(s->bp[i]);
        s->bp[i] = NULL;
        s->bn2[i] = 0;
    }
    s->bdirty = 0;
    shoal_free(s->br);
    s->br = NULL;
    s->brn = s->brcap = 0;
    s->fday = INT32_MIN;   /* (load reads it from the mark; a build starts with none) */
    shoal_free(s->ih);
    s->ih = NULL;
    s->ihn = s->ihcap = 0;
    clear_buckets(s);
}

static void free_state(void *st)
{
    if (!st) return;
    reset(st);
    shoal_free(st);
}

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    /* Nothing is kept across batches but whether month buckets are. */
    cstate *s = v->st;
    int rc = has_mark(txn, dbi, err);
    if (rc < 0) return rc;
    s->months = rc;
    int64_t pm = rc ? pres_mark(txn, dbi, err) : 0;
    if (pm < 0) return (int)pm;
    s->pres = (uint64_t)pm;
    int64_t h0 = INT32_MIN;
    int hm = hours_mark(txn, dbi, &h0, err);
    if (hm < 0) return hm;
    s->hours = hm;
    s->h0 = h0;
    int64_t fd = INT32_MIN;
    int fm = rc ? fso_mark(txn, dbi, &fd, err) : 0;
    if (fm < 0) return fm;
    s->fso = fm;
    s->fday = fd;
    int64_t bd = INT32_MIN;
    int bm = fm ? num_mark(txn, dbi, BMARK, &bd, err) : 0;
    if (bm < 0) return bm;
    s->fbk = bm && bd == fd;
    int im = hm ? inst_read(txn, dbi, NULL, err) : 0;
    if (im < 0) return im;
    s->inst = im;
    return SHOAL_OK;
}

/* Room for n more refs (and, with vals, values). 0, or -1 when out of memory. */
static int reserve(cstate *s, size_t n, int vals)
{
    if (s->rn + n > s->rcap) {
        size_t nc = s->rcap ? s->rcap * 2 : 16384;
        while (nc < s->rn + n) nc *= 2;
        dref *t = shoal_realloc(s->r, nc * sizeof *t);
        if (!t) return -1;
        s->r = t;
        s->rcap = nc;
    }
    if (vals && s->vn + n >= NOVAL) return -1;   /* (a batch holds far fewer) */
    if (vals && s->vn + n > s->vcap) {
        size_t nc = s->vcap ? s->vcap * 2 : 4096;
        while (nc < s->vn + n) nc *= 2;
        cval *t = shoal_realloc(s->val, nc * sizeof *t);
        if (!t) return -1;
        s->val = t;
        s->vcap = nc;
    }
    return 0;
}

static void add_int(int64_t *isum, shoal_xsum *xs, int *hasd, int64_t v)
{
    if (__builtin_add_overflow(*isum, v, isum)) {
        shoal_xsum_add_int(xs, v);
        *hasd = 1;
    }
}

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    cstate *s = v->st;
    /* room for a ref per series (a bound: the popcount of mask was a call into libgcc) */
    if (reserve(s, v->def.n_series, 1)) return nomem(err);
    int64_t day;
    uint32_t off = 0;
    if (s->fixed) {
        if (ev->ts < s->clo || ev->ts >= s->chi) {
            /* day and hour as shoal_view_day and the branch below make them in such a zone */
            int64_t h = floor_div(ev->ts, HOUR_MS);
            int64_t d = floor_div(ev->ts + s->foff, SHOAL_MS_PER_DAY);
            int64_t ds = d * SHOAL_MS_PER_DAY - s->foff;
            s->clo = h * HOUR_MS > ds ? h * HOUR_MS : ds;
            s->chi = (h + 1) * HOUR_MS < ds + SHOAL_MS_PER_DAY ? (h + 1) * HOUR_MS : ds + SHOAL_MS_PER_DAY;
            s->cday = d;
            s->coff = (uint32_t)(h - floor_div(ds, HOUR_MS)) << VBITS;
            s->ohour = h * HOUR_MS;
        }
        day = s->cday;
        if (s->hours) {
            off = s->coff;
            if (ev->ts > s->bmax) s->bmax = ev->ts;
            if (ev->ts == s->ohour && s->inst) {   /* an event on the hour's first instant (rare) */
                if (inst_room(s, 1)) return nomem(err);
                s->ih[s->ihn++] = ev->ts / HOUR_MS;
            }
        }
    } else {
        day = shoal_view_day(v->tz, ev->ts);
        if (s->hours) {
            if (day != s->lday) {
                s->lday = day;
                s->lbase = floor_div(shoal_view_day_start(v->tz, day), HOUR_MS);
            }
            int64_t o = floor_div(ev->ts, HOUR_MS) - s->lbase;
            if (o < 0 || o > 30)
                return shoal_err_set(err, SHOAL_EINVAL, -1, -1,
                                     "an event's hour is not within its local day (view \"%s\")", v->dbname + 2);
            off = (uint32_t)o << VBITS;
            if (ev->ts > s->bmax) s->bmax = ev->ts;
            if (ev->ts % HOUR_MS == 0 && s->inst) {
                if (inst_room(s, 1)) return nomem(err);
                s->ih[s->ihn++] = floor_div(ev->ts, HOUR_MS);
            }
        }
    }
    uint32_t fday = (uint32_t)((uint64_t)day ^ (1ULL << 31));
    for (uint32_t i = 0; mask; i++, mask >>= 1) {
        if (!(mask & 1)) continue;
        uint32_t vi = NOVAL;
        if (v->def.series[i].sum_prop.len) {
            cval x = {0, 0, 0};
            int is_num, k = shoal_view_sum_value(v, i, ev, &x.i, &x.d, &is_num);
            if (k) {
                x.kind = k == 2 ? 3 : is_num ? 2 : 1;
                vi = (uint32_t)s->vn;
                s->val[s->vn++] = x;
            }
        }
        s->r[s->rn++] = (dref){(uint64_t)i << 32 | fday, ev->member, vi | off};
    }
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- buckets */

static cbucket *bucket_at(cstate *s, uint64_t sd, int *fresh)
{
    if ((s->bn + 1) * 2 > s->bcap) {
        size_t nc = s->bcap ? s->bcap * 2 : 256;
        cbucket *t = shoal_malloc(nc * sizeof *t);
        if (!t) return NULL;
        memset(t, 0, nc * sizeof *t);
        for (size_t i = 0; i < s->bcap; i++)
            if (s->b[i].used) {
                size_t j = hash2(s->b[i].sd, 0) & (nc - 1);
                while (t[j].used) j = (j + 1) & (nc - 1);
                t[j] = s->b[i];
            }
        shoal_free(s->b);
        s->b = t;
        s->bcap = nc;
    }
    size_t j = hash2(sd, 0) & (s->bcap - 1);
    while (s->b[j].used) {
        if (s->b[j].sd == sd) {
            *fresh = 0;
            return &s->b[j];
        }
        j = (j + 1) & (s->bcap - 1);
    }
    cbucket *b = &s->b[j];
    memset(b, 0, sizeof *b);
    b->used = 1;
    b->sd = sd;
    s->bn++;
    *fresh = 1;
    return b;
}

/* Decodes one entry; returns the next position or NULL when malformed. */
/* An entry's member (the delta from *prev, which becomes it) and count: two varints,
 * mostly a byte each, so that pair is read at once when it can be. The rest of the
 * entry, if any, follows at the returned pointer; NULL when it does not decode. */
static inline const unsigned char *dec_head(const unsigned char *p, const unsigned char *end, uint32_t *prev,
                                            uint64_t *count)
{
    uint64_t dm;
    if (end - p >= 2 && !((p[0] | p[1]) & 0x80)) {
        dm = p[0], *count = p[1];
        p += 2;
    } else if (end - p >= 3 && (p[0] & 0x80) && !((p[1] | p[2]) & 0x80)) {
        /* a delta of two bytes (an hour's or a day's members, hundreds of ids apart) */
        dm = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7, *count = p[2];
        p += 3;
    } else {
        size_t k1 = shoal_varint_get(p, end, &dm), k2 = k1 ? shoal_varint_get(p + k1, end, count) : 0;
        if (!k2) return NULL;
        p += k1 + k2;
    }
    if (dm > UINT32_MAX - *prev) return NULL;
    *prev += (uint32_t)dm;
    return p;
}

/* The bytes from p on, up to 16 and before end, that are whole entries of a byte each
 * for the delta and the count (no byte with its high bit: the common form), as a
 * count of entries: the loops of counts read narrow take those in line, a pair of
 * loads and an add a member, where dec_quick tests the form at each (the tiers'
 * month buckets: some 45k entries of which most are so). */
static inline __attribute__((always_inline)) unsigned clean_pairs(const unsigned char *p, const unsigned char *end,
                                                                     uint64_t pv, uint64_t nm)
{
#ifdef __SSE2__
    if (end - p < 16) return 0;
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned hi = (unsigned)_mm_movemask_epi8(x);
    if (hi) return (unsigned)__builtin_ctz(hi) / 2;
    /* eight: 8 when their last member is within nm (the deltas' sum), else 7 (the
     * caller's loop of one at a time tests each) */
    __m128i s = _mm_sad_epu8(_mm_and_si128(x, _mm_set1_epi16(0xFF)), _mm_setzero_si128());
    uint64_t sum = (uint64_t)_mm_cvtsi128_si32(s) + (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(s, 8));
    return pv + sum <= nm ? 8 : 7;
#else
    (void)p, (void)end, (void)pv, (void)nm;
    return 0;
#endif
}

/* dec_head for the loops of counts read narrow, which compare the member with n_members
 * (below 2^32) after each entry: the member kept in 64 bits, so that the common forms
 * (a delta of one or two bytes, a count of one) need no test of overflow. */
static inline __attribute__((always_inline)) const unsigned char *dec_quick(const unsigned char *p,
                                                                           const unsigned char *end, uint64_t *pv,
                                                                           uint64_t *count)
{
    if (end - p >= 3) {
        if (!((p[0] | p[1]) & 0x80)) {
            *pv += p[0], *count = p[1];
            return p + 2;
        }
        if (!((p[1] | p[2]) & 0x80)) {   /* (p[0] has its high bit: the form above is not it) */
            *pv += (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7, *count = p[2];
            return p + 3;
        }
    }
    uint32_t pr = (uint32_t)*pv;   /* (at most n_members here) */
    p = dec_head(p, end, &pr, count);
    *pv = pr;
    return p;
}

/* dec_quick for buckets whose members are far apart (an hour's: deltas of one byte and
 * of two about as often), without a branch on which: the two forms' delta and count
 * made at once and picked by the first byte's high bit (that branch was mispredicted
 * at some half of an hour bucket's entries). */
static inline __attribute__((always_inline)) const unsigned char *dec_mixed(const unsigned char *p,
                                                                           const unsigned char *end, uint64_t *pv,
                                                                           uint64_t *count)
{
    if (end - p >= 3) {
        uint64_t b0 = p[0], b1 = p[1], b2 = p[2], two = b0 >> 7, m2 = 0 - two;
        uint64_t cb = b1 ^ ((b1 ^ b2) & m2);   /* the count's byte: p[2] after a delta of two */
        if (!(((b1 & m2) | cb) & 0x80)) {
            *pv += (b0 & 0x7f) | ((b1 << 7) & m2);
            *count = cb;
            return p + 2 + two;
        }
    }
    return dec_quick(p, end, pv, count);
}

static const unsigned char *dec_entry(const unsigned char *p, const unsigned char *end, int sums, uint32_t *prev,
                                      centry *e)
{
    uint64_t c, nv = 0, zs = 0;
    size_t k;
    memset(e, 0, sizeof *e);
    if (!(p = dec_head(p, end, prev, &c))) return NULL;
    if (sums) {
        if (!(k = shoal_varint_get(p, end, &nv))) return NULL;
        p += k;
        if (!(k = shoal_varint_get(p, end, &zs))) return NULL;
        p += k;
        if (p >= end) return NULL;
        int more = *p++;
        if (more == 1) {
            double d;
            if (end - p < 8) return NULL;
            memcpy(&d, p, 8);
            p += 8;
            shoal_xsum_add_double(&e->xs, d);
            e->hasd = e->legacy = 1;
        } else if (more == 2) {
            if (!(k = shoal_xsum_get(p, end, &e->xs))) return NULL;
            p += k;
            e->hasd = 1;
        } else if (more) {
            return NULL;
        }
    }
    e->member = *prev;
    e->count = c;
    e->nv = nv;
    e->isum = shoal_unzigzag(zs);
    return p;
}

static size_t enc_entry(unsigned char *p, int sums, uint32_t prev, const centry *e)
{
    size_t n = shoal_varint_put(p, e->member - prev);
    n += shoal_varint_put(p + n, e->count);
    if (sums) {
        n += shoal_varint_put(p + n, e->nv);
        n += shoal_varint_put(p + n, shoal_zigzag(e->isum));
        p[n++] = (unsigned char)(e->hasd ? 2 : 0);
        if (e->hasd) n += shoal_xsum_put(p + n, &e->xs);
    }
    return n;
}

#define ENTRY_MAX (5 + 10 + 10 + 10 + 1 + SHOAL_XSUM_BYTES)

/* The batch's deltas in (bucket, member) order: an LSD radix sort, by member then
 * stably by bucket, one byte per pass, skipping the bytes on which every key agrees
 * (most of them: a batch holds few buckets and member ids use three bytes). It
 * replaced a comparison sort that cost as much as the rest of the counters' apply. */

static dref *radix_sort(dref *a, dref *b, size_t n)
{
    for (int pass = 0; pass < 9; pass++) {
        size_t cnt[256] = {0};
        int shift = pass < 4 ? pass * 8 : (pass - 4) * 8;
        for (size_t i = 0; i < n; i++) cnt[(pass < 4 ? a[i].m >> shift : a[i].sd >> shift) & 255]++;
        int one = 0;
        for (int k = 0; k < 256 && !one; k++) one = cnt[k] == n;
        if (one) continue;
        size_t sum = 0;
        for (int k = 0; k < 256; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) b[cnt[(pass < 4 ? a[i].m >> shift : a[i].sd >> shift) & 255]++] = a[i];
        dref *t = a;
        a = b;
        b = t;
    }
    return a;
}

static int cmp_sd(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The same order in fewer passes: a batch holds few buckets (a series' day or two and
 * its month, and the days of late events), so each ref's bucket is replaced by its rank
 * among the batch's buckets, found in a small hash, and the refs are sorted by rank ·
 * 2^bits(member) + member, 11 bits or fewer a pass: 3 passes at 300k members instead
 * of the byte-wise sort's 5 or 6 (that sort was 15% of the writing thread with every
 * demo view). More than NB_MAX buckets in a batch (shuffled input): the byte-wise sort. */
static dref *sort_refs(cstate *s, dref *a, dref *b, size_t n)
{
    memset(s->hval, 0xFF, sizeof s->hval);
    uint32_t nd = 0, maxm = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t sd = a[i].sd;
        uint32_t h = (uint32_t)((sd * 0x9E3779B97F4A7C15ULL) >> 51);
        while (s->hval[h] != 0xFFFF && s->hkey[h] != sd) h = (h + 1) & (HSLOTS - 1);
        if (s->hval[h] == 0xFFFF) {
            if (nd == NB_MAX) {
                for (size_t j = 0; j < i; j++) a[j].sd = s->dsd[a[j].sd];
                return radix_sort(a, b, n);
            }
            s->hkey[h] = sd;
            s->hval[h] = (uint16_t)nd;
            s->dsd[nd++] = sd;
        }
        a[i].sd = s->hval[h];
        if (a[i].m > maxm) maxm = a[i].m;
    }
    /* rank of each index: the distinct keys sorted, looked up through the hash */
    uint64_t *sorted = s->hkey;   /* the hash is done with: its keys are in dsd */
    memcpy(sorted, s->dsd, nd * sizeof *sorted);
    qsort(sorted, nd, sizeof *sorted, cmp_sd);
    for (uint32_t d = 0; d < nd; d++) {
        uint32_t lo = 0, hi = nd;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (sorted[mid] < s->dsd[d]) lo = mid + 1;
            else hi = mid;
        }
        s->rank[d] = lo;
    }
    int mbits = maxm ? 32 - __builtin_clz(maxm) : 0, rbits = nd > 1 ? 32 - __builtin_clz(nd - 1) : 0;
    int total = mbits + rbits, passes = (total + 10) / 11, dbits = passes ? (total + passes - 1) / passes : 0;
    uint32_t mask = ((uint32_t)1 << dbits) - 1;
    for (size_t i = 0; i < n; i++) a[i].sd = (uint64_t)s->rank[a[i].sd] << mbits | a[i].m;
    for (int p = 0; p < passes; p++) {
        size_t cnt[2048] = {0};
        int shift = p * dbits;
        for (size_t i = 0; i < n; i++) cnt[a[i].sd >> shift & mask]++;
        if (cnt[a[0].sd >> shift & mask] == n) continue;
        size_t sum = 0;
        for (uint32_t k = 0; k <= mask; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) b[cnt[a[i].sd >> shift & mask]++] = a[i];
        dref *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++) a[i].sd = sorted[a[i].sd >> mbits];
    return a;
}

/* The merged bytes out[0..len) become bucket b's, dirty (merge_counts and merge_sums end so). */
static void bucket_replace(cbucket *b, unsigned char *out, size_t len)
{
    shoal_free(b->p);
    b->p = out;
    b->n = len;
    b->dirty = 1;
}

/* The sorted refs r[0..n) merged into bucket b, whose entries are old[0..old_n) (the
 * refs of one member, its events over
 * several days for a month, summed into its entry), for a series that sums nothing:
 * its entries are two varints each, the member's
 * delta from the entry before and the count, so an entry no ref changes is copied as its
 * bytes (its delta is the same when the entry before it is the bucket's own) and only
 * the changed ones, the new ones and the one after a new one are encoded. A month
 * bucket holds every member active that month and a batch changes a third of them or
 * fewer: decoding every entry into a centry and encoding it again was most of the
 * kind's flush. The bytes are what decoding and encoding every entry gave (varints are
 * written one way). */
static int merge_counts(cbucket *b, const unsigned char *old, size_t old_n, const dref *r, size_t n, shoal_err *err)
{
    /* a new entry takes at most 5 + 10 bytes, a changed one grows by at most 10 */
    unsigned char *out = shoal_malloc(old_n + n * 15 + 1), *q = out;
    if (!out) return nomem(err);
    const unsigned char *p = old, *end = p ? p + old_n : NULL;
    if (p && p < end) p++;   /* the old flag byte */
    *q++ = 0;
    uint32_t prev_in = 0, prev_out = 0;
    size_t i = 0;
    for (;;) {
        /* the entries before the next ref's member: as they are, but the first when the
         * entry written before it is a new one */
        uint32_t m = i < n ? r[i].m : 0, hm = 0;
        uint64_t hc = 0;
        const unsigned char *span = p, *hnx = NULL;
        while (p && p < end) {
            /* Copying as they are: four entries of one-byte varints at a time (an
             * 8-byte word without a high bit) while the fourth is before m (members
             * ascend). Most entries of a month bucket are two bytes; this loop, one at
             * a time, was most of the counters' flush at 10M events. */
            if (prev_out == prev_in)
                while (end - p >= 8) {
                    uint64_t w;
                    memcpy(&w, p, 8);
                    if (w & 0x8080808080808080ULL) break;
                    uint64_t last = (uint64_t)prev_in + (w & 0xFF) + (w >> 16 & 0xFF) + (w >> 32 & 0xFF) + (w >> 48 & 0xFF);
                    if (last > UINT32_MAX || (i < n && last >= m)) break;
                    prev_in = prev_out = (uint32_t)last;
                    p += 8;
                }
            if (p == end) break;
            hm = prev_in;
            if (!(hnx = dec_head(p, end, &hm, &hc))) {
                shoal_free(out);
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket does not decode");
            }
            if (i < n && hm >= m) break;
            if (prev_out != prev_in) {
                q += shoal_varint_put(q, hm - prev_out);
                q += shoal_varint_put(q, hc);
                span = hnx;
            }
            prev_in = prev_out = hm;
            p = hnx;
            hnx = NULL;
        }
        if (p != span) {
            memcpy(q, span, (size_t)(p - span));
            q += p - span;
        }
        if (i == n) break;
        uint64_t c = 0;
        for (; i < n && r[i].m == m; i++) c++;
        if (hnx && hm == m) {   /* the member's entry: its count and the refs' */
            c += hc;
            prev_in = hm;
            p = hnx;
        }
        q += shoal_varint_put(q, m - prev_out);
        q += shoal_varint_put(q, c);
        prev_out = m;
    }
    bucket_replace(b, out, (size_t)(q - out));
    return SHOAL_OK;
}

/* The same for a series that sums a property, copying what no ref changes: an entry whose
 * sums are an integer sum alone (has-more 0: every value an integer, no overflow) is
 * copied as its bytes, its head encoded again only when the entry before it is a new
 * one (as merge_counts does); the entries of the refs' members, and those with more
 * than an integer sum (has-more 2, or an f64 of before exact sums, written exact from
 * then on), are decoded and encoded (dec_entry, enc_entry). A month bucket of
 * sum(post.words) holds every member who posted that month: decoding and encoding each
 * of them every batch (as every entry was before session 13) was most of this merge's
 * cost. The bytes are the same: an entry of has-more 0 encodes as it decodes. */
static int merge_sums(cbucket *b, const unsigned char *old, size_t old_n, const cstate *s, const dref *r, size_t n,
                      shoal_err *err)
{
    size_t cap = old_n + n * ENTRY_MAX + 1;
    unsigned char *out = shoal_malloc(cap), *q = out;
    if (!out) return nomem(err);
    const unsigned char *p = old, *end = p ? p + old_n : NULL;
    int text = p && p < end && (*p & F_TEXT);
    if (p && p < end) p++;   /* the old flag byte */
    for (size_t j = 0; j < n; j++)
        if (VIX(r[j].i) != NOVAL) text |= s->val[VIX(r[j].i)].kind == 3;
    *q++ = (unsigned char)(F_SUMS | (text ? F_TEXT : 0));
    uint32_t prev_in = 0, prev_out = 0;
    size_t i = 0;
    centry e;
    for (;;) {
        uint32_t m = i < n ? r[i].m : 0, hm = 0;
        int at = 0;   /* p is at an entry of member hm >= m */
        const unsigned char *span = p;
        while (p && p < end) {
            uint64_t hc, x;
            size_t k;
            hm = prev_in;
            const unsigned char *body = dec_head(p, end, &hm, &hc), *t = body;
            if (!t) goto bad;
            if (i < n && hm >= m) {
                at = 1;
                break;
            }
            if (!(k = shoal_varint_get(t, end, &x))) goto bad;
            t += k;
            if (!(k = shoal_varint_get(t, end, &x))) goto bad;
            t += k;
            if (t >= end) goto bad;
            if (*t == 0) {   /* an integer sum alone: its bytes */
                t++;
                if (prev_out != prev_in) {
                    memcpy(q, span, (size_t)(p - span));
                    q += p - span;
                    q += shoal_varint_put(q, hm - prev_out);
                    q += shoal_varint_put(q, hc);
                    memcpy(q, body, (size_t)(t - body));
                    q += t - body;
                    span = t;
                }
                prev_in = prev_out = hm;
                p = t;
                continue;
            }
            memcpy(q, span, (size_t)(p - span));
            q += p - span;
            uint32_t pi = prev_in;
            if (!(t = dec_entry(p, end, 1, &pi, &e))) goto bad;
            q += enc_entry(q, 1, prev_out, &e);
            prev_in = prev_out = e.member;
            span = p = t;
        }
        if (p != span) {
            memcpy(q, span, (size_t)(p - span));
            q += p - span;
        }
        if (i == n) break;
        centry o;
        memset(&o, 0, sizeof o);
        if (at && hm == m) {   /* the member's entry: its sums and the refs' */
            uint32_t pi = prev_in;
            const unsigned char *t = dec_entry(p, end, 1, &pi, &e);
            if (!t) goto bad;
            o = e;
            prev_in = pi;
            p = t;
        }
        o.member = m;
        for (; i < n && r[i].m == m; i++) {
            o.count++;
            if (VIX(r[i].i) == NOVAL) continue;
            const cval *x = &s->val[VIX(r[i].i)];
            if (x->kind == 1) {
                o.nv++;
                add_int(&o.isum, &o.xs, &o.hasd, x->i);
            } else if (x->kind == 2) {
                o.nv++;
                shoal_xsum_add_double(&o.xs, x->d);
                o.hasd = 1;
            }
        }
        q += enc_entry(q, 1, prev_out, &o);
        prev_out = m;
    }
    bucket_replace(b, out, (size_t)(q - out));
    return SHOAL_OK;
bad:
    shoal_free(out);
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket does not decode");
}

/* Sets the bits of the members of the sorted refs r[0..n) in presence bitmap b (bit m
 * of byte m / 8; the value as long as its highest member needs). */
static int pres_merge(cbucket *b, const dref *r, size_t n, shoal_err *err)
{
    size_t need = r[n - 1].m / 8 + 1;
    if (need > b->n) {
        unsigned char *t = shoal_realloc(b->p, need);
        if (!t) return nomem(err);
        memset(t + b->n, 0, need - b->n);
        b->p = t;
        b->n = need;
    }
    for (size_t i = 0; i < n; i++) b->p[r[i].m >> 3] |= (unsigned char)(1u << (r[i].m & 7));
    b->dirty = 1;
    return SHOAL_OK;
}

static void sd_key(uint64_t sd, unsigned char *k)
{
    k[0] = (unsigned char)(sd >> 32);
    k[1] = (unsigned char)(sd >> 24);
    k[2] = (unsigned char)(sd >> 16);
    k[3] = (unsigned char)(sd >> 8);
    k[4] = (unsigned char)sd;
}

static int cmp_bucket(const void *a, const void *b)
{
    const cbucket *x = *(const cbucket *const *)a, *y = *(const cbucket *const *)b;
    return (x->sd > y->sd) - (x->sd < y->sd);
}

/* The flipped month (the key's low word of a month bucket) of a day ref's key. */
static uint32_t month_of_sd(uint64_t sd)
{
    int64_t day = (int32_t)((uint32_t)sd ^ (1u << 31));
    return (uint32_t)((uint64_t)shoal_cal_month_of_day(day) ^ (1ULL << 31));
}

/* The refs l[a..e), runs of equal keys each in member order (a series' days of one
 * month, in key order), as one run in member order, stable (the earlier run first,
 * each run's refs in their order): what a pairwise merge of the runs gives, by a
 * stable LSD radix sort on the member alone, 11 bits or fewer a pass, from l into y
 * through x. Pairwise merges took log2(runs) passes of unpredictable compares (a
 * batch holds a month's days and the days of its late events): a fifth of the
 * counters' flush at 10M events. The refs' sd are left as they are (fold reads only
 * the members and values). */
static void month_order(const dref *l, size_t a, size_t e, dref *x, dref *y)
{
    size_t n = e - a;
    uint32_t maxm = 0;
    for (size_t i = a; i < e; i++)
        if (l[i].m > maxm) maxm = l[i].m;
    int mbits = maxm ? 32 - __builtin_clz(maxm) : 0, passes = (mbits + 10) / 11;
    int dbits = passes ? (mbits + passes - 1) / passes : 0;
    uint32_t mask = ((uint32_t)1 << dbits) - 1;
    if (!passes) {
        memcpy(y, l + a, n * sizeof *y);
        return;
    }
    /* the passes alternate between x and y, ending in y */
    const dref *src = l + a;
    dref *dst = passes % 2 ? y : x;
    for (int p = 0; p < passes; p++) {
        size_t cnt[2048] = {0};
        int shift = p * dbits;
        for (size_t i = 0; i < n; i++) cnt[src[i].m >> shift & mask]++;
        size_t sum = 0;
        for (uint32_t k = 0; k <= mask; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[src[i].m >> shift & mask]++] = src[i];
        src = dst;
        dst = dst == x ? y : x;
    }
}

/* The refs r[0..n) into bucket sd, read from the table first when the batch has not
 * touched it yet; sums: whether the series sums a property, or -1 for a month's
 * presence bitmap (PRES), which takes the members only. A bucket's entries are merged
 * from the table's bytes where they lie (valid until the next write of the
 * transaction, and the flush writes once every bucket is merged) into a new buffer:
 * copying them out first cost a copy of every bucket a batch touches. A presence
 * bitmap is changed in place: copied. */
static int fold(shoal_view *v, cstate *s, MDB_txn *txn, MDB_dbi dbi, uint64_t sd, int sums, const dref *r, size_t n,
                shoal_err *err)
{
    int fresh;
    cbucket *b = bucket_at(s, sd, &fresh);
    if (!b) return nomem(err);
    const unsigned char *old = b->p;
    size_t old_n = b->n;
    if (fresh && !v->built && txn) {
        unsigned char k[SHOAL_COUNTERS_KEY];
        sd_key(b->sd, k);
        MDB_val kv = {sizeof k, k}, vv;
        int lrc = mdb_get(txn, dbi, &kv, &vv);
        if (lrc == 0) {
            old = vv.mv_data;
            old_n = vv.mv_size;
            if (sums < 0) {
                if (!(b->p = shoal_malloc(vv.mv_size ? vv.mv_size : 1))) return nomem(err);
                memcpy(b->p, vv.mv_data, vv.mv_size);
                b->n = vv.mv_size;
            }
        } else if (lrc != MDB_NOTFOUND) {
            return shoal_store_err(err, lrc, "cannot read a counters bucket");
        }
    }
    return sums < 0 ? pres_merge(b, r, n, err)
         : sums     ? merge_sums(b, old, old_n, s, r, n, err)
                    : merge_counts(b, old, old_n, r, n, err);
}

/* The refs r[0..n) of one series' day bucket sd (in member order) into the hour
 * buckets of their hours at or after h0: split by hour, stably (each hour's run stays
 * in member order), each run folded into its hour's bucket. */
static int fold_hours(shoal_view *v, cstate *s, MDB_txn *txn, MDB_dbi dbi, uint64_t sd, int sums, const dref *r, size_t n,
                      int64_t h0, shoal_err *err)
{
    int64_t day = (int32_t)((uint32_t)sd ^ (1u << 31));
    int64_t base = floor_div(shoal_view_day_start(v->tz, day), HOUR_MS);
    if (base + 31 < h0) return SHOAL_OK;
    size_t cnt[33] = {0};
    for (size_t i = 0; i < n; i++) cnt[HOFF(r[i].i) + 1]++;
    for (int h = 1; h < 33; h++) cnt[h] += cnt[h - 1];
    if (s->hbcap < n) {
        size_t c = s->hbcap ? s->hbcap : 4096;
        while (c < n) c *= 2;
        dref *t = shoal_realloc(s->hb, c * sizeof *t);
        if (!t) return nomem(err);
        s->hb = t;
        s->hbcap = c;
    }
    size_t at[32];
    memcpy(at, cnt, sizeof at);
    for (size_t i = 0; i < n; i++) s->hb[at[HOFF(r[i].i)]++] = r[i];
    uint64_t se = (sd >> 32) | HOURS;
    for (int h = 0; h < 32; h++) {
        if (cnt[h] == cnt[h + 1] || base + h < h0) continue;
        uint32_t fh = (uint32_t)((uint64_t)(base + h) ^ (1ULL << 31));
        int rc = fold(v, s, txn, dbi, se << 32 | fh, sums, s->hb + cnt[h], cnt[h + 1] - cnt[h], err);
        if (rc) return rc;
    }
    return SHOAL_OK;
}

/* Deletes the hour buckets of every series before hour h0. */
static int drop_hours(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int64_t h0, shoal_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot write a counters view");
    for (uint32_t se = 0; se < v->def.n_series && !rc; se++) {
        unsigned char kb[SHOAL_COUNTERS_KEY];
        sd_key((uint64_t)(se | HOURS) << 32, kb);
        MDB_val k = {sizeof kb, kb}, val;
        for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
            const unsigned char *kp = k.mv_data;
            if (k.mv_size != SHOAL_COUNTERS_KEY || kp[0] != (se | HOURS) || key_pos(kp) >= h0) break;
            if ((rc = mdb_cursor_del(cur, 0))) break;
        }
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    mdb_cursor_close(cur);
    return rc ? shoal_store_err(err, rc, "cannot write a counters view") : SHOAL_OK;
}

/* The bucket sd when the batch (or the build) has it, else NULL; none is made. */
static const cbucket *bucket_find(const cstate *s, uint64_t sd)
{
    if (!s->bcap) return NULL;
    size_t j = hash2(sd, 0) & (s->bcap - 1);
    while (s->b[j].used) {
        if (s->b[j].sd == sd) return &s->b[j];
        j = (j + 1) & (s->bcap - 1);
    }
    return NULL;
}

/* Two buckets of a series that sums nothing (a flag byte, then entries; or no bytes:
 * empty) as one, each member's counts added, into *out (owned; free with shoal_free). */
static int merge_two(const unsigned char *a, size_t an, const unsigned char *b, size_t bn, unsigned char **out,
                     size_t *on, shoal_err *err)
{
    static const unsigned char none[1];
    if (!a) a = none, an = 0;   /* (no arithmetic on a null pointer) */
    if (!b) b = none, bn = 0;
    unsigned char *o = shoal_malloc(an + bn + 1), *q = o;
    if (!o) return nomem(err);
    const unsigned char *pa = an ? a + 1 : a, *ea = a + an, *pb = bn ? b + 1 : b, *eb = b + bn;
    *q++ = 0;
    uint32_t ma = 0, mb = 0, prev = 0;
    uint64_t ca = 0, cb = 0;
    const unsigned char *na = pa < ea ? dec_head(pa, ea, &ma, &ca) : NULL, *nb = pb < eb ? dec_head(pb, eb, &mb, &cb) : NULL;
    if ((pa < ea && !na) || (pb < eb && !nb)) goto bad;
    while (na || nb) {
        uint32_t m;
        uint64_t c = 0;
        int ta = na && (!nb || ma <= mb), tb = nb && (!na || mb <= ma);
        m = ta ? ma : mb;
        if (ta) c += ca;
        if (tb) c += cb;
        /* (a delta and a count take at most 5 + 10 bytes, never more than the entries
         * read: each read entry's bytes are at least its own varints) */
        q += shoal_varint_put(q, m - prev);
        q += shoal_varint_put(q, c);
        prev = m;
        if (ta) {
            pa = na;
            na = pa < ea ? dec_head(pa, ea, &ma, &ca) : NULL;
            if (pa < ea && !na) goto bad;
        }
        if (tb) {
            pb = nb;
            nb = pb < eb ? dec_head(pb, eb, &mb, &cb) : NULL;
            if (pb < eb && !nb) goto bad;
        }
    }
    *out = o;
    *on = (size_t)(q - o);
    return SHOAL_OK;
bad:
    shoal_free(o);
    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket does not decode");
}

/* The months so far after a batch whose latest day is dn (fday's, or later): per
 * series that sums nothing, the old bucket (none when dn is in another month than
 * fday), plus fday's day bucket when dn is past it in its month (the batch has merged
 * its refs of fday into it), plus the batch's refs of the other days [start of dn's
 * month, dn) (fr[se][0..frn[se]): the series' refs of dn's month, in member order).
 * The days between fday and dn had no event before the batch (fday was the latest),
 * nor had dn's month when fday was in an earlier one: so the bucket holds exactly
 * those days' entries. Into s->fp, the series changed marked in s->fdirty. */
static int fso_update(shoal_view *v, cstate *s, MDB_txn *txn, MDB_dbi dbi, int64_t dn, const dref *const *fr,
                      const size_t *frn, shoal_err *err)
{
    int64_t od = s->fday;
    int64_t mo = shoal_cal_month_of_day(dn), ms = shoal_cal_month_start(mo);
    int same = od != INT32_MIN && shoal_cal_month_of_day(od) == mo, turn = same && dn > od;
    dref *f = NULL;
    size_t fcap = 0;
    int rc = SHOAL_OK;
    for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES && !rc; se++) {
        if (v->def.series[se].sum_prop.len) continue;
        /* the batch's refs of [ms, dn), less fday's when its day bucket is added */
        size_t nf = 0;
        if (frn[se] > fcap) {
            shoal_free(f);
            if (!(f = shoal_malloc(frn[se] * sizeof *f))) return nomem(err);
            fcap = frn[se];
        }
        for (size_t i = 0; i < frn[se]; i++) {
            int64_t d = (int32_t)((uint32_t)fr[se][i].sd ^ (1u << 31));
            if (d >= ms && d < dn && !(turn && d == od)) f[nf++] = fr[se][i];
        }
        if (same && !turn && !nf) continue;
        /* the old bucket */
        const unsigned char *op = NULL;
        size_t on = 0;
        unsigned char *own = NULL;   /* what op points into when it is ours */
        if (same) {
            if (v->built || !txn) {
                op = s->fp[se], on = s->fn[se];
            } else {
                unsigned char k[2] = {(unsigned char)se, 0};
                MDB_val kv = {2, k}, vv;
                int lrc = mdb_get(txn, dbi, &kv, &vv);
                if (lrc == 0) op = vv.mv_data, on = vv.mv_size;
                else if (lrc != MDB_NOTFOUND) rc = shoal_store_err(err, lrc, "cannot read a counters bucket");
            }
        }
        if (!rc && turn) {
            /* fday's day bucket, with the batch's refs of that day */
            uint64_t sd = (uint64_t)se << 32 | (uint32_t)((uint64_t)od ^ (1ULL << 31));
            const cbucket *db = bucket_find(s, sd);
            const unsigned char *dp = NULL;
            size_t dl = 0;
            if (db && db->p) {
                dp = db->p, dl = db->n;
            } else if (db == NULL && !v->built && txn) {
                unsigned char k[SHOAL_COUNTERS_KEY];
                sd_key(sd, k);
                MDB_val kv = {sizeof k, k}, vv;
                int lrc = mdb_get(txn, dbi, &kv, &vv);
                if (lrc == 0) dp = vv.mv_data, dl = vv.mv_size;
                else if (lrc != MDB_NOTFOUND) rc = shoal_store_err(err, lrc, "cannot read a counters bucket");
            }
            size_t mn = 0;
            if (!rc && !(rc = merge_two(op, on, dp, dl, &own, &mn, err))) op = own, on = mn;
        }
        if (!rc) {
            cbucket tb;
            memset(&tb, 0, sizeof tb);
            if (!(rc = merge_counts(&tb, op, on, f, nf, err))) {
                shoal_free(s->fp[se]);   /* (when op was it: merged out of it already) */
                s->fp[se] = tb.p;
                s->fn[se] = tb.n;
                s->fdirty |= (uint64_t)1 << se;
            }
        }
        shoal_free(own);
    }
    shoal_free(f);
    if (!rc) s->fday = dn;
    return rc;
}

/* A view being built (or checked) keeps every day bucket: each series' month so far is
 * made once, at its end, from the day buckets [start of fday's month, fday) (kept batch
 * by batch, it cost a build of the demo views' counters a tenth more CPU at 10M events:
 * a day's turn merged the month so far with that day, for every day). */
static int fso_build(shoal_view *v, cstate *s, shoal_err *err)
{
    if (s->fday == INT32_MIN) return SHOAL_OK;
    int64_t ms = shoal_cal_month_start(shoal_cal_month_of_day(s->fday));
    for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES; se++) {
        if (v->def.series[se].sum_prop.len) continue;
        unsigned char *acc = NULL;
        size_t an = 0;
        for (int64_t d = ms; d <= s->fday; d++) {
            const cbucket *db = NULL;
            if (d < s->fday) db = bucket_find(s, (uint64_t)se << 32 | (uint32_t)((uint64_t)d ^ (1ULL << 31)));
            if (d < s->fday && !(db && db->p)) continue;
            unsigned char *o;
            size_t on;
            /* (once more at fday itself with nothing: a month so far of no entry is its flag byte) */
            int rc = merge_two(acc, an, db ? db->p : NULL, db ? db->n : 0, &o, &on, err);
            shoal_free(acc);
            if (rc) return rc;
            acc = o, an = on;
        }
        shoal_free(s->fp[se]);
        s->fp[se] = acc;
        s->fn[se] = an;
        s->fdirty |= (uint64_t)1 << se;
    }
    return SHOAL_OK;
}

/* The months before after a batch whose latest day is dn (fday's, or later): per series
 * that sums nothing, the old bucket (none when there was no fday: no event yet), plus,
 * when dn is in a later month than fday, fday's month bucket (the batch has merged its
 * refs of that month into it), plus the batch's refs of the other months before dn's
 * (s->br: late events, and the months between, which had no event before the batch).
 * fso_update runs after it (it moves s->fday on). */
static int fbk_update(shoal_view *v, cstate *s, MDB_txn *txn, MDB_dbi dbi, int64_t dn, shoal_err *err)
{
    int64_t od = s->fday;
    int first = od == INT32_MIN;
    uint32_t om = first ? 0 : (uint32_t)((uint64_t)shoal_cal_month_of_day(od) ^ (1ULL << 31));
    uint32_t mo = (uint32_t)((uint64_t)shoal_cal_month_of_day(dn) ^ (1ULL << 31));
    int turn = !first && om < mo;
    int rc = SHOAL_OK;
    for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES && !rc; se++) {
        if (v->def.series[se].sum_prop.len) continue;
        size_t nr = 0;
        for (size_t j = 0; j < s->brn; j++)
            if (s->br[j].se == se && !(turn && s->br[j].fm == om)) nr++;
        if (!first && !turn && !nr) continue;
        const unsigned char *op = NULL;
        size_t on = 0;
        unsigned char *own = NULL;   /* what op points into when it is ours */
        if (!first && txn) {
            unsigned char k[2] = {(unsigned char)(se | MONTHS), 0};
            MDB_val kv = {2, k}, vv;
            int lrc = mdb_get(txn, dbi, &kv, &vv);
            if (lrc == 0) op = vv.mv_data, on = vv.mv_size;
            else if (lrc != MDB_NOTFOUND) rc = shoal_store_err(err, lrc, "cannot read a counters bucket");
        }
        if (!rc && turn) {
            /* fday's month bucket, with the batch's refs of that month */
            uint64_t sd = (uint64_t)(se | MONTHS) << 32 | om;
            const cbucket *mb = bucket_find(s, sd);
            const unsigned char *mp = NULL;
            size_t ml = 0;
            if (mb && mb->p) {
                mp = mb->p, ml = mb->n;
            } else if (mb == NULL && txn) {
                unsigned char k[SHOAL_COUNTERS_KEY];
                sd_key(sd, k);
                MDB_val kv = {sizeof k, k}, vv;
                int lrc = mdb_get(txn, dbi, &kv, &vv);
                if (lrc == 0) mp = vv.mv_data, ml = vv.mv_size;
                else if (lrc != MDB_NOTFOUND) rc = shoal_store_err(err, lrc, "cannot read a counters bucket");
            }
            size_t mn = 0;
            if (!rc && !(rc = merge_two(op, on, mp, ml, &own, &mn, err))) op = own, on = mn;
        }
        /* the other months' refs, a month at a time (each run is in member order) */
        for (size_t j = 0; j < s->brn && !rc; j++) {
            if (s->br[j].se != se || (turn && s->br[j].fm == om)) continue;
            cbucket tb;
            memset(&tb, 0, sizeof tb);
            if ((rc = merge_counts(&tb, op, on, s->br[j].r, s->br[j].n, err))) break;
            shoal_free(own);
            own = tb.p;
            op = tb.p, on = tb.n;
        }
        if (!rc && !op) {   /* (none yet: a bucket of no entry is its flag byte) */
            rc = merge_two(NULL, 0, NULL, 0, &own, &on, err);
            op = own;
        }
        if (!rc) {
            unsigned char *copy = own;
            if (!copy && !(copy = shoal_malloc(on ? on : 1))) rc = nomem(err);
            else if (copy != own) memcpy(copy, op, on);
            if (!rc) {
                shoal_free(s->bp[se]);
                s->bp[se] = copy;
                s->bn2[se] = on;
                s->bdirty |= (uint64_t)1 << se;
                own = NULL;
            }
        }
        shoal_free(own);
    }
    return rc;
}

/* A view being built (or checked): each series' months before fday's month made once,
 * at its end, from the month buckets it holds. */
static int fbk_build(shoal_view *v, cstate *s, shoal_err *err)
{
    if (s->fday == INT32_MIN) return SHOAL_OK;
    uint32_t mo = (uint32_t)((uint64_t)shoal_cal_month_of_day(s->fday) ^ (1ULL << 31));
    for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES; se++) {
        if (v->def.series[se].sum_prop.len) continue;
        unsigned char *acc = NULL;
        size_t an = 0;
        int rc = merge_two(NULL, 0, NULL, 0, &acc, &an, err);
        for (size_t i = 0; !rc && i < s->bcap; i++) {
            const cbucket *b = &s->b[i];
            if (!b->used || !b->p || b->sd >> 32 != (se | MONTHS) || (uint32_t)b->sd >= mo) continue;
            unsigned char *o;
            size_t on;
            if (!(rc = merge_two(acc, an, b->p, b->n, &o, &on, err))) {
                shoal_free(acc);
                acc = o, an = on;
            }
        }
        if (rc) {
            shoal_free(acc);
            return rc;
        }
        shoal_free(s->bp[se]);
        s->bp[se] = acc;
        s->bn2[se] = an;
        s->bdirty |= (uint64_t)1 << se;
    }
    return SHOAL_OK;
}

/* The batch's refs sorted (sort_refs), once: on the views' second thread when the
 * append runs one (shoal_view_prepare), else by flush. */
static int prepare(shoal_view *v, shoal_err *err)
{
    cstate *s = v->st;
    if (!s->rn || s->sorted) return SHOAL_OK;
    if (s->tcap < s->rcap) {
        shoal_free(s->t);
        if (!(s->t = shoal_malloc(s->rcap * sizeof *s->t))) {
            s->tcap = 0;
            return nomem(err);
        }
        s->tcap = s->rcap;
    }
    const dref *l = s->sorted = sort_refs(s, s->r, s->t, s->rn);
    if (!s->months) return SHOAL_OK;
    /* Each month's refs in member order, for its month bucket (and presence bitmap):
     * u[i..e) for a series' days of one month l[i..e), when they are more than one day
     * (one day's refs are in member order already). The other sort array is free. */
    size_t n = s->rn;
    if (s->ucap < n) {
        shoal_free(s->u);
        if (!(s->u = shoal_malloc(n * sizeof *s->u))) {
            s->ucap = 0;
            s->sorted = NULL;
            return nomem(err);
        }
        s->ucap = n;
    }
    dref *spare = l == s->r ? s->t : s->r;
    for (size_t i = 0; i < n;) {
        uint32_t fm = month_of_sd(l[i].sd);
        size_t e = i + 1;
        int runs = 1;
        for (; e < n; e++) {
            if (l[e].sd == l[e - 1].sd) continue;
            if (l[e].sd >> 32 != l[i].sd >> 32 || month_of_sd(l[e].sd) != fm) break;
            runs++;
        }
        if (runs > 1) month_order(l, i, e, spare + i, s->u + i);
        i = e;
    }
    return SHOAL_OK;
}

/* The part of the flush before its writes: the refs folded into their buckets, read
 * from txn (the append's, or a read transaction of the snapshot it started from:
 * premerge) when the batch has not touched them yet; s->h0 becomes the first hour to
 * keep, s->h_old what it was. */
static int merge_all(shoal_view *v, cstate *s, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    int rc = SHOAL_OK;
    /* Fold the refs into their buckets, in key order. With months, a month's bucket
     * takes the refs of its days' buckets: those of one series and month are adjacent
     * runs once sorted, each in member order, put in member order as one run by
     * prepare (month_order, in u; a batch holds a few days of a month, and a few more
     * for late events). Doubling each ref into
     * its month before the sort made the sort, the largest part of the kind's upkeep,
     * twice as long. */
    /* the first kept hour, by the latest event so far */
    int64_t h0 = s->h0;
    if (s->hours && s->bmax != INT64_MIN && first_hour(s->bmax) > h0) h0 = first_hour(s->bmax);
    /* the months so far: the batch's latest day, and each series' refs of its month */
    int fso = s->fso && s->months;
    int64_t dn = s->fday;
    const dref *fr[SHOAL_VIEW_MAX_SERIES];
    size_t frn[SHOAL_VIEW_MAX_SERIES];
    memset(frn, 0, sizeof frn);
    if (s->rn) {
        size_t n = s->rn;
        if ((rc = prepare(v, err))) return rc;
        const dref *l = s->sorted;
        s->sorted = NULL;
        if (fso)
            for (size_t i = 0; i < n; i++) {
                int64_t d = (int32_t)((uint32_t)l[i].sd ^ (1u << 31));
                if (d > dn) dn = d;
            }
        uint32_t fm_dn = fso && dn != INT32_MIN ? (uint32_t)((uint64_t)shoal_cal_month_of_day(dn) ^ (1ULL << 31)) : 0;
        for (size_t i = 0; i < n && !rc;) {
            size_t j = i;
            while (j < n && l[j].sd == l[i].sd) j++;
            int sums = v->def.series[l[i].sd >> 32].sum_prop.len != 0;
            rc = fold(v, s, txn, dbi, l[i].sd, sums, l + i, j - i, err);
            if (!rc && s->hours) rc = fold_hours(v, s, txn, dbi, l[i].sd, sums, l + i, j - i, h0, err);
            if (!rc && s->months) {
                /* the month's days: the following buckets of this series and month */
                uint32_t fm = month_of_sd(l[i].sd);
                size_t e = j;
                int runs = 1;
                while (e < n && l[e].sd >> 32 == l[i].sd >> 32 && month_of_sd(l[e].sd) == fm) {
                    size_t f = e;
                    while (f < n && l[f].sd == l[e].sd) f++;
                    rc = fold(v, s, txn, dbi, l[e].sd, sums, l + e, f - e, err);
                    if (!rc && s->hours) rc = fold_hours(v, s, txn, dbi, l[e].sd, sums, l + e, f - e, h0, err);
                    if (rc) break;
                    e = f;
                    runs++;
                }
                if (!rc) {
                    const dref *m = runs == 1 ? l + i : s->u + i;   /* (prepare) */
                    if (fso && dn != INT32_MIN && fm == fm_dn && (l[i].sd >> 32) < SHOAL_VIEW_MAX_SERIES)
                        fr[l[i].sd >> 32] = m, frn[l[i].sd >> 32] = e - i;
                    /* a month before dn's: its refs for the months before (fbk_update) */
                    if (fso && s->fbk && !v->built && dn != INT32_MIN && fm < fm_dn && !sums &&
                        (l[i].sd >> 32) < SHOAL_VIEW_MAX_SERIES) {
                        if (s->brn == s->brcap) {
                            size_t nc = s->brcap ? s->brcap * 2 : 16;
                            struct bref *nb = shoal_realloc(s->br, nc * sizeof *nb);
                            if (!nb) {
                                rc = nomem(err);
                                break;
                            }
                            s->br = nb, s->brcap = nc;
                        }
                        s->br[s->brn++] = (struct bref){(uint32_t)(l[i].sd >> 32), m, e - i, fm};
                    }
                    rc = fold(v, s, txn, dbi, ((l[i].sd >> 32) | MONTHS) << 32 | fm, sums, m, e - i, err);
                    /* the month's presence bitmap: its members, from the same refs */
                    unsigned se = (unsigned)(l[i].sd >> 32);
                    if (!rc && (s->pres >> se & 1))
                        rc = fold(v, s, txn, dbi, (uint64_t)(se | PRES) << 32 | fm, -1, m, e - i, err);
                }
                j = e;
            }
            i = j;
        }
        /* the sort's result may be in either array: both are kept for the next batch */
        if (l == s->t) {
            dref *t = s->r;
            size_t c = s->rcap;
            s->r = s->t, s->rcap = s->tcap;
            s->t = t, s->tcap = c;
        }
        s->rn = s->vn = 0;
        if (rc) return rc;
    }
    /* (the refs' arrays stay as they are until the next batch's apply: fr reads them) */
    if (fso && dn != INT32_MIN) {
        if (v->built) s->fday = dn;   /* (made at the end: fso_build, fbk_build) */
        else if ((s->fbk && (rc = fbk_update(v, s, txn, dbi, dn, err))) || (rc = fso_update(v, s, txn, dbi, dn, fr, frn, err)))
            return rc;
    }
    s->brn = 0;
    /* A view being built keeps its buckets across flushes: those of the hours left
     * behind are emptied as it goes (not written) */
    if (s->hours && h0 > s->h0 && v->built)
        for (size_t i = 0; i < s->bcap; i++)
            if (s->b[i].used && is_hour_sd(s->b[i].sd) && hour_of_sd(s->b[i].sd) < h0 && s->b[i].p) {
                shoal_free(s->b[i].p);
                s->b[i].p = NULL;
                s->b[i].n = 0;
                s->b[i].dirty = 0;
            }
    s->h_old = s->h0;
    s->h0 = h0;
    s->bmax = INT64_MIN;
    /* the instants on the hour: the batch's with the table's (a view being built keeps
     * its own), of the kept hours */
    if (s->hours && s->inst) {
        if (!v->built && txn && (rc = inst_read(txn, dbi, s, err)) < 0) return rc;
        rc = SHOAL_OK;
        inst_compact(s, h0);
    }
    return SHOAL_OK;
}

/* The batch's merges, on the views' second thread (shoal_view_kind.premerge): from a
 * read transaction of the snapshot the append started from, which holds every bucket
 * as the append's own transaction would read it (nothing writes the table before the
 * flush), so that the flush on the writing thread is left the writes. 0 when the table
 * cannot be read from rtxn (its handle opened by the append's own transaction, in a
 * process's first batch): the flush merges then. */
static int premerge(shoal_view *v, MDB_txn *rtxn, MDB_dbi dbi, shoal_err *err)
{
    cstate *s = v->st;
    if (v->built || s->merged) return 0;
    unsigned char k = MARK;
    MDB_val kv = {1, &k}, vv;
    int rc = mdb_get(rtxn, dbi, &kv, &vv);
    if (rc && rc != MDB_NOTFOUND) return 0;
    if ((rc = merge_all(v, s, rtxn, dbi, err))) return rc;
    s->merged = 1;
    return 1;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    cstate *s = v->st;
    int rc = SHOAL_OK;
    if (!s->merged && (rc = merge_all(v, s, txn, dbi, err))) return rc;
    s->merged = 0;
    int64_t h0 = s->h0, h_old = s->h_old;
    int fso = s->fso && s->months;
    if (!txn) return SHOAL_OK;
    /* Write the dirty buckets (every bucket when all), in key order. */
    cbucket **l = shoal_malloc((s->bn + 1) * sizeof *l);
    if (!l) return nomem(err);
    size_t n = 0;
    for (size_t i = 0; i < s->bcap; i++)
        if (s->b[i].used && (all || s->b[i].dirty) && !(is_hour_sd(s->b[i].sd) && (!s->hours || hour_of_sd(s->b[i].sd) < h0)))
            l[n++] = &s->b[i];
    qsort(l, n, sizeof *l, cmp_bucket);
    for (size_t i = 0; i < n; i++) {
        unsigned char k[SHOAL_COUNTERS_KEY];
        sd_key(l[i]->sd, k);
        MDB_val kv = {sizeof k, k}, vv = {l[i]->n, l[i]->p};
        if ((rc = mdb_put(txn, dbi, &kv, &vv, 0))) {
            rc = shoal_store_err(err, rc, "cannot write a counters bucket");
            break;
        }
        l[i]->dirty = 0;
    }
    shoal_free(l);
    if (!rc && all && s->months) {
        unsigned char k = MARK, one = 1;
        MDB_val kv = {1, &k}, vv = {1, &one};
        if ((rc = mdb_put(txn, dbi, &kv, &vv, 0))) rc = shoal_store_err(err, rc, "cannot write a counters view");
    }
    /* the presence mark, with its series (a table with none of them has it too: it was
     * built knowing them), stamped with this batch's sequence: every batch, since a
     * batch appended by a shoal that keeps no bitmaps leaves the stamp behind */
    if (!rc && s->months && (all || s->pres)) rc = pres_mark_put(txn, dbi, s->pres, v->flush_seq, err);
    /* the hour buckets left behind, and the hour mark, stamped likewise */
    if (!rc && s->hours && !all && h0 > h_old) rc = drop_hours(v, txn, dbi, h0, err);
    if (!rc && s->hours) rc = num_mark_put(txn, dbi, HMARK, h0, v->flush_seq, err);
    if (!rc && s->hours && s->inst) rc = inst_put(txn, dbi, s, v->flush_seq, err);
    if (!v->built) s->ihn = 0;
    /* the months so far that changed (all of them when all), and their mark likewise */
    if (fso && v->built && all && (rc = fso_build(v, s, err))) return rc;
    if (fso) {
        for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES && !rc; se++) {
            if (!s->fp[se] || !(all || (s->fdirty >> se & 1))) continue;
            unsigned char k[2] = {(unsigned char)se, 0};
            MDB_val kv = {2, k}, vv = {s->fn[se], s->fp[se]};
            if ((rc = mdb_put(txn, dbi, &kv, &vv, 0))) rc = shoal_store_err(err, rc, "cannot write a counters bucket");
        }
        s->fdirty = 0;
        if (!rc) rc = num_mark_put(txn, dbi, FMARK, s->fday, v->flush_seq, err);
        /* the months before that changed, and their mark (D as FMARK's) */
        if (!rc && s->fbk && v->built && all) rc = fbk_build(v, s, err);
        for (uint32_t se = 0; s->fbk && se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES && !rc; se++) {
            if (!s->bp[se] || !(all || (s->bdirty >> se & 1))) continue;
            unsigned char k[2] = {(unsigned char)(se | MONTHS), 0};
            MDB_val kv = {2, k}, vv = {s->bn2[se], s->bp[se]};
            if ((rc = mdb_put(txn, dbi, &kv, &vv, 0))) rc = shoal_store_err(err, rc, "cannot write a counters bucket");
        }
        s->bdirty = 0;
        if (!rc && s->fbk) rc = num_mark_put(txn, dbi, BMARK, s->fday, v->flush_seq, err);
        if (!v->built)
            for (int i = 0; i < SHOAL_VIEW_MAX_SERIES; i++) {
                shoal_free(s->bp[i]);
                s->bp[i] = NULL;
                s->bn2[i] = 0;
            }
        if (!v->built)
            for (int i = 0; i < SHOAL_VIEW_MAX_SERIES; i++) {
                shoal_free(s->fp[i]);
                s->fp[i] = NULL;
                s->fn[i] = 0;
            }
    }
    /* Hot state ends with the batch: the next one reads what it needs. */
    if (!v->built) clear_buckets(s);
    return rc;
}

/* ---------------------------------------------------------------- check */

static int same_entry(const centry *a, const centry *b)
{
    if (a->member != b->member || a->count != b->count || a->nv != b->nv) return 0;
    /* Sums are exact (xsum.c), whatever the grouping of their additions: equal to the
     * bit, but for a bucket written before exact sums (an f64, compared within 1e-9
     * relative) and the part of a sum too large for them (big, a plain double). */
    shoal_xsum x = a->xs, y = b->xs;
    shoal_xsum_add_int(&x, a->isum);
    shoal_xsum_add_int(&y, b->isum);
    if (!a->legacy && !b->legacy && x.big == 0 && y.big == 0) return shoal_xsum_eq(&x, &y);
    double dx = shoal_xsum_value(&x), dy = shoal_xsum_value(&y), m = fabs(dy) > 1 ? fabs(dy) : 1;
    return fabs(dx - dy) <= 1e-9 * m;
}

/* Per series that sums nothing and has rebuilt bytes p[se] (n[se] of them), the stored
 * key [se | flag][0x00] against them (check): "series N, WHAT MISSING|DIFFERS" */
static int compare_series_keys(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, unsigned flag, unsigned char *const *p,
                               const size_t *n, const char *what, const char *missing, const char *differs,
                               void (*problem)(void *, const char *), void *ctx, shoal_err *err)
{
    char msg[256];
    for (uint32_t se = 0; se < v->def.n_series && se < SHOAL_VIEW_MAX_SERIES; se++) {
        if (v->def.series[se].sum_prop.len || !p[se]) continue;
        unsigned char k[2] = {(unsigned char)(se | flag), 0};
        MDB_val kv = {2, k}, vv;
        int lrc = mdb_get(txn, dbi, &kv, &vv);
        if (lrc && lrc != MDB_NOTFOUND) return shoal_store_err(err, lrc, "cannot read a view's table");
        if (lrc || vv.mv_size != n[se] || memcmp(vv.mv_data, p[se], n[se])) {
            snprintf(msg, sizeof msg, "view \"%s\": series %u, %s %s", v->dbname + 2, se, what, lrc ? missing : differs);
            problem(ctx, msg);
        }
    }
    return SHOAL_OK;
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    cstate *s = v->st;
    char msg[256];
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    /* A table made before month rollups has none: its months are not compared. */
    int mark = has_mark(txn, dbi, err);
    if (mark < 0) {
        mdb_cursor_close(cur);
        return mark;
    }
    /* A table made before presence bitmaps has none (and reads months instead). */
    int64_t pm = mark ? pres_mark(txn, dbi, err) : 0;
    if (pm < 0) {
        mdb_cursor_close(cur);
        return (int)pm;
    }
    char msg0[160];
    if (mark && pm != (int64_t)(s->pres & 0x7FFFFFFFFFFFFFFFULL) && pm) {
        snprintf(msg0, sizeof msg0, "view \"%s\": the presence mark names other series than a rebuild's", v->dbname + 2);
        problem(ctx, msg0);
    }
    /* A table made before hour buckets (or appended to since by a shoal that keeps
     * none) has none that count: they are neither read nor compared. */
    int64_t h0 = INT32_MIN;
    int hm = hours_mark(txn, dbi, &h0, err);
    if (hm < 0) {
        mdb_cursor_close(cur);
        return hm;
    }
    if (hm && h0 != s->h0) {
        snprintf(msg0, sizeof msg0, "view \"%s\": hour buckets are kept from hour %lld, a rebuild's from %lld", v->dbname + 2,
                 (long long)h0, (long long)s->h0);
        problem(ctx, msg0);
    }
    /* The months so far: compared when their mark is current (a table made before them,
     * or appended to since by a shoal that keeps none, has none that are read) */
    int64_t fd = INT32_MIN;
    int fm = mark ? fso_mark(txn, dbi, &fd, err) : 0;
    if (fm < 0) {
        mdb_cursor_close(cur);
        return fm;
    }
    int fm_any = 0;   /* the mark is there, current or not: its keys are not strangers */
    {
        unsigned char fk = FMARK;
        MDB_val kv = {1, &fk}, vv;
        fm_any = mdb_get(txn, dbi, &kv, &vv) == 0;
    }
    if (fm && s->fso && v->built && (rc = fso_build(v, s, err))) {
        mdb_cursor_close(cur);
        return rc;
    }
    if (fm && s->fso) {
        if (fd != s->fday) {
            snprintf(msg0, sizeof msg0, "view \"%s\": the month so far is kept to day %lld, a rebuild's to %lld",
                     v->dbname + 2, (long long)fd, (long long)s->fday);
            problem(ctx, msg0);
        } else {
            char what[64];
            snprintf(what, sizeof what, "the month so far (to day %lld)", (long long)fd);
            if ((rc = compare_series_keys(v, txn, dbi, 0, s->fp, s->fn, what, "is missing", "differs from a rebuild's",
                                          problem, ctx, err))) {
                mdb_cursor_close(cur);
                return rc;
            }
        }
    }
    /* The months before, when kept and current (with the months so far's D): a rebuild's */
    int64_t bd = INT32_MIN;
    int bm = fm ? num_mark(txn, dbi, BMARK, &bd, err) : 0;
    if (bm < 0) {
        mdb_cursor_close(cur);
        return bm;
    }
    int bm_any = 0;
    {
        unsigned char bk = BMARK;
        MDB_val kv = {1, &bk}, vv;
        bm_any = mdb_get(txn, dbi, &kv, &vv) == 0;
    }
    if (bm && bd == fd && s->fbk && fd == s->fday) {
        if (v->built && (rc = fbk_build(v, s, err))) {
            mdb_cursor_close(cur);
            return rc;
        }
        char what[64];
        snprintf(what, sizeof what, "the months before day %lld's month", (long long)fd);
        if ((rc = compare_series_keys(v, txn, dbi, MONTHS, s->bp, s->bn2, what, "are missing", "differ from a rebuild's",
                                      problem, ctx, err))) {
            mdb_cursor_close(cur);
            return rc;
        }
    }
    /* The instants on the hour, when kept and current: those of a rebuild */
    if (hm && s->inst) {
        const unsigned char *ip = NULL;
        size_t in = 0;
        int im = inst_get(txn, dbi, &ip, &in, err);
        if (im < 0) {
            mdb_cursor_close(cur);
            return im;
        }
        size_t i = 0;
        if (im) {
            while (i < in && i < s->ihn && inst_at(ip + 4 * i) == s->ih[i]) i++;
            if (i < in || i < s->ihn) {
                snprintf(msg0, sizeof msg0, "view \"%s\": the instants on the hour that hold an event differ from a rebuild's (%s hour %lld)",
                         v->dbname + 2, i < in ? "stored" : "a rebuild's", (long long)(i < in ? inst_at(ip + 4 * i) : s->ih[i]));
                problem(ctx, msg0);
            }
        }
    }
    for (size_t i = 0; i < s->bcap; i++) {   /* dirty = seen below */
        uint64_t sb = s->b[i].sd >> 32;
        s->b[i].dirty = is_hour_sd(s->b[i].sd) ? !hm || !s->b[i].p
                                               : (!mark && (sb & MONTHS)) || (!pm && (sb & PRES));
    }
    MDB_val k, val;
    const char *name = v->dbname + 2;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size == 1 &&
            (kp[0] == SHOAL_VIEW_HDR || kp[0] == MARK || kp[0] == PMARK || kp[0] == HMARK || kp[0] == FMARK || kp[0] == IMARK ||
             kp[0] == BMARK))
            continue;
        if (k.mv_size == 2 && kp[1] == 0 && (kp[0] & HOURS) == MONTHS && (kp[0] & 63) < v->def.n_series && bm_any)
            continue;   /* the months before: above */
        if (k.mv_size == 2 && kp[1] == 0 && kp[0] < v->def.n_series && fm_any) continue;   /* a month so far: above */
        if (k.mv_size == SHOAL_COUNTERS_KEY && (kp[0] & HOURS) == HOURS && !hm) continue;   /* not kept: not compared */
        if (k.mv_size == SHOAL_COUNTERS_KEY && (kp[0] & HOURS) == PRES) {
            /* a month's presence bitmap: equal, byte for byte, to a rebuild's (when
             * they are kept: stale ones are neither read nor kept) */
            if (!pm) continue;
            uint64_t sd = (uint64_t)kp[0] << 32 | (uint64_t)kp[1] << 24 | (uint64_t)kp[2] << 16 | (uint64_t)kp[3] << 8 | kp[4];
            int fresh;
            cbucket *b = bucket_at(s, sd, &fresh);
            if (!b) {
                mdb_cursor_close(cur);
                return nomem(err);
            }
            b->dirty = 1;
            if (fresh || b->n != val.mv_size || memcmp(b->p, val.mv_data, b->n)) {
                snprintf(msg, sizeof msg, "view \"%s\": series %u, a month's presence bitmap differs from a rebuild's", name,
                         (unsigned)(kp[0] & 63));
                problem(ctx, msg);
            }
            continue;
        }
        int is_hour = (kp[0] & HOURS) == HOURS;
        unsigned series = kp[0] & (is_hour ? 63 : ~MONTHS);
        int is_month = !is_hour && (kp[0] & MONTHS) != 0;
        if (k.mv_size != SHOAL_COUNTERS_KEY || series >= v->def.n_series || (is_month && !mark)) {
            snprintf(msg, sizeof msg, "view \"%s\" has a key that is not a bucket", name);
            problem(ctx, msg);
            continue;
        }
        uint64_t sd = (uint64_t)kp[0] << 32 | (uint64_t)kp[1] << 24 | (uint64_t)kp[2] << 16 | (uint64_t)kp[3] << 8 | kp[4];
        int64_t pos = (int32_t)((uint32_t)sd ^ (1u << 31)), y;
        unsigned mo, d;
        shoal_cal_civil_from_days(is_month ? shoal_cal_month_start(pos) : is_hour ? floor_div(pos, 24) : pos, &y, &mo, &d);
        char when[40];
        if (is_month) snprintf(when, sizeof when, "month %04lld-%02u", (long long)y, mo);
        else if (is_hour) snprintf(when, sizeof when, "hour %04lld-%02u-%02uT%02lld", (long long)y, mo, d, (long long)(pos - floor_div(pos, 24) * 24));
        else snprintf(when, sizeof when, "day %04lld-%02u-%02u", (long long)y, mo, d);
        int fresh;
        cbucket *b = bucket_at(s, sd, &fresh);
        if (!b) {
            mdb_cursor_close(cur);
            return nomem(err);
        }
        if (fresh || (is_hour && !b->p)) {
            b->dirty = 1;
            snprintf(msg, sizeof msg, "view \"%s\": series %u, %s is stored but a rebuild has no such bucket", name,
                     series, when);
            problem(ctx, msg);
            continue;
        }
        b->dirty = 1;
        int sums = v->def.series[series].sum_prop.len != 0;
        const unsigned char *p = val.mv_data, *end = p + val.mv_size, *q = b->p + 1, *qend = b->p + b->n;
        if (val.mv_size == 0 || (p[0] & F_SUMS) != sums || (p[0] & ~(F_SUMS | F_TEXT)) || (!sums && p[0] & F_TEXT)) {
            snprintf(msg, sizeof msg, "view \"%s\": series %u, %s has a bad bucket header", name, series, when);
            problem(ctx, msg);
            continue;
        }
        if ((p[0] & F_TEXT) != (b->p[0] & F_TEXT)) {
            snprintf(msg, sizeof msg, "view \"%s\": series %u, %s: stored %s text in the summed property, a rebuild %s",
                     name, series, when, p[0] & F_TEXT ? "with" : "without", b->p[0] & F_TEXT ? "sees some" : "sees none");
            problem(ctx, msg);
            continue;
        }
        p++;
        uint32_t pp = 0, pq = 0;
        while (p < end || q < qend) {
            centry a, c;
            memset(&a, 0, sizeof a);
            memset(&c, 0, sizeof c);
            const unsigned char *np = p < end ? dec_entry(p, end, sums, &pp, &a) : NULL;
            const unsigned char *nq = q < qend ? dec_entry(q, qend, sums, &pq, &c) : NULL;
            if ((p < end && !np) || !np || !nq || !same_entry(&a, &c)) {
                uint32_t m = np ? a.member : nq ? c.member : 0;
                snprintf(msg, sizeof msg,
                         "view \"%s\": series %u, %s, member id %u: stored %llu events, a rebuild counts %llu",
                         name, series, when, m, np ? (unsigned long long)a.count : 0ULL,
                         nq && (!np || c.member == m) ? (unsigned long long)c.count : 0ULL);
                problem(ctx, msg);
                break;
            }
            p = np;
            q = nq;
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    for (size_t i = 0; i < s->bcap; i++)
        if (s->b[i].used && !s->b[i].dirty) {
            snprintf(msg, sizeof msg, "view \"%s\": series %u is missing a %s that a rebuild has", name,
                     (unsigned)(s->b[i].sd >> 32 & 63),
                     is_hour_sd(s->b[i].sd) ? "hour bucket" : s->b[i].sd >> 32 & PRES ? "presence bitmap"
                     : s->b[i].sd >> 32 & MONTHS ? "month bucket" : "day bucket");
            problem(ctx, msg);
        }
    return SHOAL_OK;
}

const shoal_view_kind shoal_view_counters = {"counters", new_state, free_state, reset,   load,    apply,
                                             flush,      compare,   NULL,       prepare, premerge, NULL};

/* ---------------------------------------------------------------- reads */

/* Adds the buckets of series byte sb at positions [lo, hi) (days, or months with the
 * MONTHS flag) into the arrays. */
typedef struct rdst {
    uint32_t n_members;
    uint32_t *count, *n_vals;   /* (the caller has fewer than 2^32 events to count) */
    uint8_t *sat;        /* instead of count: counts that stop at cap (1..255) */
    unsigned cap;
    shoal_count8 *big;   /* with sat and cap 255: the counts that reach it go on here (count8.c) */
    shoal_xsum *sum;
    int *num;
    uint64_t *touched;
    int *text;           /* instead of all the above: set when a bucket has F_TEXT */
    int sub;             /* counts only: subtract instead of add (read_part) */
    int nz;              /* counts only: a member touched only when its count is then above 0
                          * (read_part's month, read after its other days were taken off) */
    struct runs *pairs;  /* instead of all the above: each bucket's (member, count) kept, a run a bucket */
    struct runs *less;   /* with sat: each member's count less its entries in these runs first */
    int exist;           /* counts only, and only whether above 0 matters: whole months may be
                          * read from presence bitmaps, as 1 */
    uint64_t *bits;      /* with exist: the presence bitmaps OR-ed here instead of into count */
    shoal_passed *passed;   /* with sat: the members whose byte reaches pass_lo (read_sat's) */
    unsigned pass_lo;
    int once;            /* with passed->once_ok: the read is one bucket (read_window) */
} rdst;

/* Buckets kept as runs of (member, count), each in ascending member order (read_part
 * for counts that stop at a cap: the days a month bucket is taken less). */
#define MAX_RUNS 4
typedef struct runs {
    uint32_t *m, *c;
    size_t n, cap;
    size_t start[MAX_RUNS + 1], at[MAX_RUNS];   /* run j is [start[j], start[j + 1]); at: the walk's place */
    int k;
    int oom;
} runs;

static void runs_push(runs *r, uint32_t m, uint64_t c)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 4096;
        uint32_t *nm = shoal_realloc(r->m, nc * sizeof *nm), *ncnt = nm ? shoal_realloc(r->c, nc * sizeof *ncnt) : NULL;
        if (nm) r->m = nm;
        if (!ncnt) {
            r->oom = 1;
            return;
        }
        r->c = ncnt, r->cap = nc;
    }
    r->m[r->n] = m;
    r->c[r->n++] = (uint32_t)c;
}

/* c less member m's counts in r's runs; members are asked in ascending order */
static inline uint64_t runs_less(runs *r, uint32_t m, uint64_t c)
{
    for (int j = 0; j < r->k; j++) {
        size_t i = r->at[j], e = r->start[j + 1];
        while (i < e && r->m[i] < m) i++;
        if (i < e && r->m[i] == m) c -= r->c[i];
        r->at[j] = i;
    }
    return c;
}

/* Member m, whose byte went from s0 to v, into o->passed when it crossed pass_lo (rare:
 * once a member, so a call). */
static __attribute__((noinline)) void pass_push(const rdst *o, uint32_t m)
{
    shoal_passed *ps = o->passed;
    if (ps->n == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 1024;
        uint32_t *nm = shoal_realloc(ps->m, nc * sizeof *nm);
        if (!nm) {
            ps->oom = 1;
            return;
        }
        ps->m = nm, ps->cap = nc;
    }
    ps->m[ps->n++] = m;
    ps->bits[m >> 6] |= (uint64_t)1 << (m & 63);
}

static inline __attribute__((always_inline)) void pass_mark(const rdst *o, uint32_t m, uint64_t s0, uint64_t v)
{
    if (__builtin_expect((s0 < o->pass_lo) & (v >= o->pass_lo), 0)) pass_push(o, m);
}

/* Member m's count c into o: added, or (sat) added up to the cap; or (sub) taken off. */
static inline __attribute__((always_inline)) void add_count(const rdst *o, uint32_t m, uint64_t c)
{
    if (o->pairs) {
        runs_push(o->pairs, m, c);
        return;
    }
    if (o->less && !(c = runs_less(o->less, m, c))) return;
    if (o->sub) {
        o->count[m] -= (uint32_t)c;
        return;
    }
    if (o->sat) {
        uint64_t v = o->sat[m] + c;
        if (o->big && v >= 255) {
            shoal_count8_add(o->big, m, o->sat[m], c);   /* (its oom is the read's error) */
            v = 255;
        }
        uint64_t s0 = o->sat[m];
        o->sat[m] = (uint8_t)(v < o->cap ? v : o->cap);
        if (o->passed) pass_mark(o, m, s0, o->sat[m]);
    } else if (o->count) {   /* (none for who existed read into bits alone) */
        o->count[m] += (uint32_t)c;
    }
    if (o->touched && (!o->nz || o->count[m])) o->touched[m >> 6] |= (uint64_t)1 << (m & 63);
}


/* read_bucket's loop for counts that stop at a cap, added, with the members that reach
 * pass_lo listed (o->passed), and no bits of who has a value (o->touched: its callers
 * read none, and a store into a word at every entry waited on the last; with them,
 * add_count's loop): a function of its own, so that read_bucket's other loops keep the
 * code they had. The list gets room for every entry the bytes can hold first
 * (two bytes at least each), so that a member is written at the list's end at every
 * entry and the end moves by whether it crossed: a branch on it was mispredicted at
 * a third of core creators per month's entries (a month's count of posts reaching 3).
 * Their bits are set after the loop, from the list. */
static __attribute__((noinline)) int read_pass(const char *name, const unsigned char *p, const unsigned char *end,
                                               const rdst *o, shoal_err *err)
{
    shoal_passed *ps = o->passed;
    size_t most = ps->n + (size_t)(end - p) / 2 + 1;
    if (most > ps->cap) {
        size_t nc = ps->cap * 2 > most ? ps->cap * 2 : most;
        uint32_t *nm = shoal_realloc(ps->m, nc * sizeof *nm);
        if (!nm) {
            ps->oom = 1;
            return nomem(err);
        }
        ps->m = nm, ps->cap = nc;
    }
    uint8_t *sat = o->sat;
    uint32_t *lm = ps->m;
    size_t n = ps->n, n0 = n;
    uint64_t c, lo = o->pass_lo, cap = o->cap, pv = 0, nm = o->n_members;
    if (o->once) {
        /* One bucket, each member once: a member's count is its entry's, and no byte is
         * read or written, the members at lo or above listed (their bytes are written
         * by the caller where it needs them: shoal_passed's once_ok). Core creators per
         * month's periods read a month's posts so, 7-10k entries, where each was a load
         * and a store into a 303 KB array zeroed a period. */
        (void)sat;
#ifdef __SSE2__
        /* (a count below 128 passes when it is above thr: lo - 1, or never when the cap
         * is below lo) */
        const int simd = lo <= 128 && cap >= lo;
        const __m128i thr = _mm_set1_epi16((short)((int)lo - 1)), low = _mm_set1_epi16(0xff);
#endif
        while (p < end) {
#ifdef __SSE2__
            /* Eight entries of two bytes (a delta and a count, each below 128: most of
             * a month's) at a step: the deltas' running sums in 16-bit lanes, the counts
             * compared at once, each member written at the list's end and the end moved
             * by its test, as below. A group with a longer entry, or whose last member
             * would pass n_members, goes an entry at a time. */
            while (simd && end - p >= 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
                if (_mm_movemask_epi8(v)) break;
                __m128i d = _mm_and_si128(v, low), cnt = _mm_srli_epi16(v, 8);
                d = _mm_add_epi16(d, _mm_slli_si128(d, 2));
                d = _mm_add_epi16(d, _mm_slli_si128(d, 4));
                d = _mm_add_epi16(d, _mm_slli_si128(d, 8));
                uint16_t pre[8];
                _mm_storeu_si128((__m128i *)(void *)pre, d);
                if (pv + pre[7] > nm) break;
                unsigned sel = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi16(cnt, thr));
                for (int j = 0; j < 8; j++) {
                    lm[n] = (uint32_t)(pv + pre[j]);
                    n += sel >> (2 * j) & 1;
                }
                pv += pre[7];
                p += 16;
            }
            if (p >= end) break;
#endif
            if (!(p = dec_quick(p, end, &pv, &c)))
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
            if (pv > nm) break;
            lm[n] = (uint32_t)pv;
            n += (c < cap ? c : cap) >= lo;
        }
    } else {
        ps->wrote_all = 1;
        while (p < end) {
            if (!(p = dec_quick(p, end, &pv, &c)))
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
            if (pv > nm) break;
            uint64_t s0 = sat[pv], v = s0 + c;
            v = v < cap ? v : cap;
            sat[pv] = (uint8_t)v;
            lm[n] = (uint32_t)pv;
            n += (s0 < lo) & (v >= lo);
        }
    }
    for (size_t i = n0; i < n; i++) ps->bits[lm[i] >> 6] |= (uint64_t)1 << (lm[i] & 63);
    ps->n = n;
    return 0;
}

/* Counts that stop at a cap, p[0..end)'s added a byte a member into sat (the narrow
 * reads of classes: the general add_count's tests taken out of the loop), each
 * member's bit set in touched with TOUCH: one loop, made four times by its constants
 * TOUCH and SPARSE (a test of touched kept in the loop cost). Entries of a byte each
 * for delta and count, eight at a time when their last member is within nm
 * (clean_pairs), in line; with SPARSE (a bucket whose members are far apart, most
 * deltas two bytes: an hour's) every entry by dec_quick, without clean_pairs' try
 * first, which found none at most entries there. */
static inline __attribute__((always_inline)) int add_capped(const char *name, const unsigned char *p,
                                                            const unsigned char *end, uint8_t *sat, unsigned cap,
                                                            uint64_t *touched, uint64_t nm, shoal_err *err,
                                                            const int TOUCH, const int SPARSE)
{
    uint64_t pv = 0, c;
    while (p < end) {
        unsigned k = SPARSE ? 0 : clean_pairs(p, end, pv, nm);
        if (k == 8) {
#pragma GCC unroll 8
            for (int j = 0; j < 16; j += 2) {
                pv += p[j];
                uint64_t v = sat[pv] + p[j + 1];
                sat[pv] = (uint8_t)(v < cap ? v : cap);
                if (TOUCH) touched[pv >> 6] |= (uint64_t)1 << (pv & 63);
            }
            p += 16;
            continue;
        }
        for (; k; k--, p += 2) {
            if ((pv += p[0]) > nm) return 0;
            uint64_t v = sat[pv] + p[1];
            sat[pv] = (uint8_t)(v < cap ? v : cap);
            if (TOUCH) touched[pv >> 6] |= (uint64_t)1 << (pv & 63);
        }
        if (p >= end) break;
        if (!(p = SPARSE ? dec_mixed(p, end, &pv, &c) : dec_quick(p, end, &pv, &c)))
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
        if (pv > nm) break;
        uint64_t v = sat[pv] + c;
        sat[pv] = (uint8_t)(v < cap ? v : cap);
        if (TOUCH) touched[pv >> 6] |= (uint64_t)1 << (pv & 63);
    }
    return 0;
}

/* One bucket's bytes p[0..end) into o (read_keys' loop, and a month so far read alone):
 * 0, 1 when o->text is set (the walk stops there), or an error (< 0). */
static __attribute__((noinline)) int read_bucket(const char *name, const unsigned char *p,
                                                             const unsigned char *end, const rdst *o, shoal_err *err)
{
    if (p == end) return 0;
    if (o->text) {
        if (*p & F_TEXT) {
            *o->text = 1;
            return 1;
        }
        return 0;
    }
    int sums = *p++ & F_SUMS;
    uint32_t prev = 0;
    if (!sums && o->sat && o->passed && !o->touched && !o->big && !o->less && !o->pairs && !o->sub)
        return read_pass(name, p, end, o, err);
    if (o->passed) o->passed->wrote_all = 1;
    if (!sums) {
        /* counts only (what most reads are): the head is the whole entry */
        uint64_t c;
        if (o->pairs) {
            /* a bucket's (member, count) kept as a run (read_part: the day a month is
             * taken less of), into room made once for the most entries its bytes
             * can hold (two bytes at least each), not an entry at a time */
            runs *rp = o->pairs;
            size_t most = rp->n + (size_t)(end - p) / 2 + 1;
            if (most > rp->cap) {
                size_t nc = rp->cap * 2 > most ? rp->cap * 2 : most;
                uint32_t *nm2 = shoal_realloc(rp->m, nc * sizeof *nm2);
                if (nm2) rp->m = nm2;
                uint32_t *nc2 = nm2 ? shoal_realloc(rp->c, nc * sizeof *nc2) : NULL;
                if (!nc2) {
                    rp->oom = 1;
                    rp->start[++rp->k] = rp->n;
                    return 0;
                }
                rp->c = nc2, rp->cap = nc;
            }
            uint32_t *rm = rp->m, *rn = rp->c;
            size_t k = rp->n;
            uint64_t pv = 0, nm = o->n_members;
            while (p < end) {
                if (!(p = dec_quick(p, end, &pv, &c)))
                    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
                if (pv > nm) break;   /* a member after this snapshot's dictionary */
                rm[k] = (uint32_t)pv, rn[k++] = (uint32_t)c;
            }
            rp->n = k;
            rp->start[++rp->k] = rp->n;
            return 0;
        }
        if (o->sat && o->big && !o->less && !o->pairs && !o->sub) {
            /* exact counts a byte per member, those reaching 255 in the table beside
             * them (count8.c; rare: a branch) */
            uint8_t *sat = o->sat;
            shoal_count8 *big = o->big;
            uint64_t dummy = 0, *touched = o->touched ? o->touched : &dummy, tmask = o->touched ? ~(uint64_t)0 : 0;
            uint64_t pv = 0, nm = o->n_members;
            while (p < end) {
                if (!(p = dec_quick(p, end, &pv, &c)))
                    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
                if (pv > nm) break;
                uint64_t v = sat[pv] + c;
                if (__builtin_expect(v >= 255, 0)) {
                    if (shoal_count8_add(big, (uint32_t)pv, sat[pv], c)) return nomem(err);
                    v = 255;
                }
                sat[pv] = (uint8_t)v;
                /* (no touched: the bits go to a word of its own, the index masked to 0) */
                touched[(pv >> 6) & tmask] |= (uint64_t)1 << (pv & 63);
            }
            return 0;
        }
        if (o->sat && !o->less && !o->pairs && !o->sub && !o->passed) {
            /* counts that stop at a cap, added (the narrow reads of classes): the
             * general add_count's tests taken out of the loop */
            /* (sparse: fewer than a byte of the bucket to 64 members, an average delta
             * of some 160 in entries of 2.5 bytes: an hour's count(*) at 10M events,
             * 2.6 KB over 303k members, against 100 KB for June's first 29 days) */
            const int sparse = (uint64_t)(end - p) * 64 < o->n_members;
            if (o->touched)
                return sparse ? add_capped(name, p, end, o->sat, o->cap, o->touched, o->n_members, err, 1, 1)
                              : add_capped(name, p, end, o->sat, o->cap, o->touched, o->n_members, err, 1, 0);
            return sparse ? add_capped(name, p, end, o->sat, o->cap, NULL, o->n_members, err, 0, 1)
                          : add_capped(name, p, end, o->sat, o->cap, NULL, o->n_members, err, 0, 0);
        }
        if (o->sat && o->less && o->less->k == 1 && !o->pairs && !o->sub) {
            /* the same, less one run (a month less its last day: read_part), which
             * ends with a sentinel member UINT32_MAX */
            uint8_t *sat = o->sat;
            unsigned cap = o->cap;
            uint64_t *touched = o->touched;
            runs *lr = o->less;
            size_t i = lr->at[0];
            const uint32_t *rm = lr->m, *rn = lr->c;
            uint64_t pv = 0, nm = o->n_members;
            while (p < end) {
                if (!(p = dec_quick(p, end, &pv, &c)))
                    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
                if (pv > nm) break;
                /* The run's members are the month's too (a day of it), so the walk
                 * moves past a member once it is taken off, and the loop below is
                 * not entered; whether a member of the month was active on that
                 * day is a coin toss, so the take-off is a select, not a branch
                 * (issue 17: a fifth of the statement's mispredicted branches at a
                 * noon now). A member left at 0 adds 0 and is not touched. */
                uint32_t rmi = rm[i];
                while (rmi < pv) rmi = rm[++i];
                uint64_t eq = rmi == pv;
                c -= (uint64_t)rn[i] & ((uint64_t)0 - eq);
                i += eq;
                uint64_t s0 = sat[pv], v = s0 + c;
                if (__builtin_expect(v >= 255, 0) && o->big) {   /* (exact counts: count8.c) */
                    if (shoal_count8_add(o->big, (uint32_t)pv, sat[pv], c)) return nomem(err);
                    v = 255;
                }
                sat[pv] = (uint8_t)(v < cap ? v : cap);
                if (touched) touched[pv >> 6] |= (uint64_t)(c != 0) << (pv & 63);
                if (o->passed) pass_mark(o, (uint32_t)pv, s0, sat[pv]);
            }
            lr->at[0] = i;
            return 0;
        }
        if (o->count && !o->sat && !o->less && !o->pairs) {
            /* full counts added, or taken off (read_part's days), with add_count's
             * tests out of the loop: its stores to count[] may alias *o, so each
             * entry reloaded o's fields (core creator's two counts, issue 17) */
            uint32_t *count = o->count;
            uint64_t *touched = o->touched, pv = 0, nm = o->n_members;
            const uint32_t sign = o->sub ? UINT32_MAX : 1;   /* c * -1: taken off */
            if (o->sub) touched = NULL;   /* (add_count marks none when it takes off) */
            if (touched && o->nz) {
                while (p < end) {
                    if (!(p = dec_quick(p, end, &pv, &c)))
                        return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
                    if (pv > nm) break;
                    uint32_t v = count[pv] + (uint32_t)c;
                    count[pv] = v;
                    touched[pv >> 6] |= (uint64_t)(v != 0) << (pv & 63);
                }
                return 0;
            }
            while (p < end) {
                if (!(p = dec_quick(p, end, &pv, &c)))
                    return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
                if (pv > nm) break;   /* a member after this snapshot's dictionary */
                count[pv] += (uint32_t)c * sign;
                if (touched) touched[pv >> 6] |= (uint64_t)1 << (pv & 63);
            }
            return 0;
        }
        while (p < end) {
            if (!(p = dec_head(p, end, &prev, &c)))
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
            if (prev > o->n_members) break;   /* a member after this snapshot's dictionary */
            add_count(o, prev, c);
        }
        if (o->pairs) o->pairs->start[++o->pairs->k] = o->pairs->n;
        return 0;
    }
    centry e;
    while (p < end) {
        if (!(p = dec_entry(p, end, sums, &prev, &e)))
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a counters bucket of view \"%s\" does not decode", name);
        if (e.member > o->n_members) break;   /* a member after this snapshot's dictionary */
        add_count(o, e.member, e.count);
        if (o->n_vals) o->n_vals[e.member] += (uint32_t)e.nv;
        if (o->sum) {
            shoal_xsum_add_int(&o->sum[e.member], e.isum);
            if (e.hasd) {
                shoal_xsum_merge(&o->sum[e.member], &e.xs);
                if (o->num) *o->num = 1;
            }
        }
    }
    if (o->pairs) o->pairs->start[++o->pairs->k] = o->pairs->n;
    return 0;
}

static int read_keys(MDB_cursor *cur, const char *name, unsigned sb, int64_t lo, int64_t hi, const rdst *o,
                     shoal_err *err)
{
    if (lo < INT32_MIN) lo = INT32_MIN;
    if (hi > (int64_t)INT32_MAX + 1) hi = (int64_t)INT32_MAX + 1;
    if (lo >= hi) return SHOAL_OK;
    unsigned char kb[SHOAL_COUNTERS_KEY];
    sd_key((uint64_t)sb << 32 | (uint32_t)((uint64_t)lo ^ (1ULL << 31)), kb);
    MDB_val k = {sizeof kb, kb}, val;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != SHOAL_COUNTERS_KEY || kp[0] != sb) break;
        int64_t pos = key_pos(kp);
        if (pos >= hi) break;
        const unsigned char *p = val.mv_data, *end = p + val.mv_size;
        if (o->pairs) {   /* a run per bucket (read_part asks for MAX_RUNS at most) */
            assert(o->pairs->k < MAX_RUNS);
            o->pairs->start[o->pairs->k] = o->pairs->n;
        }
        int brc = read_bucket(name, p, end, o, err);
        if (brc < 0) return brc;
        if (brc) break;
    }
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

/* A month bucket weighs about as much as this many of its day buckets (a member active
 * on several days of the month is one entry): the bench's count(*) at 10M events, 141 KB
 * a month against 22 KB a day. */
#define MONTH_IN_DAYS 7

/* Local days [a, b) of month mo, a part of it, into o: day buckets, or when o counts only
 * and the days left out of the month are fewer, the month bucket less them (June's
 * first 29 days: one month bucket and one day bucket instead of 29 day buckets). A
 * month bucket holds exactly the sum of its days' (shoal check), so the difference is
 * exact; members in the month but not in [a, b) end with 0 and, with o->touched,
 * are not marked (the days are taken off before the month is added: below). */
static int read_part(MDB_cursor *cur, const char *name, unsigned s, int months, int64_t fday, int64_t mo, int64_t a,
                     int64_t b, const rdst *o, shoal_err *err)
{
    if (a >= b) return SHOAL_OK;
    int64_t ms = shoal_cal_month_start(mo), me = shoal_cal_month_start(mo + 1);
    if (b == fday && a == ms && s < SHOAL_VIEW_MAX_SERIES && !o->n_vals && !o->sum && !o->text && !o->pairs && !o->less) {
        /* The month so far, [ms, fday): its bucket read plainly, as a whole month's is
         * (issue 17: the windows that end at a now inside the latest day); a series
         * that sums a property keeps none */
        unsigned char k[2] = {(unsigned char)s, 0};
        MDB_val kv = {2, k}, vv;
        int rc = mdb_get(mdb_cursor_txn(cur), mdb_cursor_dbi(cur), &kv, &vv);
        if (rc == 0) {
            const unsigned char *p = vv.mv_data;
            rc = read_bucket(name, p, p + vv.mv_size, o, err);
            return rc < 0 ? rc : SHOAL_OK;
        }
        if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    }
    int64_t out = (a - ms) + (me - b);
    if (months && o->sat && !o->n_vals && !o->sum && !o->text && !o->sub && out <= MAX_RUNS && out + MONTH_IN_DAYS < b - a) {
        /* Counts that stop at a cap cannot be taken off once stopped: the other days'
         * entries are kept first (a run each, in member order) and each member's month
         * entry less them is what is added up to the cap (issue 17: the tiers at noon
         * read June less June 30 in place of 29 day buckets per series). */
        runs lr;
        memset(&lr, 0, sizeof lr);
        rdst keep = {.n_members = o->n_members, .pairs = &lr}, m = *o;
        int rc = read_keys(cur, name, s, ms, a, &keep, err);
        if (!rc) rc = read_keys(cur, name, s, b, me, &keep, err);
        if (!rc && lr.k == 1) {
            /* a sentinel past the one run, above every member: its walk needs no test
             * of its end (the loop of one run in read_keys) */
            runs_push(&lr, UINT32_MAX, 0);
            lr.n--;
        }
        if (!rc && lr.oom) rc = nomem(err);
        for (int j = 0; j < lr.k; j++) lr.at[j] = lr.start[j];
        m.less = &lr;
        if (!rc) rc = read_keys(cur, name, s | MONTHS, mo, mo + 1, &m, err);
        shoal_free(lr.m);
        shoal_free(lr.c);
        return rc;
    }
    if (!months || !o->count || o->sat || o->n_vals || o->sum || o->text || o->sub || out + MONTH_IN_DAYS >= b - a)
        return read_keys(cur, name, s, a, b, o, err);
    /* The other days taken off first, then the month added: a member's count is then
     * its final one as its month entry is added, and it is touched only when that is
     * above 0 (m.nz; a count from an earlier read is above 0 only for a member that
     * read touched). Until session 14 the month came first, its members marked in a
     * bitmap of their own and a pass over them after the days tested their counts:
     * core creator at noon, that pass and the bitmap's zeroing were 6% of the statement. */
    rdst m = *o, less = *o;
    m.nz = 1;
    less.touched = NULL;
    less.sub = 1;
    int rc = read_keys(cur, name, s, ms, a, &less, err);
    if (!rc) rc = read_keys(cur, name, s, b, me, &less, err);
    if (!rc) rc = read_keys(cur, name, s | MONTHS, mo, mo + 1, &m, err);
    return rc;
}

/* Months [lo, hi) of series s from their presence bitmaps: count[m] |= 1 for each member
 * in any of them (OR-ed a byte at a time first, then one pass over the bits). */
static int read_pres(MDB_cursor *cur, unsigned s, int64_t lo, int64_t hi, const rdst *o, shoal_err *err)
{
    if (lo < INT32_MIN) lo = INT32_MIN;
    if (hi > (int64_t)INT32_MAX + 1) hi = (int64_t)INT32_MAX + 1;
    if (lo >= hi) return SHOAL_OK;
    size_t nb = (size_t)o->n_members / 8 + 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* bits' words read as bytes are the bitmap's layout (byte m / 8, bit m % 8): OR-ed
     * into them in place (nb bytes fit in its n_members / 64 + 1 words), without a copy
     * and a pass that gathers bytes into words (the tiers at a noon now, 11 months) */
    const int direct = o->bits != NULL;
#else
    const int direct = 0;
#endif
    unsigned char *bits = direct ? (unsigned char *)o->bits : shoal_malloc(nb + 8);
    if (!bits) return nomem(err);
    if (!direct) memset(bits, 0, nb + 8);
    unsigned char kb[SHOAL_COUNTERS_KEY];
    unsigned sb = s | PRES;
    sd_key((uint64_t)sb << 32 | (uint32_t)((uint64_t)lo ^ (1ULL << 31)), kb);
    MDB_val k = {sizeof kb, kb}, val;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != SHOAL_COUNTERS_KEY || kp[0] != sb) break;
        int64_t pos = key_pos(kp);
        if (pos >= hi) break;
        const unsigned char *p = val.mv_data;
        size_t n = val.mv_size < nb ? val.mv_size : nb;   /* members after this snapshot's dictionary: left out */
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t x, y;
            memcpy(&x, bits + i, 8);
            memcpy(&y, p + i, 8);
            x |= y;
            memcpy(bits + i, &x, 8);
        }
        for (; i < n; i++) bits[i] |= p[i];
    }
    if (rc && rc != MDB_NOTFOUND) {
        if (!direct) shoal_free(bits);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    if (direct) return SHOAL_OK;
    size_t nm = (size_t)o->n_members + 1, i = 0;
    if (o->bits) {
        /* byte m / 8, bit m % 8 is bit m % 64 of word m / 64 read little-endian */
        for (size_t w = 0; w * 8 < nb; w++) {
            unsigned char b8[8] = {0};
            memcpy(b8, bits + w * 8, nb - w * 8 < 8 ? nb - w * 8 : 8);
            uint64_t x = 0;
            for (int j = 0; j < 8; j++) x |= (uint64_t)b8[j] << (8 * j);
            o->bits[w] |= x;
        }
        shoal_free(bits);
        return SHOAL_OK;
    }
    /* a word of 64 members at a time, without branches on the bits (most are set) */
    for (; (i + 8) * 8 <= nm; i += 8) {
        uint64_t w;
        memcpy(&w, bits + i, 8);
        if (!w) continue;
        uint32_t *c = o->count + i * 8;
        for (unsigned j = 0; j < 64; j++) c[j] |= (uint32_t)(w >> j) & 1;
    }
    for (size_t m = i * 8; m < nm; m++) o->count[m] |= (uint32_t)(bits[m >> 3] >> (m & 7)) & 1;
    shoal_free(bits);
    return SHOAL_OK;
}

static int read_days(shoal_reader *r, MDB_dbi dbi, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                     const int64_t *hr, const rdst *o, shoal_err *err);

/* Series s over local days [day_lo, day_hi) into o: the whole months of the window
 * from month buckets (or, for o->exist, presence bitmaps), the days around them from
 * day buckets (or their months less the other days: read_part). */
static int read_window(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi, const int64_t *hr,
                       const rdst *o, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    rc = read_days(r, dbi, name, s, day_lo, day_hi, hr, o, err);
    if (rc || (o->text && *o->text) || !hr || !(hr[0] < hr[1] || hr[2] < hr[3])) return rc;
    /* The whole hours around the days (shoal_view_counters_hours says which are kept),
     * after them: what the reads add commutes (counts, and counts that stop at a cap:
     * min(cap, min(cap, a + b) + c) = min(cap, a + b + c)), and an hour's members, far
     * apart, each a line of the arrays, are then where the days' reads, a pass in
     * member order, left them (in the cache) and not where the arrays' zeroing did, long
     * before (issue 17: the tiers' 48 hour buckets at a noon now, 21k entries, came to
     * a sixth of the statement, most of it waiting on those lines). */
    MDB_cursor *hc;
    if ((rc = mdb_cursor_open(r->txn, dbi, &hc))) return shoal_store_err(err, rc, "cannot read a view's table");
    rc = read_keys(hc, name, s | HOURS, hr[0], hr[1], o, err);
    if (!rc && !(o->text && *o->text)) rc = read_keys(hc, name, s | HOURS, hr[2], hr[3], o, err);
    mdb_cursor_close(hc);
    return rc;
}

/* read_window's days [day_lo, day_hi) (hr: whether hours are read too, after them) */
static int read_days(shoal_reader *r, MDB_dbi dbi, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                     const int64_t *hr, const rdst *o, shoal_err *err)
{
    int rc = 0;
    if (day_lo < INT32_MIN) day_lo = INT32_MIN;
    if (day_hi > (int64_t)INT32_MAX + 1) day_hi = (int64_t)INT32_MAX + 1;
    if (day_lo >= day_hi) return SHOAL_OK;
    int months = has_mark(r->txn, dbi, err);
    if (months < 0) return months;
    int64_t pm = months && o->exist ? pres_mark(r->txn, dbi, err) : 0;
    if (pm < 0) return (int)pm;
    /* the months so far, when kept and current: their D, else none */
    int64_t fday = INT64_MIN;
    int fm = months ? fso_mark(r->txn, dbi, &fday, err) : 0;
    if (fm < 0) return fm;
    if (!fm) fday = INT64_MIN;
    int pres = s < 63 && (pm >> s & 1);
    /* the months before fday's, when kept and current (their mark read only for a
     * window from the first day: a PER statement's periods read many others) */
    int64_t bday = INT32_MIN;
    int bm = fm && !pres && day_lo == INT32_MIN && s < SHOAL_VIEW_MAX_SERIES && !o->n_vals && !o->sum && !o->text &&
                     !o->pairs && !o->less
                 ? num_mark(r->txn, dbi, BMARK, &bday, err)
                 : 0;
    if (bm < 0) return bm;
    if (bm && bday != fday) bm = 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    /* An unbounded side is whole months as far as it goes. */
    int64_t m_lo = 0, m_hi = 0, d_mid_lo = day_hi, d_mid_hi = day_hi;
    int lo_open = day_lo == INT32_MIN, hi_open = day_hi == (int64_t)INT32_MAX + 1;
    if (months) {
        m_lo = lo_open ? INT32_MIN : shoal_cal_month_of_day(day_lo) + (shoal_cal_month_start(shoal_cal_month_of_day(day_lo)) < day_lo);
        m_hi = hi_open ? (int64_t)INT32_MAX + 1 : shoal_cal_month_of_day(day_hi);
        if (m_lo < m_hi) {
            d_mid_lo = m_lo == INT32_MIN ? day_lo : shoal_cal_month_start(m_lo);
            d_mid_hi = m_hi == (int64_t)INT32_MAX + 1 ? day_hi : shoal_cal_month_start(m_hi);
        }
    }
    /* one whole month and nothing around it (no hours: returned above if any): its one
     * bucket, each member met once */
    rdst one;
    if (o->passed && o->passed->once_ok && months && !pres && !lo_open && !hi_open && m_lo + 1 == m_hi &&
        d_mid_lo == day_lo && d_mid_hi == day_hi && !(hr && (hr[0] < hr[1] || hr[2] < hr[3]))) {
        one = *o;
        one.once = 1;
        o = &one;
    }
    if (d_mid_lo < d_mid_hi) {
        rc = lo_open ? SHOAL_OK : read_part(cur, name, s, months, fday, m_lo - 1, day_lo, d_mid_lo, o, err);
        int64_t fmo = bm ? shoal_cal_month_of_day(fday) : 0;
        if (!rc && !pres && bm && lo_open && m_hi >= fmo && s < SHOAL_VIEW_MAX_SERIES && !o->n_vals && !o->sum && !o->text &&
            !o->pairs && !o->less) {
            /* every month from the first to the window's end: the months before fday's
             * as one bucket (issue 17: an all-time count read 11 month buckets at 10M
             * events), then fday's month and any after it */
            unsigned char k[2] = {(unsigned char)(s | MONTHS), 0};
            MDB_val kv = {2, k}, vv;
            int grc = mdb_get(r->txn, dbi, &kv, &vv);
            if (grc == 0) {
                const unsigned char *p = vv.mv_data;
                rc = read_bucket(name, p, p + vv.mv_size, o, err);
                if (rc > 0) rc = SHOAL_OK;
                if (!rc) rc = read_keys(cur, name, s | MONTHS, fmo, m_hi, o, err);
            } else if (grc == MDB_NOTFOUND) {
                rc = read_keys(cur, name, s | MONTHS, m_lo, m_hi, o, err);
            } else {
                rc = shoal_store_err(err, grc, "cannot read a view's table");
            }
        } else if (!rc) {
            rc = pres ? read_pres(cur, s, m_lo, m_hi, o, err) : read_keys(cur, name, s | MONTHS, m_lo, m_hi, o, err);
        }
        if (!rc) rc = hi_open ? SHOAL_OK : read_part(cur, name, s, months, fday, m_hi, d_mid_hi, day_hi, o, err);
    } else if (!months || lo_open || hi_open) {
        rc = read_keys(cur, name, s, day_lo, day_hi, o, err);
    } else {
        /* no whole month: the part of day_lo's month, then the months after it up to day_hi's */
        for (int64_t mo = shoal_cal_month_of_day(day_lo); !rc && mo <= shoal_cal_month_of_day(day_hi - 1); mo++) {
            int64_t a = shoal_cal_month_start(mo), b = shoal_cal_month_start(mo + 1);
            rc = read_part(cur, name, s, months, fday, mo, a > day_lo ? a : day_lo, b < day_hi ? b : day_hi, o, err);
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int shoal_view_counters_read(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                             const int64_t *hours, uint32_t n_members, uint32_t *count, uint32_t *n_vals, shoal_xsum *sum, int *num,
                             uint64_t *touched, shoal_err *err)
{
    rdst o = {.n_members = n_members, .count = count, .n_vals = n_vals, .sum = sum, .num = num, .touched = touched};
    return read_window(r, name, s, day_lo, day_hi, hours, &o, err);
}

int shoal_view_counters_read8(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                              const int64_t *hours, uint32_t n_members, uint8_t *bytes, shoal_count8 *big, uint64_t *touched,
                              shoal_err *err)
{
    rdst o = {.n_members = n_members, .sat = bytes, .cap = 255, .big = big, .touched = touched};
    int rc = read_window(r, name, s, day_lo, day_hi, hours, &o, err);
    return rc ? rc : big->oom ? nomem(err) : SHOAL_OK;
}

int shoal_view_counters_exist(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                              const int64_t *hours, uint32_t n_members, uint32_t *count, uint64_t *bits, shoal_err *err)
{
    rdst o = {.n_members = n_members, .count = count, .exist = 1, .bits = bits, .touched = bits};
    return read_window(r, name, s, day_lo, day_hi, hours, &o, err);
}

int shoal_view_counters_read_sat(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                                 const int64_t *hours, uint32_t n_members, uint8_t *sat, unsigned cap, uint64_t *touched,
                                 shoal_passed *passed, unsigned pass_lo, shoal_err *err)
{
    rdst o = {.n_members = n_members, .sat = sat, .cap = cap < 1 ? 1 : cap > 255 ? 255 : cap, .touched = touched,
              .passed = pass_lo ? passed : NULL, .pass_lo = pass_lo};
    int rc = read_window(r, name, s, day_lo, day_hi, hours, &o, err);
    return rc ? rc : o.passed && o.passed->oom ? nomem(err) : SHOAL_OK;
}

int shoal_view_counters_text(shoal_reader *r, const char *name, uint32_t s, int64_t day_lo, int64_t day_hi,
                             const int64_t *hours, int *text, shoal_err *err)
{
    *text = 0;
    rdst o = {.text = text};
    return read_window(r, name, s, day_lo, day_hi, hours, &o, err);
}

int shoal_view_counters_hours(shoal_reader *r, const char *name, int64_t *h0, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    return hours_mark(r->txn, dbi, h0, err);
}

int shoal_view_counters_so_far(shoal_reader *r, const char *name, uint32_t s, int64_t *d, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    int months = has_mark(r->txn, dbi, err);
    if (months <= 0) return months;
    int fm = fso_mark(r->txn, dbi, d, err);
    if (fm <= 0 || s >= SHOAL_VIEW_MAX_SERIES) return fm < 0 ? fm : 0;
    unsigned char k[2] = {(unsigned char)s, 0};
    MDB_val kv = {2, k}, vv;
    if ((rc = mdb_get(r->txn, dbi, &kv, &vv)) == MDB_NOTFOUND) return 0;
    return rc ? shoal_store_err(err, rc, "cannot read a view's table") : 1;
}

int shoal_view_counters_before(shoal_reader *r, const char *name, uint32_t s, int64_t *d, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    int months = has_mark(r->txn, dbi, err);
    if (months <= 0) return months;
    int64_t bd = INT32_MIN;
    int fm = fso_mark(r->txn, dbi, d, err), bm = fm > 0 ? num_mark(r->txn, dbi, BMARK, &bd, err) : 0;
    if (fm < 0 || bm < 0) return fm < 0 ? fm : bm;
    if (!fm || !bm || bd != *d || s >= SHOAL_VIEW_MAX_SERIES) return 0;
    unsigned char k[2] = {(unsigned char)(s | MONTHS), 0};
    MDB_val kv = {2, k}, vv;
    if ((rc = mdb_get(r->txn, dbi, &kv, &vv)) == MDB_NOTFOUND) return 0;
    return rc ? shoal_store_err(err, rc, "cannot read a view's table") : 1;
}

int shoal_view_counters_instant(shoal_reader *r, const char *name, int64_t t, int *none, shoal_err *err)
{
    if (t % HOUR_MS) return 0;
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    int64_t h0 = INT32_MIN, h = t / HOUR_MS;
    int hm = hours_mark(r->txn, dbi, &h0, err);
    if (hm <= 0 || h < h0) return hm < 0 ? hm : 0;
    const unsigned char *p = NULL;
    size_t n = 0;
    if ((rc = inst_get(r->txn, dbi, &p, &n, err)) <= 0) return rc;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (inst_at(p + 4 * mid) < h) lo = mid + 1;
        else hi = mid;
    }
    *none = !(lo < n && inst_at(p + 4 * lo) == h);
    return 1;
}
