/* test_expview.c — an experiment's view (engine/view_experiment.c): kept at ingest across
 * batches of every size with late exposures, posts before a late exposure, a second
 * arm, exposures without an arm (the hash) and fractional sums, it equals a rebuild
 * (`shoal check`), ratio metrics and a covariate included; a unit record, the
 * statistics or the index of change times damaged behind the engine's back fail check,
 * and a rebuild heals them; the params round-trip. The same for UNIT group (per group
 * its members per arm and totals), whose damaged group record fails check. */
#include "shoal.h"
#include "shoal_int.h"
#include "unit.h"

#define S(s) ((shoal_str){s, (uint32_t)sizeof(s) - 1})

/* Event k of a stream: member m-(k % 97); exposures (every 13th, a third without an
 * arm, every 5th of them 2 days late, a few of an undeclared arm), posts with an amount
 * (integral or not), comments; ts one every 5 minutes from 2025-01-01, every 7th
 * event a day late. */
static void make_event(int k, shoal_event *e, shoal_prop *p, char *id, char *member)
{
    snprintf(id, 16, "e-%d", k);
    snprintf(member, 16, "m-%d", (k * 31) % 97);
    int64_t ts = 1735689600000LL + (int64_t)k * 300000;
    if (k % 7 == 0) ts -= 86400000LL;
    memset(e, 0, sizeof *e);
    e->has_id = 1;
    e->id = (shoal_str){id, (uint32_t)strlen(id)};
    e->member = (shoal_str){member, (uint32_t)strlen(member)};
    int np = 0;
    if (k % 13 == 0) {
        e->type = S("exposure");
        if (k % 65 == 0) ts -= 2 * 86400000LL;
        p[np++] = (shoal_prop){.key = S("experiment"), .kind = SHOAL_VAL_STR, .v.s = S("x")};
        int who = (k * 31) % 97;
        /* its group: g-(who % 11); now and then none, or another (UNIT group) */
        static const char *const groups[] = {"g-0", "g-1", "g-2", "g-3", "g-4", "g-5", "g-6", "g-7", "g-8", "g-9", "g-10", "g-x"};
        if (k % 91 != 0) {
            const char *g = groups[who % 37 == 5 && k % 2 ? 11 : who % 11];
            e->group = (shoal_str){g, (uint32_t)strlen(g)};
        }   /* the member's arm: a, b (a few: z, or a when k is odd), or none */
        if (who % 3 == 1) p[np++] = (shoal_prop){.key = S("arm"), .kind = SHOAL_VAL_STR, .v.s = S("a")};
        else if (who % 3 == 2)
            p[np++] = (shoal_prop){.key = S("arm"), .kind = SHOAL_VAL_STR,
                                   .v.s = who % 29 == 2 ? S("z") : who % 23 == 2 && k % 2 ? S("a") : S("b")};
    } else if (k % 3 == 0) {
        e->type = S("post");
        if (k % 2) p[np++] = (shoal_prop){.key = S("amount"), .kind = SHOAL_VAL_INT, .v.i = k % 17};
        else p[np++] = (shoal_prop){.key = S("amount"), .kind = SHOAL_VAL_NUM, .v.d = 0.1 * (k % 11) + 0.05};
    } else {
        e->type = S("comment");
    }
    e->ts = ts;
    e->props = p;
    e->n_props = (uint32_t)np;
}

static int append_range(shoal_db *db, int base, int n, int batch)
{
    shoal_event *evs = malloc(sizeof *evs * (size_t)n);
    shoal_prop *props = malloc(sizeof *props * 2 * (size_t)n);
    char (*ids)[16] = malloc(16 * (size_t)n), (*members)[16] = malloc(16 * (size_t)n);
    for (int i = 0; i < n; i++) make_event(base + i, &evs[i], &props[2 * i], ids[i], members[i]);
    int rc = 0;
    for (int b = 0; b < n && !rc; b += batch) rc = shoal_append(db, evs + b, (size_t)(n - b < batch ? n - b : batch), NULL, NULL);
    free(evs), free(props), free(ids), free(members);
    return rc;
}

static int run(shoal_db *db, const char *q)
{
    shoal_session *s;
    if (shoal_session_new(db, &s, NULL)) return -1;
    shoal_err err;
    shoal_err_clear(&err);
    int rc = shoal_query_run(s, q, strlen(q), &err);
    if (rc) printf("query: %s\n", err.msg);
    shoal_session_free(s);
    return rc;
}

static const char *const create =
    "CREATE EXPERIMENT x ARMS (a 30, b 70) METRICS (posts = count(post) WITHIN 2 DAYS, spoke = count(post, comment) "
    "WITHIN 1 DAYS > 2, amount = sum(post.amount) WITHIN 3 DAYS, aov = sum(post.amount) / count(post) WITHIN 2 DAYS) "
    "COVARIATE count(comment) WITHIN 2 DAYS EXPOSURE exposure";

static void poke(shoal_db *db, const char *name, const unsigned char *key, size_t klen, const void *val, size_t n)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, name, 0, &dbi) == 0);
    MDB_val k = {klen, (void *)key}, v = {n, (void *)val};
    CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
}

/* map_size 0: the default; 65536: batches abort on MDB_MAP_FULL and are replayed, the
 * view's state dropped and loaded again from its table. */
static void incremental(size_t map_size)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, map_size, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 400, 400), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);   /* back-filled over 400 events */
    int sizes[] = {1, 7, 100, 1000};
    int base = 400;
    for (int i = 0; i < 4; i++) {
        CHECK_RC(append_range(db, base, 1500, sizes[i]), SHOAL_OK);
        base += 1500;
        shoal_check_report rep;
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_views == 1);
        CHECK(rep.n_problems == 0);
        if (rep.n_problems) printf("batch %d: %s\n", sizes[i], rep.first_problem);
    }
    /* what the view holds: every exposed unit once, split by arm or counted apart */
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    shoal_arena *a = shoal_arena_new();
    shoal_expview_stats st;
    CHECK_RC(shoal_view_experiment_read(r, "experiment:x", a, &st, NULL), SHOAL_OK);
    /* accumulators: 4 metrics (the ratio's two), the covariate; pairs: the ratio's x·y,
     * each metric's x·c, the ratio's y·c */
    CHECK(st.n_arms == 2 && st.n_acc == 6 && st.n_pairs == 6 && st.seq == shoal_reader_last_seq(r));
    CHECK(st.exposed == st.n[0] + st.n[1] + st.two_arms + st.unknown_arm);
    CHECK(st.n[0] > 0 && st.n[1] > 0 && st.by_hash > 0 && st.two_arms > 0 && st.unknown_arm > 0 && st.inexact == 0);
    if (st.two_arms == 0 || st.unknown_arm == 0)
        printf("n %lld %lld hash %lld two %lld unknown %lld\n", (long long)st.n[0], (long long)st.n[1], (long long)st.by_hash,
               (long long)st.two_arms, (long long)st.unknown_arm);
    shoal_arena_free(a);
    shoal_reader_close(r);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK(n == 1);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* an experiment without its view (as an older shoal kept it): CREATE OR REPLACE with
     * the same text makes one */
    CHECK_RC(shoal_view_drop(db, "experiment:x", NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 0);
    char again[1024];
    snprintf(again, sizeof again, "CREATE OR REPLACE %s", create + strlen("CREATE "));
    CHECK_RC(run(db, again), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    CHECK_RC(run(db, "DROP EXPERIMENT x"), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(incremental_equals_rebuild) { incremental(0); }

/* UNIT group: kept across batches of every size equal to a rebuild; a group's record
 * damaged fails check, a rebuild heals it. */
TEST(group_units)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 400, 400), SHOAL_OK);
    CHECK_RC(run(db, "CREATE EXPERIMENT x ARMS (a 30, b 70) UNIT group METRICS (posts = count(post) WITHIN 2 DAYS, "
                     "spoke = count(post, comment) WITHIN 1 DAYS > 2, aov = sum(post.amount) / count(post) WITHIN 2 DAYS) "
                     "COVARIATE count(comment) WITHIN 2 DAYS EXPOSURE exposure"),
             SHOAL_OK);
    int sizes[] = {1, 7, 100, 1000};
    int base = 400;
    shoal_check_report rep;
    for (int i = 0; i < 4; i++) {
        CHECK_RC(append_range(db, base, 1500, sizes[i]), SHOAL_OK);
        base += 1500;
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_views == 1 && rep.n_problems == 0);
        if (rep.n_problems) printf("group, batch %d: %s\n", sizes[i], rep.first_problem);
    }
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    shoal_arena *a = shoal_arena_new();
    shoal_expview_stats st;
    CHECK_RC(shoal_view_experiment_read(r, "experiment:x", a, &st, NULL), SHOAL_OK);
    /* accumulators: posts, spoke, the ratio's two, the covariate, the members */
    CHECK(st.group == 1 && st.n_arms == 2 && st.n_acc == 6);
    CHECK(st.n[0] + st.n[1] + st.groups_two_arms > 0 && st.no_group > 0 && st.two_groups > 0);
    /* a group's record, its first arm's members one more */
    MDB_dbi dbi;
    CHECK_RC(shoal_view_table(r, "experiment:x", &dbi, NULL), SHOAL_OK);
    MDB_cursor *cur;
    CHECK(mdb_cursor_open(r->txn, dbi, &cur) == 0);
    unsigned char gk[5] = {4, 0, 0, 0, 0}, copy[4096];
    MDB_val k = {5, gk}, v;
    CHECK(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size == 5 && ((unsigned char *)k.mv_data)[0] == 4);
    memcpy(gk, k.mv_data, 5);
    size_t len = v.mv_size < sizeof copy ? v.mv_size : sizeof copy;
    memcpy(copy, v.mv_data, len);
    mdb_cursor_close(cur);
    shoal_arena_free(a);
    shoal_reader_close(r);
    copy[0] ^= 1;
    poke(db, "v.experiment:x", gk, 5, copy, len);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "group id") != NULL);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}
TEST(map_growth) { incremental(65536); }

TEST(check_detects_damage)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 400, 400), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);
    CHECK_RC(append_range(db, 400, 2000, 300), SHOAL_OK);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    uint64_t n;
    /* member id 1's unit: exposed, anchor 0, in arm a with values 5, 0, 0, no events */
    unsigned char key[5] = {1, 0, 0, 0, 1};
    unsigned char unit[] = {1, 0, 1, 3, 10, 0, 0, 0};
    poke(db, "v.experiment:x", key, 5, unit, sizeof unit);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "experiment:x") != NULL && strstr(rep.first_problem, "member id 1") != NULL);
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* the statistics, damaged */
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    MDB_dbi dbi;
    CHECK_RC(shoal_view_table(r, "experiment:x", &dbi, NULL), SHOAL_OK);
    unsigned char sk = 2;
    MDB_val k = {1, &sk}, v;
    CHECK(mdb_get(r->txn, dbi, &k, &v) == 0);
    unsigned char copy[4096];
    size_t len = v.mv_size < sizeof copy ? v.mv_size : sizeof copy;
    memcpy(copy, v.mv_data, len);
    shoal_reader_close(r);
    copy[len - 1] ^= 1;   /* the last arm's last sum, one bit off */
    poke(db, "v.experiment:x", &sk, 1, copy, len);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "statistics") != NULL);
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* the index of change times: an entry no unit has (member id 1 changed at 1970) */
    unsigned char ik[13] = {3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    poke(db, "v.experiment:x", ik, 13, "", 0);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "change time") != NULL);
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

static char format_of(shoal_db *db)
{
    MDB_txn *txn;
    MDB_val v;
    char c = 0;
    CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
    if (shoal_meta_get(db, txn, "format", &v) == 0 && v.mv_size == 1) c = ((char *)v.mv_data)[0];
    mdb_txn_abort(txn);
    return c;
}

/* A database of format 4 (as an older shoal, of 64 LMDB tables, made it) stays so up to
 * 58 views and gets format 5 with the 59th, so that such a shoal refuses it at open
 * with its "newer format" message instead of failing on MDB_DBS_FULL. An experiment's
 * view raises it to 6 (SHOAL_FORMAT_EXPVIEW), which a shoal of format 5 refuses. */
TEST(many_views_raise_format)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    MDB_txn *txn;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    MDB_val k = {6, "idkeys"};
    CHECK(mdb_del(txn, db->dbi_meta, &k, NULL) == 0);
    CHECK(shoal_meta_put(db, txn, "format", "4", 1, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 50, 50), SHOAL_OK);
    char q[128];
    for (int i = 1; i <= SHOAL_OLD_MAX_VIEWS; i++) {
        snprintf(q, sizeof q, "CREATE COUNTERS c%d AS count(post)", i);
        CHECK_RC(run(db, q), SHOAL_OK);
    }
    CHECK(format_of(db) == '4');
    CHECK_RC(run(db, "CREATE COUNTERS c59 AS count(comment)"), SHOAL_OK);
    CHECK(format_of(db) == '0' + SHOAL_FORMAT_MANY_VIEWS);
    CHECK_RC(run(db, "CREATE EXPERIMENT x ARMS (a 1, b 1) METRICS (posts = count(post) WITHIN 2 DAYS) EXPOSURE exposure"), SHOAL_OK);
    CHECK(format_of(db) == '0' + SHOAL_FORMAT_EXPVIEW);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == SHOAL_OLD_MAX_VIEWS + 2 && rep.n_problems == 0);
    shoal_db_close(db);
    /* this shoal opens it, with its keys of format 4 */
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK(!db->idkeys2);
    CHECK_RC(append_range(db, 50, 50, 50), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

typedef struct outbuf {
    char b[65536];
    size_t n;
} outbuf;

static int out_write(void *ctx, const char *buf, size_t n)
{
    outbuf *o = ctx;
    if (o->n + n >= sizeof o->b) n = sizeof o->b - 1 - o->n;
    memcpy(o->b + o->n, buf, n);
    o->n += n;
    o->b[o->n] = 0;
    return 0;
}

/* q's output (JSON) into o. */
static int run_out(shoal_db *db, const char *q, outbuf *o)
{
    shoal_session *s;
    if (shoal_session_new(db, &s, NULL)) return -1;
    o->n = 0;
    o->b[0] = 0;
    shoal_session_set_output(s, out_write, o);
    shoal_session_set_format(s, SHOAL_OUT_JSON);
    shoal_err err;
    shoal_err_clear(&err);
    int rc = shoal_query_run(s, q, strlen(q), &err);
    if (rc) printf("query: %s\n", err.msg);
    shoal_session_free(s);
    return rc;
}

/* Makes an experiment's view table (v.experiment:x) as an earlier build left it: no
 * layout mark, its index keyed by another time (the settle time) without values, and
 * the database of format 5. (`test_expview --age DIR NAME` does it to a database for
 * tests/e2e/experiment_layout.sh.) */
static void age_table(shoal_db *db, const char *table)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, table, 0, &dbi) == 0);
    unsigned char mk = 5;
    MDB_val k = {1, &mk}, v;
    CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
    CHECK(mdb_cursor_open(txn, dbi, &cur) == 0);
    unsigned char (*keys)[13] = malloc(13 * 100000);
    size_t n = 0;
    unsigned char lo = 3;
    k = (MDB_val){1, &lo};
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && k.mv_size == 13 && ((unsigned char *)k.mv_data)[0] == 3 && n < 100000;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        memcpy(keys[n++], k.mv_data, 13);
    mdb_cursor_close(cur);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        k = (MDB_val){13, keys[i]};
        CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
        keys[i][8] ^= 1;   /* a later time (by 2^8 ms, or earlier: the old index is not read anyway) */
        v = (MDB_val){0, ""};
        CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
    }
    free(keys);
    CHECK(shoal_meta_put(db, txn, "format", "5", 1, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
}

/* An experiment's view an earlier build made (no layout mark): this shoal reads
 * nothing of it (EXPLAIN says why, the answer is the log's, the same), check says
 * what to run instead of reporting a mismatch, and the first append remakes it
 * (marked, format 6, check clean, the view answers again). */
TEST(earlier_layout_remade)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 400, 400), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);
    CHECK_RC(append_range(db, 400, 1500, 100), SHOAL_OK);
    static outbuf want, got, ex;
    const char *eval = "SELECT metric, arm, units, members, mean, sd, diff, diff_lo, p, cuped_reduction, two_arms, warning "
                       "FROM experiment(x) AS OF '2025-01-04T12:00:00Z'";
    CHECK_RC(run_out(db, eval, &want), SHOAL_OK);
    CHECK_RC(run_out(db, "EXPLAIN SELECT * FROM experiment(x) AS OF '2025-01-04T12:00:00Z'", &ex), SHOAL_OK);
    CHECK(strstr(ex.b, "kept by its view") != NULL);
    age_table(db, "v.experiment:x");
    shoal_db_close(db);   /* as a shoal of this build opens what an earlier build left */
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK(format_of(db) == '5');
    CHECK_RC(run_out(db, "EXPLAIN SELECT * FROM experiment(x) AS OF '2025-01-04T12:00:00Z'", &ex), SHOAL_OK);
    CHECK(strstr(ex.b, "made by an earlier build") != NULL);
    CHECK_RC(run_out(db, eval, &got), SHOAL_OK);
    CHECK(got.n > 100 && got.n == want.n && !strcmp(got.b, want.b));
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_notes == 1);
    CHECK(strstr(rep.first_note, "experiment:x") && strstr(rep.first_note, "shoal rebuild x"));
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    /* the first append remakes it (one event apart from e-400 … e-1899: it lengthens
     * no run in the id index, whose format 8 would hide the view's 6) */
    CHECK_RC(append_range(db, 1950, 1, 1), SHOAL_OK);
    CHECK(format_of(db) == '0' + SHOAL_FORMAT_EXPVIEW);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_notes == 0);
    if (rep.n_problems || rep.n_notes) printf("%s / %s\n", rep.first_problem, rep.first_note);
    CHECK_RC(run_out(db, "EXPLAIN SELECT * FROM experiment(x) AS OF '2025-01-04T12:00:00Z'", &ex), SHOAL_OK);
    CHECK(strstr(ex.b, "kept by its view") != NULL);
    CHECK_RC(run_out(db, eval, &got), SHOAL_OK);
    CHECK(got.n == want.n && !strcmp(got.b, want.b));   /* AS OF before the new events: the same */
    shoal_db_close(db);
    unit_rm_dir();
}

/* An experiment's view whose parameters a later shoal wrote (a version past those
 * this one reads): the ingest that meets it fails with SHOAL_EVERSION naming the view
 * and saying to upgrade, not as a damaged definition; so does a rebuild. */
TEST(later_params_named)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 200, 200), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);
    /* the stored definition, its params' version made 3 */
    MDB_txn *txn;
    MDB_val v;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(shoal_meta_get(db, txn, "view.experiment:x", &v) == 0);
    shoal_arena *a = shoal_arena_new();
    char *copy = shoal_arena_alloc(a, v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    shoal_viewdef def;
    CHECK_RC(shoal_viewdef_decode(copy, v.mv_size, a, &def, NULL), SHOAL_OK);
    CHECK(def.blob.len > 0 && def.blob.ptr[0] == 1);
    ((char *)def.blob.ptr)[0] = 3;
    shoal_str enc;
    CHECK_RC(shoal_viewdef_encode(&def, a, &enc, NULL), SHOAL_OK);
    CHECK(shoal_meta_put(db, txn, "view.experiment:x", enc.ptr, enc.len, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_event e;
    shoal_prop p[2];
    char id[16], member[16];
    make_event(1000, &e, p, id, member);
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_append(db, &e, 1, NULL, &err), SHOAL_EVERSION);
    CHECK(strstr(err.msg, "experiment:x") && strstr(err.msg, "upgrade shoal"));
    if (!strstr(err.msg, "upgrade shoal")) printf("message: %s\n", err.msg);
    uint64_t n;
    shoal_err_clear(&err);
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, &err), SHOAL_EVERSION);
    CHECK(strstr(err.msg, "upgrade shoal") != NULL);
    shoal_db_close(db);
    shoal_arena_free(a);
    unit_rm_dir();
}

TEST(params_roundtrip)
{
    shoal_expparams p, q;
    memset(&p, 0, sizeof p);
    p.salt = S("s1");
    p.n_arms = 3;
    p.weight[0] = 50, p.weight[1] = 25, p.weight[2] = 25;
    p.n_acc = 2;
    p.acc[0] = (shoal_expacc){5, 0, 7 * 86400000LL, 0, 0};
    p.acc[1] = (shoal_expacc){6, -7 * 86400000LL, 0, 1, 3};
    p.n_pairs = 1;
    p.pair[0][0] = 0, p.pair[0][1] = 1;
    p.late_ms = SHOAL_EXP_LATE_MS;
    shoal_arena *a = shoal_arena_new();
    shoal_str enc;
    CHECK_RC(shoal_expview_params_encode(&p, a, &enc, NULL), SHOAL_OK);
    CHECK_RC(shoal_expview_params_decode(enc, &q), SHOAL_OK);
    CHECK(q.n_arms == 3 && q.weight[1] == 25 && q.n_acc == 2 && q.acc[1].lo == -7 * 86400000LL && q.acc[1].conv == 1 &&
          q.acc[1].thr == 3 && q.n_pairs == 1 && q.pair[0][1] == 1 && q.salt.len == 2 && q.late_ms == SHOAL_EXP_LATE_MS);
    enc.len--;   /* cut: refused */
    CHECK_RC(shoal_expview_params_decode(enc, &q), SHOAL_ECORRUPT);
    /* UNIT group: format 2, the members' accumulator (conv 2); an older shoal, which
     * knows format 1 only, refuses it */
    p.group = 1;
    p.acc[p.n_acc++] = (shoal_expacc){0, 0, 0, 2, 0};
    CHECK_RC(shoal_expview_params_encode(&p, a, &enc, NULL), SHOAL_OK);
    CHECK(((const unsigned char *)enc.ptr)[0] == 2);
    CHECK_RC(shoal_expview_params_decode(enc, &q), SHOAL_OK);
    CHECK(q.group == 1 && q.n_acc == 3 && q.acc[2].conv == 2);
    p.group = 0;   /* the members' accumulator without UNIT group: refused */
    CHECK_RC(shoal_expview_params_encode(&p, a, &enc, NULL), SHOAL_OK);
    CHECK_RC(shoal_expview_params_decode(enc, &q), SHOAL_ECORRUPT);
    p.n_acc--;
    /* a version past those this shoal reads is a later shoal's, not damage */
    CHECK_RC(shoal_expview_params_encode(&p, a, &enc, NULL), SHOAL_OK);
    char *later = shoal_arena_alloc(a, enc.len);
    memcpy(later, enc.ptr, enc.len);
    later[0] = 3;
    CHECK_RC(shoal_expview_params_decode((shoal_str){later, enc.len}, &q), SHOAL_EVERSION);
    later[0] = 0;
    CHECK_RC(shoal_expview_params_decode((shoal_str){later, enc.len}, &q), SHOAL_ECORRUPT);
    /* the assignment: the same arm for the same member, and the split near the weights */
    int n[3] = {0};
    char m[16];
    for (int i = 0; i < 10000; i++) {
        snprintf(m, sizeof m, "m-%d", i);
        n[shoal_exp_arm_of_hash(p.weight, 3, shoal_exp_hash("s1", 2, m, strlen(m)))]++;
    }
    CHECK(n[0] > 4800 && n[0] < 5200 && n[1] > 2300 && n[1] < 2700);
    shoal_arena_free(a);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--age")) {
        shoal_db *db;
        char table[128];
        snprintf(table, sizeof table, "v.experiment:%s", argv[3]);
        if (shoal_db_open(argv[2], SHOAL_OPEN_NOSYNC, 0, &db, NULL)) return 2;
        age_table(db, table);
        shoal_db_close(db);
        return unit_failed_checks ? 1 : 0;
    }
    RUN(params_roundtrip);
    RUN(later_params_named);
    RUN(earlier_layout_remade);
    RUN(incremental_equals_rebuild);
    RUN(group_units);
    RUN(many_views_raise_format);
    RUN(map_growth);
    RUN(check_detects_damage);
    UNIT_EXIT();
}
