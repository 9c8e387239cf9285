/* fuzz_query_views.c — libFuzzer harness for the read paths of views: every input is
 * run as a script over a small database with views defined (counters in UTC and in
 * Asia/Shanghai with sums of non-integral values, a score, a layer and tiers; a few
 * hundred events, late ones among them, some appended after the views were made), by
 * two sessions: one with views, one with SET VIEWS = off. Both must survive any bytes
 * without crashing, leaking or hanging, and when the input reads nothing that the two
 * paths may legitimately give differently (a score or rise, whose decayed sums are
 * added in other orders; EXPLAIN, SHOW and timing; the wall clock), they must give the
 * same return code and the same output, byte for byte: a difference aborts.
 *
 * The database is opened read-only once built, so that no input changes it for the
 * next (CREATE, DROP and SET DATABASE TIMEZONE fail alike on both paths); what an input
 * sets in the sessions (SET NOW, SET TIMEZONE, SET VIEWS) is set back after it.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shoal.h"

static shoal_db *db;
static shoal_session *on, *off;
static volatile int cancel_on, cancel_off;

typedef struct out {
    char *p;
    size_t n, cap;
    int over;   /* more than cap was written: not compared */
} out;
static out o_on, o_off;

static int sink(void *ctx, const char *buf, size_t n)
{
    out *o = ctx;
    if (o->over || o->n + n > o->cap) {
        o->over = 1;
        return 0;
    }
    memcpy(o->p + o->n, buf, n);
    o->n += n;
    return 0;
}

static shoal_str S(const char *s) { return (shoal_str){s, (uint32_t)strlen(s)}; }

static void run_or_die(shoal_session *s, const char *q)
{
    shoal_err err;
    shoal_err_clear(&err);
    if (shoal_query_run(s, q, strlen(q), &err)) {
        fprintf(stderr, "fuzz_query_views setup: %s: %s\n", q, err.msg);
        abort();
    }
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void append(int from, int to)
{
    static const char *const members[] = {"ann", "bo", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "jo", "kai", "lu"};
    static const char *const types[] = {"join", "post", "comment", "reply", "essence", "like", "checkin", "purchase"};
    static char amounts[400][16];
    shoal_event ev[400];
    shoal_prop props[400][4];
    memset(ev, 0, sizeof ev);
    int n = 0;
    for (int i = from; i < to; i++, n++) {
        /* 2025-01-01 on, about seven hours apart; one in eight three days late */
        int64_t ts = 1735689600000LL + (int64_t)i * 25000000 + rnd(3600000);
        if (i % 8 == 5) ts -= 3 * 86400000LL;
        ev[n].ts = ts;
        ev[n].member = S(members[rnd(12)]);
        const char *t = types[rnd(8)];
        ev[n].type = S(t);
        if (i % 3) ev[n].group = S(i % 2 ? "g1" : "g2");
        int np = 0;
        if (!strcmp(t, "post")) {
            props[n][np++] = (shoal_prop){S("original"), SHOAL_VAL_BOOL, {.b = rnd(2)}};
            props[n][np++] = (shoal_prop){S("words"), SHOAL_VAL_INT, {.i = (int64_t)rnd(900)}};
        } else if (!strcmp(t, "purchase")) {
            /* cents: non-integral sums, added per day by a view and in log order by a scan */
            props[n][np++] = (shoal_prop){S("amount"), SHOAL_VAL_NUM, {.d = (double)rnd(100000) / 100 + 0.01}};
            snprintf(amounts[n], sizeof amounts[n], "sku-%u", rnd(5));
            props[n][np++] = (shoal_prop){S("sku"), SHOAL_VAL_STR, {.s = S(amounts[n])}};
        } else if (!strcmp(t, "reply")) {
            props[n][np++] = (shoal_prop){S("to"), SHOAL_VAL_STR, {.s = S(members[rnd(12)])}};
        }
        ev[n].props = props[n];
        ev[n].n_props = (uint32_t)np;
    }
    if (shoal_append(db, ev, (size_t)n, NULL, NULL)) abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static char dir[] = "/tmp/shoal-fuzz-views-XXXXXX";
    if (!mkdtemp(dir)) abort();
    if (shoal_db_open(dir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL)) abort();
    append(0, 200);
    shoal_session *s;
    if (shoal_session_new(db, &s, NULL)) abort();
    run_or_die(s, "CREATE COUNTERS c AS count(post), count(post WHERE original), sum(post.words), count(*), "
                  "sum(purchase.amount), count(comment, reply), count(reply WHERE to IS NOT NULL);"
                  "SET TIMEZONE = 'Asia/Shanghai';"
                  "CREATE COUNTERS sh AS count(*), count(like), sum(purchase.amount), count(essence);"
                  "CREATE RETENTION rsh COHORT BY each(checkin) PER DAY ACTIVE ON post, like AT LEAST 2;"
                  "CREATE ACTIVITY ash ON post, comment WHERE group != 'g1' OR original;"
                  "SET TIMEZONE = 'UTC';"
                  "CREATE RETENTION rw COHORT BY first(checkin WHERE member != 'm-3') PER WEEK ACTIVE ON post, comment, reply;"
                  "CREATE RETENTION rm COHORT BY first(essence) PER MONTH ACTIVE ON like, checkin UNBOUNDED;"
                  "CREATE ACTIVITY act ON post, comment, reply;"
                  "CREATE SCORE eng AS 1*checkin + 2*like + 3*comment + 4*reply + 5*post + 20*essence HALF_LIFE 14 DAYS;"
                  "CREATE FIRSTLAST fl AS first(post), first(join), last(comment, reply);"
                  "CREATE LAYER core AS count(post WHERE original) DURING this_month >= 1 OR count(essence) >= 2;"
                  "CREATE LAYER busy AS count(*) DURING last 7 days >= 3 AND NOT member IN core;"
                  "CREATE TIERS pyr (top WHEN member IN core, mid WHEN count(*) DURING last 30 days >= 5, "
                  "low WHEN count(*) DURING last_month >= 1, none OTHERWISE)");
    shoal_session_free(s);
    append(200, 380);   /* kept by the views as they go */
    shoal_db_close(db);
    if (shoal_db_open(dir, SHOAL_OPEN_RDONLY, 0, &db, NULL)) abort();
    if (shoal_session_new(db, &on, NULL) || shoal_session_new(db, &off, NULL)) abort();
    /* a fixed now, mid-day, with later events: the views' edges and the cut at now */
    run_or_die(on, "SET NOW = '2025-03-20T13:30:00Z'");
    run_or_die(off, "SET NOW = '2025-03-20T13:30:00Z'; SET VIEWS = off");
    o_on.cap = o_off.cap = 1 << 20;
    if (!(o_on.p = malloc(o_on.cap)) || !(o_off.p = malloc(o_off.cap))) abort();
    shoal_session_set_output(on, sink, &o_on);
    shoal_session_set_output(off, sink, &o_off);
    shoal_session_set_cancel(on, &cancel_on);
    shoal_session_set_cancel(off, &cancel_off);
    return 0;
}

/* Case-insensitive: does the text hold word w? */
static int holds(const uint8_t *d, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && tolower(d[i + j]) == w[j]) j++;
        if (j == k) return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* sleep() returns at once when cancelled */
    cancel_on = cancel_off = holds(data, size, "sleep");
    int fmt = (int)(size % 5) + 1;
    shoal_session_set_format(on, fmt);
    shoal_session_set_format(off, fmt);
    o_on.n = o_off.n = 0;
    o_on.over = o_off.over = 0;
    shoal_err e1, e2;
    shoal_err_clear(&e1);
    shoal_err_clear(&e2);
    int rc1 = shoal_query_run(on, (const char *)data, size, &e1);
    int rc2 = shoal_query_run(off, (const char *)data, size, &e2);
    char buf[1024];
    shoal_err_render(&e1, "query", (const char *)data, size, buf, sizeof buf);
    /* What may differ between the paths, or between two runs. */
    static const char *const skip[] = {"eng", "rise", "explain", "show", "views", "timing", "sleep", "default",
                                       "now(", "now ("};
    int compare = !cancel_on && !o_on.over && !o_off.over;
    for (size_t i = 0; compare && i < sizeof skip / sizeof skip[0]; i++) compare = !holds(data, size, skip[i]);
    if (compare && (rc1 != rc2 || o_on.n != o_off.n || memcmp(o_on.p, o_off.p, o_on.n))) {
        fprintf(stderr, "views and scan differ: rc %d / %d (%s / %s)\n--- views:\n%.*s\n--- scan:\n%.*s\n", rc1, rc2,
                e1.msg, e2.msg, (int)(o_on.n > 4000 ? 4000 : o_on.n), o_on.p, (int)(o_off.n > 4000 ? 4000 : o_off.n),
                o_off.p);
        abort();
    }
    /* A statement that changed the session (SET NOW, SET TIMEZONE, SET VIEWS) is undone
     * for the next input: the same settings on both. */
    if (holds(data, size, "set")) {
        run_or_die(on, "SET NOW = '2025-03-20T13:30:00Z'; SET TIMEZONE = DEFAULT; SET VIEWS = on");
        run_or_die(off, "SET NOW = '2025-03-20T13:30:00Z'; SET TIMEZONE = DEFAULT; SET VIEWS = off");
    }
    return 0;
}
