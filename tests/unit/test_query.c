/* test_query.c — the query layer under allocation failure (SQLite's faultsim): every
 * statement is run with the n-th allocation failing, for n = 0, 1, 2 … until it
 * succeeds. Each failed run must return SHOAL_ENOMEM (never crash; under `make
 * sanitize`, never leak), and the run that succeeds must print what a run without
 * injected failures prints. */
#include <stdlib.h>
#include <string.h>

#include "shoal.h"
#include "shoal_int.h"
#include "plan.h"
#include "unit.h"

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int sink(void *ctx, const char *s, size_t n)
{
    buf *b = ctx;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *p = realloc(b->p, nc);
        if (!p) return -1;
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static shoal_str S(const char *s) { return (shoal_str){s, (uint32_t)strlen(s)}; }

static shoal_db *fixture(void)
{
    shoal_db *db;
    if (shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL)) return NULL;
    static const char *const members[] = {"alice", "bob", "carol", "dave"};
    static const char *const types[] = {"join", "post", "comment", "essence", "like"};
    shoal_event ev[60];
    shoal_prop props[60][3];
    memset(ev, 0, sizeof ev);
    for (int i = 0; i < 60; i++) {
        ev[i].ts = 1740787200000LL + (int64_t)i * 3600000 * 11;   /* from 2025-03-01 */
        ev[i].member = S(members[i % 4]);
        ev[i].type = S(types[i % 5]);
        if (i % 3) ev[i].group = S(i % 2 ? "g1" : "g2");
        props[i][0] = (shoal_prop){S("original"), SHOAL_VAL_BOOL, {.b = i % 3 == 0}};
        props[i][1] = (shoal_prop){S("to"), SHOAL_VAL_STR, {.s = S(members[(i + 1) % 4])}};
        props[i][2] = (shoal_prop){S("words"), SHOAL_VAL_INT, {.i = i * 37 % 700}};
        ev[i].n_props = 3;
        ev[i].props = props[i];
    }
    if (shoal_append(db, ev, 60, NULL, NULL)) {
        shoal_db_close(db);
        return NULL;
    }
    return db;
}

static const char *const statements[] = {
    "SELECT * FROM events ORDER BY ts DESC LIMIT 5",
    "SELECT type, count(*), count(DISTINCT member), sum(words), avg(words), min(to), max(ts) FROM events "
    "GROUP BY type HAVING count(*) > 1 ORDER BY 2 DESC, type",
    "SELECT day(ts) AS d, lower(member) AS m, count(*) FROM events WHERE member LIKE '%a%' GROUP BY d, m ORDER BY d, m",
    "SET NOW = '2025-03-20'; SELECT member, count(post WHERE original) DURING this_month AS o, count(essence) AS e, "
    "sum(post.words) AS w, first(join) AS j FROM members WHERE o >= 1 OR e >= 1 ORDER BY o DESC, member",
    "SELECT count(post) AS p, count(*) AS n, avg(count(*) DURING all_time) AS a FROM members GROUP BY p ORDER BY p",
    "EXPLAIN SELECT group, count(*) FROM events WHERE type IN (post, comment) GROUP BY group",
    "SHOW TYPES; SHOW PROPERTIES; SHOW SETTINGS",
    "SELECT CASE WHEN words > 300 THEN 'long' ELSE 'short' END AS k, count(*) FROM events GROUP BY k ORDER BY k",
    "SELECT seq FROM events WHERE type = nope",
    "SELECT a,, b",
};

TEST(allocation_failures)
{
    unit_fresh_dir();
    shoal_db *db = fixture();
    CHECK(db != NULL);
    if (!db) return;
    static const int formats[] = {SHOAL_OUT_TABLE, SHOAL_OUT_JSON, SHOAL_OUT_CSV, SHOAL_OUT_MARKDOWN, SHOAL_OUT_NDJSON};
    for (size_t k = 0; k < sizeof statements / sizeof statements[0]; k++) {
        const char *q = statements[k];
        buf want = {0};
        shoal_session *s;
        CHECK_RC(shoal_session_new(db, &s, NULL), SHOAL_OK);
        shoal_session_set_format(s, formats[k % 5]);
        shoal_session_set_output(s, sink, &want);
        shoal_err err;
        shoal_err_clear(&err);
        int want_rc = shoal_query_run(s, q, strlen(q), &err);
        shoal_session_free(s);
        int done = 0;
        for (long n = 0; n < 5000 && !done; n++) {
            buf got = {0};
            if (shoal_session_new(db, &s, NULL)) {
                free(got.p);
                continue;
            }
            shoal_session_set_format(s, formats[k % 5]);
            shoal_session_set_output(s, sink, &got);
            shoal_err_clear(&err);
            shoal_mem_fail_after(n);
            int rc = shoal_query_run(s, q, strlen(q), &err);
            shoal_mem_fail_after(-1);
            shoal_session_free(s);
            if (rc == want_rc) {
                /* A run that got through must say exactly what the clean run said. */
                if (rc == SHOAL_OK) {
                    done = 1;
                    if (getenv("SHOAL_TEST_VERBOSE")) printf("statement %zu succeeds from %ld allocations on\n", k, n);
                    if (!(got.n == want.n && (!got.n || memcmp(got.p, want.p, got.n) == 0))) {
                        printf("statement %zu: output differs after %ld allocations\n", k, n);
                        CHECK(0);
                    }
                } else {
                    done = 1;
                }
            } else if (rc != SHOAL_ENOMEM) {
                printf("statement %zu: allocation %ld failing gave %s\n", k, n, shoal_strerror(rc));
                CHECK(0);
                done = 1;
            }
            free(got.p);
        }
        CHECK(done);
        if (getenv("SHOAL_TEST_VERBOSE")) printf("statement %zu: %s\n", k, shoal_strerror(want_rc));
        free(want.p);
    }
    shoal_db_close(db);
    unit_rm_dir();
}

/* Grouping hashes values: equal values hash alike whatever lies in the fields their type
 * does not use (a count's namespace byte is never set), and ids of two namespaces
 * apart. */
/* shoal_query_defines: a statement that begins with CREATE or SET DATABASE, past
 * comments, in any case; not a word inside a string, a comment or another statement. */
TEST(query_defines)
{
#define D(s) shoal_query_defines(s, strlen(s))
    CHECK(D("CREATE LAYER a AS count(post) >= 1"));
    CHECK(D("-- the layers\n  create layer a AS count(post) >= 1;"));
    CHECK(D("/* x */ SELECT 1; Create COUNTERS c AS count(*)"));
    CHECK(D("SET  DATABASE TIMEZONE = 'UTC'"));
    CHECK(D("set\n-- c\ndatabase timezone = 'UTC'"));
    CHECK(!D("SELECT 1"));
    CHECK(!D("SELECT 'a;CREATE' FROM events"));
    CHECK(!D("SELECT 1 -- ; CREATE\n"));
    CHECK(!D("SELECT 1 /* ; CREATE */"));
    CHECK(!D("SET NOW = '2025-01-01'; SHOW VIEWS"));
    CHECK(!D("SELECT created FROM members"));
    CHECK(!D("CREATED"));
    CHECK(!D(""));
#undef D
}

/* shoal_query_complete: the text ends a statement with ';' outside strings and
 * comments, and leaves no string or block comment open. */
TEST(query_complete)
{
#define C(s) shoal_query_complete(s, strlen(s))
    CHECK(C("SELECT 1;"));
    CHECK(C("SELECT 1;\n\n"));
    CHECK(C("SELECT 1; -- done"));
    CHECK(C("SELECT 1; /* done */"));
    CHECK(C("SELECT 'a;b';"));
    CHECK(!C("SELECT 1"));
    CHECK(!C("SELECT ';'"));
    CHECK(!C("SELECT 'a;"));
    CHECK(!C("SELECT 1 -- ;\n"));
    CHECK(!C("SELECT 1 /* ; */"));
    CHECK(!C("SELECT 1; /* still open"));
    CHECK(!C("SELECT 1; SELECT 'x"));
    CHECK(!C(""));
#undef C
}

TEST(value_hash)
{
    qval a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0xbe, sizeof b);
    a.t = b.t = V_INT;
    a.u.i = b.u.i = 0;
    CHECK(shoal_val_same(&a, &b) && shoal_val_hash(&a) == shoal_val_hash(&b));
    a.t = b.t = V_ID;
    a.u.i = b.u.i = 7;
    a.ns = SHOAL_NS_MEMBER;
    b.ns = SHOAL_NS_GROUP;
    CHECK(!shoal_val_same(&a, &b) && shoal_val_hash(&a) != shoal_val_hash(&b));
    b.ns = SHOAL_NS_MEMBER;
    CHECK(shoal_val_same(&a, &b) && shoal_val_hash(&a) == shoal_val_hash(&b));
}

int main(void)
{
    RUN(query_defines);
    RUN(query_complete);
    RUN(value_hash);
    RUN(allocation_failures);
    UNIT_EXIT();
}
