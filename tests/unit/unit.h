/* unit.h — the unit test harness: each test_<module>.c defines TEST(name) functions and
 * lists them in main with RUN(name). A test passes when none of its CHECKs failed.
 * Output is one "ok NAME" or "FAIL NAME" line per test, which tests/run counts; a failed
 * CHECK prints "file:line: expr" before it. */
#ifndef SHOAL_UNIT_H
#define SHOAL_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "shoal.h"

static int unit_failed_checks;
static int unit_n_fail;

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (!(expr)) {                                                       \
            fprintf(stdout, "%s:%d: %s\n", __FILE__, __LINE__, #expr);       \
            unit_failed_checks++;                                            \
        }                                                                    \
    } while (0)

/* CHECK_RC(rc_expr, want): compares return codes and names them. */
#define CHECK_RC(expr, want)                                                 \
    do {                                                                     \
        int unit_rc_ = (expr);                                               \
        if (unit_rc_ != (want)) {                                            \
            fprintf(stdout, "%s:%d: %s: got %s, want %s\n", __FILE__, __LINE__, \
                    #expr, shoal_strerror(unit_rc_), shoal_strerror(want));  \
            unit_failed_checks++;                                            \
        }                                                                    \
    } while (0)

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                            \
    do {                                                                     \
        int before_ = unit_failed_checks;                                    \
        test_##name();                                                       \
        if (unit_failed_checks == before_) {                                 \
            printf("ok %s\n", #name);                                        \
        } else {                                                             \
            printf("FAIL %s\n", #name);                                      \
            unit_n_fail++;                                                   \
        }                                                                    \
        fflush(stdout);                                                      \
    } while (0)

#define UNIT_EXIT() return unit_n_fail ? 1 : 0

/* A scratch directory per test: unit_fresh_dir makes a new one in unit_tmpdir,
 * unit_rm_dir removes it. */
static char unit_tmpdir[256];

/* xorshift64: a test's own stream of pseudo-random words from *s (not 0). */
static inline uint64_t unit_next64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static inline void unit_fresh_dir(void)
{
    snprintf(unit_tmpdir, sizeof unit_tmpdir, "/tmp/shoal-unit-XXXXXX");
    if (!mkdtemp(unit_tmpdir)) abort();
}

static inline void unit_rm_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", unit_tmpdir);
    if (system(cmd) != 0) abort();
}

/* Number of events in db's log, UINT64_MAX when it cannot be read. */
static inline uint64_t unit_n_events(shoal_db *db)
{
    shoal_reader *r;
    if (shoal_reader_open(db, &r, NULL)) return UINT64_MAX;
    uint64_t n = shoal_reader_last_seq(r);
    shoal_reader_close(r);
    return n;
}

#endif
