/* test_stackexchange.c — the Stack Exchange adapter through the library API: the
 * sample dump's counts, idempotence, and allocation failures at every point of an
 * import (expat allocates through shoal_malloc too). */
#include "unit.h"
#include "input.h"
#include "shoal_int.h"

#include <unistd.h>

static char sample[1024];

static int sound(shoal_db *db)
{
    shoal_check_report rep;
    return shoal_db_check(db, &rep, NULL) == SHOAL_OK && rep.n_problems == 0;
}

TEST(sample_counts)
{
    unit_fresh_dir();
    char rej[300];
    snprintf(rej, sizeof rej, "%s/rejects", unit_tmpdir);
    shoal_ingest_opts opts = {.rejects_path = rej};
    shoal_ingest_stats st;
    shoal_err err;
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_err_clear(&err);
    CHECK_RC(shoal_import_stackexchange(db, sample, &opts, &st, &err), SHOAL_OK);
    CHECK(st.n_records == 1080);
    CHECK(st.n_added == 1059);
    CHECK(st.n_rejected == 20);
    CHECK(st.n_dup == 0);
    CHECK_RC(shoal_import_stackexchange(db, sample, &opts, &st, &err), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1059 && st.n_rejected == 20);
    CHECK(unit_n_events(db) == 1059);
    CHECK(sound(db));
    shoal_err_clear(&err);
    CHECK_RC(shoal_import_stackexchange(db, "/nonexistent/dump", &opts, &st, &err), SHOAL_ENOTFOUND);
    CHECK(strstr(err.msg, "no dump directory") != NULL);
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(alloc_failures)
{
    /* Fail the k-th allocation of an import, for every k until one completes: each
     * failure is SHOAL_ENOMEM, the database stays sound, and a later import completes
     * the log. */
    unit_fresh_dir();
    char rej[300];
    snprintf(rej, sizeof rej, "%s/rejects", unit_tmpdir);
    shoal_ingest_opts opts = {.rejects_path = rej};
    shoal_db *db;
    CHECK_RC(shoal_db_open(unit_tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    int failures = 0, done = 0;
    for (long k = 0; k < 100000 && !done; k++) {
        shoal_mem_fail_after(k);
        int rc = shoal_import_stackexchange(db, sample, &opts, NULL, NULL);
        shoal_mem_fail_after(-1);
        if (rc == SHOAL_OK) done = 1;
        else {
            failures++;
            CHECK_RC(rc, SHOAL_ENOMEM);
            CHECK(sound(db));
        }
    }
    CHECK(done);
    CHECK(failures > 20);
    printf("# %d allocation failures injected\n", failures);
    CHECK(unit_n_events(db) == 1059);
    CHECK(sound(db));
    shoal_db_close(db);
    unit_rm_dir();
}

TEST(csv_fields)
{
    /* Posts.csv records through the CSV reader's framing, at every chunk size: quoted
     * fields with commas, doubled quotes and newlines; line numbers; a bad record is
     * rejected and reading goes on. */
    static const char csv[] = "Id,Body,Title\r\n"
                              "1,\"<p>a, \"\"b\"\"\n\nc</p>\",T1\r\n"
                              "\r\n"
                              "2,x\"y,T2\r\n"
                              "3,,\"T\n3\"\r\n";
    for (size_t chunk = 1; chunk <= sizeof csv; chunk++) {
        shoal_input *in;
        shoal_arena *a = shoal_arena_new();
        shoal_str f[4];
        uint32_t n_f;
        shoal_err e;
        CHECK_RC(shoal_input_open_mem("Posts.csv", csv, sizeof csv - 1, SHOAL_FMT_CSV_FIELDS, chunk, &in, NULL),
                 SHOAL_OK);
        CHECK(shoal_input_next_fields(in, a, f, 4, &n_f, &e) == 1);
        CHECK(n_f == 3 && f[2].len == 5 && !memcmp(f[2].ptr, "Title", 5) && shoal_input_line(in) == 1);
        CHECK(shoal_input_next_fields(in, a, f, 4, &n_f, &e) == 1);
        CHECK(n_f == 3 && f[1].len == 16 && !memcmp(f[1].ptr, "<p>a, \"b\"\n\nc</p>", 16));
        CHECK(shoal_input_line(in) == 2);
        CHECK_RC(shoal_input_next_fields(in, a, f, 4, &n_f, &e), SHOAL_EFORMAT);
        CHECK(shoal_input_line(in) == 6 && strstr(e.msg, "quote") != NULL);
        CHECK(shoal_input_next_fields(in, a, f, 4, &n_f, &e) == 1);
        CHECK(n_f == 3 && f[1].len == 0 && f[2].len == 3 && shoal_input_line(in) == 7);
        CHECK(shoal_input_next_fields(in, a, f, 2, &n_f, &e) == 0);
        shoal_input_close(in);
        shoal_arena_free(a);
    }
}

int main(void)
{
    const char *t = getenv("SHOAL_TESTS");
    snprintf(sample, sizeof sample, "%s/data/se-sample", t ? t : "tests");
    RUN(csv_fields);
    RUN(sample_counts);
    RUN(alloc_failures);
    UNIT_EXIT();
}
