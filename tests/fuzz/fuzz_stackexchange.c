/* fuzz_stackexchange.c — libFuzzer harness for the Stack Exchange adapter: the input is
 * a dump, its files separated by NUL bytes (which XML cannot hold) in the order Users,
 * Posts (XML when it starts with '<' or a byte order mark, else CSV), Votes, Comments,
 * Badges, PostLinks. The import must end in SHOAL_OK or, for a file that is not
 * well-formed, SHOAL_EFORMAT with a house-style message, and leave the database sound. */
#include "fuzz_check.h"

#include <fcntl.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], dbdir[64];
static shoal_db *db;
static unsigned long n_runs;

static void put(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!p) {
        unlink(path);
        return;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FUZZ_REQUIRE(fd >= 0);
    FUZZ_REQUIRE(write(fd, p, n) == (ssize_t)n);
    close(fd);
}

static void cleanup(void)
{
    char cmd[200];
    shoal_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, dbdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s and %s\n", dir, dbdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"Users.xml", "Posts", "Votes.xml", "Comments.xml", "Badges.xml",
                                        "PostLinks.xml"};
    if (!db) {
        snprintf(dir, sizeof dir, "/tmp/shoal-fuzz-se-XXXXXX");
        snprintf(dbdir, sizeof dbdir, "/tmp/shoal-fuzz-db-XXXXXX");
        FUZZ_REQUIRE(mkdtemp(dir) && mkdtemp(dbdir));
        FUZZ_REQUIRE(shoal_db_open(dbdir, SHOAL_OPEN_CREATE | SHOAL_OPEN_NOSYNC, 0, &db, NULL) == 0);
        atexit(cleanup);
    }
    const uint8_t *p = data, *end = data + size;
    for (size_t k = 0; k < 6; k++) {
        const uint8_t *q = p ? memchr(p, 0, (size_t)(end - p)) : NULL;
        size_t n = p ? (size_t)((q ? q : end) - p) : 0;
        if (k == 1) {
            int xml = p && n && (p[0] == '<' || p[0] == 0xef);
            put("Posts.xml", xml ? p : NULL, n);
            put("Posts.csv", p && !xml ? p : (const uint8_t *)"", p && !xml ? n : 0);
        } else {
            put(names[k], p ? p : (const uint8_t *)"", n);
        }
        p = q ? q + 1 : NULL;
    }
    char rej[128];
    snprintf(rej, sizeof rej, "%s/rejects", dir);
    shoal_ingest_opts opts = {.rejects_path = rej, .batch = 7};
    shoal_ingest_stats st;
    shoal_err e;
    shoal_err_clear(&e);
    int rc = shoal_import_stackexchange(db, dir, &opts, &st, &e);
    if (rc) fuzz_check_reject(rc, &e, 0);
    FUZZ_REQUIRE(st.n_rejected <= st.n_records);
    /* A full check reads the whole database: now and then is enough. */
    if (n_runs++ % 64 == 0) {
        shoal_check_report rep;
        FUZZ_REQUIRE(shoal_db_check(db, &rep, NULL) == 0 && rep.n_problems == 0);
    }
    return 0;
}
