/* feedback.c — what a user sees while long work runs: for `ingest` and `import`, a
 * progress line on a terminal, the first rejects echoed to stderr, a line per committed
 * batch with --verbose, and Ctrl-C turned into a clean stop (what was read is
 * committed, then the command says up to where); for a view's back-fill or rebuild, a
 * progress line on a terminal. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int cancelled;

static void on_sigint(int sig)
{
    (void)sig;
    cancelled = 1;
}

double shoal_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Registered with atexit by main: every command's results go to stdout, so a write
 * that failed there (a full disk, /dev/full) fails the command, whatever status it
 * returned; stdio keeps the error until the stream is closed, so closing it here
 * catches every write of the run (gnulib's close_stdout). _exit is how an exit
 * handler sets the status. */
void shoal_cli_close_stdout(void)
{
    errno = 0;
    int e = fflush(stdout) != 0 ? errno : 0;
    if (e || ferror(stdout) || (fclose(stdout) != 0 && errno != EBADF && (e = errno))) {
        /* Not shoal_cli_fail: it flushes stdout, which may be closed by now. */
        fprintf(stderr, "%s: error: cannot write the output%s%s\n", shoal_cli_name, e ? ": " : "",
                e ? strerror(e) : "");
        _exit(2);
    }
}

int shoal_cli_log_count(shoal_db *db, uint64_t *n)
{
    shoal_reader *r;
    int rc = shoal_reader_open(db, &r, NULL);
    if (rc) return rc;
    *n = shoal_reader_last_seq(r);
    shoal_reader_close(r);
    return 0;
}

static void on_commit(void *ctx, const shoal_ingest_stats *st)
{
    shoal_cli_feedback *f = ctx;
    if (f->verbose)
        fprintf(stderr,
                "committed through line %llu: %llu added, %llu duplicates, %llu conflicting, %llu rejected, "
                "last seq %llu\n",
                (unsigned long long)st->acked_line, (unsigned long long)st->n_added,
                (unsigned long long)st->n_dup, (unsigned long long)st->n_conflict,
                (unsigned long long)st->n_rejected, (unsigned long long)st->last_seq);
    if (!f->tty || f->quiet) return;
    double t = shoal_cli_now();
    if (t - f->last < 0.25) return;
    f->last = t;
    double el = t - f->t0;
    uint64_t recs = f->base_records + st->n_records;
    fprintf(stderr, "\r%.2fM events, %.0f MB, %.2fM events/s   ", (double)recs / 1e6,
            (double)(f->base_bytes + st->bytes) / 1e6, el > 0 ? (double)recs / el / 1e6 : 0.0);
}

/* The first rejects go to stderr as they happen; the rest only to the reject file. */
#define SHOWN_REJECTS 5

static void on_reject(void *ctx, const char *name, uint64_t line, const char *reason)
{
    shoal_cli_feedback *f = ctx;
    if (f->quiet || f->n_shown_rejects++ >= SHOWN_REJECTS) return;
    if (f->tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "%s:%llu: %s\n", name, (unsigned long long)line, reason);
}

void shoal_cli_feedback_start(shoal_cli_feedback *f, shoal_ingest_opts *opts)
{
    f->tty = isatty(2);
    f->t0 = shoal_cli_now();
    f->last = 0;
    f->base_records = f->base_bytes = 0;
    f->n_shown_rejects = 0;
    opts->on_commit = on_commit;
    opts->on_reject = on_reject;
    opts->ctx = f;
    opts->cancel = &cancelled;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &f->old_sigint);
}

void shoal_cli_feedback_input_done(shoal_cli_feedback *f, const shoal_ingest_stats *st)
{
    if (f->tty && !f->quiet) fputs("\r\033[K", stderr);
    f->base_records += st->n_records;
    f->base_bytes += st->bytes;
}

double shoal_cli_feedback_stop(shoal_cli_feedback *f)
{
    sigaction(SIGINT, &f->old_sigint, NULL);
    return shoal_cli_now() - f->t0;
}

/* A view's back-fill or rebuild, on a terminal: one line rewritten in place, cleared
 * at the end. */
static void on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (done >= total) {
        fputs("\r\033[K", stderr);
        return;
    }
    fprintf(stderr, "\r%s: %.0f%% (%.1fM of %.1fM events)   ", what, total ? 100.0 * (double)done / (double)total : 0.0,
            (double)done / 1e6, (double)total / 1e6);
}

void shoal_cli_progress_on_tty(shoal_db *db)
{
    if (isatty(2)) shoal_db_set_progress(db, on_progress, NULL);
}
