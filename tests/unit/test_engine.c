/* test_engine.c — the engine below the readers: codec, keys, append, dedup,
 * dictionary, map growth, read-only opens, check, allocation failures. */
#include "unit.h"
#include "shoal_int.h"

#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static shoal_str S(const char *s) { return (shoal_str){s, (uint32_t)strlen(s)}; }

static shoal_event mk(const char *id, int64_t ts, const char *member, const char *type)
{
    shoal_event e = {0};
    if (id) {
        e.has_id = 1;
        e.id = S(id);
    }
    e.ts = ts;
    e.member = S(member);
    e.type = S(type);
    return e;
}

TEST(varints)
{
    uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        unsigned char buf[10];
        size_t n = shoal_varint_put(buf, vals[i]);
        uint64_t back = 0;
        CHECK(shoal_varint_get(buf, buf + n, &back) == n);
        CHECK(back == vals[i]);
        CHECK(n == 0 || shoal_varint_get(buf, buf + n - 1, &back) == 0 || n == 1);
    }
    int64_t svals[] = {0, -1, 1, INT64_MIN, INT64_MAX, -1741050012000LL};
    for (size_t i = 0; i < sizeof svals / sizeof svals[0]; i++) CHECK(shoal_unzigzag(shoal_zigzag(svals[i])) == svals[i]);
}

TEST(codec_roundtrip)
{
    shoal_rprop props[4] = {
        {.key = 1, .kind = SHOAL_VAL_BOOL, .v.b = 1},
        {.key = 2, .kind = SHOAL_VAL_INT, .v.i = -640},
        {.key = 3, .kind = SHOAL_VAL_NUM, .v.d = 0.1},
        {.key = 5, .kind = SHOAL_VAL_STR, .v.s = {.id = 0, .inl = {"hello", 5}}},
    };
    shoal_ievent ev = {.ts = 1741050012000LL, .member = 77, .type = 3, .group = 9, .has_id = 1,
                       .id = {"e-1009", 6}, .n_props = 4, .props = props};
    unsigned char buf[256];
    CHECK(shoal_codec_bound(&ev) <= sizeof buf);
    size_t n = shoal_codec_encode(&ev, buf);
    shoal_rec rec;
    CHECK_RC(shoal_codec_decode(buf, n, &rec), SHOAL_OK);
    CHECK(rec.ts == ev.ts && rec.member == 77 && rec.type == 3 && rec.group == 9);
    CHECK(rec.has_id && rec.id.len == 6 && memcmp(rec.id.ptr, "e-1009", 6) == 0);
    shoal_rprop out[8];
    CHECK(shoal_rec_props(&rec, out, 8) == 4);
    CHECK(out[1].kind == SHOAL_VAL_INT && out[1].v.i == -640);
    CHECK(out[2].kind == SHOAL_VAL_NUM && out[2].v.d == 0.1);
    CHECK(out[3].v.s.id == 0 && out[3].v.s.inl.len == 5 && memcmp(out[3].v.s.inl.ptr, "hello", 5) == 0);
    shoal_rprop one;
    CHECK(shoal_rec_prop(&rec, 3, &one) == 1 && one.v.d == 0.1);
    CHECK(shoal_rec_prop(&rec, 4, &one) == 0);
    /* Every truncation is either a valid shorter record or detected, never a crash. */
    for (size_t cut = 0; cut < n; cut++) {
        shoal_rec r2;
        if (shoal_codec_decode(buf, cut, &r2) == SHOAL_OK) CHECK(shoal_rec_props(&r2, out, 8) <= 4);
    }
}

TEST(event_check)
{
    shoal_err err;
    shoal_event e = mk("e-1", 0, "m-1", "post");
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_OK);
    e.member = S("");
    shoal_err_clear(&err);
    CHECK_RC(shoal_event_check(&e, &err), SHOAL_EFORMAT);
    CHECK(strcmp(err.msg, "empty \"member\"") == 0);
    e = mk("e-1", SHOAL_TS_MAX, "m-1", "post");
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_EFORMAT);
    e = mk(NULL, 0, "m-\xff", "post");
    shoal_err_clear(&err);
    CHECK_RC(shoal_event_check(&e, &err), SHOAL_EFORMAT);
    CHECK(strstr(err.msg, "UTF-8") != NULL);
    shoal_prop p[2] = {{.key = S("to"), .kind = SHOAL_VAL_STR, .v.s = S("m-2")},
                       {.key = S("to"), .kind = SHOAL_VAL_INT, .v.i = 1}};
    e = mk(NULL, 0, "m-1", "reply");
    e.props = p;
    e.n_props = 2;
    shoal_err_clear(&err);
    CHECK_RC(shoal_event_check(&e, &err), SHOAL_EFORMAT);
    CHECK(strcmp(err.msg, "duplicate property \"to\"") == 0);
    p[1].key = S("ts");
    shoal_err_clear(&err);
    CHECK_RC(shoal_event_check(&e, &err), SHOAL_EFORMAT);
    CHECK(strcmp(err.msg, "property \"ts\" is a reserved name") == 0);
    CHECK(shoal_utf8_valid("\xe4\xb8\xad\xf0\x9f\x90\x9f", 7));
    CHECK(!shoal_utf8_valid("\xed\xa0\x80", 3));    /* a surrogate */
    CHECK(!shoal_utf8_valid("\xc0\xaf", 2));        /* overlong */
    CHECK(!shoal_utf8_valid("abc\xe4\xb8", 5));     /* truncated */
    /* A lone byte of 0x80 or more anywhere in ASCII, at every length the ASCII
     * check takes apart (words, half, quarter words, a byte): invalid. */
    char buf[24];
    for (size_t n = 1; n <= sizeof buf; n++) {
        memset(buf, 'a', n);
        CHECK(shoal_utf8_valid(buf, n));
        for (size_t at = 0; at < n; at++) {
            buf[at] = (char)0x80;
            CHECK(!shoal_utf8_valid(buf, n));
            buf[at] = (char)0xff;
            CHECK(!shoal_utf8_valid(buf, n));
            buf[at] = 'a';
        }
    }
}

/* shoal_event_check's shortcut for the usual event (an id, ASCII names within their
 * limits) lets through only what its checks one by one do: each of id, member, type and
 * group, with the others usual, of every length to 256, ASCII or with a valid
 * two-byte letter or a bad byte at every place, and the time at its bounds. */
TEST(event_check_usual)
{
    static char buf[300];
    shoal_err err;
    for (int f = 0; f < 4; f++)
        for (uint32_t n = 0; n <= 256; n++)
            for (int kind = 0; kind < 3; kind++)
                for (uint32_t at = 0; at + (kind == 1) < (kind ? n : 1); at++) {
                    memset(buf, 'a', n);
                    if (kind == 1) buf[at] = (char)0xc3, buf[at + 1] = (char)0xa9;
                    if (kind == 2) buf[at] = (char)0x80;
                    shoal_event e = mk("e-1", 0, "m-1", "post");
                    e.group = S("g-1");
                    shoal_str v = {buf, n};
                    const char *what = f == 0 ? "id" : f == 1 ? "member" : f == 2 ? "type" : "group";
                    if (f == 0) e.id = v;
                    else if (f == 1) e.member = v;
                    else if (f == 2) e.type = v;
                    else e.group = v;
                    const char *want = n == 0 ? "empty" : n > 255 ? "longer than" : kind == 2 ? "UTF-8" : NULL;
                    shoal_err_clear(&err);
                    int rc = shoal_event_check(&e, &err);
                    if (want) CHECK(rc == SHOAL_EFORMAT && strstr(err.msg, want) && strstr(err.msg, what));
                    else CHECK(rc == SHOAL_OK);
                    if (want ? rc != SHOAL_EFORMAT : rc != SHOAL_OK) printf("  %s of %u bytes, kind %d at %u\n", what, n, kind, at);
                }
    shoal_event e = mk("e-1", SHOAL_TS_MIN, "m-1", "post");
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_OK);
    e.ts = SHOAL_TS_MIN - 1;
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_EFORMAT);
    e.ts = SHOAL_TS_MAX - 1;
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_OK);
    e.ts = SHOAL_TS_MAX;
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_EFORMAT);
    /* the properties are checked after the shortcut all the same */
    shoal_prop p = {.key = S("ts"), .kind = SHOAL_VAL_INT, .v.i = 1};
    e = mk("e-1", 0, "m-1", "post");
    e.props = &p;
    e.n_props = 1;
    CHECK_RC(shoal_event_check(&e, NULL), SHOAL_EFORMAT);
}

TEST(keys)
{
    unsigned char k1[SHOAL_MAX_KEY], k2[SHOAL_MAX_KEY];
    shoal_prop pa[2] = {{.key = S("a"), .kind = SHOAL_VAL_INT, .v.i = 2}, {.key = S("b"), .kind = SHOAL_VAL_BOOL, .v.b = 1}};
    shoal_prop pb[2] = {{.key = S("b"), .kind = SHOAL_VAL_BOOL, .v.b = 1}, {.key = S("a"), .kind = SHOAL_VAL_NUM, .v.d = 2.0}};
    shoal_event a = mk(NULL, 5, "m", "t"), b = mk(NULL, 5, "m", "t");
    a.props = pa, a.n_props = 2;
    b.props = pb, b.n_props = 2;
    CHECK(shoal_event_key(&a, k1) == 25 && shoal_event_key(&b, k2) == 25);
    CHECK(memcmp(k1, k2, 25) == 0);   /* order of props and 2 vs 2.0 do not matter */
    pb[1].v.d = 2.5;
    shoal_event_key(&b, k2);
    CHECK(memcmp(k1, k2, 25) != 0);
    /* Keys of id-less events sort by time, negative times first. */
    shoal_event early = mk(NULL, -5, "m", "t"), late = mk(NULL, 6, "m", "t");
    shoal_event_key(&early, k1);
    shoal_event_key(&late, k2);
    CHECK(memcmp(k1, k2, 25) < 0);
    /* Field boundaries are part of the key: "ab"+"c" differs from "a"+"bc". */
    shoal_event x = mk(NULL, 5, "ab", "c"), y = mk(NULL, 5, "a", "bc");
    shoal_event_key(&x, k1);
    shoal_event_key(&y, k2);
    CHECK(memcmp(k1, k2, 25) != 0);
    shoal_event i1 = mk("e-1", 5, "m", "t"), i2 = mk("e-1", 6, "other", "x");
    CHECK(shoal_event_key(&i1, k1) == 4 && shoal_event_key(&i2, k2) == 4);
    CHECK(memcmp(k1, k2, 4) == 0);   /* an id is the whole key */
}

TEST(append_and_read)
{
    unit_fresh_dir();
    shoal_db *db;
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_RDONLY, 0, &db, &err), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE, 0, &db, NULL), SHOAL_OK);
    shoal_prop p[3] = {{.key = S("words"), .kind = SHOAL_VAL_INT, .v.i = 640},
                       {.key = S("original"), .kind = SHOAL_VAL_BOOL, .v.b = 1},
                       {.key = S("title"), .kind = SHOAL_VAL_STR, .v.s = S("hi")}};
    shoal_event evs[4] = {mk("e-1", 1000, "m-1", "join"), mk("e-2", 2000, "m-1", "post"),
                          mk("e-1", 3000, "m-2", "join"), mk(NULL, 4000, "m-2", "like")};
    evs[1].props = p;
    evs[1].n_props = 3;
    evs[1].group = S("g-1");
    shoal_append_stats st;
    CHECK_RC(shoal_append(db, evs, 4, &st, NULL), SHOAL_OK);
    /* The second e-1 differs from the first: a conflict, not a duplicate. */
    CHECK(st.n_added == 3 && st.n_dup == 0 && st.n_conflict == 1 && st.first_seq == 1 && st.last_seq == 3);
    CHECK_RC(shoal_append(db, evs, 4, &st, NULL), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 3 && st.n_conflict == 1 && st.last_seq == 3);
    CHECK(unit_n_events(db) == 3);

    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK(shoal_dict_count(r, SHOAL_NS_MEMBER) == 2);
    CHECK(shoal_dict_count(r, SHOAL_NS_TYPE) == 3);
    shoal_rec rec;
    CHECK_RC(shoal_log_get(r, 2, &rec, NULL), SHOAL_OK);
    CHECK(rec.ts == 2000 && rec.group == 1);
    shoal_arena *a = shoal_arena_new();
    shoal_event back;
    CHECK_RC(shoal_rec_event(r, &rec, a, &back, NULL), SHOAL_OK);
    CHECK(back.member.len == 3 && memcmp(back.member.ptr, "m-1", 3) == 0);
    CHECK(back.n_props == 3);
    unsigned char k1[SHOAL_MAX_KEY], k2[SHOAL_MAX_KEY];
    size_t l1 = shoal_event_key(&evs[1], k1), l2 = shoal_event_key(&back, k2);
    CHECK(l1 == l2 && memcmp(k1, k2, l1) == 0);
    uint32_t id;
    CHECK_RC(shoal_dict_id(r, SHOAL_NS_TYPE, "post", 4, &id, NULL), SHOAL_OK);
    CHECK(id == rec.type);
    CHECK_RC(shoal_dict_id(r, SHOAL_NS_TYPE, "nope", 4, &id, NULL), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_log_get(r, 4, &rec, NULL), SHOAL_ENOTFOUND);

    /* A snapshot does not see what is appended after it was taken. */
    shoal_event more = mk("e-9", 9000, "m-3", "join");
    CHECK_RC(shoal_append(db, &more, 1, NULL, NULL), SHOAL_OK);
    CHECK(shoal_reader_last_seq(r) == 3);
    CHECK_RC(shoal_dict_id(r, SHOAL_NS_MEMBER, "m-3", 3, &id, NULL), SHOAL_ENOTFOUND);
    shoal_logcur *c;
    CHECK_RC(shoal_logcur_open(r, 2, &c, NULL), SHOAL_OK);
    int n = 0;
    while (shoal_logcur_next(c, &rec, NULL) == 1) n++;
    CHECK(n == 2);
    shoal_logcur_close(c);
    shoal_reader_close(r);
    shoal_arena_free(a);

    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_records == 4 && rep.n_ids == 4);
    shoal_db_close(db);

    /* Reopen read-only: appends are refused, data is there. */
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_RDONLY, 0, &db, NULL), SHOAL_OK);
    CHECK(unit_n_events(db) == 4);
    CHECK_RC(shoal_append(db, &more, 1, NULL, NULL), SHOAL_EINVAL);
    /* A type named by a query: the cache's id -> name array of the three types is
     * small (1024 slots of 16 bytes zeroed were 4 page faults of every process), and
     * grows for a larger id. */
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(shoal_dict_id(r, SHOAL_NS_TYPE, "like", 4, &id, NULL), SHOAL_OK);
    CHECK(shoal_dict_rev_room(db, SHOAL_NS_TYPE) > id && shoal_dict_rev_room(db, SHOAL_NS_TYPE) <= 64);
    shoal_str name;
    CHECK(shoal_dict_cached_str(db, SHOAL_NS_TYPE, id, &name) && name.len == 4 && !memcmp(name.ptr, "like", 4));
    shoal_reader_close(r);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(dup_after_clean_batch)
{
    /* The first batch has no duplicates, so the second is tried without lookups; its
     * one existing key must send it back to the lookups with nothing half-written. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_event a[2] = {mk("a", 1, "m-1", "join"), mk("b", 2, "m-2", "join")};
    shoal_event b[3] = {mk("c", 3, "m-3", "join"), mk("a", 1, "m-1", "join"), mk("d", 4, "m-4", "join")};
    shoal_append_stats st;
    CHECK_RC(shoal_append(db, a, 2, &st, NULL), SHOAL_OK);
    CHECK(st.n_added == 2 && st.n_dup == 0);
    CHECK_RC(shoal_append(db, b, 3, &st, NULL), SHOAL_OK);
    CHECK(st.n_added == 2 && st.n_dup == 1 && st.first_seq == 3 && st.last_seq == 4);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    shoal_rec rec;
    CHECK_RC(shoal_log_get(r, 3, &rec, NULL), SHOAL_OK);
    CHECK(rec.id.len == 1 && rec.id.ptr[0] == 'c');
    CHECK_RC(shoal_log_get(r, 4, &rec, NULL), SHOAL_OK);
    CHECK(rec.id.len == 1 && rec.id.ptr[0] == 'd');
    CHECK(shoal_dict_count(r, SHOAL_NS_MEMBER) == 4);
    shoal_reader_close(r);
    /* After a batch with duplicates, a clean one still goes in whole. */
    shoal_event c[1] = {mk("e", 5, "m-5", "join")};
    CHECK_RC(shoal_append(db, c, 1, &st, NULL), SHOAL_OK);
    CHECK(st.n_added == 1 && st.last_seq == 5);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_records == 5);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(ingest_rejects_not_input)
{
    /* The library refuses a reject file that is the input (here through a hard link)
     * or a file of the database, before reading: the input stays whole. */
    unit_fresh_dir();
    shoal_db *db;
    char in[300], lnk[300], data[300];
    snprintf(in, sizeof in, "%s/in.ndjson", unit_tmpdir);
    snprintf(lnk, sizeof lnk, "%s/link", unit_tmpdir);
    snprintf(data, sizeof data, "%s/db/data.mdb", unit_tmpdir);
    FILE *f = fopen(in, "w");
    if (!f) abort();
    fputs("{\"id\":\"a\",\"ts\":0,\"member\":\"m\",\"type\":\"t\"}\nbad\n", f);
    fclose(f);
    CHECK(link(in, lnk) == 0);
    char dbdir[300];
    snprintf(dbdir, sizeof dbdir, "%s/db", unit_tmpdir);
    CHECK_RC(shoal_db_open(dbdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_ingest_opts o = {.rejects_path = lnk};
    shoal_ingest_stats st;
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_ingest_file(db, in, &o, &st, &err), SHOAL_EINVAL);
    CHECK(strstr(err.msg, "is the input itself") && st.n_records == 0);
    struct stat sb;
    CHECK(stat(in, &sb) == 0 && sb.st_size == 46);
    o.rejects_path = data;
    shoal_err_clear(&err);
    CHECK_RC(shoal_ingest_file(db, in, &o, &st, &err), SHOAL_EINVAL);
    CHECK(strstr(err.msg, "is a file of the database") != NULL);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_records == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

/* shoal_zone_skip over the one range [lo, hi). */
static int skip1(shoal_reader *r, uint64_t seq, int64_t lo, int64_t hi, uint64_t *next)
{
    int64_t range[2] = {lo, hi};
    return shoal_zone_skip(r, seq, range, 1, next, NULL);
}

TEST(zone_map)
{
    /* Three blocks of events one second apart, in time order, except for one late
     * event in the second block dated before everything. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    enum { N = SHOAL_ZONE_BLOCK * 2 + 100 };
    static char ids[N][16];
    shoal_event *evs = malloc(N * sizeof *evs);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], 16, "z-%d", i);
        evs[i] = mk(ids[i], 1000000 + (int64_t)i * 1000, "m-1", "like");
    }
    evs[SHOAL_ZONE_BLOCK + 5].ts = 5;   /* late: lands in block 1 */
    /* Uneven batches, so that blocks are continued across transactions. */
    CHECK_RC(shoal_append(db, evs, 3000, NULL, NULL), SHOAL_OK);
    CHECK_RC(shoal_append(db, evs + 3000, N - 3000, NULL, NULL), SHOAL_OK);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint64_t next;
    int64_t t2 = 1000000 + (int64_t)(SHOAL_ZONE_BLOCK * 2 + 10) * 1000;   /* inside block 2 only */
    CHECK_RC(skip1(r, 1, t2, t2 + 1, &next), SHOAL_OK);
    CHECK(next == 2 * SHOAL_ZONE_BLOCK + 1);
    /* The late event widens block 1: a range before all on-time events skips block 0
     * (which starts at 1000000) but not block 1. */
    CHECK_RC(skip1(r, 1, 0, 10, &next), SHOAL_OK);
    CHECK(next == SHOAL_ZONE_BLOCK + 1);
    /* A range after everything skips to the end of the snapshot. */
    CHECK_RC(skip1(r, 1, INT64_MAX - 1, INT64_MAX, &next), SHOAL_OK);
    CHECK(next == N + 1);
    /* A range that block 0 meets: no skip. */
    CHECK_RC(skip1(r, 7, 1000000, 1000001, &next), SHOAL_OK);
    CHECK(next == 7);
    /* Two ranges: the first block either can meet. */
    int64_t two[4] = {INT64_MAX - 1, INT64_MAX, t2, t2 + 1};
    CHECK_RC(shoal_zone_skip(r, 1, two, 2, &next, NULL), SHOAL_OK);
    CHECK(next == 2 * SHOAL_ZONE_BLOCK + 1);
    /* The span of times is kept with the batches (zone.c, "zone_span"): of every
     * record, the late one included. */
    int64_t lo, hi, t_last = 1000000 + (int64_t)(N - 1) * 1000;
    uint64_t kseq;
    CHECK(shoal_zone_span_kept(db, r->txn, &lo, &hi, &kseq) && lo == 5 && hi == t_last && kseq == N);
    CHECK_RC(shoal_zone_earliest(r, &lo, NULL), SHOAL_OK);
    CHECK_RC(shoal_zone_latest(r, &hi, NULL), SHOAL_OK);
    CHECK(lo == 5 && hi == t_last);
    shoal_reader_close(r);

    /* A span left behind by a writer that does not keep it (an older shoal: that of the
     * first batch) is merged with the blocks after it by readers, and a batch makes it
     * whole again; a wrong span of the whole log is found by check. */
    MDB_txn *txn;
    int64_t span[3] = {1000000, 1000000 + 2999 * 1000, 3000};
    MDB_val sk = {9, "zone_span"}, sv = {24, span};
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_put(txn, db->dbi_meta, &sk, &sv, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(shoal_zone_earliest(r, &lo, NULL), SHOAL_OK);
    CHECK_RC(shoal_zone_latest(r, &hi, NULL), SHOAL_OK);
    CHECK(lo == 5 && hi == t_last);
    shoal_reader_close(r);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    span[1] = t_last - 1000, span[2] = N;   /* the whole log's, one second short */
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_put(txn, db->dbi_meta, &sk, &sv, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 1 && strstr(rep.first_problem, "kept span") != NULL);
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK_RC(shoal_zone_rebuild(db, txn, NULL), SHOAL_OK);
    CHECK(mdb_txn_commit(txn) == 0);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);

    /* A zone narrowed behind the engine's back is found by check. */
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    unsigned char kb[8], vb[16];
    shoal_be64_put(kb, 1);
    shoal_be64_put(vb, (uint64_t)2000000);
    shoal_be64_put(vb + 8, (uint64_t)2000001);
    MDB_val k = {8, kb}, v = {16, vb};
    CHECK(mdb_put(txn, db->dbi_zones, &k, &v, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 1 && strstr(rep.first_problem, "zone map block 1") != NULL);

    /* A database without a zone map (written before it existed) gets one from the log
     * at its next writable open. */
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_drop(txn, db->dbi_zones, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, 0, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    free(evs);
    unit_rm_dir();
}

/* The slot of time t in a block whose earliest time is min, with slots of 2^k ms. */
static uint64_t zone_slot(int64_t t, int64_t min, unsigned k)
{
    return (((uint64_t)t ^ (1ULL << 63)) >> k) - (((uint64_t)min ^ (1ULL << 63)) >> k);
}

/* The stored entry of a block holding the n times ts, worked out from its definition
 * (zone.c's header) and not by zone.c's incremental re-mapping: an entry kept up batch
 * by batch must come out byte for byte the same. */
static void zone_canon(const int64_t *ts, int n, unsigned char out[25])
{
    uint64_t umin = UINT64_MAX, umax = 0, bits = 0;
    for (int i = 0; i < n; i++) {
        uint64_t u = (uint64_t)ts[i] ^ (1ULL << 63);
        if (u < umin) umin = u;
        if (u > umax) umax = u;
    }
    unsigned k = 0;
    while ((umax >> k) - (umin >> k) >= 64) k++;
    for (int i = 0; i < n; i++) bits |= 1ULL << zone_slot(ts[i], (int64_t)(umin ^ (1ULL << 63)), k);
    shoal_be64_put(out, umin ^ (1ULL << 63));
    shoal_be64_put(out + 8, umax ^ (1ULL << 63));
    shoal_be64_put(out + 16, bits);
    out[24] = (unsigned char)k;
}

/* Block b's stored value into out (up to 32 bytes); its size, 0 when it has none. */
static size_t zone_get(shoal_db *db, uint64_t b, unsigned char *out)
{
    MDB_txn *txn;
    unsigned char kb[8];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v = {0, NULL};
    if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) return 0;
    if (mdb_get(txn, db->dbi_zones, &k, &v) || v.mv_size > 32) v.mv_size = 0;
    memcpy(out, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return v.mv_size;
}

static void zone_put(shoal_db *db, uint64_t b, const unsigned char *val, size_t n)
{
    MDB_txn *txn;
    unsigned char kb[8];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v = {n, (void *)val};
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_put(txn, db->dbi_zones, &k, &v, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
}

/* Appends the n times ts as one batch of events with ids "<tag>-<i>". */
static int zone_append(shoal_db *db, const char *tag, const int64_t *ts, int n)
{
    static char ids[4200][24];
    static shoal_event evs[4200];
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "%s-%d", tag, i);
        evs[i] = mk(ids[i], ts[i], "m-1", "like");
    }
    return shoal_append(db, evs, (size_t)n, NULL, NULL);
}

static int n_problems(shoal_db *db, const char *want)
{
    shoal_check_report rep;
    if (shoal_db_check(db, &rep, NULL)) return -1;
    if (want && (rep.n_problems == 0 || !strstr(rep.first_problem, want))) return -1;
    return (int)rep.n_problems;
}

TEST(zone_bitmap)
{
    /* One block with events at two times ten days apart: a range between them meets
     * its span, and only the bitmap can tell that nothing is there. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    db->has_zfine = false;   /* the slots alone here (zone_fine tests the fine lists) */
    const int64_t t0 = 1700000000000LL, t1 = t0 + 10 * 86400000LL;
    int64_t ts[4200];
    for (int i = 0; i < 100; i++) ts[i] = i < 50 ? t0 + i : t1 + i;
    /* and a few in between, so that a range can span them from empty slot to empty slot */
    const int64_t tc = t0 + 5 * 86400000LL / 2;
    for (int i = 0; i < 10; i++) ts[40 + i] = tc + i;
    CHECK_RC(zone_append(db, "a", ts, 100), SHOAL_OK);
    unsigned char got[32], want[25];
    zone_canon(ts, 100, want);
    CHECK(zone_get(db, 0, got) == 25 && memcmp(got, want, 25) == 0);
    CHECK(n_problems(db, NULL) == 0);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint64_t next;
    const int64_t mid = t0 + 5 * 86400000LL;
    CHECK_RC(skip1(r, 1, mid, mid + 1, &next), SHOAL_OK);
    CHECK(next == 101);   /* inside the span, but on empty slots */
    CHECK_RC(skip1(r, 1, t1 + 60, t1 + 61, &next), SHOAL_OK);
    CHECK(next == 1);     /* an event's own millisecond */
    CHECK_RC(skip1(r, 1, mid, t1 + 51, &next), SHOAL_OK);
    CHECK(next == 1);     /* empty slots up to the last, which is occupied */
    /* Every probe, against the definition: skipped exactly when the slots of the range's
     * part inside the span are all empty, and never over an event in the range. */
    uint64_t bits = shoal_be64_get(want + 16);
    unsigned k = want[24];
    int n_skipped = 0, n_between = 0;
    for (int64_t lo = t0 - 86400000LL; lo < t1 + 86400000LL; lo += 7777777) {
        for (int64_t w = 1; w < 400000000; w *= 13) {
            int64_t a = lo > t0 ? lo : t0, b = lo + w - 1 < t1 + 99 ? lo + w - 1 : t1 + 99;
            int occupied = 0, inside = 0;
            for (int64_t s = a; s <= b && !occupied; s += (int64_t)1 << k) occupied = bits >> zone_slot(s, t0, k) & 1;
            if (a <= b) occupied |= bits >> zone_slot(b, t0, k) & 1;
            for (int i = 0; i < 100; i++) inside |= ts[i] >= lo && ts[i] < lo + w;
            CHECK_RC(skip1(r, 1, lo, lo + w, &next), SHOAL_OK);
            CHECK(next == (occupied ? 1 : 101));
            CHECK(!inside || next == 1);
            n_skipped += next == 101 && a <= b;
            n_between += a <= b && occupied && !(bits >> zone_slot(a, t0, k) & 1) && !(bits >> zone_slot(b, t0, k) & 1);
        }
    }
    /* Many probes met the span and were skipped all the same; some began and ended on
     * empty slots with an occupied one between. */
    CHECK(n_skipped > 100 && n_between > 0);
    shoal_reader_close(r);

    /* A 16-byte entry (from before the bitmap) has only its span: a range inside it is
     * never skipped, check accepts it, and a batch into its block keeps it 16 bytes. */
    unsigned char legacy[16];
    memcpy(legacy, want, 16);
    zone_put(db, 0, legacy, 16);
    CHECK(n_problems(db, NULL) == 0);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(skip1(r, 1, mid, mid + 1, &next), SHOAL_OK);
    CHECK(next == 1);
    CHECK_RC(skip1(r, 1, t1 + 100, t1 + 200, &next), SHOAL_OK);
    CHECK(next == 101);   /* past its span it is skipped as before */
    int64_t earliest;
    CHECK_RC(shoal_zone_earliest(r, &earliest, NULL), SHOAL_OK);
    CHECK(earliest == t0);
    shoal_reader_close(r);
    ts[100] = t0 - 86400000LL;
    CHECK_RC(zone_append(db, "b", ts + 100, 1), SHOAL_OK);
    CHECK(zone_get(db, 0, got) == 16 && (int64_t)shoal_be64_get(got) == ts[100] &&
          (int64_t)shoal_be64_get(got + 8) == t1 + 99);
    CHECK(n_problems(db, NULL) == 0);
    /* A rebuilt map has the bitmap again. */
    MDB_txn *txn;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK_RC(shoal_zone_rebuild(db, txn, NULL), SHOAL_OK);
    CHECK(mdb_txn_commit(txn) == 0);
    zone_canon(ts, 101, want);
    CHECK(zone_get(db, 0, got) == 25 && memcmp(got, want, 25) == 0);
    /* So does a database whose map is of the 16-byte form at its next writable open;
     * a read-only open leaves it. */
    zone_put(db, 0, legacy, 16);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_RDONLY, 0, &db, NULL), SHOAL_OK);
    db->has_zfine = false;   /* the slots alone here (zone_fine tests the fine lists) */
    CHECK(zone_get(db, 0, got) == 16);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    db->has_zfine = false;   /* the slots alone here (zone_fine tests the fine lists) */
    CHECK(zone_get(db, 0, got) == 25 && memcmp(got, want, 25) == 0);
    shoal_db_close(db);
    unit_rm_dir();

    /* A block filled over several batches, late events and all, is stored as if
     * computed from scratch after each: same slots (the base moving down at the same
     * width, 2^11 ms), wider slots (a later event, then an earlier one), then a block
     * that spills into the next. */
    unit_fresh_dir();
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    db->has_zfine = false;   /* the slots alone here (zone_fine tests the fine lists) */
    int n = 0, k_first = -1;
    for (int i = 0; i < 100; i++) ts[n++] = t0 + i * 1000;
    for (int i = 0; i < 20; i++) ts[n++] = i % 2 ? t0 + i * 333 : t0 - 5000 + i * 10;
    ts[n++] = t0 + 3 * 86400000LL;
    ts[n++] = t0 + 17;
    ts[n++] = t0 - 40 * 86400000LL;
    for (int i = 0; i < 4096 - 123 + 10; i++) ts[n++] = t0 + 4 * 86400000LL + i * 50 - (i % 97 == 0) * 86400000LL;
    const int at[] = {100, 120, 122, 123, n};
    for (int step = 0, from = 0; step < 5; from = at[step++]) {
        char tag[8];
        snprintf(tag, sizeof tag, "c%d", step);
        CHECK_RC(zone_append(db, tag, ts + from, at[step] - from), SHOAL_OK);
        zone_canon(ts, at[step] < 4096 ? at[step] : 4096, want);
        CHECK(zone_get(db, 0, got) == 25 && memcmp(got, want, 25) == 0);
        CHECK(n_problems(db, NULL) == 0);
        if (step == 0) k_first = got[24];
        if (step == 1) CHECK(got[24] == k_first && k_first == 11);
        if (step == 2) CHECK(got[24] > k_first);
    }
    zone_canon(ts + 4096, n - 4096, want);
    CHECK(zone_get(db, 1, got) == 25 && memcmp(got, want, 25) == 0);
    /* shoal_zone_compute agrees. */
    uint64_t n_blocks;
    shoal_zone *zs;
    CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
    CHECK_RC(shoal_zone_compute(db, txn, &n_blocks, &zs, NULL, NULL), SHOAL_OK);
    mdb_txn_abort(txn);
    CHECK(n_blocks == 2);
    CHECK(zs[1].exact && zs[1].min == (int64_t)shoal_be64_get(want) && zs[1].max == (int64_t)shoal_be64_get(want + 8) &&
          zs[1].bits == shoal_be64_get(want + 16) && zs[1].k == want[24]);
    shoal_free(zs);

    /* Damage, found by check: an occupied slot cleared (which would skip its events),
     * the slot width changed (to another, to an impossible 2^200 ms), a value of the
     * wrong size. A block whose entry cannot be believed is scanned. */
    unsigned char good[25], bad[25];
    CHECK(zone_get(db, 0, good) == 25);
    const int64_t gap = t0 - 20 * 86400000LL;   /* in block 0's span, between its events */
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(skip1(r, 1, gap, gap + 1, &next), SHOAL_OK);
    CHECK(next == (uint64_t)n + 1);
    shoal_reader_close(r);
    uint64_t gb = shoal_be64_get(good + 16);
    int top = 63 - __builtin_clzll(gb), mid_bit = 0;
    for (int i = 1; i < top && !mid_bit; i++)
        if (gb >> i & 1) mid_bit = i;
    CHECK(mid_bit > 0);
    memcpy(bad, good, 25);
    shoal_be64_put(bad + 16, gb & ~(1ULL << mid_bit));
    zone_put(db, 0, bad, 25);
    CHECK(n_problems(db, "zone map block 0 marks slots") == 1);
    memcpy(bad, good, 25);
    bad[24]++;
    zone_put(db, 0, bad, 25);
    CHECK(n_problems(db, "zone map block 0 marks slots") == 1);
    memcpy(bad, good, 25);
    bad[24] = 200;
    zone_put(db, 0, bad, 25);
    CHECK(n_problems(db, "zone map block 0 marks slots") == 1);
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    CHECK_RC(skip1(r, 1, gap, gap + 1, &next), SHOAL_OK);
    CHECK(next == 1);
    shoal_reader_close(r);
    zone_put(db, 0, good, 20);
    CHECK(n_problems(db, "zone map entry for block 0 is 20 bytes") == 1);
    zone_put(db, 0, good, 25);
    CHECK(n_problems(db, NULL) == 0);
    /* A batch into a block whose entry cannot be believed (slots past its span, slots
     * of 2^200 ms) leaves it as it is, for check to report (its span now short of the
     * new event). */
    for (int damage = 0; damage < 2; damage++) {
        CHECK(zone_get(db, 1, good) == 25);
        memcpy(bad, good, 25);
        if (damage == 0) bad[16] |= 0x80;   /* bit 63: the span has fewer slots */
        else bad[24] = 200;
        CHECK(memcmp(bad, good, 25) != 0);
        zone_put(db, 1, bad, 25);
        ts[n] = t0 + (5 + damage) * 86400000LL;
        CHECK_RC(zone_append(db, damage ? "d1" : "d0", ts + n, 1), SHOAL_OK);
        n++;
        CHECK(zone_get(db, 1, got) == 25 && memcmp(got, bad, 25) == 0);
        CHECK(n_problems(db, "zone map block 1 spans") == 1);
        zone_canon(ts + 4096, n - 4096, want);
        zone_put(db, 1, want, 25);
        CHECK(n_problems(db, NULL) == 0);
    }
    shoal_db_close(db);
    unit_rm_dir();

    /* The width is the smallest that fits: 64 slots of 1 ms hold t0 .. t0 + 63 (t0 a
     * multiple of 64), one more millisecond either way needs 2 ms slots. */
    unit_fresh_dir();
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    db->has_zfine = false;   /* the slots alone here (zone_fine tests the fine lists) */
    CHECK(t0 % 64 == 0);
    int64_t edge[] = {t0 + 63, t0, t0 + 64, t0 - 1};
    CHECK_RC(zone_append(db, "e1", edge, 2), SHOAL_OK);
    CHECK(zone_get(db, 0, got) == 25 && got[24] == 0 && shoal_be64_get(got + 16) == (1ULL | 1ULL << 63));
    CHECK_RC(zone_append(db, "e2", edge + 2, 1), SHOAL_OK);
    CHECK(zone_get(db, 0, got) == 25 && got[24] == 1 && shoal_be64_get(got + 16) == (1ULL | 1ULL << 31 | 1ULL << 32));
    CHECK_RC(zone_append(db, "e3", edge + 3, 1), SHOAL_OK);
    zone_canon(edge, 4, want);
    CHECK(zone_get(db, 0, got) == 25 && memcmp(got, want, 25) == 0 && got[24] == 1);
    CHECK(n_problems(db, NULL) == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

/* The fine entry of a block whose records have the n times ts (in sequence order),
 * worked out from its definition (zone.c's header): a record more than 2^16 ms before
 * the latest of the records before it is late; with more than 256 late ones, none is
 * (the flag 0x80); the other records' distinct t >> s (t's sign bit flipped) for the
 * least s >= 10 with at most 256; then the late ones, their offsets and t >> 10. The
 * granules go to g (m of them, at s) and the late times to late (n_late). */
static int zfine_late_off[4096];   /* the late ones' offsets, from zfine_canon */

static size_t zfine_canon(const int64_t *ts, int n, unsigned char *out, unsigned *s_out, uint64_t *g, size_t *m_out,
                          int64_t *late, int *n_late)
{
    static int is_late[4096];
    int64_t mx = INT64_MIN;
    int nl = 0;
    for (int i = 0; i < n; i++) {
        is_late[i] = mx != INT64_MIN && ts[i] < mx - 65536;
        nl += is_late[i];
        if (ts[i] > mx) mx = ts[i];
    }
    int over = nl > 256;
    if (over) {
        for (int i = 0; i < n; i++) is_late[i] = 0;
        nl = 0;
    }
    unsigned s = 10;
    size_t m;
    for (;; s++) {
        m = 0;
        for (int i = 0; i < n; i++) {
            if (is_late[i]) continue;
            uint64_t x = ((uint64_t)ts[i] ^ (1ULL << 63)) >> s;
            size_t j = 0;
            while (j < m && g[j] != x) j++;
            if (j == m) g[m++] = x;
        }
        if (m <= 256) break;
    }
    for (size_t i = 1; i < m; i++)   /* insertion sort */
        for (size_t j = i; j > 0 && g[j] < g[j - 1]; j--) {
            uint64_t t = g[j];
            g[j] = g[j - 1], g[j - 1] = t;
        }
    size_t o = 0;
    out[o++] = (unsigned char)(s | (over ? 0x80 : 0));
    o += shoal_varint_put(out + o, m);
    for (size_t i = 0; i < m; i++) o += shoal_varint_put(out + o, i ? g[i] - g[i - 1] : g[0]);
    o += shoal_varint_put(out + o, (uint64_t)nl);
    int k = 0, prev_off = 0;
    uint64_t prev_g = 0;
    for (int i = 0; i < n; i++) {
        if (!is_late[i]) continue;
        uint64_t x = ((uint64_t)ts[i] ^ (1ULL << 63)) >> 10;
        o += shoal_varint_put(out + o, k ? (uint64_t)(i - prev_off) : (uint64_t)i);
        o += shoal_varint_put(out + o, k ? shoal_zigzag((int64_t)(x - prev_g)) : x);
        prev_off = i, prev_g = x;
        zfine_late_off[k] = i;
        late[k++] = ts[i];
    }
    *n_late = k;
    *s_out = s;
    *m_out = m;
    return o;
}

static size_t zfine_get(shoal_db *db, uint64_t b, unsigned char *out)
{
    MDB_txn *txn;
    unsigned char kb[8];
    shoal_be64_put(kb, b);
    MDB_val k = {8, kb}, v = {0, NULL};
    if (!db->has_zfine || mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) return 0;
    if (mdb_get(txn, db->dbi_zfine, &k, &v) || v.mv_size > 8000) v.mv_size = 0;
    if (v.mv_size) memcpy(out, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return v.mv_size;
}

/* The zone map's prefix maxima (zone.c, zpm_first): a walk jumps the blocks whose
 * times all come before the ranges, and a block of old events appended after newer
 * ones (block 3 here) is still found, and only where it may hold a match. */
TEST(zone_prefix_max)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    enum { B = SHOAL_ZONE_BLOCK };
    static const int64_t base[] = {1000000, 2000000, 3000000, 500000, 4000000, 5000000};
    int64_t *ts = malloc(B * sizeof *ts);
    char tag[16];
    for (int b = 0; b < 6; b++) {
        for (int i = 0; i < B; i++) ts[i] = base[b] + i;
        snprintf(tag, sizeof tag, "p%d", b);
        CHECK_RC(zone_append(db, tag, ts, B), SHOAL_OK);
    }
    for (int i = 0; i < 100; i++) ts[i] = 6000000 + i;   /* block 6, partial */
    CHECK_RC(zone_append(db, "p6", ts, 100), SHOAL_OK);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint64_t next, last = 6 * B + 100;
    /* each block's own times, first and again (the maxima then made) */
    for (int round = 0; round < 2; round++) {
        CHECK_RC(skip1(r, 1, 4000010, 4000011, &next), SHOAL_OK);
        CHECK(next == 4 * B + 1);
        CHECK_RC(skip1(r, 1, 5000010, 5000011, &next), SHOAL_OK);
        CHECK(next == 5 * B + 1);
        /* below every later block's times: block 1, not a block after the old one */
        CHECK_RC(skip1(r, 1, 2000500, 2000501, &next), SHOAL_OK);
        CHECK(next == B + 1);
        /* the old block, behind three newer ones */
        CHECK_RC(skip1(r, 1, 500010, 500011, &next), SHOAL_OK);
        CHECK(next == 3 * B + 1);
        /* the partial block, which the maxima do not cover */
        CHECK_RC(skip1(r, 1, 6000010, 6000011, &next), SHOAL_OK);
        CHECK(next == 6 * B + 1);
        /* after everything: the snapshot's end */
        CHECK_RC(skip1(r, 1, 7000000, 7000001, &next), SHOAL_OK);
        CHECK(next == last + 1);
        /* from inside block 2, for a range of block 1: nothing after it */
        CHECK_RC(skip1(r, 2 * B + 7, 2000500, 2000501, &next), SHOAL_OK);
        CHECK(next == last + 1);
        /* a range block 0 meets: no skip */
        CHECK_RC(skip1(r, 5, 1000100, 1000101, &next), SHOAL_OK);
        CHECK(next == 5);
    }
    /* A newer snapshot extends them; the older reader's answers stay its own. */
    for (int i = 0; i < B; i++) ts[i] = 8000000 + i;
    CHECK_RC(zone_append(db, "p7", ts, B), SHOAL_OK);   /* completes block 6, fills most of 7 */
    shoal_reader *r2;
    CHECK_RC(shoal_reader_open(db, &r2, NULL), SHOAL_OK);
    CHECK_RC(skip1(r2, 1, 8000000 + B - 1, 8000000 + B, &next), SHOAL_OK);
    CHECK(next == 7 * B + 1);
    /* block 6 was partial when the maxima were first made: its newer events are found */
    CHECK_RC(skip1(r2, 1, 8000000, 8000001, &next), SHOAL_OK);
    CHECK(next == 6 * B + 1);
    CHECK_RC(skip1(r, 1, 8000000, 8000001, &next), SHOAL_OK);
    CHECK(next == last + 1);
    CHECK_RC(skip1(r, 1, 6000010, 6000011, &next), SHOAL_OK);
    CHECK(next == 6 * B + 1);
    shoal_reader_close(r2);
    shoal_reader_close(r);
    free(ts);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(zone_fine_unordered)
{
    /* Blocks whose in-order records are out of order among themselves (times jittered
     * by up to a minute, inside the 2^16 ms that makes a record late), whose records
     * are shuffled over days (more than 256 late: none apart), and whose batches each
     * go down a minute one second at a time, each record its own granule: the append
     * sorts each batch's granules with what the block stored (zone.c's zf_sort, by
     * insertion or, past its budget, qsort), and the entry after every batch is still
     * what the definition gives. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    const int64_t t0 = 1700000000000LL;
    static int64_t ts[3][4096], late[4096];
    static unsigned char got[8000], want[8000];
    static uint64_t g[4096];
    uint32_t rnd = 777;
    for (int i = 0; i < 4096; i++) {
        rnd = rnd * 1103515245u + 12345u;
        ts[0][i] = t0 + (int64_t)i * 20000 + (int64_t)((rnd >> 8) % 60000u);   /* jittered */
        rnd = rnd * 1103515245u + 12345u;
        ts[1][i] = t0 + (int64_t)((rnd >> 4) % 259200000u);                   /* shuffled over 3 days */
        /* runs of 59 going down, each its own granule of 2^10 ms, then the last one's
         * 4096 - 3 * 59 records, each its own granule at 2^20 ms */
        ts[2][i] = i < 177 ? t0 + (i / 59) * 200000 + 64900 - (int64_t)(i % 59) * 1100
                           : t0 + 1000000000 + (int64_t)(4096 - i) * 1100000;
    }
    const int at[3][6] = {{1, 700, 2000, 2001, 4096}, {1, 700, 2000, 2001, 4096}, {59, 118, 177, 3000, 4096}};
    for (int blk = 0; blk < 3; blk++)
        for (int step = 0, from = 0; step < 5; from = at[blk][step++]) {
            char tag[16];
            unsigned s;
            size_t m;
            int n_late;
            snprintf(tag, sizeof tag, "u%d-%d", blk, step);
            CHECK_RC(zone_append(db, tag, ts[blk] + from, at[blk][step] - from), SHOAL_OK);
            size_t n = zfine_canon(ts[blk], at[blk][step], want, &s, g, &m, late, &n_late);
            CHECK(zfine_get(db, (uint64_t)blk, got) == n && memcmp(got, want, n) == 0);
            if (blk == 2 && step == 2) CHECK(s == 10 && m == 177 && n_late == 0);
            if (step == 4) CHECK(blk == 0 ? n_late == 0 && s > 10 && m > 100 : (want[0] & 0x80) != 0);
        }
    CHECK(n_problems(db, NULL) == 0);
    shoal_db_close(db);
}

TEST(zone_fine)
{
    /* One block of in-order events over four hours with 2% late ones, up to three days
     * late (as `shoal gen` makes them), appended over several batches: its slots are
     * hours wide, its fine list is what the definition gives after every batch, and a
     * range skips the block exactly when no granule meets it, never over an event. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK(db->has_zfine);
    const int64_t t0 = 1700000000000LL;
    static int64_t ts[4096], late[4096];
    static unsigned char got[8000], want[8000];
    static uint64_t g[4096];
    unsigned s = 0;
    size_t m = 0;
    int n_late = 0;
    uint32_t rnd = 12345;
    for (int i = 0; i < 4096; i++) {
        rnd = rnd * 1103515245u + 12345u;
        ts[i] = t0 + (int64_t)i * 3500;   /* 4 hours */
        if ((rnd >> 16) % 50 == 0) ts[i] -= (int64_t)(rnd % 259200u) * 1000;
    }
    const int at[] = {1, 700, 2000, 2001, 4096};
    for (int step = 0, from = 0; step < 5; from = at[step++]) {
        char tag[16];
        snprintf(tag, sizeof tag, "f%d", step);
        CHECK_RC(zone_append(db, tag, ts + from, at[step] - from), SHOAL_OK);
        size_t n = zfine_canon(ts, at[step], want, &s, g, &m, late, &n_late);
        CHECK(zfine_get(db, 0, got) == n && memcmp(got, want, n) == 0);
        CHECK(n_problems(db, NULL) == 0);
    }
    CHECK(s > 10);          /* coarsened: more than 256 granules of 2^10 ms */
    CHECK(n_late > 40);     /* its late events apart */
    unsigned char zb[32];
    CHECK(zone_get(db, 0, zb) == 25 && zb[24] >= 22);   /* slots of 2^22 ms and more: over an hour */
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    int n_fine = 0, n_picked = 0;
    for (int64_t lo = t0 - 3 * 86400000LL; lo < t0 + 5 * 3600000LL; lo += 3333331) {
        for (int64_t w = 1; w < 30000000; w *= 7) {
            uint64_t a = ((uint64_t)lo ^ (1ULL << 63)) >> s, b = ((uint64_t)(lo + w - 1) ^ (1ULL << 63)) >> s;
            int meets = 0, inside = 0;
            int core = 0, want_picks[4096], n_want = 0;
            for (size_t j = 0; j < m; j++) core |= g[j] >= a && g[j] <= b;
            meets = core;
            for (int j = 0; j < n_late; j++)
                if ((((uint64_t)late[j] ^ (1ULL << 63)) >> 10) >= (((uint64_t)lo ^ (1ULL << 63)) >> 10) &&
                    (((uint64_t)late[j] ^ (1ULL << 63)) >> 10) <= (((uint64_t)(lo + w - 1) ^ (1ULL << 63)) >> 10))
                    meets = 1, want_picks[n_want++] = zfine_late_off[j];
            for (int i = 0; i < 4096; i++) inside |= ts[i] >= lo && ts[i] < lo + w;
            /* and the slots (zone_bitmap) */
            int64_t zmin = (int64_t)shoal_be64_get(zb), zmax = (int64_t)shoal_be64_get(zb + 8);
            int64_t ca = lo > zmin ? lo : zmin, cb = lo + w - 1 < zmax ? lo + w - 1 : zmax;
            uint64_t bits = shoal_be64_get(zb + 16);
            int occupied = 0;
            for (int64_t t = ca; t <= cb && !occupied; t += (int64_t)1 << zb[24]) occupied = bits >> zone_slot(t, zmin, zb[24]) & 1;
            if (ca <= cb) occupied |= bits >> zone_slot(cb, zmin, zb[24]) & 1;
            uint64_t next;
            CHECK_RC(skip1(r, 1, lo, lo + w, &next), SHOAL_OK);
            CHECK(next == (meets && occupied ? 1 : 4097));
            CHECK(!inside || next == 1);
            n_fine += occupied && !meets;
            /* A scan that reads single records gets the late events alone when the
             * in-order ones miss the range. */
            uint16_t picks[SHOAL_ZONE_PICKS];
            int np = -1;
            int64_t range[2] = {lo, lo + w};
            CHECK_RC(shoal_zone_skip_picks(r, 1, range, 1, &next, picks, &np, NULL, NULL, NULL), SHOAL_OK);
            CHECK(next == (meets && occupied ? 1 : 4097));
            CHECK(np == (occupied && !core ? n_want : 0));
            for (int j = 0; j < np && j < n_want; j++) CHECK(picks[j] == want_picks[j]);
            n_picked += np > 0;
        }
    }
    CHECK(n_fine > 100);   /* skipped although the range lies inside the block's span */
    CHECK(n_picked > 10);  /* ranges met by late events alone */
    shoal_reader_close(r);
    /* Damage, found by check: the last granule moved. */
    size_t n = zfine_get(db, 0, got);
    CHECK(n > 0);
    MDB_txn *txn;
    {
        unsigned char bad[8000];
        memcpy(bad, got, n);
        bad[n - 1] ^= 1;
        unsigned char kb[8];
        shoal_be64_put(kb, 0);
        MDB_val k = {8, kb}, v = {n, bad};
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_put(txn, db->dbi_zfine, &k, &v, 0) == 0);
        CHECK(mdb_txn_commit(txn) == 0);
        CHECK(n_problems(db, "fine list") == 1);
    }
    /* A rebuild puts it right; so does a writable open of a database without the lists
     * (an older one), which then says format 4, so that a shoal of format 3, which would
     * leave the lists behind its appends, refuses it. */
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK_RC(shoal_zone_rebuild(db, txn, NULL), SHOAL_OK);
    CHECK(mdb_txn_commit(txn) == 0);
    CHECK(zfine_get(db, 0, got) == n && n_problems(db, NULL) == 0);
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(mdb_drop(txn, db->dbi_zfine, 1) == 0);   /* the table itself */
    CHECK(shoal_meta_put(db, txn, "format", "3", 1, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_RDONLY, 0, &db, NULL), SHOAL_OK);
    CHECK(zfine_get(db, 0, got) == 0 && n_problems(db, NULL) == 0);   /* read-only: left as it is */
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK(zfine_get(db, 0, got) == n && n_problems(db, NULL) == 0);
    {
        MDB_val v;
        CHECK(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) == 0);
        CHECK(shoal_meta_get(db, txn, "format", &v) == 0 && v.mv_size == 1 && ((char *)v.mv_data)[0] == '4');
        mdb_txn_abort(txn);
    }
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(map_grows)
{
    unit_fresh_dir();
    shoal_db *db;
    /* 64 KiB of map holds a few pages: the batches below must grow it many times. */
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 65536, &db, NULL), SHOAL_OK);
    size_t before = shoal_db_map_size(db);
    enum { N = 20000 };
    static char ids[N][16], members[N][16];
    shoal_event *evs = malloc(N * sizeof *evs);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], 16, "e-%d", i);
        snprintf(members[i], 16, "m-%d", i % 5000);
        evs[i] = mk(ids[i], 1000 + i, members[i], i % 3 ? "like" : "post");
    }
    shoal_append_stats st;
    for (int b = 0; b < N; b += 5000) {
        shoal_err err;
        shoal_err_clear(&err);
        CHECK_RC(shoal_append(db, evs + b, 5000, &st, &err), SHOAL_OK);
        CHECK(st.n_added == 5000);
    }
    CHECK(shoal_db_map_size(db) > before);
    CHECK(unit_n_events(db) == N);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_strings[SHOAL_NS_MEMBER] == 5000);
    shoal_db_close(db);
    free(evs);
    unit_rm_dir();
}

TEST(check_detects_damage)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE, 0, &db, NULL), SHOAL_OK);
    shoal_event evs[2] = {mk("e-1", 1000, "m-1", "join"), mk("e-2", 2000, "m-2", "join")};
    CHECK_RC(shoal_append(db, evs, 2, NULL, NULL), SHOAL_OK);
    /* Remove one id index entry behind the engine's back. */
    MDB_txn *txn;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    unsigned char key[SHOAL_MAX_KEY];
    MDB_val k = {shoal_event_key(&evs[1], key), key};
    CHECK(mdb_del(txn, db->dbi_ids, &k, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems >= 1);
    CHECK(strstr(rep.first_problem, "record 2") != NULL);
    shoal_db_close(db);
    unit_rm_dir();
}

/* Appends ids prefix+from .. prefix+to (one batch, in order; time = the number,
 * type "join" or, with other, "leave": a conflict when stored as "join"). */
static int append_ids(shoal_db *db, const char *prefix, int from, int to, bool other, shoal_append_stats *st)
{
    static char ids[4096][24];
    shoal_event evs[4096];
    int n = 0;
    for (int i = from; i <= to && n < 4096; i++, n++) {
        snprintf(ids[n], sizeof ids[n], "%s%d", prefix, i);
        evs[n] = mk(ids[n], i, "m-1", other ? "leave" : "join");
    }
    return shoal_append(db, evs, (size_t)n, st, NULL);
}

/* The sequence of id's key, or 0 when the index has none. */
static uint64_t id_seq(shoal_db *db, const char *id)
{
    shoal_event ev = mk(id, 0, "m", "t");
    unsigned char key[SHOAL_MAX_KEY];
    size_t klen = shoal_db_event_key(db, &ev, key);
    shoal_reader *r;
    uint64_t seq = 0;
    if (shoal_reader_open(db, &r, NULL)) return 0;
    if (shoal_ids_get(r, key, klen, &seq, NULL) != SHOAL_OK) seq = 0;
    shoal_reader_close(r);
    return seq;
}

static int db_format(shoal_db *db)
{
    MDB_txn *txn;
    MDB_val v;
    char buf[16] = {0};
    if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) return -1;
    if (shoal_meta_get(db, txn, "format", &v) == 0 && v.mv_size < sizeof buf) memcpy(buf, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return atoi(buf);
}

static uint64_t id_entries(shoal_db *db)
{
    MDB_txn *txn;
    MDB_stat st = {0};
    if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) return 0;
    mdb_stat(txn, db->dbi_ids, &st);
    mdb_txn_abort(txn);
    return st.ms_entries;
}

TEST(id_runs)
{
    /* Consecutive counter ids at consecutive sequences are one entry of the id index
     * (format 8); every id inside a run is found, and is a duplicate when it comes
     * again, whether the run is the index's last entry or not. */
    unit_fresh_dir();
    shoal_db *db;
    shoal_append_stats st;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    /* a single entry: format 7 as a new database's */
    CHECK_RC(append_ids(db, "e-", 10, 10, false, &st), SHOAL_OK);
    CHECK(st.n_added == 1 && id_entries(db) == 1 && db_format(db) == 7);
    /* the entry grows into a run: format 8 */
    CHECK_RC(append_ids(db, "e-", 11, 200, false, &st), SHOAL_OK);
    CHECK(st.n_added == 190 && id_entries(db) == 1 && db_format(db) == 8);
    CHECK(id_seq(db, "e-10") == 1 && id_seq(db, "e-150") == 141 && id_seq(db, "e-200") == 191);
    CHECK(id_seq(db, "e-201") == 0 && id_seq(db, "e-9") == 0 && id_seq(db, "x-150") == 0);
    /* a duplicate inside the last run (tried without lookups: the last batch had none),
     * then a conflict there */
    CHECK_RC(append_ids(db, "e-", 150, 150, false, &st), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1);
    CHECK_RC(append_ids(db, "e-", 199, 199, true, &st), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_conflict == 1);
    /* after a duplicate the next batch looks its keys up: the run's end is new */
    CHECK_RC(append_ids(db, "e-", 195, 205, false, &st), SHOAL_OK);
    CHECK(st.n_added == 5 && st.n_dup == 6 && id_entries(db) == 1);
    CHECK(id_seq(db, "e-205") == 196);
    /* a longer prefix (e-A10's key sorts between e-65's and e-66's): the run before it
     * still covers e-100, for the lookup and for a key past the index's last */
    CHECK_RC(append_ids(db, "e-A", 10, 12, false, &st), SHOAL_OK);
    CHECK(st.n_added == 3 && id_entries(db) == 2);
    CHECK(id_seq(db, "e-100") == 91 && id_seq(db, "e-A11") == 198);
    CHECK_RC(append_ids(db, "e-", 100, 100, false, &st), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1);
    CHECK_RC(append_ids(db, "e-", 120, 120, false, &st), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1);
    /* another run after the first; then ids of the first again, now not the last */
    CHECK_RC(append_ids(db, "x-", 1000, 3000, false, &st), SHOAL_OK);
    CHECK(st.n_added == 2001 && id_entries(db) == 3);
    CHECK_RC(append_ids(db, "e-", 100, 100, false, &st), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1);
    CHECK_RC(append_ids(db, "e-", 180, 210, false, &st), SHOAL_OK);
    CHECK(st.n_added == 5 && st.n_dup == 26);
    CHECK(id_seq(db, "e-206") == 2201 && id_seq(db, "e-210") == 2205);
    CHECK_RC(append_ids(db, "x-", 2990, 3010, false, &st), SHOAL_OK);
    CHECK(st.n_added == 10 && st.n_dup == 11 && id_seq(db, "x-3010") == 2215);
    /* widths: e-250 .. e-300 crosses a byte (255 → 256), two entries */
    CHECK_RC(append_ids(db, "w-", 250, 300, false, &st), SHOAL_OK);
    CHECK(st.n_added == 51 && id_seq(db, "w-255") == 2221 && id_seq(db, "w-256") == 2222);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_records == 2266 && rep.n_ids == 2266);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(id_runs_random)
{
    /* Batches of ids from three prefixes (e-A's keys sort inside e-'s runs), numbers
     * across a width (255 | 256) and single digits (not numeric), in order, shuffled,
     * again and changed, against a model of what is stored: every count, every
     * sequence, and check. */
    static const char *pre[3] = {"e-", "e-A", "x-"};
    enum { NUM = 2000 };
    static uint64_t seq_of[3][NUM];
    static int type_of[3][NUM];
    static char idbuf[512][16];
    memset(seq_of, 0, sizeof seq_of);
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    uint64_t next = 1, rnd = 7;
    int hi[3] = {0, 0, 0};
#define RND() (rnd = rnd * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(rnd >> 33))
    for (int round = 0; round < 300; round++) {
        shoal_event evs[512];
        int pi[512], ni[512], ti[512], n = 0;
        int mode = RND() % 4, len = 1 + RND() % 60;
        int p = RND() % 3, from = RND() % (hi[p] + 2);
        if (mode == 0 && RND() % 2) from = hi[p] + 1;   /* the prefix's counter going on */
        for (int i = 0; i < len; i++) {
            pi[n] = mode == 3 ? (int)(RND() % 3) : p;
            ni[n] = mode == 0 || mode == 3 ? (from + i) % NUM : (int)(RND() % (hi[pi[n]] + 2));
            ti[n] = RND() % 16 == 0;   /* now and then another type: a conflict when stored */
            n++;
        }
        if (mode == 1) /* the same ids again, in order */
            for (int i = 0; i < len && n < 512; i++) pi[n] = pi[i], ni[n] = ni[i], ti[n] = ti[i], n++;
        uint64_t want_added = 0, want_dup = 0, want_conflict = 0;
        for (int i = 0; i < n; i++) {
            snprintf(idbuf[i], sizeof idbuf[i], "%s%d", pre[pi[i]], ni[i]);
            evs[i] = mk(idbuf[i], ni[i], "m-1", ti[i] ? "leave" : "join");
        }
        /* the model: input order, the first of a batch's repeats stored */
        bool in_batch[3][NUM] = {{0}};
        int batch_type[3][NUM];
        for (int i = 0; i < n; i++) {
            int a = pi[i], b = ni[i];
            int stored_type = seq_of[a][b] ? type_of[a][b] : in_batch[a][b] ? batch_type[a][b] : -1;
            if (stored_type < 0) {
                in_batch[a][b] = true;
                batch_type[a][b] = ti[i];
                want_added++;
            } else if (stored_type == ti[i]) {
                want_dup++;
            } else {
                want_conflict++;
            }
        }
        shoal_append_stats st;
        CHECK_RC(shoal_append(db, evs, (size_t)n, &st, NULL), SHOAL_OK);
        CHECK(st.n_added == want_added && st.n_dup == want_dup && st.n_conflict == want_conflict);
        for (int i = 0; i < n; i++)
            if (in_batch[pi[i]][ni[i]] && !seq_of[pi[i]][ni[i]]) {
                seq_of[pi[i]][ni[i]] = next++;
                type_of[pi[i]][ni[i]] = ti[i];
                if (ni[i] > hi[pi[i]]) hi[pi[i]] = ni[i];
            }
        if (round % 50 == 49) {
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < NUM; b++) {
                    char id[16];
                    snprintf(id, sizeof id, "%s%d", pre[a], b);
                    CHECK(id_seq(db, id) == seq_of[a][b]);
                }
            shoal_check_report rep;
            CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
            CHECK(rep.n_problems == 0 && rep.n_records == next - 1 && rep.n_ids == next - 1);
        }
    }
#undef RND
    CHECK(db_format(db) == 8 && id_entries(db) < next - 1);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(id_runs_check)
{
    /* check reports a run entry whose length or difference is wrong, or that is
     * malformed, and does not crash on it. */
    for (int damage = 0; damage < 5; damage++) {
        unit_fresh_dir();
        shoal_db *db;
        shoal_append_stats st;
        CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
        CHECK_RC(append_ids(db, "e-", 10, 40, false, &st), SHOAL_OK);
        CHECK_RC(append_ids(db, "f-", 10, 40, false, &st), SHOAL_OK);
        shoal_event ev = mk("e-10", 0, "m", "t");
        unsigned char key[SHOAL_MAX_KEY];
        MDB_val k = {shoal_db_event_key(db, &ev, key), key}, v;
        MDB_txn *txn;
        CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
        CHECK(mdb_get(txn, db->dbi_ids, &k, &v) == 0);
        unsigned char val[SHOAL_IDS_VAL_MAX];
        /* a byte 0, the length 31, the difference 1 - 10 = -9 (zigzag 17) */
        CHECK(v.mv_size == 3 && !memcmp(v.mv_data, "\x00\x1F\x11", 3));
        memcpy(val, v.mv_data, v.mv_size);
        MDB_val nv = {3, val};
        if (damage == 0) val[1] = 30;             /* one short */
        else if (damage == 1) val[1] = 32;        /* one long: into f-'s sequences */
        else if (damage == 2) val[2] = 15;        /* the difference -8 */
        else if (damage == 3) val[1] = 1;         /* a run of 1 */
        else memcpy(val, "\x00\xF7\x01\x11", 4), nv.mv_size = 4;   /* 247 ids: past e-255, the width's end */
        CHECK(mdb_put(txn, db->dbi_ids, &k, &nv, 0) == 0);
        CHECK(mdb_txn_commit(txn) == 0);
        shoal_check_report rep;
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems >= 1);
        if (damage == 0) CHECK(strstr(rep.first_problem, "record 31 has no entry") != NULL);
        if (damage == 1) CHECK(strstr(rep.first_problem, "covers 63 ids for 62") != NULL);
        if (damage == 2) CHECK(strstr(rep.first_problem, "record 1's key maps to record 2") != NULL);
        if (damage >= 3) CHECK(strstr(rep.first_problem, "malformed") != NULL);
        /* an append that meets the entry refuses to go on */
        if (damage >= 3) CHECK_RC(append_ids(db, "e-", 20, 20, false, &st), SHOAL_ECORRUPT);
        shoal_db_close(db);
        unit_rm_dir();
    }
}

TEST(format_version)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE, 0, &db, NULL), SHOAL_OK);
    MDB_txn *txn;
    CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    CHECK(shoal_meta_put(db, txn, "format", "99", 2, NULL) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    shoal_db_close(db);
    shoal_err err;
    shoal_err_clear(&err);
    CHECK_RC(shoal_db_open(unit_tmpdir, 0, 0, &db, &err), SHOAL_EVERSION);
    CHECK(strstr(err.msg, "format version 99") != NULL);
    unit_rm_dir();
}

TEST(settings)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE, 0, &db, NULL), SHOAL_OK);
    char buf[64];
    CHECK_RC(shoal_db_setting_get(db, "timezone", buf, sizeof buf, NULL), SHOAL_ENOTFOUND);
    CHECK_RC(shoal_db_setting_set(db, "timezone", "Asia/Shanghai", NULL), SHOAL_OK);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_RDONLY, 0, &db, NULL), SHOAL_OK);
    CHECK_RC(shoal_db_setting_get(db, "timezone", buf, sizeof buf, NULL), SHOAL_OK);
    CHECK(strcmp(buf, "Asia/Shanghai") == 0);
    CHECK_RC(shoal_db_setting_get(db, "timezone", buf, 4, NULL), SHOAL_ERANGE);
    shoal_db_close(db);
    unit_rm_dir();
}

/* A writable open of a sound database (what `shoal query` does without --readonly)
 * takes no write transaction: while another process holds the writer lock (an ingest's
 * batch), the open does not wait for it. A child holds a write transaction; another
 * child opens the database and exits; the open must finish within 5 s. Also: an open
 * that has something to make (a new database) does write. */
TEST(open_takes_no_write_txn)
{
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    CHECK(db->open_wrote);   /* a new database: its tables and format were written */
    shoal_event ev[2] = {mk("a", 1000, "m1", "post"), mk("b", 2000, "m2", "post")};
    CHECK_RC(shoal_append(db, ev, 2, NULL, NULL), SHOAL_OK);
    shoal_db_close(db);
    CHECK_RC(shoal_db_open(unit_tmpdir, 0, 0, &db, NULL), SHOAL_OK);
    CHECK(!db->open_wrote);
    shoal_db_close(db);

    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t holder = fork();
    if (holder == 0) {
        MDB_env *env;
        MDB_txn *txn;
        if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 64) || mdb_env_open(env, unit_tmpdir, 0, 0664) ||
            mdb_txn_begin(env, NULL, 0, &txn))
            _exit(1);
        if (write(ready[1], "x", 1) != 1) _exit(1);
        pause();   /* killed by the parent, the write transaction still open */
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    pid_t opener = fork();
    if (opener == 0) {
        shoal_db *d;
        int rc = shoal_db_open(unit_tmpdir, 0, 0, &d, NULL);
        if (rc == SHOAL_OK) shoal_db_close(d);
        _exit(rc == SHOAL_OK ? 0 : 2);
    }
    int status = -1, done = 0;
    for (int i = 0; i < 500 && !done; i++) {
        if (waitpid(opener, &status, WNOHANG) == opener) done = 1;
        else nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    CHECK(done);   /* the open did not wait for the writer */
    if (!done) {
        kill(opener, SIGKILL);
        waitpid(opener, &status, 0);
    } else {
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    unit_rm_dir();
}

TEST(bigcache)
{
    /* An array given back is handed out again for a request it fits, zeroed over the
     * request; a much smaller request gets a fresh one; an injected failure still fails;
     * without a cache the calls are plain. */
    shoal_bigcache *c = shoal_bigcache_new();
    CHECK(c != NULL);
    size_t n = (size_t)3 << 20;
    unsigned char *a = shoal_bigcache_zalloc(c, n);
    CHECK(a != NULL);
    memset(a, 0xAB, n);
    shoal_bigcache_put(c, a);
    unsigned char *b = shoal_bigcache_zalloc(c, n - 4096);
    CHECK(b == a);
    size_t nonzero = 0;
    for (size_t i = 0; i < n - 4096; i++) nonzero += b[i] != 0;
    CHECK(nonzero == 0);
    shoal_bigcache_put(c, b);
    unsigned char *small = shoal_bigcache_zalloc(c, (size_t)1 << 20);
    CHECK(small != NULL && small != a);
    shoal_mem_fail_after(0);
    CHECK(shoal_bigcache_zalloc(c, n) == NULL);
    shoal_mem_fail_after(-1);
    unsigned char *again = shoal_bigcache_zalloc(c, n);
    CHECK(again == a && again[n - 4097] == 0);
    shoal_bigcache_put(c, small);
    shoal_bigcache_put(c, again);
    shoal_bigcache_put(c, NULL);
    /* trimmed to a bound: the largest (again, 4MB of huge pages) goes first, the small
     * one (2MB) stays and is handed out again */
    CHECK(shoal_bigcache_trim(c, (size_t)5 << 20) == (size_t)2 << 20);
    unsigned char *kept = shoal_bigcache_zalloc(c, (size_t)1 << 20);
    CHECK(kept == small);
    shoal_bigcache_put(c, kept);
    CHECK(shoal_bigcache_trim(c, (size_t)2 << 20) == (size_t)2 << 20);
    CHECK(shoal_bigcache_trim(c, 0) == 0);
    shoal_bigcache_free(c);
    unsigned char *plain = shoal_bigcache_zalloc(NULL, n);
    CHECK(plain != NULL && plain[n - 1] == 0);
    shoal_bigcache_put(NULL, plain);
}

TEST(bigcache_slab)
{
    /* Arrays of 256 KB up to 1 MB side by side in one mapping (issue 17): handed out
     * zeroed, one after another; once all are back, handed out from the start again and
     * zeroed over what was written; past the slabs' room, calloc's; an injected failure
     * fails; each goes back by shoal_bigcache_put or shoal_free_big. */
    shoal_bigcache *c = shoal_bigcache_new();
    CHECK(c != NULL);
    size_t n = (size_t)300 << 10;
    unsigned char *a[40];
    for (int i = 0; i < 40; i++) {
        a[i] = shoal_bigcache_zalloc(c, n);
        CHECK(a[i] != NULL);
        size_t nonzero = 0;
        for (size_t k = 0; k < n; k++) nonzero += a[i][k] != 0;
        CHECK(nonzero == 0);
        memset(a[i], 0xCD, n);
    }
#if !SHOAL_ASAN
    CHECK(a[1] > a[0] && (size_t)(a[1] - a[0]) < n + 4096);   /* side by side */
#endif
    unsigned char *first = a[0];
    (void)first;   /* (no slabs under AddressSanitizer) */
    for (int i = 0; i < 40; i++) {
        if (i % 2) shoal_bigcache_put(c, a[i]);
        else shoal_free_big(a[i]);
    }
    unsigned char *b = shoal_bigcache_zalloc(c, n - 1000);
#if !SHOAL_ASAN
    CHECK(b == first);   /* the slab from its start again */
#endif
    size_t nonzero = 0;
    for (size_t k = 0; k < n - 1000; k++) nonzero += b[k] != 0;
    CHECK(nonzero == 0);
    unsigned char *d = shoal_bigcache_alloc(c, n);   /* not zeroed: any bytes, all writable */
    CHECK(d != NULL);
    memset(d, 1, n);
    shoal_mem_fail_after(0);
    CHECK(shoal_bigcache_zalloc(c, n) == NULL);
    shoal_mem_fail_after(-1);
    shoal_bigcache_put(c, d);
    shoal_bigcache_put(c, b);
    CHECK(shoal_bigcache_trim(c, 0) == 0);   /* idle slabs given back too */
    unsigned char *e = shoal_bigcache_zalloc(c, n);
    CHECK(e != NULL && e[0] == 0 && e[n - 1] == 0);
    shoal_bigcache_put(c, e);
    shoal_bigcache_free(c);
}

static int hint_calls;
static int hint_huge(void) { return ++hint_calls > 0; }
static int hint_no(void) { return ++hint_calls < 0; }

TEST(bigcache_heap_hint)
{
    /* Once the program's heap policy says the heap gives huge pages (shoal_mem_heap_hint
     * with a hook that returns 1: cli/main.c heap_skip), arrays of 256 KB to 1 MB come
     * from the heap, beside the statement's other allocations, not from a slab's huge
     * page of their own; zeroed when asked, put back as before. Before, and after a
     * hint with no hook or one that says no, from the slabs (mapped apart from the
     * heap). Where the break is glibc's heap and no sanitizer's allocator stands in. */
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);   /* (the CLI's keep_heap: 300 KB from the break) */
#endif
    shoal_bigcache *c = shoal_bigcache_new();
    CHECK(c != NULL);
    size_t n = (size_t)300 << 10;
    shoal_mem_set_heap_hint(NULL);
    shoal_mem_heap_hint();   /* (no hook: nothing) */
    unsigned char *s = shoal_bigcache_zalloc(c, n);
    CHECK(s != NULL && s[0] == 0 && s[n - 1] == 0);
    shoal_mem_set_heap_hint(hint_huge);
    shoal_mem_heap_hint();
    CHECK(hint_calls == 1);
    unsigned char *h = shoal_bigcache_zalloc(c, n), *u = shoal_bigcache_alloc(c, n);
    CHECK(h != NULL && u != NULL);
    size_t nonzero = 0;
    for (size_t k = 0; k < n; k++) nonzero += h[k] != 0;
    CHECK(nonzero == 0);
    memset(h, 0xCD, n);
    memset(u, 1, n);
#if defined(__GLIBC__) && !SHOAL_ASAN
    extern char end;   /* the program's data's end: the heap lies from there to the break */
    char *brk = sbrk(0);
    CHECK(!((char *)s >= &end && (char *)s < brk));   /* a slab's */
    CHECK((char *)h >= &end && (char *)h < brk);      /* the heap's */
    CHECK((char *)u >= &end && (char *)u < brk);
#endif
    shoal_bigcache_put(c, h);
    h = shoal_bigcache_zalloc(c, n);   /* zeroed again over what was written */
    nonzero = 0;
    for (size_t k = 0; k < n; k++) nonzero += h[k] != 0;
    CHECK(nonzero == 0);
    shoal_bigcache_put(c, h);
    shoal_free_big(u);
    shoal_mem_set_heap_hint(hint_no);
    shoal_mem_heap_hint();   /* (a later statement's heap past its huge part) */
    unsigned char *t = shoal_bigcache_zalloc(c, n);
    CHECK(hint_calls == 2 && t != NULL && t[0] == 0 && t[n - 1] == 0);
#if defined(__GLIBC__) && !SHOAL_ASAN
    CHECK(!((char *)t >= &end && (char *)t < (char *)sbrk(0)));   /* a slab's again */
#endif
    shoal_bigcache_put(c, t);
    shoal_mem_set_heap_hint(NULL);
    shoal_mem_heap_hint();
    shoal_bigcache_put(c, s);
    shoal_bigcache_free(c);
}

TEST(alloc_failures)
{
    /* Fail each allocation of an append in turn: every failure is an error code, the
     * log is unchanged by a failed batch, and a later append succeeds. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_event evs[3] = {mk("e-1", 1000, "m-1", "join"), mk("e-2", 2000, "m-2", "join"), mk(NULL, 3000, "m-1", "post")};
    int failures = 0;
    for (long k = 0; k < 50; k++) {
        uint64_t before = unit_n_events(db);
        shoal_mem_fail_after(k);
        int rc = shoal_append(db, evs, 3, NULL, NULL);
        shoal_mem_fail_after(-1);
        if (rc == SHOAL_OK) break;
        failures++;
        CHECK_RC(rc, SHOAL_ENOMEM);
        CHECK(unit_n_events(db) == before);
    }
    CHECK(failures > 0);
    CHECK(unit_n_events(db) == 3);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(err_render)
{
    shoal_err err;
    shoal_err_clear(&err);
    const char *src = "SELECT member\nFROM membres;";
    shoal_err_set(&err, SHOAL_ESEMANTIC, 19, 7, "unknown table \"%s\"", "membres");
    shoal_err_set(&err, SHOAL_ESYNTAX, 0, 1, "second error is ignored");
    char buf[256];
    shoal_err_render(&err, "query", src, strlen(src), buf, sizeof buf);
    CHECK(strcmp(buf, "query:2:6: error: unknown table \"membres\"\nFROM membres;\n     ^~~~~~~\n") == 0);
    shoal_err_clear(&err);
    shoal_err_set(&err, SHOAL_EIO, -1, -1, "cannot read");
    shoal_err_render(&err, "shoal", NULL, 0, buf, sizeof buf);
    CHECK(strcmp(buf, "shoal: error: cannot read\n") == 0);
    CHECK(strncmp(shoal_strerror(SHOAL_ESTORE), "SHOAL_ESTORE", 12) == 0);
    char small[8];
    size_t need = shoal_err_render(&err, "shoal", NULL, 0, small, sizeof small);
    CHECK(need == strlen("shoal: error: cannot read\n") && strlen(small) == 7);
}

TEST(arena)
{
    shoal_arena *a = shoal_arena_new();
    char *p = shoal_arena_alloc(a, 10), *q = shoal_arena_alloc(a, 1 << 20);
    CHECK(p && q && ((uintptr_t)p & 15) == 0 && ((uintptr_t)q & 15) == 0);
    memset(q, 1, 1 << 20);
    CHECK(shoal_arena_used(a) >= (1u << 20));
    shoal_arena_reset(a);
    CHECK(shoal_arena_used(a) == 0);
    char *s = shoal_arena_strndup(a, "abcdef", 3);
    CHECK(strcmp(s, "abc") == 0);
    shoal_arena_free(a);
}

/* Numeric id keys (format 5) in a new database; a database with the keys of formats 1
 * to 4 (no meta "idkeys") is appended to and checked with its own. */
TEST(idkeys)
{
    for (int old = 0; old < 2; old++) {
        unit_fresh_dir();
        shoal_db *db;
        CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE, 0, &db, NULL), SHOAL_OK);
        CHECK(db->idkeys2);
        if (old) {
            MDB_txn *txn;
            CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
            MDB_val k = {6, "idkeys"};
            CHECK(mdb_del(txn, db->dbi_meta, &k, NULL) == 0);
            CHECK(shoal_meta_put(db, txn, "format", "4", 1, NULL) == 0);
            CHECK(mdb_txn_commit(txn) == 0);
            shoal_db_close(db);
            CHECK_RC(shoal_db_open(unit_tmpdir, 0, 0, &db, NULL), SHOAL_OK);
            CHECK(!db->idkeys2);
        }
        shoal_event evs[4] = {mk("e-10", 1000, "m-1", "join"), mk("e-9", 2000, "m-2", "join"),
                              mk("e-007", 3000, "m-2", "join"), mk("e-123", 4000, "m-2", "join")};
        CHECK_RC(shoal_append(db, evs, 4, NULL, NULL), SHOAL_OK);
        shoal_append_stats st;
        CHECK_RC(shoal_append(db, evs, 4, &st, NULL), SHOAL_OK);
        CHECK(st.n_dup == 4 && st.n_added == 0);
        /* The key of e-10: its number after the byte 0xF7 + 1, or 'i' and the text. */
        unsigned char key[SHOAL_MAX_KEY];
        size_t klen = shoal_db_event_key(db, &evs[0], key);
        if (old) CHECK(klen == 5 && key[0] == 'i');
        else CHECK(klen == 4 && key[0] == 0xF8 && key[1] == 'e' && key[2] == '-' && key[3] == 10);
        shoal_reader *r;
        CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
        uint64_t seq = 0;
        CHECK_RC(shoal_ids_get(r, key, klen, &seq, NULL), SHOAL_OK);
        CHECK(seq == 1);
        CHECK_RC(shoal_ids_get(r, key, klen, &seq, NULL), SHOAL_OK);
        /* Each record gives its id back as text. */
        shoal_arena *a = shoal_arena_new();
        for (uint64_t i = 1; i <= 4; i++) {
            shoal_rec rec;
            shoal_event ev;
            CHECK_RC(shoal_log_get(r, i, &rec, NULL), SHOAL_OK);
            CHECK(rec.id_num == (!old && (i == 1 || i == 4)));
            CHECK_RC(shoal_rec_event(r, &rec, a, &ev, NULL), SHOAL_OK);
            CHECK(ev.id.len == evs[i - 1].id.len && memcmp(ev.id.ptr, evs[i - 1].id.ptr, ev.id.len) == 0);
        }
        shoal_arena_free(a);
        shoal_reader_close(r);
        shoal_check_report rep;
        CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
        CHECK(rep.n_problems == 0);
        shoal_db_close(db);
        unit_rm_dir();
    }
}

static int feed_known(void *ctx, int ns, uint32_t id, const char *s, uint32_t len)
{
    return shoal_dict_cache_put(ctx, ns, s, len, id, shoal_dict_hash(ns, s, len));
}

static bool same_s(shoal_str a, shoal_str b) { return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0; }

TEST(known_names)
{
    /* The ingest's reading thread resolves names the writer handed over after its
     * commits (shoal_dict_each_new into a shoal_dict_new_fwd cache), and the append
     * takes those ids instead of looking the names up: every name of every event must
     * come back as it went in, known or new, in whatever order the names come. */
    unit_fresh_dir();
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_dict *known;
    CHECK_RC(shoal_dict_new_fwd(&known), SHOAL_OK);
    shoal_prop p1[3] = {{.key = S("title"), .kind = SHOAL_VAL_STR, .v.s = S("hello")},
                        {.key = S("words"), .kind = SHOAL_VAL_INT, .v.i = 7},
                        {.key = S("tag"), .kind = SHOAL_VAL_STR, .v.s = S("x")}};
    shoal_prop p2[2] = {{.key = S("tag"), .kind = SHOAL_VAL_STR, .v.s = S("hello")},
                        {.key = S("lang"), .kind = SHOAL_VAL_STR, .v.s = S("fr")}};
    shoal_event b1[2] = {mk("a", 1, "m-1", "join"), mk("b", 2, "m-2", "post")};
    b1[1].group = S("g-1");
    b1[1].props = p1;
    b1[1].n_props = 3;
    /* The second batch mixes known names (m-2, post, g-1, title, tag, hello) with new
     * ones (m-3, like, g-2, lang, fr), in other slots than they first came in. */
    shoal_event b2[3] = {mk("c", 3, "m-3", "post"), mk("d", 4, "m-2", "like"), mk("e", 5, "m-1", "post")};
    b2[0].group = S("g-1");
    b2[0].props = p1;
    b2[0].n_props = 3;
    b2[1].group = S("g-2");
    b2[1].props = p2;
    b2[1].n_props = 2;
    b2[2].props = p2;
    b2[2].n_props = 1;
    shoal_event *batches[2] = {b1, b2};
    size_t ns[2] = {2, 3};
    size_t n_known = 0;
    for (int bi = 0; bi < 2; bi++) {
        shoal_logkeys k = {0};
        CHECK_RC(shoal_logkeys_make(db, batches[bi], ns[bi], &k), SHOAL_OK);
        CHECK_RC(shoal_logkeys_resolve(known, batches[bi], ns[bi], &k), SHOAL_OK);
        for (uint32_t j = 0; j < k.hstart[ns[bi]]; j++) n_known += k.ids[j] != 0;
        uint32_t before[SHOAL_NS_COUNT];
        shoal_dict_saved(db, before);
        shoal_append_stats st;
        CHECK_RC(shoal_log_append_keyed(db, batches[bi], ns[bi], &k, NULL, &st, NULL), SHOAL_OK);
        CHECK(st.n_added == ns[bi]);
        CHECK_RC(shoal_dict_each_new(db, before, feed_known, known), SHOAL_OK);
        shoal_logkeys_free(&k);
    }
    /* Of the second batch's 19 names, 14 were known: m-2, m-1, post (twice), g-1,
     * title, words, tag (three times), hello (three times) and x. */
    CHECK(n_known == 14);
    shoal_reader *r;
    CHECK_RC(shoal_reader_open(db, &r, NULL), SHOAL_OK);
    uint32_t id;
    CHECK_RC(shoal_dict_id(r, SHOAL_NS_MEMBER, "m-3", 3, &id, NULL), SHOAL_OK);
    CHECK(shoal_dict_cache_get(known, SHOAL_NS_MEMBER, "m-3", 3, shoal_dict_hash(SHOAL_NS_MEMBER, "m-3", 3)) == id);
    shoal_arena *a = shoal_arena_new();
    uint64_t seq = 1;
    for (int bi = 0; bi < 2; bi++)
        for (size_t i = 0; i < ns[bi]; i++, seq++) {
            const shoal_event *in = &batches[bi][i];
            shoal_rec rec;
            shoal_event back;
            CHECK_RC(shoal_log_get(r, seq, &rec, NULL), SHOAL_OK);
            CHECK_RC(shoal_rec_event(r, &rec, a, &back, NULL), SHOAL_OK);
            CHECK(same_s(back.member, in->member) && same_s(back.type, in->type));
            CHECK(in->group.ptr ? back.group.ptr && same_s(back.group, in->group) : !back.group.ptr);
            CHECK(back.n_props == in->n_props);
            for (uint32_t q = 0; q < in->n_props && q < back.n_props; q++) {
                const shoal_prop *want = &in->props[q], *got = NULL;
                for (uint32_t t = 0; t < back.n_props; t++)
                    if (same_s(back.props[t].key, want->key)) got = &back.props[t];
                CHECK(got && got->kind == want->kind);
                if (got && want->kind == SHOAL_VAL_STR) CHECK(same_s(got->v.s, want->v.s));
                if (got && want->kind == SHOAL_VAL_INT) CHECK(got->v.i == want->v.i);
            }
        }
    shoal_reader_close(r);
    shoal_arena_free(a);
    shoal_check_report rep;
    CHECK_RC(shoal_db_check(db, &rep, NULL), SHOAL_OK);
    CHECK(rep.n_problems == 0 && rep.n_records == 5);
    shoal_dict_free(known);
    shoal_db_close(db);
    unit_rm_dir();
}

/* shoal_prop_reserved against the names' list: each reserved name in every mix of
 * cases, one byte changed or added anywhere, every string over a small alphabet
 * around them. */
static bool reserved_ref(const char *s, size_t n)
{
    static const char *const exact[] = {"id", "props", "properties"};
    static const char *const any[] = {"seq", "ts", "member", "type", "group"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strlen(exact[i]) == n && memcmp(exact[i], s, n) == 0) return true;
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
        if (strlen(any[i]) != n) continue;
        size_t j = 0;
        while (j < n && (s[j] == any[i][j] || s[j] == any[i][j] - 32)) j++;
        if (j == n) return true;
    }
    return false;
}

TEST(reserved_names)
{
    static const char *const names[] = {"id", "props", "properties", "seq", "ts", "member", "type", "group"};
    static const char bytes[] = {'a', 'A', '@', '`', 0x7f, (char)0xc9, (char)0xe9, 0, 'z', '{', '['};
    char b[16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        for (unsigned m = 0; m < 1u << n; m++) {   /* every mix of cases */
            for (size_t j = 0; j < n; j++) b[j] = (char)(m >> j & 1 ? names[i][j] - 32 : names[i][j]);
            CHECK(shoal_prop_reserved(b, n) == reserved_ref(b, n));
        }
        for (size_t j = 0; j <= n; j++)   /* one byte changed, or one added */
            for (size_t k = 0; k < sizeof bytes; k++) {
                memcpy(b, names[i], n);
                b[j] = bytes[k];
                CHECK(shoal_prop_reserved(b, n) == reserved_ref(b, n));
                CHECK(shoal_prop_reserved(b, n + 1) == reserved_ref(b, n + 1));
                memmove(b + j + 1, names[i] + j, n - j);
                memcpy(b, names[i], j);
                b[j] = bytes[k];
                CHECK(shoal_prop_reserved(b, n + 1) == reserved_ref(b, n + 1));
            }
        CHECK(shoal_prop_reserved(names[i], n));
        CHECK(n < 2 || !shoal_prop_reserved(names[i], n - 1));
    }
    CHECK(shoal_prop_reserved("SeQ", 3) && shoal_prop_reserved("TYPE", 4) && shoal_prop_reserved("Ts", 2));
    CHECK(!shoal_prop_reserved("ID", 2) && !shoal_prop_reserved("Props", 5) && !shoal_prop_reserved("Properties", 10));
    CHECK(!shoal_prop_reserved("", 0) && !shoal_prop_reserved("original", 8) && !shoal_prop_reserved("words", 5));
}

/* shoal_id_number against its definition (the digits at the end, 2 to 18 of them, the
 * first not 0): ids of every length to 24 made of digits and other bytes around them. */
static bool id_number_ref(const unsigned char *s, uint32_t n, uint32_t *prefix, uint64_t *num)
{
    uint32_t d = n;
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
    if (n - d < 2 || n - d > 18 || s[d] == '0') return false;
    uint64_t v = 0;
    for (uint32_t i = d; i < n; i++) v = v * 10 + (uint64_t)(s[i] - '0');
    *prefix = d;
    *num = v;
    return true;
}

TEST(id_numbers)
{
    static const unsigned char other[] = {'e', '-', '/', ':', 0x2F, 0x3A, 0xB0, 0xB9, 0x70, 0x39 + 0x40, 0};
    unsigned char b[24];
    uint64_t seed = 1;
    for (int t = 0; t < 200000; t++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t n = (uint32_t)(seed >> 33) % 25, tail = (uint32_t)(seed >> 40) % 21;
        for (uint32_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 35);
            /* the last tail bytes digits (now and then a 0 first), the rest mostly not */
            b[i] = i + tail >= n ? (unsigned char)('0' + r % 10) : r % 4 ? other[r % sizeof other] : (unsigned char)('0' + r % 10);
        }
        uint32_t p1 = 7, p2 = 7;
        uint64_t v1 = 7, v2 = 7;
        bool a = shoal_id_number((shoal_str){(const char *)b, n}, &p1, &v1), c = id_number_ref(b, n, &p2, &v2);
        CHECK(a == c);
        if (a && c) CHECK(p1 == p2 && v1 == v2);
    }
    uint32_t p;
    uint64_t v;
    CHECK(shoal_id_number(S("e-1234567"), &p, &v) && p == 2 && v == 1234567);
    CHECK(shoal_id_number(S("12345678"), &p, &v) && p == 0 && v == 12345678);
    CHECK(shoal_id_number(S("e-99999999"), &p, &v) && p == 2 && v == 99999999);
    CHECK(shoal_id_number(S("e-10000000"), &p, &v) && p == 2 && v == 10000000);
    CHECK(!shoal_id_number(S("e-0123456"), &p, &v) && !shoal_id_number(S("abcdefg1"), &p, &v));
    CHECK(shoal_id_number(S("abcdefg12"), &p, &v) && p == 7 && v == 12);
}

/* shoal_closest (closest.c): within a third of the name's length (at least one edit),
 * the closest, the first of equals, never the name itself; else the first name it
 * leads by whole words; nothing far. */
TEST(closest)
{
    shoal_closest c;
    shoal_closest_init(&c, "engagment");
    CHECK(shoal_closest_offer(&c, "engagement_old", 14) == 0);   /* 5 edits: too far */
    CHECK(shoal_closest_get(&c) == NULL);
    CHECK(shoal_closest_offer(&c, "engegmint", 9) == 0);          /* 2 edits: kept */
    CHECK(!strcmp(shoal_closest_get(&c), "engegmint"));
    CHECK(shoal_closest_offer(&c, "engagmenta", 10) == 1);        /* 1 edit: none can beat it */
    CHECK(shoal_closest_offer(&c, "engagement", 10) == 1);        /* as close, offered later */
    CHECK(!strcmp(shoal_closest_get(&c), "engagmenta"));
    shoal_closest_init(&c, "core");
    CHECK(shoal_closest_offer(&c, "core", 4) == 0);               /* the name itself */
    CHECK(shoal_closest_offer(&c, "my_core", 7) == 0);            /* a word, not the first */
    CHECK(shoal_closest_get(&c) == NULL);
    CHECK(shoal_closest_offer(&c, "core_creator", 12) == 0);      /* the first words */
    CHECK(shoal_closest_offer(&c, "corn", 4) == 1);               /* an edit beats them */
    CHECK(!strcmp(shoal_closest_get(&c), "corn"));
    shoal_closest_init(&c, "co");
    CHECK(shoal_closest_offer(&c, "co_x", 4) == 0);               /* too short to lead */
    CHECK(shoal_closest_get(&c) == NULL);
    shoal_closest_init(&c, "ab");
    CHECK(shoal_closest_offer(&c, "xy", 2) == 0);                 /* 2 edits of 2 letters */
    CHECK(shoal_closest_offer(&c, "ax", 2) == 1);
    CHECK(!strcmp(shoal_closest_get(&c), "ax"));
}

/* The dictionary cache's hash (dict.c hash_bytes) and table: a name's every byte, its
 * length and its namespace change the hash (a byte left out, as the reading of a
 * short name's overlapping halves could, makes its names collide), 65536 names "m-N"
 * fill some 63% of 65536 slots' low bits, as random hashes do; and every distinct
 * name put is found again (ids right, absent names 0) through the growth of the table
 * from 64 slots, with the hash's own values and with 7 values for 10000 names (runs of
 * collisions, the same first 8 bytes, the same bytes in other namespaces). */
TEST(dict_cache_hash)
{
    char a[64], b[64];
    int bad = 0;
    for (size_t n = 1; n <= 40; n++) {
        for (size_t i = 0; i < n; i++) a[i] = (char)('a' + (i * 7 + n) % 26);
        uint32_t h = shoal_dict_hash(SHOAL_NS_MEMBER, a, n);
        for (size_t i = 0; i < n; i++) {
            memcpy(b, a, n);
            b[i] ^= 1;
            bad += shoal_dict_hash(SHOAL_NS_MEMBER, b, n) == h;
        }
        bad += shoal_dict_hash(SHOAL_NS_TYPE, a, n) == h || shoal_dict_hash(SHOAL_NS_MEMBER, a, n - 1) == h;
    }
    CHECK(bad == 0);
    static uint8_t seen[65536];
    memset(seen, 0, sizeof seen);
    int filled = 0;
    for (int i = 0; i < 65536; i++) {
        int n = snprintf(a, sizeof a, "m-%d", i);
        uint32_t s = shoal_dict_hash(SHOAL_NS_MEMBER, a, (size_t)n) & 0xffff;
        filled += !seen[s];
        seen[s] = 1;
    }
    CHECK(filled > 40000 && filled < 43000);   /* (1 - 1/e) of 65536: 41427 */
    if (!(filled > 40000 && filled < 43000)) printf("  %d of 65536 slots\n", filled);
    for (int forced = 0; forced < 2; forced++) {
        shoal_dict *d;
        CHECK_RC(shoal_dict_new_fwd(&d), SHOAL_OK);
        int n_names = forced ? 10000 : 200000;
        /* names of 1 to 30 bytes; from the 8th on, pairs that share their first 8 bytes */
        #define NAME(i) snprintf(a, sizeof a, (i) % 3 ? "member-%d" : (i) % 2 ? "%d" : "abcdefgh%dx", (i))
        #define HASH(ns, n) (forced ? (uint32_t)((i) % 7) : shoal_dict_hash(ns, a, (size_t)(n)))
        for (int i = 1; i <= n_names && !bad; i++) {
            int n = NAME(i);
            bad += shoal_dict_cache_put(d, SHOAL_NS_MEMBER, a, (size_t)n, (uint32_t)i, HASH(SHOAL_NS_MEMBER, n)) != 0;
            if (i % 5 == 0) bad += shoal_dict_cache_put(d, SHOAL_NS_GROUP, a, (size_t)n, (uint32_t)(i + 1), HASH(SHOAL_NS_GROUP, n)) != 0;
        }
        for (int i = 1; i <= n_names && !bad; i++) {
            int n = NAME(i);
            bad += shoal_dict_cache_get(d, SHOAL_NS_MEMBER, a, (size_t)n, HASH(SHOAL_NS_MEMBER, n)) != (uint32_t)i;
            bad += shoal_dict_cache_get(d, SHOAL_NS_GROUP, a, (size_t)n, HASH(SHOAL_NS_GROUP, n)) != (i % 5 ? 0u : (uint32_t)(i + 1));
            bad += shoal_dict_cache_get(d, SHOAL_NS_TYPE, a, (size_t)n, HASH(SHOAL_NS_TYPE, n)) != 0;
        }
        for (int i = n_names + 1; i <= n_names + 1000 && !bad; i++) {
            int n = NAME(i);
            bad += shoal_dict_cache_get(d, SHOAL_NS_MEMBER, a, (size_t)n, HASH(SHOAL_NS_MEMBER, n)) != 0;
        }
        #undef NAME
        #undef HASH
        CHECK(bad == 0);
        shoal_dict_free(d);
    }
}

int main(void)
{
    RUN(varints);
    RUN(codec_roundtrip);
    RUN(event_check);
    RUN(event_check_usual);
    RUN(reserved_names);
    RUN(id_numbers);
    RUN(keys);
    RUN(append_and_read);
    RUN(dup_after_clean_batch);
    RUN(known_names);
    RUN(ingest_rejects_not_input);
    RUN(zone_map);
    RUN(zone_bitmap);
    RUN(zone_prefix_max);
    RUN(zone_fine);
    RUN(zone_fine_unordered);
    RUN(map_grows);
    RUN(check_detects_damage);
    RUN(format_version);
    RUN(id_runs);
    RUN(id_runs_check);
    RUN(id_runs_random);
    RUN(idkeys);
    RUN(settings);
    RUN(open_takes_no_write_txn);
    RUN(bigcache);
    RUN(bigcache_slab);
    RUN(alloc_failures);
    RUN(err_render);
    RUN(arena);
    RUN(closest);
    RUN(dict_cache_hash);
    RUN(bigcache_heap_hint);
    UNIT_EXIT();
}
