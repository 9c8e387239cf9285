/* test_session.c — the session hooks batch jobs use (query.c): a pinned snapshot
 * that every statement reads while another handle appends, writes refused after it,
 * the statement callback's spans, and the tee (the same rows in a second format, also
 * under allocation failure: never a crash or a leak, and a run that gets through
 * writes what a clean run writes), and two readers live at once over the views'
 * tables (a pinned session's and another's, a statement's and its "did you mean"):
 * the same answers, and nothing of LMDB's table handles leaked. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "shoal.h"
#include "shoal_int.h"
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

/* n events of member m, ids from first on. */
static int add(shoal_db *db, int first, int n, const char *m)
{
    shoal_event ev[16];
    char ids[16][16];
    memset(ev, 0, sizeof ev);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "e%d", first + i);
        ev[i].id = S(ids[i]);
        ev[i].ts = 1740787200000LL + (int64_t)(first + i) * 3600000;
        ev[i].member = S(m);
        ev[i].type = S(i % 2 ? "post" : "like");
    }
    return shoal_append(db, ev, (size_t)n, NULL, NULL);
}

static const char *run(shoal_session *s, buf *b, const char *q, int *rc)
{
    b->n = 0;
    if (b->p) b->p[0] = 0;
    shoal_err err;
    shoal_err_clear(&err);
    *rc = shoal_query_run(s, q, strlen(q), &err);
    return b->p ? b->p : "";
}

TEST(pinned_snapshot)
{
    unit_fresh_dir();
    shoal_db *db, *other;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(add(db, 1, 4, "alice"), SHOAL_OK);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &other, NULL), SHOAL_OK);
    shoal_session *s;
    CHECK_RC(shoal_session_new(db, &s, NULL), SHOAL_OK);
    buf b = {0};
    shoal_session_set_output(s, sink, &b);
    shoal_session_set_format(s, SHOAL_OUT_CSV);
    shoal_reader *r;
    CHECK_RC(shoal_session_snapshot(s, &r, NULL), SHOAL_EINVAL);
    shoal_session_pin(s, 1);
    int rc;
    /* a definition before the first read runs, and the snapshot sees it */
    run(s, &b, "CREATE LAYER liker AS count(like) >= 1", &rc);
    CHECK_RC(rc, SHOAL_OK);
    CHECK(!strcmp(run(s, &b, "SELECT count(*) AS n FROM events", &rc), "n\n4\n"));
    CHECK_RC(add(other, 5, 6, "bob"), SHOAL_OK);
    CHECK(unit_n_events(other) == 10);
    /* the same snapshot: neither the events nor bob are there */
    CHECK(!strcmp(run(s, &b, "SELECT count(*) AS n, max(seq) AS last FROM events", &rc), "n,last\n4,4\n"));
    CHECK(!strcmp(run(s, &b, "SELECT count(*) AS n FROM members WHERE member IN liker", &rc), "n\n1\n"));
    CHECK_RC(shoal_session_snapshot(s, &r, NULL), SHOAL_OK);
    CHECK(r && shoal_reader_last_seq(r) == 4);
    /* a write after the first read is refused, at its first word */
    shoal_err err;
    shoal_err_clear(&err);
    const char *q = "SELECT 1 AS a;\n  DROP LAYER liker";
    CHECK_RC(shoal_query_run(s, q, strlen(q), &err), SHOAL_ESEMANTIC);
    CHECK(err.off == 17 && err.len == 4);
    CHECK(strstr(err.msg, "DROP writes to the database after the session's snapshot was taken") != NULL);
    shoal_err_clear(&err);
    q = "SET DATABASE TIMEZONE = 'Asia/Shanghai'";
    CHECK_RC(shoal_query_run(s, q, strlen(q), &err), SHOAL_ESEMANTIC);
    CHECK(err.off == 0 && err.len == 12);
    /* the session's own zone is no write: it goes, and DEFAULT goes back to the database's */
    shoal_err_clear(&err);
    q = "SET TIMEZONE = 'Asia/Shanghai'; SELECT day(2025-03-01T20:00:00Z) AS d; SET TIMEZONE = DEFAULT; "
        "SELECT day(2025-03-01T20:00:00Z) AS d";
    b.n = 0;
    CHECK_RC(shoal_query_run(s, q, strlen(q), &err), SHOAL_OK);
    CHECK(b.p && !strcmp(b.p, "d\n2025-03-02\nd\n2025-03-01\n"));
    /* unpinned, each statement reads the log as it is */
    shoal_session_pin(s, 0);
    CHECK(!strcmp(run(s, &b, "SELECT count(*) AS n FROM events", &rc), "n\n10\n"));
    run(s, &b, "DROP LAYER liker", &rc);
    CHECK_RC(rc, SHOAL_OK);
    shoal_session_free(s);
    free(b.p);
    shoal_db_close(other);
    shoal_db_close(db);
    unit_rm_dir();
}

typedef struct spans {
    size_t off[8], len[8];
    int n, stop_at;
} spans;

static int on_stmt(void *ctx, size_t off, size_t len)
{
    spans *sp = ctx;
    if (sp->n == sp->stop_at) return 1;
    sp->off[sp->n] = off;
    sp->len[sp->n++] = len;
    return 0;
}

TEST(statement_spans)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(add(db, 1, 2, "alice"), SHOAL_OK);
    shoal_session *s;
    CHECK_RC(shoal_session_new(db, &s, NULL), SHOAL_OK);
    buf b = {0};
    shoal_session_set_output(s, sink, &b);
    spans sp = {.stop_at = -1};
    shoal_session_set_on_statement(s, on_stmt, &sp);
    const char *q = "-- a\nSELECT 1 AS a;\n\nSET NOW = '2025-03-01';  SHOW TYPES";
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_query_run(s, q, strlen(q), &err), SHOAL_OK);
    CHECK(sp.n == 3);
    CHECK(sp.n == 3 && !strncmp(q + sp.off[0], "SELECT 1 AS a", sp.len[0]) && sp.len[0] == 13);
    CHECK(sp.n == 3 && !strncmp(q + sp.off[1], "SET NOW = '2025-03-01'", sp.len[1]) && sp.len[1] == 22);
    CHECK(sp.n == 3 && !strncmp(q + sp.off[2], "SHOW TYPES", sp.len[2]) && sp.len[2] == 10);
    /* a non-zero return stops before the statement */
    sp = (spans){.stop_at = 1};
    shoal_err_clear(&err);
    b.n = 0;
    CHECK_RC(shoal_query_run(s, q, strlen(q), &err), SHOAL_EIO);
    CHECK(sp.n == 1);
    shoal_session_free(s);
    free(b.p);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(tee)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(add(db, 1, 6, "alice"), SHOAL_OK);
    CHECK_RC(add(db, 7, 3, "bob"), SHOAL_OK);
    static const char *const qs[] = {"SELECT member, count(*) AS n FROM events GROUP BY member ORDER BY member",
                                     "SHOW TYPES", "EXPLAIN SELECT count(*) FROM events"};
    for (int k = 0; k < 3; k++) {
        const char *q = qs[k];
        buf csv = {0}, json = {0}, want_csv = {0}, want_json = {0};
        shoal_session *s;
        int rc;
        /* what plain sessions print */
        CHECK_RC(shoal_session_new(db, &s, NULL), SHOAL_OK);
        shoal_session_set_output(s, sink, &want_csv);
        shoal_session_set_format(s, SHOAL_OUT_CSV);
        run(s, &want_csv, q, &rc);
        shoal_session_set_output(s, sink, &want_json);
        shoal_session_set_format(s, SHOAL_OUT_JSON);
        run(s, &want_json, q, &rc);
        shoal_session_free(s);
        CHECK(want_csv.n > 0 && want_json.n > 0);
        int done = 0;
        for (long n = -1; n < 2000 && !done; n++) {
            if (shoal_session_new(db, &s, NULL)) continue;
            csv.n = json.n = 0;
            shoal_session_set_output(s, sink, &csv);
            shoal_session_set_format(s, SHOAL_OUT_CSV);
            shoal_session_set_tee(s, SHOAL_OUT_JSON, sink, &json);
            shoal_err err;
            shoal_err_clear(&err);
            if (n >= 0) shoal_mem_fail_after(n);
            rc = shoal_query_run(s, q, strlen(q), &err);
            shoal_mem_fail_after(-1);
            shoal_session_free(s);
            if (rc == SHOAL_OK) {
                CHECK(csv.n == want_csv.n && !memcmp(csv.p, want_csv.p, csv.n));
                CHECK(json.n == want_json.n && !memcmp(json.p, want_json.p, json.n));
                done = n >= 0;
            } else if (rc != SHOAL_ENOMEM) {
                printf("statement %d: allocation %ld failing gave %s\n", k, n, shoal_strerror(rc));
                CHECK(0);
                done = 1;
            }
        }
        CHECK(done);
        free(csv.p), free(json.p), free(want_csv.p), free(want_json.p);
    }
    shoal_db_close(db);
    unit_rm_dir();
}

/* LMDB gives a table's handle to the process when the transaction that opened it
 * commits; two live readers that each opened one took the same slot, the second's name
 * replacing the first's (a leak of a few bytes each time, under a pinned session or a
 * message's "did you mean"). shoal_view_tables_sync opens them first: a thousand rounds
 * grow the heap by nothing (LeakSanitizer says the same under make sanitize). */
/* A session of db writing CSV into *b (none to be had ends the test program). */
static shoal_session *csv_session(shoal_db *db, buf *b)
{
    shoal_session *s = NULL;
    CHECK_RC(shoal_session_new(db, &s, NULL), SHOAL_OK);
    if (!s) exit(1);
    shoal_session_set_output(s, sink, b);
    shoal_session_set_format(s, SHOAL_OUT_CSV);
    return s;
}

TEST(readers_share_tables)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(add(db, 1, 6, "alice"), SHOAL_OK);
    CHECK_RC(add(db, 7, 3, "bob"), SHOAL_OK);
    buf ba = {0}, bb = {0};
    shoal_session *a = csv_session(db, &ba), *b;
    int rc;
    run(a, &ba, "CREATE SCORE eng AS 1*like + 5*post HALF_LIFE 14 DAYS; CREATE COUNTERS c AS count(post), count(like)",
        &rc);
    CHECK_RC(rc, SHOAL_OK);
    /* opened again: the tables the definitions' commits opened for the process are closed */
    shoal_session_free(a);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    a = csv_session(db, &ba);
    b = csv_session(db, &bb);
    run(b, &bb, "SET NOW = '2025-03-02T00:00:00Z'", &rc);
    CHECK_RC(rc, SHOAL_OK);
    run(a, &ba, "SET NOW = '2025-03-02T00:00:00Z'", &rc);
    CHECK_RC(rc, SHOAL_OK);
    const char *qa = "SELECT member, round(eng, 3) AS e FROM members ORDER BY member";
    const char *qb = "SELECT member, count(post) AS p, count(like) AS l FROM members ORDER BY member";
    char want_a[256], want_b[256];
    snprintf(want_a, sizeof want_a, "%s", run(a, &ba, qa, &rc));
    CHECK_RC(rc, SHOAL_OK);
    snprintf(want_b, sizeof want_b, "%s", run(b, &bb, qb, &rc));
    CHECK_RC(rc, SHOAL_OK);
    CHECK(!strcmp(want_b, "member,p,l\nalice,3,3\nbob,1,2\n"));
    CHECK(strncmp(want_a, "member,e\nalice,", 15) == 0);
    shoal_session_pin(a, 1);   /* a's reader stays open from its first read on */
    size_t before = 0;
    for (int i = 0; i < 1000; i++) {
        if (i == 10) before = mallinfo2().uordblks;
        CHECK(!strcmp(run(a, &ba, qa, &rc), want_a));
        CHECK_RC(rc, SHOAL_OK);
        CHECK(!strcmp(run(b, &bb, qb, &rc), want_b));
        CHECK_RC(rc, SHOAL_OK);
        /* the statement's reader has eng open when the message looks for a close name */
        run(b, &bb, "SELECT member, round(eng, 3) AS e, rise(enng) AS r FROM members", &rc);
        CHECK_RC(rc, SHOAL_ESEMANTIC);
    }
    size_t after = mallinfo2().uordblks;
    if (after > before + 4096) printf("the heap grew by %zu bytes over 990 rounds\n", after - before);
    CHECK(after <= before + 4096);
    shoal_session_pin(a, 0);
    shoal_session_free(a);
    shoal_session_free(b);
    free(ba.p), free(bb.p);
    shoal_db_close(db);
    unit_rm_dir();
}

int main(void)
{
    RUN(pinned_snapshot);
    RUN(statement_spans);
    RUN(tee);
    RUN(readers_share_tables);
    UNIT_EXIT();
}
