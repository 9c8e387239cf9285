/* view_experiment.c — the experiment kind: per unit (member) its first exposure, the
 * arms its exposures name, and per accumulator (a metric, later a covariate or a
 * ratio's parts) its value over a window relative to that first exposure; per arm the
 * sufficient statistics over the units it holds (n, Σx, Σx², Σx_k·x_l for declared
 * pairs), exact (xsum.c), so that EVALUATE EXPERIMENT reads one record.
 *
 * Series (view.c classifies): 0 the exposures (TYPE WHERE experiment = 'name' AND …),
 * 1..K those naming declared arm i (… AND arm = 'a_i'), K + 1 those naming any arm
 * (… AND arm IS NOT NULL), then the series the accumulators read (count: every event;
 * with a summed property: its value). A unit's arm is the one its exposures name;
 * none: the hash (shoal_exp_arm_of_hash, as query/experiment.c); two: counted apart;
 * an undeclared one: counted apart.
 *
 * Late events. A unit's first exposure only moves earlier, and then its windows move:
 * events before the old anchor may fall in, events at the old window's end fall out.
 * So each unit keeps the events that can still matter, its *buffer*: those inside its
 * windows, and every member's events from the horizon on (the latest event time less
 * late_ms, less the earliest window start): a first exposure that comes at most
 * late_ms behind the latest event finds every event of its windows there. The unit's
 * values are recomputed from its buffer whenever it changes, its old contribution to
 * its arm retracted and the new one added (exact sums: retraction is exact). An
 * exposure later than that is counted in `inexact` and the view answers nothing until
 * rebuilt from a log where it is not late (reads fall back to the log). The buffer is
 * pruned each time the latest event time enters a new period of 7 UTC days, a point
 * that depends only on the log's order, so a hot view and a rebuild hold the same bytes.
 *
 * Table: [0x01][member BE u32] → a unit: flags u8 (1 exposed, 2 undeclared arm, 4
 * inexact, 8 text in a summed window, 16 arm by hash), [anchor zigzag varint, named
 * arms varint, per named arm then (flag 2) for an undeclared one the first exposure
 * naming it less the anchor (varint), contribution u8 (0 none, 1 two arms, 2 undeclared arm, 3 + arm), per
 * accumulator when in an arm its value: varint zigzag(v) << 1 for an integer below
 * 2^53, else 1 and 8 bytes], events: count varint, then per event varint (series << 2
 * | tag: 0 none, 1 int, 2 double, 3 text), zigzag delta of its time (from the one
 * before, the first from 0), the value. [0x02] → the statistics: n_arms, n_acc,
 * n_pairs, exposed, two_arms, unknown_arm, by_hash, text, inexact (varints), then per
 * arm n and Σx, Σx² per accumulator and Σxy per pair (shoal_xsum_put). [0x03][change
 * time flipped BE u64][member BE u32] → the unit's record with only its windows'
 * events: the index a read as of a time walks (change_time). [0x05] → the layout
 * (LAYOUT, one byte).
 *
 * UNIT group (params format 2): the arms' units are groups. A unit (member) record holds
 * after its arms its groups (varint count | 4 when an exposure had none, per group its
 * id and first time less the anchor, then that exposure's), its contribution may be
 * 0x80 no group or 0x81 two groups (counted apart), and in an arm it goes to its
 * group's totals: [0x04][group BE u32] → per arm its members (varints), per
 * accumulator its members' total (shoal_xsum_put; the accumulator of transform 2 counts
 * the members). A group whose members are all in one arm is one unit of it, each
 * accumulator its total rounded once; the statistics end with the members in two
 * groups, without one, and the groups in two arms.
 */
#include "shoal_int.h"
#include "caltime.h"

#include <math.h>
#include <stdio.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

enum { TAG_NONE = 0, TAG_INT = 1, TAG_NUM = 2, TAG_TEXT = 3 };
enum { F_EXPOSED = 1, F_UNKNOWN = 2, F_INEXACT = 4, F_TEXT = 8, F_HASH = 16 };
enum { C_NONE = 0, C_TWO = 1, C_UNKNOWN = 2, C_ARM = 3, C_NOGRP = 0x80, C_TWOGRP = 0x81 };
#define KEY_UNIT 0x01
#define KEY_STATS 0x02
#define KEY_SETTLED 0x03
#define KEY_GROUP 0x04
#define KEY_LAYOUT 0x05
/* The layout this file keeps, in the table under KEY_LAYOUT (one byte), written with
 * the whole table (a back-fill, rebuild or remake). A table without it was made by an
 * earlier build (its index keyed by each unit's settle time, without values; or no
 * index): this shoal reads nothing of it, answers from the log and remakes it at the
 * first append (view.c); check says so instead of comparing. Bump it whenever a
 * record's encoding or the index changes. */
#define LAYOUT 1
#define IN_ARM(c) ((c) >= C_ARM && (c) < C_NOGRP)

static int nomem(shoal_err *err) { return shoal_err_set(err, SHOAL_ENOMEM, -1, -1, "out of memory"); }

/* ---------------------------------------------------------------- assignment */

uint64_t shoal_exp_hash(const char *salt, size_t salt_len, const char *member, size_t member_len)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, salt, salt_len);
    XXH3_64bits_update(&st, "", 1);
    XXH3_64bits_update(&st, member, member_len);
    return XXH3_64bits_digest(&st);
}

int shoal_exp_arm_of_hash(const uint32_t *weight, uint32_t n_arms, uint64_t h)
{
    uint64_t total = 0, acc = 0;
    for (uint32_t i = 0; i < n_arms; i++) total += weight[i];
    if (!total) return 0;
    uint64_t r = h % total;
    for (uint32_t i = 0; i < n_arms; i++) {
        acc += weight[i];
        if (r < acc) return (int)i;
    }
    return (int)n_arms - 1;
}

/* ---------------------------------------------------------------- params */

typedef struct obuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} obuf;

static void o_bytes(obuf *o, const void *s, size_t n)
{
    if (o->oom) return;
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        while (cap < o->n + n) cap *= 2;
        unsigned char *q = shoal_realloc(o->p, cap);
        if (!q) {
            o->oom = 1;
            return;
        }
        o->p = q;
        o->cap = cap;
    }
    if (n) memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void o_varint(obuf *o, uint64_t v)
{
    unsigned char b[10];
    o_bytes(o, b, shoal_varint_put(b, v));
}

static void o_xsum(obuf *o, const shoal_xsum *x)
{
    unsigned char b[SHOAL_XSUM_BYTES];
    o_bytes(o, b, shoal_xsum_put(b, x));
}

typedef struct ibuf {
    const unsigned char *p, *end;
    int bad;
} ibuf;

static uint64_t i_varint(ibuf *b)
{
    uint64_t v = 0;
    size_t k = b->bad ? 0 : shoal_varint_get(b->p, b->end, &v);
    if (!k) b->bad = 1;
    else b->p += k;
    return v;
}

static uint8_t i_u8(ibuf *b)
{
    if (b->bad || b->p >= b->end) {
        b->bad = 1;
        return 0;
    }
    return *b->p++;
}

static double i_f64(ibuf *b)
{
    double d = 0;
    if (b->bad || b->end - b->p < 8) b->bad = 1;
    else memcpy(&d, b->p, 8), b->p += 8;
    return d;
}

static void i_xsum(ibuf *b, shoal_xsum *x)
{
    memset(x, 0, sizeof *x);
    size_t k = b->bad ? 0 : shoal_xsum_get(b->p, b->end, x);
    if (!k) b->bad = 1;
    else b->p += k;
}

/* The versions of the params this shoal reads: 1, and 2 for UNIT group. A larger one
 * is a later shoal's: refused as a newer format (upgrade), never taken for damage. */
#define PARAMS_LAST 2

/* Params format 1 (2: UNIT group): version, salt, n_arms, weights, n_acc, per accumulator series, lo,
 * hi (zigzag), conv, thr (zigzag), n_pairs, pairs (two bytes), late_ms. */
int shoal_expview_params_encode(const shoal_expparams *p, shoal_arena *a, shoal_str *out, shoal_err *err)
{
    obuf o = {0};
    o_varint(&o, p->group ? 2 : 1);   /* 2: UNIT group (an older shoal refuses it) */
    o_varint(&o, p->salt.len);
    o_bytes(&o, p->salt.ptr, p->salt.len);
    o_varint(&o, p->n_arms);
    for (uint32_t i = 0; i < p->n_arms; i++) o_varint(&o, p->weight[i]);
    o_varint(&o, p->n_acc);
    for (uint32_t k = 0; k < p->n_acc; k++) {
        const shoal_expacc *c = &p->acc[k];
        o_varint(&o, c->series);
        o_varint(&o, shoal_zigzag(c->lo));
        o_varint(&o, shoal_zigzag(c->hi));
        o_varint(&o, (uint64_t)c->conv);
        o_varint(&o, shoal_zigzag(c->thr));
    }
    o_varint(&o, p->n_pairs);
    for (uint32_t j = 0; j < p->n_pairs; j++) o_bytes(&o, p->pair[j], 2);
    o_varint(&o, shoal_zigzag(p->late_ms));
    char *q = o.oom ? NULL : shoal_arena_alloc(a, o.n);
    if (q) memcpy(q, o.p, o.n);
    shoal_free(o.p);
    if (!q) return nomem(err);
    out->ptr = q;
    out->len = (uint32_t)o.n;
    return SHOAL_OK;
}

int shoal_expview_params_decode(shoal_str in, shoal_expparams *p)
{
    ibuf b = {(const unsigned char *)in.ptr, (const unsigned char *)in.ptr + in.len, 0};
    memset(p, 0, sizeof *p);
    uint64_t ver = in.len ? i_varint(&b) : 0;
    if (ver > PARAMS_LAST && !b.bad) return SHOAL_EVERSION;
    if (ver != 1 && ver != 2) return SHOAL_ECORRUPT;
    p->group = ver == 2;
    uint64_t n = i_varint(&b);
    if (b.bad || n > (uint64_t)(b.end - b.p)) return SHOAL_ECORRUPT;
    p->salt = (shoal_str){(const char *)b.p, (uint32_t)n};
    b.p += n;
    n = i_varint(&b);
    if (b.bad || n < 1 || n > SHOAL_EXP_MAX_ARMS) return SHOAL_ECORRUPT;
    p->n_arms = (uint32_t)n;
    for (uint32_t i = 0; i < p->n_arms; i++) p->weight[i] = (uint32_t)i_varint(&b);
    n = i_varint(&b);
    if (b.bad || n > SHOAL_EXP_MAX_ACC) return SHOAL_ECORRUPT;
    p->n_acc = (uint32_t)n;
    for (uint32_t k = 0; k < p->n_acc; k++) {
        shoal_expacc *c = &p->acc[k];
        c->series = (uint32_t)i_varint(&b);
        c->lo = shoal_unzigzag(i_varint(&b));
        c->hi = shoal_unzigzag(i_varint(&b));
        c->conv = (int)i_varint(&b);
        c->thr = shoal_unzigzag(i_varint(&b));
        if (c->conv == 2 ? !p->group : c->series >= SHOAL_VIEW_MAX_SERIES || c->series < p->n_arms + 2 || c->lo > c->hi)
            b.bad = 1;
    }
    n = i_varint(&b);
    if (b.bad || n > SHOAL_EXP_MAX_PAIRS) return SHOAL_ECORRUPT;
    p->n_pairs = (uint32_t)n;
    for (uint32_t j = 0; j < p->n_pairs; j++) {
        p->pair[j][0] = i_u8(&b);
        p->pair[j][1] = i_u8(&b);
        if (p->pair[j][0] >= p->n_acc || p->pair[j][1] >= p->n_acc) b.bad = 1;
    }
    p->late_ms = shoal_unzigzag(i_varint(&b));
    if (b.bad || b.p != b.end || p->late_ms < 0) return SHOAL_ECORRUPT;
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- state */

typedef struct bev {
    int64_t ts;
    int64_t i;
    double d;
    uint8_t s, tag;
} bev;

typedef struct unit {
    int64_t anchor;   /* the first exposure; INT64_MAX none */
    uint32_t named;   /* the declared arms its exposures name */
    uint8_t flags;    /* F_UNKNOWN, F_INEXACT (state); F_TEXT, F_HASH (of the contribution) */
    uint8_t cat;      /* the contribution: C_NONE, C_TWO, C_UNKNOWN, C_ARM + arm */
    uint8_t dirty;
    int8_t hash_arm;  /* -1: not computed yet */
    int64_t ikey;     /* its change time as in the table's index (INT64_MIN: none) */
    double *val;      /* the values contributed (n_acc), when in an arm */
    int64_t *nts;     /* when exposed naming an arm: per declared arm (named) the first
                         exposure naming it, [n_arms] the first naming an undeclared one */
    bev *ev;
    uint32_t n_ev, cap_ev;
    /* UNIT group: the two groups its exposures named first (0: none) and when, by
     * time; the first exposure without a group (INT64_MAX: none); the group its
     * contribution went to */
    uint32_t grp[2];
    int64_t gts[2], nogrp_ts;
    uint32_t cl;
} unit;

/* UNIT group: a group's members per arm and the totals of their values per
 * accumulator (exact); the group contributes to an arm when its members are all in
 * it, each accumulator its total rounded once. */
typedef struct gstate {
    uint8_t dirty;
    int8_t hash_arm;     /* its name's arm, -1: not computed (not stored) */
    int32_t narm[SHOAL_EXP_MAX_ARMS];
    shoal_xsum tot[];
} gstate;

typedef struct xstate {
    shoal_expparams p;
    int p_ok;
    uint64_t acc_mask;   /* the series some accumulator reads */
    uint64_t sum_mask;   /* those with a summed property */
    int64_t min_lo, max_hi;
    unit **u;            /* by member id */
    uint32_t n_u;
    uint32_t *dirty;
    uint32_t n_dirty, cap_dirty;
    int64_t n[SHOAL_EXP_MAX_ARMS];
    shoal_xsum *sx, *sxx, *sxy;
    int64_t exposed, two, unknown, by_hash, text, inexact;
    /* UNIT group: the groups by id, those touched since the last write; members in two
     * groups, without one; groups whose members came in two arms */
    gstate **g;
    uint32_t n_g;
    uint32_t *gdirty;
    uint32_t n_gdirty, cap_gdirty;
    int64_t twogrp, nogrp, gtwo;
    /* a read as of a time: groups are fetched from its table */
    shoal_reader *rd;
    MDB_dbi rdbi;
    shoal_err *err;
} xstate;

static void unit_free(unit *u)
{
    if (!u) return;
    shoal_free(u->val);
    shoal_free(u->nts);
    shoal_free(u->ev);
    shoal_free(u);
}

static void reset(void *st)
{
    xstate *s = st;
    for (uint32_t i = 0; i < s->n_u; i++) unit_free(s->u[i]);
    shoal_free(s->u);
    shoal_free(s->dirty);
    s->u = NULL;
    s->dirty = NULL;
    s->n_u = s->n_dirty = s->cap_dirty = 0;
    for (uint32_t i = 0; i < s->n_g; i++) shoal_free(s->g[i]);
    shoal_free(s->g);
    shoal_free(s->gdirty);
    s->g = NULL;
    s->gdirty = NULL;
    s->n_g = s->n_gdirty = s->cap_gdirty = 0;
    s->twogrp = s->nogrp = s->gtwo = 0;
    memset(s->n, 0, sizeof s->n);
    size_t na = (size_t)s->p.n_arms * s->p.n_acc, np = (size_t)s->p.n_arms * s->p.n_pairs;
    if (s->sx) memset(s->sx, 0, sizeof *s->sx * na), memset(s->sxx, 0, sizeof *s->sxx * na);
    if (s->sxy) memset(s->sxy, 0, sizeof *s->sxy * (np ? np : 1));
    s->exposed = s->two = s->unknown = s->by_hash = s->text = s->inexact = 0;
}

static void free_state(void *st)
{
    if (!st) return;
    xstate *s = st;
    reset(s);
    shoal_free(s->sx);
    shoal_free(s->sxx);
    shoal_free(s->sxy);
    shoal_free(s);
}

/* The params and sums of a state of view definition def (s zeroed). SHOAL_EVERSION:
 * params of a later shoal's format. */
static int state_init(xstate *s, const shoal_viewdef *def)
{
    int rc = shoal_expview_params_decode(def->blob, &s->p);
    if (rc == SHOAL_EVERSION) return rc;
    if (rc || def->n_series < s->p.n_arms + 2) return SHOAL_ECORRUPT;
    s->min_lo = 0;
    s->max_hi = 0;
    for (uint32_t k = 0; k < s->p.n_acc; k++) {
        const shoal_expacc *c = &s->p.acc[k];
        if (c->conv == 2) continue;   /* the unit itself: reads no series */
        if (c->series >= def->n_series) return SHOAL_ECORRUPT;
        s->acc_mask |= 1ULL << c->series;
        if (def->series[c->series].sum_prop.len) s->sum_mask |= 1ULL << c->series;
        if (c->lo < s->min_lo) s->min_lo = c->lo;
        if (c->hi > s->max_hi) s->max_hi = c->hi;
    }
    size_t na = (size_t)s->p.n_arms * s->p.n_acc, np = (size_t)s->p.n_arms * s->p.n_pairs;
    s->sx = shoal_malloc(sizeof *s->sx * (na ? na : 1));
    s->sxx = shoal_malloc(sizeof *s->sxx * (na ? na : 1));
    s->sxy = shoal_malloc(sizeof *s->sxy * (np ? np : 1));
    if (!s->sx || !s->sxx || !s->sxy) return SHOAL_ENOMEM;
    memset(s->sx, 0, sizeof *s->sx * (na ? na : 1));
    memset(s->sxx, 0, sizeof *s->sxx * (na ? na : 1));
    memset(s->sxy, 0, sizeof *s->sxy * (np ? np : 1));
    s->p_ok = 1;
    return SHOAL_OK;
}

static int new_state(shoal_view *v, void **out, shoal_err *err)
{
    xstate *s = shoal_malloc(sizeof *s);
    if (!s) return nomem(err);
    memset(s, 0, sizeof *s);
    int rc = state_init(s, &v->def);
    if (rc) {
        free_state(s);
        /* A later shoal's parameters: named here, at the ingest or rebuild that
         * meets them, rather than failing as a damaged definition would. (A database
         * holding an experiment's view has format SHOAL_FORMAT_EXPVIEW or later, which
         * a shoal that predates it already refuses at open.) */
        if (rc == SHOAL_EVERSION)
            return shoal_err_set(err, rc, -1, -1,
                                 "view \"%.*s\" uses a format this shoal (%s) does not know (its parameters are of a "
                                 "later version than %d): upgrade shoal",
                                 (int)v->def.name.len, v->def.name.ptr, SHOAL_VERSION, PARAMS_LAST);
        return rc == SHOAL_ENOMEM ? nomem(err) : rc;
    }
    *out = s;
    return SHOAL_OK;
}

static unit *unit_get(xstate *s, uint32_t m, int make)
{
    if (m < s->n_u && s->u[m]) return s->u[m];
    if (!make) return NULL;
    if (m >= s->n_u) {
        uint32_t n = s->n_u ? s->n_u : 1024;
        while (n <= m) n *= 2;
        unit **q = shoal_realloc(s->u, sizeof *q * n);
        if (!q) return NULL;
        memset(q + s->n_u, 0, sizeof *q * (n - s->n_u));
        s->u = q;
        s->n_u = n;
    }
    unit *u = shoal_malloc(sizeof *u);
    if (!u) return NULL;
    memset(u, 0, sizeof *u);
    u->anchor = INT64_MAX;
    u->hash_arm = -1;
    u->ikey = INT64_MIN;
    u->gts[0] = u->gts[1] = u->nogrp_ts = INT64_MAX;
    s->u[m] = u;
    return u;
}

static int mark(xstate *s, unit *u, uint32_t m)
{
    if (u->dirty) return 0;
    if (s->n_dirty == s->cap_dirty) {
        uint32_t n = s->cap_dirty ? s->cap_dirty * 2 : 1024;
        uint32_t *q = shoal_realloc(s->dirty, sizeof *q * n);
        if (!q) return -1;
        s->dirty = q;
        s->cap_dirty = n;
    }
    s->dirty[s->n_dirty++] = m;
    u->dirty = 1;
    return 0;
}

static int ev_push(unit *u, const bev *e)
{
    if (u->n_ev == u->cap_ev) {
        uint32_t n = u->cap_ev ? u->cap_ev * 2 : 4;
        bev *q = shoal_realloc(u->ev, sizeof *q * n);
        if (!q) return -1;
        u->ev = q;
        u->cap_ev = n;
    }
    u->ev[u->n_ev++] = *e;
    return 0;
}

/* Whether the unit's buffer keeps an event at ts: inside its windows, or (before its
 * windows' end) from the horizon on. */
static int keeps(const xstate *s, const unit *u, int64_t ts, int64_t horizon)
{
    if (u->anchor == INT64_MAX) return ts >= horizon;
    if (ts >= u->anchor + s->max_hi) return 0;
    return ts >= horizon || ts >= u->anchor + s->min_lo;
}

static int64_t horizon_of(const xstate *s, int64_t max_ts)
{
    if (max_ts == INT64_MIN) return INT64_MIN;
    return max_ts - s->p.late_ms + s->min_lo;
}

/* Drops the events no unit can need any more (every unit: the latest event time
 * entered a new day). */
static int prune_all(xstate *s, int64_t horizon)
{
    for (uint32_t m = 0; m < s->n_u; m++) {
        unit *u = s->u[m];
        if (!u || !u->n_ev) continue;
        uint32_t k = 0;
        for (uint32_t i = 0; i < u->n_ev; i++)
            if (keeps(s, u, u->ev[i].ts, horizon)) u->ev[k++] = u->ev[i];
        if (k != u->n_ev) {
            u->n_ev = k;
            if (mark(s, u, m)) return -1;
        }
    }
    return 0;
}

/* The buffers are pruned when the latest event time enters a new period of 7 UTC days
 * (a walk over every unit: once a day it was 9% of ingest at 1M events); they hold up
 * to 7 days more than the horizon needs. */
static int64_t week_of(int64_t t)
{
    const int64_t w = 7 * SHOAL_MS_PER_DAY;
    return t / w - (t % w < 0);
}

/* UNIT group: an exposure of u in group g (0: none) at ts. A unit keeps the two groups
 * first named, by time (as of any time, two or more groups are named by then exactly
 * when the second of those is), and its first exposure without a group. */
static void group_seen(unit *u, uint32_t g, int64_t ts)
{
    if (!g) {
        if (ts < u->nogrp_ts) u->nogrp_ts = ts;
        return;
    }
    int i = u->grp[0] == g ? 0 : u->grp[1] == g ? 1 : -1;
    if (i >= 0) {
        if (ts < u->gts[i]) u->gts[i] = ts;
    } else if (!u->grp[1] || ts < u->gts[1]) {
        u->grp[1] = g;
        u->gts[1] = ts;
    } else {
        return;
    }
    if (u->grp[1] && (!u->grp[0] || u->gts[1] < u->gts[0])) {
        uint32_t tg = u->grp[0];
        int64_t tt = u->gts[0];
        u->grp[0] = u->grp[1], u->gts[0] = u->gts[1];
        u->grp[1] = tg, u->gts[1] = tt;
    }
}

static int apply(shoal_view *v, const shoal_ievent *ev, uint64_t mask, shoal_err *err)
{
    xstate *s = v->st;
    int64_t before = v->max_ts;
    if (ev->ts > v->max_ts) v->max_ts = ev->ts;
    int64_t horizon = horizon_of(s, v->max_ts);
    if (before != INT64_MIN && week_of(v->max_ts) > week_of(before) && prune_all(s, horizon)) return nomem(err);
    uint32_t m = ev->member;
    unit *u = unit_get(s, m, 0);
    uint32_t K = s->p.n_arms;
    if (mask & 1) {
        if (!u && !(u = unit_get(s, m, 1))) return nomem(err);
        uint32_t named = (uint32_t)(mask >> 1) & ((1u << K) - 1);
        int unknown = !named && (mask >> (K + 1) & 1);
        if ((named || unknown) && !u->nts) {
            if (!(u->nts = shoal_malloc(sizeof *u->nts * (K + 1)))) return nomem(err);
            for (uint32_t a = 0; a <= K; a++) u->nts[a] = INT64_MAX;
        }
        for (uint32_t a = 0; a < K; a++)
            if ((named >> a & 1) && ev->ts < u->nts[a]) u->nts[a] = ev->ts;
        if (unknown && ev->ts < u->nts[K]) u->nts[K] = ev->ts;
        u->named |= named;
        if (unknown) u->flags |= F_UNKNOWN;
        if (s->p.group) group_seen(u, ev->group, ev->ts);
        if (ev->ts < u->anchor) {
            if (ev->ts + s->min_lo < horizon && !(u->flags & F_INEXACT)) {
                u->flags |= F_INEXACT;
                s->inexact++;
            }
            u->anchor = ev->ts;
        }
        if (mark(s, u, m)) return nomem(err);
    }
    uint64_t am = mask & s->acc_mask;
    if (!am) return SHOAL_OK;
    if (u ? !keeps(s, u, ev->ts, horizon) : ev->ts < horizon) return SHOAL_OK;
    if (!u && !(u = unit_get(s, m, 1))) return nomem(err);
    for (uint32_t se = 0; am; se++, am >>= 1) {
        if (!(am & 1)) continue;
        bev e = {ev->ts, 0, 0, (uint8_t)se, TAG_NONE};
        if (s->sum_mask >> se & 1) {
            int is_num = 0;
            int r = shoal_view_sum_value(v, se, ev, &e.i, &e.d, &is_num);
            if (r == 0) continue;   /* no value: adds nothing to a sum */
            e.tag = r == 2 ? TAG_TEXT : is_num ? TAG_NUM : TAG_INT;
        }
        if (ev_push(u, &e)) return nomem(err);
    }
    /* its buffer changed: written at the flush (and its values recomputed) */
    if (mark(s, u, m)) return nomem(err);
    return SHOAL_OK;
}

/* ---------------------------------------------------------------- contributions */

static void add_x(shoal_xsum *x, double d, int sign) { shoal_xsum_add_double(x, sign < 0 ? -d : d); }

/* Adds (sign 1) or retracts (-1) one unit of the analysis (a member, or with UNIT group
 * a group) with values x to arm a's sums. */
static void arm_add(xstate *s, uint32_t a, const double *x, int sign)
{
    uint32_t na = s->p.n_acc;
    s->n[a] += sign;
    for (uint32_t k = 0; k < na; k++) {
        add_x(&s->sx[a * na + k], x[k], sign);
        add_x(&s->sxx[a * na + k], x[k] * x[k], sign);
    }
    for (uint32_t j = 0; j < s->p.n_pairs; j++)
        add_x(&s->sxy[a * s->p.n_pairs + j], x[s->p.pair[j][0]] * x[s->p.pair[j][1]], sign);
}

static size_t gstate_size(const xstate *s) { return sizeof(gstate) + sizeof(shoal_xsum) * s->p.n_acc; }

static int gempty(const xstate *s, const gstate *g)
{
    for (uint32_t a = 0; g && a < s->p.n_arms; a++)
        if (g->narm[a]) return 0;
    return 1;
}

static int dec_group(const xstate *s, const void *p, size_t n, gstate *g);

/* Group gid's state (made when missing; a read as of a time fetches it from the table):
 * NULL on an error, in s->err. */
static gstate *gget(xstate *s, uint32_t gid)
{
    if (gid < s->n_g && s->g[gid]) return s->g[gid];
    if (gid >= s->n_g) {
        uint32_t n = s->n_g ? s->n_g : 64;
        while (n <= gid) n *= 2;
        gstate **q = shoal_realloc(s->g, sizeof *q * n);
        if (!q) return nomem(s->err), NULL;
        memset(q + s->n_g, 0, sizeof *q * (n - s->n_g));
        s->g = q;
        s->n_g = n;
    }
    gstate *g = shoal_malloc(gstate_size(s));
    if (!g) return nomem(s->err), NULL;
    memset(g, 0, gstate_size(s));
    g->hash_arm = -1;
    s->g[gid] = g;
    if (s->rd) {
        unsigned char kb[5] = {KEY_GROUP, (unsigned char)(gid >> 24), (unsigned char)(gid >> 16), (unsigned char)(gid >> 8),
                               (unsigned char)gid};
        MDB_val k = {5, kb}, val;
        int rc = mdb_get(s->rd->txn, s->rdbi, &k, &val);
        if (rc == 0 && dec_group(s, val.mv_data, val.mv_size, g)) {
            shoal_err_set(s->err, SHOAL_ECORRUPT, -1, -1, "an experiment's group %u does not decode", gid);
            return NULL;
        }
        if (rc && rc != MDB_NOTFOUND) return shoal_store_err(s->err, rc, "cannot read a view's table"), NULL;
    }
    return g;
}

/* Adds or retracts group g's contribution: to its arm when its members are all in one,
 * each accumulator its total rounded once; counted apart when in two. */
static void gcontribute(xstate *s, const gstate *g, int sign)
{
    int a = -1;
    for (uint32_t i = 0; i < s->p.n_arms; i++)
        if (g->narm[i]) a = a == -1 ? (int)i : -2;
    if (a == -2) s->gtwo += sign;
    if (a < 0) return;
    double x[SHOAL_EXP_MAX_ACC];
    for (uint32_t k = 0; k < s->p.n_acc; k++) x[k] = shoal_xsum_value(&g->tot[k]);
    arm_add(s, (uint32_t)a, x, sign);
}

/* Group gid, about to change: its contribution retracted (once until settled). */
static gstate *gtouch(xstate *s, uint32_t gid)
{
    gstate *g = gget(s, gid);
    if (!g || g->dirty) return g;
    if (s->n_gdirty == s->cap_gdirty) {
        uint32_t n = s->cap_gdirty ? s->cap_gdirty * 2 : 256;
        uint32_t *q = shoal_realloc(s->gdirty, sizeof *q * n);
        if (!q) return nomem(s->err), NULL;
        s->gdirty = q;
        s->cap_gdirty = n;
    }
    s->gdirty[s->n_gdirty++] = gid;
    gcontribute(s, g, -1);
    g->dirty = 1;
    return g;
}

/* The touched groups' contributions added again. */
static void gsettle(xstate *s)
{
    for (uint32_t i = 0; i < s->n_gdirty; i++) {
        gstate *g = s->g[s->gdirty[i]];
        if (!g->dirty) continue;
        gcontribute(s, g, 1);
        g->dirty = 0;
    }
}

/* Adds (sign 1) or retracts (-1) unit u's contribution as it stands: with UNIT group to
 * its group's totals (the group's own contribution retracted first, added again by
 * gsettle). 0, or an error in s->err. */
static int contribute(xstate *s, const unit *u, int sign)
{
    if (u->cat == C_NONE) return 0;
    s->exposed += sign;
    if (u->flags & F_TEXT) s->text += sign;
    if (u->cat == C_TWO) {
        s->two += sign;
        return 0;
    }
    if (u->cat == C_UNKNOWN) {
        s->unknown += sign;
        return 0;
    }
    if (u->cat == C_NOGRP || u->cat == C_TWOGRP) {
        *(u->cat == C_NOGRP ? &s->nogrp : &s->twogrp) += sign;
        return 0;
    }
    uint32_t a = u->cat - C_ARM, na = s->p.n_acc;
    if (u->flags & F_HASH) s->by_hash += sign;
    double x[SHOAL_EXP_MAX_ACC];
    for (uint32_t k = 0; k < na; k++) {
        const shoal_expacc *c = &s->p.acc[k];
        x[k] = c->conv == 2 ? 1 : c->conv ? (u->val[k] > (double)c->thr ? 1 : 0) : u->val[k];
    }
    if (!s->p.group) {
        arm_add(s, a, x, sign);
        return 0;
    }
    gstate *g = gtouch(s, u->cl);
    if (!g) return s->err->code ? s->err->code : SHOAL_ENOMEM;
    g->narm[a] += sign;
    for (uint32_t k = 0; k < na; k++) add_x(&g->tot[k], x[k], sign);
    return 0;
}

/* Unit u's accumulator values from its buffer, each over its window cut after cut
 * (INT64_MAX: not cut), into val; 1 when a summed window holds text. */
static int values_of(const xstate *s, const unit *u, int64_t cut, double *val)
{
    int text = 0;
    for (uint32_t k = 0; k < s->p.n_acc; k++) {
        const shoal_expacc *c = &s->p.acc[k];
        if (c->conv == 2) {
            val[k] = 1;
            continue;
        }
        int64_t lo = u->anchor + c->lo, hi = u->anchor + c->hi, cnt = 0;
        if (cut != INT64_MAX && cut + 1 < hi) hi = cut + 1;
        int sum = (s->sum_mask >> c->series & 1) != 0;
        shoal_xsum x;
        memset(&x, 0, sizeof x);
        for (uint32_t i = 0; i < u->n_ev; i++) {
            const bev *e = &u->ev[i];
            if (e->s != c->series || e->ts < lo || e->ts >= hi) continue;
            cnt++;
            if (!sum) continue;
            if (e->tag == TAG_TEXT) text = 1;
            else if (e->tag == TAG_INT) shoal_xsum_add_int(&x, e->i);
            else if (e->tag == TAG_NUM) shoal_xsum_add_double(&x, e->d);
        }
        val[k] = sum ? shoal_xsum_value(&x) : (double)cnt;
    }
    return text;
}

/* The unit's category from the arms its exposures named (named, unknown: an undeclared
 * one), with UNIT group the groups they named by cut (none, or two: counted apart), else
 * the hash of its name (with UNIT group its group's), and its values over its windows
 * cut after cut: the one placing of recompute (the whole log) and unit_at (as of cut). */
static int place(shoal_db *db, MDB_txn *txn, xstate *s, unit *u, uint32_t m, uint32_t named, int unknown, int64_t cut,
                 shoal_err *err)
{
    u->cl = 0;
    if (named & (named - 1)) u->cat = C_TWO;
    else if (unknown) u->cat = C_UNKNOWN;
    else if (s->p.group && u->nogrp_ts != INT64_MAX && u->nogrp_ts <= cut) u->cat = C_NOGRP;
    else if (s->p.group && u->grp[1] && u->gts[1] <= cut) u->cat = C_TWOGRP;
    else if (s->p.group && !named) {
        /* the hash of its group's name (exposed by cut with no exposure without a
         * group: its first group was named by then) */
        gstate *g = gget(s, u->cl = u->grp[0]);
        if (!g) return err->code ? err->code : nomem(err);
        if (g->hash_arm < 0) {
            shoal_str gs;
            int rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_GROUP, u->cl, &gs, err);
            if (rc) return rc;
            g->hash_arm = (int8_t)shoal_exp_arm_of_hash(s->p.weight, s->p.n_arms,
                                                        shoal_exp_hash(s->p.salt.ptr ? s->p.salt.ptr : "", s->p.salt.len,
                                                                       gs.ptr ? gs.ptr : "", gs.len));
        }
        u->cat = (uint8_t)(C_ARM + g->hash_arm);
        u->flags |= F_HASH;
    } else if (named) {
        u->cl = u->grp[0];
        int a = 0;
        while (!(named >> a & 1)) a++;
        u->cat = (uint8_t)(C_ARM + a);
    } else {
        if (u->hash_arm < 0) {
            shoal_str ms;
            int rc = shoal_dict_lookup_str(db, txn, SHOAL_NS_MEMBER, m, &ms, err);
            if (rc) return rc;
            u->hash_arm = (int8_t)shoal_exp_arm_of_hash(s->p.weight, s->p.n_arms,
                                                        shoal_exp_hash(s->p.salt.ptr ? s->p.salt.ptr : "", s->p.salt.len,
                                                                       ms.ptr ? ms.ptr : "", ms.len));
        }
        u->cat = (uint8_t)(C_ARM + u->hash_arm);
        u->flags |= F_HASH;
    }
    /* the values: also for units outside the arms, whose text the log would refuse */
    uint32_t na = s->p.n_acc;
    if (!u->val && na && !(u->val = shoal_malloc(sizeof *u->val * na))) return nomem(err);
    if (values_of(s, u, cut, u->val)) u->flags |= F_TEXT;
    return 0;
}

/* The unit's contribution from its anchor, arms and buffer. */
static int recompute(shoal_view *v, xstate *s, unit *u, uint32_t m, shoal_err *err)
{
    u->flags &= (uint8_t)~(F_TEXT | F_HASH);
    u->cat = C_NONE;
    if (u->anchor == INT64_MAX) return 0;
    uint32_t named = u->named;
    return place(v->db, v->txn, s, u, m, named, (u->flags & F_UNKNOWN) != 0, INT64_MAX, err);
}

static int settle(shoal_view *v, xstate *s, shoal_err *err)
{
    s->err = err;
    for (uint32_t i = 0; i < s->n_dirty; i++) {
        uint32_t m = s->dirty[i];
        unit *u = s->u[m];
        int rc = contribute(s, u, -1);
        if (!rc) rc = recompute(v, s, u, m, err);
        if (!rc) rc = contribute(s, u, 1);
        if (rc) return rc;
    }
    gsettle(s);
    return 0;
}

/* ---------------------------------------------------------------- encoding */

/* Whether buffered event e lies in one of unit u's windows (an accumulator of its
 * series). */
static int in_window(const xstate *s, const unit *u, const bev *e)
{
    for (uint32_t k = 0; k < s->p.n_acc; k++) {
        const shoal_expacc *c = &s->p.acc[k];
        if (c->conv != 2 && c->series == e->s && e->ts >= u->anchor + c->lo && e->ts < u->anchor + c->hi) return 1;
    }
    return 0;
}

/* A unit's record; windowed: only the events inside its windows (the index's value). */
static void enc_unit_ev(const xstate *s, const unit *u, obuf *o, int windowed)
{
    uint8_t f = u->flags;
    if (u->anchor != INT64_MAX) f |= F_EXPOSED;
    o_bytes(o, &f, 1);
    if (u->anchor != INT64_MAX) {
        o_varint(o, shoal_zigzag(u->anchor));
        o_varint(o, u->named);
        for (uint32_t a = 0; a <= s->p.n_arms; a++)
            if (a < s->p.n_arms ? (u->named >> a & 1) : (u->flags & F_UNKNOWN) != 0) o_varint(o, (uint64_t)(u->nts[a] - u->anchor));
        if (s->p.group) {
            /* the groups named first and when, the first exposure without one */
            int ng = (u->grp[0] != 0) + (u->grp[1] != 0), no = u->nogrp_ts != INT64_MAX;
            o_varint(o, (uint64_t)(ng | no << 2));
            for (int i = 0; i < ng; i++) o_varint(o, u->grp[i]), o_varint(o, (uint64_t)(u->gts[i] - u->anchor));
            if (no) o_varint(o, (uint64_t)(u->nogrp_ts - u->anchor));
        }
        o_bytes(o, &u->cat, 1);
        if (IN_ARM(u->cat))
            for (uint32_t k = 0; k < s->p.n_acc; k++) {
                double d = u->val[k];
                if (d == floor(d) && fabs(d) < 9007199254740992.0 && !(d == 0 && signbit(d))) {
                    o_varint(o, shoal_zigzag((int64_t)d) << 1);
                } else {
                    o_varint(o, 1);
                    o_bytes(o, &d, 8);
                }
            }
    }
    uint32_t ne = 0;
    for (uint32_t i = 0; i < u->n_ev; i++) ne += !windowed || in_window(s, u, &u->ev[i]);
    o_varint(o, ne);
    int64_t prev = 0;
    for (uint32_t i = 0; i < u->n_ev; i++) {
        const bev *e = &u->ev[i];
        if (windowed && !in_window(s, u, e)) continue;
        o_varint(o, (uint64_t)e->s << 2 | e->tag);
        o_varint(o, shoal_zigzag(e->ts - prev));
        prev = e->ts;
        if (e->tag == TAG_INT) o_varint(o, shoal_zigzag(e->i));
        else if (e->tag == TAG_NUM) o_bytes(o, &e->d, 8);
    }
}

static void enc_unit(const xstate *s, const unit *u, obuf *o) { enc_unit_ev(s, u, o, 0); }

static int dec_unit(const xstate *s, const void *p, size_t n, unit *u)
{
    ibuf b = {p, (const unsigned char *)p + n, 0};
    uint8_t f = i_u8(&b);
    u->flags = f & (uint8_t)~F_EXPOSED;
    u->anchor = INT64_MAX;
    u->hash_arm = -1;
    u->gts[0] = u->gts[1] = u->nogrp_ts = INT64_MAX;
    for (uint32_t a = 0; u->nts && a <= s->p.n_arms; a++) u->nts[a] = INT64_MAX;   /* (a buffer reused) */
    if (f & F_EXPOSED) {
        u->anchor = shoal_unzigzag(i_varint(&b));
        u->named = (uint32_t)i_varint(&b);
        if (u->named >> s->p.n_arms) return -1;
        if (u->named || (f & F_UNKNOWN)) {
            if (!u->nts && !(u->nts = shoal_malloc(sizeof *u->nts * (s->p.n_arms + 1)))) return -2;
            for (uint32_t a = 0; a <= s->p.n_arms; a++)
                u->nts[a] = (a < s->p.n_arms ? (u->named >> a & 1) : (f & F_UNKNOWN) != 0) ? u->anchor + (int64_t)i_varint(&b) : INT64_MAX;
        }
        if (s->p.group) {
            uint64_t h = i_varint(&b);
            if (h & ~(uint64_t)7 || (h & 3) > 2) return -1;
            for (uint64_t i = 0; i < (h & 3); i++) {
                u->grp[i] = (uint32_t)i_varint(&b);
                u->gts[i] = u->anchor + (int64_t)i_varint(&b);
                if (!u->grp[i]) return -1;
            }
            if (h & 4) u->nogrp_ts = u->anchor + (int64_t)i_varint(&b);
        }
        u->cat = i_u8(&b);
        if (IN_ARM(u->cat) ? u->cat >= C_ARM + s->p.n_arms : u->cat >= C_ARM && !(s->p.group && u->cat <= C_TWOGRP)) return -1;
        if (IN_ARM(u->cat)) {
            u->cl = u->grp[0];
            if ((f & F_HASH) && !s->p.group) u->hash_arm = (int8_t)(u->cat - C_ARM);
            if (s->p.n_acc && !u->val && !(u->val = shoal_malloc(sizeof *u->val * s->p.n_acc))) return -2;
            for (uint32_t k = 0; k < s->p.n_acc; k++) {
                uint64_t z = i_varint(&b);
                u->val[k] = z & 1 ? i_f64(&b) : (double)shoal_unzigzag(z >> 1);
            }
        }
    }
    uint64_t ne = i_varint(&b);
    if (b.bad || ne > (uint64_t)(b.end - b.p)) return -1;
    if (ne > u->cap_ev) {
        bev *q = shoal_realloc(u->ev, sizeof *u->ev * ne);
        if (!q) return -2;
        u->ev = q;
        u->cap_ev = (uint32_t)ne;
    }
    u->n_ev = 0;
    int64_t prev = 0;
    for (uint64_t i = 0; i < ne && !b.bad; i++) {
        bev *e = &u->ev[u->n_ev++];
        memset(e, 0, sizeof *e);
        uint64_t h = i_varint(&b);
        e->s = (uint8_t)(h >> 2);
        e->tag = (uint8_t)(h & 3);
        e->ts = prev + shoal_unzigzag(i_varint(&b));
        prev = e->ts;
        if (e->tag == TAG_INT) e->i = shoal_unzigzag(i_varint(&b));
        else if (e->tag == TAG_NUM) e->d = i_f64(&b);
        if ((h >> 2) >= SHOAL_VIEW_MAX_SERIES) b.bad = 1;
    }
    return b.bad || b.p != b.end ? -1 : 0;
}

/* A group: its members per arm, then per accumulator their values' total. */
static void enc_group(const xstate *s, const gstate *g, obuf *o)
{
    for (uint32_t a = 0; a < s->p.n_arms; a++) o_varint(o, (uint64_t)g->narm[a]);
    for (uint32_t k = 0; k < s->p.n_acc; k++) o_xsum(o, &g->tot[k]);
}

static int dec_group(const xstate *s, const void *p, size_t n, gstate *g)
{
    ibuf b = {p, (const unsigned char *)p + n, 0};
    for (uint32_t a = 0; a < s->p.n_arms; a++) {
        uint64_t c = i_varint(&b);
        if (c > INT32_MAX) b.bad = 1;
        g->narm[a] = (int32_t)c;
    }
    for (uint32_t k = 0; k < s->p.n_acc; k++) i_xsum(&b, &g->tot[k]);
    return b.bad || b.p != b.end ? -1 : 0;
}

static void enc_stats(const xstate *s, obuf *o)
{
    const shoal_expparams *p = &s->p;
    o_varint(o, p->n_arms);
    o_varint(o, p->n_acc);
    o_varint(o, p->n_pairs);
    int64_t c[6] = {s->exposed, s->two, s->unknown, s->by_hash, s->text, s->inexact};
    for (int i = 0; i < 6; i++) o_varint(o, shoal_zigzag(c[i]));
    for (uint32_t a = 0; a < p->n_arms; a++) {
        o_varint(o, shoal_zigzag(s->n[a]));
        for (uint32_t k = 0; k < p->n_acc; k++) {
            o_xsum(o, &s->sx[a * p->n_acc + k]);
            o_xsum(o, &s->sxx[a * p->n_acc + k]);
        }
        for (uint32_t j = 0; j < p->n_pairs; j++) o_xsum(o, &s->sxy[a * p->n_pairs + j]);
    }
    /* UNIT group: the members in two groups, without one, the groups in two arms */
    if (p->group) {
        o_varint(o, shoal_zigzag(s->twogrp));
        o_varint(o, shoal_zigzag(s->nogrp));
        o_varint(o, shoal_zigzag(s->gtwo));
    }
}

/* Decodes a statistics record into out (sums in a). */
static int dec_stats(const void *p, size_t n, shoal_arena *a, shoal_expview_stats *out)
{
    ibuf b = {p, (const unsigned char *)p + n, 0};
    out->n_arms = (uint32_t)i_varint(&b);
    out->n_acc = (uint32_t)i_varint(&b);
    out->n_pairs = (uint32_t)i_varint(&b);
    if (b.bad || out->n_arms > SHOAL_EXP_MAX_ARMS || out->n_acc > SHOAL_EXP_MAX_ACC || out->n_pairs > SHOAL_EXP_MAX_PAIRS)
        return -1;
    int64_t *c[6] = {&out->exposed, &out->two_arms, &out->unknown_arm, &out->by_hash, &out->text, &out->inexact};
    for (int i = 0; i < 6; i++) *c[i] = shoal_unzigzag(i_varint(&b));
    size_t na = (size_t)out->n_arms * out->n_acc, np = (size_t)out->n_arms * out->n_pairs;
    out->sx = shoal_arena_alloc(a, sizeof *out->sx * (na + 1));
    out->sxx = shoal_arena_alloc(a, sizeof *out->sxx * (na + 1));
    out->sxy = shoal_arena_alloc(a, sizeof *out->sxy * (np + 1));
    if (!out->sx || !out->sxx || !out->sxy) return -2;
    for (uint32_t r = 0; r < out->n_arms; r++) {
        out->n[r] = shoal_unzigzag(i_varint(&b));
        for (uint32_t k = 0; k < out->n_acc; k++) {
            i_xsum(&b, &out->sx[r * out->n_acc + k]);
            i_xsum(&b, &out->sxx[r * out->n_acc + k]);
        }
        for (uint32_t j = 0; j < out->n_pairs; j++) i_xsum(&b, &out->sxy[r * out->n_pairs + j]);
    }
    if (!b.bad && b.p != b.end) {
        out->group = 1;
        out->two_groups = shoal_unzigzag(i_varint(&b));
        out->no_group = shoal_unzigzag(i_varint(&b));
        out->groups_two_arms = shoal_unzigzag(i_varint(&b));
    }
    return b.bad || b.p != b.end ? -1 : 0;
}

/* The time of an exposed unit's last change (INT64_MIN: not exposed): its first
 * exposure, the first exposures naming each arm (with UNIT group each group, and the
 * first without one), and the events inside its windows. As of any time at or after it
 * the unit's contribution is the whole log's: a read as of T recomputes only the units
 * changed after T (the index [0x03][change time flipped BE u64][member BE u32], whose
 * value is the unit's record with only the events inside its windows). */
static int64_t change_time(const xstate *s, const unit *u)
{
    if (u->anchor == INT64_MAX) return INT64_MIN;
    int64_t t = u->anchor;
    for (uint32_t i = 0; i < u->n_ev; i++)
        if (u->ev[i].ts > t && in_window(s, u, &u->ev[i])) t = u->ev[i].ts;
    for (uint32_t a = 0; u->nts && a <= s->p.n_arms; a++)
        if (u->nts[a] != INT64_MAX && u->nts[a] > t) t = u->nts[a];
    for (int i = 0; s->p.group && i < 2; i++)
        if (u->grp[i] && u->gts[i] > t) t = u->gts[i];
    if (s->p.group && u->nogrp_ts != INT64_MAX && u->nogrp_ts > t) t = u->nogrp_ts;
    return t;
}

static void change_key(unsigned char *kb, int64_t t, uint32_t m)
{
    kb[0] = KEY_SETTLED;
    shoal_be64_put(kb + 1, (uint64_t)t ^ (1ULL << 63));
    kb[9] = (unsigned char)(m >> 24);
    kb[10] = (unsigned char)(m >> 16);
    kb[11] = (unsigned char)(m >> 8);
    kb[12] = (unsigned char)m;
}

/* ---------------------------------------------------------------- load, flush, compare */

static void unit_key(unsigned char *kb, uint32_t m)
{
    kb[0] = KEY_UNIT;
    kb[1] = (unsigned char)(m >> 24);
    kb[2] = (unsigned char)(m >> 16);
    kb[3] = (unsigned char)(m >> 8);
    kb[4] = (unsigned char)m;
}

static int key_member(const MDB_val *k, uint32_t *m)
{
    const unsigned char *p = k->mv_data;
    if (k->mv_size != 5 || p[0] != KEY_UNIT) return -1;
    *m = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    return 0;
}

static int load(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    xstate *s = v->st;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        uint32_t m;
        if (k.mv_size == 1 && kp[0] == KEY_STATS) {
            shoal_arena *a = shoal_arena_new();
            shoal_expview_stats st;
            memset(&st, 0, sizeof st);
            int bad = !a ? -2 : dec_stats(val.mv_data, val.mv_size, a, &st);
            if (!bad && (st.n_arms != s->p.n_arms || st.n_acc != s->p.n_acc || st.n_pairs != s->p.n_pairs)) bad = -1;
            if (!bad) {
                memcpy(s->n, st.n, sizeof s->n);
                size_t na = (size_t)st.n_arms * st.n_acc, np = (size_t)st.n_arms * st.n_pairs;
                memcpy(s->sx, st.sx, sizeof *s->sx * na);
                memcpy(s->sxx, st.sxx, sizeof *s->sxx * na);
                memcpy(s->sxy, st.sxy, sizeof *s->sxy * np);
                s->exposed = st.exposed, s->two = st.two_arms, s->unknown = st.unknown_arm;
                s->by_hash = st.by_hash, s->text = st.text, s->inexact = st.inexact;
                s->twogrp = st.two_groups, s->nogrp = st.no_group, s->gtwo = st.groups_two_arms;
            }
            shoal_arena_free(a);
            if (bad) {
                mdb_cursor_close(cur);
                return bad == -2 ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": its statistics do not decode", v->dbname + 2);
            }
            continue;
        }
        if (k.mv_size == 5 && kp[0] == KEY_GROUP) {
            uint32_t gid = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
            shoal_err *saved = s->err;
            s->err = err;
            gstate *g = gget(s, gid);
            s->err = saved;
            if (!g) {
                mdb_cursor_close(cur);
                return err->code;
            }
            if (dec_group(s, val.mv_data, val.mv_size, g)) {
                mdb_cursor_close(cur);
                return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": group %u does not decode", v->dbname + 2, gid);
            }
            continue;
        }
        if (key_member(&k, &m)) continue;
        unit *u = unit_get(s, m, 1);
        int bad = !u ? -2 : dec_unit(s, val.mv_data, val.mv_size, u);
        if (!bad) u->ikey = change_time(s, u);
        if (bad) {
            mdb_cursor_close(cur);
            return bad == -2 ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": member %u does not decode", v->dbname + 2, m);
        }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    return SHOAL_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* A unit with nothing kept has no record. */
static int unit_empty(const unit *u) { return !u || (u->anchor == INT64_MAX && !u->n_ev); }

static int put_unit(xstate *s, MDB_txn *txn, MDB_dbi dbi, uint32_t m, obuf *o, int all, shoal_err *err)
{
    unit *u = s->u[m];
    unsigned char kb[5];
    unit_key(kb, m);
    MDB_val k = {5, kb};
    int rc;
    if (unit_empty(u)) {
        rc = mdb_del(txn, dbi, &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    } else {
        o->n = 0;
        enc_unit(s, u, o);
        if (o->oom) return nomem(err);
        MDB_val val = {o->n, o->p};
        rc = mdb_put(txn, dbi, &k, &val, 0);
    }
    /* its entry in the index of change times, the unit's windows as its value (the
     * table was emptied: all) */
    int64_t t = u ? change_time(s, u) : INT64_MIN;
    if (!rc && u) {
        unsigned char ib[13];
        MDB_val ik = {13, ib};
        if (!all && u->ikey != INT64_MIN && u->ikey != t) {
            change_key(ib, u->ikey, m);
            rc = mdb_del(txn, dbi, &ik, NULL);
            if (rc == MDB_NOTFOUND) rc = 0;
        }
        if (!rc && t != INT64_MIN) {
            change_key(ib, t, m);
            o->n = 0;
            enc_unit_ev(s, u, o, 1);
            if (o->oom) return nomem(err);
            MDB_val val = {o->n, o->p};
            rc = mdb_put(txn, dbi, &ik, &val, 0);
        }
        if (!rc) u->ikey = t;
    }
    return rc ? shoal_store_err(err, rc, "cannot write an experiment's unit") : 0;
}

static void group_key(unsigned char *kb, uint32_t g)
{
    kb[0] = KEY_GROUP;
    kb[1] = (unsigned char)(g >> 24);
    kb[2] = (unsigned char)(g >> 16);
    kb[3] = (unsigned char)(g >> 8);
    kb[4] = (unsigned char)g;
}

/* UNIT group: group gid's record (none when no member is in an arm). */
static int put_group(xstate *s, MDB_txn *txn, MDB_dbi dbi, uint32_t gid, obuf *o, shoal_err *err)
{
    const gstate *g = s->g[gid];
    unsigned char kb[5];
    group_key(kb, gid);
    MDB_val k = {5, kb};
    int rc;
    if (gempty(s, g)) {
        rc = mdb_del(txn, dbi, &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    } else {
        o->n = 0;
        enc_group(s, g, o);
        if (o->oom) return nomem(err);
        MDB_val val = {o->n, o->p};
        rc = mdb_put(txn, dbi, &k, &val, 0);
    }
    return rc ? shoal_store_err(err, rc, "cannot write an experiment's group") : 0;
}

static int flush(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, int all, shoal_err *err)
{
    xstate *s = v->st;
    int rc = settle(v, s, err);
    if (rc) return rc;
    obuf o = {0};
    if (txn && all) {
        for (uint32_t m = 0; m < s->n_u && !rc; m++)
            if (!unit_empty(s->u[m])) rc = put_unit(s, txn, dbi, m, &o, 1, err);
    } else if (txn) {
        if (s->n_dirty) qsort(s->dirty, s->n_dirty, sizeof *s->dirty, cmp_u32);
        for (uint32_t i = 0; i < s->n_dirty && !rc; i++) rc = put_unit(s, txn, dbi, s->dirty[i], &o, 0, err);
    }
    for (uint32_t i = 0; i < s->n_dirty; i++) s->u[s->dirty[i]]->dirty = 0;
    s->n_dirty = 0;
    if (txn && all) {
        for (uint32_t g = 0; g < s->n_g && !rc; g++)
            if (!gempty(s, s->g[g])) rc = put_group(s, txn, dbi, g, &o, err);
    } else if (txn) {
        if (s->n_gdirty) qsort(s->gdirty, s->n_gdirty, sizeof *s->gdirty, cmp_u32);
        for (uint32_t i = 0; i < s->n_gdirty && !rc; i++)
            if (i == 0 || s->gdirty[i] != s->gdirty[i - 1]) rc = put_group(s, txn, dbi, s->gdirty[i], &o, err);
    }
    s->n_gdirty = 0;
    if (!rc && txn && all) {
        unsigned char kb = KEY_LAYOUT, lb = LAYOUT;
        MDB_val k = {1, &kb}, val = {1, &lb};
        if ((rc = mdb_put(txn, dbi, &k, &val, 0))) rc = shoal_store_err(err, rc, "cannot write an experiment's layout");
    }
    if (!rc && txn) {
        o.n = 0;
        enc_stats(s, &o);
        unsigned char kb = KEY_STATS;
        MDB_val k = {1, &kb}, val = {o.n, o.p};
        if (o.oom) rc = nomem(err);
        else if ((rc = mdb_put(txn, dbi, &k, &val, 0))) rc = shoal_store_err(err, rc, "cannot write an experiment's statistics");
    }
    shoal_free(o.p);
    return rc;
}

static int compare(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, void (*problem)(void *, const char *), void *ctx,
                   shoal_err *err)
{
    xstate *s = v->st;
    char msg[256];
    const char *name = v->dbname + 2;
    int rc = settle(v, s, err);
    if (rc) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, dbi, &cur))) return shoal_store_err(err, rc, "cannot read a view's table");
    obuf o = {0};
    int n_bad = 0, stats_seen = 0;
    uint64_t n_idx = 0, n_exposed = 0;   /* the index's entries; the exposed units */
    uint64_t n_grp_table = 0, n_grp = 0;  /* UNIT group: groups in the table, in a rebuild */
    uint32_t next = 0;   /* built units below next were met */
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        uint32_t m;
        if (k.mv_size == 1 && kp[0] == SHOAL_VIEW_HDR) continue;
        if (k.mv_size == 1 && kp[0] == KEY_LAYOUT) continue;   /* outdated() read it */
        o.n = 0;
        if (k.mv_size == 1 && kp[0] == KEY_STATS) {
            stats_seen = 1;
            enc_stats(s, &o);
            if (!o.oom && (o.n != val.mv_size || memcmp(o.p, val.mv_data, o.n))) {
                snprintf(msg, sizeof msg, "view \"%s\": the per-arm statistics differ from a rebuild", name);
                problem(ctx, msg);
            }
            continue;
        }
        if (k.mv_size == 13 && kp[0] == KEY_SETTLED) {
            uint32_t im = (uint32_t)kp[9] << 24 | (uint32_t)kp[10] << 16 | (uint32_t)kp[11] << 8 | kp[12];
            int64_t t = (int64_t)(shoal_be64_get(kp + 1) ^ (1ULL << 63));
            const unit *u = im < s->n_u ? s->u[im] : NULL;
            n_idx++;
            if (u && change_time(s, u) == t) enc_unit_ev(s, u, &o, 1);
            if (o.oom) break;
            if ((!u || change_time(s, u) != t || o.n != val.mv_size || memcmp(o.p, val.mv_data, o.n)) && n_bad++ < 5) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u's change time or windows differ from a rebuild", name, im);
                problem(ctx, msg);
            }
            continue;
        }
        if (k.mv_size == 5 && kp[0] == KEY_GROUP) {
            uint32_t gid = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
            const gstate *g = gid < s->n_g ? s->g[gid] : NULL;
            n_grp_table++;
            if (!gempty(s, g)) enc_group(s, g, &o);
            if (o.oom) break;
            if ((gempty(s, g) || o.n != val.mv_size || memcmp(o.p, val.mv_data, o.n)) && n_bad++ < 5) {
                snprintf(msg, sizeof msg, "view \"%s\": group id %u differs from a rebuild", name, gid);
                problem(ctx, msg);
            }
            continue;
        }
        if (key_member(&k, &m)) {
            snprintf(msg, sizeof msg, "view \"%s\" has an entry that is not an experiment's", name);
            problem(ctx, msg);
            continue;
        }
        for (; next < m && next < s->n_u; next++)
            if (!unit_empty(s->u[next]) && n_bad++ < 5) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u is missing (a rebuild has it)", name, next);
                problem(ctx, msg);
            }
        if (next == m) next++;
        unit *u = m < s->n_u && !unit_empty(s->u[m]) ? s->u[m] : NULL;
        if (u) enc_unit(s, u, &o);
        if (o.oom) break;
        if (!u || o.n != val.mv_size || memcmp(o.p, val.mv_data, o.n)) {
            if (n_bad++ < 5) {
                snprintf(msg, sizeof msg, "view \"%s\": member id %u differs from a rebuild", name, m);
                problem(ctx, msg);
            }
        }
    }
    mdb_cursor_close(cur);
    if (o.oom) {
        shoal_free(o.p);
        return nomem(err);
    }
    shoal_free(o.p);
    if (rc != MDB_NOTFOUND) return shoal_store_err(err, rc, "cannot read a view's table");
    for (; next < s->n_u; next++)
        if (!unit_empty(s->u[next]) && n_bad++ < 5) {
            snprintf(msg, sizeof msg, "view \"%s\": member id %u is missing (a rebuild has it)", name, next);
            problem(ctx, msg);
        }
    for (uint32_t i = 0; i < s->n_u; i++) n_exposed += s->u[i] && s->u[i]->anchor != INT64_MAX;
    if (n_idx != n_exposed) {
        snprintf(msg, sizeof msg, "view \"%s\": the index of change times has %llu entries, a rebuild %llu", name,
                 (unsigned long long)n_idx, (unsigned long long)n_exposed);
        problem(ctx, msg);
    }
    for (uint32_t g = 0; g < s->n_g; g++) n_grp += !gempty(s, s->g[g]);
    if (n_grp_table != n_grp) {
        snprintf(msg, sizeof msg, "view \"%s\": the table has %llu groups, a rebuild %llu", name, (unsigned long long)n_grp_table,
                 (unsigned long long)n_grp);
        problem(ctx, msg);
    }
    if (!stats_seen) {
        snprintf(msg, sizeof msg, "view \"%s\" has no per-arm statistics", name);
        problem(ctx, msg);
    }
    return SHOAL_OK;
}

/* The table's layout against LAYOUT: 1 an earlier build's (no mark, or an older one),
 * 0 this one's; a later one is a later shoal's (SHOAL_EVERSION). */
static int layout_of(MDB_txn *txn, MDB_dbi dbi, const char *name, shoal_err *err)
{
    unsigned char kb = KEY_LAYOUT;
    MDB_val k = {1, &kb}, val;
    int rc = mdb_get(txn, dbi, &k, &val);
    if (rc == MDB_NOTFOUND) return 1;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    if (val.mv_size != 1) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": its layout mark is damaged", name);
    unsigned l = ((const unsigned char *)val.mv_data)[0];
    if (l > LAYOUT)
        return shoal_err_set(err, SHOAL_EVERSION, -1, -1,
                             "view \"%s\" is of a layout this shoal (%s) does not know (%u, it keeps %d): upgrade shoal",
                             name, SHOAL_VERSION, l, LAYOUT);
    return l < LAYOUT;
}

static int outdated(shoal_view *v, MDB_txn *txn, MDB_dbi dbi, shoal_err *err)
{
    return layout_of(txn, dbi, v->dbname + 2, err);
}

const shoal_view_kind shoal_view_experiment = {"experiment", new_state, free_state, reset, load, apply, flush, compare,
                                               outdated, NULL, NULL, NULL};

/* ---------------------------------------------------------------- reads */

int shoal_view_experiment_read(shoal_reader *r, const char *name, shoal_arena *a, shoal_expview_stats *out,
                               shoal_err *err)
{
    memset(out, 0, sizeof *out);
    out->max_ts = INT64_MIN;
    MDB_dbi dbi;
    int rc = shoal_view_table(r, name, &dbi, err);
    if (rc) return rc;
    if ((rc = layout_of(r->txn, dbi, name, err)) < 0) return rc;
    if (rc) {
        out->outdated = 1;   /* an earlier build's records: not read */
        return SHOAL_OK;
    }
    unsigned char hk = SHOAL_VIEW_HDR, sk = KEY_STATS;
    MDB_val k = {1, &hk}, val;
    rc = mdb_get(r->txn, dbi, &k, &val);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    if (val.mv_size != SHOAL_VIEW_HDR_LEN) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "a view's header has a bad size");
    out->seq = shoal_be64_get((const unsigned char *)val.mv_data + 1);
    out->max_ts = (int64_t)(shoal_be64_get((const unsigned char *)val.mv_data + 17) ^ (1ULL << 63));
    k.mv_data = &sk;
    rc = mdb_get(r->txn, dbi, &k, &val);
    if (rc == MDB_NOTFOUND) return SHOAL_ENOTFOUND;
    if (rc) return shoal_store_err(err, rc, "cannot read a view's table");
    int bad = dec_stats(val.mv_data, val.mv_size, a, out);
    if (bad == -2) return nomem(err);
    if (bad) return shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": its statistics do not decode", name);
    return SHOAL_OK;
}

/* Unit u's contribution as of cut (its first exposure at or before it): the arms its
 * exposures named by then, its values over its windows cut after cut (as recompute). */
static int unit_at(xstate *s, unit *u, uint32_t m, int64_t cut, shoal_reader *r, shoal_err *err)
{
    const uint32_t K = s->p.n_arms;
    u->flags &= (uint8_t)~(F_TEXT | F_HASH);
    u->cat = C_NONE;
    if (u->anchor == INT64_MAX || u->anchor > cut) return 0;
    uint32_t named = 0;
    for (uint32_t i = 0; i < K; i++)
        if ((u->named >> i & 1) && u->nts[i] <= cut) named |= 1u << i;
    return place(r->db, r->txn, s, u, m, named, (u->flags & F_UNKNOWN) && u->nts[K] <= cut, cut, err);
}

/* The statistics as of cut: those of the whole log (in out), less the contributions of
 * the units changed after cut (the index), plus theirs as of cut (exact sums: the retraction is
 * exact, and the result the same doubles as a sum over the units as of cut). inexact
 * counts the units first exposed by cut whose windows the view may not hold whole. */
int shoal_view_experiment_read_at(shoal_reader *r, const char *name, const shoal_viewdef *def, int64_t cut,
                                  volatile int *cancel, shoal_expview_stats *out, shoal_err *err)
{
    int rc;
    xstate s;
    memset(&s, 0, sizeof s);
    if ((rc = state_init(&s, def)) || s.p.n_arms != out->n_arms || s.p.n_acc != out->n_acc || s.p.n_pairs != out->n_pairs) {
        shoal_free(s.sx), shoal_free(s.sxx), shoal_free(s.sxy);
        return rc == SHOAL_ENOMEM ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": its definition does not decode", name);
    }
    const uint32_t K = s.p.n_arms, na = s.p.n_acc, np = s.p.n_pairs;
    memcpy(s.n, out->n, sizeof s.n);
    memcpy(s.sx, out->sx, sizeof *s.sx * K * na);
    memcpy(s.sxx, out->sxx, sizeof *s.sxx * K * na);
    memcpy(s.sxy, out->sxy, sizeof *s.sxy * K * np);
    s.exposed = out->exposed, s.two = out->two_arms, s.unknown = out->unknown_arm;
    s.by_hash = out->by_hash, s.text = out->text, s.inexact = out->inexact;
    s.twogrp = out->two_groups, s.nogrp = out->no_group, s.gtwo = out->groups_two_arms;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    unit u;
    memset(&u, 0, sizeof u);
    if ((rc = shoal_view_table(r, name, &dbi, err))) goto done;
    s.rd = r, s.rdbi = dbi, s.err = err;   /* UNIT group: the groups from the table */
    if ((rc = mdb_cursor_open(r->txn, dbi, &cur))) {
        rc = shoal_store_err(err, rc, "cannot read a view's table");
        goto done;
    }
    unsigned char ib[13];
    change_key(ib, cut == INT64_MAX ? cut : cut + 1, 0);
    MDB_val k = {13, ib}, val;
    uint64_t seen = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); ; mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        if (mrc == MDB_NOTFOUND || (!mrc && (k.mv_size != 13 || ((unsigned char *)k.mv_data)[0] != KEY_SETTLED))) break;
        if (mrc) {
            rc = shoal_store_err(err, mrc, "cannot read a view's table");
            goto done;
        }
        if ((++seen & 1023) == 0 && cancel && *cancel) {
            rc = shoal_err_set(err, SHOAL_ECANCEL, -1, -1, "cancelled");
            goto done;
        }
        const unsigned char *kp = k.mv_data;
        uint32_t m = (uint32_t)kp[9] << 24 | (uint32_t)kp[10] << 16 | (uint32_t)kp[11] << 8 | kp[12];
        MDB_val uv = val;   /* the entry's value: the unit with the events of its windows */
        /* u's buffers are reused from one unit to the next (freed at the end) */
        double *keep_val = u.val;
        int64_t *keep_nts = u.nts;
        bev *keep_ev = u.ev;
        uint32_t keep_cap = u.cap_ev;
        memset(&u, 0, sizeof u);
        u.val = keep_val, u.nts = keep_nts, u.ev = keep_ev, u.cap_ev = keep_cap;
        int bad = dec_unit(&s, uv.mv_data, uv.mv_size, &u);
        if (!bad) {
            /* its contribution as the whole log has it, retracted when it differs as of cut */
            unit was = u;
            double wv[SHOAL_EXP_MAX_ACC];
            if (u.val) memcpy(wv, u.val, sizeof *wv * na);
            was.val = wv;
            if ((u.flags & F_INEXACT) && u.anchor > cut) s.inexact--;
            if ((rc = unit_at(&s, &u, m, cut, r, err))) bad = 1;
            else if (u.cat != was.cat || u.cl != was.cl || (u.flags ^ was.flags) & (F_TEXT | F_HASH) ||
                     (IN_ARM(u.cat) && memcmp(u.val, wv, sizeof *wv * na))) {
                if ((rc = contribute(&s, &was, -1)) || (rc = contribute(&s, &u, 1))) bad = 1;
            }
        }
        if (bad) {
            if (!rc) rc = bad == -2 ? nomem(err) : shoal_err_set(err, SHOAL_ECORRUPT, -1, -1, "view \"%s\": member %u does not decode", name, m);
            goto done;
        }
    }
    gsettle(&s);
    memcpy(out->n, s.n, sizeof out->n);
    memcpy(out->sx, s.sx, sizeof *s.sx * K * na);
    memcpy(out->sxx, s.sxx, sizeof *s.sxx * K * na);
    memcpy(out->sxy, s.sxy, sizeof *s.sxy * K * np);
    out->exposed = s.exposed, out->two_arms = s.two, out->unknown_arm = s.unknown;
    out->by_hash = s.by_hash, out->text = s.text, out->inexact = s.inexact;
    out->two_groups = s.twogrp, out->no_group = s.nogrp, out->groups_two_arms = s.gtwo;
done:
    if (cur) mdb_cursor_close(cur);
    shoal_free(u.val), shoal_free(u.nts), shoal_free(u.ev);
    shoal_free(s.sx), shoal_free(s.sxx), shoal_free(s.sxy);
    for (uint32_t i = 0; i < s.n_g; i++) shoal_free(s.g[i]);
    shoal_free(s.g), shoal_free(s.gdirty);
    return rc;
}
