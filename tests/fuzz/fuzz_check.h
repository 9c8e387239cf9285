/* fuzz_check.h — what every reader's output must satisfy, shared by the ingest fuzz
 * harnesses: an accepted event passes the engine's gate (shoal_event_check) and holds
 * canonical numbers; a rejection is EFORMAT with a house-style message. A broken
 * invariant aborts, which libFuzzer reports as a crash. */
#ifndef SHOAL_FUZZ_CHECK_H
#define SHOAL_FUZZ_CHECK_H

#include "input.h"
#include "shoal_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_REQUIRE(c)                                                        \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void fuzz_check_event(const shoal_event *ev)
{
    shoal_err e;
    shoal_err_clear(&e);
    if (shoal_event_check(ev, &e)) fprintf(stderr, "event_check: %s\n", e.msg);
    FUZZ_REQUIRE(e.code == 0);
    for (uint32_t i = 0; i < ev->n_props; i++) {
        const shoal_prop *p = &ev->props[i];
        int64_t iv;
        if (p->kind == SHOAL_VAL_NUM) FUZZ_REQUIRE(isfinite(p->v.d) && !shoal_num_is_int(p->v.d, &iv));
    }
    /* The timestamp survives formatting and parsing back. */
    char buf[32];
    int64_t back = 0;
    size_t n = shoal_ts_format(ev->ts, buf);
    FUZZ_REQUIRE(shoal_ts_parse(buf, n, &back, NULL) == 0 && back == ev->ts);
}

static void fuzz_check_reject(int rc, const shoal_err *e, size_t n)
{
    size_t m = strlen(e->msg);
    FUZZ_REQUIRE(rc == SHOAL_EFORMAT && e->code == SHOAL_EFORMAT);
    FUZZ_REQUIRE(m > 0 && e->msg[m - 1] != '.' && !(e->msg[0] >= 'A' && e->msg[0] <= 'Z'));
    FUZZ_REQUIRE(e->off == -1 || (e->off >= 0 && (size_t)e->off <= n && e->len >= 0 && (size_t)(e->off + e->len) <= n));
}

#endif
