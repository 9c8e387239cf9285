/* test_view.c — the view framework: incremental state equals a rebuild across batches,
 * late events, a back-fill and map growth (aborted, retried transactions); and
 * `shoal check` finds a view damaged behind the engine's back; named definitions
 * (layers, tiers) share the views' names and stay out of appends and check. */
#include "shoal.h"
#include "shoal_int.h"
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#define S(s) ((shoal_str){s, (uint32_t)sizeof(s) - 1})

static const char *const types[] = {"post", "like", "comment", "essence", "checkin"};

/* n events from offset base: mostly in time order, every seventh three days late. */
static void make_events(shoal_event *evs, shoal_prop *props, char (*ids)[16], char (*members)[16], int base, int n)
{
    for (int i = 0; i < n; i++) {
        int k = base + i;
        snprintf(ids[i], 16, "e-%d", k);
        snprintf(members[i], 16, "m-%d", (k * 7919) % 300);
        int64_t ts = 1735689600000LL + (int64_t)k * 600000;   /* 2025-01-01, one every 10 minutes */
        if (k % 7 == 0) ts -= 3 * 86400000LL;
        memset(&evs[i], 0, sizeof evs[i]);
        evs[i].has_id = 1;
        evs[i].id = (shoal_str){ids[i], (uint32_t)strlen(ids[i])};
        evs[i].ts = ts;
        evs[i].member = (shoal_str){members[i], (uint32_t)strlen(members[i])};
        const char *t = types[k % 5];
        evs[i].type = (shoal_str){t, (uint32_t)strlen(t)};
        if (k % 5 == 0) {
            /* original: true, false or absent; words an int, or a fraction */
            shoal_prop *p = &props[2 * i];
            int np = 0;
            if (k % 3) p[np++] = (shoal_prop){.key = S("original"), .kind = SHOAL_VAL_BOOL, .v.b = k % 3 == 1};
            if (k % 4) p[np++] = (shoal_prop){.key = S("words"), .kind = SHOAL_VAL_INT, .v.i = k % 1000};
            else p[np++] = (shoal_prop){.key = S("words"), .kind = SHOAL_VAL_NUM, .v.d = 0.25 + k % 10};
            evs[i].props = p;
            evs[i].n_props = (uint32_t)np;
        }
    }
}

static int append_range(shoal_db *db, int base, int n, int batch)
{
    shoal_event *evs = malloc(sizeof *evs * (size_t)n);
    shoal_prop *props = malloc(sizeof *props * 2 * (size_t)n);
    char (*ids)[16] = malloc(16 * (size_t)n), (*members)[16] = malloc(16 * (size_t)n);
    make_events(evs, props, ids, members, base, n);
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
    "CREATE COUNTERS c AS count(post), count(post WHERE original), count(post WHERE NOT original), "
    "sum(post.words), count(*), count(like, comment);"
    "CREATE SCORE e AS 1*like + 3*comment + 5*post HALF_LIFE 7 DAYS";

TEST(incremental_equals_rebuild)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 3000, 1000), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);   /* back-filled over 3000 events */
    {
        /* The database now says it holds views: a shoal of format 1 refuses it. */
        MDB_txn *txn;
        MDB_val v;
        CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
        CHECK(shoal_meta_get(db, txn, "format", &v) == 0 && v.mv_size == 1 && ((char *)v.mv_data)[0] >= '0' + SHOAL_FORMAT_VIEWS);
        mdb_txn_abort(txn);
    }
    CHECK_RC(append_range(db, 3000, 4000, 700), SHOAL_OK);
    CHECK_RC(append_range(db, 1500, 3000, 999), SHOAL_OK);   /* half of it duplicates */
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 2);
    CHECK(rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK(n == 2);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    CHECK_RC(run(db, "DROP SCORE e"), SHOAL_OK);
    CHECK_RC(append_range(db, 7000, 500, 100), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(map_growth_keeps_views)
{
    unit_fresh_dir();
    shoal_db *db;
    /* A 64 KiB map: batches abort on MDB_MAP_FULL and are replayed, views included. */
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 65536, &db, NULL), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 6000, 1500), SHOAL_OK);
    /* A back-fill whose swap-in meets a full map: grown and redone. */
    size_t before = shoal_db_map_size(db);
    char q[4096];
    size_t off = (size_t)snprintf(q, sizeof q, "CREATE COUNTERS wide AS count(*)");
    for (int k = 1; k < 64; k++) off += (size_t)snprintf(q + off, sizeof q - off, ", count(* WHERE %d != 0)", k);
    CHECK_RC(run(db, q), SHOAL_OK);
    CHECK(shoal_db_map_size(db) > before);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 3 && rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    shoal_db_close(db);
    unit_rm_dir();
}

/* Writes value under key in view name's table, behind the engine's back. */
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

TEST(score_read_writes_every_entry)
{
    /* A score table without some chunks (here taken out behind the engine's back: the
     * second of four, and the last, so that members past the kept chunks exist too): a
     * read into an array full of NaNs leaves no NaN, 0 where no chunk is kept, the
     * decayed sums elsewhere, 0 for member 0. The query engine relies on it to skip
     * zeroing the array. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    enum { N = 3100 };
    shoal_event *evs = calloc(N, sizeof *evs);
    char (*names)[16] = malloc(16 * (size_t)N);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], 16, "m-%d", i + 1);
        evs[i].ts = 1735689600000LL + i;
        evs[i].member = (shoal_str){names[i], (uint32_t)strlen(names[i])};
        evs[i].type = S("like");
    }
    CHECK_RC(shoal_append(db, evs, N, NULL, NULL), SHOAL_OK);
    CHECK(run(db, "CREATE SCORE e AS 2*like HALF_LIFE 7 DAYS") == 0);
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, "v.e", 0, &dbi) == 0);
    for (unsigned char c = 1; c <= 3; c += 2) {
        unsigned char key[5] = {0, 0, 0, 0, c};
        MDB_val k = {5, key};
        CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
    }
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint32_t nm = shoal_dict_count(r, SHOAL_NS_MEMBER);
    CHECK(nm == N);
    double *raw = malloc(sizeof *raw * (nm + 1));
    memset(raw, 0xFF, sizeof *raw * (nm + 1));
    int64_t t0;
    CHECK_RC(shoal_view_score_read(r, "e", nm, raw, &t0, 1735689600000LL + N, 7 * 86400000LL, NULL), SHOAL_OK);
    int nan = 0, gone = 1, kept = 1;
    for (uint32_t m = 0; m <= nm; m++) nan += raw[m] != raw[m];
    for (uint32_t m = 0; m <= nm; m++) {
        int c = (int)(m / 1024);
        if (m && (c == 0 || c == 2)) kept &= raw[m] > 1.99 && raw[m] <= 2;
        else gone &= raw[m] == 0;
    }
    CHECK(nan == 0 && raw[0] == 0 && gone && kept);
    free(raw);
    shoal_reader_close(r);
    free(evs);
    free(names);
    shoal_db_close(db);
    unit_rm_dir();
}

/* A counters bucket written before exact sums (has-more 1, an f64) is read as that
 * double, passes check against a rebuild (within 1e-9 relative, as before), and is
 * rewritten exact by the next batch that touches it. */
TEST(legacy_f64_buckets)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_prop p1 = {.key = S("words"), .kind = SHOAL_VAL_NUM, .v.d = 0.1};
    shoal_event ev = {.ts = 1735732800000LL, .member = S("ann"), .type = S("post"), .props = &p1, .n_props = 1};
    CHECK_RC(shoal_append(db, &ev, 1, NULL, NULL), SHOAL_OK);   /* 2025-01-01T12:00Z */
    CHECK(run(db, "CREATE COUNTERS c AS sum(post.words)") == 0);
    /* the day's and the month's buckets as a format-2 shoal wrote them: flag 1 (sums),
     * member +1, count 1, values 1, integer sum 0, has-more 1, f64 0.1 */
    unsigned char val[14] = {1, 1, 1, 1, 0, 1};
    double d = 0.1;
    memcpy(val + 6, &d, 8);
    int64_t day = 1735732800000LL / 86400000, month = 2025 * 12;
    unsigned char kd[5] = {0}, km[5] = {0x80};
    uint32_t fd = (uint32_t)((uint64_t)day ^ (1ULL << 31)), fm = (uint32_t)((uint64_t)month ^ (1ULL << 31));
    for (int i = 0; i < 4; i++) kd[1 + i] = (unsigned char)(fd >> (24 - 8 * i)), km[1 + i] = (unsigned char)(fm >> (24 - 8 * i));
    poke(db, "v.c", kd, 5, val, sizeof val);
    poke(db, "v.c", km, 5, val, sizeof val);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    /* read from the view: the f64 */
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint32_t cnt[2] = {0}, nv[2] = {0};
    shoal_xsum xs[2] = {{0}};
    int num = 0;
    CHECK_RC(shoal_view_counters_read(r, "c", 0, INT32_MIN, (int64_t)INT32_MAX + 1, NULL, 1, cnt, nv, xs, &num, NULL, NULL), SHOAL_OK);
    CHECK(cnt[1] == 1 && nv[1] == 1 && num && shoal_xsum_value(&xs[1]) == 0.1);
    shoal_reader_close(r);
    /* a second value the same day: the bucket is rewritten, exact */
    shoal_prop p2 = {.key = S("words"), .kind = SHOAL_VAL_NUM, .v.d = 0.2};
    shoal_event ev2 = {.ts = 1735736400000LL, .member = S("ann"), .type = S("post"), .props = &p2, .n_props = 1};
    CHECK_RC(shoal_append(db, &ev2, 1, NULL, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    memset(xs, 0, sizeof xs);
    CHECK_RC(shoal_view_counters_read(r, "c", 0, INT32_MIN, (int64_t)INT32_MAX + 1, NULL, 1, cnt, nv, xs, &num, NULL, NULL), SHOAL_OK);
    CHECK(shoal_xsum_value(&xs[1]) == 0.30000000000000004);
    shoal_reader_close(r);
    /* check compares exact sums exactly: 2^-100 off is a problem */
    shoal_xsum off = {0};
    shoal_xsum_add_double(&off, 0.1);
    shoal_xsum_add_double(&off, 0.2);
    shoal_xsum_add_double(&off, 0x1p-100);
    unsigned char v2[6 + SHOAL_XSUM_BYTES] = {1, 1, 2, 2, 0, 2};
    size_t n2 = 6 + shoal_xsum_put(v2 + 6, &off);
    poke(db, "v.c", kd, 5, v2, n2);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 1);
    {
        /* and the database says format 3 or later, so a shoal of format 2 refuses it */
        MDB_txn *txn;
        MDB_val v;
        CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
        CHECK(shoal_meta_get(db, txn, "format", &v) == 0 && v.mv_size == 1 && ((char *)v.mv_data)[0] >= '3');
        mdb_txn_abort(txn);
    }
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(check_detects_damaged_views)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 2000, 500), SHOAL_OK);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* A counters bucket (series 0, 2025-01-01) that says member 1 posted 99 times. */
    unsigned char key[5] = {0, 0x80, 0, 0x4e, 0x79};   /* day 20089 = 2025-01-01, sign flipped */
    unsigned char bad[] = {0, 1, 99};
    poke(db, "v.c", key, 5, bad, sizeof bad);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "view \"c\"") != NULL);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* A month bucket (series 0, 2025-01) that disagrees with its days. */
    unsigned char mkey[5] = {0x80, 0x80, 0, 0x5e, 0xec};   /* month 2025·12 + 0 = 24300, sign flipped */
    poke(db, "v.c", mkey, 5, bad, sizeof bad);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "month 2025-01") != NULL);
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* A presence bitmap (count(*), series 4: key byte 0x44; 2025-01) that has lost a
     * member: check names it, a rebuild mends it. */
    unsigned char pkey[5] = {0x44, 0x80, 0, 0x5e, 0xec};
    unsigned char pbad[] = {0x02};   /* member 1 only */
    poke(db, "v.c", pkey, 5, pbad, sizeof pbad);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "presence bitmap") != NULL);
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* Who existed with bits: the whole months' presence bitmaps into the bits (a word
     * per 64 members), the days after them into the counts; together the members with
     * a count of every event before 2025-01-15 above 0 (December 2024 from its bitmap: the late events). */
    {
        shoal_reader *r;
        CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
        uint32_t nm = shoal_dict_count(r, SHOAL_NS_MEMBER);
        uint32_t *cb = calloc(nm + 1, sizeof *cb), *cn = calloc(nm + 1, sizeof *cn);
        uint64_t *bits = calloc(nm / 64 + 1, sizeof *bits);
        CHECK_RC(shoal_view_counters_exist(r, "c", 3, INT32_MIN, 20103, NULL, nm, cb, bits, NULL), SHOAL_OK);
        CHECK_RC(shoal_view_counters_read(r, "c", 3, INT32_MIN, 20103, NULL, nm, cn, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
        shoal_reader_close(r);
        int same = nm > 2, n_bits = 0, n_days = 0;
        for (uint32_t m = 0; m <= nm; m++) {
            int b = (int)(bits[m / 64] >> (m % 64) & 1);
            same &= (b || cb[m]) == (cn[m] != 0);
            n_bits += b, n_days += cb[m] != 0;
        }
        CHECK(same && n_bits > 2 && n_days > 0);
        free(cb), free(cn), free(bits);
    }

    /* Bitmaps whose stamp is not the header's sequence (a shoal that keeps none appended
     * since) are stale: not read (who existed comes from the months, as without them)
     * and not checked. Here the same wrong bitmap as above, and a stamp of sequence 1. */
    {
        shoal_reader *r;
        CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
        uint32_t nm = shoal_dict_count(r, SHOAL_NS_MEMBER);
        shoal_reader_close(r);
        unsigned char pmk[1] = {0xFD}, pmv[16] = {0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        poke(db, "v.c", pkey, 5, pbad, sizeof pbad);
        poke(db, "v.c", pmk, 1, pmv, sizeof pmv);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
        uint32_t *c1 = calloc(nm + 1, sizeof *c1), *c2 = calloc(nm + 1, sizeof *c2);
        CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
        CHECK_RC(shoal_view_counters_exist(r, "c", 4, INT32_MIN, 20120, NULL, nm, c1, NULL, NULL), SHOAL_OK);   /* to 2025-02-01 */
        CHECK_RC(shoal_view_counters_read(r, "c", 4, INT32_MIN, 20120, NULL, nm, c2, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
        shoal_reader_close(r);
        int same = nm > 2;
        for (uint32_t m = 0; m <= nm; m++) same &= (c1[m] != 0) == (c2[m] != 0);
        CHECK(same);
        free(c1), free(c2);
        CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    }

    /* A table made before presence bitmaps (month buckets, no presence mark nor
     * bitmaps) reads who existed from its months and checks clean, before and after more
     * events (which write no bitmap). */
    {
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *cur;
        MDB_val k, v;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_dbi_open(txn, "v.c", 0, &dbi) == 0);
        CHECK(mdb_cursor_open(txn, dbi, &cur) == 0);
        int pres = 0;
        while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
            const unsigned char *kp = k.mv_data;
            if ((k.mv_size == 5 && (kp[0] & 0xC0) == 0x40) || (k.mv_size == 1 && kp[0] == 0xFD)) {
                pres++;
                CHECK(mdb_cursor_del(cur, 0) == 0);
            }
        }
        mdb_cursor_close(cur);
        CHECK(mdb_txn_commit(txn) == 0);
        CHECK(pres > 1);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
        if (rep.n_problems) printf("%s\n", rep.first_problem);
        CHECK_RC(append_range(db, 3000, 300, 500), SHOAL_OK);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
        if (rep.n_problems) printf("%s\n", rep.first_problem);
    }
    {
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *cur;
        MDB_val k, v;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_dbi_open(txn, "v.c", 0, &dbi) == 0);
        CHECK(mdb_cursor_open(txn, dbi, &cur) == 0);
        int months = 0, marks = 0;
        while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
            const unsigned char *kp = k.mv_data;
            /* (and the hour buckets, 0xC0 | series, with their mark 0xFC: made later still) */
            if ((k.mv_size == 5 && (kp[0] & 0x80)) || (k.mv_size == 1 && (kp[0] == 0xFE || kp[0] == 0xFC))) {
                months += k.mv_size == 5;
                marks += k.mv_size == 1;
                CHECK(mdb_cursor_del(cur, 0) == 0);
            }
        }
        mdb_cursor_close(cur);
        CHECK(mdb_txn_commit(txn) == 0);
        CHECK(months > 0 && marks == 2);
    }
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    CHECK_RC(append_range(db, 2000, 1000, 500), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);

    /* A score chunk with one value changed. */
    double chunk[1024] = {0};
    chunk[1] = 12345.0;
    unsigned char ckey[5] = {0, 0, 0, 0, 0};
    poke(db, "v.e", ckey, 5, chunk, sizeof chunk);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "view \"e\"") != NULL);
    shoal_db_close(db);
    unit_rm_dir();
}

/* Hour buckets (key 0xC0 | series, the UTC hour; mark 0xFC): kept from 35 whole UTC
 * days before the latest event's day, every later hour whole; across batches that move
 * that first hour on (the buckets left behind deleted) they equal a rebuild's, which
 * check compares. One changed is found by check and mended by a rebuild; a mark whose
 * stamp is not the header's sequence (a shoal that keeps none appended since) makes
 * them neither read nor checked. */
static void hour_key(int64_t h, unsigned char *k)
{
    uint32_t f = (uint32_t)((uint64_t)h ^ (1ULL << 31));
    k[0] = 0xC4, k[1] = (unsigned char)(f >> 24), k[2] = (unsigned char)(f >> 16), k[3] = (unsigned char)(f >> 8);
    k[4] = (unsigned char)f;
}

TEST(hour_buckets)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 2000, 1000), SHOAL_OK);
    CHECK_RC(run(db, create), SHOAL_OK);                      /* back-filled: 14 days */
    CHECK_RC(append_range(db, 2000, 6000, 700), SHOAL_OK);    /* to day 55: the first hour moves on */
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    /* the first kept hour, and count(*) (series 4) over the kept hours and before them */
    int64_t last = 1735689600000LL + 7999LL * 600000, want_h0 = (last / 86400000 - 35) * 24, h0 = 0;
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint32_t nm = shoal_dict_count(r, SHOAL_NS_MEMBER);
    CHECK(shoal_view_counters_hours(r, "c", &h0, NULL) == 1);
    CHECK(h0 == want_h0);
    /* every kept day's 24 hours sum, member by member, to its day bucket, in every
     * series; before the first kept hour there are none */
    uint32_t *c1 = calloc(nm + 1, sizeof *c1), *c2 = calloc(nm + 1, sizeof *c2);
    uint64_t total = 0;
    int same = 1, none = 1;
    for (uint32_t se = 0; se < 6; se++) {
        for (int64_t d = h0 / 24; d <= last / 86400000; d++) {
            int64_t hr[4] = {d * 24, d * 24 + 24, 0, 0};
            memset(c1, 0, (nm + 1) * sizeof *c1);
            memset(c2, 0, (nm + 1) * sizeof *c2);
            CHECK_RC(shoal_view_counters_read(r, "c", se, d, d + 1, NULL, nm, c1, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            CHECK_RC(shoal_view_counters_read(r, "c", se, 0, 0, hr, nm, c2, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            for (uint32_t m = 0; m <= nm; m++) same &= c1[m] == c2[m], total += c2[m];
        }
        int64_t before[4] = {h0 - 24 * 30, h0, 0, 0};
        memset(c2, 0, (nm + 1) * sizeof *c2);
        CHECK_RC(shoal_view_counters_read(r, "c", se, 0, 0, before, nm, c2, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
        for (uint32_t m = 0; m <= nm; m++) none &= c2[m] == 0;
    }
    CHECK(same);
    CHECK(none);
    CHECK(total > 5000);
    /* and each hour holds its own events: count(*) (the series with every event) per
     * hour equals the events make_events puts in that hour */
    int hours_ok = 0;
    for (uint32_t se = 0; se < 6 && !hours_ok; se++) {
        hours_ok = 1;
        for (int64_t h = h0; h <= last / 3600000 && hours_ok; h++) {
            int64_t hr[4] = {h, h + 1, 0, 0};
            memset(c2, 0, (nm + 1) * sizeof *c2);
            CHECK_RC(shoal_view_counters_read(r, "c", se, 0, 0, hr, nm, c2, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            uint64_t got = 0, want = 0;
            for (uint32_t m = 0; m <= nm; m++) got += c2[m];
            for (int k = 0; k < 8000; k++)
                want += (1735689600000LL + (int64_t)k * 600000 - (k % 7 == 0 ? 3 * 86400000LL : 0)) / 3600000 == h;
            hours_ok = got == want;
        }
    }
    CHECK(hours_ok);
    /* counts that stop at a cap over January less its last day and that day's first 12
     * hours (a window ending at noon of Jan 31: the month bucket less the day's run, and
     * the hours), member by member as the day buckets and hours read alone say, and a
     * member touched exactly when its count is above 0 (one of the month with its
     * events of the series all on Jan 31's afternoon is not), and listed as passed
     * exactly when it is 2 or more */
    {
        /* a member whose only event is on Jan 31 at 15:00 (a late one: appended last) */
        shoal_reader_close(r);
        shoal_event solo = {.has_id = 1, .id = S("e-solo"), .ts = 1735689600000LL + 30 * 86400000LL + 15 * 3600000LL,
                            .member = S("m-solo"), .type = S("post")};
        CHECK_RC(shoal_append(db, &solo, 1, NULL, NULL), SHOAL_OK);
        CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
        nm = shoal_dict_count(r, SHOAL_NS_MEMBER);
        free(c1), free(c2);
        c1 = calloc(nm + 1, sizeof *c1), c2 = calloc(nm + 1, sizeof *c2);
        uint8_t *sat = calloc(nm + 1, 1);
        uint64_t *tb = calloc(nm / 64 + 1, sizeof *tb), *pb = calloc(nm / 64 + 1, sizeof *pb);
        int64_t jan = 1735689600000LL / 86400000, end = jan + 30, hr[4] = {0, 0, end * 24, end * 24 + 12};
        int sat_ok = 1, touch_ok = 1, pass_ok = 1, left = 0, passed = 0;
        for (uint32_t se = 0; se < 6; se++) {
            memset(c1, 0, (nm + 1) * sizeof *c1);
            memset(c2, 0, (nm + 1) * sizeof *c2);
            memset(sat, 0, nm + 1);
            memset(tb, 0, (nm / 64 + 1) * sizeof *tb);
            for (int64_t d = jan; d < end; d++)
                CHECK_RC(shoal_view_counters_read(r, "c", se, d, d + 1, NULL, nm, c1, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            CHECK_RC(shoal_view_counters_read(r, "c", se, 0, 0, hr, nm, c1, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            CHECK_RC(shoal_view_counters_read(r, "c", se, jan, jan + 31, NULL, nm, c2, NULL, NULL, NULL, NULL, NULL), SHOAL_OK);
            memset(pb, 0, (nm / 64 + 1) * sizeof *pb);
            shoal_passed ps = {.bits = pb};
            CHECK_RC(shoal_view_counters_read_sat(r, "c", se, jan, end, hr, nm, sat, 3, tb, &ps, 2, NULL), SHOAL_OK);
            size_t listed = 0;
            for (size_t i = 0; i < ps.n; i++) listed += ps.m[i] <= nm && c1[ps.m[i]] >= 2;
            size_t want2 = 0;
            for (uint32_t m = 0; m <= nm; m++) want2 += c1[m] >= 2;
            pass_ok &= listed == ps.n && ps.n == want2 && !ps.oom;
            free(ps.m);
            for (uint32_t m = 0; m <= nm; m++) {
                sat_ok &= sat[m] == (c1[m] < 3 ? c1[m] : 3);
                touch_ok &= (int)(tb[m >> 6] >> (m & 63) & 1) == (c1[m] > 0);
                pass_ok &= (int)(pb[m >> 6] >> (m & 63) & 1) == (c1[m] >= 2);
                passed += c1[m] >= 2;
                left += c2[m] > 0 && c1[m] == 0;
            }
        }
        CHECK(sat_ok);
        CHECK(touch_ok);
        CHECK(pass_ok);    /* (each member that reached 2 listed once, as a bit, and none other) */
        CHECK(passed > 0);
        CHECK(left > 0);   /* (the case is there to be found) */
        free(sat), free(tb), free(pb);
    }
    free(c1), free(c2);
    shoal_reader_close(r);

    /* one changed: check names its hour; a rebuild mends it */
    unsigned char hk[5], bad[] = {0, 1, 99};
    hour_key(h0 + 24 * 10 + 5, hk);
    poke(db, "v.c", hk, 5, bad, sizeof bad);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "hour ") != NULL);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* one before the first kept hour: a bucket a rebuild has not */
    hour_key(h0 - 3, hk);
    poke(db, "v.c", hk, 5, bad, sizeof bad);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);

    /* a stale stamp: not read (no hours), not checked */
    hour_key(h0 + 24 * 10 + 5, hk);
    poke(db, "v.c", hk, 5, bad, sizeof bad);
    unsigned char mk[1] = {0xFC}, mv[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    poke(db, "v.c", mk, 1, mv, sizeof mv);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK(shoal_view_counters_hours(r, "c", &h0, NULL) == 0);
    shoal_reader_close(r);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* nor kept by later batches; a rebuild keeps them again */
    CHECK_RC(append_range(db, 8000, 300, 100), SHOAL_OK);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK(shoal_view_counters_hours(r, "c", &h0, NULL) == 0);
    shoal_reader_close(r);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    CHECK_RC(shoal_view_rebuild(db, "c", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK(shoal_view_counters_hours(r, "c", &h0, NULL) == 1);
    shoal_reader_close(r);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

/* The first/last kind: kept across batches with late events (every seventh three days
 * late) and duplicates, it equals a rebuild; a chunk changed behind the engine's back is
 * found by check, and a rebuild mends it. */
TEST(firstlast_incremental_and_damage)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 1500, 500), SHOAL_OK);
    CHECK_RC(run(db, "CREATE FIRSTLAST fl AS first(post), last(post), first(like, comment), last(like, comment, post WHERE original)"), SHOAL_OK);
    CHECK_RC(append_range(db, 1500, 2500, 700), SHOAL_OK);
    CHECK_RC(append_range(db, 1000, 2000, 999), SHOAL_OK);   /* half of it duplicates */
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);

    /* series 1 (post), its first times, chunk 0: member 1's first post moved a day */
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k, v;
    unsigned char key[7] = {1, 0, 0, 0, 0, 0, 0};
    int64_t chunk[SHOAL_FIRSTLAST_CHUNK];
    CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
    CHECK(mdb_dbi_open(txn, "v.fl", 0, &dbi) == 0);
    k = (MDB_val){7, key};
    CHECK(mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size == sizeof chunk);
    memcpy(chunk, v.mv_data, sizeof chunk);
    mdb_txn_abort(txn);
    int m = 1;
    while (m < SHOAL_FIRSTLAST_CHUNK && chunk[m] == INT64_MAX) m++;
    CHECK(m < SHOAL_FIRSTLAST_CHUNK);
    chunk[m] -= 86400000;
    poke(db, "v.fl", key, 7, chunk, sizeof chunk);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "view \"fl\"") != NULL && strstr(rep.first_problem, "first time") != NULL);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, "fl", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(definitions_roundtrip)
{
    shoal_arena *a = shoal_arena_new();
    shoal_str types2[2] = {S("post"), S("reply")};
    shoal_vseries s[2] = {{2, types2, S("poriginal"), S(""), 0}, {1, types2, S(""), S("words"), 2.5}};
    shoal_viewdef d = {SHOAL_VIEW_COUNTERS, S("v1"), S("CREATE …"), S("UTC"), 0, 2, s, 0, {0}, {NULL, 0}}, back;
    shoal_str enc;
    CHECK_RC(shoal_viewdef_encode(&d, a, &enc, NULL), SHOAL_OK);
    CHECK_RC(shoal_viewdef_decode(enc.ptr, enc.len, a, &back, NULL), SHOAL_OK);
    CHECK(back.kind == SHOAL_VIEW_COUNTERS && back.n_series == 2 && back.series[1].weight == 2.5);
    CHECK(back.series[0].n_types == 2 && back.series[0].types[1].len == 5);
    CHECK(back.n_params == 0);
    for (uint32_t cut = 0; cut < enc.len; cut++)
        CHECK(shoal_viewdef_decode(enc.ptr, cut, a, &back, NULL) == SHOAL_ECORRUPT);
    /* a kind's parameters follow the series, only when there are any */
    shoal_str enc0 = enc;
    d.kind = SHOAL_VIEW_RETENTION;
    d.n_params = 3;
    d.params[0] = 2, d.params[1] = -7, d.params[2] = 1;
    CHECK_RC(shoal_viewdef_encode(&d, a, &enc, NULL), SHOAL_OK);
    CHECK(enc.len > enc0.len && !memcmp(enc.ptr + 2, enc0.ptr + 2, enc0.len - 2));
    CHECK_RC(shoal_viewdef_decode(enc.ptr, enc.len, a, &back, NULL), SHOAL_OK);
    CHECK(back.kind == SHOAL_VIEW_RETENTION && back.n_params == 3 && back.params[1] == -7 && back.params[2] == 1);
    for (uint32_t cut = enc0.len + 1; cut < enc.len; cut++)
        CHECK(shoal_viewdef_decode(enc.ptr, cut, a, &back, NULL) == SHOAL_ECORRUPT);
    shoal_arena_free(a);
}

/* Retention and activity views: kept at ingest (late events, duplicates, batches of any size) equal
 * a rebuild, in any zone; shoal check finds a damaged member record, a chunk that does
 * not decode and a missing chunk; rebuild repairs them. */
TEST(retention_view)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 1500, 500), SHOAL_OK);
    CHECK_RC(run(db, "CREATE RETENTION r1 COHORT BY first(essence) PER WEEK ACTIVE ON post, comment;"
                     "CREATE RETENTION r2 COHORT BY each(essence WHERE member != 'm-7') PER DAY ACTIVE ON like AT LEAST 2;"
                     "SET TIMEZONE = 'Asia/Shanghai';"
                     "CREATE RETENTION r3 COHORT BY first(post WHERE original) PER MONTH ACTIVE ON post, like, comment, essence, checkin UNBOUNDED AT LEAST 3;"
                     "CREATE ACTIVITY a1 ON post, like WHERE member != 'm-3' OR original"),
             SHOAL_OK);
    CHECK_RC(append_range(db, 1500, 3000, 333), SHOAL_OK);
    CHECK_RC(append_range(db, 1000, 1000, 250), SHOAL_OK);   /* duplicates */
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 4 && rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);
    uint64_t n;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK(n == 4);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* chunk 0 (members 0..63): member 1 with a cohort time of 0 and nothing else */
    unsigned char key[5] = {0, 0, 0, 0, 0};
    unsigned char one[] = {1, 1, 0};
    poke(db, "v.r1", key, 5, one, sizeof one);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "view \"r1\"") != NULL);
    CHECK_RC(shoal_view_rebuild(db, "r1", &n, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    /* bytes that do not decode (a flag byte of 0x80) */
    unsigned char junk[] = {3, 0x80, 1, 2};
    poke(db, "v.r2", key, 5, junk, sizeof junk);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "does not decode") != NULL);
    CHECK_RC(shoal_view_rebuild(db, "r2", &n, NULL), SHOAL_OK);
    /* a chunk taken out */
    {
        MDB_txn *txn;
        MDB_dbi dbi;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_dbi_open(txn, "v.r3", 0, &dbi) == 0);
        MDB_val k = {5, key};
        CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
        CHECK(mdb_txn_commit(txn) == 0);
    }
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "no stored state") != NULL);
    /* an activity's record with a day more */
    unsigned char day[] = {5, 2, 0x80, 0x02, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    poke(db, "v.a1", key, 5, day, sizeof day);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 2);
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 4500, 700, 100), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    if (rep.n_problems) printf("%s\n", rep.first_problem);

    /* the per-cohort counts: a cohort's size off by one, a member's cohort period moved,
     * a cohort's record taken out; each found by check, repaired by rebuild */
    for (int damage = 0; damage < 3; damage++) {
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *cur;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_dbi_open(txn, "v.r1", 0, &dbi) == 0);
        CHECK(mdb_cursor_open(txn, dbi, &cur) == 0);
        unsigned char want = damage == 1 ? 0x02 : 0x01, kb[5] = {want, 0, 0, 0, 0};
        MDB_val k = {damage == 1 ? 5 : 2, kb}, v;
        CHECK(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0);
        CHECK(k.mv_size == 5 && ((unsigned char *)k.mv_data)[0] == want);
        unsigned char *copy = malloc(v.mv_size + 1);
        memcpy(copy, v.mv_data, v.mv_size);
        memcpy(kb, k.mv_data, 5);
        mdb_cursor_close(cur);
        MDB_val k2 = {5, kb};
        if (damage == 0) {
            copy[0] += 2;   /* the size's zigzag varint: one more member */
            MDB_val v2 = {v.mv_size, copy};
            CHECK(mdb_put(txn, dbi, &k2, &v2, 0) == 0);
        } else if (damage == 1) {
            int32_t c = INT32_MIN;
            size_t at = 0;
            for (; at < v.mv_size / 4; at++) {
                memcpy(&c, copy + 4 * at, 4);
                if (c != INT32_MIN) break;
            }
            CHECK(at < v.mv_size / 4);
            c++;
            memcpy(copy + 4 * at, &c, 4);
            MDB_val v2 = {v.mv_size, copy};
            CHECK(mdb_put(txn, dbi, &k2, &v2, 0) == 0);
        } else {
            CHECK(mdb_del(txn, dbi, &k2, NULL) == 0);
        }
        free(copy);
        CHECK(mdb_txn_commit(txn) == 0);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems >= 1);
        CHECK(strstr(rep.first_problem, damage == 0 ? "the counts of cohort" : damage == 1 ? "the cohorts of member ids" : "are missing") != NULL);
        CHECK_RC(shoal_view_rebuild(db, "r1", &n, NULL), SHOAL_OK);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
    }
    /* an activity's day counts: a day's DAU off by one */
    {
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *cur;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_dbi_open(txn, "v.a1", 0, &dbi) == 0);
        CHECK(mdb_cursor_open(txn, dbi, &cur) == 0);
        unsigned char kb[6] = {0x03, 0, 0, 0, 0, 0};
        MDB_val k = {2, kb}, v;
        CHECK(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0);
        CHECK(k.mv_size == 6 && ((unsigned char *)k.mv_data)[0] == 0x03 && v.mv_size > 0);
        unsigned char *copy = malloc(v.mv_size);
        memcpy(copy, v.mv_data, v.mv_size);
        memcpy(kb, k.mv_data, 6);
        mdb_cursor_close(cur);
        copy[v.mv_size - 1] ^= 2;   /* the last varint's value, by one */
        MDB_val k2 = {6, kb}, v2 = {v.mv_size, copy};
        CHECK(mdb_put(txn, dbi, &k2, &v2, 0) == 0);
        free(copy);
        CHECK(mdb_txn_commit(txn) == 0);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems >= 1);
        CHECK(strstr(rep.first_problem, "the day counts from block") != NULL);
        CHECK_RC(shoal_view_rebuild(db, "a1", &n, NULL), SHOAL_OK);
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
    }
    shoal_db_close(db);
    unit_rm_dir();
}

/* Named definitions (layers, tiers): stored and listed as given, one namespace with the
 * views, invisible to appends and to check. */
TEST(named_definitions)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 500, 250), SHOAL_OK);
    CHECK_RC(run(db, "CREATE COUNTERS c AS count(post)"), SHOAL_OK);
    shoal_namedef d = {S("layer"), S("core"), S("CREATE LAYER core AS count(post) >= 2")};
    CHECK_RC(shoal_view_define(db, &d, NULL), SHOAL_OK);
    CHECK_RC(shoal_view_define(db, &d, NULL), SHOAL_ESEMANTIC);   /* the name is taken */
    shoal_namedef clash = {S("layer"), S("c"), S("CREATE LAYER c AS count(post) >= 2")};
    CHECK_RC(shoal_view_define(db, &clash, NULL), SHOAL_ESEMANTIC);   /* by a view */
    shoal_namedef bad = {S("layer"), S("no-dash"), S("x")};
    CHECK_RC(shoal_view_define(db, &bad, NULL), SHOAL_EINVAL);
    CHECK(run(db, "CREATE COUNTERS core AS count(like)") != SHOAL_OK);   /* a view cannot take it */
    CHECK_RC(append_range(db, 500, 500, 250), SHOAL_OK);
    shoal_reader *r;
    shoal_arena *a = shoal_arena_new();
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    shoal_namedef *all, one;
    int n;
    CHECK_RC(shoal_view_defs(r, a, &all, &n, NULL), SHOAL_OK);
    CHECK(n == 1 && all[0].name.len == 4 && !memcmp(all[0].name.ptr, "core", 4) && all[0].kind.len == 5);
    CHECK(all[0].text.len == d.text.len && !memcmp(all[0].text.ptr, d.text.ptr, d.text.len));
    CHECK_RC(shoal_view_def(r, a, "core", &one, NULL), SHOAL_OK);
    CHECK_RC(shoal_view_def(r, a, "c", &one, NULL), SHOAL_ENOTFOUND);   /* a view, not a definition */
    shoal_reader_close(r);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    CHECK_RC(shoal_view_undefine(db, "core", NULL), SHOAL_OK);
    CHECK_RC(shoal_view_undefine(db, "core", NULL), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(shoal_view_defs(r, a, &all, &n, NULL), SHOAL_OK);
    CHECK(n == 0);
    shoal_reader_close(r);
    shoal_arena_free(a);
    shoal_db_close(db);
    unit_rm_dir();
}

/* Text in a summed property, appended after CREATE COUNTERS: the day's and the month's
 * buckets carry the text bit (flag byte 3), which shoal_view_counters_text reports for
 * a range that takes in that day and not for one that does not; check compares the bit
 * with a rebuild's (cleared behind the engine's back: a problem). */
TEST(text_bit)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_prop p1 = {.key = S("words"), .kind = SHOAL_VAL_INT, .v.i = 4};
    shoal_event ev = {.ts = 1735732800000LL, .member = S("ann"), .type = S("post"), .props = &p1, .n_props = 1};
    CHECK_RC(shoal_append(db, &ev, 1, NULL, NULL), SHOAL_OK);   /* 2025-01-01T12:00Z */
    CHECK(run(db, "CREATE COUNTERS c AS sum(post.words)") == 0);
    shoal_prop p2 = {.key = S("words"), .kind = SHOAL_VAL_STR, .v.s = S("many")};
    shoal_event ev2 = {.ts = 1735732800000LL + 86400000, .member = S("ann"), .type = S("post"), .props = &p2, .n_props = 1};
    CHECK_RC(shoal_append(db, &ev2, 1, NULL, NULL), SHOAL_OK);  /* 2025-01-02 */
    int64_t day = 1735732800000LL / 86400000;
    shoal_reader *r;
    int text = -1;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(shoal_view_counters_text(r, "c", 0, day, day + 1, NULL, &text, NULL), SHOAL_OK);
    CHECK(text == 0);
    CHECK_RC(shoal_view_counters_text(r, "c", 0, day + 1, day + 2, NULL, &text, NULL), SHOAL_OK);
    CHECK(text == 1);
    CHECK_RC(shoal_view_counters_text(r, "c", 0, INT32_MIN, (int64_t)INT32_MAX + 1, NULL, &text, NULL), SHOAL_OK);
    CHECK(text == 1);   /* from the month bucket */
    shoal_reader_close(r);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_views == 1 && rep.n_problems == 0);
    /* the day's bucket as it was before the text bit: flag 1, member +1, count 1,
     * values 0, integer sum 0, has-more 0 */
    unsigned char val[6] = {1, 1, 1, 0, 0, 0}, kd[5] = {0};
    uint32_t fd = (uint32_t)((uint64_t)(day + 1) ^ (1ULL << 31));
    for (int i = 0; i < 4; i++) kd[1 + i] = (unsigned char)(fd >> (24 - 8 * i));
    poke(db, "v.c", kd, 5, val, sizeof val);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 1 && strstr(rep.first_problem, "text") != NULL);
    if (rep.n_problems != 1) printf("%s\n", rep.first_problem);
    val[0] = 3;   /* with the bit: clean again */
    poke(db, "v.c", kd, 5, val, sizeof val);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

/* The per-member refs of score, first/last, retention and activity (view_mrefs.c): in
 * member order, and a member's refs in the order pushed (a score's sum is bit for bit
 * the log's only so), with members that need one, two and three passes. */
TEST(mrefs_sorted_and_stable)
{
    static const uint32_t spans[3] = {1500, 300000, 9000000};
    for (int k = 0; k < 3; k++) {
        shoal_mrefs r;
        memset(&r, 0, sizeof r);
        uint64_t x = 88172645463325252ULL;
        size_t n = 200000;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            CHECK(shoal_mrefs_push(&r, (uint32_t)(x % spans[k]), (int64_t)i, (uint32_t)(i * 7)) == 0);
        }
        const shoal_mref *a = shoal_mrefs_sort(&r);
        CHECK(a != NULL && r.n == n);
        size_t bad = 0;
        for (size_t i = 1; a && i < n; i++)
            bad += a[i - 1].member > a[i].member || (a[i - 1].member == a[i].member && a[i - 1].val >= a[i].val);
        for (size_t i = 0; a && i < n; i++) bad += a[i].aux != (uint32_t)(a[i].val * 7);
        CHECK(bad == 0);
        shoal_mrefs_clear(&r);
        CHECK(r.n == 0);
        shoal_mrefs_free(&r);
    }
}

/* The cancel flag given at open (shoal_db_open_cancel): a back-fill and a rebuild stop
 * at it, the view not made or left as it was; and the open's walk of a data.mdb that
 * ends before its meta's last page (a loose page cut off: the file is sound) stops at
 * it too, where it opens without it. */
TEST(cancel_flag)
{
    unit_fresh_dir();
    shoal_db *db;
    volatile int cancel = 0;
    CHECK_RC(shoal_db_open_cancel(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &cancel, &db, NULL), SHOAL_OK);
    CHECK_RC(append_range(db, 0, 5000, 1000), SHOAL_OK);
    cancel = 1;
    CHECK_RC(run(db, "CREATE COUNTERS c AS count(post), count(*)"), SHOAL_ECANCEL);
    CHECK_RC(run(db, "CREATE SCORE e AS 1*like + 5*post HALF_LIFE 7 DAYS"), SHOAL_ECANCEL);
    cancel = 0;
    shoal_reader *r;
    shoal_viewinfo vi;
    shoal_arena *a = shoal_arena_new();
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(shoal_view_info(r, a, "c", &vi, NULL), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_view_info(r, a, "e", &vi, NULL), SHOAL_ENOTFOUND);
    shoal_reader_close(r);
    CHECK_RC(run(db, "CREATE COUNTERS c AS count(post), count(*)"), SHOAL_OK);
    uint64_t n = 0;
    cancel = 1;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_ECANCEL);
    CHECK(n == 0);
    cancel = 0;
    CHECK_RC(shoal_view_rebuild(db, NULL, &n, NULL), SHOAL_OK);
    CHECK(n == 1);
    /* a view made and dropped leaves the file's last pages free (e2e/open.sh) */
    CHECK_RC(run(db, "CREATE SCORE tmp AS 1*like + 5*post HALF_LIFE 3 DAYS; DROP VIEW tmp"), SHOAL_OK);
    shoal_db_close(db);
    char file[300];
    snprintf(file, sizeof file, "%s/data.mdb", unit_tmpdir);
    struct stat st;
    CHECK(stat(file, &st) == 0 && truncate(file, st.st_size - 4096) == 0);
    cancel = 1;
    shoal_err err;
    shoal_err_clear(&err);
    db = NULL;
    CHECK_RC(shoal_db_open_cancel(unit_tmpdir, 0, 0, &cancel, &db, &err), SHOAL_ECANCEL);
    CHECK(db == NULL && !strcmp(err.msg, "cancelled"));
    cancel = 0;
    CHECK_RC(shoal_db_open_cancel(unit_tmpdir, 0, 0, &cancel, &db, NULL), SHOAL_OK);
    shoal_db_close(db);
    shoal_arena_free(a);
    unit_rm_dir();
}

int main(void)
{
    RUN(definitions_roundtrip);
    RUN(named_definitions);
    RUN(incremental_equals_rebuild);
    RUN(map_growth_keeps_views);
    RUN(score_read_writes_every_entry);
    RUN(check_detects_damaged_views);
    RUN(hour_buckets);
    RUN(firstlast_incremental_and_damage);
    RUN(legacy_f64_buckets);
    RUN(text_bit);
    RUN(retention_view);
    RUN(mrefs_sorted_and_stable);
    RUN(cancel_flag);
    UNIT_EXIT();
}
