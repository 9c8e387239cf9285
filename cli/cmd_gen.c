/* cli/cmd_gen.c — `shoal gen`: a synthetic community event stream, NDJSON or CSV on stdout.
 *
 * This is the data that every later test and benchmark runs on, so it is built to look
 * like a real brand community rather than uniform noise, and to be reproducible: the
 * same seed and options give byte-identical output on every machine (one PRNG stream
 * drawn in a fixed order; no wall clock, no locale, no hash-table iteration order).
 * It sits outside the pipeline: it only writes text that `shoal ingest` later reads.
 */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char shoal_cmd_gen_usage[] =
    "usage: shoal gen [options] > events.ndjson\n"
    "\n"
    "Writes a synthetic community event stream to standard output, one event per line,\n"
    "in time order except for a fraction of late events. Members join first, newcomers\n"
    "speak days later or never, activity is Zipf-like (a few heavy creators, many quiet\n"
    "members), arrivals grow then decline, some groups are zombie groups (many members,\n"
    "almost no interaction), and newcomers of the second half of the span are exposed to\n"
    "experiment \"welcome_ritual\" whose \"ritual\" arm posts more in its first 7 days.\n"
    "\n"
    "options:\n"
    "  --events N     events to generate, not counting --dup copies (default 100000)\n"
    "  --members N    members, at most N events (default events/33)\n"
    "  --groups N     groups (default members/300, at least 3)\n"
    "  --seed S       random seed (default 1): same seed and options, same bytes\n"
    "  --start DATE   first day, YYYY-MM-DD (default: the span ends on 2025-06-30)\n"
    "  --days N       days spanned (default 365)\n"
    "  --format F     ndjson (default) or csv (header row; an empty cell is an absent field)\n"
    "  --ts F         iso (\"2025-03-04T09:00:12.345Z\", default) or ms (epoch milliseconds)\n"
    "  --late F       fraction of events emitted out of time order (default 0.02)\n"
    "  --dup F        extra lines, as a fraction of --events, that repeat an earlier line\n"
    "                 exactly (same id), later in the stream (default 0)\n"
    "  --no-id        omit event ids\n"
    "  --lift F       plant a known effect instead of the default one: the \"ritual\" arm\n"
    "                 is drawn like \"control\", then each of its posts in the 7 days\n"
    "                 after its exposure gets F more on average (floor(F) copies, one\n"
    "                 more with chance F - floor(F)), so its mean posts in that window\n"
    "                 are (1 + F) times control's; the copies come on top of --events\n"
    "  --skew F       drop the exposure of that fraction of the \"ritual\" arm (a sample\n"
    "                 ratio mismatch, 0 to 1)\n"
    "  -h, --help     this text\n";

/* ---------------------------------------------------------------- vocabulary */

enum {
    T_JOIN, T_LEAVE, T_POST, T_COMMENT, T_REPLY, T_LIKE, T_ESSENCE, T_CHECKIN,
    T_POLL_VOTE, T_ACTIVITY_JOIN, T_TASK_DONE, T_REFERRAL, T_PURCHASE, T_EXPOSURE, N_TYPES
};

static const char *const type_name[N_TYPES] = {
    "join", "leave", "post", "comment", "reply", "like", "essence", "checkin",
    "poll_vote", "activity_join", "task_done", "referral", "purchase", "exposure"
};

/* Mix of activity types per member profile, in per mille, indexed like type_name
 * (join, leave and exposure are never drawn). Hand-set from the shape of community
 * dashboards: ordinary members mostly like and check in, creators post, reply and get
 * featured, members of zombie groups barely speak. */
enum { P_REGULAR, P_CREATOR, P_ZOMBIE, N_PROFILES };
static const uint16_t profile_mix[N_PROFILES][N_TYPES] = {
    /*           join leave post comm reply like ess chk poll act task ref buy exp */
    [P_REGULAR] = {0, 0,  60, 120,  80, 340,  3, 220, 50, 40, 60,  7, 20, 0},
    [P_CREATOR] = {0, 0, 280, 160, 180, 140, 40, 100, 20, 30, 30, 15,  5, 0},
    [P_ZOMBIE]  = {0, 0,   5,   5,   0, 500,  0, 400, 60, 10, 15,  0,  5, 0},
};

/* Relative activity per hour of the day, UTC: the evening peak of a community at
 * UTC+8 falls around 12:00-15:00 UTC. */
static const uint16_t hour_mix[24] = {
    2, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 9, 9, 8, 6, 5, 4, 4, 3, 3, 3, 2
};

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL

/* ---------------------------------------------------------------- PRNG */

/* xoshiro256** seeded through splitmix64 (Blackman and Vigna): fast, and its output
 * depends only on the seed, which is what determinism needs. */
typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static inline double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform in [0, n); n > 0. Multiply-shift (Lemire) on 32 bits: its bias, below n / 2^32,
 * is far under anything the data is used to measure. Wider n is never needed (at most
 * a billion members or events, a day in ms) but stays correct. */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
    if (n <= 0xffffffffu)
        return ((rng_next(r) >> 32) * n) >> 32;
    return rng_next(r) % n;
}

static inline int rng_chance(rng *r, double p) { return rng_unit(r) < p; }

static double rng_normal(rng *r)
{
    double u = 1.0 - rng_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double rng_exp(rng *r) { return -log(1.0 - rng_unit(r)); }

/* Log-normal with the given median and shape. */
static double rng_lognormal(rng *r, double median, double sigma)
{
    return median * exp(sigma * rng_normal(r));
}

/* Index drawn from a table of integer weights summing to total. */
static int rng_pick(rng *r, const uint16_t *w, int n, unsigned total)
{
    unsigned x = (unsigned)rng_below(r, total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---------------------------------------------------------------- model */

typedef struct opts {
    uint64_t n_events, n_members, n_groups, seed;
    int64_t start_ms;
    int64_t n_days;
    int csv, ts_ms, no_id;
    double late, dup;
    double lift, skew;   /* --lift (lift < 0: the default effect), --skew */
} opts;

enum { M_CREATOR = 1, M_ZOMBIE = 2, M_EXPOSED = 4, M_RITUAL = 8, M_LEAVES = 16, M_POSTS = 32 };

typedef struct member {
    int64_t join, end;     /* active in [join, end); leaves at end when M_LEAVES */
    int64_t first_post;    /* when M_POSTS */
    int64_t exposure;      /* when M_EXPOSED */
    double w;              /* activity per active day, relative */
    uint32_t n_act;        /* activity events to draw (join/exposure/leave not counted) */
    uint32_t group;        /* home group index */
    uint32_t flags;
} member;

enum { E_ORIGINAL = 1, E_RITUAL = 2, E_DUP = 4 };

/* One generated event. aux: words (post), member index (reply, referral), cents
 * (purchase). id: the emitted id, or for an E_DUP copy the index of its original. */
typedef struct ev {
    int64_t ts;
    uint32_t member, group, aux, id;
    uint8_t type, flags;
} ev;

#define NO_GROUP UINT32_MAX

typedef struct gen {
    opts o;
    rng r;
    int64_t end_ms;
    member *m;
    double *group_cum;     /* cumulative member-assignment weight per group */
    uint32_t *group_name;  /* group index -> number in its name "g-N" */
    uint8_t *group_zombie;
    ev *e;
    uint64_t n_e, cap_e;
    uint64_t *key;         /* (emit time << idx_bits) | event index, sorted to emit */
    int idx_bits;
} gen;

static uint32_t pick_cum(const double *cum, uint64_t n, double x)
{
    uint64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint32_t)lo;
}

/* Number of members who joined at or before t (members are indexed in join order). */
static uint64_t joined_by(const gen *g, int64_t t)
{
    uint64_t lo = 0, hi = g->o.n_members;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (g->m[mid].join <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Groups: sizes fall off with rank (a few big groups, a long tail of small ones), and
 * every fifteenth rank from the third is a zombie group. Names are shuffled so that
 * "g-1" is not simply the biggest. */
static void plan_groups(gen *g)
{
    uint64_t n = g->o.n_groups;
    double acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        acc += 1.0 / pow((double)i + 1.0, 0.9);
        g->group_cum[i] = acc;
        g->group_zombie[i] = (i % 15 == 2);
        g->group_name[i] = (uint32_t)i + 1;
    }
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = rng_below(&g->r, i);
        uint32_t t = g->group_name[i - 1];
        g->group_name[i - 1] = g->group_name[j];
        g->group_name[j] = t;
    }
}


/* Join times follow a growth-then-decline curve over the span (a launch, a peak around
 * the first third, a slow decline), lighter on weekends, with three campaign days that
 * bring three times the usual arrivals. The curve is a per-day table; sorted uniforms
 * (cumulated exponential spacings, normalised) mapped through its inverse CDF give
 * join times already in order, so members are indexed by join order without a sort.
 * Nobody joins in the last minute, so that every member's later events fit the span. */
static int plan_joins(gen *g)
{
    int64_t days = g->o.n_days;
    uint64_t n = g->o.n_members;
    double *cdf = shoal_malloc(sizeof(double) * (size_t)(days + 1));
    if (!cdf)
        return -1;
    int64_t spike[3];
    for (int i = 0; i < 3; i++)
        spike[i] = (int64_t)rng_below(&g->r, (uint64_t)days);
    cdf[0] = 0;
    for (int64_t d = 0; d < days; d++) {
        double x = ((double)d + 0.5) / (double)days;
        double f = pow(x, 1.3) * pow(1.0 - x, 2.2) * 12.0 + 0.25;
        /* 1970-01-01 was a Thursday, so day numbers 2 and 3 mod 7 are Saturday and Sunday. */
        int64_t wd = ((g->o.start_ms / DAY_MS + d) % 7 + 7) % 7;
        if (wd == 2 || wd == 3)
            f *= 0.8;
        for (int i = 0; i < 3; i++)
            if (spike[i] == d)
                f *= 3.0;
        cdf[d + 1] = cdf[d] + f;
    }
    /* The running sums of n+1 exponentials, divided by the last, are n sorted uniforms. */
    double acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        acc += rng_exp(&g->r);
        g->m[i].w = acc;
    }
    acc += rng_exp(&g->r);
    int64_t last = g->end_ms - MINUTE_MS;
    int64_t d = 0;
    for (uint64_t i = 0; i < n; i++) {
        double x = g->m[i].w / acc * cdf[days];
        while (d < days - 1 && cdf[d + 1] <= x)
            d++;
        double frac = (x - cdf[d]) / (cdf[d + 1] - cdf[d]);
        if (frac < 0)
            frac = 0;
        if (frac > 1)
            frac = 1;
        int64_t t = g->o.start_ms + d * DAY_MS + (int64_t)(frac * (double)DAY_MS);
        g->m[i].join = t < last ? t : last;
    }
    shoal_free(cdf);
    return 0;
}

/* Per member: how active (a capped Pareto weight, the source of the Zipf-like skew),
 * which group, how long they stay, whether and when they first post, and their
 * experiment arm. The fixed events (join, exposure, leave) come out of the budget
 * first; the rest is shared in proportion to weight times active days, so a heavy
 * member who joins on the last day does not cram a year of posts into it. */
static int plan_members(gen *g)
{
    uint64_t n = g->o.n_members, n_groups = g->o.n_groups;
    int64_t exp_start = g->o.start_ms + (g->end_ms - g->o.start_ms) / 2;
    uint64_t fixed = 0;

    for (uint64_t i = 0; i < n; i++) {
        member *m = &g->m[i];
        m->flags = 0;
        /* Pareto with alpha 1.3: with the creators' post-heavy mix, the top 1% of members
         * write about 80% of the posts (the "90-9-1" shape of online communities). Capped
         * so that the heaviest member stays human: some 50 events a day at 1M events. */
        double w = pow(1.0 - rng_unit(&g->r), -1.0 / 1.3);
        if (w > 1000)
            w = 1000;
        if (w >= 20)
            m->flags |= M_CREATOR;
        if (rng_chance(&g->r, 0.30))   /* silent members: join, then (almost) nothing */
            w *= 0.03;
        m->group = pick_cum(g->group_cum, n_groups, rng_unit(&g->r) * g->group_cum[n_groups - 1]);
        if (g->group_zombie[m->group]) {
            m->flags |= M_ZOMBIE;
            m->flags &= ~(uint32_t)M_CREATOR;
            w *= 0.01;
        }
        m->w = w;

        /* Heavy members stay longer: mean stay 75 days for w = 1, 360 days for w >= 20. */
        double mean_days = 60.0 + 15.0 * (w < 20 ? w : 20);
        int64_t stay = (int64_t)(rng_exp(&g->r) * mean_days * (double)DAY_MS);
        int64_t end = m->join + stay;
        if (end < g->end_ms) {
            if (rng_chance(&g->r, 0.45))
                m->flags |= M_LEAVES;
        } else {
            end = g->end_ms;
        }
        if (end < m->join + 2000)
            end = m->join + 2000;
        m->end = end;

        if (m->join >= exp_start) {
            m->flags |= M_EXPOSED;
            if (rng_chance(&g->r, 0.5))
                m->flags |= M_RITUAL;
            /* --skew: some of the ritual arm's exposures are lost */
            if (g->o.skew > 0 && (m->flags & M_RITUAL) && rng_chance(&g->r, g->o.skew))
                m->flags &= ~(uint32_t)(M_EXPOSED | M_RITUAL);
            m->exposure = m->join + MINUTE_MS + (int64_t)rng_below(&g->r, 4 * HOUR_MS);
            if (m->exposure >= g->end_ms)
                m->exposure = g->end_ms - 1;
        }

        /* Time to first post: log-normal, median 4 days (creators 17 hours); many never
         * post. The ritual arm speaks sooner and more often: that is the effect an A/B
         * evaluation should find. */
        double never = (m->flags & M_CREATOR) ? 0.03 : (m->flags & M_ZOMBIE) ? 0.9 : 0.45;
        double median = (m->flags & M_CREATOR) ? 0.7 : 4.0;
        if ((m->flags & M_RITUAL) && g->o.lift < 0) {
            never -= 0.04;
            median *= 0.8;
        }
        if (!rng_chance(&g->r, never)) {
            int64_t delay = (int64_t)(rng_lognormal(&g->r, median, 1.0) * (double)DAY_MS);
            if (delay < MINUTE_MS)
                delay = MINUTE_MS;
            if (m->join + delay < m->end) {
                m->flags |= M_POSTS;
                m->first_post = m->join + delay;
            }
        }
        fixed += 1 + ((m->flags & M_EXPOSED) != 0) + ((m->flags & M_LEAVES) != 0);
    }

    /* A tiny --events leaves no room for the optional fixed events: drop leaves, then
     * exposures, from the last member backwards. */
    for (uint64_t i = n; i-- > 0 && fixed > g->o.n_events;)
        if (g->m[i].flags & M_LEAVES) {
            g->m[i].flags &= ~(uint32_t)M_LEAVES;
            fixed--;
        }
    for (uint64_t i = n; i-- > 0 && fixed > g->o.n_events;)
        if (g->m[i].flags & M_EXPOSED) {
            g->m[i].flags &= ~(uint32_t)(M_EXPOSED | M_RITUAL);
            fixed--;
        }

    uint64_t budget = g->o.n_events - fixed, given = 0;
    double *cum = shoal_malloc(sizeof(double) * (size_t)n);
    if (!cum)
        return -1;
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        sum += g->m[i].w * (double)(g->m[i].end - g->m[i].join) / (double)DAY_MS;
        cum[i] = sum;
    }
    for (uint64_t i = 0; i < n; i++) {
        double share = cum[i] - (i ? cum[i - 1] : 0);
        uint64_t c = sum > 0 ? (uint64_t)((double)budget * share / sum) : 0;
        if (c > UINT32_MAX)
            c = UINT32_MAX;
        if (given + c > budget)
            c = budget - given;
        g->m[i].n_act = (uint32_t)c;
        given += c;
    }
    /* The rounding remainder (at most one per member) goes to members drawn by weight. */
    while (given < budget) {
        uint64_t i = sum > 0 ? pick_cum(cum, n, rng_unit(&g->r) * sum) : rng_below(&g->r, n);
        if (g->m[i].n_act < UINT32_MAX) {
            g->m[i].n_act++;
            given++;
        }
    }
    shoal_free(cum);
    return 0;
}

static ev *push(gen *g, int64_t ts, uint32_t member, int type)
{
    assert(g->n_e < g->cap_e);
    ev *e = &g->e[g->n_e++];
    e->ts = ts;
    e->member = member;
    e->group = g->m[member].group;
    e->aux = 0;
    e->id = 0;
    e->type = (uint8_t)type;
    e->flags = 0;
    return e;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The addressee of a reply: a third answer one of the newest members (who answers the
 * newcomers is a question operators ask), the rest the heavier of two members drawn
 * uniformly among those who had joined (attention flows to the active). */
static uint32_t pick_to(gen *g, uint32_t self, int64_t t)
{
    uint64_t k = joined_by(g, t);
    if (k <= 1)
        return self;
    uint32_t to;
    if (rng_chance(&g->r, 0.35)) {
        to = (uint32_t)(k - 1 - rng_below(&g->r, k / 50 + 1));
    } else {
        uint32_t a = (uint32_t)rng_below(&g->r, k), b = (uint32_t)rng_below(&g->r, k);
        to = g->m[a].w >= g->m[b].w ? a : b;
    }
    if (to == self)
        to = self == 0 ? 1 : self - 1;
    return to;
}

/* The member a referral brought in: someone who joins within the next two weeks when
 * there is one, otherwise anyone (the join was not tracked). */
static uint32_t pick_referred(gen *g, uint32_t self, int64_t t)
{
    uint64_t lo = joined_by(g, t), hi = joined_by(g, t + 14 * DAY_MS);
    if (hi > lo)
        return (uint32_t)(lo + rng_below(&g->r, hi - lo));
    return pick_to(g, self, t);
}

static void fill_props(gen *g, ev *e, const member *m)
{
    rng *r = &g->r;
    switch (e->type) {
    case T_POST: {
        int creator = (m->flags & M_CREATOR) != 0;
        if (rng_chance(r, creator ? 0.7 : 0.3))
            e->flags |= E_ORIGINAL;
        double words = rng_lognormal(r, (e->flags & E_ORIGINAL) ? 300 : 80, 1.0) * (creator ? 1.5 : 1.0);
        e->aux = words < 3 ? 3 : words > 20000 ? 20000 : (uint32_t)words;
        break;
    }
    case T_REPLY:
        e->aux = pick_to(g, e->member, e->ts);
        break;
    case T_REFERRAL:
        e->aux = pick_referred(g, e->member, e->ts);
        break;
    case T_PURCHASE: {
        double cents = rng_lognormal(r, 4900, 0.9);
        e->aux = cents < 99 ? 99 : cents > 1e7 ? 10000000u : (uint32_t)cents;
        e->group = NO_GROUP;
        break;
    }
    default:
        break;
    }
}

/* --lift: after a ritual member's post at t in the 7 days after their exposure, its
 * planted copies (a minute later at most, still inside the window). */
static void plant(gen *g, const member *m, uint32_t i, int64_t t)
{
    if (g->o.lift <= 0 || !(m->flags & M_RITUAL) || t < m->exposure || t >= m->exposure + 7 * DAY_MS)
        return;
    double whole = floor(g->o.lift);
    int n = (int)whole + rng_chance(&g->r, g->o.lift - whole);
    for (int k = 0; k < n; k++) {
        int64_t t2 = t + 1 + (int64_t)rng_below(&g->r, MINUTE_MS);
        if (t2 >= m->exposure + 7 * DAY_MS)
            t2 = t;
        fill_props(g, push(g, t2, i, T_POST), m);
    }
}

/* All events of one member: join, exposure, leave, the first post, then the activity,
 * front-loaded (newcomers are keenest) and shaped by the hour-of-day curve. */
static void gen_member(gen *g, uint32_t i, unsigned hour_total)
{
    member *m = &g->m[i];
    rng *r = &g->r;
    push(g, m->join, i, T_JOIN);
    if (m->flags & M_EXPOSED) {
        ev *e = push(g, m->exposure, i, T_EXPOSURE);
        if (m->flags & M_RITUAL)
            e->flags |= E_RITUAL;
    }
    if (m->flags & M_LEAVES)
        push(g, m->end, i, T_LEAVE);
    uint32_t n = m->n_act;
    if (n == 0)
        return;
    if (m->flags & M_POSTS) {
        fill_props(g, push(g, m->first_post, i, T_POST), m);
        plant(g, m, i, m->first_post);
        n--;
    }
    int prof = (m->flags & M_ZOMBIE) ? P_ZOMBIE : (m->flags & M_CREATOR) ? P_CREATOR : P_REGULAR;
    int64_t lo = m->join + 1000, hi = m->end;
    int64_t ritual_end = m->exposure + 7 * DAY_MS;
    for (uint32_t k = 0; k < n; k++) {
        double u = rng_unit(r);
        int64_t t = lo + (int64_t)((double)(hi - lo) * u * sqrt(u));
        int64_t t2 = floor_div(t, DAY_MS) * DAY_MS +
                     rng_pick(r, hour_mix, 24, hour_total) * HOUR_MS + (int64_t)rng_below(r, HOUR_MS);
        if (t2 >= lo && t2 < hi)
            t = t2;
        int type = rng_pick(r, profile_mix[prof], N_TYPES, 1000);
        int may_post = (m->flags & M_POSTS) && t >= m->first_post;
        if (type == T_POST && !may_post)
            type = T_LIKE;
        else if ((m->flags & M_RITUAL) && g->o.lift < 0 && may_post && t < ritual_end &&
                 (type == T_LIKE || type == T_CHECKIN || type == T_POLL_VOTE || type == T_TASK_DONE) &&
                 rng_chance(r, 0.3))
            type = T_POST;
        ev *e = push(g, t, i, type);
        if (type != T_PURCHASE && rng_chance(r, 0.3)) {
            uint32_t grp = pick_cum(g->group_cum, g->o.n_groups,
                                    rng_unit(r) * g->group_cum[g->o.n_groups - 1]);
            if (!g->group_zombie[grp])
                e->group = grp;
        }
        fill_props(g, e, m);
        if (type == T_POST)
            plant(g, m, i, t);
    }
}

static int bits_for(uint64_t v)
{
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Emission order. A late event is emitted between one minute and three days (log-
 * uniform) after its time; a duplicate line between one second and a day after its
 * original. Joins are never late, so a member's join is also their first line. The
 * keys pack (emit time - start) above the event index; sorting on the time bits alone
 * with a stable LSD radix sort keeps equal times in generation order. */
static int order_events(gen *g, uint64_t n_dup)
{
    uint64_t n = g->o.n_events, total = n + n_dup;
    int64_t max_key = (g->end_ms - g->o.start_ms) + 3 * DAY_MS + DAY_MS + 1000;
    int ib = bits_for(total), kb = bits_for((uint64_t)max_key);
    if (ib + kb > 64)
        return -2;
    g->idx_bits = ib;
    g->key = shoal_malloc(sizeof(uint64_t) * (size_t)(total ? total : 1));
    uint64_t *tmp = shoal_malloc(sizeof(uint64_t) * (size_t)(total ? total : 1));
    if (!g->key || !tmp) {
        shoal_free(tmp);
        return -1;
    }
    double log_span = log(3.0 * DAY_MS / MINUTE_MS);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = (uint64_t)(g->e[i].ts - g->o.start_ms);
        if (g->e[i].type != T_JOIN && rng_chance(&g->r, g->o.late))
            k += (uint64_t)((double)MINUTE_MS * exp(rng_unit(&g->r) * log_span));
        g->key[i] = (k << ib) | i;
    }
    for (uint64_t j = 0; j < n_dup; j++) {
        uint64_t src = rng_below(&g->r, n), at = n + j;
        g->e[at] = g->e[src];
        g->e[at].flags |= E_DUP;
        g->e[at].id = (uint32_t)src;
        uint64_t k = (g->key[src] >> ib) + 1000 + rng_below(&g->r, DAY_MS);
        g->key[at] = (k << ib) | at;
    }
    g->n_e = total;

    /* 11-bit digits: 2048 counters stay in L1 (the usual choice for 64-bit keys). */
    enum { DIGIT = 11, RADIX = 1 << DIGIT };
    static_assert(RADIX == 2048, "digit size");
    uint64_t *src = g->key, *dst = tmp;
    for (int shift = ib; shift < ib + kb; shift += DIGIT) {
        uint64_t count[RADIX] = {0};
        for (uint64_t i = 0; i < total; i++)
            count[(src[i] >> shift) & (RADIX - 1)]++;
        uint64_t sum = 0;
        for (int d = 0; d < RADIX; d++) {
            uint64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint64_t i = 0; i < total; i++)
            dst[count[(src[i] >> shift) & (RADIX - 1)]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    g->key = src;
    shoal_free(dst);
    return 0;
}

/* ---------------------------------------------------------------- output */

typedef struct out {
    char *buf;
    size_t len, cap;
    int err;           /* errno of the first failed write */
    int64_t day;       /* the day whose "YYYY-MM-DDT" is cached in date */
    char date[11];
} out;

static void out_flush(out *o)
{
    if (o->len && !o->err && fwrite(o->buf, 1, o->len, stdout) != o->len)
        o->err = errno ? errno : EIO;
    o->len = 0;
}

static inline void put(out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void put_u64(out *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        o->buf[o->len++] = tmp[--n];
}

static inline void put_i64(out *o, int64_t v)
{
    if (v < 0) {
        o->buf[o->len++] = '-';
        put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

static inline void put_2(out *o, unsigned v)
{
    o->buf[o->len++] = (char)('0' + v / 10);
    o->buf[o->len++] = (char)('0' + v % 10);
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian). */
static void civil_from_days(int64_t z, int *y, unsigned *mo, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *mo = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*mo <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void put_ts(out *o, int64_t ts, int ms_format)
{
    if (ms_format) {
        put_i64(o, ts);
        return;
    }
    int64_t day = floor_div(ts, DAY_MS);
    if (day != o->day) {
        int y;
        unsigned mo, d;
        civil_from_days(day, &y, &mo, &d);
        /* Years are 1900..2199 (the span is checked), so always four digits. */
        char *p = o->date;
        p[0] = (char)('0' + y / 1000);
        p[1] = (char)('0' + y / 100 % 10);
        p[2] = (char)('0' + y / 10 % 10);
        p[3] = (char)('0' + y % 10);
        p[4] = '-';
        p[5] = (char)('0' + mo / 10);
        p[6] = (char)('0' + mo % 10);
        p[7] = '-';
        p[8] = (char)('0' + d / 10);
        p[9] = (char)('0' + d % 10);
        o->day = day;
    }
    unsigned ms = (unsigned)(ts - day * DAY_MS);
    o->buf[o->len++] = '"';
    put(o, o->date, 10);
    o->buf[o->len++] = 'T';
    put_2(o, ms / 3600000);
    o->buf[o->len++] = ':';
    put_2(o, ms / 60000 % 60);
    o->buf[o->len++] = ':';
    put_2(o, ms / 1000 % 60);
    o->buf[o->len++] = '.';
    o->buf[o->len++] = (char)('0' + ms / 100 % 10);
    put_2(o, ms % 100);
    PUT_LIT(o, "Z\"");
}

static void put_cents(out *o, uint32_t cents)
{
    put_u64(o, cents / 100);
    o->buf[o->len++] = '.';
    put_2(o, cents % 100);
}

static void put_name(out *o, char prefix, uint64_t n)
{
    o->buf[o->len++] = prefix;
    o->buf[o->len++] = '-';
    put_u64(o, n);
}

static void put_ndjson(out *o, const gen *g, const ev *e, uint32_t id)
{
    if (g->o.no_id) {
        PUT_LIT(o, "{\"ts\":");
    } else {
        PUT_LIT(o, "{\"id\":\"");
        put_name(o, 'e', id);
        PUT_LIT(o, "\",\"ts\":");
    }
    put_ts(o, e->ts, g->o.ts_ms);
    PUT_LIT(o, ",\"member\":\"");
    put_name(o, 'm', (uint64_t)e->member + 1);
    PUT_LIT(o, "\",\"type\":\"");
    put(o, type_name[e->type], strlen(type_name[e->type]));
    o->buf[o->len++] = '"';
    if (e->group != NO_GROUP) {
        PUT_LIT(o, ",\"group\":\"");
        put_name(o, 'g', g->group_name[e->group]);
        o->buf[o->len++] = '"';
    }
    switch (e->type) {
    case T_POST:
        if (e->flags & E_ORIGINAL)
            PUT_LIT(o, ",\"original\":true,\"words\":");
        else
            PUT_LIT(o, ",\"original\":false,\"words\":");
        put_u64(o, e->aux);
        break;
    case T_REPLY:
    case T_REFERRAL:
        PUT_LIT(o, ",\"to\":\"");
        put_name(o, 'm', (uint64_t)e->aux + 1);
        o->buf[o->len++] = '"';
        break;
    case T_PURCHASE:
        PUT_LIT(o, ",\"amount\":");
        put_cents(o, e->aux);
        break;
    case T_EXPOSURE:
        if (e->flags & E_RITUAL)
            PUT_LIT(o, ",\"experiment\":\"welcome_ritual\",\"arm\":\"ritual\"");
        else
            PUT_LIT(o, ",\"experiment\":\"welcome_ritual\",\"arm\":\"control\"");
        break;
    default:
        break;
    }
    PUT_LIT(o, "}\n");
}

/* CSV columns: [id,]ts,member,type,group,original,words,to,amount,experiment,arm. */
static void put_csv(out *o, const gen *g, const ev *e, uint32_t id)
{
    if (!g->o.no_id) {
        put_name(o, 'e', id);
        o->buf[o->len++] = ',';
    }
    if (g->o.ts_ms) {
        put_i64(o, e->ts);
    } else {
        size_t at = o->len;   /* written quoted, then the quotes are dropped */
        put_ts(o, e->ts, 0);
        memmove(o->buf + at, o->buf + at + 1, o->len - at - 2);
        o->len -= 2;
    }
    o->buf[o->len++] = ',';
    put_name(o, 'm', (uint64_t)e->member + 1);
    o->buf[o->len++] = ',';
    put(o, type_name[e->type], strlen(type_name[e->type]));
    o->buf[o->len++] = ',';
    if (e->group != NO_GROUP)
        put_name(o, 'g', g->group_name[e->group]);
    switch (e->type) {
    case T_POST:
        if (e->flags & E_ORIGINAL)
            PUT_LIT(o, ",true,");
        else
            PUT_LIT(o, ",false,");
        put_u64(o, e->aux);
        PUT_LIT(o, ",,,,\n");
        break;
    case T_REPLY:
    case T_REFERRAL:
        PUT_LIT(o, ",,,");
        put_name(o, 'm', (uint64_t)e->aux + 1);
        PUT_LIT(o, ",,,\n");
        break;
    case T_PURCHASE:
        PUT_LIT(o, ",,,,");
        put_cents(o, e->aux);
        PUT_LIT(o, ",,\n");
        break;
    case T_EXPOSURE:
        if (e->flags & E_RITUAL)
            PUT_LIT(o, ",,,,,welcome_ritual,ritual\n");
        else
            PUT_LIT(o, ",,,,,welcome_ritual,control\n");
        break;
    default:
        PUT_LIT(o, ",,,,,,\n");
        break;
    }
}

/* Largest line either format writes, with room to spare: the flush threshold. */
#define MAX_LINE 512

static int emit(gen *g)
{
    out o = {0};
    o.cap = (size_t)1 << 20;
    o.buf = shoal_malloc(o.cap + MAX_LINE);
    if (!o.buf)
        return ENOMEM;
    o.day = INT64_MIN;
    if (g->o.csv) {
        if (!g->o.no_id)
            PUT_LIT(&o, "id,");
        PUT_LIT(&o, "ts,member,type,group,original,words,to,amount,experiment,arm\n");
    }
    uint64_t mask = ((uint64_t)1 << g->idx_bits) - 1;
    uint32_t next_id = 1;
    /* Events sit in member order and leave in time order: every line is a cache and
     * TLB miss unless fetched ahead. Fetching 16 lines ahead took 10M events from
     * 4.9 s to 2.4 s (to /dev/null). */
    enum { AHEAD = 16 };
    for (uint64_t s = 0; s < g->n_e && !o.err; s++) {
        if (s + AHEAD < g->n_e)
            __builtin_prefetch(&g->e[g->key[s + AHEAD] & mask]);
        ev *e = &g->e[g->key[s] & mask];
        uint32_t id;
        if (e->flags & E_DUP)
            id = g->e[e->id].id;
        else
            id = e->id = next_id++;
        if (g->o.csv)
            put_csv(&o, g, e, id);
        else
            put_ndjson(&o, g, e, id);
        if (o.len >= o.cap)
            out_flush(&o);
    }
    out_flush(&o);
    if (!o.err && fflush(stdout) != 0)
        o.err = errno ? errno : EIO;
    shoal_free(o.buf);
    return o.err;
}

/* ---------------------------------------------------------------- options */

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "shoal gen: error: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(see: shoal gen --help)\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_frac(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0.0 && v <= 1.0))
        return -1;
    *out = v;
    return 0;
}

static int parse_date(const char *s, int64_t *out_ms)
{
    int y;
    unsigned m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        return -1;
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return -1;
    *out_ms = days_from_civil(y, m, d) * DAY_MS;
    return 0;
}

/* Limits: ids and member indexes are 32-bit; a billion events would need 32 GB anyway. */
#define MAX_EVENTS 1000000000ULL
#define MAX_DAYS 36500ULL

static int parse_opts(int argc, char **argv, opts *o)
{
    int have_members = 0, have_groups = 0, have_start = 0;
    uint64_t days = 365;
    memset(o, 0, sizeof *o);
    o->n_events = 100000;
    o->seed = 1;
    o->late = 0.02;
    o->lift = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        char name[32];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(shoal_cmd_gen_usage, stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0)
            return usage_error("unexpected argument \"%s\"%s", a, "");
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= sizeof name)
            return usage_error("unknown option \"%s\"%s", a, "");
        memcpy(name, a, n);
        name[n] = 0;
        if (strcmp(name, "--no-id") == 0) {
            if (eq)
                return usage_error("option \"%s\" takes no value%s", name, "");
            o->no_id = 1;
            continue;
        }
        static const char *const with_value[] = {
            "--events", "--members", "--groups", "--seed", "--start", "--days",
            "--format", "--ts", "--late", "--dup", "--lift", "--skew", NULL
        };
        int known = 0;
        for (int k = 0; with_value[k]; k++)
            known |= strcmp(name, with_value[k]) == 0;
        if (!known)
            return usage_error("unknown option \"%s\"%s", name, "");
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return usage_error("option \"%s\" needs a value%s", name, "");

        int bad = 0;
        if (strcmp(name, "--events") == 0)
            bad = parse_u64(val, MAX_EVENTS, &o->n_events);
        else if (strcmp(name, "--members") == 0)
            bad = parse_u64(val, MAX_EVENTS, &o->n_members), have_members = 1;
        else if (strcmp(name, "--groups") == 0)
            bad = parse_u64(val, 10000000, &o->n_groups) || o->n_groups == 0, have_groups = 1;
        else if (strcmp(name, "--seed") == 0)
            bad = parse_u64(val, UINT64_MAX, &o->seed);
        else if (strcmp(name, "--start") == 0)
            bad = parse_date(val, &o->start_ms), have_start = 1;
        else if (strcmp(name, "--days") == 0)
            bad = parse_u64(val, MAX_DAYS, &days) || days == 0;
        else if (strcmp(name, "--format") == 0) {
            if (strcmp(val, "ndjson") == 0)
                o->csv = 0;
            else if (strcmp(val, "csv") == 0)
                o->csv = 1;
            else
                bad = 1;
        } else if (strcmp(name, "--ts") == 0) {
            if (strcmp(val, "iso") == 0)
                o->ts_ms = 0;
            else if (strcmp(val, "ms") == 0)
                o->ts_ms = 1;
            else
                bad = 1;
        } else if (strcmp(name, "--late") == 0)
            bad = parse_frac(val, &o->late);
        else if (strcmp(name, "--dup") == 0)
            bad = parse_frac(val, &o->dup);
        else if (strcmp(name, "--skew") == 0)
            bad = parse_frac(val, &o->skew);
        else if (strcmp(name, "--lift") == 0) {
            char *end;
            errno = 0;
            o->lift = strtod(val, &end);
            bad = errno || !*val || *end || !(o->lift >= 0 && o->lift <= 10) ? -1 : 0;
        }
        if (bad)
            return usage_error("invalid value for %s: \"%s\"", name, val);
    }
    o->n_days = (int64_t)days;
    if (!have_start)
        o->start_ms = days_from_civil(2025, 7, 1) * DAY_MS - o->n_days * DAY_MS;
    if (o->start_ms < SHOAL_TS_MIN || o->start_ms + o->n_days * DAY_MS + 5 * DAY_MS > SHOAL_TS_MAX)
        return usage_error("the span must lie between 1900-01-01 and 2199-12-26%s%s", "", "");
    if (!have_members) {
        o->n_members = o->n_events / 33;
        if (o->n_members == 0 && o->n_events > 0)
            o->n_members = 1;
    } else if (o->n_members > o->n_events) {
        return usage_error("--members cannot exceed --events (every member has a join event)%s%s", "", "");
    } else if (o->n_members == 0 && o->n_events > 0) {
        return usage_error("--members must be at least 1%s%s", "", "");
    }
    if (!have_groups) {
        o->n_groups = o->n_members / 300;
        if (o->n_groups < 3)
            o->n_groups = 3;
    }
    return 0;
}

/* ---------------------------------------------------------------- command */

int shoal_cmd_gen(int argc, char **argv)
{
    gen g;
    memset(&g, 0, sizeof g);
    int rc = parse_opts(argc, argv, &g.o);
    if (rc)
        return rc == 1 ? 0 : rc;
    int status = 1;
    uint64_t n_dup = (uint64_t)((double)g.o.n_events * g.o.dup);
    if (g.o.n_events == 0) {
        /* Nothing to generate; a CSV file still gets its header. */
        status = emit(&g) ? 1 : 0;
        goto done;
    }
    rng_seed(&g.r, g.o.seed);
    g.end_ms = g.o.start_ms + g.o.n_days * DAY_MS;
    g.cap_e = g.o.n_events + n_dup;
    if (g.o.lift > 0)   /* at most ceil(lift) planted copies a post */
        g.cap_e += g.o.n_events * (uint64_t)ceil(g.o.lift);
    g.m = shoal_malloc(sizeof(member) * (size_t)g.o.n_members);
    g.group_cum = shoal_malloc(sizeof(double) * (size_t)g.o.n_groups);
    g.group_name = shoal_malloc(sizeof(uint32_t) * (size_t)g.o.n_groups);
    g.group_zombie = shoal_malloc((size_t)g.o.n_groups);
    g.e = shoal_malloc(sizeof(ev) * (size_t)g.cap_e);
    if (!g.m || !g.group_cum || !g.group_name || !g.group_zombie || !g.e)
        goto nomem;
    plan_groups(&g);
    if (plan_joins(&g) || plan_members(&g))
        goto nomem;
    unsigned hour_total = 0;
    for (int h = 0; h < 24; h++)
        hour_total += hour_mix[h];
    for (uint64_t i = 0; i < g.o.n_members; i++)
        gen_member(&g, (uint32_t)i, hour_total);
    if (g.o.lift > 0)   /* the planted copies count from here on */
        g.o.n_events = g.n_e;
    assert(g.n_e == g.o.n_events);
    rc = order_events(&g, n_dup);
    if (rc == -1)
        goto nomem;
    if (rc == -2) {
        fprintf(stderr, "shoal gen: error: too many events for so long a span (sort key exceeds 64 bits)\n");
        status = 2;
        goto done;
    }
    rc = emit(&g);
    if (rc == ENOMEM)
        goto nomem;
    if (rc) {
        fprintf(stderr, "shoal gen: error: cannot write: %s\n", strerror(rc));
        goto done;
    }
    status = 0;
    goto done;
nomem:
    fprintf(stderr, "shoal gen: error: out of memory for %llu events\n",
            (unsigned long long)(g.o.n_events + n_dup));
done:
    shoal_free(g.m);
    shoal_free(g.group_cum);
    shoal_free(g.group_name);
    shoal_free(g.group_zombie);
    shoal_free(g.e);
    shoal_free(g.key);
    return status;
}
