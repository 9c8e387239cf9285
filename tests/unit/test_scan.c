/* test_scan.c — the executor's inline scan step (query/scan.h) must decode every record
 * exactly as the engine's shoal_logcur_next does: timestamps across the whole range
 * (1- to 9-byte varints), ids, groups, properties. */
#include <stdlib.h>
#include <unistd.h>

#include "scan.h"
#include "unit.h"

TEST(scan_matches_logcur)
{
    char dir[] = "/tmp/shoal-test-scan-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    shoal_db *db;
    CHECK_RC(shoal_db_open(dir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    enum { N = 3000 };
    static shoal_event ev[N];
    static char names[N][16], ids[N][16];
    static shoal_prop props[N];
    uint64_t seed = 42;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t span = SHOAL_TS_MAX - SHOAL_TS_MIN;
        int64_t ts = SHOAL_TS_MIN + (int64_t)((seed >> 11) % (uint64_t)span);
        if (i % 7 == 0) ts = i;   /* small values: short varints */
        snprintf(names[i], sizeof names[i], "m%d", (int)(seed % 1000));
        snprintf(ids[i], sizeof ids[i], "e%d", i);
        ev[i] = (shoal_event){0};
        ev[i].ts = ts;
        ev[i].member = (shoal_str){names[i], (uint32_t)strlen(names[i])};
        ev[i].type = (shoal_str){i % 3 ? "post" : "like", 4};
        if (i % 2) ev[i].group = (shoal_str){"g", 1};
        if (i % 5) {
            ev[i].has_id = 1;
            ev[i].id = (shoal_str){ids[i], (uint32_t)strlen(ids[i])};
        }
        props[i] = (shoal_prop){{"words", 5}, SHOAL_VAL_INT, {.i = i}};
        ev[i].props = &props[i];
        ev[i].n_props = i % 4 ? 1 : 0;
    }
    CHECK_RC(shoal_append(db, ev, N, NULL, NULL), SHOAL_OK);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    shoal_logcur *c, *s;
    CHECK_RC(shoal_logcur_open(r, 1, &c, NULL), SHOAL_OK);
    CHECK_RC(shoal_logcur_open(r, 1, &s, NULL), SHOAL_OK);
    MDB_cursor *mc = shoal_logcur_mdb(s);
    MDB_cursor_op op = MDB_FIRST;
    shoal_rec a, b;
    int n = 0, ra, rb;
    while ((ra = shoal_logcur_next(c, &a, NULL)) == 1) {
        rb = scan_next(mc, &op, &b, NULL);
        CHECK(rb == 1);
        if (rb != 1) break;
        CHECK(a.seq == b.seq && a.ts == b.ts && a.member == b.member && a.type == b.type && a.group == b.group);
        CHECK(a.has_id == b.has_id && a.id.len == b.id.len && a.props == b.props && a.end == b.end);
        n++;
    }
    CHECK(ra == 0);
    CHECK(scan_next(mc, &op, &b, NULL) == 0);
    CHECK(n == N);
    shoal_logcur_close(s);
    shoal_logcur_close(c);
    shoal_reader_close(r);
    shoal_db_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(scan_matches_logcur);
    UNIT_EXIT();
}
