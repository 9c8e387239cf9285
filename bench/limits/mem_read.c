/* bench/limits/mem_read.c — single-core memory read bandwidth: summing a buffer far
 * larger than the caches with four independent accumulators (so the adds are not the
 * bottleneck). The best of five passes is reported.
 *
 * usage: mem_read [MB]  (default 1024)  -> bytes= seconds= gbps= (GB/s, 1e9 bytes)
 */
#define _DEFAULT_SOURCE
#include "limits.h"

#include <stdint.h>
#include <string.h>

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
    size_t n = mb * (1u << 20) / sizeof(uint64_t);
    uint64_t *buf = malloc(n * sizeof(uint64_t));
    if (!buf)
        die("mem_read", "out of memory");
    for (size_t i = 0; i < n; i++)
        buf[i] = i * 0x9e3779b97f4a7c15ULL;
    double best = 1e30;
    uint64_t total = 0;
    for (int pass = 0; pass < 5; pass++) {
        uint64_t a = 0, b = 0, c = 0, d = 0;
        double t0 = now_s();
        for (size_t i = 0; i + 4 <= n; i += 4) {
            a += buf[i];
            b += buf[i + 1];
            c += buf[i + 2];
            d += buf[i + 3];
        }
        double secs = now_s() - t0;
        total += a ^ b ^ c ^ d;
        if (secs < best)
            best = secs;
    }
    double bytes = (double)n * sizeof(uint64_t);
    printf("bytes=%.0f seconds=%.4f gbps=%.2f check=%llu\n", bytes, best, bytes / best / 1e9,
           (unsigned long long)(total & 0xff));
    free(buf);
    return 0;
}
