/* bench/spawn.c — the bench's clock for whole processes: runs a command 1 + RUNS times
 * (the first a warm-up, not timed), each started with posix_spawn and waited for, its
 * standard output into OUT and its errors into ERR (both truncated at every run), and
 * prints the RUNS wall times in seconds, comma-separated, as bench/run's shoal_times
 * did from bash. Timed so, a process is what it costs to start, run and reap it; a bash
 * loop forks a copy of bash first, which the child tears down at exec (1.0–1.3 ms of
 * every run here: docs/ARCHITECTURE.md, issue 17's whole process).
 *
 *   spawn RUNS OUT ERR -- COMMAND [ARG...]
 *
 * Exit 0; 1 when a run fails (the command's status said on stderr); 2 on bad usage. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--")) {
        fprintf(stderr, "usage: spawn RUNS OUT ERR -- COMMAND [ARG...]\n");
        return 2;
    }
    char *end;
    long runs = strtol(argv[1], &end, 10);
    if (*end || runs < 1 || runs > 100000) {
        fprintf(stderr, "spawn: RUNS must be a number from 1 to 100000, not \"%s\"\n", argv[1]);
        return 2;
    }
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t) return 2;
    for (long r = 0; r <= runs; r++) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        pid_t pid;
        double t0 = now();
        int rc = posix_spawnp(&pid, argv[5], &fa, NULL, argv + 5, environ);
        int st = 0;
        if (!rc && waitpid(pid, &st, 0) < 0) rc = -1;
        double t1 = now();
        posix_spawn_file_actions_destroy(&fa);
        if (rc) {
            fprintf(stderr, "spawn: cannot run %s\n", argv[5]);
            return 1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "spawn: %s %s %d\n", argv[5], WIFEXITED(st) ? "exited with" : "was killed by signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            return 1;
        }
        if (r > 0) t[r - 1] = t1 - t0;
    }
    for (long r = 0; r < runs; r++) printf("%s%.6f", r ? "," : "", t[r]);
    printf("\n");
    free(t);
    return 0;
}
