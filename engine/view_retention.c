/* view_retention.c — the retention kind (CREATE RETENTION, query/retention.c): per
 * member, the earliest cohort event's time (series 0; with each(…) cohorts, the set of
 * local periods holding one) and the set of local periods the member was active in
 * (series 1; a bit per period, or with AT LEAST n a byte per period that stops at n).
 * A join that arrives late only lowers the member's cohort time, a late activity sets
 * one bit: the state is a function of the set of events, whatever their order.
 *
 * Parameters (shoal_viewdef.params): [0] the period unit (1 day, 2 week, 3 month, as
 * query/rowsrc.h's SHOAL_PER_*), [1] n of AT LEAST n (1: bits), [2] 1 for each(…).
 * Periods are absolute numbers in the view's zone: the local day, the Monday week
 * floor((day + 3) / 7) (day 0 was a Thursday), the month year·12 + month − 1.
 *
 * Table: key [0x00][chunk BE u32] → the members chunk·64 … chunk·64 + 63 that have
 * state, in ascending id: varint id delta (the first from chunk·64), a flag byte (bit
 * 0: cohort time follows, zigzag varint ms; bit 1: active set; bit 2: start set), then
 * each set as zigzag varint lo, varint n and n little-endian u64 words: the words lo …
 * lo + n − 1 of the set, the first and last not zero (a word is 64 periods of bits, or
 * 8 periods of byte counters). A chunk without state has no key. Hot state is every
 * member's record in memory; a batch rewrites the chunks whose state it changed.
 */
#include "shoal_int.h"
#include "caltime.h"

#include <stdio.h>

/* Members per table entry. At 128 (about 2.3 KB a chunk at 1M events) every value
 * took an overflow page of its own, 30.8 bytes a member; at 64 they share leaf pages,
 * 25.1 bytes a member, and a batch rewrites half as much per member it changes. */
#define CHUNK 64
#define F_FIRST 1
#define F_ACT 2
#define F_START 4
/* problems reported per view by check before it stops listing them */
#define MAX_PROBLEMS 10
/* Members per entry of the cohort table (key [0x02]): 4096 int32, 16 KB. */
#define BLOCK 4096
#define COH_NONE INT32_MIN

/* A cohort's counts (retention only): its size, and per k = 0 … n − 1 the members
 * active in period A + k (bnd) and in A + k or a later one (unb). */
/* An activity's counts: what, by 64 periods (days, or weeks, months) a block. */
enum { AC_DAU, AC_WAU, AC_MAU, AC_WEEK, AC_MONTH, N_AC };
typedef struct cblk {
    int32_t b;
    uint8_t dirty;
    int64_t v[64];
} cblk;

typedef struct rcoh {
    int32_t A;
    uint8_t dirty;
    int64_t size;
    uint32_t n, cap;
    int64_t *bnd, *unb;
} rcoh;

/* A set of periods: words [lo, lo + n) kept at pool[off …], room for cap words. */
typedef struct rset {
    int32_t lo;
    uint32_t off;
    uint16_t n, cap;
} rset;

typedef struct rstate {
    int unit, least, each;
    uint64_t cohort_bit, act_bit;   /* the series' mask bits (an activity has no cohort) */
    int64_t *first;        /* per member: earliest cohort event, INT64_MAX none */
    rset *act, *st;        /* per member: active periods, start periods (each) */
    uint32_t n_members;    /* arrays' length */
    uint64_t *dirty;       /* per chunk: the members whose state changed (bit m − 64·chunk) */
    uint64_t *pool;
    size_t n_pool, cap_pool, garbage;
    /* Per-cohort counts (a retention; an activity has none): what FROM retention(name)
     * reads without walking the members. A member whose state is about to change has
     * its contribution retracted first (pend, plist) and re-added at the flush. */
    int counts;
    int32_t *coh;          /* per member: first(…)'s cohort period, COH_NONE none */
    uint8_t *pend;         /* per member: retracted, to be re-added */
    uint32_t *plist;
    size_t n_plist, cap_plist;
    rcoh *rows;            /* by A ascending */
    size_t n_rows, cap_rows;
    uint8_t *bdirty;       /* per block of BLOCK members: a cohort period changed */
    int all_dirty;         /* the table holds no counts yet (made before them) */
    /* An activity's day counts (acounts): per local day the members active (DAU), the
     * differences of the 7- and 30-day windows' counts (WAU, MAU: a prefix sum gives a
     * day's), per Monday week and per month the members active in it; blocks of 64 */
    int acounts;
    cblk *ab[N_AC];
    size_t n_ab[N_AC], cap_ab[N_AC];
    shoal_mrefs refs;      /* the batch's events not applied yet (time, member, mask) */
    /* Hours (issue 17; a retention of first(…) cohorts, AT LEAST 1): for the last
     * keep UTC hours up to the latest event's, per member with an event that hour the
     * offsets (ms from the hour's start) of their first and last active and cohort
     * events in it, so that now's period up to a cut is read from them, not the log */
    int hours;             /* kept (built, or the table's mark current) */
    int keep;              /* hours kept: 192 for weeks, else 48 */
    int64_t hmax;          /* the latest event time (either series), INT64_MIN none */
    struct rhslot *hs;     /* keep slots, hour % keep */
    int64_t *hdel;         /* stored hours that fell out: their keys go */
    size_t n_hdel, cap_hdel;
    /* Days (issue 17; an activity with day counts): for the local days dmax − 1 and
     * dmax (dmax the latest active event's), per member active that day the time of
     * their first active event in it and their previous active day, so that a now in
     * one of them is mended from them, not the log (query/activity.c late_mend) */
    int days;              /* kept (built, or the table's mark current) */
    int64_t dmax;          /* INT64_MIN none */
    struct rdslot *ds;     /* RD_KEEP slots, day % RD_KEEP */
    int64_t *ddel;         /* stored days that fell out: their keys go */
    size_t n_ddel, cap_ddel;
} rstate;

#define RH_KEY 0x04        /* [0x04][hour + 2^31 BE u32] → entries of RH_ENT bytes, members ascending */
#define RH_MARK 0x05       /* [0x05] → keep (u32 LE), hmax (i64 LE), the header's sequence (BE u64) */
#define RH_ENT 20          /* u32 member, u32 first and last active offset, first and last cohort offset */
#define RH_NONE UINT32_MAX
#define MS_HOUR 3600000LL

typedef struct rhent {
    uint32_t m, af, al, sf, sl;
} rhent;

typedef struct rhslot {
    int64_t hour;          /* INT64_MIN: empty */
    rhent *e;              /* ascending by member */
    size_t n, cap;
    rhent *b;              /* the batch's, ascending */
    size_t bn, bcap;
    int dirty, stored;
} rhslot;

static int hours_kind(const rstate *s) { return s->counts && !s->each && s->least == 1 && s->cohort_bit; }

#define RD_KEY 0x06        /* [0x06][day + 2^31 BE u32][block BE u32] → entries of RD_ENT bytes, members ascending */
#define RD_MARK 0x07       /* [0x07] → RD_KEEP (u32 LE), dmax (i64 LE), the header's sequence (BE u64) */
#define RD_ENT 16          /* u32 member, i32 previous active day (INT32_MIN none), i64 first active time (LE) */
#define RD_KEEP SHOAL_ACT_DAYS
#define RD_BLOCK 4096      /* members per key */

typedef struct rdent {
    uint32_t m;
    int32_t prev;
    int64_t first;
} rdent;

typedef struct rdslot {
    int64_t day;           /* INT64_MIN: empty */
    rdent *e;              /* ascending by member */
    size_t n, cap;
    uint8_t *bdirty;       /* per block of RD_BLOCK members */
    size_t n_bd;
    int stored;
} rdslot;

static int days_kind(const rstate *s) { return s->acounts; }

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

int64_t shoal_view_retention_period(int unit, int64_t day)
{
    return unit == 1 ? day : unit == 2 ? floor_div(day + 3, 7) : shoal_cal_month_of_day(day);
}

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    rstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    const shoal_viewdef *d = &v->def;
    s->unit = d->n_params > 0 ? (int)d->params[0] : 0;
    s->least = d->n_params > 1 ? (int)d->params[1] : 1;
    s->each = d->n_params > 2 && d->params[2] != 0;
    s->cohort_bit = 1;
    s->act_bit = 2;
    s->counts = 1;
    if (d->kind == SHOAL_VIEW_ACTIVITY) s->cohort_bit = 0, s->act_bit = 1, s->counts = 0, s->acounts = s->unit == 1 && s->least == 1;
    if (s->unit < 1 || s->unit > 3 || s->least < 1 || s->least > 255 || d->n_series != (s->cohort_bit ? 2u : 1u)) {
        shoal_free(s);
        return SHOAL_ECORRUPT;
    }
    s->keep = s->unit == 2 ? 192 : 48;
    s->hours = hours_kind(s);
    s->hmax = INT64_MIN;
    s->days = days_kind(s);
    s->dmax = INT64_MIN;
    *out = s;
    return SHOAL_OK;
}

static void reset(void *st)
{
    rstate *s = st;
    shoal_free(s->first);
    shoal_free(s->act);
    shoal_free(s->st);
    shoal_free(s->dirty);
    shoal_free(s->pool);
    shoal_free(s->coh);
    shoal_free(s->pend);
    shoal_free(s->plist);
    shoal_free(s->bdirty);
    for (size_t i = 0; i < s->n_rows; i++) {
        shoal_free(s->rows[i].bnd);
        shoal_free(s->rows[i].unb);
    }
    shoal_free(s->rows);
    for (int i = 0; i < N_AC; i++) shoal_free(s->ab[i]);
    shoal_mrefs_free(&s->refs);
    if (s->hs)
        for (int i = 0; i < s->keep; i++) {
            shoal_free(s->hs[i].e);
            shoal_free(s->hs[i].b);
        }
    shoal_free(s->hs);
    shoal_free(s->hdel);
    if (s->ds)
        for (int i = 0; i < RD_KEEP; i++) {
            shoal_free(s->ds[i].e);
            shoal_free(s->ds[i].bdirty);
        }
    shoal_free(s->ds);
    shoal_free(s->ddel);
    int unit = s->unit, least = s->least, each = s->each, counts = s->counts, acounts = s->acounts, keep = s->keep;
    uint64_t cb = s->cohort_bit, ab = s->act_bit;
    memset(s, 0, sizeof *s);
    s->unit = unit, s->least = least, s->each = each, s->cohort_bit = cb, s->act_bit = ab, s->counts = counts;
    s->acounts = acounts, s->keep = keep;
    s->hours = hours_kind(s);   /* a state being built keeps them; load reads the mark */
    s->hmax = INT64_MIN;
    s->days = days_kind(s);     /* the same */
    s->dmax = INT64_MIN;
}

static void free_state(void *st)
{
    if (!st) return;
    reset(st);
    shoal_free(st);
}

static int grow(rstate *s, uint32_t member)
{
    if (member < s->n_members) return 0;
    uint32_t n = s->n_members ? s->n_members : CHUNK * 8;
    while (n <= member) n *= 2;
    int64_t *f = shoal_realloc(s->first, (size_t)n * sizeof *f);
    if (!f) return -1;
    s->first = f;
    rset *a = shoal_realloc(s->act, (size_t)n * sizeof *a);
    if (!a) return -1;
    s->act = a;
    rset *t = shoal_realloc(s->st, (size_t)n * sizeof *t);
    if (!t) return -1;
    s->st = t;
    uint64_t *d = shoal_realloc(s->dirty, n / CHUNK * sizeof *d);
    if (!d) return -1;
    s->dirty = d;
    if (s->counts) {
        int32_t *co = shoal_realloc(s->coh, (size_t)n * sizeof *co);
        if (!co) return -1;
        s->coh = co;
        uint8_t *pe = shoal_realloc(s->pend, n);
        if (!pe) return -1;
        s->pend = pe;
        size_t ob = (s->n_members + BLOCK - 1) / BLOCK, nb = ((size_t)n + BLOCK - 1) / BLOCK;
        uint8_t *bd = shoal_realloc(s->bdirty, nb);
        if (!bd) return -1;
        s->bdirty = bd;
        for (uint32_t i = s->n_members; i < n; i++) co[i] = COH_NONE;
        memset(pe + s->n_members, 0, n - s->n_members);
        memset(bd + ob, 0, nb - ob);
    }
    for (uint32_t i = s->n_members; i < n; i++) f[i] = INT64_MAX;
    memset(a + s->n_members, 0, (size_t)(n - s->n_members) * sizeof *a);
    memset(t + s->n_members, 0, (size_t)(n - s->n_members) * sizeof *t);
    memset(d + s->n_members / CHUNK, 0, (n - s->n_members) / CHUNK * sizeof *d);
    s->n_members = n;
    return 0;
}

/* The pool's words from off on: NULL while there is no pool (every set empty, off 0),
 * since NULL + 0 is undefined. */
static inline const uint64_t *pool_at(const rstate *s, size_t off) { return s->pool ? s->pool + off : NULL; }

/* cap zeroed words at the pool's end; their offset, or SIZE_MAX. */
static size_t pool_take(rstate *s, size_t cap)
{
    if (s->n_pool + cap > s->cap_pool) {
        size_t c = s->cap_pool ? s->cap_pool * 2 : 4096;
        while (c < s->n_pool + cap) c *= 2;
        if (c > UINT32_MAX) return SIZE_MAX;
        uint64_t *p = shoal_realloc(s->pool, c * sizeof *p);
        if (!p) return SIZE_MAX;
        s->pool = p;
        s->cap_pool = c;
    }
    size_t off = s->n_pool;
    memset(s->pool + off, 0, cap * sizeof *s->pool);
    s->n_pool += cap;
    return off;
}

/* The word w of set z, made (zero) when absent; NULL when out of memory. */
static uint64_t *set_word(rstate *s, rset *z, int64_t w)
{
    if (w < INT32_MIN / 2 || w > INT32_MAX / 2) return NULL;
    if (z->n && w >= z->lo && w < (int64_t)z->lo + z->n) return &s->pool[z->off + (w - z->lo)];
    if (z->n && w >= z->lo && w < (int64_t)z->lo + z->cap) {
        z->n = (uint16_t)(w - z->lo + 1);   /* the room is zeroed already */
        return &s->pool[z->off + (w - z->lo)];
    }
    int64_t lo = z->n ? (w < z->lo ? w : z->lo) : w;
    int64_t hi = z->n ? (w >= (int64_t)z->lo + z->n ? w + 1 : (int64_t)z->lo + z->n) : w + 1;
    size_t n = (size_t)(hi - lo), cap = n < 2 ? 2 : n + n / 2;
    if (cap > UINT16_MAX) {
        if (n > UINT16_MAX) return NULL;
        cap = n;
    }
    size_t off = pool_take(s, cap);
    if (off == SIZE_MAX) return NULL;
    if (z->n) {
        memcpy(s->pool + off + (z->lo - lo), s->pool + z->off, (size_t)z->n * sizeof *s->pool);
        s->garbage += z->cap;
    }
    z->lo = (int32_t)lo;
    z->off = (uint32_t)off;
    z->n = (uint16_t)n;
    z->cap = (uint16_t)cap;
    return &s->pool[off + (w - lo)];
}

/* Moves every set to a fresh pool, leaving out what moved sets left behind. */
static int compact(rstate *s)
{
    if (s->garbage < 65536 || s->garbage < s->n_pool / 2) return 0;
    size_t live = s->n_pool - s->garbage;
    uint64_t *p = shoal_malloc((live ? live : 1) * sizeof *p);
    if (!p) return -1;
    size_t n = 0;
    for (uint32_t m = 0; m < s->n_members; m++)
        for (int k = 0; k < 2; k++) {
            rset *z = k ? &s->st[m] : &s->act[m];
            if (!z->n) continue;
            memcpy(p + n, s->pool + z->off, (size_t)z->cap * sizeof *p);
            z->off = (uint32_t)n;
            n += z->cap;
        }
    shoal_free(s->pool);
    s->pool = p;
    s->n_pool = s->cap_pool = n;
    s->garbage = 0;
    return 0;
}

/* Period P into set z: a bit (bits mode) or a byte that stops at least. 1 when the set
 * changed, 0 when not, -1 out of memory. */
static int set_add(rstate *s, rset *z, int64_t P, int bytes)
{
    int64_t w = floor_div(P, bytes ? 8 : 64);
    int b = (int)(P - w * (bytes ? 8 : 64));
    uint64_t *word = set_word(s, z, w);
    if (!word) return -1;
    if (!bytes) {
        uint64_t bit = (uint64_t)1 << b;
        if (*word & bit) return 0;
        *word |= bit;
        return 1;
    }
    unsigned c = (unsigned)(*word >> (8 * b) & 0xFF);
    if (c >= (unsigned)s->least) return 0;
    *word += (uint64_t)1 << (8 * b);
    return 1;
}

/* ---------------------------------------------------------------- per-cohort counts */

/* Set z's value at period P: the bit, or the byte count; 0 when absent. */
static unsigned set_get(const rstate *s, const rset *z, int64_t P, int bytes)
{
    int64_t w = floor_div(P, bytes ? 8 : 64);
    if (!z->n || w < z->lo || w >= (int64_t)z->lo + z->n) return 0;
    uint64_t v = s->pool[z->off + (w - z->lo)];
    int b = (int)(P - w * (bytes ? 8 : 64));
    return bytes ? (unsigned)(v >> (8 * b) & 0xFF) : (unsigned)(v >> b & 1);
}

/* The row of cohort A, made (zero) when absent; NULL when out of memory. */
static rcoh *row_at(rstate *s, int32_t A)
{
    size_t lo = 0, hi = s->n_rows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->rows[mid].A < A) lo = mid + 1;
        else hi = mid;
    }
    if (lo < s->n_rows && s->rows[lo].A == A) return &s->rows[lo];
    if (s->n_rows == s->cap_rows) {
        size_t c = s->cap_rows ? s->cap_rows * 2 : 64;
        rcoh *r = shoal_realloc(s->rows, c * sizeof *r);
        if (!r) return NULL;
        s->rows = r;
        s->cap_rows = c;
    }
    memmove(s->rows + lo + 1, s->rows + lo, (s->n_rows - lo) * sizeof *s->rows);
    s->n_rows++;
    memset(&s->rows[lo], 0, sizeof s->rows[lo]);
    s->rows[lo].A = A;
    return &s->rows[lo];
}

static int row_room(rcoh *r, uint32_t n)
{
    if (n <= r->n) return 0;
    if (n > r->cap) {
        uint32_t c = r->cap ? r->cap : 16;
        while (c < n) c = c > UINT32_MAX / 2 ? n : c * 2;
        int64_t *b = shoal_realloc(r->bnd, (size_t)c * sizeof *b);
        if (!b) return -1;
        r->bnd = b;
        int64_t *u = shoal_realloc(r->unb, (size_t)c * sizeof *u);
        if (!u) return -1;
        r->unb = u;
        r->cap = c;
    }
    memset(r->bnd + r->n, 0, (size_t)(n - r->n) * sizeof *r->bnd);
    memset(r->unb + r->n, 0, (size_t)(n - r->n) * sizeof *r->unb);
    r->n = n;
    return 0;
}

/* Member m in cohort A, added (sign 1) or taken out (−1): the cohort's size, per k its
 * bounded count when active in A + k (a bit, or a byte that reached n), and its
 * unbounded counts for every k up to the last active period. Activity before the
 * cohort's period counts nowhere. */
static int add_cohort(rstate *s, uint32_t m, int64_t A, int sign)
{
    if (A < INT32_MIN + 1 || A > INT32_MAX) return 0;
    rcoh *r = row_at(s, (int32_t)A);
    if (!r) return -1;
    r->size += sign;
    r->dirty = 1;
    const rset *z = &s->act[m];
    int bytes = s->least > 1, per = bytes ? 8 : 64;
    const uint64_t *w = pool_at(s, z->off);
    int64_t last = -1;
    for (int64_t i = (int64_t)z->n - 1; i >= 0 && last < 0; i--) {
        uint64_t v = w[i];
        if (!v) continue;
        for (int j = per - 1; j >= 0; j--) {
            int64_t P = ((int64_t)z->lo + i) * per + j;
            if (P < A) break;
            if (bytes ? (v >> (8 * j) & 0xFF) >= (uint64_t)s->least : (v >> j & 1)) {
                last = P;
                break;
            }
        }
        if (((int64_t)z->lo + i) * per <= A) break;
    }
    if (last < 0) return 0;
    if (last - A + 1 > (int64_t)UINT32_MAX / 2 || row_room(r, (uint32_t)(last - A + 1))) return -1;
    for (int64_t k = 0; k <= last - A; k++) r->unb[k] += sign;
    for (uint32_t i = 0; i < z->n; i++) {
        uint64_t v = w[i];
        int64_t base = ((int64_t)z->lo + i) * per;
        if (!v || base + per <= A || base > last) continue;
        if (bytes) {
            for (int j = 0; j < 8; j++)
                if ((v >> (8 * j) & 0xFF) >= (uint64_t)s->least && base + j >= A) r->bnd[base + j - A] += sign;
        } else {
            while (v) {
                int64_t P = base + __builtin_ctzll(v);
                v &= v - 1;
                if (P >= A) r->bnd[P - A] += sign;
            }
        }
    }
    return 0;
}

/* Member m's whole contribution to the counts, added or taken out. */
static int contrib(rstate *s, uint32_t m, int sign)
{
    if (!s->each) return s->coh[m] == COH_NONE ? 0 : add_cohort(s, m, s->coh[m], sign);
    const rset *z = &s->st[m];
    for (uint32_t i = 0; i < z->n; i++) {
        uint64_t v = s->pool[z->off + i];
        while (v) {
            int64_t P = ((int64_t)z->lo + i) * 64 + __builtin_ctzll(v);
            v &= v - 1;
            if (add_cohort(s, m, P, sign)) return -1;
        }
    }
    return 0;
}

/* Whether an event (ts, its period P) moves m to another cohort or into one more. */
static int cohort_change(const rstate *s, uint32_t m, int64_t ts, int64_t P)
{
    return s->each ? !set_get(s, &s->st[m], P, 0) : ts < s->first[m] && P != s->coh[m];
}

/* Whether an activity in period P makes m active in P (a bit set, a byte reaching n). */
static int act_change(const rstate *s, uint32_t m, int64_t P)
{
    unsigned c = set_get(s, &s->act[m], P, s->least > 1);
    return s->least > 1 ? c == (unsigned)s->least - 1 : !c;
}

/* The latest period m is active in; INT64_MIN when none. */
static int64_t last_active(const rstate *s, uint32_t m)
{
    const rset *z = &s->act[m];
    int bytes = s->least > 1, per = bytes ? 8 : 64;
    for (int64_t i = (int64_t)z->n - 1; i >= 0; i--) {
        uint64_t v = s->pool[z->off + i];
        if (!v) continue;
        for (int j = per - 1; j >= 0; j--)
            if (bytes ? (v >> (8 * j) & 0xFF) >= (uint64_t)s->least : (v >> j & 1)) return ((int64_t)z->lo + i) * per + j;
    }
    return INT64_MIN;
}

/* m becomes active in period P (last: the latest period they were active in before),
 * in cohort A: the count at P − A, and the unbounded ones from past their last to P. */
static int act_delta_one(rstate *s, int64_t A, int64_t P, int64_t last)
{
    if (P < A || A < INT32_MIN + 1 || A > INT32_MAX) return 0;
    rcoh *r = row_at(s, (int32_t)A);
    if (!r) return -1;
    if (P - A + 1 > (int64_t)UINT32_MAX / 2 || row_room(r, (uint32_t)(P - A + 1))) return -1;
    r->dirty = 1;
    r->bnd[P - A]++;
    for (int64_t k = (last >= A ? last - A + 1 : 0); k <= P - A; k++) r->unb[k]++;
    return 0;
}

static int act_delta(rstate *s, uint32_t m, int64_t P, int64_t last)
{
    if (!s->each) return s->coh[m] == COH_NONE ? 0 : act_delta_one(s, s->coh[m], P, last);
    const rset *z = &s->st[m];
    for (uint32_t i = 0; i < z->n; i++) {
        uint64_t v = s->pool[z->off + i];
        while (v) {
            int64_t A = ((int64_t)z->lo + i) * 64 + __builtin_ctzll(v);
            v &= v - 1;
            if (act_delta_one(s, A, P, last)) return -1;
        }
    }
    return 0;
}

/* The contributions taken out in this batch, added back from the members' new state. */
static int settle(rstate *s)
{
    for (size_t i = 0; i < s->n_plist; i++) {
        uint32_t m = s->plist[i];
        if (contrib(s, m, 1)) return -1;
        s->pend[m] = 0;
    }
    s->n_plist = 0;
    return 0;
}

/* ---------------------------------------------------------------- an activity's day counts */

static int64_t *ac_at(rstate *s, int what, int64_t P)
{
    int64_t b64 = floor_div(P, 64);
    if (b64 < INT32_MIN || b64 > INT32_MAX) return NULL;
    int32_t b = (int32_t)b64;
    cblk *a = s->ab[what];
    size_t lo = 0, hi = s->n_ab[what];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid].b < b) lo = mid + 1;
        else hi = mid;
    }
    if (lo == s->n_ab[what] || a[lo].b != b) {
        if (s->n_ab[what] == s->cap_ab[what]) {
            size_t c = s->cap_ab[what] ? s->cap_ab[what] * 2 : 16;
            cblk *n = shoal_realloc(a, c * sizeof *n);
            if (!n) return NULL;
            s->ab[what] = a = n;
            s->cap_ab[what] = c;
        }
        memmove(a + lo + 1, a + lo, (s->n_ab[what] - lo) * sizeof *a);
        s->n_ab[what]++;
        memset(&a[lo], 0, sizeof a[lo]);
        a[lo].b = b;
    }
    a[lo].dirty = 1;
    return &a[lo].v[P - (int64_t)b * 64];
}

static int ac_add(rstate *s, int what, int64_t P, int64_t n)
{
    int64_t *c = ac_at(s, what, P);
    if (!c) return -1;
    *c += n;
    return 0;
}

/* The nearest active day of set z before d (dir −1) or after it (1); INT64_MIN none. */
static int64_t near_day(const rstate *s, const rset *z, int64_t d, int dir)
{
    if (!z->n) return INT64_MIN;
    int64_t w = floor_div(d, 64), hi = (int64_t)z->lo + z->n - 1;
    int b = (int)(d - w * 64);
    if (dir < 0) {
        if (w > hi) w = hi, b = 64;
        for (; w >= z->lo; w--, b = 64) {
            uint64_t v = s->pool[z->off + (w - z->lo)];
            if (b < 64) v &= ((uint64_t)1 << b) - 1;
            if (v) return w * 64 + 63 - __builtin_clzll(v);
        }
    } else {
        if (w < z->lo) w = z->lo, b = -1;
        for (; w <= hi; w++, b = -1) {
            uint64_t v = s->pool[z->off + (w - z->lo)];
            if (b >= 0) v = b == 63 ? 0 : v & ~(((uint64_t)2 << b) - 1);
            if (v) return w * 64 + __builtin_ctzll(v);
        }
    }
    return INT64_MIN;
}

/* m becomes active on day d (its bit not set yet): the day's DAU; the days whose 7-
 * and 30-day windows it newly enters (not already covered by the active days around
 * it), as differences; its week and month when it held no other active day. */
static int ac_day(rstate *s, uint32_t m, int64_t d)
{
    const rset *z = &s->act[m];
    int64_t prev = near_day(s, z, d, -1), next = near_day(s, z, d, 1);
    if (ac_add(s, AC_DAU, d, 1)) return -1;
    static const int win[2] = {7, 30};
    for (int i = 0; i < 2; i++) {
        int64_t a = prev != INT64_MIN && prev + win[i] > d ? prev + win[i] : d;
        int64_t e = next != INT64_MIN && next < d + win[i] ? next : d + win[i];
        if (a < e && (ac_add(s, AC_WAU + i, a, 1) || ac_add(s, AC_WAU + i, e, -1))) return -1;
    }
    int64_t W = shoal_view_retention_period(2, d), M = shoal_view_retention_period(3, d);
    if (!((prev != INT64_MIN && shoal_view_retention_period(2, prev) == W) ||
          (next != INT64_MIN && shoal_view_retention_period(2, next) == W)) &&
        ac_add(s, AC_WEEK, W, 1))
        return -1;
    if (!((prev != INT64_MIN && shoal_view_retention_period(3, prev) == M) ||
          (next != INT64_MIN && shoal_view_retention_period(3, next) == M)) &&
        ac_add(s, AC_MONTH, M, 1))
        return -1;
    return 0;
}

/* Every member's days into the counts (load: they follow from the sets). */
static int ac_all(rstate *s)
{
    for (uint32_t m = 0; m < s->n_members; m++) {
        const rset *z = &s->act[m];
        int64_t prev = INT64_MIN;
        static const int win[2] = {7, 30};
        for (uint32_t i = 0; i < z->n; i++)
            for (uint64_t v = s->pool[z->off + i]; v; v &= v - 1) {
                int64_t d = ((int64_t)z->lo + i) * 64 + __builtin_ctzll(v);
                if (ac_add(s, AC_DAU, d, 1)) return -1;
                /* the day's windows up to the next active day, which counts from there */
                int64_t nx = near_day(s, z, d, 1);
                for (int k = 0; k < 2; k++) {
                    int64_t e = nx != INT64_MIN && nx < d + win[k] ? nx : d + win[k];
                    if (ac_add(s, AC_WAU + k, d, 1) || ac_add(s, AC_WAU + k, e, -1)) return -1;
                }
                int64_t W = shoal_view_retention_period(2, d), M = shoal_view_retention_period(3, d);
                if ((prev == INT64_MIN || shoal_view_retention_period(2, prev) != W) && ac_add(s, AC_WEEK, W, 1)) return -1;
                if ((prev == INT64_MIN || shoal_view_retention_period(3, prev) != M) && ac_add(s, AC_MONTH, M, 1)) return -1;
                prev = d;
            }
    }
    return 0;
}

/* One event (member m at ts, the series of mask) into the state. */
static int apply_one(shoal_view *v, uint32_t m, int64_t ts, uint64_t mask, shoal_err *err)
{
    rstate *s = v->st;
    if (grow(s, m)) return nomem(err);
    int64_t P = shoal_view_retention_period(s->unit, shoal_view_day(v->tz, ts));
    int changed = 0, rc;
    /* the counts: a member moving to another cohort (or into one more) is taken out
     * now and added back at the flush; one becoming active in a period adds to the
     * counts of their cohorts directly */
    int64_t delta_last = INT64_MIN;
    int delta = 0;
    if (s->counts && !s->pend[m] && (mask & s->act_bit) && !((mask & s->cohort_bit) && cohort_change(s, m, ts, P)) &&
        act_change(s, m, P)) {
        delta = 1;
        delta_last = last_active(s, m);
    } else if (s->counts && !s->pend[m] && (((mask & s->cohort_bit) && cohort_change(s, m, ts, P)) ||
                                            ((mask & s->act_bit) && act_change(s, m, P)))) {
        if (s->n_plist == s->cap_plist) {
            size_t c = s->cap_plist ? s->cap_plist * 2 : 1024;
            uint32_t *l = shoal_realloc(s->plist, c * sizeof *l);
            if (!l) return nomem(err);
            s->plist = l;
            s->cap_plist = c;
        }
        if (contrib(s, m, -1)) return nomem(err);
        s->pend[m] = 1;
        s->plist[s->n_plist++] = m;
    }
    if (mask & s->cohort_bit) {
        if (s->each) {
            if ((rc = set_add(s, &s->st[m], P, 0)) < 0) return nomem(err);
            changed |= rc;
        } else if (ts < s->first[m]) {
            s->first[m] = ts;
            changed = 1;
            if (s->counts && s->coh[m] != (int32_t)P) {
                s->coh[m] = P < INT32_MIN + 1 || P > INT32_MAX ? COH_NONE : (int32_t)P;
                s->bdirty[m / BLOCK] = 1;
            }
        }
    }
    if (mask & s->act_bit) {
        if ((rc = set_add(s, &s->act[m], P, s->least > 1)) < 0) return nomem(err);
        changed |= rc;
        /* a new active day (its nearest active days around it do not count it) */
        if (rc && s->acounts && ac_day(s, m, P)) return nomem(err);
    }
    if (delta && act_delta(s, m, P, delta_last)) return nomem(err);
    if (changed) s->dirty[m / CHUNK] |= (uint64_t)1 << (m % CHUNK);
    return SHOAL_OK;
}

/* An event is kept as a ref until the flush, which applies the batch's refs by member
 * (view_mrefs.c): each member's calendars are then touched once a batch, in order. */
static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    rstate *s = v->st;
    return shoal_mrefs_push(&s->refs, ev->member, ev->ts, (uint32_t)mask) ? nomem(err) : SHOAL_OK;
}

static int rh_add(rstate *s, const shoal_mref *r, size_t n);
static int rd_add(shoal_view *v, const shoal_mref *r, size_t n);

/* The batch's refs into the state, in member order. */
static int drain(shoal_view *v, shoal_err *err)
{
    rstate *s = v->st;
    if (!s->refs.n) return SHOAL_OK;
    const shoal_mref *r = shoal_mrefs_sort(&s->refs);
    if (!r) return nomem(err);
    int rc = SHOAL_OK;
    for (size_t i = 0; i < s->refs.n && !rc; i++) rc = apply_one(v, r[i].member, r[i].val, r[i].aux, err);
    if (!rc && s->hours && rh_add(s, r, s->refs.n)) rc = nomem(err);
    if (!rc && s->days && rd_add(v, r, s->refs.n)) rc = nomem(err);
    shoal_mrefs_clear(&s->refs);
    return rc;
}

/* A stored hour's or day's key onto the list of those whose keys go (s->hdel,
 * s->ddel: the slots that fell out, deleted at the batch's write). 0, or -1 when out
 * of memory (the list as it was). */
static int del_push(int64_t **v, size_t *n, size_t *cap, int64_t key)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        int64_t *d = shoal_realloc(*v, c * sizeof *d);
        if (!d) return -1;
        *v = d, *cap = c;
    }
    (*v)[(*n)++] = key;
    return 0;
}

/* ---------------------------------------------------------------- hours */

static int64_t rh_hour(int64_t ts) { return floor_div(ts, MS_HOUR); }
static int64_t rh_low(const rstate *s) { return s->hmax == INT64_MIN ? INT64_MIN : rh_hour(s->hmax) - s->keep + 1; }

static int rh_slots(rstate *s)
{
    if (s->hs) return 0;
    if (!(s->hs = shoal_malloc((size_t)s->keep * sizeof *s->hs))) return -1;
    memset(s->hs, 0, (size_t)s->keep * sizeof *s->hs);
    for (int i = 0; i < s->keep; i++) s->hs[i].hour = INT64_MIN;
    return 0;
}

static void rh_clear(rhslot *h)
{
    shoal_free(h->e);
    shoal_free(h->b);
    memset(h, 0, sizeof *h);
    h->hour = INT64_MIN;
}

static int rh_expire(rstate *s, int64_t low)
{
    for (int i = 0; s->hs && i < s->keep; i++) {
        rhslot *h = &s->hs[i];
        if (h->hour == INT64_MIN || h->hour >= low) continue;
        if (h->stored && del_push(&s->hdel, &s->n_hdel, &s->cap_hdel, h->hour)) return -1;
        rh_clear(h);
    }
    return 0;
}

static void rh_fold(rhent *a, const rhent *b)
{
    if (b->af != RH_NONE && (a->af == RH_NONE || b->af < a->af)) a->af = b->af;
    if (b->al != RH_NONE && (a->al == RH_NONE || b->al > a->al)) a->al = b->al;
    if (b->sf != RH_NONE && (a->sf == RH_NONE || b->sf < a->sf)) a->sf = b->sf;
    if (b->sl != RH_NONE && (a->sl == RH_NONE || b->sl > a->sl)) a->sl = b->sl;
}

static int rh_merge(rhslot *h)
{
    if (!h->bn) return 0;
    size_t n = h->n + h->bn;
    rhent *o = shoal_malloc((n + 1) * sizeof *o);
    if (!o) return -1;
    size_t i = 0, j = 0, k = 0;
    while (i < h->n || j < h->bn) {
        if (j == h->bn || (i < h->n && h->e[i].m < h->b[j].m)) o[k++] = h->e[i++];
        else if (i == h->n || h->b[j].m < h->e[i].m) o[k++] = h->b[j++];
        else {
            o[k] = h->e[i++];
            rh_fold(&o[k++], &h->b[j++]);
        }
    }
    shoal_free(h->e);
    h->e = o, h->n = k, h->cap = n + 1, h->bn = 0, h->dirty = 1;
    return 0;
}

/* The batch's events (sorted by member) into their hours. */
static int rh_add(rstate *s, const shoal_mref *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].val > s->hmax) s->hmax = r[i].val;
    int64_t low = rh_low(s);
    if (rh_slots(s) || rh_expire(s, low)) return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t ts = r[i].val, hr = rh_hour(ts);
        uint64_t mask = r[i].aux;
        if (hr < low || !(mask & (s->act_bit | s->cohort_bit))) continue;
        rhslot *h = &s->hs[(uint64_t)hr % (uint64_t)s->keep];
        if (h->hour != hr) {
            rh_clear(h);
            h->hour = hr;
        }
        uint32_t off = (uint32_t)(ts - hr * MS_HOUR);
        rhent e = {r[i].member, RH_NONE, RH_NONE, RH_NONE, RH_NONE};
        if (mask & s->act_bit) e.af = e.al = off;
        if (mask & s->cohort_bit) e.sf = e.sl = off;
        if (h->bn && h->b[h->bn - 1].m == e.m) {
            rh_fold(&h->b[h->bn - 1], &e);
            continue;
        }
        if (h->bn == h->bcap) {
            size_t c = h->bcap ? h->bcap * 2 : 256;
            rhent *b = shoal_realloc(h->b, c * sizeof *b);
            if (!b) return -1;
            h->b = b, h->bcap = c;
        }
        h->b[h->bn++] = e;
    }
    for (int i = 0; i < s->keep; i++)
        if (s->hs[i].hour != INT64_MIN && rh_merge(&s->hs[i])) return -1;
    return 0;
}

static void rh_key(int64_t hour, unsigned char kb[5])
{
    uint32_t c = (uint32_t)(hour + 2147483648LL);
    kb[0] = RH_KEY, kb[1] = (unsigned char)(c >> 24), kb[2] = (unsigned char)(c >> 16), kb[3] = (unsigned char)(c >> 8);
    kb[4] = (unsigned char)c;
}

static int64_t rh_key_hour(const MDB_val *k)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != RH_KEY) return INT64_MIN;
    return (int64_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]) - 2147483648LL;
}

static uint32_t u32le(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32le(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24); }

static void rh_get(const unsigned char *p, rhent *e)
{
    e->m = u32le(p), e->af = u32le(p + 4), e->al = u32le(p + 8), e->sf = u32le(p + 12), e->sl = u32le(p + 16);
}

/* The mark: 1 (and *hmax) when the table keeps hours of keep and they are current
 * (stamped with the header's sequence), 0 when not, or an error. */
static int rh_mark(MDB_txn *txn, MDB_dbi dbi, int keep, int64_t *hmax, shoal_err *err)
{
    const unsigned char *p;
    int rc = shoal_view_mark_get(txn, dbi, RH_MARK, 12, &p, err);
    if (rc <= 0 || u32le(p) != (uint32_t)keep) return rc < 0 ? rc : 0;
    uint64_t x = (uint64_t)u32le(p + 4) | (uint64_t)u32le(p + 8) << 32;
    *hmax = (int64_t)x;
    return 1;
}

static int rh_flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    rstate *s = v->st;
    int64_t low = rh_low(s);
    if (rh_expire(s, low)) return nomem(err);
    int rc;
    for (size_t i = 0; i < s->n_hdel; i++) {
        unsigned char kb[5];
        rh_key(s->hdel[i], kb);
        MDB_val k = {5, kb};
        if ((rc = mdb_del(txn, dbi, &k, NULL)) && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot write a retention view");
    }
    s->n_hdel = 0;
    for (int64_t hr = low; s->hs && low != INT64_MIN && hr < low + s->keep; hr++) {
        rhslot *h = &s->hs[(uint64_t)hr % (uint64_t)s->keep];
        if (h->hour != hr || !h->n || (!all && !h->dirty)) continue;
        unsigned char *b = shoal_malloc(h->n * RH_ENT), kb[5];
        if (!b) return nomem(err);
        for (size_t i = 0; i < h->n; i++) {
            unsigned char *q = b + i * RH_ENT;
            put32le(q, h->e[i].m), put32le(q + 4, h->e[i].af), put32le(q + 8, h->e[i].al);
            put32le(q + 12, h->e[i].sf), put32le(q + 16, h->e[i].sl);
        }
        rh_key(hr, kb);
        MDB_val k = {5, kb}, val = {h->n * RH_ENT, b};
        rc = mdb_put(txn, dbi, &k, &val, 0);
        shoal_free(b);
        if (rc) return shoal_store_err(err, rc, "cannot write a retention view");
        h->dirty = 0, h->stored = 1;
    }
    /* stamped with this batch's sequence: every batch, since a batch appended by a
     * shoal that keeps no hours leaves the stamp behind */
    unsigned char m[12];
    put32le(m, (uint32_t)s->keep);
    put32le(m + 4, (uint32_t)(uint64_t)s->hmax), put32le(m + 8, (uint32_t)((uint64_t)s->hmax >> 32));
    return shoal_view_mark_put(txn, dbi, RH_MARK, m, sizeof m, v->flush_seq, err);
}

static int rh_load(rstate *s, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    int64_t hmax = INT64_MIN;
    int ok = hours_kind(s) ? rh_mark(txn, dbi, s->keep, &hmax, err) : 0;
    if (ok < 0) return ok;
    s->hours = ok;
    if (!ok) return SHOAL_OK;
    s->hmax = hmax;
    if (rh_slots(s)) return nomem(err);
    int64_t low = rh_low(s);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[5];
    rh_key(low == INT64_MIN ? INT32_MIN : low, kb);
    MDB_val k = {5, kb}, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        int64_t hr = rh_key_hour(&k);
        if (hr == INT64_MIN) break;
        if (hr < low) continue;
        rhslot *h = &s->hs[(uint64_t)hr % (uint64_t)s->keep];
        size_t n = val.mv_size / RH_ENT;
        if (val.mv_size % RH_ENT || h->hour != INT64_MIN) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a retention's hours are damaged (shoal rebuild)");
        }
        if (!(h->e = shoal_malloc((n + 1) * sizeof *h->e))) {
            mdb_cursor_close(cur);
            return nomem(err);
        }
        for (size_t i = 0; i < n; i++) rh_get((const unsigned char *)val.mv_data + i * RH_ENT, &h->e[i]);
        h->n = n, h->cap = n + 1, h->hour = hr, h->stored = 1;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

/* check: an hour's stored entries against the built ones; 1 when equal */
static int rh_same(const rstate *s, int64_t hr, const MDB_val *val)
{
    int64_t low = rh_low(s);
    if (!s->hs || hr < low || hr >= low + s->keep) return 0;
    const rhslot *h = &s->hs[(uint64_t)hr % (uint64_t)s->keep];
    if (h->hour != hr || val->mv_size != h->n * RH_ENT) return 0;
    for (size_t i = 0; i < h->n; i++) {
        rhent e;
        rh_get((const unsigned char *)val->mv_data + i * RH_ENT, &e);
        if (memcmp(&e, &h->e[i], sizeof e)) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- days */

static int64_t rd_low(const rstate *s) { return s->dmax == INT64_MIN ? INT64_MIN : s->dmax - RD_KEEP + 1; }
static rdslot *rd_slot(const rstate *s, int64_t day) { return &s->ds[((day % RD_KEEP) + RD_KEEP) % RD_KEEP]; }

static int rd_slots(rstate *s)
{
    if (s->ds) return 0;
    if (!(s->ds = shoal_malloc(RD_KEEP * sizeof *s->ds))) return -1;
    memset(s->ds, 0, RD_KEEP * sizeof *s->ds);
    for (int i = 0; i < RD_KEEP; i++) s->ds[i].day = INT64_MIN;
    return 0;
}

static void rd_clear(rdslot *h)
{
    shoal_free(h->e);
    shoal_free(h->bdirty);
    memset(h, 0, sizeof *h);
    h->day = INT64_MIN;
}

static int rd_expire(rstate *s, int64_t low)
{
    for (int i = 0; s->ds && i < RD_KEEP; i++) {
        rdslot *h = &s->ds[i];
        if (h->day == INT64_MIN || h->day >= low) continue;
        if (h->stored && del_push(&s->ddel, &s->n_ddel, &s->cap_ddel, h->day)) return -1;
        rd_clear(h);
    }
    return 0;
}

static int rd_dirty(rdslot *h, uint32_t m)
{
    size_t b = m / RD_BLOCK;
    if (b >= h->n_bd) {
        size_t c = b + 16;
        uint8_t *d = shoal_realloc(h->bdirty, c);
        if (!d) return -1;
        memset(d + h->n_bd, 0, c - h->n_bd);
        h->bdirty = d, h->n_bd = c;
    }
    h->bdirty[b] = 1;
    return 0;
}

/* The batch's refs (sorted by member, already applied to the sets) into the kept days:
 * a member's first active time on each, and for every member of the batch with an
 * entry there, their previous active day from their set (a late event of an earlier
 * day moves it). A day enters the kept ones only past the latest active event's, so it
 * had no entries before. */
static int rd_add(shoal_view *v, const shoal_mref *r, size_t n)
{
    rstate *s = v->st;
    int64_t tmax = INT64_MIN;
    for (size_t i = 0; i < n; i++)
        if ((r[i].aux & s->act_bit) && r[i].val > tmax) tmax = r[i].val;
    if (tmax != INT64_MIN) {
        int64_t d = shoal_view_day(v->tz, tmax);
        if (d > s->dmax) s->dmax = d;
    }
    if (s->dmax == INT64_MIN) return 0;
    int64_t low = rd_low(s);
    if (rd_slots(s) || rd_expire(s, low)) return -1;
    int64_t start[RD_KEEP + 1];
    for (int k = 0; k <= RD_KEEP; k++) start[k] = shoal_view_day_start(v->tz, low + k);
    for (int k = 0; k < RD_KEEP; k++) {
        rdslot *h = rd_slot(s, low + k);
        if (h->day != low + k) rd_clear(h), h->day = low + k;
    }
    rdent *nb[RD_KEEP] = {NULL};
    size_t nn[RD_KEEP] = {0}, ncap[RD_KEEP] = {0}, ix[RD_KEEP] = {0};
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        uint32_t m = r[i].member;
        int64_t bmin[RD_KEEP];
        for (int k = 0; k < RD_KEEP; k++) bmin[k] = INT64_MAX;
        int any = 0;
        for (; i < n && r[i].member == m; i++) {
            int64_t ts = r[i].val;
            if (!(r[i].aux & s->act_bit)) continue;
            any = 1;
            if (ts < start[0] || ts >= start[RD_KEEP]) continue;
            int k = 0;
            while (ts >= start[k + 1]) k++;
            if (ts < bmin[k]) bmin[k] = ts;
        }
        if (!any || m >= s->n_members) continue;
        for (int k = 0; k < RD_KEEP && !rc; k++) {
            rdslot *h = rd_slot(s, low + k);
            while (ix[k] < h->n && h->e[ix[k]].m < m) ix[k]++;
            int have = ix[k] < h->n && h->e[ix[k]].m == m;
            if (!have && bmin[k] == INT64_MAX) continue;
            int64_t pv = near_day(s, &s->act[m], low + k, -1);
            int32_t prev = pv <= INT32_MIN || pv > INT32_MAX ? INT32_MIN : (int32_t)pv;
            if (have) {
                rdent *e = &h->e[ix[k]];
                if (bmin[k] < e->first || prev != e->prev) {
                    if (bmin[k] < e->first) e->first = bmin[k];
                    e->prev = prev;
                    rc = rd_dirty(h, m);
                }
                continue;
            }
            if (nn[k] == ncap[k]) {
                size_t c = ncap[k] ? ncap[k] * 2 : 256;
                rdent *b = shoal_realloc(nb[k], c * sizeof *b);
                if (!b) {
                    rc = -1;
                    break;
                }
                nb[k] = b, ncap[k] = c;
            }
            nb[k][nn[k]++] = (rdent){m, prev, bmin[k]};
            rc = rd_dirty(h, m);
        }
    }
    /* the new members merged in (both ascending, no member in both) */
    for (int k = 0; k < RD_KEEP && !rc; k++) {
        if (!nn[k]) continue;
        rdslot *h = rd_slot(s, low + k);
        rdent *o = shoal_malloc((h->n + nn[k]) * sizeof *o);
        if (!o) {
            rc = -1;
            break;
        }
        size_t a = 0, b = 0, j = 0;
        while (a < h->n || b < nn[k]) o[j++] = b == nn[k] || (a < h->n && h->e[a].m < nb[k][b].m) ? h->e[a++] : nb[k][b++];
        shoal_free(h->e);
        h->e = o, h->n = j, h->cap = j;
    }
    for (int k = 0; k < RD_KEEP; k++) shoal_free(nb[k]);
    return rc;
}

static void rd_key(int64_t day, uint32_t block, unsigned char kb[9])
{
    uint32_t c = (uint32_t)(day + 2147483648LL);
    kb[0] = RD_KEY, kb[1] = (unsigned char)(c >> 24), kb[2] = (unsigned char)(c >> 16), kb[3] = (unsigned char)(c >> 8);
    kb[4] = (unsigned char)c;
    kb[5] = (unsigned char)(block >> 24), kb[6] = (unsigned char)(block >> 16), kb[7] = (unsigned char)(block >> 8);
    kb[8] = (unsigned char)block;
}

/* a day key's day (INT64_MIN: not one) and block */
static int64_t rd_key_day(const MDB_val *k, uint32_t *block)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 9 || p[0] != RD_KEY) return INT64_MIN;
    *block = (uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
    return (int64_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]) - 2147483648LL;
}

static void rd_get(const unsigned char *p, rdent *e)
{
    e->m = u32le(p), e->prev = (int32_t)u32le(p + 4);
    e->first = (int64_t)((uint64_t)u32le(p + 8) | (uint64_t)u32le(p + 12) << 32);
}

static void rd_put(unsigned char *p, const rdent *e)
{
    put32le(p, e->m), put32le(p + 4, (uint32_t)e->prev);
    put32le(p + 8, (uint32_t)(uint64_t)e->first), put32le(p + 12, (uint32_t)((uint64_t)e->first >> 32));
}

/* The entries of block b in slot h: [*i0, *i1). */
static void rd_range(const rdslot *h, uint32_t b, size_t *i0, size_t *i1)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->e[mid].m / RD_BLOCK < b) lo = mid + 1;
        else hi = mid;
    }
    *i0 = lo;
    while (lo < h->n && h->e[lo].m / RD_BLOCK == b) lo++;
    *i1 = lo;
}

/* The mark: 1 (and *dmax) when the table keeps the days and they are current (stamped
 * with the header's sequence), 0 when not, or an error. */
static int rd_mark(MDB_txn *txn, MDB_dbi dbi, int64_t *dmax, shoal_err *err)
{
    const unsigned char *p;
    int rc = shoal_view_mark_get(txn, dbi, RD_MARK, 12, &p, err);
    if (rc <= 0 || u32le(p) != RD_KEEP) return rc < 0 ? rc : 0;
    *dmax = (int64_t)((uint64_t)u32le(p + 4) | (uint64_t)u32le(p + 8) << 32);
    return 1;
}

static int rd_flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    rstate *s = v->st;
    int64_t low = rd_low(s);
    if (rd_expire(s, low)) return nomem(err);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot write an activity's days");
    for (size_t i = 0; i < s->n_ddel && !rc; i++) {
        unsigned char kb[9];
        rd_key(s->ddel[i], 0, kb);
        MDB_val k = {9, kb}, val;
        uint32_t b;
        for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
            if (rd_key_day(&k, &b) != s->ddel[i]) break;
            if ((rc = mdb_cursor_del(cur, 0))) break;
        }
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    mdb_cursor_close(cur);
    if (rc) return shoal_store_err(err, rc, "cannot write an activity's days");
    s->n_ddel = 0;
    unsigned char *buf = NULL;
    size_t cap = 0;
    for (int64_t d = low; s->ds && low != INT64_MIN && d < low + RD_KEEP && !rc; d++) {
        rdslot *h = rd_slot(s, d);
        if (h->day != d || !h->n) continue;
        for (size_t i = 0; i < h->n && !rc;) {
            uint32_t b = h->e[i].m / RD_BLOCK;
            size_t i0, i1;
            rd_range(h, b, &i0, &i1);
            i = i1;
            if (!all && (b >= h->n_bd || !h->bdirty[b])) continue;
            size_t need = (i1 - i0) * RD_ENT;
            if (need > cap) {
                unsigned char *nbuf = shoal_realloc(buf, need);
                if (!nbuf) {
                    shoal_free(buf);
                    return nomem(err);
                }
                buf = nbuf, cap = need;
            }
            for (size_t j = i0; j < i1; j++) rd_put(buf + (j - i0) * RD_ENT, &h->e[j]);
            unsigned char kb[9];
            rd_key(d, b, kb);
            MDB_val k = {9, kb}, val = {need, buf};
            rc = mdb_put(txn, dbi, &k, &val, 0);
        }
        if (h->bdirty) memset(h->bdirty, 0, h->n_bd);
        h->stored = 1;
    }
    shoal_free(buf);
    if (rc) return shoal_store_err(err, rc, "cannot write an activity's days");
    /* stamped every batch, as the hours' mark */
    unsigned char m[12];
    put32le(m, RD_KEEP);
    put32le(m + 4, (uint32_t)(uint64_t)s->dmax), put32le(m + 8, (uint32_t)((uint64_t)s->dmax >> 32));
    return shoal_view_mark_put(txn, dbi, RD_MARK, m, sizeof m, v->flush_seq, err);
}

static int rd_load(rstate *s, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    int64_t dmax = INT64_MIN;
    int ok = days_kind(s) ? rd_mark(txn, dbi, &dmax, err) : 0;
    if (ok < 0) return ok;
    s->days = ok;
    if (!ok) return SHOAL_OK;
    s->dmax = dmax;
    if (dmax == INT64_MIN) return SHOAL_OK;
    if (rd_slots(s)) return nomem(err);
    int64_t low = rd_low(s);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[9];
    rd_key(low, 0, kb);
    MDB_val k = {9, kb}, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t b;
        int64_t d = rd_key_day(&k, &b);
        if (d == INT64_MIN || d > s->dmax) break;
        rdslot *h = rd_slot(s, d);
        size_t n = val.mv_size / RD_ENT;
        if (val.mv_size % RD_ENT || (h->day != INT64_MIN && h->day != d)) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "an activity's days are damaged (shoal rebuild)");
        }
        rdent *e = shoal_realloc(h->e, (h->n + n + 1) * sizeof *e);
        if (!e) {
            mdb_cursor_close(cur);
            return nomem(err);
        }
        h->e = e;
        for (size_t i = 0; i < n; i++) rd_get((const unsigned char *)val.mv_data + i * RD_ENT, &e[h->n + i]);
        h->n += n, h->cap = h->n + 1, h->day = d, h->stored = 1;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

/* check: a day block's stored entries against the built ones; 1 when equal */
static int rd_same(const rstate *s, int64_t d, uint32_t b, const MDB_val *val)
{
    int64_t low = rd_low(s);
    if (!s->ds || low == INT64_MIN || d < low || d > s->dmax) return 0;
    const rdslot *h = rd_slot(s, d);
    if (h->day != d) return 0;
    size_t i0, i1;
    rd_range(h, b, &i0, &i1);
    if (i0 == i1 || val->mv_size != (i1 - i0) * RD_ENT) return 0;
    for (size_t i = i0; i < i1; i++) {
        rdent e;
        rd_get((const unsigned char *)val->mv_data + (i - i0) * RD_ENT, &e);
        if (e.m != h->e[i].m || e.prev != h->e[i].prev || e.first != h->e[i].first) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- encoding */

typedef struct ebuf {
    unsigned char *p;
    size_t n, cap;
} ebuf;

static int e_room(ebuf *b, size_t n)
{
    if (b->n + n <= b->cap) return 0;
    size_t c = b->cap ? b->cap * 2 : 1024;
    while (c < b->n + n) c *= 2;
    unsigned char *p = shoal_realloc(b->p, c);
    if (!p) return -1;
    b->p = p;
    b->cap = c;
    return 0;
}

static void e_varint(ebuf *b, uint64_t v) { b->n += shoal_varint_put(b->p + b->n, v); }

/* The set's words without zero words at either end. */
static void trim(const uint64_t *w, int32_t lo, uint32_t n, int32_t *tlo, uint32_t *tn, const uint64_t **tw)
{
    uint32_t a = 0, e = n;
    while (a < e && !w[a]) a++;
    while (e > a && !w[e - 1]) e--;
    *tlo = lo + (int32_t)a;
    *tn = e - a;
    *tw = w ? w + a : NULL;   /* (an empty set of no pool: NULL + 0 is undefined) */
}

static int e_set(ebuf *b, const uint64_t *w, int32_t lo, uint32_t n)
{
    if (e_room(b, 20 + (size_t)n * 8)) return -1;
    e_varint(b, shoal_zigzag(lo));
    e_varint(b, n);
    memcpy(b->p + b->n, w, (size_t)n * 8);   /* little-endian hosts only, as the record codec */
    b->n += (size_t)n * 8;
    return 0;
}

/* Member m's entry into b, its id as a delta from *prev (nothing without state). */
static int encode_member(const rstate *s, uint32_t m, uint32_t *prev, ebuf *b)
{
    int32_t alo, slo;
    uint32_t an, sn;
    const uint64_t *aw, *sw;
    trim(pool_at(s, s->act[m].off), s->act[m].lo, s->act[m].n, &alo, &an, &aw);
    trim(pool_at(s, s->st[m].off), s->st[m].lo, s->st[m].n, &slo, &sn, &sw);
    int flags = (s->first[m] != INT64_MAX ? F_FIRST : 0) | (an ? F_ACT : 0) | (sn ? F_START : 0);
    if (!flags) return 0;
    if (e_room(b, 32)) return -1;
    e_varint(b, m - *prev);
    *prev = m;
    b->p[b->n++] = (unsigned char)flags;
    if (flags & F_FIRST) e_varint(b, shoal_zigzag(s->first[m]));
    if ((flags & F_ACT) && e_set(b, aw, alo, an)) return -1;
    if ((flags & F_START) && e_set(b, sw, slo, sn)) return -1;
    return 0;
}

/* Chunk c of s into b (empty when no member of it has state). */
static int encode_chunk(const rstate *s, uint32_t c, ebuf *b)
{
    b->n = 0;
    uint32_t prev = c * CHUNK;
    for (uint32_t m = c * CHUNK; m < (c + 1) * CHUNK && m < s->n_members; m++)
        if (encode_member(s, m, &prev, b)) return -1;
    return 0;
}

/* Chunk c into b from its stored value old: the members whose bit is set in changed
 * from the state, every other member's entry copied (it is what the state encodes:
 * the table was written from it, or it was loaded from the table). A batch changes a
 * few members of most chunks (an activity's first event of the day), and encoding all
 * 64 from the state read every member's words, a cache miss each: at 10M events with
 * every demo view that was a quarter of the ingest. 1 when old does not decode (the
 * caller encodes the chunk whole), -1 out of memory. */
static int splice_chunk(const rstate *s, uint32_t c, uint64_t changed, const MDB_val *old, ebuf *b)
{
    const unsigned char *p = old->mv_data, *end = p + old->mv_size;
    uint32_t base = c * CHUNK, prev = base;
    uint64_t om = base;
    int first = 1;
    b->n = 0;
    while (p < end) {
        uint64_t delta, v;
        size_t k = shoal_varint_get(p, end, &delta);
        if (!k || (!first && !delta) || om + delta >= (uint64_t)base + CHUNK || p + k >= end) return 1;
        p += k;
        om += delta;
        first = 0;
        const unsigned char *body = p;
        int flags = *p++;
        if (!flags || (flags & ~(F_FIRST | F_ACT | F_START))) return 1;
        if ((flags & F_FIRST) && !(k = shoal_varint_get(p, end, &v))) return 1;
        if (flags & F_FIRST) p += k;
        for (int f = F_ACT; f <= F_START; f <<= 1) {
            if (!(flags & f)) continue;
            if (!(k = shoal_varint_get(p, end, &v))) return 1;
            p += k;
            if (!(k = shoal_varint_get(p, end, &v)) || v > (uint64_t)(end - p - k) / 8) return 1;
            p += k + v * 8;
        }
        /* the changed members before it (new ones), then it */
        while (changed && base + (uint32_t)__builtin_ctzll(changed) < om) {
            uint32_t m = base + (uint32_t)__builtin_ctzll(changed);
            changed &= changed - 1;
            if (encode_member(s, m, &prev, b)) return -1;
        }
        uint64_t bit = (uint64_t)1 << (om - base);
        if (changed & bit) {
            changed &= ~bit;
            if (encode_member(s, (uint32_t)om, &prev, b)) return -1;
            continue;
        }
        if (e_room(b, 10 + (size_t)(p - body))) return -1;
        e_varint(b, om - prev);
        prev = (uint32_t)om;
        memcpy(b->p + b->n, body, (size_t)(p - body));
        b->n += (size_t)(p - body);
    }
    while (changed) {
        uint32_t m = base + (uint32_t)__builtin_ctzll(changed);
        changed &= changed - 1;
        if (encode_member(s, m, &prev, b)) return -1;
    }
    return 0;
}

/* One member's record as decoded: words copied out of the value (aligned). */
typedef struct drec {
    shoal_retmember m;
    uint64_t *buf;
    size_t cap;
    /* when set, asked per member before its sets are decoded: 0 decode it and call fn, 1
     * pass over it (its sets are not copied), 2 the chunk is done */
    int (*skip)(void *ctx, uint32_t member);
    void *skip_ctx;
} drec;

/* A set of periods at *p into d->buf from word at; with copy 0 only read past. */
static int d_set(const unsigned char **p, const unsigned char *end, drec *d, size_t at, int32_t *lo, uint32_t *n,
                 int copy)
{
    uint64_t v;
    size_t k = shoal_varint_get(*p, end, &v);
    if (!k) return SHOAL_ECORRUPT;
    *p += k;
    int64_t l = shoal_unzigzag(v);
    if (!(k = shoal_varint_get(*p, end, &v))) return SHOAL_ECORRUPT;
    *p += k;
    if (l < INT32_MIN / 2 || l > INT32_MAX / 2 || v == 0 || v > UINT16_MAX || v * 8 > (uint64_t)(end - *p))
        return SHOAL_ECORRUPT;
    if (!copy) {
        *p += v * 8;
        *lo = (int32_t)l;
        *n = (uint32_t)v;
        return 0;
    }
    if (at + v > d->cap) {
        size_t c = d->cap ? d->cap : 64;
        while (c < at + v) c *= 2;
        uint64_t *b = shoal_realloc(d->buf, c * sizeof *b);
        if (!b) return SHOAL_ENOMEM;
        d->buf = b;
        d->cap = c;
    }
    memcpy(d->buf + at, *p, v * 8);   /* little-endian hosts only, as the record codec */
    *p += v * 8;
    *lo = (int32_t)l;
    *n = (uint32_t)v;
    return 0;
}

static int chunk_key(const MDB_val *k, uint32_t *chunk)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != 0) return -1;
    *chunk = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    return 0;
}

/* Calls fn for every member record of chunk c's value. Returns 0, what fn returned
 * (non-zero stops), SHOAL_ECORRUPT when it does not decode, SHOAL_ENOMEM. */
static int each_in_chunk(uint32_t c, const MDB_val *val, drec *d, int (*fn)(void *, const shoal_retmember *), void *ctx)
{
    const unsigned char *p = val->mv_data, *end = p + val->mv_size;
    uint64_t m = (uint64_t)c * CHUNK;
    int first = 1;
    while (p < end) {
        uint64_t delta;
        size_t k = shoal_varint_get(p, end, &delta);
        if (!k || (!first && !delta) || m + delta >= (uint64_t)(c + 1) * CHUNK || p + k >= end) return SHOAL_ECORRUPT;
        p += k;
        m += delta;
        first = 0;
        int flags = *p++;
        if (!flags || (flags & ~(F_FIRST | F_ACT | F_START))) return SHOAL_ECORRUPT;
        memset(&d->m, 0, sizeof d->m);
        d->m.member = (uint32_t)m;
        d->m.first = INT64_MAX;
        if (flags & F_FIRST) {
            uint64_t t;
            if (!(k = shoal_varint_get(p, end, &t))) return SHOAL_ECORRUPT;
            p += k;
            d->m.first = shoal_unzigzag(t);
            if (d->m.first == INT64_MAX) return SHOAL_ECORRUPT;
        }
        int rc, sk = d->skip ? d->skip(d->skip_ctx, (uint32_t)m) : 0;
        if (sk == 2) return 1;
        size_t at = 0;
        if ((flags & F_ACT)) {
            if ((rc = d_set(&p, end, d, 0, &d->m.act_lo, &d->m.act_n, !sk))) return rc;
            at = d->m.act_n;
        }
        if ((flags & F_START) && (rc = d_set(&p, end, d, at, &d->m.st_lo, &d->m.st_n, !sk))) return rc;
        if (sk) continue;
        d->m.act = d->m.act_n ? d->buf : NULL;
        d->m.st = d->m.st_n ? d->buf + at : NULL;
        if ((rc = fn(ctx, &d->m))) return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- load, flush */

/* A decoded record into the hot state. */
static int put_rec(rstate *s, const shoal_retmember *r)
{
    if (grow(s, r->member)) return SHOAL_ENOMEM;
    s->first[r->member] = r->first;
    for (int k = 0; k < 2; k++) {
        const uint64_t *w = k ? r->st : r->act;
        uint32_t n = k ? r->st_n : r->act_n;
        int32_t lo = k ? r->st_lo : r->act_lo;
        rset *z = k ? &s->st[r->member] : &s->act[r->member];
        for (uint32_t i = 0; i < n; i++) {
            uint64_t *word = set_word(s, z, (int64_t)lo + i);
            if (!word) return SHOAL_ENOMEM;
            *word = w[i];
        }
    }
    return 0;
}

/* Every member's cohort period and contribution, from their state alone. */
static int count_all(shoal_view *v, rstate *s)
{
    for (uint32_t m = 0; m < s->n_members; m++) {
        if (!s->each && s->first[m] != INT64_MAX) {
            int64_t P = shoal_view_retention_period(s->unit, shoal_view_day(v->tz, s->first[m]));
            s->coh[m] = P < INT32_MIN + 1 || P > INT32_MAX ? COH_NONE : (int32_t)P;
        }
        if (contrib(s, m, 1)) return -1;
    }
    return 0;
}

static int load_one(void *ctx, const shoal_retmember *r) { return put_rec(ctx, r); }

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    rstate *s = v->st;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c)) continue;
        int r = each_in_chunk(c, &val, &d, load_one, s);
        if (r) {
            mdb_cursor_close(cur);
            shoal_free(d.buf);
            return r == SHOAL_ENOMEM ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a retention chunk does not decode");
        }
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    if ((rc = rh_load(s, txn, dbi, err))) return rc;
    if ((rc = rd_load(s, txn, dbi, err))) return rc;
    if (s->dirty) memset(s->dirty, 0, s->n_members / CHUNK * sizeof *s->dirty);
    if (s->acounts) {
        if (ac_all(s)) return nomem(err);
        unsigned char mk = 0x03;
        MDB_val k1 = {1, &mk}, v1;
        rc = mdb_get(txn, dbi, &k1, &v1);
        if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
        s->all_dirty = rc == MDB_NOTFOUND;
        for (int w = 0; w < N_AC; w++)
            for (size_t i = 0; i < s->n_ab[w]; i++) s->ab[w][i].dirty = 0;
    }
    if (!s->counts) return SHOAL_OK;
    /* The counts follow from the members' state: made again here rather than trusted
     * (check compares the stored ones); a table without them (made before them) gets
     * them written whole at the next flush. */
    if (count_all(v, s)) return nomem(err);
    unsigned char mk = 0x01;
    MDB_val k1 = {1, &mk}, v1;
    rc = mdb_get(txn, dbi, &k1, &v1);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    s->all_dirty = rc == MDB_NOTFOUND;
    for (size_t i = 0; i < s->n_rows; i++) s->rows[i].dirty = 0;
    if (s->bdirty) memset(s->bdirty, 0, (s->n_members + BLOCK - 1) / BLOCK);
    return SHOAL_OK;
}

/* Cohort A's key: [0x01][A BE u32, sign bit flipped]. */
static void row_key(int32_t A, unsigned char kb[5])
{
    uint32_t u = (uint32_t)A ^ 0x80000000u;
    kb[0] = 0x01, kb[1] = (unsigned char)(u >> 24), kb[2] = (unsigned char)(u >> 16), kb[3] = (unsigned char)(u >> 8),
    kb[4] = (unsigned char)u;
}

static uint32_t trimmed(const int64_t *a, uint32_t n)
{
    while (n && !a[n - 1]) n--;
    return n;
}

/* A cohort's value: varint size, then bounded and unbounded counts, each as varint n
 * and n zigzag varints for k = 0 … n − 1 (trailing zeros left out). Empty: nothing. */
static int encode_row(const rcoh *r, ebuf *b)
{
    uint32_t nb = trimmed(r->bnd, r->n), nu = trimmed(r->unb, r->n);
    b->n = 0;
    if (!r->size && !nb && !nu) return 0;
    if (e_room(b, 40 + ((size_t)nb + nu) * 10)) return -1;
    e_varint(b, shoal_zigzag(r->size));
    e_varint(b, nb);
    for (uint32_t k = 0; k < nb; k++) e_varint(b, shoal_zigzag(r->bnd[k]));
    e_varint(b, nu);
    for (uint32_t k = 0; k < nu; k++) e_varint(b, shoal_zigzag(r->unb[k]));
    return 0;
}

/* Block c of the members' cohort periods into out (BLOCK int32, little-endian);
 * 0 when no member of it has a cohort. */
static int block_of(const rstate *s, uint32_t c, int32_t *out)
{
    int any = 0;
    for (uint32_t i = 0; i < BLOCK; i++) {
        size_t m = (size_t)c * BLOCK + i;
        out[i] = m < s->n_members ? s->coh[m] : COH_NONE;
        any |= out[i] != COH_NONE;
    }
    return any;
}

static int flush_counts(rstate *s, MDB_txn *txn, MDB_dbi dbi, int all, ebuf *b, shoal_err *err)
{
    all |= s->all_dirty;
    unsigned char kb[5];
    int r;
    for (size_t i = 0; i < s->n_rows; i++) {
        rcoh *row = &s->rows[i];
        if (!all && !row->dirty) continue;
        if (encode_row(row, b)) return nomem(err);
        row_key(row->A, kb);
        MDB_val k = {5, kb}, val = {b->n, b->p};
        r = b->n ? mdb_put(txn, dbi, &k, &val, 0) : all ? 0 : mdb_del(txn, dbi, &k, NULL);
        if (r && r != MDB_NOTFOUND) return shoal_store_err(err, r, "cannot write a retention cohort");
        row->dirty = 0;
    }
    if (!s->each) {
        int32_t *blk = shoal_malloc(BLOCK * sizeof *blk);
        if (!blk) return nomem(err);
        for (uint32_t c = 0; c < (s->n_members + BLOCK - 1) / BLOCK; c++) {
            if (!all && !s->bdirty[c]) continue;
            int any = block_of(s, c, blk);
            kb[0] = 0x02, kb[1] = (unsigned char)(c >> 24), kb[2] = (unsigned char)(c >> 16), kb[3] = (unsigned char)(c >> 8),
            kb[4] = (unsigned char)c;
            MDB_val k = {5, kb}, val = {BLOCK * sizeof *blk, blk};   /* little-endian hosts only, as the record codec */
            r = any ? mdb_put(txn, dbi, &k, &val, 0) : all ? 0 : mdb_del(txn, dbi, &k, NULL);
            if (r && r != MDB_NOTFOUND) {
                shoal_free(blk);
                return shoal_store_err(err, r, "cannot write a retention cohort block");
            }
            s->bdirty[c] = 0;
        }
        shoal_free(blk);
    }
    if (all) {
        /* the mark: this table keeps per-cohort counts */
        unsigned char mk = 0x01, one = 1;
        MDB_val k = {1, &mk}, val = {1, &one};
        if ((r = mdb_put(txn, dbi, &k, &val, 0))) return shoal_store_err(err, r, "cannot write a retention cohort");
        s->all_dirty = 0;
    }
    return 0;
}

/* An activity count block's key: [0x03][what][block BE u32, sign bit flipped]; its
 * value the 64 counts as zigzag varints, trailing zeros left out (none: no key). */
static void ac_key(int what, int32_t b, unsigned char kb[6])
{
    uint32_t u = (uint32_t)b ^ 0x80000000u;
    kb[0] = 0x03, kb[1] = (unsigned char)what, kb[2] = (unsigned char)(u >> 24), kb[3] = (unsigned char)(u >> 16),
    kb[4] = (unsigned char)(u >> 8), kb[5] = (unsigned char)u;
}

static int ac_encode(const cblk *c, ebuf *b)
{
    uint32_t n = trimmed(c->v, 64);
    b->n = 0;
    if (e_room(b, 10 * 64)) return -1;
    for (uint32_t i = 0; i < n; i++) e_varint(b, shoal_zigzag(c->v[i]));
    return 0;
}

static int flush_acounts(rstate *s, MDB_txn *txn, MDB_dbi dbi, int all, ebuf *b, shoal_err *err)
{
    all |= s->all_dirty;
    unsigned char kb[6];
    for (int w = 0; w < N_AC; w++)
        for (size_t i = 0; i < s->n_ab[w]; i++) {
            cblk *c = &s->ab[w][i];
            if (!all && !c->dirty) continue;
            if (ac_encode(c, b)) return nomem(err);
            ac_key(w, c->b, kb);
            MDB_val k = {6, kb}, val = {b->n, b->p};
            int r = b->n ? mdb_put(txn, dbi, &k, &val, 0) : all ? 0 : mdb_del(txn, dbi, &k, NULL);
            if (r && r != MDB_NOTFOUND) return shoal_store_err(err, r, "cannot write an activity's counts");
            c->dirty = 0;
        }
    if (all) {
        unsigned char mk = 0x03, one = 1;
        MDB_val k = {1, &mk}, val = {1, &one};
        int r = mdb_put(txn, dbi, &k, &val, 0);
        if (r) return shoal_store_err(err, r, "cannot write an activity's counts");
        s->all_dirty = 0;
    }
    return 0;
}

/* The batch's refs into the state and the counts they moved back (prepare; flush does
 * it when prepare has not). */
static int prepare(shoal_view *v, shoal_err *err)
{
    rstate *s = v->st;
    int rc = drain(v, err);
    if (rc) return rc;
    return s->counts && settle(s) ? nomem(err) : SHOAL_OK;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    rstate *s = v->st;
    int rc = prepare(v, err);
    if (rc) return rc;
    if (!txn) return compact(s) ? nomem(err) : SHOAL_OK;
    ebuf b = {NULL, 0, 0};
    /* The dirty chunks in key order through one cursor: a chunk's key found on the leaf
     * page the cursor is on is found without a descent from the root, and its value is
     * replaced where the cursor stands (MDB_CURRENT), not looked up again by the put. */
    MDB_cursor *cur;
    int r = mdb_cursor_open(txn, dbi, &cur);
    if (r) {
        rc = shoal_store_err(err, r, "cannot write a retention chunk");
        goto written;
    }
    for (uint32_t c = 0; c < s->n_members / CHUNK; c++) {
        if (!all && !s->dirty[c]) continue;
        unsigned char kb[5] = {0, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                               (unsigned char)c};
        MDB_val k = {5, kb}, old;
        int sp = 1, g = MDB_NOTFOUND;
        if (!all) {
            g = mdb_cursor_get(cur, &k, &old, MDB_SET_KEY);
            if (g && g != MDB_NOTFOUND) {
                rc = shoal_store_err(err, g, "cannot read a retention chunk");
                break;
            }
            if (!g) sp = splice_chunk(s, c, s->dirty[c], &old, &b);
        }
        if (sp < 0 || (sp > 0 && encode_chunk(s, c, &b))) {
            rc = nomem(err);
            break;
        }
        /* the get pointed k at the key in the page, which a put that resizes the value moves */
        MDB_val val = {b.n, b.p};
        k = (MDB_val){5, kb};
        r = b.n ? mdb_cursor_put(cur, &k, &val, g ? 0 : MDB_CURRENT) : g ? 0 : mdb_cursor_del(cur, 0);
        if (r) {
            rc = shoal_store_err(err, r, "cannot write a retention chunk");
            break;
        }
        s->dirty[c] = 0;
    }
    mdb_cursor_close(cur);
written:
    if (!rc && s->counts) rc = flush_counts(s, txn, dbi, all, &b, err);
    if (!rc && s->acounts) rc = flush_acounts(s, txn, dbi, all, &b, err);
    if (!rc && s->hours) rc = rh_flush(v, txn, dbi, all, err);
    if (!rc && s->days) rc = rd_flush(v, txn, dbi, all, err);
    shoal_free(b.p);
    if (!rc && compact(s)) rc = nomem(err);
    return rc;
}

/* ---------------------------------------------------------------- check */

typedef struct cmp_ctx {
    rstate *s;
    const char *name;
    void (*problem)(void *, const char *);
    void *pctx;
    int n_problems;
    uint8_t *seen;   /* per member */
    uint8_t *rseen, *bseen;   /* per cohort row, per block of cohort periods */
    int marked;      /* the table keeps counts (its mark is there) */
} cmp_ctx;

static void say(cmp_ctx *c, const char *fmt, uint32_t m)
{
    char msg[256];
    if (++c->n_problems > MAX_PROBLEMS) return;
    snprintf(msg, sizeof msg, fmt, c->name, m);
    c->problem(c->pctx, msg);
}

/* Are words (lo, n) of a record the same set as the state's z? */
static int same_set(const rstate *s, const rset *z, const uint64_t *w, int32_t lo, uint32_t n)
{
    int32_t blo;
    uint32_t bn;
    const uint64_t *bw;
    trim(pool_at(s, z->off), z->lo, z->n, &blo, &bn, &bw);
    if (!n && !bn) return 1;
    return n == bn && lo == blo && !memcmp(w, bw, (size_t)n * sizeof *w);
}

static int cmp_one(void *ctx, const shoal_retmember *r)
{
    cmp_ctx *c = ctx;
    const rstate *s = c->s;
    uint32_t m = r->member;
    if (m >= s->n_members) {
        say(c, "view \"%s\": member id %u has state stored, a rebuild has none", m);
        return 0;
    }
    if (c->seen[m]) say(c, "view \"%s\": member id %u is stored twice", m);
    c->seen[m] = 1;
    if (r->first != s->first[m]) say(c, "view \"%s\": member id %u has another cohort time stored than a rebuild", m);
    if (!same_set(s, &s->act[m], r->act, r->act_lo, r->act_n))
        say(c, "view \"%s\": member id %u has other active periods stored than a rebuild", m);
    if (!same_set(s, &s->st[m], r->st, r->st_lo, r->st_n))
        say(c, "view \"%s\": member id %u has other cohort periods stored than a rebuild", m);
    return 0;
}

/* A counts entry of the table ([0x01] the mark, [0x01][A] a cohort, [0x02][block] the
 * members' cohort periods) against the built state. */
static void cmp_counts(cmp_ctx *c, const MDB_val *k, const MDB_val *val)
{
    rstate *s = c->s;
    const unsigned char *kp = k->mv_data;
    if (k->mv_size == 1 && kp[0] == 0x01) {
        c->marked = 1;
        return;
    }
    if (k->mv_size != 5) {
        say(c, "view \"%s\" has an entry that is not a retention chunk%.0u", 0);
        return;
    }
    uint32_t u = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
    if (kp[0] == 0x02) {
        if (s->each || u >= (s->n_members + BLOCK - 1) / BLOCK) {
            say(c, "view \"%s\": the cohorts of member ids from %u are stored, a rebuild has none", u * BLOCK);
            return;
        }
        c->bseen[u] = 1;
        int32_t *blk = shoal_malloc(BLOCK * sizeof *blk);
        if (!blk) return;
        int any = block_of(s, u, blk);
        if (!any || val->mv_size != BLOCK * sizeof *blk || memcmp(val->mv_data, blk, val->mv_size))
            say(c, "view \"%s\": the cohorts of member ids from %u differ from a rebuild's", u * BLOCK);
        shoal_free(blk);
        return;
    }
    int32_t A = (int32_t)(u ^ 0x80000000u);
    size_t lo = 0, hi = s->n_rows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->rows[mid].A < A) lo = mid + 1;
        else hi = mid;
    }
    ebuf b = {NULL, 0, 0};
    if (lo < s->n_rows && s->rows[lo].A == A) {
        c->rseen[lo] = 1;
        if (encode_row(&s->rows[lo], &b)) return;
    }
    if (b.n != val->mv_size || memcmp(b.p, val->mv_data, b.n))
        say(c, "view \"%s\": the counts of cohort %d differ from a rebuild's", (uint32_t)A);
    shoal_free(b.p);
}

/* An activity's counts entry against the built state: seen blocks are marked by their
 * dirty byte (the built state is not written after a compare). */
static void cmp_acounts(cmp_ctx *c, const MDB_val *k, const MDB_val *val)
{
    rstate *s = c->s;
    const unsigned char *kp = k->mv_data;
    if (k->mv_size == 1) {
        c->marked = 1;
        return;
    }
    if (k->mv_size != 6 || kp[1] >= N_AC) {
        say(c, "view \"%s\" has an entry that is not an activity's counts%.0u", 0);
        return;
    }
    int w = kp[1];
    int32_t b = (int32_t)(((uint32_t)kp[2] << 24 | (uint32_t)kp[3] << 16 | (uint32_t)kp[4] << 8 | kp[5]) ^ 0x80000000u);
    size_t lo = 0, hi = s->n_ab[w];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->ab[w][mid].b < b) lo = mid + 1;
        else hi = mid;
    }
    ebuf e = {NULL, 0, 0};
    if (lo < s->n_ab[w] && s->ab[w][lo].b == b) {
        s->ab[w][lo].dirty = 1;
        if (ac_encode(&s->ab[w][lo], &e)) return;
    }
    if (e.n != val->mv_size || memcmp(e.p, val->mv_data, e.n))
        say(c, "view \"%s\": the day counts from block %d differ from a rebuild's", (uint32_t)b);
    shoal_free(e.p);
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    rstate *s = v->st;
    cmp_ctx c = {s, v->dbname + 2, problem, ctx, 0, NULL, NULL, NULL, 0};
    int drc = drain(v, err);
    if (drc) return drc;
    if (s->counts && settle(s)) return nomem(err);
    for (int w = 0; w < N_AC; w++)   /* dirty marks the blocks the table holds, below */
        for (size_t i = 0; i < s->n_ab[w]; i++) s->ab[w][i].dirty = 0;
    size_t nblk = (s->n_members + BLOCK - 1) / BLOCK;
    c.seen = shoal_malloc(s->n_members + 1);
    c.rseen = shoal_malloc(s->n_rows + 1);
    c.bseen = shoal_malloc(nblk + 1);
    if (!c.seen || !c.rseen || !c.bseen) {
        shoal_free(c.seen);
        shoal_free(c.rseen);
        shoal_free(c.bseen);
        return nomem(err);
    }
    memset(c.seen, 0, s->n_members + 1);
    memset(c.rseen, 0, s->n_rows + 1);
    memset(c.bseen, 0, nblk + 1);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) {
        shoal_free(c.seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    int64_t tmax;
    int hk = s->hours ? rh_mark(txn, dbi, s->keep, &tmax, err) : 0;
    if (hk < 0) {
        mdb_cursor_close(cur);
        shoal_free(c.seen);
        shoal_free(c.rseen);
        shoal_free(c.bseen);
        return hk;
    }
    uint8_t *hseen = hk ? shoal_malloc((size_t)s->keep) : NULL;
    if (hseen) memset(hseen, 0, (size_t)s->keep);
    int64_t dtmax = INT64_MIN;
    int dk = s->days ? rd_mark(txn, dbi, &dtmax, err) : 0;
    size_t nbd = (size_t)s->n_members / RD_BLOCK + 1;
    uint8_t *dseen = dk > 0 ? shoal_malloc(RD_KEEP * nbd) : NULL;
    if (dk < 0 || (dk > 0 && !dseen)) {
        mdb_cursor_close(cur);
        shoal_free(c.seen);
        shoal_free(c.rseen);
        shoal_free(c.bseen);
        shoal_free(hseen);
        return dk < 0 ? dk : nomem(err);
    }
    if (dseen) memset(dseen, 0, RD_KEEP * nbd);
    int64_t dlow = rd_low(s);
    int64_t low = rh_low(s);
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t ch;
        const unsigned char *kp = k.mv_data;
        if (k.mv_size == 1 && kp[0] == SHOAL_VIEW_HDR) continue;
        if (k.mv_size >= 1 && (kp[0] == RH_KEY || kp[0] == RH_MARK)) {
            /* hours: compared when the mark is current (else stale: neither read nor checked) */
            int64_t hr = rh_key_hour(&k);
            if (!hk || hr == INT64_MIN) {
                if (hk && kp[0] == RH_MARK && tmax != s->hmax) say(&c, "view \"%s\": its hours' latest event differs from a rebuild's%.0u", 0);
                continue;
            }
            if (!rh_same(s, hr, &val)) say(&c, "view \"%s\": the hours from hour %u differ from a rebuild's", (uint32_t)hr);
            else if (hseen) hseen[hr - low] = 1;
            continue;
        }
        if (s->days && k.mv_size >= 1 && (kp[0] == RD_KEY || kp[0] == RD_MARK)) {
            /* days: compared when the mark is current (else stale: neither read nor checked) */
            uint32_t b = 0;
            int64_t d = rd_key_day(&k, &b);
            if (!dk || d == INT64_MIN) {
                if (dk && kp[0] == RD_MARK && dtmax != s->dmax) say(&c, "view \"%s\": its days' latest active day differs from a rebuild's%.0u", 0);
                continue;
            }
            if (!rd_same(s, d, b, &val)) say(&c, "view \"%s\": the days' entries of day %u differ from a rebuild's", (uint32_t)d);
            else if (b < nbd) dseen[(size_t)(d - dlow) * nbd + b] = 1;
            continue;
        }
        if (s->counts && k.mv_size >= 1 && (kp[0] == 0x01 || kp[0] == 0x02)) {
            cmp_counts(&c, &k, &val);
            continue;
        }
        if (s->acounts && k.mv_size >= 1 && kp[0] == 0x03) {
            cmp_acounts(&c, &k, &val);
            continue;
        }
        if (chunk_key(&k, &ch)) {
            say(&c, "view \"%s\" has an entry that is not a retention chunk%.0u", 0);
            continue;
        }
        int r = each_in_chunk(ch, &val, &d, cmp_one, &c);
        if (r == SHOAL_ENOMEM) {
            rc = SHOAL_ENOMEM;
            break;
        }
        if (r) say(&c, "view \"%s\": the chunk of member ids from %u does not decode", ch * CHUNK);
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    for (int64_t hr = low; hseen && low != INT64_MIN && hr < low + s->keep; hr++) {
        const rhslot *h = s->hs ? &s->hs[(uint64_t)hr % (uint64_t)s->keep] : NULL;
        if (h && h->hour == hr && h->n && !hseen[hr - low]) say(&c, "view \"%s\": hour %u has no stored hours, a rebuild has", (uint32_t)hr);
    }
    shoal_free(hseen);
    for (int64_t d = dlow; dseen && dlow != INT64_MIN && d <= s->dmax; d++) {
        const rdslot *h = s->ds ? rd_slot(s, d) : NULL;
        if (!h || h->day != d) continue;
        for (size_t i = 0; i < h->n; i++) {
            uint32_t b = h->e[i].m / RD_BLOCK;
            if (b < nbd && !dseen[(size_t)(d - dlow) * nbd + b]) {
                say(&c, "view \"%s\": day %u has no stored entries for some members, a rebuild has", (uint32_t)d);
                break;
            }
        }
    }
    shoal_free(dseen);
    if (rc == SHOAL_ENOMEM) {
        shoal_free(c.seen);
        return nomem(err);
    }
    if (rc != MDB_NOTFOUND) {
        shoal_free(c.seen);
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (uint32_t m = 0; m < s->n_members; m++) {
        if (c.seen[m]) continue;
        int32_t lo;
        uint32_t n1, n2;
        const uint64_t *w;
        trim(pool_at(s, s->act[m].off), s->act[m].lo, s->act[m].n, &lo, &n1, &w);
        trim(pool_at(s, s->st[m].off), s->st[m].lo, s->st[m].n, &lo, &n2, &w);
        if (s->first[m] != INT64_MAX || n1 || n2) say(&c, "view \"%s\": member id %u has no stored state, a rebuild has some", m);
    }
    if (s->counts && c.marked) {
        for (size_t i = 0; i < s->n_rows; i++) {
            ebuf b = {NULL, 0, 0};
            if (encode_row(&s->rows[i], &b)) {
                shoal_free(c.seen);
                shoal_free(c.rseen);
                shoal_free(c.bseen);
                return nomem(err);
            }
            if (b.n && !c.rseen[i]) say(&c, "view \"%s\": the counts of cohort %d are missing, a rebuild has some", (uint32_t)s->rows[i].A);
            shoal_free(b.p);
        }
        int32_t *blk = shoal_malloc(BLOCK * sizeof *blk);
        if (!blk) {
            shoal_free(c.seen);
            shoal_free(c.rseen);
            shoal_free(c.bseen);
            return nomem(err);
        }
        for (uint32_t ch = 0; !s->each && ch < (s->n_members + BLOCK - 1) / BLOCK; ch++)
            if (block_of(s, ch, blk) && !c.bseen[ch])
                say(&c, "view \"%s\": the cohorts of member ids from %u are missing, a rebuild has some", ch * BLOCK);
        shoal_free(blk);
    }
    if (s->acounts && c.marked)
        for (int w = 0; w < N_AC; w++)
            for (size_t i = 0; i < s->n_ab[w]; i++) {
                int any = 0;
                for (int j = 0; j < 64; j++) any |= s->ab[w][i].v[j] != 0;
                if (any && !s->ab[w][i].dirty)
                    say(&c, "view \"%s\": the day counts from block %d are missing, a rebuild has some", (uint32_t)s->ab[w][i].b);
            }
    shoal_free(c.rseen);
    shoal_free(c.bseen);
    if (c.n_problems > MAX_PROBLEMS) {
        char msg[256];
        snprintf(msg, sizeof msg, "view \"%s\": %d more differences", c.name, c.n_problems - MAX_PROBLEMS);
        problem(ctx, msg);
    }
    shoal_free(c.seen);
    return SHOAL_OK;
}

const shoal_view_kind shoal_view_retention = {"retention", new_state, free_state, reset, load, apply, flush, compare, NULL, prepare, NULL, NULL};

/* ---------------------------------------------------------------- reads */

int shoal_view_retention_each(shoal_reader *r, const char *name, int (*fn)(void *ctx, const shoal_retmember *m),
                              void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    drec d;
    memset(&d, 0, sizeof d);
    MDB_val k, val;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t c;
        if (chunk_key(&k, &c)) continue;
        if ((rc = each_in_chunk(c, &val, &d, fn, ctx))) break;
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    /* fn's error is in err already; the decoder's are said here */
    if (rc == SHOAL_ECORRUPT) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a chunk of view \"%s\" does not decode", name);
    if (rc == SHOAL_ENOMEM) return nomem(err);
    if (rc) return rc;
    if (mrc != MDB_NOTFOUND) return shoal_store_err(err, mrc, "cannot read a view's table");
    return SHOAL_OK;
}

/* shoal_view_retention_each_of: fn for those of members ms[0..n) (ascending) that have
 * a record, a chunk read for each chunk they fall in, each chunk decoded only up to
 * its last member asked for */
typedef struct each_of {
    const uint32_t *ms;
    size_t n, i;
    int (*fn)(void *, const shoal_retmember *);
    void *ctx;
} each_of;

static int each_of_member(void *ctx, const shoal_retmember *m)
{
    each_of *e = ctx;
    while (e->i < e->n && e->ms[e->i] < m->member) e->i++;
    if (e->i == e->n || e->ms[e->i] / CHUNK != m->member / CHUNK) return 1;   /* past the chunk's last asked for */
    if (e->ms[e->i] != m->member) return 0;
    e->i++;
    return e->fn(e->ctx, m);
}

/* Members not asked for are passed over undecoded (drec's skip). */
static int each_of_skip(void *ctx, uint32_t m)
{
    each_of *e = ctx;
    while (e->i < e->n && e->ms[e->i] < m) e->i++;
    if (e->i == e->n || e->ms[e->i] / CHUNK != m / CHUNK) return 2;
    return e->ms[e->i] != m;
}

int shoal_view_retention_each_of(shoal_reader *r, const char *name, const uint32_t *ms, size_t n,
                                 int (*fn)(void *ctx, const shoal_retmember *m), void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    drec d;
    memset(&d, 0, sizeof d);
    each_of e = {ms, n, 0, fn, ctx};
    d.skip = each_of_skip;
    d.skip_ctx = &e;
    /* One cursor: a chunk a few keys on is reached by stepping, not by a descent from
     * the root (the members asked for are often some thousands, one in most chunks). */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val k, val;
    uint32_t at = 0;    /* the chunk under the cursor, when placed */
    int placed = 0;
    while (e.i < n && !rc) {
        uint32_t c = ms[e.i] / CHUNK;
        int mrc = 0;
        while (placed && at < c && c - at <= 16 && mrc == 0) {
            mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT);
            if (mrc == 0 && chunk_key(&k, &at)) mrc = MDB_NOTFOUND;   /* past the chunks */
        }
        if (!placed || at > c || (mrc == 0 && at < c)) {
            unsigned char kb[5] = {0, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8), (unsigned char)c};
            k = (MDB_val){sizeof kb, kb};
            mrc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE);
            if (mrc == 0 && chunk_key(&k, &at)) mrc = MDB_NOTFOUND;
        }
        placed = mrc == 0;
        if (mrc == 0 && at == c) {
            rc = each_in_chunk(c, &val, &d, each_of_member, &e);
            if (rc == 1) rc = 0;   /* (each_of_member: the chunk's asked-for members are done) */
        } else if (mrc != 0 && mrc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            shoal_free(d.buf);
            return shoal_store_err(err, mrc, "cannot read a view's table");
        }
        while (e.i < n && ms[e.i] / CHUNK == c) e.i++;
    }
    mdb_cursor_close(cur);
    shoal_free(d.buf);
    if (rc == SHOAL_ECORRUPT) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a chunk of view \"%s\" does not decode", name);
    if (rc == SHOAL_ENOMEM) return nomem(err);
    return rc;
}

int shoal_view_retention_cohorts(shoal_reader *r, const char *name, int64_t lo, int64_t hi,
                                 int (*fn)(void *ctx, const shoal_retcohort *c), void *ctx, shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    unsigned char mk = 0x01;
    MDB_val k = {1, &mk}, val;
    if ((rc = mdb_get(r->txn, dbi, &k, &val))) {
        if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    if (lo < INT32_MIN) lo = INT32_MIN;
    if (hi > INT32_MAX) hi = INT32_MAX;
    if (lo > hi) return SHOAL_OK;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[5];
    row_key((int32_t)lo, kb);
    k = (MDB_val){5, kb};
    int64_t *buf = NULL;
    size_t cap = 0;
    int mrc;
    rc = 0;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != 5 || kp[0] != 0x01) break;
        int32_t A = (int32_t)(((uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4]) ^ 0x80000000u);
        if (A > hi) break;
        const unsigned char *p = val.mv_data, *end = p + val.mv_size;
        shoal_retcohort c = {A, 0, 0, 0, NULL, NULL};
        uint64_t v, n[2];
        size_t used = 0, kk;
        if (!(kk = shoal_varint_get(p, end, &v))) goto corrupt;
        p += kk;
        c.size = shoal_unzigzag(v);
        for (int j = 0; j < 2; j++) {
            if (!(kk = shoal_varint_get(p, end, &n[j])) || n[j] > (uint64_t)(end - p)) goto corrupt;
            p += kk;
            if (used + n[j] > cap) {
                size_t nc = cap ? cap : 256;
                while (nc < used + n[j]) nc *= 2;
                int64_t *b = shoal_realloc(buf, nc * sizeof *b);
                if (!b) {
                    rc = SHOAL_ENOMEM;
                    goto out;
                }
                buf = b;
                cap = nc;
            }
            for (uint64_t i = 0; i < n[j]; i++) {
                if (!(kk = shoal_varint_get_fast(p, end, &v))) goto corrupt;
                p += kk;
                buf[used + i] = shoal_unzigzag(v);
            }
            used += n[j];
        }
        if (p != end) goto corrupt;
        c.n_bnd = (uint32_t)n[0];
        c.n_unb = (uint32_t)n[1];
        c.bnd = buf;
        c.unb = buf ? buf + n[0] : NULL;   /* (both empty, nothing allocated: NULL + 0 is undefined) */
        if ((rc = fn(ctx, &c))) goto out;
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = shoal_store_err(err, mrc, "cannot read a view's table");
    goto out;
corrupt:
    rc = SHOAL_ECORRUPT;
out:
    mdb_cursor_close(cur);
    shoal_free(buf);
    if (rc == SHOAL_ECORRUPT) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a cohort of view \"%s\" does not decode", name);
    if (rc == SHOAL_ENOMEM) return nomem(err);
    return rc;
}

int shoal_view_retention_cohort_of(shoal_reader *r, const char *name, const uint32_t *members, size_t n, int32_t *out,
                                   shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    size_t i = 0;
    while (i < n) {
        uint32_t c = members[i] / BLOCK;
        unsigned char kb[5] = {0x02, (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                               (unsigned char)c};
        MDB_val k = {5, kb}, val;
        rc = mdb_get(r->txn, dbi, &k, &val);
        if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
        if (!rc && val.mv_size != BLOCK * sizeof(int32_t))
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a cohort block of view \"%s\" does not decode", name);
        for (; i < n && members[i] / BLOCK == c; i++) {
            int32_t v = COH_NONE;
            if (!rc) memcpy(&v, (const unsigned char *)val.mv_data + (size_t)(members[i] % BLOCK) * sizeof v, sizeof v);
            out[i] = v;
        }
    }
    return SHOAL_OK;
}

int shoal_view_activity_counts(shoal_reader *r, const char *name, int what, int64_t lo, int64_t n, int prefix, int64_t *out,
                               shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    if (what < 0 || what >= N_AC) return shoal_err_set(err, SHOAL_EINVAL, -1, -1, "internal: no such activity count");
    unsigned char mk = 0x03;
    MDB_val k = {1, &mk}, val;
    if ((rc = mdb_get(r->txn, dbi, &k, &val))) {
        if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
        return shoal_store_err(err, rc, "cannot read a view's table");
    }
    for (int64_t i = 0; i < n; i++) out[i] = 0;
    if (n <= 0) return SHOAL_OK;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[6];
    /* with prefix, every block from the first: the values before lo add to all */
    int64_t from = prefix ? INT32_MIN : floor_div(lo, 64);
    ac_key(what, from < INT32_MIN ? INT32_MIN : from > INT32_MAX ? INT32_MAX : (int32_t)from, kb);
    k = (MDB_val){6, kb};
    int64_t carry = 0, hi = lo + n;
    int mrc;
    rc = 0;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != 6 || kp[0] != 0x03 || kp[1] != what) break;
        int32_t b = (int32_t)(((uint32_t)kp[2] << 24 | (uint32_t)kp[3] << 16 | (uint32_t)kp[4] << 8 | kp[5]) ^ 0x80000000u);
        int64_t base = (int64_t)b * 64;
        if (base >= hi) break;
        const unsigned char *p = val.mv_data, *end = p + val.mv_size;
        for (int j = 0; p < end; j++) {
            uint64_t v;
            size_t kk = shoal_varint_get(p, end, &v);
            if (!kk || j >= 64) {
                rc = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "the counts of view \"%s\" do not decode", name);
                goto out;
            }
            p += kk;
            int64_t P = base + j, x = shoal_unzigzag(v);
            if (P < lo) carry += x;
            else if (P < hi) out[P - lo] += x;
        }
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = shoal_store_err(err, mrc, "cannot read a view's table");
    if (!rc && prefix) {
        int64_t run = carry;
        for (int64_t i = 0; i < n; i++) out[i] = run += out[i];
    }
out:
    mdb_cursor_close(cur);
    return rc;
}

int shoal_view_retention_hours(shoal_reader *r, const char *name, int64_t lo, int64_t hi, shoal_rethour_fn fn, void *ctx,
                               shoal_err *err)
{
    if (lo >= hi) return SHOAL_OK;
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    unsigned char mk = RH_MARK;
    MDB_val k = {1, &mk}, val;
    if ((rc = mdb_get(r->txn, dbi, &k, &val)) == MDB_NOTFOUND || (!rc && val.mv_size != 20)) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    int keep = (int)u32le(val.mv_data);
    int64_t hmax;
    if ((rc = rh_mark(r->txn, dbi, keep, &hmax, err)) <= 0) return rc < 0 ? rc : SHOAL_ENOTFOUND;
    int64_t low = hmax == INT64_MIN ? INT64_MIN : rh_hour(hmax) - keep + 1, hl = rh_hour(lo), hh = rh_hour(hi - 1);
    if (low == INT64_MIN || hl < low) return SHOAL_ENOTFOUND;   /* older than the kept hours */
    if (hl == hh && lo > hl * MS_HOUR && hi < (hl + 1) * MS_HOUR) return SHOAL_ENOTFOUND;   /* within an hour */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[5];
    rh_key(hl, kb);
    k.mv_size = 5, k.mv_data = kb;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        int64_t hr = rh_key_hour(&k);
        if (hr == INT64_MIN || hr > hh) break;
        if (val.mv_size % RH_ENT) {
            mdb_cursor_close(cur);
            return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": an hour's entries are damaged (shoal rebuild)",
                                 name);
        }
        /* the part of the hour in [lo, hi): whole, its start (a prefix) or its end */
        int64_t hs = hr * MS_HOUR, a = (lo > hs ? lo : hs) - hs, b = (hi < hs + MS_HOUR ? hi : hs + MS_HOUR) - hs;
        const unsigned char *p = val.mv_data;
        for (size_t i = 0; i < val.mv_size / RH_ENT; i++, p += RH_ENT) {
            rhent e;
            rh_get(p, &e);
            int act, st;
            if (a == 0) {
                act = e.af != RH_NONE && (int64_t)e.af < b;
                st = e.sf != RH_NONE && (int64_t)e.sf < b;
            } else {
                act = e.al != RH_NONE && (int64_t)e.al >= a;
                st = e.sl != RH_NONE && (int64_t)e.sl >= a;
            }
            if (act || st) fn(ctx, e.m, act, st);
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

int shoal_view_activity_days(shoal_reader *r, const char *name, int64_t day, int64_t *dmax, shoal_actday_fn fn, void *ctx,
                             shoal_err *err)
{
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    int64_t dm = INT64_MIN;
    if ((rc = rd_mark(r->txn, dbi, &dm, err)) <= 0) return rc < 0 ? rc : SHOAL_ENOTFOUND;
    *dmax = dm;
    if (dm == INT64_MIN || day > dm) return SHOAL_OK;   /* no active event on it */
    if (day < dm - RD_KEEP + 1) return SHOAL_ENOTFOUND;  /* older than the kept days */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    unsigned char kb[9];
    rd_key(day, 0, kb);
    MDB_val k = {9, kb}, val;
    int out = SHOAL_OK;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        uint32_t b;
        if (rd_key_day(&k, &b) != day) break;
        if (val.mv_size % RD_ENT) {
            out = shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": a day's entries are damaged (shoal rebuild)", name);
            break;
        }
        const unsigned char *p = val.mv_data;
        for (size_t i = 0; i < val.mv_size / RD_ENT; i++, p += RD_ENT) {
            rdent e;
            rd_get(p, &e);
            fn(ctx, e.m, e.first, e.prev == INT32_MIN ? INT64_MIN : e.prev);
        }
    }
    mdb_cursor_close(cur);
    if (!out && rc && rc != MDB_NOTFOUND) out = shoal_store_err(err, rc, "cannot read a view's table");
    return out;
}
