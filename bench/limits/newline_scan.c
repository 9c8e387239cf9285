/* bench/limits/newline_scan.c — the ceiling for reading NDJSON: read() the file in
 * 4 MB chunks and find every newline with memchr, doing nothing else. The file is
 * in the page cache (just generated); the best of three passes is reported.
 *
 * usage: newline_scan FILE  -> lines= bytes= seconds= rate= (lines/s) gbps=
 */
#define _DEFAULT_SOURCE
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (4u << 20)

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage", "newline_scan FILE");
    char *buf = malloc(CHUNK);
    if (!buf)
        die("newline_scan", "out of memory");
    double best = 1e30;
    unsigned long long lines = 0, bytes = 0;
    for (int pass = 0; pass < 3; pass++) {
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0)
            die(argv[1], strerror(errno));
        lines = bytes = 0;
        double t0 = now_s();
        ssize_t got;
        while ((got = read(fd, buf, CHUNK)) > 0) {
            bytes += (unsigned long long)got;
            const char *p = buf, *end = buf + got;
            while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
                lines++;
                p++;
            }
        }
        double secs = now_s() - t0;
        close(fd);
        if (got < 0)
            die(argv[1], strerror(errno));
        if (secs < best)
            best = secs;
    }
    printf("lines=%llu bytes=%llu seconds=%.4f rate=%.0f gbps=%.2f\n", lines, bytes, best,
           (double)lines / best, (double)bytes / best / 1e9);
    free(buf);
    return 0;
}
