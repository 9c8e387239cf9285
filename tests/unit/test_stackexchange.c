/* test_stackexchange.c — the Stack Exchange adapter through the library API: the
 * sample dump's counts, idempotence, and allocation failures at every point of an
 * import (expat allocates through shoal_malloc too). */
#include "unit.h"
#include "shoal_int.h"

#include <unistd.h>

static char tmpdir[256], sample[1024];

static void fresh_dir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/shoal-unit-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
}

static void rm_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) abort();
}

static uint64_t n_events(shoal_db *db)
{
    shoal_reader *r;
    if (shoal_reader_open(db, &r, NULL)) return UINT64_MAX;
    uint64_t n = shoal_reader_last_seq(r);
    shoal_reader_close(r);
    return n;
}

static int sound(shoal_db *db)
{
    shoal_check_report rep;
    return shoal_db_check(db, &rep, NULL) == SHOAL_OK && rep.n_problems == 0;
}

TEST(sample_counts)
{
    fresh_dir();
    char rej[300];
    snprintf(rej, sizeof rej, "%s/rejects", tmpdir);
    shoal_ingest_opts opts = {.rejects_path = rej};
    shoal_ingest_stats st;
    shoal_err err;
    shoal_db *db;
    CHECK_RC(shoal_db_open(tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
    shoal_err_clear(&err);
    CHECK_RC(shoal_import_stackexchange(db, sample, &opts, &st, &err), SHOAL_OK);
    CHECK(st.n_records == 1080);
    CHECK(st.n_added == 1059);
    CHECK(st.n_rejected == 20);
    CHECK(st.n_dup == 0);
    CHECK_RC(shoal_import_stackexchange(db, sample, &opts, &st, &err), SHOAL_OK);
    CHECK(st.n_added == 0 && st.n_dup == 1059 && st.n_rejected == 20);
    CHECK(n_events(db) == 1059);
    CHECK(sound(db));
    shoal_err_clear(&err);
    CHECK_RC(shoal_import_stackexchange(db, "/nonexistent/dump", &opts, &st, &err), SHOAL_ENOTFOUND);
    CHECK(strstr(err.msg, "no dump directory") != NULL);
    shoal_db_close(db);
    rm_dir();
}

TEST(alloc_failures)
{
    /* Fail the k-th allocation of an import, for every k until one completes: each
     * failure is SHOAL_ENOMEM, the database stays sound, and a later import completes
     * the log. */
    fresh_dir();
    char rej[300];
    snprintf(rej, sizeof rej, "%s/rejects", tmpdir);
    shoal_ingest_opts opts = {.rejects_path = rej};
    shoal_db *db;
    CHECK_RC(shoal_db_open(tmpdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL), SHOAL_OK);
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
    CHECK(n_events(db) == 1059);
    CHECK(sound(db));
    shoal_db_close(db);
    rm_dir();
}

int main(void)
{
    const char *t = getenv("SHOAL_TESTS");
    snprintf(sample, sizeof sample, "%s/data/se-sample", t ? t : "tests");
    RUN(sample_counts);
    RUN(alloc_failures);
    UNIT_EXIT();
}
