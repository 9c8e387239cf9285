/* bench/limits/limits.h — what the limit programs share: a monotonic clock and the
 * one output format, "name=value" pairs on one line that bench/run parses.
 * These programs measure the hardware and LMDB alone, never shoal: they are the
 * ceilings that shoal's own figures are reported against. */
#ifndef SHOAL_BENCH_LIMITS_H
#define SHOAL_BENCH_LIMITS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the process's CPU time (user + system), for a figure a core on a busy machine */
static inline double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    exit(2);
}

#endif
