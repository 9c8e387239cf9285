/* test_scan.c — the executor's inline scan step (query/scan.h) must decode every record
 * exactly as the engine's shoal_logcur_next does: timestamps across the whole range
 * (1- to 9-byte varints), ids, groups, properties. */
#include <stdlib.h>
#include <sys/mman.h>
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

/* a varint of v into p; its length */
static size_t put_var(unsigned char *p, uint64_t v)
{
    size_t k = 0;
    while (v >= 0x80) {
        p[k++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[k++] = (unsigned char)v;
    return k;
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

/* a value of a varint of about `bytes` bytes (0: any) */
static uint64_t rnd_of(uint64_t *s, int bytes)
{
    if (!bytes) bytes = 1 + (int)(rnd(s) % 10);
    int bits = 7 * bytes;
    uint64_t v = rnd(s) ^ rnd(s) << 40;
    return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

/* The decode of rec bytes p[0..n) by scan_decode_sw, shoal_scan_decode_bmi2 (where the
 * processor has what it uses; each when it takes the record) and shoal_codec_decode
 * agree; returns scan_decode_sw's answer */
static int same_decode(const unsigned char *p, size_t n, int *failed)
{
    shoal_rec a, b, c;
    memset(&a, 0x55, sizeof a);
    memset(&b, 0x55, sizeof b);
    memset(&c, 0x55, sizeof c);
    int ra = shoal_codec_decode(p, n, &a), rb = scan_decode_sw(p, n, &b);
    int rc = scan_decode_hw() ? shoal_scan_decode_bmi2(p, n, &c) : rb;   /* (c unread without it) */
    if (!scan_decode_hw()) c = b;
    int ok = rb == rc;
    if (rb) ok = ok && ra == SHOAL_OK && a.ts == b.ts && a.member == b.member && a.type == b.type && a.group == b.group &&
                 a.has_id == b.has_id && a.id_num == b.id_num && a.id.ptr == b.id.ptr && a.id.len == b.id.len &&
                 a.props == b.props && a.end == b.end;
    if (rc) ok = ok && a.ts == c.ts && a.member == c.member && a.type == c.type && a.group == c.group &&
                 a.has_id == c.has_id && a.id_num == c.id_num && a.id.ptr == c.id.ptr && a.id.len == c.id.len &&
                 a.props == c.props && a.end == c.end;
    if (!ok && !*failed) {
        *failed = 1;
        fprintf(stderr, "  decoders disagree on %zu bytes:", n);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %02x", p[i]);
        fprintf(stderr, " (codec %d, sw %d, bmi2 %d)\n", ra, rb, rc);
    }
    return rb;
}

/* scan.h's decoder of a record's header (scan_decode_sw, and shoal_scan_decode_bmi2
 * with pext) against the engine's shoal_codec_decode: records of every field's length
 * (1 to 10 bytes), with and without group and id, numeric ids, properties, and the same
 * bytes damaged (a byte changed, cut short), placed anywhere in a page, the last bytes
 * of a page included (where the decoder copies the record rather than read past it). */
TEST(scan_decode_matches_codec)
{
    enum { PAGE = 4096 };
    /* a page, and after it one that may not be read: a read past the page faults */
    unsigned char *page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    if (page == MAP_FAILED) return;
    CHECK(mprotect(page + PAGE, PAGE, PROT_NONE) == 0);
    uint64_t s = 7;
    int failed = 0;
    long fast = 0, valid = 0;
    for (int i = 0; i < 200000 && !failed; i++) {
        unsigned char r[64];
        size_t n = 0;
        int hg = (int)(rnd(&s) & 1), hid = (int)(rnd(&s) % 3 != 0), num = hid && (rnd(&s) & 1);
        int common = rnd(&s) % 4 != 0;   /* the lengths of real data, else any */
        r[n++] = (unsigned char)((hid ? SHOAL_REC_HAS_ID : 0) | (hg ? SHOAL_REC_HAS_GROUP : 0) | (num ? SHOAL_REC_ID_NUM : 0));
        n += put_var(r + n, rnd_of(&s, common ? 6 : 0));
        n += put_var(r + n, rnd_of(&s, common ? 3 : 0) | 1);
        n += put_var(r + n, rnd_of(&s, common ? 1 : 0) | 1);
        if (hg) n += put_var(r + n, rnd_of(&s, common ? 2 : 0) | 1);
        if (hid) {
            uint64_t len = rnd(&s) % 12;
            n += put_var(r + n, len);
            for (uint64_t j = 0; j < len; j++) r[n++] = (unsigned char)rnd(&s);
        }
        size_t np = rnd(&s) % 8;
        for (size_t j = 0; j < np; j++) r[n++] = (unsigned char)rnd(&s);
        int how = (int)(rnd(&s) % 4);   /* 0, 1: as made; 2: a byte changed; 3: cut short */
        if (how == 2) r[rnd(&s) % n] = (unsigned char)rnd(&s);
        if (how == 3) n = rnd(&s) % n;
        /* anywhere in the page, often at its end; the bytes after it garbage */
        size_t off = rnd(&s) & 1 ? PAGE - n - rnd(&s) % 40 : rnd(&s) % (PAGE - 64);
        if (off > PAGE - n) off = PAGE - n;
        for (size_t j = off; j < off + 64 && j < PAGE; j++) page[j] = (unsigned char)rnd(&s);
        memcpy(page + off, r, n);
        shoal_rec a;
        valid += shoal_codec_decode(page + off, n, &a) == SHOAL_OK;
        fast += same_decode(page + off, n, &failed);
    }
    CHECK(!failed);
    /* most records of real data's lengths take the fast way (where there is one: SSE2) */
    CHECK(!SCAN_FAST_DECODE || fast > valid / 2);
    munmap(page, 2 * PAGE);
}

/* scan.h's own probe of the processor (cpuid once, at the first decode, in place of
 * libgcc's constructor at every start) says what __builtin_cpu_supports says: a probe
 * that missed AVX2, BMI1 or BMI2 would leave shoal_scan_decode_bmi2 unused (and
 * untested above), one that claimed them would crash on a processor without them. */
TEST(scan_hw_probe)
{
#if SCAN_FAST_DECODE && defined(__x86_64__) && defined(__GNUC__)
    int libgcc = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
    CHECK(scan_decode_hw() == libgcc);
    CHECK(shoal_scan_hw_probe() == libgcc);
    CHECK(scan_decode_hw() == libgcc);
#else
    CHECK(scan_decode_hw() == 0);
#endif
}

/* A log of N records of every size for the page walks: small ones some 60 to a page,
 * text up to 6000 bytes (values on overflow pages, which the cursor reads); times one
 * a millisecond, but every 37th a day early (a late event, which the zone map picks).
 * A new database each call, in the one static pgdb returned (drop it before the next). */
enum { PG_N = 20000 };
typedef struct pgdb {
    char dir[40];
    shoal_db *db;
    shoal_reader *r;
    shoal_rec want[PG_N + 1];   /* what the engine's cursor reads: every record, in order */
} pgdb;

static pgdb *pages_db(void)
{
    static pgdb g;
    snprintf(g.dir, sizeof g.dir, "/tmp/shoal-test-scanpg-XXXXXX");
    CHECK(mkdtemp(g.dir) != NULL);
    CHECK_RC(shoal_db_open(g.dir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &g.db, NULL), SHOAL_OK);
    enum { N = PG_N };
    static shoal_event ev[N];
    static char names[N][16];
    static shoal_prop props[N];
    static char text[6001];
    memset(text, 'x', sizeof text - 1);
    uint64_t seed = 9;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "m%d", (int)(rnd(&seed) % 500));
        ev[i] = (shoal_event){0};
        ev[i].ts = 1700000000000 + i - (i % 37 == 36 ? 86400000 : 0);
        ev[i].member = (shoal_str){names[i], (uint32_t)strlen(names[i])};
        ev[i].type = (shoal_str){i % 3 ? "post" : "like", 4};
        uint64_t r = rnd(&seed) % 100;
        /* mostly small; some of a few hundred bytes; a few past a page */
        uint32_t len = r < 80 ? (uint32_t)(r % 10) : r < 97 ? (uint32_t)(100 + rnd(&seed) % 900) : (uint32_t)(2000 + rnd(&seed) % 4000);
        props[i] = (shoal_prop){{"body", 4}, SHOAL_VAL_STR, {.s = {text, len}}};
        ev[i].props = &props[i];
        ev[i].n_props = 1;
    }
    CHECK_RC(shoal_append(g.db, ev, N, NULL, NULL), SHOAL_OK);
    CHECK_RC(shoal_reader_open(g.db, &g.r, NULL), SHOAL_OK);
    shoal_logcur *c;
    CHECK_RC(shoal_logcur_open(g.r, 1, &c, NULL), SHOAL_OK);
    int n = 0;
    while (n <= N && shoal_logcur_next(c, &g.want[n], NULL) == 1) n++;
    CHECK(n == N);
    shoal_logcur_close(c);
    return &g;
}

static void pages_db_drop(pgdb *g)
{
    shoal_reader_close(g->r);
    shoal_db_close(g->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g->dir);
    CHECK(system(cmd) == 0);
}

#define SAME(a, b) ((a).seq == (b).seq && (a).ts == (b).ts && (a).member == (b).member && (a).type == (b).type && \
                    (a).group == (b).group && (a).props == (b).props && (a).end == (b).end)

/* The page walk (scan_pages_next, scan_pages_seek, scan_pages_moved) gives the cursor's
 * records in the cursor's order: records of every size, small ones some 60 to a page,
 * text up to 6000 bytes (values on overflow pages, which the cursor reads), from the
 * first record on and from seeks anywhere (a page's first, last and middle records),
 * with the cursor moved under the walk (as the zone map's seeks move it). And it reads
 * most records from their pages, not through the cursor. */
TEST(scan_pages_match_logcur)
{
    enum { N = PG_N };
    pgdb *g = pages_db();
    shoal_reader *r = g->r;
    const shoal_rec *want = g->want;
    uint64_t seed = 9;
    int rc;
    shoal_logcur *s;
    CHECK_RC(shoal_logcur_open(r, 1, &s, NULL), SHOAL_OK);
    MDB_cursor *mc = shoal_logcur_mdb(s);
    scan_pages sp;
    shoal_rec b;
    /* from the first record */
    scan_pages_init(&sp, mc, MDB_FIRST);
    int i = 0, bad = 0, paged = 0;
    while ((rc = scan_pages_next(&sp, &b, NULL)) == 1) {
        if (i >= N || !SAME(want[i], b)) bad++;
        paged += sp.pg != NULL;
        i++;
    }
    CHECK(rc == 0 && i == N && !bad);
    CHECK(paged > N / 2);
    /* seeks anywhere, then some records on; now and then the cursor moved under the walk */
    for (int t = 0; t < 2000 && !bad; t++) {
        uint64_t at = 1 + rnd(&seed) % (N + 2);
        rc = scan_pages_seek(&sp, at, &b, NULL);
        if (at > N) {
            CHECK(rc == 0);
            continue;
        }
        int k = (int)at - 1, steps = (int)(rnd(&seed) % 200);
        for (int j = 0; j < steps && rc == 1; j++) {
            if (!SAME(want[k], b)) bad++;
            if (rnd(&seed) % 50 == 0) {   /* the cursor sent on a little, as the zone map does */
                uint64_t to = want[k].seq + 1 + rnd(&seed) % 100;
                rc = scan_seek(mc, to, &b, NULL);
                if (to > N) {
                    CHECK(rc == 0);
                    break;
                }
                scan_pages_moved(&sp);
                k = (int)to - 1;
                continue;
            }
            rc = scan_pages_next(&sp, &b, NULL);
            k++;
            if ((rc == 1) != (k < N)) bad++;
        }
    }
    CHECK(!bad);
    shoal_logcur_close(s);
    pages_db_drop(g);
}

/* The t-th of the ranges [from, to) of a log of n records that the range readers' tests
 * read: from anywhere to some thousands on, or to the log's end (every fourth); empty
 * (t 1), past the log (t 2), the whole log (t 3). */
static void some_range(int t, uint64_t *seed, uint64_t n, uint64_t *from, uint64_t *to)
{
    *from = 1 + rnd(seed) % (n + 2);
    *to = t % 4 == 0 ? UINT64_MAX : *from + rnd(seed) % 3000 - 200;
    if (t == 1) *from = 1, *to = 1;
    if (t == 2) *from = n + 1, *to = UINT64_MAX;
    if (t == 3) *from = 1, *to = UINT64_MAX;
}

/* Whether a read of [from, to) ended as it should: at the range's end (rc 0), k (the
 * next sequence) past the last record of the range there is, having counted them. */
static int range_ended(const scan_range *sr, int rc, uint64_t from, uint64_t to, uint64_t k, uint64_t n)
{
    uint64_t end = to < n + 1 ? to : n + 1;
    return rc == 0 && k == (from < end ? end : from) && sr->n == k - from;
}

/* The range reader (scan_range) gives the cursor's records of [from, to) in the
 * cursor's order: ranges that start and end anywhere (a page's first, last and middle
 * records, over the overflow values), empty ones (to <= from, from past the log), to
 * the log's end; with time ranges, every record whose time lies in one (the late ones
 * among them), in sequence order, and whole blocks of the others jumped over; with the
 * cancel flag up, SHOAL_ECANCEL after CANCEL_EVERY records. */
TEST(scan_range_matches_logcur)
{
    enum { N = PG_N };
    pgdb *g = pages_db();
    shoal_reader *r = g->r;
    const shoal_rec *want = g->want;
    uint64_t seed = 17;
    scan_range sr;
    shoal_rec b;
    int rc, bad = 0;
    for (int t = 0; t < 400; t++) {
        uint64_t from, to;
        some_range(t, &seed, N, &from, &to);
        CHECK_RC(scan_range_open(&sr, r, from, to, NULL, 0, NULL, NULL, NULL), SHOAL_OK);
        uint64_t k = from;
        while ((rc = scan_range_next(&sr, &b)) == 1) {
            if (k > N || !SAME(want[k - 1], b)) bad++;
            k++;
        }
        bad += !range_ended(&sr, rc, from, to, k, N);
        scan_range_close(&sr);
    }
    CHECK(!bad);
    /* time ranges: the records in them all given; the blocks (4096 records) of none
     * jumped over */
    uint64_t skipped = 0;
    for (int t = 0; t < 50; t++) {
        int64_t zr[4];
        int n_zr = 1 + t % 2;
        for (int i = 0; i < n_zr; i++) {
            int64_t lo = 1700000000000 + (int64_t)(rnd(&seed) % N) - (t % 3 == 0 ? 86400000 : 0);
            zr[2 * i] = lo, zr[2 * i + 1] = lo + 1 + (int64_t)(rnd(&seed) % 3000);
        }
        uint64_t from = 1 + rnd(&seed) % 100, to = N - rnd(&seed) % 100, got = 0;
        CHECK_RC(scan_range_open(&sr, r, from, to, zr, n_zr, &skipped, NULL, NULL), SHOAL_OK);
        uint64_t k = from, last = 0;
        while ((rc = scan_range_next(&sr, &b)) == 1) {
            if (b.seq <= last || b.seq < from || b.seq >= to || !SAME(want[b.seq - 1], b)) bad++;
            /* none of the range's records passed over */
            for (; k < b.seq; k++)
                for (int i = 0; i < n_zr; i++) bad += want[k - 1].ts >= zr[2 * i] && want[k - 1].ts < zr[2 * i + 1];
            last = b.seq, k = b.seq + 1, got++;
        }
        for (; k < to; k++)
            for (int i = 0; i < n_zr; i++) bad += want[k - 1].ts >= zr[2 * i] && want[k - 1].ts < zr[2 * i + 1];
        if (rc != 0 || got == 0) bad++;
        scan_range_close(&sr);
    }
    CHECK(!bad);
    CHECK(skipped > 0);
    /* the cancel flag */
    volatile int cancel = 1;
    shoal_err err = {0};
    CHECK_RC(scan_range_open(&sr, r, 1, UINT64_MAX, NULL, 0, NULL, &cancel, &err), SHOAL_OK);
    uint64_t k = 0;
    while ((rc = scan_range_next(&sr, &b)) == 1) k++;
    CHECK(rc == SHOAL_ECANCEL && k == CANCEL_EVERY - 1 && err.code == SHOAL_ECANCEL);
    scan_range_close(&sr);
    pages_db_drop(g);
}
/* scan_range_batch gives scan_range_next's records in its order, a page's rest at a
 * time where it can (batches of more than one record are seen, so the page's decode is
 * what is tested), over ranges that start and end anywhere, with any room (max) from 1
 * on, with time ranges (a record at a time), and stops at the cancel flag; the page's
 * decode with the processor's help gives what scan_page_sw gives. */
TEST(scan_range_batch_matches_next)
{
    enum { N = PG_N };
    pgdb *g = pages_db();
    shoal_reader *r = g->r;
    const shoal_rec *want = g->want;
    uint64_t seed = 23;
    scan_range sr;
    static shoal_rec b[300], c[300];
    int rc, bad = 0;
    long many = 0;
    for (int t = 0; t < 300; t++) {
        uint64_t from, to;
        some_range(t, &seed, N, &from, &to);
        CHECK_RC(scan_range_open(&sr, r, from, to, NULL, 0, NULL, NULL, NULL), SHOAL_OK);
        uint64_t k = from;
        unsigned max = t % 5 == 0 ? 1 + (unsigned)(rnd(&seed) % 4) : 1 + (unsigned)(rnd(&seed) % 300);
        for (;;) {
            const unsigned char *pg = sr.sp.pg;
            unsigned i = sr.sp.i, n = sr.sp.n, ps = sr.sp.psize;
            if ((rc = scan_range_batch(&sr, b, max)) <= 0) break;
            if (rc > 1) {
                many++;
                if (scan_page_sw(pg, i, n, ps, c, max, sr.to) != (unsigned)rc) bad++;
                for (int j = 0; j < rc; j++) bad += !SAME(b[j], c[j]);
            }
            if ((unsigned)rc > max) bad++;
            for (int j = 0; j < rc; j++, k++)
                if (k > N || !SAME(want[k - 1], b[j])) bad++;
        }
        bad += !range_ended(&sr, rc, from, to, k, N);
        scan_range_close(&sr);
    }
    CHECK(!bad);
    CHECK(many > 100);
    /* time ranges: a record at a time, as scan_range_next */
    for (int t = 0; t < 20; t++) {
        int64_t lo = 1700000000000 + (int64_t)(rnd(&seed) % N) - (t % 3 == 0 ? 86400000 : 0);
        int64_t zr[2] = {lo, lo + 1 + (int64_t)(rnd(&seed) % 3000)};
        scan_range s2;
        CHECK_RC(scan_range_open(&sr, r, 1, UINT64_MAX, zr, 1, NULL, NULL, NULL), SHOAL_OK);
        CHECK_RC(scan_range_open(&s2, r, 1, UINT64_MAX, zr, 1, NULL, NULL, NULL), SHOAL_OK);
        shoal_rec one;
        while ((rc = scan_range_batch(&sr, b, 200)) > 0) {
            bad += rc != 1 || scan_range_next(&s2, &one) != 1 || !SAME(one, b[0]);
        }
        bad += rc != 0 || scan_range_next(&s2, &one) != 0;
        scan_range_close(&sr);
        scan_range_close(&s2);
    }
    CHECK(!bad);
    /* the cancel flag: stops once the records given pass CANCEL_EVERY */
    volatile int cancel = 1;
    shoal_err err = {0};
    CHECK_RC(scan_range_open(&sr, r, 1, UINT64_MAX, NULL, 0, NULL, &cancel, &err), SHOAL_OK);
    uint64_t k = 0;
    while ((rc = scan_range_batch(&sr, b, 100)) > 0) k += (uint64_t)rc;
    CHECK(rc == SHOAL_ECANCEL && k < CANCEL_EVERY && k + 100 >= CANCEL_EVERY - 1 && err.code == SHOAL_ECANCEL);
    scan_range_close(&sr);
    pages_db_drop(g);
}
#undef SAME

int main(void)
{
    RUN(scan_hw_probe);
    RUN(scan_matches_logcur);
    RUN(scan_decode_matches_codec);
    RUN(scan_pages_match_logcur);
    RUN(scan_range_matches_logcur);
    RUN(scan_range_batch_matches_next);
    UNIT_EXIT();
}
