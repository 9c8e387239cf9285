/* bench_readers.c — figures for the first ingest stage: ns per record for
 * shoal_ndjson_parse alone, and through shoal_input (framing + parse) for NDJSON and
 * for the same events as CSV; typical ~125-byte events like the DESIGN.md example.
 * Prints figures; never asserts. Usage: bench_readers [LINES [ROUNDS]]
 * Build: cc -O2 -Iengine -Iingest bench/bench_readers.c build/release/libshoal.a -llmdb -lxxhash -lm */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The best time of `rounds` reads of text[0..len) through shoal_input as fmt; -1 when
 * the input cannot be opened. */
static double time_input(const char *name, const char *text, size_t len, int fmt, int rounds, shoal_arena *a)
{
    shoal_event ev;
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        shoal_input *in;
        double t0 = now();
        if (shoal_input_open_mem(name, text, len, fmt, 0, &in, NULL)) return -1;
        size_t k = 0;
        while (shoal_input_next(in, a, &ev, NULL) == 1)
            if ((++k & 16383) == 0) shoal_arena_reset(a);
        shoal_input_close(in);
        double dt = now() - t0;
        if (dt < best) best = dt;
        shoal_arena_reset(a);
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 200000;
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    static const char *types[] = {"post", "comment", "reply", "like", "checkin", "essence"};
    char *text = malloc(n * 200);
    size_t *off = malloc((n + 1) * sizeof *off), o = 0;
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        off[i] = o;
        o += (size_t)sprintf(text + o,
                             "{\"id\":\"e-%zu\",\"ts\":\"2025-03-%02uT%02u:%02u:12+08:00\",\"member\":\"m-%u\","
                             "\"type\":\"%s\",\"group\":\"g-%u\",\"original\":%s,\"words\":%u}\n",
                             i, 1 + (x >> 8) % 28, (x >> 4) % 24, (x >> 12) % 60, (x >> 10) % 100000,
                             types[(x >> 20) % 6], (x >> 16) % 50, (x >> 3) & 1 ? "true" : "false", (x >> 7) % 2000);
    }
    off[n] = o;
    printf("%zu lines, %.1f bytes per line on average\n", n, (double)o / (double)n);

    shoal_arena *a = shoal_arena_new();
    shoal_event ev;
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            if (shoal_ndjson_parse(text + off[i], off[i + 1] - off[i] - 1, a, &ev, NULL)) return 1;
            if ((i & 16383) == 16383) shoal_arena_reset(a);
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        shoal_arena_reset(a);
    }
    printf("shoal_ndjson_parse: %.1f ns/line, %.0f MB/s (best of %d)\n", best * 1e9 / (double)n,
           (double)o / best / 1e6, rounds);

    if ((best = time_input("b.ndjson", text, o, SHOAL_FMT_NDJSON, rounds, a)) < 0) return 1;
    printf("shoal_input_next (frame + parse): %.1f ns/line, %.0f MB/s (best of %d)\n", best * 1e9 / (double)n,
           (double)o / best / 1e6, rounds);

    /* The same events as CSV. */
    char *csv = malloc(n * 200);
    size_t c = (size_t)sprintf(csv, "id,ts,member,type,group,original,words\n");
    x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        c += (size_t)sprintf(csv + c, "e-%zu,2025-03-%02uT%02u:%02u:12+08:00,m-%u,%s,g-%u,%s,%u\n", i,
                             1 + (x >> 8) % 28, (x >> 4) % 24, (x >> 12) % 60, (x >> 10) % 100000,
                             types[(x >> 20) % 6], (x >> 16) % 50, (x >> 3) & 1 ? "true" : "false", (x >> 7) % 2000);
    }
    if ((best = time_input("b.csv", csv, c, SHOAL_FMT_CSV, rounds, a)) < 0) return 1;
    printf("shoal_input_next, CSV (%.1f bytes per record): %.1f ns/record, %.0f MB/s (best of %d)\n",
           (double)c / (double)n, best * 1e9 / (double)n, (double)c / best / 1e6, rounds);
    free(csv);

    shoal_arena_free(a);
    free(text);
    free(off);
    return 0;
}
